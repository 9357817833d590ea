/* Integration tests of --state: three respmock replicas sharing one
 * redis-server of the test's own, driven round-robin. A tool loop chained
 * across replicas; retrieve, input_items and delete from other replicas;
 * the --max-stored limit held by the cluster; /__admin/reset resetting the
 * cluster and only respmock's keys; a sequence stepping exactly once per
 * request across replicas (in turn and racing), a scenario state moved on
 * one replica and seen on the next; the journal seeing every replica's
 * requests (a stream's entry finished when it ends); a background response
 * cancelled on one replica cancelled for all, and one completing on the
 * others' clocks; a conversation made on one replica, given items on the
 * next, extended by a response on the third and read back on the first
 * (metadata, items got and deleted, delete and reset seen by all), the
 * --max-conversations limit held by the cluster; Redis killed and
 * restarted mid-run
 * (503 in the error envelope for what needs state, stateless requests
 * still answered, service back by itself); a Redis that is not there at
 * start-up. Each test starts and stops its own Redis and replicas (stopped
 * by PID, a clean exit asserted, so the sanitizer build proves no leak).
 * Without redis-server on PATH the tests say so and pass untested. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "redis_harness.h"
#include "spawn.h"
#include "test_support.h"

#define REPLICAS 3
#define MAX_STORED "5"
#define MAX_CONVERSATIONS "3"
#define RECOVER_MS 5000 /* a replica serves again this soon after Redis is back */

static struct test_redis redis;
static struct test_server rep[REPLICAS];
static int skip;
static char fixtures[64];

/* The shipped weather and default fixtures, and a sequence and states. */
static const char SCENARIOS[] =
    "[{\"name\": \"flaky\", \"match\": {\"model\": \"flaky-model\"},"
    "  \"sequence_end\": \"cycle\","
    "  \"sequence\": ["
    "    {\"error\": {\"status\": 429, \"type\": \"requests\", \"code\": \"rate_limit_exceeded\","
    "               \"message\": \"Slow down.\"}},"
    "    {\"error\": {\"status\": 429, \"type\": \"requests\", \"code\": \"rate_limit_exceeded\","
    "               \"message\": \"Slow down.\"}},"
    "    {\"response\": {\"output\": [{\"type\": \"message\", \"text\": \"Third time.\"}]}}]},"
    " {\"name\": \"login\", \"match\": {\"prompt_contains\": \"log in\", \"state\": \"started\"},"
    "  \"next_state\": \"logged-in\","
    "  \"response\": {\"output\": [{\"type\": \"message\", \"text\": \"Logged in.\"}]}},"
    " {\"name\": \"order\", \"match\": {\"prompt_contains\": \"order\", \"state\": \"logged-in\"},"
    "  \"response\": {\"output\": [{\"type\": \"message\", \"text\": \"Order placed.\"}]}},"
    " {\"name\": \"bg-long\", \"match\": {\"model\": \"bg-long\"},"
    "  \"response\": {\"background_ms\": 60000,"
    "               \"output\": [{\"type\": \"message\", \"text\": \"Slow.\"}]}},"
    " {\"name\": \"bg-quick\", \"match\": {\"model\": \"bg-quick\"},"
    "  \"response\": {\"background_ms\": 300,"
    "               \"output\": [{\"type\": \"message\", \"text\": \"Quick.\"}]}}]";

static void copy_fixture(const char *name)
{
    char from[512], to[128], *text;

    snprintf(from, sizeof(from), "%s/fixtures/%s", RM_SOURCE_DIR, name);
    snprintf(to, sizeof(to), "%s/%s", fixtures, name);
    ck_assert_ptr_nonnull(text = slurp(from));
    write_file(to, text);
    free(text);
}

static void fixtures_write(void)
{
    char path[128];

    snprintf(fixtures, sizeof(fixtures), "/tmp/rm-replicas-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fixtures));
    copy_fixture("20-weather.json");
    copy_fixture("99-default.json");
    snprintf(path, sizeof(path), "%s/05-scenarios.json", fixtures);
    write_file(path, SCENARIOS);
}

static void fixtures_remove(void)
{
    char cmd[128];

    if (!fixtures[0])
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixtures);
    ck_assert_int_eq(system(cmd), 0);
    fixtures[0] = '\0';
}

static const char TOOLS[] =
    "[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{\"location\":{\"type\":\"string\"}}}}]";

static void replicas_start(void)
{
    const char *extra[] = {"--state", redis.url, "--max-stored", MAX_STORED,
                           "--max-conversations", MAX_CONVERSATIONS, NULL};
    struct test_server_opts o = {.fixtures = fixtures, .speed = "1", .extra = extra};
    int i;

    for (i = 0; i < REPLICAS; i++)
        ck_assert_int_eq(test_server_start_opts(&rep[i], &o), 0);
}

static void setup(void)
{
    memset(rep, 0, sizeof(rep));
    memset(&redis, 0, sizeof(redis));
    skip = !test_redis_available();
    if (skip) {
        fprintf(stderr, "test_replicas: redis-server not found (scripts/deps installs it); "
                        "not tested\n");
        return;
    }
    fixtures_write();
    test_redis_start(&redis, 0);
    replicas_start();
}

static void teardown(void)
{
    int i;

    for (i = 0; i < REPLICAS; i++)
        if (rep[i].pid > 0)
            ck_assert_int_eq(test_server_stop(&rep[i]), 0);
    test_redis_kill(&redis);
    fixtures_remove();
}

/* One request to replica 'i' (round-robin: any number). */
static json_t *call(int i, const char *method, const char *path, const char *body, long *status)
{
    return http_call(rep[i % REPLICAS].base, method, path, body, status);
}

/* POST /v1/responses on replica 'i'; asserts 'want' and returns the body
 * (an empty object, sending nothing, when there is no redis-server). */
static json_t *create(int i, const char *body, long want)
{
    long status = 0;
    json_t *r;

    if (skip)
        return json_object();
    r = call(i, "POST", "/v1/responses", body, &status);

    ck_assert_msg(status == want, "replica %d answered %ld, not %ld", i % REPLICAS, status, want);
    ck_assert_ptr_nonnull(r);
    return r;
}

static long status_of(int i, const char *method, const char *path)
{
    long status = 0;

    json_decref(call(i, method, path, NULL, &status));
    return status;
}

/* "/v1/responses/ID" then 'tail' ("" or "/input_items"). */
static char *path_of(const char *id, const char *tail)
{
    static char p[256];

    snprintf(p, sizeof(p), "/v1/responses/%s%s", id, tail);
    return p;
}

/* Whether the JSON text of 'v' contains 'text'. */
static int has_text(const json_t *v, const char *text)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    int found = s && strstr(s, text);

    free(s);
    return found;
}

START_TEST(tool_loop_across_replicas)
{
    char body[1024];
    json_t *r1, *r2, *r3, *call_item;
    const char *id1, *call_id;

    if (skip)
        return;
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4o\",\"input\":\"What is the weather in Boston?\",\"tools\":%s}",
             TOOLS);
    r1 = create(0, body, 200);
    id1 = json_string_value(json_object_get(r1, "id"));
    call_item = json_array_get(json_object_get(r1, "output"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(call_item, "type")),
                     RM_ITEM_FUNCTION_CALL);
    call_id = json_string_value(json_object_get(call_item, "call_id"));
    ck_assert_ptr_nonnull(call_id);
    /* The call's output goes to another replica, chained on the first. */
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4o\",\"previous_response_id\":\"%s\",\"tools\":%s,"
             "\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"%s\","
             "\"output\":\"{\\\"temperature\\\":21}\"}]}",
             id1, TOOLS, call_id);
    r2 = create(1, body, 200);
    ck_assert(has_text(json_object_get(r2, "output"), "21"));
    /* A third turn on the third replica sees the whole chain: turn 3. */
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4o\",\"previous_response_id\":\"%s\",\"input\":\"Thanks!\"}",
             json_string_value(json_object_get(r2, "id")));
    r3 = create(2, body, 200);
    ck_assert_int_gt(json_integer_value(json_object_get(json_object_get(r3, "usage"),
                                                        "input_tokens")),
                     json_integer_value(json_object_get(json_object_get(r2, "usage"),
                                                        "input_tokens")));
    /* An id no replica created is still unknown to all. */
    json_decref(create(1, "{\"model\":\"gpt-4o\",\"input\":\"x\",\"previous_response_id\":"
                          "\"resp_0000\"}",
                       400));
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
}
END_TEST

START_TEST(retrieve_input_items_delete_elsewhere)
{
    json_t *r = create(0, "{\"model\":\"gpt-4o\",\"input\":\"remember the tulips\"}", 200), *got,
           *items;
    const char *id = json_string_value(json_object_get(r, "id"));
    long status = 0;

    if (skip) {
        json_decref(r);
        return;
    }
    got = call(1, "GET", path_of(id, ""), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(got, "id")), id);
    ck_assert(json_equal(json_object_get(got, "output"), json_object_get(r, "output")));
    items = call(2, "GET", path_of(id, "/input_items"), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(has_text(items, "remember the tulips"));
    ck_assert_int_eq(status_of(1, "DELETE", path_of(id, "")), 200);
    /* Seen by every replica at once. */
    ck_assert_int_eq(status_of(0, "GET", path_of(id, "")), 404);
    ck_assert_int_eq(status_of(2, "GET", path_of(id, "/input_items")), 404);
    ck_assert_int_eq(status_of(2, "DELETE", path_of(id, "")), 404);
    json_decref(got);
    json_decref(items);
    json_decref(r);
}
END_TEST

/* A stream made on one replica replays from another, event for event. */
START_TEST(stream_replays_elsewhere)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct http_result live, replay;
    char url[256], id[128];
    const char *p, *q;

    if (skip)
        return;
    snprintf(url, sizeof(url), "%s/v1/responses", rep[0].base);
    ck_assert_int_eq(http_request("POST", url,
                                  "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"stream\":true}",
                                  headers, &live),
                     0);
    ck_assert_int_eq(live.status, 200);
    ck_assert_ptr_nonnull(p = strstr(live.body, "\"id\":\"resp_"));
    p += strlen("\"id\":\"");
    q = strchr(p, '"');
    ck_assert_ptr_nonnull(q);
    snprintf(id, sizeof(id), "%.*s", (int)(q - p), p);
    snprintf(url, sizeof(url), "%s/v1/responses/%s?stream=true", rep[2].base, id);
    ck_assert_int_eq(http_request("GET", url, NULL, NULL, &replay), 0);
    ck_assert_int_eq(replay.status, 200);
    ck_assert_ptr_nonnull(strstr(replay.body, RM_EV_COMPLETED));
    ck_assert_ptr_nonnull(strstr(replay.body, id));
    ck_assert_str_eq(replay.body, live.body);
    http_result_free(&live);
    http_result_free(&replay);
}
END_TEST

START_TEST(max_stored_is_the_clusters)
{
    char ids[8][128];
    int i, n = atoi(MAX_STORED) + 1, j;

    if (skip)
        return;
    for (i = 0; i < n; i++) {
        json_t *r = create(i, "{\"model\":\"gpt-4o\",\"input\":\"hi\"}", 200);
        snprintf(ids[i], sizeof(ids[i]), "%s", json_string_value(json_object_get(r, "id")));
        json_decref(r);
    }
    /* The oldest is gone from every replica, the newest MAX_STORED kept. */
    for (j = 0; j < REPLICAS; j++) {
        ck_assert_int_eq(status_of(j, "GET", path_of(ids[0], "")), 404);
        for (i = 1; i < n; i++)
            ck_assert_int_eq(status_of(j, "GET", path_of(ids[i], "")), 200);
    }
}
END_TEST

/* POST /v1/responses in scenario 'scenario' on replica 'i'; its status. */
static long scenario_call(int i, const char *scenario, const char *body)
{
    char h[128];
    const char *headers[] = {h, "Content-Type: application/json", NULL};
    struct http_result r;
    char url[128];
    long status;

    snprintf(h, sizeof(h), "x-respmock-scenario: %s", scenario);
    snprintf(url, sizeof(url), "%s/v1/responses", rep[i % REPLICAS].base);
    ck_assert_int_eq(http_request("POST", url, body, headers, &r), 0);
    status = r.status;
    http_result_free(&r);
    return status;
}

static const char FLAKY[] = "{\"model\":\"flaky-model\",\"input\":\"hi\"}";

START_TEST(sequence_steps_across_replicas)
{
    static const long want[] = {429, 429, 200, 429, 429, 200, 429};
    int i;

    if (skip)
        return;
    for (i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
        ck_assert_msg(scenario_call(i, "in-turn", FLAKY) == want[i], "request %d", i);
}
END_TEST

#define RACERS 6
#define RACES 5 /* requests of each racer: 30, ten turns of the sequence */

static void *racer(void *arg)
{
    long *got = arg;
    int i, me = (int)got[0];

    for (i = 0; i < RACES; i++)
        got[i] = scenario_call(me + i, "racing", FLAKY);
    return NULL;
}

START_TEST(sequence_steps_once_when_racing)
{
    long got[RACERS][RACES];
    pthread_t t[RACERS];
    int i, j, ok = 0, limited = 0;

    if (skip)
        return;
    for (i = 0; i < RACERS; i++) {
        got[i][0] = i;
        ck_assert_int_eq(pthread_create(&t[i], NULL, racer, got[i]), 0);
    }
    for (i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < RACERS; i++)
        for (j = 0; j < RACES; j++) {
            ok += got[i][j] == 200;
            limited += got[i][j] == 429;
        }
    /* Every request took its own step: one turn in three is the 200. */
    ck_assert_int_eq(ok, RACERS * RACES / 3);
    ck_assert_int_eq(limited, RACERS * RACES * 2 / 3);
}
END_TEST

START_TEST(state_moved_on_one_seen_on_all)
{
    long status;
    json_t *r, *sc;

    if (skip)
        return;
    ck_assert_int_eq(scenario_call(0, "shop", "{\"model\":\"gpt-4o\",\"input\":\"please log in\"}"),
                     200);
    ck_assert_int_eq(
        scenario_call(1, "shop", "{\"model\":\"gpt-4o\",\"input\":\"an order\"}"), 200);
    /* The admin view of any replica shows the cluster's scenarios. */
    r = call(2, "GET", "/__admin/scenarios", NULL, &status);
    ck_assert_int_eq(status, 200);
    sc = json_object_get(json_object_get(r, "scenarios"), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(sc, "state")), "logged-in");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(sc, "uses"), "login")),
                     0); /* no count kept: login has neither times nor sequence */
    json_decref(r);
    /* Reset on one: the sequence starts again everywhere. */
    ck_assert_int_eq(scenario_call(2, "again", FLAKY), 429);
    ck_assert_int_eq(status_of(0, "POST", "/__admin/reset"), 200);
    ck_assert_int_eq(scenario_call(1, "again", FLAKY), 429);
    ck_assert_int_eq(scenario_call(0, "again", FLAKY), 429);
    ck_assert_int_eq(scenario_call(2, "again", FLAKY), 200);
}
END_TEST

/* The status of response 'id' as replica 'i' sees it (a new string). */
static char *status_on(int i, const char *id)
{
    long status = 0;
    json_t *r = call(i, "GET", path_of(id, ""), NULL, &status);
    char *s;

    ck_assert_int_eq(status, 200);
    s = strdup(json_string_value(json_object_get(r, "status")));
    json_decref(r);
    return s;
}

START_TEST(background_agrees_across_replicas)
{
    json_t *r = create(0, "{\"model\":\"bg-long\",\"input\":\"x\",\"background\":true}", 200), *c;
    char id[128], *st;
    long status = 0;
    double until;
    int done = 0;

    if (skip) {
        json_decref(r);
        return;
    }
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    st = status_on(1, id);
    ck_assert_msg(!strcmp(st, RM_STATUS_QUEUED) || !strcmp(st, RM_STATUS_IN_PROGRESS), "%s", st);
    free(st);
    /* Cancelled on one: cancelled for all, and a second cancel changes nothing. */
    c = call(2, "POST", path_of(id, "/cancel"), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(c, "status")), RM_STATUS_CANCELLED);
    json_decref(c);
    st = status_on(0, id);
    ck_assert_str_eq(st, RM_STATUS_CANCELLED);
    free(st);
    c = call(1, "POST", path_of(id, "/cancel"), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(c, "status")), RM_STATUS_CANCELLED);
    json_decref(c);
    /* A short schedule made on one completes on the others' clocks too. */
    r = create(1, "{\"model\":\"bg-quick\",\"input\":\"x\",\"background\":true}", 200);
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    until = test_now_s() + 10;
    while (!done) {
        st = status_on(2, id);
        done = !strcmp(st, RM_STATUS_COMPLETED);
        free(st);
        ck_assert_msg(done || test_now_s() < until, "never completed on another replica");
        if (!done)
            test_sleep_ms(50);
    }
    st = status_on(0, id);
    ck_assert_str_eq(st, RM_STATUS_COMPLETED);
    free(st);
}
END_TEST

/* The journal entries that contain 'text', as replica 'i' sees them. */
static json_t *journal_with(int i, const char *text, long *count)
{
    char path[128];
    long status = 0;
    json_t *r;

    snprintf(path, sizeof(path), "/__admin/requests?contains=%s", text);
    r = call(i, "GET", path, NULL, &status);
    ck_assert_int_eq(status, 200);
    *count = (long)json_integer_value(json_object_get(r, "count"));
    return r;
}

START_TEST(journal_sees_every_request)
{
    char body[128];
    long count = 0;
    json_t *r;
    double until;
    int i, done = 0;

    if (skip)
        return;
    ck_assert_int_eq(status_of(0, "DELETE", "/__admin/requests"), 200);
    for (i = 0; i < 9; i++) {
        snprintf(body, sizeof(body), "{\"model\":\"gpt-4o\",\"input\":\"jmark %d\"}", i);
        json_decref(create(i, body, 200));
    }
    /* Every replica's journal query shows the requests of all three. */
    for (i = 0; i < REPLICAS; i++) {
        json_decref(journal_with(i, "jmark", &count));
        ck_assert_int_eq(count, 9);
    }
    /* A stream's entry is finished, cluster-wide, when it ends. */
    json_decref(call(2, "POST", "/v1/responses",
                     "{\"model\":\"gpt-4o\",\"input\":\"jstream\",\"stream\":true}", NULL));
    until = test_now_s() + 5;
    while (!done) {
        json_t *e;
        r = journal_with(0, "jstream", &count);
        ck_assert_int_eq(count, 1);
        e = json_array_get(json_object_get(r, "data"), 0);
        ck_assert(json_is_true(json_object_get(e, "stream")));
        done = json_is_true(json_object_get(e, "stream_completed"));
        json_decref(r);
        ck_assert_msg(done || test_now_s() < until, "the stream's entry was never finished");
        if (!done)
            test_sleep_ms(20);
    }
    /* Cleared on one: cleared for all. */
    ck_assert_int_eq(status_of(1, "DELETE", "/__admin/requests"), 200);
    json_decref(journal_with(2, "jmark", &count));
    ck_assert_int_eq(count, 0);
}
END_TEST

/* ---- Conversations --------------------------------------------------------- */

/* "/v1/conversations/ID" then 'tail' ("", "/items", "/items/ITEM"). */
static char *conv_path(const char *id, const char *tail)
{
    static char p[256];

    snprintf(p, sizeof(p), "/v1/conversations/%s%s", id, tail);
    return p;
}

/* POST /v1/conversations on replica 'i' with 'body'; its id into 'id'. */
static void conv_create(int i, const char *body, char *id, size_t n)
{
    long status = 0;
    json_t *c = call(i, "POST", "/v1/conversations", body, &status);

    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(c, "object")), RM_OBJ_CONVERSATION);
    snprintf(id, n, "%s", json_string_value(json_object_get(c, "id")));
    ck_assert_int_eq(strncmp(id, RM_ID_CONVERSATION, strlen(RM_ID_CONVERSATION)), 0);
    json_decref(c);
}

/* The items of conversation 'id' as replica 'i' lists them (asserts 200). */
static json_t *conv_items(int i, const char *id)
{
    long status = 0;
    json_t *l = call(i, "GET", conv_path(id, "/items?limit=100"), NULL, &status);

    ck_assert_int_eq(status, 200);
    return l;
}

START_TEST(conversation_across_replicas)
{
    char id[128], body[512], item_id[128];
    json_t *r, *l, *got;
    long status = 0;
    size_t n;

    if (skip)
        return;
    conv_create(0,
                "{\"metadata\":{\"topic\":\"garden\"},\"items\":[{\"type\":\"message\","
                "\"role\":\"user\",\"content\":\"I grow tulips.\"}]}",
                id, sizeof(id));
    /* Items added on another replica. */
    l = call(1, "POST", conv_path(id, "/items"),
             "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"And roses.\"}]}",
             &status);
    ck_assert_int_eq(status, 200);
    snprintf(item_id, sizeof(item_id), "%s",
             json_string_value(json_object_get(l, "first_id")));
    json_decref(l);
    /* A response on the third sees both and adds its turn. */
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4o\",\"conversation\":\"%s\",\"input\":\"What do I grow?\"}", id);
    r = create(2, body, 200);
    /* The first lists all: the created, the added, the response's. */
    l = conv_items(0, id);
    n = json_array_size(json_object_get(l, "data"));
    ck_assert_uint_ge(n, 4);
    ck_assert(has_text(l, "I grow tulips."));
    ck_assert(has_text(l, "And roses."));
    ck_assert(has_text(l, "What do I grow?"));
    ck_assert(has_text(l, json_string_value(json_object_get(
                              json_array_get(json_object_get(r, "output"), 0), "id"))));
    json_decref(l);
    json_decref(r);
    /* One item got on one replica, deleted on another, gone for all. */
    got = call(1, "GET", conv_path(id, ""), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "topic")),
                     "garden");
    json_decref(got);
    snprintf(body, sizeof(body), "/items/%s", item_id);
    got = call(2, "GET", conv_path(id, body), NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(has_text(got, "And roses."));
    json_decref(got);
    ck_assert_int_eq(status_of(0, "DELETE", conv_path(id, body)), 200);
    ck_assert_int_eq(status_of(1, "GET", conv_path(id, body)), 404);
    l = conv_items(2, id);
    ck_assert(!has_text(l, "And roses."));
    ck_assert_uint_eq(json_array_size(json_object_get(l, "data")), n - 1);
    json_decref(l);
    /* Metadata replaced on one, seen on another. */
    got = call(1, "POST", conv_path(id, ""), "{\"metadata\":{\"topic\":\"orchard\"}}", &status);
    ck_assert_int_eq(status, 200);
    json_decref(got);
    got = call(2, "GET", conv_path(id, ""), NULL, &status);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "topic")),
                     "orchard");
    json_decref(got);
    /* Deleted on one: unknown to all, and to a response naming it. */
    ck_assert_int_eq(status_of(2, "DELETE", conv_path(id, "")), 200);
    for (int i = 0; i < REPLICAS; i++)
        ck_assert_int_eq(status_of(i, "GET", conv_path(id, "")), 404);
    ck_assert_int_eq(status_of(0, "GET", conv_path(id, "/items")), 404);
    ck_assert_int_eq(status_of(1, "DELETE", conv_path(id, "")), 404);
    snprintf(body, sizeof(body), "{\"model\":\"gpt-4o\",\"conversation\":\"%s\",\"input\":\"x\"}",
             id);
    json_decref(create(0, body, 404));
}
END_TEST

START_TEST(max_conversations_is_the_clusters)
{
    char ids[5][128];
    int i;

    if (skip)
        return;
    /* Made round the replicas: the cluster keeps the newest three. */
    for (i = 0; i < 5; i++)
        conv_create(i, "{}", ids[i], sizeof(ids[i]));
    for (i = 0; i < 5; i++)
        for (int j = 0; j < REPLICAS; j++)
            ck_assert_int_eq(status_of(j, "GET", conv_path(ids[i], "")), i < 2 ? 404 : 200);
}
END_TEST

START_TEST(reset_forgets_the_clusters_conversations)
{
    char id[128];

    if (skip)
        return;
    conv_create(0, "{}", id, sizeof(id));
    ck_assert_int_eq(status_of(1, "GET", conv_path(id, "")), 200);
    ck_assert_int_eq(status_of(2, "POST", "/__admin/reset"), 200);
    for (int i = 0; i < REPLICAS; i++)
        ck_assert_int_eq(status_of(i, "GET", conv_path(id, "")), 404);
    /* Usable again at once. */
    conv_create(1, "{}", id, sizeof(id));
    ck_assert_int_eq(status_of(0, "GET", conv_path(id, "/items")), 200);
}
END_TEST

/* The output of 'cmd' (first line, into 'out'). */
static void run_line(const char *cmd, char *out, size_t n)
{
    FILE *p = popen(cmd, "r");

    ck_assert_ptr_nonnull(p);
    out[0] = '\0';
    if (!fgets(out, (int)n, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    pclose(p);
}

START_TEST(reset_resets_the_cluster_only)
{
    json_t *r = create(0, "{\"model\":\"gpt-4o\",\"input\":\"hi\"}", 200);
    const char *id = json_string_value(json_object_get(r, "id"));
    char cmd[128], line[64];

    if (skip) {
        json_decref(r);
        return;
    }
    snprintf(cmd, sizeof(cmd), "redis-cli -p %d set someone:else 1", redis.port);
    run_line(cmd, line, sizeof(line));
    ck_assert_int_eq(status_of(1, "POST", "/__admin/reset"), 200);
    ck_assert_int_eq(status_of(2, "GET", path_of(id, "")), 404);
    ck_assert_int_eq(status_of(0, "GET", path_of(id, "")), 404);
    /* Not FLUSHDB: keys that are not respmock's stay. */
    snprintf(cmd, sizeof(cmd), "redis-cli -p %d get someone:else", redis.port);
    run_line(cmd, line, sizeof(line));
    ck_assert_str_eq(line, "1");
    json_decref(r);
}
END_TEST

START_TEST(redis_lost_then_back)
{
    json_t *r = create(0, "{\"model\":\"gpt-4o\",\"input\":\"before\"}", 200), *e;
    char id[128], ids[REPLICAS][128], conv[128], body[256];
    long status = 0;
    double until;
    int port = redis.port;

    if (skip) {
        json_decref(r);
        return;
    }
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    conv_create(1, "{}", conv, sizeof(conv));
    test_redis_kill(&redis);
    /* What needs state: a 503 in the error envelope, saying why. */
    e = call(1, "GET", path_of(id, ""), NULL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "error"), "code")),
                     RM_ERRCODE_STATE_UNAVAILABLE);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "error"), "type")),
                     RM_ERRTYPE_SERVICE_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(e, "error"),
                                                                   "message")),
                                 "Redis"));
    json_decref(e);
    json_decref(create(2, "{\"model\":\"gpt-4o\",\"input\":\"x\"}", 503));
    ck_assert_int_eq(status_of(0, "DELETE", path_of(id, "")), 503);
    ck_assert_int_eq(scenario_call(1, "down", FLAKY), 503); /* a sequence's step */
    ck_assert_int_eq(status_of(2, "GET", "/__admin/requests"), 503);
    /* Conversations: every route, and a response naming one. */
    e = call(0, "GET", conv_path(conv, ""), NULL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "error"), "code")),
                     RM_ERRCODE_STATE_UNAVAILABLE);
    json_decref(e);
    ck_assert_int_eq(status_of(1, "POST", "/v1/conversations"), 503);
    ck_assert_int_eq(status_of(2, "GET", conv_path(conv, "/items")), 503);
    ck_assert_int_eq(status_of(0, "DELETE", conv_path(conv, "")), 503);
    ck_assert_int_eq(status_of(1, "GET", conv_path(conv, "/items/msg_1")), 503);
    json_decref(call(2, "POST", conv_path(conv, "/items"),
                     "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"x\"}]}",
                     &status));
    ck_assert_int_eq(status, 503);
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4o\",\"conversation\":\"%s\",\"input\":\"x\"}", conv);
    json_decref(create(0, body, 503));
    ck_assert_int_eq(status_of(2, "POST", "/__admin/reset"), 503);
    /* What does not: answered as usual. */
    json_decref(create(2, "{\"model\":\"gpt-4o\",\"input\":\"x\",\"store\":false}", 200));
    ck_assert_int_eq(status_of(1, "GET", "/healthz"), 200);
    /* Redis back (empty: no persistence): every replica serves again by itself. */
    test_redis_start(&redis, port);
    until = test_now_s() + RECOVER_MS / 1000.0;
    for (int i = 0; i < REPLICAS; i++) {
        for (;;) {
            json_t *ok = call(i, "POST", "/v1/responses", "{\"model\":\"gpt-4o\",\"input\":\"y\"}",
                              &status);
            if (status == 200) {
                snprintf(ids[i], sizeof(ids[i]), "%s",
                         json_string_value(json_object_get(ok, "id")));
                json_decref(ok);
                break;
            }
            json_decref(ok);
            ck_assert_int_eq(status, 503);
            ck_assert_msg(test_now_s() < until, "replica %d did not recover", i);
            test_sleep_ms(50);
        }
    }
    /* Each one's new response is the others' too. */
    for (int i = 0; i < REPLICAS; i++)
        ck_assert_int_eq(status_of(i + 1, "GET", path_of(ids[i], "")), 200);
    /* The old state went with the old Redis. */
    ck_assert_int_eq(status_of(2, "GET", path_of(id, "")), 404);
}
END_TEST

START_TEST(no_redis_at_start)
{
    char url[64], *out = NULL;
    const char *args[] = {"--port", "0", "--state", url, NULL};
    struct test_redis gone;

    if (skip)
        return;
    /* A port that was Redis's and is free now. */
    test_redis_start(&gone, 0);
    test_redis_kill(&gone);
    snprintf(url, sizeof(url), "%s", gone.url);
    ck_assert_int_eq(test_run_respmock(args, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot reach the shared state at redis://127.0.0.1:"));
    free(out);
    args[3] = "http://127.0.0.1:1";
    ck_assert_int_eq(test_run_respmock(args, &out), 2);
    free(out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("replicas");

    add_tcase(s, tcase_create("shared"), 120, setup, teardown, tool_loop_across_replicas,
              retrieve_input_items_delete_elsewhere, max_stored_is_the_clusters,
              reset_resets_the_cluster_only, journal_sees_every_request, stream_replays_elsewhere,
              background_agrees_across_replicas);
    add_tcase(s, tcase_create("scenarios"), 120, setup, teardown, sequence_steps_across_replicas,
              sequence_steps_once_when_racing, state_moved_on_one_seen_on_all);
    add_tcase(s, tcase_create("conversations"), 120, setup, teardown,
              conversation_across_replicas, max_conversations_is_the_clusters,
              reset_forgets_the_clusters_conversations);
    add_tcase(s, tcase_create("faults"), 120, setup, teardown, redis_lost_then_back,
              no_redis_at_start);
    return s;
}
