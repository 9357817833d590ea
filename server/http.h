/* http: the libmicrohttpd glue, and the only file that includes it.
 *
 * It collects a request (bounded body), hands a struct rm_request to
 * handle_request(), and sends the struct rm_reply: JSON from a buffer, or an
 * SSE stream through a content reader that suspends the connection and has
 * the timer resume it when the next frame is due. */
#ifndef RM_HTTP_H
#define RM_HTTP_H

#include "mock_error.h"
#include "server.h"

/* Listen on cfg.host:cfg.port (port 0 picks a free one; srv->bound_port
 * tells which). Returns 0, or -1 with 'err' filled. */
int http_start(struct rm_server *srv, struct mock_error *err);

/* Stop listening: ends open streams, wakes suspended connections, joins
 * the threads. Safe to call when not started. */
void http_stop(struct rm_server *srv);

#endif
