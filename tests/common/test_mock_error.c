/* test_mock_error: located error messages (server/common/mock_error.c): the
 * first error is kept, the formats with and without file, line and column,
 * and texts, paths and outputs longer than their buffers cut safely. */
#include <string.h>

#include "mock_error.h"
#include "test_support.h"

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

START_TEST(long_values_are_cut_and_terminated)
{
    struct mock_error e;
    char path[MOCK_ERROR_FILE_MAX + 100], small[8], out[MOCK_ERROR_FILE_MAX + MOCK_ERROR_TEXT_MAX];

    memset(path, 'p', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    mock_error_clear(&e);
    mock_error_set(&e, path, 2, 5, "%0400d", 7);
    ck_assert(e.set);
    ck_assert_uint_eq(strlen(e.file), MOCK_ERROR_FILE_MAX - 1);
    ck_assert_uint_eq(strlen(e.text), MOCK_ERROR_TEXT_MAX - 1);
    mock_error_format(&e, out, sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, "p:2:5: 000"));
    ck_assert_str_eq(mock_error_format(&e, small, sizeof(small)), "ppppppp");
    /* cleared, it records again */
    mock_error_clear(&e);
    ck_assert(!e.set);
    mock_error_set(&e, "f", 3, 0, "x");
    ck_assert_str_eq(mock_error_format(&e, small, sizeof(small)), "f:3:0: ");
    ck_assert_str_eq(e.text, "x");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("mock_error");
    add_tcase(s, tcase_create("mock_error"), 60, NULL, NULL, error_keeps_the_first,
              long_values_are_cut_and_terminated);
    return s;
}
