/* request: what a handler receives and what it answers with, and the
 * helpers every handler shares to read the one and build the other.
 *
 * Nothing here touches libmicrohttpd: http.c fills a struct rm_request from
 * the connection and sends whatever struct rm_reply says (a JSON body, or
 * an event list that its SSE writer serialises), so every handler is a
 * plain function, testable without a socket. */
#ifndef RM_REQUEST_H
#define RM_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "envelope.h"
#include "events.h"
#include "limits.h"
#include "fixture.h"
#include "server.h"
#include "store.h"
#include "stream.h"

struct rm_kv {
    const char *key;
    const char *value;
};

struct rm_request {
    const char *method;
    const char *path;            /* without the query string */
    struct rm_kv query[RM_MAX_QUERY_ARGS];
    unsigned nquery;
    const char *authorization;   /* raw header, NULL when absent; never logged */
    const char *fixture;         /* x-respmock-fixture: force a fixture by name */
    const char *fault;           /* x-respmock-fault: per-request fault spec */
    const char *scenario;        /* x-respmock-scenario: the scenario key, NULL for "" */
    const char *admin_token;     /* x-respmock-admin-token, NULL when absent; never logged */
    int from_loopback;           /* the client connected from 127.0.0.0/8 or ::1 */
    /* Request header 'name' (any case), or NULL; NULL when headers are not
     * available (plain function calls). */
    const char *(*header)(const void *ctx, const char *name);
    const void *header_ctx;
    struct fixture_set *fixtures; /* the set in force for this request (router) */
    const char *body;            /* request body (NUL-terminated), NULL when none */
    size_t body_len;
    int body_too_large;          /* the body went over --max-body */
    /* Framing limits, measured by http.c (0 in plain function calls): */
    size_t uri_bytes;            /* the request target as sent, query included */
    unsigned uri_args;           /* its query arguments */
    unsigned header_count;       /* request header lines */
    size_t header_bytes;         /* request line + header bytes */
    int path_unsafe;             /* the path as sent had a control byte or an encoded
                                  * one, or an encoded slash (%2F, %5C): never routed,
                                  * since decoding would cut or re-split it */
    const char *raw_path;        /* the path as sent (percent-encoded), for errors; NULL:
                                  * use 'path' */
};

struct rm_header {
    char *name;                  /* owned */
    char *value;                 /* owned */
};

struct rm_reply {
    int status;
    const char *content_type;    /* static string */
    char *body;                  /* owned; NULL with events */
    size_t body_len;
    struct event_list *events;   /* owned reference; a streamed body when non-NULL */
    struct stream *stream;       /* owned; a streamed body already framed (template.h),
                                  * instead of 'events' */
    struct rm_header headers[RM_MAX_REPLY_HEADERS];
    unsigned nheaders;
    unsigned delay_ms;           /* wait before sending anything (latency fault) */
    int upgrade;                 /* status 101: http.c hands the connection to ws.h */
    char fixture[RM_MAX_FIXTURE_NAME + 1]; /* fixture that answered, for the access log */
    char note[192];              /* for --log-level debug: the error's code and param */
    char state[RM_MAX_SCENARIO_KEY + 1]; /* the scenario's state after the answer, for the
                                          * journal ("" when no fixture used states) */
    /* Set by the router before the handler runs, kept by reply_release: */
    char request_id[RM_MAX_REQUEST_ID + 1]; /* its x-request-id ("": http.c makes one) */
    enum rm_flavor flavor;       /* the gateway whose error shape reply_error uses */
    int unmatched;               /* no fixture matched, or previous_response_id is not stored
                                  * here (record mode "missing" forwards it) */
};

/* The signature of every handler in the route table: 'arg' is what the
 * route's "*" segments captured ("" when none; "a/b" for two). Handlers
 * always fill 'out' (errors become envelopes). */
typedef void (*handler_fn)(struct rm_server *srv, const struct rm_request *req, const char *arg,
                           struct rm_reply *out);

/* ---- Replies ---------------------------------------------------------- */

/* Free what 'r' owns and zero it, except its request_id, flavor and unmatched (they
 * belong to the request, not to one answer); accepts a zeroed reply. */
void reply_release(struct rm_reply *r);

/* Add a header (copied). Silently ignored past RM_MAX_REPLY_HEADERS. */
void reply_header(struct rm_reply *r, const char *name, const char *value);

/* A JSON reply; steals 'body'. A body that cannot be serialised becomes
 * respmock's own 500 envelope. */
void reply_json(struct rm_reply *r, int status, json_t *body);

/* Answer with 'len' bytes of JSON text already serialised (copied), e.g. a
 * stored Response. */
void reply_json_text(struct rm_reply *r, int status, const char *text, size_t len);

/* An error envelope reply in the shape of r->flavor (408/409/429/5xx with
 * x-should-retry: false, so the SDKs do not retry respmock's own errors). */
void reply_error(struct rm_reply *r, const struct api_error *err);

/* Replace whatever 'r' holds by the error 'err'. */
void reply_fail(struct rm_reply *r, const struct api_error *err);

/* A 200 streamed reply of 'events' (stolen). */
void reply_events(struct rm_reply *r, struct event_list *events);

/* A 200 streamed reply of 'st' (stolen), framed already (template.h). */
void reply_stream(struct rm_reply *r, struct stream *st);

/* Set a JSON body of 'len' bytes given verbatim (copied) with 'status'. */
void reply_raw(struct rm_reply *r, int status, const char *body, size_t len);

/* After fixture 'fx' was picked (generate_reply_start calls it): its
 * "flavor", when it has one, shapes this reply's errors from now on, and an
 * error fixture's answer is rendered in that shape (a "body" stays verbatim;
 * with the openai flavour the pre-rendered body is kept as it is). */
void reply_fixture_flavor(struct rm_reply *r, const struct fixture *fx);

/* ---- Request helpers -------------------------------------------------- */

/* Value of query argument 'key' (also "key[]"), or NULL. */
const char *request_query(const struct rm_request *req, const char *key);

/* Parse query value 's' as an integer from 'min' to 'max'. Returns 0, or
 * -1 when absent or malformed. */
int request_query_long(const char *s, long min, long max, long *out);

/* The gateway's model check, before anything else looks at a generating
 * request: with the cometapi flavour ('out->flavor') a model that no
 * fixture names (GET /v1/models does not list it and no fixture's
 * match.model accepts it) gets 503 model_not_found, unless the request
 * names its fixture (x-respmock-fixture). Returns 0, or -1 with 'err'.
 * 'model' NULL (validation reports it) and the openai flavour pass. */
int request_check_model(const struct rm_request *req, const struct rm_reply *out,
                        const char *model, struct api_error *err);

/* Parse the body as a JSON object; on failure fills 'err' (400) and
 * returns NULL. New reference. */
json_t *request_json(const struct rm_request *req, struct api_error *err);

/* Append the text of 'input' (a string, or items with content parts) to
 * 'out', for matching and token counts. */
void request_collect_text(const json_t *input, struct buf *out);

/* The text a compaction item stands for: the instructions, then the
 * context (the chain's items and this input), into 'out', which this
 * initialises with its limit RM_MAX_COMPACTION_TEXT (release it). */
void request_compaction_text(const json_t *instructions, const json_t *context, struct buf *out);

/* The documented deterministic token count of a request: the text pieces of
 * 'instructions', 'context' and 'input' (any may be NULL) joined with "\n",
 * ceil(bytes / 4). No size limit: nothing is built, only counted. */
long request_count_tokens(const json_t *instructions, const json_t *context, const json_t *input);

/* Add the text of the items array 'items' to 't' (as request_count_tokens
 * counts it), so a chain's context is carried as a tally, not as items. */
void request_tally(const json_t *items, struct text_tally *t);

/* request_count_tokens with the context given as a tally. */
long request_tally_tokens(const json_t *instructions, const struct text_tally *context,
                          const json_t *input);

/* request_tally of request_normalise_input(input)'s items, for a string
 * 'input', without building them. */
void request_tally_input(const json_t *input, struct text_tally *t);

/* For a string 'input': append to 'out' the compact JSON that
 * request_normalise_input(input)'s items dump to (with an id of their own),
 * so the store keeps them without a tree being built. Returns 0, or -1
 * when 'input' is not a string or 'out' is full. */
int request_input_json(struct rm_server *srv, const json_t *input, struct buf *out);

/* Input items as the store keeps them: easy messages become
 * {"type":"message","role","content":[parts]} and every item gets an id. */
json_t *request_normalise_input(struct rm_server *srv, const json_t *input);

/* ---- Lists (input_items, conversation items) -------------------------- */

/* Check the list query arguments: limit (1-100, default 20), order (asc or
 * desc, default desc). Returns 0, or -1 after replying with a 400. */
int request_check_list_query(const struct rm_request *req, struct rm_reply *out);

/* Reply with one page of 'items' (kept oldest first) as {"object":"list",
 * "data","first_id","last_id","has_more"}: 'order' picks the direction,
 * 'after' starts after that item id (an unknown id gives an empty page),
 * 'limit' caps the page. Call request_check_list_query first. */
void reply_list(struct rm_reply *out, const struct rm_request *req, const json_t *items);

#endif
