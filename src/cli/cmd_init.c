/*
 * cmd_init.c -- `payspool init`: the spool tree (0750), the key file
 * (0600) and the database; safe to run again.  Needs nothing set up: it
 * creates what the other commands open.  `init --system` (root only) does
 * it at the FHS places (/etc/payspool, /var/spool/payspool,
 * /var/lib/payspool, /var/log/payspool) for the `payspool` system user,
 * created with useradd when missing, and gives that user the tree.
 */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

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

/* ---- init --system --------------------------------------------------- */

#define SYS_USER "payspool"
#define SYS_ETC "/etc/payspool"
#define SYS_LIB "/var/lib/payspool"
#define SYS_LOG "/var/log/payspool"

extern char **environ;

/* The payspool system user and group: looked up, else made by useradd
 * (shadow's, in Debian's passwd package).  0, or an exit status after a
 * message. */
static int system_user(int json, uid_t *uid, gid_t *gid)
{
    char *argv[] = {"useradd",    "--system",   "--user-group",
                    "--home-dir", SYS_LIB,      "--no-create-home",
                    "--shell",    "/usr/sbin/nologin",
                    "--comment",  "payspool batch payments engine",
                    SYS_USER,     NULL};
    struct passwd *pw = getpwnam(SYS_USER);
    pid_t pid;
    int st;
    if (pw == NULL) {
        if (posix_spawnp(&pid, "useradd", NULL, NULL, argv, environ) != 0 ||
            waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0 || (pw = getpwnam(SYS_USER)) == NULL) {
            cli_error(PS_EIO, "SYSTEM_INIT",
                      "cannot create the system user %s (useradd --system "
                      "--user-group %s failed)",
                      SYS_USER, SYS_USER);
            return EX_OSERR;
        }
        if (!json) /* --json: stdout holds the one object */
            printf("user      %s (created, system)\n", SYS_USER);
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

static uid_t tree_uid;
static gid_t tree_gid;

/* nftw callback: the spool's every folder and file to the payspool user. */
static int chown_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return lchown(path, tree_uid, tree_gid) == 0 ? 0 : -1;
}

/* mkdir -p path, then its owner and mode (also when it was there). */
static int own_dir(const char *path, uid_t uid, gid_t gid, mode_t mode,
                   struct ps_err *err)
{
    if (ps_mkdir_p(path, mode, err) != 0)
        return err->code;
    if (chown(path, uid, gid) != 0 || chmod(path, mode) != 0)
        return ps_err_sys(err, errno, "cannot set the owner of %s", path);
    return 0;
}

/* Before the ordinary init: root, the user, the /etc, /var/lib and
 * /var/log folders, and the paths at the FHS places. */
static int system_before(struct cli_ctx *c, uid_t *uid, gid_t *gid,
                         struct ps_err *err)
{
    int rc;
    if (geteuid() != 0) {
        cli_error(PS_ESTATE, "SYSTEM_INIT",
                  "init --system lays out %s, /var/spool/payspool, %s and %s "
                  "for the %s system user: run it as root (or run init "
                  "--spool DIR for a spool of your own)",
                  SYS_ETC, SYS_LIB, SYS_LOG, SYS_USER);
        return EX_NOPERM;
    }
    if ((rc = system_user(c->json, uid, gid)) != 0)
        return rc;
    umask(027);
    /* /etc/payspool: root's, readable by the group (the key inside is
     * the user's own, 0600). */
    if (own_dir(SYS_ETC, 0, *gid, 0750, err) != 0 ||
        own_dir(SYS_LIB, *uid, *gid, 0750, err) != 0 ||
        own_dir(SYS_LOG, *uid, *gid, 0750, err) != 0 ||
        own_dir("/var/spool/payspool", *uid, *gid, 0750, err) != 0)
        return cli_fail(err);
    ps_pathf(c->spool, sizeof(c->spool), "%s", "/var/spool/payspool");
    ps_pathf(c->db, sizeof(c->db), "%s/payspool.db", SYS_LIB);
    ps_pathf(c->key, sizeof(c->key), "%s/payspool.key", SYS_ETC);
    return 0;
}

/* After it: the spool, the database (and its -wal, -shm) and the key to
 * the user. */
static int system_after(struct cli_ctx *c, uid_t uid, gid_t gid,
                        struct ps_err *err)
{
    tree_uid = uid;
    tree_gid = gid;
    if (nftw(c->spool, chown_one, 16, FTW_PHYS) != 0 ||
        nftw(SYS_LIB, chown_one, 16, FTW_PHYS) != 0)
        return ps_err_sys(err, errno, "cannot give %s and %s to %s",
                          c->spool, SYS_LIB, SYS_USER);
    if (chown(c->key, uid, gid) != 0 || chmod(c->key, 0600) != 0)
        return ps_err_sys(err, errno, "cannot give %s to %s", c->key,
                          SYS_USER);
    return 0;
}

int cmd_init(struct cli_ctx *c, struct ps_err *err)
{
    static const char *const top[] = {"inbound", "work",     "archive",
                                      "failed",  "outbound", "providers"};
    int rc, created = 0, sys = cli_opt(c, "system") != NULL;
    uid_t uid = 0;
    gid_t gid = 0;
    if (sys && (rc = system_before(c, &uid, &gid, err)) != 0)
        return rc;
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
    if (sys && system_after(c, uid, gid, err) != 0)
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
