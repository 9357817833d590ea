/* journal: a bounded ring of the requests received (see journal.h); or,
 * shared, the cluster's journal in Redis, one Lua script per change. */
#include "journal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "limits.h"
#include "redis_link.h"

#define NUM_LEN 24 /* a decimal 64-bit number and its NUL */

struct journal {
    pthread_mutex_t lock;
    json_t **ring;         /* 'cap' slots, oldest at 'head' */
    size_t *sizes;         /* bytes of each slot */
    size_t cap, head, n;
    size_t bytes, max_bytes;
    struct redis_link *shared; /* NULL: the ring above */
    json_t *pending;       /* shared: the entries of streams not ended yet */
};

/* ---- Shared: the scripts (ARGV[1] the prefix) ------------------------------ */

#define SHARED_KEYS                                                                               \
    "local p = ARGV[1]\n"                                                                         \
    "local list, hash, total = p .. 'j:ids', p .. 'j:e', p .. 'j:total'\n"                      \
    "local sizes = p .. 'j:b'\n"

/* ARGV: id, entry, its bytes, max entries, max bytes, TTL. The newest
 * entry is always kept, even alone over the byte limit. */
static const char ADD[] = SHARED_KEYS
    "redis.call('RPUSH', list, ARGV[2])\n"
    "redis.call('HSET', hash, ARGV[2], ARGV[3])\n"
    "redis.call('HSET', sizes, ARGV[2], ARGV[4])\n"
    "local t = redis.call('INCRBY', total, ARGV[4])\n"
    "local n = redis.call('LLEN', list)\n"
    "local max, maxb = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "while n > 1 and (n > max or (maxb > 0 and t > maxb)) do\n"
    "  local o = redis.call('LPOP', list)\n"
    "  t = redis.call('DECRBY', total, redis.call('HGET', sizes, o) or 0)\n"
    "  redis.call('HDEL', hash, o)\n"
    "  redis.call('HDEL', sizes, o)\n"
    "  n = n - 1\n"
    "end\n"
    "for _, k in ipairs({list, hash, sizes, total}) do redis.call('EXPIRE', k, ARGV[7]) end\n"
    "return n\n";

/* ARGV: id, the finished entry (it counts what it counted). */
static const char FINISH[] = SHARED_KEYS
    "if redis.call('HEXISTS', hash, ARGV[2]) == 0 then return 0 end\n"
    "redis.call('HSET', hash, ARGV[2], ARGV[3])\n"
    "return 1\n";

/* Every entry, oldest first. */
static const char ALL[] = SHARED_KEYS
    "local out = {}\n"
    "for _, id in ipairs(redis.call('LRANGE', list, 0, -1)) do\n"
    "  local e = redis.call('HGET', hash, id)\n"
    "  if e then out[#out + 1] = e end\n"
    "end\n"
    "return out\n";

static const char TOTALS[] = SHARED_KEYS
    "return {redis.call('LLEN', list), tonumber(redis.call('GET', total) or '0')}\n";

/* Keep 'entry' in Redis; returns it when the caller may finish it later. */
static json_t *shared_add(struct journal *j, json_t *entry, size_t bytes)
{
    char *text = json_util_dumps(entry), b[NUM_LEN], max[NUM_LEN], maxb[NUM_LEN], ttl[NUM_LEN];
    const char *id = json_util_str(entry, "id");
    const char *argv[6] = {id, text, b, max, maxb, ttl};
    struct redisReply *r = NULL;
    json_t *kept = NULL;

    snprintf(b, sizeof(b), "%zu", bytes);
    snprintf(max, sizeof(max), "%zu", j->cap);
    snprintf(maxb, sizeof(maxb), "%zu", j->max_bytes);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    if (text && id)
        r = redis_link_eval(j->shared, ADD, 6, argv, NULL);
    free(text);
    /* A stream's entry is finished when it ends: kept here until then. */
    if (r && json_is_true(json_object_get(entry, "stream"))) {
        pthread_mutex_lock(&j->lock);
        if (json_array_size(j->pending) < RM_MAX_CONNECTIONS_CEILING &&
            json_array_append(j->pending, entry) == 0)
            kept = entry;
        pthread_mutex_unlock(&j->lock);
    }
    redis_reply_free(r);
    json_decref(entry);
    return kept;
}

/* Take 'entry' out of the pending ones; 0 when it was there. */
static int pending_take(struct journal *j, const json_t *entry, json_t **out)
{
    size_t i;
    int rc = -1;

    pthread_mutex_lock(&j->lock);
    for (i = 0; i < json_array_size(j->pending); i++)
        if (json_array_get(j->pending, i) == entry) {
            *out = json_incref(json_array_get(j->pending, i));
            json_array_remove(j->pending, i);
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

static void shared_finish(struct journal *j, const json_t *entry, int completed,
                          int64_t duration_ms)
{
    json_t *e = NULL, *copy;
    char *text = NULL;

    if (pending_take(j, entry, &e) != 0)
        return;
    if ((copy = json_copy(e))) {
        json_object_set_new(copy, "stream_completed", json_boolean(completed));
        json_object_set_new(copy, "duration_ms", json_integer(duration_ms));
        text = json_util_dumps(copy);
    }
    if (text) {
        const char *argv[2] = {json_util_str(copy, "id"), text};
        redis_reply_free(redis_link_eval(j->shared, FINISH, 2, argv, NULL));
    }
    free(text);
    json_decref(copy);
    json_decref(e);
}

/* The cluster's entries, oldest first (new array), NULL when unreachable. */
static json_t *shared_all(struct journal *j)
{
    struct redisReply *r = redis_link_eval(j->shared, ALL, 0, NULL, NULL);
    json_t *all = r ? json_array() : NULL;
    size_t i, len;

    for (i = 0; all && i < redis_reply_count(r); i++) {
        const char *s = redis_reply_str(redis_reply_elem(r, i), &len);
        json_t *e = s ? json_loadb(s, len, 0, NULL) : NULL;
        if (e)
            json_array_append_new(all, e);
    }
    redis_reply_free(r);
    return all;
}

/* The cluster's entry count ('which' 0) or bytes (1); 0 when unreachable. */
static size_t shared_total(struct journal *j, size_t which)
{
    struct redisReply *r = redis_link_eval(j->shared, TOTALS, 0, NULL, NULL);
    size_t v = (size_t)redis_reply_int(redis_reply_elem(r, which));

    redis_reply_free(r);
    return v;
}

/* ---- Both ------------------------------------------------------------------ */

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

int journal_share(struct journal *j, struct redis_link *link)
{
    if (!j->cap)
        return 0; /* nothing is kept, nor shared */
    if (!(j->pending = json_array()))
        return -1;
    j->shared = link;
    return 0;
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
    if (j->shared)
        return shared_add(j, entry, bytes);
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
    if (j->shared) {
        shared_finish(j, entry, completed, duration_ms);
        return;
    }
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

int journal_clear(struct journal *j)
{
    if (j->shared)
        return redis_link_delete_prefix(j->shared, "j:");
    pthread_mutex_lock(&j->lock);
    while (j->n)
        json_decref(drop_oldest(j));
    pthread_mutex_unlock(&j->lock);
    return 0;
}

void journal_free(struct journal *j)
{
    if (!j)
        return;
    j->shared = NULL; /* the cluster's entries outlive this process */
    json_decref(j->pending);
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

    if (j->shared)
        return shared_total(j, 0);
    pthread_mutex_lock(&j->lock);
    n = j->n;
    pthread_mutex_unlock(&j->lock);
    return n;
}

size_t journal_bytes(struct journal *j)
{
    size_t n;

    if (j->shared)
        return shared_total(j, 1);
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
    json_t *all, *out;
    size_t i, n;

    if (j->shared) {
        if (!(all = shared_all(j)))
            return NULL;
    } else {
        all = json_array();
        pthread_mutex_lock(&j->lock);
        for (i = 0; i < j->n; i++)
            json_array_append(all, j->ring[(j->head + i) % j->cap]);
        pthread_mutex_unlock(&j->lock);
    }
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
