/*
 * webhook.c -- webhook delivery with libcurl.  See webhook.h.
 */
#include "outbound/webhook.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/linxapi.h"

#define MAX_BLOCKED 4096 /* customers held back in one pass */

struct pass {
    struct ps_event_due *v;
    size_t n, cap;
};

static int collect(void *ctx, const struct ps_event_due *e)
{
    struct pass *p = ctx;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct ps_event_due *v = realloc(p->v, cap * sizeof(*v));
        if (v == NULL)
            return 1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = *e;
    return 0;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

/* One POST: 0 on a 2xx, else why in why[]. */
static int post(CURL *h, const char *url, const unsigned char *key,
                size_t keylen, const struct ps_event_due *e, long timeout_ms,
                char *why, size_t why_size)
{
    struct curl_slist *hd = NULL;
    char idh[80], tsh[64], sigh[PS_WHSIG_SIZE + 32], sig[PS_WHSIG_SIZE];
    int64_t ts = ps_clock_now_ms() / 1000;
    long status = 0;
    CURLcode cc;
    ps_whsig_sign(key, keylen, e->event_id, ts, e->payload,
                  strlen(e->payload), sig);
    snprintf(idh, sizeof(idh), "webhook-id: %s", e->event_id);
    snprintf(tsh, sizeof(tsh), "webhook-timestamp: %" PRId64, ts);
    snprintf(sigh, sizeof(sigh), "webhook-signature: %s", sig);
    hd = curl_slist_append(hd, "Content-Type: application/json");
    hd = curl_slist_append(hd, idh);
    hd = curl_slist_append(hd, tsh);
    hd = curl_slist_append(hd, sigh);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, e->payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(e->payload));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    cc = curl_easy_perform(h);
    curl_slist_free_all(hd);
    if (cc != CURLE_OK) {
        snprintf(why, why_size, "%s", curl_easy_strerror(cc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        snprintf(why, why_size, "HTTP status %ld", status);
        return -1;
    }
    return 0;
}

/* 5 s x 4^(attempts-1), at most a day, +-20% jitter. */
static int64_t backoff_ms(int attempts)
{
    int64_t d = 5000;
    for (int i = 1; i < attempts && d < 86400000LL; i++)
        d *= 4;
    if (d > 86400000LL)
        d = 86400000LL;
    return d * (80 + (int64_t)randombytes_uniform(41)) / 100;
}

static int blocked(char (*blk)[PS_ID_SIZE], size_t nblk, const char *cust)
{
    for (size_t i = 0; cust[0] != '\0' && i < nblk; i++)
        if (strcmp(blk[i], cust) == 0)
            return 1;
    return 0;
}

int ps_webhook_deliver(struct ps_engine *eng, const struct ps_business *b,
                       int64_t now_ms, int max_attempts, long timeout_ms,
                       struct ps_webhook_result *res, struct ps_err *err)
{
    char url[512], now[PS_TIME_SIZE], (*blk)[PS_ID_SIZE] = NULL;
    unsigned char key[PS_WHSIG_KEY_MAX];
    size_t keylen = 0, nblk = 0;
    struct pass p = {NULL, 0, 0};
    CURL *h = NULL;
    int rc;
    memset(res, 0, sizeof(*res));
    rc = ps_webhook_target(eng, b, url, sizeof(url), key, &keylen, err);
    if (rc == PS_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    ps_time_format(now_ms, now);
    if ((rc = ps_webhook_due(eng, b, collect, &p, err)) != 0)
        goto out;
    blk = calloc(MAX_BLOCKED, sizeof(*blk));
    if ((h = curl_easy_init()) == NULL || blk == NULL) {
        rc = ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        struct ps_event_due *e = &p.v[i];
        char why[256], next[PS_TIME_SIZE];
        if (blocked(blk, nblk, e->customer_id))
            continue;
        if (e->next_attempt_at[0] != '\0' &&
            strcmp(e->next_attempt_at, now) > 0) {
            if (e->customer_id[0] != '\0' && nblk < MAX_BLOCKED)
                ps_strlcpy(blk[nblk++], e->customer_id, PS_ID_SIZE);
            continue;
        }
        if (post(h, url, key, keylen, e, timeout_ms, why, sizeof(why)) == 0) {
            rc = ps_webhook_result(eng, e, 1, NULL, NULL, 0, err);
            res->delivered++;
            continue;
        }
        int dead = e->attempts + 1 >= max_attempts;
        ps_time_format(now_ms + backoff_ms(e->attempts + 1), next);
        rc = ps_webhook_result(eng, e, 0, next, why, dead, err);
        dead ? res->dead++ : res->failed++;
        if (!dead && e->customer_id[0] != '\0' && nblk < MAX_BLOCKED)
            ps_strlcpy(blk[nblk++], e->customer_id, PS_ID_SIZE);
    }
out:
    sodium_memzero(key, sizeof(key));
    if (h != NULL)
        curl_easy_cleanup(h);
    free(blk);
    free(p.v);
    return rc;
}
