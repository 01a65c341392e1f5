/*
 * outcome.h -- a record's outcome for the result file: what every
 * applier (apply.c, and the ones it calls: achin.c, provider.c) fills in.
 *
 * Its own header so that the appliers apply.c calls need not include
 * apply.h for this one type (that made apply <-> achin and
 * apply <-> provider include cycles).  Includes base/ only.
 */
#ifndef PS_OUTCOME_H
#define PS_OUTCOME_H

#include <stdint.h>

#include "base/err.h"

enum ps_outcome { PS_ACCEPTED, PS_REJECTED, PS_DUPLICATE };

struct ps_apply_result {
    enum ps_outcome outcome;
    char code[PS_ERR_RULE_MAX]; /* rule when not ACCEPTED */
    char message[PS_ERR_MSG_MAX];
    char ids[128];  /* ids created, space-separated */
    int64_t amount; /* accepted amount, minor units */
    char currency[4];
};

/* "ACCEPTED", "REJECTED", "DUPLICATE" (a static string). */
const char *ps_outcome_name(enum ps_outcome o);

#endif /* PS_OUTCOME_H */
