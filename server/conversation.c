/* conversation: the conversation store (see conversation.h).
 *
 * Conversations sit in a list in creation order (for eviction) and in a
 * jansson object used as the id index, whose values are integers holding
 * the struct pointer. Everything is under one mutex; it is held only to
 * find, link and take references, never to render JSON. The public object
 * of a conversation is replaced, never changed, when its metadata is
 * updated, so a reference handed out stays valid and constant.
 *
 * Each conversation counts its heap bytes (json_util_heap_bytes of its
 * object and items, measured outside the lock); the store evicts the oldest
 * conversations while the sum is over its byte limit, never the one being
 * written to, and a conversation that alone would go over it is refused
 * like one over its item limit.
 *
 * Shared (conversation_share), each function hands over to
 * conversation_redis.c at its top; the memory path is unchanged. */
#include "contract.h"
#include "conversation.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation_redis.h"
#include "json_util.h"

struct conversation {
    char id[64];
    json_t *object;               /* {"id","object","created_at","metadata"}, immutable */
    json_t *items;                /* oldest first; changed only under the lock */
    int turns;                    /* responses added through POST /v1/responses */
    size_t bytes;                 /* heap bytes of 'object' and 'items' (and this) */
    struct conversation *older, *newer;
};

struct conversation_store {
    pthread_mutex_t lock;
    json_t *index;                /* id -> integer: (intptr_t) struct conversation * */
    struct conversation *oldest, *newest;
    unsigned count, max, max_items;
    size_t bytes, max_bytes;      /* the conversations' bytes; their limit (0: none) */
    struct redis_link *shared;    /* NULL: this process's memory only */
    struct conversation_redis_limits lim; /* the limits above, for the shared store */
};

_Static_assert(CONVERSATION_UNAVAILABLE == CONVERSATION_REDIS_UNAVAILABLE,
               "one code for Redis unreachable");

struct conversation_store *conversation_store_new(unsigned max_conversations, unsigned max_items,
                                                  size_t max_bytes)
{
    struct conversation_store *cs = calloc(1, sizeof(*cs));

    if (!cs)
        return NULL;
    cs->index = json_object();
    if (!cs->index) {
        free(cs);
        return NULL;
    }
    cs->max = max_conversations ? max_conversations : 1;
    cs->max_items = max_items;
    cs->max_bytes = max_bytes;
    cs->lim.max = cs->max;
    cs->lim.max_items = max_items;
    cs->lim.max_bytes = max_bytes;
    pthread_mutex_init(&cs->lock, NULL);
    return cs;
}

static void conv_free(struct conversation *c)
{
    while (c) {
        struct conversation *next = c->newer;
        json_decref(c->object);
        json_decref(c->items);
        free(c);
        c = next;
    }
}

/* Caller holds the lock. */
static struct conversation *conv_find(struct conversation_store *cs, const char *id)
{
    json_t *v = json_object_get(cs->index, id);

    return v ? (struct conversation *)(intptr_t)json_integer_value(v) : NULL;
}

/* Take 'c' out of the list and the index. Caller holds the lock. */
static void conv_unlink(struct conversation_store *cs, struct conversation *c)
{
    json_object_del(cs->index, c->id);
    if (c->older)
        c->older->newer = c->newer;
    else
        cs->oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        cs->newest = c->older;
    c->older = c->newer = NULL;
    cs->count--;
    cs->bytes -= c->bytes;
}

/* Evict the oldest conversations but 'keep' while over a limit; returns
 * them as a chain (through 'newer') for conv_free outside the lock. Caller
 * holds the lock. */
static struct conversation *conv_evict(struct conversation_store *cs,
                                       const struct conversation *keep)
{
    struct conversation *chain = NULL;

    while (cs->count > cs->max || (cs->max_bytes && cs->bytes > cs->max_bytes)) {
        struct conversation *victim = cs->oldest;

        if (victim == keep)
            victim = victim->newer;
        if (!victim)
            break;
        conv_unlink(cs, victim);
        victim->newer = chain;
        chain = victim;
    }
    return chain;
}

void conversation_share(struct conversation_store *cs, struct redis_link *link)
{
    cs->shared = link;
}

/* The memory store's conversations, all forgotten. */
static void clear_memory(struct conversation_store *cs)
{
    struct conversation *all;

    pthread_mutex_lock(&cs->lock);
    all = cs->oldest;
    cs->oldest = cs->newest = NULL;
    cs->count = 0;
    cs->bytes = 0;
    json_object_clear(cs->index);
    pthread_mutex_unlock(&cs->lock);
    conv_free(all);
}

int conversation_store_clear(struct conversation_store *cs)
{
    if (cs->shared)
        return conversation_redis_clear(cs->shared);
    clear_memory(cs);
    return 0;
}

void conversation_store_free(struct conversation_store *cs)
{
    if (!cs)
        return;
    clear_memory(cs);
    json_decref(cs->index);
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

size_t conversation_store_count(struct conversation_store *cs)
{
    size_t n, bytes;

    if (cs->shared)
        return conversation_redis_totals(cs->shared, &n, &bytes) == 0 ? n : 0;
    pthread_mutex_lock(&cs->lock);
    n = cs->count;
    pthread_mutex_unlock(&cs->lock);
    return n;
}

/* Keep 'c' (owned by the store from now on); evicts the oldest when full. */
static int conv_add(struct conversation_store *cs, struct conversation *c)
{
    struct conversation *evicted = NULL;

    pthread_mutex_lock(&cs->lock);
    if (json_object_set_new(cs->index, c->id, json_integer((json_int_t)(intptr_t)c)) != 0) {
        pthread_mutex_unlock(&cs->lock);
        return -1;
    }
    c->older = cs->newest;
    if (cs->newest)
        cs->newest->newer = c;
    else
        cs->oldest = c;
    cs->newest = c;
    cs->count++;
    cs->bytes += c->bytes;
    evicted = conv_evict(cs, c);
    pthread_mutex_unlock(&cs->lock);
    conv_free(evicted);
    return 0;
}

int conversation_snapshot(struct conversation_store *cs, const char *id, json_t **items,
                          int *turns)
{
    struct conversation *c;

    *items = NULL;
    if (cs->shared)
        return conversation_redis_snapshot(cs->shared, id, items, turns);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c) {
        *items = json_copy(c->items); /* shallow: the items are shared, immutable */
        *turns = c->turns;
    }
    pthread_mutex_unlock(&cs->lock);
    if (c && !*items)
        *items = json_array();
    return c ? 0 : -1;
}

int conversation_append(struct conversation_store *cs, const char *id, const json_t *items,
                        int turn)
{
    struct conversation *c, *evicted = NULL;
    size_t more;
    int rc = 0;

    if (cs->shared)
        return conversation_redis_append(cs->shared, &cs->lim, id, items, turn);
    more = json_util_heap_bytes(items);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (!c)
        rc = -1;
    else if (json_array_size(c->items) + json_array_size(items) > cs->max_items ||
             (cs->max_bytes && c->bytes + more > cs->max_bytes))
        rc = -2;
    else {
        json_array_extend(c->items, (json_t *)items);
        c->bytes += more;
        cs->bytes += more;
        if (turn)
            c->turns++;
        evicted = conv_evict(cs, c);
    }
    pthread_mutex_unlock(&cs->lock);
    conv_free(evicted);
    return rc;
}

int conversation_add(struct conversation_store *cs, const char *id, json_t *object,
                     json_t *items)
{
    struct conversation *c;

    if (cs->shared && strlen(id) < sizeof(c->id)) { /* the same ids as in memory */
        int rc = object && items ? conversation_redis_add(cs->shared, &cs->lim, id, object, items)
                                 : -1;

        json_decref(object);
        json_decref(items);
        return rc == CONVERSATION_REDIS_OOM ? -1 : rc;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !object || !items || strlen(id) >= sizeof(c->id)) {
        free(c);
        json_decref(object);
        json_decref(items);
        return -1;
    }
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->object = object;
    c->items = items;
    c->bytes = sizeof(*c) + json_util_heap_bytes(object) + json_util_heap_bytes(items);
    if (cs->max_bytes && c->bytes > cs->max_bytes) {
        conv_free(c);
        return -2;
    }
    if (conv_add(cs, c) != 0) {
        conv_free(c);
        return -1;
    }
    return 0;
}

unsigned conversation_store_max_items(const struct conversation_store *cs)
{
    return cs->max_items;
}

size_t conversation_store_bytes(struct conversation_store *cs)
{
    size_t n, count;

    if (cs->shared)
        return conversation_redis_totals(cs->shared, &count, &n) == 0 ? n : 0;
    pthread_mutex_lock(&cs->lock);
    n = cs->bytes;
    pthread_mutex_unlock(&cs->lock);
    return n;
}

int conversation_get(struct conversation_store *cs, const char *id, json_t **object)
{
    struct conversation *c;

    *object = NULL;
    if (cs->shared)
        return conversation_redis_object(cs->shared, id, object);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c)
        *object = json_incref(c->object);
    pthread_mutex_unlock(&cs->lock);
    return c ? 0 : -1;
}

json_t *conversation_object(struct conversation_store *cs, const char *id)
{
    json_t *o;

    conversation_get(cs, id, &o);
    return o;
}

/* The public object 'old' with 'metadata' (copied; not an object: {}). */
static json_t *with_metadata(const json_t *old, const json_t *metadata)
{
    return json_pack("{s:O, s:s, s:O, s:o}", "id", json_object_get(old, "id"), "object",
                     RM_OBJ_CONVERSATION, "created_at", json_object_get(old, "created_at"),
                     "metadata", json_is_object(metadata) ? json_deep_copy(metadata)
                                                          : json_object());
}

int conversation_set_metadata(struct conversation_store *cs, const char *id,
                              const json_t *metadata, json_t **object)
{
    struct conversation *c;
    json_t *old = NULL, *fresh = NULL;
    int rc = 0;

    *object = NULL;
    if (cs->shared)
        return conversation_redis_set_metadata(cs->shared, id, with_metadata, metadata, object);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (!c) {
        rc = -1;
    } else {
        old = c->object;
        fresh = with_metadata(old, metadata);
        if (fresh) {
            size_t was = json_util_heap_bytes(old), now = json_util_heap_bytes(fresh);

            c->object = fresh;
            c->bytes = c->bytes - was + now; /* metadata is small: measured under the lock */
            cs->bytes = cs->bytes - was + now;
            *object = json_incref(fresh);
        } else {
            old = NULL;
            rc = -3;
        }
    }
    pthread_mutex_unlock(&cs->lock);
    json_decref(old);
    return rc;
}

int conversation_delete(struct conversation_store *cs, const char *id)
{
    struct conversation *c;

    if (cs->shared)
        return conversation_redis_delete(cs->shared, id);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c)
        conv_unlink(cs, c);
    pthread_mutex_unlock(&cs->lock);
    if (!c)
        return -1;
    conv_free(c);
    return 0;
}

/* Index of the item 'item_id' in 'items', or -1. */
static long item_index(const json_t *items, const char *item_id)
{
    size_t i;
    json_t *it;

    json_array_foreach(items, i, it) {
        const char *iid = json_util_str(it, "id");
        if (iid && strcmp(iid, item_id) == 0)
            return (long)i;
    }
    return -1;
}

int conversation_item_get(struct conversation_store *cs, const char *id, const char *item_id,
                          json_t **item)
{
    struct conversation *c;
    int rc = -1;

    *item = NULL;
    if (cs->shared)
        return conversation_redis_item_get(cs->shared, id, item_id, item);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c) {
        long i = item_index(c->items, item_id);
        rc = i >= 0 ? 0 : -2;
        if (i >= 0)
            *item = json_incref(json_array_get(c->items, (size_t)i));
    }
    pthread_mutex_unlock(&cs->lock);
    return rc;
}

int conversation_item_delete(struct conversation_store *cs, const char *id, const char *item_id,
                             json_t **object)
{
    struct conversation *c;
    json_t *gone = NULL;
    int rc = -1;

    *object = NULL;
    if (cs->shared)
        return conversation_redis_item_delete(cs->shared, id, item_id, object);
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c) {
        long i = item_index(c->items, item_id);
        rc = -2;
        if (i >= 0) {
            /* Keep the item alive past the lock so it is freed outside it. */
            size_t less;

            gone = json_incref(json_array_get(c->items, (size_t)i));
            json_array_remove(c->items, (size_t)i);
            less = json_util_heap_bytes(gone);
            less = less < c->bytes ? less : c->bytes;
            c->bytes -= less;
            cs->bytes -= less;
            *object = json_incref(c->object);
            rc = 0;
        }
    }
    pthread_mutex_unlock(&cs->lock);
    json_decref(gone);
    return rc;
}
