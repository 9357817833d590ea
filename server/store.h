/* store: stored responses, bounded and safe under concurrent requests.
 *
 * The store is split into RM_STORE_SHARDS shards by a hash of the id, each
 * with its own lock, so lookups of different ids never wait on each other.
 * Capacity is global: when a put takes the store over 'max_entries' or
 * 'max_bytes', the entry put longest ago (across all shards) is evicted, one
 * at a time, until both are back within their limits. Deleting an entry frees its place at once.
 *
 * A stored entry is immutable once put: callers get new references to the
 * same JSON values (jansson's reference counts are atomic) and must
 * deep-copy before changing anything. The one change allowed is
 * store_settle(), which swaps in a new Response object atomically. */
#ifndef RM_STORE_H
#define RM_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "limits.h"

struct store;

/* One stored response as handed to callers (new references; free with
 * stored_release). */
struct stored {
    json_t *response;     /* the Response as created (its terminal state), or as settled */
    json_t *input_items;  /* this turn's input items, each with an id */
    json_t *context;      /* what the model saw before answering: the chain's (or the
                           * conversation's) items, then input_items; not this output */
    struct event_list *events; /* the events its stream sent (a reference), or NULL when
                           * the stream is to be rendered again from 'fixture' */
    char fixture[RM_MAX_FIXTURE_NAME + 1]; /* fixture that answered ("" when unknown) */
    int turn;             /* 1 for a response without previous_response_id */
    int background;       /* created with background:true */
    int live;             /* background and not settled: the status follows the clock */
    int64_t start_ms;     /* monotonic creation time (background schedule) */
    unsigned duration_ms; /* background schedule length, before --speed */
    size_t bytes;         /* what the entry holds, estimated by the caller (serialised
                           * size of response, input items and events) */
};

/* A store that keeps at most 'max_entries' (0 is taken as 1) whose entries
 * hold at most 'max_bytes' in all (by their 'bytes'; 0 = no byte limit).
 * The newest entry is always kept, even alone over 'max_bytes'. NULL on OOM. */
struct store *store_new(unsigned max_entries, size_t max_bytes);

/* Free the store and everything in it. Accepts NULL. */
void store_free(struct store *st);

/* Keep 'entry' under the id in entry->response (an entry with the same id
 * is replaced). Takes ownership of all of entry's members, on failure too,
 * and zeroes 'entry'. May evict the oldest entries. Returns 0 or -1. */
int store_put(struct store *st, struct stored *entry);

/* Copy the entry for 'id' into 'out' (new references). Returns 0, or -1
 * when unknown (never stored, deleted or evicted); 'out' is zeroed then. */
int store_get(struct store *st, const char *id, struct stored *out);

/* Settle the entry 'id': replace its Response by 'response' and its events
 * by 'events' (both stolen; 'events' may be NULL) and clear 'live', but only
 * if its Response is still 'expect' (compare-and-swap on the pointer, so of
 * two racing cancels exactly one wins). Returns 0; -1 when unknown; -2 when
 * the entry changed since 'expect' was read. */
int store_settle(struct store *st, const char *id, const json_t *expect, json_t *response,
                 struct event_list *events);

/* Forget 'id'. Returns 0, or -1 when unknown. */
int store_delete(struct store *st, const char *id);

/* Forget everything. */
void store_clear(struct store *st);

/* Number of entries kept. */
size_t store_count(struct store *st);

/* Sum of the 'bytes' of the entries kept. */
size_t store_bytes(struct store *st);

/* The capacity given to store_new. */
unsigned store_capacity(const struct store *st);

/* Release the members of a 'struct stored' and zero it. Accepts a zeroed one. */
void stored_release(struct stored *s);

#endif
