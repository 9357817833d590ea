/* conversation_redis: the conversations in Redis, for replicas that share
 * them (--state). Conversation ID is three keys under RM_REDIS_PREFIX:
 * "cv:o:ID" (a hash {o: the public object's JSON, t: responses added}),
 * "cv:l:ID" (a list of its item ids) and "cv:i:ID" (a list of the items'
 * JSON, in the same order); "cvx:idx" (a sorted set, by creation order),
 * "cvx:size" (id -> bytes), "cvx:total" and "cvx:seq" are the bounded
 * index. A conversation's bytes are the bytes of its JSON kept in Redis.
 * Every change is one Lua script, so it is atomic across replicas: an add
 * or append that takes the cluster over --max-conversations or
 * --max-conversation-bytes evicts the conversations created longest ago in
 * the same script (never the one written to); an append over the item
 * limit, or one conversation alone over the byte limit, changes nothing
 * (-2). Every key also expires RM_REDIS_TTL_S after its last write.
 *
 * Functions return 0 on success, -1 when the conversation is unknown, -2
 * as above or when an item is unknown, CONVERSATION_REDIS_UNAVAILABLE
 * (conversation.h's CONVERSATION_UNAVAILABLE) when Redis cannot be reached,
 * CONVERSATION_REDIS_OOM when out of memory. */
#ifndef RM_CONVERSATION_REDIS_H
#define RM_CONVERSATION_REDIS_H

#include <jansson.h>
#include <stddef.h>

struct redis_link;

#define CONVERSATION_REDIS_OOM (-3)
#define CONVERSATION_REDIS_UNAVAILABLE (-4)

/* The limits of the cluster's conversations (max_bytes 0: none). */
struct conversation_redis_limits {
    unsigned max, max_items;
    size_t max_bytes;
};

/* Keep conversation 'id' with public 'object' and 'items' (borrowed). */
int conversation_redis_add(struct redis_link *l, const struct conversation_redis_limits *lim,
                           const char *id, const json_t *object, const json_t *items);

/* Append 'items' (borrowed, each with an id); 'turn' counts a response. */
int conversation_redis_append(struct redis_link *l, const struct conversation_redis_limits *lim,
                              const char *id, const json_t *items, int turn);

/* The items of 'id' (new array, oldest first) and its turns. */
int conversation_redis_snapshot(struct redis_link *l, const char *id, json_t **items,
                                int *turns);

/* The public object of 'id' (new reference). */
int conversation_redis_object(struct redis_link *l, const char *id, json_t **object);

/* Builds the object that replaces 'old' (new reference, NULL on OOM). */
typedef json_t *(*conversation_redis_rebuild_fn)(const json_t *old, const json_t *metadata);

/* Replace the public object of 'id' by rebuild(old, metadata), compare and
 * swap (retried when another replica changed it meanwhile); '*object' gets
 * the new one. */
int conversation_redis_set_metadata(struct redis_link *l, const char *id,
                                    conversation_redis_rebuild_fn rebuild,
                                    const json_t *metadata, json_t **object);

int conversation_redis_delete(struct redis_link *l, const char *id);

/* Item 'item_id' of 'id' (new reference). */
int conversation_redis_item_get(struct redis_link *l, const char *id, const char *item_id,
                                json_t **item);

/* Remove item 'item_id' of 'id'; '*object' gets the public object. */
int conversation_redis_item_delete(struct redis_link *l, const char *id, const char *item_id,
                                   json_t **object);

/* Forget every conversation of the cluster. */
int conversation_redis_clear(struct redis_link *l);

/* Conversations and their bytes in the cluster (0 when unreachable). */
int conversation_redis_totals(struct redis_link *l, size_t *count, size_t *bytes);

#endif
