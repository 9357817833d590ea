/* conversation_redis: conversations in Redis, one Lua script per change
 * (see conversation_redis.h). The C side turns JSON into the arguments of
 * a script and its reply back into JSON; the scripts keep the bytes and
 * the index. */
#include "conversation_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "limits.h"
#include "redis_link.h"

#define NUM_LEN 24    /* a decimal 64-bit number and its NUL */
#define SWAP_TRIES 8  /* set_metadata: compare-and-swap attempts before 503 */

/* The keys of conversation 'id' ARGV[2] and of the index; ARGV[1] is the
 * prefix. */
#define KEYS_LUA                                                                          \
    "local p, id = ARGV[1], ARGV[2]\n"                                                  \
    "local o, l, i = p .. 'cv:o:' .. id, p .. 'cv:l:' .. id, p .. 'cv:i:' .. id\n"        \
    "local idx, size, total = p .. 'cvx:idx', p .. 'cvx:size', p .. 'cvx:total'\n"

/* Evict the conversations created longest ago, never 'id', while over
 * 'max' or 'maxb' (0: none); then refresh every TTL. */
#define EVICT_LUA                                                                         \
    "local n = redis.call('ZCARD', idx)\n"                                               \
    "local t = tonumber(redis.call('GET', total) or '0')\n"                              \
    "while n > max or (maxb > 0 and t > maxb) do\n"                                      \
    "  local first = redis.call('ZRANGE', idx, 0, 1)\n"                                  \
    "  local v = first[1]\n"                                                             \
    "  if v == id then v = first[2] end\n"                                               \
    "  if not v then break end\n"                                                        \
    "  redis.call('ZREM', idx, v)\n"                                                     \
    "  redis.call('DEL', p .. 'cv:o:' .. v, p .. 'cv:l:' .. v, p .. 'cv:i:' .. v)\n"     \
    "  t = redis.call('DECRBY', total, redis.call('HGET', size, v) or 0)\n"              \
    "  redis.call('HDEL', size, v)\n"                                                    \
    "  n = n - 1\n"                                                                      \
    "end\n"                                                                              \
    "for _, x in ipairs({o, l, i, idx, size, total, p .. 'cvx:seq'}) do\n"               \
    "  redis.call('EXPIRE', x, ttl)\n"                                                   \
    "end\n"

/* ARGV: prefix, id, object, max, max_bytes, ttl, then item id and JSON
 * pairs. */
static const char ADD[] =
    KEYS_LUA
    "local max, maxb, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local b = #ARGV[3]\n"
    "for k = 7, #ARGV, 2 do b = b + #ARGV[k + 1] end\n"
    "if maxb > 0 and b > maxb then return -2 end\n"
    "local old = redis.call('HGET', size, id)\n"
    "if old then redis.call('DECRBY', total, old) end\n"
    "redis.call('DEL', o, l, i)\n"
    "redis.call('HSET', o, 'o', ARGV[3], 't', 0)\n"
    "for k = 7, #ARGV, 2 do\n"
    "  redis.call('RPUSH', l, ARGV[k])\n"
    "  redis.call('RPUSH', i, ARGV[k + 1])\n"
    "end\n"
    "redis.call('ZADD', idx, redis.call('INCR', p .. 'cvx:seq'), id)\n"
    "redis.call('HSET', size, id, b)\n"
    "redis.call('INCRBY', total, b)\n"
    EVICT_LUA
    "return 0\n";

/* ARGV: prefix, id, turn, max, max_items, max_bytes, ttl, then item id and
 * JSON pairs. */
static const char APPEND[] =
    KEYS_LUA
    "local max, maxi, maxb = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local ttl = tonumber(ARGV[7])\n"
    "if redis.call('EXISTS', o) == 0 then return -1 end\n"
    "local more = 0\n"
    "for k = 8, #ARGV, 2 do more = more + #ARGV[k + 1] end\n"
    "local cur = tonumber(redis.call('HGET', size, id) or '0')\n"
    "if redis.call('LLEN', l) + (#ARGV - 7) / 2 > maxi or (maxb > 0 and cur + more > maxb) then\n"
    "  return -2\n"
    "end\n"
    "for k = 8, #ARGV, 2 do\n"
    "  redis.call('RPUSH', l, ARGV[k])\n"
    "  redis.call('RPUSH', i, ARGV[k + 1])\n"
    "end\n"
    "if ARGV[3] == '1' then redis.call('HINCRBY', o, 't', 1) end\n"
    "redis.call('HINCRBY', size, id, more)\n"
    "redis.call('INCRBY', total, more)\n"
    EVICT_LUA
    "return 0\n";

/* ARGV: prefix, id. {turns, {item JSON...}}, or -1. */
static const char SNAPSHOT[] =
    KEYS_LUA
    "local t = redis.call('HGET', o, 't')\n"
    "if not t then return -1 end\n"
    "return {tonumber(t), redis.call('LRANGE', i, 0, -1)}\n";

/* ARGV: prefix, id. The object's JSON, or nil. */
static const char OBJECT[] = KEYS_LUA "return redis.call('HGET', o, 'o')\n";

/* ARGV: prefix, id, expected object, new object. */
static const char SWAP[] =
    KEYS_LUA
    "local cur = redis.call('HGET', o, 'o')\n"
    "if not cur then return -1 end\n"
    "if cur ~= ARGV[3] then return -2 end\n"
    "redis.call('HSET', o, 'o', ARGV[4])\n"
    "redis.call('HINCRBY', size, id, #ARGV[4] - #cur)\n"
    "redis.call('INCRBY', total, #ARGV[4] - #cur)\n"
    "return 0\n";

/* ARGV: prefix, id. */
static const char DELETE[] =
    KEYS_LUA
    "local n = redis.call('DEL', o)\n"
    "redis.call('DEL', l, i)\n"
    "redis.call('ZREM', idx, id)\n"
    "local old = redis.call('HGET', size, id)\n"
    "if old then\n"
    "  redis.call('DECRBY', total, old)\n"
    "  redis.call('HDEL', size, id)\n"
    "end\n"
    "return n\n";

/* ARGV: prefix, id, item id; 'del' non-empty removes it. {item JSON,
 * object JSON}, or -1 / -2. A removed entry is marked with a byte that
 * valid UTF-8 (all jansson writes) never holds, then LREM'd. */
static const char ITEM[] =
    KEYS_LUA
    "if redis.call('EXISTS', o) == 0 then return -1 end\n"
    "local at\n"
    "for k, v in ipairs(redis.call('LRANGE', l, 0, -1)) do\n"
    "  if v == ARGV[3] then at = k - 1 break end\n"
    "end\n"
    "if not at then return -2 end\n"
    "local js = redis.call('LINDEX', i, at)\n"
    "if ARGV[4] ~= '' then\n"
    "  redis.call('LSET', l, at, '\\255')\n"
    "  redis.call('LREM', l, 1, '\\255')\n"
    "  redis.call('LSET', i, at, '\\255')\n"
    "  redis.call('LREM', i, 1, '\\255')\n"
    "  redis.call('HINCRBY', size, id, -#js)\n"
    "  redis.call('INCRBY', total, -#js)\n"
    "end\n"
    "return {js, redis.call('HGET', o, 'o')}\n";

/* ARGV: prefix. */
static const char TOTALS[] =
    "return {redis.call('ZCARD', ARGV[1] .. 'cvx:idx'),\n"
    "        tonumber(redis.call('GET', ARGV[1] .. 'cvx:total') or '0')}\n";

/* The arguments of one script: 'fixed' given ones, then the id and JSON
 * of each item; the JSON is owned. */
struct args {
    const char **argv;
    char **owned;
    size_t n, nitems;
};

static void args_free(struct args *a)
{
    size_t k;

    for (k = 0; a->owned && k < a->nitems; k++)
        free(a->owned[k]);
    free(a->owned);
    free(a->argv);
}

static int args_make(struct args *a, const char *const *fixed, size_t nfixed, const json_t *items)
{
    size_t k, n = json_array_size(items);
    json_t *it;

    memset(a, 0, sizeof(*a));
    a->argv = calloc(nfixed + 2 * n + 1, sizeof(*a->argv));
    a->owned = calloc(n + 1, sizeof(*a->owned));
    if (!a->argv || !a->owned)
        return args_free(a), -1;
    memcpy(a->argv, fixed, nfixed * sizeof(*fixed));
    a->n = nfixed;
    json_array_foreach(items, k, it) {
        const char *iid = json_util_str(it, "id");

        if (!(a->owned[k] = json_util_dumps(it)))
            return args_free(a), -1;
        a->nitems = k + 1;
        a->argv[a->n++] = iid ? iid : "";
        a->argv[a->n++] = a->owned[k];
    }
    return 0;
}

/* Run 'script' with 'a'; its integer reply, or UNAVAILABLE. */
static int run_int(struct redis_link *l, const char *script, struct args *a)
{
    struct redisReply *r = redis_link_eval(l, script, (int)a->n, a->argv, NULL);
    int rc = r ? (int)redis_reply_int(r) : CONVERSATION_REDIS_UNAVAILABLE;

    redis_reply_free(r);
    args_free(a);
    return rc;
}

int conversation_redis_add(struct redis_link *l, const struct conversation_redis_limits *lim,
                           const char *id, const json_t *object, const json_t *items)
{
    char m[NUM_LEN], mb[NUM_LEN], ttl[NUM_LEN], *obj = json_util_dumps(object);
    const char *fixed[5] = {id, obj, m, mb, ttl};
    struct args a;
    int rc;

    snprintf(m, sizeof(m), "%u", lim->max ? lim->max : 1);
    snprintf(mb, sizeof(mb), "%zu", lim->max_bytes);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    if (!obj || args_make(&a, fixed, 5, items) != 0)
        rc = CONVERSATION_REDIS_OOM;
    else
        rc = run_int(l, ADD, &a);
    free(obj);
    return rc;
}

int conversation_redis_append(struct redis_link *l, const struct conversation_redis_limits *lim,
                              const char *id, const json_t *items, int turn)
{
    char m[NUM_LEN], mi[NUM_LEN], mb[NUM_LEN], ttl[NUM_LEN];
    const char *fixed[6] = {id, turn ? "1" : "0", m, mi, mb, ttl};
    struct args a;

    snprintf(m, sizeof(m), "%u", lim->max ? lim->max : 1);
    snprintf(mi, sizeof(mi), "%u", lim->max_items);
    snprintf(mb, sizeof(mb), "%zu", lim->max_bytes);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    if (args_make(&a, fixed, 6, items) != 0)
        return CONVERSATION_REDIS_OOM;
    return run_int(l, APPEND, &a);
}

/* Parse string reply 'r' as JSON into '*out'. 0, or OOM (or a value that
 * does not parse: not respmock's). */
static int parse(const struct redisReply *r, json_t **out)
{
    size_t len = 0;
    const char *s = redis_reply_str(r, &len);

    *out = s ? json_util_loadb(s, len, "redis", NULL) : NULL;
    return *out ? 0 : CONVERSATION_REDIS_OOM;
}

int conversation_redis_snapshot(struct redis_link *l, const char *id, json_t **items,
                                int *turns)
{
    struct redisReply *r = redis_link_eval(l, SNAPSHOT, 1, &id, NULL);
    const struct redisReply *list;
    size_t k, n;
    int rc = 0;

    *items = NULL;
    if (!r)
        return CONVERSATION_REDIS_UNAVAILABLE;
    if (redis_reply_count(r) < 2) {
        redis_reply_free(r);
        return -1;
    }
    *turns = (int)redis_reply_int(redis_reply_elem(r, 0));
    list = redis_reply_elem(r, 1);
    n = redis_reply_count(list);
    *items = json_array();
    for (k = 0; rc == 0 && *items && k < n; k++) {
        json_t *it;

        rc = parse(redis_reply_elem(list, k), &it);
        if (rc == 0 && json_array_append_new(*items, it) != 0)
            rc = CONVERSATION_REDIS_OOM;
    }
    redis_reply_free(r);
    if (rc != 0 || !*items) {
        json_decref(*items);
        *items = NULL;
        return CONVERSATION_REDIS_OOM;
    }
    return 0;
}

/* The object's JSON of 'id' (malloc'd, into '*raw') and the object. */
static int object_raw(struct redis_link *l, const char *id, char **raw, json_t **object)
{
    struct redisReply *r = redis_link_eval(l, OBJECT, 1, &id, NULL);
    size_t len = 0;
    const char *s;
    int rc;

    *object = NULL;
    if (raw)
        *raw = NULL;
    if (!r)
        return CONVERSATION_REDIS_UNAVAILABLE;
    s = redis_reply_str(r, &len);
    rc = s ? parse(r, object) : -1;
    if (rc == 0 && raw && (*raw = malloc(len + 1)))
        memcpy(*raw, s, len), (*raw)[len] = '\0';
    else if (rc == 0 && raw) {
        json_decref(*object);
        *object = NULL;
        rc = CONVERSATION_REDIS_OOM;
    }
    redis_reply_free(r);
    return rc;
}

int conversation_redis_object(struct redis_link *l, const char *id, json_t **object)
{
    return object_raw(l, id, NULL, object);
}

int conversation_redis_set_metadata(struct redis_link *l, const char *id,
                                    conversation_redis_rebuild_fn rebuild,
                                    const json_t *metadata, json_t **object)
{
    int tries, rc = CONVERSATION_REDIS_UNAVAILABLE;

    *object = NULL;
    for (tries = 0; tries < SWAP_TRIES; tries++) {
        char *raw, *fresh_s = NULL;
        json_t *old, *fresh = NULL;
        struct args a;

        rc = object_raw(l, id, &raw, &old);
        if (rc == 0) {
            fresh = rebuild(old, metadata);
            fresh_s = fresh ? json_util_dumps(fresh) : NULL;
            rc = CONVERSATION_REDIS_OOM;
            if (fresh_s) {
                const char *fixed[3] = {id, raw, fresh_s};

                rc = args_make(&a, fixed, 3, NULL) == 0 ? run_int(l, SWAP, &a)
                                                        : CONVERSATION_REDIS_OOM;
            }
        }
        free(raw);
        free(fresh_s);
        json_decref(old);
        if (rc == 0) {
            *object = fresh;
            return 0;
        }
        json_decref(fresh);
        if (rc != -2)
            return rc;
    }
    return CONVERSATION_REDIS_UNAVAILABLE; /* lost every race: busy, say retry */
}

int conversation_redis_delete(struct redis_link *l, const char *id)
{
    struct redisReply *r = redis_link_eval(l, DELETE, 1, &id, NULL);
    int rc;

    if (!r)
        return CONVERSATION_REDIS_UNAVAILABLE;
    rc = redis_reply_int(r) == 1 ? 0 : -1;
    redis_reply_free(r);
    return rc;
}

/* Item 'item_id' of 'id', removed when 'del'; element 'want' of the reply
 * (0: the item, 1: the object) into '*out'. */
static int item(struct redis_link *l, const char *id, const char *item_id, int del, size_t want,
                json_t **out)
{
    const char *argv[3] = {id, item_id, del ? "1" : ""};
    struct redisReply *r = redis_link_eval(l, ITEM, 3, argv, NULL);
    int rc;

    *out = NULL;
    if (!r)
        return CONVERSATION_REDIS_UNAVAILABLE;
    if (redis_reply_count(r) < 2)
        rc = (int)redis_reply_int(r);
    else
        rc = parse(redis_reply_elem(r, want), out);
    redis_reply_free(r);
    return rc;
}

int conversation_redis_item_get(struct redis_link *l, const char *id, const char *item_id,
                                json_t **out)
{
    return item(l, id, item_id, 0, 0, out);
}

int conversation_redis_item_delete(struct redis_link *l, const char *id, const char *item_id,
                                   json_t **object)
{
    return item(l, id, item_id, 1, 1, object);
}

int conversation_redis_clear(struct redis_link *l)
{
    return redis_link_delete_prefix(l, "cv") == 0 ? 0 : CONVERSATION_REDIS_UNAVAILABLE;
}

int conversation_redis_totals(struct redis_link *l, size_t *count, size_t *bytes)
{
    return redis_link_eval_pair(l, TOTALS, count, bytes) == 0 ? 0
                                                               : CONVERSATION_REDIS_UNAVAILABLE;
}
