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
#include "stream.h"
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

/* A streamed create: its events (the full render, for a request that is
 * not plain), or its template's frames (a plain one, template.h); the same
 * SSE either way. */
START_TEST(stream_reply_is_a_stream)
{
    static const char *const bodies[] = {
        "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true,\"metadata\":{}}",
        "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}"};
    unsigned i;

    for (i = 0; i < 2; i++) {
        struct rm_reply r;
        json_t *doc = call("POST", "/v1/responses", bodies[i], &r);
        size_t len;
        char *bytes;

        ck_assert_ptr_null(doc);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_nonnull(strstr(r.content_type, "text/event-stream"));
        if (i == 0) {
            ck_assert_ptr_nonnull(r.events);
            ck_assert_uint_gt(r.events->n, 5);
        } else {
            ck_assert_ptr_null(r.events);
            ck_assert_ptr_nonnull(r.stream);
            ck_assert_uint_gt(stream_frames(r.stream), 5);
        }
        bytes = harness_reply_bytes(&r, &len);
        ck_assert_int_eq(strncmp(bytes, "event: response.created\n", 24), 0);
        ck_assert_ptr_nonnull(strstr(bytes, "event: response.completed\n"));
        free(bytes);
        reply_release(&r);
    }
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

/* ---- Compaction ------------------------------------------------------------ */

#define COMPACT_BODY                                                                            \
    "{\"model\":\"gpt-5.1-codex-max\",\"instructions\":\"Be brief.\",\"input\":["            \
    "{\"role\":\"user\",\"content\":\"Remember the word pineapple.\"},"                      \
    "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","  \
    "\"text\":\"Noted.\"}]}]}"

START_TEST(compact_answers_a_compaction)
{
    json_t *doc = call_ok("POST", "/v1/responses/compact", COMPACT_BODY), *out, *cmp, *next;
    char *body;

    ck_assert_str_eq(json_util_str(doc, "object"), "response.compaction");
    ck_assert(harness_is_id(json_util_str(doc, "id"), "resp_", 50));
    ck_assert(json_is_integer(json_object_get(doc, "created_at")));
    out = json_object_get(doc, "output");
    /* the user messages, then one compaction item */
    ck_assert_uint_eq(json_array_size(out), 2);
    ck_assert_str_eq(json_util_str(json_array_get(out, 0), "role"), "user");
    cmp = json_array_get(out, 1);
    ck_assert_str_eq(json_util_str(cmp, "type"), "compaction");
    ck_assert(harness_is_id(json_util_str(cmp, "id"), "cmp_", 50));
    ck_assert_int_eq(strncmp(json_util_str(cmp, "encrypted_content"), "gAAAAAB", 7), 0);
    /* opaque: the text is not readable in it */
    ck_assert_ptr_null(strstr(json_util_str(cmp, "encrypted_content"), "pineapple"));
    ck_assert_int_gt(json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                        "input_tokens")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                        "total_tokens")),
                     json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                        "input_tokens")) +
                         json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                            "output_tokens")));
    /* sent back as input, it stands for the conversation: a fixture that
     * matches the compacted text still matches */
    next = json_pack("{s:s, s:O, s:[{s:s, s:s, s:s}]}", "model", "gpt-4.1", "input", out,
                     "tools", "type", "function", "name", "get_weather", "description", "x");
    json_array_append_new(json_object_get(next, "input"),
                          json_pack("{s:s, s:s}", "role", "user", "content", "and now?"));
    body = json_dumps(next, JSON_COMPACT);
    {
        struct rm_reply r;
        json_t *resp = call("POST", "/v1/responses", body, &r);

        ck_assert_int_eq(r.status, 200);
        ck_assert_int_gt(json_integer_value(json_object_get(json_object_get(resp, "usage"),
                                                            "input_tokens")),
                         3); /* more than "and now?" alone */
        json_decref(resp);
        reply_release(&r);
    }
    free(body);
    json_decref(next);
    json_decref(doc);
}
END_TEST

START_TEST(compact_validates_like_create)
{
    call_fails("POST", "/v1/responses/compact", "{\"input\":\"x\"}", 400,
               "missing_required_parameter", "model");
    call_fails("POST", "/v1/responses/compact", "{\"model\":\"m\",\"input\":\"x\",\"stream\":true}",
               400, "unknown_parameter", "stream");
    call_fails("POST", "/v1/responses/compact", "{\"model\":\"m\",\"input\":[{\"role\":\"tool\"}]}",
               400, "invalid_value", "input[0].role");
    call_fails("POST", "/v1/responses/compact",
               "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_nope\"}", 400,
               "previous_response_not_found", "previous_response_id");
    call_fails("POST", "/v1/responses/compact", "not json", 400, NULL, NULL);
    /* what Codex CLI sends besides the spec's fields */
    json_decref(call_ok("POST", "/v1/responses/compact",
                        "{\"model\":\"m\",\"input\":\"x\",\"tools\":[],\"parallel_tool_calls\":false,"
                        "\"reasoning\":{\"effort\":\"low\"},\"text\":{\"verbosity\":\"low\"}}"));
    /* compaction input items */
    call_fails("POST", "/v1/responses",
               "{\"model\":\"m\",\"input\":[{\"type\":\"compaction\"}]}", 400,
               "missing_required_parameter", "input[0].encrypted_content");
    call_fails("POST", "/v1/responses",
               "{\"model\":\"m\",\"input\":[{\"type\":\"compaction_trigger\"},"
               "{\"role\":\"user\",\"content\":\"x\"}]}",
               400, "invalid_value", "input[0]");
    /* someone else's blob is accepted (it stands for nothing) */
    json_decref(call_ok("POST", "/v1/responses",
                        "{\"model\":\"m\",\"input\":[{\"type\":\"compaction\","
                        "\"encrypted_content\":\"gAAAAABxyz\"},{\"role\":\"user\",\"content\":\"x\"}]}"));
}
END_TEST

START_TEST(compaction_trigger_compacts)
{
    json_t *doc = call_ok("POST", "/v1/responses",
                          "{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":"
                          "\"hello there\"},{\"type\":\"compaction_trigger\"}]}");
    json_t *out = json_object_get(doc, "output");

    ck_assert_uint_eq(json_array_size(out), 1);
    ck_assert_str_eq(json_util_str(json_array_get(out, 0), "type"), "compaction");
    ck_assert_ptr_nonnull(json_util_str(json_array_get(out, 0), "encrypted_content"));
    json_decref(doc);
}
END_TEST

START_TEST(context_management_compacts_over_the_threshold)
{
    char *big = malloc(8001), *body = malloc(9000);
    json_t *doc, *out;
    size_t i;

    for (i = 0; i < 8000; i++)
        big[i] = i % 5 == 4 ? ' ' : 'w';
    big[8000] = '\0';
    /* ~2000 input tokens: over a threshold of 1000, compacted first */
    snprintf(body, 9000,
             "{\"model\":\"gpt-4.1\",\"input\":\"%s\",\"context_management\":[{\"type\":"
             "\"compaction\",\"compact_threshold\":1000}]}",
             big);
    doc = call_ok("POST", "/v1/responses", body);
    out = json_object_get(doc, "output");
    ck_assert_uint_eq(json_array_size(out), 2);
    ck_assert_str_eq(json_util_str(json_array_get(out, 0), "type"), "compaction");
    ck_assert_str_eq(json_util_str(json_array_get(out, 1), "type"), "message");
    json_decref(doc);
    /* under it: the answer alone */
    doc = call_ok("POST", "/v1/responses",
                  "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"context_management\":[{\"type\":"
                  "\"compaction\",\"compact_threshold\":1000}]}");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "output"), 0), "type"),
                     "message");
    json_decref(doc);
    call_fails("POST", "/v1/responses",
               "{\"model\":\"m\",\"input\":\"x\",\"context_management\":[{\"type\":\"compaction\","
               "\"compact_threshold\":10}]}",
               400, "integer_below_min_value", "context_management[0].compact_threshold");
    call_fails("POST", "/v1/responses",
               "{\"model\":\"m\",\"input\":\"x\",\"context_management\":[{}]}", 400,
               "missing_required_parameter", "context_management[0].type");
    free(big);
    free(body);
}
END_TEST

/* ---- Built-in tools in the request: request-aware defaults ---------------------- */

START_TEST(hosted_tool_defaults)
{
    static const struct {
        const char *tool, *item;
        size_t n; /* items: the tool's, then a message unless the client runs it */
    } cases[] = {
        {"web_search", "web_search_call", 2},       {"web_search_preview", "web_search_call", 2},
        {"file_search", "file_search_call", 2},     {"code_interpreter", "code_interpreter_call", 2},
        {"image_generation", "image_generation_call", 2}, {"mcp", "mcp_list_tools", 2},
        {"shell", "shell_call", 1},                 {"local_shell", "local_shell_call", 1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        json_t *doc, *out;

        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4.1\",\"input\":\"what is respmock?\","
                 "\"tools\":[{\"type\":\"%s\"}]}",
                 cases[i].tool);
        doc = call_ok("POST", "/v1/responses", body);
        out = json_object_get(doc, "output");
        ck_assert_msg(json_array_size(out) == cases[i].n, "%s: %zu items", cases[i].tool,
                      json_array_size(out));
        ck_assert_str_eq(json_util_str(json_array_get(out, 0), "type"), cases[i].item);
        if (strcmp(cases[i].tool, "web_search") == 0) {
            json_t *part = json_array_get(json_object_get(json_array_get(out, 1), "content"), 0);
            json_t *a = json_array_get(json_object_get(part, "annotations"), 0);
            const char *text = json_util_str(part, "text");
            json_int_t s = json_integer_value(json_object_get(a, "start_index"));
            json_int_t e = json_integer_value(json_object_get(a, "end_index"));

            ck_assert_str_eq(json_util_str(a, "type"), "url_citation");
            ck_assert_int_eq(e, (json_int_t)strlen(text));
            ck_assert_int_eq(text[s], '(');
            ck_assert_str_eq(json_util_str(json_object_get(json_array_get(out, 0), "action"),
                                           "query"),
                             "what is respmock?");
        }
        json_decref(doc);
    }
    /* tool_choice none: no tool, the plain answer */
    {
        json_t *doc = call_ok("POST", "/v1/responses",
                              "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tool_choice\":\"none\","
                              "\"tools\":[{\"type\":\"web_search\"}]}");
        ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "output"), 0), "type"),
                         "message");
        json_decref(doc);
    }
    /* a function tool wins: the call comes first, as before */
    {
        json_t *doc = call_ok("POST", "/v1/responses",
                              "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":"
                              "\"web_search\"},{\"type\":\"function\",\"name\":\"f\"}]}");
        ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "output"), 0), "type"),
                         "function_call");
        json_decref(doc);
    }
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
    add_tcase(s, tcase_create("compact"), 60, harness_setup, harness_teardown,
              compact_answers_a_compaction, compact_validates_like_create,
              compaction_trigger_compacts, context_management_compacts_over_the_threshold);
    add_tcase(s, tcase_create("hosted"), 60, harness_setup, harness_teardown, hosted_tool_defaults);
    return s;
}
