/* fixture: load, lint, pre-render and match fixture files (see fixture.h).
 *
 * Parsing is strict: an unknown key, a wrong type or an out-of-range value
 * is an error located at file:line:column, so a typo never silently turns a
 * fixture into one that matches everything. */
#include "fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "contract.h"
#include "envelope.h"
#include "json_util.h"
#include "limits.h"
#include "sse.h"

/* Longest fixture name: stored responses keep it. */
#define FX_NAME_MAX RM_MAX_FIXTURE_NAME

/* Parse state for one file. */
struct fxp {
    const char *text;
    size_t len;
    const char *file;
    struct mock_error *err;
    FILE *all;   /* --check: print every problem here */
    int nerr;
    size_t shadow;          /* fixtures 0..shadow-1 of the set replace later ones by name */
    const json_t *removed;  /* names to leave out (an object used as a set), or NULL */
};

static int fxp_fail(struct fxp *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fxp_fail(struct fxp *p, const char *path, const char *fmt, ...)
{
    char msg[MOCK_ERROR_TEXT_MAX];
    int line = 0, col = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *shown = path[0] == '.' ? path + 1 : path; /* "match.model", "[1].name" */

    json_util_locate(p->text, p->len, path, &line, &col);
    if (p->all)
        fprintf(p->all, "%s:%d:%d: %s%s%s\n", p->file, line, col, shown, shown[0] ? ": " : "",
                msg);
    mock_error_set(p->err, p->file, line, col, "%s%s%s", shown, shown[0] ? ": " : "", msg);
    p->nerr++;
    return -1;
}

#define FXP_PATH_MAX 256

static const char *fxp_join(char *out, const char *base, const char *key)
{
    snprintf(out, FXP_PATH_MAX, "%s.%s", base, key);
    return out;
}

/* Reject keys of 'obj' not in 'allowed' (NULL-terminated). */
static int fxp_keys(struct fxp *p, const char *path, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    int rc = 0;

    json_object_foreach(obj, key, v) {
        const char *const *a;
        char sub[FXP_PATH_MAX];

        for (a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                break;
        if (!*a)
            rc = fxp_fail(p, fxp_join(sub, path, key), "unknown key '%s'", key);
    }
    return rc;
}

/* Optional string member into a new allocation. */
static int fxp_str(struct fxp *p, const char *path, json_t *obj, const char *key, char **out)
{
    json_t *v = json_object_get(obj, key);
    char sub[FXP_PATH_MAX];

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fxp_fail(p, fxp_join(sub, path, key), "expected a string");
    *out = strdup(json_string_value(v));
    return *out ? 0 : fxp_fail(p, path, "out of memory");
}

static int fxp_uint(struct fxp *p, const char *path, json_t *obj, const char *key,
                    unsigned *out, unsigned max)
{
    json_t *v = json_object_get(obj, key);
    char sub[FXP_PATH_MAX];

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)max)
        return fxp_fail(p, fxp_join(sub, path, key), "expected an integer from 0 to %u", max);
    *out = (unsigned)json_integer_value(v);
    return 0;
}

static int fxp_long(struct fxp *p, const char *path, json_t *obj, const char *key, long *out)
{
    json_t *v = json_object_get(obj, key);
    char sub[FXP_PATH_MAX];

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000000)
        return fxp_fail(p, fxp_join(sub, path, key), "expected a non-negative integer");
    *out = (long)json_integer_value(v);
    return 0;
}

/* Optional boolean: -1 when absent. */
static int fxp_tri(struct fxp *p, const char *path, json_t *obj, const char *key, int *out)
{
    json_t *v = json_object_get(obj, key);
    char sub[FXP_PATH_MAX];

    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return fxp_fail(p, fxp_join(sub, path, key), "expected true or false");
    *out = json_is_true(v);
    return 0;
}

/* ---- Text chunking ---------------------------------------------------- */

/* Split 'text' into deltas of 'size' words (a word keeps the white space
 * before it, as real deltas do) or 'size' characters (UTF-8 aware). */
static int fx_chunk(const char *text, int by_words, unsigned size, struct fx_chunks *out)
{
    size_t len = strlen(text), i = 0, cap = 8;

    out->n = 0;
    out->ends = malloc(cap * sizeof(*out->ends));
    if (!out->ends)
        return -1;
    if (size == 0)
        size = 1;
    while (i < len) {
        unsigned units = 0;

        while (i < len && units < size) {
            if (by_words) {
                while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t'))
                    i++;
                while (i < len && text[i] != ' ' && text[i] != '\n' && text[i] != '\t')
                    i++;
            } else {
                i++;
                while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
                    i++;
            }
            units++;
        }
        if (out->n == cap) {
            size_t *n = realloc(out->ends, 2 * cap * sizeof(*out->ends));
            if (!n)
                return -1;
            out->ends = n;
            cap *= 2;
        }
        out->ends[out->n++] = i;
    }
    return 0;
}

int fixture_chunk(const char *text, const struct fx_stream *script, struct fx_chunks *out)
{
    return fx_chunk(text, script->by_words, script->chunk_size, out);
}

static void fx_item_release(struct fx_item *it)
{
    free(it->text);
    free(it->name);
    free(it->chunks.ends);
    json_decref(it->raw);
    json_decref(it->annotations);
    free(it->reasoning);
    free(it->rchunks.ends);
    memset(it, 0, sizeof(*it));
}

struct fx_item *fx_items_add(struct fx_items *items, enum fx_item_type type, const char *text,
                             const char *name, const struct fx_stream *script)
{
    struct fx_item *it;

    if (items->n == items->cap) {
        size_t cap = items->cap ? items->cap * 2 : 4;
        struct fx_item *v = realloc(items->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        items->v = v;
        items->cap = cap;
    }
    it = &items->v[items->n];
    memset(it, 0, sizeof(*it));
    it->type = type;
    if ((text && !(it->text = strdup(text))) || (name && !(it->name = strdup(name))) ||
        (it->text && fixture_chunk(it->text, script, &it->chunks) != 0)) {
        fx_item_release(it);
        return NULL;
    }
    items->n++;
    return it;
}

struct fx_item *fx_items_copy(struct fx_items *items, const struct fx_item *it,
                              const struct fx_stream *script)
{
    struct fx_item *c = fx_items_add(items, it->type, it->text, it->name, script);

    if (!c)
        return NULL;
    c->raw = json_incref(it->raw);
    c->encrypted = it->encrypted;
    c->tool = it->tool;
    c->annotations = json_incref(it->annotations);
    if (it->reasoning && (!(c->reasoning = strdup(it->reasoning)) ||
                          fixture_chunk(c->reasoning, script, &c->rchunks) != 0)) {
        items->n--;
        fx_item_release(c);
        return NULL;
    }
    return c;
}

void fx_items_release(struct fx_items *items)
{
    size_t i;

    for (i = 0; i < items->n; i++)
        fx_item_release(&items->v[i]);
    free(items->v);
    memset(items, 0, sizeof(*items));
}

/* ---- Faults ----------------------------------------------------------- */

struct fault_ctx {
    struct fxp *p;
    const char *path;
};

static void fxp_fault_fail(void *user, const char *key, const char *msg)
{
    struct fault_ctx *fc = user;
    char sub[FXP_PATH_MAX];

    fxp_fail(fc->p, key[0] ? fxp_join(sub, fc->path, key) : fc->path, "%s", msg);
}

static int fxp_fault(struct fxp *p, const char *path, json_t *obj, struct fx_fault *f)
{
    struct fault_ctx fc = {p, path};

    return fault_parse_json(obj, f, fxp_fault_fail, &fc);
}

/* ---- Sections --------------------------------------------------------- */

/* An optional object of string values into '*out' (new reference); with
 * 'lower_keys' the keys are lower-cased (header names). */
static int fxp_string_map(struct fxp *p, const char *path, json_t *v, json_t **out,
                          int lower_keys)
{
    const char *key;
    json_t *val;
    char sub[FXP_PATH_MAX];

    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return fxp_fail(p, path, "expected an object of string values");
    *out = json_object();
    json_object_foreach(v, key, val) {
        char name[256];
        size_t i;

        if (!json_is_string(val))
            return fxp_fail(p, fxp_join(sub, path, key), "expected a string");
        snprintf(name, sizeof(name), "%s", key);
        for (i = 0; lower_keys && name[i]; i++)
            if (name[i] >= 'A' && name[i] <= 'Z')
                name[i] = (char)(name[i] - 'A' + 'a');
        json_object_set(*out, name, val);
    }
    return 0;
}

static int fxp_match(struct fxp *p, const char *path, json_t *m, struct fixture *fx)
{
    static const char *const keys[] = {
        "path",         "model",         "input_contains", "tools",       "stream",
        "turn",         "tool_output",   "has_param",      "tool",        "after_tools",
        "previous_fixture", "prompt_contains", "instructions_contains", "input_matches",
        "tool_choice",  "background",    "metadata",       "header",      "has_image",
        "has_file",     "text_format",   "state",          "input_digest", NULL};
    static const char *const formats[] = {"text", "json_schema", "json_object", NULL};
    char sub[FXP_PATH_MAX];
    const char *re;
    unsigned turn = 0;
    int rc = 0;

    fx->m_tools = fx->m_stream = fx->m_after_tools = -1;
    fx->m_background = fx->m_has_image = fx->m_has_file = -1;
    if (!m)
        return 0;
    if (!json_is_object(m))
        return fxp_fail(p, path, "expected an object");
    fx->has_match = json_object_size(m) > 0;
    fx->match_json = json_incref(m);
    rc |= fxp_keys(p, path, m, keys);
    rc |= fxp_str(p, path, m, "instructions_contains", &fx->m_instructions);
    rc |= fxp_str(p, path, m, "tool_choice", &fx->m_tool_choice);
    rc |= fxp_tri(p, path, m, "background", &fx->m_background);
    rc |= fxp_tri(p, path, m, "has_image", &fx->m_has_image);
    rc |= fxp_tri(p, path, m, "has_file", &fx->m_has_file);
    rc |= fxp_str(p, path, m, "text_format", &fx->m_text_format);
    rc |= fxp_str(p, path, m, "state", &fx->m_state);
    rc |= fxp_str(p, path, m, "input_digest", &fx->m_digest);
    if (fx->m_digest && strlen(fx->m_digest) != 16)
        rc |= fxp_fail(p, fxp_join(sub, path, "input_digest"), "expected 16 hex digits");
    if (fx->m_text_format) {
        const char *const *f;
        for (f = formats; *f && strcmp(*f, fx->m_text_format) != 0; f++)
            ;
        if (!*f)
            rc |= fxp_fail(p, fxp_join(sub, path, "text_format"),
                           "expected \"text\", \"json_schema\" or \"json_object\"");
    }
    rc |= fxp_string_map(p, fxp_join(sub, path, "metadata"), json_object_get(m, "metadata"),
                         &fx->m_metadata, 0);
    rc |= fxp_string_map(p, fxp_join(sub, path, "header"), json_object_get(m, "header"),
                         &fx->m_headers, 1);
    if ((re = json_util_str(m, "input_matches"))) {
        int e = regcomp(&fx->m_regex, re, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char msg[160];
            regerror(e, &fx->m_regex, msg, sizeof(msg));
            rc |= fxp_fail(p, fxp_join(sub, path, "input_matches"),
                           "not a POSIX extended regular expression: %s", msg);
        } else {
            fx->has_regex = 1;
        }
    } else if (json_object_get(m, "input_matches")) {
        rc |= fxp_fail(p, fxp_join(sub, path, "input_matches"), "expected a string");
    }
    rc |= fxp_str(p, path, m, "path", &fx->m_path);
    rc |= fxp_str(p, path, m, "model", &fx->m_model);
    rc |= fxp_str(p, path, m, "input_contains", &fx->m_input);
    rc |= fxp_str(p, path, m, "prompt_contains", &fx->m_prompt);
    rc |= fxp_tri(p, path, m, "tools", &fx->m_tools);
    rc |= fxp_tri(p, path, m, "stream", &fx->m_stream);
    rc |= fxp_uint(p, path, m, "turn", &turn, 100000);
    fx->m_turn = (int)turn;
    rc |= fxp_str(p, path, m, "tool_output", &fx->m_tool_output);
    rc |= fxp_str(p, path, m, "has_param", &fx->m_has_param);
    rc |= fxp_str(p, path, m, "tool", &fx->m_tool);
    rc |= fxp_tri(p, path, m, "after_tools", &fx->m_after_tools);
    rc |= fxp_str(p, path, m, "previous_fixture", &fx->m_prev_fixture);
    return rc;
}

/* One key of a built-in tool item, of the kind its row says. */
static int fxp_builtin_key(struct fxp *p, const char *path, const char *key, json_t *v,
                           enum builtin_value kind)
{
    char sub[FXP_PATH_MAX];
    size_t i;
    json_t *e;

    fxp_join(sub, path, key);
    switch (kind) {
    case BV_STRING:
        return json_is_string(v) ? 0 : fxp_fail(p, sub, "expected a string");
    case BV_OBJECT:
        return json_is_object(v) ? 0 : fxp_fail(p, sub, "expected an object");
    case BV_UINT:
        return json_is_integer(v) && json_integer_value(v) >= 0 &&
                       json_integer_value(v) <= RM_MAX_DELAY_MS
                   ? 0
                   : fxp_fail(p, sub, "expected a whole number");
    case BV_OBJECT_OR_STR:
        return json_is_object(v) || json_is_string(v)
                   ? 0
                   : fxp_fail(p, sub, "expected an object or a JSON string");
    case BV_ARRAY:
        if (!json_is_array(v))
            return fxp_fail(p, sub, "expected an array");
        /* command lists and queries are strings; results, sources, outputs, tools objects */
        json_array_foreach(v, i, e) {
            int strings = strcmp(key, "command") == 0 || strcmp(key, "commands") == 0 ||
                          strcmp(key, "queries") == 0;
            if (strings ? !json_is_string(e) : !json_is_object(e))
                return fxp_fail(p, sub, "expected an array of %s", strings ? "strings" : "objects");
        }
        return 0;
    }
    return 0;
}

/* A built-in tool item ('bi' its row): its keys checked, the object kept
 * for rendering and the streamed key's text chunked. */
static int fxp_builtin(struct fxp *p, const char *path, json_t *it, const struct builtin_item *bi,
                       struct fx_item *item)
{
    char sub[FXP_PATH_MAX];
    const char *key;
    json_t *v;
    int rc = 0, kind;

    item->type = FX_ITEM_TOOL;
    item->tool = bi;
    json_object_foreach(it, key, v) {
        if (strcmp(key, "type") == 0)
            continue;
        kind = builtin_key_kind(bi, key);
        if (kind < 0)
            rc |= fxp_fail(p, fxp_join(sub, path, key), "unknown key '%s' for a %s item", key,
                           bi->type);
        else
            rc |= fxp_builtin_key(p, path, key, v, (enum builtin_value)kind);
    }
    v = json_object_get(it, "partial_images");
    if (json_is_integer(v) && json_integer_value(v) > RM_MAX_PARTIAL_IMAGES)
        rc |= fxp_fail(p, fxp_join(sub, path, "partial_images"), "expected 0 to %d",
                       RM_MAX_PARTIAL_IMAGES);
    if (bi->required && !json_object_get(it, bi->required))
        return fxp_fail(p, fxp_join(sub, path, bi->required), "required for a %s item",
                        bi->type);
    if (rc)
        return rc;
    item->raw = json_deep_copy(it);
    v = bi->streamed ? json_object_get(it, bi->streamed) : NULL;
    if (json_is_string(v))
        item->text = strdup(json_string_value(v));
    else if (json_is_object(v))
        item->text = json_util_dumps(v); /* arguments: a JSON string on the wire */
    else if (bi->streamed)
        item->text = strdup(bi->kind == BI_MCP_CALL ? "{}" : "");
    return 0;
}

/* A message's "annotations": objects with a "type" (url_citation,
 * file_citation, ...), sent as given. */
static int fxp_annotations(struct fxp *p, const char *path, json_t *it, struct fx_item *item)
{
    json_t *a = json_object_get(it, "annotations"), *e;
    char sub[FXP_PATH_MAX];
    size_t i;

    if (!a)
        return 0;
    fxp_join(sub, path, "annotations");
    if (!json_is_array(a))
        return fxp_fail(p, sub, "expected an array of annotation objects");
    json_array_foreach(a, i, e) {
        if (!json_is_object(e) || !json_util_str(e, "type"))
            return fxp_fail(p, sub, "expected an array of annotation objects with a \"type\"");
    }
    item->annotations = json_array();
    json_array_foreach(a, i, e) /* "type" first, then byte order, as the API sends them */
        json_array_append_new(item->annotations, json_util_type_first(e));
    return 0;
}

static int fxp_item(struct fxp *p, const char *path, json_t *it, struct fx_item *item,
                    const struct fx_stream *st)
{
    static const char *const keys[] = {"type", "text", "name", "arguments", "raw",
                                       "annotations", "content", NULL};
    const struct builtin_item *bi;
    const char *type = json_util_str(it, "type");
    char sub[FXP_PATH_MAX];
    int rc = 0;

    memset(item, 0, sizeof(*item));
    if (!json_is_object(it))
        return fxp_fail(p, path, "expected an object");
    if ((bi = builtin_find(type))) {
        rc = fxp_builtin(p, path, it, bi, item);
        if (rc == 0 && item->text &&
            fx_chunk(item->text, st->by_words, st->chunk_size, &item->chunks) != 0)
            return fxp_fail(p, path, "out of memory");
        return rc;
    }
    rc |= fxp_keys(p, path, it, keys);
    if (json_object_get(it, "annotations") && (!type || strcmp(type, "message") != 0))
        rc |= fxp_fail(p, fxp_join(sub, path, "annotations"), "only a message has annotations");
    if (json_object_get(it, "content") && (!type || strcmp(type, "reasoning") != 0))
        rc |= fxp_fail(p, fxp_join(sub, path, "content"),
                       "only a reasoning item has content (its reasoning text)");
    if (!type)
        return fxp_fail(p, fxp_join(sub, path, "type"),
                        "expected \"message\", \"refusal\", \"function_call\", \"reasoning\" "
                        "or \"raw\"");
    if (strcmp(type, "message") == 0 || strcmp(type, "refusal") == 0 ||
        strcmp(type, "reasoning") == 0) {
        item->type = type[0] == 'm' ? FX_ITEM_MESSAGE
                     : type[1] == 'e' && type[2] == 'f' ? FX_ITEM_REFUSAL
                                                        : FX_ITEM_REASONING;
        rc |= fxp_str(p, path, it, "text", &item->text);
        if (!item->text && rc == 0)
            return fxp_fail(p, fxp_join(sub, path, "text"), "required for a %s item", type);
        rc |= fxp_annotations(p, path, it, item);
        rc |= fxp_str(p, path, it, "content", &item->reasoning);
        if (rc == 0 && item->reasoning &&
            fx_chunk(item->reasoning, st->by_words, st->chunk_size, &item->rchunks) != 0)
            return fxp_fail(p, path, "out of memory");
    } else if (strcmp(type, "function_call") == 0) {
        json_t *args = json_object_get(it, "arguments");

        item->type = FX_ITEM_FUNCTION_CALL;
        rc |= fxp_str(p, path, it, "name", &item->name);
        if (!item->name && rc == 0)
            return fxp_fail(p, fxp_join(sub, path, "name"), "required for a function_call item");
        if (!args)
            item->text = strdup("{}");
        else if (json_is_string(args))
            item->text = strdup(json_string_value(args));
        else if (json_is_object(args))
            item->text = json_util_dumps(args); /* a JSON string on the wire, never an object */
        else
            return fxp_fail(p, fxp_join(sub, path, "arguments"),
                            "expected an object or a JSON string");
    } else if (strcmp(type, "raw") == 0) {
        json_t *raw = json_object_get(it, "raw");

        item->type = FX_ITEM_RAW;
        if (!json_is_object(raw))
            return fxp_fail(p, fxp_join(sub, path, "raw"), "expected the output item object");
        item->raw = json_incref(raw);
        return rc;
    } else {
        return fxp_fail(p, fxp_join(sub, path, "type"),
                        "unknown item type '%s' (message, refusal, function_call, reasoning, "
                        "raw, or a built-in tool item: web_search_call, file_search_call, "
                        "code_interpreter_call, image_generation_call, mcp_list_tools, mcp_call, "
                        "mcp_approval_request, custom_tool_call, local_shell_call, shell_call, "
                        "compaction)",
                        type);
    }
    if (rc == 0 && item->text &&
        fx_chunk(item->text, st->by_words, st->chunk_size, &item->chunks) != 0)
        return fxp_fail(p, path, "out of memory");
    return rc;
}

static int fxp_response(struct fxp *p, const char *path, json_t *r, struct fixture *fx)
{
    static const char *const keys[] = {"output", "status", "incomplete_reason", "model",
                                       "usage", "background_ms", "auto", "parallel_calls",
                                       NULL};
    static const char *const ukeys[] = {"input_tokens", "output_tokens", "reasoning_tokens",
                                        "cached_tokens", NULL};
    json_t *out = json_object_get(r, "output"), *usage = json_object_get(r, "usage");
    char sub[FXP_PATH_MAX], ipath[FXP_PATH_MAX];
    size_t i;
    int rc = 0;

    fx->usage_in = fx->usage_out = fx->usage_reasoning = fx->usage_cached = -1;
    if (!json_is_object(r))
        return fxp_fail(p, path, "expected an object");
    rc |= fxp_keys(p, path, r, keys);
    rc |= fxp_str(p, path, r, "status", &fx->status);
    if (!fx->status)
        fx->status = strdup(RM_STATUS_COMPLETED);
    else if (strcmp(fx->status, RM_STATUS_COMPLETED) && strcmp(fx->status, RM_STATUS_INCOMPLETE) &&
             strcmp(fx->status, RM_STATUS_FAILED))
        rc |= fxp_fail(p, fxp_join(sub, path, "status"),
                       "expected \"completed\", \"incomplete\" or \"failed\"");
    rc |= fxp_str(p, path, r, "incomplete_reason", &fx->incomplete_reason);
    if (fx->status && strcmp(fx->status, RM_STATUS_INCOMPLETE) == 0 && !fx->incomplete_reason)
        fx->incomplete_reason = strdup("max_output_tokens");
    rc |= fxp_str(p, path, r, "model", &fx->model);
    rc |= fxp_uint(p, path, r, "background_ms", &fx->background_ms, RM_MAX_DELAY_MS);
    {
        int a = -1, par = -1;
        rc |= fxp_tri(p, path, r, "auto", &a);
        rc |= fxp_tri(p, path, r, "parallel_calls", &par);
        fx->auto_answer = a > 0;
        fx->parallel_calls = par > 0;
    }
    if (usage) {
        const char *up = fxp_join(sub, path, "usage");
        char upath[FXP_PATH_MAX];

        snprintf(upath, sizeof(upath), "%s", up);
        if (!json_is_object(usage))
            rc |= fxp_fail(p, upath, "expected an object");
        else {
            rc |= fxp_keys(p, upath, usage, ukeys);
            rc |= fxp_long(p, upath, usage, "input_tokens", &fx->usage_in);
            rc |= fxp_long(p, upath, usage, "output_tokens", &fx->usage_out);
            rc |= fxp_long(p, upath, usage, "reasoning_tokens", &fx->usage_reasoning);
            rc |= fxp_long(p, upath, usage, "cached_tokens", &fx->usage_cached);
        }
    }
    if (!json_is_array(out))
        return fxp_fail(p, fxp_join(sub, path, "output"), "expected an array of output items");
    if (json_array_size(out) > RM_MAX_FIXTURE_ITEMS)
        return fxp_fail(p, fxp_join(sub, path, "output"), "more than %d items",
                        RM_MAX_FIXTURE_ITEMS);
    fx->items = calloc(json_array_size(out) + 1, sizeof(*fx->items));
    if (!fx->items)
        return fxp_fail(p, path, "out of memory");
    for (i = 0; i < json_array_size(out); i++) {
        snprintf(ipath, sizeof(ipath), "%s.output[%zu]", path, i);
        rc |= fxp_item(p, ipath, json_array_get(out, i), &fx->items[i], &fx->stream);
        fx->nitems = i + 1;
    }
    return rc;
}

static int fxp_error(struct fxp *p, const char *path, json_t *e, struct fixture *fx)
{
    static const char *const keys[] = {"status", "type", "code", "message", "param", "body",
                                       "should_retry", "retry_after_ms", NULL};
    struct api_error ae;
    json_t *body = json_object_get(e, "body");
    unsigned status = 0, retry_ms = 0;
    int should_retry = -1, rc = 0;
    char sub[FXP_PATH_MAX];
    const char *s;

    if (!json_is_object(e))
        return fxp_fail(p, path, "expected an object");
    rc |= fxp_keys(p, path, e, keys);
    rc |= fxp_uint(p, path, e, "status", &status, 599);
    if (status < 400)
        return fxp_fail(p, fxp_join(sub, path, "status"), "expected an HTTP status from 400 to 599");
    rc |= fxp_tri(p, path, e, "should_retry", &should_retry);
    rc |= fxp_uint(p, path, e, "retry_after_ms", &retry_ms, RM_MAX_DELAY_MS);
    fx->err_status = (int)status;
    if (body) {
        fx->err_body = json_util_dumps(body); /* gateway variants, verbatim */
    } else {
        memset(&ae, 0, sizeof(ae));
        ae.status = (int)status;
        ae.type = json_util_str(e, "type") ? json_util_str(e, "type") : RM_ERRTYPE_INVALID_REQUEST;
        ae.code = json_util_str(e, "code");
        snprintf(ae.param, sizeof(ae.param), "%s",
                 json_util_str(e, "param") ? json_util_str(e, "param") : "");
        s = json_util_str(e, "message");
        snprintf(ae.message, sizeof(ae.message), "%s", s ? s : "Mock error.");
        fx->err_body = envelope_dumps(&ae);
        /* For the other flavours (rendered per request, with its request
         * id): the fields, with copies of the type and code strings, which
         * belong to the document, in the same block. */
        {
            size_t tl = strlen(ae.type) + 1, cl = ae.code ? strlen(ae.code) + 1 : 0;
            char *strings;

            fx->err_fields = malloc(sizeof(*fx->err_fields) + tl + cl);
            if (!fx->err_fields)
                return fxp_fail(p, path, "out of memory");
            *fx->err_fields = ae;
            strings = (char *)(fx->err_fields + 1);
            memcpy(strings, ae.type, tl);
            fx->err_fields->type = strings;
            if (ae.code) {
                memcpy(strings + tl, ae.code, cl);
                fx->err_fields->code = strings + tl;
            }
        }
    }
    if (!fx->err_body)
        return fxp_fail(p, path, "out of memory");
    /* SDKs retry 408/409/429/5xx; unless the fixture says otherwise tell them
     * not to, so error-path tests do not stall on back-off. */
    fx->nheaders = 0;
    fx->headers = calloc(RM_MAX_FIXTURE_HEADERS + 2, sizeof(*fx->headers));
    if (!fx->headers)
        return fxp_fail(p, path, "out of memory");
    if (retry_ms) {
        char v[32];
        snprintf(v, sizeof(v), "%u", retry_ms);
        fx->headers[fx->nheaders].name = strdup("retry-after-ms");
        fx->headers[fx->nheaders++].value = strdup(v);
    }
    if (should_retry >= 0 || (!retry_ms && (status == 408 || status == 409 || status == 429 ||
                                            status >= 500))) {
        fx->headers[fx->nheaders].name = strdup("x-should-retry");
        fx->headers[fx->nheaders++].value = strdup(should_retry > 0 ? "true" : "false");
    }
    return rc;
}

static int fxp_headers(struct fxp *p, const char *path, json_t *h, struct fixture *fx)
{
    const char *key;
    json_t *v;
    char sub[FXP_PATH_MAX];

    if (!h)
        return 0;
    if (!json_is_object(h))
        return fxp_fail(p, path, "expected an object of header names to string values");
    if (!fx->headers)
        fx->headers = calloc(RM_MAX_FIXTURE_HEADERS + 2, sizeof(*fx->headers));
    if (!fx->headers)
        return fxp_fail(p, path, "out of memory");
    json_object_foreach(h, key, v) {
        if (fx->nheaders >= RM_MAX_FIXTURE_HEADERS)
            return fxp_fail(p, path, "more than %d headers", RM_MAX_FIXTURE_HEADERS);
        if (!json_is_string(v) || strpbrk(json_string_value(v), "\r\n") ||
            strpbrk(key, "\r\n: "))
            return fxp_fail(p, fxp_join(sub, path, key), "expected a one-line string");
        fx->headers[fx->nheaders].name = strdup(key);
        fx->headers[fx->nheaders++].value = strdup(json_string_value(v));
    }
    return 0;
}

static int fxp_stream(struct fxp *p, const char *path, json_t *s, struct fx_stream *st)
{
    static const char *const keys[] = {"first_event_ms", "delay_ms", "jitter_ms", "seed",
                                       "chunk", "chunk_size", "fault", NULL};
    const char *chunk;
    char sub[FXP_PATH_MAX];
    unsigned seed = 1;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    st->by_words = 1;
    st->chunk_size = 1;
    st->seed = 1;
    fault_defaults(&st->fault);
    if (!s)
        return 0;
    if (!json_is_object(s))
        return fxp_fail(p, path, "expected an object");
    rc |= fxp_keys(p, path, s, keys);
    rc |= fxp_uint(p, path, s, "first_event_ms", &st->first_event_ms, RM_MAX_DELAY_MS);
    rc |= fxp_uint(p, path, s, "delay_ms", &st->delay_ms, RM_MAX_DELAY_MS);
    rc |= fxp_uint(p, path, s, "jitter_ms", &st->jitter_ms, RM_MAX_DELAY_MS);
    rc |= fxp_uint(p, path, s, "seed", &seed, 0x7fffffff);
    st->seed = seed;
    rc |= fxp_uint(p, path, s, "chunk_size", &st->chunk_size, 100000);
    if (st->chunk_size == 0)
        st->chunk_size = 1;
    if ((chunk = json_util_str(s, "chunk"))) {
        if (strcmp(chunk, "words") == 0)
            st->by_words = 1;
        else if (strcmp(chunk, "chars") == 0)
            st->by_words = 0;
        else
            rc |= fxp_fail(p, fxp_join(sub, path, "chunk"), "expected \"words\" or \"chars\"");
    } else if (json_object_get(s, "chunk")) {
        rc |= fxp_fail(p, fxp_join(sub, path, "chunk"), "expected \"words\" or \"chars\"");
    }
    if (json_object_get(s, "fault"))
        rc |= fxp_fault(p, fxp_join(sub, path, "fault"), json_object_get(s, "fault"), &st->fault);
    return rc;
}

static int frame_last_event(const struct sse_event *ev, void *user)
{
    json_t **last = user;
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);

    if (json_is_object(d)) {
        json_decref(*last);
        *last = d;
    } else {
        json_decref(d);
    }
    return 0;
}

/* What a recorded frame says: into '*data' the data of its last event that
 * is a JSON object (new reference), or NULL. Read once here, so that
 * replaying the frame never parses it again. Returns -1 when the frame is
 * not SSE a client's parser can read (a line over the parser's limits), 0. */
static int frame_data(const char *bytes, size_t len, json_t **data)
{
    struct sse_parser sp;
    int rc;

    *data = NULL;
    sse_parser_init(&sp, RM_MAX_SSE_EVENT);
    rc = sse_parser_feed(&sp, bytes, len, frame_last_event, data);
    if (rc == 0)
        sse_parser_finish(&sp, frame_last_event, data);
    sse_parser_release(&sp);
    return rc < 0 ? -1 : 0;
}

/* Whether every "event:" name of 'bytes' is at most RM_MAX_FRAME_EVENT_NAME
 * bytes: fresh ids may lengthen a frame's lines several times over, and the
 * result must stay within what a client's parser reads (SSE_MAX_EVENT_NAME). */
static int frame_names_short(const char *bytes, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t n = 0;

        while (i + n < len && bytes[i + n] != '\n' && bytes[i + n] != '\r')
            n++;
        if (n >= 6 && memcmp(bytes + i, "event:", 6) == 0 && n - 6 > RM_MAX_FRAME_EVENT_NAME)
            return 0;
        i += n + 1;
    }
    return 1;
}

static int fxp_transcript(struct fxp *p, const char *path, json_t *t, struct fixture *fx)
{
    static const char *const keys[] = {"events", "fresh_ids", "body", "status", NULL};
    static const char *const ekeys[] = {"raw", "event", "data", "delay_ms", NULL};
    json_t *events = json_object_get(t, "events");
    char sub[FXP_PATH_MAX], epath[FXP_PATH_MAX];
    size_t i;
    int rc = 0, fresh = -1;
    unsigned status = 200;

    if (!json_is_object(t))
        return fxp_fail(p, path, "expected an object");
    rc |= fxp_keys(p, path, t, keys);
    rc |= fxp_tri(p, path, t, "fresh_ids", &fresh);
    fx->fresh_ids = fresh > 0;
    rc |= fxp_uint(p, path, t, "status", &status, 599);
    if (status < 200)
        rc |= fxp_fail(p, fxp_join(sub, path, "status"), "expected an HTTP status from 200 to 599");
    fx->body_status = (int)status;
    if (json_object_get(t, "body")) {
        json_t *b = json_object_get(t, "body");

        if (!json_is_string(b))
            return fxp_fail(p, fxp_join(sub, path, "body"), "expected the body as a string");
        fx->body_len = json_string_length(b);
        fx->body = malloc(fx->body_len + 1);
        if (!fx->body)
            return fxp_fail(p, path, "out of memory");
        memcpy(fx->body, json_string_value(b), fx->body_len + 1);
        fx->body_json = json_loadb(fx->body, fx->body_len, 0, NULL);
        if (fx->body_json && !json_is_object(fx->body_json)) {
            json_decref(fx->body_json);
            fx->body_json = NULL;
        }
        if (!events)
            return rc;
    }
    if (!json_is_array(events) || json_array_size(events) == 0)
        return fxp_fail(p, fxp_join(sub, path, "events"), "expected a non-empty array");
    if (json_array_size(events) > RM_MAX_TRANSCRIPT_EVENTS)
        return fxp_fail(p, fxp_join(sub, path, "events"), "more than %d events",
                        RM_MAX_TRANSCRIPT_EVENTS);
    fx->frames = calloc(json_array_size(events), sizeof(*fx->frames));
    if (!fx->frames)
        return fxp_fail(p, path, "out of memory");
    for (i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        struct fx_frame *f = &fx->frames[i];
        const char *raw = json_util_str(e, "raw");

        snprintf(epath, sizeof(epath), "%s.events[%zu]", path, i);
        if (!json_is_object(e)) {
            rc |= fxp_fail(p, epath, "expected an object with \"raw\" or \"data\"");
            continue;
        }
        rc |= fxp_keys(p, epath, e, ekeys);
        rc |= fxp_uint(p, epath, e, "delay_ms", &f->delay_ms, RM_MAX_DELAY_MS);
        if (raw) {
            f->bytes = strdup(raw);
            f->len = strlen(raw);
        } else if (json_object_get(e, "data")) {
            json_t *d = json_object_get(e, "data");
            char *text = json_is_string(d) ? strdup(json_string_value(d)) : json_util_dumps(d);
            struct buf b;

            buf_init(&b, RM_MAX_STREAM_BYTES);
            if (!text || sse_frame_append(&b, json_util_str(e, "event"), text) != 0) {
                free(text);
                buf_release(&b);
                rc |= fxp_fail(p, epath, "event too large");
                continue;
            }
            free(text);
            f->bytes = buf_take(&b, &f->len);
        } else {
            rc |= fxp_fail(p, epath, "expected \"raw\" (verbatim bytes) or \"data\"");
        }
        /* found by fuzz_fixture: a frame the shared parser refuses (an event
         * name over SSE_MAX_EVENT_NAME) was replayed to clients as it was */
        if (f->bytes && (!frame_names_short(f->bytes, f->len) ||
                         frame_data(f->bytes, f->len, &f->data) != 0))
            rc |= fxp_fail(p, epath,
                           "not SSE a client can read: an event name over %d bytes or an "
                           "event over %u bytes",
                           RM_MAX_FRAME_EVENT_NAME, RM_MAX_SSE_EVENT);
        fx->nframes = i + 1;
    }
    return rc;
}

/* Add the model ids a fixture names to the model list (no globs). */
static void fx_note_models(json_t *models, const char *id)
{
    size_t i;

    if (!id || strpbrk(id, "*?["))
        return;
    for (i = 0; i < json_array_size(models); i++)
        if (strcmp(json_string_value(json_array_get(models, i)), id) == 0)
            return;
    json_array_append_new(models, json_string(id));
}

static void fixture_release(struct fixture *fx)
{
    void *templates = atomic_load(&fx->templates);
    size_t i;

    if (templates && fx->templates_free)
        fx->templates_free(templates);
    free(fx->name);
    free(fx->file);
    free(fx->m_path);
    free(fx->m_model);
    free(fx->m_input);
    free(fx->m_prompt);
    free(fx->m_tool_output);
    free(fx->m_has_param);
    free(fx->m_tool);
    free(fx->m_prev_fixture);
    free(fx->m_instructions);
    if (fx->has_regex)
        regfree(&fx->m_regex);
    free(fx->m_tool_choice);
    json_decref(fx->m_metadata);
    json_decref(fx->m_headers);
    free(fx->m_text_format);
    free(fx->m_state);
    free(fx->m_digest);
    free(fx->body);
    json_decref(fx->body_json);
    json_decref(fx->match_json);
    free(fx->next_state);
    for (i = 0; i < fx->nsteps; i++)
        fixture_release(&fx->steps[i]);
    free(fx->steps);
    for (i = 0; i < fx->nitems; i++)
        fx_item_release(&fx->items[i]);
    free(fx->items);
    free(fx->status);
    free(fx->incomplete_reason);
    free(fx->model);
    free(fx->err_body);
    free(fx->err_fields);
    for (i = 0; i < fx->nframes; i++) {
        free(fx->frames[i].bytes);
        json_decref(fx->frames[i].data);
    }
    free(fx->frames);
    for (i = 0; i < fx->nheaders; i++) {
        free(fx->headers[i].name);
        free(fx->headers[i].value);
    }
    free(fx->headers);
    memset(fx, 0, sizeof(*fx));
}

static int fxp_fixture(struct fxp *p, const char *path, json_t *obj, struct fixture *fx,
                       json_t *models, const char *default_name, int step);

/* "sequence": the answers of 'fx' in turn, each parsed as a fixture of its
 * own named "NAME#N" (N from 1). */
static int fxp_sequence(struct fxp *p, const char *path, json_t *seq, struct fixture *fx,
                        json_t *models)
{
    char sub[FXP_PATH_MAX], name[RM_MAX_FIXTURE_NAME + 16];
    size_t i;
    int rc = 0;

    if (!json_is_array(seq) || json_array_size(seq) == 0)
        return fxp_fail(p, path, "expected a non-empty array of answers");
    if (json_array_size(seq) > RM_MAX_SEQUENCE_STEPS)
        return fxp_fail(p, path, "more than %d steps", RM_MAX_SEQUENCE_STEPS);
    fx->steps = calloc(json_array_size(seq), sizeof(*fx->steps));
    if (!fx->steps)
        return fxp_fail(p, path, "out of memory");
    for (i = 0; i < json_array_size(seq); i++) {
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        snprintf(name, sizeof(name), "%s#%zu", fx->name ? fx->name : "", i + 1);
        rc |= fxp_fixture(p, sub, json_array_get(seq, i), &fx->steps[i], models, name, 1);
        fx->nsteps = i + 1;
    }
    if (rc == 0)
        fx->kind = fx->steps[0].kind;
    return rc;
}

/* One fixture at 'path' of the document; a sequence 'step' is an answer
 * only (no name, match or scenario keys of its own). */
static int fxp_fixture(struct fxp *p, const char *path, json_t *obj, struct fixture *fx,
                       json_t *models, const char *default_name, int step)
{
    static const char *const keys[] = {"name", "description", "match", "response", "error",
                                       "transcript", "stream", "headers", "latency_ms",
                                       "models", "priority", "times", "next_state",
                                       "sequence", "sequence_end", "flavor", NULL};
    static const char *const step_keys[] = {"description", "response", "error", "transcript",
                                            "stream", "headers", "latency_ms", "flavor", NULL};
    char sub[FXP_PATH_MAX];
    json_t *m;
    size_t i;
    int rc = 0, kinds = 0;

    memset(fx, 0, sizeof(*fx));
    fx->m_tools = fx->m_stream = fx->m_after_tools = -1;
    fx->flavor = RM_FLAVOR_UNSET;
    fx->file = strdup(p->file);
    json_util_locate(p->text, p->len, path, &fx->line, &fx->column);
    if (!json_is_object(obj))
        return fxp_fail(p, path, "expected a fixture object");
    rc |= fxp_keys(p, path, obj, step ? step_keys : keys);
    rc |= fxp_str(p, path, obj, "name", &fx->name);
    {
        json_t *fv = json_object_get(obj, "flavor");

        fx->flavor = envelope_flavor_parse(json_string_value(fv));
        if (fv && fx->flavor == RM_FLAVOR_UNSET)
            rc |= fxp_fail(p, fxp_join(sub, path, "flavor"),
                           "expected \"openai\" or \"cometapi\"");
    }
    if (!fx->name)
        fx->name = strdup(default_name);
    {
        long prio = 0;
        json_t *pv = json_object_get(obj, "priority");
        const char *end = json_util_str(obj, "sequence_end");

        if (pv && (!json_is_integer(pv) || json_integer_value(pv) < -1000000 ||
                   json_integer_value(pv) > 1000000))
            rc |= fxp_fail(p, fxp_join(sub, path, "priority"),
                           "expected an integer from -1000000 to 1000000");
        else if (pv)
            prio = (long)json_integer_value(pv);
        fx->priority = (int)prio;
        rc |= fxp_uint(p, path, obj, "times", &fx->times, 1000000000u);
        rc |= fxp_str(p, path, obj, "next_state", &fx->next_state);
        if (end && strcmp(end, "cycle") == 0)
            fx->cycle = 1;
        else if ((end && strcmp(end, "repeat") != 0) ||
                 (!end && json_object_get(obj, "sequence_end")))
            rc |= fxp_fail(p, fxp_join(sub, path, "sequence_end"),
                           "expected \"repeat\" or \"cycle\"");
    }
    /* The name is kept in fixed buffers (struct stored.fixture, the access
     * log): a longer one would be cut, and a stored response could then no
     * longer find its fixture to replay. */
    if (fx->name && strlen(fx->name) > FX_NAME_MAX)
        rc |= fxp_fail(p, fxp_join(sub, path, "name"),
                       "fixture name longer than %zu bytes%s", (size_t)FX_NAME_MAX,
                       json_object_get(obj, "name") ? "" : " (the file name; set \"name\")");
    /* "stream" first: output chunking depends on it. */
    rc |= fxp_stream(p, fxp_join(sub, path, "stream"), json_object_get(obj, "stream"),
                     &fx->stream);
    rc |= fxp_match(p, fxp_join(sub, path, "match"), json_object_get(obj, "match"), fx);
    rc |= fxp_uint(p, path, obj, "latency_ms", &fx->latency_ms, RM_MAX_DELAY_MS);
    if (json_object_get(obj, "response")) {
        kinds++;
        fx->kind = FX_RESPONSE;
        rc |= fxp_response(p, fxp_join(sub, path, "response"), json_object_get(obj, "response"),
                           fx);
    }
    if (json_object_get(obj, "error")) {
        kinds++;
        fx->kind = FX_ERROR;
        rc |= fxp_error(p, fxp_join(sub, path, "error"), json_object_get(obj, "error"), fx);
    }
    if (json_object_get(obj, "transcript")) {
        kinds++;
        fx->kind = FX_TRANSCRIPT;
        rc |= fxp_transcript(p, fxp_join(sub, path, "transcript"),
                             json_object_get(obj, "transcript"), fx);
    }
    if (!step && json_object_get(obj, "sequence")) {
        if (kinds)
            return fxp_fail(p, fxp_join(sub, path, "sequence"),
                            "a sequence replaces \"response\", \"error\" and \"transcript\"");
        kinds = 1;
        rc |= fxp_sequence(p, fxp_join(sub, path, "sequence"), json_object_get(obj, "sequence"),
                           fx, models);
        for (i = 0; i < fx->nsteps; i++) /* a step without "flavor" answers like its fixture */
            if (fx->steps[i].flavor == RM_FLAVOR_UNSET)
                fx->steps[i].flavor = fx->flavor;
    }
    if (kinds != 1)
        return fxp_fail(p, path, "a fixture needs exactly one of \"response\", \"error\", "
                                 "\"transcript\" or \"sequence\"");
    rc |= fxp_headers(p, fxp_join(sub, path, "headers"), json_object_get(obj, "headers"), fx);
    m = json_object_get(obj, "models");
    if (m && !json_is_array(m))
        rc |= fxp_fail(p, fxp_join(sub, path, "models"), "expected an array of model ids");
    for (i = 0; json_is_array(m) && i < json_array_size(m); i++) {
        if (!json_is_string(json_array_get(m, i))) {
            snprintf(sub, sizeof(sub), "%s.models[%zu]", path, i);
            rc |= fxp_fail(p, sub, "expected a string");
        } else {
            fx_note_models(models, json_string_value(json_array_get(m, i)));
        }
    }
    fx_note_models(models, fx->model);
    return rc;
}

/* Append the fixtures of one document to 'set'. */
static int fx_load_doc(struct fixture_set *set, struct fxp *p)
{
    json_t *doc, *list;
    size_t i, n;
    int rc = 0;
    const char *base = strrchr(p->file, '/');

    doc = json_util_loadb(p->text, p->len, p->file, p->err);
    if (!doc) {
        if (p->all && p->err->set) {
            char line[1024];
            fprintf(p->all, "%s\n", mock_error_format(p->err, line, sizeof(line)));
        }
        p->nerr++;
        return -1;
    }
    base = base ? base + 1 : p->file;
    list = json_is_array(doc) ? doc : NULL;
    n = list ? json_array_size(list) : 1;
    if (set->n + n > RM_MAX_FIXTURES) {
        json_decref(doc);
        return fxp_fail(p, "", "more than %d fixtures", RM_MAX_FIXTURES);
    }
    {
        struct fixture *v = realloc(set->v, (set->n + n) * sizeof(*set->v));
        if (!v) {
            json_decref(doc);
            return fxp_fail(p, "", "out of memory");
        }
        set->v = v;
    }
    for (i = 0; i < n; i++) {
        char path[32], name[300];
        struct fixture *fx = &set->v[set->n];
        size_t j;

        if (list)
            snprintf(path, sizeof(path), "[%zu]", i);
        else
            path[0] = '\0';
        if (list)
            snprintf(name, sizeof(name), "%.*s#%zu", (int)(strcspn(base, ".")), base, i);
        else
            snprintf(name, sizeof(name), "%.*s", (int)(strcspn(base, ".")), base);
        if (fxp_fixture(p, path, list ? json_array_get(list, i) : doc, fx, set->models, name, 0)) {
            fixture_release(fx);
            rc = -1;
            continue;
        }
        for (j = 0; j < set->n; j++)
            if (strcmp(set->v[j].name, fx->name) == 0)
                break;
        if ((j < set->n && j < p->shadow) || (p->removed && json_object_get(p->removed, fx->name))) {
            fixture_release(fx); /* replaced or removed at run time */
            continue;
        }
        if (j < set->n) {
            char npath[64];
            snprintf(npath, sizeof(npath), "%s.name", path);
            fxp_fail(p, npath, "fixture name '%s' is already used in %s", fx->name,
                     set->v[j].file);
            fixture_release(fx);
            rc = -1;
            continue;
        }
        set->n++;
    }
    json_decref(doc);
    return rc;
}

static void index_build(struct fixture_set *set);
static void index_free(struct fx_index *x);

int fixture_set_load_text(struct fixture_set *set, const char *text, size_t len,
                          const char *source, struct mock_error *err)
{
    struct fxp p = {text, len, source, err, NULL, 0, 0, NULL};
    size_t before = set->n;

    if (!set->models)
        set->models = json_array();
    index_free(set->index); /* the set changes: indexed again below */
    set->index = NULL;
    if (fx_load_doc(set, &p) == 0 && p.nerr == 0) {
        index_build(set);
        return 0;
    }
    while (set->n > before) /* a bad document loads nothing */
        fixture_release(&set->v[--set->n]);
    index_build(set);
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Where the byte after the first 'n' of 'text' is: 1-based line and column
 * (in characters, as json_util_locate counts them), carried in '*line' and
 * '*column' across calls. */
static void advance_position(const char *text, size_t n, int *line, int *column)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

/* The contents of fixture file 'path'. Refused with 'path:line:column': a
 * file that is not a regular one once links are followed (a FIFO or a
 * device would block or never end the load), a file over
 * RM_MAX_FIXTURE_FILE (at the first byte over it). A link to a regular file
 * elsewhere is followed: the directory's owner put it there (tests build
 * directories of links to shared fixtures); names come from readdir, so no
 * request or admin call can name a file outside the directory. */
static char *read_file(const char *path, size_t *len, struct mock_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f;
    struct stat st;
    struct buf b;
    char chunk[65536];
    size_t n;
    int line = 1, column = 1;

    if (fd < 0) {
        mock_error_set(err, path, 1, 1, "cannot open file");
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        mock_error_set(err, path, 1, 1, "not a regular file");
        return NULL;
    }
    if (!(f = fdopen(fd, "rb"))) {
        close(fd);
        mock_error_set(err, path, 1, 1, "cannot open file");
        return NULL;
    }
    buf_init(&b, RM_MAX_FIXTURE_FILE);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) != 0) {
            advance_position(chunk, RM_MAX_FIXTURE_FILE - b.len, &line, &column);
            fclose(f);
            buf_release(&b);
            mock_error_set(err, path, line, column, "file larger than %u bytes (the limit)",
                           RM_MAX_FIXTURE_FILE);
            return NULL;
        }
        advance_position(chunk, n, &line, &column);
    }
    fclose(f);
    return buf_take(&b, len);
}

int fixture_docs_add(struct fixture_docs *docs, const char *source, const char *text, size_t len)
{
    struct fixture_doc *d;

    if (docs->n == docs->cap) {
        size_t cap = docs->cap ? docs->cap * 2 : 16;
        struct fixture_doc *v = realloc(docs->v, cap * sizeof(*v));
        if (!v)
            return -1;
        docs->v = v;
        docs->cap = cap;
    }
    d = &docs->v[docs->n];
    d->source = strdup(source);
    d->text = malloc(len + 1);
    if (!d->source || !d->text) {
        free(d->source);
        free(d->text);
        return -1;
    }
    memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    docs->n++;
    return 0;
}

void fixture_docs_release(struct fixture_docs *docs)
{
    size_t i;

    for (i = 0; i < docs->n; i++) {
        free(docs->v[i].source);
        free(docs->v[i].text);
    }
    free(docs->v);
    memset(docs, 0, sizeof(*docs));
}

int fixture_docs_read_dir(struct fixture_docs *docs, const char *dir, struct mock_error *err,
                          FILE *all_errors, int allow_empty)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    memset(docs, 0, sizeof(*docs));
    if (!d) {
        mock_error_set(err, dir, 0, 0, "cannot open fixture directory");
        if (all_errors)
            fprintf(all_errors, "%s: cannot open fixture directory\n", dir);
        return -1;
    }
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));
            if (!nn)
                break;
            names = nn;
            cap = cap ? cap * 2 : 16;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n; i++) {
        char path[MOCK_ERROR_FILE_MAX];
        size_t len = 0;
        char *text;
        struct mock_error local;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        mock_error_clear(&local);
        text = read_file(path, &len, &local);
        if (!text) {
            char line[1024];
            if (all_errors)
                fprintf(all_errors, "%s\n", mock_error_format(&local, line, sizeof(line)));
            mock_error_set(err, local.file, local.line, local.column, "%s", local.text);
            rc = -1;
        } else if (fixture_docs_add(docs, path, text, len) != 0) {
            mock_error_set(err, path, 0, 0, "out of memory");
            rc = -1;
        }
        free(text);
        free(names[i]);
        if (rc != 0 && !all_errors) {
            size_t j;
            for (j = i + 1; j < n; j++)
                free(names[j]);
            break;
        }
    }
    free(names);
    if (rc == 0 && docs->n == 0 && !allow_empty) {
        mock_error_set(err, dir, 0, 0, "no *.json fixture files found");
        if (all_errors)
            fprintf(all_errors, "%s: no *.json fixture files found\n", dir);
        rc = -1;
    }
    if (rc != 0)
        fixture_docs_release(docs);
    return rc;
}

/* Empty 'set' (which holds nothing), keeping its reference count. */
/* ---- The match index ------------------------------------------------------
 *
 * Most large fixture sets tell their fixtures apart by model (and path).
 * The index files each fixture under its (path, model) when both are
 * literal, with NULL for a condition that is absent or a glob: a request
 * for (P, M) can only be answered by the fixtures under (P, M), (P, NULL),
 * (NULL, M) and (NULL, NULL), since any other rejects it on its path or
 * model. Those four lists, in set order, are merged and tried as the full
 * scan would try them, so the answer is the same; the other fixtures are
 * never looked at. */

struct fx_bucket {
    const char *path, *model; /* borrowed from the fixtures; NULL: any */
    uint32_t *v;              /* indexes into set->v, ascending */
    size_t n, cap;
    int used;
};

struct fx_index {
    struct fx_bucket *b;
    size_t nb; /* a power of two */
};

/* A model or path fnmatch / strcmp would only match literally. */
static const char *literal(const char *s)
{
    return s && !strpbrk(s, "*?[\\") ? s : NULL;
}

static uint64_t index_hash(const char *path, const char *model)
{
    uint64_t h = 1469598103934665603ull;
    const char *p;

    for (p = path ? path : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ (path ? 1u : 2u)) * 1099511628211ull;
    for (p = model ? model : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (h ^ (model ? 3u : 4u)) * 1099511628211ull;
}

static int same_key(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The bucket of (path, model): found, or the free one where it goes. */
static struct fx_bucket *index_slot(const struct fx_index *x, const char *path, const char *model)
{
    size_t i = (size_t)index_hash(path, model) & (x->nb - 1);

    while (x->b[i].used && !(same_key(x->b[i].path, path) && same_key(x->b[i].model, model)))
        i = (i + 1) & (x->nb - 1);
    return &x->b[i];
}

static void index_free(struct fx_index *x)
{
    size_t i;

    if (!x)
        return;
    for (i = 0; i < x->nb; i++)
        free(x->b[i].v);
    free(x->b);
    free(x);
}

/* Index 'set' (set->index; left NULL on OOM: matching then scans every
 * fixture, with the same answer). */
static void index_build(struct fixture_set *set)
{
    struct fx_index *x = calloc(1, sizeof(*x));
    size_t i;

    if (!x)
        return;
    for (x->nb = 8; x->nb < 2 * set->n + 8; x->nb *= 2)
        ;
    if (!(x->b = calloc(x->nb, sizeof(*x->b)))) {
        free(x);
        return;
    }
    for (i = 0; i < set->n; i++) {
        const char *path = literal(set->v[i].m_path), *model = literal(set->v[i].m_model);
        struct fx_bucket *b = index_slot(x, path, model);

        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 4;
            uint32_t *v = realloc(b->v, cap * sizeof(*v));

            if (!v) {
                index_free(x);
                return;
            }
            b->v = v;
            b->cap = cap;
        }
        b->used = 1;
        b->path = path;
        b->model = model;
        b->v[b->n++] = (uint32_t)i;
    }
    set->index = x;
}

/* The fixtures a request may match, in set order: with an index, the
 * merge of the four lists of its (path, model); without, every fixture. */
struct index_walk {
    const struct fx_bucket *l[4];
    size_t at[4];
    int scan;         /* no index: every fixture, 'next' the next one */
    size_t next, n;
};

/* Walk the fixtures of 'set' that may answer (path, model); all of them in
 * order when 'use_index' is 0 or the set has no index. */
static void index_walk_start(struct index_walk *w, const struct fixture_set *set, int use_index,
                             const char *path, const char *model)
{
    const char *paths[4] = {path, path, NULL, NULL}, *models[4] = {model, NULL, model, NULL};
    int k;

    memset(w, 0, sizeof(*w));
    if (!use_index || !set->index) {
        w->scan = 1;
        w->n = set->n;
        return;
    }
    for (k = 0; k < 4; k++) {
        const struct fx_bucket *b;

        if ((k < 2 && !path) || ((k == 0 || k == 2) && !model))
            continue; /* the request has no such key: only the NULL lists apply */
        b = index_slot(set->index, paths[k], models[k]);
        w->l[k] = b->used ? b : NULL;
    }
}

/* The next fixture's place in the set (the lowest at the lists' heads), or
 * -1 when none is left. */
static long index_walk_next(struct index_walk *w)
{
    long best = -1;
    int k, from = -1;

    if (w->scan)
        return w->next < w->n ? (long)w->next++ : -1;
    for (k = 0; k < 4; k++)
        if (w->l[k] && w->at[k] < w->l[k]->n && (best < 0 || w->l[k]->v[w->at[k]] < best)) {
            best = (long)w->l[k]->v[w->at[k]];
            from = k;
        }
    if (from >= 0)
        w->at[from]++;
    return best;
}

static void set_clear(struct fixture_set *set)
{
    int refs = atomic_load(&set->refs);

    memset(set, 0, sizeof(*set));
    atomic_init(&set->refs, refs);
}

/* Higher priority first; ties keep their order (files, then array order). */
static int cmp_priority(const void *a, const void *b)
{
    const struct fixture *x = a, *y = b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int fixture_set_build(struct fixture_set *set, const struct fixture_docs *docs, size_t replaceable,
                      const json_t *removed, struct mock_error *err, FILE *all_errors)
{
    size_t i, runtime_n = 0;
    int rc = 0;

    set_clear(set);
    set->models = json_array();
    for (i = 0; i < docs->n; i++) {
        const struct fixture_doc *d = &docs->v[i];
        struct mock_error local;
        struct fxp p = {d->text, d->len, d->source, &local, all_errors, 0, 0, NULL};

        mock_error_clear(&local);
        if (i == replaceable)
            runtime_n = set->n;
        p.shadow = i >= replaceable ? runtime_n : 0;
        p.removed = removed;
        if (fx_load_doc(set, &p) != 0 || p.nerr) {
            mock_error_set(err, local.file, local.line, local.column, "%s", local.text);
            rc = -1;
            if (!all_errors)
                break;
        }
    }
    if (rc != 0) {
        fixture_set_release(set);
        return -1;
    }
    for (i = 0; i < set->n; i++) {
        set->v[i].order = i;
        if (set->v[i].m_state)
            set->has_states = 1;
    }
    if (set->n) /* an empty set (record mode's first start) has no array */
        qsort(set->v, set->n, sizeof(*set->v), cmp_priority);
    index_build(set);
    return 0;
}

int fixture_set_load(struct fixture_set *set, const char *dir, struct mock_error *err,
                     FILE *all_errors)
{
    struct fixture_docs docs;
    int rc;

    set_clear(set);
    if (fixture_docs_read_dir(&docs, dir, err, all_errors, 0) != 0) {
        set->models = json_array();
        return -1;
    }
    rc = fixture_set_build(set, &docs, docs.n, NULL, err, all_errors);
    fixture_docs_release(&docs);
    return rc;
}

void fixture_set_release(struct fixture_set *set)
{
    size_t i;

    for (i = 0; i < set->n; i++)
        fixture_release(&set->v[i]);
    free(set->v);
    json_decref(set->models);
    index_free(set->index);
    set_clear(set);
}

/* Why 'fx' does not accept 'f': the first condition that fails, written to
 * 'why' ('n' bytes) when it is non-NULL; '*met' (may be NULL) counts the
 * conditions that held before it. Returns 1 when it rejects, 0 when it
 * accepts. Only the fixture's own conditions are quoted, never the
 * request's text. */
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            if (why)                                                                       \
                snprintf(why, n, __VA_ARGS__);                                             \
            if (met)                                                                       \
                *met = held;                                                               \
            return 1;                                                                      \
        }                                                                                  \
        held++;                                                                            \
    } while (0)

static int name_in(const json_t *names, const char *name)
{
    size_t i;

    for (i = 0; i < json_array_size(names); i++)
        if (strcmp(json_string_value(json_array_get(names, i)), name) == 0)
            return 1;
    return 0;
}

static int fixture_rejects(const struct fixture *fx, const struct match_facts *f, char *why,
                           size_t n, unsigned *met)
{
    unsigned held = 0;
    const char *key;
    json_t *v;

    if (fx->m_path)
        CHECK(f->path && strcmp(fx->m_path, f->path) == 0, "path is not %.100s", fx->m_path);
    if (fx->m_model)
        CHECK(f->model && fnmatch(fx->m_model, f->model, 0) == 0,
              "model does not match '%.100s'", fx->m_model);
    if (fx->m_input)
        CHECK(f->text && strstr(f->text, fx->m_input), "input does not contain '%.60s'",
              fx->m_input);
    if (fx->m_prompt)
        CHECK(f->prompt && strstr(f->prompt, fx->m_prompt), "prompt does not contain '%.60s'",
              fx->m_prompt);
    if (fx->m_instructions)
        CHECK(f->instructions && strstr(f->instructions, fx->m_instructions),
              "instructions do not contain '%.60s'", fx->m_instructions);
    if (fx->has_regex)
        CHECK(f->text && regexec(&fx->m_regex, f->text, 0, NULL, 0) == 0,
              "input does not match the input_matches expression");
    if (fx->m_tools >= 0)
        CHECK(fx->m_tools == (f->tools != 0), fx->m_tools ? "no function tools" : "function tools sent");
    if (fx->m_stream >= 0)
        CHECK(fx->m_stream == (f->stream != 0), fx->m_stream ? "not streaming" : "streaming");
    if (fx->m_turn > 0)
        CHECK(fx->m_turn == f->turn, "turn %d, not %d", f->turn, fx->m_turn);
    if (fx->m_after_tools >= 0)
        CHECK(fx->m_after_tools == (f->after_tools != 0),
              fx->m_after_tools ? "input does not end with tool results"
                                : "input ends with tool results");
    if (fx->m_prev_fixture)
        CHECK(f->prev_fixture && strcmp(fx->m_prev_fixture, f->prev_fixture) == 0,
              "previous response not from fixture '%.100s'", fx->m_prev_fixture);
    if (fx->m_digest) {
        char d[17];

        fixture_request_digest(f->body, d, sizeof(d));
        CHECK(f->body && strcmp(d, fx->m_digest) == 0, "input digest %s, not %s", d,
              fx->m_digest);
    }
    if (fx->m_tool)
        CHECK(name_in(f->tool_names, fx->m_tool), "no tool '%.100s'", fx->m_tool);
    if (fx->m_tool_choice)
        CHECK((f->forced_tool && strcmp(f->forced_tool, fx->m_tool_choice) == 0) ||
                  (!f->forced_tool && f->tool_choice &&
                   strcmp(f->tool_choice, fx->m_tool_choice) == 0),
              "tool_choice is not '%.60s'", fx->m_tool_choice);
    if (fx->m_background >= 0)
        CHECK(fx->m_background == json_is_true(json_object_get(f->body, "background")),
              fx->m_background ? "not background" : "background");
    if (fx->m_has_image >= 0)
        CHECK(fx->m_has_image == (f->has_image != 0),
              fx->m_has_image ? "no image input" : "image input present");
    if (fx->m_has_file >= 0)
        CHECK(fx->m_has_file == (f->has_file != 0),
              fx->m_has_file ? "no file input" : "file input present");
    if (fx->m_text_format)
        CHECK(strcmp(f->text_format ? f->text_format : "text", fx->m_text_format) == 0,
              "text format is not %.40s", fx->m_text_format);
    json_object_foreach(fx->m_metadata, key, v) {
        const char *got = json_util_str(json_object_get(f->body, "metadata"), key);
        CHECK(got && strcmp(got, json_string_value(v)) == 0, "metadata '%.60s' is not '%.60s'",
              key, json_string_value(v));
    }
    json_object_foreach(fx->m_headers, key, v) {
        const char *got = f->header ? f->header(f->header_ctx, key) : NULL;
        CHECK(got && (strcmp(json_string_value(v), "*") == 0 ||
                      strcmp(got, json_string_value(v)) == 0),
              "header '%.60s' is not '%.60s'", key, json_string_value(v));
    }
    if (fx->m_has_param) {
        json_t *pv = json_object_get(f->body, fx->m_has_param);
        CHECK(pv && !json_is_null(pv), "no '%.100s' parameter", fx->m_has_param);
    }
    if (fx->m_tool_output) {
        size_t i;
        int hit = 0;

        for (i = 0; i < json_array_size(f->tool_outputs); i++) {
            const char *id = json_string_value(json_array_get(f->tool_outputs, i));
            if (strcmp(fx->m_tool_output, "*") == 0 || (id && !strcmp(id, fx->m_tool_output)))
                hit = 1;
        }
        CHECK(hit, "no function_call_output for '%.100s'", fx->m_tool_output);
    }
    if (fx->m_state) {
        const char *st = f->state_of ? f->state_of(f->uses_ctx) : f->state;
        CHECK(strcmp(st ? st : RM_SCENARIO_START, fx->m_state) == 0,
              "scenario state is not '%.60s'", fx->m_state);
    }
    if (fx->times && f->uses)
        CHECK(f->uses(f->uses_ctx, fx) < fx->times, "answered its %u times", fx->times);
    if (met)
        *met = held;
    return 0;
}

#undef CHECK

const struct fixture *fixture_match(const struct fixture_set *set,
                                    const struct match_facts *facts)
{
    return fixture_match_explain(set, facts, 0, NULL, NULL, NULL, NULL, NULL, 0);
}

const struct fixture *fixture_match_explain(const struct fixture_set *set,
                                            const struct match_facts *facts, int strict,
                                            fixture_skip_fn skipped, fixture_claim_fn claim,
                                            void *user, const struct fixture **closest,
                                            char *closest_why, size_t closest_len)
{
    char why[256];
    unsigned met, best = 0;
    struct index_walk w;
    long k;

    if (closest)
        *closest = NULL;
    /* When no one asks why the others were passed over, only the fixtures
     * the index says may match are tried, in the same order. */
    index_walk_start(&w, set, !skipped && !closest, facts->path, facts->model);
    while ((k = index_walk_next(&w)) >= 0) {
        const struct fixture *fx = &set->v[k];
        int want_why = skipped || closest;

        if (strict && !fx->has_match)
            continue; /* --strict: no catch-all */
        if (!fixture_rejects(fx, facts, want_why ? why : NULL, sizeof(why), &met)) {
            if (!claim || claim(user, fx) == 0)
                return fx;
            snprintf(why, sizeof(why), "answered its %u times", fx->times);
        }
        if (skipped)
            skipped(user, fx, why);
        if (closest && (!*closest || met > best)) {
            *closest = fx;
            best = met;
            if (closest_why)
                snprintf(closest_why, closest_len, "%s", why);
        }
    }
    return NULL;
}

const struct fixture *fixture_step(const struct fixture *fx, unsigned long n)
{
    if (!fx->nsteps)
        return fx;
    if (fx->cycle)
        return &fx->steps[n % fx->nsteps];
    return &fx->steps[n < fx->nsteps ? n : fx->nsteps - 1];
}

struct fixture_set *fixture_set_new(void)
{
    struct fixture_set *set = calloc(1, sizeof(*set));

    if (!set)
        return NULL;
    set->models = json_array();
    atomic_init(&set->refs, 1);
    return set;
}

void fixture_set_unref(struct fixture_set *set)
{
    if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    fixture_set_release(set);
    free(set);
}

const struct fixture *fixture_find(const struct fixture_set *set, const char *name)
{
    size_t i, j;

    for (i = 0; i < set->n; i++) {
        if (strcmp(set->v[i].name, name) == 0)
            return &set->v[i];
        for (j = 0; j < set->v[i].nsteps; j++)
            if (strcmp(set->v[i].steps[j].name, name) == 0)
                return &set->v[i].steps[j];
    }
    return NULL;
}

/* Blank the ids in 'v' ("id", "call_id", "item_id" string members): the
 * upstream makes new ones every run, so a chain recorded twice keeps its
 * digests (fixture_request_digest). */
static void digest_blank_ids(json_t *v)
{
    const char *key;
    json_t *member;
    size_t i;

    if (json_is_array(v))
        for (i = 0; i < json_array_size(v); i++)
            digest_blank_ids(json_array_get(v, i));
    if (!json_is_object(v))
        return;
    json_object_foreach(v, key, member) {
        if (json_is_string(member) &&
            (!strcmp(key, "id") || !strcmp(key, "call_id") || !strcmp(key, "item_id")))
            json_string_set(member, "");
        else
            digest_blank_ids(member);
    }
}

void fixture_request_digest(const json_t *body, char *out, size_t n)
{
    static const char *const members[] = {"input", "instructions", "messages", "tools",
                                          "tool_choice", "text", "response_format", NULL};
    const char *const *m;
    json_t *pick = json_object();
    char *text;

    for (m = members; pick && *m; m++)
        if (json_object_get(body, *m))
            json_object_set_new(pick, *m, json_deep_copy(json_object_get(body, *m)));
    digest_blank_ids(pick);
    text = pick ? json_dumps(pick, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
    fixture_digest_text(text ? text : "", out, n);
    free(text);
    json_decref(pick);
}

void fixture_digest_text(const char *text, char *out, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a offset basis */

    for (; *text; text++) {
        h ^= (unsigned char)*text;
        h *= 1099511628211ull; /* FNV prime */
    }
    snprintf(out, n, "%016llx", (unsigned long long)h);
}
