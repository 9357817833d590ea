/* events: a stream as data, from render to the wire.
 *
 * Render modules append events (a type, a JSON object, a scripted delay) to
 * an event list; nothing is serialised until one writer (stream.c for SSE)
 * turns the list into bytes. The store keeps the same list, so retrieve,
 * replay, cancel and the background views read events as objects and never
 * parse respmock's own output.
 *
 * A list is immutable once built and shared by reference count (atomic), so
 * a stored response and a reply in flight can hold the same list; the JSON
 * it holds must not change after it was appended. */
#ifndef RM_EVENTS_H
#define RM_EVENTS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"

enum event_kind {
    EVENT_JSON,  /* "event: <type>" (when type is non-NULL) and "data: <json>" */
    EVENT_RAW,   /* bytes written verbatim (recorded frames, a malformed frame) */
    EVENT_DONE,  /* the Chat Completions "data: [DONE]" sentinel */
    EVENT_PAUSE, /* no bytes: only its delay (a stall at the end of a stream) */
};

struct event {
    enum event_kind kind;
    char *type;         /* owned; NULL for data-only frames (Chat) and pauses */
    json_t *json;       /* EVENT_JSON: the data object (owned reference); EVENT_RAW: the
                         * data of the last event in the bytes when it parsed, else NULL */
    char *raw;          /* EVENT_RAW: owned bytes */
    size_t raw_len;
    char *text;         /* EVENT_JSON: 'json' serialised (json_util_dumps), owned, once
                         * event_list_serialise ran; NULL before */
    size_t text_len;
    unsigned delay_ms;  /* wait before this event, before --speed */
};

struct event_list {
    struct event *v;
    size_t n, cap;
    int end_with_error; /* after the last event, cut the connection (drop fault) */
    size_t abort_after; /* cut the connection after this many bytes (0 = never) */
    atomic_int refs;    /* reference count */
};

/* An empty list with one reference. NULL on OOM. */
struct event_list *event_list_new(void);

/* One more reference to 'l' (returned). Accepts NULL. */
struct event_list *event_list_ref(struct event_list *l);

/* Drop a reference; the last one frees everything. Accepts NULL. */
void event_list_unref(struct event_list *l);

/* Append a JSON event: 'type' is copied (NULL: data-only), 'json' stolen.
 * Returns 0, or -1 on OOM or more than RM_MAX_STREAM_EVENTS events ('json'
 * is released then too). */
int event_list_push_json(struct event_list *l, const char *type, json_t *json,
                         unsigned delay_ms);

/* Append verbatim bytes (copied); 'json' (stolen, may be NULL) is what they
 * say, for readers of the list. Returns 0 or -1. */
int event_list_push_raw(struct event_list *l, const char *type, const char *bytes, size_t len,
                        json_t *json, unsigned delay_ms);

/* Append the [DONE] sentinel / a pause. Returns 0 or -1. */
int event_list_push_done(struct event_list *l, unsigned delay_ms);
int event_list_push_pause(struct event_list *l, unsigned delay_ms);

/* Append a copy of 'ev' (new references) with delay 'delay_ms'. Returns 0 or -1. */
int event_list_push_copy(struct event_list *l, const struct event *ev, unsigned delay_ms);

/* The JSON type of event 'ev' ("type" of its data), or NULL. */
const char *event_type(const struct event *ev);

/* The sequence_number of event 'ev', or -1 when it has none. */
long event_seq(const struct event *ev);

/* The "response" object carried by the last event of 'l' that carries one
 * (borrowed), or NULL. */
json_t *event_list_last_response(const struct event_list *l);

/* The data of the last event of 'l' that has a JSON object (borrowed), or NULL. */
json_t *event_list_last_json(const struct event_list *l);

/* Bytes the list holds in all (event JSON as compact text plus raw bytes). */
size_t event_list_bytes(const struct event_list *l);

/* Serialise every JSON event once (into its 'text'), so the SSE writer and
 * the store share one serialisation. Only for a list no other thread can see
 * yet (it changes the list). Returns 0, or -1 on OOM (the list stays usable:
 * what has no text is serialised by its reader). */
int event_list_serialise(struct event_list *l);

/* The list as bytes, for the store (which keeps no JSON trees): each event's
 * kind, delay, type, JSON as compact text (its 'text' when serialised, else
 * serialised here the same way; full precision, so it parses back to the
 * same values) and raw bytes, appended to 'out'. Returns 0, or -1 when
 * over out's limit or on OOM. */
int event_list_pack(const struct event_list *l, struct buf *out);

/* A list (one reference) from the bytes of event_list_pack: the same events,
 * which serialise to the same bytes (each JSON event keeps its text). NULL when they are not such bytes or on
 * OOM. */
struct event_list *event_list_unpack(const char *p, size_t len);

#endif
