/*
 * linxreq.h -- a LinX request file's records (kind "linx.request") and
 * the templates they name (linx/templates/NAME.template, INI).
 *
 * A template is one [template] section: name, description, activities
 * ("A | B | C", in order), and optional transaction_type (SEND, DEBIT),
 * expiry_days (1..90, default 7) and reminder_hours (1..720, default 48).
 * Templates are read from $PAYSPOOL_LINX_TEMPLATES, else from the
 * source tree's linx/templates.
 */
#ifndef PS_LINXREQ_H
#define PS_LINXREQ_H

#include "base/err.h"
#include "base/model.h"
#include "engine/engine.h"
#include "engine/outcome.h"
#include "formats/format.h"

enum ps_linx_activity {
    PS_LACT_CREATE_CUSTOMER,
    PS_LACT_UPDATE_CUSTOMER,
    PS_LACT_ADD_BANK_ACCOUNT,
    PS_LACT_ADD_CARD_ACCOUNT,
    PS_LACT_ACCEPT_DOCUMENT,
    PS_LACT_TRANSACTION,
    PS_LACT_N
};
#define PS_LINX_MAX_ACTIVITIES 8

struct ps_linx_template {
    char name[64];
    char description[128];
    int nact;
    enum ps_linx_activity act[PS_LINX_MAX_ACTIVITIES];
    char transaction_type[8]; /* "" when the request says */
    int expiry_days;
    int reminder_hours;
};

const char *ps_linx_activity_name(enum ps_linx_activity a);
int ps_linx_activity_parse(const char *name); /* -1 when unknown */

/*
 * Parse "A | B | C" into act (at most PS_LINX_MAX_ACTIVITIES, each at
 * most once but ACCEPT_DOCUMENT; one TRANSACTION, last): rule
 * LINX_ACTIVITIES.
 */
int ps_linx_activities_parse(const char *list, enum ps_linx_activity *act,
                             int *nact, struct ps_err *err);

/* Load template `name` from the templates folder: PS_ENOTFOUND (rule
 * LINX_TEMPLATE_UNKNOWN) when there is none, PS_ECONFIG (rule
 * LINX_TEMPLATE) when its file is bad. */
int ps_linx_template_load(const char *name, struct ps_linx_template *out,
                          struct ps_err *err);

/* The business's gateway URL setting. */
#define PS_LINX_GATEWAY_KEY "linx.gateway_url"

/*
 * Apply one linx.request record: validate, build the ordered activities
 * (a JSON array), create the request with its token and queue its LINK
 * SMS.  A record-level refusal returns PS_EINVAL/PS_ENOTFOUND/
 * PS_ECONFLICT with e set; a business without a gateway URL is
 * PS_ECONFIG (rule LINX_GATEWAY_URL).
 */
int ps_linx_request_apply(struct ps_engine *eng, const struct ps_business *b,
                          const struct ps_record *rec,
                          const struct ps_source *src,
                          struct ps_apply_result *res, struct ps_err *e);

#endif /* PS_LINXREQ_H */
