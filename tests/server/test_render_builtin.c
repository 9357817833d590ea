/* Unit tests for server/render_builtin.c and the built-in tool items'
 * events in server/render_events.c (no socket): each item type of
 * builtin.h rendered from a fixture, with its exact event sequence (spec and
 * openai-node 7.59 ResponseStreamEvent), checked with the client's stream
 * checker; the parts only "include" adds; url_citation annotations;
 * reasoning_text; logprobs; and the fixture loader's checks of these items. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"

#define TOOL_FIXTURES                                                                          \
    "[{'name':'ws','response':{'output':[{'type':'web_search_call','query':'q1',"              \
    "'sources':[{'url':'https://a.example/','title':'A'}]},"                                   \
    "{'type':'message','text':'See A now','annotations':[{'type':'url_citation',"              \
    "'start_index':4,'end_index':5,'url':'https://a.example/','title':'A'}]}]}},"             \
    "{'name':'fs','response':{'output':[{'type':'file_search_call','queries':['refunds'],"    \
    "'results':[{'file_id':'file-1','filename':'a.md','score':0.5,'text':'t'}]}]}},"          \
    "{'name':'ci','response':{'output':[{'type':'code_interpreter_call','code':'a = 1 + 2',"  \
    "'outputs':[{'type':'logs','logs':'3'}]}]}},"                                            \
    "{'name':'ig','response':{'output':[{'type':'image_generation_call','partial_images':2,"  \
    "'result':'QUJD','size':'1024x1024'}]}},"                                                 \
    "{'name':'mcp','response':{'output':[{'type':'mcp_list_tools','server_label':'s',"        \
    "'tools':[{'name':'t','input_schema':{}}]},{'type':'mcp_call','server_label':'s',"        \
    "'name':'t','arguments':{'k':'v w'},'output':'done'}]}},"                                 \
    "{'name':'mcpx','response':{'output':[{'type':'mcp_call','server_label':'s','name':'t',"   \
    "'error':'tool crashed'}]}},"                                                                \
    "{'name':'mcpr','response':{'output':[{'type':'mcp_approval_request','server_label':'s'," \
    "'name':'t','arguments':{'k':1}}]}},"                                                      \
    "{'name':'ctc','response':{'output':[{'type':'custom_tool_call','name':'apply_patch',"    \
    "'input':'*** Begin Patch end'}]}},"                                                       \
    "{'name':'sh','response':{'output':[{'type':'shell_call','commands':['ls','pwd']}]}},"    \
    "{'name':'lsh','response':{'output':[{'type':'local_shell_call','command':['ls','-l']}]}},"\
    "{'name':'cmp','response':{'output':[{'type':'compaction'}]}},"                           \
    "{'name':'rt','response':{'output':[{'type':'reasoning','text':'S','content':'one two'}," \
    "{'type':'message','text':'ok'}]}}]"

/* Render fixture 'name' of TOOL_FIXTURES for request 'req' (NULL: a small
 * one), assert the whole stream holds the contract and its terminal
 * response is the JSON body; 'r' is the caller's to release. */
static void render_checked(struct rendered *r, const struct fixture_set *set, const char *name,
                           const char *req)
{
    struct rm_server *srv = fake_server();
    json_t *terminal;

    if (req)
        render_stream_for(r, srv, named(set, name), req, 0);
    else
        render_stream(r, srv, named(set, name), NULL, 0);
    terminal = assert_responses_stream(&r->cap, name);
    ck_assert_msg(response_equals_body(terminal, r->final), "%s: terminal != body", name);
    free(srv);
}

static json_t *output_at(const struct rendered *r, size_t i)
{
    return json_array_get(json_object_get(r->final, "output"), i);
}

/* The first event of 'type' (borrowed), or NULL. */
static json_t *event_of(const struct rendered *r, const char *type)
{
    size_t i;

    for (i = 0; i < r->cap.n; i++)
        if (r->cap.ev[i].json && strcmp(type_at(r, i), type) == 0)
            return r->cap.ev[i].json;
    return NULL;
}

/* The deltas of events of 'type' joined (static buffer). */
static const char *joined(const struct rendered *r, const char *type)
{
    static char out[1024];
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < r->cap.n; i++)
        if (r->cap.ev[i].json && strcmp(type_at(r, i), type) == 0)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s",
                                  json_string_value(json_object_get(r->cap.ev[i].json, "delta")));
    return out;
}

START_TEST(event_sequences)
{
    static const struct {
        const char *name, *types;
    } cases[] = {
        {"fs", "response.created response.in_progress response.output_item.added "
               "response.file_search_call.in_progress response.file_search_call.searching "
               "response.file_search_call.completed response.output_item.done "
               "response.completed"},
        {"ci", "response.created response.in_progress response.output_item.added "
               "response.code_interpreter_call.in_progress "
               "response.code_interpreter_call_code.delta response.code_interpreter_call_code.delta "
               "response.code_interpreter_call_code.delta response.code_interpreter_call_code.delta "
               "response.code_interpreter_call_code.delta response.code_interpreter_call_code.done "
               "response.code_interpreter_call.interpreting "
               "response.code_interpreter_call.completed response.output_item.done "
               "response.completed"},
        {"ig", "response.created response.in_progress response.output_item.added "
               "response.image_generation_call.in_progress "
               "response.image_generation_call.generating "
               "response.image_generation_call.partial_image "
               "response.image_generation_call.partial_image "
               "response.image_generation_call.completed response.output_item.done "
               "response.completed"},
        {"mcp", "response.created response.in_progress response.output_item.added "
                "response.mcp_list_tools.in_progress response.mcp_list_tools.completed "
                "response.output_item.done response.output_item.added "
                "response.mcp_call.in_progress response.mcp_call_arguments.delta "
                "response.mcp_call_arguments.delta response.mcp_call_arguments.done "
                "response.mcp_call.completed response.output_item.done response.completed"},
        {"mcpx", "response.created response.in_progress response.output_item.added "
                 "response.mcp_call.in_progress response.mcp_call_arguments.delta "
                 "response.mcp_call_arguments.done response.mcp_call.failed "
                 "response.output_item.done response.completed"},
        {"mcpr", "response.created response.in_progress response.output_item.added "
                 "response.output_item.done response.completed"},
        {"ctc", "response.created response.in_progress response.output_item.added "
                "response.custom_tool_call_input.delta response.custom_tool_call_input.delta "
                "response.custom_tool_call_input.delta response.custom_tool_call_input.delta "
                "response.custom_tool_call_input.done response.output_item.done "
                "response.completed"},
        {"sh", "response.created response.in_progress response.output_item.added "
               "response.shell_call_command.added response.shell_call_command.delta "
               "response.shell_call_command.done response.shell_call_command.added "
               "response.shell_call_command.delta response.shell_call_command.done "
               "response.output_item.done response.completed"},
        {"lsh", "response.created response.in_progress response.output_item.added "
                "response.output_item.done response.completed"},
        {"cmp", "response.created response.in_progress response.output_item.added "
                "response.compaction.compacting response.output_item.done response.completed"},
        {"rt", "response.created response.in_progress response.output_item.added "
               "response.content_part.added response.reasoning_text.delta "
               "response.reasoning_text.delta response.reasoning_text.done "
               "response.content_part.done response.output_item.done "
               "response.output_item.added response.content_part.added "
               "response.output_text.delta response.output_text.done "
               "response.content_part.done response.output_item.done response.completed"},
    };
    struct fixture_set set;
    size_t i;

    load(&set, TOOL_FIXTURES);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rendered r;

        render_checked(&r, &set, cases[i].name, NULL);
        ck_assert_msg(strcmp(types_of(&r), cases[i].types) == 0, "%s: got\n%s\nwant\n%s",
                      cases[i].name, types_of(&r), cases[i].types);
        rendered_release(&r);
    }
    fixture_set_release(&set);
}
END_TEST

START_TEST(web_search_and_citations)
{
    struct fixture_set set;
    struct rendered r;
    json_t *ws, *part, *ev, *added;

    load(&set, TOOL_FIXTURES);
    render_checked(&r, &set, "ws", NULL);
    ws = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(ws, "type")), RM_ITEM_WEB_SEARCH_CALL);
    ck_assert(harness_is_id(json_string_value(json_object_get(ws, "id")), RM_ID_WEB_SEARCH,
                            RM_ID_HEX_LEN));
    ck_assert_str_eq(json_string_value(json_object_get(ws, "status")), RM_STATUS_COMPLETED);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ws, "action"), "query")),
                     "q1");
    /* sources only with include web_search_call.action.sources */
    ck_assert_ptr_null(json_object_get(json_object_get(ws, "action"), "sources"));
    added = json_object_get(event_of(&r, RM_EV_ITEM_ADDED), "item");
    ck_assert_str_eq(json_string_value(json_object_get(added, "status")), RM_STATUS_IN_PROGRESS);
    ev = event_of(&r, RM_EV_WEB_SEARCH_SEARCHING);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "item_id")),
                     json_string_value(json_object_get(ws, "id")));
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "output_index")), 0);
    /* the cited answer: the annotation in the part and its own event, after
     * the deltas and before output_text.done */
    part = json_array_get(json_object_get(output_at(&r, 1), "content"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(part, "annotations"), 0), "type")),
                     RM_ANNOTATION_URL_CITATION);
    ev = event_of(&r, RM_EV_ANNOTATION_ADDED);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "annotation_index")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "output_index")), 1);
    ck_assert(json_equal(json_object_get(ev, "annotation"),
                         json_array_get(json_object_get(part, "annotations"), 0)));
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(json_object_get(r.final, "tool_usage"), "web_search"),
                         "num_requests")),
                     1);
    ck_assert_ptr_nonnull(strstr(types_of(&r), "response.output_text.delta "
                                               "response.output_text.annotation.added "
                                               "response.output_text.done"));
    rendered_release(&r);
    render_checked(&r, &set, "ws",
                   "{'model':'m','input':'hi','include':['web_search_call.action.sources']}");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(output_at(&r, 0), "action"),
                                                        "sources"),
                                        0),
                         "url")),
                     "https://a.example/");
    rendered_release(&r);
    fixture_set_release(&set);
}
END_TEST

START_TEST(included_results_and_outputs)
{
    struct fixture_set set;
    struct rendered r;
    json_t *it;

    load(&set, TOOL_FIXTURES);
    render_checked(&r, &set, "fs", NULL);
    it = output_at(&r, 0);
    ck_assert(json_is_null(json_object_get(it, "results")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(it, "queries"), 0)),
                     "refunds");
    rendered_release(&r);
    render_checked(&r, &set, "fs", "{'model':'m','input':'hi','include':['file_search_call.results']}");
    it = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(it, "results"), 0),
                                                       "file_id")),
                     "file-1");
    /* not yet in the added item */
    ck_assert(json_is_null(json_object_get(json_object_get(event_of(&r, RM_EV_ITEM_ADDED), "item"),
                                           "results")));
    rendered_release(&r);

    render_checked(&r, &set, "ci", NULL);
    it = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "code")), "a = 1 + 2");
    ck_assert_str_eq(joined(&r, RM_EV_CODE_DELTA), "a = 1 + 2");
    ck_assert_str_eq(json_string_value(json_object_get(event_of(&r, RM_EV_CODE_DONE), "code")),
                     "a = 1 + 2");
    ck_assert(json_is_null(json_object_get(it, "outputs")));
    ck_assert(harness_is_id(json_string_value(json_object_get(it, "container_id")), RM_ID_CONTAINER,
                            32));
    rendered_release(&r);
    render_checked(&r, &set, "ci",
                   "{'model':'m','input':'hi','include':['code_interpreter_call.outputs']}");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(output_at(&r, 0), "outputs"), 0), "logs")),
                     "3");
    rendered_release(&r);
    fixture_set_release(&set);
}
END_TEST

START_TEST(images_mcp_custom_shell)
{
    struct fixture_set set;
    struct rendered r;
    json_t *it, *ev;

    load(&set, TOOL_FIXTURES);
    render_checked(&r, &set, "ig", NULL);
    it = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "result")), "QUJD");
    ck_assert_str_eq(json_string_value(json_object_get(it, "size")), "1024x1024");
    ev = event_of(&r, RM_EV_IMAGE_PARTIAL);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "partial_image_b64")), "QUJD");
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "partial_image_index")), 0);
    /* recorded: the added item is id, type and status only */
    ck_assert_uint_eq(json_object_size(json_object_get(event_of(&r, RM_EV_ITEM_ADDED), "item")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "size")), "1024x1024");
    rendered_release(&r);

    render_checked(&r, &set, "mcp", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(output_at(&r, 0), "server_label")), "s");
    ck_assert_uint_eq(json_array_size(json_object_get(output_at(&r, 0), "tools")), 1);
    it = output_at(&r, 1);
    ck_assert_str_eq(json_string_value(json_object_get(it, "arguments")), "{\"k\":\"v w\"}");
    ck_assert_str_eq(joined(&r, RM_EV_MCP_ARGS_DELTA), "{\"k\":\"v w\"}");
    ck_assert_str_eq(json_string_value(json_object_get(it, "output")), "done");
    ck_assert(harness_is_id(json_string_value(json_object_get(it, "id")), RM_ID_MCP_CALL,
                            RM_ID_HEX_LEN));
    rendered_release(&r);

    render_checked(&r, &set, "mcpx", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(output_at(&r, 0), "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(output_at(&r, 0), "error")), "tool crashed");
    ck_assert(json_is_null(json_object_get(output_at(&r, 0), "output")));
    rendered_release(&r);

    render_checked(&r, &set, "mcpr", NULL);
    it = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "arguments")), "{\"k\":1}");
    ck_assert_ptr_null(json_object_get(it, "status"));
    rendered_release(&r);

    render_checked(&r, &set, "ctc", NULL);
    it = output_at(&r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "name")), "apply_patch");
    ck_assert_str_eq(joined(&r, RM_EV_CUSTOM_INPUT_DELTA), "*** Begin Patch end");
    ck_assert(harness_is_id(json_string_value(json_object_get(it, "call_id")), RM_ID_CALL,
                            RM_CALL_ID_LEN) ||
              strncmp(json_string_value(json_object_get(it, "call_id")), RM_ID_CALL, 5) == 0);
    rendered_release(&r);

    render_checked(&r, &set, "sh", NULL);
    it = output_at(&r, 0);
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(it, "action"), "commands")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_object_get(json_object_get(event_of(&r, RM_EV_ITEM_ADDED), "item"),
                                          "action"),
                          "commands")),
                      0);
    ev = event_of(&r, RM_EV_SHELL_COMMAND_DONE);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "command")), "ls");
    ck_assert_ptr_nonnull(json_object_get(it, "call_id"));
    rendered_release(&r);

    render_checked(&r, &set, "lsh", NULL);
    it = json_object_get(output_at(&r, 0), "action");
    ck_assert_str_eq(json_string_value(json_object_get(it, "type")), "exec");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(it, "command"), 1)), "-l");
    rendered_release(&r);

    render_checked(&r, &set, "cmp", NULL);
    it = output_at(&r, 0);
    ck_assert(harness_is_id(json_string_value(json_object_get(it, "id")), RM_ID_COMPACTION,
                            RM_ID_HEX_LEN));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(it, "encrypted_content")));
    rendered_release(&r);
    fixture_set_release(&set);
}
END_TEST

START_TEST(reasoning_text_and_logprobs)
{
    struct fixture_set set;
    struct rendered r;
    json_t *part, *lp, *ev;

    load(&set, TOOL_FIXTURES);
    render_checked(&r, &set, "rt", NULL);
    part = json_array_get(json_object_get(output_at(&r, 0), "content"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(part, "type")), RM_PART_REASONING_TEXT);
    ck_assert_str_eq(json_string_value(json_object_get(part, "text")), "one two");
    ck_assert_str_eq(joined(&r, RM_EV_REASONING_TEXT_DELTA), "one two");
    /* no include: empty logprobs everywhere */
    part = json_array_get(json_object_get(output_at(&r, 1), "content"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(part, "logprobs")), 0);
    rendered_release(&r);

    render_checked(&r, &set, "ws",
                   "{'model':'m','input':'hi','top_logprobs':2,"
                   "'include':['message.output_text.logprobs']}");
    part = json_array_get(json_object_get(output_at(&r, 1), "content"), 0);
    lp = json_object_get(part, "logprobs");
    ck_assert_uint_eq(json_array_size(lp), 3); /* one per delta: "See", " A", " now" */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(lp, 1), "token")), " A");
    ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(lp, 1), "bytes")), 2);
    ck_assert(json_real_value(json_object_get(json_array_get(lp, 1), "logprob")) < 0);
    ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(lp, 1), "top_logprobs")), 2);
    ev = event_of(&r, RM_EV_TEXT_DELTA);
    ck_assert_uint_eq(json_array_size(json_object_get(ev, "logprobs")), 1);
    ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(ev, "logprobs"), 0), "bytes"));
    ev = event_of(&r, RM_EV_TEXT_DONE);
    ck_assert_uint_eq(json_array_size(json_object_get(ev, "logprobs")), 3);
    rendered_release(&r);
    fixture_set_release(&set);
}
END_TEST

START_TEST(fixture_checks)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{'name':'a','response':{'output':[{'type':'web_search_call','queri':'x'}]}}",
         "unknown key 'queri' for a web_search_call item"},
        {"{'name':'a','response':{'output':[{'type':'code_interpreter_call'}]}}",
         "output[0].code: required for a code_interpreter_call item"},
        {"{'name':'a','response':{'output':[{'type':'image_generation_call','partial_images':4}]}}",
         "partial_images: expected 0 to 3"},
        {"{'name':'a','response':{'output':[{'type':'shell_call','commands':[1]}]}}",
         "commands: expected an array of strings"},
        {"{'name':'a','response':{'output':[{'type':'mcp_call','name':'t','arguments':3}]}}",
         "arguments: expected an object or a JSON string"},
        {"{'name':'a','response':{'output':[{'type':'message','text':'x','annotations':[1]}]}}",
         "annotations: expected an array of annotation objects"},
        {"{'name':'a','response':{'output':[{'type':'message','text':'x','content':'y'}]}}",
         "only a reasoning item has content"},
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fixture_set set;
        struct mock_error err;
        char *text = strdup(bad[i].text), *c;

        for (c = text; *c; c++)
            if (*c == '\'')
                *c = '"';
        memset(&set, 0, sizeof(set)); /* a set starts empty (valgrind: it was not) */
        mock_error_clear(&err);
        ck_assert_int_ne(fixture_set_load_text(&set, text, strlen(text), "t.json", &err), 0);
        ck_assert_msg(strstr(err.text, bad[i].want) != NULL, "case %zu: %s", i, err.text);
        fixture_set_release(&set);
        free(text);
    }
}
END_TEST

/* A response stored without a stream is replayed (GET ?stream=true) with
 * the built-in items' own events, its annotations and its reasoning text,
 * rebuilt from the stored output. */
START_TEST(replay_of_a_stored_response)
{
    static const struct {
        const char *fixture, *event;
    } cases[] = {
        {"builtin-code-interpreter", "event: response.code_interpreter_call_code.delta\n"},
        {"builtin-web-search", "event: response.output_text.annotation.added\n"},
        {"builtin-shell", "event: response.shell_call_command.done\n"},
        {"builtin-mcp", "event: response.mcp_call_arguments.done\n"},
        {"reasoning-text", "event: response.reasoning_text.delta\n"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rm_reply r;
        json_t *doc = call_h("POST", "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}",
                             cases[i].fixture, NULL, &r);
        char *bytes;
        size_t len;

        ck_assert_int_eq(r.status, 200);
        reply_release(&r);
        json_decref(call("GET", pathf("/v1/responses/%s?stream=true", json_util_str(doc, "id")),
                         NULL, &r));
        ck_assert_int_eq(r.status, 200);
        bytes = harness_reply_bytes(&r, &len);
        ck_assert_msg(strstr(bytes, cases[i].event) != NULL, "%s: no %s in\n%.2000s",
                      cases[i].fixture, cases[i].event, bytes);
        free(bytes);
        reply_release(&r);
        json_decref(doc);
    }
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render_builtin");
    TCase *tc;

    tc = tcase_create("sequences");
    tcase_add_test(tc, event_sequences);
    suite_add_tcase(s, tc);
    tc = tcase_create("web_search");
    tcase_add_test(tc, web_search_and_citations);
    suite_add_tcase(s, tc);
    tc = tcase_create("included");
    tcase_add_test(tc, included_results_and_outputs);
    suite_add_tcase(s, tc);
    tc = tcase_create("items");
    tcase_add_test(tc, images_mcp_custom_shell);
    suite_add_tcase(s, tc);
    tc = tcase_create("reasoning_logprobs");
    tcase_add_test(tc, reasoning_text_and_logprobs);
    suite_add_tcase(s, tc);
    tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
    tcase_add_test(tc, replay_of_a_stored_response);
    suite_add_tcase(s, tc);
    tc = tcase_create("fixture_checks");
    tcase_add_test(tc, fixture_checks);
    suite_add_tcase(s, tc);
    return s;
}
