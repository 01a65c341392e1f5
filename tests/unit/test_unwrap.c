/*
 * test_unwrap.c -- unit tests for formats/archive/unwrap.c.  Every fixture
 * is built at run time in a fresh directory under $TMPDIR (or /tmp) with
 * libarchive's writer and zlib's gz* API, so no binary fixtures are
 * needed.  Covers plain files, gzip (concatenated too), zip, tar, tar.gz,
 * nesting and its depth limit, member names and contents, dangerous members
 * (zip slip, absolute paths, links, devices), member counts, gzip and zip
 * bombs against both byte limits (and how much gets read before they
 * stop), truncated containers, symlinked and special input paths, partial
 * reads followed by next, and sticky errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "formats/archive/unwrap.h"
#include "base/err.h"
#include "testutil.h"

#define MIB ((int64_t)1 << 20)
#define BOMB_BYTES (200 * MIB)

static char g_dir[PATH_MAX - 64]; /* the group's fixture directory */

/* dir/name in one of PS_TEST_PATH_SLOTS rotating buffers. */
static const char *P(const char *name)
{
    static unsigned i;
    return ps_test_path(g_dir, name, i++);
}

static int group_setup(void **state)
{
    (void)state;
    return ps_test_tmpdir(g_dir, sizeof(g_dir), "test_unwrap");
}

static int group_teardown(void **state)
{
    (void)state;
    if (getenv("PS_TEST_KEEP") != NULL) /* to look at the fixtures */
        return 0;
    return ps_test_rmtree(g_dir);
}

/* ------------------------------------------------------------------ */
/* Fixture builders                                                    */

static void write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(P(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Whole file into a malloc'd buffer; *len its size. */
static char *read_file(const char *name, size_t *len)
{
    FILE *f = fopen(P(name), "rb");
    char *buf;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The first len bytes of src as dst. */
static void copy_prefix(const char *src, const char *dst, size_t len)
{
    size_t n;
    char *buf = read_file(src, &n);
    assert_true(len <= n);
    write_file(dst, buf, len);
    free(buf);
}

/* A gzip member of data; "ab" appends another member. */
static void write_gz(const char *name, const char *mode, const void *data,
                     size_t len)
{
    gzFile g = gzopen(P(name), mode);
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(g), Z_OK);
}

/* Deterministic CSV-ish text of about n bytes.  From malloc(). */
static char *make_text(size_t n, unsigned seed)
{
    char *s = malloc(n + 64);
    size_t len = 0;
    assert_non_null(s);
    while (len < n) {
        seed = seed * 1103515245u + 12345u;
        len += (size_t)snprintf(s + len, 64, "emp%06u,Name %u,%u.%02u\n",
                                (unsigned)len, seed >> 16, seed % 5000,
                                seed % 100);
    }
    s[n] = '\0';
    return s;
}

struct ent {
    const char *name;
    unsigned type;    /* AE_IFREG when 0 */
    const char *data; /* content, or NULL */
    const char *from; /* or the bytes of this fixture file */
    int64_t zeros;    /* or this many zero bytes */
    const char *link; /* symlink target */
    const char *hard; /* hard link target */
};

enum wfmt { W_ZIP, W_TAR, W_TGZ };

static void write_archive(const char *name, enum wfmt fmt,
                          const struct ent *ents, size_t n)
{
    struct archive *a = archive_write_new();
    static char zero[1 << 20];

    assert_non_null(a);
    if (fmt == W_ZIP)
        assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    else
        assert_int_equal(archive_write_set_format_pax_restricted(a),
                         ARCHIVE_OK);
    if (fmt == W_TGZ)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, P(name)), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        const struct ent *x = &ents[i];
        struct archive_entry *e = archive_entry_new();
        unsigned type = x->type != 0 ? x->type : AE_IFREG;
        char *from = NULL;
        size_t from_len = 0;
        int64_t size = 0;

        assert_non_null(e);
        archive_entry_set_pathname(e, x->name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (x->from != NULL) {
            from = read_file(x->from, &from_len);
            size = (int64_t)from_len;
        } else if (x->data != NULL) {
            size = (int64_t)strlen(x->data);
        } else {
            size = x->zeros;
        }
        if (x->link != NULL)
            archive_entry_set_symlink(e, x->link);
        if (x->hard != NULL)
            archive_entry_set_hardlink(e, x->hard);
        if (type == AE_IFCHR) {
            archive_entry_set_rdevmajor(e, 1);
            archive_entry_set_rdevminor(e, 3);
        }
        if (type == AE_IFREG && x->hard == NULL)
            archive_entry_set_size(e, size);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (from != NULL) {
            assert_int_equal(archive_write_data(a, from, from_len),
                             (la_ssize_t)from_len);
        } else if (x->data != NULL && size > 0) {
            assert_int_equal(archive_write_data(a, x->data, (size_t)size),
                             (la_ssize_t)size);
        } else {
            for (int64_t left = x->zeros; left > 0;) {
                size_t k =
                    left > (int64_t)sizeof(zero) ? sizeof(zero) : (size_t)left;
                assert_int_equal(archive_write_data(a, zero, k), (la_ssize_t)k);
                left -= (int64_t)k;
            }
        }
        free(from);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* ------------------------------------------------------------------ */
/* Checkers                                                            */

/* Read a document to its end into a malloc'd buffer; 0 or the error. */
static int slurp_doc(struct ps_doc *d, char **out, size_t *len,
                     struct ps_err *err)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        ssize_t r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = d->stream.read(d->stream.ctx, buf + n, cap - n, err);
        if (r < 0) {
            free(buf);
            return (int)r;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *out = buf;
    *len = n;
    return 0;
}

struct want {
    const char *name;
    const char *member; /* NULL for plain */
    int depth;
    const char *data;
    size_t len; /* strlen(data) when 0 */
};

/* The documents of fixture `file`, in order, with exact contents. */
static void expect_docs(const char *file, const struct ps_unwrap_limits *lim,
                        const struct want *w, int n)
{
    struct ps_unwrap *u = NULL;
    struct ps_doc doc;
    struct ps_err err;
    int i = 0, rc, ndocs = -1;
    char msg[1024];

    rc = ps_unwrap_open(P(file), file, lim, &u, &err);
    assert_int_equal(rc, 0);
    while ((rc = ps_unwrap_next(u, &doc, &err)) == 1) {
        char *data;
        size_t len, wlen;
        assert_true(i < n);
        wlen = w[i].len != 0 ? w[i].len : strlen(w[i].data);
        assert_string_equal(doc.name, w[i].name);
        if (w[i].member == NULL)
            assert_null(doc.member);
        else
            assert_string_equal(doc.member, w[i].member);
        assert_int_equal(doc.index, i);
        assert_int_equal(doc.depth, w[i].depth);
        assert_int_equal(slurp_doc(&doc, &data, &len, &err), 0);
        assert_int_equal(len, wlen);
        assert_memory_equal(data, w[i].data, wlen);
        free(data);
        i++;
    }
    if (rc != 0)
        fail_msg("%s", ps_err_str(&err, msg, sizeof(msg)));
    assert_int_equal(i, n);
    /* After the end: still the end, and the old stream reads nothing. */
    assert_int_equal(ps_unwrap_next(u, &doc, &err), 0);
    ps_unwrap_close(u);
    assert_int_equal(ps_unwrap_verify(P(file), file, lim, &ndocs, &err), 0);
    assert_int_equal(ndocs, n);
}

/* ps_unwrap_verify() on `file` fails with code and rule; field has want. */
static void expect_rule(const char *file, const struct ps_unwrap_limits *lim,
                        int code, const char *rule, const char *field)
{
    struct ps_err err;
    int ndocs = -7;
    int rc = ps_unwrap_verify(P(file), file, lim, &ndocs, &err);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.rule, rule);
    assert_string_equal(err.file, file);
    assert_int_equal(ndocs, -7); /* out-parameters only on success */
    if (field != NULL)
        assert_string_equal(err.field, field);
}

static struct ps_unwrap_limits limits(int depth, long members, int64_t bytes,
                                      int64_t ratio)
{
    struct ps_unwrap_limits l;
    ps_unwrap_limits_default(&l);
    if (depth >= 0)
        l.max_depth = depth;
    if (members >= 0)
        l.max_members = members;
    if (bytes >= 0)
        l.max_bytes = bytes;
    if (ratio >= 0)
        l.max_ratio = ratio;
    return l;
}

/* ------------------------------------------------------------------ */
/* Plain, gzip                                                         */

static void test_defaults(void **state)
{
    struct ps_unwrap_limits l;
    (void)state;
    ps_unwrap_limits_default(&l);
    assert_int_equal(l.max_depth, 3);
    assert_int_equal(l.max_members, 1000);
    assert_true(l.max_bytes == (int64_t)4 << 30);
    assert_int_equal(l.max_ratio, 200);
}

static void test_plain(void **state)
{
    char *text = make_text(200000, 1);
    (void)state;
    write_file("roster.csv", text, strlen(text));
    struct want w[] = {{"roster.csv", NULL, 0, text, 0}};
    expect_docs("roster.csv", NULL, w, 1);
    /* Short files and empty ones are documents too. */
    write_file("short.csv", "a,b\n", 4);
    struct want ws[] = {{"short.csv", NULL, 0, "a,b\n", 0}};
    expect_docs("short.csv", NULL, ws, 1);
    write_file("empty.csv", "", 0);
    struct want we[] = {{"empty.csv", NULL, 0, "", 0}};
    expect_docs("empty.csv", NULL, we, 1);
    free(text);
}

static void test_gzip(void **state)
{
    char *text = make_text(300000, 2);
    (void)state;
    write_gz("roster.csv.gz", "wb", text, strlen(text));
    struct want w[] = {{"roster.csv.gz!/roster.csv", "roster.csv", 1, text, 0}};
    expect_docs("roster.csv.gz", NULL, w, 1);
    /* No .gz suffix: the document is "data". */
    write_gz("upload.bin", "wb", "x,y\n", 4);
    struct want wb[] = {{"upload.bin!/data", "data", 1, "x,y\n", 0}};
    expect_docs("upload.bin", NULL, wb, 1);
    free(text);
}

static void test_gzip_concatenated(void **state)
{
    char *a = make_text(100000, 3), *b = make_text(70000, 4);
    char *ab = malloc(170001);
    (void)state;
    assert_non_null(ab);
    memcpy(ab, a, 100000);
    memcpy(ab + 100000, b, 70001);
    write_gz("cat.csv.gzip", "wb", a, 100000);
    write_gz("cat.csv.gzip", "ab", b, 70000);
    write_gz("cat.csv.gzip", "ab", "", 0); /* an empty member, too */
    struct want w[] = {{"cat.csv.gzip!/cat.csv", "cat.csv", 1, ab, 0}};
    expect_docs("cat.csv.gzip", NULL, w, 1);
    free(a);
    free(b);
    free(ab);
}

/* ------------------------------------------------------------------ */
/* zip, tar, tar.gz, nesting                                           */

static void test_zip_members(void **state)
{
    char *big = make_text(150000, 5);
    (void)state;
    struct ent e[] = {
        {"dir/", AE_IFDIR, NULL, NULL, 0, NULL, NULL},
        {"dir/a.csv", 0, "a,1\n", NULL, 0, NULL, NULL},
        {"b.csv", 0, "b,2\nb,3\n", NULL, 0, NULL, NULL},
        {"dir/sub/", AE_IFDIR, NULL, NULL, 0, NULL, NULL},
        {"dir/sub/c.txt", 0, big, NULL, 0, NULL, NULL},
    };
    write_archive("pay.zip", W_ZIP, e, 5);
    struct want w[] = {
        {"pay.zip!/dir/a.csv", "dir/a.csv", 1, "a,1\n", 0},
        {"pay.zip!/b.csv", "b.csv", 1, "b,2\nb,3\n", 0},
        {"pay.zip!/dir/sub/c.txt", "dir/sub/c.txt", 1, big, 0},
    };
    expect_docs("pay.zip", NULL, w, 3);
    /* An empty zip ("PK\5\6" only) holds no documents. */
    write_archive("empty.zip", W_ZIP, NULL, 0);
    expect_docs("empty.zip", NULL, NULL, 0);
    free(big);
}

static void test_tar_and_targz(void **state)
{
    char *big = make_text(100000, 6);
    (void)state;
    struct ent e[] = {
        {"in/", AE_IFDIR, NULL, NULL, 0, NULL, NULL},
        {"in/a.csv", 0, big, NULL, 0, NULL, NULL},
        {"b.csv", 0, "b\n", NULL, 0, NULL, NULL},
        {"empty.csv", 0, "", NULL, 0, NULL, NULL},
    };
    write_archive("batch.tar", W_TAR, e, 4);
    struct want w[] = {
        {"batch.tar!/in/a.csv", "in/a.csv", 1, big, 0},
        {"batch.tar!/b.csv", "b.csv", 1, "b\n", 0},
        {"batch.tar!/empty.csv", "empty.csv", 1, "", 0},
    };
    expect_docs("batch.tar", NULL, w, 3);
    /* tar.gz is one wrapper: depth 1, no "batch.tar" in the names. */
    write_archive("batch.tgz", W_TGZ, e, 4);
    struct want wz[] = {
        {"batch.tgz!/in/a.csv", "in/a.csv", 1, big, 0},
        {"batch.tgz!/b.csv", "b.csv", 1, "b\n", 0},
        {"batch.tgz!/empty.csv", "empty.csv", 1, "", 0},
    };
    expect_docs("batch.tgz", NULL, wz, 3);
    free(big);
}

static void test_zip_in_targz(void **state)
{
    (void)state;
    struct ent in[] = {
        {"a.csv", 0, "a\n", NULL, 0, NULL, NULL},
        {"b.csv", 0, "bb\n", NULL, 0, NULL, NULL},
    };
    write_archive("inner.zip", W_ZIP, in, 2);
    write_gz("c.csv.gz", "wb", "ccc\n", 4);
    struct ent out[] = {
        {"x/inner.zip", 0, NULL, "inner.zip", 0, NULL, NULL},
        {"c.csv.gz", 0, NULL, "c.csv.gz", 0, NULL, NULL},
        {"d.csv", 0, "d\n", NULL, 0, NULL, NULL},
    };
    write_archive("outer.tar.gz", W_TGZ, out, 3);
    struct want w[] = {
        {"outer.tar.gz!/x/inner.zip!/a.csv", "x/inner.zip!/a.csv", 2, "a\n", 0},
        {"outer.tar.gz!/x/inner.zip!/b.csv", "x/inner.zip!/b.csv", 2, "bb\n",
         0},
        {"outer.tar.gz!/c.csv.gz!/c.csv", "c.csv.gz!/c.csv", 2, "ccc\n", 0},
        {"outer.tar.gz!/d.csv", "d.csv", 1, "d\n", 0},
    };
    expect_docs("outer.tar.gz", NULL, w, 4);
    /* The same with depth 1 allowed: the inner zip is too deep. */
    struct ps_unwrap_limits l = limits(1, -1, -1, -1);
    expect_rule("outer.tar.gz", &l, PS_EINVAL, "UNWRAP_TOO_DEEP",
                "x/inner.zip");
}

static void test_depth(void **state)
{
    (void)state;
    struct ent leaf[] = {{"leaf.csv", 0, "leaf\n", NULL, 0, NULL, NULL}};
    struct ent l1[] = {{"l1.zip", 0, NULL, "z1.zip", 0, NULL, NULL}};
    struct ent l2[] = {{"l2.zip", 0, NULL, "z2.zip", 0, NULL, NULL}};
    struct ent l3[] = {{"l3.zip", 0, NULL, "z3.zip", 0, NULL, NULL}};
    write_archive("z1.zip", W_ZIP, leaf, 1);
    write_archive("z2.zip", W_ZIP, l1, 1);
    write_archive("z3.zip", W_ZIP, l2, 1);
    write_archive("z4.zip", W_ZIP, l3, 1);
    struct ps_unwrap_limits l = limits(3, -1, -1, -1);
    struct want w[] = {{"z3.zip!/l2.zip!/l1.zip!/leaf.csv",
                        "l2.zip!/l1.zip!/leaf.csv", 3, "leaf\n", 0}};
    expect_docs("z3.zip", &l, w, 1);
    expect_rule("z4.zip", &l, PS_EINVAL, "UNWRAP_TOO_DEEP",
                "l3.zip!/l2.zip!/l1.zip");
    /* max_depth 0: no wrapper at all; plain files still pass. */
    struct ps_unwrap_limits l0 = limits(0, -1, -1, -1);
    expect_rule("z1.zip", &l0, PS_EINVAL, "UNWRAP_TOO_DEEP", "");
    write_file("p0.csv", "p\n", 2);
    struct want wp[] = {{"p0.csv", NULL, 0, "p\n", 0}};
    expect_docs("p0.csv", &l0, wp, 1);
}

/* ------------------------------------------------------------------ */
/* Dangerous members                                                   */

static void test_zip_slip(void **state)
{
    (void)state;
    struct ent e[] = {{"../../etc/passwd", 0, "root\n", NULL, 0, NULL, NULL}};
    write_archive("slip.zip", W_ZIP, e, 1);
    expect_rule("slip.zip", NULL, PS_EINVAL, "UNWRAP_DOTDOT",
                "../../etc/passwd");
    struct ent b[] = {
        {"ok.csv", 0, "ok\n", NULL, 0, NULL, NULL},
        {"a/..\\..\\x.csv", 0, "x\n", NULL, 0, NULL, NULL},
    };
    write_archive("slip2.zip", W_ZIP, b, 2);
    expect_rule("slip2.zip", NULL, PS_EINVAL, "UNWRAP_DOTDOT",
                "a/..\\..\\x.csv");
    struct ent c[] = {{"x/..", 0, "x\n", NULL, 0, NULL, NULL}};
    write_archive("slip3.tar", W_TAR, c, 1);
    expect_rule("slip3.tar", NULL, PS_EINVAL, "UNWRAP_DOTDOT", "x/..");
    /* Names that merely contain dots are fine. */
    struct ent d[] = {{"a..b/..c/d..", 0, "d\n", NULL, 0, NULL, NULL}};
    write_archive("dots.zip", W_ZIP, d, 1);
    struct want w[] = {{"dots.zip!/a..b/..c/d..", "a..b/..c/d..", 1, "d\n", 0}};
    expect_docs("dots.zip", NULL, w, 1);
    /* Deep inside: the field shows the whole path. */
    struct ent n[] = {{"sub/slip.zip", 0, NULL, "slip.zip", 0, NULL, NULL}};
    write_archive("nested-slip.tar.gz", W_TGZ, n, 1);
    expect_rule("nested-slip.tar.gz", NULL, PS_EINVAL, "UNWRAP_DOTDOT",
                "sub/slip.zip!/../../etc/passwd");
}

static void test_absolute(void **state)
{
    (void)state;
    struct ent e[] = {{"/etc/passwd", 0, "root\n", NULL, 0, NULL, NULL}};
    write_archive("abs.tar", W_TAR, e, 1);
    expect_rule("abs.tar", NULL, PS_EINVAL, "UNWRAP_ABSOLUTE_PATH",
                "/etc/passwd");
    write_archive("abs.zip", W_ZIP, e, 1);
    expect_rule("abs.zip", NULL, PS_EINVAL, "UNWRAP_ABSOLUTE_PATH",
                "/etc/passwd");
    struct ent w[] = {{"C:\\evil.csv", 0, "x\n", NULL, 0, NULL, NULL}};
    write_archive("drive.zip", W_ZIP, w, 1);
    /* libarchive may turn this '\\' into '/': refused either way. */
    expect_rule("drive.zip", NULL, PS_EINVAL, "UNWRAP_ABSOLUTE_PATH", NULL);
    struct ent b[] = {{"\\x.csv", 0, "x\n", NULL, 0, NULL, NULL}};
    write_archive("bslash.zip", W_ZIP, b, 1);
    expect_rule("bslash.zip", NULL, PS_EINVAL, "UNWRAP_ABSOLUTE_PATH", NULL);
    struct ent c[] = {{"d:x.csv", 0, "x\n", NULL, 0, NULL, NULL}};
    write_archive("drive2.tar", W_TAR, c, 1);
    expect_rule("drive2.tar", NULL, PS_EINVAL, "UNWRAP_ABSOLUTE_PATH",
                "d:x.csv");
}

static void test_links(void **state)
{
    (void)state;
    struct ent s[] = {
        {"a.csv", 0, "a\n", NULL, 0, NULL, NULL},
        {"ln.csv", AE_IFLNK, NULL, NULL, 0, "/etc/passwd", NULL},
    };
    write_archive("sym.tar", W_TAR, s, 2);
    expect_rule("sym.tar", NULL, PS_EINVAL, "UNWRAP_LINK", "ln.csv");
    /*
     * A zip keeps the symlink bit only in its central directory, which the
     * streaming reader never sees; verify reads the outermost zip's
     * central directory and refuses the link.
     */
    write_archive("sym.zip", W_ZIP, s, 2);
    expect_rule("sym.zip", NULL, PS_EINVAL, "UNWRAP_LINK", "ln.csv");
    /* A symlink deep inside a tar.gz. */
    write_archive("sym.tar.gz", W_TGZ, s, 2);
    struct ent n[] = {{"in/sym.tar.gz", 0, NULL, "sym.tar.gz", 0, NULL, NULL}};
    write_archive("sym-nested.zip", W_ZIP, n, 1);
    expect_rule("sym-nested.zip", NULL, PS_EINVAL, "UNWRAP_LINK",
                "in/sym.tar.gz!/ln.csv");
    struct ent h[] = {
        {"a.csv", 0, "a\n", NULL, 0, NULL, NULL},
        {"h.csv", 0, NULL, NULL, 0, NULL, "a.csv"},
    };
    write_archive("hard.tar", W_TAR, h, 2);
    expect_rule("hard.tar", NULL, PS_EINVAL, "UNWRAP_LINK", "h.csv");
}

static void test_special(void **state)
{
    (void)state;
    struct ent c[] = {{"null", AE_IFCHR, NULL, NULL, 0, NULL, NULL}};
    write_archive("chr.tar", W_TAR, c, 1);
    expect_rule("chr.tar", NULL, PS_EINVAL, "UNWRAP_SPECIAL", "null");
    struct ent b[] = {{"sda", AE_IFBLK, NULL, NULL, 0, NULL, NULL}};
    write_archive("blk.tar", W_TAR, b, 1);
    expect_rule("blk.tar", NULL, PS_EINVAL, "UNWRAP_SPECIAL", "sda");
    struct ent f[] = {{"pipe", AE_IFIFO, NULL, NULL, 0, NULL, NULL}};
    write_archive("fifo.tar.gz", W_TGZ, f, 1);
    expect_rule("fifo.tar.gz", NULL, PS_EINVAL, "UNWRAP_SPECIAL", "pipe");
}

static void test_too_many(void **state)
{
    (void)state;
    struct ent e[] = {
        {"1.csv", 0, "1\n", NULL, 0, NULL, NULL},
        {"2.csv", 0, "2\n", NULL, 0, NULL, NULL},
        {"3.csv", 0, "3\n", NULL, 0, NULL, NULL},
        {"4.csv", 0, "4\n", NULL, 0, NULL, NULL},
        {"5.csv", 0, "5\n", NULL, 0, NULL, NULL},
        {"6.csv", 0, "6\n", NULL, 0, NULL, NULL},
    };
    struct ps_unwrap_limits l = limits(-1, 5, -1, -1);
    write_archive("six.zip", W_ZIP, e, 6);
    expect_rule("six.zip", &l, PS_EINVAL, "UNWRAP_TOO_MANY", "6.csv");
    write_archive("five.zip", W_ZIP, e, 5);
    int ndocs = 0;
    struct ps_err err;
    assert_int_equal(
        ps_unwrap_verify(P("five.zip"), "five.zip", &l, &ndocs, &err), 0);
    assert_int_equal(ndocs, 5);
    /* Members count across levels: a.zip, its 4, then b.csv is the 6th. */
    struct ent t[] = {
        {"a.zip", 0, NULL, "four.zip", 0, NULL, NULL},
        {"b.csv", 0, "b\n", NULL, 0, NULL, NULL},
    };
    write_archive("four.zip", W_ZIP, e, 4);
    write_archive("nested-many.tar", W_TAR, t, 2);
    expect_rule("nested-many.tar", &l, PS_EINVAL, "UNWRAP_TOO_MANY", "b.csv");
}

/* ------------------------------------------------------------------ */
/* Bombs                                                               */

/* Read every document to its end; bytes delivered; *rc the result. */
static int64_t read_everything(const char *file,
                               const struct ps_unwrap_limits *lim, int *rc,
                               struct ps_err *err)
{
    static char buf[1 << 16];
    struct ps_unwrap *u = NULL;
    struct ps_doc doc;
    int64_t total = 0;

    *rc = ps_unwrap_open(P(file), file, lim, &u, err);
    assert_int_equal(*rc, 0);
    while ((*rc = ps_unwrap_next(u, &doc, err)) == 1) {
        ssize_t r;
        while ((r = doc.stream.read(doc.stream.ctx, buf, sizeof(buf), err)) > 0)
            total += r;
        if (r < 0) {
            *rc = (int)r;
            /* Sticky: the next call reports the same error. */
            struct ps_err again;
            assert_int_equal(ps_unwrap_next(u, &doc, &again), *rc);
            assert_string_equal(again.rule, err->rule);
            assert_int_equal(doc.stream.read(doc.stream.ctx, buf, 1, &again),
                             *rc);
            break;
        }
    }
    ps_unwrap_close(u);
    return total;
}

static void write_gz_bomb(const char *name)
{
    static char zero[1 << 20];
    gzFile g = gzopen(P(name), "wb");
    assert_non_null(g);
    for (int64_t left = BOMB_BYTES; left > 0; left -= (int64_t)sizeof(zero))
        assert_int_equal(gzwrite(g, zero, sizeof(zero)), (int)sizeof(zero));
    assert_int_equal(gzclose(g), Z_OK);
}

static int64_t file_size(const char *name)
{
    struct stat st;
    assert_int_equal(stat(P(name), &st), 0);
    return (int64_t)st.st_size;
}

/* file holds BOMB_BYTES of zeros in a compressed member. */
static void check_bomb(const char *file)
{
    struct ps_err err;
    int rc;
    int64_t got, fsize = file_size(file);
    struct ps_unwrap_limits big = limits(-1, -1, 50 * MIB, 1000000);
    struct ps_unwrap_limits ratio = limits(-1, -1, -1, 200);

    assert_true(fsize < BOMB_BYTES / 200); /* really a bomb */
    got = read_everything(file, &big, &rc, &err);
    assert_int_equal(rc, PS_EINVAL);
    assert_string_equal(err.rule, "UNWRAP_TOO_LARGE");
    assert_string_equal(err.file, file);
    assert_true(got <= 50 * MIB);
    assert_true(got > 50 * MIB - MIB);
    print_message("  %s: %lld bytes on disk, TOO_LARGE after %lld bytes\n",
                  file, (long long)fsize, (long long)got);

    got = read_everything(file, &ratio, &rc, &err);
    assert_int_equal(rc, PS_EINVAL);
    assert_string_equal(err.rule, "UNWRAP_RATIO");
    assert_true(got <= 200 * fsize);
    assert_true(got > 200 * fsize - MIB);
    print_message("  %s: RATIO after %lld bytes (cap %lld)\n", file,
                  (long long)got, (long long)(200 * fsize));

    /* The limits count what ps_unwrap_verify() skips unread, too. */
    expect_rule(file, &big, PS_EINVAL, "UNWRAP_TOO_LARGE", NULL);
    expect_rule(file, &ratio, PS_EINVAL, "UNWRAP_RATIO", NULL);
}

static void test_gzip_bomb(void **state)
{
    (void)state;
    write_gz_bomb("bomb.csv.gz");
    check_bomb("bomb.csv.gz");
}

static void test_zip_bomb(void **state)
{
    (void)state;
    struct ent e[] = {
        {"ok.csv", 0, "ok\n", NULL, 0, NULL, NULL},
        {"zeros.csv", 0, NULL, NULL, BOMB_BYTES, NULL, NULL},
    };
    write_archive("bomb.zip", W_ZIP, e, 2);
    check_bomb("bomb.zip");
}

static void test_small_ratio_ok(void **state)
{
    /* Under 1 MiB produced the ratio is not checked at all. */
    static char zero[MIB - 1];
    (void)state;
    write_gz("zeros.gz", "wb", zero, sizeof(zero));
    struct ps_unwrap_limits l = limits(-1, -1, -1, 1);
    struct want w[] = {{"zeros.gz!/zeros", "zeros", 1, zero, sizeof(zero)}};
    expect_docs("zeros.gz", &l, w, 1);
    /* ... and one byte more is over it. */
    write_gz("zeros1.gz", "wb", zero, sizeof(zero));
    write_gz("zeros1.gz", "ab", "", 0);
    write_gz("zeros1.gz", "ab", "x", 1);
    expect_rule("zeros1.gz", &l, PS_EINVAL, "UNWRAP_RATIO", "zeros1");
}

/* ------------------------------------------------------------------ */
/* Damaged containers                                                  */

static void test_truncated_gzip(void **state)
{
    char *text = make_text(300000, 7);
    size_t n;
    (void)state;
    write_gz("full.csv.gz", "wb", text, strlen(text));
    free(read_file("full.csv.gz", &n));
    copy_prefix("full.csv.gz", "half.csv.gz", n / 2);
    expect_rule("half.csv.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "half.csv");
    /* Only the trailer (CRC, length) missing. */
    copy_prefix("full.csv.gz", "notrailer.csv.gz", n - 4);
    expect_rule("notrailer.csv.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", NULL);
    /* Just the magic. */
    copy_prefix("full.csv.gz", "magic.gz", 2);
    expect_rule("magic.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", NULL);
    /* Garbage after the last member. */
    {
        char *buf = read_file("full.csv.gz", &n);
        buf = realloc(buf, n + 7);
        assert_non_null(buf);
        memcpy(buf + n, "garbage", 7);
        write_file("trailing.csv.gz", buf, n + 7);
        free(buf);
    }
    expect_rule("trailing.csv.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", NULL);
    /* A flipped byte in the middle: bad data or bad CRC. */
    {
        char *buf = read_file("full.csv.gz", &n);
        buf[n / 2] = (char)(buf[n / 2] ^ 0x55);
        write_file("flipped.csv.gz", buf, n);
        free(buf);
    }
    expect_rule("flipped.csv.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", NULL);
    free(text);
}

static void test_truncated_archives(void **state)
{
    char *text = make_text(300000, 8);
    size_t n;
    (void)state;
    struct ent e[] = {
        {"a.csv", 0, text, NULL, 0, NULL, NULL},
        {"b.csv", 0, "b\n", NULL, 0, NULL, NULL},
    };
    write_archive("full.zip", W_ZIP, e, 2);
    free(read_file("full.zip", &n));
    copy_prefix("full.zip", "half.zip", n / 2);
    expect_rule("half.zip", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "a.csv");
    write_archive("full.tar", W_TAR, e, 2);
    free(read_file("full.tar", &n));
    copy_prefix("full.tar", "half.tar", n / 2);
    expect_rule("half.tar", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "a.csv");
    write_archive("full.tar.gz", W_TGZ, e, 2);
    free(read_file("full.tar.gz", &n));
    copy_prefix("full.tar.gz", "half.tar.gz", n / 2);
    expect_rule("half.tar.gz", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "a.csv");
    /* A zip's local header alone. */
    write_file("pk.zip", "PK\3\4\24\0\0\0", 8);
    expect_rule("pk.zip", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "");
    /* "ustar" at 257 but no valid tar header. */
    {
        char block[1024];
        memset(block, 'x', sizeof(block));
        memcpy(block + 257, "ustar", 5);
        write_file("fake.tar", block, sizeof(block));
    }
    expect_rule("fake.tar", NULL, PS_EINVAL, "UNWRAP_CORRUPT", "");
    free(text);
}

/* ------------------------------------------------------------------ */
/* The input path, the API                                             */

static void test_input_not_regular(void **state)
{
    struct ps_unwrap *u = NULL;
    struct ps_err err;
    (void)state;
    write_file("real.csv", "r\n", 2);
    assert_int_equal(symlink(P("real.csv"), P("link.csv")), 0);
    assert_int_equal(ps_unwrap_open(P("link.csv"), "link.csv", NULL, &u, &err),
                     PS_EINVAL);
    assert_null(u);
    assert_string_equal(err.rule, "NOT_REGULAR_FILE");
    assert_string_equal(err.file, "link.csv");
    assert_int_equal(
        ps_unwrap_verify(P("link.csv"), "link.csv", NULL, NULL, &err),
        PS_EINVAL);
    assert_string_equal(err.rule, "NOT_REGULAR_FILE");
    /* A directory and a FIFO (which must not block the open). */
    assert_int_equal(mkdir(P("adir"), 0700), 0);
    assert_int_equal(ps_unwrap_open(P("adir"), "adir", NULL, &u, &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "NOT_REGULAR_FILE");
    assert_int_equal(mkfifo(P("afifo"), 0600), 0);
    assert_int_equal(ps_unwrap_open(P("afifo"), "afifo", NULL, &u, &err),
                     PS_EINVAL);
    assert_string_equal(err.rule, "NOT_REGULAR_FILE");
    assert_int_equal(ps_unwrap_open(P("missing"), "missing", NULL, &u, &err),
                     PS_ENOTFOUND);
    assert_string_equal(err.file, "missing");
    /* Limits out of range. */
    struct ps_unwrap_limits l = limits(33, -1, -1, -1);
    assert_int_equal(ps_unwrap_open(P("real.csv"), "real.csv", &l, &u, &err),
                     PS_ECONFIG);
    assert_string_equal(err.rule, "UNWRAP_LIMITS");
    l = limits(-1, -1, -1, 0);
    assert_int_equal(ps_unwrap_open(P("real.csv"), "real.csv", &l, &u, &err),
                     PS_ECONFIG);
    assert_null(u);
    ps_unwrap_close(NULL);
}

static void test_partial_then_next(void **state)
{
    char *big = make_text(200000, 9);
    struct ps_unwrap *u = NULL;
    struct ps_doc doc;
    struct ps_err err;
    char buf[8], *data;
    size_t len;
    (void)state;
    struct ent e[] = {
        {"a.csv", 0, big, NULL, 0, NULL, NULL},
        {"b.csv", 0, "second\n", NULL, 0, NULL, NULL},
        {"c.csv", 0, big, NULL, 0, NULL, NULL},
        {"d.csv.gz", 0, NULL, "d.csv.gz", 0, NULL, NULL},
        {"e.csv", 0, "fifth\n", NULL, 0, NULL, NULL},
    };
    write_gz("d.csv.gz", "wb", big, strlen(big));
    write_archive("partial.zip", W_ZIP, e, 5);
    write_archive("partial.tar.gz", W_TGZ, e, 5);
    const char *files[] = {"partial.zip", "partial.tar.gz"};
    for (int f = 0; f < 2; f++) {
        assert_int_equal(ps_unwrap_open(P(files[f]), files[f], NULL, &u, &err),
                         0);
        /* Three bytes of the first (within the peek buffer). */
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 1);
        assert_int_equal(doc.stream.read(doc.stream.ctx, buf, 3, &err), 3);
        assert_memory_equal(buf, big, 3);
        /* The whole second. */
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 1);
        assert_int_equal(slurp_doc(&doc, &data, &len, &err), 0);
        assert_int_equal(len, 7);
        assert_memory_equal(data, "second\n", 7);
        free(data);
        /* Past the peek buffer of the third, then skip it. */
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 1);
        for (int i = 0; i < 100; i++)
            assert_true(doc.stream.read(doc.stream.ctx, buf, 8, &err) > 0);
        /* The nested gzip: a few bytes, then skipped. */
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 1);
        assert_int_equal(doc.depth, 2);
        assert_int_equal(doc.stream.read(doc.stream.ctx, buf, 5, &err), 5);
        assert_memory_equal(buf, big, 5);
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 1);
        assert_string_equal(doc.member, "e.csv");
        assert_int_equal(doc.index, 4);
        assert_int_equal(slurp_doc(&doc, &data, &len, &err), 0);
        assert_int_equal(len, 6);
        assert_memory_equal(data, "fifth\n", 6);
        free(data);
        assert_int_equal(ps_unwrap_next(u, &doc, &err), 0);
        /* The last document is gone with the end. */
        assert_int_equal(doc.stream.read(doc.stream.ctx, buf, 8, &err), 0);
        ps_unwrap_close(u);
    }
    free(big);
}

static void test_verify_counts(void **state)
{
    struct ps_err err;
    int ndocs = -1;
    (void)state;
    /* Fixtures from earlier tests in this group. */
    assert_int_equal(
        ps_unwrap_verify(P("outer.tar.gz"), "outer.tar.gz", NULL, &ndocs, &err),
        0);
    assert_int_equal(ndocs, 4);
    assert_int_equal(
        ps_unwrap_verify(P("pay.zip"), "pay.zip", NULL, &ndocs, &err), 0);
    assert_int_equal(ndocs, 3);
    assert_int_equal(
        ps_unwrap_verify(P("partial.zip"), NULL, NULL, &ndocs, NULL), 0);
    assert_int_equal(ndocs, 5);
    /* name NULL: the path names the file. */
    assert_int_equal(ps_unwrap_verify(P("slip.zip"), NULL, NULL, &ndocs, &err),
                     PS_EINVAL);
    assert_string_equal(err.file, P("slip.zip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_gzip_concatenated),
        cmocka_unit_test(test_zip_members),
        cmocka_unit_test(test_tar_and_targz),
        cmocka_unit_test(test_zip_in_targz),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_zip_slip),
        cmocka_unit_test(test_absolute),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_special),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_small_ratio_ok),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_truncated_archives),
        cmocka_unit_test(test_input_not_regular),
        cmocka_unit_test(test_partial_then_next),
        cmocka_unit_test(test_verify_counts),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
