/* Integration tests for Chat Completions parity (issue 3), against a
 * spawned respmock with the shipped fixtures: chat.completion JSON, the
 * data-only chunk stream ending with data: [DONE], tool-call deltas with
 * index, stream_options.include_usage, chat faults, and pre-stream errors
 * as JSON. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_assert.h"
#include "test_support.h"

static void start_default(void)
{
    srv_start(&(struct test_server_opts){.speed = "0"});
}

#define WEATHER_TOOL                                                                             \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"   \
    "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}}}}}]"

static json_t *chat_json(const char *body, struct http_result *r)
{
    const char *headers[] = {"Accept: application/json", NULL};
    json_t *doc = srv_request("POST", "/v1/chat/completions", body, headers, r);

    ck_assert_msg(doc != NULL, "not JSON: %s", r->body);
    return doc;
}

static void chat_sse(const char *body, const char *fault, struct sse_http *r)
{
    char h[256];
    const char *headers[] = {"Accept: application/json", fault ? h : NULL, NULL};

    if (fault)
        snprintf(h, sizeof(h), "x-respmock-fault: %s", fault);
    sse_http_post(srv_url("/v1/chat/completions"), body, headers, 60, r);
}

static json_t *first_choice(json_t *doc)
{
    return json_array_get(json_object_get(doc, "choices"), 0);
}

START_TEST(chat_completion_json)
{
    struct http_result r;
    json_t *doc, *msg, *usage;
    char *ct;

    doc = chat_json("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                    "\"content\":\"hello\"}]}",
                    &r);
    ck_assert_int_eq(r.status, 200);
    ct = http_header(&r, "content-type");
    ck_assert_str_eq(ct, "application/json");
    free(ct);
    ck_assert(strncmp(json_string_value(json_object_get(doc, "id")), "chatcmpl-", 9) == 0);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "object")), "chat.completion");
    ck_assert(json_is_integer(json_object_get(doc, "created")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "model")), "gpt-4.1-mini");
    ck_assert_int_eq(json_integer_value(json_object_get(first_choice(doc), "index")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first_choice(doc), "finish_reason")),
                     "stop");
    ck_assert(json_is_null(json_object_get(first_choice(doc), "logprobs")));
    msg = json_object_get(first_choice(doc), "message");
    ck_assert_str_eq(json_string_value(json_object_get(msg, "role")), "assistant");
    ck_assert_str_eq(json_string_value(json_object_get(msg, "content")),
                     "Hello! This is respmock, an offline stand-in for the Responses API.");
    ck_assert(json_is_null(json_object_get(msg, "refusal")));
    ck_assert(json_is_array(json_object_get(msg, "annotations")));
    usage = json_object_get(doc, "usage");
    ck_assert_int_eq(json_integer_value(json_object_get(usage, "total_tokens")),
                     json_integer_value(json_object_get(usage, "prompt_tokens")) +
                         json_integer_value(json_object_get(usage, "completion_tokens")));
    ck_assert(json_is_object(json_object_get(usage, "prompt_tokens_details")));
    ck_assert(json_is_object(json_object_get(usage, "completion_tokens_details")));
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(chat_stream_done)
{
    struct sse_http s;
    struct http_result r;
    struct chat_stream_summary cs;
    json_t *doc;
    char *ct;

    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
             "\"stream\":true}",
             NULL, &s);
    ck_assert_int_eq(s.curl_rc, CURLE_OK);
    ck_assert_int_eq(s.status, 200);
    ct = http_header_in(s.headers, "content-type");
    ck_assert(ct && strncmp(ct, "text/event-stream", 17) == 0);
    free(ct);
    ck_assert_ptr_null(strstr(s.body, "event:"));
    ck_assert(s.body_len > 14 && strcmp(s.body + s.body_len - 14, "data: [DONE]\n\n") == 0);
    assert_chat_stream(&s.cap, 0, &cs, "chat stream");
    ck_assert_str_eq(cs.finish_reason, "stop");
    doc = chat_json("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                    "\"content\":\"hello\"}]}",
                    &r);
    ck_assert_str_eq(cs.content, json_string_value(json_object_get(
                                     json_object_get(first_choice(doc), "message"), "content")));
    ck_assert_uint_ge(cs.chunks, 4);
    json_decref(doc);
    http_result_free(&r);
    chat_stream_summary_release(&cs);
    sse_http_release(&s);
}
END_TEST

START_TEST(chat_tool_calls)
{
    struct http_result r;
    struct sse_http s;
    struct chat_stream_summary cs;
    json_t *doc, *calls, *call;

    doc = chat_json("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                    "\"content\":\"weather in Boston?\"}]," WEATHER_TOOL "}",
                    &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(first_choice(doc), "finish_reason")),
                     "tool_calls");
    calls = json_object_get(json_object_get(first_choice(doc), "message"), "tool_calls");
    ck_assert_uint_eq(json_array_size(calls), 1);
    call = json_array_get(calls, 0);
    ck_assert(strncmp(json_string_value(json_object_get(call, "id")), "call_", 5) == 0);
    ck_assert_str_eq(json_string_value(json_object_get(call, "type")), "function");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(call, "function"), "name")),
                     "get_weather");
    /* arguments is a JSON string, never an object */
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(call, "function"),
                                                       "arguments")),
                     "{\"location\":\"Boston, MA\"}");
    json_decref(doc);
    http_result_free(&r);

    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
             "\"content\":\"weather in Boston?\"}],\"stream\":true," WEATHER_TOOL "}",
             NULL, &s);
    assert_chat_stream(&s.cap, 0, &cs, "chat tools");
    ck_assert_uint_eq(json_array_size(cs.tool_calls), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cs.tool_calls, 0),
                                                       "arguments")),
                     "{\"location\":\"Boston, MA\"}");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cs.tool_calls, 0), "name")),
                     "get_weather");
    ck_assert_str_eq(cs.finish_reason, "tool_calls");
    /* chunked by 8 characters: several argument deltas, each with "index" */
    ck_assert_uint_ge(cs.chunks, 5);
    chat_stream_summary_release(&cs);
    sse_http_release(&s);
}
END_TEST

START_TEST(chat_include_usage)
{
    struct sse_http s;
    struct chat_stream_summary cs;

    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
             "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
             NULL, &s);
    assert_chat_stream(&s.cap, 1, &cs, "include_usage");
    ck_assert(json_is_integer(json_object_get(cs.usage, "prompt_tokens")));
    ck_assert(json_integer_value(json_object_get(cs.usage, "completion_tokens")) > 0);
    chat_stream_summary_release(&cs);
    sse_http_release(&s);

    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
             "\"stream\":true,\"stream_options\":{\"include_usage\":false}}",
             NULL, &s);
    assert_chat_stream(&s.cap, 0, &cs, "no usage");
    ck_assert_ptr_null(cs.usage);
    chat_stream_summary_release(&cs);
    sse_http_release(&s);
}
END_TEST

START_TEST(chat_refusal_and_length)
{
    struct sse_http s;
    struct chat_stream_summary cs;
    struct http_result r;
    json_t *doc;

    doc = chat_json("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                    "\"content\":\"please refuse\"}]}",
                    &r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(first_choice(doc),
                                                                       "message"),
                                                       "refusal")),
                     "I'm sorry, but I can't help with that.");
    json_decref(doc);
    http_result_free(&r);
    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
             "\"content\":\"please refuse\"}],\"stream\":true}",
             NULL, &s);
    assert_chat_stream(&s.cap, 0, &cs, "refusal");
    ck_assert_str_eq(cs.refusal, "I'm sorry, but I can't help with that.");
    chat_stream_summary_release(&cs);
    sse_http_release(&s);
    chat_sse("{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
             "\"content\":\"a long essay\"}],\"stream\":true}",
             NULL, &s);
    assert_chat_stream(&s.cap, 0, &cs, "length");
    ck_assert_str_eq(cs.finish_reason, "length");
    chat_stream_summary_release(&cs);
    sse_http_release(&s);
}
END_TEST

START_TEST(chat_faults_and_errors)
{
    static const char *const body = "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\","
                                    "\"content\":\"hello\"}],\"stream\":true}";
    struct sse_http s;
    struct http_result r;
    json_t *doc, *e;
    const char *noauth[] = {"Authorization: Basic eA==", NULL};

    chat_sse(body, "error;after_events=3", &s);
    ck_assert_int_eq(s.curl_rc, CURLE_OK);
    ck_assert_uint_eq(s.cap.n, 4);
    e = json_object_get(s.cap.ev[3].json, "error");
    ck_assert(json_is_string(json_object_get(e, "message")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "server_error");
    ck_assert_ptr_null(strstr(s.body, "[DONE]"));
    sse_http_release(&s);

    chat_sse(body, "drop;after_events=2", &s);
    ck_assert_int_ne(s.curl_rc, CURLE_OK);
    ck_assert_uint_eq(s.cap.n, 2);
    sse_http_release(&s);

    chat_sse(body, "no_terminal", &s);
    ck_assert_int_eq(s.curl_rc, CURLE_OK);
    ck_assert_ptr_null(strstr(s.body, "[DONE]"));
    sse_http_release(&s);

    chat_sse(body, "malformed;after_events=1", &s);
    ck_assert_ptr_null(s.cap.ev[1].json);
    ck_assert_str_eq(s.cap.ev[s.cap.n - 1].data, "[DONE]");
    sse_http_release(&s);

    /* Before the stream: plain JSON errors. */
    doc = chat_json("{\"model\":\"gpt-4.1-mini\",\"stream\":true}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string_value(json_object_get(assert_error_envelope(doc), "param")),
                     "messages");
    json_decref(doc);
    http_result_free(&r);
    assert_error_answer(srv_request("POST", "/v1/chat/completions", body, noauth, &r), &r, 401);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("chat");

    add_tcase(s, tcase_create("chat_json"), 60, start_default, srv_stop, chat_completion_json,
              chat_tool_calls, chat_refusal_and_length);
    add_tcase(s, tcase_create("chat_sse"), 60, start_default, srv_stop, chat_stream_done,
              chat_include_usage, chat_faults_and_errors);
    return s;
}
