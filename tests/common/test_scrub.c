/* Unit tests for scrub: the secret header names, the built-in patterns
 * (API-key shapes, bearer tokens, e-mail addresses), user patterns and
 * their errors, and URLs without credentials. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "scrub.h"
#include "test_support.h"

static char *scrub(const struct redactor *r, const char *text)
{
    char *out = redactor_scrub(r, text, strlen(text), NULL);

    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(secret_headers_in_any_case)
{
    ck_assert(redact_header_is_secret("Authorization"));
    ck_assert(redact_header_is_secret("COOKIE"));
    ck_assert(redact_header_is_secret("set-cookie"));
    ck_assert(redact_header_is_secret("OpenAI-Organization"));
    ck_assert(redact_header_is_secret("openai-project"));
    ck_assert(redact_header_is_secret("x-api-key"));
    ck_assert(!redact_header_is_secret("content-type"));
    ck_assert(!redact_header_is_secret("x-ratelimit-limit-requests"));
    ck_assert(!redact_header_is_secret("api-keys")); /* the first letter alone is not enough */
    ck_assert(!redact_header_is_secret("a"));
    ck_assert(!redact_header_is_secret(""));
}
END_TEST

START_TEST(header_lists_match_in_any_case_either_side)
{
    static const char *const mixed[] = {"X-Keep", "accept", NULL};

    ck_assert(header_name_in("x-keep", mixed));
    ck_assert(header_name_in("X-KEEP", mixed));
    ck_assert(header_name_in("Accept", mixed));
    ck_assert(!header_name_in("x-keeps", mixed));
    ck_assert(!header_name_in("", mixed));
}
END_TEST

START_TEST(builtin_patterns_scrub_keys_tokens_and_mail)
{
    struct redactor r;
    char err[256], *out;
    size_t n = 0;

    ck_assert_int_eq(redactor_init(&r, NULL, err, sizeof(err)), 0);
    out = scrub(&r, "{\"k\":\"sk-proj-AbC123_def456-XYZ\",\"m\":\"mail jo.doe+x@mail.example.co.uk!\"}");
    ck_assert_str_eq(out, "{\"k\":\"[redacted]\",\"m\":\"mail [redacted]!\"}");
    free(out);
    out = scrub(&r, "Authorization: Bearer eyJhbGciOi.J9xyz");
    ck_assert_str_eq(out, "Authorization: [redacted]");
    free(out);
    /* what is not a secret stays byte for byte */
    out = scrub(&r, "event: response.created\ndata: {\"id\":\"resp_123\",\"sk\":\"sk-short\"}\n\n");
    ck_assert_str_eq(out, "event: response.created\ndata: {\"id\":\"resp_123\",\"sk\":\"sk-short\"}\n\n");
    free(out);
    /* addresses need a domain with a top-level part of 2+ letters */
    out = scrub(&r, "a@b, x@y.c, @example.com, end: user@example.com. sk-proj-key");
    ck_assert_str_eq(out, "a@b, x@y.c, @example.com, end: [redacted]. sk-proj-key");
    free(out);
    out = scrub(&r, "Bearer short and xsk-abcdefghijklmnopq stays");
    ck_assert_str_eq(out, "Bearer short and xsk-abcdefghijklmnopq stays");
    free(out);
    out = redactor_scrub(&r, "a@b.cd xyz", 4, &n); /* only the first 'len' bytes */
    ck_assert_str_eq(out, "a@b.");
    ck_assert_uint_eq(n, 4);
    free(out);
    redactor_release(&r);
}
END_TEST

START_TEST(user_patterns_and_their_errors)
{
    static const char *const extra[] = {"cus_[A-Za-z0-9]+", "ACME-[0-9]+", NULL};
    static const char *const bad[] = {"(", NULL};
    static const char *const empty[] = {"", NULL};
    struct redactor r;
    char err[256], *out;

    ck_assert_int_eq(redactor_init(&r, extra, err, sizeof(err)), 0);
    out = scrub(&r, "customer cus_9Xq2 ticket ACME-4242 ACME-x");
    ck_assert_str_eq(out, "customer [redacted] ticket [redacted] ACME-x");
    free(out);
    redactor_release(&r);
    ck_assert_int_eq(redactor_init(&r, bad, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "'('"), "%s", err);
    ck_assert_int_eq(redactor_init(&r, empty, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "empty"), "%s", err);
}
END_TEST

START_TEST(urls_lose_credentials_and_queries)
{
    char out[128];

    ck_assert_str_eq(scrub_url("https://user:p@ss@api.example.com/v1/?key=sk-1#x", out,
                               sizeof(out)),
                     "https://api.example.com/v1");
    ck_assert_str_eq(scrub_url("http://127.0.0.1:4010/v1", out, sizeof(out)),
                     "http://127.0.0.1:4010/v1");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("scrub");

    add_tcase(s, tcase_create("scrub"), 30, NULL, NULL, secret_headers_in_any_case,
              header_lists_match_in_any_case_either_side,
              builtin_patterns_scrub_keys_tokens_and_mail, user_patterns_and_their_errors,
              urls_lose_credentials_and_queries);
    return s;
}
