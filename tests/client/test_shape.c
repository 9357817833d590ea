/* test_shape: structural checks of respsmoke (client/shape.c): the contract's
 * examples pass, extra fields pass, wrong types fail with a useful reason,
 * and gateway error variants (CometAPI) pass with notes. */
#include <check.h>
#include <string.h>

#include "shape.h"
#include "test_support.h"

/* Contract §3.3, plus fields a newer API might add. */
static const char *const text_response =
    "{\"id\":\"resp_0001\",\"object\":\"response\",\"created_at\":1741476542,"
    "\"status\":\"completed\",\"completed_at\":1741476543,\"background\":false,\"error\":null,"
    "\"incomplete_details\":null,\"instructions\":null,\"max_output_tokens\":null,"
    "\"model\":\"gpt-4.1-mini\",\"output\":[{\"id\":\"msg_0001\",\"type\":\"message\","
    "\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
    "\"text\":\"Hello!\",\"annotations\":[],\"logprobs\":[]}]}],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},"
    "\"service_tier\":\"default\",\"store\":true,\"temperature\":1.0,\"text\":{\"format\":"
    "{\"type\":\"text\"},\"verbosity\":\"medium\"},\"tool_choice\":\"auto\",\"tools\":[],"
    "\"top_p\":1.0,\"usage\":{\"input_tokens\":9,\"output_tokens\":3,\"total_tokens\":12},"
    "\"metadata\":{},\"moderation\":{\"flagged\":false},\"future_field\":[1,2,3]}";

static json_t *load(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    ck_assert_ptr_nonnull(v);
    return v;
}

START_TEST(contract_example_passes)
{
    json_t *r = load(text_response);
    struct notes notes;
    struct buf text;
    char why[200] = "";

    notes_init(&notes);
    ck_assert_int_eq(shape_response(r, why, sizeof(why), &notes), 0);
    ck_assert_uint_eq(notes.count, 0);
    buf_init(&text, 1024);
    ck_assert_int_eq(shape_output_text(r, &text), 1);
    ck_assert_str_eq(text.data, "Hello!");
    buf_release(&text);
    notes_release(&notes);
    json_decref(r);
}
END_TEST

START_TEST(wrong_types_fail_with_a_path)
{
    static const struct {
        const char *key;   /* top-level key to replace */
        const char *value; /* JSON text */
        const char *why;   /* expected in the reason */
    } cases[] = {
        {"object", "\"chat.completion\"", "object"},
        {"id", "42", "id"},
        {"created_at", "\"yesterday\"", "created_at"},
        {"status", "\"requires_action\"", "status"},
        {"output", "{}", "output"},
        {"output", "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"Hello\"}]",
         "output[0].content"},
        {"output", "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":"
                   "\"output_text\",\"text\":7}]}]", "output[0].content[0].text"},
        {"output", "[{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"f\","
                   "\"arguments\":{\"a\":1}}]", "output[0].arguments"},
        {"usage", "{\"input_tokens\":\"9\",\"output_tokens\":3,\"total_tokens\":12}",
         "usage.input_tokens"},
        {"error", NULL, "error"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *r = load(text_response);
        char why[200] = "";
        if (cases[i].value)
            json_object_set_new(r, cases[i].key, load(cases[i].value));
        else
            json_object_del(r, cases[i].key);
        ck_assert_msg(shape_response(r, why, sizeof(why), NULL) == -1, "case %zu passed", i);
        ck_assert_msg(strstr(why, cases[i].why) != NULL, "case %zu: '%s' lacks '%s'", i, why,
                      cases[i].why);
        json_decref(r);
    }
}
END_TEST

START_TEST(missing_optional_keys_are_noted)
{
    json_t *r = load(text_response);
    struct notes notes;

    notes_init(&notes);
    json_object_del(r, "top_p");
    json_object_del(r, "usage");
    ck_assert_int_eq(shape_response(r, NULL, 0, &notes), 0);
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "top_p"));
    notes_release(&notes);
    json_decref(r);
}
END_TEST

START_TEST(openai_error_envelope_passes)
{
    json_t *e = load("{\"error\":{\"message\":\"Missing required parameter: 'model'.\","
                     "\"type\":\"invalid_request_error\",\"param\":\"model\","
                     "\"code\":\"missing_required_parameter\"}}");
    struct shape_error_info info;
    struct notes notes;

    notes_init(&notes);
    ck_assert_int_eq(shape_error(e, NULL, 0, &notes, &info), 0);
    ck_assert_str_eq(info.type, "invalid_request_error");
    ck_assert_str_eq(info.code, "missing_required_parameter");
    ck_assert_uint_eq(notes.count, 0);
    notes_release(&notes);
    json_decref(e);
}
END_TEST

START_TEST(cometapi_error_variant_passes_with_notes)
{
    json_t *e = load("{\"error\":{\"code\":\"\",\"message\":\"model name is required (request id:"
                     " 2025)\",\"type\":\"comet_api_error\"}}");
    struct shape_error_info info;
    struct notes notes;

    notes_init(&notes);
    ck_assert_int_eq(shape_error(e, NULL, 0, &notes, &info), 0);
    ck_assert_str_eq(info.type, "comet_api_error");
    ck_assert_str_eq(info.code, "\"\"");
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "gateway variant: error type comet_api_error"));
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "empty-string error code"));
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "error.param missing"));
    notes_release(&notes);
    json_decref(e);
}
END_TEST

START_TEST(broken_error_envelopes_fail)
{
    static const char *const bodies[] = {
        "[]", "{\"message\":\"flat\"}", "{\"error\":\"text\"}",
        "{\"error\":{\"type\":\"invalid_request_error\"}}",
        "{\"error\":{\"message\":\"m\",\"type\":null}}", NULL};
    int i;

    for (i = 0; bodies[i]; i++) {
        json_t *e = load(bodies[i]);
        char why[200] = "";
        ck_assert_msg(shape_error(e, why, sizeof(why), NULL, NULL) == -1, "%s passed", bodies[i]);
        json_decref(e);
    }
    ck_assert_int_eq(shape_error(NULL, NULL, 0, NULL, NULL), -1);
}
END_TEST

START_TEST(chat_completion_shapes)
{
    json_t *c = load("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
                     "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                     "\"assistant\",\"content\":null,\"refusal\":null,\"tool_calls\":[{\"id\":"
                     "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                     "\"arguments\":\"{}\"}}]},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}"
                     "],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2},"
                     "\"system_fingerprint\":\"fp\"}");
    char why[200];

    ck_assert_int_eq(shape_chat_completion(c, why, sizeof(why), NULL), 0);
    json_object_set_new(json_object_get(json_array_get(json_object_get(c, "choices"), 0),
                                        "message"),
                        "tool_calls", load("[{\"id\":\"call_1\",\"function\":{\"name\":\"f\","
                                           "\"arguments\":{}}}]"));
    ck_assert_int_eq(shape_chat_completion(c, why, sizeof(why), NULL), -1);
    json_decref(c);
}
END_TEST

START_TEST(models_list)
{
    json_t *m = load("{\"object\":\"list\",\"data\":[{\"id\":\"a\",\"object\":\"model\"},"
                     "{\"id\":\"b\"}]}");
    const char *first = NULL;

    ck_assert_int_eq(shape_models(m, NULL, 0, &first), 0);
    ck_assert_str_eq(first, "a");
    json_decref(m);
    m = load("{\"data\":[{\"name\":\"a\"}]}");
    ck_assert_int_eq(shape_models(m, NULL, 0, &first), -1);
    json_decref(m);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("shape");
    add_tcase(s, tcase_create("response"), 10, NULL, NULL, contract_example_passes,
              wrong_types_fail_with_a_path, missing_optional_keys_are_noted, chat_completion_shapes,
              models_list);
    add_tcase(s, tcase_create("error_envelope"), 10, NULL, NULL, openai_error_envelope_passes,
              cometapi_error_variant_passes_with_notes, broken_error_envelopes_fail);
    return s;
}
