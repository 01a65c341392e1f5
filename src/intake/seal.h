/*
 * seal.h -- inputs at rest: archived and failed inputs, gzip-compressed
 * then encrypted under the key file (issue 18: no card number in clear
 * outside the payout files).
 *
 * A sealed file ("NAME.gz.enc") is:
 *   "PSSEAL1\n"                         8 bytes, the format's magic
 *   secretstream header                 PS_STREAM_HEADER bytes
 *   messages, each a 4-byte big-endian length and that many bytes of
 *   crypto_secretstream_xchacha20poly1305 output (the magic as
 *   associated data), 64 KiB of plaintext at most; the last is tagged
 *   final.
 * The plaintext is the gzip stream archives always had: the original
 * name (FNAME) and "sha256=<hash of the original>" (FCOMMENT) in its
 * header.  NAME.sha256 beside it is the hash of the sealed bytes (a
 * check anyone can run without the key); the original's hash is the one
 * the store records (files.sha256), the name's 12-hex part and the gzip
 * comment, which ps_seal_read() verifies.  The key is the key file's
 * third subkey (crypto.h).
 */
#ifndef PS_SEAL_H
#define PS_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/crypto.h"
#include "base/err.h"
#include "base/output.h"

#define PS_SEAL_SUFFIX ".gz.enc"

/*
 * Write everything readable from fd, sealed, as dir/name (mode 0640)
 * through output.c: atomic, durable (file and folder fsynced), with
 * NAME.sha256 and NAME.done.  orig_name and sha256 go into the gzip
 * header.  PS_ECONFLICT (OUTPUT_EXISTS) when dir/name exists.
 */
int ps_seal_write(const struct ps_keys *keys, int fd, const char *orig_name,
                  const char *sha256, const char *dir, const char *name,
                  struct ps_err *err);

/*
 * ps_seal_write in two steps, the work on a thread of its own (the
 * archive's copy sealed while the input is applied: intake/pipeline.c):
 * begin opens dir/name's temporary file (the same errors as
 * ps_seal_write's, PS_ECONFLICT when it exists) and starts sealing the
 * first `size` bytes of fd (read with pread: the caller may go on using
 * fd, and close it once begin returns); end waits for the thread, then
 * publishes the file as ps_seal_write does (publish 1) or removes it (0,
 * err may be NULL).  A crash before end leaves the temporary dot-file in
 * dir (output.h), never NAME.  NULL job: nothing to do.
 */
struct ps_seal_job;
int ps_seal_begin(const struct ps_keys *keys, int fd, int64_t size,
                  const char *orig_name, const char *sha256, const char *dir,
                  const char *name, struct ps_seal_job **out,
                  struct ps_err *err);
int ps_seal_end(struct ps_seal_job *job, int publish, struct ps_err *err);

/*
 * Decrypt and gunzip `path` into sink.  The whole file is authenticated
 * and its content checked against the hash in its gzip header first, in
 * a pass that writes nothing; only then is the content sunk, so a
 * tampered or truncated file gives nothing (PS_EINVAL/ARCHIVE_TAMPERED;
 * not a sealed file at all: PS_EINVAL/ARCHIVE_FORMAT).  sha256 (may be
 * NULL) receives the original's hash.  sink NULL: the check alone.
 */
int ps_seal_read(const struct ps_keys *keys, const char *path,
                 int (*sink)(void *ctx, const void *buf, size_t len,
                             struct ps_err *err),
                 void *ctx, char sha256[PS_SHA256_HEX], struct ps_err *err);

/*
 * Seal the inputs of failed/<business>/ that have been there `days` days
 * or more (0: all of them): failed/<b>/NAME becomes NAME.gz.enc (its
 * .reason stays as it is).  The sealed copy is durable (written, fsynced,
 * renamed, folder fsynced) and read back to the same hash before the
 * clear one is removed.  The age is the .reason's (written when the input
 * was refused), else the input's change time, against ps_clock_now_ms().
 * A file that cannot be sealed is logged and left; *sealed (may be NULL)
 * counts those sealed.  Errors: only the folder itself unreadable.
 */
int ps_seal_failed(const struct ps_keys *keys, const char *spool, int days,
                   int *sealed, struct ps_err *err);

/* 1 when the input at path is there, in clear or sealed since
 * (path.gz.enc): a destination reached. */
int ps_seal_exists(const char *path);

/*
 * The step the engine's loop runs after each intake pass (daemon and
 * run --once): ps_seal_failed() with the engine's keys and the spool's
 * seal_failed_after_days.  Never fails the pass: problems are logged.
 */
struct ps_engine;
struct ps_spool_config;
void ps_seal_failed_step(struct ps_engine *eng, const char *spool,
                         const struct ps_spool_config *cfg);

#endif /* PS_SEAL_H */
