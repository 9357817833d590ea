/* store: bounded FIFO of stored responses behind one mutex (see store.h).
 * The lock covers only pointer/refcount work; JSON is never rendered or
 * copied while it is held. */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct store_slot {
    struct stored s;
    int used;
};

struct store {
    pthread_mutex_t lock;
    struct store_slot *slots; /* ring of 'max' entries, oldest at 'head' */
    unsigned max, head, count;
    json_t *index;            /* id -> slot number */
};

struct store *store_new(unsigned max_entries)
{
    struct store *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    if (max_entries == 0)
        max_entries = 1;
    st->max = max_entries;
    st->slots = calloc(max_entries, sizeof(*st->slots));
    st->index = json_object();
    if (!st->slots || !st->index) {
        free(st->slots);
        json_decref(st->index);
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->lock, NULL);
    return st;
}

void stored_release(struct stored *s)
{
    json_decref(s->response);
    json_decref(s->input_items);
    json_decref(s->context);
    free(s->events);
    memset(s, 0, sizeof(*s));
}

void store_clear(struct store *st)
{
    unsigned i;

    pthread_mutex_lock(&st->lock);
    for (i = 0; i < st->max; i++)
        if (st->slots[i].used) {
            stored_release(&st->slots[i].s);
            st->slots[i].used = 0;
        }
    json_object_clear(st->index);
    st->head = st->count = 0;
    pthread_mutex_unlock(&st->lock);
}

void store_free(struct store *st)
{
    if (!st)
        return;
    store_clear(st);
    pthread_mutex_destroy(&st->lock);
    json_decref(st->index);
    free(st->slots);
    free(st);
}

static const char *entry_id(const struct stored *s)
{
    return json_string_value(json_object_get(s->response, "id"));
}

int store_put(struct store *st, struct stored *entry)
{
    const char *id = entry_id(entry);
    struct stored evicted;
    unsigned slot;

    memset(&evicted, 0, sizeof(evicted));
    if (!id) {
        stored_release(entry);
        return -1;
    }
    pthread_mutex_lock(&st->lock);
    if (st->count == st->max) {
        struct store_slot *old = &st->slots[st->head];
        if (old->used) {
            json_object_del(st->index, entry_id(&old->s));
            evicted = old->s;
            old->used = 0;
        }
        st->head = (st->head + 1) % st->max;
        st->count--;
    }
    slot = (st->head + st->count) % st->max;
    st->slots[slot].s = *entry;
    st->slots[slot].used = 1;
    st->count++;
    json_object_set_new(st->index, id, json_integer(slot));
    pthread_mutex_unlock(&st->lock);
    memset(entry, 0, sizeof(*entry));
    stored_release(&evicted);
    return 0;
}

static struct store_slot *find(struct store *st, const char *id)
{
    json_t *v = json_object_get(st->index, id);

    return v ? &st->slots[json_integer_value(v)] : NULL;
}

int store_get(struct store *st, const char *id, struct stored *out)
{
    struct store_slot *sl;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&st->lock);
    sl = find(st, id);
    if (sl) {
        out->response = json_incref(sl->s.response);
        out->input_items = json_incref(sl->s.input_items);
        out->context = json_incref(sl->s.context);
        out->turn = sl->s.turn;
        if (sl->s.events) {
            out->events = malloc(sl->s.events_len + 1);
            if (out->events) {
                memcpy(out->events, sl->s.events, sl->s.events_len + 1);
                out->events_len = sl->s.events_len;
            }
        }
        rc = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_update_response(struct store *st, const char *id, json_t *response)
{
    struct store_slot *sl;
    json_t *old = NULL;
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    sl = find(st, id);
    if (sl) {
        old = sl->s.response;
        sl->s.response = response;
        rc = 0;
    }
    pthread_mutex_unlock(&st->lock);
    json_decref(rc == 0 ? old : response);
    return rc;
}

int store_delete(struct store *st, const char *id)
{
    struct store_slot *sl;
    struct stored gone;
    int rc = -1;

    memset(&gone, 0, sizeof(gone));
    pthread_mutex_lock(&st->lock);
    sl = find(st, id);
    if (sl) {
        gone = sl->s;
        sl->used = 0;
        memset(&sl->s, 0, sizeof(sl->s));
        json_object_del(st->index, id);
        rc = 0;
    }
    pthread_mutex_unlock(&st->lock);
    stored_release(&gone);
    return rc;
}

size_t store_count(struct store *st)
{
    size_t n;

    pthread_mutex_lock(&st->lock);
    n = json_object_size(st->index);
    pthread_mutex_unlock(&st->lock);
    return n;
}
