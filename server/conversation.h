/* conversation: the conversation store behind the Conversations API
 * (handle_conversations.c) and the item lists that POST /v1/responses reads
 * and extends when a request names a 'conversation'.
 *
 * A conversation is {"id":"conv_...","object":"conversation","created_at",
 * "metadata"} plus an ordered list of items, each with an id (msg_, fc_,
 * fco_, ...). The store is bounded: at most --max-conversations
 * conversations and --max-conversation-bytes of them in all (heap bytes,
 * json_util_heap_bytes; creating or growing one past a limit evicts the ones
 * created longest ago) and RM_MAX_CONVERSATION_ITEMS items in each (going
 * over, or one conversation alone over the byte limit, is a 400; nothing is
 * dropped silently). One mutex guards it; items are immutable once added and
 * readers get their own array of references.
 *
 * Shared (conversation_share, with --state): every function goes to the
 * cluster's conversations in Redis instead (conversation_redis.c), with the
 * same limits counted cluster-wide (bytes: those of the JSON kept in
 * Redis); each then may also return CONVERSATION_UNAVAILABLE when Redis
 * cannot be reached. */
#ifndef RM_CONVERSATION_H
#define RM_CONVERSATION_H

#include <jansson.h>
#include <stddef.h>

struct conversation_store;
struct redis_link;

/* Redis could not be reached (shared store only): the caller answers 503. */
#define CONVERSATION_UNAVAILABLE (-4)

/* An empty store; 'max_bytes' 0 = no byte limit. NULL on OOM. */
struct conversation_store *conversation_store_new(unsigned max_conversations,
                                                  unsigned max_items, size_t max_bytes);

/* Free the store and all conversations. Accepts NULL. */
void conversation_store_free(struct conversation_store *cs);

/* From now on keep the conversations in Redis through 'link' (borrowed,
 * outlives the store), shared with every replica on it. */
void conversation_share(struct conversation_store *cs, struct redis_link *link);

/* Forget every conversation (shared: the cluster's). Returns 0, or
 * CONVERSATION_UNAVAILABLE. */
int conversation_store_clear(struct conversation_store *cs);

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
 * conversation would go over its item limit or, alone, the byte limit.
 * Other conversations may be evicted to make room. */
int conversation_append(struct conversation_store *cs, const char *id, const json_t *items,
                        int turn);

/* Keep a new conversation 'id' with public 'object' ({"id","object",
 * "created_at","metadata"}) and 'items' (each with an id); both stolen.
 * Creating one more than the store holds evicts the one created longest
 * ago. Returns 0, -1 on OOM, or -2 when it alone is over the byte limit. */
int conversation_add(struct conversation_store *cs, const char *id, json_t *object,
                     json_t *items);

/* The item limit of one conversation. */
unsigned conversation_store_max_items(const struct conversation_store *cs);

/* The heap bytes the conversations take, as counted for the byte limit. */
size_t conversation_store_bytes(struct conversation_store *cs);

/* The public object of conversation 'id' into '*object' (new reference).
 * Returns 0, or -1 when unknown. */
int conversation_get(struct conversation_store *cs, const char *id, json_t **object);

/* conversation_get's object, or NULL (unknown or unreachable). */
json_t *conversation_object(struct conversation_store *cs, const char *id);

/* Replace the metadata of 'id' ('metadata' copied; null or absent gives
 * {}). The public object is replaced, never changed, so references handed
 * out stay valid. '*object' gets the new object (new reference). Returns 0;
 * -1 when unknown; -3 on OOM. */
int conversation_set_metadata(struct conversation_store *cs, const char *id,
                              const json_t *metadata, json_t **object);

/* Forget conversation 'id'. Returns 0, or -1 when unknown. */
int conversation_delete(struct conversation_store *cs, const char *id);

/* Item 'item_id' of conversation 'id' into '*item' (new reference).
 * Returns 0; -1 when the conversation is unknown; -2 when the item is. */
int conversation_item_get(struct conversation_store *cs, const char *id, const char *item_id,
                          json_t **item);

/* Remove item 'item_id' of conversation 'id'; '*object' gets the
 * conversation's public object (new reference). Returns 0, -1 or -2 as
 * conversation_item_get. */
int conversation_item_delete(struct conversation_store *cs, const char *id, const char *item_id,
                             json_t **object);

#endif
