/*
 * resultfile.c -- intake's result files (resultfile.h): the temporary
 * body in work/, written chunk by chunk and fsynced before each
 * checkpoint commits, and its publication under outbound/<business>/
 * results/ with header and trailer through output.c.
 *
 * How it fails: system call failures are PS_EIO with errno and the path;
 * a body shorter than its checkpoint is RESULT_TRUNCATED (never padded);
 * a failed publication leaves nothing under the final name.
 */
#include "intake/resultfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crypto.h"
#include "base/money.h"
#include "base/output.h"
#include "intake/spool.h"

#define PATH_SIZE 4096

static const char result_header[] =
    "line,reference,outcome,code,message,ids,amount\n";

/* Result file name: the document name made safe, plus the file id's tail. */
static void result_name(const struct ps_file *f, const char *docname, char *out,
                        size_t size)
{
    char safe[160];
    size_t n = 0;
    for (const char *s = docname; *s != '\0' && n + 1 < sizeof(safe); s++) {
        char c = *s;
        if (s[0] == '!' && s[1] == '/') {
            safe[n++] = '_';
            s++;
            continue;
        }
        safe[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                            c == '_'
                        ? c
                        : '_';
    }
    safe[n] = '\0';
    ps_redact_pans(safe); /* a card number in a name, masked too */
    snprintf(out, size, "%s.%s.result.csv", safe, f->id + 24);
}

const char *ps_result_amount(int64_t v, const char *currency, char *buf,
                             size_t size)
{
    const struct ps_currency *c = ps_currency_find(currency);
    if (c == NULL)
        return "";
    return ps_money_format(v, c->exponent, buf, size);
}

static int flush(struct ps_result *r, struct ps_err *err)
{
    size_t done = 0;
    while (done < r->used) {
        ssize_t n = write(r->fd, r->buf + done, r->used - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ps_err_sys(err, errno, "cannot write %s", r->path);
        }
        done += (size_t)n;
    }
    r->used = 0;
    return 0;
}

int ps_result_line(struct ps_result *r, const char *const *cells, size_t n,
                       struct ps_err *err)
{
    char line[4096];
    size_t len = ps_csv_encode_row(cells, n, line, sizeof(line));
    if (len >= sizeof(line)) /* cells are bounded; cut, keep the newline */
        len = sizeof(line) - 1, line[len - 1] = '\n';
    /* Every line of a result file passes the log's redactor: a card
     * number quoted in a reference or a message is BIN + last 4 (the
     * cells hold no hex hash or other long digit run to spare; a UUID's
     * longest run is 12).  Masking keeps the length. */
    ps_redact_pans(line);
    if (r->used + len > sizeof(r->buf)) {
        int rc = flush(r, err);
        if (rc != 0)
            return rc;
    }
    memcpy(r->buf + r->used, line, len);
    r->used += len;
    r->offset += (int64_t)len;
    return 0;
}

/*
 * Open the temporary body at `offset`: 0 starts afresh; on resume it is
 * the checkpointed length, and the file must hold at least that much
 * (a shorter one lost synced lines: refuse rather than pad with NULs).
 */
int ps_result_open(struct ps_result *r, const char *dir, const char *input,
                       int index, int64_t offset, int resuming,
                       struct ps_err *err)
{
    struct stat st;
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    snprintf(r->path, sizeof(r->path), "%s/.%s.%d.result", dir, input, index);
    r->fd = open(r->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (r->fd < 0)
        return ps_err_sys(err, errno, "cannot open %s", r->path);
    if (resuming && (fstat(r->fd, &st) != 0 || st.st_size < offset)) {
        close(r->fd);
        r->fd = -1;
        return ps_err_set(err, PS_EIO, "RESULT_TRUNCATED",
                          "%s is shorter than its checkpoint (%lld bytes); "
                          "refusing to resume",
                          r->path, (long long)offset);
    }
    if (ftruncate(r->fd, offset) != 0 || lseek(r->fd, offset, SEEK_SET) < 0) {
        int e = errno;
        close(r->fd);
        return ps_err_sys(err, e, "cannot reset %s", r->path);
    }
    r->offset = offset;
    return 0;
}

/* Make the lines so far durable (before the checkpoint commits). */
int ps_result_sync(struct ps_result *r, struct ps_err *err)
{
    int rc = flush(r, err);
    if (rc == 0 && fsync(r->fd) != 0)
        rc = ps_err_sys(err, errno, "cannot sync %s", r->path);
    return rc;
}

void ps_result_close(struct ps_result *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

/*
 * Publish outbound/<business>/results/<name>: header, the body from the
 * temporary file, and the trailer from the file row.  An existing result
 * of the same name is this very document's, published before a crash.
 */
int ps_result_publish(const char *spool, const struct ps_business *b,
                      struct ps_file *f, const char *docname,
                      const char *tmp_path, struct ps_err *err)
{
    char dir[PATH_SIZE], name[256], amt[PS_MONEY_STRMAX], cnt[6][24];
    char doc[512], reason[sizeof(f->reason)];
    struct ps_output *o = NULL;
    unsigned char buf[65536];
    int fd = -1, rc;
    snprintf(dir, sizeof(dir), "%s/outbound/%s/results", spool, b->name);
    result_name(f, docname, name, sizeof(name));
    if ((rc = ps_spool_business_dirs(spool, b->name, err)) != 0)
        return rc;
    rc = ps_output_open(dir, name, 0640, &o, err);
    if (rc == PS_ECONFLICT) {
        /* Published before a crash (the name is this document's own):
         * finish its .sha256 and .done if the crash beat them. */
        if ((rc = ps_output_complete(dir, name, NULL, err)) != 0)
            return rc;
        goto published;
    }
    if (rc != 0)
        return rc;
    rc = ps_output_write(o, result_header, sizeof(result_header) - 1, err);
    if (rc == 0 && tmp_path != NULL) {
        fd = open(tmp_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
            rc = ps_err_sys(err, errno, "cannot open %s", tmp_path);
        while (rc == 0 && fd >= 0) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                rc = ps_err_sys(err, errno, "cannot read %s", tmp_path);
            if (n <= 0)
                break;
            rc = ps_output_write(o, buf, (size_t)n, err);
        }
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0) {
        /* The document's name and the reason are the sender's text; the
         * hash is not (a hex run is never masked). */
        ps_strlcpy(doc, docname, sizeof(doc));
        ps_strlcpy(reason, f->reason, sizeof(reason));
        ps_redact_pans(doc);
        ps_redact_pans(reason);
        snprintf(cnt[0], sizeof(cnt[0]), "%ld", f->records);
        snprintf(cnt[1], sizeof(cnt[1]), "%ld", f->accepted);
        snprintf(cnt[2], sizeof(cnt[2]), "%ld", f->rejected);
        snprintf(cnt[3], sizeof(cnt[3]), "%ld", f->duplicates);
        const char *trailer[] = {
            "#trailer",
            ps_enum_name(PS_NAMES_FILE_STATUS, (int)f->status),
            doc,
            f->format,
            cnt[0],
            cnt[1],
            cnt[2],
            cnt[3],
            /* in the document's currency; empty when it mixes several */
            ps_result_amount(f->amount_accepted, f->currency, amt, sizeof(amt)),
            f->sha256,
            reason,
            /* the lenient options that excused a problem (NACHA) */
            f->options_used,
        };
        rc = ps_output_printf(o, err,
                              "#trailer,status,document,format,records,"
                              "accepted,rejected,duplicates,amount_accepted,"
                              "input_sha256,reason,options_used\n");
        if (rc == 0)
            rc = ps_output_csv_row(o, trailer,
                                   sizeof(trailer) / sizeof(trailer[0]), err);
    }
    if (rc != 0) {
        ps_output_abort(o);
        return rc;
    }
    if ((rc = ps_output_commit(o, NULL, err)) != 0)
        return rc;
published:
    if (snprintf(f->result_path, sizeof(f->result_path), "%s/%s", dir, name) >=
        (int)sizeof(f->result_path))
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "result path too long");
    if (tmp_path != NULL)
        (void)unlink(tmp_path);
    return 0;
}

/*
 * A document left unfinished by an input that changed after its claim
 * (issue 18): what was committed stands (read from the bytes hashed and
 * checked), the rest can never be applied.  A PROCESSING document gets
 * one last result line saying so, written and synced before the commit
 * that makes it APPLIED with the reason (as a chunk's lines are), then
 * its result is published; an APPLIED one only needs its result.  Run
 * again after a crash, it converges: the line is cut back and rewritten
 * while the row is PROCESSING, the publication finds itself done.
 */
int ps_result_finish_changed(struct ps_store *store, const char *spool,
                             const char *workdir, const struct ps_business *b,
                             struct ps_file *f, const char *docname,
                             const struct ps_err *why, struct ps_err *err)
{
    char now[PS_TIME_SIZE], tmp[PATH_SIZE], msg[PS_ERR_MSG_MAX + 64];
    struct ps_checkpoint cp;
    struct ps_result r;
    int rc;
    const char *base = strrchr(f->name, '/');
    base = base != NULL ? base + 1 : f->name;
    if (f->status == PS_FILE_PROCESSING) {
        rc = ps_store_checkpoint_get(store, f->id, &cp, err);
        if (rc == PS_ENOTFOUND)
            memset(&cp, 0, sizeof(cp));
        else if (rc != 0)
            return rc;
        if ((rc = ps_result_open(&r, workdir, base, f->doc_index,
                                 cp.result_offset, 1, err)) != 0)
            return rc;
        snprintf(msg, sizeof(msg), "records after %ld not applied: %s",
                 cp.record_no, why->msg);
        const char *cells[] = {"", "", "REJECTED", why->rule, msg, "", ""};
        rc = ps_result_line(&r, cells, 7, err);
        if (rc == 0)
            rc = ps_result_sync(&r, err);
        ps_result_close(&r);
        if (rc != 0)
            return rc;
        f->status = PS_FILE_APPLIED;
        f->records = cp.record_no;
        f->accepted = cp.accepted;
        f->rejected = cp.rejected;
        f->duplicates = cp.duplicates;
        f->amount_accepted = cp.amount_accepted;
        char desc[1024];
        ps_strlcpy(f->reason, ps_err_str(why, desc, sizeof(desc)),
                   sizeof(f->reason));
        ps_strlcpy(f->completed_at, ps_time_now(now), sizeof(f->completed_at));
        if ((rc = ps_store_begin(store, err)) != 0)
            return rc;
        if ((rc = ps_store_file_update(store, f, err)) != 0 ||
            (rc = ps_store_commit(store, err)) != 0) {
            ps_store_rollback(store);
            return rc;
        }
    }
    snprintf(tmp, sizeof(tmp), "%s/.%s.%d.result", workdir, base,
             f->doc_index);
    if ((rc = ps_store_check_identity(store, err)) != 0 ||
        (rc = ps_result_publish(spool, b, f, docname, tmp, err)) != 0)
        return rc;
    return ps_store_file_update(store, f, err);
}

/* ---- a document refused whole ------------------------------------- */

/* The rule at the end of a stored reason ("... [RULE]"). */
static void rule_of(const char *reason, char *rule, size_t size)
{
    const char *open = strrchr(reason, '[');
    const char *close = open != NULL ? strchr(open, ']') : NULL;
    size_t n = open != NULL && close != NULL ? (size_t)(close - open - 1) : 0;
    if (n == 0 || n >= size) {
        ps_strlcpy(rule, "DOCUMENT_REJECTED", size);
        return;
    }
    memcpy(rule, open + 1, n);
    rule[n] = '\0';
}

/* Publish the one-line result of a refused document (its row is in the
 * store already) and record where it went.  Run again after a crash, it
 * finds the published result by its deterministic name. */
int ps_result_refused_publish(const char *spool, struct ps_store *store,
                              const struct ps_business *b, struct ps_file *f,
                              const char *docname, long line,
                              struct ps_err *err)
{
    char dir[4096], num[24], rule[PS_ERR_RULE_MAX];
    struct ps_result r;
    int rc;
    rule_of(f->reason, rule, sizeof(rule));
    snprintf(dir, sizeof(dir), "%s/work/%s", spool, b->name);
    if ((rc = ps_result_open(&r, dir, (strrchr(f->name, '/') != NULL ? strrchr(f->name, '/') + 1 : f->name), f->doc_index, 0, 0,
                          err)) != 0)
        return rc;
    snprintf(num, sizeof(num), "%ld", line);
    const char *cells[] = {line > 0 ? num : "",
                           "",
                           f->status == PS_FILE_DUPLICATE ? "DUPLICATE"
                                                          : "REJECTED",
                           rule,
                           f->reason,
                           "",
                           ""};
    rc = ps_result_line(&r, cells, 7, err);
    if (rc == 0)
        rc = ps_result_sync(&r, err);
    ps_result_close(&r);
    if (rc == 0) /* never a result for rows in a deleted database */
        rc = ps_store_check_identity(store, err);
    if (rc == 0)
        rc = ps_result_publish(spool, b, f, docname, r.path, err);
    if (rc == 0)
        rc = ps_store_file_update(store, f, err);
    return rc;
}
