/* test_notes: the run's remarks (client/notes.c): entries joined by "; ",
 * "none" when empty, exact duplicates dropped (but not entries that only
 * contain one another), empty entries ignored, and an entry that does not
 * fit counted as dropped without leaving half of it behind. */
#include <check.h>
#include <string.h>

#include "client_limits.h"
#include "notes.h"
#include "test_support.h"

START_TEST(entries_join_and_deduplicate)
{
    struct notes n;

    notes_init(&n);
    ck_assert_str_eq(notes_text(&n), "none");
    notes_add(&n, "model %s from %s", "gpt-x", "--model");
    notes_add(&n, "%s", "");
    notes_add(&n, "retried %d", 2);
    notes_add(&n, "model gpt-x from --model");
    ck_assert_str_eq(notes_text(&n), "model gpt-x from --model; retried 2");
    ck_assert_uint_eq(n.count, 2);
    /* contained in, or containing, an entry is not a duplicate */
    notes_add(&n, "retried");
    notes_add(&n, "retried 20");
    notes_add(&n, "model");
    ck_assert_str_eq(notes_text(&n),
                     "model gpt-x from --model; retried 2; retried; retried 20; model");
    ck_assert_uint_eq(n.count, 5);
    ck_assert_uint_eq(n.dropped, 0);
    notes_release(&n);
    ck_assert_str_eq(notes_text(&n), "none");
    ck_assert_uint_eq(n.count, 0);
}
END_TEST

START_TEST(an_entry_that_does_not_fit_is_dropped_whole)
{
    struct notes n;
    char entry[400];
    size_t kept, before;

    memset(entry, 'x', sizeof(entry) - 1);
    entry[sizeof(entry) - 1] = '\0';
    notes_init(&n);
    for (kept = 0; n.dropped == 0; kept++) {
        entry[0] = (char)('a' + kept % 26); /* distinct entries */
        entry[1] = (char)('a' + kept / 26);
        before = n.text.len;
        notes_add(&n, "%s", entry);
    }
    kept--;
    ck_assert_uint_eq(n.count, kept);
    ck_assert_uint_eq(n.dropped, 1);
    ck_assert_uint_eq(n.text.len, before); /* nothing of the last one is left */
    ck_assert_uint_le(n.text.len, SMOKE_MAX_NOTES);
    ck_assert_int_eq(n.text.data[n.text.len], '\0');
    ck_assert_int_ne(n.text.data[n.text.len - 1], ' ');
    /* a short one may still fit after a long one did not */
    if (n.text.len + 4 <= SMOKE_MAX_NOTES) {
        notes_add(&n, "ok");
        ck_assert_uint_eq(n.count, kept + 1);
    }
    notes_release(&n);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("notes");
    add_tcase(s, tcase_create("notes"), 10, NULL, NULL, entries_join_and_deduplicate,
              an_entry_that_does_not_fit_is_dropped_whole);
    return s;
}
