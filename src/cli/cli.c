/*
 * cli.c -- `payspool COMMAND ...`: argument parsing, output (human or
 * --json) and exit statuses (sysexits.h).  All work is done by the engine;
 * this file only translates.
 *
 * Every command takes --spool DIR, --db PATH and --key PATH (or
 * PAYSPOOL_SPOOL, PAYSPOOL_DB, PAYSPOOL_KEY), defaulting to the
 * repository's spool/, spool/payspool.db and spool.key beside the spool,
 * so several independent instances can run side by side.
 */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>
#include <sysexits.h>
#include <unistd.h>

#include "engine/achconf.h"
#include "outbound/achout.h"
#include "base/calendar.h"
#include "intake/check.h"
#include "base/crypto.h"
#include "formats/csv/csv.h"
#include "engine/engine.h"
#include "engine/ewa.h"
#include "outbound/ewaexport.h"
#include "base/fsutil.h"
#include "engine/ledger.h"
#include "base/log.h"
#include "base/money.h"
#include "sandbox/cardproc.h"
#include "sandbox/odfi.h"
#include "formats/nacha/nacha.h"
#include "outbound/payout.h"
#include "intake/pipeline.h"
#include "engine/provider.h"
#include "outbound/recon.h"
#include "sched/scheduler.h"
#include "intake/spool.h"

#define MAX_OPTS 48
#define MAX_POS 64

/* ---- arguments ------------------------------------------------------ */

struct args {
    const char *pos[MAX_POS];
    int npos;
    const char *name[MAX_OPTS];
    const char *val[MAX_OPTS];
    int nopt;
};

/* Options that take no value. */
static const char *const flags[] = {"json", "card", "debit-fallback",
                                    "rerun", "jobs-only",
                                    "help", "once", NULL};

static int is_flag(const char *name)
{
    for (int i = 0; flags[i] != NULL; i++)
        if (strcmp(flags[i], name) == 0)
            return 1;
    return 0;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "payspool: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'payspool help'.\n");
    va_end(ap);
    return EX_USAGE;
}

/* Split argv into positionals and --name value / --name=value options. */
static int parse(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) == 0 && s[2] != '\0') {
            const char *name = s + 2;
            const char *eq = strchr(name, '=');
            if (a->nopt == MAX_OPTS)
                return usage_error("too many options%s", "");
            if (eq != NULL) {
                /* Store "name" by copying into argv's own memory. */
                argv[i][2 + (eq - name)] = '\0';
                a->name[a->nopt] = name;
                a->val[a->nopt++] = eq + 1;
            } else if (is_flag(name)) {
                a->name[a->nopt] = name;
                a->val[a->nopt++] = "1";
            } else if (i + 1 < argc) {
                a->name[a->nopt] = name;
                a->val[a->nopt++] = argv[++i];
            } else {
                return usage_error("option --%s needs a value", name);
            }
        } else {
            if (a->npos == MAX_POS)
                return usage_error("too many arguments%s", "");
            a->pos[a->npos++] = s;
        }
    }
    return 0;
}

static const char *opt(const struct args *a, const char *name)
{
    for (int i = a->nopt - 1; i >= 0; i--)
        if (strcmp(a->name[i], name) == 0)
            return a->val[i];
    return NULL;
}

/* Every option given must be in `allowed` (space-separated) or global. */
static int check_opts(const struct args *a, const char *allowed)
{
    static const char global[] = " spool db key json log log-level help ";
    for (int i = 0; i < a->nopt; i++) {
        char pat[80], all[512];
        if (ps_pathf(pat, sizeof(pat), " %s ", a->name[i]) != 0 ||
            ps_pathf(all, sizeof(all), " %s ", allowed) != 0)
            return usage_error("option --%.40s is too long", a->name[i]);
        if (strstr(global, pat) == NULL && strstr(all, pat) == NULL)
            return usage_error("unknown option --%s for this command",
                               a->name[i]);
    }
    return 0;
}

/* ---- context -------------------------------------------------------- */

#define PS_CLI_PATH 1024

struct ctx {
    struct args a;
    int json;
    char spool[PS_CLI_PATH];
    char db[PS_CLI_PATH];
    char key[PS_CLI_PATH];
    struct ps_engine *eng;
};

static void resolve_paths(struct ctx *c)
{
    const char *spool = opt(&c->a, "spool");
    const char *db = opt(&c->a, "db");
    const char *key = opt(&c->a, "key");
    if (spool == NULL)
        spool = getenv("PAYSPOOL_SPOOL");
    if (spool == NULL || spool[0] == '\0')
        spool = PS_SOURCE_DIR "/spool";
    ps_pathf(c->spool, sizeof(c->spool), "%s", spool);
    if (db == NULL)
        db = getenv("PAYSPOOL_DB");
    if (db != NULL && db[0] != '\0')
        ps_pathf(c->db, sizeof(c->db), "%s", db);
    else
        ps_pathf(c->db, sizeof(c->db), "%s/payspool.db", c->spool);
    if (key == NULL)
        key = getenv("PAYSPOOL_KEY");
    if (key != NULL && key[0] != '\0')
        ps_pathf(c->key, sizeof(c->key), "%s", key);
    else
        ps_pathf(c->key, sizeof(c->key), "%s.key", c->spool);
}

/* Set when logs go to a file: errors are then logged as well as printed
 * (on stderr the JSON line would only repeat the human one). */
static int log_to_file;

/* Print an error the way every command does, and return its exit code. */
static int fail(const struct ps_err *err)
{
    char buf[1024];
    fprintf(stderr, "payspool: %s\n", ps_err_str(err, buf, sizeof(buf)));
    if (log_to_file)
        ps_log_err(PS_LOG_ERROR, "cli.error", err, NULL);
    return ps_err_exit_status(err->code);
}

static int open_engine(struct ctx *c, int with_keys, struct ps_err *err)
{
    struct stat st;
    if (stat(c->db, &st) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_INITIALISED",
                          "no database at %s; run 'payspool init' first "
                          "(or pass --spool/--db)",
                          c->db);
    return ps_engine_open(c->db, with_keys ? c->key : NULL, &c->eng, err);
}

/* " (the first of N files)", for a payout run that wrote several. */
static const char *files_note(int files, char *buf, size_t size)
{
    snprintf(buf, size, " (the first of %d files)", files);
    return buf;
}

/* The engine settings the spool configuration holds. */
static void engine_settings(struct ctx *c, const struct ps_spool_config *cfg)
{
    c->eng->max_attempts = cfg->provider_max_attempts;
    c->eng->payout_max_records = cfg->payout_max_records;
}

/* Print o; an object that could not be built (invalid UTF-8 in a stored
 * value, no memory) is said on stderr, never silently dropped. */
static void print_json(json_t *o)
{
    char *s =
        o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s == NULL) {
        fprintf(stderr, "payspool: cannot render the JSON output\n");
        return;
    }
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
}

static const char *money_str(int64_t v, const char *currency, char *buf,
                             size_t size)
{
    const struct ps_currency *cur = ps_currency_find(currency);
    return ps_money_format(v, cur != NULL ? cur->exponent : 2, buf, size);
}

/* Parse an amount option in a currency; rule names the option. */
static int amount_opt(const struct args *a, const char *name,
                      const char *currency, int required, int64_t *out,
                      struct ps_err *err)
{
    const char *v = opt(a, name);
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
    return 0;
}

static int int_opt(const struct args *a, const char *name, long min, long max,
                   long dflt, long *out, struct ps_err *err)
{
    const char *v = opt(a, name);
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

static int need(const struct args *a, const char *name, const char **out,
                struct ps_err *err)
{
    *out = opt(a, name);
    if (*out == NULL || (*out)[0] == '\0')
        return ps_err_set(err, PS_EINVAL, "MISSING_OPTION", "--%s is required",
                          name);
    return 0;
}

static int need_pos(const struct args *a, int i, const char *what,
                    struct ps_err *err)
{
    if (a->npos <= i)
        return ps_err_set(err, PS_EINVAL, "MISSING_ARGUMENT", "%s is required",
                          what);
    return 0;
}

/* Read one line (a card or account number) from stdin, without echo in
 * any log; strips the newline. */
static int read_secret(char *buf, size_t size, const char *what,
                       struct ps_err *err)
{
    if (fgets(buf, (int)size, stdin) == NULL)
        return ps_err_set(err, PS_EINVAL, "MISSING_NUMBER",
                          "%s must be given on standard input", what);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* ---- init ----------------------------------------------------------- */

static int init_business_dirs(void *vctx, const struct ps_business *b)
{
    struct ctx *c = vctx;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_spool_business_dirs(c->spool, b->name, &err) != 0)
        fail(&err);
    return 0;
}

static int cmd_init(struct ctx *c, struct ps_err *err)
{
    static const char *const top[] = {"inbound", "work", "archive", "failed",
                                      "outbound"};
    int rc, created = 0;
    if ((rc = check_opts(&c->a, "")) != 0)
        return rc;
    if ((rc = ps_mkdir_p(c->spool, 0750, err)) != 0)
        return fail(err);
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        char path[PS_CLI_PATH];
        if (ps_pathf(path, sizeof(path), "%s/%s", c->spool, top[i]) != 0) {
            ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "spool path too long");
            return fail(err);
        }
        if ((rc = ps_mkdir_p(path, 0750, err)) != 0)
            return fail(err);
    }
    if ((rc = ps_crypto_init(err)) != 0 ||
        (rc = ps_keys_create(c->key, &created, err)) != 0 ||
        (rc = ps_engine_open(c->db, c->key, &c->eng, err)) != 0)
        return fail(err);
    if ((rc = ps_store_business_list(c->eng->store, init_business_dirs, c,
                                     err)) != 0)
        return fail(err);
    ps_log(PS_LOG_INFO, "init.done", "{s:s, s:s, s:b}", "spool", c->spool, "db",
           c->db, "key_created", created);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i}", "spool", c->spool,
                              "db", c->db, "key", c->key, "keyCreated", created,
                              "schemaVersion", ps_store_version(c->eng->store));
        print_json(o);
        json_decref(o);
    } else {
        printf("spool     %s\n", c->spool);
        printf("database  %s (schema version %d)\n", c->db,
               ps_store_version(c->eng->store));
        printf("key file  %s (%s, mode 0600; keep it outside the spool "
               "and back it up)\n",
               c->key, created ? "created" : "already present");
    }
    return EX_OK;
}

/* ---- business ------------------------------------------------------- */

static json_t *business_json(const struct ps_business *b)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s}", "id", b->id, "name",
                     b->name, "displayName", b->display_name, "parentId",
                     b->parent_id[0] != '\0' ? b->parent_id : NULL, "status",
                     ps_enum_name(PS_NAMES_STATUS, (int)b->status), "createdAt",
                     b->created_at);
}

struct list_ctx {
    struct ctx *c;
    json_t *arr;
    int n;
};

static int list_business(void *vctx, const struct ps_business *b)
{
    struct list_ctx *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, business_json(b));
    } else {
        struct ps_business parent;
        const char *pname = "-";
        if (b->parent_id[0] != '\0' &&
            ps_store_business_get(l->c->eng->store, b->parent_id, &parent,
                                  NULL) == 0)
            pname = parent.name;
        printf("%-24s %-20s %-10s %s\n", b->name, pname,
               ps_enum_name(PS_NAMES_STATUS, (int)b->status), b->display_name);
    }
    l->n++;
    return 0;
}

static int cmd_business(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    int rc;
    if (strcmp(sub, "add") == 0) {
        struct ps_business b;
        if ((rc = check_opts(&c->a, "display-name parent")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "business name", err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            ps_business_add(c->eng, c->a.pos[1], opt(&c->a, "display-name"),
                            opt(&c->a, "parent"), &b, err) != 0 ||
            ps_spool_business_dirs(c->spool, b.name, err) != 0)
            return fail(err);
        if (c->json) {
            json_t *o = business_json(&b);
            print_json(o);
            json_decref(o);
        } else {
            printf("business %s added (id %s)\n", b.name, b.id);
            printf("drop files in %s/inbound/%s/\n", c->spool, b.name);
        }
        return EX_OK;
    }
    if (strcmp(sub, "list") == 0) {
        struct list_ctx l = {c, c->json ? json_array() : NULL, 0};
        if ((rc = check_opts(&c->a, "")) != 0)
            return rc;
        if (open_engine(c, 0, err) != 0)
            return fail(err);
        if (!c->json)
            printf("%-24s %-20s %-10s %s\n", "NAME", "PARENT", "STATUS",
                   "DISPLAY NAME");
        if (ps_store_business_list(c->eng->store, list_business, &l, err) !=
            0) {
            json_decref(l.arr);
            return fail(err);
        }
        if (c->json) {
            print_json(l.arr);
            json_decref(l.arr);
        }
        return EX_OK;
    }
    return usage_error("usage: payspool business add|list%s", "");
}

/* ---- program -------------------------------------------------------- */

static json_t *program_json(const struct ps_program *p)
{
    char v[7][PS_MONEY_STRMAX], rate[PS_MONEY_STRMAX];
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:i,"
        " s:i, s:s, s:s}",
        "id", p->id, "businessId", p->business_id, "name", p->name, "currency",
        p->currency, "advanceRatePercent",
        ps_money_format(p->advance_rate_bp, 2, rate, sizeof(rate)),
        "minTransfer", money_str(p->min_transfer, p->currency, v[0], 32),
        "maxTransfer", money_str(p->max_transfer, p->currency, v[1], 32),
        "periodCap", money_str(p->period_cap, p->currency, v[2], 32),
        "maxOutstanding", money_str(p->max_outstanding, p->currency, v[3], 32),
        "feeCard", money_str(p->fee_card, p->currency, v[4], 32), "feeAch",
        money_str(p->fee_ach, p->currency, v[5], 32), "debitFallback",
        p->debit_fallback, "maxDebitAttempts", p->max_debit_attempts,
        "badDebtAfter", p->bad_debt_after, "status",
        ps_enum_name(PS_NAMES_STATUS, (int)p->status), "createdAt",
        p->created_at);
}

static int list_program(void *vctx, const struct ps_program *p)
{
    struct list_ctx *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, program_json(p));
    } else {
        char rate[PS_MONEY_STRMAX], mx[PS_MONEY_STRMAX], cap[PS_MONEY_STRMAX],
            fc[PS_MONEY_STRMAX], fa[PS_MONEY_STRMAX];
        printf("%-20s %-4s %6s%% %10s %10s %8s %8s %s\n", p->name, p->currency,
               ps_money_format(p->advance_rate_bp, 2, rate, sizeof(rate)),
               money_str(p->max_transfer, p->currency, mx, sizeof(mx)),
               money_str(p->period_cap, p->currency, cap, sizeof(cap)),
               money_str(p->fee_card, p->currency, fc, sizeof(fc)),
               money_str(p->fee_ach, p->currency, fa, sizeof(fa)), p->id);
    }
    l->n++;
    return 0;
}

/* "50%", "50", "12.5%" -> basis points. */
static int rate_opt(const struct args *a, int *bp, struct ps_err *err)
{
    const char *v = opt(a, "advance-rate");
    int64_t n;
    size_t len;
    if (v == NULL) {
        *bp = 5000; /* 50 %: the common practice (domain brief, section 4) */
        return 0;
    }
    len = strlen(v);
    if (len > 0 && v[len - 1] == '%')
        len--;
    if (ps_money_parse(v, len, 2, 0, &n, err) != 0 || n < 1 || n > 10000) {
        ps_err_set(err, PS_EINVAL, "PROGRAM_LIMIT",
                   "--advance-rate must be a percentage from 0.01%% to 100%%");
        ps_err_field(err, "advance-rate");
        return PS_EINVAL;
    }
    *bp = (int)n;
    return 0;
}

static int cmd_program(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_business b;
    int rc;
    if (strcmp(sub, "add") == 0) {
        struct ps_program p;
        const char *bus, *name, *cur;
        long attempts, bad_debt;
        memset(&p, 0, sizeof(p));
        if ((rc = check_opts(&c->a,
                             "business name currency advance-rate min max "
                             "period-cap max-outstanding fee-card fee-ach "
                             "debit-fallback max-debit-attempts "
                             "bad-debt-after")) != 0)
            return rc;
        cur = opt(&c->a, "currency");
        if (cur == NULL)
            cur = "USD";
        if (need(&c->a, "business", &bus, err) != 0 ||
            need(&c->a, "name", &name, err) != 0 ||
            rate_opt(&c->a, &p.advance_rate_bp, err) != 0 ||
            amount_opt(&c->a, "min", cur, 1, &p.min_transfer, err) != 0 ||
            amount_opt(&c->a, "max", cur, 1, &p.max_transfer, err) != 0 ||
            amount_opt(&c->a, "period-cap", cur, 1, &p.period_cap, err) != 0 ||
            amount_opt(&c->a, "max-outstanding", cur, 1, &p.max_outstanding,
                       err) != 0 ||
            amount_opt(&c->a, "fee-card", cur, 0, &p.fee_card, err) != 0 ||
            amount_opt(&c->a, "fee-ach", cur, 0, &p.fee_ach, err) != 0 ||
            int_opt(&c->a, "max-debit-attempts", 0, 10,
                    opt(&c->a, "debit-fallback") ? 2 : 0, &attempts,
                    err) != 0 ||
            int_opt(&c->a, "bad-debt-after", 1, 24, 3, &bad_debt, err) != 0)
            return fail(err);
        ps_strlcpy(p.business_id, bus, sizeof(p.business_id));
        ps_strlcpy(p.name, name, sizeof(p.name));
        ps_strlcpy(p.currency, cur, sizeof(p.currency));
        p.debit_fallback = opt(&c->a, "debit-fallback") != NULL;
        p.max_debit_attempts = (int)attempts;
        p.bad_debt_after = (int)bad_debt;
        if (open_engine(c, 0, err) != 0 || ps_program_add(c->eng, &p, err) != 0)
            return fail(err);
        if (c->json) {
            json_t *o = program_json(&p);
            print_json(o);
            json_decref(o);
        } else {
            printf("program %s added to %s (id %s)\n", p.name, bus, p.id);
        }
        return EX_OK;
    }
    if (strcmp(sub, "list") == 0) {
        const char *bus;
        struct list_ctx l = {c, c->json ? json_array() : NULL, 0};
        if ((rc = check_opts(&c->a, "business")) != 0)
            return rc;
        if (need(&c->a, "business", &bus, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            ps_business_find(c->eng, bus, &b, err) != 0) {
            json_decref(l.arr);
            return fail(err);
        }
        if (!c->json)
            printf("%-20s %-4s %7s %10s %10s %8s %8s %s\n", "NAME", "CUR",
                   "RATE", "MAX", "PERIODCAP", "FEECARD", "FEEACH", "ID");
        if (ps_store_program_list(c->eng->store, b.id, list_program, &l, err) !=
            0) {
            json_decref(l.arr);
            return fail(err);
        }
        if (c->json) {
            print_json(l.arr);
            json_decref(l.arr);
        }
        return EX_OK;
    }
    return usage_error("usage: payspool program add|list%s", "");
}

/* ---- customer ------------------------------------------------------- */

static int add_contact_json(void *vctx, const struct ps_contact *k)
{
    json_array_append_new(
        vctx, json_pack("{s:b, s:s, s:s, s:s, s:s}", "primary", k->primary,
                        "firstName", k->first_name, "lastName", k->last_name,
                        "email", k->email, "phone", k->phone));
    return 0;
}

static int add_address_json(void *vctx, const struct ps_address *a)
{
    json_array_append_new(
        vctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                        ps_enum_name(PS_NAMES_ADDRESS_TYPE, (int)a->type),
                        "line1", a->line1, "line2", a->line2, "city", a->city,
                        "region", a->region, "postalCode", a->postal_code,
                        "country", a->country));
    return 0;
}

static json_t *account_json(const struct ps_account *a)
{
    char mask[PS_MASK_SIZE];
    if (a->kind == PS_ACCOUNT_EXTERNAL_CARD)
        snprintf(mask, sizeof(mask), "%s******%s", a->bin, a->last4);
    else
        snprintf(mask, sizeof(mask), "****%s", a->last4);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s}", "id", a->id,
                     "kind", ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a->kind),
                     "displayName", a->display_name, "status",
                     ps_enum_name(PS_NAMES_STATUS, (int)a->status), "number",
                     mask, "routingNumber",
                     a->routing_number[0] ? a->routing_number : NULL,
                     "accountType",
                     a->bank_type != PS_BANK_NONE
                         ? ps_enum_name(PS_NAMES_BANK_TYPE, (int)a->bank_type)
                         : NULL,
                     "createdAt", a->created_at);
}

static int add_account_json(void *vctx, const struct ps_account *a)
{
    json_array_append_new(vctx, account_json(a));
    return 0;
}

static int cust_lookup(struct ctx *c, const char *ext, struct ps_business *b,
                       struct ps_customer *cu, struct ps_err *err)
{
    const char *bus;
    int rc;
    if ((rc = need(&c->a, "business", &bus, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, b, err)) != 0)
        return rc;
    rc = ps_store_customer_get_ext(c->eng->store, b->id, ext, cu, err);
    if (rc == PS_ENOTFOUND)
        ps_err_set(err, rc, "CUSTOMER_NOT_FOUND", "no customer %s in %s", ext,
                   b->name);
    return rc;
}

/* Append o to the array, with "sourceLine" when the line is known. */
static int append_sourced(json_t *arr, json_t *o, long line)
{
    if (o == NULL)
        return 0;
    if (line > 0)
        json_object_set_new(o, "sourceLine", json_integer((json_int_t)line));
    json_array_append_new(arr, o);
    return 0;
}

static int add_status_history_json(void *vctx,
                                 const struct ps_status_history_row *h)
{
    json_t *o = json_pack(
        "{s:s?, s:s, s:s?, s:s?, s:s}", "from",
        h->from_status >= 0 ? ps_enum_name(PS_NAMES_STATUS, h->from_status)
                            : NULL,
        "to", ps_enum_name(PS_NAMES_STATUS, (int)h->to_status), "reason",
        h->reason[0] ? h->reason : NULL, "sourceFile",
        h->source_file[0] ? h->source_file : NULL, "at", h->created_at);
    return append_sourced(vctx, o, h->source_line);
}

/* "file, line N" of a history or change object, or "". */
static void source_of(json_t *o, char *buf, size_t size)
{
    const char *f = json_string_value(json_object_get(o, "sourceFile"));
    json_int_t line = json_integer_value(json_object_get(o, "sourceLine"));
    buf[0] = '\0';
    if (f != NULL && line > 0)
        snprintf(buf, size, " (%s, line %lld)", f, (long long)line);
    else if (f != NULL)
        snprintf(buf, size, " (%s)", f);
}

/* The status history lines of `customer show` and `account show`. */
static void print_status_history(json_t *hist)
{
    size_t i;
    json_t *v;
    char src[PS_PATH_SIZE + 32];
    json_array_foreach(hist, i, v)
    {
        const char *from = json_string_value(json_object_get(v, "from"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        source_of(v, src, sizeof(src));
        printf("  status    %s  %s -> %s  %s%s\n",
               json_string_value(json_object_get(v, "at")),
               from ? from : "(new)",
               json_string_value(json_object_get(v, "to")),
               reason ? reason : "", src);
    }
}

static int customer_show(struct ctx *c, const char *ext, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer cu;
    json_t *contacts = json_array(), *addrs = json_array(),
           *accts = json_array(), *hist = json_array();
    int rc = cust_lookup(c, ext, &b, &cu, err);
    if (rc == 0)
        rc = ps_store_customer_contacts(c->eng->store, cu.id, add_contact_json,
                                        contacts, err);
    if (rc == 0)
        rc = ps_store_customer_addresses(c->eng->store, cu.id, add_address_json,
                                         addrs, err);
    if (rc == 0)
        rc = ps_store_account_list(c->eng->store, cu.id, add_account_json,
                                   accts, err);
    if (rc == 0)
        rc = ps_store_customer_history(c->eng->store, cu.id,
                                       add_status_history_json, hist, err);
    if (rc != 0) {
        json_decref(contacts);
        json_decref(addrs);
        json_decref(accts);
        json_decref(hist);
        return fail(err);
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:o,"
        " s:o, s:o, s:s, s:s}",
        "id", cu.id, "businessId", cu.business_id, "externalId", cu.external_id,
        "type", ps_enum_name(PS_NAMES_CUSTOMER_TYPE, (int)cu.type), "firstName",
        cu.first_name[0] ? cu.first_name : NULL, "middleName",
        cu.middle_name[0] ? cu.middle_name : NULL, "lastName",
        cu.last_name[0] ? cu.last_name : NULL, "dbaName",
        cu.dba_name[0] ? cu.dba_name : NULL, "email",
        cu.email[0] ? cu.email : NULL, "phone", cu.phone[0] ? cu.phone : NULL,
        "status", ps_enum_name(PS_NAMES_STATUS, (int)cu.status), "contacts",
        contacts, "addresses", addrs, "financialAccounts", accts, "createdAt",
        cu.created_at, "updatedAt", cu.updated_at);
    json_object_set_new(o, "history", hist);
    if (c->json) {
        print_json(o);
    } else {
        size_t i;
        json_t *v;
        if (cu.type == PS_CUSTOMER_INDIVIDUAL)
            printf("%s %s%s%s  (%s, %s)\n", cu.first_name, cu.middle_name,
                   cu.middle_name[0] ? " " : "", cu.last_name, cu.external_id,
                   ps_enum_name(PS_NAMES_STATUS, (int)cu.status));
        else
            printf("%s  (%s, BUSINESS, %s)\n", cu.dba_name, cu.external_id,
                   ps_enum_name(PS_NAMES_STATUS, (int)cu.status));
        printf("id        %s\nbusiness  %s\n", cu.id, b.name);
        if (cu.email[0])
            printf("email     %s\nphone     %s\n", cu.email, cu.phone);
        json_array_foreach(contacts, i, v)
        {
            printf("contact   %s %s <%s> %s%s\n",
                   json_string_value(json_object_get(v, "firstName")),
                   json_string_value(json_object_get(v, "lastName")),
                   json_string_value(json_object_get(v, "email")),
                   json_string_value(json_object_get(v, "phone")),
                   json_is_true(json_object_get(v, "primary")) ? " (primary)"
                                                               : "");
        }
        json_array_foreach(addrs, i, v)
        {
            printf("address   %s: %s, %s %s %s\n",
                   json_string_value(json_object_get(v, "type")),
                   json_string_value(json_object_get(v, "line1")),
                   json_string_value(json_object_get(v, "city")),
                   json_string_value(json_object_get(v, "postalCode")),
                   json_string_value(json_object_get(v, "country")));
        }
        json_array_foreach(accts, i, v)
        {
            printf("account   %s %-13s %-16s %-9s %s\n",
                   json_string_value(json_object_get(v, "id")),
                   json_string_value(json_object_get(v, "kind")),
                   json_string_value(json_object_get(v, "number")),
                   json_string_value(json_object_get(v, "status")),
                   json_string_value(json_object_get(v, "displayName")));
        }
        print_status_history(hist);
    }
    json_decref(o);
    return EX_OK;
}

/* Copy an option's value into a fixed field; a value that does not fit is
 * an error (never cut: a cut value could pass validation). */
static int copy_opt(const struct args *a, const char *name, char *dst,
                    size_t size, struct ps_err *err)
{
    const char *v = opt(a, name);
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
static int customer_add(struct ctx *c, struct ps_err *err)
{
    struct ps_customer cu;
    struct ps_contact contact;
    struct ps_address addr;
    struct ps_business b;
    const char *bus, *type = opt(&c->a, "type");
    size_t ncontacts = 0, naddr = 0;
    int rc;
    memset(&cu, 0, sizeof(cu));
    memset(&contact, 0, sizeof(contact));
    memset(&addr, 0, sizeof(addr));
    if ((rc = need(&c->a, "business", &bus, err)) != 0 ||
        (rc = need_pos(&c->a, 1, "external id", err)) != 0)
        return fail(err);
    rc = type == NULL ? PS_CUSTOMER_INDIVIDUAL
                      : ps_enum_parse(PS_NAMES_CUSTOMER_TYPE, type);
    if (rc < 0)
        return usage_error("--type must be INDIVIDUAL or BUSINESS%s", "");
    cu.type = (enum ps_customer_type)rc;
    if (strlen(c->a.pos[1]) >= sizeof(cu.external_id)) {
        ps_err_set(err, PS_EINVAL, "EXTERNAL_ID_FORMAT",
                   "externalId must be 1 to 64 characters");
        return fail(err);
    }
    ps_strlcpy(cu.external_id, c->a.pos[1], sizeof(cu.external_id));
    if (copy_opt(&c->a, "first-name", cu.first_name, sizeof(cu.first_name),
                 err) != 0 ||
        copy_opt(&c->a, "middle-name", cu.middle_name, sizeof(cu.middle_name),
                 err) != 0 ||
        copy_opt(&c->a, "last-name", cu.last_name, sizeof(cu.last_name), err) !=
            0 ||
        copy_opt(&c->a, "dba-name", cu.dba_name, sizeof(cu.dba_name), err) !=
            0 ||
        copy_opt(&c->a, "email", cu.email, sizeof(cu.email), err) != 0 ||
        copy_opt(&c->a, "phone", cu.phone, sizeof(cu.phone), err) != 0)
        return fail(err);
    if (cu.type == PS_CUSTOMER_BUSINESS) {
        /* The primary contact: the individual's name fields. */
        contact.primary = 1;
        ps_strlcpy(contact.first_name, cu.first_name,
                   sizeof(contact.first_name));
        ps_strlcpy(contact.last_name, cu.last_name, sizeof(contact.last_name));
        ps_strlcpy(contact.email, cu.email, sizeof(contact.email));
        ps_strlcpy(contact.phone, cu.phone, sizeof(contact.phone));
        cu.first_name[0] = cu.last_name[0] = cu.email[0] = cu.phone[0] = '\0';
        ncontacts = 1;
    }
    if (opt(&c->a, "address-line1") != NULL) {
        const char *t = opt(&c->a, "address-type");
        int at = ps_enum_parse(PS_NAMES_ADDRESS_TYPE, t ? t : "MAILING");
        if (at < 0)
            return usage_error("unknown --address-type %s", t);
        addr.type = (enum ps_address_type)at;
        if (copy_opt(&c->a, "address-line1", addr.line1, sizeof(addr.line1),
                     err) != 0 ||
            copy_opt(&c->a, "address-line2", addr.line2, sizeof(addr.line2),
                     err) != 0 ||
            copy_opt(&c->a, "city", addr.city, sizeof(addr.city), err) != 0 ||
            copy_opt(&c->a, "region", addr.region, sizeof(addr.region), err) !=
                0 ||
            copy_opt(&c->a, "postal-code", addr.postal_code,
                     sizeof(addr.postal_code), err) != 0 ||
            copy_opt(&c->a, "country", addr.country, sizeof(addr.country),
                     err) != 0)
            return fail(err);
        naddr = 1;
    }
    if (open_engine(c, 0, err) != 0 ||
        ps_business_find(c->eng, bus, &b, err) != 0)
        return fail(err);
    ps_strlcpy(cu.business_id, b.id, sizeof(cu.business_id));
    if (ps_customer_create(c->eng, &cu, &contact, ncontacts, &addr, naddr, NULL,
                           err) != 0)
        return fail(err);
    if (!c->json) {
        printf("customer %s added to %s (id %s)\n", cu.external_id, b.name,
               cu.id);
        return EX_OK;
    }
    return customer_show(c, cu.external_id, err);
}

static int customer_status(struct ctx *c, enum ps_status to, struct ps_err *err)
{
    struct ps_business b;
    struct ps_customer cu;
    struct ps_source src = {opt(&c->a, "reason"), NULL, 0};
    if (need_pos(&c->a, 1, "external id", err) != 0 ||
        need(&c->a, "reason", &src.reason, err) != 0 ||
        open_engine(c, 0, err) != 0 ||
        cust_lookup(c, c->a.pos[1], &b, &cu, err) != 0 ||
        ps_customer_set_status(c->eng, cu.id, to, &src, err) != 0)
        return fail(err);
    if (!c->json)
        printf("customer %s is now %s\n", cu.external_id,
               ps_enum_name(PS_NAMES_STATUS, (int)to));
    else
        return customer_show(c, cu.external_id, err);
    return EX_OK;
}

static int cmd_customer(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    int rc;
    if (strcmp(sub, "show") == 0) {
        if ((rc = check_opts(&c->a, "business")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "external id", err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        return customer_show(c, c->a.pos[1], err);
    }
    if (strcmp(sub, "add") == 0) {
        if ((rc = check_opts(&c->a,
                             "business type first-name middle-name "
                             "last-name dba-name email phone address-type "
                             "address-line1 address-line2 city region "
                             "postal-code country")) != 0)
            return rc;
        return customer_add(c, err);
    }
    if (strcmp(sub, "suspend") == 0 || strcmp(sub, "reactivate") == 0) {
        if ((rc = check_opts(&c->a, "business reason")) != 0)
            return rc;
        return customer_status(
            c, sub[0] == 's' ? PS_STATUS_SUSPENDED : PS_STATUS_ACTIVE, err);
    }
    return usage_error("usage: payspool customer add|show|suspend|reactivate%s",
                       "");
}

/* ---- account -------------------------------------------------------- */

static int account_in_business(struct ctx *c, const char *id,
                               struct ps_account *a, struct ps_err *err)
{
    struct ps_business b;
    const char *bus;
    int rc;
    if ((rc = need(&c->a, "business", &bus, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, &b, err)) != 0 ||
        (rc = ps_store_account_get(c->eng->store, id, a, err)) != 0)
        return rc;
    if (strcmp(a->business_id, b.id) != 0)
        return ps_err_set(err, PS_ENOTFOUND, "ACCOUNT_NOT_FOUND",
                          "no account %s in %s", id, b.name);
    return 0;
}

static int add_debit_auth_json(void *vctx, const struct ps_debit_auth *d)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id", d->id, "kind",
                  ps_enum_name(PS_NAMES_DEBIT_AUTH, (int)d->kind), "reference",
                  d->reference, "status", d->active ? "ACTIVE" : "REVOKED",
                  "authorizedAt", d->authorized_at, "revokedAt",
                  d->revoked_at[0] ? d->revoked_at : NULL, "revokeReason",
                  d->revoke_reason[0] ? d->revoke_reason : NULL);
    if (o != NULL)
        json_array_append_new(vctx, o);
    return 0;
}

static int add_change_json(void *vctx, const struct ps_account_change *ch)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:b, s:s?, s:s?, s:s, s:s?, s:s}", "id", ch->id,
        "changeCode", ch->change_code, "refused", ch->refused, "transactionId",
        ch->txn_id[0] ? ch->txn_id : NULL, "originalTrace",
        ch->original_trace[0] ? ch->original_trace : NULL, "whatChanged",
        ch->what_changed, "sourceFile",
        ch->source_file[0] ? ch->source_file : NULL, "at", ch->created_at);
    return append_sourced(vctx, o, ch->source_line);
}

/* payspool account show ID: the account with its status history, debit
 * authorizations and notifications of change, numbers masked. */
static int account_show(struct ctx *c, struct ps_err *err)
{
    struct ps_account a;
    struct ps_customer cu;
    json_t *hist = json_array(), *auths = json_array(), *changes = json_array();
    int rc = account_in_business(c, c->a.pos[1], &a, err);
    if (rc == 0)
        rc = ps_store_customer_get(c->eng->store, a.customer_id, &cu, err);
    if (rc == 0)
        rc = ps_store_account_history(c->eng->store, a.id,
                                      add_status_history_json, hist, err);
    if (rc == 0)
        rc = ps_store_debit_auth_list(c->eng->store, a.id, add_debit_auth_json,
                                      auths, err);
    if (rc == 0)
        rc = ps_store_account_changes(c->eng->store, a.id, add_change_json,
                                      changes, err);
    if (rc != 0) {
        json_decref(hist);
        json_decref(auths);
        json_decref(changes);
        return fail(err);
    }
    json_t *o = account_json(&a);
    json_object_set_new(o, "customerId", json_string(cu.id));
    json_object_set_new(o, "customerExternalId", json_string(cu.external_id));
    json_object_set_new(o, "updatedAt", json_string(a.updated_at));
    json_object_set_new(o, "history", hist);
    json_object_set_new(o, "debitAuthorizations", auths);
    json_object_set_new(o, "changes", changes);
    if (c->json) {
        print_json(o);
        json_decref(o);
        return EX_OK;
    }
    size_t i;
    json_t *v;
    char src[PS_PATH_SIZE + 32];
    printf("account   %s\n", a.id);
    printf("  %s %s %s, %s\n", ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a.kind),
           json_string_value(json_object_get(o, "number")), a.display_name,
           ps_enum_name(PS_NAMES_STATUS, (int)a.status));
    if (a.kind == PS_ACCOUNT_EXTERNAL_BANK)
        printf("  routing %s, %s\n", a.routing_number,
               ps_enum_name(PS_NAMES_BANK_TYPE, (int)a.bank_type));
    printf("  customer %s (%s)\n", cu.external_id, cu.id);
    printf("  created %s, updated %s\n", a.created_at, a.updated_at);
    print_status_history(hist);
    json_array_foreach(auths, i, v)
    {
        const char *revoked =
            json_string_value(json_object_get(v, "revokedAt"));
        const char *why = json_string_value(json_object_get(v, "revokeReason"));
        printf("  debit authorization  %s %s \"%s\" since %s",
               json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "status")),
               json_string_value(json_object_get(v, "reference")),
               json_string_value(json_object_get(v, "authorizedAt")));
        if (revoked != NULL)
            printf(", revoked %s: %s", revoked, why ? why : "");
        printf("\n");
    }
    json_array_foreach(changes, i, v)
    {
        const char *trace =
            json_string_value(json_object_get(v, "originalTrace"));
        source_of(v, src, sizeof(src));
        printf("  change    %s  %s %s: %s%s%s%s\n",
               json_string_value(json_object_get(v, "at")),
               json_string_value(json_object_get(v, "changeCode")),
               json_is_true(json_object_get(v, "refused")) ? "refused"
                                                           : "received",
               json_string_value(json_object_get(v, "whatChanged")),
               trace ? ", trace " : "", trace ? trace : "", src);
    }
    json_decref(o);
    return EX_OK;
}

static int cmd_account(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_business b;
    struct ps_customer cu;
    struct ps_account a;
    int rc;
    if (strcmp(sub, "add") == 0) {
        char number[64];
        const char *name = opt(&c->a, "name");
        if ((rc = check_opts(&c->a, "business customer card routing "
                                    "account-type name")) != 0)
            return rc;
        if (open_engine(c, 1, err) != 0 ||
            need_pos(&c->a, 1, "customer external id", err) != 0 ||
            cust_lookup(c, c->a.pos[1], &b, &cu, err) != 0)
            return fail(err);
        if (opt(&c->a, "card") != NULL) {
            rc = read_secret(number, sizeof(number), "the card number", err);
            if (rc == 0)
                rc = ps_account_add_card(
                    c->eng, cu.id, name ? name : "Debit card", number, &a, err);
        } else {
            const char *routing, *t = opt(&c->a, "account-type");
            int bt = ps_enum_parse(PS_NAMES_BANK_TYPE, t ? t : "CHECKING");
            rc = need(&c->a, "routing", &routing, err);
            if (rc == 0)
                rc = read_secret(number, sizeof(number),
                                 "the bank account number", err);
            if (rc == 0)
                rc = ps_account_add_bank(
                    c->eng, cu.id, name ? name : "Bank account", routing,
                    number, bt < 0 ? PS_BANK_NONE : (enum ps_bank_type)bt, &a,
                    err);
        }
        sodium_memzero(number, sizeof(number));
        if (rc != 0)
            return fail(err);
        if (c->json) {
            json_t *o = account_json(&a);
            print_json(o);
            json_decref(o);
        } else {
            printf("account %s added for %s (%s ****%s)\n", a.id,
                   cu.external_id,
                   ps_enum_name(PS_NAMES_ACCOUNT_KIND, (int)a.kind), a.last4);
        }
        return EX_OK;
    }
    if (strcmp(sub, "suspend") == 0 || strcmp(sub, "reactivate") == 0) {
        struct ps_source src = {NULL, NULL, 0};
        enum ps_status to =
            sub[0] == 's' ? PS_STATUS_SUSPENDED : PS_STATUS_ACTIVE;
        if ((rc = check_opts(&c->a, "business reason")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "account id", err) != 0 ||
            need(&c->a, "reason", &src.reason, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            account_in_business(c, c->a.pos[1], &a, err) != 0 ||
            ps_account_set_status(c->eng, a.id, to, &src, err) != 0)
            return fail(err);
        if (c->json) {
            if (ps_store_account_get(c->eng->store, a.id, &a, err) != 0)
                return fail(err);
            json_t *o = account_json(&a);
            print_json(o);
            json_decref(o);
        } else {
            printf("account %s is now %s\n", a.id,
                   ps_enum_name(PS_NAMES_STATUS, (int)to));
        }
        return EX_OK;
    }
    if (strcmp(sub, "show") == 0) {
        if ((rc = check_opts(&c->a, "business")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "account id", err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        return account_show(c, err);
    }
    if (strcmp(sub, "authorize") == 0) {
        const char *kind = opt(&c->a, "kind"), *ref;
        int k = ps_enum_parse(PS_NAMES_DEBIT_AUTH, kind ? kind : "PPD");
        if ((rc = check_opts(&c->a, "business kind reference")) != 0)
            return rc;
        if (k < 0)
            return usage_error("--kind must be WEB, PPD or CCD%s", "");
        if (need_pos(&c->a, 1, "account id", err) != 0 ||
            need(&c->a, "reference", &ref, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            account_in_business(c, c->a.pos[1], &a, err) != 0 ||
            ps_account_authorize_debit(c->eng, a.id, (enum ps_debit_auth_kind)k,
                                       ref, err) != 0)
            return fail(err);
        if (c->json) {
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "accountId", a.id,
                                  "kind", ps_enum_name(PS_NAMES_DEBIT_AUTH, k),
                                  "reference", ref, "status", "ACTIVE");
            print_json(o);
            json_decref(o);
        } else {
            printf("debit authorization %s recorded for account %s\n",
                   ps_enum_name(PS_NAMES_DEBIT_AUTH, k), a.id);
        }
        return EX_OK;
    }
    return usage_error("usage: payspool account add|show|suspend|reactivate|"
                       "authorize%s",
                       "");
}

/* ---- ewa ------------------------------------------------------------ */

static int ewa_profile(struct ctx *c, struct ps_business *b,
                       struct ps_profile *p, struct ps_err *err)
{
    const char *bus;
    int rc;
    if ((rc = need_pos(&c->a, 1, "external id", err)) != 0 ||
        (rc = need(&c->a, "business", &bus, err)) != 0 ||
        (rc = open_engine(c, 0, err)) != 0 ||
        (rc = ps_business_find(c->eng, bus, b, err)) != 0)
        return rc;
    return ps_ewa_find(c->eng, b->id, c->a.pos[1], p, err);
}

struct first_card {
    char id[PS_ID_SIZE];
};

static int pick_account(void *vctx, const struct ps_account *a)
{
    struct first_card *f = vctx;
    if (a->status == PS_STATUS_ACTIVE) {
        ps_strlcpy(f->id, a->id, sizeof(f->id));
        /* Prefer a card (push-to-card is the EWA rail); keep looking. */
        if (a->kind == PS_ACCOUNT_EXTERNAL_CARD)
            return 1;
    }
    return 0;
}

/* The profile object, first page: what --json commands on a profile
 * print after changing it. */
static int ewa_print(struct ctx *c, const struct ps_business *b,
                     const char *external_id, struct ps_err *err)
{
    json_t *o;
    if (ps_ewa_show(c->eng, b->id, external_id, 0, 20, &o, err) != 0)
        return fail(err);
    print_json(o);
    json_decref(o);
    return EX_OK;
}

static int cmd_ewa(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_business b;
    struct ps_profile p;
    int rc;
    if (strcmp(sub, "show") == 0) {
        long page, size;
        json_t *o;
        if ((rc = check_opts(&c->a, "business page size")) != 0)
            return rc;
        if (int_opt(&c->a, "page", 0, 1000000, 0, &page, err) != 0 ||
            int_opt(&c->a, "size", 1, 1000, 20, &size, err) != 0 ||
            ewa_profile(c, &b, &p, err) != 0 ||
            ps_ewa_show(c->eng, b.id, p.external_id, (int)page, (int)size, &o,
                        err) != 0)
            return fail(err);
        print_json(o);
        json_decref(o);
        return EX_OK;
    }
    if (strcmp(sub, "export") == 0) {
        char path[PS_PATH_SIZE];
        const char *bus;
        long size, n = 0;
        if ((rc = check_opts(&c->a, "business page-size")) != 0)
            return rc;
        if (int_opt(&c->a, "page-size", 1, 1000, 100, &size, err) != 0 ||
            need(&c->a, "business", &bus, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            ps_business_find(c->eng, bus, &b, err) != 0 ||
            ps_ewaexport_write(c->eng, c->spool, &b, (int)size, path,
                               sizeof(path), &n, err) != 0)
            return fail(err);
        if (c->json) {
            json_t *o = json_pack("{s:s, s:s, s:I}", "business", b.name,
                                  "path", path, "profiles", (json_int_t)n);
            print_json(o);
            json_decref(o);
        } else
            printf("exported %ld EWA profiles of %s to %s\n", n, b.name, path);
        return EX_OK;
    }
    if (strcmp(sub, "enroll") == 0) {
        struct ps_customer cu;
        struct first_card acct = {""};
        const char *prog, *cust, *aid;
        if ((rc = check_opts(&c->a, "business program customer account "
                                    "begin end reason")) != 0)
            return rc;
        memset(&p, 0, sizeof(p));
        if (need_pos(&c->a, 1, "external id", err) != 0 ||
            need(&c->a, "program", &prog, err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        cust = opt(&c->a, "customer");
        if (cust == NULL)
            cust = c->a.pos[1];
        if (cust_lookup(c, cust, &b, &cu, err) != 0)
            return fail(err);
        aid = opt(&c->a, "account");
        if (aid == NULL) {
            if (ps_store_account_list(c->eng->store, cu.id, pick_account, &acct,
                                      err) != 0)
                return fail(err);
            if (acct.id[0] == '\0') {
                ps_err_set(err, PS_EINVAL, "NO_ACCOUNT",
                           "customer %s has no active financial account",
                           cu.external_id);
                return fail(err);
            }
            aid = acct.id;
        }
        ps_strlcpy(p.business_id, b.id, sizeof(p.business_id));
        ps_strlcpy(p.external_id, c->a.pos[1], sizeof(p.external_id));
        ps_strlcpy(p.customer_id, cu.id, sizeof(p.customer_id));
        ps_strlcpy(p.account_id, aid, sizeof(p.account_id));
        ps_strlcpy(p.program_id, prog, sizeof(p.program_id));
        struct ps_source src = {opt(&c->a, "reason"), NULL, 0};
        if (copy_opt(&c->a, "begin", p.enrollment_begin,
                     sizeof(p.enrollment_begin), err) != 0 ||
            copy_opt(&c->a, "end", p.enrollment_end, sizeof(p.enrollment_end),
                     err) != 0 ||
            ps_ewa_enroll(c->eng, &p, &src, err) != 0)
            return fail(err);
        if (c->json)
            return ewa_print(c, &b, p.external_id, err);
        printf("EWA profile %s enrolled in %s (id %s, status NEW)\n",
               p.external_id, prog, p.id);
        return EX_OK;
    }
    if (strcmp(sub, "eligibility") == 0) {
        const char *status;
        struct ps_source src = {NULL, NULL, 0};
        if ((rc = check_opts(&c->a, "business status reason")) != 0)
            return rc;
        if (need(&c->a, "status", &status, err) != 0 ||
            need(&c->a, "reason", &src.reason, err) != 0)
            return fail(err);
        int to = ps_enum_parse(PS_NAMES_ELIGIBILITY, status);
        if (to < 0)
            return usage_error("--status must be one of NEW ELIGIBLE "
                               "INELIGIBLE ARREARS BAD_DEBT DISABLED, not %s",
                               status);
        if (ewa_profile(c, &b, &p, err) != 0 ||
            ps_ewa_set_eligibility(c->eng, p.id, (enum ps_eligibility)to, &src,
                                   err) != 0)
            return fail(err);
        if (c->json)
            return ewa_print(c, &b, p.external_id, err);
        printf("EWA profile %s: %s -> %s (%s)\n", p.external_id,
               ps_enum_name(PS_NAMES_ELIGIBILITY, (int)p.eligibility), status,
               src.reason);
        return EX_OK;
    }
    if (strcmp(sub, "enrollment") == 0) {
        const char *status;
        if ((rc = check_opts(&c->a, "business status begin end")) != 0)
            return rc;
        if (need(&c->a, "status", &status, err) != 0)
            return fail(err);
        int to = ps_enum_parse(PS_NAMES_ENROLLMENT, status);
        if (to < 0)
            return usage_error("--status must be ACTIVE or INACTIVE, not %s",
                               status);
        if (ewa_profile(c, &b, &p, err) != 0 ||
            ps_ewa_set_enrollment(c->eng, p.id, (enum ps_enrollment)to,
                                  opt(&c->a, "begin"), opt(&c->a, "end"),
                                  err) != 0)
            return fail(err);
        if (c->json)
            return ewa_print(c, &b, p.external_id, err);
        printf("EWA profile %s enrollment is now %s\n", p.external_id, status);
        return EX_OK;
    }
    return usage_error("usage: payspool ewa show|export|enroll|eligibility|"
                       "enrollment%s",
                       "");
}

/* ---- tx ------------------------------------------------------------- */

static int add_history_json(void *vctx, const struct ps_txn_history_row *h)
{
    json_t *o = json_pack(
        "{s:s?, s:s, s:s, s:s?, s:s?, s:s}", "from",
        h->from_status >= 0 ? ps_enum_name(PS_NAMES_TXN_STATUS, h->from_status)
                            : NULL,
        "to", ps_enum_name(PS_NAMES_TXN_STATUS, (int)h->to_status), "event",
        h->event, "reason", h->reason[0] ? h->reason : NULL, "sourceFile",
        h->source_file[0] ? h->source_file : NULL, "at", h->created_at);
    if (o != NULL && h->return_code[0] != '\0')
        json_object_set_new(o, "returnCode", json_string(h->return_code));
    return append_sourced(vctx, o, h->source_line);
}

static int tx_show(struct ctx *c, const char *id, struct ps_err *err)
{
    struct ps_txn t;
    char amt[PS_MONEY_STRMAX], fee[PS_MONEY_STRMAX];
    json_t *hist = json_array();
    if (ps_store_txn_get(c->eng->store, id, &t, err) != 0 ||
        ps_store_txn_history(c->eng->store, t.id, add_history_json, hist,
                             err) != 0) {
        json_decref(hist);
        return fail(err);
    }
    money_str(t.amount, t.currency, amt, sizeof(amt));
    money_str(t.fee, t.currency, fee, sizeof(fee));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:s?, s:s?, s:i, s:s, s:s, s:o}",
        "transactionId", t.id, "businessId", t.business_id, "customerId",
        t.customer_id, "financialAccountId", t.account_id, "ewaProfileId",
        t.profile_id[0] ? t.profile_id : NULL, "transactionType",
        ps_enum_name(PS_NAMES_TXN_TYPE, (int)t.type), "rail",
        ps_enum_name(PS_NAMES_RAIL, (int)t.rail), "purpose",
        ps_enum_name(PS_NAMES_PURPOSE, (int)t.purpose), "status",
        ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status), "currency",
        t.currency, "amount", amt, "fee", fee, "requestId",
        t.request_id[0] ? t.request_id : NULL, "traceNumber",
        t.trace_number[0] ? t.trace_number : NULL, "attempts", t.attempts,
        "createdAt", t.created_at, "updatedAt", t.updated_at, "history", hist);
    if (c->json) {
        print_json(o);
    } else {
        size_t i;
        json_t *h;
        printf("transaction %s\n", t.id);
        printf("  %s %s %s %s %s (fee %s), status %s\n",
               ps_enum_name(PS_NAMES_TXN_TYPE, (int)t.type),
               ps_enum_name(PS_NAMES_RAIL, (int)t.rail),
               ps_enum_name(PS_NAMES_PURPOSE, (int)t.purpose), amt, t.currency,
               fee, ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status));
        if (t.request_id[0])
            printf("  request id %s\n", t.request_id);
        json_array_foreach(hist, i, h)
        {
            const char *from = json_string_value(json_object_get(h, "from"));
            const char *reason =
                json_string_value(json_object_get(h, "reason"));
            printf("  %s  %-10s -> %-10s %-14s %s\n",
                   json_string_value(json_object_get(h, "at")),
                   from ? from : "",
                   json_string_value(json_object_get(h, "to")),
                   json_string_value(json_object_get(h, "event")),
                   reason ? reason : "");
        }
    }
    json_decref(o);
    return EX_OK;
}

static int cmd_tx(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    int rc;
    if (strcmp(sub, "show") == 0) {
        if ((rc = check_opts(&c->a, "")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "transaction id", err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        return tx_show(c, c->a.pos[1], err);
    }
    if (strcmp(sub, "create") == 0) {
        struct ps_business b;
        struct ps_customer cu;
        struct ps_txn t;
        const char *type = opt(&c->a, "type"), *cur = opt(&c->a, "currency");
        const char *acct, *ext;
        if ((rc = check_opts(&c->a, "business customer account type amount "
                                    "currency request-id reason")) != 0)
            return rc;
        memset(&t, 0, sizeof(t));
        int ty = ps_enum_parse(PS_NAMES_TXN_TYPE, type ? type : "SEND");
        if (ty < 0)
            return usage_error("--type must be SEND or DEBIT%s", "");
        if (cur == NULL)
            cur = "USD";
        if (need(&c->a, "customer", &ext, err) != 0 ||
            need(&c->a, "account", &acct, err) != 0 ||
            amount_opt(&c->a, "amount", cur, 1, &t.amount, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            cust_lookup(c, ext, &b, &cu, err) != 0)
            return fail(err);
        ps_strlcpy(t.business_id, b.id, sizeof(t.business_id));
        ps_strlcpy(t.customer_id, cu.id, sizeof(t.customer_id));
        ps_strlcpy(t.account_id, acct, sizeof(t.account_id));
        ps_strlcpy(t.currency, cur, sizeof(t.currency));
        t.type = (enum ps_txn_type)ty;
        t.purpose = PS_PURPOSE_PAYMENT;
        struct ps_source src = {opt(&c->a, "reason"), NULL, 0};
        if (copy_opt(&c->a, "request-id", t.request_id, sizeof(t.request_id),
                     err) != 0 ||
            ps_engine_txn_create(c->eng, &t, &src, err) != 0)
            return fail(err);
        if (!c->json) {
            printf("transaction %s created (NEW)\n", t.id);
            return EX_OK;
        }
        return tx_show(c, t.id, err);
    }
    if (strcmp(sub, "event") == 0) {
        struct ps_txn t;
        struct ps_source src = {opt(&c->a, "reason"), NULL, 0};
        struct ps_txn_args args = {&src, 0, NULL, NULL};
        long max;
        if ((rc = check_opts(&c->a, "reason max-attempts")) != 0)
            return rc;
        if (need_pos(&c->a, 2, "transaction id and event", err) != 0)
            return fail(err);
        int ev = ps_txn_event_parse(c->a.pos[2]);
        if (ev < 0)
            return usage_error("unknown event %s (SUBMIT TRANSMIT APPROVE "
                               "SETTLE CLEAR CANCEL DECLINE RETURN REVERSE "
                               "PROVIDER_ERROR)",
                               c->a.pos[2]);
        if (int_opt(&c->a, "max-attempts", 1, 100, PS_TXN_MAX_ATTEMPTS, &max,
                    err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        args.max_attempts = (int)max;
        if (ps_engine_txn_event(c->eng, c->a.pos[1], (enum ps_txn_event)ev,
                                &args, &t, err) != 0)
            return fail(err);
        if (!c->json) {
            printf("transaction %s is now %s\n", t.id,
                   ps_enum_name(PS_NAMES_TXN_STATUS, (int)t.status));
            return EX_OK;
        }
        return tx_show(c, t.id, err);
    }
    return usage_error("usage: payspool tx show|create|event%s", "");
}

/* ---- ledger --------------------------------------------------------- */

struct trial_ctx {
    json_t *arr;
    int bad;
};

static int print_trial(void *vctx, const struct ps_trial_row *r)
{
    struct trial_ctx *t = vctx;
    char d[PS_MONEY_STRMAX], cr[PS_MONEY_STRMAX], bal[PS_MONEY_STRMAX];
    money_str(r->debits, r->currency, d, sizeof(d));
    money_str(r->credits, r->currency, cr, sizeof(cr));
    money_str(r->balance, r->currency, bal, sizeof(bal));
    if (r->balance != 0 || r->mismatched != 0)
        t->bad = 1;
    if (t->arr != NULL)
        json_array_append_new(
            t->arr,
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "currency", r->currency,
                      "debits", d, "credits", cr, "balance", bal,
                      "crossCurrencyEntries", (json_int_t)r->mismatched,
                      "balanced", r->balance == 0 && r->mismatched == 0));
    else
        printf("%-4s %18s %18s %14s %s\n", r->currency, d, cr, bal,
               r->balance == 0 && r->mismatched == 0 ? "balanced"
                                                     : "NOT BALANCED");
    return 0;
}

static int cmd_ledger(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_business b;
    const char *bus = opt(&c->a, "business");
    struct trial_ctx t = {NULL, 0};
    int rc;
    if (strcmp(sub, "balance") != 0)
        return usage_error("usage: payspool ledger balance [--business B]%s",
                           "");
    if ((rc = check_opts(&c->a, "business")) != 0)
        return rc;
    if (open_engine(c, 0, err) != 0 ||
        (bus != NULL && ps_business_find(c->eng, bus, &b, err) != 0))
        return fail(err);
    if (c->json)
        t.arr = json_array();
    else
        printf("%-4s %18s %18s %14s\n", "CUR", "DEBITS", "CREDITS", "BALANCE");
    if (ps_store_trial_balance(c->eng->store, bus ? b.id : NULL, print_trial,
                               &t, err) != 0) {
        json_decref(t.arr);
        return fail(err);
    }
    /* The references the schema no longer enforces (schema.h, v9). */
    int64_t orphans = 0;
    char detail[320];
    if (ps_store_orphans(c->eng->store, NULL, NULL, &orphans, detail,
                         sizeof(detail), err) != 0) {
        json_decref(t.arr);
        return fail(err);
    }
    if (c->json) {
        print_json(t.arr);
        json_decref(t.arr);
    } else {
        printf("references: %s\n", orphans == 0 ? "every row has its parent"
                                                 : detail);
    }
    if (t.bad) {
        fprintf(stderr, "payspool: LEDGER TRIAL BALANCE IS NOT ZERO\n");
        return EX_DATAERR;
    }
    if (orphans > 0) {
        fprintf(stderr, "payspool: %lld rows without their parent row: %s\n",
                (long long)orphans, detail);
        return EX_DATAERR;
    }
    return EX_OK;
}

/* ---- run: the engine over the spool ----------------------------------- */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void config_path(struct ctx *c, char *out, size_t size)
{
    const char *v = opt(&c->a, "config");
    if (v == NULL)
        v = getenv("PAYSPOOL_CONFIG");
    if (v != NULL && v[0] != '\0')
        ps_pathf(out, size, "%s", v);
    else
        ps_pathf(out, size, "%s.conf", c->spool);
}

/*
 * One engine per spool: an exclusive flock on <spool>/.payspool.lock (it
 * dies with the process, so a crash never leaves it held) plus the guard
 * row in the store naming the holder.  Returns the lock fd.
 */
static int take_lock(struct ctx *c, int *fd, struct ps_err *err)
{
    char path[PS_CLI_PATH], host[256] = "?", now[PS_TIME_SIZE];
    if (ps_pathf(path, sizeof(path), "%s/.payspool.lock", c->spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "path too long");
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (*fd < 0)
        return ps_err_sys(err, errno, "cannot open %s", path);
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return ps_err_set(err, PS_EBUSY, "ENGINE_RUNNING",
                              "another payspool engine holds %s", path);
        return ps_err_sys(err, e, "cannot lock %s", path);
    }
    gethostname(host, sizeof(host) - 1);
    return ps_store_guard_take(c->eng->store, (long)getpid(), host,
                               ps_time_now(now), err);
}

/* ---- calendar --------------------------------------------------------- */

/* The banking calendar: --calendar FILE or PAYSPOOL_CALENDAR names an
 * override file that must exist; by default <spool>.calendar is read when
 * it is there. */
static int open_calendar(struct ctx *c, struct ps_calendar **cal,
                         struct ps_err *err)
{
    const char *path = opt(&c->a, "calendar");
    char def[PS_CLI_PATH];
    if (path == NULL)
        path = getenv("PAYSPOOL_CALENDAR");
    if (path != NULL && path[0] != '\0')
        return ps_calendar_open(path, 1, cal, err);
    ps_pathf(def, sizeof(def), "%s.calendar", c->spool);
    return ps_calendar_open(def, 0, cal, err);
}

static json_t *day_json(const struct ps_calendar *cal, int64_t day)
{
    char d[PS_DATE_SIZE];
    const char *why;
    int open = ps_calendar_is_banking_day(cal, day, &why);
    return json_pack("{s:s, s:b, s:s?}", "date", ps_date_format(day, d),
                     "banking_day", open, "closed_because",
                     open ? NULL : why);
}

static int cmd_calendar(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_calendar *cal = NULL;
    char d[PS_DATE_SIZE];
    int64_t day;
    long n;
    int rc;
    if (strcmp(sub, "is-banking-day") == 0 || strcmp(sub, "next") == 0) {
        int next = strcmp(sub, "next") == 0;
        const char *why;
        if ((rc = check_opts(&c->a, next ? "calendar count" : "calendar")) !=
            0)
            return rc;
        if (need_pos(&c->a, 1, "date (YYYY-MM-DD)", err) != 0 ||
            ps_date_parse(c->a.pos[1], &day, err) != 0 ||
            int_opt(&c->a, "count", 1, 3650, 1, &n, err) != 0 ||
            open_calendar(c, &cal, err) != 0)
            return fail(err);
        if (!next) {
            int open = ps_calendar_is_banking_day(cal, day, &why);
            if (c->json) {
                json_t *o = day_json(cal, day);
                print_json(o);
                json_decref(o);
            } else if (open)
                printf("%s is a banking day\n", ps_date_format(day, d));
            else
                printf("%s is not a banking day: %s\n",
                       ps_date_format(day, d), why);
            ps_calendar_free(cal);
            /* A predicate, like test(1): scripts branch on the status. */
            return open ? EX_OK : 1;
        }
        json_t *arr = c->json ? json_array() : NULL;
        for (long i = 0; i < n; i++) {
            day = ps_calendar_next(cal, day);
            if (arr != NULL)
                json_array_append_new(arr, day_json(cal, day));
            else
                printf("%s\n", ps_date_format(day, d));
        }
        if (arr != NULL) {
            print_json(arr);
            json_decref(arr);
        }
        ps_calendar_free(cal);
        return EX_OK;
    }
    if (strcmp(sub, "holidays") == 0) {
        struct ps_holiday h[11];
        long year;
        char *end;
        if ((rc = check_opts(&c->a, "")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "year", err) != 0)
            return fail(err);
        year = strtol(c->a.pos[1], &end, 10);
        if (*end != '\0' || year < 1900 || year > 9999)
            return usage_error("year must be 1900..9999, not %s", c->a.pos[1]);
        int k = ps_calendar_holidays(year, h, 11);
        json_t *arr = c->json ? json_array() : NULL;
        for (int i = 0; i < k; i++) {
            if (arr != NULL)
                json_array_append_new(
                    arr, json_pack("{s:s, s:s}", "date",
                                   ps_date_format(h[i].day, d), "holiday",
                                   h[i].name));
            else
                printf("%s  %s\n", ps_date_format(h[i].day, d), h[i].name);
        }
        if (arr != NULL) {
            print_json(arr);
            json_decref(arr);
        }
        return EX_OK;
    }
    return usage_error("calendar: unknown subcommand '%s'", sub);
}

/* ---- jobs and the scheduler ------------------------------------------ */

/* --jobs DIR, PAYSPOOL_JOBS, or the repository's jobs/. */
static void jobs_dir(struct ctx *c, char *out, size_t size)
{
    const char *v = opt(&c->a, "jobs");
    if (v == NULL)
        v = getenv("PAYSPOOL_JOBS");
    ps_pathf(out, size, "%s", v != NULL && v[0] != '\0' ? v : PS_SOURCE_DIR "/jobs");
}

/* What a job step needs, loaded once per command. */
struct sched_setup {
    struct ps_spool_config cfg;
    struct ps_calendar *cal;
    struct ps_jobs jobs;
    struct ps_sched_env env;
};

static int sched_open(struct ctx *c, struct sched_setup *s, int with_keys,
                      struct ps_err *err)
{
    char cpath[PS_CLI_PATH], jdir[PS_CLI_PATH];
    memset(s, 0, sizeof(*s));
    ps_spool_config_default(&s->cfg);
    config_path(c, cpath, sizeof(cpath));
    jobs_dir(c, jdir, sizeof(jdir));
    if (ps_spool_config_load(cpath, opt(&c->a, "config") == NULL, &s->cfg,
                             err) != 0 ||
        ps_csv_layouts_ensure(err) != 0 || open_calendar(c, &s->cal, err) != 0 ||
        ps_jobs_load(jdir, &s->jobs, err) != 0 ||
        open_engine(c, with_keys, err) != 0)
        return err->code;
    engine_settings(c, &s->cfg);
    s->env.eng = c->eng;
    s->env.spool = c->spool;
    s->env.cfg = &s->cfg;
    s->env.cal = s->cal;
    s->env.stop = &stop_requested;
    return 0;
}

static void sched_close(struct sched_setup *s)
{
    ps_jobs_free(&s->jobs);
    ps_calendar_free(s->cal);
}

static json_t *run_json(const struct ps_job_run *r)
{
    char amt[PS_MONEY_STRMAX];
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s?, s:s?, s:s?, s:I, s:s, "
                     "s:s, s:s?}",
                     "id", r->id, "job", r->job, "businessDate",
                     r->business_date, "status", r->status, "attempt",
                     r->attempt, "step", r->step[0] ? r->step : NULL, "error",
                     r->error[0] ? r->error : NULL, "rerunReason",
                     r->rerun_reason[0] ? r->rerun_reason : NULL, "records",
                     (json_int_t)r->records, "amount",
                     ps_money_format(r->amount, 2, amt, sizeof(amt)),
                     "startedAt", r->started_at, "finishedAt",
                     r->finished_at[0] ? r->finished_at : NULL);
}

static void print_run(const struct ps_job_run *r)
{
    printf("%-16s %-10s %-9s %3d  %-9s %8lld  %s%s%s\n", r->job,
           r->business_date, r->status, r->attempt, r->step,
           (long long)r->records, r->started_at, r->error[0] ? "  " : "",
           r->error);
}

static int list_run(void *ctx, const struct ps_job_run *r)
{
    json_t *arr = ctx;
    if (arr != NULL)
        json_array_append_new(arr, run_json(r));
    else
        print_run(r);
    return 0;
}

static json_t *job_json(const struct sched_setup *s, const struct ps_job *j,
                        int64_t now)
{
    char next[32] = "";
    int64_t t = ps_sched_next_fire(&s->env, j, now);
    json_t *steps = json_array();
    for (int i = 0; i < j->nsteps; i++)
        json_array_append_new(steps, json_string(j->steps[i]));
    if (t >= 0)
        ps_cron_local_time(j->cron, t, next);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:i, s:s?, s:s?, s:s}",
                     "name", j->name, "description", j->description,
                     "schedule", j->schedule, "calendar",
                     j->calendar == PS_JOB_BANKING_DAYS ? "banking-days"
                                                        : "all-days",
                     "steps", steps, "catchUp",
                     j->catch_up == PS_CATCH_UP_RUN ? "run" : "skip",
                     "catchUpDays", j->catch_up_days, "after",
                     j->after[0] ? j->after : NULL, "nextRun",
                     next[0] ? next : NULL, "file", j->path);
}

static int cmd_job(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct sched_setup s;
    int64_t now = ps_clock_now_ms() / 1000;
    int rc;
    if (strcmp(sub, "list") == 0) {
        if ((rc = check_opts(&c->a, "jobs calendar config")) != 0)
            return rc;
        if (sched_open(c, &s, 0, err) != 0) {
            sched_close(&s);
            return fail(err);
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < s.jobs.n; i++) {
            json_t *o = job_json(&s, &s.jobs.v[i], now);
            if (c->json)
                json_array_append_new(arr, o);
            else {
                const struct ps_job *j = &s.jobs.v[i];
                printf("%s  (%s)\n  schedule  %s, %s\n  steps    ", j->name,
                       j->path, j->schedule,
                       j->calendar == PS_JOB_BANKING_DAYS ? "banking days"
                                                          : "every day");
                for (int k = 0; k < j->nsteps; k++)
                    printf(" %s", j->steps[k]);
                printf("\n  catch-up  %s (within %d days)%s%s\n  next run  %s\n",
                       j->catch_up == PS_CATCH_UP_RUN ? "run missed dates"
                                                      : "skip and alert",
                       j->catch_up_days, j->after[0] ? ", after " : "",
                       j->after,
                       json_string_value(json_object_get(o, "nextRun"))
                           ? json_string_value(json_object_get(o, "nextRun"))
                           : "never");
                json_decref(o);
            }
        }
        if (c->json)
            print_json(arr);
        json_decref(arr);
        sched_close(&s);
        return EX_OK;
    }
    if (strcmp(sub, "status") == 0) {
        long limit;
        if ((rc = check_opts(&c->a, "limit")) != 0)
            return rc;
        if (int_opt(&c->a, "limit", 1, 100000, 20, &limit, err) != 0 ||
            open_engine(c, 0, err) != 0)
            return fail(err);
        json_t *arr = c->json ? json_array() : NULL;
        if (!c->json)
            printf("%-16s %-10s %-9s %3s  %-9s %8s  %s\n", "JOB", "DATE",
                   "STATUS", "TRY", "STEP", "RECORDS", "STARTED");
        if (ps_store_job_run_list(c->eng->store,
                                  c->a.npos > 1 ? c->a.pos[1] : NULL, limit,
                                  list_run, arr, err) != 0) {
            json_decref(arr);
            return fail(err);
        }
        if (arr != NULL) {
            print_json(arr);
            json_decref(arr);
        }
        return EX_OK;
    }
    if (strcmp(sub, "run") == 0) {
        struct ps_run_opts o = {opt(&c->a, "rerun") != NULL,
                                opt(&c->a, "reason")};
        struct ps_job_run r;
        const struct ps_job *j;
        int64_t day;
        int lock = -1;
        if ((rc = check_opts(&c->a,
                             "date rerun reason jobs calendar config")) != 0)
            return rc;
        if (need_pos(&c->a, 1, "job name", err) != 0)
            return fail(err);
        if (sched_open(c, &s, 1, err) != 0) {
            sched_close(&s);
            return fail(err);
        }
        if ((j = ps_jobs_find(&s.jobs, c->a.pos[1])) == NULL) {
            ps_err_set(err, PS_ENOTFOUND, "JOB_NOT_FOUND",
                       "no job named %s (see payspool job list)", c->a.pos[1]);
            goto run_fail;
        }
        if (opt(&c->a, "date") != NULL) {
            if (ps_date_parse(opt(&c->a, "date"), &day, err) != 0)
                goto run_fail;
        } else {
            char today[11];
            ps_cron_local_date(j->cron, now, today);
            ps_date_parse(today, &day, err);
        }
        if (take_lock(c, &lock, err) != 0 ||
            ps_sched_recover(&s.env, NULL, err) != 0)
            goto run_fail;
        memset(&r, 0, sizeof(r));
        rc = ps_sched_run(&s.env, &s.jobs, j, day, &o, &r, err);
        if (rc == 0 || r.id[0] != '\0') {
            if (c->json) {
                json_t *rj = run_json(&r);
                print_json(rj);
                json_decref(rj);
            } else
                print_run(&r);
        }
        ps_sched_metrics(&s.env, &s.jobs, NULL);
        ps_store_guard_release(c->eng->store, (long)getpid(), NULL);
        close(lock);
        sched_close(&s);
        return rc == 0 ? EX_OK : fail(err);
    run_fail:
        if (lock >= 0) {
            ps_store_guard_release(c->eng->store, (long)getpid(), NULL);
            close(lock);
        }
        sched_close(&s);
        return fail(err);
    }
    return usage_error("job: unknown subcommand '%s'", sub);
}

/* Files waiting in inbound/ and work/ (all businesses). */
static long count_files(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    long n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char p[PS_CLI_PATH];
        struct stat st;
        if (e->d_name[0] == '.' ||
            ps_pathf(p, sizeof(p), "%s/%s", dir, e->d_name) != 0 ||
            lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth > 0)
            n += count_files(p, depth - 1);
        else if (S_ISREG(st.st_mode) &&
                 !(strlen(e->d_name) > 5 &&
                   strcmp(e->d_name + strlen(e->d_name) - 5, ".done") == 0))
            n++;
    }
    closedir(d);
    return n;
}

struct health {
    int failed, overdue;
    json_t *failures;
};

/* The status of every job: its latest run and next fire.  Fills h. */
static json_t *jobs_status(struct sched_setup *s, int64_t now, struct health *h,
                           struct ps_err *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < s->jobs.n; i++) {
        const struct ps_job *j = &s->jobs.v[i];
        json_t *runs = json_array();
        json_t *o = job_json(s, j, now);
        char fired[PS_TIME_SIZE] = "", success[PS_TIME_SIZE] = "";
        if (ps_store_job_run_list(s->env.eng->store, j->name, 1, list_run, runs,
                                  err) != 0) {
            json_decref(runs);
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        ps_store_job_state(s->env.eng->store, j->name, fired, success, NULL);
        json_t *last = json_array_get(runs, 0);
        if (last != NULL) {
            const char *st = json_string_value(json_object_get(last, "status"));
            if (strcmp(st, "FAILED") == 0 || strcmp(st, "SKIPPED") == 0) {
                h->failed++;
                json_array_append(h->failures, last);
            }
            json_object_set(o, "lastRun", last);
        } else
            json_object_set_new(o, "lastRun", json_null());
        /* Overdue: a fire time that has passed more than 15 minutes ago
         * without the daemon recording it. */
        int64_t lf = 0;
        if (fired[0] != '\0' && ps_time_parse(fired, &lf, NULL) == 0) {
            int64_t due = ps_sched_next_fire(&s->env, j, lf / 1000);
            if (due >= 0 && now - due > 900) {
                h->overdue++;
                json_object_set_new(o, "overdue", json_true());
            }
        }
        json_object_set_new(o, "lastSuccess",
                            success[0] ? json_string(success) : json_null());
        json_decref(runs);
        json_array_append_new(arr, o);
    }
    return arr;
}

static int cmd_status(struct ctx *c, struct ps_err *err)
{
    struct sched_setup s;
    struct health h = {0, 0, json_array()};
    char dir[PS_CLI_PATH];
    int64_t now = ps_clock_now_ms() / 1000;
    int rc;
    if ((rc = check_opts(&c->a, "jobs calendar config")) != 0) {
        json_decref(h.failures);
        return rc;
    }
    if (sched_open(c, &s, 0, err) != 0) {
        sched_close(&s);
        json_decref(h.failures);
        return fail(err);
    }
    json_t *jobs = jobs_status(&s, now, &h, err);
    if (jobs == NULL) {
        sched_close(&s);
        json_decref(h.failures);
        return fail(err);
    }
    ps_pathf(dir, sizeof(dir), "%s/inbound", c->spool);
    long inbound = count_files(dir, 1);
    ps_pathf(dir, sizeof(dir), "%s/work", c->spool);
    long work = count_files(dir, 2);
    ps_pathf(dir, sizeof(dir), "%s/failed", c->spool);
    long failed_files = count_files(dir, 1);
    json_t *o = json_pack("{s:o, s:{s:I, s:I, s:I}, s:o, s:b}", "jobs", jobs,
                          "spool", "inbound", (json_int_t)inbound, "inProgress",
                          (json_int_t)work, "failedInputs",
                          (json_int_t)failed_files, "failures", h.failures,
                          "healthy", h.failed == 0 && h.overdue == 0);
    if (c->json)
        print_json(o);
    else {
        size_t i;
        json_t *j;
        printf("spool     %s\nbacklog   %ld waiting in inbound, %ld in "
               "progress, %ld in failed/\n",
               c->spool, inbound, work, failed_files);
        json_array_foreach(jobs, i, j)
        {
            json_t *last = json_object_get(j, "lastRun");
            const char *next = json_string_value(json_object_get(j, "nextRun"));
            printf("job       %s: ", json_string_value(json_object_get(j, "name")));
            if (json_is_object(last))
                printf("last %s %s (attempt %lld)",
                       json_string_value(json_object_get(last, "businessDate")),
                       json_string_value(json_object_get(last, "status")),
                       (long long)json_integer_value(
                           json_object_get(last, "attempt")));
            else
                printf("never run");
            printf(", next %s%s\n", next ? next : "never",
                   json_is_true(json_object_get(j, "overdue")) ? " (OVERDUE)"
                                                               : "");
        }
        json_array_foreach(h.failures, i, j)
        printf("FAILED    %s %s: %s\n",
               json_string_value(json_object_get(j, "job")),
               json_string_value(json_object_get(j, "businessDate")),
               json_string_value(json_object_get(j, "error")));
    }
    json_decref(o);
    sched_close(&s);
    return EX_OK;
}

/* Exit status only: 0 healthy; 69 (unavailable) when the database cannot
 * be read, a job's latest run failed or was skipped, or a job is overdue. */
static int cmd_health(struct ctx *c, struct ps_err *err)
{
    struct sched_setup s;
    struct health h = {0, 0, json_array()};
    int rc;
    if ((rc = check_opts(&c->a, "jobs calendar config")) != 0) {
        json_decref(h.failures);
        return rc;
    }
    if (sched_open(c, &s, 0, err) != 0) {
        sched_close(&s);
        json_decref(h.failures);
        return EX_UNAVAILABLE;
    }
    json_t *jobs = jobs_status(&s, ps_clock_now_ms() / 1000, &h, err);
    rc = jobs != NULL && h.failed == 0 && h.overdue == 0 ? EX_OK
                                                        : EX_UNAVAILABLE;
    json_decref(jobs);
    json_decref(h.failures);
    sched_close(&s);
    return rc;
}

static void print_stats(const struct ctx *c, const struct ps_run_stats *st)
{
    if (c->json) {
        json_t *o = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "inputs",
            (json_int_t)st->inputs, "documents", (json_int_t)st->documents,
            "rejectedDocuments", (json_int_t)st->rejected_docs,
            "duplicateInputs", (json_int_t)st->duplicate_inputs, "failedInputs",
            (json_int_t)st->failed_inputs, "records", (json_int_t)st->records,
            "accepted", (json_int_t)st->accepted, "rejected",
            (json_int_t)st->rejected, "duplicates", (json_int_t)st->duplicates);
        print_json(o);
        json_decref(o);
        return;
    }
    printf("inputs %ld, documents %ld (%ld rejected whole), duplicate inputs "
           "%ld, moved to failed/ %ld\n",
           st->inputs, st->documents, st->rejected_docs, st->duplicate_inputs,
           st->failed_inputs);
    printf("records %ld: %ld accepted, %ld rejected, %ld duplicate\n",
           st->records, st->accepted, st->rejected, st->duplicates);
}

static int cmd_run(struct ctx *c, struct ps_err *err)
{
    struct ps_spool_config cfg;
    struct ps_pipeline p;
    struct ps_spool_watch *watch = NULL;
    char cpath[PS_CLI_PATH];
    int once = opt(&c->a, "once") != NULL, lock = -1, rc;
    long chunk;
    struct sigaction sa;

    struct ps_calendar *cal = NULL;
    struct ps_jobs jobs = {NULL, 0};
    struct ps_sched_env env;
    char jdir[PS_CLI_PATH];
    int jobs_only = opt(&c->a, "jobs-only") != NULL, metrics_written = 0;

    if ((rc = check_opts(&c->a, "once config chunk jobs calendar jobs-only")) !=
        0)
        return rc;
    ps_spool_config_default(&cfg);
    config_path(c, cpath, sizeof(cpath));
    if (ps_spool_config_load(cpath, opt(&c->a, "config") == NULL, &cfg, err) !=
            0 ||
        int_opt(&c->a, "chunk", 1, 1000000, cfg.chunk_records, &chunk, err) !=
            0 ||
        /* A bad layout file is a configuration error now, not every CSV
         * input refused later as an unrecognized format. */
        ps_csv_layouts_ensure(err) != 0 || open_engine(c, 1, err) != 0)
        return fail(err);
    jobs_dir(c, jdir, sizeof(jdir));
    if (open_calendar(c, &cal, err) != 0 ||
        ps_jobs_load(jdir, &jobs, err) != 0) {
        ps_calendar_free(cal);
        return fail(err);
    }
    cfg.chunk_records = chunk;
    engine_settings(c, &cfg);
    if ((rc = take_lock(c, &lock, err)) != 0) {
        ps_jobs_free(&jobs);
        ps_calendar_free(cal);
        return fail(err);
    }
    memset(&env, 0, sizeof(env));
    env.eng = c->eng;
    env.spool = c->spool;
    env.cfg = &cfg;
    env.cal = cal;
    env.stop = &stop_requested;
    /* Runs left RUNNING by a crash are FAILED now, and resumable. */
    if (ps_sched_recover(&env, NULL, err) != 0) {
        rc = fail(err);
        goto out;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: sleeps end early */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    memset(&p, 0, sizeof(p));
    p.eng = c->eng;
    p.cfg = &cfg;
    p.spool = c->spool;
    p.stop = &stop_requested;
    watch = ps_spool_watch_new();
    if (watch == NULL) {
        ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        rc = fail(err);
        goto out;
    }
    ps_log(PS_LOG_INFO, "engine.started", "{s:s, s:b, s:i, s:I}", "spool",
           c->spool, "once", once, "pid", (int)getpid(), "chunk",
           (json_int_t)cfg.chunk_records);
    for (;;) {
        if (reload_requested) {
            struct ps_spool_config fresh = cfg;
            struct ps_err e;
            reload_requested = 0;
            ps_err_clear(&e);
            if (ps_spool_config_load(cpath, 1, &fresh, &e) == 0) {
                fresh.chunk_records =
                    opt(&c->a, "chunk") ? chunk : fresh.chunk_records;
                cfg = fresh;
                engine_settings(c, &cfg);
                ps_log(PS_LOG_INFO, "engine.reloaded", "{s:s}", "config",
                       cpath);
            } else {
                ps_log_err(PS_LOG_ERROR, "engine.reload_failed", &e, NULL);
            }
        }
        rc = jobs_only ? 0 : ps_pipeline_run_once(&p, watch, once, err);
        if (rc != 0 &&
            !(rc == PS_EBUSY && strcmp(err->rule, "INTERRUPTED") == 0)) {
            ps_log_err(PS_LOG_ERROR, "engine.failed", err, NULL);
            if (once)
                break;
            /* the daemon keeps going: the input stays in work/ */
        }
        if (jobs.n > 0 && !stop_requested) {
            /* Due jobs; a failed run is logged, FAILED, and resumable.
             * The metrics file changes only with the runs: rewritten
             * (with its fsync) on the first pass and after a tick that
             * ran or skipped something, not at every poll. */
            struct ps_err jerr;
            int acted = 0;
            ps_err_clear(&jerr);
            if (ps_sched_tick(&env, &jobs, ps_clock_now_ms() / 1000,
                              PS_SCHED_MISFIRE_SECONDS, &acted, &jerr) != 0)
                ps_log_err(PS_LOG_ERROR, "scheduler.failed", &jerr, NULL);
            if ((acted || !metrics_written) &&
                ps_sched_metrics(&env, &jobs, &jerr) != 0)
                ps_log_err(PS_LOG_ERROR, "scheduler.metrics_failed", &jerr,
                           NULL);
            else
                metrics_written = 1;
        }
        if (once || stop_requested)
            break;
        struct timespec ts = {cfg.poll_seconds, 0};
        while (nanosleep(&ts, &ts) != 0 && !stop_requested && !reload_requested)
            ;
        if (stop_requested)
            break;
    }
    ps_log(PS_LOG_INFO, "engine.stopped", "{s:b, s:I, s:I}", "signalled",
           (int)stop_requested, "inputs", (json_int_t)p.stats.inputs, "records",
           (json_int_t)p.stats.records);
    print_stats(c, &p.stats);
    if (rc == PS_EBUSY && strcmp(err->rule, "INTERRUPTED") == 0)
        rc = EX_OK; /* stopped cleanly at a chunk boundary */
    else if (rc != 0)
        rc = fail(err);
    else if (p.stats.rejected_docs > 0 || p.stats.duplicate_inputs > 0 ||
             p.stats.failed_inputs > 0)
        rc = EX_DATAERR;
    else
        rc = EX_OK;
out:
    ps_store_guard_release(c->eng->store, (long)getpid(), NULL);
    ps_spool_watch_free(watch);
    ps_jobs_free(&jobs);
    ps_calendar_free(cal);
    if (lock >= 0)
        close(lock);
    return rc;
}

/* ---- files ------------------------------------------------------------ */

static json_t *file_json(const struct ps_file *f)
{
    char amt[PS_MONEY_STRMAX];
    return json_pack(
        "{s:s, s:s, s:s, s:s?, s:i, s:s, s:I, s:s?, s:s, s:s?, s:I, s:I, "
        "s:I, s:I, s:s, s:s?, s:s?, s:s, s:s?}",
        "id", f->id, "businessId", f->business_id, "name", f->name, "member",
        f->member[0] ? f->member : NULL, "document", f->doc_index, "sha256",
        f->sha256, "size", (json_int_t)f->size, "format",
        f->format[0] ? f->format : NULL, "status",
        ps_enum_name(PS_NAMES_FILE_STATUS, (int)f->status), "reason",
        f->reason[0] ? f->reason : NULL, "records", (json_int_t)f->records,
        "accepted", (json_int_t)f->accepted, "rejected",
        (json_int_t)f->rejected, "duplicates", (json_int_t)f->duplicates,
        "amountAccepted",
        ps_money_format(f->amount_accepted, 2, amt, sizeof(amt)), "result",
        f->result_path[0] ? f->result_path : NULL, "archivedAs",
        f->archive_path[0] ? f->archive_path : NULL, "receivedAt",
        f->received_at, "completedAt",
        f->completed_at[0] ? f->completed_at : NULL);
}

static int list_file(void *vctx, const struct ps_file *f)
{
    struct list_ctx *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, file_json(f));
    } else {
        char name[72];
        if (f->member[0])
            snprintf(name, sizeof(name), "%.30s!/%.36s", f->name, f->member);
        else
            snprintf(name, sizeof(name), "%.68s", f->name);
        printf("%-36s %-10s %-40s %-7s %8ld %8ld %8ld %6ld  %s\n", f->id,
               ps_enum_name(PS_NAMES_FILE_STATUS, (int)f->status), name,
               f->format, f->records, f->accepted, f->rejected, f->duplicates,
               f->received_at);
    }
    l->n++;
    return 0;
}

static int add_result_json(void *vctx, const struct ps_record_result_row *r)
{
    json_array_append_new(
        vctx, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "record",
                        (json_int_t)r->record_no, "line", (json_int_t)r->line,
                        "reference", r->reference, "outcome", r->outcome,
                        "code", r->code, "message", r->message));
    return 0;
}

/* ---- the provider exchange: payouts and the sandbox provider ---------- */

/* --business B, or every business. */
static int businesses_opt(struct ctx *c, struct ps_businesses *l,
                          struct ps_err *err)
{
    const char *bus = opt(&c->a, "business");
    struct ps_business b;
    memset(l, 0, sizeof(*l));
    if (bus == NULL)
        return ps_business_all(c->eng, l, err);
    if (ps_business_find(c->eng, bus, &b, err) != 0)
        return -1;
    return ps_businesses_add(l, &b, err);
}

/* --date YYYY-MM-DD, or today (UTC). */
static int date_opt(struct ctx *c, int64_t *day, struct ps_err *err)
{
    const char *v = opt(&c->a, "date");
    char today[PS_DATE_SIZE];
    if (v == NULL)
        v = ps_date_today(today);
    if (ps_date_parse(v, day, err) != 0) {
        ps_err_field(err, "date");
        return -1;
    }
    return 0;
}

static int cmd_payouts(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_spool_config cfg;
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    char cpath[PS_CLI_PATH];
    json_t *arr = NULL;
    int64_t day;
    int rc, lock = -1;

    if (strcmp(sub, "run") != 0)
        return usage_error("usage: payspool payouts run [--business B] "
                           "[--date YYYY-MM-DD]%s", "");
    if ((rc = check_opts(&c->a, "business date config")) != 0)
        return rc;
    ps_spool_config_default(&cfg);
    config_path(c, cpath, sizeof(cpath));
    if (ps_spool_config_load(cpath, opt(&c->a, "config") == NULL, &cfg, err) !=
            0 ||
        date_opt(c, &day, err) != 0 || open_engine(c, 1, err) != 0 ||
        take_lock(c, &lock, err) != 0 || businesses_opt(c, l, err) != 0) {
        rc = fail(err);
        goto out;
    }
    engine_settings(c, &cfg);
    arr = json_array();
    rc = EX_OK;
    for (size_t i = 0; i < l->n; i++) {
        struct ps_payout_result r;
        char amt[PS_MONEY_STRMAX], note[64];
        if (ps_payout_run(c->eng, c->spool, &l->v[i], day, &r, err) != 0) {
            rc = fail(err);
            break;
        }
        if (c->json)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:i}",
                               "business", l->v[i].name, "path", r.path,
                               "files", r.files, "records",
                               (json_int_t)r.records, "amount",
                               r.currency[0] ? money_str(r.amount, r.currency,
                                                         amt, sizeof(amt))
                                             : "",
                               "currency", r.currency, "regenerated",
                               r.regenerated));
        else if (r.path[0] != '\0')
            printf("%s: %ld payouts, %s %s -> %s%s%s\n", l->v[i].name,
                   r.records,
                   r.currency[0] ? money_str(r.amount, r.currency, amt,
                                             sizeof(amt))
                                 : "(several currencies)",
                   r.currency, r.path,
                   r.files > 1 ? files_note(r.files, note, sizeof(note)) : "",
                   r.regenerated ? " (earlier files regenerated)" : "");
        else
            printf("%s: nothing to pay%s\n", l->v[i].name,
                   r.regenerated ? " (earlier files regenerated)" : "");
    }
    if (c->json && rc == EX_OK)
        print_json(arr);
out:
    json_decref(arr);
    if (c->eng != NULL && lock >= 0)
        ps_store_guard_release(c->eng->store, (long)getpid(), NULL);
    if (lock >= 0)
        close(lock);
    ps_businesses_free(l);
    return rc;
}

static int open_calendar(struct ctx *c, struct ps_calendar **cal,
                         struct ps_err *err);

static int cmd_sandbox(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    struct ps_calendar *cal = NULL;
    int64_t until = -1;
    int rc;

    if (strcmp(sub, "provider") != 0)
        return usage_error("usage: payspool sandbox provider [--business B] "
                           "[--date YYYY-MM-DD] [--calendar FILE]%s", "");
    if ((rc = check_opts(&c->a, "business date calendar")) != 0)
        return rc;
    if ((opt(&c->a, "date") != NULL && date_opt(c, &until, err) != 0) ||
        open_calendar(c, &cal, err) != 0 || open_engine(c, 0, err) != 0 ||
        businesses_opt(c, l, err) != 0) {
        rc = fail(err);
        goto out;
    }
    rc = EX_OK;
    for (size_t i = 0; i < l->n; i++) {
        struct ps_sandbox_stats st;
        struct ps_odfi_stats ach;
        if (ps_sandbox_provider(c->spool, &l->v[i], cal, until, &st, err) !=
                0 ||
            ps_sandbox_odfi(c->spool, &l->v[i], cal, until, &ach, err) != 0) {
            rc = fail(err);
            break;
        }
        if (c->json) {
            json_t *o = json_pack(
                "{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}",
                "business", l->v[i].name, "files", (json_int_t)st.files,
                "settled", (json_int_t)st.settled, "declined",
                (json_int_t)st.declined, "errors", (json_int_t)st.errors,
                "ach", "files", (json_int_t)ach.files, "settled",
                (json_int_t)ach.settled, "returned", (json_int_t)ach.returned,
                "nocs", (json_int_t)ach.nocs);
            print_json(o);
            json_decref(o);
        } else {
            printf("%s: answered %ld payout files: %ld settled, %ld "
                   "declined, %ld provider errors\n",
                   l->v[i].name, st.files, st.settled, st.declined,
                   st.errors);
            if (ach.files > 0)
                printf("%s: answered %ld NACHA files: %ld settled, %ld "
                       "returned, %ld notifications of change\n",
                       l->v[i].name, ach.files, ach.settled, ach.returned,
                       ach.nocs);
        }
    }
out:
    ps_calendar_free(cal);
    ps_businesses_free(l);
    return rc;
}

static int cmd_recon(struct ctx *c, struct ps_err *err)
{
    struct ps_business b;
    struct ps_calendar *cal = NULL;
    struct ps_recon_result r;
    const char *bus, *date = opt(&c->a, "date");
    char today[PS_DATE_SIZE];
    int64_t day;
    int rc;
    if ((rc = check_opts(&c->a, "business date calendar")) != 0)
        return rc;
    if (c->a.npos > 0)
        return usage_error("usage: payspool recon --business B "
                           "[--date YYYY-MM-DD] [--calendar FILE]%s",
                           "");
    if (date == NULL)
        date = ps_date_today(today);
    if (need(&c->a, "business", &bus, err) != 0 ||
        ps_date_parse(date, &day, err) != 0 || open_calendar(c, &cal, err) != 0)
        return fail(err);
    if (open_engine(c, 0, err) != 0 ||
        ps_business_find(c->eng, bus, &b, err) != 0) {
        ps_calendar_free(cal);
        return fail(err);
    }
    rc = ps_recon_run(c->eng, c->spool, &b, day, cal, &r, err);
    ps_calendar_free(cal);
    /* A trial balance that is not zero still wrote the report: say where
     * it is, then fail. */
    if (rc != 0 && strcmp(err->rule, "TRIAL_BALANCE_NOT_ZERO") != 0)
        return fail(err);
    if (c->json) {
        json_t *trial = json_array();
        for (int i = 0; i < r.ntrial; i++)
            json_array_append_new(
                trial, json_pack("{s:s, s:I, s:I, s:I, s:I}", "currency",
                                 r.trial[i].currency, "debits",
                                 (json_int_t)r.trial[i].debits, "credits",
                                 (json_int_t)r.trial[i].credits, "balance",
                                 (json_int_t)r.trial[i].balance,
                                 "crossCurrencyEntries",
                                 (json_int_t)r.trial[i].mismatched));
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:b, s:o,"
            " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
            " s:i}}",
            "business", b.name, "businessDate", r.business_date, "csv",
            r.csv_path, "summary", r.summary_path, "sha256", r.sha256, "seq",
            r.seq, "outputId", r.output_id, "rows", (json_int_t)r.rows,
            "trialBalanced", r.trial_balanced, "trialBalance", trial, "counts",
            "transactions", (json_int_t)r.transactions, "statusMovements",
            (json_int_t)r.movements, "files", (json_int_t)r.files,
            "filesMismatched", (json_int_t)r.files_mismatched,
            "unknownReferences", (json_int_t)r.unknown_references, "awaiting",
            (json_int_t)r.awaiting, "late", (json_int_t)r.late,
            "receivableProfiles", (json_int_t)r.receivable_profiles,
            "receivableDifferences", (json_int_t)r.receivable_diffs,
            "achReturns", (json_int_t)r.ach_returns, "achNocs",
            (json_int_t)r.ach_nocs, "achReturnRatesOver", r.ach_rates_over);
        print_json(o);
        json_decref(o);
    } else {
        printf("reconciliation of %s for %s: %s\n  summary %s\n"
               "  %ld transactions, %ld status changes, %ld files (%ld not "
               "matching), %ld unknown references, %ld awaiting, %ld late\n",
               b.name, r.business_date, r.csv_path, r.summary_path,
               r.transactions, r.movements, r.files, r.files_mismatched,
               r.unknown_references, r.awaiting, r.late);
        if (r.ach_returns > 0 || r.ach_nocs > 0)
            printf("  %ld ACH returns, %ld NOCs received\n", r.ach_returns,
                   r.ach_nocs);
        if (r.receivable_diffs > 0)
            printf("  WARNING: EWA receivable ledger differs from the "
                   "profiles in %ld currencies\n",
                   r.receivable_diffs);
        if (r.ach_rates_over > 0)
            printf("  WARNING: %d ACH debit return rates over NACHA's "
                   "threshold (see the report's alert rows)\n",
                   r.ach_rates_over);
    }
    if (rc != 0) {
        fprintf(stderr, "payspool: LEDGER TRIAL BALANCE IS NOT ZERO\n");
        return fail(err);
    }
    return EX_OK;
}

static int cmd_files(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    int rc;
    if (strcmp(sub, "list") == 0) {
        struct ps_business b;
        const char *bus = opt(&c->a, "business");
        long limit;
        struct list_ctx l = {c, c->json ? json_array() : NULL, 0};
        if ((rc = check_opts(&c->a, "business limit")) != 0)
            return rc;
        if (int_opt(&c->a, "limit", 1, 1000000, 50, &limit, err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            (bus != NULL && ps_business_find(c->eng, bus, &b, err) != 0)) {
            json_decref(l.arr);
            return fail(err);
        }
        if (!c->json)
            printf("%-36s %-10s %-40s %-7s %8s %8s %8s %6s  %s\n", "ID",
                   "STATUS", "FILE", "FORMAT", "RECORDS", "ACCEPTED",
                   "REJECTED", "DUPS", "RECEIVED");
        if (ps_store_file_list(c->eng->store, bus ? b.id : NULL, limit,
                               list_file, &l, err) != 0) {
            json_decref(l.arr);
            return fail(err);
        }
        if (c->json) {
            print_json(l.arr);
            json_decref(l.arr);
        }
        return EX_OK;
    }
    if (strcmp(sub, "show") == 0) {
        struct ps_file f;
        json_t *problems = json_array();
        if ((rc = check_opts(&c->a, "")) != 0) {
            json_decref(problems);
            return rc;
        }
        if (need_pos(&c->a, 1, "file id", err) != 0 ||
            open_engine(c, 0, err) != 0 ||
            ps_store_file_get(c->eng->store, c->a.pos[1], &f, err) != 0 ||
            ps_store_record_results(c->eng->store, f.id, add_result_json,
                                    problems, err) != 0) {
            json_decref(problems);
            return fail(err);
        }
        json_t *o = file_json(&f);
        json_object_set_new(o, "problems", problems);
        if (c->json) {
            print_json(o);
        } else {
            size_t i;
            json_t *v;
            printf("file      %s%s%s (document %d)\n", f.name,
                   f.member[0] ? "!/" : "", f.member, f.doc_index);
            printf("id        %s\nstatus    %s%s%s\n", f.id,
                   ps_enum_name(PS_NAMES_FILE_STATUS, (int)f.status),
                   f.reason[0] ? ": " : "", f.reason);
            printf("format    %s\nsha256    %s (%lld bytes)\n", f.format,
                   f.sha256, (long long)f.size);
            printf("records   %ld: %ld accepted, %ld rejected, %ld "
                   "duplicate\n",
                   f.records, f.accepted, f.rejected, f.duplicates);
            printf("received  %s\ncompleted %s\n", f.received_at,
                   f.completed_at);
            if (f.result_path[0])
                printf("result    %s\n", f.result_path);
            if (f.archive_path[0])
                printf("input now %s\n", f.archive_path);
            json_array_foreach(problems, i, v)
            {
                printf(
                    "  line %-6lld %-9s %-28s %s\n",
                    (long long)json_integer_value(json_object_get(v, "line")),
                    json_string_value(json_object_get(v, "outcome")),
                    json_string_value(json_object_get(v, "code")),
                    json_string_value(json_object_get(v, "message")));
            }
        }
        json_decref(o);
        return EX_OK;
    }
    return usage_error("usage: payspool files list|show%s", "");
}

/* ---- ACH ---------------------------------------------------------------- */

/* payspool ach cutoff: each business's NACHA file of ACH credits and
 * recovery debits, as the job's cutoff step writes it. */
static int cmd_ach(struct ctx *c, struct ps_err *err)
{
    const char *sub = c->a.npos > 0 ? c->a.pos[0] : "";
    struct ps_spool_config cfg;
    struct ps_businesses bl = {NULL, 0, 0}, *l = &bl;
    struct ps_calendar *cal = NULL;
    char cpath[PS_CLI_PATH];
    json_t *arr = NULL;
    int64_t day;
    int rc, lock = -1;

    if (strcmp(sub, "cutoff") != 0)
        return usage_error("usage: payspool ach cutoff [--business B] "
                           "[--date YYYY-MM-DD] [--calendar FILE]%s", "");
    if ((rc = check_opts(&c->a, "business date config calendar")) != 0)
        return rc;
    ps_spool_config_default(&cfg);
    config_path(c, cpath, sizeof(cpath));
    if (ps_spool_config_load(cpath, opt(&c->a, "config") == NULL, &cfg, err) !=
            0 ||
        date_opt(c, &day, err) != 0 || open_calendar(c, &cal, err) != 0 ||
        open_engine(c, 1, err) != 0 || take_lock(c, &lock, err) != 0 ||
        businesses_opt(c, l, err) != 0) {
        rc = fail(err);
        goto out;
    }
    arr = json_array();
    rc = EX_OK;
    for (size_t i = 0; i < l->n; i++) {
        struct ps_ach_config ac;
        struct ps_ach_cutoff_result r;
        char cr[PS_MONEY_STRMAX], db[PS_MONEY_STRMAX];
        if (ps_ach_config_load(cfg.path, l->v[i].name, &ac, err) != 0 ||
            ps_ach_cutoff(c->eng, c->spool, &l->v[i], &ac, cal, day, &r,
                          err) != 0) {
            rc = fail(err);
            break;
        }
        ps_money_format(r.credit_total, 2, cr, sizeof(cr));
        ps_money_format(r.debit_total, 2, db, sizeof(db));
        if (c->json) {
            char fim[2] = {r.file_id_modifier, '\0'};
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, "
                               "s:s, s:i}",
                               "business", l->v[i].name, "path", r.path,
                               "file_id_modifier", fim, "entries",
                               (json_int_t)r.entries, "batches",
                               (json_int_t)r.batches, "credits",
                               (json_int_t)r.credits, "debits",
                               (json_int_t)r.debits, "credit_total", cr,
                               "debit_total", db, "regenerated",
                               r.regenerated));
        } else if (r.path[0] != '\0')
            printf("%s: file %c, %ld entries in %ld batches: %ld credits "
                   "%s, %ld debits %s -> %s%s\n",
                   l->v[i].name, r.file_id_modifier, r.entries, r.batches,
                   r.credits, cr, r.debits, db, r.path,
                   r.regenerated ? " (earlier files regenerated)" : "");
        else
            printf("%s: nothing to send%s\n", l->v[i].name,
                   r.regenerated ? " (earlier files regenerated)" : "");
    }
    if (c->json && rc == EX_OK)
        print_json(arr);
out:
    json_decref(arr);
    ps_calendar_free(cal);
    if (c->eng != NULL && lock >= 0)
        ps_store_guard_release(c->eng->store, (long)getpid(), NULL);
    if (lock >= 0)
        close(lock);
    ps_businesses_free(l);
    return rc;
}

/* ---- check ------------------------------------------------------------ */

static void print_check(const json_t *r)
{
    size_t i, k;
    json_t *d, *p;
    json_array_foreach(json_object_get(r, "documents"), i, d)
    {
        const char *fmt = json_string_value(json_object_get(d, "format"));
        json_int_t total =
            json_integer_value(json_object_get(d, "problems_total"));
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
        printf("\n");
        const char *used =
            json_string_value(json_object_get(d, "options_used"));
        if (used != NULL)
            printf("  lenient options used: %s\n", used);
        json_array_foreach(json_object_get(d, "problems"), k, p)
        {
            const json_t *line = json_object_get(p, "line");
            const json_t *off = json_object_get(p, "offset");
            const char *rt = json_string_value(json_object_get(p, "record_type"));
            const char *field = json_string_value(json_object_get(p, "field"));
            const char *ret =
                json_string_value(json_object_get(p, "return_code"));
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
            printf("%s%s", json_is_integer(line) || field ? ": " : "",
                   json_string_value(json_object_get(p, "rule")));
            if (ret != NULL)
                printf(" (%s)", ret);
            printf(": %s\n", json_string_value(json_object_get(p, "message")));
        }
        if ((json_int_t)json_array_size(json_object_get(d, "problems")) <
            total)
            printf("  ... and %" JSON_INTEGER_FORMAT " more\n",
                   total - (json_int_t)json_array_size(
                               json_object_get(d, "problems")));
    }
}

/*
 * payspool check FILE...: detect, read and validate without applying
 * anything, as intake would; exit 0 when every document is valid, 65
 * when one is not.
 */
static int cmd_check(struct ctx *c, struct ps_err *err)
{
    struct ps_check_opts o;
    struct ps_spool_config cfg;
    struct ps_ach_config ac;
    char cpath[PS_CLI_PATH], names[128];
    const char *business = opt(&c->a, "business");
    int rc, all_valid = 1;
    json_t *arr = NULL;

    if ((rc = check_opts(&c->a, "format lenient business config")) != 0)
        return rc;
    if (need_pos(&c->a, 0, "file to check", err) != 0)
        return fail(err);
    memset(&o, 0, sizeof(o));
    ps_spool_config_default(&cfg);
    config_path(c, cpath, sizeof(cpath));
    if (ps_spool_config_load(cpath, opt(&c->a, "config") == NULL, &cfg, err) !=
        0)
        return fail(err);
    o.limits = cfg.limits;
    o.format = opt(&c->a, "format");
    o.options = opt(&c->a, "lenient");
    if (o.options == NULL && business != NULL) {
        /* The business's own reading options, as intake uses them. */
        if (ps_ach_config_load(cfg.path, business, &ac, err) != 0)
            return fail(err);
        o.options = ps_nacha_lenient_format(ac.lenient, names, sizeof(names));
    }
    if (o.format != NULL) {
        int known = 0;
        for (const struct ps_format *const *f = ps_formats(); *f; f++)
            known |= strcmp((*f)->name, o.format) == 0;
        if (!known)
            return usage_error("unknown --format %s", o.format);
    }
    if (c->json && (arr = json_array()) == NULL)
        return fail(err);
    for (int i = 0; i < c->a.npos; i++) {
        json_t *r = NULL;
        if (ps_check_file(c->a.pos[i], &o, &r, err) != 0) {
            json_decref(arr);
            return fail(err);
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
        print_json(json_array_size(arr) == 1 ? json_array_get(arr, 0) : arr);
        json_decref(arr);
    }
    return all_valid ? EX_OK : EX_DATAERR;
}

/* ---- dispatch ------------------------------------------------------- */

static const char usage_text[] =
    "usage: payspool [--spool DIR] [--db PATH] [--key PATH] [--json] COMMAND\n"
    "\n"
    "  init                                 create the spool, database and "
    "key file\n"
    "  business add NAME [--parent P] [--display-name T] | business list\n"
    "  program add --business B --name N --min A --max A --period-cap A\n"
    "              --max-outstanding A [--currency USD] [--advance-rate 50%]\n"
    "              [--fee-card A] [--fee-ach A] [--debit-fallback]\n"
    "              [--max-debit-attempts N] [--bad-debt-after N]\n"
    "  program list --business B\n"
    "  customer add EXT --business B --first-name F --last-name L --email E\n"
    "              --phone +1... [--type BUSINESS --dba-name D] "
    "[--address-line1"
    " ...]\n"
    "  customer show|suspend|reactivate EXT --business B [--reason R]\n"
    "  account add EXT --business B (--card | --routing RTN "
    "[--account-type CHECKING])\n"
    "              [--name N]   (the number is read from standard input)\n"
    "  account show ID --business B   its status history, debit "
    "authorizations, NOCs\n"
    "  account suspend|reactivate ID --business B --reason R\n"
    "  account authorize ID --business B --kind WEB|PPD|CCD --reference REF\n"
    "  ewa enroll EXT --business B --program P [--account ID] [--begin D] "
    "[--end D]\n"
    "  ewa show EXT --business B [--page N] [--size M]\n"
    "  ewa export --business B [--page-size N]   profiles as JSON Lines\n"
    "  ewa eligibility EXT --business B --status S --reason R\n"
    "  ewa enrollment EXT --business B --status ACTIVE|INACTIVE "
    "[--begin D] [--end D]\n"
    "  tx create --business B --customer EXT --account ID --amount A\n"
    "              [--type SEND|DEBIT] [--currency C] [--request-id R]\n"
    "  tx event ID EVENT [--reason R]   tx show ID\n"
    "  ledger balance [--business B]\n"
    "  run [--once] [--config FILE] [--chunk N] [--jobs DIR] [--jobs-only]\n"
    "              the engine: spool intake and the due jobs\n"
    "  job list | job status [NAME] [--limit N]\n"
    "  job run NAME [--date D] [--rerun --reason TEXT]   one run now\n"
    "  status [--json]   last and next runs, backlog, failures\n"
    "  health            exit status only: 0 healthy, 69 not\n"
    "  payouts run [--business B] [--date YYYY-MM-DD]   push-to-card payout "
    "files\n"
    "  sandbox provider [--business B] [--date YYYY-MM-DD] [--calendar FILE]\n"
    "              the sandbox card processor and ODFI answer the payout "
    "and NACHA files\n"
    "  files list [--business B] [--limit N] | files show ID\n"
    "  ach cutoff [--business B] [--date YYYY-MM-DD]   NACHA files of ACH "
    "credits and debits\n"
    "  check FILE... [--format F] [--lenient LIST | --business B]\n"
    "              validate without applying: every problem; exit 0 valid, "
    "65 not\n"
    "  recon --business B [--date YYYY-MM-DD]   daily reconciliation report\n"
    "  calendar is-banking-day DATE | next DATE [--count N] | holidays YEAR\n"
    "              Federal Reserve banking days [--calendar FILE]\n"
    "\n"
    "Environment: PAYSPOOL_SPOOL, PAYSPOOL_DB, PAYSPOOL_KEY, PAYSPOOL_LOG,\n"
    "PAYSPOOL_JOBS, PAYSPOOL_CALENDAR, PAYSPOOL_NOW.\n"
    "Exit status: 0 ok, 64 usage, 65 bad data, 66 not found, 69/75 busy,\n"
    "74 I/O error, 78 configuration.\n";

int ps_cli_main(int argc, char **argv)
{
    struct ctx c;
    struct ps_err err;
    int rc, level;
    const char *cmd, *log_path, *lvl;

    memset(&c, 0, sizeof(c));
    ps_err_clear(&err);
    if (argc < 2 || strcmp(argv[1], "help") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? EX_USAGE : EX_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("payspool %s (schema %d)\n", PS_VERSION,
               ps_store_latest_version());
        return EX_OK;
    }
    if ((rc = parse(argc - 1, argv + 1, &c.a)) != 0)
        return rc;
    if (c.a.npos == 0)
        return usage_error("no command given%s", "");
    if (opt(&c.a, "help") != NULL) {
        fputs(usage_text, stdout);
        return EX_OK;
    }
    cmd = c.a.pos[0];
    /* Shift the command name off the positionals. */
    memmove(&c.a.pos[0], &c.a.pos[1], sizeof(c.a.pos[0]) * (MAX_POS - 1));
    c.a.npos--;
    c.json = opt(&c.a, "json") != NULL;
    resolve_paths(&c);

    log_path = opt(&c.a, "log");
    if (log_path == NULL)
        log_path = getenv("PAYSPOOL_LOG");
    lvl = opt(&c.a, "log-level");
    /* The engine logs every file and rejection; other commands only
     * warnings, their output is the answer. */
    level = ps_log_level_parse(lvl                       ? lvl
                               : strcmp(cmd, "run") == 0 ? "info"
                                                         : "warn");
    if (level < 0)
        return usage_error("unknown --log-level %s", lvl);
    log_to_file =
        log_path != NULL && log_path[0] != '\0' && strcmp(log_path, "-") != 0;
    if (ps_log_open(log_path, (enum ps_log_level)level, &err) != 0)
        return fail(&err);

    if (strcmp(cmd, "init") == 0)
        rc = cmd_init(&c, &err);
    else if (strcmp(cmd, "business") == 0)
        rc = cmd_business(&c, &err);
    else if (strcmp(cmd, "program") == 0)
        rc = cmd_program(&c, &err);
    else if (strcmp(cmd, "customer") == 0)
        rc = cmd_customer(&c, &err);
    else if (strcmp(cmd, "account") == 0)
        rc = cmd_account(&c, &err);
    else if (strcmp(cmd, "ewa") == 0)
        rc = cmd_ewa(&c, &err);
    else if (strcmp(cmd, "tx") == 0)
        rc = cmd_tx(&c, &err);
    else if (strcmp(cmd, "ledger") == 0)
        rc = cmd_ledger(&c, &err);
    else if (strcmp(cmd, "run") == 0)
        rc = cmd_run(&c, &err);
    else if (strcmp(cmd, "payouts") == 0)
        rc = cmd_payouts(&c, &err);
    else if (strcmp(cmd, "sandbox") == 0)
        rc = cmd_sandbox(&c, &err);
    else if (strcmp(cmd, "files") == 0)
        rc = cmd_files(&c, &err);
    else if (strcmp(cmd, "recon") == 0)
        rc = cmd_recon(&c, &err);
    else if (strcmp(cmd, "calendar") == 0)
        rc = cmd_calendar(&c, &err);
    else if (strcmp(cmd, "job") == 0)
        rc = cmd_job(&c, &err);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(&c, &err);
    else if (strcmp(cmd, "health") == 0)
        rc = cmd_health(&c, &err);
    else if (strcmp(cmd, "check") == 0)
        rc = cmd_check(&c, &err);
    else if (strcmp(cmd, "ach") == 0)
        rc = cmd_ach(&c, &err);
    else
        rc = usage_error("unknown command '%s'", cmd);
    ps_engine_close(c.eng);
    ps_log_close();
    return rc;
}
