/* scenario: the state that makes a fixture answer differently over time:
 * how often each fixture answered (for "times" and "sequence") and the
 * named state of each scenario (for "state" / "next_state").
 *
 * A scenario is named by the x-respmock-scenario request header, so that
 * tests running in parallel do not step each other's sequences; requests
 * without it share the default scenario "". At most RM_MAX_SCENARIOS are
 * kept (the oldest is forgotten first). One mutex guards the table; it is
 * taken only for fixtures that use these keys.
 *
 * Shared (scenarios_share, --state): the table lives in Redis instead,
 * RM_REDIS_PREFIX "sc:KEY" a hash {state, "u:NAME": count} and "scx:idx"
 * the bounded index (RM_MAX_SCENARIOS for the cluster); every change is one
 * Lua script, so a sequence steps exactly once per request across all
 * replicas. Calls then fail with -2 (or NULL) when Redis cannot be
 * reached. */
#ifndef RM_SCENARIO_H
#define RM_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

struct scenarios;
struct redis_link;

/* An empty table. NULL on OOM. */
struct scenarios *scenarios_new(void);

/* Keep the table in the Redis of 'link' (borrowed) from now on. */
void scenarios_share(struct scenarios *sc, struct redis_link *link);

/* Free it. Accepts NULL. */
void scenarios_free(struct scenarios *sc);

/* Forget every scenario (counts and states). Returns 0 or -2. */
int scenarios_clear(struct scenarios *sc);

/* The state of scenario 'key' into 'out' ('n' bytes): RM_SCENARIO_START
 * until a fixture moves it. Returns 0 or -2. */
int scenarios_state(struct scenarios *sc, const char *key, char *out, size_t n);

/* Move scenario 'key' to 'state'. Returns 0 or -2. */
int scenarios_set_state(struct scenarios *sc, const char *key, const char *state);

/* How often fixture 'name' answered in scenario 'key', or -2. */
long scenarios_uses(struct scenarios *sc, const char *key, const char *name);

/* Count one more answer of 'name' in 'key', unless it already answered
 * 'limit' times (0: no limit). Returns the count before this answer (the
 * step of a sequence), -1 when the limit was reached, -2 when shared and
 * Redis cannot be reached. Two racing calls (of any replicas) always get
 * different counts. */
long scenarios_take(struct scenarios *sc, const char *key, const char *name, unsigned long limit);

/* Everything, as {"KEY":{"state":S,"uses":{"NAME":N}}} (new reference;
 * NULL when shared and Redis cannot be reached, or on OOM). */
json_t *scenarios_json(struct scenarios *sc);

#endif
