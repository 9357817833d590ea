/* test_redact: fingerprints, scrubbing, URL and token sanitizing of respsmoke
 * (client/redact.c). A canary key must never survive redact_scrub. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "test_support.h"

#define CANARY "sk-canary-3f1b0c9d7e2a4b6c8d0e9f2c"

START_TEST(fingerprint_shows_prefix_and_last_four)
{
    char fp[64];

    ck_assert_str_eq(redact_fingerprint(CANARY, fp, sizeof(fp)), "sk-\xe2\x80\xa6" "9f2c");
    ck_assert_str_eq(redact_fingerprint("abcdefghijklmnopqrstuvwxyz0123456789", fp, sizeof(fp)),
                     "\xe2\x80\xa6" "6789");
    ck_assert_str_eq(redact_fingerprint("short-key", fp, sizeof(fp)), "\xe2\x80\xa6 (9 chars)");
    ck_assert_str_eq(redact_fingerprint(NULL, fp, sizeof(fp)), "(none)");
    ck_assert_ptr_null(strstr(redact_fingerprint(CANARY, fp, sizeof(fp)), "canary"));
}
END_TEST

START_TEST(scrub_removes_key_bearer_and_sk_tokens)
{
    char fp[64];
    char *out;
    char text[512];

    snprintf(text, sizeof(text),
             "key=" CANARY " header: Authorization: Bearer abc.def-ghi, other sk-proj-AAAABBBBCCCC"
             "DDDD fingerprint %s end",
             redact_fingerprint(CANARY, fp, sizeof(fp)));
    out = redact_scrub(text, CANARY);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_null(strstr(out, "canary"));
    ck_assert_ptr_null(strstr(out, "abc.def"));
    ck_assert_ptr_null(strstr(out, "AAAABBBB"));
    ck_assert_ptr_nonnull(strstr(out, "Bearer [redacted]"));
    ck_assert_ptr_nonnull(strstr(out, "fingerprint sk-\xe2\x80\xa6" "9f2c end"));
    free(out);
}
END_TEST

START_TEST(scrub_catches_a_key_without_known_shape)
{
    char *out = redact_scrub("x:KEY-7777-qqqq-zzzz:y", "KEY-7777-qqqq-zzzz");

    ck_assert_str_eq(out, "x:[redacted]:y");
    free(out);
    out = redact_scrub("nothing secret here", NULL);
    ck_assert_str_eq(out, "nothing secret here");
    free(out);
}
END_TEST

START_TEST(url_loses_credentials_and_query)
{
    char out[256];

    ck_assert_str_eq(redact_url("https://user:pw@api.example.com/v1/?api-key=x#f", out,
                                sizeof(out)),
                     "https://api.example.com/v1");
    ck_assert_str_eq(redact_url("http://127.0.0.1:4010/v1", out, sizeof(out)),
                     "http://127.0.0.1:4010/v1");
}
END_TEST

START_TEST(token_is_printable_and_bounded)
{
    char out[128], long_in[200];

    ck_assert_str_eq(redact_token("comet_api_error", out, sizeof(out)), "comet_api_error");
    ck_assert_str_eq(redact_token("a b\n<c>", out, sizeof(out)), "a?b??c?");
    ck_assert_str_eq(redact_token("", out, sizeof(out)), "\"\"");
    ck_assert_str_eq(redact_token(NULL, out, sizeof(out)), "null");
    memset(long_in, 'x', sizeof(long_in) - 1);
    long_in[sizeof(long_in) - 1] = '\0';
    redact_token(long_in, out, sizeof(out));
    ck_assert_uint_le(strlen(out), 64);
    ck_assert_ptr_nonnull(strstr(out, "..."));
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

Suite *make_suite(void)
{
    Suite *s = suite_create("redact");
    add_tcase(s, tcase_create("redact"), 10, NULL, NULL, fingerprint_shows_prefix_and_last_four,
              scrub_removes_key_bearer_and_sk_tokens, scrub_catches_a_key_without_known_shape,
              url_loses_credentials_and_query, url_password_with_at_sign_is_removed,
              token_is_printable_and_bounded);
    return s;
}
