/* Tests for the gateway flavours (server/envelope.c, request.c, the
 * handlers' mapping, render_chat.c's chunk extras, fixture.c's "flavor"
 * key, main.c's --flavor): with --flavor cometapi every error respmock
 * raises has CometAPI's shape and quotes the reply's request id, an unknown
 * model is 503 model_not_found, a missing required Chat field is 500
 * invalid_request, chat chunks carry "obfuscation" and chat usage
 * "latency_checkpoint"; a fixture's "flavor" shapes its own answers; the
 * default openai flavour changes nothing. Requests are routed without a
 * socket (server_harness.h). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "envelope.h"
#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"

#define SHIPPED RM_SOURCE_DIR "/fixtures"
#define CHAT_HI "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* A server with the shipped fixtures (or 'dir') and --flavor 'flavor'. */
static struct rm_server *flavored(enum rm_flavor flavor, const char *dir)
{
    struct rm_config cfg;
    struct mock_error err;
    struct rm_server *srv;

    server_config_defaults(&cfg);
    cfg.fixtures_dir = dir ? dir : SHIPPED;
    cfg.flavor = flavor;
    cfg.speed = 0;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_msg(srv != NULL, "server_new: %s", err.text);
    return srv;
}

static struct rm_server *comet, *plain;

static void setup_both(void)
{
    comet = flavored(RM_FLAVOR_COMETAPI, NULL);
    plain = flavored(RM_FLAVOR_OPENAI, NULL);
}

static void teardown_both(void)
{
    server_free(comet);
    server_free(plain);
    comet = plain = NULL;
}

/* Route one request with "Bearer k" (and x-respmock-fixture 'fixture'). */
static json_t *ask(struct rm_server *srv, const char *method, const char *path, const char *body,
                   const char *fixture, struct rm_reply *r)
{
    return harness_call(srv, method, path, body, "Bearer k", fixture, NULL, r);
}

/* The inner error of a CometAPI envelope answered with 'status': type
 * comet_api_error, a string message ending in " (request id: <the reply's
 * request id>)", a string code, and a param that is "" (or, on a 401,
 * absent). Borrowed from 'doc'. */
static json_t *expect_comet(json_t *doc, const struct rm_reply *r, int status)
{
    char suffix[128];
    json_t *e;
    const char *msg;
    size_t n, k;

    ck_assert_msg(doc != NULL, "body is not JSON: %s", r->body ? r->body : "(none)");
    ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status, r->body);
    e = json_object_get(doc, "error");
    ck_assert_msg(json_is_object(e), "no error object: %s", r->body);
    ck_assert_str_eq(json_util_str(e, "type"), "comet_api_error");
    ck_assert_msg(json_is_string(json_object_get(e, "code")), "code not a string: %s", r->body);
    if (status == 401)
        ck_assert_msg(!json_object_get(e, "param"), "a 401 has no param: %s", r->body);
    else
        ck_assert_str_eq(json_util_str(e, "param"), "");
    ck_assert(harness_is_id(r->request_id, "req_", 32));
    snprintf(suffix, sizeof(suffix), " (request id: %s)", r->request_id);
    msg = json_util_str(e, "message");
    ck_assert_ptr_nonnull(msg);
    n = strlen(msg);
    k = strlen(suffix);
    ck_assert_msg(n > k && strcmp(msg + n - k, suffix) == 0, "message '%s' does not end in '%s'",
                  msg, suffix);
    ck_assert_uint_eq(json_object_size(e), status == 401 ? 3 : 4);
    return e;
}

/* ---- The envelope, pure -------------------------------------------------- */

START_TEST(openai_flavor_is_the_plain_envelope)
{
    struct api_error errs[3];
    size_t i;

    api_error_invalid(&errs[0], "invalid_value", "temperature", "Too hot.");
    api_error_set(&errs[1], 401, RM_ERRTYPE_INVALID_REQUEST, NULL, NULL, "No key.");
    api_error_server(&errs[2], NULL, "Boom.");
    for (i = 0; i < 3; i++) {
        char *a = envelope_dumps(&errs[i]);
        json_t *o = envelope_build_flavor(&errs[i], RM_FLAVOR_OPENAI, "req_1");
        json_t *u = envelope_build_flavor(&errs[i], RM_FLAVOR_UNSET, "req_1");
        char *b = json_util_dumps(o), *c = json_util_dumps(u);

        ck_assert_str_eq(a, b);
        ck_assert_str_eq(a, c);
        ck_assert_ptr_null(strstr(b, "req_1"));
        free(a);
        free(b);
        free(c);
        json_decref(o);
        json_decref(u);
    }
}
END_TEST

START_TEST(cometapi_envelope_rules)
{
    struct api_error err;
    json_t *doc, *e;

    /* code kept, param emptied, the request id quoted at the end */
    api_error_invalid(&err, "invalid_value", "temperature", "Too hot.");
    doc = envelope_build_flavor(&err, RM_FLAVOR_COMETAPI, "req_abc");
    e = json_object_get(doc, "error");
    ck_assert_str_eq(json_util_str(e, "message"), "Too hot. (request id: req_abc)");
    ck_assert_str_eq(json_util_str(e, "type"), "comet_api_error");
    ck_assert_str_eq(json_util_str(e, "param"), "");
    ck_assert_str_eq(json_util_str(e, "code"), "invalid_value");
    json_decref(doc);
    /* a null code becomes ""; without a request id the message is as is */
    api_error_server(&err, NULL, "Boom.");
    doc = envelope_build_flavor(&err, RM_FLAVOR_COMETAPI, NULL);
    e = json_object_get(doc, "error");
    ck_assert_str_eq(json_util_str(e, "code"), "");
    ck_assert_str_eq(json_util_str(e, "message"), "Boom.");
    json_decref(doc);
    /* the token check (401): no param at all, code "" */
    api_error_set(&err, 401, RM_ERRTYPE_INVALID_REQUEST, "invalid_api_key", NULL, "Bad key.");
    doc = envelope_build_flavor(&err, RM_FLAVOR_COMETAPI, "req_x");
    e = json_object_get(doc, "error");
    ck_assert_ptr_null(json_object_get(e, "param"));
    ck_assert_str_eq(json_util_str(e, "code"), "");
    ck_assert_str_eq(json_util_str(e, "message"), "Bad key. (request id: req_x)");
    json_decref(doc);
    /* invalid UTF-8 in a quoted message still gives an envelope */
    api_error_invalid(&err, NULL, NULL, "bad \xff byte");
    doc = envelope_build_flavor(&err, RM_FLAVOR_COMETAPI, "req_y");
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_util_str(json_object_get(doc, "error"), "message"),
                     "bad \xef\xbf\xbd byte (request id: req_y)");
    json_decref(doc);
}
END_TEST

START_TEST(flavor_names_and_mappings)
{
    struct api_error err;

    ck_assert_int_eq(envelope_flavor_parse("openai"), RM_FLAVOR_OPENAI);
    ck_assert_int_eq(envelope_flavor_parse("cometapi"), RM_FLAVOR_COMETAPI);
    ck_assert_int_eq(envelope_flavor_parse("CometAPI"), RM_FLAVOR_UNSET);
    ck_assert_int_eq(envelope_flavor_parse(""), RM_FLAVOR_UNSET);
    ck_assert_int_eq(envelope_flavor_parse(NULL), RM_FLAVOR_UNSET);
    ck_assert_str_eq(envelope_flavor_name(RM_FLAVOR_COMETAPI), "cometapi");
    ck_assert_str_eq(envelope_flavor_name(RM_FLAVOR_OPENAI), "openai");
    /* a missing Chat field: 500 invalid_request with cometapi only */
    api_error_invalid(&err, "missing_required_parameter", "messages", "Missing.");
    api_error_chat_validation(&err, RM_FLAVOR_OPENAI);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "missing_required_parameter");
    api_error_chat_validation(&err, RM_FLAVOR_COMETAPI);
    ck_assert_int_eq(err.status, 500);
    ck_assert_str_eq(err.code, "invalid_request");
    api_error_invalid(&err, "invalid_value", "temperature", "Too hot.");
    api_error_chat_validation(&err, RM_FLAVOR_COMETAPI);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "invalid_value");
    api_error_model_unavailable(&err, "m");
    ck_assert_int_eq(err.status, 503);
    ck_assert_str_eq(err.code, "model_not_found");
}
END_TEST

/* ---- --flavor cometapi, routed ------------------------------------------ */

/* Bad requests answered by respmock itself: with cometapi the same status
 * and code as with openai (null code: ""), the CometAPI shape, the
 * message the openai one plus the request id. */
START_TEST(own_errors_take_the_comet_shape)
{
    static const struct {
        const char *method, *path, *body;
    } bad[] = {
        {"POST", "/v1/responses", "{\"model\":"},
        {"POST", "/v1/responses", "[1]"},
        {"POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\"}"},
        {"POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"temperature\":5}"},
        {"POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"frob\":1}"},
        {"POST", "/v1/responses",
         "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"previous_response_id\":\"resp_nope\"}"},
        {"GET", "/v1/responses/resp_nope", NULL},
        {"GET", "/v1/models/no-such-model", NULL},
        {"GET", "/v1/no/such/route", NULL},
        {"POST", "/v1/chat/completions", CHAT_HI ",\"temperature\":5}"},
        {"POST", "/v1/conversations", "{\"items\":7}"},
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rm_reply rc, ro;
        json_t *dc = ask(comet, bad[i].method, bad[i].path, bad[i].body, NULL, &rc);
        json_t *dof = ask(plain, bad[i].method, bad[i].path, bad[i].body, NULL, &ro);
        json_t *ec, *eo = expect_error(dof, &ro, ro.status);
        const char *code = json_util_str(eo, "code");
        char want[1024];

        ck_assert_msg(ro.status >= 400, "%zu: openai answered %d", i, ro.status);
        ec = expect_comet(dc, &rc, ro.status);
        ck_assert_str_eq(json_util_str(ec, "code"), code ? code : "");
        snprintf(want, sizeof(want), "%s (request id: %s)", json_util_str(eo, "message"),
                 rc.request_id);
        ck_assert_str_eq(json_util_str(ec, "message"), want);
        ck_assert_str_eq(json_util_str(eo, "type"), "invalid_request_error");
        json_decref(dc);
        json_decref(dof);
        reply_release(&rc);
        reply_release(&ro);
    }
}
END_TEST

START_TEST(auth_errors_have_no_param)
{
    static const char *const auths[] = {NULL, "Basic x", "Bearer sk-invalid-0000000000"};
    size_t i;

    for (i = 0; i < 3; i++) {
        struct rm_reply r;
        json_t *doc = harness_call(comet, "POST", "/v1/responses",
                                   "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", auths[i], NULL,
                                   NULL, &r);

        ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 401), "code"), "");
        json_decref(doc);
        reply_release(&r);
    }
}
END_TEST

START_TEST(unknown_model_is_503_model_not_found)
{
    struct rm_reply r;
    json_t *doc, *e;

    /* Responses and Chat: a model no fixture names */
    doc = ask(comet, "POST", "/v1/responses", "{\"model\":\"no-such-model\",\"input\":\"hi\"}",
              NULL, &r);
    e = expect_comet(doc, &r, 503);
    ck_assert_str_eq(json_util_str(e, "code"), "model_not_found");
    ck_assert_str_eq(harness_header(&r, "x-should-retry"), "false");
    json_decref(doc);
    reply_release(&r);
    doc = ask(comet, "POST", "/v1/chat/completions",
              "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
              NULL, &r);
    ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 503), "code"), "model_not_found");
    json_decref(doc);
    reply_release(&r);
    /* the same request with openai: the default fixture answers */
    doc = ask(plain, "POST", "/v1/responses", "{\"model\":\"no-such-model\",\"input\":\"hi\"}",
              NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    /* a model GET /v1/models lists answers */
    doc = ask(comet, "POST", "/v1/responses", "{\"model\":\"gpt-5-mini\",\"input\":\"hi\"}", NULL,
              &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    json_decref(doc);
    reply_release(&r);
    /* a model a fixture's match.model names: that fixture answers, in the
     * CometAPI shape */
    doc = ask(comet, "POST", "/v1/responses", "{\"model\":\"respmock-error-429\",\"input\":\"hi\"}",
              NULL, &r);
    e = expect_comet(doc, &r, 429);
    ck_assert_str_eq(json_util_str(e, "code"), "rate_limit_exceeded");
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "Rate limit reached"));
    ck_assert_str_eq(harness_header(&r, "retry-after"), "1");
    json_decref(doc);
    reply_release(&r);
    /* a request that names its fixture is answered by it */
    doc = ask(comet, "POST", "/v1/responses", "{\"model\":\"no-such-model\",\"input\":\"hi\"}",
              "default", &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    json_decref(doc);
    reply_release(&r);
    /* no model at all is a validation error, not a routing one */
    doc = ask(comet, "POST", "/v1/responses", "{\"input\":\"hi\"}", NULL, &r);
    ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 400), "code"),
                     "missing_required_parameter");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(missing_chat_field_is_500_invalid_request)
{
    static const char *const bodies[] = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"model\":\"gpt-4.1-mini\"}",
        "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\"}]}",
    };
    struct rm_reply r;
    json_t *doc;
    size_t i;

    for (i = 0; i < 3; i++) {
        doc = ask(comet, "POST", "/v1/chat/completions", bodies[i], NULL, &r);
        ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 500), "code"), "invalid_request");
        ck_assert_str_eq(harness_header(&r, "x-should-retry"), "false");
        json_decref(doc);
        reply_release(&r);
        /* openai: 400 missing_required_parameter */
        doc = ask(plain, "POST", "/v1/chat/completions", bodies[i], NULL, &r);
        ck_assert_str_eq(json_util_str(expect_error(doc, &r, 400), "code"),
                         "missing_required_parameter");
        json_decref(doc);
        reply_release(&r);
    }
    /* Responses keeps 400 for its missing input */
    doc = ask(comet, "POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\"}", NULL, &r);
    ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 400), "code"),
                     "missing_required_parameter");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* The data frames of a chat stream, parsed ("[DONE]" as the JSON string
 * "[DONE]"), as a new array. */
static json_t *chat_frames(const struct rm_reply *r)
{
    size_t len;
    char *bytes = harness_reply_bytes(r, &len), *p = bytes;
    json_t *frames = json_array();

    ck_assert_ptr_nonnull(bytes);
    while ((p = strstr(p, "data: ")) != NULL) {
        char *end = strstr(p, "\n\n");

        ck_assert_ptr_nonnull(end);
        *end = '\0';
        p += 6;
        if (strcmp(p, "[DONE]") == 0) {
            json_array_append_new(frames, json_string("[DONE]"));
        } else {
            json_t *f = json_loads(p, 0, NULL);
            ck_assert_msg(f != NULL, "frame is not JSON: %s", p);
            json_array_append_new(frames, f);
        }
        p = end + 2;
    }
    free(bytes);
    return frames;
}

/* Every chunk of a chat stream from 'srv' carries an "obfuscation" string
 * ('want'), or none does; the stream ends with [DONE]; the usage chunk's
 * usage has latency_checkpoint exactly when 'want'. */
static void check_chat_stream(struct rm_server *srv, const char *model, int want)
{
    struct rm_reply r;
    char body[256];
    json_t *frames, *f, *usage = NULL;
    size_t i, n;

    snprintf(body, sizeof(body),
             "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
             "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
             model);
    json_decref(ask(srv, "POST", "/v1/chat/completions", body, NULL, &r));
    ck_assert_msg(r.status == 200 && r.events, "%d %s", r.status, r.body ? r.body : "");
    frames = chat_frames(&r);
    n = json_array_size(frames);
    ck_assert_uint_ge(n, 4);
    ck_assert_str_eq(json_string_value(json_array_get(frames, n - 1)), "[DONE]");
    json_array_foreach(frames, i, f) {
        if (i == n - 1)
            break;
        ck_assert_msg(json_is_object(f), "frame %zu", i);
        if (want)
            ck_assert_msg(json_is_string(json_object_get(f, "obfuscation")) &&
                              json_string_length(json_object_get(f, "obfuscation")) > 0,
                          "frame %zu has no obfuscation", i);
        else
            ck_assert_ptr_null(json_object_get(f, "obfuscation"));
        if (json_array_size(json_object_get(f, "choices")) == 0)
            usage = json_object_get(f, "usage");
    }
    ck_assert_ptr_nonnull(usage);
    ck_assert(json_is_integer(json_object_get(usage, "total_tokens")));
    ck_assert_int_eq(json_is_object(json_object_get(usage, "latency_checkpoint")), want);
    json_decref(frames);
    reply_release(&r);
}

START_TEST(chat_chunks_and_usage_carry_comet_extras)
{
    struct rm_reply r;
    json_t *doc;

    check_chat_stream(comet, "gpt-4.1-mini", 1);
    check_chat_stream(plain, "gpt-4.1-mini", 0);
    doc = ask(comet, "POST", "/v1/chat/completions", CHAT_HI "}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_object(json_object_get(json_object_get(doc, "usage"),
                                             "latency_checkpoint")));
    json_decref(doc);
    reply_release(&r);
    doc = ask(plain, "POST", "/v1/chat/completions", CHAT_HI "}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(json_object_get(json_object_get(doc, "usage"), "latency_checkpoint"));
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(admin_api_keeps_the_openai_shape)
{
    struct rm_reply r;
    json_t *doc = ask(comet, "DELETE", "/__admin/fixtures/no-such-fixture", NULL, NULL, &r);
    json_t *e = expect_error(doc, &r, r.status);

    ck_assert_int_ge(r.status, 400);
    ck_assert_str_eq(json_util_str(e, "type"), "invalid_request_error");
    ck_assert_ptr_null(strstr(json_util_str(e, "message"), "request id"));
    json_decref(doc);
    reply_release(&r);
}
END_TEST

/* ---- A fixture's own "flavor" -------------------------------------------- */

#define FLAVOR_FIXTURES                                                                          \
    "[{'name':'comet-429','flavor':'cometapi','match':{'model':'m-429'},"                        \
    "  'error':{'status':429,'type':'requests','code':'rate_limit_exceeded',"                    \
    "           'message':'Slow down.','param':'model'}},"                                        \
    " {'name':'comet-nocode','flavor':'cometapi','match':{'model':'m-500'},"                     \
    "  'error':{'status':500,'message':'Boom.'}},"                                                \
    " {'name':'plain-400','match':{'model':'m-400'},"                                            \
    "  'error':{'status':400,'code':'x','message':'Plain.','param':'input'}},"                   \
    " {'name':'openai-400','flavor':'openai','match':{'model':'m-openai'},"                      \
    "  'error':{'status':400,'code':'y','message':'Open.'}},"                                    \
    " {'name':'verbatim','flavor':'cometapi','match':{'model':'m-body'},"                        \
    "  'error':{'status':400,'body':{'error':{'message':'As is.','type':'custom'}}}},"          \
    " {'name':'seq','flavor':'cometapi','match':{'model':'m-seq'},'sequence':["                  \
    "   {'error':{'status':429,'message':'First.'}},"                                             \
    "   {'flavor':'openai','error':{'status':429,'message':'Second.'}}]},"                       \
    " {'name':'comet-chat','flavor':'cometapi','match':{'model':'m-chat'},"                      \
    "  'response':{'output':[{'type':'message','text':'Hi there'}]}},"                          \
    " {'name':'default','models':['m-ok'],"                                                      \
    "  'response':{'output':[{'type':'message','text':'ok'}]}}]"

static json_t *ask_model(struct rm_server *srv, const char *model, struct rm_reply *r)
{
    char body[128];

    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hi\"}", model);
    return ask(srv, "POST", "/v1/responses", body, NULL, r);
}

START_TEST(fixture_flavor_shapes_its_answers)
{
    char *dir = harness_fixture_dir(FLAVOR_FIXTURES);
    struct rm_server *srv = flavored(RM_FLAVOR_OPENAI, dir);
    struct rm_reply r;
    json_t *doc, *e;

    /* a cometapi error fixture on an openai server */
    doc = ask_model(srv, "m-429", &r);
    e = expect_comet(doc, &r, 429);
    ck_assert_str_eq(json_util_str(e, "code"), "rate_limit_exceeded");
    ck_assert(strncmp(json_util_str(e, "message"), "Slow down. (request id: req_", 28) == 0);
    ck_assert_str_eq(harness_header(&r, "x-should-retry"), "false");
    json_decref(doc);
    reply_release(&r);
    doc = ask_model(srv, "m-500", &r);
    ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 500), "code"), "");
    json_decref(doc);
    reply_release(&r);
    /* its neighbours keep the server's shape */
    doc = ask_model(srv, "m-400", &r);
    e = expect_error(doc, &r, 400);
    ck_assert_str_eq(json_util_str(e, "param"), "input");
    ck_assert_str_eq(json_util_str(e, "message"), "Plain.");
    json_decref(doc);
    reply_release(&r);
    /* "body" is sent verbatim whatever the flavour */
    doc = ask_model(srv, "m-body", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.body, "{\"error\":{\"message\":\"As is.\",\"type\":\"custom\"}}");
    json_decref(doc);
    reply_release(&r);
    /* a sequence step takes its fixture's flavour unless it has its own */
    doc = ask_model(srv, "m-seq", &r);
    expect_comet(doc, &r, 429);
    json_decref(doc);
    reply_release(&r);
    doc = ask_model(srv, "m-seq", &r);
    e = expect_error(doc, &r, 429);
    ck_assert_str_eq(json_util_str(e, "message"), "Second.");
    json_decref(doc);
    reply_release(&r);
    /* errors found before a fixture answers keep the server's shape */
    doc = ask(srv, "POST", "/v1/responses", "{\"model\":\"m-429\",\"input\":\"hi\",\"top_p\":9}",
              NULL, &r);
    ck_assert_str_eq(json_util_str(expect_error(doc, &r, 400), "type"), "invalid_request_error");
    json_decref(doc);
    reply_release(&r);
    /* a cometapi response fixture: chat chunk extras for it alone */
    check_chat_stream(srv, "m-chat", 1);
    check_chat_stream(srv, "m-ok", 0);
    server_free(srv);

    /* on a cometapi server, an openai fixture answers with its own body */
    srv = flavored(RM_FLAVOR_COMETAPI, dir);
    doc = ask_model(srv, "m-openai", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.body, named(harness_fixtures(srv), "openai-400")->err_body);
    json_decref(doc);
    reply_release(&r);
    doc = ask_model(srv, "m-400", &r); /* a fixture without "flavor": the server's */
    ck_assert_str_eq(json_util_str(expect_comet(doc, &r, 400), "code"), "x");
    json_decref(doc);
    reply_release(&r);
    server_free(srv);
    harness_remove_fixture_dir(dir);
}
END_TEST

START_TEST(flavor_key_is_checked)
{
    static const char *const bad[] = {
        "{\"name\":\"a\",\"flavor\":\"comet\",\"error\":{\"status\":500}}",
        "{\"name\":\"a\",\"flavor\":1,\"error\":{\"status\":500}}",
        "{\"name\":\"a\",\"sequence\":[{\"flavor\":\"x\",\"error\":{\"status\":500}}]}",
    };
    struct fixture_set set;
    struct mock_error err;
    size_t i;

    for (i = 0; i < 3; i++) {
        memset(&set, 0, sizeof(set));
        mock_error_clear(&err);
        ck_assert_int_ne(fixture_set_load_text(&set, bad[i], strlen(bad[i]), "f.json", &err), 0);
        ck_assert_uint_eq(set.n, 0);
        fixture_set_release(&set);
        ck_assert_msg(strstr(err.text, "flavor: expected \"openai\" or \"cometapi\"") != NULL,
                      "%zu: %s", i, err.text);
        ck_assert_int_eq(err.line, 1);
    }
    load(&set, "{'name':'a','flavor':'openai','error':{'status':500}}");
    ck_assert_int_eq(named(&set, "a")->flavor, RM_FLAVOR_OPENAI);
    fixture_set_release(&set);
    load(&set, "{'name':'a','error':{'status':500}}");
    ck_assert_int_eq(named(&set, "a")->flavor, RM_FLAVOR_UNSET);
    fixture_set_release(&set);
}
END_TEST

/* ---- The command line ----------------------------------------------------- */

START_TEST(flavor_flag)
{
    char *out = NULL;

    ck_assert_int_eq(test_run_respmock((const char *const[]){"--flavor", "cometapi", "--check",
                                                             "--fixtures", SHIPPED, NULL},
                                       &out),
                     0);
    free(out);
    ck_assert_int_eq(test_run_respmock((const char *const[]){"--flavor", "openai", "--check",
                                                             "--fixtures", SHIPPED, NULL},
                                       &out),
                     0);
    free(out);
    ck_assert_int_eq(test_run_respmock((const char *const[]){"--flavor", "comet", "--check",
                                                             NULL},
                                       &out),
                     2);
    ck_assert_msg(strstr(out, "bad value 'comet' for --flavor") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(test_run_respmock((const char *const[]){"--flavor", NULL}, &out), 2);
    free(out);
    ck_assert_int_eq(test_run_respmock((const char *const[]){"--help", NULL}, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "--flavor F"));
    free(out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("flavor");

    add_tcase(s, tcase_create("envelope"), 10, NULL, NULL, openai_flavor_is_the_plain_envelope,
              cometapi_envelope_rules, flavor_names_and_mappings);
    add_tcase(s, tcase_create("cometapi"), 30, setup_both, teardown_both,
              own_errors_take_the_comet_shape, auth_errors_have_no_param,
              unknown_model_is_503_model_not_found, missing_chat_field_is_500_invalid_request,
              chat_chunks_and_usage_carry_comet_extras, admin_api_keeps_the_openai_shape);
    add_tcase(s, tcase_create("fixture_flavor"), 30, NULL, NULL,
              fixture_flavor_shapes_its_answers, flavor_key_is_checked);
    add_tcase(s, tcase_create("flag"), 30, NULL, NULL, flavor_flag);
    return s;
}
