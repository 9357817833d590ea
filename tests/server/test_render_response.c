/* Unit tests for server/render_response.c: the final Response object of a
 * fixture: request fields echoed or defaulted, the fixture's model over the
 * request's, usage computed (ceil(bytes/4), reasoning tokens) or taken from
 * the fixture, the incomplete and failed forms, fresh ids with the
 * contract's prefixes, function tools normalised, text.format. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"
#include "render_response.h"

#define RR_FIXTURES                                                                              \
    "[{'name':'plain','response':{'output':[{'type':'message','text':'Hello there world'}]}},"  \
    " {'name':'modelled','response':{'model':'gpt-fixed','output':[{'type':'message',"         \
    "   'text':'x'}]}},"                                                                         \
    " {'name':'kinds','response':{'output':[{'type':'reasoning','text':'Let me see'},"          \
    "   {'type':'message','text':'Done'},{'type':'refusal','text':'No way'},"                   \
    "   {'type':'function_call','name':'f','arguments':{'a':1}},"                               \
    "   {'type':'raw','raw':{'type':'web_search_call','status':'completed'}},"                  \
    "   {'type':'raw','raw':{'id':'ws_keep','type':'web_search_call','status':'completed'}}]}}," \
    " {'name':'counted','response':{'usage':{'input_tokens':10,'output_tokens':5,"              \
    "   'reasoning_tokens':2,'cached_tokens':4},'output':[{'type':'reasoning',"                 \
    "   'text':'Let me see'},{'type':'message','text':'Hello there world'}]}},"                  \
    " {'name':'cut','response':{'status':'incomplete','output':[{'type':'message',"            \
    "   'text':'Once upon'}]}},"                                                                 \
    " {'name':'cut-why','response':{'status':'incomplete','incomplete_reason':'content_filter',"\
    "   'output':[{'type':'message','text':'Once'}]}},"                                          \
    " {'name':'broken','response':{'status':'failed','output':[{'type':'message',"             \
    "   'text':'partial'}]}}]"

static struct rm_server *srv;
static struct fixture_set set;

static void rr_setup(void)
{
    srv = fake_server();
    load(&set, RR_FIXTURES);
}

static void rr_teardown(void)
{
    fixture_set_release(&set);
    free(srv);
    srv = NULL;
}

/* Render fixture 'name' for the request 'req_text' (' for "), with
 * 'input_tokens' counted by the caller. New reference. */
static json_t *render_for(const char *name, const char *req_text, long input_tokens)
{
    struct render_ctx rc;
    json_t *req = jload(req_text), *r;

    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = named(&set, name);
    rc.req = req;
    rc.input_tokens = input_tokens;
    r = render_response(&rc);
    ck_assert_ptr_nonnull(r);
    json_decref(req);
    return r;
}

static void assert_member(const json_t *r, const char *key, const char *want_text)
{
    json_t *want = jload(want_text);

    ck_assert_msg(json_equal(json_object_get(r, key), want), "%s: got %s, want %s", key,
                  json_dumps(json_object_get(r, key), JSON_COMPACT | JSON_ENCODE_ANY),
                  want_text);
    json_decref(want);
}

START_TEST(count_tokens_rule)
{
    ck_assert_int_eq(render_count_tokens(NULL), 0);
    ck_assert_int_eq(render_count_tokens(""), 0);
    ck_assert_int_eq(render_count_tokens("a"), 1);
    ck_assert_int_eq(render_count_tokens("abcd"), 1);
    ck_assert_int_eq(render_count_tokens("abcde"), 2);
    ck_assert_int_eq(render_count_tokens("abcdefgh"), 2);
    ck_assert_int_eq(render_count_tokens("abcdefghi"), 3);
    /* bytes, not characters: "é" is two bytes */
    ck_assert_int_eq(render_count_tokens("\xc3\xa9\xc3\xa9\xc3\xa9"), 2);
}
END_TEST

START_TEST(defaults_when_the_request_says_nothing)
{
    json_t *r = render_for("plain", "{'model':'gpt-4.1-mini','input':'hi'}", 3);

    ck_assert_str_eq(json_util_str(r, "object"), "response");
    ck_assert_str_eq(json_util_str(r, "status"), "completed");
    ck_assert(json_is_integer(json_object_get(r, "created_at")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "completed_at")),
                     json_integer_value(json_object_get(r, "created_at")));
    assert_member(r, "background", "false");
    assert_member(r, "error", "null");
    assert_member(r, "incomplete_details", "null");
    assert_member(r, "instructions", "null");
    assert_member(r, "max_output_tokens", "null");
    assert_member(r, "max_tool_calls", "null");
    assert_member(r, "model", "'gpt-4.1-mini'");
    assert_member(r, "parallel_tool_calls", "true");
    assert_member(r, "previous_response_id", "null");
    /* as recorded (tests/conformance): conversation and prompt only when given */
    ck_assert_ptr_null(json_object_get(r, "conversation"));
    ck_assert_ptr_null(json_object_get(r, "prompt"));
    assert_member(r, "reasoning", "{'context':null,'effort':null,'summary':null}");
    assert_member(r, "frequency_penalty", "0.0");
    assert_member(r, "presence_penalty", "0.0");
    assert_member(r, "moderation", "null");
    assert_member(r, "billing", "{'payer':'developer'}");
    assert_member(r, "tool_usage",
                  "{'image_gen':{'input_tokens':0,'input_tokens_details':{'image_tokens':0,"
                  "'text_tokens':0},'output_tokens':0,'output_tokens_details':{'image_tokens':0,"
                  "'text_tokens':0},'total_tokens':0},'web_search':{'num_requests':0}}");
    assert_member(r, "service_tier", "'default'");
    assert_member(r, "store", "true");
    assert_member(r, "temperature", "1.0");
    assert_member(r, "text", "{'format':{'type':'text'},'verbosity':'medium'}");
    assert_member(r, "tool_choice", "'auto'");
    assert_member(r, "tools", "[]");
    assert_member(r, "top_logprobs", "0");
    assert_member(r, "top_p", "1.0");
    assert_member(r, "truncation", "'disabled'");
    assert_member(r, "user", "null");
    assert_member(r, "safety_identifier", "null");
    assert_member(r, "prompt_cache_key", "null");
    assert_member(r, "prompt_cache_retention", "'in_memory'");
    assert_member(r, "metadata", "{}");
    /* the keys in the recorded order: id, object, created_at, status, then
     * byte order, metadata last */
    {
        const char *k, *prev = NULL;
        json_t *v;
        size_t i = 0;
        json_object_foreach(r, k, v) {
            (void)v;
            if (i == 0) ck_assert_str_eq(k, "id");
            else if (i == 1) ck_assert_str_eq(k, "object");
            else if (i == 2) ck_assert_str_eq(k, "created_at");
            else if (i == 3) ck_assert_str_eq(k, "status");
            else if (i + 1 == json_object_size(r)) ck_assert_str_eq(k, "metadata");
            else if (prev) ck_assert_msg(strcmp(prev, k) < 0, "%s before %s", prev, k);
            if (i >= 4)
                prev = k;
            i++;
        }
    }
    json_decref(r);

    /* Model defaults as recorded: a reasoning model reports its effort,
     * context and mode; gpt-5.5 and later keep the prompt cache 24h. */
    r = render_for("plain", "{'model':'gpt-5','input':'hi'}", 3);
    assert_member(r, "reasoning",
                  "{'context':'current_turn','effort':'medium','mode':'standard','summary':null}");
    assert_member(r, "prompt_cache_retention", "'in_memory'");
    json_decref(r);
    r = render_for("plain", "{'model':'gpt-5.5','input':'hi'}", 3);
    assert_member(r, "prompt_cache_retention", "'24h'");
    json_decref(r);
    r = render_for("plain", "{'model':'gpt-5.2','input':'hi'}", 3);
    assert_member(r, "reasoning",
                  "{'context':'current_turn','effort':'none','mode':'standard','summary':null}");
    json_decref(r);
    r = render_for("plain", "{'model':'gpt-5','input':'hi','moderation':{'model':'omni-moderation-latest'}}", 3);
    ck_assert_str_eq(json_util_str(json_object_get(json_object_get(r, "moderation"), "input"), "type"),
                     "moderation_result");
    ck_assert(json_is_false(json_object_get(json_object_get(json_object_get(r, "moderation"), "output"),
                                            "flagged")));
    json_decref(r);

    /* A null in the request is no value: the default again. */
    r = render_for("plain",
                   "{'model':'m','input':'hi','temperature':null,'top_p':null,'tool_choice':null,"
                   "'metadata':null,'instructions':null,'service_tier':'auto'}",
                   3);
    assert_member(r, "temperature", "1.0");
    assert_member(r, "top_p", "1.0");
    assert_member(r, "tool_choice", "'auto'");
    assert_member(r, "metadata", "{}");
    assert_member(r, "instructions", "null");
    assert_member(r, "service_tier", "'default'"); /* auto resolves to default */
    json_decref(r);

    /* No model at all (a fixture forced by name): "respmock". */
    r = render_for("plain", "{'input':'hi'}", 1);
    assert_member(r, "model", "'respmock'");
    json_decref(r);
}
END_TEST

START_TEST(request_fields_echoed)
{
    struct render_ctx rc;
    json_t *req = jload("{'model':'gpt-4.1','input':'hi','instructions':'Be brief.',"
                        "'max_output_tokens':64,'max_tool_calls':2,'parallel_tool_calls':false,"
                        "'reasoning':{'effort':'low','summary':'auto'},'service_tier':'flex',"
                        "'store':false,'temperature':0.5,'tool_choice':'none','top_logprobs':3,"
                        "'top_p':0.9,'truncation':'auto','user':'u1','safety_identifier':'s1',"
                        "'prompt_cache_key':'k1','prompt_cache_retention':'24h',"
                        "'prompt':{'id':'pmpt_1'},'metadata':{'a':'b'},"
                        "'text':{'verbosity':'low','format':{'type':'json_object'}}}");
    json_t *r;

    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = named(&set, "plain");
    rc.req = req;
    rc.previous_response_id = "resp_prev";
    rc.conversation_id = "conv_1";
    rc.background = 1;
    r = render_response(&rc);
    assert_member(r, "instructions", "'Be brief.'");
    assert_member(r, "max_output_tokens", "64");
    assert_member(r, "max_tool_calls", "2");
    assert_member(r, "model", "'gpt-4.1'");
    assert_member(r, "parallel_tool_calls", "false");
    assert_member(r, "reasoning", "{'context':null,'effort':'low','summary':'auto'}");
    assert_member(r, "service_tier", "'flex'");
    assert_member(r, "store", "false");
    assert_member(r, "temperature", "0.5");
    assert_member(r, "tool_choice", "'none'");
    assert_member(r, "top_logprobs", "3");
    assert_member(r, "top_p", "0.9");
    assert_member(r, "truncation", "'auto'");
    assert_member(r, "user", "'u1'");
    assert_member(r, "safety_identifier", "'s1'");
    assert_member(r, "prompt_cache_key", "'k1'");
    assert_member(r, "prompt_cache_retention", "'24h'");
    assert_member(r, "prompt", "{'id':'pmpt_1'}");
    assert_member(r, "metadata", "{'a':'b'}");
    assert_member(r, "text", "{'verbosity':'low','format':{'type':'json_object'}}");
    assert_member(r, "previous_response_id", "'resp_prev'");
    assert_member(r, "conversation", "{'id':'conv_1'}");
    assert_member(r, "background", "true");
    /* The echoes do not alias the request: changing the response leaves it alone. */
    json_object_set_new(json_object_get(r, "text"), "verbosity", json_string("high"));
    ck_assert_str_eq(json_util_str(json_object_get(req, "text"), "verbosity"), "low");
    json_decref(r);
    json_decref(req);

    /* text without format gets the default format, its verbosity kept. */
    r = render_for("plain", "{'model':'m','input':'x','text':{'verbosity':'high'}}", 1);
    assert_member(r, "text", "{'verbosity':'high','format':{'type':'text'}}");
    json_decref(r);
    /* A tool_choice object is echoed as given. */
    r = render_for("plain", "{'model':'m','input':'x','tool_choice':{'type':'function','name':'f'}}",
                   1);
    assert_member(r, "tool_choice", "{'type':'function','name':'f'}");
    json_decref(r);
}
END_TEST

START_TEST(fixture_model_wins)
{
    json_t *r = render_for("modelled", "{'model':'gpt-4.1-mini','input':'hi'}", 1);

    assert_member(r, "model", "'gpt-fixed'");
    json_decref(r);
    r = render_for("modelled", "{'input':'hi'}", 1);
    assert_member(r, "model", "'gpt-fixed'");
    json_decref(r);
}
END_TEST

START_TEST(usage_computed)
{
    json_t *r = render_for("plain", "{'model':'m','input':'hi'}", 7), *u;

    /* "Hello there world": 17 bytes -> 5 tokens; input as counted by the caller. */
    u = json_object_get(r, "usage");
    ck_assert_int_eq(json_integer_value(json_object_get(u, "input_tokens")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "output_tokens")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "total_tokens")), 12);
    assert_member(u, "input_tokens_details", "{'cached_tokens':0,'cache_write_tokens':0}");
    assert_member(u, "output_tokens_details", "{'reasoning_tokens':0}");
    json_decref(r);

    /* reasoning 'Let me see' (10 -> 3), 'Done' (4 -> 1), refusal 'No way' (6 -> 2),
     * arguments '{"a":1}' (7 -> 2), raw items nothing: 8 out, 3 of them reasoning. */
    r = render_for("kinds", "{'model':'m','input':'hi'}", 2);
    u = json_object_get(r, "usage");
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(r, "output"), 3), "arguments"),
                     "{\"a\":1}");
    ck_assert_int_eq(json_integer_value(json_object_get(u, "output_tokens")), 8);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(u,
                                                                        "output_tokens_details"),
                                                        "reasoning_tokens")),
                     3);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "total_tokens")), 10);
    json_decref(r);
}
END_TEST

START_TEST(usage_from_fixture)
{
    json_t *r = render_for("counted", "{'model':'m','input':'a much longer input text'}", 99),
           *u = json_object_get(r, "usage");

    ck_assert_int_eq(json_integer_value(json_object_get(u, "input_tokens")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "output_tokens")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(u, "total_tokens")), 15);
    assert_member(u, "input_tokens_details", "{'cached_tokens':4,'cache_write_tokens':0}");
    assert_member(u, "output_tokens_details", "{'reasoning_tokens':2}");
    json_decref(r);
}
END_TEST

START_TEST(incomplete_and_failed)
{
    json_t *r = render_for("cut", "{'model':'m','input':'hi'}", 1), *item;

    assert_member(r, "status", "'incomplete'");
    assert_member(r, "incomplete_details", "{'reason':'max_output_tokens'}");
    assert_member(r, "completed_at", "null");
    assert_member(r, "error", "null");
    item = json_array_get(json_object_get(r, "output"), 0);
    ck_assert_str_eq(json_util_str(item, "status"), "incomplete");
    ck_assert(json_is_object(json_object_get(r, "usage")));
    json_decref(r);

    r = render_for("cut-why", "{'model':'m','input':'hi'}", 1);
    assert_member(r, "incomplete_details", "{'reason':'content_filter'}");
    json_decref(r);

    r = render_for("broken", "{'model':'m','input':'hi'}", 1);
    assert_member(r, "status", "'failed'");
    assert_member(r, "completed_at", "null");
    assert_member(r, "incomplete_details", "null");
    assert_member(r, "usage", "null");
    ck_assert_str_eq(json_util_str(json_object_get(r, "error"), "code"), "server_error");
    ck_assert(json_is_string(json_object_get(json_object_get(r, "error"), "message")));
    /* items of a failed response are rendered completed */
    item = json_array_get(json_object_get(r, "output"), 0);
    ck_assert_str_eq(json_util_str(item, "status"), "completed");
    json_decref(r);
}
END_TEST

START_TEST(fresh_ids_with_prefixes)
{
    json_t *a = render_for("kinds", "{'model':'m','input':'hi'}", 1);
    json_t *b = render_for("kinds", "{'model':'m','input':'hi'}", 1);
    json_t *out = json_object_get(a, "output"), *it;
    size_t i;

    /* the recorded shape: 50 hex digits, the items sharing 16 of them with
     * the response (tests/conformance/recordings) */
    ck_assert_msg(harness_is_id(json_util_str(a, "id"), RM_ID_RESPONSE, RM_ID_HEX_LEN), "%s",
                  json_util_str(a, "id"));
    json_array_foreach(out, i, it) {
        const char *id = json_util_str(it, "id");
        if (strcmp(id, "ws_keep") == 0)
            continue;
        ck_assert_msg(strncmp(strchr(id, '_') + 1, json_util_str(a, "id") + 5, RM_ID_SEGMENT_LEN) == 0,
                      "%s does not share the segment of %s", id, json_util_str(a, "id"));
    }
    ck_assert_str_ne(json_util_str(a, "id"), json_util_str(b, "id"));
    ck_assert_uint_eq(json_array_size(out), 6);
    /* reasoning, message, refusal message, function call, raw, raw with its own id */
    it = json_array_get(out, 0);
    ck_assert_str_eq(json_util_str(it, "type"), "reasoning");
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_REASONING, RM_ID_HEX_LEN));
    /* no summary asked for: none, as recorded; content [] */
    assert_member(it, "summary", "[]");
    assert_member(it, "content", "[]");
    {
        json_t *c = render_for("kinds", "{'model':'m','input':'hi','reasoning':{'summary':'auto'}}", 1);
        assert_member(json_array_get(json_object_get(c, "output"), 0), "summary",
                      "[{'type':'summary_text','text':'Let me see'}]");
        json_decref(c);
    }
    it = json_array_get(out, 1);
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_MESSAGE, RM_ID_HEX_LEN));
    ck_assert_str_eq(json_util_str(it, "role"), "assistant");
    ck_assert_str_eq(json_util_str(it, "status"), "completed");
    assert_member(it, "content", "[{'type':'output_text','text':'Done','annotations':[],"
                                 "'logprobs':[]}]");
    it = json_array_get(out, 2);
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_MESSAGE, RM_ID_HEX_LEN));
    assert_member(it, "content", "[{'type':'refusal','refusal':'No way'}]");
    it = json_array_get(out, 3);
    ck_assert_str_eq(json_util_str(it, "type"), "function_call");
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_FUNCTION_CALL, RM_ID_HEX_LEN));
    ck_assert(harness_is_id(json_util_str(it, "call_id"), RM_ID_CALL, 24));
    ck_assert_str_eq(json_util_str(it, "name"), "f");
    ck_assert_str_eq(json_util_str(it, "status"), "completed");
    it = json_array_get(out, 4);
    ck_assert(harness_is_id(json_util_str(it, "id"), RM_ID_ITEM, RM_ID_HEX_LEN));
    ck_assert_str_eq(json_util_str(it, "type"), "web_search_call");
    it = json_array_get(out, 5);
    ck_assert_str_eq(json_util_str(it, "id"), "ws_keep");
    /* Every generated id differs from every other, across both renders. */
    {
        json_t *seen = json_object();
        json_t *both[2] = {a, b};
        size_t k;

        for (k = 0; k < 2; k++) {
            json_object_set_new(seen, json_util_str(both[k], "id"), json_true());
            json_array_foreach(json_object_get(both[k], "output"), i, it) {
                const char *id = json_util_str(it, "id"), *call = json_util_str(it, "call_id");
                if (strcmp(id, "ws_keep") == 0)
                    continue;
                ck_assert_msg(!json_object_get(seen, id), "id %s twice", id);
                json_object_set_new(seen, id, json_true());
                if (call) {
                    ck_assert(!json_object_get(seen, call));
                    json_object_set_new(seen, call, json_true());
                }
            }
        }
        ck_assert_uint_eq(json_object_size(seen), 2 * (1 + 5 + 1));
        json_decref(seen);
    }
    /* The fixture's raw item is copied, not shared. */
    ck_assert_ptr_null(json_object_get(named(&set, "kinds")->items[4].raw, "id"));
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(function_tools_normalised)
{
    json_t *r = render_for(
        "plain",
        "{'model':'m','input':'x','tools':["
        "{'type':'function','name':'get_weather','parameters':{'type':'object'}},"
        "{'type':'function','name':'loose','description':'d','strict':false,"
        " 'parameters':{'type':'object'}},"
        "{'type':'function','name':'bare'},"
        "{'type':'web_search'}]}",
        1);

    assert_member(r, "tools",
                  "[{'type':'function','name':'get_weather','description':null,"
                  "  'output_schema':null,'parameters':{'type':'object'},'strict':true},"
                  " {'type':'function','name':'loose','description':'d','output_schema':null,"
                  "  'parameters':{'type':'object'},'strict':false},"
                  " {'type':'function','name':'bare','description':null,'output_schema':null,"
                  "  'parameters':null,'strict':true},"
                  " {'type':'web_search','filters':null,'search_context_size':'medium',"
                  "  'user_location':{'type':'approximate','city':null,'country':'US',"
                  "  'region':null,'timezone':null}}]");
    /* as recorded: "type" first, then byte order */
    {
        const char *k;
        json_t *v, *t = json_array_get(json_object_get(r, "tools"), 0);
        const char *want[] = {"type", "description", "name", "output_schema", "parameters",
                              "strict"};
        size_t i = 0;
        json_object_foreach(t, k, v) {
            (void)v;
            ck_assert_str_eq(k, want[i++]);
        }
    }
    json_decref(r);
}
END_TEST

START_TEST(output_text_part)
{
    json_t *p = render_output_text_part("abc");

    assert_member(p, "type", "'output_text'");
    assert_member(p, "text", "'abc'");
    assert_member(p, "annotations", "[]");
    assert_member(p, "logprobs", "[]");
    ck_assert_uint_eq(json_object_size(p), 4);
    json_decref(p);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render_response");

    add_tcase(s, tcase_create("echo"), 30, rr_setup, rr_teardown,
              defaults_when_the_request_says_nothing, request_fields_echoed, fixture_model_wins,
              function_tools_normalised);
    add_tcase(s, tcase_create("usage"), 30, rr_setup, rr_teardown, count_tokens_rule,
              usage_computed, usage_from_fixture);
    add_tcase(s, tcase_create("status_and_ids"), 30, rr_setup, rr_teardown,
              incomplete_and_failed, fresh_ids_with_prefixes, output_text_part);
    return s;
}
