/* Integration tests for the journal and the admin API on a real respmock
 * process: what the journal keeps of a request over HTTP (secrets redacted,
 * body, fixture, status, whether a stream completed), verify, the
 * --admin-token gate, --watch reloading a changed file (and keeping the set
 * when the file is bad), and reloads under load losing no request. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static void start_default(void)
{
    srv_start(NULL);
}

/* The newest journal entry for 'path' (new reference). */
static json_t *last_entry(const char *query)
{
    long status;
    char path[256];
    json_t *doc, *e;

    snprintf(path, sizeof(path), "/__admin/requests?%s&limit=1", query);
    doc = srv_call("GET", path, NULL, &status);
    ck_assert_int_eq(status, 200);
    e = json_incref(json_array_get(json_object_get(doc, "data"), 0));
    json_decref(doc);
    ck_assert_ptr_nonnull(e);
    return e;
}

START_TEST(journal_keeps_what_was_sent)
{
    static const char *const hdrs[] = {"Authorization: Bearer sk-secret-do-not-keep",
                                       "x-respmock-scenario: j1", "Cookie: session=abc", NULL};
    struct http_result r;
    json_t *doc, *e;
    long status;

    doc = srv_request("POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"journal me\"}",
                      hdrs, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
    e = last_entry("scenario=j1");
    ck_assert_str_eq(jstr(e, "method"), "POST");
    ck_assert_str_eq(jstr(e, "path"), "/v1/responses");
    ck_assert_str_eq(jstr(e, "fixture"), "default");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "status")), 200);
    ck_assert_ptr_nonnull(strstr(jstr(e, "body"), "journal me"));
    ck_assert_str_eq(jstr(json_object_get(e, "headers"), "authorization"), "[redacted]");
    ck_assert_str_eq(jstr(json_object_get(e, "headers"), "cookie"), "[redacted]");
    ck_assert(json_is_false(json_object_get(e, "stream")));
    ck_assert(json_is_null(json_object_get(e, "stream_completed")));
    ck_assert(strncmp(jstr(e, "id"), "req_", 4) == 0);
    json_decref(e);
    /* The key never shows anywhere in the journal. */
    doc = srv_call("GET", "/__admin/requests", NULL, &status);
    {
        char *all = json_dumps(doc, 0);
        ck_assert_ptr_null(strstr(all, "sk-secret-do-not-keep"));
        free(all);
    }
    json_decref(doc);
}
END_TEST

/* The newest entry for 'query' once its stream has ended: the journal
 * notes the end when the server is done with the connection, which may be
 * a moment after the client has read the last byte. */
static json_t *ended_entry(const char *query)
{
    int i;

    for (i = 0; i < 100; i++) {
        json_t *e = last_entry(query);
        if (!json_is_null(json_object_get(e, "stream_completed")))
            return e;
        json_decref(e);
        test_sleep_ms(20);
    }
    ck_abort_msg("the stream's end never reached the journal");
    return NULL;
}

START_TEST(journal_sees_streams_end)
{
    static const char *const cut[] = {"x-respmock-fault: drop;after_events=2",
                                      "x-respmock-scenario: cut", NULL};
    static const char *const whole[] = {"x-respmock-scenario: whole", NULL};
    struct http_result r;
    json_t *e;

    http_request_stream("POST", srv_url("/v1/responses"),
                        "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}", whole, 20,
                        NULL, NULL, &r);
    http_result_free(&r);
    http_request_stream("POST", srv_url("/v1/responses"),
                        "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}", cut, 20,
                        NULL, NULL, &r);
    http_result_free(&r);
    e = ended_entry("scenario=whole");
    ck_assert(json_is_true(json_object_get(e, "stream")));
    ck_assert(json_is_true(json_object_get(e, "stream_completed")));
    json_decref(e);
    e = ended_entry("scenario=cut");
    ck_assert(json_is_false(json_object_get(e, "stream_completed")));
    json_decref(e);
}
END_TEST

START_TEST(admin_token_gate)
{
    static const char *const good[] = {"x-respmock-admin-token: t0ken-123", NULL};
    static const char *const bad[] = {"x-respmock-admin-token: nope", NULL};
    struct http_result r;
    json_t *doc;
    long status;

    srv_stop();
    srv_start(&(struct test_server_opts){.extra = (const char *const[]){"--admin-token",
                                                                       "t0ken-123", NULL}});
    json_decref(srv_call("GET", "/__admin/requests", NULL, &status));
    ck_assert_int_eq(status, 401);
    doc = srv_request("GET", "/__admin/requests", NULL, bad, &r);
    ck_assert_int_eq(r.status, 401);
    json_decref(doc);
    http_result_free(&r);
    doc = srv_request("GET", "/__admin/requests", NULL, good, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    http_result_free(&r);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Wait (at most ~10 s) until the model 'model' is answered by 'fixture'. */
static int answered_by(const char *model, const char *fixture)
{
    char body[128];
    int i;

    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hi\"}", model);
    for (i = 0; i < 200; i++) {
        struct http_result r;
        json_t *e;

        json_decref(srv_request("POST", "/v1/responses", body, NULL, &r));
        http_result_free(&r);
        e = last_entry("path=/v1/responses");
        if (jstr(e, "fixture") && strcmp(jstr(e, "fixture"), fixture) == 0) {
            json_decref(e);
            return 1;
        }
        json_decref(e);
        test_sleep_ms(50);
    }
    return 0;
}

START_TEST(watch_reloads_changed_files)
{
    char dir[] = "/tmp/rm-watch-XXXXXX", path[128];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.json", dir);
    write_file(path, "{\"name\":\"one\",\"response\":{\"output\":[{\"type\":\"message\","
                     "\"text\":\"1\"}]}}");
    srv_stop();
    srv_start(&(struct test_server_opts){.fixtures = dir,
                                        .extra = (const char *const[]){"--watch", NULL}});
    ck_assert(answered_by("m", "one"));
    write_file(path, "{\"name\":\"two\",\"response\":{\"output\":[{\"type\":\"message\","
                     "\"text\":\"2\"}]}}");
    ck_assert_msg(answered_by("m", "two"), "--watch did not reload the changed file");
    write_file(path, "{\"name\":\"three\",\"response\":{\"outptu\":[]}}"); /* bad */
    test_sleep_ms(600);
    ck_assert_msg(answered_by("m", "two"), "a bad file replaced the set in force");
    srv_stop();
    unlink(path);
    rmdir(dir);
}
END_TEST

#define LOADERS 3
#define LOADS 60

static void *load_thread(void *arg)
{
    int *failed = arg, i;

    for (i = 0; i < LOADS; i++) {
        long status;
        json_t *doc = http_call(test_srv.base, "POST", "/v1/responses",
                                "{\"model\":\"gpt-4.1-mini\",\"input\":\"under load\"}", &status);
        if (status != 200 || !doc)
            (*failed)++;
        json_decref(doc);
    }
    return NULL;
}

START_TEST(reload_under_load_loses_nothing)
{
    pthread_t t[LOADERS];
    int failed[LOADERS] = {0}, i, reloads = 0;
    long status;

    for (i = 0; i < LOADERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, load_thread, &failed[i]), 0);
    for (i = 0; i < 30; i++) {
        json_decref(srv_call("POST", "/__admin/fixtures/reload", NULL, &status));
        reloads += status == 200;
    }
    for (i = 0; i < LOADERS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(failed[i], 0);
    }
    ck_assert_int_eq(reloads, 30);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("admin");

    add_tcase(s, tcase_create("journal"), 60, start_default, srv_stop, journal_keeps_what_was_sent,
              journal_sees_streams_end);
    add_tcase(s, tcase_create("gate_and_reload"), 90, start_default, srv_stop, admin_token_gate,
              watch_reloads_changed_files, reload_under_load_loses_nothing);
    return s;
}
