/*
 * ewaexport.c -- the EWA profile export (ewaexport.h): one read snapshot
 * of the store, each profile's object written as one JSON line through
 * output.c.
 *
 * The line is the engine's object (ps_ewa_object_of(), engine/ewa.c)
 * as jansson dumps it with JSON_COMPACT | JSON_PRESERVE_ORDER, byte for
 * byte; it is written here directly, without building that object
 * (building and dumping it was about 40% of the export), whenever every
 * string in it is printable ASCII other than '"' and '\\' (the bytes
 * jansson writes as they are, as base/eventjson.c does for events);
 * any other line is built by the engine and dumped by jansson, as
 * before.  tests/e2e/test_ewa_export_bytes.sh compares both with `ewa
 * show`, key order included.
 *
 * How it fails: the engine's and the store's errors pass through; an
 * output error aborts the temporary file, so no partial export is ever
 * visible under its final name.
 */
#include "outbound/ewaexport.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/money.h"
#include "base/progress.h"
#include "base/output.h"
#include "engine/ewa.h"
#include "store/store.h"

/* A growing buffer for one line; `bad` once a string in it is not plain
 * (or memory ran out): the line is then left to jansson. */
struct jbuf {
    char *p;
    size_t n, cap;
    int bad;
};

static void jb_raw(struct jbuf *b, const char *s, size_t len)
{
    if (b->bad)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *n = realloc(b->p, cap);
        if (n == NULL) {
            b->bad = 1;
            return;
        }
        b->p = n;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
}

static void jb_lit(struct jbuf *b, const char *s)
{
    jb_raw(b, s, strlen(s));
}

/* s as a JSON string when jansson would write its bytes as they are;
 * NULL is null (json_pack's "s?"), when `nullable`. */
static void jb_str(struct jbuf *b, const char *s, int nullable)
{
    size_t i;
    if (s == NULL) {
        if (nullable)
            jb_raw(b, "null", 4);
        else
            b->bad = 1;
        return;
    }
    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
            s[i] == '"' || s[i] == '\\') {
            b->bad = 1;
            return;
        }
    jb_raw(b, "\"", 1);
    jb_raw(b, s, i);
    jb_raw(b, "\"", 1);
}

static void jb_int(struct jbuf *b, int64_t v)
{
    char num[24];
    int len = snprintf(num, sizeof(num), "%" PRId64, v);
    jb_raw(b, num, (size_t)len);
}

struct export_ctx {
    struct ps_engine *eng;
    /* The profiles' ids in the scan's order, and how many a batch of
     * pages holds (store.h, ps_store_profile_pages_load()). */
    char (*ids)[PS_ID_SIZE];
    const char **idp;
    size_t nids, idcap, batch;
    const struct ps_business *b;
    struct ps_output *o;
    int page_size;
    long count;
    struct ps_progress *pg; /* profiles written; their number not known */
    struct ps_program prog; /* the last profile's program (id "" none) */
    struct jbuf line, content; /* the line being written, its payments */
    int64_t npay;              /* payments in content */
    int rc;
    struct ps_err *err;
};

/* The first pass: each profile's id, in the scan's order. */
static int collect_id(void *vctx, const struct ps_profile *p)
{
    struct export_ctx *x = vctx;
    if (x->nids == x->idcap) {
        size_t cap = x->idcap != 0 ? x->idcap * 2 : 1024;
        char(*n)[PS_ID_SIZE] = realloc(x->ids, cap * sizeof(*n));
        if (n == NULL) {
            x->rc = ps_err_set(x->err, PS_ENOMEM, "NO_MEMORY",
                               "out of memory");
            return 1;
        }
        x->ids = n;
        x->idcap = cap;
    }
    ps_strlcpy(x->ids[x->nids++], p->id, PS_ID_SIZE);
    return 0;
}

/* The pages of the batch profile number x->count begins, from one walk
 * of the transactions; a profile not in it (none should be) is read by
 * its chain. */
static int load_batch(struct export_ctx *x)
{
    size_t from = (size_t)x->count;
    size_t n = from < x->nids ? x->nids - from : 0;
    if (n > x->batch)
        n = x->batch;
    for (size_t i = 0; i < n; i++)
        x->idp[i] = x->ids[from + i];
    return ps_store_profile_pages_load(x->eng->store, x->idp, n,
                                       x->page_size, x->err);
}

/* One payment of the first page, as engine/ewa.c's add_payment() packs
 * it. */
static int put_payment(void *vctx, const struct ps_txn *t)
{
    struct export_ctx *x = vctx;
    struct jbuf *b = &x->content;
    char amount[PS_MONEY_STRMAX];
    const struct ps_currency *cur = ps_currency_find(t->currency);
    jb_lit(b, b->n > 1 ? ",{\"transactionId\":" : "{\"transactionId\":");
    jb_str(b, t->id, 0);
    jb_lit(b, ",\"createdAt\":");
    jb_str(b, t->created_at, 0);
    jb_lit(b, ",\"transactionType\":");
    jb_str(b, ps_enum_name(PS_NAMES_TXN_TYPE, (int)t->type), 0);
    jb_lit(b, ",\"latestStatus\":{\"status\":");
    jb_str(b, ps_enum_name(PS_NAMES_TXN_STATUS, (int)t->status), 0);
    jb_lit(b, "},\"currency\":");
    jb_str(b, t->currency, 0);
    jb_lit(b, ",\"amount\":");
    jb_str(b,
           ps_money_format(t->amount, cur != NULL ? cur->exponent : 2, amount,
                           sizeof(amount)),
           0);
    jb_lit(b, "}");
    x->npay++;
    return b->bad;
}

/* The line of profile p (its program x->prog) in x->line, as
 * ps_ewa_object_of() packs it with page 0 of x->page_size; x->line.bad
 * when a string in it is not plain (the caller then asks the engine). */
static int put_profile(struct export_ctx *x, const struct ps_profile *p)
{
    struct ps_customer c;
    struct jbuf *b = &x->line;
    const struct ps_currency *cur = ps_currency_find(x->prog.currency);
    char recover[PS_MONEY_STRMAX];
    int64_t total = 0, size = x->page_size;
    int rc;
    if ((rc = ps_store_customer_get(x->eng->store, p->customer_id, &c,
                                    x->err)) != 0)
        return rc;
    x->content.n = 0;
    x->content.bad = 0;
    x->npay = 0;
    jb_lit(&x->content, "[");
    if ((rc = ps_store_txn_page_profile(x->eng->store, p->id, 0, size,
                                        put_payment, x, x->err)) != 0)
        return rc;
    jb_lit(&x->content, "]");
    if (x->content.bad) {
        b->bad = 1;
        return 0;
    }
    /* A first page not full holds them all (same snapshot): no count. */
    if (x->npay < size)
        total = x->npay;
    else if ((rc = ps_store_txn_count_profile(x->eng->store, p->id, &total,
                                              x->err)) != 0)
        return rc;
    int64_t pages = (total + size - 1) / size;
    jb_lit(b, "{\"id\":");
    jb_str(b, p->id, 0);
    jb_lit(b, ",\"externalId\":");
    jb_str(b, p->external_id, 0);
    jb_lit(b, ",\"customerId\":");
    jb_str(b, c.id, 0);
    jb_lit(b, ",\"financialAccountId\":");
    jb_str(b, p->account_id, 0);
    jb_lit(b, ",\"latestEligibilityStatus\":{\"id\":");
    jb_str(b, p->eligibility_id, 0);
    jb_lit(b, ",\"eligibilityUpdateReason\":");
    jb_str(b, p->eligibility_reason, 0);
    jb_lit(b, ",\"status\":");
    jb_str(b, ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p->eligibility), 0);
    jb_lit(b, ",\"createdAt\":");
    jb_str(b, p->eligibility_at, 0);
    jb_lit(b, "},\"enrollmentStatus\":");
    jb_str(b, ps_enum_name(PS_NAMES_ENROLLMENT, (int)p->enrollment), 0);
    jb_lit(b, ",\"firstName\":");
    jb_str(b, c.type == PS_CUSTOMER_BUSINESS ? c.dba_name : c.first_name, 0);
    jb_lit(b, ",\"middleName\":");
    jb_str(b, c.middle_name[0] != '\0' ? c.middle_name : NULL, 1);
    jb_lit(b, ",\"lastName\":");
    jb_str(b, c.last_name, 0);
    jb_lit(b, ",\"programId\":");
    jb_str(b, x->prog.id, 0);
    jb_lit(b, ",\"programName\":");
    jb_str(b, x->prog.name, 0);
    jb_lit(b, ",\"amountToRecover\":");
    jb_str(b,
           ps_money_format(p->amount_to_recover,
                           cur != NULL ? cur->exponent : 2, recover,
                           sizeof(recover)),
           0);
    jb_lit(b, ",\"enrollmentBegin\":");
    jb_str(b, p->enrollment_begin, 0);
    jb_lit(b, ",\"enrollmentEnd\":");
    jb_str(b, p->enrollment_end[0] != '\0' ? p->enrollment_end : NULL, 1);
    jb_lit(b, ",\"payment\":{\"totalElements\":");
    jb_int(b, total);
    jb_lit(b, ",\"totalPages\":");
    jb_int(b, pages);
    jb_lit(b, ",\"number\":0,\"numberOfElements\":");
    jb_int(b, x->npay);
    jb_lit(b, 1 < pages ? ",\"hasNext\":true,\"content\":"
                        : ",\"hasNext\":false,\"content\":");
    jb_raw(b, x->content.p, x->content.n);
    jb_lit(b, "}}\n");
    return 0;
}

/* The line of a profile jansson must write: the engine's object, dumped. */
static int put_dumped(struct export_ctx *x, const struct ps_profile *p)
{
    json_t *obj = NULL;
    char *line;
    int rc = ps_ewa_object_of(x->eng, p, &x->prog, 0, x->page_size, &obj,
                              x->err);
    if (rc != 0)
        return rc;
    line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (line == NULL)
        return ps_err_set(x->err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    /* The line as it is (no printf of a few KiB), then its newline. */
    rc = ps_output_write(x->o, line, strlen(line), x->err);
    if (rc == 0)
        rc = ps_output_write(x->o, "\n", 1, x->err);
    free(line);
    return rc;
}

static int export_one(void *vctx, const struct ps_profile *p)
{
    struct export_ctx *x = vctx;
    if (x->batch > 0 && (size_t)x->count % x->batch == 0 &&
        (x->rc = load_batch(x)) != 0)
        return 1;
    /* The scan's row is the profile: no lookup by external id; its
     * program is read once per program, not once per profile. */
    if (strcmp(x->prog.id, p->program_id) != 0 &&
        (x->rc = ps_store_program_get(x->eng->store, NULL, p->program_id,
                                      &x->prog, x->err)) != 0)
        return 1;
    x->line.n = 0;
    x->line.bad = 0;
    if ((x->rc = put_profile(x, p)) != 0)
        return 1;
    if (!x->line.bad)
        x->rc = ps_output_write(x->o, x->line.p, x->line.n, x->err);
    else
        x->rc = put_dumped(x, p);
    if (x->rc != 0)
        return 1;
    x->count++;
    ps_progress_step(x->pg, 1);
    return 0;
}

int ps_ewaexport_write(struct ps_engine *eng, const char *spool,
                       const struct ps_business *b, int page_size, char *path,
                       size_t size, long *count, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], name[PS_OUTPUT_NAME_MAX + 1], day[PS_DATE_SIZE];
    char ymd[9], what[PS_NAME_SIZE + 8];
    struct ps_progress pg;
    struct export_ctx x = {.eng = eng, .b = b, .page_size = page_size,
                           .pg = &pg, .err = err};
    int rc, seq;

    if (page_size < 1 || page_size > 1000)
        return ps_err_set(err, PS_EINVAL, "PAGE_RANGE",
                          "page size must be 1 to 1000");
    snprintf(dir, sizeof(dir), "%s/outbound/%s/exports", spool, b->name);
    /* The writer makes the folder it writes to, as outfile.c and recon.c
     * do (the spool tree itself is intake's, spool.c). */
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        return rc;
    ps_date_today(day);
    snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", day, day + 5, day + 8);
    for (seq = 1; seq <= 999; seq++) {
        snprintf(name, sizeof(name), "ewa-profiles-%s-%s-%03d.jsonl", b->name,
                 ymd, seq);
        rc = ps_output_open(dir, name, 0640, &x.o, err);
        if (rc != PS_ECONFLICT)
            break;
    }
    if (rc != 0)
        return seq > 999 ? ps_err_set(err, PS_ECONFLICT, "TOO_MANY_EXPORTS",
                                      "999 exports of %s today already",
                                      b->name)
                         : rc;
    /* One snapshot for the whole file. */
    if ((rc = ps_store_begin_read(eng->store, err)) != 0) {
        ps_output_abort(x.o);
        return rc;
    }
    snprintf(what, sizeof(what), "export %s", b->name);
    ps_progress_begin(&pg, "ewa.export_progress", what, "profiles", 0);
    /* The profiles' ids first, then their pages a batch at a time. */
    rc = ps_store_profile_scan(eng->store, b->id, collect_id, &x, err);
    if (rc == 0 && (rc = x.rc) == 0 &&
        (rc = ps_store_profile_pages_batch(eng->store, x.nids, &x.batch,
                                           err)) == 0 &&
        (x.idp = calloc(x.batch + 1, sizeof(*x.idp))) == NULL)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (rc == 0)
        rc = ps_store_profile_scan(eng->store, b->id, export_one, &x, err);
    ps_store_profile_pages_drop(eng->store);
    free(x.ids);
    free(x.idp);
    free(x.line.p);
    free(x.content.p);
    ps_progress_end(&pg);
    if (rc == 0)
        rc = x.rc;
    ps_store_rollback(eng->store); /* only read */
    if (rc == 0)
        rc = ps_output_commit(x.o, NULL, err);
    else
        ps_output_abort(x.o);
    if (rc != 0)
        return rc;
    snprintf(path, size, "%s/%s", dir, name);
    *count = x.count;
    ps_log(PS_LOG_INFO, "ewa.exported", "{s:s, s:s, s:I}", "business",
           b->name, "path", path, "profiles", (json_int_t)x.count);
    return 0;
}
