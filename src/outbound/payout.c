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

/* Build the whole file from its items (in line order) into out, and its
 * sha256; totals (may be NULL) receive the per-currency sums. */
static int build(struct ps_engine *eng, const char *name, const char *date,
                 const struct ps_item_vec *it, struct ps_wbuf *out,
                 char sha[PS_SHA256_HEX], struct totals *totals,
                 struct ps_err *err)
{
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
    for (size_t i = 0; i < it->n; i++) {
        const struct ps_output_item_row *r = &it->v[i];
        char amount[PS_MONEY_STRMAX], attempt[16];
        ps_money_format(r->amount, exponent_of(r->currency), amount,
                        sizeof(amount));
        snprintf(attempt, sizeof(attempt), "%d", r->attempt);
        if ((rc = ps_account_open_number(eng, r->account_id, pan, sizeof(pan), err)) != 0)
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

/* ---- holder names, read once a customer per file ------------------- */

/* An open-addressing table of customer id -> holder name (an offset
 * into a pool of names), sized for the file's transactions: a customer
 * with several in the file is read once (ps_store_customer_get was an
 * indexed read a line). */
struct name_slot {
    char id[PS_ID_SIZE];
    size_t off; /* the name's offset in the pool */
};
struct names {
    struct name_slot *v;
    size_t cap; /* a power of two, at least twice the file's lines */
    char *pool;
    size_t len, size;
};

static int names_init(struct names *h, size_t n, struct ps_err *err)
{
    h->cap = 16;
    while (h->cap < 2 * n)
        h->cap *= 2;
    if ((h->v = calloc(h->cap, sizeof(*h->v))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    return 0;
}

static void names_free(struct names *h)
{
    free(h->v);
    free(h->pool);
}

/* The holder name of customer id into out (size PS_TEXT_SIZE). */
static int holder_of(struct ps_engine *eng, struct names *h, const char *id,
                     char *out, struct ps_err *err)
{
    size_t i = (size_t)ps_hash_str(id) & (h->cap - 1);
    while (h->v[i].id[0] != '\0' && strcmp(h->v[i].id, id) != 0)
        i = (i + 1) & (h->cap - 1);
    if (h->v[i].id[0] == '\0') {
        struct ps_customer cust;
        char name[PS_TEXT_SIZE];
        int rc = ps_store_customer_get(eng->store, id, &cust, err);
        if (rc != 0)
            return rc;
        holder_name(&cust, name, sizeof(name));
        size_t nl = strlen(name) + 1;
        if (h->len + nl > h->size) {
            size_t sz = h->size == 0 ? 65536 : 2 * h->size;
            char *p = realloc(h->pool, sz);
            if (p == NULL)
                return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                                  "out of memory");
            h->pool = p;
            h->size = sz;
        }
        memcpy(h->pool + h->len, name, nl);
        h->v[i].off = h->len;
        h->len += nl;
        ps_strlcpy(h->v[i].id, id, sizeof(h->v[i].id));
    }
    ps_strlcpy(out, h->pool + h->v[i].off, PS_TEXT_SIZE);
    return 0;
}

/* ---- writing --------------------------------------------------------- */

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
    if (rc == 0)
        rc = build(eng, name != NULL ? name + 1 : o->path, o->business_date,
                   &it, &c, sha, NULL, err);
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
    struct ps_txn_vec x = {NULL, 0, 0, 0};
    struct ps_item_vec it = {NULL, 0, 0, 0};
    struct ps_wbuf c = {NULL, 0, 0};
    struct names nm = {NULL, 0, NULL, 0, 0};
    struct totals tot;
    struct ps_output_row o;
    struct ps_progress pg;
    char ymd[9], name[PS_OUTPUT_NAME_MAX + 1], what[PS_OUTPUT_NAME_MAX + 16];
    int rc, in_txn = 0;

    memset(r, 0, sizeof(*r));
    memset(&o, 0, sizeof(o));
    memset(&pg, 0, sizeof(pg));
    snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", date, date + 5, date + 8);
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        goto out;
    in_txn = 1;
    if ((rc = ps_store_payout_candidates(eng->store, b->id, max_records,
                                         ps_txn_vec_collect, &x,
                                         err)) != 0)
        goto out;
    if (x.oom) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    if (x.n == 0) {
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
    ps_progress_begin(&pg, "payout.progress", what, "records", (int64_t)x.n);
    if ((rc = names_init(&nm, x.n, err)) != 0)
        goto out;
    /* The file's items at once: an item is 1.2 KB, and doubling a vector
     * of 50,000 copied and held up to a third more. */
    if ((it.v = malloc(x.n * sizeof(*it.v))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    it.cap = x.n;
    for (size_t i = 0; i < x.n; i++) {
        struct ps_output_item_row item;
        memset(&item, 0, sizeof(item));
        if ((rc = holder_of(eng, &nm, x.v[i].customer_id, item.holder_name,
                            err)) != 0 ||
            (rc = transmit(eng, &x.v[i], name, (long)i + 1, &item.attempt,
                           err)) != 0)
            goto out;
        ps_strlcpy(item.txn_id, x.v[i].id, sizeof(item.txn_id));
        item.line = (long)i + 1;
        ps_strlcpy(item.account_id, x.v[i].account_id, sizeof(item.account_id));
        item.amount = x.v[i].amount;
        ps_strlcpy(item.currency, x.v[i].currency, sizeof(item.currency));
        if (ps_item_vec_push(&it, &item) != 0) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto out;
        }
        ps_progress_step(&pg, 1);
    }
    if ((rc = build(eng, name, date, &it, &c, o.sha256, &tot, err)) != 0)
        goto out;

    ps_id_new(o.id);
    ps_strlcpy(o.business_id, b->id, sizeof(o.business_id));
    ps_strlcpy(o.kind, KIND, sizeof(o.kind));
    ps_strlcpy(o.business_date, date, sizeof(o.business_date));
    o.records = (long)it.n;
    for (int i = 0; i < tot.n; i++)
        if ((rc = ps_money_add(o.credit_total, tot.total[i], &o.credit_total,
                               err)) != 0)
            goto out;
    if (tot.n > 1)
        o.credit_total = 0; /* sums across currencies mean nothing */
    ps_time_now(o.created_at);
    if ((rc = ps_store_output_insert(eng->store, &o, err)) != 0)
        goto out;
    for (size_t i = 0; i < it.n; i++)
        if ((rc = ps_store_output_item_insert(eng->store, o.id, &it.v[i],
                                              err)) != 0)
            goto out;
    if ((rc = ps_store_outbound_mark_advance(eng->store, b->id,
                                             PS_RAIL_PUSH_TO_CARD, err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0)
        goto out;
    in_txn = 0;

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
    names_free(&nm);
    free(it.v);
    free(x.v);
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
            return rc;
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
            return rc;
        }
        r.records += f.records;
    } while (f.records == max);
    *res = r;
    return 0;
}
