/*
 * ewawriter.c -- the EWA writer thread (ewawriter.h): a bounded queue of
 * decided disbursements, written in order by one thread.
 *
 * The intake thread signals the writer only when the queue was empty,
 * and the writer signals back only when it has room again or is empty,
 * so a busy run costs no system call per record.
 */
#include "engine/ewawriter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 1024

struct ps_ewa_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* the writer waits: queue empty */
    pthread_cond_t space; /* the poster and drainers wait */
    struct ps_ewa_post *q;
    struct ps_ewa_book *book[QUEUE_SIZE];
    size_t head, count;
    int stop;
    int failed; /* the first failure's code, 0 none */
    struct ps_err err;
};

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
        int rc = skip ? 0 : ps_ewa_book_write(w->book[at], &w->q[at], &e);
        pthread_mutex_lock(&w->mu);
        if (rc != 0 && w->failed == 0) {
            w->failed = rc;
            w->err = e;
        }
        w->head = (w->head + 1) % QUEUE_SIZE;
        w->count--;
        if (w->count == 0 || w->count == QUEUE_SIZE - 1)
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

int ps_ewa_writer_post(struct ps_ewa_writer *w, struct ps_ewa_book *book,
                       const struct ps_ewa_post *post, struct ps_err *err)
{
    (void)err;
    pthread_mutex_lock(&w->mu);
    while (w->count == QUEUE_SIZE)
        pthread_cond_wait(&w->space, &w->mu);
    size_t at = (w->head + w->count) % QUEUE_SIZE;
    w->q[at] = *post;
    w->book[at] = book;
    if (w->count++ == 0)
        pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int ps_ewa_writer_drain(struct ps_ewa_writer *w, int *failed,
                        struct ps_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&w->mu);
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
    free(w);
}
