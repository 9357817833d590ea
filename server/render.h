/* render: turn a fixture plus a request into what the client sees.
 *
 * One fixture is the single source of truth: the final Response object is
 * rendered first, and the SSE stream is derived from that object (plus the
 * chunk boundaries fixed at load), so the streamed deltas, the .done events
 * and response.completed can never disagree with the JSON body. The same
 * holds for the Chat Completions shapes. */
#ifndef RM_RENDER_H
#define RM_RENDER_H

#include <jansson.h>

#include "fixture.h"
#include "server.h"
#include "stream.h"

struct render_ctx {
    struct rm_server *srv;
    const struct fixture *fx;
    const json_t *req;                 /* request body (borrowed) */
    const char *previous_response_id;  /* echo, NULL for null */
    const char *conversation_id;       /* echo, NULL for null */
    long input_tokens;                 /* counted by the caller over the whole context */
    int background;                    /* background:true */
};

/* Deterministic token estimate used everywhere: ceil(bytes / 4). */
long render_count_tokens(const char *text);

/* The final Response object (status from the fixture). New reference. */
json_t *render_response(const struct render_ctx *rc);

/* The Responses event stream for 'final' (from render_response). 'fault'
 * (may be NULL) overrides the fixture's stream fault when it is a stream
 * fault (drop, stall, malformed, no_terminal, error, error_flat, failed,
 * error_then_failed); latency and malformed_body act on the whole reply and
 * leave the stream, and the fixture's stream fault, alone. A fault fires
 * once, just before event number after_events; an error/failed fault
 * scheduled past the end replaces the terminal event. With 'queued' the
 * stream starts with status "queued" and a response.queued event
 * (background). Returns NULL on OOM or when over RM_MAX_STREAM_BYTES. */
struct stream *render_response_stream(const struct render_ctx *rc, const json_t *final,
                                      const struct fx_fault *fault, int queued);

/* Transcript fixture: the recorded frames, byte for byte (ids refreshed
 * when the fixture asks). 'fault' overrides the fixture's stream fault as
 * above; faults count frames instead of events. */
struct stream *render_transcript_stream(struct rm_server *srv, const struct fixture *fx,
                                        const struct fx_fault *fault);

/* Transcript fixture answered without stream: the last "response" object
 * its events carry, or NULL when none. New reference. */
json_t *render_transcript_final(const struct fixture *fx);

/* The last "response" object the events of 's' carry (as sent, so with
 * refreshed ids), or NULL when none. New reference. */
json_t *render_stream_final(const struct stream *s);

/* Chat Completions: the chat.completion object / its data-only chunk
 * stream ending in [DONE] (usage chunk first with include_usage). Faults
 * as above, counted in data frames; error kinds become one
 * {"error":{...}} data frame and the stream ends without [DONE]. */
json_t *render_chat(const struct render_ctx *rc);
struct stream *render_chat_stream(const struct render_ctx *rc, const json_t *completion,
                                  const struct fx_fault *fault);

#endif
