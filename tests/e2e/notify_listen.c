/*
 * notify_listen.c -- a stand-in for systemd's NOTIFY_SOCKET in
 * tests/e2e/test_install.sh: binds a datagram socket at PATH and appends
 * every message it receives (sd_notify's "READY=1\nSTATUS=...") to OUT,
 * one assignment a line, until a message holds STOPPING=1 or SECONDS pass.
 *
 * Usage: notify_listen PATH OUT SECONDS.  Exits 0 after STOPPING=1, 1 on
 * a timeout, 2 on a usage or socket error.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un sa;
    char buf[4096];
    FILE *out;
    int fd;
    long seconds;
    time_t end;
    if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: notify_listen PATH OUT SECONDS\n");
        return 2;
    }
    seconds = strtol(argv[3], NULL, 10);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
    unlink(argv[1]);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("notify_listen: socket");
        return 2;
    }
    if ((out = fopen(argv[2], "a")) == NULL) {
        perror("notify_listen: output");
        return 2;
    }
    end = time(NULL) + seconds;
    while (time(NULL) < end) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 200) <= 0)
            continue;
        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        fprintf(out, "%s\n", buf);
        fflush(out);
        if (strstr(buf, "STOPPING=1") != NULL) {
            fclose(out);
            unlink(argv[1]);
            return 0;
        }
    }
    fclose(out);
    unlink(argv[1]);
    return 1;
}
