/* stream_assert: capture SSE streams (from bytes, or over HTTP with arrival
 * times) with the one shared parser (server/common/sse.h), and assert the
 * Responses / Chat Completions stream invariants of contract §4, §8, §10 by
 * running the one stream checker, client/stream_check.h (the same rules
 * respsmoke holds real endpoints to), then asserting on top only what
 * respmock promises beyond the contract. Used by the unit tests (render
 * output, no socket) and the integration tests (spawned respmock) alike. */
#ifndef RM_STREAM_ASSERT_H
#define RM_STREAM_ASSERT_H

#include <jansson.h>
#include <stddef.h>

struct sse_captured {
    char *event;      /* "event:" value, NULL when none */
    char *data;       /* joined data lines */
    json_t *json;     /* 'data' parsed (object), NULL when not JSON */
    double at_s;      /* arrival time since the request started (HTTP only) */
};

struct sse_capture {
    struct sse_captured *ev;
    size_t n, cap;
    int unterminated;  /* bytes after the last blank line (an undispatched event) */
    int parse_error;   /* the parser gave up (event over the limit) */
};

/* Parse a whole byte string into 'c' (zeroed first). */
void sse_capture_bytes(struct sse_capture *c, const char *bytes, size_t len);

void sse_capture_release(struct sse_capture *c);

/* Index of the first event whose type (JSON "type") is 'type', or -1. */
long sse_capture_find(const struct sse_capture *c, const char *type, size_t from);

/* Number of events whose JSON type is 'type'. */
size_t sse_capture_count(const struct sse_capture *c, const char *type);

/* Assert that a complete Responses stream passes every stream_check
 * invariant (any terminal event accepted: completed, incomplete or failed)
 * and return its terminal Response (borrowed from 'c'). On top, respmock's
 * own promises: every event known to the contract, an event: line and
 * one-line JSON on each, sequence_number exactly 0..n-1, no [DONE], the
 * response.created / .queued / .in_progress snapshots with a resp_ id,
 * output [] and usage null, response.in_progress before any other event,
 * every other non-terminal event item-scoped, added items empty and
 * in_progress, content parts (output_text or refusal) only on messages,
 * function_call_arguments.done naming its function, and usage on a
 * completed response. 'where' prefixes failure messages. */
json_t *assert_responses_stream(const struct sse_capture *c, const char *where);

/* For streams a fault cut short: stream_check's framing and sequence_number
 * invariants, and on top respmock's framing (an event: line, one-line JSON,
 * sequence_number exactly 0..n-1, no [DONE]); events that are not JSON
 * objects are skipped when 'allow_malformed'. Returns the number of JSON
 * events. */
size_t assert_responses_framing(const struct sse_capture *c, int allow_malformed,
                                const char *where);

/* What a chat chunk stream said. */
struct chat_stream_summary {
    char *content;          /* concatenated delta.content (new allocation) */
    char *refusal;          /* concatenated delta.refusal, NULL when none */
    json_t *tool_calls;     /* array by index: {"id","name","arguments"} (new ref) */
    char *finish_reason;    /* of the finishing chunk */
    json_t *usage;          /* usage of the usage chunk, NULL when none (new ref) */
    size_t chunks;          /* chat.completion.chunk events */
};

/* Assert that a complete chat stream passes every stream_check invariant,
 * held to what 'include_usage' asked for (a usage chunk with choices []
 * last and "usage": null on every other chunk; or no usage chunk), and fill
 * 's' from what the checker built. On top, respmock's own promises:
 * data-only frames, a chatcmpl- id, one choice at index 0, nothing but the
 * usage chunk after the finishing chunk, no usage key at all without
 * include_usage, and no chunk outside the completion. */
void assert_chat_stream(const struct sse_capture *c, int include_usage,
                        struct chat_stream_summary *s, const char *where);

void chat_stream_summary_release(struct chat_stream_summary *s);

/* A copy of 'v' with generated ids (values starting with one of
 * contract_response_id_prefixes, or req_) renamed in order of first appearance
 * ("<prefix>#1", ...) and created_at / completed_at / created set to 0, so
 * two renders of one fixture compare equal. New reference. */
json_t *normalise_generated(const json_t *v);

/* True when 'streamed', the Response a stream's terminal event carries, is
 * the JSON body 'body' less "billing", which the real API sends in JSON
 * bodies only (tests/conformance/recordings: billing in every JSON body
 * since 2025-12, in no stream). 'body' must have it. */
int response_equals_body(const json_t *streamed, const json_t *body);

/* An HTTP exchange whose body is parsed as SSE while it arrives. */
struct sse_http {
    long status;
    int curl_rc;             /* CURLcode */
    char *headers;           /* raw header block, lower-cased names */
    char *body;              /* all body bytes */
    size_t body_len;
    double first_byte_s;     /* first body byte since start, -1 when none */
    double total_s;
    struct sse_capture cap;  /* events, each with its arrival time */
};

/* POST 'body' to 'url' (extra header lines in NULL-terminated 'headers';
 * "Authorization: Bearer test-key" unless given). Returns 0 when the
 * transfer ended cleanly, -1 otherwise (a dropped stream is -1 with
 * curl_rc set). 'timeout_s' bounds the whole exchange. */
int sse_http_post(const char *url, const char *body, const char *const *headers,
                  long timeout_s, struct sse_http *out);

/* sse_http_post with another method (GET for a replay; 'body' may be NULL). */
int sse_http_request(const char *method, const char *url, const char *body,
                     const char *const *headers, long timeout_s, struct sse_http *out);

void sse_http_release(struct sse_http *r);

/* Read a whole file (new allocation) or NULL. */
char *read_text_file(const char *path, size_t *len);

#endif
