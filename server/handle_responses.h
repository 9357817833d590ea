/* handle_responses: POST /v1/responses, /v1/responses/input_tokens and
 * /v1/responses/compact.
 *
 * A create is validated, gathers its context through the lifecycle
 * (previous_response_id, conversation), picks and renders its fixture
 * (generate.h), answers with the JSON body or the event list, and is
 * stored. Each function is a handler_fn of the route table (router.c). */
#ifndef RM_HANDLE_RESPONSES_H
#define RM_HANDLE_RESPONSES_H

#include <jansson.h>

#include "request.h"
#include "store.h"

/* How a create is asked for besides the request: by a WebSocket session
 * (handle_ws.h). Every member may be zero. */
struct create_opts {
    json_t *body;        /* the create body already parsed (borrowed), else req->body */
    struct store *session; /* the connection's own store (store:false responses), or NULL */
    int no_generate;     /* generate:false: a streamed response without output (warm-up) */
};

/* The work of POST /v1/responses with 'o' (NULL: none). Returns 0 with the
 * answer in 'out' (JSON body or events); 1 when 'out' holds an error
 * fixture's whole answer; -1 with 'err' filled ('out' holds no answer then). */
int responses_create_with(struct rm_server *srv, const struct rm_request *req,
                          const struct create_opts *o, struct rm_reply *out,
                          struct api_error *err);

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

/* GET /v1/responses: the WebSocket upgrade (WebSocket mode, handle_ws.h).
 * A valid upgrade (Sec-WebSocket-Version 13, a Sec-WebSocket-Key) gets 101
 * with its Sec-WebSocket-Accept and 'upgrade' set, so http.c hands the
 * connection over; with --no-websocket it gets 426 websocket_not_supported
 * at once, before auth, so a client falls back to HTTP without retrying;
 * another version 426, a bad key 400, too many connections 503; a plain GET
 * gets the usual 404. */
void responses_websocket(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out);

#endif
