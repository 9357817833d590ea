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

/* Builds one stream: numbers the events, applies the delays, and fires the
 * fault (at most once) just before the event it is scheduled for. Every
 * event, chunk and transcript frame goes through emit_*(), so the fault
 * rules are the same for Responses, Chat Completions and transcripts. */
struct emitter {
    struct stream *s;
    const struct fx_stream *timing;
    struct fx_fault fault; /* the stream fault in force; kind NONE when none */
    long seq;              /* next sequence_number */
    size_t events;         /* events sent (chat: data frames, [DONE] included) */
    int chat;              /* data-only frames, chat-style error object */
    int fired;             /* the fault has happened */
    int stopped;           /* the fault ended the stream */
    int failed;            /* OOM or over the limit */
    uint32_t rng;          /* jitter state (xorshift32) */
    json_t *done;          /* Responses: items of output_item.done so far */
};

/* Fault kinds that act inside a stream (latency and malformed_body act on
 * the whole reply and are handled by the caller). */
static int fault_in_stream(enum fx_fault_kind k)
{
    return k == FX_FAULT_DROP || k == FX_FAULT_STALL || k == FX_FAULT_MALFORMED ||
           k == FX_FAULT_NO_TERMINAL || k == FX_FAULT_ERROR || k == FX_FAULT_ERROR_FLAT ||
           k == FX_FAULT_FAILED || k == FX_FAULT_ERROR_THEN_FAILED;
}

/* Fault kinds that end the stream with error / response.failed events. */
static int fault_ends_with_events(enum fx_fault_kind k)
{
    return k == FX_FAULT_ERROR || k == FX_FAULT_ERROR_FLAT || k == FX_FAULT_FAILED ||
           k == FX_FAULT_ERROR_THEN_FAILED;
}

/* The request's fault when it is a stream fault, else the fixture's. A
 * latency header therefore keeps the fixture's stream fault in force. */
static void emitter_init(struct emitter *e, struct stream *s, const struct fixture *fx,
                         const struct fx_fault *fault)
{
    memset(e, 0, sizeof(*e));
    e->s = s;
    e->timing = &fx->stream;
    if (fault && fault_in_stream(fault->kind))
        e->fault = *fault;
    else if (fault_in_stream(fx->stream.fault.kind))
        e->fault = fx->stream.fault;
    else
        e->fault.kind = FX_FAULT_NONE;
    e->rng = fx->stream.seed ? fx->stream.seed : 1;
    if (e->fault.kind == FX_FAULT_DROP && e->fault.after_bytes) {
        /* Byte-counted drop: the reader cuts the connection there, or at
         * the end when the stream is shorter. */
        s->abort_after = e->fault.after_bytes;
        s->end_with_error = 1;
        e->fired = 1;
    }
}

/* Delay before the next event: first_event_ms for the first, then
 * delay_ms +/- a jitter drawn from the fixture's seed (so a fixture always
 * paces the same way). */
static unsigned next_delay(struct emitter *e)
{
    const struct fx_stream *t = e->timing;
    long d;

    if (e->events == 0)
        return t->first_event_ms;
    d = (long)t->delay_ms;
    if (t->jitter_ms) {
        uint32_t x = e->rng;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        e->rng = x;
        d += (long)(x % (2u * t->jitter_ms + 1)) - (long)t->jitter_ms;
    }
    return d < 0 ? 0 : (unsigned)d;
}

static void push(struct emitter *e, const char *bytes, size_t len, unsigned delay)
{
    if (!e->failed && stream_push(e->s, bytes, len, delay) != 0)
        e->failed = 1;
}

/* One event frame for 'ev' ("event:" line unless chat). */
static void push_json(struct emitter *e, const char *type, const json_t *ev, unsigned delay)
{
    char *json;

    if (e->failed)
        return;
    json = json_util_dumps(ev);
    if (!json || stream_push_event(e->s, e->chat ? NULL : type, json, delay) != 0)
        e->failed = 1;
    free(json);
}

/* The malformed fault's frame: a data line whose JSON is cut short. */
static const char *malformed_frame(const struct emitter *e)
{
    return e->chat ? "data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\","
                     "\"choices\":[{\n\n"
                   : "event: response.output_text.delta\n"
                     "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":\n\n";
}

/* The Response as response.failed carries it: the in-progress snapshot
 * with the items finished so far. New reference. */
static json_t *failed_snapshot(const json_t *snapshot, const struct fx_fault *f,
                               const json_t *done)
{
    json_t *r = snapshot ? json_deep_copy(snapshot) : json_pack("{s:s}", "object", "response");

    json_object_set_new(r, "status", json_string("failed"));
    json_object_set_new(r, "completed_at", json_null());
    json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", f->code, "message",
                                              f->message));
    json_object_set_new(r, "incomplete_details", json_null());
    if (done)
        json_object_set_new(r, "output", json_deep_copy(done));
    json_object_set_new(r, "usage", json_null());
    return r;
}

/* The events of an error fault: REQ: stream-error-shapes. Chat streams
 * get the data-only {"error":{...}} object; Responses streams the nested
 * error event (as on the wire) or the flat documented one, and/or
 * response.failed. The first carries 'delay'. */
static void emit_fault_events(struct emitter *e, const json_t *snapshot, unsigned delay)
{
    const struct fx_fault *f = &e->fault;
    json_t *ev;

    if (e->chat) {
        ev = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", f->message, "type",
                       "server_error", "param", "code", f->code);
        push_json(e, NULL, ev, delay);
        json_decref(ev);
        e->events++;
        return;
    }
    if (f->kind == FX_FAULT_ERROR || f->kind == FX_FAULT_ERROR_THEN_FAILED ||
        f->kind == FX_FAULT_ERROR_FLAT) {
        if (f->kind == FX_FAULT_ERROR_FLAT)
            ev = json_pack("{s:s, s:I, s:s, s:s, s:n}", "type", "error", "sequence_number",
                           (json_int_t)e->seq++, "code", f->code, "message", f->message,
                           "param");
        else
            ev = json_pack("{s:s, s:I, s:{s:s, s:s, s:s, s:n}}", "type", "error",
                           "sequence_number", (json_int_t)e->seq++, "error", "type",
                           "server_error", "code", f->code, "message", f->message, "param");
        push_json(e, "error", ev, delay);
        json_decref(ev);
        e->events++;
        delay = next_delay(e);
    }
    if (f->kind == FX_FAULT_FAILED || f->kind == FX_FAULT_ERROR_THEN_FAILED) {
        ev = json_pack("{s:s, s:I, s:o}", "type", "response.failed", "sequence_number",
                       (json_int_t)e->seq++, "response", failed_snapshot(snapshot, f, e->done));
        push_json(e, "response.failed", ev, delay);
        json_decref(ev);
        e->events++;
    }
}

/* Fire the fault if it is due before the next event, which waits 'delay'
 * ms. An error fault scheduled past the last event replaces the terminal
 * event ('terminal'), so a stream never has two terminal events. Returns 1
 * when the next event must not be sent. REQ: stream-faults */
static int fault_due(struct emitter *e, const json_t *snapshot, int terminal, unsigned *delay)
{
    const struct fx_fault *f = &e->fault;

    if (e->stopped || e->failed)
        return 1;
    if (e->fired || f->kind == FX_FAULT_NONE || f->kind == FX_FAULT_NO_TERMINAL)
        return 0;
    if (e->events != f->after_events &&
        !(terminal && fault_ends_with_events(f->kind) && e->events < f->after_events))
        return 0;
    e->fired = 1;
    switch (f->kind) {
    case FX_FAULT_STALL:
        *delay += f->stall_ms;
        return 0;
    case FX_FAULT_MALFORMED:
        push(e, malformed_frame(e), strlen(malformed_frame(e)), *delay);
        *delay = 0;
        return 0;
    case FX_FAULT_DROP:
        e->s->end_with_error = 1;
        e->stopped = 1;
        return 1;
    default:
        emit_fault_events(e, snapshot, *delay);
        e->stopped = 1;
        return 1;
    }
}

/* After the last event: a fault scheduled past the end still happens
 * (drop: the connection is cut instead of closed; stall: the connection
 * stays open that long before closing; malformed: a broken last frame). */
static void fault_at_end(struct emitter *e, const json_t *snapshot)
{
    const struct fx_fault *f = &e->fault;

    if (e->stopped || e->failed || e->fired || f->kind == FX_FAULT_NONE ||
        f->kind == FX_FAULT_NO_TERMINAL)
        return;
    e->fired = 1;
    switch (f->kind) {
    case FX_FAULT_DROP:
        e->s->end_with_error = 1;
        break;
    case FX_FAULT_STALL:
        push(e, "", 0, f->stall_ms);
        break;
    case FX_FAULT_MALFORMED:
        push(e, malformed_frame(e), strlen(malformed_frame(e)), next_delay(e));
        break;
    default: /* only a stream without a terminal event gets here */
        emit_fault_events(e, snapshot, next_delay(e));
        e->stopped = 1;
        break;
    }
}

/* Emit one Responses event: type and sequence_number first (key order as
 * on the wire), then the members of 'payload' (stolen).
 * REQ: stream-sequence-number REQ: stream-event-equals-type */
static void emit(struct emitter *e, const char *type, json_t *payload, const json_t *snapshot,
                 int terminal)
{
    unsigned delay;
    const char *k;
    json_t *ev, *v;

    if (e->stopped || e->failed) {
        json_decref(payload);
        return;
    }
    delay = next_delay(e);
    if (fault_due(e, snapshot, terminal, &delay)) {
        json_decref(payload);
        return;
    }
    ev = json_object();
    json_object_set_new(ev, "type", json_string(type));
    json_object_set_new(ev, "sequence_number", json_integer(e->seq++));
    json_object_foreach(payload, k, v) json_object_set(ev, k, v);
    json_decref(payload);
    push_json(e, type, ev, delay);
    e->events++;
    json_decref(ev);
}

/* Text between two chunk boundaries as a new JSON string. */
static json_t *slice(const char *text, size_t from, size_t to)
{
    return json_stringn(text + from, to - from);
}

/* REQ: stream-content-part-before-delta REQ: stream-done-full-text */
static void emit_message(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                         const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    int refusal = it->type == FX_ITEM_REFUSAL;
    json_t *added = json_deep_copy(item), *part, *empty;
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string("in_progress"));
    json_object_set_new(added, "content", json_array());
    emit(e, "response.output_item.added",
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    part = json_array_get(json_object_get(item, "content"), 0);
    empty = refusal ? json_pack("{s:s, s:s}", "type", "refusal", "refusal", "")
                    : output_text_part("");
    emit(e, "response.content_part.added",
         json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", empty),
         snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        size_t to = it->chunks.ends[c];
        if (refusal)
            emit(e, "response.refusal.delta",
                 json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                           "content_index", 0, "delta", slice(it->text, from, to)),
                 snap, 0);
        else
            emit(e, "response.output_text.delta",
                 json_pack("{s:s, s:I, s:i, s:o, s:[]}", "item_id", id, "output_index",
                           (json_int_t)oi, "content_index", 0, "delta",
                           slice(it->text, from, to), "logprobs"),
                 snap, 0);
        from = to;
    }
    if (refusal)
        emit(e, "response.refusal.done",
             json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                       "content_index", 0, "refusal", it->text),
             snap, 0);
    else
        emit(e, "response.output_text.done",
             json_pack("{s:s, s:I, s:i, s:s, s:[]}", "item_id", id, "output_index",
                       (json_int_t)oi, "content_index", 0, "text", it->text, "logprobs"),
             snap, 0);
    emit(e, "response.content_part.done",
         json_pack("{s:s, s:I, s:i, s:O}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", part),
         snap, 0);
}

static void emit_function_call(struct emitter *e, const struct fx_item *it, json_t *item,
                               size_t oi, const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string("in_progress"));
    json_object_set_new(added, "arguments", json_string(""));
    emit(e, "response.output_item.added",
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        emit(e, "response.function_call_arguments.delta",
             json_pack("{s:s, s:I, s:o}", "item_id", id, "output_index", (json_int_t)oi, "delta",
                       slice(it->text, from, it->chunks.ends[c])),
             snap, 0);
        from = it->chunks.ends[c];
    }
    emit(e, "response.function_call_arguments.done",
         json_pack("{s:s, s:I, s:s, s:s}", "item_id", id, "output_index", (json_int_t)oi, "name",
                   it->name, "arguments", it->text),
         snap, 0);
}

static void emit_reasoning(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                           const json_t *snap)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "summary", json_array());
    emit(e, "response.output_item.added",
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    emit(e, "response.reasoning_summary_part.added",
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", "summary_text", "text",
                   ""),
         snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        emit(e, "response.reasoning_summary_text.delta",
             json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                       "summary_index", 0, "delta", slice(it->text, from, it->chunks.ends[c])),
             snap, 0);
        from = it->chunks.ends[c];
    }
    emit(e, "response.reasoning_summary_text.done",
         json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                   "summary_index", 0, "text", it->text),
         snap, 0);
    emit(e, "response.reasoning_summary_part.done",
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", "summary_text", "text",
                   it->text),
         snap, 0);
}

/* REQ: stream-event-order REQ: stream-one-terminal REQ: stream-completed-equals-body */
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
    e.done = json_array();
    snap = json_deep_copy(final);
    json_object_set_new(snap, "status", json_string(queued ? "queued" : "in_progress"));
    json_object_set_new(snap, "completed_at", json_null());
    json_object_set_new(snap, "error", json_null());
    json_object_set_new(snap, "incomplete_details", json_null());
    json_object_set_new(snap, "output", json_array());
    json_object_set_new(snap, "usage", json_null());
    emit(&e, "response.created", json_pack("{s:O}", "response", snap), snap, 0);
    if (queued) {
        emit(&e, "response.queued", json_pack("{s:O}", "response", snap), snap, 0);
        json_object_set_new(snap, "status", json_string("in_progress"));
    }
    emit(&e, "response.in_progress", json_pack("{s:O}", "response", snap), snap, 0);
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
                 json_pack("{s:I, s:o}", "output_index", (json_int_t)i, "item", added), snap, 0);
            break;
        }
        }
        emit(&e, "response.output_item.done",
             json_pack("{s:I, s:O}", "output_index", (json_int_t)i, "item", item), snap, 0);
        if (!e.stopped)
            json_array_append(e.done, item);
    }
    terminal = strcmp(status, "incomplete") == 0 ? "response.incomplete"
               : strcmp(status, "failed") == 0   ? "response.failed"
                                                 : "response.completed";
    if (e.fault.kind != FX_FAULT_NO_TERMINAL) /* no_terminal: the stream just ends */
        emit(&e, terminal, json_pack("{s:O}", "response", final), snap, 1);
    fault_at_end(&e, snap);
    json_decref(snap);
    json_decref(e.done);
    if (e.failed) {
        stream_free(s);
        return NULL;
    }
    return s;
}

/* ---- Transcripts ------------------------------------------------------ */

/* Prefixes of the ids fresh_ids rewrites. */
static const char *const id_prefixes[] = {"resp_", "msg_", "fc_", "call_", "rs_", "chatcmpl-",
                                          NULL};

static int id_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_' || c == '-';
}

/* Length of the recorded id at in[i], or 0. An id is a whole JSON string
 * value "<prefix><id chars>": never a key such as "call_id", never part of
 * a longer text. '*plen' gets the prefix length. */
static size_t id_at(const char *in, size_t len, size_t i, size_t *plen)
{
    const char *const *p;

    if (i == 0 || in[i - 1] != '"')
        return 0;
    for (p = id_prefixes; *p; p++) {
        size_t n = strlen(*p), j = i + n, k;

        if (len - i <= n || strncmp(in + i, *p, n) != 0)
            continue;
        while (j < len && id_char(in[j]))
            j++;
        if (j == i + n || j >= len || in[j] != '"')
            return 0;
        for (k = j + 1; k < len && (in[k] == ' ' || in[k] == '\t'); k++)
            ;
        if (k < len && in[k] == ':')
            return 0; /* a key */
        *plen = n;
        return j - i;
    }
    return 0;
}

/* Replace every recorded id with one fresh id per distinct value ('map'
 * keeps old -> new across the frames of one replay). New allocation. */
static char *refresh_ids(struct rm_server *srv, const char *in, size_t len, json_t *map,
                         size_t *out_len)
{
    struct buf b;
    size_t i = 0, from = 0;

    buf_init(&b, RM_MAX_STREAM_BYTES);
    while (i < len) {
        size_t plen = 0, n = id_at(in, len, i, &plen);
        char old[256], fresh[64], pre[16];
        const char *known;

        if (n == 0 || n >= sizeof(old) || plen >= sizeof(pre)) {
            i++;
            continue;
        }
        memcpy(old, in + i, n);
        old[n] = '\0';
        known = json_util_str(map, old);
        if (!known) {
            memcpy(pre, in + i, plen);
            pre[plen] = '\0';
            server_new_id(srv, pre, 32, fresh, sizeof(fresh));
            json_object_set_new(map, old, json_string(fresh));
            known = json_util_str(map, old);
        }
        if (buf_append(&b, in + from, i - from) || !known || buf_append_str(&b, known)) {
            buf_release(&b);
            return NULL;
        }
        i += n;
        from = i;
    }
    if (buf_append(&b, in + from, len - from)) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b, out_len);
}

/* What a recorded frame says about itself; read only when a fault needs it. */
struct frame_info {
    json_t *response; /* last "response" object it carries (new ref) or NULL */
    long seq;         /* last sequence_number, -1 when none */
    int terminal;     /* it holds response.completed / .incomplete / .failed */
};

static int frame_info_event(const struct sse_event *ev, void *user)
{
    struct frame_info *fi = user;
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);
    const char *type = json_util_str(d, "type");

    if (type && (strcmp(type, "response.completed") == 0 ||
                 strcmp(type, "response.incomplete") == 0 ||
                 strcmp(type, "response.failed") == 0))
        fi->terminal = 1;
    if (json_is_integer(json_object_get(d, "sequence_number")))
        fi->seq = (long)json_integer_value(json_object_get(d, "sequence_number"));
    if (json_is_object(json_object_get(d, "response"))) {
        json_decref(fi->response);
        fi->response = json_incref(json_object_get(d, "response"));
    }
    json_decref(d);
    return 0;
}

static void frame_inspect(const char *bytes, size_t len, struct frame_info *fi)
{
    struct sse_parser p;

    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    sse_parser_feed(&p, bytes, len, frame_info_event, fi);
    sse_parser_release(&p);
}

/* A transcript replays its frames verbatim (REQ: transcript-byte-exact);
 * faults act per frame, as they act per event elsewhere: injected error
 * events continue the recorded sequence_number, response.failed carries
 * the last recorded response, and no_terminal leaves out terminal frames. */
struct stream *render_transcript_stream(struct rm_server *srv, const struct fixture *fx,
                                        const struct fx_fault *fault)
{
    struct stream *s = stream_new(RM_MAX_STREAM_BYTES, srv->cfg.speed);
    json_t *map = fx->fresh_ids ? json_object() : NULL, *snap = NULL;
    struct emitter e;
    int inspect;
    size_t i;

    if (!s)
        return NULL;
    emitter_init(&e, s, fx, fault);
    inspect = e.fault.kind == FX_FAULT_NO_TERMINAL || fault_ends_with_events(e.fault.kind);
    for (i = 0; i < fx->nframes && !e.stopped && !e.failed; i++) {
        const struct fx_frame *f = &fx->frames[i];
        struct frame_info fi = {NULL, -1, 0};
        const char *bytes = f->bytes;
        size_t len = f->len;
        unsigned delay = f->delay_ms;
        char *fresh = NULL;

        if (map) {
            fresh = refresh_ids(srv, f->bytes, f->len, map, &len);
            if (!fresh) {
                e.failed = 1;
                break;
            }
            bytes = fresh;
        }
        if (inspect)
            frame_inspect(bytes, len, &fi);
        if (!(fi.terminal && e.fault.kind == FX_FAULT_NO_TERMINAL) &&
            !fault_due(&e, snap, fi.terminal, &delay)) {
            push(&e, bytes, len, delay);
            e.events++;
        }
        if (fi.seq >= 0)
            e.seq = fi.seq + 1;
        if (fi.response) {
            json_decref(snap);
            snap = fi.response;
        }
        free(fresh);
    }
    fault_at_end(&e, snap);
    json_decref(snap);
    json_decref(map);
    if (e.failed) {
        stream_free(s);
        return NULL;
    }
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

json_t *render_stream_final(const struct stream *s)
{
    struct sse_parser p;
    json_t *last = NULL;
    size_t i;

    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    for (i = 0; i < s->n; i++)
        sse_parser_feed(&p, s->frames[i].bytes, s->frames[i].len, find_response, &last);
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


/* One data frame of a chat stream (a chunk, or [DONE] when 'ch' is NULL);
 * 'ch' is stolen. 'terminal' marks the finish_reason chunk. */
static void emit_data(struct emitter *e, json_t *ch, int terminal)
{
    unsigned delay;

    if (e->stopped || e->failed) {
        json_decref(ch);
        return;
    }
    delay = next_delay(e);
    if (fault_due(e, NULL, terminal, &delay)) {
        json_decref(ch);
        return;
    }
    if (ch)
        push_json(e, NULL, ch, delay);
    else
        push(e, "data: [DONE]\n\n", 14, delay);
    e->events++;
    json_decref(ch);
}

/* One chunk with the completion's id/created/model around 'delta' (stolen). */
static void emit_chunk(struct emitter *e, const json_t *base, json_t *delta, const char *finish,
                       int include_usage)
{
    json_t *ch = json_pack("{s:O, s:s, s:O, s:O, s:s, s:[{s:i, s:o, s:n, s:o}]}", "id",
                           json_object_get(base, "id"), "object", "chat.completion.chunk",
                           "created", json_object_get(base, "created"), "model",
                           json_object_get(base, "model"), "system_fingerprint", "fp_respmock",
                           "choices", "index", 0, "delta", delta, "logprobs", "finish_reason",
                           finish ? json_string(finish) : json_null());

    if (include_usage)
        json_object_set_new(ch, "usage", json_null());
    emit_data(e, ch, finish != NULL);
}

/* REQ: chat-stream-done REQ: chat-stream-include-usage */
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
    if (e.fault.kind != FX_FAULT_NO_TERMINAL) {
        const char *finish = json_util_str(choice, "finish_reason");

        emit_chunk(&e, completion, json_object(), finish ? finish : "stop", usage);
        if (usage)
            emit_data(&e,
                      json_pack("{s:O, s:s, s:O, s:O, s:s, s:[], s:O}", "id",
                                json_object_get(completion, "id"), "object",
                                "chat.completion.chunk", "created",
                                json_object_get(completion, "created"), "model",
                                json_object_get(completion, "model"), "system_fingerprint",
                                "fp_respmock", "choices", "usage",
                                json_object_get(completion, "usage")),
                      0);
        emit_data(&e, NULL, 0);
    }
    fault_at_end(&e, NULL);
    if (e.failed) {
        stream_free(s);
        return NULL;
    }
    return s;
}
