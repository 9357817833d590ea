/* ask: one reading of what a request asks for, for both APIs (see ask.h). */
#include "ask.h"

#include <string.h>

#include "builtin.h"
#include "contract.h"
#include "json_util.h"

/* A model that reasons by default (contract.h) and does not default to
 * effort "none" when the request names no effort. */
static int reasoning_model(const char *model)
{
    const char *effort = contract_model_default_effort(model);

    return contract_model_reasons(model) && !(effort && strcmp(effort, "none") == 0);
}

/* Add function tool 'name' with 'parameters' (may be NULL). */
static void add_tool(struct ask *a, const json_t *name, const json_t *parameters)
{
    if (!json_is_string(name))
        return;
    json_array_append_new(a->tools, json_pack("{s:O, s:O}", "name", name, "parameters",
                                              parameters ? parameters : json_null()));
    json_array_append(a->tool_names, (json_t *)name);
}

/* The text of a tool result's content: a string, or the text of its parts. */
static const char *result_text(const json_t *content)
{
    size_t i;

    if (json_is_string(content))
        return json_string_value(content);
    for (i = 0; i < json_array_size(content); i++) {
        const char *t = json_util_str(json_array_get(content, i), "text");
        if (t)
            return t;
    }
    return NULL;
}

/* The content of the last message with role "user" in 'items', or NULL. */
static const json_t *last_user(const json_t *items)
{
    size_t i;

    for (i = json_array_size(items); i > 0; i--) {
        const json_t *it = json_array_get(items, i - 1);
        const char *role = json_util_str(it, "role");
        if (role && strcmp(role, "user") == 0)
            return json_object_get(it, "content");
    }
    return NULL;
}

/* Note the system/developer content and the media parts of 'items'. */
static void scan_items(struct ask *a, const json_t *items)
{
    const json_t *it, *part;
    size_t i, j;

    json_array_foreach(items, i, it) {
        const char *role = json_util_str(it, "role");
        const json_t *content = json_object_get(it, "content");

        if (role && (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0))
            json_array_append(a->instructions, (json_t *)content);
        json_array_foreach(content, j, part) {
            const char *type = json_util_str(part, "type");
            if (!type)
                continue;
            if (strcmp(type, "input_image") == 0 || strcmp(type, "image_url") == 0)
                a->has_image = 1;
            if (strcmp(type, "input_file") == 0 || strcmp(type, "file") == 0)
                a->has_file = 1;
        }
    }
}

static void read_responses(struct ask *a, const json_t *body)
{
    const json_t *choice = json_object_get(body, "tool_choice");
    const json_t *input = json_object_get(body, "input"), *t, *it;
    const json_t *format = json_object_get(json_object_get(body, "text"), "format");
    const json_t *reasoning = json_object_get(body, "reasoning");
    const char *ftype = json_util_str(format, "type"), *effort;
    size_t i, n = json_array_size(input);

    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const char *type = json_util_str(t, "type");
        if (type && strcmp(type, "function") == 0)
            add_tool(a, json_object_get(t, "name"), json_object_get(t, "parameters"));
        else if (!a->hosted && builtin_for_tool(type))
            a->hosted = type;
    }
    if (json_is_string(choice)) {
        a->choice = json_string_value(choice);
    } else if (json_is_object(choice)) {
        const char *type = json_util_str(choice, "type");

        a->choice = "required";
        if (type && strcmp(type, "function") == 0) {
            a->forced = json_util_str(choice, "name");
        } else if (type && strcmp(type, "allowed_tools") == 0) {
            a->choice = json_util_str(choice, "mode") ? json_util_str(choice, "mode") : "auto";
            a->allowed = json_array();
            json_array_foreach(json_object_get(choice, "tools"), i, t)
                if (json_util_str(t, "name"))
                    json_array_append(a->allowed, json_object_get(t, "name"));
        } else {
            a->choice = "none"; /* a hosted tool is chosen: no function call */
        }
    }
    if (json_is_string(choice) && strcmp(json_string_value(choice), "none") == 0)
        a->hosted = NULL; /* no tool at all */
    json_array_foreach(input, i, it) {
        const char *type = json_util_str(it, "type");
        if (type && strcmp(type, RM_ITEM_FUNCTION_CALL_OUTPUT) == 0) {
            if (json_util_str(it, "call_id"))
                json_array_append(a->tool_outputs, json_object_get(it, "call_id"));
            a->last_output = result_text(json_object_get(it, "output"));
        }
    }
    if (n) {
        const char *type = json_util_str(json_array_get(input, n - 1), "type");
        a->after_tools = type && (strcmp(type, RM_ITEM_FUNCTION_CALL_OUTPUT) == 0 ||
                                  strcmp(type, "custom_tool_call_output") == 0);
        a->compaction_trigger = type && strcmp(type, RM_ITEM_COMPACTION_TRIGGER) == 0;
    }
    a->prompt = json_is_string(input) ? input : last_user(input);
    if (json_object_get(body, "instructions"))
        json_array_append(a->instructions, json_object_get(body, "instructions"));
    scan_items(a, input);
    a->text_format = ftype;
    if (ftype && strcmp(ftype, "json_schema") == 0) {
        a->schema = json_object_get(format, "schema");
        a->schema_name = json_util_str(format, "name");
        if (!a->schema)
            a->json_object = 1;
    } else if (ftype && strcmp(ftype, "json_object") == 0) {
        a->json_object = 1;
    }
    effort = json_util_str(reasoning, "effort");
    a->reasoning = (json_is_object(reasoning) || reasoning_model(json_util_str(body, "model"))) &&
                   !(effort && strcmp(effort, "none") == 0);
    a->summary = a->reasoning && json_util_str(reasoning, "summary") != NULL;
    if (json_util_has_string(json_object_get(body, "include"), "reasoning.encrypted_content"))
        a->encrypted = a->reasoning;
}

static void read_chat(struct ask *a, const json_t *body)
{
    const json_t *choice = json_object_get(body, "tool_choice");
    const json_t *messages = json_object_get(body, "messages"), *t, *m;
    const json_t *format = json_object_get(body, "response_format");
    const char *ftype = json_util_str(format, "type");
    const char *effort = json_util_str(body, "reasoning_effort");
    size_t i, n = json_array_size(messages);

    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const json_t *fn = json_object_get(t, "function");
        const char *type = json_util_str(t, "type");
        if ((!type || strcmp(type, "function") == 0) && json_is_object(fn))
            add_tool(a, json_object_get(fn, "name"), json_object_get(fn, "parameters"));
    }
    if (json_is_string(choice)) {
        a->choice = json_string_value(choice);
    } else if (json_is_object(choice)) {
        const char *type = json_util_str(choice, "type");
        const json_t *at = json_object_get(choice, "allowed_tools");

        a->choice = "required";
        if (type && strcmp(type, "function") == 0) {
            a->forced = json_util_str(json_object_get(choice, "function"), "name");
        } else if (type && strcmp(type, "allowed_tools") == 0) {
            a->choice = json_util_str(at, "mode") ? json_util_str(at, "mode") : "auto";
            a->allowed = json_array();
            json_array_foreach(json_object_get(at, "tools"), i, t) {
                const json_t *nm = json_object_get(json_object_get(t, "function"), "name");
                if (json_is_string(nm))
                    json_array_append(a->allowed, (json_t *)nm);
            }
        } else {
            a->choice = "none";
        }
    }
    json_array_foreach(messages, i, m) {
        const char *role = json_util_str(m, "role");
        if (role && (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0)) {
            if (json_util_str(m, "tool_call_id"))
                json_array_append(a->tool_outputs, json_object_get(m, "tool_call_id"));
            a->last_output = result_text(json_object_get(m, "content"));
        }
    }
    if (n) {
        const char *role = json_util_str(json_array_get(messages, n - 1), "role");
        a->after_tools = role && (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0);
    }
    a->prompt = last_user(messages);
    scan_items(a, messages);
    a->text_format = ftype;
    if (ftype && strcmp(ftype, "json_schema") == 0) {
        const json_t *js = json_object_get(format, "json_schema");
        a->schema = json_object_get(js, "schema");
        a->schema_name = json_util_str(js, "name");
        if (!a->schema)
            a->json_object = 1;
    } else if (ftype && strcmp(ftype, "json_object") == 0) {
        a->json_object = 1;
    }
    a->reasoning = (effort || reasoning_model(json_util_str(body, "model"))) &&
                   !(effort && strcmp(effort, "none") == 0);
}

void ask_read(struct ask *a, enum ask_api api, const json_t *body)
{
    memset(a, 0, sizeof(*a));
    a->api = api;
    a->tools = json_array();
    a->tool_names = json_array();
    a->tool_outputs = json_array();
    a->instructions = json_array();
    a->choice = "auto";
    a->parallel = !json_is_false(json_object_get(body, "parallel_tool_calls"));
    if (api == ASK_CHAT)
        read_chat(a, body);
    else
        read_responses(a, body);
}

json_t *ask_callable(const struct ask *a)
{
    json_t *out = json_array(), *name;
    size_t i, j;

    if (strcmp(a->choice, "none") == 0)
        return out;
    json_array_foreach(a->tool_names, i, name) {
        const char *n = json_string_value(name);
        int ok = !a->forced || strcmp(a->forced, n) == 0;

        if (ok && a->allowed) {
            ok = 0;
            for (j = 0; j < json_array_size(a->allowed); j++)
                if (strcmp(json_string_value(json_array_get(a->allowed, j)), n) == 0)
                    ok = 1;
        }
        if (ok)
            json_array_append(out, name);
    }
    return out;
}

int ask_tool(const struct ask *a, const char *name, const json_t **parameters)
{
    json_t *t;
    size_t i;

    json_array_foreach(a->tools, i, t) {
        if (strcmp(json_util_str(t, "name"), name) == 0) {
            json_t *p = json_object_get(t, "parameters");
            *parameters = json_is_null(p) ? NULL : p;
            return 1;
        }
    }
    *parameters = NULL;
    return 0;
}

void ask_release(struct ask *a)
{
    json_decref(a->tools);
    json_decref(a->tool_names);
    json_decref(a->allowed);
    json_decref(a->tool_outputs);
    json_decref(a->instructions);
    memset(a, 0, sizeof(*a));
}
