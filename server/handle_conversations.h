/* handle_conversations: the Conversations API routes (/v1/conversations...)
 * over the conversation store (conversation.h). Each is a handler_fn of the
 * route table (router.c). */
#ifndef RM_HANDLE_CONVERSATIONS_H
#define RM_HANDLE_CONVERSATIONS_H

#include "request.h"

/* POST /v1/conversations, body {metadata?, items?}. */
void conversations_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out);
/* GET /v1/conversations/{id} */
void conversations_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                       struct rm_reply *out);
/* POST /v1/conversations/{id}, body {metadata}: replaces the metadata. */
void conversations_update(struct rm_server *srv, const struct rm_request *req, const char *id,
                          struct rm_reply *out);
/* DELETE /v1/conversations/{id} */
void conversations_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                          struct rm_reply *out);
/* GET /v1/conversations/{id}/items?limit&order&after */
void conversations_items_list(struct rm_server *srv, const struct rm_request *req,
                              const char *id, struct rm_reply *out);
/* POST /v1/conversations/{id}/items, body {items}. */
void conversations_items_add(struct rm_server *srv, const struct rm_request *req, const char *id,
                             struct rm_reply *out);
/* GET and DELETE /v1/conversations/{id}/items/{item_id}; 'ids' is
 * "conv_id/item_id" (the two captured path segments). DELETE answers with
 * the conversation object. */
void conversations_item_get(struct rm_server *srv, const struct rm_request *req, const char *ids,
                            struct rm_reply *out);
void conversations_item_delete(struct rm_server *srv, const struct rm_request *req,
                               const char *ids, struct rm_reply *out);

#endif
