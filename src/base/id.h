/*
 * id.h -- identifiers: UUID version 7 (RFC 9562), time-ordered.
 *
 * 48 bits of Unix milliseconds, then random bits from libsodium's
 * randombytes (the OS CSPRNG).  Within one process ids are strictly
 * increasing even inside one millisecond (a 12-bit counter in rand_a, as
 * RFC 9562 section 6.2 method 1 allows), so they sort in creation order.
 */
#ifndef PS_ID_H
#define PS_ID_H

#include <stddef.h>

#define PS_ID_LEN 36               /* "xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx" */
#define PS_ID_SIZE (PS_ID_LEN + 1) /* with the NUL */

/* Write a new UUID v7 into buf (PS_ID_SIZE bytes).  Returns buf. */
char *ps_id_new(char buf[PS_ID_SIZE]);

/* 1 when s is a canonical lower-case UUID string (any version), else 0. */
int ps_id_valid(const char *s);

#endif /* PS_ID_H */
