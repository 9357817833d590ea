/* http_client: a minimal libcurl client for the tests, the request helpers
 * on the test's server (test_srv), JSON look-ups and the error-envelope
 * assertions. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test_support.h"

int test_dial(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

#define HTTP_TEST_MAX_BODY (256u * 1024 * 1024)

/* Where body bytes go: the result buffer, and an optional callback that
 * sees each chunk as it arrives (streaming tests). */
struct body_sink {
    struct buf *b;
    http_chunk_fn fn;
    void *user;
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    struct body_sink *s = user;

    if (buf_append(s->b, p, size * n) != 0)
        return 0;
    if (s->fn)
        s->fn(p, size * n, s->user);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    size_t len = size * n, i;
    int in_name = 1;

    for (i = 0; i < len; i++) {
        char c = p[i];
        if (c == ':')
            in_name = 0;
        if (in_name)
            c = (char)tolower((unsigned char)c);
        if (buf_append(b, &c, 1))
            return 0;
    }
    return len;
}

int http_request_stream(const char *method, const char *url, const char *body,
                        const char *const *headers, long timeout_s, http_chunk_fn fn, void *user,
                        struct http_result *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    struct buf b, h;
    struct body_sink sink = {&b, fn, user};
    int have_auth = 0;

    memset(out, 0, sizeof(*out));
    if (!c)
        return -1;
    buf_init(&b, HTTP_TEST_MAX_BODY);
    buf_init(&h, 1024 * 1024);
    for (; headers && *headers; headers++) {
        if (strncasecmp(*headers, "authorization:", 14) == 0)
            have_auth = 1;
        hl = curl_slist_append(hl, *headers);
    }
    if (!have_auth)
        hl = curl_slist_append(hl, "Authorization: Bearer test-key");
    if (body)
        hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    out->curl_rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->total_s);
    out->body = buf_take(&b, &out->body_len);
    out->headers = buf_take(&h, NULL);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return out->curl_rc == CURLE_OK ? 0 : -1;
}

int http_request(const char *method, const char *url, const char *body,
                 const char *const *headers, struct http_result *out)
{
    return http_request_stream(method, url, body, headers, 60, NULL, NULL, out);
}

char *http_header_in(const char *headers, const char *name)
{
    size_t n = strlen(name);
    const char *p = headers;

    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            const char *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            return strndup(v, (size_t)(end - v));
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

char *http_header(const struct http_result *r, const char *name)
{
    return http_header_in(r->headers, name);
}

json_t *http_json(const struct http_result *r)
{
    return r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

void http_result_free(struct http_result *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

json_t *assert_error_envelope(json_t *doc)
{
    json_t *e;

    ck_assert_msg(json_is_object(doc), "body is not a JSON object");
    e = json_object_get(doc, "error");
    ck_assert_msg(json_is_object(e), "no error object");
    ck_assert_msg(json_is_string(json_object_get(e, "message")), "error.message not a string");
    ck_assert_msg(json_is_string(json_object_get(e, "type")), "error.type not a string");
    ck_assert_msg(json_object_get(e, "param") != NULL, "error.param missing");
    ck_assert_msg(json_object_get(e, "code") != NULL, "error.code missing");
    return e;
}

json_t *http_call(const char *base, const char *method, const char *path, const char *body,
                  long *status)
{
    struct http_result r;
    char url[1024];
    json_t *doc;

    snprintf(url, sizeof(url), "%s%s", base, path);
    ck_assert_int_eq(http_request(method, url, body, NULL, &r), 0);
    if (status)
        *status = r.status;
    doc = http_json(&r);
    http_result_free(&r);
    return doc;
}

void assert_error_reply(json_t *doc, long status, long want, const char *code,
                        const char *param)
{
    json_t *e;

    ck_assert_msg(status == want, "status %ld, want %ld", status, want);
    e = assert_error_envelope(doc);
    if (code)
        ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    else
        ck_assert(json_is_null(json_object_get(e, "code")));
    if (param)
        ck_assert_str_eq(json_string_value(json_object_get(e, "param")), param);
    else
        ck_assert(json_is_null(json_object_get(e, "param")));
    json_decref(doc);
}

const char *srv_url(const char *path)
{
    static _Thread_local char url[1024];

    snprintf(url, sizeof(url), "%s%s", test_srv.base, path);
    return url;
}

json_t *srv_request(const char *method, const char *path, const char *body,
                    const char *const *headers, struct http_result *r)
{
    ck_assert_int_eq(http_request(method, srv_url(path), body, headers, r), 0);
    return http_json(r);
}

json_t *srv_call(const char *method, const char *path, const char *body, long *status)
{
    return http_call(test_srv.base, method, path, body, status);
}

const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *response_text(const json_t *resp)
{
    json_t *out = json_object_get(resp, "output");
    json_t *it = json_array_get(out, json_array_size(out) - 1);

    ck_assert_msg(json_is_object(it), "the response has no output");
    ck_assert_msg(jstr(it, "type") && strcmp(jstr(it, "type"), "message") == 0,
                  "the last output item is a %s, not a message",
                  jstr(it, "type") ? jstr(it, "type") : "(no type)");
    return jstr(json_array_get(json_object_get(it, "content"), 0), "text");
}

void assert_error_answer(json_t *doc, struct http_result *r, long want)
{
    ck_assert_msg(r->status == want, "status %ld, want %ld", r->status, want);
    assert_error_envelope(doc);
    json_decref(doc);
    http_result_free(r);
}

void srv_expect_error(const char *method, const char *path, const char *body, long want,
                      const char *code, const char *param)
{
    long st = 0;
    json_t *doc = srv_call(method, path, body, &st);

    assert_error_reply(doc, st, want, code, param);
}
