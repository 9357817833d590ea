/* test_server: respmock as a child process on a free loopback port (and the
 * one server of the running test), other programs run to completion, and
 * the clock. Children are stopped by PID and always reaped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stream_assert.h"
#include "test_support.h"

#define TS_MAX_ARGS 64

struct test_server test_srv;

double test_now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

long test_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

int test_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#else
    return 0;
#endif
#else
    return 0;
#endif
}

void test_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};

    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Wait up to 'ms' for 'pid' to exit; 1 when it did (or cannot be waited
 * for), 0 when it still runs. */
static int wait_exit(pid_t pid, long ms, int *status)
{
    long i;

    for (i = 0; i < ms / 10; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return 1;
        test_sleep_ms(10);
    }
    return 0;
}

/* In a child just forked: die with the test process (or now, if it is
 * already gone). */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

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
        die_with_parent(parent);
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
    int status = 0;

    if (ts->pid <= 0)
        return -1;
    kill(ts->pid, SIGTERM);
    if (!wait_exit(ts->pid, 5000, &status)) {
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

int test_server_start_opts(struct test_server *ts, const struct test_server_opts *o)
{
    static const struct test_server_opts none;
    const char *args[TS_MAX_ARGS];
    const char *const *x;
    size_t i;
    int n = 0;

    if (!o)
        o = &none;
    {
        const char *const opts[][2] = {{"--fixtures", o->fixtures},
                                       {"--speed", o->speed},
                                       {"--api-key", o->api_key},
                                       {"--log-level", o->log_level}};

        for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (opts[i][1]) {
                args[n++] = opts[i][0];
                args[n++] = opts[i][1];
            }
    }
    for (x = o->extra; x && *x && n < TS_MAX_ARGS - 1; x++)
        args[n++] = *x;
    args[n] = NULL;
    return test_server_start(ts, args);
}

void srv_start(const struct test_server_opts *o)
{
    ck_assert_msg(test_server_start_opts(&test_srv, o) == 0, "respmock did not start");
}

void srv_stop(void)
{
    if (test_srv.pid > 0)
        ck_assert_int_eq(test_server_stop(&test_srv), 0);
}

int test_run(const char *const *argv, const char *const *envp, const char *out_path,
             const char *err_path, int deadline_s)
{
    pid_t pid, parent = getpid();
    int status = 0;

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *o = out_path ? out_path : "/dev/null";
        const char *e = err_path ? err_path : "/dev/null";
        int fo, fe;

        die_with_parent(parent);
        fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        fe = strcmp(o, e) == 0 ? fo : open(e, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        if (envp)
            execve(argv[0], (char *const *)argv, (char *const *)envp);
        else
            execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (!wait_exit(pid, deadline_s * 1000L, &status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("%s did not finish within %d s", argv[0], deadline_s);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int test_run_respmock(const char *const *args, char **output)
{
    const char *argv[TS_MAX_ARGS];
    char path[] = "/tmp/respmock-run-XXXXXX";
    int n = 0, fd, rc;

    argv[n++] = RM_RESPMOCK_BIN;
    for (; args && *args && n < TS_MAX_ARGS - 1; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    rc = test_run(argv, NULL, path, path, 20);
    if (output) {
        *output = read_text_file(path, NULL);
        ck_assert_ptr_nonnull(*output);
    }
    unlink(path);
    return rc;
}
