/*
 * A program that tries what a hostile submission's host test would try,
 * one attempt per command-line word; tests/test_sandbox.py runs it in
 * tools/sandbox.py's sandbox and checks that each attempt fails or is
 * stopped. Built by the test with the host's cc, never part of Duet.
 *
 *   daemon FILE   leave a process behind that locks FILE and writes it every
 *                 50 ms ("daemon started" once it has written)
 *   write FILE    write FILE ("wrote" or "refused")
 *   read FILE     read FILE ("read" or "refused")
 *   connect       connect to 127.0.0.1:PORT ("connected" or "refused")
 *   forkbomb      fork forever
 *   hog           touch memory forever
 *   flood         print forever
 *   spin          use the CPU forever
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int attempt(char **argv)
{
    const char *what = argv[1];

    if (!strcmp(what, "daemon")) {
        if (fork() == 0) {
            setsid();
            if (fork() == 0) {
                /* Its lock on FILE lasts as long as it does: the test
                 * waits for the lock, which is the daemon's end. */
                int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);

                if (fd >= 0)
                    flock(fd, LOCK_EX);
                for (;;) {
                    if (fd < 0 || write(fd, "the daemon is alive\n", 20) != 20)
                        _exit(1);
                    usleep(50000);
                }
            }
            _exit(0);
        }
        /* Started once its first line is written, under its lock. */
        for (int i = 0; i < 5000; i++) {
            struct stat st;

            if (stat(argv[2], &st) == 0 && st.st_size > 0) {
                printf("daemon started\n");
                return 0;
            }
            usleep(1000);
        }
        printf("the daemon did not start\n");
        return 1;
    }
    if (!strcmp(what, "write")) {
        FILE *f = fopen(argv[2], "a");
        printf("%s %s\n", f && fputs("written by the sandbox\n", f) >= 0 ? "wrote" : "refused",
               argv[2]);
        return 0;
    }
    if (!strcmp(what, "read")) {
        FILE *f = fopen(argv[2], "r");
        printf("%s %s\n", f ? "read" : "refused", argv[2]);
        return 0;
    }
    if (!strcmp(what, "connect")) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        printf("%s\n", connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 ? "connected" : "refused");
        return 0;
    }
    if (!strcmp(what, "forkbomb"))
        for (;;)
            fork();
    if (!strcmp(what, "hog"))
        for (;;)
            memset(malloc(1 << 20), 1, 1 << 20);
    if (!strcmp(what, "flood")) {
        static char line[4096];

        memset(line, 'x', sizeof(line) - 1);
        for (;;)
            puts(line);
    }
    if (!strcmp(what, "spin"))
        for (volatile unsigned long n = 0;; n++)
            ;
    return 2;
}

int main(int argc, char **argv)
{
    return argc < 2 ? 2 : attempt(argv);
}
