/*
 * isoresult.h -- the ISO 20022 pain.002 status report of an applied
 * pain.001 document (private to src/intake/; isoresult.c says how).
 */
#ifndef PS_ISORESULT_H
#define PS_ISORESULT_H

#include "base/err.h"
#include "base/model.h"
#include "engine/engine.h"
#include "formats/archive/unwrap.h"
#include "formats/format.h"

struct ps_isoids;

/*
 * The apply pass's side file of a pain.001 document (isoresult.c says
 * what it holds): work/<business>/.<input>.<index>.pain002ids, opened
 * afresh (*out NULL for a document of another format: the calls below
 * then do nothing), one call per record read (the records a resumed pass
 * skips too), made durable before the document's last commit.
 */
int ps_isoids_open(struct ps_isoids **out, const char *dir, const char *input,
                   int index, const char *format, struct ps_err *err);
int ps_isoids_record(struct ps_isoids *x, const struct ps_record *rec,
                     struct ps_err *err);
int ps_isoids_sync(struct ps_isoids *x, struct ps_err *err);
void ps_isoids_close(struct ps_isoids *x);
/* Remove it (dir: work/<business>); nothing if there is none. */
void ps_isoids_remove(const char *dir, const char *input, int index);

/*
 * Write outbound/<business>/results/<f->id>.pain002.xml for document f
 * (document `index` of the input open on fd) from the apply pass's side
 * file and its record results (without a side file, the document is read
 * again in a walk of its own), then remove the side file: group status ACCP, PART
 * or RJCT, one TxInfAndSts per record (ACCP, or RJCT with the ISO reason
 * code and payspool's code and message in AddtlInf).  Does nothing for a
 * document of another format.  An existing report (a crash after it) is
 * completed, not rewritten.  0, or a negative PS_E* with err.
 */
int ps_isoresult_publish(struct ps_engine *eng, const char *spool,
                         const struct ps_business *b, const struct ps_file *f,
                         int fd, const char *input,
                         const struct ps_unwrap_limits *limits, int index,
                         struct ps_err *err);

/*
 * The same for a document refused whole (why: the refusal): group status
 * RJCT with the ISO reason of why's rule and payspool's code and message
 * in AddtlInf, the MsgId as far as the document could be read, no
 * transaction.  Nothing for a document of another format.
 */
int ps_isoresult_refused(const char *spool, const struct ps_business *b,
                         const struct ps_file *f, int fd, const char *input,
                         const struct ps_unwrap_limits *limits, int index,
                         const struct ps_err *why, struct ps_err *err);

#endif /* PS_ISORESULT_H */
