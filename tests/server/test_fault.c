/* Unit tests for server/fault.c: x-respmock-fault specs, and every stream
 * fault applied by the emitter to a Responses event list (drop by events
 * and by bytes, stall, malformed, no_terminal, the error shapes and
 * response.failed, kinds that are not stream faults). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"
#include "test_support.h"
#include "render_events.h"


/* 'plain' has 14 events: created in_progress added part.added delta*6
 * text.done part.done item.done completed. */
#define PLAIN_EVENTS 14

START_TEST(fault_drop_after_events)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("drop;after_events=5");

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "drop"), 5);
    ck_assert_uint_eq(r.cap.n, 5);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);

    /* The fixture's own fault, and after_events 0 (nothing at all). */
    render_stream(&r, srv, named(&set, "fx-drop"), NULL, 0);
    ck_assert_uint_eq(r.cap.n, 3);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);
    f = fault_of("drop");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.cap.n, 0);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);

    /* Past the end: the whole stream, then the connection is cut. */
    f = fault_of("drop;after_events=999");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "drop past end");
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(fault_drop_after_bytes)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("drop;after_bytes=700");

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    /* All events are rendered; the reader cuts at byte 700. */
    ck_assert_uint_eq(r.cap.n, PLAIN_EVENTS);
    ck_assert_uint_eq(r.ev->abort_after, 700);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    {
        char out[RM_STREAM_BLOCK];
        size_t w, got = 0;
        int64_t wake;
        enum stream_status st;
        while ((st = stream_read(r.s, 0, out, sizeof(out), &w, &wake)) == STREAM_DATA)
            got += w;
        ck_assert_int_eq(st, STREAM_ABORT);
        ck_assert_uint_eq(got, 700);
    }
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(fault_stall)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("stall;after_events=4;stall_ms=1500");
    size_t i;

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "stall"); /* nothing lost, only delayed */
    ck_assert_uint_eq(r.ev->n, PLAIN_EVENTS);
    for (i = 0; i < r.ev->n; i++)
        ck_assert_uint_eq(r.ev->v[i].delay_ms, i == 4 ? 1500u : 0u);
    ck_assert_int_eq(r.ev->end_with_error, 0);
    rendered_release(&r);

    /* Past the end: an empty frame holds the connection before it closes. */
    f = fault_of("stall;after_events=100;stall_ms=800");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "stall at end");
    ck_assert_uint_eq(r.ev->n, PLAIN_EVENTS + 1);
    ck_assert_uint_eq(r.ev->v[PLAIN_EVENTS].kind, EVENT_PAUSE);
    ck_assert_uint_eq(r.ev->v[PLAIN_EVENTS].delay_ms, 800);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(fault_malformed)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("malformed;after_events=5");
    size_t i, bad = 0;

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.cap.n, PLAIN_EVENTS + 1);
    for (i = 0; i < r.cap.n; i++)
        if (!r.cap.ev[i].json) {
            bad++;
            ck_assert_uint_eq(i, 5);
        }
    ck_assert_uint_eq(bad, 1);
    /* The valid events keep sequence 0..n-1 around the broken line. */
    ck_assert_uint_eq(assert_responses_framing(&r.cap, 1, "malformed"), PLAIN_EVENTS);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(fault_no_terminal)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("no_terminal");

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "no_terminal"), PLAIN_EVENTS - 1);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
    ck_assert_str_eq(type_at(&r, r.cap.n - 1), "response.output_item.done");
    ck_assert_int_eq(r.ev->end_with_error, 0);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(fault_error_events)
{
    static const struct {
        const char *spec;
        const char *tail; /* types after the first 4 events */
    } cases[] = {
        {"error;after_events=4", "error"},
        {"error_flat;after_events=4", "error"},
        {"failed;after_events=4", "response.failed"},
        {"error_then_failed;after_events=4", "error response.failed"},
    };
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    size_t i;

    load(&set, FAULT_FIXTURES);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx_fault f = fault_of(cases[i].spec);
        struct rendered r;
        char want[512];
        const json_t *err;
        long fail;

        render_stream(&r, srv, named(&set, "plain"), &f, 0);
        snprintf(want, sizeof(want),
                 "response.created response.in_progress response.output_item.added "
                 "response.content_part.added %s",
                 cases[i].tail);
        ck_assert_msg(strcmp(types_of(&r), want) == 0, "%s: %s", cases[i].spec, types_of(&r));
        assert_responses_framing(&r.cap, 0, cases[i].spec);
        ck_assert_int_eq(r.ev->end_with_error, 0); /* the stream ends cleanly after them */
        err = r.cap.ev[4].json;
        if (strstr(cases[i].spec, "error_flat")) {
            ck_assert_str_eq(json_string_value(json_object_get(err, "code")), "server_error");
            ck_assert(json_is_string(json_object_get(err, "message")));
            ck_assert(json_is_null(json_object_get(err, "param")));
            ck_assert_ptr_null(json_object_get(err, "error"));
        } else if (strncmp(cases[i].spec, "error", 5) == 0) {
            json_t *e = json_object_get(err, "error");
            ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "server_error");
            ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "server_error");
            ck_assert(json_is_string(json_object_get(e, "message")));
            ck_assert(json_is_null(json_object_get(e, "param")));
        }
        fail = sse_capture_find(&r.cap, "response.failed", 0);
        if (fail >= 0) {
            json_t *resp = json_object_get(r.cap.ev[fail].json, "response");
            ck_assert_str_eq(json_string_value(json_object_get(resp, "status")), "failed");
            ck_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "error"),
                                                               "code")),
                             "server_error");
            ck_assert(json_is_null(json_object_get(resp, "usage")));
            ck_assert_str_eq(json_string_value(json_object_get(resp, "id")),
                             json_string_value(json_object_get(r.final, "id")));
            ck_assert_uint_eq(fail, r.cap.n - 1);
        }
        rendered_release(&r);
    }
    {
        /* The fixture's code and message; a fault past the end replaces the
         * terminal event (never two terminal events). */
        struct rendered r;
        struct fx_fault f = fault_of("error_then_failed;after_events=1000");
        json_t *resp;

        render_stream(&r, srv, named(&set, "fx-error"), NULL, 0);
        ck_assert_str_eq(type_at(&r, 4), "error");
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(r.cap.ev[4].json, "error"), "code")),
                         "boom");
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(r.cap.ev[4].json, "error"), "message")),
                         "Bad.");
        rendered_release(&r);

        render_stream(&r, srv, named(&set, "plain"), &f, 0);
        ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "past end"), PLAIN_EVENTS + 1);
        ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
        ck_assert_str_eq(type_at(&r, r.cap.n - 2), "error");
        ck_assert_str_eq(type_at(&r, r.cap.n - 1), "response.failed");
        /* response.failed keeps the items that were finished. */
        resp = json_object_get(r.cap.ev[r.cap.n - 1].json, "response");
        ck_assert(json_equal(json_object_get(resp, "output"), json_object_get(r.final, "output")));
        rendered_release(&r);
    }
    fixture_set_release(&set);
    free(srv);
}
END_TEST

/* Faults that are not stream faults leave the stream alone (regression:
 * "x-respmock-fault: latency" and a fixture's malformed_body used to
 * produce an empty 200 stream). */
START_TEST(fault_non_stream_kinds_ignored)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f = fault_of("latency;ms=200");

    load(&set, FAULT_FIXTURES);
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "latency header");
    rendered_release(&r);
    f = fault_of("malformed_body");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "malformed_body header");
    rendered_release(&r);
    render_stream(&r, srv, named(&set, "fx-body"), NULL, 0);
    assert_responses_stream(&r.cap, "malformed_body fixture");
    rendered_release(&r);
    /* A latency header keeps the fixture's stream fault in force. */
    f = fault_of("latency;ms=200");
    render_stream(&r, srv, named(&set, "fx-drop"), &f, 0);
    ck_assert_uint_eq(r.cap.n, 3);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);
    /* And a request fault overrides the fixture's. */
    f = fault_of("no_terminal");
    render_stream(&r, srv, named(&set, "fx-drop"), &f, 0);
    ck_assert_int_eq(r.ev->end_with_error, 0);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.output_item.done", 0), (long)r.cap.n - 1);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

/* ---- Specs ------------------------------------------------------------ */

START_TEST(fault_specs)
{
    struct fx_fault f;
    char why[160];

    ck_assert_int_eq(fault_parse_spec("drop;after_events=3", &f, why, sizeof(why)), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_DROP);
    ck_assert_uint_eq(f.after_events, 3);
    ck_assert_int_eq(fault_parse_spec("stall; after_events=2; stall_ms=500", &f, why,
                                         sizeof(why)), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_STALL);
    ck_assert_uint_eq(f.stall_ms, 500);
    ck_assert_int_eq(fault_parse_spec("latency;ms=20", &f, why, sizeof(why)), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_LATENCY);
    ck_assert_uint_eq(f.stall_ms, 20);
    ck_assert_int_eq(fault_parse_spec("drop;after_bytes=100", &f, why, sizeof(why)), 0);
    ck_assert_uint_eq(f.after_bytes, 100);
    ck_assert_int_eq(fault_parse_spec("explode", &f, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "explode"));
    ck_assert_int_eq(fault_parse_spec("drop;after_events", &f, why, sizeof(why)), -1);
    ck_assert_int_eq(fault_parse_spec("drop;colour=3", &f, why, sizeof(why)), -1);
    ck_assert_int_eq(fault_parse_spec("drop;after_events=x", &f, why, sizeof(why)), -1);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("fault");

    add_tcase(s, tcase_create("faults"), 60, NULL, NULL, fault_drop_after_events,
              fault_drop_after_bytes, fault_stall, fault_malformed, fault_no_terminal,
              fault_error_events, fault_non_stream_kinds_ignored);
    add_tcase(s, tcase_create("fault_specs"), 60, NULL, NULL, fault_specs);
    return s;
}
