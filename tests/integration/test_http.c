/* Integration tests for the HTTP surface of a respmock process (issue 2),
 * driven with libcurl: the shipped fixtures' answers on POST /v1/responses,
 * request validation, auth, routing, the models routes, the body limit and
 * response headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_support.h"

static void start_default(void)
{
    srv_start(NULL);
}

static void start_with_key(void)
{
    srv_start(&(struct test_server_opts){.api_key = "sk-test-right-key-1234"});
}

static void start_small_body(void)
{
    static const char *const args[] = {"--max-body", "1024", NULL};

    srv_start(&(struct test_server_opts){.extra = args});
}

/* POST /v1/responses; returns the parsed body (new ref), 'r' the exchange. */
static json_t *create(const char *body, const char *const *headers, struct http_result *r)
{
    return srv_request("POST", "/v1/responses", body, headers, r);
}

/* Every key a real Response object has (contract §3.1). */
static void assert_response_shape(json_t *r)
{
    static const char *const keys[] = {
        "id", "object", "created_at", "status", "completed_at", "background", "error",
        "incomplete_details", "instructions", "max_output_tokens", "max_tool_calls", "model",
        "output", "parallel_tool_calls", "previous_response_id", "reasoning",
        "service_tier", "store", "temperature", "text", "tool_choice", "tools", "top_logprobs",
        "top_p", "truncation", "usage", "user", "safety_identifier", "prompt_cache_key",
        "prompt_cache_retention", "frequency_penalty", "presence_penalty", "moderation",
        "tool_usage", "billing", "metadata", NULL};
    const char *const *k;
    long now = (long)time(NULL);

    ck_assert_msg(json_is_object(r), "not a JSON object");
    for (k = keys; *k; k++)
        ck_assert_msg(json_object_get(r, *k) != NULL, "missing key %s", *k);
    /* as recorded: conversation and prompt only when the request gives them */
    ck_assert_ptr_null(json_object_get(r, "conversation"));
    ck_assert_ptr_null(json_object_get(r, "prompt"));
    ck_assert_str_eq(json_string_value(json_object_get(r, "object")), "response");
    ck_assert_int_eq(strncmp(json_string_value(json_object_get(r, "id")), "resp_", 5), 0);
    ck_assert(labs((long)json_integer_value(json_object_get(r, "created_at")) - now) < 60);
    ck_assert(json_is_array(json_object_get(r, "output")));
    ck_assert(json_is_object(json_object_get(r, "metadata")));
    ck_assert(json_is_object(json_object_get(r, "text")));
}

static const char *out_str(json_t *r, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(r, "output"), i), key));
}

START_TEST(health_needs_no_auth)
{
    struct http_result r;
    json_t *doc =
        srv_request("GET", "/healthz", NULL, (const char *const[]){"Authorization:", NULL}, &r);

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "ok");
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(plain_text_default)
{
    struct http_result r;
    json_t *doc =
        create("{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"instructions\":\"Be brief.\","
               "\"temperature\":0.5,\"top_p\":0.9,\"metadata\":{\"k\":\"v\"},"
               "\"max_output_tokens\":64}",
               NULL, &r);
    json_t *content, *usage;
    char *rid = http_header(&r, "x-request-id"), *ms = http_header(&r, "openai-processing-ms");
    char *ct = http_header(&r, "content-type");

    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(ct);
    ck_assert_ptr_nonnull(strstr(ct, "application/json"));
    ck_assert_ptr_nonnull(rid);
    ck_assert_int_eq(strncmp(rid, "req_", 4), 0);
    ck_assert_ptr_nonnull(ms);
    ck_assert(ms[0] >= '0' && ms[0] <= '9');
    assert_response_shape(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "completed");
    ck_assert(json_is_integer(json_object_get(doc, "completed_at")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "model")), "gpt-4.1-mini");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "instructions")), "Be brief.");
    ck_assert(json_real_value(json_object_get(doc, "temperature")) == 0.5);
    ck_assert(json_real_value(json_object_get(doc, "top_p")) == 0.9);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "max_output_tokens")), 64);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "metadata"), "k")),
                     "v");
    ck_assert(json_is_null(json_object_get(doc, "previous_response_id")));
    ck_assert(json_is_null(json_object_get(doc, "error")));
    ck_assert(json_is_true(json_object_get(doc, "store")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "tool_choice")), "auto");
    ck_assert_str_eq(out_str(doc, 0, "type"), "message");
    ck_assert_str_eq(out_str(doc, 0, "role"), "assistant");
    ck_assert_int_eq(strncmp(out_str(doc, 0, "id"), "msg_", 4), 0);
    content = json_array_get(json_object_get(json_array_get(json_object_get(doc, "output"), 0),
                                             "content"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(content, "type")), "output_text");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(content, "text")), "respmock"));
    ck_assert(json_is_array(json_object_get(content, "annotations")));
    usage = json_object_get(doc, "usage");
    ck_assert_int_eq(json_integer_value(json_object_get(usage, "total_tokens")),
                     json_integer_value(json_object_get(usage, "input_tokens")) +
                         json_integer_value(json_object_get(usage, "output_tokens")));
    free(rid);
    free(ms);
    free(ct);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(fresh_ids_every_time)
{
    struct http_result r1, r2;
    json_t *a = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}", NULL, &r1);
    json_t *b = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}", NULL, &r2);

    ck_assert_str_ne(json_string_value(json_object_get(a, "id")),
                     json_string_value(json_object_get(b, "id")));
    ck_assert_str_ne(out_str(a, 0, "id"), out_str(b, 0, "id"));
    json_decref(a);
    json_decref(b);
    http_result_free(&r1);
    http_result_free(&r2);
}
END_TEST

START_TEST(function_call_with_tools)
{
    struct http_result r;
    json_t *doc =
        create("{\"model\":\"gpt-4.1\",\"input\":\"Weather in Boston?\",\"tools\":[{\"type\":"
               "\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
               "\"properties\":{\"location\":{\"type\":\"string\"}}}}]}",
               NULL, &r);
    json_t *tool, *args;

    ck_assert_int_eq(r.status, 200);
    assert_response_shape(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "completed");
    ck_assert_str_eq(out_str(doc, 0, "type"), "function_call");
    ck_assert_int_eq(strncmp(out_str(doc, 0, "id"), "fc_", 3), 0);
    ck_assert_int_eq(strncmp(out_str(doc, 0, "call_id"), "call_", 5), 0);
    ck_assert_str_eq(out_str(doc, 0, "name"), "get_weather");
    ck_assert_ptr_nonnull(out_str(doc, 0, "arguments")); /* a JSON string, not an object */
    args = json_loads(out_str(doc, 0, "arguments"), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(args, "location")), "Boston, MA");
    tool = json_array_get(json_object_get(doc, "tools"), 0);
    ck_assert(json_is_true(json_object_get(tool, "strict")));
    ck_assert(json_is_null(json_object_get(tool, "description")));
    json_decref(args);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(refusal_incomplete_reasoning)
{
    struct http_result r;
    json_t *doc, *part;

    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"Please refuse this\"}", NULL, &r);
    part = json_array_get(json_object_get(json_array_get(json_object_get(doc, "output"), 0),
                                          "content"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(part, "type")), "refusal");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(part, "refusal")));
    json_decref(doc);
    http_result_free(&r);

    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"Write a long essay\"}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    assert_response_shape(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "incomplete");
    ck_assert(json_is_null(json_object_get(doc, "completed_at")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "incomplete_details"),
                                                       "reason")),
                     "max_output_tokens");
    ck_assert_str_eq(out_str(doc, 0, "status"), "incomplete");
    json_decref(doc);
    http_result_free(&r);

    doc = create("{\"model\":\"o4-mini\",\"input\":\"think about it\"}", NULL, &r);
    ck_assert_str_eq(out_str(doc, 0, "type"), "reasoning");
    ck_assert_int_eq(strncmp(out_str(doc, 0, "id"), "rs_", 3), 0);
    ck_assert_str_eq(out_str(doc, 1, "type"), "message");
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

/* A recorded transcript's response is stored under its recorded id and can
 * be retrieved and chained on. */
START_TEST(recorded_response_is_stored)
{
    struct http_result r;
    json_t *doc;

    doc = create("{\"model\":\"respmock-recorded\",\"input\":\"hi\",\"stream\":true}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":\"resp_rec1\""));
    http_result_free(&r);
    json_decref(doc);
    doc = srv_request("GET", "/v1/responses/resp_rec1", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "completed");
    ck_assert_str_eq(out_str(doc, 0, "id"), "msg_rec1");
    json_decref(doc);
    http_result_free(&r);
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"and then?\","
                 "\"previous_response_id\":\"resp_rec1\"}",
                 NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "previous_response_id")), "resp_rec1");
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(error_fixtures)
{
    static const int statuses[] = {401, 403, 404, 429, 500, 503};
    size_t i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct http_result r;
        char body[128];
        json_t *doc, *e;
        char *retry;

        snprintf(body, sizeof(body), "{\"model\":\"respmock-error-%d\",\"input\":\"hi\"}",
                 statuses[i]);
        doc = create(body, NULL, &r);
        ck_assert_int_eq(r.status, statuses[i]);
        e = assert_error_envelope(doc);
        (void)e;
        retry = http_header(&r, "x-should-retry");
        if (statuses[i] == 429 || statuses[i] == 500) {
            ck_assert_ptr_nonnull(retry);
            ck_assert_str_eq(retry, "false");
        }
        if (statuses[i] == 429) {
            char *ra = http_header(&r, "retry-after"), *rl = http_header(&r, "x-ratelimit-limit-requests");
            ck_assert_ptr_nonnull(ra);
            ck_assert_ptr_nonnull(rl);
            ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "rate_limit_exceeded");
            free(ra);
            free(rl);
        }
        if (statuses[i] == 503) {
            char *ms = http_header(&r, "retry-after-ms");
            ck_assert_ptr_nonnull(ms);
            ck_assert_str_eq(ms, "10");
            free(ms);
        }
        free(retry);
        json_decref(doc);
        http_result_free(&r);
    }
}
END_TEST

START_TEST(fixture_selected_by_header)
{
    struct http_result r;
    json_t *doc;

    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"x-respmock-fixture: error-500", NULL}, &r);
    assert_error_answer(doc, &r, 500);
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"x-respmock-fixture: no-such-fixture", NULL}, &r);
    assert_error_answer(doc, &r, 400);
}
END_TEST

/* status, code and param of a rejected body. */
static void expect_400(const char *body, const char *code, const char *param)
{
    struct http_result r;
    json_t *doc = create(body, NULL, &r), *e;

    ck_assert_msg(r.status == 400, "%s: status %ld", body, r.status);
    e = assert_error_envelope(doc);
    ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "invalid_request_error");
    if (code && strcmp(code, "*") == 0)
        ck_assert(json_object_get(e, "code") != NULL);
    else if (code)
        ck_assert_msg(json_is_string(json_object_get(e, "code")) &&
                          strcmp(json_string_value(json_object_get(e, "code")), code) == 0,
                      "%s: code", body);
    else
        ck_assert(json_is_null(json_object_get(e, "code")));
    if (param)
        ck_assert_msg(json_is_string(json_object_get(e, "param")) &&
                          strcmp(json_string_value(json_object_get(e, "param")), param) == 0,
                      "%s: param %s", body, json_string_value(json_object_get(e, "param")));
    json_decref(doc);
    http_result_free(&r);
}

static void expect_200(const char *body)
{
    struct http_result r;
    json_t *doc = create(body, NULL, &r);

    ck_assert_msg(r.status == 200, "%s: status %ld: %s", body, r.status, r.body);
    json_decref(doc);
    http_result_free(&r);
}

START_TEST(validation_rejects)
{
    expect_400("{\"model\":", NULL, NULL);
    expect_400("[1,2]", "invalid_type", NULL);
    expect_400("{\"input\":\"hi\"}", "missing_required_parameter", "model");
    expect_400("{\"model\":\"gpt-4.1\"}", "missing_required_parameter", "input");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"temperature\":\"hot\"}", "invalid_type",
               "temperature");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":42}", "invalid_type", "input");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"temperature\":2.5}", "decimal_above_max_value",
               "temperature");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"max_output_tokens\":8}",
               "integer_below_min_value", "max_output_tokens");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"metadata\":{\"a\":\"1\",\"b\":\"2\","
               "\"c\":\"3\",\"d\":\"4\",\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\","
               "\"j\":\"10\",\"k\":\"11\",\"l\":\"12\",\"m\":\"13\",\"n\":\"14\",\"o\":\"15\","
               "\"p\":\"16\",\"q\":\"17\"}}",
               "*", "metadata");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"frobnicate\":true}", "unknown_parameter",
               "frobnicate");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "*",
               "input[0].role");
    expect_400("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"previous_response_id\":\"resp_nope\"}",
               "previous_response_not_found", "previous_response_id");
}
END_TEST

START_TEST(validation_accepts)
{
    expect_200("{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    expect_200("{\"model\":\"gpt-4.1\",\"input\":[{\"type\":\"message\",\"role\":\"user\","
               "\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]}");
    expect_200("{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":["
               "{\"type\":\"input_text\",\"text\":\"what is this?\"},"
               "{\"type\":\"input_image\",\"image_url\":\"https://example.com/cat.png\"},"
               "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,iVBORw0KGgo=\","
               "\"detail\":\"low\"}]}]}");
    expect_200("{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":["
               "{\"type\":\"input_file\",\"file_id\":\"file-123\"},"
               "{\"type\":\"input_file\",\"filename\":\"a.pdf\",\"file_data\":"
               "\"data:application/pdf;base64,JVBERi0=\"},"
               "{\"type\":\"input_file\",\"file_url\":\"https://example.com/a.pdf\"}]}]}");
    expect_200("{\"model\":\"gpt-4.1\",\"input\":[{\"type\":\"function_call_output\","
               "\"call_id\":\"call_1\",\"output\":\"{\\\"temp_c\\\":21}\"}]}");
    expect_200("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"moderation\":null,"
               "\"prompt_cache_key\":\"k\",\"safety_identifier\":\"u1\",\"text\":{\"verbosity\":"
               "\"low\"},\"reasoning\":{\"effort\":\"low\"},\"include\":["
               "\"message.output_text.logprobs\"],\"service_tier\":\"auto\",\"store\":false}");
}
END_TEST

START_TEST(auth_required)
{
    struct http_result r;
    json_t *doc;

    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"Authorization:", NULL}, &r);
    assert_error_answer(doc, &r, 401);
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"Authorization: Basic dXNlcjpwYXNz", NULL}, &r);
    ck_assert_int_eq(r.status, 401);
    json_decref(doc);
    http_result_free(&r);
    /* Without --api-key any bearer token passes. */
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"Authorization: Bearer anything", NULL}, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(api_key_restricts)
{
    struct http_result r;
    json_t *doc, *e;

    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"Authorization: Bearer sk-wrong-key-5678", NULL}, &r);
    ck_assert_int_eq(r.status, 401);
    e = assert_error_envelope(doc);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "invalid_api_key");
    ck_assert_ptr_null(strstr(r.body, "sk-wrong-key-5678")); /* the key is masked */
    json_decref(doc);
    http_result_free(&r);
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                 (const char *const[]){"Authorization: Bearer sk-test-right-key-1234", NULL}, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

/* A fixture's stream fault only happens to streams: a response answered as
 * JSON replays as the clean stream of what it returned. */
START_TEST(replay_of_json_answer_has_no_fault)
{
    struct http_result r;
    json_t *doc = create("{\"model\":\"respmock-stream-error\",\"input\":\"hi\"}", NULL, &r);
    char path[256];

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "completed");
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true",
             json_string_value(json_object_get(doc, "id")));
    http_result_free(&r);
    json_decref(srv_request("GET", path, NULL, NULL, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "event: response.completed"));
    ck_assert_ptr_null(strstr(r.body, "event: error"));
    ck_assert_ptr_null(strstr(r.body, "event: response.failed"));
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(unknown_route_and_method)
{
    struct http_result r;
    json_t *doc, *e;

    doc = srv_request("GET", "/v1/foo", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    e = assert_error_envelope(doc);
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "Invalid URL (GET /v1/foo)");
    json_decref(doc);
    http_result_free(&r);
    assert_error_answer(srv_request("PUT", "/v1/responses", "{}", NULL, &r), &r, 404);
}
END_TEST

START_TEST(body_too_large)
{
    struct http_result r;
    char *body = malloc(8192);
    json_t *doc;

    memset(body, 'a', 8191);
    body[8191] = '\0';
    memcpy(body, "{\"model\":\"gpt-4.1\",\"input\":\"", 28);
    memcpy(body + 8189, "\"}", 2);
    assert_error_answer(create(body, NULL, &r), &r, 413);
    /* A small one still works on the same server. */
    doc = create("{\"model\":\"gpt-4.1\",\"input\":\"hi\"}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
    free(body);
}
END_TEST

START_TEST(stream_request_errors_are_json)
{
    struct http_result r;
    json_t *doc = create("{\"input\":\"hi\",\"stream\":true}", NULL, &r);
    char *ct = http_header(&r, "content-type");

    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(ct, "application/json"));
    assert_error_envelope(doc);
    free(ct);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

START_TEST(models_listed)
{
    struct http_result r;
    json_t *doc = srv_request("GET", "/v1/models", NULL, NULL, &r), *m;

    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "object")), "list");
    m = json_array_get(json_object_get(doc, "data"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "id")), "gpt-4.1-mini");
    ck_assert_str_eq(json_string_value(json_object_get(m, "object")), "model");
    json_decref(doc);
    http_result_free(&r);
    doc = srv_request("GET", "/v1/models/gpt-4.1-mini", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
    assert_error_answer(srv_request("GET", "/v1/models/nope", NULL, NULL, &r), &r, 404);
}
END_TEST

/* Every model the fixtures name is listed, no glob is, and one can be
 * fetched by id. */
START_TEST(models_routes)
{
    static const char *const named[] = {"gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-5-mini"};
    const char *noauth[] = {"Authorization: Basic eA==", NULL};
    struct http_result r;
    json_t *doc, *m, *e;
    size_t i, k;

    doc = srv_request("GET", "/v1/models", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "object")), "list");
    json_array_foreach (json_object_get(doc, "data"), i, m) {
        ck_assert(json_is_string(json_object_get(m, "id")));
        ck_assert_str_eq(json_string_value(json_object_get(m, "object")), "model");
        ck_assert(json_is_integer(json_object_get(m, "created")));
        ck_assert(json_is_string(json_object_get(m, "owned_by")));
        ck_assert_msg(!strpbrk(json_string_value(json_object_get(m, "id")), "*?["),
                      "a glob is listed as a model");
    }
    for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
        int found = 0;
        json_array_foreach (json_object_get(doc, "data"), i, m)
            found |= strcmp(json_string_value(json_object_get(m, "id")), named[k]) == 0;
        ck_assert_msg(found, "model %s is not listed", named[k]);
    }
    json_decref(doc);
    http_result_free(&r);

    doc = srv_request("GET", "/v1/models/gpt-4.1", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), "gpt-4.1");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "object")), "model");
    json_decref(doc);
    http_result_free(&r);

    doc = srv_request("GET", "/v1/models/no-such-model", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    e = assert_error_envelope(doc);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "model_not_found");
    json_decref(doc);
    http_result_free(&r);

    json_decref(srv_request("GET", "/v1/models", NULL, noauth, &r));
    ck_assert_int_eq(r.status, 401);
    http_result_free(&r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("http");

    add_tcase(s, tcase_create("health"), 60, start_default, srv_stop, health_needs_no_auth);
    add_tcase(s, tcase_create("shipped_success"), 60, start_default, srv_stop, plain_text_default,
              fresh_ids_every_time, function_call_with_tools, refusal_incomplete_reasoning,
              recorded_response_is_stored);
    add_tcase(s, tcase_create("shipped_errors"), 60, start_default, srv_stop, error_fixtures,
              fixture_selected_by_header);
    add_tcase(s, tcase_create("validation"), 60, start_default, srv_stop, validation_rejects,
              validation_accepts, stream_request_errors_are_json);
    add_tcase(s, tcase_create("auth"), 60, start_default, srv_stop, auth_required);
    add_tcase(s, tcase_create("api_key"), 60, start_with_key, srv_stop, api_key_restricts);
    add_tcase(s, tcase_create("routing"), 60, start_default, srv_stop, unknown_route_and_method,
              replay_of_json_answer_has_no_fault, models_listed);
    add_tcase(s, tcase_create("models"), 60, start_default, srv_stop, models_routes);
    add_tcase(s, tcase_create("body_limit"), 60, start_small_body, srv_stop, body_too_large);
    return s;
}
