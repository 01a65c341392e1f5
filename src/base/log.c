/*
 * log.c -- structured logs, one JSON object per line (JSON Lines).
 *
 * A line is built as a jansson object: "ts", "level", "event", then (for
 * ps_log_err) the error's fields, then the caller's json_pack() context.
 * Before it is written every string value, every object key and every
 * number whose printed form holds a Luhn-valid run of 13..19 digits goes
 * through ps_redact_pans(), so a card number cannot reach a log in clear
 * even when a caller passes one by mistake (a number that would print a
 * PAN becomes the redacted string).
 *
 * Each line goes out in a single write(2) on a descriptor opened with
 * O_APPEND, so lines from several processes appending to one file do not
 * interleave.
 *
 * How it fails: it does not, as far as the caller can tell.  If the line
 * cannot be built, redacted or written it is dropped; if only the context
 * cannot be packed (bad format, NULL or invalid UTF-8 string) the line is
 * written without it and with a "log_error" field saying why.  errno is
 * preserved across every ps_log*() call.
 *
 * State is global (one logger per process) and not locked: call
 * ps_log_open() and ps_log_close() from one thread.
 */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/crypto.h"

#define LINE_STACK 4096 /* lines up to this size need no malloc */

static int log_fd = STDERR_FILENO; /* where lines go */
static int log_owned;              /* 1 if log_fd is ours to close */
static enum ps_log_level log_min = PS_LOG_INFO;
static char log_path[4096]; /* the file opened, "" for stderr: reopen */

/* Called before a line goes to stderr: the progress line (progress.c)
 * clears itself so the log line does not start in its middle. */
static void (*stderr_hook)(void);

void ps_log_set_stderr_hook(void (*fn)(void))
{
    stderr_hook = fn;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/*
 * Contract (log.h): open path for appending (created 0640) or use stderr
 * for NULL or "-".  The new destination is opened before the old one is
 * closed, so on failure the logger keeps writing where it did.
 */
int ps_log_open(const char *path, enum ps_log_level min, struct ps_err *err)
{
    int fd = STDERR_FILENO;
    int owned = 0;
    if (path != NULL && strcmp(path, "-") != 0) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return ps_err_sys(err, errno, "cannot open log file %s", path);
        owned = 1;
    }
    if (log_owned)
        close(log_fd);
    log_fd = fd;
    log_owned = owned;
    log_min = min;
    if (owned && path != log_path) /* reopen passes its own copy */
        snprintf(log_path, sizeof(log_path), "%s", path);
    else if (!owned)
        log_path[0] = '\0';
    return 0;
}

/* Contract (log.h): the same file under its name again, at the same
 * level; stderr stays stderr. */
int ps_log_reopen(struct ps_err *err)
{
    if (!log_owned || log_path[0] == '\0')
        return 0;
    return ps_log_open(log_path, log_min, err);
}

/* Close the log file; later lines go to stderr at the same level. */
void ps_log_close(void)
{
    if (log_owned)
        close(log_fd);
    log_fd = STDERR_FILENO;
    log_owned = 0;
    log_path[0] = '\0';
}

int ps_log_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcmp(s, level_names[i]) == 0)
            return (int)i;
    return -1;
}

static const char *level_name(enum ps_log_level level)
{
    if (level <= PS_LOG_DEBUG)
        return level_names[PS_LOG_DEBUG];
    if (level >= PS_LOG_ERROR)
        return level_names[PS_LOG_ERROR];
    return level_names[level];
}

/*
 * A JSON string from s.  jansson refuses invalid UTF-8 (a file name in
 * Latin-1, say); rather than lose the field, such bytes become '?'.
 * Returns a new reference or NULL on allocation failure.
 */
static json_t *string_value(const char *s)
{
    if (s == NULL)
        s = "";
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    v = json_string(copy);
    free(copy);
    return v;
}

/* obj[key] = string s.  Returns 0 or -1. */
static int set_string(json_t *obj, const char *key, const char *s)
{
    return json_object_set_new(obj, key, string_value(s));
}

/*
 * Redact one string value in place.  Embedded NULs (packed with "s#") are
 * handled by redacting each NUL-separated piece.  Returns 0 or -1 on
 * allocation failure.
 */
static int redact_string(json_t *v)
{
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    int count = 0;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    for (size_t at = 0; at < len; at += strlen(copy + at) + 1)
        count += ps_redact_pans(copy + at);
    int rc = count > 0 ? json_string_setn(v, copy, len) : 0;
    free(copy);
    return rc;
}

/*
 * Numbers are printed by jansson as digits; an integer or real that would
 * print a Luhn-valid run is replaced by its redacted text.  "%.17g" is the
 * format jansson uses for reals, so the digit runs checked are the ones
 * that would be written.  *repl gets a new string or stays NULL.
 */
static int redact_number(json_t *v, json_t **repl)
{
    char buf[64];
    if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
    else
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
    if (ps_redact_pans(buf) == 0)
        return 0;
    *repl = json_string(buf);
    return *repl != NULL ? 0 : -1;
}

static int redact(json_t *v, json_t **repl);

/*
 * Redact values and keys of an object.  A key holding a PAN is moved to
 * its redacted spelling (the pair moves to the end of the object).
 */
static int redact_object(json_t *obj)
{
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, val)
    {
        json_t *r = NULL;
        if (redact(val, &r) != 0)
            return -1;
        if (r != NULL) {
            if (json_object_set_new(obj, key, r) != 0)
                return -1;
            val = r;
        }
        size_t klen = strlen(key);
        char *copy = malloc(klen + 1);
        if (copy == NULL)
            return -1;
        memcpy(copy, key, klen + 1);
        if (ps_redact_pans(copy) > 0) {
            /* set before del: del drops the reference val borrows from */
            if (json_object_set(obj, copy, val) != 0) {
                free(copy);
                return -1;
            }
            json_object_del(obj, key);
        }
        free(copy);
    }
    return 0;
}

/*
 * Walk v.  For containers and strings the change is made in place; for
 * numbers *repl receives the replacement the caller must store.  Returns
 * 0, or -1 if memory ran out (the caller then drops the line rather than
 * risk writing an unredacted PAN).
 */
static int redact(json_t *v, json_t **repl)
{
    *repl = NULL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return redact_object(v);
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *r = NULL;
            if (redact(json_array_get(v, i), &r) != 0)
                return -1;
            if (r != NULL && json_array_set_new(v, i, r) != 0)
                return -1;
        }
        return 0;
    case JSON_STRING:
        return redact_string(v);
    case JSON_INTEGER:
    case JSON_REAL:
        return redact_number(v, repl);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        break;
    }
    return 0;
}

/* Serialise obj and write it plus '\n' with one write(2). */
static void write_line(const json_t *obj)
{
    char stack[LINE_STACK];
    char *buf = stack;
    size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return;
    if (n + 1 > sizeof(stack)) {
        buf = malloc(n + 1);
        if (buf == NULL)
            return;
    }
    if (json_dumpb(obj, buf, n, JSON_COMPACT) != n)
        goto out;
    buf[n] = '\n';
    if (log_fd == STDERR_FILENO && stderr_hook != NULL)
        stderr_hook();

    /* O_APPEND makes one write atomic with respect to other appenders.
     * A short write (disk full, signal) is finished best effort. */
    const char *p = buf;
    size_t left = n + 1;
    while (left > 0) {
        ssize_t w = write(log_fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
out:
    if (buf != stack)
        free(buf);
}

/* Add err's fields to obj, skipping the empty and default ones. */
static int add_err_fields(json_t *obj, const struct ps_err *err)
{
    int rc = set_string(obj, "code", ps_err_codename(err->code));
    if (rc == 0 && err->rule[0] != '\0')
        rc = set_string(obj, "rule", err->rule);
    if (rc == 0 && err->file[0] != '\0')
        rc = set_string(obj, "file", err->file);
    if (rc == 0 && err->line > 0)
        rc = json_object_set_new(obj, "line", json_integer(err->line));
    if (rc == 0 && err->offset >= 0)
        rc = json_object_set_new(obj, "offset", json_integer(err->offset));
    if (rc == 0 && err->field[0] != '\0')
        rc = set_string(obj, "field", err->field);
    if (rc == 0 && err->msg[0] != '\0')
        rc = set_string(obj, "message", err->msg);
    return rc;
}

/*
 * Build, redact and write one line.  Fields already set (ts, level, event,
 * the error's) win over context keys of the same name.
 */
static void emit(enum ps_log_level level, const char *event,
                 const struct ps_err *err, const char *fmt, va_list ap)
{
    char ts[PS_TIME_SIZE];
    json_t *obj = NULL;
    json_t *repl = NULL;
    int saved_errno = errno;

    if (level < log_min)
        goto out;
    obj = json_object();
    if (obj == NULL)
        goto out;
    if (set_string(obj, "ts", ps_time_now(ts)) != 0 ||
        set_string(obj, "level", level_name(level)) != 0 ||
        set_string(obj, "event", event) != 0)
        goto out;
    if (err != NULL && add_err_fields(obj, err) != 0)
        goto out;
    if (fmt != NULL) {
        json_error_t jerr;
        json_t *ctx = json_vpack_ex(&jerr, 0, fmt, ap);
        int rc;
        if (ctx == NULL)
            rc = set_string(obj, "log_error", jerr.text);
        else if (!json_is_object(ctx))
            rc = set_string(obj, "log_error", "context is not an object");
        else
            rc = json_object_update_missing(obj, ctx);
        json_decref(ctx);
        if (rc != 0)
            goto out;
    }
    if (redact(obj, &repl) != 0)
        goto out;
    write_line(obj);
out:
    json_decref(obj);
    errno = saved_errno;
}

void ps_log(enum ps_log_level level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, event, NULL, fmt, ap);
    va_end(ap);
}

void ps_log_err(enum ps_log_level level, const char *event,
                const struct ps_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(level, event, err, fmt, ap);
    va_end(ap);
}
