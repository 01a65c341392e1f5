/*
 * inifile.c -- INI files through libinih, with line numbers.
 *
 * How it fails: the first error wins and stops the parse; the error names
 * the file and line (and the key when the handler did not say otherwise).
 */
#include "base/inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

struct run {
    const char *path;
    FILE *f;
    ps_inifile_entry_fn *fn;
    void *user;
    struct ps_err *err;
    int line;   /* lines read so far: the line inih is on */
    int failed; /* a PS_E* code once something failed */
};

/* fgets() for inih that counts lines and refuses over-long ones. */
static char *reader(char *str, int num, void *stream)
{
    struct run *r = stream;
    char *s = fgets(str, num, r->f);
    if (s == NULL || r->failed)
        return NULL;
    r->line++;
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] != '\n' && !feof(r->f)) {
        r->failed = ps_err_set(r->err, PS_ECONFIG, "INI_LINE_TOO_LONG",
                               "line longer than %d characters", num - 2);
        ps_err_at(r->err, r->path, r->line, -1);
        return NULL;
    }
    return s;
}

static int handler(void *user, const char *section, const char *key,
                   const char *value)
{
    struct run *r = user;
    if (r->failed)
        return 0;
    if (r->err != NULL)
        r->err->field[0] = '\0';
    int rc = r->fn(r->user, section, key, value, r->line, r->err);
    if (rc == 0)
        return 1;
    r->failed = rc;
    ps_err_at(r->err, r->path, r->line, -1);
    if (r->err != NULL && r->err->field[0] == '\0')
        ps_err_field(r->err, key);
    return 0;
}

int ps_inifile_parse(const char *path, ps_inifile_entry_fn *fn, void *user,
                 struct ps_err *err)
{
    struct run r = {path, NULL, fn, user, err, 0, 0};
    r.f = fopen(path, "r");
    if (r.f == NULL) {
        int e = errno;
        if (e == ENOENT)
            return ps_err_set(err, PS_ENOTFOUND, "FILE_NOT_FOUND",
                              "%s does not exist", path);
        ps_err_sys(err, e, "cannot read %s", path);
        return ps_err_at(err, path, 0, -1);
    }
    ps_err_clear(err);
    int line = ini_parse_stream(reader, &r, handler, &r);
    if (ferror(r.f) && !r.failed) {
        r.failed = ps_err_sys(err, errno, "cannot read %s", path);
        ps_err_at(err, path, r.line, -1);
    }
    fclose(r.f);
    if (r.failed)
        return r.failed;
    if (line != 0) {
        ps_err_set(err, PS_ECONFIG, "INI_SYNTAX",
                   "not a '[section]', 'key = value' or comment line");
        return ps_err_at(err, path, line, -1);
    }
    return 0;
}
