/* validate: OpenAI-style 400 checks of request bodies (see validate.h).
 * Walks the parsed JSON once in a fixed order and stops at the first problem;
 * messages imitate OpenAI's wording and 'param' is the JSON path of the value
 * at fault. Only the top level of a Responses body is closed to unknown keys;
 * unknown keys inside items and tools, and built-in tool types, pass. */
#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"

#define PATH_LEN API_ERROR_PARAM_MAX

/* ---- Accepted values (openapi.yaml, spec 2.3.0) ---- */

static const char *const TOOL_CHOICE_MODES[] = {"none", "auto", "required", NULL};
static const char *const TRUNCATION_VALUES[] = {"auto", "disabled", NULL};
static const char *const SERVICE_TIERS[] = {"auto", "default", "flex", "scale",
                                            "priority", "fast", "ultrafast", NULL};
static const char *const CHAT_SERVICE_TIERS[] = {"auto", "default", "flex", "scale",
                                                 "priority", "fast", NULL};
static const char *const REASONING_EFFORTS[] = {"none", "minimal", "low", "medium",
                                                "high", "xhigh", "max", NULL};
static const char *const REASONING_SUMMARIES[] = {"auto", "concise", "detailed", NULL};
static const char *const VERBOSITIES[] = {"low", "medium", "high", NULL};
static const char *const CACHE_RETENTIONS[] = {"in_memory", "in-memory", "24h", NULL};
static const char *const INCLUDE_VALUES[] = {
    "file_search_call.results",       "web_search_call.results",
    "web_search_call.action.sources", "message.input_image.image_url",
    "computer_call_output.output.image_url", "code_interpreter_call.outputs",
    "reasoning.encrypted_content",    "message.output_text.logprobs",
    NULL};
static const char *const TEXT_FORMAT_TYPES[] = {"text", "json_schema", "json_object", NULL};
static const char *const MESSAGE_ROLES[] = {"user", "assistant", "system", "developer", NULL};
static const char *const INPUT_PART_TYPES[] = {"input_text", "input_image", "input_file", NULL};
/* assistant replays: output parts, plus input_text which EasyInputMessage allows */
static const char *const ASSISTANT_PART_TYPES[] = {"output_text", "refusal", "input_text", NULL};
static const char *const IMAGE_DETAILS[] = {"low", "high", "auto", "original", NULL};
static const char *const ALLOWED_TOOLS_MODES[] = {"auto", "required", NULL};

/* Every input item 'type'; the first five get specific checks, the others
 * (built-in tool calls and outputs) are accepted by name. */
static const char *const ITEM_TYPES[] = {
    "message", "function_call", "function_call_output", "reasoning", "item_reference",
    "file_search_call", "computer_call", "computer_call_output", "web_search_call",
    "tool_search_call", "tool_search_output", "additional_tools", "compaction",
    "compaction_trigger", "image_generation_call", "code_interpreter_call",
    "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
    "apply_patch_call", "apply_patch_call_output", "mcp_list_tools",
    "mcp_approval_request", "mcp_approval_response", "mcp_call", "custom_tool_call",
    "custom_tool_call_output", "program", "program_output", NULL};

static const char *const TOOL_TYPES[] = {
    "function", "file_search", "computer", "computer_use_preview", "web_search",
    "web_search_2025_08_26", "web_search_preview", "web_search_preview_2025_03_11",
    "mcp", "code_interpreter", "image_generation", "local_shell", "shell", "custom",
    "namespace", "tool_search", "apply_patch", "programmatic_tool_calling", NULL};

/* tool_choice object types; web_search* added leniently (not in ToolChoiceTypes) */
static const char *const TOOL_CHOICE_TYPES[] = {
    "function", "allowed_tools", "file_search", "web_search_preview",
    "web_search_preview_2025_03_11", "web_search", "web_search_2025_08_26", "computer",
    "computer_use_preview", "computer_use", "image_generation", "code_interpreter", "mcp",
    "custom", "programmatic_tool_calling", "apply_patch", "shell", NULL};

static const char *const CHAT_ROLES[] = {"system", "developer", "user", "assistant",
                                         "tool", "function", NULL};
static const char *const CHAT_TOOL_TYPES[] = {"function", "custom", NULL};

/* ---- Error helpers: each fills 'err' and returns -1 ---- */

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a decimal";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int fail_type(struct api_error *err, const char *param, const char *expected,
                     const json_t *got)
{
    return api_error_invalid(err, "invalid_type", param,
                             "Invalid type for '%s': expected %s, but got %s instead.",
                             param, expected, kind_name(got));
}

static int fail_missing(struct api_error *err, const char *param)
{
    return api_error_invalid(err, "missing_required_parameter", param,
                             "Missing required parameter: '%s'.", param);
}

static int fail_unknown(struct api_error *err, const char *param)
{
    return api_error_invalid(err, "unknown_parameter", param, "Unknown parameter: '%s'.", param);
}

/* "'a', 'b', and 'c'" into 'out'; ends with ", and others" when 'out' is full. */
static void list_text(char *out, size_t size, const char *const *list)
{
    size_t n = 0, used = 0, i;

    while (list[n])
        n++;
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 < n ? ", " : n == 2 ? " and " : ", and ";
        int w = snprintf(out + used, size - used, "%s'%s'", sep, list[i]);

        if (w < 0 || (size_t)w >= size - used - 14) {
            snprintf(out + used, size - used, "%sand others", i ? ", " : "");
            return;
        }
        used += (size_t)w;
    }
}

static int fail_enum(struct api_error *err, const char *param, const char *value,
                     const char *const *allowed)
{
    char list[API_ERROR_MESSAGE_MAX - 128];

    list_text(list, sizeof(list), allowed);
    return api_error_invalid(err, "invalid_value", param,
                             "Invalid value: '%.64s'. Supported values are: %s.", value, list);
}

/* ---- Paths ---- */

static void path_key(char *out, const char *base, const char *key)
{
    if (base && base[0]) {
        if (snprintf(out, PATH_LEN, "%s.%s", base, key) >= PATH_LEN)
            out[PATH_LEN - 1] = '\0';
    } else if (snprintf(out, PATH_LEN, "%s", key) >= PATH_LEN) {
        out[PATH_LEN - 1] = '\0';
    }
}

static void path_index(char *out, const char *base, size_t i)
{
    if (snprintf(out, PATH_LEN, "%s[%zu]", base, i) >= PATH_LEN)
        out[PATH_LEN - 1] = '\0';
}

/* ---- Typed field checks ---- */

enum kind {
    K_ANY,
    K_STRING,
    K_NUMBER,
    K_INTEGER,
    K_BOOL,
    K_OBJECT,
    K_ARRAY,
    K_STRING_OR_ARRAY,
    K_STRING_OR_OBJECT,
};

static int is_integral(const json_t *v)
{
    if (json_is_integer(v))
        return 1;
    /* 16.0 from a float-typed client is accepted as an integer */
    return json_is_real(v) && floor(json_real_value(v)) == json_real_value(v);
}

static int kind_ok(const json_t *v, enum kind k)
{
    switch (k) {
    case K_STRING:
        return json_is_string(v);
    case K_NUMBER:
        return json_is_number(v);
    case K_INTEGER:
        return is_integral(v);
    case K_BOOL:
        return json_is_boolean(v);
    case K_OBJECT:
        return json_is_object(v);
    case K_ARRAY:
        return json_is_array(v);
    case K_STRING_OR_ARRAY:
        return json_is_string(v) || json_is_array(v);
    case K_STRING_OR_OBJECT:
        return json_is_string(v) || json_is_object(v);
    default:
        return 1;
    }
}

static const char *kind_expected(enum kind k)
{
    switch (k) {
    case K_STRING:
        return "a string";
    case K_NUMBER:
        return "a decimal";
    case K_INTEGER:
        return "an integer";
    case K_BOOL:
        return "a boolean";
    case K_OBJECT:
        return "an object";
    case K_ARRAY:
        return "an array";
    case K_STRING_OR_ARRAY:
        return "a string or an array";
    case K_STRING_OR_OBJECT:
        return "a string or an object";
    default:
        return "a value";
    }
}

/* 0 when 'v' is absent, null with 'nullable', or of kind 'k'. */
static int check_value(const json_t *v, const char *param, enum kind k, int nullable,
                       struct api_error *err)
{
    if (!v || (nullable && json_is_null(v)) || kind_ok(v, k))
        return 0;
    return fail_type(err, param, kind_expected(k), v);
}

/* Member 'key' of 'obj' (at path 'base') checked with check_value(). */
static int check_member(const json_t *obj, const char *base, const char *key, enum kind k,
                        int nullable, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    path_key(param, base, key);
    return check_value(v, param, k, nullable, err);
}

/* Member 'key' must be present (and non-null) and of kind 'k'. */
static int require_member(const json_t *obj, const char *base, const char *key, enum kind k,
                          struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *v = json_object_get(obj, key);

    path_key(param, base, key);
    if (!v || json_is_null(v))
        return fail_missing(err, param);
    return check_value(v, param, k, 0, err);
}

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Optional string member from 'allowed' (null allowed). */
static int check_enum_member(const json_t *obj, const char *base, const char *key,
                             const char *const *allowed, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return 0;
    path_key(param, base, key);
    if (!json_is_string(v))
        return fail_type(err, param, "a string", v);
    if (!in_list(json_string_value(v), allowed))
        return fail_enum(err, param, json_string_value(v), allowed);
    return 0;
}

/* A number (an integer when 'integer') from 'min' to 'max', reported the
 * way the API words it: decimal_below_min_value / integer_above_max_value. */
static int check_range(const json_t *v, const char *param, double min, double max, int integer,
                       struct api_error *err)
{
    const char *what = integer ? "integer" : "decimal";
    char lo[32], hi[32], got[32];
    double d;

    if (!v || !(integer ? is_integral(v) : json_is_number(v)))
        return 0;
    d = json_number_value(v);
    if (d >= min && d <= max)
        return 0;
    snprintf(lo, sizeof(lo), integer ? "%.0f" : "%g", min);
    snprintf(hi, sizeof(hi), integer ? "%.0f" : "%g", max);
    snprintf(got, sizeof(got), integer ? "%.0f" : "%g", d);
    /* The codes are static strings (struct api_error keeps the pointer). */
    return api_error_invalid(err, d < min ? (integer ? "integer_below_min_value"
                                                     : "decimal_below_min_value")
                                          : (integer ? "integer_above_max_value"
                                                     : "decimal_above_max_value"),
                             param, "Invalid '%s': %s %s value. Expected a value %s %s, but got %s "
                                    "instead.",
                             param, what, d < min ? "below minimum" : "above maximum",
                             d < min ? ">=" : "<=", d < min ? lo : hi, got);
}

static int check_decimal_range(const json_t *v, const char *param, double min, double max,
                               struct api_error *err)
{
    return check_range(v, param, min, max, 0, err);
}

static int check_integer_range(const json_t *v, const char *param, double min, double max,
                               struct api_error *err)
{
    return check_range(v, param, min, max, 1, err);
}

static int check_max_length(const json_t *v, const char *param, size_t max,
                            struct api_error *err)
{
    if (!json_is_string(v) || json_string_length(v) <= max)
        return 0;
    return api_error_invalid(err, "string_above_max_length", param,
                             "Invalid '%s': string too long. Expected a string with maximum "
                             "length %zu, but got a string with length %zu instead.",
                             param, max, json_string_length(v));
}

/* Function and schema names: ^[a-zA-Z0-9_-]{1,64}$ */
static int check_name(const json_t *v, const char *param, struct api_error *err)
{
    const char *s = json_string_value(v);
    size_t i;

    if (!s)
        return 0;
    if (s[0] == '\0')
        return api_error_invalid(err, "empty_string", param,
                                 "Invalid '%s': empty string. Expected a string with minimum "
                                 "length 1, but got an empty string instead.", param);
    if (check_max_length(v, param, 64, err))
        return -1;
    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return api_error_invalid(err, "invalid_value", param,
                                     "Invalid '%s': string does not match pattern. Expected a "
                                     "string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                                     param);
    }
    return 0;
}

/* ---- Input items and content parts ---- */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* http(s) URL with a host, or data:image/<subtype>;base64,<data> */
static int image_url_ok(const char *s)
{
    const char *p;

    if (starts_with(s, "https://"))
        return s[8] != '\0';
    if (starts_with(s, "http://"))
        return s[7] != '\0';
    if (!starts_with(s, "data:image/"))
        return 0;
    p = strstr(s, ";base64,");
    return p && p > s + 11 && p[8] != '\0';
}

static int check_image_part(const json_t *part, const char *path, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *url = json_object_get(part, "image_url");
    const json_t *file_id = json_object_get(part, "file_id");

    if (check_member(part, path, "image_url", K_STRING, 1, err) ||
        check_member(part, path, "file_id", K_STRING, 1, err) ||
        check_enum_member(part, path, "detail", IMAGE_DETAILS, err))
        return -1;
    path_key(param, path, "image_url");
    if (json_is_string(url)) {
        if (!image_url_ok(json_string_value(url)))
            return api_error_invalid(err, "invalid_value", param,
                                     "Invalid '%s'. Expected a valid URL (http, https or a "
                                     "data:image/...;base64, URL), but got a value with an "
                                     "invalid format.", param);
        return 0;
    }
    if (!json_is_string(file_id))
        return fail_missing(err, param);
    return 0;
}

static int check_file_part(const json_t *part, const char *path, struct api_error *err)
{
    char param[PATH_LEN];

    if (check_member(part, path, "file_id", K_STRING, 1, err) ||
        check_member(part, path, "file_data", K_STRING, 1, err) ||
        check_member(part, path, "file_url", K_STRING, 1, err) ||
        check_member(part, path, "filename", K_STRING, 1, err))
        return -1;
    if (json_is_string(json_object_get(part, "file_id")) ||
        json_is_string(json_object_get(part, "file_data")) ||
        json_is_string(json_object_get(part, "file_url")))
        return 0;
    path_key(param, path, "file_id");
    return fail_missing(err, param);
}

/* One content part at 'path'; its type must be in 'allowed'. */
static int check_part(const json_t *part, const char *path, const char *const *allowed,
                      struct api_error *err)
{
    char param[PATH_LEN];
    const char *type;

    if (!json_is_object(part))
        return fail_type(err, path, "an object", part);
    if (require_member(part, path, "type", K_STRING, err))
        return -1;
    type = json_string_value(json_object_get(part, "type"));
    if (!in_list(type, allowed)) {
        path_key(param, path, "type");
        return fail_enum(err, param, type, allowed);
    }
    if (strcmp(type, "input_text") == 0 || strcmp(type, "output_text") == 0)
        return require_member(part, path, "text", K_STRING, err) ||
                       check_member(part, path, "annotations", K_ARRAY, 1, err)
                   ? -1
                   : 0;
    if (strcmp(type, "refusal") == 0)
        return require_member(part, path, "refusal", K_STRING, err);
    if (strcmp(type, "input_image") == 0)
        return check_image_part(part, path, err);
    if (strcmp(type, "input_file") == 0)
        return check_file_part(part, path, err);
    return 0;
}

/* An array of parts under member 'key' (already known to be an array). */
static int check_parts(const json_t *arr, const char *path, const char *const *allowed,
                       struct api_error *err)
{
    char param[PATH_LEN];
    size_t i;
    const json_t *part;

    json_array_foreach(arr, i, part) {
        path_index(param, path, i);
        if (check_part(part, param, allowed, err))
            return -1;
    }
    return 0;
}

static int check_message_item(const json_t *item, const char *path, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *role = json_object_get(item, "role");
    const json_t *content;
    const char *r;

    path_key(param, path, "tool_calls");
    if (json_object_get(item, "tool_calls"))
        return fail_unknown(err, param);
    path_key(param, path, "role");
    if (!role || json_is_null(role))
        return fail_missing(err, param);
    if (!json_is_string(role))
        return fail_type(err, param, "a string", role);
    r = json_string_value(role);
    if (!in_list(r, MESSAGE_ROLES))
        return fail_enum(err, param, r, MESSAGE_ROLES);
    if (require_member(item, path, "content", K_STRING_OR_ARRAY, err))
        return -1;
    content = json_object_get(item, "content");
    path_key(param, path, "content");
    if (json_is_array(content))
        return check_parts(content, param,
                           strcmp(r, "assistant") == 0 ? ASSISTANT_PART_TYPES : INPUT_PART_TYPES,
                           err);
    return 0;
}

static int check_function_call_output(const json_t *item, const char *path,
                                      struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *out;

    if (require_member(item, path, "call_id", K_STRING, err) ||
        require_member(item, path, "output", K_STRING_OR_ARRAY, err))
        return -1;
    out = json_object_get(item, "output");
    path_key(param, path, "output");
    if (json_is_array(out))
        return check_parts(out, param, INPUT_PART_TYPES, err);
    return 0;
}

/* One element of 'input' (or of an 'instructions' array) at 'path'. */
static int check_item(const json_t *item, const char *path, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *tv;
    const char *type;

    if (!json_is_object(item))
        return fail_type(err, path, "an object", item);
    tv = json_object_get(item, "type");
    if (!tv || json_is_null(tv)) {
        /* easy message, or item_reference whose type is optional */
        if (json_object_get(item, "role"))
            return check_message_item(item, path, err);
        if (json_object_get(item, "id") && !json_object_get(item, "content"))
            return require_member(item, path, "id", K_STRING, err);
        path_key(param, path, json_object_get(item, "content") ? "role" : "type");
        return fail_missing(err, param);
    }
    path_key(param, path, "type");
    if (!json_is_string(tv))
        return fail_type(err, param, "a string", tv);
    type = json_string_value(tv);
    if (!in_list(type, ITEM_TYPES))
        return fail_enum(err, param, type, ITEM_TYPES);
    if (strcmp(type, "message") == 0)
        return check_message_item(item, path, err);
    if (strcmp(type, "function_call") == 0)
        return require_member(item, path, "call_id", K_STRING, err) ||
                       require_member(item, path, "name", K_STRING, err) ||
                       require_member(item, path, "arguments", K_STRING, err)
                   ? -1
                   : 0;
    if (strcmp(type, "function_call_output") == 0)
        return check_function_call_output(item, path, err);
    if (strcmp(type, "item_reference") == 0)
        return require_member(item, path, "id", K_STRING, err);
    if (strcmp(type, "reasoning") == 0)
        return check_member(item, path, "summary", K_ARRAY, 0, err);
    if (strcmp(type, RM_ITEM_COMPACTION) == 0) /* CompactionSummaryItemParam */
        return require_member(item, path, "encrypted_content", K_STRING, err);
    return 0;
}

/* 'input' or 'instructions': a string or an array of items. */
static int check_items(const json_t *v, const char *param, struct api_error *err)
{
    char ipath[PATH_LEN];
    size_t i;
    const json_t *item;

    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, item) {
        const char *type = json_util_str(item, "type");

        path_index(ipath, param, i);
        if (check_item(item, ipath, err))
            return -1;
        /* CompactionTriggerItemParam: "Must be the final input item." */
        if (type && strcmp(type, RM_ITEM_COMPACTION_TRIGGER) == 0 && i + 1 < json_array_size(v))
            return api_error_invalid(err, "invalid_value", ipath,
                                     "Invalid '%s': a compaction_trigger item must be the last "
                                     "input item.",
                                     ipath);
    }
    return 0;
}

/* ---- Tools and tool_choice ---- */

static int check_function_tool(const json_t *tool, const char *path, struct api_error *err)
{
    char param[PATH_LEN];

    /* Chat-style {"type":"function","function":{...}} has no flat 'name' */
    if (require_member(tool, path, "name", K_STRING, err))
        return -1;
    path_key(param, path, "name");
    if (check_name(json_object_get(tool, "name"), param, err) ||
        check_member(tool, path, "parameters", K_OBJECT, 1, err) ||
        check_member(tool, path, "strict", K_BOOL, 1, err) ||
        check_member(tool, path, "description", K_STRING, 1, err))
        return -1;
    return 0;
}

static int check_tools(const json_t *v, const char *base, struct api_error *err)
{
    char path[PATH_LEN], param[PATH_LEN];
    size_t i;
    const json_t *tool;

    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, tool) {
        const char *type;

        path_index(path, base, i);
        if (!json_is_object(tool))
            return fail_type(err, path, "an object", tool);
        if (require_member(tool, path, "type", K_STRING, err))
            return -1;
        type = json_string_value(json_object_get(tool, "type"));
        if (!in_list(type, TOOL_TYPES)) {
            path_key(param, path, "type");
            return fail_enum(err, param, type, TOOL_TYPES);
        }
        if (strcmp(type, "function") == 0 && check_function_tool(tool, path, err))
            return -1;
    }
    return 0;
}

static int check_tool_choice(const json_t *v, const char *param, struct api_error *err)
{
    char tparam[PATH_LEN];
    const char *type;

    if (json_is_string(v)) {
        if (!in_list(json_string_value(v), TOOL_CHOICE_MODES))
            return fail_enum(err, param, json_string_value(v), TOOL_CHOICE_MODES);
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    if (require_member(v, param, "type", K_STRING, err))
        return -1;
    type = json_string_value(json_object_get(v, "type"));
    if (!in_list(type, TOOL_CHOICE_TYPES)) {
        path_key(tparam, param, "type");
        return fail_enum(err, tparam, type, TOOL_CHOICE_TYPES);
    }
    if (strcmp(type, "function") == 0 || strcmp(type, "custom") == 0)
        return require_member(v, param, "name", K_STRING, err);
    if (strcmp(type, "mcp") == 0)
        return require_member(v, param, "server_label", K_STRING, err);
    if (strcmp(type, "allowed_tools") == 0) {
        if (require_member(v, param, "mode", K_STRING, err) ||
            check_enum_member(v, param, "mode", ALLOWED_TOOLS_MODES, err) ||
            require_member(v, param, "tools", K_ARRAY, err))
            return -1;
    }
    return 0;
}

/* ---- Other structured fields ---- */

static int check_text(const json_t *v, const char *param, struct api_error *err)
{
    char fpath[PATH_LEN], tparam[PATH_LEN];
    const json_t *format;
    const char *type;

    if (!json_is_object(v))
        return 0;
    if (check_enum_member(v, param, "verbosity", VERBOSITIES, err) ||
        check_member(v, param, "format", K_OBJECT, 1, err))
        return -1;
    format = json_object_get(v, "format");
    if (!json_is_object(format))
        return 0;
    path_key(fpath, param, "format");
    if (require_member(format, fpath, "type", K_STRING, err))
        return -1;
    type = json_string_value(json_object_get(format, "type"));
    if (!in_list(type, TEXT_FORMAT_TYPES)) {
        path_key(tparam, fpath, "type");
        return fail_enum(err, tparam, type, TEXT_FORMAT_TYPES);
    }
    if (strcmp(type, "json_schema") != 0)
        return 0;
    /* flat form: Chat's nested {"json_schema":{...}} lacks 'name' here */
    if (require_member(format, fpath, "name", K_STRING, err))
        return -1;
    path_key(tparam, fpath, "name");
    if (check_name(json_object_get(format, "name"), tparam, err) ||
        require_member(format, fpath, "schema", K_OBJECT, err) ||
        check_member(format, fpath, "strict", K_BOOL, 1, err) ||
        check_member(format, fpath, "description", K_STRING, 1, err))
        return -1;
    return 0;
}

static int check_reasoning(const json_t *v, const char *param, struct api_error *err)
{
    if (!json_is_object(v))
        return 0;
    if (check_enum_member(v, param, "effort", REASONING_EFFORTS, err) ||
        check_enum_member(v, param, "summary", REASONING_SUMMARIES, err) ||
        check_enum_member(v, param, "generate_summary", REASONING_SUMMARIES, err))
        return -1;
    return 0;
}

/* At most 16 pairs; keys up to 64 characters, values strings up to 512. */
static int check_metadata(const json_t *v, const char *param, struct api_error *err)
{
    char kparam[PATH_LEN];
    const char *key;
    json_t *val;

    if (!json_is_object(v))
        return 0;
    if (json_object_size(v) > 16)
        return api_error_invalid(err, "object_above_max_properties", param,
                                 "Invalid '%s': too many properties. Expected an object with "
                                 "at most 16 properties, but got an object with %zu "
                                 "properties instead.", param, json_object_size(v));
    json_object_foreach((json_t *)v, key, val) {
        path_key(kparam, param, key);
        if (strlen(key) > 64)
            return api_error_invalid(err, "string_above_max_length", kparam,
                                     "Invalid '%s': string too long. Expected a key with "
                                     "maximum length 64, but got a key with length %zu "
                                     "instead.", param, strlen(key));
        if (!json_is_string(val))
            return fail_type(err, kparam, "a string", val);
        if (check_max_length(val, kparam, 512, err))
            return -1;
    }
    return 0;
}

static int check_include(const json_t *v, const char *param, struct api_error *err)
{
    char ipath[PATH_LEN];
    size_t i;
    const json_t *s;

    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, s) {
        path_index(ipath, param, i);
        if (!json_is_string(s))
            return fail_type(err, ipath, "a string", s);
        if (!in_list(json_string_value(s), INCLUDE_VALUES))
            return fail_enum(err, ipath, json_string_value(s), INCLUDE_VALUES);
    }
    return 0;
}

static int check_temperature(const json_t *v, const char *param, struct api_error *err)
{
    return check_decimal_range(v, param, 0, 2, err);
}

static int check_top_p(const json_t *v, const char *param, struct api_error *err)
{
    return check_decimal_range(v, param, 0, 1, err);
}

static int check_max_output_tokens(const json_t *v, const char *param, struct api_error *err)
{
    return check_integer_range(v, param, 16, 1e18, err);
}

static int check_top_logprobs(const json_t *v, const char *param, struct api_error *err)
{
    return check_integer_range(v, param, 0, 20, err);
}

static int check_enum_value(const json_t *v, const char *param, const char *const *allowed,
                            struct api_error *err)
{
    if (json_is_string(v) && !in_list(json_string_value(v), allowed))
        return fail_enum(err, param, json_string_value(v), allowed);
    return 0;
}

static int check_truncation(const json_t *v, const char *param, struct api_error *err)
{
    return check_enum_value(v, param, TRUNCATION_VALUES, err);
}

static int check_service_tier(const json_t *v, const char *param, struct api_error *err)
{
    return check_enum_value(v, param, SERVICE_TIERS, err);
}

static int check_chat_service_tier(const json_t *v, const char *param, struct api_error *err)
{
    return check_enum_value(v, param, CHAT_SERVICE_TIERS, err);
}

static int check_cache_retention(const json_t *v, const char *param, struct api_error *err)
{
    return check_enum_value(v, param, CACHE_RETENTIONS, err);
}

static int check_safety_identifier(const json_t *v, const char *param, struct api_error *err)
{
    return check_max_length(v, param, 64, err);
}

static int check_conversation(const json_t *v, const char *param, struct api_error *err)
{
    return json_is_object(v) ? require_member(v, param, "id", K_STRING, err) : 0;
}

static int check_prompt(const json_t *v, const char *param, struct api_error *err)
{
    if (!json_is_object(v))
        return 0;
    if (require_member(v, param, "id", K_STRING, err) ||
        check_member(v, param, "version", K_STRING, 1, err) ||
        check_member(v, param, "variables", K_OBJECT, 1, err))
        return -1;
    return 0;
}

static int check_stream_options(const json_t *v, const char *param, struct api_error *err)
{
    if (!json_is_object(v))
        return 0;
    if (check_member(v, param, "include_obfuscation", K_BOOL, 1, err) ||
        check_member(v, param, "include_usage", K_BOOL, 1, err))
        return -1;
    return 0;
}

/* ---- Top-level field tables ---- */

/* A known top-level key: its type, whether null is allowed, and an optional
 * deeper check run once the type is right. */
struct field_rule {
    const char *key;
    enum kind kind;
    int nullable;
    int (*check)(const json_t *v, const char *param, struct api_error *err);
};

#define FIELD_RULES_MAX 64 /* rules in one table, its end marker included */
#define FIELD_RULES_FIT(t) _Static_assert(sizeof(t) / sizeof((t)[0]) <= FIELD_RULES_MAX, #t)

/* context_management: ContextManagementParam entries ({type, compact_threshold
 * >= 1000 or null}). */
static int check_context_management(const json_t *v, const char *param, struct api_error *err)
{
    char path[PATH_LEN], sub[PATH_LEN];
    const json_t *e;
    size_t i;

    json_array_foreach(v, i, e) {
        path_index(path, param, i);
        if (!json_is_object(e))
            return fail_type(err, path, "an object", e);
        if (require_member(e, path, "type", K_STRING, err) ||
            check_member(e, path, "compact_threshold", K_INTEGER, 1, err))
            return -1;
        path_key(sub, path, "compact_threshold");
        if (json_is_integer(json_object_get(e, "compact_threshold")) &&
            check_integer_range(json_object_get(e, "compact_threshold"), sub, 1000, 1e15, err))
            return -1;
    }
    return 0;
}

/* CreateResponse = CreateModelResponseProperties + ResponseProperties + its own
 * properties; checks run in this order. */
static const struct field_rule RESPONSES_FIELDS[] = {
    {"model", K_STRING, 0, NULL},
    {"input", K_STRING_OR_ARRAY, 0, check_items},
    {"instructions", K_STRING_OR_ARRAY, 1, check_items},
    {"previous_response_id", K_STRING, 1, NULL},
    {"conversation", K_STRING_OR_OBJECT, 1, check_conversation},
    {"tools", K_ARRAY, 0, check_tools},
    {"tool_choice", K_STRING_OR_OBJECT, 0, check_tool_choice},
    {"parallel_tool_calls", K_BOOL, 1, NULL},
    {"max_tool_calls", K_INTEGER, 1, NULL},
    {"stream", K_BOOL, 1, NULL},
    {"stream_options", K_OBJECT, 1, check_stream_options},
    {"store", K_BOOL, 1, NULL},
    {"background", K_BOOL, 1, NULL},
    {"text", K_OBJECT, 0, check_text},
    {"reasoning", K_OBJECT, 1, check_reasoning},
    {"max_output_tokens", K_INTEGER, 1, check_max_output_tokens},
    {"temperature", K_NUMBER, 1, check_temperature},
    {"top_p", K_NUMBER, 1, check_top_p},
    {"top_logprobs", K_INTEGER, 1, check_top_logprobs},
    {"metadata", K_OBJECT, 1, check_metadata},
    {"truncation", K_STRING, 1, check_truncation},
    {"include", K_ARRAY, 1, check_include},
    {"user", K_STRING, 1, NULL},
    {"safety_identifier", K_STRING, 1, check_safety_identifier},
    {"prompt_cache_key", K_STRING, 1, NULL},
    {"prompt_cache_retention", K_STRING, 1, check_cache_retention},
    {"service_tier", K_STRING, 1, check_service_tier},
    {"prompt", K_OBJECT, 1, check_prompt},
    {"moderation", K_OBJECT, 1, NULL},
    {"context_management", K_ARRAY, 1, check_context_management},
    {"prompt_cache_options", K_OBJECT, 1, NULL},
    /* Newer than the spec in ../shared/spec: openai-node 7.59 ResponseCreateParams. */
    {"access_programs", K_OBJECT, 1, NULL},
    {"background_options", K_OBJECT, 1, NULL},
    {"image", K_OBJECT, 1, NULL},
    /* Sent by Codex CLI on every request and accepted by the real API. */
    {"client_metadata", K_OBJECT, 1, NULL}, /* no metadata limits: Codex sends longer values */
    {NULL, K_ANY, 0, NULL},
};

/* POST /v1/responses/compact: CompactResponseMethodPublicBody. */
static const struct field_rule COMPACT_FIELDS[] = {
    {"model", K_STRING, 0, NULL},
    {"input", K_STRING_OR_ARRAY, 1, check_items},
    {"previous_response_id", K_STRING, 1, NULL},
    {"instructions", K_STRING, 1, NULL},
    {"prompt_cache_key", K_STRING, 1, NULL},
    {"prompt_cache_retention", K_STRING, 1, check_cache_retention},
    {"prompt_cache_options", K_OBJECT, 1, NULL},
    {"service_tier", K_STRING, 1, check_service_tier},
    /* Newer than the spec in ../shared/spec: openai-node 7.59 ResponseCompactParams. */
    {"image", K_OBJECT, 1, NULL},
    /* Sent by Codex CLI (codex-api CompactionInput) with every compaction. */
    {"tools", K_ARRAY, 1, check_tools},
    {"parallel_tool_calls", K_BOOL, 1, NULL},
    {"reasoning", K_OBJECT, 1, check_reasoning},
    {"text", K_OBJECT, 1, check_text},
    {NULL, K_ANY, 0, NULL},
};

/* TokenCountsBody keys that CreateResponse lacks. */
static const struct field_rule INPUT_TOKENS_EXTRA_FIELDS[] = {
    {"personality", K_STRING, 1, NULL},
    {NULL, K_ANY, 0, NULL},
};

static int check_chat_messages(const json_t *v, const char *param, struct api_error *err);
static int check_chat_tools(const json_t *v, const char *param, struct api_error *err);

static int check_chat_n(const json_t *v, const char *param, struct api_error *err)
{
    return check_integer_range(v, param, 1, 128, err);
}

/* Chat fields that get checked; other keys pass. */
static const struct field_rule CHAT_FIELDS[] = {
    {"model", K_STRING, 0, NULL},
    {"messages", K_ARRAY, 0, check_chat_messages},
    {"temperature", K_NUMBER, 1, check_temperature},
    {"top_p", K_NUMBER, 1, check_top_p},
    {"n", K_INTEGER, 1, check_chat_n},
    {"stream", K_BOOL, 1, NULL},
    {"stream_options", K_OBJECT, 1, check_stream_options},
    {"tools", K_ARRAY, 0, check_chat_tools},
    {"metadata", K_OBJECT, 1, check_metadata},
    {"max_tokens", K_INTEGER, 1, NULL},
    {"max_completion_tokens", K_INTEGER, 1, NULL},
    {"top_logprobs", K_INTEGER, 1, check_top_logprobs},
    {"service_tier", K_STRING, 1, check_chat_service_tier},
    {NULL, K_ANY, 0, NULL},
};

FIELD_RULES_FIT(RESPONSES_FIELDS);
FIELD_RULES_FIT(COMPACT_FIELDS);
FIELD_RULES_FIT(INPUT_TOKENS_EXTRA_FIELDS);
FIELD_RULES_FIT(CHAT_FIELDS);

static const struct field_rule *find_rule(const struct field_rule *rules, const char *key)
{
    for (; rules->key; rules++)
        if (strcmp(rules->key, key) == 0)
            return rules;
    return NULL;
}

/* Files each key of 'body' under the rule naming it: present[i] for
 * rules[i], or else more_present[i] for more[i] ('more' may be NULL). Each
 * array has FIELD_RULES_MAX slots, cleared. Returns the body's first key no
 * rule names, or NULL. */
static const char *file_fields(const json_t *body, const struct field_rule *rules,
                               const json_t **present, const struct field_rule *more,
                               const json_t **more_present)
{
    const char *key, *unknown = NULL;
    json_t *v;

    json_object_foreach((json_t *)body, key, v) {
        const struct field_rule *r = find_rule(rules, key);

        if (r)
            present[r - rules] = v;
        else if (more && (r = find_rule(more, key)))
            more_present[r - more] = v;
        else if (!unknown)
            unknown = key;
    }
    return unknown;
}

/* Type and deep checks for every rule whose key file_fields found, in table
 * order (so the error is the first failing rule's, whatever the body's
 * order): the body's few keys were looked up in the table, rather than each
 * of the table's dozens of keys in the body. 'all_nullable' accepts null
 * everywhere (TokenCountsBody). */
static int check_fields(const json_t *const *present, const struct field_rule *rules,
                        int all_nullable, struct api_error *err)
{
    size_t i;

    for (i = 0; rules[i].key; i++) {
        const struct field_rule *r = &rules[i];

        if (!present[i])
            continue;
        if (check_value(present[i], r->key, r->kind, r->nullable || all_nullable, err))
            return -1;
        if (r->check && !json_is_null(present[i]) && r->check(present[i], r->key, err))
            return -1;
    }
    return 0;
}

static int check_body_object(const json_t *body, struct api_error *err)
{
    if (json_is_object(body))
        return 0;
    return api_error_invalid(err, "invalid_type", NULL,
                             "Invalid type for request body: expected an object, but got %s "
                             "instead.", body ? kind_name(body) : "nothing");
}

static int has_value(const json_t *body, const char *key)
{
    const json_t *v = json_object_get(body, key);

    return v && !json_is_null(v);
}

static int known_key(const char *key, int input_tokens)
{
    return find_rule(RESPONSES_FIELDS, key) ||
           (input_tokens && find_rule(INPUT_TOKENS_EXTRA_FIELDS, key));
}

/* Shared by create and input_tokens ('count' set: nothing required). */
static int validate_responses_body(const json_t *body, int count, struct api_error *err)
{
    const json_t *present[FIELD_RULES_MAX] = {NULL}, *extra[FIELD_RULES_MAX] = {NULL};
    const char *unknown;

    if (check_body_object(body, err))
        return -1;
    if (!count) {
        if (!json_object_get(body, "model"))
            return fail_missing(err, "model");
        if (!has_value(body, "input") && !has_value(body, "prompt") &&
            !has_value(body, "previous_response_id") && !has_value(body, "conversation"))
            return fail_missing(err, "input");
    }
    unknown = file_fields(body, RESPONSES_FIELDS, present,
                          count ? INPUT_TOKENS_EXTRA_FIELDS : NULL, extra);
    if (unknown)
        return fail_unknown(err, unknown);
    if (check_fields(present, RESPONSES_FIELDS, count, err))
        return -1;
    return count ? check_fields(extra, INPUT_TOKENS_EXTRA_FIELDS, count, err) : 0;
}

json_t *validate_split_unknown(const json_t *body, int input_tokens, struct buf *names)
{
    json_t *known = json_object(), *v;
    const char *key;
    size_t n = 0;

    json_object_foreach((json_t *)body, key, v) {
        if (known_key(key, input_tokens))
            json_object_set(known, key, v);
        else
            buf_appendf(names, "%s%.100s", n++ ? ", " : "", key);
    }
    return known;
}

int validate_responses_create(const json_t *body, struct api_error *err)
{
    return validate_responses_body(body, 0, err);
}

int validate_input_tokens(const json_t *body, struct api_error *err)
{
    return validate_responses_body(body, 1, err);
}

int validate_responses_compact(const json_t *body, struct api_error *err)
{
    const json_t *present[FIELD_RULES_MAX] = {NULL};
    const char *unknown;

    if (check_body_object(body, err))
        return -1;
    if (!json_object_get(body, "model"))
        return fail_missing(err, "model");
    unknown = file_fields(body, COMPACT_FIELDS, present, NULL, NULL);
    if (unknown)
        return fail_unknown(err, unknown);
    return check_fields(present, COMPACT_FIELDS, 0, err);
}

/* ---- Chat Completions ---- */

static int check_chat_message(const json_t *msg, const char *path, struct api_error *err)
{
    char param[PATH_LEN];
    const json_t *content;
    const char *role;

    if (!json_is_object(msg))
        return fail_type(err, path, "an object", msg);
    if (require_member(msg, path, "role", K_STRING, err))
        return -1;
    role = json_string_value(json_object_get(msg, "role"));
    if (!in_list(role, CHAT_ROLES)) {
        path_key(param, path, "role");
        return fail_enum(err, param, role, CHAT_ROLES);
    }
    content = json_object_get(msg, "content");
    path_key(param, path, "content");
    if (strcmp(role, "assistant") == 0) {
        if (check_member(msg, path, "tool_calls", K_ARRAY, 1, err) ||
            check_member(msg, path, "function_call", K_OBJECT, 1, err))
            return -1;
        if ((!content || json_is_null(content)) &&
            (has_value(msg, "tool_calls") || has_value(msg, "function_call")))
            return 0;
    } else if (strcmp(role, "function") == 0) {
        if (require_member(msg, path, "name", K_STRING, err))
            return -1;
        if (content && json_is_null(content))
            return 0;
    }
    if (!content)
        return fail_missing(err, param);
    if (check_value(content, param, K_STRING_OR_ARRAY, 0, err))
        return -1;
    if (strcmp(role, "tool") == 0)
        return require_member(msg, path, "tool_call_id", K_STRING, err);
    return 0;
}

static int check_chat_messages(const json_t *v, const char *param, struct api_error *err)
{
    char path[PATH_LEN];
    size_t i;
    const json_t *msg;

    if (json_array_size(v) == 0)
        return api_error_invalid(err, "empty_array", param,
                                 "Invalid '%s': empty array. Expected an array with minimum "
                                 "length 1, but got an empty array instead.", param);
    json_array_foreach(v, i, msg) {
        path_index(path, param, i);
        if (check_chat_message(msg, path, err))
            return -1;
    }
    return 0;
}

static int check_chat_tools(const json_t *v, const char *base, struct api_error *err)
{
    char path[PATH_LEN], param[PATH_LEN], nparam[PATH_LEN];
    size_t i;
    const json_t *tool;

    json_array_foreach(v, i, tool) {
        const char *type;
        const json_t *fn;

        path_index(path, base, i);
        if (!json_is_object(tool))
            return fail_type(err, path, "an object", tool);
        if (require_member(tool, path, "type", K_STRING, err))
            return -1;
        type = json_string_value(json_object_get(tool, "type"));
        if (!in_list(type, CHAT_TOOL_TYPES)) {
            path_key(param, path, "type");
            return fail_enum(err, param, type, CHAT_TOOL_TYPES);
        }
        if (strcmp(type, "custom") == 0) {
            if (require_member(tool, path, "custom", K_OBJECT, err))
                return -1;
            continue;
        }
        /* Responses-style flat {"type":"function","name":...} has no 'function' */
        if (require_member(tool, path, "function", K_OBJECT, err))
            return -1;
        fn = json_object_get(tool, "function");
        path_key(param, path, "function");
        if (require_member(fn, param, "name", K_STRING, err))
            return -1;
        path_key(nparam, param, "name");
        if (check_name(json_object_get(fn, "name"), nparam, err) ||
            check_member(fn, param, "parameters", K_OBJECT, 1, err) ||
            check_member(fn, param, "strict", K_BOOL, 1, err) ||
            check_member(fn, param, "description", K_STRING, 1, err))
            return -1;
    }
    return 0;
}

int validate_chat_create(const json_t *body, struct api_error *err)
{
    const json_t *present[FIELD_RULES_MAX] = {NULL};

    if (check_body_object(body, err))
        return -1;
    if (!json_object_get(body, "model"))
        return fail_missing(err, "model");
    if (!json_object_get(body, "messages"))
        return fail_missing(err, "messages");
    file_fields(body, CHAT_FIELDS, present, NULL, NULL); /* unknown fields are accepted */
    return check_fields(present, CHAT_FIELDS, 0, err);
}
