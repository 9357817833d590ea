/* Unit tests for server/request.c: query lookup, input normalisation, the
 * plain input's items as text, the JSON body reader (a scalar body is invalid_type, a NUL byte
 * malformed) and reply_json's own 500 when a body cannot be serialised (never retried). */
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
#include "request.h"

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
    json_t *out = request_normalise_input(bench_srv, in), *first;

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

/* A plain string input's items as text (the store keeps them so): the
 * very bytes the store would dump of request_normalise_input's items, apart
 * from the id, and the same tally. Strings with every escape jansson makes. */
START_TEST(input_json_is_the_items_dumped)
{
    static const char *const inputs[] = {
        "\"hello\"", "\"\"", "\"a \\\"quoted\\\" \\\\ back/slash\"",
        "\"\\b\\f\\n\\r\\t \\u0001 \\u001f \\u007f\"", "\"caf\\u00e9 \\u4e2d \\ud83d\\ude00\"",
        "\"nul \\u0000 inside\""};
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        json_error_t e;
        json_t *in = json_loads(inputs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        json_t *items = request_normalise_input(bench_srv, in), *back;
        struct text_tally a = {0, 0, 0}, b = {0, 0, 0};
        char *want;
        struct buf got;
        const char *id;

        ck_assert_msg(in != NULL, "%s: %s", inputs[i], e.text);
        buf_init(&got, 1 << 20);
        ck_assert_int_eq(request_input_json(bench_srv, in, &got), 0);
        back = json_loadb(got.data, got.len, JSON_ALLOW_NUL, &e);
        ck_assert_msg(back != NULL, "%s: %.*s", inputs[i], (int)got.len, got.data);
        id = json_util_str(json_array_get(back, 0), "id");
        ck_assert_msg(id && strncmp(id, "msg_", 4) == 0, "%s", got.data);
        /* the same id in both, then the same bytes */
        json_object_set_new(json_array_get(items, 0), "id", json_string(id));
        want = json_dumps(items, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        ck_assert_uint_eq(got.len, strlen(want));
        ck_assert_msg(memcmp(got.data, want, got.len) == 0, "%s:\n%.*s\n%s", inputs[i],
                      (int)got.len, got.data, want);
        request_tally(items, &a);
        request_tally_input(in, &b);
        ck_assert_uint_eq(a.items, b.items);
        ck_assert_uint_eq(a.bytes, b.bytes);
        ck_assert_uint_eq(a.pieces, b.pieces);
        free(want);
        buf_release(&got);
        json_decref(back);
        json_decref(items);
        json_decref(in);
    }
    {
        json_t *arr = json_loads("[{\"role\":\"user\",\"content\":\"hi\"}]", 0, NULL);
        struct buf got;

        buf_init(&got, 1 << 20);
        ck_assert_int_eq(request_input_json(bench_srv, arr, &got), -1);
        buf_release(&got);
        json_decref(arr);
    }
}
END_TEST

/* README: "a JSON value that is not an object -> 400 invalid_type" (only
 * malformed JSON is the code-null parse error). */
START_TEST(scalar_json_body_is_invalid_type)
{
    static const char *const bodies[] = {"null", "42", "\"x\"", "true", "[]"};
    size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct rm_reply r;
        json_t *doc = call("POST", "/v1/responses", bodies[i], &r), *e;

        e = expect_error(doc, &r, 400);
        ck_assert_msg(json_util_str(e, "code") && strcmp(json_util_str(e, "code"), "invalid_type") == 0,
                      "%s: %s", bodies[i], r.body);
        json_decref(doc);
        reply_release(&r);
    }
}
END_TEST

/* The body reader (json_read): a NUL byte is malformed JSON wherever it is,
 * also right after a number or a literal, where jansson skipped it. */
START_TEST(nul_byte_body_is_malformed)
{
    static const char good[] = " {\"model\":\"m\",\"n\":1,\"b\":true}\n";
    static const char *const bad[] = {"{\"model\":\"m\",\"n\":1\0}",
                                      "{\"model\":\"m\",\"b\":true\0}",
                                      "{\"model\":\"m\"}\0"};
    static const size_t bad_len[] = {sizeof("{\"model\":\"m\",\"n\":1\0}") - 1,
                                     sizeof("{\"model\":\"m\",\"b\":true\0}") - 1,
                                     sizeof("{\"model\":\"m\"}\0") - 1};
    struct rm_request req;
    struct api_error err;
    json_t *doc;
    size_t i;

    memset(&req, 0, sizeof(req));
    req.body = good;
    req.body_len = sizeof(good) - 1;
    doc = request_json(&req, &err);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "n")), 1);
    json_decref(doc);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        req.body = bad[i];
        req.body_len = bad_len[i];
        ck_assert_ptr_null(request_json(&req, &err));
        ck_assert_int_eq(err.status, 400);
        ck_assert_ptr_null(err.code);
        ck_assert_msg(strstr(err.message, "could not parse the JSON body"), "%zu: %s", i,
                      err.message);
    }
}
END_TEST

/* Our own 500s carry x-should-retry: false, also when reply_json had to
 * answer 500 itself because the body could not be rendered. */
START_TEST(fallback_500_is_not_retried)
{
    struct rm_reply r;
    json_t *bad = json_stringn_nocheck("\xff", 1); /* json_dumps refuses it */
    unsigned i;
    int found = 0;

    memset(&r, 0, sizeof(r));
    reply_json(&r, 200, json_pack("{s:o}", "x", bad));
    ck_assert_int_eq(r.status, 500);
    for (i = 0; i < r.nheaders; i++)
        if (strcmp(r.headers[i].name, "x-should-retry") == 0 &&
            strcmp(r.headers[i].value, "false") == 0)
            found++;
    ck_assert_int_eq(found, 1);
    reply_release(&r);
}
END_TEST

/* An error reply notes its type, code and param for the debug log, never
 * its message (which may quote the request). */
START_TEST(error_note_for_the_debug_log)
{
    struct rm_reply r;
    struct api_error err;

    memset(&r, 0, sizeof(r));
    api_error_invalid(&err, "invalid_value", "temperature", "bad value 'sk-secret'");
    reply_error(&r, &err);
    ck_assert_str_eq(r.note, "invalid_request_error code=invalid_value param=temperature");
    reply_release(&r);
    api_error_not_found(&err, NULL, "No response found with id 'x'.");
    reply_error(&r, &err);
    ck_assert_str_eq(r.note, "invalid_request_error code=null param=null");
    reply_release(&r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("request");

    add_tcase(s, tcase_create("request_helpers"), 60, harness_setup, harness_teardown, query_lookup,
              normalise_input_items, input_json_is_the_items_dumped);
    add_tcase(s, tcase_create("replies"), 60, harness_setup, harness_teardown,
              scalar_json_body_is_invalid_type, nul_byte_body_is_malformed,
              fallback_500_is_not_retried,
              error_note_for_the_debug_log);
    return s;
}
