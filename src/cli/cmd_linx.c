/*
 * cmd_linx.c -- `payspool linx list|show|extend|cancel`, `payspool
 * document add` and `payspool business set`: LinX requests, the
 * business's documents and its LinX settings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli_int.h"
#include "engine/linxapi.h"

static json_t *linx_json(const struct ps_linx_row *r)
{
    json_t *acts = cli_camel_keys(json_loads(r->activities, 0, NULL));
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:o?, s:s, s:s,"
                     " s:i, s:s?, s:s?, s:s, s:s}",
                     "id", r->id, "ref", r->ref, "mobile", r->mobile,
                     "customerId", r->customer_id[0] ? r->customer_id : NULL,
                     "customerExternalId",
                     r->customer_external_id[0] ? r->customer_external_id
                                                : NULL,
                     "status", r->status, "template",
                     r->template_name[0] ? r->template_name : NULL,
                     "activities", acts, "expiresAt", r->expires_at,
                     "tokenHash", "(keyed hash, never shown)", "remindersSent",
                     r->reminders_sent, "declineReason",
                     r->decline_reason[0] ? r->decline_reason : NULL,
                     "failure", r->failure[0] ? r->failure : NULL,
                     "createdAt", r->created_at, "updatedAt", r->updated_at);
}

static int list_row(void *vctx, const struct ps_linx_row *r)
{
    struct cli_list *l = vctx;
    if (l->arr != NULL)
        json_array_append_new(l->arr, linx_json(r));
    else
        printf("%-20s %-12s %-16s %-20s %s\n", r->ref, r->status, r->mobile,
               r->template_name[0] ? r->template_name : "(list)",
               r->expires_at);
    l->n++;
    return 0;
}

int cmd_linx_list(struct cli_ctx *c, struct ps_err *err)
{
    struct cli_list l = {c, c->json ? json_array() : NULL, 0};
    if (!c->json)
        printf("%-20s %-12s %-16s %-20s %s\n", "REF", "STATUS", "MOBILE",
               "TEMPLATE", "EXPIRES");
    if (ps_linx_list(c->eng, cli_opt(c, "business"), cli_opt(c, "status"),
                     list_row, &l, err) != 0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}

static int history_row(void *ctx, const struct ps_linx_history_row *h)
{
    json_t *arr = ctx;
    if (arr != NULL)
        json_array_append_new(
            arr, json_pack("{s:s?, s:s, s:s, s:s?, s:s}", "from",
                           h->from_status[0] ? h->from_status : NULL, "to",
                           h->to_status, "event", h->event, "reason",
                           h->reason[0] ? h->reason : NULL, "at", h->at));
    else
        printf("  %s %-8s %s -> %s%s%s\n", h->at, h->event,
               h->from_status[0] ? h->from_status : "-", h->to_status,
               h->reason[0] ? ": " : "", h->reason);
    return 0;
}

static int print_one(struct cli_ctx *c, const struct ps_linx_row *r,
                     int history, struct ps_err *err)
{
    json_t *o = linx_json(r), *hist = c->json ? json_array() : NULL;
    struct ps_linx_row again;
    if (!c->json) {
        printf("LinX request %s (%s): %s\n  mobile %s, expires %s, "
               "%d reminders\n  activities %s\n",
               r->ref, r->id, r->status, r->mobile, r->expires_at,
               r->reminders_sent, r->activities);
        if (r->decline_reason[0] != '\0')
            printf("  declined: %s\n", r->decline_reason);
        if (r->failure[0] != '\0')
            printf("  failed: %s\n", r->failure);
    }
    if (history && r->customer_id[0] != '\0') {
        /* The customer's identity details, masked. */
        if (cli_identity_json(c, o, r->customer_id, err) != 0) {
            json_decref(o);
            json_decref(hist);
            return cli_fail(err);
        }
        if (!c->json) {
            json_t *id = json_object_get(o, "identity");
            const char *d = json_string_value(json_object_get(id, "dateOfBirth"));
            const char *t = json_string_value(json_object_get(id, "taxId"));
            printf("  customer %s", r->customer_id);
            if (d != NULL)
                printf(", birth %s", d);
            if (t != NULL)
                printf(", tax id %s", t);
            printf("\n");
        }
    }
    /* Under --json every command prints the whole request, history too. */
    if ((history || c->json) &&
        ps_linx_show(c->eng, cli_opt(c, "business"), r->ref, &again,
                     history_row, hist, err) != 0) {
        json_decref(o);
        json_decref(hist);
        return cli_fail(err);
    }
    if (c->json) {
        if (hist != NULL)
            json_object_set_new(o, "history", hist);
        cli_print_json(o);
    }
    json_decref(o);
    return EX_OK;
}

int cmd_linx_show(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_linx_row r;
    const char *b;
    if (cli_need(c, "business", &b, err) != 0 ||
        ps_linx_show(c->eng, b, c->pos[0], &r, NULL, NULL, err) != 0)
        return cli_fail(err);
    return print_one(c, &r, 1, err);
}

int cmd_linx_extend(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_linx_row r;
    const char *b, *until;
    if (cli_need(c, "business", &b, err) != 0 ||
        cli_need(c, "until", &until, err) != 0 ||
        ps_linx_extend_ref(c->eng, b, c->pos[0], until, &r, err) != 0)
        return cli_fail(err);
    return print_one(c, &r, 0, err);
}

int cmd_linx_resend(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_linx_row r;
    const char *b;
    if (cli_need(c, "business", &b, err) != 0 ||
        ps_linx_resend(c->eng, b, c->pos[0], &r, err) != 0)
        return cli_fail(err);
    return print_one(c, &r, 0, err);
}

int cmd_linx_cancel(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_linx_row r;
    const char *b;
    if (cli_need(c, "business", &b, err) != 0 ||
        ps_linx_cancel(c->eng, b, c->pos[0], cli_opt(c, "reason"), &r,
                       err) != 0)
        return cli_fail(err);
    return print_one(c, &r, 0, err);
}

int cmd_document_add(struct cli_ctx *c, struct ps_err *err)
{
    const char *b, *version, *title, *file;
    char sha[65];
    if (cli_need(c, "business", &b, err) != 0 ||
        cli_need(c, "version", &version, err) != 0 ||
        cli_need(c, "title", &title, err) != 0 ||
        cli_need(c, "file", &file, err) != 0 ||
        ps_linx_document_add(c->eng, b, c->pos[0], version, title, file, sha,
                             err) != 0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", c->pos[0],
                              "version", version, "title", title, "sha256",
                              sha);
        cli_print_json(o);
        json_decref(o);
    } else
        printf("document %s version %s registered (sha256 %s)\n", c->pos[0],
               version, sha);
    return EX_OK;
}

int cmd_business_set(struct cli_ctx *c, struct ps_err *err)
{
    const char *url = cli_opt(c, "gateway-url");
    const char *hook = cli_opt(c, "webhook-url");
    const char *secret = cli_opt(c, "webhook-secret-file");
    long ms = -1, n = -1; /* -1: not set */
    if (url == NULL && hook == NULL && secret == NULL &&
        cli_opt(c, "webhook-attempts") == NULL &&
        cli_opt(c, "webhook-timeout-ms") == NULL)
        return cli_usage_error(c, "nothing to set: give --gateway-url URL, "
                                  "--webhook-url URL or "
                                  "--webhook-secret-file F");
    if (url != NULL && ps_linx_set_gateway(c->eng, c->pos[0], url, err) != 0)
        return cli_fail(err);
    if (cli_opt(c, "webhook-timeout-ms") != NULL) {
        if (cli_int_opt(c, "webhook-timeout-ms", 100, 60000, 10000, &ms,
                        err) != 0 ||
            ps_webhook_set_timeout(c->eng, c->pos[0], ms, err) != 0)
            return cli_fail(err);
    }
    if (cli_opt(c, "webhook-attempts") != NULL) {
        if (cli_int_opt(c, "webhook-attempts", 1, 50, 8, &n, err) != 0 ||
            ps_webhook_set_attempts(c->eng, c->pos[0], n, err) != 0)
            return cli_fail(err);
    }
    if ((hook != NULL || secret != NULL) &&
        ps_webhook_configure(c->eng, c->pos[0], hook, secret, err) != 0)
        return cli_fail(err);
    if (c->json) {
        /* What was set; the secret itself is never shown. */
        json_t *o = json_pack(
            "{s:s, s:s?, s:s?, s:b, s:o, s:o}", "business", c->pos[0],
            "gatewayUrl", url, "webhookUrl", hook, "webhookSecretSet",
            secret != NULL, "webhookAttempts",
            n >= 0 ? json_integer(n) : json_null(), "webhookTimeoutMs",
            ms >= 0 ? json_integer(ms) : json_null());
        cli_print_json(o);
        json_decref(o);
    } else
        printf("business %s: settings saved\n", c->pos[0]);
    return EX_OK;
}

/* payspool linx answers FILE --business B: a gateway answer file (JSON
 * Lines), applied line by line; one result object per line on stdout.
 * Lines refused or failed do not fail the command: their results say
 * why. */
int cmd_linx_answers(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    const char *bn;
    char *line = NULL;
    size_t cap = 0;
    long no = 0, done = 0, refused = 0;
    FILE *f;
    if (cli_need(c, "business", &bn, err) != 0 ||
        ps_business_find(c->eng, bn, &b, err) != 0)
        return cli_fail(err);
    if ((f = fopen(c->pos[0], "r")) == NULL) {
        ps_err_sys(err, errno, "open %s", c->pos[0]);
        return cli_fail(err);
    }
    while (getline(&line, &cap, f) > 0) {
        struct ps_linx_answer a;
        struct ps_err e;
        json_t *o;
        char *js;
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        ps_err_clear(&e);
        int rc = ps_linx_answer(c->eng, &b, line, &a, &e);
        if (rc != 0 && rc != PS_EINVAL && rc != PS_ENOTFOUND &&
            rc != PS_ESTATE) {
            fclose(f);
            free(line);
            return cli_fail(&e);
        }
        rc == 0 ? done++ : refused++;
        o = json_pack("{s:I, s:s?, s:s, s:s?, s:s?, s:s?}", "line",
                      (json_int_t)no, "ref", a.ref[0] ? a.ref : NULL,
                      "outcome", rc == 0 ? "ACCEPTED" : "REJECTED", "status",
                      a.status[0] ? a.status : NULL, "code",
                      rc != 0 ? e.rule : NULL, "message",
                      rc != 0 ? e.msg : (a.ids[0] ? a.ids : NULL));
        js = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        if (js != NULL)
            printf("%s\n", js);
        free(js);
        json_decref(o);
    }
    fclose(f);
    free(line);
    if (!c->json)
        fprintf(stderr, "%ld answers applied, %ld refused\n", done, refused);
    return EX_OK;
}
