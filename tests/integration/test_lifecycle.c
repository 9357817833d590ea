/* Integration tests for the response lifecycle (issue 4): a real respmock on
 * a free port with the fixtures of tests/data/lifecycle-fixtures (turn-based
 * chains, a two-turn tool loop, background schedules), driven with libcurl.
 * Covers store/retrieve/delete, store:false, input_items paging, chains of
 * depth 4, chain errors, the tool loop, eviction, SSE replay with
 * starting_after, background progression / streaming / cancel, --speed 0,
 * input_tokens, admin reset, auth on every route and concurrent clients.
 * Timing assertions are ordering and lower bounds only. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../server/limits.h"
#include "buf.h"
#include "sse.h"
#include "stream_assert.h"
#include "test_support.h"

static void start_with(const char *const *extra)
{
    srv_start(&(struct test_server_opts){
        .fixtures = TEST_DATA_DIR "/lifecycle-fixtures", .log_level = "warn", .extra = extra});
}

static void start_default(void)
{
    start_with(NULL);
}

static void start_small_store(void)
{
    start_with((const char *const[]){"--max-stored", "3", NULL});
}

static void start_speed0(void)
{
    start_with((const char *const[]){"--speed", "0", NULL});
}

static void start_threads(void)
{
    start_with((const char *const[]){"--threads", "4", "--max-stored", "40", NULL});
}

/* POST /v1/responses that must succeed. */
static json_t *create(const char *body)
{
    long status;
    json_t *doc = srv_call("POST", "/v1/responses", body, &status);

    ck_assert_msg(status == 200, "create %s -> %ld", body, status);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static int sse_collect(const struct sse_event *ev, void *user)
{
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);

    json_array_append_new(user, json_pack("{s:s?, s:o*}", "event", ev->event, "data", d));
    return 0;
}

/* GET/POST returning SSE: the events as [{"event","data"}] (new ref). */
static json_t *call_sse(const char *method, const char *path, const char *body, double *secs)
{
    struct http_result r;
    struct sse_parser p;
    json_t *events = json_array();

    json_decref(srv_request(method, path, body, NULL, &r));
    ck_assert_msg(r.status == 200, "%s %s -> %ld %s", method, path, r.status, r.body);
    sse_parser_init(&p, 16u * 1024 * 1024);
    ck_assert_int_eq(sse_parser_feed(&p, r.body, r.body_len, sse_collect, events), 0);
    ck_assert_int_eq(sse_parser_finish(&p, sse_collect, events), 0);
    sse_parser_release(&p);
    if (secs)
        *secs = r.total_s;
    http_result_free(&r);
    return events;
}

static const char *ev_type(const json_t *events, size_t i)
{
    return jstr(json_array_get(events, i), "event");
}

static json_t *ev_data(const json_t *events, size_t i)
{
    return json_object_get(json_array_get(events, i), "data");
}

/* Every event: event name == data.type, sequence numbers 0, 1, 2, ... or,
 * for a replay, 'first', first+1, ... */
static void assert_sequence(const json_t *events, long first)
{
    size_t i;

    ck_assert_int_gt((int)json_array_size(events), 0);
    for (i = 0; i < json_array_size(events); i++) {
        json_t *d = ev_data(events, i);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(ev_type(events, i), jstr(d, "type"));
        ck_assert_int_eq((long)json_integer_value(json_object_get(d, "sequence_number")),
                         first + (long)i);
    }
}

/* ---- Store, retrieve, delete ------------------------------------------ */

START_TEST(retrieve_and_delete)
{
    json_t *r = create("{\"model\":\"m\",\"input\":\"hello\"}"), *g, *d;
    char path[256];
    long st;

    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_equal(g, r)); /* the stored object is exactly what was returned */
    json_decref(g);

    /* include[] / include are accepted (and change nothing here). */
    snprintf(path, sizeof(path),
             "/v1/responses/%s?include[]=message.output_text.logprobs&include=reasoning."
             "encrypted_content",
             jstr(r, "id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(g, "id"), jstr(r, "id"));
    json_decref(g);

    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    d = srv_call("DELETE", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(d, "id"), jstr(r, "id"));
    ck_assert_str_eq(jstr(d, "object"), "response.deleted");
    ck_assert(json_is_true(json_object_get(d, "deleted")));
    json_decref(d);

    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    srv_expect_error("DELETE", path, NULL, 404, NULL, NULL);
    srv_expect_error("GET", "/v1/responses/resp_unknown", NULL, 404, NULL, NULL);
    json_decref(r);
}
END_TEST

/* REQ: store-false-not-kept */
START_TEST(store_false_not_kept)
{
    json_t *r = create("{\"model\":\"m\",\"input\":\"hello\",\"store\":false}");
    char path[256], body[512];

    ck_assert(json_is_false(json_object_get(r, "store")));
    ck_assert_int_eq(strncmp(jstr(r, "id"), "resp_", 5), 0);
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    srv_expect_error("DELETE", path, NULL, 404, NULL, NULL);
    snprintf(path, sizeof(path), "/v1/responses/%s/input_items", jstr(r, "id"));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    snprintf(path, sizeof(path), "/v1/responses/%s/cancel", jstr(r, "id"));
    srv_expect_error("POST", path, NULL, 404, NULL, NULL);
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"next\",\"previous_response_id\":\"%s\"}", jstr(r, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, "previous_response_not_found",
                     "previous_response_id");
    json_decref(r);
}
END_TEST

/* ---- input_items ------------------------------------------------------ */

START_TEST(input_items_paging)
{
    json_t *r =
        create("{\"model\":\"m\",\"input\":["
               "{\"role\":\"developer\",\"content\":\"d0\"},"
               "{\"role\":\"user\",\"content\":\"u1\"},"
               "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"a2\"},"
               "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"u3\"}]},"
               "{\"type\":\"message\",\"id\":\"msg_given\",\"role\":\"user\","
               "\"content\":\"u4\"}]}");
    char path[512], base[256], after[128];
    json_t *l, *data, *all = json_array();
    long st;
    size_t i;

    snprintf(base, sizeof(base), "/v1/responses/%s/input_items", jstr(r, "id"));
    /* Default: desc, limit 20, every item has an id. */
    l = srv_call("GET", base, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(l, "object"), "list");
    data = json_object_get(l, "data");
    ck_assert_int_eq((int)json_array_size(data), 5);
    for (i = 0; i < 5; i++)
        ck_assert_ptr_nonnull(jstr(json_array_get(data, i), "id"));
    ck_assert_str_eq(jstr(json_array_get(data, 0), "id"), "msg_given"); /* newest first */
    ck_assert_str_eq(jstr(l, "first_id"), "msg_given");
    ck_assert_str_eq(jstr(l, "last_id"), jstr(json_array_get(data, 4), "id"));
    ck_assert(json_is_false(json_object_get(l, "has_more")));
    ck_assert_str_eq(jstr(json_array_get(data, 0), "type"), "message");
    json_decref(l);

    /* asc with limit 2 and the after cursor walks all five in order. */
    after[0] = '\0';
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s?order=asc&limit=2%s%s", base, after[0] ? "&after=" : "",
                 after);
        l = srv_call("GET", path, NULL, &st);
        ck_assert_int_eq(st, 200);
        json_array_extend(all, json_object_get(l, "data"));
        ck_assert_int_eq(json_is_true(json_object_get(l, "has_more")), i < 2);
        if (json_is_string(json_object_get(l, "last_id")))
            snprintf(after, sizeof(after), "%s", jstr(l, "last_id"));
        json_decref(l);
    }
    ck_assert_int_eq((int)json_array_size(all), 5);
    ck_assert_str_eq(jstr(json_array_get(all, 4), "id"), "msg_given");
    ck_assert_str_eq(jstr(json_array_get(all, 0), "role"), "developer");
    json_decref(all);

    snprintf(path, sizeof(path), "%s?limit=0", base);
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "limit");
    snprintf(path, sizeof(path), "%s?limit=101", base);
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "limit");
    snprintf(path, sizeof(path), "%s?limit=ten", base);
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "limit");
    snprintf(path, sizeof(path), "%s?order=sideways", base);
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "order");
    snprintf(path, sizeof(path), "%s?limit=100&order=desc", base);
    json_decref(srv_call("GET", path, NULL, &st));
    ck_assert_int_eq(st, 200);
    srv_expect_error("GET", "/v1/responses/resp_nope/input_items", NULL, 404, NULL, NULL);
    json_decref(r);
}
END_TEST

/* ---- Chains ----------------------------------------------------------- */

/* Create a turn chained on 'prev' (NULL: first turn) and check its text. */
static json_t *turn(const char *prev, const char *input, const char *extra, const char *want)
{
    char body[1024];
    json_t *r;

    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"%s\"%s%s%s%s}", input,
             prev ? ",\"previous_response_id\":\"" : "", prev ? prev : "", prev ? "\"" : "",
             extra ? extra : "");
    r = create(body);
    ck_assert_str_eq(response_text(r), want);
    if (prev)
        ck_assert_str_eq(jstr(r, "previous_response_id"), prev);
    else
        ck_assert(json_is_null(json_object_get(r, "previous_response_id")));
    return r;
}

static long in_tokens(const json_t *r)
{
    return (long)json_integer_value(json_object_get(json_object_get(r, "usage"), "input_tokens"));
}

/* REQ: chain-context, fixture match.turn */
START_TEST(chain_depth_four)
{
    json_t *r1 = turn(NULL, "first question", ",\"instructions\":\"Be terse.\"", "turn one");
    json_t *r2 = turn(jstr(r1, "id"), "second question", NULL, "turn two");
    json_t *r3 = turn(jstr(r2, "id"), "third question", NULL, "turn three");
    json_t *r4 = turn(jstr(r3, "id"), "fourth question", NULL, "turn many");
    json_t *b, *count;
    char body[512];
    long st;

    ck_assert_str_eq(jstr(r1, "instructions"), "Be terse.");
    ck_assert(json_is_null(json_object_get(r2, "instructions"))); /* not inherited */
    /* The context grows: every turn re-reads the chain's input and output. */
    ck_assert_int_lt(in_tokens(r1), in_tokens(r2));
    ck_assert_int_lt(in_tokens(r2), in_tokens(r3));
    ck_assert_int_lt(in_tokens(r3), in_tokens(r4));
    /* Turn 2 saw: "first question" + "turn one" + "second question". */
    ck_assert_int_eq(in_tokens(r2),
                     (long)(strlen("first question\nturn one\nsecond question") + 3) / 4);

    /* input_tokens counts what a create with the same body would. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"fifth question\",\"previous_response_id\":\"%s\"}",
             jstr(r4, "id"));
    count = srv_call("POST", "/v1/responses/input_tokens", body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(count, "object"), "response.input_tokens");
    b = create(body);
    ck_assert_int_eq((long)json_integer_value(json_object_get(count, "input_tokens")),
                     in_tokens(b));
    ck_assert_str_eq(response_text(b), "turn many");

    /* Branching: another turn 2 on r1 is turn two again. */
    json_decref(turn(jstr(r1, "id"), "another second", NULL, "turn two"));
    json_decref(count);
    json_decref(b);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    json_decref(r4);
}
END_TEST

START_TEST(chain_errors)
{
    json_t *r = create("{\"model\":\"m\",\"input\":\"hi\"}"), *c;
    char body[512], path[256];
    long st;

    srv_expect_error("POST", "/v1/responses",
                     "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_nope\"}",
                     400, "previous_response_not_found", "previous_response_id");
    /* Deleted. */
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    json_decref(srv_call("DELETE", path, NULL, &st));
    ck_assert_int_eq(st, 200);
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"%s\"}", jstr(r, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, "previous_response_not_found",
                     "previous_response_id");
    srv_expect_error("POST", "/v1/responses/input_tokens", body, 400, "previous_response_not_found",
                     "previous_response_id");
    /* With a conversation. */
    c = srv_call("POST", "/v1/conversations", "{}", &st);
    ck_assert_int_eq(st, 200);
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_x\","
             "\"conversation\":\"%s\"}",
             jstr(c, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, "invalid_value", "previous_response_id");
    json_decref(c);
    json_decref(r);
}
END_TEST

/* REQ: chain-pending-call, fixture match.tool_output */
START_TEST(tool_loop)
{
    json_t *r1, *r2, *r3, *call1, *l;
    char body[1024], path[256];
    long st;

    r1 = create("{\"model\":\"tool-loop\",\"input\":\"Weather in Boston?\",\"tools\":[{\"type\":"
                "\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}]}");
    call1 = json_array_get(json_object_get(r1, "output"), 0);
    ck_assert_str_eq(jstr(call1, "type"), "function_call");
    ck_assert_str_eq(jstr(call1, "name"), "get_weather");

    /* Not answering the call is a 400. */
    snprintf(body, sizeof(body),
             "{\"model\":\"tool-loop\",\"previous_response_id\":\"%s\",\"input\":\"and?\"}",
             jstr(r1, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, NULL, "input");
    /* Answering a different call id is a 400 too. */
    snprintf(body, sizeof(body),
             "{\"model\":\"tool-loop\",\"previous_response_id\":\"%s\",\"input\":[{\"type\":"
             "\"function_call_output\",\"call_id\":\"call_other\",\"output\":\"x\"}]}",
             jstr(r1, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, NULL, "input");

    snprintf(body, sizeof(body),
             "{\"model\":\"tool-loop\",\"previous_response_id\":\"%s\",\"input\":[{\"type\":"
             "\"function_call_output\",\"call_id\":\"%s\",\"output\":\"{\\\"temp_c\\\":21}\"}]}",
             jstr(r1, "id"), jstr(call1, "call_id"));
    r2 = create(body);
    ck_assert_str_eq(response_text(r2), "It is 21 C and sunny in Boston, MA.");
    snprintf(path, sizeof(path), "/v1/responses/%s/input_items", jstr(r2, "id"));
    l = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "data"), 0), "type"),
                     "function_call_output");
    ck_assert_ptr_nonnull(jstr(json_array_get(json_object_get(l, "data"), 0), "id"));
    json_decref(l);

    /* Turn 3 of the same chain, no tool output: the turn fixture. */
    snprintf(body, sizeof(body),
             "{\"model\":\"tool-loop\",\"previous_response_id\":\"%s\",\"input\":\"thanks\"}",
             jstr(r2, "id"));
    r3 = create(body);
    ck_assert_str_eq(response_text(r3), "turn three");
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
}
END_TEST

/* Context is bounded: one item over RM_MAX_CONTEXT_ITEMS is a 400. */
START_TEST(context_limit)
{
    struct buf b;
    int i;

    buf_init(&b, 8u * 1024 * 1024);
    buf_append_str(&b, "{\"model\":\"m\",\"input\":[");
    for (i = 0; i <= RM_MAX_CONTEXT_ITEMS; i++)
        buf_appendf(&b, "%s{\"role\":\"user\",\"content\":\"%d\"}", i ? "," : "", i);
    buf_append_str(&b, "]}");
    srv_expect_error("POST", "/v1/responses", b.data, 400, "context_length_exceeded", "input");
    buf_release(&b);
}
END_TEST

/* ---- Eviction (--max-stored 3) ---------------------------------------- */

static int exists(const json_t *r)
{
    char path[256];
    long st;

    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    json_decref(srv_call("GET", path, NULL, &st));
    ck_assert(st == 200 || st == 404);
    return st == 200;
}

/* REQ: store-evict-oldest */
START_TEST(eviction_oldest_first)
{
    json_t *r[7], *h;
    char path[256];
    long st;
    int i;

    for (i = 0; i < 5; i++)
        r[i] = create("{\"model\":\"m\",\"input\":\"x\"}");
    ck_assert(!exists(r[0]) && !exists(r[1]));
    ck_assert(exists(r[2]) && exists(r[3]) && exists(r[4]));
    h = srv_call("GET", "/healthz", NULL, &st);
    ck_assert_int_eq((int)json_integer_value(json_object_get(h, "stored")), 3);
    json_decref(h);

    /* A delete frees a place: the next create evicts nothing. */
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r[3], "id"));
    json_decref(srv_call("DELETE", path, NULL, &st));
    r[5] = create("{\"model\":\"m\",\"input\":\"x\"}");
    ck_assert(exists(r[2]) && exists(r[4]) && exists(r[5]));
    r[6] = create("{\"model\":\"m\",\"input\":\"x\"}");
    ck_assert(!exists(r[2]));
    ck_assert(exists(r[4]) && exists(r[5]) && exists(r[6]));
    for (i = 0; i < 7; i++)
        json_decref(r[i]);
}
END_TEST

/* ---- SSE replay ------------------------------------------------------- */

START_TEST(stream_replay)
{
    json_t *live = call_sse("POST", "/v1/responses",
                            "{\"model\":\"m\",\"input\":\"stream me\",\"stream\":true}", NULL);
    json_t *replay, *part, *r, *again;
    const char *id = jstr(json_object_get(ev_data(live, 0), "response"), "id");
    size_t n = json_array_size(live), i;
    char path[256];

    assert_sequence(live, 0);
    ck_assert_str_eq(ev_type(live, n - 1), "response.completed");

    /* The replay is the same event stream. */
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true", id);
    replay = call_sse("GET", path, NULL, NULL);
    ck_assert(json_equal(replay, live));

    /* starting_after=N: everything after sequence number N. */
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true&starting_after=3", id);
    part = call_sse("GET", path, NULL, NULL);
    ck_assert_int_eq((int)json_array_size(part), (int)n - 4);
    assert_sequence(part, 4);
    for (i = 0; i < json_array_size(part); i++)
        ck_assert(json_equal(json_array_get(part, i), json_array_get(live, i + 4)));
    json_decref(part);
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true&starting_after=%zu", id, n - 1);
    part = call_sse("GET", path, NULL, NULL);
    ck_assert_int_eq((int)json_array_size(part), 0);
    json_decref(part);
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true&starting_after=abc", id);
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "starting_after");

    /* A response created without streaming can be replayed as well. */
    r = create("{\"model\":\"m\",\"input\":\"plain\"}");
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true", jstr(r, "id"));
    again = call_sse("GET", path, NULL, NULL);
    assert_sequence(again, 0);
    ck_assert_str_eq(ev_type(again, 0), "response.created");
    ck_assert_str_eq(ev_type(again, json_array_size(again) - 1), "response.completed");
    ck_assert(response_equals_body(
        json_object_get(ev_data(again, json_array_size(again) - 1), "response"), r));
    json_decref(again);
    json_decref(r);

    json_decref(replay);
    json_decref(live);
}
END_TEST

/* POST a streaming create with an x-respmock-fault header; returns the
 * response id and fills 'body' (new) with the raw stream. */
static void faulted_stream(const char *fault, char *id, size_t id_len, char **body)
{
    char header[256];
    struct http_result r;
    const char *p;

    snprintf(header, sizeof(header), "x-respmock-fault: %s", fault);
    /* A dropped stream is a transfer error for curl; the body so far is kept. */
    http_request("POST", srv_url("/v1/responses"),
                 "{\"model\":\"m\",\"input\":\"x\",\"stream\":true}",
                 (const char *const[]){header, NULL}, &r);
    ck_assert_int_eq(r.status, 200);
    p = strstr(r.body, "\"id\":\"resp_");
    ck_assert_ptr_nonnull(p);
    snprintf(id, id_len, "%.*s", (int)strcspn(p + 6, "\""), p + 6);
    *body = strdup(r.body);
    http_result_free(&r);
}

/* A stream that a fault ended in failure is stored as the failed response
 * the client saw, not as the completed one the fixture would have given. */
START_TEST(stored_after_stream_fault)
{
    char id[128], path[256], *body;
    json_t *got;
    long st;

    faulted_stream("error_then_failed;after_events=4", id, sizeof(id), &body);
    ck_assert_ptr_nonnull(strstr(body, "event: response.failed"));
    ck_assert_ptr_null(strstr(body, "event: response.completed"));
    free(body);
    snprintf(path, sizeof(path), "/v1/responses/%s", id);
    got = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(got, "status"), "failed");
    ck_assert(json_is_null(json_object_get(got, "completed_at")));
    json_decref(got);

    /* An error event alone (no response.failed) also leaves it failed. */
    faulted_stream("error;after_events=3", id, sizeof(id), &body);
    ck_assert_ptr_nonnull(strstr(body, "event: error"));
    free(body);
    snprintf(path, sizeof(path), "/v1/responses/%s", id);
    got = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(got, "status"), "failed");
    ck_assert_str_eq(jstr(json_object_get(got, "error"), "code"), "server_error");
    ck_assert(json_is_null(json_object_get(got, "usage")));
    json_decref(got);

    /* A transport fault does not change what the server finished. */
    faulted_stream("drop;after_events=3", id, sizeof(id), &body);
    free(body);
    snprintf(path, sizeof(path), "/v1/responses/%s", id);
    got = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(got, "status"), "completed");
    json_decref(got);
}
END_TEST

/* ---- Background ------------------------------------------------------- */

static int rank(const char *status)
{
    return strcmp(status, "queued") == 0 ? 0 : strcmp(status, "in_progress") == 0 ? 1 : 2;
}

/* REQ: background-progression */
START_TEST(background_progression)
{
    double t0 = test_now_s(), done_s = -1;
    json_t *r = create("{\"model\":\"bg-slow\",\"input\":\"take your time\",\"background\":true}");
    int seen[3] = {0, 0, 0}, last = 0;
    size_t outputs = 0;
    char path[256];

    ck_assert_str_eq(jstr(r, "status"), "queued");
    ck_assert(json_is_true(json_object_get(r, "background")));
    ck_assert_int_eq((int)json_array_size(json_object_get(r, "output")), 0);
    ck_assert(json_is_null(json_object_get(r, "usage")));
    ck_assert(json_is_null(json_object_get(r, "completed_at")));
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    while (test_now_s() - t0 < 15.0) {
        long st;
        json_t *g = srv_call("GET", path, NULL, &st);
        int k;

        ck_assert_int_eq(st, 200);
        k = rank(jstr(g, "status"));
        ck_assert_msg(k >= last, "status went back to %s", jstr(g, "status"));
        ck_assert_uint_ge(json_array_size(json_object_get(g, "output")), outputs);
        outputs = json_array_size(json_object_get(g, "output"));
        last = k;
        seen[k] = 1;
        if (k == 2) {
            ck_assert_str_eq(jstr(g, "status"), "completed");
            ck_assert_int_eq((int)outputs, 2);
            ck_assert(json_is_object(json_object_get(g, "usage")));
            done_s = test_now_s() - t0;
            json_decref(g);
            break;
        }
        ck_assert(json_is_null(json_object_get(g, "usage")));
        json_decref(g);
        test_sleep_ms(20);
    }
    ck_assert_msg(done_s >= 0, "never completed");
    ck_assert(seen[0] && seen[1] && seen[2]);
    /* The schedule is 1200 ms at --speed 1: never done sooner. */
    ck_assert_msg(done_s >= 1.150, "completed after %.3f s", done_s);
    json_decref(r);
}
END_TEST

/* REQ: background-stream-queued */
START_TEST(background_stream)
{
    double secs = 0;
    json_t *ev = call_sse("POST", "/v1/responses",
                          "{\"model\":\"bg-fast\",\"input\":\"go\",\"background\":true,"
                          "\"stream\":true}",
                          &secs);
    json_t *created = json_object_get(ev_data(ev, 0), "response"), *replay;
    size_t n = json_array_size(ev);
    char path[256];

    assert_sequence(ev, 0);
    ck_assert_str_eq(ev_type(ev, 0), "response.created");
    ck_assert_str_eq(jstr(created, "status"), "queued");
    ck_assert_str_eq(ev_type(ev, 1), "response.queued");
    ck_assert_str_eq(jstr(json_object_get(ev_data(ev, 1), "response"), "status"), "queued");
    ck_assert_str_eq(ev_type(ev, 2), "response.in_progress");
    ck_assert_str_eq(ev_type(ev, n - 1), "response.completed");
    ck_assert_msg(secs >= 0.15, "a 200 ms background stream took %.3f s", secs);

    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true&starting_after=1",
             jstr(created, "id"));
    replay = call_sse("GET", path, NULL, NULL);
    assert_sequence(replay, 2);
    ck_assert_int_eq((int)json_array_size(replay), (int)n - 2);
    json_decref(replay);
    json_decref(ev);
}
END_TEST

/* A replay of a running background response follows its schedule. */
START_TEST(background_replay_waits)
{
    json_t *r = create("{\"model\":\"bg-slow\",\"input\":\"x\",\"background\":true}"), *ev;
    double secs = 0;
    char path[256];

    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true", jstr(r, "id"));
    ev = call_sse("GET", path, NULL, &secs);
    assert_sequence(ev, 0);
    ck_assert_str_eq(ev_type(ev, json_array_size(ev) - 1), "response.completed");
    ck_assert_msg(secs >= 0.9, "replay of a 1200 ms schedule took %.3f s", secs);
    json_decref(ev);
    json_decref(r);
}
END_TEST

/* REQ: cancel-background-only, cancel-terminal-unchanged */
START_TEST(cancel)
{
    json_t *r = create("{\"model\":\"bg-long\",\"input\":\"x\",\"background\":true}"), *c, *c2, *g,
           *plain, *ev;
    char path[256];
    long st;

    snprintf(path, sizeof(path), "/v1/responses/%s/cancel", jstr(r, "id"));
    c = srv_call("POST", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(c, "status"), "cancelled");
    ck_assert_str_eq(jstr(c, "id"), jstr(r, "id"));
    ck_assert_int_eq((int)json_array_size(json_object_get(c, "output")), 0);
    /* Cancelling again: unchanged. */
    c2 = srv_call("POST", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_equal(c, c2));
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert(json_equal(c, g));
    /* Its stream replay stops where it was cancelled. */
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true", jstr(r, "id"));
    ev = call_sse("GET", path, NULL, NULL);
    ck_assert_int_eq((int)json_array_size(ev), 2);
    ck_assert_str_eq(ev_type(ev, 1), "response.queued");
    json_decref(ev);

    /* Not a background response: 400. */
    plain = create("{\"model\":\"m\",\"input\":\"x\"}");
    snprintf(path, sizeof(path), "/v1/responses/%s/cancel", jstr(plain, "id"));
    srv_expect_error("POST", path, NULL, 400, NULL, NULL);
    srv_expect_error("POST", "/v1/responses/resp_nope/cancel", NULL, 404, NULL, NULL);
    /* background needs store. */
    srv_expect_error("POST", "/v1/responses",
                     "{\"model\":\"bg-fast\",\"input\":\"x\",\"background\":true,"
                     "\"store\":false}",
                     400, "invalid_value", "background");
    json_decref(plain);
    json_decref(g);
    json_decref(c2);
    json_decref(c);
    json_decref(r);
}
END_TEST

START_TEST(cancel_after_completion)
{
    json_t *r = create("{\"model\":\"bg-fast\",\"input\":\"x\",\"background\":true}"), *c;
    char path[256];
    long st;

    test_sleep_ms(400); /* the 200 ms schedule is over */
    snprintf(path, sizeof(path), "/v1/responses/%s/cancel", jstr(r, "id"));
    c = srv_call("POST", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(c, "status"), "completed");
    ck_assert_str_eq(response_text(c), "A fast background answer.");
    json_decref(c);
    json_decref(r);
}
END_TEST

/* Cancel in the middle: the output so far is kept. */
START_TEST(cancel_in_progress)
{
    json_t *r = create("{\"model\":\"bg-steady\",\"input\":\"x\",\"background\":true}"), *c;
    char path[256];
    long st;
    double t0 = test_now_s();

    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    for (;;) {
        json_t *g = srv_call("GET", path, NULL, &st);
        int n = (int)json_array_size(json_object_get(g, "output"));
        int running = strcmp(jstr(g, "status"), "in_progress") == 0;
        json_decref(g);
        if (running && n == 1)
            break;
        /* Items finish in the second half of the 4 s schedule, far apart. */
        ck_assert_msg(test_now_s() - t0 < 3.9, "never saw one item in progress");
        test_sleep_ms(10);
    }
    snprintf(path, sizeof(path), "/v1/responses/%s/cancel", jstr(r, "id"));
    c = srv_call("POST", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    if (strcmp(jstr(c, "status"), "cancelled") == 0) {
        ck_assert_uint_ge(json_array_size(json_object_get(c, "output")), 1);
        ck_assert_str_eq(jstr(json_array_get(json_object_get(c, "output"), 0), "type"),
                         "reasoning");
    } else {
        ck_assert_str_eq(jstr(c, "status"), "completed"); /* a very slow machine */
    }
    json_decref(c);
    json_decref(r);
}
END_TEST

/* --speed 0: background responses are done by the first read. */
START_TEST(background_speed_zero)
{
    json_t *r = create("{\"model\":\"bg-long\",\"input\":\"x\",\"background\":true}"), *g;
    char path[256];
    long st;

    ck_assert_str_eq(jstr(r, "status"), "queued");
    snprintf(path, sizeof(path), "/v1/responses/%s", jstr(r, "id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(g, "status"), "completed");
    json_decref(g);
    json_decref(r);
}
END_TEST

/* ---- input_tokens, reset, auth ---------------------------------------- */

/* REQ: input-tokens-rule */
START_TEST(input_tokens_rule)
{
    long st;
    json_t *d = srv_call("POST", "/v1/responses/input_tokens",
                         "{\"model\":\"m\",\"input\":\"hello\"}", &st);

    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(d, "object"), "response.input_tokens");
    ck_assert_int_eq((int)json_integer_value(json_object_get(d, "input_tokens")), 2);
    json_decref(d);
    /* "abcd\nhello": 10 bytes -> 3. */
    d = srv_call(
        "POST", "/v1/responses/input_tokens",
        "{\"instructions\":\"abcd\",\"input\":[{\"role\":\"user\",\"content\":\"hello\"}]}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq((int)json_integer_value(json_object_get(d, "input_tokens")), 3);
    json_decref(d);
    d = srv_call("POST", "/v1/responses/input_tokens", "{}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq((int)json_integer_value(json_object_get(d, "input_tokens")), 0);
    json_decref(d);
    srv_expect_error("POST", "/v1/responses/input_tokens", "{\"input\":5}", 400, "invalid_type",
                     "input");
    srv_expect_error("POST", "/v1/responses/input_tokens", "not json", 400, NULL, NULL);
}
END_TEST

START_TEST(admin_reset)
{
    json_t *r = create("{\"model\":\"m\",\"input\":\"x\"}"), *c, *d;
    char path[256];
    long st;

    c = srv_call("POST", "/v1/conversations", "{}", &st);
    d = srv_call("POST", "/__admin/reset", NULL, &st);
    ck_assert_int_eq(st, 200);
    json_decref(d);
    ck_assert(!exists(r));
    snprintf(path, sizeof(path), "/v1/conversations/%s", jstr(c, "id"));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    json_decref(c);
    json_decref(r);
}
END_TEST

START_TEST(auth_on_every_route)
{
    static const char *const routes[][2] = {
        {"GET", "/v1/responses/resp_x"},
        {"GET", "/v1/responses/resp_x?stream=true"},
        {"DELETE", "/v1/responses/resp_x"},
        {"POST", "/v1/responses/resp_x/cancel"},
        {"GET", "/v1/responses/resp_x/input_items"},
        {"POST", "/v1/responses/input_tokens"},
        {"POST", "/v1/conversations"},
        {"GET", "/v1/conversations/conv_x"},
        {"POST", "/v1/conversations/conv_x"},
        {"DELETE", "/v1/conversations/conv_x"},
        {"GET", "/v1/conversations/conv_x/items"},
        {"POST", "/v1/conversations/conv_x/items"},
        {"GET", "/v1/conversations/conv_x/items/msg_x"},
        {"DELETE", "/v1/conversations/conv_x/items/msg_x"},
    };
    static const char *const no_auth[] = {"Authorization:", NULL};
    size_t i;

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct http_result r;

        json_decref(srv_request(routes[i][0], routes[i][1], "{}", no_auth, &r));
        ck_assert_msg(r.status == 401, "%s %s -> %ld", routes[i][0], routes[i][1], r.status);
        http_result_free(&r);
    }
}
END_TEST

/* ---- Concurrent clients ----------------------------------------------- */

#define CLIENTS 6
#define ROUNDS 25

struct client {
    int n;
    int failures;
    char why[256];
};

static void client_fail(struct client *c, const char *what, long status)
{
    if (!c->failures++)
        snprintf(c->why, sizeof(c->why), "client %d: %s -> %ld", c->n, what, status);
}

static json_t *client_call(struct client *c, const char *method, const char *path, const char *body,
                           long *status)
{
    struct http_result r;
    json_t *doc;

    if (http_request(method, srv_url(path), body, NULL, &r) != 0) {
        client_fail(c, path, -1);
        http_result_free(&r);
        *status = -1;
        return NULL;
    }
    *status = r.status;
    doc = http_json(&r);
    http_result_free(&r);
    return doc;
}

/* Each round: create, chain on it, get both, list, delete both, get again. */
static void *client_run(void *arg)
{
    struct client *c = arg;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        char path[256], body[256], id1[96] = "", id2[96] = "";
        long st;
        json_t *d =
            client_call(c, "POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", &st);

        if (st != 200 || !json_is_string(json_object_get(d, "id"))) {
            client_fail(c, "create", st);
            json_decref(d);
            continue;
        }
        snprintf(id1, sizeof(id1), "%s", jstr(d, "id"));
        json_decref(d);
        snprintf(body, sizeof(body),
                 "{\"model\":\"m\",\"input\":\"y\",\"previous_response_id\":\"%s\"}", id1);
        d = client_call(c, "POST", "/v1/responses", body, &st);
        /* 400 only if other clients' creates evicted it (--max-stored 40). */
        if (st == 200)
            snprintf(id2, sizeof(id2), "%s", jstr(d, "id"));
        else if (st != 400)
            client_fail(c, "chain", st);
        json_decref(d);
        snprintf(path, sizeof(path), "/v1/responses/%s", id1);
        json_decref(client_call(c, "GET", path, NULL, &st));
        if (st != 200 && st != 404)
            client_fail(c, "get", st);
        snprintf(path, sizeof(path), "/v1/responses/%s/input_items?limit=1", id1);
        json_decref(client_call(c, "GET", path, NULL, &st));
        if (st != 200 && st != 404)
            client_fail(c, "input_items", st);
        snprintf(path, sizeof(path), "/v1/responses/%s", id1);
        json_decref(client_call(c, "DELETE", path, NULL, &st));
        if (st != 200 && st != 404)
            client_fail(c, "delete", st);
        json_decref(client_call(c, "GET", path, NULL, &st));
        if (st != 404)
            client_fail(c, "get after delete", st);
        if (id2[0]) {
            snprintf(path, sizeof(path), "/v1/responses/%s", id2);
            json_decref(client_call(c, "DELETE", path, NULL, &st));
            if (st != 200 && st != 404)
                client_fail(c, "delete 2", st);
        }
    }
    return NULL;
}

START_TEST(concurrent_clients)
{
    pthread_t th[CLIENTS];
    struct client c[CLIENTS];
    json_t *h;
    long st;
    int i;

    curl_global_init(CURL_GLOBAL_ALL); /* once, before the threads */
    for (i = 0; i < CLIENTS; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].n = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, client_run, &c[i]), 0);
    }
    for (i = 0; i < CLIENTS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_msg(c[i].failures == 0, "%s", c[i].why);
    }
    h = srv_call("GET", "/healthz", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_le((int)json_integer_value(json_object_get(h, "stored")), 40);
    json_decref(h);
    ck_assert_int_eq(test_server_stop(&test_srv), 0); /* and it shuts down cleanly */
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("lifecycle");

    add_tcase(s, tcase_create("retrieve_delete"), 60, start_default, srv_stop, retrieve_and_delete,
              store_false_not_kept);
    add_tcase(s, tcase_create("input_items"), 60, start_default, srv_stop, input_items_paging);
    add_tcase(s, tcase_create("chains"), 60, start_default, srv_stop, chain_depth_four,
              chain_errors, tool_loop, context_limit);
    add_tcase(s, tcase_create("eviction"), 60, start_small_store, srv_stop, eviction_oldest_first);
    add_tcase(s, tcase_create("replay"), 60, start_default, srv_stop, stream_replay,
              stored_after_stream_fault);
    add_tcase(s, tcase_create("background"), 60, start_default, srv_stop, background_progression,
              background_stream, background_replay_waits);
    add_tcase(s, tcase_create("cancel"), 60, start_default, srv_stop, cancel,
              cancel_after_completion, cancel_in_progress);
    add_tcase(s, tcase_create("speed_zero"), 60, start_speed0, srv_stop, background_speed_zero);
    add_tcase(s, tcase_create("input_tokens"), 60, start_default, srv_stop, input_tokens_rule);
    add_tcase(s, tcase_create("admin_auth"), 60, start_default, srv_stop, admin_reset,
              auth_on_every_route);
    add_tcase(s, tcase_create("concurrency"), 60, start_threads, srv_stop, concurrent_clients);
    return s;
}
