/* handle_responses: POST /v1/responses, /v1/responses/input_tokens and
 * /v1/responses/compact.
 *
 * A create is validated, gathers its context through the lifecycle
 * (previous_response_id, conversation), picks and renders its fixture
 * (generate.h), answers with the JSON body or the event list, and is
 * stored. Each function is a handler_fn of the route table (router.c). */
#ifndef RM_HANDLE_RESPONSES_H
#define RM_HANDLE_RESPONSES_H

#include "request.h"

/* POST /v1/responses */
void responses_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                      struct rm_reply *out);

/* POST /v1/responses/input_tokens. REQ: input-tokens-rule: the text of
 * instructions, of the context from previous_response_id or conversation,
 * and of input (joined by "\n"), counted as ceil(UTF-8 bytes / 4); the same
 * count is usage.input_tokens of a create with the same body when its
 * fixture does not set it. */
void responses_input_tokens(struct rm_server *srv, const struct rm_request *req,
                            const char *arg, struct rm_reply *out);

/* POST /v1/responses/compact: validated like a create
 * (validate_responses_compact), its context gathered the same way
 * (previous_response_id, then input); answers the compacted response:
 * the conversation's user messages and one compaction item whose opaque
 * encrypted_content stands for the whole conversation when sent back as
 * input (render_compacted). Nothing is stored, no fixture answers. */
void responses_compact(struct rm_server *srv, const struct rm_request *req, const char *arg,
                       struct rm_reply *out);

/* GET /v1/responses: the WebSocket upgrade clients such as Codex CLI try
 * first. respmock does not speak WebSocket mode yet: an upgrade request
 * gets 426 at once, so a client falls back to HTTP without retrying; a
 * plain GET gets the usual 404. */
void responses_websocket(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out);

#endif
