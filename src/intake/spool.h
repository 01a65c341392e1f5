/*
 * spool.h -- the spool folders: scan, stability, claim, archive and
 * quarantine.  (The configuration, struct ps_spool_config, is
 * spoolconf.h's, included here for the scan's settings.)
 *
 *   inbound/<business>/   files arrive (SFTP drop)
 *   providers/<p>/inbound/<business>/  answers of provider p (channel.h)
 *   work/<business>/      claimed, being processed
 *   archive/YYYY/MM/DD/<business>/  processed inputs, gzip then encrypted
 *                         (NAME.gz.enc, seal.h), with .sha256
 *   failed/<business>/    inputs rejected whole, each with NAME.reason;
 *                         sealed as NAME.gz.enc after
 *                         [spool] seal_failed_after_days
 *
 * A file is claimed only when complete: NAME.done exists beside it, or its
 * size and mtime have not changed for stable_seconds and it is at least
 * min_age_seconds old.  Dot files and names ending in .part, .tmp,
 * .filepart (uploads in progress), .done, .sha256 and .reason are never
 * claimed; a complete file whose name holds a control character goes to
 * failed/ under the name with each replaced by '_' (BAD_FILE_NAME).  The
 * claim is rename(2) into work/, then chmod 0440; ENOENT means another
 * worker took it.  Symbolic links and anything but regular files are moved to
 * failed/ untouched (rename does not follow links).  Nothing is deleted.
 */
#ifndef PS_SPOOL_H
#define PS_SPOOL_H

#include <stdint.h>

#include "base/err.h"
#include "intake/spoolconf.h"

/* One complete file ready to claim. */
struct ps_spool_entry {
    char name[256];
    int64_t size;
};

/*
 * Remembers what each inbound file looked like at earlier scans, so
 * stability can be judged across polls: one watch for every folder
 * scanned, keyed by (folder, name).  Owned by the caller.
 */
struct ps_spool_watch;
struct ps_spool_watch *ps_spool_watch_new(void);
void ps_spool_watch_free(struct ps_spool_watch *w);

/*
 * Scan inbound/<business>/ and call cb for every complete file, oldest
 * first.  Non-regular entries are quarantined as they are found.  cb
 * returning non-zero stops the scan.  now_ms: the clock.
 */
int ps_spool_scan(const char *spool, const char *business,
                  const struct ps_spool_config *cfg,
                  struct ps_spool_watch *watch, int64_t now_ms,
                  int (*cb)(void *ctx, const struct ps_spool_entry *e),
                  void *ctx, struct ps_err *err);

/*
 * As ps_spool_scan(), over another folder that feeds `business` (a
 * provider's providers/<p>/inbound/<business>/, channel.h); non-regular
 * entries go to failed/<business>/.  The watch must be that folder's own.
 */
int ps_spool_scan_dir(const char *spool, const char *business, const char *dir,
                      const struct ps_spool_config *cfg,
                      struct ps_spool_watch *watch, int64_t now_ms,
                      int (*cb)(void *ctx, const struct ps_spool_entry *e),
                      void *ctx, struct ps_err *err);

/*
 * The name a claimed input gets in work/: NAME with every card number in
 * it masked (BIN + last 4), so that no name payspool keeps (the files
 * row, results, archive, failed/) holds one in clear.  out: at least as
 * large as NAME.
 */
void ps_spool_work_name(const char *name, char *out, size_t size);

/*
 * Claim inbound/<business>/<name> by renaming it into work/<business>/
 * under ps_spool_work_name(name).  Its NAME.done marker, if any, goes
 * along.  *path receives the work path.  PS_ENOTFOUND when someone else
 * took it first.
 */
int ps_spool_claim(const char *spool, const char *business, const char *name,
                   char *path, size_t size, struct ps_err *err);

/*
 * A processed input: write it gzip-compressed, then encrypted under the
 * key file (seal.h), to
 * archive/YYYY/MM/DD/<business>/<name>.<first 12 hex of sha256>.gz.enc
 * (atomically; inside, the gzip header carries the original name and
 * "sha256=<hash of the original content>"; NAME.sha256 beside it is the
 * hash of the sealed bytes).  `payspool archive show` reads it back.
 * The work copy stays until ps_spool_release().  The same content
 * archived twice (after a crash) finds its copy in place and completes
 * its sidecars.  date: "YYYY-MM-DD".  *out (may be NULL) receives the
 * path.  keys NULL: KEYS_REQUIRED.
 */
struct ps_keys;
int ps_spool_archive(const struct ps_keys *keys, const char *spool,
                     const char *business, const char *work_path,
                     const char *sha256, const char *date, char *out,
                     size_t size, struct ps_err *err);

/*
 * The same in two steps (seal.h, ps_seal_begin): begin starts sealing
 * the first `size` bytes of fd (the input's snapshot, the very bytes of
 * work_path once it is archived) into the archive folder of `date` on a
 * thread of its own, while the input is applied; end (out not NULL)
 * waits for it and publishes it as ps_spool_archive does, or (out NULL)
 * throws it away.  A begin that fails leaves nothing: the caller then
 * archives with ps_spool_archive.
 */
struct ps_spool_sealing;
int ps_spool_archive_begin(const struct ps_keys *keys, const char *spool,
                           const char *business, const char *work_path,
                           int fd, int64_t size, const char *sha256,
                           const char *date, struct ps_spool_sealing **job,
                           struct ps_err *err);
int ps_spool_archive_end(struct ps_spool_sealing *job, char *out, size_t size,
                         struct ps_err *err);

/* Remove the work copy (and its marker) of an input whose archive copy is
 * durable and recorded. */
int ps_spool_release(const char *work_path, struct ps_err *err);

/*
 * An input rejected whole goes to failed/<business>/, never overwriting
 * anything, with NAME.reason (rule and message) beside it.  In steps, so
 * that a crash anywhere converges:
 *   ps_spool_quarantine_name()  choose the destination: `planned` if given
 *                               and not yet used (a crash came before the
 *                               move), else a free name whose .reason is
 *                               free too (".1", ".2", ... suffixes);
 *   (the caller records it)
 *   ps_spool_quarantine_move()  write NAME.reason (or finish one a crash
 *                               left), then move the input there; an
 *                               input already moved is fine.
 * ps_spool_quarantine() does both for inputs with no store rows.
 */
int ps_spool_quarantine_name(const char *spool, const char *business,
                             const char *path, const char *planned, char *out,
                             size_t size, struct ps_err *err);
int ps_spool_quarantine_move(const char *path, const char *target,
                             const struct ps_err *why, struct ps_err *err);
int ps_spool_quarantine(const char *spool, const char *business,
                        const char *path, const struct ps_err *why, char *out,
                        size_t size, struct ps_err *err);

/* work/<business>/ inputs left by a crash, for resumption, oldest first. */
int ps_spool_leftovers(const char *spool, const char *business,
                       int (*cb)(void *ctx, const char *path), void *ctx,
                       struct ps_err *err);

/* 1 when intake never claims a file of this name: dot files, uploads in
 * progress (.part, .tmp, .filepart, .partial) and payspool's own
 * sidecars (.done, .sha256, .reason); else 0.  What `status` counts as
 * backlog follows it. */
int ps_spool_ignored_name(const char *name);

/* Regular files under dir (and `depth` levels of folders below it) that
 * intake would take as inputs: sidecars and uploads in progress (the
 * names ps_spool_ignored_name() refuses) are not backlog.  0 for a
 * folder that cannot be read.  `status` and the metrics' backlog. */
long ps_spool_count_inputs(const char *dir, int depth);

/* Create the folders of the tree for one business (0750). */
int ps_spool_business_dirs(const char *spool, const char *business,
                           struct ps_err *err);

#endif /* PS_SPOOL_H */
