/* Unit tests for server/store.c: put/get/delete, replacement, global
 * oldest-first eviction across shards, settle (compare-and-swap), clear,
 * bucket growth, references that outlive eviction, and concurrent use from
 * several threads (run under the sanitizer build too). The same tests,
 * but those of the memory layout (bytes_round_trip, bucket growth, RSS),
 * run again against the Redis backend (store_share) with a redis-server
 * of the test's own ("redis" cases). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "server_harness.h"
#include "store.h"
#include "test_support.h"

/* The Redis backend's cases: the server and the link (NULL: memory). */
/* A store of the backend under test, empty. */
static struct store *new_store(unsigned max_entries, size_t max_bytes)
{
    struct store *st = store_new(max_entries, max_bytes);

    if (st && harness_redis) {
        store_share(st, harness_redis);
        ck_assert_int_eq(store_clear(st), 0);
    }
    return st;
}

/* An event list of one event of 'type'. */
static struct event_list *one_event(const char *type)
{
    struct event_list *l = event_list_new();

    ck_assert_int_eq(event_list_push_json(l, type, json_object(), 0), 0);
    return l;
}

/* A stored entry for 'id' with a recognisable turn. */
static struct stored make_entry(const char *id, int turn)
{
    struct stored e;

    memset(&e, 0, sizeof(e));
    e.response = json_pack("{s:s, s:s, s:[]}", "id", id, "object", "response", "output");
    e.input_items = json_pack("[{s:s}]", "id", "msg_1");
    e.context.items = 3;
    e.context.bytes = 12;
    e.context.pieces = 2;
    e.events = one_event("x");
    snprintf(e.fixture, sizeof(e.fixture), "fx-%d", turn);
    e.turn = turn;
    return e;
}

static void put(struct store *st, const char *id, int turn)
{
    struct stored e = make_entry(id, turn);

    ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    ck_assert_ptr_null(e.response); /* ownership moved */
}

static int has(struct store *st, const char *id)
{
    struct stored s;
    int rc = store_get(st, id, STORED_ALL, &s);

    stored_release(&s);
    return rc == 0;
}

START_TEST(put_get_delete)
{
    struct store *st = new_store(10, 0);
    struct stored s;

    ck_assert_ptr_nonnull(st);
    put(st, "resp_a", 1);
    put(st, "resp_b", 2);
    ck_assert_uint_eq(store_count(st), 2);
    ck_assert_int_eq(store_get(st, "resp_b", STORED_ALL, &s), 0);
    ck_assert_str_eq(json_string_value(json_object_get(s.response, "id")), "resp_b");
    ck_assert_int_eq(s.turn, 2);
    ck_assert_str_eq(s.fixture, "fx-2");
    ck_assert_int_eq((int)json_array_size(s.input_items), 1);
    ck_assert_ptr_nonnull(s.events);
    stored_release(&s);
    ck_assert_ptr_null(s.response);

    ck_assert_int_eq(store_get(st, "resp_nope", STORED_ALL, &s), -1);
    ck_assert_ptr_null(s.response);
    ck_assert_int_eq(store_delete(st, "resp_a"), 0);
    ck_assert_int_eq(store_delete(st, "resp_a"), -1);
    ck_assert(!has(st, "resp_a"));
    ck_assert(has(st, "resp_b"));
    ck_assert_uint_eq(store_count(st), 1);
    store_free(st);
    store_free(NULL);
}
END_TEST

START_TEST(put_without_id_fails)
{
    struct store *st = new_store(2, 0);
    struct stored e = make_entry("x", 1);

    json_object_del(e.response, "id");
    ck_assert_int_eq(store_put(st, &e, NULL, 0), -1);
    ck_assert_ptr_null(e.response); /* released on failure too */
    ck_assert_uint_eq(store_count(st), 0);
    store_free(st);
}
END_TEST

START_TEST(replace_same_id)
{
    struct store *st = new_store(5, 0);
    struct stored s;

    put(st, "resp_same", 1);
    put(st, "resp_same", 7);
    ck_assert_uint_eq(store_count(st), 1);
    ck_assert_int_eq(store_get(st, "resp_same", STORED_ALL, &s), 0);
    ck_assert_int_eq(s.turn, 7);
    stored_release(&s);
    store_free(st);
}
END_TEST

/* What entry 'id' counts (the allocator may round an allocation up). */
static size_t bytes_of(struct store *st, const char *id)
{
    struct stored s;
    size_t n;

    ck_assert_int_eq(store_get(st, id, 0, &s), 0);
    n = s.bytes;
    stored_release(&s);
    return n;
}

/* The byte budget evicts oldest first too, but never the newest entry; an
 * entry counts what it really costs (its one allocation), which the store
 * reports back as 'bytes'. REQ: store-bytes-real */
START_TEST(evict_by_bytes)
{
    struct store *st = new_store(100, 0);
    struct stored e, s;
    char pad[4096];
    size_t one;
    int i;

    /* How much one entry of this shape costs. */
    e = make_entry("resp_0", 0);
    ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    one = store_bytes(st);
    ck_assert_int_eq(store_get(st, "resp_0", STORED_ALL, &s), 0);
    ck_assert_uint_eq(s.bytes, one);
    ck_assert_uint_ge(one, s.response_len + sizeof(struct stored));
    stored_release(&s);
    store_free(st);

    st = new_store(100, 3 * one + one / 2);
    for (i = 0; i < 4; i++) {
        char id[32];

        snprintf(id, sizeof(id), "resp_%d", i);
        e = make_entry(id, i);
        ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    }
    ck_assert_uint_eq(store_count(st), 3); /* 4 entries > 3.5: the oldest went */
    ck_assert_uint_eq(store_bytes(st), bytes_of(st, "resp_1") + bytes_of(st, "resp_2") +
                                           bytes_of(st, "resp_3"));
    ck_assert(!has(st, "resp_0"));
    ck_assert(has(st, "resp_3"));
    ck_assert_int_eq(store_delete(st, "resp_2"), 0);
    ck_assert_uint_eq(store_bytes(st), bytes_of(st, "resp_1") + bytes_of(st, "resp_3"));
    e = make_entry("resp_big", 9);
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    json_object_set_new(e.response, "pad", json_string(pad));
    /* alone over the budget: kept, everything older goes */
    ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    ck_assert_uint_eq(store_count(st), 1);
    ck_assert(has(st, "resp_big"));
    ck_assert_uint_gt(store_bytes(st), 3 * one + one / 2);
    store_clear(st);
    ck_assert_uint_eq(store_bytes(st), 0);
    store_free(st);
}
END_TEST

/* What is stored comes back the same: the Response bytes handed over are
 * kept as they are (not serialised again), the input items and events
 * parse back to what was put, scalars and the context tally survive, and
 * only what 'want' names is parsed. */
START_TEST(bytes_round_trip)
{
    struct store *st = new_store(10, 0);
    struct stored e = make_entry("resp_rt", 7), s;
    const char *json = "{\"id\":\"resp_rt\",\"object\":\"response\",\"x\":0.1}";
    struct event_list *l;

    ck_assert_int_eq(event_list_push_raw(e.events, NULL, "data: raw\n\n", 11, NULL, 5), 0);
    ck_assert_int_eq(event_list_push_pause(e.events, 40), 0);
    e.events->abort_after = 99;
    ck_assert_int_eq(store_put(st, &e, json, strlen(json)), 0);
    ck_assert_int_eq(store_get(st, "resp_rt", 0, &s), 0);
    ck_assert_ptr_null(s.response);
    ck_assert_ptr_null(s.input_items);
    ck_assert_ptr_null(s.events);
    ck_assert_uint_eq(s.response_len, strlen(json));
    ck_assert(memcmp(s.response_json, json, s.response_len) == 0);
    ck_assert_int_eq(stored_parse_response(&s), 0);
    ck_assert(json_real_value(json_object_get(s.response, "x")) == 0.1);
    stored_release(&s);

    ck_assert_int_eq(store_get(st, "resp_rt", STORED_ALL, &s), 0);
    ck_assert_int_eq(s.turn, 7);
    ck_assert_str_eq(s.fixture, "fx-7");
    ck_assert_uint_eq(s.context.items, 3);
    ck_assert_uint_eq(s.context.bytes, 12);
    ck_assert_uint_eq(s.context.pieces, 2);
    ck_assert_str_eq(json_util_str(json_array_get(s.input_items, 0), "id"), "msg_1");
    l = s.events;
    ck_assert_uint_eq(l->n, 3);
    ck_assert_int_eq(l->v[0].kind, EVENT_JSON);
    ck_assert_str_eq(l->v[0].type, "x");
    ck_assert(json_is_object(l->v[0].json));
    ck_assert_int_eq(l->v[1].kind, EVENT_RAW);
    ck_assert_ptr_null(l->v[1].type);
    ck_assert_uint_eq(l->v[1].raw_len, 11);
    ck_assert(memcmp(l->v[1].raw, "data: raw\n\n", 11) == 0);
    ck_assert_uint_eq(l->v[1].delay_ms, 5);
    ck_assert_int_eq(l->v[2].kind, EVENT_PAUSE);
    ck_assert_uint_eq(l->v[2].delay_ms, 40);
    ck_assert_uint_eq(l->abort_after, 99);
    stored_release(&s);
    store_free(st);
}
END_TEST

/* REQ: store-evict-oldest: the entry put longest ago goes first, whatever
 * shard it is in, and deleted entries free their place. */
START_TEST(evict_oldest_first)
{
    struct store *st = new_store(3, 0);
    char id[32];
    int i;

    put(st, "resp_a", 1);
    put(st, "resp_b", 1);
    put(st, "resp_c", 1);
    put(st, "resp_d", 1);
    ck_assert_uint_eq(store_count(st), 3);
    ck_assert(!has(st, "resp_a"));
    ck_assert(has(st, "resp_b") && has(st, "resp_c") && has(st, "resp_d"));

    /* A delete leaves room: the next put evicts nothing. */
    ck_assert_int_eq(store_delete(st, "resp_c"), 0);
    put(st, "resp_e", 1);
    ck_assert(has(st, "resp_b") && has(st, "resp_d") && has(st, "resp_e"));
    put(st, "resp_f", 1);
    ck_assert(!has(st, "resp_b"));
    ck_assert(has(st, "resp_d") && has(st, "resp_e") && has(st, "resp_f"));

    /* Many ids (spread over all shards): exactly the last 3 survive. */
    for (i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "resp_%04d", i);
        put(st, id, i);
    }
    ck_assert_uint_eq(store_count(st), 3);
    for (i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "resp_%04d", i);
        ck_assert_msg(has(st, id) == (i >= 197), "%s", id);
    }
    ck_assert_uint_eq(store_capacity(st), 3);
    store_free(st);
}
END_TEST

START_TEST(capacity_zero_means_one)
{
    struct store *st = new_store(0, 0);

    put(st, "resp_1", 1);
    put(st, "resp_2", 1);
    ck_assert_uint_eq(store_count(st), 1);
    ck_assert(has(st, "resp_2"));
    store_free(st);
}
END_TEST

/* Entries are immutable and shared: a reference taken before eviction,
 * delete or clear stays valid (ASan checks this). */
START_TEST(references_outlive_eviction)
{
    struct store *st = new_store(1, 0);
    struct stored s;

    put(st, "resp_old", 1);
    ck_assert_int_eq(store_get(st, "resp_old", STORED_ALL, &s), 0);
    put(st, "resp_new", 2);
    ck_assert(!has(st, "resp_old"));
    ck_assert_str_eq(json_string_value(json_object_get(s.response, "id")), "resp_old");
    ck_assert_str_eq(s.events->v[0].type, "x");
    stored_release(&s);
    ck_assert_int_eq(store_get(st, "resp_new", STORED_ALL, &s), 0);
    store_clear(st);
    ck_assert_int_eq((int)json_array_size(s.input_items), 1);
    stored_release(&s);
    store_free(st);
}
END_TEST

START_TEST(settle_compare_and_swap)
{
    struct store *st = new_store(4, 0);
    struct stored e = make_entry("resp_bg", 1), s;
    uint64_t first;

    e.background = e.live = 1;
    e.duration_ms = 500;
    ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    ck_assert_int_eq(store_get(st, "resp_bg", STORED_ALL, &s), 0);
    ck_assert_int_eq(s.live, 1);
    ck_assert_ptr_nonnull(s.events); /* live: always parsed */
    first = s.version;
    stored_release(&s);

    /* Wrong expectation: nothing changes, the arguments are released. */
    ck_assert_int_eq(
        store_settle(st, "resp_bg", first + 1000, json_pack("{s:s}", "id", "x"), one_event("e")),
        -2);
    ck_assert_int_eq(store_settle(st, "resp_none", first, json_object(), NULL), -1);
    ck_assert_int_eq(store_settle(st, "resp_bg", first,
                                  json_pack("{s:s, s:s}", "id", "resp_bg", "status", "cancelled"),
                                  one_event("settled")),
                     0);
    /* The old value is gone from the store: a second settle against it loses. */
    ck_assert_int_eq(store_settle(st, "resp_bg", first, json_object(), NULL), -2);

    ck_assert_int_eq(store_get(st, "resp_bg", STORED_ALL, &s), 0);
    ck_assert_int_eq(s.live, 0);
    ck_assert_int_eq(s.background, 1);
    ck_assert_str_eq(json_string_value(json_object_get(s.response, "status")), "cancelled");
    ck_assert_str_eq(s.events->v[0].type, "settled");
    stored_release(&s);
    store_free(st);
}
END_TEST

START_TEST(clear_and_growth)
{
    struct store *st = new_store(20000, 0);
    char id[32];
    int i;

    for (i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "resp_%d", i);
        put(st, id, i);
    }
    ck_assert_uint_eq(store_count(st), 20000);
    for (i = 0; i < 20000; i += 997) {
        struct stored s;
        snprintf(id, sizeof(id), "resp_%d", i);
        ck_assert_int_eq(store_get(st, id, STORED_ALL, &s), 0);
        ck_assert_int_eq(s.turn, i);
        stored_release(&s);
    }
    store_clear(st);
    ck_assert_uint_eq(store_count(st), 0);
    ck_assert(!has(st, "resp_0"));
    put(st, "resp_again", 1);
    ck_assert_uint_eq(store_count(st), 1);
    store_free(st);
}
END_TEST

/* ---- Concurrency ------------------------------------------------------ */

#define WORKERS 8
#define OPS 4000
#define SHARED_IDS 48
#define CAPACITY 64

struct worker {
    struct store *st;
    int n;
    unsigned seed;
    int failures;
};

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    char id[48];
    int i;

    for (i = 0; i < OPS; i++) {
        unsigned r = next_rand(&w->seed);
        struct stored s;

        if (r % 4 == 0)
            snprintf(id, sizeof(id), "resp_own_%d_%d", w->n, i);
        else
            snprintf(id, sizeof(id), "resp_shared_%u", r % SHARED_IDS);
        switch ((r >> 4) % 6) {
        case 0:
        case 1: {
            struct stored e = make_entry(id, w->n);
            if (store_put(w->st, &e, NULL, 0) != 0)
                w->failures++;
            break;
        }
        case 2:
        case 3:
            if (store_get(w->st, id, STORED_ALL, &s) == 0) {
                /* Use the references: they must stay valid. */
                if (strcmp(json_string_value(json_object_get(s.response, "id")), id) != 0)
                    w->failures++;
                if (json_array_size(s.input_items) != 1)
                    w->failures++;
                stored_release(&s);
            }
            break;
        case 4:
            store_delete(w->st, id);
            break;
        default:
            if (store_get(w->st, id, STORED_ALL, &s) == 0) {
                store_settle(w->st, id, s.version, json_pack("{s:s}", "id", id), NULL);
                stored_release(&s);
            }
            break;
        }
        if (store_count(w->st) > CAPACITY + WORKERS)
            w->failures++;
    }
    return NULL;
}

START_TEST(concurrent_put_get_delete)
{
    struct store *st = new_store(CAPACITY, 0);
    pthread_t th[WORKERS];
    struct worker w[WORKERS];
    size_t found = 0;
    char id[48];
    int i;

    for (i = 0; i < WORKERS; i++) {
        w[i].st = st;
        w[i].n = i;
        w[i].seed = 1234u + (unsigned)i * 7919u;
        w[i].failures = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < WORKERS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(w[i].failures, 0);
    }
    /* Quiet again: the bound holds exactly and the count is true. */
    ck_assert_uint_le(store_count(st), CAPACITY);
    for (i = 0; i < SHARED_IDS; i++) {
        snprintf(id, sizeof(id), "resp_shared_%d", i);
        found += has(st, id);
    }
    for (i = 0; i < WORKERS; i++) {
        int j;
        for (j = 0; j < OPS; j++) {
            snprintf(id, sizeof(id), "resp_own_%d_%d", i, j);
            found += has(st, id);
        }
    }
    ck_assert_uint_eq(found, store_count(st));
    store_free(st);
}
END_TEST

/* REQ: store-bytes-real: what the store counts is what it costs. Entries
 * of the default reply's shape (half with a stream's events) are put until
 * the count is ~30 MB; the process's RSS grows by that much too (generous
 * tolerance: allocator rounding, page granularity; nothing is timed).
 * Skipped under the sanitizers, whose allocator makes RSS meaningless. */
START_TEST(bytes_match_rss)
{
    struct store *st = new_store(100000, 0);
    long before, after;
    double ratio;
    char id[64], text[1200];
    int i;

    if (test_sanitized()) {
        store_free(st);
        return;
    }
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    before = test_rss_kib();
    for (i = 0; i < 20000; i++) {
        struct stored e = make_entry("", 1);
        int k;

        snprintf(id, sizeof(id), "resp_%048d", i);
        json_object_set_new(e.response, "id", json_string(id));
        json_object_set_new(e.response, "text", json_string(text));
        for (k = 0; i % 2 && k < 10; k++)
            ck_assert_int_eq(event_list_push_json(e.events, "response.output_text.delta",
                                                  json_pack("{s:s, s:i, s:s}", "type",
                                                            "response.output_text.delta",
                                                            "sequence_number", k, "delta",
                                                            "some words of text"),
                                                  0),
                             0);
        ck_assert_int_eq(store_put(st, &e, NULL, 0), 0);
    }
    after = test_rss_kib();
    ck_assert_int_gt(before, 0);
    ratio = (double)(after - before) * 1024.0 / (double)store_bytes(st);
    ck_assert_msg(ratio > 0.8 && ratio < 1.25, "RSS grew %ld KiB for %zu bytes counted (%.2fx)",
                  after - before, store_bytes(st), ratio);
    store_free(st);
}
END_TEST

/* Two workers storing under a byte budget, each with its own short-lived
 * allocations in between (as a request has), so each entry is freed by
 * either worker into the arena of the one that stored it: RSS above what it
 * was stays within 1.5x the budget after many turnovers. A gross bound: in
 * this process it measured 1.10-1.25x with the store's malloc_trim and
 * 1.33-1.44x without, too close to tell apart here; scripts/bench's budget
 * phase measures the server against 1.2x. Skipped under the sanitizers. */
#define BUDGET_BYTES (32u * 1024 * 1024)
#define BUDGET_PUTS 150000

static void *budget_worker(void *arg)
{
    struct worker *w = arg;
    char id[64], text[2000];
    int i;

    memset(text, 'b', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (i = 0; i < BUDGET_PUTS; i++) {
        struct stored e = make_entry("", 1);
        char *scratch = malloc(1500 + (size_t)(i % 7) * 300);

        snprintf(id, sizeof(id), "resp_%d_%040d", w->n, i);
        json_object_set_new(e.response, "id", json_string(id));
        json_object_set_new(e.response, "text", json_string(text + (i % 5) * 200));
        if (!scratch || store_put(w->st, &e, NULL, 0) != 0)
            w->failures++;
        free(scratch);
    }
    return NULL;
}

START_TEST(budget_holds_with_two_workers)
{
    struct store *st = new_store(10000000, BUDGET_BYTES);
    struct worker w[2];
    pthread_t th[2];
    long before, after;
    double over;
    int i;

    if (test_sanitized()) {
        store_free(st);
        return;
    }
    before = test_rss_kib();
    for (i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].st = st;
        w[i].n = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, budget_worker, &w[i]), 0);
    }
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(w[i].failures, 0);
    }
    after = test_rss_kib();
    ck_assert_uint_le(store_bytes(st), BUDGET_BYTES);
    over = (double)(after - before) * 1024.0 / (double)BUDGET_BYTES;
    ck_assert_msg(over < 1.5, "RSS grew %ld KiB under a %u-byte budget (%.2fx)", after - before,
                  BUDGET_BYTES, over);
    store_free(st);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("store");

    add_tcase(s, tcase_create("basics"), 60, NULL, NULL, put_get_delete, put_without_id_fails,
              replace_same_id, settle_compare_and_swap, clear_and_growth, bytes_round_trip);

    add_tcase(s, tcase_create("eviction"), 60, NULL, NULL, evict_oldest_first, evict_by_bytes,
              capacity_zero_means_one, references_outlive_eviction);

    add_tcase(s, tcase_create("memory"), 120, NULL, NULL, bytes_match_rss,
              budget_holds_with_two_workers);

    add_tcase(s, tcase_create("concurrency"), 120, NULL, NULL, concurrent_put_get_delete);

    add_tcase(s, tcase_create("redis"), 120, harness_redis_setup, harness_redis_teardown,
              put_get_delete, put_without_id_fails, replace_same_id, settle_compare_and_swap,
              evict_oldest_first, evict_by_bytes, capacity_zero_means_one,
              references_outlive_eviction);
    add_tcase(s, tcase_create("redis_concurrency"), 120, harness_redis_setup,
              harness_redis_teardown, concurrent_put_get_delete);

    return s;
}
