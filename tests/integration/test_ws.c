/* WebSocket mode on /v1/responses against a spawned respmock, through the
 * wslay test client (tests/support/ws_client.h): several creates on one
 * connection with the events of the SSE stream, store:false chaining for
 * the connection's life, generate:false, error events, steer, faults mid
 * stream, oversize messages, ping/pong, close (also ahead of a stalled
 * answer), a client that vanishes, the journal, auth and --no-websocket. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "../../server/limits.h"
#include "sse.h"
#include "test_support.h"
#include "ws_client.h"

#define WAIT_MS 20000
#define CREATE "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}"

static void start_with(const char *const *extra)
{
    struct test_server_opts o = {.extra = extra};

    srv_start(&o);
}

static void start_default(void)
{
    static const char *const extra[] = {"--speed", "0", NULL};

    start_with(extra);
}

static struct ws_client *open_ws(const char *const *headers)
{
    int status = 0;
    char *head = NULL, *p;
    struct ws_client *c = ws_client_connect(test_srv.port, headers, &status, &head);

    ck_assert_msg(c, "no WebSocket (HTTP %d)", status);
    ck_assert_ptr_nonnull(head);
    for (p = head; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ck_assert_msg(!strstr(head, "\ncontent-type:"), "a 101 has no body to type: %s", head);
    free(head);
    return c;
}

/* One create's events; the last one must be 'end_type'. */
static json_t *create(struct ws_client *c, const char *msg, const char *end_type)
{
    json_t *evs;
    int last = 0;

    ck_assert_int_eq(ws_client_send_text(c, msg), 0);
    evs = ws_client_read_until_end(c, WAIT_MS, &last);
    ck_assert_msg(evs, "no end of stream (last kind %d)", last);
    ck_assert_str_eq(jstr(json_array_get(evs, json_array_size(evs) - 1), "type"), end_type);
    return evs;
}

static const char *resp_id(const json_t *evs)
{
    return jstr(json_object_get(json_array_get(evs, json_array_size(evs) - 1), "response"), "id");
}

/* ---- several creates, the SSE stream's events ---------------------------- */

struct sse_types {
    json_t *types;
    json_t *events; /* the parsed data of each event */
};

static int collect_type(const struct sse_event *ev, void *user)
{
    struct sse_types *t = user;
    json_t *doc = json_loadb(ev->data, ev->data_len, 0, NULL);

    json_array_append_new(t->types, json_string(jstr(doc, "type")));
    json_array_append_new(t->events, doc);
    return 0;
}

/* What differs between two renderings of one answer: fresh ids, clocks and
 * obfuscation pads. Blanked in place, so the rest must be equal. */
static void blank_fresh(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_array(v))
        json_array_foreach(v, i, x) blank_fresh(x);
    if (!json_is_object(v))
        return;
    json_object_del(v, "obfuscation");
    json_object_foreach(v, k, x) {
        if (!strcmp(k, "id") || !strcmp(k, "item_id") || !strcmp(k, "created_at") ||
            !strcmp(k, "completed_at"))
            json_object_set_new(v, k, json_string("*"));
        else
            blank_fresh(x);
    }
}

START_TEST(several_creates_match_sse)
{
    struct ws_client *c = open_ws(NULL);
    struct http_result r;
    struct sse_parser p;
    struct sse_types t = {json_array(), json_array()};
    json_t *evs[3];
    size_t i, k;

    for (k = 0; k < 3; k++) {
        evs[k] = create(c, CREATE, RM_EV_COMPLETED);
        ck_assert_str_eq(jstr(json_array_get(evs[k], 0), "type"), RM_EV_CREATED);
        for (i = 0; i < json_array_size(evs[k]); i++)
            ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(evs[k], i),
                                                                "sequence_number")),
                             (json_int_t)i);
    }
    ck_assert_str_ne(resp_id(evs[0]), resp_id(evs[1]));
    ck_assert_str_ne(resp_id(evs[1]), resp_id(evs[2]));
    /* the same request over HTTP streams the same events in the same order */
    json_decref(srv_request("POST", "/v1/responses",
                            "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}", NULL,
                            &r));
    ck_assert_int_eq(r.status, 200);
    sse_parser_init(&p, 1 << 24);
    sse_parser_feed(&p, r.body, r.body_len, collect_type, &t);
    sse_parser_release(&p);
    http_result_free(&r);
    ck_assert_int_eq(json_array_size(t.types), json_array_size(evs[0]));
    for (i = 0; i < json_array_size(evs[0]); i++) {
        json_t *ws = json_deep_copy(json_array_get(evs[0], i));
        json_t *sse = json_deep_copy(json_array_get(t.events, i));
        char *a, *b;

        ck_assert_str_eq(json_string_value(json_array_get(t.types, i)), jstr(ws, "type"));
        /* the same JSON object, but for fresh ids, clocks and pads */
        blank_fresh(ws);
        blank_fresh(sse);
        a = json_dumps(ws, JSON_SORT_KEYS);
        b = json_dumps(sse, JSON_SORT_KEYS);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        json_decref(ws);
        json_decref(sse);
    }
    /* the stored response is the one the socket streamed */
    {
        char path[256];
        long status;
        json_t *got;

        snprintf(path, sizeof(path), "/v1/responses/%s", resp_id(evs[2]));
        got = srv_call("GET", path, NULL, &status);
        ck_assert_int_eq(status, 200);
        ck_assert_str_eq(jstr(got, "status"), RM_STATUS_COMPLETED);
        json_decref(got);
    }
    for (k = 0; k < 3; k++)
        json_decref(evs[k]);
    json_decref(t.types);
    json_decref(t.events);
    ck_assert_int_eq(ws_client_close(c, 1000, WAIT_MS), 1000);
    ws_client_free(c);
}
END_TEST

/* ---- chaining ------------------------------------------------------------ */

START_TEST(store_false_chains_on_its_connection_only)
{
    struct ws_client *c = open_ws(NULL), *other;
    char msg[512], path[256];
    json_t *first, *second, *err;
    long status;

    first = create(c, "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\","
                      "\"store\":false}",
                   RM_EV_COMPLETED);
    snprintf(msg, sizeof(msg),
             "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"again\","
             "\"store\":false,\"previous_response_id\":\"%s\"}",
             resp_id(first));
    second = create(c, msg, RM_EV_COMPLETED);
    ck_assert_str_eq(jstr(json_object_get(json_array_get(second, json_array_size(second) - 1),
                                          "response"),
                          "previous_response_id"),
                     resp_id(first));
    /* not stored: HTTP does not find it, nor does another connection */
    snprintf(path, sizeof(path), "/v1/responses/%s", resp_id(first));
    json_decref(srv_call("GET", path, NULL, &status));
    ck_assert_int_eq(status, 404);
    other = open_ws(NULL);
    err = create(other, msg, RM_EV_ERROR);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(err, 0), "status")), 400);
    ck_assert_str_eq(jstr(json_object_get(json_array_get(err, 0), "error"), "code"),
                     "previous_response_not_found");
    ck_assert_str_eq(jstr(json_object_get(json_array_get(err, 0), "error"), "param"),
                     "previous_response_id");
    json_decref(err);
    json_decref(first);
    json_decref(second);
    ws_client_free(other);
    ws_client_free(c);
}
END_TEST

START_TEST(generate_false_warms_up)
{
    struct ws_client *c = open_ws(NULL);
    char msg[512];
    json_t *warm, *turn, *final;

    warm = create(c, "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\","
                     "\"store\":false,\"generate\":false}",
                  RM_EV_COMPLETED);
    final = json_object_get(json_array_get(warm, json_array_size(warm) - 1), "response");
    ck_assert_int_eq(json_array_size(json_object_get(final, "output")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(final, "usage"),
                                                        "output_tokens")),
                     0);
    snprintf(msg, sizeof(msg),
             "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":[],"
             "\"store\":false,\"previous_response_id\":\"%s\"}",
             resp_id(warm));
    turn = create(c, msg, RM_EV_COMPLETED);
    final = json_object_get(json_array_get(turn, json_array_size(turn) - 1), "response");
    ck_assert_int_gt(json_array_size(json_object_get(final, "output")), 0);
    json_decref(warm);
    json_decref(turn);
    ws_client_free(c);
}
END_TEST

/* ---- errors and other client events ------------------------------------- */

static void expect_error(struct ws_client *c, const char *msg, const char *code,
                         const char *param)
{
    json_t *evs = create(c, msg, RM_EV_ERROR), *e = json_array_get(evs, 0);
    json_t *error = json_object_get(e, "error");

    ck_assert_int_eq(json_array_size(evs), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "status")), 400);
    ck_assert_str_eq(jstr(error, "type"), RM_ERRTYPE_INVALID_REQUEST);
    ck_assert_ptr_nonnull(jstr(error, "message"));
    if (code)
        ck_assert_str_eq(jstr(error, "code"), code);
    else
        ck_assert(json_is_null(json_object_get(error, "code")));
    if (param)
        ck_assert_str_eq(jstr(error, "param"), param);
    json_decref(evs);
}

START_TEST(bad_client_events_get_error_events)
{
    struct ws_client *c = open_ws(NULL);
    json_t *evs;

    expect_error(c, "{\"type\":\"response.cancel\"}", "invalid_value", "type");
    expect_error(c, "{\"model\":\"gpt-4.1-mini\"}", "missing_required_parameter", "type");
    expect_error(c, "{not json", NULL, NULL);
    expect_error(c, "{\"type\":\"response.create\",\"input\":\"hi\"}",
                 "missing_required_parameter", "model");
    expect_error(c, "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\","
                    "\"background\":true}",
                 "invalid_value", "background");
    expect_error(c, "{\"type\":\"response.create\",\"model\":\"gpt-4.1-mini\",\"input\":\"hi\","
                    "\"temperature\":\"hot\"}",
                 "invalid_type", "temperature");
    ck_assert_int_eq(ws_client_send(c, 2, "\x01\x02", 2), 0); /* binary */
    evs = ws_client_read_until_end(c, WAIT_MS, NULL);
    ck_assert_ptr_nonnull(evs);
    ck_assert_str_eq(jstr(json_array_get(evs, 0), "type"), RM_EV_ERROR);
    json_decref(evs);
    /* the connection still answers */
    json_decref(create(c, CREATE, RM_EV_COMPLETED));
    ws_client_free(c);
}
END_TEST

/* An error fixture's status and error object; a bad x-respmock-fixture on
 * the upgrade makes every create an error event. */
START_TEST(error_fixtures_and_fixture_header)
{
    static const char *const h[] = {"x-respmock-fixture: no-such-fixture", NULL};
    struct ws_client *c = open_ws(NULL);
    json_t *evs = create(c, "{\"type\":\"response.create\",\"model\":\"respmock-error-429\","
                            "\"input\":\"hi\"}",
                         RM_EV_ERROR);
    json_t *e = json_array_get(evs, 0);

    ck_assert_int_eq(json_integer_value(json_object_get(e, "status")), 429);
    ck_assert_str_eq(jstr(json_object_get(e, "error"), "code"), "rate_limit_exceeded");
    json_decref(evs);
    ws_client_free(c);
    c = open_ws(h);
    evs = create(c, CREATE, RM_EV_ERROR);
    ck_assert_str_eq(jstr(json_object_get(json_array_get(evs, 0), "error"), "code"),
                     "unknown_fixture");
    json_decref(evs);
    ws_client_free(c);
}
END_TEST

/* A frame a client must never send (unmasked) is a protocol error: 1002. */
START_TEST(unmasked_frame_closes_1002)
{
    struct ws_client *c = open_ws(NULL);
    int code = 0;

    ck_assert_int_eq(ws_client_send_bytes(c, "\x81\x02hi", 4), 0);
    ck_assert_int_eq(ws_client_recv(c, WAIT_MS, NULL, NULL, &code), WS_MSG_CLOSE);
    ck_assert_int_eq(code, 1002);
    ws_client_free(c);
}
END_TEST

START_TEST(steer_is_refused)
{
    struct ws_client *c = open_ws(NULL);
    char *data = NULL;
    json_t *ev, *err;

    ck_assert_int_eq(ws_client_send_text(c, "{\"type\":\"response.steer\",\"previous_response_id\":"
                                            "\"resp_x\",\"input\":\"faster\"}"),
                     0);
    ck_assert_int_eq(ws_client_recv(c, WAIT_MS, &data, NULL, NULL), WS_MSG_TEXT);
    ev = json_loads(data, 0, NULL);
    free(data);
    ck_assert_str_eq(jstr(ev, "type"), RM_WS_EV_STEER_FAILED);
    err = json_object_get(ev, "error");
    ck_assert_str_eq(jstr(err, "code"), RM_WS_STEER_NOT_SUPPORTED);
    ck_assert_str_eq(jstr(err, "type"), RM_ERRTYPE_INVALID_REQUEST);
    ck_assert_str_eq(jstr(json_object_get(ev, "steer"), "input"), "faster");
    json_decref(ev);
    ws_client_free(c);
}
END_TEST

/* ---- faults and pacing ---------------------------------------------------- */

START_TEST(drop_fault_cuts_mid_stream)
{
    static const char *const h[] = {"x-respmock-fault: drop;after_events=3", NULL};
    struct ws_client *c = open_ws(h);
    int n = 0, kind;
    char *data;

    ck_assert_int_eq(ws_client_send_text(c, CREATE), 0);
    while ((kind = ws_client_recv(c, WAIT_MS, &data, NULL, NULL)) == WS_MSG_TEXT) {
        n++;
        free(data);
    }
    ck_assert_int_eq(kind, WS_MSG_EOF); /* cut: no close frame */
    ck_assert_int_eq(n, 3);
    ws_client_free(c);
    /* the server goes on */
    c = open_ws(NULL);
    json_decref(create(c, CREATE, RM_EV_COMPLETED));
    ws_client_free(c);
}
END_TEST

START_TEST(error_fault_ends_with_error_event)
{
    static const char *const h[] = {"x-respmock-fault: error;after_events=2", NULL};
    struct ws_client *c = open_ws(h);
    json_t *evs = create(c, CREATE, RM_EV_ERROR);

    ck_assert_int_eq(json_array_size(evs), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(evs, 2),
                                                        "sequence_number")),
                     2);
    json_decref(evs);
    json_decref(create(c, CREATE, RM_EV_ERROR)); /* every response of the connection */
    ws_client_free(c);
}
END_TEST

/* A stalled stream parks no thread: with one worker, a second connection
 * is answered whole while the first is stalled. */
START_TEST(stall_parks_no_thread)
{
    static const char *const h[] = {"x-respmock-fault: stall;after_events=2;stall_ms=60000",
                                    NULL};
    struct ws_client *slow = open_ws(h), *fast;
    char *data;
    int i;

    ck_assert_int_eq(ws_client_send_text(slow, CREATE), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(ws_client_recv(slow, WAIT_MS, &data, NULL, NULL), WS_MSG_TEXT);
        free(data);
    }
    fast = open_ws(NULL);
    json_decref(create(fast, CREATE, RM_EV_COMPLETED));
    {
        long status;
        json_t *h2 = srv_call("GET", "/healthz", NULL, &status);

        ck_assert_int_eq(status, 200);
        json_decref(h2);
    }
    ws_client_free(fast);
    ws_client_free(slow); /* vanishes mid-stall */
}
END_TEST

/* A client's close frame is answered at once, ahead of the answer still
 * stalled behind it (wslay sends control frames first): that answer is
 * dropped and journaled as not completed, as for a client that goes away
 * (seen with fuzz_ws: a create and a close in one read get only the close). */
START_TEST(close_frame_drops_answers_not_sent)
{
    static const char *const h[] = {"x-respmock-fault: stall;after_events=2;stall_ms=60000",
                                    NULL};
    struct ws_client *c = open_ws(h);
    json_t *list = NULL, *done = NULL;
    char *data;
    long status;
    int i;

    ck_assert_int_eq(ws_client_send_text(c, CREATE), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(ws_client_recv(c, WAIT_MS, &data, NULL, NULL), WS_MSG_TEXT);
        free(data);
    }
    ck_assert_int_eq(ws_client_close(c, RM_WS_CLOSE_NORMAL, WAIT_MS), RM_WS_CLOSE_NORMAL);
    ws_client_free(c);
    /* the journal entry is finished when the server lets the connection go */
    for (i = 0; i < WAIT_MS / 10; i++) {
        json_decref(list);
        list = srv_call("GET", "/__admin/requests?method=" RM_WS_JOURNAL_METHOD, NULL, &status);
        ck_assert_int_eq(status, 200);
        ck_assert_int_eq(json_array_size(json_object_get(list, "data")), 1);
        done = json_object_get(json_array_get(json_object_get(list, "data"), 0),
                               "stream_completed");
        if (!json_is_null(done))
            break;
        test_sleep_ms(10);
    }
    ck_assert(json_is_false(done));
    json_decref(list);
}
END_TEST

/* SIGTERM with a stalled WebSocket open: a 1001 close, and a clean exit. */
START_TEST(shutdown_closes_open_connections)
{
    static const char *const h[] = {"x-respmock-fault: stall;after_events=1;stall_ms=60000",
                                    NULL};
    struct ws_client *c = open_ws(h);
    char *data;
    int code = 0, kind;

    ck_assert_int_eq(ws_client_send_text(c, CREATE), 0);
    ck_assert_int_eq(ws_client_recv(c, WAIT_MS, &data, NULL, NULL), WS_MSG_TEXT);
    free(data);
    ck_assert_int_eq(test_server_stop(&test_srv), 0);
    kind = ws_client_recv(c, WAIT_MS, NULL, NULL, &code);
    ck_assert_int_eq(kind, WS_MSG_CLOSE);
    ck_assert_int_eq(code, RM_WS_CLOSE_GOING_AWAY);
    ws_client_free(c);
}
END_TEST

/* ---- frames, control messages, limits ------------------------------------ */

START_TEST(oversize_message_closes_1009)
{
    struct ws_client *c = open_ws(NULL);
    char *big = malloc(4096);
    int code = 0, kind;

    memset(big, 'x', 4095);
    big[4095] = '\0';
    ck_assert_int_eq(ws_client_send_text(c, big), 0);
    free(big);
    do
        kind = ws_client_recv(c, WAIT_MS, NULL, NULL, &code);
    while (kind == WS_MSG_TEXT);
    ck_assert_int_eq(kind, WS_MSG_CLOSE);
    ck_assert_int_eq(code, RM_WS_CLOSE_TOO_BIG);
    ws_client_free(c);
}
END_TEST

static void start_small_body(void)
{
    static const char *const extra[] = {"--speed", "0", "--max-body", "1024", NULL};

    start_with(extra);
}

START_TEST(ping_gets_pong_and_close_is_answered)
{
    struct ws_client *c = open_ws(NULL);
    char *data = NULL;
    size_t len = 0;

    ck_assert_int_eq(ws_client_send(c, 9, "abc", 3), 0);
    ck_assert_int_eq(ws_client_recv(c, WAIT_MS, &data, &len, NULL), WS_MSG_PONG);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(data, "abc", 3);
    free(data);
    ck_assert_int_eq(ws_client_close(c, 1000, WAIT_MS), 1000);
    ws_client_free(c);
}
END_TEST

START_TEST(vanishing_clients_leave_the_server_well)
{
    int i;

    for (i = 0; i < 20; i++) {
        struct ws_client *c = open_ws(NULL);

        if (i % 2)
            ck_assert_int_eq(ws_client_send_text(c, CREATE), 0);
        ws_client_free(c); /* no close frame */
    }
    {
        struct ws_client *c = open_ws(NULL);

        json_decref(create(c, CREATE, RM_EV_COMPLETED));
        ws_client_free(c);
    }
    /* srv_stop (the teardown) asserts a clean exit: nothing leaked or hung */
}
END_TEST

/* At most RM_MAX_WS_CONNECTIONS are open: one more upgrade gets 503. */
START_TEST(connection_limit_is_503)
{
    static struct ws_client *conns[RM_MAX_WS_CONNECTIONS];
    char *data;
    int i, status = 0;

    for (i = 0; i < RM_MAX_WS_CONNECTIONS; i++) {
        conns[i] = open_ws(NULL);
        /* a round trip: the server has taken the connection over */
        ck_assert_int_eq(ws_client_send(conns[i], 9, "p", 1), 0);
        ck_assert_int_eq(ws_client_recv(conns[i], WAIT_MS, &data, NULL, NULL), WS_MSG_PONG);
        free(data);
    }
    ck_assert_ptr_null(ws_client_connect(test_srv.port, NULL, &status, NULL));
    ck_assert_int_eq(status, 503);
    for (i = 0; i < RM_MAX_WS_CONNECTIONS; i++)
        ws_client_free(conns[i]);
}
END_TEST

/* ---- the upgrade ------------------------------------------------------------ */

/* An upgrade with 'headers' is refused with 'status', its reply naming 'text'. */
static void expect_refused(const char *const *headers, int want, const char *text)
{
    int status = 0;
    char *head = NULL;
    struct ws_client *c = ws_client_connect(test_srv.port, headers, &status, &head);

    ck_assert_ptr_null(c);
    ck_assert_int_eq(status, want);
    ck_assert_ptr_nonnull(strstr(head, text));
    free(head);
}

START_TEST(upgrade_needs_a_key)
{
    static const char *const bad[] = {"Authorization: Bearer sk-invalid-0000", NULL};

    expect_refused(bad, 401, "invalid_api_key");
}
END_TEST

START_TEST(journal_names_websocket_creates)
{
    struct ws_client *c = open_ws(NULL);
    json_t *list, *data;
    long status;

    json_decref(create(c, CREATE, RM_EV_COMPLETED));
    ws_client_free(c);
    list = srv_call("GET", "/__admin/requests?method=" RM_WS_JOURNAL_METHOD, NULL, &status);
    ck_assert_int_eq(status, 200);
    data = json_object_get(list, "data");
    ck_assert_int_eq(json_array_size(data), 1);
    ck_assert_str_eq(jstr(json_array_get(data, 0), "path"), "/v1/responses");
    ck_assert(json_is_true(json_object_get(json_array_get(data, 0), "websocket")));
    ck_assert(json_is_true(json_object_get(json_array_get(data, 0), "stream_completed")));
    json_decref(list);
    /* a cut stream is journaled as not completed */
    {
        static const char *const h[] = {"x-respmock-fault: drop;after_events=2", NULL};
        int kind;

        c = open_ws(h);
        ck_assert_int_eq(ws_client_send_text(c, CREATE), 0);
        while ((kind = ws_client_recv(c, WAIT_MS, NULL, NULL, NULL)) == WS_MSG_TEXT)
            ;
        ck_assert_int_eq(kind, WS_MSG_EOF);
        ws_client_free(c);
        list = srv_call("GET", "/__admin/requests?method=" RM_WS_JOURNAL_METHOD, NULL, &status);
        data = json_object_get(list, "data");
        ck_assert_int_eq(json_array_size(data), 2);
        ck_assert(json_is_false(json_object_get(json_array_get(data, 0), "stream_completed")) ||
                  json_is_false(json_object_get(json_array_get(data, 1), "stream_completed")));
        json_decref(list);
    }
}
END_TEST

static void start_no_websocket(void)
{
    static const char *const extra[] = {"--no-websocket", NULL};

    start_with(extra);
}

START_TEST(no_websocket_is_426_before_auth)
{
    static const char *const noauth[] = {"Authorization: none", NULL};

    expect_refused(noauth, 426, "\"code\":\"websocket_not_supported\"");
}
END_TEST

static void start_one_thread(void)
{
    static const char *const extra[] = {"--threads", "1", NULL};

    start_with(extra);
}

Suite *make_suite(void)
{
    Suite *s = suite_create("integration_ws");

    add_tcase(s, tcase_create("ws_creates"), 60, start_default, srv_stop,
              several_creates_match_sse, store_false_chains_on_its_connection_only,
              generate_false_warms_up);
    add_tcase(s, tcase_create("ws_client_events"), 60, start_default, srv_stop,
              bad_client_events_get_error_events, steer_is_refused, journal_names_websocket_creates,
              upgrade_needs_a_key, error_fixtures_and_fixture_header, unmasked_frame_closes_1002);
    add_tcase(s, tcase_create("ws_faults"), 60, start_default, srv_stop,
              drop_fault_cuts_mid_stream, error_fault_ends_with_error_event);
    add_tcase(s, tcase_create("ws_pacing"), 60, start_one_thread, srv_stop,
              stall_parks_no_thread, shutdown_closes_open_connections,
              close_frame_drops_answers_not_sent);
    add_tcase(s, tcase_create("ws_frames"), 60, start_small_body, srv_stop,
              oversize_message_closes_1009, ping_gets_pong_and_close_is_answered,
              vanishing_clients_leave_the_server_well, connection_limit_is_503);
    add_tcase(s, tcase_create("ws_off"), 60, start_no_websocket, srv_stop,
              no_websocket_is_426_before_auth);
    return s;
}
