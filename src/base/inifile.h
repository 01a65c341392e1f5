/*
 * inifile.h -- INI files (libinih) with line numbers and one error convention.
 *
 * Debian's libinih is built without INI_HANDLER_LINENO, so the handler
 * never learns the line.  ps_inifile_parse() feeds inih through a line-counting
 * reader instead, refuses over-long lines (inih would split them
 * silently), and stamps every error with the file, line and key.
 */
#ifndef PS_INIFILE_H
#define PS_INIFILE_H

#include "base/err.h"

/*
 * Called for each "key = value" (value trimmed, inline ';' comments kept
 * as inih does).  Return 0 to go on, or a negative PS_E* code with err
 * set; the file, line and (unless set) field are filled in for you.
 */
typedef int ps_inifile_entry_fn(void *user, const char *section, const char *key,
                            const char *value, int line, struct ps_err *err);

/*
 * Parse path.  Returns 0, PS_ENOTFOUND when the file does not exist (so a
 * default location can be optional), PS_ECONFIG for a syntax error (rule
 * INI_SYNTAX) or an over-long line, PS_EIO when it cannot be read, or the
 * first code a handler returned.
 */
int ps_inifile_parse(const char *path, ps_inifile_entry_fn *fn, void *user,
                 struct ps_err *err);

#endif
