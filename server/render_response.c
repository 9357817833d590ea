/* render_response: the final Response object of a fixture (see
 * render_response.h). */
#include "render_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"

const struct fx_item *render_items(const struct render_ctx *rc, size_t *n)
{
    *n = rc->items ? rc->nitems : rc->fx->nitems;
    return rc->items ? rc->items : rc->fx->items;
}

long render_count_tokens(const char *text)
{
    size_t n = text ? strlen(text) : 0;

    return (long)((n + 3) / 4);
}

/* Copy 'key' from the request or use 'dflt' (stolen) when absent or null. */
static void echo(json_t *out, const json_t *req, const char *key, json_t *dflt)
{
    json_t *v = json_object_get(req, key);

    if (v && !json_is_null(v)) {
        json_object_set(out, key, v);
        json_decref(dflt);
    } else {
        json_object_set_new(out, key, dflt);
    }
}

/* Tools as the real API echoes them: function tools gain description and
 * strict (Responses defaults to strict mode). */
static json_t *normalise_tools(const json_t *tools)
{
    json_t *out = json_array(), *t;
    size_t i;

    json_array_foreach(tools, i, t) {
        json_t *c = json_deep_copy(t);

        if (json_is_object(c) && json_util_str(c, "type") &&
            strcmp(json_util_str(c, "type"), "function") == 0) {
            json_t *fn = json_object();
            json_object_set_new(fn, "type", json_string("function"));
            json_object_set(fn, "name", json_object_get(c, "name"));
            json_object_set(fn, "description", json_object_get(c, "description")
                                                   ? json_object_get(c, "description")
                                                   : json_null());
            json_object_set(fn, "parameters", json_object_get(c, "parameters")
                                                  ? json_object_get(c, "parameters")
                                                  : json_null());
            json_object_set_new(fn, "strict",
                                json_is_boolean(json_object_get(c, "strict"))
                                    ? json_incref(json_object_get(c, "strict"))
                                    : json_true());
            json_decref(c);
            c = fn;
        }
        json_array_append_new(out, c);
    }
    return out;
}

json_t *render_output_text_part(const char *text)
{
    return json_pack("{s:s, s:s, s:[], s:[]}", "type", RM_PART_OUTPUT_TEXT, "text", text,
                     "annotations", "logprobs");
}

/* One output item with fresh ids. 'status' is the item status. */
static json_t *render_item(struct rm_server *srv, const struct fx_item *it, const char *status)
{
    char id[64], call[64];

    switch (it->type) {
    case FX_ITEM_MESSAGE:
        server_new_id(srv, RM_ID_MESSAGE, 32, id, sizeof(id));
        return json_pack("{s:s, s:s, s:s, s:s, s:[o]}", "id", id, "type", RM_ITEM_MESSAGE, "status",
                         status, "role", "assistant", "content", render_output_text_part(it->text));
    case FX_ITEM_REFUSAL:
        server_new_id(srv, RM_ID_MESSAGE, 32, id, sizeof(id));
        return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "id", id, "type", RM_ITEM_MESSAGE,
                         "status", status, "role", "assistant", "content", "type", RM_PART_REFUSAL,
                         "refusal", it->text);
    case FX_ITEM_FUNCTION_CALL:
        server_new_id(srv, RM_ID_FUNCTION_CALL, 32, id, sizeof(id));
        server_new_id(srv, RM_ID_CALL, 24, call, sizeof(call));
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "type", RM_ITEM_FUNCTION_CALL,
                         "status", RM_STATUS_COMPLETED, "arguments", it->text, "call_id", call, "name",
                         it->name);
    case FX_ITEM_REASONING: {
        json_t *r;

        server_new_id(srv, RM_ID_REASONING, 32, id, sizeof(id));
        r = json_pack("{s:s, s:s, s:[]}", "id", id, "type", RM_ITEM_REASONING, "summary");
        if (it->text)
            json_array_append_new(json_object_get(r, "summary"),
                                  json_pack("{s:s, s:s}", "type", RM_PART_SUMMARY_TEXT, "text",
                                            it->text));
        if (it->encrypted) {
            /* Opaque, like the real tokens; given back as input it is accepted. */
            char enc[96];
            snprintf(enc, sizeof(enc), "gAAAAAB%s%s", "cmVzcG1vY2s", id + 3);
            json_object_set_new(r, "encrypted_content", json_string(enc));
        }
        return r;
    }
    case FX_ITEM_RAW: {
        json_t *c = json_deep_copy(it->raw);
        if (!json_object_get(c, "id")) {
            server_new_id(srv, RM_ID_ITEM, 32, id, sizeof(id));
            json_object_set_new(c, "id", json_string(id));
        }
        return c;
    }
    }
    return NULL;
}

/* Text an output item contributes to output_tokens. */
static const char *item_text(const struct fx_item *it)
{
    return it->type == FX_ITEM_RAW ? "" : it->text;
}

json_t *render_response(const struct render_ctx *rc)
{
    const struct fixture *fx = rc->fx;
    const json_t *req = rc->req;
    const char *status = fx->status ? fx->status : RM_STATUS_COMPLETED;
    const char *item_status = strcmp(status, RM_STATUS_INCOMPLETE) == 0 ? RM_STATUS_INCOMPLETE : RM_STATUS_COMPLETED;
    json_t *r = json_object(), *output = json_array(), *text, *reasoning, *tools;
    char id[64];
    long out_tokens = 0, reasoning_tokens = 0, in_tokens;
    const struct fx_item *items;
    size_t nitems;
    const char *tier;
    size_t i;
    int64_t now = server_unix_time();

    server_new_id(rc->srv, RM_ID_RESPONSE, 48, id, sizeof(id));
    items = render_items(rc, &nitems);
    for (i = 0; i < nitems; i++) {
        long t = render_count_tokens(item_text(&items[i]));

        json_array_append_new(output, render_item(rc->srv, &items[i], item_status));
        if (items[i].type == FX_ITEM_REASONING)
            reasoning_tokens += t;
        out_tokens += t;
    }
    if (fx->usage_out >= 0)
        out_tokens = fx->usage_out;
    if (fx->usage_reasoning >= 0)
        reasoning_tokens = fx->usage_reasoning;
    in_tokens = fx->usage_in >= 0 ? fx->usage_in : rc->input_tokens;

    json_object_set_new(r, "id", json_string(id));
    json_object_set_new(r, "object", json_string(RM_OBJ_RESPONSE));
    json_object_set_new(r, "created_at", json_integer(now));
    json_object_set_new(r, "status", json_string(status));
    json_object_set_new(r, "background", json_boolean(rc->background));
    json_object_set_new(r, "completed_at",
                        strcmp(status, RM_STATUS_COMPLETED) == 0 ? json_integer(now) : json_null());
    if (strcmp(status, RM_STATUS_FAILED) == 0)
        json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", RM_ERRCODE_SERVER, "message",
                                                  "The model failed to generate a response."));
    else
        json_object_set_new(r, "error", json_null());
    json_object_set_new(r, "incomplete_details",
                        strcmp(status, RM_STATUS_INCOMPLETE) == 0
                            ? json_pack("{s:s}", "reason", fx->incomplete_reason
                                                               ? fx->incomplete_reason
                                                               : "max_output_tokens")
                            : json_null());
    echo(r, req, "instructions", json_null());
    echo(r, req, "max_output_tokens", json_null());
    echo(r, req, "max_tool_calls", json_null());
    if (fx->model)
        json_object_set_new(r, "model", json_string(fx->model));
    else
        echo(r, req, "model", json_string("respmock"));
    json_object_set_new(r, "output", output);
    echo(r, req, "parallel_tool_calls", json_true());
    json_object_set_new(r, "previous_response_id", rc->previous_response_id
                                                        ? json_string(rc->previous_response_id)
                                                        : json_null());
    json_object_set_new(r, "conversation", rc->conversation_id
                                               ? json_pack("{s:s}", "id", rc->conversation_id)
                                               : json_null());
    reasoning = json_object_get(req, "reasoning");
    json_object_set_new(r, "reasoning",
                        json_pack("{s:O, s:O}", "effort",
                                  json_object_get(reasoning, "effort")
                                      ? json_object_get(reasoning, "effort")
                                      : json_null(),
                                  "summary",
                                  json_object_get(reasoning, "summary")
                                      ? json_object_get(reasoning, "summary")
                                      : json_null()));
    tier = json_util_str(req, "service_tier");
    json_object_set_new(r, "service_tier",
                        json_string(!tier || strcmp(tier, "auto") == 0 ? "default" : tier));
    json_object_set_new(r, "store", json_boolean(!json_is_false(json_object_get(req, "store"))));
    echo(r, req, "temperature", json_real(1.0));
    text = json_object_get(req, "text");
    text = json_is_object(text) ? json_deep_copy(text) : json_object();
    if (!json_object_get(text, "format"))
        json_object_set_new(text, "format", json_pack("{s:s}", "type", "text"));
    if (!json_object_get(text, "verbosity"))
        json_object_set_new(text, "verbosity", json_string("medium"));
    json_object_set_new(r, "text", text);
    echo(r, req, "tool_choice", json_string("auto"));
    tools = json_object_get(req, "tools");
    json_object_set_new(r, "tools", normalise_tools(json_is_array(tools) ? tools : NULL));
    echo(r, req, "top_logprobs", json_integer(0));
    echo(r, req, "top_p", json_real(1.0));
    echo(r, req, "truncation", json_string("disabled"));
    if (strcmp(status, RM_STATUS_FAILED) == 0)
        json_object_set_new(r, "usage", json_null());
    else
        json_object_set_new(
            r, "usage",
            json_pack("{s:I, s:{s:I, s:i}, s:I, s:{s:I}, s:I}", "input_tokens",
                      (json_int_t)in_tokens, "input_tokens_details", "cached_tokens",
                      (json_int_t)(fx->usage_cached > 0 ? fx->usage_cached : 0),
                      "cache_write_tokens", 0, "output_tokens", (json_int_t)out_tokens,
                      "output_tokens_details", "reasoning_tokens", (json_int_t)reasoning_tokens,
                      "total_tokens", (json_int_t)(in_tokens + out_tokens)));
    echo(r, req, "user", json_null());
    echo(r, req, "safety_identifier", json_null());
    echo(r, req, "prompt_cache_key", json_null());
    echo(r, req, "prompt_cache_retention", json_null());
    echo(r, req, "prompt", json_null());
    echo(r, req, "metadata", json_object());
    return r;
}
