/*
 * test_channel.c -- unit tests for the provider channel (channel.c) and
 * its configuration (spoolconf.c's [provider NAME] and [spool] sandbox):
 * bindings and their errors with file, line and key; which source may
 * send which kinds; the claim from a provider folder with its source
 * sidecar, trusted only for the very file it was written for (same
 * inode) and while the binding holds; the folders made for bound pairs
 * only; one watch per folder.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "intake/channel.h"
#include "intake/spoolconf.h"
#include "testutil.h"

struct fx {
    char dir[512];
    char spool[600];
    char conf[600];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || ps_test_tmpdir(fx->dir, sizeof(fx->dir), "chan") != 0)
        return -1;
    snprintf(fx->spool, sizeof(fx->spool), "%s/spool", fx->dir);
    snprintf(fx->conf, sizeof(fx->conf), "%s/spool.conf", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    int rc = ps_test_rmtree(fx->dir);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Load text as the configuration: the rc, cfg and err filled. */
static int load(struct fx *fx, const char *text, struct ps_spool_config *cfg,
                struct ps_err *err)
{
    write_file(fx->conf, text);
    ps_spool_config_default(cfg);
    ps_err_clear(err);
    return ps_spool_config_load(fx->conf, 0, cfg, err);
}

static void test_bindings(void **state)
{
    struct fx *fx = *state;
    struct ps_spool_config cfg;
    struct ps_err err;
    assert_int_equal(load(fx,
                          "[provider acme-card]\n"
                          "businesses = acme, harbor-north  north_2\n"
                          "[provider odfi]\nbusinesses = harbor-north\n",
                          &cfg, &err),
                     0);
    assert_int_equal(cfg.nproviders, 2);
    assert_int_equal(cfg.sandbox, 0);
    assert_true(ps_spool_config_bound(&cfg, "acme-card", "acme"));
    assert_true(ps_spool_config_bound(&cfg, "acme-card", "harbor-north"));
    assert_true(ps_spool_config_bound(&cfg, "acme-card", "north_2"));
    assert_false(ps_spool_config_bound(&cfg, "acme-card", "harbor"));
    assert_false(ps_spool_config_bound(&cfg, "acme-card", "north"));
    assert_false(ps_spool_config_bound(&cfg, "odfi", "acme"));
    assert_true(ps_spool_config_bound(&cfg, "odfi", "harbor-north"));
    assert_false(ps_spool_config_bound(&cfg, "sandbox", "acme"));
    assert_false(ps_spool_config_bound(&cfg, "nobody", "acme"));
    /* The sandbox: bound to every business, only on a sandbox spool. */
    assert_int_equal(load(fx, "[spool]\nsandbox = yes\n", &cfg, &err), 0);
    assert_int_equal(cfg.sandbox, 1);
    assert_int_equal(cfg.nproviders, 0);
    assert_true(ps_spool_config_bound(&cfg, "sandbox", "anyone"));
    /* Loading over a loaded configuration: the bindings are the file's. */
    write_file(fx->conf, "[provider p]\nbusinesses = a\n");
    assert_int_equal(ps_spool_config_load(fx->conf, 0, &cfg, &err), 0);
    assert_int_equal(ps_spool_config_load(fx->conf, 0, &cfg, &err), 0);
    assert_int_equal(cfg.nproviders, 1);
    assert_int_equal(cfg.sandbox, 0);
}

static void test_binding_errors(void **state)
{
    struct fx *fx = *state;
    struct ps_spool_config cfg;
    struct ps_err err;
    static const struct {
        const char *text;
        const char *rule;
        long line;
        const char *field;
    } bad[] = {
        {"[provider acme-card]\nbusinesses = acme Harbor!\n", "CONFIG_VALUE", 2,
         "businesses"},
        {"[provider Acme]\nbusinesses = acme\n", "CONFIG_VALUE", 2, "provider"},
        {"[provider sandbox]\nbusinesses = acme\n", "CONFIG_VALUE", 2,
         "provider"},
        {"[provider p]\nbusinesses = a\n\n[provider p]\nbusinesses = b\n",
         "CONFIG_VALUE", 5, "businesses"},
        {"[provider p]\nbusinesses = a b a\n", "CONFIG_VALUE", 2, "businesses"},
        {"[provider p]\nbusinesses = , ,\n", "CONFIG_VALUE", 2, "businesses"},
        {"[provider p]\nbusiness = a\n", "CONFIG_KEY", 2, "business"},
        {"[spool]\nsandbox = maybe\n", "CONFIG_VALUE", 2, "sandbox"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load(fx, bad[i].text, &cfg, &err), PS_ECONFIG);
        assert_string_equal(err.rule, bad[i].rule);
        assert_int_equal(err.line, bad[i].line);
        assert_string_equal(err.field, bad[i].field);
        assert_string_equal(err.file, fx->conf);
    }
}

static void test_kinds(void **state)
{
    struct ps_err why;
    (void)state;
    assert_int_equal(ps_channel_kind("txn.status"), PS_CHANNEL_ANSWER);
    assert_int_equal(ps_channel_kind("ach.return"), PS_CHANNEL_ANSWER);
    assert_int_equal(ps_channel_kind("ach.noc"), PS_CHANNEL_ANSWER);
    assert_int_equal(ps_channel_kind("ach.entry"), PS_CHANNEL_OTHER);
    assert_int_equal(ps_channel_kind("ach.unapplied"), PS_CHANNEL_OTHER);
    assert_int_equal(ps_channel_kind("ewa.enroll"), PS_CHANNEL_OTHER);
    assert_int_equal(ps_channel_kind("status.change"), PS_CHANNEL_OTHER);
    assert_int_equal(ps_channel_kind(NULL), 0);
    /* The business's inbound: answers refused, the rest taken. */
    assert_int_equal(ps_channel_refuse(NULL, PS_CHANNEL_ANSWER, "s.csv", &why),
                     1);
    assert_string_equal(why.rule, "ANSWER_NOT_FROM_PROVIDER");
    assert_string_equal(why.file, "s.csv");
    assert_int_equal(ps_channel_refuse(NULL, PS_CHANNEL_OTHER, "r.csv", &why),
                     0);
    /* A mixed document (entries, then returns) is an answer somewhere. */
    assert_int_equal(ps_channel_refuse(NULL,
                                       PS_CHANNEL_OTHER | PS_CHANNEL_ANSWER,
                                       "m.ach", &why),
                     1);
    /* A provider's folder: answers only. */
    assert_int_equal(ps_channel_refuse("p", PS_CHANNEL_ANSWER, "a.csv", &why),
                     0);
    assert_int_equal(ps_channel_refuse("p", PS_CHANNEL_OTHER, "r.csv", &why),
                     1);
    assert_string_equal(why.rule, "NOT_A_PROVIDER_ANSWER");
    assert_int_equal(ps_channel_refuse("p",
                                       PS_CHANNEL_OTHER | PS_CHANNEL_ANSWER,
                                       "m.ach", &why),
                     1);
    assert_int_equal(ps_channel_refuse("p", 0, "empty.csv", &why), 0);
}

static void test_dirs(void **state)
{
    struct fx *fx = *state;
    struct ps_spool_config cfg;
    struct ps_err err;
    char path[1024];
    struct stat st;
    assert_int_equal(load(fx,
                          "[spool]\nsandbox = yes\n"
                          "[provider card]\nbusinesses = acme\n",
                          &cfg, &err),
                     0);
    assert_int_equal(ps_channel_dirs(fx->spool, &cfg, "acme", &err), 0);
    assert_int_equal(ps_channel_dirs(fx->spool, &cfg, "harbor", &err), 0);
    snprintf(path, sizeof(path), "%s/providers/card/inbound/acme", fx->spool);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    snprintf(path, sizeof(path), "%s/providers/card/inbound/harbor", fx->spool);
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/providers/sandbox/inbound/harbor",
             fx->spool);
    assert_int_equal(stat(path, &st), 0);
}

/* Long claim-and-source scenario: each step depends on the one before. */
static void test_claim_source(void **state)
{
    struct fx *fx = *state;
    struct ps_spool_config cfg, unbound;
    struct ps_err err;
    char in[1024], work[1024], side[1024], got[64];
    assert_int_equal(
        load(fx, "[provider card]\nbusinesses = acme\n", &cfg, &err), 0);
    assert_int_equal(
        load(fx, "[provider card]\nbusinesses = harbor\n", &unbound, &err), 0);
    assert_int_equal(ps_channel_dirs(fx->spool, &cfg, "acme", &err), 0);
    snprintf(in, sizeof(in), "%s/providers/card/inbound/acme/a.csv", fx->spool);
    write_file(in, "x\n");
    write_file(strcat(strcpy(side, in), ".done"), "");
    assert_int_equal(ps_channel_claim(fx->spool, "card", "acme", "a.csv", work,
                                      sizeof(work), &err),
                     0);
    snprintf(side, sizeof(side), "%s/work/acme/a.csv", fx->spool);
    assert_string_equal(work, side);
    assert_int_not_equal(access(in, F_OK), 0);
    assert_int_equal(access(strcat(side, ".done"), F_OK), 0); /* marker */
    assert_string_equal(ps_channel_source(&cfg, "acme", work, got, sizeof(got)),
                        "card");
    /* Unbound since: no provider trust on resume. */
    assert_null(ps_channel_source(&unbound, "acme", work, got, sizeof(got)));
    /* A file of the same name claimed while work/ holds one: it waits. */
    write_file(in, "y\n");
    assert_int_equal(ps_channel_claim(fx->spool, "card", "acme", "a.csv", got,
                                      sizeof(got), &err),
                     PS_ENOTFOUND);
    assert_int_equal(access(in, F_OK), 0);
    /* Another file put in the same place (another inode): no trust. */
    snprintf(side, sizeof(side), "%s/work/acme/other", fx->spool);
    write_file(side, "z\n");
    assert_int_equal(rename(side, work), 0);
    assert_null(ps_channel_source(&cfg, "acme", work, got, sizeof(got)));
    /* forget keeps the sidecar while the input is in work/. */
    snprintf(side, sizeof(side), "%s/work/acme/.a.csv.source", fx->spool);
    ps_channel_forget(work);
    assert_int_equal(access(side, F_OK), 0);
    assert_int_equal(unlink(work), 0);
    ps_channel_forget(work);
    assert_int_not_equal(access(side, F_OK), 0);
    /* A business's own file in work/ has no sidecar: no trust. */
    write_file(work, "w\n");
    assert_null(ps_channel_source(&cfg, "acme", work, got, sizeof(got)));
    /* Gone from the provider folder: CLAIMED_ELSEWHERE. */
    assert_int_equal(unlink(work), 0);
    assert_int_equal(unlink(in), 0);
    assert_int_equal(ps_channel_claim(fx->spool, "card", "acme", "a.csv", got,
                                      sizeof(got), &err),
                     PS_ENOTFOUND);
    assert_int_not_equal(access(side, F_OK), 0);
}

static void test_watches(void **state)
{
    struct ps_channel_watches *set = NULL;
    (void)state;
    struct ps_spool_watch *a = ps_channel_watch(&set, "card", "acme");
    struct ps_spool_watch *b = ps_channel_watch(&set, "card", "harbor");
    struct ps_spool_watch *c = ps_channel_watch(&set, "odfi", "acme");
    assert_non_null(a);
    assert_ptr_not_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_ptr_equal(ps_channel_watch(&set, "card", "acme"), a);
    ps_channel_watches_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bindings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binding_errors, setup, teardown),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_source, setup, teardown),
        cmocka_unit_test(test_watches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
