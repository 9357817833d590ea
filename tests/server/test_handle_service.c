/* Unit tests for server/handle_service.c through router calls (no socket):
 * the models list and one model (known, unknown, a server whose fixtures
 * name none), /healthz and its counts, and /__admin/reset forgetting stored
 * responses and conversations. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "json_util.h"
#include "server_harness.h"
#include "store.h"
#include "test_support.h"

static void assert_model(const json_t *m, const char *id)
{
    ck_assert_str_eq(json_util_str(m, "id"), id);
    ck_assert_str_eq(json_util_str(m, "object"), "model");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "created")), 1700000000);
    ck_assert_str_eq(json_util_str(m, "owned_by"), "respmock");
    ck_assert_uint_eq(json_object_size(m), 4);
}

START_TEST(models_list)
{
    json_t *l = call_ok("GET", "/v1/models", NULL), *data = json_object_get(l, "data"), *m;
    json_t *seen = json_object();
    size_t i;

    ck_assert_str_eq(json_util_str(l, "object"), "list");
    /* Exactly the models the fixtures name, each once. */
    ck_assert_uint_eq(json_array_size(data), json_array_size(harness_fixtures(bench_srv)->models));
    json_array_foreach(data, i, m) {
        assert_model(m, json_string_value(json_array_get(harness_fixtures(bench_srv)->models, i)));
        ck_assert(!json_object_get(seen, json_util_str(m, "id")));
        json_object_set_new(seen, json_util_str(m, "id"), json_true());
    }
    /* The default fixture's "models" are among them. */
    ck_assert_ptr_nonnull(json_object_get(seen, "gpt-4.1-mini"));
    ck_assert_ptr_nonnull(json_object_get(seen, "gpt-5-mini"));
    json_decref(seen);
    json_decref(l);
    /* /v1 routes need a bearer token. */
    {
        struct rm_reply r;
        json_t *doc = call_auth("GET", "/v1/models", NULL, NULL, &r);
        expect_error(doc, &r, 401);
        json_decref(doc);
        reply_release(&r);
    }
}
END_TEST

START_TEST(one_model)
{
    struct rm_reply r;
    json_t *m = call_ok("GET", "/v1/models/gpt-4.1", NULL), *doc, *e;

    assert_model(m, "gpt-4.1");
    json_decref(m);
    doc = call("GET", "/v1/models/gpt-unknown", NULL, &r);
    e = expect_error(doc, &r, 404);
    ck_assert_str_eq(json_util_str(e, "code"), "model_not_found");
    ck_assert_str_eq(json_util_str(e, "param"), "model");
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "'gpt-unknown'"));
    json_decref(doc);
    reply_release(&r);
    /* "respmock" is only there when no fixture names a model. */
    call_fails("GET", "/v1/models/respmock", NULL, 404, "model_not_found", "model");
}
END_TEST

START_TEST(models_without_named_models)
{
    char *dir = harness_fixture_dir(
        "{'name':'only','response':{'output':[{'type':'message','text':'hi'}]}}");
    json_t *l, *m;

    harness_restart(0, dir);
    ck_assert_uint_eq(json_array_size(harness_fixtures(bench_srv)->models), 0);
    l = call_ok("GET", "/v1/models", NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(l, "data")), 1);
    assert_model(json_array_get(json_object_get(l, "data"), 0), "respmock");
    json_decref(l);
    m = call_ok("GET", "/v1/models/respmock", NULL);
    assert_model(m, "respmock");
    json_decref(m);
    call_fails("GET", "/v1/models/gpt-4.1", NULL, 404, "model_not_found", "model");
    harness_remove_fixture_dir(dir);
}
END_TEST

START_TEST(healthz_counts)
{
    struct rm_reply r;
    json_t *h = call_auth("GET", "/healthz", NULL, NULL, &r); /* no auth needed */

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_util_str(h, "status"), "ok");
    ck_assert_int_eq(json_integer_value(json_object_get(h, "fixtures")),
                     (json_int_t)harness_fixtures(bench_srv)->n);
    ck_assert_int_gt(json_integer_value(json_object_get(h, "fixtures")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "stored")), 0);
    json_decref(h);
    reply_release(&r);

    json_decref(call_ok("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"a\"}"));
    json_decref(call_ok("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"b\"}"));
    /* store:false is not kept, so not counted */
    json_decref(call_ok("POST", "/v1/responses",
                        "{\"model\":\"gpt-4.1\",\"input\":\"c\",\"store\":false}"));
    h = call_ok("GET", "/healthz", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "stored")), 2);
    json_decref(h);
}
END_TEST

START_TEST(admin_reset_forgets_everything)
{
    struct rm_reply r;
    json_t *resp = call_ok("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"a\"}");
    json_t *conv = call_ok("POST", "/v1/conversations", NULL), *doc, *h;
    char rid[96], cid[96];

    snprintf(rid, sizeof(rid), "%s", json_util_str(resp, "id"));
    snprintf(cid, sizeof(cid), "%s", json_util_str(conv, "id"));
    json_decref(resp);
    json_decref(conv);
    json_decref(call_ok("GET", pathf("/v1/responses/%s", rid), NULL));
    json_decref(call_ok("GET", pathf("/v1/conversations/%s", cid), NULL));

    doc = call_auth("POST", "/__admin/reset", NULL, NULL, &r); /* no auth needed */
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_true(json_object_get(doc, "reset")));
    json_decref(doc);
    reply_release(&r);

    call_fails("GET", pathf("/v1/responses/%s", rid), NULL, 404, NULL, NULL);
    call_fails("GET", pathf("/v1/responses/%s/input_items", rid), NULL, 404, NULL, NULL);
    call_fails("GET", pathf("/v1/conversations/%s", cid), NULL, 404, NULL, NULL);
    ck_assert_uint_eq(store_count(bench_srv->store), 0);
    ck_assert_uint_eq(conversation_store_count(bench_srv->conversations), 0);
    h = call_ok("GET", "/healthz", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "stored")), 0);
    json_decref(h);
    /* A chain on a forgotten response is refused like any unknown one. */
    {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4.1\",\"input\":\"b\",\"previous_response_id\":\"%s\"}", rid);
        call_fails("POST", "/v1/responses", body, 400, "previous_response_not_found",
                   "previous_response_id");
    }
    /* The fixtures stay; the server answers as before. */
    json_decref(call_ok("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"c\"}"));
    ck_assert_uint_eq(store_count(bench_srv->store), 1);
    /* Only POST resets. */
    doc = call("GET", "/__admin/reset", NULL, &r);
    expect_error(doc, &r, 404);
    json_decref(doc);
    reply_release(&r);
    ck_assert_uint_eq(store_count(bench_srv->store), 1);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_service");

    add_tcase(s, tcase_create("models"), 30, harness_setup, harness_teardown, models_list,
              one_model, models_without_named_models);
    add_tcase(s, tcase_create("health_and_admin"), 30, harness_setup, harness_teardown,
              healthz_counts, admin_reset_forgets_everything);
    return s;
}
