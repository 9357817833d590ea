/* scenario: the state that makes a fixture answer differently over time:
 * how often each fixture answered (for "times" and "sequence") and the
 * named state of each scenario (for "state" / "next_state").
 *
 * A scenario is named by the x-respmock-scenario request header, so that
 * tests running in parallel do not step each other's sequences; requests
 * without it share the default scenario "". At most RM_MAX_SCENARIOS are
 * kept (the oldest is forgotten first). One mutex guards the table; it is
 * taken only for fixtures that use these keys. */
#ifndef RM_SCENARIO_H
#define RM_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

struct scenarios;

/* An empty table. NULL on OOM. */
struct scenarios *scenarios_new(void);

/* Free it. Accepts NULL. */
void scenarios_free(struct scenarios *sc);

/* Forget every scenario (counts and states). */
void scenarios_clear(struct scenarios *sc);

/* The state of scenario 'key' into 'out' ('n' bytes): RM_SCENARIO_START
 * until a fixture moves it. */
void scenarios_state(struct scenarios *sc, const char *key, char *out, size_t n);

/* Move scenario 'key' to 'state'. */
void scenarios_set_state(struct scenarios *sc, const char *key, const char *state);

/* How often fixture 'name' answered in scenario 'key'. */
unsigned long scenarios_uses(struct scenarios *sc, const char *key, const char *name);

/* Count one more answer of 'name' in 'key', unless it already answered
 * 'limit' times (0: no limit). Returns the count before this answer (the
 * step of a sequence), or -1 when the limit was reached. Two racing calls
 * always get different counts. */
long scenarios_take(struct scenarios *sc, const char *key, const char *name, unsigned long limit);

/* Everything, as {"KEY":{"state":S,"uses":{"NAME":N}}} (new reference). */
json_t *scenarios_json(struct scenarios *sc);

#endif
