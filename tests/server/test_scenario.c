/* Unit tests for server/scenario.c: answer counts per scenario key and
 * fixture, limits, named states (started until moved), clearing, the JSON
 * view, forgetting the oldest key past RM_MAX_SCENARIOS, and racing takes
 * that each get their own count; the same tests against the Redis backend
 * (scenarios_share) with a redis-server of the test's own ("redis"). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "server_harness.h"
#include "scenario.h"
#include "test_support.h"

/* An empty table of the backend under test. */
static struct scenarios *new_scenarios(void)
{
    struct scenarios *sc = scenarios_new();

    if (sc && harness_redis) {
        scenarios_share(sc, harness_redis);
        ck_assert_int_eq(scenarios_clear(sc), 0);
    }
    return sc;
}

START_TEST(counts_limits_and_states)
{
    struct scenarios *sc = new_scenarios();
    char state[64];
    json_t *j;

    ck_assert_int_eq(scenarios_take(sc, "", "f", 0), 0);
    ck_assert_int_eq(scenarios_take(sc, "", "f", 0), 1);
    ck_assert_int_eq(scenarios_take(sc, "k", "f", 0), 0); /* another key counts apart */
    ck_assert_int_eq(scenarios_take(sc, "", "g", 2), 0);
    ck_assert_int_eq(scenarios_take(sc, "", "g", 2), 1);
    ck_assert_int_eq(scenarios_take(sc, "", "g", 2), -1); /* its times are used up */
    ck_assert_uint_eq(scenarios_uses(sc, "", "g"), 2);
    ck_assert_uint_eq(scenarios_uses(sc, "", "f"), 2);
    ck_assert_uint_eq(scenarios_uses(sc, "none", "f"), 0);
    scenarios_state(sc, "k", state, sizeof(state));
    ck_assert_str_eq(state, RM_SCENARIO_START);
    scenarios_set_state(sc, "k", "paid");
    scenarios_state(sc, "k", state, sizeof(state));
    ck_assert_str_eq(state, "paid");
    scenarios_state(sc, "", state, sizeof(state));
    ck_assert_str_eq(state, RM_SCENARIO_START);
    j = scenarios_json(sc);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "k"), "state")), "paid");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(json_object_get(j, ""), "uses"), "g")),
                     2);
    json_decref(j);
    scenarios_clear(sc);
    ck_assert_uint_eq(scenarios_uses(sc, "", "f"), 0);
    scenarios_state(sc, "k", state, sizeof(state));
    ck_assert_str_eq(state, RM_SCENARIO_START);
    scenarios_free(sc);
}
END_TEST

START_TEST(oldest_key_forgotten_when_full)
{
    struct scenarios *sc = new_scenarios();
    char key[32];
    int i;

    for (i = 0; i <= RM_MAX_SCENARIOS; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        scenarios_take(sc, key, "f", 0);
    }
    ck_assert_uint_eq(scenarios_uses(sc, "k0", "f"), 0); /* forgotten */
    ck_assert_uint_eq(scenarios_uses(sc, "k1", "f"), 1);
    snprintf(key, sizeof(key), "k%d", RM_MAX_SCENARIOS);
    ck_assert_uint_eq(scenarios_uses(sc, key, "f"), 1);
    scenarios_free(sc);
}
END_TEST

#define TAKERS 4
#define TAKES 500

static struct scenarios *shared;

static void *taker(void *arg)
{
    long *got = arg;
    int i;

    for (i = 0; i < TAKES; i++)
        got[i] = scenarios_take(shared, "race", "f", 0);
    return NULL;
}

START_TEST(racing_takes_get_distinct_counts)
{
    static long got[TAKERS][TAKES];
    static char seen[TAKERS * TAKES];
    pthread_t t[TAKERS];
    int i, j;

    shared = new_scenarios();
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < TAKERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, taker, got[i]), 0);
    for (i = 0; i < TAKERS; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < TAKERS; i++)
        for (j = 0; j < TAKES; j++) {
            ck_assert(got[i][j] >= 0 && got[i][j] < TAKERS * TAKES);
            ck_assert_msg(!seen[got[i][j]], "count %ld handed out twice", got[i][j]);
            seen[got[i][j]] = 1;
        }
    ck_assert_uint_eq(scenarios_uses(shared, "race", "f"), TAKERS * TAKES);
    scenarios_free(shared);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("scenario");

    add_tcase(s, tcase_create("table"), 30, NULL, NULL, counts_limits_and_states,
              oldest_key_forgotten_when_full, racing_takes_get_distinct_counts);
    add_tcase(s, tcase_create("redis"), 60, harness_redis_setup, harness_redis_teardown,
              counts_limits_and_states, oldest_key_forgotten_when_full,
              racing_takes_get_distinct_counts);
    return s;
}
