/*
 * reconpipe.c -- an output written by a second thread (reconpipe.h): two
 * blocks of PIPE_BLOCK bytes; the caller fills one while the thread hands
 * the other to ps_output_write().  The camt.053 of a day of 2,000,000
 * disbursements is 800 MB: its SHA-256 and write calls were a third of
 * the reconciliation step, all on the one thread that also reads the
 * entries and formats them.
 *
 * How it fails: the thread's ps_output_write() error is kept and returned
 * by the next write and by close (the caller stops there); no memory for
 * the blocks, or no thread: PS_ENOMEM / PS_EINTERNAL from open.
 */
#include "outbound/reconpipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_BLOCK (1u << 20)

struct ps_recon_pipe {
    struct ps_output *o;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *buf[2];
    size_t len[2];
    int full[2]; /* handed to the thread, not yet written */
    int cur;     /* the block the caller fills */
    int done;    /* no more blocks: the thread ends when both are written */
    int rc;      /* the thread's first error, its text in terr */
    struct ps_err terr;
};

static void *pipe_main(void *arg)
{
    struct ps_recon_pipe *p = arg;
    int j = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->full[j] && !p->done)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->full[j])
            break; /* done, and nothing left */
        int failed = p->rc != 0;
        pthread_mutex_unlock(&p->mu);
        int rc = failed ? 0
                        : ps_output_write(p->o, p->buf[j], p->len[j], &p->terr);
        pthread_mutex_lock(&p->mu);
        if (rc != 0)
            p->rc = rc;
        p->full[j] = 0;
        pthread_cond_broadcast(&p->cv);
        j ^= 1;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int ps_recon_pipe_open(struct ps_output *o, struct ps_recon_pipe **pp,
                       struct ps_err *err)
{
    struct ps_recon_pipe *p = calloc(1, sizeof(*p)); /* freed by close */
    *pp = NULL;
    if (p == NULL || (p->buf[0] = malloc(PIPE_BLOCK)) == NULL ||
        (p->buf[1] = malloc(PIPE_BLOCK)) == NULL) {
        if (p != NULL)
            free(p->buf[0]);
        free(p);
        return ps_err_set(err, PS_ENOMEM, "NO_MEMORY",
                          "no memory for the output's blocks");
    }
    p->o = o;
    ps_err_clear(&p->terr);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p->buf[0]);
        free(p->buf[1]);
        free(p);
        return ps_err_set(err, PS_EINTERNAL, NULL,
                          "cannot start the output's writer thread");
    }
    *pp = p;
    return 0;
}

/* Hand the current block to the thread and wait for the other to be
 * free; the thread's error, if any. */
static int hand_over(struct ps_recon_pipe *p, struct ps_err *err)
{
    int rc;
    pthread_mutex_lock(&p->mu);
    p->full[p->cur] = 1;
    pthread_cond_broadcast(&p->cv);
    p->cur ^= 1;
    while (p->full[p->cur])
        pthread_cond_wait(&p->cv, &p->mu);
    p->len[p->cur] = 0;
    rc = p->rc;
    if (rc != 0 && err != NULL)
        *err = p->terr;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int ps_recon_pipe_write(void *ctx, const char *buf, size_t n,
                        struct ps_err *err)
{
    struct ps_recon_pipe *p = ctx;
    while (n > 0) {
        size_t room = PIPE_BLOCK - p->len[p->cur];
        size_t k = n < room ? n : room;
        memcpy(p->buf[p->cur] + p->len[p->cur], buf, k);
        p->len[p->cur] += k;
        buf += k;
        n -= k;
        int rc;
        if (p->len[p->cur] == PIPE_BLOCK && (rc = hand_over(p, err)) != 0)
            return rc;
    }
    return 0;
}

int ps_recon_pipe_close(struct ps_recon_pipe *p, struct ps_err *err)
{
    int rc;
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    if (p->len[p->cur] > 0)
        p->full[p->cur] = 1;
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    rc = p->rc;
    if (rc != 0 && err != NULL)
        *err = p->terr;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->buf[0]);
    free(p->buf[1]);
    free(p);
    return rc;
}
