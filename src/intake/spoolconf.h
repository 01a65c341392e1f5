/*
 * spoolconf.h -- the configuration file: the settings of intake (spool
 * stability, chunks, archive limits) and those the engine takes from the
 * same file ([provider] max_attempts, [payouts] max_records).
 */
#ifndef PS_SPOOLCONF_H
#define PS_SPOOLCONF_H

#include "base/err.h"
#include "formats/archive/unwrap.h"

/* The provider channel ([provider NAME] sections): at most this many
 * providers, each bound to businesses by name. */
#define PS_PROVIDERS_MAX 32
#define PS_PROVIDER_NAME_MAX 64
/* The sandbox's provider: bound to every business of a sandbox spool. */
#define PS_SANDBOX_PROVIDER "sandbox"

struct ps_provider_binding {
    char name[PS_PROVIDER_NAME_MAX + 1];
    char businesses[2048]; /* " a b c ": each name between single spaces */
};

struct ps_spool_config {
    int stable_seconds;  /* size and mtime unchanged this long; default 5 */
    int min_age_seconds; /* and at least this old; default 10 */
    int poll_seconds;    /* daemon scan interval; default 5 */
    int seal_failed_after_days; /* failed/ inputs are encrypted after
                                 * this many days; 0 at once; default 7
                                 * (seal.h) */
    int archive_retention_days; /* `archive prune` without --older-than
                                 * removes archives older than this; 0
                                 * (the default): none set (retention.h) */
    long chunk_records;  /* records per SQLite transaction; default 100000 */
    struct ps_unwrap_limits limits;
    int provider_max_attempts; /* [provider] max_attempts: provider
                                * attempts before an error is final;
                                * default PS_TXN_MAX_ATTEMPTS */
    long payout_max_records;   /* [payouts] max_records: lines a payout
                                * file holds at most; default
                                * PS_PAYOUT_MAX_RECORDS */
    int progress_seconds; /* [log] progress_seconds: during long work a
                           * progress event in the log this often;
                           * default 5 (base/progress.h) */
    int health_max_scan_age; /* [health] max_scan_age: seconds since the
                              * last scan after which `payspool health`
                              * fails; 0 (default) does not check */
    int sandbox; /* [spool] sandbox = yes: a sandbox spool; the provider
                  * "sandbox" is bound to every business and `payspool
                  * sandbox provider` may write answers */
    int nproviders;
    struct ps_provider_binding providers[PS_PROVIDERS_MAX];
    char path[1024]; /* the file read, "" for the defaults: businesses'
                      * [ach] settings are read from it (achconf.h) */
};

void ps_spool_config_default(struct ps_spool_config *cfg);

/*
 * Read an INI configuration file over the defaults (or the values in
 * cfg); the provider bindings and the sandbox flag are the file's only.
 * A missing file is not an error when `optional` (no bindings then).  Errors
 * name the file, line and key (rule CONFIG_KEY, CONFIG_VALUE).
 */
int ps_spool_config_load(const char *path, int optional,
                         struct ps_spool_config *cfg, struct ps_err *err);

/*
 * 1 when `provider` may answer for `business`: a [provider NAME] section
 * binds it, or the spool is a sandbox and it is PS_SANDBOX_PROVIDER.
 */
int ps_spool_config_bound(const struct ps_spool_config *cfg,
                          const char *provider, const char *business);

/* 1 when `name` is a valid provider or business name (a folder name):
 * 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit. */
int ps_spool_config_name_ok(const char *name);

#endif /* PS_SPOOLCONF_H */
