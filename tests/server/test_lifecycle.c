/* Unit tests for server/lifecycle.c (no socket): the background clock with
 * an extreme --speed, and the background schedule of an event list. */
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
#include "lifecycle.h"

START_TEST(tiny_speed_makes_background_terminal)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    char path[128];
    struct rm_reply r;
    json_t *doc;

    harness_restart(1e-300, NULL); /* accepted by --speed (0..1000) */
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

Suite *make_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc;

    tc = tcase_create("background_speed");
    tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
    tcase_add_test(tc, tiny_speed_makes_background_terminal);
    suite_add_tcase(s, tc);
    return s;
}
