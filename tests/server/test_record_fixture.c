/* Unit tests for record_fixture, the fixture of one recorded exchange, without
 * a socket: the match rules and the deterministic name from the request,
 * frames kept byte for byte with their delays, a JSON answer kept as a
 * body with its status, the headers worth keeping, redaction of frames,
 * bodies and headers, partial recordings, and that what it writes loads
 * as a fixture that matches the request it came from. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "limits.h"
#include "record.h"
#include "record_fixture.h"
#include "scrub.h"
#include "test_support.h"

static const char frames[] = "event: response.created\ndata: {\"type\":\"response.created\","
                             "\"response\":{\"id\":\"resp_1\",\"instructions\":\"mail a@b.example\"}}"
                             "\n\n"
                             "event: response.completed\r\ndata: {\"type\":\"response.completed\"}"
                             "\r\n\r\n";
static const size_t ends[] = {sizeof("event: response.created\ndata: {\"type\":\"response.created\","
                                     "\"response\":{\"id\":\"resp_1\",\"instructions\":\"mail "
                                     "a@b.example\"}}\n\n") - 1,
                              sizeof(frames) - 1};
static const unsigned delays[] = {120, 35};
static const char *const hnames[] = {"X-RateLimit-Remaining-Requests", "Retry-After"};
static const char *const hvalues[] = {"4999", "1"};

static struct redactor rd;

static void setup(void)
{
    char err[128];

    ck_assert_int_eq(redactor_init(&rd, NULL, err, sizeof(err)), 0);
}

static void teardown(void)
{
    redactor_release(&rd);
}

static void streamed(struct rec_recording *r, json_t *req)
{
    memset(r, 0, sizeof(*r));
    r->path = "/v1/responses";
    r->request = req;
    r->upstream = "http://127.0.0.1:1/v1";
    r->status = 200;
    r->sse = 1;
    r->bytes = frames;
    r->len = sizeof(frames) - 1;
    r->frame_ends = ends;
    r->delays_ms = delays;
    r->nframes = 2;
    r->header_names = hnames;
    r->header_values = hvalues;
    r->nheaders = 2;
    r->turn = 1;
    r->when = "2026-12-01T00:00:00Z";
}

START_TEST(stream_frames_delays_and_match)
{
    json_t *req = json_loads("{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}", 0, NULL);
    struct rec_recording r;
    char name[RM_MAX_FIXTURE_NAME + 1], name2[RM_MAX_FIXTURE_NAME + 1], digest[17];
    json_t *fx, *fx2, *ev, *m;

    streamed(&r, req);
    fx = record_fixture(&r, &rd, name, sizeof(name));
    ck_assert_ptr_nonnull(fx);
    ck_assert_str_eq(jstr(fx, "name"), name);
    ck_assert_msg(strncmp(name, "rec-gpt-4.1-mini-t1-", 20) == 0, "%s", name);
    m = json_object_get(fx, "match");
    fixture_request_digest(req, digest, sizeof(digest));
    ck_assert_str_eq(jstr(m, "input_digest"), digest);
    ck_assert_str_eq(jstr(m, "path"), "/v1/responses");
    ck_assert_str_eq(jstr(m, "model"), "gpt-4.1-mini");
    ck_assert(json_is_true(json_object_get(m, "stream")));
    ck_assert_int_eq(json_integer_value(json_object_get(m, "turn")), 1);
    ev = json_object_get(json_object_get(fx, "transcript"), "events");
    ck_assert_uint_eq(json_array_size(ev), 2);
    /* the second frame byte for byte (CRLFs kept), the first one scrubbed */
    ck_assert_str_eq(jstr(json_array_get(ev, 1), "raw"),
                     "event: response.completed\r\ndata: {\"type\":\"response.completed\"}\r\n\r\n");
    ck_assert_ptr_null(strstr(jstr(json_array_get(ev, 0), "raw"), "a@b.example"));
    ck_assert_ptr_nonnull(strstr(jstr(json_array_get(ev, 0), "raw"), "mail [redacted]"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ev, 0), "delay_ms")), 120);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ev, 1), "delay_ms")), 35);
    ck_assert_str_eq(jstr(json_object_get(fx, "headers"), "x-ratelimit-remaining-requests"),
                     "4999");
    /* the same request again: the same name; a later turn: another one */
    fx2 = record_fixture(&r, &rd, name2, sizeof(name2));
    ck_assert_str_eq(name, name2);
    json_decref(fx2);
    r.turn = 2;
    r.prev_fixture = name;
    fx2 = record_fixture(&r, &rd, name2, sizeof(name2));
    ck_assert_str_ne(name, name2);
    ck_assert_str_eq(jstr(json_object_get(fx2, "match"), "previous_fixture"), name);
    json_decref(fx2);
    json_decref(fx);
    json_decref(req);
}
END_TEST

START_TEST(json_answer_is_a_body_with_its_status)
{
    static const char body[] = "{\"error\":{\"message\":\"Slow down, sk-abcdefghijklmnop1234\","
                               "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
    json_t *req = json_loads("{\"model\":\"m\",\"input\":\"hi\"}", 0, NULL);
    struct rec_recording r;
    char name[RM_MAX_FIXTURE_NAME + 1];
    json_t *fx, *t;

    streamed(&r, req);
    r.sse = 0;
    r.status = 429;
    r.bytes = body;
    r.len = sizeof(body) - 1;
    r.nframes = 0;
    fx = record_fixture(&r, &rd, name, sizeof(name));
    t = json_object_get(fx, "transcript");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "status")), 429);
    ck_assert_ptr_null(json_object_get(t, "events"));
    ck_assert_str_eq(jstr(t, "body"), "{\"error\":{\"message\":\"Slow down, [redacted]\","
                                      "\"type\":\"requests\",\"param\":null,"
                                      "\"code\":\"rate_limit_exceeded\"}}");
    json_decref(fx);
    /* a body that is not UTF-8 text cannot be a fixture */
    r.bytes = "\xff\xfe";
    r.len = 2;
    ck_assert_ptr_null(record_fixture(&r, &rd, name, sizeof(name)));
    json_decref(req);
}
END_TEST

START_TEST(partial_recordings_are_marked)
{
    json_t *req = json_loads("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}", 0, NULL);
    struct rec_recording r;
    char name[RM_MAX_FIXTURE_NAME + 1];
    json_t *fx;

    streamed(&r, req);
    r.failure = "Transferred a partial file";
    fx = record_fixture(&r, &rd, name, sizeof(name));
    ck_assert_msg(strncmp(jstr(fx, "description"), "PARTIAL ", 8) == 0, "%s",
                  jstr(fx, "description"));
    ck_assert_ptr_nonnull(strstr(jstr(fx, "description"), "partial file"));
    json_decref(fx);
    json_decref(req);
}
END_TEST

START_TEST(written_fixture_loads_and_matches_its_request)
{
    json_t *req = json_loads("{\"model\":\"gpt-4.1-mini\",\"input\":[{\"role\":\"user\","
                             "\"content\":\"hi\"},{\"type\":\"function_call_output\","
                             "\"call_id\":\"call_A\",\"output\":\"x\"}],\"stream\":true}",
                             0, NULL);
    json_t *other = json_deep_copy(req);
    struct rec_recording r;
    struct fixture_set set;
    struct mock_error err;
    struct match_facts f;
    char name[RM_MAX_FIXTURE_NAME + 1], *text;
    json_t *fx;

    streamed(&r, req);
    fx = record_fixture(&r, &rd, name, sizeof(name));
    text = json_dumps(fx, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(&set, text, strlen(text), "rec.json", &err) == 0, "%s",
                  err.text);
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.model = "gpt-4.1-mini";
    f.stream = 1;
    f.turn = 1;
    f.body = req;
    ck_assert_ptr_eq(fixture_match(&set, &f), &set.v[0]);
    /* a new call id (the upstream's next run) leaves the digest alone ... */
    json_object_set_new(json_array_get(json_object_get(other, "input"), 1), "call_id",
                        json_string("call_B"));
    f.body = other;
    ck_assert_ptr_eq(fixture_match(&set, &f), &set.v[0]);
    /* ... other input does not */
    json_object_set_new(json_array_get(json_object_get(other, "input"), 0), "content",
                        json_string("hello"));
    ck_assert_ptr_null(fixture_match(&set, &f));
    fixture_set_release(&set);
    free(text);
    json_decref(fx);
    json_decref(other);
    json_decref(req);
}
END_TEST

START_TEST(headers_worth_keeping)
{
    ck_assert(record_keeps_header("x-ratelimit-reset-tokens"));
    ck_assert(record_keeps_header("Retry-After"));
    ck_assert(record_keeps_header("openai-model"));
    ck_assert(!record_keeps_header("set-cookie"));
    ck_assert(!record_keeps_header("openai-organization"));
    ck_assert(!record_keeps_header("x-request-id"));
    ck_assert(recorder_forwards("/v1/responses"));
    ck_assert(recorder_forwards("/v1"));
    ck_assert(!recorder_forwards("/v10/x"));
    ck_assert(!recorder_forwards("/__admin/requests"));
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("record_fixture");

    add_tcase(s, tcase_create("fixture_of_an_exchange"), 30, setup, teardown,
              stream_frames_delays_and_match, json_answer_is_a_body_with_its_status,
              partial_recordings_are_marked, written_fixture_loads_and_matches_its_request,
              headers_worth_keeping);
    return s;
}
