/*
 * reconhtml.c -- the reconciliation report as one self-contained HTML page
 * (reconhtml.h): the rows recon.c writes into the CSV, kept as they come,
 * then laid out by section, with inline SVG charts for the status
 * movements, the outbound files' items, NACHA's return rates, the EWA
 * receivables by age and the intake's refusals.
 *
 * Every row of the page that shows a CSV row carries data-row="N", N the
 * row's number in the CSV (1 the first row after the header), so a test
 * can hold each figure of the page against the CSV.  Nothing in the page
 * points outside it: no script, no link, no font, no image; SVG inline
 * without a namespace URL (HTML5 needs none).
 *
 * How it fails: see reconhtml.h.
 */
#include "outbound/reconhtml.h"

#include <stdlib.h>
#include <string.h>

#include "base/money.h"

/* The text cells of a row, in struct ps_recon_line's order. */
enum col {
    C_FILE,
    C_PROGRAM,
    C_RAIL,
    C_TYPE,
    C_FROM,
    C_STATUS,
    C_KIND,
    C_ELIG,
    C_BUCKET,
    C_REF,
    C_CURRENCY,
    C_DETAIL,
    C_NTEXT,
    C_COUNT = C_NTEXT, /* the numbers, after the text */
    C_AMOUNT,
    C_FEE,
    C_N
};

static const char *const col_name[C_N] = {
    "file",     "program",     "rail",        "type",       "from",
    "status",   "ledger kind", "eligibility", "age (days)", "reference",
    "currency", "detail",      "count",       "amount",     "fee"};

struct row {
    long no; /* row number in the CSV */
    char *sect;
    char *t[C_NTEXT]; /* "" for an empty cell */
    int has[3];       /* count, amount, fee */
    int64_t num[3];
};

struct section_count {
    char name[32];
    long kept, omitted;
};

struct rate {
    char category[16];
    int64_t threshold_bp, entries, returns;
};

struct ps_reconhtml {
    struct row *v;
    size_t n, cap;
    long rows; /* all rows seen, kept or not */
    struct section_count sc[40];
    int nsc;
    struct rate rates[3];
    int nrates;
};

struct ps_reconhtml *ps_reconhtml_new(void)
{
    return calloc(1, sizeof(struct ps_reconhtml));
}

void ps_reconhtml_free(struct ps_reconhtml *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].sect);
        for (int c = 0; c < C_NTEXT; c++)
            free(h->v[i].t[c]);
    }
    free(h->v);
    free(h);
}

static struct section_count *count_of(struct ps_reconhtml *h,
                                      const char *section)
{
    for (int i = 0; i < h->nsc; i++)
        if (strcmp(h->sc[i].name, section) == 0)
            return &h->sc[i];
    if (h->nsc == (int)(sizeof(h->sc) / sizeof(h->sc[0])))
        return NULL;
    struct section_count *s = &h->sc[h->nsc++];
    ps_strlcpy(s->name, section, sizeof(s->name));
    return s;
}

static char *dup(const char *s)
{
    return strdup(s != NULL ? s : "");
}

int ps_reconhtml_add(struct ps_reconhtml *h, const struct ps_recon_line *l,
                     struct ps_err *err)
{
    const char *cells[C_NTEXT] = {
        l->file, l->program, l->rail,   l->type, l->from,     l->status,
        l->kind, l->elig,    l->bucket, l->ref,  l->currency, l->detail};
    struct section_count *sc = count_of(h, l->section);
    struct row r;
    int ok;
    h->rows++;
    if (sc != NULL && sc->kept >= PS_RECONHTML_MAX_ROWS) {
        sc->omitted++;
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct row *v = realloc(h->v, cap * sizeof(*v));
        if (v == NULL)
            return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        h->v = v;
        h->cap = cap;
    }
    memset(&r, 0, sizeof(r));
    r.no = h->rows;
    r.sect = dup(l->section);
    ok = r.sect != NULL;
    for (int c = 0; c < C_NTEXT; c++)
        ok &= (r.t[c] = dup(cells[c])) != NULL;
    r.has[0] = l->has_count;
    r.has[1] = l->has_amount;
    r.has[2] = l->has_fee;
    r.num[0] = l->count;
    r.num[1] = l->amount;
    r.num[2] = l->fee;
    if (!ok) {
        free(r.sect);
        for (int c = 0; c < C_NTEXT; c++)
            free(r.t[c]);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    h->v[h->n++] = r;
    if (sc != NULL)
        sc->kept++;
    return 0;
}

int ps_reconhtml_rate(struct ps_reconhtml *h, const char *category,
                      int64_t threshold_bp, int64_t entries, int64_t returns)
{
    if (h->nrates == (int)(sizeof(h->rates) / sizeof(h->rates[0])))
        return 0;
    struct rate *r = &h->rates[h->nrates++];
    ps_strlcpy(r->category, category, sizeof(r->category));
    r->threshold_bp = threshold_bp;
    r->entries = entries;
    r->returns = returns;
    return 0;
}

/* ---- writing ------------------------------------------------------- */

struct page {
    const struct ps_reconhtml *h;
    struct ps_output *out;
    struct ps_err *err;
    int rc; /* the first error; later writes do nothing */
};

static void put(struct page *p, const char *s)
{
    if (p->rc == 0)
        p->rc = ps_output_write(p->out, s, strlen(s), p->err);
}

#define PUTF(p, ...)                                                           \
    do {                                                                       \
        if ((p)->rc == 0)                                                      \
            (p)->rc = ps_output_printf((p)->out, (p)->err, __VA_ARGS__);       \
    } while (0)

/* Text escaped for HTML content and attribute values. */
static void esc(struct page *p, const char *s)
{
    const char *run = s;
    for (; *s != '\0'; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&#39;";
            break;
        default:
            continue;
        }
        if (s > run && p->rc == 0)
            p->rc = ps_output_write(p->out, run, (size_t)(s - run), p->err);
        put(p, e);
        run = s + 1;
    }
    if (s > run && p->rc == 0)
        p->rc = ps_output_write(p->out, run, (size_t)(s - run), p->err);
}

/* Minor units as the CSV writes them (the currency's exponent). */
static const char *money(int64_t v, const char *currency,
                         char buf[PS_MONEY_STRMAX])
{
    const struct ps_currency *c = ps_currency_find(currency);
    return ps_money_format(v, c != NULL ? c->exponent : 2, buf,
                           PS_MONEY_STRMAX);
}

static int in_section(const struct row *r, const char *section)
{
    return strcmp(r->sect, section) == 0;
}

static long omitted(const struct ps_reconhtml *h, const char *section)
{
    for (int i = 0; i < h->nsc; i++)
        if (strcmp(h->sc[i].name, section) == 0)
            return h->sc[i].omitted;
    return 0;
}

/* Whether column c has a value in some row of section. */
static int col_used(const struct ps_reconhtml *h, const char *section, int c)
{
    for (size_t i = 0; i < h->n; i++) {
        const struct row *r = &h->v[i];
        if (!in_section(r, section))
            continue;
        if (c < C_NTEXT ? r->t[c][0] != '\0' : r->has[c - C_NTEXT])
            return 1;
    }
    return 0;
}

/* The class of a status cell, for its colour. */
static const char *status_class(const char *s)
{
    static const char *const bad[] = {"NOT_ZERO",
                                      "MISMATCH",
                                      "DIFFERENCE",
                                      "OVER_THRESHOLD",
                                      "UNKNOWN_REFERENCE",
                                      "REJECTED",
                                      "DECLINED",
                                      "RETURNED",
                                      "ERROR",
                                      "TRIAL_BALANCE_NOT_ZERO",
                                      "EWA_RECEIVABLE_DIFFERENCE",
                                      "ORPHAN_ROWS",
                                      "ACH_RETURN_RATE",
                                      "REFUSED"};
    static const char *const good[] = {"BALANCED", "MATCH",   "WITHIN",
                                       "SETTLED",  "APPLIED", "CLEARED",
                                       "RECEIVED"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (strcmp(s, bad[i]) == 0)
            return "bad";
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (strcmp(s, good[i]) == 0)
            return "good";
    return "";
}

/*
 * One table of a section's rows: the columns some row fills, headed by
 * col_name or by labels[c] when given.  "none" when the section is empty;
 * a note when rows were left out of the page.
 */
static void table(struct page *p, const char *section,
                  const char *const labels[C_N])
{
    const struct ps_reconhtml *h = p->h;
    int used[C_N], any = 0;
    char a[PS_MONEY_STRMAX];
    static const int order[C_N] = {C_FILE,   C_PROGRAM, C_RAIL,     C_TYPE,
                                   C_FROM,   C_STATUS,  C_KIND,     C_ELIG,
                                   C_BUCKET, C_REF,     C_CURRENCY, C_COUNT,
                                   C_AMOUNT, C_FEE,     C_DETAIL};
    for (int c = 0; c < C_N; c++)
        any |= used[c] = col_used(h, section, c);
    if (!any) {
        put(p, "<p class=\"none\">None.</p>\n");
        return;
    }
    PUTF(p, "<table class=\"%s\"><thead><tr>", section);
    for (int k = 0; k < C_N; k++) {
        int c = order[k];
        if (!used[c])
            continue;
        put(p, c >= C_NTEXT ? "<th class=\"num\">" : "<th>");
        esc(p, labels != NULL && labels[c] != NULL ? labels[c] : col_name[c]);
        put(p, "</th>");
    }
    put(p, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < h->n; i++) {
        const struct row *r = &h->v[i];
        if (!in_section(r, section))
            continue;
        PUTF(p, "<tr data-row=\"%ld\">", r->no);
        for (int k = 0; k < C_N; k++) {
            int c = order[k];
            if (!used[c])
                continue;
            if (c >= C_NTEXT) {
                int n = c - C_NTEXT;
                const char *v = "";
                if (r->has[n])
                    v = n == 0 ? (snprintf(a, sizeof(a), "%lld",
                                           (long long)r->num[0]),
                                  a)
                               : money(r->num[n], r->t[C_CURRENCY], a);
                PUTF(p, "<td class=\"num%s\">%s</td>",
                     r->has[n] && r->num[n] < 0 ? " neg" : "", v);
                continue;
            }
            if (c == C_STATUS)
                PUTF(p, "<td class=\"st %s\">", status_class(r->t[c]));
            else
                put(p, c == C_DETAIL ? "<td class=\"detail\">" : "<td>");
            esc(p, r->t[c]);
            put(p, "</td>");
        }
        put(p, "</tr>\n");
    }
    put(p, "</tbody></table>\n");
    if (omitted(h, section) > 0)
        PUTF(p,
             "<p class=\"note\">%ld more rows of this section are in the "
             "CSV only (the page shows the first %d).</p>\n",
             omitted(h, section), PS_RECONHTML_MAX_ROWS);
}

/* ---- charts (inline SVG) ------------------------------------------- */

#define CHART_LABEL 260      /* px for the labels on the left */
#define CHART_LABEL_CHARS 34 /* what fits in them at 12 px */
#define CHART_BAR 520        /* px of the longest bar */
#define CHART_ROW 26         /* px per bar */

/* A horizontal bar: label, value, the value's text, and a class. */
struct bar {
    char label[64], text[64];
    int64_t value;
    const char *cls;
};

/* Bars scaled to the largest value (or to max when larger); a marker
 * line at mark (0: none), labelled mark_label. */
static void bar_chart(struct page *p, const char *title, const struct bar *b,
                      int n, int64_t max, int64_t mark, const char *mark_label)
{
    int height = n * CHART_ROW + 28;
    for (int i = 0; i < n; i++)
        if (b[i].value > max)
            max = b[i].value;
    if (mark > max)
        max = mark;
    if (n == 0 || max <= 0)
        return;
    PUTF(p,
         "<figure><svg class=\"chart\" role=\"img\" width=\"%d\" "
         "height=\"%d\" viewBox=\"0 0 %d %d\"><title>",
         CHART_LABEL + CHART_BAR + 180, height, CHART_LABEL + CHART_BAR + 180,
         height);
    esc(p, title);
    put(p, "</title>\n");
    for (int i = 0; i < n; i++) {
        int y = 8 + i * CHART_ROW;
        int w = b[i].value > 0 ? (int)((b[i].value * CHART_BAR + max - 1) / max)
                               : 0;
        char label[CHART_LABEL_CHARS + 4];
        ps_strlcpy(label, b[i].label, sizeof(label));
        if (strlen(b[i].label) > CHART_LABEL_CHARS) /* the table has it */
            memcpy(label + CHART_LABEL_CHARS - 3, "...", 4);
        PUTF(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_LABEL - 8,
             y + 15);
        esc(p, label);
        PUTF(p,
             "</text><rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
             "height=\"%d\"/><text x=\"%d\" y=\"%d\">",
             b[i].cls, CHART_LABEL, y, w, CHART_ROW - 6, CHART_LABEL + w + 6,
             y + 15);
        esc(p, b[i].text);
        put(p, "</text>\n");
    }
    if (mark > 0) {
        int x = CHART_LABEL + (int)(mark * CHART_BAR / max);
        PUTF(p,
             "<line class=\"mark\" x1=\"%d\" y1=\"2\" x2=\"%d\" y2=\"%d\"/>"
             "<text class=\"mark\" x=\"%d\" y=\"%d\">",
             x, x, height - 14, x + 4, height - 2);
        esc(p, mark_label);
        put(p, "</text>\n");
    }
    put(p, "</svg><figcaption>");
    esc(p, title);
    put(p, "</figcaption></figure>\n");
}

/* Sum of column `num` (0 count, 1 amount) of a section's rows per value
 * of text column `key` (first seen first), over rows whose currency is
 * `currency` (NULL: any); at most max bars. */
static int sum_by(const struct ps_reconhtml *h, const char *section, int key,
                  int num, const char *currency, struct bar *b, int max)
{
    int n = 0;
    for (size_t i = 0; i < h->n; i++) {
        const struct row *r = &h->v[i];
        int k;
        if (!in_section(r, section) || !r->has[num] ||
            (currency != NULL && strcmp(r->t[C_CURRENCY], currency) != 0))
            continue;
        for (k = 0; k < n; k++)
            if (strcmp(b[k].label, r->t[key]) == 0)
                break;
        if (k == n) {
            if (n == max)
                continue;
            memset(&b[n], 0, sizeof(b[n]));
            ps_strlcpy(b[n].label, r->t[key][0] ? r->t[key] : "(none)",
                       sizeof(b[n].label));
            b[n].cls = "bar";
            n++;
        }
        b[k].value += r->num[num];
    }
    return n;
}

/* The currencies of a section's rows, first seen first. */
static int currencies(const struct ps_reconhtml *h, const char *section,
                      char cur[][4], int max)
{
    int n = 0;
    for (size_t i = 0; i < h->n; i++) {
        const struct row *r = &h->v[i];
        int k;
        if (!in_section(r, section) || r->t[C_CURRENCY][0] == '\0')
            continue;
        for (k = 0; k < n && strcmp(cur[k], r->t[C_CURRENCY]) != 0; k++)
            ;
        if (k == n && n < max)
            ps_strlcpy(cur[n++], r->t[C_CURRENCY], 4);
    }
    return n;
}

static void count_chart(struct page *p, const char *title, const char *section,
                        int key)
{
    struct bar b[24];
    int n = sum_by(p->h, section, key, 0, NULL, b, 24);
    for (int i = 0; i < n; i++) {
        snprintf(b[i].text, sizeof(b[i].text), "%lld", (long long)b[i].value);
        if (strcmp(status_class(b[i].label), "bad") == 0)
            b[i].cls = "bar bad";
    }
    bar_chart(p, title, b, n, 0, 0, NULL);
}

/* EWA receivables by age, one chart per currency, buckets in order. */
static void aging_chart(struct page *p)
{
    static const char *const buckets[] = {"0-7", "8-14", "15-30", "31-60",
                                          ">60"};
    char cur[8][4], a[PS_MONEY_STRMAX], title[96];
    int nc = currencies(p->h, "ewa_receivables", cur, 8);
    for (int c = 0; c < nc; c++) {
        struct bar b[5];
        struct bar got[8];
        int n = sum_by(p->h, "ewa_receivables", C_BUCKET, 1, cur[c], got, 8);
        for (int k = 0; k < 5; k++) {
            memset(&b[k], 0, sizeof(b[k]));
            snprintf(b[k].label, sizeof(b[k].label), "%s days", buckets[k]);
            b[k].cls = k >= 3 ? "bar bad" : "bar";
            for (int i = 0; i < n; i++)
                if (strcmp(got[i].label, buckets[k]) == 0)
                    b[k].value = got[i].value;
            snprintf(b[k].text, sizeof(b[k].text), "%s %s",
                     money(b[k].value, cur[c], a), cur[c]);
        }
        snprintf(title, sizeof(title),
                 "EWA receivables by age, %s (amount to recover)", cur[c]);
        bar_chart(p, title, b, 5, 0, 0, NULL);
    }
}

/* NACHA's return rates against their thresholds: one chart per rate, the
 * threshold a marker line. */
static void rate_charts(struct page *p)
{
    const struct ps_reconhtml *h = p->h;
    for (int i = 0; i < h->nrates; i++) {
        const struct rate *r = &h->rates[i];
        struct bar b;
        char title[96], mark[48];
        /* the rate in hundredths of a basis point, to show small ones */
        int64_t rate = r->entries > 0 ? r->returns * 1000000 / r->entries : 0;
        int64_t th = r->threshold_bp * 100;
        memset(&b, 0, sizeof(b));
        ps_strlcpy(b.label, r->category, sizeof(b.label));
        b.value = rate;
        b.cls =
            r->entries > 0 && r->returns * 10000 > r->threshold_bp * r->entries
                ? "bar bad"
                : "bar good";
        snprintf(b.text, sizeof(b.text), "%lld.%02lld%% (%lld of %lld)",
                 (long long)(rate / 10000), (long long)(rate % 10000 / 100),
                 (long long)r->returns, (long long)r->entries);
        snprintf(mark, sizeof(mark), "threshold %lld.%02lld%%",
                 (long long)(r->threshold_bp / 100),
                 (long long)(r->threshold_bp % 100));
        snprintf(title, sizeof(title), "%s debit return rate", r->category);
        bar_chart(p, title, &b, 1, th * 2, th, mark);
    }
}

/* The outbound files' items by outcome (count), over every file. */
static void items_chart(struct page *p)
{
    count_chart(p, "Outbound file items by outcome", "file_items", C_STATUS);
}

/* ---- the page ------------------------------------------------------ */

static const char style[] =
    "<style>\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:24px;color:#1b1f23;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:2px solid #d0d7de;padding-bottom:4px}"
    "h3{font-size:14px;margin:16px 0 6px}\n"
    ".meta{color:#57606a;margin:0 0 16px}\n"
    "table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}\n"
    "th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f6f8fa}td.num,th.num{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.neg{color:#a40e26}td.detail{color:#57606a;max-width:520px}\n"
    ".st.bad{color:#a40e26;font-weight:600}.st.good{color:#116329}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}\n"
    ".tile{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;"
    "min-width:130px}.tile b{display:block;font-size:20px}\n"
    ".tile.bad{border-color:#cf222e;background:#ffebe9}"
    ".tile.good{border-color:#1a7f37;background:#dafbe1}\n"
    ".alerts{border:2px solid #cf222e;background:#ffebe9;padding:8px 14px;"
    "border-radius:6px}.ok{border:1px solid #1a7f37;background:#dafbe1;"
    "padding:8px 14px;border-radius:6px}\n"
    ".none,.note{color:#57606a;font-style:italic}\n"
    "figure{margin:8px 0 14px}figcaption{color:#57606a;font-size:12px}\n"
    "svg.chart text{font-size:12px;fill:#1b1f23}\n"
    "rect.bar{fill:#0969da}rect.bad{fill:#cf222e}rect.good{fill:#1a7f37}\n"
    "line.mark{stroke:#1b1f23;stroke-width:2;stroke-dasharray:4 3}\n"
    "text.mark{font-size:11px}\n"
    "@media print{body{margin:0}h2{break-after:avoid}}\n"
    "</style>\n";

/* Sum of the count column of a section's rows. */
static int64_t section_count(const struct ps_reconhtml *h, const char *section)
{
    int64_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        if (in_section(&h->v[i], section) && h->v[i].has[0])
            n += h->v[i].num[0];
    return n;
}

/* Rows of a section whose status is st (NULL: any), kept or not. */
static long section_rows(const struct ps_reconhtml *h, const char *section,
                         const char *st)
{
    long n = st == NULL ? omitted(h, section) : 0;
    for (size_t i = 0; i < h->n; i++)
        if (in_section(&h->v[i], section) &&
            (st == NULL || strcmp(h->v[i].t[C_STATUS], st) == 0))
            n++;
    return n;
}

static void tile(struct page *p, const char *label, long value, int bad)
{
    PUTF(p, "<div class=\"tile %s\"><b>%ld</b>", bad ? "bad" : "good", value);
    esc(p, label);
    put(p, "</div>\n");
}

static void head(struct page *p, const struct ps_reconhtml_info *in)
{
    const struct ps_reconhtml *h = p->h;
    long alerts = section_rows(h, "alert", NULL);
    long rates_over = section_rows(h, "ach_return_rates", "OVER_THRESHOLD");
    put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
           "charset=\"utf-8\">\n<meta name=\"viewport\" "
           "content=\"width=device-width, initial-scale=1\">\n<title>"
           "Reconciliation of ");
    esc(p, in->business);
    put(p, " for ");
    esc(p, in->date);
    put(p, "</title>\n");
    put(p, style);
    put(p, "</head>\n<body>\n<h1>Reconciliation of ");
    esc(p, in->display_name[0] ? in->display_name : in->business);
    put(p, " (");
    esc(p, in->business);
    put(p, "), business date ");
    esc(p, in->date);
    put(p, "</h1>\n<p class=\"meta\">Report ");
    PUTF(p, "%03d", in->seq);
    put(p, ", generated ");
    esc(p, in->generated);
    put(p, ". The business date is the UTC day; statuses and EWA balances "
           "are as of generation. Every figure is also in ");
    esc(p, in->csv_name);
    put(p, " (summary: ");
    esc(p, in->summary_name);
    put(p, ").</p>\n");
    for (size_t i = 0; i < h->n; i++)
        if (in_section(&h->v[i], "report")) {
            PUTF(p, "<p class=\"meta\" data-row=\"%ld\">", h->v[i].no);
            esc(p, h->v[i].t[C_DETAIL]);
            put(p, "</p>\n");
        }
    put(p, "<div class=\"tiles\">\n");
    tile(p, "alerts", alerts, alerts > 0);
    tile(p, "trial balances not zero",
         section_rows(h, "trial_balance", "NOT_ZERO"),
         section_rows(h, "trial_balance", "NOT_ZERO") > 0);
    tile(p, "files not matching their controls",
         section_rows(h, "file_check", "MISMATCH"),
         section_rows(h, "file_check", "MISMATCH") > 0);
    tile(p, "unmatched items", section_rows(h, "unmatched", NULL),
         section_rows(h, "unmatched", NULL) > 0);
    tile(p, "late items", section_rows(h, "late", NULL),
         section_rows(h, "late", NULL) > 0);
    tile(p, "return rates over threshold", rates_over, rates_over > 0);
    put(p, "</div>\n");
}

/* Long (about 130 lines): the page top to bottom, each section a title,
 * a sentence saying what it holds, its table and its chart. */
int ps_reconhtml_write(const struct ps_reconhtml *h,
                       const struct ps_reconhtml_info *in,
                       struct ps_output *out, struct ps_err *err)
{
    struct page pg = {h, out, err, 0}, *p = &pg;
    const char *lbl[C_N] = {0};

    head(p, in);
    put(p, "<h2 id=\"alerts\">Alerts</h2>\n");
    if (section_rows(h, "alert", NULL) > 0) {
        put(p, "<div class=\"alerts\">\n");
        table(p, "alert", NULL);
        put(p, "</div>\n");
    } else
        put(p, "<p class=\"ok\">No alerts: the ledger balances, the EWA "
               "receivable matches its ledger, and every NACHA return rate "
               "is within its threshold.</p>\n");

    put(p, "<h2 id=\"trial-balance\">Ledger trial balance</h2>\n<p>Per "
           "currency, debits minus credits over the business's ledger: "
           "must be zero.</p>\n");
    lbl[C_AMOUNT] = "balance";
    table(p, "trial_balance", lbl);
    lbl[C_AMOUNT] = NULL;

    put(p, "<h2 id=\"positions\">Ledger positions</h2>\n<p>Balance (debits "
           "minus credits) per account kind at the start of the day; "
           "count is the ledger legs so far.</p>\n<h3>Opening</h3>\n");
    table(p, "opening_position", NULL);
    put(p, "<h3>Closing</h3>\n");
    table(p, "closing_position", NULL);

    put(p, "<h2 id=\"transactions\">Transactions created on the day</h2>\n"
           "<p>By program, rail, type and status now.</p>\n");
    table(p, "transactions", NULL);
    put(p, "<h2 id=\"movements\">Status movements of the day</h2>\n<p>Status "
           "changes made on the day (from empty: created).</p>\n");
    count_chart(p, "Status changes of the day by new status",
                "status_movements", C_STATUS);
    lbl[C_FROM] = "from status";
    lbl[C_STATUS] = "to status";
    table(p, "status_movements", lbl);
    lbl[C_FROM] = lbl[C_STATUS] = NULL;

    put(p, "<h2 id=\"files\">Outbound files against their controls</h2>\n"
           "<p>Each payment file of the day or with items still open: its "
           "controls, its items by outcome, and whether the items add up to "
           "the controls.</p>\n");
    items_chart(p);
    put(p, "<h3>Controls</h3>\n");
    table(p, "file_control", NULL);
    lbl[C_TYPE] = "direction";
    lbl[C_STATUS] = "outcome";
    put(p, "<h3>Items</h3>\n");
    table(p, "file_items", lbl);
    lbl[C_TYPE] = lbl[C_STATUS] = NULL;
    put(p, "<h3>Check</h3>\n");
    lbl[C_COUNT] = "items";
    table(p, "file_check", lbl);
    lbl[C_COUNT] = NULL;

    put(p, "<h2 id=\"unmatched\">Unmatched items</h2>\n<p>Provider lines with "
           "a reference we do not know, and items with no provider answer "
           "yet.</p>\n");
    lbl[C_REF] = "reference or transaction";
    table(p, "unmatched", lbl);
    PUTF(p,
         "<h2 id=\"late\">Late items</h2>\n<p>Items not settled %d "
         "banking day(s) after their file's date.</p>\n",
         in->settle_days);
    table(p, "late", lbl);
    lbl[C_REF] = NULL;

    PUTF(p,
         "<h2 id=\"returns\">ACH returns and NACHA return rates</h2>\n"
         "<p>Debit return rates over the %d days ending with the business "
         "date, against NACHA's thresholds (Rule 2.17.2): unauthorized "
         "0.50%%, administrative 3.00%%, overall 15.00%%.</p>\n",
         in->rate_days);
    rate_charts(p);
    lbl[C_REF] = "category";
    table(p, "ach_return_rates", lbl);
    put(p, "<h3>Returns received on the day</h3>\n");
    lbl[C_TYPE] = "direction";
    lbl[C_STATUS] = "category";
    lbl[C_REF] = "reason code";
    table(p, "ach_returns", lbl);
    put(p, "<h3>Notifications of change received on the day</h3>\n");
    lbl[C_TYPE] = lbl[C_STATUS] = NULL;
    lbl[C_REF] = "change code";
    table(p, "ach_notifications", lbl);
    lbl[C_REF] = NULL;

    put(p, "<h2 id=\"receivables\">EWA receivables by age</h2>\n<p>Profiles "
           "with an amount to recover, by eligibility and days since the "
           "oldest disbursement not yet recovered.</p>\n");
    aging_chart(p);
    table(p, "ewa_receivables", NULL);
    put(p, "<h3>Against the ledger</h3>\n");
    lbl[C_COUNT] = "profiles";
    table(p, "ewa_receivable_check", lbl);
    lbl[C_COUNT] = NULL;

    put(p, "<h2 id=\"intake\">Intake of the day</h2>\n<p>Input files received "
           "on the day by format and status (count: files; amount: "
           "accepted), and what was refused, by code.</p>\n");
    lbl[C_TYPE] = "format";
    table(p, "intake", lbl);
    put(p, "<h3>Refused, by code</h3>\n");
    count_chart(p, "Refusals of the day by code", "intake_refused", C_REF);
    lbl[C_TYPE] = "level";
    lbl[C_REF] = "code";
    table(p, "intake_refused", lbl);
    PUTF(p,
         "<p class=\"meta\">%ld rows in the CSV; %lld records "
         "refused on the day.</p>\n</body>\n</html>\n",
         h->rows, (long long)section_count(h, "intake_refused"));
    return pg.rc;
}
