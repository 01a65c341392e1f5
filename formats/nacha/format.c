/*
 * format.c -- the NACHA format adapter: ps_format_nacha turns the
 * reader's entries (reader.c) into records of kinds ach.entry,
 * ach.return, ach.noc and ach.unapplied (nacha.h lists their fields).
 *
 * The reader is opened on the first next() (or finish()), so that the
 * options() hook, called between open() and the first next(), can give
 * it the business's lenient options.  Values are text kept in this
 * state, valid until the next call; empty values are left out.
 *
 * How it fails: problems in the file do not stop next() (every entry is
 * delivered, so the pipeline's first pass sees them all); finish() then
 * fails with the first ERROR (WARNINGs alone pass, and are appended to
 * totals->options_used), and problems() lists them all.  A negative
 * next() only when the stream fails or the document is no NACHA at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/nacha/nacha.h"

struct nacha_state {
    struct ps_stream *in; /* borrowed: outlives the state */
    char docname[PS_ERR_FILE_MAX];
    unsigned lenient;
    struct ps_nacha_reader *r; /* opened by the first next() */
    struct ps_nacha_entry e;   /* the entry the record's values point into */
    long records;
    int64_t amount;
    /* text values of the current record */
    char tc[4], amount_s[24], request_id[64], refused[2];
    size_t key_len; /* request_id[0..key_len) is the file key and '-'; 0
                       until the first entry (the header is read then) */
    char corrected_account[18], corrected_routing[10], corrected_tc[3];
    char corrected_name[23], corrected_id[23];
};

static int bid(const unsigned char *peek, size_t len, const char *name)
{
    (void)name;
    if (len >= 40 && peek[0] == '1' && memcmp(peek + 34, "094", 3) == 0 &&
        memcmp(peek + 37, "10", 2) == 0 && peek[39] == '1' &&
        peek[1] >= '0' && peek[1] <= '9' && peek[2] >= '0' &&
        peek[2] <= '9')
        return 100; /* every fixed byte of a file header */
    /* A file without its header (lenient missing_file_header): a batch
     * header, less certain. */
    if (len >= PS_NACHA_RECORD && peek[0] == '5' &&
        (memcmp(peek + 1, "200", 3) == 0 || memcmp(peek + 1, "220", 3) == 0 ||
         memcmp(peek + 1, "225", 3) == 0) &&
        (len == PS_NACHA_RECORD || peek[PS_NACHA_RECORD] == '\n' ||
         peek[PS_NACHA_RECORD] == '\r' || peek[PS_NACHA_RECORD] == '6' ||
         peek[PS_NACHA_RECORD] == '8')) {
        for (int i = 50; i < 53; i++)
            if (peek[i] < 'A' || peek[i] > 'Z')
                return 0;
        return 50;
    }
    return 0;
}

enum ps_nacha_class ps_nacha_classify(const unsigned char *peek, size_t n)
{
    size_t rec = PS_NACHA_RECORD;
    if (bid(peek, n, "") <= 0)
        return PS_NACHA_CLASS_NONE;
    if (n > PS_NACHA_RECORD + 1 && peek[PS_NACHA_RECORD] == '\r')
        rec = PS_NACHA_RECORD + 2; /* CRLF */
    else if (n > PS_NACHA_RECORD && peek[PS_NACHA_RECORD] == '\n')
        rec = PS_NACHA_RECORD + 1;
    for (size_t at = 0; at + PS_NACHA_RECORD <= n; at += rec) {
        /* batch header: standard entry class code at bytes 51-53 */
        if (peek[at] == '5' && memcmp(peek + at + 50, "COR", 3) == 0)
            return PS_NACHA_CLASS_NOC;
        /* addenda: type code 99 is a return */
        if (peek[at] == '7' && memcmp(peek + at + 1, "99", 2) == 0)
            return PS_NACHA_CLASS_RETURNS;
    }
    return PS_NACHA_CLASS_ENTRIES;
}

static int open_(struct ps_stream *in, const char *docname, void **state,
                 struct ps_err *err)
{
    struct nacha_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    st->in = in;
    ps_strlcpy(st->docname, docname != NULL ? docname : "",
               sizeof(st->docname));
    *state = st;
    return 0;
}

static void close_(void *state)
{
    struct nacha_state *st = state;
    if (st == NULL)
        return;
    ps_nacha_reader_close(st->r);
    free(st);
}

static int options(void *state, const char *opts, struct ps_err *err)
{
    struct nacha_state *st = state;
    unsigned bits;
    int rc = ps_nacha_lenient_parse(opts, &bits, err);
    if (rc != 0)
        return rc;
    st->lenient = bits;
    return 0;
}

static int ensure_reader(struct nacha_state *st, struct ps_err *err)
{
    if (st->r != NULL)
        return 0;
    return ps_nacha_reader_open(st->in, st->docname, st->lenient, &st->r,
                                err);
}

static void add(struct ps_record *rec, const char *name, const char *value)
{
    if (value[0] != '\0')
        ps_record_field(rec, name, value);
}

/* s[at..at+n) of the corrected data (shorter when it was trimmed), with
 * the blanks around it dropped, into dst (n + 1 bytes). */
static void piece(char *dst, const char *s, size_t at, size_t n)
{
    size_t len = strlen(s);
    if (at >= len) {
        dst[0] = '\0';
        return;
    }
    if (at + n > len)
        n = len - at;
    s += at;
    while (n > 0 && s[n - 1] == ' ')
        n--;
    while (n > 0 && s[0] == ' ') {
        s++;
        n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The file key of nacha.h: "<origin>-<destination>-<YYMMDD><HHMM><FIM>",
 * at most 10 + 1 + 10 + 1 + 11 characters. */
static void file_key(const struct ps_nacha_file_info *fi, char *buf,
                     size_t size)
{
    const char *d = fi->creation_date; /* YYYY-MM-DD or "" */
    char yymmdd[7] = "";
    if (strlen(d) == 10)
        snprintf(yymmdd, sizeof(yymmdd), "%.2s%.2s%.2s", d + 2, d + 5, d + 8);
    snprintf(buf, size, "%s-%s-%s%s%c", fi->immediate_origin,
             fi->immediate_destination, yymmdd, fi->creation_time,
             fi->file_id_modifier != '\0' ? fi->file_id_modifier : '-');
}

static void noc_fields(struct nacha_state *st, struct ps_record *rec)
{
    const struct ps_nacha_entry *e = &st->e;
    const char *d = e->corrected_data;
    /* "C01".."C69" (the reader checked it; anything else is 0) */
    int code = e->code[0] == 'C' && e->code[1] >= '0' && e->code[1] <= '9' &&
                       e->code[2] >= '0' && e->code[2] <= '9'
                   ? (e->code[1] - '0') * 10 + (e->code[2] - '0')
                   : 0;
    st->corrected_account[0] = st->corrected_routing[0] = '\0';
    st->corrected_tc[0] = st->corrected_name[0] = st->corrected_id[0] = '\0';
    switch (code) {
    case 1:
        piece(st->corrected_account, d, 0, 17);
        break;
    case 2:
        piece(st->corrected_routing, d, 0, 9);
        break;
    case 3:
        piece(st->corrected_routing, d, 0, 9);
        piece(st->corrected_account, d, 12, 17);
        break;
    case 4:
        piece(st->corrected_name, d, 0, 22);
        break;
    case 5:
        piece(st->corrected_tc, d, 0, 2);
        break;
    case 6:
        piece(st->corrected_account, d, 0, 17);
        piece(st->corrected_tc, d, 20, 2);
        break;
    case 7:
        piece(st->corrected_routing, d, 0, 9);
        piece(st->corrected_account, d, 9, 17);
        piece(st->corrected_tc, d, 26, 2);
        break;
    case 9:
        piece(st->corrected_id, d, 0, 22);
        break;
    default:
        break;
    }
    st->refused[0] = code >= 61 && code <= 69 ? '1' : '0';
    st->refused[1] = '\0';
    rec->kind = "ach.noc";
    add(rec, "change_code", e->code);
    add(rec, "refused", st->refused);
    add(rec, "original_trace", e->original_trace);
    add(rec, "original_rdfi", e->original_rdfi);
    add(rec, "corrected_data", e->corrected_data);
    add(rec, "corrected_account", st->corrected_account);
    add(rec, "corrected_routing", st->corrected_routing);
    add(rec, "corrected_transaction_code", st->corrected_tc);
    add(rec, "corrected_name", st->corrected_name);
    add(rec, "corrected_id", st->corrected_id);
    add(rec, "trace", e->trace);
}

static int next(void *state, struct ps_record *rec, struct ps_err *err)
{
    struct nacha_state *st = state;
    struct ps_nacha_entry *e = &st->e;
    int rc = ensure_reader(st, err);
    if (rc != 0)
        return rc;
    if ((rc = ps_nacha_reader_next(st->r, e, err)) <= 0)
        return rc;
    ps_record_reset(rec);
    rec->line = e->line;
    rec->offset = e->offset;
    rec->reference = e->kind == PS_NACHA_RETURN || e->kind == PS_NACHA_NOC
                         ? e->original_trace
                         : e->trace;
    rec->key = NULL;
    /* Text by hand: snprintf per field was most of `payspool check`. */
    st->tc[0] = (char)('0' + e->transaction_code / 10 % 10);
    st->tc[1] = (char)('0' + e->transaction_code % 10);
    st->tc[2] = '\0';
    {
        char digits[24];
        size_t n = 0;
        uint64_t v = e->amount > 0 ? (uint64_t)e->amount : 0;
        do
            digits[n++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        for (size_t i = 0; i < n; i++)
            st->amount_s[i] = digits[n - 1 - i];
        st->amount_s[n] = '\0';
    }
    st->records++;
    st->amount += e->amount;
    switch (e->kind) {
    case PS_NACHA_ENTRY: {
        if (st->key_len == 0) {
            char key[48];
            file_key(ps_nacha_reader_info(st->r), key, sizeof(key));
            st->key_len = strlen(key) + 1;
            memcpy(st->request_id, key, st->key_len - 1);
            st->request_id[st->key_len - 1] = '-';
        }
        memcpy(st->request_id + st->key_len, e->trace, 16);
        rec->kind = "ach.entry";
        add(rec, "sec", e->sec);
        add(rec, "transaction_code", st->tc);
        add(rec, "direction", e->credit ? "CREDIT" : "DEBIT");
        add(rec, "prenote", e->prenote ? "1" : "0");
        add(rec, "rdfi", e->rdfi);
        add(rec, "account", e->account);
        add(rec, "amount", st->amount_s);
        add(rec, "individual_id", e->individual_id);
        add(rec, "individual_name", e->individual_name);
        add(rec, "trace", e->trace);
        add(rec, "effective_date", e->effective_date);
        add(rec, "company_id", e->company_id);
        add(rec, "company_name", e->company_name);
        add(rec, "entry_description", e->entry_description);
        add(rec, "payment_info", e->payment_info);
        add(rec, "request_id", st->request_id);
        break;
    }
    case PS_NACHA_RETURN:
        rec->kind = "ach.return";
        add(rec, "return_code", e->code);
        add(rec, "original_trace", e->original_trace);
        add(rec, "original_rdfi", e->original_rdfi);
        add(rec, "date_of_death", e->date_of_death);
        add(rec, "addenda_info", e->addenda_info);
        add(rec, "trace", e->trace);
        add(rec, "transaction_code", st->tc);
        add(rec, "amount", st->amount_s);
        add(rec, "individual_id", e->individual_id);
        add(rec, "return_trace", e->return_trace);
        add(rec, "return_settlement_date", e->return_settlement_date);
        add(rec, "return_reason", e->return_reason);
        add(rec, "dishonored_trace", e->dishonored_trace);
        add(rec, "dishonored_settlement_date", e->dishonored_settlement_date);
        add(rec, "dishonored_reason", e->dishonored_reason);
        add(rec, "original_settlement_date", e->original_settlement_date);
        add(rec, "date_returned", e->date_returned);
        break;
    case PS_NACHA_NOC:
        noc_fields(st, rec);
        break;
    case PS_NACHA_UNAPPLIED:
        rec->kind = "ach.unapplied";
        add(rec, "sec", e->sec);
        add(rec, "trace", e->trace);
        add(rec, "transaction_code", st->tc);
        add(rec, "amount", st->amount_s);
        break;
    }
    return 1;
}

static int finish(void *state, struct ps_doc_totals *totals,
                  struct ps_err *err)
{
    struct nacha_state *st = state;
    struct ps_nacha_file_info fi;
    int rc = ensure_reader(st, err);
    if (rc != 0)
        return rc;
    rc = ps_nacha_reader_finish(st->r, &fi, err);
    if (rc != 0 && rc != PS_EINVAL)
        return rc;
    totals->records = st->records;
    totals->amount = st->amount;
    ps_strlcpy(totals->currency, "USD", sizeof(totals->currency));
    ps_strlcpy(totals->key_kind, "nacha", sizeof(totals->key_kind));
    snprintf(totals->key, sizeof(totals->key), "%s|%s|%s|%s|%c",
             fi.immediate_origin, fi.immediate_destination, fi.creation_date,
             fi.creation_time,
             fi.file_id_modifier != '\0' ? fi.file_id_modifier : '-');
    ps_nacha_lenient_format(fi.lenient_used, totals->options_used,
                            sizeof(totals->options_used));
    if (fi.warnings > 0) {
        /* The warnings go with the file where its options go (the file's
         * row, the result trailer): "warnings=N:RULE,RULE". */
        size_t at = strlen(totals->options_used);
        snprintf(totals->options_used + at, sizeof(totals->options_used) - at,
                 "%swarnings=%ld:%s", at > 0 ? ";" : "", fi.warnings,
                 fi.warning_rules);
    }
    return rc;
}

static size_t problems(void *state, struct ps_doc_problem *out, size_t max,
                       long *total)
{
    struct nacha_state *st = state;
    const struct ps_doc_problem *list;
    if (st->r == NULL) {
        if (total != NULL)
            *total = 0;
        return 0;
    }
    size_t n = ps_nacha_reader_problems(st->r, &list, total);
    if (n > max)
        n = max;
    if (n > 0)
        memcpy(out, list, n * sizeof(*out));
    return n;
}

static int validate(void *state, struct ps_doc_totals *totals,
                    struct ps_err *err)
{
    struct nacha_state *st = state;
    int rc = ensure_reader(st, err);
    while (rc == 0 && (rc = ps_nacha_reader_next(st->r, &st->e, err)) > 0) {
        st->records++;
        st->amount += st->e.amount;
        rc = 0;
    }
    return rc < 0 ? rc : finish(state, totals, err);
}

const struct ps_format ps_format_nacha = {
    "nacha",
    "NACHA ACH file (PPD, CCD, WEB, TEL, CTX, IAT, ADV, returns, NOCs)",
    bid,
    open_,
    next,
    finish,
    close_,
    options,
    problems,
    validate,
    NULL,
};
