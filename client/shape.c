/* shape: structural checks of contract documents (see shape.h).
 * Each check reports the first problem as a JSON path plus the type found. */
#include "shape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "redact.h"

/* Write the problem into 'why' and return -1. */
__attribute__((format(printf, 3, 4))) static int problem(char *why, size_t n, const char *fmt,
                                                         ...)
{
    va_list ap;

    if (why && n) {
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *type_name(const json_t *v)
{
    if (!v)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Check one content part of an output message. */
static int shape_part(const json_t *part, size_t i, size_t j, char *why, size_t n)
{
    const char *type = json_util_str(part, "type");

    if (!json_is_object(part))
        return problem(why, n, "output[%zu].content[%zu] is %s, expected an object", i, j,
                       type_name(part));
    if (!type)
        return problem(why, n, "output[%zu].content[%zu].type is %s, expected a string", i, j,
                       type_name(json_object_get(part, "type")));
    if (strcmp(type, RM_PART_OUTPUT_TEXT) == 0) {
        json_t *ann = json_object_get(part, "annotations");
        if (!json_is_string(json_object_get(part, "text")))
            return problem(why, n, "output[%zu].content[%zu].text is %s, expected a string", i,
                           j, type_name(json_object_get(part, "text")));
        if (ann && !json_is_array(ann))
            return problem(why, n,
                           "output[%zu].content[%zu].annotations is %s, expected an array", i, j,
                           type_name(ann));
    } else if (strcmp(type, RM_PART_REFUSAL) == 0) {
        if (!json_is_string(json_object_get(part, "refusal")))
            return problem(why, n, "output[%zu].content[%zu].refusal is %s, expected a string",
                           i, j, type_name(json_object_get(part, "refusal")));
    }
    return 0;
}

/* Check one output item; unknown item types only need a string "type". */
static int shape_item(const json_t *item, size_t i, char *why, size_t n)
{
    const char *type = json_util_str(item, "type");
    json_t *v;
    size_t j;

    if (!json_is_object(item))
        return problem(why, n, "output[%zu] is %s, expected an object", i, type_name(item));
    if (!type)
        return problem(why, n, "output[%zu].type is %s, expected a string", i,
                       type_name(json_object_get(item, "type")));
    if (strcmp(type, RM_ITEM_MESSAGE) == 0) {
        if (!json_is_string(json_object_get(item, "role")))
            return problem(why, n, "output[%zu].role is %s, expected a string", i,
                           type_name(json_object_get(item, "role")));
        v = json_object_get(item, "content");
        if (!json_is_array(v))
            return problem(why, n, "output[%zu].content is %s, expected an array", i,
                           type_name(v));
        for (j = 0; j < json_array_size(v); j++)
            if (shape_part(json_array_get(v, j), i, j, why, n))
                return -1;
    } else if (strcmp(type, RM_ITEM_FUNCTION_CALL) == 0) {
        static const char *const keys[] = {"call_id", "name", "arguments", NULL};
        const char *const *k;
        for (k = keys; *k; k++) {
            v = json_object_get(item, *k);
            if (!json_is_string(v))
                return problem(why, n, "output[%zu].%s is %s, expected a string", i, *k,
                               type_name(v));
        }
    } else if (strcmp(type, RM_ITEM_REASONING) == 0) {
        v = json_object_get(item, "summary");
        if (v && !json_is_array(v))
            return problem(why, n, "output[%zu].summary is %s, expected an array", i,
                           type_name(v));
    }
    return 0;
}

/* Check a usage object 'v' whose 'keys' must be integers; 'expected' says
 * what usage may be in the problem text. */
static int shape_usage(const json_t *v, const char *const *keys, const char *expected,
                       char *why, size_t n)
{
    const char *const *k;

    if (!json_is_object(v))
        return problem(why, n, "usage is %s, expected %s", type_name(v), expected);
    for (k = keys; *k; k++)
        if (!json_is_integer(json_object_get(v, *k)))
            return problem(why, n, "usage.%s is %s, expected an integer", *k,
                           type_name(json_object_get(v, *k)));
    return 0;
}

void shape_note_usage_extras(const json_t *usage, int chat, struct notes *notes)
{
    static const char *const responses_keys[] = {"input_tokens", "input_tokens_details",
                                                 "output_tokens", "output_tokens_details",
                                                 "total_tokens", NULL};
    static const char *const chat_keys[] = {"prompt_tokens", "prompt_tokens_details",
                                            "completion_tokens", "completion_tokens_details",
                                            "total_tokens", NULL};
    const char *const *known = chat ? chat_keys : responses_keys, *const *k, *key;
    json_t *v;
    char tok[72];

    if (!notes || !json_is_object(usage))
        return;
    json_object_foreach((json_t *)usage, key, v) {
        for (k = known; *k && strcmp(*k, key) != 0; k++)
            ;
        if (*k)
            continue;
        redact_token(key, tok, sizeof(tok));
        notes_add(notes, "gateway variant: %s usage carries extra key %s (ignored)",
                  chat ? "chat" : "responses", tok);
    }
}

int shape_validation_variant(long status, long lo, long hi, const struct shape_error_info *info)
{
    return status == 500 && lo >= 400 && hi <= 499 && lo != hi && info &&
           strcmp(info->code, "invalid_request") == 0;
}

int shape_response(const json_t *r, char *why, size_t n, struct notes *notes)
{
    static const char *const more_keys[] = {"incomplete_details", "instructions", "tools",
                                            "parallel_tool_calls", "metadata", "tool_choice",
                                            "temperature", "top_p", NULL};
    const char *const *k;
    const char *s;
    json_t *v;
    size_t i;

    if (!json_is_object(r))
        return problem(why, n, "body is %s, expected an object", type_name(r));
    s = json_util_str(r, "object");
    if (!s || strcmp(s, RM_OBJ_RESPONSE) != 0)
        return problem(why, n, "object is %s, expected \"" RM_OBJ_RESPONSE "\"",
                       s ? "another string" : type_name(json_object_get(r, "object")));
    s = json_util_str(r, "id");
    if (!s || !s[0])
        return problem(why, n, "id is %s, expected a non-empty string",
                       type_name(json_object_get(r, "id")));
    if (notes && strncmp(s, RM_ID_RESPONSE, strlen(RM_ID_RESPONSE)) != 0)
        notes_add(notes, "response ids do not start with " RM_ID_RESPONSE);
    if (!json_is_number(json_object_get(r, "created_at")))
        return problem(why, n, "created_at is %s, expected a number",
                       type_name(json_object_get(r, "created_at")));
    s = json_util_str(r, "status");
    if (!s)
        return problem(why, n, "status is %s, expected a string",
                       type_name(json_object_get(r, "status")));
    if (!contract_status_known(s))
        return problem(why, n, "status is not one of the documented values");
    if (!json_is_string(json_object_get(r, "model")))
        return problem(why, n, "model is %s, expected a string",
                       type_name(json_object_get(r, "model")));
    v = json_object_get(r, "error");
    if (!v)
        return problem(why, n, "error key is missing (expected null or an object)");
    if (!json_is_null(v) && !json_is_object(v))
        return problem(why, n, "error is %s, expected null or an object", type_name(v));
    v = json_object_get(r, "output");
    if (!json_is_array(v))
        return problem(why, n, "output is %s, expected an array", type_name(v));
    for (i = 0; i < json_array_size(v); i++)
        if (shape_item(json_array_get(v, i), i, why, n))
            return -1;
    v = json_object_get(r, "usage");
    if (v && !json_is_null(v)) {
        static const char *const ukeys[] = {"input_tokens", "output_tokens", "total_tokens", NULL};
        if (shape_usage(v, ukeys, "an object or null", why, n))
            return -1;
        shape_note_usage_extras(v, 0, notes);
    }
    if ((v = json_object_get(r, "tools")) && !json_is_array(v))
        return problem(why, n, "tools is %s, expected an array", type_name(v));
    if ((v = json_object_get(r, "metadata")) && !json_is_object(v) && !json_is_null(v))
        return problem(why, n, "metadata is %s, expected an object", type_name(v));
    if ((v = json_object_get(r, "parallel_tool_calls")) && !json_is_boolean(v))
        return problem(why, n, "parallel_tool_calls is %s, expected a boolean", type_name(v));
    if ((v = json_object_get(r, "previous_response_id")) && !json_is_string(v) &&
        !json_is_null(v))
        return problem(why, n, "previous_response_id is %s, expected a string or null",
                       type_name(v));
    if (notes)
        for (k = more_keys; *k; k++)
            if (!json_object_get(r, *k))
                notes_add(notes, "response lacks spec-required key %s", *k);
    return 0;
}

int shape_error(const json_t *doc, char *why, size_t n, struct notes *notes,
                struct shape_error_info *info)
{
    json_t *e, *code;
    const char *type;
    char tok[72];

    if (info) {
        info->type[0] = '\0';
        snprintf(info->code, sizeof(info->code), "missing");
    }
    if (!json_is_object(doc))
        return problem(why, n, "error body is %s, expected an object", type_name(doc));
    e = json_object_get(doc, "error");
    if (!json_is_object(e))
        return problem(why, n, "error is %s, expected an object", type_name(e));
    if (!json_is_string(json_object_get(e, "message")))
        return problem(why, n, "error.message is %s, expected a string",
                       type_name(json_object_get(e, "message")));
    type = json_util_str(e, "type");
    if (!type)
        return problem(why, n, "error.type is %s, expected a string",
                       type_name(json_object_get(e, "type")));
    redact_token(type, tok, sizeof(tok));
    if (info)
        snprintf(info->type, sizeof(info->type), "%s", tok);
    if (notes && !contract_error_type_known(type))
        notes_add(notes, "gateway variant: error type %s", tok);
    code = json_object_get(e, "code");
    if (info) {
        if (json_is_string(code))
            redact_token(json_string_value(code), info->code, sizeof(info->code));
        else if (code)
            snprintf(info->code, sizeof(info->code), "%s",
                     json_is_null(code) ? "null" : "non-string");
    }
    if (notes) {
        if (!code)
            notes_add(notes, "gateway variant: error.code missing");
        else if (json_is_string(code) && !json_string_value(code)[0])
            notes_add(notes, "gateway variant: empty-string error code");
        else if (!json_is_string(code) && !json_is_null(code))
            notes_add(notes, "error.code is %s (OpenAI sends a string or null)",
                      type_name(code));
        if (!json_object_get(e, "param"))
            notes_add(notes, "gateway variant: error.param missing");
        {
            const char *msg = json_util_str(e, "message"), *rid = strstr(msg, "(request id: ");
            size_t len = strlen(msg);

            if (rid && len && msg[len - 1] == ')')
                notes_add(notes, "gateway variant: error messages end with (request id: ...)");
        }
    }
    return 0;
}

int shape_chat_completion(const json_t *c, char *why, size_t n, struct notes *notes)
{
    const char *s;
    json_t *choices, *v;
    size_t i, j;

    if (!json_is_object(c))
        return problem(why, n, "body is %s, expected an object", type_name(c));
    s = json_util_str(c, "object");
    if (!s || strcmp(s, RM_OBJ_CHAT_COMPLETION) != 0)
        return problem(why, n, "object is %s, expected \"" RM_OBJ_CHAT_COMPLETION "\"",
                       s ? "another string" : type_name(json_object_get(c, "object")));
    if (!json_is_string(json_object_get(c, "id")))
        return problem(why, n, "id is %s, expected a string", type_name(json_object_get(c, "id")));
    if (!json_is_number(json_object_get(c, "created")))
        return problem(why, n, "created is %s, expected a number",
                       type_name(json_object_get(c, "created")));
    if (!json_is_string(json_object_get(c, "model")))
        return problem(why, n, "model is %s, expected a string",
                       type_name(json_object_get(c, "model")));
    choices = json_object_get(c, "choices");
    if (!json_is_array(choices) || json_array_size(choices) == 0)
        return problem(why, n, "choices is %s, expected a non-empty array",
                       json_is_array(choices) ? "empty" : type_name(choices));
    for (i = 0; i < json_array_size(choices); i++) {
        json_t *ch = json_array_get(choices, i), *msg, *calls;
        if (!json_is_object(ch))
            return problem(why, n, "choices[%zu] is %s, expected an object", i, type_name(ch));
        if (!json_is_integer(json_object_get(ch, "index")))
            return problem(why, n, "choices[%zu].index is %s, expected an integer", i,
                           type_name(json_object_get(ch, "index")));
        v = json_object_get(ch, "finish_reason");
        if (!json_is_string(v) && !json_is_null(v))
            return problem(why, n, "choices[%zu].finish_reason is %s, expected a string", i,
                           type_name(v));
        msg = json_object_get(ch, "message");
        if (!json_is_object(msg))
            return problem(why, n, "choices[%zu].message is %s, expected an object", i,
                           type_name(msg));
        if (!json_is_string(json_object_get(msg, "role")))
            return problem(why, n, "choices[%zu].message.role is %s, expected a string", i,
                           type_name(json_object_get(msg, "role")));
        v = json_object_get(msg, "content");
        if (!json_is_string(v) && !json_is_null(v))
            return problem(why, n, "choices[%zu].message.content is %s, expected a string or null",
                           i, type_name(v));
        calls = json_object_get(msg, "tool_calls");
        if (calls && !json_is_null(calls)) {
            if (!json_is_array(calls))
                return problem(why, n, "choices[%zu].message.tool_calls is %s, expected an array",
                               i, type_name(calls));
            for (j = 0; j < json_array_size(calls); j++) {
                json_t *tc = json_array_get(calls, j), *fn = json_object_get(tc, "function");
                if (!json_is_string(json_object_get(tc, "id")) || !json_is_object(fn) ||
                    !json_is_string(json_object_get(fn, "name")) ||
                    !json_is_string(json_object_get(fn, "arguments")))
                    return problem(why, n,
                                   "choices[%zu].message.tool_calls[%zu] lacks id, function.name "
                                   "or a string function.arguments",
                                   i, j);
            }
        }
    }
    v = json_object_get(c, "usage");
    if (v && !json_is_null(v)) {
        static const char *const ukeys[] = {"prompt_tokens", "completion_tokens", "total_tokens",
                                            NULL};
        if (shape_usage(v, ukeys, "an object", why, n))
            return -1;
        shape_note_usage_extras(v, 1, notes);
    } else if (notes) {
        notes_add(notes, "chat completion has no usage object");
    }
    return 0;
}

int shape_chat_chunk(const json_t *c, char *why, size_t n)
{
    const char *s;
    json_t *choices;
    size_t i;

    if (!json_is_object(c))
        return problem(why, n, "chunk is %s, expected an object", type_name(c));
    s = json_util_str(c, "object");
    if (!s || strcmp(s, RM_OBJ_CHAT_CHUNK) != 0)
        return problem(why, n, "chunk object is %s, expected \"" RM_OBJ_CHAT_CHUNK "\"",
                       s ? "another string" : type_name(json_object_get(c, "object")));
    if (!json_is_string(json_object_get(c, "id")))
        return problem(why, n, "chunk id is %s, expected a string",
                       type_name(json_object_get(c, "id")));
    choices = json_object_get(c, "choices");
    if (!json_is_array(choices))
        return problem(why, n, "chunk choices is %s, expected an array", type_name(choices));
    for (i = 0; i < json_array_size(choices); i++) {
        json_t *ch = json_array_get(choices, i), *fr;
        if (!json_is_object(ch) || !json_is_integer(json_object_get(ch, "index")))
            return problem(why, n, "chunk choices[%zu] lacks an integer index", i);
        if (!json_is_object(json_object_get(ch, "delta")))
            return problem(why, n, "chunk choices[%zu].delta is %s, expected an object", i,
                           type_name(json_object_get(ch, "delta")));
        fr = json_object_get(ch, "finish_reason");
        if (fr && !json_is_string(fr) && !json_is_null(fr))
            return problem(why, n, "chunk choices[%zu].finish_reason is %s", i, type_name(fr));
    }
    return 0;
}

int shape_models(const json_t *doc, char *why, size_t n, const char **first_id)
{
    json_t *data;
    size_t i;

    if (first_id)
        *first_id = NULL;
    if (!json_is_object(doc))
        return problem(why, n, "body is %s, expected an object", type_name(doc));
    data = json_object_get(doc, "data");
    if (!json_is_array(data))
        return problem(why, n, "data is %s, expected an array", type_name(data));
    for (i = 0; i < json_array_size(data); i++) {
        json_t *m = json_array_get(data, i);
        if (!json_is_string(json_object_get(m, "id")))
            return problem(why, n, "data[%zu].id is %s, expected a string", i,
                           type_name(json_object_get(m, "id")));
        if (first_id && !*first_id)
            *first_id = json_string_value(json_object_get(m, "id"));
    }
    return 0;
}

int shape_output_text(const json_t *r, struct buf *out)
{
    json_t *output = json_object_get(r, "output");
    size_t i, j;
    int parts = 0;

    for (i = 0; i < json_array_size(output); i++) {
        json_t *item = json_array_get(output, i);
        json_t *content = json_object_get(item, "content");
        const char *type = json_util_str(item, "type");
        if (!type || strcmp(type, RM_ITEM_MESSAGE) != 0)
            continue;
        for (j = 0; j < json_array_size(content); j++) {
            json_t *part = json_array_get(content, j);
            const char *ptype = json_util_str(part, "type");
            const char *text = json_util_str(part, "text");
            if (!ptype || strcmp(ptype, RM_PART_OUTPUT_TEXT) != 0 || !text)
                continue;
            if (buf_append_str(out, text))
                return -1;
            parts++;
        }
    }
    return parts;
}

json_t *shape_find_item(const json_t *r, const char *type)
{
    json_t *output = json_object_get(r, "output");
    size_t i;

    for (i = 0; i < json_array_size(output); i++) {
        json_t *item = json_array_get(output, i);
        const char *t = json_util_str(item, "type");
        if (t && strcmp(t, type) == 0)
            return item;
    }
    return NULL;
}

int shape_is_json_object_text(const json_t *v)
{
    json_t *doc;
    int ok;

    if (!json_is_string(v))
        return 0;
    doc = json_loadb(json_string_value(v), json_string_length(v), 0, NULL);
    ok = json_is_object(doc);
    json_decref(doc);
    return ok;
}
