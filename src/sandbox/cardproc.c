/*
 * cardproc.c -- the sandbox card processor (cardproc.h): reads the
 * push-to-card payout files payspool wrote and answers each with a
 * provider status file in the sandbox provider's folder of the spool
 * (providers/sandbox/inbound/<b>/, intake/channel.h), as a real
 * processor would.  For demonstrations and tests only.
 *
 * Sandbox code: it may include anything under the CLI (outbound/ for the
 * payout files' names); the engine never includes it.
 *
 * How it fails: the sandbox stops at the first payout file it cannot read
 * or answer (PAYOUT_FILE_FORMAT, or the system error), leaving that file
 * unanswered for the next run; answers already written stay written.
 */
#include "sandbox/cardproc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h> /* libcsv */
#include <jansson.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/money.h"
#include "base/output.h"
#include "outbound/outfile.h"

/* ---- the sandbox provider ---------------------------------------------- */

#define COLS 6

/* One payout file as the sandbox reads it (libcsv). */
struct pf {
    struct answer {
        char ref[PS_ID_SIZE];
        char amount[PS_MONEY_STRMAX];
        char currency[4];
        char attempt[12];
    } *v;
    size_t n, cap;
    char date[PS_DATE_SIZE]; /* business date from the trailer */
    long trailer_records;
    /* the row being read */
    char cell[COLS][PS_TEXT_SIZE];
    int ncell;
    long row;
    int bad;
};

static void pf_cell(void *s, size_t len, void *data)
{
    struct pf *p = data;
    if (p->ncell < COLS) {
        size_t n = len < PS_TEXT_SIZE - 1 ? len : PS_TEXT_SIZE - 1;
        memcpy(p->cell[p->ncell], s, n);
        p->cell[p->ncell][n] = '\0';
    }
    p->ncell++;
}

static void pf_row(int c, void *data)
{
    struct pf *p = data;
    (void)c;
    if (p->ncell != COLS)
        p->bad = 1;
    else if (p->row == 0) {
        if (strcmp(p->cell[0], "reference") != 0 ||
            strcmp(p->cell[1], "card_number") != 0)
            p->bad = 1;
    } else if (strcmp(p->cell[0], "#trailer") == 0) {
        if (strcmp(p->cell[1], "file") != 0) {
            ps_strlcpy(p->date, p->cell[2], sizeof(p->date));
            p->trailer_records += strtol(p->cell[4], NULL, 10);
        }
    } else {
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 64;
            void *q = realloc(p->v, cap * sizeof(*p->v));
            if (q == NULL) {
                p->bad = 1;
                goto wipe;
            }
            p->v = q;
            p->cap = cap;
        }
        struct answer *a = &p->v[p->n++];
        ps_strlcpy(a->ref, p->cell[0], sizeof(a->ref));
        ps_strlcpy(a->amount, p->cell[2], sizeof(a->amount));
        ps_strlcpy(a->currency, p->cell[3], sizeof(a->currency));
        ps_strlcpy(a->attempt, p->cell[5], sizeof(a->attempt));
    }
wipe:
    sodium_memzero(p->cell, sizeof(p->cell)); /* the card number */
    p->ncell = 0;
    p->row++;
}

static int read_payout(const char *path, struct pf *p, struct ps_err *err)
{
    struct csv_parser cp;
    char buf[8192];
    size_t n;
    int rc = 0;
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return ps_err_sys(err, errno, "cannot read payout file %s", path);
    if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (csv_parse(&cp, buf, n, pf_cell, pf_row, p) != n) {
            rc = ps_err_set(err, PS_EINVAL, "PAYOUT_FILE_FORMAT",
                            "payout file %s: %s", path,
                            csv_strerror(csv_error(&cp)));
            break;
        }
    if (rc == 0 && csv_fini(&cp, pf_cell, pf_row, p) != 0)
        rc = ps_err_set(err, PS_EINVAL, "PAYOUT_FILE_FORMAT",
                        "payout file %s: %s", path,
                        csv_strerror(csv_error(&cp)));
    csv_free(&cp);
    sodium_memzero(buf, sizeof(buf));
    fclose(f);
    if (rc == 0 && (p->bad || p->date[0] == '\0' ||
                    p->trailer_records != (long)p->n))
        rc = ps_err_set(err, PS_EINVAL, "PAYOUT_FILE_FORMAT",
                        "payout file %s: not a payout file, or its trailer "
                        "does not match its lines",
                        path);
    return rc;
}

/* The answer file's bytes for a payout file. */
static int answer(const struct pf *p, const struct ps_calendar *cal,
                  struct ps_sandbox_stats *st, struct ps_output *o,
                  struct ps_err *err)
{
    static const char *const head[] = {
        "reference", "status",   "reason_code", "message",
        "settlement_date", "amount", "currency", "attempt"};
    char settle[PS_DATE_SIZE];
    int64_t day;
    int rc;
    if ((rc = ps_date_parse(p->date, &day, err)) != 0)
        return rc;
    ps_date_format(ps_calendar_next(cal, day), settle);
    if ((rc = ps_output_csv_row(o, head, 8, err)) != 0)
        return rc;
    for (size_t i = 0; i < p->n; i++) {
        const struct answer *a = &p->v[i];
        int64_t minor;
        const char *status = "SETTLED", *code = "00", *msg = "approved";
        const char *date = settle;
        if ((rc = ps_money_parse_cur(a->amount, a->currency, 0, &minor, err)) !=
            0)
            return rc;
        if (minor % 100 == 13) {
            status = "DECLINED", code = "05", msg = "do not honor", date = "";
            st->declined++;
        } else if (minor % 100 == 99) {
            status = "ERROR", code = "91";
            msg = "issuer or switch unavailable", date = "";
            st->errors++;
        } else
            st->settled++;
        const char *cells[] = {a->ref, status,      code,       msg,
                               date,   a->amount,   a->currency, a->attempt};
        if ((rc = ps_output_csv_row(o, cells, 8, err)) != 0)
            return rc;
    }
    return 0;
}

/* Answer one payout file `name` (in dir) unless its marker exists. */
static int answer_file(const char *spool, const struct ps_business *b,
                       const char *dir, const char *name,
                       const struct ps_calendar *cal, int64_t until,
                       struct ps_sandbox_stats *st, struct ps_err *err)
{
    char path[PS_PATH_SIZE], marker[PS_PATH_SIZE], state[PS_PATH_SIZE];
    char inbound[PS_PATH_SIZE], out[PS_OUTPUT_NAME_MAX + 1], sha[PS_SHA256_HEX];
    struct pf p;
    struct stat sb;
    struct ps_output *o = NULL;
    struct ps_sandbox_stats add = {0, 0, 0, 0};
    int rc, fd;

    if (ps_pathf(state, sizeof(state), "%s/sandbox/provider/%s", spool,
                 b->name) != 0 ||
        ps_pathf(marker, sizeof(marker), "%s/%s.answered", state, name) != 0 ||
        ps_pathf(path, sizeof(path), "%s/%s", dir, name) != 0 ||
        /* The sandbox provider's folder (intake/channel.h; the provider
         * is named "sandbox", PS_SANDBOX_PROVIDER, not included here:
         * sandbox/ sits beside intake/, not above it). */
        ps_pathf(inbound, sizeof(inbound), "%s/providers/sandbox/inbound/%s",
                 spool, b->name) != 0 ||
        ps_pathf(out, sizeof(out), "%.*s.status.csv", (int)(strlen(name) - 4),
                 name) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if (stat(marker, &sb) == 0)
        return 0;
    memset(&p, 0, sizeof(p));
    if ((rc = read_payout(path, &p, err)) != 0)
        goto out;
    if (until >= 0) {
        int64_t day;
        if ((rc = ps_date_parse(p.date, &day, err)) != 0)
            goto out;
        if (day > until)
            goto out; /* not received yet, as far as this run knows */
    }
    if ((rc = ps_mkdir_p(state, 0750, err)) != 0 ||
        (rc = ps_mkdir_p(inbound, 0750, err)) != 0)
        goto out;
    rc = ps_output_open(inbound, out, 0640, &o, err);
    if (rc == PS_ECONFLICT) {
        /* Written before a crash and not claimed yet: finish it. */
        if ((rc = ps_output_complete(inbound, out, sha, err)) != 0)
            goto out;
    } else if (rc != 0) {
        goto out;
    } else if ((rc = answer(&p, cal, &add, o, err)) != 0) {
        ps_output_abort(o);
        goto out;
    } else if ((rc = ps_output_commit(o, sha, err)) != 0) {
        goto out;
    }
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
    st->declined += add.declined;
    st->errors += add.errors;
    ps_log(PS_LOG_INFO, "sandbox.answered", "{s:s, s:s, s:I, s:I, s:I}",
           "payout", name, "answer", out, "settled", (json_int_t)add.settled,
           "declined", (json_int_t)add.declined, "errors",
           (json_int_t)add.errors);
out:
    free(p.v);
    return rc;
}

int ps_sandbox_provider(const char *spool_dir, const struct ps_business *b,
                        const struct ps_calendar *cal, int64_t until,
                        struct ps_sandbox_stats *st, struct ps_err *err)
{
    char dir[PS_PATH_SIZE];
    struct ps_sandbox_stats s = {0, 0, 0, 0};
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (ps_pathf(dir, sizeof(dir), "%s/outbound/%s/payouts", spool_dir,
                 b->name) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    if ((rc = ps_outfile_list_done(dir, "p2c-", ".csv", &names, &n, err)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = answer_file(spool_dir, b, dir, names[i], cal, until, &s, err);
    ps_outfile_names_free(names, n);
    if (rc == 0)
        *st = s;
    return rc;
}
