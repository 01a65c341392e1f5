/*
 * log.h -- structured logs, one JSON object per line (JSON Lines).
 *
 * Every line has "ts" (RFC 3339 UTC, ms), "level", "event", then the
 * context fields.  Context is given as a jansson json_pack() format and its
 * arguments, so a log call reads like the line it writes:
 *
 *   ps_log(PS_LOG_INFO, "file.claimed", "{s:s, s:I}",
 *          "file", name, "bytes", (json_int_t)size);
 *
 * Every string value is passed through ps_redact_pans() before it is
 * written: a card number can never reach a log in clear, even by mistake.
 * Logging never fails the caller: on any error the line is dropped.
 */
#ifndef PS_LOG_H
#define PS_LOG_H

#include "base/err.h"

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

/*
 * Send logs to `path` (appended, created 0640) or to stderr when path is
 * NULL or "-".  Lines below `min` are dropped.  May be called again to
 * re-open (SIGHUP).
 */
int ps_log_open(const char *path, enum ps_log_level min, struct ps_err *err);
void ps_log_close(void);

/*
 * Open the log file again under the name it was opened with (logrotate
 * has renamed it: SIGHUP); nothing when logs go to stderr.  On failure the
 * logger keeps the old file.
 */
int ps_log_reopen(struct ps_err *err);

/*
 * fn is called before each line written to stderr (NULL: none).
 * progress.c sets it while a terminal display is installed, to clear its
 * line first.
 */
void ps_log_set_stderr_hook(void (*fn)(void));

/* Parse "debug", "info", "warn", "error".  Returns -1 if unknown. */
int ps_log_level_parse(const char *s);

/* Write one line.  fmt is a json_pack() object format or NULL. */
void ps_log(enum ps_log_level level, const char *event, const char *fmt, ...);

/* Write one line describing err (code, rule, file, line, offset, field,
 * message) plus the optional context. */
void ps_log_err(enum ps_log_level level, const char *event,
                const struct ps_err *err, const char *fmt, ...);

#endif /* PS_LOG_H */
