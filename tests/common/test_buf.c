/* test_buf: the bounded byte buffer (server/common/buf.c): growth up to its
 * limit and never past it, large appends, take and reset, and SIZE_MAX as
 * "no limit" without size wrap-around; the string helpers beside it. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test_support.h"

START_TEST(buf_grows_up_to_its_limit)
{
    struct buf b;
    char *s;
    size_t n;

    buf_init(&b, 10);
    ck_assert_int_eq(buf_append_str(&b, "hello"), 0);
    ck_assert_int_eq(buf_appendf(&b, "%d", 1234), 0);
    ck_assert_str_eq(b.data, "hello1234");
    ck_assert_int_eq(buf_append_str(&b, "xy"), -1); /* 11 > 10: refused, unchanged */
    ck_assert_str_eq(b.data, "hello1234");
    ck_assert_int_eq(buf_appendf(&b, "%s", "zz"), -1);
    ck_assert_uint_eq(b.len, 9);
    ck_assert_int_eq(buf_append(&b, "!", 1), 0);
    ck_assert_uint_eq(b.len, 10);
    s = buf_take(&b, &n);
    ck_assert_str_eq(s, "hello1234!");
    ck_assert_uint_eq(n, 10);
    ck_assert_ptr_null(b.data);
    free(s);
    s = buf_take(&b, &n); /* empty buffer: an empty string */
    ck_assert_str_eq(s, "");
    free(s);
    buf_release(&b);
}
END_TEST

START_TEST(buf_large_appends)
{
    struct buf b;
    char chunk[1000];
    int i;

    memset(chunk, 'x', sizeof(chunk));
    buf_init(&b, 100000);
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(buf_append(&b, chunk, sizeof(chunk)), 0);
    ck_assert_int_eq(buf_append(&b, chunk, 1), -1);
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_eq(b.data[b.len], '\0');
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

/* A limit of SIZE_MAX means no limit: the buffer still grows, and a size
 * that cannot be represented with its NUL is refused, not wrapped. */
START_TEST(buf_without_a_limit)
{
    struct buf b;
    char big[1000];

    buf_init(&b, SIZE_MAX);
    ck_assert_int_eq(buf_append_str(&b, "hello"), 0);
    ck_assert_uint_ge(b.cap, 6);
    ck_assert_str_eq(b.data, "hello");
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(buf_append(&b, big, sizeof(big)), 0);
    ck_assert_uint_eq(b.len, 1005);
    ck_assert_uint_ge(b.cap, 1006);
    ck_assert_int_eq(buf_appendf(&b, "%d", 42), 0);
    ck_assert_uint_eq(b.len, 1007);
    /* A size that cannot be represented with its NUL is refused, not wrapped. */
    ck_assert_int_eq(buf_append(&b, big, SIZE_MAX - b.len), -1);
    ck_assert_uint_eq(b.len, 1007);
    buf_release(&b);
}
END_TEST

/* str_copy is snprintf(dst, size, "%.*s", len, src); str_of_u64 is "%llu",
 * str_of_i64 "%lld". */
START_TEST(str_helpers_match_snprintf)
{
    static const unsigned long long nums[] = {0, 7, 10, 999, 1000000, 18446744073709551615ULL};
    static const long long snums[] = {0, 5, -1, -1000, 9223372036854775807LL,
                                      -9223372036854775807LL - 1};
    char a[8], b[8], d[24], e[24];
    size_t i, n;

    for (i = 1; i <= sizeof(a); i++) {
        n = str_copy(a, i, "abcdefghij", 10);
        snprintf(b, i, "%.*s", 10, "abcdefghij");
        ck_assert_str_eq(a, b);
        ck_assert_uint_eq(n, strlen(b));
    }
    n = str_copy(a, sizeof(a), "abcdef", 3);
    ck_assert_str_eq(a, "abc");
    ck_assert_uint_eq(n, 3);
    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        n = str_of_u64(d, nums[i]);
        snprintf(e, sizeof(e), "%llu", nums[i]);
        ck_assert_str_eq(d, e);
        ck_assert_uint_eq(n, strlen(e));
    }
    for (i = 0; i < sizeof(snums) / sizeof(snums[0]); i++) {
        n = str_of_i64(d, snums[i]);
        snprintf(e, sizeof(e), "%lld", snums[i]);
        ck_assert_str_eq(d, e);
        ck_assert_uint_eq(n, strlen(e));
    }
}
END_TEST

/* hex_digit agrees with strtol on every byte. */
START_TEST(hex_digit_of_every_byte)
{
    unsigned c;

    for (c = 0; c < 256; c++) {
        char s[2] = {(char)c, 0}, *end;
        long v = strtol(s, &end, 16);
        int want = c && isxdigit((int)c) && *end == '\0' ? (int)v : -1;

        ck_assert_int_eq(hex_digit((unsigned char)c), want);
    }
}
END_TEST

/* utf8_seq_len: well-formed sequences and every kind of malformed one. */
START_TEST(utf8_sequences)
{
    static const struct {
        const char *s;
        size_t avail, want;
    } cases[] = {
        {"a", 1, 1},          {"\xc3\xa9", 2, 2},     {"\xe2\x82\xac", 3, 3},
        {"\xf0\x9f\x98\x80", 4, 4}, {"\xf4\x8f\xbf\xbf", 4, 4}, {"a", 0, 0},
        {"\xc3\xa9", 1, 0},      /* cut off by 'avail' */
        {"\x80", 1, 0},          /* a continuation byte first */
        {"\xc0\x80", 2, 0},      {"\xc1\xbf", 2, 0},  {"\xe0\x80\x80", 3, 0}, /* overlong */
        {"\xf0\x80\x80\x80", 4, 0}, {"\xed\xa0\x80", 3, 0}, /* overlong; a surrogate */
        {"\xf4\x90\x80\x80", 4, 0}, {"\xf5\x80\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\xe2\x28\xa1", 3, 0},  /* not a continuation byte */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(utf8_seq_len((const unsigned char *)cases[i].s, cases[i].avail) ==
                          cases[i].want,
                      "case %zu", i);
}
END_TEST

/* utf8_cut: a prefix that fits is whole; a cut backs off to the start of the
 * sequence it would split, never below 0. */
START_TEST(utf8_cuts)
{
    static const struct {
        const char *s;
        size_t max, want;
    } cases[] = {
        {"abc", 3, 3},          {"abc", 5, 3},           {"abc", 2, 2},
        {"ab\xc3\xa9", 3, 2},    {"ab\xc3\xa9", 4, 4},     {"a\xe2\x82\xac", 2, 1},
        {"a\xe2\x82\xac", 3, 1}, {"a\xe2\x82\xac", 4, 4},   {"\xf0\x9f\x98\x80", 3, 0},
        {"\xf0\x9f\x98\x80z", 4, 4}, {"abc", 0, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(utf8_cut(cases[i].s, strlen(cases[i].s), cases[i].max) == cases[i].want,
                      "case %zu", i);
    ck_assert_uint_eq(utf8_cut(NULL, 0, 8), 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("buf");
    add_tcase(s, tcase_create("buf"), 60, NULL, NULL, buf_grows_up_to_its_limit, buf_large_appends,
              buf_without_a_limit, str_helpers_match_snprintf, hex_digit_of_every_byte,
              utf8_sequences, utf8_cuts);
    return s;
}
