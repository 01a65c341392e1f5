/*
 * iso20022.h -- the ISO 20022 writers: pain.002.001.11 (Customer Payment
 * Status Report, the result of a pain.001) and camt.054.001.08 (Bank to
 * Customer Debit Credit Notification).  They write text through a sink
 * and stream: each transaction is written as it is given, nothing is
 * kept.  They never touch the spool or the clock: the caller gives the
 * message id and creation time and owns the output.
 *
 * How they fail: the sink's error is returned as it is.
 */
#ifndef PS_ISO20022_H
#define PS_ISO20022_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Where a writer's bytes go: 0, or a negative PS_E* with err. */
struct ps_iso_sink {
    int (*write)(void *ctx, const char *buf, size_t n, struct ps_err *err);
    void *ctx;
};

/* The group part of a pain.002. */
struct ps_iso_pain002 {
    const char *msg_id;       /* this report's MsgId (Max35Text) */
    const char *cre_dt_tm;    /* ISODateTime, e.g. 2026-12-04T10:00:00Z */
    const char *orgnl_msg_id; /* the pain.001's MsgId */
    const char *orgnl_msg_nm_id; /* "pain.001.001.09" */
    long orgnl_nb_of_txs; /* negative: not written (a later report) */
    const char *grp_sts; /* ACCP, PART, RJCT, or NULL: not written */
    const char *grp_rsn; /* an ISO reason code for a rejected group, or NULL */
    const char *grp_info; /* payspool's code and message, or NULL */
};

/* One transaction's status. */
struct ps_iso_txsts {
    const char *pmt_inf_id; /* OrgnlPmtInfId */
    const char *end_to_end_id;
    const char *tx_sts; /* ACCP, RJCT, ACSC, PDNG */
    const char *rsn;    /* ISO reason code (AC01...), NULL when none */
    const char *info;   /* AddtlInf: payspool's code and message, or NULL */
    const char *rsn_prtry; /* Rsn/Prtry instead of Cd (a NACHA R-code such
                            * as R01), or NULL */
};

struct ps_iso_writer {
    struct ps_iso_sink sink;
    char pmtinf[144]; /* the open OrgnlPmtInfAndSts, "" when none */
    int open_block;
};

/*
 * The group header of the pain.001 being read by the iso20022 format
 * (`state` from its open()): its MsgId and message name
 * ("pain.001.001.09"), each NULL when not read (yet).  Borrowed until the
 * reader is closed.  For a status report of a document refused whole.
 */
int ps_iso_pain001_msg(void *state, const char **msg_id,
                       const char **msg_nm_id);

/* The ISO external status reason code for one of payspool's error codes
 * (base/codes.h names); "MS03" (not specified) when none fits better. */
const char *ps_iso_reason(const char *code);

/* The ISO external status reason code for a card processor's ISO 8583
 * response code ("51" -> AM04, "54" -> AC04, "05" -> NULL: none fits
 * better than MS03), NULL for a code not listed. */
const char *ps_iso_card_reason(const char *resp);

/* The ISO code for the free reason of a status change
 * (transaction_history.reason): a provider's answer "provider DECLINED
 * 51: insufficient funds" by its response code, a reason led by one of
 * payspool's codes ("INSUFFICIENT_FUNDS: ...") by ps_iso_reason(), else
 * by the words of the message ("expired", "stolen"...); "MS03" when none
 * fits. */
const char *ps_iso_reason_text(const char *reason);

int ps_iso_pain002_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const struct ps_iso_pain002 *g, struct ps_err *err);
/* Transactions in document order: consecutive ones of the same PmtInfId
 * share an OrgnlPmtInfAndSts. */
int ps_iso_pain002_tx(struct ps_iso_writer *w, const struct ps_iso_txsts *t,
                      struct ps_err *err);
int ps_iso_pain002_end(struct ps_iso_writer *w, struct ps_err *err);

/* The notification part of a camt.054. */
struct ps_iso_camt054 {
    const char *msg_id, *cre_dt_tm; /* this message */
    const char *ntfctn_id;          /* Ntfctn/Id */
    const char *acct_id;            /* the business's account (Othr/Id) */
    const char *ccy;                /* Acct/Ccy, or NULL */
};

/* One entry: a settled, declined or returned transaction. */
struct ps_iso_entry {
    int64_t amount;    /* minor units */
    const char *ccy;   /* ISO 4217 */
    int credit;        /* 1 CRDT, 0 DBIT */
    int reversal;      /* RvslInd: a return */
    const char *sts;   /* BOOK, PDNG, INFO */
    const char *date;  /* BookgDt and ValDt, ISODate */
    const char *ntry_ref;
    const char *msg_id, *pmt_inf_id, *end_to_end_id; /* Refs */
    const char *rtr_rsn; /* RtrInf/Rsn/Prtry (R01...), NULL when none */
    const char *info;    /* AddtlNtryInf, or NULL */
    const char *rtr_cd;  /* RtrInf/Rsn/Cd (an ISO code) when no rtr_rsn */
    const char *rtr_info; /* RtrInf/AddtlInf (the reason's text), or NULL;
                           * RtrInf also names the original bank
                           * transaction code (PAYMENT) of a reversal */
};

int ps_iso_camt054_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const struct ps_iso_camt054 *n, struct ps_err *err);
int ps_iso_camt054_entry(struct ps_iso_writer *w, const struct ps_iso_entry *e,
                         struct ps_err *err);
int ps_iso_camt054_end(struct ps_iso_writer *w, struct ps_err *err);

/*
 * camt.053.001.08 (BkToCstmrStmt), an end-of-day statement: the group
 * header; then per account a statement (stmt(): n as a camt.054's, with
 * ntfctn_id its Stmt/Id), its balances (type OPBD or CLBD; balance
 * signed in minor units: >= 0 CRDT, < 0 DBIT with its magnitude), then
 * its entries (a ReportEntry10 as in camt.054; empty references are left
 * out); end() closes the last statement.
 */
int ps_iso_camt053_begin(struct ps_iso_writer *w, struct ps_iso_sink sink,
                         const char *msg_id, const char *cre_dt_tm,
                         struct ps_err *err);
int ps_iso_camt053_stmt(struct ps_iso_writer *w, const struct ps_iso_camt054 *n,
                        struct ps_err *err);
int ps_iso_camt053_balance(struct ps_iso_writer *w, const char *type,
                           int64_t balance, const char *ccy, const char *date,
                           struct ps_err *err);
int ps_iso_camt053_entry(struct ps_iso_writer *w, const struct ps_iso_entry *e,
                         struct ps_err *err);
int ps_iso_camt053_end(struct ps_iso_writer *w, struct ps_err *err);

#endif /* PS_ISO20022_H */
