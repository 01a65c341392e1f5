/*
 * pipeline.h -- from a claimed input file to applied records, result files
 * and an archived (or quarantined) input.
 *
 * For each document of the input (archive members are documents):
 *   1. detect the format (bidding), read every record and check the
 *      whole-document rules (control totals) -- nothing is applied if
 *      this fails, the document is REJECTED;
 *   2. apply the records in chunks of cfg->chunk_records, one SQLite
 *      transaction each; the checkpoint (records done, byte offset, result
 *      bytes written, counts) commits in the same transaction;
 *   3. write the result file into outbound/<business>/results/
 *      atomically.
 * Then the input is archived (or moved to failed/ when nothing in it could
 * be applied).  The content hash makes intake exactly-once: the same
 * content again is a DUPLICATE.  After a crash, the same call on the input
 * left in work/ resumes from the checkpoints; no record is applied twice.
 */
#ifndef PS_PIPELINE_H
#define PS_PIPELINE_H

#include <signal.h>

#include "engine/engine.h"
#include "intake/channel.h"
#include "intake/spool.h"

/* Longest inbound file name taken; longer ones go to failed/ (our own
 * result, work and archive names are built from it). */
#define PS_INPUT_NAME_MAX 160

struct ps_run_stats {
    long inputs;           /* inputs taken (claimed or resumed) */
    long documents;        /* documents finished */
    long rejected_docs;    /* documents rejected whole */
    long duplicate_inputs; /* inputs refused as duplicates */
    long failed_inputs;    /* inputs moved to failed/ */
    long records, accepted, rejected, duplicates;
};

struct ps_pipeline {
    struct ps_engine *eng;
    const struct ps_spool_config *cfg;
    const char *spool;
    volatile sig_atomic_t *stop; /* set: finish the chunk and return */
    int resuming; /* the input was found in work/, not just claimed */
    /*
     * When set, an inbound file is claimed only if want() returns
     * non-zero for it (path: its place in inbound/); the others stay for
     * a later pass.  The scheduler's steps take their own kinds of input
     * this way.  Leftovers in work/ are always resumed.
     */
    int (*want)(void *ctx, const char *path, const char *name);
    void *want_ctx;
    struct ps_run_stats stats;
    /*
     * The source of the input being processed (channel.h): NULL for the
     * business's own inbound/<business>/, else the provider whose folder
     * it was claimed from.  Set by the pass, never by the file.
     */
    const char *provider;
    /* The provider folders' stability watches, made as needed by
     * ps_pipeline_run_once(); ps_pipeline_release() frees them. */
    struct ps_channel_watches *pwatches;
    /* payment.send's book of the input's business, loaded beside its
     * check pass for its first pain.001 (pipeline.c, engine/paybook.h) */
    struct ps_paybook_prefetch *payees;
};

/* Free what passes kept in p (the provider folders' watches). */
void ps_pipeline_release(struct ps_pipeline *p);

/*
 * Process (or resume) one input in work/<business>/.  Returns 0 when the
 * input was dealt with, whatever its outcome; PS_EBUSY (rule INTERRUPTED)
 * when *stop was set (the input stays in work/ and resumes next time); or
 * a negative PS_E* when the engine failed (also left for the next run).
 */
int ps_pipeline_input(struct ps_pipeline *p, const struct ps_business *b,
                      const char *work_path, struct ps_err *err);

/*
 * One pass over the spool: resume everything left in work/, then claim
 * and process every complete inbound file of every business, then those
 * of the provider folders bound to it (channel.h).  With
 * wait_stable, files that only need more time to prove stable are waited
 * for once (cron mode).  An input that fails with an engine error is
 * logged and left in work/, and the pass goes on with the others; the
 * first such failure is returned at the end.
 */
int ps_pipeline_run_once(struct ps_pipeline *p, struct ps_spool_watch *watch,
                         int wait_stable, struct ps_err *err);

#endif /* PS_PIPELINE_H */
