/*
 * reconcamt.c -- the movements of a business's FUNDING account on one
 * day, for the camt.053 statement of the reconciliation step
 * (ps_store_recon_funding_moves(), store/recon.h): the rows
 * ps_store_funding_moves() gives (iso.c's ISO_FUNDING_MOVES, a filter of
 * every ledger entry of every day), read instead
 *
 *   - within the day's range of entry ids (schema v27's
 *     ledger_entry_days, kept at each commit): the day's rows, not the
 *     history's;
 *   - and, when the business has one FUNDING account (the engine makes
 *     one), as two queries, its debits and its credits, each in id
 *     order, merged by id; an entry cannot be in both (its two accounts
 *     differ).  Until schema 33 each was a range of the entries' index
 *     by debit or by credit account; since, without those indexes, each
 *     is the day's range of ids filtered by the account.
 *
 * The same rows in the same order as the query of iso.c: every condition
 * of that query stays in these (the currency, the day of created_at, both
 * accounts present); the id range only narrows where they are looked for.
 *
 * How it fails: as every store function (store.h).
 */
#include "store/recon.h"

#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

#define DAY_RANGE                                                              \
    " e.id >= (SELECT first_id FROM ledger_entry_days WHERE day = ?2)"         \
    " AND e.id <= (SELECT last_id FROM ledger_entry_days WHERE day = ?2)"
#define MOVE_FILTER                                                            \
    " AND e.currency = ?4 AND e.created_at >= ?2 AND e.created_at < ?3"

/* Any business's FUNDING accounts, the day's range of ids. */
static const char moves_range_sql[] =
    PS_FUNDING_MOVE_COLS " WHERE" DAY_RANGE
    " AND ((da.business_id = ?1 AND da.kind = 'FUNDING')"
    " OR (ca.business_id = ?1 AND ca.kind = 'FUNDING'))" MOVE_FILTER
    " ORDER BY e.id";
/* One account (?5) on one side, the day's range of ids. */
static const char moves_debit_sql[] =
    PS_FUNDING_MOVE_COLS " WHERE e.debit_account = ?5 AND" DAY_RANGE
    MOVE_FILTER " ORDER BY e.id";
static const char moves_credit_sql[] =
    PS_FUNDING_MOVE_COLS " WHERE e.credit_account = ?5 AND" DAY_RANGE
    MOVE_FILTER " ORDER BY e.id";
static const char funding_accounts_sql[] =
    "SELECT id FROM ledger_accounts WHERE business_id = ?1"
    " AND kind = 'FUNDING' LIMIT 2";

static int prepare(struct ps_store *s, const char *sql, sqlite3_stmt **st,
                   const char *business_id, const char *currency,
                   const char *day, const char *next_day, int64_t account,
                   struct ps_err *err)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the funding account's movements",
                           err);
    if (sqlite3_bind_parameter_index(*st, "?1") > 0)
        sqlite3_bind_text(*st, 1, business_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 2, day, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 3, next_day, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 4, currency, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_index(*st, "?5") > 0)
        sqlite3_bind_int64(*st, 5, account);
    return 0;
}

/* The business's one FUNDING account, or 0 (none, or several). */
static int funding_account(struct ps_store *s, const char *business_id,
                           int64_t *account, struct ps_err *err)
{
    sqlite3_stmt *st = NULL;
    int n = 0;
    int rc = sqlite3_prepare_v2(s->db, funding_accounts_sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return ps_sq_error(s, rc, "prepare the funding accounts", err);
    sqlite3_bind_text(st, 1, business_id, -1, SQLITE_STATIC);
    *account = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (n++ == 0)
            *account = sqlite3_column_int64(st, 0);
    if (n != 1)
        *account = 0;
    rc = rc == SQLITE_DONE ? 0 : ps_sq_error(s, rc, "funding accounts", err);
    sqlite3_finalize(st);
    return rc;
}

/* Step one of the two ranges: 1 a row, 0 done, < 0 SQLite's error. */
static int next(sqlite3_stmt *st, int *live)
{
    int rc;
    if (!*live)
        return 0;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        return 1;
    *live = 0;
    return rc == SQLITE_DONE ? 0 : -rc;
}

/* The two ranges of one account, merged by entry id. */
static int merged(struct ps_store *s, sqlite3_stmt *dr, sqlite3_stmt *cr,
                  int (*cb)(void *ctx, const struct ps_funding_move_row *),
                  void *ctx, struct ps_err *err)
{
    int dl = 1, cl = 1;
    int hd = next(dr, &dl), hc = next(cr, &cl);
    while (hd > 0 || hc > 0) {
        sqlite3_stmt *st = hc <= 0 || (hd > 0 && sqlite3_column_int64(dr, 0) <
                                                     sqlite3_column_int64(cr, 0))
                               ? dr
                               : cr;
        struct ps_funding_move_row r;
        ps_store_funding_move_read(st, &r);
        if (cb(ctx, &r) != 0)
            return 0;
        if (st == dr)
            hd = next(dr, &dl);
        else
            hc = next(cr, &cl);
    }
    if (hd < 0 || hc < 0)
        return ps_sq_error(s, hd < 0 ? -hd : -hc,
                           "list the funding account's movements", err);
    return 0;
}

int ps_store_recon_funding_moves(
    struct ps_store *s, const char *business_id, const char *currency,
    const char *day, const char *next_day,
    int (*cb)(void *ctx, const struct ps_funding_move_row *), void *ctx,
    struct ps_err *err)
{
    sqlite3_stmt *dr = NULL, *cr = NULL;
    int64_t account = 0;
    int rc;
    if (!s->entry_days) /* no day ranges: every entry, filtered */
        return ps_store_funding_moves(s, business_id, currency, day, next_day,
                                      cb, ctx, err);
    if ((rc = funding_account(s, business_id, &account, err)) != 0)
        return rc;
    if (account == 0) { /* several (or none): the day's range, filtered */
        if ((rc = prepare(s, moves_range_sql, &dr, business_id, currency, day,
                          next_day, 0, err)) != 0)
            return rc;
        while ((rc = sqlite3_step(dr)) == SQLITE_ROW) {
            struct ps_funding_move_row r;
            ps_store_funding_move_read(dr, &r);
            if (cb(ctx, &r) != 0)
                break;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE
                 ? 0
                 : ps_sq_error(s, rc, "list the funding account's movements",
                               err);
        sqlite3_finalize(dr);
        return rc;
    }
    if ((rc = prepare(s, moves_debit_sql, &dr, business_id, currency, day,
                      next_day, account, err)) == 0 &&
        (rc = prepare(s, moves_credit_sql, &cr, business_id, currency, day,
                      next_day, account, err)) == 0)
        rc = merged(s, dr, cr, cb, ctx, err);
    sqlite3_finalize(dr);
    sqlite3_finalize(cr);
    return rc;
}
