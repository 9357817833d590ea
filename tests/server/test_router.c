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

/* Route 'req' (GET /v1/models with a bearer token unless set) and check
 * the status and, for an error, its code (NULL: null). New reference. */
static json_t *routed(struct rm_request *req, int status, const char *code)
{
    struct rm_reply r;
    json_t *doc;

    req->method = req->method ? req->method : "GET";
    req->path = req->path ? req->path : "/v1/models";
    req->authorization = "Bearer k";
    router_handle(bench_srv, req, &r);
    ck_assert_int_eq(r.status, status);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    reply_release(&r);
    ck_assert_ptr_nonnull(doc);
    if (status == 200)
        ck_assert_ptr_null(json_object_get(doc, "error"));
    else if (code)
        ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), code);
    else
        ck_assert(json_is_null(json_object_get(json_object_get(doc, "error"), "code")));
    return doc;
}

static void framing_case(struct rm_request *req, int status, const char *code)
{
    json_decref(routed(req, status, code));
}

START_TEST(too_large_is_413)
{
    struct rm_request req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/v1/responses";
    req.body_too_large = 1;
    framing_case(&req, 413, "request_too_large");
}
END_TEST

/* The framing gate (issue 14): what http.c measured, judged before the
 * route, auth or body; each in the error envelope with its status. */
START_TEST(framing_limits_answered_in_the_envelope)
{
    static const struct {
        struct rm_request req;
        int status;
        const char *code;
    } cases[] = {
        {{.uri_bytes = RM_MAX_URI_BYTES + 1}, 414, "uri_too_long"},
        {{.uri_args = RM_MAX_URI_ARGS + 1}, 414, "uri_too_long"},
        {{.header_count = RM_MAX_HEADERS + 1}, 431, "request_header_fields_too_large"},
        {{.header_bytes = RM_MAX_HEADER_BYTES + 1}, 431, "request_header_fields_too_large"},
        /* at the limits: served */
        {{.uri_bytes = RM_MAX_URI_BYTES,
          .uri_args = RM_MAX_URI_ARGS,
          .header_count = RM_MAX_HEADERS,
          .header_bytes = RM_MAX_HEADER_BYTES},
         200, NULL},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rm_request req = cases[i].req;
        framing_case(&req, cases[i].status, cases[i].code);
    }
}
END_TEST

START_TEST(unsafe_paths_are_404_never_cut)
{
    static const char *const paths[] = {"/v1/responses/resp_a\x01", "/v1/responses/resp_a\nb",
                                        "/v1/models/x\x7f", NULL};
    struct rm_request req;
    int i;

    /* a control byte that reached the decoded path */
    for (i = 0; paths[i]; i++) {
        memset(&req, 0, sizeof(req));
        req.path = paths[i];
        framing_case(&req, 404, NULL);
    }
    /* what http.c saw encoded (%00, %2F): refused, the raw path quoted */
    {
        json_t *doc;

        memset(&req, 0, sizeof(req));
        req.method = "DELETE";
        req.path = "/v1/responses/resp_a";
        req.raw_path = "/v1/responses/resp_a%00b";
        req.path_unsafe = 1;
        doc = routed(&req, 404, NULL);
        ck_assert_ptr_nonnull(strstr(json_util_str(json_object_get(doc, "error"), "message"),
                                     "/v1/responses/resp_a%00b"));
        json_decref(doc);
    }
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
              very_long_path_is_404, unknown_id_with_invalid_utf8_is_404,
              unsafe_paths_are_404_never_cut);
    add_tcase(s, tcase_create("framing"), 60, harness_setup, harness_teardown,
              framing_limits_answered_in_the_envelope);
    return s;
}
