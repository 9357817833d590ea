/* fault: every fault respmock can inject, parsed and applied in one place.
 *
 * A fault comes from a fixture ("stream": {"fault": {...}}) or from a
 * request (x-respmock-fault: "kind;key=value..."); both parse here into a
 * struct fx_fault. Latency and malformed_body act on a whole reply
 * (fault_latency_ms, fault_body_apply); every other kind acts inside a
 * stream, through the emitter: each event of every stream (Responses
 * events, Chat chunks, transcript frames) is appended to its event list by
 * the emitter, which numbers and paces it and fires the fault (at most
 * once) just before the event it is scheduled for, so the fault rules are
 * the same for every kind of stream. */
#ifndef RM_FAULT_H
#define RM_FAULT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

enum fx_fault_kind {
    FX_FAULT_NONE,
    FX_FAULT_DROP,              /* cut the connection (no chunk terminator) */
    FX_FAULT_STALL,             /* send nothing for stall_ms, then go on */
    FX_FAULT_MALFORMED,         /* one data: line with broken JSON, then go on */
    FX_FAULT_NO_TERMINAL,       /* leave out the terminal event */
    FX_FAULT_ERROR,             /* "error" event, nested shape (as on the wire), then end */
    FX_FAULT_ERROR_FLAT,        /* "error" event, flat documented shape, then end */
    FX_FAULT_FAILED,            /* response.failed, then end */
    FX_FAULT_ERROR_THEN_FAILED, /* nested error event, then response.failed */
    FX_FAULT_LATENCY,           /* (request header only) delay the whole reply */
    FX_FAULT_MALFORMED_BODY,    /* non-streaming: truncated JSON body */
};

struct fx_fault {
    enum fx_fault_kind kind;
    unsigned after_events;  /* events sent before the fault */
    size_t after_bytes;     /* DROP: cut after this many bytes instead (0 = use events) */
    unsigned stall_ms;      /* STALL: how long; LATENCY: delay */
    char code[64];          /* error events: error code */
    char message[256];      /* error events: message */
};

/* How a fixture streams: pacing, chunking, and its stream fault. */
struct fx_stream {
    unsigned first_event_ms; /* before the first event */
    unsigned delay_ms;       /* between events */
    unsigned jitter_ms;      /* +/- seeded jitter on delay_ms */
    uint32_t seed;           /* jitter seed */
    int by_words;            /* 1: chunk by words, 0: by characters */
    unsigned chunk_size;     /* words or characters per delta */
    struct fx_fault fault;
};

/* ---- Parsing ----------------------------------------------------------- */

/* No fault, with the default error code and message. */
void fault_defaults(struct fx_fault *f);

/* Parse a per-request fault spec "kind[;key=value...]" (x-respmock-fault),
 * e.g. "drop;after_events=3", "stall;after_events=2;stall_ms=500",
 * "latency;ms=200". Returns 0 or -1 with a message in 'why'. */
int fault_parse_spec(const char *spec, struct fx_fault *out, char *why, size_t why_len);

/* Called for each problem of a fixture fault object: 'key' is the member at
 * fault ("" for the object itself), 'msg' what is wrong. */
typedef void (*fault_fail_fn)(void *user, const char *key, const char *msg);

/* Parse a fixture's fault object {"kind", "after_events", "after_bytes",
 * "stall_ms", "code", "message"} into 'out'. Every problem goes to 'fail'.
 * Returns 0, or -1 when there was one. */
int fault_parse_json(const json_t *obj, struct fx_fault *out, fault_fail_fn fail, void *user);

/* ---- Whole-reply faults ------------------------------------------------ */

/* The delay before a reply: the request's latency fault, else the
 * fixture's 'latency_ms'. */
unsigned fault_latency_ms(unsigned latency_ms, const struct fx_fault *request);

/* malformed_body, asked for by the request or the fixture's script: cut the
 * JSON 'body' (of '*len' bytes, NUL-terminated) in half. */
void fault_body_apply(const struct fx_fault *request, const struct fx_stream *script, char *body,
                      size_t *len);

/* ---- Stream faults: the emitter ---------------------------------------- */

/* Builds one event list: numbers the events, applies the delays, and fires
 * the stream fault in force (the request's when it is a stream fault, else
 * the script's; a latency header keeps the script's stream fault). */
struct emitter {
    struct event_list *l;
    const struct fx_stream *script;
    struct fx_fault fault; /* the stream fault in force; kind NONE when none */
    long seq;              /* next sequence_number */
    size_t events;         /* events sent (chat: data frames, [DONE] included) */
    int chat;              /* data-only frames, chat-style error object */
    int fired;             /* the fault has happened */
    int stopped;           /* the fault ended the stream */
    int failed;            /* OOM or over a limit */
    uint32_t rng;          /* jitter state (xorshift32) */
    json_t *done;          /* Responses: items of output_item.done so far (NULL: none) */
};

/* Start emitting into 'l' (borrowed) with the pacing and fault of 'script';
 * 'request' (may be NULL) is the request's fault. 'chat' selects
 * data-only frames. */
void emitter_init(struct emitter *e, struct event_list *l, const struct fx_stream *script,
                  const struct fx_fault *request, int chat);

/* True when the stream fault in force leaves out the terminal event. */
int emitter_skips_terminal(const struct emitter *e);

/* One Responses event: type and sequence_number first (key order as on
 * the wire), then the members of 'payload' (stolen). 'snapshot' is the
 * Response a response.failed fault carries; 'terminal' marks the terminal
 * event (an error fault scheduled past the end replaces it). */
void emitter_event(struct emitter *e, const char *type, json_t *payload, const json_t *snapshot,
                   int terminal);

/* Note an output item that was completed (its output_item.done was sent):
 * a response.failed fault lists the items completed so far. */
void emitter_item_done(struct emitter *e, const json_t *item);

/* One Chat data frame: a chunk ('chunk' stolen), or [DONE] when NULL.
 * 'terminal' marks the finish_reason chunk. */
void emitter_data(struct emitter *e, json_t *chunk, int terminal);

/* One recorded frame, sent verbatim after its recorded 'delay_ms'; 'json'
 * (borrowed, may be NULL) is what the frame says (its last event's data):
 * its sequence_number continues the numbering of injected events, and a
 * terminal frame is left out under no_terminal. 'snapshot' as above. */
void emitter_frame(struct emitter *e, const char *bytes, size_t len, const json_t *json,
                   unsigned delay_ms, const json_t *snapshot);

/* After the last event: a fault scheduled past the end still happens
 * (drop: the connection is cut instead of closed; stall: the connection
 * stays open that long; malformed: a broken last frame). Returns 0, or -1
 * when anything failed (OOM, a limit); frees the emitter's own state. */
int emitter_finish(struct emitter *e, const json_t *snapshot);

#endif
