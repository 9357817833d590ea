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

#define LC_FIXTURES RM_SOURCE_DIR "/tests/data/lifecycle-fixtures"

static struct test_server ts;

static void start(void)
{
    static const char *const args[] = {"--fixtures", LC_FIXTURES, "--log-level", "warn", NULL};
    ck_assert_int_eq(test_server_start(&ts, args), 0);
}

/* A clean exit status also means no sanitizer report from the server. */
static void stop(void)
{
    if (ts.pid > 0)
        ck_assert_int_eq(test_server_stop(&ts), 0);
}

/* One request to the test server; body as JSON (new ref) or NULL. */
static json_t *call(const char *method, const char *path, const char *body, long *status)
{
    return http_call(ts.base, method, path, body, status);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Send a request that must fail with this status, code and param. */
static void expect_fail(const char *method, const char *path, const char *body, long want,
                        const char *code, const char *param)
{
    long st = 0;
    json_t *doc = call(method, path, body, &st);

    assert_error_reply(doc, st, want, code, param);
}

static json_t *new_conversation(const char *body)
{
    long st;
    json_t *c = call("POST", "/v1/conversations", body, &st);

    ck_assert_msg(st == 200, "create conversation %s -> %ld", body ? body : "(none)", st);
    ck_assert_int_eq(strncmp(str(c, "id"), "conv_", 5), 0);
    ck_assert_str_eq(str(c, "object"), "conversation");
    ck_assert(json_is_integer(json_object_get(c, "created_at")));
    ck_assert(json_is_object(json_object_get(c, "metadata")));
    return c;
}

static json_t *items(const json_t *conv, const char *query)
{
    char path[512];
    long st;
    json_t *l;

    snprintf(path, sizeof(path), "/v1/conversations/%s/items%s", str(conv, "id"), query);
    l = call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(l, "object"), "list");
    ck_assert(json_is_array(json_object_get(l, "data")));
    ck_assert(json_is_boolean(json_object_get(l, "has_more")));
    return l;
}

START_TEST(create_get_update_delete)
{
    json_t *c = new_conversation("{\"metadata\":{\"topic\":\"demo\"}}"), *g, *u, *d, *e;
    char path[256];
    long st;

    ck_assert_str_eq(str(json_object_get(c, "metadata"), "topic"), "demo");
    snprintf(path, sizeof(path), "/v1/conversations/%s", str(c, "id"));
    g = call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_equal(g, c));

    u = call("POST", path, "{\"metadata\":{\"topic\":\"other\",\"k\":\"v\"}}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(u, "id"), str(c, "id"));
    ck_assert_str_eq(str(json_object_get(u, "metadata"), "topic"), "other");
    ck_assert_int_eq((int)json_integer_value(json_object_get(u, "created_at")),
                     (int)json_integer_value(json_object_get(c, "created_at")));
    json_decref(g);
    g = call("GET", path, NULL, &st);
    ck_assert(json_equal(g, u));
    expect_fail("POST", path, "{}", 400, "missing_required_parameter", "metadata");
    expect_fail("POST", path, "{\"metadata\":{\"n\":1}}", 400, "invalid_type", "metadata.n");

    d = call("DELETE", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(d, "id"), str(c, "id"));
    ck_assert_str_eq(str(d, "object"), "conversation.deleted");
    ck_assert(json_is_true(json_object_get(d, "deleted")));
    expect_fail("GET", path, NULL, 404, NULL, NULL);
    expect_fail("DELETE", path, NULL, 404, NULL, NULL);
    expect_fail("POST", path, "{\"metadata\":{}}", 404, NULL, NULL);

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
        ck_assert_int_eq(strncmp(str(json_array_get(data, i), "id"), "msg_", 4), 0);
    ck_assert_str_eq(
        str(json_array_get(json_object_get(json_array_get(data, 0), "content"), 0), "text"),
        "three");
    ck_assert_str_eq(str(l, "first_id"), str(json_array_get(data, 0), "id"));
    ck_assert_str_eq(str(l, "last_id"), str(json_array_get(data, 2), "id"));
    json_decref(l);

    /* asc, limit 2, after. */
    l = items(c, "?order=asc&limit=2");
    ck_assert(json_is_true(json_object_get(l, "has_more")));
    ck_assert_str_eq(str(json_array_get(json_object_get(l, "data"), 0), "role"), "user");
    snprintf(after, sizeof(after), "?order=asc&limit=2&after=%s", str(l, "last_id"));
    json_decref(l);
    l = items(c, after);
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 1);
    ck_assert(json_is_false(json_object_get(l, "has_more")));
    json_decref(l);

    /* Add two. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", str(c, "id"));
    a = call("POST", path,
             "{\"items\":[{\"role\":\"user\",\"content\":\"four\"},"
             "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"5\"}]}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(a, "object"), "list");
    ck_assert_int_eq((int)json_array_size(json_object_get(a, "data")), 2);
    ck_assert_ptr_nonnull(str(json_array_get(json_object_get(a, "data"), 1), "id"));
    ck_assert(json_is_false(json_object_get(a, "has_more")));
    l = items(c, "?limit=100");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 5);
    ck_assert_str_eq(str(l, "first_id"), str(a, "last_id"));
    json_decref(l);

    /* Get and delete one item; delete answers with the conversation. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items/%s", str(c, "id"), str(a, "first_id"));
    g = call("GET", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(g, "id"), str(a, "first_id"));
    d = call("DELETE", path, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(d, "object"), "conversation");
    ck_assert_str_eq(str(d, "id"), str(c, "id"));
    expect_fail("GET", path, NULL, 404, NULL, NULL);
    expect_fail("DELETE", path, NULL, 404, NULL, NULL);
    l = items(c, "");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 4);
    json_decref(l);

    /* Errors. */
    snprintf(path, sizeof(path), "/v1/conversations/%s/items?limit=0", str(c, "id"));
    expect_fail("GET", path, NULL, 400, "invalid_value", "limit");
    snprintf(path, sizeof(path), "/v1/conversations/%s/items?order=up", str(c, "id"));
    expect_fail("GET", path, NULL, 400, "invalid_value", "order");
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", str(c, "id"));
    expect_fail("POST", path, "{}", 400, "missing_required_parameter", "items");
    expect_fail("POST", path, "{\"items\":[{\"type\":\"bogus\"}]}", 400, "invalid_value",
                "items[0].type");
    expect_fail("GET", "/v1/conversations/conv_nope/items", NULL, 404, NULL, NULL);
    expect_fail("POST", "/v1/conversations/conv_nope/items",
                "{\"items\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404, NULL, NULL);
    expect_fail("GET", "/v1/conversations/conv_nope/items/msg_x", NULL, 404, NULL, NULL);
    json_decref(d);
    json_decref(g);
    json_decref(a);
    json_decref(c);
}
END_TEST

START_TEST(create_validation)
{
    expect_fail("POST", "/v1/conversations", "{\"items\":\"x\"}", 400, "invalid_type", "items");
    expect_fail("POST", "/v1/conversations", "{\"metadata\":{\"a\":1}}", 400, "invalid_type",
                "metadata.a");
    expect_fail("POST", "/v1/conversations", "[1]", 400, "invalid_type", NULL);
}
END_TEST

/* A message without content is a 400 from the shared input-item rules;
 * only the status and the envelope matter here. */
START_TEST(create_validation_missing_content)
{
    long st = 0;
    json_t *doc = call("POST", "/v1/conversations", "{\"items\":[{\"role\":\"user\"}]}", &st);

    ck_assert_int_eq(st, 400);
    assert_error_envelope(doc);
    json_decref(doc);
}
END_TEST

static const char *answer(const json_t *resp)
{
    json_t *out = json_object_get(resp, "output");
    json_t *it = json_array_get(out, json_array_size(out) - 1);

    return str(json_array_get(json_object_get(it, "content"), 0), "text");
}

START_TEST(responses_in_conversation)
{
    json_t *c = new_conversation("{\"items\":[{\"role\":\"user\",\"content\":\"context\"}]}");
    json_t *r1, *r2, *l, *data, *count;
    char body[512];
    long st;

    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"hello\",\"conversation\":\"%s\"}",
             str(c, "id"));
    count = call("POST", "/v1/responses/input_tokens", body, &st);
    ck_assert_int_eq(st, 200);
    r1 = call("POST", "/v1/responses", body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(json_object_get(r1, "conversation"), "id"), str(c, "id"));
    ck_assert_str_eq(answer(r1), "turn one");
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
    ck_assert_str_eq(str(json_array_get(data, 2), "role"), "assistant");
    ck_assert_str_eq(str(json_array_get(data, 2), "id"),
                     str(json_array_get(json_object_get(r1, "output"), 0), "id"));
    json_decref(l);

    /* Second turn, object form: counted as turn 2 for the fixtures. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"again\",\"conversation\":{\"id\":\"%s\"},"
             "\"store\":false}",
             str(c, "id"));
    r2 = call("POST", "/v1/responses", body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(answer(r2), "turn two");
    l = items(c, "");
    ck_assert_int_eq((int)json_array_size(json_object_get(l, "data")), 5);
    json_decref(l);

    /* With previous_response_id: 400. Unknown conversation: 404. */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"%s\","
             "\"previous_response_id\":\"%s\"}",
             str(c, "id"), str(r1, "id"));
    expect_fail("POST", "/v1/responses", body, 400, "invalid_value", "previous_response_id");
    expect_fail("POST", "/v1/responses",
                "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"conv_nope\"}", 404, NULL,
                "conversation");
    json_decref(count);
    json_decref(r2);
    json_decref(r1);
    json_decref(c);
}
END_TEST

/* RM_MAX_CONVERSATION_ITEMS per conversation; RM_MAX_CONVERSATIONS kept. */
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
    snprintf(path, sizeof(path), "/v1/conversations/%s/items", str(c, "id"));
    d = call("POST", path, b.data, &st);
    ck_assert_int_eq(st, 200);
    json_decref(d);
    expect_fail("POST", path, "{\"items\":[{\"role\":\"user\",\"content\":\"one more\"}]}", 400,
                "conversation_too_large", "items");
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"conversation\":\"%s\"}",
             str(c, "id"));
    expect_fail("POST", "/v1/responses", body, 400, "conversation_too_large", "conversation");
    buf_release(&b);

    /* One conversation too many evicts the oldest. */
    first = new_conversation("{}");
    for (i = 0; i < RM_MAX_CONVERSATIONS; i++)
        json_decref(new_conversation("{}"));
    snprintf(path, sizeof(path), "/v1/conversations/%s", str(first, "id"));
    expect_fail("GET", path, NULL, 404, NULL, NULL);
    json_decref(first);
    json_decref(c);
}
END_TEST

static TCase *with_server(TCase *tc)
{
    tcase_add_checked_fixture(tc, start, stop);
    tcase_set_timeout(tc, 60);
    return tc;
}

Suite *make_suite(void)
{
    Suite *s = suite_create("conversations");
    TCase *tc;

    tc = with_server(tcase_create("crud"));
    tcase_add_test(tc, create_get_update_delete);
    tcase_add_test(tc, create_validation_missing_content);
    suite_add_tcase(s, tc);

    tc = with_server(tcase_create("items"));
    tcase_add_test(tc, items_list_add_get_delete);
    suite_add_tcase(s, tc);

    tc = with_server(tcase_create("validation"));
    tcase_add_test(tc, create_validation);
    suite_add_tcase(s, tc);

    tc = with_server(tcase_create("with_responses"));
    tcase_add_test(tc, responses_in_conversation);
    suite_add_tcase(s, tc);

    tc = with_server(tcase_create("limits"));
    tcase_add_test(tc, limits);
    suite_add_tcase(s, tc);

    return s;
}
