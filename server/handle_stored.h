/* handle_stored: the stored-response routes: GET /v1/responses/{id} (as
 * JSON, or replayed as SSE with ?stream=true&starting_after=N), DELETE,
 * POST .../cancel and GET .../input_items. The rules live in lifecycle.h;
 * these read the query and shape the reply. Each is a handler_fn of the
 * route table (router.c); 'id' is the path's response id. */
#ifndef RM_HANDLE_STORED_H
#define RM_HANDLE_STORED_H

#include "request.h"

void stored_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                struct rm_reply *out);
void stored_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out);
void stored_cancel(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out);
void stored_input_items(struct rm_server *srv, const struct rm_request *req, const char *id,
                        struct rm_reply *out);

#endif
