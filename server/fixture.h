/* fixture: loading, linting and matching the JSON fixture files.
 *
 * A fixture directory holds *.json files, read in byte order of their names;
 * each file is one fixture object or an array of them. The first fixture
 * whose "match" accepts a request answers it. Everything that does not
 * depend on the request (output items, text chunks, error bodies, raw
 * transcript frames) is parsed and pre-rendered here, at load; a bad file is
 * reported as "file:line:column: message" and nothing is half-loaded. */
#ifndef RM_FIXTURE_H
#define RM_FIXTURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fault.h"
#include "mock_error.h"

enum fx_kind {
    FX_RESPONSE,   /* renders a Response (and its SSE stream) */
    FX_ERROR,      /* answers with an HTTP error envelope */
    FX_TRANSCRIPT, /* replays raw recorded SSE bytes */
};

enum fx_item_type {
    FX_ITEM_MESSAGE,       /* assistant message with output_text */
    FX_ITEM_REFUSAL,       /* assistant message with a refusal part */
    FX_ITEM_FUNCTION_CALL, /* function_call item */
    FX_ITEM_REASONING,     /* reasoning item with one summary_text */
    FX_ITEM_RAW,           /* an output item given verbatim */
};

/* A string split into stream deltas at load. */
struct fx_chunks {
    size_t n;      /* number of deltas */
    size_t *ends;  /* end offset of each delta in the text */
};

struct fx_item {
    enum fx_item_type type;
    char *text;             /* message text, refusal, reasoning summary, or arguments; a
                             * reasoning item without a summary has none */
    char *name;             /* function name */
    struct fx_chunks chunks;/* deltas of 'text' */
    json_t *raw;            /* FX_ITEM_RAW: the item (ids filled per request if absent) */
    int encrypted;          /* reasoning: carries encrypted_content (include asked for it) */
};

/* Output items built per request (request-aware answers), owned. */
struct fx_items {
    struct fx_item *v;
    size_t n, cap;
};

struct fx_header {
    char *name;
    char *value;
};

struct fx_frame {
    char *bytes;            /* raw SSE bytes, written verbatim */
    size_t len;
    unsigned delay_ms;      /* before this frame */
    json_t *data;           /* data of the last event in 'bytes' when it is a JSON object
                             * (parsed at load), else NULL */
};

struct fixture {
    char *name;             /* unique; x-respmock-fixture selects it */
    char *file;             /* where it was defined */
    int line, column;
    enum fx_kind kind;

    /* "match": NULL / -1 mean "any". */
    char *m_path;           /* exact path, e.g. "/v1/responses" */
    char *m_model;          /* fnmatch glob */
    char *m_input;          /* substring of the request text */
    char *m_prompt;         /* substring of the user's prompt (the last user message) */
    int m_tools;            /* function tools present */
    int m_stream;           /* stream requested */
    int m_turn;             /* chain depth, 1 = first turn; 0 = any */
    char *m_tool_output;    /* "*" any function_call_output present, or a call_id */
    char *m_has_param;      /* a top-level request field that is present and not null */
    char *m_tool;           /* a function tool of this name was sent */
    int m_after_tools;      /* the input ends with tool results (-1 = any) */
    char *m_prev_fixture;   /* the previous_response_id was answered by this fixture */

    /* FX_RESPONSE */
    struct fx_item *items;
    size_t nitems;
    char *status;           /* "completed" | "incomplete" | "failed" */
    char *incomplete_reason;/* for "incomplete" */
    char *model;            /* resolved model to report; NULL echoes the request */
    long usage_in, usage_out, usage_reasoning, usage_cached; /* -1 = computed */
    unsigned background_ms; /* background: queued -> in_progress -> terminal pacing */
    int auto_answer;        /* "auto": answer from the request (tools, schema, reasoning) */
    int parallel_calls;     /* "parallel_calls": one call per allowed tool when allowed */

    /* FX_ERROR */
    int err_status;
    char *err_body;         /* pre-rendered envelope text */

    /* FX_TRANSCRIPT */
    struct fx_frame *frames;
    size_t nframes;
    int fresh_ids;          /* rewrite recorded resp_/msg_/fc_/call_ ids per request */

    /* all kinds */
    struct fx_header *headers;
    size_t nheaders;
    unsigned latency_ms;    /* before a non-streaming reply */
    struct fx_stream stream;
};

struct fixture_set {
    struct fixture *v;
    size_t n;
    json_t *models;         /* array of model ids named by the fixtures (new ref) */
};

/* What matching looks at, computed once per request by the handler. */
struct match_facts {
    const char *path;
    const char *model;      /* NULL when absent */
    const char *text;       /* request text: input/messages/instructions joined */
    const char *prompt;     /* the text of the last user message (or input string), or NULL */
    int tools;              /* function tools were sent */
    const json_t *tool_names; /* borrowed array of their names, may be NULL */
    int stream;
    int turn;               /* 1 + length of the previous_response_id chain */
    json_t *tool_outputs;   /* borrowed array of call_id strings, may be NULL */
    int after_tools;        /* the input ends with tool results */
    const char *prev_fixture; /* fixture of the previous response in the chain, or NULL */
    const json_t *body;     /* the request body (borrowed), may be NULL */
};

/* Load every *.json file of 'dir'. Returns 0, or -1 with the first problem
 * in 'err'. When 'all_errors' is non-NULL every problem is printed to it
 * (one line each) and loading goes on to find more (--check). */
int fixture_set_load(struct fixture_set *set, const char *dir, struct mock_error *err,
                     FILE *all_errors);

/* Parse fixtures from one file's text (tests use it directly). */
int fixture_set_load_text(struct fixture_set *set, const char *text, size_t len,
                          const char *source, struct mock_error *err);

void fixture_set_release(struct fixture_set *set);

/* First fixture that matches 'facts', or NULL. Borrowed. */
const struct fixture *fixture_match(const struct fixture_set *set,
                                    const struct match_facts *facts);

/* Split 'text' into the stream deltas 'script' asks for (by words or
 * characters, chunk_size at a time). Returns 0 or -1 on OOM. */
int fixture_chunk(const char *text, const struct fx_stream *script, struct fx_chunks *out);

/* Append an item to 'items' ('text' and 'name' copied, may be NULL), its
 * text chunked as 'script' says. Returns the item, or NULL on OOM. */
struct fx_item *fx_items_add(struct fx_items *items, enum fx_item_type type, const char *text,
                             const char *name, const struct fx_stream *script);

/* Free what 'items' holds and zero it. */
void fx_items_release(struct fx_items *items);

/* Called for each fixture passed over by fixture_match_explain, with the
 * first of its conditions the request does not meet. */
typedef void (*fixture_skip_fn)(void *user, const struct fixture *fx, const char *why);

/* fixture_match, telling 'skipped' (may be NULL) why each fixture before the
 * one that matches was passed over. */
const struct fixture *fixture_match_explain(const struct fixture_set *set,
                                            const struct match_facts *facts,
                                            fixture_skip_fn skipped, void *user);

/* Fixture named 'name', or NULL. Borrowed. */
const struct fixture *fixture_find(const struct fixture_set *set, const char *name);

#endif
