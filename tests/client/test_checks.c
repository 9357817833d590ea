/* test_checks: the smoke suite's table and bookkeeping (client/checks.c):
 * area names and titles, --only/--skip parsing, which areas apply to which
 * API, per-area status and evidence from a run's results, the failure
 * count, the run id; and against a respmock child, that a rejected key
 * fails the error checks instead of passing them as validation errors. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "checks_runner.h"
#include "test_support.h"

START_TEST(area_names_round_trip)
{
    int i, j;

    for (i = 0; i < SMOKE_AREA_COUNT; i++) {
        ck_assert_int_eq(checks_area_parse(checks_area_name(i)), i);
        ck_assert_str_ne(checks_area_title(i), "unknown");
        for (j = 0; j < i; j++)
            ck_assert_str_ne(checks_area_name(i), checks_area_name(j));
    }
    ck_assert_str_eq(checks_area_name(SMOKE_AREA_STREAMING), "streaming");
    ck_assert_str_eq(checks_area_title(SMOKE_AREA_STATEFUL), "stateful chat");
    ck_assert_str_eq(checks_area_name(SMOKE_AREA_COUNT), "unknown");
    ck_assert_int_eq(checks_area_parse("streamin"), -1);
    ck_assert_int_eq(checks_area_parse("Streaming"), -1);
    ck_assert_int_eq(checks_area_parse(""), -1);
}
END_TEST

START_TEST(areas_apply_per_api)
{
    int i;

    for (i = 0; i < SMOKE_AREA_COUNT; i++)
        ck_assert(checks_area_applies(i, SMOKE_API_RESPONSES));
    ck_assert(!checks_area_applies(SMOKE_AREA_STATEFUL, SMOKE_API_CHAT));
    ck_assert(checks_area_applies(SMOKE_AREA_STREAMING, SMOKE_API_CHAT));
    ck_assert(!checks_area_applies(SMOKE_AREA_COUNT, SMOKE_API_RESPONSES));
    ck_assert_str_eq(checks_api_name(SMOKE_API_RESPONSES), "responses");
    ck_assert_str_eq(checks_api_name(SMOKE_API_CHAT), "chat");
    ck_assert_str_eq(checks_api_path(SMOKE_API_RESPONSES), "/responses");
    ck_assert_str_eq(checks_api_path(SMOKE_API_CHAT), "/chat/completions");
}
END_TEST

/* Append a result to 'run'. */
static void result(struct smoke_run *run, enum smoke_area area, enum smoke_api api,
                   enum check_status st, long http)
{
    struct check_result *r = &run->checks[run->n++];

    memset(r, 0, sizeof(*r));
    r->area = area;
    r->api = api;
    r->status = st;
    r->http_status = http;
}

/* An initialised run on the heap (it is large) and a config selecting all. */
static struct smoke_run *new_run(struct smoke_config *cfg)
{
    struct smoke_run *run = malloc(sizeof(*run));

    ck_assert_ptr_nonnull(run);
    smoke_run_init(run);
    memset(cfg, 0, sizeof(*cfg));
    cfg->areas = (1u << SMOKE_AREA_COUNT) - 1;
    cfg->apis = (1u << SMOKE_API_COUNT) - 1;
    return run;
}

static void free_run(struct smoke_run *run)
{
    smoke_run_release(run);
    free(run);
}

START_TEST(area_status_aggregates_results)
{
    struct smoke_config cfg;
    struct smoke_run *run = new_run(&cfg);
    char ev[SMOKE_REASON_MAX];

    result(run, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, CHECK_PASS, 200);
    result(run, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, CHECK_PASS, 401);
    result(run, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, CHECK_SKIP, 0);
    result(run, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, CHECK_PASS, 401);
    result(run, SMOKE_AREA_ERRORS, SMOKE_API_RESPONSES, CHECK_PASS, 400);
    result(run, SMOKE_AREA_ERRORS, SMOKE_API_RESPONSES, CHECK_FAIL, 200);
    result(run, SMOKE_AREA_ERRORS, SMOKE_API_CHAT, CHECK_PASS, 400);
    result(run, SMOKE_AREA_TOOLS, SMOKE_API_RESPONSES, CHECK_SKIP, 0);
    /* passes and a skip: PASS, statuses once each, zero left out */
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_AUTH, SMOKE_API_RESPONSES, ev,
                                        sizeof(ev)),
                     CHECK_PASS);
    ck_assert_str_eq(ev, "3/4 passed, 1 skipped; HTTP 200 401");
    /* one failure fails the area; results of the other API do not count */
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_ERRORS, SMOKE_API_RESPONSES, ev,
                                        sizeof(ev)),
                     CHECK_FAIL);
    ck_assert_str_eq(ev, "1/2 passed; HTTP 400 200");
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_ERRORS, SMOKE_API_CHAT, NULL, 0),
                     CHECK_PASS);
    /* only skips, or nothing at all: SKIP */
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_TOOLS, SMOKE_API_RESPONSES, ev,
                                        sizeof(ev)),
                     CHECK_SKIP);
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_SHAPE, SMOKE_API_RESPONSES, ev,
                                        sizeof(ev)),
                     CHECK_SKIP);
    ck_assert_str_eq(ev, "no checks ran");
    run->aborted = 1;
    checks_area_status(run, &cfg, SMOKE_AREA_SHAPE, SMOKE_API_RESPONSES, ev, sizeof(ev));
    ck_assert_str_eq(ev, "run aborted");
    ck_assert_uint_eq(checks_failed(run), 1);
    free_run(run);
}
END_TEST

START_TEST(area_status_of_unselected_areas)
{
    struct smoke_config cfg;
    struct smoke_run *run = new_run(&cfg);
    char ev[SMOKE_REASON_MAX];

    result(run, SMOKE_AREA_AUTH, SMOKE_API_CHAT, CHECK_FAIL, 500);
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_STATEFUL, SMOKE_API_CHAT, ev,
                                        sizeof(ev)),
                     CHECK_SKIP);
    ck_assert_str_eq(ev, "not applicable to /chat/completions");
    cfg.apis = 1u << SMOKE_API_RESPONSES; /* a failure of an API not asked for is not shown */
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_AUTH, SMOKE_API_CHAT, ev,
                                        sizeof(ev)),
                     CHECK_SKIP);
    ck_assert_str_eq(ev, "not selected");
    cfg.apis = (1u << SMOKE_API_COUNT) - 1;
    cfg.areas = 1u << SMOKE_AREA_STREAMING;
    ck_assert_int_eq(checks_area_status(run, &cfg, SMOKE_AREA_AUTH, SMOKE_API_CHAT, ev,
                                        sizeof(ev)),
                     CHECK_SKIP);
    ck_assert_str_eq(ev, "not selected");
    free_run(run);
}
END_TEST

START_TEST(run_init_stamps_date_and_id)
{
    struct smoke_config cfg;
    struct smoke_run *a = new_run(&cfg), *b = new_run(&cfg);
    regex_t date, id;
    int i;

    ck_assert_int_eq(regcomp(&date, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                             REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_int_eq(regcomp(&id, "^rs-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$", REG_EXTENDED | REG_NOSUB),
                     0);
    ck_assert_msg(regexec(&date, a->date, 0, NULL, 0) == 0, "date %s", a->date);
    ck_assert_msg(regexec(&id, a->run_id, 0, NULL, 0) == 0, "run id %s", a->run_id);
    ck_assert_str_ne(a->run_id, b->run_id);
    ck_assert_uint_eq(a->n, 0);
    for (i = 0; i < SMOKE_API_COUNT; i++) {
        ck_assert_int_eq(a->basic_json[i], -1);
        ck_assert_int_eq(a->basic_fields[i], -1);
    }
    regfree(&date);
    regfree(&id);
    free_run(a);
    free_run(b);
}
END_TEST

/* The result named 'name' of 'run', or NULL. */
static const struct check_result *find(const struct smoke_run *run, const char *name)
{
    size_t i;

    for (i = 0; i < run->n; i++)
        if (strcmp(run->checks[i].name, name) == 0)
            return &run->checks[i];
    return NULL;
}

START_TEST(rejected_key_is_not_a_validation_error)
{
    static const char *const args[] = {"--api-key", "sk-review-right-key-0000000000", NULL};
    static const char *const names[] = {"missing_model", "invalid_value", "malformed_body",
                                        NULL};
    struct test_server srv;
    char base[256];
    struct smoke_run *run;
    const char *const *k;

    ck_assert_int_eq(test_server_start(&srv, args), 0);
    snprintf(base, sizeof(base), "%s/v1", srv.base);
    run = checks_runner_run(base, "sk-review-wrong-key-0000000000",
                            (1u << SMOKE_AREA_REQUIRED) | (1u << SMOKE_AREA_ERRORS),
                            1u << SMOKE_API_RESPONSES);
    for (k = names; *k; k++) {
        const struct check_result *r = find(run, *k);
        ck_assert_msg(r != NULL, "no result for %s", *k);
        ck_assert_int_eq(r->http_status, 401);
        ck_assert_msg(r->status == CHECK_FAIL, "%s passed on a 401: %s", *k, r->reason);
    }
    checks_runner_free(run);
    test_server_stop(&srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("checks");
    add_tcase(s, tcase_create("names"), 10, NULL, NULL, area_names_round_trip, areas_apply_per_api);
    add_tcase(s, tcase_create("area_status"), 10, NULL, NULL, area_status_aggregates_results,
              area_status_of_unselected_areas, run_init_stamps_date_and_id);
    add_tcase(s, tcase_create("error_checks"), 60, NULL, NULL,
              rejected_key_is_not_a_validation_error);
    return s;
}
