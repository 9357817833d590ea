/* Integration tests for respsmoke end to end, against respmock child
 * processes.
 *
 * With the shipped fixtures every area passes for both APIs (the CI smoke
 * run). With one deliberately broken fixture from tests/data/broken/<case>/
 * placed in front of the shipped ones, exactly the area it breaks fails. Exit
 * codes and key redaction are checked on the real binary. respsmoke runs with
 * a clean environment; every child is killed and reaped however a test ends. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream_assert.h"
#include "test_support.h"

#define KEY "sk-respsmoke-canary-7f3e9a1b2c4d9f2c"
#define KEY_FINGERPRINT "sk-\xe2\x80\xa6" "9f2c"
#define SMOKE_DEADLINE_S 150

/* One respsmoke run and what it left behind. */
struct smoke {
    char dir[64];     /* temporary directory of this test */
    int exit_code;    /* -1 when it did not exit normally */
    char *out;        /* stdout */
    char *err;        /* stderr */
    json_t *json;     /* --json document or NULL */
};

static void make_dir(struct smoke *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/respsmoke-it-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
}

/* Remove 'dir' and the files (or symlinks) in it and in its subdirectories. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    struct stat st;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Symlink every *.json of 'from' into 'to'. */
static void link_json(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    char src[512], dst[512];
    int n = 0;

    ck_assert_msg(d != NULL, "cannot open %s", from);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
        ck_assert_int_eq(symlink(src, dst), 0);
        n++;
    }
    closedir(d);
    ck_assert_msg(n > 0, "no fixtures in %s", from);
}

/* Fixture dir = the shipped fixtures, plus tests/data/<extra>/ (whose
 * 00-*.json files sort first, so they win) when 'extra' is non-NULL, e.g.
 * "broken/wrong_shape". */
static void compose_fixtures(const struct smoke *s, const char *extra, char *out, size_t n)
{
    char case_dir[512];

    snprintf(out, n, "%s/fixtures", s->dir);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    link_json(RM_SOURCE_DIR "/fixtures", out);
    if (extra) {
        snprintf(case_dir, sizeof(case_dir), TEST_DATA_DIR "/%s", extra);
        link_json(case_dir, out);
    }
}

/* Run respsmoke with 'args' (NULL-terminated) and only PATH and, when 'key'
 * is non-NULL, RESPSMOKE_API_KEY in its environment. What a previous run
 * left in 's' is released. */
static void run_smoke(struct smoke *s, const char *key, const char *const *args)
{
    const char *argv[48], *envp[3] = {"PATH=/usr/bin:/bin", NULL, NULL};
    char env_key[256], out_path[128], err_path[128], json_path[128];
    int argc = 0;

    snprintf(out_path, sizeof(out_path), "%s/stdout.txt", s->dir);
    snprintf(err_path, sizeof(err_path), "%s/stderr.txt", s->dir);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s->dir);
    argv[argc++] = RM_RESPSMOKE_BIN;
    for (; *args && argc < 47; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    if (key) {
        snprintf(env_key, sizeof(env_key), "RESPSMOKE_API_KEY=%s", key);
        envp[1] = env_key;
    }
    free(s->out);
    free(s->err);
    json_decref(s->json);
    s->exit_code = test_run(argv, envp, out_path, err_path, SMOKE_DEADLINE_S);
    s->out = read_text_file(out_path, NULL);
    s->err = read_text_file(err_path, NULL);
    s->json = json_load_file(json_path, 0, NULL);
}

static void smoke_free(struct smoke *s)
{
    free(s->out);
    free(s->err);
    json_decref(s->json);
    remove_tree(s->dir);
}

/* The area result for 'api'/'area' in the --json document, or "". */
static const char *area_result(const json_t *doc, const char *api, const char *area)
{
    json_t *areas = json_object_get(doc, "areas");
    size_t i;

    for (i = 0; i < json_array_size(areas); i++) {
        json_t *a = json_array_get(areas, i);
        if (strcmp(json_string_value(json_object_get(a, "api")), api) == 0 &&
            strcmp(json_string_value(json_object_get(a, "area")), area) == 0)
            return json_string_value(json_object_get(a, "result"));
    }
    return "";
}

/* Every area of the run is PASS (or n/a), except 'bad_api'/'bad_area' which
 * must be FAIL ('bad_area' NULL: none). */
static void assert_only_failure(const struct smoke *s, const char *bad_api, const char *bad_area)
{
    json_t *areas = json_object_get(s->json, "areas");
    size_t i;

    ck_assert_msg(s->json != NULL, "no --json output; stdout:\n%s\nstderr:\n%s",
                  s->out ? s->out : "", s->err ? s->err : "");
    ck_assert_uint_gt(json_array_size(areas), 0);
    for (i = 0; i < json_array_size(areas); i++) {
        json_t *a = json_array_get(areas, i);
        const char *api = json_string_value(json_object_get(a, "api"));
        const char *area = json_string_value(json_object_get(a, "area"));
        const char *result = json_string_value(json_object_get(a, "result"));
        int expect_fail = bad_area && strcmp(api, bad_api) == 0 && strcmp(area, bad_area) == 0;
        if (expect_fail)
            ck_assert_msg(strcmp(result, "FAIL") == 0, "%s/%s should FAIL, is %s\n%s", api, area,
                          result, s->out);
        else
            ck_assert_msg(strcmp(result, "PASS") == 0 || strcmp(result, "n/a") == 0,
                          "%s/%s should pass, is %s: %s\n%s", api, area, result,
                          json_string_value(json_object_get(a, "evidence")), s->out);
    }
    ck_assert_int_eq(s->exit_code, bad_area ? 1 : 0);
}

/* Run respsmoke against a respmock (test_srv, stopped again before this
 * returns) on the shipped fixtures plus tests/data/'extra' (NULL: none) and,
 * unless 'mock_key' is NULL, --api-key 'mock_key'. respsmoke gets KEY and
 * --base-url, the 'args' (NULL-terminated), --json DIR/run.json. */
static void smoke_against_mock(struct smoke *s, const char *extra, const char *mock_key,
                               const char *const *args)
{
    char fixtures[256], base[128], json_path[128];
    const char *argv[40];
    int n = 0;

    compose_fixtures(s, extra, fixtures, sizeof(fixtures));
    srv_start(&(struct test_server_opts){.fixtures = fixtures, .api_key = mock_key});
    snprintf(base, sizeof(base), "%s/v1", test_srv.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s->dir);
    argv[n++] = "--base-url";
    argv[n++] = base;
    for (; *args && n < 37; args++)
        argv[n++] = *args;
    argv[n++] = "--json";
    argv[n++] = json_path;
    argv[n] = NULL;
    run_smoke(s, KEY, argv);
    srv_stop();
}

/* Broken fixtures: each must make exactly the right area fail. */
static const struct {
    const char *name;     /* tests/data/broken/<name> */
    const char *endpoint; /* respsmoke --endpoint */
    const char *api, *area;
} broken[] = {
    {"wrong_shape", "responses", "responses", "response_shape"},
    {"no_sequence_number", "responses", "responses", "streaming"},
    {"done_only", "responses", "responses", "streaming"},
    {"out_of_order", "responses", "responses", "streaming"},
    {"stream_drop", "responses", "responses", "streaming"},
    {"wrong_status", "responses", "responses", "multimodal"},
    {"arguments_object", "responses", "responses", "tool_calling"},
    {"chat_no_done", "both", "chat", "streaming"},
};

/* ---------------------------------------------------------------------------
 * End to end: everything passes, outputs are written and redacted
 * ------------------------------------------------------------------------- */

START_TEST(all_areas_pass_against_the_mock)
{
    struct smoke s;
    char json_path[128], record_path[128], junit_path[128];
    char *record, *junit;

    make_dir(&s);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s.dir);
    snprintf(record_path, sizeof(record_path), "%s/record.md", s.dir);
    snprintf(junit_path, sizeof(junit_path), "%s/junit.xml", s.dir);
    smoke_against_mock(&s, NULL, KEY,
                       (const char *const[]){"--endpoint", "both", "--timeout", "10", "--record",
                                             record_path, "--junit", junit_path, "--reviewed-by",
                                             "ci", NULL});
    assert_only_failure(&s, NULL, NULL);
    ck_assert_str_eq(area_result(s.json, "chat", "stateful"), "n/a");
    ck_assert_str_eq(area_result(s.json, "responses", "stateful"), "PASS");
    ck_assert_ptr_null(strstr(s.out, "FAIL "));
    record = read_text_file(record_path, NULL);
    junit = read_text_file(junit_path, NULL);
    ck_assert_ptr_nonnull(record);
    ck_assert_ptr_nonnull(junit);
    ck_assert_ptr_nonnull(strstr(record, "\nerror_response_parseable: true\n"));
    ck_assert_ptr_nonnull(strstr(record, "\nresponse_valid_json: true\n"));
    ck_assert_ptr_nonnull(strstr(record, "\nreviewed_by: ci\n"));
    ck_assert_ptr_nonnull(strstr(record, KEY_FINGERPRINT));
    ck_assert_ptr_nonnull(strstr(junit, "failures=\"0\" errors=\"0\""));
    /* the key never appears anywhere */
    ck_assert_ptr_null(strstr(s.out, "canary"));
    ck_assert_ptr_null(strstr(s.err ? s.err : "", "canary"));
    ck_assert_ptr_null(strstr(record, "canary"));
    ck_assert_ptr_null(strstr(junit, "canary"));
    {
        char *json_text = read_text_file(json_path, NULL);
        ck_assert_ptr_null(strstr(json_text, "canary"));
        free(json_text);
    }
    free(record);
    free(junit);
    smoke_free(&s);
}
END_TEST

/* A model that rejects temperature/top_p (reasoning models) is a noted
 * variant, not a failure: the optional-fields request is sent again without. */
START_TEST(reasoning_model_variant_passes)
{
    struct smoke s;

    make_dir(&s);
    smoke_against_mock(&s, "variants/no_sampling", KEY,
                       (const char *const[]){"--endpoint", "both", "--only", "optional_fields",
                                             "--retries", "0", NULL});
    ck_assert_msg(s.json != NULL, "no --json output: %s", s.err ? s.err : "");
    ck_assert_int_eq(s.exit_code, 0);
    ck_assert_str_eq(area_result(s.json, "responses", "optional_fields"), "PASS");
    ck_assert_str_eq(area_result(s.json, "chat", "optional_fields"), "PASS");
    ck_assert_msg(strstr(s.out, "rejects temperature") != NULL, "no note in:\n%s", s.out);
    smoke_free(&s);
}
END_TEST

/* The mock with its defaults (no --api-key, which accepts any bearer key)
 * still refuses respsmoke's bad key, of the reserved shape: every check
 * passes, and the bad-key check is a real 401. */
START_TEST(mock_with_defaults_passes_every_check)
{
    struct smoke s;

    make_dir(&s);
    smoke_against_mock(&s, NULL, NULL, (const char *const[]){"--timeout", "10", NULL});
    ck_assert_msg(s.exit_code == 0, "respsmoke failed against the defaults:\n%s", s.out);
    ck_assert_ptr_nonnull(strstr(s.out, "PASS  responses  auth/bad_key"));
    ck_assert_ptr_nonnull(strstr(s.out, "HTTP 401"));
    ck_assert_ptr_nonnull(strstr(s.out, "PASS  responses  auth/missing_header"));
    ck_assert_ptr_null(strstr(s.out, "FAIL "));
    smoke_free(&s);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Broken fixtures: each must make exactly the right area fail
 * ------------------------------------------------------------------------- */

START_TEST(broken_fixture_fails_its_area)
{
    struct smoke s;
    char extra[128];

    make_dir(&s);
    snprintf(extra, sizeof(extra), "broken/%s", broken[_i].name);
    smoke_against_mock(&s, extra, KEY,
                       (const char *const[]){"--endpoint", broken[_i].endpoint, "--timeout", "10",
                                             "--retries", "0", NULL});
    assert_only_failure(&s, broken[_i].api, broken[_i].area);
    smoke_free(&s);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Exit codes
 * ------------------------------------------------------------------------- */

START_TEST(exit_codes)
{
    struct smoke s;
    char junit_path[128], *junit;

    make_dir(&s);
    snprintf(junit_path, sizeof(junit_path), "%s/junit.xml", s.dir);
    /* nothing listens on port 1: a transport error */
    run_smoke(&s, KEY,
              (const char *const[]){"--base-url", "http://127.0.0.1:1/v1", "--timeout", "5",
                                    "--junit", junit_path, NULL});
    ck_assert_int_eq(s.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(s.err, "cannot reach the endpoint"));
    junit = read_text_file(junit_path, NULL);
    ck_assert_ptr_nonnull(junit);
    ck_assert_ptr_nonnull(strstr(junit, "errors=\"1\""));
    free(junit);

    run_smoke(&s, KEY, (const char *const[]){"--only", "no_such_area", NULL});
    ck_assert_int_eq(s.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(s.err, "unknown area"));

    /* a remote base URL and no key in the environment: refused before any request */
    run_smoke(&s, NULL, (const char *const[]){"--base-url", "https://api.invalid/v1", NULL});
    ck_assert_int_eq(s.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(s.err, "no API key"));

    run_smoke(&s, NULL, (const char *const[]){"--api-key", KEY, NULL});
    ck_assert_int_eq(s.exit_code, 2);
    ck_assert_ptr_null(strstr(s.err, "canary"));

    run_smoke(&s, NULL, (const char *const[]){"--help", NULL});
    ck_assert_int_eq(s.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(s.out, "exit codes:"));
    smoke_free(&s);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("smoke");

    add_tcase(s, tcase_create("variants"), 120, NULL, NULL, reasoning_model_variant_passes);
    add_tcase(s, tcase_create("end_to_end"), 170, NULL, NULL, all_areas_pass_against_the_mock,
              mock_with_defaults_passes_every_check);
    tcase_add_loop_test(suite_add_tests(s, tcase_create("broken_fixtures"), 170, NULL, NULL, NULL),
                        broken_fixture_fails_its_area, 0, sizeof(broken) / sizeof(broken[0]));
    add_tcase(s, tcase_create("exit_codes"), 60, NULL, NULL, exit_codes);
    return s;
}
