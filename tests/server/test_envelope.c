/* Unit tests for server/envelope.c: the four-key envelope is valid JSON
 * whatever bytes a message or param quotes (invalid UTF-8 replaced, valid
 * text unchanged), and the shorthand constructors set status and type. */
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
#include "envelope.h"

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

Suite *make_suite(void)
{
    Suite *s = suite_create("envelope");

    add_tcase(s, tcase_create("envelope_utf8"), 60, NULL, NULL,
              envelope_build_never_fails_on_bytes);
    return s;
}
