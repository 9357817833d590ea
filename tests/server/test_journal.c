/* Unit tests for server/journal.c: the ring keeps the newest entries
 * within its count and byte limits (the newest always), every filter,
 * 'limit' keeping the newest, clearing, and filter parsing; a request
 * kept as a record reads back as its JSON entry (headers lowercased,
 * secrets redacted, a stream's end written in, real bytes counted); the
 * same against the Redis backend (journal_share), a redis-server of its
 * own. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "journal.h"
#include "limits.h"
#include "server_harness.h"
#include "test_support.h"

/* An empty journal of the backend under test. */
static struct journal *new_journal(unsigned max_entries, size_t max_bytes)
{
    struct journal *j = journal_new(max_entries, max_bytes);

    if (j && harness_redis) {
        ck_assert_int_eq(journal_share(j, harness_redis), 0);
        ck_assert_int_eq(journal_clear(j), 0);
    }
    return j;
}

static json_t *entry(const char *id, const char *path, int status, const char *body,
                     long long time_ms)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:s?, s:s}", "id", id, "time",
                     (json_int_t)time_ms, "method", "POST", "path", path, "body", body,
                     "status", status, "fixture", status == 200 ? "default" : NULL,
                     "scenario", "s1");
}

/* journal_add, the handle given back at once (not a stream). */
static void add(struct journal *j, json_t *e, size_t bytes)
{
    journal_drop(j, journal_add(j, e, bytes));
}

static const char *ids(json_t *list)
{
    static char out[256];
    json_t *e;
    size_t i, n = 0;

    out[0] = '\0';
    json_array_foreach(list, i, e)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "",
                              json_string_value(json_object_get(e, "id")));
    json_decref(list);
    return out;
}

START_TEST(ring_limits)
{
    struct journal *j = new_journal(3, 1000);

    add(j, entry("a", "/v1/responses", 200, "{}", 1), 100);
    add(j, entry("b", "/v1/responses", 200, "{}", 2), 100);
    add(j, entry("c", "/v1/responses", 200, "{}", 3), 100);
    add(j, entry("d", "/v1/responses", 200, "{}", 4), 100);
    ck_assert_str_eq(ids(journal_query(j, NULL, 0, NULL)), "b c d"); /* by count */
    add(j, entry("e", "/v1/responses", 200, "{}", 5), 900);
    ck_assert_str_eq(ids(journal_query(j, NULL, 0, NULL)), "d e"); /* by bytes */
    add(j, entry("f", "/v1/responses", 200, "{}", 6), 5000);
    ck_assert_str_eq(ids(journal_query(j, NULL, 0, NULL)), "f"); /* the newest stays */
    ck_assert_uint_eq(journal_count(j), 1);
    ck_assert_uint_eq(journal_bytes(j), 5000);
    journal_clear(j);
    ck_assert_uint_eq(journal_count(j), 0);
    journal_free(j);
    j = new_journal(0, 0); /* off: nothing is kept */
    add(j, entry("a", "/v1/responses", 200, "{}", 1), 10);
    ck_assert_uint_eq(journal_count(j), 0);
    journal_free(j);
}
END_TEST

START_TEST(filters)
{
    struct journal *j = new_journal(100, 0);
    struct journal_filter f;
    size_t n;

    add(j, entry("a", "/v1/responses", 200,
                         "{\"model\":\"m1\",\"tools\":[{\"type\":\"function\",\"name\":\"t1\"}]}",
                         10), 1);
    add(j, entry("b", "/v1/chat/completions", 429,
                         "{\"model\":\"m2\",\"tools\":[{\"type\":\"function\",\"function\":"
                         "{\"name\":\"t2\"}}]}",
                         20), 1);
    add(j, entry("c", "/v1/responses", 200, "not json, says hello", 30), 1);
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    ck_assert_str_eq(ids(journal_query(j, &f, 0, &n)), "a c");
    ck_assert_uint_eq(n, 2);
    memset(&f, 0, sizeof(f));
    f.model = "m2";
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "b");
    memset(&f, 0, sizeof(f));
    f.tool = "t2"; /* Chat's nested function name counts */
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "b");
    f.tool = "t1";
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "a");
    memset(&f, 0, sizeof(f));
    f.status = 429;
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "b");
    memset(&f, 0, sizeof(f));
    f.contains = "hello";
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "c");
    memset(&f, 0, sizeof(f));
    f.fixture = "default";
    f.since_ms = 15;
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "c");
    memset(&f, 0, sizeof(f));
    f.scenario = "s1";
    ck_assert_str_eq(ids(journal_query(j, &f, 2, &n)), "b c"); /* limit keeps the newest */
    ck_assert_uint_eq(n, 3);
    f.scenario = "s2";
    ck_assert_str_eq(ids(journal_query(j, &f, 0, NULL)), "");
    journal_free(j);
}
END_TEST

static const char *kv(const void *ctx, const char *key)
{
    const char *const *p;

    for (p = ctx; *p; p += 2)
        if (strcmp(*p, key) == 0)
            return p[1];
    return NULL;
}

START_TEST(filter_parsing)
{
    static const char *const good[] = {"status", "404", "since", "123", "path", "/x", NULL};
    static const char *const bad_status[] = {"status", "4x", NULL};
    static const char *const bad_since[] = {"since", "-1", NULL};
    struct journal_filter f;
    char bad[32];

    ck_assert_int_eq(journal_filter_parse(&f, kv, good, bad, sizeof(bad)), 0);
    ck_assert_int_eq(f.status, 404);
    ck_assert_int_eq(f.since_ms, 123);
    ck_assert_str_eq(f.path, "/x");
    ck_assert_int_eq(journal_filter_parse(&f, kv, bad_status, bad, sizeof(bad)), -1);
    ck_assert_str_eq(bad, "status");
    ck_assert_int_eq(journal_filter_parse(&f, kv, bad_since, bad, sizeof(bad)), -1);
    ck_assert_str_eq(bad, "since");
}
END_TEST

/* A request kept as a flat record (journal_add_request) reads as the JSON
 * entry: every field, header names lowercased and secrets redacted, query
 * values (null kept), a body that is not UTF-8 as null; its end written in
 * by journal_finish; counted by its real size. */
START_TEST(request_records)
{
    static const char *const hk[] = {"Content-Type", "Authorization", "X-Api-Key", "X-Trace",
                                     "X-Long"};
    const char *hv[] = {"application/json", "Bearer sk-secret", "k-secret", "t1", NULL};
    char long_value[2001];
    static const char *const qk[] = {"stream", "flag"};
    static const char *const qv[] = {"true", NULL};
    struct journal *j = new_journal(10, 0);
    struct journal_request r;
    const struct journal_entry *h;
    json_t *all, *e, *hdr;
    char *text;

    memset(long_value, 'v', 2000);
    long_value[2000] = '\0';
    hv[4] = long_value;
    memset(&r, 0, sizeof(r));
    r.id = "req_1";
    r.time_ms = 1700000000123;
    r.method = "POST";
    r.path = "/v1/responses";
    r.header_names = hk;
    r.header_values = hv;
    r.nheaders = 5;
    r.query_keys = qk;
    r.query_values = qv;
    r.nquery = 2;
    r.body = "{\"model\":\"m1\"}";
    r.body_len = strlen(r.body);
    r.body_bytes = r.body_len;
    r.fixture = "default";
    r.status = 200;
    r.duration_ms = 3;
    r.stream = 1;
    h = journal_add_request(j, &r);
    ck_assert_ptr_nonnull(h);
    if (!harness_redis) /* the record's own size, not an estimate */
        ck_assert_uint_ge(journal_bytes(j), r.body_len + strlen("application/json") +
                                                strlen("[redacted]") * 2 + 40);
    all = journal_query(j, NULL, 0, NULL);
    e = json_array_get(all, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "id")), "req_1");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "time")), 1700000000123);
    ck_assert_str_eq(json_string_value(json_object_get(e, "path")), "/v1/responses");
    ck_assert_str_eq(json_string_value(json_object_get(e, "body")), "{\"model\":\"m1\"}");
    ck_assert_str_eq(json_string_value(json_object_get(e, "fixture")), "default");
    ck_assert(json_is_null(json_object_get(e, "scenario")));
    ck_assert(json_is_true(json_object_get(e, "stream")));
    ck_assert(json_is_null(json_object_get(e, "stream_completed")));
    hdr = json_object_get(e, "headers");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "content-type")), "application/json");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "authorization")), "[redacted]");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "x-api-key")), "[redacted]");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "x-trace")), "t1");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(hdr, "x-long"))),
                      RM_MAX_JOURNAL_HEADER_VALUE); /* cut */
    text = json_dumps(e, JSON_COMPACT);
    ck_assert_ptr_null(strstr(text, "secret")); /* no secret anywhere in the entry */
    free(text);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "query"), "stream")),
                     "true");
    ck_assert(json_is_null(json_object_get(json_object_get(e, "query"), "flag")));
    json_decref(all);
    journal_finish(j, h, 1, 250);
    all = journal_query(j, NULL, 0, NULL);
    e = json_array_get(all, 0);
    ck_assert(json_is_true(json_object_get(e, "stream_completed")));
    ck_assert_int_eq(json_integer_value(json_object_get(e, "duration_ms")), 250);
    json_decref(all);
    /* not UTF-8: the body reads as null; not a stream: no handle kept */
    r.id = "req_2";
    r.body = "\xff\xfe";
    r.body_len = 2;
    r.stream = 0;
    journal_drop(j, journal_add_request(j, &r));
    all = journal_query(j, NULL, 0, NULL);
    ck_assert_uint_eq(json_array_size(all), 2);
    e = json_array_get(all, 1);
    ck_assert_str_eq(json_string_value(json_object_get(e, "id")), "req_2");
    ck_assert(json_is_null(json_object_get(e, "body")));
    ck_assert(json_is_false(json_object_get(e, "stream")));
    json_decref(all);
    journal_free(j);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("journal");

    add_tcase(s, tcase_create("ring"), 30, NULL, NULL, ring_limits, filters, filter_parsing,
              request_records);
    add_tcase(s, tcase_create("redis"), 60, harness_redis_setup, harness_redis_teardown,
              ring_limits, filters, request_records);
    return s;
}
