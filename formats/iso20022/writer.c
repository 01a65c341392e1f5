/*
 * writer.c -- the ISO 20022 writers (iso20022.h): pain.002.001.11 and
 * camt.054.001.08, streamed through a sink, elements in the schemas'
 * order, text escaped and cut to its type's length (Max35Text, Max105Text)
 * at a character boundary, card numbers masked (base/redact.h).
 *
 * How it fails: only the sink fails; its error is returned.
 */
#include <stdio.h>
#include <string.h>

#include "formats/iso20022/iso20022.h"
#include "base/money.h"
#include "base/redact.h"

#define PAIN002_NS "urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"
#define CAMT054_NS "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
#define CAMT053_NS "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"

static int put(struct ps_iso_writer *w, const char *s, struct ps_err *err)
{
    return w->sink.write(w->sink.ctx, s, strlen(s), err);
}

#define ELEM_MAX 1024 /* one element's bytes at most, its tags included */

/*
 * <tag>text</tag>\n into dst (ELEM_MAX bytes), text escaped and cut to
 * max characters (and to what fits, the closing tag always written);
 * returns the bytes written.  The text is read from a copy of at most
 * 511 bytes, cut at a character boundary, with its card numbers masked.
 * What XML 1.0 cannot carry in UTF-8 never reaches the file: a control
 * character (C0, DEL, C1) becomes a space; a byte that starts no valid
 * UTF-8 character (Latin-1 text, a cut character) and the non-characters
 * U+FFFE and U+FFFF become U+FFFD.  Each counts as one character.
 */
static size_t elem_fmt(char *dst, const char *tag, const char *text,
                       size_t max)
{
    char clean[512];
    size_t n = 0, chars = 0, tl = strlen(tag), left;
    if (tl > 64)
        tl = 64;
    ps_strlcpy(clean, text != NULL && text[0] != '\0' ? text : "-",
               sizeof(clean));
    ps_redact_pans(clean);
    dst[n++] = '<';
    memcpy(dst + n, tag, tl);
    n += tl;
    dst[n++] = '>';
    left = strlen(clean);
    for (const char *p = clean; left > 0 && chars < max; chars++) {
        unsigned char c = (unsigned char)*p;
        size_t l = ps_utf8_char(p, left), ol;
        const char *out = p;
        if (l == 0) {
            int ctl = c < 0x80 || (c == 0xc2 && left > 1 &&
                                   (unsigned char)p[1] >= 0x80 &&
                                   (unsigned char)p[1] <= 0x9f);
            l = ctl && c >= 0x80 ? 2 : 1;
            out = ctl ? " " : "\xef\xbf\xbd";
        } else if (l == 3 && c == 0xef && (unsigned char)p[1] == 0xbf &&
                   (unsigned char)p[2] >= 0xbe)
            out = "\xef\xbf\xbd";
        else if (l == 1)
            out = c == '&'   ? "&amp;"
                  : c == '<' ? "&lt;"
                  : c == '>' ? "&gt;"
                  : c == '"' ? "&quot;"
                             : p;
        ol = out == p ? l : strlen(out);
        if (n + ol + tl + 4 > ELEM_MAX)
            break; /* no room for it and "</tag>\n" */
        memcpy(dst + n, out, ol);
        n += ol;
        p += l;
        left -= l;
    }
    dst[n++] = '<';
    dst[n++] = '/';
    memcpy(dst + n, tag, tl);
    n += tl;
    dst[n++] = '>';
    dst[n++] = '\n';
    return n;
}

/* <tag>text</tag>, text escaped and cut to max characters. */
static int elem(struct ps_iso_writer *w, const char *tag, const char *text,
                size_t max, struct ps_err *err)
{
    char buf[ELEM_MAX];
    size_t n = elem_fmt(buf, tag, text, max);
    return w->sink.write(w->sink.ctx, buf, n, err);
}

/*
 * An entry's bytes gathered before they go to the sink in one write
 * (an entry is about 30 elements: one sink call each cost more than the
 * text).  Full, it is emptied into the sink first; a sink's error stays
 * in rc and the later calls do nothing.
 */
struct ebuf {
    struct ps_iso_writer *w;
    struct ps_err *err;
    int rc;
    size_t n;
    char b[8192];
};

static void eb_flush(struct ebuf *e)
{
    if (e->rc == 0 && e->n > 0)
        e->rc = e->w->sink.write(e->w->sink.ctx, e->b, e->n, e->err);
    e->n = 0;
}

static void eb_put(struct ebuf *e, const char *s)
{
    size_t l = strlen(s);
    if (e->n + l > sizeof(e->b))
        eb_flush(e);
    if (l > sizeof(e->b)) {
        if (e->rc == 0)
            e->rc = e->w->sink.write(e->w->sink.ctx, s, l, e->err);
        return;
    }
    memcpy(e->b + e->n, s, l);
    e->n += l;
}

static void eb_elem(struct ebuf *e, const char *tag, const char *text,
                    size_t max)
{
    if (e->n + ELEM_MAX > sizeof(e->b))
        eb_flush(e);
    e->n += elem_fmt(e->b + e->n, tag, text, max);
}

static void eb_opt_elem(struct ebuf *e, const char *tag, const char *text,
                        size_t max)
{
    if (text != NULL && text[0] != '\0')
        eb_elem(e, tag, text, max);
}

const char *ps_iso_reason(const char *code)
{
    static const struct {
        const char *code, *iso;
    } map[] = {
        {"ABA_CHECK_DIGIT", "RC01"},
        {"ACCOUNT_NOT_FOUND", "AC01"},
        {"ACCOUNT_SUSPENDED", "AC06"},
        {"CONTROL_SUM_MISMATCH", "AM10"},
        {"CUSTOMER_NOT_FOUND", "AC01"},
        {"CUSTOMER_SUSPENDED", "AC06"},
        {"DUPLICATE_FILE", "DUPL"},
        {"DUPLICATE_FILE_KEY", "DUPL"},
        {"DUPLICATE_RECORD", "AM05"},
        {"DUPLICATE_REQUEST", "AM05"},
        {"INSUFFICIENT_FUNDS", "AM04"},
        {"ISO_CREDITOR_UNIDENTIFIED", "AC01"},
        {"ISO_CTRL_SUM", "AM10"},
        {"NO_ACTIVE_ACCOUNT", "AC04"},
    };
    if (code == NULL)
        return "MS03";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].iso;
    if (strncmp(code, "ISO_", 4) == 0) /* the document broke its schema */
        return "FF01";
    return "MS03";
}

/*
 * A card processor's decline or error code (the ISO 8583 response codes
 * Visa Direct and Mastercard Send answer with) as the ISO external status
 * reason that fits; NULL for a code not listed.
 */
const char *ps_iso_card_reason(const char *resp)
{
    static const struct {
        const char *resp, *iso;
    } map[] = {
        {"04", "AC06"}, /* pick up card */
        {"07", "AC06"}, /* pick up card, special condition */
        {"13", "AM02"}, /* invalid amount */
        {"14", "AC01"}, /* invalid card number */
        {"15", "RC01"}, /* no such issuer */
        {"41", "AC06"}, /* lost card */
        {"43", "AC06"}, /* stolen card */
        {"51", "AM04"}, /* insufficient funds */
        {"54", "AC04"}, /* expired card */
        {"56", "AC01"}, /* no card record */
        {"57", "AG01"}, /* transaction not permitted to the cardholder */
        {"59", "FR01"}, /* suspected fraud */
        {"61", "AM02"}, /* exceeds the amount limit */
        {"62", "AC06"}, /* restricted card */
        {"78", "AC06"}, /* blocked, first use */
        {"94", "AM05"}, /* duplicate transmission */
    };
    if (resp == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].resp, resp) == 0)
            return map[i].iso;
    return NULL;
}

/* The code a reason text starts with ("INSUFFICIENT_FUNDS: ...",
 * "51 insufficient funds"): letters, digits and '_' up to a blank or ':'. */
static void lead_token(const char *s, char *out, size_t size)
{
    size_t n = 0;
    while (s[n] != '\0' && s[n] != ' ' && s[n] != ':' && n + 1 < size &&
           ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
            s[n] == '_'))
        n++;
    memcpy(out, s, n);
    out[n] = '\0';
    if (s[n] != '\0' && s[n] != ' ' && s[n] != ':')
        out[0] = '\0'; /* not a code: lower case or punctuation */
}

const char *ps_iso_reason_text(const char *reason)
{
    /* Words of processors' and banks' messages, lower case. */
    static const struct {
        const char *word, *iso;
    } words[] = {
        {"insufficient", "AM04"}, {"expired", "AC04"},  {"closed", "AC04"},
        {"stolen", "AC06"},       {"lost card", "AC06"}, {"blocked", "AC06"},
        {"restricted", "AC06"},   {"suspended", "AC06"}, {"fraud", "FR01"},
        {"duplicate", "AM05"},    {"invalid card", "AC01"},
        {"invalid account", "AC01"}, {"no such account", "AC01"},
    };
    char tok[48], low[160];
    const char *iso;
    if (reason == NULL || reason[0] == '\0')
        return "MS03";
    /* A provider's answer: "provider DECLINED 51: insufficient funds". */
    if (strncmp(reason, "provider ", 9) == 0) {
        const char *p = strchr(reason + 9, ' ');
        if (p != NULL) {
            lead_token(p + 1, tok, sizeof(tok));
            if ((iso = ps_iso_card_reason(tok)) != NULL)
                return iso;
            reason = p + 1;
        }
    }
    lead_token(reason, tok, sizeof(tok));
    if (tok[0] != '\0' && (iso = ps_iso_reason(tok)) != NULL &&
        strcmp(iso, "MS03") != 0)
        return iso;
    if ((iso = ps_iso_card_reason(tok)) != NULL)
        return iso;
    size_t n = 0;
    for (; reason[n] != '\0' && n + 1 < sizeof(low); n++)
        low[n] = (char)(reason[n] >= 'A' && reason[n] <= 'Z'
                            ? reason[n] - 'A' + 'a'
                            : reason[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(low, words[i].word) != NULL)
            return words[i].iso;
    return "MS03";
}

/* StsRsnInf: Rsn/Cd (or Rsn/Prtry when prtry) and AddtlInf (Max105Text). */
static int reason(struct ps_iso_writer *w, const char *rsn, int prtry,
                  const char *info, struct ps_err *err)
{
    int rc = put(w, "<StsRsnInf>", err);
    if (rc == 0 && rsn != NULL) {
        rc = put(w, "<Rsn>", err);
        if (rc == 0)
            rc = prtry ? elem(w, "Prtry", rsn, 35, err)
                       : elem(w, "Cd", rsn, 4, err);
        if (rc == 0)
            rc = put(w, "</Rsn>", err);
    }
    if (rc == 0 && info != NULL && info[0] != '\0')
        rc = elem(w, "AddtlInf", info, 105, err);
    if (rc == 0)
        rc = put(w, "</StsRsnInf>\n", err);
    return rc;
}

int ps_iso_pain002_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const struct ps_iso_pain002 *g, struct ps_err *err)
{
    char nb[24];
    int rc;
    memset(w, 0, sizeof(*w));
    w->sink = sink;
    snprintf(nb, sizeof(nb), "%ld", g->orgnl_nb_of_txs);
    if ((rc = put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Document xmlns=\"" PAIN002_NS "\">\n"
                     "<CstmrPmtStsRpt>\n<GrpHdr>\n",
                  err)) != 0 ||
        (rc = elem(w, "MsgId", g->msg_id, 35, err)) != 0 ||
        (rc = elem(w, "CreDtTm", g->cre_dt_tm, 35, err)) != 0 ||
        (rc = put(w, "</GrpHdr>\n<OrgnlGrpInfAndSts>\n", err)) != 0 ||
        (rc = elem(w, "OrgnlMsgId", g->orgnl_msg_id, 35, err)) != 0 ||
        (rc = elem(w, "OrgnlMsgNmId", g->orgnl_msg_nm_id, 35, err)) != 0)
        return rc;
    /* A later status report knows neither: both are optional. */
    if (g->orgnl_nb_of_txs >= 0 &&
        (rc = elem(w, "OrgnlNbOfTxs", nb, 15, err)) != 0)
        return rc;
    if (g->grp_sts != NULL && (rc = elem(w, "GrpSts", g->grp_sts, 4, err)) != 0)
        return rc;
    if (g->grp_rsn != NULL &&
        (rc = reason(w, g->grp_rsn, 0, g->grp_info, err)) != 0)
        return rc;
    return put(w, "</OrgnlGrpInfAndSts>\n", err);
}

int ps_iso_pain002_tx(struct ps_iso_writer *w, const struct ps_iso_txsts *t,
                      struct ps_err *err)
{
    int rc = 0;
    if (w->open_block && strcmp(w->pmtinf, t->pmt_inf_id) != 0) {
        if ((rc = put(w, "</OrgnlPmtInfAndSts>\n", err)) != 0)
            return rc;
        w->open_block = 0;
    }
    if (!w->open_block) {
        if ((rc = put(w, "<OrgnlPmtInfAndSts>\n", err)) != 0 ||
            (rc = elem(w, "OrgnlPmtInfId", t->pmt_inf_id, 35, err)) != 0)
            return rc;
        ps_strlcpy(w->pmtinf, t->pmt_inf_id, sizeof(w->pmtinf));
        w->open_block = 1;
    }
    if ((rc = put(w, "<TxInfAndSts>\n", err)) != 0 ||
        (rc = elem(w, "OrgnlEndToEndId", t->end_to_end_id, 35, err)) != 0 ||
        (rc = elem(w, "TxSts", t->tx_sts, 4, err)) != 0)
        return rc;
    if (t->rsn_prtry != NULL &&
        (rc = reason(w, t->rsn_prtry, 1, t->info, err)) != 0)
        return rc;
    if (t->rsn_prtry == NULL && t->rsn != NULL &&
        (rc = reason(w, t->rsn, 0, t->info, err)) != 0)
        return rc;
    return put(w, "</TxInfAndSts>\n", err);
}

int ps_iso_pain002_end(struct ps_iso_writer *w, struct ps_err *err)
{
    int rc = 0;
    if (w->open_block)
        rc = put(w, "</OrgnlPmtInfAndSts>\n", err);
    w->open_block = 0;
    return rc != 0 ? rc : put(w, "</CstmrPmtStsRpt>\n</Document>\n", err);
}

/* ---- camt.054 ---- */

int ps_iso_camt054_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const struct ps_iso_camt054 *n, struct ps_err *err)
{
    int rc;
    memset(w, 0, sizeof(*w));
    w->sink = sink;
    if ((rc = put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Document xmlns=\"" CAMT054_NS "\">\n"
                     "<BkToCstmrDbtCdtNtfctn>\n<GrpHdr>\n",
                  err)) != 0 ||
        (rc = elem(w, "MsgId", n->msg_id, 35, err)) != 0 ||
        (rc = elem(w, "CreDtTm", n->cre_dt_tm, 35, err)) != 0 ||
        (rc = put(w, "</GrpHdr>\n<Ntfctn>\n", err)) != 0 ||
        (rc = elem(w, "Id", n->ntfctn_id, 35, err)) != 0 ||
        (rc = elem(w, "CreDtTm", n->cre_dt_tm, 35, err)) != 0 ||
        (rc = put(w, "<Acct><Id><Othr>", err)) != 0 ||
        (rc = elem(w, "Id", n->acct_id, 34, err)) != 0 ||
        (rc = put(w, "</Othr></Id>", err)) != 0)
        return rc;
    if (n->ccy != NULL && (rc = elem(w, "Ccy", n->ccy, 3, err)) != 0)
        return rc;
    return put(w, "</Acct>\n", err);
}

/* RtrInf (PaymentReturnReason5): a return's original bank transaction
 * code, its reason (Prtry: the NACHA code; else Cd: the ISO code) and the
 * reason's text. */
static void rtr_inf(struct ebuf *b, const struct ps_iso_entry *e)
{
    eb_put(b, "<RtrInf>");
    if (e->reversal)
        eb_put(b, "<OrgnlBkTxCd><Prtry><Cd>PAYMENT</Cd></Prtry>"
                  "</OrgnlBkTxCd>");
    if (e->rtr_rsn != NULL || e->rtr_cd != NULL) {
        eb_put(b, "<Rsn>");
        if (e->rtr_rsn != NULL)
            eb_elem(b, "Prtry", e->rtr_rsn, 35);
        else
            eb_elem(b, "Cd", e->rtr_cd, 4);
        eb_put(b, "</Rsn>");
    }
    if (e->rtr_info != NULL && e->rtr_info[0] != '\0')
        eb_elem(b, "AddtlInf", e->rtr_info, 105);
    eb_put(b, "</RtrInf>\n");
}

int ps_iso_camt054_entry(struct ps_iso_writer *w, const struct ps_iso_entry *e,
                         struct ps_err *err)
{
    const struct ps_currency *c = ps_currency_find(e->ccy);
    char amt[PS_MONEY_STRMAX], buf[160];
    struct ebuf b;
    b.w = w;
    b.err = err;
    b.rc = 0;
    b.n = 0;
    ps_money_format(e->amount, c != NULL ? c->exponent : 2, amt, sizeof(amt));
    snprintf(buf, sizeof(buf), "<Amt Ccy=\"%.3s\">%s</Amt>\n", e->ccy, amt);
    eb_put(&b, "<Ntry>\n");
    eb_elem(&b, "NtryRef", e->ntry_ref, 35);
    eb_put(&b, buf);
    eb_elem(&b, "CdtDbtInd", e->credit ? "CRDT" : "DBIT", 4);
    if (e->reversal)
        eb_elem(&b, "RvslInd", "true", 5);
    eb_put(&b, "<Sts>");
    eb_elem(&b, "Cd", e->sts, 4);
    eb_put(&b, "</Sts>\n<BookgDt>");
    eb_elem(&b, "Dt", e->date, 10);
    eb_put(&b, "</BookgDt>\n<ValDt>");
    eb_elem(&b, "Dt", e->date, 10);
    eb_put(&b, "</ValDt>\n<BkTxCd><Prtry>");
    eb_elem(&b, "Cd", e->reversal ? "RETURN" : "PAYMENT", 35);
    eb_put(&b, "</Prtry></BkTxCd>\n<NtryDtls><TxDtls>\n<Refs>\n");
    eb_opt_elem(&b, "MsgId", e->msg_id, 35);
    eb_opt_elem(&b, "PmtInfId", e->pmt_inf_id, 35);
    eb_opt_elem(&b, "EndToEndId", e->end_to_end_id, 35);
    eb_put(&b, "</Refs>\n");
    if (e->rtr_rsn != NULL || e->rtr_cd != NULL || e->rtr_info != NULL)
        rtr_inf(&b, e);
    eb_put(&b, "</TxDtls></NtryDtls>\n");
    if (e->info != NULL)
        eb_elem(&b, "AddtlNtryInf", e->info, 500);
    eb_put(&b, "</Ntry>\n");
    eb_flush(&b);
    return b.rc;
}

int ps_iso_camt054_end(struct ps_iso_writer *w, struct ps_err *err)
{
    return put(w, "</Ntfctn>\n</BkToCstmrDbtCdtNtfctn>\n</Document>\n", err);
}

/* ---- camt.053 ---- */

int ps_iso_camt053_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const char *msg_id, const char *cre_dt_tm,
                         struct ps_err *err)
{
    int rc;
    memset(w, 0, sizeof(*w));
    w->sink = sink;
    if ((rc = put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Document xmlns=\"" CAMT053_NS "\">\n"
                     "<BkToCstmrStmt>\n<GrpHdr>\n",
                  err)) != 0 ||
        (rc = elem(w, "MsgId", msg_id, 35, err)) != 0 ||
        (rc = elem(w, "CreDtTm", cre_dt_tm, 35, err)) != 0)
        return rc;
    return put(w, "</GrpHdr>\n", err);
}

int ps_iso_camt053_stmt(struct ps_iso_writer *w, const struct ps_iso_camt054 *n,
                        struct ps_err *err)
{
    int rc;
    if (w->open_block && (rc = put(w, "</Stmt>\n", err)) != 0)
        return rc;
    w->open_block = 1;
    if ((rc = put(w, "<Stmt>\n", err)) != 0 ||
        (rc = elem(w, "Id", n->ntfctn_id, 35, err)) != 0 ||
        (rc = elem(w, "CreDtTm", n->cre_dt_tm, 35, err)) != 0 ||
        (rc = put(w, "<Acct><Id><Othr>", err)) != 0 ||
        (rc = elem(w, "Id", n->acct_id, 34, err)) != 0 ||
        (rc = put(w, "</Othr></Id>", err)) != 0)
        return rc;
    if (n->ccy != NULL && (rc = elem(w, "Ccy", n->ccy, 3, err)) != 0)
        return rc;
    return put(w, "</Acct>\n", err);
}

int ps_iso_camt053_balance(struct ps_iso_writer *w, const char *type,
                           int64_t balance, const char *ccy, const char *date,
                           struct ps_err *err)
{
    const struct ps_currency *c = ps_currency_find(ccy);
    char amt[PS_MONEY_STRMAX], buf[160];
    int rc;
    /* The amount is never negative: the sign is CdtDbtInd. */
    int64_t mag = balance < 0 ? -balance : balance;
    ps_money_format(mag, c != NULL ? c->exponent : 2, amt, sizeof(amt));
    snprintf(buf, sizeof(buf), "<Amt Ccy=\"%.3s\">%s</Amt>\n", ccy, amt);
    if ((rc = put(w, "<Bal>\n<Tp><CdOrPrtry>", err)) != 0 ||
        (rc = elem(w, "Cd", type, 4, err)) != 0 ||
        (rc = put(w, "</CdOrPrtry></Tp>\n", err)) != 0 ||
        (rc = put(w, buf, err)) != 0 ||
        (rc = elem(w, "CdtDbtInd", balance < 0 ? "DBIT" : "CRDT", 4, err)) !=
            0 ||
        (rc = put(w, "<Dt>", err)) != 0 ||
        (rc = elem(w, "Dt", date, 10, err)) != 0 ||
        (rc = put(w, "</Dt>\n</Bal>\n", err)) != 0)
        return rc;
    return 0;
}

int ps_iso_camt053_entry(struct ps_iso_writer *w, const struct ps_iso_entry *e,
                         struct ps_err *err)
{
    return ps_iso_camt054_entry(w, e, err); /* ReportEntry10 in both */
}

int ps_iso_camt053_end(struct ps_iso_writer *w, struct ps_err *err)
{
    int rc = w->open_block ? put(w, "</Stmt>\n", err) : 0;
    w->open_block = 0;
    return rc != 0 ? rc : put(w, "</BkToCstmrStmt>\n</Document>\n", err);
}
