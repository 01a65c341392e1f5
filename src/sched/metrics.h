/*
 * metrics.h -- what watches the engine from outside: the Prometheus
 * textfile <spool>/metrics/payspool.prom (for node_exporter's textfile
 * collector; docs/metrics.md lists every metric) and the scan heartbeat
 * <spool>/metrics/scan.json that `payspool health` reads.
 *
 * How it fails: PS_EIO (with errno) when a file cannot be written or
 * read, store errors as usual; PS_ENOTFOUND from ps_sched_scan_read()
 * when no scan was ever recorded; PS_EINVAL (rule SCAN_STATE) when the
 * heartbeat is not the JSON written here.
 */
#ifndef PS_SCHED_METRICS_H
#define PS_SCHED_METRICS_H

#include <stdint.h>

#include "base/err.h"
#include "sched/scheduler.h"

/*
 * Write the Prometheus textfile atomically (temporary name, fsync,
 * rename): intake, backlog, the last scan, jobs, payouts, provider
 * answers and the last reconciliation's alerts of each business, every
 * amount labelled by its currency.
 */
int ps_sched_metrics(const struct ps_sched_env *env, const struct ps_jobs *jobs,
                     struct ps_err *err);

/* Record a finished scan of the spool at now_ms (ms since the epoch, the
 * engine's clock): <spool>/metrics/scan.json replaced by rename (no
 * fsync: a heartbeat lost in a crash only looks older). */
int ps_sched_scan_mark(const char *spool, int64_t now_ms, struct ps_err *err);

/* The last scan recorded: *at_ms (ms since the epoch) and *pid. */
int ps_sched_scan_read(const char *spool, int64_t *at_ms, long *pid,
                       struct ps_err *err);

#endif /* PS_SCHED_METRICS_H */
