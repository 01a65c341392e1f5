/*
 * ewawriter.c -- the EWA writer thread (ewawriter.h): a bounded queue of
 * decided disbursements, written in order by one thread.
 *
 * Both sides signal with hysteresis, so a busy run costs no system call
 * per record whichever thread is the faster: the intake thread wakes
 * the writer when WAKE_AT records are queued (a drain or stop wakes it
 * for fewer), the writer wakes a full queue's poster when half of it is
 * written, and a drainer when all is.
 */
#include "engine/ewawriter.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/keyindex.h"

#define QUEUE_SIZE 1024
#define WAKE_AT 64

struct ps_ewa_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* the writer waits: queue empty */
    pthread_cond_t space; /* the poster and drainers wait */
    struct ps_ewa_post *q;
    struct ps_ewa_book *book[QUEUE_SIZE];
    /* A write of another kind (ps_ewa_writer_call): fn, NULL for a
     * disbursement of book[]. */
    ps_ewa_writer_fn fn[QUEUE_SIZE];
    /* A decided creation of another kind (ps_ewa_writer_post_write):
     * wfn(arg, q[]), NULL for a disbursement. */
    ps_ewa_writer_write_fn wfn[QUEUE_SIZE];
    void *arg[QUEUE_SIZE];
    size_t head, count;
    int stop;
    int failed; /* the first failure's code, 0 none */
    struct ps_err err;
    /* The request ids queued since the last forget, as 64-bit hashes in
     * an open-addressing table (0 empty); the poster's thread only. */
    uint64_t *seen;
    size_t nseen, seen_cap;
};

/* The request id's hash, never 0 (the empty slot). */
static uint64_t id_hash(const char *s)
{
    uint64_t h = ps_hash_str(s);
    return h != 0 ? h : 1;
}

static int seen_add(struct ps_ewa_writer *w, const char *request_id)
{
    if (2 * (w->nseen + 1) > w->seen_cap) {
        size_t cap = w->seen_cap != 0 ? 2 * w->seen_cap : 4096;
        uint64_t *t = calloc(cap, sizeof(*t));
        if (t == NULL)
            return -1;
        for (size_t i = 0; i < w->seen_cap; i++) {
            if (w->seen[i] == 0)
                continue;
            size_t k = (size_t)w->seen[i] & (cap - 1);
            while (t[k] != 0)
                k = (k + 1) & (cap - 1);
            t[k] = w->seen[i];
        }
        free(w->seen);
        w->seen = t;
        w->seen_cap = cap;
    }
    uint64_t h = id_hash(request_id);
    size_t k = (size_t)h & (w->seen_cap - 1);
    while (w->seen[k] != 0 && w->seen[k] != h)
        k = (k + 1) & (w->seen_cap - 1);
    if (w->seen[k] == 0) {
        w->seen[k] = h;
        w->nseen++;
    }
    return 0;
}

int ps_ewa_writer_queued(const struct ps_ewa_writer *w,
                         const char *request_id)
{
    if (w->nseen == 0)
        return 0;
    uint64_t h = id_hash(request_id);
    size_t k = (size_t)h & (w->seen_cap - 1);
    for (; w->seen[k] != 0; k = (k + 1) & (w->seen_cap - 1))
        if (w->seen[k] == h)
            return 1;
    return 0;
}

void ps_ewa_writer_forget(struct ps_ewa_writer *w)
{
    if (w->nseen != 0)
        memset(w->seen, 0, w->seen_cap * sizeof(*w->seen));
    w->nseen = 0;
}

static void *writer_main(void *arg)
{
    struct ps_ewa_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->stop)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->count == 0)
            break; /* stopped and drained */
        size_t at = w->head;
        int skip = w->failed != 0;
        pthread_mutex_unlock(&w->mu);
        /* The slot at head is the writer's until it moves head on. */
        struct ps_err e;
        ps_err_clear(&e);
        int rc = w->fn[at] != NULL    ? w->fn[at](w->arg[at], skip, &e)
                 : skip               ? 0
                 : w->wfn[at] != NULL ? w->wfn[at](w->arg[at], &w->q[at], &e)
                               : ps_ewa_book_write(w->book[at], &w->q[at], &e);
        pthread_mutex_lock(&w->mu);
        if (rc != 0 && w->failed == 0) {
            w->failed = rc;
            w->err = e;
        }
        w->head = (w->head + 1) % QUEUE_SIZE;
        w->count--;
        if (w->count == 0 || w->count == QUEUE_SIZE / 2)
            pthread_cond_broadcast(&w->space);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ps_ewa_writer_start(struct ps_ewa_writer **out, struct ps_err *err)
{
    struct ps_ewa_writer *w = calloc(1, sizeof(*w));
    if (w != NULL && (w->q = calloc(QUEUE_SIZE, sizeof(*w->q))) == NULL) {
        free(w);
        w = NULL;
    }
    if (w == NULL)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->space, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->space);
        free(w->q);
        free(w);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "cannot start the EWA writer thread");
    }
    *out = w;
    return 0;
}

/* Queue one write: a disbursement of book (fn and wfn NULL), fn(arg),
 * or wfn(arg, post). */
static void enqueue(struct ps_ewa_writer *w, struct ps_ewa_book *book,
                    const struct ps_ewa_post *post, ps_ewa_writer_fn fn,
                    ps_ewa_writer_write_fn wfn, void *arg)
{
    pthread_mutex_lock(&w->mu);
    while (w->count == QUEUE_SIZE)
        pthread_cond_wait(&w->space, &w->mu);
    size_t at = (w->head + w->count) % QUEUE_SIZE;
    if (post != NULL)
        w->q[at] = *post;
    w->book[at] = book;
    w->fn[at] = fn;
    w->wfn[at] = wfn;
    w->arg[at] = arg;
    if (++w->count == WAKE_AT)
        pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
}

int ps_ewa_writer_post(struct ps_ewa_writer *w, struct ps_ewa_book *book,
                       const struct ps_ewa_post *post, struct ps_err *err)
{
    if (seen_add(w, post->t.request_id) != 0)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    enqueue(w, book, post, NULL, NULL, NULL);
    return 0;
}

int ps_ewa_writer_post_write(struct ps_ewa_writer *w,
                             ps_ewa_writer_write_fn fn, void *ctx,
                             const struct ps_ewa_post *post,
                             struct ps_err *err)
{
    if (seen_add(w, post->t.request_id) != 0)
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY", "out of memory");
    enqueue(w, NULL, post, NULL, fn, ctx);
    return 0;
}

void ps_ewa_writer_call(struct ps_ewa_writer *w, ps_ewa_writer_fn fn,
                        void *arg)
{
    enqueue(w, NULL, NULL, fn, NULL, arg);
}

int ps_ewa_writer_drain(struct ps_ewa_writer *w, int *failed,
                        struct ps_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    if (w->count > 0)
        pthread_cond_signal(&w->work); /* fewer than WAKE_AT, perhaps */
    while (w->count > 0)
        pthread_cond_wait(&w->space, &w->mu);
    if (w->failed != 0) {
        *failed = 1;
        rc = ps_err_set(err, PS_EBUSY, "DATABASE_BUSY",
                        "the EWA writer thread stopped (%s: %s); the chunk "
                        "is applied again on one thread",
                        w->err.rule, w->err.msg);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void ps_ewa_writer_reset(struct ps_ewa_writer *w)
{
    pthread_mutex_lock(&w->mu);
    w->failed = 0;
    pthread_mutex_unlock(&w->mu);
    ps_ewa_writer_forget(w);
}

void ps_ewa_writer_stop(struct ps_ewa_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->space);
    free(w->q);
    free(w->seen);
    free(w);
}
