/* scenario: answer counts and named states per scenario (see scenario.h).
 * In memory a JSON table under one mutex; shared, one Lua script per call
 * on Redis (redis_link). */
#include "scenario.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "limits.h"
#include "redis_link.h"

#define NUM_LEN 24 /* a decimal 64-bit number and its NUL */
#define SHARED_FAIL (-2)

struct scenarios {
    pthread_mutex_t lock;
    json_t *table; /* key -> {"state": S, "uses": {name: n}}, oldest first */
    struct redis_link *shared; /* NULL: the table above */
};

/* ---- Shared: the scripts ------------------------------------------------ */

/* Every script's ARGV: prefix, key, RM_MAX_SCENARIOS, TTL, then its own.
 * 'touch' makes the key's entry known to the index (forgetting the oldest
 * past the limit) and renews its TTL. */
#define SCRIPT_HEAD                                                                               \
    "local p, key = ARGV[1], ARGV[2]\n"                                                           \
    "local k, idx = p .. 'sc:' .. key, p .. 'scx:idx'\n"                                          \
    "local function touch()\n"                                                                    \
    "  if not redis.call('ZSCORE', idx, key) then\n"                                              \
    "    redis.call('ZADD', idx, redis.call('INCR', p .. 'scx:seq'), key)\n"                      \
    "    while redis.call('ZCARD', idx) > tonumber(ARGV[3]) do\n"                                 \
    "      local o = redis.call('ZRANGE', idx, 0, 0)[1]\n"                                        \
    "      redis.call('ZREM', idx, o)\n"                                                          \
    "      redis.call('DEL', p .. 'sc:' .. o)\n"                                                  \
    "    end\n"                                                                                   \
    "  end\n"                                                                                     \
    "  redis.call('EXPIRE', idx, ARGV[4])\n"                                                      \
    "  redis.call('EXPIRE', p .. 'scx:seq', ARGV[4])\n"                                           \
    "end\n"

/* ARGV[5]: the field "u:NAME", ARGV[6]: the limit (0: none). */
static const char TAKE[] = SCRIPT_HEAD
    "touch()\n"
    "local n = tonumber(redis.call('HGET', k, ARGV[5]) or '0')\n"
    "local limit = tonumber(ARGV[6])\n"
    "if limit > 0 and n >= limit then return -1 end\n"
    "redis.call('HINCRBY', k, ARGV[5], 1)\n"
    "redis.call('EXPIRE', k, ARGV[4])\n"
    "return n\n";

/* ARGV[5]: the state. */
static const char SET_STATE[] = SCRIPT_HEAD
    "touch()\n"
    "redis.call('HSET', k, 'state', ARGV[5])\n"
    "redis.call('EXPIRE', k, ARGV[4])\n"
    "return 0\n";

/* ARGV[5]: the field ("state" or "u:NAME"). */
static const char READ[] = SCRIPT_HEAD "return redis.call('HGET', k, ARGV[5])\n";

/* Every key's fields, oldest key first: {key, {f, v, ...}, ...}. */
static const char ALL[] = SCRIPT_HEAD
    "local out = {}\n"
    "for _, s in ipairs(redis.call('ZRANGE', idx, 0, -1)) do\n"
    "  out[#out + 1] = s\n"
    "  out[#out + 1] = redis.call('HGETALL', p .. 'sc:' .. s)\n"
    "end\n"
    "return out\n";

/* Run 'script' for 'key' with 'extra' arguments (at most 2). */
static struct redisReply *shared_eval(struct scenarios *sc, const char *script, const char *key,
                                      int nextra, const char *a, const char *b)
{
    char max[NUM_LEN], ttl[NUM_LEN];
    const char *argv[5] = {key, max, ttl, a, b};

    snprintf(max, sizeof(max), "%d", RM_MAX_SCENARIOS);
    snprintf(ttl, sizeof(ttl), "%d", RM_REDIS_TTL_S);
    return redis_link_eval(sc->shared, script, 3 + nextra, argv, NULL);
}

/* The field of a fixture's count. */
static void uses_field(char *out, size_t n, const char *name)
{
    snprintf(out, n, "u:%s", name);
}

/* ---- Both ---------------------------------------------------------------- */

struct scenarios *scenarios_new(void)
{
    struct scenarios *sc = calloc(1, sizeof(*sc));

    if (!sc || !(sc->table = json_object())) {
        free(sc);
        return NULL;
    }
    pthread_mutex_init(&sc->lock, NULL);
    return sc;
}

void scenarios_share(struct scenarios *sc, struct redis_link *link)
{
    sc->shared = link;
}

void scenarios_free(struct scenarios *sc)
{
    if (!sc)
        return;
    json_decref(sc->table);
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}

int scenarios_clear(struct scenarios *sc)
{
    if (sc->shared)
        return redis_link_delete_prefix(sc->shared, "sc") == 0 ? 0 : SHARED_FAIL;
    pthread_mutex_lock(&sc->lock);
    json_object_clear(sc->table);
    pthread_mutex_unlock(&sc->lock);
    return 0;
}

/* The entry of 'key', made when missing (the oldest is forgotten when the
 * table is full). Caller holds the lock. Borrowed; NULL on OOM. */
static json_t *entry(struct scenarios *sc, const char *key)
{
    json_t *e = json_object_get(sc->table, key);

    if (e)
        return e;
    if (json_object_size(sc->table) >= RM_MAX_SCENARIOS) {
        void *it = json_object_iter(sc->table);
        if (it)
            json_object_del(sc->table, json_object_iter_key(it));
    }
    e = json_pack("{s:s, s:{}}", "state", RM_SCENARIO_START, "uses");
    if (!e || json_object_set_new(sc->table, key, e) != 0)
        return NULL;
    return e;
}

int scenarios_state(struct scenarios *sc, const char *key, char *out, size_t n)
{
    const char *s;

    if (sc->shared) {
        struct redisReply *r = shared_eval(sc, READ, key, 1, "state", NULL);
        size_t len = 0;
        if (!r)
            return SHARED_FAIL;
        s = redis_reply_str(r, &len);
        snprintf(out, n, "%.*s", s ? (int)len : (int)strlen(RM_SCENARIO_START),
                 s ? s : RM_SCENARIO_START);
        redis_reply_free(r);
        return 0;
    }
    pthread_mutex_lock(&sc->lock);
    s = json_util_str(json_object_get(sc->table, key), "state");
    snprintf(out, n, "%s", s ? s : RM_SCENARIO_START);
    pthread_mutex_unlock(&sc->lock);
    return 0;
}

int scenarios_set_state(struct scenarios *sc, const char *key, const char *state)
{
    json_t *e;

    if (sc->shared) {
        struct redisReply *r = shared_eval(sc, SET_STATE, key, 1, state, NULL);
        redis_reply_free(r);
        return r ? 0 : SHARED_FAIL;
    }
    pthread_mutex_lock(&sc->lock);
    if ((e = entry(sc, key)))
        json_object_set_new(e, "state", json_string(state));
    pthread_mutex_unlock(&sc->lock);
    return 0;
}

long scenarios_uses(struct scenarios *sc, const char *key, const char *name)
{
    json_t *n;
    long v;

    if (sc->shared) {
        char field[RM_MAX_FIXTURE_NAME + 3];
        struct redisReply *r;

        uses_field(field, sizeof(field), name);
        if (!(r = shared_eval(sc, READ, key, 1, field, NULL)))
            return SHARED_FAIL;
        v = (long)redis_reply_int(r);
        redis_reply_free(r);
        return v;
    }
    pthread_mutex_lock(&sc->lock);
    n = json_object_get(json_object_get(json_object_get(sc->table, key), "uses"), name);
    v = n ? (long)json_integer_value(n) : 0;
    pthread_mutex_unlock(&sc->lock);
    return v;
}

long scenarios_take(struct scenarios *sc, const char *key, const char *name, unsigned long limit)
{
    json_t *e, *uses;
    long before = -1;

    if (sc->shared) {
        char field[RM_MAX_FIXTURE_NAME + 3], lim[NUM_LEN];
        struct redisReply *r;

        uses_field(field, sizeof(field), name);
        snprintf(lim, sizeof(lim), "%lu", limit);
        if (!(r = shared_eval(sc, TAKE, key, 2, field, lim)))
            return SHARED_FAIL;
        before = (long)redis_reply_int(r);
        redis_reply_free(r);
        return before < 0 ? -1 : before;
    }
    pthread_mutex_lock(&sc->lock);
    if ((e = entry(sc, key)) && (uses = json_object_get(e, "uses"))) {
        json_int_t n = json_integer_value(json_object_get(uses, name));
        if (!limit || (unsigned long)n < limit) {
            json_object_set_new(uses, name, json_integer(n + 1));
            before = (long)n;
        }
    }
    pthread_mutex_unlock(&sc->lock);
    return before;
}

/* The shared table as scenarios_json shows it. NULL when unreachable. */
static json_t *shared_json(struct scenarios *sc)
{
    struct redisReply *r = shared_eval(sc, ALL, "", 0, NULL, NULL);
    json_t *all;
    size_t i, j;

    if (!r || !(all = json_object())) {
        redis_reply_free(r);
        return NULL;
    }
    for (i = 0; i + 1 < redis_reply_count(r); i += 2) {
        const struct redisReply *f = redis_reply_elem(r, i + 1);
        const char *key = redis_reply_str(redis_reply_elem(r, i), NULL);
        json_t *e = json_pack("{s:s, s:{}}", "state", RM_SCENARIO_START, "uses");

        for (j = 0; e && j + 1 < redis_reply_count(f); j += 2) {
            const char *name = redis_reply_str(redis_reply_elem(f, j), NULL);
            const struct redisReply *v = redis_reply_elem(f, j + 1);
            if (name && strcmp(name, "state") == 0)
                json_object_set_new(e, "state", json_string(redis_reply_str(v, NULL)));
            else if (name && strncmp(name, "u:", 2) == 0)
                json_object_set_new(json_object_get(e, "uses"), name + 2,
                                    json_integer(redis_reply_int(v)));
        }
        if (key && e)
            json_object_set_new(all, key, e);
        else
            json_decref(e);
    }
    redis_reply_free(r);
    return all;
}

json_t *scenarios_json(struct scenarios *sc)
{
    json_t *copy;

    if (sc->shared)
        return shared_json(sc);
    pthread_mutex_lock(&sc->lock);
    copy = json_deep_copy(sc->table);
    pthread_mutex_unlock(&sc->lock);
    return copy;
}
