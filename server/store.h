/* store: stored responses, bounded in real bytes and safe under concurrent
 * requests.
 *
 * An entry is kept as bytes, not as JSON trees: its Response as the compact
 * JSON the create reply sent (handed over, not serialised again), its input
 * items as compact JSON and its events packed (event_list_pack), all in one
 * allocation whose size is what the entry counts against 'max_bytes'. What
 * the model saw before answering (the chain's items) is kept as a tally of
 * its text, not as items: that is all a later turn needs (usage counts and
 * the context-size limit), and it keeps an evicted turn's items from living
 * on inside the newest entry. Retrieve parses the bytes on demand.
 *
 * The store is split into RM_STORE_SHARDS shards by a hash of the id, each
 * with its own lock, so lookups of different ids never wait on each other.
 * Capacity is global: when a put takes the store over 'max_entries' or
 * 'max_bytes', the entry put longest ago (across all shards) is evicted, one
 * at a time, until both are back within their limits. Deleting an entry
 * frees its place at once.
 *
 * A stored entry is immutable once put, except for store_settle(), which
 * swaps in a new Response (compare-and-swap on the entry's version).
 *
 * Shared (store_share): the same interface, the entries in Redis instead
 * (store_redis.h), so that replicas see each other's responses; limits are
 * then the cluster's. Every call may then also fail with STORE_UNAVAILABLE
 * (Redis cannot be reached), which callers answer with a 503. */
#ifndef RM_STORE_H
#define RM_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "limits.h"

struct store;
struct store_node;
struct redis_link;

/* A shared store's Redis cannot be reached (any call but store_new/free). */
#define STORE_UNAVAILABLE (-3)

/* The text of a run of items as usage counts it: how many items, how many
 * bytes of text in how many pieces. Tallies of consecutive runs add up. */
struct text_tally {
    size_t items;
    size_t bytes;
    size_t pieces;
};

/* One stored response as handed to callers (free with stored_release). */
struct stored {
    json_t *response;     /* the Response as created (its terminal state), or as settled
                           * (parsed from the stored bytes; owned) */
    json_t *input_items;  /* this turn's input items, each with an id (parsed; owned) */
    const char *input_json; /* store_put only, instead of input_items: their compact JSON
                           * (borrowed; request_input_json) */
    size_t input_json_len;
    struct event_list *events; /* the events its stream sent (unpacked; owned), or NULL
                           * when the stream is to be rendered again from 'fixture' */
    struct text_tally context; /* what the model saw before answering: the chain's (or
                           * the conversation's) items, then input_items; not this output */
    char fixture[RM_MAX_FIXTURE_NAME + 1]; /* fixture that answered ("" when unknown) */
    int turn;             /* 1 for a response without previous_response_id */
    int background;       /* created with background:true */
    int live;             /* background and not settled: the status follows the clock */
    int64_t start_ms;     /* monotonic creation time (background schedule) */
    unsigned duration_ms; /* background schedule length, before --speed */
    uint64_t version;     /* changes with every settle (for store_settle) */
    size_t bytes;         /* what the entry costs in memory, as counted */
    /* The Response exactly as stored (compact JSON, valid until stored_release). */
    const char *response_json;
    size_t response_len;
    struct store_node *node; /* the reference behind response_json */
};

/* What store_get parses (the Response's bytes are always there). */
enum {
    STORED_RESPONSE = 1, /* 'response' */
    STORED_INPUT = 2,    /* 'input_items' */
    STORED_EVENTS = 4,   /* 'events' (always parsed while 'live') */
    STORED_ALL = 7,
};

/* A store that keeps at most 'max_entries' (0 is taken as 1) whose entries
 * hold at most 'max_bytes' in all (by their 'bytes'; 0 = no byte limit).
 * The newest entry is always kept, even alone over 'max_bytes'. NULL on OOM. */
struct store *store_new(unsigned max_entries, size_t max_bytes);

/* Keep the entries in the Redis of 'link' (borrowed; it must outlive the
 * store) from now on, instead of in memory. Call before any put. */
void store_share(struct store *st, struct redis_link *link);

/* Free the store and everything in it (a shared store's entries stay in
 * Redis). Accepts NULL. */
void store_free(struct store *st);

/* Keep 'entry' under the id in entry->response (an entry with the same id
 * is replaced): its scalar members and context, the Response as 'json'
 * ('len' bytes: its compact serialisation, as json_util_dumps makes it;
 * NULL: serialised here), its input items and its events. Takes ownership
 * of entry's JSON and events, on failure too, and zeroes 'entry'. May evict
 * the oldest entries. Returns 0 or -1. */
int store_put(struct store *st, struct stored *entry, const char *json, size_t len);

/* Copy the entry for 'id' into 'out', parsing what 'want' names. Returns 0,
 * or -1 when unknown (never stored, deleted or evicted) or on OOM; 'out' is
 * zeroed then. */
int store_get(struct store *st, const char *id, unsigned want, struct stored *out);

/* Parse the Response of 's' (got without STORED_RESPONSE) into
 * s->response. Returns 0, or -1 on OOM. */
int stored_parse_response(struct stored *s);

/* Settle the entry 'id': replace its Response by 'response' and its events
 * by 'events' (both stolen; 'events' may be NULL) and clear 'live', but only
 * if its version is still 'expect' (compare-and-swap, so of two racing
 * cancels exactly one wins). Returns 0; -1 when unknown or on OOM; -2 when
 * the entry changed since 'expect' was read. */
int store_settle(struct store *st, const char *id, uint64_t expect, json_t *response,
                 struct event_list *events);

/* Forget 'id'. Returns 0, or -1 when unknown. */
int store_delete(struct store *st, const char *id);

/* Forget everything (of the whole cluster when shared). Returns 0 or
 * STORE_UNAVAILABLE. */
int store_clear(struct store *st);

/* Number of entries kept (0 when a shared store cannot be reached). */
size_t store_count(struct store *st);

/* Sum of the 'bytes' of the entries kept. */
size_t store_bytes(struct store *st);

/* The capacity given to store_new. */
unsigned store_capacity(const struct store *st);

/* Release the members of a 'struct stored' and zero it. Accepts a zeroed one. */
void stored_release(struct stored *s);

#endif
