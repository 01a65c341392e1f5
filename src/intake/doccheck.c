/*
 * doccheck.c -- pass 1 on one document, and the book of customers it
 * starts loading for pass 2 (doccheck.h).
 *
 * How it fails: a document that cannot be read or breaks its format's
 * whole-document rules is an outcome (1, why); the engine's errors are
 * returned.  The book loaded ahead never fails a document: without it,
 * pass 2 loads the book itself.
 */
#include "intake/doccheck.h"

#include <string.h>

#include "base/log.h"
#include "engine/achconf.h"
#include "formats/nacha/nacha.h"
#include "intake/channel.h"

/*
 * Pass 1 on one document: read everything, check the whole-document
 * rules.  0 to apply it, 1 when it is rejected whole (why says why), or a
 * negative engine error.
 */
int ps_doc_check(struct ps_engine *eng, struct ps_paybook_prefetch **payees,
                 const struct ps_business *b, const struct ps_doc *doc,
                 struct ps_file *f, char *docname, size_t dsize,
                 const char *options, struct ps_doc_totals *totals,
                 unsigned *kinds, struct ps_spill *spill,
                 struct ps_spillseg *seg, struct ps_err *why,
                 struct ps_err *err)
{
    struct ps_docread d;
    struct ps_record rec;
    int rc;
    memset(totals, 0, sizeof(*totals));
    ps_strlcpy(docname, doc->name, dsize);
    ps_strlcpy(f->member, doc->member != NULL ? doc->member : "",
               sizeof(f->member));
    rc = ps_docread_check(&d, doc, options, spill, seg, why); /* docread.h */
    if (rc < 0)
        /* A document that cannot be recognized is rejected. */
        return rc == PS_EINVAL ? 1 : (*err = *why, rc);
    ps_strlcpy(f->format, d.fmt->name, sizeof(f->format));
    /* A pain.001's apply pass needs the business's customers (the book of
     * engine/paybook.h): loaded meanwhile, on the other core. */
    struct ps_err ignored;
    if (*payees == NULL && strcmp(f->format, "iso20022") == 0)
        (void)ps_paybook_prefetch_start(eng, b->id, payees, &ignored);
    /* Every record's kind, for the source check (channel.h): trust is
     * judged on what the records are, not on a peek or the name. */
    while ((rc = d.fmt->next(d.state, &rec, why)) > 0)
        *kinds |= ps_channel_kind(rec.kind);
    if (rc == 0)
        rc = d.fmt->finish(d.state, totals, why);
    if (rc < 0 && why->file[0] == '\0')
        ps_err_at(why, d.doc.name, 0, -1);
    ps_docread_stop(&d);
    if (rc < 0)
        return rc == PS_EINVAL ? 1 : (*err = *why, rc);
    f->records = totals->records;
    ps_strlcpy(f->currency, totals->currency, sizeof(f->currency));
    ps_strlcpy(f->options_used, totals->options_used, sizeof(f->options_used));
    return 0;
}

/* The business's reading options, as text for the formats that take them
 * (NACHA's lenient options, achconf.h). */
int ps_doc_options(const char *conf_path, const struct ps_business *b,
                   char *buf, size_t size, struct ps_err *err)
{
    struct ps_ach_config ac;
    int rc = ps_ach_config_load(conf_path, b->name, &ac, err);
    if (rc == 0)
        ps_nacha_lenient_format(ac.lenient, buf, size);
    return rc;
}

void ps_doc_payees_give(struct ps_paybook_prefetch **payees,
                        struct ps_applier *ap, const struct ps_file *f,
                        const char *docname)
{
    if (*payees == NULL || strcmp(f->format, "iso20022") != 0)
        return;
    struct ps_paybook *book = ps_paybook_prefetch_take(*payees, 1);
    *payees = NULL;
    ps_log(PS_LOG_DEBUG, "document.payees_ahead", "{s:s, s:b}", "document",
           docname, "used", book != NULL);
    ps_applier_give_payees(ap, book);
}
