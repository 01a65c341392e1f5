/*
 * schema_rows.c -- the migrations of the store's row model (issue 21,
 * docs/store.md), kept beside schema.c, which lists them in order.
 */
#include "store/store_int.h"

/*
 * Version 16 (issue 21, docs/store.md): request-id uniqueness on a 64-bit
 * keyed hash.  UNIQUE (business_id, request_id) was a b-tree of ~50-byte
 * text keys written for every transaction; request_hash is SipHash-2-4 of
 * (business, request id) under this database's key (store_keys), 8 bytes.
 * A hit is confirmed on the text; the rare hash collision of two
 * different ids stores the second with a NULL hash, found by the partial
 * index transactions_request_text (empty in practice).  The table is
 * rebuilt (SQLite cannot drop a table constraint) with its rows, ids and
 * indexes as they were; store.c runs this migration with foreign keys
 * off, as SQLite's rebuild procedure asks, and ps_store_txn_rehash()
 * fills the hashes of the rows copied.
 */
const char *const ps_schema_v17[] = {
    "CREATE TABLE store_keys (name TEXT PRIMARY KEY, value BLOB NOT NULL);",
    "INSERT INTO store_keys VALUES ('request_hash', randomblob(16));",
    "CREATE TABLE transactions_v17 ("
    "  id TEXT PRIMARY KEY,"
    "  business_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  account_id TEXT NOT NULL,"
    "  profile_id TEXT,"
    "  type TEXT NOT NULL CHECK (type = 'SEND' OR type = 'DEBIT'),"
    "  rail TEXT NOT NULL CHECK (rail = 'PUSH_TO_CARD' OR rail = 'ACH'),"
    "  purpose TEXT NOT NULL CHECK (purpose = 'EWA_DISBURSEMENT'"
    "    OR purpose = 'EWA_RECOVERY' OR purpose = 'PAYMENT'),"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),"
    "  currency TEXT NOT NULL CHECK (length(currency) = 3),"
    "  status TEXT NOT NULL CHECK (status = 'NEW' OR status = 'PENDING'"
    "    OR status = 'PROCESSING' OR status = 'APPROVED'"
    "    OR status = 'SETTLED' OR status = 'CLEARED' OR status = 'CANCELLED'"
    "    OR status = 'DECLINED' OR status = 'REVERSED' OR status = 'ERROR'),"
    "  request_id TEXT,"
    "  trace_number TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  request_hash INTEGER,"
    "  CHECK (type <> 'DEBIT' OR rail = 'ACH'));",
    "INSERT INTO transactions_v17 (rowid, id, business_id, customer_id,"
    "  account_id, profile_id, type, rail, purpose, amount, fee, currency,"
    "  status, request_id, trace_number, attempts, created_at, updated_at)"
    "  SELECT rowid, id, business_id, customer_id, account_id, profile_id,"
    "  type, rail, purpose, amount, fee, currency, status, request_id,"
    "  trace_number, attempts, created_at, updated_at FROM transactions"
    "  ORDER BY rowid;",
    "DROP TABLE transactions;",
    "ALTER TABLE transactions_v17 RENAME TO transactions;",
    "CREATE INDEX transactions_profile ON transactions(profile_id, created_at)"
    "  WHERE profile_id IS NOT NULL;",
    "CREATE UNIQUE INDEX transactions_trace ON transactions(business_id,"
    "  trace_number) WHERE trace_number IS NOT NULL;",
    "CREATE INDEX transactions_status ON transactions(business_id, status,"
    "  created_at);",
    "CREATE UNIQUE INDEX transactions_request ON transactions(request_hash);",
    "CREATE INDEX transactions_request_text ON transactions(business_id,"
    "  request_id) WHERE request_hash IS NULL AND request_id IS NOT NULL;",
    NULL};

/*
 * Version 17: a transaction row records its own creation and is its own
 * ledger transfer (issue 21, docs/store.md).
 * - created_reason, source_file, source_line: what the creation history
 *   row held; the CREATE rows move onto their transactions and go.
 *   ps_store_txn_history() and the reconciliation read them back from
 *   the row (event CREATE, from nothing to NEW, at created_at).
 * - debit_account, credit_account: the creation's transfer of `amount`
 *   (an EWA advance: Dr EWA_RECEIVABLE, Cr CUSTOMER); its ledger entry
 *   ("ewa advance") moves onto the row and goes.  The fee stays a ledger
 *   entry linked to the transaction, written only when it is not 0.
 * Every reader of the ledger adds these row transfers to the entries
 * (ledger.c, recon.c); the trial balance and every balance are the same
 * numbers as before.  One transaction, like every migration.
 */
const char *const ps_schema_v18[] = {
    "ALTER TABLE transactions ADD COLUMN created_reason TEXT;",
    "ALTER TABLE transactions ADD COLUMN source_file TEXT;",
    "ALTER TABLE transactions ADD COLUMN source_line INTEGER;",
    "ALTER TABLE transactions ADD COLUMN debit_account INTEGER;",
    "ALTER TABLE transactions ADD COLUMN credit_account INTEGER;",
    "CREATE TABLE moved_v18 (txn_id TEXT PRIMARY KEY, history_id INTEGER,"
    "  entry_id INTEGER);",
    "INSERT INTO moved_v18 (txn_id, history_id)"
    "  SELECT h.txn_id, min(h.id) FROM transaction_history h"
    "  WHERE h.event = 'CREATE' GROUP BY h.txn_id;",
    "UPDATE moved_v18 SET entry_id = (SELECT min(e.id) FROM ledger_entries e"
    "  JOIN transactions t ON t.id = e.txn_id"
    "  WHERE e.txn_id = moved_v18.txn_id AND e.memo = 'ewa advance'"
    "  AND e.amount = t.amount AND e.created_at = t.created_at"
    "  AND t.purpose = 'EWA_DISBURSEMENT');",
    "UPDATE transactions SET (created_reason, source_file, source_line) ="
    "  (SELECT h.reason, h.source_file, h.source_line"
    "   FROM moved_v18 m JOIN transaction_history h ON h.id = m.history_id"
    "   WHERE m.txn_id = transactions.id)"
    "  WHERE id IN (SELECT txn_id FROM moved_v18);",
    "UPDATE transactions SET (debit_account, credit_account) ="
    "  (SELECT e.debit_account, e.credit_account"
    "   FROM moved_v18 m JOIN ledger_entries e ON e.id = m.entry_id"
    "   WHERE m.txn_id = transactions.id)"
    "  WHERE id IN (SELECT txn_id FROM moved_v18"
    "  WHERE entry_id IS NOT NULL);",
    "DELETE FROM transaction_history WHERE id IN"
    "  (SELECT history_id FROM moved_v18);",
    "DELETE FROM ledger_entries WHERE id IN"
    "  (SELECT entry_id FROM moved_v18 WHERE entry_id IS NOT NULL);",
    "DROP TABLE moved_v18;",
    NULL};

/*
 * Version 18: a profile's transactions are found through profile_hash,
 * a 64-bit hash of the profile id (ps_store_profile_hash), instead of
 * the index on (profile_id, created_at).  That index took a ~70-byte key
 * in random profile order for every disbursement: each 50,000-record
 * chunk rewrote most of its pages.  Measured on 1M disbursements (load
 * ~9): without it 15.0 CPU s, with it 21.4-22.8 (docs/store.md).  The
 * 8-byte key is still in random order, but about a fifth of the pages.
 * Readers compare the id on each hit; ps_store_txn_profile_rehash()
 * fills the column of the rows already there.
 */
const char *const ps_schema_v19[] = {
    "ALTER TABLE transactions ADD COLUMN profile_hash INTEGER;",
    "DROP INDEX transactions_profile;",
    "CREATE INDEX transactions_profile_hash ON transactions(profile_hash)"
    "  WHERE profile_hash IS NOT NULL;",
    NULL};

/*
 * Version 20: each ledger account's balance, as debits_posted and
 * credits_posted, on a narrow row of its own keyed by the account's id
 * (issue 21, docs/store.md), filled here from the ledger's two kinds of
 * rows (the entries and the transfers transactions carry); an account
 * with no leg has no row (a balance of 0).  From then on a transaction's
 * legs are added once per account at its commit, after their trial
 * balance is checked (ledger.c, ps_store_balance_flush()); `payspool
 * ledger verify` compares the two.  A table of its own, not two columns
 * of ledger_accounts: a chunk of 50,000 disbursements touches ~40,000
 * customer accounts, and rewrote most of ledger_accounts' 675 pages (its
 * two UUIDs) at each commit: 1M disbursements took 27.0-27.4 s against
 * 19.6-19.9 without balances, and 20.5 s with this table (~110 pages).
 */
const char *const ps_schema_v20[] = {
    "CREATE TABLE ledger_balances (account INTEGER PRIMARY KEY,"
    "  debits_posted INTEGER NOT NULL DEFAULT 0,"
    "  credits_posted INTEGER NOT NULL DEFAULT 0);",
    "INSERT INTO ledger_balances (account, debits_posted, credits_posted)"
    "  SELECT account, sum(debit), sum(credit) FROM ("
    "    SELECT debit_account AS account, amount AS debit, 0 AS credit"
    "      FROM ledger_entries"
    "    UNION ALL SELECT credit_account, 0, amount FROM ledger_entries"
    "    UNION ALL SELECT debit_account, amount, 0 FROM transactions"
    "      WHERE debit_account IS NOT NULL"
    "    UNION ALL SELECT credit_account, 0, amount FROM transactions"
    "      WHERE credit_account IS NOT NULL) legs"
    "  GROUP BY account;",
    NULL};

/*
 * Version 21: the EWA counters every accepted disbursement changes
 * (amount_to_recover, period_disbursed, and the time they last changed)
 * on a narrow row of their own, ewa_counters, keyed by the profile's
 * ewa_profiles.seq (issue 21, docs/store.md).  The book writes each
 * dirty profile's row once per chunk, inside the chunk's transaction;
 * before, that write rewrote the wide ewa_profiles row (2,694 pages of
 * 16 KiB after 1M disbursements), the largest write left per chunk.
 * seq is a stable integer of the profile's own (the implicit rowid of a
 * table with a TEXT key can change under VACUUM), filled here from the
 * rowid; a new profile takes max(seq) + 1.  The two columns leave
 * ewa_profiles, so nothing can read a stale copy; ewa_profiles.updated_at
 * stays, the time its own columns last changed (ewa_counters.updated_at
 * is the profile's, every profile write touching it).  One transaction,
 * as every migration.
 */
const char *const ps_schema_v21[] = {
    "ALTER TABLE ewa_profiles ADD COLUMN seq INTEGER;",
    "UPDATE ewa_profiles SET seq = rowid;",
    "CREATE UNIQUE INDEX ewa_profiles_seq ON ewa_profiles(seq);",
    "CREATE TABLE ewa_counters (profile INTEGER PRIMARY KEY,"
    "  amount_to_recover INTEGER NOT NULL DEFAULT 0"
    "    CHECK (amount_to_recover >= 0),"
    "  period_disbursed INTEGER NOT NULL DEFAULT 0"
    "    CHECK (period_disbursed >= 0),"
    "  updated_at TEXT NOT NULL);",
    "INSERT INTO ewa_counters (profile, amount_to_recover, period_disbursed,"
    "  updated_at)"
    "  SELECT seq, amount_to_recover, period_disbursed, updated_at"
    "  FROM ewa_profiles ORDER BY seq;",
    "ALTER TABLE ewa_profiles DROP COLUMN amount_to_recover;",
    "ALTER TABLE ewa_profiles DROP COLUMN period_disbursed;",
    NULL};

/*
 * Version 22: a profile's transactions are a chain instead of an index
 * (issue 21: no per-record random-order index in the hot path).  Each
 * transaction of a profile carries profile_prev, the rowid of the
 * profile's transaction before it, and the profile's ewa_counters row
 * carries last_txn, the newest: the EWA book keeps the head in memory
 * and writes it with the counters once per chunk (ewabook.c), any other
 * creation reads and writes it (store/txn.c).  `ewa show`, the payment
 * page of `customer show` and the recovery debits in flight walk the
 * chain (PS_PROFILE_CHAIN, store_int.h): a few rowid lookups per
 * transaction of the profile.  Filled here from the rows already there
 * in rowid order; profile_hash and its index go.  Measured on 200,000
 * disbursements over 100,000 profiles: docs/benchmarks.md.  The chain
 * is by rowid, as the payouts' watermark: the database is never
 * VACUUMed (docs/store.md).
 */
const char *const ps_schema_v22[] = {
    "ALTER TABLE transactions ADD COLUMN profile_prev INTEGER;",
    "ALTER TABLE ewa_counters ADD COLUMN last_txn INTEGER;",
    "UPDATE transactions SET profile_prev = c.prev FROM"
    "  (SELECT rowid AS r, lag(rowid) OVER"
    "   (PARTITION BY profile_id ORDER BY rowid) AS prev"
    "   FROM transactions WHERE profile_id IS NOT NULL) c"
    "  WHERE transactions.rowid = c.r AND c.prev IS NOT NULL;",
    "UPDATE ewa_counters SET last_txn = m.last FROM"
    "  (SELECT p.seq AS seq, max(t.rowid) AS last"
    "   FROM transactions t JOIN ewa_profiles p ON p.id = t.profile_id"
    "   GROUP BY p.seq) m"
    "  WHERE ewa_counters.profile = m.seq;",
    "DROP INDEX transactions_profile_hash;",
    "ALTER TABLE transactions DROP COLUMN profile_hash;",
    NULL};

/*
 * Version 23: payouts and ACH cutoffs find new transfers by a row-id
 * watermark per business and rail (issue 21 (d), docs/store.md), not by
 * the index transactions_status (business_id, status, created_at),
 * which every disbursement wrote in random order at intake and which
 * nothing else needs: it goes.  outbound_marks holds, per business and
 * rail, the rowid of transactions below which no row is fresh (NEW, or
 * PENDING before its first attempt) on that rail, and that row's id (a
 * mark whose row changed id is not trusted: the next run scans from the
 * start).  A retry (PENDING after a provider error, attempts > 0) can
 * lie below the mark: the partial index transactions_retry finds it,
 * and holds only such rows (intake and a payout's moves never write
 * it).  No row is written here: the first payout or cutoff scans from
 * the start once and sets the mark.
 */
const char *const ps_schema_v23[] = {
    "CREATE TABLE outbound_marks ("
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  rail TEXT NOT NULL CHECK (rail = 'PUSH_TO_CARD' OR rail = 'ACH'),"
    "  last_seq INTEGER NOT NULL CHECK (last_seq >= 0),"
    "  last_id TEXT,"
    "  PRIMARY KEY (business_id, rail));",
    "CREATE INDEX transactions_retry ON transactions(business_id, rail)"
    "  WHERE status = 'PENDING' AND attempts > 0;",
    "DROP INDEX transactions_status;",
    NULL};

/*
 * Version 24 (issue 21 d): the running counters the daily
 * reconciliation reads for its `transactions` and `status_movements`
 * sections instead of grouping every row of the day (docs/store.md,
 * docs/reconciliation.md).  Per business, UTC day, kind, whether the
 * transaction has a profile, rail, type, from status, status and
 * currency: a count and the sums of amount and fee.  kind CREATED: the
 * transactions created on the day, by their status now (from_status
 * ''); kind MOVED: the status changes (history rows) of the day.  Kept
 * at each commit that creates a transaction or changes its status
 * (recon.c, ps_store_recon_count_*), in that commit; filled here from
 * the rows, as the definition reads them; `payspool ledger verify`
 * compares the two.  A key whose count went back to 0 keeps its row.
 *
 * And ledger_day_totals, the positions' and trial balance's counters:
 * per business, account kind, currency (the account's) and UTC day of
 * the leg's row, the number of ledger legs, their debits and credits
 * and how many are in another currency than their account, added at
 * the outermost commit with the balances (ps_store_recon_legs()).  The
 * positions at a day's boundaries, the trial balance and the EWA
 * receivable's balance are then sums over a few rows a day.
 */
const char *const ps_schema_v24[] = {
    "CREATE TABLE recon_counts ("
    "  business_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind = 'CREATED' OR kind = 'MOVED'),"
    "  profiled INTEGER NOT NULL CHECK (profiled = 0 OR profiled = 1),"
    "  rail TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  from_status TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  fee INTEGER NOT NULL,"
    "  PRIMARY KEY (business_id, day, kind, profiled, rail, type,"
    "    from_status, status, currency));",
    "INSERT INTO recon_counts (business_id, day, kind, profiled, rail, type,"
    "  from_status, status, currency, n, amount, fee)"
    "  SELECT business_id, substr(created_at, 1, 10), 'CREATED',"
    "  profile_id IS NOT NULL, rail, type, '', status, currency, count(*),"
    "  sum(amount), sum(fee) FROM transactions"
    "  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;",
    "INSERT INTO recon_counts (business_id, day, kind, profiled, rail, type,"
    "  from_status, status, currency, n, amount, fee)"
    "  SELECT t.business_id, substr(h.created_at, 1, 10), 'MOVED',"
    "  t.profile_id IS NOT NULL, t.rail, t.type, ifnull(h.from_status, ''),"
    "  h.to_status, t.currency, count(*), sum(t.amount), sum(t.fee)"
    "  FROM transaction_history h JOIN transactions t ON t.id = h.txn_id"
    "  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;",
    "CREATE TABLE ledger_day_totals ("
    "  business_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  legs INTEGER NOT NULL,"
    "  debits INTEGER NOT NULL,"
    "  credits INTEGER NOT NULL,"
    "  mismatched INTEGER NOT NULL,"
    "  PRIMARY KEY (business_id, kind, currency, day));",
    "INSERT INTO ledger_day_totals (business_id, kind, currency, day, legs,"
    "  debits, credits, mismatched)"
    "  SELECT a.business_id, a.kind, a.currency, l.day, count(*),"
    "  sum(l.debit), sum(l.credit), sum(l.currency <> a.currency) FROM ("
    "    SELECT debit_account AS account, substr(created_at, 1, 10) AS day,"
    "      amount AS debit, 0 AS credit, currency FROM ledger_entries"
    "    UNION ALL SELECT credit_account, substr(created_at, 1, 10), 0,"
    "      amount, currency FROM ledger_entries"
    "    UNION ALL SELECT debit_account, substr(created_at, 1, 10), amount,"
    "      0, currency FROM transactions WHERE debit_account IS NOT NULL"
    "    UNION ALL SELECT credit_account, substr(created_at, 1, 10), 0,"
    "      amount, currency FROM transactions"
    "      WHERE credit_account IS NOT NULL) l"
    "  JOIN ledger_accounts a ON a.id = l.account"
    "  GROUP BY 1, 2, 3, 4;",
    NULL};

/*
 * Version 25: a transaction's status event keeps no payload (issue 21's
 * nightly payouts: two events a payout line, 420 of each row's 650
 * bytes, and a JSON check of each).  Its row names the history row of
 * its change (history_id); the payload is made again whenever it is
 * read (store/linx.c, base/eventjson.c) from that history row and its
 * transaction, both immutable, byte for byte what was stored before.
 * Every other event keeps its payload.  The table is made again (a
 * CHECK and a NOT NULL change only so), rows and ids kept.
 */
const char *const ps_schema_v25[] = {
    "CREATE TABLE event_outbox_v25 ("
    "  id INTEGER PRIMARY KEY,"
    "  event_id TEXT NOT NULL UNIQUE,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  event_type TEXT NOT NULL,"
    "  entity_type TEXT NOT NULL CHECK (entity_type = 'CUSTOMER'"
    "    OR entity_type = 'ACCOUNT' OR entity_type = 'LINX'"
    "    OR entity_type = 'TRANSACTION' OR entity_type = 'EWA_PROFILE'),"
    "  entity_id TEXT NOT NULL,"
    "  customer_id TEXT,"
    "  payload TEXT CHECK (payload IS NULL OR json_valid(payload)),"
    "  delivery TEXT NOT NULL DEFAULT 'PENDING' CHECK (delivery = 'PENDING'"
    "    OR delivery = 'DELIVERED' OR delivery = 'DEAD'),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at TEXT, last_error TEXT,"
    "  created_at TEXT NOT NULL, delivered_at TEXT, written_at TEXT,"
    "  history_id INTEGER,"
    "  CHECK (payload IS NOT NULL OR (history_id IS NOT NULL"
    "    AND entity_type = 'TRANSACTION')));",
    "INSERT INTO event_outbox_v25(id, event_id, business_id, event_type,"
    "  entity_type, entity_id, customer_id, payload, delivery, attempts,"
    "  next_attempt_at, last_error, created_at, delivered_at, written_at)"
    "  SELECT id, event_id, business_id, event_type, entity_type, entity_id,"
    "  customer_id, payload, delivery, attempts, next_attempt_at,"
    "  last_error, created_at, delivered_at, written_at FROM event_outbox;",
    "DROP TABLE event_outbox;",
    "ALTER TABLE event_outbox_v25 RENAME TO event_outbox;",
    "CREATE INDEX event_outbox_unwritten ON event_outbox(business_id, id)"
    "  WHERE written_at IS NULL;",
    NULL};

/*
 * Version 26: iso_refs narrow (issue 19, "the same rate as the CSV").
 * A pain.001's transaction had a row of its txn id, business id, MsgId,
 * PmtInfId and EndToEndId in a rowid table with two indexes (its primary
 * key and the business) and two foreign keys: about 150 bytes and five
 * b-tree searches a payment.  Now the (business, MsgId, PmtInfId) is a
 * row of iso_msgs, once per payment information block, and iso_refs is
 * WITHOUT ROWID on the txn id with that row's number and the EndToEndId
 * (the transaction's parent key kept; the business is iso_msgs', which
 * like the unchained tables of version 9 has no REFERENCES: its writer
 * takes the business from the row it applies for).  The camt.054 reads
 * the same references through iso_msgs.  One transaction, like every
 * migration; every row is copied.
 */
const char *const ps_schema_v26[] = {
    "CREATE TABLE iso_msgs ("
    "  id INTEGER PRIMARY KEY,"
    "  business_id TEXT NOT NULL,"
    "  msg_id TEXT NOT NULL, pmt_inf_id TEXT NOT NULL,"
    "  UNIQUE (business_id, msg_id, pmt_inf_id));",
    "INSERT INTO iso_msgs(business_id, msg_id, pmt_inf_id)"
    "  SELECT business_id, msg_id, pmt_inf_id FROM iso_refs"
    "  GROUP BY business_id, msg_id, pmt_inf_id ORDER BY min(rowid);",
    "CREATE TABLE iso_refs_v26 ("
    "  txn_id TEXT PRIMARY KEY REFERENCES transactions(id),"
    "  msg INTEGER NOT NULL,"
    "  end_to_end_id TEXT NOT NULL) WITHOUT ROWID;",
    "INSERT INTO iso_refs_v26(txn_id, msg, end_to_end_id)"
    "  SELECT r.txn_id, m.id, r.end_to_end_id FROM iso_refs r"
    "  JOIN iso_msgs m ON m.business_id = r.business_id"
    "  AND m.msg_id = r.msg_id AND m.pmt_inf_id = r.pmt_inf_id"
    "  ORDER BY r.txn_id;",
    "DROP TABLE iso_refs;",
    "ALTER TABLE iso_refs_v26 RENAME TO iso_refs;",
    "CREATE INDEX iso_refs_msg ON iso_refs(msg);",
    NULL};

/*
 * v27 (issue 21): the range of ledger entry ids of each UTC day, so that
 * the camt.053's movements of a day are read within it rather than over
 * every entry of every day (recon.c, ps_store_recon_funding_moves()).
 * Kept at each commit from the entries it wrote (ps_store_recon_entry_day
 * via ps_store_ledger_entry_insert); a day's range may be wider than its
 * rows (ids of a rolled-back savepoint), never narrower: ledger verify
 * checks that each entry lies within its day's range.  Filled here from
 * the rows.
 */
const char *const ps_schema_v27[] = {
    "CREATE TABLE ledger_entry_days ("
    "  day TEXT PRIMARY KEY,"
    "  first_id INTEGER NOT NULL,"
    "  last_id INTEGER NOT NULL,"
    "  CHECK (first_id <= last_id)) WITHOUT ROWID;",
    "INSERT INTO ledger_entry_days (day, first_id, last_id)"
    "  SELECT substr(created_at, 1, 10), min(id), max(id) FROM ledger_entries"
    "  GROUP BY 1;",
    NULL};

/*
 * Version 28: each outbound payment file's items summed once, by
 * direction and currency (the Prometheus textfile's payout metrics).
 * The metrics tick joined every item ever written to its transaction,
 * each time: 2,000,000 items, 4.5 s of CPU a `run --once`, and more
 * every night.  A file's items commit with its output row and never
 * change, so the tick sums only the files not yet summed
 * (store/metrics.c) and reads the rest from here.  Filled by the first
 * tick, not here: the table may lag, never be wrong.
 */
const char *const ps_schema_v28[] = {
    "CREATE TABLE output_sums ("
    "  output_id TEXT NOT NULL,"
    "  direction TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  items INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  PRIMARY KEY (output_id, direction, currency)) WITHOUT ROWID;",
    NULL};

/*
 * Version 29 (issue 21, "a fee is a second transfer linked to it, written
 * only when non-zero"): an EWA disbursement's creation fee, Dr
 * EWA_RECEIVABLE F / Cr FEE_INCOME F, was a ledger_entries row (four
 * b-trees: the row, txn_id, debit, credit; 31% of the intake writer's
 * SQLite time).  It is now on the transaction row: fee_account is the
 * fee leg's credit account, its debit the row's debit_account, its
 * amount the row's fee; NULL when the fee is 0 (docs/store.md).  Each
 * creation fee entry is moved onto its row when it is that row's (memo
 * 'ewa fee', the row's fee, time, currency and debit account) and then
 * deleted.  The legs are the same accounts, amounts and days, so
 * ledger_balances, ledger_day_totals and recon_counts do not change;
 * ledger_entry_days keeps its ranges (a range may be wider than its
 * day's entries, never narrower).  The unwinding of a fee ("fee
 * unwound", by a status change) stays an entry.
 */
const char *const ps_schema_v29[] = {
    "ALTER TABLE transactions ADD COLUMN fee_account INTEGER;",
    "CREATE TABLE moved_v29 (txn_id TEXT PRIMARY KEY, entry_id INTEGER)"
    "  WITHOUT ROWID;",
    "INSERT INTO moved_v29 (txn_id, entry_id)"
    "  SELECT e.txn_id, min(e.id) FROM ledger_entries e"
    "  JOIN transactions t ON t.id = e.txn_id"
    "  WHERE e.memo = 'ewa fee' AND t.purpose = 'EWA_DISBURSEMENT'"
    "  AND t.fee <> 0 AND e.amount = t.fee AND e.created_at = t.created_at"
    "  AND e.currency = t.currency AND e.debit_account = t.debit_account"
    "  AND t.credit_account IS NOT NULL"
    "  GROUP BY e.txn_id;",
    "UPDATE transactions SET fee_account ="
    "  (SELECT e.credit_account FROM moved_v29 m"
    "   JOIN ledger_entries e ON e.id = m.entry_id"
    "   WHERE m.txn_id = transactions.id)"
    "  WHERE id IN (SELECT txn_id FROM moved_v29);",
    "DELETE FROM ledger_entries WHERE id IN"
    "  (SELECT entry_id FROM moved_v29);",
    "DROP TABLE moved_v29;",
    NULL};

/*
 * Version 30 (issue 21, session 28): transaction_history loses its index
 * on created_at.  Made by version 6 for the reconciliation's day of
 * status movements, it has had no reader since version 24: recon reads
 * the day's counters (recon_counts), `ledger verify` recomputes them in
 * one pass over every row, the returns have their own partial index
 * (transaction_history_returns, version 10) and a file's movements are
 * found through transaction_history_txn.  It was the third b-tree every
 * status change wrote (two a payout line, one an answer line): 21 MB of
 * a payout run's 278 MB at 198,600 lines.
 */
const char *const ps_schema_v30[] = {
    "DROP INDEX IF EXISTS transaction_history_created;",
    NULL};

/*
 * Version 31 (issues 19 and 21): the two rows a pain.001 writes per
 * payment beyond the CSV's, narrowed.
 *
 * record_keys was WITHOUT ROWID on (business_id, key) with the file id:
 * about 120 bytes a row, two 36-character ids each, and two foreign keys
 * looked up per row.  Now the business and the file are numbers, so a
 * row is the key's text and three small integers (about 35 bytes); the
 * primary key is still (business, key), so uniqueness is the text's and
 * keys that come in order (a file's record numbers, a pain.001's
 * EndToEndIds) are written at the b-tree's right edge.  (A keyed 64-bit
 * hash of the text as the key was measured and not kept: its random
 * order cost more than the wide row, docs/store.md.)
 *
 * The numbers: businesses.seq and files.seq, the row's rowid here, then
 * max + 1 on insert (business.c, file.c), like ewa_profiles.seq of
 * version 21: a column, so no VACUUM renumbers it.  A record key whose
 * business or file is not there fails the migration (NOT NULL).
 *
 * iso_refs is keyed by its transaction's rowid (INTEGER PRIMARY KEY;
 * the convention of profile_prev, schema 22: the database is never
 * VACUUMed) instead of its 36-character id, so the table and
 * iso_refs_msg (msg, rowid) grow at their right edge with integer keys;
 * end_to_end_id is NULL when it is the transaction's request id (a
 * pain.001's always is; the readers take ifnull(end_to_end_id,
 * request_id)).
 */
const char *const ps_schema_v31[] = {
    "ALTER TABLE businesses ADD COLUMN seq INTEGER;",
    "UPDATE businesses SET seq = rowid;",
    "CREATE UNIQUE INDEX businesses_seq ON businesses(seq);",
    "ALTER TABLE files ADD COLUMN seq INTEGER;",
    "UPDATE files SET seq = rowid;",
    "CREATE UNIQUE INDEX files_seq ON files(seq);",
    "CREATE TABLE record_keys_v31 ("
    "  business INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  file INTEGER NOT NULL,"
    "  record_no INTEGER NOT NULL,"
    "  PRIMARY KEY (business, key)) WITHOUT ROWID;",
    /* A business or file not there (version 30 had them as foreign
     * keys) fails the migration: NOT NULL. */
    "INSERT INTO record_keys_v31(business, key, file, record_no)"
    "  SELECT b.seq, r.key, f.seq, r.record_no FROM record_keys r"
    "  LEFT JOIN businesses b ON b.id = r.business_id"
    "  LEFT JOIN files f ON f.id = r.file_id ORDER BY 1, 2;",
    "DROP TABLE record_keys;",
    "ALTER TABLE record_keys_v31 RENAME TO record_keys;",
    "CREATE TABLE iso_refs_v31 ("
    "  txn INTEGER PRIMARY KEY,"
    "  msg INTEGER NOT NULL,"
    "  end_to_end_id TEXT);",
    "INSERT INTO iso_refs_v31(txn, msg, end_to_end_id)"
    "  SELECT t.rowid, r.msg, nullif(r.end_to_end_id, t.request_id)"
    "  FROM iso_refs r JOIN transactions t ON t.id = r.txn_id"
    "  ORDER BY t.rowid;",
    "DROP TABLE iso_refs;",
    "ALTER TABLE iso_refs_v31 RENAME TO iso_refs;",
    "CREATE INDEX iso_refs_msg ON iso_refs(msg);",
    NULL};

/*
 * Version 32: the provider answers' sums (the metrics' answers by status,
 * sched/metrics.c).  Each answer row adds its count and amount to its
 * business, status and transaction currency's row, at the commit that
 * writes it (provider.c), so that a metrics tick reads a row a key
 * instead of joining every answer ever received to its transaction.
 * Filled here from the answers so far.
 */
const char *const ps_schema_v32[] = {
    "CREATE TABLE answer_sums ("
    "  business_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  answers INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  PRIMARY KEY (business_id, status, currency)) WITHOUT ROWID;",
    "INSERT INTO answer_sums(business_id, status, currency, answers, amount)"
    "  SELECT a.business_id, a.status, t.currency, count(*), sum(a.amount)"
    "  FROM provider_answers a JOIN transactions t ON t.id = a.txn_id"
    "  GROUP BY 1, 2, 3;",
    NULL};

/*
 * Version 33 (issue 21's nightly payouts and answers): a transaction's
 * status event row keeps only what its history row cannot give: its
 * event id, its business (the outbox is read per business), its entity
 * type and its history row.  Its event type ('transaction.status'), its
 * entity id (the history row's txn_id), its customer (the transaction's)
 * and its time (the history row's) are NULL and made again when read
 * (store/linx.c): about 115 of the row's 300 bytes, twice a payout line
 * and once an answer line.  event_type NULL marks such a row.  The table
 * is made again (NOT NULL and CHECK change only so), rows and ids kept;
 * a status event is narrowed here only when all four agree with its
 * history row and transaction.
 *
 * And the ledger entries lose their two indexes by account (the debit
 * one, a settlement's customer, was written in random order): `ledger
 * verify` sums the entries in one pass like the transaction rows'
 * transfers, and the camt.053's funding movements read the day's range
 * of entry ids (schema 27).  And output_items' index by txn_id, which
 * no statement reads.
 */
const char *const ps_schema_v33[] = {
    "CREATE TABLE event_outbox_v33 ("
    "  id INTEGER PRIMARY KEY,"
    "  event_id TEXT NOT NULL UNIQUE,"
    "  business_id TEXT NOT NULL REFERENCES businesses(id),"
    "  event_type TEXT,"
    "  entity_type TEXT NOT NULL CHECK (entity_type = 'CUSTOMER'"
    "    OR entity_type = 'ACCOUNT' OR entity_type = 'LINX'"
    "    OR entity_type = 'TRANSACTION' OR entity_type = 'EWA_PROFILE'),"
    "  entity_id TEXT,"
    "  customer_id TEXT,"
    "  payload TEXT CHECK (payload IS NULL OR json_valid(payload)),"
    "  delivery TEXT NOT NULL DEFAULT 'PENDING' CHECK (delivery = 'PENDING'"
    "    OR delivery = 'DELIVERED' OR delivery = 'DEAD'),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at TEXT, last_error TEXT,"
    "  created_at TEXT, delivered_at TEXT, written_at TEXT,"
    "  history_id INTEGER,"
    "  CHECK (payload IS NOT NULL OR (history_id IS NOT NULL"
    "    AND entity_type = 'TRANSACTION')),"
    "  CHECK (event_type IS NOT NULL OR (payload IS NULL"
    "    AND entity_id IS NULL AND customer_id IS NULL"
    "    AND created_at IS NULL)),"
    "  CHECK (event_type IS NULL OR (entity_id IS NOT NULL"
    "    AND created_at IS NOT NULL)));",
    "INSERT INTO event_outbox_v33(id, event_id, business_id, event_type,"
    "  entity_type, entity_id, customer_id, payload, delivery, attempts,"
    "  next_attempt_at, last_error, created_at, delivered_at, written_at,"
    "  history_id)"
    "  SELECT id, event_id, business_id, iif(n, NULL, event_type),"
    "  entity_type, iif(n, NULL, entity_id), iif(n, NULL, customer_id),"
    "  payload, delivery, attempts, next_attempt_at, last_error,"
    "  iif(n, NULL, created_at), delivered_at, written_at, history_id"
    "  FROM (SELECT e.*, e.payload IS NULL AND t.id IS NOT NULL"
    "    AND e.entity_type = 'TRANSACTION'"
    "    AND e.event_type IS 'transaction.status' AND e.entity_id IS t.id"
    "    AND e.customer_id IS t.customer_id"
    "    AND e.created_at IS h.created_at AS n"
    "    FROM event_outbox e"
    "    LEFT JOIN transaction_history h ON h.id = e.history_id"
    "    LEFT JOIN transactions t ON t.id = h.txn_id)"
    "  ORDER BY id;",
    "DROP TABLE event_outbox;",
    "ALTER TABLE event_outbox_v33 RENAME TO event_outbox;",
    "CREATE INDEX event_outbox_unwritten ON event_outbox(business_id, id)"
    "  WHERE written_at IS NULL;",
    /* The ledger entries' indexes by account: each settlement (Dr the
     * customer, Cr FUNDING) wrote the debit one in random order.  No
     * reader needs them: `ledger verify` sums the entries in one pass
     * (verify.c), the camt.053 reads a day's range of ids (reconcamt.c),
     * the reconciliation its counters (schema 24). */
    "DROP INDEX ledger_entries_debit;",
    "DROP INDEX ledger_entries_credit;",
    /* output_items by txn_id (version 1's): no statement reads it (every
     * reader goes by output_id, the primary key's first column); a
     * payout line wrote its ~80-byte entry (the key and the primary
     * key, the table being WITHOUT ROWID). */
    "DROP INDEX output_items_txn;",
    NULL};
