/*
 * recon.c -- the daily reconciliation's SQL (store/recon.h; the report is
 * outbound/recon.c): one statement per report section, with named
 * parameters (:business, :day, :next_day, :output, :window_start) so that
 * each can be run as it is in the sqlite3 shell (README, "Daily
 * reconciliation", which prints ps_store_recon_sql()'s text: a test keeps
 * the two equal).  Days are UTC: :day is 'YYYY-MM-DD' and every stored
 * time is RFC 3339 UTC, so "on the day" is created_at >= :day AND
 * created_at < :next_day.
 *
 * How it fails: as every store function (store.h); an unknown query
 * number is PS_EINTERNAL.
 */
#include "store/recon.h"

#include <stdlib.h>

#include "store/store.h"
#include "store/store_int.h"

/* The program of transaction t, if any (the sections group by it). */
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
#define POSITION_SUMS(sign)                                                    \
    " SELECT a.kind, a.currency,"                                              \
    " sum(CASE WHEN e.created_at < :day THEN 1 ELSE 0 END) AS opening_legs,"   \
    " sum(CASE WHEN e.created_at < :day THEN " sign "e.amount ELSE 0 END)"     \
    " AS opening, count(*) AS closing_legs, sum(" sign "e.amount) AS closing"
#define POSITION_LEGS(side, sign)                                              \
    POSITION_SUMS(sign) " FROM ledger_entries e JOIN ledger_accounts a"        \
    " ON a.id = e." side "_account"                                            \
    " WHERE a.business_id = :business AND e.created_at < :next_day"            \
    " GROUP BY a.kind, a.currency"
/* The transfers transactions carry (schema v18) have no index by
 * account: the rows are walked once, each finding its account (CROSS
 * JOIN keeps that order; the other way round is a walk per account). */
#define POSITION_ROW_LEGS(side, sign)                                          \
    POSITION_SUMS(sign) " FROM transactions e CROSS JOIN ledger_accounts a"    \
    " WHERE a.id = e." side "_account"                                         \
    " AND a.business_id = :business AND e.created_at < :next_day"              \
    " GROUP BY a.kind, a.currency"

/* The program column of the counted sections: the business's one
 * program for a row with a profile, else empty (RECON_PROGRAM_JOIN). */
#define RECON_COUNTED_PROGRAM                                                  \
    "CASE c.profiled WHEN 1 THEN ifnull((SELECT min(g.name)"                   \
    " FROM ewa_programs g WHERE g.business_id = c.business_id), '')"           \
    " ELSE '' END"

/* What recon_counts must hold, recomputed from the rows (the definition:
 * the transactions created on each day by status now, and the status
 * changes of each day), against what it holds: one row per key where
 * the two differ (`payspool ledger verify`; none when they agree).
 * profiled is "the row has a profile" (ps_store_recon_count_create()). */
#define RECON_COUNTS_WANT_SQL                                                  \
    "want(business_id, day, kind, profiled, rail, type, from_status,"          \
    " status, currency, n, amount, fee) AS ("                                  \
    " SELECT t.business_id, substr(t.created_at, 1, 10), 'CREATED',"           \
    " t.profile_id IS NOT NULL, t.rail, t.type, '', t.status, t.currency,"     \
    " count(*), sum(t.amount), sum(t.fee) FROM transactions t"                 \
    " WHERE ?1 IS NULL OR t.business_id = ?1"                                  \
    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"                                      \
    " UNION ALL"                                                               \
    " SELECT t.business_id, substr(h.created_at, 1, 10), 'MOVED',"             \
    " t.profile_id IS NOT NULL, t.rail, t.type, ifnull(h.from_status, ''),"    \
    " h.to_status, t.currency, count(*), sum(t.amount), sum(t.fee)"            \
    " FROM transaction_history h JOIN transactions t ON t.id = h.txn_id"       \
    " WHERE ?1 IS NULL OR t.business_id = ?1"                                  \
    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)"
/* The same `want`, added up in memory by ps_store_recon_want()
 * (verifycounts.c: no sort of every history row) into a temporary
 * table. */
#define RECON_COUNTS_WANT_KEPT                                                 \
    "want AS (SELECT business_id, day, kind, profiled, rail, type,"            \
    " from_status, status, currency, n, amount, fee FROM temp.verify_want)"
#define RECON_COUNTS_CHECK_SQL(want)                                           \
    "WITH " want ","                                                           \
    " have AS (SELECT business_id, day, kind, profiled, rail, type,"           \
    " from_status, status, currency, n, amount, fee FROM recon_counts"         \
    " WHERE (?1 IS NULL OR business_id = ?1) AND n <> 0),"                     \
    " diff AS (SELECT business_id, day, kind, profiled, rail, type,"           \
    " from_status, status, currency, sum(n) AS n, sum(amount) AS amount,"      \
    " sum(fee) AS fee, sum(have) AS stored_n FROM ("                           \
    " SELECT *, 0 AS have FROM want UNION ALL"                                 \
    " SELECT business_id, day, kind, profiled, rail, type, from_status,"       \
    " status, currency, -n, -amount, -fee, n FROM have)"                       \
    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9)"                                     \
    " SELECT ifnull(b.name, d.business_id), d.day, d.kind, d.rail, d.type,"    \
    " d.from_status, d.status, d.currency, d.stored_n, d.stored_n + d.n,"      \
    " d.amount, d.fee FROM diff d"                                             \
    " LEFT JOIN businesses b ON b.id = d.business_id"                          \
    " WHERE d.n <> 0 OR d.amount <> 0 OR d.fee <> 0"                           \
    " ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"

/* What ledger_day_totals must hold, from the ledger's rows (the legs of
 * ledger_entries and of the transfers transactions carry, by their
 * account's business, kind and currency and their row's day), against
 * what it holds; the same columns as RECON_COUNTS_CHECK_SQL (kind
 * 'LEGS', the account kind as rail; stored and recomputed legs; the
 * difference of debits - credits). */
#define RECON_LEG_ROWS(table, side, dr, cr)                                    \
    " SELECT a.business_id, a.kind, a.currency, substr(e.created_at, 1, 10),"  \
    " count(*), sum(" dr "), sum(" cr "), sum(e.currency <> a.currency), 0"    \
    " FROM " table " e JOIN ledger_accounts a ON a.id = e." side "_account"    \
    " WHERE ?1 IS NULL OR a.business_id = ?1 GROUP BY 1, 2, 3, 4"
/* The legs of the transfers transaction rows carry since v29: the
 * creation's and the fee's (PS_ROW_TRANSFERS, store_int.h). */
#define RECON_ROW_LEG_ROWS(account, dr, cr)                                    \
    " SELECT a.business_id, a.kind, a.currency, substr(t.created_at, 1, 10),"  \
    " count(*), sum(" dr "), sum(" cr "), sum(t.currency <> a.currency), 0"    \
    " FROM" PS_ROW_TRANSFERS_FROM " JOIN ledger_accounts a"                    \
    " ON a.id = " account " WHERE" PS_ROW_TRANSFERS_WHERE                      \
    " AND (?1 IS NULL OR a.business_id = ?1) GROUP BY 1, 2, 3, 4"
#define RECON_ROW_LEGS_V18                                                     \
    RECON_LEG_ROWS("transactions", "debit", "e.amount", "0") " UNION ALL"      \
    RECON_LEG_ROWS("transactions", "credit", "0", "e.amount")
#define RECON_ROW_LEGS_V29                                                     \
    RECON_ROW_LEG_ROWS("t.debit_account", PS_ROW_AMOUNT, "0") " UNION ALL"     \
    RECON_ROW_LEG_ROWS(PS_ROW_CREDIT, "0", PS_ROW_AMOUNT)
#define RECON_LEGS_CHECK_SQL(row_legs)                                         \
    "WITH d(business_id, kind, currency, day, legs, debits, credits,"          \
    " mismatched, stored) AS ("                                                \
    RECON_LEG_ROWS("ledger_entries", "debit", "e.amount", "0") " UNION ALL"    \
    RECON_LEG_ROWS("ledger_entries", "credit", "0", "e.amount") " UNION ALL"   \
    row_legs " UNION ALL"                                                      \
    " SELECT business_id, kind, currency, day, -legs, -debits, -credits,"      \
    " -mismatched, legs FROM ledger_day_totals"                                \
    " WHERE ?1 IS NULL OR business_id = ?1),"                                  \
    " x AS (SELECT business_id, kind, currency, day, sum(legs) AS legs,"       \
    " sum(debits) AS debits, sum(credits) AS credits,"                         \
    " sum(mismatched) AS mismatched, sum(stored) AS stored"                    \
    " FROM d GROUP BY 1, 2, 3, 4)"                                             \
    " SELECT ifnull(b.name, x.business_id), x.day, 'LEGS', x.kind,"            \
    " 'cross-currency legs ' || printf('%+d', x.mismatched), '', '',"          \
    " x.currency, x.stored, x.stored + x.legs, x.debits, x.credits FROM x"     \
    " LEFT JOIN businesses b ON b.id = x.business_id"                          \
    " WHERE x.legs <> 0 OR x.debits <> 0 OR x.credits <> 0"                    \
    " OR x.mismatched <> 0 ORDER BY 1, 2, 4, 8"

/* Schema v27: the ledger entries outside their day's range of ids in
 * ledger_entry_days (none may be: the camt.053 reads a day within it),
 * per day, in the columns of RECON_COUNTS_CHECK_SQL (kind ENTRY_DAYS;
 * stored 0, the entries outside as recomputed). */
#define RECON_ENTRY_DAYS_CHECK_SQL                                             \
    "SELECT '', d.day, 'ENTRY_DAYS', '', '', '', '', '', 0, d.n, 0, 0"         \
    " FROM (SELECT substr(e.created_at, 1, 10) AS day, count(*) AS n"          \
    " FROM ledger_entries e LEFT JOIN ledger_entry_days x"                     \
    " ON x.day = substr(e.created_at, 1, 10)"                                  \
    " WHERE x.day IS NULL OR e.id < x.first_id OR e.id > x.last_id"            \
    " GROUP BY 1) d ORDER BY 2"

/* Schema v32's answer_sums against the answers they sum (provider.c): a
 * row a key that differs, in the shape of the checks above (kind
 * ANSWERS; the status where they have the day). */
#define RECON_ANSWER_SUMS_CHECK_SQL                                            \
    "SELECT b.name, k.status, 'ANSWERS', '', '', '', '', k.currency,"          \
    " k.sn, k.wn, k.wa - k.sa, 0 FROM (SELECT business_id, status, currency,"  \
    " sum(sn) AS sn, sum(sa) AS sa, sum(wn) AS wn, sum(wa) AS wa FROM ("       \
    "SELECT business_id, status, currency, answers AS sn, amount AS sa,"       \
    " 0 AS wn, 0 AS wa FROM answer_sums WHERE ?1 IS NULL OR business_id = ?1"  \
    " UNION ALL SELECT a.business_id, a.status, t.currency, 0, 0, 1, a.amount" \
    " FROM provider_answers a JOIN transactions t ON t.id = a.txn_id"          \
    " WHERE ?1 IS NULL OR a.business_id = ?1) GROUP BY 1, 2, 3) k"             \
    " JOIN businesses b ON b.id = k.business_id"                               \
    " WHERE k.sn <> k.wn OR k.sa <> k.wa ORDER BY 1, 2, 8"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define RECON_STMTS(X)                                                         \
    X(RECON_TXNS,                                                              \
      "SELECT ifnull(g.name, '') AS program, t.rail, t.type, t.status,"        \
      " t.currency, count(*) AS n, sum(t.amount) AS amount,"                   \
      " sum(t.fee) AS fee"                                                     \
      " FROM transactions t" RECON_PROGRAM_JOIN                                \
      " WHERE t.business_id = :business"                                       \
      " AND t.created_at >= :day AND t.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")                        \
    /* The creations (from nothing to NEW) are on the rows (v18). */           \
    X(RECON_MOVES,                                                             \
      "SELECT program, rail, type, from_status, to_status, currency,"          \
      " sum(n) AS n, sum(amount) AS amount, sum(fee) AS fee FROM ("            \
      "SELECT ifnull(g.name, '') AS program, t.rail, t.type,"                  \
      " ifnull(h.from_status, '') AS from_status, h.to_status, t.currency,"    \
      " count(*) AS n, sum(t.amount) AS amount, sum(t.fee) AS fee"             \
      " FROM transaction_history h JOIN transactions t ON t.id = h.txn_id"     \
      RECON_PROGRAM_JOIN " WHERE t.business_id = :business"                    \
      " AND h.created_at >= :day AND h.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3, 4, 5, 6"                                             \
      " UNION ALL"                                                             \
      " SELECT ifnull(g.name, ''), t.rail, t.type, '', 'NEW', t.currency,"     \
      " count(*), sum(t.amount), sum(t.fee)"                                   \
      " FROM transactions t" RECON_PROGRAM_JOIN                                \
      " WHERE t.business_id = :business"                                       \
      " AND t.created_at >= :day AND t.created_at < :next_day"                 \
      " GROUP BY 1, 2, 3, 4, 5, 6)"                                            \
      " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6")                  \
    /* Before v24 only (then: _COUNTED), so never a fee on the row (v29). */ \
    X(RECON_POSITIONS,                                                         \
      "SELECT kind, currency, sum(opening_legs) AS opening_legs,"              \
      " sum(opening) AS opening, sum(closing_legs) AS closing_legs,"           \
      " sum(closing) AS closing FROM ("                                        \
      POSITION_LEGS("debit", "") " UNION ALL"                                  \
      POSITION_LEGS("credit", "-") " UNION ALL"                                \
      POSITION_ROW_LEGS("debit", "") " UNION ALL"                              \
      POSITION_ROW_LEGS("credit", "-")                                         \
      ") GROUP BY kind, currency ORDER BY kind, currency")                     \
    X(RECON_FILES,                                                             \
      "SELECT o.id, o.kind, o.business_date, o.path,"                          \
      " '' AS currency, o.seq, o.records, o.credit_total, o.debit_total"       \
      " FROM outputs o WHERE o.business_id = :business"                        \
      " AND o.kind IN ('PUSH_TO_CARD', 'NACHA')"                               \
      " AND o.business_date <= :day AND (o.business_date = :day"               \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transactions t ON t.id = i.txn_id WHERE i.output_id = o.id"       \
      " AND t.status IN ('NEW', 'PENDING', 'PROCESSING', 'APPROVED'))"         \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transaction_history h ON h.txn_id = i.txn_id"                     \
      " WHERE i.output_id = o.id"                                              \
      " AND h.created_at >= :day AND h.created_at < :next_day)"                \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transactions t ON t.id = i.txn_id WHERE i.output_id = o.id"       \
      " AND t.created_at >= :day AND t.created_at < :next_day))"               \
      " ORDER BY o.business_date, o.kind, o.seq")                              \
    /* The file's transactions in rowid order: their row ids, found     \
     * through the id index in the items' (id) order, are gathered      \
     * sorted by the IN list, then each row is read once in table order \
     * (a join in the items' order read them at random). */              \
    X(RECON_FILE_ITEMS,                                                        \
      "SELECT " RECON_DIRECTION " AS direction, " RECON_OUTCOME " AS outcome," \
      " t.currency, count(*) AS n, sum(t.amount) AS amount,"                   \
      " t.business_id = :business AS own"                                      \
      " FROM transactions t WHERE t.rowid IN (SELECT x.rowid"                  \
      " FROM output_items i JOIN transactions x ON x.id = i.txn_id"            \
      " WHERE i.output_id = :output)"                                          \
      " GROUP BY 6, 1, 2, 3 ORDER BY 1, 2, 3, 6")                              \
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
    /* d walks the business's transactions once and finds each one's    \
     * profile by id (CROSS JOIN keeps that order): since v19 there is   \
     * no index on transactions.profile_id to go the other way. */       \
    X(RECON_EWA_AGING,                                                         \
      "WITH o AS (SELECT p.id, p.eligibility_status AS eligibility,"           \
      " g.currency, k.amount_to_recover AS owed, p.created_at"                 \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " WHERE p.business_id = :business AND k.amount_to_recover > 0),"         \
      " d AS (SELECT p.id, p.eligibility_status AS eligibility, g.currency,"  \
      " k.amount_to_recover AS owed, t.created_at,"                            \
      " sum(t.amount + t.fee) OVER (PARTITION BY p.id"                         \
      " ORDER BY t.created_at DESC, t.id DESC ROWS UNBOUNDED PRECEDING)"       \
      " AS newer_owed FROM transactions t CROSS JOIN ewa_profiles p"           \
      " CROSS JOIN ewa_counters k JOIN ewa_programs g ON g.id = p.program_id"  \
      " WHERE p.id = t.profile_id AND p.business_id = :business"               \
      " AND k.profile = p.seq AND k.amount_to_recover > 0"                     \
      " AND t.business_id = :business AND t.type = 'SEND'"                     \
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
    /* Before v24 only (then: _COUNTED), so never a fee on the row (v29). */ \
    X(RECON_EWA_CHECK,                                                         \
      "WITH x(currency, profile, owed, ledger) AS ("                           \
      " SELECT g.currency, k.amount_to_recover > 0, k.amount_to_recover, 0"    \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " WHERE p.business_id = :business"                                       \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, e.amount FROM ledger_accounts a"              \
      " JOIN ledger_entries e ON e.debit_account = a.id"                       \
      " WHERE a.business_id = :business AND a.kind = 'EWA_RECEIVABLE'"         \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, -e.amount FROM ledger_accounts a"             \
      " JOIN ledger_entries e ON e.credit_account = a.id"                      \
      " WHERE a.business_id = :business AND a.kind = 'EWA_RECEIVABLE'"         \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, t.amount FROM ledger_accounts a"              \
      " JOIN transactions t ON t.debit_account = a.id"                         \
      " WHERE a.business_id = :business AND a.kind = 'EWA_RECEIVABLE'"         \
      " UNION ALL"                                                             \
      " SELECT a.currency, 0, 0, -t.amount FROM ledger_accounts a"             \
      " JOIN transactions t ON t.credit_account = a.id"                        \
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
    X(RECON_INTAKE,                                                            \
      "SELECT ifnull(f.format, '') AS format, f.status,"                       \
      " ifnull(f.currency, '') AS currency, count(*) AS n,"                    \
      " sum(f.records) AS records, sum(f.accepted) AS accepted,"               \
      " sum(f.rejected) AS rejected, sum(f.duplicates) AS duplicates,"         \
      " sum(f.amount_accepted) AS amount_accepted"                             \
      " FROM files f WHERE f.business_id = :business"                          \
      " AND f.received_at >= :day AND f.received_at < :next_day"               \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")                                    \
    X(RECON_INTAKE_REFUSED,                                                    \
      "SELECT 'RECORD' AS level, ifnull(r.code, '') AS code, count(*) AS n"    \
      " FROM record_results r JOIN files f ON f.id = r.file_id"                \
      " WHERE f.business_id = :business AND r.outcome = 'REJECTED'"            \
      " AND f.received_at >= :day AND f.received_at < :next_day"               \
      " GROUP BY 1, 2"                                                         \
      " UNION ALL"                                                             \
      " SELECT 'FILE', CASE WHEN f.reason LIKE '%]' THEN replace(substr("      \
      "f.reason, length(rtrim(f.reason,"                                       \
      " 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_]')) + 1), ']', '')"             \
      " ELSE '' END, count(*) FROM files f"                                    \
      " WHERE f.business_id = :business AND f.status = 'REJECTED'"             \
      " AND f.received_at >= :day AND f.received_at < :next_day"               \
      " GROUP BY 1, 2 ORDER BY 1 DESC, 3 DESC, 2")                             \
    /* Schema v24: the same two sections from the day's running counters  \
     * (recon_counts, maintained at each commit below): a business with \
     * at most one EWA program, whose name every profiled row carries. */ \
    X(RECON_TXNS_COUNTED,                                                      \
      "SELECT " RECON_COUNTED_PROGRAM " AS program, c.rail, c.type,"          \
      " c.status, c.currency, sum(c.n) AS n, sum(c.amount) AS amount,"         \
      " sum(c.fee) AS fee FROM recon_counts c"                                 \
      " WHERE c.business_id = :business AND c.day = :day"                      \
      " AND c.kind = 'CREATED'"                                                \
      " GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0"                           \
      " ORDER BY 1, 2, 3, 4, 5")                                               \
    X(RECON_MOVES_COUNTED,                                                     \
      "SELECT " RECON_COUNTED_PROGRAM " AS program, c.rail, c.type,"          \
      " CASE c.kind WHEN 'CREATED' THEN '' ELSE c.from_status END"             \
      " AS from_status, CASE c.kind WHEN 'CREATED' THEN 'NEW'"                 \
      " ELSE c.status END AS to_status, c.currency, sum(c.n) AS n,"            \
      " sum(c.amount) AS amount, sum(c.fee) AS fee FROM recon_counts c"        \
      " WHERE c.business_id = :business AND c.day = :day"                      \
      " GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c.n) <> 0"                        \
      " ORDER BY 1, 2, 3, 4, 5, 6")                                            \
    /* Schema v24: the positions from the day totals of the legs. */     \
    X(RECON_POSITIONS_COUNTED,                                                 \
      "SELECT kind, currency,"                                                 \
      " sum(CASE WHEN day < :day THEN legs ELSE 0 END) AS opening_legs,"       \
      " sum(CASE WHEN day < :day THEN debits - credits ELSE 0 END)"            \
      " AS opening, sum(legs) AS closing_legs,"                                \
      " sum(debits) - sum(credits) AS closing"                                 \
      " FROM ledger_day_totals WHERE business_id = :business"                  \
      " AND day < :next_day GROUP BY kind, currency ORDER BY kind, currency")  \
    /* Schema v24: the receivable's ledger side from the day totals. */   \
    X(RECON_EWA_CHECK_COUNTED,                                                 \
      "WITH x(currency, profile, owed, ledger) AS ("                           \
      " SELECT g.currency, k.amount_to_recover > 0, k.amount_to_recover, 0"    \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " WHERE p.business_id = :business"                                       \
      " UNION ALL"                                                             \
      " SELECT currency, 0, 0, debits - credits FROM ledger_day_totals"        \
      " WHERE business_id = :business AND kind = 'EWA_RECEIVABLE')"            \
      " SELECT currency, sum(profile) AS profiles, sum(owed) AS owed,"         \
      " sum(ledger) AS ledger FROM x GROUP BY currency ORDER BY currency")     \
    X(RECON_NEXT_SEQ, "SELECT ifnull(max(seq), 0) + 1 FROM outputs"            \
                      " WHERE business_id = :business AND kind = 'RECON'"      \
                      " AND business_date = :day")                             \
    X(RECON_PROGRAMS, "SELECT count(*) FROM ewa_programs"                     \
                      " WHERE business_id = :business")                        \
    X(RECON_COUNT_ADD,                                                         \
      "INSERT INTO recon_counts(business_id, day, kind, profiled, rail, type," \
      " from_status, status, currency, n, amount, fee)"                        \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"            \
      " ON CONFLICT (business_id, day, kind, profiled, rail, type,"            \
      " from_status, status, currency) DO UPDATE SET"                          \
      " n = recon_counts.n + excluded.n,"                                      \
      " amount = recon_counts.amount + excluded.amount,"                       \
      " fee = recon_counts.fee + excluded.fee")                                \
    X(RECON_COUNTS_CHECK, RECON_COUNTS_CHECK_SQL(RECON_COUNTS_WANT_KEPT))      \
    X(RECON_LEGS_CHECK, RECON_LEGS_CHECK_SQL(RECON_ROW_LEGS_V18))              \
    X(RECON_LEGS_CHECK_V29, RECON_LEGS_CHECK_SQL(RECON_ROW_LEGS_V29))          \
    X(RECON_ENTRY_DAYS_CHECK, RECON_ENTRY_DAYS_CHECK_SQL)                      \
    X(RECON_ANSWER_SUMS_CHECK, RECON_ANSWER_SUMS_CHECK_SQL)                    \
    X(RECON_DAY_ADD,                                                           \
      "INSERT INTO ledger_day_totals(business_id, kind, currency, day, legs,"  \
      " debits, credits, mismatched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"  \
      " ON CONFLICT (business_id, kind, currency, day) DO UPDATE SET"          \
      " legs = ledger_day_totals.legs + excluded.legs,"                        \
      " debits = ledger_day_totals.debits + excluded.debits,"                  \
      " credits = ledger_day_totals.credits + excluded.credits,"               \
      " mismatched = ledger_day_totals.mismatched + excluded.mismatched")      \
    /* Schema v27: the range of ledger entry ids of each UTC day (no   \
     * SQLite-only min()/max() of two values: PostgreSQL's are others). */\
    X(RECON_ENTRY_DAY_ADD,                                                     \
      "INSERT INTO ledger_entry_days(day, first_id, last_id)"                  \
      " VALUES (?1, ?2, ?3) ON CONFLICT (day) DO UPDATE SET"                   \
      " first_id = CASE WHEN excluded.first_id < ledger_entry_days.first_id"   \
      " THEN excluded.first_id ELSE ledger_entry_days.first_id END,"           \
      " last_id = CASE WHEN excluded.last_id > ledger_entry_days.last_id"      \
      " THEN excluded.last_id ELSE ledger_entry_days.last_id END")             \
    X(RECON_TRIAL_COUNTED,                                                     \
      "SELECT currency, sum(debits), sum(credits),"                            \
      " sum(debits) - sum(credits), sum(mismatched) FROM ledger_day_totals"    \
      " WHERE business_id = :business GROUP BY currency ORDER BY currency")    \
    X(RECON_ACCT_SCAN, "SELECT id, business_id, kind, currency"                \
                       " FROM ledger_accounts WHERE id > ?1 ORDER BY id")      \
    X(RECON_OUTPUT_INSERT,                                                     \
      "INSERT INTO outputs(id, business_id, kind, business_date, seq, path,"   \
      " sha256, records, debit_total, credit_total, created_at)"               \
      " VALUES (?1, ?2, 'RECON', ?3, ?4, ?5, ?6, ?7, 0, 0, ?8)")

PS_SQ_AREA(PS_SQ_AREA_RECON, RECON_STMTS)

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
    [PS_RECON_Q_INTAKE] = STMT_RECON_INTAKE,
    [PS_RECON_Q_INTAKE_REFUSED] = STMT_RECON_INTAKE_REFUSED,
    [PS_RECON_Q_TXNS_COUNTED] = STMT_RECON_TXNS_COUNTED,
    [PS_RECON_Q_MOVES_COUNTED] = STMT_RECON_MOVES_COUNTED,
    [PS_RECON_Q_POSITIONS_COUNTED] = STMT_RECON_POSITIONS_COUNTED,
    [PS_RECON_Q_EWA_CHECK_COUNTED] = STMT_RECON_EWA_CHECK_COUNTED,
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

int ps_sq_recon_rows(struct ps_store *s, sqlite3_stmt *st, const char *what,
                     int (*cb)(void *ctx, const struct ps_recon_row *),
                     void *ctx, struct ps_err *err)
{
    int rc, ret = 0;
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
        ret = ps_sq_error(s, rc, what, err);
    ps_sq_done(st);
    return ret;
}

static int recon_programs(struct ps_store *s, const char *business_id,
                          int *n, struct ps_err *err);

int ps_store_recon_query(struct ps_store *s, enum ps_recon_query q,
                         const struct ps_recon_params *p,
                         int (*cb)(void *ctx, const struct ps_recon_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (PS_NEVER((unsigned)q >= PS_RECON_Q_N))
        return ps_err_set(err, PS_EINTERNAL, "RECON_QUERY",
                          "unknown reconciliation query %d", (int)q);
    /* The day's counters instead of the day's rows (schema v24), when
     * they can name the program. */
    if ((q == PS_RECON_Q_TXNS || q == PS_RECON_Q_MOVES) && s->recon_counts) {
        int programs = 0;
        if ((rc = recon_programs(s, p->business, &programs, err)) != 0)
            return rc;
        if (programs <= 1)
            q = q == PS_RECON_Q_TXNS ? PS_RECON_Q_TXNS_COUNTED
                                     : PS_RECON_Q_MOVES_COUNTED;
    }
    if (q == PS_RECON_Q_POSITIONS && s->recon_counts)
        q = PS_RECON_Q_POSITIONS_COUNTED;
    if (q == PS_RECON_Q_EWA_CHECK && s->recon_counts)
        q = PS_RECON_Q_EWA_CHECK_COUNTED;
    if (q == PS_RECON_Q_EWA_AGING) { /* one walk; the query if it cannot */
        int fallback = 0;
        if ((rc = ps_store_recon_aging(s, p->business, p->day, cb, ctx,
                                       &fallback, err)) != 0 ||
            !fallback)
            return rc;
    }
    if ((rc = prep(s, recon_stmt[q], &st, err)) != 0)
        return rc;
    bind_named(st, ":business", p->business);
    bind_named(st, ":day", p->day);
    bind_named(st, ":next_day", p->next_day);
    bind_named(st, ":output", p->output);
    bind_named(st, ":window_start", p->window_start);
    return ps_sq_recon_rows(s, st, "reconciliation query", cb, ctx, err);
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
                                 int seq, const char *path, const char *sha256,
                                 long records, const char *at,
                                 struct ps_err *err)
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

/* ---- the running counters of the counted sections (schema v24) ------ */

#define CHECK_CACHE_KB "8192"

/* Add a delta to the open transaction's log; an entry of the same key
 * written since the innermost savepoint began takes it (a rollback to
 * that savepoint drops the whole entry, as ps_store_rollback() does). */
static int count_add(struct ps_store *s, const struct ps_txn *t, int moved,
                     const char *at, int from, int status, int64_t sign,
                     struct ps_err *err)
{
    struct ps_rcount k;
    memset(&k, 0, sizeof(k));
    ps_strlcpy(k.business, t->business_id, sizeof(k.business));
    ps_strlcpy(k.day, at, sizeof(k.day)); /* YYYY-MM-DD of RFC 3339 UTC */
    ps_strlcpy(k.currency, t->currency, sizeof(k.currency));
    k.moved = (signed char)moved;
    k.profiled = t->profile_id[0] != '\0';
    k.rail = (signed char)t->rail;
    k.type = (signed char)t->type;
    k.from = (signed char)from;
    k.status = (signed char)status;
    size_t low = s->depth > 0 ? s->cntmark[s->depth - 1] : 0;
    for (size_t i = s->ncounts; i > low && i + 8 > s->ncounts; i--) {
        struct ps_rcount *c = &s->counts[i - 1];
        if (c->moved == k.moved && c->profiled == k.profiled &&
            c->rail == k.rail && c->type == k.type && c->from == k.from &&
            c->status == k.status && strcmp(c->day, k.day) == 0 &&
            strcmp(c->currency, k.currency) == 0 &&
            strcmp(c->business, k.business) == 0) {
            c->n += sign;
            c->amount += sign * t->amount;
            c->fee += sign * t->fee;
            return 0;
        }
    }
    if (s->ncounts == s->countcap) {
        size_t cap = s->countcap != 0 ? s->countcap * 2 : 64;
        struct ps_rcount *n = realloc(s->counts, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                              "no memory for the reconciliation counters");
        s->counts = n;
        s->countcap = cap;
    }
    k.n = sign;
    k.amount = sign * t->amount;
    k.fee = sign * t->fee;
    s->counts[s->ncounts++] = k;
    return 0;
}

int ps_store_recon_count_create(struct ps_store *s, const struct ps_txn *t,
                                struct ps_err *err)
{
    if (!s->recon_counts)
        return 0;
    int rc = count_add(s, t, 0, t->created_at, -1, (int)t->status, 1, err);
    return rc == 0 && s->depth == 0 ? ps_store_recon_count_flush(s, err) : rc;
}

int ps_store_recon_count_move(struct ps_store *s, const struct ps_txn *t,
                              int from, struct ps_err *err)
{
    if (!s->recon_counts)
        return 0;
    int rc = count_add(s, t, 0, t->created_at, -1, from, -1, err);
    if (rc == 0)
        rc = count_add(s, t, 0, t->created_at, -1, (int)t->status, 1, err);
    return rc == 0 && s->depth == 0 ? ps_store_recon_count_flush(s, err) : rc;
}

int ps_store_recon_count_moved(struct ps_store *s, const struct ps_txn *t,
                               int from, enum ps_txn_status to, const char *at,
                               struct ps_err *err)
{
    if (!s->recon_counts)
        return 0;
    int rc = count_add(s, t, 1, at, from, (int)to, 1, err);
    return rc == 0 && s->depth == 0 ? ps_store_recon_count_flush(s, err) : rc;
}

static int count_same(const struct ps_rcount *a, const struct ps_rcount *b)
{
    return a->moved == b->moved && a->profiled == b->profiled &&
           a->rail == b->rail && a->type == b->type && a->from == b->from &&
           a->status == b->status && strcmp(a->day, b->day) == 0 &&
           strcmp(a->currency, b->currency) == 0 &&
           strcmp(a->business, b->business) == 0;
}

void ps_store_recon_count_fold(struct ps_store *s, size_t from)
{
    /* The keys are few (a business's days, rails, statuses): each entry
     * goes onto the first of its key; the ones that came to nothing
     * (moved in and out again) go. */
    size_t nkeys = from;
    for (size_t i = from; i < s->ncounts; i++) {
        size_t k = from;
        while (k < nkeys && !count_same(&s->counts[k], &s->counts[i]))
            k++;
        if (k == nkeys)
            s->counts[nkeys++] = s->counts[i];
        else {
            s->counts[k].n += s->counts[i].n;
            s->counts[k].amount += s->counts[i].amount;
            s->counts[k].fee += s->counts[i].fee;
        }
    }
    size_t kept = from;
    for (size_t k = from; k < nkeys; k++)
        if (s->counts[k].n != 0 || s->counts[k].amount != 0 ||
            s->counts[k].fee != 0)
            s->counts[kept++] = s->counts[k];
    s->ncounts = kept;
}

int ps_store_recon_count_flush(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (s->ncounts == 0)
        return 0;
    if ((rc = prep(s, STMT_RECON_COUNT_ADD, &st, err)) != 0)
        return rc;
    ps_store_recon_count_fold(s, 0);
    size_t nkeys = s->ncounts;
    for (size_t k = 0; k < nkeys; k++) {
        const struct ps_rcount *c = &s->counts[k];
        BIND(st, 1, c->business);
        BIND(st, 2, c->day);
        BIND(st, 3, c->moved ? "MOVED" : "CREATED");
        BIND_INT(st, 4, c->profiled);
        BIND_ENUM(st, 5, PS_NAMES_RAIL, c->rail);
        BIND_ENUM(st, 6, PS_NAMES_TXN_TYPE, c->type);
        BIND(st, 7, c->from >= 0 ? ps_enum_name(PS_NAMES_TXN_STATUS, c->from)
                                 : "");
        BIND_ENUM(st, 8, PS_NAMES_TXN_STATUS, c->status);
        BIND(st, 9, c->currency);
        BIND_INT(st, 10, c->n);
        BIND_INT(st, 11, c->amount);
        BIND_INT(st, 12, c->fee);
        if ((rc = ps_sq_exec_step(s, st, "add to the reconciliation counters",
                                  err)) != 0)
            return rc;
    }
    s->ncounts = 0;
    return 0;
}

static int recon_programs(struct ps_store *s, const char *business_id,
                          int *n, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECON_PROGRAMS, &st, err);
    if (rc != 0)
        return rc;
    bind_named(st, ":business", business_id);
    GET_ONE(s, st, "EWA programs", err, *n = sqlite3_column_int(st, 0));
}

int ps_store_recon_counts_check(struct ps_store *s, const char *business_id,
                                int (*cb)(void *ctx,
                                          const struct ps_recon_row *),
                                void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s->recon_counts)
        return 0;
    /* Each GROUP BY's sorter keeps up to cache_size in memory before it
     * spills to its temporary file: the two statements' sorters took
     * verify from 124 to 234 MB at 198,600 disbursements.  A smaller
     * cache while they run; the store's own after. */
    if ((rc = ps_sq_exec_sql(s, "PRAGMA cache_size = -" CHECK_CACHE_KB,
                             err)) != 0)
        return rc;
    if ((rc = ps_store_recon_want(s, business_id, err)) == 0 &&
        (rc = prep(s, STMT_RECON_COUNTS_CHECK, &st, err)) == 0) {
        BIND_OPT(st, 1, business_id);
        rc = ps_sq_recon_rows(s, st, "check the reconciliation counters", cb,
                              ctx, err);
    }
    if (rc == 0 && (rc = prep(s,
                              s->fee_on_row ? STMT_RECON_LEGS_CHECK_V29
                                            : STMT_RECON_LEGS_CHECK,
                              &st, err)) == 0) {
        BIND_OPT(st, 1, business_id);
        rc = ps_sq_recon_rows(s, st, "check the ledger's day totals", cb, ctx,
                              err);
    }
    if (rc == 0 && s->entry_days &&
        (rc = prep(s, STMT_RECON_ENTRY_DAYS_CHECK, &st, err)) == 0)
        rc = ps_sq_recon_rows(s, st, "check the ledger entries' day ranges",
                              cb, ctx, err);
    if (rc == 0 && s->answer_sums &&
        (rc = prep(s, STMT_RECON_ANSWER_SUMS_CHECK, &st, err)) == 0) {
        BIND_OPT(st, 1, business_id);
        rc = ps_sq_recon_rows(s, st, "check the provider answers' sums", cb,
                              ctx, err);
    }
    struct ps_err e2;
    ps_err_clear(&e2);
    int rc2 = ps_sq_exec_sql(s, "PRAGMA cache_size = -" PS_STORE_CACHE_KB,
                             rc == 0 ? err : &e2);
    return rc != 0 ? rc : rc2;
}

/* ---- the day totals of the ledger's legs (schema v24) --------------- */

/* Load the accounts after the last one known (all on first use). */
static int akinds_load(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECON_ACCT_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND_INT(st, 1, s->nakinds > 0 ? s->akinds[s->nakinds - 1].id : 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nakinds == s->akindcap) {
            size_t cap = s->akindcap != 0 ? s->akindcap * 2 : 256;
            struct ps_acct_kind *n = realloc(s->akinds, cap * sizeof(*n));
            if (n == NULL)
                break;
            s->akinds = n;
            s->akindcap = cap;
        }
        const char *biz = (const char *)sqlite3_column_text(st, 1);
        size_t b = 0;
        while (b < s->nabiz && strcmp(s->abiz[b], biz != NULL ? biz : "") != 0)
            b++;
        if (b == s->nabiz) {
            if (s->nabiz == s->abizcap) {
                size_t cap = s->abizcap != 0 ? s->abizcap * 2 : 8;
                char(*n)[PS_ID_SIZE] = realloc(s->abiz, cap * sizeof(*n));
                if (n == NULL)
                    break;
                s->abiz = n;
                s->abizcap = cap;
            }
            ps_strlcpy(s->abiz[s->nabiz++], biz != NULL ? biz : "",
                       PS_ID_SIZE);
        }
        struct ps_acct_kind *k = &s->akinds[s->nakinds++];
        k->id = sqlite3_column_int64(st, 0);
        k->biz = (uint32_t)b;
        ps_sq_col_str(st, 2, k->kind, sizeof(k->kind));
        ps_sq_col_str(st, 3, k->currency, sizeof(k->currency));
    }
    if (rc == SQLITE_ROW) {
        ps_sq_done(st);
        return ps_err_set(err, PS_ENOMEM, "ENOMEM",
                          "no memory for the ledger accounts' kinds");
    }
    rc = rc == SQLITE_DONE ? 0 : ps_sq_error(s, rc, "scan ledger accounts", err);
    ps_sq_done(st);
    return rc;
}

/* Account id's entry, from index *from on (the legs come in id order). */
static const struct ps_acct_kind *akind_find(struct ps_store *s, int64_t id,
                                             size_t *from)
{
    size_t lo = *from, hi = s->nakinds;
    /* The legs come in account order: the next one is near, a forward
     * gallop to it keeps the search in cache (a search of all the
     * accounts for each leg missed it: 0.24 s of a 1M intake). */
    if (lo < hi && s->akinds[lo].id >= id)
        hi = lo + 1;
    for (size_t step = 1; lo < hi && s->akinds[lo].id < id; step *= 2) {
        size_t at = lo + step < hi ? lo + step : hi - 1;
        if (s->akinds[at].id < id)
            lo = at + 1;
        else {
            hi = at + 1;
            break;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->akinds[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *from = lo;
    return lo < s->nakinds && s->akinds[lo].id == id ? &s->akinds[lo] : NULL;
}

struct day_total {
    const struct ps_acct_kind *k; /* business, kind, currency */
    const char *day;
    int64_t legs, debits, credits, mismatched;
};

static int day_total_add(struct day_total **t, size_t *n, size_t *cap,
                         const struct ps_acct_kind *k, const struct ps_leg *l)
{
    for (size_t i = *n; i > 0; i--) {
        struct day_total *d = &(*t)[i - 1];
        if (d->k->biz == k->biz && strcmp(d->k->kind, k->kind) == 0 &&
            strcmp(d->k->currency, k->currency) == 0 &&
            strcmp(d->day, l->day) == 0) {
            d->legs += l->n;
            d->debits += l->debit;
            d->credits += l->credit;
            d->mismatched += strcmp(l->currency, k->currency) != 0 ? l->n : 0;
            return 0;
        }
    }
    if (*n == *cap) {
        size_t c = *cap != 0 ? *cap * 2 : 16;
        struct day_total *m = realloc(*t, c * sizeof(*m));
        if (m == NULL)
            return -1;
        *t = m;
        *cap = c;
    }
    (*t)[(*n)++] = (struct day_total){
        k, l->day, l->n, l->debit, l->credit,
        strcmp(l->currency, k->currency) != 0 ? l->n : 0};
    return 0;
}

static int day_totals_write(struct ps_store *s, const struct day_total *t,
                            size_t n, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_RECON_DAY_ADD, &st, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        BIND(st, 1, s->abiz[t[i].k->biz]);
        BIND(st, 2, t[i].k->kind);
        BIND(st, 3, t[i].k->currency);
        BIND(st, 4, t[i].day);
        BIND_INT(st, 5, t[i].legs);
        BIND_INT(st, 6, t[i].debits);
        BIND_INT(st, 7, t[i].credits);
        BIND_INT(st, 8, t[i].mismatched);
        rc = ps_sq_exec_step(s, st, "add to the ledger's day totals", err);
    }
    return rc;
}

/* ---- the day ranges of the ledger entries' ids (schema v27) --------- */

static int entry_days_write(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (s->nedays == 0)
        return 0;
    if ((rc = prep(s, STMT_RECON_ENTRY_DAY_ADD, &st, err)) != 0)
        return rc;
    for (int i = 0; rc == 0 && i < s->nedays; i++) {
        BIND(st, 1, s->edays[i].day);
        BIND_INT(st, 2, s->edays[i].first);
        BIND_INT(st, 3, s->edays[i].last);
        rc = ps_sq_exec_step(s, st, "add to the ledger entries' day ranges",
                             err);
    }
    s->nedays = 0;
    return rc;
}

int ps_store_recon_entry_day(struct ps_store *s, int64_t id, const char *at,
                             struct ps_err *err)
{
    char day[11];
    if (!s->entry_days)
        return 0;
    ps_strlcpy(day, at != NULL ? at : "", sizeof(day));
    for (int i = 0; i < s->nedays; i++)
        if (strcmp(s->edays[i].day, day) == 0) {
            if (id < s->edays[i].first)
                s->edays[i].first = id;
            if (id > s->edays[i].last)
                s->edays[i].last = id;
            return 0;
        }
    /* Full (days of a transaction are one or two): into the table now,
     * in the same transaction. */
    int rc = 0;
    if (s->nedays == (int)(sizeof(s->edays) / sizeof(s->edays[0])) &&
        (rc = entry_days_write(s, err)) != 0)
        return rc;
    struct ps_entry_day *d = &s->edays[s->nedays++];
    ps_strlcpy(d->day, day, sizeof(d->day));
    d->first = d->last = id;
    return 0;
}

int ps_store_recon_legs(struct ps_store *s, const struct ps_leg *legs,
                        size_t n, struct ps_err *err)
{
    struct day_total *t = NULL;
    size_t nt = 0, cap = 0, from = 0;
    int rc = entry_days_write(s, err);
    if (rc != 0 || !s->recon_counts || n == 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0 && legs[i].account < legs[i - 1].account)
            from = 0; /* not in account order: search from the start */
        const struct ps_acct_kind *k = akind_find(s, legs[i].account, &from);
        if (k == NULL) { /* an account created since: load the new ones */
            size_t before = s->nakinds;
            if ((rc = akinds_load(s, err)) != 0)
                break;
            from = 0;
            k = akind_find(s, legs[i].account, &from);
            if (k == NULL || s->akinds == NULL) {
                rc = ps_err_set(err, PS_EINTERNAL, "EINTERNAL",
                                "a ledger leg names account %lld, which "
                                "does not exist (%zu accounts known)",
                                (long long)legs[i].account, before);
                break;
            }
        }
        if (day_total_add(&t, &nt, &cap, k, &legs[i]) != 0)
            rc = ps_err_set(err, PS_ENOMEM, "ENOMEM",
                            "no memory for the ledger's day totals");
    }
    if (rc == 0)
        rc = day_totals_write(s, t, nt, err);
    free(t);
    return rc;
}

/* ---- the trial balance of one business, counted (schema v24) -------- */

int ps_store_recon_trial(struct ps_store *s, const char *business_id,
                         int (*cb)(void *ctx, const struct ps_trial_row *),
                         void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s->recon_counts)
        return ps_store_trial_balance(s, business_id, cb, ctx, err);
    if ((rc = prep(s, STMT_RECON_TRIAL_COUNTED, &st, err)) != 0)
        return rc;
    bind_named(st, ":business", business_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ps_trial_row r;
        memset(&r, 0, sizeof(r));
        ps_sq_col_str(st, 0, r.currency, sizeof(r.currency));
        r.debits = sqlite3_column_int64(st, 1);
        r.credits = sqlite3_column_int64(st, 2);
        r.balance = sqlite3_column_int64(st, 3);
        r.mismatched = sqlite3_column_int64(st, 4);
        if (cb(ctx, &r) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = ps_sq_error(s, rc, "trial balance", err);
    else
        rc = 0;
    ps_sq_done(st);
    return rc;
}
