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
      " AND h.created_at >= :day AND h.created_at < :next_day)"                \
      " OR EXISTS (SELECT 1 FROM output_items i"                               \
      " JOIN transactions t ON t.id = i.txn_id WHERE i.output_id = o.id"       \
      " AND t.created_at >= :day AND t.created_at < :next_day))"               \
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
    X(RECON_NEXT_SEQ, "SELECT ifnull(max(seq), 0) + 1 FROM outputs"            \
                      " WHERE business_id = :business AND kind = 'RECON'"      \
                      " AND business_date = :day")                             \
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
