/* Unit tests for server/redis_link.c: state URLs (bad ones refused with a
 * reason, the database chosen by /DB), a Redis that is not there at start,
 * and a Redis lost and back: calls fail at once while it is gone, the loss
 * and the return are reported once each, and calls work again by
 * themselves (a redis-server of the test's own; without one the tests say
 * so and pass untested). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "redis_harness.h"
#include "redis_link.h"
#include "test_support.h"

static const char ECHO[] = "return ARGV[1] .. ARGV[2]";

/* Whether a redis-server can be run; says so when not. */
static int have_redis(void)
{
    if (test_redis_available())
        return 1;
    fprintf(stderr, "test_redis_link: redis-server not found (scripts/deps installs it); "
                    "not tested\n");
    return 0;
}

START_TEST(bad_urls_refused)
{
    static const char *const bad[] = {"http://127.0.0.1:6379", "redis://127.0.0.1",
                                      "redis://:6379",         "redis://h:0",
                                      "redis://h:70000",       "redis://h:1x",
                                      "redis://h:6379/x",      NULL};
    char err[256];
    int i;

    for (i = 0; bad[i]; i++) {
        err[0] = '\0';
        ck_assert_ptr_null(redis_link_new(bad[i], NULL, NULL, err, sizeof(err)));
        ck_assert_msg(strstr(err, "expected redis://HOST:PORT[/DB]"), "%s: %s", bad[i], err);
    }
    redis_link_free(NULL);
}
END_TEST

START_TEST(unreachable_at_start)
{
    struct test_redis gone;
    char err[256];

    if (!have_redis())
        return;
    test_redis_start(&gone, 0);
    test_redis_kill(&gone);
    ck_assert_ptr_null(redis_link_new(gone.url, NULL, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "cannot reach the shared state at redis://127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(err, "refused"));
}
END_TEST

/* The log callback's reports: ups and downs in order. */
static char reports[64];

static void note(void *user, int up, const char *what)
{
    (void)user;
    (void)what;
    if (strlen(reports) < sizeof(reports) - 1)
        strcat(reports, up > 0 ? "U" : up == 0 ? "D" : "E");
}

/* ECHO with 'a' on 'l': the reply's text, or "" when the call failed. */
static const char *echo(struct redis_link *l, const char *a)
{
    static char out[64];
    const char *argv[1] = {a};
    struct redisReply *r = redis_link_eval(l, ECHO, 1, argv, NULL);
    const char *s = redis_reply_str(r, NULL);

    snprintf(out, sizeof(out), "%s", s ? s : "");
    redis_reply_free(r);
    return out;
}

START_TEST(lost_and_back)
{
    struct test_redis redis;
    struct redis_link *l;
    char err[256], url[96];
    double until;
    int port, i;

    if (!have_redis())
        return;
    test_redis_start(&redis, 0);
    port = redis.port;
    snprintf(url, sizeof(url), "%s/3", redis.url); /* a database of its own */
    reports[0] = '\0';
    ck_assert_ptr_nonnull(l = redis_link_new(url, note, NULL, err, sizeof(err)));
    ck_assert_str_eq(echo(l, "x"), RM_REDIS_PREFIX "x");
    /* A script error is a failed call, not a lost Redis. */
    ck_assert_ptr_null(redis_link_eval(l, "return redis.call('NOPE')", 0, NULL, NULL));
    test_redis_kill(&redis);
    for (i = 0; i < 20; i++) /* every connection of the pool finds it gone */
        ck_assert_str_eq(echo(l, "y"), "");
    ck_assert_int_eq(redis_link_delete_prefix(l, "r"), -1);
    test_redis_start(&redis, port);
    until = test_now_s() + 5;
    while (strcmp(echo(l, "z"), RM_REDIS_PREFIX "z") != 0) {
        ck_assert_msg(test_now_s() < until, "never back");
        test_sleep_ms(20);
    }
    for (i = 0; i < 20; i++)
        ck_assert_str_eq(echo(l, "w"), RM_REDIS_PREFIX "w");
    ck_assert_int_eq(redis_link_delete_prefix(l, "r"), 0);
    ck_assert_str_eq(reports, "EDU"); /* the error, then lost and back once each */
    redis_link_free(l);
    test_redis_kill(&redis);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("redis_link");

    add_tcase(s, tcase_create("link"), 60, NULL, NULL, bad_urls_refused, unreachable_at_start,
              lost_and_back);
    return s;
}
