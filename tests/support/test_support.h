/* Test support: the helpers every Check test program shares, once: building
 * the suite, a respmock child process on a free loopback port (and the one
 * server of the running test), running a program to completion, a small
 * libcurl client with request-and-parse helpers, and assertions on the
 * OpenAI error envelope. */
#ifndef RM_TEST_SUPPORT_H
#define RM_TEST_SUPPORT_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* Test data of the repository (tests/data). */
#define TEST_DATA_DIR RM_SOURCE_DIR "/tests/data"

/* ---- Suites (check_main.c) ------------------------------------------------ */

/* Each test file defines this. */
Suite *make_suite(void);

/* Add the TCase 'tc' to 's' with a timeout of 'timeout_s' seconds, 'setup'
 * and 'teardown' as a checked fixture around each test (either may be
 * NULL), and the tests 'tests' (NULL-terminated, may be NULL). Returns 'tc'
 * so loop tests can be added. */
TCase *suite_add_tests(Suite *s, TCase *tc, double timeout_s, void (*setup)(void),
                       void (*teardown)(void), const TTest *const *tests);

/* suite_add_tests with the tests listed in place:
 *     add_tcase(s, tcase_create("name"), 60, setup, srv_stop, test_a, test_b);
 * Write tcase_create("name") literally in the call: tests/CMakeLists.txt
 * makes one ctest per TCase by finding that text. */
#define add_tcase(s, tc, timeout_s, setup, teardown, ...)                                         \
    suite_add_tests((s), (tc), (timeout_s), (setup), (teardown),                                 \
                    (const TTest *const[]){__VA_ARGS__, NULL})

/* ---- A respmock child process (test_server.c) ----------------------------- */

struct test_server {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
};

/* Start respmock with extra arguments (NULL-terminated 'argv', may be NULL),
 * on port 0, and wait for its readiness line. The child dies with the test
 * process (PR_SET_PDEATHSIG). Returns 0 or -1. Fixtures default to the
 * shipped fixtures/ unless 'argv' has --fixtures. */
int test_server_start(struct test_server *ts, const char *const *argv);

/* Stop it by PID (SIGTERM, then SIGKILL after 5 s) and reap it.
 * Returns its exit status (0 for a clean exit), -1 when it was killed. */
int test_server_stop(struct test_server *ts);

/* The command line of a respmock to start; every field may be NULL. */
struct test_server_opts {
    const char *fixtures;     /* --fixtures DIR (NULL: the shipped fixtures/) */
    const char *speed;        /* --speed X (NULL: the server's default) */
    const char *api_key;      /* --api-key KEY (NULL: none, any bearer token passes) */
    const char *log_level;    /* --log-level LEVEL (NULL: the default) */
    const char *const *extra; /* further arguments, NULL-terminated */
};

/* test_server_start with the arguments 'o' names ('o' NULL: none). */
int test_server_start_opts(struct test_server *ts, const struct test_server_opts *o);

/* The server of the running test: the srv_ helpers below talk to it. */
extern struct test_server test_srv;

/* Start test_srv with 'o' (NULL: the defaults) and assert that it started. */
void srv_start(const struct test_server_opts *o);

/* Stop test_srv, when it runs, and assert a clean exit (status 0), which in
 * a sanitizer build also proves the server leaked nothing, cut streams
 * included. A teardown; a test that stopped test_srv itself leaves it
 * nothing to do. */
void srv_stop(void);

/* ---- Programs run to completion (test_server.c) --------------------------- */

/* Run the program argv[0] (a path) with 'argv' and the environment 'envp'
 * (NULL: this process's), its stdout into the file 'out_path' and its
 * stderr into 'err_path' (NULL: /dev/null; the same path: both into one
 * file). It dies with the test process; after 'deadline_s' seconds it is
 * killed and the test fails. Returns its exit code, -1 when it did not
 * exit normally. */
int test_run(const char *const *argv, const char *const *envp, const char *out_path,
             const char *err_path, int deadline_s);

/* Run respmock with 'args' (NULL-terminated) to completion (20 s at most).
 * Returns its exit code; 'output' (may be NULL) receives what it printed on
 * stdout and stderr, a new string. */
int test_run_respmock(const char *const *args, char **output);

/* ---- Time ---------------------------------------------------------------- */

/* Seconds on the monotonic clock. */
double test_now_s(void);

void test_sleep_ms(long ms);

/* ---- TCP (http_client.c) -------------------------------------------------- */

/* A TCP connection to 127.0.0.1:'port', or -1 with errno set. */
int test_dial(int port);

/* ---- Memory ------------------------------------------------------------- */

/* This process's resident set (VmRSS), in KiB; -1 when unknown. */
long test_rss_kib(void);

/* 1 when built with a sanitizer (RSS then says nothing about the code). */
int test_sanitized(void);

/* ---- HTTP (http_client.c) ------------------------------------------------- */

/* One HTTP exchange. */
struct http_result {
    long status;
    char *body;         /* response body, NUL-terminated */
    size_t body_len;
    char *headers;      /* raw response header block, lower-cased names */
    double total_s;     /* wall time */
    int curl_rc;        /* CURLcode of the transfer */
};

/* Send 'method' to 'url' with optional 'body' (JSON) and extra header lines
 * ('headers' NULL-terminated, may be NULL). Unless 'headers' has an
 * Authorization line, "Authorization: Bearer test-key" is sent. */
int http_request(const char *method, const char *url, const char *body,
                 const char *const *headers, struct http_result *out);

/* Called with each chunk of the body as it arrives. */
typedef void (*http_chunk_fn)(const char *bytes, size_t len, void *user);

/* http_request with a time limit and an optional 'fn' that sees the body
 * while it streams (it is also collected in 'out' as usual). */
int http_request_stream(const char *method, const char *url, const char *body,
                        const char *const *headers, long timeout_s, http_chunk_fn fn, void *user,
                        struct http_result *out);

/* Value of header 'name' (lower-case) in a raw header block with lower-cased
 * names ('headers' may be NULL) as a new string, or NULL. */
char *http_header_in(const char *headers, const char *name);

/* Value of response header 'name' (lower-case) as a new string, or NULL. */
char *http_header(const struct http_result *r, const char *name);

/* Parse the body as JSON (new reference) or NULL. */
json_t *http_json(const struct http_result *r);

void http_result_free(struct http_result *r);

/* One request to 'base' + 'path' that must get an HTTP answer; returns the
 * body parsed as JSON (new reference, NULL when not JSON) and its status. */
json_t *http_call(const char *base, const char *method, const char *path, const char *body,
                  long *status);

/* test_srv.base + 'path', in a buffer of this thread that the next call
 * overwrites. */
const char *srv_url(const char *path);

/* One request to test_srv that must get an HTTP answer, kept in 'r' (free
 * it with http_result_free); returns the body parsed as JSON (new
 * reference, NULL when not JSON). */
json_t *srv_request(const char *method, const char *path, const char *body,
                    const char *const *headers, struct http_result *r);

/* http_call on test_srv. */
json_t *srv_call(const char *method, const char *path, const char *body, long *status);

/* ---- JSON ---------------------------------------------------------------- */

/* The string 'key' of object 'o', NULL when absent or not a string. */
const char *jstr(const json_t *o, const char *key);

/* The text of a Response's answer: its last output item, which must be a
 * message, and that item's first content part. */
const char *response_text(const json_t *resp);

/* ---- Error envelopes (http_client.c) -------------------------------------- */

/* Asserts the body is the OpenAI error envelope with all four keys and
 * returns the inner error object (borrowed from 'doc'). */
json_t *assert_error_envelope(json_t *doc);

/* Asserts 'status' is 'want' and 'doc' is an error envelope whose code and
 * param are these strings (NULL: JSON null). Releases 'doc'. */
void assert_error_reply(json_t *doc, long status, long want, const char *code,
                        const char *param);

/* Asserts the exchange 'r' got status 'want' and 'doc', its parsed body, is
 * an error envelope. Releases 'doc' and 'r'. */
void assert_error_answer(json_t *doc, struct http_result *r, long want);

/* A request to test_srv that must fail: assert_error_reply on its answer. */
void srv_expect_error(const char *method, const char *path, const char *body, long want,
                      const char *code, const char *param);

#endif
