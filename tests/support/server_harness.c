/* server_harness: server-side unit-test bench (see server_harness.h). */
#include "server_harness.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "limits.h"
#include "redis_harness.h"
#include "redis_link.h"
#include "render_chat.h"
#include "render_events.h"
#include "render_transcript.h"
#include "router.h"
#include "test_support.h"

struct rm_server *harness_server(double speed, const char *fixtures_dir)
{
    struct rm_config cfg;
    struct mock_error err;
    struct rm_server *srv;

    server_config_defaults(&cfg);
    cfg.fixtures_dir = fixtures_dir ? fixtures_dir : RM_SOURCE_DIR "/fixtures";
    cfg.speed = speed;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_msg(srv != NULL, "server_new: %s", err.text);
    return srv;
}

struct rm_server *fake_server(void)
{
    struct rm_server *srv = calloc(1, sizeof(*srv));

    ck_assert_ptr_nonnull(srv);
    server_config_defaults(&srv->cfg);
    srv->id_seed = 0x5eed;
    atomic_init(&srv->id_counter, 0);
    atomic_init(&srv->stopping, 0);
    return srv;
}

json_t *harness_call(struct rm_server *srv, const char *method, const char *path,
                     const char *body, const char *auth, const char *fixture, const char *fault,
                     struct rm_reply *out)
{
    struct rm_request req;
    char *copy = strdup(path), *q = strchr(copy, '?');

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = copy;
    if (q) {
        /* "k=v&k2" as the HTTP glue gets it from MHD (already unescaped):
         * a key without '=' has a NULL value. */
        char *arg = q + 1;

        *q = '\0';
        while (*arg && req.nquery < RM_MAX_QUERY_ARGS) {
            char *next = arg + strcspn(arg, "&"), *eq;

            if (*next)
                *next++ = '\0';
            eq = strchr(arg, '=');
            if (eq)
                *eq = '\0';
            req.query[req.nquery].key = arg;
            req.query[req.nquery].value = eq ? eq + 1 : NULL;
            req.nquery++;
            arg = next;
        }
    }
    req.authorization = auth;
    req.fixture = fixture;
    req.fault = fault;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.from_loopback = 1; /* as from a local test: the admin API answers */
    router_handle(srv, &req, out);
    free(copy);
    return out->body ? json_loadb(out->body, out->body_len, 0, NULL) : NULL;
}

struct rm_server *bench_srv;

void harness_setup(void)
{
    bench_srv = harness_server(1.0, NULL);
}

void harness_teardown(void)
{
    server_free(bench_srv);
    bench_srv = NULL;
}

void harness_restart(double speed, const char *fixtures_dir)
{
    harness_teardown();
    bench_srv = harness_server(speed, fixtures_dir);
}

json_t *call(const char *method, const char *path, const char *body, struct rm_reply *out)
{
    return harness_call(bench_srv, method, path, body, "Bearer k", NULL, NULL, out);
}

json_t *call_auth(const char *method, const char *path, const char *body, const char *auth,
                  struct rm_reply *out)
{
    return harness_call(bench_srv, method, path, body, auth, NULL, NULL, out);
}

json_t *call_h(const char *method, const char *path, const char *body, const char *fixture,
               const char *fault, struct rm_reply *out)
{
    return harness_call(bench_srv, method, path, body, "Bearer k", fixture, fault, out);
}

json_t *expect_error(json_t *doc, const struct rm_reply *r, int status)
{
    ck_assert_msg(doc != NULL, "body is not JSON: %s", r->body ? r->body : "(none)");
    ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status, r->body);
    return assert_error_envelope(doc);
}

const char *pathf(const char *fmt, ...)
{
    static char buf[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

json_t *call_ok(const char *method, const char *path, const char *body)
{
    struct rm_reply r;
    json_t *doc = call(method, path, body, &r);

    ck_assert_msg(r.status == 200 && doc != NULL, "%s %s: %d %s", method, path, r.status,
                  r.body ? r.body : "(no body)");
    reply_release(&r);
    return doc;
}

void call_fails(const char *method, const char *path, const char *body, int status,
                const char *code, const char *param)
{
    struct rm_reply r;
    json_t *doc = call(method, path, body, &r), *e;

    e = expect_error(doc, &r, status);
    if (code)
        ck_assert_msg(json_is_string(json_object_get(e, "code")) &&
                          strcmp(json_string_value(json_object_get(e, "code")), code) == 0,
                      "%s %s: code, want %s: %s", method, path, code, r.body);
    else
        ck_assert_msg(json_is_null(json_object_get(e, "code")), "%s %s: code not null: %s",
                      method, path, r.body);
    if (param)
        ck_assert_msg(json_is_string(json_object_get(e, "param")) &&
                          strcmp(json_string_value(json_object_get(e, "param")), param) == 0,
                      "%s %s: param, want %s: %s", method, path, param, r.body);
    else
        ck_assert_msg(json_is_null(json_object_get(e, "param")), "%s %s: param not null: %s",
                      method, path, r.body);
    json_decref(doc);
    reply_release(&r);
}

const char *harness_header(const struct rm_reply *r, const char *name)
{
    unsigned i;

    for (i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

char *harness_reply_bytes(const struct rm_reply *r, size_t *len)
{
    struct stream *s;
    char *bytes;

    if (r->stream) /* framed already (a template's reply) */
        return stream_concat(r->stream, len);
    ck_assert_ptr_nonnull(r->events);
    s = stream_new_sse(r->events, 1.0, RM_MAX_STREAM_BYTES);
    ck_assert_ptr_nonnull(s);
    bytes = stream_concat(s, len);
    stream_free(s);
    return bytes;
}

json_t *jload(const char *text)
{
    char *copy = strdup(text), *p;
    json_error_t e;
    json_t *v;

    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    v = json_loads(copy, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "jload: %s: %s", e.text, copy);
    free(copy);
    return v;
}

int harness_is_id(const char *id, const char *prefix, size_t hex_len)
{
    size_t n = strlen(prefix), i;

    if (!id || strncmp(id, prefix, n) != 0 || strlen(id) != n + hex_len)
        return 0;
    for (i = n; id[i]; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return 0;
    return 1;
}

void load(struct fixture_set *set, const char *text)
{
    char *copy = strdup(text), *p;
    struct mock_error err;

    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    memset(set, 0, sizeof(*set));
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(set, copy, strlen(copy), "test.json", &err) == 0,
                  "fixture text rejected: %s:%d:%d: %s", err.file, err.line, err.column,
                  err.text);
    free(copy);
}

struct fixture_set *harness_set(const char *text)
{
    struct fixture_set *set = fixture_set_new();
    char *copy = strdup(text), *p;
    struct mock_error err;

    ck_assert_ptr_nonnull(set);
    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(set, copy, strlen(copy), "test.json", &err) == 0,
                  "fixture text rejected: %s:%d:%d: %s", err.file, err.line, err.column,
                  err.text);
    free(copy);
    return set;
}

struct fixture_set *harness_fixtures(struct rm_server *srv)
{
    struct fixture_set *set = server_fixtures(srv);

    fixture_set_unref(set); /* the server still holds one */
    return set;
}

const struct fixture *named(const struct fixture_set *set, const char *name)
{
    const struct fixture *fx = fixture_find(set, name);

    ck_assert_msg(fx != NULL, "no fixture %s", name);
    return fx;
}

struct fx_fault fault_of(const char *spec)
{
    struct fx_fault f;
    char why[160];

    ck_assert_msg(fault_parse_spec(spec, &f, why, sizeof(why)) == 0, "%s: %s", spec, why);
    return f;
}

#define HARNESS_FIXTURE_FILE "fixtures.json"

char *harness_fixture_dir(const char *text)
{
    char *dir = strdup("/tmp/rm-harness-XXXXXX"), path[256];
    const char *c;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, HARNESS_FIXTURE_FILE);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (c = text; *c; c++)
        fputc(*c == '\'' ? '"' : *c, f);
    ck_assert_int_eq(fclose(f), 0);
    return dir;
}

void harness_remove_fixture_dir(char *dir)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, HARNESS_FIXTURE_FILE);
    unlink(path);
    rmdir(dir);
    free(dir);
}

char *harness_long_name_fixture(size_t n)
{
    char *doc = malloc(n + 128);

    strcpy(doc, "{\"name\":\"");
    memset(doc + strlen(doc), 'n', n);
    doc[9 + n] = '\0';
    strcat(doc, "\",\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"hi\"}]}}");
    return doc;
}

static void ctx_for(struct render_ctx *rc, struct rm_server *srv, const struct fixture *fx,
                    json_t *req)
{
    memset(rc, 0, sizeof(*rc));
    rc->srv = srv;
    rc->fx = fx;
    rc->req = req;
    rc->input_tokens = 3;
}

/* Serialise r->ev with the SSE writer and parse the bytes. */
static void capture(struct rendered *r)
{
    ck_assert_ptr_nonnull(r->ev);
    r->s = stream_new_sse(r->ev, 1.0, RM_MAX_STREAM_BYTES);
    ck_assert_ptr_nonnull(r->s);
    r->bytes = stream_concat(r->s, &r->len);
    sse_capture_bytes(&r->cap, r->bytes, r->len);
}

void render_stream(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                   const struct fx_fault *fault, int queued)
{
    struct render_ctx rc;

    memset(r, 0, sizeof(*r));
    r->req = json_pack("{s:s, s:s, s:b}", "model", "gpt-4.1-mini", "input", "hi", "stream", 1);
    ctx_for(&rc, srv, fx, r->req);
    r->final = render_response(&rc);
    ck_assert_ptr_nonnull(r->final);
    r->ev = render_response_events(&rc, r->final, fault, queued);
    capture(r);
}

void render_stream_for(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                       const char *req_text, int queued)
{
    struct render_ctx rc;

    memset(r, 0, sizeof(*r));
    r->req = jload(req_text);
    ctx_for(&rc, srv, fx, r->req);
    rc.background = queued;
    r->final = render_response(&rc);
    ck_assert_ptr_nonnull(r->final);
    r->ev = render_response_events(&rc, r->final, NULL, queued);
    capture(r);
}

void render_chat_stream_of(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                           const struct fx_fault *fault, int include_usage)
{
    struct render_ctx rc;

    memset(r, 0, sizeof(*r));
    r->req = json_pack("{s:s, s:[{s:s, s:s}], s:b}", "model", "gpt-4.1-mini", "messages", "role",
                       "user", "content", "hi", "stream", 1);
    if (include_usage)
        json_object_set_new(r->req, "stream_options", json_pack("{s:b}", "include_usage", 1));
    ctx_for(&rc, srv, fx, r->req);
    r->final = render_chat(&rc);
    ck_assert_ptr_nonnull(r->final);
    r->ev = render_chat_events(&rc, r->final, fault);
    capture(r);
}

void render_transcript_of(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                          const struct fx_fault *fault)
{
    memset(r, 0, sizeof(*r));
    r->ev = render_transcript_events(srv, fx, fault);
    capture(r);
}

void rendered_release(struct rendered *r)
{
    json_decref(r->req);
    json_decref(r->final);
    event_list_unref(r->ev);
    stream_free(r->s);
    free(r->bytes);
    sse_capture_release(&r->cap);
    memset(r, 0, sizeof(*r));
}

const char *type_at(const struct rendered *r, size_t i)
{
    return json_string_value(json_object_get(r->cap.ev[i].json, "type"));
}

const char *types_of(const struct rendered *r)
{
    static char out[8192];
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < r->cap.n && n < sizeof(out) - 100; i++) {
        const char *t = r->cap.ev[i].json ? type_at(r, i) : "(malformed)";
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "", t ? t : "?");
    }
    return out;
}

/* ---- A private Redis ------------------------------------------------------ */

struct redis_link *harness_redis;
static struct test_redis harness_redis_server;

void harness_redis_setup(void)
{
    char err[256];

    if (!test_redis_available()) {
        fprintf(stderr, "redis-server not found (scripts/deps installs it): this case tests "
                        "the memory backend only\n");
        return;
    }
    test_redis_start(&harness_redis_server, 0);
    harness_redis = redis_link_new(harness_redis_server.url, NULL, NULL, err, sizeof(err));
    ck_assert_msg(harness_redis != NULL, "%s", err);
}

void harness_redis_teardown(void)
{
    redis_link_free(harness_redis);
    harness_redis = NULL;
    test_redis_kill(&harness_redis_server);
}
