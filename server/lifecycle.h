/* lifecycle: everything that happens to a response after it is rendered:
 * storing it, chaining on it (previous_response_id), adding it to a
 * conversation, the background schedule, and the stored-response routes
 * (retrieve as JSON or as an SSE replay, delete, cancel, input_items,
 * input_tokens, admin reset).
 *
 * Background responses need no thread or timer: the store keeps the final
 * Response, its creation time and the schedule length D (the fixture's
 * "background_ms", RM_DEFAULT_BACKGROUND_MS when unset, scaled by --speed),
 * and every read derives the status from the clock: "queued" before D/2,
 * "in_progress" until D (output: the items whose stream events are due),
 * then the final status. --speed 0 makes the first read terminal. A
 * cancel before D stores status "cancelled" with the output so far.
 *
 * Routes have the signature of the table in handlers.c; 'id' is the path's
 * response id (unused where the route has none). */
#ifndef RM_LIFECYCLE_H
#define RM_LIFECYCLE_H

#include "handlers.h"

void lifecycle_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out);
void lifecycle_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                      struct rm_reply *out);
void lifecycle_cancel(struct rm_server *srv, const struct rm_request *req, const char *id,
                      struct rm_reply *out);
void lifecycle_input_items(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out);
void lifecycle_input_tokens(struct rm_server *srv, const struct rm_request *req, const char *id,
                            struct rm_reply *out);
void lifecycle_admin_reset(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out);

/* ---- POST /v1/responses (called by handle_create) --------------------- */

/* What a create request carries into the lifecycle. */
struct lifecycle_create {
    int store;               /* store (default true) */
    int background;          /* background:true */
    const char *prev_id;     /* previous_response_id, borrowed from the body; NULL when none */
    char conversation[128];  /* conversation id, "" when none */
    int turn;                /* 1 + chain depth, or 1 + responses already in the conversation */
    json_t *prefix;          /* items the model sees before this input (new reference) */
    int64_t start_ms;        /* monotonic time the request was taken */
};

/* Apply the lifecycle rules to a validated create (or input_tokens) body and
 * gather what comes before the new input, filling 'lc':
 * - background:true with store:false -> 400 (param "background");
 * - previous_response_id with conversation -> 400;
 * - an unknown, deleted, evicted or store:false previous_response_id -> 400
 *   previous_response_not_found (param "previous_response_id");
 * - a function_call of the previous response whose call_id is not in
 *   'answered' (call_ids of the new input's function_call_output items)
 *   -> 400 "No tool output found for function call ..." (param "input");
 * - an unknown conversation -> 404;
 * - more than RM_MAX_CONTEXT_ITEMS items of context plus input -> 400
 *   context_length_exceeded (param "input").
 * With 'answered' NULL (counting tokens) the background and pending-call
 * rules are skipped. Returns 0, or -1 with 'err' filled; release 'lc' either
 * way. */
int lifecycle_create_begin(struct rm_server *srv, const json_t *body, const json_t *answered,
                           struct lifecycle_create *lc, struct api_error *err);

/* The JSON body of a non-streaming create reply: 'final' itself, or for a
 * background response its "queued" snapshot. New reference. */
json_t *lifecycle_create_reply(const struct lifecycle_create *lc, const json_t *final);

/* Background schedule of 'fx' in ms, before --speed. */
unsigned lifecycle_background_ms(const struct fixture *fx);

/* Re-time a background create stream (rendered with 'queued') to the
 * background schedule of 'duration_ms', so the events arrive when GET
 * polling would show them. */
void lifecycle_pace_stream(struct stream *s, unsigned duration_ms);

/* After rendering 'final' for input 'items' with full 'context' (prefix +
 * items): append items and output to the conversation, if any (404 when it
 * was deleted meanwhile, 400 when over RM_MAX_CONVERSATION_ITEMS), then
 * store the response when lc->store, with the bytes of 'stream' when the
 * reply streams (else the events are rendered again from 'fx' on demand).
 * All JSON is borrowed and must not change afterwards. Returns 0 or -1 with
 * 'err'. */
int lifecycle_create_end(struct rm_server *srv, const struct lifecycle_create *lc,
                         const struct fixture *fx, const json_t *final, const json_t *items,
                         const json_t *context, const struct stream *stream,
                         struct api_error *err);

void lifecycle_create_release(struct lifecycle_create *lc);

/* ---- Lists (input_items, conversation items) -------------------------- */

/* Check the list query arguments: limit (1-100, default 20), order (asc or
 * desc, default desc). Returns 0, or -1 after replying with a 400. */
int lifecycle_check_list_query(const struct rm_request *req, struct rm_reply *out);

/* Reply with one page of 'items' (kept oldest first) as {"object":"list",
 * "data","first_id","last_id","has_more"}: 'order' picks the direction,
 * 'after' starts after that item id (an unknown id gives an empty page),
 * 'limit' caps the page. Call lifecycle_check_list_query first. */
void lifecycle_reply_list(const struct rm_request *req, const json_t *items,
                          struct rm_reply *out);

#endif
