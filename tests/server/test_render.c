/* Unit tests for server/render.c (no socket): render_response(),
 * render_response_stream(), render_transcript_stream(), render_chat() and
 * render_chat_stream() over fixtures loaded from text or from the shipped
 * fixtures/. Every stream is parsed with the shared SSE parser and checked
 * with tests/support/stream_assert.c: event == type, sequence_number
 * 0..n-1, stable item ids, output_index order, parts before deltas, deltas
 * == .done text == final text, one terminal event equal to the JSON body.
 * Then every fault kind, chunking by words/characters and seeded jitter. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "render.h"
#include "server.h"
#include "stream.h"
#include "stream_assert.h"
#include "test_support.h"

/* ---- Helpers ---------------------------------------------------------- */

static struct rm_server *fake_server(void)
{
    struct rm_server *srv = calloc(1, sizeof(*srv));

    ck_assert_ptr_nonnull(srv);
    server_config_defaults(&srv->cfg);
    srv->id_seed = 0x5eed;
    atomic_init(&srv->id_counter, 0);
    atomic_init(&srv->stopping, 0);
    return srv;
}

/* Fixtures from JSON text written with ' for ". */
static void load(struct fixture_set *set, const char *text)
{
    char *copy = strdup(text), *p;
    struct mock_error err;

    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    memset(set, 0, sizeof(*set));
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(set, copy, strlen(copy), "test.json", &err) == 0,
                  "fixture text rejected: %s:%d:%d: %s", err.file, err.line, err.column,
                  err.text);
    free(copy);
}

static const struct fixture *named(const struct fixture_set *set, const char *name)
{
    const struct fixture *fx = fixture_find(set, name);

    ck_assert_msg(fx != NULL, "no fixture %s", name);
    return fx;
}

/* One rendering: the final Response, its stream, and the parsed events. */
struct rendered {
    json_t *req;
    json_t *final;
    struct stream *s;
    char *bytes;
    size_t len;
    struct sse_capture cap;
};

static void ctx_for(struct render_ctx *rc, struct rm_server *srv, const struct fixture *fx,
                    json_t *req)
{
    memset(rc, 0, sizeof(*rc));
    rc->srv = srv;
    rc->fx = fx;
    rc->req = req;
    rc->input_tokens = 3;
}

static void render_stream(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                          const struct fx_fault *fault, int queued)
{
    struct render_ctx rc;

    memset(r, 0, sizeof(*r));
    r->req = json_pack("{s:s, s:s, s:b}", "model", "gpt-4.1-mini", "input", "hi", "stream", 1);
    ctx_for(&rc, srv, fx, r->req);
    r->final = render_response(&rc);
    ck_assert_ptr_nonnull(r->final);
    r->s = render_response_stream(&rc, r->final, fault, queued);
    ck_assert_ptr_nonnull(r->s);
    r->bytes = stream_concat(r->s, &r->len);
    sse_capture_bytes(&r->cap, r->bytes, r->len);
}

static void render_chat_stream_of(struct rendered *r, struct rm_server *srv,
                                  const struct fixture *fx, const struct fx_fault *fault,
                                  int include_usage)
{
    struct render_ctx rc;

    memset(r, 0, sizeof(*r));
    r->req = json_pack("{s:s, s:[{s:s, s:s}], s:b}", "model", "gpt-4.1-mini", "messages", "role",
                       "user", "content", "hi", "stream", 1);
    if (include_usage)
        json_object_set_new(r->req, "stream_options", json_pack("{s:b}", "include_usage", 1));
    ctx_for(&rc, srv, fx, r->req);
    r->final = render_chat(&rc);
    ck_assert_ptr_nonnull(r->final);
    r->s = render_chat_stream(&rc, r->final, fault);
    ck_assert_ptr_nonnull(r->s);
    r->bytes = stream_concat(r->s, &r->len);
    sse_capture_bytes(&r->cap, r->bytes, r->len);
}

static void render_transcript_of(struct rendered *r, struct rm_server *srv,
                                 const struct fixture *fx, const struct fx_fault *fault)
{
    memset(r, 0, sizeof(*r));
    r->s = render_transcript_stream(srv, fx, fault);
    ck_assert_ptr_nonnull(r->s);
    r->bytes = stream_concat(r->s, &r->len);
    sse_capture_bytes(&r->cap, r->bytes, r->len);
}

static void rendered_release(struct rendered *r)
{
    json_decref(r->req);
    json_decref(r->final);
    stream_free(r->s);
    free(r->bytes);
    sse_capture_release(&r->cap);
    memset(r, 0, sizeof(*r));
}

static const char *type_at(const struct rendered *r, size_t i)
{
    return json_string_value(json_object_get(r->cap.ev[i].json, "type"));
}

/* The event types, space-separated. */
static char *types_of(const struct rendered *r)
{
    static char out[8192];
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < r->cap.n && n < sizeof(out) - 100; i++) {
        const char *t = r->cap.ev[i].json ? type_at(r, i) : "(malformed)";
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", t ? t : "?");
    }
    return out;
}

static struct fx_fault fault_of(const char *spec)
{
    struct fx_fault f;
    char why[160];

    ck_assert_msg(fixture_parse_fault(spec, &f, why, sizeof(why)) == 0, "%s: %s", spec, why);
    return f;
}

/* ---- Shipped fixtures ------------------------------------------------- */

static const char *item_output_text(const json_t *item)
{
    json_t *c = json_array_get(json_object_get(item, "content"), 0);
    const char *t = json_string_value(json_object_get(c, "text"));
    return t ? t : json_string_value(json_object_get(c, "refusal"));
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
        /* The completed event carries the very object the JSON body is made of. */
        ck_assert_msg(json_equal(terminal, r.final), "%s: terminal response != JSON body",
                      fx->name);
        json_body = json_dumps(r.final, JSON_COMPACT);
        body = json_loads(json_body, 0, NULL);
        ck_assert_msg(json_equal(body, terminal), "%s: body round trip", fx->name);
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
        /* The same fixture as a chat completion and its chunk stream. */
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

#define KINDS_FIXTURES                                                                           \
    "[{'name':'msg','response':{'output':[{'type':'message','text':'Hello there world'}]}},"    \
    " {'name':'fn','response':{'output':[{'type':'function_call','name':'f',"                   \
    "   'arguments':{'a':1}}]},'stream':{'chunk':'chars','chunk_size':4}},"                      \
    " {'name':'refuse','response':{'output':[{'type':'refusal','text':'No way'}]}},"            \
    " {'name':'think','response':{'output':[{'type':'reasoning','text':'Let me see'},"          \
    "   {'type':'message','text':'Done'}]}},"                                                    \
    " {'name':'cut','response':{'status':'incomplete','output':[{'type':'message',"            \
    "   'text':'Once upon'}]}},"                                                                 \
    " {'name':'broken','response':{'status':'failed','output':[]}},"                            \
    " {'name':'raw','response':{'output':[{'type':'raw','raw':{'type':'web_search_call',"        \
    "   'status':'completed','action':{'type':'search','query':'x'}}},"                         \
    "   {'type':'message','text':'Found'}]}},"                                                   \
    " {'name':'two','response':{'output':[{'type':'function_call','name':'a'},"                 \
    "   {'type':'function_call','name':'b','arguments':'{}'}]}}]"

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
        {"think", "response.created response.in_progress response.output_item.added "
                  "response.reasoning_summary_part.added response.reasoning_summary_text.delta "
                  "response.reasoning_summary_text.delta response.reasoning_summary_text.delta "
                  "response.reasoning_summary_text.done response.reasoning_summary_part.done "
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
        ck_assert(json_equal(terminal, r.final));
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
        ck_assert_str_eq(json_string_value(json_object_get(ev, "name")), "f");
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
    /* Every key of the final Response is present in the snapshot (required-but-null keys too). */
    json_object_foreach(r.final, k, v) ck_assert_msg(json_object_get(created, k) != NULL,
                                                     "snapshot lacks '%s'", k);
    ck_assert_uint_eq(json_object_size(created), json_object_size(r.final));
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

/* ---- Faults ------------------------------------------------------------ */

#define FAULT_FIXTURES                                                                           \
    "[{'name':'plain','response':{'output':[{'type':'message','text':'a b c d e f'}]}},"        \
    " {'name':'fx-drop','response':{'output':[{'type':'message','text':'a b c'}]},"              \
    "  'stream':{'fault':{'kind':'drop','after_events':3}}},"                                     \
    " {'name':'fx-error','response':{'output':[{'type':'message','text':'a b c'}]},"             \
    "  'stream':{'fault':{'kind':'error','after_events':4,'code':'boom','message':'Bad.'}}},"     \
    " {'name':'fx-body','response':{'output':[{'type':'message','text':'a b c'}]},"              \
    "  'stream':{'fault':{'kind':'malformed_body'}}}]"

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
    ck_assert_int_eq(r.s->end_with_error, 1);
    rendered_release(&r);

    /* The fixture's own fault, and after_events 0 (nothing at all). */
    render_stream(&r, srv, named(&set, "fx-drop"), NULL, 0);
    ck_assert_uint_eq(r.cap.n, 3);
    ck_assert_int_eq(r.s->end_with_error, 1);
    rendered_release(&r);
    f = fault_of("drop");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    ck_assert_uint_eq(r.cap.n, 0);
    ck_assert_int_eq(r.s->end_with_error, 1);
    rendered_release(&r);

    /* Past the end: the whole stream, then the connection is cut. */
    f = fault_of("drop;after_events=999");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "drop past end");
    ck_assert_int_eq(r.s->end_with_error, 1);
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
    ck_assert_uint_eq(r.s->abort_after, 700);
    ck_assert_int_eq(r.s->end_with_error, 1);
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
    ck_assert_uint_eq(r.s->n, PLAIN_EVENTS);
    for (i = 0; i < r.s->n; i++)
        ck_assert_uint_eq(r.s->frames[i].delay_ms, i == 4 ? 1500u : 0u);
    ck_assert_int_eq(r.s->end_with_error, 0);
    rendered_release(&r);

    /* Past the end: an empty frame holds the connection before it closes. */
    f = fault_of("stall;after_events=100;stall_ms=800");
    render_stream(&r, srv, named(&set, "plain"), &f, 0);
    assert_responses_stream(&r.cap, "stall at end");
    ck_assert_uint_eq(r.s->n, PLAIN_EVENTS + 1);
    ck_assert_uint_eq(r.s->frames[PLAIN_EVENTS].len, 0);
    ck_assert_uint_eq(r.s->frames[PLAIN_EVENTS].delay_ms, 800);
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
    ck_assert_int_eq(r.s->end_with_error, 0);
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
        ck_assert_int_eq(r.s->end_with_error, 0); /* the stream ends cleanly after them */
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
    ck_assert_int_eq(r.s->end_with_error, 1);
    rendered_release(&r);
    /* And a request fault overrides the fixture's. */
    f = fault_of("no_terminal");
    render_stream(&r, srv, named(&set, "fx-drop"), &f, 0);
    ck_assert_int_eq(r.s->end_with_error, 0);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.output_item.done", 0), (long)r.cap.n - 1);
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
    for (i = 0; i < r.s->n; i++)
        out[i] = r.s->frames[i].delay_ms;
    *n = r.s->n;
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

/* ---- Chat -------------------------------------------------------------- */

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
    ck_assert_int_eq(r.s->end_with_error, 1);
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
    ck_assert_uint_eq(r.s->frames[2].delay_ms, 900);
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

/* ---- Transcripts ------------------------------------------------------- */

#define TRANSCRIPT_FIXTURES                                                                      \
    "[{'name':'rec','transcript':{'events':["                                                     \
    "{'event':'response.created','data':{'type':'response.created','sequence_number':0,"        \
    "  'response':{'id':'resp_R1','object':'response','status':'in_progress','output':[]}}},"  \
    "{'event':'response.output_item.added','data':{'type':'response.output_item.added',"        \
    "  'sequence_number':1,'output_index':0,'item':{'id':'fc_F1','type':'function_call',"       \
    "  'call_id':'call_C1','name':'f','arguments':''}},'delay_ms':15},"                          \
    "{'raw':'event: response.output_item.done\\ndata: {\\'type\\':\\'response.output_item.done\\',"  \
    "\\'sequence_number\\':2,\\'output_index\\':0,\\'item\\':{\\'id\\':\\'fc_F1\\',"             \
    "\\'type\\':\\'function_call\\',\\'call_id\\': \\'call_C1\\',\\'name\\':\\'f\\',"             \
    "\\'arguments\\':\\'{}\\',\\'note\\':\\'see resp_R1\\'}}\\r\\n\\r\\n'},"                      \
    "{'event':'response.completed','data':{'type':'response.completed','sequence_number':3,"    \
    "  'response':{'id':'resp_R1','object':'response','status':'completed','output':[]}}}"      \
    "]}},"                                                                                       \
    "{'name':'rec-fresh','transcript':{'fresh_ids':true,'events':["                               \
    "{'raw':'event: x\\ndata: {\\'id\\':\\'resp_R1\\',\\'call_id\\':\\'call_C1\\',"               \
    "\\'other\\':\\'call_C1\\',\\'msg\\':\\'msg_M1\\',\\'text\\':\\'resp_R1 in text\\'}\\n\\n'}"   \
    "]}}]"

START_TEST(transcript_verbatim)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    const struct fixture *fx;
    size_t i, off = 0;

    load(&set, TRANSCRIPT_FIXTURES);
    fx = named(&set, "rec");
    render_transcript_of(&r, srv, fx, NULL);
    ck_assert_uint_eq(r.s->n, fx->nframes);
    for (i = 0; i < fx->nframes; i++) {
        ck_assert_uint_eq(r.s->frames[i].len, fx->frames[i].len);
        ck_assert_int_eq(memcmp(r.bytes + off, fx->frames[i].bytes, fx->frames[i].len), 0);
        ck_assert_uint_eq(r.s->frames[i].delay_ms, fx->frames[i].delay_ms);
        off += fx->frames[i].len;
    }
    ck_assert_uint_eq(off, r.len);
    ck_assert(strstr(r.bytes, "\r\n\r\n") != NULL); /* CRLF framing kept as recorded */
    ck_assert(strstr(r.bytes, "\"call_id\": \"call_C1\"") != NULL);
    assert_responses_framing(&r.cap, 0, "transcript");
    rendered_release(&r);
    {
        json_t *final = render_transcript_final(fx);
        ck_assert_str_eq(json_string_value(json_object_get(final, "status")), "completed");
        json_decref(final);
    }
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(transcript_fresh_ids)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r1, r2;
    const json_t *d;

    load(&set, TRANSCRIPT_FIXTURES);
    render_transcript_of(&r1, srv, named(&set, "rec-fresh"), NULL);
    render_transcript_of(&r2, srv, named(&set, "rec-fresh"), NULL);
    ck_assert_uint_eq(r1.cap.n, 1);
    d = r1.cap.ev[0].json;
    ck_assert_msg(d != NULL, "rewritten frame is not JSON: %s", r1.bytes);
    /* Keys are never ids (regression: "call_id" used to be rewritten). */
    ck_assert(json_object_get(d, "call_id") != NULL);
    ck_assert(strncmp(json_string_value(json_object_get(d, "id")), "resp_", 5) == 0);
    ck_assert_str_ne(json_string_value(json_object_get(d, "id")), "resp_R1");
    ck_assert_str_ne(json_string_value(json_object_get(d, "call_id")), "call_C1");
    /* One fresh id per recorded id. */
    ck_assert_str_eq(json_string_value(json_object_get(d, "call_id")),
                     json_string_value(json_object_get(d, "other")));
    ck_assert(strncmp(json_string_value(json_object_get(d, "msg")), "msg_", 4) == 0);
    /* Text that merely mentions an id is left alone. */
    ck_assert_str_eq(json_string_value(json_object_get(d, "text")), "resp_R1 in text");
    /* Each replay gets its own ids. */
    ck_assert_str_ne(json_string_value(json_object_get(d, "id")),
                     json_string_value(json_object_get(r2.cap.ev[0].json, "id")));
    rendered_release(&r1);
    rendered_release(&r2);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(transcript_faults)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f;
    const struct fixture *fx;
    json_t *resp;

    load(&set, TRANSCRIPT_FIXTURES);
    fx = named(&set, "rec");
    f = fault_of("drop;after_events=2");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 2);
    ck_assert_int_eq(r.s->end_with_error, 1);
    rendered_release(&r);

    f = fault_of("no_terminal");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 3);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
    rendered_release(&r);

    /* Injected events continue the recorded numbering. */
    f = fault_of("error_then_failed;after_events=2");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 4);
    ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "transcript error"), 4);
    ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[2].json, "type")), "error");
    resp = json_object_get(r.cap.ev[3].json, "response");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "id")), "resp_R1");
    rendered_release(&r);

    /* Past the end it replaces the terminal frame. */
    f = fault_of("error;after_events=99");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 4);
    ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[3].json, "type")), "error");
    ck_assert_int_eq(json_integer_value(json_object_get(r.cap.ev[3].json, "sequence_number")), 3);
    rendered_release(&r);

    f = fault_of("stall;after_events=1;stall_ms=700");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.s->frames[1].delay_ms, 715);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc;

    tc = tcase_create("shipped");
    tcase_add_test(tc, shipped_fixtures_stream_invariants);
    suite_add_tcase(s, tc);
    tc = tcase_create("order");
    tcase_add_test(tc, event_order_per_kind);
    tcase_add_test(tc, snapshots_and_queued);
    suite_add_tcase(s, tc);
    tc = tcase_create("faults");
    tcase_add_test(tc, fault_drop_after_events);
    tcase_add_test(tc, fault_drop_after_bytes);
    tcase_add_test(tc, fault_stall);
    tcase_add_test(tc, fault_malformed);
    tcase_add_test(tc, fault_no_terminal);
    tcase_add_test(tc, fault_error_events);
    tcase_add_test(tc, fault_non_stream_kinds_ignored);
    suite_add_tcase(s, tc);
    tc = tcase_create("timing");
    tcase_add_test(tc, chunking_words_and_chars);
    tcase_add_test(tc, timing_fixed_and_jitter);
    suite_add_tcase(s, tc);
    tc = tcase_create("chat");
    tcase_add_test(tc, chat_json_and_stream);
    tcase_add_test(tc, chat_faults);
    suite_add_tcase(s, tc);
    tc = tcase_create("transcript");
    tcase_add_test(tc, transcript_verbatim);
    tcase_add_test(tc, transcript_fresh_ids);
    tcase_add_test(tc, transcript_faults);
    suite_add_tcase(s, tc);
    return s;
}
