/* server_harness: the server side's unit-test bench: a respmock context
 * without a socket, requests routed as plain function calls, fixtures from
 * JSON text, and renderings captured as events, bytes and parsed SSE.
 * Linked only into tests/server (it needs the server library). */
#ifndef RM_SERVER_HARNESS_H
#define RM_SERVER_HARNESS_H

#include <jansson.h>
#include <stddef.h>

#include "events.h"
#include "fault.h"
#include "fixture.h"
#include "request.h"
#include "server.h"
#include "stream.h"
#include "stream_assert.h"

/* A server on 'fixtures_dir' (NULL: the shipped fixtures/) with 'speed';
 * asserts it starts. Free with server_free. */
struct redis_link;

struct rm_server *harness_server(double speed, const char *fixtures_dir);

/* A context with defaults and no fixtures, for rendering alone (fixed id
 * seed). free() it. */
struct rm_server *fake_server(void);

/* ---- A server for checked fixtures ------------------------------------ */

/* The server of the running test: harness_setup() starts it on the shipped
 * fixtures at --speed 1, harness_teardown() frees it (use them as a checked
 * fixture); harness_restart() swaps it for one with another speed and
 * fixtures directory. */
extern struct rm_server *bench_srv;
void harness_setup(void);
void harness_teardown(void);
void harness_restart(double speed, const char *fixtures_dir);

/* Route a request to bench_srv with "Bearer k" (call), with 'auth' as the
 * Authorization header (call_auth), or with x-respmock-fixture and
 * x-respmock-fault values (call_h). Return the body as JSON (new) or NULL. */
json_t *call(const char *method, const char *path, const char *body, struct rm_reply *out);
json_t *call_auth(const char *method, const char *path, const char *body, const char *auth,
                  struct rm_reply *out);
json_t *call_h(const char *method, const char *path, const char *body, const char *fixture,
               const char *fault, struct rm_reply *out);

/* printf into a buffer of the harness that the next call overwrites: a
 * path for one call, e.g. call_ok("GET", pathf("/v1/responses/%s", id), NULL). */
const char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* call() that must answer 200 with a JSON body: returns the body (new
 * reference); the reply is released. */
json_t *call_ok(const char *method, const char *path, const char *body);

/* call() that must answer 'status' with an error envelope whose code and
 * param are 'code' and 'param' (NULL: JSON null); the reply is released. */
void call_fails(const char *method, const char *path, const char *body, int status,
                const char *code, const char *param);

/* The reply is 'status' with a parseable four-key envelope; returns the
 * inner error (borrowed from 'doc'). */
json_t *expect_error(json_t *doc, const struct rm_reply *r, int status);

/* ---- Plain calls ------------------------------------------------------- */

/* Route one request (no socket) and fill 'out'; 'auth', 'fixture' and
 * 'fault' are header values or NULL. A "?k=v&k2=v2" after the path becomes
 * the query arguments (taken as given, not unescaped; "k" alone has a NULL
 * value), as for call(), call_auth() and call_h(). Returns the body parsed
 * as JSON (new reference) or NULL (no body, or not JSON). */
json_t *harness_call(struct rm_server *srv, const char *method, const char *path,
                     const char *body, const char *auth, const char *fixture, const char *fault,
                     struct rm_reply *out);

/* Value of reply header 'name' (any case), or NULL. Borrowed. */
const char *harness_header(const struct rm_reply *r, const char *name);

/* The SSE bytes of a streamed reply (new allocation, '*len' set), as the
 * HTTP glue would send them. */
char *harness_reply_bytes(const struct rm_reply *r, size_t *len);

/* A JSON value from text written with ' for " (asserts it parses). New
 * reference. */
json_t *jload(const char *text);

/* True when 'id' is 'prefix' followed by exactly 'hex_len' lower-case hex
 * digits (the form server_new_id writes). */
int harness_is_id(const char *id, const char *prefix, size_t hex_len);

/* Fixtures from JSON text written with ' for " (asserts they load). */
void load(struct fixture_set *set, const char *text);

/* A set (fixture_set_new, release with fixture_set_unref) of the fixtures
 * in JSON text written with ' for " (asserts they load). */
struct fixture_set *harness_set(const char *text);

/* The set in force in 'srv', borrowed for the test (the server keeps a
 * reference while it lives). */
struct fixture_set *harness_fixtures(struct rm_server *srv);

/* The fixture named 'name' (asserts it exists). */
const struct fixture *named(const struct fixture_set *set, const char *name);

/* A fault from an x-respmock-fault spec (asserts it parses). */
struct fx_fault fault_of(const char *spec);

/* A new directory under /tmp holding one fixture file made of 'text' (' for
 * ", as load() takes it). Returns its path (new allocation); pass it to
 * harness_restart() and finally to harness_remove_fixture_dir(). */
char *harness_fixture_dir(const char *text);

/* Remove what harness_fixture_dir() made and free 'dir'. */
void harness_remove_fixture_dir(char *dir);

/* A fixture document whose name is 'n' bytes of 'n' (new allocation). */
char *harness_long_name_fixture(size_t n);

/* One rendering: the final object, its events, their bytes and the parsed
 * events. */
struct rendered {
    json_t *req;
    json_t *final;
    struct event_list *ev;
    struct stream *s;      /* the SSE writer's output for 'ev' */
    char *bytes;
    size_t len;
    struct sse_capture cap;
};

/* Render fixture 'fx' as a Responses stream for a small request. */
void render_stream(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                   const struct fx_fault *fault, int queued);

/* render_stream for the request 'req_text' (JSON, ' for "), no fault;
 * 'queued' renders a background stream. */
void render_stream_for(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                       const char *req_text, int queued);

/* Render 'fx' as a Chat Completions stream ('include_usage' as asked). */
void render_chat_stream_of(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                           const struct fx_fault *fault, int include_usage);

/* Render transcript 'fx'. */
void render_transcript_of(struct rendered *r, struct rm_server *srv, const struct fixture *fx,
                          const struct fx_fault *fault);

void rendered_release(struct rendered *r);

/* JSON type of parsed event 'i' (NULL when it is not JSON). */
const char *type_at(const struct rendered *r, size_t i);

/* The event types, space-separated ("(malformed)" for non-JSON), in a
 * static buffer. */
const char *types_of(const struct rendered *r);

/* Fixture texts (' for ") shared by the render and fault tests. */

/* One fixture per output item kind. */
#define KINDS_FIXTURES                                                                           \
    "[{'name':'msg','response':{'output':[{'type':'message','text':'Hello there world'}]}},"    \
    " {'name':'fn','response':{'output':[{'type':'function_call','name':'f',"                   \
    "   'arguments':{'a':1}}]},'stream':{'chunk':'chars','chunk_size':4}},"                      \
    " {'name':'refuse','response':{'output':[{'type':'refusal','text':'No way'}]}},"            \
    " {'name':'think','response':{'output':[{'type':'reasoning','text':'Let me see'},"          \
    "   {'type':'message','text':'Done'}]}},"                                                    \
    " {'name':'cut','response':{'status':'incomplete','output':[{'type':'message',"            \
    "   'text':'Once upon'}]}},"                                                                 \
    " {'name':'broken','response':{'status':'failed','output':[]}},"                            \
    " {'name':'raw','response':{'output':[{'type':'raw','raw':{'type':'web_search_call',"        \
    "   'status':'completed','action':{'type':'search','query':'x'}}},"                         \
    "   {'type':'message','text':'Found'}]}},"                                                   \
    " {'name':'two','response':{'output':[{'type':'function_call','name':'a'},"                 \
    "   {'type':'function_call','name':'b','arguments':'{}'}]}}]"

/* 'plain' and fixtures with their own stream fault. */
#define FAULT_FIXTURES                                                                           \
    "[{'name':'plain','response':{'output':[{'type':'message','text':'a b c d e f'}]}},"        \
    " {'name':'fx-drop','response':{'output':[{'type':'message','text':'a b c'}]},"              \
    "  'stream':{'fault':{'kind':'drop','after_events':3}}},"                                     \
    " {'name':'fx-error','response':{'output':[{'type':'message','text':'a b c'}]},"             \
    "  'stream':{'fault':{'kind':'error','after_events':4,'code':'boom','message':'Bad.'}}},"     \
    " {'name':'fx-body','response':{'output':[{'type':'message','text':'a b c'}]},"              \
    "  'stream':{'fault':{'kind':'malformed_body'}}}]"

/* The Redis backend's unit tests: a redis-server of the test's own and a
 * link to it, in harness_redis (NULL: redis-server is not there, said on
 * stderr, and the test runs against memory). A checked fixture pair. */
extern struct redis_link *harness_redis;
void harness_redis_setup(void);
void harness_redis_teardown(void);

#endif
