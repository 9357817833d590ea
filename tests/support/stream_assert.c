/* stream_assert: SSE capture, and stream assertions that run the one stream
 * checker (client/stream_check.c) plus respmock's own promises (see
 * stream_assert.h). */
#include "stream_assert.h"
#include "test_support.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "sse.h"
#include "stream_check.h"

#define SA_MAX_EVENT (16u * 1024 * 1024)
#define SA_MAX_BODY (256u * 1024 * 1024)

/* ---- Capture ---------------------------------------------------------- */

struct capture_ctx {
    struct sse_capture *c;
    double now_s;
};

static int on_event(const struct sse_event *ev, void *user)
{
    struct capture_ctx *x = user;
    struct sse_capture *c = x->c;
    struct sse_captured *e;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct sse_captured *v = realloc(c->ev, cap * sizeof(*v));
        ck_assert_ptr_nonnull(v);
        c->ev = v;
        c->cap = cap;
    }
    e = &c->ev[c->n++];
    memset(e, 0, sizeof(*e));
    e->event = ev->event ? strdup(ev->event) : NULL;
    e->data = strndup(ev->data, ev->data_len);
    e->json = json_loadb(ev->data, ev->data_len, 0, NULL);
    if (e->json && !json_is_object(e->json)) {
        json_decref(e->json);
        e->json = NULL;
    }
    e->at_s = x->now_s;
    return 0;
}

void sse_capture_bytes(struct sse_capture *c, const char *bytes, size_t len)
{
    struct sse_parser p;
    struct capture_ctx x = {c, 0};

    memset(c, 0, sizeof(*c));
    sse_parser_init(&p, SA_MAX_EVENT);
    if (sse_parser_feed(&p, bytes, len, on_event, &x) < 0)
        c->parse_error = 1;
    c->unterminated = sse_parser_finish(&p, on_event, &x);
    sse_parser_release(&p);
}

void sse_capture_release(struct sse_capture *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->ev[i].event);
        free(c->ev[i].data);
        json_decref(c->ev[i].json);
    }
    free(c->ev);
    memset(c, 0, sizeof(*c));
}

static const char *ev_type(const struct sse_captured *e)
{
    json_t *t = json_object_get(e->json, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

long sse_capture_find(const struct sse_capture *c, const char *type, size_t from)
{
    size_t i;

    for (i = from; i < c->n; i++)
        if (ev_type(&c->ev[i]) && strcmp(ev_type(&c->ev[i]), type) == 0)
            return (long)i;
    return -1;
}

size_t sse_capture_count(const struct sse_capture *c, const char *type)
{
    size_t i, n = 0;

    for (i = 0; i < c->n; i++)
        if (ev_type(&c->ev[i]) && strcmp(ev_type(&c->ev[i]), type) == 0)
            n++;
    return n;
}

/* ---- Stream invariants ------------------------------------------------ */

/* The invariants themselves are client/stream_check.c's: the one checker
 * that respsmoke also runs against real endpoints. What follows feeds it the
 * captured events and then asserts, on top, only what respmock promises
 * beyond the contract (exact numbering, one-line frames, empty snapshots). */

static long integer(const json_t *o, const char *k, const char *where, size_t i)
{
    json_t *v = json_object_get(o, k);

    ck_assert_msg(json_is_integer(v), "%s: event %zu: '%s' is not an integer", where, i, k);
    return (long)json_integer_value(v);
}

/* Run stream_check over the captured events of 'c' (only those whose data
 * is a JSON object when 'json_only') and finish it into 'rep'; the caller
 * releases 'sc'. */
static void check_captured(struct stream_check *sc, struct stream_report *rep,
                           enum stream_kind kind, unsigned expect, const struct sse_capture *c,
                           int json_only)
{
    size_t i;

    stream_check_init(sc, kind);
    stream_check_expect(sc, expect);
    for (i = 0; i < c->n; i++) {
        struct sse_event ev;

        if (json_only && !c->ev[i].json)
            continue;
        ev.event = c->ev[i].event;
        ev.data = c->ev[i].data;
        ev.data_len = strlen(c->ev[i].data);
        ev.raw_bytes = 0;
        stream_check_event(sc, &ev);
    }
    stream_check_finish(sc, rep);
}

#define ALL_INVARIANTS ((1u << STREAM_INV_COUNT) - 1)

/* Assert that every invariant of 'mask' (bits of enum stream_inv) held. */
static void assert_verdicts(const struct stream_report *rep, unsigned mask, const char *where)
{
    int i;

    for (i = 0; i < STREAM_INV_COUNT; i++)
        if (mask & (1u << i))
            ck_assert_msg(rep->inv[i].state != 0, "%s: %s: %s", where,
                          stream_check_inv_name((enum stream_inv)i), rep->inv[i].reason);
}

/* respmock's framing beyond the contract: an event: line on every event,
 * one-line JSON data, sequence_number exactly 0..n-1 and no [DONE]; events
 * that are not JSON objects are skipped when 'allow_malformed'. Returns the
 * number of JSON events. */
static size_t assert_respmock_framing(const struct sse_capture *c, int allow_malformed,
                                      const char *where)
{
    size_t i, seq = 0;

    ck_assert_msg(!c->parse_error, "%s: SSE parser failed", where);
    for (i = 0; i < c->n; i++) {
        const struct sse_captured *e = &c->ev[i];

        ck_assert_msg(!contract_is_chat_done(e->data, strlen(e->data)),
                      "%s: Responses stream sent " RM_CHAT_DONE, where);
        if (!e->json) {
            ck_assert_msg(allow_malformed, "%s: event %zu: data is not a JSON object: %.200s",
                          where, i, e->data);
            continue;
        }
        ck_assert_msg(strchr(e->data, '\n') == NULL, "%s: event %zu: data spans lines", where, i);
        ck_assert_msg(e->event != NULL, "%s: event %zu: no event: line", where, i);
        ck_assert_msg(integer(e->json, "sequence_number", where, i) == (long)seq,
                      "%s: event %zu: sequence_number %ld, want %zu", where, i,
                      integer(e->json, "sequence_number", where, i), seq);
        seq++;
    }
    return seq;
}

size_t assert_responses_framing(const struct sse_capture *c, int allow_malformed,
                                const char *where)
{
    struct stream_check sc;
    struct stream_report rep;
    size_t n = assert_respmock_framing(c, allow_malformed, where);

    if (n == 0)
        return 0;
    check_captured(&sc, &rep, STREAM_RESPONSES, STREAM_EXPECT_ANY_END, c, 1);
    stream_check_release(&sc);
    assert_verdicts(&rep, (1u << STREAM_INV_FRAMING) | (1u << STREAM_INV_SEQUENCE), where);
    return n;
}

static int is_snapshot(const char *t)
{
    return strcmp(t, RM_EV_CREATED) == 0 || strcmp(t, RM_EV_QUEUED) == 0 ||
           strcmp(t, RM_EV_IN_PROGRESS) == 0;
}

/* respmock's Responses stream beyond the contract, per event: snapshots with
 * a resp_ id, output [] and usage null; response.in_progress before anything
 * else; every other non-terminal event item-scoped; added items empty and
 * in_progress; items done in output order; function_call_arguments.done
 * with its arguments. */
static void assert_respmock_events(const struct sse_capture *c, const struct stream_check *sc,
                                   const char *where)
{
    (void)sc;
    size_t i, done = 0;
    int in_progress = 0;

    for (i = 0; i < c->n; i++) {
        const json_t *ev = c->ev[i].json;
        const char *t = json_util_str(ev, "type");
        json_t *r = json_object_get(ev, "response"), *item = json_object_get(ev, "item");
        const char *id = json_util_str(r, "id");
        long oi;

        if (is_snapshot(t)) {
            ck_assert_msg(id && strncmp(id, RM_ID_RESPONSE, strlen(RM_ID_RESPONSE)) == 0,
                          "%s: event %zu: response.id", where, i);
            ck_assert_msg(json_is_array(json_object_get(r, "output")) &&
                              json_array_size(json_object_get(r, "output")) == 0,
                          "%s: event %zu: snapshot output is not []", where, i);
            ck_assert_msg(json_is_null(json_object_get(r, "usage")),
                          "%s: event %zu: usage not null", where, i);
            in_progress |= strcmp(t, RM_EV_IN_PROGRESS) == 0;
            continue;
        }
        ck_assert_msg(in_progress, "%s: event %zu: %s before " RM_EV_IN_PROGRESS, where, i, t);
        if (contract_event_ends_stream(t))
            continue;
        oi = integer(ev, "output_index", where, i);
        if (strcmp(t, RM_EV_ITEM_ADDED) == 0) {
            if (strcmp(json_util_str(item, "type"), RM_ITEM_MESSAGE) == 0)
                ck_assert_msg(json_array_size(json_object_get(item, "content")) == 0,
                              "%s: event %zu: added message has content", where, i);
            if (json_util_str(item, "status"))
                ck_assert_msg(strcmp(json_util_str(item, "status"), RM_STATUS_IN_PROGRESS) == 0,
                              "%s: event %zu: added item status %s", where, i,
                              json_util_str(item, "status"));
        } else if (strcmp(t, RM_EV_ITEM_DONE) == 0) {
            ck_assert_msg(oi == (long)done++, "%s: event %zu: output_item.done of output_index "
                          "%ld out of order", where, i, oi);
        } else if (strcmp(t, RM_EV_ARGS_DONE) == 0) {
            /* the arguments; rendered streams, as the real API, have no name
             * there (test_render_events checks it; recorded transcripts
             * replay what they hold) */
            ck_assert_msg(json_util_str(ev, "arguments"), "%s: event %zu: arguments.done has no "
                          "arguments", where, i);
        }
    }
}

/* respmock's items beyond the contract, from what the checker built: no
 * more than it tracks (so nothing went unchecked), content parts only on
 * messages (output_text or refusal parts) and reasoning items (reasoning_text). */
static void assert_respmock_items(const struct stream_check *sc, const char *where)
{
    size_t i, j;

    ck_assert_msg(sc->n_items <= SMOKE_STREAM_ITEMS, "%s: %zu items, more than the checker "
                  "tracks", where, sc->n_items);
    for (i = 0; i < sc->n_items; i++) {
        const struct stream_item *it = &sc->items[i];

        ck_assert_msg(it->n_parts <= SMOKE_STREAM_PARTS && it->n_summary <= SMOKE_STREAM_PARTS,
                      "%s: output[%zu] has more parts than the checker tracks", where, i);
        int reasoning = strcmp(it->type, RM_ITEM_REASONING) == 0;

        ck_assert_msg(it->n_parts == 0 || strcmp(it->type, RM_ITEM_MESSAGE) == 0 || reasoning,
                      "%s: output[%zu]: content part on a %s", where, i, it->type);
        for (j = 0; j < it->n_parts; j++)
            ck_assert_msg(reasoning ? strcmp(it->parts[j].type, RM_PART_REASONING_TEXT) == 0
                                    : strcmp(it->parts[j].type, RM_PART_OUTPUT_TEXT) == 0 ||
                                          strcmp(it->parts[j].type, RM_PART_REFUSAL) == 0,
                          "%s: output[%zu].content[%zu] is a %s part", where, i, j,
                          it->parts[j].type);
    }
}

json_t *assert_responses_stream(const struct sse_capture *c, const char *where)
{
    struct stream_check sc;
    struct stream_report rep;
    json_t *terminal;

    ck_assert_msg(!c->unterminated, "%s: the last event has no trailing blank line", where);
    ck_assert_msg(c->n >= 3, "%s: only %zu events", where, c->n);
    assert_respmock_framing(c, 0, where);
    check_captured(&sc, &rep, STREAM_RESPONSES, STREAM_EXPECT_ANY_END, c, 0);
    assert_verdicts(&rep, ALL_INVARIANTS, where);
    ck_assert_msg(rep.unknown_events == 0, "%s: %zu events of unknown type, the first %s", where,
                  rep.unknown_events, rep.first_unknown);
    assert_respmock_events(c, &sc, where);
    assert_respmock_items(&sc, where);
    stream_check_release(&sc);
    terminal = json_object_get(c->ev[c->n - 1].json, "response");
    if (strcmp(json_util_str(terminal, "status"), RM_STATUS_COMPLETED) == 0)
        ck_assert_msg(json_is_object(json_object_get(terminal, "usage")),
                      "%s: completed without usage", where);
    return terminal;
}

/* respmock's chat stream beyond the contract: data-only frames, a chatcmpl-
 * id, one choice at index 0, nothing but the usage chunk after the finishing
 * chunk, and no usage key at all without include_usage. */
static void assert_respmock_chunks(const struct sse_capture *c, int include_usage,
                                   const char *where)
{
    size_t i;
    int finished = 0;

    for (i = 0; i + 1 < c->n; i++) {
        const json_t *ch = c->ev[i].json;
        json_t *choices = json_object_get(ch, "choices");
        json_t *choice = json_array_get(choices, 0);

        ck_assert_msg(c->ev[i].event == NULL, "%s: chunk %zu has an event: line", where, i);
        if (i == 0)
            ck_assert_msg(strncmp(json_util_str(ch, "id"), RM_ID_CHAT, strlen(RM_ID_CHAT)) == 0,
                          "%s: chunk id", where);
        if (!include_usage)
            ck_assert_msg(json_object_get(ch, "usage") == NULL,
                          "%s: chunk %zu: usage without include_usage", where, i);
        if (json_array_size(choices) == 0)
            continue;
        ck_assert_msg(json_array_size(choices) == 1 &&
                          json_integer_value(json_object_get(choice, "index")) == 0,
                      "%s: chunk %zu: choice index", where, i);
        ck_assert_msg(!finished, "%s: chunk %zu after the finish_reason chunk", where, i);
        finished = json_util_str(choice, "finish_reason") != NULL;
    }
}

void assert_chat_stream(const struct sse_capture *c, int include_usage,
                        struct chat_stream_summary *s, const char *where)
{
    struct stream_check sc;
    struct stream_report rep;
    const struct stream_choice *c0 = &sc.choices[0];
    size_t k;

    memset(s, 0, sizeof(*s));
    ck_assert_msg(!c->parse_error && !c->unterminated, "%s: bad SSE framing", where);
    ck_assert_msg(c->n >= 3, "%s: only %zu events", where, c->n);
    check_captured(&sc, &rep, STREAM_CHAT,
                   include_usage ? STREAM_EXPECT_USAGE : STREAM_EXPECT_NO_USAGE, c, 0);
    assert_verdicts(&rep, ALL_INVARIANTS, where);
    ck_assert_msg(rep.unknown_events == 0, "%s: %zu chunks that are not part of the completion",
                  where, rep.unknown_events);
    assert_respmock_chunks(c, include_usage, where);
    ck_assert_msg(c0->n_tools <= SMOKE_STREAM_TOOL_CALLS,
                  "%s: %zu tool calls, more than the checker tracks", where, c0->n_tools);
    s->content = strdup(c0->text.data ? c0->text.data : "");
    s->refusal = c0->refusal_deltas ? strdup(c0->refusal.data ? c0->refusal.data : "") : NULL;
    s->finish_reason = strdup(c0->finish_reason);
    s->tool_calls = json_array();
    for (k = 0; k < c0->n_tools; k++)
        json_array_append_new(s->tool_calls,
                              json_pack("{s:s, s:s, s:s}", "id", c0->tools[k].id, "name",
                                        c0->tools[k].name, "arguments",
                                        c0->tools[k].args.data ? c0->tools[k].args.data : ""));
    s->usage = json_incref(sc.usage);
    s->chunks = sc.chunks - sc.usage_chunks;
    stream_check_release(&sc);
}

void chat_stream_summary_release(struct chat_stream_summary *s)
{
    free(s->content);
    free(s->refusal);
    free(s->finish_reason);
    json_decref(s->tool_calls);
    json_decref(s->usage);
    memset(s, 0, sizeof(*s));
}

/* ---- Normalising ------------------------------------------------------ */

/* The generated-id prefix 's' starts with (a response's ids, or req_), or NULL. */
static const char *generated_prefix(const char *s)
{
    const char *const *p;

    for (p = contract_response_id_prefixes; *p; p++)
        if (strncmp(s, *p, strlen(*p)) == 0)
            return *p;
    return strncmp(s, RM_ID_REQUEST, strlen(RM_ID_REQUEST)) == 0 ? RM_ID_REQUEST : NULL;
}

static json_t *normalise(const json_t *v, json_t *map)
{
    if (json_is_object(v)) {
        json_t *o = json_object(), *m;
        const char *k;

        json_object_foreach((json_t *)v, k, m) {
            if ((strcmp(k, "created_at") == 0 || strcmp(k, "completed_at") == 0 ||
                 strcmp(k, "created") == 0) &&
                json_is_integer(m))
                json_object_set_new(o, k, json_integer(0));
            else
                json_object_set_new(o, k, normalise(m, map));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array(), *m;
        size_t i;

        json_array_foreach(v, i, m) json_array_append_new(a, normalise(m, map));
        return a;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        const char *p = generated_prefix(s);
        size_t n = p ? strlen(p) : 0, j;

        if (p && s[n]) {
            for (j = n; s[j] && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-');
                 j++)
                ;
            if (!s[j]) {
                if (!json_object_get(map, s)) {
                    char name[64];
                    snprintf(name, sizeof(name), "%s#%zu", p, json_object_size(map) + 1);
                    json_object_set_new(map, s, json_string(name));
                }
                return json_incref(json_object_get(map, s));
            }
        }
    }
    return json_deep_copy(v);
}

json_t *normalise_generated(const json_t *v)
{
    json_t *map = json_object(), *out = normalise(v, map);

    json_decref(map);
    return out;
}

/* ---- HTTP ------------------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sse_http_ctx {
    struct sse_http *r;
    struct sse_parser p;
    struct capture_ctx x;
    double t0;
};

/* Each body chunk as it arrives: note the time and parse it. */
static void sh_chunk(const char *ptr, size_t len, void *user)
{
    struct sse_http_ctx *h = user;

    h->x.now_s = mono_s() - h->t0;
    if (h->r->first_byte_s < 0 && len)
        h->r->first_byte_s = h->x.now_s;
    if (sse_parser_feed(&h->p, ptr, len, on_event, &h->x) < 0)
        h->r->cap.parse_error = 1;
}

int sse_http_post(const char *url, const char *body, const char *const *headers,
                  long timeout_s, struct sse_http *out)
{
    return sse_http_request("POST", url, body, headers, timeout_s, out);
}

int sse_http_request(const char *method, const char *url, const char *body,
                     const char *const *headers, long timeout_s, struct sse_http *out)
{
    struct sse_http_ctx h;
    struct http_result hr;

    memset(out, 0, sizeof(*out));
    out->first_byte_s = -1;
    memset(&h, 0, sizeof(h));
    h.r = out;
    h.x.c = &out->cap;
    sse_parser_init(&h.p, SA_MAX_EVENT);
    h.t0 = mono_s();
    http_request_stream(method, url, body, headers, timeout_s, sh_chunk, &h, &hr);
    out->total_s = mono_s() - h.t0;
    out->curl_rc = hr.curl_rc;
    out->status = hr.status;
    out->cap.unterminated = sse_parser_finish(&h.p, on_event, &h.x);
    sse_parser_release(&h.p);
    out->body = hr.body;
    out->body_len = hr.body_len;
    out->headers = hr.headers;
    return out->curl_rc == 0 ? 0 : -1;
}

void sse_http_release(struct sse_http *r)
{
    sse_capture_release(&r->cap);
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

char *read_text_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[65536];
    size_t n;

    if (!f)
        return NULL;
    buf_init(&b, SA_MAX_BODY);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, n)) {
            fclose(f);
            buf_release(&b);
            return NULL;
        }
    fclose(f);
    return buf_take(&b, len);
}

int response_equals_body(const json_t *streamed, const json_t *body)
{
    json_t *b;
    int eq;

    if (!json_is_object(body) || !json_is_object(json_object_get(body, "billing")) ||
        json_object_get(streamed, "billing"))
        return 0;
    b = json_copy((json_t *)body);
    json_object_del(b, "billing");
    eq = json_equal((json_t *)streamed, b);
    json_decref(b);
    return eq;
}
