/*
 * odfi.c -- the sandbox ODFI (see odfi.h for the rules).
 *
 * It reads payspool's own outbound NACHA files with the NACHA reader and
 * answers with the writer, so every answer is a well-formed file the
 * spool's intake reads like a bank's.
 */
#include "sandbox/odfi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/money.h"
#include "formats/nacha/nacha.h"
#include "outbound/outfile.h"
#include "base/output.h"

/* The new details a NOC of the sandbox gives. */
#define NOC_ACCOUNT "7300012345"
#define NOC_ROUTING "011000015"

static const struct rule {
    int cents;
    const char *code;
} rules[] = {
    {1, "R01"},  {2, "R02"},  {3, "R03"},  {4, "R04"},  {10, "R10"},
    {21, "C01"}, {22, "C02"}, {23, "C03"}, {25, "C05"}, {26, "C06"},
    {27, "C07"},
};

static const char *rule_of(int64_t amount)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (amount % 100 == rules[i].cents)
            return rules[i].code;
    return NULL;
}

struct fd_stream {
    int fd;
};

static ssize_t fd_read(void *ctx, void *buf, size_t n, struct ps_err *err)
{
    struct fd_stream *f = ctx;
    for (;;) {
        ssize_t k = read(f->fd, buf, n);
        if (k >= 0)
            return k;
        if (errno != EINTR)
            return ps_err_sys(err, errno, "cannot read a NACHA file");
    }
}

struct entries {
    struct ps_nacha_entry *v;
    size_t n, cap;
};

static void entries_free(struct entries *x)
{
    if (x->v != NULL) {
        sodium_memzero(x->v, x->cap * sizeof(*x->v)); /* account numbers */
        free(x->v);
    }
    memset(x, 0, sizeof(*x));
}

/* Every entry of the file at path; its header in *info. */
static int read_file(const char *path, struct entries *x,
                     struct ps_nacha_file_info *info, struct ps_err *err)
{
    struct fd_stream fs = {open(path, O_RDONLY | O_CLOEXEC)};
    struct ps_stream in = {fd_read, &fs};
    struct ps_nacha_reader *r = NULL;
    int rc;
    if (fs.fd < 0)
        return ps_err_sys(err, errno, "cannot open %s", path);
    if ((rc = ps_nacha_reader_open(&in, path, 0, &r, err)) != 0)
        goto out;
    for (;;) {
        if (x->n == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 64;
            void *p = calloc(cap, sizeof(*x->v));
            if (p == NULL) {
                rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
                goto out;
            }
            if (x->v != NULL)
                memcpy(p, x->v, x->n * sizeof(*x->v));
            sodium_memzero(x->v, x->cap * sizeof(*x->v));
            free(x->v);
            x->v = p;
            x->cap = cap;
        }
        if ((rc = ps_nacha_reader_next(r, &x->v[x->n], err)) < 0)
            goto out;
        if (rc == 0)
            break;
        x->n++;
    }
    rc = ps_nacha_reader_finish(r, info, err);
out:
    ps_nacha_reader_close(r);
    close(fs.fd);
    return rc;
}

static int answer_tc(int tc)
{
    return tc / 10 * 10 + (tc % 10 <= 4 ? 1 : 6); /* 22 -> 21, 37 -> 36 */
}

/* The other account type's code of the same direction: 22 <-> 32. */
static int flip_tc(int tc)
{
    return tc / 10 == 2 ? tc + 10 : tc - 10;
}

static void corrected(const char *code, int tc, char *out, size_t size)
{
    unsigned flipped = (unsigned)flip_tc(tc) % 100u;
    if (strcmp(code, "C01") == 0)
        snprintf(out, size, "%s", NOC_ACCOUNT);
    else if (strcmp(code, "C02") == 0)
        snprintf(out, size, "%s", NOC_ROUTING);
    else if (strcmp(code, "C03") == 0)
        snprintf(out, size, "%s   %s", NOC_ROUTING, NOC_ACCOUNT);
    else if (strcmp(code, "C05") == 0)
        snprintf(out, size, "%02u", flipped);
    else if (strcmp(code, "C06") == 0)
        snprintf(out, size, "%-17s   %02u", NOC_ACCOUNT, flipped);
    else
        snprintf(out, size, "%s%-17s%02u", NOC_ROUTING, NOC_ACCOUNT, flipped);
}

/* The answer entry to e (a return or a NOC with code). */
static void answer_entry(const struct ps_nacha_entry *e, const char *code,
                         const char *arrival, struct ps_nacha_out *o)
{
    int noc = code[0] == 'C';
    memset(o, 0, sizeof(*o));
    ps_strlcpy(o->sec, noc ? "COR" : e->sec, sizeof(o->sec));
    ps_strlcpy(o->company_name, e->company_name, sizeof(o->company_name));
    ps_strlcpy(o->company_id, e->company_id, sizeof(o->company_id));
    ps_strlcpy(o->entry_description, e->entry_description,
               sizeof(o->entry_description));
    ps_strlcpy(o->effective_date, arrival, sizeof(o->effective_date));
    memcpy(o->odfi, e->rdfi, 8); /* the RDFI answers */
    o->transaction_code = answer_tc(e->transaction_code);
    /* The answer goes back to the ODFI: its routing number. */
    memcpy(o->rdfi, e->odfi, 8);
    o->rdfi[8] = (char)('0' + ps_nacha_check_digit(e->odfi));
    ps_strlcpy(o->account, e->account, sizeof(o->account));
    o->amount = noc ? 0 : e->amount;
    ps_strlcpy(o->individual_id, e->individual_id, sizeof(o->individual_id));
    ps_strlcpy(o->individual_name, e->individual_name,
               sizeof(o->individual_name));
    if (strcmp(e->sec, "WEB") == 0 && !noc)
        ps_strlcpy(o->discretionary, "S", sizeof(o->discretionary));
    o->addenda_type = noc ? 98 : 99;
    ps_strlcpy(o->code, code, sizeof(o->code));
    ps_strlcpy(o->original_trace, e->trace, sizeof(o->original_trace));
    memcpy(o->original_rdfi, e->rdfi, 8);
    if (noc)
        corrected(code, e->transaction_code, o->corrected_data,
                  sizeof(o->corrected_data));
    else
        ps_strlcpy(o->addenda_info, "SANDBOX RETURN", sizeof(o->addenda_info));
}

static int sink(void *ctx, const char *buf, size_t len, struct ps_err *err)
{
    return ps_wbuf_add(ctx, buf, len, err);
}
/* Write bytes as providers/sandbox/inbound/<b>/name for the spool to
 * claim (a file written before a crash is finished instead). */
static int drop(const char *inbound, const char *name, const char *p,
                size_t len, struct ps_err *err)
{
    struct ps_output *o = NULL;
    int rc = ps_output_open(inbound, name, 0600, &o, err);
    if (rc == PS_ECONFLICT)
        return ps_output_complete(inbound, name, NULL, err);
    if (rc != 0)
        return rc;
    if ((rc = ps_output_write(o, p, len, err)) != 0) {
        ps_output_abort(o);
        return rc;
    }
    return ps_output_commit(o, NULL, err);
}

/* Answer one ACH file.  Long (about 130 lines): the file read, its
 * answers written as a NACHA file, then its marker made durable, in that
 * order with one exit path freeing the entries (as cardproc.c's). */
static int answer_file(const char *spool, const struct ps_business *b,
                       const char *dir, const char *name,
                       const struct ps_calendar *cal, int64_t until,
                       struct ps_odfi_stats *st, struct ps_err *err)
{
    char path[PS_PATH_SIZE], marker[PS_PATH_SIZE], state[PS_PATH_SIZE];
    char inbound[PS_PATH_SIZE], stem[200], out[256];
    struct entries x = {NULL, 0, 0};
    struct ps_nacha_file_info info;
    struct ps_nacha_out *ans = NULL;
    struct ps_wbuf settled = {NULL, 0, 0}, returns = {NULL, 0, 0};
    struct ps_odfi_stats add = {0, 0, 0, 0};
    struct stat sb;
    size_t nans = 0;
    int64_t day, last = 0;
    int rc, fd;

    if (ps_pathf(state, sizeof(state), "%s/sandbox/odfi/%s", spool, b->name) !=
            0 ||
        ps_pathf(marker, sizeof(marker), "%s/%s.answered", state, name) != 0 ||
        ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0 ||
        /* The sandbox provider's folder (intake/channel.h; the provider
         * is named "sandbox", PS_SANDBOX_PROVIDER, not included here:
         * sandbox/ sits beside intake/, not above it). */
        ps_pathf(inbound, sizeof(inbound), "%s/providers/sandbox/inbound/%s",
                 spool, b->name) != 0 ||
        ps_pathf(stem, sizeof(stem), "%.*s", (int)(strlen(name) - 4), name) !=
            0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if (stat(marker, &sb) == 0)
        return 0;
    if ((rc = read_file(path, &x, &info, err)) != 0 ||
        (rc = ps_date_parse(info.creation_date, &day, err)) != 0)
        goto out;
    if (until >= 0 && day > until)
        goto out; /* not received yet, as far as this run knows */
    if ((ans = calloc(x.n ? x.n : 1, sizeof(*ans))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }

    static const char head[] = "reference,status,reason_code,message,"
                               "settlement_date,amount,currency,attempt\n";
    if ((rc = ps_wbuf_add(&settled, head, sizeof(head) - 1, err)) != 0)
        goto out;
    for (size_t i = 0; i < x.n; i++) {
        const struct ps_nacha_entry *e = &x.v[i];
        const char *code = rule_of(e->amount);
        int64_t eff;
        char arrival[PS_DATE_SIZE];
        if ((rc = ps_date_parse(e->effective_date, &eff, err)) != 0)
            goto out;
        /* The answer reaches the originator the banking day after the
         * entry settles. */
        ps_date_format(ps_calendar_next(cal, eff), arrival);
        if (eff > last)
            last = eff;
        if (code != NULL)
            answer_entry(e, code, arrival, &ans[nans++]);
        if (code != NULL && code[0] == 'R') {
            add.returned++;
            continue;
        }
        if (code != NULL)
            add.nocs++;
        char line[160], amount[PS_MONEY_STRMAX];
        int k = snprintf(line, sizeof(line), "%s,SETTLED,00,settled,%s,%s,"
                                             "USD,1\n",
                         e->trace, e->effective_date,
                         ps_money_format(e->amount, 2, amount,
                                         sizeof(amount)));
        if ((rc = ps_wbuf_add(&settled, line, (size_t)k, err)) != 0)
            goto out;
        add.settled++;
    }
    if (nans > 0) {
        struct ps_nacha_header h;
        struct ps_nacha_write_totals tot;
        char arrival[PS_DATE_SIZE];
        memset(&h, 0, sizeof(h));
        ps_strlcpy(h.immediate_destination, info.immediate_destination,
                   sizeof(h.immediate_destination));
        ps_strlcpy(h.immediate_origin, info.immediate_origin,
                   sizeof(h.immediate_origin));
        ps_strlcpy(h.creation_date,
                   ps_date_format(ps_calendar_next(cal, last), arrival),
                   sizeof(h.creation_date));
        ps_strlcpy(h.creation_time, "0600", sizeof(h.creation_time));
        h.file_id_modifier = info.file_id_modifier;
        ps_strlcpy(h.destination_name, info.origin_name,
                   sizeof(h.destination_name));
        ps_strlcpy(h.origin_name, info.destination_name,
                   sizeof(h.origin_name));
        ps_strlcpy(h.reference_code, "RETURNS", sizeof(h.reference_code));
        if ((rc = ps_nacha_write(&h, ans, nans, 0, sink, &returns, &tot,
                                 err)) != 0)
            goto out;
    }
    if ((rc = ps_mkdir_p(state, 0750, err)) != 0 ||
        (rc = ps_mkdir_p(inbound, 0750, err)) != 0)
        goto out;
    snprintf(out, sizeof(out), "%s.settled.csv", stem);
    if (add.settled > 0 &&
        (rc = drop(inbound, out, settled.p, settled.len, err)) != 0)
        goto out;
    snprintf(out, sizeof(out), "%s.returns.ach", stem);
    if (nans > 0 &&
        (rc = drop(inbound, out, returns.p, returns.len, err)) != 0)
        goto out;
    fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0 || fsync(fd) != 0) {
        rc = ps_err_sys(err, errno, "cannot write %s", marker);
        if (fd >= 0)
            close(fd);
        goto out;
    }
    close(fd);
    st->files++;
    st->settled += add.settled;
    st->returned += add.returned;
    st->nocs += add.nocs;
    ps_log(PS_LOG_INFO, "sandbox.odfi_answered", "{s:s, s:I, s:I, s:I}",
           "file", name, "settled", (json_int_t)add.settled, "returned",
           (json_int_t)add.returned, "nocs", (json_int_t)add.nocs);
out:
    if (ans != NULL) {
        sodium_memzero(ans, (x.n ? x.n : 1) * sizeof(*ans));
        free(ans);
    }
    ps_wbuf_free(&settled);
    ps_wbuf_free(&returns);
    entries_free(&x);
    return rc;
}

int ps_sandbox_odfi(const char *spool_dir, const struct ps_business *b,
                    const struct ps_calendar *cal, int64_t until,
                    struct ps_odfi_stats *st, struct ps_err *err)
{
    char dir[PS_PATH_SIZE];
    struct ps_odfi_stats s = {0, 0, 0, 0};
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (ps_pathf(dir, sizeof(dir), "%s/outbound/%s/nacha", spool_dir,
                 b->name) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((rc = ps_outfile_list_done(dir, "", ".ach", &names, &n, err)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = answer_file(spool_dir, b, dir, names[i], cal, until, &s, err);
    ps_outfile_names_free(names, n);
    if (rc == 0)
        *st = s;
    return rc;
}
