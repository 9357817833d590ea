/* Integration tests for the Conversations API (issue 4): create / get /
 * update / delete, item list / add / get / delete with paging, validation,
 * the item and conversation limits, and 'conversation' on POST
 * /v1/responses (items prepended, the new turn appended, turns counted for
 * match.turn, previous_response_id excluded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../server/limits.h"
#include "buf.h"
#include "test_support.h"

static void start(void)
{
    srv_start(&(struct test_server_opts){.fixtures = TEST_DATA_DIR "/lifecycle-fixtures",
                                         .log_level = "warn"});
}

static json_t *new_conversation(const char *body)
{
    long st;
    json_t *c = srv_call("POST", "/v1/conversations", body, &st);

    ck_assert_msg(st == 200, "create conversation %s -> %ld", body ? body : "(none)", st);
    ck_assert_int_eq(strncmp(jstr(c, "id"), "conv_", 5), 0);
    ck_assert_str_eq(jstr(c, "object"), "conversation");
    ck_assert(json_is_integer(json_object_get(c, "created_at")));
    ck_assert(json_is_object(json_object_get(c, "metadata")));
    return c;
}

static json_t *items(const json_t *conv, const char *query)
{
    char path[512];
    long st;
    json_t *l;

    snprintf(path, sizeof(path), "/v1/conversations/%s/items%s", jstr(conv, "id"), query);
    l = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(l, "object"), "list");
    ck_assert(json_is_array(json_object_get(l, "data")));
    ck_assert(json_is_boolean(json_object_get(l, "has_more")));
    return l;
}

START_TEST(create_get_update_delete)
{
    json_t *c = new_conversation("{\"metadata\":{\"topic\":\"demo\"}}"), *g, *u, *d, *e;
    char path[256];
    long st;

    ck_assert_str_eq(jstr(json_object_get(c, "metadata"), "topic"), "demo");
    snprintf(path, sizeof(path), "/v1/conversations/%s", jstr(c, "id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_equal(g, c));

    u = srv_call("POST", path, "{\"metadata\":{\"topic\":\"other\",\"k\":\"v\"}}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(u, "id"), jstr(c, "id"));
    ck_assert_str_eq(jstr(json_object_get(u, "metadata"), "topic"), "other");
    ck_assert_int_eq((int)json_integer_value(json_object_get(u, "created_at")),
                     (int)json_integer_value(json_object_get(c, "created_at")));
    json_decref(g);
    g = srv_call("GET", path, NULL, &st);
    ck_assert(json_equal(g, u));
    srv_expect_error("POST", path, "{}", 400, "missing_required_parameter", "metadata");
    srv_expect_error("POST", path, "{\"metadata\":{\"n\":1}}", 400, "invalid_type", "metadata.n");

    d = srv_call("DELETE", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(d, "id"), jstr(c, "id"));
    ck_assert_str_eq(jstr(d, "object"), "conversation.deleted");
    ck_assert(json_is_true(json_object_get(d, "deleted")));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    srv_expect_error("DELETE", path, NULL, 404, NULL, NULL);
    srv_expect_error("POST", path, "{\"metadata\":{}}", 404, NULL, NULL);

    /* No body at all is an empty conversation. */
    e = new_conversation(NULL);
    ck_assert_int_eq((int)json_object_size(json_object_get(e, "metadata")), 0);
    json_decref(e);
    json_decref(d);
    json_decref(u);
    json_decref(g);
    json_decref(c);
}
END_TEST

START_TEST(items_list_add_get_delete)
{
    json_t *c = new_conversation("{\"items\":["
                                 "{\"role\":\"user\",\"content\":\"one\"},"
                                 "{\"role\":\"assistant\",\"content\":\"two\"},"
                                 "{\"type\":\"message\",\"role\":\"user\",\"content\":"
                                 "[{\"type\":\"input_text\",\"text\":\"three\"}]}]}");
    json_t *l, *a, *g, *d, *data;
    char path[512], after[128];
    long st;
    size_t i;

    /* Default desc; every item has an id. */
    l = items(c, "");
    data = json_object_get(l, "data");
    ck_assert_int_eq((int)json_array_size(data), 3);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(strncmp(jstr(json_array_get(data, i), "id"), "msg_", 4), 0);
    ck_assert_str_eq(
        jstr(json_array_get(json_object_get(json_array_get(data, 0), "content"), 0), "text"),
        "three");
    ck_assert_str_eq(jstr(l, "first_id"), jstr(json_array_get(data, 0), "id"));
    ck_assert_str_eq(jstr(l, "last_id"), jstr(json_array_get(data, 2), "id"));
    json_decref(l);

    /* asc, limit 2, after. */
    l = items(c, "?order=asc&limit=2");
    ck_assert(json_is_true(json_object_get(l, "has_more")));
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "data"), 0), "role"), "user");
    snprintf(after, sizeof(after), "?order=asc&limit=2&after=%s", jstr(l, "last_id"));
    json_decref(l);
    l = items(c, after);
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 1);
    ck_assert(json_is_false(json_object_get(l, "has_more")));
    json_decref(l);

    /* Add two. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", jstr(c, "id"));
    a = srv_call("POST", path,
                 "{\"items\":[{\"role\":\"user\",\"content\":\"four\"},"
                 "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"5\"}]}",
                 &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(a, "object"), "list");
    ck_assert_int_eq((int)json_array_size(json_object_get(a, "data")), 2);
    ck_assert_ptr_nonnull(jstr(json_array_get(json_object_get(a, "data"), 1), "id"));
    ck_assert(json_is_false(json_object_get(a, "has_more")));
    l = items(c, "?limit=100");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 5);
    ck_assert_str_eq(jstr(l, "first_id"), jstr(a, "last_id"));
    json_decref(l);

    /* Get and delete one item; delete answers with the conversation. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items/%s", jstr(c, "id"),
             jstr(a, "first_id"));
    g = srv_call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(g, "id"), jstr(a, "first_id"));
    d = srv_call("DELETE", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(d, "object"), "conversation");
    ck_assert_str_eq(jstr(d, "id"), jstr(c, "id"));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    srv_expect_error("DELETE", path, NULL, 404, NULL, NULL);
    l = items(c, "");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 4);
    json_decref(l);

    /* Errors. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items?limit=0", jstr(c, "id"));
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "limit");
    snprintf(path, sizeof(path), "/v1/conversations/%s/items?order=up", jstr(c, "id"));
    srv_expect_error("GET", path, NULL, 400, "invalid_value", "order");
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", jstr(c, "id"));
    srv_expect_error("POST", path, "{}", 400, "missing_required_parameter", "items");
    srv_expect_error("POST", path, "{\"items\":[{\"type\":\"bogus\"}]}", 400, "invalid_value",
                     "items[0].type");
    srv_expect_error("GET", "/v1/conversations/conv_nope/items", NULL, 404, NULL, NULL);
    srv_expect_error("POST", "/v1/conversations/conv_nope/items",
                     "{\"items\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404, NULL, NULL);
    srv_expect_error("GET", "/v1/conversations/conv_nope/items/msg_x", NULL, 404, NULL, NULL);
    json_decref(d);
    json_decref(g);
    json_decref(a);
    json_decref(c);
}
END_TEST

START_TEST(create_validation)
{
    srv_expect_error("POST", "/v1/conversations", "{\"items\":\"x\"}", 400, "invalid_type",
                     "items");
    srv_expect_error("POST", "/v1/conversations", "{\"metadata\":{\"a\":1}}", 400, "invalid_type",
                     "metadata.a");
    srv_expect_error("POST", "/v1/conversations", "[1]", 400, "invalid_type", NULL);
}
END_TEST

/* A message without content is a 400 from the shared input-item rules;
 * only the status and the envelope matter here. */
START_TEST(create_validation_missing_content)
{
    long st = 0;
    json_t *doc = srv_call("POST", "/v1/conversations", "{\"items\":[{\"role\":\"user\"}]}", &st);

    ck_assert_int_eq(st, 400);
    assert_error_envelope(doc);
    json_decref(doc);
}
END_TEST

START_TEST(responses_in_conversation)
{
    json_t *c = new_conversation("{\"items\":[{\"role\":\"user\",\"content\":\"context\"}]}");
    json_t *r1, *r2, *l, *data, *count;
    char body[512];
    long st;

    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"hello\",\"conversation\":\"%s\"}",
             jstr(c, "id"));
    count = srv_call("POST", "/v1/responses/input_tokens", body, &st);
    ck_assert_int_eq(st, 200);
    r1 = srv_call("POST", "/v1/responses", body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(jstr(json_object_get(r1, "conversation"), "id"), jstr(c, "id"));
    ck_assert_str_eq(response_text(r1), "turn one");
    /* The conversation's items were part of the context. */
    ck_assert_int_eq(
        (int)json_integer_value(json_object_get(json_object_get(r1, "usage"), "input_tokens")),
        (int)(strlen("context\nhello") + 3) / 4);
    ck_assert_int_eq((int)json_integer_value(json_object_get(count, "input_tokens")),
                     (int)(strlen("context\nhello") + 3) / 4);

    /* Items: context, hello, the answer. */
    l = items(c, "?order=asc");
    data = json_object_get(l, "data");
    ck_assert_int_eq((int)json_array_size(data), 3);
    ck_assert_str_eq(jstr(json_array_get(data, 2), "role"), "assistant");
    ck_assert_str_eq(jstr(json_array_get(data, 2), "id"),
                     jstr(json_array_get(json_object_get(r1, "output"), 0), "id"));
    json_decref(l);

    /* Second turn, object form: counted as turn 2 for the fixtures. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"again\",\"conversation\":{\"id\":\"%s\"},"
             "\"store\":false}",
             jstr(c, "id"));
    r2 = srv_call("POST", "/v1/responses", body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(response_text(r2), "turn two");
    l = items(c, "");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 5);
    json_decref(l);

    /* With previous_response_id: 400. Unknown conversation: 404. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"%s\","
             "\"previous_response_id\":\"%s\"}",
             jstr(c, "id"), jstr(r1, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, "invalid_value", "previous_response_id");
    srv_expect_error("POST", "/v1/responses",
                     "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"conv_nope\"}", 404, NULL,
                     "conversation");
    json_decref(count);
    json_decref(r2);
    json_decref(r1);
    json_decref(c);
}
END_TEST

/* RM_MAX_CONVERSATION_ITEMS per conversation; RM_DEFAULT_MAX_CONVERSATIONS kept. */
START_TEST(limits)
{
    json_t *c = new_conversation("{}"), *first, *d;
    struct buf b;
    char path[256], body[256];
    long st;
    int i;

    buf_init(&b, 4u * 1024 * 1024);
    buf_append_str(&b, "{\"items\":[");
    for (i = 0; i < RM_MAX_CONVERSATION_ITEMS; i++)
        buf_appendf(&b, "%s{\"role\":\"user\",\"content\":\"%d\"}", i ? "," : "", i);
    buf_append_str(&b, "]}");
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", jstr(c, "id"));
    d = srv_call("POST", path, b.data, &st);
    ck_assert_int_eq(st, 200);
    json_decref(d);
    srv_expect_error("POST", path, "{\"items\":[{\"role\":\"user\",\"content\":\"one more\"}]}",
                     400, "conversation_too_large", "items");
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"%s\"}",
             jstr(c, "id"));
    srv_expect_error("POST", "/v1/responses", body, 400, "conversation_too_large", "conversation");
    buf_release(&b);

    /* One conversation too many evicts the oldest. */
    first = new_conversation("{}");
    for (i = 0; i < RM_DEFAULT_MAX_CONVERSATIONS; i++)
        json_decref(new_conversation("{}"));
    snprintf(path, sizeof(path), "/v1/conversations/%s", jstr(first, "id"));
    srv_expect_error("GET", path, NULL, 404, NULL, NULL);
    json_decref(first);
    json_decref(c);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("conversations");

    add_tcase(s, tcase_create("crud"), 60, start, srv_stop, create_get_update_delete,
              create_validation_missing_content);
    add_tcase(s, tcase_create("items"), 60, start, srv_stop, items_list_add_get_delete);
    add_tcase(s, tcase_create("validation"), 60, start, srv_stop, create_validation);
    add_tcase(s, tcase_create("with_responses"), 60, start, srv_stop, responses_in_conversation);
    add_tcase(s, tcase_create("limits"), 60, start, srv_stop, limits);
    return s;
}
