/* test_server: run respmock as a child process on a free loopback port. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define TS_MAX_ARGS 64

int test_server_start(struct test_server *ts, const char *const *argv)
{
    const char *args[TS_MAX_ARGS];
    int n = 0, have_fixtures = 0, pipefd[2];
    char line[512];
    FILE *out;
    pid_t parent = getpid();

    memset(ts, 0, sizeof(*ts));
    args[n++] = RM_RESPMOCK_BIN;
    args[n++] = "--port";
    args[n++] = "0";
    for (; argv && *argv && n < TS_MAX_ARGS - 3; argv++) {
        if (strcmp(*argv, "--fixtures") == 0)
            have_fixtures = 1;
        args[n++] = *argv;
    }
    if (!have_fixtures) {
        args[n++] = "--fixtures";
        args[n++] = RM_SOURCE_DIR "/fixtures";
    }
    args[n] = NULL;
    if (pipe(pipefd) != 0)
        return -1;
    ts->pid = fork();
    if (ts->pid < 0)
        return -1;
    if (ts->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(pipefd[1]);
    out = fdopen(pipefd[0], "r");
    if (!out)
        return -1;
    while (fgets(line, sizeof(line), out)) {
        const char *p = strstr(line, "listening on http://127.0.0.1:");
        if (p) {
            ts->port = atoi(p + strlen("listening on http://127.0.0.1:"));
            break;
        }
    }
    fclose(out); /* the server ignores SIGPIPE, so later writes are harmless */
    if (ts->port <= 0) {
        test_server_stop(ts);
        return -1;
    }
    snprintf(ts->base, sizeof(ts->base), "http://127.0.0.1:%d", ts->port);
    return 0;
}

int test_server_stop(struct test_server *ts)
{
    int status = 0, i;

    if (ts->pid <= 0)
        return -1;
    kill(ts->pid, SIGTERM);
    for (i = 0; i < 500; i++) {
        pid_t r = waitpid(ts->pid, &status, WNOHANG);
        if (r == ts->pid)
            break;
        if (r < 0 && errno != EINTR)
            break;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    if (i == 500) {
        kill(ts->pid, SIGKILL);
        waitpid(ts->pid, &status, 0);
        ts->pid = 0;
        return -1;
    }
    ts->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return -1;
}
