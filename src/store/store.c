/*
 * store.c -- the SQLite store's connection: open (pragmas, then the
 * migrations of schema.c), close, the nesting of transactions into
 * savepoints, and the schema version.  The SQL of each area is in its
 * own file (business.c, customer.c, ...); what they share is in
 * store_int.h and sq.c.
 *
 * How it fails: opening gives PS_ESTORE (STORE_OPEN) when SQLite cannot
 * open the file, PS_EVERSION when the database is newer than this build,
 * PS_ENOMEM; other SQLite errors become PS_ESTORE, PS_EBUSY when the
 * database stays locked past the busy timeout.  A failed rollback is
 * logged, never returned.
 */

#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/schema.h"
#include "store/store_int.h"
#include "store/recon.h"

/* Rows created in [?1, ?2); NULL bounds: every row. */
#define ORPHAN_WHEN(x)                                                         \
    " AND (?1 IS NULL OR " x ".created_at >= ?1)"                              \
    " AND (?2 IS NULL OR " x ".created_at < ?2)"

#define ORPHAN_COUNT(label, table, x, cond)                                    \
    " SELECT '" label "', count(*) FROM " table " " x " WHERE " cond          \
    ORPHAN_WHEN(x)

#define FILE_COLS                                                              \
    "id, business_id, name, ifnull(member,''), doc_index, sha256, size,"       \
    " ifnull(format,''), status, ifnull(reason,''), records, accepted,"        \
    " rejected, duplicates, amount_accepted, ifnull(archive_path,''),"         \
    " ifnull(result_path,''), received_at, ifnull(completed_at,''),"           \
    " ifnull(currency,''), ifnull(options_used,'')"

/* The scheduler's runs and per-job state (tables of schema v2). */
#define JOB_RUN_COLS                                                           \
    "id, job, business_date, status, attempt, ifnull(rerun_reason,''),"        \
    " ifnull(error,''), ifnull(step,''), records, amount, ifnull(pid,0),"      \
    " started_at, ifnull(finished_at,'')"

/* A push-to-card send of business ?1, on an active account of an active
 * customer, both of that business.  PAYOUT_SELECT asks it of each due
 * status apart and merges the two, each read oldest first from
 * transactions_status: the LIMIT then stops both reads, where
 * "status IN (...)" sorted every due row. */
#define PAYOUT_DUE                                                             \
    " AND business_id = ?1 AND type = 'SEND' AND rail = 'PUSH_TO_CARD'"        \
    " AND EXISTS (SELECT 1 FROM financial_accounts a"                          \
    "   WHERE a.id = t.account_id AND a.business_id = ?1"                      \
    "   AND a.status = 'ACTIVE')"                                              \
    " AND EXISTS (SELECT 1 FROM customers c"                                   \
    "   WHERE c.id = t.customer_id AND c.business_id = ?1"                     \
    "   AND c.status = 'ACTIVE')"

/*
 * Reconciliation (issue 5): one statement per report section, with named
 * parameters (:business, :day, :next_day, :output) so that each can be run
 * as it is in the sqlite3 shell (README, "Daily reconciliation").  Days
 * are UTC: :day is 'YYYY-MM-DD' and every stored time is RFC 3339 UTC, so
 * "on the day" is created_at >= :day AND created_at < :next_day.
 */
#define RECON_PROGRAM_JOIN                                                     \
    " LEFT JOIN ewa_profiles p ON p.id = t.profile_id"                         \
    " LEFT JOIN ewa_programs g ON g.id = p.program_id"

#define RECON_OUTCOME                                                          \
    "CASE t.status WHEN 'APPROVED' THEN 'CONFIRMED'"                           \
    " WHEN 'SETTLED' THEN 'SETTLED' WHEN 'CLEARED' THEN 'SETTLED'"             \
    " WHEN 'DECLINED' THEN 'DECLINED' WHEN 'ERROR' THEN 'DECLINED'"            \
    " WHEN 'REVERSED' THEN 'RETURNED' WHEN 'PROCESSING' THEN 'AWAITING'"       \
    " WHEN 'CANCELLED' THEN 'CANCELLED' ELSE 'REQUEUED' END"

#define RECON_DIRECTION "CASE t.type WHEN 'SEND' THEN 'CREDIT' ELSE 'DEBIT' END"

/* The opening and closing position of each account kind, from one side
 * of the business's ledger entries (side "debit" or "credit", sign "" or
 * "-"): each side is summed on its own, then the two are added, so no
 * leg is ever stored (a CTE of both sides' legs was materialized: 1.5 GB
 * for 6,000,000 entries). */
#define POSITION_LEGS(side, sign)                                              \
    " SELECT a.kind, a.currency,"                                              \
    " sum(CASE WHEN e.created_at < :day THEN 1 ELSE 0 END) AS opening_legs,"   \
    " sum(CASE WHEN e.created_at < :day THEN " sign "e.amount ELSE 0 END)"     \
    " AS opening, count(*) AS closing_legs, sum(" sign "e.amount) AS closing"  \
    " FROM ledger_entries e JOIN ledger_accounts a"                            \
    " ON a.id = e." side "_account"                                            \
    " WHERE a.business_id = :business AND e.created_at < :next_day"            \
    " GROUP BY a.kind, a.currency"

#define STORE_STMTS(X)                                                         \
    X(TXN_INSERT,                                                              \
      "INSERT INTO transactions(id, business_id, customer_id, account_id,"     \
      " profile_id, type, rail, purpose, amount, fee, currency, status,"       \
      " request_id, trace_number, attempts, created_at, updated_at)"           \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")                           \
    X(TXN_GET, "SELECT " TXN_COLS " FROM transactions WHERE id = ?")           \
    X(TXN_GET_TRACE, "SELECT " TXN_COLS " FROM transactions"                   \
      " WHERE business_id = ? AND trace_number = ?")                           \
    X(TXN_GET_REQUEST, "SELECT " TXN_COLS " FROM transactions"                 \
                       " WHERE business_id = ? AND request_id = ?")            \
    X(TXN_UPDATE,                                                              \
      "UPDATE transactions SET status = ?3, attempts = ?4,"                    \
      " trace_number = ?5, updated_at = ?6 WHERE id = ?1 AND status = ?2")     \
    X(TXN_HISTORY_INSERT,                                                      \
      "INSERT INTO transaction_history(txn_id, from_status, to_status,"        \
      " event, reason, source_file, source_line, created_at, reason_code)"     \
      " VALUES (?,?,?,?,?,?,?,?,?)")                                           \
    X(TXN_HISTORY_LIST,                                                        \
      "SELECT ifnull(from_status,''), to_status, event, ifnull(reason,''),"    \
      " ifnull(source_file,''), ifnull(source_line,0), created_at,"            \
      " ifnull(reason_code,'')"                                                \
      " FROM transaction_history WHERE txn_id = ? ORDER BY id")                \
    X(TXN_COUNT_PROFILE,                                                       \
      "SELECT count(*) FROM transactions WHERE profile_id = ?"                 \
      " AND type = 'SEND'")                                                    \
    X(TXN_PAGE_PROFILE,                                                        \
      "SELECT " TXN_COLS " FROM transactions WHERE profile_id = ?"             \
      " AND type = 'SEND' ORDER BY created_at DESC, id DESC"                   \
      " LIMIT ? OFFSET ?")                                                     \
    X(LEDGER_ACCOUNT_GET,                                                      \
      "SELECT id FROM ledger_accounts WHERE business_id = ? AND kind = ?"      \
      " AND currency = ? AND ifnull(customer_id,'') = ifnull(?,'')")           \
    X(LEDGER_ACCOUNT_SCAN,                                                     \
      "SELECT id, kind, currency, customer_id FROM ledger_accounts"            \
      " WHERE business_id = ?")                                                \
    X(LEDGER_ACCOUNT_INSERT,                                                   \
      "INSERT INTO ledger_accounts(business_id, kind, currency,"               \
      " customer_id) VALUES (?,?,?,?)")                                        \
    X(LEDGER_ENTRY_INSERT,                                                     \
      "INSERT INTO ledger_entries(txn_id, reference, debit_account,"           \
      " credit_account, amount, currency, memo, created_at)"                   \
      " VALUES (?,?,?,?,?,?,?,?)")                                             \
    X(LEDGER_BALANCE,                                                          \
      "SELECT (SELECT ifnull(sum(amount),0) FROM ledger_entries"               \
      "        WHERE debit_account = ?1)"                                      \
      "     - (SELECT ifnull(sum(amount),0) FROM ledger_entries"               \
      "        WHERE credit_account = ?1)")                                    \
    X(LEDGER_KIND_BALANCE,                                                     \
      "SELECT ifnull(sum(CASE WHEN e.debit_account = a.id THEN e.amount"       \
      "                  ELSE -e.amount END), 0)"                              \
      " FROM ledger_accounts a JOIN ledger_entries e"                          \
      "   ON e.debit_account = a.id OR e.credit_account = a.id"                \
      " WHERE a.business_id = ? AND a.kind = ? AND a.currency = ?")            \
    X(ORPHANS,                                                                 \
      "WITH o(ref, n) AS ("                                                    \
      ORPHAN_COUNT("transactions.business_id", "transactions", "t",            \
                   "NOT EXISTS (SELECT 1 FROM businesses p"                    \
                   " WHERE p.id = t.business_id)")                             \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.customer_id", "transactions", "t",            \
                   "NOT EXISTS (SELECT 1 FROM customers p"                     \
                   " WHERE p.id = t.customer_id)")                             \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.account_id", "transactions", "t",             \
                   "NOT EXISTS (SELECT 1 FROM financial_accounts p"            \
                   " WHERE p.id = t.account_id)")                              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transactions.profile_id", "transactions", "t",             \
                   "t.profile_id IS NOT NULL AND NOT EXISTS (SELECT 1"         \
                   " FROM ewa_profiles p WHERE p.id = t.profile_id)")          \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("transaction_history.txn_id", "transaction_history", "h",   \
                   "NOT EXISTS (SELECT 1 FROM transactions p"                  \
                   " WHERE p.id = h.txn_id)")                                  \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.txn_id", "ledger_entries", "e",             \
                   "e.txn_id IS NOT NULL AND NOT EXISTS (SELECT 1"             \
                   " FROM transactions p WHERE p.id = e.txn_id)")              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.debit_account", "ledger_entries", "e",      \
                   "NOT EXISTS (SELECT 1 FROM ledger_accounts p"               \
                   " WHERE p.id = e.debit_account)")                           \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ledger_entries.credit_account", "ledger_entries", "e",     \
                   "NOT EXISTS (SELECT 1 FROM ledger_accounts p"               \
                   " WHERE p.id = e.credit_account)")                          \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("payroll_results.profile_id", "payroll_results", "r",       \
                   "NOT EXISTS (SELECT 1 FROM ewa_profiles p"                  \
                   " WHERE p.id = r.profile_id)")                              \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("payroll_results.file_id", "payroll_results", "r",          \
                   "r.file_id IS NOT NULL AND NOT EXISTS (SELECT 1"            \
                   " FROM files p WHERE p.id = r.file_id)")                    \
      " UNION ALL"                                                             \
      ORPHAN_COUNT("ewa_eligibility_history.profile_id",                       \
                   "ewa_eligibility_history", "h",                             \
                   "NOT EXISTS (SELECT 1 FROM ewa_profiles p"                  \
                   " WHERE p.id = h.profile_id)") ")"                          \
      " SELECT ifnull(sum(n), 0), ifnull(group_concat(ref || ' ' || n, ', ')," \
      " '') FROM o WHERE n > 0")                                               \
    X(TRIAL_BALANCE,                                                           \
      "WITH legs(account, debit, credit, currency) AS ("                       \
      "  SELECT debit_account, amount, 0, currency FROM ledger_entries"        \
      "  UNION ALL"                                                            \
      "  SELECT credit_account, 0, amount, currency FROM ledger_entries)"      \
      " SELECT a.currency, sum(l.debit), sum(l.credit),"                       \
      "  sum(l.debit) - sum(l.credit),"                                        \
      "  sum(l.currency <> a.currency)"                                        \
      " FROM legs l JOIN ledger_accounts a ON a.id = l.account"                \
      " WHERE ?1 IS NULL OR a.business_id = ?1"                                \
      " GROUP BY a.currency ORDER BY a.currency")                              \
    X(FILE_INSERT,                                                             \
      "INSERT INTO files(id, business_id, name, member, doc_index, sha256,"    \
      " size, format, status, reason, records, accepted, rejected,"            \
      " duplicates, amount_accepted, archive_path, result_path,"               \
      " received_at, completed_at, currency, options_used)"                    \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")                   \
    X(FILE_UPDATE,                                                             \
      "UPDATE files SET format = ?2, status = ?3, reason = ?4,"                \
      " records = ?5, accepted = ?6, rejected = ?7, duplicates = ?8,"          \
      " amount_accepted = ?9, archive_path = ?10, result_path = ?11,"          \
      " completed_at = ?12, currency = ?13 WHERE id = ?1")                     \
    X(FILE_GET, "SELECT " FILE_COLS " FROM files WHERE id = ?")                \
    X(FILES_BY_SHA,                                                            \
      "SELECT " FILE_COLS " FROM files WHERE business_id = ? AND"              \
      " sha256 = ? ORDER BY received_at, doc_index")                           \
    X(FILE_LIST,                                                               \
      "SELECT " FILE_COLS " FROM files WHERE ?1 IS NULL OR"                    \
      " business_id = ?1 ORDER BY received_at DESC, doc_index LIMIT ?2")       \
    X(CHECKPOINT_GET,                                                          \
      "SELECT byte_offset, record_no, result_offset, accepted, rejected,"      \
      " duplicates, amount_accepted FROM checkpoints WHERE file_id = ?")       \
    X(CHECKPOINT_PUT,                                                          \
      "INSERT INTO checkpoints(file_id, byte_offset, record_no,"               \
      " result_offset, accepted, rejected, duplicates, amount_accepted,"       \
      " updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(file_id) DO"        \
      " UPDATE SET byte_offset = excluded.byte_offset,"                        \
      " record_no = excluded.record_no,"                                       \
      " result_offset = excluded.result_offset,"                               \
      " accepted = excluded.accepted, rejected = excluded.rejected,"           \
      " duplicates = excluded.duplicates,"                                     \
      " amount_accepted = excluded.amount_accepted,"                           \
      " updated_at = excluded.updated_at")                                     \
    X(RESULT_INSERT,                                                           \
      "INSERT INTO record_results(file_id, record_no, line, reference,"        \
      " outcome, code, message, ids, amount) VALUES (?,?,?,?,?,?,?,?,?)")      \
    X(RESULT_LIST, "SELECT record_no, line, ifnull(reference,''), outcome,"    \
                   " ifnull(code,''), ifnull(message,''), ifnull(ids,''),"     \
                   " ifnull(amount,0) FROM record_results WHERE file_id = ?"   \
                   " ORDER BY record_no")                                      \
    X(RECORD_KEY_INSERT,                                                       \
      "INSERT INTO record_keys(business_id, key, file_id, record_no)"          \
      " VALUES (?,?,?,?)")                                                     \
    X(FILE_KEY_INSERT,                                                         \
      "INSERT INTO file_keys(business_id, kind, key, file_id)"                 \
      " VALUES (?,?,?,?)")                                                     \
    X(FILE_KEY_GET,                                                            \
      "SELECT file_id FROM file_keys WHERE business_id = ? AND kind = ?"       \
      " AND key = ?")                                                          \
    X(GUARD_TAKE,                                                              \
      "INSERT INTO engine_guard(id, pid, host, started_at)"                    \
      " VALUES (1,?,?,?) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid,"    \
      " host = excluded.host, started_at = excluded.started_at")               \
    X(GUARD_RELEASE, "DELETE FROM engine_guard WHERE id = 1 AND pid = ?")      \
    X(JOB_RUN_LATEST, "SELECT " JOB_RUN_COLS " FROM job_runs"                  \
                      " WHERE job = ? AND business_date = ?"                   \
                      " ORDER BY attempt DESC LIMIT 1")                        \
    X(JOB_RUN_INSERT,                                                          \
      "INSERT INTO job_runs(id, job, business_date, status, attempt,"          \
      " rerun_reason, error, step, records, amount, pid, started_at,"          \
      " finished_at) VALUES (?,?,?,?,?,nullif(?,''),nullif(?,''),"             \
      " nullif(?,''),?,?,?,?,nullif(?,''))")                                   \
    X(JOB_RUN_UPDATE,                                                          \
      "UPDATE job_runs SET status = ?2, error = nullif(?3,''),"                \
      " step = nullif(?4,''), records = ?5, amount = ?6,"                      \
      " finished_at = nullif(?7,'') WHERE id = ?1")                            \
    X(JOB_RUN_CRASHED,                                                         \
      "UPDATE job_runs SET status = 'FAILED', finished_at = ?1,"               \
      " error = 'interrupted: the engine stopped during step '"                \
      " || ifnull(step,'?') || ' (process ' || ifnull(pid,'?') || ')'"         \
      " WHERE status = 'RUNNING'")                                             \
    X(JOB_RUN_LIST, "SELECT " JOB_RUN_COLS " FROM job_runs"                    \
                    " WHERE ?1 = '' OR job = ?1"                               \
                    " ORDER BY started_at DESC, attempt DESC LIMIT ?2")        \
    X(JOB_STATE_GET, "SELECT ifnull(last_fired,''), ifnull(last_success,'')"   \
                     " FROM job_state WHERE job = ?")                          \
    X(JOB_STATE_SET,                                                           \
      "INSERT INTO job_state(job, last_fired, last_success)"                   \
      " VALUES (?1, nullif(?2,''), nullif(?3,''))"                             \
      " ON CONFLICT(job) DO UPDATE SET"                                        \
      " last_fired = ifnull(nullif(?2,''), last_fired),"                       \
      " last_success = ifnull(nullif(?3,''), last_success)")                   \
    X(PAYOUT_SELECT,                                                           \
      "SELECT " TXN_COLS " FROM transactions t WHERE status = 'NEW'"           \
      PAYOUT_DUE " UNION ALL"                                                  \
      " SELECT " TXN_COLS " FROM transactions t WHERE status = 'PENDING'"      \
      PAYOUT_DUE " ORDER BY created_at, id LIMIT ?2")                          \
    X(ACH_SELECT,                                                              \
      "SELECT " TXN_COLS " FROM transactions t"                                \
      " WHERE business_id = ?1 AND rail = 'ACH'"                               \
      " AND (status = 'NEW' OR status = 'PENDING')"                            \
      " AND account_id IN (SELECT id FROM financial_accounts"                  \
      "   WHERE business_id = ?1 AND status = 'ACTIVE'"                        \
      "   AND kind = 'EXTERNAL_BANK')"                                         \
      " AND customer_id IN (SELECT id FROM customers"                          \
      "   WHERE business_id = ?1 AND status = 'ACTIVE')"                       \
      " AND (type = 'SEND' OR EXISTS (SELECT 1 FROM debit_authorizations d"    \
      "   WHERE d.account_id = t.account_id AND d.status = 'ACTIVE'))"         \
      " ORDER BY created_at, id")                                              \
    X(ACH_TRACE_MAX,                                                           \
      "SELECT ifnull(max(CAST(substr(trace_number, 9) AS INTEGER)), 0)"        \
      " FROM transactions WHERE business_id = ? AND rail = 'ACH'"              \
      " AND substr(trace_number, 1, 8) = ?")                                   \
    X(OUTPUT_NEXT_SEQ,                                                         \
      "SELECT ifnull(max(seq), 0) + 1 FROM outputs"                            \
      " WHERE business_id = ? AND kind = ? AND business_date = ?")             \
    X(OUTPUT_INSERT,                                                           \
      "INSERT INTO outputs(id, business_id, kind, business_date, seq, path,"   \
      " sha256, records, debit_total, credit_total, file_key, created_at,"     \
      " detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")                           \
    X(OUTPUT_ITEM_INSERT,                                                      \
      "INSERT INTO output_items(output_id, txn_id, line, attempt,"             \
      " holder_name, detail) VALUES (?,?,?,?,?,?)")                            \
    X(OUTPUT_LIST,                                                             \
      "SELECT id, business_id, kind, business_date, seq, path,"                \
      " ifnull(sha256,''), records, debit_total, credit_total, created_at,"    \
      " ifnull(file_key,''), ifnull(detail,'')"                                \
      " FROM outputs WHERE business_id = ? AND kind = ?"                       \
      " ORDER BY business_date, seq")                                          \
    X(OUTPUT_ITEMS,                                                            \
      "SELECT i.txn_id, ifnull(i.line, 0), ifnull(i.attempt, 0),"              \
      " ifnull(i.holder_name, ''), t.account_id, t.amount, t.currency,"        \
      " ifnull(i.detail, '')"                                                  \
      " FROM output_items i JOIN transactions t ON t.id = i.txn_id"            \
      " WHERE i.output_id = ? ORDER BY i.line")                                \
    X(ANSWER_INSERT,                                                           \
      "INSERT INTO provider_answers(txn_id, attempt, status, business_id,"     \
      " reason_code, message, settlement_date, amount, source_file,"           \
      " source_line, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")              \
    X(RECON_TXNS,                                                              \
      "SELECT ifnull(g.name, '') AS program, t.rail, t.type, t.status,"        \
      " t.currency, count(*) AS n, sum(t.amount) AS amount,"                   \
      " sum(t.fee) AS fee"                                                     \
      " FROM transactions t" RECON_PROGRAM_JOIN                                \
      " WHERE t.business_id = :business"                                       \
      " AND t.created_at >= :day AND t.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")                        \
    X(RECON_MOVES,                                                             \
      "SELECT ifnull(g.name, '') AS program, t.rail, t.type,"                  \
      " ifnull(h.from_status, '') AS from_status, h.to_status, t.currency,"    \
      " count(*) AS n, sum(t.amount) AS amount, sum(t.fee) AS fee"             \
      " FROM transaction_history h JOIN transactions t ON t.id = h.txn_id"     \
      RECON_PROGRAM_JOIN                                                       \
      " WHERE t.business_id = :business"                                       \
      " AND h.created_at >= :day AND h.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6")                  \
    X(RECON_POSITIONS,                                                         \
      "SELECT kind, currency, sum(opening_legs) AS opening_legs,"              \
      " sum(opening) AS opening, sum(closing_legs) AS closing_legs,"           \
      " sum(closing) AS closing FROM ("                                        \
      POSITION_LEGS("debit", "") " UNION ALL"                                  \
      POSITION_LEGS("credit", "-")                                             \
      ") GROUP BY kind, currency ORDER BY kind, currency")                     \
    X(RECON_FILES,                                                             \
      "SELECT o.id, o.kind, o.business_date, o.path,"                          \
      " ifnull((SELECT min(t.currency) FROM output_items i"                    \
      " JOIN transactions t ON t.id = i.txn_id WHERE i.output_id = o.id),"     \
      " '') AS currency, o.seq, o.records, o.credit_total, o.debit_total"      \
      " FROM outputs o WHERE o.business_id = :business"                        \
      " AND o.kind IN ('PUSH_TO_CARD', 'NACHA')"                               \
      " AND o.business_date <= :day AND (o.business_date = :day"               \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transactions t ON t.id = i.txn_id WHERE i.output_id = o.id"       \
      " AND t.status IN ('NEW', 'PENDING', 'PROCESSING', 'APPROVED'))"         \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transaction_history h ON h.txn_id = i.txn_id"                     \
      " WHERE i.output_id = o.id"                                              \
      " AND h.created_at >= :day AND h.created_at < :next_day))"               \
      " ORDER BY o.business_date, o.kind, o.seq")                              \
    X(RECON_FILE_ITEMS,                                                        \
      "SELECT " RECON_DIRECTION " AS direction, " RECON_OUTCOME " AS outcome," \
      " t.currency, count(*) AS n, sum(t.amount) AS amount"                    \
      " FROM output_items i JOIN transactions t ON t.id = i.txn_id"            \
      " WHERE i.output_id = :output AND t.business_id = :business"             \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")                                    \
    X(RECON_UNKNOWN_REFS,                                                      \
      "SELECT f.name, ifnull(r.reference, '') AS reference,"                   \
      " ifnull(f.currency, '') AS currency, r.line, ifnull(r.amount, 0)"       \
      " AS amount FROM record_results r JOIN files f ON f.id = r.file_id"      \
      " WHERE f.business_id = :business AND r.code = 'UNKNOWN_REFERENCE'"      \
      " AND f.received_at >= :day AND f.received_at < :next_day"               \
      " ORDER BY f.received_at, f.name, r.record_no")                          \
    X(RECON_OPEN_ITEMS,                                                        \
      "SELECT o.path, o.business_date, t.id, t.rail, " RECON_DIRECTION         \
      " AS direction, t.status, t.currency, t.amount"                          \
      " FROM outputs o JOIN output_items i ON i.output_id = o.id"              \
      " JOIN transactions t ON t.id = i.txn_id"                                \
      " WHERE o.business_id = :business"                                       \
      " AND o.kind IN ('PUSH_TO_CARD', 'NACHA') AND o.business_date <= :day"   \
      " AND t.status IN ('PROCESSING', 'APPROVED')"                            \
      " ORDER BY o.business_date, o.kind, o.seq, t.id")                        \
    X(RECON_EWA_AGING,                                                         \
      "WITH o AS (SELECT p.id, p.eligibility_status AS eligibility,"           \
      " g.currency, p.amount_to_recover AS owed, p.created_at"                 \
      " FROM ewa_profiles p JOIN ewa_programs g ON g.id = p.program_id"        \
      " WHERE p.business_id = :business AND p.amount_to_recover > 0),"         \
      " d AS (SELECT o.id, o.eligibility, o.currency, o.owed, t.created_at,"   \
      " sum(t.amount + t.fee) OVER (PARTITION BY o.id"                         \
      " ORDER BY t.created_at DESC, t.id DESC ROWS UNBOUNDED PRECEDING)"       \
      " AS newer_owed FROM o JOIN transactions t ON t.profile_id = o.id"       \
      " WHERE t.business_id = :business AND t.type = 'SEND'"                   \
      " AND t.purpose = 'EWA_DISBURSEMENT'"                                    \
      " AND t.status NOT IN ('CANCELLED', 'DECLINED', 'ERROR', 'REVERSED')),"  \
      " since AS (SELECT eligibility, currency, owed, coalesce("               \
      " max(CASE WHEN newer_owed >= owed THEN created_at END),"                \
      " min(created_at)) AS since FROM d GROUP BY id"                          \
      " UNION ALL"                                                             \
      " SELECT eligibility, currency, owed, created_at FROM o"                 \
      " WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.id = o.id)),"                \
      " a AS (SELECT eligibility, currency, owed,"                             \
      " max(0, CAST(julianday(:day) - julianday(substr(since, 1, 10))"         \
      " AS INTEGER)) AS age FROM since)"                                       \
      " SELECT eligibility, CASE WHEN age <= 7 THEN '0-7'"                     \
      " WHEN age <= 14 THEN '8-14' WHEN age <= 30 THEN '15-30'"                \
      " WHEN age <= 60 THEN '31-60' ELSE '>60' END AS bucket, currency,"       \
      " count(*) AS n, sum(owed) AS amount"                                    \
      " FROM a GROUP BY 1, 2, 3 ORDER BY 1, min(age), 3")                      \
    X(RECON_EWA_CHECK,                                                         \
      "WITH x(currency, profile, owed, ledger) AS ("                           \
      " SELECT g.currency, p.amount_to_recover > 0, p.amount_to_recover, 0"    \
      " FROM ewa_profiles p JOIN ewa_programs g ON g.id = p.program_id"        \
      " WHERE p.business_id = :business"                                       \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, e.amount FROM ledger_accounts a"              \
      " JOIN ledger_entries e ON e.debit_account = a.id"                       \
      " WHERE a.business_id = :business AND a.kind = 'EWA_RECEIVABLE'"         \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, -e.amount FROM ledger_accounts a"             \
      " JOIN ledger_entries e ON e.credit_account = a.id"                      \
      " WHERE a.business_id = :business AND a.kind = 'EWA_RECEIVABLE')"        \
      " SELECT currency, sum(profile) AS profiles, sum(owed) AS owed,"         \
      " sum(ledger) AS ledger FROM x GROUP BY currency ORDER BY currency")     \
    X(RECON_ACH_RETURNS,                                                       \
      "SELECT " RECON_DIRECTION " AS direction, h.reason_code, t.currency,"    \
      " count(*) AS n, sum(t.amount) AS amount"                                \
      " FROM transaction_history h INDEXED BY transaction_history_returns"     \
      " JOIN transactions t ON t.id = h.txn_id"                                \
      " WHERE t.business_id = :business AND h.reason_code IS NOT NULL"         \
      " AND h.created_at >= :day AND h.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")                                    \
    X(RECON_ACH_NOCS,                                                          \
      "SELECT c.change_code, CASE c.refused WHEN 1 THEN 'REFUSED'"             \
      " ELSE 'RECEIVED' END AS status, count(*) AS n"                          \
      " FROM account_changes c WHERE c.business_id = :business"                \
      " AND c.created_at >= :day AND c.created_at < :next_day"                 \
      " GROUP BY 1, 2 ORDER BY 1, 2")                                          \
    X(RECON_ACH_RATES,                                                         \
      "WITH entries AS (SELECT count(*) AS n FROM outputs o"                   \
      " JOIN output_items i ON i.output_id = o.id"                             \
      " JOIN transactions t ON t.id = i.txn_id"                                \
      " WHERE o.business_id = :business AND o.kind = 'NACHA'"                  \
      " AND o.business_date >= :window_start AND o.business_date <= :day"      \
      " AND t.type = 'DEBIT'),"                                                \
      " returned AS (SELECT h.reason_code AS code"                             \
      " FROM transaction_history h INDEXED BY transaction_history_returns"     \
      " JOIN transactions t ON t.id = h.txn_id"                                \
      " WHERE t.business_id = :business AND t.type = 'DEBIT'"                  \
      " AND t.rail = 'ACH' AND h.reason_code IS NOT NULL"                      \
      " AND h.created_at >= :window_start AND h.created_at < :next_day),"      \
      " rates(category, threshold_bp, codes) AS (VALUES"                       \
      " ('UNAUTHORIZED', 50, 'R05 R07 R10 R11 R29 R51'),"                      \
      " ('ADMINISTRATIVE', 300, 'R02 R03 R04'), ('OVERALL', 1500, ''))"        \
      " SELECT r.category, r.threshold_bp, r.codes,"                           \
      " (SELECT n FROM entries) AS entries,"                                   \
      " (SELECT count(*) FROM returned x"                                      \
      " WHERE r.codes = '' OR instr(r.codes, x.code) > 0) AS returns"          \
      " FROM rates r ORDER BY r.threshold_bp")                                 \
    X(RECON_NEXT_SEQ,                                                          \
      "SELECT ifnull(max(seq), 0) + 1 FROM outputs"                            \
      " WHERE business_id = :business AND kind = 'RECON'"                      \
      " AND business_date = :day")                                             \
    X(RECON_OUTPUT_INSERT,                                                     \
      "INSERT INTO outputs(id, business_id, kind, business_date, seq, path,"   \
      " sha256, records, debit_total, credit_total, created_at)"               \
      " VALUES (?1, ?2, 'RECON', ?3, ?4, ?5, ?6, ?7, 0, 0, ?8)")

PS_SQ_AREA(PS_SQ_AREA_STORE, STORE_STMTS)

static int read_version(struct ps_store *s, int *version, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'", -1,
        &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    int exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    if (!exists) {
        *version = 0;
        return 0;
    }
    rc = sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "read schema version", err);
    rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ps_sq_error(s, rc, "read schema version", err);
    return 0;
}

/* Identifier characters of our schema's column names. */
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

char *ps_store_rewrite_in_lists(const char *sql)
{
    size_t len = strlen(sql), cap = len * 4 + 64, o = 0;
    char *out = malloc(cap);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        /* " IN", any spaces, "(": the schema's lists are written both
         * "IN (" and, where a line was wrapped, "IN    (". */
        const char *in = strstr(p, " IN");
        if (in == NULL)
            break;
        const char *open = in + 3;
        while (*open == ' ')
            open++;
        if (*open != '(') {
            size_t k = (size_t)(in + 3 - p);
            memcpy(out + o, p, k);
            o += k;
            p = in + 3;
            continue;
        }
        const char *id = in;
        while (id > p && ident_char(id[-1]))
            id--;
        /* Parse the list: only plain single-quoted literals. */
        const char *q = open + 1, *lit[64];
        size_t litlen[64], n = 0;
        int ok = id < in;
        while (ok) {
            while (*q == ' ')
                q++;
            if (*q != '\'' || n == 64) {
                ok = 0;
                break;
            }
            const char *end = strchr(q + 1, '\'');
            if (end == NULL || end[1] == '\'') {
                ok = 0;
                break;
            }
            lit[n] = q + 1;
            litlen[n++] = (size_t)(end - q - 1);
            q = end + 1;
            while (*q == ' ')
                q++;
            if (*q == ',') {
                q++;
                continue;
            }
            ok = *q == ')';
            break;
        }
        if (!ok || n <= 2) {
            /* Not ours, or cheap already: copy through the "(". */
            size_t k = (size_t)(open + 1 - p);
            memcpy(out + o, p, k);
            o += k;
            p = open + 1;
            continue;
        }
        size_t k = (size_t)(id - p), idlen = (size_t)(in - id);
        size_t need = k + 2 + n * (idlen + 12) + (size_t)(q - in) * 2;
        if (o + need + (len - (size_t)(q + 1 - sql)) + 1 > cap) {
            cap = (o + need + len) * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + o, p, k);
        o += k;
        out[o++] = '(';
        for (size_t i = 0; i < n; i++) {
            int w = snprintf(out + o, cap - o, "%s%.*s = '%.*s'",
                             i ? " OR " : "", (int)idlen, id, (int)litlen[i],
                             lit[i]);
            if (w < 0 || (size_t)w >= cap - o) { /* sized above: never */
                free(out);
                return NULL;
            }
            o += (size_t)w;
        }
        out[o++] = ')';
        p = q + 1;
    }
    size_t rest = strlen(p);
    if (o + rest + 1 > cap) {
        char *grown = realloc(out, o + rest + 1);
        if (grown == NULL) {
            free(out);
            return NULL;
        }
        out = grown;
    }
    memcpy(out + o, p, rest + 1);
    return out;
}

char *ps_store_strip_references(const char *sql)
{
    size_t len = strlen(sql), o = 0;
    char *out = malloc(len + 1);
    const char *p = sql;
    if (out == NULL)
        return NULL;
    while (*p != '\0') {
        const char *r = strstr(p, " REFERENCES ");
        if (r == NULL)
            break;
        /* " REFERENCES", the parent's name, "(", its column, ")". */
        const char *q = r + 12, *name = q;
        while (ident_char(*q))
            q++;
        int ok = q > name && *q == '(';
        const char *col = q + 1;
        if (ok) {
            for (q = col; ident_char(*q); q++)
                ;
            ok = q > col && *q == ')';
        }
        size_t k = (size_t)(r - p);
        memcpy(out + o, p, k);
        o += k;
        if (ok) {
            p = q + 1; /* dropped */
        } else {
            memcpy(out + o, r, 11); /* not a clause of ours: keep it */
            o += 11;
            p = r + 11;
        }
    }
    size_t rest = strlen(p);
    memcpy(out + o, p, rest + 1);
    return out;
}

/*
 * Rewrite the stored CREATE TABLE text of the tables `which` selects
 * (a condition on sqlite_schema's name and sql) with fn, inside the
 * migration's transaction.  Only constraints change, never the file
 * format: SQLite's documented writable_schema procedure.
 */
static int rewrite_tables(struct ps_store *s, const char *which,
                          char *(*fn)(const char *), struct ps_err *err)
{
    sqlite3_stmt *list = NULL, *upd = NULL;
    int rc, version = 0, changed = 0;
    if ((rc = ps_sq_exec_sql(s, "PRAGMA writable_schema = ON", err)) != 0)
        goto out;
    char select[256];
    snprintf(select, sizeof(select),
             "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
             " AND (%s)",
             which);
    rc = sqlite3_prepare_v2(s->db, select, -1, &list, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE sqlite_schema SET sql = ?1 WHERE"
                                " type = 'table' AND name = ?2",
                                -1, &upd, NULL);
    if (rc != SQLITE_OK) {
        rc = ps_sq_error(s, rc, "prepare the constraint rewrite", err);
        goto off;
    }
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(list, 0);
        const char *sql = (const char *)sqlite3_column_text(list, 1);
        char *fast = fn(sql);
        if (fast == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto off;
        }
        if (strcmp(fast, sql) != 0) {
            sqlite3_bind_text(upd, 1, fast, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(upd, 2, name, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(upd);
            sqlite3_reset(upd);
            if (rc != SQLITE_DONE) {
                free(fast);
                rc = ps_sq_error(s, rc, "rewrite a table's constraints", err);
                goto off;
            }
            changed++;
        }
        free(fast);
    }
    if (rc != SQLITE_DONE) {
        rc = ps_sq_error(s, rc, "list tables", err);
        goto off;
    }
    rc = 0;
    if (changed > 0) {
        /* Other connections must reload the schema. */
        char sql[64];
        sqlite3_stmt *v = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA schema_version", -1, &v,
                               NULL) == SQLITE_OK &&
            sqlite3_step(v) == SQLITE_ROW)
            version = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
        snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", version + 1);
        rc = ps_sq_exec_sql(s, sql, err);
    }
off:
    if (ps_sq_exec_sql(s, "PRAGMA writable_schema = OFF", rc == 0 ? err : NULL) !=
            0 &&
        rc == 0)
        rc = PS_ESTORE;
out:
    sqlite3_finalize(list);
    sqlite3_finalize(upd);
    return rc;
}

/*
 * Bring the database to `target`, one migration per transaction, so a
 * crash mid-way leaves a consistent older version that the next open
 * continues from.
 */
static int migrate(struct ps_store *s, const char *path, int target,
                   struct ps_err *err)
{
    int version = 0;
    int rc = ps_sq_exec_sql(s,
                      "CREATE TABLE IF NOT EXISTS schema_version ("
                      " version INTEGER PRIMARY KEY,"
                      " applied_at TEXT NOT NULL)",
                      err);
    if (rc != 0)
        return rc;
    if ((rc = read_version(s, &version, err)) != 0)
        return rc;
    if (version > PS_SCHEMA_VERSION)
        return ps_err_set(err, PS_EVERSION, "SCHEMA_TOO_NEW",
                          "database %s has schema version %d, newer than the "
                          "%d this payspool %s knows; upgrade payspool",
                          path, version, PS_SCHEMA_VERSION, PS_VERSION);
    while (version < target) {
        char now[PS_TIME_SIZE];
        char sql[128];
        if ((rc = ps_sq_exec_sql(s, "BEGIN IMMEDIATE", err)) != 0)
            return rc;
        for (const char *const *sql_ = ps_schema_migrations[version];
             rc == 0 && *sql_ != NULL; sql_++)
            rc = ps_sq_exec_sql(s, *sql_, err);
        if (rc == 0 && (version + 1 == PS_SCHEMA_REWRITE_CHECKS ||
                        version + 1 == PS_SCHEMA_REWRITE_CHECKS_AGAIN))
            rc = rewrite_tables(s, "sql LIKE '% IN %(%'",
                                ps_store_rewrite_in_lists, err);
        if (rc == 0 && version + 1 == PS_SCHEMA_UNCHAINED)
            rc = rewrite_tables(s, PS_SCHEMA_UNCHAINED_TABLES,
                                ps_store_strip_references, err);
        if (rc == 0) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO schema_version VALUES (%d, '%s')",
                     version + 1, ps_time_now(now));
            rc = ps_sq_exec_sql(s, sql, err);
        }
        if (rc == 0)
            rc = ps_sq_exec_sql(s, "COMMIT", err);
        if (rc != 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        version++;
        ps_log(PS_LOG_INFO, "store.migrated", "{s:s, s:i}", "db", path,
               "version", version);
    }
    return 0;
}

/*
 * Once per process, before the first connection: no memory statistics.
 * With them on, every sqlite3_malloc and sqlite3_free takes a global
 * mutex to count bytes, a few percent of a disbursement file's time;
 * payspool never reads them.  Failing (the library was initialized by
 * someone else first) only leaves them on.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ps_store_open_version(const char *path, int version, struct ps_store **out,
                          struct ps_err *err)
{
    struct ps_store *s = calloc(1, sizeof(*s));
    int rc;
    if (s == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (version <= 0 || version > PS_SCHEMA_VERSION)
        version = PS_SCHEMA_VERSION;
    pthread_once(&sqlite_once, sqlite_setup);
    /* NOMUTEX: a store belongs to the thread that opened it (payspool
     * runs one), so SQLite's per-connection mutex is pure cost, taken
     * and dropped on every API call. */
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        if (s->db != NULL)
            rc = ps_err_set(err, PS_ESTORE, "STORE_OPEN",
                            "cannot open database %s: %s", path,
                            sqlite3_errmsg(s->db));
        else
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* A writer waits for the engine's chunk in progress to commit: a
     * 50,000-record chunk holds the write lock for 3-5 s on a large
     * database, and an operator's `payspool business add` during a run
     * must wait it out, not fail. */
    sqlite3_busy_timeout(s->db, 30000);
    /* WAL: readers never block the writer.  synchronous=FULL: a commit
     * that returned is on disk, because outputs are written after it.
     * temp_store=FILE: SQLite has no hash aggregate, so every GROUP BY
     * sorts its input rows; in memory, the reconciliation's day of
     * 4,000,000 status movements took 913 MB, spilled to a temporary
     * file 138 MB (and ran faster). */
    if ((rc = ps_sq_exec_sql(s,
                       "PRAGMA journal_mode = WAL;"
                       "PRAGMA synchronous = FULL;"
                       "PRAGMA foreign_keys = ON;"
                       "PRAGMA cache_size = -65536;"
                       "PRAGMA temp_store = FILE;",
                       err)) != 0)
        goto fail;
    if ((rc = migrate(s, path, version, err)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    ps_store_close(s);
    return rc;
}

int ps_store_open(const char *path, struct ps_store **out, struct ps_err *err)
{
    return ps_store_open_version(path, 0, out, err);
}

void ps_store_close(struct ps_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < PS_SQ_SLOTS; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    free(s->accts);
    free(s);
}

int ps_store_version(struct ps_store *s)
{
    int v = 0;
    if (read_version(s, &v, NULL) != 0)
        return -1;
    return v;
}

int ps_store_latest_version(void)
{
    return PS_SCHEMA_VERSION;
}

static int begin(struct ps_store *s, const char *first, struct ps_err *err)
{
    char sql[40];
    if (s->depth == 0)
        snprintf(sql, sizeof(sql), "%s", first);
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", s->depth);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0)
        s->depth++;
    return rc;
}

int ps_store_begin(struct ps_store *s, struct ps_err *err)
{
    return begin(s, "BEGIN IMMEDIATE", err);
}

int ps_store_begin_read(struct ps_store *s, struct ps_err *err)
{
    return begin(s, "BEGIN DEFERRED", err);
}

int ps_store_commit(struct ps_store *s, struct ps_err *err)
{
    char sql[40];
    if (PS_NEVER(s->depth <= 0))
        return ps_err_set(err, PS_EINTERNAL, "NO_TRANSACTION",
                          "commit without begin");
    if (s->depth == 1)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE sp%d", s->depth - 1);
    int rc = ps_sq_exec_sql(s, sql, err);
    if (rc == 0) {
        s->depth--;
        /* Released into the savepoint around it (or committed). */
        if (s->acct_depth > s->depth)
            s->acct_depth = s->depth;
    }
    return rc;
}

void ps_store_rollback(struct ps_store *s)
{
    char sql[64];
    if (s->depth <= 0)
        return;
    if (s->depth == 1)
        snprintf(sql, sizeof(sql), "ROLLBACK");
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO sp%d; RELEASE sp%d",
                 s->depth - 1, s->depth - 1);
    if (s->acct_depth >= s->depth && s->naccts > 0) {
        memset(s->accts, 0, s->acctcap * sizeof(*s->accts));
        s->naccts = 0;
        s->acct_depth = 0;
    }
    s->depth--;
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        ps_log(PS_LOG_ERROR, "store.rollback_failed", "{s:s}", "error",
               sqlite3_errmsg(s->db));
}

void ps_store_txn_read(sqlite3_stmt *st, struct ps_txn *t)
{
    COL_STR(st, 0, t->id);
    COL_STR(st, 1, t->business_id);
    COL_STR(st, 2, t->customer_id);
    COL_STR(st, 3, t->account_id);
    COL_STR(st, 4, t->profile_id);
    t->type = (enum ps_txn_type)ps_sq_col_enum(st, 5, PS_NAMES_TXN_TYPE);
    t->rail = (enum ps_rail)ps_sq_col_enum(st, 6, PS_NAMES_RAIL);
    t->purpose = (enum ps_purpose)ps_sq_col_enum(st, 7, PS_NAMES_PURPOSE);
    t->amount = sqlite3_column_int64(st, 8);
    t->fee = sqlite3_column_int64(st, 9);
    COL_STR(st, 10, t->currency);
    t->status = (enum ps_txn_status)ps_sq_col_enum(st, 11, PS_NAMES_TXN_STATUS);
    COL_STR(st, 12, t->request_id);
    COL_STR(st, 13, t->trace_number);
    t->attempts = sqlite3_column_int(st, 14);
    COL_STR(st, 15, t->created_at);
    COL_STR(st, 16, t->updated_at);
}

int ps_store_txn_insert(struct ps_store *s, const struct ps_txn *t,
                        struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, t->id);
    BIND(st, 2, t->business_id);
    BIND(st, 3, t->customer_id);
    BIND(st, 4, t->account_id);
    BIND_OPT(st, 5, t->profile_id);
    BIND_ENUM(st, 6, PS_NAMES_TXN_TYPE, t->type);
    BIND_ENUM(st, 7, PS_NAMES_RAIL, t->rail);
    BIND_ENUM(st, 8, PS_NAMES_PURPOSE, t->purpose);
    BIND_INT(st, 9, t->amount);
    BIND_INT(st, 10, t->fee);
    BIND(st, 11, t->currency);
    BIND_ENUM(st, 12, PS_NAMES_TXN_STATUS, t->status);
    BIND_OPT(st, 13, t->request_id);
    BIND_OPT(st, 14, t->trace_number);
    BIND_INT(st, 15, t->attempts);
    BIND(st, 16, t->created_at);
    BIND(st, 17, t->updated_at);
    return ps_sq_exec_step(s, st, "insert transaction", err);
}

int ps_store_txn_get(struct ps_store *s, const char *id, struct ps_txn *out,
                     struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

int ps_store_txn_get_trace(struct ps_store *s, const char *business_id,
                           const char *trace, struct ps_txn *out,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_GET_TRACE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, trace);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

int ps_store_txn_get_request(struct ps_store *s, const char *business_id,
                             const char *request_id, struct ps_txn *out,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_GET_REQUEST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, request_id);
    GET_ONE(s, st, "transaction", err, ps_store_txn_read(st, out));
}

int ps_store_txn_update(struct ps_store *s, const struct ps_txn *t,
                        enum ps_txn_status from, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, t->id);
    BIND_ENUM(st, 2, PS_NAMES_TXN_STATUS, from);
    BIND_ENUM(st, 3, PS_NAMES_TXN_STATUS, t->status);
    BIND_INT(st, 4, t->attempts);
    BIND_OPT(st, 5, t->trace_number);
    BIND(st, 6, t->updated_at);
    return ps_sq_exec_one(s, st, "update transaction", PS_ESTATE, err);
}

int ps_store_txn_history_insert(struct ps_store *s, const char *txn_id,
                                int from_status, enum ps_txn_status to,
                                const char *event, const struct ps_source *src,
                                const char *return_code, const char *at,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_HISTORY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    if (from_status >= 0)
        BIND_ENUM(st, 2, PS_NAMES_TXN_STATUS, from_status);
    BIND_ENUM(st, 3, PS_NAMES_TXN_STATUS, to);
    BIND(st, 4, event);
    BIND_OPT(st, 5, src != NULL ? src->reason : NULL);
    BIND_OPT(st, 6, src != NULL ? src->file : NULL);
    if (src != NULL && src->line > 0)
        BIND_INT(st, 7, src->line);
    BIND(st, 8, at);
    BIND_OPT(st, 9, return_code);
    return ps_sq_exec_step(s, st, "insert transaction history", err);
}

static void read_txn_history(sqlite3_stmt *st, struct ps_txn_history_row *r)
{
    const unsigned char *from = sqlite3_column_text(st, 0);
    r->from_status = ps_enum_parse(PS_NAMES_TXN_STATUS,
                                   from != NULL ? (const char *)from : "");
    r->to_status = (enum ps_txn_status)ps_sq_col_enum(st, 1, PS_NAMES_TXN_STATUS);
    COL_STR(st, 2, r->event);
    COL_STR(st, 3, r->reason);
    COL_STR(st, 4, r->source_file);
    r->source_line = (long)sqlite3_column_int64(st, 5);
    COL_STR(st, 6, r->created_at);
    COL_STR(st, 7, r->return_code);
}

int ps_store_txn_history(struct ps_store *s, const char *txn_id,
                         int (*cb)(void *, const struct ps_txn_history_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_HISTORY_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, txn_id);
    FOR_EACH(s, st, "list transaction history", err, struct ps_txn_history_row,
             read_txn_history, cb, ctx);
}

int ps_store_txn_count_profile(struct ps_store *s, const char *profile_id,
                               int64_t *count, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_COUNT_PROFILE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    GET_ONE(s, st, "transaction count", err,
            *count = sqlite3_column_int64(st, 0));
}

int ps_store_txn_page_profile(struct ps_store *s, const char *profile_id,
                              int64_t offset, int64_t limit,
                              int (*cb)(void *, const struct ps_txn *),
                              void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TXN_PAGE_PROFILE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    BIND_INT(st, 2, limit);
    BIND_INT(st, 3, offset);
    FOR_EACH(s, st, "list profile transactions", err, struct ps_txn, ps_store_txn_read,
             cb, ctx);
}

static const char *const ledger_kind_names[PS_LEDGER_KIND_N] = {
    "FUNDING", "CUSTOMER", "EWA_RECEIVABLE", "FEE_INCOME"};

const char *ps_ledger_kind_name(enum ps_ledger_kind kind)
{
    return (unsigned)kind < PS_LEDGER_KIND_N ? ledger_kind_names[kind] : "?";
}

static int ledger_account_lookup(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind,
                                 const char *currency,
                                 const char *customer_id, int64_t *id,
                                 struct ps_err *err);

/* FNV-1a; never 0 (0 marks an empty slot). */
static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k != '\0'; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h != 0 ? h : 1;
}

static struct acct_slot *acct_slot(struct ps_store *s, const char *key,
                                   uint64_t h)
{
    size_t mask = s->acctcap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct acct_slot *sl = &s->accts[i];
        if (sl->hash == 0 || (sl->hash == h && strcmp(sl->key, key) == 0))
            return sl;
    }
}

/* Remember key -> id; a full table is simply not grown past a bound. */
static void acct_remember(struct ps_store *s, const char *key, uint64_t h,
                          int64_t id)
{
    if ((s->naccts + 1) * 2 > s->acctcap) {
        size_t cap = s->acctcap != 0 ? s->acctcap * 2 : 1024;
        struct acct_slot *old = s->accts;
        size_t oldcap = s->acctcap;
        if (cap > ((size_t)1 << 22))
            return; /* a cache, not a copy of the table */
        struct acct_slot *n = calloc(cap, sizeof(*n));
        if (n == NULL)
            return;
        s->accts = n;
        s->acctcap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].hash != 0)
                *acct_slot(s, old[i].key, old[i].hash) = old[i];
        free(old);
    }
    struct acct_slot *sl = acct_slot(s, key, h);
    if (s->acct_depth < s->depth)
        s->acct_depth = s->depth;
    if (sl->hash == 0)
        s->naccts++;
    sl->hash = h;
    sl->id = id;
    ps_strlcpy(sl->key, key, sizeof(sl->key));
}

/* The cache's key of a ledger account. */
static void acct_key(char *key, size_t size, const char *business_id,
                     int kind, const char *currency, const char *customer_id)
{
    snprintf(key, size, "%s|%d|%s|%s", business_id, kind, currency,
             customer_id != NULL ? customer_id : "");
}

int ps_store_ledger_accounts_preload(struct ps_store *s,
                                     const char *business_id,
                                     struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    char key[sizeof(((struct acct_slot *)0)->key)];
    int rc = prep(s, STMT_LEDGER_ACCOUNT_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        const char *cur = (const char *)sqlite3_column_text(st, 2);
        const char *cust = (const char *)sqlite3_column_text(st, 3);
        int k = 0;
        while (k < PS_LEDGER_KIND_N && kind != NULL &&
               strcmp(kind, ledger_kind_names[k]) != 0)
            k++;
        if (k == PS_LEDGER_KIND_N || cur == NULL)
            continue; /* cannot be: CHECKs; then it is looked up */
        acct_key(key, sizeof(key), business_id, k, cur, cust);
        acct_remember(s, key, key_hash(key), sqlite3_column_int64(st, 0));
    }
    ps_sq_done(st);
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "load ledger accounts", err);
    return 0;
}

int ps_store_ledger_account(struct ps_store *s, const char *business_id,
                            enum ps_ledger_kind kind, const char *currency,
                            const char *customer_id, int64_t *id,
                            struct ps_err *err)
{
    char key[sizeof(((struct acct_slot *)0)->key)];
    acct_key(key, sizeof(key), business_id, (int)kind, currency, customer_id);
    uint64_t h = key_hash(key);
    if (s->acctcap > 0) {
        struct acct_slot *sl = acct_slot(s, key, h);
        if (sl->hash != 0) {
            *id = sl->id;
            return 0;
        }
    }
    int rc = ledger_account_lookup(s, business_id, kind, currency,
                                   customer_id, id, err);
    if (rc == 0)
        acct_remember(s, key, h, *id);
    return rc;
}

static int ledger_account_lookup(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind,
                                 const char *currency,
                                 const char *customer_id, int64_t *id,
                                 struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_ACCOUNT_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    BIND_OPT(st, 4, customer_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        ps_sq_done(st);
        return 0;
    }
    ps_sq_done(st);
    if (rc != SQLITE_DONE)
        return ps_sq_error(s, rc, "read ledger account", err);
    if ((rc = prep(s, STMT_LEDGER_ACCOUNT_INSERT, &st, err)) != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    BIND_OPT(st, 4, customer_id);
    if ((rc = ps_sq_exec_step(s, st, "insert ledger account", err)) != 0)
        return rc;
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int ps_store_ledger_entry_insert(struct ps_store *s, const char *txn_id,
                                 const char *reference, int64_t debit_account,
                                 int64_t credit_account, int64_t amount,
                                 const char *currency, const char *memo,
                                 const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_ENTRY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, txn_id);
    BIND_OPT(st, 2, reference);
    BIND_INT(st, 3, debit_account);
    BIND_INT(st, 4, credit_account);
    BIND_INT(st, 5, amount);
    BIND(st, 6, currency);
    BIND(st, 7, memo);
    BIND(st, 8, at);
    return ps_sq_exec_step(s, st, "insert ledger entry", err);
}

int ps_store_ledger_balance(struct ps_store *s, int64_t account_id,
                            int64_t *balance, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_BALANCE, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, account_id);
    GET_ONE(s, st, "ledger balance", err,
            *balance = sqlite3_column_int64(st, 0));
}

int ps_store_ledger_kind_balance(struct ps_store *s, const char *business_id,
                                 enum ps_ledger_kind kind, const char *currency,
                                 int64_t *balance, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_LEDGER_KIND_BALANCE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, ps_ledger_kind_name(kind));
    BIND(st, 3, currency);
    GET_ONE(s, st, "ledger balance", err,
            *balance = sqlite3_column_int64(st, 0));
}

static void read_trial(sqlite3_stmt *st, struct ps_trial_row *r)
{
    COL_STR(st, 0, r->currency);
    r->debits = sqlite3_column_int64(st, 1);
    r->credits = sqlite3_column_int64(st, 2);
    r->balance = sqlite3_column_int64(st, 3);
    r->mismatched = sqlite3_column_int64(st, 4);
}

int ps_store_trial_balance(struct ps_store *s, const char *business_id,
                           int (*cb)(void *, const struct ps_trial_row *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_TRIAL_BALANCE, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    FOR_EACH(s, st, "trial balance", err, struct ps_trial_row, read_trial, cb,
             ctx);
}

int ps_store_orphans(struct ps_store *s, const char *from, const char *to,
                     int64_t *n, char *detail, size_t size, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ORPHANS, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, from);
    BIND_OPT(st, 2, to);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        ps_sq_done(st);
        return ps_sq_error(s, rc, "look for rows without their parent", err);
    }
    *n = sqlite3_column_int64(st, 0);
    ps_sq_col_str(st, 1, detail, size);
    ps_sq_done(st);
    return 0;
}

static void read_file(sqlite3_stmt *st, struct ps_file *f)
{
    COL_STR(st, 0, f->id);
    COL_STR(st, 1, f->business_id);
    COL_STR(st, 2, f->name);
    COL_STR(st, 3, f->member);
    f->doc_index = sqlite3_column_int(st, 4);
    COL_STR(st, 5, f->sha256);
    f->size = sqlite3_column_int64(st, 6);
    COL_STR(st, 7, f->format);
    f->status = (enum ps_file_status)ps_sq_col_enum(st, 8, PS_NAMES_FILE_STATUS);
    COL_STR(st, 9, f->reason);
    f->records = (long)sqlite3_column_int64(st, 10);
    f->accepted = (long)sqlite3_column_int64(st, 11);
    f->rejected = (long)sqlite3_column_int64(st, 12);
    f->duplicates = (long)sqlite3_column_int64(st, 13);
    f->amount_accepted = sqlite3_column_int64(st, 14);
    COL_STR(st, 15, f->archive_path);
    COL_STR(st, 16, f->result_path);
    COL_STR(st, 17, f->received_at);
    COL_STR(st, 18, f->completed_at);
    COL_STR(st, 19, f->currency);
    COL_STR(st, 20, f->options_used);
}

int ps_store_file_insert(struct ps_store *s, const struct ps_file *f,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, f->id);
    BIND(st, 2, f->business_id);
    BIND(st, 3, f->name);
    BIND_OPT(st, 4, f->member);
    BIND_INT(st, 5, f->doc_index);
    BIND(st, 6, f->sha256);
    BIND_INT(st, 7, f->size);
    BIND_OPT(st, 8, f->format);
    BIND_ENUM(st, 9, PS_NAMES_FILE_STATUS, f->status);
    BIND_OPT(st, 10, f->reason);
    BIND_INT(st, 11, f->records);
    BIND_INT(st, 12, f->accepted);
    BIND_INT(st, 13, f->rejected);
    BIND_INT(st, 14, f->duplicates);
    BIND_INT(st, 15, f->amount_accepted);
    BIND_OPT(st, 16, f->archive_path);
    BIND_OPT(st, 17, f->result_path);
    BIND(st, 18, f->received_at);
    BIND_OPT(st, 19, f->completed_at);
    BIND_OPT(st, 20, f->currency);
    BIND_OPT(st, 21, f->options_used);
    return ps_sq_exec_step(s, st, "insert file", err);
}

int ps_store_file_update(struct ps_store *s, const struct ps_file *f,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, f->id);
    BIND_OPT(st, 2, f->format);
    BIND_ENUM(st, 3, PS_NAMES_FILE_STATUS, f->status);
    BIND_OPT(st, 4, f->reason);
    BIND_INT(st, 5, f->records);
    BIND_INT(st, 6, f->accepted);
    BIND_INT(st, 7, f->rejected);
    BIND_INT(st, 8, f->duplicates);
    BIND_INT(st, 9, f->amount_accepted);
    BIND_OPT(st, 10, f->archive_path);
    BIND_OPT(st, 11, f->result_path);
    BIND_OPT(st, 12, f->completed_at);
    BIND_OPT(st, 13, f->currency);
    return ps_sq_exec_one(s, st, "update file", PS_ENOTFOUND, err);
}

int ps_store_file_get(struct ps_store *s, const char *id, struct ps_file *out,
                      struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "file", err, read_file(st, out));
}

int ps_store_files_by_sha(struct ps_store *s, const char *business_id,
                          const char *sha256,
                          int (*cb)(void *, const struct ps_file *), void *ctx,
                          struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILES_BY_SHA, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, sha256);
    FOR_EACH(s, st, "files by content", err, struct ps_file, read_file, cb,
             ctx);
}

int ps_store_file_list(struct ps_store *s, const char *business_id, long limit,
                       int (*cb)(void *, const struct ps_file *), void *ctx,
                       struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    BIND_INT(st, 2, limit);
    FOR_EACH(s, st, "list files", err, struct ps_file, read_file, cb, ctx);
}

static void read_checkpoint(sqlite3_stmt *st, struct ps_checkpoint *c)
{
    c->byte_offset = sqlite3_column_int64(st, 0);
    c->record_no = (long)sqlite3_column_int64(st, 1);
    c->result_offset = sqlite3_column_int64(st, 2);
    c->accepted = (long)sqlite3_column_int64(st, 3);
    c->rejected = (long)sqlite3_column_int64(st, 4);
    c->duplicates = (long)sqlite3_column_int64(st, 5);
    c->amount_accepted = sqlite3_column_int64(st, 6);
}

int ps_store_checkpoint_get(struct ps_store *s, const char *file_id,
                            struct ps_checkpoint *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CHECKPOINT_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    GET_ONE(s, st, "checkpoint", err, read_checkpoint(st, out));
}

int ps_store_checkpoint_put(struct ps_store *s, const char *file_id,
                            const struct ps_checkpoint *cp, const char *at,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_CHECKPOINT_PUT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    BIND_INT(st, 2, cp->byte_offset);
    BIND_INT(st, 3, cp->record_no);
    BIND_INT(st, 4, cp->result_offset);
    BIND_INT(st, 5, cp->accepted);
    BIND_INT(st, 6, cp->rejected);
    BIND_INT(st, 7, cp->duplicates);
    BIND_INT(st, 8, cp->amount_accepted);
    BIND(st, 9, at);
    return ps_sq_exec_step(s, st, "write checkpoint", err);
}

int ps_store_record_result_insert(struct ps_store *s, const char *file_id,
                                  const struct ps_record_result_row *r,
                                  struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RESULT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    BIND_INT(st, 2, r->record_no);
    BIND_INT(st, 3, r->line);
    BIND_OPT(st, 4, r->reference);
    BIND(st, 5, r->outcome);
    BIND_OPT(st, 6, r->code);
    BIND_OPT(st, 7, r->message);
    BIND_OPT(st, 8, r->ids);
    BIND_INT(st, 9, r->amount);
    return ps_sq_exec_step(s, st, "insert record result", err);
}

static void read_result(sqlite3_stmt *st, struct ps_record_result_row *r)
{
    r->record_no = (long)sqlite3_column_int64(st, 0);
    r->line = (long)sqlite3_column_int64(st, 1);
    COL_STR(st, 2, r->reference);
    COL_STR(st, 3, r->outcome);
    COL_STR(st, 4, r->code);
    COL_STR(st, 5, r->message);
    COL_STR(st, 6, r->ids);
    r->amount = sqlite3_column_int64(st, 7);
}

int ps_store_record_results(struct ps_store *s, const char *file_id,
                            int (*cb)(void *,
                                      const struct ps_record_result_row *),
                            void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RESULT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, file_id);
    FOR_EACH(s, st, "list record results", err, struct ps_record_result_row,
             read_result, cb, ctx);
}

int ps_store_record_key_insert(struct ps_store *s, const char *business_id,
                               const char *key, const char *file_id,
                               long record_no, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECORD_KEY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, key);
    BIND(st, 3, file_id);
    BIND_INT(st, 4, record_no);
    return ps_sq_exec_step(s, st, "insert record key", err);
}

int ps_store_file_key_insert(struct ps_store *s, const char *business_id,
                             const char *kind, const char *key,
                             const char *file_id, char prior[PS_ID_SIZE],
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_FILE_KEY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    BIND(st, 3, key);
    BIND(st, 4, file_id);
    rc = ps_sq_exec_step(s, st, "insert file key", err);
    if (rc != PS_ECONFLICT || prior == NULL)
        return rc;
    if (prep(s, STMT_FILE_KEY_GET, &st, NULL) == 0) {
        BIND(st, 1, business_id);
        BIND(st, 2, kind);
        BIND(st, 3, key);
        if (sqlite3_step(st) == SQLITE_ROW)
            ps_sq_col_str(st, 0, prior, PS_ID_SIZE);
        ps_sq_done(st);
    }
    return rc;
}

int ps_store_guard_take(struct ps_store *s, long pid, const char *host,
                        const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_GUARD_TAKE, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, pid);
    BIND(st, 2, host);
    BIND(st, 3, at);
    return ps_sq_exec_step(s, st, "take engine guard", err);
}

int ps_store_guard_release(struct ps_store *s, long pid, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_GUARD_RELEASE, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, pid);
    return ps_sq_exec_step(s, st, "release engine guard", err);
}

static void read_job_run(sqlite3_stmt *st, struct ps_job_run *r)
{
    COL_STR(st, 0, r->id);
    COL_STR(st, 1, r->job);
    COL_STR(st, 2, r->business_date);
    COL_STR(st, 3, r->status);
    r->attempt = sqlite3_column_int(st, 4);
    COL_STR(st, 5, r->rerun_reason);
    COL_STR(st, 6, r->error);
    COL_STR(st, 7, r->step);
    r->records = sqlite3_column_int64(st, 8);
    r->amount = sqlite3_column_int64(st, 9);
    r->pid = sqlite3_column_int64(st, 10);
    COL_STR(st, 11, r->started_at);
    COL_STR(st, 12, r->finished_at);
}

int ps_store_job_run_latest(struct ps_store *s, const char *job,
                            const char *business_date, struct ps_job_run *out,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_LATEST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    BIND(st, 2, business_date);
    GET_ONE(s, st, "job run", err, read_job_run(st, out));
}

int ps_store_job_run_insert(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->job);
    BIND(st, 3, r->business_date);
    BIND(st, 4, r->status);
    BIND_INT(st, 5, r->attempt);
    BIND(st, 6, r->rerun_reason);
    BIND(st, 7, r->error);
    BIND(st, 8, r->step);
    BIND_INT(st, 9, r->records);
    BIND_INT(st, 10, r->amount);
    BIND_INT(st, 11, r->pid);
    BIND(st, 12, r->started_at);
    BIND(st, 13, r->finished_at);
    rc = ps_sq_exec_step(s, st, "insert job run", err);
    if (rc == PS_ECONFLICT)
        return ps_err_set(err, PS_EBUSY, "RUN_IN_PROGRESS",
                          "job %s already has a run in progress (or run %d "
                          "of %s exists)",
                          r->job, r->attempt, r->business_date);
    return rc;
}

int ps_store_job_run_update(struct ps_store *s, const struct ps_job_run *r,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->id);
    BIND(st, 2, r->status);
    BIND(st, 3, r->error);
    BIND(st, 4, r->step);
    BIND_INT(st, 5, r->records);
    BIND_INT(st, 6, r->amount);
    BIND(st, 7, r->finished_at);
    return ps_sq_exec_step(s, st, "update job run", err);
}

int ps_store_job_runs_crashed(struct ps_store *s, const char *at, long *n,
                              struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_CRASHED, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, at);
    rc = ps_sq_exec_step(s, st, "mark crashed job runs", err);
    if (rc == 0 && n != NULL)
        *n = (long)sqlite3_changes(s->db);
    return rc;
}

int ps_store_job_run_list(struct ps_store *s, const char *job, long limit,
                          int (*cb)(void *, const struct ps_job_run *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_RUN_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job != NULL ? job : "");
    BIND_INT(st, 2, limit);
    FOR_EACH(s, st, "list job runs", err, struct ps_job_run, read_job_run, cb,
             ctx);
}

int ps_store_job_state(struct ps_store *s, const char *job,
                       char last_fired[PS_TIME_SIZE],
                       char last_success[PS_TIME_SIZE], struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_STATE_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    GET_ONE(s, st, "job state", err, {
        ps_sq_col_str(st, 0, last_fired, PS_TIME_SIZE);
        ps_sq_col_str(st, 1, last_success, PS_TIME_SIZE);
    });
}

int ps_store_job_state_set(struct ps_store *s, const char *job,
                           const char *last_fired, const char *last_success,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_JOB_STATE_SET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, job);
    BIND(st, 2, last_fired != NULL ? last_fired : "");
    BIND(st, 3, last_success != NULL ? last_success : "");
    return ps_sq_exec_step(s, st, "save job state", err);
}

int ps_store_payout_candidates(struct ps_store *s, const char *business_id,
                               long limit,
                               int (*cb)(void *ctx, const struct ps_txn *),
                               void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PAYOUT_SELECT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND_INT(st, 2, limit > 0 ? limit : -1);
    FOR_EACH(s, st, "select payout transactions", err, struct ps_txn, ps_store_txn_read,
             cb, ctx);
}

int ps_store_ach_candidates(struct ps_store *s, const char *business_id,
                            int (*cb)(void *ctx, const struct ps_txn *),
                            void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACH_SELECT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "select ACH transactions", err, struct ps_txn, ps_store_txn_read,
             cb, ctx);
}

int ps_store_ach_trace_max(struct ps_store *s, const char *business_id,
                           const char *odfi, long *max, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ACH_TRACE_MAX, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, odfi);
    GET_ONE(s, st, "trace sequence", err,
            *max = (long)sqlite3_column_int64(st, 0));
}

int ps_store_output_next_seq(struct ps_store *s, const char *business_id,
                             const char *kind, const char *business_date,
                             int *seq, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_NEXT_SEQ, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    BIND(st, 3, business_date);
    GET_ONE(s, st, "output sequence", err,
            *seq = sqlite3_column_int(st, 0));
}

int ps_store_output_insert(struct ps_store *s, const struct ps_output_row *o,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, o->id);
    BIND(st, 2, o->business_id);
    BIND(st, 3, o->kind);
    BIND(st, 4, o->business_date);
    BIND_INT(st, 5, o->seq);
    BIND(st, 6, o->path);
    BIND_OPT(st, 7, o->sha256);
    BIND_INT(st, 8, o->records);
    BIND_INT(st, 9, o->debit_total);
    BIND_INT(st, 10, o->credit_total);
    BIND_OPT(st, 11, o->file_key);
    BIND(st, 12, o->created_at);
    BIND_OPT(st, 13, o->detail);
    return ps_sq_exec_step(s, st, "insert output", err);
}

int ps_store_output_item_insert(struct ps_store *s, const char *output_id,
                                const struct ps_output_item_row *it,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_ITEM_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, output_id);
    BIND(st, 2, it->txn_id);
    BIND_INT(st, 3, it->line);
    BIND_INT(st, 4, it->attempt);
    BIND(st, 5, it->holder_name);
    BIND_OPT(st, 6, it->detail);
    return ps_sq_exec_step(s, st, "insert output item", err);
}

static void read_output(sqlite3_stmt *st, struct ps_output_row *o)
{
    COL_STR(st, 0, o->id);
    COL_STR(st, 1, o->business_id);
    COL_STR(st, 2, o->kind);
    COL_STR(st, 3, o->business_date);
    o->seq = sqlite3_column_int(st, 4);
    COL_STR(st, 5, o->path);
    COL_STR(st, 6, o->sha256);
    o->records = (long)sqlite3_column_int64(st, 7);
    o->debit_total = sqlite3_column_int64(st, 8);
    o->credit_total = sqlite3_column_int64(st, 9);
    COL_STR(st, 10, o->created_at);
    COL_STR(st, 11, o->file_key);
    COL_STR(st, 12, o->detail);
}

int ps_store_output_list(struct ps_store *s, const char *business_id,
                         const char *kind,
                         int (*cb)(void *ctx, const struct ps_output_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, kind);
    FOR_EACH(s, st, "list outputs", err, struct ps_output_row, read_output, cb,
             ctx);
}

static void read_output_item(sqlite3_stmt *st, struct ps_output_item_row *it)
{
    COL_STR(st, 0, it->txn_id);
    it->line = (long)sqlite3_column_int64(st, 1);
    it->attempt = sqlite3_column_int(st, 2);
    COL_STR(st, 3, it->holder_name);
    COL_STR(st, 4, it->account_id);
    it->amount = sqlite3_column_int64(st, 5);
    COL_STR(st, 6, it->currency);
    COL_STR(st, 7, it->detail);
}

int ps_store_output_items(struct ps_store *s, const char *output_id,
                          int (*cb)(void *ctx,
                                    const struct ps_output_item_row *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_OUTPUT_ITEMS, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, output_id);
    FOR_EACH(s, st, "list output items", err, struct ps_output_item_row,
             read_output_item, cb, ctx);
}

int ps_store_answer_insert(struct ps_store *s, const struct ps_answer_row *a,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ANSWER_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, a->txn_id);
    BIND_INT(st, 2, a->attempt);
    BIND(st, 3, a->status);
    BIND(st, 4, a->business_id);
    BIND_OPT(st, 5, a->reason_code);
    BIND_OPT(st, 6, a->message);
    BIND_OPT(st, 7, a->settlement_date);
    BIND_INT(st, 8, a->amount);
    BIND_OPT(st, 9, a->source_file);
    BIND_INT(st, 10, a->source_line);
    BIND(st, 11, a->created_at);
    return ps_sq_exec_step(s, st, "insert provider answer", err);
}

static const enum stmt_id recon_stmt[PS_RECON_Q_N] = {
    [PS_RECON_Q_TXNS] = STMT_RECON_TXNS,
    [PS_RECON_Q_MOVES] = STMT_RECON_MOVES,
    [PS_RECON_Q_POSITIONS] = STMT_RECON_POSITIONS,
    [PS_RECON_Q_FILES] = STMT_RECON_FILES,
    [PS_RECON_Q_FILE_ITEMS] = STMT_RECON_FILE_ITEMS,
    [PS_RECON_Q_UNKNOWN_REFS] = STMT_RECON_UNKNOWN_REFS,
    [PS_RECON_Q_OPEN_ITEMS] = STMT_RECON_OPEN_ITEMS,
    [PS_RECON_Q_EWA_AGING] = STMT_RECON_EWA_AGING,
    [PS_RECON_Q_EWA_CHECK] = STMT_RECON_EWA_CHECK,
    [PS_RECON_Q_ACH_RETURNS] = STMT_RECON_ACH_RETURNS,
    [PS_RECON_Q_ACH_NOCS] = STMT_RECON_ACH_NOCS,
    [PS_RECON_Q_ACH_RATES] = STMT_RECON_ACH_RATES,
};

const char *ps_store_recon_sql(enum ps_recon_query q)
{
    if ((unsigned)q >= PS_RECON_Q_N)
        return NULL;
    return stmt_sql[recon_stmt[q]];
}

/* Bind a named parameter when the statement has it. */
static void bind_named(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0 && v != NULL)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int ps_store_recon_query(struct ps_store *s, enum ps_recon_query q,
                         const struct ps_recon_params *p,
                         int (*cb)(void *ctx, const struct ps_recon_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc, ret = 0;
    if (PS_NEVER((unsigned)q >= PS_RECON_Q_N))
        return ps_err_set(err, PS_EINTERNAL, "RECON_QUERY",
                          "unknown reconciliation query %d", (int)q);
    if ((rc = prep(s, recon_stmt[q], &st, err)) != 0)
        return rc;
    bind_named(st, ":business", p->business);
    bind_named(st, ":day", p->day);
    bind_named(st, ":next_day", p->next_day);
    bind_named(st, ":output", p->output);
    bind_named(st, ":window_start", p->window_start);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ps_recon_row row;
        memset(&row, 0, sizeof(row));
        row.ncols = sqlite3_column_count(st);
        if (PS_NEVER(row.ncols > PS_RECON_COLS))
            row.ncols = PS_RECON_COLS;
        for (int i = 0; i < row.ncols; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            row.text[i] = v != NULL ? (const char *)v : "";
            row.num[i] = sqlite3_column_int64(st, i);
        }
        if (cb(ctx, &row) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = ps_sq_error(s, rc, "reconciliation query", err);
    ps_sq_done(st);
    return ret;
}

int ps_store_recon_next_seq(struct ps_store *s, const char *business_id,
                            const char *day, int *seq, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECON_NEXT_SEQ, &st, err);
    if (rc != 0)
        return rc;
    bind_named(st, ":business", business_id);
    bind_named(st, ":day", day);
    GET_ONE(s, st, "reconciliation sequence", err,
            *seq = sqlite3_column_int(st, 0));
}

int ps_store_recon_output_insert(struct ps_store *s, const char *id,
                                 const char *business_id, const char *day,
                                 int seq, const char *path,
                                 const char *sha256, long records,
                                 const char *at, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECON_OUTPUT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, business_id);
    BIND(st, 3, day);
    BIND_INT(st, 4, seq);
    BIND(st, 5, path);
    BIND_OPT(st, 6, sha256);
    BIND_INT(st, 7, records);
    BIND(st, 8, at);
    return ps_sq_exec_step(s, st, "record reconciliation report", err);
}
