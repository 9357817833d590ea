/* auto_answer: request-aware answers (see auto_answer.h). */
#include "auto_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "builtin.h"
#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "schema_gen.h"

#define REASONING_SUMMARY "Working out what the request needs and how to answer it."
#define QUOTE_MAX 200 /* bytes of a tool result quoted in the answer */
#define HOSTED_QUERY_MAX 100 /* bytes of the prompt a default web or file search queries */
#define HOSTED_SITE "example.com"
#define HOSTED_URL "https://example.com/respmock"
#define HOSTED_TITLE "respmock: an offline stand-in for the Responses API"
#define HOSTED_CODE "print(\"respmock\")"

/* The first message text of 'fx', or a plain default. */
static const char *plain_text(const struct fixture *fx)
{
    size_t i;

    for (i = 0; i < fx->nitems; i++)
        if (fx->items[i].type == FX_ITEM_MESSAGE)
            return fx->items[i].text;
    return "OK.";
}

/* Calls to the callable tools: the first one, or each with parallel calls. */
static int add_calls(const struct fixture *fx, const struct ask *a, const json_t *callable,
                     struct fx_items *out)
{
    size_t i, n = fx->parallel_calls && a->parallel ? json_array_size(callable) : 1;

    for (i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(callable, i));
        const json_t *params;
        json_t *args;
        char *text;
        struct fx_item *it;

        ask_tool(a, name, &params);
        args = schema_gen(params, name);
        text = args ? json_util_dumps(args) : NULL;
        json_decref(args);
        it = text ? fx_items_add(out, FX_ITEM_FUNCTION_CALL, text, name, &fx->stream) : NULL;
        free(text);
        if (!it)
            return -1;
    }
    return 0;
}

/* The message answering without a call. */
static int add_message(const struct fixture *fx, const struct ask *a, struct fx_items *out)
{
    struct buf b;
    size_t i;
    int rc = 0;

    buf_init(&b, RM_MAX_RESPONSE_BYTES);
    if (a->schema || a->json_object) {
        /* REQ: structured-output: JSON valid against the schema asked for. */
        json_t *v = a->schema ? schema_gen(a->schema, a->schema_name)
                              : json_pack("{s:s}", "answer", plain_text(fx));
        char *text = v ? json_util_dumps(v) : NULL;

        rc = text && fx_items_add(out, FX_ITEM_MESSAGE, text, NULL, &fx->stream) ? 0 : -1;
        free(text);
        json_decref(v);
    } else if (a->after_tools) {
        const char *q = a->last_output ? a->last_output : "";
        size_t n = utf8_cut(q, strlen(q), QUOTE_MAX);

        buf_appendf(&b, "Done. The tool returned: %.*s%s", (int)n, q, n < strlen(q) ? "..." : "");
        rc = b.data && fx_items_add(out, FX_ITEM_MESSAGE, b.data, NULL, &fx->stream) ? 0 : -1;
    } else {
        for (i = 0; i < fx->nitems && rc == 0; i++)
            if (fx->items[i].type != FX_ITEM_REASONING)
                rc = fx_items_copy(out, &fx->items[i], &fx->stream) ? 0 : -1;
    }
    buf_release(&b);
    return rc;
}

/* The user's prompt as one string (its first text part), or "". */
static const char *prompt_text(const struct ask *a)
{
    const json_t *part;
    size_t i;

    if (json_is_string(a->prompt))
        return json_string_value(a->prompt);
    json_array_foreach(a->prompt, i, part)
        if (json_util_str(part, "text"))
            return json_util_str(part, "text");
    return "";
}

/* The fixture object of the default item of built-in tool 'bi' for 'a':
 * what the fixture format would say (builtin.h keys). New reference. */
static json_t *hosted_spec(const struct builtin_item *bi, const struct ask *a)
{
    char query[HOSTED_QUERY_MAX + 1];

    snprintf(query, sizeof(query), "%s", prompt_text(a)[0] ? prompt_text(a) : "respmock");
    switch (bi->kind) {
    case BI_WEB_SEARCH:
        return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "type", bi->type, "query", query,
                         "sources", "url", HOSTED_URL, "title", HOSTED_TITLE);
    case BI_FILE_SEARCH:
        return json_pack("{s:s, s:[s]}", "type", bi->type, "queries", query);
    case BI_CODE_INTERPRETER:
        return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "type", bi->type, "code",
                         HOSTED_CODE, "outputs", "type", "logs", "logs", "respmock\n");
    case BI_LOCAL_SHELL:
        return json_pack("{s:s, s:[s, s]}", "type", bi->type, "command", "echo", "respmock");
    case BI_SHELL:
        return json_pack("{s:s, s:[s]}", "type", bi->type, "commands", "echo respmock");
    default:
        return json_pack("{s:s}", "type", bi->type);
    }
}

/* The answer to a request with a built-in tool (a->hosted): that tool's
 * item, then (for the tools the API runs itself) the fixture's text, cited
 * when the tool searched the web. Shell calls are run by the client: the
 * answer ends with the call. */
static int add_hosted(const struct fixture *fx, const struct ask *a, struct fx_items *out)
{
    const struct builtin_item *bi = builtin_for_tool(a->hosted);
    json_t *spec = hosted_spec(bi, a), *v;
    struct fx_item *it;
    struct buf b;
    int rc = -1;

    v = bi->streamed ? json_object_get(spec, bi->streamed) : NULL;
    it = fx_items_add(out, FX_ITEM_TOOL, json_is_string(v) ? json_string_value(v) : NULL, NULL,
                      &fx->stream);
    if (it) {
        it->tool = bi;
        it->raw = json_incref(spec);
    }
    json_decref(spec);
    if (!it)
        return -1;
    if (bi->kind == BI_LOCAL_SHELL || bi->kind == BI_SHELL)
        return 0;
    buf_init(&b, RM_MAX_RESPONSE_BYTES);
    if (bi->kind != BI_WEB_SEARCH) {
        rc = fx_items_add(out, FX_ITEM_MESSAGE, plain_text(fx), NULL, &fx->stream) ? 0 : -1;
    } else if (buf_appendf(&b, "%s ([%s](%s))", plain_text(fx), HOSTED_SITE, HOSTED_URL) == 0 &&
               (it = fx_items_add(out, FX_ITEM_MESSAGE, b.data, NULL, &fx->stream))) {
        /* the citation covers the link at the end, as the real answers have it */
        size_t start = strlen(plain_text(fx)) + 1;

        it->annotations = json_pack("[{s:s, s:I, s:I, s:s, s:s}]", "type",
                                    RM_ANNOTATION_URL_CITATION, "end_index", (json_int_t)b.len,
                                    "start_index", (json_int_t)start, "title", HOSTED_TITLE,
                                    "url", HOSTED_URL);
        rc = it->annotations ? 0 : -1;
    }
    buf_release(&b);
    return rc;
}

int auto_answer(const struct fixture *fx, const struct ask *a, struct fx_items *out)
{
    json_t *callable;
    int call, hosted, rc = 0;

    memset(out, 0, sizeof(*out));
    callable = ask_callable(a);
    call = json_array_size(callable) > 0 && !a->after_tools;
    hosted = !call && a->hosted && !a->after_tools && !a->schema && !a->json_object;
    if (!call && !hosted && !a->reasoning && !a->schema && !a->json_object && !a->after_tools) {
        json_decref(callable); /* the fixture's own answer */
        return 0;
    }
    if (a->reasoning) {
        struct fx_item *r = fx_items_add(out, FX_ITEM_REASONING,
                                         a->summary ? REASONING_SUMMARY : NULL, NULL,
                                         &fx->stream);
        if (!r)
            rc = -1;
        else
            r->encrypted = a->encrypted;
    }
    if (rc == 0)
        rc = call ? add_calls(fx, a, callable, out)
             : hosted ? add_hosted(fx, a, out)
                      : add_message(fx, a, out);
    json_decref(callable);
    if (rc != 0)
        fx_items_release(out);
    return rc;
}

int auto_answer_items_of(const json_t *output, const struct fx_stream *script,
                         struct fx_items *out)
{
    json_t *it;
    size_t i;

    memset(out, 0, sizeof(*out));
    json_array_foreach(output, i, it) {
        const char *type = json_util_str(it, "type");
        json_t *part = json_array_get(json_object_get(it, "content"), 0);
        struct fx_item *x = NULL;

        if (type && strcmp(type, RM_ITEM_MESSAGE) == 0 && json_util_str(part, "refusal"))
            x = fx_items_add(out, FX_ITEM_REFUSAL, json_util_str(part, "refusal"), NULL, script);
        else if (type && strcmp(type, RM_ITEM_MESSAGE) == 0 && json_util_str(part, "text")) {
            x = fx_items_add(out, FX_ITEM_MESSAGE, json_util_str(part, "text"), NULL, script);
            if (x && json_array_size(json_object_get(part, "annotations")))
                x->annotations = json_incref(json_object_get(part, "annotations"));
        }
        else if (type && strcmp(type, RM_ITEM_FUNCTION_CALL) == 0 &&
                 json_util_str(it, "arguments") && json_util_str(it, "name"))
            x = fx_items_add(out, FX_ITEM_FUNCTION_CALL, json_util_str(it, "arguments"),
                             json_util_str(it, "name"), script);
        else if (type && strcmp(type, RM_ITEM_REASONING) == 0) {
            x = fx_items_add(out, FX_ITEM_REASONING,
                             json_util_str(json_array_get(json_object_get(it, "summary"), 0),
                                           "text"),
                             NULL, script);
            if (x)
                x->encrypted = json_util_str(it, "encrypted_content") != NULL;
            if (x && json_util_str(part, "type") &&
                strcmp(json_util_str(part, "type"), RM_PART_REASONING_TEXT) == 0 &&
                (!(x->reasoning = strdup(json_util_str(part, "text") ? json_util_str(part, "text")
                                                                     : "")) ||
                 fixture_chunk(x->reasoning, script, &x->rchunks) != 0))
                x = NULL; /* out of memory: released with 'out' below */
        } else if (builtin_find(type)) {
            /* a built-in tool item: its own events again, its streamed text from the item */
            const struct builtin_item *bi = builtin_find(type);
            const char *text = bi->streamed ? json_util_str(it, bi->streamed) : NULL;

            x = fx_items_add(out, FX_ITEM_TOOL, bi->streamed ? (text ? text : "") : NULL, NULL,
                             script);
            if (x) {
                x->tool = bi;
                x->raw = json_object();
            }
        } else if ((x = fx_items_add(out, FX_ITEM_RAW, NULL, NULL, script)))
            x->raw = json_incref(it);
        if (!x) {
            fx_items_release(out);
            return -1;
        }
    }
    return 0;
}
