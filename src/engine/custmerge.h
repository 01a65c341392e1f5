/*
 * custmerge.h -- a customer's contacts and addresses after an update:
 * what the update gives merged into what is stored, so that a second
 * address or contact never replaces the first (the seed: several
 * addresses, SHIPPING, BILLING, MAILING..., and for a BUSINESS further
 * contact persons besides the primary one).  Every input (customer CSV,
 * LinX answers, the CLI) goes through ps_customer_create/update and so
 * through these rules:
 *
 * Addresses are kept per type: a given address of a type replaces the
 * stored address(es) of that type and leaves the other types as they
 * are; several given addresses of one type are all kept.
 *
 * Contacts are matched to the stored ones by email (case-insensitive,
 * both non-empty) or else by first and last name (case-insensitive).  A
 * match is updated in place (the fields given non-empty); any other
 * contact is added.  primary: 1 makes the contact the primary one (the
 * previous primary stays, as a further contact); 0 makes it a further
 * contact; PS_CONTACT_PRIMARY_AUTO keeps a matched contact's flag and
 * makes a new one primary only when the customer has no primary yet.
 */
#ifndef PS_CUSTMERGE_H
#define PS_CUSTMERGE_H

#include <stddef.h>

#include "base/err.h"
#include "base/model.h"
#include "store/store.h"

/* On create, with nothing stored: the first AUTO contact is primary when
 * none is given as primary, the others further contacts (in place). */
void ps_contacts_resolve(struct ps_contact *v, size_t n);

/* The merged lists, malloc'd into *out (free()); *nout may be 0.  given
 * NULL: the stored list; given non-NULL with ngiven 0: an empty list (the
 * update removes them all). */
int ps_contacts_merged(struct ps_store *store, const char *customer_id,
                       const struct ps_contact *given, size_t ngiven,
                       struct ps_contact **out, size_t *nout,
                       struct ps_err *err);
int ps_addresses_merged(struct ps_store *store, const char *customer_id,
                        const struct ps_address *given, size_t ngiven,
                        struct ps_address **out, size_t *nout,
                        struct ps_err *err);

#endif /* PS_CUSTMERGE_H */
