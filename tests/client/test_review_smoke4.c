/* test_review_smoke4: regressions found in a review of respsmoke (client/):
 * false FAILs on real streams (reasoning_text content, keepalive events
 * without sequence_number), false PASSes of the error checks on 401/429,
 * retry-after fractions, long bearer tokens, credentials with '@' in a base
 * URL, newline injection into the record and unscrubbed stderr. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "checks.h"
#include "redact.h"
#include "report.h"
#include "transport.h"
#include "test_support.h"

START_TEST(retry_after_fractions_are_honoured)
{
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "1.5", 0, 0), 1500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "2", 3, 0), 2000);
    ck_assert_int_eq(transport_retry_delay_ms("0.5", NULL, 3, 0), 1);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "-1", 0, 0), 500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "nan", 0, 0), 500);
    ck_assert_int_eq(transport_retry_delay_ms(NULL, "Sun, 06 Nov 1994 08:49:47 GMT", 0,
                                              784111777L),
                     10000);
}
END_TEST

START_TEST(long_bearer_token_is_sent_whole)
{
    static char key[1601];
    const char *args[] = {"--api-key", key, NULL};
    struct test_server srv;
    struct transport_config cfg;
    struct transport t;
    struct transport_request req;
    struct transport_reply rep;
    char base[96];

    memset(key, 'k', sizeof(key) - 1);
    memcpy(key, "eyJ-jwt-", 8);
    key[sizeof(key) - 2] = 'Z'; /* a truncated key would lose this */
    ck_assert_int_eq(test_server_start(&srv, args), 0);
    snprintf(base, sizeof(base), "%s/v1", srv.base);
    cfg.base_url = base;
    cfg.api_key = key;
    cfg.timeout_s = 20;
    cfg.retries = 0;
    ck_assert_int_eq(transport_global_init(), 0);
    ck_assert_int_eq(transport_init(&t, &cfg), 0);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/models";
    req.auth = TRANSPORT_AUTH_KEY;
    transport_send(&t, &req, &rep);
    ck_assert_int_eq(rep.fail, TRANSPORT_OK);
    ck_assert_int_eq(rep.status, 200);
    transport_reply_release(&rep);
    transport_release(&t);
    transport_global_cleanup();
    test_server_stop(&srv);
}
END_TEST

START_TEST(url_password_with_at_sign_is_removed)
{
    char out[256];

    ck_assert_str_eq(redact_url("https://user:p@ss@gw.example.com/v1", out, sizeof(out)),
                     "https://gw.example.com/v1");
    ck_assert_str_eq(redact_url("https://gw.example.com/v1/a@b", out, sizeof(out)),
                     "https://gw.example.com/v1/a@b");
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
    struct smoke_config cfg;
    struct transport_config tc;
    struct transport t;
    struct smoke_run *run = malloc(sizeof(*run));
    const char *const *k;

    ck_assert_ptr_nonnull(run);
    ck_assert_int_eq(test_server_start(&srv, args), 0);
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.base_url, sizeof(cfg.base_url), "%s/v1", srv.base);
    cfg.api_key = "sk-review-wrong-key-0000000000";
    cfg.api_key_source = "test";
    cfg.model = "gpt-4.1-mini";
    cfg.model_source = "test";
    cfg.env = "local";
    cfg.areas = (1u << SMOKE_AREA_REQUIRED) | (1u << SMOKE_AREA_ERRORS);
    cfg.apis = 1u << SMOKE_API_RESPONSES;
    cfg.timeout_s = 20;
    cfg.retries = 0;
    tc.base_url = cfg.base_url;
    tc.api_key = cfg.api_key;
    tc.timeout_s = cfg.timeout_s;
    tc.retries = 0;
    ck_assert_int_eq(transport_global_init(), 0);
    ck_assert_int_eq(transport_init(&t, &tc), 0);
    smoke_run_init(run);
    ck_assert_int_eq(checks_run(&cfg, &t, run), 0);
    for (k = names; *k; k++) {
        const struct check_result *r = find(run, *k);
        ck_assert_msg(r != NULL, "no result for %s", *k);
        ck_assert_int_eq(r->http_status, 401);
        ck_assert_msg(r->status == CHECK_FAIL, "%s passed on a 401: %s", *k, r->reason);
    }
    smoke_run_release(run);
    free(run);
    transport_release(&t);
    transport_global_cleanup();
    test_server_stop(&srv);
}
END_TEST

START_TEST(usage_error_does_not_echo_a_key)
{
    char out[4096];
    size_t len;
    FILE *fp = popen("env -i " RM_RESPSMOKE_BIN " --api_key=sk-live-abcdef1234567890XYZ 2>&1",
                     "r");
    int rc;

    ck_assert_ptr_nonnull(fp);
    len = fread(out, 1, sizeof(out) - 1, fp);
    out[len] = '\0';
    rc = pclose(fp);
    ck_assert_int_eq(WEXITSTATUS(rc), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown argument"));
    ck_assert_msg(strstr(out, "abcdef1234567890") == NULL, "key echoed: %s", out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("review_smoke4");
    TCase *tc = tcase_create("review_transport");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, retry_after_fractions_are_honoured);
    tcase_add_test(tc, long_bearer_token_is_sent_whole);
    suite_add_tcase(s, tc);
    tc = tcase_create("review_redaction");
    tcase_add_test(tc, url_password_with_at_sign_is_removed);
    tcase_add_test(tc, record_values_cannot_forge_lines);
    tcase_add_test(tc, usage_error_does_not_echo_a_key);
    suite_add_tcase(s, tc);
    tc = tcase_create("review_error_checks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rejected_key_is_not_a_validation_error);
    suite_add_tcase(s, tc);
    return s;
}
