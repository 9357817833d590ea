/* Unit tests for server/handle_conversations.c through router calls (no
 * socket): each Conversations route's status and shape, unknown ids (404
 * envelopes), bad bodies (400 with the param), item pages, the item limit,
 * and a conversation named by POST /v1/responses. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "conversation.h"
#include "json_util.h"
#include "limits.h"
#include "server_harness.h"
#include "test_support.h"

/* A new conversation from 'body' (NULL: none); its id into 'id'. */
static json_t *create(const char *body, char *id, size_t id_len)
{
    json_t *c = call_ok("POST", "/v1/conversations", body);

    ck_assert_msg(harness_is_id(json_util_str(c, "id"), RM_ID_CONVERSATION, 48), "id %s",
                  json_util_str(c, "id"));
    ck_assert_str_eq(json_util_str(c, "object"), "conversation");
    ck_assert(json_is_integer(json_object_get(c, "created_at")));
    ck_assert(json_is_object(json_object_get(c, "metadata")));
    ck_assert_uint_eq(json_object_size(c), 4);
    snprintf(id, id_len, "%s", json_util_str(c, "id"));
    return c;
}

/* {"items":[...]} with 'n' easy user messages (new allocation). */
static char *items_body(size_t n)
{
    static const char one[] = "{\"role\":\"user\",\"content\":\"x\"}";
    char *big = malloc(n * sizeof(one) + 16), *p = big;
    size_t i;

    p += sprintf(p, "{\"items\":[");
    for (i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", one);
    strcpy(p, "]}");
    return big;
}

/* The ids of the data of a list reply, space-separated, in a static buffer. */
static const char *data_ids(const json_t *list)
{
    static char out[2048];
    size_t i, n = 0;
    json_t *it;

    out[0] = '\0';
    json_array_foreach(json_object_get(list, "data"), i, it)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "",
                              json_util_str(it, "id"));
    return out;
}

START_TEST(create_get_delete)
{
    char id[80];
    json_t *c = create(NULL, id, sizeof(id)), *g, *d;

    ck_assert_uint_eq(json_object_size(json_object_get(c, "metadata")), 0);
    g = call_ok("GET", pathf("/v1/conversations/%s", id), NULL);
    ck_assert(json_equal(g, c));
    json_decref(g);
    json_decref(c);
    /* Empty and whitespace bodies count as {}. */
    json_decref(create("", id, sizeof(id)));
    json_decref(create(" \n", id, sizeof(id)));
    c = create("{\"metadata\":{\"topic\":\"demo\"}}", id, sizeof(id));
    ck_assert_str_eq(json_util_str(json_object_get(c, "metadata"), "topic"), "demo");
    json_decref(c);

    d = call_ok("DELETE", pathf("/v1/conversations/%s", id), NULL);
    ck_assert_str_eq(json_util_str(d, "id"), id);
    ck_assert_str_eq(json_util_str(d, "object"), "conversation.deleted");
    ck_assert(json_is_true(json_object_get(d, "deleted")));
    json_decref(d);
    call_fails("GET", pathf("/v1/conversations/%s", id), NULL, 404, NULL, NULL);
    call_fails("DELETE", pathf("/v1/conversations/%s", id), NULL, 404, NULL, NULL);
    ck_assert_uint_eq(conversation_store_count(bench_srv->conversations), 3);
}
END_TEST

START_TEST(unknown_ids_are_404)
{
    struct rm_reply r;
    json_t *doc, *e;
    char id[80];

    doc = call("GET", "/v1/conversations/conv_nope", NULL, &r);
    e = expect_error(doc, &r, 404);
    ck_assert_str_eq(json_util_str(e, "type"), "invalid_request_error");
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "'conv_nope'"));
    json_decref(doc);
    reply_release(&r);
    call_fails("POST", "/v1/conversations/conv_nope", "{\"metadata\":{}}", 404, NULL, NULL);
    call_fails("DELETE", "/v1/conversations/conv_nope", NULL, 404, NULL, NULL);
    call_fails("GET", "/v1/conversations/conv_nope/items", NULL, 404, NULL, NULL);
    call_fails("POST", "/v1/conversations/conv_nope/items",
               "{\"items\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 404, NULL, NULL);
    call_fails("GET", "/v1/conversations/conv_nope/items/msg_1", NULL, 404, NULL, NULL);
    call_fails("DELETE", "/v1/conversations/conv_nope/items/msg_1", NULL, 404, NULL, NULL);

    /* An unknown item of a known conversation names the item. */
    json_decref(create(NULL, id, sizeof(id)));
    doc = call("GET", pathf("/v1/conversations/%s/items/msg_nope", id), NULL, &r);
    e = expect_error(doc, &r, 404);
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "Item with id 'msg_nope'"));
    json_decref(doc);
    reply_release(&r);
    call_fails("DELETE", pathf("/v1/conversations/%s/items/msg_nope", id), NULL, 404, NULL,
               NULL);
}
END_TEST

START_TEST(bad_bodies_are_400)
{
    char id[80], *big;
    json_t *c;

    call_fails("POST", "/v1/conversations", "{not json", 400, NULL, NULL);
    call_fails("POST", "/v1/conversations", "[1]", 400, "invalid_type", NULL);
    call_fails("POST", "/v1/conversations", "{\"metadata\":{\"n\":1}}", 400, "invalid_type",
               "metadata.n");
    call_fails("POST", "/v1/conversations", "{\"items\":{}}", 400, "invalid_type", "items");
    /* Item problems are reported under "items", not "input". */
    {
        struct rm_reply r;
        json_t *doc = call("POST", "/v1/conversations",
                           "{\"items\":[{\"role\":\"user\",\"content\":\"ok\"},{\"role\":\"user\","
                           "\"content\":42}]}",
                           &r);
        json_t *e = expect_error(doc, &r, 400);
        ck_assert_msg(strncmp(json_util_str(e, "param"), "items[1]", 8) == 0, "param %s",
                      json_util_str(e, "param"));
        json_decref(doc);
        reply_release(&r);
    }
    /* Too many items at once. */
    big = items_body(RM_MAX_CONVERSATION_ITEMS + 1);
    call_fails("POST", "/v1/conversations", big, 400, "array_above_max_length", "items");
    free(big);
    ck_assert_uint_eq(conversation_store_count(bench_srv->conversations), 0);

    c = create(NULL, id, sizeof(id));
    call_fails("POST", pathf("/v1/conversations/%s", id), "{}", 400, "missing_required_parameter",
               "metadata");
    call_fails("POST", pathf("/v1/conversations/%s", id), "{\"metadata\":{\"n\":1}}", 400,
               "invalid_type", "metadata.n");
    call_fails("POST", pathf("/v1/conversations/%s", id), "{oops", 400, NULL, NULL);
    call_fails("POST", pathf("/v1/conversations/%s/items", id), "{}", 400,
               "missing_required_parameter", "items");
    call_fails("POST", pathf("/v1/conversations/%s/items", id), "{\"items\":\"x\"}", 400,
               "invalid_type", "items");
    call_fails("GET", pathf("/v1/conversations/%s/items?limit=0", id), NULL, 400,
               "invalid_value", "limit");
    call_fails("GET", pathf("/v1/conversations/%s/items?limit=101", id), NULL, 400,
               "invalid_value", "limit");
    call_fails("GET", pathf("/v1/conversations/%s/items?order=up", id), NULL, 400,
               "invalid_value", "order");
    json_decref(c);
}
END_TEST

START_TEST(update_replaces_metadata)
{
    char id[80];
    json_t *c = create("{\"metadata\":{\"a\":\"1\",\"b\":\"2\"}}", id, sizeof(id)), *u, *g;

    u = call_ok("POST", pathf("/v1/conversations/%s", id), "{\"metadata\":{\"c\":\"3\"}}");
    ck_assert_str_eq(json_util_str(u, "id"), id);
    ck_assert_str_eq(json_util_str(u, "object"), "conversation");
    ck_assert(json_equal(json_object_get(u, "created_at"), json_object_get(c, "created_at")));
    /* replaced, not merged */
    ck_assert_uint_eq(json_object_size(json_object_get(u, "metadata")), 1);
    ck_assert_str_eq(json_util_str(json_object_get(u, "metadata"), "c"), "3");
    g = call_ok("GET", pathf("/v1/conversations/%s", id), NULL);
    ck_assert(json_equal(g, u));
    json_decref(g);
    json_decref(u);
    /* null clears it */
    u = call_ok("POST", pathf("/v1/conversations/%s", id), "{\"metadata\":null}");
    ck_assert_uint_eq(json_object_size(json_object_get(u, "metadata")), 0);
    ck_assert(json_is_object(json_object_get(u, "metadata")));
    json_decref(u);
    json_decref(c);
}
END_TEST

START_TEST(items_add_list_get_delete)
{
    char id[80], first[80], second[80], third[80];
    json_t *c = create("{\"items\":[{\"role\":\"user\",\"content\":\"one\"}]}", id, sizeof(id));
    json_t *l, *a, *it, *o;

    json_decref(c);
    /* The created item was normalised: a message with an id and parts. */
    l = call_ok("GET", pathf("/v1/conversations/%s/items", id), NULL);
    ck_assert_str_eq(json_util_str(l, "object"), "list");
    ck_assert_uint_eq(json_array_size(json_object_get(l, "data")), 1);
    it = json_array_get(json_object_get(l, "data"), 0);
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_MESSAGE, 32));
    ck_assert_str_eq(json_util_str(it, "type"), "message");
    ck_assert_str_eq(json_util_str(it, "role"), "user");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(it, "content"), 0), "type"),
                     "input_text");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(it, "content"), 0), "text"),
                     "one");
    snprintf(first, sizeof(first), "%s", json_util_str(it, "id"));
    json_decref(l);

    /* Add two: the reply lists just those. */
    a = call_ok("POST", pathf("/v1/conversations/%s/items", id),
                "{\"items\":[{\"role\":\"assistant\",\"content\":\"two\"},"
                "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                "\"text\":\"three\"}]}]}");
    ck_assert_str_eq(json_util_str(a, "object"), "list");
    ck_assert_uint_eq(json_array_size(json_object_get(a, "data")), 2);
    ck_assert(json_is_false(json_object_get(a, "has_more")));
    snprintf(second, sizeof(second), "%s",
             json_util_str(json_array_get(json_object_get(a, "data"), 0), "id"));
    snprintf(third, sizeof(third), "%s",
             json_util_str(json_array_get(json_object_get(a, "data"), 1), "id"));
    ck_assert_str_eq(json_util_str(a, "first_id"), second);
    ck_assert_str_eq(json_util_str(a, "last_id"), third);
    json_decref(a);

    /* Pages: newest first by default, asc on request, limit and after. */
    l = call_ok("GET", pathf("/v1/conversations/%s/items", id), NULL);
    {
        char want[256];
        snprintf(want, sizeof(want), "%s %s %s", third, second, first);
        ck_assert_str_eq(data_ids(l), want);
        ck_assert_str_eq(json_util_str(l, "first_id"), third);
        ck_assert_str_eq(json_util_str(l, "last_id"), first);
        json_decref(l);
        l = call_ok("GET", pathf("/v1/conversations/%s/items?order=asc", id), NULL);
        snprintf(want, sizeof(want), "%s %s %s", first, second, third);
        ck_assert_str_eq(data_ids(l), want);
        ck_assert(json_is_false(json_object_get(l, "has_more")));
        json_decref(l);
        l = call_ok("GET", pathf("/v1/conversations/%s/items?order=asc&limit=1", id), NULL);
        ck_assert_str_eq(data_ids(l), first);
        ck_assert(json_is_true(json_object_get(l, "has_more")));
        json_decref(l);
        l = call_ok("GET", pathf("/v1/conversations/%s/items?order=asc&after=%s", id, first),
                    NULL);
        snprintf(want, sizeof(want), "%s %s", second, third);
        ck_assert_str_eq(data_ids(l), want);
        json_decref(l);
        l = call_ok("GET", pathf("/v1/conversations/%s/items?after=msg_unknown", id), NULL);
        ck_assert_str_eq(data_ids(l), "");
        ck_assert(json_is_null(json_object_get(l, "first_id")));
        ck_assert(json_is_null(json_object_get(l, "last_id")));
        json_decref(l);
    }

    /* One item, then delete it: the answer is the conversation. */
    it = call_ok("GET", pathf("/v1/conversations/%s/items/%s", id, second), NULL);
    ck_assert_str_eq(json_util_str(it, "id"), second);
    ck_assert_str_eq(json_util_str(it, "role"), "assistant");
    json_decref(it);
    o = call_ok("DELETE", pathf("/v1/conversations/%s/items/%s", id, second), NULL);
    ck_assert_str_eq(json_util_str(o, "id"), id);
    ck_assert_str_eq(json_util_str(o, "object"), "conversation");
    json_decref(o);
    call_fails("GET", pathf("/v1/conversations/%s/items/%s", id, second), NULL, 404, NULL, NULL);
    l = call_ok("GET", pathf("/v1/conversations/%s/items?order=asc", id), NULL);
    {
        char want[256];
        snprintf(want, sizeof(want), "%s %s", first, third);
        ck_assert_str_eq(data_ids(l), want);
    }
    json_decref(l);
}
END_TEST

START_TEST(item_limit_is_400)
{
    char id[80], *big = items_body(RM_MAX_CONVERSATION_ITEMS);
    json_t *c, *l;

    c = create(big, id, sizeof(id));
    free(big);
    json_decref(c);
    call_fails("POST", pathf("/v1/conversations/%s/items", id),
               "{\"items\":[{\"role\":\"user\",\"content\":\"one too many\"}]}", 400,
               "conversation_too_large", "items");
    l = call_ok("GET", pathf("/v1/conversations/%s/items?limit=100", id), NULL);
    ck_assert(json_is_true(json_object_get(l, "has_more")));
    json_decref(l);
}
END_TEST

START_TEST(responses_extend_the_conversation)
{
    char id[80], body[256];
    json_t *c = create("{\"items\":[{\"role\":\"user\",\"content\":\"earlier\"}]}", id,
                       sizeof(id)), *r, *l;

    json_decref(c);
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4.1\",\"input\":\"now\",\"conversation\":\"%s\"}", id);
    r = call_ok("POST", "/v1/responses", body);
    ck_assert_str_eq(json_util_str(json_object_get(r, "conversation"), "id"), id);
    /* earlier, now, then the answer */
    l = call_ok("GET", pathf("/v1/conversations/%s/items?order=asc", id), NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(l, "data")), 3);
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(l, "data"), 2), "id"),
                     json_util_str(json_array_get(json_object_get(r, "output"), 0), "id"));
    json_decref(l);
    json_decref(r);
    /* A deleted conversation can no longer be named. */
    json_decref(call_ok("DELETE", pathf("/v1/conversations/%s", id), NULL));
    call_fails("POST", "/v1/responses", body, 404, NULL, "conversation");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_conversations");

    add_tcase(s, tcase_create("routes"), 60, harness_setup, harness_teardown, create_get_delete,
              update_replaces_metadata, items_add_list_get_delete,
              responses_extend_the_conversation);
    add_tcase(s, tcase_create("errors"), 60, harness_setup, harness_teardown, unknown_ids_are_404,
              bad_bodies_are_400, item_limit_is_400);
    return s;
}
