/* store: sharded, bounded map of stored responses (see store.h).
 *
 * Each shard is a chained hash table plus a list of its entries in the
 * order they were put, under one mutex. Every put takes a number from one
 * global counter while holding its shard lock, so each shard's list is
 * sorted by that number and the globally oldest entry is the smallest head
 * among the shards. Eviction (only when the store is over capacity) is
 * serialised by 'evict_lock' so concurrent puts never evict more than
 * needed. Locks are held only for pointer and refcount work: JSON is never
 * rendered, copied or freed while a shard lock is held. Lock order:
 * evict_lock, then one shard lock at a time. */
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

struct store_node {
    struct stored s;
    char *id;
    uint64_t seq;              /* put order, global */
    uint64_t hash;
    struct store_node *hnext;  /* bucket chain */
    struct store_node *older;  /* shard list, oldest first */
    struct store_node *newer;
};

struct store_shard {
    pthread_mutex_t lock;
    struct store_node **buckets;
    size_t nbuckets;           /* a power of two */
    size_t count;
    size_t bytes;              /* sum of the entries' 'bytes' */
    struct store_node *oldest, *newest;
} __attribute__((aligned(64)));  /* one cache line per lock */

struct store {
    struct store_shard shards[RM_STORE_SHARDS];
    unsigned max;
    size_t max_bytes;          /* 0 = no byte limit */
    atomic_size_t count;       /* entries in all shards */
    atomic_size_t bytes;       /* their 'bytes', summed */
    atomic_uint_fast64_t seq;  /* next put number */
    pthread_mutex_t evict_lock;
};

#define STORE_INITIAL_BUCKETS 16

/* FNV-1a, 64 bit. */
static uint64_t hash_id(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
    return h;
}

static struct store_shard *shard_of(struct store *st, uint64_t h)
{
    /* The top bits pick the shard, the low bits the bucket. */
    return &st->shards[(h >> 56) % RM_STORE_SHARDS];
}

void stored_release(struct stored *s)
{
    json_decref(s->response);
    json_decref(s->input_items);
    json_decref(s->context);
    event_list_unref(s->events);
    memset(s, 0, sizeof(*s));
}

static void node_free(struct store_node *n)
{
    while (n) {
        struct store_node *next = n->newer;
        stored_release(&n->s);
        free(n->id);
        free(n);
        n = next;
    }
}

struct store *store_new(unsigned max_entries, size_t max_bytes)
{
    struct store *st;
    unsigned i;

    if (posix_memalign((void **)&st, 64, sizeof(*st)) != 0)
        return NULL;
    memset(st, 0, sizeof(*st));
    st->max = max_entries ? max_entries : 1;
    st->max_bytes = max_bytes;
    atomic_init(&st->count, 0);
    atomic_init(&st->bytes, 0);
    atomic_init(&st->seq, 0);
    for (i = 0; i < RM_STORE_SHARDS; i++) {
        st->shards[i].buckets = calloc(STORE_INITIAL_BUCKETS, sizeof(struct store_node *));
        if (!st->shards[i].buckets) {
            while (i--)
                free(st->shards[i].buckets);
            free(st);
            return NULL;
        }
        st->shards[i].nbuckets = STORE_INITIAL_BUCKETS;
        pthread_mutex_init(&st->shards[i].lock, NULL);
    }
    pthread_mutex_init(&st->evict_lock, NULL);
    return st;
}

/* ---- Shard internals (caller holds the shard lock) ------------------- */

static struct store_node *shard_find(struct store_shard *sh, const char *id, uint64_t h)
{
    struct store_node *n = sh->buckets[h & (sh->nbuckets - 1)];

    for (; n; n = n->hnext)
        if (n->hash == h && strcmp(n->id, id) == 0)
            return n;
    return NULL;
}

/* Take 'n' out of the bucket chain and the age list. */
static void shard_unlink(struct store_shard *sh, struct store_node *n)
{
    struct store_node **pp = &sh->buckets[n->hash & (sh->nbuckets - 1)];

    while (*pp != n)
        pp = &(*pp)->hnext;
    *pp = n->hnext;
    if (n->older)
        n->older->newer = n->newer;
    else
        sh->oldest = n->newer;
    if (n->newer)
        n->newer->older = n->older;
    else
        sh->newest = n->older;
    n->hnext = n->older = n->newer = NULL;
    sh->count--;
    sh->bytes -= n->s.bytes;
}

/* Double the buckets when the load passes 1; on OOM keep the old table
 * (chains just get longer). */
static void shard_grow(struct store_shard *sh)
{
    size_t nb = sh->nbuckets * 2, i;
    struct store_node **b;

    if (sh->count <= sh->nbuckets)
        return;
    b = calloc(nb, sizeof(*b));
    if (!b)
        return;
    for (i = 0; i < sh->nbuckets; i++) {
        struct store_node *n = sh->buckets[i], *next;
        for (; n; n = next) {
            next = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    free(sh->buckets);
    sh->buckets = b;
    sh->nbuckets = nb;
}

/* ---- Eviction --------------------------------------------------------- */

/* REQ: store-evict-oldest. Remove the globally oldest entry and return it (to be freed by the
 * caller, outside any lock), or NULL when the store is empty. Caller holds
 * evict_lock. */
static struct store_node *evict_oldest(struct store *st)
{
    for (;;) {
        struct store_shard *best = NULL;
        uint64_t best_seq = UINT64_MAX;
        struct store_node *victim = NULL;
        unsigned i;

        for (i = 0; i < RM_STORE_SHARDS; i++) {
            struct store_shard *sh = &st->shards[i];
            pthread_mutex_lock(&sh->lock);
            if (sh->oldest && sh->oldest->seq < best_seq) {
                best_seq = sh->oldest->seq;
                best = sh;
            }
            pthread_mutex_unlock(&sh->lock);
        }
        if (!best)
            return NULL;
        pthread_mutex_lock(&best->lock);
        /* A delete may have taken it meanwhile: then look again. */
        if (best->oldest && best->oldest->seq == best_seq) {
            victim = best->oldest;
            shard_unlink(best, victim);
            atomic_fetch_sub(&st->count, 1);
            atomic_fetch_sub(&st->bytes, victim->s.bytes);
        }
        pthread_mutex_unlock(&best->lock);
        if (victim)
            return victim;
    }
}

/* Over a limit? The newest entry is never evicted for bytes alone. */
static int store_over(struct store *st)
{
    size_t count = atomic_load(&st->count);

    return count > st->max ||
           (st->max_bytes && count > 1 && atomic_load(&st->bytes) > st->max_bytes);
}

/* ---- Public API ------------------------------------------------------- */

int store_put(struct store *st, struct stored *entry)
{
    const char *id = json_string_value(json_object_get(entry->response, "id"));
    struct store_node *n, *old;
    struct store_shard *sh;

    n = id ? calloc(1, sizeof(*n)) : NULL;
    if (n)
        n->id = strdup(id);
    if (!n || !n->id) {
        free(n);
        stored_release(entry);
        return -1;
    }
    n->s = *entry;
    memset(entry, 0, sizeof(*entry));
    n->hash = hash_id(n->id);
    sh = shard_of(st, n->hash);

    pthread_mutex_lock(&sh->lock);
    old = shard_find(sh, n->id, n->hash);
    if (old) {
        shard_unlink(sh, old);
        atomic_fetch_sub(&st->bytes, old->s.bytes);
    }
    n->seq = atomic_fetch_add(&st->seq, 1);
    n->hnext = sh->buckets[n->hash & (sh->nbuckets - 1)];
    sh->buckets[n->hash & (sh->nbuckets - 1)] = n;
    n->older = sh->newest;
    if (sh->newest)
        sh->newest->newer = n;
    else
        sh->oldest = n;
    sh->newest = n;
    sh->count++;
    sh->bytes += n->s.bytes;
    atomic_fetch_add(&st->bytes, n->s.bytes);
    if (!old)
        atomic_fetch_add(&st->count, 1); /* under the lock, so clear() sees it */
    shard_grow(sh);
    pthread_mutex_unlock(&sh->lock);
    node_free(old);

    if (store_over(st)) {
        pthread_mutex_lock(&st->evict_lock);
        while (store_over(st)) {
            struct store_node *victim = evict_oldest(st);
            if (!victim)
                break;
            node_free(victim);
        }
        pthread_mutex_unlock(&st->evict_lock);
    }
    return 0;
}

int store_get(struct store *st, const char *id, struct stored *out)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct store_node *n;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&sh->lock);
    n = shard_find(sh, id, h);
    if (n) {
        *out = n->s;
        json_incref(out->response);
        json_incref(out->input_items);
        json_incref(out->context);
        event_list_ref(out->events);
    }
    pthread_mutex_unlock(&sh->lock);
    return n ? 0 : -1;
}

int store_settle(struct store *st, const char *id, const json_t *expect, json_t *response,
                 struct event_list *events)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct store_node *n;
    json_t *old_response = response;
    struct event_list *old_events = events;
    int rc;

    pthread_mutex_lock(&sh->lock);
    n = shard_find(sh, id, h);
    if (!n) {
        rc = -1;
    } else if (n->s.response != expect) {
        rc = -2;
    } else {
        old_response = n->s.response;
        old_events = n->s.events;
        n->s.response = response;
        n->s.events = events;
        n->s.live = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&sh->lock);
    /* Either what was replaced, or (on failure) what was not taken. */
    json_decref(old_response);
    event_list_unref(old_events);
    return rc;
}

int store_delete(struct store *st, const char *id)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct store_node *n;

    pthread_mutex_lock(&sh->lock);
    n = shard_find(sh, id, h);
    if (n) {
        shard_unlink(sh, n);
        atomic_fetch_sub(&st->count, 1);
        atomic_fetch_sub(&st->bytes, n->s.bytes);
    }
    pthread_mutex_unlock(&sh->lock);
    node_free(n);
    return n ? 0 : -1;
}

void store_clear(struct store *st)
{
    unsigned i;

    for (i = 0; i < RM_STORE_SHARDS; i++) {
        struct store_shard *sh = &st->shards[i];
        struct store_node *all;
        size_t removed;

        pthread_mutex_lock(&sh->lock);
        all = sh->oldest;
        removed = sh->count;
        memset(sh->buckets, 0, sh->nbuckets * sizeof(*sh->buckets));
        sh->oldest = sh->newest = NULL;
        sh->count = 0;
        atomic_fetch_sub(&st->count, removed);
        atomic_fetch_sub(&st->bytes, sh->bytes);
        sh->bytes = 0;
        pthread_mutex_unlock(&sh->lock);
        node_free(all); /* the age list links them all */
    }
}

void store_free(struct store *st)
{
    unsigned i;

    if (!st)
        return;
    store_clear(st);
    for (i = 0; i < RM_STORE_SHARDS; i++) {
        pthread_mutex_destroy(&st->shards[i].lock);
        free(st->shards[i].buckets);
    }
    pthread_mutex_destroy(&st->evict_lock);
    free(st);
}

size_t store_bytes(struct store *st)
{
    return atomic_load(&st->bytes);
}

size_t store_count(struct store *st)
{
    return atomic_load(&st->count);
}

unsigned store_capacity(const struct store *st)
{
    return st->max;
}
