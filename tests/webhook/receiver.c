/*
 * receiver.c -- a test webhook receiver on 127.0.0.1 (a free port), for
 * tests/e2e/test_webhooks.sh.  No python: plain C and libsodium.
 *
 * Usage: receiver PORTFILE LOGFILE WHSEC FAIL_FIRST HANG_ONCE_MS
 * Writes its port to PORTFILE, then serves forever, one connection at a
 * time: the first FAIL_FIRST requests get a 500, the next one is held
 * HANG_ONCE_MS before any answer (the sender's timeout), the rest 200.
 * Every request is logged to LOGFILE as "STATUS ID SIG_OK TIMESTAMP
 * BODY": SIG_OK is 1 when webhook-signature verifies over id, timestamp
 * and the raw body with the key of WHSEC.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/whsig.h"

static const char *header(const char *req, const char *name, char *out,
                          size_t size)
{
    size_t n = strlen(name);
    for (const char *p = req; p != NULL && *p != '\0';
         p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            size_t len = e != NULL ? (size_t)(e - v) : strlen(v);
            if (len >= size)
                len = size - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
        if (p[0] == '\r' && p[1] == '\n')
            break;
    }
    out[0] = '\0';
    return out;
}

int main(int argc, char **argv)
{
    unsigned char key[PS_WHSIG_KEY_MAX];
    size_t keylen;
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int s, one = 1, served = 0, hung = 0;
    FILE *pf, *log;
    if (argc != 6 || ps_whsig_secret(argv[3], key, &keylen, NULL) != 0)
        return 2;
    s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &al) != 0)
        return 1;
    if ((pf = fopen(argv[1], "w")) == NULL)
        return 1;
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    for (;;) {
        static char req[65536];
        char id[128], ts[64], sig[256], cl[32], want[PS_WHSIG_SIZE];
        size_t got = 0;
        int c = accept(s, NULL, NULL), status;
        char *body;
        if (c < 0)
            continue;
        for (;;) {
            ssize_t r = read(c, req + got, sizeof(req) - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            body = strstr(req, "\r\n\r\n");
            if (body != NULL &&
                got - (size_t)(body + 4 - req) >=
                    (size_t)atol(header(req, "Content-Length", cl,
                                        sizeof(cl))))
                break;
        }
        req[got] = '\0';
        body = strstr(req, "\r\n\r\n");
        body = body != NULL ? body + 4 : req + got;
        header(req, "webhook-id", id, sizeof(id));
        header(req, "webhook-timestamp", ts, sizeof(ts));
        header(req, "webhook-signature", sig, sizeof(sig));
        ps_whsig_sign(key, keylen, id, atoll(ts), body, strlen(body), want);
        served++;
        if (served <= atoi(argv[4]))
            status = 500;
        else if (!hung && atoi(argv[5]) > 0) {
            hung = 1;
            usleep((useconds_t)atoi(argv[5]) * 1000);
            status = 0; /* the sender gave up: no answer counts */
        } else
            status = 200;
        if ((log = fopen(argv[2], "a")) != NULL) {
            fprintf(log, "%d %s %d %s %s\n", status, id,
                    strcmp(sig, want) == 0, ts, body);
            fclose(log);
        }
        if (status != 0) {
            char resp[128];
            int n = snprintf(resp, sizeof(resp),
                             "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n",
                             status);
            if (write(c, resp, (size_t)n) < 0)
                status = 0;
        }
        close(c);
    }
}
