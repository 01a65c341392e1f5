/*
 * iso_int.h -- private to formats/iso20022: the schema tables the reader
 * walks (schema.c) and the reader's own types.
 */
#ifndef PS_ISO_INT_H
#define PS_ISO_INT_H

#include <stddef.h>

/* The type of an element's text, as the schema restricts it. */
enum iso_text {
    ISO_T_NONE,     /* no text: an element of elements */
    ISO_T_MAX35,    /* Max35Text: 1..35 characters */
    ISO_T_MAX140,   /* Max140Text: 1..140 characters */
    ISO_T_DATE,     /* ISODate YYYY-MM-DD */
    ISO_T_DATETIME, /* ISODateTime YYYY-MM-DDThh:mm:ss[.f][zone] */
    ISO_T_NBTXS,    /* Max15NumericText [0-9]{1,15} */
    ISO_T_DECIMAL,  /* DecimalNumber: 18 digits, 17 fraction */
    ISO_T_AMOUNT,   /* ActiveOrHistoricCurrencyAndAmount, @Ccy */
    ISO_T_PMTMTD,   /* PaymentMethod3Code: CHK, TRF, TRA */
    ISO_T_CHRGBR,   /* ChargeBearerType1Code: DEBT, CRED, SHAR, SLEV */
    ISO_T_BOOL      /* xs:boolean */
};

/* What the reader keeps of an element's text. */
enum iso_slot {
    ISO_F_NONE,
    ISO_F_MSGID,
    ISO_F_GRP_NB,
    ISO_F_GRP_SUM,
    ISO_F_PMTINFID,
    ISO_F_PMT_NB,
    ISO_F_PMT_SUM,
    ISO_F_REQDT,
    ISO_F_E2E,
    ISO_F_AMOUNT,
    ISO_F_CLRSYS,
    ISO_F_MMBID,
    ISO_F_CDTR_NM,
    ISO_F_CDTR_ID,
    ISO_F_CDTR_ORGID,
    ISO_F_IBAN,
    ISO_F_ACCT,
    ISO_F_EQVTAMT, /* Amt/EqvtAmt: refused (the instructed amount only) */
    ISO_F_TX,    /* the CdtTrfTxInf element itself */
    ISO_F_PMTINF /* the PmtInf element itself */
};

struct iso_node;

struct iso_child {
    const char *name;
    unsigned char min, max;     /* occurrences; max 0: unbounded */
    const struct iso_node *node; /* NULL: allowed but not read (skipped) */
};

struct iso_node {
    const char *name;
    enum iso_text text; /* ISO_T_NONE for an element of elements */
    int choice;         /* exactly one of the children */
    enum iso_slot slot;
    const struct iso_child *kids;
    size_t nkids;
};

/* The root of the tables: Document. */
const struct iso_node *iso_schema_document(void);

#endif /* PS_ISO_INT_H */
