/*
 * cmd_files.c -- `payspool files list|show|retry`: the documents
 * received, with their status, counts and every rejected or duplicate
 * record; and an input rejected whole taken back, once.
 */
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/money.h"
#include "cli/cli_int.h"
#include "intake/retry.h"

static json_t *file_json(const struct ps_file *f)
{
    char amt[PS_MONEY_STRMAX];
    return json_pack(
        "{s:s, s:s, s:s, s:s?, s:i, s:s, s:I, s:s?, s:s, s:s?, s:I, s:I, "
        "s:I, s:I, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s?}",
        "id", f->id, "businessId", f->business_id, "name", f->name, "member",
        f->member[0] ? f->member : NULL, "document", f->doc_index, "sha256",
        f->sha256, "size", (json_int_t)f->size, "format",
        f->format[0] ? f->format : NULL, "status",
        ps_enum_name(PS_NAMES_FILE_STATUS, (int)f->status), "reason",
        f->reason[0] ? f->reason : NULL, "records", (json_int_t)f->records,
        "accepted", (json_int_t)f->accepted, "rejected",
        (json_int_t)f->rejected, "duplicates", (json_int_t)f->duplicates,
        "amountAccepted",
        ps_money_format(f->amount_accepted, 2, amt, sizeof(amt)), "result",
        f->result_path[0] ? f->result_path : NULL, "archivedAs",
        f->archive_path[0] ? f->archive_path : NULL, "receivedAt",
        f->received_at, "completedAt",
        f->completed_at[0] ? f->completed_at : NULL, "provider",
        f->source[0] ? f->source : NULL, "optionsUsed",
        f->options_used[0] ? f->options_used : NULL);
}

static int list_file(void *vctx, const struct ps_file *f)
{
    struct cli_list *l = vctx;
    if (l->arr != NULL) {
        json_array_append_new(l->arr, file_json(f));
    } else {
        char name[72];
        if (f->member[0])
            snprintf(name, sizeof(name), "%.30s!/%.36s", f->name, f->member);
        else
            snprintf(name, sizeof(name), "%.68s", f->name);
        printf("%-36s %-10s %-40s %-7s %8ld %8ld %8ld %6ld  %s\n", f->id,
               ps_enum_name(PS_NAMES_FILE_STATUS, (int)f->status), name,
               f->format, f->records, f->accepted, f->rejected, f->duplicates,
               f->received_at);
    }
    l->n++;
    return 0;
}

static int add_result_json(void *vctx, const struct ps_record_result_row *r)
{
    json_array_append_new(
        vctx, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "record",
                        (json_int_t)r->record_no, "line", (json_int_t)r->line,
                        "reference", r->reference, "outcome", r->outcome,
                        "code", r->code, "message", r->message));
    return 0;
}

int cmd_files_list(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_business b;
    const char *bus = cli_opt(c, "business");
    long limit;
    struct cli_list l = {c, c->json ? json_array() : NULL, 0};
    if (cli_int_opt(c, "limit", 1, 1000000, 50, &limit, err) != 0 ||
        (bus != NULL && ps_business_find(c->eng, bus, &b, err) != 0)) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (!c->json)
        printf("%-36s %-10s %-40s %-7s %8s %8s %8s %6s  %s\n", "ID", "STATUS",
               "FILE", "FORMAT", "RECORDS", "ACCEPTED", "REJECTED", "DUPS",
               "RECEIVED");
    if (ps_query_files(c->eng, bus ? b.id : NULL, limit, list_file, &l, err) !=
        0) {
        json_decref(l.arr);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(l.arr);
        json_decref(l.arr);
    }
    return EX_OK;
}

static json_t *retry_json(const struct ps_file_retry *r)
{
    /* fileId: the document (file row) retried, another object's id */
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id,
                     "fileId", r->file_id, "reason", r->reason, "by",
                     r->actor, "at", r->retried_at, "from", r->from_path, "to",
                     r->to_path);
}

static int add_retry(void *ctx, const struct ps_file_retry *r)
{
    json_array_append_new(ctx, retry_json(r));
    return 0;
}

/*
 * files show's retries: "retries" (the retries of this document: who,
 * when, why) and "retryOf" (the document whose retry brought this input
 * in), into o; printed after the document's lines when not --json.
 */
static int add_retries(struct cli_ctx *c, const struct ps_file *f, json_t *o,
                       struct ps_err *err)
{
    struct ps_file_retry of;
    json_t *arr = json_array();
    size_t i;
    json_t *v;
    int rc = ps_query_file_retries(c->eng, f->id, add_retry, arr, err);
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    json_object_set_new(o, "retries", arr);
    rc = ps_query_file_retry_of(c->eng, f, &of, err);
    if (rc != 0 && rc != PS_ENOTFOUND)
        return rc;
    json_object_set_new(o, "retryOf",
                        rc == 0 ? json_string(of.file_id) : json_null());
    if (c->json)
        return 0;
    json_array_foreach(arr, i, v)
    {
        printf("retried   %s by %s: %s\n          %s -> %s\n",
               json_string_value(json_object_get(v, "at")),
               json_string_value(json_object_get(v, "by")),
               json_string_value(json_object_get(v, "reason")),
               json_string_value(json_object_get(v, "from")),
               json_string_value(json_object_get(v, "to")));
    }
    if (rc == 0)
        printf("retry of  %s (retried %s by %s: %s)\n", of.file_id,
               of.retried_at, of.actor, of.reason);
    return 0;
}

int cmd_files_show(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_file f;
    json_t *problems = json_array();
    if (ps_query_file_get(c->eng, c->pos[0], &f, err) != 0 ||
        ps_query_record_results(c->eng, f.id, add_result_json, problems, err) !=
            0) {
        json_decref(problems);
        return cli_fail(err);
    }
    json_t *o = file_json(&f);
    json_object_set_new(o, "problems", problems);
    if (add_retries(c, &f, o, err) != 0) {
        json_decref(o);
        return cli_fail(err);
    }
    if (c->json) {
        cli_print_json(o);
    } else {
        size_t i;
        json_t *v;
        printf("file      %s%s%s (document %d)\n", f.name,
               f.member[0] ? "!/" : "", f.member, f.doc_index);
        printf("id        %s\nstatus    %s%s%s\n", f.id,
               ps_enum_name(PS_NAMES_FILE_STATUS, (int)f.status),
               f.reason[0] ? ": " : "", f.reason);
        printf("format    %s\nsha256    %s (%lld bytes)\n", f.format, f.sha256,
               (long long)f.size);
        printf("records   %ld: %ld accepted, %ld rejected, %ld "
               "duplicate\n",
               f.records, f.accepted, f.rejected, f.duplicates);
        printf("received  %s\ncompleted %s\n", f.received_at, f.completed_at);
        if (f.source[0])
            printf("from      provider %s\n", f.source);
        if (f.options_used[0]) /* lenient options, NACHA warnings */
            printf("options   %s\n", f.options_used);
        if (f.result_path[0])
            printf("result    %s\n", f.result_path);
        if (f.archive_path[0])
            printf("input now %s\n", f.archive_path);
        json_array_foreach(problems, i, v)
        {
            printf("  line %-6lld %-9s %-28s %s\n",
                   (long long)json_integer_value(json_object_get(v, "line")),
                   json_string_value(json_object_get(v, "outcome")),
                   json_string_value(json_object_get(v, "code")),
                   json_string_value(json_object_get(v, "message")));
        }
    }
    json_decref(o);
    return EX_OK;
}

/* The operator asking: the login user, else the effective uid's name. */
static void actor_name(char *buf, size_t size)
{
    const char *u = getenv("SUDO_USER");
    struct passwd *pw;
    if (u == NULL || u[0] == '\0') {
        pw = getpwuid(geteuid());
        u = pw != NULL ? pw->pw_name : NULL;
    }
    if (u == NULL)
        snprintf(buf, size, "uid %ld", (long)geteuid());
    else
        snprintf(buf, size, "%s", u);
}

/* files retry ID --reason TEXT (intake/retry.c does the work). */
int cmd_files_retry(struct cli_ctx *c, struct ps_err *err)
{
    struct ps_file_retry r;
    const char *reason;
    char actor[64];
    if (cli_need(c, "reason", &reason, err) != 0)
        return cli_fail(err);
    actor_name(actor, sizeof(actor));
    if (ps_retry_input(c->eng, c->spool, c->pos[0], reason, actor, &r, err) !=
        0)
        return cli_fail(err);
    if (c->json) {
        json_t *o = retry_json(&r);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("retried   %s (%s)\nmoved     %s -> %s\n", r.file_id, r.name,
               r.from_path, r.to_path);
        printf("the next pass takes it as a new input\n");
    }
    return EX_OK;
}
