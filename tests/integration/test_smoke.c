/* test_smoke: respsmoke end to end against respmock child processes.
 *
 * With the shipped fixtures every area passes for both APIs (the CI smoke
 * run). With one deliberately broken fixture from tests/data/broken/<case>/
 * placed in front of the shipped ones, exactly the area it breaks fails. Exit
 * codes and key redaction are checked on the real binary. respsmoke runs with
 * a clean environment; every child is killed and reaped however a test ends. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static char *read_all(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *text;
    long len;

    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    rewind(fp);
    text = calloc(1, (size_t)len + 1);
    if (text && fread(text, 1, (size_t)len, fp) != (size_t)len) {
        free(text);
        text = NULL;
    }
    fclose(fp);
    return text;
}

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
        snprintf(case_dir, sizeof(case_dir), "%s/tests/data/%s", RM_SOURCE_DIR, extra);
        link_json(case_dir, out);
    }
}

/* Run respsmoke with 'args' (NULL-terminated) and only PATH and, when 'key'
 * is non-NULL, RESPSMOKE_API_KEY in its environment. */
static void run_smoke(struct smoke *s, const char *key, const char *const *args)
{
    const char *argv[48], *envp[4];
    char env_key[256], out_path[128], err_path[128], json_path[128];
    int argc = 0, status = 0, i;
    pid_t pid, parent = getpid();

    snprintf(out_path, sizeof(out_path), "%s/stdout.txt", s->dir);
    snprintf(err_path, sizeof(err_path), "%s/stderr.txt", s->dir);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s->dir);
    argv[argc++] = RM_RESPSMOKE_BIN;
    for (; *args && argc < 47; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    envp[0] = "PATH=/usr/bin:/bin";
    envp[1] = NULL;
    if (key) {
        snprintf(env_key, sizeof(env_key), "RESPSMOKE_API_KEY=%s", key);
        envp[1] = env_key;
        envp[2] = NULL;
    }
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo, fe;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    for (i = 0; i < SMOKE_DEADLINE_S * 100; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        nanosleep(&ms10, NULL);
    }
    if (i == SMOKE_DEADLINE_S * 100) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("respsmoke did not finish within %d s", SMOKE_DEADLINE_S);
    }
    s->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    s->out = read_all(out_path);
    s->err = read_all(err_path);
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

/* Start respmock on a fixture dir; 'api_key' NULL runs it without --api-key. */
static void start_server(struct test_server *ts, const char *fixtures, const char *api_key)
{
    const char *args[6];
    int n = 0;

    args[n++] = "--fixtures";
    args[n++] = fixtures;
    if (api_key) {
        args[n++] = "--api-key";
        args[n++] = api_key;
    }
    args[n] = NULL;
    ck_assert_msg(test_server_start(ts, args) == 0, "respmock did not start");
}

/* Run one broken-fixture case and expect exactly 'api'/'area' to fail. */
static void broken_case(const char *name, const char *endpoint, const char *api,
                        const char *area)
{
    struct smoke s;
    struct test_server ts;
    char fixtures[256], base[128], json_path[128], extra[128];

    make_dir(&s);
    snprintf(extra, sizeof(extra), "broken/%s", name);
    compose_fixtures(&s, extra, fixtures, sizeof(fixtures));
    start_server(&ts, fixtures, KEY);
    snprintf(base, sizeof(base), "%s/v1", ts.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s.dir);
    {
        const char *const args[] = {"--base-url", base, "--endpoint", endpoint, "--timeout", "10",
                                    "--retries", "0", "--json", json_path, NULL};
        run_smoke(&s, KEY, args);
    }
    test_server_stop(&ts);
    assert_only_failure(&s, api, area);
    smoke_free(&s);
}

/* ---------------------------------------------------------------------------
 * End to end: everything passes, outputs are written and redacted
 * ------------------------------------------------------------------------- */

START_TEST(all_areas_pass_against_the_mock)
{
    struct smoke s;
    struct test_server ts;
    char fixtures[256], base[128], json_path[128], record_path[128], junit_path[128];
    char *record, *junit;

    make_dir(&s);
    compose_fixtures(&s, NULL, fixtures, sizeof(fixtures));
    start_server(&ts, fixtures, KEY);
    snprintf(base, sizeof(base), "%s/v1", ts.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s.dir);
    snprintf(record_path, sizeof(record_path), "%s/record.md", s.dir);
    snprintf(junit_path, sizeof(junit_path), "%s/junit.xml", s.dir);
    {
        const char *const args[] = {"--base-url", base, "--endpoint", "both", "--timeout", "10",
                                    "--json", json_path, "--record", record_path, "--junit",
                                    junit_path, "--reviewed-by", "ci", NULL};
        run_smoke(&s, KEY, args);
    }
    test_server_stop(&ts);
    assert_only_failure(&s, NULL, NULL);
    ck_assert_str_eq(area_result(s.json, "chat", "stateful"), "n/a");
    ck_assert_str_eq(area_result(s.json, "responses", "stateful"), "PASS");
    ck_assert_ptr_null(strstr(s.out, "FAIL "));
    record = read_all(record_path);
    junit = read_all(junit_path);
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
        char *json_text = read_all(json_path);
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
    struct test_server ts;
    char fixtures[256], base[128], json_path[128];

    make_dir(&s);
    compose_fixtures(&s, "variants/no_sampling", fixtures, sizeof(fixtures));
    start_server(&ts, fixtures, KEY);
    snprintf(base, sizeof(base), "%s/v1", ts.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s.dir);
    {
        const char *const args[] = {"--base-url", base, "--endpoint", "both", "--only",
                                    "optional_fields", "--retries", "0", "--json", json_path,
                                    NULL};
        run_smoke(&s, KEY, args);
    }
    test_server_stop(&ts);
    ck_assert_msg(s.json != NULL, "no --json output: %s", s.err ? s.err : "");
    ck_assert_int_eq(s.exit_code, 0);
    ck_assert_str_eq(area_result(s.json, "responses", "optional_fields"), "PASS");
    ck_assert_str_eq(area_result(s.json, "chat", "optional_fields"), "PASS");
    ck_assert_msg(strstr(s.out, "rejects temperature") != NULL, "no note in:\n%s", s.out);
    smoke_free(&s);
}
END_TEST

START_TEST(mock_without_api_key_fails_only_auth)
{
    struct smoke s;
    struct test_server ts;
    char fixtures[256], base[128], json_path[128];

    make_dir(&s);
    compose_fixtures(&s, NULL, fixtures, sizeof(fixtures));
    start_server(&ts, fixtures, NULL); /* accepts any bearer key */
    snprintf(base, sizeof(base), "%s/v1", ts.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", s.dir);
    {
        const char *const args[] = {"--base-url", base, "--timeout", "10", "--json", json_path,
                                    NULL};
        run_smoke(&s, KEY, args);
    }
    test_server_stop(&ts);
    assert_only_failure(&s, "responses", "auth");
    ck_assert_ptr_nonnull(strstr(s.out, "FAIL  responses  auth/bad_key"));
    ck_assert_ptr_nonnull(strstr(s.out, "PASS  responses  auth/missing_header"));
    smoke_free(&s);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Broken fixtures: each must make exactly the right area fail
 * ------------------------------------------------------------------------- */

START_TEST(wrong_shape_fails_response_shape)
{
    broken_case("wrong_shape", "responses", "responses", "response_shape");
}
END_TEST

START_TEST(missing_sequence_number_fails_streaming)
{
    broken_case("no_sequence_number", "responses", "responses", "streaming");
}
END_TEST

START_TEST(done_only_fails_streaming)
{
    broken_case("done_only", "responses", "responses", "streaming");
}
END_TEST

START_TEST(out_of_order_fails_streaming)
{
    broken_case("out_of_order", "responses", "responses", "streaming");
}
END_TEST

START_TEST(stream_drop_fails_streaming)
{
    broken_case("stream_drop", "responses", "responses", "streaming");
}
END_TEST

START_TEST(wrong_status_fails_multimodal)
{
    broken_case("wrong_status", "responses", "responses", "multimodal");
}
END_TEST

START_TEST(arguments_object_fails_tool_calling)
{
    broken_case("arguments_object", "responses", "responses", "tool_calling");
}
END_TEST

START_TEST(chat_without_done_fails_chat_streaming)
{
    broken_case("chat_no_done", "both", "chat", "streaming");
}
END_TEST

/* ---------------------------------------------------------------------------
 * Exit codes
 * ------------------------------------------------------------------------- */

START_TEST(exit_codes)
{
    struct smoke s;
    char junit_path[128];

    make_dir(&s);
    snprintf(junit_path, sizeof(junit_path), "%s/junit.xml", s.dir);
    {
        /* nothing listens on port 1: a transport error */
        const char *const args[] = {"--base-url", "http://127.0.0.1:1/v1", "--timeout", "5",
                                    "--junit", junit_path, NULL};
        char *junit;
        run_smoke(&s, KEY, args);
        ck_assert_int_eq(s.exit_code, 2);
        ck_assert_ptr_nonnull(strstr(s.err, "cannot reach the endpoint"));
        junit = read_all(junit_path);
        ck_assert_ptr_nonnull(junit);
        ck_assert_ptr_nonnull(strstr(junit, "errors=\"1\""));
        free(junit);
        free(s.out);
        free(s.err);
        json_decref(s.json);
    }
    {
        const char *const args[] = {"--only", "no_such_area", NULL};
        run_smoke(&s, KEY, args);
        ck_assert_int_eq(s.exit_code, 2);
        ck_assert_ptr_nonnull(strstr(s.err, "unknown area"));
        free(s.out);
        free(s.err);
    }
    {
        /* a remote base URL and no key in the environment: refused before any request */
        const char *const args[] = {"--base-url", "https://api.invalid/v1", NULL};
        run_smoke(&s, NULL, args);
        ck_assert_int_eq(s.exit_code, 2);
        ck_assert_ptr_nonnull(strstr(s.err, "no API key"));
        free(s.out);
        free(s.err);
    }
    {
        const char *const args[] = {"--api-key", KEY, NULL};
        run_smoke(&s, NULL, args);
        ck_assert_int_eq(s.exit_code, 2);
        ck_assert_ptr_null(strstr(s.err, "canary"));
        free(s.out);
        free(s.err);
    }
    {
        const char *const args[] = {"--help", NULL};
        run_smoke(&s, NULL, args);
        ck_assert_int_eq(s.exit_code, 0);
        ck_assert_ptr_nonnull(strstr(s.out, "exit codes:"));
        free(s.out);
        free(s.err);
    }
    s.out = s.err = NULL;
    s.json = NULL;
    smoke_free(&s);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("smoke");
    TCase *tc;

    tc = tcase_create("variants");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reasoning_model_variant_passes);
    suite_add_tcase(s, tc);
    tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 170);
    tcase_add_test(tc, all_areas_pass_against_the_mock);
    tcase_add_test(tc, mock_without_api_key_fails_only_auth);
    suite_add_tcase(s, tc);

    tc = tcase_create("broken_fixtures");
    tcase_set_timeout(tc, 170);
    tcase_add_test(tc, wrong_shape_fails_response_shape);
    tcase_add_test(tc, missing_sequence_number_fails_streaming);
    tcase_add_test(tc, done_only_fails_streaming);
    tcase_add_test(tc, out_of_order_fails_streaming);
    tcase_add_test(tc, stream_drop_fails_streaming);
    tcase_add_test(tc, wrong_status_fails_multimodal);
    tcase_add_test(tc, arguments_object_fails_tool_calling);
    tcase_add_test(tc, chat_without_done_fails_chat_streaming);
    suite_add_tcase(s, tc);

    tc = tcase_create("exit_codes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, exit_codes);
    suite_add_tcase(s, tc);
    return s;
}
