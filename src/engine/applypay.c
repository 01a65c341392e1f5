/*
 * applypay.c -- payment.send (a pain.001's, a pstest's, a CSV's
 * payments) and the rows the writer thread writes in batches for the
 * chunk: each payment's ISO 20022 references and each record's
 * exactly-once key (apply.h, apply_int.h).
 *
 * With the writer thread (ps_applier_threads), a payment to a customer
 * named by external id is decided here, on the intake thread (the
 * customer and its account from the book of paybook.h, the creation's
 * checks, its id and times) and its row written by the writer thread
 * (payment_write), as the EWA disbursements are; the keys and references
 * go to the writer BATCH_ROWS at a time and at the commit.  Only the
 * store can say that a request id or a record key was used before: the
 * writer then fails, and the chunk is rolled back and applied again on
 * one thread (intake/pipeline.c), where it is the record's DUPLICATE.
 * A payment by bank account reads the store here: the writer is drained
 * first.
 */
#include "engine/apply.h"
#include "engine/apply_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ewawriter.h"
#include "engine/paybook.h"
#include "engine/txn.h"
#include "base/crypto.h"
#include "base/money.h"

/* Rows kept for the writer thread: it takes them BATCH_ROWS at a time
 * (refs_post, keys_post), while the intake thread decides the next. */
#define BATCH_ROWS 512

/* Append n NUL-terminated strings to a growable block. */
static int texts_add(char **buf, size_t *len, size_t *cap,
                     const char *const *v, int n, struct ps_err *e)
{
    size_t l[4], need = 0;
    for (int i = 0; i < n; i++)
        need += (l[i] = strlen(v[i])) + 1;
    if (*len + need > *cap) {
        size_t c = *cap != 0 ? *cap * 2 : 65536;
        while (c < *len + need)
            c *= 2;
        char *nb = realloc(*buf, c);
        if (nb == NULL)
            return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
        *buf = nb;
        *cap = c;
    }
    for (int i = 0; i < n; i++) {
        memcpy(*buf + *len, v[i], l[i] + 1);
        *len += l[i] + 1;
    }
    return 0;
}

/* Write n rows of references (4 strings each, in text), each by its
 * transaction's row number (slots), or by its id (slots NULL).  Every
 * transaction they name is written in the same store transaction, so a
 * refusal here is never a record's: the chunk rolls back whole
 * (PS_ESTORE). */
static int refs_insert(struct ps_store *store, const char *business_id,
                       size_t n, const char *text,
                       const struct ps_ref_slot *slots, struct ps_err *e)
{
    if (n == 0)
        return 0;
    const char **cols = malloc(4 * n * sizeof(*cols));
    int64_t *rows = slots != NULL ? malloc(n * sizeof(*rows)) : NULL;
    if (cols == NULL || (slots != NULL && rows == NULL)) {
        free(cols);
        free(rows);
        return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
    }
    const char *p = text;
    for (size_t i = 0; i < 4 * n; i++) {
        cols[i] = p;
        p += strlen(p) + 1;
    }
    for (size_t i = 0; rows != NULL && i < n; i++)
        rows[i] = slots[i].rowid;
    int rc = rows != NULL
                 ? ps_store_iso_refs_insert_rows(store, business_id, n, cols,
                                                 rows, e)
                 : ps_store_iso_refs_insert(store, business_id, n, cols, e);
    free(cols);
    free(rows);
    if (rc != 0 && rc != PS_ENOMEM && rc != PS_EBUSY) {
        char why[PS_ERR_MSG_MAX];
        ps_strlcpy(why, e->msg, sizeof(why));
        return ps_err_set(e, PS_ESTORE, "STORE_ERROR",
                          "%zu transactions written, their ISO 20022 "
                          "references refused: %s",
                          n, why);
    }
    return rc;
}

/* Write n record keys (key, file id, record number, in text): a key
 * used before is DUPLICATE_RECORD (PS_ECONFLICT). */
static int keys_insert(struct ps_store *store, const char *business_id,
                       size_t n, const char *text,
                       const struct ps_ref_slot *unused, struct ps_err *e)
{
    (void)unused;
    const char *p = text;
    for (size_t i = 0; i < n; i++) {
        const char *key = p;
        const char *file_id = key + strlen(key) + 1;
        const char *no = file_id + strlen(file_id) + 1;
        p = no + strlen(no) + 1;
        int rc = ps_store_record_key_insert(store, business_id, key, file_id,
                                            strtol(no, NULL, 10), e);
        if (rc == PS_ECONFLICT)
            return ps_err_set(e, PS_ECONFLICT, "DUPLICATE_RECORD",
                              "record %s was applied before", key);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A block of rows handed to the writer thread, which frees it. */
struct batch {
    struct ps_store *store;
    char business_id[PS_ID_SIZE];
    size_t n;
    char *text;
    struct ps_ref_slot *slots; /* the references' row numbers, or NULL */
    int (*insert)(struct ps_store *, const char *, size_t, const char *,
                  const struct ps_ref_slot *, struct ps_err *);
};

static int batch_write(void *arg, int skip, struct ps_err *e)
{
    struct batch *b = arg;
    int rc =
        skip ? 0
             : b->insert(b->store, b->business_id, b->n, b->text, b->slots, e);
    free(b->text);
    free(b->slots);
    free(b);
    return rc;
}

/* Queue the rows kept in *buf to the writer thread (the block goes with
 * them; the next rows start a new one). */
static int batch_post(struct ps_applier *ap, char **buf, size_t *len,
                      size_t *cap, size_t *n, struct ps_ref_slot **slots,
                      int (*insert)(struct ps_store *, const char *, size_t,
                                    const char *, const struct ps_ref_slot *,
                                    struct ps_err *),
                      struct ps_err *e)
{
    if (*n == 0)
        return 0;
    struct batch *b = malloc(sizeof(*b));
    if (b == NULL)
        return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
    b->store = ap->eng->store;
    ps_strlcpy(b->business_id, ap->b.id, sizeof(b->business_id));
    b->n = *n;
    b->text = *buf;
    b->slots = slots != NULL ? *slots : NULL;
    b->insert = insert;
    *buf = NULL;
    *len = *cap = *n = 0;
    if (slots != NULL) { /* the next references start a block of their own */
        *slots = NULL;
        ap->ref_slots_cap = 0;
    }
    ps_ewa_writer_call(ap->w, batch_write, b);
    return 0;
}

/* Keep a payment's references for the chunk's commit (with the writer
 * thread: for the writer, BATCH_ROWS at a time). */
static int ref_add(struct ps_applier *ap, const char *const v[4],
                   struct ps_err *e)
{
    int rc = texts_add(&ap->refs, &ap->refs_len, &ap->refs_cap, v, 4, e);
    if (rc != 0)
        return rc;
    if (++ap->nrefs >= BATCH_ROWS && ap->w != NULL)
        return batch_post(ap, &ap->refs, &ap->refs_len, &ap->refs_cap,
                          &ap->nrefs, &ap->ref_slots, refs_insert, e);
    return 0;
}

/* The slot of the next reference's row number (ref_add's, after the
 * payment is written).  With the writer a block holds BATCH_ROWS and
 * ref_add posts it when full, so it never moves under a queued write;
 * without, it grows. */
static int ref_slot(struct ps_applier *ap, struct ps_ref_slot **slot,
                    struct ps_err *e)
{
    if (ap->nrefs >= ap->ref_slots_cap) {
        size_t cap =
            ap->ref_slots_cap != 0 ? 2 * ap->ref_slots_cap : BATCH_ROWS;
        struct ps_ref_slot *n = realloc(ap->ref_slots, cap * sizeof(*n));
        if (n == NULL)
            return ps_err_set(e, PS_ENOMEM, "NO_MEMORY", "out of memory");
        ap->ref_slots = n;
        ap->ref_slots_cap = cap;
    }
    *slot = &ap->ref_slots[ap->nrefs];
    (*slot)->store = ap->eng->store;
    (*slot)->rowid = 0;
    return 0;
}

/* Write the references kept (the writer drained, or none). */
int ps_apply_refs_flush(struct ps_applier *ap, struct ps_err *e)
{
    int rc = refs_insert(ap->eng->store, ap->b.id, ap->nrefs, ap->refs,
                         ap->ref_slots, e);
    if (rc == 0)
        ap->nrefs = ap->refs_len = 0;
    return rc;
}

int ps_apply_batches_post(struct ps_applier *ap, struct ps_err *err)
{
    int rc = batch_post(ap, &ap->keys, &ap->keys_len, &ap->keys_cap, &ap->nkeys,
                        NULL, keys_insert, err);
    if (rc == 0)
        rc = batch_post(ap, &ap->refs, &ap->refs_len, &ap->refs_cap, &ap->nrefs,
                        &ap->ref_slots, refs_insert, err);
    return rc;
}

int ps_applier_key(struct ps_applier *ap, const char *key, const char *file_id,
                   long record_no, struct ps_err *err)
{
    if (ap->w == NULL)
        return ps_store_record_key_insert(ap->eng->store, ap->b.id, key,
                                          file_id, record_no, err);
    char no[24];
    snprintf(no, sizeof(no), "%ld", record_no);
    const char *v[3] = {key, file_id, no};
    int rc = texts_add(&ap->keys, &ap->keys_len, &ap->keys_cap, v, 3, err);
    if (rc != 0)
        return rc;
    if (++ap->nkeys >= BATCH_ROWS)
        return batch_post(ap, &ap->keys, &ap->keys_len, &ap->keys_cap,
                          &ap->nkeys, NULL, keys_insert, err);
    return 0;
}

/*
 * The account a record names by routing_number and account_number (an
 * ISO 20022 creditor without a private identification: USABA member id
 * and CdtrAcct/Id/Othr/Id), through the account number's keyed token.
 * The number is never quoted in an error.
 */
static int by_bank(struct ps_engine *eng, const struct ps_business *b,
                   const struct ps_record *rec, struct ps_account *a,
                   struct ps_err *e)
{
    char token[PS_TOKEN_SIZE];
    const char *routing = ps_record_get(rec, "routing_number");
    int rc;
    if (eng->keys == NULL)
        return ps_err_set(e, PS_ECRYPTO, "NO_KEY_FILE",
                          "finding an account by its number needs the key "
                          "file");
    if ((rc = ps_keys_token(eng->keys, ps_record_get(rec, "account_number"),
                            token, e)) != 0)
        return rc;
    rc = ps_store_account_find_bank(eng->store, b->id, routing, token, a, e);
    if (rc == PS_ENOTFOUND) {
        ps_err_set(e, rc, "ACCOUNT_NOT_FOUND",
                   "no bank account with routing number %s and that account "
                   "number in this business",
                   routing);
        ps_err_field(e, "account_number");
        return rc;
    }
    if (rc == 0 && a->status != PS_STATUS_ACTIVE)
        return ps_err_set(e, PS_EINVAL, "NO_ACTIVE_ACCOUNT",
                          "the bank account with routing number %s is not "
                          "active",
                          routing);
    return rc;
}

/* The customer a payment names by external id, and its first active
 * account, from the applier's book (loaded on the first payment): into
 * t, and what the creation's checks read into *p. */
static int payee_of(struct ps_applier *ap, const char *ext, struct ps_txn *t,
                    struct ps_txn_party *p, struct ps_err *e)
{
    int rc;
    /* Read from the store: the writer's queue emptied first. */
    if (ap->payees == NULL &&
        ((rc = ps_applier_drain(ap, e)) != 0 ||
         (rc = ps_paybook_load(ap->eng, ap->b.id, &ap->payees, e)) != 0))
        return rc;
    const struct ps_payee *c = ps_paybook_find(ap->payees, ext);
    if (c == NULL) {
        ps_err_set(e, PS_ENOTFOUND, "CUSTOMER_NOT_FOUND",
                   "no customer %s in this business", ext);
        ps_err_field(e, "external_id");
        return PS_ENOTFOUND;
    }
    if (!c->has_account)
        return ps_err_set(e, PS_EINVAL, "NO_ACTIVE_ACCOUNT",
                          "customer %s has no active financial account", ext);
    ps_strlcpy(t->customer_id, c->customer_id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, c->account_id, sizeof(t->account_id));
    *p = (struct ps_txn_party){ap->b.id,        c->external_id,
                               c->customer_status, c->customer_id,
                               PS_STATUS_ACTIVE, c->account_kind,
                               ""};
    return 0;
}

/* The account a payment names by routing and account number (by_bank),
 * into t.  The store is read on this thread: with the writer, after it
 * is drained, and the chunk's later refusals ask the store too. */
static int bank_payee_of(struct ps_applier *ap, const struct ps_record *rec,
                         struct ps_txn *t, struct ps_err *e)
{
    struct ps_account a;
    int rc;
    if (ap->w != NULL) {
        ap->direct = 1;
        if ((rc = ps_applier_drain(ap, e)) != 0)
            return rc;
    }
    rc = by_bank(ap->eng, &ap->b, rec, &a, e);
    if (rc != 0)
        return rc;
    ps_strlcpy(t->customer_id, a.customer_id, sizeof(t->customer_id));
    ps_strlcpy(t->account_id, a.id, sizeof(t->account_id));
    return 0;
}

/* The writer thread's half of a payment (payment_post): the row, which
 * is the whole creation (no posting at creation).  A request id used
 * before fails the writer, and the chunk is applied again on one thread,
 * where it is the record's DUPLICATE_REQUEST (ewawriter.h). */
static int payment_write(void *ctx, const struct ps_ewa_post *post,
                         struct ps_err *e)
{
    return ps_txn_create_prepared(ctx, &post->t, &post->src, NULL, NULL,
                                  post->now, e);
}

/* The same for a payment with references: its row number into its slot
 * (ctx), for the references' batch that follows it in the queue. */
static int payment_write_ref(void *ctx, const struct ps_ewa_post *post,
                             struct ps_err *e)
{
    struct ps_ref_slot *slot = ctx;
    int rc = ps_txn_create_prepared(slot->store, &post->t, &post->src, NULL,
                                    NULL, post->now, e);
    if (rc == 0)
        slot->rowid = ps_store_txn_last_rowid(slot->store);
    return rc;
}

/* A payment decided on this thread (the creation's checks, its id and
 * times) and written by the writer thread. */
static int payment_post(struct ps_applier *ap, struct ps_txn *t,
                        const struct ps_txn_party *party,
                        const struct ps_source *src, struct ps_ref_slot *slot,
                        struct ps_err *e)
{
    struct ps_ewa_post post;
    int rc = ps_engine_txn_prepare_for(ap->eng, t, party, post.now, e);
    if (rc != 0)
        return rc;
    post.entry = 0;
    post.t = *t;
    post.src = *src;
    if (slot != NULL)
        return ps_ewa_writer_post_write(ap->w, payment_write_ref, slot, &post,
                                        e);
    return ps_ewa_writer_post_write(ap->w, payment_write, ap->eng->store,
                                    &post, e);
}

/* payment.send: a PAYMENT SEND to the customer's first active account, or
 * to the bank account the record names by routing and account number. */
int ps_apply_payment(struct ps_applier *ap, const struct ps_record *rec,
                     const struct ps_source *src, struct ps_apply_result *res,
                     struct ps_err *e)
{
    const char *req, *ext = "", *amount, *cur;
    struct ps_txn_party party;
    struct ps_txn t;
    int rc;
    memset(&t, 0, sizeof(t));
    int bank = ps_record_get(rec, "external_id") == NULL &&
               ps_record_get(rec, "routing_number") != NULL &&
               ps_record_get(rec, "account_number") != NULL;
    if ((rc = ps_apply_required(rec, "request_id", &req, e)) != 0 ||
        (!bank && (rc = ps_apply_required(rec, "external_id", &ext, e)) != 0) ||
        (rc = ps_apply_required(rec, "amount", &amount, e)) != 0 ||
        (rc = ps_apply_required(rec, "currency", &cur, e)) != 0)
        return rc;
    if (strlen(req) > 64) {
        ps_err_set(e, PS_EINVAL, "FIELD_TOO_LONG",
                   "request_id is longer than 64 characters");
        ps_err_field(e, "request_id");
        return PS_EINVAL;
    }
    if ((rc = ps_money_parse_cur(amount, cur, PS_MONEY_NOT_A_CARD, &t.amount,
                                 e)) != 0) {
        ps_err_field(e, "amount");
        return rc;
    }
    if (t.amount == 0) {
        ps_err_set(e, PS_EINVAL, "AMOUNT_NOT_POSITIVE",
                   "amount must be positive");
        ps_err_field(e, "amount");
        return PS_EINVAL;
    }
    if ((rc = bank ? bank_payee_of(ap, rec, &t, e)
                   : payee_of(ap, ext, &t, &party, e)) != 0)
        return rc;
    ps_strlcpy(t.business_id, ap->b.id, sizeof(t.business_id));
    ps_strlcpy(t.currency, cur, sizeof(t.currency));
    ps_strlcpy(t.request_id, req, sizeof(t.request_id));
    t.type = PS_TXN_SEND;
    t.purpose = PS_PURPOSE_PAYMENT;
    /* A pain.001's references, for the camt.054 (outbound/camt.c): their
     * row's columns are NOT NULL, so a missing one is refused here, before
     * the transaction is written.  The creation has no savepoint of its
     * own (ps_txn_create_nested); the references are written at the
     * chunk's commit (refs_flush), where a failure rolls the chunk back
     * (issue 19). */
    const char *msg_id = ps_record_get(rec, "msg_id");
    const char *pmt_inf_id = ps_record_get(rec, "pmt_inf_id");
    if (msg_id != NULL && pmt_inf_id == NULL) {
        ps_err_set(e, PS_EINVAL, "FIELD_REQUIRED",
                   "pmt_inf_id is required with msg_id");
        ps_err_field(e, "pmt_inf_id");
        return PS_EINVAL;
    }
    /* By bank account, the creation's checks read the customer and the
     * account from the store; by external id, from the book, and with
     * the writer thread the row is written there (payment_write). */
    struct ps_ref_slot *slot = NULL;
    if (msg_id != NULL && (rc = ref_slot(ap, &slot, e)) != 0)
        return rc;
    if (!bank && ap->w != NULL)
        rc = payment_post(ap, &t, &party, src, slot, e);
    else {
        rc = bank ? ps_engine_txn_create_nested(ap->eng, &t, src, e)
                  : ps_engine_txn_create_for(ap->eng, &t, &party, src, e);
        if (rc == 0 && slot != NULL)
            slot->rowid = ps_store_txn_last_rowid(ap->eng->store);
    }
    if (rc != 0)
        return rc;
    if (msg_id != NULL) {
        /* The EndToEndId is the request id: "" (schema 31 keeps NULL). */
        const char *v[4] = {t.id, msg_id, pmt_inf_id, ""};
        if ((rc = ref_add(ap, v, e)) != 0)
            return rc;
    }
    ps_strlcpy(res->ids, t.id, sizeof(res->ids));
    res->amount = t.amount;
    ps_strlcpy(res->currency, t.currency, sizeof(res->currency));
    return 0;
}
