/*
 * check.c -- validate a file without applying anything (see check.h).
 *
 * The same reading path as intake: ps_unwrap for wrappers, docread for
 * detection and the format's options, the format's next() for every
 * record and finish() for the whole-document rules.  Formats that go on
 * past the first problem (NACHA) give their full list through the
 * problems() hook; for the others, each record read with an error and the
 * finish() failure are the problems.
 */
#include "intake/check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/id.h"
#include "base/output.h"
#include "engine/apply.h"
#include "formats/format.h"
#include "intake/docread.h"
#include "store/store.h"

#define DEFAULT_MAX 1000

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

static json_t *problem_json(const struct ps_err *e, char record_type,
                            const char *return_code, int severity)
{
    char rt[2] = {record_type, '\0'};
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "line",
                        e->line > 0 ? json_integer(e->line) : json_null());
    json_object_set_new(o, "offset",
                        e->offset >= 0 ? json_integer(e->offset) : json_null());
    json_object_set_new(o, "recordType",
                        record_type != 0 ? json_string(rt) : json_null());
    json_object_set_new(
        o, "field", e->field[0] != '\0' ? json_string(e->field) : json_null());
    json_object_set_new(o, "rule", json_string(e->rule[0] ? e->rule : "ERROR"));
    json_object_set_new(o, "returnCode",
                        return_code != NULL && return_code[0] != '\0'
                            ? json_string(return_code)
                            : json_null());
    json_object_set_new(o, "severity", json_string(severity == PS_DOC_WARNING
                                                       ? "WARNING"
                                                       : "ERROR"));
    json_object_set_new(o, "message", json_string(e->msg));
    return o;
}

struct doc_check {
    json_t *problems;
    long total;    /* problems of severity ERROR: the verdict */
    long warnings; /* of severity WARNING: listed, the document valid */
    size_t max;
};

/* Every key of a document object, before it is known (one shape for
 * every document, read or not). */
static void doc_defaults(json_t *d)
{
    json_object_set_new(d, "format", json_null());
    json_object_set_new(d, "records", json_integer(0));
    json_object_set_new(d, "amount", json_integer(0));
    json_object_set_new(d, "currency", json_null());
    json_object_set_new(d, "key", json_null());
    json_object_set_new(d, "optionsUsed", json_null());
    json_object_set_new(d, "problemsTotal", json_integer(0));
    json_object_set_new(d, "warningsTotal", json_integer(0));
    json_object_set_new(d, "valid", json_false());
}

static void add_problem(struct doc_check *dc, const struct ps_err *e,
                        char record_type, const char *return_code,
                        int severity)
{
    if (severity == PS_DOC_WARNING)
        dc->warnings++;
    else
        dc->total++;
    if (json_array_size(dc->problems) < dc->max)
        json_array_append_new(
            dc->problems, problem_json(e, record_type, return_code, severity));
}

/* ---- the business's rules, rolled back ------------------------------ */

/*
 * One document's records through the engine, as the pipeline applies
 * them (the record's idempotency key, then its applier), inside one store
 * transaction that rules_end() always rolls back: the engine's own
 * refusals become problems, nothing stays.
 */
struct rules {
    struct ps_engine *eng; /* NULL: no business rules */
    const struct ps_business *b;
    struct ps_applier *ap;
    json_t *problems; /* the engine's refusals, in line order */
    long errors, warnings;
    long record_no;
    char file_id[PS_ID_SIZE]; /* a file id of no file, for the keys */
    int in_txn;
};

/*
 * Open the transaction, with a file row of status RECEIVED for the keys
 * to name (as intake's first chunk inserts its document's row): gone
 * with the rollback like everything else.
 */
static int rules_begin(struct rules *ru, const struct ps_check_opts *o,
                       const char *docname, struct ps_err *err)
{
    struct ps_file *f;
    int rc;
    memset(ru, 0, sizeof(*ru));
    if (o->eng == NULL || o->business == NULL)
        return 0;
    ru->eng = o->eng;
    ru->b = o->business;
    ps_id_new(ru->file_id);
    if ((ru->problems = json_array()) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    if ((rc = ps_store_begin(ru->eng->store, err)) != 0)
        return rc;
    ru->in_txn = 1;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_strlcpy(f->id, ru->file_id, sizeof(f->id));
    ps_strlcpy(f->business_id, ru->b->id, sizeof(f->business_id));
    ps_strlcpy(f->name, docname, sizeof(f->name));
    memset(f->sha256, '0', 64); /* no content: never matches one */
    f->status = PS_FILE_RECEIVED;
    ps_time_now(f->received_at);
    rc = ps_store_file_insert(ru->eng->store, f, err);
    free(f);
    if (rc != 0)
        return rc;
    return ps_applier_open(ru->eng, ru->b, &ru->ap, err);
}

/* Undo everything the document's records did; free what rules holds. */
static void rules_end(struct rules *ru)
{
    if (ru->in_txn) {
        ps_store_rollback(ru->eng->store);
        ps_applier_abandon(ru->ap);
        ru->in_txn = 0;
    }
    ps_applier_close(ru->ap);
    ru->ap = NULL;
    json_decref(ru->problems);
    ru->problems = NULL;
}

/* The record's outcome as a problem: "field NAME: TEXT" (the result
 * file's message) gives the field. */
static void rules_problem(struct rules *ru, const struct ps_record *rec,
                          const struct ps_apply_result *res)
{
    struct ps_err e;
    const char *msg = res->message, *colon;
    int sev = res->outcome == PS_DUPLICATE ? PS_DOC_WARNING : PS_DOC_ERROR;
    ps_err_clear(&e);
    e.code = PS_EINVAL;
    ps_strlcpy(e.rule, res->code, sizeof(e.rule));
    if (strncmp(msg, "field ", 6) == 0 && (colon = strstr(msg, ": ")) != NULL &&
        (size_t)(colon - msg - 6) < sizeof(e.field)) {
        memcpy(e.field, msg + 6, (size_t)(colon - msg - 6));
        e.field[colon - msg - 6] = '\0';
        msg = colon + 2;
    }
    ps_strlcpy(e.msg, msg, sizeof(e.msg));
    e.line = rec->line;
    e.offset = rec->offset;
    if (sev == PS_DOC_WARNING)
        ru->warnings++;
    else
        ru->errors++;
    json_array_append_new(ru->problems, problem_json(&e, 0, NULL, sev));
}

/* Apply one record read without error; a refusal is a problem.  Only the
 * engine failing (store, memory) is an error. */
static int rules_record(struct rules *ru, const struct ps_record *rec,
                        const char *docname, struct ps_err *err)
{
    struct ps_apply_result res;
    struct ps_source src = {NULL, docname, rec->line};
    int rc;
    ru->record_no++;
    if (!ru->in_txn || rec->err.code != 0)
        return 0;
    memset(&res, 0, sizeof(res));
    if (rec->key != NULL) {
        rc = ps_store_record_key_insert(ru->eng->store, ru->b->id, rec->key,
                                        ru->file_id, ru->record_no, err);
        if (rc == PS_ECONFLICT) {
            res.outcome = PS_DUPLICATE;
            ps_strlcpy(res.code, "DUPLICATE_RECORD", sizeof(res.code));
            snprintf(res.message, sizeof(res.message),
                     "record %s was applied before", rec->key);
            rules_problem(ru, rec, &res);
            return 0;
        }
        if (rc != 0)
            return rc;
    }
    if ((rc = ps_applier_record(ru->ap, rec, &src, &res, err)) != 0)
        return rc;
    if (res.outcome != PS_ACCEPTED)
        rules_problem(ru, rec, &res);
    return 0;
}

/*
 * The format's duplicate key of the whole document (NACHA's header
 * tuple), claimed as intake claims it: seen before in the business, the
 * document would be refused whole as a DUPLICATE (DUPLICATE_FILE_KEY, an
 * ERROR of the document).  0 when new, 1 when a duplicate, or the
 * engine's error.
 */
static int rules_file_key(struct rules *ru, const struct ps_doc_totals *t,
                          struct doc_check *dc, struct ps_err *err)
{
    char prior[PS_ID_SIZE] = "";
    struct ps_err e;
    int rc;
    if (t->key_kind[0] == '\0')
        return 0;
    rc = ps_store_file_key_insert(ru->eng->store, ru->b->id, t->key_kind,
                                  t->key, ru->file_id, prior, err);
    if (rc != PS_ECONFLICT)
        return rc;
    ps_err_clear(&e);
    ps_err_set(&e, PS_ECONFLICT, "DUPLICATE_FILE_KEY",
               "%s %s was already received (file %s): intake refuses the "
               "document whole, a DUPLICATE",
               t->key_kind, t->key, prior);
    add_problem(dc, &e, 0, NULL, PS_DOC_ERROR);
    return 1;
}

static json_int_t line_of(json_t *p)
{
    return json_integer_value(json_object_get(p, "line")); /* null: 0 */
}

/* The engine's problems into the document's, in line order, up to max. */
static void rules_merge(struct rules *ru, struct doc_check *dc, json_t *d)
{
    json_t *merged = json_array(), *a = dc->problems, *b = ru->problems;
    size_t i = 0, j = 0;
    if (merged == NULL)
        return;
    while ((i < json_array_size(a) || j < json_array_size(b)) &&
           json_array_size(merged) < dc->max) {
        if (j >= json_array_size(b) ||
            (i < json_array_size(a) &&
             line_of(json_array_get(a, i)) <= line_of(json_array_get(b, j))))
            json_array_append(merged, json_array_get(a, i++));
        else
            json_array_append(merged, json_array_get(b, j++));
    }
    dc->total += ru->errors;
    dc->warnings += ru->warnings;
    dc->problems = merged;
    json_object_set_new(d, "problems", merged); /* drops the old array */
}

/*
 * The list of a format that goes on past the first problem (its
 * problems() hook), complete: the finish() error (rc < 0, in e) is its
 * first entry again.  0, or PS_ENOMEM.
 */
static int format_problems(struct ps_docread *rd, struct doc_check *dc,
                           int rc, const struct ps_err *e, struct ps_err *err)
{
    long total = 0;
    size_t want;
    rd->fmt->problems(rd->state, NULL, 0, &total);
    want = total < (long)dc->max ? (size_t)total : dc->max;
    if (want > 0) {
        struct ps_doc_problem *all = malloc(sizeof(*all) * want);
        if (all == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        size_t got = rd->fmt->problems(rd->state, all, want, &total);
        for (size_t k = 0; k < got; k++)
            add_problem(dc, &all[k].err, all[k].record_type,
                        all[k].return_code, all[k].severity);
        free(all);
    }
    /* Beyond the list: errors when the format refused the document. */
    if (total > dc->total + dc->warnings) {
        if (rc < 0)
            dc->total = total - dc->warnings;
        else
            dc->warnings = total - dc->total;
    }
    if (rc < 0 && dc->total == 0)
        add_problem(dc, e, 0, NULL, PS_DOC_ERROR);
    return 0;
}

/* Read one document through; fill its object. */
static int check_doc(const struct ps_doc *doc, const struct ps_check_opts *o,
                     json_t *d, struct ps_err *err)
{
    struct ps_docread rd;
    struct ps_record rec;
    struct ps_doc_totals totals;
    struct ps_err e;
    struct doc_check dc = {json_array(), 0, 0,
                           o->max_problems ? o->max_problems : DEFAULT_MAX};
    struct rules ru;
    long records = 0;
    int rc;

    if (dc.problems == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    json_object_set_new(d, "problems", dc.problems);
    memset(&totals, 0, sizeof(totals));
    ps_err_clear(&e);
    rc = ps_docread_start(&rd, doc, o->format, o->options, &e);
    if (rc == PS_EINVAL || rc == PS_ECONFIG) {
        /* Not recognized, or options it refuses: the document's problem. */
        json_object_set_new(d, "format", json_null());
        add_problem(&dc, &e, 0, NULL, PS_DOC_ERROR);
        goto done;
    }
    if (rc != 0) {
        *err = e;
        return rc;
    }
    json_object_set_new(d, "format", json_string(rd.fmt->name));
    if ((rc = rules_begin(&ru, o, doc->name, err)) != 0) {
        rules_end(&ru);
        ps_docread_stop(&rd);
        return rc;
    }
    if (rd.fmt->validate != NULL && ru.eng == NULL) {
        /* The format checks faster than it reads records. */
        rc = rd.fmt->validate(rd.state, &totals, &e);
        records = totals.records;
    } else {
        while ((rc = rd.fmt->next(rd.state, &rec, &e)) > 0) {
            records++;
            if (rules_record(&ru, &rec, doc->name, err) != 0) {
                rules_end(&ru);
                ps_docread_stop(&rd);
                return err->code;
            }
            if (rec.err.code != 0 && rd.fmt->problems == NULL) {
                struct ps_err re = rec.err;
                if (re.line == 0)
                    re.line = rec.line;
                if (re.offset < 0)
                    re.offset = rec.offset;
                add_problem(&dc, &re, 0, NULL, PS_DOC_ERROR);
            }
        }
        if (rc == 0)
            rc = rd.fmt->finish(rd.state, &totals, &e);
    }
    if (rd.fmt->problems != NULL) {
        if (format_problems(&rd, &dc, rc, &e, err) != 0) {
            rules_end(&ru);
            ps_docread_stop(&rd);
            return err->code;
        }
    } else if (rc < 0) {
        /* A failed control total, or reading itself failed (I/O, a
         * wrapper limit): either way the document's verdict. */
        add_problem(&dc, &e, 0, NULL, PS_DOC_ERROR);
    }
    if (ru.eng != NULL && rc >= 0 &&
        (rc = rules_file_key(&ru, &totals, &dc, err)) < 0) {
        rules_end(&ru);
        ps_docread_stop(&rd);
        return rc;
    }
    if (ru.eng != NULL && rc == 0) {
        /* Not refused whole: its records would meet the engine. */
        rules_merge(&ru, &dc, d);
        json_object_set_new(d, "businessChecked", json_true());
    } else if (ru.eng != NULL)
        json_object_set_new(d, "businessChecked", json_false());
    rules_end(&ru);
    ps_docread_stop(&rd);
    json_object_set_new(d, "records", json_integer(records));
    json_object_set_new(d, "amount", json_integer(totals.amount));
    json_object_set_new(d, "currency",
                        totals.currency[0] ? json_string(totals.currency)
                                           : json_null());
    json_object_set_new(d, "key",
                        totals.key[0] ? json_string(totals.key) : json_null());
    json_object_set_new(d, "optionsUsed",
                        totals.options_used[0]
                            ? json_string(totals.options_used)
                            : json_null());
done:
    json_object_set_new(d, "problemsTotal", json_integer(dc.total));
    json_object_set_new(d, "warningsTotal", json_integer(dc.warnings));
    json_object_set_new(d, "valid", json_boolean(dc.total == 0));
    return 0;
}

/* The input's own earlier copy: an APPLIED (or PROCESSING) document of
 * the business with the same content. */
static int applied_copy(void *ctx, const struct ps_file *f)
{
    struct ps_file *out = ctx;
    if (out->id[0] == '\0' &&
        (f->status == PS_FILE_APPLIED || f->status == PS_FILE_PROCESSING))
        *out = *f;
    return 0;
}

/*
 * With the business's rules: was this very content applied before?
 * Intake refuses such an input whole (DUPLICATE_FILE) and applies
 * nothing.  1 with *why set when it was, 0 when not, or an error.
 */
static int input_duplicate(const char *path, const struct ps_check_opts *o,
                           struct ps_err *why, struct ps_err *err)
{
    char sha[PS_SHA256_HEX];
    struct ps_file first;
    int fd, rc;
    if (o->eng == NULL || o->business == NULL)
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0; /* the reading below says why, as without --business */
    rc = ps_sha256_fd(fd, sha, NULL, err);
    close(fd);
    if (rc != 0)
        return rc;
    memset(&first, 0, sizeof(first));
    if ((rc = ps_store_files_by_sha(o->eng->store, o->business->id, sha,
                                    applied_copy, &first, err)) != 0)
        return rc;
    if (first.id[0] == '\0')
        return 0;
    ps_err_clear(why);
    ps_err_set(why, PS_EINVAL, "DUPLICATE_FILE",
               "same content (sha256 %.16s...) as %s, received %s (file %s): "
               "intake applies nothing of it",
               sha, first.name, first.received_at, first.id);
    return 1;
}

/* The input is a duplicate: its document's one problem, the verdict. */
static void doc_duplicate(json_t *d, const struct ps_err *why)
{
    json_t *p = json_object_get(d, "problems");
    json_array_insert_new(p, 0, problem_json(why, 0, NULL, PS_DOC_ERROR));
    json_object_set_new(
        d, "problemsTotal",
        json_integer(json_integer_value(json_object_get(d, "problemsTotal")) +
                     1));
    json_object_set_new(d, "valid", json_false());
    json_object_set_new(d, "businessChecked", json_false());
}

int ps_check_file(const char *path, const struct ps_check_opts *opts,
                  json_t **report, struct ps_err *err)
{
    struct ps_check_opts o = *opts;
    struct ps_err dupwhy;
    struct ps_unwrap *u = NULL;
    struct ps_doc doc;
    json_t *r = json_object(), *docs = json_array();
    int rc, valid = 1, n = 0;

    if (r == NULL || docs == NULL) {
        json_decref(r);
        json_decref(docs);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    json_object_set_new(r, "file", json_string(path));
    json_object_set_new(r, "documents", docs);
    if ((rc = input_duplicate(path, opts, &dupwhy, err)) < 0)
        goto fail;
    if (rc == 1)
        o.eng = NULL; /* nothing of it would meet the engine */
    if ((rc = ps_unwrap_open(path, basename_of(path), &opts->limits, &u,
                             err)) != 0)
        goto fail;
    for (;;) {
        struct ps_err e;
        ps_err_clear(&e);
        rc = ps_unwrap_next(u, &doc, &e);
        if (rc == 0)
            break;
        json_t *d = json_object();
        if (d == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            goto fail;
        }
        json_array_append_new(docs, d);
        if (rc < 0) {
            /* A broken or unsafe wrapper: the input's problem, and the
             * end of what can be read. */
            json_t *p = json_array();
            json_object_set_new(d, "document", json_string(basename_of(path)));
            doc_defaults(d);
            json_array_append_new(p, problem_json(&e, 0, NULL, PS_DOC_ERROR));
            json_object_set_new(d, "problems", p);
            json_object_set_new(d, "problemsTotal", json_integer(1));
            json_object_set_new(d, "valid", json_false());
            valid = 0;
            break;
        }
        n++;
        json_object_set_new(d, "document", json_string(doc.name));
        doc_defaults(d);
        if ((rc = check_doc(&doc, &o, d, err)) != 0)
            goto fail;
        if (o.eng == NULL && opts->eng != NULL)
            doc_duplicate(d, &dupwhy);
        if (!json_is_true(json_object_get(d, "valid")))
            valid = 0;
    }
    if (n == 0 && json_array_size(docs) == 0) {
        struct ps_err e;
        json_t *d = json_object(), *p = json_array();
        ps_err_set(&e, PS_EINVAL, "EMPTY_INPUT", "%s holds no document to read",
                   basename_of(path));
        json_object_set_new(d, "document", json_string(basename_of(path)));
        doc_defaults(d);
        json_array_append_new(p, problem_json(&e, 0, NULL, PS_DOC_ERROR));
        json_object_set_new(d, "problems", p);
        json_object_set_new(d, "problemsTotal", json_integer(1));
        json_object_set_new(d, "valid", json_false());
        json_array_append_new(docs, d);
        valid = 0;
    }
    ps_unwrap_close(u);
    json_object_set_new(r, "valid", json_boolean(valid));
    *report = r;
    return 0;
fail:
    ps_unwrap_close(u);
    json_decref(r);
    return rc;
}
