/*
 * spoolconf.h -- the configuration file: the settings of intake (spool
 * stability, chunks, archive limits) and those the engine takes from the
 * same file ([provider] max_attempts, [payouts] max_records).
 */
#ifndef PS_SPOOLCONF_H
#define PS_SPOOLCONF_H

#include "base/err.h"
#include "formats/archive/unwrap.h"

struct ps_spool_config {
    int stable_seconds;  /* size and mtime unchanged this long; default 5 */
    int min_age_seconds; /* and at least this old; default 10 */
    int poll_seconds;    /* daemon scan interval; default 5 */
    int seal_failed_after_days; /* failed/ inputs are encrypted after
                                 * this many days; 0 at once; default 7
                                 * (seal.h) */
    long chunk_records;  /* records per SQLite transaction; default 50000 */
    struct ps_unwrap_limits limits;
    int provider_max_attempts; /* [provider] max_attempts: provider
                                * attempts before an error is final;
                                * default PS_TXN_MAX_ATTEMPTS */
    long payout_max_records;   /* [payouts] max_records: lines a payout
                                * file holds at most; default
                                * PS_PAYOUT_MAX_RECORDS */
    char path[1024]; /* the file read, "" for the defaults: businesses'
                      * [ach] settings are read from it (achconf.h) */
};

void ps_spool_config_default(struct ps_spool_config *cfg);

/*
 * Read an INI configuration file over the defaults.  A missing file is
 * not an error when `optional`.  Errors name the file, line and key
 * (rule CONFIG_KEY, CONFIG_VALUE).
 */
int ps_spool_config_load(const char *path, int optional,
                         struct ps_spool_config *cfg, struct ps_err *err);

#endif /* PS_SPOOLCONF_H */
