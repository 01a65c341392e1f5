/*
 * pipeline.c -- inputs to documents to records to the engine, in chunks,
 * with checkpoints, result files (written by resultfile.c), and crash
 * resumption.
 *
 * Crash safety, step by step (a kill -9 may land anywhere):
 *   - The input is in work/ from its claim until it is archived or
 *     quarantined; nothing is ever deleted before its archive copy is
 *     durable.
 *   - A pass reads only its private copy of the input (snapshot.h): what
 *     is applied is what was hashed and checked.  A claimed file that
 *     changed meanwhile is kept in failed/ (FILE_CHANGED_AFTER_CLAIM) and
 *     the copy archived; resumed, a grown file is cut back to its rows'
 *     size and hash, a rewritten one finishes its documents with what was
 *     committed and goes to failed/ (changed_since_claim()).
 *   - Nothing is published, archived or quarantined unless the database
 *     opened is still the one at its path (ps_store_check_identity()).
 *   - A document's file row is inserted in the same SQLite transaction as
 *     its first chunk; every chunk commits its records, their result rows
 *     and the checkpoint together.  The result lines of a chunk are
 *     written and fsynced to a temporary file in work/ *before* the commit
 *     that records their length, so on resume the temporary file is cut
 *     back to the checkpointed length and never holds a line for a record
 *     the database does not have.
 *   - The result file is published from the temporary file after the
 *     document's last commit; its name is derived from the file id, so a
 *     resumed run finds it if it was already published.
 *   - The input is archived last; the archive name carries the content
 *     hash, so archiving again after a crash finds the copy in place.
 * The content hash per business (UNIQUE in the store) makes intake
 * exactly-once; the per-record idempotency keys and request ids are the
 * second line of defence.
 *
 * How it fails: bad input is never an error here, it is an outcome
 * (REJECTED documents, DUPLICATE inputs, quarantined files); engine
 * failures (database, I/O) are returned and the input stays in work/.
 */
#include "intake/pipeline.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/achconf.h"
#include "engine/apply.h"
#include "engine/paybook.h"
#include "intake/docread.h"
#include "intake/doccheck.h"
#include "formats/format.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/money.h"
#include "formats/nacha/nacha.h"
#include "base/fsutil.h"
#include "base/output.h"
#include "intake/resultfile.h"
#include "intake/isoresult.h"
#include "intake/snapshot.h"
#include "intake/walk.h"
#include "intake/seal.h"

#define PATH_SIZE 4096
/* Inputs from this size on are sealed for the archive on a thread of
 * their own while they are applied (spool.h ps_spool_archive_begin). */
#define SEAL_ASIDE_MIN (8 << 20)

/* ---- names and small helpers ---------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

static void reason_of(const struct ps_err *e, char *out, size_t size)
{
    char buf[1024];
    snprintf(out, size, "%s", ps_err_str(e, buf, sizeof(buf)));
}

/* ---- a document rejected whole (or a duplicate input) --------------- */

/* A document rejected whole, or a duplicate input: its row first (one
 * statement, so a crash cannot leave two), then its result file. */
static int doc_refused(struct ps_pipeline *p, const struct ps_business *b,
                       struct ps_file *f, const char *docname,
                       const struct ps_err *why, enum ps_file_status status,
                       struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    int rc;
    f->status = status;
    reason_of(why, f->reason, sizeof(f->reason));
    ps_strlcpy(f->completed_at, ps_time_now(now), sizeof(f->completed_at));
    if ((rc = ps_store_file_insert(p->eng->store, f, err)) != 0)
        return rc;
    ps_crash_point("refused-row");
    if ((rc = ps_result_refused_publish(p->spool, p->eng->store, b, f,
                                         docname, why->line, err)) != 0)
        return rc;
    p->stats.documents++;
    if (status == PS_FILE_REJECTED)
        p->stats.rejected_docs++;
    ps_log_err(PS_LOG_WARN,
               status == PS_FILE_DUPLICATE ? "file.duplicate"
                                           : "document.rejected",
               why, "{s:s, s:s, s:s, s:s}", "business", b->name, "document",
               docname, "file_id", f->id, "result", f->result_path);
    return 0;
}

/* ---- checking and applying one document ----------------------------- */

struct chunk_state {
    struct ps_checkpoint cp;
    /* The part of cp's counts already in the pass's stats: a resumed
     * document's checkpoint holds what earlier passes applied, and the
     * pass's summary says what this pass did (issue 18). */
    long counted_accepted, counted_rejected, counted_duplicates;
    long record_no;
    char currency[4]; /* of the accepted amounts, "" if none or mixed */
    int mixed;        /* accepted amounts in more than one currency */
    /* With the writer thread, the chunk's refusal rows, written at its
     * commit (engine/ewawriter.h): a refusal does not wait for it. */
    struct ps_record_result_row *held;
    size_t nheld, held_cap;
};

static int hold_row(struct chunk_state *cs,
                    const struct ps_record_result_row *row, struct ps_err *err)
{
    if (cs->nheld == cs->held_cap) {
        size_t cap = cs->held_cap != 0 ? 2 * cs->held_cap : 64;
        struct ps_record_result_row *n =
            realloc(cs->held, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        cs->held = n;
        cs->held_cap = cap;
    }
    cs->held[cs->nheld++] = *row;
    return 0;
}

/* Apply one record inside the open chunk transaction. */
static int apply_one(struct ps_pipeline *p, struct ps_applier *ap,
                     const struct ps_business *b, struct ps_file *f,
                     const char *docname, const struct ps_record *rec,
                     struct chunk_state *cs, struct ps_result *r,
                     struct ps_err *err)
{
    struct ps_apply_result res;
    struct ps_source src = {NULL, docname, rec->line};
    char line[24], amt[PS_MONEY_STRMAX];
    int rc;
    if (rec->key != NULL && rec->err.code == 0) {
        /* With the writer thread, written there (a conflict then has the
         * chunk applied again on one thread: apply.h). */
        rc = ps_applier_key(ap, rec->key, f->id, cs->record_no, err);
        if (rc == PS_ECONFLICT) {
            memset(&res, 0, sizeof(res));
            res.outcome = PS_DUPLICATE;
            ps_strlcpy(res.code, "DUPLICATE_RECORD", sizeof(res.code));
            snprintf(res.message, sizeof(res.message),
                     "record %s was applied before", rec->key);
            goto outcome;
        }
        if (rc != 0)
            return rc;
    }
    if ((rc = ps_applier_record(ap, rec, &src, &res, err)) != 0)
        return rc;
outcome:
    switch (res.outcome) {
    case PS_ACCEPTED:
        cs->cp.accepted++;
        /* A sum past int64 cannot be a real payroll; it saturates (the
         * trailer then shows the ceiling) instead of wrapping. */
        if (res.amount > 0 && ps_money_add(cs->cp.amount_accepted, res.amount,
                                           &cs->cp.amount_accepted, NULL) != 0)
            cs->cp.amount_accepted = INT64_MAX;
        if (res.currency[0] != '\0' && !cs->mixed) {
            if (cs->currency[0] == '\0')
                ps_strlcpy(cs->currency, res.currency, sizeof(cs->currency));
            else if (strcmp(cs->currency, res.currency) != 0) {
                cs->mixed = 1;
                cs->currency[0] = '\0';
            }
        }
        break;
    case PS_REJECTED:
        cs->cp.rejected++;
        break;
    case PS_DUPLICATE:
        cs->cp.duplicates++;
        break;
    }
    snprintf(line, sizeof(line), "%ld", rec->line);
    /* A reference is the record's own text: bound it so a result line
     * always fits (the full record is in the archived input); 140 bytes
     * hold an ISO EndToEndId of 35 characters whole. */
    char ref[144];
    ps_strlcpy(ref, rec->reference != NULL ? rec->reference : "", 141);
    size_t rl = strlen(ref);
    if (rec->reference != NULL && strlen(rec->reference) > rl)
        memcpy(ref + rl, "...", 4); /* rl <= 140: fits in 144 */
    ps_redact_pans(ref); /* never a card number in clear (issue 18) */
    const char *cells[] = {
        line,
        ref,
        ps_outcome_name(res.outcome),
        res.code,
        res.message,
        res.ids,
        res.outcome == PS_ACCEPTED && res.amount > 0
            ? ps_result_amount(res.amount, res.currency, amt, sizeof(amt))
            : ""};
    if (res.outcome != PS_ACCEPTED) {
        struct ps_record_result_row row;
        memset(&row, 0, sizeof(row));
        row.record_no = cs->record_no;
        row.line = rec->line;
        ps_strlcpy(row.reference, ref, sizeof(row.reference));
        ps_strlcpy(row.outcome, ps_outcome_name(res.outcome),
                   sizeof(row.outcome));
        ps_strlcpy(row.code, res.code, sizeof(row.code));
        ps_strlcpy(row.message, res.message, sizeof(row.message));
        if (ps_applier_threaded(ap))
            rc = hold_row(cs, &row, err);
        else
            rc = ps_store_record_result_insert(p->eng->store, f->id, &row,
                                               err);
        if (rc != 0)
            return rc;
        ps_log(PS_LOG_DEBUG, "record.rejected", "{s:s, s:s, s:I, s:s, s:s}",
               "business", b->name, "document", docname, "line",
               (json_int_t)rec->line, "code", res.code, "message", res.message);
    }
    return ps_result_line(r, cells, 7, err);
}

/* Commit a chunk: result lines durable first, then checkpoint + rows. */
static int chunk_commit(struct ps_pipeline *p, struct ps_applier *ap,
                        struct ps_file *f, struct chunk_state *cs,
                        struct ps_result *r, int last, struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_applier_flush(ap, err)) != 0)
        return rc;
    for (size_t i = 0; i < cs->nheld; i++)
        if ((rc = ps_store_record_result_insert(p->eng->store, f->id,
                                                &cs->held[i], err)) != 0)
            return rc;
    cs->nheld = 0;
    cs->cp.record_no = cs->record_no;
    cs->cp.result_offset = r->offset;
    if ((rc = ps_result_sync(r, err)) != 0 ||
        (rc = ps_store_checkpoint_put(p->eng->store, f->id, &cs->cp,
                                      ps_time_now(now), err)) != 0)
        return rc;
    if (last) {
        f->status = PS_FILE_APPLIED;
        f->accepted = cs->cp.accepted;
        f->rejected = cs->cp.rejected;
        f->duplicates = cs->cp.duplicates;
        f->amount_accepted = cs->cp.amount_accepted;
        /* The trailer's amount is in the accepted records' currency (the
         * document's own totals may have none, or mix in refused ones). */
        if (cs->mixed)
            f->currency[0] = '\0';
        else if (cs->currency[0] != '\0')
            ps_strlcpy(f->currency, cs->currency, sizeof(f->currency));
        f->records = cs->record_no;
        ps_strlcpy(f->completed_at, now, sizeof(f->completed_at));
        if ((rc = ps_store_file_update(p->eng->store, f, err)) != 0)
            return rc;
    }
    if ((rc = ps_store_commit(p->eng->store, err)) != 0)
        return rc;
    p->stats.accepted += cs->cp.accepted - cs->counted_accepted;
    p->stats.rejected += cs->cp.rejected - cs->counted_rejected;
    p->stats.duplicates += cs->cp.duplicates - cs->counted_duplicates;
    cs->counted_accepted = cs->cp.accepted;
    cs->counted_rejected = cs->cp.rejected;
    cs->counted_duplicates = cs->cp.duplicates;
    ps_crash_point(last ? "applied" : "chunk-committed");
    return 0;
}

/* Open a chunk's transaction.  Exactly-once: a new document's file row is
 * inserted in the same transaction as its first chunk, so a concurrent
 * copy of the same content fails the UNIQUE index and applies nothing. */
static int chunk_begin(struct ps_pipeline *p, struct ps_file *f,
                       const struct ps_doc_totals *key, int *in_txn,
                       int *inserted, struct ps_err *err)
{
    int rc = ps_store_begin(p->eng->store, err);
    if (rc != 0)
        return rc;
    *in_txn = 1;
    if (*inserted)
        return 0;
    f->status = PS_FILE_PROCESSING;
    if ((rc = ps_store_file_insert(p->eng->store, f, err)) != 0)
        return rc;
    if (key != NULL && key->key_kind[0] != '\0') {
        char prior[PS_ID_SIZE] = "";
        rc = ps_store_file_key_insert(p->eng->store, f->business_id,
                                      key->key_kind, key->key, f->id, prior,
                                      err);
        if (rc == PS_ECONFLICT)
            return ps_err_set(err, PS_ECONFLICT, "DUPLICATE_FILE_KEY",
                              "%s %s was already received (file %s)",
                              key->key_kind, key->key, prior);
        if (rc != 0)
            return rc;
    }
    *inserted = 1;
    return 0;
}

/* Pass 2: apply, from the checkpoint when resuming (f->status PROCESSING)
 * or from the start (f not yet in the store). */
/* A document's state from its checkpoint when resuming, else zero. */
static int chunk_state_init(struct ps_pipeline *p, const struct ps_file *f,
                            int resuming, struct chunk_state *cs,
                            struct ps_err *err)
{
    memset(cs, 0, sizeof(*cs));
    if (!resuming)
        return 0;
    int rc = ps_store_checkpoint_get(p->eng->store, f->id, &cs->cp, err);
    if (rc == PS_ENOTFOUND)
        memset(&cs->cp, 0, sizeof(cs->cp));
    else if (rc != 0)
        return rc;
    cs->counted_accepted = cs->cp.accepted;
    cs->counted_rejected = cs->cp.rejected;
    cs->counted_duplicates = cs->cp.duplicates;
    return 0;
}

static int doc_apply(struct ps_pipeline *p, const struct ps_business *b,
                     const struct ps_doc *doc, struct ps_file *f,
                     const char *docname, const struct ps_doc_totals *key,
                     const struct ps_spillseg *seg, int resuming, int *redo,
                     struct ps_err *err)
{
    struct ps_docread d;
    struct ps_record rec;
    struct chunk_state cs;
    struct ps_result r;
    struct ps_applier *ap = NULL;
    struct ps_isoids *ids = NULL; /* for the pain.002 (isoresult.h) */
    struct ps_progress pg;
    char dir[PATH_SIZE], options[128], what[256];
    long in_chunk = 0;
    int rc, in_txn = 0, inserted = resuming, committed = 0;

    memset(&pg, 0, sizeof(pg));
    if ((rc = chunk_state_init(p, f, resuming, &cs, err)) != 0)
        return rc;
    snprintf(dir, sizeof(dir), "%s/work/%s", p->spool, b->name);
    if ((rc = ps_result_open(&r, dir, base_name(f->name), f->doc_index,
                          cs.cp.result_offset, resuming, err)) != 0)
        return rc;
    rc = ps_doc_options(p->cfg->path, b, options, sizeof(options), err);
    if (rc != 0 ||
        (rc = ps_docread_open(&d, seg, doc, f->format, options, err)) != 0) {
        ps_result_close(&r);
        return rc;
    }
    if ((rc = ps_isoids_open(&ids, dir, base_name(f->name), f->doc_index,
                             f->format, err)) != 0 ||
        (rc = ps_applier_open(p->eng, b, &ap, err)) != 0 ||
        (*redo == 0 && (rc = ps_applier_threads(ap, err)) != 0)) {
        ps_applier_close(ap);
        ps_isoids_close(ids);
        ps_docread_stop(&d);
        ps_result_close(&r);
        return rc;
    }
    if (!resuming && *redo == 0)
        ps_doc_payees_give(&p->payees, ap, f, docname);
    if (resuming)
        ps_log(PS_LOG_INFO, "document.resumed", "{s:s, s:s, s:I, s:I}",
               "business", b->name, "document", docname, "record",
               (json_int_t)cs.cp.record_no, "byte_offset",
               (json_int_t)cs.cp.byte_offset);
    /* Pass 1 counted the records: done of total, on a terminal and by
     * time in the log (base/progress.h); resumed, of those still to do. */
    snprintf(what, sizeof(what), "intake %s/%s", b->name, docname);
    ps_progress_begin(&pg, "document.progress", what, "records",
                      (key != NULL ? key->records : f->records) -
                          cs.cp.record_no);
    for (;;) {
        int got = d.fmt->next(d.state, &rec, err);
        if (got < 0) {
            rc = got; /* pass 1 read it all: the file changed under us */
            goto fail;
        }
        if (got == 0)
            break;
        if ((rc = ps_isoids_record(ids, &rec, err)) != 0)
            goto fail;
        if (++cs.record_no <= cs.cp.record_no)
            continue; /* applied before the crash */
        if (!in_txn &&
            (rc = chunk_begin(p, f, key, &in_txn, &inserted, err)) != 0)
            goto fail;
        if ((rc = apply_one(p, ap, b, f, docname, &rec, &cs, &r, err)) != 0)
            goto fail;
        cs.cp.byte_offset = rec.offset;
        p->stats.records++;
        ps_progress_step(&pg, 1);
        if (++in_chunk >= p->cfg->chunk_records) {
            if ((rc = chunk_commit(p, ap, f, &cs, &r, 0, err)) != 0)
                goto fail;
            in_txn = 0;
            committed = 1;
            in_chunk = 0;
            if (p->stop != NULL && *p->stop) {
                rc = ps_err_set(err, PS_EBUSY, "INTERRUPTED",
                                "stopped after a chunk of %s; it resumes "
                                "from record %ld",
                                docname, cs.record_no);
                goto out;
            }
        }
    }
    /* The last (possibly empty) chunk marks the document APPLIED: the
     * pain.002's side file is whole and durable before. */
    if ((rc = ps_isoids_sync(ids, err)) != 0)
        goto fail;
    if (!in_txn && (rc = chunk_begin(p, f, key, &in_txn, &inserted, err)) != 0)
        goto fail;
    if ((rc = chunk_commit(p, ap, f, &cs, &r, 1, err)) != 0)
        goto fail;
    in_txn = 0;
    goto out;
fail:
    if (in_txn) {
        ps_applier_abandon(ap); /* the writer thread first */
        ps_store_rollback(p->eng->store);
    }
    if (ps_applier_failed(ap)) { /* doc_apply_twice() */
        *redo = resuming || committed ? 2 : 1;
        p->stats.records -= in_chunk; /* rolled back, applied again */
    }
out:
    free(cs.held);
    ps_progress_end(&pg);
    ps_docread_stop(&d);
    ps_result_close(&r);
    ps_isoids_close(ids);
    ps_applier_close(ap);
    return rc;
}

/* ---- inputs ---------------------------------------------------------- */

struct known {
    struct ps_file *docs; /* rows of this input, growable */
    int n, cap;
    const char *name; /* this input's claimed name */
    int mine;         /* rows of this very input still in work/ */
    int archived;     /* this name and content sit in archive/ already */
    int applied_elsewhere;
    int oom;
    struct ps_file first_applied;
    struct ps_spill *spill; /* pass 1's records, for pass 2 (docread.h) */
};

static int collect(void *ctx, const struct ps_file *f)
{
    struct known *k = ctx;
    /* This input's rows: same claimed name, and no destination yet, or
     * one recorded but not reached (a crash came between).  A row whose
     * destination exists belongs to an earlier drop of the same name. */
    int same_name = strcmp(f->name, k->name) == 0;
    /* (a failed/ input sealed since is reached too: seal.h) */
    int reached =
        f->archive_path[0] != '\0' && ps_seal_exists(f->archive_path);
    int same_input = same_name && !reached;
    if (same_name && reached && f->status == PS_FILE_APPLIED &&
        strstr(f->archive_path, "/archive/") != NULL)
        k->archived = 1;
    if (same_input) {
        if (k->n == k->cap) {
            int cap = k->cap ? k->cap * 2 : 16;
            struct ps_file *v = realloc(k->docs, (size_t)cap * sizeof(*v));
            if (v == NULL) {
                k->oom = 1;
                return 1;
            }
            k->docs = v;
            k->cap = cap;
        }
        k->docs[k->n++] = *f;
        k->mine = 1;
    } else if (f->status == PS_FILE_APPLIED ||
               f->status == PS_FILE_PROCESSING) {
        if (!k->applied_elsewhere)
            k->first_applied = *f;
        k->applied_elsewhere = 1;
    }
    return 0;
}

/* (Re)load the rows of this input and what else has the same content. */
static int load_known(struct ps_pipeline *p, const struct ps_business *b,
                      const char *sha, struct known *k, struct ps_err *err)
{
    int rc;
    k->n = 0;
    k->mine = 0;
    k->archived = 0;
    k->applied_elsewhere = 0;
    rc = ps_store_files_by_sha(p->eng->store, b->id, sha, collect, k, err);
    if (rc == 0 && k->oom)
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    return rc;
}

static struct ps_file *known_doc(struct known *k, int index)
{
    for (int i = 0; i < k->n; i++)
        if (k->docs[i].doc_index == index)
            return &k->docs[i];
    return NULL;
}

/* Record where the input went on every row of it. */
static int set_destination(struct ps_pipeline *p, struct ps_file *rows, int n,
                           const char *where, struct ps_err *err)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        ps_strlcpy(rows[i].archive_path, where, sizeof(rows[i].archive_path));
        rc = ps_store_file_update(p->eng->store, &rows[i], err);
    }
    return rc;
}

static void new_row(struct ps_file *f, const struct ps_business *b,
                    const char *input, const char *sha, int64_t size, int index)
{
    memset(f, 0, sizeof(*f));
    ps_id_new(f->id);
    ps_strlcpy(f->business_id, b->id, sizeof(f->business_id));
    ps_strlcpy(f->name, input, sizeof(f->name));
    ps_strlcpy(f->sha256, sha, sizeof(f->sha256));
    f->size = size;
    f->doc_index = index;
    ps_time_now(f->received_at);
}

/* What pass 1 decided for a new document. */
struct plan {
    struct ps_file f; /* its row to be */
    struct ps_doc_totals totals;
    struct ps_err why; /* when rejected */
    char docname[PS_PATH_SIZE];
    int reject;
    unsigned kinds; /* enum ps_channel_kinds of its records */
    struct ps_spillseg seg; /* its records as pass 1 read them */
};

/* A whole input refused (duplicate, unsafe wrapper, empty, nothing
 * applicable): its row and result if not done yet, then failed/. */
/*
 * Move an input whose rows are all in the store to failed/: choose the
 * destination, record it on every row, then write its reason and move it.
 * A crash between the steps finds the destination recorded but unused and
 * finishes the same move (ps_spool_quarantine_name's `planned`).  told:
 * this pass has logged why at warn already (document.rejected,
 * file.duplicate), so the move is logged at info: under cron (stderr at
 * warn) a rejected input is one line of mail, not two saying the same.
 */
static int to_failed(struct ps_pipeline *p, const struct ps_business *b,
                     struct known *k, const char *work_path, const char *sha,
                     const struct ps_err *why, int told, char *where,
                     size_t wsize, struct ps_err *err)
{
    const char *planned = NULL;
    int rc;
    if ((rc = load_known(p, b, sha, k, err)) != 0)
        return rc;
    for (int i = 0; i < k->n; i++)
        if (k->docs[i].archive_path[0] != '\0')
            planned = k->docs[i].archive_path;
    if ((rc = ps_spool_quarantine_name(p->spool, b->name, work_path, planned,
                                       where, wsize, err)) != 0 ||
        (rc = set_destination(p, k->docs, k->n, where, err)) != 0)
        return rc;
    ps_crash_point("quarantine-recorded");
    if ((rc = ps_store_check_identity(p->eng->store, err)) != 0 ||
        (rc = ps_spool_quarantine_move(work_path, where, why, err)) != 0)
        return rc;
    p->stats.failed_inputs++;
    ps_log_err(told ? PS_LOG_INFO : PS_LOG_WARN, "file.failed", why,
               "{s:s, s:s, s:s}", "business", b->name, "file",
               base_name(work_path), "to", where);
    return 0;
}

static int input_refused(struct ps_pipeline *p, const struct ps_business *b,
                         struct known *k, const char *work_path,
                         const char *sha, int64_t size, struct ps_err *why,
                         enum ps_file_status status, struct ps_err *err)
{
    const char *input = base_name(work_path);
    char where[PATH_SIZE];
    struct ps_file f, *row = known_doc(k, 0);
    int rc;
    if (row == NULL) {
        new_row(&f, b, input, sha, size, 0);
        ps_strlcpy(f.source, p->provider ? p->provider : "", sizeof(f.source));
        if ((rc = doc_refused(p, b, &f, input, why, status, err)) != 0)
            return rc;
    } else if (row->result_path[0] == '\0' &&
               (rc = ps_result_refused_publish(p->spool, p->eng->store, b, row,
                                               input, why->line, err)) != 0) {
        return rc;
    }
    /* row == NULL: doc_refused has just logged why */
    if ((rc = to_failed(p, b, k, work_path, sha, why, row == NULL, where,
                        sizeof(where), err)) != 0)
        return rc;
    if (status == PS_FILE_DUPLICATE)
        p->stats.duplicate_inputs++;
    return 0;
}

static const struct ps_file *whole_duplicate(const struct known *k)
{
    for (int i = 0; i < k->n; i++)
        if (k->docs[i].status == PS_FILE_DUPLICATE &&
            strstr(k->docs[i].reason, "[DUPLICATE_FILE]") != NULL)
            return &k->docs[i];
    return NULL;
}

/* Pass 1, one walk: check every new document of the input whole (known
 * ones were checked when first taken), filling plan[i] for document i. */
static int check_docs(struct ps_pipeline *p, const struct ps_business *b,
                      struct known *k, const char *work_path, int fd,
                      const char *sha, int64_t size,
                      const struct ps_unwrap_limits *limits,
                      const char *options, struct plan *plan, int ndocs,
                      struct ps_err *err)
{
    const char *input = base_name(work_path);
    struct ps_walk w = {NULL, {0}, -1};
    int rc;
    if ((rc = ps_walk_open(&w, fd, input, limits, err)) != 0)
        goto out;
    for (int i = 0; i < ndocs; i++) {
        struct plan *pl = &plan[i];
        if (known_doc(k, i) != NULL)
            continue;
        if ((rc = ps_walk_to(&w, i, input, err)) != 0)
            goto out;
        new_row(&pl->f, b, input, sha, size, i);
        ps_err_clear(&pl->why);
        rc = ps_doc_check(p->eng, &p->payees, b, &w.doc, &pl->f, pl->docname,
                          sizeof(pl->docname), options, &pl->totals, &pl->kinds,
                          k->spill, &pl->seg, &pl->why, err);
        if (rc < 0)
            goto out;
        pl->reject = rc == 1;
    }
    rc = 0;
out:
    ps_walk_close(&w);
    return rc;
}

static void drop_early(struct known *k, struct plan **plan)
{
    ps_spill_close(k->spill);
    k->spill = NULL;
    free(*plan);
    *plan = NULL;
}

/*
 * Pass 1 beside the hash: a new claim's input (of 8 MiB or more: its copy
 * is hashed on a thread, snapshot.h ps_snapshot_begin()) is checked while
 * the hash is still taken, on the other core.  The plan is kept only when
 * the hash finds no rows of this input (ps_pipeline_input): a duplicate is
 * refused as before, an input with rows is checked again in the usual
 * order, and so is one whose wrapper is refused or whose check fails (the
 * same outcome and logs as before).  1 when plan[*ndocs] is filled (its
 * rows without the hash yet), else 0 with nothing kept.
 */
static int check_early(struct ps_pipeline *p, const struct ps_business *b,
                       struct known *k, const char *work_path,
                       const struct ps_snapshot *snap,
                       const struct ps_unwrap_limits *limits, char *options,
                       size_t osize, struct plan **plan, int *ndocs)
{
    const char *input = base_name(work_path);
    struct ps_err e;
    int n = 0;
    ps_err_clear(&e);
    if (ps_unwrap_verify_fd(snap->fd, input, limits, &n, &e) != 0 || n <= 0 ||
        ps_doc_options(p->cfg->path, b, options, osize, &e) != 0 ||
        (*plan = calloc((size_t)n, sizeof(**plan))) == NULL)
        return 0;
    if (ps_spill_open(&k->spill, work_path, &e) != 0 ||
        check_docs(p, b, k, work_path, snap->fd, "", snap->size, limits,
                   options, *plan, n, &e) != 0) {
        drop_early(k, plan);
        return 0;
    }
    *ndocs = n;
    return 1;
}

/*
 * The source check (channel.h): a new document of a kind its source may
 * not send refuses the whole input (every new document, with the first
 * offender's reason; one rejected already keeps its own), before
 * anything of it is applied.
 */
static void source_check(const struct ps_pipeline *p, struct known *k,
                         struct plan *plan, int ndocs)
{
    struct ps_err why;
    int refused = 0;
    ps_err_clear(&why);
    for (int i = 0; i < ndocs; i++)
        if (known_doc(k, i) == NULL) /* its row says where it came from */
            ps_strlcpy(plan[i].f.source, p->provider ? p->provider : "",
                       sizeof(plan[i].f.source));
    for (int i = 0; i < ndocs && !refused; i++)
        if (known_doc(k, i) == NULL && !plan[i].reject)
            refused = ps_channel_refuse(p->provider, plan[i].kinds,
                                        plan[i].docname, &why);
    for (int i = 0; refused && i < ndocs; i++)
        if (known_doc(k, i) == NULL && !plan[i].reject) {
            plan[i].reject = 1;
            plan[i].why = why;
        }
}

/*
 * Apply document i (w is at it) with the EWA writer thread; if the
 * writer failed (a request id used before, a store error: ewawriter.h),
 * the chunk was rolled back: apply the document again on one thread
 * from its last checkpoint, through a walk of its own (pread from byte
 * 0, intake/walk.h), so the record gets the outcome it gets without the
 * thread.
 */
static int doc_apply_twice(struct ps_pipeline *p, const struct ps_business *b,
                           struct ps_walk *w, int fd, const char *input,
                           const struct ps_unwrap_limits *limits, int i,
                           struct ps_file *f, const char *docname,
                           const struct ps_doc_totals *key,
                           const struct ps_spillseg *seg, int resuming,
                           struct ps_err *err)
{
    struct ps_walk again = {NULL, {0}, -1};
    int redo = 0;
    int rc =
        doc_apply(p, b, &w->doc, f, docname, key, seg, resuming, &redo, err);
    if (redo == 0)
        return rc;
    ps_log(PS_LOG_WARN, "document.redo", "{s:s, s:s, s:s}", "business",
           b->name, "document", docname, "why", err->msg);
    if ((rc = ps_walk_open(&again, fd, input, limits, err)) == 0 &&
        (rc = ps_walk_to(&again, i, input, err)) == 0)
        rc = doc_apply(p, b, &again.doc, f, docname, redo == 2 ? NULL : key,
                       seg, redo == 2, &redo, err);
    if (again.u != NULL)
        ps_walk_close(&again);
    return rc;
}

/*
 * Pass 2, one walk: refuse, apply or finish each document of the input in
 * order (a resumed input skips what its rows say is done).  *applied
 * counts the documents applied; *first_reject (when its code is 0) gets
 * the first refusal, for an input of which nothing could be applied.
 */
static int apply_docs(struct ps_pipeline *p, const struct ps_business *b,
                      struct known *k, const char *work_path, int fd,
                      const struct ps_unwrap_limits *limits,
                      struct plan *plan, int ndocs,
                      struct ps_err *first_reject, int *applied,
                      struct ps_err *err)
{
    const char *input = base_name(work_path);
    struct ps_walk w = {NULL, {0}, -1};
    struct ps_err why;
    int rc;
    if ((rc = ps_walk_open(&w, fd, input, limits, err)) != 0)
        goto out;
    for (int i = 0; i < ndocs; i++) {
        struct plan *pl = &plan[i];
        struct ps_file *f = known_doc(k, i);
        char docname[PATH_SIZE];
        if (f != NULL) {
            ps_strlcpy(docname, input, sizeof(docname));
            if (f->member[0] != '\0')
                snprintf(docname, sizeof(docname), "%s!/%s", input, f->member);
        } else {
            ps_strlcpy(docname, pl->docname, sizeof(docname));
        }
        if (f == NULL && pl->reject) {
            if (first_reject->code == 0)
                *first_reject = pl->why;
            if ((rc = ps_isoresult_refused(p->spool, b, &pl->f, fd, input,
                                           limits, i, &pl->why, err)) != 0 ||
                (rc = doc_refused(p, b, &pl->f, docname, &pl->why,
                                  PS_FILE_REJECTED, err)) != 0)
                goto out;
            continue;
        }
        if (f != NULL &&
            (f->status == PS_FILE_REJECTED || f->status == PS_FILE_DUPLICATE)) {
            /* Refused before a crash: finish its result if need be. */
            if (f->result_path[0] == '\0' &&
                (rc = ps_result_refused_publish(p->spool, p->eng->store, b, f,
                                                docname, 0, err)) != 0)
                goto out;
            if (first_reject->code == 0) {
                ps_err_set(first_reject, PS_EINVAL, "DOCUMENT_REJECTED", "%s",
                           f->reason);
                ps_err_at(first_reject, input, 0, -1);
            }
            continue;
        }
        if ((f == NULL || f->status == PS_FILE_PROCESSING) &&
            (rc = ps_walk_to(&w, i, input, err)) != 0)
            goto out;
        if (f == NULL) {
            f = &pl->f;
            rc = doc_apply_twice(p, b, &w, fd, input, limits, i, f, docname,
                                 &pl->totals, &pl->seg, 0, err);
            if (rc == PS_ECONFLICT &&
                err->id == PS_CODE_DUPLICATE_FILE_KEY) {
                /* The format's own key was seen: this document is a
                 * duplicate even though its bytes differ. */
                struct ps_file dupf = *f;
                why = *err;
                why.code = PS_EINVAL;
                ps_err_at(&why, docname, 0, -1);
                ps_id_new(dupf.id);
                char wdir[PATH_SIZE]; /* no pain.002: drop its side file */
                snprintf(wdir, sizeof(wdir), "%s/work/%s", p->spool, b->name);
                ps_isoids_remove(wdir, input, i);
                if ((rc = doc_refused(p, b, &dupf, docname, &why,
                                      PS_FILE_DUPLICATE, err)) != 0)
                    goto out;
                if (first_reject->code == 0)
                    *first_reject = why;
                p->stats.duplicate_inputs++;
                continue;
            }
        } else if (f->status == PS_FILE_PROCESSING) {
            rc = doc_apply_twice(p, b, &w, fd, input, limits, i, f, docname,
                                 NULL, NULL, 1, err);
        } else {
            rc = 0; /* APPLIED before the crash */
        }
        if (rc != 0)
            goto out;
        if (f->result_path[0] == '\0') {
            char tmp[PATH_SIZE];
            snprintf(tmp, sizeof(tmp), "%s/work/%s/.%s.%d.result", p->spool,
                     b->name, input, i);
            /* The database that holds the rows must still be there
             * before the world is told they are (issue 18). */
            if ((rc = ps_store_check_identity(p->eng->store, err)) != 0 ||
                (rc = ps_isoresult_publish(p->eng, p->spool, b, f, fd, input,
                                           limits, i, err)) != 0 ||
                (rc = ps_result_publish(p->spool, b, f, docname, tmp,
                                        err)) != 0)
                goto out;
            ps_crash_point("result-published");
            if ((rc = ps_store_file_update(p->eng->store, f, err)) != 0)
                goto out;
            p->stats.documents++;
            ps_log(PS_LOG_INFO, "document.applied",
                   "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s}",
                   "business", b->name, "document", docname, "format", f->format, "records",
                   (json_int_t)f->records, "accepted", (json_int_t)f->accepted,
                   "rejected", (json_int_t)f->rejected, "duplicates",
                   (json_int_t)f->duplicates, "result", f->result_path,
                   "options_used", f->options_used); /* NACHA warnings too */
        }
        (*applied)++;
    }
    rc = 0;
out:
    ps_walk_close(&w);
    return rc;
}

/* ---- an input that changed after its claim (issue 18) --------------- */

/* The claimed file changed after the pass copied it: keep it in failed/
 * and put the copy in its place (ps_snapshot_keep_changed()). */
static int keep_changed(struct ps_pipeline *p, const struct ps_business *b,
                        const char *work_path, struct ps_snapshot *snap,
                        struct ps_err *err)
{
    char target[PATH_SIZE];
    int rc = ps_snapshot_keep_changed(p->spool, b->name, work_path, snap,
                                      target, sizeof(target), err);
    if (rc == 0)
        p->stats.failed_inputs++;
    return rc;
}

/*
 * An input resumed whose bytes no longer hash to the rows of its claim.
 * Grown only (its first `size` bytes are the input recorded): the copy is
 * cut to them and the pass goes on, 1.  Rewritten: what is left of it
 * cannot be applied; each of its documents is finished with what was
 * committed (a PROCESSING one becomes APPLIED with the reason, and its
 * result says where it stopped), then the file goes to failed/ with
 * FILE_CHANGED_AFTER_CLAIM, 0.  No rows of the claim: 1 (a new input).
 */
static int changed_since_claim(struct ps_pipeline *p,
                               const struct ps_business *b, struct known *k,
                               const char *work_path, struct ps_snapshot *snap,
                               struct ps_err *err)
{
    char where[PATH_SIZE], docname[PATH_SIZE], dir[PATH_SIZE];
    struct ps_err why;
    int rc;
    k->n = 0;
    k->mine = 0;
    k->applied_elsewhere = 0;
    if ((rc = ps_store_files_by_name(p->eng->store, b->id, k->name,
                                     collect, k, err)) != 0)
        return rc;
    if (k->oom)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if (k->n == 0)
        return 1;
    struct ps_file first = k->docs[0];
    if ((rc = ps_snapshot_prefix(snap, first.size, first.sha256, err)) != 0)
        return rc < 0 ? rc : 1; /* appended to: the rest is never seen */
    ps_err_clear(&why);
    ps_err_set(&why, PS_EINVAL, "FILE_CHANGED_AFTER_CLAIM",
               "the file was rewritten in work/ after it was claimed (its "
               "first %lld bytes no longer hash to %.16s...); the records "
               "not yet applied never will be; resend them in a new file",
               (long long)first.size, first.sha256);
    ps_err_at(&why, k->name, 0, -1);
    snprintf(dir, sizeof(dir), "%s/work/%s", p->spool, b->name);
    for (int i = 0; i < k->n; i++) {
        struct ps_file *f = &k->docs[i];
        snprintf(docname, sizeof(docname), "%s%s%s", k->name,
                 f->member[0] != '\0' ? "!/" : "", f->member);
        if (f->result_path[0] != '\0')
            continue;
        if (f->status == PS_FILE_REJECTED || f->status == PS_FILE_DUPLICATE)
            rc = ps_result_refused_publish(p->spool, p->eng->store, b, f,
                                           docname, 0, err);
        else
        {
            /* No pain.002 for it (as before): drop its side file. */
            ps_isoids_remove(dir, base_name(f->name), f->doc_index);
            rc = ps_result_finish_changed(p->eng->store, p->spool, dir, b, f,
                                          docname, &why, err);
        }
        if (rc != 0)
            return rc;
        p->stats.documents++;
    }
    rc = to_failed(p, b, k, work_path, first.sha256, &why, 0, where,
                   sizeof(where), err);
    return rc;
}

/* Long (about 145 lines): the crash-safety steps of the top of this file
 * in their order (hash, known rows, duplicates, wrapper check, the two
 * walks, archive, release), one exit path freeing what they share. */
int ps_pipeline_input(struct ps_pipeline *p, const struct ps_business *b,
                      const char *work_path, struct ps_err *err)
{
    const char *input = base_name(work_path);
    char sha[PS_SHA256_HEX], where[PATH_SIZE], date[PS_DATE_SIZE];
    char options[128];
    struct known *k = NULL;
    struct ps_err why, first_reject;
    struct ps_unwrap_limits limits = p->cfg->limits;
    struct ps_snapshot snap;
    struct plan *plan = NULL;
    struct ps_spool_sealing *sealing = NULL;
    int64_t size = 0;
    int ndocs = 0, rc, applied = 0, started = 0, early = 0;

    p->stats.inputs++;
    ps_err_clear(&why);
    ps_err_clear(&first_reject);
    /* Everything below reads this private copy: what is applied is what
     * was hashed and checked (snapshot.h). */
    if ((rc = ps_snapshot_begin(work_path, &snap, err)) != 0)
        return rc;
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        ps_snapshot_close(&snap);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    k->name = input;
    if (!p->resuming && snap.hashing != NULL)
        early = check_early(p, b, k, work_path, &snap, &limits, options,
                            sizeof(options), &plan, &ndocs);
    if ((rc = ps_snapshot_hashed(&snap, err)) != 0)
        goto out;
    ps_strlcpy(sha, snap.sha256, sizeof(sha));
    size = snap.size;
    if ((rc = load_known(p, b, sha, k, err)) != 0)
        goto out;
    if (early && k->n > 0) {
        drop_early(k, &plan); /* rows of this input: the usual order */
        early = 0;
    }
    if (p->resuming && !k->mine && !k->archived) {
        /* Rows of this claim under another hash: the file changed in
         * work/ between two passes. */
        rc = changed_since_claim(p, b, k, work_path, &snap, err);
        if (rc != 1)
            goto out; /* refused whole (0), or an engine error */
        ps_strlcpy(sha, snap.sha256, sizeof(sha));
        size = snap.size;
        if ((rc = load_known(p, b, sha, k, err)) != 0)
            goto out;
    }
    ps_log(PS_LOG_INFO, k->mine ? "file.resumed" : "file.claimed",
           "{s:s, s:s, s:s, s:I}", "business", b->name, "file", input, "sha256",
           sha, "bytes", (json_int_t)size);

    if (p->resuming && !k->mine && k->archived) {
        /* Left in work/ by a crash after it was archived and recorded:
         * only the work copy remains to let go of. */
        ps_log(PS_LOG_INFO, "file.released", "{s:s, s:s}", "business", b->name,
               "file", input);
        rc = ps_spool_release(work_path, err);
        goto out;
    }
    const struct ps_file *dup = whole_duplicate(k);
    if (dup != NULL || (!k->mine && k->applied_elsewhere)) {
        /* The same content was applied before: a DUPLICATE, whole. */
        if (dup != NULL) {
            ps_err_set(&why, PS_EINVAL, "DUPLICATE_FILE", "%s", dup->reason);
        } else {
            ps_err_set(&why, PS_EINVAL, "DUPLICATE_FILE",
                       "same content (sha256 %.16s...) as %s, received %s; "
                       "nothing applied",
                       sha, k->first_applied.name,
                       k->first_applied.received_at);
            ps_err_at(&why, input, 0, -1);
        }
        rc = input_refused(p, b, k, work_path, sha, size, &why,
                           PS_FILE_DUPLICATE, err);
        goto out;
    }
    for (int i = 0; i < k->n; i++)
        if (k->docs[i].status == PS_FILE_APPLIED ||
            k->docs[i].status == PS_FILE_PROCESSING)
            started = 1;
    if (k->mine) {
        /* It passed the wrapper limits when it was first taken; a lower
         * limit since (a reload) must not strand half-applied work. */
        limits.max_depth = 32;
        limits.max_members = LONG_MAX / 2;
        limits.max_bytes = INT64_MAX / 2;
        limits.max_ratio = INT64_MAX / 2;
    }
    rc = early ? 0 : ps_unwrap_verify_fd(snap.fd, input, &limits, &ndocs, &why);
    if (rc == 0 && ndocs == 0) {
        rc = PS_EINVAL;
        ps_err_set(&why, PS_EINVAL, "EMPTY_INPUT",
                   "the input holds no documents");
        ps_err_at(&why, input, 0, -1);
    }
    if (rc != 0) {
        if (rc != PS_EINVAL || started) {
            /* An engine problem, or an input that changed under work
             * already applied: stop and say so; it stays in work/. */
            *err = why;
            goto out;
        }
        /* Unsafe, broken or empty wrapper: the whole input is refused. */
        rc = input_refused(p, b, k, work_path, sha, size, &why,
                           PS_FILE_REJECTED, err);
        goto out;
    }

    /* Pass 1, one walk: check every new document whole (done beside the
     * hash already: the rows get the hash). */
    for (int i = 0; early && i < ndocs; i++)
        ps_strlcpy(plan[i].f.sha256, sha, sizeof(plan[i].f.sha256));
    if (!early && (rc = ps_doc_options(p->cfg->path, b, options,
                                       sizeof(options), err)) != 0)
        goto out;
    if (!early && (plan = calloc((size_t)ndocs, sizeof(*plan))) == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    if (!early && ((rc = ps_spill_open(&k->spill, work_path, err)) != 0 ||
                   (rc = check_docs(p, b, k, work_path, snap.fd, sha, size,
                                    &limits, options, plan, ndocs, err)) != 0))
        goto out;
    source_check(p, k, plan, ndocs);
    /* A new input's archive copy, from the snapshot, on a second core
     * while it is applied (thrown away if nothing is applied, or if the
     * day it was received, its folder, is not the archive step's). */
    struct ps_err ignored;
    char day[PS_DATE_SIZE] = "";
    if (!p->resuming && !k->mine && size >= SEAL_ASIDE_MIN &&
        strlen(plan[0].f.received_at) >= 10) {
        memcpy(day, plan[0].f.received_at, 10);
        if (ps_spool_archive_begin(p->eng->keys, p->spool, b->name, work_path,
                                   snap.fd, size, sha, day, &sealing,
                                   &ignored) != 0)
            sealing = NULL;
    }
    if ((rc = apply_docs(p, b, k, work_path, snap.fd, &limits, plan, ndocs,
                         &first_reject, &applied, err)) != 0)
        goto out;

    if (applied == 0) {
        /* Nothing in it could be applied: the input goes to failed/.  A
         * refusal of this pass was logged (apply_docs); one from before
         * a crash (DOCUMENT_REJECTED) or none at all was not. */
        int told = first_reject.code != 0 &&
                   first_reject.id != PS_CODE_DOCUMENT_REJECTED;
        if (first_reject.code == 0)
            ps_err_set(&first_reject, PS_EINVAL, "NOTHING_APPLIED",
                       "no document of the input could be applied");
        rc = to_failed(p, b, k, work_path, sha, &first_reject, told, where,
                       sizeof(where), err);
        goto out;
    }
    /* Archive, record where, and only then let go of the work copy: a
     * crash in between finds the archive in place and the rows pointing
     * at it. */
    if ((rc = ps_store_check_identity(p->eng->store, err)) != 0 ||
        (ps_snapshot_orig_changed(&snap) &&
         (rc = keep_changed(p, b, work_path, &snap, err)) != 0))
        goto out;
    if (strcmp(ps_date_today(date), day) != 0) {
        ps_spool_archive_end(sealing, NULL, 0, NULL); /* (NULL: none) */
        sealing = NULL;
    }
    rc = sealing != NULL
             ? ps_spool_archive_end(sealing, where, sizeof(where), err)
             : ps_spool_archive(p->eng->keys, p->spool, b->name, work_path,
                                sha, date, where, sizeof(where), err);
    sealing = NULL; /* ended */
    if (rc != 0)
        goto out;
    ps_crash_point("archived");
    if ((rc = load_known(p, b, sha, k, err)) != 0 ||
        (rc = set_destination(p, k->docs, k->n, where, err)) != 0)
        goto out;
    ps_crash_point("destination");
    if ((rc = ps_spool_release(work_path, err)) != 0)
        goto out;
    ps_log(PS_LOG_INFO, "file.archived", "{s:s, s:s, s:s}", "business", b->name,
           "file", input, "to", where);
out:
    ps_paybook_free(ps_paybook_prefetch_take(p->payees, 0));
    p->payees = NULL;
    ps_spool_archive_end(sealing, NULL, 0, NULL);
    ps_spill_close(k != NULL ? k->spill : NULL);
    ps_snapshot_close(&snap);
    free(plan);
    if (k != NULL)
        free(k->docs);
    free(k);
    return rc;
}
