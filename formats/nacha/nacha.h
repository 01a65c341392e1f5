/*
 * nacha.h -- NACHA (ACH) files: the streaming reader and validator, the
 * writer, and the format-registry adapter (see README.md beside this file
 * for the record layouts, codes and sources).
 *
 * The reader holds one 94-byte record and one batch's running controls at
 * a time, never the file: memory is flat whatever the file's size.  It
 * goes on past a problem so that `payspool check` can list every one, each
 * structured (record type, field, line, byte offset, rule, and the return
 * reason code it corresponds to where there is one).  Each rule has a
 * severity (CONFORMANCE.md): a file with any ERROR left after the lenient
 * options is rejected whole; WARNINGs are listed and the file accepted
 * (PS_NACHA_STRICT makes them ERRORs).
 *
 * Lines are records: line N is the N-th 94-byte record, whether the file
 * has LF, CRLF or no line endings at all; offsets are bytes from the start
 * of the document.
 *
 * The writer takes entries and lays out a whole file: batches split by SEC
 * code, company, entry description and effective date, and again at the
 * count limit; service class codes, trace numbers, controls, entry hashes,
 * block count and 9-padding.  Every file it writes passes the reader.
 */
#ifndef PS_NACHA_H
#define PS_NACHA_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "formats/format.h"
#include "base/stream.h"

#define PS_NACHA_RECORD 94

/* ---- what a file holds ---------------------------------------------- */

/* What a NACHA file answers or asks for, judged from a peek. */
enum ps_nacha_class {
    PS_NACHA_CLASS_NONE,    /* not a NACHA file (the bid refused it) */
    PS_NACHA_CLASS_ENTRIES, /* entries: payments to make */
    PS_NACHA_CLASS_RETURNS, /* returns (addenda type 99) of earlier entries */
    PS_NACHA_CLASS_NOC      /* notifications of change (a COR batch) */
};

/*
 * Classify a NACHA file from the first bytes of it (peek, n bytes, at
 * most PS_FORMAT_PEEK are looked at by callers): the records in the peek
 * are read in order (LF, CRLF or no line endings, as the first record's
 * end says) and the first COR batch header (NOC) or return addenda
 * (RETURNS) decides; none of them in the peek is ENTRIES.  A cheap look,
 * not a validation: the reader judges the file when it is read.
 */
enum ps_nacha_class ps_nacha_classify(const unsigned char *peek, size_t n);

/* ---- lenient options ------------------------------------------------- */

/*
 * Per-business reading options (the lenient parsing moov-io/ach users ask
 * for most).  Each downgrades one rule from an error to a note recorded
 * in the result file's trailer.  Names are the configuration spelling.
 */
enum ps_nacha_lenient {
    PS_NACHA_LENIENT_CHECK_DIGIT = 1u << 0,    /* bad_check_digit */
    PS_NACHA_LENIENT_FILE_HEADER = 1u << 1,    /* missing_file_header */
    PS_NACHA_LENIENT_FILE_CONTROL = 1u << 2,   /* missing_file_control */
    PS_NACHA_LENIENT_ADDENDA_COUNT = 1u << 3,  /* unequal_addenda_counts */
    PS_NACHA_LENIENT_TRACE_ORDER = 1u << 4,    /* unordered_trace_numbers */
    PS_NACHA_LENIENT_BATCH_ORDER = 1u << 5,    /* unordered_batch_numbers */
    PS_NACHA_LENIENT_BLOCK_COUNT = 1u << 6,    /* wrong_block_count */
    PS_NACHA_LENIENT_SHORT_LINES = 1u << 7,    /* short_lines (space-pad) */
    /* Not lenient but the other way: every WARNING rule is an ERROR
     * (`payspool check --strict`, or `strict` in a business's list). */
    PS_NACHA_STRICT = 1u << 8,                 /* strict */
    PS_NACHA_LENIENT_ALL = (1u << 8) - 1,      /* every lenient option */
    PS_NACHA_OPTIONS_ALL = (1u << 9) - 1       /* and strict */
};

/* The severity of a NACHA rule (CONFORMANCE.md lists them): PS_DOC_ERROR
 * or PS_DOC_WARNING (format.h); ERROR for a name it does not know. */
int ps_nacha_rule_severity(const char *rule);

/* The configuration name of one option bit, or NULL. */
const char *ps_nacha_lenient_name(unsigned bit);
/*
 * Parse a list of option names separated by commas and/or blanks ("" is
 * none) into bits.  PS_EINVAL (rule NACHA_LENIENT_UNKNOWN) names the
 * unknown one.
 */
int ps_nacha_lenient_parse(const char *list, unsigned *bits,
                           struct ps_err *err);
/* The names of the set bits, comma-separated, into buf ("" for none). */
const char *ps_nacha_lenient_format(unsigned bits, char *buf, size_t size);

/* ---- the reader -------------------------------------------------------- */

/* A problem is a struct ps_doc_problem (format.h): rule, line, offset of
 * the field, field name, message, record type ('1'..'9', 0 for the
 * physical shape) and the return reason code it corresponds to ("R28" for
 * a bad check digit). */

enum ps_nacha_entry_kind {
    PS_NACHA_ENTRY,   /* a payment entry of PPD, CCD, WEB, TEL or CTX */
    PS_NACHA_RETURN,  /* an entry with addenda 99 (return, dishonored or
                         contested) */
    PS_NACHA_NOC,     /* an entry with addenda 98 (COR batch) */
    PS_NACHA_UNAPPLIED /* any other SEC code: read and validated
                          structurally, not applied by payspool */
};

/* One entry detail record with its batch and what its addenda carry. */
struct ps_nacha_entry {
    enum ps_nacha_entry_kind kind;
    long line;      /* record number of the 6 record */
    int64_t offset; /* its byte offset */
    /* the batch (5 record) */
    int service_class;         /* 200, 220, 225 */
    char sec[4];               /* "PPD", ... */
    char company_name[17];     /* trimmed */
    char company_id[11];       /* trimmed */
    char entry_description[11];/* trimmed */
    char effective_date[11];   /* YYYY-MM-DD ("" if blank) */
    char odfi[9];
    long batch_number;
    /* the entry (6 record) */
    int transaction_code;
    int credit;                /* 1 for credit codes, 0 for debit codes */
    int prenote;               /* 1 for prenotes and zero-dollar entries */
    char rdfi[10];             /* 9 digits, check digit included */
    char account[18];          /* trimmed; sensitive: never log it */
    int64_t amount;            /* cents */
    char individual_id[23];    /* trimmed (CIE/MTE: swapped per layout) */
    char individual_name[23];  /* trimmed */
    char discretionary[3];
    int addenda_indicator;
    char trace[16];            /* 15 digits */
    int addenda_count;         /* 7 records that followed */
    char payment_info[81];     /* the first addenda 05's text, trimmed */
    /* the addenda 99 (RETURN) or 98 (NOC) */
    char code[4];              /* "R01".., "C01".. */
    char original_trace[16];
    char original_rdfi[9];
    char date_of_death[11];    /* YYYY-MM-DD or "" (R14/R15) */
    char addenda_info[45];     /* trimmed */
    char corrected_data[30];   /* NOC, trimmed; sensitive */
    /* dishonored (R61, R62, R67-R70) and contested (R71-R77) returns */
    char return_trace[16];           /* the dishonored return's trace */
    char return_settlement_date[4];  /* Julian, 3 digits */
    char return_reason[3];           /* 2 digits of the original return */
    char dishonored_trace[16];       /* contested: the dishonor's trace */
    char dishonored_settlement_date[4];
    char dishonored_reason[3];
    char original_settlement_date[4];
    char date_returned[11];          /* contested: YYYY-MM-DD */
};

/* What the 1 and 9 records said, and what the lenient options did. */
struct ps_nacha_file_info {
    char immediate_destination[11]; /* as written, 10 characters, trimmed */
    char immediate_origin[11];
    char creation_date[11];         /* YYYY-MM-DD */
    char creation_time[5];          /* HHMM, "" if blank */
    char file_id_modifier;          /* 'A'..'Z', '0'..'9' */
    char destination_name[24], origin_name[24], reference_code[9];
    long batches, entries, addenda, records, blocks;
    int64_t total_debit, total_credit; /* cents */
    uint64_t entry_hash;
    unsigned lenient_used; /* the options that excused a problem */
    long warnings;         /* problems of severity WARNING (the file is
                              accepted with them) */
    char warning_rules[96]; /* their rules, comma-separated, "" if none */
};

struct ps_nacha_reader;

/*
 * Start reading `in` (which must outlive the reader).  lenient: the
 * PS_NACHA_LENIENT_* bits allowed.  docname names the document in errors.
 */
int ps_nacha_reader_open(struct ps_stream *in, const char *docname,
                         unsigned lenient, struct ps_nacha_reader **out,
                         struct ps_err *err);
/*
 * The next entry (with its addenda read): 1 and *e filled, 0 after the
 * last one.  Problems are collected, not returned; a negative PS_E* only
 * when reading itself failed (I/O, decompression limit) or the document
 * cannot be followed any further (e.g. it is not NACHA at all), err set.
 */
int ps_nacha_reader_next(struct ps_nacha_reader *r, struct ps_nacha_entry *e,
                         struct ps_err *err);
/*
 * After the last entry: check the file control and padding and fill
 * *info (info->warnings and warning_rules: the WARNINGs).  0 when the
 * file has no ERROR left, else PS_EINVAL with err set to the first error
 * (its message prefixed with the count when there are several).
 */
int ps_nacha_reader_finish(struct ps_nacha_reader *r,
                           struct ps_nacha_file_info *info,
                           struct ps_err *err);
/* What the file header said so far (valid once the first entry is
 * read; the counts are filled by finish()).  Borrowed from the reader. */
const struct ps_nacha_file_info *
ps_nacha_reader_info(const struct ps_nacha_reader *r);
/* Every problem found so far, ERRORs and WARNINGs (each one's severity
 * field), in file order (capped at PS_NACHA_PROBLEMS_MAX; *total counts
 * them all). */
#define PS_NACHA_PROBLEMS_MAX 1000
size_t ps_nacha_reader_problems(const struct ps_nacha_reader *r,
                                const struct ps_doc_problem **list,
                                long *total);
void ps_nacha_reader_close(struct ps_nacha_reader *r);

/* ABA routing number check digit of 8 digits ('0'..'9'), or -1. */
int ps_nacha_check_digit(const char *eight);

/* ---- the writer -------------------------------------------------------- */

struct ps_nacha_header {
    char immediate_destination[11]; /* 9-digit RTN (written " " + RTN) */
    char immediate_origin[11];      /* 9 or 10 characters */
    char creation_date[11];         /* YYYY-MM-DD */
    char creation_time[5];          /* HHMM */
    char file_id_modifier;          /* 'A'..'Z', '0'..'9' */
    char destination_name[24], origin_name[24], reference_code[9];
    long trace_start; /* the first entry's 7-digit trace sequence; 0 means
                         1.  An originator continues its sequence from file
                         to file, so a trace names one entry for good. */
};

struct ps_nacha_out {
    /* batch key: entries with equal keys share a batch */
    char sec[4];                /* PPD, CCD, WEB */
    char company_name[17];
    char company_id[11];
    char entry_description[11];
    char effective_date[11];    /* YYYY-MM-DD, a banking day */
    char odfi[9];               /* 8 digits */
    /* the entry */
    int transaction_code;       /* 22, 27, 32, 37, ... */
    char rdfi[10];              /* 9 digits, check digit included */
    char account[18];
    int64_t amount;             /* cents, 0..9999999999 */
    char individual_id[16];
    char individual_name[23];
    char discretionary[3];      /* WEB: "R" or "S" payment type */
    char payment_info[81];      /* "" for no addenda 05 */
    /*
     * The receiving side's answer to an earlier entry instead of a payment
     * (what an ODFI sends its originator; payspool's sandbox writes them):
     * 99 a return (transaction code 21/26/31/36, the original amount, in a
     * batch of the original SEC code), 98 a notification of change (SEC
     * COR, amount 0).  0 for a payment entry.
     */
    int addenda_type;
    char code[4];               /* R01.. or C01.. */
    char original_trace[16];
    char original_rdfi[9];      /* 8 digits */
    char date_of_death[11];     /* 99: YYYY-MM-DD (R14, R15) or "" */
    char addenda_info[45];      /* 99: free text */
    char corrected_data[30];    /* 98: as the change code lays it out */
    char trace[16];             /* written: filled in by ps_nacha_write */
    long line;                  /* written: record number of its 6 record */
    long batch_number;          /* written */
};

struct ps_nacha_write_totals {
    long batches, entries, addenda, records, blocks;
    int64_t total_debit, total_credit;
    uint64_t entry_hash;
};

/*
 * Lay out a whole file from n entries and hand its bytes to sink (lines
 * end with "\n"; the file is padded with 9s to a multiple of 10 records).
 * Entries are grouped into batches by their batch key in the order the
 * keys first appear, and in their own order within a batch; a batch is
 * split when its entry + addenda count would pass 999,999 (or
 * max_batch_entries when > 0).  Trace numbers are the ODFI's 8 digits and
 * a 7-digit sequence from h->trace_start (1 when 0) in file order; e[i].trace, .line and
 * .batch_number are filled in.  PS_EINVAL with the entry's index in
 * err->line when an entry cannot be written (bad routing number, amount
 * out of range, a transaction code the SEC code does not allow...).
 */
int ps_nacha_write(const struct ps_nacha_header *h, struct ps_nacha_out *e,
                   size_t n, long max_batch_entries,
                   int (*sink)(void *ctx, const char *buf, size_t len,
                               struct ps_err *err),
                   void *ctx, struct ps_nacha_write_totals *totals,
                   struct ps_err *err);

/* ---- the format adapter ------------------------------------------------ */

/*
 * ps_format_nacha (declared in format.h) turns entries into records of
 * these kinds; amounts are integer cents as text; dates YYYY-MM-DD.
 *
 *  "ach.entry"   an entry of PPD/CCD/WEB/TEL/CTX.  Fields: sec,
 *                transaction_code, direction (CREDIT|DEBIT), prenote (0|1),
 *                rdfi, account (sensitive), amount, individual_id,
 *                individual_name, trace, effective_date, company_id,
 *                company_name, entry_description, payment_info,
 *                request_id (the file key and the trace: unique per
 *                entry, as files are unique by key).
 *  "ach.return"  an addenda 99 entry.  Fields: return_code, original_trace,
 *                original_rdfi, date_of_death, addenda_info, trace,
 *                transaction_code, amount, individual_id, and for
 *                dishonored/contested returns return_trace,
 *                return_settlement_date, return_reason, dishonored_trace,
 *                dishonored_settlement_date, dishonored_reason,
 *                original_settlement_date, date_returned.
 *  "ach.noc"     an addenda 98 entry.  Fields: change_code, refused (0|1,
 *                C61-C69), original_trace, original_rdfi, corrected_data
 *                (sensitive), and as the code gives them corrected_account,
 *                corrected_routing, corrected_transaction_code,
 *                corrected_name, corrected_id; trace.
 *  "ach.unapplied" an entry of another SEC code.  Fields: sec, trace,
 *                transaction_code, amount.
 * reference is the trace (the original trace for returns and NOCs).
 * finish() reports the file key (key_kind "nacha": origin, destination,
 * creation date and time, File ID Modifier) in the totals, and the
 * lenient options that excused a problem in totals->options_used.  The
 * options() hook takes the business's lenient option names.
 */

#endif /* PS_NACHA_H */
