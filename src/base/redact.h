/*
 * redact.h -- the redactor: card numbers masked in text that leaves the
 * engine (logs, error messages, result files, database rows).
 *
 * Its own header, with no includes of payspool's, so that err.c (which
 * every module includes) can mask the messages it builds without an
 * include cycle through crypto.h.  crypto.h re-exports it.
 */
#ifndef PS_REDACT_H
#define PS_REDACT_H

#include <stddef.h>

/* 1 if the n ASCII digits at s pass the Luhn check, else 0. */
int ps_luhn_run(const char *s, size_t n);

/*
 * Overwrite, in place, the middle digits of every maximal run of 13..19
 * ASCII digits in s that passes Luhn, keeping BIN and last 4
 * ("4111111111111111" -> "411111******1111").  The length never changes.
 * Returns the number of runs masked.
 */
int ps_redact_pans(char *s);

#endif /* PS_REDACT_H */
