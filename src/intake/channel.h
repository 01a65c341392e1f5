/*
 * channel.h -- the provider channel (SPEC.md section 4, issue 18): answers
 * from a card processor or an ODFI arrive only in
 *
 *   providers/<provider>/inbound/<business>/
 *
 * for the (provider, business) pairs the configuration binds
 * ([provider NAME] businesses = ..., and the sandbox provider on a
 * sandbox spool).  Trust follows the folder: a file claimed from there
 * carries its provider as its source through the pipeline; a file from
 * the business's own inbound/<business>/ carries none.  The record kinds
 * a source may send are checked per document before anything is applied:
 * answer kinds (txn.status, ach.return, ach.noc) only from a provider
 * (ANSWER_NOT_FROM_PROVIDER otherwise), and nothing else from a provider
 * (NOT_A_PROVIDER_ANSWER).
 *
 * A provider's file is claimed into the business's work/<business>/ like
 * any other (it is business <business>'s input from then on: archive,
 * failed/, results stay per business); its source is kept beside it in
 * work/ as .NAME.source, written before the claim's rename and bound to
 * the file's inode, so a crash between claim and check resumes it with
 * the same trust, and no other file can inherit that trust.
 */
#ifndef PS_CHANNEL_H
#define PS_CHANNEL_H

#include <stddef.h>

#include "base/err.h"
#include "intake/spool.h"

/* What a document's records are, for the source check. */
enum ps_channel_kinds {
    PS_CHANNEL_ANSWER = 1u << 0, /* provider answers: txn.status, ach.return,
                                  * ach.noc */
    PS_CHANNEL_OTHER = 1u << 1   /* anything an employer sends */
};

/* The class of one record kind (0 for a skipped record, kind NULL). */
unsigned ps_channel_kind(const char *kind);

/*
 * May a document whose records are `kinds` come from this source
 * (provider NULL: the business's own inbound)?  0 when it may; 1 when it
 * is refused whole, with why (PS_EINVAL, ANSWER_NOT_FROM_PROVIDER or
 * NOT_A_PROVIDER_ANSWER) at docname.
 */
int ps_channel_refuse(const char *provider, unsigned kinds, const char *docname,
                      struct ps_err *why);

/* providers/<provider>/inbound/<business> into out. */
int ps_channel_folder(char *out, size_t size, const char *spool,
                      const char *provider, const char *business,
                      struct ps_err *err);

/*
 * Create providers/<p>/inbound/<business>/ (0750) for every provider bound
 * to `business` (init, business add, engine start).
 */
int ps_channel_dirs(const char *spool, const struct ps_spool_config *cfg,
                    const char *business, struct ps_err *err);

/*
 * Claim providers/<provider>/inbound/<business>/<name> into
 * work/<business>/<name>, with its source sidecar (and its .done marker,
 * if any).  *path receives the work path.  PS_ENOTFOUND when someone else
 * took it, or when work/ still holds an input of that name (it waits for
 * a later pass).
 */
int ps_channel_claim(const char *spool, const char *provider,
                     const char *business, const char *name, char *path,
                     size_t size, struct ps_err *err);

/*
 * The provider an input in work/<business>/ was claimed from: its name
 * (in provider) when a sidecar names one, was written for this very file
 * (same device and inode) and the provider is still bound to business;
 * NULL otherwise (the business's own input).
 */
const char *ps_channel_source(const struct ps_spool_config *cfg,
                              const char *business, const char *work_path,
                              char *provider, size_t size);

/* Drop the sidecar of an input that has left work/ (archived or failed). */
void ps_channel_forget(const char *work_path);

struct ps_channel_watches;

/*
 * Call scan() for each provider folder bound to business (the sandbox's
 * first; a missing folder is made), with that folder's own stability
 * watch from *set (made as needed).  Returns the sum of what scan() returned
 * (files pending), or the first negative one.
 */
int ps_channel_scan(const char *spool, const struct ps_spool_config *cfg,
                    const char *business, struct ps_channel_watches **set,
                    int (*scan)(void *ctx, const char *provider,
                                const char *dir, struct ps_spool_watch *w,
                                struct ps_err *err),
                    void *ctx, struct ps_err *err);

/*
 * Stability watches, one per provider folder (a watch remembers names of
 * one folder).  ps_channel_watch() finds or makes the one of (provider,
 * business) in *set; NULL when out of memory.  The set is the caller's.
 */
struct ps_channel_watches;
struct ps_spool_watch *ps_channel_watch(struct ps_channel_watches **set,
                                        const char *provider,
                                        const char *business);
void ps_channel_watches_free(struct ps_channel_watches *set);

#endif /* PS_CHANNEL_H */
