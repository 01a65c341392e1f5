/*
 * metrics.c -- the SQL of the Prometheus textfile (store/metrics.h): one
 * statement per group of metrics, over the whole database (files,
 * outputs and their items, provider answers, job runs).  Read-only but
 * for output_sums, a cache of each payment file's sums
 * (ps_store_metrics_keep_sums).
 *
 * How it fails: as every store function (store.h); an unknown query
 * number is PS_EINTERNAL.
 */
#include "store/metrics.h"

#include <string.h>

#include "base/money.h"
#include "store/store.h"
#include "store/store_int.h"

#define METRICS_DIRECTION                                                      \
    "CASE t.type WHEN 'SEND' THEN 'CREDIT' ELSE 'DEBIT' END"

/* The items of the payment files not yet in output_sums, summed by file,
 * direction and currency (the caller's GROUP BY): PRE and POST are the
 * columns around (direction, currency, items, amount).  CROSS JOIN keeps
 * SQLite's join order: the files first, each summed one skipped before
 * its items are read (else it walks every item ever paid, each tick). */
#define OUTPUT_ITEMS_UNSUMMED(pre, post)                                       \
    "SELECT " pre METRICS_DIRECTION ", t.currency, count(*),"                  \
    " sum(t.amount)" post " FROM outputs o"                                    \
    " CROSS JOIN output_items i ON i.output_id = o.id"                         \
    " JOIN transactions t ON t.id = i.txn_id"
#define NOT_SUMMED                                                             \
    "NOT EXISTS (SELECT 1 FROM output_sums u WHERE u.output_id = o.id)"

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
      "SELECT b.name, o.kind, o.created_at, u.direction, u.currency,"          \
      " u.items, u.amount, o.id FROM outputs o JOIN businesses b"              \
      " ON b.id = o.business_id JOIN output_sums u ON u.output_id = o.id"      \
      " WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD')"                             \
      " UNION ALL " OUTPUT_ITEMS_UNSUMMED("b.name, o.kind, o.created_at, ",    \
                                          ", o.id")                            \
      " JOIN businesses b ON b.id = o.business_id"                             \
      " WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD') AND " NOT_SUMMED             \
      " GROUP BY o.id, 4, 5 ORDER BY 3, 8, 4, 5")                              \
    X(METRICS_OUTPUT_SUMS_KEEP,                                                \
      "INSERT INTO output_sums(output_id, direction, currency, items, amount)" \
      " " OUTPUT_ITEMS_UNSUMMED("o.id, ", "")                                  \
      " WHERE o.kind IN ('NACHA', 'PUSH_TO_CARD') AND " NOT_SUMMED             \
      " GROUP BY o.id, 2, 3")                                                  \
    X(METRICS_OUTPUT_SUM_PUT,                                                  \
      "INSERT INTO output_sums(output_id, direction, currency, items, amount)" \
      " VALUES (?1, ?2, ?3, ?4, ?5)")                                          \
    X(METRICS_ANSWER_SUMS,                                                     \
      "SELECT b.name, u.status, u.currency, u.answers, u.amount"               \
      " FROM answer_sums u JOIN businesses b ON b.id = u.business_id"          \
      " ORDER BY 1, 2, 3")                                                     \
    /* before schema 31: every answer, joined to its transaction */            \
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
    enum stmt_id id = metrics_stmt[q];
    if (q == PS_METRICS_Q_ANSWERS && s->answer_sums)
        id = STMT_METRICS_ANSWER_SUMS;
    if ((rc = prep(s, id, &st, err)) != 0)
        return rc;
    return ps_sq_recon_rows(s, st, "metrics query", cb, ctx, err);
}

/* A payment file's items commit with its output row and never change:
 * sum those of the files not yet summed, once, into output_sums, so that
 * the next query reads a row a file and direction instead of joining
 * every item ever paid to its transaction. */
int ps_store_metrics_keep_sums(struct ps_store *s, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = ps_store_begin(s, err);
    if (rc != 0)
        return rc;
    if ((rc = prep(s, STMT_METRICS_OUTPUT_SUMS_KEEP, &st, err)) == 0 &&
        (rc = ps_sq_exec_step(s, st, "sum the payment files' items",
                              err)) == 0 &&
        (rc = ps_store_commit(s, err)) == 0)
        return 0;
    ps_store_rollback(s);
    return rc;
}

int ps_store_output_sums_put(struct ps_store *s, const char *output_id,
                             const struct ps_txn *v, size_t n,
                             struct ps_err *err)
{
    struct {
        int credit;
        char currency[4];
        int64_t items, amount;
    } sum[8];
    size_t nsum = 0, k;
    sqlite3_stmt *st = NULL;
    int rc;
    for (size_t i = 0; i < n; i++) {
        /* METRICS_DIRECTION's rule: a SEND is a credit, else a debit */
        int credit = v[i].type == PS_TXN_SEND;
        for (k = 0; k < nsum; k++)
            if (sum[k].credit == credit &&
                strcmp(sum[k].currency, v[i].currency) == 0)
                break;
        if (k == nsum) {
            if (nsum == sizeof(sum) / sizeof(sum[0]))
                return 0; /* the tick sums this one */
            sum[k].credit = credit;
            ps_strlcpy(sum[k].currency, v[i].currency, sizeof(sum[k].currency));
            sum[k].items = sum[k].amount = 0;
            nsum++;
        }
        sum[k].items++;
        if ((rc = ps_money_add(sum[k].amount, v[i].amount, &sum[k].amount,
                               err)) != 0)
            return rc;
    }
    if (nsum > 0 && (rc = prep(s, STMT_METRICS_OUTPUT_SUM_PUT, &st, err)) != 0)
        return rc;
    for (k = 0; k < nsum; k++) {
        BIND(st, 1, output_id);
        BIND(st, 2, sum[k].credit ? "CREDIT" : "DEBIT");
        BIND(st, 3, sum[k].currency);
        BIND_INT(st, 4, sum[k].items);
        BIND_INT(st, 5, sum[k].amount);
        if ((rc = ps_sq_exec_step(s, st, "keep a payment file's sums", err)) !=
            0)
            return rc;
    }
    return 0;
}
