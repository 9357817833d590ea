/* Integration tests for Responses streaming (issue 3), against a spawned
 * respmock: every shipped streaming fixture checked against every stream
 * invariant and against its own non-streaming body; streaming decided by
 * the body whatever Accept says; pre-stream errors as plain JSON; every fault mode
 * through fixtures (tests/data/stream-fixtures/) and through the
 * x-respmock-fault header; byte-exact transcript replay and fresh_ids;
 * timing lower bounds with --speed; and a bounded run of many concurrent
 * slow streams on one server (delays must not hold a thread each). */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "stream_assert.h"
#include "test_support.h"

#define STREAM_FIXTURES TEST_DATA_DIR "/stream-fixtures"

/* Start test_srv on 'fixtures' (NULL: the shipped ones) at 'speed'. */
static void start(const char *fixtures, const char *speed, const char *api_key)
{
    srv_start(&(struct test_server_opts){.fixtures = fixtures, .speed = speed, .api_key = api_key});
}

/* Stream a Responses request; 'fixture' (may be NULL) goes in
 * x-respmock-fixture, 'fault' in x-respmock-fault. */
static int stream_req(const char *model, const char *fixture, const char *fault,
                      const char *accept, struct sse_http *r)
{
    char body[512], hf[256], hq[256], ha[128];
    const char *headers[4];
    int n = 0;

    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hello there\",\"stream\":true}",
             model);
    if (fixture) {
        snprintf(hf, sizeof(hf), "x-respmock-fixture: %s", fixture);
        headers[n++] = hf;
    }
    if (fault) {
        snprintf(hq, sizeof(hq), "x-respmock-fault: %s", fault);
        headers[n++] = hq;
    }
    snprintf(ha, sizeof(ha), "Accept: %s", accept ? accept : "application/json");
    headers[n++] = ha;
    headers[n] = NULL;
    return sse_http_post(srv_url("/v1/responses"), body, headers, 60, r);
}

static void assert_sse_headers(const struct sse_http *r, const char *where)
{
    char *ct = http_header_in(r->headers, "content-type");

    ck_assert_msg(r->status == 200, "%s: status %ld", where, r->status);
    ck_assert_msg(ct && strncmp(ct, "text/event-stream", 17) == 0, "%s: content-type %s", where,
                  ct ? ct : "(none)");
    free(ct);
}

/* Names of the fixtures in 'dir' that render a Response and have no
 * stream fault (read with jansson, as a client author would). */
static json_t *response_fixture_names(const char *dir, int with_faults)
{
    json_t *names = json_array();
    DIR *d = opendir(dir);
    struct dirent *de;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        char path[1024];
        json_t *doc, *list, *fx;
        size_t i;

        if (!strstr(de->d_name, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        doc = json_load_file(path, 0, NULL);
        ck_assert_ptr_nonnull(doc);
        list = json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
        json_array_foreach(list, i, fx) {
            int faulty = json_object_get(json_object_get(fx, "stream"), "fault") != NULL;
            if (json_object_get(fx, "response") && json_is_string(json_object_get(fx, "name")) &&
                faulty == with_faults)
                json_array_append(names, json_object_get(fx, "name"));
        }
        json_decref(list);
        json_decref(doc);
    }
    closedir(d);
    return names;
}

/* ---- Shipped fixtures --------------------------------------------------- */

START_TEST(shipped_streaming_fixtures)
{
    json_t *names = response_fixture_names(RM_SOURCE_DIR "/fixtures", 0), *name;
    size_t i;

    start(NULL, "0", NULL);
    ck_assert_uint_ge(json_array_size(names), 7);
    json_array_foreach(names, i, name) {
        const char *fx = json_string_value(name);
        struct sse_http r;
        struct http_result jr;
        char hdr[256], body[256];
        const char *headers[] = {hdr, NULL};
        json_t *terminal, *json, *a, *b;

        /* Accept: application/json, as the SDKs send: still a stream. */
        ck_assert_int_eq(stream_req("gpt-4.1-mini", fx, NULL, NULL, &r), 0);
        assert_sse_headers(&r, fx);
        ck_assert_msg(r.body_len > 2 && memcmp(r.body + r.body_len - 2, "\n\n", 2) == 0,
                      "%s: no blank line after the last event", fx);
        ck_assert_msg(strstr(r.body, "[DONE]") == NULL, "%s: [DONE] in a Responses stream", fx);
        terminal = assert_responses_stream(&r.cap, fx);

        /* The same fixture without stream: the body equals response.completed
         * up to generated ids and timestamps, and "billing" (JSON bodies only). */
        snprintf(hdr, sizeof(hdr), "x-respmock-fixture: %s", fx);
        snprintf(body, sizeof(body), "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello there\"}");
        ck_assert_int_eq(http_request("POST", srv_url("/v1/responses"), body, headers, &jr), 0);
        ck_assert_int_eq(jr.status, 200);
        json = http_json(&jr);
        ck_assert_ptr_nonnull(json);
        a = normalise_generated(json);
        b = normalise_generated(terminal);
        if (!response_equals_body(b, a)) {
            char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
            ck_abort_msg("%s: JSON body != streamed final response\n%s\n%s", fx, x, y);
        }
        json_decref(a);
        json_decref(b);
        json_decref(json);
        http_result_free(&jr);
        sse_http_release(&r);
    }
    json_decref(names);

    /* The shipped fault fixtures. */
    {
        struct sse_http r;
        long fail;

        stream_req("respmock-stream-error", NULL, NULL, NULL, &r);
        assert_sse_headers(&r, "stream-error");
        ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "stream-error"), 6);
        ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[4].json, "type")), "error");
        ck_assert(json_is_object(json_object_get(r.cap.ev[4].json, "error")));
        fail = sse_capture_find(&r.cap, "response.failed", 0);
        ck_assert_int_eq(fail, 5);
        ck_assert_int_eq(r.curl_rc, CURLE_OK);
        sse_http_release(&r);

        stream_req("respmock-stream-drop", NULL, NULL, NULL, &r);
        ck_assert_int_ne(r.curl_rc, CURLE_OK);
        ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "stream-drop"), 3);
        sse_http_release(&r);
    }
    srv_stop();
}
END_TEST

START_TEST(stream_decided_by_body)
{
    struct sse_http r;
    struct http_result jr;
    const char *ev_accept[] = {"Accept: text/event-stream", NULL};
    char *ct;

    start(NULL, "0", NULL);
    /* Accept: text/event-stream without "stream": plain JSON. */
    ck_assert_int_eq(http_request("POST", srv_url("/v1/responses"),
                                  "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", ev_accept, &jr),
                     0);
    ct = http_header(&jr, "content-type");
    ck_assert_int_eq(jr.status, 200);
    ck_assert_str_eq(ct, "application/json");
    free(ct);
    http_result_free(&jr);
    /* "stream": true with any Accept: star/star, application/json, text/event-stream. */
    ck_assert_int_eq(stream_req("gpt-4.1-mini", NULL, NULL, "*/*", &r), 0);
    assert_sse_headers(&r, "*/*");
    assert_responses_stream(&r.cap, "*/*");
    sse_http_release(&r);
    ck_assert_int_eq(stream_req("gpt-4.1-mini", NULL, NULL, "text/event-stream", &r), 0);
    assert_responses_stream(&r.cap, "text/event-stream");
    sse_http_release(&r);
    /* "stream": false streams nothing. */
    ck_assert_int_eq(http_request("POST", srv_url("/v1/responses"),
                                  "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":false}",
                                  ev_accept, &jr),
                     0);
    ck_assert(jr.body[0] == '{');
    http_result_free(&jr);
    srv_stop();
}
END_TEST

/* Errors found before the stream starts are plain JSON, stream or not. */
START_TEST(prestream_errors_are_json)
{
    static const struct {
        const char *body;
        const char *auth; /* Authorization line, NULL = the right key */
        const char *extra;
        long status;
    } cases[] = {
        {"{\"input\":\"hi\",\"stream\":true}", NULL, NULL, 400},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true,\"temperature\":\"hot\"}", NULL, NULL,
         400},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true", NULL, NULL, 400},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}", "Authorization: Bearer wrong",
         NULL, 401},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}", "X-No-Auth: 1", NULL, 401},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}", NULL, "x-respmock-fault: explode",
         400},
        {"{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}", NULL,
         "x-respmock-fixture: no-such-fixture", 400},
        {"{\"model\":\"m\",\"previous_response_id\":\"resp_nope\",\"input\":\"hi\","
         "\"stream\":true}",
         NULL, NULL, 400},
    };
    size_t i;

    start(NULL, "0", "sk-stream-test-key-0001");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *headers[4];
        struct http_result r;
        char *ct;
        json_t *doc;
        int n = 0;

        headers[n++] = "Accept: application/json";
        headers[n++] = cases[i].auth ? cases[i].auth
                                     : "Authorization: Bearer sk-stream-test-key-0001";
        if (cases[i].extra)
            headers[n++] = cases[i].extra;
        headers[n] = NULL;
        ck_assert_int_eq(http_request("POST", srv_url("/v1/responses"), cases[i].body, headers, &r),
                         0);
        ck_assert_msg(r.status == cases[i].status, "case %zu: status %ld", i, r.status);
        ct = http_header(&r, "content-type");
        ck_assert_msg(ct && strcmp(ct, "application/json") == 0, "case %zu: content-type %s", i,
                      ct ? ct : "(none)");
        doc = http_json(&r);
        assert_error_envelope(doc);
        json_decref(doc);
        free(ct);
        http_result_free(&r);
    }
    srv_stop();
}
END_TEST

/* ---- Faults ------------------------------------------------------------- */

/* One fault case: selected by model (fixture) or by header on the default. */
static void check_fault(const char *model, const char *header, const char *kind)
{
    struct sse_http r;
    char where[128];
    long i;

    snprintf(where, sizeof(where), "%s%s%s", model, header ? " + " : "", header ? header : "");
    stream_req(model, NULL, header, NULL, &r);
    assert_sse_headers(&r, where);
    if (strcmp(kind, "drop3") == 0) {
        ck_assert_msg(r.curl_rc != CURLE_OK, "%s: the connection was not cut", where);
        ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, where), 3);
        ck_assert_uint_eq(r.cap.n, 3);
    } else if (strcmp(kind, "bytes500") == 0) {
        ck_assert_msg(r.curl_rc != CURLE_OK, "%s: the connection was not cut", where);
        ck_assert_uint_eq(r.body_len, 500);
        ck_assert(r.cap.unterminated); /* cut mid-event */
        assert_responses_framing(&r.cap, 0, where);
    } else if (strcmp(kind, "stall") == 0) {
        ck_assert_int_eq(r.curl_rc, CURLE_OK);
        assert_responses_stream(&r.cap, where);
    } else if (strcmp(kind, "malformed5") == 0) {
        ck_assert_int_eq(r.curl_rc, CURLE_OK);
        ck_assert_ptr_null(r.cap.ev[5].json);
        for (i = 0; i < (long)r.cap.n; i++)
            if (i != 5)
                ck_assert_ptr_nonnull(r.cap.ev[i].json);
        assert_responses_framing(&r.cap, 1, where);
        ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[r.cap.n - 1].json, "type")),
                         "response.completed");
    } else if (strcmp(kind, "no_terminal") == 0) {
        ck_assert_int_eq(r.curl_rc, CURLE_OK);
        assert_responses_framing(&r.cap, 0, where);
        ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
        ck_assert_int_eq(sse_capture_find(&r.cap, "response.failed", 0), -1);
        ck_assert_int_eq(sse_capture_find(&r.cap, "response.output_item.done", 0),
                         (long)r.cap.n - 1);
    } else {
        /* error / error_flat / failed / error_then_failed after N events */
        long at = strcmp(kind, "failed6") == 0 ? 6 : 4;
        const json_t *ev = r.cap.ev[at].json;

        ck_assert_int_eq(r.curl_rc, CURLE_OK);
        ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, where), r.cap.n);
        ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
        if (strcmp(kind, "error_nested") == 0 || strcmp(kind, "error_then_failed") == 0) {
            json_t *e = json_object_get(ev, "error");
            ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), "error");
            ck_assert_msg(json_is_object(e), "%s: not the nested shape", where);
            ck_assert(json_is_string(json_object_get(e, "code")));
            ck_assert(json_is_string(json_object_get(e, "message")));
            ck_assert(json_object_get(e, "param") != NULL);
        }
        if (strcmp(kind, "error_flat") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), "error");
            ck_assert_ptr_null(json_object_get(ev, "error"));
            ck_assert(json_is_string(json_object_get(ev, "code")));
            ck_assert(json_is_string(json_object_get(ev, "message")));
            ck_assert(json_object_get(ev, "param") != NULL);
        }
        if (strcmp(kind, "failed6") == 0 || strcmp(kind, "error_then_failed") == 0) {
            const json_t *last = r.cap.ev[r.cap.n - 1].json;
            json_t *resp = json_object_get(last, "response");
            ck_assert_str_eq(json_string_value(json_object_get(last, "type")), "response.failed");
            ck_assert_str_eq(json_string_value(json_object_get(resp, "status")), "failed");
            ck_assert(json_is_object(json_object_get(resp, "error")));
        } else {
            ck_assert_uint_eq(r.cap.n, (size_t)at + 1); /* the error event ends it */
        }
    }
    sse_http_release(&r);
}

START_TEST(fault_fixtures)
{
    struct sse_http r;

    start(STREAM_FIXTURES, "0", NULL);
    check_fault("f-drop", NULL, "drop3");
    check_fault("f-drop-bytes", NULL, "bytes500");
    check_fault("f-stall", NULL, "stall");
    check_fault("f-malformed", NULL, "malformed5");
    check_fault("f-no-terminal", NULL, "no_terminal");
    check_fault("f-error", NULL, "error_nested");
    check_fault("f-error-flat", NULL, "error_flat");
    check_fault("f-failed", NULL, "failed6");
    check_fault("f-error-failed", NULL, "error_then_failed");
    /* The fixture's code and message reach the wire. */
    stream_req("f-error", NULL, NULL, NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.cap.ev[4].json, "error"), "code")),
                     "rate_limit_exceeded");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.cap.ev[4].json, "error"), "message")),
                     "Slow down.");
    sse_http_release(&r);
    /* A header fault overrides the fixture's. */
    stream_req("f-drop", NULL, "no_terminal", NULL, &r);
    ck_assert_int_eq(r.curl_rc, CURLE_OK);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
    ck_assert_int_gt(r.cap.n, 3);
    sse_http_release(&r);
    srv_stop();
}
END_TEST

START_TEST(fault_header)
{
    struct sse_http r;

    start(STREAM_FIXTURES, "0", NULL);
    check_fault("gpt-4.1-mini", "drop;after_events=3", "drop3");
    check_fault("gpt-4.1-mini", "drop;after_bytes=500", "bytes500");
    check_fault("gpt-4.1-mini", "stall;after_events=2;stall_ms=50", "stall");
    check_fault("gpt-4.1-mini", "malformed;after_events=5", "malformed5");
    check_fault("gpt-4.1-mini", "no_terminal", "no_terminal");
    check_fault("gpt-4.1-mini", "error;after_events=4", "error_nested");
    check_fault("gpt-4.1-mini", "error_flat;after_events=4", "error_flat");
    check_fault("gpt-4.1-mini", "failed;after_events=6", "failed6");
    check_fault("gpt-4.1-mini", "error_then_failed;after_events=4", "error_then_failed");
    /* Whole-reply faults leave the stream intact (latency is 0 at --speed 0). */
    stream_req("gpt-4.1-mini", NULL, "latency;ms=5000", NULL, &r);
    ck_assert_int_eq(r.curl_rc, CURLE_OK);
    assert_responses_stream(&r.cap, "latency header");
    sse_http_release(&r);
    stream_req("gpt-4.1-mini", NULL, "malformed_body", NULL, &r);
    assert_responses_stream(&r.cap, "malformed_body header");
    sse_http_release(&r);
    srv_stop();
}
END_TEST

/* ---- Transcripts -------------------------------------------------------- */

START_TEST(transcript_byte_exact)
{
    json_t *doc = json_load_file(RM_SOURCE_DIR "/fixtures/70-recorded.json", 0, NULL), *ev;
    json_t *events = json_object_get(json_object_get(doc, "transcript"), "events");
    struct buf want;
    struct sse_http r;
    struct http_result jr;
    json_t *body, *completed;
    size_t i;

    ck_assert_ptr_nonnull(events);
    buf_init(&want, 64 * 1024 * 1024);
    json_array_foreach(events, i, ev) buf_append_str(&want, json_string_value(json_object_get(ev, "raw")));
    start(NULL, "0", NULL);
    ck_assert_int_eq(stream_req("respmock-recorded", NULL, NULL, NULL, &r), 0);
    assert_sse_headers(&r, "recorded");
    ck_assert_uint_eq(r.body_len, want.len);
    ck_assert_msg(memcmp(r.body, want.data, want.len) == 0, "replay differs from the recording");
    completed = json_object_get(r.cap.ev[r.cap.n - 1].json, "response");
    assert_responses_stream(&r.cap, "recorded");
    /* Without stream: the recorded final Response as JSON. */
    ck_assert_int_eq(http_request("POST", srv_url("/v1/responses"),
                                  "{\"model\":\"respmock-recorded\",\"input\":\"hi\"}", NULL, &jr),
                     0);
    ck_assert_int_eq(jr.status, 200);
    body = http_json(&jr);
    ck_assert(json_equal(body, completed));
    /* That stored response replays as a stream too (GET ?stream=true used to
     * answer 400 "has no stored events to replay"): its own Response,
     * streamed. */
    {
        char path[256];
        struct sse_http g;
        snprintf(path, sizeof(path), "/v1/responses/%s?stream=true",
                 json_string_value(json_object_get(body, "id")));
        ck_assert_int_eq(sse_http_request("GET", srv_url(path), NULL, NULL, 30, &g), 0);
        ck_assert_int_eq(g.status, 200);
        ck_assert(json_equal(assert_responses_stream(&g.cap, "transcript replay"), body));
        sse_http_release(&g);
    }
    json_decref(body);
    http_result_free(&jr);
    sse_http_release(&r);
    /* A header fault acts on the recorded frames. */
    stream_req("respmock-recorded", NULL, "drop;after_events=4", NULL, &r);
    ck_assert_int_ne(r.curl_rc, CURLE_OK);
    ck_assert_uint_eq(r.cap.n, 4);
    sse_http_release(&r);
    srv_stop();
    buf_release(&want);
    json_decref(doc);
}
END_TEST

START_TEST(transcript_fresh_ids)
{
    struct sse_http a, b;
    json_t *ta, *tb, *fa;
    size_t i;

    start(STREAM_FIXTURES, "0", NULL);
    ck_assert_int_eq(stream_req("rec-fresh", NULL, NULL, NULL, &a), 0);
    ck_assert_int_eq(stream_req("rec-fresh", NULL, NULL, NULL, &b), 0);
    ta = assert_responses_stream(&a.cap, "fresh a");
    tb = assert_responses_stream(&b.cap, "fresh b");
    ck_assert_ptr_null(strstr(a.body, "resp_rec2"));
    ck_assert_ptr_null(strstr(a.body, "fc_rec2"));
    ck_assert_ptr_null(strstr(a.body, "call_rec2"));
    ck_assert_str_ne(json_string_value(json_object_get(ta, "id")),
                     json_string_value(json_object_get(tb, "id")));
    /* Everything else, sequence numbers included, is as recorded. */
    {
        json_t *na = normalise_generated(ta), *nb = normalise_generated(tb);
        ck_assert(json_equal(na, nb));
        json_decref(na);
        json_decref(nb);
    }
    for (i = 0; i < a.cap.n; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(a.cap.ev[i].json, "sequence_number")),
                         (json_int_t)i);
    fa = json_array_get(json_object_get(ta, "output"), 0);
    ck_assert(strncmp(json_string_value(json_object_get(fa, "call_id")), "call_", 5) == 0);
    ck_assert_str_eq(json_string_value(json_object_get(fa, "arguments")), "{\"location\":\"Paris\"}");
    sse_http_release(&a);
    sse_http_release(&b);
    srv_stop();
}
END_TEST

/* ---- Timing ------------------------------------------------------------- */

#define TOL_S 0.005 /* clock granularity / scheduling slack on a lower bound */

START_TEST(timing_lower_bounds)
{
    struct sse_http r;
    size_t i;

    /* --speed 1: 200 ms to the first event, >= 40 ms between events.  The
     * bounds are cumulative (event i no earlier than 200 + 40 i ms): a
     * descheduled client may read two events in one go, so a gap seen at the
     * client can shrink, but no event can arrive before its delays have run. */
    start(STREAM_FIXTURES, "1", NULL);
    ck_assert_int_eq(stream_req("timed", NULL, NULL, NULL, &r), 0);
    assert_responses_stream(&r.cap, "timed");
    ck_assert_uint_eq(r.cap.n, 13);
    ck_assert_msg(r.cap.ev[0].at_s >= 0.200 - TOL_S, "first event after %.3f s",
                  r.cap.ev[0].at_s);
    for (i = 1; i < r.cap.n; i++)
        ck_assert_msg(r.cap.ev[i].at_s >= 0.200 + 0.040 * (double)i - TOL_S,
                      "event %zu after %.3f s", i, r.cap.ev[i].at_s);
    ck_assert_msg(r.total_s >= 0.680 - TOL_S, "total %.3f s", r.total_s);
    sse_http_release(&r);

    /* Jitter: 60 +/- 20 ms, so every gap is at least 40 ms (cumulatively). */
    ck_assert_int_eq(stream_req("jittered", NULL, NULL, NULL, &r), 0);
    assert_responses_stream(&r.cap, "jittered");
    for (i = 1; i < r.cap.n; i++)
        ck_assert_msg(r.cap.ev[i].at_s >= 0.040 * (double)i - TOL_S,
                      "jitter event %zu", i);
    sse_http_release(&r);

    /* A stall holds exactly its event back. */
    ck_assert_int_eq(stream_req("f-stall", NULL, NULL, NULL, &r), 0);
    ck_assert_msg(r.cap.ev[4].at_s >= 0.600 - TOL_S, "stalled event after %.3f s",
                  r.cap.ev[4].at_s);
    sse_http_release(&r);

    /* A latency fault delays the whole reply, headers included. */
    ck_assert_int_eq(stream_req("gpt-4.1-mini", NULL, "latency;ms=300", NULL, &r), 0);
    ck_assert_msg(r.first_byte_s >= 0.300 - TOL_S, "latency: first byte after %.3f s",
                  r.first_byte_s);
    assert_responses_stream(&r.cap, "latency");
    sse_http_release(&r);
    srv_stop();

    /* --speed 0.5 halves every delay: the bounds halve. */
    start(STREAM_FIXTURES, "0.5", NULL);
    ck_assert_int_eq(stream_req("timed", NULL, NULL, NULL, &r), 0);
    ck_assert_msg(r.cap.ev[0].at_s >= 0.100 - TOL_S, "speed 0.5: first event %.3f s",
                  r.cap.ev[0].at_s);
    for (i = 1; i < r.cap.n; i++)
        ck_assert_msg(r.cap.ev[i].at_s >= 0.100 + 0.020 * (double)i - TOL_S,
                      "speed 0.5: event %zu after %.3f s", i, r.cap.ev[i].at_s);
    sse_http_release(&r);
    srv_stop();

    /* --speed 0: no delays at all.  Honoured delays would take 680 ms at
     * least; the bound sits just under that, so only a loaded machine's
     * slowness (not a scheduling margin) could come near it. */
    start(STREAM_FIXTURES, "0", NULL);
    ck_assert_int_eq(stream_req("timed", NULL, NULL, NULL, &r), 0);
    assert_responses_stream(&r.cap, "speed 0");
    ck_assert_msg(r.total_s < 0.650, "speed 0 still took %.3f s", r.total_s);
    sse_http_release(&r);
    srv_stop();
}
END_TEST

START_TEST(chunking_by_chars)
{
    struct sse_http r;
    long i;
    const char *want[] = {"abc", "def", "gh"};
    int k = 0;

    start(STREAM_FIXTURES, "0", NULL);
    ck_assert_int_eq(stream_req("chars", NULL, NULL, NULL, &r), 0);
    assert_responses_stream(&r.cap, "chars");
    for (i = 0; i < (long)r.cap.n; i++)
        if (strcmp(json_string_value(json_object_get(r.cap.ev[i].json, "type")),
                   "response.output_text.delta") == 0) {
            ck_assert_int_lt(k, 3);
            ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[i].json, "delta")),
                             want[k++]);
        }
    ck_assert_int_eq(k, 3);
    sse_http_release(&r);
    srv_stop();
}
END_TEST

/* ---- Many slow streams at once ------------------------------------------ */

#define CONCURRENT 500

struct slow {
    struct buf body;
    double done_s;
};

static size_t slow_body(char *p, size_t size, size_t n, void *user)
{
    struct slow *s = user;
    return buf_append(&s->body, p, size * n) == 0 ? size * n : 0;
}

/* 500 streams of 12 events, 50 ms apart (600 ms each), all at once on one
 * server with 2 worker threads. A server that slept a thread per stream
 * would need ~500 * 0.6 / 2 = 150 s; suspend/resume needs about 0.7 s. The
 * bound asserted is 15 s, so a slow or sanitized build still passes. */
START_TEST(concurrent_slow_streams)
{
    static struct slow slows[CONCURRENT];
    CURL *easy[CONCURRENT];
    CURLM *m = curl_multi_init();
    struct curl_slist *hl = NULL;
    const char *body = "{\"model\":\"slow-many\",\"input\":\"hi\",\"stream\":true}";
    double t0, wall;
    int running, i, ok = 0;
    CURLMsg *msg;
    int left;

    start(STREAM_FIXTURES, "1", NULL);
    hl = curl_slist_append(hl, "Authorization: Bearer test-key");
    hl = curl_slist_append(hl, "Content-Type: application/json");
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)CONCURRENT);
    t0 = test_now_s();
    for (i = 0; i < CONCURRENT; i++) {
        buf_init(&slows[i].body, 1024 * 1024);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, srv_url("/v1/responses"));
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, slow_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &slows[i]);
        curl_easy_setopt(easy[i], CURLOPT_PRIVATE, &slows[i]);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(m, easy[i]);
    }
    do {
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left))) {
            struct slow *s;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            s->done_s = test_now_s() - t0;
            ck_assert_msg(msg->data.result == CURLE_OK, "a stream failed: %s",
                          curl_easy_strerror(msg->data.result));
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    } while (running && test_now_s() - t0 < 30);
    wall = test_now_s() - t0;
    ck_assert_msg(!running, "%d streams still running after %.1f s", running, wall);
    for (i = 0; i < CONCURRENT; i++) {
        struct sse_capture c;
        char where[32];

        snprintf(where, sizeof(where), "stream %d", i);
        sse_capture_bytes(&c, slows[i].body.data ? slows[i].body.data : "", slows[i].body.len);
        assert_responses_stream(&c, where);
        ck_assert_uint_eq(c.n, 12);
        ck_assert_msg(slows[i].done_s >= 0.600 - TOL_S, "%s ended after %.3f s", where,
                      slows[i].done_s);
        sse_capture_release(&c);
        ok++;
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
        buf_release(&slows[i].body);
    }
    ck_assert_int_eq(ok, CONCURRENT);
    ck_assert_msg(wall < 15.0, "%d streams of 0.6 s took %.1f s: delays block each other",
                  CONCURRENT, wall);
    fprintf(stderr, "concurrent_slow_streams: %d x 0.6 s streams in %.2f s\n", CONCURRENT, wall);
    curl_slist_free_all(hl);
    curl_multi_cleanup(m);
    srv_stop();
}
END_TEST

/* Clients that hang up mid-stream (while the connection is suspended
 * between events) must not disturb the server: later streams work and it
 * exits cleanly (leak-free in the sanitizer build). */
START_TEST(clients_hang_up)
{
    CURLM *m = curl_multi_init();
    CURL *easy[20];
    struct curl_slist *hl = NULL;
    struct sse_http r;
    int running, i;

    start(STREAM_FIXTURES, "1", NULL);
    hl = curl_slist_append(hl, "Authorization: Bearer test-key");
    hl = curl_slist_append(hl, "Content-Type: application/json");
    for (i = 0; i < 20; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, srv_url("/v1/responses"));
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS,
                         "{\"model\":\"slow-many\",\"input\":\"hi\",\"stream\":true}");
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 120L + 10L * i);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(m, easy[i]);
    }
    do {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    } while (running);
    for (i = 0; i < 20; i++) {
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hl);
    ck_assert_int_eq(stream_req("slow-many", NULL, NULL, NULL, &r), 0);
    assert_responses_stream(&r.cap, "after hang-ups");
    sse_http_release(&r);
    srv_stop();
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("stream");

    /* Each test starts and stops test_srv itself. */
    add_tcase(s, tcase_create("shipped"), 60, NULL, NULL, shipped_streaming_fixtures,
              stream_decided_by_body, prestream_errors_are_json);
    add_tcase(s, tcase_create("faults"), 60, NULL, NULL, fault_fixtures, fault_header);
    add_tcase(s, tcase_create("transcripts"), 60, NULL, NULL, transcript_byte_exact,
              transcript_fresh_ids);
    add_tcase(s, tcase_create("timing"), 60, NULL, NULL, timing_lower_bounds, chunking_by_chars);
    add_tcase(s, tcase_create("concurrency"), 90, NULL, NULL, concurrent_slow_streams,
              clients_hang_up);
    return s;
}
