/*
 * cli_util.c -- the helpers every command file uses (cli_int.h): option
 * values, the customer and business look-ups, and the output of errors
 * and JSON.
 *
 * Option helpers fail with a ps_err (exit 65 through cli_fail()): a value
 * that is there but wrong is bad data, not a usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/money.h"
#include "base/progress.h"
#include "cli/cli_int.h"

const char *cli_opt(const struct cli_ctx *c, const char *name)
{
    for (int i = c->nopt - 1; i >= 0; i--)
        if (strcmp(c->name[i], name) == 0)
            return c->val[i];
    return NULL;
}

int cli_need(const struct cli_ctx *c, const char *name, const char **out,
             struct ps_err *err)
{
    *out = cli_opt(c, name);
    if (*out == NULL || (*out)[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "MISSING_OPTION", "--%s is required",
                          name);
    return 0;
}

int cli_amount_opt(const struct cli_ctx *c, const char *name,
                   const char *currency, int required, int64_t *out,
                   struct ps_err *err)
{
    const char *v = cli_opt(c, name);
    if (v == NULL) {
        if (required)
            return ps_err_set(err, PS_EINVAL, "MISSING_OPTION",
                              "--%s is required", name);
        *out = 0;
        return 0;
    }
    int rc = ps_money_parse_cur(v, currency, 0, out, err);
    if (rc != 0)
        ps_err_field(err, name);
    return rc;
}

int cli_int_opt(const struct cli_ctx *c, const char *name, long min, long max,
                long dflt, long *out, struct ps_err *err)
{
    const char *v = cli_opt(c, name);
    char *end;
    long n;
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        ps_err_set(err, PS_EINVAL, "NUMBER_RANGE",
                   "--%s must be a whole number from %ld to %ld", name, min,
                   max);
        ps_err_field(err, name);
        return PS_EINVAL;
    }
    *out = n;
    return 0;
}

int cli_copy_opt(const struct cli_ctx *c, const char *name, char *dst,
                 size_t size, struct ps_err *err)
{
    const char *v = cli_opt(c, name);
    if (v == NULL)
        v = "";
    if (strlen(v) >= size) {
        ps_err_set(err, PS_EINVAL, "FIELD_TOO_LONG",
                   "--%s is longer than %zu bytes", name, size - 1);
        ps_err_field(err, name);
        return PS_EINVAL;
    }
    ps_strlcpy(dst, v, size);
    return 0;
}

int cli_date_opt(const struct cli_ctx *c, int64_t *day, struct ps_err *err)
{
    const char *v = cli_opt(c, "date");
    char today[PS_DATE_SIZE];
    if (v == NULL)
        v = ps_date_today(today);
    if (ps_date_parse(v, day, err) != 0) {
        ps_err_field(err, "date");
        return -1;
    }
    return 0;
}

int cli_businesses_opt(struct cli_ctx *c, struct ps_businesses *l,
                       struct ps_err *err)
{
    const char *bus = cli_opt(c, "business");
    struct ps_business b;
    memset(l, 0, sizeof(*l));
    if (bus == NULL)
        return ps_business_all(c->eng, l, err);
    if (ps_business_find(c->eng, bus, &b, err) != 0)
        return -1;
    return ps_businesses_add(l, &b, err);
}

int cli_customer_lookup(struct cli_ctx *c, const char *ext,
                        struct ps_business *b, struct ps_customer *cu,
                        struct ps_err *err)
{
    const char *bus;
    int rc;
    if ((rc = cli_need(c, "business", &bus, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, b, err)) != 0)
        return rc;
    return ps_query_customer_in_business(c->eng, b, ext, cu, err);
}

int cli_read_secret(char *buf, size_t size, const char *what,
                    struct ps_err *err)
{
    if (fgets(buf, (int)size, stdin) == NULL)
        return ps_err_set(err, PS_EINVAL, "MISSING_NUMBER",
                          "%s must be given on standard input", what);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int cli_json_errors;

/*
 * The error object of --json, the one shape every error takes on stderr:
 *   {"error": {"code", "message", "file", "line", "field"}}
 * every key present, null when unknown; "code" is the rule (codes.h).
 * Built with jansson: a message quoting input is escaped, never spliced.
 */
static void print_error_json(const struct ps_err *err)
{
    const char *code = err->rule[0] ? err->rule : ps_err_codename(err->code);
    json_t *o = json_pack(
        "{s:{s:s, s:s, s:o, s:o, s:o}}", "error", "code", code, "message",
        err->msg, "file", err->file[0] ? json_string(err->file) : json_null(),
        "line", err->line > 0 ? json_integer(err->line) : json_null(), "field",
        err->field[0] ? json_string(err->field) : json_null());
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                        : NULL;
    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    else /* out of memory: still one JSON object, of fixed text */
        fputs("{\"error\":{\"code\":\"NO_MEMORY\",\"message\":\"out of "
              "memory\",\"file\":null,\"line\":null,\"field\":null}}\n",
              stderr);
    free(s);
    json_decref(o);
}

void cli_error_print(const struct ps_err *err)
{
    char buf[1024];
    ps_progress_hide(); /* a progress line on the terminal goes first */
    if (cli_json_errors)
        print_error_json(err);
    else
        fprintf(stderr, "payspool: %s\n", ps_err_str(err, buf, sizeof(buf)));
}

int cli_error(int code, const char *rule, const char *fmt, ...)
{
    struct ps_err e;
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_err_clear(&e);
    ps_err_set(&e, code, rule, "%s", msg);
    cli_error_print(&e);
    return ps_err_exit_status(code);
}

void cli_print_json(json_t *o)
{
    char *s =
        o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s == NULL) {
        cli_error(PS_ENOMEM, "NO_MEMORY", "cannot render the JSON output");
        return;
    }
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
}

json_t *cli_camel_keys(json_t *v)
{
    const char *k;
    json_t *x, *renamed;
    size_t i;
    if (json_is_array(v))
        json_array_foreach(v, i, x) cli_camel_keys(x);
    if (!json_is_object(v) || (renamed = json_object()) == NULL)
        return v;
    /* Into a new object (a key added while iterating is not safe), in
     * the same order. */
    json_object_foreach(v, k, x)
    {
        char name[128];
        size_t n = 0;
        cli_camel_keys(x);
        for (const char *p = k; *p != '\0' && n + 1 < sizeof(name); p++) {
            if (*p == '_' && p[1] != '\0' && n > 0)
                name[n++] = (char)toupper((unsigned char)*++p);
            else if (*p != '_')
                name[n++] = *p;
        }
        name[n] = '\0';
        json_object_set(renamed, name, x);
    }
    json_object_clear(v);
    json_object_update(v, renamed);
    json_decref(renamed);
    return v;
}

const char *cli_money_str(int64_t v, const char *currency, char *buf,
                          size_t size)
{
    const struct ps_currency *cur = ps_currency_find(currency);
    return ps_money_format(v, cur != NULL ? cur->exponent : 2, buf, size);
}

int cli_append_sourced(json_t *arr, json_t *o, long line)
{
    if (o == NULL)
        return 0;
    /* Always there (null without a line): one shape per object. */
    json_object_set_new(o, "sourceLine",
                        line > 0 ? json_integer((json_int_t)line) : json_null());
    json_array_append_new(arr, o);
    return 0;
}

void cli_source_of(json_t *o, char *buf, size_t size)
{
    const char *f = json_string_value(json_object_get(o, "sourceFile"));
    json_int_t line = json_integer_value(json_object_get(o, "sourceLine"));
    buf[0] = '\0';
    if (f != NULL && line > 0)
        snprintf(buf, size, " (%s, line %lld)", f, (long long)line);
    else if (f != NULL)
        snprintf(buf, size, " (%s)", f);
}
