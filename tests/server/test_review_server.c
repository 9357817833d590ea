/* Review regressions for the server side: hostile paths and ids, error
 * envelopes that must stay valid JSON, the background clock with an extreme
 * --speed, and fixture names that must fit where stored responses keep them.
 * Every route is called as a plain function (no socket). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "fixture.h"
#include "handlers.h"
#include "json_util.h"
#include "server.h"
#include "test_support.h"

static struct rm_server *srv;

static void start(double speed, const char *fixtures_dir)
{
    struct rm_config cfg;
    struct mock_error err;

    server_config_defaults(&cfg);
    cfg.fixtures_dir = fixtures_dir ? fixtures_dir : RM_SOURCE_DIR "/fixtures";
    cfg.speed = speed;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_msg(srv != NULL, "server_new: %s", err.text);
}

static void setup(void)
{
    start(1.0, NULL);
}

static void teardown(void)
{
    server_free(srv);
    srv = NULL;
}

/* Call the router; returns the parsed JSON body (new) or NULL. */
static json_t *call_h(const char *method, const char *path, const char *body, const char *fixture,
                      const char *fault, struct rm_reply *out)
{
    struct rm_request req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.authorization = "Bearer k";
    req.fixture = fixture;
    req.fault = fault;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    handle_request(srv, &req, out);
    return out->body ? json_loadb(out->body, out->body_len, 0, NULL) : NULL;
}

static json_t *call(const char *method, const char *path, const char *body, struct rm_reply *out)
{
    return call_h(method, path, body, NULL, NULL, out);
}

/* The reply is 'status' with a parseable four-key envelope; returns the
 * inner error (borrowed from *doc). */
static json_t *expect_error(json_t *doc, const struct rm_reply *r, int status)
{
    ck_assert_msg(doc != NULL, "body is not JSON: %s", r->body ? r->body : "(none)");
    ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status, r->body);
    return assert_error_envelope(doc);
}

/* ---- Paths longer than the router's buffer ---------------------------- */

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

/* ---- Envelopes quoting request text that is not valid UTF-8 ------------ */

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

/* "%.200s" and the fixed message/param sizes cut multi-byte characters. */
START_TEST(truncated_utf8_in_messages_is_still_400)
{
    char body[2048], word[1024];
    struct rm_reply r;
    json_t *doc, *e;
    size_t i;

    /* previous_response_id: "a" then 150 x "é" (2 bytes): cut at 200 bytes mid-character. */
    strcpy(word, "a");
    for (i = 0; i < 150; i++)
        strcat(word, "\xc3\xa9");
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"%s\"}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "previous_response_not_found");
    ck_assert_str_eq(json_util_str(e, "param"), "previous_response_id");
    json_decref(doc);
    reply_release(&r);

    /* an enum value quoted with "%.64s" */
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"truncation\":\"%s\"}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "param"), "truncation");
    json_decref(doc);
    reply_release(&r);

    /* an unknown key longer than the param buffer, cut mid-character */
    snprintf(body, sizeof(body), "{\"model\":\"m\",\"input\":\"x\",\"%s\":1}", word);
    doc = call("POST", "/v1/responses", body, &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "unknown_parameter");
    json_decref(doc);
    reply_release(&r);

    /* a fault header that is not UTF-8 */
    doc = call_h("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", NULL, "a\xff", &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "code"), "invalid_fault");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(envelope_build_never_fails_on_bytes)
{
    struct api_error err;
    json_t *env, *e;

    api_error_set(&err, 404, "invalid_request_error", NULL, "in\xffput", "bad \xed\xa0\x80 \xf8 %s",
                  "\xe2\x82");
    env = envelope_build(&err);
    ck_assert_ptr_nonnull(env);
    e = assert_error_envelope(env);
    ck_assert_str_eq(json_util_str(e, "param"), "in\xef\xbf\xbdput");
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "bad "));
    json_decref(env);

    /* valid text is passed through unchanged */
    api_error_set(&err, 400, "invalid_request_error", "x", "input[0]", "caf\xc3\xa9");
    env = envelope_build(&err);
    e = assert_error_envelope(env);
    ck_assert_str_eq(json_util_str(e, "message"), "caf\xc3\xa9");
    ck_assert_str_eq(json_util_str(e, "param"), "input[0]");
    json_decref(env);
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

/* ---- Background clock with a tiny --speed ----------------------------- */

START_TEST(tiny_speed_makes_background_terminal)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    char path[128];
    struct rm_reply r;
    json_t *doc;

    teardown();
    start(1e-300, NULL); /* accepted by --speed (0..1000) */
    doc = call("POST", "/v1/responses",
               "{\"model\":\"gpt-4.1-mini\",\"input\":\"Hello\",\"background\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_util_str(doc, "status"), "queued");
    snprintf(path, sizeof(path), "/v1/responses/%s", json_util_str(doc, "id"));
    json_decref(doc);
    reply_release(&r);
    nanosleep(&ts, NULL);
    /* 20 ms at speed 1e-300 is far past the schedule: the final status. */
    doc = call("GET", path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_util_str(doc, "status"), "completed");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* ---- Fixture names must fit in struct stored.fixture ------------------- */

static char *long_name_doc(size_t n)
{
    char *doc = malloc(n + 128);

    strcpy(doc, "{\"name\":\"");
    memset(doc + strlen(doc), 'n', n);
    doc[9 + n] = '\0';
    strcat(doc, "\",\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"hi\"}]}}");
    return doc;
}

START_TEST(fixture_name_too_long_is_a_lint_error)
{
    struct fixture_set set;
    struct mock_error err;
    char *doc = long_name_doc(200);
    char got[1024];

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(&set, doc, strlen(doc), "long.json", &err) != 0,
                  "a 200-byte fixture name was accepted");
    mock_error_format(&err, got, sizeof(got));
    ck_assert_msg(strstr(got, "name") && strstr(got, "127"), "%s", got);
    fixture_set_release(&set);
    free(doc);
}
END_TEST

/* The longest accepted name still replays from the store. */
START_TEST(longest_fixture_name_replays)
{
    char dir[] = "/tmp/rm-review-XXXXXX", file[256], path[128];
    char *doc = long_name_doc(127), name[128];
    struct rm_reply r;
    json_t *body;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/a.json", dir);
    f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(doc, f);
    fclose(f);
    teardown();
    start(0, dir);
    memset(name, 'n', 127);
    name[127] = '\0';
    body = call_h("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", name, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(path, sizeof(path), "/v1/responses/%s", json_util_str(body, "id"));
    json_decref(body);
    reply_release(&r);

    {
        struct rm_request req;

        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.path = path;
        req.authorization = "Bearer k";
        req.query[0].key = "stream";
        req.query[0].value = "true";
        req.nquery = 1;
        handle_request(srv, &req, &r);
        ck_assert_msg(r.status == 200 && r.stream != NULL, "replay: %d %s", r.status,
                      r.body ? r.body : "");
        reply_release(&r);
    }
    unlink(file);
    rmdir(dir);
    free(doc);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("review_server");
    TCase *tc = tcase_create("review_hostile_paths");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, very_long_path_is_404);
    tcase_add_test(tc, unknown_id_with_invalid_utf8_is_404);
    suite_add_tcase(s, tc);
    tc = tcase_create("review_envelope_utf8");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, truncated_utf8_in_messages_is_still_400);
    tcase_add_test(tc, envelope_build_never_fails_on_bytes);
    tcase_add_test(tc, fallback_500_is_not_retried);
    tcase_add_test(tc, scalar_json_body_is_invalid_type);
    suite_add_tcase(s, tc);
    tc = tcase_create("review_background_speed");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tiny_speed_makes_background_terminal);
    suite_add_tcase(s, tc);
    tc = tcase_create("review_fixture_names");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fixture_name_too_long_is_a_lint_error);
    tcase_add_test(tc, longest_fixture_name_replays);
    suite_add_tcase(s, tc);
    return s;
}
