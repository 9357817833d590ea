/* builtin: the table of built-in tool items (see builtin.h). Shapes follow
 * ../shared/spec and openai-node 7.59 (ResponseOutputItem, ResponseStreamEvent). */
#include "builtin.h"

#include <string.h>

#include "contract.h"

static const struct builtin_item items[] = {
    {BI_WEB_SEARCH, RM_ITEM_WEB_SEARCH_CALL, RM_ID_WEB_SEARCH, NULL, NULL, "web_search",
     {{"query", BV_STRING}, {"sources", BV_ARRAY}},
     {{RM_EV_WEB_SEARCH_IN_PROGRESS, RM_EV_WEB_SEARCH_SEARCHING, RM_EV_WEB_SEARCH_COMPLETED},
      NULL, NULL, {NULL}}},
    {BI_FILE_SEARCH, RM_ITEM_FILE_SEARCH_CALL, RM_ID_FILE_SEARCH, NULL, NULL, "file_search",
     {{"queries", BV_ARRAY}, {"results", BV_ARRAY}},
     {{RM_EV_FILE_SEARCH_IN_PROGRESS, RM_EV_FILE_SEARCH_SEARCHING, RM_EV_FILE_SEARCH_COMPLETED},
      NULL, NULL, {NULL}}},
    {BI_CODE_INTERPRETER, RM_ITEM_CODE_INTERPRETER_CALL, RM_ID_CODE_INTERPRETER, "code", "code",
     "code_interpreter",
     {{"code", BV_STRING}, {"outputs", BV_ARRAY}, {"container_id", BV_STRING}},
     {{RM_EV_CODE_IN_PROGRESS}, RM_EV_CODE_DELTA, RM_EV_CODE_DONE,
      {RM_EV_CODE_INTERPRETING, RM_EV_CODE_COMPLETED}}},
    {BI_IMAGE_GENERATION, RM_ITEM_IMAGE_GENERATION_CALL, RM_ID_IMAGE_GENERATION, NULL, NULL,
     "image_generation",
     {{"result", BV_STRING}, {"partial_images", BV_UINT}, {"revised_prompt", BV_STRING},
      {"size", BV_STRING}, {"quality", BV_STRING}, {"output_format", BV_STRING},
      {"background", BV_STRING}},
     /* the partial_image events come between generating and completed */
     {{RM_EV_IMAGE_IN_PROGRESS, RM_EV_IMAGE_GENERATING}, NULL, NULL, {RM_EV_IMAGE_COMPLETED}}},
    {BI_MCP_LIST_TOOLS, RM_ITEM_MCP_LIST_TOOLS, RM_ID_MCP_LIST_TOOLS, "server_label", NULL,
     "mcp", {{"server_label", BV_STRING}, {"tools", BV_ARRAY}},
     {{RM_EV_MCP_LIST_IN_PROGRESS, RM_EV_MCP_LIST_COMPLETED}, NULL, NULL, {NULL}}},
    {BI_MCP_CALL, RM_ITEM_MCP_CALL, RM_ID_MCP_CALL, "name", "arguments", NULL,
     {{"server_label", BV_STRING}, {"name", BV_STRING}, {"arguments", BV_OBJECT_OR_STR},
      {"output", BV_STRING}, {"error", BV_STRING}},
     {{RM_EV_MCP_CALL_IN_PROGRESS}, RM_EV_MCP_ARGS_DELTA, RM_EV_MCP_ARGS_DONE,
      {RM_EV_MCP_CALL_COMPLETED}}},
    {BI_MCP_APPROVAL, RM_ITEM_MCP_APPROVAL_REQUEST, RM_ID_MCP_APPROVAL, "name", NULL, NULL,
     {{"server_label", BV_STRING}, {"name", BV_STRING}, {"arguments", BV_OBJECT_OR_STR}},
     {{NULL}, NULL, NULL, {NULL}}},
    {BI_CUSTOM_TOOL_CALL, RM_ITEM_CUSTOM_TOOL_CALL, RM_ID_CUSTOM_TOOL_CALL, "name", "input",
     NULL, {{"name", BV_STRING}, {"input", BV_STRING}},
     {{NULL}, RM_EV_CUSTOM_INPUT_DELTA, RM_EV_CUSTOM_INPUT_DONE, {NULL}}},
    {BI_LOCAL_SHELL, RM_ITEM_LOCAL_SHELL_CALL, RM_ID_LOCAL_SHELL, "command", NULL,
     "local_shell",
     {{"command", BV_ARRAY}, {"env", BV_OBJECT}, {"working_directory", BV_STRING},
      {"timeout_ms", BV_UINT}, {"user", BV_STRING}},
     {{NULL}, NULL, NULL, {NULL}}},
    /* the shell_call_command events of each command */
    {BI_SHELL, RM_ITEM_SHELL_CALL, RM_ID_SHELL, "commands", NULL, "shell",
     {{"commands", BV_ARRAY}, {"timeout_ms", BV_UINT}, {"max_output_length", BV_UINT}},
     {{NULL}, NULL, NULL, {NULL}}},
    {BI_COMPACTION, RM_ITEM_COMPACTION, RM_ID_COMPACTION, NULL, NULL, NULL, {{NULL, BV_STRING}},
     {{RM_EV_COMPACTION_COMPACTING}, NULL, NULL, {NULL}}},
};

#define NITEMS (sizeof(items) / sizeof(items[0]))

const char *const builtin_types[] = {
    RM_ITEM_WEB_SEARCH_CALL, RM_ITEM_FILE_SEARCH_CALL,    RM_ITEM_CODE_INTERPRETER_CALL,
    RM_ITEM_IMAGE_GENERATION_CALL, RM_ITEM_MCP_LIST_TOOLS, RM_ITEM_MCP_CALL,
    RM_ITEM_MCP_APPROVAL_REQUEST,  RM_ITEM_CUSTOM_TOOL_CALL, RM_ITEM_LOCAL_SHELL_CALL,
    RM_ITEM_SHELL_CALL,            RM_ITEM_COMPACTION,      NULL};

const struct builtin_item *builtin_find(const char *type)
{
    size_t i;

    for (i = 0; type && i < NITEMS; i++)
        if (strcmp(items[i].type, type) == 0)
            return &items[i];
    return NULL;
}

const struct builtin_item *builtin_for_tool(const char *tool_type)
{
    size_t i;

    if (!tool_type)
        return NULL;
    for (i = 0; i < NITEMS; i++) {
        const char *t = items[i].tool;
        size_t n = t ? strlen(t) : 0;

        /* web_search_preview, web_search_2025_08_26, ...: the same tool */
        if (t && strncmp(tool_type, t, n) == 0 &&
            (tool_type[n] == '\0' || (items[i].kind == BI_WEB_SEARCH && tool_type[n] == '_')))
            return &items[i];
    }
    return NULL;
}

int builtin_key_kind(const struct builtin_item *bi, const char *key)
{
    size_t i;

    for (i = 0; i < BUILTIN_MAX_KEYS && bi->keys[i].name; i++)
        if (strcmp(bi->keys[i].name, key) == 0)
            return (int)bi->keys[i].kind;
    return -1;
}
