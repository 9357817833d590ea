/* spawn: respmock with an environment of the test's choosing, its printed
 * lines kept; environments built from this process's; a scratch directory
 * whose respmock PID files are killed by PID however the test ends (the
 * daemon tests); small file helpers. */
#ifndef RM_SPAWN_H
#define RM_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "test_support.h"

/* This process's environment with 'extra' ("NAME=VALUE", NULL-terminated,
 * may be NULL) in front, replacing the same names; "NAME" alone removes
 * NAME. Free it with env_free(). */
char **env_with(const char *const *extra);
void env_free(char **env);

/* Start respmock with 'args' (after argv[0], NULL-terminated) and the
 * environment 'env' (NULL: this process's), stderr into 'err_path' (NULL:
 * /dev/null), and read its stdout up to the RESPMOCK_PID line into 'lines'
 * ('lines_len' bytes, may be NULL). It dies with the test process. Returns
 * 0 with 'ts' filled from the RESPMOCK_URL line (stop it with
 * test_server_stop), or -1 when it ended first, its exit code in
 * '*exit_code' (may be NULL). */
int spawn_respmock(struct test_server *ts, const char *const *args, char *const *env,
                   const char *err_path, char *lines, size_t lines_len, int *exit_code);

/* The scratch directory of the running TCase (made by scratch_setup, an
 * unchecked fixture, so it outlives each forked test); scratch_teardown
 * SIGKILLs every running respmock named by a *.pid file in it, then
 * removes it. scratch_path() gives "DIR/NAME" in a buffer of its own per
 * call slot 'slot' (0-7). */
extern char scratch_dir[64];
void scratch_setup(void);
void scratch_teardown(void);
const char *scratch_path(int slot, const char *name);

/* The contents of 'path' (new string), NULL when it cannot be read. */
char *slurp(const char *path);

/* Write 'text' to 'path' (asserts it worked). */
void write_file(const char *path, const char *text);

/* Whether process 'pid' exists (zombies excepted). */
int process_alive(pid_t pid);

/* This process adopts its orphaned descendants (a daemon whose parent
 * exited), so it can wait for them. */
void become_subreaper(void);

/* Wait up to 'ms' for child 'pid' to exit (it must be ours, or adopted);
 * returns its exit code, -2 when it did not exit in time, -1 when it did
 * not exit normally. */
int wait_child(pid_t pid, long ms);

#endif
