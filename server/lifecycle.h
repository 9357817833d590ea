/* lifecycle: the stored-response routes: retrieve (JSON or SSE replay),
 * delete, cancel, input_items, input_tokens, and the admin reset. Same
 * handler signature as the routes in handlers.c; 'id' is the path's
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

#endif
