/* Unit tests for server/lifecycle.c (no socket): the background clock with
 * an extreme --speed, the background schedule of an event list, replays
 * (starting_after, pauses, a stored list or one rendered again from the
 * fixture, a running response on its schedule), cancel (not background,
 * terminal, queued, in progress) and the rules of lifecycle_create_begin. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_util.h"
#include "server_harness.h"
#include "stream_assert.h"
#include "test_support.h"
#include "contract.h"
#include "lifecycle.h"
#include "store.h"

START_TEST(tiny_speed_makes_background_terminal)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    char path[128];
    struct rm_reply r;
    json_t *doc;

    harness_restart(1e-300, NULL); /* accepted by --speed (0..1000) */
    doc = call("POST", "/v1/responses",
               "{\"model\":\"gpt-4.1-mini\",\"input\":\"Hello\",\"background\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_util_str(doc, "status"), "queued");
    snprintf(path, sizeof(path), "/v1/responses/%s", json_util_str(doc, "id"));
    json_decref(doc);
    reply_release(&r);
    nanosleep(&ts, NULL);
    /* 20 ms at speed 1e-300 is far past the schedule: the final status. */
    doc = call("GET", path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_util_str(doc, "status"), "completed");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* ---- lifecycle_pace_events ------------------------------------------- */

/* A list of 'n' JSON events with a recognisable delay each. */
static struct event_list *numbered(size_t n)
{
    struct event_list *l = event_list_new();
    size_t i;

    for (i = 0; i < n; i++)
        ck_assert_int_eq(event_list_push_json(l, "e",
                                              json_pack("{s:s, s:I}", "type", "e",
                                                        "sequence_number", (json_int_t)i),
                                              777),
                         0);
    return l;
}

START_TEST(pace_events_schedule)
{
    struct event_list *l = numbered(8);
    unsigned want[8] = {0, 0, 500, 100, 100, 100, 100, 100}, sum = 0;
    size_t i;

    /* first two at 0, in_progress at D/2, the rest evenly up to D, the
     * terminal event at D; the old delays are replaced */
    lifecycle_pace_events(l, 1000);
    for (i = 0; i < 8; i++) {
        ck_assert_msg(l->v[i].delay_ms == want[i], "event %zu: %u, want %u", i, l->v[i].delay_ms,
                      want[i]);
        sum += l->v[i].delay_ms;
    }
    ck_assert_uint_eq(sum, 1000);
    event_list_unref(l);

    /* An odd D: the terminal event still lands on it exactly. */
    l = numbered(6);
    lifecycle_pace_events(l, 1001);
    ck_assert_uint_eq(l->v[0].delay_ms + l->v[1].delay_ms, 0);
    ck_assert_uint_eq(l->v[2].delay_ms, 500);
    for (sum = 0, i = 0; i < 6; i++)
        sum += l->v[i].delay_ms;
    ck_assert_uint_eq(sum, 1001);
    event_list_unref(l);

    /* The smallest background stream: created, queued, in_progress, terminal. */
    l = numbered(4);
    lifecycle_pace_events(l, 300);
    ck_assert_uint_eq(l->v[2].delay_ms, 150);
    ck_assert_uint_eq(l->v[3].delay_ms, 150);
    event_list_unref(l);
    lifecycle_pace_events(NULL, 100); /* accepted */
}
END_TEST

START_TEST(background_stream_is_paced)
{
    struct rm_reply r;
    unsigned sum = 0;
    size_t i;

    /* The shipped default fixture sets no schedule: RM_DEFAULT_BACKGROUND_MS. */
    json_decref(call("POST", "/v1/responses",
                     "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"background\":true,\"stream\":true}",
                     &r));
    ck_assert_ptr_nonnull(r.events);
    ck_assert_str_eq(event_type(&r.events->v[0]), RM_EV_CREATED);
    ck_assert_str_eq(event_type(&r.events->v[1]), RM_EV_QUEUED);
    ck_assert_str_eq(event_type(&r.events->v[2]), RM_EV_IN_PROGRESS);
    ck_assert_uint_eq(r.events->v[0].delay_ms, 0);
    ck_assert_uint_eq(r.events->v[1].delay_ms, 0);
    ck_assert_uint_eq(r.events->v[2].delay_ms, RM_DEFAULT_BACKGROUND_MS / 2);
    for (i = 0; i < r.events->n; i++)
        sum += r.events->v[i].delay_ms;
    ck_assert_uint_eq(sum, RM_DEFAULT_BACKGROUND_MS);
    reply_release(&r);
}
END_TEST

/* ---- lifecycle_replay -------------------------------------------------- */

/* Create a response with 'body' and return its stored entry. */
static void create_stored(const char *body, struct stored *st)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses", body, &r);
    char id[96];

    ck_assert_msg(r.status == 200, "%s -> %d %s", body, r.status, r.body ? r.body : "");
    if (r.events)
        snprintf(id, sizeof(id), "%s",
                 json_util_str(event_list_last_response(r.events), "id"));
    else
        snprintf(id, sizeof(id), "%s", json_util_str(doc, "id"));
    json_decref(doc);
    reply_release(&r);
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, st), 0);
}

START_TEST(replay_a_stored_list)
{
    struct stored st;
    struct event_list *l;
    struct api_error err;
    size_t i;

    /* not plain (metadata): the full render, whose events are stored */
    create_stored("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true,\"metadata\":{}}",
                  &st);
    ck_assert_ptr_nonnull(st.events);
    /* all of it, sharing the stored JSON, no delays */
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->n, st.events->n);
    for (i = 0; i < l->n; i++) {
        ck_assert_ptr_eq(l->v[i].json, st.events->v[i].json);
        ck_assert_uint_eq(l->v[i].delay_ms, 0);
        ck_assert_int_eq(event_seq(&l->v[i]), (long)i);
    }
    event_list_unref(l);
    /* starting_after: only what came after that sequence number */
    l = lifecycle_replay(bench_srv, &st, 3, &err);
    ck_assert_uint_eq(l->n, st.events->n - 4);
    ck_assert_int_eq(event_seq(&l->v[0]), 4);
    ck_assert_ptr_eq(l->v[0].json, st.events->v[4].json);
    event_list_unref(l);
    l = lifecycle_replay(bench_srv, &st, (long)st.events->n - 2, &err);
    ck_assert_uint_eq(l->n, 1);
    ck_assert_str_eq(event_type(&l->v[0]), RM_EV_COMPLETED);
    event_list_unref(l);
    l = lifecycle_replay(bench_srv, &st, 100000, &err);
    ck_assert_uint_eq(l->n, 0);
    event_list_unref(l);
    stored_release(&st);
}
END_TEST

START_TEST(replay_skips_pauses_and_cuts)
{
    struct stored st;
    struct event_list *l;
    struct api_error err;
    size_t i, pauses = 0;

    /* A stall past the end leaves a pause; a drop cuts the connection. */
    {
        struct rm_reply r;
        char id[96];

        json_decref(call_h("POST", "/v1/responses",
                           "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}", NULL,
                           "stall;after_events=1000;stall_ms=700", &r));
        snprintf(id, sizeof(id), "%s", json_util_str(event_list_last_response(r.events), "id"));
        reply_release(&r);
        ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    }
    for (i = 0; i < st.events->n; i++)
        pauses += st.events->v[i].kind == EVENT_PAUSE;
    ck_assert_uint_eq(pauses, 1);
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_uint_eq(l->n, st.events->n - 1);
    for (i = 0; i < l->n; i++) {
        ck_assert_int_ne(l->v[i].kind, EVENT_PAUSE);
        ck_assert_uint_eq(l->v[i].delay_ms, 0);
    }
    event_list_unref(l);
    stored_release(&st);

    {
        struct rm_reply r;
        char id[96];

        json_decref(call_h("POST", "/v1/responses",
                           "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}", NULL,
                           "drop;after_events=1000", &r));
        ck_assert_int_eq(r.events->end_with_error, 1);
        snprintf(id, sizeof(id), "%s", json_util_str(event_list_last_response(r.events), "id"));
        reply_release(&r);
        ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    }
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_int_eq(l->end_with_error, 0); /* a replay is never cut */
    ck_assert_uint_eq(l->abort_after, 0);
    ck_assert_uint_eq(l->n, st.events->n);
    event_list_unref(l);
    stored_release(&st);
}
END_TEST

START_TEST(replay_rendered_again_from_the_fixture)
{
    struct stored st;
    struct event_list *l;
    struct api_error err;
    json_t *final, *item;
    size_t i;

    /* Answered without a stream: nothing stored, the fixture renders it. */
    create_stored("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}", &st);
    ck_assert_ptr_null(st.events);
    ck_assert_str_eq(st.fixture, "default");
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(event_type(&l->v[0]), RM_EV_CREATED);
    ck_assert_str_eq(event_type(&l->v[l->n - 1]), RM_EV_COMPLETED);
    /* of the very Response stored: same id, same item ids, equal body (less
     * "billing", which the real API sends in JSON bodies only) */
    final = event_list_last_response(l);
    ck_assert(response_equals_body(final, st.response));
    ck_assert_str_eq(json_util_str(json_object_get(l->v[0].json, "response"), "id"),
                     json_util_str(st.response, "id"));
    for (i = 0; i < l->n; i++) {
        ck_assert_int_eq(event_seq(&l->v[i]), (long)i);
        item = json_object_get(l->v[i].json, "item");
        if (item)
            ck_assert_str_eq(json_util_str(item, "id"),
                             json_util_str(json_array_get(json_object_get(st.response, "output"), 0),
                                           "id"));
    }
    event_list_unref(l);
    l = lifecycle_replay(bench_srv, &st, 5, &err);
    ck_assert_int_eq(event_seq(&l->v[0]), 6);
    event_list_unref(l);

    /* A fixture's stream fault never happened to a JSON answer: the replay is clean. */
    stored_release(&st);
    create_stored("{\"model\":\"respmock-stream-drop\",\"input\":\"hi\"}", &st);
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_int_eq(l->end_with_error, 0);
    ck_assert_str_eq(event_type(&l->v[l->n - 1]), RM_EV_COMPLETED);
    event_list_unref(l);

    /* Neither stored events nor a response fixture (a transcript answered
     * without a stream, or a fixture that is gone): every stored response is
     * replayed all the same, rendered from the stored Response itself. */
    st.fixture[0] = '\0';
    memset(&err, 0, sizeof(err));
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert(response_equals_body(event_list_last_response(l), st.response));
    event_list_unref(l);
    snprintf(st.fixture, sizeof(st.fixture), "recorded"); /* a transcript fixture */
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(event_type(&l->v[0]), RM_EV_CREATED);
    ck_assert(response_equals_body(event_list_last_response(l), st.response));
    event_list_unref(l);
    stored_release(&st);
}
END_TEST

START_TEST(replay_running_on_its_schedule)
{
    struct stored st;
    struct event_list *l;
    struct api_error err;
    unsigned sum = 0;
    size_t i;

    create_stored("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"background\":true}", &st);
    ck_assert_int_eq(st.live, 1);
    ck_assert_uint_eq(st.duration_ms, RM_DEFAULT_BACKGROUND_MS);
    /* Started just now: what is due comes at once, the rest when it falls due. */
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    ck_assert_str_eq(event_type(&l->v[1]), RM_EV_QUEUED);
    ck_assert_uint_eq(l->v[0].delay_ms, 0);
    ck_assert_uint_eq(l->v[1].delay_ms, 0);
    ck_assert_uint_gt(l->v[2].delay_ms, RM_DEFAULT_BACKGROUND_MS / 2 - 500);
    ck_assert_uint_le(l->v[2].delay_ms, RM_DEFAULT_BACKGROUND_MS / 2);
    for (i = 0; i < l->n; i++)
        sum += l->v[i].delay_ms;
    ck_assert_uint_gt(sum, RM_DEFAULT_BACKGROUND_MS - 500);
    ck_assert_uint_le(sum, RM_DEFAULT_BACKGROUND_MS);
    event_list_unref(l);
    /* Settled (not live): at once. */
    st.live = 0;
    l = lifecycle_replay(bench_srv, &st, -1, &err);
    for (i = 0; i < l->n; i++)
        ck_assert_uint_eq(l->v[i].delay_ms, 0);
    event_list_unref(l);
    stored_release(&st);
}
END_TEST

/* ---- lifecycle_cancel -------------------------------------------------- */

#define BG_FIXTURES                                                                              \
    "[{'name':'bg-two','match':{'model':'bg-two'},'response':{'background_ms':100000,"         \
    "  'output':[{'type':'reasoning','text':'Thinking it over slowly.'},"                       \
    "            {'type':'message','text':'A slow background answer.'}]}},"                      \
    " {'name':'bg-quick','match':{'model':'bg-quick'},'response':{'background_ms':20,"         \
    "  'output':[{'type':'message','text':'Quick.'}]}},"                                         \
    " {'name':'plain','response':{'output':[{'type':'message','text':'Plain.'}]}}]"

static char *bg_dir;

static void bg_setup(void)
{
    bg_dir = harness_fixture_dir(BG_FIXTURES);
    bench_srv = harness_server(1.0, bg_dir);
}

static void bg_teardown(void)
{
    harness_teardown();
    harness_remove_fixture_dir(bg_dir);
    bg_dir = NULL;
}

/* Index of the first event of 'type' in 'l', or -1. */
static long find_type(const struct event_list *l, const char *type)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (event_type(&l->v[i]) && strcmp(event_type(&l->v[i]), type) == 0)
            return (long)i;
    return -1;
}

/* Create a background response of 'model'; its id into 'id'. */
static void create_bg(const char *model, char *id, size_t id_len)
{
    char body[160];
    json_t *doc;

    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hi\",\"background\":true}", model);
    doc = call_ok("POST", "/v1/responses", body);
    ck_assert_str_eq(json_util_str(doc, "status"), "queued");
    snprintf(id, id_len, "%s", json_util_str(doc, "id"));
    json_decref(doc);
}

/* Move the start of stored response 'id' 'ms' into the past, as if it had
 * been running that long. */
static void backdate(const char *id, int64_t ms)
{
    struct stored st;

    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    st.start_ms -= ms;
    ck_assert_int_eq(store_put(bench_srv->store, &st, NULL, 0), 0);
}

static const char *status_of(const char *id)
{
    static char out[32];
    json_t *doc = call_ok("GET", pathf("/v1/responses/%s", id), NULL);

    snprintf(out, sizeof(out), "%s", json_util_str(doc, "status"));
    json_decref(doc);
    return out;
}

START_TEST(cancel_needs_background)
{
    struct api_error err;
    json_t *doc = call_ok("POST", "/v1/responses", "{\"model\":\"x\",\"input\":\"hi\"}");
    char id[96];

    snprintf(id, sizeof(id), "%s", json_util_str(doc, "id"));
    json_decref(doc);
    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(lifecycle_cancel(bench_srv, id, &err));
    ck_assert_int_eq(err.status, 400);
    ck_assert_ptr_null(err.code);
    ck_assert_str_eq(err.param, "");
    ck_assert_str_eq(status_of(id), "completed");
    /* the route answers the same */
    call_fails("POST", pathf("/v1/responses/%s/cancel", id), NULL, 400, NULL, NULL);
    /* unknown: 404 */
    ck_assert_ptr_null(lifecycle_cancel(bench_srv, "resp_nope", &err));
    ck_assert_int_eq(err.status, 404);
    call_fails("POST", "/v1/responses/resp_nope/cancel", NULL, 404, NULL, NULL);
}
END_TEST

START_TEST(cancel_terminal_is_unchanged)
{
    struct api_error err;
    struct stored st;
    json_t *c, *again;
    char id[96];

    create_bg("bg-quick", id, sizeof(id));
    backdate(id, 1000); /* far past its 20 ms */
    ck_assert_str_eq(status_of(id), "completed");
    c = lifecycle_cancel(bench_srv, id, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(json_util_str(c, "status"), "completed");
    ck_assert(json_is_object(json_object_get(c, "usage")));
    ck_assert_uint_eq(json_array_size(json_object_get(c, "output")), 1);
    /* the store still holds the completed response, unsettled */
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    ck_assert(json_equal(st.response, c));
    stored_release(&st);
    json_decref(c);

    /* A cancelled one is terminal too: a second cancel answers the same. */
    create_bg("bg-two", id, sizeof(id));
    c = lifecycle_cancel(bench_srv, id, &err);
    ck_assert_str_eq(json_util_str(c, "status"), "cancelled");
    again = lifecycle_cancel(bench_srv, id, &err);
    ck_assert(json_equal(again, c));
    json_decref(again);
    json_decref(c);
}
END_TEST

START_TEST(cancel_running)
{
    struct api_error err;
    struct stored st;
    json_t *c, *view, *final;
    char id[96];

    /* Queued (before D/2): cancelled with no output. */
    create_bg("bg-two", id, sizeof(id));
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    final = json_incref(st.response);
    stored_release(&st);
    c = lifecycle_cancel(bench_srv, id, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(json_util_str(c, "status"), "cancelled");
    ck_assert_uint_eq(json_array_size(json_object_get(c, "output")), 0);
    ck_assert(json_is_null(json_object_get(c, "usage")));
    ck_assert(json_is_null(json_object_get(c, "completed_at")));
    ck_assert_str_eq(json_util_str(c, "id"), id);
    /* settled: it stays cancelled, whatever the clock says */
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    ck_assert_int_eq(st.live, 0);
    ck_assert(json_equal(st.response, c));
    stored_release(&st);
    backdate(id, 200000);
    ck_assert_str_eq(status_of(id), "cancelled");
    json_decref(c);
    json_decref(final);

    /* In progress, 75% through: the reasoning item is done (at about 74%),
     * the message is not (at about 97%). */
    create_bg("bg-two", id, sizeof(id));
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    final = json_incref(st.response);
    stored_release(&st);
    backdate(id, 76000);
    view = call_ok("GET", pathf("/v1/responses/%s", id), NULL);
    ck_assert_str_eq(json_util_str(view, "status"), "in_progress");
    c = lifecycle_cancel(bench_srv, id, &err);
    ck_assert_str_eq(json_util_str(c, "status"), "cancelled");
    ck_assert_uint_eq(json_array_size(json_object_get(c, "output")), 1);
    ck_assert(json_equal(json_array_get(json_object_get(c, "output"), 0),
                         json_array_get(json_object_get(final, "output"), 0)));
    ck_assert(json_equal(json_object_get(c, "output"), json_object_get(view, "output")));
    json_decref(view);
    /* Its replay stops where it was cancelled. */
    ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
    ck_assert_ptr_nonnull(st.events);
    {
        struct event_list *l = lifecycle_replay(bench_srv, &st, -1, &err);
        const char *last = event_type(&l->v[l->n - 1]);

        ck_assert_int_eq(contract_event_is_terminal(last), 0);
        ck_assert_int_ge(find_type(l, RM_EV_ITEM_DONE), 0);
        ck_assert_int_eq(find_type(l, RM_EV_COMPLETED), -1);
        event_list_unref(l);
    }
    stored_release(&st);
    json_decref(c);
    json_decref(final);

    /* Nearly done: both items. */
    create_bg("bg-two", id, sizeof(id));
    backdate(id, 99000);
    c = lifecycle_cancel(bench_srv, id, &err);
    ck_assert_str_eq(json_util_str(c, "status"), "cancelled");
    ck_assert_uint_eq(json_array_size(json_object_get(c, "output")), 2);
    json_decref(c);
}
END_TEST

/* A background stream that a fault failed is stored as the failed response
 * the client saw, like any other stream: GET at the end of the schedule and
 * the replay agree with the stream (regression: it was stored "completed"). */
START_TEST(background_stream_fault_is_stored_failed)
{
    static const struct {
        const char *fault, *code;
    } cases[] = {
        {"failed;after_events=3", "server_error"},
        {"error;after_events=3", "server_error"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rm_reply r;
        struct stored st;
        struct api_error err;
        struct event_list *l;
        json_t *got, *last;
        char id[96];

        json_decref(call_h("POST", "/v1/responses",
                           "{\"model\":\"plain\",\"input\":\"hi\",\"background\":true,"
                           "\"stream\":true}",
                           NULL, cases[i].fault, &r));
        ck_assert_ptr_nonnull(r.events);
        snprintf(id, sizeof(id), "%s",
                 json_util_str(json_object_get(r.events->v[0].json, "response"), "id"));
        reply_release(&r);
        backdate(id, 200000); /* past the schedule */
        got = call_ok("GET", pathf("/v1/responses/%s", id), NULL);
        ck_assert_msg(strcmp(json_util_str(got, "status"), "failed") == 0, "%s: stored %s",
                      cases[i].fault, json_util_str(got, "status"));
        ck_assert_str_eq(json_util_str(json_object_get(got, "error"), "code"), cases[i].code);
        ck_assert(json_is_null(json_object_get(got, "usage")));
        ck_assert(json_is_true(json_object_get(got, "background")));
        /* the replay ends as the stream did, on this very response when it carries one */
        ck_assert_int_eq(store_get(bench_srv->store, id, STORED_ALL, &st), 0);
        l = lifecycle_replay(bench_srv, &st, -1, &err);
        last = event_list_last_response(l);
        if (strncmp(cases[i].fault, "failed", 6) == 0)
            ck_assert(json_equal(last, got));
        else
            ck_assert_str_eq(event_type(&l->v[l->n - 1]), RM_EV_ERROR);
        event_list_unref(l);
        stored_release(&st);
        json_decref(got);
    }
    /* A transport fault does not change what the server finished. */
    {
        struct rm_reply r;
        json_t *got;
        char id[96];

        json_decref(call_h("POST", "/v1/responses",
                           "{\"model\":\"plain\",\"input\":\"hi\",\"background\":true,"
                           "\"stream\":true}",
                           NULL, "drop;after_events=3", &r));
        snprintf(id, sizeof(id), "%s",
                 json_util_str(json_object_get(r.events->v[0].json, "response"), "id"));
        reply_release(&r);
        backdate(id, 200000);
        got = call_ok("GET", pathf("/v1/responses/%s", id), NULL);
        ck_assert_str_eq(json_util_str(got, "status"), "completed");
        json_decref(got);
    }
}
END_TEST

/* ---- lifecycle_create_begin ------------------------------------------- */

/* Request bodies of the running test, kept until its end (lc->prev_id
 * points into them). */
static json_t *kept;

static void begin_setup(void)
{
    harness_setup();
    kept = json_array();
}

static void begin_teardown(void)
{
    json_decref(kept);
    kept = NULL;
    harness_teardown();
}

/* lifecycle_create_begin on 'body_text' (' for "); 'answered' NULL counts
 * tokens (the background and pending-call rules are skipped). */
static int begin(const char *body_text, const char *answered_text, struct lifecycle_create *lc,
                 struct api_error *err)
{
    json_t *body = jload(body_text), *answered = answered_text ? jload(answered_text) : NULL;
    int rc;

    memset(err, 0, sizeof(*err));
    rc = lifecycle_create_begin(bench_srv, body, answered, lc, err);
    json_array_append_new(kept, body);
    json_decref(answered);
    return rc;
}

START_TEST(create_begin_rules)
{
    struct lifecycle_create lc;
    struct api_error err;
    json_t *first;
    char body[512];

    /* Defaults. */
    ck_assert_int_eq(begin("{'model':'m','input':'x'}", "[]", &lc, &err), 0);
    ck_assert_int_eq(lc.store, 1);
    ck_assert_int_eq(lc.background, 0);
    ck_assert_ptr_null(lc.prev_id);
    ck_assert_str_eq(lc.conversation, "");
    ck_assert_int_eq(lc.turn, 1);
    ck_assert_uint_eq(lc.prefix.items, 0);
    ck_assert_uint_eq(lc.prefix.bytes, 0);
    ck_assert_int_le(lc.start_ms, server_now_ms());
    lifecycle_create_release(&lc);

    /* previous_response_id not found */
    ck_assert_int_eq(begin("{'model':'m','input':'x','previous_response_id':'resp_nope'}", "[]",
                           &lc, &err),
                     -1);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "previous_response_not_found");
    ck_assert_str_eq(err.param, "previous_response_id");
    lifecycle_create_release(&lc);

    /* previous_response_id with conversation */
    ck_assert_int_eq(begin("{'model':'m','input':'x','previous_response_id':'resp_nope',"
                           "'conversation':'conv_nope'}",
                           "[]", &lc, &err),
                     -1);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.param, "previous_response_id");
    ck_assert_ptr_nonnull(strstr(err.message, "'conversation'"));
    lifecycle_create_release(&lc);
    ck_assert_int_eq(begin("{'model':'m','input':'x','previous_response_id':'resp_nope',"
                           "'conversation':{'id':'conv_nope'}}",
                           "[]", &lc, &err),
                     -1);
    ck_assert_str_eq(err.param, "previous_response_id");
    lifecycle_create_release(&lc);

    /* background with store:false; not a rule when counting tokens */
    ck_assert_int_eq(begin("{'model':'m','input':'x','background':true,'store':false}", "[]", &lc,
                           &err),
                     -1);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "invalid_value");
    ck_assert_str_eq(err.param, "background");
    lifecycle_create_release(&lc);
    ck_assert_int_eq(begin("{'model':'m','input':'x','background':true,'store':false}", NULL, &lc,
                           &err),
                     0);
    lifecycle_create_release(&lc);
    ck_assert_int_eq(begin("{'model':'m','input':'x','background':true}", "[]", &lc, &err), 0);
    ck_assert_int_eq(lc.background, 1);
    lifecycle_create_release(&lc);

    /* unknown conversation: 404, param conversation */
    ck_assert_int_eq(begin("{'model':'m','input':'x','conversation':'conv_nope'}", "[]", &lc,
                           &err),
                     -1);
    ck_assert_int_eq(err.status, 404);
    ck_assert_str_eq(err.param, "conversation");
    lifecycle_create_release(&lc);

    /* a chain: the previous context and output come first, the turn counts */
    first = call_ok("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"one\"}");
    snprintf(body, sizeof(body), "{'model':'m','input':'two','previous_response_id':'%s'}",
             json_util_str(first, "id"));
    ck_assert_int_eq(begin(body, "[]", &lc, &err), 0);
    ck_assert_str_eq(lc.prev_id, json_util_str(first, "id"));
    ck_assert_int_eq(lc.turn, 2);
    /* input "one", then the answer, counted as their text */
    ck_assert_uint_eq(lc.prefix.items, 2);
    ck_assert_uint_eq(lc.prefix.pieces, 2);
    ck_assert_uint_eq(lc.prefix.bytes,
                      3 + strlen(json_util_str(json_array_get(json_object_get(json_array_get(
                                                                  json_object_get(first, "output"),
                                                                  0),
                                                              "content"),
                                                              0),
                                               "text")));
    lifecycle_create_release(&lc);
    json_decref(first);

    /* a store:false response cannot be chained on */
    first = call_ok("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"one\",\"store\":false}");
    snprintf(body, sizeof(body), "{'model':'m','input':'two','previous_response_id':'%s'}",
             json_util_str(first, "id"));
    ck_assert_int_eq(begin(body, "[]", &lc, &err), -1);
    ck_assert_str_eq(err.code, "previous_response_not_found");
    lifecycle_create_release(&lc);
    json_decref(first);
}
END_TEST

START_TEST(create_begin_pending_calls_and_size)
{
    struct lifecycle_create lc;
    struct api_error err;
    json_t *first, *big;
    char body[512];
    const char *call_id;
    size_t i;

    first = call_ok("POST", "/v1/responses",
                    "{\"model\":\"m\",\"input\":\"weather?\",\"tools\":[{\"type\":\"function\","
                    "\"name\":\"get_weather\",\"parameters\":{}}]}");
    call_id = json_util_str(json_array_get(json_object_get(first, "output"), 0), "call_id");
    ck_assert_ptr_nonnull(call_id);
    snprintf(body, sizeof(body), "{'model':'m','input':'two','previous_response_id':'%s'}",
             json_util_str(first, "id"));
    /* The call left unanswered: 400, param input. */
    ck_assert_int_eq(begin(body, "['call_other']", &lc, &err), -1);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.param, "input");
    ck_assert_ptr_nonnull(strstr(err.message, call_id));
    lifecycle_create_release(&lc);
    /* Answered: fine; counting tokens does not ask. */
    {
        char answered[128];
        snprintf(answered, sizeof(answered), "['%s']", call_id);
        ck_assert_int_eq(begin(body, answered, &lc, &err), 0);
        lifecycle_create_release(&lc);
    }
    ck_assert_int_eq(begin(body, NULL, &lc, &err), 0);
    lifecycle_create_release(&lc);
    json_decref(first);

    /* More than RM_MAX_CONTEXT_ITEMS items: context_length_exceeded. */
    big = json_pack("{s:s, s:[]}", "model", "m", "input");
    for (i = 0; i <= RM_MAX_CONTEXT_ITEMS; i++)
        json_array_append_new(json_object_get(big, "input"), json_string("x"));
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(lifecycle_create_begin(bench_srv, big, NULL, &lc, &err), -1);
    ck_assert_str_eq(err.code, "context_length_exceeded");
    ck_assert_str_eq(err.param, "input");
    lifecycle_create_release(&lc);
    json_array_remove(json_object_get(big, "input"), 0);
    ck_assert_int_eq(lifecycle_create_begin(bench_srv, big, NULL, &lc, &err), 0);
    lifecycle_create_release(&lc);
    json_decref(big);
}
END_TEST

/* ---- A long chain within --max-stored-bytes ---------------------------- */

#define CHAIN_TURNS 200
#define CHAIN_INPUT (256 * 1024)
#define CHAIN_BUDGET (8u * 1024 * 1024)

/* Issue 14: with an 8 MiB budget, a chain of 256 KiB inputs kept ~31
 * entries while RSS grew with every turn: the evicted turns' inputs lived
 * on in the newest entry's context, uncounted. The context is a tally now:
 * old turns are really gone (404, memory back) yet still counted in the
 * usage of the newest turn. RSS is checked only without the sanitizers. */
START_TEST(long_chain_stays_within_budget)
{
    char *body = malloc(CHAIN_INPUT + 256), *text = malloc(CHAIN_INPUT + 1);
    char prev[96] = "", first[96] = "";
    long before, after, tokens = 0;
    int turn;

    store_free(bench_srv->store);
    bench_srv->store = store_new(1000, CHAIN_BUDGET);
    memset(text, 'x', CHAIN_INPUT);
    text[CHAIN_INPUT] = '\0';
    before = test_rss_kib();
    for (turn = 1; turn <= CHAIN_TURNS; turn++) {
        json_t *doc;
        long t;

        if (prev[0])
            snprintf(body, CHAIN_INPUT + 256,
                     "{\"model\":\"gpt-4.1-mini\",\"input\":\"%s\",\"previous_response_id\":\"%s\"}",
                     text, prev);
        else
            snprintf(body, CHAIN_INPUT + 256, "{\"model\":\"gpt-4.1-mini\",\"input\":\"%s\"}",
                     text);
        doc = call_ok("POST", "/v1/responses", body);
        snprintf(prev, sizeof(prev), "%s", json_util_str(doc, "id"));
        if (turn == 1)
            snprintf(first, sizeof(first), "%s", prev);
        t = (long)json_integer_value(
            json_object_get(json_object_get(doc, "usage"), "input_tokens"));
        /* Every earlier turn is counted, evicted or not. */
        ck_assert_int_ge(t, tokens + CHAIN_INPUT / 4);
        tokens = t;
        json_decref(doc);
    }
    after = test_rss_kib();
    ck_assert_uint_le(store_bytes(bench_srv->store), CHAIN_BUDGET);
    ck_assert_uint_lt(store_count(bench_srv->store), 40);
    call_fails("GET", pathf("/v1/responses/%s", first), NULL, 404, NULL, NULL);
    ck_assert_int_ge(tokens, (long)CHAIN_TURNS * (CHAIN_INPUT / 4));
    if (!test_sanitized())
        ck_assert_msg((after - before) * 1024.0 < 1.2 * CHAIN_BUDGET + 16.0 * 1024 * 1024,
                      "RSS grew %ld KiB over %d turns", after - before, CHAIN_TURNS);
    free(body);
    free(text);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("lifecycle");

    add_tcase(s, tcase_create("background_speed"), 60, harness_setup, harness_teardown,
              tiny_speed_makes_background_terminal);
    add_tcase(s, tcase_create("pace_events"), 30, harness_setup, harness_teardown,
              pace_events_schedule, background_stream_is_paced);
    add_tcase(s, tcase_create("replay"), 30, harness_setup, harness_teardown,
              replay_a_stored_list, replay_skips_pauses_and_cuts,
              replay_rendered_again_from_the_fixture, replay_running_on_its_schedule);
    add_tcase(s, tcase_create("cancel"), 30, bg_setup, bg_teardown, cancel_needs_background,
              cancel_terminal_is_unchanged, cancel_running);
    add_tcase(s, tcase_create("background_store"), 30, bg_setup, bg_teardown,
              background_stream_fault_is_stored_failed);
    add_tcase(s, tcase_create("create_begin"), 30, begin_setup, begin_teardown,
              create_begin_rules, create_begin_pending_calls_and_size);
    add_tcase(s, tcase_create("chain_memory"), 120, harness_setup, harness_teardown,
              long_chain_stays_within_budget);
    return s;
}
