/* Unit tests for server/handle_stored.c (no socket): replay of a stored
 * response whose fixture has the longest accepted name. */
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
#include "handle_stored.h"
#include "router.h"

/* The longest accepted name still replays from the store. */
START_TEST(longest_fixture_name_replays)
{
    char dir[] = "/tmp/rm-review-XXXXXX", file[256], path[128];
    char *doc = harness_long_name_fixture(127), name[128];
    struct rm_reply r;
    json_t *body;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/a.json", dir);
    f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(doc, f);
    fclose(f);
    harness_restart(0, dir);
    memset(name, 'n', 127);
    name[127] = '\0';
    body = call_h("POST", "/v1/responses", "{\"model\":\"m\",\"input\":\"x\"}", name, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(path, sizeof(path), "/v1/responses/%s?stream=true", json_util_str(body, "id"));
    json_decref(body);
    reply_release(&r);
    json_decref(call("GET", path, NULL, &r));
    ck_assert_msg(r.status == 200 && r.events != NULL, "replay: %d %s", r.status,
                  r.body ? r.body : "");
    reply_release(&r);
    unlink(file);
    rmdir(dir);
    free(doc);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("handle_stored");

    add_tcase(s, tcase_create("fixture_names"), 60, harness_setup, harness_teardown,
              longest_fixture_name_replays);
    return s;
}
