/*
 * linxapi.c -- LinX by business name and request ref.  See linxapi.h.
 */
#include "engine/linxapi.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/handle.h"
#include "base/whsig.h"
#include "store/linx.h"
#include "base/sha256.h"

int ps_linx_set_gateway(struct ps_engine *eng, const char *business,
                        const char *url, struct ps_err *err)
{
    struct ps_business b;
    char now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if (url == NULL || (strncmp(url, "https://", 8) != 0 &&
                        strncmp(url, "http://", 7) != 0) ||
        strlen(url) > 300 || strpbrk(url, " \t\r\n\"") != NULL)
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "a gateway URL is http:// or https://, without "
                          "spaces, at most 300 bytes");
    return ps_store_setting_set(eng->store, b.id, "linx.gateway_url", url,
                                ps_time_now(now), err);
}

/* SHA-256 of the file at path, hex. */
static int file_sha256(const char *path, char sha[65], struct ps_err *err)
{
    struct ps_sha256 st;
    unsigned char buf[8192], out[PS_SHA256_BYTES];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ps_err_sys(err, errno, "open %s", path);
    ps_sha256_init(&st);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ps_sha256_update(&st, buf, n);
    if (ferror(f)) {
        fclose(f);
        return ps_err_sys(err, errno, "read %s", path);
    }
    fclose(f);
    ps_sha256_final(&st, out);
    sodium_bin2hex(sha, 65, out, sizeof(out));
    return 0;
}

int ps_linx_document_add(struct ps_engine *eng, const char *business,
                         const char *id, const char *version,
                         const char *title, const char *path, char sha[65],
                         struct ps_err *err)
{
    struct ps_business b;
    char now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if (id == NULL || id[0] == '\0' || strlen(id) > 64 || version == NULL ||
        version[0] == '\0' || strlen(version) > 32 || title == NULL ||
        title[0] == '\0' || strlen(title) > 200)
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "a document needs an id (1-64), a version (1-32) "
                          "and a title (1-200)");
    if ((rc = file_sha256(path, sha, err)) != 0)
        return rc;
    rc = ps_store_document_insert(eng->store, b.id, id, version, title, sha,
                                  ps_time_now(now), err);
    if (rc == PS_ECONFLICT)
        return ps_err_set(err, PS_ECONFLICT, "DUPLICATE_RECORD",
                          "document %s version %s is already registered", id,
                          version);
    return rc;
}

int ps_linx_list(struct ps_engine *eng, const char *business,
                 const char *status,
                 int (*cb)(void *ctx, const struct ps_linx_row *), void *ctx,
                 struct ps_err *err)
{
    struct ps_business b;
    int rc;
    if (status != NULL && ps_linx_status_parse(status) < 0)
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "%s is not a LinX status", status);
    if (business != NULL &&
        (rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    return ps_store_linx_list(eng->store, business != NULL ? b.id : "",
                              status, cb, ctx, err);
}

static int find(struct ps_engine *eng, const char *business, const char *ref,
                struct ps_linx_row *out, struct ps_err *err)
{
    struct ps_business b;
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    rc = ps_store_linx_by_ref(eng->store, b.id, ref, out, err);
    if (rc == PS_ENOTFOUND)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                          "no LinX request %s in business %s", ref, b.name);
    return rc;
}

int ps_linx_show(struct ps_engine *eng, const char *business, const char *ref,
                 struct ps_linx_row *out,
                 int (*cb)(void *ctx, const struct ps_linx_history_row *),
                 void *ctx, struct ps_err *err)
{
    int rc = find(eng, business, ref, out, err);
    if (rc != 0 || cb == NULL)
        return rc;
    return ps_store_linx_history(eng->store, out->id, cb, ctx, err);
}

int ps_linx_cancel(struct ps_engine *eng, const char *business,
                   const char *ref, const char *reason,
                   struct ps_linx_row *out, struct ps_err *err)
{
    struct ps_linx_row r;
    struct ps_source src = {reason != NULL ? reason : "cancelled by the "
                                                      "business",
                            NULL, 0};
    int rc = find(eng, business, ref, &r, err);
    if (rc != 0)
        return rc;
    return ps_linx_apply(eng->store, r.id, PS_LEV_CANCEL, NULL, &src, out,
                         err);
}

int ps_linx_extend_ref(struct ps_engine *eng, const char *business,
                       const char *ref, const char *expires_at,
                       struct ps_linx_row *out, struct ps_err *err)
{
    struct ps_linx_row r;
    struct ps_source src = {"extended by the business", NULL, 0};
    char at[PS_TIME_SIZE];
    int64_t ms;
    int rc = find(eng, business, ref, &r, err);
    if (rc != 0)
        return rc;
    if (expires_at == NULL || ps_time_parse(expires_at, &ms, err) != 0)
        return ps_err_set(err, PS_EINVAL, "LINX_EXPIRY",
                          "the new expiry is a date or an ISO-8601 time");
    if (strlen(expires_at) == 10)
        ms += 86400000LL - 1; /* a date: the end of that day, UTC */
    return ps_linx_extend(eng->store, r.id, ps_time_format(ms, at), &src, out,
                          err);
}

int ps_webhook_configure(struct ps_engine *eng, const char *business,
                         const char *url, const char *secret_file,
                         struct ps_err *err)
{
    struct ps_business b;
    unsigned char key[PS_WHSIG_KEY_MAX], sealed[PS_WHSIG_KEY_MAX + 64];
    char secret[256], hex[(PS_WHSIG_KEY_MAX + 64) * 2 + 1];
    char now[PS_TIME_SIZE];
    size_t keylen = 0, n;
    FILE *f;
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if (url != NULL &&
        ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
         strlen(url) > 300 || strpbrk(url, " \t\r\n\"") != NULL))
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "a webhook URL is http:// or https://, without "
                          "spaces, at most 300 bytes");
    ps_time_now(now);
    if (secret_file != NULL) {
        if ((f = fopen(secret_file, "r")) == NULL)
            return ps_err_sys(err, errno, "open %s", secret_file);
        n = fread(secret, 1, sizeof(secret) - 1, f);
        fclose(f);
        secret[n] = '\0';
        rc = ps_whsig_secret(secret, key, &keylen, err);
        sodium_memzero(secret, sizeof(secret));
        if (rc != 0)
            return rc;
        /* Kept sealed with the key file: encrypted at rest. */
        rc = ps_keys_seal(eng->keys, key, keylen, sealed, err);
        sodium_memzero(key, sizeof(key));
        if (rc != 0)
            return rc;
        sodium_bin2hex(hex, sizeof(hex), sealed, keylen + PS_SEALED_OVERHEAD);
        if ((rc = ps_store_setting_set(eng->store, b.id, "webhook.secret", hex,
                                       now, err)) != 0)
            return rc;
    }
    if (url != NULL)
        return ps_store_setting_set(eng->store, b.id, "webhook.url", url, now,
                                    err);
    return 0;
}

int ps_events_list(struct ps_engine *eng, const char *business, int dead,
                   int (*cb)(void *ctx, const struct ps_event_info *),
                   void *ctx, struct ps_err *err)
{
    struct ps_business b;
    int rc;
    if (business != NULL &&
        (rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    return ps_store_events_list(eng->store, business != NULL ? b.id : "",
                                dead ? "DEAD" : "", cb, ctx, err);
}

int ps_events_replay(struct ps_engine *eng, const char *business,
                     const char *event_id, long *count, struct ps_err *err)
{
    struct ps_business b;
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if ((rc = ps_store_events_replay(eng->store, b.id, event_id, count,
                                     err)) != 0)
        return rc;
    if (event_id != NULL && *count == 0)
        return ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                          "no event %s in business %s", event_id, b.name);
    return 0;
}

int ps_webhook_target(struct ps_engine *eng, const struct ps_business *b,
                      char *url, size_t url_size,
                      unsigned char key[PS_WHSIG_KEY_MAX], size_t *keylen,
                      struct ps_err *err)
{
    char hex[(PS_WHSIG_KEY_MAX + 64) * 2 + 1];
    unsigned char sealed[PS_WHSIG_KEY_MAX + 64];
    size_t n = 0;
    int rc = ps_store_setting_get(eng->store, b->id, "webhook.url", url,
                                  url_size, err);
    if (rc != 0)
        return rc;
    rc = ps_store_setting_get(eng->store, b->id, "webhook.secret", hex,
                              sizeof(hex), err);
    if (rc == PS_ENOTFOUND)
        return ps_err_set(err, PS_ECONFIG, "WEBHOOK_SECRET",
                          "business %s has a webhook URL but no secret "
                          "(--webhook-secret-file)",
                          b->name);
    if (rc != 0)
        return rc;
    if (sodium_hex2bin(sealed, sizeof(sealed), hex, strlen(hex), NULL, &n,
                       NULL) != 0 ||
        n <= PS_SEALED_OVERHEAD || n - PS_SEALED_OVERHEAD > PS_WHSIG_KEY_MAX)
        return ps_err_set(err, PS_ECONFIG, "WEBHOOK_SECRET",
                          "business %s: the stored webhook secret is damaged",
                          b->name);
    if ((rc = ps_keys_open(eng->keys, sealed, n, key, err)) != 0)
        return rc;
    *keylen = n - PS_SEALED_OVERHEAD;
    return 0;
}

int ps_webhook_due(struct ps_engine *eng, const struct ps_business *b,
                   int (*cb)(void *ctx, const struct ps_event_due *),
                   void *ctx, struct ps_err *err)
{
    return ps_store_events_due(eng->store, b->id, cb, ctx, err);
}

int ps_webhook_result(struct ps_engine *eng, const struct ps_event_due *e,
                      int delivered, const char *next_at, const char *why,
                      int dead, struct ps_err *err)
{
    char now[PS_TIME_SIZE];
    if (delivered)
        return ps_store_event_delivered(eng->store, e->seq, ps_time_now(now),
                                        err);
    return ps_store_event_failed(eng->store, e->seq, e->attempts + 1, next_at,
                                 why, dead, err);
}

int ps_webhook_max_attempts(struct ps_engine *eng, const struct ps_business *b)
{
    char v[16];
    long n;
    if (ps_store_setting_get(eng->store, b->id, "webhook.max_attempts", v,
                             sizeof(v), NULL) != 0)
        return PS_WEBHOOK_MAX_ATTEMPTS;
    n = strtol(v, NULL, 10);
    return n >= 1 && n <= 50 ? (int)n : PS_WEBHOOK_MAX_ATTEMPTS;
}

int ps_webhook_set_attempts(struct ps_engine *eng, const char *business,
                            long n, struct ps_err *err)
{
    struct ps_business b;
    char v[16], now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    if (n < 1 || n > 50)
        return ps_err_set(err, PS_EINVAL, "FIELD_VALUE",
                          "webhook attempts are 1 to 50");
    snprintf(v, sizeof(v), "%ld", n);
    return ps_store_setting_set(eng->store, b.id, "webhook.max_attempts", v,
                                ps_time_now(now), err);
}

long ps_webhook_timeout_ms(struct ps_engine *eng, const struct ps_business *b)
{
    char v[16];
    long n;
    if (ps_store_setting_get(eng->store, b->id, "webhook.timeout_ms", v,
                             sizeof(v), NULL) != 0)
        return 10000;
    n = strtol(v, NULL, 10);
    return n >= 100 && n <= 60000 ? n : 10000;
}

int ps_webhook_set_timeout(struct ps_engine *eng, const char *business,
                           long ms, struct ps_err *err)
{
    struct ps_business b;
    char v[16], now[PS_TIME_SIZE];
    int rc;
    if ((rc = ps_business_find(eng, business, &b, err)) != 0)
        return rc;
    snprintf(v, sizeof(v), "%ld", ms);
    return ps_store_setting_set(eng->store, b.id, "webhook.timeout_ms", v,
                                ps_time_now(now), err);
}
