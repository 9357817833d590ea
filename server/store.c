/* store: sharded, bounded map of stored responses (see store.h).
 *
 * Each shard is a chained hash table under one mutex; one age list, under
 * 'age_lock', holds every entry in the order it was put, so the oldest is
 * its head and evicting it is O(1). An entry is in its shard's table
 * exactly when it is in the age list: both change together, with the
 * shard lock and then age_lock held (for a few pointer and counter
 * updates), and so do the count and the bytes. Eviction (only when the
 * store is over capacity) holds age_lock and takes the oldest entry's
 * shard lock with a trylock (the order is the other way round there);
 * when that shard is busy it lets go and waits for it without age_lock.
 * Each eviction looks at the limits again under age_lock, so concurrent
 * puts never evict more than needed. An entry is one allocation of bytes
 * (a node) with a reference count: JSON is never rendered, parsed or freed
 * while a lock is held, and evicting an entry is one free().
 *
 * With a shared backend (store_share) the same nodes travel as bytes: an
 * entry's bytes in Redis are its node from 'meta' on (store_redis.c keeps
 * them), read back into a node of its own for each get. */
#include "store.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json_util.h"
#include "limits.h"
#include "store_redis.h"

/* One entry: its scalars, then in 'data' the id (NUL-terminated), the
 * Response JSON, the input items JSON and the packed events. */
struct store_node {
    atomic_int refs;           /* the shard's, plus one per stored handed out */
    uint64_t hash;
    struct store_node *hnext;  /* bucket chain */
    struct store_node *older;  /* age list (put order) */
    struct store_node *newer;
    struct stored meta;        /* scalars and context; no JSON, no node */
    size_t id_len, response_len, input_len, events_len; /* events_len 0: no events */
    size_t bytes;              /* what it costs, counted against max_bytes */
    char data[];
};

struct store_shard {
    pthread_mutex_t lock;
    struct store_node **buckets;
    size_t nbuckets;           /* a power of two */
    size_t count;
} __attribute__((aligned(64)));  /* one cache line per lock */

struct store {
    struct store_shard shards[RM_STORE_SHARDS];
    unsigned max;
    size_t max_bytes;          /* 0 = no byte limit */
    atomic_size_t count;       /* entries in all shards */
    atomic_size_t bytes;       /* their 'bytes', summed */
    atomic_uint_fast64_t version; /* next entry version */
    pthread_mutex_t age_lock;  /* the age list, the count and the bytes */
    atomic_size_t evicted;     /* bytes evicted since the allocator was last trimmed */
    struct store_node *oldest, *newest;
    struct redis_link *shared; /* NULL: this process's memory only */
};

_Static_assert(STORE_UNAVAILABLE == STORE_REDIS_UNAVAILABLE, "one code for Redis unreachable");

/* Where the bytes a node shares begin. */
#define NODE_WIRE offsetof(struct store_node, meta)

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

static void node_unref(struct store_node *n)
{
    if (n && atomic_fetch_sub(&n->refs, 1) == 1)
        free(n);
}

void stored_release(struct stored *s)
{
    json_decref(s->response);
    json_decref(s->input_items);
    event_list_unref(s->events);
    node_unref(s->node);
    memset(s, 0, sizeof(*s));
}

/* Drop the store's reference of every node of a chain from 'n' on. */
static void node_free(struct store_node *n)
{
    while (n) {
        struct store_node *next = n->hnext;
        node_unref(n);
        n = next;
    }
}

static const char *node_response(const struct store_node *n)
{
    return n->data + n->id_len + 1;
}

static const char *node_input(const struct store_node *n)
{
    return node_response(n) + n->response_len;
}

static const char *node_events(const struct store_node *n)
{
    return node_input(n) + n->input_len;
}

static size_t node_data_len(const struct store_node *n)
{
    return n->id_len + 1 + n->response_len + n->input_len + n->events_len;
}

/* Milliseconds of a clock. */
static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A background schedule's start on the wall clock (shared between hosts)
 * from the monotonic one, and back. */
static int64_t start_to_wall(int64_t mono)
{
    return mono ? mono - clock_ms(CLOCK_MONOTONIC) + clock_ms(CLOCK_REALTIME) : 0;
}

static int64_t start_from_wall(int64_t wall)
{
    return wall ? wall - clock_ms(CLOCK_REALTIME) + clock_ms(CLOCK_MONOTONIC) : 0;
}

/* A node from the bytes a shared backend kept (a node's from NODE_WIRE
 * on), version 'version'. NULL when they are not a node's or on OOM. */
static struct store_node *node_from_wire(const char *wire, size_t len, uint64_t version)
{
    struct store_node *n;

    if (len < sizeof(*n) - NODE_WIRE || !(n = malloc(NODE_WIRE + len)))
        return NULL;
    memset(n, 0, NODE_WIRE);
    memcpy((char *)n + NODE_WIRE, wire, len);
    if (sizeof(*n) - NODE_WIRE + node_data_len(n) != len) {
        free(n);
        return NULL;
    }
    atomic_init(&n->refs, 1);
    n->meta.version = version;
    n->meta.start_ms = start_from_wall(n->meta.start_ms);
    n->meta.bytes = n->bytes;
    n->hash = hash_id(n->data);
    return n;
}

/* Share node 'n' (its start on the wall clock meanwhile). */
static int node_share_put(struct store *st, struct store_node *n)
{
    uint64_t version;
    int rc;

    n->meta.start_ms = start_to_wall(n->meta.start_ms);
    rc = store_redis_put(st->shared, n->data, (const char *)n + NODE_WIRE,
                         sizeof(*n) - NODE_WIRE + node_data_len(n), n->bytes, st->max,
                         st->max_bytes, &version);
    n->meta.start_ms = start_from_wall(n->meta.start_ms);
    return rc;
}

/* A node for 'id' holding copies of the three byte runs, its 'bytes' set
 * to what it really costs. NULL on OOM. */
static struct store_node *node_new(const char *id, const struct stored *meta, const char *response,
                                   size_t rlen, const char *input, size_t ilen, const char *events,
                                   size_t elen)
{
    size_t idl = strlen(id);
    struct store_node *n = malloc(sizeof(*n) + idl + 1 + rlen + ilen + elen);

    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    atomic_init(&n->refs, 1);
    n->meta = *meta;
    n->meta.response = n->meta.input_items = NULL;
    n->meta.input_json = NULL;
    n->meta.input_json_len = 0;
    n->meta.events = NULL;
    n->meta.node = NULL;
    n->meta.response_json = NULL;
    n->id_len = idl;
    n->response_len = rlen;
    n->input_len = ilen;
    n->events_len = elen;
    memcpy(n->data, id, idl + 1);
    memcpy(n->data + idl + 1, response, rlen);
    if (ilen)
        memcpy(n->data + idl + 1 + rlen, input, ilen);
    if (elen)
        memcpy(n->data + idl + 1 + rlen + ilen, events, elen);
    /* REQ: store-bytes-real: the allocation as the allocator sized it. */
    n->bytes = malloc_usable_size(n) + RM_STORE_NODE_OVERHEAD;
    n->meta.bytes = n->bytes;
    return n;
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
    atomic_init(&st->evicted, 0);
    atomic_init(&st->bytes, 0);
    atomic_init(&st->version, 1);
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
    pthread_mutex_init(&st->age_lock, NULL);
    return st;
}

void store_share(struct store *st, struct redis_link *link)
{
    st->shared = link;
}

/* ---- Shard internals (caller holds the shard lock) ------------------- */

static struct store_node *shard_find(struct store_shard *sh, const char *id, uint64_t h)
{
    struct store_node *n = sh->buckets[h & (sh->nbuckets - 1)];

    for (; n; n = n->hnext)
        if (n->hash == h && strcmp(n->data, id) == 0)
            return n;
    return NULL;
}

/* Take 'n' out of its bucket chain and the age list, and out of the count
 * and bytes. Caller holds the shard lock and age_lock. */
static void shard_unlink(struct store *st, struct store_shard *sh, struct store_node *n)
{
    struct store_node **pp = &sh->buckets[n->hash & (sh->nbuckets - 1)];

    while (*pp != n)
        pp = &(*pp)->hnext;
    *pp = n->hnext;
    if (n->older)
        n->older->newer = n->newer;
    else
        st->oldest = n->newer;
    if (n->newer)
        n->newer->older = n->older;
    else
        st->newest = n->older;
    n->hnext = n->older = n->newer = NULL;
    sh->count--;
    atomic_fetch_sub(&st->count, 1);
    atomic_fetch_sub(&st->bytes, n->bytes);
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

/* Over a limit? The newest entry is never evicted for bytes alone. */
static int store_over(struct store *st)
{
    size_t count = atomic_load(&st->count);

    return count > st->max ||
           (st->max_bytes && count > 1 && atomic_load(&st->bytes) > st->max_bytes);
}

/* ---- Public API ------------------------------------------------------- */

/* Link 'n' in as the newest entry, replacing an entry of the same id
 * (returned, to be released outside the locks). */
static struct store_node *link_new(struct store *st, struct store_node *n)
{
    struct store_shard *sh = shard_of(st, n->hash);
    struct store_node *old;
    const char *id = n->data;

    pthread_mutex_lock(&sh->lock);
    pthread_mutex_lock(&st->age_lock);
    old = shard_find(sh, id, n->hash);
    if (old)
        shard_unlink(st, sh, old);
    n->hnext = sh->buckets[n->hash & (sh->nbuckets - 1)];
    sh->buckets[n->hash & (sh->nbuckets - 1)] = n;
    n->older = st->newest;
    if (st->newest)
        st->newest->newer = n;
    else
        st->oldest = n;
    st->newest = n;
    sh->count++;
    atomic_fetch_add(&st->count, 1);
    atomic_fetch_add(&st->bytes, n->bytes);
    pthread_mutex_unlock(&st->age_lock);
    shard_grow(sh);
    pthread_mutex_unlock(&sh->lock);
    return old;
}

/* Count 'bytes' evicted; once a quarter of the byte limit (at least
 * RM_STORE_TRIM_BYTES) has been, hand the allocator's free pages back
 * (malloc_trim). Evicted entries are freed by whichever worker evicts
 * them, into the arena of the worker that stored them, and glibc keeps an
 * arena's free pages: without this scripts/bench's budget phase measured
 * RSS at 1.23x --max-stored-bytes (above idle) with two workers. One
 * worker trims, outside the store's locks. */
static void trim_after(struct store *st, size_t bytes)
{
    size_t every =
        st->max_bytes / 4 > RM_STORE_TRIM_BYTES ? st->max_bytes / 4 : RM_STORE_TRIM_BYTES;

    if (atomic_fetch_add(&st->evicted, bytes) + bytes >= every &&
        atomic_exchange(&st->evicted, 0) >= every)
        malloc_trim(0);
}

/* REQ: store-evict-oldest. Evict the oldest entries (the age list's head)
 * until the store is within its limits. */
static void evict_to_fit(struct store *st)
{
    while (store_over(st)) {
        struct store_node *victim = NULL;
        struct store_shard *sh;

        pthread_mutex_lock(&st->age_lock);
        if (!store_over(st) || !st->oldest) {
            pthread_mutex_unlock(&st->age_lock);
            return;
        }
        sh = shard_of(st, st->oldest->hash);
        if (pthread_mutex_trylock(&sh->lock) == 0) {
            victim = st->oldest;
            shard_unlink(st, sh, victim);
            pthread_mutex_unlock(&sh->lock);
        }
        pthread_mutex_unlock(&st->age_lock);
        if (victim) {
            size_t bytes = victim->bytes;

            node_unref(victim);
            trim_after(st, bytes);
        } else {
            /* Its holder may be waiting for age_lock: let it finish. */
            pthread_mutex_lock(&sh->lock);
            pthread_mutex_unlock(&sh->lock);
        }
    }
}

int store_put(struct store *st, struct stored *entry, const char *json, size_t len)
{
    const char *id = json_string_value(json_object_get(entry->response, "id"));
    struct buf response, input, events;
    struct store_node *n = NULL, *old;
    int ok = id != NULL;

    buf_init(&response, (size_t)-1 / 2);
    buf_init(&input, (size_t)-1 / 2);
    buf_init(&events, RM_MAX_STORED_EVENT_BYTES);
    if (ok && !json) {
        ok = json_util_dump_append(entry->response, &response) == 0;
        json = response.data;
        len = response.len;
    }
    if (ok && !entry->input_json && entry->input_items)
        ok = json_util_dump_append(entry->input_items, &input) == 0;
    if (ok && entry->events)
        ok = event_list_pack(entry->events, &events) == 0;
    if (ok)
        n = node_new(id, entry, json ? json : "", json ? len : 0,
                     entry->input_json ? entry->input_json : input.data,
                     entry->input_json ? entry->input_json_len : input.len,
                     events.data, events.len);
    buf_release(&response);
    buf_release(&input);
    buf_release(&events);
    stored_release(entry);
    if (!n)
        return -1;
    if (st->shared) {
        int rc = node_share_put(st, n);
        free(n);
        return rc;
    }
    n->hash = hash_id(n->data);
    n->meta.version = atomic_fetch_add(&st->version, 1);
    old = link_new(st, n);
    node_unref(old);
    evict_to_fit(st);
    return 0;
}

/* Parse what 'want' names of the node behind 'out'. Returns 0 or -1. */
static int stored_parse(struct stored *out, unsigned want)
{
    const struct store_node *n = out->node;

    if (out->live)
        want |= STORED_EVENTS;
    if ((want & STORED_RESPONSE) && !out->response &&
        !(out->response = json_loadb(out->response_json, out->response_len,
                                     JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)))
        return -1;
    if ((want & STORED_INPUT) && n->input_len && !out->input_items &&
        !(out->input_items =
              json_loadb(node_input(n), n->input_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)))
        return -1;
    if ((want & STORED_EVENTS) && n->events_len && !out->events &&
        !(out->events = event_list_unpack(node_events(n), n->events_len)))
        return -1;
    return 0;
}

int stored_parse_response(struct stored *s)
{
    return s->response || !s->node ? 0 : stored_parse(s, STORED_RESPONSE);
}

/* The node of 'id' from the shared backend, with a reference for the
 * caller, into '*out'. Returns 0, -1 or STORE_UNAVAILABLE. */
static int shared_find(struct store *st, const char *id, struct store_node **out)
{
    char *wire;
    size_t len;
    uint64_t version;
    int rc = store_redis_get(st->shared, id, &wire, &len, &version);

    *out = NULL;
    if (rc != 0)
        return rc;
    *out = node_from_wire(wire, len, version);
    free(wire);
    return *out ? 0 : -1;
}

int store_get(struct store *st, const char *id, unsigned want, struct stored *out)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct store_node *n;

    memset(out, 0, sizeof(*out));
    if (st->shared) {
        int rc = shared_find(st, id, &n);
        if (rc != 0)
            return rc;
    } else {
        pthread_mutex_lock(&sh->lock);
        n = shard_find(sh, id, h);
        if (n)
            atomic_fetch_add(&n->refs, 1);
        pthread_mutex_unlock(&sh->lock);
    }
    if (!n)
        return -1;
    *out = n->meta;
    out->node = n;
    out->response_json = node_response(n);
    out->response_len = n->response_len;
    if (stored_parse(out, want) != 0) {
        stored_release(out);
        return -1;
    }
    return 0;
}

int store_settle(struct store *st, const char *id, uint64_t expect, json_t *response,
                 struct event_list *events)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct stored cur, meta;
    struct store_node *n = NULL, *old = NULL;
    char *json = NULL;
    struct buf packed;
    int rc = -1;

    buf_init(&packed, RM_MAX_STORED_EVENT_BYTES);
    if ((rc = store_get(st, id, 0, &cur)) != 0) {
        json_decref(response);
        event_list_unref(events);
        return rc;
    }
    rc = -1;
    if (cur.version != expect) {
        rc = -2;
        goto out;
    }
    /* The new node outside the lock: the same input items, the new
     * Response and events. */
    json = json_util_dumps(response);
    if (!json || (events && event_list_pack(events, &packed) != 0))
        goto out;
    meta = cur;
    meta.live = 0;
    meta.version = atomic_fetch_add(&st->version, 1);
    n = node_new(id, &meta, json, strlen(json), node_input(cur.node), cur.node->input_len,
                 packed.data, packed.len);
    if (!n)
        goto out;
    if (st->shared) {
        n->meta.start_ms = start_to_wall(n->meta.start_ms);
        rc = store_redis_settle(st->shared, id, expect, (const char *)n + NODE_WIRE,
                                sizeof(*n) - NODE_WIRE + node_data_len(n), n->bytes);
        goto out;
    }
    n->hash = h;
    pthread_mutex_lock(&sh->lock);
    old = shard_find(sh, id, h);
    if (old != cur.node || old->meta.version != expect) {
        rc = old ? -2 : -1;
        old = NULL;
    } else {
        /* In the old node's place: same age, same bucket chain. */
        struct store_node **pp = &sh->buckets[h & (sh->nbuckets - 1)];
        while (*pp != old)
            pp = &(*pp)->hnext;
        pthread_mutex_lock(&st->age_lock);
        *pp = n;
        n->hnext = old->hnext;
        n->older = old->older;
        n->newer = old->newer;
        if (n->older)
            n->older->newer = n;
        else
            st->oldest = n;
        if (n->newer)
            n->newer->older = n;
        else
            st->newest = n;
        atomic_fetch_add(&st->bytes, n->bytes);
        atomic_fetch_sub(&st->bytes, old->bytes);
        pthread_mutex_unlock(&st->age_lock);
        n = NULL;
        rc = 0;
    }
    pthread_mutex_unlock(&sh->lock);
out:
    if (rc == 0)
        node_unref(old); /* the shard's reference to the replaced node */
    free(n);
    free(json);
    buf_release(&packed);
    stored_release(&cur);
    json_decref(response);
    event_list_unref(events);
    if (rc == 0 && !st->shared)
        evict_to_fit(st);
    return rc;
}

int store_delete(struct store *st, const char *id)
{
    uint64_t h = hash_id(id);
    struct store_shard *sh = shard_of(st, h);
    struct store_node *n;

    if (st->shared)
        return store_redis_delete(st->shared, id);
    pthread_mutex_lock(&sh->lock);
    n = shard_find(sh, id, h);
    if (n) {
        pthread_mutex_lock(&st->age_lock);
        shard_unlink(st, sh, n);
        pthread_mutex_unlock(&st->age_lock);
    }
    pthread_mutex_unlock(&sh->lock);
    node_unref(n);
    return n ? 0 : -1;
}

int store_clear(struct store *st)
{
    unsigned i;

    if (st->shared)
        return store_redis_clear(st->shared);
    for (i = 0; i < RM_STORE_SHARDS; i++) {
        struct store_shard *sh = &st->shards[i];
        struct store_node *all = NULL;
        size_t b;

        pthread_mutex_lock(&sh->lock);
        pthread_mutex_lock(&st->age_lock);
        for (b = 0; b < sh->nbuckets; b++) {
            while (sh->buckets[b]) {
                struct store_node *n = sh->buckets[b];

                shard_unlink(st, sh, n);
                n->hnext = all; /* a chain of its own now */
                all = n;
            }
        }
        pthread_mutex_unlock(&st->age_lock);
        pthread_mutex_unlock(&sh->lock);
        node_free(all);
    }
    return 0;
}

void store_free(struct store *st)
{
    unsigned i;

    if (!st)
        return;
    st->shared = NULL; /* the cluster's entries outlive this process */
    store_clear(st);
    for (i = 0; i < RM_STORE_SHARDS; i++) {
        pthread_mutex_destroy(&st->shards[i].lock);
        free(st->shards[i].buckets);
    }
    pthread_mutex_destroy(&st->age_lock);
    free(st);
}

size_t store_bytes(struct store *st)
{
    size_t count, bytes;

    if (st->shared)
        return store_redis_totals(st->shared, &count, &bytes) == 0 ? bytes : 0;
    return atomic_load(&st->bytes);
}

size_t store_count(struct store *st)
{
    size_t count, bytes;

    if (st->shared)
        return store_redis_totals(st->shared, &count, &bytes) == 0 ? count : 0;
    return atomic_load(&st->count);
}

unsigned store_capacity(const struct store *st)
{
    return st->max;
}
