/*
 * snapshot.h -- what is applied is exactly the bytes that were hashed and
 * checked (issue 18): a private copy of a claimed input, taken when a pass
 * picks the input up, that every step of the pass reads.
 *
 * The claimed file in work/<business>/ may still change: an uploader whose
 * descriptor was open at the claim (SFTP servers keep writing into a
 * renamed file), or anyone with write access to work/.  Once, that made a
 * run apply 60,000 records, fail on the trailer (a line appended under
 * it), reject the file as a new hash on the next pass and leave the first
 * document PROCESSING with its transactions payable.
 *
 * So a pass copies the claimed file into an unnamed file of its own
 * (O_TMPFILE in the same folder, mode 0400: no path, no other descriptor,
 * nobody can write it), hashes the copy and reads only the copy: the
 * wrapper check, the check pass and the apply pass all read one
 * descriptor (ps_unwrap_open_fd(), pread from byte 0), so an append or a
 * rewrite of the claimed file during the pass is never seen.  A copy costs
 * less than verifying the file as it is read: on a 135 MB input on ext4
 * here, copy_file_range + fsync took 0.11-0.17 s, while a keyed BLAKE2b
 * tag per 64 KiB block (the other way: tags taken while hashing, checked
 * as each read pass reads) added 0.10-0.14 s to the hash and 0.16-0.19 s
 * to each of the three read passes.  (FICLONE would make the copy free;
 * ext4 refuses it, and the copy falls back without it.)
 *
 * Between passes (a crash, a stop), the copy is gone; the next pass copies
 * the claimed file again and compares it with what the store recorded of
 * the input (its hash and size, ps_snapshot_prefix()): bytes appended
 * meanwhile are cut off the copy (never seen); bytes rewritten make the
 * input FILE_CHANGED_AFTER_CLAIM (the pipeline's business).
 *
 * Before the input is archived, the claimed file is made to hold the bytes
 * that were applied: when it changed after the copy, it goes to failed/ as
 * evidence (nothing is deleted) and the copy takes its place
 * (ps_snapshot_install()).
 */
#ifndef PS_SNAPSHOT_H
#define PS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/output.h"

struct ps_snapshot {
    int fd;              /* the private copy (O_TMPFILE), -1 when none */
    int orig;            /* the claimed file, read-only, -1 when none */
    struct stat orig_st; /* the claimed file when it was copied */
    int64_t size;        /* bytes of the copy */
    char sha256[PS_SHA256_HEX]; /* of the copy */
    struct ps_snapshot_hashing *hashing; /* still hashing (begin) */
};

/*
 * Copy work_path (a regular file, not followed if a link) into a private
 * unnamed file in its folder, and hash the copy.  The claimed file is made
 * read-only (0440) on the way: payspool owns it from the claim on.  A file
 * whose size or mtime moved during the copy is PS_EBUSY INPUT_CHANGED
 * (still being written: the next pass tries again).
 */
int ps_snapshot_take(const char *work_path, struct ps_snapshot *s,
                     struct ps_err *err);

/*
 * The same, but the copy's hash may still be taken on its thread when it
 * returns (an input of 8 MiB or more): the copy is whole and may be read
 * (s->size is its size), s->sha256 is empty until ps_snapshot_hashed().
 * The pipeline checks a new input's documents meanwhile, on the other
 * core (pipeline.c, "Pass 1 beside the hash").
 */
int ps_snapshot_begin(const char *work_path, struct ps_snapshot *s,
                      struct ps_err *err);

/* Wait for the hash of ps_snapshot_begin(): s->sha256 (and s->size) set;
 * nothing when it was taken already.  ps_snapshot_close() without it
 * stops the thread. */
int ps_snapshot_hashed(struct ps_snapshot *s, struct ps_err *err);

/*
 * Cut the copy to its first `size` bytes if they hash to `sha256` (an
 * input that grew after its claim): 1 when done (s->size and s->sha256
 * updated), 0 when they differ or the copy is shorter.
 */
int ps_snapshot_prefix(struct ps_snapshot *s, int64_t size,
                       const char *sha256, struct ps_err *err);

/* Has the claimed file changed since it was copied (or the copy cut)? */
int ps_snapshot_orig_changed(const struct ps_snapshot *s);

/*
 * Put the copy in place of the claimed file at work_path (link it under a
 * dot name beside it, then rename(2) over it; the folder is synced).  The
 * caller has kept the changed file elsewhere first.
 */
int ps_snapshot_install(struct ps_snapshot *s, const char *work_path,
                        struct ps_err *err);

/*
 * The claimed file changed after it was copied (bytes appended, or
 * rewritten) and every document was applied from the copy: keep the
 * changed file in failed/<business>/ with a FILE_CHANGED_AFTER_CLAIM
 * reason (*out: where), then install the copy at work_path, so the
 * archive holds exactly what was applied.  A crash in between only keeps
 * the evidence twice.
 */
int ps_snapshot_keep_changed(const char *spool, const char *business,
                             const char *work_path, struct ps_snapshot *s,
                             char *out, size_t size, struct ps_err *err);

void ps_snapshot_close(struct ps_snapshot *s);

#endif /* PS_SNAPSHOT_H */
