/*
 * achconf.c -- a business's ACH settings from the spool's configuration
 * file (see achconf.h), one table row per key.
 */
#include "engine/achconf.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "base/inifile.h"
#include "formats/nacha/nacha.h"

enum kind { K_TEXT, K_RTN, K_BOOL, K_DAYS, K_LENIENT };

static const struct key {
    const char *name;
    enum kind kind;
    size_t offset, size; /* size: the field's bytes, NUL included */
} keys[] = {
#define F(f) offsetof(struct ps_ach_config, f), sizeof(((struct ps_ach_config *)0)->f)
    {"odfi_routing", K_RTN, F(odfi_routing)},
    {"odfi_name", K_TEXT, F(odfi_name)},
    {"immediate_origin", K_TEXT, F(immediate_origin)},
    {"origin_name", K_TEXT, F(origin_name)},
    {"company_id", K_TEXT, F(company_id)},
    {"company_name", K_TEXT, F(company_name)},
    {"credit_description", K_TEXT, F(credit_description)},
    {"debit_description", K_TEXT, F(debit_description)},
    {"reference_code", K_TEXT, F(reference_code)},
    {"lenient", K_LENIENT, F(lenient)},
    {"same_day", K_BOOL, F(same_day)},
    {"credit_days", K_DAYS, F(credit_days)},
    {"debit_days", K_DAYS, F(debit_days)},
#undef F
};

int ps_ach_config_section(const char *section)
{
    return strcmp(section, "ach") == 0 || strncmp(section, "ach:", 4) == 0;
}

struct ctx {
    struct ps_ach_config *cfg;
    const char *business;
    int own; /* pass 2: only the business's own section */
};

/* NACHA alphanumeric fields: printable ASCII, upper-cased here. */
static int set_text(char *dst, size_t size, const char *value,
                    struct ps_err *err)
{
    size_t n = strlen(value);
    if (n >= size)
        return ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE",
                          "at most %zu characters, not %zu", size - 1, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (ch < 0x20 || ch > 0x7e)
            return ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE",
                              "only printable ASCII characters are allowed "
                              "in a NACHA field");
        dst[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
    dst[n] = '\0';
    return 0;
}

static int entry(void *user, const char *section, const char *key,
                 const char *value, int line, struct ps_err *err)
{
    struct ctx *c = user;
    (void)line;
    if (!ps_ach_config_section(section))
        return 0;
    int own = strncmp(section, "ach:", 4) == 0;
    if (own && strcmp(section + 4, c->business) != 0)
        return 0; /* another business's */
    if (own != c->own)
        return 0; /* [ach] on pass 1, [ach:name] on pass 2 */
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct key *k = &keys[i];
        char *p = (char *)c->cfg + k->offset;
        int rc = 0;
        if (strcmp(k->name, key) != 0)
            continue;
        switch (k->kind) {
        case K_TEXT:
            rc = set_text(p, k->size, value, err);
            break;
        case K_RTN:
            if ((rc = ps_aba_check(value, err)) != 0)
                rc = ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE",
                                "must be a 9-digit routing number with a "
                                "valid check digit");
            else
                ps_strlcpy(p, value, k->size);
            break;
        case K_BOOL:
            if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
                strcmp(value, "1") == 0)
                *(int *)(void *)p = 1;
            else if (strcmp(value, "no") == 0 ||
                     strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                *(int *)(void *)p = 0;
            else
                rc = ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE",
                                "must be yes or no, not %s", value);
            break;
        case K_DAYS:
            if (strcmp(value, "1") == 0 || strcmp(value, "2") == 0)
                *(int *)(void *)p = value[0] - '0';
            else
                rc = ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE",
                                "must be 1 or 2 banking days, not %s", value);
            break;
        case K_LENIENT: {
            struct ps_err e;
            ps_err_clear(&e);
            if (ps_nacha_lenient_parse(value, (unsigned *)(void *)p, &e) !=
                0)
                rc = ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_VALUE", "%s",
                                e.msg);
            break;
        }
        }
        if (rc != 0)
            ps_err_field(err, key);
        return rc;
    }
    ps_err_set(err, PS_ECONFIG, "ACH_CONFIG_KEY", "unknown setting [%s] %s",
               section, key);
    return PS_ECONFIG;
}

int ps_ach_config_load(const char *path, const char *business,
                       struct ps_ach_config *cfg, struct ps_err *err)
{
    struct ps_ach_config tmp;
    memset(&tmp, 0, sizeof(tmp));
    ps_strlcpy(tmp.credit_description, "EWA ADVANC",
               sizeof(tmp.credit_description));
    ps_strlcpy(tmp.debit_description, "EWA REPAY",
               sizeof(tmp.debit_description));
    tmp.credit_days = 1;
    tmp.debit_days = 1;
    /* Two passes, so [ach] gives defaults wherever it is in the file. */
    for (int own = 0; own <= 1; own++) {
        struct ctx c = {&tmp, business, own};
        int rc = ps_inifile_parse(path, entry, &c, err);
        if (rc == PS_ENOTFOUND) {
            ps_err_clear(err);
            break;
        }
        if (rc != 0)
            return rc;
        ps_strlcpy(tmp.path, path, sizeof(tmp.path));
    }
    if (tmp.immediate_origin[0] == '\0')
        memcpy(tmp.immediate_origin, tmp.company_id,
               sizeof(tmp.immediate_origin));
    if (tmp.origin_name[0] == '\0')
        ps_strlcpy(tmp.origin_name, tmp.company_name,
                   sizeof(tmp.origin_name));
    *cfg = tmp;
    return 0;
}

int ps_ach_config_ready(const struct ps_ach_config *cfg, const char *business,
                        struct ps_err *err)
{
    const char *missing = cfg->odfi_routing[0] == '\0'   ? "odfi_routing"
                          : cfg->company_id[0] == '\0'   ? "company_id"
                          : cfg->company_name[0] == '\0' ? "company_name"
                                                         : NULL;
    if (missing == NULL)
        return 0;
    ps_err_set(err, PS_ECONFIG, "ACH_NOT_CONFIGURED",
               "business %s has ACH items but no %s: set it in [ach] or "
               "[ach:%s] of %s",
               business, missing, business,
               cfg->path[0] != '\0' ? cfg->path : "the spool configuration");
    ps_err_field(err, missing);
    return PS_ECONFIG;
}
