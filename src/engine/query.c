/*
 * query.c -- the engine's read API (query.h): the rows the command line
 * shows, read through the store, and the two checks that keep one
 * business from seeing another's customers and accounts.
 *
 * Fails as the store does (PS_ESTORE, PS_ENOTFOUND); the business checks
 * name their rule (CUSTOMER_NOT_FOUND, ACCOUNT_NOT_FOUND).
 */
#include "engine/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/crypto.h"
#include "engine/handle.h"
#include "store/linx.h"
#include "store/recon.h"

int ps_query_schema_version(struct ps_engine *eng)
{
    return ps_store_version(eng->store);
}

int ps_query_schema_latest(void)
{
    return ps_store_latest_version();
}

int ps_query_businesses(struct ps_engine *eng,
                        int (*cb)(void *ctx, const struct ps_business *b),
                        void *ctx, struct ps_err *err)
{
    return ps_store_business_list(eng->store, cb, ctx, err);
}

int ps_query_programs(struct ps_engine *eng, const char *business_id,
                      int (*cb)(void *ctx, const struct ps_program *p),
                      void *ctx, struct ps_err *err)
{
    return ps_store_program_list(eng->store, business_id, cb, ctx, err);
}

int ps_query_customer_get(struct ps_engine *eng, const char *customer_id,
                          struct ps_customer *out, struct ps_err *err)
{
    return ps_store_customer_get(eng->store, customer_id, out, err);
}

int ps_query_customer_in_business(struct ps_engine *eng,
                                  const struct ps_business *b,
                                  const char *external_id,
                                  struct ps_customer *out, struct ps_err *err)
{
    /* The store looks the external id up within the business: another
     * business's customer of the same external id is not found. */
    int rc =
        ps_store_customer_get_ext(eng->store, b->id, external_id, out, err);
    if (rc == PS_ENOTFOUND)
        ps_err_set(err, rc, "CUSTOMER_NOT_FOUND", "no customer %s in %s",
                   external_id, b->name);
    return rc;
}

int ps_query_customer_contacts(struct ps_engine *eng, const char *customer_id,
                               int (*cb)(void *ctx, const struct ps_contact *),
                               void *ctx, struct ps_err *err)
{
    return ps_store_customer_contacts(eng->store, customer_id, cb, ctx, err);
}

int ps_query_customer_identity(struct ps_engine *eng, const char *customer_id,
                               struct ps_identity_mask *out,
                               struct ps_err *err)
{
    unsigned char sealed[64], plain[24];
    size_t n = 0;
    int has_tax = 0;
    char last4[5];
    int rc = ps_store_identity_get(eng->store, customer_id, sealed,
                                   sizeof(sealed), &n, &has_tax, last4, err);
    memset(out, 0, sizeof(*out));
    if (rc == PS_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (has_tax)
        snprintf(out->tax_id, sizeof(out->tax_id), "***-**-%.4s", last4);
    if (n == 0)
        return 0;
    ps_strlcpy(out->dob, "****-**-**", sizeof(out->dob));
    /* YYYY-MM-DD sealed: its day alone is shown. */
    if (eng->keys != NULL && n == 10 + PS_SEALED_OVERHEAD) {
        struct ps_err ignore;
        if (ps_keys_open(eng->keys, sealed, n, plain, &ignore) == 0) {
            out->dob[8] = (char)plain[8];
            out->dob[9] = (char)plain[9];
        }
        sodium_memzero(plain, sizeof(plain));
    }
    return 0;
}

int ps_query_customer_addresses(struct ps_engine *eng, const char *customer_id,
                                int (*cb)(void *ctx, const struct ps_address *),
                                void *ctx, struct ps_err *err)
{
    return ps_store_customer_addresses(eng->store, customer_id, cb, ctx, err);
}

int ps_query_customer_history(struct ps_engine *eng, const char *customer_id,
                              int (*cb)(void *ctx,
                                        const struct ps_status_history_row *),
                              void *ctx, struct ps_err *err)
{
    return ps_store_customer_history(eng->store, customer_id, cb, ctx, err);
}

int ps_query_accounts(struct ps_engine *eng, const char *customer_id,
                      int (*cb)(void *ctx, const struct ps_account *),
                      void *ctx, struct ps_err *err)
{
    return ps_store_account_list(eng->store, customer_id, cb, ctx, err);
}

int ps_query_account_get(struct ps_engine *eng, const char *account_id,
                         struct ps_account *out, struct ps_err *err)
{
    return ps_store_account_get(eng->store, account_id, out, err);
}

int ps_query_account_in_business(struct ps_engine *eng,
                                 const struct ps_business *b,
                                 const char *account_id, struct ps_account *out,
                                 struct ps_err *err)
{
    struct ps_account a;
    int rc = ps_store_account_get(eng->store, account_id, &a, err);
    if (rc != 0)
        return rc;
    if (strcmp(a.business_id, b->id) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
                          "no account %s in %s", account_id, b->name);
    *out = a;
    return 0;
}

int ps_query_account_history(struct ps_engine *eng, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_status_history_row *),
                             void *ctx, struct ps_err *err)
{
    return ps_store_account_history(eng->store, account_id, cb, ctx, err);
}

int ps_query_debit_auths(struct ps_engine *eng, const char *account_id,
                         int (*cb)(void *ctx, const struct ps_debit_auth *),
                         void *ctx, struct ps_err *err)
{
    return ps_store_debit_auth_list(eng->store, account_id, cb, ctx, err);
}

int ps_query_account_changes(struct ps_engine *eng, const char *account_id,
                             int (*cb)(void *ctx,
                                       const struct ps_account_change *),
                             void *ctx, struct ps_err *err)
{
    return ps_store_account_changes(eng->store, account_id, cb, ctx, err);
}

int ps_query_txn_get(struct ps_engine *eng, const char *txn_id,
                     struct ps_txn *out, struct ps_err *err)
{
    return ps_store_txn_get(eng->store, txn_id, out, err);
}

int ps_query_txn_history(struct ps_engine *eng, const char *txn_id,
                         int (*cb)(void *ctx,
                                   const struct ps_txn_history_row *),
                         void *ctx, struct ps_err *err)
{
    return ps_store_txn_history(eng->store, txn_id, cb, ctx, err);
}

int ps_query_trial_balance(struct ps_engine *eng, const char *business_id,
                           int (*cb)(void *ctx, const struct ps_trial_row *),
                           void *ctx, struct ps_err *err)
{
    return ps_store_trial_balance(eng->store, business_id, cb, ctx, err);
}

int ps_query_orphans(struct ps_engine *eng, int64_t *n, char *detail,
                     size_t size, struct ps_err *err)
{
    return ps_store_orphans(eng->store, NULL, NULL, n, detail, size, err);
}

int ps_query_files(struct ps_engine *eng, const char *business_id, long limit,
                   int (*cb)(void *ctx, const struct ps_file *), void *ctx,
                   struct ps_err *err)
{
    return ps_store_file_list(eng->store, business_id, limit, cb, ctx, err);
}

int ps_query_file_get(struct ps_engine *eng, const char *file_id,
                      struct ps_file *out, struct ps_err *err)
{
    return ps_store_file_get(eng->store, file_id, out, err);
}

int ps_query_file_retries(struct ps_engine *eng, const char *file_id,
                          int (*cb)(void *ctx, const struct ps_file_retry *),
                          void *ctx, struct ps_err *err)
{
    return ps_store_file_retries(eng->store, file_id, cb, ctx, err);
}

int ps_query_file_retry_of(struct ps_engine *eng, const struct ps_file *f,
                           struct ps_file_retry *out, struct ps_err *err)
{
    /* A row retried itself is the rejection, not what came of a retry. */
    struct ps_file_retry r;
    int rc = ps_store_file_retry_before(eng->store, f, &r, err);
    if (rc != 0)
        return rc;
    if (strcmp(r.file_id, f->id) == 0 || strcmp(r.retried_at, f->received_at) > 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND", "not a retry");
    *out = r;
    return 0;
}

int ps_query_record_results(struct ps_engine *eng, const char *file_id,
                            int (*cb)(void *ctx,
                                      const struct ps_record_result_row *),
                            void *ctx, struct ps_err *err)
{
    return ps_store_record_results(eng->store, file_id, cb, ctx, err);
}

int ps_query_job_runs(struct ps_engine *eng, const char *job, long limit,
                      int (*cb)(void *ctx, const struct ps_job_run *),
                      void *ctx, struct ps_err *err)
{
    return ps_store_job_run_list(eng->store, job, limit, cb, ctx, err);
}

int ps_query_job_state(struct ps_engine *eng, const char *job,
                       char last_fired[PS_TIME_SIZE],
                       char last_success[PS_TIME_SIZE], struct ps_err *err)
{
    return ps_store_job_state(eng->store, job, last_fired, last_success, err);
}

int ps_query_guard_take(struct ps_engine *eng, long pid, const char *host,
                        const char *at, struct ps_err *err)
{
    return ps_store_guard_take(eng->store, pid, host, at, err);
}

int ps_query_guard_release(struct ps_engine *eng, long pid, struct ps_err *err)
{
    return ps_store_guard_release(eng->store, pid, err);
}

/* ---- ledger verify -------------------------------------------------- */

/* The trial balance of one currency, summed from the account rows. */
struct verify_cur {
    char currency[4];
    int64_t debits, credits;               /* recomputed */
    int64_t stored_debits, stored_credits; /* where stored */
    int64_t stored;                        /* accounts with a stored one */
};

struct verify_ctx {
    int (*cb)(void *, const struct ps_verify_finding *);
    void *ctx;
    struct ps_verify_summary *sum;
    unsigned flags;
    struct verify_cur *cur;
    size_t ncur, capcur;
    int stop; /* cb asked to stop */
    int nomem;
};

/* Report one finding; differences are counted. */
static int verify_emit(struct verify_ctx *v, struct ps_verify_finding *f)
{
    if (!f->ok)
        v->sum->differences++;
    if (v->stop)
        return 1;
    if (v->cb(v->ctx, f) != 0)
        v->stop = 1;
    return v->stop;
}

static struct verify_cur *verify_cur(struct verify_ctx *v, const char *c)
{
    for (size_t i = 0; i < v->ncur; i++)
        if (strcmp(v->cur[i].currency, c) == 0)
            return &v->cur[i];
    if (v->ncur == v->capcur) {
        size_t cap = v->capcur != 0 ? v->capcur * 2 : 8;
        struct verify_cur *n = realloc(v->cur, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        v->cur = n;
        v->capcur = cap;
    }
    struct verify_cur *r = &v->cur[v->ncur++];
    memset(r, 0, sizeof(*r));
    snprintf(r->currency, sizeof(r->currency), "%s", c);
    return r;
}

/* One side of an account against its stored figure. */
static void verify_side(struct verify_ctx *v,
                        const struct ps_verify_account_row *a,
                        const char *subject, const char *figure, int64_t rows,
                        int64_t stored)
{
    struct ps_verify_finding f = {.check = PS_VERIFY_ACCOUNT,
                                  .ok = rows == stored,
                                  .business = a->business,
                                  .account = a->id,
                                  .subject = subject,
                                  .currency = a->currency,
                                  .figure = figure,
                                  .left_name = "from the ledger's rows",
                                  .right_name = "stored",
                                  .left = rows,
                                  .right = stored};
    if (!f.ok)
        verify_emit(v, &f);
}

static int verify_account(void *vctx, const struct ps_verify_account_row *a)
{
    struct verify_ctx *v = vctx;
    char subject[64 + PS_EXTID_SIZE];
    struct verify_cur *c = verify_cur(v, a->currency);
    if (c == NULL) {
        v->nomem = 1;
        return 1;
    }
    v->sum->accounts++;
    c->debits += a->debits;
    c->credits += a->credits;
    snprintf(subject, sizeof(subject), "%s%s%s", a->kind,
             a->customer[0] != '\0' ? " " : "", a->customer);
    if (v->flags & PS_VERIFY_EVERY_ACCOUNT) {
        struct ps_verify_finding f = {.check = PS_VERIFY_ACCOUNT,
                                      .ok = 1,
                                      .business = a->business,
                                      .account = a->id,
                                      .subject = subject,
                                      .currency = a->currency,
                                      .figure = "balance",
                                      .left_name = "debits",
                                      .right_name = "credits",
                                      .left = a->debits,
                                      .right = a->credits};
        if (verify_emit(v, &f) != 0)
            return 1;
    }
    if (a->stored) {
        v->sum->stored_accounts++;
        c->stored++;
        c->stored_debits += a->stored_debits;
        c->stored_credits += a->stored_credits;
        verify_side(v, a, subject, "debits", a->debits, a->stored_debits);
        verify_side(v, a, subject, "credits", a->credits, a->stored_credits);
    }
    if (a->cross_currency != 0) {
        struct ps_verify_finding f = {.check = PS_VERIFY_ACCOUNT,
                                      .business = a->business,
                                      .account = a->id,
                                      .subject = subject,
                                      .currency = a->currency,
                                      .figure = "legs in another currency "
                                                "or business",
                                      .left_name = "found",
                                      .right_name = "allowed",
                                      .left = a->cross_currency,
                                      .count = 1};
        verify_emit(v, &f);
    }
    return v->stop;
}

static int verify_receivable(void *vctx,
                             const struct ps_verify_receivable_row *r)
{
    struct verify_ctx *v = vctx;
    struct ps_verify_finding f = {
        .check = PS_VERIFY_RECEIVABLE,
        .ok = r->ledger == r->counted,
        .business = r->business,
        .subject = "EWA_RECEIVABLE",
        .currency = r->currency,
        .figure = "balance",
        .left_name = "from the ledger's rows",
        .right_name = "counted from its transactions and payroll results",
        .left = r->ledger,
        .right = r->counted};
    v->sum->receivables++;
    return f.ok ? 0 : verify_emit(v, &f);
}

static int verify_profile(void *vctx, const struct ps_verify_profile_row *p)
{
    struct verify_ctx *v = vctx;
    char subject[32 + PS_EXTID_SIZE];
    snprintf(subject, sizeof(subject), "EWA profile %s", p->external_id);
    struct ps_verify_finding f = {
        .check = PS_VERIFY_PROFILE,
        .ok = p->stored == p->counted,
        .business = p->business,
        .subject = subject,
        .currency = p->currency,
        .figure = "amountToRecover",
        .left_name = "stored",
        .right_name = "counted from its transactions and payroll results",
        .left = p->stored,
        .right = p->counted};
    v->sum->profiles++;
    if (!f.ok && verify_emit(v, &f) != 0)
        return 1;
    /* Its payment page and recovery debits are read through its chain
     * (schema 22): every transaction of the profile must be on it. */
    struct ps_verify_finding c = {.check = PS_VERIFY_PROFILE,
                                  .ok = p->txns == p->chained,
                                  .business = p->business,
                                  .subject = subject,
                                  .currency = p->currency,
                                  .figure = "transactions",
                                  .left_name = "linked on its chain",
                                  .right_name = "by its id",
                                  .left = p->chained,
                                  .right = p->txns,
                                  .count = 1};
    return c.ok ? 0 : verify_emit(v, &c);
}

/* A key of recon_counts (schema v24) that differs from its recomputation
 * from the rows (store/recon.h, ps_store_recon_counts_check). */
static int verify_recon_count(void *vctx, const struct ps_recon_row *r)
{
    struct verify_ctx *v = vctx;
    char subject[256];
    int legs = strcmp(r->text[2], "LEGS") == 0;
    int days = strcmp(r->text[2], "ENTRY_DAYS") == 0;
    int answers = strcmp(r->text[2], "ANSWERS") == 0;
    if (answers) /* answer_sums (schema v32): the status in column 1 */
        snprintf(subject, sizeof(subject),
                 "provider answers %s (answer_sums; amount %+lld minor units "
                 "recomputed - stored)",
                 r->text[1], (long long)r->num[10]);
    else if (days) /* ledger_entry_days (schema v27): any business */
        snprintf(subject, sizeof(subject),
                 "ledger entries of %s outside that day's range of ids "
                 "(ledger_entry_days)",
                 r->text[1]);
    else if (legs) /* ledger_day_totals: kind in column 3 */
        snprintf(subject, sizeof(subject),
                 "ledger day total %s %s (debits %+lld, credits %+lld, %s; "
                 "recomputed - stored)",
                 r->text[1], r->text[3], (long long)r->num[10],
                 (long long)r->num[11], r->text[4]);
    else
        snprintf(subject, sizeof(subject),
                 "recon counter %s %s %s %s %s->%s (amount %+lld, fee %+lld "
                 "minor units recomputed - stored)",
                 r->text[1], r->text[2], r->text[3], r->text[4], r->text[5],
                 r->text[6], (long long)r->num[10], (long long)r->num[11]);
    struct ps_verify_finding f = {.check = PS_VERIFY_RECON_COUNT,
                                  .ok = 0,
                                  .business = days ? "any business"
                                                   : r->text[0],
                                  .subject = subject,
                                  .currency = r->text[7],
                                  .figure = legs      ? "legs"
                                            : days    ? "entries outside"
                                            : answers ? "answers"
                                                      : "count",
                                  .left_name = "stored",
                                  .right_name = "recomputed from the rows",
                                  .left = r->num[8],
                                  .right = r->num[9],
                                  .count = 1};
    return verify_emit(v, &f);
}

static int verify_cur_cmp(const void *a, const void *b)
{
    return strcmp(((const struct verify_cur *)a)->currency,
                  ((const struct verify_cur *)b)->currency);
}

/* The trial balance per currency, from the sums of the account rows, in
 * currency order; and over the stored balances where there are any. */
static void verify_trial(struct verify_ctx *v)
{
    if (v->ncur > 1)
        qsort(v->cur, v->ncur, sizeof(*v->cur), verify_cur_cmp);
    for (size_t i = 0; i < v->ncur && !v->stop; i++) {
        const struct verify_cur *c = &v->cur[i];
        struct ps_verify_finding f = {.check = PS_VERIFY_TRIAL,
                                      .ok = c->debits == c->credits,
                                      .business = "",
                                      .subject = "trial balance",
                                      .currency = c->currency,
                                      .figure = "debits and credits",
                                      .left_name = "debits",
                                      .right_name = "credits",
                                      .left = c->debits,
                                      .right = c->credits};
        v->sum->currencies++;
        verify_emit(v, &f);
        if (c->stored > 0 && !v->stop) {
            f.ok = c->stored_debits == c->stored_credits;
            f.subject = "trial balance, stored";
            f.left = c->stored_debits;
            f.right = c->stored_credits;
            verify_emit(v, &f);
        }
    }
}

/* The references the schema no longer enforces (v9), over every row of
 * every business: the check `recon` ran on the day's rows until schema
 * 24 (docs/reconciliation.md). */
static int verify_orphans(struct ps_engine *eng, struct verify_ctx *v,
                          struct ps_err *err)
{
    int64_t n = 0;
    char detail[320];
    int rc = ps_store_orphans(eng->store, NULL, NULL, &n, detail,
                              sizeof(detail), err);
    if (rc != 0 || n == 0)
        return rc;
    struct ps_verify_finding f = {.check = PS_VERIFY_ORPHANS,
                                  .business = "any business",
                                  .subject = detail,
                                  .currency = "",
                                  .figure = "rows without their parent row",
                                  .left_name = "found",
                                  .right_name = "allowed",
                                  .left = n,
                                  .right = 0,
                                  .count = 1};
    verify_emit(v, &f);
    return 0;
}

int ps_query_ledger_verify(
    struct ps_engine *eng, const char *business_id, unsigned flags,
    int (*cb)(void *ctx, const struct ps_verify_finding *f), void *ctx,
    struct ps_verify_summary *sum, struct ps_err *err)
{
    struct verify_ctx v = {cb, ctx, sum, flags, NULL, 0, 0, 0, 0};
    int rc;
    memset(sum, 0, sizeof(*sum));
    rc = ps_store_verify_accounts(eng->store, business_id, verify_account, &v,
                                  err);
    if (rc == 0 && v.nomem)
        rc = ps_err_set(err, PS_ENOMEM, NULL, "ledger verify: out of memory");
    if (rc == 0 && !v.stop)
        verify_trial(&v);
    if (rc == 0 && !v.stop)
        rc = ps_store_verify_receivables(eng->store, business_id,
                                         verify_receivable, &v, err);
    if (rc == 0 && !v.stop)
        rc = ps_store_verify_profiles(eng->store, business_id, verify_profile,
                                      &v, err);
    if (rc == 0 && !v.stop)
        rc = ps_store_recon_counts_check(eng->store, business_id,
                                         verify_recon_count, &v, err);
    if (rc == 0 && !v.stop)
        rc = verify_orphans(eng, &v, err);
    free(v.cur);
    return rc;
}
