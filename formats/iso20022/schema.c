/*
 * schema.c -- the part of the pain.001 schemas (001.03, 001.09, 001.10)
 * that payspool reads, as tables: for each element read, its children in
 * schema order with their cardinality, and for each leaf its text type.
 *
 * A child whose node is NULL is allowed (in its place and number) but not
 * read: the reader skips its subtree.  The tables are the union of the
 * three versions where they differ in a way payspool does not read (BIC
 * in .03, BICFI in .09/.10; UETR and LEI added in .09; InitnSrc,
 * ReqdAdvcTp and a transaction's MndtRltdInf added in .10); ReqdExctnDt's
 * shape is version-dependent and the reader handles it by name.
 * Nothing here allocates or fails.
 */
#include <stddef.h>

#include "formats/iso20022/iso_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LEAF(var, nm, ty, sl)                                                  \
    static const struct iso_node var = {nm, ty, 0, sl, NULL, 0}
#define NODE(var, nm, kids)                                                    \
    static const struct iso_node var = {nm, ISO_T_NONE, 0, ISO_F_NONE, kids,   \
                                        N(kids)}
#define CHOICE(var, nm, kids)                                                  \
    static const struct iso_node var = {nm, ISO_T_NONE, 1, ISO_F_NONE, kids,   \
                                        N(kids)}
#define MANY 0 /* max: unbounded */

/* ---- leaves ---- */
LEAF(l_msgid, "MsgId", ISO_T_MAX35, ISO_F_MSGID);
LEAF(l_credttm, "CreDtTm", ISO_T_DATETIME, ISO_F_NONE);
LEAF(l_grp_nb, "NbOfTxs", ISO_T_NBTXS, ISO_F_GRP_NB);
LEAF(l_grp_sum, "CtrlSum", ISO_T_DECIMAL, ISO_F_GRP_SUM);
LEAF(l_pmtinfid, "PmtInfId", ISO_T_MAX35, ISO_F_PMTINFID);
LEAF(l_pmtmtd, "PmtMtd", ISO_T_PMTMTD, ISO_F_NONE);
LEAF(l_btch, "BtchBookg", ISO_T_BOOL, ISO_F_NONE);
LEAF(l_pmt_nb, "NbOfTxs", ISO_T_NBTXS, ISO_F_PMT_NB);
LEAF(l_pmt_sum, "CtrlSum", ISO_T_DECIMAL, ISO_F_PMT_SUM);
LEAF(l_dt, "Dt", ISO_T_DATE, ISO_F_NONE);
LEAF(l_dttm, "DtTm", ISO_T_DATETIME, ISO_F_NONE);
LEAF(l_chrgbr, "ChrgBr", ISO_T_CHRGBR, ISO_F_NONE);
LEAF(l_instrid, "InstrId", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_e2e, "EndToEndId", ISO_T_MAX35, ISO_F_E2E);
LEAF(l_instdamt, "InstdAmt", ISO_T_AMOUNT, ISO_F_AMOUNT);
LEAF(l_bic, "BIC", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_bicfi, "BICFI", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_lei, "LEI", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_clr_cd, "Cd", ISO_T_MAX35, ISO_F_CLRSYS);
LEAF(l_clr_prtry, "Prtry", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_mmbid, "MmbId", ISO_T_MAX35, ISO_F_MMBID);
LEAF(l_nm140, "Nm", ISO_T_MAX140, ISO_F_NONE);
LEAF(l_cdtr_nm, "Nm", ISO_T_MAX140, ISO_F_CDTR_NM);
LEAF(l_prvt_id, "Id", ISO_T_MAX35, ISO_F_CDTR_ID);
LEAF(l_org_id, "Id", ISO_T_MAX35, ISO_F_CDTR_ORGID);
LEAF(l_iban, "IBAN", ISO_T_MAX35, ISO_F_IBAN);
LEAF(l_acct_id, "Id", ISO_T_MAX35, ISO_F_ACCT);
LEAF(l_ccy, "Ccy", ISO_T_MAX35, ISO_F_NONE);
LEAF(l_ustrd, "Ustrd", ISO_T_MAX140, ISO_F_NONE);

/* ---- the creditor agent: FinInstnId with a USABA member id ---- */
static const struct iso_child clrsysid_k[] = {
    {"Cd", 0, 1, &l_clr_cd}, {"Prtry", 0, 1, &l_clr_prtry}};
CHOICE(n_clrsysid, "ClrSysId", clrsysid_k);
static const struct iso_child clrmmb_k[] = {{"ClrSysId", 0, 1, &n_clrsysid},
                                            {"MmbId", 1, 1, &l_mmbid}};
NODE(n_clrmmb, "ClrSysMmbId", clrmmb_k);
static const struct iso_child fininstn_k[] = {
    {"BIC", 0, 1, &l_bic},         {"BICFI", 0, 1, &l_bicfi},
    {"ClrSysMmbId", 0, 1, &n_clrmmb}, {"LEI", 0, 1, &l_lei},
    {"Nm", 0, 1, &l_nm140},        {"PstlAdr", 0, 1, NULL},
    {"Othr", 0, 1, NULL}};
NODE(n_fininstn, "FinInstnId", fininstn_k);
static const struct iso_child agent_k[] = {{"FinInstnId", 1, 1, &n_fininstn},
                                           {"BrnchId", 0, 1, NULL}};
NODE(n_cdtragt, "CdtrAgt", agent_k);

/* ---- the creditor: its private (or organisation) identification ---- */
static const struct iso_child prvt_othr_k[] = {{"Id", 1, 1, &l_prvt_id},
                                               {"SchmeNm", 0, 1, NULL},
                                               {"Issr", 0, 1, NULL}};
NODE(n_prvt_othr, "Othr", prvt_othr_k);
static const struct iso_child prvt_k[] = {{"DtAndPlcOfBirth", 0, 1, NULL},
                                          {"Othr", 0, MANY, &n_prvt_othr}};
NODE(n_prvt, "PrvtId", prvt_k);
static const struct iso_child org_othr_k[] = {{"Id", 1, 1, &l_org_id},
                                              {"SchmeNm", 0, 1, NULL},
                                              {"Issr", 0, 1, NULL}};
NODE(n_org_othr, "Othr", org_othr_k);
static const struct iso_child org_k[] = {{"AnyBIC", 0, 1, NULL},
                                         {"BICOrBEI", 0, 1, NULL},
                                         {"LEI", 0, 1, NULL},
                                         {"Othr", 0, MANY, &n_org_othr}};
NODE(n_org, "OrgId", org_k);
static const struct iso_child party_id_k[] = {{"OrgId", 0, 1, &n_org},
                                              {"PrvtId", 0, 1, &n_prvt}};
CHOICE(n_party_id, "Id", party_id_k);
static const struct iso_child cdtr_k[] = {
    {"Nm", 0, 1, &l_cdtr_nm},   {"PstlAdr", 0, 1, NULL},
    {"Id", 0, 1, &n_party_id},  {"CtryOfRes", 0, 1, NULL},
    {"CtctDtls", 0, 1, NULL}};
NODE(n_cdtr, "Cdtr", cdtr_k);

/* ---- the creditor's account: IBAN or Othr/Id ---- */
static const struct iso_child acct_othr_k[] = {{"Id", 1, 1, &l_acct_id},
                                               {"SchmeNm", 0, 1, NULL},
                                               {"Issr", 0, 1, NULL}};
NODE(n_acct_othr, "Othr", acct_othr_k);
static const struct iso_child acct_id_k[] = {{"IBAN", 0, 1, &l_iban},
                                             {"Othr", 0, 1, &n_acct_othr}};
CHOICE(n_acct_id, "Id", acct_id_k);
static const struct iso_child cdtracct_k[] = {
    {"Id", 1, 1, &n_acct_id}, {"Tp", 0, 1, NULL}, {"Ccy", 0, 1, &l_ccy},
    {"Nm", 0, 1, &l_nm140},   {"Prxy", 0, 1, NULL}};
NODE(n_cdtracct, "CdtrAcct", cdtracct_k);

/* ---- the transaction ---- */
static const struct iso_child pmtid_k[] = {{"InstrId", 0, 1, &l_instrid},
                                           {"EndToEndId", 1, 1, &l_e2e},
                                           {"UETR", 0, 1, NULL}}; /* UUIDv4 */
NODE(n_pmtid, "PmtId", pmtid_k);
/* EqvtAmt (an amount in another currency, to be converted) is in its
 * place so that the reader refuses it by name (ISO_AMOUNT_EQUIVALENT). */
static const struct iso_child eqvt_k[] = {{"Amt", 1, 1, NULL},
                                          {"CcyOfTrf", 1, 1, NULL}};
static const struct iso_node n_eqvt = {"EqvtAmt", ISO_T_NONE, 0,
                                       ISO_F_EQVTAMT, eqvt_k, N(eqvt_k)};
static const struct iso_child amt_k[] = {{"InstdAmt", 0, 1, &l_instdamt},
                                         {"EqvtAmt", 0, 1, &n_eqvt}};
CHOICE(n_amt, "Amt", amt_k);
static const struct iso_child rmtinf_k[] = {{"Ustrd", 0, MANY, &l_ustrd},
                                            {"Strd", 0, MANY, NULL}};
NODE(n_rmtinf, "RmtInf", rmtinf_k);
static const struct iso_child tx_k[] = {
    {"PmtId", 1, 1, &n_pmtid},
    {"PmtTpInf", 0, 1, NULL},
    {"Amt", 1, 1, &n_amt},
    {"XchgRateInf", 0, 1, NULL},
    {"ChrgBr", 0, 1, &l_chrgbr},
    {"MndtRltdInf", 0, 1, NULL}, /* .10 */
    {"ChqInstr", 0, 1, NULL},
    {"UltmtDbtr", 0, 1, NULL},
    {"IntrmyAgt1", 0, 1, NULL},
    {"IntrmyAgt1Acct", 0, 1, NULL},
    {"IntrmyAgt2", 0, 1, NULL},
    {"IntrmyAgt2Acct", 0, 1, NULL},
    {"IntrmyAgt3", 0, 1, NULL},
    {"IntrmyAgt3Acct", 0, 1, NULL},
    {"CdtrAgt", 0, 1, &n_cdtragt},
    {"CdtrAgtAcct", 0, 1, NULL},
    {"Cdtr", 0, 1, &n_cdtr},
    {"CdtrAcct", 0, 1, &n_cdtracct},
    {"UltmtCdtr", 0, 1, NULL},
    {"InstrForCdtrAgt", 0, MANY, NULL},
    {"InstrForDbtrAgt", 0, 1, NULL},
    {"Purp", 0, 1, NULL},
    {"RgltryRptg", 0, 10, NULL},
    {"Tax", 0, 1, NULL},
    {"RltdRmtInf", 0, 10, NULL},
    {"RmtInf", 0, 1, &n_rmtinf},
    {"SplmtryData", 0, MANY, NULL}};
static const struct iso_node n_tx = {"CdtTrfTxInf", ISO_T_NONE, 0, ISO_F_TX,
                                     tx_k, N(tx_k)};

/* ---- the payment information block ---- */
static const struct iso_child reqd_k[] = {{"Dt", 0, 1, &l_dt},
                                          {"DtTm", 0, 1, &l_dttm}};
/* .03: ISODate text; .09/.10: a choice of Dt and DtTm (iso20022.c). */
static const struct iso_node n_reqd = {"ReqdExctnDt", ISO_T_DATE, 1,
                                       ISO_F_REQDT, reqd_k, N(reqd_k)};
static const struct iso_child pmtinf_k[] = {
    {"PmtInfId", 1, 1, &l_pmtinfid},
    {"PmtMtd", 1, 1, &l_pmtmtd},
    {"ReqdAdvcTp", 0, 1, NULL}, /* .10 */
    {"BtchBookg", 0, 1, &l_btch},
    {"NbOfTxs", 0, 1, &l_pmt_nb},
    {"CtrlSum", 0, 1, &l_pmt_sum},
    {"PmtTpInf", 0, 1, NULL},
    {"ReqdExctnDt", 1, 1, &n_reqd},
    {"PoolgAdjstmntDt", 0, 1, NULL},
    {"Dbtr", 1, 1, NULL},
    {"DbtrAcct", 1, 1, NULL},
    {"DbtrAgt", 1, 1, NULL},
    {"DbtrAgtAcct", 0, 1, NULL},
    {"InstrForDbtrAgt", 0, 1, NULL},
    {"UltmtDbtr", 0, 1, NULL},
    {"ChrgBr", 0, 1, &l_chrgbr},
    {"ChrgsAcct", 0, 1, NULL},
    {"ChrgsAcctAgt", 0, 1, NULL},
    {"CdtTrfTxInf", 1, MANY, &n_tx}};
static const struct iso_node n_pmtinf = {"PmtInf", ISO_T_NONE, 0,
                                         ISO_F_PMTINF, pmtinf_k, N(pmtinf_k)};

/* ---- the group header and the message ---- */
static const struct iso_child grphdr_k[] = {
    {"MsgId", 1, 1, &l_msgid},     {"CreDtTm", 1, 1, &l_credttm},
    {"Authstn", 0, 2, NULL},       {"NbOfTxs", 1, 1, &l_grp_nb},
    {"CtrlSum", 0, 1, &l_grp_sum}, {"InitgPty", 1, 1, NULL},
    {"FwdgAgt", 0, 1, NULL},       {"InitnSrc", 0, 1, NULL}}; /* .10 */
NODE(n_grphdr, "GrpHdr", grphdr_k);
static const struct iso_child msg_k[] = {{"GrpHdr", 1, 1, &n_grphdr},
                                         {"PmtInf", 1, MANY, &n_pmtinf},
                                         {"SplmtryData", 0, MANY, NULL}};
NODE(n_msg, "CstmrCdtTrfInitn", msg_k);
static const struct iso_child doc_k[] = {{"CstmrCdtTrfInitn", 1, 1, &n_msg}};
NODE(n_doc, "Document", doc_k);

const struct iso_node *iso_schema_document(void)
{
    return &n_doc;
}
