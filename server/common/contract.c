/* contract: the relations between the contract's names (see contract.h). */
#include "contract.h"

#include <string.h>

const char *const contract_response_id_prefixes[] = {
    RM_ID_RESPONSE,       RM_ID_MESSAGE,          RM_ID_FUNCTION_CALL,    RM_ID_CALL,
    RM_ID_REASONING,      RM_ID_CHAT,             RM_ID_WEB_SEARCH,       RM_ID_FILE_SEARCH,
    RM_ID_CODE_INTERPRETER, RM_ID_IMAGE_GENERATION, RM_ID_MCP_LIST_TOOLS, RM_ID_MCP_CALL,
    RM_ID_MCP_APPROVAL,   RM_ID_CUSTOM_TOOL_CALL, RM_ID_LOCAL_SHELL,      RM_ID_SHELL,
    RM_ID_COMPACTION,     RM_ID_CONTAINER,        NULL};

/* Every other prefix respmock generates. */
static const char *const other_id_prefixes[] = {RM_ID_REQUEST, RM_ID_CONVERSATION,
                                                RM_ID_FUNCTION_OUTPUT, RM_ID_ITEM, NULL};

/* Event types of the contract that a checker follows one by one. */
static const char *const known_events[] = {
    RM_EV_CREATED,     RM_EV_IN_PROGRESS,    RM_EV_QUEUED,        RM_EV_COMPLETED,
    RM_EV_INCOMPLETE,  RM_EV_FAILED,         RM_EV_ERROR,         RM_EV_ITEM_ADDED,
    RM_EV_ITEM_DONE,   RM_EV_PART_ADDED,     RM_EV_PART_DONE,     RM_EV_TEXT_DELTA,
    RM_EV_TEXT_DONE,   RM_EV_REFUSAL_DELTA,  RM_EV_REFUSAL_DONE,  RM_EV_ARGS_DELTA,
    RM_EV_ARGS_DONE,   RM_EV_ANNOTATION_ADDED,
    RM_EV_REASONING_TEXT_DELTA, RM_EV_REASONING_TEXT_DONE,
    RM_EV_WEB_SEARCH_IN_PROGRESS, RM_EV_WEB_SEARCH_SEARCHING, RM_EV_WEB_SEARCH_COMPLETED,
    RM_EV_FILE_SEARCH_IN_PROGRESS, RM_EV_FILE_SEARCH_SEARCHING, RM_EV_FILE_SEARCH_COMPLETED,
    RM_EV_CODE_IN_PROGRESS, RM_EV_CODE_DELTA, RM_EV_CODE_DONE, RM_EV_CODE_INTERPRETING,
    RM_EV_CODE_COMPLETED, RM_EV_IMAGE_IN_PROGRESS, RM_EV_IMAGE_GENERATING, RM_EV_IMAGE_PARTIAL,
    RM_EV_IMAGE_COMPLETED, RM_EV_MCP_LIST_IN_PROGRESS, RM_EV_MCP_LIST_COMPLETED,
    RM_EV_MCP_CALL_IN_PROGRESS, RM_EV_MCP_ARGS_DELTA, RM_EV_MCP_ARGS_DONE,
    RM_EV_MCP_CALL_COMPLETED, RM_EV_MCP_CALL_FAILED, RM_EV_CUSTOM_INPUT_DELTA, RM_EV_CUSTOM_INPUT_DONE,
    RM_EV_SHELL_COMMAND_ADDED, RM_EV_SHELL_COMMAND_DELTA, RM_EV_SHELL_COMMAND_DONE,
    RM_EV_COMPACTION_COMPACTING, NULL};

/* Item types and the prefix of the ids the API gives them. */
static const struct {
    const char *type, *prefix;
} item_prefixes[] = {
    {RM_ITEM_MESSAGE, RM_ID_MESSAGE},
    {RM_ITEM_FUNCTION_CALL, RM_ID_FUNCTION_CALL},
    {RM_ITEM_FUNCTION_CALL_OUTPUT, RM_ID_FUNCTION_OUTPUT},
    {RM_ITEM_REASONING, RM_ID_REASONING},
    {RM_ITEM_WEB_SEARCH_CALL, RM_ID_WEB_SEARCH},
    {RM_ITEM_FILE_SEARCH_CALL, RM_ID_FILE_SEARCH},
    {RM_ITEM_CODE_INTERPRETER_CALL, RM_ID_CODE_INTERPRETER},
    {RM_ITEM_IMAGE_GENERATION_CALL, RM_ID_IMAGE_GENERATION},
    {RM_ITEM_MCP_LIST_TOOLS, RM_ID_MCP_LIST_TOOLS},
    {RM_ITEM_MCP_CALL, RM_ID_MCP_CALL},
    {RM_ITEM_MCP_APPROVAL_REQUEST, RM_ID_MCP_APPROVAL},
    {RM_ITEM_CUSTOM_TOOL_CALL, RM_ID_CUSTOM_TOOL_CALL},
    {RM_ITEM_LOCAL_SHELL_CALL, RM_ID_LOCAL_SHELL},
    {RM_ITEM_SHELL_CALL, RM_ID_SHELL},
    {RM_ITEM_COMPACTION, RM_ID_COMPACTION},
};

/* Families of item-scoped events that are known as a family. */
static const char *const known_event_families[] = {
    "response.reasoning_",          "response.web_search_call.",
    "response.file_search_call.",   "response.code_interpreter_call",
    "response.image_generation_call.", "response.mcp_",
    "response.custom_tool_call_input.", "response.shell_call_", "response.compaction.",
    "response.audio.", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int contract_event_is_terminal(const char *type)
{
    return contract_terminal_status(type) != NULL;
}

int contract_event_ends_stream(const char *type)
{
    return type && (contract_event_is_terminal(type) || strcmp(type, RM_EV_ERROR) == 0);
}

const char *contract_terminal_event(const char *status)
{
    if (status && strcmp(status, RM_STATUS_INCOMPLETE) == 0)
        return RM_EV_INCOMPLETE;
    if (status && strcmp(status, RM_STATUS_FAILED) == 0)
        return RM_EV_FAILED;
    return RM_EV_COMPLETED;
}

const char *contract_terminal_status(const char *type)
{
    if (!type)
        return NULL;
    if (strcmp(type, RM_EV_COMPLETED) == 0)
        return RM_STATUS_COMPLETED;
    if (strcmp(type, RM_EV_INCOMPLETE) == 0)
        return RM_STATUS_INCOMPLETE;
    if (strcmp(type, RM_EV_FAILED) == 0)
        return RM_STATUS_FAILED;
    return NULL;
}

int contract_event_known(const char *type)
{
    const char *const *f;

    if (!type)
        return 0;
    if (in_list(type, known_events))
        return 1;
    for (f = known_event_families; *f; f++)
        if (strncmp(type, *f, strlen(*f)) == 0)
            return 1;
    return 0;
}

int contract_is_chat_done(const char *data, size_t len)
{
    size_t n = sizeof(RM_CHAT_DONE) - 1;

    if (!data)
        return 0;
    while (len && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    return len == n && memcmp(data, RM_CHAT_DONE, n) == 0;
}

int contract_status_known(const char *status)
{
    static const char *const all[] = {RM_STATUS_QUEUED,     RM_STATUS_IN_PROGRESS,
                                      RM_STATUS_COMPLETED,  RM_STATUS_INCOMPLETE,
                                      RM_STATUS_FAILED,     RM_STATUS_CANCELLED, NULL};

    return status && in_list(status, all);
}

int contract_error_type_known(const char *type)
{
    static const char *const all[] = {
        RM_ERRTYPE_INVALID_REQUEST, RM_ERRTYPE_AUTHENTICATION, RM_ERRTYPE_PERMISSION,
        RM_ERRTYPE_NOT_FOUND,       RM_ERRTYPE_RATE_LIMIT,     RM_ERRTYPE_SERVER,
        RM_ERRTYPE_SERVICE_UNAVAILABLE, RM_ERRTYPE_INSUFFICIENT_QUOTA, RM_ERRTYPE_API,
        RM_ERRTYPE_REQUESTS,        RM_ERRTYPE_TOKENS,         NULL};

    return type && in_list(type, all);
}

int contract_status_is_final(const char *status)
{
    static const char *const final[] = {RM_STATUS_COMPLETED, RM_STATUS_INCOMPLETE,
                                        RM_STATUS_FAILED, RM_STATUS_CANCELLED, NULL};

    return status && in_list(status, final);
}

const char *contract_item_id_prefix(const char *type)
{
    size_t i;

    for (i = 0; type && i < sizeof(item_prefixes) / sizeof(item_prefixes[0]); i++)
        if (strcmp(type, item_prefixes[i].type) == 0)
            return item_prefixes[i].prefix;
    return RM_ID_ITEM;
}

static size_t prefix_in(const char *id, const char *const *list)
{
    for (; *list; list++) {
        size_t n = strlen(*list);
        if (strncmp(id, *list, n) == 0)
            return n;
    }
    return 0;
}

size_t contract_id_prefix_len(const char *id)
{
    size_t n;

    if (!id)
        return 0;
    n = prefix_in(id, contract_response_id_prefixes);
    return n ? n : prefix_in(id, other_id_prefixes);
}

/* ---- Models ------------------------------------------------------------ */

static const char *const reasoning_families[] = {"o1", "o3", "o4", "gpt-5", "codex", NULL};

int contract_model_reasons(const char *model)
{
    const char *const *f;

    if (!model)
        return 0;
    if (strncmp(model, "gpt-5", 5) == 0 && strstr(model, "-chat"))
        return 0; /* the chat snapshots of gpt-5 do not reason */
    for (f = reasoning_families; *f; f++)
        if (strncmp(model, *f, strlen(*f)) == 0)
            return 1;
    return 0;
}

/* The generation of a gpt model as major * 100 + minor ("gpt-5.5" 505,
 * "gpt-5" 500, "gpt-4.1-mini" 401), 0 for anything else. */
#define GPT_VERSION_CAP 10000 /* major and minor stop growing here */

static int gpt_version(const char *model)
{
    int major = 0, minor = 0;
    const char *p;

    if (!model || strncmp(model, "gpt-", 4) != 0)
        return 0;
    /* Digits past the fourth saturate: "gpt-4.444…" must not overflow. */
    for (p = model + 4; *p >= '0' && *p <= '9'; p++)
        if (major < GPT_VERSION_CAP)
            major = major * 10 + (*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (minor < GPT_VERSION_CAP)
                minor = minor * 10 + (*p - '0');
    return major * 100 + minor;
}

const char *contract_model_default_effort(const char *model)
{
    int v = gpt_version(model);

    if (!contract_model_reasons(model))
        return NULL;
    if ((v == 501 || v == 502) && !strstr(model, "codex"))
        return "none";
    return "medium";
}

int contract_model_has_phase(const char *model)
{
    return gpt_version(model) >= 503;
}

const char *contract_model_cache_retention(const char *model)
{
    return gpt_version(model) >= 505 ? "24h" : "in_memory";
}
