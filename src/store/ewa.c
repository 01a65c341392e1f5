/*
 * ewa.c -- the store's earned wage access: programs, profiles
 * and their eligibility history, the one-query scans the EWA book loads
 * (ewabook.c) and the balances a disbursement moves, and payroll
 * results.
 *
 * How it fails: as every store function (store.h): PS_ENOTFOUND for a
 * missing row, PS_ECONFLICT for a UNIQUE violation, PS_EINVAL (rule
 * CONSTRAINT) for a CHECK or foreign key, PS_EBUSY, PS_ESTORE.
 */
#include "store/store.h"
#include "store/store_int.h"

#define PROGRAM_COLS                                                           \
    "id, business_id, name, currency, advance_rate_bp, min_transfer,"          \
    " max_transfer, period_cap, max_outstanding, fee_card, fee_ach,"           \
    " debit_fallback, max_debit_attempts, bad_debt_after, status,"             \
    " created_at"

#define PROFILE_COLS                                                           \
    "p.id, p.business_id, p.external_id, p.customer_id, p.account_id,"         \
    " p.program_id, p.enrollment_status, p.enrollment_begin,"                  \
    " ifnull(p.enrollment_end,''), p.eligibility_status, p.eligibility_id,"    \
    " h.reason, h.created_at, k.amount_to_recover, p.earned_wages,"            \
    " ifnull(p.period_start,''), k.period_disbursed, p.failed_recoveries,"     \
    " p.created_at, k.updated_at, ifnull(p.period_end,''),"                    \
    " p.employment_status, p.debit_attempts"

#define PROFILE_FROM                                                           \
    " FROM ewa_profiles p JOIN ewa_eligibility_history h"                      \
    " ON h.id = p.eligibility_id JOIN ewa_counters k ON k.profile = p.seq"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define EWA_STMTS(X)                                                           \
    X(PROGRAM_INSERT,                                                          \
      "INSERT INTO ewa_programs(id, business_id, name, currency,"              \
      " advance_rate_bp, min_transfer, max_transfer, period_cap,"              \
      " max_outstanding, fee_card, fee_ach, debit_fallback,"                   \
      " max_debit_attempts, bad_debt_after, status, created_at)"               \
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")                             \
    X(PROGRAM_GET, "SELECT " PROGRAM_COLS " FROM ewa_programs"                 \
                   " WHERE id = ?2 OR (business_id = ?1 AND name = ?2)")       \
    X(PROGRAM_LIST,                                                            \
      "SELECT " PROGRAM_COLS " FROM ewa_programs WHERE business_id = ?"        \
      " ORDER BY name")                                                        \
    X(PROFILE_INSERT,                                                          \
      "INSERT INTO ewa_profiles(id, business_id, external_id, customer_id,"    \
      " account_id, program_id, enrollment_status, enrollment_begin,"          \
      " enrollment_end, eligibility_status, eligibility_id,"                   \
      " earned_wages, period_start, failed_recoveries, created_at,"            \
      " updated_at, period_end, employment_status, debit_attempts, seq)"       \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14,"       \
      " ?16, ?17, ?18, ?19, ?20, ?21,"                                         \
      " (SELECT coalesce(max(seq), 0) + 1 FROM ewa_profiles))")                \
    /* the profile's counters (schema 21): ewa_counters' row */          \
    X(COUNTERS_INSERT,                                                         \
      "INSERT INTO ewa_counters(profile, amount_to_recover,"                   \
      " period_disbursed, updated_at)"                                         \
      " SELECT seq, ?2, ?3, ?4 FROM ewa_profiles WHERE id = ?1")               \
    X(PROFILE_GET, "SELECT " PROFILE_COLS PROFILE_FROM " WHERE p.id = ?")      \
    X(PROFILE_GET_EXT, "SELECT " PROFILE_COLS PROFILE_FROM                     \
                       " WHERE p.business_id = ? AND p.external_id = ?")       \
    X(PROFILE_UPDATE,                                                          \
      "UPDATE ewa_profiles SET customer_id = ?2, account_id = ?3,"             \
      " program_id = ?4, enrollment_status = ?5, enrollment_begin = ?6,"       \
      " enrollment_end = ?7, eligibility_status = ?8, eligibility_id = ?9,"    \
      " earned_wages = ?11, period_start = ?12,"                               \
      " failed_recoveries = ?14, updated_at = ?15,"                            \
      " period_end = ?16, employment_status = ?17, debit_attempts = ?18"       \
      " WHERE id = ?1")                                                        \
    X(PROFILE_SCAN, "SELECT " PROFILE_COLS PROFILE_FROM                        \
                    " WHERE p.business_id = ? ORDER BY p.external_id")         \
    X(ELIGIBILITY_INSERT,                                                      \
      "INSERT INTO ewa_eligibility_history(id, profile_id, from_status,"       \
      " status, reason, source_file, source_line, created_at)"                 \
      " VALUES (?,?,?,?,?,?,?,?)")                                             \
    X(ELIGIBILITY_LIST,                                                        \
      "SELECT id, ifnull(from_status,''), status, reason,"                     \
      " ifnull(source_file,''), ifnull(source_line,0), created_at"             \
      " FROM ewa_eligibility_history WHERE profile_id = ?"                     \
      " ORDER BY created_at, rowid")                                           \
    /* "|| ''": a value without affinity, as the ledger_accounts_key  \
     * expression is, so the join probes the index on all four keys   \
     * (with the bare column SQLite used three: 100,000 x 100,000). */ \
    X(BOOK_SCAN,                                                               \
      "SELECT p.id, p.external_id, p.customer_id, p.account_id,"               \
      " p.program_id, p.enrollment_status, p.enrollment_begin,"                \
      " ifnull(p.enrollment_end,''), p.eligibility_status,"                    \
      " k.amount_to_recover, p.earned_wages, k.period_disbursed,"              \
      " c.status, a.status, a.kind, a.last4, p.seq, ifnull(l.id, 0),"          \
      " ifnull(k.last_txn, 0)"                                                 \
      " FROM ewa_profiles p JOIN ewa_counters k ON k.profile = p.seq"          \
      " JOIN customers c ON c.id = p.customer_id"                              \
      " JOIN financial_accounts a ON a.id = p.account_id"                      \
      " JOIN ewa_programs g ON g.id = p.program_id"                            \
      " LEFT JOIN ledger_accounts l ON l.business_id = p.business_id"          \
      "  AND l.kind = 'CUSTOMER' AND l.currency = g.currency"                  \
      "  AND ifnull(l.customer_id, '') = p.customer_id || ''"                  \
      " WHERE p.business_id = ?")                                              \
    X(PROFILE_BALANCES,                                                        \
      "UPDATE ewa_counters SET amount_to_recover = ?2,"                        \
      " period_disbursed = ?3, updated_at = ?4,"                               \
      " last_txn = coalesce(?6, last_txn) WHERE profile = ?5")                 \
    X(PROFILE_BALANCES_BY_ID,                                                  \
      "UPDATE ewa_counters SET amount_to_recover = ?2,"                        \
      " period_disbursed = ?3, updated_at = ?4,"                               \
      " last_txn = coalesce(?6, last_txn)"                                     \
      " WHERE profile = (SELECT seq FROM ewa_profiles WHERE id = ?1)")         \
    X(PAYROLL_INSERT,                                                          \
      "INSERT INTO payroll_results(profile_id, pay_date, gross, net,"          \
      " deduction, due, source_file, source_line, created_at, outcome,"        \
      " currency) VALUES (?,?,?,?,?,?,?,?,?,?,?)")

PS_SQ_AREA(PS_SQ_AREA_EWA, EWA_STMTS)

static void read_program(sqlite3_stmt *st, struct ps_program *p)
{
    COL_STR(st, 0, p->id);
    COL_STR(st, 1, p->business_id);
    COL_STR(st, 2, p->name);
    COL_STR(st, 3, p->currency);
    p->advance_rate_bp = sqlite3_column_int(st, 4);
    p->min_transfer = sqlite3_column_int64(st, 5);
    p->max_transfer = sqlite3_column_int64(st, 6);
    p->period_cap = sqlite3_column_int64(st, 7);
    p->max_outstanding = sqlite3_column_int64(st, 8);
    p->fee_card = sqlite3_column_int64(st, 9);
    p->fee_ach = sqlite3_column_int64(st, 10);
    p->debit_fallback = sqlite3_column_int(st, 11);
    p->max_debit_attempts = sqlite3_column_int(st, 12);
    p->bad_debt_after = sqlite3_column_int(st, 13);
    p->status = (enum ps_status)ps_sq_col_enum(st, 14, PS_NAMES_STATUS);
    COL_STR(st, 15, p->created_at);
}

int ps_store_program_insert(struct ps_store *s, const struct ps_program *p,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROGRAM_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, p->id);
    BIND(st, 2, p->business_id);
    BIND(st, 3, p->name);
    BIND(st, 4, p->currency);
    BIND_INT(st, 5, p->advance_rate_bp);
    BIND_INT(st, 6, p->min_transfer);
    BIND_INT(st, 7, p->max_transfer);
    BIND_INT(st, 8, p->period_cap);
    BIND_INT(st, 9, p->max_outstanding);
    BIND_INT(st, 10, p->fee_card);
    BIND_INT(st, 11, p->fee_ach);
    BIND_INT(st, 12, p->debit_fallback);
    BIND_INT(st, 13, p->max_debit_attempts);
    BIND_INT(st, 14, p->bad_debt_after);
    BIND_ENUM(st, 15, PS_NAMES_STATUS, p->status);
    BIND(st, 16, p->created_at);
    return ps_sq_exec_step(s, st, "insert program", err);
}

int ps_store_program_get(struct ps_store *s, const char *business_id,
                         const char *name_or_id, struct ps_program *out,
                         struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROGRAM_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND_OPT(st, 1, business_id);
    BIND(st, 2, name_or_id);
    GET_ONE(s, st, "EWA program", err, read_program(st, out));
}

int ps_store_program_list(struct ps_store *s, const char *business_id,
                          int (*cb)(void *, const struct ps_program *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROGRAM_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "list programs", err, struct ps_program, read_program, cb,
             ctx);
}

static void read_profile(sqlite3_stmt *st, struct ps_profile *p)
{
    COL_STR(st, 0, p->id);
    COL_STR(st, 1, p->business_id);
    COL_STR(st, 2, p->external_id);
    COL_STR(st, 3, p->customer_id);
    COL_STR(st, 4, p->account_id);
    COL_STR(st, 5, p->program_id);
    p->enrollment =
        (enum ps_enrollment)ps_sq_col_enum(st, 6, PS_NAMES_ENROLLMENT);
    COL_STR(st, 7, p->enrollment_begin);
    COL_STR(st, 8, p->enrollment_end);
    p->eligibility =
        (enum ps_eligibility)ps_sq_col_enum(st, 9, PS_NAMES_ELIGIBILITY);
    COL_STR(st, 10, p->eligibility_id);
    COL_STR(st, 11, p->eligibility_reason);
    COL_STR(st, 12, p->eligibility_at);
    p->amount_to_recover = sqlite3_column_int64(st, 13);
    p->earned_wages = sqlite3_column_int64(st, 14);
    COL_STR(st, 15, p->period_start);
    p->period_disbursed = sqlite3_column_int64(st, 16);
    p->failed_recoveries = sqlite3_column_int(st, 17);
    COL_STR(st, 18, p->created_at);
    COL_STR(st, 19, p->updated_at);
    COL_STR(st, 20, p->period_end);
    p->employment =
        (enum ps_employment)ps_sq_col_enum(st, 21, PS_NAMES_EMPLOYMENT);
    p->debit_attempts = sqlite3_column_int(st, 22);
}

/* The profile's counters row (ewa_counters, schema 21): statement `which`
 * binds ?1 the profile's id, ?2-?4 the counters and their time, ?5 its
 * seq when `row` > 0; exactly one row or PS_ENOTFOUND. */
static int counters(struct ps_store *s, int which, int64_t row,
                    const struct ps_profile *p, const char *what,
                    struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, which, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, p->id);
    BIND_INT(st, 2, p->amount_to_recover);
    BIND_INT(st, 3, p->period_disbursed);
    BIND(st, 4, p->updated_at);
    if (row > 0)
        BIND_INT(st, 5, row);
    return ps_sq_exec_one(s, st, what, PS_ENOTFOUND, err);
}

int ps_store_profile_insert(struct ps_store *s, const struct ps_profile *p,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROFILE_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, p->id);
    BIND(st, 2, p->business_id);
    BIND(st, 3, p->external_id);
    BIND(st, 4, p->customer_id);
    BIND(st, 5, p->account_id);
    BIND(st, 6, p->program_id);
    BIND_ENUM(st, 7, PS_NAMES_ENROLLMENT, p->enrollment);
    BIND(st, 8, p->enrollment_begin);
    BIND_OPT(st, 9, p->enrollment_end);
    BIND_ENUM(st, 10, PS_NAMES_ELIGIBILITY, p->eligibility);
    BIND(st, 11, p->eligibility_id);
    BIND_INT(st, 12, p->amount_to_recover);
    BIND_INT(st, 13, p->earned_wages);
    BIND_OPT(st, 14, p->period_start);
    BIND_INT(st, 15, p->period_disbursed);
    BIND_INT(st, 16, p->failed_recoveries);
    BIND(st, 17, p->created_at);
    BIND(st, 18, p->updated_at);
    BIND_OPT(st, 19, p->period_end);
    BIND_ENUM(st, 20, PS_NAMES_EMPLOYMENT, p->employment);
    BIND_INT(st, 21, p->debit_attempts);
    if ((rc = ps_store_begin(s, err)) != 0)
        return rc;
    if ((rc = ps_sq_exec_step(s, st, "insert EWA profile", err)) == 0 &&
        (rc = counters(s, STMT_COUNTERS_INSERT, 0, p, "insert EWA counters",
                       err)) == 0)
        return ps_store_commit(s, err);
    ps_store_rollback(s);
    return rc;
}

int ps_store_profile_get(struct ps_store *s, const char *id,
                         struct ps_profile *out, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROFILE_GET, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    GET_ONE(s, st, "EWA profile", err, read_profile(st, out));
}

int ps_store_profile_get_ext(struct ps_store *s, const char *business_id,
                             const char *external_id, struct ps_profile *out,
                             struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROFILE_GET_EXT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    BIND(st, 2, external_id);
    GET_ONE(s, st, "EWA profile", err, read_profile(st, out));
}

int ps_store_profile_update(struct ps_store *s, const struct ps_profile *p,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROFILE_UPDATE, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, p->id);
    BIND(st, 2, p->customer_id);
    BIND(st, 3, p->account_id);
    BIND(st, 4, p->program_id);
    BIND_ENUM(st, 5, PS_NAMES_ENROLLMENT, p->enrollment);
    BIND(st, 6, p->enrollment_begin);
    BIND_OPT(st, 7, p->enrollment_end);
    BIND_ENUM(st, 8, PS_NAMES_ELIGIBILITY, p->eligibility);
    BIND(st, 9, p->eligibility_id);
    BIND_INT(st, 10, p->amount_to_recover);
    BIND_INT(st, 11, p->earned_wages);
    BIND_OPT(st, 12, p->period_start);
    BIND_INT(st, 13, p->period_disbursed);
    BIND_INT(st, 14, p->failed_recoveries);
    BIND(st, 15, p->updated_at);
    BIND_OPT(st, 16, p->period_end);
    BIND_ENUM(st, 17, PS_NAMES_EMPLOYMENT, p->employment);
    BIND_INT(st, 18, p->debit_attempts);
    if ((rc = ps_store_begin(s, err)) != 0)
        return rc;
    if ((rc = ps_sq_exec_one(s, st, "update EWA profile", PS_ENOTFOUND,
                             err)) == 0 &&
        (rc = counters(s, STMT_PROFILE_BALANCES_BY_ID, 0, p,
                       "update EWA profile balances", err)) == 0)
        return ps_store_commit(s, err);
    ps_store_rollback(s);
    return rc;
}

int ps_store_profile_scan(struct ps_store *s, const char *business_id,
                          int (*cb)(void *ctx, const struct ps_profile *),
                          void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PROFILE_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "list EWA profiles", err, struct ps_profile, read_profile,
             cb, ctx);
}

int ps_store_eligibility_insert(struct ps_store *s, const char *id,
                                const char *profile_id, int from_status,
                                enum ps_eligibility to,
                                const struct ps_source *src, const char *at,
                                struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ELIGIBILITY_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND(st, 2, profile_id);
    if (from_status >= 0)
        BIND_ENUM(st, 3, PS_NAMES_ELIGIBILITY, from_status);
    BIND_ENUM(st, 4, PS_NAMES_ELIGIBILITY, to);
    BIND(st, 5, src != NULL && src->reason != NULL ? src->reason : "");
    BIND_OPT(st, 6, src != NULL ? src->file : NULL);
    if (src != NULL && src->line > 0)
        BIND_INT(st, 7, src->line);
    BIND(st, 8, at);
    return ps_sq_exec_step(s, st, "insert eligibility history", err);
}

static void read_eligibility(sqlite3_stmt *st, struct ps_eligibility_row *r)
{
    COL_STR(st, 0, r->id);
    const unsigned char *from = sqlite3_column_text(st, 1);
    r->from_status = ps_enum_parse(PS_NAMES_ELIGIBILITY,
                                   from != NULL ? (const char *)from : "");
    r->status =
        (enum ps_eligibility)ps_sq_col_enum(st, 2, PS_NAMES_ELIGIBILITY);
    COL_STR(st, 3, r->reason);
    COL_STR(st, 4, r->source_file);
    r->source_line = (long)sqlite3_column_int64(st, 5);
    COL_STR(st, 6, r->created_at);
}

int ps_store_eligibility_list(struct ps_store *s, const char *profile_id,
                              int (*cb)(void *,
                                        const struct ps_eligibility_row *),
                              void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_ELIGIBILITY_LIST, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, profile_id);
    FOR_EACH(s, st, "list eligibility history", err, struct ps_eligibility_row,
             read_eligibility, cb, ctx);
}

static void read_book_row(sqlite3_stmt *st, struct ps_book_row *r)
{
    COL_STR(st, 0, r->id);
    COL_STR(st, 1, r->external_id);
    COL_STR(st, 2, r->customer_id);
    COL_STR(st, 3, r->account_id);
    COL_STR(st, 4, r->program_id);
    r->enrollment =
        (enum ps_enrollment)ps_sq_col_enum(st, 5, PS_NAMES_ENROLLMENT);
    COL_STR(st, 6, r->enrollment_begin);
    COL_STR(st, 7, r->enrollment_end);
    r->eligibility =
        (enum ps_eligibility)ps_sq_col_enum(st, 8, PS_NAMES_ELIGIBILITY);
    r->amount_to_recover = sqlite3_column_int64(st, 9);
    r->earned_wages = sqlite3_column_int64(st, 10);
    r->period_disbursed = sqlite3_column_int64(st, 11);
    r->customer_status =
        (enum ps_status)ps_sq_col_enum(st, 12, PS_NAMES_STATUS);
    r->account_status = (enum ps_status)ps_sq_col_enum(st, 13, PS_NAMES_STATUS);
    r->account_kind =
        (enum ps_account_kind)ps_sq_col_enum(st, 14, PS_NAMES_ACCOUNT_KIND);
    COL_STR(st, 15, r->account_last4);
    r->row = sqlite3_column_int64(st, 16);
    r->ledger_customer = sqlite3_column_int64(st, 17);
    r->last_txn = sqlite3_column_int64(st, 18);
}

int ps_store_book_scan(struct ps_store *s, const char *business_id,
                       int (*cb)(void *ctx, const struct ps_book_row *),
                       void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_BOOK_SCAN, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, business_id);
    FOR_EACH(s, st, "load EWA profiles", err, struct ps_book_row, read_book_row,
             cb, ctx);
}

int ps_store_profile_balances(struct ps_store *s, int64_t row, const char *id,
                              int64_t amount_to_recover,
                              int64_t period_disbursed, const char *at,
                              struct ps_err *err)
{
    return ps_store_profile_flush(s, row, id, amount_to_recover,
                                  period_disbursed, 0, at, err);
}

int ps_store_profile_flush(struct ps_store *s, int64_t row, const char *id,
                           int64_t amount_to_recover, int64_t period_disbursed,
                           int64_t last_txn, const char *at,
                           struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        prep(s, row > 0 ? STMT_PROFILE_BALANCES : STMT_PROFILE_BALANCES_BY_ID,
             &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, id);
    BIND_INT(st, 2, amount_to_recover);
    BIND_INT(st, 3, period_disbursed);
    BIND(st, 4, at);
    if (row > 0)
        BIND_INT(st, 5, row);
    if (last_txn > 0)
        BIND_INT(st, 6, last_txn);
    return ps_sq_exec_one(s, st, "update EWA profile balances", PS_ENOTFOUND,
                          err);
}

int ps_store_payroll_insert(struct ps_store *s, const struct ps_payroll_row *r,
                            struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, STMT_PAYROLL_INSERT, &st, err);
    if (rc != 0)
        return rc;
    BIND(st, 1, r->profile_id);
    BIND(st, 2, r->pay_date);
    BIND_INT(st, 3, r->gross);
    BIND_INT(st, 4, r->net);
    BIND_INT(st, 5, r->deduction);
    BIND_INT(st, 6, r->due);
    BIND_OPT(st, 7, r->source_file);
    BIND_INT(st, 8, r->source_line);
    BIND(st, 9, r->created_at);
    BIND(st, 10, r->outcome);
    BIND(st, 11, r->currency);
    return ps_sq_exec_step(s, st, "insert payroll result", err);
}
