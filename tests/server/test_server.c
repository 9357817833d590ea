/* Unit tests for server/server.c: the documented configuration defaults,
 * fresh ids (prefix, length as asked, uniqueness, a per-server seed) and
 * server_new with good and bad fixture directories (file:line:column). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "conversation.h"
#include "server_harness.h"
#include "store.h"
#include "test_support.h"
#include "server.h"

START_TEST(config_defaults)
{
    struct rm_config cfg;

    memset(&cfg, 0xab, sizeof(cfg)); /* whatever was there is overwritten */
    server_config_defaults(&cfg);
    ck_assert_str_eq(cfg.host, "127.0.0.1");
    ck_assert_int_eq(cfg.port, 4010);
    ck_assert_ptr_null(cfg.fixtures_dir);
    ck_assert_uint_eq(cfg.threads, 2);
    ck_assert_int_eq(cfg.log_level, LOG_INFO);
    ck_assert_uint_eq(cfg.n_api_keys, 0);
    ck_assert_ptr_null(cfg.api_keys[0]);
    ck_assert_uint_eq(cfg.max_body, 16u * 1024 * 1024);
    ck_assert_uint_eq(cfg.max_stored, 1000);
    ck_assert_uint_eq(cfg.max_stored_bytes, 256u * 1024 * 1024);
    ck_assert(cfg.speed == 1.0);
}
END_TEST

START_TEST(new_id_prefix_and_length)
{
    static const struct {
        const char *prefix;
        unsigned hex;
    } cases[] = {
        {RM_ID_RESPONSE, 48}, {RM_ID_MESSAGE, 32},       {RM_ID_CALL, 24},
        {RM_ID_CHAT, 32},     {RM_ID_CONVERSATION, 48}, {RM_ID_REQUEST, 1},
        {"", 16},             {"x_", 64},               {"z_", 0},
    };
    struct rm_server *srv = fake_server();
    char id[128];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        server_new_id(srv, cases[i].prefix, cases[i].hex, id, sizeof(id));
        ck_assert_msg(harness_is_id(id, cases[i].prefix, cases[i].hex), "%s%u: %s",
                      cases[i].prefix, cases[i].hex, id);
    }
    /* More than RM_MAX_ID_HEX digits are not asked for; the result stays
     * within the limit. */
    server_new_id(srv, "p_", 500, id, sizeof(id));
    ck_assert(harness_is_id(id, "p_", RM_MAX_ID_HEX));
    /* A short buffer is filled and terminated, never overrun. */
    memset(id, 'Q', sizeof(id));
    server_new_id(srv, RM_ID_RESPONSE, 48, id, 10);
    ck_assert_uint_eq(strlen(id), 9);
    ck_assert_int_eq(strncmp(id, "resp_", 5), 0);
    ck_assert_int_eq(id[10], 'Q');
    free(srv);
}
END_TEST

START_TEST(new_id_unique)
{
    struct rm_server *srv = fake_server();
    json_t *seen = json_object();
    char id[64];
    size_t i, n = 100000;

    /* Short ids too: 16 hex digits are already unique by construction. */
    for (i = 0; i < n; i++) {
        server_new_id(srv, "", i % 2 ? 16 : 24, id, sizeof(id));
        id[16] = '\0';
        ck_assert_msg(!json_object_get(seen, id), "id %s repeated after %zu", id, i);
        json_object_set_new(seen, id, json_true());
    }
    ck_assert_uint_eq(json_object_size(seen), n);
    json_decref(seen);
    free(srv);
}
END_TEST

START_TEST(new_id_seeded_per_server)
{
    struct rm_server *a = fake_server(), *b = fake_server();
    struct rm_server *x = harness_server(0, NULL), *y = harness_server(0, NULL);
    char ia[64], ib[64], ix[64], iy[64];
    int i;

    /* Same seed and counter: the same sequence (fake_server's fixed seed). */
    for (i = 0; i < 5; i++) {
        server_new_id(a, "a_", 48, ia, sizeof(ia));
        server_new_id(b, "a_", 48, ib, sizeof(ib));
        ck_assert_str_eq(ia, ib);
    }
    /* Every next id differs in all its parts, not only at the end. */
    server_new_id(a, "", 48, ia, sizeof(ia));
    server_new_id(a, "", 48, ib, sizeof(ib));
    ck_assert_int_ne(strncmp(ia, ib, 16), 0);
    ck_assert_int_ne(strncmp(ia + 16, ib + 16, 16), 0);
    ck_assert_int_ne(strncmp(ia + 32, ib + 32, 16), 0);
    /* Real servers draw their own seed: two of them do not repeat each other. */
    ck_assert(x->id_seed != y->id_seed);
    server_new_id(x, RM_ID_RESPONSE, 48, ix, sizeof(ix));
    server_new_id(y, RM_ID_RESPONSE, 48, iy, sizeof(iy));
    ck_assert_str_ne(ix, iy);
    server_free(x);
    server_free(y);
    free(a);
    free(b);
}
END_TEST

START_TEST(new_loads_fixtures_and_state)
{
    struct rm_config cfg;
    struct mock_error err;
    struct rm_server *srv;
    int64_t before = server_now_ms();

    server_config_defaults(&cfg);
    cfg.fixtures_dir = TEST_DATA_DIR "/lifecycle-fixtures";
    cfg.max_stored = 7;
    cfg.speed = 0.5;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_msg(srv != NULL, "%s", err.text);
    ck_assert_int_eq(err.set, 0);
    ck_assert_uint_eq(harness_fixtures(srv)->n, 10);
    ck_assert_ptr_nonnull(fixture_find(harness_fixtures(srv), "bg-long"));
    ck_assert_ptr_nonnull(srv->store);
    ck_assert_uint_eq(store_capacity(srv->store), 7);
    ck_assert_uint_eq(store_count(srv->store), 0);
    ck_assert_ptr_nonnull(srv->conversations);
    ck_assert_uint_eq(conversation_store_count(srv->conversations), 0);
    ck_assert_uint_eq(conversation_store_max_items(srv->conversations),
                      RM_MAX_CONVERSATION_ITEMS);
    ck_assert(srv->cfg.speed == 0.5);
    ck_assert_ptr_eq(srv->cfg.fixtures_dir, cfg.fixtures_dir);
    ck_assert_int_ge(srv->started_ms, before);
    ck_assert_int_le(srv->started_ms, server_now_ms());
    server_free(srv);
    server_free(NULL);
}
END_TEST

/* server_new on tests/data/bad-fixtures/<name> fails with the position the
 * case's "error" file gives. */
static void expect_bad_dir(const char *name)
{
    char dir[512], path[600], want[512], got[1024];
    struct rm_config cfg;
    struct mock_error err;
    struct rm_server *srv;
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/bad-fixtures/%s", TEST_DATA_DIR, name);
    snprintf(path, sizeof(path), "%s/error", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
    fclose(f);
    want[strcspn(want, "\n")] = '\0';

    server_config_defaults(&cfg);
    cfg.fixtures_dir = dir;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_ptr_null(srv);
    ck_assert_int_eq(err.set, 1);
    snprintf(path, sizeof(path), "%s/input.json", dir);
    ck_assert_str_eq(err.file, path);
    ck_assert_int_gt(err.line, 0);
    ck_assert_int_gt(err.column, 0);
    mock_error_format(&err, got, sizeof(got));
    snprintf(path, sizeof(path), "%s/input.json:%s", dir, want);
    ck_assert_str_eq(got, path);
}

START_TEST(new_with_bad_fixtures_fails_with_position)
{
    struct rm_config cfg;
    struct mock_error err;

    expect_bad_dir("syntax-error");
    expect_bad_dir("bad-status");
    expect_bad_dir("unknown-key");
    expect_bad_dir("wrong-type");

    /* A directory that is not there: the directory named, no position. */
    server_config_defaults(&cfg);
    cfg.fixtures_dir = "/nonexistent/respmock-fixtures";
    mock_error_clear(&err);
    ck_assert_ptr_null(server_new(&cfg, &err));
    ck_assert_str_eq(err.file, "/nonexistent/respmock-fixtures");
    ck_assert_int_eq(err.line, 0);
    ck_assert_ptr_nonnull(strstr(err.text, "cannot open fixture directory"));
}
END_TEST

START_TEST(clocks)
{
    int64_t a = server_now_ms(), b, t = server_unix_time();
    struct timespec ts = {0, 30 * 1000 * 1000};

    nanosleep(&ts, NULL);
    b = server_now_ms();
    ck_assert_int_ge(b - a, 29);
    ck_assert_int_lt(b - a, 5000);
    ck_assert_int_le(llabs((long long)(t - (int64_t)time(NULL))), 1);
}
END_TEST

/* The digits are written by hand (not snprintf): the same seed and counter
 * give the same id, and a longer id extends a shorter one; a scoped id is
 * the segment, "00", the time in 8 hex digits, then random digits. */
START_TEST(ids_by_hand_keep_their_layout)
{
    struct rm_server *a = fake_server(), *b = fake_server();
    char ia[128], ib[128], seg[RM_ID_SEGMENT_LEN + 1] = "0123456789abcdef", t[16];
    long long now;

    server_new_id(a, "x_", 64, ia, sizeof(ia));
    server_new_id(b, "x_", 20, ib, sizeof(ib));
    ck_assert_uint_eq(strlen(ia), 66);
    ck_assert_int_eq(strncmp(ia, ib, 22), 0);
    now = (long long)server_unix_time();
    server_new_scoped_id(a, RM_ID_MESSAGE, seg, ia, sizeof(ia));
    ck_assert(harness_is_id(ia, RM_ID_MESSAGE, RM_ID_HEX_LEN));
    ck_assert_int_eq(strncmp(ia + strlen(RM_ID_MESSAGE), seg, RM_ID_SEGMENT_LEN), 0);
    ck_assert_int_eq(strncmp(ia + strlen(RM_ID_MESSAGE) + RM_ID_SEGMENT_LEN, "00", 2), 0);
    snprintf(t, sizeof(t), "%08llx", now & 0xffffffffLL);
    ck_assert_int_eq(strncmp(ia + strlen(RM_ID_MESSAGE) + RM_ID_SEGMENT_LEN + 2, t, 6), 0);
    server_new_scoped_id(a, RM_ID_RESPONSE, NULL, ib, sizeof(ib));
    ck_assert(harness_is_id(ib, RM_ID_RESPONSE, RM_ID_HEX_LEN));
    free(a);
    free(b);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("server");

    add_tcase(s, tcase_create("config"), 30, NULL, NULL, config_defaults, clocks);
    add_tcase(s, tcase_create("ids"), 60, NULL, NULL, new_id_prefix_and_length, new_id_unique,
              ids_by_hand_keep_their_layout,
              new_id_seeded_per_server);
    add_tcase(s, tcase_create("server_new"), 30, NULL, NULL, new_loads_fixtures_and_state,
              new_with_bad_fixtures_fails_with_position);
    return s;
}
