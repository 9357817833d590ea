/* render: Response / Chat Completion objects and their event streams from a
 * fixture (see render.h). */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_util.h"
#include "limits.h"
#include "sse.h"

long render_count_tokens(const char *text)
{
    size_t n = text ? strlen(text) : 0;

    return (long)((n + 3) / 4);
}

/* Copy 'key' from the request or use 'dflt' (stolen) when absent or null. */
static void echo(json_t *out, const json_t *req, const char *key, json_t *dflt)
{
    json_t *v = json_object_get(req, key);

    if (v && !json_is_null(v)) {
        json_object_set(out, key, v);
        json_decref(dflt);
    } else {
        json_object_set_new(out, key, dflt);
    }
}

/* Tools as the real API echoes them: function tools gain description and
 * strict (Responses defaults to strict mode). */
static json_t *normalise_tools(const json_t *tools)
{
    json_t *out = json_array(), *t;
    size_t i;

    json_array_foreach(tools, i, t) {
        json_t *c = json_deep_copy(t);

        if (json_is_object(c) && json_util_str(c, "type") &&
            strcmp(json_util_str(c, "type"), "function") == 0) {
            json_t *fn = json_object();
            json_object_set_new(fn, "type", json_string("function"));
            json_object_set(fn, "name", json_object_get(c, "name"));
            json_object_set(fn, "description", json_object_get(c, "description")
                                                   ? json_object_get(c, "description")
                                                   : json_null());
            json_object_set(fn, "parameters", json_object_get(c, "parameters")
                                                  ? json_object_get(c, "parameters")
                                                  : json_null());
            json_object_set_new(fn, "strict",
                                json_is_boolean(json_object_get(c, "strict"))
                                    ? json_incref(json_object_get(c, "strict"))
                                    : json_true());
            json_decref(c);
            c = fn;
        }
        json_array_append_new(out, c);
    }
    return out;
}

static json_t *output_text_part(const char *text)
{
    return json_pack("{s:s, s:s, s:[], s:[]}", "type", "output_text", "text", text,
                     "annotations", "logprobs");
}

/* One output item with fresh ids. 'status' is the item status. */
static json_t *render_item(struct rm_server *srv, const struct fx_item *it, const char *status)
{
    char id[64], call[64];

    switch (it->type) {
    case FX_ITEM_MESSAGE:
        server_new_id(srv, "msg_", 32, id, sizeof(id));
        return json_pack("{s:s, s:s, s:s, s:s, s:[o]}", "id", id, "type", "message", "status",
                         status, "role", "assistant", "content", output_text_part(it->text));
    case FX_ITEM_REFUSAL:
        server_new_id(srv, "msg_", 32, id, sizeof(id));
        return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "id", id, "type", "message",
                         "status", status, "role", "assistant", "content", "type", "refusal",
                         "refusal", it->text);
    case FX_ITEM_FUNCTION_CALL:
        server_new_id(srv, "fc_", 32, id, sizeof(id));
        server_new_id(srv, "call_", 24, call, sizeof(call));
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "type", "function_call",
                         "status", "completed", "arguments", it->text, "call_id", call, "name",
                         it->name);
    case FX_ITEM_REASONING:
        server_new_id(srv, "rs_", 32, id, sizeof(id));
        return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "id", id, "type", "reasoning", "summary",
                         "type", "summary_text", "text", it->text);
    case FX_ITEM_RAW: {
        json_t *c = json_deep_copy(it->raw);
        if (!json_object_get(c, "id")) {
            server_new_id(srv, "item_", 32, id, sizeof(id));
            json_object_set_new(c, "id", json_string(id));
        }
        return c;
    }
    }
    return NULL;
}

/* Text an output item contributes to output_tokens. */
static const char *item_text(const struct fx_item *it)
{
    return it->type == FX_ITEM_RAW ? "" : it->text;
}

json_t *render_response(const struct render_ctx *rc)
{
    const struct fixture *fx = rc->fx;
    const json_t *req = rc->req;
    const char *status = fx->status ? fx->status : "completed";
    const char *item_status = strcmp(status, "incomplete") == 0 ? "incomplete" : "completed";
    json_t *r = json_object(), *output = json_array(), *text, *reasoning, *tools;
    char id[64];
    long out_tokens = 0, reasoning_tokens = 0, in_tokens;
    const char *tier;
    size_t i;
    int64_t now = server_unix_time();

    server_new_id(rc->srv, "resp_", 48, id, sizeof(id));
    for (i = 0; i < fx->nitems; i++) {
        long t = render_count_tokens(item_text(&fx->items[i]));

        json_array_append_new(output, render_item(rc->srv, &fx->items[i], item_status));
        if (fx->items[i].type == FX_ITEM_REASONING)
            reasoning_tokens += t;
        out_tokens += t;
    }
    if (fx->usage_out >= 0)
        out_tokens = fx->usage_out;
    if (fx->usage_reasoning >= 0)
        reasoning_tokens = fx->usage_reasoning;
    in_tokens = fx->usage_in >= 0 ? fx->usage_in : rc->input_tokens;

    json_object_set_new(r, "id", json_string(id));
    json_object_set_new(r, "object", json_string("response"));
    json_object_set_new(r, "created_at", json_integer(now));
    json_object_set_new(r, "status", json_string(status));
    json_object_set_new(r, "background", json_boolean(rc->background));
    json_object_set_new(r, "completed_at",
                        strcmp(status, "completed") == 0 ? json_integer(now) : json_null());
    if (strcmp(status, "failed") == 0)
        json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", "server_error", "message",
                                                  "The model failed to generate a response."));
    else
        json_object_set_new(r, "error", json_null());
    json_object_set_new(r, "incomplete_details",
                        strcmp(status, "incomplete") == 0
                            ? json_pack("{s:s}", "reason", fx->incomplete_reason
                                                               ? fx->incomplete_reason
                                                               : "max_output_tokens")
                            : json_null());
    echo(r, req, "instructions", json_null());
    echo(r, req, "max_output_tokens", json_null());
    echo(r, req, "max_tool_calls", json_null());
    if (fx->model)
        json_object_set_new(r, "model", json_string(fx->model));
    else
        echo(r, req, "model", json_string("respmock"));
    json_object_set_new(r, "output", output);
    echo(r, req, "parallel_tool_calls", json_true());
    json_object_set_new(r, "previous_response_id", rc->previous_response_id
                                                        ? json_string(rc->previous_response_id)
                                                        : json_null());
    json_object_set_new(r, "conversation", rc->conversation_id
                                               ? json_pack("{s:s}", "id", rc->conversation_id)
                                               : json_null());
    reasoning = json_object_get(req, "reasoning");
    json_object_set_new(r, "reasoning",
                        json_pack("{s:O, s:O}", "effort",
                                  json_object_get(reasoning, "effort")
                                      ? json_object_get(reasoning, "effort")
                                      : json_null(),
                                  "summary",
                                  json_object_get(reasoning, "summary")
                                      ? json_object_get(reasoning, "summary")
                                      : json_null()));
    tier = json_util_str(req, "service_tier");
    json_object_set_new(r, "service_tier",
                        json_string(!tier || strcmp(tier, "auto") == 0 ? "default" : tier));
    json_object_set_new(r, "store", json_boolean(!json_is_false(json_object_get(req, "store"))));
    echo(r, req, "temperature", json_real(1.0));
    text = json_object_get(req, "text");
    text = json_is_object(text) ? json_deep_copy(text) : json_object();
    if (!json_object_get(text, "format"))
        json_object_set_new(text, "format", json_pack("{s:s}", "type", "text"));
    if (!json_object_get(text, "verbosity"))
        json_object_set_new(text, "verbosity", json_string("medium"));
    json_object_set_new(r, "text", text);
    echo(r, req, "tool_choice", json_string("auto"));
    tools = json_object_get(req, "tools");
    json_object_set_new(r, "tools", normalise_tools(json_is_array(tools) ? tools : NULL));
    echo(r, req, "top_logprobs", json_integer(0));
    echo(r, req, "top_p", json_real(1.0));
    echo(r, req, "truncation", json_string("disabled"));
    if (strcmp(status, "failed") == 0)
        json_object_set_new(r, "usage", json_null());
    else
        json_object_set_new(
            r, "usage",
            json_pack("{s:I, s:{s:I, s:i}, s:I, s:{s:I}, s:I}", "input_tokens",
                      (json_int_t)in_tokens, "input_tokens_details", "cached_tokens",
                      (json_int_t)(fx->usage_cached > 0 ? fx->usage_cached : 0),
                      "cache_write_tokens", 0, "output_tokens", (json_int_t)out_tokens,
                      "output_tokens_details", "reasoning_tokens", (json_int_t)reasoning_tokens,
                      "total_tokens", (json_int_t)(in_tokens + out_tokens)));
    echo(r, req, "user", json_null());
    echo(r, req, "safety_identifier", json_null());
    echo(r, req, "prompt_cache_key", json_null());
    echo(r, req, "prompt_cache_retention", json_null());
    echo(r, req, "prompt", json_null());
    echo(r, req, "metadata", json_object());
    return r;
}

/* ---- Event streams ---------------------------------------------------- */

/* Builds one stream, numbering events and applying delays and the fault. */
struct emitter {
    struct stream *s;
    const struct fx_stream *timing;
    const struct fx_fault *fault;
    long seq;          /* next sequence_number */
    size_t events;     /* events emitted */
    int chat;          /* data-only frames */
    int stopped;       /* the fault ended the stream */
    int failed;        /* OOM or over the limit */
    uint32_t rng;
};

static unsigned next_delay(struct emitter *e)
{
    const struct fx_stream *t = e->timing;
    unsigned d;

    if (e->events == 0)
        return t->first_event_ms;
    d = t->delay_ms;
    if (t->jitter_ms) {
        uint32_t x = e->rng;
        long j;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        e->rng = x;
        j = (long)(x % (2u * t->jitter_ms + 1)) - (long)t->jitter_ms;
        d = (long)d + j < 0 ? 0 : (unsigned)((long)d + j);
    }
    return d;
}

static void emit_raw(struct emitter *e, const char *type, json_t *ev, unsigned extra_delay)
{
    char *json = json_util_dumps(ev);

    if (!json || stream_push_event(e->s, e->chat ? NULL : type, json,
                                   next_delay(e) + extra_delay) != 0)
        e->failed = 1;
    free(json);
    e->events++;
}

static void emit_fault_events(struct emitter *e, const json_t *snapshot);

/* Emit one Responses event: sets type and sequence_number first (key
 * order as on the wire), steals 'payload'. The fault fires before event
 * number after_events. */
static void emit(struct emitter *e, const char *type, json_t *payload, const json_t *snapshot)
{
    const struct fx_fault *f = e->fault;
    unsigned extra = 0;
    json_t *ev;
    const char *k;
    json_t *v;

    if (e->stopped || e->failed) {
        json_decref(payload);
        return;
    }
    if (f->kind != FX_FAULT_NONE && e->events == f->after_events && f->kind != FX_FAULT_NO_TERMINAL) {
        if (f->kind == FX_FAULT_STALL) {
            extra = f->stall_ms;
        } else if (f->kind == FX_FAULT_MALFORMED) {
            const char *bad = e->chat ? "data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\n\n"
                                      : "event: response.output_text.delta\n"
                                        "data: {\"type\":\"response.output_text.delta\","
                                        "\"sequence_number\":\n\n";
            if (stream_push(e->s, bad, strlen(bad), next_delay(e)) != 0)
                e->failed = 1;
        } else if (f->kind == FX_FAULT_DROP) {
            if (!f->after_bytes) {
                e->s->end_with_error = 1;
                e->stopped = 1;
                json_decref(payload);
                return;
            }
        } else {
            emit_fault_events(e, snapshot);
            e->stopped = 1;
            json_decref(payload);
            return;
        }
    }
    ev = json_object();
    json_object_set_new(ev, "type", json_string(type));
    json_object_set_new(ev, "sequence_number", json_integer(e->seq++));
    json_object_foreach(payload, k, v) json_object_set(ev, k, v);
    json_decref(payload);
    emit_raw(e, type, ev, extra);
    json_decref(ev);
}

static json_t *failed_snapshot(const json_t *snapshot, const struct fx_fault *f)
{
    json_t *r = json_deep_copy(snapshot);

    json_object_set_new(r, "status", json_string("failed"));
    json_object_set_new(r, "completed_at", json_null());
    json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", f->code, "message",
                                              f->message));
    json_object_set_new(r, "usage", json_null());
    return r;
}

static void emit_fault_events(struct emitter *e, const json_t *snapshot)
{
    const struct fx_fault *f = e->fault;
    json_t *ev;

    if (e->chat) {
        /* Chat streams report mid-stream errors as a data-only error object. */
        ev = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", f->message, "type",
                       "server_error", "param", "code", f->code);
        emit_raw(e, NULL, ev, 0);
        json_decref(ev);
        return;
    }
    if (f->kind == FX_FAULT_ERROR || f->kind == FX_FAULT_ERROR_THEN_FAILED) {
        ev = json_pack("{s:s, s:I, s:{s:s, s:s, s:s, s:n}}", "type", "error", "sequence_number",
                       (json_int_t)e->seq++, "error", "type", "server_error", "code", f->code,
                       "message", f->message, "param");
        emit_raw(e, "error", ev, 0);
        json_decref(ev);
    } else if (f->kind == FX_FAULT_ERROR_FLAT) {
        ev = json_pack("{s:s, s:I, s:s, s:s, s:n}", "type", "error", "sequence_number",
                       (json_int_t)e->seq++, "code", f->code, "message", f->message, "param");
        emit_raw(e, "error", ev, 0);
        json_decref(ev);
    }
    if (f->kind == FX_FAULT_FAILED || f->kind == FX_FAULT_ERROR_THEN_FAILED) {
        ev = json_pack("{s:s, s:I, s:o}", "type", "response.failed", "sequence_number",
                       (json_int_t)e->seq++, "response", failed_snapshot(snapshot, f));
        emit_raw(e, "response.failed", ev, 0);
        json_decref(ev);
    }
}

static void emitter_init(struct emitter *e, struct stream *s, const struct fixture *fx,
                         const struct fx_fault *fault)
{
    memset(e, 0, sizeof(*e));
    e->s = s;
    e->timing = &fx->stream;
    e->fault = (fault && fault->kind != FX_FAULT_NONE) ? fault : &fx->stream.fault;
    e->rng = fx->stream.seed ? fx->stream.seed : 1;
    if (e->fault->kind == FX_FAULT_DROP && e->fault->after_bytes)
        s->abort_after = e->fault->after_bytes;
}

/* Text between two chunk boundaries as a new JSON string. */
static json_t *slice(const char *text, size_t from, size_t to)
{
    return json_stringn(text + from, to - from);
}

static void emit_message(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                         const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    int refusal = it->type == FX_ITEM_REFUSAL;
    json_t *added = json_deep_copy(item), *part, *empty;
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string("in_progress"));
    json_object_set_new(added, "content", json_array());
    emit(e, "response.output_item.added", json_pack("{s:I, s:o}", "output_index", (json_int_t)oi,
                                                    "item", added), snap);
    part = json_array_get(json_object_get(item, "content"), 0);
    empty = refusal ? json_pack("{s:s, s:s}", "type", "refusal", "refusal", "")
                    : output_text_part("");
    emit(e, "response.content_part.added",
         json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", empty), snap);
    for (c = 0; c < it->chunks.n; c++) {
        size_t to = it->chunks.ends[c];
        if (refusal)
            emit(e, "response.refusal.delta",
                 json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                           "content_index", 0, "delta", slice(it->text, from, to)), snap);
        else
            emit(e, "response.output_text.delta",
                 json_pack("{s:s, s:I, s:i, s:o, s:[]}", "item_id", id, "output_index",
                           (json_int_t)oi, "content_index", 0, "delta",
                           slice(it->text, from, to), "logprobs"), snap);
        from = to;
    }
    if (refusal)
        emit(e, "response.refusal.done",
             json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                       "content_index", 0, "refusal", it->text), snap);
    else
        emit(e, "response.output_text.done",
             json_pack("{s:s, s:I, s:i, s:s, s:[]}", "item_id", id, "output_index",
                       (json_int_t)oi, "content_index", 0, "text", it->text, "logprobs"), snap);
    emit(e, "response.content_part.done",
         json_pack("{s:s, s:I, s:i, s:O}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", part), snap);
}

static void emit_function_call(struct emitter *e, const struct fx_item *it, json_t *item,
                               size_t oi, const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string("in_progress"));
    json_object_set_new(added, "arguments", json_string(""));
    emit(e, "response.output_item.added", json_pack("{s:I, s:o}", "output_index", (json_int_t)oi,
                                                    "item", added), snap);
    for (c = 0; c < it->chunks.n; c++) {
        emit(e, "response.function_call_arguments.delta",
             json_pack("{s:s, s:I, s:o}", "item_id", id, "output_index", (json_int_t)oi, "delta",
                       slice(it->text, from, it->chunks.ends[c])), snap);
        from = it->chunks.ends[c];
    }
    emit(e, "response.function_call_arguments.done",
         json_pack("{s:s, s:I, s:s, s:s}", "item_id", id, "output_index", (json_int_t)oi, "name",
                   it->name, "arguments", it->text), snap);
}

static void emit_reasoning(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                           const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "summary", json_array());
    emit(e, "response.output_item.added", json_pack("{s:I, s:o}", "output_index", (json_int_t)oi,
                                                    "item", added), snap);
    emit(e, "response.reasoning_summary_part.added",
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", "summary_text", "text",
                   ""), snap);
    for (c = 0; c < it->chunks.n; c++) {
        emit(e, "response.reasoning_summary_text.delta",
             json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                       "summary_index", 0, "delta", slice(it->text, from, it->chunks.ends[c])),
             snap);
        from = it->chunks.ends[c];
    }
    emit(e, "response.reasoning_summary_text.done",
         json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                   "summary_index", 0, "text", it->text), snap);
    emit(e, "response.reasoning_summary_part.done",
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", "summary_text", "text",
                   it->text), snap);
}

struct stream *render_response_stream(const struct render_ctx *rc, const json_t *final,
                                      const struct fx_fault *fault, int queued)
{
    const struct fixture *fx = rc->fx;
    struct stream *s = stream_new(RM_MAX_STREAM_BYTES, rc->srv->cfg.speed);
    json_t *snap, *output = json_object_get(final, "output");
    const char *status = json_util_str(final, "status");
    const char *terminal;
    struct emitter e;
    size_t i;

    if (!s)
        return NULL;
    emitter_init(&e, s, fx, fault);
    snap = json_deep_copy(final);
    json_object_set_new(snap, "status", json_string(queued ? "queued" : "in_progress"));
    json_object_set_new(snap, "completed_at", json_null());
    json_object_set_new(snap, "error", json_null());
    json_object_set_new(snap, "incomplete_details", json_null());
    json_object_set_new(snap, "output", json_array());
    json_object_set_new(snap, "usage", json_null());
    emit(&e, "response.created", json_pack("{s:O}", "response", snap), snap);
    if (queued) {
        emit(&e, "response.queued", json_pack("{s:O}", "response", snap), snap);
        json_object_set_new(snap, "status", json_string("in_progress"));
    }
    emit(&e, "response.in_progress", json_pack("{s:O}", "response", snap), snap);
    for (i = 0; i < fx->nitems && i < json_array_size(output); i++) {
        const struct fx_item *it = &fx->items[i];
        json_t *item = json_array_get(output, i);

        switch (it->type) {
        case FX_ITEM_MESSAGE:
        case FX_ITEM_REFUSAL:
            emit_message(&e, it, item, i, snap);
            break;
        case FX_ITEM_FUNCTION_CALL:
            emit_function_call(&e, it, item, i, snap);
            break;
        case FX_ITEM_REASONING:
            emit_reasoning(&e, it, item, i, snap);
            break;
        case FX_ITEM_RAW: {
            json_t *added = json_deep_copy(item);
            if (json_object_get(added, "status"))
                json_object_set_new(added, "status", json_string("in_progress"));
            emit(&e, "response.output_item.added",
                 json_pack("{s:I, s:o}", "output_index", (json_int_t)i, "item", added), snap);
            break;
        }
        }
        emit(&e, "response.output_item.done",
             json_pack("{s:I, s:O}", "output_index", (json_int_t)i, "item", item), snap);
    }
    terminal = strcmp(status, "incomplete") == 0 ? "response.incomplete"
               : strcmp(status, "failed") == 0   ? "response.failed"
                                                 : "response.completed";
    if (e.fault->kind != FX_FAULT_NO_TERMINAL) /* no_terminal: the stream just ends */
        emit(&e, terminal, json_pack("{s:O}", "response", final), snap);
    /* A fault scheduled past the last event still fires at the end. */
    if (!e.stopped && e.fault->kind != FX_FAULT_NONE && e.events <= e.fault->after_events &&
        e.fault->kind != FX_FAULT_NO_TERMINAL && e.fault->kind != FX_FAULT_STALL &&
        e.fault->kind != FX_FAULT_MALFORMED && e.fault->kind != FX_FAULT_MALFORMED_BODY) {
        if (e.fault->kind == FX_FAULT_DROP && !e.fault->after_bytes)
            s->end_with_error = 1;
        else if (e.fault->kind != FX_FAULT_DROP)
            emit_fault_events(&e, snap);
    }
    json_decref(snap);
    if (e.failed) {
        stream_free(s);
        return NULL;
    }
    return s;
}

/* ---- Transcripts ------------------------------------------------------ */

/* Replace every recorded id with one fresh id per distinct value. */
static char *refresh_ids(struct rm_server *srv, const char *in, size_t len, json_t *map,
                         size_t *out_len)
{
    static const char *const prefixes[] = {"resp_", "msg_", "fc_", "call_", "rs_", NULL};
    struct buf b;
    size_t i = 0;

    buf_init(&b, RM_MAX_STREAM_BYTES);
    while (i < len) {
        const char *const *p;
        size_t plen = 0;

        if (i == 0 || !(in[i - 1] == '_' || (in[i - 1] >= '0' && in[i - 1] <= '9') ||
                        (in[i - 1] >= 'a' && in[i - 1] <= 'z') ||
                        (in[i - 1] >= 'A' && in[i - 1] <= 'Z')))
            for (p = prefixes; *p; p++)
                if (len - i > strlen(*p) && strncmp(in + i, *p, strlen(*p)) == 0) {
                    plen = strlen(*p);
                    break;
                }
        if (plen) {
            size_t j = i + plen;
            char old[256], fresh[64];
            const char *known;

            while (j < len && j - i < sizeof(old) - 1 &&
                   ((in[j] >= '0' && in[j] <= '9') || (in[j] >= 'a' && in[j] <= 'z') ||
                    (in[j] >= 'A' && in[j] <= 'Z')))
                j++;
            if (j > i + plen) {
                memcpy(old, in + i, j - i);
                old[j - i] = '\0';
                known = json_util_str(map, old);
                if (!known) {
                    char pre[8];
                    snprintf(pre, sizeof(pre), "%.*s", (int)plen, in + i);
                    server_new_id(srv, pre, 32, fresh, sizeof(fresh));
                    json_object_set_new(map, old, json_string(fresh));
                    known = json_util_str(map, old);
                }
                buf_append_str(&b, known);
                i = j;
                continue;
            }
        }
        if (buf_append(&b, in + i, 1) != 0)
            break;
        i++;
    }
    return buf_take(&b, out_len);
}

struct stream *render_transcript_stream(struct rm_server *srv, const struct fixture *fx)
{
    struct stream *s = stream_new(RM_MAX_STREAM_BYTES, srv->cfg.speed);
    json_t *map = fx->fresh_ids ? json_object() : NULL;
    size_t i;

    if (!s)
        return NULL;
    for (i = 0; i < fx->nframes; i++) {
        const struct fx_frame *f = &fx->frames[i];
        int rc;

        if (map) {
            size_t n;
            char *fresh = refresh_ids(srv, f->bytes, f->len, map, &n);
            rc = fresh ? stream_push(s, fresh, n, f->delay_ms) : -1;
            free(fresh);
        } else {
            rc = stream_push(s, f->bytes, f->len, f->delay_ms);
        }
        if (rc != 0) {
            stream_free(s);
            json_decref(map);
            return NULL;
        }
    }
    json_decref(map);
    return s;
}

static int find_response(const struct sse_event *ev, void *user)
{
    json_t **last = user;
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);

    if (json_is_object(json_object_get(d, "response"))) {
        json_decref(*last);
        *last = json_incref(json_object_get(d, "response"));
    }
    json_decref(d);
    return 0;
}

json_t *render_transcript_final(const struct fixture *fx)
{
    struct sse_parser p;
    json_t *last = NULL;
    size_t i;

    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    for (i = 0; i < fx->nframes; i++)
        sse_parser_feed(&p, fx->frames[i].bytes, fx->frames[i].len, find_response, &last);
    sse_parser_release(&p);
    return last;
}

/* ---- Chat Completions ------------------------------------------------- */

json_t *render_chat(const struct render_ctx *rc)
{
    const struct fixture *fx = rc->fx;
    json_t *msg = json_object(), *calls = json_array(), *c, *model;
    struct buf content;
    const char *refusal = NULL, *finish;
    long out_tokens = 0, in_tokens;
    char id[64];
    size_t i;

    buf_init(&content, RM_MAX_RESPONSE_BYTES);
    for (i = 0; i < fx->nitems; i++) {
        const struct fx_item *it = &fx->items[i];
        char cid[64];

        out_tokens += render_count_tokens(item_text(it));
        if (it->type == FX_ITEM_MESSAGE)
            buf_append_str(&content, it->text);
        else if (it->type == FX_ITEM_REFUSAL)
            refusal = it->text;
        else if (it->type == FX_ITEM_FUNCTION_CALL) {
            server_new_id(rc->srv, "call_", 24, cid, sizeof(cid));
            json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", cid, "type",
                                                   "function", "function", "name", it->name,
                                                   "arguments", it->text));
        }
    }
    if (fx->usage_out >= 0)
        out_tokens = fx->usage_out;
    in_tokens = fx->usage_in >= 0 ? fx->usage_in : rc->input_tokens;
    json_object_set_new(msg, "role", json_string("assistant"));
    json_object_set_new(msg, "content", content.len || (!refusal && !json_array_size(calls))
                                            ? json_string(content.data ? content.data : "")
                                            : json_null());
    json_object_set_new(msg, "refusal", refusal ? json_string(refusal) : json_null());
    json_object_set_new(msg, "annotations", json_array());
    if (json_array_size(calls))
        json_object_set(msg, "tool_calls", calls);
    buf_release(&content);
    finish = json_array_size(calls)                          ? "tool_calls"
             : fx->status && !strcmp(fx->status, "incomplete") ? "length"
                                                              : "stop";
    server_new_id(rc->srv, "chatcmpl-", 32, id, sizeof(id));
    model = fx->model ? json_string(fx->model)
            : json_is_string(json_object_get(rc->req, "model"))
                ? json_incref(json_object_get(rc->req, "model"))
                : json_string("respmock");
    c = json_pack("{s:s, s:s, s:I, s:o, s:[{s:i, s:o, s:n, s:s}], s:{s:I, s:I, s:I, s:{s:i, s:i}, "
                  "s:{s:I, s:i, s:i, s:i}}, s:s, s:s}",
                  "id", id, "object", "chat.completion", "created",
                  (json_int_t)server_unix_time(), "model", model,
                  "choices", "index", 0, "message", msg, "logprobs", "finish_reason", finish,
                  "usage", "prompt_tokens", (json_int_t)in_tokens, "completion_tokens",
                  (json_int_t)out_tokens, "total_tokens", (json_int_t)(in_tokens + out_tokens),
                  "prompt_tokens_details", "cached_tokens", 0, "audio_tokens", 0,
                  "completion_tokens_details", "reasoning_tokens", (json_int_t)0, "audio_tokens",
                  0, "accepted_prediction_tokens", 0, "rejected_prediction_tokens", 0,
                  "service_tier", "default", "system_fingerprint", "fp_respmock");
    json_decref(calls);
    return c;
}

/* One chunk with the completion's id/created/model around 'choice_delta'. */
static void emit_chunk(struct emitter *e, const json_t *base, json_t *delta, const char *finish,
                       int include_usage)
{
    json_t *ch = json_pack("{s:O, s:s, s:O, s:O, s:s, s:[{s:i, s:o, s:n, s:o}]}", "id",
                           json_object_get(base, "id"), "object", "chat.completion.chunk",
                           "created", json_object_get(base, "created"), "model",
                           json_object_get(base, "model"), "system_fingerprint", "fp_respmock",
                           "choices", "index", 0, "delta", delta, "logprobs", "finish_reason",
                           finish ? json_string(finish) : json_null());
    const struct fx_fault *f = e->fault;

    if (include_usage)
        json_object_set_new(ch, "usage", json_null());
    if (!e->stopped && !e->failed && f->kind != FX_FAULT_NONE && f->kind != FX_FAULT_NO_TERMINAL &&
        e->events == f->after_events) {
        if (f->kind == FX_FAULT_STALL) {
            char *json = json_util_dumps(ch);
            if (!json || stream_push_event(e->s, NULL, json, next_delay(e) + f->stall_ms))
                e->failed = 1;
            free(json);
            e->events++;
            json_decref(ch);
            return;
        }
        if (f->kind == FX_FAULT_MALFORMED) {
            const char *bad = "data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\n\n";
            if (stream_push(e->s, bad, strlen(bad), next_delay(e)) != 0)
                e->failed = 1;
        } else if (f->kind == FX_FAULT_DROP) {
            if (!f->after_bytes) {
                e->s->end_with_error = 1;
                e->stopped = 1;
            }
        } else {
            emit_fault_events(e, NULL);
            e->stopped = 1;
        }
    }
    if (!e->stopped && !e->failed)
        emit_raw(e, NULL, ch, 0);
    json_decref(ch);
}

struct stream *render_chat_stream(const struct render_ctx *rc, const json_t *completion,
                                  const struct fx_fault *fault)
{
    const struct fixture *fx = rc->fx;
    struct stream *s = stream_new(RM_MAX_STREAM_BYTES, rc->srv->cfg.speed);
    json_t *choice = json_array_get(json_object_get(completion, "choices"), 0);
    json_t *msg = json_object_get(choice, "message");
    json_t *calls = json_object_get(msg, "tool_calls");
    int usage = json_util_true(json_object_get(rc->req, "stream_options"), "include_usage");
    struct emitter e;
    size_t i, call_index = 0;

    if (!s)
        return NULL;
    emitter_init(&e, s, fx, fault);
    e.chat = 1;
    emit_chunk(&e, completion,
               json_pack("{s:s, s:s, s:n}", "role", "assistant", "content", "", "refusal"), NULL,
               usage);
    for (i = 0; i < fx->nitems; i++) {
        const struct fx_item *it = &fx->items[i];
        size_t c, from = 0;

        if (it->type == FX_ITEM_FUNCTION_CALL) {
            json_t *call = json_array_get(calls, call_index);
            emit_chunk(&e, completion,
                       json_pack("{s:[{s:I, s:O, s:s, s:{s:s, s:s}}]}", "tool_calls", "index",
                                 (json_int_t)call_index, "id", json_object_get(call, "id"),
                                 "type", "function", "function", "name", it->name, "arguments",
                                 ""),
                       NULL, usage);
            for (c = 0; c < it->chunks.n; c++) {
                emit_chunk(&e, completion,
                           json_pack("{s:[{s:I, s:{s:o}}]}", "tool_calls", "index",
                                     (json_int_t)call_index, "function", "arguments",
                                     slice(it->text, from, it->chunks.ends[c])),
                           NULL, usage);
                from = it->chunks.ends[c];
            }
            call_index++;
        } else if (it->type == FX_ITEM_MESSAGE || it->type == FX_ITEM_REFUSAL) {
            for (c = 0; c < it->chunks.n; c++) {
                emit_chunk(&e, completion,
                           json_pack("{s:o}", it->type == FX_ITEM_MESSAGE ? "content" : "refusal",
                                     slice(it->text, from, it->chunks.ends[c])),
                           NULL, usage);
                from = it->chunks.ends[c];
            }
        }
    }
    if (e.fault->kind != FX_FAULT_NO_TERMINAL) {
        emit_chunk(&e, completion, json_object(), json_util_str(choice, "finish_reason"), usage);
        if (usage && !e.stopped && !e.failed) {
            json_t *u = json_pack("{s:O, s:s, s:O, s:O, s:s, s:[], s:O}", "id",
                                  json_object_get(completion, "id"), "object",
                                  "chat.completion.chunk", "created",
                                  json_object_get(completion, "created"), "model",
                                  json_object_get(completion, "model"), "system_fingerprint",
                                  "fp_respmock", "choices", "usage",
                                  json_object_get(completion, "usage"));
            emit_raw(&e, NULL, u, 0);
            json_decref(u);
        }
        if (!e.stopped && !e.failed && stream_push(s, "data: [DONE]\n\n", 14, next_delay(&e)))
            e.failed = 1;
    }
    if (e.failed) {
        stream_free(s);
        return NULL;
    }
    return s;
}
