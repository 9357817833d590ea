/* fault: fault parsing, whole-reply faults and the emitter (see fault.h). */
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "snapshot.h"

/* ---- Parsing ----------------------------------------------------------- */

static const struct {
    const char *name;
    enum fx_fault_kind kind;
} fault_names[] = {
    {"drop", FX_FAULT_DROP},
    {"stall", FX_FAULT_STALL},
    {"malformed", FX_FAULT_MALFORMED},
    {"no_terminal", FX_FAULT_NO_TERMINAL},
    {"error", FX_FAULT_ERROR},
    {"error_flat", FX_FAULT_ERROR_FLAT},
    {"failed", FX_FAULT_FAILED},
    {"error_then_failed", FX_FAULT_ERROR_THEN_FAILED},
    {"latency", FX_FAULT_LATENCY},
    {"malformed_body", FX_FAULT_MALFORMED_BODY},
};

static int fault_kind_of(const char *name, size_t n, enum fx_fault_kind *kind)
{
    size_t i;

    for (i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
        if (strlen(fault_names[i].name) == n && strncmp(fault_names[i].name, name, n) == 0) {
            *kind = fault_names[i].kind;
            return 0;
        }
    return -1;
}

void fault_defaults(struct fx_fault *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->code, sizeof(f->code), RM_ERRCODE_SERVER);
    snprintf(f->message, sizeof(f->message),
             "The server had an error while processing your request. Sorry about that!");
}

int fault_parse_spec(const char *spec, struct fx_fault *out, char *why, size_t why_len)
{
    const char *p = spec, *semi;
    size_t n;

    fault_defaults(out);
    semi = strchr(p, ';');
    n = semi ? (size_t)(semi - p) : strlen(p);
    while (n && p[n - 1] == ' ')
        n--;
    if (fault_kind_of(p, n, &out->kind) != 0) {
        snprintf(why, why_len, "unknown fault kind '%.*s'", (int)(n > 40 ? 40 : n), p);
        return -1;
    }
    while (semi) {
        const char *kv = semi + 1, *eq;
        char key[32];
        unsigned long val;
        char *end;

        semi = strchr(kv, ';');
        while (*kv == ' ')
            kv++;
        eq = strchr(kv, '=');
        if (!eq || (semi && eq > semi) || (size_t)(eq - kv) >= sizeof(key)) {
            snprintf(why, why_len, "expected key=value after ';'");
            return -1;
        }
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = '\0';
        val = strtoul(eq + 1, &end, 10);
        if (end == eq + 1 || val > RM_MAX_DELAY_MS * 100UL) {
            snprintf(why, why_len, "'%s' needs a whole number", key);
            return -1;
        }
        if (strcmp(key, "after_events") == 0)
            out->after_events = (unsigned)val;
        else if (strcmp(key, "after_bytes") == 0)
            out->after_bytes = val;
        else if (strcmp(key, "stall_ms") == 0 || strcmp(key, "ms") == 0)
            out->stall_ms = (unsigned)(val > RM_MAX_DELAY_MS ? RM_MAX_DELAY_MS : val);
        else {
            snprintf(why, why_len, "unknown fault option '%s'", key);
            return -1;
        }
    }
    return 0;
}

/* An optional integer member of 'obj' from 0 to 'max' into '*out'. */
static int json_uint(const json_t *obj, const char *key, unsigned long max, unsigned long *out,
                     fault_fail_fn fail, void *user)
{
    json_t *v = json_object_get(obj, key);
    char msg[64];

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long)json_integer_value(v) > max) {
        snprintf(msg, sizeof(msg), "expected an integer from 0 to %lu", max);
        fail(user, key, msg);
        return -1;
    }
    *out = (unsigned long)json_integer_value(v);
    return 0;
}

int fault_parse_json(const json_t *obj, struct fx_fault *out, fault_fail_fn fail, void *user)
{
    static const char *const keys[] = {"kind", "after_events", "after_bytes", "stall_ms",
                                       "code", "message", NULL};
    json_t *kind = json_object_get(obj, "kind"), *v;
    unsigned long after_events = 0, after_bytes = 0, stall_ms = 0;
    const char *key, *s;
    int rc = 0;

    fault_defaults(out);
    if (!json_is_object(obj)) {
        fail(user, "", "expected an object");
        return -1;
    }
    json_object_foreach((json_t *)obj, key, v) {
        const char *const *k;
        char msg[256];

        for (k = keys; *k && strcmp(*k, key) != 0; k++)
            ;
        if (!*k) {
            snprintf(msg, sizeof(msg), "unknown key '%.200s'", key);
            fail(user, key, msg);
            rc = -1;
        }
    }
    if (!json_is_string(kind) ||
        fault_kind_of(json_string_value(kind), strlen(json_string_value(kind)), &out->kind) != 0 ||
        out->kind == FX_FAULT_LATENCY) {
        fail(user, "kind",
             "expected one of drop, stall, malformed, no_terminal, error, error_flat, failed, "
             "error_then_failed, malformed_body");
        return -1;
    }
    rc |= json_uint(obj, "after_events", RM_MAX_TRANSCRIPT_EVENTS, &after_events, fail, user);
    rc |= json_uint(obj, "after_bytes", RM_MAX_STREAM_BYTES, &after_bytes, fail, user);
    rc |= json_uint(obj, "stall_ms", RM_MAX_DELAY_MS, &stall_ms, fail, user);
    out->after_events = (unsigned)after_events;
    out->after_bytes = after_bytes;
    out->stall_ms = (unsigned)stall_ms;
    if ((s = json_util_str(obj, "code")))
        snprintf(out->code, sizeof(out->code), "%s", s);
    if ((s = json_util_str(obj, "message")))
        snprintf(out->message, sizeof(out->message), "%s", s);
    return rc;
}

/* ---- Whole-reply faults ------------------------------------------------ */

unsigned fault_latency_ms(unsigned latency_ms, const struct fx_fault *request)
{
    return request && request->kind == FX_FAULT_LATENCY ? request->stall_ms : latency_ms;
}

void fault_body_apply(const struct fx_fault *request, const struct fx_stream *script, char *body,
                      size_t *len)
{
    if ((!request || request->kind != FX_FAULT_MALFORMED_BODY) &&
        script->fault.kind != FX_FAULT_MALFORMED_BODY)
        return;
    if (body && *len > 2) {
        *len /= 2;
        body[*len] = '\0';
    }
}

/* ---- The emitter ------------------------------------------------------- */

/* Fault kinds that act inside a stream (latency and malformed_body act on
 * the whole reply). */
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

void emitter_init(struct emitter *e, struct event_list *l, const struct fx_stream *script,
                  const struct fx_fault *request, int chat)
{
    memset(e, 0, sizeof(*e));
    e->l = l;
    e->script = script;
    e->chat = chat;
    if (request && fault_in_stream(request->kind))
        e->fault = *request;
    else if (fault_in_stream(script->fault.kind))
        e->fault = script->fault;
    else
        e->fault.kind = FX_FAULT_NONE;
    e->rng = script->seed ? script->seed : 1;
    if (e->fault.kind == FX_FAULT_DROP && e->fault.after_bytes) {
        /* Byte-counted drop: the reader cuts the connection there, or at
         * the end when the stream is shorter. */
        l->abort_after = e->fault.after_bytes;
        l->end_with_error = 1;
        e->fired = 1;
    }
}

int emitter_skips_terminal(const struct emitter *e)
{
    return e->fault.kind == FX_FAULT_NO_TERMINAL;
}

/* Delay before the next event: first_event_ms for the first, then
 * delay_ms +/- a jitter drawn from the script's seed (so a fixture always
 * paces the same way). */
static unsigned next_delay(struct emitter *e)
{
    const struct fx_stream *t = e->script;
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

/* 'ev' in the key order of the real API's Responses events since 2026-01:
 * "type" first, the rest in byte order ("sequence_number" among them, so it
 * comes last unless a key such as "text" sorts after it). 'ev' is stolen;
 * new reference ('ev' itself when out of memory). */
static json_t *in_wire_order(json_t *ev)
{
    json_t *out = json_util_type_first(ev);

    if (!out)
        return ev;
    json_decref(ev);
    return out;
}

/* Append a JSON event ('json' stolen): "event:" line unless chat. */
static void push_json(struct emitter *e, const char *type, json_t *json, unsigned delay)
{
    if (!e->chat && json_is_object(json))
        json = in_wire_order(json);
    if (e->failed || event_list_push_json(e->l, e->chat ? NULL : type, json, delay) != 0)
        e->failed = 1;
}

/* The malformed fault's frame: a data line whose JSON is cut short. */
static void push_malformed(struct emitter *e, unsigned delay)
{
    static const char chat[] = "data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion."
                               "chunk\",\"choices\":[{\n\n";
    static const char responses[] = "event: " RM_EV_TEXT_DELTA "\ndata: {\"type\":\"" RM_EV_TEXT_DELTA
                                    "\",\"sequence_number\":\n\n";
    const char *bytes = e->chat ? chat : responses;

    if (!e->failed &&
        event_list_push_raw(e->l, e->chat ? NULL : RM_EV_TEXT_DELTA, bytes, strlen(bytes), NULL,
                            delay) != 0)
        e->failed = 1;
}

/* The events of an error fault: REQ: stream-error-shapes. Chat streams
 * get the data-only {"error":{...}} object; Responses streams the nested
 * error event (as on the wire) or the flat documented one, and/or
 * response.failed carrying 'snapshot' with the items done so far. The first
 * carries 'delay'. */
static void emit_fault_events(struct emitter *e, const json_t *snapshot, unsigned delay)
{
    const struct fx_fault *f = &e->fault;

    if (e->chat) {
        push_json(e, NULL,
                  json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", f->message, "type",
                            RM_ERRTYPE_SERVER, "param", "code", f->code),
                  delay);
        e->events++;
        return;
    }
    if (f->kind == FX_FAULT_ERROR || f->kind == FX_FAULT_ERROR_THEN_FAILED ||
        f->kind == FX_FAULT_ERROR_FLAT) {
        json_t *ev;

        if (f->kind == FX_FAULT_ERROR_FLAT)
            ev = json_pack("{s:s, s:I, s:s, s:s, s:n}", "type", RM_EV_ERROR, "sequence_number",
                           (json_int_t)e->seq++, "code", f->code, "message", f->message,
                           "param");
        else
            ev = json_pack("{s:s, s:I, s:{s:s, s:s, s:s, s:n}}", "type", RM_EV_ERROR,
                           "sequence_number", (json_int_t)e->seq++, "error", "type",
                           RM_ERRTYPE_SERVER, "code", f->code, "message", f->message, "param");
        push_json(e, RM_EV_ERROR, ev, delay);
        e->events++;
        delay = next_delay(e);
    }
    if (f->kind == FX_FAULT_FAILED || f->kind == FX_FAULT_ERROR_THEN_FAILED) {
        json_t *failed = response_failed(snapshot, f->code, f->message, e->done);

        push_json(e, RM_EV_FAILED,
                  json_pack("{s:s, s:I, s:o}", "type", RM_EV_FAILED, "sequence_number",
                            (json_int_t)e->seq++, "response", failed),
                  delay);
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
        push_malformed(e, *delay);
        *delay = 0;
        return 0;
    case FX_FAULT_DROP:
        e->l->end_with_error = 1;
        e->stopped = 1;
        return 1;
    default:
        emit_fault_events(e, snapshot, *delay);
        e->stopped = 1;
        return 1;
    }
}

void emitter_event(struct emitter *e, const char *type, json_t *payload, const json_t *snapshot,
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
    /* REQ: stream-sequence-number REQ: stream-event-equals-type */
    ev = json_object();
    json_object_set_new(ev, "type", json_string(type));
    json_object_set_new(ev, "sequence_number", json_integer(e->seq++));
    json_object_foreach(payload, k, v) json_object_set(ev, k, v);
    json_decref(payload);
    push_json(e, type, ev, delay);
    e->events++;
}

void emitter_item_done(struct emitter *e, const json_t *item)
{
    if (e->stopped)
        return;
    if (!e->done)
        e->done = json_array();
    json_array_append(e->done, (json_t *)item);
}

void emitter_data(struct emitter *e, json_t *chunk, int terminal)
{
    unsigned delay;

    if (e->stopped || e->failed) {
        json_decref(chunk);
        return;
    }
    delay = next_delay(e);
    if (fault_due(e, NULL, terminal, &delay)) {
        json_decref(chunk);
        return;
    }
    if (chunk)
        push_json(e, NULL, chunk, delay);
    else if (event_list_push_done(e->l, delay) != 0)
        e->failed = 1;
    e->events++;
}

void emitter_frame(struct emitter *e, const char *bytes, size_t len, const json_t *json,
                   unsigned delay_ms, const json_t *snapshot)
{
    const char *type = json_util_str(json, "type");
    int terminal = contract_event_is_terminal(type);
    json_t *seq = json_object_get(json, "sequence_number");

    if (e->stopped || e->failed)
        return;
    if (!(terminal && e->fault.kind == FX_FAULT_NO_TERMINAL) &&
        !fault_due(e, snapshot, terminal, &delay_ms)) {
        if (event_list_push_raw(e->l, type, bytes, len, json_incref((json_t *)json),
                                delay_ms) != 0)
            e->failed = 1;
        e->events++;
    }
    if (json_is_integer(seq))
        e->seq = (long)json_integer_value(seq) + 1;
}

int emitter_finish(struct emitter *e, const json_t *snapshot)
{
    const struct fx_fault *f = &e->fault;

    if (!(e->stopped || e->failed || e->fired || f->kind == FX_FAULT_NONE ||
          f->kind == FX_FAULT_NO_TERMINAL)) {
        e->fired = 1;
        switch (f->kind) {
        case FX_FAULT_DROP:
            e->l->end_with_error = 1;
            break;
        case FX_FAULT_STALL:
            if (event_list_push_pause(e->l, f->stall_ms) != 0)
                e->failed = 1;
            break;
        case FX_FAULT_MALFORMED:
            push_malformed(e, next_delay(e));
            break;
        default: /* only a stream without a terminal event gets here */
            emit_fault_events(e, snapshot, next_delay(e));
            e->stopped = 1;
            break;
        }
    }
    json_decref(e->done);
    e->done = NULL;
    return e->failed ? -1 : 0;
}
