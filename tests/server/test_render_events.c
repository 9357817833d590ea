/* Unit tests for server/render_events.c (no socket): the Responses event
 * list of every shipped fixture and of each item kind, checked with the
 * client's stream checker (tests/support/stream_assert.h): event == type,
 * sequence_number 0..n-1, stable item ids, output_index order, parts before
 * deltas, deltas == .done text == final text, one terminal event equal to
 * the JSON body; snapshots and queued streams; chunking and pacing. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"
#include "test_support.h"
#include "render_events.h"

/* ---- Shipped fixtures ------------------------------------------------- */

static const char *item_output_text(const json_t *item)
{
    json_t *c = json_array_get(json_object_get(item, "content"), 0);
    const char *t = json_string_value(json_object_get(c, "text"));
    return t ? t : json_string_value(json_object_get(c, "refusal"));
}

/* True when 'fx' answers with a message, refusal or function call. */
static int has_chat_content(const struct fixture *fx)
{
    size_t i;

    for (i = 0; i < fx->nitems; i++)
        if (fx->items[i].type == FX_ITEM_MESSAGE || fx->items[i].type == FX_ITEM_REFUSAL ||
            fx->items[i].type == FX_ITEM_FUNCTION_CALL)
            return 1;
    return 0;
}

START_TEST(shipped_fixtures_stream_invariants)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct mock_error err;
    size_t i, checked = 0;

    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load(&set, RM_SOURCE_DIR "/fixtures", &err, NULL) == 0,
                  "shipped fixtures: %s", err.text);
    for (i = 0; i < set.n; i++) {
        const struct fixture *fx = &set.v[i];
        struct rendered r, c;
        struct chat_stream_summary cs;
        json_t *terminal, *out, *item, *body;
        char *json_body;
        size_t k;

        if (fx->kind != FX_RESPONSE || fx->stream.fault.kind != FX_FAULT_NONE)
            continue;
        render_stream(&r, srv, fx, NULL, 0);
        terminal = assert_responses_stream(&r.cap, fx->name);
        /* The completed event carries the very object the JSON body is made
         * of, less "billing" (in JSON bodies only, as the real API sends it). */
        ck_assert_msg(response_equals_body(terminal, r.final), "%s: terminal response != JSON body",
                      fx->name);
        json_body = json_dumps(r.final, JSON_COMPACT);
        body = json_loads(json_body, 0, NULL);
        ck_assert_msg(response_equals_body(terminal, body), "%s: body round trip", fx->name);
        free(json_body);
        json_decref(body);
        /* Final text == fixture text == streamed text (the helper checked the rest). */
        out = json_object_get(r.final, "output");
        ck_assert_uint_eq(json_array_size(out), fx->nitems);
        json_array_foreach(out, k, item) {
            const struct fx_item *it = &fx->items[k];
            if (it->type == FX_ITEM_MESSAGE || it->type == FX_ITEM_REFUSAL)
                ck_assert_str_eq(item_output_text(item), it->text);
            else if (it->type == FX_ITEM_FUNCTION_CALL)
                ck_assert_str_eq(json_string_value(json_object_get(item, "arguments")), it->text);
        }
        /* The same fixture as a chat completion and its chunk stream (an
         * answer of built-in tool items alone has nothing Chat carries). */
        if (!has_chat_content(fx)) {
            rendered_release(&r);
            checked++;
            continue;
        }
        render_chat_stream_of(&c, srv, fx, NULL, 1);
        assert_chat_stream(&c.cap, 1, &cs, fx->name);
        {
            json_t *msg = json_object_get(json_array_get(json_object_get(c.final, "choices"), 0),
                                          "message");
            const char *content = json_string_value(json_object_get(msg, "content"));
            json_t *calls = json_object_get(msg, "tool_calls"), *call;

            ck_assert_str_eq(cs.content, content ? content : "");
            ck_assert_str_eq(cs.finish_reason,
                             json_string_value(json_object_get(
                                 json_array_get(json_object_get(c.final, "choices"), 0),
                                 "finish_reason")));
            ck_assert(json_equal(cs.usage, json_object_get(c.final, "usage")));
            ck_assert_uint_eq(json_array_size(cs.tool_calls), json_array_size(calls));
            json_array_foreach(calls, k, call) {
                json_t *got = json_array_get(cs.tool_calls, k);
                ck_assert_str_eq(json_string_value(json_object_get(got, "id")),
                                 json_string_value(json_object_get(call, "id")));
                ck_assert_str_eq(
                    json_string_value(json_object_get(got, "arguments")),
                    json_string_value(json_object_get(json_object_get(call, "function"),
                                                      "arguments")));
            }
            if (json_is_string(json_object_get(msg, "refusal")))
                ck_assert_str_eq(cs.refusal,
                                 json_string_value(json_object_get(msg, "refusal")));
        }
        chat_stream_summary_release(&cs);
        rendered_release(&c);
        rendered_release(&r);
        checked++;
    }
    ck_assert_uint_ge(checked, 6);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

/* ---- Event order per item kind ---------------------------------------- */


START_TEST(event_order_per_kind)
{
    static const struct {
        const char *name, *types;
    } cases[] = {
        {"msg", "response.created response.in_progress response.output_item.added "
                "response.content_part.added response.output_text.delta "
                "response.output_text.delta response.output_text.delta "
                "response.output_text.done response.content_part.done "
                "response.output_item.done response.completed"},
        {"fn", "response.created response.in_progress response.output_item.added "
               "response.function_call_arguments.delta response.function_call_arguments.delta "
               "response.function_call_arguments.done response.output_item.done "
               "response.completed"},
        {"refuse", "response.created response.in_progress response.output_item.added "
                   "response.content_part.added response.refusal.delta response.refusal.delta "
                   "response.refusal.done response.content_part.done response.output_item.done "
                   "response.completed"},
        /* no reasoning.summary asked for: as recorded, the reasoning item has
         * no summary events (with one asked for: summary_and_obfuscation) */
        {"think", "response.created response.in_progress response.output_item.added "
                  "response.output_item.done response.output_item.added "
                  "response.content_part.added response.output_text.delta "
                  "response.output_text.done response.content_part.done "
                  "response.output_item.done response.completed"},
        {"cut", "response.created response.in_progress response.output_item.added "
                "response.content_part.added response.output_text.delta "
                "response.output_text.delta response.output_text.done "
                "response.content_part.done response.output_item.done response.incomplete"},
        {"broken", "response.created response.in_progress response.failed"},
        {"raw", "response.created response.in_progress response.output_item.added "
                "response.output_item.done response.output_item.added "
                "response.content_part.added response.output_text.delta "
                "response.output_text.done response.content_part.done "
                "response.output_item.done response.completed"},
        {"two", "response.created response.in_progress response.output_item.added "
                "response.function_call_arguments.delta response.function_call_arguments.done "
                "response.output_item.done response.output_item.added "
                "response.function_call_arguments.delta response.function_call_arguments.done "
                "response.output_item.done response.completed"},
    };
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    size_t i;

    load(&set, KINDS_FIXTURES);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rendered r;
        json_t *terminal;

        render_stream(&r, srv, named(&set, cases[i].name), NULL, 0);
        terminal = assert_responses_stream(&r.cap, cases[i].name);
        ck_assert_msg(strcmp(types_of(&r), cases[i].types) == 0, "%s: got\n%s\nwant\n%s",
                      cases[i].name, types_of(&r), cases[i].types);
        ck_assert(response_equals_body(terminal, r.final));
        rendered_release(&r);
    }
    {
        /* Payload details a client depends on. */
        struct rendered r;
        const json_t *ev;

        render_stream(&r, srv, named(&set, "fn"), NULL, 0);
        ev = r.cap.ev[2].json; /* output_item.added */
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "item"),
                                                           "arguments")), "");
        ck_assert(strncmp(json_string_value(json_object_get(json_object_get(ev, "item"), "id")),
                          "fc_", 3) == 0);
        ck_assert(strncmp(json_string_value(json_object_get(json_object_get(ev, "item"),
                                                            "call_id")), "call_", 5) == 0);
        ev = r.cap.ev[5].json; /* arguments.done */
        ck_assert_str_eq(json_string_value(json_object_get(ev, "arguments")), "{\"a\":1}");
        /* no name: the recorded event carries the arguments only */
        ck_assert_ptr_null(json_object_get(ev, "name"));
        rendered_release(&r);

        render_stream(&r, srv, named(&set, "cut"), NULL, 0);
        ev = json_object_get(r.cap.ev[r.cap.n - 1].json, "response");
        ck_assert_str_eq(json_string_value(json_object_get(ev, "status")), "incomplete");
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(ev, "incomplete_details"), "reason")),
                         "max_output_tokens");
        ck_assert(json_is_null(json_object_get(ev, "completed_at")));
        rendered_release(&r);

        render_stream(&r, srv, named(&set, "broken"), NULL, 0);
        ev = json_object_get(r.cap.ev[r.cap.n - 1].json, "response");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "error"), "code")),
                         "server_error");
        rendered_release(&r);
    }
    fixture_set_release(&set);
    free(srv);
}
END_TEST

/* A fixture's reasoning summary streams only when the request asks for one;
 * text, argument and summary deltas carry "obfuscation", unless
 * stream_options.include_obfuscation is false or the stream is a background
 * one (as recorded, tests/conformance/recordings). */
START_TEST(summary_and_obfuscation)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    size_t i, deltas = 0;

    load(&set, KINDS_FIXTURES);
    render_stream_for(&r, srv, named(&set, "think"),
                      "{'model':'gpt-5','input':'hi','stream':true,"
                      "'reasoning':{'summary':'auto'}}", 0);
    assert_responses_stream(&r.cap, "think with summary");
    ck_assert_str_eq(type_at(&r, 3), "response.reasoning_summary_part.added");
    ck_assert_str_eq(type_at(&r, 4), "response.reasoning_summary_text.delta");
    for (i = 0; i < r.cap.n; i++) {
        const char *t = type_at(&r, i);
        if (strstr(t, ".delta")) {
            const char *o = json_string_value(json_object_get(r.cap.ev[i].json, "obfuscation"));
            ck_assert_msg(o && o[0], "%s without obfuscation", t);
            deltas++;
        }
    }
    ck_assert_uint_gt(deltas, 1);
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_array_get(json_object_get(r.final, "output"), 0), "summary")),
                      1);
    rendered_release(&r);

    render_stream_for(&r, srv, named(&set, "think"), "{'model':'gpt-5','input':'hi'}", 0);
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_array_get(json_object_get(r.final, "output"), 0), "summary")),
                      0);
    ck_assert_str_eq(type_at(&r, 3), "response.output_item.done");
    rendered_release(&r);

    render_stream_for(&r, srv, named(&set, "msg"),
                      "{'model':'m','input':'hi','stream_options':{'include_obfuscation':false}}",
                      0);
    for (i = 0; i < r.cap.n; i++)
        ck_assert_ptr_null(json_object_get(r.cap.ev[i].json, "obfuscation"));
    rendered_release(&r);
    render_stream_for(&r, srv, named(&set, "msg"), "{'model':'m','input':'hi'}", 1);
    ck_assert_str_eq(type_at(&r, 1), "response.queued");
    for (i = 0; i < r.cap.n; i++)
        ck_assert_ptr_null(json_object_get(r.cap.ev[i].json, "obfuscation"));
    rendered_release(&r);
    /* every event: "type" first, then its keys in byte order */
    render_stream_for(&r, srv, named(&set, "fn"), "{'model':'m','input':'hi'}", 0);
    for (i = 0; i < r.cap.n; i++) {
        const char *k, *prev = NULL;
        json_t *v;
        size_t at = 0;
        json_object_foreach(r.cap.ev[i].json, k, v) {
            (void)v;
            if (at++ == 0)
                ck_assert_str_eq(k, "type");
            else if (prev)
                ck_assert_msg(strcmp(prev, k) < 0, "%s: %s before %s", type_at(&r, i), prev, k);
            if (at > 1)
                prev = k;
        }
    }
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(snapshots_and_queued)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    json_t *created, *v;
    const char *k;

    load(&set, KINDS_FIXTURES);
    render_stream(&r, srv, named(&set, "msg"), NULL, 0);
    created = json_object_get(r.cap.ev[0].json, "response");
    /* Every key of the final Response is present in the snapshot (required-but-null keys
     * too), except "billing", which the real API sends in JSON bodies only. */
    json_object_foreach(r.final, k, v) ck_assert_msg(json_object_get(created, k) != NULL ||
                                                         strcmp(k, "billing") == 0,
                                                     "snapshot lacks '%s'", k);
    ck_assert_ptr_null(json_object_get(created, "billing"));
    ck_assert_uint_eq(json_object_size(created), json_object_size(r.final) - 1);
    /* as recorded: the tier asked for while it runs ("auto" unless named), the served one
     * at the end */
    ck_assert_str_eq(json_string_value(json_object_get(created, "service_tier")), "auto");
    ck_assert_str_eq(json_string_value(json_object_get(r.final, "service_tier")), "default");
    ck_assert_str_eq(json_string_value(json_object_get(created, "id")),
                     json_string_value(json_object_get(r.final, "id")));
    ck_assert(json_is_null(json_object_get(created, "completed_at")));
    ck_assert(json_is_null(json_object_get(created, "error")));
    /* Stable item ids: added, every delta and done name the final item's id. */
    {
        const char *id = json_string_value(json_object_get(
            json_array_get(json_object_get(r.final, "output"), 0), "id"));
        size_t i;
        for (i = 3; i + 2 < r.cap.n; i++)
            ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[i].json, "item_id")), id);
    }
    rendered_release(&r);

    render_stream(&r, srv, named(&set, "msg"), NULL, 1);
    assert_responses_stream(&r.cap, "queued");
    ck_assert_str_eq(type_at(&r, 0), "response.created");
    ck_assert_str_eq(type_at(&r, 1), "response.queued");
    ck_assert_str_eq(type_at(&r, 2), "response.in_progress");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.cap.ev[0].json, "response"), "status")),
                     "queued");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.cap.ev[2].json, "response"), "status")),
                     "in_progress");
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

/* ---- Chunking and timing ----------------------------------------------- */

/* The deltas of the first message, joined with '|'. */
static char *deltas_of(const char *stream_cfg, const char *text)
{
    static char out[4096];
    char fixture[2048];
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    size_t i, n = 0;

    snprintf(fixture, sizeof(fixture),
             "{'name':'c','response':{'output':[{'type':'message','text':'%s'}]},'stream':%s}",
             text, stream_cfg);
    load(&set, fixture);
    render_stream(&r, srv, named(&set, "c"), NULL, 0);
    assert_responses_stream(&r.cap, stream_cfg);
    out[0] = '\0';
    for (i = 0; i < r.cap.n; i++)
        if (strcmp(type_at(&r, i), "response.output_text.delta") == 0)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? "|" : "",
                                  json_string_value(json_object_get(r.cap.ev[i].json, "delta")));
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
    return out;
}

START_TEST(chunking_words_and_chars)
{
    ck_assert_str_eq(deltas_of("{}", "Hello brave new world"), "Hello| brave| new| world");
    ck_assert_str_eq(deltas_of("{'chunk':'words','chunk_size':2}", "Hello brave new world"),
                     "Hello brave| new world");
    ck_assert_str_eq(deltas_of("{'chunk':'words','chunk_size':3}", "one two three four"),
                     "one two three| four");
    ck_assert_str_eq(deltas_of("{'chunk':'chars','chunk_size':5}", "abcdefghijkl"),
                     "abcde|fghij|kl");
    ck_assert_str_eq(deltas_of("{'chunk':'chars'}", "abc"), "a|b|c");
    /* Characters, not bytes: multi-byte UTF-8 is never split. */
    ck_assert_str_eq(deltas_of("{'chunk':'chars','chunk_size':2}", "h\xc3\xa9llo \xe2\x82\xac!"),
                     "h\xc3\xa9|ll|o |\xe2\x82\xac!");
    ck_assert_str_eq(deltas_of("{'chunk':'words','chunk_size':100}", "all in one"),
                     "all in one");
}
END_TEST

/* Frame delays of a rendered stream. */
static void delays_of(const char *stream_cfg, unsigned *out, size_t *n)
{
    char fixture[1024];
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    size_t i;

    snprintf(fixture, sizeof(fixture),
             "{'name':'t','response':{'output':[{'type':'message','text':'a b c d e f g h i j k l "
             "m n o p'}]},'stream':%s}",
             stream_cfg);
    load(&set, fixture);
    render_stream(&r, srv, named(&set, "t"), NULL, 0);
    for (i = 0; i < r.ev->n; i++)
        out[i] = r.ev->v[i].delay_ms;
    *n = r.ev->n;
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}

START_TEST(timing_fixed_and_jitter)
{
    unsigned a[64], b[64], c[64];
    size_t na, nb, nc, i;
    int differ = 0, varied = 0;

    delays_of("{'first_event_ms':250,'delay_ms':40}", a, &na);
    ck_assert_uint_eq(na, 24);
    ck_assert_uint_eq(a[0], 250);
    for (i = 1; i < na; i++)
        ck_assert_uint_eq(a[i], 40);

    delays_of("{'first_event_ms':300,'delay_ms':40,'jitter_ms':20,'seed':7}", a, &na);
    delays_of("{'first_event_ms':300,'delay_ms':40,'jitter_ms':20,'seed':7}", b, &nb);
    delays_of("{'first_event_ms':300,'delay_ms':40,'jitter_ms':20,'seed':8}", c, &nc);
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_eq(a[0], 300);
    for (i = 1; i < na; i++) {
        ck_assert_uint_eq(a[i], b[i]); /* same seed, same pacing */
        ck_assert_uint_ge(a[i], 20);
        ck_assert_uint_le(a[i], 60);
        differ |= a[i] != c[i];
        varied |= a[i] != a[1];
    }
    ck_assert_msg(differ, "another seed gives the same jitter");
    ck_assert_msg(varied, "jitter never varies");
    /* Jitter larger than the delay clamps at 0. */
    delays_of("{'delay_ms':5,'jitter_ms':50,'seed':3}", a, &na);
    for (i = 1; i < na; i++)
        ck_assert_uint_le(a[i], 55);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render_events");

    add_tcase(s, tcase_create("shipped"), 60, NULL, NULL, shipped_fixtures_stream_invariants);
    add_tcase(s, tcase_create("order"), 60, NULL, NULL, event_order_per_kind, summary_and_obfuscation, snapshots_and_queued);
    add_tcase(s, tcase_create("timing"), 60, NULL, NULL, chunking_words_and_chars,
              timing_fixed_and_jitter);
    return s;
}
