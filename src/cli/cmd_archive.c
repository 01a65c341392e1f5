/*
 * cmd_archive.c -- `payspool archive show|list`: the inputs kept at rest,
 * encrypted under the key file (archive/ and sealed failed/ inputs,
 * intake/seal.h), read back for an operator.
 *
 * `show` takes a path or a file id (the store's archive_path; for an
 * input in failed/ that has since been sealed, its NAME.gz.enc).  The
 * whole archive is authenticated before a byte is written, so a
 * tampered one gives nothing (ARCHIVE_TAMPERED, exit 65); --out writes
 * a new file of mode 0600 and never overwrites one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/crypto.h"
#include "base/fsutil.h"
#include "cli/cli_int.h"
#include "intake/retention.h"
#include "intake/seal.h"

static int fd_sink(void *ctx, const void *buf, size_t len, struct ps_err *err)
{
    int fd = *(int *)ctx;
    if (ps_write_all(fd, buf, len) != 0)
        return ps_err_sys(err, errno, "cannot write the archive's content");
    return 0;
}

/* PATH as given, or the archive of file id ARG. */
static int archive_path(struct cli_ctx *c, const char *arg, char *out,
                        size_t size, struct ps_err *err)
{
    struct stat st;
    struct ps_file f;
    int rc;
    if (stat(arg, &st) == 0 || strchr(arg, '/') != NULL) {
        ps_strlcpy(out, arg, size);
        return 0;
    }
    if ((rc = ps_query_file_get(c->eng, arg, &f, err)) != 0)
        return rc;
    if (f.archive_path[0] == '\0')
        return ps_err_set(err, PS_ENOTFOUND, "NOT_FOUND",
                          "file %s has no archived input (yet)", arg);
    if (stat(f.archive_path, &st) != 0 &&
        ps_pathf(out, size, "%s%s", f.archive_path, PS_SEAL_SUFFIX) == 0 &&
        stat(out, &st) == 0)
        return 0; /* a failed input sealed since */
    if (stat(f.archive_path, &st) != 0 && errno == ENOENT)
        return ps_err_set(err, PS_ENOTFOUND, "ARCHIVE_GONE",
                          "file %s: its archive %s is gone (pruned by the "
                          "retention policy, or removed)",
                          arg, f.archive_path);
    ps_strlcpy(out, f.archive_path, size);
    return 0;
}

int cmd_archive_show(struct cli_ctx *c, struct ps_err *err)
{
    char path[CLI_PATH + 16];
    const char *to = cli_opt(c, "out");
    struct ps_keys *keys = NULL;
    int fd = STDOUT_FILENO, rc;
    if ((rc = archive_path(c, c->pos[0], path, sizeof(path), err)) != 0 ||
        (rc = ps_keys_load(c->key, &keys, err)) != 0)
        return cli_fail(err);
    /* Check it all first: nothing is created for a tampered archive. */
    rc = ps_seal_read(keys, path, NULL, NULL, NULL, err);
    if (rc == 0 && to != NULL) {
        fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0)
            rc = errno == EEXIST
                     ? ps_err_set(err, PS_ECONFLICT, "OUTPUT_EXISTS",
                                  "%s exists; it is never overwritten", to)
                     : ps_err_sys(err, errno, "cannot create %s", to);
        else if (fchmod(fd, 0600) != 0)
            rc = ps_err_sys(err, errno, "cannot chmod %s", to);
    }
    if (rc == 0)
        rc = ps_seal_read(keys, path, fd_sink, &fd, NULL, err);
    if (to != NULL && fd >= 0) {
        if (rc == 0 && fsync(fd) != 0)
            rc = ps_err_sys(err, errno, "cannot sync %s", to);
        close(fd);
        if (rc != 0)
            (void)unlink(to);
    }
    ps_keys_free(keys);
    return rc != 0 ? cli_fail(err) : EX_OK;
}

struct walk {
    json_t *arr; /* NULL: print */
    int n;
};

/* Every sealed file under dir (depth-first, sorted by name). */
static void walk_sealed(struct walk *w, const char *dir, int depth)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[CLI_PATH * 2];
        struct stat st;
        const char *name = ents[i]->d_name;
        if (name[0] != '.' &&
            ps_pathf(path, sizeof(path), "%s/%s", dir, name) == 0 &&
            lstat(path, &st) == 0) {
            size_t len = strlen(name), m = strlen(PS_SEAL_SUFFIX);
            if (S_ISDIR(st.st_mode) && depth < 6)
                walk_sealed(w, path, depth + 1);
            else if (S_ISREG(st.st_mode) && len > m &&
                     strcmp(name + len - m, PS_SEAL_SUFFIX) == 0) {
                if (w->arr != NULL)
                    json_array_append_new(w->arr,
                                          json_pack("{s:s, s:I}", "path", path,
                                                    "bytes",
                                                    (json_int_t)st.st_size));
                else
                    printf("%12lld  %s\n", (long long)st.st_size, path);
                w->n++;
            }
        }
        free(ents[i]);
    }
    free(ents);
}

int cmd_archive_list(struct cli_ctx *c, struct ps_err *err)
{
    char dir[CLI_PATH + 16];
    struct walk w = {c->json ? json_array() : NULL, 0};
    (void)err;
    static const char *const roots[] = {"archive", "failed"};
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
        if (ps_pathf(dir, sizeof(dir), "%s/%s", c->spool, roots[i]) == 0)
            walk_sealed(&w, dir, 0);
    if (w.arr != NULL) {
        cli_print_json(w.arr);
        json_decref(w.arr);
    }
    return EX_OK;
}

static void prune_print(void *ctx, const char *path, int64_t bytes)
{
    json_t *arr = ctx;
    if (arr != NULL)
        json_array_append_new(arr, json_pack("{s:s, s:I}", "path", path,
                                             "bytes", (json_int_t)bytes));
    else
        printf("%12lld  %s\n", (long long)bytes, path);
}

/*
 * `archive prune [--older-than DAYS] [--dry-run]`: DAYS from the option,
 * else [spool] archive_retention_days; neither is RETENTION_NOT_SET
 * (exit 78): deleting needs a policy someone wrote down.
 */
int cmd_archive_prune(struct cli_ctx *c, struct ps_err *err)
{
    int dry = cli_opt(c, "dry-run") != NULL, days = c->cfg.archive_retention_days;
    struct ps_prune_stats st;
    long v;
    if (cli_int_opt(c, "older-than", 1, 36500, days, &v, err) != 0)
        return cli_fail(err);
    days = (int)v;
    if (days < 1) {
        ps_err_set(err, PS_ECONFIG, "RETENTION_NOT_SET",
                   "no retention: give --older-than DAYS or set [spool] "
                   "archive_retention_days in %s",
                   c->config[0] != '\0' ? c->config : "the configuration");
        return cli_fail(err);
    }
    json_t *arr = c->json ? json_array() : NULL;
    int rc = ps_archive_prune(c->spool, days, dry, prune_print, arr, &st, err);
    if (arr != NULL) {
        json_t *o = json_pack("{s:i, s:b, s:I, s:I, s:I, s:o}", "olderThanDays",
                              days, "dryRun", dry, "files", (json_int_t)st.files,
                              "bytes", (json_int_t)st.bytes, "kept",
                              (json_int_t)st.kept, "pruned", arr);
        cli_print_json(o);
        json_decref(o);
    } else
        printf("%s%ld archived inputs (%lld bytes) older than %d days%s\n",
               dry ? "would prune " : "pruned ", st.files,
               (long long)st.bytes, days,
               st.kept > 0 ? "; entries not payspool's were left" : "");
    return rc != 0 ? cli_fail(err) : EX_OK;
}
