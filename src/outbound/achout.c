/*
 * achout.c -- the ACH cutoff: one NACHA file per business and cutoff (see
 * achout.h for the rules and the crash-safety contract).
 *
 * How it fails: anything before the commit rolls back (no transaction
 * moved, no file recorded); a failure after it leaves a recorded file
 * without its .done, which the next cutoff (or ps_ach_recover) writes.
 * Account numbers are opened only into the entries array and the file's
 * bytes, both wiped when done.
 */
#include "outbound/achout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/money.h"
#include "formats/nacha/nacha.h"
#include "outbound/outfile.h"
#include "store/metrics.h"
#include "store/store.h"
#include "engine/txn.h"

#define KIND "NACHA"
#define MAX_FILES_A_DAY 36                     /* A..Z, 0..9 */
#define SAME_DAY_LIMIT INT64_C(100000000)      /* $1,000,000.00 in cents */
#define TRACE_SEQ_MAX 9999999L                 /* 7 digits */

static char fim_of(int seq)
{
    return (char)(seq <= 26 ? 'A' + seq - 1 : '0' + seq - 27);
}

/* NACHA alphanumeric text: upper case, printable ASCII, truncated. */
static void nacha_text(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < size; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = ch >= 'a' && ch <= 'z'   ? (char)(ch - 'a' + 'A')
                 : ch < 0x20 || ch > 0x7e ? ' '
                                          : (char)ch;
    }
    dst[i] = '\0';
}

static int sink(void *ctx, const char *buf, size_t len, struct ps_err *err)
{
    return ps_wbuf_add(ctx, buf, len, err);
}

/* ---- the stored description of a file (schema v7) ------------------- */

static int header_json(const struct ps_nacha_header *h, char *out,
                       size_t size, struct ps_err *err)
{
    char fim[2] = {h->file_id_modifier, '\0'};
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "destination",
        h->immediate_destination, "origin", h->immediate_origin, "date",
        h->creation_date, "time", h->creation_time, "fim", fim,
        "destination_name", h->destination_name, "origin_name",
        h->origin_name, "reference", h->reference_code, "trace_start",
        (json_int_t)h->trace_start);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = 0;
    if (s == NULL || strlen(s) >= size)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "cannot describe the NACHA header");
    else
        ps_strlcpy(out, s, size);
    free(s);
    json_decref(o);
    return rc;
}

static int item_json(const struct ps_nacha_out *e, char *out, size_t size,
                     struct ps_err *err)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:s, s:s, s:s, s:s}",
        "sec", e->sec, "company_name", e->company_name, "company_id",
        e->company_id, "description", e->entry_description, "effective",
        e->effective_date, "odfi", e->odfi, "tc", e->transaction_code, "rdfi",
        e->rdfi, "amount", (json_int_t)e->amount, "individual_id",
        e->individual_id, "name", e->individual_name, "discretionary",
        e->discretionary, "info", e->payment_info);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = 0;
    if (s == NULL || strlen(s) >= size)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                        "cannot describe a NACHA entry");
    else
        ps_strlcpy(out, s, size);
    free(s);
    json_decref(o);
    return rc;
}

/* Copy string member `key` of o into dst; 0, or -1 when missing. */
static int get_str(json_t *o, const char *key, char *dst, size_t size)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (v == NULL)
        return -1;
    ps_strlcpy(dst, v, size);
    return 0;
}

#define GETS(o, key, field) get_str(o, key, field, sizeof(field))

static int header_parse(const char *text, struct ps_nacha_header *h,
                        struct ps_err *err)
{
    json_t *o = json_loads(text, 0, NULL);
    char fim[2] = "";
    int bad = o == NULL;
    memset(h, 0, sizeof(*h));
    if (!bad)
        bad = GETS(o, "destination", h->immediate_destination) |
              GETS(o, "origin", h->immediate_origin) |
              GETS(o, "date", h->creation_date) |
              GETS(o, "time", h->creation_time) | GETS(o, "fim", fim) |
              GETS(o, "destination_name", h->destination_name) |
              GETS(o, "origin_name", h->origin_name) |
              GETS(o, "reference", h->reference_code) |
              !json_is_integer(json_object_get(o, "trace_start"));
    if (!bad) {
        h->file_id_modifier = fim[0];
        h->trace_start =
            (long)json_integer_value(json_object_get(o, "trace_start"));
    }
    json_decref(o);
    return bad ? ps_err_set(err, PS_EINTERNAL, "NACHA_OUTPUT_DETAIL",
                            "a recorded NACHA file has no readable header")
               : 0;
}

static int item_parse(const char *text, struct ps_nacha_out *e,
                      struct ps_err *err)
{
    json_t *o = json_loads(text, 0, NULL);
    int bad = o == NULL;
    memset(e, 0, sizeof(*e));
    if (!bad)
        bad = GETS(o, "sec", e->sec) |
              GETS(o, "company_name", e->company_name) |
              GETS(o, "company_id", e->company_id) |
              GETS(o, "description", e->entry_description) |
              GETS(o, "effective", e->effective_date) |
              GETS(o, "odfi", e->odfi) | GETS(o, "rdfi", e->rdfi) |
              GETS(o, "individual_id", e->individual_id) |
              GETS(o, "name", e->individual_name) |
              GETS(o, "discretionary", e->discretionary) |
              GETS(o, "info", e->payment_info) |
              !json_is_integer(json_object_get(o, "tc")) |
              !json_is_integer(json_object_get(o, "amount"));
    if (!bad) {
        e->transaction_code = (int)json_integer_value(json_object_get(o, "tc"));
        e->amount = json_integer_value(json_object_get(o, "amount"));
    }
    json_decref(o);
    return bad ? ps_err_set(err, PS_EINTERNAL, "NACHA_OUTPUT_DETAIL",
                            "a recorded NACHA entry is not readable")
               : 0;
}

/* ---- building the entries ----------------------------------------------- */

static void entries_free(struct ps_nacha_out *e, size_t n)
{
    if (e == NULL)
        return;
    sodium_memzero(e, n * sizeof(*e)); /* account numbers */
    free(e);
}

/* The effective entry date of a credit or debit of `amount`. */
static int64_t effective_day(const struct ps_ach_config *cfg,
                             const struct ps_calendar *cal, int64_t day,
                             int credit, int64_t amount)
{
    if (cfg->same_day && amount < SAME_DAY_LIMIT &&
        ps_calendar_is_banking_day(cal, day, NULL))
        return day;
    return ps_calendar_add(cal, day, credit ? cfg->credit_days
                                            : cfg->debit_days);
}

static int build_entry(struct ps_engine *eng, const struct ps_ach_config *cfg,
                       const struct ps_calendar *cal, int64_t day,
                       const struct ps_txn *t, struct ps_nacha_out *e,
                       struct ps_err *err)
{
    struct ps_account a;
    struct ps_customer c;
    enum ps_debit_auth_kind auth = PS_AUTH_PPD;
    char name[PS_TEXT_SIZE], date[PS_DATE_SIZE];
    int credit = t->type == PS_TXN_SEND, rc;

    memset(e, 0, sizeof(*e));
    if (strcmp(t->currency, "USD") != 0)
        return ps_err_set(err, PS_EINVAL, "ACH_CURRENCY",
                          "transaction %s is in %s: ACH moves US dollars only",
                          t->id, t->currency);
    if ((rc = ps_store_account_get(eng->store, t->account_id, &a, err)) != 0 ||
        (rc = ps_store_customer_get(eng->store, t->customer_id, &c, err)) != 0)
        return rc;
    if (!credit) {
        rc = ps_store_debit_auth_active(eng->store, a.id, &auth, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return ps_err_set(err, PS_ESTATE, "DEBIT_NOT_AUTHORIZED",
                              "account %s has no active debit authorization",
                              a.id);
    }
    ps_strlcpy(e->sec,
               credit ? (c.type == PS_CUSTOMER_BUSINESS ? "CCD" : "PPD")
                      : ps_enum_name(PS_NAMES_DEBIT_AUTH, (int)auth),
               sizeof(e->sec));
    nacha_text(e->company_name, sizeof(e->company_name), cfg->company_name);
    nacha_text(e->company_id, sizeof(e->company_id), cfg->company_id);
    nacha_text(e->entry_description, sizeof(e->entry_description),
               credit ? cfg->credit_description : cfg->debit_description);
    ps_date_format(effective_day(cfg, cal, day, credit, t->amount), date);
    ps_strlcpy(e->effective_date, date, sizeof(e->effective_date));
    memcpy(e->odfi, cfg->odfi_routing, 8);
    e->odfi[8] = '\0';
    e->transaction_code = a.bank_type == PS_BANK_SAVINGS ? (credit ? 32 : 37)
                                                         : (credit ? 22 : 27);
    ps_strlcpy(e->rdfi, a.routing_number, sizeof(e->rdfi));
    e->amount = t->amount;
    nacha_text(e->individual_id, sizeof(e->individual_id), c.external_id);
    if (c.type == PS_CUSTOMER_BUSINESS)
        snprintf(name, sizeof(name), "%s", c.dba_name);
    else
        snprintf(name, sizeof(name), "%s %s", c.first_name, c.last_name);
    nacha_text(e->individual_name, sizeof(e->individual_name), name);
    if (strcmp(e->sec, "WEB") == 0)
        ps_strlcpy(e->discretionary, "S", sizeof(e->discretionary));
    return ps_account_open_number(eng, a.id, e->account, sizeof(e->account),
                                  err);
}

/* Move t (read in this store transaction) to PROCESSING with its trace
 * number.  No savepoint: the cutoff rolls the whole file back on any
 * error. */
static int transmit(struct ps_engine *eng, struct ps_txn *t, const char *name,
                    const struct ps_nacha_out *e, struct ps_err *err)
{
    struct ps_source src = {"ACH cutoff", name, e->line};
    struct ps_txn_args args = {&src, 0, NULL, NULL};
    int rc;
    if (t->status == PS_TXN_NEW &&
        (rc = ps_engine_txn_change(eng, t, PS_EV_SUBMIT, &args, err)) != 0)
        return rc;
    args.trace_number = e->trace;
    return ps_engine_txn_change(eng, t, PS_EV_TRANSMIT, &args, err);
}

/* ---- recovery --------------------------------------------------------- */

static int regenerate(struct ps_engine *eng, const char *spool,
                      const struct ps_output_row *o, struct ps_err *err)
{
    struct ps_item_vec it = {NULL, 0, 0, 0};
    struct ps_nacha_header h;
    struct ps_nacha_out *e = NULL;
    struct ps_nacha_write_totals tot;
    struct ps_wbuf c = {NULL, 0, 0};
    char sha[65];
    int rc;

    if ((rc = header_parse(o->detail, &h, err)) != 0 ||
        (rc = ps_store_output_items(eng->store, o->id, ps_item_vec_collect, &it,
                                    err)) != 0)
        goto out;
    if (it.oom || it.n != (size_t)o->records) {
        rc = ps_err_set(err, PS_EINTERNAL, "NACHA_OUTPUT_ITEMS",
                        "NACHA file %s: read %zu of its %ld entries", o->path,
                        it.n, o->records);
        goto out;
    }
    if ((e = calloc(it.n ? it.n : 1, sizeof(*e))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < it.n; i++)
        if ((rc = item_parse(it.v[i].detail, &e[i], err)) != 0 ||
            (rc = ps_account_open_number(eng, it.v[i].account_id,
                                         e[i].account, sizeof(e[i].account),
                                         err)) != 0)
            goto out;
    if ((rc = ps_nacha_write(&h, e, it.n, 0, sink, &c, &tot, err)) != 0)
        goto out;
    ps_wbuf_sha256(&c, sha);
    if (strcmp(sha, o->sha256) != 0) {
        rc = ps_err_set(err, PS_EINTERNAL, "NACHA_REGENERATE_MISMATCH",
                        "NACHA file %s regenerates with sha256 %s, recorded "
                        "%s: not written",
                        o->path, sha, o->sha256);
        goto out;
    }
    if ((rc = ps_outfile_publish(spool, o->path, c.p, c.len, o->sha256,
                                 err)) == 0)
        ps_log(PS_LOG_WARN, "nacha.regenerated", "{s:s, s:I}", "path",
               o->path, "entries", (json_int_t)o->records);
out:
    ps_wbuf_free(&c);
    entries_free(e, it.n);
    free(it.v);
    return rc;
}

int ps_ach_recover(struct ps_engine *eng, const char *spool,
                   const struct ps_business *b, int *regenerated,
                   struct ps_err *err)
{
    struct ps_output_row *v = NULL;
    size_t nv = 0;
    int rc, n = 0;
    if ((rc = ps_outfile_unfinished(eng->store, b->id, KIND, spool, &v, &nv,
                                    err)) != 0)
        goto out;
    for (size_t i = 0; i < nv; i++) {
        if ((rc = regenerate(eng, spool, &v[i], err)) != 0)
            goto out;
        n++;
    }
out:
    free(v);
    if (regenerated != NULL)
        *regenerated = n;
    return rc;
}

/* ---- the cutoff --------------------------------------------------------- */

/* Long (about 175 lines): the cutoff's steps in order (header, entries,
 * the file's bytes, then the moves and the file's record in one store
 * transaction), sharing the file being built; each step is commented. */
int ps_ach_cutoff(struct ps_engine *eng, const char *spool,
                  const struct ps_business *b, const struct ps_ach_config *cfg,
                  const struct ps_calendar *cal, int64_t business_date,
                  struct ps_ach_cutoff_result *res, struct ps_err *err)
{
    struct ps_txn_vec x = {NULL, 0, 0, 0};
    struct ps_nacha_out *e = NULL;
    struct ps_nacha_header h;
    struct ps_nacha_write_totals tot;
    struct ps_wbuf c = {NULL, 0, 0};
    struct ps_output_row o;
    struct ps_ach_cutoff_result r;
    struct ps_progress pg;
    char date[PS_DATE_SIZE], now[PS_TIME_SIZE], name[128], odfi[9];
    char what[160];
    long trace_max = 0;
    int rc, in_txn = 0;

    memset(&r, 0, sizeof(r));
    memset(&pg, 0, sizeof(pg));
    memset(&o, 0, sizeof(o));
    memset(&h, 0, sizeof(h));
    if ((rc = ps_ach_recover(eng, spool, b, &r.regenerated, err)) != 0)
        return rc;
    ps_date_format(business_date, date);

    if ((rc = ps_store_begin(eng->store, err)) != 0)
        goto out;
    in_txn = 1;
    if ((rc = ps_store_ach_candidates(eng->store, b->id, ps_txn_vec_collect, &x,
                                      err)) != 0)
        goto out;
    if (x.oom) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    if (x.n == 0) {
        /* Nothing to send (res empty): the watermark may still pass the
         * rows read past. */
        if ((rc = ps_store_outbound_mark_advance(eng->store, b->id,
                                                 PS_RAIL_ACH, err)) == 0 &&
            (rc = ps_store_commit(eng->store, err)) == 0)
            in_txn = 0;
        goto out;
    }
    if ((rc = ps_ach_config_ready(cfg, b->name, err)) != 0)
        goto out;
    if (eng->keys == NULL) {
        rc = ps_err_set(err, PS_ECONFIG, "KEYS_REQUIRED",
                        "NACHA files need the key file to open account "
                        "numbers");
        goto out;
    }
    if ((rc = ps_store_output_next_seq(eng->store, b->id, KIND, date, &o.seq,
                                       err)) != 0)
        goto out;
    if (o.seq > MAX_FILES_A_DAY) {
        rc = ps_err_set(err, PS_ESTATE, "NACHA_FILE_ID_EXHAUSTED",
                        "business %s has sent %d NACHA files for %s already: "
                        "the File ID Modifier has no value left (A-Z, 0-9)",
                        b->name, MAX_FILES_A_DAY, date);
        goto out;
    }
    memcpy(odfi, cfg->odfi_routing, 8);
    odfi[8] = '\0';
    if ((rc = ps_store_ach_trace_max(eng->store, b->id, odfi, &trace_max,
                                     err)) != 0)
        goto out;
    if (trace_max + (long)x.n > TRACE_SEQ_MAX) {
        rc = ps_err_set(err, PS_ESTATE, "NACHA_TRACE_EXHAUSTED",
                        "business %s has used trace sequence %ld of %ld with "
                        "ODFI %s",
                        b->name, trace_max, TRACE_SEQ_MAX, odfi);
        goto out;
    }

    /* The header. */
    ps_strlcpy(h.immediate_destination, cfg->odfi_routing,
               sizeof(h.immediate_destination));
    ps_strlcpy(h.immediate_origin, cfg->immediate_origin,
               sizeof(h.immediate_origin));
    ps_strlcpy(h.creation_date, date, sizeof(h.creation_date));
    ps_time_now(now); /* YYYY-MM-DDTHH:MM:SS...: HHMM, UTC */
    snprintf(h.creation_time, sizeof(h.creation_time), "%.2s%.2s", now + 11,
             now + 14);
    h.file_id_modifier = fim_of(o.seq);
    nacha_text(h.destination_name, sizeof(h.destination_name),
               cfg->odfi_name);
    nacha_text(h.origin_name, sizeof(h.origin_name), cfg->origin_name);
    nacha_text(h.reference_code, sizeof(h.reference_code),
               cfg->reference_code);
    h.trace_start = trace_max + 1;

    /* The entries, then the file's bytes (which number them). */
    if ((e = calloc(x.n, sizeof(*e))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < x.n; i++)
        if ((rc = build_entry(eng, cfg, cal, business_date, &x.v[i], &e[i],
                              err)) != 0)
            goto out;
    if ((rc = ps_nacha_write(&h, e, x.n, 0, sink, &c, &tot, err)) != 0)
        goto out;
    if (ps_pathf(name, sizeof(name), "ach-%s-%.4s%.2s%.2s-%c.ach", b->name,
                 date, date + 5, date + 8, h.file_id_modifier) != 0 ||
        ps_pathf(o.path, sizeof(o.path), "outbound/%s/nacha/%s", b->name,
                 name) != 0) {
        rc = ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                        "NACHA file name too long for business %s", b->name);
        goto out;
    }

    /* The moves and the record of the file, in one store transaction. */
    snprintf(what, sizeof(what), "ach cutoff %s", name);
    ps_progress_begin(&pg, "nacha.progress", what, "entries", (int64_t)x.n);
    for (size_t i = 0; i < x.n; i++) {
        if ((rc = transmit(eng, &x.v[i], name, &e[i], err)) != 0)
            goto out;
        ps_progress_step(&pg, 1);
    }
    ps_id_new(o.id);
    ps_strlcpy(o.business_id, b->id, sizeof(o.business_id));
    ps_strlcpy(o.kind, KIND, sizeof(o.kind));
    ps_strlcpy(o.business_date, date, sizeof(o.business_date));
    ps_wbuf_sha256(&c, o.sha256);
    o.records = (long)x.n;
    o.debit_total = tot.total_debit;
    o.credit_total = tot.total_credit;
    snprintf(o.file_key, sizeof(o.file_key), "%s|%s|%.2s%.2s%.2s|%s|%c",
             h.immediate_origin, h.immediate_destination, date + 2, date + 5,
             date + 8, h.creation_time, h.file_id_modifier);
    ps_time_now(o.created_at);
    if ((rc = header_json(&h, o.detail, sizeof(o.detail), err)) != 0 ||
        (rc = ps_store_output_insert(eng->store, &o, err)) != 0)
        goto out;
    for (size_t i = 0; i < x.n; i++) {
        struct ps_output_item_row item;
        memset(&item, 0, sizeof(item));
        ps_strlcpy(item.txn_id, x.v[i].id, sizeof(item.txn_id));
        item.line = e[i].line;
        ps_strlcpy(item.holder_name, e[i].individual_name,
                   sizeof(item.holder_name));
        if ((rc = item_json(&e[i], item.detail, sizeof(item.detail), err)) !=
                0 ||
            (rc = ps_store_output_item_insert(eng->store, o.id, &item, err)) !=
                0)
            goto out;
        if (x.v[i].type == PS_TXN_SEND)
            r.credits++;
        else
            r.debits++;
    }
    if ((rc = ps_store_output_sums_put(eng->store, o.id, x.v, x.n, err)) != 0 ||
        (rc = ps_store_outbound_mark_advance(eng->store, b->id, PS_RAIL_ACH,
                                             err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0)
        goto out;
    in_txn = 0;

    /* Committed: from here a failure leaves the file to the next run. */
    ps_crash_point("nacha-committed");
    if ((rc = ps_outfile_publish(spool, o.path, c.p, c.len, o.sha256, err)) !=
        0) {
        ps_log_err(PS_LOG_ERROR, "nacha.write_failed", err, "{s:s}", "path",
                   o.path);
        goto out;
    }
    if (ps_pathf(r.path, sizeof(r.path), "%s/%s", spool, o.path) != 0) {
        rc = ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
        goto out;
    }
    r.file_id_modifier = h.file_id_modifier;
    r.entries = (long)x.n;
    r.batches = tot.batches;
    r.credit_total = tot.total_credit;
    r.debit_total = tot.total_debit;
    ps_log(PS_LOG_INFO, "nacha.written",
           "{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "business", b->name, "path",
           o.path, "entries", (json_int_t)r.entries, "batches",
           (json_int_t)r.batches, "credit_total", (json_int_t)r.credit_total,
           "debit_total", (json_int_t)r.debit_total, "trace_start",
           (json_int_t)h.trace_start);
out:
    ps_progress_end(&pg);
    if (in_txn)
        ps_store_rollback(eng->store);
    ps_wbuf_free(&c);
    entries_free(e, x.n);
    free(x.v);
    if (rc == 0)
        *res = r;
    return rc;
}
