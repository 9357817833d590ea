/* ask: what a request asks of the model, read the same way from a Responses
 * body and a Chat Completions body, so that matching and the request-aware
 * answers (auto_answer.h) follow one path for both APIs and cannot drift.
 *
 * It reads: the function tools (name, parameters) and tool_choice (auto,
 * none, required, a named function, allowed_tools), parallel_tool_calls,
 * whether the input ends with tool results (function_call_output items,
 * or role:"tool" messages after the last assistant turn) and their call
 * ids, the structured-output format (text.format / response_format:
 * json_schema or json_object), and reasoning (the reasoning parameter or a
 * reasoning model family; a summary asked for; encrypted content included). */
#ifndef RM_ASK_H
#define RM_ASK_H

#include <jansson.h>

enum ask_api { ASK_RESPONSES, ASK_CHAT };

struct ask {
    enum ask_api api;
    json_t *tools;         /* function tools: [{"name","parameters"}] (new reference) */
    json_t *tool_names;    /* their names (new reference) */
    const char *choice;    /* "auto", "none" or "required" */
    const char *forced;    /* a named function tool_choice, else NULL (borrowed) */
    json_t *allowed;       /* allowed_tools names, NULL when not restricted (new ref) */
    int parallel;          /* parallel_tool_calls (default true) */
    int after_tools;       /* the input ends with tool results */
    json_t *tool_outputs;  /* call ids of the tool results in the input (new ref) */
    const char *last_output; /* text of the last tool result (borrowed), or NULL */
    const json_t *schema;  /* the json_schema asked for (borrowed), or NULL */
    const char *schema_name; /* its name (borrowed), or NULL */
    int json_object;       /* a json_object format */
    int reasoning;         /* reasoning was asked for (or the model reasons) */
    int summary;           /* a reasoning summary was asked for */
    int encrypted;         /* include has "reasoning.encrypted_content" */
    const json_t *prompt;  /* the user's prompt: the input string, or the content of the
                            * last user message (borrowed), or NULL */
    json_t *instructions;  /* 'instructions' and the content of system/developer messages
                            * (new reference: an array) */
    int has_image;         /* an image input part (input_image, image_url) */
    int has_file;          /* a file input part (input_file, file) */
    const char *text_format; /* text.format / response_format type (borrowed), or NULL */
    const char *hosted;    /* the first built-in tool of the request whose item respmock
                            * renders (web_search, file_search, ...; builtin.h), or NULL */
    int compaction_trigger; /* the input ends with a compaction_trigger item */
};

/* Read 'body' (borrowed; must outlive 'a') of 'api'. */
void ask_read(struct ask *a, enum ask_api api, const json_t *body);

/* The names of the tools a call may go to, honouring tool_choice: none for
 * "none" (or no tools), the forced one, the allowed ones, else all. New
 * array. */
json_t *ask_callable(const struct ask *a);

/* Find function tool 'name': its parameters schema (borrowed; NULL when
 * the tool has none). Returns 1 when the tool exists, 0 otherwise. */
int ask_tool(const struct ask *a, const char *name, const json_t **parameters);

void ask_release(struct ask *a);

#endif
