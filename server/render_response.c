/* render_response: the final Response object of a fixture (see
 * render_response.h). */
#include "render_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "render_builtin.h"

const struct fx_item *render_items(const struct render_ctx *rc, size_t *n)
{
    *n = rc->items ? rc->nitems : rc->fx->nitems;
    return rc->items ? rc->items : rc->fx->items;
}

const char *render_summary(const struct render_ctx *rc, const struct fx_item *it)
{
    const json_t *r = json_object_get(rc->req, "reasoning");

    if (it->type != FX_ITEM_REASONING || !it->text)
        return NULL;
    /* request-aware answers (rc->items) decided already; a fixture's text is
     * shown only when the request asks for a summary, as the real API does */
    if (rc->items)
        return it->text;
    return json_is_string(json_object_get(r, "summary")) ? it->text : NULL;
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

/* Copy 'key' of 'req' into 'out' when it is given (not null). */
static void echo_given(json_t *out, const json_t *req, const char *key)
{
    json_t *v = json_object_get(req, key);

    if (v && !json_is_null(v))
        json_object_set(out, key, v);
}

static void set_default(json_t *o, const char *key, json_t *dflt)
{
    if (!json_object_get(o, key))
        json_object_set_new(o, key, dflt);
    else
        json_decref(dflt);
}

/* Tools as the real API echoes them: function tools gain description,
 * output_schema and strict (Responses defaults to strict mode); web search
 * gains its defaults; every tool has "type" first, then its keys in byte
 * order. */
static json_t *normalise_tools(const json_t *tools)
{
    json_t *out = json_array(), *t;
    size_t i;

    json_array_foreach(tools, i, t) {
        json_t *c = json_is_object(t) ? json_copy(t) : json_incref(t);
        const char *type = json_util_str(c, "type");

        if (type && strcmp(type, "function") == 0) {
            set_default(c, "description", json_null());
            set_default(c, "output_schema", json_null());
            set_default(c, "parameters", json_null());
            if (!json_is_boolean(json_object_get(c, "strict")))
                json_object_set_new(c, "strict", json_true());
        } else if (type && strncmp(type, "web_search", 10) == 0) {
            set_default(c, "filters", json_null());
            set_default(c, "search_context_size", json_string("medium"));
            set_default(c, "user_location",
                        json_pack("{s:s, s:n, s:s, s:n, s:n}", "type", "approximate", "city",
                                  "country", "US", "region", "timezone"));
        }
        if (json_is_object(c)) {
            json_t *sorted = json_util_type_first(c);
            json_decref(c);
            c = sorted;
        }
        json_array_append_new(out, c);
    }
    return out;
}

json_t *render_output_text_part(const char *text)
{
    return json_pack("{s:s, s:[], s:[], s:s}", "type", RM_PART_OUTPUT_TEXT, "annotations",
                     "logprobs", "text", text);
}

/* One output item with fresh ids sharing 'segment' with the response id.
 * 'status' is the item status, 'phase' the message phase (NULL: none). Keys
 * as the real API orders them: id, type, status, then the others in byte
 * order. */
static json_t *render_item(struct rm_server *srv, const struct fx_item *it, const char *status,
                           const char *segment, const char *phase, const char *summary,
                           const json_t *req)
{
    char id[96], call[64];
    json_t *m;

    switch (it->type) {
    case FX_ITEM_MESSAGE:
    case FX_ITEM_REFUSAL:
        server_new_scoped_id(srv, RM_ID_MESSAGE, segment, id, sizeof(id));
        m = json_pack("{s:s, s:s, s:s, s:[o]}", "id", id, "type", RM_ITEM_MESSAGE, "status",
                      status, "content",
                      it->type == FX_ITEM_MESSAGE
                          ? render_text_part(it, req)
                          : json_pack("{s:s, s:s}", "type", RM_PART_REFUSAL, "refusal", it->text));
        if (phase)
            json_object_set_new(m, "phase", json_string(phase));
        json_object_set_new(m, "role", json_string(RM_ROLE_ASSISTANT));
        return m;
    case FX_ITEM_FUNCTION_CALL:
        server_new_scoped_id(srv, RM_ID_FUNCTION_CALL, segment, id, sizeof(id));
        server_new_id(srv, RM_ID_CALL, RM_CALL_ID_LEN, call, sizeof(call));
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "type", RM_ITEM_FUNCTION_CALL,
                         "status", RM_STATUS_COMPLETED, "arguments", it->text, "call_id", call, "name",
                         it->name);
    case FX_ITEM_REASONING: {
        json_t *r;

        server_new_scoped_id(srv, RM_ID_REASONING, segment, id, sizeof(id));
        r = json_pack("{s:s, s:s, s:[]}", "id", id, "type", RM_ITEM_REASONING, "content");
        if (it->encrypted) {
            /* Opaque, like the real tokens; given back as input it is accepted. */
            char enc[160];
            snprintf(enc, sizeof(enc), "gAAAAAB%s%s", "cmVzcG1vY2s", id + 3);
            json_object_set_new(r, "encrypted_content", json_string(enc));
        }
        if (it->reasoning)
            json_array_append_new(json_object_get(r, "content"),
                                  json_pack("{s:s, s:s}", "type", RM_PART_REASONING_TEXT, "text",
                                            it->reasoning));
        json_object_set_new(r, "summary", json_array());
        if (summary)
            json_array_append_new(json_object_get(r, "summary"),
                                  json_pack("{s:s, s:s}", "type", RM_PART_SUMMARY_TEXT, "text",
                                            summary));
        return r;
    }
    case FX_ITEM_RAW: {
        json_t *c = json_deep_copy(it->raw);
        if (!json_object_get(c, "id")) {
            server_new_scoped_id(srv, RM_ID_ITEM, segment, id, sizeof(id));
            json_object_set_new(c, "id", json_string(id));
        }
        return c;
    }
    case FX_ITEM_TOOL:
        return render_builtin_item(srv, it, status, segment, req);
    }
    return NULL;
}

/* Text an output item contributes to output_tokens. */
static const char *item_text(const struct fx_item *it)
{
    return it->type == FX_ITEM_RAW ? "" : it->text;
}

int render_top_logprobs(const json_t *req)
{
    const json_t *n = json_object_get(req, "top_logprobs");

    if (!render_includes(req, RM_INCLUDE_LOGPROBS))
        return -1;
    return json_is_integer(n) ? (int)json_integer_value(n) : 0;
}

json_t *render_text_part(const struct fx_item *it, const json_t *req)
{
    json_t *part = render_output_text_part(it->text);
    int top = render_top_logprobs(req);

    if (it->annotations)
        json_object_set_new(part, "annotations", json_deep_copy(it->annotations));
    if (top >= 0)
        json_object_set_new(part, "logprobs",
                            render_logprobs(it->text, &it->chunks, 0, it->chunks.n, top, 1));
    return part;
}

/* The categories of a moderation result, in the order the real API sends them. */
static const char *const moderation_categories[] = {
    "harassment", "harassment/threatening", "sexual", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm/intent", "self-harm/instructions", "self-harm",
    "sexual/minors", "violence", "violence/graphic", NULL};

/* A moderation result that flags nothing, for the model 'model'. */
static json_t *moderation_result(const char *model)
{
    json_t *cats = json_object(), *types = json_object(), *scores = json_object();
    const char *const *c;

    for (c = moderation_categories; *c; c++) {
        json_object_set_new(cats, *c, json_false());
        json_object_set_new(types, *c, json_pack("[s]", "text"));
        json_object_set_new(scores, *c, json_real(0.0));
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:b, s:s}", "type", "moderation_result", "categories",
                     cats, "category_applied_input_types", types, "category_scores", scores,
                     "flagged", 0, "model", model);
}

/* Usage of the hosted tools, as every response of the current API has it:
 * the web searches made ('searches', one per web_search_call); image
 * tokens are not modelled (0). */
static json_t *tool_usage(json_int_t searches)
{
    return json_pack("{s:{s:i, s:{s:i, s:i}, s:i, s:{s:i, s:i}, s:i}, s:{s:I}}", "image_gen",
                     "input_tokens", 0, "input_tokens_details", "image_tokens", 0, "text_tokens",
                     0, "output_tokens", 0, "output_tokens_details", "image_tokens", 0,
                     "text_tokens", 0, "total_tokens", 0, "web_search", "num_requests", searches);
}

/* The reasoning object: the request's, with the defaults of the model. */
static json_t *reasoning_of(const json_t *req, const char *model)
{
    const json_t *asked = json_object_get(req, "reasoning");
    const char *effort = contract_model_default_effort(model);
    int reasons = contract_model_reasons(model);
    json_t *r = json_object(), *v;

    v = json_object_get(asked, "context");
    json_object_set_new(r, "context", v && !json_is_null(v) ? json_incref(v)
                                      : reasons ? json_string("current_turn") : json_null());
    v = json_object_get(asked, "effort");
    json_object_set_new(r, "effort", v && !json_is_null(v) ? json_incref(v)
                                     : effort ? json_string(effort) : json_null());
    v = json_object_get(asked, "mode");
    if (v && !json_is_null(v))
        json_object_set(r, "mode", v);
    else if (reasons)
        json_object_set_new(r, "mode", json_string("standard"));
    v = json_object_get(asked, "summary");
    json_object_set_new(r, "summary", v ? json_incref(v) : json_null());
    return r;
}

json_t *render_response(const struct render_ctx *rc)
{
    const struct fixture *fx = rc->fx;
    const json_t *req = rc->req;
    const char *status = fx->status ? fx->status : RM_STATUS_COMPLETED;
    const char *item_status = strcmp(status, RM_STATUS_INCOMPLETE) == 0 ? RM_STATUS_INCOMPLETE : RM_STATUS_COMPLETED;
    json_t *r = json_object(), *output = json_array(), *text, *tools, *v;
    char id[96], segment[RM_ID_SEGMENT_LEN + 1];
    long out_tokens = 0, reasoning_tokens = 0, in_tokens;
    json_int_t searches = 0;
    const struct fx_item *items;
    const char *model, *tier;
    size_t nitems;
    size_t i;
    int64_t now = server_unix_time();
    int phase;

    model = fx->model ? fx->model : json_util_str(req, "model");
    phase = contract_model_has_phase(model);
    server_new_scoped_id(rc->srv, RM_ID_RESPONSE, NULL, id, sizeof(id));
    memcpy(segment, id + strlen(RM_ID_RESPONSE), RM_ID_SEGMENT_LEN);
    segment[RM_ID_SEGMENT_LEN] = '\0';
    items = render_items(rc, &nitems);
    for (i = 0; i < nitems; i++) {
        long t = render_count_tokens(item_text(&items[i]));
        const char *ph = NULL;

        if (phase && (items[i].type == FX_ITEM_MESSAGE || items[i].type == FX_ITEM_REFUSAL)) {
            size_t j;
            ph = "final_answer";
            for (j = i + 1; j < nitems; j++)
                if (items[j].type == FX_ITEM_FUNCTION_CALL)
                    ph = "commentary"; /* it narrates the tool call that follows */
        }
        json_array_append_new(output, render_item(rc->srv, &items[i], item_status, segment, ph,
                                                   render_summary(rc, &items[i]), req));
        if (items[i].type == FX_ITEM_REASONING)
            reasoning_tokens += t;
        if (items[i].type == FX_ITEM_TOOL && items[i].tool->kind == BI_WEB_SEARCH)
            searches++;
        out_tokens += t;
    }
    if (fx->usage_out >= 0)
        out_tokens = fx->usage_out;
    if (fx->usage_reasoning >= 0)
        reasoning_tokens = fx->usage_reasoning;
    in_tokens = fx->usage_in >= 0 ? fx->usage_in : rc->input_tokens;

    /* The keys in the order of the real API (recordings of 2026): id, object,
     * created_at, status, then byte order, metadata last. "billing" is in
     * JSON bodies only (render_events leaves it out of the stream). */
    json_object_set_new(r, "id", json_string(id));
    json_object_set_new(r, "object", json_string(RM_OBJ_RESPONSE));
    json_object_set_new(r, "created_at", json_integer(now));
    json_object_set_new(r, "status", json_string(status));
    json_object_set_new(r, "background", json_boolean(rc->background));
    json_object_set_new(r, "billing", json_pack("{s:s}", "payer", "developer"));
    json_object_set_new(r, "completed_at",
                        strcmp(status, RM_STATUS_COMPLETED) == 0 ? json_integer(now) : json_null());
    if (rc->conversation_id)
        json_object_set_new(r, "conversation", json_pack("{s:s}", "id", rc->conversation_id));
    if (strcmp(status, RM_STATUS_FAILED) == 0)
        json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", RM_ERRCODE_SERVER, "message",
                                                  "The model failed to generate a response."));
    else
        json_object_set_new(r, "error", json_null());
    echo(r, req, "frequency_penalty", json_real(0.0));
    json_object_set_new(r, "incomplete_details",
                        strcmp(status, RM_STATUS_INCOMPLETE) == 0
                            ? json_pack("{s:s}", "reason", fx->incomplete_reason
                                                               ? fx->incomplete_reason
                                                               : "max_output_tokens")
                            : json_null());
    echo(r, req, "instructions", json_null());
    echo(r, req, "max_output_tokens", json_null());
    echo(r, req, "max_tool_calls", json_null());
    json_object_set_new(r, "model", json_string(model ? model : "respmock"));
    v = json_object_get(req, "moderation");
    json_object_set_new(r, "moderation",
                        json_is_object(v) && strcmp(status, RM_STATUS_COMPLETED) == 0
                            ? json_pack("{s:o, s:o}", "input",
                                        moderation_result(json_util_str(v, "model")
                                                              ? json_util_str(v, "model")
                                                              : "omni-moderation-latest"),
                                        "output",
                                        moderation_result(json_util_str(v, "model")
                                                              ? json_util_str(v, "model")
                                                              : "omni-moderation-latest"))
                            : json_null());
    json_object_set_new(r, "output", output);
    echo(r, req, "parallel_tool_calls", json_true());
    echo(r, req, "presence_penalty", json_real(0.0));
    json_object_set_new(r, "previous_response_id", rc->previous_response_id
                                                        ? json_string(rc->previous_response_id)
                                                        : json_null());
    echo_given(r, req, "prompt");
    echo(r, req, "prompt_cache_key", json_null());
    echo(r, req, "prompt_cache_retention", json_string(contract_model_cache_retention(model)));
    json_object_set_new(r, "reasoning", reasoning_of(req, model));
    echo(r, req, "safety_identifier", json_null());
    /* the tier served: "default" for auto (response_snapshot shows the
     * request's tier while the response runs) */
    tier = json_util_str(req, "service_tier");
    json_object_set_new(r, "service_tier",
                        json_string(!tier || strcmp(tier, "auto") == 0 ? "default" : tier));
    json_object_set_new(r, "store", json_boolean(!json_is_false(json_object_get(req, "store"))));
    echo(r, req, "temperature", json_real(1.0));
    v = json_object_get(req, "text");
    text = json_object();
    json_object_set_new(text, "format", json_object_get(v, "format")
                                            ? json_incref(json_object_get(v, "format"))
                                            : json_pack("{s:s}", "type", "text"));
    json_object_set_new(text, "verbosity", json_object_get(v, "verbosity")
                                               ? json_incref(json_object_get(v, "verbosity"))
                                               : json_string("medium"));
    json_object_set_new(r, "text", text);
    echo(r, req, "tool_choice", json_string("auto"));
    json_object_set_new(r, "tool_usage", tool_usage(searches));
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
            json_pack("{s:I, s:{s:i, s:I}, s:I, s:{s:I}, s:I}", "input_tokens",
                      (json_int_t)in_tokens, "input_tokens_details", "cache_write_tokens", 0,
                      "cached_tokens", (json_int_t)(fx->usage_cached > 0 ? fx->usage_cached : 0),
                      "output_tokens", (json_int_t)out_tokens, "output_tokens_details",
                      "reasoning_tokens", (json_int_t)reasoning_tokens, "total_tokens",
                      (json_int_t)(in_tokens + out_tokens)));
    echo(r, req, "user", json_null());
    echo(r, req, "metadata", json_object());
    return r;
}

/* The user messages of 'context' (what a compaction keeps verbatim). */
static json_t *user_messages(const json_t *context)
{
    json_t *out = json_array(), *it;
    size_t i;

    json_array_foreach(context, i, it) {
        const char *type = json_util_str(it, "type"), *role = json_util_str(it, "role");

        if ((!type || strcmp(type, RM_ITEM_MESSAGE) == 0) && role &&
            strcmp(role, RM_ROLE_USER) == 0) /* keys in the order of the spec's example */
            json_array_append_new(out, json_pack("{s:O?, s:s, s:s, s:O?, s:s}", "id",
                                                 json_object_get(it, "id"), "type",
                                                 RM_ITEM_MESSAGE, "status", RM_STATUS_COMPLETED,
                                                 "content", json_object_get(it, "content"),
                                                 "role", role));
    }
    return out;
}

json_t *render_compacted(struct rm_server *srv, const char *text, const json_t *context,
                         long input_tokens)
{
    struct fx_item it;
    json_t *r, *output = user_messages(context), *cmp;
    char id[96], segment[RM_ID_SEGMENT_LEN + 1];
    long out_tokens;

    server_new_scoped_id(srv, RM_ID_RESPONSE, NULL, id, sizeof(id));
    memcpy(segment, id + strlen(RM_ID_RESPONSE), RM_ID_SEGMENT_LEN);
    segment[RM_ID_SEGMENT_LEN] = '\0';
    memset(&it, 0, sizeof(it));
    it.type = FX_ITEM_TOOL;
    it.tool = builtin_find(RM_ITEM_COMPACTION);
    it.text = (char *)text; /* read only */
    cmp = render_builtin_item(srv, &it, RM_STATUS_COMPLETED, segment, NULL);
    out_tokens = render_count_tokens(json_util_str(cmp, "encrypted_content"));
    json_array_append_new(output, cmp);
    r = json_pack("{s:s, s:s, s:I, s:o}", "id", id, "object", RM_OBJ_RESPONSE_COMPACTION,
                  "created_at", (json_int_t)server_unix_time(), "output", output);
    json_object_set_new(r, "usage",
                        json_pack("{s:I, s:{s:i, s:i}, s:I, s:{s:i}, s:I}", "input_tokens",
                                  (json_int_t)input_tokens, "input_tokens_details",
                                  "cache_write_tokens", 0, "cached_tokens", 0, "output_tokens",
                                  (json_int_t)out_tokens, "output_tokens_details",
                                  "reasoning_tokens", 0, "total_tokens",
                                  (json_int_t)(input_tokens + out_tokens)));
    return r;
}
