/*
 * metrics.c -- the SQL of the Prometheus textfile (store/metrics.h): one
 * statement per group of metrics, over the whole database (files,
 * outputs and their items, provider answers, job runs).  Read-only.
 *
 * How it fails: as every store function (store.h); an unknown query
 * number is PS_EINTERNAL.
 */
#include "store/metrics.h"

#include "store/store.h"
#include "store/store_int.h"

#define METRICS_DIRECTION                                                      \
    "CASE t.type WHEN 'SEND' THEN 'CREDIT' ELSE 'DEBIT' END"

/* This file's statements; PS_SQ_AREA (store_int.h) gives each its
 * cached slot and defines prep(). */
#define METRICS_STMTS(X)                                                       \
    X(METRICS_INTAKE,                                                          \
      "SELECT b.name, ifnull(f.format, ''), f.status, count(*),"               \
      " sum(f.records), sum(f.accepted), sum(f.rejected), sum(f.duplicates)"   \
      " FROM files f JOIN businesses b ON b.id = f.business_id"                \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")                                    \
    X(METRICS_INTAKE_AMOUNTS,                                                  \
      "SELECT b.name, ifnull(f.format, ''), f.currency,"                       \
      " sum(f.amount_accepted)"                                                \
      " FROM files f JOIN businesses b ON b.id = f.business_id"                \
      " WHERE f.status = 'APPLIED' AND f.currency IS NOT NULL"                 \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")                                    \
    X(METRICS_PAYOUT_FILES,                                                    \
      "SELECT b.name, o.kind, count(*)"                                        \
      " FROM outputs o JOIN businesses b ON b.id = o.business_id"              \
      " WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD')"                             \
      " GROUP BY 1, 2 ORDER BY 1, 2")                                          \
    X(METRICS_OUTPUT_ITEMS,                                                    \
      "SELECT b.name, o.kind, o.created_at, " METRICS_DIRECTION ","            \
      " t.currency, count(*), sum(t.amount) FROM outputs o JOIN businesses b"  \
      " ON b.id = o.business_id JOIN output_items i ON i.output_id = o.id"     \
      " JOIN transactions t ON t.id = i.txn_id"                                \
      " WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD')"                             \
      " GROUP BY o.id, 4, 5 ORDER BY o.created_at, o.id, 4, 5")                \
    X(METRICS_ANSWERS,                                                         \
      "SELECT b.name, a.status, t.currency, count(*), sum(a.amount)"           \
      " FROM provider_answers a JOIN businesses b ON b.id = a.business_id"     \
      " JOIN transactions t ON t.id = a.txn_id"                                \
      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")

PS_SQ_AREA(PS_SQ_AREA_METRICS, METRICS_STMTS)

static const enum stmt_id metrics_stmt[PS_METRICS_Q_N] = {
    [PS_METRICS_Q_INTAKE] = STMT_METRICS_INTAKE,
    [PS_METRICS_Q_INTAKE_AMOUNTS] = STMT_METRICS_INTAKE_AMOUNTS,
    [PS_METRICS_Q_PAYOUT_FILES] = STMT_METRICS_PAYOUT_FILES,
    [PS_METRICS_Q_OUTPUT_ITEMS] = STMT_METRICS_OUTPUT_ITEMS,
    [PS_METRICS_Q_ANSWERS] = STMT_METRICS_ANSWERS,
};

int ps_store_metrics_query(struct ps_store *s, enum ps_metrics_query q,
                           int (*cb)(void *ctx, const struct ps_recon_row *),
                           void *ctx, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (PS_NEVER((unsigned)q >= PS_METRICS_Q_N))
        return ps_err_set(err, PS_EINTERNAL, "METRICS_QUERY",
                          "unknown metrics query %d", (int)q);
    if ((rc = prep(s, metrics_stmt[q], &st, err)) != 0)
        return rc;
    return ps_sq_recon_rows(s, st, "metrics query", cb, ctx, err);
}
