/* handlers: the request handlers and the route table, as plain functions.
 *
 * Nothing here touches libmicrohttpd: http.c fills a struct rm_request from
 * the connection and sends whatever struct rm_reply says, so every route can
 * be unit-tested without a socket (tests/server/test_handlers.c). */
#ifndef RM_HANDLERS_H
#define RM_HANDLERS_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "envelope.h"
#include "limits.h"
#include "server.h"
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
    const char *body;            /* request body (NUL-terminated), NULL when none */
    size_t body_len;
    int body_too_large;          /* the body went over --max-body */
};

struct rm_header {
    char *name;                  /* owned */
    char *value;                 /* owned */
};

struct rm_reply {
    int status;
    const char *content_type;    /* static string */
    char *body;                  /* owned; NULL with a stream */
    size_t body_len;
    struct stream *stream;       /* owned; SSE body when non-NULL */
    struct rm_header headers[RM_MAX_REPLY_HEADERS];
    unsigned nheaders;
    unsigned delay_ms;           /* wait before sending anything (latency fault) */
    char fixture[128];           /* fixture that answered, for the access log */
};

/* Route 'req' and fill 'out' (always: errors become envelopes). */
void handle_request(struct rm_server *srv, const struct rm_request *req, struct rm_reply *out);

/* Free what 'r' owns; accepts a zeroed reply. */
void reply_release(struct rm_reply *r);

/* ---- Helpers shared by the handler files ------------------------------ */

/* Add a header (copied). Silently ignored past RM_MAX_REPLY_HEADERS. */
void reply_header(struct rm_reply *r, const char *name, const char *value);

/* A JSON reply; steals 'body'. */
void reply_json(struct rm_reply *r, int status, json_t *body);

/* An error envelope reply. */
void reply_error(struct rm_reply *r, const struct api_error *err);

/* Value of query argument 'key' (also "key[]"), or NULL. */
const char *request_query(const struct rm_request *req, const char *key);

/* Parse the body as a JSON object; on failure fills 'err' (400) and
 * returns NULL. New reference. */
json_t *request_json(const struct rm_request *req, struct api_error *err);

/* Append the text of 'input' (a string, or items with content parts) to
 * 'out', for matching and token counts. */
void request_collect_text(const json_t *input, struct buf *out);

/* The documented deterministic token count of a request: the text pieces of
 * 'instructions', 'context' and 'input' (any may be NULL) joined with "\n",
 * ceil(bytes / 4). No size limit: nothing is built, only counted. */
long request_count_tokens(const json_t *instructions, const json_t *context, const json_t *input);

/* Input items as the store keeps them: easy messages become
 * {"type":"message","role","content":[parts]} and every item gets an id. */
json_t *request_normalise_input(struct rm_server *srv, const json_t *input);

#endif
