/*
 * layout.c -- CSV layouts: INI files read with libinih into a
 * process-wide, reference-counted registry, and the matching of a header
 * row against them.
 *
 * How it fails: a layout file that cannot be read or breaks a rule is a
 * configuration error (PS_ECONFIG) naming the file, the line and the key
 * (rules LAYOUT_DIR, LAYOUT_SYNTAX, LAYOUT_SECTION, LAYOUT_KEY,
 * LAYOUT_VALUE, LAYOUT_MISSING, LAYOUT_DUPLICATE); loading is all or
 * nothing, so a bad file never leaves half a registry.  Out of memory is
 * PS_ENOMEM.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "formats/csv/csv.h"
#include "base/money.h"

#ifndef PS_SOURCE_DIR
#define PS_SOURCE_DIR "."
#endif
#define DEFAULT_DIR PS_SOURCE_DIR "/formats/csv/layouts"
#define SUFFIX ".layout"
#define MAX_FILES 1024 /* layout files in one folder */

/* Bits of ps_csv_layout.set and ps_csv_field.set: keys given. */
enum {
    K_NAME = 1u << 0,
    K_KIND = 1u << 1,
    K_DESCRIPTION = 1u << 2,
    K_REFERENCE = 1u << 3,
    K_EXTRAS = 1u << 4,
    K_CURRENCY = 1u << 5,
    K_IGNORE = 1u << 6,
    K_COLUMNS = 1u << 7,
    K_CENTS_COLUMNS = 1u << 8,
    K_TYPE = 1u << 9,
    K_REQUIRED = 1u << 10,
    K_MIN = 1u << 11,
    K_MAX = 1u << 12,
    K_VALUES = 1u << 13,
    K_SENSITIVE = 1u << 14,
    K_MULTILINE = 1u << 15,
    K_NEGATIVE = 1u << 16,
    K_FORMAT = 1u << 17
};

struct ps_csv_layouts {
    int refs;
    size_t n;
    struct ps_csv_layout **v;
};

static const char *const type_names[] = {
    "text",  "digits", "date",     "enum",    "money",   "cents",
    "email", "phone",  "currency", "integer", "country",
};

const char *ps_csv_type_name(enum ps_csv_type t)
{
    return (size_t)t < sizeof(type_names) / sizeof(type_names[0])
               ? type_names[t]
               : "?";
}

/* ---- freeing -------------------------------------------------------- */

static void field_free(struct ps_csv_field *f)
{
    for (size_t i = 0; i < f->ncolumns; i++)
        free(f->columns[i].name);
    for (size_t i = 0; i < f->nvalues; i++) {
        free(f->values[i].spelling);
        free(f->values[i].target);
    }
    free(f->columns);
    free(f->values);
    free(f->name);
}

static void layout_free(struct ps_csv_layout *L)
{
    if (L == NULL)
        return;
    for (size_t i = 0; i < L->nfields; i++)
        field_free(&L->fields[i]);
    for (size_t i = 0; i < L->nignore; i++)
        free(L->ignore[i]);
    free(L->ignore);
    free(L->name);
    free(L->kind);
    free(L->description);
    free(L->path);
    free(L);
}

static void set_free(struct ps_csv_layouts *set)
{
    for (size_t i = 0; i < set->n; i++)
        layout_free(set->v[i]);
    free(set->v);
    free(set);
}

/* ---- reading one file ----------------------------------------------- */

struct load {
    struct ps_csv_layout *L;
    const char *path;
    struct ps_err *err;
    FILE *f;
    int line;       /* lines read so far: the line inih is on */
    int err_line;   /* where our first error is, 0 when none */
    int in_section; /* 0 none yet, 1 [layout], 2 [field] */
    char section[80];
    char reference[64];         /* the reference field's name, "" when none */
    struct ps_csv_field *field; /* current [field] section */
    int layout_line;            /* first line inside [layout] */
    int seen_layout;
};

/* fgets() for inih that counts lines and refuses over-long ones (inih
 * would split them silently). */
static char *reader(char *str, int num, void *stream)
{
    struct load *ld = stream;
    char *s = fgets(str, num, ld->f);
    if (s == NULL)
        return NULL;
    ld->line++;
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] != '\n' && !feof(ld->f) && ld->err_line == 0) {
        ps_err_set(ld->err, PS_ECONFIG, "LAYOUT_SYNTAX",
                   "line longer than %d characters: continue a list on "
                   "an indented line",
                   num - 3);
        ps_err_at(ld->err, ld->path, ld->line, -1);
        ld->err_line = ld->line;
        return NULL;
    }
    return s;
}

/* Record our first error at the current line; returns 0 for inih. */
static int fail(struct load *ld, const char *rule, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct load *ld, const char *rule, const char *key,
                const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    if (ld->err_line != 0)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps_err_set(ld->err, PS_ECONFIG, rule, "%s", msg);
    ps_err_at(ld->err, ld->path, ld->line, -1);
    if (key != NULL)
        ps_err_field(ld->err, key);
    ld->err_line = ld->line > 0 ? ld->line : -1;
    return 0;
}

static int oom(struct load *ld)
{
    if (ld->err_line == 0) {
        ps_err_set(ld->err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        ld->err_line = -1;
    }
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
        strcmp(v, "1") == 0)
        *out = 1;
    else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
             strcmp(v, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_ll(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '+' ||
        isspace((unsigned char)v[0]))
        return -1;
    *out = n;
    return 0;
}

/* [a-z0-9_.-], 1..max-1 bytes: layout and field names. */
static int good_name(const char *s, size_t max, int dots)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              (dots && (c == '.' || c == '-'))))
            return 0;
    }
    return 1;
}

/* A trimmed copy of s[0..n); lower 1: ASCII lower-case, 2: upper-case. */
static char *trimmed_dup(const char *s, size_t n, int lower)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (lower == 1 && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        else if (lower == 2 && c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        d[i] = (char)c;
    }
    d[n] = '\0';
    return d;
}

/*
 * Split a comma-separated list, calling add(ld, item) with each trimmed,
 * non-empty item (NUL-terminated in a scratch copy).  Returns 1 or 0 (an
 * error is recorded).
 */
static int each_item(struct load *ld, const char *value,
                     int (*add)(struct load *, const char *, void *), void *arg)
{
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char *item = trimmed_dup(p, n, 0);
        if (item == NULL)
            return oom(ld);
        int ok = item[0] == '\0' || add(ld, item, arg);
        free(item);
        if (!ok)
            return 0;
        if (comma == NULL)
            return 1;
        p = comma + 1;
    }
}

/* Is `name` (lower-case) already a column or ignored name of the layout? */
static const char *claimed_by(const struct ps_csv_layout *L, const char *name)
{
    for (size_t i = 0; i < L->nfields; i++)
        for (size_t j = 0; j < L->fields[i].ncolumns; j++)
            if (strcmp(L->fields[i].columns[j].name, name) == 0)
                return L->fields[i].name;
    for (size_t i = 0; i < L->nignore; i++)
        if (strcmp(L->ignore[i], name) == 0)
            return "ignore";
    return NULL;
}

static int check_column_name(struct load *ld, const char *key, const char *name)
{
    char q[PS_QUOTE_MAX * 4 + 4];
    if (strlen(name) >= PS_CSV_NAME_MAX ||
        ps_utf8_chars(name, strlen(name)) < 0)
        return fail(ld, "LAYOUT_VALUE", key,
                    "column name \"%s\" must be UTF-8 text of at most %d "
                    "bytes",
                    ps_quote(name, strlen(name), q, sizeof(q)),
                    PS_CSV_NAME_MAX - 1);
    const char *other = claimed_by(ld->L, name);
    if (other != NULL)
        return fail(ld, "LAYOUT_VALUE", key,
                    "column \"%s\" is already taken by %s%s",
                    ps_quote(name, strlen(name), q, sizeof(q)),
                    strcmp(other, "ignore") == 0 ? "" : "field ", other);
    return 1;
}

static int add_column(struct load *ld, const char *item, void *arg)
{
    struct ps_csv_field *f = ld->field;
    int cents = arg != NULL;
    char *name = trimmed_dup(item, strlen(item), 1);
    if (name == NULL)
        return oom(ld);
    if (!check_column_name(ld, cents ? "cents_columns" : "columns", name)) {
        free(name);
        return 0;
    }
    struct ps_csv_column *v =
        realloc(f->columns, (f->ncolumns + 1) * sizeof(*v));
    if (v == NULL) {
        free(name);
        return oom(ld);
    }
    f->columns = v;
    v[f->ncolumns].name = name;
    v[f->ncolumns++].cents = cents;
    return 1;
}

static int add_ignore(struct load *ld, const char *item, void *arg)
{
    struct ps_csv_layout *L = ld->L;
    (void)arg;
    char *name = trimmed_dup(item, strlen(item), 1);
    if (name == NULL)
        return oom(ld);
    if (!check_column_name(ld, "ignore", name)) {
        free(name);
        return 0;
    }
    char **v = realloc(L->ignore, (L->nignore + 1) * sizeof(*v));
    if (v == NULL) {
        free(name);
        return oom(ld);
    }
    L->ignore = v;
    v[L->nignore++] = name;
    return 1;
}

/* "SPELLING" or "SPELLING -> VALUE", both stored upper-case. */
static int add_value(struct load *ld, const char *item, void *arg)
{
    struct ps_csv_field *f = ld->field;
    char q[PS_QUOTE_MAX * 4 + 4];
    const char *arrow = strstr(item, "->");
    char *spelling, *target = NULL;
    (void)arg;
    spelling = trimmed_dup(
        item, arrow != NULL ? (size_t)(arrow - item) : strlen(item), 2);
    if (spelling == NULL)
        return oom(ld);
    if (arrow != NULL &&
        (target = trimmed_dup(arrow + 2, strlen(arrow + 2), 2)) == NULL) {
        free(spelling);
        return oom(ld);
    }
    if (spelling[0] == '\0' || (target != NULL && target[0] == '\0') ||
        ps_utf8_chars(spelling, strlen(spelling)) < 0 ||
        strlen(spelling) >= PS_CSV_NAME_MAX) {
        fail(ld, "LAYOUT_VALUE", "values",
             "bad enum value \"%s\": expected VALUE or SPELLING -> VALUE",
             ps_quote(item, strlen(item), q, sizeof(q)));
        free(spelling);
        free(target);
        return 0;
    }
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i].spelling, spelling) == 0) {
            fail(ld, "LAYOUT_VALUE", "values", "enum value %s given twice",
                 spelling);
            free(spelling);
            free(target);
            return 0;
        }
    struct ps_csv_enum *v = realloc(f->values, (f->nvalues + 1) * sizeof(*v));
    if (v == NULL) {
        free(spelling);
        free(target);
        return oom(ld);
    }
    f->values = v;
    v[f->nvalues].spelling = spelling;
    v[f->nvalues].target = target;
    v[f->nvalues++].value = NULL; /* resolved when the file is done */
    return 1;
}

static int set_string(struct load *ld, char **dst, const char *key,
                      const char *value, size_t max)
{
    char *d;
    if (strlen(value) >= max || ps_utf8_chars(value, strlen(value)) < 0)
        return fail(ld, "LAYOUT_VALUE", key,
                    "%s must be UTF-8 text of at most %zu bytes", key, max - 1);
    if ((d = strdup(value)) == NULL)
        return oom(ld);
    free(*dst);
    *dst = d;
    return 1;
}

/* A key given twice (not as a continuation line of a list) is an error. */
static int once(struct load *ld, unsigned *set, unsigned bit, const char *key)
{
    if (*set & bit)
        return fail(ld, "LAYOUT_KEY", key, "%s is set twice", key);
    *set |= bit;
    return 1;
}

static int layout_key(struct load *ld, const char *name, const char *value)
{
    struct ps_csv_layout *L = ld->L;
    char q[PS_QUOTE_MAX * 4 + 4];
    if (strcmp(name, "name") == 0) {
        if (!once(ld, &L->set, K_NAME, name))
            return 0;
        if (!good_name(value, 64, 1))
            return fail(ld, "LAYOUT_VALUE", name,
                        "name \"%s\": 1 to 63 of a-z 0-9 _ . -",
                        ps_quote(value, strlen(value), q, sizeof(q)));
        return set_string(ld, &L->name, name, value, 64);
    }
    if (strcmp(name, "kind") == 0) {
        if (!once(ld, &L->set, K_KIND, name))
            return 0;
        if (!good_name(value, 64, 1))
            return fail(ld, "LAYOUT_VALUE", name,
                        "kind \"%s\": 1 to 63 of a-z 0-9 _ . -",
                        ps_quote(value, strlen(value), q, sizeof(q)));
        return set_string(ld, &L->kind, name, value, 64);
    }
    if (strcmp(name, "description") == 0) {
        /* A continuation line adds to the description. */
        if (L->set & K_DESCRIPTION) {
            size_t a = strlen(L->description), b = strlen(value);
            char *d = malloc(a + b + 2);
            if (d == NULL)
                return oom(ld);
            memcpy(d, L->description, a);
            d[a] = ' ';
            memcpy(d + a + 1, value, b + 1);
            int ok = set_string(ld, &L->description, name, d, 512);
            free(d);
            return ok;
        }
        L->set |= K_DESCRIPTION;
        return set_string(ld, &L->description, name, value, 512);
    }
    if (strcmp(name, "reference") == 0) {
        if (!once(ld, &L->set, K_REFERENCE, name))
            return 0;
        L->reference_line = ld->line;
        if (!good_name(value, 64, 0))
            return fail(ld, "LAYOUT_VALUE", name,
                        "reference must name a field");
        /* Resolved to a field index once the whole file is read. */
        ps_strlcpy(ld->reference, value, sizeof(ld->reference));
        return 1;
    }
    if (strcmp(name, "extras") == 0) {
        if (!once(ld, &L->set, K_EXTRAS, name))
            return 0;
        if (parse_bool(value, &L->extras) != 0)
            return fail(ld, "LAYOUT_VALUE", name, "extras must be yes or no");
        return 1;
    }
    if (strcmp(name, "currency") == 0) {
        if (!once(ld, &L->set, K_CURRENCY, name))
            return 0;
        if (ps_currency_find(value) == NULL)
            return fail(ld, "LAYOUT_VALUE", name,
                        "currency \"%s\" is not an active ISO 4217 code "
                        "(upper case, e.g. USD)",
                        ps_quote(value, strlen(value), q, sizeof(q)));
        ps_strlcpy(L->currency, value, sizeof(L->currency));
        return 1;
    }
    if (strcmp(name, "ignore") == 0) {
        L->set |= K_IGNORE;
        return each_item(ld, value, add_ignore, NULL);
    }
    return fail(ld, "LAYOUT_KEY", name,
                "unknown key %s in [layout]: expected name, kind, "
                "description, reference, extras, currency or ignore",
                name);
}

static int field_key(struct load *ld, const char *name, const char *value)
{
    struct ps_csv_field *f = ld->field;
    char q[PS_QUOTE_MAX * 4 + 4];
    long long n;
    int b;
    if (strcmp(name, "columns") == 0) {
        f->set |= K_COLUMNS;
        return each_item(ld, value, add_column, NULL);
    }
    if (strcmp(name, "cents_columns") == 0) {
        f->set |= K_CENTS_COLUMNS;
        return each_item(ld, value, add_column, f);
    }
    if (strcmp(name, "values") == 0) {
        f->set |= K_VALUES;
        f->values_line = ld->line;
        return each_item(ld, value, add_value, NULL);
    }
    if (strcmp(name, "type") == 0) {
        if (!once(ld, &f->set, K_TYPE, name))
            return 0;
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
            if (strcmp(value, type_names[i]) == 0) {
                f->type = (enum ps_csv_type)i;
                return 1;
            }
        return fail(ld, "LAYOUT_VALUE", name,
                    "type \"%s\": expected text, digits, date, enum, money, "
                    "cents, email, phone, currency, integer or country",
                    ps_quote(value, strlen(value), q, sizeof(q)));
    }
    if (strcmp(name, "format") == 0) {
        static const char *const fmts[] = {"YYYY-MM-DD", "MM/DD/YYYY",
                                           "DD/MM/YYYY", "YYYYMMDD"};
        if (!once(ld, &f->set, K_FORMAT, name))
            return 0;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(value, fmts[i]) == 0) {
                f->date_format = (enum ps_csv_datefmt)i;
                return 1;
            }
        return fail(ld, "LAYOUT_VALUE", name,
                    "format \"%s\": expected YYYY-MM-DD, MM/DD/YYYY, "
                    "DD/MM/YYYY or YYYYMMDD",
                    ps_quote(value, strlen(value), q, sizeof(q)));
    }
    if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0) {
        unsigned bit = name[1] == 'i' ? K_MIN : K_MAX;
        if (!once(ld, &f->set, bit, name))
            return 0;
        f->range_line = ld->line;
        if (parse_ll(value, &n) != 0)
            return fail(ld, "LAYOUT_VALUE", name, "%s must be a whole number",
                        name);
        if (bit == K_MIN)
            f->min = n;
        else
            f->max = n;
        return 1;
    }
    static const struct {
        const char *key;
        unsigned bit;
        size_t off;
    } flags[] = {
        {"required", K_REQUIRED, offsetof(struct ps_csv_field, required)},
        {"sensitive", K_SENSITIVE, offsetof(struct ps_csv_field, sensitive)},
        {"multiline", K_MULTILINE, offsetof(struct ps_csv_field, multiline)},
        {"negative", K_NEGATIVE, offsetof(struct ps_csv_field, negative)},
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(name, flags[i].key) != 0)
            continue;
        if (!once(ld, &f->set, flags[i].bit, name))
            return 0;
        if (parse_bool(value, &b) != 0)
            return fail(ld, "LAYOUT_VALUE", name, "%s must be yes or no", name);
        *(int *)(void *)((char *)f + flags[i].off) = b;
        return 1;
    }
    return fail(ld, "LAYOUT_KEY", name,
                "unknown key %s in [field %s]: expected columns, "
                "cents_columns, type, required, min, max, values, format, "
                "sensitive, multiline or negative",
                name, f->name);
}

static int begin_section(struct load *ld, const char *section)
{
    struct ps_csv_layout *L = ld->L;
    ps_strlcpy(ld->section, section, sizeof(ld->section));
    if (strcmp(section, "layout") == 0) {
        if (ld->seen_layout)
            return fail(ld, "LAYOUT_SECTION", "layout",
                        "[layout] appears twice");
        ld->seen_layout = 1;
        ld->layout_line = ld->line;
        ld->in_section = 1;
        ld->field = NULL;
        return 1;
    }
    if (strncmp(section, "field", 5) == 0 &&
        (section[5] == ' ' || section[5] == '\t')) {
        const char *name = section + 6;
        while (*name == ' ' || *name == '\t')
            name++;
        if (!good_name(name, 64, 0))
            return fail(ld, "LAYOUT_SECTION", NULL,
                        "[field NAME]: NAME must be 1 to 63 of a-z 0-9 _");
        for (size_t i = 0; i < L->nfields; i++)
            if (strcmp(L->fields[i].name, name) == 0)
                return fail(ld, "LAYOUT_SECTION", name,
                            "[field %s] appears twice", name);
        if (L->nfields == PS_RECORD_MAX_FIELDS - 1)
            /* One slot stays free for the default currency. */
            return fail(ld, "LAYOUT_SECTION", name,
                        "too many fields: at most %d",
                        PS_RECORD_MAX_FIELDS - 1);
        struct ps_csv_field *f = &L->fields[L->nfields];
        memset(f, 0, sizeof(*f));
        if ((f->name = strdup(name)) == NULL)
            return oom(ld);
        L->nfields++;
        f->line = ld->line;
        f->type = PS_CSV_TEXT;
        ld->field = f;
        ld->in_section = 2;
        return 1;
    }
    char q[PS_QUOTE_MAX * 4 + 4];
    return fail(ld, "LAYOUT_SECTION", NULL,
                "unknown section [%s]: expected [layout] or [field NAME]",
                ps_quote(section, strlen(section), q, sizeof(q)));
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    struct load *ld = user;
    if (ld->err_line != 0)
        return 0;
    if (section[0] == '\0')
        return fail(ld, "LAYOUT_SECTION", name,
                    "%s before any section: start with [layout]", name);
    if (ld->in_section == 0 || strcmp(section, ld->section) != 0) {
        if (strlen(section) >= sizeof(ld->section))
            return fail(ld, "LAYOUT_SECTION", NULL, "section name too long");
        if (!begin_section(ld, section))
            return 0;
    }
    return ld->in_section == 1 ? layout_key(ld, name, value)
                               : field_key(ld, name, value);
}

/* Rules over the whole file, once it is read.
 * Long (about 140 lines) on purpose: a flat list of independent checks,
 * each a few lines, in the order README.md lists them; split, the list
 * would only be scattered. */
static int check_file(struct load *ld, const char *reference)
{
    struct ps_csv_layout *L = ld->L;
    int has_money = 0;
    ld->line = ld->layout_line;
    if (!ld->seen_layout)
        return fail(ld, "LAYOUT_MISSING", "layout", "no [layout] section");
    if (L->name == NULL)
        return fail(ld, "LAYOUT_MISSING", "name", "[layout] needs a name");
    if (L->kind == NULL)
        return fail(ld, "LAYOUT_MISSING", "kind", "[layout] needs a kind");
    if (L->description == NULL && (L->description = strdup("")) == NULL)
        return oom(ld);
    if (L->nfields == 0)
        return fail(ld, "LAYOUT_MISSING", "field", "no [field NAME] section");
    L->reference_field = L->currency_field = L->amount_field = -1;
    for (size_t i = 0; i < L->nfields; i++) {
        struct ps_csv_field *f = &L->fields[i];
        enum ps_csv_type t = f->type;
        int numeric =
            t == PS_CSV_MONEY || t == PS_CSV_CENTS || t == PS_CSV_INTEGER;
        int ranged = t == PS_CSV_TEXT || t == PS_CSV_DIGITS ||
                     t == PS_CSV_INTEGER || t == PS_CSV_EMAIL;
        ld->line = f->line;
        if (!(f->set & K_TYPE))
            return fail(ld, "LAYOUT_MISSING", "type", "[field %s] needs a type",
                        f->name);
        if (f->ncolumns == 0)
            return fail(ld, "LAYOUT_MISSING", "columns",
                        "[field %s] needs columns", f->name);
        if ((f->set & K_CENTS_COLUMNS) && t != PS_CSV_MONEY)
            return fail(ld, "LAYOUT_VALUE", "cents_columns",
                        "[field %s]: cents_columns need type money", f->name);
        if (((f->set & K_VALUES) != 0) != (t == PS_CSV_ENUM))
            return fail(ld, "LAYOUT_VALUE", "values",
                        "[field %s]: values go with type enum, and type "
                        "enum needs values",
                        f->name);
        if ((f->set & K_FORMAT) && t != PS_CSV_DATE)
            return fail(ld, "LAYOUT_VALUE", "format",
                        "[field %s]: format goes with type date", f->name);
        if ((f->set & K_NEGATIVE) && !numeric)
            return fail(ld, "LAYOUT_VALUE", "negative",
                        "[field %s]: negative goes with money, cents or "
                        "integer",
                        f->name);
        if ((f->set & K_MULTILINE) && t != PS_CSV_TEXT)
            return fail(ld, "LAYOUT_VALUE", "multiline",
                        "[field %s]: multiline goes with type text", f->name);
        if ((f->set & (K_MIN | K_MAX)) && !ranged)
            return fail(ld, "LAYOUT_VALUE", "max",
                        "[field %s]: min and max go with text, digits, "
                        "email or integer",
                        f->name);
        if (f->sensitive && (t == PS_CSV_MONEY || t == PS_CSV_CENTS))
            return fail(ld, "LAYOUT_VALUE", "sensitive",
                        "[field %s]: amounts cannot be sensitive", f->name);
        /* Defaults and bounds per type. */
        long long dmin = 0, dmax = 255, lo = 0, hi = PS_CSV_RECORD_MAX;
        if (t == PS_CSV_DIGITS)
            dmin = 1, dmax = 64, lo = 1, hi = 64;
        else if (t == PS_CSV_EMAIL)
            dmax = 254, hi = 254;
        else if (t == PS_CSV_INTEGER)
            dmin = f->negative ? LLONG_MIN : 0, dmax = LLONG_MAX,
            lo = LLONG_MIN, hi = LLONG_MAX;
        if (!(f->set & K_MIN))
            f->min = dmin;
        if (!(f->set & K_MAX))
            f->max = dmax;
        if (f->min < lo || f->max > hi || f->min > f->max ||
            (t == PS_CSV_INTEGER && f->min < 0 && !f->negative))
            return ld->line = f->range_line,
                   fail(ld, "LAYOUT_VALUE", "max",
                        "[field %s]: min %lld and max %lld must satisfy "
                        "%lld <= min <= max <= %lld%s",
                        f->name, f->min, f->max, lo, hi,
                        t == PS_CSV_INTEGER ? " (negative min needs "
                                              "negative = yes)"
                                            : "");
        /* Enum targets name canonical values of the same field. */
        for (size_t j = 0; j < f->nvalues; j++) {
            struct ps_csv_enum *e = &f->values[j];
            if (e->target == NULL) {
                e->value = e->spelling;
                continue;
            }
            for (size_t k = 0; k < f->nvalues && e->value == NULL; k++)
                if (f->values[k].target == NULL &&
                    strcmp(f->values[k].spelling, e->target) == 0)
                    e->value = f->values[k].spelling;
            if (e->value == NULL)
                return ld->line = f->values_line,
                       fail(ld, "LAYOUT_VALUE", "values",
                            "[field %s]: %s -> %s names no value of the "
                            "field",
                            f->name, e->spelling, e->target);
        }
        if (t == PS_CSV_MONEY || t == PS_CSV_CENTS)
            has_money = 1;
        if (t == PS_CSV_CURRENCY) {
            if (L->currency_field >= 0)
                return fail(ld, "LAYOUT_VALUE", "type",
                            "[field %s]: a layout has at most one field of "
                            "type currency",
                            f->name);
            L->currency_field = (int)i;
        } else if (strcmp(f->name, "currency") == 0) {
            return fail(ld, "LAYOUT_VALUE", "type",
                        "[field currency] must have type currency");
        }
        if (strcmp(f->name, "amount") == 0)
            L->amount_field = (int)i;
    }
    if (has_money && L->currency_field < 0 && L->currency[0] == '\0') {
        ld->line = ld->layout_line;
        return fail(ld, "LAYOUT_MISSING", "currency",
                    "amounts need a currency: a field of type currency or "
                    "[layout] currency = CODE");
    }
    if (L->currency[0] != '\0' && L->currency_field < 0 &&
        L->nfields >= PS_RECORD_MAX_FIELDS)
        return fail(ld, "LAYOUT_VALUE", "currency", "too many fields");
    if (reference[0] != '\0') {
        ld->line = L->reference_line;
        for (size_t i = 0; i < L->nfields; i++)
            if (strcmp(L->fields[i].name, reference) == 0)
                L->reference_field = (int)i;
        if (L->reference_field < 0)
            return fail(ld, "LAYOUT_VALUE", "reference",
                        "reference %s names no field", reference);
        if (L->fields[L->reference_field].sensitive)
            return fail(ld, "LAYOUT_VALUE", "reference",
                        "reference %s is a sensitive field", reference);
    }
    return 1;
}

/* Read one layout file into *out (from malloc()). */
static int load_file(const char *path, struct ps_csv_layout **out,
                     struct ps_err *err)
{
    struct load ld;
    int line;
    memset(&ld, 0, sizeof(ld));
    ld.path = path;
    ld.err = err;
    if ((ld.L = calloc(1, sizeof(*ld.L))) == NULL ||
        (ld.L->path = strdup(path)) == NULL) {
        layout_free(ld.L);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    if ((ld.f = fopen(path, "re")) == NULL) {
        int e = errno;
        layout_free(ld.L);
        ps_err_set(err, PS_ECONFIG, "LAYOUT_DIR", "cannot read layout: %s",
                   strerror(e));
        return ps_err_at(err, path, 0, -1);
    }
    line = ini_parse_stream(reader, &ld, handler, &ld);
    fclose(ld.f);
    if (line != 0 && (ld.err_line <= 0 || line < ld.err_line)) {
        /* inih found a line that is not [section], key = value or a
         * comment, before any error of ours. */
        ps_err_set(err, PS_ECONFIG, "LAYOUT_SYNTAX",
                   "not a valid layout line: expected [section], "
                   "key = value or a comment");
        ps_err_at(err, path, line > 0 ? line : 0, -1);
        ps_err_field(err, "");
        ld.err_line = line;
    }
    if (ld.err_line == 0)
        check_file(&ld, ld.reference);
    if (ld.err_line != 0) {
        int code = err != NULL ? err->code : PS_ECONFIG;
        layout_free(ld.L);
        return code != 0 ? code : PS_ECONFIG;
    }
    *out = ld.L;
    return 0;
}

/* ---- folders and the registry --------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_add(struct ps_csv_layouts *set, struct ps_csv_layout *L,
                   struct ps_err *err)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->v[i]->name, L->name) == 0) {
            ps_err_set(err, PS_ECONFIG, "LAYOUT_DUPLICATE",
                       "layout %s is defined twice: in %s and in %s", L->name,
                       set->v[i]->path, L->path);
            ps_err_at(err, L->path, 0, -1);
            ps_err_field(err, "name");
            return PS_ECONFIG;
        }
    struct ps_csv_layout **v = realloc(set->v, (set->n + 1) * sizeof(*v));
    if (v == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    set->v = v;
    v[set->n++] = L;
    return 0;
}

static int load_dir(struct ps_csv_layouts *set, const char *dir,
                    struct ps_err *err)
{
    DIR *d = opendir(dir);
    char *names[MAX_FILES];
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    if (d == NULL) {
        int en = errno;
        ps_err_set(err, PS_ECONFIG, "LAYOUT_DIR",
                   "cannot read layout folder %s: %s", dir, strerror(en));
        return ps_err_at(err, dir, 0, -1);
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= strlen(SUFFIX) ||
            strcmp(e->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
            continue;
        if (n == MAX_FILES) {
            rc = ps_err_set(err, PS_ECONFIG, "LAYOUT_DIR",
                            "more than %d layouts in %s", MAX_FILES, dir);
            ps_err_at(err, dir, 0, -1);
            break;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        struct ps_csv_layout *L = NULL;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
            sizeof(path)) {
            rc = ps_err_set(err, PS_ECONFIG, "LAYOUT_DIR", "path too long");
            break;
        }
        if ((rc = load_file(path, &L, err)) == 0 &&
            (rc = set_add(set, L, err)) != 0)
            layout_free(L);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

static struct ps_csv_layouts *current;
static int tried;    /* a load was attempted */
static int tried_rc; /* the lazy load's result */
static struct ps_err tried_err;

int ps_csv_layouts_load(const char *dirs, struct ps_err *err)
{
    struct ps_csv_layouts *set;
    char *copy, *p;
    int rc = 0;
    if (dirs == NULL) {
        dirs = getenv("PAYSPOOL_LAYOUTS");
        if (dirs == NULL || dirs[0] == '\0')
            dirs = DEFAULT_DIR;
    }
    if ((set = calloc(1, sizeof(*set))) == NULL ||
        (copy = strdup(dirs)) == NULL) {
        free(set);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    set->refs = 1;
    ps_err_clear(err);
    for (p = copy; rc == 0 && p != NULL;) {
        char *colon = strchr(p, ':');
        if (colon != NULL)
            *colon = '\0';
        if (p[0] != '\0')
            rc = load_dir(set, p, err);
        p = colon != NULL ? colon + 1 : NULL;
    }
    free(copy);
    if (rc != 0) {
        set_free(set);
        return rc;
    }
    ps_csv_layouts_release(current);
    current = set;
    tried = 1;
    tried_rc = 0;
    return 0;
}

int ps_csv_layouts_ensure(struct ps_err *err)
{
    if (!tried) {
        ps_err_clear(&tried_err);
        tried_rc = ps_csv_layouts_load(NULL, &tried_err);
        tried = 1;
    }
    if (tried_rc != 0 && err != NULL)
        *err = tried_err;
    return tried_rc;
}

void ps_csv_layouts_unload(void)
{
    ps_csv_layouts_release(current);
    current = NULL;
    tried = 0;
    tried_rc = 0;
}

size_t ps_csv_layouts_count(void)
{
    ps_csv_layouts_ensure(NULL);
    return current != NULL ? current->n : 0;
}

const struct ps_csv_layout *ps_csv_layout_at(size_t i)
{
    ps_csv_layouts_ensure(NULL);
    return current != NULL && i < current->n ? current->v[i] : NULL;
}

const struct ps_csv_layout *ps_csv_layout_find(const char *name)
{
    for (size_t i = 0; i < ps_csv_layouts_count(); i++)
        if (strcmp(current->v[i]->name, name) == 0)
            return current->v[i];
    return NULL;
}

struct ps_csv_layouts *ps_csv_layouts_acquire(void)
{
    ps_csv_layouts_ensure(NULL);
    if (current != NULL)
        current->refs++;
    return current;
}

void ps_csv_layouts_release(struct ps_csv_layouts *set)
{
    if (set != NULL && --set->refs == 0)
        set_free(set);
}

/* ---- matching a header ---------------------------------------------- */

static void match_one(const struct ps_csv_layout *L, char *const *names,
                      size_t ncols, struct ps_csv_match *m)
{
    m->layout = L;
    m->ncols = ncols;
    m->matched = m->ignored = m->unknown = 0;
    m->first_unknown = m->dup_column = m->missing = -1;
    for (size_t f = 0; f < PS_RECORD_MAX_FIELDS; f++)
        m->column_of[f] = -1;
    for (size_t c = 0; c < ncols; c++) {
        int field = -1, cents = 0;
        for (size_t f = 0; f < L->nfields && field < 0; f++)
            for (size_t j = 0; j < L->fields[f].ncolumns; j++)
                if (strcmp(L->fields[f].columns[j].name, names[c]) == 0) {
                    field = (int)f;
                    cents = L->fields[f].columns[j].cents;
                    break;
                }
        m->cents[c] = cents;
        if (field >= 0 && m->column_of[field] < 0) {
            m->column_of[field] = (int)c;
            m->field_of[c] = field;
            m->matched++;
            continue;
        }
        m->field_of[c] = -2;
        if (field >= 0) {
            if (m->dup_column < 0)
                m->dup_column = (int)c;
            continue;
        }
        int ignored = 0;
        for (size_t j = 0; j < L->nignore && !ignored; j++)
            ignored = strcmp(L->ignore[j], names[c]) == 0;
        if (ignored) {
            m->ignored++;
            continue;
        }
        m->field_of[c] = -1;
        m->unknown++;
        if (m->first_unknown < 0)
            m->first_unknown = (int)c;
    }
    m->candidate = 1;
    for (size_t f = 0; f < L->nfields; f++)
        if (L->fields[f].required && m->column_of[f] < 0) {
            m->candidate = 0;
            m->missing = (int)f;
            break;
        }
}

int ps_csv_choose(const struct ps_csv_layouts *set, char *const *names,
                  size_t ncols, struct ps_csv_match *best)
{
    struct ps_csv_match *m = malloc(sizeof(*m));
    int n = 0;
    memset(best, 0, sizeof(*best));
    best->layout = NULL;
    if (m == NULL || set == NULL || ncols > PS_CSV_COLUMNS_MAX) {
        free(m);
        return 0;
    }
    for (size_t i = 0; i < set->n; i++) {
        match_one(set->v[i], names, ncols, m);
        if (m->candidate) {
            if (n == 0 || m->matched > best->matched ||
                (m->matched == best->matched && m->unknown < best->unknown))
                *best = *m;
            n++;
        } else if (n == 0 &&
                   (best->layout == NULL || m->matched > best->matched)) {
            *best = *m;
        }
    }
    free(m);
    return n;
}
