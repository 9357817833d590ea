/* render_builtin: built-in tool items and logprobs (see render_builtin.h). */
#include "render_builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compaction.h"
#include "contract.h"
#include "limits.h"
#include "json_util.h"

/* A 1x1 transparent PNG: the image an image_generation_call answers with
 * unless the fixture gives its own "result". */
#define TINY_PNG_B64                                                                    \
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

#define DEFAULT_QUERY "respmock"
#define DEFAULT_SERVER_LABEL "respmock"

int render_includes(const json_t *req, const char *value)
{
    return json_util_has_string(json_object_get(req, "include"), value);
}

/* The fixture's 'key', or 'dflt' (stolen) when it gives none. New reference. */
static json_t *given(const struct fx_item *it, const char *key, json_t *dflt)
{
    json_t *v = json_object_get(it->raw, key);

    if (v) {
        json_decref(dflt);
        return json_deep_copy(v);
    }
    return dflt;
}

/* The fixture's string 'key' as a JSON string, or null. */
static json_t *given_str(const struct fx_item *it, const char *key)
{
    return given(it, key, json_null());
}

static json_t *web_search(const struct fx_item *it, const json_t *req)
{
    json_t *query = given(it, "query", json_string(DEFAULT_QUERY));
    /* as recorded (2026-01): type, queries, query */
    json_t *action = json_pack("{s:s, s:[O], s:o}", "type", "search", "queries", query, "query",
                               query);
    json_t *sources = json_object_get(it->raw, "sources"), *s, *out;
    size_t i;

    if (render_includes(req, RM_INCLUDE_WEB_SEARCH_SOURCES)) {
        out = json_array();
        json_array_foreach(sources, i, s) {
            json_t *url = json_object_get(s, "url");
            json_array_append_new(out, json_pack("{s:s, s:o}", "type", "url", "url",
                                                 url ? json_incref(url) : json_string("")));
        }
        json_object_set_new(action, "sources", out);
    }
    return json_pack("{s:o}", "action", action);
}

static json_t *file_search(const struct fx_item *it, const json_t *req)
{
    return json_pack("{s:o, s:o}", "queries", given(it, "queries", json_array()), "results",
                     render_includes(req, RM_INCLUDE_FILE_SEARCH_RESULTS)
                         ? given(it, "results", json_array())
                         : json_null());
}

static json_t *code_interpreter(struct rm_server *srv, const struct fx_item *it,
                                const json_t *req)
{
    char cntr[64];

    server_new_id(srv, RM_ID_CONTAINER, 32, cntr, sizeof(cntr));
    return json_pack("{s:s, s:o, s:o}", "code", it->text, "container_id",
                     given(it, "container_id", json_string(cntr)), "outputs",
                     render_includes(req, RM_INCLUDE_CODE_OUTPUTS)
                         ? given(it, "outputs", json_array())
                         : json_null());
}

/* Keys in byte order, as recorded (vercel/ai fixture, 2025-09); only
 * "result" is always there. */
static json_t *image_generation(const struct fx_item *it)
{
    static const char *const keys[] = {"background", "output_format", "quality", "result",
                                       "revised_prompt", "size", NULL};
    json_t *o = json_object();
    const char *const *k;

    for (k = keys; *k; k++)
        if (strcmp(*k, "result") == 0)
            json_object_set_new(o, *k, given(it, *k, json_string(TINY_PNG_B64)));
        else if (json_object_get(it->raw, *k))
            json_object_set_new(o, *k, given_str(it, *k));
    return o;
}

/* The members of item 'it' besides id, type and status, keys in byte order. */
static json_t *members(struct rm_server *srv, const struct fx_item *it, const json_t *req)
{
    char call[64];

    server_new_id(srv, RM_ID_CALL, RM_CALL_ID_LEN, call, sizeof(call));
    switch (it->tool->kind) {
    case BI_WEB_SEARCH:
        return web_search(it, req);
    case BI_FILE_SEARCH:
        return file_search(it, req);
    case BI_CODE_INTERPRETER:
        return code_interpreter(srv, it, req);
    case BI_IMAGE_GENERATION:
        return image_generation(it);
    case BI_MCP_LIST_TOOLS:
        return json_pack("{s:n, s:o, s:o}", "error", "server_label",
                         given(it, "server_label", json_string(DEFAULT_SERVER_LABEL)), "tools",
                         given(it, "tools", json_array()));
    case BI_MCP_CALL:
        return json_pack("{s:n, s:s, s:o, s:s, s:o, s:o}", "approval_request_id", "arguments",
                         it->text, "error", given_str(it, "error"), "name",
                         json_util_str(it->raw, "name"), "output", given_str(it, "output"),
                         "server_label",
                         given(it, "server_label", json_string(DEFAULT_SERVER_LABEL)));
    case BI_MCP_APPROVAL: {
        const json_t *a = json_object_get(it->raw, "arguments");
        char *args = json_is_object(a) ? json_util_dumps(a) : NULL;
        json_t *m = json_pack("{s:s, s:s, s:o}", "arguments",
                              args ? args : json_is_string(a) ? json_string_value(a) : "{}",
                              "name", json_util_str(it->raw, "name"), "server_label",
                              given(it, "server_label", json_string(DEFAULT_SERVER_LABEL)));
        free(args);
        return m;
    }
    case BI_CUSTOM_TOOL_CALL:
        return json_pack("{s:s, s:s, s:s}", "call_id", call, "input", it->text, "name",
                         json_util_str(it->raw, "name"));
    case BI_LOCAL_SHELL:
        return json_pack("{s:{s:s, s:o, s:o, s:o, s:o, s:o}, s:s}", "action", "type", "exec",
                         "command", given(it, "command", json_array()), "env",
                         given(it, "env", json_object()), "timeout_ms",
                         given(it, "timeout_ms", json_null()), "user", given_str(it, "user"),
                         "working_directory", given_str(it, "working_directory"), "call_id",
                         call);
    case BI_SHELL:
        return json_pack("{s:{s:o, s:o, s:o}, s:s, s:{s:s}}", "action", "commands",
                         given(it, "commands", json_array()), "max_output_length",
                         given(it, "max_output_length", json_null()), "timeout_ms",
                         given(it, "timeout_ms", json_null()), "call_id", call, "environment",
                         "type", "local");
    case BI_COMPACTION:
        return json_object();
    }
    return json_object();
}

/* Whether items of 'kind' carry a status (MCP tool lists, approval
 * requests and compaction items have none). */
static int has_status(enum builtin_kind kind)
{
    return kind != BI_MCP_LIST_TOOLS && kind != BI_MCP_APPROVAL && kind != BI_COMPACTION;
}

json_t *render_builtin_item(struct rm_server *srv, const struct fx_item *it, const char *status,
                            const char *segment, const json_t *req)
{
    char id[96];
    json_t *item, *m = members(srv, it, req), *v;
    const char *key;

    server_new_scoped_id(srv, it->tool->id_prefix, segment, id, sizeof(id));
    item = json_pack("{s:s, s:s}", "id", id, "type", it->tool->type);
    /* an MCP call whose fixture gives an "error" failed */
    if (it->tool->kind == BI_MCP_CALL && json_object_get(it->raw, "error") &&
        strcmp(status, RM_STATUS_COMPLETED) == 0)
        status = RM_STATUS_FAILED;
    if (has_status(it->tool->kind))
        json_object_set_new(item, "status", json_string(status));
    if (it->tool->kind == BI_COMPACTION) {
        /* Opaque, like the real blob; it carries the compacted text ('text'),
         * so sent back as input it stands for that conversation. */
        struct buf enc;

        buf_init(&enc, RM_MAX_COMPACTION_TEXT * 2);
        if (compaction_encode(it->text ? it->text : "", it->text ? strlen(it->text) : 0, &enc) == 0)
            json_object_set_new(item, "encrypted_content", json_stringn(enc.data, enc.len));
        buf_release(&enc);
    }
    json_object_foreach(m, key, v)
        json_object_set(item, key, v);
    json_decref(m);
    return item;
}

json_t *render_builtin_added(const struct fx_item *it, const json_t *item)
{
    json_t *a = json_deep_copy(item), *action;

    if (json_object_get(a, "status"))
        json_object_set_new(a, "status", json_string(RM_STATUS_IN_PROGRESS));
    switch (it->tool->kind) {
    case BI_WEB_SEARCH:
        json_object_del(a, "action"); /* recorded: the search is not known yet */
        break;
    case BI_FILE_SEARCH:
        json_object_set_new(a, "results", json_null());
        break;
    case BI_CODE_INTERPRETER:
        json_object_set_new(a, "code", json_string(""));
        json_object_set_new(a, "outputs", json_null());
        break;
    case BI_IMAGE_GENERATION: {
        /* recorded: id, type and status only */
        json_t *bare = json_pack("{s:O, s:O, s:O}", "id", json_object_get(a, "id"), "type",
                                 json_object_get(a, "type"), "status", json_object_get(a, "status"));
        json_decref(a);
        return bare;
    }
    case BI_MCP_LIST_TOOLS:
        json_object_set_new(a, "tools", json_array());
        break;
    case BI_MCP_CALL:
        json_object_set_new(a, "arguments", json_string(""));
        json_object_set_new(a, "output", json_null());
        break;
    case BI_CUSTOM_TOOL_CALL:
        json_object_set_new(a, "input", json_string(""));
        break;
    case BI_SHELL:
        action = json_object_get(a, "action");
        json_object_set_new(action, "commands", json_array());
        break;
    default:
        break;
    }
    return a;
}

json_t *render_logprobs(const char *text, const struct fx_chunks *ch, size_t from, size_t to,
                        int top, int bytes)
{
    json_t *out = json_array();
    size_t c, start = from ? ch->ends[from - 1] : 0;

    for (c = from; c < to && c < ch->n; c++) {
        size_t end = ch->ends[c], b;
        double lp = -(double)(1 + c % 8) / 64.0; /* exact in binary: short on the wire */
        json_t *token = json_stringn(text + start, end - start), *alts = json_array(), *e;
        int k;

        for (k = 0; k < top; k++) {
            char alt[32];
            json_t *a;

            if (k == 0)
                a = json_pack("{s:O, s:f}", "token", token, "logprob", lp);
            else {
                snprintf(alt, sizeof(alt), " alt%d", k);
                a = json_pack("{s:s, s:f}", "token", alt, "logprob", lp - 2.0 * k);
            }
            if (bytes) {
                const char *t = json_string_value(json_object_get(a, "token"));
                json_t *bv = json_array();
                for (b = 0; t[b]; b++)
                    json_array_append_new(bv, json_integer((unsigned char)t[b]));
                json_object_set_new(a, "bytes", bv);
            }
            json_array_append_new(alts, a);
        }
        e = json_pack("{s:o, s:f, s:o}", "token", token, "logprob", lp, "top_logprobs", alts);
        if (bytes) {
            json_t *bv = json_array();
            for (b = start; b < end; b++)
                json_array_append_new(bv, json_integer((unsigned char)text[b]));
            json_object_set_new(e, "bytes", bv);
        }
        json_array_append_new(out, e);
        start = end;
    }
    return out;
}
