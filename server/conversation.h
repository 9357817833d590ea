/* conversation: the Conversations API (/v1/conversations...) and the item
 * lists that POST /v1/responses reads and extends when a request names a
 * 'conversation'.
 *
 * A conversation is {"id":"conv_...","object":"conversation","created_at",
 * "metadata"} plus an ordered list of items, each with an id (msg_, fc_,
 * fco_, ...). The store is bounded: at most RM_MAX_CONVERSATIONS
 * conversations (creating one more evicts the one created longest ago) and
 * RM_MAX_CONVERSATION_ITEMS items in each (going over is a 400; nothing is
 * dropped silently). One mutex guards it; items are immutable once added and
 * readers get their own array of references. */
#ifndef RM_CONVERSATION_H
#define RM_CONVERSATION_H

#include <jansson.h>
#include <stddef.h>

#include "handlers.h"

struct conversation_store;

/* An empty store. NULL on OOM. */
struct conversation_store *conversation_store_new(unsigned max_conversations,
                                                  unsigned max_items);

/* Free the store and all conversations. Accepts NULL. */
void conversation_store_free(struct conversation_store *cs);

/* Forget every conversation. */
void conversation_store_clear(struct conversation_store *cs);

/* Number of conversations kept. */
size_t conversation_store_count(struct conversation_store *cs);

/* For POST /v1/responses: the items of conversation 'id' (a new array of
 * references, oldest first) and the number of responses already added to it.
 * Returns 0, or -1 when unknown. */
int conversation_snapshot(struct conversation_store *cs, const char *id, json_t **items,
                          int *turns);

/* Append 'items' (borrowed; each must have an id, and must not be changed
 * afterwards) to conversation 'id'; 'turn' non-zero counts one more
 * response. All or nothing: returns 0; -1 when unknown; -2 when the
 * conversation would go over its item limit. */
int conversation_append(struct conversation_store *cs, const char *id, const json_t *items,
                        int turn);

/* ---- Routes (same signature as the table in handlers.c) -------------- */

/* POST /v1/conversations, body {metadata?, items?}. */
void conversation_route_create(struct rm_server *srv, const struct rm_request *req,
                               const char *arg, struct rm_reply *out);
/* GET /v1/conversations/{id} */
void conversation_route_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                            struct rm_reply *out);
/* POST /v1/conversations/{id}, body {metadata}: replaces the metadata. */
void conversation_route_update(struct rm_server *srv, const struct rm_request *req,
                               const char *id, struct rm_reply *out);
/* DELETE /v1/conversations/{id} */
void conversation_route_delete(struct rm_server *srv, const struct rm_request *req,
                               const char *id, struct rm_reply *out);
/* GET /v1/conversations/{id}/items?limit&order&after */
void conversation_route_items_list(struct rm_server *srv, const struct rm_request *req,
                                   const char *id, struct rm_reply *out);
/* POST /v1/conversations/{id}/items, body {items}. */
void conversation_route_items_add(struct rm_server *srv, const struct rm_request *req,
                                  const char *id, struct rm_reply *out);
/* GET and DELETE /v1/conversations/{id}/items/{item_id}; 'ids' is
 * "conv_id/item_id" (the two captured path segments). DELETE answers with
 * the conversation object. */
void conversation_route_item_get(struct rm_server *srv, const struct rm_request *req,
                                 const char *ids, struct rm_reply *out);
void conversation_route_item_delete(struct rm_server *srv, const struct rm_request *req,
                                    const char *ids, struct rm_reply *out);

#endif
