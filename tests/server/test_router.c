/* Unit tests for server/router.c (no socket): the route table, bearer auth
 * before the handler, configured API keys, the 404 envelope for unknown
 * routes and hostile paths, and the 413 size gate. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"
#include "router.h"

START_TEST(auth_checked_before_the_handler)
{
    struct rm_reply r;
    json_t *doc, *e;

    doc = call_auth("POST", "/v1/responses", "{}", NULL, &r);
    ck_assert_int_eq(r.status, 401);
    e = json_object_get(doc, "error");
    ck_assert_str_eq(json_util_str(e, "type"), "invalid_request_error");
    ck_assert(json_is_null(json_object_get(e, "code")));
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("GET", "/v1/models", NULL, "Bearer", &r); /* empty token */
    ck_assert_int_eq(r.status, 401);
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(api_keys_from_config)
{
    struct rm_reply r;
    json_t *doc;

    bench_srv->cfg.api_keys[0] = "sk-good";
    bench_srv->cfg.n_api_keys = 1;
    doc = call_auth("GET", "/v1/models", NULL, "Bearer sk-bad-and-long-key", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "invalid_api_key");
    ck_assert_ptr_null(strstr(r.body, "sk-bad-and-long-key"));
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("GET", "/v1/models", NULL, "Bearer sk-good", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(routing)
{
    struct rm_reply r;
    json_t *doc;

    doc = call_auth("GET", "/v1/nothing/here", NULL, "Bearer k", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "message"),
                     "Invalid URL (GET /v1/nothing/here)");
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("PATCH", "/v1/responses", "{}", "Bearer k", &r);
    ck_assert_int_eq(r.status, 404);
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("GET", "/v1/models/", NULL, "Bearer k", &r); /* trailing slash */
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(too_large_is_413)
{
    struct rm_request req;
    struct rm_reply r;
    json_t *doc;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/v1/responses";
    req.authorization = "Bearer k";
    req.body_too_large = 1;
    router_handle(bench_srv, &req, &r);
    ck_assert_int_eq(r.status, 413);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "request_too_large");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(very_long_path_is_404)
{
    static const size_t lens[] = {1023, 1024, 1025, 3000, 40000};
    size_t i;

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char *path = malloc(lens[i] + 1);
        struct rm_reply r;
        json_t *doc, *e;

        strcpy(path, "/v1/responses/");
        memset(path + 14, 'a', lens[i] - 14);
        path[lens[i]] = '\0';
        path[lens[i] - 1] = i % 2 ? '/' : 'b'; /* with and without a trailing slash */
        doc = call("GET", path, NULL, &r);
        e = expect_error(doc, &r, 404);
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "message")),
                                     "Invalid URL (GET /v1/responses/aaa"));
        json_decref(doc);
        reply_release(&r);
        free(path);
    }
}
END_TEST

START_TEST(unknown_id_with_invalid_utf8_is_404)
{
    struct rm_reply r;
    json_t *doc, *e;

    /* MHD unescapes the path: GET /v1/responses/resp_%FF arrives like this. */
    doc = call("GET", "/v1/responses/resp_\xff", NULL, &r);
    e = expect_error(doc, &r, 404);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "message")), "resp_"));
    json_decref(doc);
    reply_release(&r);

    doc = call("POST", "/v1/responses/\xc3\x28/cancel", NULL, &r);
    expect_error(doc, &r, 404);
    json_decref(doc);
    reply_release(&r);

    doc = call("GET", "/v1/conversations/conv_\xe2\x82/items", NULL, &r);
    expect_error(doc, &r, 404);
    json_decref(doc);
    reply_release(&r);

    doc = call("GET", "/v1/nope\xff", NULL, &r); /* unknown route quotes the path */
    expect_error(doc, &r, 404);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* The reserved bad-key shape is refused with and without --api-key. */
START_TEST(reserved_key_shape_always_rejected)
{
    struct rm_reply r;
    json_t *doc;

    doc = call_auth("GET", "/v1/models", NULL, "Bearer sk-invalid-respsmoke-0000", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "invalid_api_key");
    ck_assert_ptr_null(strstr(r.body, "respsmoke-0000")); /* the key is not echoed */
    json_decref(doc);
    reply_release(&r);
    doc = call_auth("GET", "/v1/models", NULL, "Bearer sk-anything-else", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    bench_srv->cfg.api_keys[0] = "sk-invalid-but-configured";
    bench_srv->cfg.n_api_keys = 1;
    doc = call_auth("GET", "/v1/models", NULL, "Bearer sk-invalid-but-configured", &r);
    ck_assert_int_eq(r.status, 401);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("router");

    add_tcase(s, tcase_create("auth_and_routing"), 60, harness_setup, harness_teardown,
              auth_checked_before_the_handler, api_keys_from_config,
              reserved_key_shape_always_rejected, routing, too_large_is_413);
    add_tcase(s, tcase_create("hostile_paths"), 60, harness_setup, harness_teardown,
              very_long_path_is_404, unknown_id_with_invalid_utf8_is_404);
    return s;
}
