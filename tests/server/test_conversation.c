/* Unit tests for server/conversation.c, the store alone: add, snapshot and
 * append (the item limit is -2 and all or nothing, turns counted), the
 * oldest evicted past the conversation limit, set_metadata replacing the
 * public object (references handed out stay as they were), delete, the
 * item get/delete return codes, clear and count; the byte limit (oldest
 * evicted, never the one written to, one alone over it refused). The
 * same cases run again against the Redis backend (conversation_share) with
 * a redis-server of the test's own ("redis" cases); there bytes are those
 * of the JSON kept in Redis and references are never shared. Threads
 * appending to one conversation at once never take it past its item limit
 * (the check and the append are one step: a lock, or one Lua script). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"
#include "conversation.h"

/* A store of the backend under test (harness_redis: the Redis one), empty. */
static struct conversation_store *new_cs(unsigned max, unsigned max_items, size_t max_bytes)
{
    struct conversation_store *cs = conversation_store_new(max, max_items, max_bytes);

    ck_assert_ptr_nonnull(cs);
    if (harness_redis) {
        conversation_share(cs, harness_redis);
        ck_assert_int_eq(conversation_store_clear(cs), 0);
    }
    return cs;
}

static json_t *conv_object(const char *id)
{
    return json_pack("{s:s, s:s, s:I, s:{}}", "id", id, "object", "conversation", "created_at",
                     (json_int_t)1700000000, "metadata");
}

static json_t *item(const char *id)
{
    return json_pack("{s:s, s:s}", "id", id, "type", "message");
}

/* The ids of 'items' joined by spaces, in a static buffer. */
static const char *ids_of(const json_t *items)
{
    static char out[1024];
    size_t i, n = 0;
    json_t *it;

    out[0] = '\0';
    json_array_foreach(items, i, it)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "",
                              json_util_str(it, "id"));
    return out;
}

/* Snapshot 'id' and return its item ids ("(unknown)" when it is not kept). */
static const char *snap_ids(struct conversation_store *cs, const char *id, int *turns)
{
    json_t *items;
    const char *s;

    if (conversation_snapshot(cs, id, &items, turns) != 0) {
        ck_assert_ptr_null(items);
        return "(unknown)";
    }
    s = ids_of(items);
    json_decref(items);
    return s;
}

START_TEST(add_snapshot_append)
{
    struct conversation_store *cs = new_cs(10, 5, 0);
    json_t *items, *more, *o;
    int turns = -1;

    ck_assert_uint_eq(conversation_store_count(cs), 0);
    ck_assert_uint_eq(conversation_store_max_items(cs), 5);
    ck_assert_int_eq(conversation_add(cs, "conv_a", conv_object("conv_a"),
                                      json_pack("[o, o]", item("m1"), item("m2"))),
                     0);
    ck_assert_int_eq(conversation_add(cs, "conv_b", conv_object("conv_b"), json_array()), 0);
    ck_assert_uint_eq(conversation_store_count(cs), 2);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2");
    ck_assert_int_eq(turns, 0);
    ck_assert_str_eq(snap_ids(cs, "conv_b", &turns), "");
    ck_assert_str_eq(snap_ids(cs, "conv_zzz", &turns), "(unknown)");

    o = conversation_object(cs, "conv_a");
    ck_assert_str_eq(json_util_str(o, "id"), "conv_a");
    json_decref(o);
    ck_assert_ptr_null(conversation_object(cs, "conv_zzz"));

    /* A snapshot is the caller's own array: appending to it changes nothing. */
    ck_assert_int_eq(conversation_snapshot(cs, "conv_a", &items, &turns), 0);
    json_array_append_new(items, item("mine"));
    json_decref(items);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2");

    /* Append with and without a turn. */
    more = json_pack("[o]", item("m3"));
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 1), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2 m3");
    ck_assert_int_eq(turns, 1);
    json_decref(more);
    more = json_pack("[o]", item("m4"));
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 0), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2 m3 m4");
    ck_assert_int_eq(turns, 1);
    json_decref(more);

    /* Unknown: -1. */
    more = json_pack("[o]", item("x"));
    ck_assert_int_eq(conversation_append(cs, "conv_zzz", more, 1), -1);
    json_decref(more);

    /* Up to the limit exactly is fine; one more is -2, all or nothing. */
    more = json_pack("[o, o]", item("m5"), item("m6"));
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 1), -2);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2 m3 m4");
    ck_assert_int_eq(turns, 1); /* a refused append is no turn */
    json_decref(more);
    more = json_pack("[o]", item("m5"));
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 1), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2 m3 m4 m5");
    ck_assert_int_eq(turns, 2);
    json_decref(more);
    more = json_pack("[o]", item("m6"));
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 0), -2);
    json_decref(more);
    /* An empty append is a turn without items. */
    more = json_array();
    ck_assert_int_eq(conversation_append(cs, "conv_a", more, 1), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m2 m3 m4 m5");
    ck_assert_int_eq(turns, 3);
    json_decref(more);
    /* The other conversation was never touched. */
    ck_assert_str_eq(snap_ids(cs, "conv_b", &turns), "");
    ck_assert_int_eq(turns, 0);
    conversation_store_free(cs);
    conversation_store_free(NULL);
}
END_TEST

START_TEST(add_rejects_bad_arguments)
{
    struct conversation_store *cs = new_cs(10, 5, 0);
    char long_id[100];

    /* Both are stolen even when refused (the sanitizer build checks leaks). */
    ck_assert_int_eq(conversation_add(cs, "conv_x", NULL, json_array()), -1);
    ck_assert_int_eq(conversation_add(cs, "conv_x", conv_object("conv_x"), NULL), -1);
    memset(long_id, 'c', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    ck_assert_int_eq(conversation_add(cs, long_id, conv_object(long_id), json_array()), -1);
    ck_assert_uint_eq(conversation_store_count(cs), 0);
    conversation_store_free(cs);
}
END_TEST

START_TEST(oldest_evicted_past_the_limit)
{
    struct conversation_store *cs = new_cs(3, 10, 0);
    char id[32];
    int i, turns;

    for (i = 1; i <= 5; i++) {
        snprintf(id, sizeof(id), "conv_%d", i);
        ck_assert_int_eq(conversation_add(cs, id, conv_object(id), json_pack("[o]", item(id))),
                         0);
        ck_assert_uint_eq(conversation_store_count(cs), i < 3 ? (size_t)i : 3);
    }
    /* 1 and 2 went, in creation order; 3..5 stay whole. */
    ck_assert_str_eq(snap_ids(cs, "conv_1", &turns), "(unknown)");
    ck_assert_str_eq(snap_ids(cs, "conv_2", &turns), "(unknown)");
    ck_assert_ptr_null(conversation_object(cs, "conv_1"));
    ck_assert_str_eq(snap_ids(cs, "conv_3", &turns), "conv_3");
    ck_assert_str_eq(snap_ids(cs, "conv_5", &turns), "conv_5");

    /* Use does not protect from eviction: it goes by creation. */
    {
        json_t *more = json_pack("[o]", item("late"));
        ck_assert_int_eq(conversation_append(cs, "conv_3", more, 1), 0);
        json_decref(more);
    }
    ck_assert_int_eq(conversation_add(cs, "conv_6", conv_object("conv_6"), json_array()), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_3", &turns), "(unknown)");
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "conv_4");

    /* Deleting one frees its place: the next add evicts nothing. */
    ck_assert_int_eq(conversation_delete(cs, "conv_5"), 0);
    ck_assert_uint_eq(conversation_store_count(cs), 2);
    ck_assert_int_eq(conversation_add(cs, "conv_7", conv_object("conv_7"), json_array()), 0);
    ck_assert_uint_eq(conversation_store_count(cs), 3);
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "conv_4");
    /* Eviction after a delete in the middle keeps the order right. */
    ck_assert_int_eq(conversation_add(cs, "conv_8", conv_object("conv_8"), json_array()), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "(unknown)");
    ck_assert_str_eq(snap_ids(cs, "conv_6", &turns), "");
    ck_assert_int_eq(conversation_add(cs, "conv_9", conv_object("conv_9"), json_array()), 0);
    ck_assert_str_eq(snap_ids(cs, "conv_6", &turns), "(unknown)");
    ck_assert_str_eq(snap_ids(cs, "conv_7", &turns), "");
    ck_assert_uint_eq(conversation_store_count(cs), 3);
    conversation_store_free(cs);

    /* A limit of 0 is taken as 1. */
    cs = new_cs(0, 1, 0);
    conversation_add(cs, "conv_a", conv_object("conv_a"), json_array());
    conversation_add(cs, "conv_b", conv_object("conv_b"), json_array());
    ck_assert_uint_eq(conversation_store_count(cs), 1);
    ck_assert_ptr_null(conversation_object(cs, "conv_a"));
    conversation_store_free(cs);
}
END_TEST

START_TEST(set_metadata_replaces_the_object)
{
    struct conversation_store *cs = new_cs(10, 10, 0);
    json_t *old, *fresh = NULL, *again = NULL, *md = json_pack("{s:s}", "topic", "demo");
    int turns;

    conversation_add(cs, "conv_a", conv_object("conv_a"), json_pack("[o]", item("m1")));
    old = conversation_object(cs, "conv_a");
    ck_assert_int_eq(conversation_set_metadata(cs, "conv_a", md, &fresh), 0);
    ck_assert_ptr_ne(fresh, old);
    ck_assert_str_eq(json_util_str(json_object_get(fresh, "metadata"), "topic"), "demo");
    ck_assert_str_eq(json_util_str(fresh, "id"), "conv_a");
    ck_assert_str_eq(json_util_str(fresh, "object"), "conversation");
    ck_assert(json_equal(json_object_get(fresh, "created_at"), json_object_get(old, "created_at")));
    /* The reference handed out before is unchanged. */
    ck_assert_uint_eq(json_object_size(json_object_get(old, "metadata")), 0);
    /* The metadata is copied: changing the caller's object changes nothing. */
    json_object_set_new(md, "topic", json_string("changed"));
    again = conversation_object(cs, "conv_a");
    if (!harness_redis) /* the memory store hands out its own object */
        ck_assert_ptr_eq(again, fresh);
    ck_assert(json_equal(again, fresh));
    ck_assert_str_eq(json_util_str(json_object_get(again, "metadata"), "topic"), "demo");
    json_decref(again);
    /* Items are kept. */
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1");

    /* null (or anything not an object) gives {}. */
    json_decref(fresh);
    ck_assert_int_eq(conversation_set_metadata(cs, "conv_a", json_null(), &fresh), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(fresh, "metadata")), 0);
    ck_assert(json_is_object(json_object_get(fresh, "metadata")));
    json_decref(fresh);
    ck_assert_int_eq(conversation_set_metadata(cs, "conv_a", NULL, &fresh), 0);
    ck_assert(json_is_object(json_object_get(fresh, "metadata")));
    json_decref(fresh);

    /* Unknown: -1 and no object. */
    fresh = json_object(); /* overwritten with NULL, so release it first */
    {
        json_t *keep = fresh;
        ck_assert_int_eq(conversation_set_metadata(cs, "conv_zzz", md, &fresh), -1);
        ck_assert_ptr_null(fresh);
        json_decref(keep);
    }
    /* The old object outlives the store. */
    conversation_store_free(cs);
    ck_assert_str_eq(json_util_str(old, "id"), "conv_a");
    json_decref(old);
    json_decref(md);
}
END_TEST

START_TEST(delete_items_clear)
{
    struct conversation_store *cs = new_cs(10, 10, 0);
    json_t *it = NULL, *o = NULL;
    int turns;

    conversation_add(cs, "conv_a", conv_object("conv_a"),
                     json_pack("[o, o, o]", item("m1"), item("m2"), item("m3")));
    conversation_add(cs, "conv_b", conv_object("conv_b"), json_pack("[o]", item("m1")));

    /* item_get: 0 with the item, -1 unknown conversation, -2 unknown item. */
    ck_assert_int_eq(conversation_item_get(cs, "conv_a", "m2", &it), 0);
    ck_assert_str_eq(json_util_str(it, "id"), "m2");
    json_decref(it);
    ck_assert_int_eq(conversation_item_get(cs, "conv_zzz", "m2", &it), -1);
    ck_assert_ptr_null(it);
    ck_assert_int_eq(conversation_item_get(cs, "conv_a", "m9", &it), -2);
    ck_assert_ptr_null(it);

    /* item_delete: the same codes; 0 answers the conversation object. */
    ck_assert_int_eq(conversation_item_get(cs, "conv_a", "m2", &it), 0);
    ck_assert_int_eq(conversation_item_delete(cs, "conv_a", "m2", &o), 0);
    ck_assert_str_eq(json_util_str(o, "id"), "conv_a");
    ck_assert_str_eq(json_util_str(o, "object"), "conversation");
    json_decref(o);
    /* An item handed out before stays valid. */
    ck_assert_str_eq(json_util_str(it, "id"), "m2");
    json_decref(it);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m1 m3");
    ck_assert_int_eq(conversation_item_delete(cs, "conv_a", "m2", &o), -2);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(conversation_item_delete(cs, "conv_zzz", "m1", &o), -1);
    ck_assert_ptr_null(o);
    /* Same item id in another conversation: untouched. */
    ck_assert_str_eq(snap_ids(cs, "conv_b", &turns), "m1");
    /* A deleted item frees room under the limit. */
    ck_assert_int_eq(conversation_item_delete(cs, "conv_a", "m1", &o), 0);
    json_decref(o);
    ck_assert_str_eq(snap_ids(cs, "conv_a", &turns), "m3");

    /* delete: 0, then -1. */
    ck_assert_int_eq(conversation_delete(cs, "conv_a"), 0);
    ck_assert_int_eq(conversation_delete(cs, "conv_a"), -1);
    ck_assert_ptr_null(conversation_object(cs, "conv_a"));
    ck_assert_int_eq(conversation_item_get(cs, "conv_a", "m3", &it), -1);
    ck_assert_uint_eq(conversation_store_count(cs), 1);

    /* clear: nothing left, and the store is usable again. */
    conversation_add(cs, "conv_c", conv_object("conv_c"), json_array());
    ck_assert_uint_eq(conversation_store_count(cs), 2);
    conversation_store_clear(cs);
    ck_assert_uint_eq(conversation_store_count(cs), 0);
    ck_assert_ptr_null(conversation_object(cs, "conv_b"));
    ck_assert_ptr_null(conversation_object(cs, "conv_c"));
    ck_assert_int_eq(conversation_add(cs, "conv_b", conv_object("conv_b"), json_array()), 0);
    ck_assert_uint_eq(conversation_store_count(cs), 1);
    ck_assert_str_eq(snap_ids(cs, "conv_b", &turns), "");
    ck_assert_int_eq(turns, 0);
    conversation_store_free(cs);
}
END_TEST

/* An item of about 'n' bytes of text. */
static json_t *big_item(const char *id, size_t n)
{
    char *text = malloc(n + 1);
    json_t *it;

    memset(text, 'x', n);
    text[n] = '\0';
    it = json_pack("{s:s, s:s, s:s}", "id", id, "type", "message", "text", text);
    free(text);
    return it;
}

START_TEST(byte_limit_evicts_oldest_and_refuses_one_too_big)
{
    /* room for three conversations of one 8000-byte item, not four */
    struct conversation_store *cs = new_cs(100, 100, 30000);
    char id[32];
    json_t *more;
    int i, turns;

    for (i = 1; i <= 6; i++) {
        snprintf(id, sizeof(id), "conv_%d", i);
        ck_assert_int_eq(
            conversation_add(cs, id, conv_object(id), json_pack("[o]", big_item(id, 8000))), 0);
        ck_assert_uint_le(conversation_store_bytes(cs), 30000);
        ck_assert_uint_ge(conversation_store_bytes(cs), 8000 * (i < 3 ? i : 3));
    }
    ck_assert_uint_eq(conversation_store_count(cs), 3);
    ck_assert_str_eq(snap_ids(cs, "conv_3", &turns), "(unknown)");
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "conv_4");

    /* growing the oldest evicts the others, never itself */
    more = json_pack("[o]", big_item("m1", 8000));
    ck_assert_int_eq(conversation_append(cs, "conv_4", more, 1), 0);
    json_decref(more);
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "conv_4 m1");
    ck_assert_str_eq(snap_ids(cs, "conv_5", &turns), "(unknown)");
    ck_assert_uint_le(conversation_store_bytes(cs), 30000);

    /* a conversation that alone would go over is refused, unchanged */
    more = json_pack("[o]", big_item("m2", 20000));
    ck_assert_int_eq(conversation_append(cs, "conv_4", more, 1), -2);
    json_decref(more);
    ck_assert_str_eq(snap_ids(cs, "conv_4", &turns), "conv_4 m1");
    ck_assert_int_eq(conversation_add(cs, "conv_big", conv_object("conv_big"),
                                      json_pack("[o]", big_item("b", 40000))),
                     -2);
    ck_assert_ptr_null(conversation_object(cs, "conv_big"));

    /* deleting gives the bytes back; clear gives all */
    {
        size_t before = conversation_store_bytes(cs);
        json_t *obj;

        ck_assert_int_eq(conversation_item_delete(cs, "conv_4", "m1", &obj), 0);
        json_decref(obj);
        ck_assert_uint_le(conversation_store_bytes(cs), before - 8000);
    }
    conversation_store_clear(cs);
    ck_assert_uint_eq(conversation_store_bytes(cs), 0);
    conversation_store_free(cs);
}
END_TEST

#define RACERS 4
#define RACE_TRIES 30
#define RACE_LIMIT 50 /* fewer than RACERS * RACE_TRIES: some appends must be refused */

struct racer {
    struct conversation_store *cs;
    int n, accepted;
};

/* Append one item at a time to "conv_race" until tried RACE_TRIES times. */
static void *race_append(void *arg)
{
    struct racer *r = arg;
    char id[32];
    int k;

    for (k = 0; k < RACE_TRIES; k++) {
        json_t *more;
        int rc;

        snprintf(id, sizeof(id), "m%d_%d", r->n, k);
        more = json_pack("[o]", item(id));
        rc = conversation_append(r->cs, "conv_race", more, 1);
        json_decref(more);
        if (rc == 0)
            r->accepted++;
        else if (rc != -2)
            r->accepted = -1000; /* anything but "full" is a failure */
    }
    return NULL;
}

START_TEST(racing_appends_stop_at_the_item_limit)
{
    struct conversation_store *cs = new_cs(10, RACE_LIMIT, 0);
    struct racer r[RACERS];
    pthread_t th[RACERS];
    json_t *items;
    int i, turns, total = 0;

    ck_assert_int_eq(conversation_add(cs, "conv_race", conv_object("conv_race"), json_array()), 0);
    for (i = 0; i < RACERS; i++) {
        r[i] = (struct racer){.cs = cs, .n = i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, race_append, &r[i]), 0);
    }
    for (i = 0; i < RACERS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_ge(r[i].accepted, 0);
        total += r[i].accepted;
    }
    /* Exactly the limit went in, each accepted append once, as one turn. */
    ck_assert_int_eq(total, RACE_LIMIT);
    ck_assert_int_eq(conversation_snapshot(cs, "conv_race", &items, &turns), 0);
    ck_assert_uint_eq(json_array_size(items), RACE_LIMIT);
    ck_assert_int_eq(turns, RACE_LIMIT);
    json_decref(items);
    conversation_store_free(cs);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("conversation");

    add_tcase(s, tcase_create("items"), 30, NULL, NULL, add_snapshot_append,
              add_rejects_bad_arguments, racing_appends_stop_at_the_item_limit);
    add_tcase(s, tcase_create("eviction"), 30, NULL, NULL, oldest_evicted_past_the_limit,
              byte_limit_evicts_oldest_and_refuses_one_too_big);
    add_tcase(s, tcase_create("objects"), 30, NULL, NULL, set_metadata_replaces_the_object,
              delete_items_clear);
    add_tcase(s, tcase_create("redis"), 120, harness_redis_setup, harness_redis_teardown,
              add_snapshot_append, add_rejects_bad_arguments, oldest_evicted_past_the_limit,
              byte_limit_evicts_oldest_and_refuses_one_too_big, set_metadata_replaces_the_object,
              delete_items_clear, racing_appends_stop_at_the_item_limit);
    return s;
}
