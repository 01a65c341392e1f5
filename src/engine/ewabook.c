/*
 * ewabook.c -- EWA disbursements decided against an in-memory book of a
 * business's profiles; see ewabook.h for the why and the refusal rules.
 *
 * How it fails: a refusal is a negative PS_E* with the rule set and the
 * book unchanged; a store failure is returned as is and the caller rolls
 * back and drops the book.
 */
#include "engine/ewabook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ewa.h"
#include "engine/ledger.h"
#include "engine/txn.h"
#include "base/money.h"
#include "base/keyindex.h"

struct entry {
    int64_t row; /* its ewa_counters key (seq): flushes go in key order */
    char id[PS_ID_SIZE];
    char customer_id[PS_ID_SIZE];
    char account_id[PS_ID_SIZE];
    char enrollment_begin[PS_TIME_SIZE];
    char enrollment_end[PS_TIME_SIZE];
    const char *external_id; /* in the book's arena */
    int64_t amount_to_recover, earned_wages, period_disbursed;
    unsigned prog; /* index into book->progs */
    unsigned char enrollment, eligibility, customer_status, account_status,
        account_kind, dirty;
};

/*
 * What the writer thread reads and writes of an entry, apart from the
 * entries the intake thread writes (ps_ewa_book_accept): in one array
 * they shared cache lines, and every row written waited for its line to
 * come over from the other core (2.5% of a 1M-record run in that load).
 */
struct wside {
    int64_t row;             /* as entry.row */
    int64_t ledger_customer; /* 0 until known */
    int64_t last_txn; /* the head of its chain (ps_profile_link), 0: none */
    unsigned prog;    /* as entry.prog */
};

/* A changed entry; a flush writes them by rowid, which walks the profile
 * table once, front to back, instead of hopping between its pages. */
struct dirty_row {
    int64_t row;
    size_t idx;
};

struct ps_ewa_book {
    struct ps_engine *eng;
    char business_id[PS_ID_SIZE];
    struct entry *e;
    struct wside *ws; /* per entry, the writer's side */
    size_t n, cap;
    struct ps_keyindex ix; /* the entries by external id */
    struct ps_program *progs;
    struct ps_ledger_ids *pledger; /* per program: its currency's business
                                      accounts, learnt on first use */
    size_t nprogs;
    struct dirty_row *dirty; /* entries changed since the last flush */
    size_t ndirty;
    int failed; /* out of memory while loading */
};

static struct entry *find(const struct ps_ewa_book *b, const char *ext)
{
    long k = ps_keyindex_find(&b->ix, ext);
    return k >= 0 ? &b->e[k] : NULL;
}

static int add_program(void *ctx, const struct ps_program *p)
{
    struct ps_ewa_book *b = ctx;
    struct ps_program *n =
        realloc(b->progs, (b->nprogs + 1) * sizeof(*b->progs));
    if (n == NULL) {
        b->failed = 1;
        return 1;
    }
    b->progs = n;
    struct ps_ledger_ids *l =
        realloc(b->pledger, (b->nprogs + 1) * sizeof(*b->pledger));
    if (l == NULL) {
        b->failed = 1;
        return 1;
    }
    b->pledger = l;
    memset(&b->pledger[b->nprogs], 0, sizeof(*b->pledger));
    b->progs[b->nprogs++] = *p;
    return 0;
}

static int add_row(void *ctx, const struct ps_book_row *r)
{
    struct ps_ewa_book *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
        struct entry *n = realloc(b->e, cap * sizeof(*n));
        if (n == NULL)
            goto nomem;
        b->e = n;
        struct wside *w = realloc(b->ws, cap * sizeof(*w));
        if (w == NULL)
            goto nomem;
        b->ws = w;
        b->cap = cap;
    }
    /* Entries point at their keys only after loading (below). */
    if (ps_keyindex_add(&b->ix, r->external_id) != 0)
        goto nomem;
    struct entry *e = &b->e[b->n];
    memset(e, 0, sizeof(*e));
    e->row = r->row;
    ps_strlcpy(e->id, r->id, sizeof(e->id));
    ps_strlcpy(e->customer_id, r->customer_id, sizeof(e->customer_id));
    ps_strlcpy(e->account_id, r->account_id, sizeof(e->account_id));
    ps_strlcpy(e->enrollment_begin, r->enrollment_begin,
               sizeof(e->enrollment_begin));
    ps_strlcpy(e->enrollment_end, r->enrollment_end, sizeof(e->enrollment_end));
    e->amount_to_recover = r->amount_to_recover;
    e->earned_wages = r->earned_wages;
    e->period_disbursed = r->period_disbursed;
    e->enrollment = (unsigned char)r->enrollment;
    e->eligibility = (unsigned char)r->eligibility;
    e->customer_status = (unsigned char)r->customer_status;
    e->account_status = (unsigned char)r->account_status;
    e->account_kind = (unsigned char)r->account_kind;
    e->prog = (unsigned)b->nprogs; /* not found: resolved below */
    for (size_t i = 0; i < b->nprogs; i++)
        if (strcmp(b->progs[i].id, r->program_id) == 0)
            e->prog = (unsigned)i;
    b->ws[b->n] = (struct wside){e->row, r->ledger_customer, r->last_txn,
                                 e->prog};
    b->n++;
    return 0;
nomem:
    b->failed = 1;
    return 1;
}

void ps_ewa_book_free(struct ps_ewa_book *b)
{
    if (b == NULL)
        return;
    free(b->e);
    free(b->ws);
    ps_keyindex_free(&b->ix);
    free(b->progs);
    free(b->pledger);
    free(b->dirty);
    free(b);
}

int ps_ewa_book_load(struct ps_engine *eng, const char *business_id,
                     struct ps_ewa_book **out, struct ps_err *err)
{
    struct ps_ewa_book *b = calloc(1, sizeof(*b));
    int rc;
    if (b == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    b->eng = eng;
    ps_strlcpy(b->business_id, business_id, sizeof(b->business_id));
    rc = ps_store_program_list(eng->store, business_id, add_program, b, err);
    /* Each disbursement posts to its customer's ledger account: the scan
     * gives each profile's, so none is looked up by key on the way. */
    if (rc == 0)
        rc = ps_store_book_scan(eng->store, business_id, add_row, b, err);
    if (rc == 0 && b->failed)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "out of memory loading the EWA profiles");
    if (rc == 0 &&
        (b->dirty = malloc((b->n != 0 ? b->n : 1) * sizeof(*b->dirty))) ==
            NULL)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc != 0) {
        ps_ewa_book_free(b);
        return rc;
    }
    for (size_t k = 0; k < b->n; k++)
        b->e[k].external_id = ps_keyindex_key(&b->ix, k);
    *out = b;
    return 0;
}

static int parse_rail(const char *text, int *rail, struct ps_err *err)
{
    if (text == NULL || text[0] == '\0')
        *rail = -1;
    else if (strcmp(text, "CARD") == 0 || strcmp(text, "PUSH_TO_CARD") == 0)
        *rail = PS_RAIL_PUSH_TO_CARD;
    else if (strcmp(text, "ACH") == 0)
        *rail = PS_RAIL_ACH;
    else {
        ps_err_set(err, PS_EINVAL, "RAIL_UNKNOWN",
                   "rail must be CARD or ACH, not %s", text);
        ps_err_field(err, "rail");
        return PS_EINVAL;
    }
    return 0;
}

/* A request's amount and currency (money rules; AMOUNT_NOT_POSITIVE for
 * zero and negatives, CURRENCY_UNKNOWN) and its rail. */
static int parse_request(const struct ps_disburse_req *req, int64_t *amount,
                         int *rail, struct ps_err *err)
{
    const struct ps_currency *cur;
    int rc;
    if (req->currency == NULL || req->currency[0] == '\0') {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "currency is required");
        ps_err_field(err, "currency");
        return PS_EINVAL;
    }
    if ((rc = ps_currency_lookup(req->currency, &cur, err)) != 0) {
        ps_err_field(err, "currency");
        return rc;
    }
    if (req->amount == NULL || req->amount[0] == '\0') {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "amount is required");
        ps_err_field(err, "amount");
        return PS_EINVAL;
    }
    if ((rc = ps_money_parse(req->amount, strlen(req->amount), cur->exponent,
                             PS_MONEY_ALLOW_NEGATIVE | PS_MONEY_NOT_A_CARD,
                             amount, err)) != 0) {
        ps_err_field(err, "amount");
        return rc;
    }
    if (*amount <= 0) {
        ps_err_set(err, PS_EINVAL, "AMOUNT_NOT_POSITIVE",
                   "amount %s must be positive", req->amount);
        ps_err_field(err, "amount");
        return PS_EINVAL;
    }
    return parse_rail(req->rail, rail, err);
}

/* A refusal: the rule, its message, and the field it is about. */
#define REFUSE(err, code, rule, field, ...)                                    \
    (ps_err_set(err, code, rule, __VA_ARGS__), refuse_field(err, field, code))

static int refuse_field(struct ps_err *err, const char *field, int code)
{
    if (field != NULL)
        ps_err_field(err, field);
    return code;
}

/* The profile's side of the rules: may it take anything on `rail`? */
static int check_state(const struct ps_disburse_view *v,
                       const struct ps_program *prog, int rail,
                       const char *now, struct ps_err *err)
{
    if (v->enrollment != PS_ENROLL_ACTIVE)
        return REFUSE(err, PS_ESTATE, "NOT_ENROLLED", "external_id",
                      "EWA profile %s is not enrolled (enrollmentStatus "
                      "INACTIVE)",
                      v->external_id);
    if (strcmp(now, v->enrollment_begin) < 0)
        return REFUSE(err, PS_ESTATE, "OUTSIDE_ENROLLMENT_WINDOW",
                      "external_id", "enrollment of %s begins %s",
                      v->external_id, v->enrollment_begin);
    if (v->enrollment_end[0] != '\0' && strcmp(now, v->enrollment_end) >= 0)
        return REFUSE(err, PS_ESTATE, "OUTSIDE_ENROLLMENT_WINDOW",
                      "external_id", "enrollment of %s ended %s",
                      v->external_id, v->enrollment_end);
    if (v->eligibility != PS_ELIG_ELIGIBLE)
        return REFUSE(err, PS_ESTATE, "NOT_ELIGIBLE", "external_id",
                      "EWA profile %s is %s, not ELIGIBLE", v->external_id,
                      ps_enum_name(PS_NAMES_ELIGIBILITY, (int)v->eligibility));
    if (prog->status != PS_STATUS_ACTIVE)
        return REFUSE(err, PS_ESTATE, "PROGRAM_SUSPENDED", NULL,
                      "EWA program %s is SUSPENDED", prog->name);
    if (v->customer_status != PS_STATUS_ACTIVE)
        return REFUSE(err, PS_ESTATE, "CUSTOMER_SUSPENDED", "external_id",
                      "customer %s is SUSPENDED", v->external_id);
    if (v->account_status != PS_STATUS_ACTIVE)
        return REFUSE(err, PS_ESTATE, "ACCOUNT_SUSPENDED", "external_id",
                      "the EWA financial account of %s is SUSPENDED",
                      v->external_id);
    int acct_rail = v->account_kind == PS_ACCOUNT_EXTERNAL_CARD
                        ? PS_RAIL_PUSH_TO_CARD
                        : PS_RAIL_ACH;
    if (rail >= 0 && rail != acct_rail)
        return REFUSE(err, PS_EINVAL, "RAIL_NOT_AVAILABLE", "rail",
                      "%s was asked but the EWA account of %s takes only "
                      "the other rail",
                      ps_enum_name(PS_NAMES_RAIL, rail), v->external_id);
    return 0;
}

/* The amount's side: currency, limits, wages, outstanding; *fee. */
static int check_amount(const struct ps_disburse_view *v,
                        const struct ps_program *prog, int64_t amount,
                        const char *currency, int64_t *fee,
                        struct ps_err *err)
{
    const struct ps_currency *cur = ps_currency_find(prog->currency);
    int exp = cur != NULL ? cur->exponent : 2;
    char a[PS_MONEY_STRMAX], b[PS_MONEY_STRMAX];
    int64_t f, sum;
    int acct_rail = v->account_kind == PS_ACCOUNT_EXTERNAL_CARD
                        ? PS_RAIL_PUSH_TO_CARD
                        : PS_RAIL_ACH;
    if (amount <= 0)
        return REFUSE(err, PS_EINVAL, "AMOUNT_NOT_POSITIVE", "amount",
                      "amount must be positive");
    if (strcmp(currency, prog->currency) != 0)
        return REFUSE(err, PS_EINVAL, "WRONG_CURRENCY", "currency",
                      "currency %s is not the program's %s", currency,
                      prog->currency);
    if (amount < prog->min_transfer)
        return REFUSE(err, PS_EINVAL, "UNDER_TRANSFER_MINIMUM", "amount",
                      "%s is below the per-transfer minimum %s",
                      ps_money_format(amount, exp, a, sizeof(a)),
                      ps_money_format(prog->min_transfer, exp, b, sizeof(b)));
    if (amount > prog->max_transfer)
        return REFUSE(err, PS_EINVAL, "OVER_TRANSFER_LIMIT", "amount",
                      "%s is above the per-transfer maximum %s",
                      ps_money_format(amount, exp, a, sizeof(a)),
                      ps_money_format(prog->max_transfer, exp, b, sizeof(b)));
    if (amount > prog->period_cap - v->period_disbursed)
        return REFUSE(
            err, PS_EINVAL, "OVER_PERIOD_CAP", "amount",
            "%s would pass the pay-period cap; %s is left this period",
            ps_money_format(amount, exp, a, sizeof(a)),
            ps_money_format(prog->period_cap > v->period_disbursed
                                ? prog->period_cap - v->period_disbursed
                                : 0,
                            exp, b, sizeof(b)));
    /* Available = earned wages x advance rate - taken this period; the
     * product cannot overflow (earned <= INT64_MAX / 10000 is checked). */
    int64_t share = v->earned_wages > INT64_MAX / 10000
                        ? v->earned_wages / 10000 * prog->advance_rate_bp
                        : v->earned_wages * prog->advance_rate_bp / 10000;
    int64_t available =
        share > v->period_disbursed ? share - v->period_disbursed : 0;
    if (amount > available)
        return REFUSE(err, PS_EINVAL, "OVER_AVAILABLE_WAGES", "amount",
                      "%s is more than the earned wages available, %s",
                      ps_money_format(amount, exp, a, sizeof(a)),
                      ps_money_format(available, exp, b, sizeof(b)));
    f = acct_rail == PS_RAIL_PUSH_TO_CARD ? prog->fee_card : prog->fee_ach;
    if (ps_money_add(amount, f, &sum, NULL) != 0 ||
        ps_money_add(sum, v->amount_to_recover, &sum, NULL) != 0 ||
        sum > prog->max_outstanding)
        return REFUSE(
            err, PS_EINVAL, "OVER_MAX_OUTSTANDING", "amount",
            "%s with its fee would take the amount to recover past the "
            "maximum outstanding %s",
            ps_money_format(amount, exp, a, sizeof(a)),
            ps_money_format(prog->max_outstanding, exp, b, sizeof(b)));
    *fee = f;
    return 0;
}

int ps_ewa_disburse_check(const struct ps_disburse_view *v,
                          const struct ps_program *prog, int64_t amount,
                          const char *currency, int rail, const char *now,
                          int64_t *fee, struct ps_err *err)
{
    int rc = check_state(v, prog, rail, now, err);
    return rc != 0 ? rc : check_amount(v, prog, amount, currency, fee, err);
}

/* A refused request whose id was already used is a DUPLICATE, whatever
 * the refusal: the first one used up the limits it now fails. */
/* A refusal rc of req, given got: whether its request id was used (0,
 * and the transaction prior; PS_ENOTFOUND; else the failure e2). */
static int refusal_outcome(const struct ps_disburse_req *req, int rc,
                           int got, const char *prior,
                           const struct ps_err *e2, struct ps_err *err)
{
    if (got == 0) {
        ps_err_set(err, PS_ECONFLICT, "DUPLICATE_REQUEST",
                   "request id %s was already used (transaction %s)",
                   req->request_id, prior);
        ps_err_field(err, "request_id");
        return PS_ECONFLICT;
    }
    if (got != PS_ENOTFOUND) {
        if (err != NULL)
            *err = *e2;
        return got;
    }
    return rc;
}

static int refused(struct ps_ewa_book *b, const struct ps_disburse_req *req,
                   int rc, struct ps_err *err)
{
    struct ps_txn prior;
    struct ps_err e2;
    if (req->request_id == NULL || req->request_id[0] == '\0')
        return rc;
    ps_err_clear(&e2);
    int got = ps_store_txn_get_request(b->eng->store, b->business_id,
                                       req->request_id, &prior, &e2);
    return refusal_outcome(req, rc, got, prior.id, &e2, err);
}

int ps_ewa_book_decide(struct ps_ewa_book *b,
                       const struct ps_disburse_req *req,
                       const struct ps_source *src, struct ps_ewa_post *post,
                       ps_request_used_fn used, void *used_ctx,
                       struct ps_err *err)
{
    int64_t amount, fee = 0;
    int rail, rc;
    struct entry *e;

    if (req->request_id == NULL || req->request_id[0] == '\0') {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED", "request_id is required");
        ps_err_field(err, "request_id");
        return PS_EINVAL;
    }
    if (req->external_id == NULL || req->external_id[0] == '\0') {
        ps_err_set(err, PS_EINVAL, "FIELD_REQUIRED",
                   "external_id is required");
        ps_err_field(err, "external_id");
        return PS_EINVAL;
    }
    /* SPEC order: the profile and its state, then the amount. */
    if ((e = find(b, req->external_id)) == NULL) {
        rc = REFUSE(err, PS_ENOTFOUND, "PROFILE_NOT_FOUND", "external_id",
                    "no EWA profile %s in this business", req->external_id);
        goto refused;
    }
    if (e->prog >= b->nprogs)
        return ps_err_set(err, PS_EINTERNAL, "PROGRAM_MISSING",
                          "the program of EWA profile %s is not in its "
                          "business",
                          e->external_id);
    const struct ps_program *prog = &b->progs[e->prog];
    struct ps_disburse_view v = {
        e->external_id,
        (enum ps_enrollment)e->enrollment,
        e->enrollment_begin,
        e->enrollment_end,
        (enum ps_eligibility)e->eligibility,
        (enum ps_status)e->customer_status,
        (enum ps_status)e->account_status,
        (enum ps_account_kind)e->account_kind,
        e->amount_to_recover,
        e->earned_wages,
        e->period_disbursed};
    ps_time_now(post->now);
    if ((rc = parse_rail(req->rail, &rail, err)) != 0 ||
        (rc = check_state(&v, prog, rail, post->now, err)) != 0 ||
        (rc = parse_request(req, &amount, &rail, err)) != 0 ||
        (rc = check_amount(&v, prog, amount, req->currency, &fee, err)) != 0)
        goto refused;

    struct ps_txn *t = &post->t;
    memset(t, 0, sizeof(*t));
    ps_strlcpy(t->business_id, b->business_id, sizeof(t->business_id));
    ps_strlcpy(t->customer_id, e->customer_id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, e->account_id, sizeof(t->account_id));
    ps_strlcpy(t->profile_id, e->id, sizeof(t->profile_id));
    ps_strlcpy(t->currency, prog->currency, sizeof(t->currency));
    ps_strlcpy(t->request_id, req->request_id, sizeof(t->request_id));
    t->type = PS_TXN_SEND;
    t->purpose = PS_PURPOSE_EWA_DISBURSEMENT;
    t->rail = e->account_kind == PS_ACCOUNT_EXTERNAL_CARD ? PS_RAIL_PUSH_TO_CARD
                                                          : PS_RAIL_ACH;
    t->amount = amount;
    t->fee = fee;
    post->entry = (size_t)(e - b->e);
    post->src = *src;
    return ps_txn_prepare(t, post->now, err);
refused:
    /* Whether the request id was used before: the caller's to say when
     * the store is the writer thread's (ewabook.h). */
    if (used != NULL) {
        char prior[PS_ID_SIZE] = "";
        struct ps_err e2;
        ps_err_clear(&e2);
        int got = used(used_ctx, req->request_id, prior, &e2);
        return refusal_outcome(req, rc, got, prior, &e2, err);
    }
    return refused(b, req, rc, err);
}

int ps_ewa_book_write(struct ps_ewa_book *b, const struct ps_ewa_post *post,
                      struct ps_err *err)
{
    struct wside *e = &b->ws[post->entry];
    struct ps_ledger_ids ids = b->pledger[e->prog];
    ids.id[PS_LEDGER_CUSTOMER] = e->ledger_customer;
    struct ps_profile_link link = {e->row, e->last_txn, 0};
    int rc = ps_txn_create_prepared(b->eng->store, &post->t, &post->src, &ids,
                                    &link, post->now, err);
    if (rc != 0)
        return rc;
    e->last_txn = link.rowid; /* written by the flush */
    /* Learnt (the chunk's rollback drops the whole book with them). */
    e->ledger_customer = ids.id[PS_LEDGER_CUSTOMER];
    ids.id[PS_LEDGER_CUSTOMER] = 0;
    b->pledger[e->prog] = ids;
    return 0;
}

void ps_ewa_book_accept(struct ps_ewa_book *b, const struct ps_ewa_post *post)
{
    struct entry *e = &b->e[post->entry];
    e->amount_to_recover += post->t.amount + post->t.fee; /* checked */
    e->period_disbursed += post->t.amount;
    if (!e->dirty) {
        e->dirty = 1;
        b->dirty[b->ndirty++] = (struct dirty_row){e->row, post->entry};
    }
}

int ps_ewa_book_disburse(struct ps_ewa_book *b,
                         const struct ps_disburse_req *req,
                         const struct ps_source *src, struct ps_txn *t,
                         struct ps_err *err)
{
    struct ps_ewa_post post;
    int rc;
    if ((rc = ps_ewa_book_decide(b, req, src, &post, NULL, NULL, err)) != 0 ||
        (rc = ps_ewa_book_write(b, &post, err)) != 0)
        return rc;
    ps_ewa_book_accept(b, &post);
    *t = post.t;
    return 0;
}

static int by_row(const void *a, const void *b)
{
    int64_t x = ((const struct dirty_row *)a)->row;
    int64_t y = ((const struct dirty_row *)b)->row;
    return (x > y) - (x < y);
}

int ps_ewa_book_flush(struct ps_ewa_book *b, struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    int rc;
    ps_time_now(now);
    if (b->ndirty > 1) /* qsort(NULL, 0) is undefined behaviour */
        qsort(b->dirty, b->ndirty, sizeof(*b->dirty), by_row);
    for (size_t i = 0; i < b->ndirty; i++) {
        struct entry *e = &b->e[b->dirty[i].idx];
        if ((rc = ps_store_profile_flush(b->eng->store, e->row, e->id,
                                         e->amount_to_recover,
                                         e->period_disbursed,
                                         b->ws[b->dirty[i].idx].last_txn, now,
                                         err)) != 0)
            return rc;
    }
    for (size_t i = 0; i < b->ndirty; i++)
        b->e[b->dirty[i].idx].dirty = 0;
    b->ndirty = 0;
    return 0;
}
