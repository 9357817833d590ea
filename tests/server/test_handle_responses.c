/* Unit tests for server/handle_responses.c (no socket): a create answered
 * as JSON or as an event list, error fixtures with their headers, the
 * per-request fault header, and error envelopes quoting text that is not
 * valid UTF-8. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"
#include "handle_responses.h"
#include "router.h"

START_TEST(create_without_socket)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}", &r);

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_null(r.events);
    ck_assert_str_eq(r.fixture, "default");
    ck_assert_str_eq(json_util_str(doc, "object"), "response");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(stream_reply_is_a_stream)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses",
                       "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}", &r);

    ck_assert_ptr_null(doc);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(r.events);
    ck_assert_ptr_nonnull(strstr(r.content_type, "text/event-stream"));
    ck_assert_uint_gt(r.events->n, 5);
    {
        size_t len;
        char *bytes = harness_reply_bytes(&r, &len);
        ck_assert_int_eq(strncmp(bytes, "event: response.created\n", 24), 0);
        free(bytes);
    }
    reply_release(&r);
}
END_TEST

START_TEST(fixture_errors_and_headers)
{
    struct rm_reply r;
    json_t *doc;

    doc = call("POST", "/v1/responses", "{\"model\":\"respmock-error-429\",\"input\":\"x\"}", &r);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(harness_header(&r, "x-should-retry"), "false");
    ck_assert_str_eq(harness_header(&r, "retry-after"), "1");
    ck_assert_str_eq(harness_header(&r, "x-ratelimit-reset-tokens"), "6m0s");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(fault_header_per_request)
{
    struct rm_request req;
    struct rm_reply r;
    json_t *doc;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/v1/responses";
    req.authorization = "Bearer k";
    req.body = "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}";
    req.body_len = strlen(req.body);
    req.fault = "latency;ms=250";
    router_handle(bench_srv, &req, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.delay_ms, 250);
    reply_release(&r);
    req.fault = "malformed_body";
    router_handle(bench_srv, &req, &r);
    ck_assert_int_eq(r.status, 200);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    ck_assert_ptr_null(doc); /* the body is cut: not JSON */
    reply_release(&r);
    req.fault = "teleport";
    router_handle(bench_srv, &req, &r);
    ck_assert_int_eq(r.status, 400);
    reply_release(&r);
}
END_TEST

/* "%.200s" and the fixed message/param sizes cut multi-byte characters. */
START_TEST(truncated_utf8_in_messages_is_still_400)
{
    char body[2048], word[1024];
    struct rm_reply r;
    json_t *doc, *e;
    size_t i;

    /* previous_response_id: "a" then 150 x "é" (2 bytes): cut at 200 bytes mid-character. */
    strcpy(word, "a");
    for (i = 0; i < 150; i++)
        strcat(word, "\xc3\xa9");
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"%s\"}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "previous_response_not_found");
    ck_assert_str_eq(json_util_str(e, "param"), "previous_response_id");
    json_decref(doc);
    reply_release(&r);

    /* an enum value quoted with "%.64s" */
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"truncation\":\"%s\"}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "param"), "truncation");
    json_decref(doc);
    reply_release(&r);

    /* an unknown key longer than the param buffer, cut mid-character */
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"%s\":1}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "unknown_parameter");
    json_decref(doc);
    reply_release(&r);

    /* a fault header that is not UTF-8 */
    doc = call_h("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", NULL, "a\xff", &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "invalid_fault");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* GET /v1/responses with Upgrade: websocket: 101 with the RFC 6455 accept
 * value when the key, version and auth are right; 401, 400 and 426 when
 * they are not; with --no-websocket 426 at once, before any auth, so
 * clients fall back to HTTP without retrying; a plain GET is 404. */
static const char *ws_version = "13";
static const char *ws_key = "dGhlIHNhbXBsZSBub25jZQ==";

static const char *upgrade_header(const void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "upgrade") == 0)
        return "websocket";
    if (strcmp(name, "sec-websocket-version") == 0)
        return ws_version;
    return strcmp(name, "sec-websocket-key") == 0 ? ws_key : NULL;
}

static void upgrade(const char *auth, struct rm_reply *r)
{
    struct rm_request req;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/v1/responses";
    req.header = upgrade_header;
    req.authorization = auth;
    router_handle(bench_srv, &req, r);
}

static void expect_code(struct rm_reply *r, int status, const char *code)
{
    json_t *doc = json_loadb(r->body, r->body_len, 0, NULL);

    ck_assert_int_eq(r->status, status);
    ck_assert_int_eq(r->upgrade, 0);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), code);
    json_decref(doc);
    reply_release(r);
}

START_TEST(websocket_upgrade)
{
    struct rm_request req;
    struct rm_reply r;

    upgrade("Bearer k", &r);
    ck_assert_int_eq(r.status, 101);
    ck_assert_int_eq(r.upgrade, 1);
    ck_assert_str_eq(harness_header(&r, "Upgrade"), "websocket");
    /* RFC 6455 section 1.3's example */
    ck_assert_str_eq(harness_header(&r, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    reply_release(&r);
    upgrade(NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(r.upgrade, 0);
    reply_release(&r);
    ws_version = "8";
    upgrade("Bearer k", &r);
    ck_assert_str_eq(harness_header(&r, "Sec-WebSocket-Version"), "13");
    expect_code(&r, 426, "unsupported_websocket_version");
    ws_version = "13";
    ws_key = "";
    upgrade("Bearer k", &r);
    ck_assert_int_eq(r.status, 400);
    reply_release(&r);
    ws_key = "dGhlIHNhbXBsZSBub25jZQ==";
    bench_srv->cfg.no_websocket = 1;
    upgrade(NULL, &r);
    ck_assert_str_eq(harness_header(&r, "x-should-retry"), "false");
    expect_code(&r, 426, "websocket_not_supported");
    bench_srv->cfg.no_websocket = 0;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/v1/responses";
    req.authorization = "Bearer k";
    router_handle(bench_srv, &req, &r);
    ck_assert_int_eq(r.status, 404);
    reply_release(&r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_responses");

    add_tcase(s, tcase_create("create"), 60, harness_setup, harness_teardown, create_without_socket,
              stream_reply_is_a_stream, fixture_errors_and_headers, fault_header_per_request,
              websocket_upgrade);
    add_tcase(s, tcase_create("envelope_utf8"), 60, harness_setup, harness_teardown,
              truncated_utf8_in_messages_is_still_400);
    return s;
}
