/* test_transport: the libcurl side of respsmoke (client/transport.c): the
 * retry-delay rules (pure, fractions of seconds included), and against a
 * respmock child process retries on 503/429 honouring retry-after-ms /
 * retry-after / x-should-retry, streamed bodies going to the callback, a
 * long bearer token sent whole, and an unreachable endpoint. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "transport.h"
#include "test_support.h"

START_TEST(delay_prefers_retry_after_ms)
{
    ck_assert_int_eq(transport_retry_delay_ms("250", "7", 0, 0), 250);
    ck_assert_int_eq(transport_retry_delay_ms("12.7", NULL, 0, 0), 12);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "3", 0, 0), 3000);
    ck_assert_int_eq(transport_retry_delay_ms("junk", "2", 0, 0), 2000);
}
END_TEST

START_TEST(delay_reads_http_dates)
{
    /* 1994-11-06 08:49:37 GMT is 784111777 */
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "Sun, 06 Nov 1994 08:49:47 GMT", 0,
                                              784111777L),
                     10000);
}
END_TEST

START_TEST(delay_falls_back_to_backoff_and_caps)
{
    ck_assert_int_eq(transport_retry_delay_ms(NULL, NULL, 0, 0), 500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, NULL, 1, 0), 1000);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "0", 2, 0), 2000);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, NULL, 9, 0), 8000);
    ck_assert_int_eq(transport_retry_delay_ms("999999999", NULL, 0, 0), 60000);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "86400", 0, 0), 60000);
    ck_assert(transport_should_retry(429) && transport_should_retry(500) &&
              transport_should_retry(503));
    ck_assert(!transport_should_retry(400) && !transport_should_retry(401) &&
              !transport_should_retry(200));
}
END_TEST

START_TEST(retry_after_fractions_are_honoured)
{
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "1.5", 0, 0), 1500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "2", 3, 0), 2000);
    ck_assert_int_eq(transport_retry_delay_ms("0.5", NULL, 3, 0), 1);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "-1", 0, 0), 500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "nan", 0, 0), 500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "Sun, 06 Nov 1994 08:49:47 GMT", 0,
                                              784111777L),
                     10000);
}
END_TEST

/* A respmock child and a transport pointed at it. */
struct rig {
    struct test_server server;
    struct transport tr;
    char base[96];
};

/* Start respmock with 'args' and a transport sending 'key' with 'retries'. */
static void start_with(struct rig *g, const char *const *args, const char *key, int retries)
{
    struct transport_config cfg;

    ck_assert_int_eq(test_server_start(&g->server, args), 0);
    snprintf(g->base, sizeof(g->base), "%s/v1", g->server.base);
    cfg.base_url = g->base;
    cfg.api_key = key;
    cfg.timeout_s = 20;
    cfg.retries = retries;
    ck_assert_int_eq(transport_global_init(), 0);
    ck_assert_int_eq(transport_init(&g->tr, &cfg), 0);
}

/* respmock with the retry fixtures. */
static void start(struct rig *g, int retries)
{
    static const char *const args[] = {"--fixtures", RM_SOURCE_DIR "/tests/data/broken/retry",
                                       NULL};

    start_with(g, args, "sk-transport-test-key-000000", retries);
}

static void stop(struct rig *g)
{
    transport_release(&g->tr);
    transport_global_cleanup();
    test_server_stop(&g->server);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void post(struct rig *g, const char *input, struct transport_reply *rep)
{
    char body[256];
    struct transport_request req;

    snprintf(body, sizeof(body), "{\"model\":\"gpt-4.1-mini\",\"input\":\"%s\"}", input);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/responses";
    req.body = body;
    req.auth = TRANSPORT_AUTH_KEY;
    transport_send(&g->tr, &req, rep);
}

START_TEST(retries_503_with_retry_after_ms)
{
    struct rig g;
    struct transport_reply rep;

    start(&g, 2);
    post(&g, "respsmoke:retry-503", &rep);
    ck_assert_int_eq(rep.fail, TRANSPORT_OK);
    ck_assert_int_eq(rep.status, 503);
    ck_assert_int_eq(rep.attempts, 3);
    ck_assert_ptr_nonnull(strstr(rep.body.data, "server_is_overloaded"));
    ck_assert_str_eq(rep.content_type, "application/json");
    transport_reply_release(&rep);
    post(&g, "hello", &rep);
    ck_assert_int_eq(rep.status, 200);
    ck_assert_int_eq(rep.attempts, 1);
    transport_reply_release(&rep);
    stop(&g);
}
END_TEST

START_TEST(retries_429_after_retry_after_seconds)
{
    struct rig g;
    struct transport_reply rep;
    double t0;

    start(&g, 1);
    t0 = now_s();
    post(&g, "respsmoke:retry-after", &rep);
    ck_assert_int_eq(rep.status, 429);
    ck_assert_int_eq(rep.attempts, 2);
    ck_assert_msg(now_s() - t0 >= 0.95, "retry-after: 1 was not honoured");
    transport_reply_release(&rep);
    stop(&g);
}
END_TEST

START_TEST(no_retry_when_server_says_so_or_retries_zero)
{
    struct rig g;
    struct transport_reply rep;

    start(&g, 3);
    post(&g, "respsmoke:no-retry", &rep);
    ck_assert_int_eq(rep.status, 429);
    ck_assert_int_eq(rep.attempts, 1);
    transport_reply_release(&rep);
    stop(&g);
    start(&g, 0);
    post(&g, "respsmoke:retry-503", &rep);
    ck_assert_int_eq(rep.status, 503);
    ck_assert_int_eq(rep.attempts, 1);
    transport_reply_release(&rep);
    stop(&g);
}
END_TEST

static int count_bytes(const char *bytes, size_t len, void *user)
{
    (void)bytes;
    *(size_t *)user += len;
    return 0;
}

START_TEST(stream_goes_to_the_callback)
{
    struct rig g;
    struct transport_reply rep;
    struct transport_request req;
    size_t seen = 0;

    start(&g, 0);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/responses";
    req.body = "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\",\"stream\":true}";
    req.auth = TRANSPORT_AUTH_KEY;
    req.on_stream = count_bytes;
    req.user = &seen;
    transport_send(&g.tr, &req, &rep);
    ck_assert_int_eq(rep.fail, TRANSPORT_OK);
    ck_assert_int_eq(rep.status, 200);
    ck_assert_str_eq(rep.content_type, "text/event-stream");
    ck_assert_uint_gt(seen, 100);
    ck_assert_uint_eq(seen, rep.stream_bytes);
    ck_assert_uint_eq(rep.body.len, 0);
    transport_reply_release(&rep);
    /* without a key the 401 body is buffered, not streamed */
    req.auth = TRANSPORT_AUTH_NONE;
    seen = 0;
    transport_send(&g.tr, &req, &rep);
    ck_assert_int_eq(rep.status, 401);
    ck_assert_uint_eq(seen, 0);
    ck_assert_uint_gt(rep.body.len, 0);
    transport_reply_release(&rep);
    stop(&g);
}
END_TEST

START_TEST(long_bearer_token_is_sent_whole)
{
    char key[1601];
    const char *args[] = {"--api-key", key, NULL};
    struct rig g;
    struct transport_request req;
    struct transport_reply rep;

    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    memcpy(key, "eyJ-jwt-", 8);
    key[sizeof(key) - 2] = 'Z'; /* a truncated key would lose this */
    start_with(&g, args, key, 0);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/models";
    req.auth = TRANSPORT_AUTH_KEY;
    transport_send(&g.tr, &req, &rep);
    ck_assert_int_eq(rep.fail, TRANSPORT_OK);
    ck_assert_int_eq(rep.status, 200);
    transport_reply_release(&rep);
    stop(&g);
}
END_TEST

START_TEST(unreachable_endpoint_is_classified)
{
    struct transport_config cfg = {"http://127.0.0.1:1/v1", "k", 5, 2};
    struct transport t;
    struct transport_reply rep;
    struct transport_request req;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/models";
    ck_assert_int_eq(transport_init(&t, &cfg), 0);
    ck_assert_int_eq(transport_send(&t, &req, &rep), -1);
    ck_assert_int_eq(rep.fail, TRANSPORT_UNREACHABLE);
    ck_assert_int_eq(rep.attempts, 1);
    ck_assert_str_ne(rep.error, "");
    transport_reply_release(&rep);
    transport_release(&t);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("transport");
    add_tcase(s, tcase_create("retry_delay"), 10, NULL, NULL, delay_prefers_retry_after_ms,
              delay_reads_http_dates, delay_falls_back_to_backoff_and_caps,
              retry_after_fractions_are_honoured);
    add_tcase(s, tcase_create("against_mock"), 60, NULL, NULL, retries_503_with_retry_after_ms,
              retries_429_after_retry_after_seconds, no_retry_when_server_says_so_or_retries_zero,
              stream_goes_to_the_callback, long_bearer_token_is_sent_whole,
              unreachable_endpoint_is_classified);
    return s;
}
