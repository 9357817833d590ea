/* Unit tests for server/render_chat.c (no socket): the chat.completion
 * object and its chunk stream from the same fixtures (content, refusal,
 * tool-call deltas, include_usage, [DONE]), and every stream fault on a
 * chat stream. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"
#include "test_support.h"
#include "render_chat.h"



/* 'plain' has 14 events: created in_progress added part.added delta*6
 * text.done part.done item.done completed. */
#define PLAIN_EVENTS 14

START_TEST(chat_json_and_stream)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct chat_stream_summary cs;
    json_t *choice, *msg;

    load(&set, KINDS_FIXTURES);
    /* Text, with and without include_usage. */
    render_chat_stream_of(&r, srv, named(&set, "msg"), NULL, 0);
    choice = json_array_get(json_object_get(r.final, "choices"), 0);
    msg = json_object_get(choice, "message");
    ck_assert_str_eq(json_string_value(json_object_get(r.final, "object")), "chat.completion");
    ck_assert(strncmp(json_string_value(json_object_get(r.final, "id")), "chatcmpl-", 9) == 0);
    ck_assert_str_eq(json_string_value(json_object_get(msg, "role")), "assistant");
    ck_assert_str_eq(json_string_value(json_object_get(msg, "content")), "Hello there world");
    ck_assert(json_is_null(json_object_get(msg, "refusal")));
    ck_assert_str_eq(json_string_value(json_object_get(choice, "finish_reason")), "stop");
    ck_assert(json_is_integer(json_object_get(json_object_get(r.final, "usage"),
                                              "total_tokens")));
    assert_chat_stream(&r.cap, 0, &cs, "chat msg");
    ck_assert_str_eq(cs.content, "Hello there world");
    ck_assert_str_eq(cs.finish_reason, "stop");
    ck_assert_ptr_null(cs.usage);
    ck_assert_uint_eq(cs.chunks, 5); /* role, 3 deltas, finish */
    ck_assert_ptr_null(strstr(r.bytes, "event:"));
    chat_stream_summary_release(&cs);
    rendered_release(&r);

    render_chat_stream_of(&r, srv, named(&set, "msg"), NULL, 1);
    assert_chat_stream(&r.cap, 1, &cs, "chat usage");
    ck_assert(json_equal(cs.usage, json_object_get(r.final, "usage")));
    chat_stream_summary_release(&cs);
    rendered_release(&r);

    /* Two tool calls: index 0 and 1, id and name first, arguments streamed. */
    render_chat_stream_of(&r, srv, named(&set, "two"), NULL, 0);
    choice = json_array_get(json_object_get(r.final, "choices"), 0);
    msg = json_object_get(choice, "message");
    ck_assert_str_eq(json_string_value(json_object_get(choice, "finish_reason")), "tool_calls");
    ck_assert(json_is_null(json_object_get(msg, "content")));
    ck_assert_uint_eq(json_array_size(json_object_get(msg, "tool_calls")), 2);
    assert_chat_stream(&r.cap, 0, &cs, "chat tools");
    ck_assert_uint_eq(json_array_size(cs.tool_calls), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cs.tool_calls, 0), "name")),
                     "a");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cs.tool_calls, 1),
                                                       "arguments")),
                     "{}");
    ck_assert_str_eq(cs.finish_reason, "tool_calls");
    chat_stream_summary_release(&cs);
    rendered_release(&r);

    /* Refusal and length. */
    render_chat_stream_of(&r, srv, named(&set, "refuse"), NULL, 0);
    assert_chat_stream(&r.cap, 0, &cs, "chat refusal");
    ck_assert_str_eq(cs.refusal, "No way");
    chat_stream_summary_release(&cs);
    rendered_release(&r);
    render_chat_stream_of(&r, srv, named(&set, "cut"), NULL, 0);
    assert_chat_stream(&r.cap, 0, &cs, "chat length");
    ck_assert_str_eq(cs.finish_reason, "length");
    chat_stream_summary_release(&cs);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(chat_faults)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f;
    json_t *e;

    load(&set, FAULT_FIXTURES);
    /* error: a data-only error object after 3 chunks, no [DONE]. */
    f = fault_of("error;after_events=3");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.cap.n, 4);
    e = json_object_get(r.cap.ev[3].json, "error");
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "server_error");
    ck_assert(json_is_string(json_object_get(e, "message")));
    ck_assert_ptr_null(strstr(r.bytes, "[DONE]"));
    rendered_release(&r);
    /* error past the end replaces the finish chunk. */
    f = fault_of("failed;after_events=500");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert(json_object_get(r.cap.ev[r.cap.n - 1].json, "error") != NULL);
    ck_assert_ptr_null(strstr(r.bytes, "finish_reason\":\"stop"));
    rendered_release(&r);
    /* drop */
    f = fault_of("drop;after_events=2");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.cap.n, 2);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);
    /* no_terminal: no finish chunk, no [DONE]. */
    f = fault_of("no_terminal");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 1);
    ck_assert_ptr_null(strstr(r.bytes, "[DONE]"));
    ck_assert_ptr_null(strstr(r.bytes, "\"finish_reason\":\"stop\""));
    rendered_release(&r);
    /* malformed: one broken chunk, everything else intact. */
    f = fault_of("malformed;after_events=1");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_ptr_null(r.cap.ev[1].json);
    ck_assert_str_eq(r.cap.ev[r.cap.n - 1].data, "[DONE]");
    rendered_release(&r);
    /* stall */
    f = fault_of("stall;after_events=2;stall_ms=900");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.ev->v[2].delay_ms, 900);
    ck_assert_str_eq(r.cap.ev[r.cap.n - 1].data, "[DONE]");
    rendered_release(&r);
    /* latency is not a stream fault */
    f = fault_of("latency;ms=100");
    render_chat_stream_of(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_str_eq(r.cap.ev[r.cap.n - 1].data, "[DONE]");
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render_chat");

    add_tcase(s, tcase_create("chat"), 60, NULL, NULL, chat_json_and_stream, chat_faults);
    return s;
}
