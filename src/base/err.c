/*
 * err.c -- filling in and printing struct ps_err.
 *
 * Nothing here allocates: errors must be reportable when memory is gone.
 */
#include "base/err.h"
#include "base/redact.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

char *ps_strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0)
        return dst;
    if (src == NULL)
        src = "";
    size_t n = strlen(src);
    if (n >= size) {
        /* Cut before the character the end falls in, not inside it: the
         * first byte left out continuing a character means its lead byte,
         * at most three bytes back, is left out too. */
        size_t back = 0;
        n = size - 1;
        while (back < 3 && n > back &&
               ((unsigned char)src[n - back] & 0xc0) == 0x80)
            back++;
        if (back > 0 && ((unsigned char)src[n - back] & 0xc0) == 0xc0)
            n -= back;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}

void ps_err_clear(struct ps_err *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
    err->offset = -1;
}

/*
 * The code of a rule.  A rule missing from the table (base/codes.h) is a
 * programmer error: a debug build names it on stderr and asserts (the
 * message is for the developer running the tests; nothing else here
 * prints); a release build lets it through as PS_CODE_UNKNOWN.
 */
static enum ps_code rule_id(const char *rule)
{
    enum ps_code id = ps_code_find(rule);
#ifndef NDEBUG
    if (id == PS_CODE_UNKNOWN) {
        fprintf(stderr, "ps_err_set: rule \"%s\" is not in src/base/codes.h\n",
                rule);
        assert(!"rule missing from src/base/codes.h");
    }
#endif
    return id;
}

__attribute__((format(printf, 4, 0))) static void
vset(struct ps_err *err, int code, const char *rule, const char *fmt,
     va_list ap)
{
    if (rule == NULL)
        rule = ps_err_codename(code);
    err->code = code;
    err->id = rule_id(rule);
    ps_strlcpy(err->rule, rule, sizeof(err->rule));
    if (fmt != NULL)
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    else
        err->msg[0] = '\0';
    /* The one place every error message is made: a card number quoted
     * from the input (a value in the wrong column, say) is masked here,
     * so no .reason, result line, database row or stderr line built from
     * an error can carry it in clear. */
    ps_redact_pans(err->msg);
}

int ps_err_set(struct ps_err *err, int code, const char *rule, const char *fmt,
               ...)
{
    if (err == NULL) {
#ifndef NDEBUG
        if (rule != NULL)
            (void)rule_id(rule); /* a caller that ignores errors still
                                    names a rule of the table */
#endif
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, rule, fmt, ap);
    va_end(ap);
    err->sys_errno = 0;
    return code;
}

int ps_err_sys(struct ps_err *err, int sys_errno, const char *fmt, ...)
{
    if (err == NULL)
        return PS_EIO;
    va_list ap;
    va_start(ap, fmt);
    vset(err, PS_EIO, "IO_ERROR", fmt, ap);
    va_end(ap);
    err->sys_errno = sys_errno;
    size_t n = strlen(err->msg);
    if (sys_errno != 0 && n + 3 < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
                 strerror(sys_errno));
    return PS_EIO;
}

int ps_err_at(struct ps_err *err, const char *file, long line, int64_t offset)
{
    if (err == NULL)
        return PS_EINTERNAL;
    if (file != NULL)
        ps_strlcpy(err->file, file, sizeof(err->file));
    if (line > 0)
        err->line = line;
    if (offset >= 0)
        err->offset = offset;
    return err->code;
}

int ps_err_field(struct ps_err *err, const char *field)
{
    if (err == NULL)
        return PS_EINTERNAL;
    ps_strlcpy(err->field, field, sizeof(err->field));
    return err->code;
}

const char *ps_err_codename(int code)
{
    switch (code) {
    case PS_OK:
        return "OK";
    case PS_EINVAL:
        return "EINVAL";
    case PS_ENOMEM:
        return "ENOMEM";
    case PS_EIO:
        return "EIO";
    case PS_ESTORE:
        return "ESTORE";
    case PS_ENOTFOUND:
        return "ENOTFOUND";
    case PS_ECONFLICT:
        return "ECONFLICT";
    case PS_ESTATE:
        return "ESTATE";
    case PS_EBUSY:
        return "EBUSY";
    case PS_ECONFIG:
        return "ECONFIG";
    case PS_ECRYPTO:
        return "ECRYPTO";
    case PS_EVERSION:
        return "EVERSION";
    case PS_EINTERNAL:
        return "EINTERNAL";
    }
    return "EUNKNOWN";
}

const char *ps_err_str(const struct ps_err *err, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
#define APPEND(...)                                                            \
    do {                                                                       \
        if (n < size) {                                                        \
            int w_ = snprintf(buf + n, size - n, __VA_ARGS__);                 \
            if (w_ > 0)                                                        \
                n += (size_t)w_;                                               \
        }                                                                      \
    } while (0)
    if (err->file[0] != '\0') {
        APPEND("%s", err->file);
        if (err->line > 0)
            APPEND(":%ld", err->line);
        if (err->offset >= 0)
            APPEND(" (byte %lld)", (long long)err->offset);
        APPEND(": ");
    } else if (err->line > 0) {
        APPEND("line %ld: ", err->line);
    }
    if (err->field[0] != '\0')
        APPEND("field %s: ", err->field);
    APPEND("%s", err->msg[0] != '\0' ? err->msg : ps_err_codename(err->code));
    if (err->rule[0] != '\0')
        APPEND(" [%s]", err->rule);
#undef APPEND
    /* Every error line (stderr, .reason descriptions) passes the
     * redactor: the file name and field are the sender's text. */
    ps_redact_pans(buf);
    return buf;
}

/*
 * Render `len` bytes of untrusted input for an error message: at most
 * PS_QUOTE_MAX bytes, control bytes, quotes and non-ASCII as \xHH, "..." when
 * cut short.  Always NUL-terminates buf.  Returns buf.
 */
const char *ps_quote(const char *s, size_t len, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (size == 0)
        return buf;
    for (size_t i = 0; i < len && i < PS_QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            if (n + 4 >= size)
                break;
            buf[n++] = '\\';
            buf[n++] = 'x';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 0xf];
        } else {
            if (n + 1 >= size)
                break;
            buf[n++] = (char)c;
        }
    }
    if (len > PS_QUOTE_MAX && n + 3 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

size_t ps_utf8_char(const char *s, size_t left)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char c, lo = 0x80, hi = 0xbf; /* range of the second byte */
    size_t need;
    if (left == 0)
        return 0;
    c = *p;
    if (c < 0x20 || c == 0x7f)
        return 0;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3;
    else
        return 0; /* 80..C1 and F5..FF never start a character */
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (left <= need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xc2 && p[1] <= 0x9f)
        return 0; /* C1 controls U+0080..U+009F */
    return need + 1;
}

long ps_utf8_chars(const char *s, size_t len)
{
    long n = 0;
    while (len > 0) {
        size_t l = ps_utf8_char(s, len);
        if (l == 0)
            return -1;
        s += l;
        len -= l;
        n++;
    }
    return n;
}

int ps_err_exit_status(int code)
{
    switch (code) {
    case PS_OK:
        return EX_OK;
    case PS_EINVAL:
        return EX_DATAERR;
    case PS_ENOMEM:
        return EX_SOFTWARE; /* 70, as the README documents */
    case PS_EIO:
        return EX_IOERR;
    case PS_ESTORE:
        return EX_SOFTWARE;
    case PS_ENOTFOUND:
        return EX_NOINPUT;
    case PS_ECONFLICT:
        return EX_DATAERR;
    case PS_ESTATE:
        return EX_DATAERR;
    case PS_EBUSY:
        return EX_TEMPFAIL;
    case PS_ECONFIG:
        return EX_CONFIG;
    case PS_ECRYPTO:
        return EX_CONFIG;
    case PS_EVERSION:
        return EX_CONFIG;
    default:
        return EX_SOFTWARE;
    }
}
