/*
 * events.h -- the event outbox's file: every status event of the
 * business not yet written, one JSON object per line, in
 * outbound/<business>/events/events-<time>.jsonl.
 */
#ifndef PS_EVENTS_H
#define PS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/engine.h"

/*
 * Write the file (atomic, with .sha256 and .done: output.h), then mark
 * the events written.  None: no file, *count 0.  A crash between the two
 * writes those events again next pass (each carries its id: a reader
 * drops an id seen before).
 */
int ps_events_write(struct ps_engine *eng, const char *spool,
                    const struct ps_business *b, int64_t now_ms, long *count,
                    char *path, size_t path_size, struct ps_err *err);

#endif /* PS_EVENTS_H */
