/*
 * linxanswer.c -- LinX gateway answers: JSON Lines, one answer per line
 * (the object's keys are in src/engine/linxans.c), read with jansson.
 *
 * Records are of kind "linx.answer", one per non-blank line, with the
 * fields decision and reason (as read, for the log and `payspool check`)
 * and answer: the line itself, which the engine applies whole
 * (ps_linx_answer).  The token is never a field or the reference: it is
 * a secret, and the result file echoes references.  A line that is not a
 * JSON object with a token and a decision is a record rejected as read
 * (rule LINX_ANSWER); the document has no trailer and no totals.
 *
 * Detected by content: the first non-blank line is a JSON object with a
 * "token" and a "decision" string.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format.h"

struct linxanswer {
    struct ps_lines lr;
    long records;
    char decision[16];
    char reason[256];
};

/* 1 when o is a gateway answer: an object with string token and decision. */
static int is_answer(json_t *o)
{
    return json_is_object(o) && json_is_string(json_object_get(o, "token")) &&
           json_is_string(json_object_get(o, "decision"));
}

static int bid(const unsigned char *peek, size_t len, const char *name)
{
    size_t i = 0, end;
    (void)name;
    while (i < len && (peek[i] == ' ' || peek[i] == '\t' || peek[i] == '\r' ||
                       peek[i] == '\n'))
        i++;
    if (i == len || peek[i] != '{')
        return 0;
    for (end = i; end < len && peek[end] != '\n'; end++)
        ;
    if (end == len && len >= PS_FORMAT_PEEK) {
        /* A first line longer than the peek: its keys, as text. */
        const char *p = (const char *)peek + i;
        size_t n = len - i;
        return memmem(p, n, "\"token\"", 7) != NULL &&
                       memmem(p, n, "\"decision\"", 10) != NULL
                   ? 60
                   : 0;
    }
    json_t *o = json_loadb((const char *)peek + i, end - i, 0, NULL);
    int mine = is_answer(o);
    json_decref(o);
    return mine ? 100 : 0;
}

static int open_(struct ps_stream *in, const char *docname, void **state,
                 struct ps_err *err)
{
    struct linxanswer *t = calloc(1, sizeof(*t));
    (void)docname;
    if (t == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    ps_lines_init(&t->lr, in);
    *state = t;
    return 0;
}

static int next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct linxanswer *t = state;
    json_error_t je;
    size_t len;
    int64_t off;
    for (;;) {
        int rc = ps_lines_next(&t->lr, &len, &off, err);
        if (rc <= 0) {
            if (rc < 0)
                ps_err_at(err, NULL, t->lr.line, t->lr.offset);
            return rc;
        }
        if (len > 0 && t->lr.cur[len - 1] == '\r')
            t->lr.cur[--len] = '\0';
        if (strspn(t->lr.cur, " \t") == len)
            continue; /* blank lines are allowed */
        break;
    }
    ps_record_reset(rec);
    rec->line = t->lr.line;
    rec->offset = off;
    rec->kind = "linx.answer";
    t->records++;
    json_t *o = json_loadb(t->lr.cur, len, JSON_REJECT_DUPLICATES, &je);
    if (!is_answer(o)) {
        ps_err_set(&rec->err, PS_EINVAL, "LINX_ANSWER",
                   "not a gateway answer (a JSON object with a token and a "
                   "decision)%s%s",
                   o == NULL ? ": " : "", o == NULL ? je.text : "");
        ps_err_at(&rec->err, NULL, rec->line, off);
        json_decref(o);
        return 1;
    }
    ps_strlcpy(t->decision, json_string_value(json_object_get(o, "decision")),
               sizeof(t->decision));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    ps_strlcpy(t->reason, reason != NULL ? reason : "", sizeof(t->reason));
    json_decref(o);
    ps_record_field(rec, "decision", t->decision);
    if (t->reason[0] != '\0')
        ps_record_field(rec, "reason", t->reason);
    ps_record_field(rec, "answer", t->lr.cur);
    return 1;
}

static int finish(void *state, struct ps_doc_totals *totals, struct ps_err *err)
{
    struct linxanswer *t = state;
    if (t->records == 0)
        return ps_err_set(err, PS_EINVAL, "LINX_ANSWER",
                          "empty gateway answers file");
    totals->records = t->records;
    return 0;
}

static void close_(void *state)
{
    free(state);
}

const struct ps_format ps_format_linxanswer = {
    "linxanswer", "LinX gateway answers (JSON Lines, one token a line)",
    bid,          open_,
    next,         finish,
    close_,       NULL,
    NULL,         NULL,
    NULL,
};
