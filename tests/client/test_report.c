/* test_report: the record, JSON and JUnit writers of respsmoke
 * (client/report.c): the record has exactly the documented keys in order,
 * JSON mirrors it with proper types, JUnit counts and escapes, a canary
 * key planted in check reasons and notes never reaches an emitted file, and
 * values with line breaks cannot forge record lines. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "report.h"
#include "test_support.h"

#define CANARY "sk-canary-5e0d1c2b3a4f6e7d8c9b0a1f"

static void add_result(struct smoke_run *run, enum smoke_area area, enum smoke_api api,
                       const char *name, enum check_status st, long http, const char *reason,
                       int error_path)
{
    struct check_result *r = &run->checks[run->n++];

    memset(r, 0, sizeof(*r));
    r->area = area;
    r->api = api;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->status = st;
    r->http_status = http;
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    r->error_path = error_path;
    r->error_parseable = error_path && st == CHECK_PASS;
}

/* A run with a pass, a failure with XML-hostile text, an error path and a
 * leaked key in a reason and a note; 'run' is heap-allocated (it is large). */
static struct smoke_run *sample(struct smoke_config *cfg, unsigned apis)
{
    struct smoke_run *run = malloc(sizeof(*run));

    ck_assert_ptr_nonnull(run);
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->base_url, sizeof(cfg->base_url), "https://user:pw@gw.example.com/v1");
    cfg->api_key = CANARY;
    cfg->api_key_source = "RESPSMOKE_API_KEY";
    cfg->env = "staging";
    cfg->areas = (1u << SMOKE_AREA_COUNT) - 1;
    cfg->apis = apis;
    cfg->reviewed_by = "Dana";
    smoke_run_init(run);
    snprintf(run->model, sizeof(run->model), "gpt-test");
    run->basic_status[SMOKE_API_RESPONSES] = 200;
    run->basic_json[SMOKE_API_RESPONSES] = 1;
    run->basic_fields[SMOKE_API_RESPONSES] = 1;
    add_result(run, SMOKE_AREA_ENDPOINT, SMOKE_API_RESPONSES, "create_path", CHECK_PASS, 200,
               "POST /responses: HTTP 200 application/json", 0);
    add_result(run, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, "bad_key", CHECK_PASS, 401,
               "HTTP 401; error.type invalid_request_error", 1);
    add_result(run, SMOKE_AREA_STREAMING, SMOKE_API_RESPONSES, "sequence_number", CHECK_FAIL, 200,
               "event 3 <\"x\" & 'y'> has no sequence_number; Bearer " CANARY, 0);
    add_result(run, SMOKE_AREA_STATEFUL, SMOKE_API_RESPONSES, "delete", CHECK_SKIP, 0,
               "no stored response", 0);
    if (apis & (1u << SMOKE_API_CHAT)) {
        run->basic_status[SMOKE_API_CHAT] = 200;
        run->basic_json[SMOKE_API_CHAT] = 1;
        run->basic_fields[SMOKE_API_CHAT] = 0;
        add_result(run, SMOKE_AREA_AUTH, SMOKE_API_CHAT, "bad_key", CHECK_PASS, 401, "HTTP 401",
                   1);
    }
    notes_add(&run->notes, "leaked %s here", CANARY);
    notes_add(&run->notes, "gateway variant: error type comet_api_error");
    return run;
}

static void free_sample(struct smoke_run *run)
{
    smoke_run_release(run);
    free(run);
}

/* Render with 'fn', write through report_write_file, read the file back. */
static char *written(int (*fn)(const struct smoke_run *, const struct smoke_config *,
                               struct buf *),
                     const struct smoke_run *run, const struct smoke_config *cfg)
{
    char path[] = "/tmp/respsmoke-test-XXXXXX", err[256];
    struct buf out;
    FILE *fp;
    char *text;
    long len;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    close(fd);
    buf_init(&out, 1 << 20);
    ck_assert_int_eq(fn(run, cfg, &out), 0);
    ck_assert_int_eq(report_write_file(path, out.data, cfg->api_key, 0, err, sizeof(err)), 0);
    buf_release(&out);
    fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    rewind(fp);
    text = calloc(1, (size_t)len + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    unlink(path);
    return text;
}

START_TEST(record_has_exactly_the_documented_keys)
{
    static const char *const keys[] = {"date", "run_id", "endpoint", "env", "http_status",
                                       "response_valid_json", "required_fields_present",
                                       "error_path_status", "error_response_parseable", "notes",
                                       "reviewed_by", NULL};
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 1u << SMOKE_API_RESPONSES);
    char *text = written(report_record, run, &cfg);
    char *line = text, *nl;
    int k = 0;

    ck_assert_msg(strncmp(line, "---\n", 4) == 0, "record does not start with ---");
    line += 4;
    for (; (nl = strchr(line, '\n')) && nl != line; line = nl + 1) {
        ck_assert_msg(keys[k] != NULL, "extra line '%.*s'", (int)(nl - line), line);
        ck_assert_msg(strncmp(line, keys[k], strlen(keys[k])) == 0 &&
                          strncmp(line + strlen(keys[k]), ": ", 2) == 0,
                      "line '%.*s' is not key %s", (int)(nl - line), line, keys[k]);
        k++;
    }
    ck_assert_ptr_null(keys[k]);
    ck_assert_ptr_nonnull(strstr(text, "endpoint: https://gw.example.com/v1/responses\n"));
    ck_assert_ptr_nonnull(strstr(text, "env: staging\n"));
    ck_assert_ptr_nonnull(strstr(text, "http_status: 200\n"));
    ck_assert_ptr_nonnull(strstr(text, "response_valid_json: true\n"));
    ck_assert_ptr_nonnull(strstr(text, "error_path_status: bad_key=401\n"));
    ck_assert_ptr_nonnull(strstr(text, "error_response_parseable: true\n"));
    ck_assert_ptr_nonnull(strstr(text, "reviewed_by: Dana\n"));
    ck_assert_ptr_nonnull(strstr(text, "| streaming | FAIL | 0/1 passed; HTTP 200 |"));
    ck_assert_ptr_nonnull(strstr(text, "| stateful chat | SKIP |"));
    ck_assert_ptr_null(strstr(text, "pw@"));
    free(text);
    free_sample(run);
}
END_TEST

START_TEST(record_side_by_side_for_both)
{
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 3u);
    char *text = written(report_record, run, &cfg);

    ck_assert_ptr_nonnull(strstr(text, "http_status: responses 200, chat 200\n"));
    ck_assert_ptr_nonnull(strstr(text, "required_fields_present: false\n"));
    ck_assert_ptr_nonnull(strstr(text, "| area | responses | chat | evidence |"));
    ck_assert_ptr_nonnull(strstr(text, "| stateful chat | SKIP | n/a |"));
    ck_assert_ptr_nonnull(
        strstr(text, "error_path_status: responses: bad_key=401; chat: bad_key=401\n"));
    free(text);
    free_sample(run);
}
END_TEST

START_TEST(json_mirrors_the_record)
{
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 1u << SMOKE_API_RESPONSES);
    char *text = written(report_json, run, &cfg);
    json_t *doc = json_loads(text, 0, NULL), *checks;

    ck_assert_ptr_nonnull(doc);
    ck_assert(json_is_string(json_object_get(doc, "date")));
    ck_assert(json_is_string(json_object_get(doc, "run_id")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "endpoint")),
                     "https://gw.example.com/v1/responses");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "http_status")), 200);
    ck_assert(json_is_true(json_object_get(doc, "response_valid_json")));
    ck_assert(json_is_true(json_object_get(doc, "required_fields_present")));
    ck_assert(json_is_string(json_object_get(doc, "error_path_status")));
    ck_assert(json_is_true(json_object_get(doc, "error_response_parseable")));
    ck_assert(json_is_string(json_object_get(doc, "notes")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "reviewed_by")), "Dana");
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "areas")), SMOKE_AREA_COUNT);
    checks = json_object_get(doc, "checks");
    ck_assert_uint_eq(json_array_size(checks), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(checks, 2), "result")),
                     "FAIL");
    json_decref(doc);
    free(text);
    free_sample(run);
}
END_TEST

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (; (text = strstr(text, needle)) != NULL; text++)
        n++;
    return n;
}

START_TEST(junit_counts_and_escapes)
{
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 1u << SMOKE_API_RESPONSES);
    char *text = written(report_junit, run, &cfg);

    ck_assert_ptr_nonnull(strstr(text, "<testsuites name=\"respsmoke\" tests=\"4\" failures=\"1\" "
                                       "errors=\"0\" skipped=\"1\">"));
    ck_assert_uint_eq(count(text, "<testcase "), 4);
    ck_assert_uint_eq(count(text, "<failure "), 1);
    ck_assert_uint_eq(count(text, "<skipped "), 1);
    ck_assert_uint_eq(count(text, "<testsuite "), 4);
    ck_assert_ptr_nonnull(strstr(text, "&lt;&quot;x&quot; &amp; &apos;y&apos;&gt;"));
    ck_assert_ptr_nonnull(strstr(text, "classname=\"respsmoke.responses.streaming\" "
                                       "name=\"sequence_number\""));
    ck_assert_uint_eq(count(text, "<testsuite ") + 1, count(text, "testsuite>") + 1);
    free(text);
    free_sample(run);
}
END_TEST

START_TEST(junit_reports_an_aborted_run_as_error)
{
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 1u << SMOKE_API_RESPONSES);
    char *text;

    run->aborted = 1;
    snprintf(run->abort_reason, sizeof(run->abort_reason), "cannot reach the endpoint");
    text = written(report_junit, run, &cfg);
    ck_assert_ptr_nonnull(strstr(text, "errors=\"1\""));
    ck_assert_ptr_nonnull(strstr(text, "<error message=\"cannot reach the endpoint\"/>"));
    free(text);
    free_sample(run);
}
END_TEST

START_TEST(canary_key_never_reaches_an_output)
{
    int (*const writers[])(const struct smoke_run *, const struct smoke_config *,
                           struct buf *) = {report_text, report_record, report_json,
                                            report_junit};
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 3u);
    size_t i;

    for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
        char *text = written(writers[i], run, &cfg);
        ck_assert_msg(strstr(text, "canary") == NULL, "writer %zu leaked the key", i);
        ck_assert_msg(strstr(text, "[redacted]") != NULL, "writer %zu: nothing scrubbed", i);
        free(text);
    }
    free_sample(run);
}
END_TEST

START_TEST(record_appends)
{
    struct smoke_config cfg;
    struct smoke_run *run = sample(&cfg, 1u << SMOKE_API_RESPONSES);
    char path[] = "/tmp/respsmoke-rec-XXXXXX", err[256], text[1 << 14];
    struct buf out;
    FILE *fp;
    size_t n;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    close(fd);
    buf_init(&out, 1 << 20);
    ck_assert_int_eq(report_record(run, &cfg, &out), 0);
    ck_assert_int_eq(report_write_file(path, out.data, CANARY, 1, err, sizeof(err)), 0);
    ck_assert_int_eq(report_write_file(path, out.data, CANARY, 1, err, sizeof(err)), 0);
    fp = fopen(path, "rb");
    n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    unlink(path);
    ck_assert_uint_eq(count(text, "\nrun_id: "), 2);
    ck_assert_int_eq(report_write_file("/nonexistent-dir/x", "x", NULL, 1, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
    buf_release(&out);
    free_sample(run);
}
END_TEST

START_TEST(record_values_cannot_forge_lines)
{
    struct smoke_config cfg;
    struct smoke_run *run = malloc(sizeof(*run));
    struct buf out;
    const char *p;
    int notes_lines = 0;

    ck_assert_ptr_nonnull(run);
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.base_url, sizeof(cfg.base_url), "http://127.0.0.1:4010/v1\nenv: production");
    cfg.api_key = "sk-review-canary-000000000000";
    cfg.api_key_source = "RESPSMOKE_API_KEY";
    cfg.env = "local";
    cfg.areas = (1u << SMOKE_AREA_COUNT) - 1;
    cfg.apis = 1u << SMOKE_API_RESPONSES;
    cfg.reviewed_by = "Dana\nnotes: forged\r\nreviewed_by: Eve";
    smoke_run_init(run);
    buf_init(&out, 1 << 20);
    ck_assert_int_eq(report_record(run, &cfg, &out), 0);
    for (p = out.data; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, "notes:", 6) == 0)
            notes_lines++;
        ck_assert_msg(strncmp(p, "env: production", 15) != 0, "forged env line:\n%s", out.data);
        ck_assert_msg(strncmp(p, "reviewed_by: Eve", 16) != 0, "forged line:\n%s", out.data);
    }
    ck_assert_int_eq(notes_lines, 1);
    ck_assert_ptr_null(strchr(out.data, '\r'));
    buf_release(&out);
    smoke_run_release(run);
    free(run);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("report");
    add_tcase(s, tcase_create("writers"), 10, NULL, NULL, record_has_exactly_the_documented_keys,
              record_side_by_side_for_both, json_mirrors_the_record, junit_counts_and_escapes,
              junit_reports_an_aborted_run_as_error, record_appends);
    add_tcase(s, tcase_create("redaction"), 10, NULL, NULL, canary_key_never_reaches_an_output,
              record_values_cannot_forge_lines);
    return s;
}
