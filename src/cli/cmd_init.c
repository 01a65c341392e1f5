/*
 * cmd_init.c -- `payspool init`: the spool tree (0750), the key file
 * (0600) and the database; safe to run again.  Needs nothing set up: it
 * creates what the other commands open.
 */
#include <stdio.h>
#include <sysexits.h>

#include "base/crypto.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "cli/cli_int.h"
#include "intake/channel.h"

static int init_business_dirs(void *vctx, const struct ps_business *b)
{
    struct cli_ctx *c = vctx;
    struct ps_err err;
    ps_err_clear(&err);
    if (ps_spool_business_dirs(c->spool, b->name, &err) != 0 ||
        ps_channel_dirs(c->spool, &c->cfg, b->name, &err) != 0)
        cli_fail(&err);
    return 0;
}

/*
 * <spool>/jobs/: where the spool's jobs live (cli.c's load_jobs reads it
 * unless --jobs or PAYSPOOL_JOBS names another folder).  Made empty: the
 * shipped jobs/ of the source tree are examples, copied in by an operator
 * who wants them (`cp jobs/nightly-ewa.job <spool>/jobs/`), so a new
 * spool never fires a job nobody chose.
 */
static int init_jobs_dir(struct cli_ctx *c, struct ps_err *err)
{
    char path[CLI_PATH];
    if (ps_pathf(path, sizeof(path), "%s/jobs", c->spool) != 0)
        return ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG",
                          "spool path too long");
    return ps_mkdir_p(path, 0750, err);
}

int cmd_init(struct cli_ctx *c, struct ps_err *err)
{
    static const char *const top[] = {"inbound", "work",     "archive",
                                      "failed",  "outbound", "providers"};
    int rc, created = 0;
    if ((rc = ps_mkdir_p(c->spool, 0750, err)) != 0)
        return cli_fail(err);
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        char path[CLI_PATH];
        if (ps_pathf(path, sizeof(path), "%s/%s", c->spool, top[i]) != 0) {
            ps_err_set(err, PS_EINVAL, "PATH_TOO_LONG", "spool path too long");
            return cli_fail(err);
        }
        if ((rc = ps_mkdir_p(path, 0750, err)) != 0)
            return cli_fail(err);
    }
    if ((rc = init_jobs_dir(c, err)) != 0)
        return cli_fail(err);
    if ((rc = ps_crypto_init(err)) != 0 ||
        (rc = ps_keys_create(c->key, &created, err)) != 0 ||
        (rc = ps_engine_open(c->db, c->key, &c->eng, err)) != 0)
        return cli_fail(err);
    if ((rc = ps_query_businesses(c->eng, init_business_dirs, c, err)) != 0)
        return cli_fail(err);
    ps_log(PS_LOG_INFO, "init.done", "{s:s, s:s, s:b}", "spool", c->spool, "db",
           c->db, "key_created", created);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i}", "spool", c->spool,
                              "db", c->db, "key", c->key, "keyCreated", created,
                              "schemaVersion", ps_query_schema_version(c->eng));
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("spool     %s\n", c->spool);
        printf("database  %s (schema version %d)\n", c->db,
               ps_query_schema_version(c->eng));
        printf("key file  %s (%s, mode 0600; keep it outside the spool "
               "and back it up)\n",
               c->key, created ? "created" : "already present");
    }
    return EX_OK;
}
