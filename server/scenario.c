/* scenario: answer counts and named states per scenario (see scenario.h). */
#include "scenario.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "limits.h"

struct scenarios {
    pthread_mutex_t lock;
    json_t *table; /* key -> {"state": S, "uses": {name: n}}, oldest first */
};

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

void scenarios_free(struct scenarios *sc)
{
    if (!sc)
        return;
    json_decref(sc->table);
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}

void scenarios_clear(struct scenarios *sc)
{
    pthread_mutex_lock(&sc->lock);
    json_object_clear(sc->table);
    pthread_mutex_unlock(&sc->lock);
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

void scenarios_state(struct scenarios *sc, const char *key, char *out, size_t n)
{
    const char *s;

    pthread_mutex_lock(&sc->lock);
    s = json_util_str(json_object_get(sc->table, key), "state");
    snprintf(out, n, "%s", s ? s : RM_SCENARIO_START);
    pthread_mutex_unlock(&sc->lock);
}

void scenarios_set_state(struct scenarios *sc, const char *key, const char *state)
{
    json_t *e;

    pthread_mutex_lock(&sc->lock);
    if ((e = entry(sc, key)))
        json_object_set_new(e, "state", json_string(state));
    pthread_mutex_unlock(&sc->lock);
}

unsigned long scenarios_uses(struct scenarios *sc, const char *key, const char *name)
{
    json_t *n;

    pthread_mutex_lock(&sc->lock);
    n = json_object_get(json_object_get(json_object_get(sc->table, key), "uses"), name);
    pthread_mutex_unlock(&sc->lock);
    return n ? (unsigned long)json_integer_value(n) : 0;
}

long scenarios_take(struct scenarios *sc, const char *key, const char *name, unsigned long limit)
{
    json_t *e, *uses;
    long before = -1;

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

json_t *scenarios_json(struct scenarios *sc)
{
    json_t *copy;

    pthread_mutex_lock(&sc->lock);
    copy = json_deep_copy(sc->table);
    pthread_mutex_unlock(&sc->lock);
    return copy;
}
