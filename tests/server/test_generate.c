/* Unit tests for server/generate.c: choosing the fixture (forced by name,
 * unknown name, nothing matching, first match wins), starting the reply
 * (headers, latency from the fixture or a latency fault, an error
 * fixture's whole answer), the fault header, and rendering Responses and
 * Chat answers from response and transcript fixtures, with and without a
 * stream. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "json_util.h"
#include "router.h"
#include "server_harness.h"
#include "stream_assert.h"
#include "test_support.h"
#include "generate.h"

#define GEN_FIXTURES                                                                             \
    "[{'name':'teapot','match':{'model':'tea*'},"                                               \
    "  'error':{'status':418,'code':'teapot','message':'I am a teapot.'},"                      \
    "  'headers':{'x-kind':'error'},'latency_ms':40},"                                          \
    " {'name':'first','match':{'model':'gpt-*'},'headers':{'x-one':'1','x-two':'2'},"          \
    "  'latency_ms':120,'response':{'output':[{'type':'message','text':'one two three'}]}},"    \
    " {'name':'second','match':{'model':'gpt-4*'},"                                             \
    "  'response':{'output':[{'type':'message','text':'second'}]}},"                            \
    " {'name':'tools','match':{'tools':true},"                                                  \
    "  'response':{'output':[{'type':'function_call','name':'f','arguments':{}}]}},"            \
    " {'name':'rec','match':{'model':'rec'},'transcript':{'events':["                          \
    "  {'event':'response.created','data':{'type':'response.created','sequence_number':0,"     \
    "   'response':{'id':'resp_rec','object':'response','status':'in_progress','output':[]}}}," \
    "  {'event':'response.completed','data':{'type':'response.completed','sequence_number':1,"  \
    "   'response':{'id':'resp_rec','object':'response','status':'completed','output':[]}}}]}}," \
    " {'name':'noresp','match':{'model':'noresp'},'transcript':{'events':["                    \
    "  {'data':{'object':'chat.completion.chunk','choices':[]}},{'data':'[DONE]'}]}}]"

static struct rm_server *srv;
static struct fixture_set *set;

static void gen_setup(void)
{
    srv = fake_server();
    set = harness_set(GEN_FIXTURES);
}

static void gen_teardown(void)
{
    fixture_set_unref(set);
    free(srv);
    srv = NULL;
}

/* generate_pick for a request forcing 'forced' (NULL: none) over 'set'. */
static const struct fixture *pick(const char *forced, struct match_facts *f,
                                  struct api_error *err)
{
    struct rm_request req;
    struct rm_reply out;
    const struct fixture *fx;

    memset(&req, 0, sizeof(req));
    memset(&out, 0, sizeof(out));
    req.fixture = forced;
    req.fixtures = set;
    fx = generate_pick(srv, &req, f, &out, err);
    reply_release(&out);
    return fx;
}

static struct match_facts facts_for(const char *model, int tools)
{
    struct match_facts f;

    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.model = model;
    f.text = "";
    f.tools = tools;
    f.turn = 1;
    return f;
}

START_TEST(pick_forced_and_matched)
{
    struct match_facts f = facts_for("gpt-4.1", 0);
    struct api_error err;
    const struct fixture *fx;

    /* 'first' and 'second' both match gpt-4.1: the first one wins. */
    fx = pick(NULL, &f, &err);
    ck_assert_ptr_nonnull(fx);
    ck_assert_str_eq(fx->name, "first");
    /* A forced name wins over any match, even one whose match fails. */
    fx = pick("second", &f, &err);
    ck_assert_str_eq(fx->name, "second");
    fx = pick("tools", &f, &err);
    ck_assert_str_eq(fx->name, "tools");
    /* The match looks at every fact: tools picks 'tools' only for another model. */
    f = facts_for("other", 1);
    fx = pick(NULL, &f, &err);
    ck_assert_str_eq(fx->name, "tools");
    f = facts_for("teacup", 0);
    fx = pick(NULL, &f, &err);
    ck_assert_str_eq(fx->name, "teapot");
}
END_TEST

START_TEST(pick_unknown_forced_name_is_400)
{
    struct match_facts f = facts_for("gpt-4.1", 0);
    struct api_error err;
    json_t *env, *e;

    memset(&err, 0, sizeof(err));
    ck_assert_ptr_null(pick("no-such-fixture", &f, &err));
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.type, RM_ERRTYPE_INVALID_REQUEST);
    ck_assert_str_eq(err.code, "unknown_fixture");
    ck_assert_str_eq(err.param, "");
    ck_assert_ptr_nonnull(strstr(err.message, "'no-such-fixture'"));
    env = envelope_build(&err);
    e = json_object_get(env, "error");
    ck_assert(json_is_null(json_object_get(e, "param")));
    json_decref(env);
}
END_TEST

START_TEST(pick_no_match_is_500)
{
    struct match_facts f = facts_for("claude", 0);
    struct api_error err;

    memset(&err, 0, sizeof(err));
    f.stream = 1;
    ck_assert_ptr_null(pick(NULL, &f, &err));
    ck_assert_int_eq(err.status, 500);
    ck_assert_str_eq(err.type, RM_ERRTYPE_SERVER);
    ck_assert_str_eq(err.code, "no_fixture_matched");
    ck_assert_ptr_nonnull(strstr(err.message, "/v1/responses"));
    ck_assert_ptr_nonnull(strstr(err.message, "'claude'"));
    ck_assert_ptr_nonnull(strstr(err.message, "stream on"));
    /* No model at all is reported too, not a crash. */
    f.model = NULL;
    f.stream = 0;
    ck_assert_ptr_null(pick(NULL, &f, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "model ''"));
    ck_assert_ptr_nonnull(strstr(err.message, "stream off"));
}
END_TEST

START_TEST(reply_start_headers_and_latency)
{
    struct fx_fault none = fault_of("stall;after_events=1;stall_ms=5");
    struct fx_fault slow = fault_of("latency;ms=250");
    struct rm_reply r;

    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(generate_reply_start(named(set, "first"), &none, &r), 0);
    ck_assert_uint_eq(r.nheaders, 2);
    ck_assert_str_eq(harness_header(&r, "x-one"), "1");
    ck_assert_str_eq(harness_header(&r, "x-two"), "2");
    ck_assert_uint_eq(r.delay_ms, 120); /* the fixture's latency: a stall is no latency */
    ck_assert_str_eq(r.fixture, "first");
    ck_assert_int_eq(r.status, 0);      /* nothing answered yet */
    ck_assert_ptr_null(r.body);
    reply_release(&r);

    /* A latency fault replaces the fixture's latency. */
    ck_assert_int_eq(generate_reply_start(named(set, "first"), &slow, &r), 0);
    ck_assert_uint_eq(r.delay_ms, 250);
    reply_release(&r);
    /* No latency anywhere: none. */
    ck_assert_int_eq(generate_reply_start(named(set, "second"), NULL, &r), 0);
    ck_assert_uint_eq(r.delay_ms, 0);
    ck_assert_uint_eq(r.nheaders, 0);
    ck_assert_str_eq(r.fixture, "second");
    reply_release(&r);
    ck_assert_int_eq(generate_reply_start(named(set, "second"), &slow, &r), 0);
    ck_assert_uint_eq(r.delay_ms, 250);
    reply_release(&r);
}
END_TEST

START_TEST(reply_start_error_fixture_is_the_answer)
{
    const struct fixture *fx = named(set, "teapot");
    struct rm_reply r;
    json_t *doc, *e;

    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(generate_reply_start(fx, NULL, &r), 1);
    ck_assert_int_eq(r.status, 418);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_null(r.events);
    ck_assert_str_eq(r.body, fx->err_body);
    ck_assert_ptr_ne(r.body, fx->err_body); /* a copy the reply owns */
    ck_assert_uint_eq(r.body_len, strlen(fx->err_body));
    ck_assert_str_eq(harness_header(&r, "x-kind"), "error");
    ck_assert_uint_eq(r.delay_ms, 40);
    ck_assert_str_eq(r.fixture, "teapot");
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    e = expect_error(doc, &r, 418);
    ck_assert_str_eq(json_util_str(e, "code"), "teapot");
    ck_assert_str_eq(json_util_str(e, "message"), "I am a teapot.");
    json_decref(doc);
    reply_release(&r);
}
END_TEST

START_TEST(parse_fault_header)
{
    struct fx_fault f;
    struct api_error err;

    memset(&f, 0x5a, sizeof(f));
    ck_assert_int_eq(generate_parse_fault(NULL, &f, &err), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_NONE); /* reset, not left as it was */
    ck_assert_int_eq(generate_parse_fault("drop;after_events=3", &f, &err), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_DROP);
    ck_assert_uint_eq(f.after_events, 3);
    ck_assert_int_eq(generate_parse_fault("latency;ms=70", &f, &err), 0);
    ck_assert_int_eq(f.kind, FX_FAULT_LATENCY);
    ck_assert_uint_eq(f.stall_ms, 70);

    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(generate_parse_fault("teleport", &f, &err), -1);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "invalid_fault");
    ck_assert_str_eq(err.param, "");
    ck_assert_ptr_nonnull(strstr(err.message, "x-respmock-fault"));
    ck_assert_int_eq(generate_parse_fault("drop;after_events=x", &f, &err), -1);
    ck_assert_str_eq(err.code, "invalid_fault");
}
END_TEST

/* A render context for 'fx' and the request 'req'. */
static void ctx(struct render_ctx *rc, const struct fixture *fx, const json_t *req)
{
    memset(rc, 0, sizeof(*rc));
    rc->srv = srv;
    rc->fx = fx;
    rc->req = req;
    rc->input_tokens = 2;
}

START_TEST(response_from_a_response_fixture)
{
    json_t *req = jload("{'model':'gpt-4.1','input':'hi'}");
    struct generation g;
    struct render_ctx rc;
    struct api_error err;
    const json_t *last;

    ctx(&rc, named(set, "first"), req);
    /* Without stream: the Response only. */
    ck_assert_int_eq(generate_response(&rc, NULL, 0, NULL, 0, &g, &err), 0);
    ck_assert_ptr_nonnull(g.final);
    ck_assert_ptr_null(g.events);
    ck_assert_str_eq(json_util_str(g.final, "object"), "response");
    ck_assert_str_eq(response_text(g.final), "one two three");
    generation_release(&g);
    ck_assert_ptr_null(g.final);

    /* With stream: its events, ending in response.completed carrying the very
     * final object, less "billing" (JSON bodies only, as recorded). */
    ck_assert_int_eq(generate_response(&rc, NULL, 1, NULL, 0, &g, &err), 0);
    ck_assert_ptr_nonnull(g.events);
    ck_assert_str_eq(event_type(&g.events->v[0]), RM_EV_CREATED);
    ck_assert_str_eq(event_type(&g.events->v[g.events->n - 1]), RM_EV_COMPLETED);
    last = event_list_last_response(g.events);
    ck_assert(response_equals_body(last, g.final));
    generation_release(&g);
    ck_assert_ptr_null(g.events);

    /* queued (background): response.created is queued, then response.queued. */
    ck_assert_int_eq(generate_response(&rc, NULL, 1, NULL, 1, &g, &err), 0);
    ck_assert_str_eq(json_util_str(json_object_get(g.events->v[0].json, "response"), "status"),
                     "queued");
    ck_assert_str_eq(event_type(&g.events->v[1]), RM_EV_QUEUED);
    generation_release(&g);

    /* A stream fault passed in shapes the events. */
    {
        struct fx_fault f = fault_of("failed;after_events=2");

        ck_assert_int_eq(generate_response(&rc, NULL, 1, &f, 0, &g, &err), 0);
        ck_assert_uint_eq(g.events->n, 3);
        ck_assert_str_eq(event_type(&g.events->v[2]), RM_EV_FAILED);
        ck_assert_str_eq(json_util_str(g.final, "status"), "completed");
        generation_release(&g);
    }
    json_decref(req);
}
END_TEST

START_TEST(response_from_a_transcript)
{
    json_t *req = jload("{'model':'rec','input':'hi'}");
    struct generation g;
    struct render_ctx rc;
    struct api_error err;

    ctx(&rc, named(set, "rec"), req);
    /* stream: the recorded frames; final = the last response they carry */
    ck_assert_int_eq(generate_response(&rc, NULL, 1, NULL, 0, &g, &err), 0);
    ck_assert_uint_eq(g.events->n, 2);
    ck_assert_int_eq(g.events->v[0].kind, EVENT_RAW);
    ck_assert_ptr_eq(g.final, event_list_last_response(g.events));
    ck_assert_str_eq(json_util_str(g.final, "status"), "completed");
    ck_assert_str_eq(json_util_str(g.final, "id"), "resp_rec");
    generation_release(&g);
    /* no stream: the same last response, no events */
    ck_assert_int_eq(generate_response(&rc, NULL, 0, NULL, 0, &g, &err), 0);
    ck_assert_ptr_null(g.events);
    ck_assert_str_eq(json_util_str(g.final, "status"), "completed");
    ck_assert_str_eq(json_util_str(g.final, "id"), "resp_rec");
    generation_release(&g);

    /* A transcript without any response cannot answer without a stream. */
    ctx(&rc, named(set, "noresp"), req);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(generate_response(&rc, NULL, 0, NULL, 0, &g, &err), -1);
    ck_assert_int_eq(err.status, 500);
    ck_assert_ptr_nonnull(strstr(err.message, "'noresp'"));
    ck_assert_ptr_null(g.final);
    ck_assert_ptr_null(g.events);
    /* ... but streams (its final is then NULL). */
    ck_assert_int_eq(generate_response(&rc, NULL, 1, NULL, 0, &g, &err), 0);
    ck_assert_uint_eq(g.events->n, 2);
    ck_assert_ptr_null(g.final);
    generation_release(&g);
    json_decref(req);
}
END_TEST

START_TEST(chat_from_fixtures)
{
    json_t *req = jload("{'model':'gpt-4.1','messages':[{'role':'user','content':'hi'}]}");
    struct generation g;
    struct render_ctx rc;
    struct api_error err;
    json_t *choice;

    ctx(&rc, named(set, "first"), req);
    ck_assert_int_eq(generate_chat(&rc, NULL, 0, NULL, &g, &err), 0);
    ck_assert_ptr_null(g.events);
    ck_assert_str_eq(json_util_str(g.final, "object"), RM_OBJ_CHAT_COMPLETION);
    choice = json_array_get(json_object_get(g.final, "choices"), 0);
    ck_assert_str_eq(json_util_str(json_object_get(choice, "message"), "content"),
                     "one two three");
    ck_assert_str_eq(json_util_str(choice, "finish_reason"), "stop");
    generation_release(&g);

    ck_assert_int_eq(generate_chat(&rc, NULL, 1, NULL, &g, &err), 0);
    ck_assert_ptr_nonnull(g.final);
    ck_assert_ptr_nonnull(g.events);
    ck_assert_int_eq(g.events->v[g.events->n - 1].kind, EVENT_DONE);
    ck_assert_str_eq(json_util_str(g.events->v[0].json, "object"), RM_OBJ_CHAT_CHUNK);
    ck_assert_str_eq(json_util_str(g.events->v[0].json, "id"), json_util_str(g.final, "id"));
    ck_assert_ptr_null(g.events->v[0].type); /* data-only frames */
    generation_release(&g);

    /* Transcripts answer chat streams only. */
    ctx(&rc, named(set, "noresp"), req);
    ck_assert_int_eq(generate_chat(&rc, NULL, 1, NULL, &g, &err), 0);
    ck_assert_ptr_null(g.final);
    ck_assert_uint_eq(g.events->n, 2);
    generation_release(&g);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(generate_chat(&rc, NULL, 0, NULL, &g, &err), -1);
    ck_assert_int_eq(err.status, 500);
    ck_assert_ptr_nonnull(strstr(err.message, "streaming"));
    ck_assert_ptr_null(g.final);
    ck_assert_ptr_null(g.events);
    json_decref(req);
}
END_TEST

/* --log-level debug explains the match: one line per fixture passed over
 * (its first unmet condition), then the one that answers; the request's
 * text and key never appear. Runs in the forked test process, so stderr
 * can be taken over. */
START_TEST(debug_log_explains_the_match)
{
    char path[] = "/tmp/rm-debug-log-XXXXXX", buf[8192];
    struct rm_reply r;
    json_t *doc;
    FILE *f;
    size_t n;
    int fd = mkstemp(path), saved = dup(2);

    ck_assert_int_ge(fd, 0);
    harness_setup();
    bench_srv->cfg.log_level = LOG_DEBUG;
    dup2(fd, 2);
    doc = call_auth("POST", "/v1/responses",
                    "{\"model\":\"gpt-4.1\",\"input\":\"my secret words\"}",
                    "Bearer sk-do-not-log-me", &r);
    server_log_flush(bench_srv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(r.status, 200);
    json_decref(doc);
    reply_release(&r);
    f = fdopen(fd, "r");
    rewind(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_ptr_nonnull(strstr(buf, "fixture 'error-401' passed over: model does not match"));
    ck_assert_ptr_nonnull(strstr(buf, "fixture 'default' answers"));
    ck_assert_ptr_null(strstr(buf, "secret words"));
    ck_assert_ptr_null(strstr(buf, "do-not-log-me"));
    {
        size_t lines = 0;
        char *p;
        for (p = buf; (p = strstr(p, "passed over: ")); p++)
            lines++;
        ck_assert_uint_eq(lines, 5); /* the first few, one line each */
    }
    harness_teardown();
}
END_TEST

/* ---- Scenarios through the router -------------------------------------- */

#define SCENARIO_FIXTURES                                                                      \
    "[{'name':'seq','match':{'model':'seq'},'sequence':["                                      \
    "   {'error':{'status':429,'retry_after_ms':5}},"                                          \
    "   {'response':{'output':[{'type':'message','text':'second'}]}}]},"                       \
    " {'name':'twice','match':{'model':'twice'},'times':2,"                                    \
    "  'response':{'output':[{'type':'message','text':'limited'}]}},"                          \
    " {'name':'login','match':{'model':'flow','state':'started'},'next_state':'in',"           \
    "  'response':{'output':[{'type':'message','text':'welcome'}]}},"                          \
    " {'name':'inside','match':{'model':'flow','state':'in'},"                                 \
    "  'response':{'output':[{'type':'message','text':'inside'}]}},"                           \
    " {'name':'default','response':{'output':[{'type':'message','text':'fallback'}]}}]"

/* POST /v1/responses for 'model' in 'scenario' (NULL: the default one);
 * returns the status and copies the fixture that answered. */
static int ask_in(const char *model, const char *scenario, char *fixture, size_t n)
{
    struct rm_request req;
    struct rm_reply r;
    char body[128];
    int status;

    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hi\"}", model);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/v1/responses";
    req.authorization = "Bearer k";
    req.scenario = scenario;
    req.body = body;
    req.body_len = strlen(body);
    router_handle(bench_srv, &req, &r);
    status = r.status;
    snprintf(fixture, n, "%s", r.fixture);
    reply_release(&r);
    return status;
}

START_TEST(sequences_times_and_states)
{
    char *dir = harness_fixture_dir(SCENARIO_FIXTURES), fx[160];

    harness_restart(0, dir);
    ck_assert_int_eq(ask_in("seq", "a", fx, sizeof(fx)), 429);
    ck_assert_str_eq(fx, "seq#1");
    ck_assert_int_eq(ask_in("seq", "b", fx, sizeof(fx)), 429); /* another scenario: its own step */
    ck_assert_int_eq(ask_in("seq", "a", fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "seq#2");
    ck_assert_int_eq(ask_in("seq", "a", fx, sizeof(fx)), 200); /* the last step repeats */
    ck_assert_int_eq(ask_in("twice", NULL, fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "twice");
    ck_assert_int_eq(ask_in("twice", NULL, fx, sizeof(fx)), 200);
    ck_assert_int_eq(ask_in("twice", NULL, fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "default"); /* its times are used up: the next fixture answers */
    ck_assert_int_eq(ask_in("twice", "other", fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "twice");
    ck_assert_int_eq(ask_in("flow", "s", fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "login");
    ck_assert_int_eq(ask_in("flow", "s", fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "inside");
    ck_assert_int_eq(ask_in("flow", "t", fx, sizeof(fx)), 200);
    ck_assert_str_eq(fx, "login"); /* a state belongs to its scenario */
    harness_remove_fixture_dir(dir);
}
END_TEST

START_TEST(strict_names_the_closest_fixture)
{
    char *dir = harness_fixture_dir(SCENARIO_FIXTURES);
    struct rm_reply r;
    json_t *doc, *e;

    harness_restart(0, dir);
    bench_srv->cfg.strict = 1;
    doc = call("POST", "/v1/responses", "{\"model\":\"nope\",\"input\":\"hi\"}", &r);
    e = expect_error(doc, &r, 404);
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "--strict"));
    ck_assert_ptr_nonnull(strstr(json_util_str(e, "message"), "model does not match"));
    json_decref(doc);
    reply_release(&r);
    doc = call("POST", "/v1/responses", "{\"model\":\"twice\",\"input\":\"hi\"}", &r);
    ck_assert_int_eq(r.status, 200); /* a fixture with a match still answers */
    json_decref(doc);
    reply_release(&r);
    harness_remove_fixture_dir(dir);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("generate");

    add_tcase(s, tcase_create("pick"), 30, gen_setup, gen_teardown, pick_forced_and_matched,
              pick_unknown_forced_name_is_400, pick_no_match_is_500);
    add_tcase(s, tcase_create("reply_start"), 30, gen_setup, gen_teardown,
              reply_start_headers_and_latency, reply_start_error_fixture_is_the_answer,
              parse_fault_header);
    add_tcase(s, tcase_create("debug_log"), 30, NULL, NULL, debug_log_explains_the_match);
    add_tcase(s, tcase_create("scenarios"), 30, harness_setup, harness_teardown,
              sequences_times_and_states, strict_names_the_closest_fixture);
    add_tcase(s, tcase_create("render"), 30, gen_setup, gen_teardown,
              response_from_a_response_fixture, response_from_a_transcript, chat_from_fixtures);
    return s;
}
