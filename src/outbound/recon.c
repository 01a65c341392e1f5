/*
 * recon.c -- the daily reconciliation report: one business, one business
 * date, one flat CSV (a `section` column) and a short text summary.
 *
 * Sections, in the order written (the README's "Daily reconciliation"
 * gives the SQL of each; every number is one of those queries' columns,
 * or a sum of them):
 *
 *   report                 who, which day, when generated
 *   alert                  only when something is wrong: the ledger trial
 *                          balance is not zero, the EWA receivable
 *                          ledger differs from the profiles' balances,
 *                          or a NACHA debit return rate is over its
 *                          threshold (rows without their parent row:
 *                          `ledger verify`, not per report)
 *   trial_balance          per currency, the business's ledger as of now
 *   transactions           created on the day, by program, rail, type and
 *                          status as of generation
 *   status_movements       status changes made on the day (history rows)
 *   opening_position       ledger balance per account kind and currency
 *   closing_position       at the start and at the end of the day
 *   file_control           each outbound payment file (PUSH_TO_CARD,
 *   file_items             NACHA) of the day or with items still open:
 *   file_check             its controls, its items by outcome, and whether
 *                          the items add up to the controls
 *   unmatched              provider lines rejected UNKNOWN_REFERENCE in
 *                          files received on the day, and items in a file
 *                          with no provider answer yet (PROCESSING)
 *   late                   items still PROCESSING or APPROVED after the
 *                          file's date + PS_RECON_SETTLE_DAYS banking days
 *   ewa_receivables        profiles with amountToRecover > 0 by
 *                          eligibility and age bucket
 *   ewa_receivable_check   sum of amountToRecover against the
 *                          EWA_RECEIVABLE ledger balance, per currency
 *   ach_returns            ACH returns applied on the day, per direction
 *                          and reason code, with NACHA's category
 *   ach_notifications      NOCs received on the day, per change code
 *   ach_return_rates       NACHA's unauthorized, administrative and
 *                          overall debit return rates over the
 *                          PS_RECON_RATE_DAYS to the business date; one
 *                          over its threshold is also an alert
 *
 * Nothing in the report is a card or account number: no query reads
 * financial_accounts, and the one piece of foreign text (the reference of
 * a provider line we could not match) goes through ps_redact_pans().
 *
 * How it fails: see recon.h.
 */
#include "outbound/recon.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/achfx.h"
#include "outbound/camt.h"
#include "outbound/recon_int.h"
#include "outbound/reconhtml.h"
#include "base/crypto.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/money.h"

/* The CSV's one header row; every row has all 16 cells. */
static const char csv_header[] =
    "section,file,program,rail,type,from_status,status,ledger_kind,"
    "eligibility,age_bucket,reference,currency,count,amount,fee,detail\n";

/* A CSV row is a struct ps_recon_line (outbound/reconhtml.h): text cells
 * (NULL is empty), then the numbers (written only when has_*), then the
 * detail. */



static const char *money(int64_t v, const char *currency,
                         char buf[PS_MONEY_STRMAX])
{
    const struct ps_currency *c = ps_currency_find(currency);
    return ps_money_format(v, c != NULL ? c->exponent : 2, buf,
                           PS_MONEY_STRMAX);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* ---- writing ------------------------------------------------------- */

static int emit(struct rep *x, const struct ps_recon_line *l)
{
    const char *cells[] = {l->section, l->file,   l->program, l->rail,
                           l->type,    l->from,   l->status,  l->kind,
                           l->elig,    l->bucket, l->ref,     l->currency};
    char a[PS_MONEY_STRMAX];
    int rc = 0;
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]) && rc == 0;
         i++) {
        if (i > 0)
            rc = ps_output_write(x->csv, ",", 1, x->err);
        if (rc == 0)
            rc = ps_output_csv_cell(x->csv, cells[i], x->err);
    }
    /* Numbers are written as they are: a negative balance is a number,
     * not a formula, and must not get the csv_cell apostrophe. */
    if (rc == 0)
        rc = l->has_count ? ps_output_printf(x->csv, x->err, ",%lld",
                                             (long long)l->count)
                          : ps_output_write(x->csv, ",", 1, x->err);
    if (rc == 0)
        rc = l->has_amount
                 ? ps_output_printf(x->csv, x->err, ",%s",
                                    money(l->amount, l->currency, a))
                 : ps_output_write(x->csv, ",", 1, x->err);
    if (rc == 0)
        rc = l->has_fee ? ps_output_printf(x->csv, x->err, ",%s",
                                           money(l->fee, l->currency, a))
                        : ps_output_write(x->csv, ",", 1, x->err);
    if (rc == 0)
        rc = ps_output_write(x->csv, ",", 1, x->err);
    if (rc == 0)
        rc = ps_output_csv_cell(x->csv, l->detail, x->err);
    if (rc == 0)
        rc = ps_output_write(x->csv, "\n", 1, x->err);
    if (rc == 0) {
        x->r.rows++;
        ps_progress_step(&x->pg, 1);
    }
    /* The page gets the very row the CSV got: one source of figures. */
    if (rc == 0)
        rc = ps_reconhtml_add(x->page, l, x->err);
    return rc;
}

#define SAY(x, ...) ps_output_printf((x)->txt, (x)->err, __VA_ARGS__)

/* Run query q with the report's parameters; a callback's error wins. */
static int query(struct rep *x, enum ps_recon_query q,
                 int (*cb)(void *, const struct ps_recon_row *))
{
    int rc = ps_store_recon_query(x->eng->store, q, &x->prm, cb, x, x->err);
    return rc != 0 ? rc : x->rc;
}


/* Record a callback's failure and stop the query. */
static int stop(struct rep *x, int rc)
{
    x->rc = rc;
    return rc != 0;
}

/* The same three for the sections written in other files (recon_int.h). */
int ps_recon_emit(struct rep *x, const struct ps_recon_line *l)
{
    return emit(x, l);
}

int ps_recon_query_rows(struct rep *x, enum ps_recon_query q,
                        int (*cb)(void *, const struct ps_recon_row *))
{
    return query(x, q, cb);
}

int ps_recon_stop(struct rep *x, int rc)
{
    return stop(x, rc);
}

const char *ps_recon_money(int64_t v, const char *currency,
                           char buf[PS_MONEY_STRMAX])
{
    return money(v, currency, buf);
}

const char *ps_recon_base_name(const char *path)
{
    return base_name(path);
}

/* ---- trial balance and the EWA receivable check (read first) ------- */

static int trial_pre(void *vx, const struct ps_trial_row *t)
{
    struct rep *x = vx;
    if (t->balance != 0 || t->mismatched != 0)
        x->r.trial_balanced = 0;
    if (x->r.ntrial < PS_RECON_MAX_CURRENCIES) {
        struct ps_recon_trial *o = &x->r.trial[x->r.ntrial++];
        ps_strlcpy(o->currency, t->currency, sizeof(o->currency));
        o->debits = t->debits;
        o->credits = t->credits;
        o->balance = t->balance;
        o->mismatched = t->mismatched;
    }
    return 0;
}

static int trial_alert(void *vx, const struct ps_trial_row *t)
{
    struct rep *x = vx;
    char bal[PS_MONEY_STRMAX], d[PS_MONEY_STRMAX], c[PS_MONEY_STRMAX];
    char detail[320];
    if (t->balance == 0 && t->mismatched == 0)
        return 0;
    snprintf(detail, sizeof(detail),
             "LEDGER TRIAL BALANCE IS NOT ZERO: %s balance %s (debits %s, "
             "credits %s, %lld cross-currency entries)",
             t->currency, money(t->balance, t->currency, bal),
             money(t->debits, t->currency, d),
             money(t->credits, t->currency, c), (long long)t->mismatched);
    int rc = emit(x, &(struct ps_recon_line){.section = "alert",
                                    .status = "TRIAL_BALANCE_NOT_ZERO",
                                    .currency = t->currency,
                                    .has_amount = 1,
                                    .amount = t->balance,
                                    .detail = detail});
    if (rc == 0)
        rc = SAY(x, "!! %s\n", detail);
    return stop(x, rc);
}

static int trial_row(void *vx, const struct ps_trial_row *t)
{
    struct rep *x = vx;
    char d[PS_MONEY_STRMAX], c[PS_MONEY_STRMAX], bal[PS_MONEY_STRMAX];
    char detail[200];
    int ok = t->balance == 0 && t->mismatched == 0;
    snprintf(detail, sizeof(detail),
             "debits %s, credits %s, %lld cross-currency entries",
             money(t->debits, t->currency, d),
             money(t->credits, t->currency, c), (long long)t->mismatched);
    int rc = emit(x, &(struct ps_recon_line){.section = "trial_balance",
                                    .status = ok ? "BALANCED" : "NOT_ZERO",
                                    .currency = t->currency,
                                    .has_amount = 1,
                                    .amount = t->balance,
                                    .detail = detail});
    if (rc == 0)
        rc = SAY(x, "  %s  %s  balance %s  %s\n", t->currency,
                 ok ? "balanced" : "NOT ZERO",
                 money(t->balance, t->currency, bal), detail);
    return stop(x, rc);
}

/* EWA_CHECK: currency, profiles, owed, ledger.  pass 0 counts, 1 alerts,
 * 2 writes the section. */
static int ewa_check_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    const char *cur = row->text[0];
    int64_t owed = row->num[2], ledger = row->num[3];
    char o[PS_MONEY_STRMAX], l[PS_MONEY_STRMAX], df[PS_MONEY_STRMAX];
    char detail[256];
    int rc = 0;
    snprintf(detail, sizeof(detail),
             "amountToRecover %s, ledger EWA_RECEIVABLE %s, difference %s",
             money(owed, cur, o), money(ledger, cur, l),
             money(owed - ledger, cur, df));
    if (x->pass == 0) {
        x->r.receivable_profiles += (long)row->num[1];
        if (owed != ledger)
            x->r.receivable_diffs++;
        return 0;
    }
    if (x->pass == 1) {
        if (owed == ledger)
            return 0;
        rc = emit(x, &(struct ps_recon_line){.section = "alert",
                                    .status = "EWA_RECEIVABLE_DIFFERENCE",
                                    .currency = cur,
                                    .has_amount = 1,
                                    .amount = owed - ledger,
                                    .detail = detail});
        if (rc == 0)
            rc = SAY(x, "WARNING: EWA receivable in %s: %s\n", cur, detail);
        return stop(x, rc);
    }
    rc = emit(x, &(struct ps_recon_line){.section = "ewa_receivable_check",
                                .status = owed == ledger ? "MATCH"
                                                         : "DIFFERENCE",
                                .currency = cur,
                                .has_count = 1,
                                .count = row->num[1],
                                .has_amount = 1,
                                .amount = owed,
                                .detail = detail});
    if (rc == 0)
        rc = SAY(x, "  %s  %s  %s\n", cur,
                 owed == ledger ? "matches" : "DIFFERS", detail);
    return stop(x, rc);
}

/* ---- transactions and their movements ------------------------------ */

static const char *program_name(const char *name)
{
    return name[0] != '\0' ? name : "(no program)";
}

/* TXNS: program, rail, type, status, currency, n, amount, fee */
static int txn_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char a[PS_MONEY_STRMAX], f[PS_MONEY_STRMAX];
    const char *cur = row->text[4];
    x->r.transactions += (long)row->num[5];
    int rc = emit(x, &(struct ps_recon_line){.section = "transactions",
                                    .program = row->text[0],
                                    .rail = row->text[1],
                                    .type = row->text[2],
                                    .status = row->text[3],
                                    .currency = cur,
                                    .has_count = 1,
                                    .count = row->num[5],
                                    .has_amount = 1,
                                    .amount = row->num[6],
                                    .has_fee = 1,
                                    .fee = row->num[7]});
    if (rc == 0)
        rc = SAY(x, "  %-20s %-12s %-5s %-10s %6lld  %14s %s  fees %s\n",
                 program_name(row->text[0]), row->text[1], row->text[2],
                 row->text[3], (long long)row->num[5],
                 money(row->num[6], cur, a), cur, money(row->num[7], cur, f));
    return stop(x, rc);
}

/* MOVES: program, rail, type, from, to, currency, n, amount, fee */
static int move_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    x->r.movements += (long)row->num[6];
    return stop(x, emit(x, &(struct ps_recon_line){.section = "status_movements",
                                          .program = row->text[0],
                                          .rail = row->text[1],
                                          .type = row->text[2],
                                          .from = row->text[3],
                                          .status = row->text[4],
                                          .currency = row->text[5],
                                          .has_count = 1,
                                          .count = row->num[6],
                                          .has_amount = 1,
                                          .amount = row->num[7],
                                          .has_fee = 1,
                                          .fee = row->num[8]}));
}

/* POSITIONS: kind, currency, opening_legs, opening, closing_legs,
 * closing.  pass 0 writes the opening rows, 1 the closing rows and the
 * summary. */
static int position_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    const char *cur = row->text[1];
    char o[PS_MONEY_STRMAX], c[PS_MONEY_STRMAX];
    int rc;
    if (x->pass == 0)
        return stop(x, emit(x, &(struct ps_recon_line){.section = "opening_position",
                                              .kind = row->text[0],
                                              .currency = cur,
                                              .has_count = 1,
                                              .count = row->num[2],
                                              .has_amount = 1,
                                              .amount = row->num[3]}));
    rc = emit(x, &(struct ps_recon_line){.section = "closing_position",
                                .kind = row->text[0],
                                .currency = cur,
                                .has_count = 1,
                                .count = row->num[4],
                                .has_amount = 1,
                                .amount = row->num[5]});
    if (rc == 0)
        rc = SAY(x, "  %-15s %s  opening %14s  closing %14s\n", row->text[0],
                 cur, money(row->num[3], cur, o), money(row->num[5], cur, c));
    return stop(x, rc);
}

/* UNKNOWN_REFS: file name, reference, currency, line, amount */
static int unknown_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char file[PS_PATH_SIZE], ref[PS_EXTID_SIZE * 4], detail[64];
    /* Foreign text: whatever the provider sent, never a card number. */
    ps_strlcpy(file, row->text[0], sizeof(file));
    ps_strlcpy(ref, row->text[1], sizeof(ref));
    ps_redact_pans(file);
    ps_redact_pans(ref);
    snprintf(detail, sizeof(detail), "line %lld of the provider file",
             (long long)row->num[3]);
    x->r.unknown_references++;
    return stop(x, emit(x, &(struct ps_recon_line){.section = "unmatched",
                                          .file = file,
                                          .status = "UNKNOWN_REFERENCE",
                                          .ref = ref,
                                          .currency = row->text[2],
                                          .has_amount = 1,
                                          .amount = row->num[4],
                                          .detail = detail}));
}

/*
 * OPEN_ITEMS: path, business_date, txn id, rail, direction, status,
 * currency, amount.  pass 0 writes the unmatched rows (PROCESSING: no
 * answer yet), pass 1 the late ones.
 */
static int open_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char detail[200], due[PS_DATE_SIZE];
    int64_t fday, expected;
    struct ps_err e;
    if (x->pass == 0) {
        if (strcmp(row->text[5], "PROCESSING") != 0)
            return 0;
        x->r.awaiting++;
        snprintf(detail, sizeof(detail),
                 "in the file of %s; no provider answer yet", row->text[1]);
        return stop(x, emit(x, &(struct ps_recon_line){.section = "unmatched",
                                              .file = base_name(row->text[0]),
                                              .rail = row->text[3],
                                              .type = row->text[4],
                                              .status = "AWAITING",
                                              .ref = row->text[2],
                                              .currency = row->text[6],
                                              .has_amount = 1,
                                              .amount = row->num[7],
                                              .detail = detail}));
    }
    if (ps_date_parse(row->text[1], &fday, &e) != 0)
        return stop(x, ps_err_set(x->err, PS_EINVAL, "RECON_FILE_DATE",
                                  "outbound file %s has business date \"%s\","
                                  " not YYYY-MM-DD",
                                  base_name(row->text[0]), row->text[1]));
    expected = ps_calendar_add(x->cal, fday, PS_RECON_SETTLE_DAYS);
    if (x->day <= expected)
        return 0;
    x->r.late++;
    snprintf(detail, sizeof(detail),
             "file of %s; expected settled by %s (%d banking day); %lld "
             "days late",
             row->text[1], ps_date_format(expected, due), PS_RECON_SETTLE_DAYS,
             (long long)(x->day - expected));
    return stop(x, emit(x, &(struct ps_recon_line){.section = "late",
                                          .file = base_name(row->text[0]),
                                          .rail = row->text[3],
                                          .type = row->text[4],
                                          .status = row->text[5],
                                          .ref = row->text[2],
                                          .currency = row->text[6],
                                          .has_amount = 1,
                                          .amount = row->num[7],
                                          .detail = detail}));
}

/* EWA_AGING: eligibility, bucket, currency, n, amount */
static int aging_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char a[PS_MONEY_STRMAX];
    int rc = emit(x, &(struct ps_recon_line){.section = "ewa_receivables",
                                    .elig = row->text[0],
                                    .bucket = row->text[1],
                                    .currency = row->text[2],
                                    .has_count = 1,
                                    .count = row->num[3],
                                    .has_amount = 1,
                                    .amount = row->num[4]});
    if (rc == 0)
        rc = SAY(x, "  %-10s %-6s days %5lld profiles %14s %s\n",
                 row->text[0], row->text[1], (long long)row->num[3],
                 money(row->num[4], row->text[2], a), row->text[2]);
    return stop(x, rc);
}

/* ---- ACH returns, NOCs and NACHA's return rates ------------------- */

/* NACHA's return-rate category of a return reason code (Rule 2.17.2),
 * from the code lists of the ACH_RATES query (read before any section):
 * the one place the categories are written. */
static const char *return_category(const struct rep *x, const char *code)
{
    for (int i = 0; i < x->nrates; i++)
        if (x->rates[i].codes[0] != '\0' &&
            strstr(x->rates[i].codes, code) != NULL)
            return x->rates[i].category;
    return "OTHER";
}

/* ACH_RETURNS: direction, reason_code, currency, n, amount */
static int return_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    char a[PS_MONEY_STRMAX], label[160];
    ps_ach_return_label(row->text[1], label, sizeof(label));
    x->r.ach_returns += (long)row->num[3];
    int rc = emit(x, &(struct ps_recon_line){.section = "ach_returns",
                                    .rail = "ACH",
                                    .type = row->text[0],
                                    .status = return_category(x, row->text[1]),
                                    .ref = row->text[1],
                                    .currency = row->text[2],
                                    .has_count = 1,
                                    .count = row->num[3],
                                    .has_amount = 1,
                                    .amount = row->num[4],
                                    .detail = label});
    if (rc == 0)
        rc = SAY(x, "  return  %-6s %-60.60s %5lld %14s %s\n", row->text[0],
                 label, (long long)row->num[3],
                 money(row->num[4], row->text[2], a), row->text[2]);
    return stop(x, rc);
}

/* ACH_NOCS: change_code, status, n */
static int noc_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    x->r.ach_nocs += (long)row->num[2];
    int rc = emit(x, &(struct ps_recon_line){.section = "ach_notifications",
                                    .rail = "ACH",
                                    .status = row->text[1],
                                    .ref = row->text[0],
                                    .has_count = 1,
                                    .count = row->num[2]});
    if (rc == 0)
        rc = SAY(x, "  NOC     %s %-8s %5lld\n", row->text[0], row->text[1],
                 (long long)row->num[2]);
    return stop(x, rc);
}

/* ACH_RATES: category, threshold_bp, codes, entries, returns (kept). */
static int rate_row(void *vx, const struct ps_recon_row *row)
{
    struct rep *x = vx;
    if (x->nrates < (int)(sizeof(x->rates) / sizeof(x->rates[0]))) {
        struct rate *r = &x->rates[x->nrates++];
        ps_strlcpy(r->category, row->text[0], sizeof(r->category));
        ps_strlcpy(r->codes, row->text[2], sizeof(r->codes));
        r->threshold_bp = row->num[1];
        r->entries = row->num[3];
        r->returns = row->num[4];
        ps_reconhtml_rate(x->page, r->category, r->threshold_bp, r->entries,
                          r->returns);
    }
    return 0;
}

/* "1.25%" of a rate in basis points. */
static const char *percent(int64_t bp, char buf[24])
{
    snprintf(buf, 24, "%lld.%02lld%%", (long long)(bp / 100),
             (long long)(bp % 100));
    return buf;
}

/* Exceeds: returns / entries > threshold, in integers. */
static int rate_over(const struct rate *r)
{
    return r->entries > 0 && r->returns * 10000 > r->threshold_bp * r->entries;
}

static void rate_detail(const struct rep *x, const struct rate *r, char *buf,
                        size_t size)
{
    char p[24], t[24];
    if (r->entries == 0) {
        snprintf(buf, size,
                 "%lld %s debit returns and no debit entries sent %s to %s; "
                 "NACHA threshold %s",
                 (long long)r->returns, r->category, x->window_start, x->d,
                 percent(r->threshold_bp, t));
        return;
    }
    snprintf(buf, size,
             "%lld %s debit returns%s%s%s of %lld debit entries sent %s to "
             "%s = %s; NACHA threshold %s",
             (long long)r->returns, r->category, r->codes[0] ? " (" : "",
             r->codes, r->codes[0] ? ")" : "", (long long)r->entries,
             x->window_start, x->d, percent(r->returns * 10000 / r->entries, p),
             percent(r->threshold_bp, t));
}

/* The rates over their threshold, as alerts at the top of the report. */
static int rate_alerts(struct rep *x)
{
    char detail[400];
    int rc = 0;
    for (int i = 0; i < x->nrates && rc == 0; i++) {
        const struct rate *r = &x->rates[i];
        if (!rate_over(r))
            continue;
        rate_detail(x, r, detail, sizeof(detail));
        rc = emit(x, &(struct ps_recon_line){.section = "alert",
                                    .status = "ACH_RETURN_RATE",
                                    .rail = "ACH",
                                    .type = "DEBIT",
                                    .ref = r->category,
                                    .has_count = 1,
                                    .count = r->returns,
                                    .detail = detail});
        if (rc == 0)
            rc = SAY(x, "WARNING: ACH return rate over NACHA's threshold: %s\n",
                     detail);
    }
    return rc;
}

static int rate_section(struct rep *x)
{
    char detail[400];
    int rc = 0;
    for (int i = 0; i < x->nrates && rc == 0; i++) {
        const struct rate *r = &x->rates[i];
        const char *verdict = r->entries == 0 ? "NO_ENTRIES"
                              : rate_over(r)  ? "OVER_THRESHOLD"
                                              : "WITHIN";
        rate_detail(x, r, detail, sizeof(detail));
        rc = emit(x, &(struct ps_recon_line){.section = "ach_return_rates",
                                    .rail = "ACH",
                                    .type = "DEBIT",
                                    .status = verdict,
                                    .ref = r->category,
                                    .has_count = 1,
                                    .count = r->returns,
                                    .detail = detail});
        if (rc == 0)
            rc = SAY(x, "  rate    %-14s %-14s %lld of %lld debit entries\n",
                     r->category, verdict, (long long)r->returns,
                     (long long)r->entries);
    }
    return rc;
}

/* ---- the report ---------------------------------------------------- */

/* Long (about 150 lines): the report's sections top to bottom, in the
 * order a reader sees them, each a few lines of output. */
static int write_report(struct rep *x)
{
    const char *now = x->now;
    char detail[400];
    int rc;

    x->r.trial_balanced = 1;
    /* First what decides the alerts at the top. */
    if ((rc = ps_store_recon_trial(x->eng->store, x->b->id, trial_pre, x,
                                   x->err)) != 0)
        return rc;
    x->pass = 0;
    if ((rc = ps_recon_query_memo(x, &x->ewa_memo, PS_RECON_Q_EWA_CHECK,
                         ewa_check_row)) != 0)
        return rc;
    if ((rc = query(x, PS_RECON_Q_ACH_RATES, rate_row)) != 0)
        return rc;
    for (int i = 0; i < x->nrates; i++) {
        struct ps_recon_rate *o = &x->r.rates[x->r.nrates++];
        ps_strlcpy(o->category, x->rates[i].category, sizeof(o->category));
        o->threshold_bp = x->rates[i].threshold_bp;
        o->entries = x->rates[i].entries;
        o->returns = x->rates[i].returns;
        o->over = rate_over(&x->rates[i]);
        x->r.ach_rates_over += o->over;
    }

    snprintf(detail, sizeof(detail),
             "business %s, business date %s (the UTC day %sT00:00Z to "
             "%sT00:00Z), generated %s; statuses and EWA balances are as "
             "of generation",
             x->b->name, x->d, x->d, x->next, now);
    if ((rc = ps_output_write(x->csv, csv_header, sizeof(csv_header) - 1,
                              x->err)) != 0 ||
        (rc = emit(x, &(struct ps_recon_line){.section = "report",
                                     .detail = detail})) != 0)
        return rc;
    if (!x->r.trial_balanced &&
        (rc = SAY(x, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                     "!!!!!!!!!!!!!!!!\n"
                     "!! LEDGER TRIAL BALANCE IS NOT ZERO: the ledger of %s "
                     "is out of balance.\n"
                     "!! Stop and investigate before moving any money.\n",
                  x->b->name)) != 0)
        return rc;
    if (!x->r.trial_balanced &&
        ((rc = ps_recon_trial_replay(x, trial_alert)) != 0 ||
         (rc = x->rc) != 0))
        return rc;
    if (!x->r.trial_balanced &&
        (rc = SAY(x, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                     "!!!!!!!!!!!!!!!!\n\n")) != 0)
        return rc;
    x->pass = 1;
    if ((rc = ps_recon_query_memo(x, &x->ewa_memo, PS_RECON_Q_EWA_CHECK,
                         ewa_check_row)) != 0)
        return rc;
    if ((rc = rate_alerts(x)) != 0)
        return rc;
    if ((rc = SAY(x,
                  "Reconciliation of %s (%s) for business date %s\n"
                  "Business dates are UTC days (%sT00:00Z to %sT00:00Z). "
                  "Generated %s.\n"
                  "Statuses and EWA balances are as of generation.\n\n"
                  "Ledger trial balance (must be zero):\n",
                  x->b->name, x->b->display_name, x->d, x->d, x->next,
                  now)) != 0 ||
        (rc = ps_recon_trial_replay(x, trial_row)) != 0 ||
        (rc = x->rc) != 0)
        return rc;

    if ((rc = SAY(x, "\nTransactions created on %s, status now:\n", x->d)) !=
            0 ||
        (rc = query(x, PS_RECON_Q_TXNS, txn_row)) != 0 ||
        (rc = query(x, PS_RECON_Q_MOVES, move_row)) != 0 ||
        (rc = SAY(x, "  %ld transactions; %ld status changes on the day\n",
                  x->r.transactions, x->r.movements)) != 0)
        return rc;

    if ((rc = SAY(x, "\nLedger positions (debits - credits) per kind:\n")) !=
        0)
        return rc;
    x->pass = 0;
    if ((rc = ps_recon_query_memo(x, &x->pos_memo, PS_RECON_Q_POSITIONS,
                         position_row)) != 0)
        return rc;
    x->pass = 1;
    if ((rc = ps_recon_query_memo(x, &x->pos_memo, PS_RECON_Q_POSITIONS,
                         position_row)) != 0)
        return rc;

    if ((rc = SAY(x, "\nOutbound payment files (of the day, with items "
                     "open, or answered on the day):\n")) != 0 ||
        (rc = query(x, PS_RECON_Q_FILES, ps_recon_file_row)) != 0)
        return rc;
    if (x->r.files == 0 && (rc = SAY(x, "  none\n")) != 0)
        return rc;

    if ((rc = query(x, PS_RECON_Q_UNKNOWN_REFS, unknown_row)) != 0)
        return rc;
    /* Twice (counts, then lines), the items walked once when the open
     * ones are few (the memo; every item of the files is joined to its
     * transaction to find them); not at all when the files' items just
     * counted have none open (open_items: a file with one is among
     * FILES, and the two queries join its items alike). */
    x->pass = 0;
    if (x->open_items > 0 &&
        (rc = ps_recon_query_memo(x, &x->open_memo, PS_RECON_Q_OPEN_ITEMS,
                                  open_row)) != 0)
        return rc;
    x->pass = 1;
    if (x->open_items > 0 &&
        (rc = ps_recon_query_memo(x, &x->open_memo, PS_RECON_Q_OPEN_ITEMS,
                                  open_row)) != 0)
        return rc;
    if ((rc = SAY(x,
                  "\nUnmatched: %ld provider lines with unknown references, "
                  "%ld items with no answer yet.\n"
                  "Late: %ld items not settled %d banking day(s) after "
                  "their file's date.\n",
                  x->r.unknown_references, x->r.awaiting, x->r.late,
                  PS_RECON_SETTLE_DAYS)) != 0)
        return rc;

    if ((rc = SAY(x,
                  "\nACH returns and notifications of change received on "
                  "the day; NACHA debit return rates over %d days:\n",
                  PS_RECON_RATE_DAYS)) != 0 ||
        (rc = query(x, PS_RECON_Q_ACH_RETURNS, return_row)) != 0 ||
        (rc = query(x, PS_RECON_Q_ACH_NOCS, noc_row)) != 0 ||
        (rc = rate_section(x)) != 0 ||
        (rc = SAY(x,
                  "  %ld returns, %ld NOCs on the day; %d rates over "
                  "their threshold\n",
                  x->r.ach_returns, x->r.ach_nocs, x->r.ach_rates_over)) != 0)
        return rc;

    if ((rc = SAY(x, "\nEWA receivables (amountToRecover > 0) by eligibility "
                     "and age:\n")) != 0 ||
        (rc = query(x, PS_RECON_Q_EWA_AGING, aging_row)) != 0)
        return rc;
    x->pass = 2;
    if ((rc = SAY(x, "EWA receivable against the ledger:\n")) != 0 ||
        (rc = ps_recon_query_memo(x, &x->ewa_memo, PS_RECON_Q_EWA_CHECK,
                         ewa_check_row)) != 0 ||
        (rc = ps_recon_intake_sections(x)) != 0)
        return rc;
    return SAY(x, "\nDetail: %ld rows in the CSV report.\n", x->r.rows);
}

/* The report's three files, in the order they are opened. */
static const char *const report_ext[3] = {"csv", "txt", "html"};

/* Open NAME.csv, NAME.txt and NAME.html under the first sequence free in
 * both the store and the folder; names[k] receives each name. */
static int open_outputs(struct rep *x, const char *dir, const char *ymd,
                        char names[3][PS_OUTPUT_NAME_MAX + 1])
{
    struct ps_output **outs[3] = {&x->csv, &x->txt, &x->html};
    int rc, seq, k;
    if ((rc = ps_store_recon_next_seq(x->eng->store, x->b->id, x->d, &seq,
                                      x->err)) != 0)
        return rc;
    for (; seq <= 999; seq++) {
        for (k = 0; k < 3; k++)
            if (ps_pathf(names[k], PS_OUTPUT_NAME_MAX + 1,
                         "recon-%s-%s-%03d.%s", x->b->name, ymd, seq,
                         report_ext[k]) != 0)
                return ps_err_set(x->err, PS_EINVAL, "OUTPUT_NAME",
                                  "report name too long for %s", x->b->name);
        for (k = 0, rc = 0; k < 3 && rc == 0; k++)
            rc = ps_output_open(dir, names[k], 0640, outs[k], x->err);
        if (rc == 0) {
            x->r.seq = seq;
            return 0;
        }
        for (k = 0; k < 3; k++) {
            ps_output_abort(*outs[k]);
            *outs[k] = NULL;
        }
        if (rc != PS_ECONFLICT)
            return rc;
    }
    return ps_err_set(x->err, PS_ECONFLICT, "TOO_MANY_REPORTS",
                      "999 reconciliation reports of %s for %s already",
                      x->b->name, x->d);
}

/* The page, from the rows the CSV got. */
static int write_page(struct rep *x, char names[3][PS_OUTPUT_NAME_MAX + 1])
{
    struct ps_reconhtml_info in = {
        x->b->name, x->b->display_name, x->d, x->page_now, names[0],
        names[1], x->r.seq, PS_RECON_SETTLE_DAYS, PS_RECON_RATE_DAYS};
    return ps_reconhtml_write(x->page, &in, x->html, x->err);
}

/* What the metrics say of this report (outbound/reconstate.h). */
static int state_write(const char *spool, const char *business,
                       const struct ps_recon_result *r, struct ps_err *err)
{
    struct ps_recon_state st;
    memset(&st, 0, sizeof(st));
    ps_strlcpy(st.business_date, r->business_date, sizeof(st.business_date));
    st.trial_balanced = r->trial_balanced;
    for (int i = 0; i < r->ntrial && i < PS_RECON_STATE_CURRENCIES; i++) {
        ps_strlcpy(st.trial[i].currency, r->trial[i].currency,
                   sizeof(st.trial[i].currency));
        st.trial[i].balance = r->trial[i].balance;
        st.trial[i].mismatched = r->trial[i].mismatched;
        st.ntrial++;
    }
    st.unknown_references = r->unknown_references;
    st.awaiting = r->awaiting;
    st.late = r->late;
    st.files_mismatched = r->files_mismatched;
    st.receivable_diffs = r->receivable_diffs;
    st.nrates = r->nrates;
    memcpy(st.rates, r->rates, sizeof(st.rates));
    return ps_recon_state_write(spool, business, &st, err);
}

/* Put the CSV, the summary and the page in place (each with its .sha256
 * and .done) and fill the result's paths. */
static int commit_outputs(struct rep *x, const char *dir,
                          char names[3][PS_OUTPUT_NAME_MAX + 1])
{
    int rc = ps_output_commit(x->csv, x->r.sha256, x->err);
    x->csv = NULL;
    if (rc != 0)
        return rc;
    rc = ps_output_commit(x->txt, NULL, x->err);
    x->txt = NULL;
    if (rc != 0)
        return rc;
    rc = ps_output_commit(x->html, NULL, x->err);
    x->html = NULL;
    if (rc != 0)
        return rc;
    if (ps_pathf(x->r.csv_path, sizeof(x->r.csv_path), "%s/%s", dir,
                 names[0]) != 0 ||
        ps_pathf(x->r.summary_path, sizeof(x->r.summary_path), "%s/%s", dir,
                 names[1]) != 0 ||
        ps_pathf(x->r.html_path, sizeof(x->r.html_path), "%s/%s", dir,
                 names[2]) != 0)
        return ps_err_set(x->err, PS_EINVAL, "PATH_TOO_LONG",
                          "report path too long in %s", dir);
    return 0;
}

/* The report's state and what it holds. */
static void rep_free(struct rep *x)
{
    ps_reconhtml_free(x->page);
    free(x->ewa_memo);
    free(x->pos_memo);
    free(x->open_memo);
    free(x->grp);
    free(x);
}

/* The report's read snapshot on st, and *rd a second connection on the
 * same snapshot for the camt.053's thread; *rd NULL when there can be
 * none (no database file, no lock to be had): then everything is read on
 * st, one part after the other, as the snapshot is the same either way. */
static int reader_begin(struct ps_store *st, struct ps_store **rd,
                        struct ps_err *err)
{
    struct ps_err e2;
    ps_err_clear(&e2);
    *rd = NULL;
    if (ps_store_open_reader(st, rd, &e2) == 0 &&
        ps_store_begin_read_pair(st, *rd, &e2) == 0)
        return 0;
    if (*rd != NULL)
        ps_log_err(PS_LOG_WARN, "recon.one_reader", &e2, NULL);
    ps_store_close(*rd);
    *rd = NULL;
    return ps_store_begin_read(st, err);
}

/* Every part, read in the one snapshot (its end included): the report
 * on this thread, the camt.053 on a second connection and a thread of
 * its own while the report is written (reader_begin), then the camt.054
 * and the pain.002 status reports. */
static int read_parts(struct rep *x, const char *dir, const char *ymd,
                      char names[3][PS_OUTPUT_NAME_MAX + 1])
{
    struct ps_engine *eng = x->eng;
    const struct ps_business *b = x->b;
    struct ps_err *err = x->err;
    struct ps_store *rd = NULL;        /* the camt.053's connection */
    struct ps_camt053_job *job = NULL; /* its thread */
    int rc;
    if ((rc = reader_begin(eng->store, &rd, err)) != 0)
        return rc;
    snprintf(x->what, sizeof(x->what), "recon %s %s", b->name, x->d);
    ps_progress_begin(&x->pg, "recon.progress", x->what, "rows", 0);
    if ((rc = open_outputs(x, dir, ymd, names)) == 0) {
        /* The generation times, in the order the parts are written: the
         * camt.053's is taken by ps_camt053_start() (or _write()). */
        ps_time_now(x->now);
        ps_time_now(x->page_now);
        if (rd != NULL)
            rc = ps_camt053_start(rd, dir, b, x->d, x->next, x->r.seq, &job,
                                  err);
    }
    if (rc == 0 && (rc = write_report(x)) == 0 &&
        (rc = write_page(x, names)) == 0)
        rc = ps_camt054_write(eng, dir, b, x->d, x->next, x->r.seq,
                              x->r.camt054_path, sizeof(x->r.camt054_path),
                              err);
    if (job != NULL) { /* waited for whatever happened meanwhile */
        struct ps_err jerr;
        ps_err_clear(&jerr);
        int jrc = ps_camt053_finish(job, x->r.camt053_path,
                                    sizeof(x->r.camt053_path),
                                    rc == 0 ? err : &jerr);
        if (rc == 0)
            rc = jrc;
    } else if (rc == 0)
        rc = ps_camt053_write(eng, dir, b, x->d, x->next, x->r.seq,
                              x->r.camt053_path, sizeof(x->r.camt053_path),
                              err);
    if (rc == 0)
        rc = ps_pain002_status_write(eng, dir, b, x->d, x->next, x->r.seq,
                                     &x->r.pain002_reports, x->r.pain002_path,
                                     sizeof(x->r.pain002_path), err);
    if (rd != NULL) {
        ps_store_rollback(rd);
        ps_store_close(rd);
    }
    ps_store_rollback(eng->store); /* only read */
    return rc;
}

int ps_recon_run(struct ps_engine *eng, const char *spool_dir,
                 const struct ps_business *b, int64_t business_date,
                 const struct ps_calendar *cal, struct ps_recon_result *res,
                 struct ps_err *err)
{
    char dir[PS_PATH_SIZE], names[3][PS_OUTPUT_NAME_MAX + 1];
    char ymd[9], now[PS_TIME_SIZE];
    struct rep *x;
    int rc;

    if (eng == NULL || spool_dir == NULL || b == NULL || cal == NULL ||
        res == NULL)
        return ps_err_set(err, PS_EINVAL, "RECON_ARGS",
                          "reconciliation needs an engine, a spool, a "
                          "business, a calendar and a result");
    /* The state is large (the result's paths): keep it off the stack. */
    if ((x = calloc(1, sizeof(*x))) == NULL ||
        (x->page = ps_reconhtml_new()) == NULL) {
        free(x);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    x->eng = eng;
    x->b = b;
    x->cal = cal;
    x->day = business_date;
    x->err = err;
    ps_date_format(business_date, x->d);
    ps_date_format(business_date + 1, x->next);
    ps_strlcpy(x->r.business_date, x->d, sizeof(x->r.business_date));
    x->prm.business = b->id;
    x->prm.day = x->d;
    x->prm.next_day = x->next;
    ps_date_format(business_date - (PS_RECON_RATE_DAYS - 1), x->window_start);
    x->prm.window_start = x->window_start;
    snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", x->d, x->d + 5, x->d + 8);

    if ((rc = ps_pathf(dir, sizeof(dir), "%s/outbound/%s/recon", spool_dir,
                       b->name)) != 0) {
        rc = ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                        "spool path too long: %s", spool_dir);
        goto out;
    }
    if ((rc = ps_mkdir_p(dir, 0750, err)) != 0)
        goto out;
    if ((rc = read_parts(x, dir, ymd, names)) != 0)
        goto out;
    if ((rc = commit_outputs(x, dir, names)) != 0)
        goto out;
    ps_id_new(x->r.output_id);
    ps_time_now(now);
    if ((rc = ps_store_begin(eng->store, err)) != 0)
        goto out;
    if ((rc = ps_store_recon_output_insert(eng->store, x->r.output_id, b->id,
                                           x->d, x->r.seq, x->r.csv_path,
                                           x->r.sha256, x->r.rows, now,
                                           err)) != 0 ||
        (rc = ps_store_commit(eng->store, err)) != 0) {
        ps_store_rollback(eng->store);
        goto out;
    }
    *res = x->r;
    /* What the metrics say of the last report (not fatal: logged). */
    struct ps_err serr;
    ps_err_clear(&serr);
    if (state_write(spool_dir, b->name, &x->r, &serr) != 0)
        ps_log_err(PS_LOG_ERROR, "recon.state_failed", &serr, "{s:s}",
                   "business", b->name);
    ps_log(x->r.trial_balanced ? PS_LOG_INFO : PS_LOG_ERROR, "recon.written",
           "{s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:i}", "business", b->name,
           "date", x->d, "path", x->r.csv_path, "rows", (json_int_t)x->r.rows,
           "trialBalanced", x->r.trial_balanced, "late", (json_int_t)x->r.late,
           "unmatched", (json_int_t)(x->r.awaiting + x->r.unknown_references),
           "achReturnRatesOver", x->r.ach_rates_over);
    if (!x->r.trial_balanced) {
        const struct ps_recon_trial *t = x->r.trial;
        for (int i = 0; i < x->r.ntrial; i++)
            if (x->r.trial[i].balance != 0 || x->r.trial[i].mismatched != 0) {
                t = &x->r.trial[i];
                break;
            }
        rc = ps_err_set(err, PS_EINVAL, "TRIAL_BALANCE_NOT_ZERO",
                        "ledger trial balance of %s is not zero (%s balance "
                        "%lld minor units, %lld cross-currency entries); "
                        "report %s",
                        b->name, t->currency, (long long)t->balance,
                        (long long)t->mismatched, x->r.csv_path);
    }
out:
    ps_progress_end(&x->pg);
    ps_output_abort(x->csv);
    ps_output_abort(x->txt);
    ps_output_abort(x->html);
    rep_free(x);
    return rc;
}
