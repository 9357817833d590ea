/* spawn: respmock with a chosen environment, scratch directories whose
 * daemons are killed by PID, file helpers (see spawn.h). */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream_assert.h"

#define SPAWN_MAX_ARGS 64

extern char **environ;

char **env_with(const char *const *extra)
{
    size_t n_extra = 0, n_env = 0, i, j, k = 0;
    char **out;

    while (extra && extra[n_extra])
        n_extra++;
    while (environ[n_env])
        n_env++;
    out = calloc(n_extra + n_env + 1, sizeof(*out));
    ck_assert_ptr_nonnull(out);
    for (i = 0; i < n_extra; i++)
        if (strchr(extra[i], '='))
            out[k++] = strdup(extra[i]);
    for (j = 0; j < n_env; j++) {
        size_t len = strcspn(environ[j], "=");
        int replaced = 0;

        for (i = 0; i < n_extra; i++)
            if (strcspn(extra[i], "=") == len && !strncmp(extra[i], environ[j], len))
                replaced = 1;
        if (!replaced)
            out[k++] = strdup(environ[j]);
    }
    out[k] = NULL;
    return out;
}

void env_free(char **env)
{
    char **e;

    for (e = env; e && *e; e++)
        free(*e);
    free(env);
}

int spawn_respmock(struct test_server *ts, const char *const *args, char *const *env,
                   const char *err_path, char *lines, size_t lines_len, int *exit_code)
{
    const char *argv[SPAWN_MAX_ARGS];
    int n = 0, pipefd[2], status;
    char line[512];
    size_t used = 0;
    pid_t parent = getpid();
    FILE *out;

    memset(ts, 0, sizeof(*ts));
    if (lines && lines_len)
        lines[0] = '\0';
    argv[n++] = RM_RESPMOCK_BIN;
    for (; args && *args && n < SPAWN_MAX_ARGS - 1; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    ck_assert_int_eq(pipe(pipefd), 0);
    ts->pid = fork();
    ck_assert_int_ge(ts->pid, 0);
    if (ts->pid == 0) {
        int fe = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent || fe < 0)
            _exit(127);
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execve(argv[0], (char *const *)argv, env ? env : environ);
        _exit(127);
    }
    close(pipefd[1]);
    out = fdopen(pipefd[0], "r");
    ck_assert_ptr_nonnull(out);
    while (fgets(line, sizeof(line), out)) {
        size_t len = strlen(line);

        if (lines && used + len < lines_len) {
            memcpy(lines + used, line, len + 1);
            used += len;
        }
        if (!strncmp(line, "RESPMOCK_URL=http://", 20) && strrchr(line, ':') > line + 20) {
            /* any host (0.0.0.0 too): the tests reach it on loopback */
            ts->port = atoi(strrchr(line, ':') + 1);
            snprintf(ts->base, sizeof(ts->base), "http://127.0.0.1:%d", ts->port);
        }
        if (!strncmp(line, "RESPMOCK_PID=", 13))
            break;
    }
    fclose(out);
    if (ts->port > 0)
        return 0;
    waitpid(ts->pid, &status, 0);
    ts->pid = 0;
    if (exit_code)
        *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return -1;
}

char scratch_dir[64];

void scratch_setup(void)
{
    snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/respmock-scratch-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch_dir));
}

/* Whether /proc says 'pid' is a respmock. */
static int is_respmock(pid_t pid)
{
    char path[64], comm[64] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (!fgets(comm, sizeof(comm), f))
        comm[0] = '\0';
    fclose(f);
    return !strcmp(comm, "respmock\n");
}

void scratch_teardown(void)
{
    DIR *d = opendir(scratch_dir);
    struct dirent *de;
    char path[512];

    if (!d)
        return;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        char *text;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", scratch_dir, de->d_name);
        if (len > 4 && !strcmp(de->d_name + len - 4, ".pid") && (text = slurp(path))) {
            pid_t pid = (pid_t)atol(text);
            if (pid > 0 && is_respmock(pid))
                kill(pid, SIGKILL); /* a daemon a failed test left behind */
            free(text);
        }
        unlink(path);
    }
    closedir(d);
    rmdir(scratch_dir);
}

const char *scratch_path(int slot, const char *name)
{
    static char bufs[8][256];

    ck_assert(slot >= 0 && slot < 8);
    snprintf(bufs[slot], sizeof(bufs[slot]), "%s/%s", scratch_dir, name);
    return bufs[slot];
}

char *slurp(const char *path)
{
    return read_text_file(path, NULL);
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

int process_alive(pid_t pid)
{
    char path[64], buf[512], *p;
    FILE *f;

    if (kill(pid, 0) != 0 && errno == ESRCH)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    p = fgets(buf, sizeof(buf), f);
    fclose(f);
    p = p ? strrchr(buf, ')') : NULL;
    return !(p && p[1] == ' ' && p[2] == 'Z');
}

void become_subreaper(void)
{
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

int wait_child(pid_t pid, long ms)
{
    int status;
    long i;

    for (i = 0; i <= ms / 10; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        ck_assert_msg(r == 0 || errno == EINTR, "waitpid(%ld): %s", (long)pid, strerror(errno));
        test_sleep_ms(10);
    }
    return -2;
}
