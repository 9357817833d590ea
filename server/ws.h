/* ws: the WebSocket connections of WebSocket mode, framed by wslay (server
 * side, its non-blocking event API) on one I/O thread.
 *
 * http.c answers the upgrade (libmicrohttpd's upgrade support) and hands
 * the socket over with ws_hub_adopt(); from then on one thread owns every
 * upgraded socket: an epoll loop whose timeout is the earliest paced frame
 * due, so a delayed stream never parks a thread and the worker pool never
 * waits on a WebSocket. Each text message goes to the connection's session
 * (handle_ws.h); its answer, an event list, is written as one message per
 * event by stream_new_ws() and sent as it falls due (--speed, a fixture's
 * pacing, stall faults); a drop fault cuts the socket without a close frame.
 * Pings are answered and close handshakes completed by wslay; a message
 * over --max-body is refused with close code 1009. No libmicrohttpd here:
 * http.c passes a release function that gives the socket back. */
#ifndef RM_WS_H
#define RM_WS_H

#include <stddef.h>

#include "handle_ws.h"
#include "server.h"

struct ws_hub;

/* Gives an adopted socket back to its owner (closes it); called once, from
 * the I/O thread or from ws_hub_free. */
typedef void (*ws_release_fn)(void *handle);

/* Start the I/O thread. NULL on failure. */
struct ws_hub *ws_hub_new(struct rm_server *srv);

/* Take over the upgraded socket 'fd' ('extra' holds 'extra_len' bytes the
 * HTTP layer read past the handshake); 'open' goes to the connection's
 * session (taken, on failure too). 'release(handle)' gives the socket back
 * when the connection ends. Returns 0, or -1 (then release was called):
 * over RM_MAX_WS_CONNECTIONS (counted in srv->ws_open), stopping, or OOM.
 * Any thread. */
int ws_hub_adopt(struct ws_hub *h, int fd, const char *extra, size_t extra_len,
                 struct ws_open *open, ws_release_fn release, void *handle);

/* Close every connection (close code 1001, best effort), release every
 * socket and stop the thread; adopt refuses from then on. Call it before
 * the HTTP layer stops (libmicrohttpd wants upgraded sockets back first).
 * Accepts NULL; a second call does nothing. */
void ws_hub_stop(struct ws_hub *h);

/* ws_hub_stop, then free, once nothing can call ws_hub_adopt any more.
 * Accepts NULL. */
void ws_hub_free(struct ws_hub *h);

#endif
