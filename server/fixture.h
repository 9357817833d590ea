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
#include <regex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "builtin.h"
#include "envelope.h"
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
    FX_ITEM_TOOL,          /* a built-in tool item (builtin.h), with its stream events */
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
    const struct builtin_item *tool; /* FX_ITEM_TOOL: its kind; 'raw' holds the fixture
                             * object, 'text' the streamed key's text (code, input, ...) */
    json_t *annotations;    /* message: its output_text annotations (url_citation...), or NULL */
    char *reasoning;        /* reasoning: its reasoning_text content, or NULL */
    struct fx_chunks rchunks; /* deltas of 'reasoning' */
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
    char *m_instructions;   /* substring of the instructions (and system/developer text) */
    regex_t m_regex;        /* "input_matches": POSIX ERE over the request text */
    int has_regex;
    char *m_tool_choice;    /* "auto", "none", "required", or a forced function's name */
    int m_background;       /* background:true (-1 = any) */
    json_t *m_metadata;     /* metadata keys with these string values (new ref) */
    json_t *m_headers;      /* request headers with these values, "*" any (new ref) */
    int m_has_image;        /* an image input part is present (-1 = any) */
    int m_has_file;         /* a file input part is present (-1 = any) */
    char *m_text_format;    /* text.format / response_format type */
    char *m_state;          /* the scenario is in this state */
    char *m_digest;         /* "input_digest": fixture_request_digest of the request */
    int has_match;          /* any condition at all (a catch-all has none) */
    json_t *match_json;     /* "match" as written, for the admin listing (new ref) */

    /* FX_RESPONSE */
    struct fx_item *items;
    size_t nitems;
    char *status;           /* "completed" | "incomplete" | "failed" */
    char *incomplete_reason;/* for "incomplete" */
    char *model;            /* resolved model to report; NULL echoes the request */
    long usage_in, usage_out, usage_reasoning, usage_cached; /* -1 = computed */
    unsigned background_ms; /* background: queued -> in_progress -> terminal pacing */
    int auto_answer;        /* "auto": answer from the request (tools, schema, reasoning) */
    int priority;           /* higher matches first (default 0) */
    size_t order;           /* position before the priority sort */
    int parallel_calls;     /* "parallel_calls": one call per allowed tool when allowed */

    /* FX_ERROR */
    int err_status;
    char *err_body;         /* pre-rendered envelope text */
    struct api_error *err_fields; /* its fields, for other flavours; NULL with "body" */

    /* "flavor": the gateway shape of this fixture's answers (its errors,
     * Chat chunk extras); RM_FLAVOR_UNSET = the server's --flavor. A
     * sequence step without one takes its fixture's. */
    enum rm_flavor flavor;

    /* FX_TRANSCRIPT */
    struct fx_frame *frames;
    size_t nframes;
    char *body;             /* "body": a recorded non-streaming answer, verbatim (or NULL) */
    size_t body_len;
    json_t *body_json;      /* ... parsed once at load when it is a JSON object, else NULL */
    int body_status;        /* "status": its HTTP status (default 200) */
    int fresh_ids;          /* rewrite recorded resp_/msg_/fc_/call_ ids per request */

    /* scenarios (all kinds) */
    unsigned times;         /* answers at most this often per scenario (0 = no limit) */
    char *next_state;       /* the scenario moves to this state after an answer */
    struct fixture *steps;  /* "sequence": answers in turn, each a fixture of its own */
    size_t nsteps;
    int cycle;              /* after the last step start again (else repeat the last) */
    atomic_ulong calls;     /* answers given (the admin listing) */

    /* Pre-serialised replies of this fixture (template.c), built on first
     * use and published with a compare-and-swap: besides 'calls', the one
     * member that changes after loading. Freed by 'templates_free'. */
    _Atomic(void *) templates;
    void (*templates_free)(void *);

    /* all kinds */
    struct fx_header *headers;
    size_t nheaders;
    unsigned latency_ms;    /* before a non-streaming reply */
    struct fx_stream stream;
};

struct fixture_set {
    struct fixture *v;      /* in match order: priority, then files and array order */
    size_t n;
    json_t *models;         /* array of model ids named by the fixtures (new ref) */
    atomic_int refs;        /* a set shared by requests in flight (catalog.c) */
    int has_states;         /* some fixture matches on a scenario state */
    struct fx_index *index; /* which fixtures may match a (path, model): built with the set */
};

/* One fixture document: a file's text, or a fixture added at run time. */
struct fixture_doc {
    char *source;           /* file path or "admin:NAME" */
    char *text;
    size_t len;
};

struct fixture_docs {
    struct fixture_doc *v;
    size_t n, cap;
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
    const char *instructions; /* instructions and system/developer text, or NULL */
    const char *tool_choice;  /* "auto", "none", "required" */
    const char *forced_tool;  /* the function tool_choice names, or NULL */
    int has_image, has_file;  /* image / file input parts present */
    const char *text_format;  /* text.format / response_format type, or NULL */
    const char *state;        /* the scenario's state ("started" when never moved) */
    /* Request header 'name' (lower-case), or NULL; may be NULL itself. */
    const char *(*header)(const void *ctx, const char *name);
    const void *header_ctx;
    /* Answers 'fx' gave in this scenario so far (for "times"); may be NULL. */
    unsigned long (*uses)(void *ctx, const struct fixture *fx);
    /* The scenario's state, read when a fixture first asks (instead of
     * 'state'); may be NULL. Takes 'uses_ctx'. */
    const char *(*state_of)(void *ctx);
    void *uses_ctx;
    const json_t *body;     /* the request body (borrowed), may be NULL */
};

/* Append a copy of document 'text' named 'source'. Returns 0 or -1 (OOM). */
int fixture_docs_add(struct fixture_docs *docs, const char *source, const char *text, size_t len);

void fixture_docs_release(struct fixture_docs *docs);

/* Read every *.json file of 'dir', in byte order of their names. Returns 0,
 * or -1 with the first problem in 'err' (with 'all_errors' every problem is
 * printed and reading goes on). A directory without fixture files is an
 * error unless 'allow_empty' (record mode fills it). */
int fixture_docs_read_dir(struct fixture_docs *docs, const char *dir, struct mock_error *err,
                          FILE *all_errors, int allow_empty);

/* Parse 'docs' into 'set' (zeroed first), in order. A fixture of a document
 * at index 'replaceable' or later whose name an earlier document already
 * defines is left out (replaced at run time); so is any fixture whose name
 * is a key of 'removed' (may be NULL). Other duplicate names are errors.
 * Then the set is sorted by "priority" (higher first; ties keep their
 * order). Returns 0, or -1 with 'err' (nothing is half-loaded). */
int fixture_set_build(struct fixture_set *set, const struct fixture_docs *docs, size_t replaceable,
                      const json_t *removed, struct mock_error *err, FILE *all_errors);

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

/* Append a copy of item 'it' (its text chunked as 'script' says; its raw
 * object, annotations and kind shared). Returns the copy, or NULL on OOM. */
struct fx_item *fx_items_copy(struct fx_items *items, const struct fx_item *it,
                              const struct fx_stream *script);

/* Free what 'items' holds and zero it. */
void fx_items_release(struct fx_items *items);

/* Called for each fixture passed over by fixture_match_explain, with the
 * first of its conditions the request does not meet. */
typedef void (*fixture_skip_fn)(void *user, const struct fixture *fx, const char *why);

/* Called for a fixture that matches: returns 0 to take it, -1 to pass it
 * over (e.g. its "times" ran out meanwhile). */
typedef int (*fixture_claim_fn)(void *user, const struct fixture *fx);

/* fixture_match, telling 'skipped' (may be NULL) why each fixture before the
 * one that matches was passed over, and letting 'claim' (may be NULL) take
 * or refuse a match. With 'strict' a fixture without conditions (a
 * catch-all) never matches; '*closest' (may be NULL) gets the fixture that
 * met the most conditions before failing one. */
const struct fixture *fixture_match_explain(const struct fixture_set *set,
                                            const struct match_facts *facts, int strict,
                                            fixture_skip_fn skipped, fixture_claim_fn claim,
                                            void *user, const struct fixture **closest,
                                            char *closest_why, size_t closest_len);

/* The answer a sequence fixture gives on its 'n'th use (0-based): its step
 * n, the last one after the end (or step n mod count with "cycle"); 'fx'
 * itself when it has no sequence. */
const struct fixture *fixture_step(const struct fixture *fx, unsigned long n);

/* Fixture named 'name' (a sequence step is "NAME#STEP", from 1), or NULL.
 * Borrowed. */
const struct fixture *fixture_find(const struct fixture_set *set, const char *name);

/* The digest "input_digest" matches: 16 hex digits (FNV-1a, 64 bits) of
 * the compact, key-sorted JSON of the request members that choose an
 * answer (input, instructions, messages, tools, tool_choice, text,
 * response_format), their "id", "call_id" and "item_id" strings blanked
 * (new every run), into 'out' (at least 17 bytes). Stable across runs. */
void fixture_request_digest(const json_t *body, char *out, size_t n);

/* 16 hex digits of FNV-1a (64 bits) over 'text', into 'out' (17 bytes). */
void fixture_digest_text(const char *text, char *out, size_t n);

/* A new empty set with one reference. NULL on OOM. */
struct fixture_set *fixture_set_new(void);

/* Drop a reference to a set made by fixture_set_new; the last frees it.
 * Accepts NULL. */
void fixture_set_unref(struct fixture_set *set);

#endif
