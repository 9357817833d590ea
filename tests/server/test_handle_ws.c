/* Unit tests for server/handle_ws.c (no socket): a session answers client
 * events with event lists: a create's events are the SSE stream's, chains
 * on store:false responses stay within their session, generate:false is a
 * warm-up, steer is refused, and bad events get error events. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "handle_ws.h"
#include "json_util.h"
#include "journal.h"
#include "server_harness.h"
#include "test_support.h"

#define CREATE "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\""

static struct ws_session *session(void)
{
    struct ws_open o;
    struct ws_session *s;

    memset(&o, 0, sizeof(o));
    o.headers = json_pack("{s:s}", "openai-beta", "responses_websockets=2026-02-06");
    s = ws_session_new(bench_srv, &o);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(o.headers); /* taken */
    return s;
}

/* The answer to 'msg' (new reference); its last event's type is 'end'. */
static struct event_list *answer(struct ws_session *s, const char *msg, const char *end)
{
    struct ws_answer a;

    ck_assert_int_eq(ws_session_message(s, msg, strlen(msg), 0, &a), 0);
    ck_assert_ptr_nonnull(a.events);
    ck_assert_uint_gt(a.events->n, 0);
    ck_assert_str_eq(event_type(&a.events->v[a.events->n - 1]), end);
    journal_drop(bench_srv->journal, a.journal_entry); /* its stream is not sent here */
    return a.events;
}

static const char *final_id(const struct event_list *l)
{
    return json_util_str(event_list_last_response(l), "id");
}

START_TEST(create_is_the_sse_stream)
{
    struct ws_session *s = session();
    struct event_list *l = answer(s, CREATE "}", RM_EV_COMPLETED);
    size_t i;

    ck_assert_str_eq(event_type(&l->v[0]), RM_EV_CREATED);
    for (i = 0; i < l->n; i++)
        ck_assert_int_eq(event_seq(&l->v[i]), (long)i);
    ck_assert_uint_eq(ws_session_responses(s), 1);
    /* stored like an HTTP create (store defaults to true) */
    {
        char path[256];
        json_t *got;

        snprintf(path, sizeof(path), "/v1/responses/%s", final_id(l));
        got = call_ok("GET", path, NULL);
        ck_assert_str_eq(json_util_str(got, "status"), RM_STATUS_COMPLETED);
        json_decref(got);
    }
    event_list_unref(l);
    ws_session_free(s);
}
END_TEST

START_TEST(store_false_is_kept_by_the_session)
{
    struct ws_session *s = session(), *other = session();
    struct event_list *first = answer(s, CREATE ",\"store\":false}", RM_EV_COMPLETED), *next;
    char msg[512];
    json_t *err;

    snprintf(msg, sizeof(msg), CREATE ",\"store\":false,\"previous_response_id\":\"%s\"}",
             final_id(first));
    next = answer(s, msg, RM_EV_COMPLETED);
    ck_assert_str_eq(json_util_str(event_list_last_response(next), "previous_response_id"),
                     final_id(first));
    event_list_unref(next);
    next = answer(other, msg, RM_EV_ERROR);
    err = json_object_get(next->v[0].json, "error");
    ck_assert_str_eq(json_util_str(err, "code"), "previous_response_not_found");
    ck_assert_int_eq(json_integer_value(json_object_get(next->v[0].json, "status")), 400);
    event_list_unref(next);
    event_list_unref(first);
    ws_session_free(other);
    ws_session_free(s);
}
END_TEST

START_TEST(generate_false_has_no_output)
{
    struct ws_session *s = session();
    struct event_list *l = answer(s, CREATE ",\"generate\":false}", RM_EV_COMPLETED);
    json_t *final = event_list_last_response(l);
    size_t i;

    ck_assert_int_eq(json_array_size(json_object_get(final, "output")), 0);
    for (i = 0; i < l->n; i++) /* created, in_progress, completed: no item events */
        ck_assert_ptr_null(strstr(event_type(&l->v[i]), "output_item"));
    event_list_unref(l);
    l = answer(s, CREATE ",\"generate\":\"no\"}", RM_EV_ERROR);
    ck_assert_str_eq(json_util_str(json_object_get(l->v[0].json, "error"), "param"),
                     RM_WS_GENERATE);
    event_list_unref(l);
    ws_session_free(s);
}
END_TEST

START_TEST(stream_id_is_kept_for_the_writer)
{
    struct ws_session *s = session();
    struct ws_answer a;
    const char *msg = CREATE ",\"stream_id\":\"lane-1\"}";

    ck_assert_int_eq(ws_session_message(s, msg, strlen(msg), 0, &a), 0);
    ck_assert_str_eq(a.stream_id, "lane-1");
    ck_assert_str_eq(event_type(&a.events->v[a.events->n - 1]), RM_EV_COMPLETED);
    journal_drop(bench_srv->journal, a.journal_entry);
    event_list_unref(a.events);
    ws_session_free(s);
}
END_TEST

START_TEST(other_events_are_refused)
{
    struct ws_session *s = session();
    struct event_list *l;
    struct ws_answer a;

    l = answer(s, "{\"type\":\"response.steer\",\"previous_response_id\":\"resp_1\","
                  "\"input\":\"go on\"}",
               RM_WS_EV_STEER_FAILED);
    ck_assert_str_eq(json_util_str(json_object_get(l->v[0].json, "error"), "code"),
                     RM_WS_STEER_NOT_SUPPORTED);
    event_list_unref(l);
    l = answer(s, "{\"type\":\"session.update\"}", RM_EV_ERROR);
    ck_assert_str_eq(json_util_str(json_object_get(l->v[0].json, "error"), "param"), "type");
    event_list_unref(l);
    l = answer(s, "[1,2]", RM_EV_ERROR);
    event_list_unref(l);
    ck_assert_int_eq(ws_session_message(s, "\x01", 1, 1, &a), 0);
    ck_assert_str_eq(event_type(&a.events->v[0]), RM_EV_ERROR);
    ck_assert_ptr_null(a.journal_entry); /* only a stream's entry is handed back */
    event_list_unref(a.events);
    ck_assert_uint_eq(ws_session_responses(s), 0);
    ws_session_free(s);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_ws");

    add_tcase(s, tcase_create("session"), 60, harness_setup, harness_teardown,
              create_is_the_sse_stream, store_false_is_kept_by_the_session,
              generate_false_has_no_output, stream_id_is_kept_for_the_writer,
              other_events_are_refused);
    return s;
}
