/* store: stored responses, bounded and safe under concurrent requests.
 *
 * A stored entry is immutable once put: callers get new references to the
 * same JSON values (jansson's reference counts are atomic) and must deep-copy
 * before changing anything. The oldest entry is evicted when the store is
 * full. */
#ifndef RM_STORE_H
#define RM_STORE_H

#include <jansson.h>
#include <stddef.h>

struct store;

/* One stored response as handed to callers (new references; free with
 * stored_release). */
struct stored {
    json_t *response;     /* the Response object */
    json_t *input_items;  /* this turn's input items, each with an id */
    json_t *context;      /* full context after this turn: chain inputs + outputs */
    int turn;             /* 1 for a response without previous_response_id */
    char *events;         /* SSE bytes of its stream, for GET ?stream=true (may be NULL) */
    size_t events_len;
};

struct store *store_new(unsigned max_entries);
void store_free(struct store *st);

/* Keep 'entry' under the id in entry->response. Takes ownership of all of
 * entry's members (on failure too). Returns 0 or -1. */
int store_put(struct store *st, struct stored *entry);

/* Copy out the entry for 'id' into 'out' (new references). Returns 0, or -1
 * when unknown (never stored, deleted or evicted). */
int store_get(struct store *st, const char *id, struct stored *out);

/* Replace the Response object of 'id' (e.g. background progress, cancel);
 * steals 'response'. Returns 0 or -1 when unknown. */
int store_update_response(struct store *st, const char *id, json_t *response);

/* Forget 'id'. Returns 0, or -1 when unknown. */
int store_delete(struct store *st, const char *id);

/* Forget everything. */
void store_clear(struct store *st);

/* Number of entries kept. */
size_t store_count(struct store *st);

/* Release the members of a 'struct stored'. */
void stored_release(struct stored *s);

#endif
