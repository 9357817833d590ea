/* Unit tests for server/store.c: put/get/delete, replacement, global
 * oldest-first eviction across shards, settle (compare-and-swap), clear,
 * bucket growth, references that outlive eviction, and concurrent use from
 * several threads (run under the sanitizer build too). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "test_support.h"

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
    e.context = json_array();
    e.events = one_event("x");
    snprintf(e.fixture, sizeof(e.fixture), "fx-%d", turn);
    e.turn = turn;
    return e;
}

static void put(struct store *st, const char *id, int turn)
{
    struct stored e = make_entry(id, turn);

    ck_assert_int_eq(store_put(st, &e), 0);
    ck_assert_ptr_null(e.response); /* ownership moved */
}

static int has(struct store *st, const char *id)
{
    struct stored s;
    int rc = store_get(st, id, &s);

    stored_release(&s);
    return rc == 0;
}

START_TEST(put_get_delete)
{
    struct store *st = store_new(10, 0);
    struct stored s;

    ck_assert_ptr_nonnull(st);
    put(st, "resp_a", 1);
    put(st, "resp_b", 2);
    ck_assert_uint_eq(store_count(st), 2);
    ck_assert_int_eq(store_get(st, "resp_b", &s), 0);
    ck_assert_str_eq(json_string_value(json_object_get(s.response, "id")), "resp_b");
    ck_assert_int_eq(s.turn, 2);
    ck_assert_str_eq(s.fixture, "fx-2");
    ck_assert_int_eq((int)json_array_size(s.input_items), 1);
    ck_assert_ptr_nonnull(s.events);
    stored_release(&s);
    ck_assert_ptr_null(s.response);

    ck_assert_int_eq(store_get(st, "resp_nope", &s), -1);
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
    struct store *st = store_new(2, 0);
    struct stored e = make_entry("x", 1);

    json_object_del(e.response, "id");
    ck_assert_int_eq(store_put(st, &e), -1);
    ck_assert_ptr_null(e.response); /* released on failure too */
    ck_assert_uint_eq(store_count(st), 0);
    store_free(st);
}
END_TEST

START_TEST(replace_same_id)
{
    struct store *st = store_new(5, 0);
    struct stored s;

    put(st, "resp_same", 1);
    put(st, "resp_same", 7);
    ck_assert_uint_eq(store_count(st), 1);
    ck_assert_int_eq(store_get(st, "resp_same", &s), 0);
    ck_assert_int_eq(s.turn, 7);
    stored_release(&s);
    store_free(st);
}
END_TEST

/* The byte budget evicts oldest first too, but never the newest entry. */
START_TEST(evict_by_bytes)
{
    struct store *st = store_new(100, 1000);
    struct stored e;
    int i;

    for (i = 0; i < 4; i++) {
        char id[32];

        snprintf(id, sizeof(id), "resp_%d", i);
        e = make_entry(id, i);
        e.bytes = 300;
        ck_assert_int_eq(store_put(st, &e), 0);
    }
    ck_assert_uint_eq(store_count(st), 3); /* 4 x 300 > 1000: the oldest went */
    ck_assert_uint_eq(store_bytes(st), 900);
    ck_assert(!has(st, "resp_0"));
    ck_assert(has(st, "resp_3"));
    ck_assert_int_eq(store_delete(st, "resp_2"), 0);
    ck_assert_uint_eq(store_bytes(st), 600);
    e = make_entry("resp_big", 9);
    e.bytes = 5000; /* alone over the budget: kept, everything older goes */
    ck_assert_int_eq(store_put(st, &e), 0);
    ck_assert_uint_eq(store_count(st), 1);
    ck_assert(has(st, "resp_big"));
    ck_assert_uint_eq(store_bytes(st), 5000);
    store_clear(st);
    ck_assert_uint_eq(store_bytes(st), 0);
    store_free(st);
}
END_TEST

/* REQ: store-evict-oldest: the entry put longest ago goes first, whatever
 * shard it is in, and deleted entries free their place. */
START_TEST(evict_oldest_first)
{
    struct store *st = store_new(3, 0);
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
    struct store *st = store_new(0, 0);

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
    struct store *st = store_new(1, 0);
    struct stored s;

    put(st, "resp_old", 1);
    ck_assert_int_eq(store_get(st, "resp_old", &s), 0);
    put(st, "resp_new", 2);
    ck_assert(!has(st, "resp_old"));
    ck_assert_str_eq(json_string_value(json_object_get(s.response, "id")), "resp_old");
    ck_assert_str_eq(s.events->v[0].type, "x");
    stored_release(&s);
    ck_assert_int_eq(store_get(st, "resp_new", &s), 0);
    store_clear(st);
    ck_assert_int_eq((int)json_array_size(s.input_items), 1);
    stored_release(&s);
    store_free(st);
}
END_TEST

START_TEST(settle_compare_and_swap)
{
    struct store *st = store_new(4, 0);
    struct stored e = make_entry("resp_bg", 1), s;
    json_t *first;

    e.background = e.live = 1;
    e.duration_ms = 500;
    ck_assert_int_eq(store_put(st, &e), 0);
    ck_assert_int_eq(store_get(st, "resp_bg", &s), 0);
    ck_assert_int_eq(s.live, 1);
    first = json_incref(s.response);
    stored_release(&s);

    /* Wrong expectation: nothing changes, the arguments are released. */
    ck_assert_int_eq(
        store_settle(st, "resp_bg", json_null(), json_pack("{s:s}", "id", "x"), one_event("e")),
        -2);
    ck_assert_int_eq(store_settle(st, "resp_none", first, json_object(), NULL), -1);
    ck_assert_int_eq(store_settle(st, "resp_bg", first,
                                  json_pack("{s:s, s:s}", "id", "resp_bg", "status", "cancelled"),
                                  one_event("settled")),
                     0);
    /* The old value is gone from the store: a second settle against it loses. */
    ck_assert_int_eq(store_settle(st, "resp_bg", first, json_object(), NULL), -2);
    json_decref(first);

    ck_assert_int_eq(store_get(st, "resp_bg", &s), 0);
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
    struct store *st = store_new(20000, 0);
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
        ck_assert_int_eq(store_get(st, id, &s), 0);
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
            if (store_put(w->st, &e) != 0)
                w->failures++;
            break;
        }
        case 2:
        case 3:
            if (store_get(w->st, id, &s) == 0) {
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
            if (store_get(w->st, id, &s) == 0) {
                store_settle(w->st, id, s.response, json_pack("{s:s}", "id", id), NULL);
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
    struct store *st = store_new(CAPACITY, 0);
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

Suite *make_suite(void)
{
    Suite *s = suite_create("store");

    add_tcase(s, tcase_create("basics"), 60, NULL, NULL, put_get_delete, put_without_id_fails,
              replace_same_id, settle_compare_and_swap, clear_and_growth);

    add_tcase(s, tcase_create("eviction"), 60, NULL, NULL, evict_oldest_first, evict_by_bytes,
              capacity_zero_means_one, references_outlive_eviction);

    add_tcase(s, tcase_create("concurrency"), 120, NULL, NULL, concurrent_put_get_delete);

    return s;
}
