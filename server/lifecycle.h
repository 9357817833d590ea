/* lifecycle: what happens to a response after it is rendered: storing it,
 * chaining on it (previous_response_id), adding it to a conversation, the
 * background schedule, and the views of a stored response (as JSON now, as
 * an event replay, cancelled).
 *
 * Background responses need no thread or timer: the store keeps the final
 * Response, its creation time and the schedule length D (the fixture's
 * "background_ms", RM_DEFAULT_BACKGROUND_MS when unset, scaled by --speed),
 * and every read derives the status from the clock: "queued" before D/2,
 * "in_progress" until D (output: the items whose stream events are due),
 * then the final status. --speed 0 makes the first read terminal. A
 * cancel before D stores status "cancelled" with the output so far.
 *
 * Events are read from the stored event list (events.h), or rendered again
 * from the fixture that answered, never parsed from bytes. */
#ifndef RM_LIFECYCLE_H
#define RM_LIFECYCLE_H

#include <jansson.h>
#include <stdint.h>

#include "envelope.h"
#include "events.h"
#include "fixture.h"
#include "server.h"
#include "store.h"

/* ---- POST /v1/responses ------------------------------------------------ */

/* What a create request carries into the lifecycle. */
struct lifecycle_create {
    int store;               /* store (default true) */
    int background;          /* background:true */
    const char *prev_id;     /* previous_response_id, borrowed from the body; NULL when none */
    char conversation[128];  /* conversation id, "" when none */
    char prev_fixture[RM_MAX_FIXTURE_NAME + 1]; /* fixture of the previous response, "" */
    int turn;                /* 1 + chain depth, or 1 + responses already in the conversation */
    struct text_tally prefix; /* the items the model sees before this input, as counted */
    int64_t start_ms;        /* monotonic time the request was taken */
    struct store *session;   /* a WebSocket connection's own store (borrowed), or NULL:
                              * store:false responses are kept there, and chains find
                              * them there when srv->store has not got the id */
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

/* lifecycle_create_begin for a request of a WebSocket connection whose own
 * store is 'session' (NULL: the same as lifecycle_create_begin): a
 * previous_response_id is looked up in srv->store, then in 'session', and
 * lifecycle_create_end keeps a store:false response in 'session' for the
 * connection's life (bounded by the session store's limits). */
int lifecycle_create_begin_in(struct rm_server *srv, struct store *session, const json_t *body,
                              const json_t *answered, struct lifecycle_create *lc,
                              struct api_error *err);

/* The JSON body of a non-streaming create reply: 'final' itself, or for a
 * background response its "queued" snapshot. New reference. */
json_t *lifecycle_create_reply(const struct lifecycle_create *lc, const json_t *final);

/* Background schedule of 'fx' in ms, before --speed. */
unsigned lifecycle_background_ms(const struct fixture *fx);

/* Re-time a background create stream (rendered with 'queued') to the
 * background schedule of 'duration_ms', so the events arrive when GET
 * polling would show them. REQ: background-stream-queued */
void lifecycle_pace_events(struct event_list *l, unsigned duration_ms);

/* This turn's input items: their tree, or (a plain string input, which
 * needs none built) their compact JSON from request_input_json. A
 * conversation needs the tree. */
struct turn_items {
    const json_t *items;
    const char *json;
    size_t json_len;
};

/* After rendering 'final' for input items 'in' with full 'context' (prefix
 * + items): append the items and output to the conversation, if any (404 when it
 * was deleted meanwhile, 400 when over RM_MAX_CONVERSATION_ITEMS), then
 * store the response when lc->store, with the event list the reply streams
 * ('events', NULL when it does not: then the events are rendered again
 * from 'fx' on demand). When a stream fault made the stream end in
 * response.failed or an error event, the stored response is the failed one
 * the client saw. 'final_json' (may be NULL) is 'final' serialised by
 * json_util_dumps, 'final_len' bytes, when the caller has it (the reply
 * body): the store keeps those bytes instead of serialising 'final' again.
 * All JSON is borrowed and must not change afterwards.
 * Returns 0 or -1 with 'err'. */
int lifecycle_create_end(struct rm_server *srv, const struct lifecycle_create *lc,
                         const struct fixture *fx, const json_t *final, const char *final_json,
                         size_t final_len, const struct turn_items *in,
                         const struct text_tally *context, struct event_list *events,
                         struct api_error *err);

/* The items the model sees before answering, as items (the store keeps a
 * chain's context only as a tally): the chain's turns still stored (walked
 * back through previous_response_id) or the conversation's items, then
 * 'items'. Built only when needed: with 'body' given, NULL unless it asks
 * for server-side compaction (context_management); with 'body' NULL,
 * always. A new array, or NULL. */
json_t *lifecycle_context_items(struct rm_server *srv, const struct lifecycle_create *lc,
                                const json_t *body, const json_t *items);

void lifecycle_create_release(struct lifecycle_create *lc);

/* ---- Stored responses -------------------------------------------------- */

/* The Response of 'st' as it stands now (background responses follow the
 * clock). New reference. REQ: background-progression */
json_t *lifecycle_view(struct rm_server *srv, const struct stored *st);

/* The events of 'st' after sequence number 'after' (-1: all), to replay; a
 * background response still running is replayed on its schedule (events
 * already due at once, later ones when they fall due). Returns a new list,
 * or NULL with 'err' (400 when it has no events, 500 on OOM). */
struct event_list *lifecycle_replay(struct rm_server *srv, const struct stored *st, long after,
                                    struct api_error *err);

/* Cancel the background response 'id'. REQ: cancel-background-only,
 * cancel-terminal-unchanged: a response not created in the background is a
 * 400, a terminal one is answered unchanged, a running one is stored as
 * "cancelled" with the output so far (of two racing cancels exactly one
 * wins). Returns the Response to answer with (new reference), or NULL with
 * 'err' (404 when unknown). */
json_t *lifecycle_cancel(struct rm_server *srv, const char *id, struct api_error *err);

#endif
