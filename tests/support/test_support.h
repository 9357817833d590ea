/* Test support: the suite hook, a respmock process on a free loopback port,
 * and a small libcurl client. */
#ifndef RM_TEST_SUPPORT_H
#define RM_TEST_SUPPORT_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* Each test file defines this. */
Suite *make_suite(void);

/* A respmock child process. */
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

/* Value of response header 'name' (lower-case) as a new string, or NULL. */
char *http_header(const struct http_result *r, const char *name);

/* Parse the body as JSON (new reference) or NULL. */
json_t *http_json(const struct http_result *r);

void http_result_free(struct http_result *r);

/* Asserts the body is the OpenAI error envelope with all four keys and
 * returns the inner error object (borrowed from 'doc'). */
json_t *assert_error_envelope(json_t *doc);

/* One request to 'base' + 'path' that must get an HTTP answer; returns the
 * body parsed as JSON (new reference, NULL when not JSON) and its status. */
json_t *http_call(const char *base, const char *method, const char *path, const char *body,
                  long *status);

/* Asserts 'status' is 'want' and 'doc' is an error envelope whose code and
 * param are these strings (NULL: JSON null). Releases 'doc'. */
void assert_error_reply(json_t *doc, long status, long want, const char *code,
                        const char *param);

#endif
