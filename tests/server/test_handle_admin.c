/* Unit tests for server/handle_admin.c and the admin gate of router.c (no
 * socket): fixtures added, listed and removed at run time and answering
 * at once, errors as file:line:column with a JSON pointer, reload, the
 * journal routes with filters and verify, reset, and the gate: loopback
 * only without --admin-token, only that token with it. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "json_util.h"
#include "router.h"
#include "scenario.h"
#include "server_harness.h"
#include "test_support.h"

START_TEST(fixtures_at_run_time)
{
    struct rm_reply r;
    json_t *doc;

    doc = call("POST", "/__admin/fixtures",
               "{\"name\":\"hot\",\"match\":{\"model\":\"hot-model\"},"
               "\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"fresh\"}]}}",
               &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "added"), 0)), "hot");
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/v1/responses", "{\"model\":\"hot-model\",\"input\":\"x\"}", &r);
    ck_assert_str_eq(r.fixture, "hot");
    json_decref(doc);
    reply_release(&r);
    doc = call("GET", "/__admin/fixtures", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    {
        json_t *first = json_array_get(json_object_get(doc, "data"), 0);
        ck_assert_str_eq(json_util_str(first, "name"), "hot");
        ck_assert_int_eq(json_integer_value(json_object_get(first, "calls")), 1);
        ck_assert_str_eq(json_util_str(json_object_get(first, "match"), "model"), "hot-model");
    }
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/__admin/fixtures",
               "{\"name\":\"bad\",\"match\":{\"modle\":\"x\"},\"response\":{\"output\":[]}}", &r);
    ck_assert_int_eq(r.status, 400);
    {
        json_t *e = json_object_get(doc, "error");
        ck_assert_str_eq(json_util_str(e, "code"), "invalid_fixture");
        ck_assert_str_eq(json_util_str(e, "param"), "/match/modle");
        ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "request:1:"));
    }
    json_decref(doc);
    reply_release(&r);
    doc = call("DELETE", "/__admin/fixtures/hot", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/v1/responses", "{\"model\":\"hot-model\",\"input\":\"x\"}", &r);
    ck_assert_str_eq(r.fixture, "default");
    json_decref(doc);
    reply_release(&r);
    doc = call("DELETE", "/__admin/fixtures/hot", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/__admin/fixtures/reload", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_true(json_object_get(doc, "reloaded")));
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(journal_routes_and_reset)
{
    struct rm_reply r;
    json_t *doc;

    journal_drop(bench_srv->journal, journal_add(bench_srv->journal,
                json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "id", "req_1", "method", "POST", "path",
                          "/v1/responses", "status", 200, "body", "{\"model\":\"m1\"}", "scenario",
                          "k"),
                10));
    journal_drop(bench_srv->journal, journal_add(bench_srv->journal,
                json_pack("{s:s, s:s, s:s, s:i, s:s}", "id", "req_2", "method", "POST", "path",
                          "/v1/responses", "status", 429, "body", "{\"model\":\"m1\"}"),
                10));
    doc = call("GET", "/__admin/requests?model=m1&status=429", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 1);
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "data"), 0), "id"), "req_2");
    json_decref(doc);
    reply_release(&r);
    call_fails("GET", "/__admin/requests?status=abc", NULL, 400, "invalid_value", "status");
    doc = call("POST", "/__admin/requests/verify", "{\"match\":{\"model\":\"m1\"},\"count\":2}", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/__admin/requests/verify",
               "{\"match\":{\"model\":\"m1\",\"status\":200},\"count\":2}", &r);
    ck_assert_int_eq(r.status, 422);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "count")), 1);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "verification_failed");
    json_decref(doc);
    reply_release(&r);
    call_fails("POST", "/__admin/requests/verify", "{\"match\":{\"colour\":\"red\"},\"count\":1}",
               400, "unknown_parameter", "colour");
    scenarios_take(bench_srv->scenarios, "k", "f", 0);
    doc = call("POST", "/__admin/reset", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    ck_assert_uint_eq(journal_count(bench_srv->journal), 0);
    ck_assert_uint_eq(scenarios_uses(bench_srv->scenarios, "k", "f"), 0);
}
END_TEST

/* One admin request with the gate's inputs given. */
static int admin_status(int loopback, const char *token)
{
    struct rm_request req;
    struct rm_reply r;
    int status;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/__admin/scenarios";
    req.from_loopback = loopback;
    req.admin_token = token;
    router_handle(bench_srv, &req, &r);
    status = r.status;
    reply_release(&r);
    return status;
}

START_TEST(admin_gate)
{
    ck_assert_int_eq(admin_status(1, NULL), 200);
    ck_assert_int_eq(admin_status(0, NULL), 403);
    bench_srv->cfg.admin_token = "s3cret";
    ck_assert_int_eq(admin_status(1, NULL), 401); /* with a token, loopback is not enough */
    ck_assert_int_eq(admin_status(0, "wrong!"), 401);
    ck_assert_int_eq(admin_status(0, "s3cre"), 401);
    ck_assert_int_eq(admin_status(0, "s3cret"), 200);
    bench_srv->cfg.admin_token = NULL;
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_admin");

    add_tcase(s, tcase_create("fixtures"), 30, harness_setup, harness_teardown,
              fixtures_at_run_time);
    add_tcase(s, tcase_create("journal"), 30, harness_setup, harness_teardown,
              journal_routes_and_reset, admin_gate);
    return s;
}
