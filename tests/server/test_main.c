/* Tests for server/main.c, the respmock command line, on the real binary:
 * option values (--speed, --port, --api-key, unknown options), --check,
 * --version and --help, a fixture error refusing start-up, and a clean
 * exit on SIGTERM. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

static char *out; /* what the last run printed */

/* Run respmock with 'args' to completion; its exit code, its output in 'out'. */
static int run(const char *const *args)
{
    free(out);
    return test_run_respmock(args, &out);
}

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL})

static void release_out(void)
{
    free(out);
    out = NULL;
}

/* --speed must reject "nan" (every range comparison with NaN is false, so
 * it used to slip through and reach double -> int64 casts of the delays).
 * With --check no server runs. */
static int check_speed(const char *speed)
{
    return RUN("--speed", speed, "--fixtures", RM_SOURCE_DIR "/fixtures", "--check");
}

START_TEST(speed_rejects_nan)
{
    ck_assert_int_eq(check_speed("nan"), 2);
    ck_assert_int_eq(check_speed("-nan"), 2);
    ck_assert_int_eq(check_speed("NAN(1)"), 2);
    ck_assert_int_eq(check_speed("inf"), 2);
    ck_assert_int_eq(check_speed("-1"), 2);
    ck_assert_int_eq(check_speed("1001"), 2);
    ck_assert_int_eq(check_speed("0"), 0);
    ck_assert_int_eq(check_speed("0.5"), 0);
    ck_assert_int_eq(check_speed("1000"), 0);
}
END_TEST

START_TEST(bad_fixture_refuses_to_start)
{
    ck_assert_int_eq(RUN("--port", "0", "--fixtures", TEST_DATA_DIR "/bad-fixtures/unknown-key"),
                     1);
    ck_assert_msg(strstr(out, "unknown-key/input.json:3:22: match.modle: unknown key") != NULL,
                  "got: %s", out);
    ck_assert_ptr_null(strstr(out, "listening on"));
}
END_TEST

START_TEST(check_flag)
{
    ck_assert_int_eq(RUN("--check", "--fixtures", RM_SOURCE_DIR "/fixtures"), 0);
    ck_assert_ptr_nonnull(strstr(out, "valid"));
    ck_assert_int_eq(RUN("--check", "--fixtures", TEST_DATA_DIR "/bad-fixtures/syntax-error"), 1);
    ck_assert_ptr_nonnull(strstr(out, "input.json:4:1:"));
    ck_assert_int_eq(RUN("--version"), 0);
    ck_assert_ptr_nonnull(strstr(out, "respmock "));
    ck_assert_int_eq(RUN("--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "--fixtures"));
    ck_assert_int_eq(RUN("--port", "nope"), 2);
    ck_assert_int_eq(RUN("--frobnicate"), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown option '--frobnicate'"));
    ck_assert_int_eq(RUN("--port", "99999"), 2);
    ck_assert_ptr_nonnull(strstr(out, "bad value '99999' for --port"));
    /* A rejected --api-key value is never echoed. */
    ck_assert_int_eq(RUN("--api-key"), 2);
    ck_assert_int_eq(RUN("--api-key", "", "--check"), 2);
    ck_assert_ptr_nonnull(strstr(out, "bad value for --api-key"));
}
END_TEST

START_TEST(sigterm_exits_cleanly)
{
    struct test_server t2;

    ck_assert_int_eq(test_server_start(&t2, NULL), 0);
    ck_assert_int_eq(test_server_stop(&t2), 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("main");

    add_tcase(s, tcase_create("speed_option"), 60, NULL, release_out, speed_rejects_nan);
    add_tcase(s, tcase_create("startup"), 60, NULL, release_out, bad_fixture_refuses_to_start,
              check_flag, sigterm_exits_cleanly);
    return s;
}
