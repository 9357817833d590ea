/* Unit tests for server/catalog.c: the first load, fixtures added and
 * replaced at run time (validated as files are, newest first), removal,
 * reload from disk (a bad file keeps the set in force, run-time fixtures
 * stay), and readers keeping the set they acquired across swaps, also
 * with threads swapping and reading at once (ASan would see a freed set). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "server_harness.h"
#include "test_support.h"

#define FILE_FIXTURES                                                                          \
    "[{'name':'a','match':{'model':'a'},'response':{'output':[{'type':'message','text':'A'}]}}," \
    " {'name':'z','response':{'output':[{'type':'message','text':'Z'}]}}]"

static char *dir;
static struct catalog *cat;

static void setup(void)
{
    struct mock_error err;

    dir = harness_fixture_dir(FILE_FIXTURES);
    mock_error_clear(&err);
    cat = catalog_new(dir, 0, &err);
    ck_assert_msg(cat != NULL, "catalog_new: %s", err.text);
}

static void teardown(void)
{
    catalog_free(cat);
    harness_remove_fixture_dir(dir);
}

/* The names in force, in match order, space-separated (static buffer). */
static const char *names(void)
{
    static char out[512];
    struct fixture_set *set = catalog_acquire(cat);
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < set->n; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", set->v[i].name);
    fixture_set_unref(set);
    return out;
}

static int put(const char *text, struct mock_error *err)
{
    char *copy = strdup(text), *p;
    int rc;

    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    mock_error_clear(err);
    rc = catalog_put(cat, copy, strlen(copy), NULL, err);
    free(copy);
    return rc;
}

START_TEST(put_replace_remove)
{
    struct mock_error err;

    ck_assert_str_eq(names(), "a z");
    ck_assert_int_eq(put("{'name':'b','response':{'output':[]}}", &err), 0);
    ck_assert_str_eq(names(), "b a z"); /* run-time fixtures come first */
    ck_assert_int_eq(put("[{'name':'c','response':{'output':[]}},"
                         "{'name':'a','match':{'model':'x'},'response':{'output':[]}}]",
                         &err),
                     0);
    ck_assert_str_eq(names(), "a c b z"); /* 'a' replaced the file's, newest first */
    ck_assert_int_eq(catalog_remove(cat, "a", &err), 0);
    ck_assert_str_eq(names(), "c b a z"); /* the file's 'a' is back */
    ck_assert_int_eq(catalog_remove(cat, "a", &err), 0);
    ck_assert_str_eq(names(), "c b z"); /* now the file's is out too */
    ck_assert_int_eq(catalog_remove(cat, "nope", &err), -1);
    /* Validated like a file: the error points into the text sent. */
    ck_assert_int_eq(put("{'name':'d','match':{'modle':'x'},'response':{'output':[]}}", &err), -1);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_gt(err.column, 1);
    ck_assert_ptr_nonnull(strstr(err.text, "match.modle"));
    ck_assert_int_eq(put("{'response':{'output':[]}}", &err), -1); /* no name */
    ck_assert_ptr_nonnull(strstr(err.text, "name"));
    ck_assert_str_eq(names(), "c b z"); /* nothing changed */
}
END_TEST

START_TEST(reload_keeps_run_time_fixtures_and_bad_files_change_nothing)
{
    struct mock_error err;
    char path[600];
    FILE *f;

    ck_assert_int_eq(put("{'name':'b','response':{'output':[]}}", &err), 0);
    ck_assert_int_eq(catalog_remove(cat, "a", &err), 0);
    ck_assert_str_eq(names(), "b z");
    mock_error_clear(&err);
    ck_assert_int_eq(catalog_reload(cat, &err), 0);
    ck_assert_str_eq(names(), "b a z"); /* a reload brings the files back whole */
    snprintf(path, sizeof(path), "%s/bad.json", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"name\": \"q\",\n \"response\": {\"outptu\": []}}", f);
    fclose(f);
    mock_error_clear(&err);
    ck_assert_int_eq(catalog_reload(cat, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.file, "bad.json"));
    ck_assert_int_eq(err.line, 2);
    ck_assert_str_eq(names(), "b a z"); /* the set in force is kept */
    unlink(path);
}
END_TEST

START_TEST(readers_keep_their_set)
{
    struct mock_error err;
    struct fixture_set *old = catalog_acquire(cat), *now;

    ck_assert_int_eq(put("{'name':'b','response':{'output':[]}}", &err), 0);
    now = catalog_acquire(cat);
    ck_assert_ptr_ne(old, now);
    ck_assert_uint_eq(old->n, 2); /* still whole, still readable */
    ck_assert_str_eq(old->v[0].name, "a");
    ck_assert_uint_eq(now->n, 3);
    fixture_set_unref(old);
    fixture_set_unref(now);
}
END_TEST

static volatile int stop_readers;

static void *reader(void *arg)
{
    unsigned long seen = 0;

    (void)arg;
    while (!stop_readers) {
        struct fixture_set *set = catalog_acquire(cat);
        size_t i;
        for (i = 0; i < set->n; i++)
            seen += strlen(set->v[i].name);
        fixture_set_unref(set);
    }
    return (void *)seen;
}

START_TEST(swaps_race_readers)
{
    pthread_t t[4];
    struct mock_error err;
    int i;

    stop_readers = 0;
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, NULL), 0);
    for (i = 0; i < 200; i++) {
        char text[128];
        snprintf(text, sizeof(text), "{'name':'r%d','response':{'output':[]}}", i % 7);
        ck_assert_int_eq(put(text, &err), 0);
    }
    stop_readers = 1;
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_uint_eq(strlen(names()) > 0, 1);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("catalog");

    add_tcase(s, tcase_create("changes"), 30, setup, teardown, put_replace_remove,
              reload_keeps_run_time_fixtures_and_bad_files_change_nothing);
    add_tcase(s, tcase_create("swaps"), 60, setup, teardown, readers_keep_their_set,
              swaps_race_readers);
    return s;
}
