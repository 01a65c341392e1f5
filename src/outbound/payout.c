/*
 * payout.c -- the push-to-card payout file (see payout.h for the contract
 * and the file layout).
 *
 * Order of work, for crash safety: (1) finish earlier outputs left without
 * NAME.done; (2) in one store transaction: select, SUBMIT/TRANSMIT each
 * transaction, build the file's bytes in memory to learn its sha256,
 * insert the outputs row and its items, commit; (3) write the file.  The
 * bytes are a pure function of the stored rows (items keep the name and
 * attempt as written), so step (1) reproduces them exactly.
 *
 * How it fails: any error before the commit rolls everything back (no
 * transaction moved, no output recorded); an error after it leaves a
 * recorded output without its file, which the next run writes.  Card
 * numbers live only in the content buffer, wiped with sodium_memzero().
 */
#include "outbound/payout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "base/crypto.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/money.h"
#include "outbound/outfile.h"
#include "base/output.h"
#include "store/metrics.h"
#include "store/store.h"
#include "base/keyindex.h"

#define KIND "PUSH_TO_CARD"
#define MAX_SEQ 999
#define MAX_CURRENCIES 16
#define PAN_MAX 32 /* 19 digits and room */

static int buf_row(struct ps_wbuf *b, const char *const *cells, size_t n,
                   struct ps_err *err)
{
    char line[4096];
    size_t len = ps_csv_encode_row(cells, n, line, sizeof(line));
    int rc;
    if (len >= sizeof(line))
        rc = ps_err_set(err, PS_EINTERNAL, "PAYOUT_LINE_TOO_LONG",
                        "a payout line is longer than %zu bytes",
                        sizeof(line));
    else
        rc = ps_wbuf_add(b, line, len, err);
    sodium_memzero(line, sizeof(line));
    return rc;
}

/* ---- the file's bytes ------------------------------------------------ */

static void holder_name(const struct ps_customer *c, char *out, size_t size)
{
    if (c->type == PS_CUSTOMER_BUSINESS)
        snprintf(out, size, "%s", c->dba_name);
    else if (c->middle_name[0] != '\0')
        snprintf(out, size, "%s %s %s", c->first_name, c->middle_name,
                 c->last_name);
    else
        snprintf(out, size, "%s %s", c->first_name, c->last_name);
}

static int exponent_of(const char *currency)
{
    const struct ps_currency *cur = ps_currency_find(currency);
    return cur != NULL ? cur->exponent : 2;
}

struct totals {
    int n;
    char currency[MAX_CURRENCIES][4];
    long records[MAX_CURRENCIES];
    int64_t total[MAX_CURRENCIES];
};

static int add_total(struct totals *t, const char *currency, int64_t amount,
                     struct ps_err *err)
{
    int i;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->currency[i], currency) == 0)
            break;
    if (i == t->n) {
        if (t->n == MAX_CURRENCIES)
            return ps_err_set(err, PS_EINVAL, "PAYOUT_TOO_MANY_CURRENCIES",
                              "a payout file holds at most %d currencies",
                              MAX_CURRENCIES);
        ps_strlcpy(t->currency[t->n++], currency, sizeof(t->currency[0]));
    }
    t->records[i]++;
    return ps_money_add(t->total[i], amount, &t->total[i], err);
}

/* Where a line's card number comes from: its sealed bytes read with
 * the candidates (payees, a new file), else the account's row (NULL: a
 * file regenerated from its items). */
struct payee_line {
    size_t sealed, sealed_len; /* its sealed number in pool */
    size_t name;               /* its holder's name in names */
};
struct payees {
    unsigned char *pool; /* the sealed numbers, one after another */
    size_t used, size;
    char *names; /* the holder names, NUL-terminated, one after another */
    size_t nused, nsize;
    struct payee_line *line; /* a line's */
    size_t n, cap;
};

/* Line i's card number into pan (size PAN_MAX), in clear. */
static int open_pan(struct ps_engine *eng, const struct payees *p, size_t i,
                    const struct ps_output_item_row *r, char *pan,
                    struct ps_err *err)
{
    if (p == NULL)
        return ps_account_open_number(eng, r->account_id, pan, PAN_MAX, err);
    size_t len = p->line[i].sealed_len;
    if (len <= PS_SEALED_OVERHEAD || len - PS_SEALED_OVERHEAD >= PAN_MAX)
        return ps_err_set(err, PS_ECRYPTO, "DECRYPT_FAILED",
                          "account %s: sealed number has a bad size",
                          r->account_id);
    int rc = ps_keys_open(eng->keys, p->pool + p->line[i].sealed, len, pan, err);
    if (rc == 0)
        pan[len - PS_SEALED_OVERHEAD] = '\0';
    return rc;
}

/* A file's lines: its stored items (a file regenerated), or a new
 * file's candidates with the attempts their TRANSMIT gave and their
 * payees (no 1.2 KB item a line held: an item is made when needed). */
struct lines {
    size_t n;
    const struct ps_output_item_row *items;
    const struct ps_txn *x;
    const int *attempt;
    const struct payees *pay;
};

/* Line i (0-based) as its item: the stored one, or made in *scratch. */
static const struct ps_output_item_row *
line_at(const struct lines *l, size_t i, struct ps_output_item_row *scratch)
{
    if (l->items != NULL)
        return &l->items[i];
    const struct ps_txn *x = &l->x[i];
    ps_strlcpy(scratch->txn_id, x->id, sizeof(scratch->txn_id));
    scratch->line = (long)i + 1;
    scratch->attempt = l->attempt[i];
    ps_strlcpy(scratch->holder_name, l->pay->names + l->pay->line[i].name,
               sizeof(scratch->holder_name));
    ps_strlcpy(scratch->account_id, x->account_id,
               sizeof(scratch->account_id));
    scratch->amount = x->amount;
    ps_strlcpy(scratch->currency, x->currency, sizeof(scratch->currency));
    scratch->detail[0] = '\0';
    return scratch;
}

/* Build the whole file from its lines (in line order) into out, and its
 * sha256; totals (may be NULL) receive the per-currency sums; card
 * numbers from the lines' payees (open_pan). */
static int build(struct ps_engine *eng, const char *name, const char *date,
                 const struct lines *l, struct ps_wbuf *out,
                 char sha[PS_SHA256_HEX], struct totals *totals,
                 struct ps_err *err)
{
    struct ps_output_item_row scratch;
    static const char *const head[] = {"reference", "card_number", "amount",
                                       "currency",  "name",        "attempt"};
    static const char *const trail[] = {"#trailer", "file",    "business_date",
                                        "currency", "records", "total"};
    struct totals t;
    char pan[PAN_MAX];
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = buf_row(out, head, 6, err)) != 0)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        const struct ps_output_item_row *r = line_at(l, i, &scratch);
        char amount[PS_MONEY_STRMAX], attempt[16];
        ps_money_format(r->amount, exponent_of(r->currency), amount,
                        sizeof(amount));
        snprintf(attempt, sizeof(attempt), "%d", r->attempt);
        if ((rc = open_pan(eng, l->pay, i, r, pan, err)) != 0)
            break;
        const char *cells[] = {r->txn_id, pan,          amount,
                               r->currency, r->holder_name, attempt};
        rc = buf_row(out, cells, 6, err);
        sodium_memzero(pan, sizeof(pan));
        if (rc != 0 || (rc = add_total(&t, r->currency, r->amount, err)) != 0)
            break;
    }
    if (rc == 0)
        rc = buf_row(out, trail, 6, err);
    for (int i = 0; rc == 0 && i < t.n; i++) {
        char records[24], total[PS_MONEY_STRMAX];
        snprintf(records, sizeof(records), "%ld", t.records[i]);
        ps_money_format(t.total[i], exponent_of(t.currency[i]), total,
                        sizeof(total));
        const char *cells[] = {"#trailer",   name,    date,
                               t.currency[i], records, total};
        rc = buf_row(out, cells, 6, err);
    }
    if (rc != 0)
        return rc;
    ps_wbuf_sha256(out, sha);
    if (totals != NULL)
        *totals = t;
    return 0;
}

/* ---- the candidates and their payees ------------------------------ */

struct collect {
    struct ps_txn_vec x;
    struct payees pay;
};

static int grow(void *pp, size_t *size, size_t need, size_t unit)
{
    void **p = pp;
    size_t sz = *size > 0 ? *size : 4096;
    while (sz < need)
        sz *= 2;
    if (sz == *size)
        return 0;
    void *q = realloc(*p, sz * unit);
    if (q == NULL)
        return -1;
    *p = q;
    *size = sz;
    return 0;
}

/* A candidate and its payee (ps_store_payout_payees): the row to x, the
 * holder's name and the sealed number to pay. */
static int collect(void *ctx, const struct ps_txn *t, const struct ps_payout_payee *e)
{
    struct collect *c = ctx;
    struct payees *p = &c->pay;
    struct ps_customer cu;
    char name[PS_TEXT_SIZE];
    size_t nl;
    if (ps_txn_vec_collect(&c->x, t) != 0 || c->x.oom)
        return -1;
    /* the name as ps_store_customer_get()'s fields compose it */
    memset(&cu, 0, sizeof(cu));
    cu.type = e->business ? PS_CUSTOMER_BUSINESS : PS_CUSTOMER_INDIVIDUAL;
    ps_strlcpy(cu.first_name, e->first_name, sizeof(cu.first_name));
    ps_strlcpy(cu.middle_name, e->middle_name, sizeof(cu.middle_name));
    ps_strlcpy(cu.last_name, e->last_name, sizeof(cu.last_name));
    ps_strlcpy(cu.dba_name, e->dba_name, sizeof(cu.dba_name));
    holder_name(&cu, name, sizeof(name));
    nl = strlen(name) + 1;
    if (grow(&p->line, &p->cap, p->n + 1, sizeof(*p->line)) != 0 ||
        grow(&p->pool, &p->size, p->used + e->sealed_len, 1) != 0 ||
        grow(&p->names, &p->nsize, p->nused + nl, 1) != 0) {
        c->x.oom = 1;
        return -1;
    }
    p->line[p->n].sealed = p->used;
    p->line[p->n].sealed_len = e->sealed_len;
    if (e->sealed_len > 0)
        memcpy(p->pool + p->used, e->sealed, e->sealed_len);
    p->used += e->sealed_len;
    p->line[p->n].name = p->nused;
    memcpy(p->names + p->nused, name, nl);
    p->nused += nl;
    p->n++;
    return 0;
}

static void payees_free(struct payees *p)
{
    if (p->pool != NULL)
        sodium_memzero(p->pool, p->used);
    free(p->pool);
    free(p->names);
    free(p->line);
}

/* ---- writing --------------------------------------------------------- */

static int by_txn(const void *a, const void *b)
{
    const struct ps_txn *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

/* order: the n candidates of x by transaction id. */
static void lines_by_txn(const struct ps_txn *x, size_t n,
                         const struct ps_txn **order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = &x[i];
    qsort(order, n, sizeof(*order), by_txn);
}

/* ---- recovery ---------------------------------------------------------- */

static int regenerate(struct ps_engine *eng, const char *spool,
                      const struct ps_output_row *o, struct ps_err *err)
{
    struct ps_item_vec it = {NULL, 0, 0, 0};
    struct ps_wbuf c = {NULL, 0, 0};
    char sha[PS_SHA256_HEX];
    const char *name = strrchr(o->path, '/');
    int rc = ps_store_output_items(eng->store, o->id, ps_item_vec_collect, &it, err);
    if (rc == 0 && it.n != (size_t)o->records)
        rc = ps_err_set(err, PS_EINTERNAL, "PAYOUT_ITEMS",
                        "payout %s: read %zu of its %ld items (out of "
                        "memory?)",
                        o->path, it.n, o->records);
    const struct lines l = {it.n, it.v, NULL, NULL, NULL};
    if (rc == 0)
        rc = build(eng, name != NULL ? name + 1 : o->path, o->business_date,
                   &l, &c, sha, NULL, err);
    if (rc == 0 && strcmp(sha, o->sha256) != 0)
        rc = ps_err_set(err, PS_EINTERNAL, "PAYOUT_REGENERATE_MISMATCH",
                        "payout file %s regenerates with sha256 %s, recorded "
                        "%s: not written",
                        o->path, sha, o->sha256);
    if (rc == 0)
        rc = ps_outfile_publish(spool, o->path, c.p, c.len, o->sha256, err);
    if (rc == 0)
        ps_log(PS_LOG_WARN, "payout.regenerated", "{s:s, s:I}", "path",
               o->path, "records", (json_int_t)o->records);
    ps_wbuf_free(&c);
    free(it.v);
    return rc;
}

static int need_keys(struct ps_engine *eng, struct ps_err *err)
{
    if (eng->keys == NULL)
        return ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                          "payout files need the key file to open card "
                          "numbers");
    return 0;
}

int ps_payout_recover(struct ps_engine *eng, const char *spool_dir,
                      const struct ps_business *b, int *regenerated,
                      struct ps_err *err)
{
    struct ps_output_row *v = NULL;
    size_t nv = 0;
    int rc, n = 0;
    if ((rc = ps_outfile_unfinished(eng->store, b->id, KIND, spool_dir, &v,
                                    &nv, err)) != 0)
        goto out;
    if (nv > 0 && (rc = need_keys(eng, err)) != 0)
        goto out;
    for (size_t i = 0; i < nv; i++) {
        if ((rc = regenerate(eng, spool_dir, &v[i], err)) != 0)
            goto out;
        n++;
    }
out:
    free(v);
    if (regenerated != NULL)
        *regenerated = n;
    return rc;
}

/* ---- a new payout ------------------------------------------------------ */

/* Move t (read in this store transaction) to PROCESSING: SUBMIT if NEW,
 * then TRANSMIT, which counts the attempt this file carries (one row
 * write for both, ps_engine_txn_changes).  No
 * savepoint: payout_file rolls the whole file back on any error. */
static int transmit(struct ps_engine *eng, struct ps_txn *t, const char *name,
                    long line, int *attempt, struct ps_err *err)
{
    struct ps_source src = {"push-to-card payout", name, line};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    int rc;
    static const enum ps_txn_event both[2] = {PS_EV_SUBMIT, PS_EV_TRANSMIT};
    int n = t->status == PS_TXN_NEW ? 2 : 1;
    /* NEW: both in one row write, each its own history row and event. */
    if ((rc = ps_engine_txn_changes(eng, t, both + 2 - n, n, &args, err)) != 0)
        return rc;
    *attempt = t->attempts;
    return 0;
}

/* One payout file of at most max_records of the business's due
 * transactions, in its own store transaction; *r gets its path, records
 * and totals, records 0 when nothing was due.
 * Long (about 120 lines): the file is built, written and committed
 * with its transactions' moves in one store transaction, one exit path. */
static int payout_file(struct ps_engine *eng, const char *spool_dir,
                       const struct ps_business *b, const char *date,
                       long max_records, struct ps_payout_result *r,
                       struct ps_err *err)
{
    struct collect cl;
    struct ps_txn_vec *xv = &cl.x;
    struct ps_wbuf c = {NULL, 0, 0};
    const struct ps_txn **order = NULL;
    int *attempt = NULL;
    struct ps_output_item_row scratch;
    struct totals tot;
    struct ps_output_row o;
    struct ps_progress pg;
    char ymd[9], name[PS_OUTPUT_NAME_MAX + 1], what[PS_OUTPUT_NAME_MAX + 16];
    int rc, in_txn = 0;

    memset(r, 0, sizeof(*r));
    memset(&cl, 0, sizeof(cl));
    memset(&o, 0, sizeof(o));
    memset(&pg, 0, sizeof(pg));
    snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", date, date + 5, date + 8);
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        goto out;
    in_txn = 1;
    if ((rc = ps_store_payout_payees(eng->store, b->id, max_records, collect,
                                     &cl, err)) != 0)
        goto out;
    if (xv->oom) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    if (xv->n == 0) {
        /* Nothing to pay (res empty): the watermark may still pass the
         * rows read past. */
        if ((rc = ps_store_outbound_mark_advance(eng->store, b->id,
                                                 PS_RAIL_PUSH_TO_CARD,
                                                 err)) == 0 &&
            (rc = ps_store_commit(eng->store, err)) == 0)
            in_txn = 0;
        goto out;
    }

    if ((rc = ps_store_output_next_seq(eng->store, b->id, KIND, date, &o.seq,
                                       err)) != 0)
        goto out;
    if (o.seq > MAX_SEQ) {
        rc = ps_err_set(err, PS_ESTATE, "PAYOUT_SEQUENCE_EXHAUSTED",
                        "business %s has %d payout files for %s already",
                        b->name, MAX_SEQ, date);
        goto out;
    }
    if (ps_pathf(name, sizeof(name), "p2c-%s-%s-%03d.csv", b->name, ymd,
                 o.seq) != 0 ||
        ps_pathf(o.path, sizeof(o.path), "outbound/%s/payouts/%s", b->name,
                 name) != 0) {
        rc = ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                        "payout file name too long for business %s", b->name);
        goto out;
    }

    snprintf(what, sizeof(what), "payouts %s", name);
    ps_progress_begin(&pg, "payout.progress", what, "records",
                      (int64_t)xv->n);
    if ((attempt = malloc(xv->n * sizeof(*attempt))) == NULL ||
        (order = malloc(xv->n * sizeof(*order))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < xv->n; i++) {
        if ((rc = transmit(eng, &xv->v[i], name, (long)i + 1, &attempt[i],
                           err)) != 0)
            goto out;
        ps_progress_step(&pg, 1);
    }
    const struct lines l = {xv->n, NULL, xv->v, attempt, &cl.pay};
    if ((rc = build(eng, name, date, &l, &c, o.sha256, &tot, err)) != 0)
        goto out;

    ps_id_new(o.id);
    ps_strlcpy(o.business_id, b->id, sizeof(o.business_id));
    ps_strlcpy(o.kind, KIND, sizeof(o.kind));
    ps_strlcpy(o.business_date, date, sizeof(o.business_date));
    o.records = (long)l.n;
    for (int i = 0; i < tot.n; i++)
        if ((rc = ps_money_add(o.credit_total, tot.total[i], &o.credit_total,
                               err)) != 0)
            goto out;
    if (tot.n > 1)
        o.credit_total = 0; /* sums across currencies mean nothing */
    ps_time_now(o.created_at);
    if ((rc = ps_store_output_insert(eng->store, &o, err)) != 0)
        goto out;
    /* In the order of their keys (output, transaction id): each b-tree
     * page of output_items is then written once, in order, rather than
     * at random. */
    lines_by_txn(xv->v, l.n, order);
    for (size_t i = 0; i < l.n; i++)
        if ((rc = ps_store_output_item_insert(
                 eng->store, o.id, line_at(&l, (size_t)(order[i] - xv->v),
                                           &scratch),
                 err)) != 0)
            goto out;
    if ((rc = ps_store_output_sums_put(eng->store, o.id, xv->v, l.n, err)) !=
            0 ||
        (rc = ps_store_outbound_mark_advance(eng->store, b->id,
                                             PS_RAIL_PUSH_TO_CARD, err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0)
        goto out;
    in_txn = 0;
    /* Nothing written since but this file: its payees hold for the next */
    ps_store_payout_payees_keep(eng->store);

    /* Committed: from here a failure leaves the file to the next run. */
    ps_crash_point("payout-committed");
    if ((rc = ps_outfile_publish(spool_dir, o.path, c.p, c.len, o.sha256, err)) != 0) {
        ps_log_err(PS_LOG_ERROR, "payout.write_failed", err, "{s:s}", "path",
                   o.path);
        goto out;
    }
    if (ps_pathf(r->path, sizeof(r->path), "%s/%s", spool_dir, o.path) != 0) {
        rc = ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
        goto out;
    }
    r->records = o.records;
    if (tot.n == 1) {
        r->amount = tot.total[0];
        ps_strlcpy(r->currency, tot.currency[0], sizeof(r->currency));
    }
    ps_log(PS_LOG_INFO, "payout.written", "{s:s, s:s, s:I, s:I, s:s}",
           "business", b->name, "path", o.path, "records",
           (json_int_t)r->records, "amount", (json_int_t)r->amount,
           "currency", r->currency);
out:
    ps_progress_end(&pg);
    if (in_txn)
        ps_store_rollback(eng->store);
    ps_wbuf_free(&c);
    payees_free(&cl.pay);
    free((void *)order);
    free(attempt);
    free(xv->v);
    return rc;
}

int ps_payout_run(struct ps_engine *eng, const char *spool_dir,
                  const struct ps_business *b, int64_t business_date,
                  struct ps_payout_result *res, struct ps_err *err)
{
    struct ps_payout_result r, f;
    char date[PS_DATE_SIZE];
    long max = eng->payout_max_records > 0 ? eng->payout_max_records
                                           : PS_PAYOUT_MAX_RECORDS;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = need_keys(eng, err)) != 0 ||
        (rc = ps_payout_recover(eng, spool_dir, b, &r.regenerated, err)) != 0)
        return rc;
    ps_date_format(business_date, date);
    /* A file a run, until one is not full: each commits on its own, so a
     * failure keeps the files before it and leaves the rest due. */
    do {
        if ((rc = payout_file(eng, spool_dir, b, date, max, &f, err)) != 0)
            break;
        if (f.records == 0)
            break;
        if (r.files++ == 0) {
            ps_strlcpy(r.path, f.path, sizeof(r.path));
            r.amount = f.amount;
            ps_strlcpy(r.currency, f.currency, sizeof(r.currency));
        } else if (strcmp(r.currency, f.currency) != 0 || r.currency[0] == 0) {
            r.amount = 0; /* several currencies: no one total */
            r.currency[0] = '\0';
        } else if ((rc = ps_money_add(r.amount, f.amount, &r.amount, err)) !=
                   0) {
            break;
        }
        r.records += f.records;
    } while (f.records == max);
    ps_store_payout_payees_drop(eng->store);
    if (rc != 0)
        return rc;
    *res = r;
    return 0;
}
