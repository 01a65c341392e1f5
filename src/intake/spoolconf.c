/*
 * spoolconf.c -- the configuration file (payspool.ini): intake's [spool]
 * and [limits], and the engine's [provider] and [payouts] settings, over
 * their defaults; [ach ...] sections are left to engine/achconf.c.  One
 * row per directive (Redis config.c style); [health] max_scan_age is
 * read here for `payspool health` (cli/cmd_status.c).  Two directives are not
 * numbers: [spool] sandbox (yes/no) and the provider channel's
 * [provider NAME] businesses = a b c (which businesses a provider's
 * folder answers for, SPEC.md section 4).
 *
 * Its own module, out of spool.c, so that the spool (scan, claim,
 * archive, quarantine) includes nothing of the engine.  It may include
 * base/, formats/ and engine/ (achconf.h for its sections' names, txn.h
 * and handle.h for the defaults), never outbound/ or sched/.
 *
 * How it fails: bad configuration is PS_ECONFIG naming file, line and key
 * (rules CONFIG_KEY, CONFIG_VALUE, CONFIG_SYNTAX); an unreadable file is
 * PS_EIO with errno; on error nothing is applied.
 */
#include "intake/spoolconf.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/achconf.h"
#include "engine/handle.h"
#include "engine/txn.h"

void ps_spool_config_default(struct ps_spool_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->stable_seconds = 5;
    cfg->min_age_seconds = 10;
    cfg->poll_seconds = 5;
    cfg->seal_failed_after_days = 7;
    cfg->progress_seconds = 5;
    /* Each commit rewrites, in the WAL, every page its chunk touched:
     * with records in random employee order that is most of the
     * profile table and its indexes, whatever the chunk's size.  On
     * 200,000 requests, 20,000-record chunks took 14-15 s and
     * 50,000-record chunks 11.3-11.7 s.  Since the row model of issue 21
     * (narrow counter and balance rows, the fee on the transfer row) the
     * chunk's pages fit the 64 MB cache at 100,000: on 1M requests the
     * commits' CPU fell from 2.5-2.6 to 2.0-2.1 s, the writer's stayed
     * (docs/benchmarks.md, "Intake's chunk commits"), peak RSS 128 ->
     * 142 MB.  A chunk holds the write lock for 1.5-2.5 s at that rate,
     * idle to load 8 (other writers wait up to 30 s, store.c). */
    cfg->chunk_records = 100000;
    ps_unwrap_limits_default(&cfg->limits);
    cfg->provider_max_attempts = PS_TXN_MAX_ATTEMPTS;
    cfg->payout_max_records = PS_PAYOUT_MAX_RECORDS;
}

enum ctype { C_INT, C_LONG, C_I64 };

/* One row per directive (Redis config.c style). */
static const struct directive {
    const char *section;
    const char *name;
    enum ctype type;
    size_t offset;
    int64_t min, max;
} directives[] = {
    {"spool", "stable_seconds", C_INT,
     offsetof(struct ps_spool_config, stable_seconds), 0, 86400},
    {"spool", "min_age_seconds", C_INT,
     offsetof(struct ps_spool_config, min_age_seconds), 0, 86400},
    {"spool", "poll_seconds", C_INT,
     offsetof(struct ps_spool_config, poll_seconds), 1, 3600},
    {"spool", "seal_failed_after_days", C_INT,
     offsetof(struct ps_spool_config, seal_failed_after_days), 0, 3650},
    {"spool", "archive_retention_days", C_INT,
     offsetof(struct ps_spool_config, archive_retention_days), 0, 36500},
    {"spool", "chunk_records", C_LONG,
     offsetof(struct ps_spool_config, chunk_records), 1, 1000000},
    {"limits", "max_depth", C_INT,
     offsetof(struct ps_spool_config, limits.max_depth), 0, 8},
    {"limits", "max_members", C_LONG,
     offsetof(struct ps_spool_config, limits.max_members), 1, 1000000},
    {"limits", "max_bytes", C_I64,
     offsetof(struct ps_spool_config, limits.max_bytes), 1, INT64_C(1) << 50},
    {"limits", "max_ratio", C_I64,
     offsetof(struct ps_spool_config, limits.max_ratio), 1, 100000},
    {"provider", "max_attempts", C_INT,
     offsetof(struct ps_spool_config, provider_max_attempts), 1, 100},
    {"payouts", "max_records", C_LONG,
     offsetof(struct ps_spool_config, payout_max_records), 1, 1000000},
    {"log", "progress_seconds", C_INT,
     offsetof(struct ps_spool_config, progress_seconds), 1, 3600},
    {"health", "max_scan_age", C_INT,
     offsetof(struct ps_spool_config, health_max_scan_age), 0, 31536000},
};

int ps_spool_config_name_ok(const char *v)
{
    size_t n = strlen(v);
    int ok = n >= 1 && n <= PS_PROVIDER_NAME_MAX &&
             ((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= '0' && v[0] <= '9'));
    for (size_t i = 1; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
             v[i] == '-' || v[i] == '_';
    return ok;
}

int ps_spool_config_bound(const struct ps_spool_config *cfg,
                          const char *provider, const char *business)
{
    char needle[PS_PROVIDER_NAME_MAX + 3];
    if (cfg->sandbox && strcmp(provider, PS_SANDBOX_PROVIDER) == 0)
        return 1;
    if (snprintf(needle, sizeof(needle), " %s ", business) >=
        (int)sizeof(needle))
        return 0;
    for (int i = 0; i < cfg->nproviders; i++)
        if (strcmp(cfg->providers[i].name, provider) == 0)
            return strstr(cfg->providers[i].businesses, needle) != NULL;
    return 0;
}

/*
 * [provider NAME] businesses = a b c (or a,b,c): bind NAME to those
 * businesses.  A second section of the same name, a bad name or a
 * business named twice is an error: a binding is a trust decision, so
 * nothing is guessed.
 */
static int provider_binding(struct ps_spool_config *cfg, const char *section,
                            const char *name, const char *value,
                            struct ps_err *err)
{
    const char *pn = section + strlen("provider");
    struct ps_provider_binding *pb;
    char list[sizeof(pb->businesses)];
    while (*pn == ' ' || *pn == '\t')
        pn++;
    if (strcmp(name, "businesses") != 0) {
        ps_err_set(err, PS_ECONFIG, "CONFIG_KEY",
                   "unknown setting [%s] %s (a provider section has only "
                   "businesses = ...)",
                   section, name);
        return ps_err_field(err, name);
    }
    if (!ps_spool_config_name_ok(pn) || strcmp(pn, PS_SANDBOX_PROVIDER) == 0) {
        ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                   "[%s]: a provider name is 1 to 64 of a-z, 0-9, '-' and "
                   "'_' (and not \"sandbox\", bound by [spool] sandbox = yes)",
                   section);
        return ps_err_field(err, "provider");
    }
    for (int i = 0; i < cfg->nproviders; i++)
        if (strcmp(cfg->providers[i].name, pn) == 0) {
            ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                       "[%s] businesses: provider %s is bound twice (one "
                       "section, one businesses line per provider)",
                       section, pn);
            return ps_err_field(err, name);
        }
    if (cfg->nproviders == PS_PROVIDERS_MAX) {
        ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                   "[%s]: more than %d providers", section, PS_PROVIDERS_MAX);
        return ps_err_field(err, name);
    }
    pb = &cfg->providers[cfg->nproviders];
    memset(pb, 0, sizeof(*pb));
    ps_strlcpy(pb->name, pn, sizeof(pb->name));
    ps_strlcpy(pb->businesses, " ", sizeof(pb->businesses));
    ps_strlcpy(list, value, sizeof(list));
    for (char *save = NULL, *b = strtok_r(list, " ,\t", &save); b != NULL;
         b = strtok_r(NULL, " ,\t", &save)) {
        char needle[PS_PROVIDER_NAME_MAX + 3];
        if (!ps_spool_config_name_ok(b)) {
            ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                       "[%s] businesses: \"%.64s\" is not a business name "
                       "(a-z, 0-9, '-', '_'; separated by spaces or commas)",
                       section, b);
            return ps_err_field(err, name);
        }
        snprintf(needle, sizeof(needle), " %s ", b);
        if (strstr(pb->businesses, needle) != NULL) {
            ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                       "[%s] businesses: %s is named twice", section, b);
            return ps_err_field(err, name);
        }
        size_t used = strlen(pb->businesses);
        int n = snprintf(pb->businesses + used, sizeof(pb->businesses) - used,
                         "%s ", b);
        if (n < 0 || (size_t)n >= sizeof(pb->businesses) - used) {
            pb->businesses[used] = '\0';
            ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                       "[%s] businesses: the list is too long", section);
            return ps_err_field(err, name);
        }
    }
    if (strcmp(pb->businesses, " ") == 0) {
        ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                   "[%s] businesses: no business named", section);
        return ps_err_field(err, name);
    }
    cfg->nproviders++;
    return 0;
}

/* [spool] sandbox = yes | no */
static int sandbox_flag(struct ps_spool_config *cfg, const char *value,
                        struct ps_err *err)
{
    if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
        strcmp(value, "1") == 0)
        cfg->sandbox = 1;
    else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
             strcmp(value, "0") == 0)
        cfg->sandbox = 0;
    else {
        ps_err_set(err, PS_ECONFIG, "CONFIG_VALUE",
                   "[spool] sandbox = %.64s: must be yes or no", value);
        return ps_err_field(err, "sandbox");
    }
    return 0;
}

struct cfg_ctx {
    struct ps_spool_config *cfg;
    struct ps_err *err;
    int failed; /* inih reads on after a bad line: the first error wins */
};

static int cfg_handler(void *user, const char *section, const char *name,
                       const char *value)
{
    struct cfg_ctx *c = user;
    if (c->failed)
        return 0;
    if (ps_ach_config_section(section))
        return 1; /* a business's ACH settings: achconf.c reads them */
    if (strncmp(section, "provider", 8) == 0 &&
        (section[8] == ' ' || section[8] == '\t')) {
        c->failed = provider_binding(c->cfg, section, name, value, c->err) != 0;
        return !c->failed;
    }
    if (strcmp(section, "spool") == 0 && strcmp(name, "sandbox") == 0) {
        c->failed = sandbox_flag(c->cfg, value, c->err) != 0;
        return !c->failed;
    }
    c->failed = 1; /* until the directive is found and valid */
    for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
        const struct directive *d = &directives[i];
        char *end;
        long long v;
        if (strcmp(d->section, section) != 0 || strcmp(d->name, name) != 0)
            continue;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < d->min ||
            v > d->max) {
            ps_err_set(c->err, PS_ECONFIG, "CONFIG_VALUE",
                       "[%s] %s = %s: must be a whole number from %lld to "
                       "%lld",
                       section, name, value, (long long)d->min,
                       (long long)d->max);
            ps_err_field(c->err, name);
            return 0;
        }
        char *p = (char *)c->cfg + d->offset;
        if (d->type == C_INT)
            *(int *)(void *)p = (int)v;
        else if (d->type == C_LONG)
            *(long *)(void *)p = (long)v;
        else
            *(int64_t *)(void *)p = (int64_t)v;
        c->failed = 0;
        return 1;
    }
    ps_err_set(c->err, PS_ECONFIG, "CONFIG_KEY", "unknown setting [%s] %s",
               section, name);
    ps_err_field(c->err, name);
    return 0;
}

int ps_spool_config_load(const char *path, int optional,
                         struct ps_spool_config *cfg, struct ps_err *err)
{
    struct ps_spool_config tmp = *cfg;
    struct cfg_ctx c = {&tmp, err, 0};
    /* Bindings and the sandbox flag are the file's alone, never carried
     * over from what is loaded over (a reload, a second file). */
    tmp.nproviders = 0;
    tmp.sandbox = 0;
    FILE *f = fopen(path, "re");
    int line;
    if (f == NULL) {
        if (errno == ENOENT && optional)
            return 0;
        int rc = ps_err_sys(err, errno, "cannot read configuration %s", path);
        ps_err_at(err, path, 0, -1);
        return rc;
    }
    ps_err_clear(err);
    line = ini_parse_file(f, cfg_handler, &c);
    fclose(f);
    if (line != 0) {
        if (err != NULL && err->code == 0)
            ps_err_set(err, PS_ECONFIG, "CONFIG_SYNTAX",
                       "not a valid INI line");
        ps_err_at(err, path, line > 0 ? line : 0, -1);
        return PS_ECONFIG;
    }
    ps_strlcpy(tmp.path, path, sizeof(tmp.path));
    *cfg = tmp;
    return 0;
}
