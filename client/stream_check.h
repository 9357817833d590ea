/* stream_check: the streaming invariants of contract §4, checked over the raw
 * bytes of one SSE body, incrementally, through the shared SSE parser.
 *
 * Responses streams: JSON framing with event == data.type, response.created
 * first and items/parts added before their deltas, exactly one terminal event,
 * strictly increasing sequence_number, deltas that concatenate to the .done
 * texts and to the final response, and a complete final response. Chat
 * streams: chat.completion.chunk framing, one final data: [DONE], content
 * deltas and a finish_reason. An extra "data: [DONE]" and unknown event types
 * are tolerated (and counted). No network, no globals: unit-testable. */
#ifndef RS_STREAM_CHECK_H
#define RS_STREAM_CHECK_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "client_limits.h"
#include "sse.h"

enum stream_kind {
    STREAM_RESPONSES, /* POST /responses with stream:true */
    STREAM_CHAT       /* POST /chat/completions with stream:true */
};

/* The invariants, one verdict each. */
enum stream_inv {
    STREAM_INV_FRAMING,  /* events parse; data is a JSON object; event line == data.type */
    STREAM_INV_ORDER,    /* created first; added before deltas; indices sequential */
    STREAM_INV_TERMINAL, /* exactly one terminal event, nothing known after it */
    STREAM_INV_SEQUENCE, /* sequence_number on every event, strictly increasing */
    STREAM_INV_DELTAS,   /* deltas concatenate to .done texts and the final response */
    STREAM_INV_FINAL,    /* final response complete and well-formed */
    STREAM_INV_COUNT
};

struct stream_verdict {
    int state;                        /* 1 pass, 0 fail, -1 not applicable */
    char reason[SMOKE_REASON_MAX];    /* first failure, or a pass summary */
};

/* The outcome of one stream. */
struct stream_report {
    struct stream_verdict inv[STREAM_INV_COUNT];
    size_t events;          /* SSE events dispatched (including [DONE]) */
    size_t unknown_events;  /* events of types this checker does not know */
    char first_unknown[SMOKE_TOKEN_MAX + 8]; /* sanitized name of the first one */
    size_t done_sentinels;  /* "data: [DONE]" events */
    size_t text_len;        /* bytes of concatenated text deltas */
    int gaps;               /* sequence_number skipped values or did not start at 0 */
};

struct stream_part {
    int added, done, text_done; /* content_part.added / .done / output_text.done seen */
    size_t deltas;              /* delta events */
    struct buf text;            /* concatenated deltas */
};

struct stream_item {
    int added, done;            /* output_item.added / .done seen */
    char id[96];                /* item id from output_item.added, "" when none */
    char type[32];              /* item type */
    size_t arg_deltas;          /* function_call_arguments.delta events */
    struct buf args;            /* concatenated argument deltas */
    struct stream_part parts[SMOKE_STREAM_PARTS];
};

struct stream_choice {
    int finished;               /* a finish_reason was seen */
    struct buf text;            /* concatenated delta.content */
};

/* Incremental checker state; initialise with stream_check_init. */
struct stream_check {
    enum stream_kind kind;
    struct sse_parser parser;
    struct stream_report rep;
    int created, terminal_count, after_terminal, after_done;
    char terminal_type[40];
    long long last_seq;
    int have_seq;
    size_t known_events;
    size_t n_items;
    struct stream_item items[SMOKE_STREAM_ITEMS];
    struct stream_choice choices[SMOKE_STREAM_CHOICES];
    char chat_id[96];
    size_t chunks;
    json_t *final;              /* response of the terminal event (owned) */
    int parse_failed;           /* the parser hit its event limit */
};

/* Prepare 's' for a stream of 'kind'. */
void stream_check_init(struct stream_check *s, enum stream_kind kind);

/* Feed 'len' bytes of the body as they arrive. Returns 0, or -1 once an
 * event exceeded SMOKE_MAX_EVENT (later bytes are ignored). */
int stream_check_feed(struct stream_check *s, const char *bytes, size_t len);

/* End of body: evaluate what can only be judged at the end and copy the
 * verdicts into 'out'. Call once. */
void stream_check_finish(struct stream_check *s, struct stream_report *out);

/* Free what 's' holds; accepts a checker that was never fed. */
void stream_check_release(struct stream_check *s);

/* All of the above over one complete buffer: a pure function. */
void stream_check_bytes(enum stream_kind kind, const char *bytes, size_t len,
                        struct stream_report *out);

/* Name of invariant 'inv' as used in check names ("event_order", ...). */
const char *stream_check_inv_name(enum stream_inv inv);

#endif
