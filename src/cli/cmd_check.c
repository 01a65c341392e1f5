/*
 * cmd_check.c -- `payspool check FILE...`: detect, read and validate
 * without applying anything, as intake would; exit 0 when every document
 * is valid, 65 when one is not.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "engine/achconf.h"
#include "formats/nacha/nacha.h"
#include "intake/check.h"

static void print_check(const json_t *r)
{
    size_t i, k;
    json_t *d, *p;
    json_array_foreach(json_object_get(r, "documents"), i, d)
    {
        const char *fmt = json_string_value(json_object_get(d, "format"));
        json_int_t total =
            json_integer_value(json_object_get(d, "problemsTotal"));
        int ok = json_is_true(json_object_get(d, "valid"));
        printf("%s: %s", json_string_value(json_object_get(d, "document")),
               ok ? "VALID" : "INVALID");
        if (fmt != NULL)
            printf(" (%s, %" JSON_INTEGER_FORMAT " records)", fmt,
                   json_integer_value(json_object_get(d, "records")));
        else
            printf(" (format not recognized)");
        if (!ok)
            printf(": %" JSON_INTEGER_FORMAT " problem%s", total,
                   total == 1 ? "" : "s");
        json_int_t warns =
            json_integer_value(json_object_get(d, "warningsTotal"));
        if (warns > 0)
            printf("%s%" JSON_INTEGER_FORMAT " warning%s", ok ? ": " : ", ",
                   warns, warns == 1 ? "" : "s");
        printf("\n");
        const char *used =
            json_string_value(json_object_get(d, "optionsUsed"));
        if (used != NULL)
            printf("  options used: %s\n", used); /* and warnings */
        json_array_foreach(json_object_get(d, "problems"), k, p)
        {
            const json_t *line = json_object_get(p, "line");
            const json_t *off = json_object_get(p, "offset");
            const char *rt =
                json_string_value(json_object_get(p, "recordType"));
            const char *field = json_string_value(json_object_get(p, "field"));
            const char *ret =
                json_string_value(json_object_get(p, "returnCode"));
            printf("  ");
            if (json_is_integer(line))
                printf("line %" JSON_INTEGER_FORMAT, json_integer_value(line));
            if (json_is_integer(off))
                printf("%sbyte %" JSON_INTEGER_FORMAT,
                       json_is_integer(line) ? ", " : "",
                       json_integer_value(off));
            if (rt != NULL)
                printf(", record %s", rt);
            if (field != NULL)
                printf(", field %s", field);
            const char *sev =
                json_string_value(json_object_get(p, "severity"));
            printf("%s%s%s", json_is_integer(line) || field ? ": " : "",
                   sev != NULL && strcmp(sev, "WARNING") == 0 ? "WARNING "
                                                               : "",
                   json_string_value(json_object_get(p, "rule")));
            if (ret != NULL)
                printf(" (%s)", ret);
            printf(": %s\n", json_string_value(json_object_get(p, "message")));
        }
        if ((json_int_t)json_array_size(json_object_get(d, "problems")) < total)
            printf("  ... and %" JSON_INTEGER_FORMAT " more\n",
                   total - (json_int_t)json_array_size(
                               json_object_get(d, "problems")));
    }
}

/*
 * --business B: the database (never created here: NOT_INITIALISED when
 * there is none) with the key file when there is one (roster records
 * seal numbers), and the business.  cli.c's teardown closes c->eng.  No
 * engine lock: nothing is committed.
 */
static int open_business(struct cli_ctx *c, const char *name,
                         struct ps_business *b, struct ps_err *err)
{
    struct stat st;
    if (stat(c->db, &st) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_INITIALISED",
                          "check --business %s runs the business's rules: no "
                          "database at %s (run 'payspool init', or pass "
                          "--spool/--db)",
                          name, c->db);
    if (ps_engine_open(c->db, stat(c->key, &st) == 0 ? c->key : NULL, &c->eng,
                       err) != 0)
        return err->code;
    c->eng->max_attempts = c->cfg.provider_max_attempts;
    return ps_business_find(c->eng, name, b, err);
}

/*
 * payspool check FILE...: detect, read and validate without applying
 * anything, as intake would; with --business B also the business's rules
 * (rolled back); exit 0 when every document is valid, 65 when one is
 * not.
 */
int cmd_check(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_check_opts o;
    struct ps_business b;
    struct ps_ach_config ac;
    char names[128], strict[512];
    const char *business = cli_opt(c, "business");
    int all_valid = 1;
    json_t *arr = NULL;

    memset(&o, 0, sizeof(o));
    o.limits = c->cfg.limits;
    o.format = cli_opt(c, "format");
    o.options = cli_opt(c, "lenient");
    if (business != NULL && open_business(c, business, &b, err) != 0)
        return cli_fail(err);
    if (business != NULL) {
        o.eng = c->eng;
        o.business = &b;
    }
    if (o.options == NULL && business != NULL) {
        /* The business's own reading options, as intake uses them. */
        if (ps_ach_config_load(c->cfg.path, business, &ac, err) != 0)
            return cli_fail(err);
        o.options = ps_nacha_lenient_format(ac.lenient, names, sizeof(names));
    }
    if (cli_opt(c, "strict") != NULL) {
        /* NACHA's WARNING rules become ERRORs (nacha.h PS_NACHA_STRICT). */
        snprintf(strict, sizeof(strict), "%s%sstrict",
                 o.options != NULL ? o.options : "",
                 o.options != NULL && o.options[0] != '\0' ? "," : "");
        o.options = strict;
    }
    if (o.format != NULL) {
        int known = 0;
        for (const struct ps_format *const *f = ps_formats(); *f; f++)
            known |= strcmp((*f)->name, o.format) == 0;
        if (!known)
            return cli_usage_error(c, "unknown --format %s", o.format);
    }
    if (c->json && (arr = json_array()) == NULL)
        return cli_fail(err);
    for (int i = 0; i < c->npos; i++) {
        json_t *r = NULL;
        if (ps_check_file(c->pos[i], &o, &r, err) != 0) {
            json_decref(arr);
            return cli_fail(err);
        }
        if (!json_is_true(json_object_get(r, "valid")))
            all_valid = 0;
        if (arr != NULL)
            json_array_append_new(arr, r);
        else {
            print_check(r);
            json_decref(r);
        }
    }
    if (arr != NULL) {
        cli_print_json(json_array_size(arr) == 1 ? json_array_get(arr, 0)
                                                 : arr);
        json_decref(arr);
    }
    return all_valid ? EX_OK : EX_DATAERR;
}
