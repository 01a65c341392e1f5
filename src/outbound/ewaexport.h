/*
 * ewaexport.h -- the EWA profile export: the engine's profile objects
 * (engine/ewa.h) written as JSON Lines files for others to read.
 */
#ifndef PS_EWAEXPORT_H
#define PS_EWAEXPORT_H

#include <stddef.h>

#include "base/err.h"
#include "engine/engine.h"

/*
 * The EWA profile export: every profile of the business, one seed object
 * per line (JSON Lines, the newest `page_size` disbursements in
 * `payment`), written to <spool>/outbound/<business>/exports/
 * ewa-profiles-<business>-<YYYYMMDD>-<NNN>.jsonl through output.c (temp
 * name, fsync, no-clobber rename, .sha256, .done).  NNN is the first
 * free sequence of the day, so each run writes its own file.  The path
 * written goes to path (size bytes), the number of profiles to *count.
 * PAGE_RANGE for a page_size outside 1..1000, TOO_MANY_EXPORTS after 999
 * files in a day; nothing is left under the final name on error.
 */
int ps_ewaexport_write(struct ps_engine *eng, const char *spool,
                       const struct ps_business *b, int page_size, char *path,
                       size_t size, long *count, struct ps_err *err);

#endif /* PS_EWAEXPORT_H */
