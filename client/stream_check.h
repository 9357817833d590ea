/* stream_check: the streaming invariants of contract §4, checked over the raw
 * bytes of one SSE body (or over events another SSE parser already split),
 * incrementally, through the shared SSE parser. It is the project's one
 * stream checker: respsmoke judges real endpoints with it, and the tests
 * judge respmock with it (tests/support/stream_assert.c only adds what
 * respmock alone promises).
 *
 * Responses streams: JSON framing with event == data.type; response.created
 * first, its and the queued/in_progress snapshots not yet finished; items
 * appended at output_index == count with unique non-empty ids (and call_ids
 * for function calls); every item-scoped event naming an added, unfinished
 * item (by index, and by item_id when it has one); content and summary parts
 * added in order before their deltas, text .done before content_part.done;
 * exactly one terminal event, whose Response has the status its type says
 * and the id response.created announced; strictly increasing
 * sequence_number; deltas that concatenate to the .done texts, to
 * content_part.done and output_item.done, and to the final response, whose
 * output equals the output_item.done items. Chat streams:
 * chat.completion.chunk framing, one id/created/model, role "assistant"
 * first, tool-call deltas with an index (id and name on the first of each),
 * one finish_reason per choice, a usage chunk (choices []) only last, one
 * final data: [DONE]; and, when the caller says whether it asked for
 * include_usage (stream_check_expect), OpenAI's usage rules.
 *
 * Tolerated, because real endpoints send them (and counted where it helps a
 * report): an extra "data: [DONE]", events of unknown types (numbered or
 * not), gaps in sequence_number, a missing event: line, content parts of
 * other types than output_text/refusal (reasoning_text) whose events are not
 * followed, Azure-style prompt_filter_results chunks, chunks with neither
 * choices nor usage, and usage on a chunk with choices when nothing was said
 * about include_usage. No network, no globals: unit-testable. */
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
    STREAM_INV_ORDER,    /* created first; items/parts added before their events, in
                          * order, with unique ids; item-scoped events name their item */
    STREAM_INV_TERMINAL, /* exactly one terminal event, nothing known after it */
    STREAM_INV_SEQUENCE, /* sequence_number on every event, strictly increasing */
    STREAM_INV_DELTAS,   /* deltas concatenate to .done texts and the final response, whose
                          * output repeats the output_item.done items */
    STREAM_INV_FINAL,    /* final response complete and well-formed (chat: finish_reason
                          * and usage rules) */
    STREAM_INV_COUNT
};

/* What the caller asked for, so the checker can hold the stream to it; bits
 * for stream_check_expect. */
enum stream_expect {
    STREAM_EXPECT_ANY_END = 1u << 0,  /* response.incomplete / .failed is a valid end too */
    STREAM_EXPECT_USAGE = 1u << 1,    /* chat: include_usage asked: a usage chunk, and
                                       * "usage": null on every other chunk */
    STREAM_EXPECT_NO_USAGE = 1u << 2  /* chat: include_usage not asked: no usage chunk */
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
    size_t text_len;        /* bytes of concatenated text, refusal and argument deltas */
    int gaps;               /* sequence_number skipped values or did not start at 0 */
    size_t obfuscated;      /* events whose JSON has an "obfuscation" pad (OpenAI deltas,
                             * CometAPI chat chunks): tolerated, counted for the notes */
};

/* A content part of an item, or a summary part of a reasoning item. */
struct stream_part {
    int added, done, text_done; /* part .added / part .done / text .done seen */
    char type[24];              /* part type (sanitized), "" until added */
    size_t deltas;              /* delta events */
    struct buf text;            /* concatenated deltas */
};

struct stream_item {
    int added, done;            /* output_item.added / .done seen */
    int args_done;              /* function_call_arguments.done seen */
    char id[128];               /* item id from output_item.added, "" when none */
    char type[32];              /* item type (sanitized) */
    char call_id[128];          /* function_call call_id, "" when none */
    char name[64];              /* function_call name, "" when none */
    size_t arg_deltas;          /* function_call_arguments.delta events */
    struct buf args;            /* concatenated argument deltas */
    size_t n_parts, n_summary;  /* content / summary parts added (may exceed the arrays) */
    struct stream_part parts[SMOKE_STREAM_PARTS];
    struct stream_part summary[SMOKE_STREAM_PARTS];
    json_t *done_item;          /* the item of output_item.done (owned), NULL before */
};

/* One tool call of a chat choice, built from its deltas. */
struct stream_tool_call {
    char id[128];               /* id of its first delta */
    char name[64];              /* function.name of its first delta */
    struct buf args;            /* concatenated function.arguments */
};

struct stream_choice {
    size_t chunks;              /* chunks that carried this choice */
    int finished;               /* a finish_reason was seen */
    char finish_reason[32];     /* that finish_reason (sanitized) */
    struct buf text;            /* concatenated delta.content */
    size_t refusal_deltas;      /* deltas with a string delta.refusal */
    struct buf refusal;         /* concatenated delta.refusal */
    size_t n_tools;             /* tool calls started (may exceed the array) */
    struct stream_tool_call tools[SMOKE_STREAM_TOOL_CALLS];
};

/* Incremental checker state; initialise with stream_check_init. The item,
 * choice and usage fields may be read after stream_check_finish (until
 * stream_check_release) by callers that want what the stream built. */
struct stream_check {
    enum stream_kind kind;
    unsigned expect;            /* enum stream_expect bits */
    struct sse_parser parser;
    struct stream_report rep;
    int created, terminal_count, after_terminal, after_done;
    char terminal_type[40];
    char response_id[128];      /* id of response.created's Response */
    long long last_seq;
    int have_seq;
    size_t known_events;
    size_t n_items;             /* items added (may exceed the array) */
    struct stream_item items[SMOKE_STREAM_ITEMS];
    struct stream_choice choices[SMOKE_STREAM_CHOICES];
    char chat_id[128];
    json_t *chat_first;         /* the first chat chunk (owned) */
    size_t chunks;              /* chat.completion.chunk events, the usage chunk included */
    size_t usage_chunks;        /* chat chunks with no choices and a usage object */
    json_t *usage;              /* usage of the first usage chunk (owned), NULL when none */
    json_t *final;              /* response of the terminal event (owned) */
    int parse_failed;           /* the parser hit its event limit */
};

/* Prepare 's' for a stream of 'kind'. */
void stream_check_init(struct stream_check *s, enum stream_kind kind);

/* Tell 's' what the request asked for ('flags': enum stream_expect bits);
 * call after stream_check_init, before the first byte or event. */
void stream_check_expect(struct stream_check *s, unsigned flags);

/* Feed 'len' bytes of the body as they arrive. Returns 0, or -1 once an
 * event exceeded SMOKE_MAX_EVENT (later bytes are ignored). */
int stream_check_feed(struct stream_check *s, const char *bytes, size_t len);

/* Feed one event that the caller's own SSE parser dispatched, instead of
 * bytes (do not mix the two for one stream). 'ev' is only read. */
void stream_check_event(struct stream_check *s, const struct sse_event *ev);

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
