/* Unit tests for server/auto_answer.c and server/ask.c through the shipped
 * request-aware default fixture (no socket): a call to the request's own
 * tool honouring tool_choice (auto, none, required, named, allowed_tools)
 * with schema-valid arguments, the answer after tool results (Responses
 * and Chat alike, so tool loops end), parallel calls, structured output,
 * reasoning items (summary and encrypted content only when asked for), and
 * a replay of a stored request-aware answer. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "router.h"
#include "server_harness.h"
#include "test_support.h"

#define TOOL(name)                                                                             \
    "{\"type\":\"function\",\"name\":\"" name "\",\"parameters\":{\"type\":\"object\","           \
    "\"properties\":{\"orderId\":{\"type\":\"string\",\"pattern\":\"^ORD-[0-9]{4}$\"},"            \
    "\"qty\":{\"type\":\"integer\",\"minimum\":2}},\"required\":[\"orderId\",\"qty\"],"            \
    "\"additionalProperties\":false}}"
#define CHAT_TOOL(name)                                                                        \
    "{\"type\":\"function\",\"function\":{\"name\":\"" name "\",\"parameters\":{\"type\":"        \
    "\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}"

/* POST /v1/responses with 'body' (must be 200); returns the Response. */
static json_t *create(const char *body)
{
    struct rm_reply r;
    json_t *doc = call("POST", "/v1/responses", body, &r);

    ck_assert_msg(r.status == 200 && doc, "%d %s", r.status, r.body ? r.body : "");
    reply_release(&r);
    return doc;
}

/* Types of the output items, space-separated (static buffer). */
static const char *types(const json_t *resp)
{
    static char out[512];
    json_t *it;
    size_t i, n = 0;

    out[0] = '\0';
    json_array_foreach(json_object_get(resp, "output"), i, it)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "",
                              json_util_str(it, "type"));
    return out;
}

static const json_t *item(const json_t *resp, size_t i)
{
    return json_array_get(json_object_get(resp, "output"), i);
}

static const char *text_of(const json_t *resp, size_t i)
{
    return json_util_str(json_array_get(json_object_get(item(resp, i), "content"), 0), "text");
}

START_TEST(calls_the_requests_own_tool)
{
    json_t *r = create("{\"model\":\"gpt-4.1\",\"input\":\"find my order\",\"tools\":[" TOOL(
        "lookupOrder") "]}");
    json_t *args;

    ck_assert_str_eq(types(r), "function_call");
    ck_assert_str_eq(json_util_str(item(r, 0), "name"), "lookupOrder");
    args = json_loads(json_util_str(item(r, 0), "arguments"), 0, NULL);
    ck_assert_str_eq(json_util_str(args, "orderId"), "ORD-0000");
    ck_assert_int_ge(json_integer_value(json_object_get(args, "qty")), 2);
    ck_assert_uint_eq(json_object_size(args), 2);
    json_decref(args);
    json_decref(r);
}
END_TEST

START_TEST(tool_choice_is_honoured)
{
    json_t *r;

    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tool_choice\":\"none\",\"tools\":[" TOOL(
        "a") "]}");
    ck_assert_str_eq(types(r), "message");
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tool_choice\":{\"type\":\"function\","
               "\"name\":\"b\"},\"tools\":[" TOOL("a") "," TOOL("b") "]}");
    ck_assert_str_eq(json_util_str(item(r, 0), "name"), "b");
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tool_choice\":{\"type\":"
               "\"allowed_tools\",\"mode\":\"required\",\"tools\":[{\"type\":\"function\","
               "\"name\":\"c\"}]},\"tools\":[" TOOL("a") "," TOOL("c") "]}");
    ck_assert_str_eq(json_util_str(item(r, 0), "name"), "c");
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tool_choice\":\"required\",\"tools\":[" TOOL(
        "a") "]}");
    ck_assert_str_eq(types(r), "function_call");
    json_decref(r);
}
END_TEST

START_TEST(answer_after_tool_results)
{
    json_t *r = create("{\"model\":\"gpt-4.1\",\"tools\":[" TOOL("lookupOrder") "],\"input\":["
                       "{\"role\":\"user\",\"content\":\"order?\"},{\"type\":\"function_call\","
                       "\"call_id\":\"call_1\",\"name\":\"lookupOrder\",\"arguments\":\"{}\"},"
                       "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":"
                       "\"shipped on Monday\"}]}");

    ck_assert_str_eq(types(r), "message");
    ck_assert_ptr_nonnull(strstr(text_of(r, 0), "shipped on Monday"));
    json_decref(r);
}
END_TEST

START_TEST(chat_tool_loop_ends)
{
    struct rm_reply rep;
    json_t *doc, *msg;

    doc = call("POST", "/v1/chat/completions",
               "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
               "\"tools\":[" CHAT_TOOL("getCity") "]}",
               &rep);
    ck_assert_int_eq(rep.status, 200);
    msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    ck_assert_str_eq(json_util_str(json_object_get(json_array_get(json_object_get(msg, "tool_calls"),
                                                                  0),
                                                   "function"),
                                   "name"),
                     "getCity");
    json_decref(doc);
    reply_release(&rep);
    doc = call("POST", "/v1/chat/completions",
               "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
               "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
               "\"type\":\"function\",\"function\":{\"name\":\"getCity\",\"arguments\":\"{}\"}}]},"
               "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Paris\"}],"
               "\"tools\":[" CHAT_TOOL("getCity") "]}",
               &rep);
    ck_assert_int_eq(rep.status, 200);
    msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    ck_assert_ptr_null(json_object_get(msg, "tool_calls"));
    ck_assert_ptr_nonnull(strstr(json_util_str(msg, "content"), "Paris"));
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(doc, "choices"), 0),
                                   "finish_reason"),
                     "stop");
    json_decref(doc);
    reply_release(&rep);
}
END_TEST

START_TEST(structured_output)
{
    json_t *r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"text\":{\"format\":{\"type\":"
                       "\"json_schema\",\"name\":\"person\",\"strict\":true,\"schema\":{\"type\":"
                       "\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":"
                       "\"integer\",\"minimum\":18}},\"required\":[\"name\",\"age\"],"
                       "\"additionalProperties\":false}}}}"),
           *v;
    struct rm_reply rep;

    v = json_loads(text_of(r, 0), 0, NULL);
    ck_assert_msg(v != NULL, "not JSON: %s", text_of(r, 0));
    ck_assert(json_is_string(json_object_get(v, "name")));
    ck_assert_int_ge(json_integer_value(json_object_get(v, "age")), 18);
    json_decref(v);
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"text\":{\"format\":{\"type\":"
               "\"json_object\"}}}");
    v = json_loads(text_of(r, 0), 0, NULL);
    ck_assert(json_is_object(v));
    json_decref(v);
    json_decref(r);
    /* Chat response_format, streamed: the deltas join to the same JSON. */
    r = call("POST", "/v1/chat/completions",
             "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
             "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\","
             "\"schema\":{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},"
             "\"required\":[\"ok\"]}}}}",
             &rep);
    v = json_loads(json_util_str(json_object_get(json_array_get(json_object_get(r, "choices"), 0),
                                                 "message"),
                                 "content"),
                   0, NULL);
    ck_assert(json_is_boolean(json_object_get(v, "ok")));
    json_decref(v);
    json_decref(r);
    reply_release(&rep);
}
END_TEST

START_TEST(reasoning_items)
{
    json_t *r;

    r = create("{\"model\":\"gpt-5-mini\",\"input\":\"x\"}");
    ck_assert_str_eq(types(r), "reasoning message");
    ck_assert_uint_eq(json_array_size(json_object_get(item(r, 0), "summary")), 0);
    ck_assert_ptr_null(json_object_get(item(r, 0), "encrypted_content"));
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"reasoning\":{\"effort\":\"low\","
               "\"summary\":\"auto\"},\"include\":[\"reasoning.encrypted_content\"]}");
    ck_assert_str_eq(types(r), "reasoning message");
    ck_assert_uint_eq(json_array_size(json_object_get(item(r, 0), "summary")), 1);
    ck_assert(json_util_str(item(r, 0), "encrypted_content") != NULL);
    json_decref(r);
    r = create("{\"model\":\"gpt-5-mini\",\"input\":\"x\",\"reasoning\":{\"effort\":\"none\"}}");
    ck_assert_str_eq(types(r), "message");
    json_decref(r);
    /* The item comes back as input (with an item_reference to it). */
    r = create("{\"model\":\"gpt-5-mini\",\"input\":[{\"type\":\"reasoning\",\"id\":\"rs_1\","
               "\"summary\":[],\"encrypted_content\":\"gAAAAABx\"},{\"type\":\"item_reference\","
               "\"id\":\"rs_1\"},{\"role\":\"user\",\"content\":\"again\"}],\"tools\":[" TOOL(
                   "a") "]}");
    ck_assert_str_eq(types(r), "reasoning function_call");
    json_decref(r);
}
END_TEST

/* A request-aware answer stored without streaming replays its own items. */
START_TEST(replay_of_an_auto_answer)
{
    json_t *r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[" TOOL("lookupOrder") "]}");
    struct rm_reply rep;
    char *bytes;
    size_t len;

    json_decref(call("GET", pathf("/v1/responses/%s?stream=true", json_util_str(r, "id")), NULL,
                     &rep));
    ck_assert_int_eq(rep.status, 200);
    bytes = harness_reply_bytes(&rep, &len);
    ck_assert_ptr_nonnull(strstr(bytes, "response.function_call_arguments.delta"));
    ck_assert_ptr_nonnull(strstr(bytes, "lookupOrder"));
    free(bytes);
    reply_release(&rep);
    json_decref(r);
}
END_TEST

/* "parallel_calls" calls every callable tool, unless the request forbids
 * parallel calls. */
START_TEST(parallel_calls)
{
    char *dir = harness_fixture_dir("{'name':'par','response':{'auto':true,'parallel_calls':true,"
                                    "'output':[{'type':'message','text':'ok'}]}}");
    json_t *r;

    harness_restart(0, dir);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[" TOOL("a") "," TOOL(
        "b") "]}");
    ck_assert_str_eq(types(r), "function_call function_call");
    ck_assert_str_eq(json_util_str(item(r, 1), "name"), "b");
    ck_assert_str_ne(json_util_str(item(r, 0), "call_id"), json_util_str(item(r, 1), "call_id"));
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":\"x\",\"parallel_tool_calls\":false,"
               "\"tools\":[" TOOL("a") "," TOOL("b") "]}");
    ck_assert_str_eq(types(r), "function_call");
    json_decref(r);
    harness_remove_fixture_dir(dir);
}
END_TEST

/* The shipped examples key on the user's prompt, never on instructions. */
START_TEST(prompt_not_instructions)
{
    json_t *r;

    r = create("{\"model\":\"gpt-4.1\",\"instructions\":\"think first, refuse nothing\","
               "\"input\":[{\"role\":\"developer\",\"content\":\"think\"},"
               "{\"role\":\"user\",\"content\":\"hello\"}]}");
    ck_assert_str_eq(types(r), "message");
    ck_assert_str_eq(text_of(r, 0), "Hello! This is respmock, an offline stand-in for the Responses API.");
    json_decref(r);
    r = create("{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":"
               "[{\"type\":\"input_text\",\"text\":\"please think\"}]}]}");
    ck_assert_str_eq(types(r), "reasoning message");
    json_decref(r);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("auto_answer");

    add_tcase(s, tcase_create("tools"), 60, harness_setup, harness_teardown,
              calls_the_requests_own_tool, tool_choice_is_honoured, answer_after_tool_results,
              chat_tool_loop_ends, parallel_calls, prompt_not_instructions);
    add_tcase(s, tcase_create("formats"), 60, harness_setup, harness_teardown, structured_output,
              reasoning_items, replay_of_an_auto_answer);
    return s;
}
