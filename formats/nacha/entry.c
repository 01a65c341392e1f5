/*
 * entry.c -- the NACHA reader's entries (reader_int.h): the entry detail
 * (6) record, its addenda (7) records, and the rules that need the whole
 * entry, checked against the batch the reader holds.  Entries are the
 * reader's hot path: every helper they use is inline in reader_int.h.
 *
 * How it fails: as reader.c: a broken rule is a problem in the reader's
 * list and the reading goes on; nothing here stops the reading.
 */
#include <stdio.h>
#include <string.h>

#include "formats/nacha/reader_int.h"

static int valid_tc(int tc)
{
    switch (tc) {
    case 21: case 22: case 23: case 24: case 26: case 27: case 28: case 29:
    case 31: case 32: case 33: case 34: case 36: case 37: case 38: case 39:
    case 41: case 42: case 43: case 44: case 45: case 46: case 47: case 48:
    case 49: case 51: case 52: case 53: case 54: case 55: case 56:
        return 1;
    default:
        return 0;
    }
}

/* Return and NOC codes: only for an entry with addenda 98 or 99. */
static int return_tc(int tc)
{
    return tc == 21 || tc == 26 || tc == 31 || tc == 36 || tc == 41 ||
           tc == 46 || tc == 51 || tc == 56;
}

/* The last trace number kept for the ODFI prefix of trace, or NULL when
 * the table is full (the order is then not checked for it). */
static struct ps_nacha_prefix_last *prefix_slot(struct ps_nacha_reader *r,
                                       uint64_t trace)
{
    uint64_t p = trace / 10000000u;
    if (r->nlast > 0 && r->last[r->lastk].prefix == p)
        return &r->last[r->lastk];
    for (size_t i = 0; i < r->nlast; i++)
        if (r->last[i].prefix == p) {
            r->lastk = i;
            return &r->last[i];
        }
    if (r->nlast == PREFIXES)
        return NULL;
    r->lastk = r->nlast++;
    r->last[r->lastk].prefix = p;
    r->last[r->lastk].trace = 0;
    return &r->last[r->lastk];
}

/*
 * An ADV entry detail (SEC ADV, automated accounting advices): its own
 * layout (moov-io/ach advEntryDetail.go): transaction code 81-88 (odd
 * credits, even debits), RDFI 04-11 and check digit 12, account 13-27,
 * amount 28-39 (12 digits), advice routing number 40-48, individual name
 * 55-76, addenda indicator 79, ACH operator routing 80-87, Julian day
 * 88-90, sequence 91-94 (kept as the entry's "trace"; not a trace
 * number, so no trace rule applies).
 */
static void adv_entry_detail(struct ps_nacha_reader *r,
                             struct ps_nacha_entry *e)
{
    const char *s = r->s;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    r->e_tc = -1;
    if (field_num(r, 2, 2, "transaction_code", "transaction code", "", &v) ==
        0) {
        if (v < 81 || v > 88) {
            PROB(r, 2, "transaction_code", "TRANSACTION_CODE", "R17",
                 "transaction code %02u is not an ADV code (81-88)",
                 (unsigned)v);
        } else {
            r->e_tc = (int)v;
            e->transaction_code = (int)v;
            e->credit = v % 2 == 1;
        }
    }
    memcpy(e->rdfi, s + 3, 9);
    e->rdfi[9] = '\0';
    if (field_num(r, 4, 8, "rdfi", "receiving DFI identification", "R13",
                  &v) == 0) {
        r->b_hash += v;
        if (s[11] < '0' || s[11] > '9')
            field_num(r, 12, 1, "rdfi_check_digit", "check digit", "R28", &v);
        else
            check_aba(r, 4, "rdfi_check_digit", "RDFI routing number");
    }
    copy_trim(e->account, s + 12, 15);
    if (e->account[0] == '\0')
        PROB(r, 13, "account", "MANDATORY_FIELD", "R26",
             "the DFI account number (positions 13-27) is blank");
    if (field_num(r, 28, 12, "amount", "amount", "R19", &v) == 0) {
        e->amount = (int64_t)v;
        if (e->credit)
            r->b_credit += e->amount;
        else
            r->b_debit += e->amount;
    }
    copy_trim(e->individual_name, s + 54, 22);
    e->individual_id[0] = '\0';
    memcpy(e->discretionary, s + 76, 2);
    e->discretionary[2] = '\0';
    r->e_indicator = s[78] == '0' ? 0 : s[78] == '1' ? 1 : -1;
    e->addenda_indicator = r->e_indicator;
    if (r->e_indicator < 0)
        PROB(r, 79, "addenda_indicator", "ADDENDA_INDICATOR", "R25",
             "the addenda record indicator must be 0 or 1, found %s",
             ps_quote(s + 78, 1, q, sizeof(q)));
    field_num(r, 88, 3, "julian_day", "Julian date day", "", &v);
    field_num(r, 91, 4, "sequence_number", "sequence number", "", &v);
    memcpy(e->trace, s + 79, 15);
    e->trace[15] = '\0';
    r->e_trace = 0;
}

/* The trace order: ascending within a batch (an ERROR, as moov-io/ach's
 * default isSequenceAscending), and across the file per ODFI prefix (a
 * WARNING, said once a batch: many originators restart in each batch). */
static void trace_order(struct ps_nacha_reader *r, const char *trace,
                        uint64_t v)
{
    struct ps_nacha_prefix_last *pl = prefix_slot(r, v);
    if (r->b_has_trace && v <= r->b_last_trace) {
        if (v == r->b_last_trace)
            PROB(r, 80, "trace", "TRACE_DUPLICATE", "R27",
                 "trace number %s is used twice in the batch", trace);
        else if (!excused(r, PS_NACHA_LENIENT_TRACE_ORDER))
            PROB(r, 80, "trace", "TRACE_ORDER", "R27",
                 "trace number %s follows %015llu: trace numbers must "
                 "ascend within a batch",
                 trace, (unsigned long long)r->b_last_trace);
    } else if (pl != NULL && v <= pl->trace && !r->b_order_said) {
        r->b_order_said = 1;
        if (v == pl->trace)
            PROB(r, 80, "trace", "TRACE_DUPLICATE_FILE", "R27",
                 "trace number %s was used in an earlier batch", trace);
        else
            PROB(r, 80, "trace", "TRACE_ORDER_FILE", "R27",
                 "trace number %s is below %015llu of an earlier batch: "
                 "numbering restarts",
                 trace, (unsigned long long)pl->trace);
    }
    if (pl != NULL && v > pl->trace)
        pl->trace = v;
    if (!r->b_has_trace || v > r->b_last_trace)
        r->b_last_trace = v;
    r->b_has_trace = 1;
}

/* An entry detail (6) record.  One long function (about 200 lines): one
 * check per field in record position order, as README.md lists them, on
 * the hot path where each field is parsed once (the eight-digit fast
 * path reads four fields at a time). */
void ps_nacha_entry_detail(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    const char *s = r->s;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (r->where == W_START)
        ps_nacha_no_header(r);
    if (r->where != W_BATCH && r->where != W_ENTRY)
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "an entry detail (6) outside a batch");
    r->where = W_ENTRY;
    /* The batch's fields from the template, the addenda's zeroed; every
     * entry field is written below.  (Cheaper than a whole-struct copy,
     * which showed in profiles.) */
    memcpy(&e->service_class, &r->tmpl.service_class,
           offsetof(struct ps_nacha_entry, transaction_code) -
               offsetof(struct ps_nacha_entry, service_class));
    /* What the addenda fill in starts empty: a NUL each (a memset of
     * them all showed in profiles; what follows a NUL is unspecified). */
    e->addenda_count = 0;
    e->payment_info[0] = '\0';
    e->code[0] = e->original_trace[0] = e->original_rdfi[0] = '\0';
    e->date_of_death[0] = e->addenda_info[0] = e->corrected_data[0] = '\0';
    e->return_trace[0] = e->return_settlement_date[0] = '\0';
    e->return_reason[0] = e->dishonored_trace[0] = '\0';
    e->dishonored_settlement_date[0] = e->dishonored_reason[0] = '\0';
    e->original_settlement_date[0] = e->date_returned[0] = '\0';
    e->transaction_code = 0;
    e->credit = e->prenote = 0;
    e->amount = 0;
    e->kind = r->sec_kind == SEC_COR ? PS_NACHA_NOC
              : applied(r->sec_kind) ? PS_NACHA_ENTRY
                                     : PS_NACHA_UNAPPLIED;
    e->line = r->line;
    e->offset = r->roff;
    r->in_entry = 1;
    r->e_line = r->line;
    r->e_off = r->roff;
    r->e_05 = r->e_98 = r->e_99 = 0;
    r->e_ctx_count = -1;
    r->e_iat_next = 0;
    r->e_iat_17 = r->e_iat_18 = 0;
    r->b_count++;
    r->f_entries++;
    if (r->sec_kind == SEC_ADV) {
        adv_entry_detail(r, e);
        return;
    }

    /* The numbers: 36 digits, read eight at a time when all are digits
     * (nearly always); else field by field, each bad one a problem. */
    uint64_t tcv = 0, rdfiv = 0, amtv = 0, tracev = 0;
    int tc_ok, rdfi_ok, amt_ok, trace_ok, fast = 0;
#if SWAR
    {
        uint64_t w1, w2, w3, w4;
        unsigned t0 = (unsigned)(unsigned char)s[1] - '0',
                 t1 = (unsigned)(unsigned char)s[2] - '0',
                 a0 = (unsigned)(unsigned char)s[29] - '0',
                 a1 = (unsigned)(unsigned char)s[30] - '0';
        memcpy(&w1, s + 3, 8);  /* RDFI */
        memcpy(&w2, s + 31, 8); /* amount, past its first 2 */
        memcpy(&w3, s + 79, 8); /* trace: 8, then 7 (overlapping) */
        memcpy(&w4, s + 86, 8);
        fast = eight_digits(w1) & eight_digits(w2) & eight_digits(w3) &
               eight_digits(w4) & (t0 <= 9) & (t1 <= 9) & (a0 <= 9) &
               (a1 <= 9);
        if (fast) {
            tcv = t0 * 10 + t1;
            rdfiv = eight_value(w1);
            amtv = (a0 * 10 + a1) * UINT64_C(100000000) + eight_value(w2);
            tracev = eight_value(w3) * 10000000u + eight_value(w4) % 10000000u;
        }
    }
#endif
    if (fast) {
        tc_ok = rdfi_ok = amt_ok = trace_ok = 1;
    } else {
        tc_ok = field_num(r, 2, 2, "transaction_code", "transaction code", "",
                          &tcv) == 0;
        rdfi_ok = field_num(r, 4, 8, "rdfi", "receiving DFI identification",
                            "R13", &rdfiv) == 0;
        amt_ok = field_num(r, 30, 10, "amount", "amount", "R19", &amtv) == 0;
        trace_ok = field_num(r, 80, 15, "trace", "trace number", "R27",
                             &tracev) == 0;
    }

    r->e_tc = -1;
    if (tc_ok) {
        int tc = (int)tcv;
        if (!valid_tc(tc)) {
            PROB(r, 2, "transaction_code", "TRANSACTION_CODE", "R17",
                 "transaction code %02d is not valid", tc);
        } else {
            r->e_tc = tc;
            e->transaction_code = tc;
            e->credit = tc % 10 >= 1 && tc % 10 <= 4;
            e->prenote = tc % 10 == 3 || tc % 10 == 8 || tc % 10 == 4 ||
                         tc % 10 == 9;
            if ((r->scc == 220 && !e->credit) ||
                (r->scc == 225 && e->credit))
                PROB(r, 2, "transaction_code", "SCC_TRANSACTION_CODE", "R17",
                     "a %s transaction code (%02d) in a batch of service "
                     "class %d (%s only)",
                     e->credit ? "credit" : "debit", tc, r->scc,
                     r->scc == 220 ? "credits" : "debits");
            if (r->sec_kind == SEC_TEL && e->credit && !return_tc(tc))
                PROB(r, 2, "transaction_code", "SEC_TRANSACTION_CODE", "R17",
                     "TEL entries are debits only, found credit code %02d",
                     tc);
        }
    }
    memcpy(e->rdfi, s + 3, 9);
    e->rdfi[9] = '\0';
    if (rdfi_ok) {
        r->b_hash += rdfiv;
        if (s[11] < '0' || s[11] > '9')
            field_num(r, 12, 1, "rdfi_check_digit", "check digit", "R28",
                      &v);
        else
            check_aba(r, 4, "rdfi_check_digit", "RDFI routing number");
    }
    int iat = r->sec_kind == SEC_IAT;
    if (!iat) {
        copy_trim(e->account, s + 12, 17);
        if (e->account[0] == '\0')
            PROB(r, 13, "account", "MANDATORY_FIELD", "R26",
                 "the DFI account number (positions 13-29) is blank");
    }
    int64_t amount = 0;
    if (amt_ok) {
        amount = (int64_t)amtv;
        e->amount = amount;
        if (r->e_tc >= 0 && e->prenote && amount != 0)
            PROB(r, 30, "amount", "PRENOTE_AMOUNT", "R19",
                 "a %s entry (transaction code %02d) must be $0, found %lld "
                 "cents",
                 r->e_tc % 10 == 3 || r->e_tc % 10 == 8 ? "prenote" : "zero-dollar", r->e_tc,
                 (long long)amount);
        if (r->sec_kind == SEC_COR && amount != 0)
            PROB(r, 30, "amount", "NOC_AMOUNT", "R19",
                 "a notification of change must be $0, found %lld cents",
                 (long long)amount);
        if (e->credit)
            r->b_credit += amount;
        else
            r->b_debit += amount;
    }
    if (iat) {
        /* IAT: 13-16 the number of addenda, 40-74 the foreign receiver's
         * account (mandatory; not kept). */
        memset(e->account, 0, sizeof(e->account));
        memset(e->individual_id, 0, sizeof(e->individual_id));
        memset(e->individual_name, 0, sizeof(e->individual_name));
        if (field_num(r, 13, 4, "addenda_count", "number of addenda records",
                      "R25", &v) == 0)
            r->e_ctx_count = (long)v;
        if (blank(s + 39, 35))
            PROB(r, 40, "account", "MANDATORY_FIELD", "R26",
                 "the foreign receiver's account number (positions 40-74) "
                 "is blank");
    } else if (r->sec_kind == SEC_CIE) {
        copy_trim(e->individual_name, s + 39, 15);
        copy_trim(e->individual_id, s + 54, 22);
    } else if (r->sec_kind == SEC_CTX) {
        copy_trim(e->individual_id, s + 39, 15);
        copy_trim(e->individual_name, s + 58, 16);
        r->e_ctx_count = num(s + 54, 4, &v) == 0 ? (long)v : -1;
        if (r->e_ctx_count < 0)
            field_num(r, 55, 4, "addenda_count", "number of addenda records",
                      "R25", &v);
    } else {
        copy_trim(e->individual_id, s + 39, 15);
        copy_trim(e->individual_name, s + 54, 22);
        /* TEL: the receiver's name is mandatory (moov-io/ach batchTEL). */
        if (r->sec_kind == SEC_TEL && e->individual_name[0] == '\0')
            PROB(r, 55, "individual_name", "MANDATORY_FIELD", "R26",
                 "a TEL entry's individual name (positions 55-76) is blank");
    }
    memcpy(e->discretionary, s + 76, 2);
    e->discretionary[2] = '\0';
    if (r->sec_kind == SEC_WEB && (s[76] != 'R' && s[76] != 'S') &&
        !(r->e_tc >= 0 && return_tc(r->e_tc))) {
        if (s[76] == ' ')
            PROB(r, 77, "payment_type", "WEB_PAYMENT_TYPE_BLANK", "R17",
                 "a WEB entry's payment type (position 77) is blank, R or "
                 "S expected");
        else
            PROB(r, 77, "payment_type", "WEB_PAYMENT_TYPE", "R17",
                 "a WEB entry's payment type (position 77) must be R or S, "
                 "found %s",
                 ps_quote(s + 76, 1, q, sizeof(q)));
    }
    r->e_indicator = s[78] == '0' ? 0 : s[78] == '1' ? 1 : -1;
    e->addenda_indicator = r->e_indicator;
    if (r->e_indicator < 0)
        PROB(r, 79, "addenda_indicator", "ADDENDA_INDICATOR", "R25",
             "the addenda record indicator must be 0 or 1, found %s",
             ps_quote(s + 78, 1, q, sizeof(q)));
    memcpy(e->trace, s + 79, 15);
    e->trace[15] = '\0';
    r->e_trace = 0;
    if (trace_ok) {
        r->e_trace = tracev;
        trace_order(r, e->trace, tracev);
    }
}

static int valid_return_code(int n)
{
    return (n >= 1 && n <= 47) || (n >= 50 && n <= 53) || n == 61 ||
           n == 62 || (n >= 67 && n <= 77) || (n >= 80 && n <= 85);
}

static int valid_change_code(int n)
{
    return (n >= 1 && n <= 9) || n == 13 || n == 14 || (n >= 61 && n <= 69);
}

/* The addenda 98's corrected data, per its change code. */
static void corrected_data(struct ps_nacha_reader *r, int code)
{
    const char *d = r->s + 35; /* 29 bytes */
    uint64_t v;
    int rtn = -1, acct = -1, tc = -1, text = 0;
    switch (code) {
    case 1: acct = 0; break;
    case 2: rtn = 0; break;
    case 3: rtn = 0; acct = 12; break;
    case 4: case 9: text = 1; break;
    case 5: tc = 0; break;
    case 6: acct = 0; tc = 20; break;
    case 7: rtn = 0; acct = 9; tc = 26; break;
    default: break;
    }
    if (text && blank(d, 22))
        PROB(r, 36, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs the corrected data (positions 36-57)",
             code);
    if (acct >= 0 && blank(d + acct, 17))
        PROB(r, 36 + acct, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs the corrected account number at "
             "positions %d-%d",
             code, 36 + acct, 52 + acct);
    if (rtn >= 0) {
        if (num(d, 9, &v) != 0)
            PROB(r, 36, "corrected_data", "CORRECTED_DATA", "",
                 "change code C%02d needs a 9-digit routing number at "
                 "positions 36-44",
                 code);
        else
            check_aba(r, 36, "corrected_data", "the corrected routing number");
    }
    if (tc >= 0 && (num(d + tc, 2, &v) != 0 || !valid_tc((int)v)))
        PROB(r, 36 + tc, "corrected_data", "CORRECTED_DATA", "",
             "change code C%02d needs a valid transaction code at positions "
             "%d-%d",
             code, 36 + tc, 37 + tc);
}

/*
 * An IAT addenda 10-18: the seven mandatory ones (10 to 16) once each
 * (in any order, as moov-io/ach reads them), at most two 17s and five
 * 18s; each one's entry detail sequence (88-94) is the last 7 digits of
 * its entry's trace.  r->e_iat_next holds the bits of 10..16 seen.
 */
static void iat_addenda(struct ps_nacha_reader *r, struct ps_nacha_entry *e,
                        int type)
{
    const char *s = r->s;
    uint64_t v;
    if (type <= 16) {
        int bit = 1 << (type - 10);
        if (r->e_iat_next & bit)
            PROB(r, 2, "addenda_type", "IAT_ADDENDA", "R25",
                 "a second IAT addenda %02d for the entry", type);
        r->e_iat_next |= bit;
    } else if ((type == 17 && ++r->e_iat_17 > 2) ||
               (type == 18 && ++r->e_iat_18 > 5)) {
        PROB(r, 2, "addenda_type", "ADDENDA_COUNT", "R25",
             "an IAT entry takes at most %s", type == 17 ? "two addenda 17"
                                                         : "five addenda 18");
    }
    if (field_num(r, 88, 7, "entry_sequence", "entry detail sequence number",
                  "R25", &v) == 0 &&
        memcmp(s + 87, e->trace + 8, 7) != 0)
        PROB(r, 88, "entry_sequence", "ADDENDA_ENTRY_SEQUENCE", "R25",
             "entry detail sequence number %.7s should be %s, the last 7 "
             "digits of the trace",
             s + 87, e->trace + 8);
}

/* An addenda (7) record of the entry being read.  Long (about 155
 * lines): the checks of the three addenda types (05, 98, 99) in
 * position order, sharing the entry state they update. */
void ps_nacha_addenda(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    const char *s = r->s;
    uint64_t v;
    char q[PS_QUOTE_MAX * 4 + 4];

    if (!r->in_entry) {
        if (r->where == W_START)
            ps_nacha_no_header(r);
        PROB(r, 1, "record_type", "RECORD_ORDER", "R17",
             "an addenda (7) that follows no entry detail (6)");
        return;
    }
    r->b_count++;
    r->f_addenda++;
    e->addenda_count++;
    if (num(s + 1, 2, &v) != 0) {
        field_num(r, 2, 2, "addenda_type", "addenda type code", "R25", &v);
        return;
    }
    int type = (int)v;
    if (type == 5) {
        r->e_05++;
        if (r->sec_kind == SEC_TEL || r->sec_kind == SEC_COR)
            PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
                 "%s entries take no addenda 05", e->sec);
        else if (r->e_05 == 2 &&
                 (r->sec_kind == SEC_PPD || r->sec_kind == SEC_CCD ||
                  r->sec_kind == SEC_WEB) &&
                 !excused(r, PS_NACHA_LENIENT_ADDENDA_COUNT))
            PROB(r, 1, "record_type", "ADDENDA_COUNT", "R25",
                 "a %s entry takes at most one addenda 05", e->sec);
        if (r->e_05 == 1)
            copy_trim(e->payment_info, s + 3, 80);
        /* The two sequences are conventions (WARNINGs), left blank by
         * some originators: blank is warned, not a NON_NUMERIC error. */
        if (blank(s + 83, 4))
            PROB(r, 84, "addenda_sequence", "ADDENDA_SEQUENCE", "R25",
                 "addenda sequence number is blank, should be %04ld",
                 r->e_05);
        else if (field_num(r, 84, 4, "addenda_sequence",
                           "addenda sequence number", "R25", &v) == 0 &&
                 (long)v != r->e_05)
            PROB(r, 84, "addenda_sequence", "ADDENDA_SEQUENCE", "R25",
                 "addenda sequence number %04u should be %04ld",
                 (unsigned)v, r->e_05);
        if (blank(s + 87, 7))
            PROB(r, 88, "entry_sequence", "ADDENDA_ENTRY_SEQUENCE", "R25",
                 "entry detail sequence number is blank, should be %s",
                 e->trace + 8);
        else if (field_num(r, 88, 7, "entry_sequence",
                           "entry detail sequence number", "R25", &v) == 0 &&
                 memcmp(s + 87, e->trace + 8, 7) != 0)
            PROB(r, 88, "entry_sequence", "ADDENDA_ENTRY_SEQUENCE", "R25",
                 "entry detail sequence number %.7s should be %s, the last 7 "
                 "digits of the trace",
                 s + 87, e->trace + 8);
        return;
    }
    if (type >= 10 && type <= 18 && r->sec_kind == SEC_IAT) {
        iat_addenda(r, e, type);
        return;
    }
    if (type != 98 && type != 99) {
        /* 02 (POS, SHR, MTE) and 10-18 (IAT): counted, not read. */
        if (applied(r->sec_kind))
            PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
                 "addenda type %02d is not allowed in a %s batch", type,
                 e->sec);
        return;
    }
    /* 98 and 99: the code, the original trace and RDFI, the trace. */
    if (type == 98)
        r->e_98++;
    else
        r->e_99++;
    if (r->e_98 + r->e_99 > 1) {
        PROB(r, 2, "addenda_type", "ADDENDA_COUNT", "R25",
             "an entry takes one addenda 98 or 99");
        return;
    }
    if (type == 98 && r->sec_kind != SEC_COR)
        PROB(r, 2, "addenda_type", "ADDENDA_TYPE", "R25",
             "an addenda 98 (notification of change) belongs in a COR "
             "batch, not %s",
             e->sec);
    if (type == 99) {
        e->kind = PS_NACHA_RETURN;
        r->batch_returns = 1;
    }
    int code = -1;
    put(e->code, s + 3, 3);
    if (s[3] == (type == 98 ? 'C' : 'R') && num(s + 4, 2, &v) == 0 &&
        (type == 98 ? valid_change_code((int)v) : valid_return_code((int)v)))
        code = (int)v;
    else if (type == 98)
        PROB(r, 4, "change_code", "CHANGE_CODE", "",
             "change code %s is not C01-C09, C13, C14 or C61-C69",
             ps_quote(s + 3, 3, q, sizeof(q)));
    else
        PROB(r, 4, "return_code", "RETURN_CODE", "",
             "return reason code %s is not one NACHA defines",
             ps_quote(s + 3, 3, q, sizeof(q)));
    if (field_num(r, 7, 15, "original_trace", "original trace number", "R27",
                  &v) == 0)
        put(e->original_trace, s + 6, 15);
    if (field_num(r, 28, 8, "original_rdfi", "original receiving DFI", "R13",
                  &v) == 0)
        put(e->original_rdfi, s + 27, 8);
    if (memcmp(s + 79, e->trace, 15) != 0)
        PROB(r, 80, "trace", "ADDENDA_TRACE", "R27",
             "the addenda's trace number %.15s should be its entry's, %s",
             s + 79, e->trace);
    if (type == 98) {
        copy_rtrim(e->corrected_data, s + 35, 29);
        if (code >= 0 && code < 61)
            corrected_data(r, code);
        if (code >= 61) {
            /* Refused: the refused change code at 65-67. */
            copy_trim(e->addenda_info, s + 64, 15);
        }
        return;
    }
    int dishonored = code == 61 || code == 62 || (code >= 67 && code <= 70);
    int contested = code >= 71 && code <= 77;
    if (!dishonored && !contested) {
        if (code == 14 || code == 15) {
            if (!blank(s + 21, 6) && ymd(s + 21, e->date_of_death) != 0)
                PROB(r, 22, "date_of_death", "RETURN_DATE", "",
                     "the date of death %s is not a valid YYMMDD date",
                     ps_quote(s + 21, 6, q, sizeof(q)));
        }
        copy_trim(e->addenda_info, s + 35, 44);
        return;
    }
    /* Dishonored (and contested, which adds to it) returns. */
    if (field_num(r, 39, 15, "return_trace", "return trace number", "R27",
                  &v) == 0)
        put(e->return_trace, s + 38, 15);
    if (!blank(s + 53, 3) &&
        field_num(r, 54, 3, "return_settlement_date",
                  "return settlement date", "", &v) == 0)
        put(e->return_settlement_date, s + 53, 3);
    if (field_num(r, 57, 2, "return_reason", "return reason code", "", &v) ==
        0)
        put(e->return_reason, s + 56, 2);
    if (!contested) {
        copy_trim(e->addenda_info, s + 58, 21);
        return;
    }
    if (blank(s + 21, 6))
        PROB(r, 22, "date_returned", "RETURN_DATE_BLANK", "",
             "the date the return was made (positions 22-27) is blank");
    else if (ymd(s + 21, e->date_returned) != 0)
        PROB(r, 22, "date_returned", "RETURN_DATE", "",
             "the date the return was made %s is not a valid YYMMDD date",
             ps_quote(s + 21, 6, q, sizeof(q)));
    if (!blank(s + 35, 3) &&
        field_num(r, 36, 3, "original_settlement_date",
                  "original settlement date", "", &v) == 0)
        put(e->original_settlement_date, s + 35, 3);
    if (field_num(r, 59, 15, "dishonored_trace", "dishonored return trace",
                  "R27", &v) == 0)
        put(e->dishonored_trace, s + 58, 15);
    if (!blank(s + 73, 3) &&
        field_num(r, 74, 3, "dishonored_settlement_date",
                  "dishonored return settlement date", "", &v) == 0)
        put(e->dishonored_settlement_date, s + 73, 3);
    if (field_num(r, 77, 2, "dishonored_reason", "dishonored return reason",
                  "", &v) == 0)
        put(e->dishonored_reason, s + 76, 2);
}

/* The entry's addenda are all read: the rules that needed them. */
void ps_nacha_entry_end(struct ps_nacha_reader *r, struct ps_nacha_entry *e)
{
    long n = e->addenda_count;
    r->in_entry = 0;
    if (r->e_indicator >= 0 && (n > 0) != (r->e_indicator == 1))
        ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 79,
                            "addenda_indicator", "ADDENDA_INDICATOR", "R25",
                            "the addenda record indicator is %d but %ld "
                            "addenda follow",
                            r->e_indicator, n);
    if (r->sec_kind == SEC_CTX && r->e_ctx_count >= 0 &&
        r->e_ctx_count != r->e_05 &&
        !excused(r, PS_NACHA_LENIENT_ADDENDA_COUNT))
        ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 55, "addenda_count",
                            "ADDENDA_COUNT", "R25",
                            "the CTX entry says %ld addenda records, %ld "
                            "follow",
                            r->e_ctx_count, r->e_05);
    if (r->sec_kind == SEC_IAT && r->e_98 + r->e_99 == 0) {
        for (int t = 10; t <= 16; t++)
            if ((r->e_iat_next & (1 << (t - 10))) == 0) {
                ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 79,
                                    "addenda_indicator", "IAT_ADDENDA", "R25",
                                    "the IAT entry lacks its mandatory "
                                    "addenda %02d (10 to 16 are required)",
                                    t);
                break;
            }
        if (r->e_ctx_count >= 0 && r->e_ctx_count != n &&
            !excused(r, PS_NACHA_LENIENT_ADDENDA_COUNT))
            ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 13,
                                "addenda_count", "ADDENDA_COUNT", "R25",
                                "the IAT entry says %ld addenda records, %ld "
                                "follow",
                                r->e_ctx_count, n);
    }
    if (r->sec_kind == SEC_COR && r->e_98 == 0)
        ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 79,
                            "addenda_indicator", "ADDENDA_TYPE", "R25",
                            "a COR entry needs an addenda 98");
    if (r->e_tc >= 0 && return_tc(r->e_tc) && r->e_98 + r->e_99 == 0)
        ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 2, "transaction_code",
                            "TRANSACTION_CODE", "R17",
                            "transaction code %02d is for returns and "
                            "notifications of change only",
                            r->e_tc);
    if (r->sec_kind == SEC_COR && r->e_tc >= 0 && !return_tc(r->e_tc))
        ps_nacha_problem_at(r, r->e_line, r->e_off, '6', 2, "transaction_code",
                            "TRANSACTION_CODE", "R17",
                            "a notification of change needs transaction "
                            "code 21, 26, 31 or 36, found %02d",
                            r->e_tc);
}
