/* builtin: the built-in tool items a fixture can answer with, as data.
 *
 * One row per output item type the API's own tools produce (web search,
 * file search, code interpreter, image generation, MCP, custom/freeform
 * tools, shell) and the compaction item: the fixture keys it takes (with
 * their JSON kinds), which one is required, which one's text is streamed in
 * deltas, its id prefix and the request tool type that asks for it. The
 * fixture loader checks fixtures against this table; render_builtin builds
 * the items and render_events their stream events. Names come from
 * contract.h. */
#ifndef RM_BUILTIN_H
#define RM_BUILTIN_H

#include <stddef.h>

enum builtin_kind {
    BI_WEB_SEARCH,
    BI_FILE_SEARCH,
    BI_CODE_INTERPRETER,
    BI_IMAGE_GENERATION,
    BI_MCP_LIST_TOOLS,
    BI_MCP_CALL,
    BI_MCP_APPROVAL,
    BI_CUSTOM_TOOL_CALL,
    BI_LOCAL_SHELL,
    BI_SHELL,
    BI_COMPACTION,
};

/* The JSON kind of a fixture key. */
enum builtin_value {
    BV_STRING,
    BV_ARRAY,         /* an array (of strings for command lists) */
    BV_OBJECT,
    BV_UINT,          /* a whole number >= 0 */
    BV_OBJECT_OR_STR, /* an object (sent as its JSON text) or a JSON string */
};

struct builtin_key {
    const char *name;
    enum builtin_value kind;
};

#define BUILTIN_MAX_KEYS 8
#define BUILTIN_MAX_STATUS_EVENTS 3

/* The item's own stream events, between its output_item.added and .done:
 * the status events 'before' (item_id and output_index only), the deltas
 * of the streamed key as 'delta' events and one 'done' event carrying it
 * whole, then the status events 'after'. Image partials and shell
 * commands have events of their own shape (render_events.c). */
struct builtin_events {
    const char *before[BUILTIN_MAX_STATUS_EVENTS];
    const char *delta, *done;
    const char *after[BUILTIN_MAX_STATUS_EVENTS];
};

struct builtin_item {
    enum builtin_kind kind;
    const char *type;      /* the output item type, also the fixture item type */
    const char *id_prefix; /* of the item's id */
    const char *required;  /* the fixture key that must be given, or NULL */
    const char *streamed;  /* the key whose text streams in deltas, or NULL */
    const char *tool;      /* the request tool type whose default answer it is, or NULL */
    struct builtin_key keys[BUILTIN_MAX_KEYS]; /* fixture keys besides "type" */
    struct builtin_events events;
};

/* The row of item type 'type', or NULL. */
const struct builtin_item *builtin_find(const char *type);

/* The row whose item answers a request tool of 'tool_type' (web_search and
 * its dated variants, file_search, code_interpreter, image_generation, mcp,
 * local_shell, shell), or NULL. */
const struct builtin_item *builtin_for_tool(const char *tool_type);

/* The kind of fixture key 'key' of 'bi', or -1 when it takes no such key. */
int builtin_key_kind(const struct builtin_item *bi, const char *key);

/* The item types of the table in order, NULL-terminated (for messages). */
extern const char *const builtin_types[];

#endif
