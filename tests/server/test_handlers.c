/* Unit tests for server/handlers.c: every route called as a plain function
 * with a struct rm_request, no socket, no libmicrohttpd. */
#include <string.h>

#include "handlers.h"
#include "json_util.h"
#include "server.h"
#include "test_support.h"

static struct rm_server *srv;

static void setup(void)
{
    struct rm_config cfg;
    struct mock_error err;

    server_config_defaults(&cfg);
    cfg.fixtures_dir = RM_SOURCE_DIR "/fixtures";
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_msg(srv != NULL, "server_new: %s", err.text);
}

static void teardown(void)
{
    server_free(srv);
}

/* Call the handler; returns the parsed JSON body (new) and fills 'out'. */
static json_t *call(const char *method, const char *path, const char *body, const char *auth,
                    struct rm_reply *out)
{
    struct rm_request req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.authorization = auth;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    handle_request(srv, &req, out);
    return out->body ? json_loadb(out->body, out->body_len, 0, NULL) : NULL;
}

static const char *header(const struct rm_reply *r, const char *name)
{
    unsigned i;

    for (i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

START_TEST(create_without_socket)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                       "Bearer k", &r);

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_null(r.stream);
    ck_assert_str_eq(r.fixture, "default");
    ck_assert_str_eq(json_util_str(doc, "object"), "response");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(stream_reply_is_a_stream)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses",
                       "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}", "Bearer k", &r);

    ck_assert_ptr_null(doc);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(r.stream);
    ck_assert_ptr_nonnull(strstr(r.content_type, "text/event-stream"));
    ck_assert_uint_gt(r.stream->n, 5);
    ck_assert_int_eq(strncmp(r.stream->frames[0].bytes, "event: response.created\n", 24), 0);
    reply_release(&r);
}
END_TEST

START_TEST(auth_checked_before_the_handler)
{
    struct rm_reply r;
    json_t *doc, *e;

    doc = call("POST", "/v1/responses", "{}", NULL, &r);
    ck_assert_int_eq(r.status, 401);
    e = json_object_get(doc, "error");
    ck_assert_str_eq(json_util_str(e, "type"), "invalid_request_error");
    ck_assert(json_is_null(json_object_get(e, "code")));
    json_decref(doc);
    reply_release(&r);
    doc = call("GET", "/v1/models", NULL, "Bearer", &r); /* empty token */
    ck_assert_int_eq(r.status, 401);
    json_decref(doc);
    reply_release(&r);
    doc = call("GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(api_keys_from_config)
{
    struct rm_reply r;
    json_t *doc;

    srv->cfg.api_keys[0] = "sk-good";
    srv->cfg.n_api_keys = 1;
    doc = call("GET", "/v1/models", NULL, "Bearer sk-bad-and-long-key", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "invalid_api_key");
    ck_assert_ptr_null(strstr(r.body, "sk-bad-and-long-key"));
    json_decref(doc);
    reply_release(&r);
    doc = call("GET", "/v1/models", NULL, "Bearer sk-good", &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(routing)
{
    struct rm_reply r;
    json_t *doc;

    doc = call("GET", "/v1/nothing/here", NULL, "Bearer k", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "message"),
                     "Invalid URL (GET /v1/nothing/here)");
    json_decref(doc);
    reply_release(&r);
    doc = call("PATCH", "/v1/responses", "{}", "Bearer k", &r);
    ck_assert_int_eq(r.status, 404);
    json_decref(doc);
    reply_release(&r);
    doc = call("GET", "/v1/models/", NULL, "Bearer k", &r); /* trailing slash */
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
    handle_request(srv, &req, &r);
    ck_assert_int_eq(r.status, 413);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "code"), "request_too_large");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(fixture_errors_and_headers)
{
    struct rm_reply r;
    json_t *doc;

    doc = call("POST", "/v1/responses", "{\"model\":\"respmock-error-429\",\"input\":\"x\"}",
               "Bearer k", &r);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(header(&r, "x-should-retry"), "false");
    ck_assert_str_eq(header(&r, "retry-after"), "1");
    ck_assert_str_eq(header(&r, "x-ratelimit-reset-tokens"), "6m0s");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(fault_header_per_request)
{
    struct rm_request req;
    struct rm_reply r;
    json_t *doc;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/v1/responses";
    req.authorization = "Bearer k";
    req.body = "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}";
    req.body_len = strlen(req.body);
    req.fault = "latency;ms=250";
    handle_request(srv, &req, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.delay_ms, 250);
    reply_release(&r);
    req.fault = "malformed_body";
    handle_request(srv, &req, &r);
    ck_assert_int_eq(r.status, 200);
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    ck_assert_ptr_null(doc); /* the body is cut: not JSON */
    reply_release(&r);
    req.fault = "teleport";
    handle_request(srv, &req, &r);
    ck_assert_int_eq(r.status, 400);
    reply_release(&r);
}
END_TEST

START_TEST(query_lookup)
{
    struct rm_request req;

    memset(&req, 0, sizeof(req));
    req.query[0].key = "include[]";
    req.query[0].value = "a";
    req.query[1].key = "limit";
    req.query[1].value = "5";
    req.nquery = 2;
    ck_assert_str_eq(request_query(&req, "include"), "a");
    ck_assert_str_eq(request_query(&req, "limit"), "5");
    ck_assert_ptr_null(request_query(&req, "lim"));
}
END_TEST

START_TEST(normalise_input_items)
{
    json_t *in = json_loads("[{\"role\":\"user\",\"content\":\"hi\"},"
                            "{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"x\"},"
                            "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"ok\",\"id\":\"msg_keep\"}]",
                            0, NULL);
    json_t *out = request_normalise_input(srv, in), *first;

    ck_assert_uint_eq(json_array_size(out), 3);
    first = json_array_get(out, 0);
    ck_assert_str_eq(json_util_str(first, "type"), "message");
    ck_assert_int_eq(strncmp(json_util_str(first, "id"), "msg_", 4), 0);
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(first, "content"), 0), "type"),
                     "input_text");
    ck_assert_ptr_nonnull(json_util_str(json_array_get(out, 1), "id"));
    ck_assert_str_eq(json_util_str(json_array_get(out, 2), "id"), "msg_keep");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(json_array_get(out, 2),
                                                                  "content"), 0), "type"),
                     "output_text");
    json_decref(in);
    json_decref(out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handlers");
    TCase *tc = tcase_create("create");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, create_without_socket);
    tcase_add_test(tc, stream_reply_is_a_stream);
    tcase_add_test(tc, fixture_errors_and_headers);
    tcase_add_test(tc, fault_header_per_request);
    suite_add_tcase(s, tc);
    tc = tcase_create("auth_and_routing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, auth_checked_before_the_handler);
    tcase_add_test(tc, api_keys_from_config);
    tcase_add_test(tc, routing);
    tcase_add_test(tc, too_large_is_413);
    suite_add_tcase(s, tc);
    tc = tcase_create("request_helpers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, query_lookup);
    tcase_add_test(tc, normalise_input_items);
    suite_add_tcase(s, tc);
    return s;
}
