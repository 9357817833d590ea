/* respsmoke's checks prove what their names say: for each check that used
 * to pass vacuously, a server that gets it wrong makes it fail, and one that
 * gets it right makes it pass.
 *
 *   error_shape/invalid_value   an out-of-range value must be refused as
 *                               such: "Unsupported parameter" for every
 *                               value, or an error about another param,
 *                               fails; a model without temperature is asked
 *                               with max_output_tokens below its minimum;
 *   stateful/delete             exactly 404 after DELETE (401, 429, 400 fail);
 *   optional_fields_accepted    names the parameters the accepted request
 *                               carried (not temperature/top_p once dropped);
 *   streaming/deltas_concatenate reasoning-summary deltas are compared with
 *                               their .done text (test_conformance.c, on a
 *                               real recording made wrong: wrong_servers).
 *
 * The wrong servers are scripted (script_server.h), since respmock itself
 * always answers right; respsmoke runs with --only the area. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script_server.h"
#include "stream_assert.h"
#include "test_support.h"

#define SMOKE_DEADLINE_S 120

#define ENVELOPE(msg, param, code)                                                             \
    "{\"error\":{\"message\":\"" msg "\",\"type\":\"invalid_request_error\",\"param\":" param \
    ",\"code\":" code "}}"
#define UNSUPPORTED_TEMPERATURE                                                                \
    ENVELOPE("Unsupported parameter: 'temperature' is not supported with this model.",         \
             "\"temperature\"", "\"unsupported_parameter\"")
#define BAD_JSON ENVELOPE("We could not parse the JSON body of your request.", "null", "null")
#define RESP(id, extra)                                                                        \
    "{\"id\":\"" id "\",\"object\":\"response\",\"created_at\":1785273853,\"status\":"       \
    "\"completed\",\"error\":null,\"model\":\"m\",\"output\":[{\"id\":\"msg_1\",\"type\":"   \
    "\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":"     \
    "\"output_text\",\"text\":\"teal\",\"annotations\":[]}]}]" extra "}"

/* One respsmoke run: its --json document and stdout. */
struct run {
    json_t *doc;
    char *out;
    int code;
};

/* Run respsmoke against 'base' (".../v1" is added) with --only 'area' and
 * the extra NULL-terminated 'args'. */
static void smoke(const char *base, const char *area, const char *const *args, struct run *r)
{
    char dir[] = "/tmp/rm-checks-XXXXXX", json_path[64], out_path[64], url[128];
    const char *argv[32], *envp[] = {"PATH=/usr/bin:/bin", "RESPSMOKE_API_KEY=sk-checks-test",
                                     NULL};
    int n = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(json_path, sizeof(json_path), "%s/run.json", dir);
    snprintf(out_path, sizeof(out_path), "%s/out.txt", dir);
    snprintf(url, sizeof(url), "%s/v1", base);
    argv[n++] = RM_RESPSMOKE_BIN;
    argv[n++] = "--base-url";
    argv[n++] = url;
    argv[n++] = "--model";
    argv[n++] = "m";
    argv[n++] = "--only";
    argv[n++] = area;
    argv[n++] = "--retries";
    argv[n++] = "0";
    argv[n++] = "--timeout";
    argv[n++] = "20";
    argv[n++] = "--json";
    argv[n++] = json_path;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    r->code = test_run(argv, envp, out_path, out_path, SMOKE_DEADLINE_S);
    r->doc = json_load_file(json_path, 0, NULL);
    r->out = read_text_file(out_path, NULL);
    ck_assert_msg(r->doc != NULL, "no --json; respsmoke said:\n%s", r->out ? r->out : "");
    unlink(json_path);
    unlink(out_path);
    rmdir(dir);
}

static void run_free(struct run *r)
{
    json_decref(r->doc);
    free(r->out);
}

/* The result ("PASS", "FAIL", "SKIP") of check 'name' of the Responses API,
 * and its reason in '*reason'. */
static const char *result_api(const struct run *r, const char *api, const char *name,
                              const char **reason)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(r->doc, "checks"), i, c) {
        if (strcmp(jstr(c, "name"), name) == 0 && strcmp(jstr(c, "api"), api) == 0) {
            *reason = jstr(c, "reason");
            return jstr(c, "result");
        }
    }
    ck_abort_msg("no check %s in:\n%s", name, r->out);
    return NULL;
}

static const char *result_of(const struct run *r, const char *name, const char **reason)
{
    return result_api(r, "responses", name, reason);
}

static void expect(const struct run *r, const char *name, const char *want, const char *needle)
{
    const char *reason = NULL, *got = result_of(r, name, &reason);

    ck_assert_msg(strcmp(got, want) == 0, "%s: %s (%s), expected %s\n%s", name, got, reason, want,
                  r->out);
    if (needle)
        ck_assert_msg(strstr(reason, needle) != NULL, "%s: reason \"%s\" lacks \"%s\"", name,
                      reason, needle);
}

/* ---- error_shape/invalid_value ------------------------------------------- */

/* A model that says "Unsupported parameter" whatever is sent: nothing shows
 * it checks ranges, so invalid_value fails (it passed on that 400 before). */
START_TEST(invalid_value_fails_on_unsupported_everywhere)
{
    static const struct script_rule rules[] = {
        {"POST", "/v1/responses", "error_shape", 0, 400, NULL, UNSUPPORTED_TEMPERATURE},
        {"POST", "/v1/responses", NULL, 0, 400, NULL, BAD_JSON},
    };
    struct script_server *srv = script_start(rules, 2);
    struct run r;

    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "error_shape", NULL, &r);
    script_stop(srv);
    expect(&r, "invalid_value", "FAIL", "unsupported");
    expect(&r, "malformed_body", "PASS", NULL);
    ck_assert_int_eq(r.code, 1);
    run_free(&r);
}
END_TEST

/* A 400 about another parameter is not the out-of-range error asked for. */
START_TEST(invalid_value_fails_on_another_param)
{
    static const struct script_rule rules[] = {
        {"POST", "/v1/responses", "error_shape", 0, 400, NULL,
         ENVELOPE("The model 'm' does not exist.", "\"model\"", "\"model_not_found\"")},
        {"POST", "/v1/responses", NULL, 0, 400, NULL, BAD_JSON},
    };
    struct script_server *srv = script_start(rules, 2);
    struct run r;

    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "error_shape", NULL, &r);
    script_stop(srv);
    expect(&r, "invalid_value", "FAIL", "names param 'model'");
    run_free(&r);
}
END_TEST

/* A reasoning model: temperature unsupported, but max_output_tokens 1 is
 * refused as below its minimum: that proves range checking, a pass. */
START_TEST(invalid_value_falls_back_to_max_output_tokens)
{
    static const struct script_rule rules[] = {
        {"POST", "/v1/responses", "\"temperature\"", 0, 400, NULL, UNSUPPORTED_TEMPERATURE},
        {"POST", "/v1/responses", "\"max_output_tokens\":1", 0, 400, NULL,
         ENVELOPE("Invalid 'max_output_tokens': integer below minimum value. Expected a value "
                  ">= 16, but got 1 instead.",
                  "\"max_output_tokens\"", "\"integer_below_min_value\"")},
        {"POST", "/v1/responses", NULL, 0, 400, NULL, BAD_JSON},
    };
    struct script_server *srv = script_start(rules, 3);
    struct run r;

    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "error_shape", NULL, &r);
    ck_assert_int_eq(script_hits(srv, 1), 1);
    script_stop(srv);
    expect(&r, "invalid_value", "PASS", "out-of-range max_output_tokens");
    ck_assert_ptr_nonnull(strstr(r.out, "does not take temperature"));
    ck_assert_int_eq(r.code, 0);
    run_free(&r);
}
END_TEST

/* The same for Chat Completions: n 0 (at least 1) when temperature is
 * unsupported; "Unsupported value" for every value fails. */
START_TEST(invalid_value_chat_falls_back_to_n)
{
    static const struct script_rule right[] = {
        {"POST", "/v1/chat/completions", "\"temperature\"", 0, 400, NULL,
         ENVELOPE("Unsupported value: 'temperature' does not support 5 with this model. Only the "
                  "default (1) value is supported.",
                  "\"temperature\"", "\"unsupported_value\"")},
        {"POST", "/v1/chat/completions", "\"n\":0", 0, 400, NULL,
         ENVELOPE("Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 "
                  "instead.",
                  "\"n\"", "\"integer_below_min_value\"")},
        {"POST", "/v1/chat/completions", NULL, 0, 400, NULL, BAD_JSON},
    };
    static const struct script_rule wrong[] = {
        {"POST", "/v1/chat/completions", "error_shape", 0, 400, NULL,
         ENVELOPE("Unsupported value: 'temperature' does not support this value with this model.",
                  "\"temperature\"", "\"unsupported_value\"")},
        {"POST", "/v1/chat/completions", NULL, 0, 400, NULL, BAD_JSON},
    };
    const char *const chat[] = {"--endpoint", "chat", NULL};
    struct script_server *srv = script_start(right, 3);
    const char *reason = NULL;
    struct run r;

    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "error_shape", chat, &r);
    script_stop(srv);
    ck_assert_str_eq(result_api(&r, "chat", "invalid_value", &reason), "PASS");
    ck_assert_msg(strstr(reason, "out-of-range n") != NULL, "%s", reason);
    run_free(&r);
    srv = script_start(wrong, 2);
    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "error_shape", chat, &r);
    script_stop(srv);
    ck_assert_str_eq(result_api(&r, "chat", "invalid_value", &reason), "FAIL");
    run_free(&r);
}
END_TEST

/* respmock, a real range check: temperature 5 is refused for its value. */
START_TEST(invalid_value_passes_against_the_mock)
{
    struct run r;

    srv_start(NULL);
    smoke(test_srv.base, "error_shape", NULL, &r);
    srv_stop();
    expect(&r, "invalid_value", "PASS", "out-of-range temperature");
    run_free(&r);
}
END_TEST

/* ---- stateful/delete ------------------------------------------------------ */

/* The stateful area against a server whose GET after DELETE answers
 * 'after_status' (a 404 is right). */
static const struct {
    int status;
    const char *want;
} after_delete[] = {{401, "FAIL"}, {429, "FAIL"}, {400, "FAIL"}, {404, "PASS"}};

START_TEST(delete_needs_exactly_404)
{
    const struct script_rule rules[] = {
        {"POST", "/v1/responses", "[respsmoke:stateful]", 0, 200, NULL, RESP("resp_s1", "")},
        {"GET", "/v1/responses/resp_s1", NULL, 1, 200, NULL, RESP("resp_s1", "")},
        {"POST", "/v1/responses", "stateful_chain", 0, 200, NULL,
         RESP("resp_s2", ",\"previous_response_id\":\"resp_s1\"")},
        {"DELETE", "/v1/responses/", NULL, 0, 200, NULL,
         "{\"id\":\"resp_s1\",\"object\":\"response.deleted\",\"deleted\":true}"},
        {"GET", "/v1/responses/resp_s1", NULL, 0, after_delete[_i].status, NULL,
         ENVELOPE("not now", "null", "null")},
        {"POST", "/v1/responses", "stateful_unknown", 0, 400, NULL,
         ENVELOPE("Previous response not found.", "\"previous_response_id\"",
                  "\"previous_response_not_found\"")},
    };
    struct script_server *srv = script_start(rules, sizeof(rules) / sizeof(rules[0]));
    struct run r;

    ck_assert_ptr_nonnull(srv);
    smoke(script_base(srv), "stateful", NULL, &r);
    ck_assert_int_eq(script_hits(srv, 4), 1); /* the GET after DELETE was sent */
    script_stop(srv);
    expect(&r, "create_stored", "PASS", NULL);
    expect(&r, "retrieve", "PASS", NULL);
    expect(&r, "delete", after_delete[_i].want, NULL);
    run_free(&r);
}
END_TEST

/* ---- optional_fields/optional_fields_accepted ------------------------------ */

/* After temperature and top_p were rejected and left out, the pass names
 * only what was accepted (it listed them as accepted before). */
START_TEST(optional_fields_name_what_was_accepted)
{
    char dir[] = "/tmp/rm-optional-XXXXXX", fixtures[64], src[512], dst[512];
    const char *reason = NULL;
    struct run r;

    /* respmock with the reasoning-model variant in front of its fixtures */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(fixtures, sizeof(fixtures), "%s", dir);
    snprintf(src, sizeof(src), TEST_DATA_DIR "/variants/no_sampling/00-no-sampling.json");
    snprintf(dst, sizeof(dst), "%s/00-no-sampling.json", dir);
    ck_assert_msg(access(src, R_OK) == 0, "%s", src);
    ck_assert_int_eq(symlink(src, dst), 0);
    snprintf(src, sizeof(src), RM_SOURCE_DIR "/fixtures/99-default.json");
    snprintf(dst, sizeof(dst), "%s/99-default.json", dir);
    ck_assert_int_eq(symlink(src, dst), 0);
    srv_start(&(struct test_server_opts){.fixtures = fixtures});
    smoke(test_srv.base, "optional_fields", NULL, &r);
    srv_stop();
    expect(&r, "optional_fields_accepted", "PASS", "rejected by the model");
    result_of(&r, "optional_fields_accepted", &reason);
    ck_assert_msg(strncmp(reason, "HTTP 200; instructions, max_output_tokens", 41) == 0, "%s",
                  reason);
    run_free(&r);
    snprintf(dst, sizeof(dst), "%s/00-no-sampling.json", dir);
    unlink(dst);
    snprintf(dst, sizeof(dst), "%s/99-default.json", dir);
    unlink(dst);
    rmdir(dir);

    /* a model that takes them: they are named */
    srv_start(NULL);
    smoke(test_srv.base, "optional_fields", NULL, &r);
    srv_stop();
    expect(&r, "optional_fields_accepted", "PASS", "instructions, temperature, top_p");
    run_free(&r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("smoke_checks");

    add_tcase(s, tcase_create("invalid_value"), 120, NULL, srv_stop,
              invalid_value_fails_on_unsupported_everywhere, invalid_value_fails_on_another_param,
              invalid_value_falls_back_to_max_output_tokens, invalid_value_chat_falls_back_to_n,
              invalid_value_passes_against_the_mock);
    tcase_add_loop_test(suite_add_tests(s, tcase_create("delete"), 120, NULL, NULL, NULL),
                        delete_needs_exactly_404, 0,
                        (int)(sizeof(after_delete) / sizeof(after_delete[0])));
    add_tcase(s, tcase_create("optional_fields"), 120, NULL, srv_stop,
              optional_fields_name_what_was_accepted);
    return s;
}
