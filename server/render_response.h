/* render_response: the final Response object a fixture answers with.
 *
 * One fixture is the single source of truth: the final Response object is
 * rendered first (fresh ids, the request's echoed fields, usage), and the
 * event list (render_events.h), the stored response and every background
 * view (snapshot.h) derive from that object, so they can never disagree. */
#ifndef RM_RENDER_RESPONSE_H
#define RM_RENDER_RESPONSE_H

#include <jansson.h>

#include "fixture.h"
#include "server.h"

/* What rendering needs from a request. */
struct render_ctx {
    struct rm_server *srv;
    const struct fixture *fx;
    const json_t *req;                 /* request body (borrowed) */
    const char *previous_response_id;  /* echo, NULL for null */
    const char *conversation_id;       /* echo, NULL for null */
    long input_tokens;                 /* counted by the caller over the whole context */
    int background;                    /* background:true */
    const json_t *context;             /* the conversation so far (borrowed; NULL: the
                                        * request's input), what a compaction compacts */
    const struct fx_item *items;       /* the items to answer with; NULL: the fixture's */
    size_t nitems;
};

/* The items 'rc' answers with (its own, else the fixture's); '*n' their count. */
const struct fx_item *render_items(const struct render_ctx *rc, size_t *n);

/* The reasoning summary item 'it' shows: its text when the request asks
 * for a summary (reasoning.summary) or a request-aware answer chose it,
 * else NULL (no summary, no summary events), as the real API does. */
const char *render_summary(const struct render_ctx *rc, const struct fx_item *it);

/* Deterministic token estimate used everywhere: ceil(bytes / 4). */
long render_count_tokens(const char *text);

/* The final Response object (status from the fixture). New reference. */
json_t *render_response(const struct render_ctx *rc);

/* An output_text content part with 'text', no annotations or logprobs.
 * New reference. */
json_t *render_output_text_part(const char *text);

/* The output_text part of message item 'it' for request 'req': its
 * annotations, and logprobs when include asks for
 * message.output_text.logprobs. New reference. */
json_t *render_text_part(const struct fx_item *it, const json_t *req);

/* top_logprobs for the logprobs of 'req' (0-20), or -1 when the request
 * does not include message.output_text.logprobs. */
int render_top_logprobs(const json_t *req);

/* The compacted response POST /v1/responses/compact answers with
 * (object "response.compaction"): the user messages of 'context' (the
 * previous response's items and the input, normalised), then one
 * compaction item standing for 'text' (the conversation's text,
 * compaction.h); usage with 'input_tokens'. New reference. */
json_t *render_compacted(struct rm_server *srv, const char *text, const json_t *context,
                         long input_tokens);

#endif
