/*
 * doccheck.h -- pass 1 on one document of an input, and what it readies
 * for pass 2 (private to src/intake/; out of pipeline.c, which walks the
 * inputs and applies, to keep each file to one concern).
 */
#ifndef PS_DOCCHECK_H
#define PS_DOCCHECK_H

#include <stddef.h>

#include "base/err.h"
#include "base/model.h"
#include "engine/apply.h"
#include "formats/archive/unwrap.h"
#include "formats/format.h"
#include "intake/docread.h"
#include "engine/engine.h"
#include "engine/paybook.h"

/* The business's reading options, as text for the formats that take them
 * (NACHA's lenient options, achconf.h). */
int ps_doc_options(const char *conf_path, const struct ps_business *b,
                   char *buf, size_t size, struct ps_err *err);

/*
 * Pass 1 on one document: read everything, check the whole-document
 * rules (f gets its format, member and counts; *kinds every record's
 * kind; the records go to the spill).  0 to apply it, 1 when it is
 * rejected whole (why says why), or a negative engine error.  A
 * pain.001's check starts loading the business's book of customers on
 * another thread (*payees when NULL, engine/paybook.h) for its apply
 * pass.
 */
int ps_doc_check(struct ps_engine *eng, struct ps_paybook_prefetch **payees,
                 const struct ps_business *b, const struct ps_doc *doc,
                 struct ps_file *f, char *docname, size_t dsize,
                 const char *options, struct ps_doc_totals *totals,
                 unsigned *kinds, struct ps_spill *spill,
                 struct ps_spillseg *seg, struct ps_err *why,
                 struct ps_err *err);

/*
 * Give a new pain.001 document's applier the book loaded beside its
 * check pass (*payees, taken and cleared): used only if the database
 * did not change since it was read (engine/paybook.h); logged at debug
 * (document.payees_ahead, used true or false).  Nothing for another
 * format or when none was loaded.
 */
void ps_doc_payees_give(struct ps_paybook_prefetch **payees,
                        struct ps_applier *ap, const struct ps_file *f,
                        const char *docname);

#endif /* PS_DOCCHECK_H */
