/* journal: a bounded ring of the requests received (see journal.h); or,
 * shared, the cluster's journal in Redis, one Lua script per change. */
#include "journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "redis_link.h"
#include "scrub.h"

#define NUM_LEN 24 /* a decimal 64-bit number and its NUL */

/* One kept request: a flat record (an HTTP request, journal_add_request:
 * one allocation, turned into JSON only when read) or a JSON tree
 * (journal_add). A stream's end is written into it (atomics), so finishing
 * one copies nothing. Shared by reference between the ring and readers. */
struct journal_entry {
    atomic_int refs;
    atomic_int completed;          /* -1: not ended (or not a stream); 0/1 */
    atomic_int_fast64_t duration_ms; /* with 'completed' >= 0 */
    size_t bytes;                  /* what it counts against the byte limit */
    json_t *tree;                  /* NULL: the record below */
    /* the record: numbers here, strings in 'text' (NUL-terminated, in order:
     * id, method, path, fixture, scenario, state, then nquery key/value
     * pairs, nheaders name/value pairs, then body_len bytes of body) */
    int64_t time_ms;
    size_t body_bytes, body_len;
    int status, stream, body_truncated, has_body, has_fixture, has_scenario, has_state;
    unsigned nquery, nheaders;
    unsigned null_values;          /* bit k: query value k is null (k < 32) */
    char text[];
};

struct journal {
    pthread_mutex_t lock;
    struct journal_entry **ring; /* 'cap' slots, oldest at 'head' */
    size_t cap, head, n;
    size_t bytes, max_bytes;
    struct redis_link *shared; /* NULL: the ring above */
    struct journal_entry **pending; /* shared: the entries of streams not ended yet */
    size_t npending, cap_pending;
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

/* ---- Entries ---------------------------------------------------------------- */

static struct journal_entry *entry_ref(struct journal_entry *e)
{
    atomic_fetch_add(&e->refs, 1);
    return e;
}

static void entry_unref(struct journal_entry *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    json_decref(e->tree);
    free(e);
}

/* A new entry holding 'tree' (stolen). NULL on OOM ('tree' released). */
static struct journal_entry *entry_of_tree(json_t *tree, size_t bytes)
{
    struct journal_entry *e = calloc(1, sizeof(*e));

    if (!e) {
        json_decref(tree);
        return NULL;
    }
    atomic_init(&e->refs, 1);
    atomic_init(&e->completed, -1);
    atomic_init(&e->duration_ms, 0);
    e->tree = tree;
    e->bytes = bytes;
    return e;
}

/* Append 'v' (NULL: "") with its NUL to the record's text at '*w'. */
static char *put(char *w, const char *v, size_t len)
{
    if (v)
        memcpy(w, v, len);
    w[len] = '\0';
    return w + len + 1;
}

const char *journal_header_value(const char *name, const char *value, size_t *len)
{
    size_t n = value ? strlen(value) : 0;

    if (redact_header_is_secret(name)) {
        *len = strlen(RM_REDACTED);
        return RM_REDACTED;
    }
    *len = n > RM_MAX_JOURNAL_HEADER_VALUE ? RM_MAX_JOURNAL_HEADER_VALUE : n;
    return value ? value : "";
}

/* The flat record of 'r' (its headers' names lowercased, secrets
 * redacted). NULL on OOM. */
static struct journal_entry *entry_of_request(const struct journal_request *r)
{
    const char *strs[6] = {r->id, r->method, r->path, r->fixture, r->scenario, r->state};
    size_t nq = r->nquery < RM_MAX_QUERY_ARGS ? r->nquery : RM_MAX_QUERY_ARGS;
    size_t nh = r->nheaders < RM_MAX_JOURNAL_HEADERS ? r->nheaders : RM_MAX_JOURNAL_HEADERS;
    const char *values[RM_MAX_JOURNAL_HEADERS]; /* as kept (redacted, cut) */
    size_t value_len[RM_MAX_JOURNAL_HEADERS], len = 0, i;
    struct journal_entry *e;
    char *w;

    for (i = 0; i < 6; i++)
        len += (strs[i] ? strlen(strs[i]) : 0) + 1;
    for (i = 0; i < nq; i++)
        len += strlen(r->query_keys[i]) + (r->query_values[i] ? strlen(r->query_values[i]) : 0) + 2;
    for (i = 0; i < nh; i++) {
        values[i] = journal_header_value(r->header_names[i], r->header_values[i], &value_len[i]);
        len += strlen(r->header_names[i]) + 1 + value_len[i] + 1;
    }
    len += r->body_len + 1;
    if (!(e = calloc(1, sizeof(*e) + len)))
        return NULL;
    atomic_init(&e->refs, 1);
    atomic_init(&e->completed, -1);
    atomic_init(&e->duration_ms, r->duration_ms);
    e->bytes = sizeof(*e) + len;
    e->time_ms = r->time_ms;
    e->body_bytes = r->body_bytes;
    e->body_len = r->body_len;
    e->body_truncated = r->body_truncated;
    e->has_body = r->body != NULL;
    e->status = r->status;
    e->stream = r->stream;
    e->has_fixture = r->fixture != NULL;
    e->has_scenario = r->scenario != NULL;
    e->has_state = r->state != NULL;
    e->nquery = (unsigned)nq;
    e->nheaders = (unsigned)nh;
    w = e->text;
    for (i = 0; i < 6; i++)
        w = put(w, strs[i], strs[i] ? strlen(strs[i]) : 0);
    for (i = 0; i < nq; i++) {
        w = put(w, r->query_keys[i], strlen(r->query_keys[i]));
        if (!r->query_values[i] && i < 32)
            e->null_values |= 1u << i;
        w = put(w, r->query_values[i], r->query_values[i] ? strlen(r->query_values[i]) : 0);
    }
    for (i = 0; i < nh; i++) {
        char *name = w;
        size_t k;

        w = put(w, r->header_names[i], strlen(r->header_names[i]));
        for (k = 0; name[k]; k++)
            if (name[k] >= 'A' && name[k] <= 'Z')
                name[k] = (char)(name[k] - 'A' + 'a');
        w = put(w, values[i], value_len[i]);
    }
    put(w, r->body, r->body_len);
    return e;
}

/* The next NUL-terminated string of a record after '*p'. */
static const char *next_str(const char **p)
{
    const char *s = *p;

    *p += strlen(s) + 1;
    return s;
}

/* The entry as the JSON object readers get (new reference), its stream's
 * end as last written. NULL on OOM. */
static json_t *entry_json(const struct journal_entry *e)
{
    int completed = atomic_load(&e->completed);
    const char *p = e->text, *id, *method, *path, *fixture, *scenario, *state;
    json_t *out, *query, *headers, *body;
    unsigned i;

    if (e->tree) {
        if (completed < 0)
            return json_incref(e->tree);
        if (!(out = json_copy(e->tree)))
            return NULL;
        json_object_set_new(out, "stream_completed", json_boolean(completed));
        json_object_set_new(out, "duration_ms", json_integer(atomic_load(&e->duration_ms)));
        return out;
    }
    id = next_str(&p);
    method = next_str(&p);
    path = next_str(&p);
    fixture = next_str(&p);
    scenario = next_str(&p);
    state = next_str(&p);
    query = json_object();
    headers = json_object();
    for (i = 0; i < e->nquery; i++) {
        const char *k = next_str(&p), *v = next_str(&p);
        json_object_set_new(query, k, i < 32 && (e->null_values >> i & 1) ? json_null()
                                                                          : json_string(v));
    }
    for (i = 0; i < e->nheaders; i++) {
        const char *k = next_str(&p), *v = next_str(&p);
        json_object_set_new(headers, k, json_string(v));
    }
    /* not UTF-8: not kept as text */
    body = e->has_body ? json_stringn(p, e->body_len) : NULL;
    out = json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:b, s:s?, s:s?, s:s?, s:i, s:I, "
                    "s:b}",
                    "id", id, "time", (json_int_t)e->time_ms, "method", method, "path", path,
                    "query", query, "headers", headers, "body", body ? body : json_null(),
                    "body_bytes", (json_int_t)e->body_bytes, "body_truncated", e->body_truncated,
                    "fixture", e->has_fixture ? fixture : NULL, "scenario",
                    e->has_scenario ? scenario : NULL, "state", e->has_state ? state : NULL,
                    "status", e->status, "duration_ms",
                    (json_int_t)atomic_load(&e->duration_ms), "stream", e->stream);
    if (out)
        json_object_set_new(out, "stream_completed",
                            completed < 0 ? json_null() : json_boolean(completed));
    return out;
}

/* ---- Shared ------------------------------------------------------------------ */

/* Keep 'e' in Redis; returns it when the caller may finish it later (kept
 * in the pending ones until then), else NULL (and 'e' is released). */
static const struct journal_entry *shared_add(struct journal *j, struct journal_entry *e)
{
    json_t *entry = entry_json(e);
    char *text = entry ? json_util_dumps(entry) : NULL, b[NUM_LEN], max[NUM_LEN], maxb[NUM_LEN],
         ttl[NUM_LEN];
    const char *id = json_util_str(entry, "id");
    const char *argv[6] = {id, text, b, max, maxb, ttl};
    struct redisReply *r = NULL;
    const struct journal_entry *kept = NULL;

    snprintf(b, sizeof(b), "%zu", e->bytes);
    snprintf(max, sizeof(max), "%zu", j->cap);
    snprintf(maxb, sizeof(maxb), "%zu", j->max_bytes);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    if (text && id)
        r = redis_link_eval(j->shared, ADD, 6, argv, NULL);
    free(text);
    /* A stream's entry is finished when it ends: kept here until then. */
    if (r && json_is_true(json_object_get(entry, "stream"))) {
        pthread_mutex_lock(&j->lock);
        if (j->npending == j->cap_pending && j->cap_pending < RM_MAX_CONNECTIONS_CEILING) {
            size_t cap = j->cap_pending ? j->cap_pending * 2 : 16;
            struct journal_entry **v = realloc(j->pending, cap * sizeof(*v));
            if (v) {
                j->pending = v;
                j->cap_pending = cap;
            }
        }
        if (j->npending < j->cap_pending) {
            j->pending[j->npending++] = entry_ref(e);
            kept = e; /* with the caller's reference */
        }
        pthread_mutex_unlock(&j->lock);
    }
    redis_reply_free(r);
    json_decref(entry);
    if (!kept)
        entry_unref(e);
    return kept;
}

/* Take 'e' out of the pending ones (its reference to the caller); 0 when
 * it was there. */
static int pending_take(struct journal *j, const struct journal_entry *e)
{
    size_t i;
    int rc = -1;

    pthread_mutex_lock(&j->lock);
    for (i = 0; i < j->npending; i++)
        if (j->pending[i] == e) {
            j->pending[i] = j->pending[--j->npending];
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

static void shared_finish(struct journal *j, const struct journal_entry *entry, int completed,
                          int64_t duration_ms)
{
    struct journal_entry *e = (struct journal_entry *)entry; /* ours: it was pending */
    json_t *copy;
    char *text = NULL;

    if (pending_take(j, e) != 0)
        return;
    atomic_store(&e->duration_ms, duration_ms);
    atomic_store(&e->completed, completed ? 1 : 0);
    if ((copy = entry_json(e)))
        text = json_util_dumps(copy);
    if (text) {
        const char *argv[2] = {json_util_str(copy, "id"), text};
        redis_reply_free(redis_link_eval(j->shared, FINISH, 2, argv, NULL));
    }
    free(text);
    json_decref(copy);
    entry_unref(e);
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
    if (j->cap && !(j->ring = calloc(j->cap, sizeof(*j->ring)))) {
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
    j->shared = link;
    return 0;
}

/* Forget the oldest entry. Caller holds the lock. Returns it (to release
 * outside the lock). */
static struct journal_entry *drop_oldest(struct journal *j)
{
    struct journal_entry *e = j->ring[j->head];

    j->bytes -= e->bytes;
    j->ring[j->head] = NULL;
    j->head = (j->head + 1) % j->cap;
    j->n--;
    return e;
}

/* Keep 'e' (its reference) in the ring, or in Redis. */
static const struct journal_entry *keep(struct journal *j, struct journal_entry *e)
{
    struct journal_entry *gone[8];
    size_t ngone = 0, i;

    if (!e)
        return NULL;
    if (j->shared)
        return shared_add(j, e);
    pthread_mutex_lock(&j->lock);
    /* The newest entry is always kept, even alone over the byte limit. */
    while (j->n && (j->n == j->cap || (j->max_bytes && j->bytes + e->bytes > j->max_bytes))) {
        struct journal_entry *old = drop_oldest(j);
        if (ngone < sizeof(gone) / sizeof(gone[0]))
            gone[ngone++] = old;
        else
            entry_unref(old); /* rare: many small entries make room for a big one */
    }
    j->ring[(j->head + j->n) % j->cap] = e;
    j->n++;
    j->bytes += e->bytes;
    entry_ref(e); /* the caller's */
    pthread_mutex_unlock(&j->lock);
    for (i = 0; i < ngone; i++)
        entry_unref(gone[i]);
    return e;
}

const struct journal_entry *journal_add(struct journal *j, json_t *entry, size_t bytes)
{
    if (!j->cap) {
        json_decref(entry);
        return NULL;
    }
    return keep(j, entry_of_tree(entry, bytes));
}

const struct journal_entry *journal_add_request(struct journal *j,
                                                const struct journal_request *r)
{
    return j->cap ? keep(j, entry_of_request(r)) : NULL;
}

void journal_finish(struct journal *j, const struct journal_entry *entry, int completed,
                    int64_t duration_ms)
{
    struct journal_entry *e = (struct journal_entry *)entry; /* the caller's reference */

    if (!e)
        return;
    if (j->shared) {
        shared_finish(j, e, completed, duration_ms);
    } else { /* kept or dropped already: readers of it see the end from now on */
        atomic_store(&e->duration_ms, duration_ms);
        atomic_store(&e->completed, completed ? 1 : 0);
    }
    entry_unref(e);
}

void journal_drop(struct journal *j, const struct journal_entry *entry)
{
    (void)j;
    entry_unref((struct journal_entry *)entry);
}

int journal_clear(struct journal *j)
{
    if (j->shared)
        return redis_link_delete_prefix(j->shared, "j:");
    pthread_mutex_lock(&j->lock);
    while (j->n)
        entry_unref(drop_oldest(j));
    pthread_mutex_unlock(&j->lock);
    return 0;
}

void journal_free(struct journal *j)
{
    size_t i;

    if (!j)
        return;
    j->shared = NULL; /* the cluster's entries outlive this process */
    for (i = 0; i < j->npending; i++)
        entry_unref(j->pending[i]);
    free(j->pending);
    if (j->ring) {
        journal_clear(j);
        pthread_mutex_destroy(&j->lock);
    }
    free(j->ring);
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
        struct journal_entry **held = NULL;
        size_t nheld = 0;

        all = json_array();
        pthread_mutex_lock(&j->lock);
        if (j->n && (held = malloc(j->n * sizeof(*held))))
            for (i = 0; i < j->n; i++)
                held[nheld++] = entry_ref(j->ring[(j->head + i) % j->cap]);
        pthread_mutex_unlock(&j->lock);
        /* Turned into JSON outside the lock. */
        for (i = 0; i < nheld; i++) {
            json_t *e = entry_json(held[i]);
            if (e)
                json_array_append_new(all, e);
            entry_unref(held[i]);
        }
        free(held);
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
