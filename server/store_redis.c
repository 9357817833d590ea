/* store_redis: stored responses in Redis, one Lua script per change (see
 * store_redis.h). */
#include "store_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "redis_link.h"

#define NUM_LEN 24 /* a decimal 64-bit number and its NUL */

/* ARGV: prefix, id, bytes, size, max, max_bytes, ttl. */
static const char PUT[] =
    "local p, id = ARGV[1], ARGV[2]\n"
    "local idx, size, total = p .. 'rx:idx', p .. 'rx:size', p .. 'rx:total'\n"
    "local max, maxb, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local old = redis.call('HGET', size, id)\n"
    "if old then redis.call('DECRBY', total, old) end\n"
    "local v = redis.call('INCR', p .. 'rx:ver')\n"
    "local k = p .. 'r:' .. id\n"
    "redis.call('DEL', k)\n"
    "redis.call('HSET', k, 'v', v, 'd', ARGV[3])\n"
    "redis.call('EXPIRE', k, ttl)\n"
    "redis.call('ZADD', idx, redis.call('INCR', p .. 'rx:seq'), id)\n"
    "redis.call('HSET', size, id, ARGV[4])\n"
    "local t = redis.call('INCRBY', total, ARGV[4])\n"
    "local n = redis.call('ZCARD', idx)\n"
    "while n > max or (maxb > 0 and n > 1 and t > maxb) do\n"
    "  local o = redis.call('ZRANGE', idx, 0, 0)[1]\n"
    "  redis.call('ZREM', idx, o)\n"
    "  redis.call('DEL', p .. 'r:' .. o)\n"
    "  t = redis.call('DECRBY', total, redis.call('HGET', size, o) or 0)\n"
    "  redis.call('HDEL', size, o)\n"
    "  n = n - 1\n"
    "end\n"
    "for _, x in ipairs({idx, size, total, p .. 'rx:ver', p .. 'rx:seq'}) do\n"
    "  redis.call('EXPIRE', x, ttl)\n"
    "end\n"
    "return v\n";

/* ARGV: prefix, id. */
static const char GET[] = "return redis.call('HMGET', ARGV[1] .. 'r:' .. ARGV[2], 'v', 'd')\n";

/* ARGV: prefix, id, expect, bytes, size. */
static const char SETTLE[] =
    "local p, id = ARGV[1], ARGV[2]\n"
    "local k = p .. 'r:' .. id\n"
    "local cur = redis.call('HGET', k, 'v')\n"
    "if not cur then return -1 end\n"
    "if cur ~= ARGV[3] then return -2 end\n"
    "redis.call('HSET', k, 'v', redis.call('INCR', p .. 'rx:ver'), 'd', ARGV[4])\n"
    "local old = redis.call('HGET', p .. 'rx:size', id)\n"
    "if old then redis.call('DECRBY', p .. 'rx:total', old) end\n"
    "redis.call('HSET', p .. 'rx:size', id, ARGV[5])\n"
    "redis.call('INCRBY', p .. 'rx:total', ARGV[5])\n"
    "return 0\n";

/* ARGV: prefix, id. */
static const char DELETE[] =
    "local p, id = ARGV[1], ARGV[2]\n"
    "local n = redis.call('DEL', p .. 'r:' .. id)\n"
    "redis.call('ZREM', p .. 'rx:idx', id)\n"
    "local old = redis.call('HGET', p .. 'rx:size', id)\n"
    "if old then\n"
    "  redis.call('DECRBY', p .. 'rx:total', old)\n"
    "  redis.call('HDEL', p .. 'rx:size', id)\n"
    "end\n"
    "return n\n";

/* ARGV: prefix. */
static const char TOTALS[] =
    "return {redis.call('ZCARD', ARGV[1] .. 'rx:idx'),\n"
    "        tonumber(redis.call('GET', ARGV[1] .. 'rx:total') or '0')}\n";

int store_redis_put(struct redis_link *l, const char *id, const char *blob, size_t len,
                    size_t bytes, unsigned max, size_t max_bytes, uint64_t *version)
{
    char b[NUM_LEN], m[NUM_LEN], mb[NUM_LEN], ttl[NUM_LEN];
    const char *argv[6] = {id, blob, b, m, mb, ttl};
    size_t lens[6];
    struct redisReply *r;
    int i;

    snprintf(b, sizeof(b), "%zu", bytes);
    snprintf(m, sizeof(m), "%u", max ? max : 1);
    snprintf(mb, sizeof(mb), "%zu", max_bytes);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    for (i = 0; i < 6; i++)
        lens[i] = i == 1 ? len : strlen(argv[i]);
    if (!(r = redis_link_eval(l, PUT, 6, argv, lens)))
        return STORE_REDIS_UNAVAILABLE;
    *version = (uint64_t)redis_reply_int(r);
    redis_reply_free(r);
    return 0;
}

int store_redis_get(struct redis_link *l, const char *id, char **blob, size_t *len,
                    uint64_t *version)
{
    struct redisReply *r = redis_link_eval(l, GET, 1, &id, NULL);
    const char *d;
    int rc = -1;

    *blob = NULL;
    *len = 0;
    if (!r)
        return STORE_REDIS_UNAVAILABLE;
    d = redis_reply_str(redis_reply_elem(r, 1), len);
    if (d && (*blob = malloc(*len ? *len : 1))) {
        memcpy(*blob, d, *len);
        *version = (uint64_t)redis_reply_int(redis_reply_elem(r, 0));
        rc = 0;
    }
    redis_reply_free(r);
    return rc;
}

int store_redis_settle(struct redis_link *l, const char *id, uint64_t expect, const char *blob,
                       size_t len, size_t bytes)
{
    char e[NUM_LEN], b[NUM_LEN];
    const char *argv[4] = {id, e, blob, b};
    size_t lens[4];
    struct redisReply *r;
    int rc;

    snprintf(e, sizeof(e), "%llu", (unsigned long long)expect);
    snprintf(b, sizeof(b), "%zu", bytes);
    lens[0] = strlen(id);
    lens[1] = strlen(e);
    lens[2] = len;
    lens[3] = strlen(b);
    if (!(r = redis_link_eval(l, SETTLE, 4, argv, lens)))
        return STORE_REDIS_UNAVAILABLE;
    rc = (int)redis_reply_int(r);
    redis_reply_free(r);
    return rc;
}

int store_redis_delete(struct redis_link *l, const char *id)
{
    struct redisReply *r = redis_link_eval(l, DELETE, 1, &id, NULL);
    int rc;

    if (!r)
        return STORE_REDIS_UNAVAILABLE;
    rc = redis_reply_int(r) == 1 ? 0 : -1;
    redis_reply_free(r);
    return rc;
}

int store_redis_clear(struct redis_link *l)
{
    return redis_link_delete_prefix(l, "r") == 0 ? 0 : STORE_REDIS_UNAVAILABLE;
}

int store_redis_totals(struct redis_link *l, size_t *count, size_t *bytes)
{
    return redis_link_eval_pair(l, TOTALS, count, bytes) == 0 ? 0 : STORE_REDIS_UNAVAILABLE;
}
