/*
 * outcome.c -- the names of record outcomes (outcome.h).  Cannot fail.
 */
#include "engine/outcome.h"

const char *ps_outcome_name(enum ps_outcome o)
{
    switch (o) {
    case PS_ACCEPTED:
        return "ACCEPTED";
    case PS_REJECTED:
        return "REJECTED";
    case PS_DUPLICATE:
        return "DUPLICATE";
    }
    return "?";
}
