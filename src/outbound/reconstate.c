/*
 * reconstate.c -- the last reconciliation's findings per business, as a
 * small JSON file for the metrics (reconstate.h).  Written with jansson,
 * read with jansson.
 *
 * How it fails: see reconstate.h.
 */
#include "outbound/reconstate.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fsutil.h"
#include "base/model.h"

static int state_path(const char *spool, const char *business, char *dir,
                      size_t dsize, char *path, size_t psize,
                      struct ps_err *err)
{
    if (ps_pathf(dir, dsize, "%s/metrics/recon", spool) != 0 ||
        ps_pathf(path, psize, "%s/%s.json", dir, business) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "spool path too long: %s", spool);
    return 0;
}

int ps_recon_state_write(const char *spool, const char *business,
                         const struct ps_recon_state *r, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], path[PS_PATH_SIZE], tmp[PS_PATH_SIZE + 32];
    char now[PS_TIME_SIZE];
    json_t *trial = json_array(), *rates = json_array(), *o;
    char *text = NULL;
    int rc, fd = -1;

    for (int i = 0; i < r->ntrial; i++)
        json_array_append_new(trial,
                              json_pack("{s:s, s:I, s:I}", "currency",
                                        r->trial[i].currency, "balance",
                                        (json_int_t)r->trial[i].balance,
                                        "crossCurrencyEntries",
                                        (json_int_t)r->trial[i].mismatched));
    for (int i = 0; i < r->nrates; i++)
        json_array_append_new(
            rates, json_pack("{s:s, s:I, s:I, s:I, s:b}", "category",
                             r->rates[i].category, "thresholdBp",
                             (json_int_t)r->rates[i].threshold_bp, "entries",
                             (json_int_t)r->rates[i].entries, "returns",
                             (json_int_t)r->rates[i].returns, "over",
                             r->rates[i].over));
    o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:o}",
                  "business", business, "businessDate", r->business_date,
                  "generated", ps_time_now(now), "trialBalanced",
                  r->trial_balanced, "trialBalance", trial, "unknownReferences",
                  (json_int_t)r->unknown_references, "awaiting",
                  (json_int_t)r->awaiting, "late", (json_int_t)r->late,
                  "filesMismatched", (json_int_t)r->files_mismatched,
                  "receivableDifferences", (json_int_t)r->receivable_diffs,
                  "returnRates", rates);
    if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
        json_decref(o);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    json_decref(o);
    if ((rc = state_path(spool, business, dir, sizeof(dir), path, sizeof(path),
                         err)) != 0 ||
        (rc = ps_mkdir_p(dir, 0750, err)) != 0)
        goto out;
    snprintf(tmp, sizeof(tmp), "%s/.%s.json.%ld", dir, business,
             (long)getpid());
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
        goto out;
    }
    if (ps_write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = ps_err_sys(err, errno, "cannot write %s", tmp);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        rc = ps_err_sys(err, errno, "cannot rename %s", tmp);
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(text);
    return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

int ps_recon_state_read(const char *spool, const char *business,
                        struct ps_recon_state *r, struct ps_err *err)
{
    char dir[PS_PATH_SIZE], path[PS_PATH_SIZE];
    json_error_t je;
    json_t *o, *trial, *rates, *v;
    const char *date = NULL, *gen = NULL;
    size_t i;
    int64_t ms = 0;
    int rc =
        state_path(spool, business, dir, sizeof(dir), path, sizeof(path), err);
    if (rc != 0)
        return rc;
    if (access(path, F_OK) != 0)
        return errno == ENOENT
                   ? ps_err_set(err, PS_ENOTFOUND, "RECON_STATE",
                                "no reconciliation of %s yet", business)
                   : ps_err_sys(err, errno, "cannot read %s", path);
    if ((o = json_load_file(path, 0, &je)) == NULL)
        return ps_err_set(err, PS_EINVAL, "RECON_STATE", "%s: %s", path,
                          je.text);
    memset(r, 0, sizeof(*r));
    if (json_unpack(o, "{s:s, s:s, s:b, s:o, s:o}", "businessDate", &date,
                    "generated", &gen, "trialBalanced", &r->trial_balanced,
                    "trialBalance", &trial, "returnRates", &rates) != 0 ||
        !json_is_array(trial) || !json_is_array(rates) ||
        ps_time_parse(gen, &ms, NULL) != 0) {
        json_decref(o);
        return ps_err_set(err, PS_EINVAL, "RECON_STATE",
                          "%s is not a reconciliation state", path);
    }
    ps_strlcpy(r->business_date, date, sizeof(r->business_date));
    r->unknown_references =
        (long)json_integer_value(json_object_get(o, "unknownReferences"));
    r->awaiting = (long)json_integer_value(json_object_get(o, "awaiting"));
    r->late = (long)json_integer_value(json_object_get(o, "late"));
    r->files_mismatched =
        (long)json_integer_value(json_object_get(o, "filesMismatched"));
    r->receivable_diffs =
        (long)json_integer_value(json_object_get(o, "receivableDifferences"));
    json_array_foreach(trial, i, v)
    {
        if (r->ntrial == PS_RECON_STATE_CURRENCIES)
            break;
        int k = r->ntrial++;
        ps_strlcpy(r->trial[k].currency, str_of(v, "currency"),
                   sizeof(r->trial[k].currency));
        r->trial[k].balance = json_integer_value(json_object_get(v, "balance"));
        r->trial[k].mismatched =
            json_integer_value(json_object_get(v, "crossCurrencyEntries"));
    }
    json_array_foreach(rates, i, v)
    {
        if (r->nrates == 3)
            break;
        struct ps_recon_rate *t = &r->rates[r->nrates++];
        ps_strlcpy(t->category, str_of(v, "category"), sizeof(t->category));
        t->threshold_bp = json_integer_value(json_object_get(v, "thresholdBp"));
        t->entries = json_integer_value(json_object_get(v, "entries"));
        t->returns = json_integer_value(json_object_get(v, "returns"));
        t->over = json_is_true(json_object_get(v, "over"));
    }
    json_decref(o);
    r->generated_s = ms / 1000;
    return 0;
}
