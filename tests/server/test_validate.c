/* Unit tests for server/validate.c: every rule of validate_responses_create(),
 * validate_input_tokens() and validate_chat_create(), on both the accept and
 * the reject side. Rejections assert status, type, code and param, never the
 * message wording. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "validate.h"

typedef int (*validate_fn)(const json_t *body, struct api_error *err);

/* Bodies are written with ' standing for " to keep them readable; no test
 * body needs a literal apostrophe. Any JSON value is accepted (scalars too). */
static json_t *parse(const char *text, int line)
{
    char *copy = strdup(text);
    json_error_t jerr;
    json_t *v;
    char *p;

    ck_assert_ptr_nonnull(copy);
    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    v = json_loads(copy, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(v != NULL, "line %d: test body is not JSON: %s", line, jerr.text);
    free(copy);
    return v;
}

/* Run 'fn' on 'text'; 'code' NULL means the body must be accepted, otherwise
 * it must be rejected with 'code' and 'param' (NULL for JSON null). */
static void expect(validate_fn fn, const char *text, const char *code, const char *param,
                   int line)
{
    struct api_error err;
    json_t *body = parse(text, line);
    int rc;

    memset(&err, 0, sizeof(err));
    rc = fn(body, &err);
    json_decref(body);
    if (!code) {
        ck_assert_msg(rc == 0, "line %d: expected accept, got %s at '%s' (%s)", line,
                      err.code ? err.code : "null", err.param, err.message);
        return;
    }
    ck_assert_msg(rc == -1, "line %d: expected %s at '%s', but the body was accepted", line,
                  code, param ? param : "");
    ck_assert_msg(err.status == 400, "line %d: status %d", line, err.status);
    ck_assert_msg(err.type && strcmp(err.type, "invalid_request_error") == 0,
                  "line %d: type %s", line, err.type ? err.type : "null");
    ck_assert_msg(err.code && strcmp(err.code, code) == 0,
                  "line %d: code %s, want %s (param '%s': %s)", line,
                  err.code ? err.code : "null", code, err.param, err.message);
    ck_assert_msg(strcmp(err.param, param ? param : "") == 0,
                  "line %d: param '%s', want '%s' (%s)", line, err.param, param ? param : "",
                  err.message);
    ck_assert_msg(err.message[0] != '\0', "line %d: empty message", line);
}

#define OK(text) expect(validate_responses_create, (text), NULL, NULL, __LINE__)
#define BAD(text, code, param) expect(validate_responses_create, (text), (code), (param), __LINE__)
#define TOK_OK(text) expect(validate_input_tokens, (text), NULL, NULL, __LINE__)
#define TOK_BAD(text, code, param) expect(validate_input_tokens, (text), (code), (param), __LINE__)
#define CHAT_OK(text) expect(validate_chat_create, (text), NULL, NULL, __LINE__)
#define CHAT_BAD(text, code, param) expect(validate_chat_create, (text), (code), (param), __LINE__)

/* Common prefix: a valid model and input, so a test can add one field. */
#define MI "{'model':'gpt-4.1-mini','input':'hi',"
/* 64 characters */
#define S64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S512 S64 S64 S64 S64 S64 S64 S64 S64

/* ---- body shape and required fields ---- */

START_TEST(body_not_object)
{
    BAD("[]", "invalid_type", NULL);
    BAD("'hello'", "invalid_type", NULL);
    BAD("42", "invalid_type", NULL);
    BAD("null", "invalid_type", NULL);
    TOK_BAD("[1]", "invalid_type", NULL);
    CHAT_BAD("true", "invalid_type", NULL);
}
END_TEST

START_TEST(model_required)
{
    BAD("{}", "missing_required_parameter", "model");
    BAD("{'input':'hi'}", "missing_required_parameter", "model");
    BAD("{'model':5,'input':'hi'}", "invalid_type", "model");
    BAD("{'model':null,'input':'hi'}", "invalid_type", "model");
    BAD("{'model':['gpt'],'input':'hi'}", "invalid_type", "model");
    OK("{'model':'gpt-4.1-mini','input':'hi'}");
}
END_TEST

START_TEST(input_required)
{
    BAD("{'model':'m'}", "missing_required_parameter", "input");
    BAD("{'model':'m','input':null}", "missing_required_parameter", "input");
    BAD("{'model':'m','instructions':'be brief'}", "missing_required_parameter", "input");
    OK("{'model':'m','prompt':{'id':'pmpt_1'}}");
    OK("{'model':'m','previous_response_id':'resp_1'}");
    OK("{'model':'m','conversation':'conv_1'}");
    OK("{'model':'m','conversation':{'id':'conv_1'}}");
    BAD("{'model':'m','conversation':{}}", "missing_required_parameter", "conversation.id");
    BAD("{'model':'m','prompt':{'version':'1'}}", "missing_required_parameter", "prompt.id");
    OK("{'model':'m','input':[]}");
    /* missing model is reported before missing input */
    BAD("{'stream':true}", "missing_required_parameter", "model");
}
END_TEST

/* ---- unknown top-level keys ---- */

START_TEST(unknown_keys_rejected)
{
    BAD(MI "'foo':1}", "unknown_parameter", "foo");
    BAD(MI "'messages':[]}", "unknown_parameter", "messages");
    BAD(MI "'response_format':{'type':'json_object'}}", "unknown_parameter",
        "response_format");
    BAD(MI "'max_tokens':100}", "unknown_parameter", "max_tokens");
    BAD(MI "'personality':'friendly'}", "unknown_parameter", "personality");
}
END_TEST

START_TEST(every_spec_key_accepted)
{
    OK("{'model':'gpt-4.1-mini','input':'hi','instructions':'be brief',"
       "'previous_response_id':null,'conversation':null,'tools':[],'tool_choice':'auto',"
       "'parallel_tool_calls':true,'max_tool_calls':3,'stream':false,"
       "'stream_options':{'include_obfuscation':false},'store':true,'background':false,"
       "'text':{'format':{'type':'text'},'verbosity':'medium'},"
       "'reasoning':{'effort':'low','summary':'auto'},'max_output_tokens':256,"
       "'temperature':0.7,'top_p':0.9,'top_logprobs':5,'metadata':{'k':'v'},"
       "'truncation':'auto','include':['reasoning.encrypted_content'],'user':'u1',"
       "'safety_identifier':'sid','prompt_cache_key':'pck','prompt_cache_retention':'24h',"
       "'service_tier':'flex','prompt':null,'moderation':{'model':'omni-moderation-latest'},"
       "'context_management':[{'type':'compaction'}],'prompt_cache_options':{'ttl':'1h'}}");
    /* every nullable field as null */
    OK("{'model':'m','input':'hi','instructions':null,'previous_response_id':null,"
       "'conversation':null,'parallel_tool_calls':null,'max_tool_calls':null,'stream':null,"
       "'stream_options':null,'store':null,'background':null,'reasoning':null,"
       "'max_output_tokens':null,'temperature':null,'top_p':null,'top_logprobs':null,"
       "'metadata':null,'truncation':null,'include':null,'user':null,"
       "'safety_identifier':null,'prompt_cache_key':null,'prompt_cache_retention':null,"
       "'service_tier':null,'prompt':null,'moderation':null,'context_management':null,"
       "'prompt_cache_options':null}");
}
END_TEST

/* ---- types ---- */

START_TEST(field_types)
{
    BAD(MI "'temperature':'0.5'}", "invalid_type", "temperature");
    BAD(MI "'top_p':true}", "invalid_type", "top_p");
    BAD(MI "'max_output_tokens':'100'}", "invalid_type", "max_output_tokens");
    BAD(MI "'max_output_tokens':100.5}", "invalid_type", "max_output_tokens");
    BAD(MI "'max_tool_calls':1.5}", "invalid_type", "max_tool_calls");
    BAD(MI "'top_logprobs':'2'}", "invalid_type", "top_logprobs");
    BAD(MI "'stream':'true'}", "invalid_type", "stream");
    BAD(MI "'store':1}", "invalid_type", "store");
    BAD(MI "'background':'no'}", "invalid_type", "background");
    BAD(MI "'parallel_tool_calls':0}", "invalid_type", "parallel_tool_calls");
    BAD(MI "'metadata':[]}", "invalid_type", "metadata");
    BAD(MI "'metadata':{'n':1}}", "invalid_type", "metadata.n");
    BAD(MI "'tools':{}}", "invalid_type", "tools");
    BAD(MI "'tools':null}", "invalid_type", "tools");
    BAD(MI "'include':'reasoning.encrypted_content'}", "invalid_type", "include");
    BAD(MI "'include':[1]}", "invalid_type", "include[0]");
    BAD(MI "'previous_response_id':5}", "invalid_type", "previous_response_id");
    BAD(MI "'text':'json'}", "invalid_type", "text");
    BAD(MI "'text':{'format':'json'}}", "invalid_type", "text.format");
    BAD(MI "'reasoning':'high'}", "invalid_type", "reasoning");
    BAD(MI "'tool_choice':5}", "invalid_type", "tool_choice");
    BAD(MI "'tool_choice':null}", "invalid_type", "tool_choice");
    BAD(MI "'truncation':false}", "invalid_type", "truncation");
    BAD(MI "'instructions':5}", "invalid_type", "instructions");
    BAD(MI "'user':5}", "invalid_type", "user");
    BAD(MI "'conversation':5}", "invalid_type", "conversation");
    BAD(MI "'stream_options':true}", "invalid_type", "stream_options");
    BAD(MI "'stream_options':{'include_obfuscation':'yes'}}", "invalid_type",
        "stream_options.include_obfuscation");
    BAD("{'model':'m','input':5}", "invalid_type", "input");
    BAD("{'model':'m','input':{'role':'user','content':'hi'}}", "invalid_type", "input");
    /* integers are decimals; integral decimals are integers */
    OK(MI "'temperature':1,'top_p':1}");
    OK(MI "'max_output_tokens':64.0}");
    OK(MI "'instructions':[{'role':'developer','content':'be brief'}]}");
    BAD(MI "'instructions':[{'role':'tool','content':'x'}]}", "invalid_value",
        "instructions[0].role");
}
END_TEST

/* Two bad fields: the error names the one the rule table checks first
 * (stream before temperature, temperature before user), in either body order. */
START_TEST(first_rule_wins_in_any_order)
{
    BAD(MI "'temperature':'hot','stream':'yes'}", "invalid_type", "stream");
    BAD(MI "'stream':'yes','temperature':'hot'}", "invalid_type", "stream");
    BAD(MI "'user':5,'temperature':'hot'}", "invalid_type", "temperature");
    BAD("{'temperature':'hot','input':'hi','user':5,'model':'m'}", "invalid_type", "temperature");
    CHAT_BAD("{'model':'m','max_tokens':'9','messages':[{'role':'user','content':'hi'}],"
             "'temperature':'hot'}",
             "invalid_type", "temperature");
}
END_TEST

/* ---- ranges and lengths ---- */

START_TEST(numeric_ranges)
{
    OK(MI "'temperature':0}");
    OK(MI "'temperature':2}");
    BAD(MI "'temperature':2.1}", "decimal_above_max_value", "temperature");
    BAD(MI "'temperature':-0.1}", "decimal_below_min_value", "temperature");
    OK(MI "'top_p':0}");
    OK(MI "'top_p':1.0}");
    BAD(MI "'top_p':1.5}", "decimal_above_max_value", "top_p");
    BAD(MI "'top_p':-1}", "decimal_below_min_value", "top_p");
    OK(MI "'max_output_tokens':16}");
    BAD(MI "'max_output_tokens':15}", "integer_below_min_value", "max_output_tokens");
    BAD(MI "'max_output_tokens':0}", "integer_below_min_value", "max_output_tokens");
    OK(MI "'top_logprobs':0}");
    OK(MI "'top_logprobs':20}");
    BAD(MI "'top_logprobs':21}", "integer_above_max_value", "top_logprobs");
    BAD(MI "'top_logprobs':-1}", "integer_below_min_value", "top_logprobs");
}
END_TEST

START_TEST(metadata_limits)
{
    OK(MI "'metadata':{}}");
    OK(MI "'metadata':{'a':'1','b':'2','c':'3','d':'4','e':'5','f':'6','g':'7','h':'8',"
          "'i':'9','j':'10','k':'11','l':'12','m':'13','n':'14','o':'15','p':'16'}}");
    BAD(MI "'metadata':{'a':'1','b':'2','c':'3','d':'4','e':'5','f':'6','g':'7','h':'8',"
           "'i':'9','j':'10','k':'11','l':'12','m':'13','n':'14','o':'15','p':'16',"
           "'q':'17'}}",
        "object_above_max_properties", "metadata");
    OK(MI "'metadata':{'" S64 "':'" S512 "'}}");
    BAD(MI "'metadata':{'" S64 "b':'v'}}", "string_above_max_length", "metadata." S64 "b");
    BAD(MI "'metadata':{'somekey':'" S512 "x'}}", "string_above_max_length",
        "metadata.somekey");
    OK(MI "'safety_identifier':'" S64 "'}");
    BAD(MI "'safety_identifier':'" S64 "x'}", "string_above_max_length", "safety_identifier");
}
END_TEST

/* ---- enum values ---- */

START_TEST(enum_values)
{
    OK(MI "'tool_choice':'none'}");
    OK(MI "'tool_choice':'auto'}");
    OK(MI "'tool_choice':'required'}");
    BAD(MI "'tool_choice':'any'}", "invalid_value", "tool_choice");
    OK(MI "'truncation':'disabled'}");
    BAD(MI "'truncation':'middle'}", "invalid_value", "truncation");
    OK(MI "'service_tier':'priority'}");
    OK(MI "'service_tier':'default'}");
    BAD(MI "'service_tier':'turbo'}", "invalid_value", "service_tier");
    OK(MI "'reasoning':{'effort':'minimal'}}");
    OK(MI "'reasoning':{'effort':'xhigh','summary':'detailed'}}");
    OK(MI "'reasoning':{'effort':null,'summary':null}}");
    BAD(MI "'reasoning':{'effort':'extreme'}}", "invalid_value", "reasoning.effort");
    BAD(MI "'reasoning':{'effort':3}}", "invalid_type", "reasoning.effort");
    BAD(MI "'reasoning':{'summary':'long'}}", "invalid_value", "reasoning.summary");
    OK(MI "'include':['file_search_call.results','web_search_call.results',"
          "'web_search_call.action.sources','message.input_image.image_url',"
          "'computer_call_output.output.image_url','code_interpreter_call.outputs',"
          "'reasoning.encrypted_content','message.output_text.logprobs']}");
    BAD(MI "'include':['reasoning.encrypted_content','output_text']}", "invalid_value",
        "include[1]");
    OK(MI "'prompt_cache_retention':'in_memory'}");
    BAD(MI "'prompt_cache_retention':'forever'}", "invalid_value", "prompt_cache_retention");
}
END_TEST

START_TEST(text_format)
{
    OK(MI "'text':{}}");
    OK(MI "'text':{'format':{'type':'text'}}}");
    OK(MI "'text':{'format':{'type':'json_object'}}}");
    OK(MI "'text':{'format':{'type':'json_schema','name':'answer_v1',"
          "'schema':{'type':'object','properties':{}},'strict':true}}}");
    OK(MI "'text':{'verbosity':'low'}}");
    BAD(MI "'text':{'verbosity':'loud'}}", "invalid_value", "text.verbosity");
    BAD(MI "'text':{'format':{'type':'xml'}}}", "invalid_value", "text.format.type");
    BAD(MI "'text':{'format':{}}}", "missing_required_parameter", "text.format.type");
    BAD(MI "'text':{'format':{'type':'json_schema','schema':{}}}}",
        "missing_required_parameter", "text.format.name");
    BAD(MI "'text':{'format':{'type':'json_schema','name':'x'}}}",
        "missing_required_parameter", "text.format.schema");
    BAD(MI "'text':{'format':{'type':'json_schema','name':'x','schema':'{}'}}}",
        "invalid_type", "text.format.schema");
    BAD(MI "'text':{'format':{'type':'json_schema','name':'my schema','schema':{}}}}",
        "invalid_value", "text.format.name");
    /* Chat's nested response_format shape */
    BAD(MI "'text':{'format':{'type':'json_schema','json_schema':{'name':'x','schema':{}}}}}",
        "missing_required_parameter", "text.format.name");
}
END_TEST

/* ---- input items ---- */

START_TEST(input_messages)
{
    OK("{'model':'m','input':[{'role':'user','content':'hi'}]}");
    OK("{'model':'m','input':[{'type':'message','role':'user','content':'hi'}]}");
    OK("{'model':'m','input':[{'role':'system','content':'s'},{'role':'developer',"
       "'content':'d'},{'role':'user','content':'u'},{'role':'assistant','content':'a'}]}");
    OK("{'model':'m','input':[{'type':'message','role':'user','status':'completed',"
       "'content':[{'type':'input_text','text':'hi'}]}]}");
    OK("{'model':'m','input':[{'id':'msg_1','type':'message','role':'assistant',"
       "'status':'completed','content':[{'type':'output_text','text':'hello',"
       "'annotations':[],'logprobs':[]}]}]}");
    OK("{'model':'m','input':[{'role':'assistant','content':[{'type':'refusal',"
       "'refusal':'no'}]}]}");
    OK("{'model':'m','input':[{'role':'user','content':''}]}");
    /* Chat-style items */
    BAD("{'model':'m','input':[{'role':'user','content':'q'},{'role':'tool',"
        "'tool_call_id':'call_1','content':'42'}]}",
        "invalid_value", "input[1].role");
    BAD("{'model':'m','input':[{'role':'user','content':'q'},{'role':'assistant',"
        "'content':null,'tool_calls':[{'id':'call_1','type':'function','function':"
        "{'name':'f','arguments':'{}'}}]}]}",
        "unknown_parameter", "input[1].tool_calls");
    BAD("{'model':'m','input':[{'role':'bot','content':'x'}]}", "invalid_value",
        "input[0].role");
    BAD("{'model':'m','input':[{'role':7,'content':'x'}]}", "invalid_type", "input[0].role");
    BAD("{'model':'m','input':[{'type':'message','content':'x'}]}",
        "missing_required_parameter", "input[0].role");
    BAD("{'model':'m','input':[{'content':'x'}]}", "missing_required_parameter",
        "input[0].role");
    BAD("{'model':'m','input':[{'foo':'bar'}]}", "missing_required_parameter",
        "input[0].type");
    BAD("{'model':'m','input':[{'role':'user'}]}", "missing_required_parameter",
        "input[0].content");
    BAD("{'model':'m','input':[{'role':'user','content':5}]}", "invalid_type",
        "input[0].content");
    BAD("{'model':'m','input':['hi']}", "invalid_type", "input[0]");
    BAD("{'model':'m','input':[{'role':'user','content':'a'},{'role':'user',"
        "'content':'b'},{'type':'bogus'}]}",
        "invalid_value", "input[2].type");
    BAD("{'model':'m','input':[{'type':5}]}", "invalid_type", "input[0].type");
}
END_TEST

START_TEST(input_tool_items)
{
    OK("{'model':'m','input':[{'type':'function_call','id':'fc_1','call_id':'call_1',"
       "'name':'get_weather','arguments':'{\\'city\\':\\'Paris\\'}'},"
       "{'type':'function_call_output','call_id':'call_1','output':'sunny'}]}");
    OK("{'model':'m','input':[{'type':'function_call_output','call_id':'call_1',"
       "'output':[{'type':'input_text','text':'sunny'},{'type':'input_image',"
       "'image_url':'https://example.com/a.png'}]}]}");
    BAD("{'model':'m','input':[{'type':'function_call','name':'f','arguments':'{}'}]}",
        "missing_required_parameter", "input[0].call_id");
    BAD("{'model':'m','input':[{'type':'function_call','call_id':'c','arguments':'{}'}]}",
        "missing_required_parameter", "input[0].name");
    BAD("{'model':'m','input':[{'type':'function_call','call_id':'c','name':'f'}]}",
        "missing_required_parameter", "input[0].arguments");
    BAD("{'model':'m','input':[{'type':'function_call','call_id':'c','name':'f',"
        "'arguments':{'city':'Paris'}}]}",
        "invalid_type", "input[0].arguments");
    BAD("{'model':'m','input':[{'type':'function_call_output','output':'x'}]}",
        "missing_required_parameter", "input[0].call_id");
    BAD("{'model':'m','input':[{'type':'function_call_output','call_id':5,'output':'x'}]}",
        "invalid_type", "input[0].call_id");
    BAD("{'model':'m','input':[{'type':'function_call_output','call_id':'c'}]}",
        "missing_required_parameter", "input[0].output");
    BAD("{'model':'m','input':[{'type':'function_call_output','call_id':'c','output':{}}]}",
        "invalid_type", "input[0].output");
    BAD("{'model':'m','input':[{'type':'function_call_output','call_id':'c',"
        "'output':[{'type':'output_text','text':'x'}]}]}",
        "invalid_value", "input[0].output[0].type");
    OK("{'model':'m','input':[{'type':'reasoning','id':'rs_1','summary':[],"
       "'encrypted_content':'abc'}]}");
    BAD("{'model':'m','input':[{'type':'reasoning','id':'rs_1','summary':'s'}]}",
        "invalid_type", "input[0].summary");
    OK("{'model':'m','input':[{'type':'item_reference','id':'msg_1'}]}");
    OK("{'model':'m','input':[{'id':'msg_1'}]}");
    BAD("{'model':'m','input':[{'type':'item_reference'}]}", "missing_required_parameter",
        "input[0].id");
    OK("{'model':'m','input':[{'type':'web_search_call','id':'ws_1','status':'completed'},"
       "{'type':'computer_call_output','call_id':'c','output':{}},"
       "{'type':'mcp_approval_response','approval_request_id':'a','approve':true},"
       "{'type':'custom_tool_call_output','call_id':'c','output':'ok'},"
       "{'type':'local_shell_call_output','id':'x','call_id':'c','output':'ok'},"
       "{'type':'compaction','encrypted_content':'e'}]}");
}
END_TEST

START_TEST(input_content_parts)
{
    OK("{'model':'m','input':[{'role':'user','content':[{'type':'input_text','text':'hi'},"
       "{'type':'input_image','image_url':'https://example.com/cat.png'},"
       "{'type':'input_image','image_url':'http://example.com/cat.png','detail':'low'},"
       "{'type':'input_image','image_url':'data:image/png;base64,iVBORw0KGgo=',"
       "'detail':'original'},"
       "{'type':'input_image','file_id':'file-abc','image_url':null,'detail':'auto'},"
       "{'type':'input_file','file_id':'file-abc'},"
       "{'type':'input_file','filename':'a.pdf','file_data':'data:application/pdf;base64,JVBE'},"
       "{'type':'input_file','file_url':'https://example.com/a.pdf'}]}]}");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_text'}]}]}",
        "missing_required_parameter", "input[0].content[0].text");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_text','text':1}]}]}",
        "invalid_type", "input[0].content[0].text");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_text','text':'a'},"
        "{'type':'input_image'}]}]}",
        "missing_required_parameter", "input[0].content[1].image_url");
    BAD("{'model':'m','input':[{'role':'user','content':'x'},{'role':'user','content':["
        "{'type':'input_text','text':'a'},{'type':'input_image',"
        "'image_url':'ftp://example.com/x.png'}]}]}",
        "invalid_value", "input[1].content[1].image_url");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_image',"
        "'image_url':'data:text/plain;base64,aGk='}]}]}",
        "invalid_value", "input[0].content[0].image_url");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_image',"
        "'image_url':'data:image/png,rawbytes'}]}]}",
        "invalid_value", "input[0].content[0].image_url");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_image',"
        "'image_url':{'url':'https://example.com/a.png'}}]}]}",
        "invalid_type", "input[0].content[0].image_url");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_image',"
        "'image_url':'https://example.com/a.png','detail':'ultra'}]}]}",
        "invalid_value", "input[0].content[0].detail");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_file'}]}]}",
        "missing_required_parameter", "input[0].content[0].file_id");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_file',"
        "'filename':'a.pdf'}]}]}",
        "missing_required_parameter", "input[0].content[0].file_id");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'input_file',"
        "'file_data':7}]}]}",
        "invalid_type", "input[0].content[0].file_data");
    /* wrong part types */
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'text','text':'hi'}]}]}",
        "invalid_value", "input[0].content[0].type");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'image_url',"
        "'image_url':{'url':'https://example.com/a.png'}}]}]}",
        "invalid_value", "input[0].content[0].type");
    BAD("{'model':'m','input':[{'role':'user','content':[{'type':'output_text',"
        "'text':'x'}]}]}",
        "invalid_value", "input[0].content[0].type");
    BAD("{'model':'m','input':[{'role':'assistant','content':[{'type':'input_image',"
        "'image_url':'https://example.com/a.png'}]}]}",
        "invalid_value", "input[0].content[0].type");
    BAD("{'model':'m','input':[{'role':'user','content':[{'text':'hi'}]}]}",
        "missing_required_parameter", "input[0].content[0].type");
    BAD("{'model':'m','input':[{'role':'user','content':['hi']}]}", "invalid_type",
        "input[0].content[0]");
    BAD("{'model':'m','input':[{'role':'assistant','content':[{'type':'output_text'}]}]}",
        "missing_required_parameter", "input[0].content[0].text");
    BAD("{'model':'m','input':[{'role':'assistant','content':[{'type':'refusal'}]}]}",
        "missing_required_parameter", "input[0].content[0].refusal");
}
END_TEST

/* ---- tools and tool_choice ---- */

START_TEST(tools_function)
{
    OK(MI "'tools':[{'type':'function','name':'get_weather','description':'d',"
          "'parameters':{'type':'object','properties':{}},'strict':true}]}");
    OK(MI "'tools':[{'type':'function','name':'get-weather_2'}]}");
    OK(MI "'tools':[{'type':'function','name':'f','parameters':null,'strict':null}]}");
    OK(MI "'tools':[{'type':'function','name':'" S64 "'}]}");
    /* Chat-style nesting */
    BAD(MI "'tools':[{'type':'function','function':{'name':'get_weather','parameters':{}}}]}",
        "missing_required_parameter", "tools[0].name");
    BAD(MI "'tools':[{'type':'function','name':'get weather'}]}", "invalid_value",
        "tools[0].name");
    BAD(MI "'tools':[{'type':'function','name':''}]}", "empty_string", "tools[0].name");
    BAD(MI "'tools':[{'type':'function','name':'" S64 "x'}]}", "string_above_max_length",
        "tools[0].name");
    BAD(MI "'tools':[{'type':'function','name':5}]}", "invalid_type", "tools[0].name");
    BAD(MI "'tools':[{'type':'function','name':'f','parameters':'{}'}]}", "invalid_type",
        "tools[0].parameters");
    BAD(MI "'tools':[{'type':'function','name':'f','strict':'yes'}]}", "invalid_type",
        "tools[0].strict");
    BAD(MI "'tools':[{'name':'f'}]}", "missing_required_parameter", "tools[0].type");
    BAD(MI "'tools':['f']}", "invalid_type", "tools[0]");
    BAD(MI "'tools':[{'type':'function','name':'f'},{'type':'calculator'}]}",
        "invalid_value", "tools[1].type");
}
END_TEST

START_TEST(tools_builtin)
{
    OK(MI "'tools':[{'type':'web_search'},{'type':'web_search_2025_08_26'},"
          "{'type':'web_search_preview','search_context_size':'medium'},"
          "{'type':'web_search_preview_2025_03_11'},"
          "{'type':'file_search','vector_store_ids':['vs_1']},"
          "{'type':'code_interpreter','container':'auto'},{'type':'image_generation'},"
          "{'type':'mcp','server_label':'s','server_url':'https://example.com/mcp'},"
          "{'type':'computer_use_preview','environment':'browser','display_width':1024,"
          "'display_height':768},{'type':'computer'},{'type':'custom','name':'c'},"
          "{'type':'local_shell'},{'type':'shell'},{'type':'apply_patch'},"
          "{'type':'namespace','name':'n','description':'d','tools':[]},"
          "{'type':'tool_search'},{'type':'programmatic_tool_calling'}]}");
}
END_TEST

START_TEST(tool_choice_objects)
{
    OK(MI "'tool_choice':{'type':'function','name':'get_weather'}}");
    OK(MI "'tool_choice':{'type':'allowed_tools','mode':'auto',"
          "'tools':[{'type':'function','name':'f'}]}}");
    OK(MI "'tool_choice':{'type':'web_search_preview'}}");
    OK(MI "'tool_choice':{'type':'file_search'}}");
    OK(MI "'tool_choice':{'type':'image_generation'}}");
    OK(MI "'tool_choice':{'type':'code_interpreter'}}");
    OK(MI "'tool_choice':{'type':'computer_use_preview'}}");
    OK(MI "'tool_choice':{'type':'mcp','server_label':'s'}}");
    OK(MI "'tool_choice':{'type':'custom','name':'c'}}");
    OK(MI "'tool_choice':{'type':'shell'}}");
    BAD(MI "'tool_choice':{'type':'function'}}", "missing_required_parameter",
        "tool_choice.name");
    /* Chat-style nesting */
    BAD(MI "'tool_choice':{'type':'function','function':{'name':'f'}}}",
        "missing_required_parameter", "tool_choice.name");
    BAD(MI "'tool_choice':{'type':'allowed_tools','mode':'sometimes','tools':[]}}",
        "invalid_value", "tool_choice.mode");
    BAD(MI "'tool_choice':{'type':'allowed_tools','mode':'auto'}}",
        "missing_required_parameter", "tool_choice.tools");
    BAD(MI "'tool_choice':{'type':'mcp'}}", "missing_required_parameter",
        "tool_choice.server_label");
    BAD(MI "'tool_choice':{'type':'calculator'}}", "invalid_value", "tool_choice.type");
    BAD(MI "'tool_choice':{}}", "missing_required_parameter", "tool_choice.type");
}
END_TEST

/* ---- POST /v1/responses/input_tokens ---- */

START_TEST(input_tokens_body)
{
    TOK_OK("{}");
    TOK_OK("{'input':'hi'}");
    TOK_OK("{'model':'gpt-4.1-mini','input':[{'role':'user','content':'hi'}],"
           "'tools':[{'type':'function','name':'f'}],'personality':'friendly'}");
    /* TokenCountsBody makes every field nullable */
    TOK_OK("{'model':null,'input':null,'tools':null,'tool_choice':null,'text':null}");
    TOK_BAD("{'input':'hi','foo':1}", "unknown_parameter", "foo");
    TOK_BAD("{'model':5}", "invalid_type", "model");
    TOK_BAD("{'input':[{'role':'tool','content':'x'}]}", "invalid_value", "input[0].role");
    TOK_BAD("{'tools':[{'type':'function'}]}", "missing_required_parameter", "tools[0].name");
    TOK_BAD("{'truncation':'middle'}", "invalid_value", "truncation");
    TOK_BAD("{'personality':3}", "invalid_type", "personality");
}
END_TEST

/* ---- POST /v1/chat/completions ---- */

START_TEST(chat_required)
{
    CHAT_OK("{'model':'gpt-4o','messages':[{'role':'user','content':'hi'}]}");
    CHAT_BAD("{'messages':[{'role':'user','content':'hi'}]}", "missing_required_parameter",
             "model");
    CHAT_BAD("{'model':'gpt-4o'}", "missing_required_parameter", "messages");
    CHAT_BAD("{'model':'gpt-4o','input':'hi'}", "missing_required_parameter", "messages");
    CHAT_BAD("{'model':'gpt-4o','messages':[]}", "empty_array", "messages");
    CHAT_BAD("{'model':'gpt-4o','messages':'hi'}", "invalid_type", "messages");
    CHAT_BAD("{'model':3,'messages':[{'role':'user','content':'hi'}]}", "invalid_type",
             "model");
    /* unknown keys are accepted for Chat */
    CHAT_OK("{'model':'gpt-4o','messages':[{'role':'user','content':'hi'}],'seed':1,"
            "'logit_bias':{'50256':-100},'frequency_penalty':0.5,'foo':'bar'}");
}
END_TEST

START_TEST(chat_messages)
{
    CHAT_OK("{'model':'m','messages':[{'role':'system','content':'s'},"
            "{'role':'developer','content':'d'},"
            "{'role':'user','content':[{'type':'text','text':'hi'}]},"
            "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1',"
            "'type':'function','function':{'name':'f','arguments':'{}'}}]},"
            "{'role':'tool','tool_call_id':'call_1','content':'42'},"
            "{'role':'assistant','content':'done'},"
            "{'role':'function','name':'f','content':null}]}");
    CHAT_OK("{'model':'m','messages':[{'role':'assistant','tool_calls':[{'id':'c',"
            "'type':'function','function':{'name':'f','arguments':'{}'}}]}]}");
    CHAT_BAD("{'model':'m','messages':[{'content':'hi'}]}", "missing_required_parameter",
             "messages[0].role");
    CHAT_BAD("{'model':'m','messages':[{'role':'bot','content':'hi'}]}", "invalid_value",
             "messages[0].role");
    CHAT_BAD("{'model':'m','messages':[{'role':'user'}]}", "missing_required_parameter",
             "messages[0].content");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'a'},{'role':'user',"
             "'content':null}]}",
             "invalid_type", "messages[1].content");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'a'},"
             "{'role':'assistant','content':null}]}",
             "invalid_type", "messages[1].content");
    CHAT_BAD("{'model':'m','messages':[{'role':'assistant'}]}", "missing_required_parameter",
             "messages[0].content");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':5}]}", "invalid_type",
             "messages[0].content");
    CHAT_BAD("{'model':'m','messages':[{'role':'tool','content':'42'}]}",
             "missing_required_parameter", "messages[0].tool_call_id");
    CHAT_BAD("{'model':'m','messages':['hi']}", "invalid_type", "messages[0]");
}
END_TEST

START_TEST(chat_fields)
{
    CHAT_OK("{'model':'m','messages':[{'role':'user','content':'hi'}],'temperature':2,"
            "'top_p':0,'n':2,'stream':true,'stream_options':{'include_usage':true},"
            "'tools':[{'type':'function','function':{'name':'f','parameters':{},"
            "'strict':false}}]}");
    CHAT_OK("{'model':'m','messages':[{'role':'user','content':'hi'}],'temperature':null,"
            "'top_p':null,'n':null,'stream':null,'stream_options':null}");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'temperature':3}",
             "decimal_above_max_value", "temperature");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'temperature':'1'}",
             "invalid_type", "temperature");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'top_p':-0.5}",
             "decimal_below_min_value", "top_p");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'n':0}",
             "integer_below_min_value", "n");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'n':1.5}",
             "invalid_type", "n");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'stream':'yes'}",
             "invalid_type", "stream");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'stream_options':[]}",
             "invalid_type", "stream_options");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],'tools':{}}",
             "invalid_type", "tools");
    /* Responses-style flat function tool */
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],"
             "'tools':[{'type':'function','name':'f'}]}",
             "missing_required_parameter", "tools[0].function");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],"
             "'tools':[{'type':'function','function':{'parameters':{}}}]}",
             "missing_required_parameter", "tools[0].function.name");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],"
             "'tools':[{'type':'function','function':{'name':'a b'}}]}",
             "invalid_value", "tools[0].function.name");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],"
             "'tools':[{'type':'web_search'}]}",
             "invalid_value", "tools[0].type");
    CHAT_BAD("{'model':'m','messages':[{'role':'user','content':'hi'}],"
             "'tools':[{'function':{'name':'f'}}]}",
             "missing_required_parameter", "tools[0].type");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("validate");

    add_tcase(s, tcase_create("missing_model"), 60, NULL, NULL, body_not_object, model_required,
              input_required);

    add_tcase(s, tcase_create("unknown_params"), 60, NULL, NULL, unknown_keys_rejected,
              every_spec_key_accepted);

    add_tcase(s, tcase_create("types"), 60, NULL, NULL, field_types, first_rule_wins_in_any_order);

    add_tcase(s, tcase_create("ranges"), 60, NULL, NULL, numeric_ranges, metadata_limits);

    add_tcase(s, tcase_create("enums"), 60, NULL, NULL, enum_values, text_format);

    add_tcase(s, tcase_create("input_items"), 60, NULL, NULL, input_messages, input_tool_items);

    add_tcase(s, tcase_create("multimodal"), 60, NULL, NULL, input_content_parts);

    add_tcase(s, tcase_create("tools"), 60, NULL, NULL, tools_function, tools_builtin,
              tool_choice_objects);

    add_tcase(s, tcase_create("input_tokens"), 60, NULL, NULL, input_tokens_body);

    add_tcase(s, tcase_create("chat"), 60, NULL, NULL, chat_required, chat_messages, chat_fields);

    return s;
}
