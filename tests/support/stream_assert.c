/* stream_assert: SSE capture and stream invariant checks (see stream_assert.h). */
#include "stream_assert.h"
#include "test_support.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "sse.h"

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
    c->unterminated = sse_parser_finish(&p);
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

/* ---- Responses invariants --------------------------------------------- */

static int is_terminal(const char *t)
{
    return strcmp(t, "response.completed") == 0 || strcmp(t, "response.incomplete") == 0 ||
           strcmp(t, "response.failed") == 0;
}

static const char *str(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static long integer(const json_t *o, const char *k, const char *where, size_t i)
{
    json_t *v = json_object_get(o, k);

    ck_assert_msg(json_is_integer(v), "%s: event %zu: '%s' is not an integer", where, i, k);
    return (long)json_integer_value(v);
}

/* obj[key] += s */
static void acc(json_t *obj, const char *key, const char *s)
{
    const char *old = str(obj, key);
    size_t a = old ? strlen(old) : 0, b = strlen(s);
    char *n = malloc(a + b + 1);

    ck_assert_ptr_nonnull(n);
    memcpy(n, old ? old : "", a);
    memcpy(n + a, s, b + 1);
    json_object_set_new(obj, key, json_string(n));
    free(n);
}

size_t assert_responses_framing(const struct sse_capture *c, int allow_malformed,
                                const char *where)
{
    size_t i, seq = 0;

    ck_assert_msg(!c->parse_error, "%s: SSE parser failed", where);
    for (i = 0; i < c->n; i++) {
        const struct sse_captured *e = &c->ev[i];

        ck_assert_msg(strcmp(e->data, "[DONE]") != 0, "%s: Responses stream sent [DONE]", where);
        if (!e->json) {
            ck_assert_msg(allow_malformed, "%s: event %zu: data is not a JSON object: %.200s",
                          where, i, e->data);
            continue;
        }
        ck_assert_msg(strchr(e->data, '\n') == NULL, "%s: event %zu: data spans lines", where, i);
        ck_assert_msg(ev_type(e), "%s: event %zu: no type", where, i);
        ck_assert_msg(e->event && strcmp(e->event, ev_type(e)) == 0,
                      "%s: event %zu: event line '%s' != type '%s'", where, i,
                      e->event ? e->event : "(none)", ev_type(e));
        ck_assert_msg(integer(e->json, "sequence_number", where, i) == (long)seq,
                      "%s: event %zu: sequence_number %ld, want %zu", where, i,
                      integer(e->json, "sequence_number", where, i), seq);
        seq++;
    }
    return seq;
}

/* The state of the item an item-scoped event names. */
static json_t *scoped_item(json_t *items, const json_t *ev, const char *where, size_t i)
{
    long oi = integer(ev, "output_index", where, i);
    json_t *st;

    ck_assert_msg(oi >= 0 && (size_t)oi < json_array_size(items),
                  "%s: event %zu: output_index %ld was never added", where, i, oi);
    st = json_array_get(items, (size_t)oi);
    if (json_object_get(ev, "item_id"))
        ck_assert_msg(str(ev, "item_id") && strcmp(str(ev, "item_id"), str(st, "id")) == 0,
                      "%s: event %zu: item_id %s != %s of output_index %ld", where, i,
                      str(ev, "item_id") ? str(ev, "item_id") : "(none)", str(st, "id"), oi);
    ck_assert_msg(!json_is_true(json_object_get(st, "done")),
                  "%s: event %zu: item %ld is already done", where, i, oi);
    return st;
}

static json_t *indexed(json_t *st, const char *list, const json_t *ev, const char *idx_key,
                       const char *where, size_t i)
{
    json_t *arr = json_object_get(st, list);
    long k = integer(ev, idx_key, where, i);

    ck_assert_msg(k >= 0 && (size_t)k < json_array_size(arr),
                  "%s: event %zu: %s %ld was not announced (added) first", where, i, idx_key, k);
    return json_array_get(arr, (size_t)k);
}

static void check_snapshot(const json_t *r, const char *where, size_t i, int first)
{
    const char *status = str(r, "status");

    ck_assert_msg(json_is_object(r), "%s: event %zu: no response object", where, i);
    ck_assert_msg(str(r, "id") && strncmp(str(r, "id"), "resp_", 5) == 0,
                  "%s: event %zu: response.id", where, i);
    ck_assert_msg(status && (strcmp(status, "in_progress") == 0 ||
                             (first && strcmp(status, "queued") == 0)),
                  "%s: event %zu: snapshot status %s", where, i, status ? status : "(none)");
    ck_assert_msg(json_is_array(json_object_get(r, "output")) &&
                      json_array_size(json_object_get(r, "output")) == 0,
                  "%s: event %zu: snapshot output is not []", where, i);
    ck_assert_msg(json_is_null(json_object_get(r, "usage")), "%s: event %zu: usage not null",
                  where, i);
}

json_t *assert_responses_stream(const struct sse_capture *c, const char *where)
{
    json_t *items = json_array(), *done = json_array(), *terminal = NULL;
    size_t i, terminals = 0;
    int in_progress = 0;

    ck_assert_msg(!c->unterminated, "%s: the last event has no trailing blank line", where);
    ck_assert_msg(c->n >= 3, "%s: only %zu events", where, c->n);
    assert_responses_framing(c, 0, where);
    for (i = 0; i < c->n; i++) {
        const json_t *ev = c->ev[i].json;
        const char *t = ev_type(&c->ev[i]);
        json_t *st, *part;

        if (i == 0) {
            ck_assert_msg(strcmp(t, "response.created") == 0, "%s: first event is %s", where, t);
            check_snapshot(json_object_get(ev, "response"), where, i, 1);
            continue;
        }
        ck_assert_msg(strcmp(t, "error") != 0, "%s: event %zu: error event", where, i);
        ck_assert_msg(terminals == 0, "%s: event %zu (%s) after the terminal event", where, i, t);
        if (strcmp(t, "response.queued") == 0 || strcmp(t, "response.in_progress") == 0) {
            ck_assert_msg(json_array_size(items) == 0, "%s: event %zu: %s after items", where, i,
                          t);
            check_snapshot(json_object_get(ev, "response"), where, i,
                           strcmp(t, "response.queued") == 0);
            in_progress |= strcmp(t, "response.in_progress") == 0;
            continue;
        }
        ck_assert_msg(in_progress, "%s: event %zu: %s before response.in_progress", where, i, t);
        if (is_terminal(t)) {
            terminals++;
            terminal = json_object_get(ev, "response");
            continue;
        }
        if (strcmp(t, "response.output_item.added") == 0) {
            json_t *item = json_object_get(ev, "item"), *o;
            const char *id = str(item, "id"), *itype = str(item, "type");
            size_t k;

            ck_assert_msg(integer(ev, "output_index", where, i) == (long)json_array_size(items),
                          "%s: event %zu: output_index %ld, want %zu (appended in order)", where,
                          i, integer(ev, "output_index", where, i), json_array_size(items));
            ck_assert_msg(id && *id, "%s: event %zu: item without id", where, i);
            ck_assert_msg(itype, "%s: event %zu: item without type", where, i);
            json_array_foreach(items, k, o) {
                ck_assert_msg(strcmp(str(o, "id"), id) != 0, "%s: event %zu: duplicate id %s",
                              where, i, id);
                if (strcmp(itype, "function_call") == 0 && str(o, "call_id"))
                    ck_assert_msg(strcmp(str(o, "call_id"), str(item, "call_id")) != 0,
                                  "%s: event %zu: duplicate call_id", where, i);
            }
            if (strcmp(itype, "function_call") == 0)
                ck_assert_msg(str(item, "call_id") && *str(item, "call_id"),
                              "%s: event %zu: function_call without call_id", where, i);
            if (strcmp(itype, "message") == 0)
                ck_assert_msg(json_array_size(json_object_get(item, "content")) == 0,
                              "%s: event %zu: added message has content", where, i);
            if (str(item, "status"))
                ck_assert_msg(strcmp(str(item, "status"), "in_progress") == 0,
                              "%s: event %zu: added item status %s", where, i,
                              str(item, "status"));
            json_array_append_new(
                items, json_pack("{s:s, s:s, s:O, s:[], s:[], s:s, s:b, s:b}", "id", id, "type",
                                 itype, "call_id",
                                 json_object_get(item, "call_id") ? json_object_get(item, "call_id")
                                                                   : json_null(),
                                 "parts", "summary", "args", "", "args_done", 0, "done", 0));
            if (str(item, "name"))
                json_object_set_new(json_array_get(items, json_array_size(items) - 1), "name",
                                    json_string(str(item, "name")));
            continue;
        }
        st = scoped_item(items, ev, where, i);
        if (strcmp(t, "response.content_part.added") == 0) {
            json_t *p = json_object_get(ev, "part");
            ck_assert_msg(strcmp(str(st, "type"), "message") == 0,
                          "%s: event %zu: content part on a %s", where, i, str(st, "type"));
            ck_assert_msg(integer(ev, "content_index", where, i) ==
                              (long)json_array_size(json_object_get(st, "parts")),
                          "%s: event %zu: content_index out of order", where, i);
            ck_assert_msg(str(p, "type"), "%s: event %zu: part without type", where, i);
            json_array_append_new(json_object_get(st, "parts"),
                                  json_pack("{s:s, s:s, s:b, s:b}", "type", str(p, "type"),
                                            "acc", "", "text_done", 0, "done", 0));
        } else if (strcmp(t, "response.output_text.delta") == 0 ||
                   strcmp(t, "response.refusal.delta") == 0) {
            const char *want = strstr(t, "refusal") ? "refusal" : "output_text";
            part = indexed(st, "parts", ev, "content_index", where, i);
            ck_assert_msg(strcmp(str(part, "type"), want) == 0,
                          "%s: event %zu: %s into a %s part", where, i, t, str(part, "type"));
            ck_assert_msg(!json_is_true(json_object_get(part, "text_done")),
                          "%s: event %zu: delta after .done", where, i);
            ck_assert_msg(str(ev, "delta"), "%s: event %zu: no delta", where, i);
            acc(part, "acc", str(ev, "delta"));
        } else if (strcmp(t, "response.output_text.done") == 0 ||
                   strcmp(t, "response.refusal.done") == 0) {
            const char *key = strstr(t, "refusal") ? "refusal" : "text";
            part = indexed(st, "parts", ev, "content_index", where, i);
            ck_assert_msg(str(ev, key) && strcmp(str(ev, key), str(part, "acc")) == 0,
                          "%s: event %zu: %s '%s' != concatenated deltas '%s'", where, i, t,
                          str(ev, key) ? str(ev, key) : "(none)", str(part, "acc"));
            json_object_set_new(part, "text_done", json_true());
        } else if (strcmp(t, "response.content_part.done") == 0) {
            json_t *p = json_object_get(ev, "part");
            const char *key;
            part = indexed(st, "parts", ev, "content_index", where, i);
            key = strcmp(str(part, "type"), "refusal") == 0 ? "refusal" : "text";
            ck_assert_msg(json_is_true(json_object_get(part, "text_done")),
                          "%s: event %zu: content_part.done before the text .done", where, i);
            ck_assert_msg(str(p, key) && strcmp(str(p, key), str(part, "acc")) == 0,
                          "%s: event %zu: content_part.done text differs", where, i);
            json_object_set_new(part, "done", json_true());
        } else if (strcmp(t, "response.function_call_arguments.delta") == 0) {
            ck_assert_msg(strcmp(str(st, "type"), "function_call") == 0,
                          "%s: event %zu: argument delta on a %s", where, i, str(st, "type"));
            ck_assert_msg(str(ev, "delta"), "%s: event %zu: no delta", where, i);
            acc(st, "args", str(ev, "delta"));
        } else if (strcmp(t, "response.function_call_arguments.done") == 0) {
            ck_assert_msg(strcmp(str(st, "type"), "function_call") == 0,
                          "%s: event %zu: arguments.done on a %s", where, i, str(st, "type"));
            ck_assert_msg(str(ev, "arguments") &&
                              strcmp(str(ev, "arguments"), str(st, "args")) == 0,
                          "%s: event %zu: arguments != concatenated deltas", where, i);
            if (str(st, "name"))
                ck_assert_msg(str(ev, "name") && strcmp(str(ev, "name"), str(st, "name")) == 0,
                              "%s: event %zu: arguments.done name", where, i);
            json_object_set_new(st, "args_done", json_true());
        } else if (strcmp(t, "response.reasoning_summary_part.added") == 0) {
            ck_assert_msg(integer(ev, "summary_index", where, i) ==
                              (long)json_array_size(json_object_get(st, "summary")),
                          "%s: event %zu: summary_index out of order", where, i);
            json_array_append_new(json_object_get(st, "summary"),
                                  json_pack("{s:s, s:s, s:b, s:b}", "type", "summary_text", "acc",
                                            "", "text_done", 0, "done", 0));
        } else if (strcmp(t, "response.reasoning_summary_text.delta") == 0) {
            part = indexed(st, "summary", ev, "summary_index", where, i);
            ck_assert_msg(!json_is_true(json_object_get(part, "text_done")),
                          "%s: event %zu: delta after .done", where, i);
            acc(part, "acc", str(ev, "delta") ? str(ev, "delta") : "");
        } else if (strcmp(t, "response.reasoning_summary_text.done") == 0) {
            part = indexed(st, "summary", ev, "summary_index", where, i);
            ck_assert_msg(str(ev, "text") && strcmp(str(ev, "text"), str(part, "acc")) == 0,
                          "%s: event %zu: summary text != deltas", where, i);
            json_object_set_new(part, "text_done", json_true());
        } else if (strcmp(t, "response.reasoning_summary_part.done") == 0) {
            part = indexed(st, "summary", ev, "summary_index", where, i);
            ck_assert_msg(str(json_object_get(ev, "part"), "text") &&
                              strcmp(str(json_object_get(ev, "part"), "text"),
                                     str(part, "acc")) == 0,
                          "%s: event %zu: summary part.done text", where, i);
            json_object_set_new(part, "done", json_true());
        } else if (strcmp(t, "response.output_item.done") == 0) {
            json_t *item = json_object_get(ev, "item"), *p;
            size_t k;

            ck_assert_msg(str(item, "id") && strcmp(str(item, "id"), str(st, "id")) == 0,
                          "%s: event %zu: output_item.done id differs from added", where, i);
            ck_assert_msg(str(item, "type") && strcmp(str(item, "type"), str(st, "type")) == 0,
                          "%s: event %zu: output_item.done type differs", where, i);
            json_array_foreach(json_object_get(st, "parts"), k, p) {
                json_t *cp = json_array_get(json_object_get(item, "content"), k);
                const char *key = strcmp(str(p, "type"), "refusal") == 0 ? "refusal" : "text";
                ck_assert_msg(json_is_true(json_object_get(p, "done")),
                              "%s: event %zu: part %zu never done", where, i, k);
                ck_assert_msg(str(cp, key) && strcmp(str(cp, key), str(p, "acc")) == 0,
                              "%s: event %zu: item content %zu != streamed text", where, i, k);
            }
            json_array_foreach(json_object_get(st, "summary"), k, p) {
                json_t *sp = json_array_get(json_object_get(item, "summary"), k);
                ck_assert_msg(json_is_true(json_object_get(p, "done")),
                              "%s: event %zu: summary part %zu never done", where, i, k);
                ck_assert_msg(str(sp, "text") && strcmp(str(sp, "text"), str(p, "acc")) == 0,
                              "%s: event %zu: summary %zu != streamed text", where, i, k);
            }
            if (json_is_true(json_object_get(st, "args_done")))
                ck_assert_msg(str(item, "arguments") &&
                                  strcmp(str(item, "arguments"), str(st, "args")) == 0,
                              "%s: event %zu: item arguments != streamed", where, i);
            if (strcmp(str(st, "type"), "function_call") == 0)
                ck_assert_msg(json_is_string(json_object_get(item, "arguments")),
                              "%s: event %zu: arguments must be a JSON string", where, i);
            json_object_set_new(st, "done", json_true());
            json_array_append(done, item);
        }
        /* Other item-scoped events (built-in tools) only need a valid item. */
    }
    ck_assert_msg(terminals == 1, "%s: %zu terminal events", where, terminals);
    ck_assert_msg(is_terminal(ev_type(&c->ev[c->n - 1])), "%s: the last event is %s", where,
                  ev_type(&c->ev[c->n - 1]));
    ck_assert_msg(json_is_object(terminal), "%s: terminal event without response", where);
    {
        const char *t = ev_type(&c->ev[c->n - 1]), *status = str(terminal, "status");
        const char *want = strcmp(t, "response.completed") == 0    ? "completed"
                           : strcmp(t, "response.incomplete") == 0 ? "incomplete"
                                                                   : "failed";
        ck_assert_msg(status && strcmp(status, want) == 0, "%s: %s with status %s", where, t,
                      status ? status : "(none)");
        if (strcmp(want, "completed") == 0)
            ck_assert_msg(json_is_object(json_object_get(terminal, "usage")),
                          "%s: completed without usage", where);
    }
    ck_assert_msg(json_array_size(done) == json_array_size(items),
                  "%s: %zu items added, %zu done", where, json_array_size(items),
                  json_array_size(done));
    ck_assert_msg(json_equal(json_object_get(terminal, "output"), done),
                  "%s: terminal response.output != the output_item.done items", where);
    json_decref(items);
    json_decref(done);
    return terminal;
}

/* ---- Chat invariants -------------------------------------------------- */

void assert_chat_stream(const struct sse_capture *c, int include_usage,
                        struct chat_stream_summary *s, const char *where)
{
    struct buf content, refusal;
    const char *id = NULL;
    json_t *created = NULL, *model = NULL;
    size_t i, finishes = 0;
    int have_refusal = 0;

    memset(s, 0, sizeof(*s));
    s->tool_calls = json_array();
    buf_init(&content, SA_MAX_BODY);
    buf_init(&refusal, SA_MAX_BODY);
    ck_assert_msg(!c->parse_error && !c->unterminated, "%s: bad SSE framing", where);
    ck_assert_msg(c->n >= 3, "%s: only %zu events", where, c->n);
    ck_assert_msg(strcmp(c->ev[c->n - 1].data, "[DONE]") == 0, "%s: last data is not [DONE]",
                  where);
    for (i = 0; i + 1 < c->n; i++) {
        const json_t *ch = c->ev[i].json;
        json_t *choices = json_object_get(ch, "choices"), *delta, *tc;
        size_t k;

        ck_assert_msg(c->ev[i].event == NULL, "%s: chunk %zu has an event: line", where, i);
        ck_assert_msg(ch, "%s: chunk %zu is not JSON: %.200s", where, i, c->ev[i].data);
        ck_assert_msg(str(ch, "object") && strcmp(str(ch, "object"), "chat.completion.chunk") == 0,
                      "%s: chunk %zu object", where, i);
        if (!id) {
            id = str(ch, "id");
            created = json_object_get(ch, "created");
            model = json_object_get(ch, "model");
            ck_assert_msg(id && strncmp(id, "chatcmpl-", 9) == 0, "%s: chunk id", where);
        } else {
            ck_assert_msg(str(ch, "id") && strcmp(str(ch, "id"), id) == 0,
                          "%s: chunk %zu: id changed", where, i);
            ck_assert_msg(json_equal(json_object_get(ch, "created"), created) &&
                              json_equal(json_object_get(ch, "model"), model),
                          "%s: chunk %zu: created/model changed", where, i);
        }
        if (include_usage)
            ck_assert_msg(json_object_get(ch, "usage") != NULL,
                          "%s: chunk %zu: no usage key with include_usage", where, i);
        else
            ck_assert_msg(json_object_get(ch, "usage") == NULL,
                          "%s: chunk %zu: usage without include_usage", where, i);
        ck_assert_msg(json_is_array(choices), "%s: chunk %zu: choices", where, i);
        if (json_array_size(choices) == 0) {
            ck_assert_msg(include_usage && i + 2 == c->n,
                          "%s: chunk %zu: empty choices outside the final usage chunk", where, i);
            ck_assert_msg(json_is_object(json_object_get(ch, "usage")),
                          "%s: usage chunk without usage", where);
            s->usage = json_incref(json_object_get(ch, "usage"));
            continue;
        }
        if (include_usage)
            ck_assert_msg(json_is_null(json_object_get(ch, "usage")),
                          "%s: chunk %zu: usage before the end", where, i);
        ck_assert_msg(json_integer_value(json_object_get(json_array_get(choices, 0), "index")) == 0,
                      "%s: chunk %zu: choice index", where, i);
        delta = json_object_get(json_array_get(choices, 0), "delta");
        ck_assert_msg(json_is_object(delta), "%s: chunk %zu: no delta", where, i);
        if (i == 0)
            ck_assert_msg(str(delta, "role") && strcmp(str(delta, "role"), "assistant") == 0,
                          "%s: first delta has no role", where);
        ck_assert_msg(finishes == 0, "%s: chunk %zu after the finish_reason chunk", where, i);
        if (str(json_array_get(choices, 0), "finish_reason")) {
            finishes++;
            s->finish_reason = strdup(str(json_array_get(choices, 0), "finish_reason"));
        }
        if (str(delta, "content"))
            buf_append_str(&content, str(delta, "content"));
        if (str(delta, "refusal")) {
            have_refusal = 1;
            buf_append_str(&refusal, str(delta, "refusal"));
        }
        json_array_foreach(json_object_get(delta, "tool_calls"), k, tc) {
            json_t *idx = json_object_get(tc, "index"), *fn = json_object_get(tc, "function");
            json_t *slot;
            size_t n;

            ck_assert_msg(json_is_integer(idx), "%s: chunk %zu: tool call without index", where,
                          i);
            n = (size_t)json_integer_value(idx);
            ck_assert_msg(n <= json_array_size(s->tool_calls),
                          "%s: chunk %zu: tool call index %zu skips", where, i, n);
            if (n == json_array_size(s->tool_calls)) {
                ck_assert_msg(str(tc, "id") && str(fn, "name"),
                              "%s: chunk %zu: first delta of tool call %zu lacks id/name", where,
                              i, n);
                json_array_append_new(s->tool_calls,
                                      json_pack("{s:s, s:s, s:s}", "id", str(tc, "id"), "name",
                                                str(fn, "name"), "arguments", ""));
            }
            slot = json_array_get(s->tool_calls, n);
            if (str(fn, "arguments"))
                acc(slot, "arguments", str(fn, "arguments"));
        }
        s->chunks++;
    }
    ck_assert_msg(finishes == 1, "%s: %zu finish_reason chunks", where, finishes);
    ck_assert_msg(!include_usage || s->usage, "%s: include_usage but no usage chunk", where);
    s->content = buf_take(&content, NULL);
    s->refusal = have_refusal ? buf_take(&refusal, NULL) : NULL;
    buf_release(&refusal);
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

static const char *const gen_prefixes[] = {"resp_", "msg_", "fc_", "call_", "rs_",
                                           "chatcmpl-", "req_", NULL};

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
        const char *const *p;

        for (p = gen_prefixes; *p; p++) {
            size_t n = strlen(*p), j;
            if (strncmp(s, *p, n) != 0 || !s[n])
                continue;
            for (j = n; s[j] && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-');
                 j++)
                ;
            if (s[j])
                continue;
            if (!json_object_get(map, s)) {
                char name[64];
                snprintf(name, sizeof(name), "%s#%zu", *p, json_object_size(map) + 1);
                json_object_set_new(map, s, json_string(name));
            }
            return json_incref(json_object_get(map, s));
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
    struct sse_http_ctx h;
    struct http_result hr;

    memset(out, 0, sizeof(*out));
    out->first_byte_s = -1;
    memset(&h, 0, sizeof(h));
    h.r = out;
    h.x.c = &out->cap;
    sse_parser_init(&h.p, SA_MAX_EVENT);
    h.t0 = mono_s();
    http_request_stream("POST", url, body, headers, timeout_s, sh_chunk, &h, &hr);
    out->total_s = mono_s() - h.t0;
    out->curl_rc = hr.curl_rc;
    out->status = hr.status;
    out->cap.unterminated = sse_parser_finish(&h.p);
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
