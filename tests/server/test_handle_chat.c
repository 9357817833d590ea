/* Unit tests for server/handle_chat.c through router calls (no socket):
 * POST /v1/chat/completions answered as a chat.completion or as a
 * data-only chunk stream ending in [DONE], tool calls, include_usage, error
 * fixtures, the fixture and fault headers, and bad bodies (400 with the
 * param, as JSON even when a stream was asked for). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "server_harness.h"
#include "store.h"
#include "test_support.h"

#define CHAT "/v1/chat/completions"
#define HI "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

static const char *const DEFAULT_TEXT =
    "Hello! This is respmock, an offline stand-in for the Responses API.";

START_TEST(json_reply)
{
    struct rm_reply r;
    json_t *doc = call("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", &r), *choice, *msg, *u;

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, RM_CT_JSON);
    ck_assert_ptr_null(r.events);
    ck_assert_str_eq(r.fixture, "default");
    ck_assert_str_eq(json_util_str(doc, "object"), RM_OBJ_CHAT_COMPLETION);
    ck_assert(harness_is_id(json_util_str(doc, "id"), RM_ID_CHAT, 32));
    ck_assert_str_eq(json_util_str(doc, "model"), "gpt-4.1");
    ck_assert(json_is_integer(json_object_get(doc, "created")));
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "choices")), 1);
    choice = json_array_get(json_object_get(doc, "choices"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(choice, "index")), 0);
    ck_assert_str_eq(json_util_str(choice, "finish_reason"), "stop");
    msg = json_object_get(choice, "message");
    ck_assert_str_eq(json_util_str(msg, "role"), "assistant");
    ck_assert_str_eq(json_util_str(msg, "content"), DEFAULT_TEXT);
    ck_assert(json_is_null(json_object_get(msg, "refusal")));
    ck_assert_ptr_null(json_object_get(msg, "tool_calls"));
    /* "hi" is 1 token; the answer's 67 bytes are 17. */
    u = json_object_get(doc, "usage");
    ck_assert_int_eq(json_integer_value(json_object_get(u, "prompt_tokens")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "completion_tokens")),
                     (long)(strlen(DEFAULT_TEXT) + 3) / 4);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "total_tokens")),
                     1 + (long)(strlen(DEFAULT_TEXT) + 3) / 4);
    json_decref(doc);
    reply_release(&r);

    /* stream: false is the JSON reply too. */
    doc = call("POST", CHAT, "{\"model\":\"gpt-4.1\",\"stream\":false," HI "}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(r.events);
    ck_assert_str_eq(json_util_str(doc, "object"), RM_OBJ_CHAT_COMPLETION);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(tool_calls_and_refusals)
{
    json_t *doc = call_ok("POST", CHAT,
                          "{\"model\":\"gpt-4.1\"," HI ",\"tools\":[{\"type\":\"function\","
                          "\"function\":{\"name\":\"get_weather\",\"parameters\":{}}}]}");
    json_t *choice = json_array_get(json_object_get(doc, "choices"), 0);
    json_t *msg = json_object_get(choice, "message"), *call0;

    ck_assert_str_eq(json_util_str(choice, "finish_reason"), "tool_calls");
    ck_assert(json_is_null(json_object_get(msg, "content")));
    ck_assert_uint_eq(json_array_size(json_object_get(msg, "tool_calls")), 1);
    call0 = json_array_get(json_object_get(msg, "tool_calls"), 0);
    ck_assert(harness_is_id(json_util_str(call0, "id"), RM_ID_CALL, 24));
    ck_assert_str_eq(json_util_str(call0, "type"), "function");
    ck_assert_str_eq(json_util_str(json_object_get(call0, "function"), "name"), "get_weather");
    ck_assert_str_eq(json_util_str(json_object_get(call0, "function"), "arguments"),
                     "{\"location\":\"Boston, MA\"}");
    json_decref(doc);

    /* The refusal fixture matches chat messages too. */
    doc = call_ok("POST", CHAT,
                  "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":"
                  "\"please refuse\"}]}");
    msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    ck_assert_str_eq(json_util_str(msg, "refusal"), "I'm sorry, but I can't help with that.");
    ck_assert(json_is_null(json_object_get(msg, "content")));
    json_decref(doc);
    /* incomplete -> finish_reason length */
    doc = call_ok("POST", CHAT,
                  "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":"
                  "\"a long essay\"}]}");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "choices"), 0),
                                   "finish_reason"),
                     "length");
    json_decref(doc);
}
END_TEST

START_TEST(stream_reply)
{
    struct rm_reply r;
    struct sse_capture cap;
    json_t *doc = call("POST", CHAT, "{\"model\":\"gpt-4.1\",\"stream\":true," HI "}", &r);
    struct chat_stream_summary cs;
    char *bytes;
    size_t len;

    ck_assert_ptr_null(doc);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(r.events);
    ck_assert_ptr_null(r.body);
    ck_assert_str_eq(r.content_type, RM_CT_SSE);
    bytes = harness_reply_bytes(&r, &len);
    /* data-only frames, the last one [DONE] */
    ck_assert_ptr_null(strstr(bytes, "event:"));
    ck_assert_int_eq(strncmp(bytes, "data: {", 7), 0);
    ck_assert_uint_ge(len, 14);
    ck_assert_str_eq(bytes + len - 14, "data: [DONE]\n\n");
    ck_assert_int_eq(r.events->v[r.events->n - 1].kind, EVENT_DONE);
    sse_capture_bytes(&cap, bytes, len);
    assert_chat_stream(&cap, 0, &cs, "chat stream");
    ck_assert_str_eq(cs.content, DEFAULT_TEXT);
    ck_assert_str_eq(cs.finish_reason, "stop");
    chat_stream_summary_release(&cs);
    sse_capture_release(&cap);
    free(bytes);
    reply_release(&r);

    /* include_usage: one more chunk, choices [] with the usage, before [DONE]. */
    doc = call("POST", CHAT,
               "{\"model\":\"gpt-4.1\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
               HI "}",
               &r);
    bytes = harness_reply_bytes(&r, &len);
    sse_capture_bytes(&cap, bytes, len);
    assert_chat_stream(&cap, 1, &cs, "chat stream with usage");
    chat_stream_summary_release(&cs);
    {
        json_t *last = cap.ev[cap.n - 2].json;
        ck_assert_uint_eq(json_array_size(json_object_get(last, "choices")), 0);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(last, "usage"),
                                                            "prompt_tokens")),
                         1);
        ck_assert(json_is_null(json_object_get(cap.ev[0].json, "usage")));
    }
    sse_capture_release(&cap);
    free(bytes);
    reply_release(&r);
}
END_TEST

START_TEST(fixture_and_fault_headers)
{
    struct rm_reply r;
    json_t *doc, *e;

    /* An error fixture is the whole answer, with its headers. */
    doc = call("POST", CHAT, "{\"model\":\"respmock-error-429\"," HI "}", &r);
    e = expect_error(doc, &r, 429);
    ck_assert_str_eq(json_util_str(e, "code"), "rate_limit_exceeded");
    ck_assert_str_eq(harness_header(&r, "retry-after"), "1");
    ck_assert_str_eq(r.fixture, "error-429");
    json_decref(doc);
    reply_release(&r);
    /* ... also when a stream was asked for. */
    doc = call("POST", CHAT, "{\"model\":\"respmock-error-500\",\"stream\":true," HI "}", &r);
    expect_error(doc, &r, 500);
    ck_assert_ptr_null(r.events);
    json_decref(doc);
    reply_release(&r);

    /* A fixture forced by name; an unknown one is a 400. */
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", "refusal", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.fixture, "refusal");
    json_decref(doc);
    reply_release(&r);
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", "nope", NULL, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "unknown_fixture");
    json_decref(doc);
    reply_release(&r);

    /* A transcript answers streams only. */
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", "recorded", NULL, &r);
    expect_error(doc, &r, 500);
    json_decref(doc);
    reply_release(&r);
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\",\"stream\":true," HI "}", "recorded", NULL,
                 &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(r.events);
    ck_assert_int_eq(r.events->v[0].kind, EVENT_RAW);
    reply_release(&r);

    /* Faults: latency delays, malformed_body cuts, a bad spec is a 400. */
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", NULL, "latency;ms=90", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.delay_ms, 90);
    json_decref(doc);
    reply_release(&r);
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", NULL, "malformed_body", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(doc);
    ck_assert_uint_gt(r.body_len, 0);
    reply_release(&r);
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\",\"stream\":true," HI "}", NULL,
                 "drop;after_events=2", &r);
    ck_assert_ptr_nonnull(r.events);
    ck_assert_uint_eq(r.events->n, 2);
    ck_assert_int_eq(r.events->end_with_error, 1);
    reply_release(&r);
    doc = call_h("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI "}", NULL, "teleport", &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "invalid_fault");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(bad_bodies_are_400)
{
    struct rm_reply r;
    json_t *doc;

    call_fails("POST", CHAT, "{\"messages\":[]}", 400, "missing_required_parameter", "model");
    call_fails("POST", CHAT, "{\"model\":\"gpt-4.1\"}", 400, "missing_required_parameter",
               "messages");
    call_fails("POST", CHAT, "{\"model\":\"gpt-4.1\",\"messages\":[]}", 400, "empty_array",
               "messages");
    call_fails("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI ",\"temperature\":\"hot\"}", 400,
               "invalid_type", "temperature");
    /* Unknown top-level keys are accepted (validate.h). */
    json_decref(call_ok("POST", CHAT, "{\"model\":\"gpt-4.1\"," HI ",\"bogus\":1}"));
    call_fails("POST", CHAT, "{\"model\":\"gpt-4.1\",", 400, NULL, NULL);
    call_fails("POST", CHAT, "42", 400, "invalid_type", NULL);
    /* A stream asked for changes nothing: the error is JSON. */
    doc = call("POST", CHAT, "{\"stream\":true," HI "}", &r);
    expect_error(doc, &r, 400);
    ck_assert_ptr_null(r.events);
    ck_assert_str_eq(r.content_type, RM_CT_JSON);
    json_decref(doc);
    reply_release(&r);
    /* Nothing was stored: chat completions are not responses. */
    ck_assert_uint_eq(store_count(bench_srv->store), 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_chat");

    add_tcase(s, tcase_create("replies"), 60, harness_setup, harness_teardown, json_reply,
              tool_calls_and_refusals, stream_reply);
    add_tcase(s, tcase_create("headers_and_errors"), 60, harness_setup, harness_teardown,
              fixture_and_fault_headers, bad_bodies_are_400);
    return s;
}
