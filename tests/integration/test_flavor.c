/* Integration tests for the gateway flavours over HTTP: respmock started
 * with --flavor cometapi quotes the x-request-id header of each error reply
 * at the end of its message; and respsmoke run against it passes every
 * area for both APIs, its notes naming the CometAPI variants it met
 * (comet_api_error, "" codes, no param on 401, request ids in messages,
 * 500 invalid_request for a missing Chat field, usage latency_checkpoint,
 * obfuscated chat chunks). Each respmock child runs on a free loopback port
 * and is stopped by PID. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream_assert.h"
#include "test_support.h"

#define KEY "sk-respsmoke-canary-7f3e9a1b2c4d9f2c"

static const char *const cometapi[] = {"--flavor", "cometapi", NULL};

static void start_comet(void)
{
    srv_start(&(struct test_server_opts){.extra = cometapi});
}

/* The message of error reply 'r' ends with " (request id: <its x-request-id>)". */
static void expect_request_id(struct http_result *r, json_t *doc, long status)
{
    char *rid = http_header(r, "x-request-id"), want[128];
    json_t *e = json_object_get(doc, "error");
    const char *msg = jstr(e, "message");

    ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
    ck_assert_ptr_nonnull(rid);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(jstr(e, "type"), "comet_api_error");
    snprintf(want, sizeof(want), " (request id: %s)", rid);
    ck_assert_msg(strlen(msg) > strlen(want) && strcmp(msg + strlen(msg) - strlen(want), want) == 0,
                  "'%s' does not end in '%s'", msg, want);
    free(rid);
}

START_TEST(errors_quote_the_reply_request_id)
{
    static const char *const auth[] = {"Authorization: Bearer sk-test", NULL};
    struct http_result r;
    json_t *doc;

    doc = srv_request("POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\","
                      "\"temperature\":5}", auth, &r);
    expect_request_id(&r, doc, 400);
    json_decref(doc);
    http_result_free(&r);
    /* an unknown model: 503 model_not_found, not retried by the SDKs */
    doc = srv_request("POST", "/v1/responses", "{\"model\":\"no-such-model\",\"input\":\"hi\"}",
                      auth, &r);
    expect_request_id(&r, doc, 503);
    ck_assert_str_eq(jstr(json_object_get(doc, "error"), "code"), "model_not_found");
    {
        char *retry = http_header(&r, "x-should-retry");
        ck_assert_str_eq(retry, "false");
        free(retry);
    }
    json_decref(doc);
    http_result_free(&r);
    /* a shipped error fixture answers in the CometAPI shape too */
    doc = srv_request("POST", "/v1/responses", "{\"model\":\"respmock-error-429\",\"input\":\"hi\"}",
                      auth, &r);
    expect_request_id(&r, doc, 429);
    json_decref(doc);
    http_result_free(&r);
    /* a missing Chat field: 500 invalid_request */
    doc = srv_request("POST", "/v1/chat/completions", "{\"model\":\"gpt-4.1-mini\"}", auth, &r);
    expect_request_id(&r, doc, 500);
    ck_assert_str_eq(jstr(json_object_get(doc, "error"), "code"), "invalid_request");
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(respsmoke_passes_against_cometapi_and_names_the_variants)
{
    char dir[] = "/tmp/respsmoke-flavor-XXXXXX", base[128], json_path[128], out_path[128];
    char record_path[128], env_key[128], *out, *record;
    const char *envp[] = {"PATH=/usr/bin:/bin", env_key, NULL};
    static const char *const variants[] = {
        "gateway variant: error type comet_api_error",
        "gateway variant: empty-string error code",
        "gateway variant: error.param missing",
        "gateway variant: error messages end with (request id: ...)",
        "gateway variant: chat missing_model: HTTP 500 invalid_request where OpenAI sends 400",
        "gateway variant: chat usage carries extra key latency_checkpoint",
        "chat stream: ",
        NULL};
    const char *const *v;
    json_t *doc, *areas, *a, *checks, *c;
    const char *notes;
    size_t i;
    int code, missing_model_seen = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(base, sizeof(base), "%s/v1", test_srv.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", dir);
    snprintf(out_path, sizeof(out_path), "%s/stdout.txt", dir);
    snprintf(record_path, sizeof(record_path), "%s/record.md", dir);
    snprintf(env_key, sizeof(env_key), "RESPSMOKE_API_KEY=%s", KEY);
    code = test_run((const char *const[]){RM_RESPSMOKE_BIN, "--base-url", base, "--endpoint",
                                          "both", "--timeout", "10", "--json", json_path,
                                          "--record", record_path, NULL},
                    envp, out_path, NULL, 150);
    out = read_text_file(out_path, NULL);
    ck_assert_msg(code == 0, "respsmoke exit %d against --flavor cometapi:\n%s", code, out);
    doc = json_load_file(json_path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    /* every area passes (or does not apply), for both APIs */
    areas = json_object_get(doc, "areas");
    ck_assert_uint_ge(json_array_size(areas), 19);
    json_array_foreach(areas, i, a) {
        const char *result = jstr(a, "result");
        ck_assert_msg(strcmp(result, "PASS") == 0 || strcmp(result, "n/a") == 0,
                      "%s/%s is %s: %s", jstr(a, "api"), jstr(a, "area"), result,
                      jstr(a, "evidence"));
    }
    /* the chat missing_model check passed on the 500 itself */
    checks = json_object_get(doc, "checks");
    json_array_foreach(checks, i, c) {
        if (strcmp(jstr(c, "name"), "missing_model") == 0 && strcmp(jstr(c, "api"), "chat") == 0) {
            missing_model_seen = 1;
            ck_assert_str_eq(jstr(c, "result"), "PASS");
            ck_assert_int_eq(json_integer_value(json_object_get(c, "http_status")), 500);
        }
    }
    ck_assert(missing_model_seen);
    /* the notes name each variant, in the JSON and in the record */
    notes = jstr(doc, "notes");
    ck_assert_ptr_nonnull(notes);
    record = read_text_file(record_path, NULL);
    ck_assert_ptr_nonnull(record);
    for (v = variants; *v; v++) {
        ck_assert_msg(strstr(notes, *v) != NULL, "notes lack '%s': %s", *v, notes);
        ck_assert_msg(strstr(record, *v) != NULL, "record lacks '%s'", *v);
    }
    ck_assert_ptr_nonnull(strstr(notes, "obfuscation pad"));
    ck_assert_ptr_nonnull(strstr(record, "missing_model=500"));
    ck_assert_ptr_null(strstr(record, "canary"));
    ck_assert_ptr_null(strstr(out, "canary"));
    json_decref(doc);
    free(record);
    free(out);
    unlink(json_path);
    unlink(out_path);
    unlink(record_path);
    rmdir(dir);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("flavor");

    add_tcase(s, tcase_create("cometapi_http"), 30, start_comet, srv_stop,
              errors_quote_the_reply_request_id);
    add_tcase(s, tcase_create("cometapi_smoke"), 170, start_comet, srv_stop,
              respsmoke_passes_against_cometapi_and_names_the_variants);
    return s;
}
