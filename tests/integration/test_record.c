/* Integration tests for record mode (--record-from): a second respmock
 * (the shipped fixtures, --speed 0) acts as the upstream; a recorder in
 * front of it writes fixtures into a scratch directory; a third respmock
 * replays them (--strict, so only the recordings answer) and every answer
 * must equal, byte for byte, what the client got while recording: JSON
 * bodies, event streams, an upstream error and a tool loop chained with
 * previous_response_id. Also: recording twice gives the same files, a
 * canary key and e-mail never reach the disk, a bad upstream URL is a 502
 * in the error envelope with nothing written, an upstream that dies
 * mid-stream gives the client the truncated stream and leaves only a
 * marked .partial file, and --record-mode missing replays what matches.
 * Every child runs on a free loopback port and is stopped by PID. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"
#include "test_support.h"

#define AUTH "Authorization: Bearer sk-test"
#define TOOL                                                                                     \
    "{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","       \
    "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}"

static struct test_server upstream, recorder, replayer;

/* The upstream: the shipped fixtures, at 'speed' ("0": no scripted waits). */
static void start_upstream_at(const char *speed)
{
    const char *args[] = {"--speed", speed, NULL};

    ck_assert_int_eq(test_server_start(&upstream, args), 0);
}

static void start_upstream(void)
{
    start_upstream_at("0");
}

/* A recorder in front of the upstream (or of 'url'), writing to 'dir'. */
static void start_recorder(const char *url, const char *dir, const char *mode)
{
    char from[128];
    const char *args[] = {"--fixtures", dir,  "--record-from", from, "--record-mode",
                          mode,         "--redact", "ACME-[0-9]+", NULL};

    if (url)
        snprintf(from, sizeof(from), "%s", url);
    else
        snprintf(from, sizeof(from), "%s/v1", upstream.base);
    ck_assert_int_eq(test_server_start(&recorder, args), 0);
}

static void start_replayer(const char *dir)
{
    const char *args[] = {"--fixtures", dir, "--strict", "--speed", "0", NULL};

    ck_assert_int_eq(test_server_start(&replayer, args), 0);
}

static void stop_all(void)
{
    if (recorder.pid > 0)
        ck_assert_int_eq(test_server_stop(&recorder), 0);
    if (replayer.pid > 0)
        ck_assert_int_eq(test_server_stop(&replayer), 0);
    if (upstream.pid > 0)
        ck_assert_int_eq(test_server_stop(&upstream), 0);
    memset(&recorder, 0, sizeof(recorder));
    memset(&replayer, 0, sizeof(replayer));
    memset(&upstream, 0, sizeof(upstream));
}

/* POST 'body' to 'ts' 'path'; the whole exchange in 'r'. Returns the
 * transfer's CURLcode (0: complete). */
static int post_to(const struct test_server *ts, const char *path, const char *body,
                   const char *const *headers, struct http_result *r)
{
    char url[128];
    static const char *const auth[] = {AUTH, NULL};

    snprintf(url, sizeof(url), "%s%s", ts->base, path);
    http_request_stream("POST", url, body, headers ? headers : auth, 30, NULL, NULL, r);
    return r->curl_rc;
}

/* post_to /v1/responses. */
static int post_cut(const struct test_server *ts, const char *body, const char *const *headers,
                    struct http_result *r)
{
    return post_to(ts, "/v1/responses", body, headers, r);
}

/* post_cut, which must complete. */
static void post(const struct test_server *ts, const char *body, const char *const *headers,
                 struct http_result *r)
{
    ck_assert_int_eq(post_cut(ts, body, headers, r), 0);
}

/* How many files of 'dir' end in 'suffix'. */
static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name), s = strlen(suffix);
        if (l > s && strcmp(de->d_name + l - s, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Every file of 'dir' concatenated (new string). */
static char *all_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char *all = strdup(""), path[512];

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        char *text, *grown;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        text = slurp(path);
        ck_assert_ptr_nonnull(text);
        grown = malloc(strlen(all) + strlen(text) + 1);
        ck_assert_ptr_nonnull(grown);
        strcpy(grown, all);
        strcat(grown, text);
        free(all);
        free(text);
        all = grown;
    }
    closedir(d);
    return all;
}

static int check_fixtures(const char *dir)
{
    const char *args[] = {"--check", "--fixtures", dir, NULL};

    return test_run_respmock(args, NULL);
}

/* The conversation recorded and replayed: a JSON answer, a stream, an
 * upstream error (429, kept with its status and body), then a tool call
 * and its result chained with previous_response_id (streamed), and a Chat
 * Completions answer and stream. */
#define NREQ 7
struct conversation {
    struct http_result r[NREQ];
};

static void talk(const struct test_server *ts, struct conversation *c)
{
    char body[1024];
    json_t *call;

    post(ts, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", NULL, &c->r[0]);
    post(ts, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}", NULL, &c->r[1]);
    post(ts, "{\"model\":\"respmock-error-429\",\"input\":\"hi\"}", NULL, &c->r[2]);
    post(ts, "{\"model\":\"gpt-4.1\",\"input\":\"weather in Boston?\",\"tools\":[" TOOL "]}", NULL,
         &c->r[3]);
    call = http_json(&c->r[3]);
    ck_assert_ptr_nonnull(call);
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4.1\",\"previous_response_id\":\"%s\",\"stream\":true,"
             "\"tools\":[" TOOL "],\"input\":[{\"type\":\"function_call_output\","
             "\"call_id\":\"%s\",\"output\":\"21C and sunny\"}]}",
             jstr(call, "id"), jstr(json_array_get(json_object_get(call, "output"), 0), "call_id"));
    json_decref(call);
    post(ts, body, NULL, &c->r[4]);
    ck_assert_int_eq(post_to(ts, "/v1/chat/completions", "{\"model\":\"gpt-4.1-mini\","
                             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                             NULL, &c->r[5]),
                     0);
    ck_assert_int_eq(post_to(ts, "/v1/chat/completions", "{\"model\":\"gpt-4.1-mini\","
                             "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                             "\"stream\":true}",
                             NULL, &c->r[6]),
                     0);
}

static void conversation_free(struct conversation *c)
{
    int i;

    for (i = 0; i < NREQ; i++)
        http_result_free(&c->r[i]);
}

/* Whether process 'pid' has a libcurl mapped. */
static int maps_libcurl(pid_t pid)
{
    char path[64], line[512];
    FILE *f;
    int found = 0;

    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, "libcurl") != NULL;
    fclose(f);
    return found;
}

/* libcurl is loaded by record mode only (server/curl_dyn.h): a server that
 * does not record never maps it (nor the libraries it pulls in); a
 * recorder does, and records. */
START_TEST(libcurl_only_in_record_mode)
{
    const char *dir = scratch_path(0, "lazy");

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    ck_assert_msg(!maps_libcurl(upstream.pid), "a server that does not record loaded libcurl");
    start_recorder(NULL, dir, "all");
    ck_assert(maps_libcurl(recorder.pid));
}
END_TEST

START_TEST(record_then_replay_byte_for_byte)
{
    const char *dir = scratch_path(0, "rec");
    struct conversation rec, again, play;
    char url[160];
    json_t *doc;
    long status;
    int i;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    start_recorder(NULL, dir, "all");
    talk(&recorder, &rec);
    ck_assert_int_eq(rec.r[0].status, 200);
    ck_assert_int_eq(rec.r[2].status, 429);
    ck_assert_ptr_nonnull(strstr(rec.r[1].body, "event: response.completed"));
    ck_assert_ptr_nonnull(strstr(rec.r[4].body, "It is 21"));
    ck_assert_int_eq(rec.r[5].status, 200);
    ck_assert_ptr_nonnull(strstr(rec.r[6].body, "data: [DONE]"));
    /* stored-response routes go to the upstream, which knows its ids */
    doc = http_json(&rec.r[3]);
    snprintf(url, sizeof(url), "/v1/responses/%s", jstr(doc, "id"));
    json_decref(doc);
    doc = http_call(recorder.base, "GET", url, NULL, &status);
    ck_assert_int_eq(status, 200);
    json_decref(doc);
    strcat(url, "/input_items");
    doc = http_call(recorder.base, "GET", url, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(jstr(doc, "object"), "list");
    json_decref(doc);
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), NREQ);
    ck_assert_int_eq(count_files(dir, ".partial"), 0);
    ck_assert_int_eq(check_fixtures(dir), 0);

    /* the same conversation again: the same names, nothing collides */
    start_recorder(NULL, dir, "all");
    talk(&recorder, &again);
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), NREQ);
    ck_assert_int_eq(check_fixtures(dir), 0);

    /* replay the recording: every answer as it was given the last time */
    start_replayer(dir);
    talk(&replayer, &play);
    for (i = 0; i < NREQ; i++) {
        ck_assert_int_eq(play.r[i].status, again.r[i].status);
        ck_assert_uint_eq(play.r[i].body_len, again.r[i].body_len);
        ck_assert_msg(memcmp(play.r[i].body, again.r[i].body, again.r[i].body_len) == 0,
                      "answer %d differs:\n%s\n---\n%s", i, play.r[i].body, again.r[i].body);
    }
    conversation_free(&rec);
    conversation_free(&again);
    conversation_free(&play);
}
END_TEST

/* What the client saw of a stream while it arrived. */
struct arrival {
    int chunks;
    int first_had_end; /* the first chunk already held the terminal event */
};

static void on_chunk(const char *bytes, size_t len, void *user)
{
    static const char end[] = "response.completed";
    struct arrival *a = user;
    size_t i;

    if (a->chunks++ != 0)
        return;
    for (i = 0; i + sizeof(end) - 1 <= len; i++)
        if (memcmp(bytes + i, end, sizeof(end) - 1) == 0)
            a->first_had_end = 1;
}

/* The shipped slow-stream (300 ms latency, 300 ms to the first event, then
 * 40 +- 20 ms between events) through the recorder: the client gets the
 * events one by one, not the whole stream at the end, and the fixture keeps
 * the waits it measured (never shorter than the upstream's scripted ones). */
START_TEST(streams_pass_through_and_keep_their_timing)
{
    const char *dir = scratch_path(0, "slow");
    static const char *const auth[] = {AUTH, NULL};
    struct arrival a = {0, 0};
    struct http_result r, play;
    char url[128], *text;
    json_t *fx, *events;
    size_t i;
    long total = 0;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream_at("1");
    start_recorder(NULL, dir, "all");
    snprintf(url, sizeof(url), "%s/v1/responses", recorder.base);
    ck_assert_int_eq(http_request_stream("POST", url, "{\"model\":\"respmock-slow\",\"input\":"
                                         "\"hi\",\"stream\":true}",
                                         auth, 30, on_chunk, &a, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(a.chunks > 3 && !a.first_had_end, "%d chunks, first one complete: %d", a.chunks,
                  a.first_had_end);
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), 1);
    text = all_files(dir);
    fx = json_loads(text, 0, NULL);
    free(text);
    events = json_object_get(json_object_get(fx, "transcript"), "events");
    ck_assert_uint_gt(json_array_size(events), 5);
    for (i = 0; i < json_array_size(events); i++)
        total += (long)json_integer_value(json_object_get(json_array_get(events, i), "delay_ms"));
    ck_assert_msg(total >= 600, "recorded waits add up to %ld ms", total);
    json_decref(fx);
    start_replayer(dir); /* --speed 0: the waits dropped, the bytes the same */
    post(&replayer, "{\"model\":\"respmock-slow\",\"input\":\"hi\",\"stream\":true}", NULL,
         &play);
    ck_assert_uint_eq(play.body_len, r.body_len);
    ck_assert(memcmp(play.body, r.body, r.body_len) == 0);
    http_result_free(&play);
    http_result_free(&r);
}
END_TEST

/* A 3 MiB answer (three times the pass-through buffer) and a stream of
 * 2000 events reach the client whole, and are written and replayed whole. */
START_TEST(large_answers_pass_through_whole)
{
    const char *dir = scratch_path(0, "large");
    size_t n = 3u * 1024 * 1024, i;
    char *fixture = malloc(n + 256), *words = malloc(2000 * 4 + 1);
    struct http_result big, many, play;
    json_t *added;
    long status;

    ck_assert_ptr_nonnull(fixture);
    ck_assert_ptr_nonnull(words);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    strcpy(fixture, "[{\"name\":\"big\",\"match\":{\"model\":\"big\"},\"response\":{\"output\":"
                    "[{\"type\":\"message\",\"text\":\"");
    for (i = strlen(fixture); i < n; i++)
        fixture[i] = (char)('a' + i % 26);
    fixture[i] = '\0';
    for (i = 0; i < 2000; i++)
        memcpy(words + i * 4, " wd", 4);
    words[2000 * 4] = '\0';
    strcat(fixture, "\"}]}},{\"name\":\"many\",\"match\":{\"model\":\"many\"},\"response\":{"
                    "\"output\":[{\"type\":\"message\",\"text\":\"");
    fixture = realloc(fixture, strlen(fixture) + strlen(words) + 16);
    strcat(fixture, words);
    strcat(fixture, "\"}]}}]");
    added = http_call(upstream.base, "POST", "/__admin/fixtures", fixture, &status);
    ck_assert_int_eq(status, 201);
    json_decref(added);
    start_recorder(NULL, dir, "all");
    post(&recorder, "{\"model\":\"big\",\"input\":\"hi\"}", NULL, &big);
    ck_assert_int_eq(big.status, 200);
    ck_assert_uint_gt(big.body_len, n - 1024);
    post(&recorder, "{\"model\":\"many\",\"input\":\"hi\",\"stream\":true}", NULL, &many);
    ck_assert_ptr_nonnull(strstr(many.body, "event: response.completed"));
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), 2);
    start_replayer(dir);
    post(&replayer, "{\"model\":\"big\",\"input\":\"hi\"}", NULL, &play);
    ck_assert_uint_eq(play.body_len, big.body_len);
    ck_assert(memcmp(play.body, big.body, big.body_len) == 0);
    http_result_free(&play);
    post(&replayer, "{\"model\":\"many\",\"input\":\"hi\",\"stream\":true}", NULL, &play);
    ck_assert_uint_eq(play.body_len, many.body_len);
    ck_assert(memcmp(play.body, many.body, many.body_len) == 0);
    http_result_free(&play);
    http_result_free(&big);
    http_result_free(&many);
    free(fixture);
    free(words);
}
END_TEST

START_TEST(secrets_never_reach_the_disk)
{
    static const char *const headers[] = {
        "Authorization: Bearer sk-canary-0123456789abcdefXYZ",
        "OpenAI-Organization: org-canaryorg", "Cookie: session=canarycookie", NULL};
    const char *dir = scratch_path(0, "secrets");
    struct http_result r;
    char *disk;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    start_recorder(NULL, dir, "all");
    post(&recorder,
         "{\"model\":\"gpt-4.1-mini\",\"input\":\"my key is sk-canary-0123456789abcdefXYZ\","
         "\"instructions\":\"write to canary.person@example.com about ACME-4242\","
         "\"metadata\":{\"who\":\"canary.person@example.com\"},\"stream\":true}",
         headers, &r);
    /* the client gets the upstream's answer unchanged (it echoes the instructions) */
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "canary.person@example.com"));
    http_result_free(&r);
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), 1);
    disk = all_files(dir);
    ck_assert_ptr_null(strstr(disk, "sk-canary"));
    ck_assert_ptr_null(strstr(disk, "canary.person"));
    ck_assert_ptr_null(strstr(disk, "example.com"));
    ck_assert_ptr_null(strstr(disk, "ACME-4242"));
    ck_assert_ptr_null(strstr(disk, "canaryorg"));
    ck_assert_ptr_null(strstr(disk, "canarycookie"));
    ck_assert_ptr_nonnull(strstr(disk, "[redacted]"));
    free(disk);
    ck_assert_int_eq(check_fixtures(dir), 0);
}
END_TEST

/* A request through the recorder gets a 502 envelope, and 'dir' gets no fixture. */
static void expect_502_nothing_written(const char *dir)
{
    struct http_result r;

    post(&recorder, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", NULL, &r);
    assert_error_reply(http_json(&r), r.status, 502, "upstream_unavailable", NULL);
    http_result_free(&r);
    ck_assert_int_eq(count_files(dir, ".json"), 0);
}

START_TEST(bad_upstream_is_a_502)
{
    const char *dir = scratch_path(0, "bad");

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_recorder("http://127.0.0.1:1/v1", dir, "all"); /* nothing listens on port 1 */
    expect_502_nothing_written(dir);
    ck_assert_int_eq(count_files(dir, ".partial"), 0);
}
END_TEST

/* https:// to a server that speaks plain HTTP: the TLS handshake fails (TLS
 * is always verified and never falls back). */
START_TEST(tls_failure_is_a_502)
{
    const char *dir = scratch_path(0, "tls");
    char url[128];

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1", upstream.port);
    start_recorder(url, dir, "all");
    expect_502_nothing_written(dir);
}
END_TEST

/* What record mode cannot start with: exit 1 or 2 with the reason. */
START_TEST(bad_configuration_refuses_the_start)
{
    const char *dir = scratch_path(0, "conf");
    const char *no_dir[] = {"--port", "0", "--record-from", "http://127.0.0.1:1/v1", NULL};
    const char *bad_re[] = {"--port", "0", "--fixtures", dir, "--record-from",
                            "http://127.0.0.1:1/v1", "--redact", "(", NULL};
    const char *bad_url[] = {"--port", "0", "--fixtures", dir, "--record-from", "ftp://x", NULL};
    const char *bad_mode[] = {"--port", "0", "--fixtures", dir, "--record-from",
                              "http://127.0.0.1:1/v1", "--record-mode", "some", NULL};
    char *out = NULL;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(test_run_respmock(no_dir, &out), 1);
    ck_assert_msg(strstr(out, "fixtures directory"), "%s", out);
    free(out);
    ck_assert_int_eq(test_run_respmock(bad_re, &out), 1);
    ck_assert_msg(strstr(out, "--redact"), "%s", out);
    free(out);
    ck_assert_int_eq(test_run_respmock(bad_url, &out), 2);
    ck_assert_msg(strstr(out, "--record-from"), "%s", out);
    free(out);
    ck_assert_int_eq(test_run_respmock(bad_mode, &out), 2);
    ck_assert_msg(strstr(out, "--record-mode"), "%s", out);
    free(out);
}
END_TEST

/* A client that gives up mid-stream (its upstream stalls): nothing is
 * written for it (its transfer ends when the recorder next has bytes for
 * it, or at the stop), the recorder goes on serving others and stops clean
 * at once. */
START_TEST(client_leaving_mid_stream_writes_nothing)
{
    const char *dir = scratch_path(0, "leave");
    static const char *const auth[] = {AUTH, NULL};
    static const char stall[] =
        "{\"name\":\"stall\",\"match\":{\"model\":\"stall\"},\"response\":{\"output\":["
        "{\"type\":\"message\",\"text\":\"a b c\"}]},\"stream\":{\"fault\":{\"kind\":\"stall\","
        "\"after_events\":2,\"stall_ms\":20000}}}";
    struct http_result r;
    char url[128];
    json_t *added;
    long status;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream_at("1");
    added = http_call(upstream.base, "POST", "/__admin/fixtures", stall, &status);
    ck_assert_int_eq(status, 201);
    json_decref(added);
    start_recorder(NULL, dir, "all");
    snprintf(url, sizeof(url), "%s/v1/responses", recorder.base);
    http_request_stream("POST", url, "{\"model\":\"stall\",\"input\":\"hi\",\"stream\":true}",
                        auth, 1, NULL, NULL, &r);
    ck_assert_int_eq(r.curl_rc, 28); /* CURLE_OPERATION_TIMEDOUT: the client gave up */
    ck_assert_ptr_nonnull(strstr(r.body, "response.created"));
    http_result_free(&r);
    post(&recorder, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    ck_assert_int_eq(test_server_stop(&recorder), 0); /* clean, and not held by the stall */
    memset(&recorder, 0, sizeof(recorder));
    ck_assert_int_eq(count_files(dir, ".json"), 1); /* the second request only */
    ck_assert_int_eq(count_files(dir, ".partial"), 0);
}
END_TEST

START_TEST(dying_upstream_leaves_a_partial_file_only)
{
    const char *dir = scratch_path(0, "dying");
    struct http_result r;
    int i;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    start_recorder(NULL, dir, "all");
    /* the shipped stream-drop fixture cuts its connection mid-stream */
    /* CURLE_PARTIAL_FILE (18): cut as the upstream cut it */
    ck_assert_int_eq(post_cut(&recorder, "{\"model\":\"respmock-stream-drop\",\"input\":\"hi\","
                                         "\"stream\":true}",
                              NULL, &r),
                     18);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "event: response.created"));
    ck_assert_ptr_null(strstr(r.body, "response.completed"));
    http_result_free(&r);
    /* the recorder writes once its side of the transfer has ended: wait for it */
    for (i = 0; i < 500 && count_files(dir, ".json.partial") == 0; i++)
        test_sleep_ms(10);
    ck_assert_int_eq(count_files(dir, ".json"), 0);
    ck_assert_int_eq(count_files(dir, ".json.partial"), 1);
    ck_assert_int_eq(check_fixtures(dir), 1); /* nothing loadable: no *.json file */
    /* then the upstream goes away altogether */
    ck_assert_int_eq(test_server_stop(&upstream), 0);
    memset(&upstream, 0, sizeof(upstream));
    expect_502_nothing_written(dir);
}
END_TEST

START_TEST(missing_mode_replays_what_matches)
{
    const char *dir = scratch_path(0, "missing");
    struct http_result first, second, other;
    json_t *journal;
    long status;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    start_upstream();
    start_recorder(NULL, dir, "all");
    post(&recorder, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", NULL, &first);
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    /* the upstream forgets what it saw; missing mode must not ask it again */
    journal = http_call(upstream.base, "DELETE", "/__admin/requests", NULL, &status);
    json_decref(journal);
    start_recorder(NULL, dir, "missing");
    post(&recorder, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", NULL, &second);
    ck_assert_int_eq(second.status, 200);
    ck_assert_uint_eq(second.body_len, first.body_len);
    ck_assert(memcmp(second.body, first.body, first.body_len) == 0);
    post(&recorder, "{\"model\":\"gpt-4.1-mini\",\"input\":\"something new\"}", NULL, &other);
    ck_assert_int_eq(other.status, 200);
    {
        /* a response only the upstream stored: the local 404 goes upstream */
        json_t *got = http_json(&other), *again;
        char path[256];

        snprintf(path, sizeof(path), "/v1/responses/%s", jstr(got, "id"));
        again = http_call(recorder.base, "GET", path, NULL, &status);
        ck_assert_int_eq(status, 200);
        ck_assert_str_eq(jstr(again, "id"), jstr(got, "id"));
        json_decref(again);
        /* chained on it: not stored here, so the upstream answers (and it is recorded) */
        snprintf(path, sizeof(path), "{\"model\":\"gpt-4.1-mini\",\"input\":\"and then?\","
                 "\"previous_response_id\":\"%s\"}", jstr(got, "id"));
        http_result_free(&second);
        post(&recorder, path, NULL, &second);
        ck_assert_int_eq(second.status, 200);
        json_decref(got);
    }
    ck_assert_int_eq(test_server_stop(&recorder), 0);
    memset(&recorder, 0, sizeof(recorder));
    journal = http_call(upstream.base, "GET", "/__admin/requests", NULL, &status);
    ck_assert_int_eq(status, 200);
    {
        char *text = json_dumps(journal, 0);

        /* only the new request reached the upstream */
        ck_assert_ptr_nonnull(strstr(text, "something new"));
        ck_assert_ptr_null(strstr(text, "\\\"input\\\":\\\"hi\\\""));
        free(text);
    }
    json_decref(journal);
    ck_assert_int_eq(count_files(dir, ".json"), 3);
    http_result_free(&first);
    http_result_free(&second);
    http_result_free(&other);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc;

    tc = add_tcase(s, tcase_create("record"), 120, NULL, stop_all,
                   record_then_replay_byte_for_byte, streams_pass_through_and_keep_their_timing,
                   large_answers_pass_through_whole, secrets_never_reach_the_disk,
                   missing_mode_replays_what_matches, libcurl_only_in_record_mode);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tc = add_tcase(s, tcase_create("upstream_failures"), 60, NULL, stop_all,
                   bad_upstream_is_a_502, tls_failure_is_a_502, bad_configuration_refuses_the_start,
                   client_leaving_mid_stream_writes_nothing,
                   dying_upstream_leaves_a_partial_file_only);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    return s;
}
