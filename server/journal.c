/* journal: a bounded ring of the requests received (see journal.h). */
#include "journal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

struct journal {
    pthread_mutex_t lock;
    json_t **ring;         /* 'cap' slots, oldest at 'head' */
    size_t *sizes;         /* bytes of each slot */
    size_t cap, head, n;
    size_t bytes, max_bytes;
};

struct journal *journal_new(unsigned max_entries, size_t max_bytes)
{
    struct journal *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    j->cap = max_entries;
    j->max_bytes = max_bytes;
    if (j->cap && (!(j->ring = calloc(j->cap, sizeof(*j->ring))) ||
                   !(j->sizes = calloc(j->cap, sizeof(*j->sizes))))) {
        journal_free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    return j;
}

/* Forget the oldest entry. Caller holds the lock. Returns it (to release
 * outside the lock). */
static json_t *drop_oldest(struct journal *j)
{
    json_t *e = j->ring[j->head];

    j->bytes -= j->sizes[j->head];
    j->ring[j->head] = NULL;
    j->head = (j->head + 1) % j->cap;
    j->n--;
    return e;
}

json_t *journal_add(struct journal *j, json_t *entry, size_t bytes)
{
    json_t *gone[8];
    size_t ngone = 0, i;

    if (!j->cap) {
        json_decref(entry);
        return NULL;
    }
    pthread_mutex_lock(&j->lock);
    /* The newest entry is always kept, even alone over the byte limit. */
    while (j->n && (j->n == j->cap || (j->max_bytes && j->bytes + bytes > j->max_bytes))) {
        json_t *e = drop_oldest(j);
        if (ngone < sizeof(gone) / sizeof(gone[0]))
            gone[ngone++] = e;
        else
            json_decref(e); /* rare: many small entries make room for a big one */
    }
    j->ring[(j->head + j->n) % j->cap] = entry;
    j->sizes[(j->head + j->n) % j->cap] = bytes;
    j->n++;
    j->bytes += bytes;
    pthread_mutex_unlock(&j->lock);
    for (i = 0; i < ngone; i++)
        json_decref(gone[i]);
    return entry;
}

void journal_finish(struct journal *j, const json_t *entry, int completed, int64_t duration_ms)
{
    json_t *old = NULL;
    size_t i;

    if (!j->cap)
        return;
    pthread_mutex_lock(&j->lock);
    for (i = j->n; i > 0; i--) { /* newest first: it is usually recent */
        size_t at = (j->head + i - 1) % j->cap;

        if (j->ring[at] == entry) {
            json_t *copy = json_copy(j->ring[at]);
            if (copy) {
                json_object_set_new(copy, "stream_completed", json_boolean(completed));
                json_object_set_new(copy, "duration_ms", json_integer(duration_ms));
                old = j->ring[at];
                j->ring[at] = copy;
            }
            break;
        }
    }
    pthread_mutex_unlock(&j->lock);
    json_decref(old);
}

void journal_clear(struct journal *j)
{
    pthread_mutex_lock(&j->lock);
    while (j->n)
        json_decref(drop_oldest(j));
    pthread_mutex_unlock(&j->lock);
}

void journal_free(struct journal *j)
{
    if (!j)
        return;
    if (j->ring) {
        journal_clear(j);
        pthread_mutex_destroy(&j->lock);
    }
    free(j->ring);
    free(j->sizes);
    free(j);
}

size_t journal_count(struct journal *j)
{
    size_t n;

    pthread_mutex_lock(&j->lock);
    n = j->n;
    pthread_mutex_unlock(&j->lock);
    return n;
}

size_t journal_bytes(struct journal *j)
{
    size_t n;

    pthread_mutex_lock(&j->lock);
    n = j->bytes;
    pthread_mutex_unlock(&j->lock);
    return n;
}

/* The request body of 'e' parsed (new reference), or NULL. */
static json_t *body_of(const json_t *e)
{
    const char *b = json_util_str(e, "body");

    return b ? json_loads(b, 0, NULL) : NULL;
}

static int has_tool(const json_t *body, const char *name)
{
    json_t *t;
    size_t i;

    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const char *n = json_util_str(t, "name");
        if (!n)
            n = json_util_str(json_object_get(t, "function"), "name");
        if (n && strcmp(n, name) == 0)
            return 1;
    }
    return 0;
}

static int str_is(const json_t *e, const char *key, const char *want)
{
    const char *v = json_util_str(e, key);

    return v && strcmp(v, want) == 0;
}

static int keeps(const struct journal_filter *f, const json_t *e)
{
    int ok = 1;

    if (!f)
        return 1;
    if ((f->path && !str_is(e, "path", f->path)) || (f->method && !str_is(e, "method", f->method)) ||
        (f->fixture && !str_is(e, "fixture", f->fixture)) ||
        (f->scenario && !str_is(e, "scenario", f->scenario)) ||
        (f->status && json_integer_value(json_object_get(e, "status")) != f->status) ||
        (f->since_ms && json_integer_value(json_object_get(e, "time")) < f->since_ms) ||
        (f->contains && (!json_util_str(e, "body") || !strstr(json_util_str(e, "body"), f->contains))))
        return 0;
    if (f->model || f->tool) {
        json_t *body = body_of(e);
        if (f->model && !str_is(body, "model", f->model))
            ok = 0;
        if (f->tool && !has_tool(body, f->tool))
            ok = 0;
        json_decref(body);
    }
    return ok;
}

json_t *journal_query(struct journal *j, const struct journal_filter *f, size_t limit,
                      size_t *count)
{
    json_t *all = json_array(), *out;
    size_t i, n;

    pthread_mutex_lock(&j->lock);
    for (i = 0; i < j->n; i++)
        json_array_append(all, j->ring[(j->head + i) % j->cap]);
    pthread_mutex_unlock(&j->lock);
    /* Filtering may parse bodies: outside the lock. */
    out = json_array();
    for (i = 0; i < json_array_size(all); i++)
        if (keeps(f, json_array_get(all, i)))
            json_array_append(out, json_array_get(all, i));
    json_decref(all);
    n = json_array_size(out);
    if (count)
        *count = n;
    while (limit && json_array_size(out) > limit)
        json_array_remove(out, 0); /* keep the newest */
    return out;
}

int journal_filter_parse(struct journal_filter *f, const char *(*get)(const void *ctx,
                                                                     const char *key),
                         const void *ctx, char *bad, size_t n)
{
    const char *v;
    char *end;

    memset(f, 0, sizeof(*f));
    f->path = get(ctx, "path");
    f->method = get(ctx, "method");
    f->model = get(ctx, "model");
    f->fixture = get(ctx, "fixture");
    f->contains = get(ctx, "contains");
    f->tool = get(ctx, "tool");
    f->scenario = get(ctx, "scenario");
    if ((v = get(ctx, "status"))) {
        long s = strtol(v, &end, 10);
        if (*end || s < 100 || s > 599) {
            snprintf(bad, n, "status");
            return -1;
        }
        f->status = (int)s;
    }
    if ((v = get(ctx, "since"))) {
        long long t = strtoll(v, &end, 10);
        if (*end || t < 0) {
            snprintf(bad, n, "since");
            return -1;
        }
        f->since_ms = (int64_t)t;
    }
    return 0;
}
