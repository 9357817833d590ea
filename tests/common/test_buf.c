/* Unit tests for the shared helpers: bounded buffer, located errors and
 * the error envelope's JSON helpers. */
#include <string.h>

#include "buf.h"
#include "json_util.h"
#include "mock_error.h"
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

START_TEST(error_keeps_the_first)
{
    struct mock_error e;
    char out[256];

    mock_error_clear(&e);
    mock_error_set(&e, "f.json", 3, 7, "bad %s", "thing");
    mock_error_set(&e, "g.json", 1, 1, "later");
    ck_assert_str_eq(mock_error_format(&e, out, sizeof(out)), "f.json:3:7: bad thing");
    mock_error_clear(&e);
    mock_error_set(&e, NULL, 0, 0, "plain");
    ck_assert_str_eq(mock_error_format(&e, out, sizeof(out)), "plain");
    mock_error_clear(&e);
    mock_error_set(&e, "dir", 0, 0, "cannot open");
    ck_assert_str_eq(mock_error_format(&e, out, sizeof(out)), "dir: cannot open");
    mock_error_set(NULL, "x", 1, 1, "ignored"); /* NULL is accepted */
}
END_TEST

START_TEST(json_load_reports_position)
{
    struct mock_error e;
    json_t *v;

    mock_error_clear(&e);
    v = json_util_loadb("{\n  \"a\": [1,\n  }", 15, "x.json", &e);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(e.file, "x.json");
    ck_assert_int_eq(e.line, 3);
    mock_error_clear(&e);
    v = json_util_loadb("{\"a\":1,\"a\":2}", 13, "d.json", &e); /* duplicates rejected */
    ck_assert_ptr_null(v);
    ck_assert(e.set);
    v = json_util_loadb("{\"s\":\"x\",\"t\":true}", 18, "ok.json", &e);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_util_str(v, "s"), "x");
    ck_assert_ptr_null(json_util_str(v, "t"));
    ck_assert(json_util_true(v, "t"));
    ck_assert(!json_util_true(v, "s"));
    json_decref(v);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("buf");

    tcase_add_test(tc, buf_grows_up_to_its_limit);
    tcase_add_test(tc, buf_large_appends);
    suite_add_tcase(s, tc);
    tc = tcase_create("mock_error");
    tcase_add_test(tc, error_keeps_the_first);
    tcase_add_test(tc, json_load_reports_position);
    suite_add_tcase(s, tc);
    return s;
}
