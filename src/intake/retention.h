/*
 * retention.h -- the archive's retention: `payspool archive prune`.
 *
 * Processed inputs are kept, encrypted, under
 * archive/YYYY/MM/DD/<business>/ (seal.h), the date being the day they
 * were archived.  Nothing in payspool ever deletes an input on its own:
 * pruning is an operator's act, by the retention policy of the business
 * (NACHA's Rules ask an ODFI to keep a record of each entry for six
 * years; a business's own policy may say more).  A date folder is pruned
 * when it is more than `days` whole days before today (UTC, the engine's
 * clock): with days = 2190 on 2026-12-07, archive/2020/12/06/ goes and
 * archive/2020/12/07/ stays.
 *
 * Only what payspool writes there is removed: NAME.gz.enc with its
 * .sha256 and .done, and the plain .gz archives of older versions.
 * Anything else (a file an operator put there, a symbolic link, a
 * folder not named as a date) is left and reported, and so is the folder
 * holding it.  Each removal is logged (archive.pruned); the folders
 * emptied are removed and their parents fsynced.  failed/ is never
 * touched: what is there waits for a person.
 */
#ifndef PS_RETENTION_H
#define PS_RETENTION_H

#include <stdint.h>

#include "base/err.h"

struct ps_prune_stats {
    long files;    /* archived inputs removed (or, dry run, to remove) */
    int64_t bytes; /* their size, with their .sha256 and .done */
    long kept;     /* entries left in a folder past retention: not ours */
    long folders;  /* date and business folders removed */
};

/* Called for each archived input removed (dry run: that would be). */
typedef void (*ps_prune_fn)(void *ctx, const char *path, int64_t bytes);

/*
 * Prune spool/archive of the date folders more than `days` days old
 * (days >= 1).  dry_run: remove nothing, report what would go.  Errors:
 * an archive folder that cannot be read or an entry that cannot be
 * removed (PS_EIO), after everything else was done; a missing archive/
 * is no error (nothing to prune).
 */
int ps_archive_prune(const char *spool, int days, int dry_run, ps_prune_fn fn,
                     void *ctx, struct ps_prune_stats *st, struct ps_err *err);

#endif /* PS_RETENTION_H */
