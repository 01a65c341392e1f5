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

#include <stdlib.h>
#include <string.h>

#include "intake/docread.h"
#include "formats/format.h"

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
    if (rd.fmt->validate != NULL) {
        /* The format checks faster than it reads records. */
        rc = rd.fmt->validate(rd.state, &totals, &e);
        records = totals.records;
    } else {
        while ((rc = rd.fmt->next(rd.state, &rec, &e)) > 0) {
            records++;
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
        /* The format's own list is complete (the finish() error is its
         * first entry again). */
        long total = 0;
        size_t want;
        rd.fmt->problems(rd.state, NULL, 0, &total);
        want = total < (long)dc.max ? (size_t)total : dc.max;
        if (want > 0) {
            struct ps_doc_problem *all = malloc(sizeof(*all) * want);
            if (all == NULL) {
                ps_docread_stop(&rd);
                return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            }
            size_t got = rd.fmt->problems(rd.state, all, want, &total);
            for (size_t k = 0; k < got; k++)
                add_problem(&dc, &all[k].err, all[k].record_type,
                            all[k].return_code, all[k].severity);
            free(all);
        }
        /* Beyond the list: errors when the format refused the document. */
        if (total > dc.total + dc.warnings) {
            if (rc < 0)
                dc.total = total - dc.warnings;
            else
                dc.warnings = total - dc.total;
        }
        if (rc < 0 && dc.total == 0)
            add_problem(&dc, &e, 0, NULL, PS_DOC_ERROR);
    } else if (rc < 0) {
        /* A failed control total, or reading itself failed (I/O, a
         * wrapper limit): either way the document's verdict. */
        add_problem(&dc, &e, 0, NULL, PS_DOC_ERROR);
    }
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

int ps_check_file(const char *path, const struct ps_check_opts *opts,
                  json_t **report, struct ps_err *err)
{
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
            json_object_set_new(d, "format", json_null());
            json_array_append_new(p, problem_json(&e, 0, NULL, PS_DOC_ERROR));
            json_object_set_new(d, "problems", p);
            json_object_set_new(d, "problemsTotal", json_integer(1));
            json_object_set_new(d, "valid", json_false());
            valid = 0;
            break;
        }
        n++;
        json_object_set_new(d, "document", json_string(doc.name));
        if ((rc = check_doc(&doc, opts, d, err)) != 0)
            goto fail;
        if (!json_is_true(json_object_get(d, "valid")))
            valid = 0;
    }
    if (n == 0 && json_array_size(docs) == 0) {
        struct ps_err e;
        json_t *d = json_object(), *p = json_array();
        ps_err_set(&e, PS_EINVAL, "EMPTY_INPUT", "%s holds no document to read",
                   basename_of(path));
        json_object_set_new(d, "document", json_string(basename_of(path)));
        json_object_set_new(d, "format", json_null());
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
