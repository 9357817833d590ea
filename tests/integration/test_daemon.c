/* Background use of respmock (issue 15): --daemon returns once listening
 * with the URL and PID printed, --pid-file and --ready-file are written then
 * and removed at a clean SIGTERM stop, which leaves no process; the daemon
 * lets go of the caller's output; start-up failures are reported by the
 * command; a PID file naming a running respmock refuses a second start.
 * The test adopts the daemons (a subreaper) to wait for them; a daemon a
 * failed test leaves is killed by the PID in its file. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

#define FIXTURES RM_SOURCE_DIR "/fixtures"

static char *out, *err; /* what the last run printed */

static void release_outputs(void)
{
    free(out);
    free(err);
    out = err = NULL;
}

/* Run respmock with 'args' (and 'env' added, may be NULL) to its exit;
 * 'out'/'err' get its stdout and stderr. Returns the exit code. */
static int run(const char *const *args, const char *const *env)
{
    const char *argv[32];
    const char *o = scratch_path(6, "run.out"), *e = scratch_path(7, "run.err");
    char **envp = env ? env_with(env) : NULL;
    int n = 0, rc;

    argv[n++] = RM_RESPMOCK_BIN;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    rc = test_run(argv, (const char *const *)envp, o, e, 30);
    env_free(envp);
    release_outputs();
    out = slurp(o);
    err = slurp(e);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    return rc;
}

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL}, NULL)

/* The value after "KEY=" at the start of a line of 'text', as a long. */
static long line_value(const char *text, const char *key)
{
    const char *p = text;
    size_t len = strlen(key);

    while (p && *p) {
        if (!strncmp(p, key, len) && p[len] == '=')
            return strtol(p + len + 1, NULL, 10);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

/* The session id of 'pid' (field 6 of /proc/PID/stat). */
static long session_of(pid_t pid)
{
    char path[64], buf[512], *p;
    long sid = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    p = fgets(buf, sizeof(buf), f);
    fclose(f);
    p = p ? strrchr(buf, ')') : NULL;
    ck_assert_ptr_nonnull(p);
    /* ") S ppid pgrp session" */
    ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %ld", &sid), 1);
    return sid;
}

/* SIGTERM 'pid' (adopted by this process) and wait for its clean exit. */
static void stop_daemon(pid_t pid)
{
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(wait_child(pid, 10000), 0);
    ck_assert(!process_alive(pid));
}

START_TEST(daemon_starts_ready_and_stops_clean)
{
    const char *pidf = scratch_path(0, "a.pid"), *ready = scratch_path(1, "a.ready");
    const char *logf = scratch_path(2, "a.log");
    char want[128], url[64], cwd[64] = "", *text;
    const char *line;
    long pid, port;
    ssize_t n;
    json_t *doc;
    long status;

    become_subreaper();
    ck_assert_int_eq(RUN("--daemon", "--port", "0", "--fixtures", FIXTURES, "--pid-file", pidf,
                         "--ready-file", ready, "--log-file", logf),
                     0);
    /* the command returned: the server listens, and says where */
    pid = line_value(out, "RESPMOCK_PID");
    ck_assert_int_gt(pid, 0);
    ck_assert_ptr_nonnull(strstr(out, "listening on http://127.0.0.1:"));
    port = atol(strstr(out, "listening on http://127.0.0.1:") + 30);
    ck_assert_int_gt(port, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%ld", port);
    snprintf(want, sizeof(want), "RESPMOCK_URL=%s\n", url);
    ck_assert_msg(strstr(out, want) != NULL, "no '%s' in: %s", want, out);
    ck_assert_ptr_nonnull(strstr(out, " fixtures from " RM_SOURCE_DIR "/fixtures\n"));
    /* the files are there already */
    text = slurp(pidf);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(atol(text), pid);
    free(text);
    text = slurp(ready);
    snprintf(want, sizeof(want), "%s\n", url);
    ck_assert_str_eq(text, want);
    free(text);
    /* detached: its own session, in / */
    ck_assert_int_eq(session_of((pid_t)pid), pid);
    snprintf(want, sizeof(want), "/proc/%ld/cwd", pid);
    n = readlink(want, cwd, sizeof(cwd) - 1);
    ck_assert_int_gt(n, 0);
    cwd[n] = '\0';
    ck_assert_str_eq(cwd, "/");
    doc = http_call(url, "GET", "/healthz", NULL, &status);
    ck_assert_int_eq(status, 200);
    json_decref(doc);
    doc = http_call(url, "POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}",
                    &status);
    ck_assert_int_eq(status, 200);
    json_decref(doc);

    stop_daemon((pid_t)pid);
    ck_assert_int_eq(access(pidf, F_OK), -1);
    ck_assert_int_eq(access(ready, F_OK), -1);
    /* nothing of it is left: no child, adopted or not */
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    text = slurp(logf);
    /* the access line, whole: "METHOD PATH STATUS Nms" */
    line = strstr(text, "respmock: info: GET /healthz 200 ");
    ck_assert_msg(line != NULL, "%s", text);
    line += strlen("respmock: info: GET /healthz 200 ");
    ck_assert_msg(*line >= '0' && *line <= '9', "%s", text);
    line += strspn(line, "0123456789");
    ck_assert_msg(strncmp(line, "ms\n", 3) == 0, "%s", text);
    /* ... and the fixture that answered */
    line = strstr(text, "respmock: info: POST /v1/responses 200 ");
    ck_assert_msg(line != NULL, "%s", text);
    line += strlen("respmock: info: POST /v1/responses 200 ");
    line += strspn(line, "0123456789");
    ck_assert_msg(strncmp(line, "ms fixture=", 11) == 0 && line[11] != '\n', "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "signal 15: shutting down"));
    free(text);
}
END_TEST

START_TEST(daemon_from_the_variable)
{
    char pid_var[300];
    const char *const env[] = {"RESPMOCK_DAEMON=1", "RESPMOCK_PORT=0", pid_var, NULL};
    static const char *const args[] = {"--fixtures", FIXTURES, NULL};
    long pid;

    snprintf(pid_var, sizeof(pid_var), "RESPMOCK_PID_FILE=%s", scratch_path(0, "v.pid"));
    become_subreaper();
    ck_assert_int_eq(run(args, env), 0);
    ck_assert_int_eq(access(scratch_path(0, "v.pid"), F_OK), 0);
    pid = line_value(out, "RESPMOCK_PID");
    ck_assert_int_gt(pid, 0);
    ck_assert(process_alive((pid_t)pid));
    stop_daemon((pid_t)pid);
}
END_TEST

/* $(respmock --daemon ...) must return: the daemon keeps no copy of the
 * caller's stdout or stderr. */
START_TEST(daemon_lets_go_of_the_callers_output)
{
    const char *const argv[] = {RM_RESPMOCK_BIN, "--daemon", "--port", "0", "--fixtures",
                                FIXTURES, "--pid-file", scratch_path(0, "o.pid"), NULL};
    char buf[4096];
    size_t used = 0;
    int pipefd[2], status;
    long pid;
    pid_t child;

    become_subreaper();
    ck_assert_int_eq(pipe(pipefd), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    for (;;) {
        struct pollfd p = {pipefd[0], POLLIN, 0};
        ssize_t r;

        /* bounded, so a held pipe fails the test instead of hanging it */
        ck_assert_msg(poll(&p, 1, 20000) == 1, "no EOF: the daemon holds the pipe");
        r = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
        if (r <= 0)
            break;
        used += (size_t)r;
    }
    close(pipefd[0]);
    buf[used] = '\0';
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pid = line_value(buf, "RESPMOCK_PID");
    ck_assert_int_gt(pid, 0);
    ck_assert(process_alive((pid_t)pid)); /* EOF came while it serves */
    stop_daemon((pid_t)pid);
}
END_TEST

START_TEST(daemon_start_failures_are_reported)
{
    const char *pidf = scratch_path(0, "f.pid"), *ready = scratch_path(1, "f.ready");
    struct test_server busy;
    char port[16];

    become_subreaper();
    ck_assert_int_eq(RUN("--daemon", "--port", "0", "--fixtures",
                         TEST_DATA_DIR "/bad-fixtures/unknown-key", "--pid-file", pidf,
                         "--ready-file", ready),
                     1);
    ck_assert_msg(strstr(err, "input.json:3:22: match.modle: unknown key") != NULL, "got: %s",
                  err);
    ck_assert_ptr_null(strstr(out, "listening"));
    ck_assert_int_eq(access(pidf, F_OK), -1);
    ck_assert_int_eq(access(ready, F_OK), -1);

    ck_assert_int_eq(test_server_start(&busy, NULL), 0);
    snprintf(port, sizeof(port), "%d", busy.port);
    ck_assert_int_eq(RUN("--daemon", "--port", port, "--fixtures", FIXTURES, "--pid-file", pidf),
                     1);
    ck_assert_msg(strstr(err, "cannot listen") != NULL, "got: %s", err);
    ck_assert_int_eq(access(pidf, F_OK), -1);
    ck_assert_int_eq(test_server_stop(&busy), 0);
    /* the failed daemons are gone, and were reaped by their parents */
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}
END_TEST

START_TEST(pid_file_of_a_running_respmock_refuses_a_start)
{
    const char *pidf = scratch_path(0, "g.pid");
    char mine[32], *text;
    long pid;

    become_subreaper();
    ck_assert_int_eq(RUN("--daemon", "--port", "0", "--fixtures", FIXTURES, "--pid-file", pidf),
                     0);
    pid = line_value(out, "RESPMOCK_PID");
    ck_assert_int_eq(RUN("--daemon", "--port", "0", "--fixtures", FIXTURES, "--pid-file", pidf),
                     1);
    ck_assert_msg(strstr(err, "a running respmock") != NULL, "got: %s", err);
    text = slurp(pidf);
    ck_assert_int_eq(atol(text), pid); /* untouched */
    free(text);
    stop_daemon((pid_t)pid);

    /* a stale file (this test's PID is no respmock) is replaced */
    snprintf(mine, sizeof(mine), "%ld\n", (long)getpid());
    write_file(pidf, mine);
    ck_assert_int_eq(RUN("--daemon", "--port", "0", "--fixtures", FIXTURES, "--pid-file", pidf),
                     0);
    pid = line_value(out, "RESPMOCK_PID");
    text = slurp(pidf);
    ck_assert_int_eq(atol(text), pid);
    free(text);
    stop_daemon((pid_t)pid);
}
END_TEST

/* In the foreground too: the lines, the files, and SIGTERM removing them. */
START_TEST(foreground_files_and_lines)
{
    const char *pidf = scratch_path(0, "h.pid"), *ready = scratch_path(1, "h.ready");
    static const char *args[16];
    struct test_server ts;
    char lines[2048], want[128], *text;
    int n = 0;

    args[n++] = "--port";
    args[n++] = "0";
    args[n++] = "--fixtures";
    args[n++] = FIXTURES;
    args[n++] = "--pid-file";
    args[n++] = pidf;
    args[n++] = "--ready-file";
    args[n++] = ready;
    args[n] = NULL;
    ck_assert_int_eq(spawn_respmock(&ts, args, NULL, NULL, lines, sizeof(lines), NULL), 0);
    snprintf(want, sizeof(want), "listening on %s\nRESPMOCK_URL=%s\nRESPMOCK_PID=%ld\n", ts.base,
             ts.base, (long)ts.pid);
    ck_assert_msg(strstr(lines, want) != NULL, "want '%s' in: %s", want, lines);
    text = slurp(ready);
    snprintf(want, sizeof(want), "%s\n", ts.base);
    ck_assert_str_eq(text, want);
    free(text);
    text = slurp(pidf);
    ck_assert_int_eq(atol(text), ts.pid);
    free(text);
    ck_assert_int_eq(test_server_stop(&ts), 0);
    ck_assert_int_eq(access(pidf, F_OK), -1);
    ck_assert_int_eq(access(ready, F_OK), -1);
}
END_TEST

/* A ready file left by a crashed run is removed before the new one starts,
 * so it never says "ready" for a server that is not. */
START_TEST(stale_ready_file_is_removed)
{
    const char *ready = scratch_path(1, "s.ready");

    write_file(ready, "http://127.0.0.1:1\n");
    ck_assert_int_eq(RUN("--port", "0", "--fixtures", TEST_DATA_DIR "/bad-fixtures/unknown-key",
                         "--ready-file", ready),
                     1);
    ck_assert_int_eq(access(ready, F_OK), -1);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc;

    tc = add_tcase(s, tcase_create("daemon"), 60, NULL, release_outputs,
                   daemon_starts_ready_and_stops_clean, daemon_from_the_variable,
                   daemon_lets_go_of_the_callers_output, daemon_start_failures_are_reported,
                   pid_file_of_a_running_respmock_refuses_a_start);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tc = add_tcase(s, tcase_create("foreground"), 60, NULL, release_outputs,
                   foreground_files_and_lines, stale_ready_file_is_removed);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    return s;
}
