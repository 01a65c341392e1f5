/*
 * achconf.h -- a business's ACH settings: how its outbound NACHA files are
 * originated and how leniently its inbound NACHA files are read.
 *
 * They live in the spool's configuration file (<spool>.conf) beside the
 * spool settings: `[ach]` holds defaults for every business (typically the
 * ODFI), `[ach:<business name>]` a business's own values over them.
 *
 *   [ach]
 *   odfi_routing = 076401251       ; the ODFI: immediate destination
 *   odfi_name = LAKESIDE BANK      ; destination name
 *   [ach:northwind-logistics]
 *   company_id = 1834567890        ; also the immediate origin by default
 *   company_name = NORTHWIND LOGIS
 *   lenient = bad_check_digit, missing_file_control
 *
 * Every error names the file, line and key (rules ACH_CONFIG_KEY,
 * ACH_CONFIG_VALUE).
 */
#ifndef PS_ACHCONF_H
#define PS_ACHCONF_H

#include "base/err.h"

struct ps_ach_config {
    char odfi_routing[10];       /* 9 digits; the immediate destination */
    char odfi_name[24];          /* immediate destination name */
    char immediate_origin[11];   /* default: company_id */
    char origin_name[24];        /* default: company_name */
    char company_id[11];
    char company_name[17];
    char credit_description[11]; /* entry description of credits */
    char debit_description[11];  /* of recovery debits */
    char reference_code[9];
    unsigned lenient;            /* PS_NACHA_LENIENT_* for inbound files */
    int same_day;                /* 1: effective the business date when it
                                    is a banking day, entries < $1,000,000 */
    int credit_days;             /* banking days ahead for credits, 1..2 */
    int debit_days;              /* for debits, 1..2 */
    char path[1024];             /* where it was read, "" for defaults */
};

/*
 * Fill *cfg for business `name` from the configuration file at path
 * (defaults when the file does not exist).  Sections other than [ach] and
 * [ach:*] belong to other readers and are skipped.
 */
int ps_ach_config_load(const char *path, const char *business,
                       struct ps_ach_config *cfg, struct ps_err *err);

/*
 * 0 when *cfg can originate a file, else PS_ECONFIG (rule ACH_NOT_CONFIGURED)
 * naming the missing key and the section it belongs in.
 */
int ps_ach_config_ready(const struct ps_ach_config *cfg, const char *business,
                        struct ps_err *err);

/* 1 for "[ach]" and "[ach:...]", the sections this module owns. */
int ps_ach_config_section(const char *section);

#endif /* PS_ACHCONF_H */
