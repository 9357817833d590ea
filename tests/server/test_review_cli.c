/* Review tests for server/main.c: --speed must reject "nan" (every range
 * comparison with NaN is false, so it used to slip through and reach
 * double -> int64 casts of the delays). Uses --check so no server runs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

static int run(const char *speed)
{
    pid_t pid = fork();
    int status = 0;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(RM_RESPMOCK_BIN, RM_RESPMOCK_BIN, "--speed", speed, "--fixtures",
              RM_SOURCE_DIR "/fixtures", "--check", (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(speed_rejects_nan)
{
    ck_assert_int_eq(run("nan"), 2);
    ck_assert_int_eq(run("-nan"), 2);
    ck_assert_int_eq(run("NAN(1)"), 2);
    ck_assert_int_eq(run("inf"), 2);
    ck_assert_int_eq(run("-1"), 2);
    ck_assert_int_eq(run("1001"), 2);
    ck_assert_int_eq(run("0"), 0);
    ck_assert_int_eq(run("0.5"), 0);
    ck_assert_int_eq(run("1000"), 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("review_cli");
    TCase *tc = tcase_create("speed_nan");

    tcase_add_test(tc, speed_rejects_nan);
    suite_add_tcase(s, tc);
    return s;
}
