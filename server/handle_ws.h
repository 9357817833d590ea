/* handle_ws: the protocol of WebSocket mode on /v1/responses, one session
 * per connection, without a socket (ws.c does the framing and the I/O).
 *
 * A client message is one JSON client event (openai-node 7.59
 * ResponsesClientEvent):
 * - "response.create": the create body of POST /v1/responses (stream
 *   implied, "background" refused, the WebSocket-only "generate" and
 *   "stream_id" taken out) answered by the same events an SSE stream of it
 *   has, in the same order with the same sequence_number, one message each;
 *   "generate": false answers the response without output (a warm-up whose
 *   id later turns can chain on). A store:false response is kept by the
 *   session for the connection's life (bounded), so previous_response_id
 *   finds it on this connection only.
 * - "response.steer": refused with response.steer.failed
 *   (steering_not_supported): no fixture model supports steering.
 * - anything else, malformed JSON or a binary message: an "error" event
 *   {"type":"error","status":400,"error":{type, code, message, param}}, as
 *   every request error (validation, previous_response_not_found, ...) is.
 * The x-respmock-fixture, -fault and -scenario headers of the upgrade
 * request apply to every response of the connection. */
#ifndef RM_HANDLE_WS_H
#define RM_HANDLE_WS_H

#include <jansson.h>
#include <stddef.h>

#include "events.h"
#include "limits.h"
#include "server.h"

/* What the upgrade request said that the session keeps (copied). */
struct ws_open {
    char fixture[RM_MAX_FIXTURE_NAME + 1]; /* x-respmock-fixture ("" none) */
    char fault[256];                       /* x-respmock-fault ("" none) */
    char scenario[RM_MAX_SCENARIO_KEY + 1]; /* x-respmock-scenario ("" none) */
    json_t *headers;  /* request headers by lower-case name, secrets redacted (owned,
                       * may be NULL): what fixtures' header matchers read */
};

/* What one client message is answered with. */
struct ws_answer {
    struct event_list *events; /* new reference: the server events, in order */
    unsigned delay_ms;         /* before the first event (a fixture's latency) */
    char stream_id[128];       /* the create's stream_id, to echo on its events ("") */
    const struct journal_entry *journal_entry; /* a create's journal entry (a handle), for
                                  * journal_finish when its stream ends; or NULL */
};

struct ws_session;

/* A session for a connection upgraded with 'open' (its members are taken:
 * 'open->headers' belongs to the session now). NULL on OOM. */
struct ws_session *ws_session_new(struct rm_server *srv, struct ws_open *open);

/* Answer one client message ('binary' for a binary frame). Always fills 'a'
 * (an error event at least), except on OOM: returns 0, or -1 then. */
int ws_session_message(struct ws_session *s, const char *data, size_t len, int binary,
                       struct ws_answer *a);

/* Responses this session has answered (creates that got a stream). */
unsigned ws_session_responses(const struct ws_session *s);

/* Free 's' and what it keeps. Accepts NULL. */
void ws_session_free(struct ws_session *s);

#endif
