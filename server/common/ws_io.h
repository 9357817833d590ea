/* ws_io: the socket side of wslay's event callbacks (recv and send on a
 * plain TCP socket, never blocking), shared by the server (ws.c) and the
 * tests' WebSocket client, so both map the socket's answers to wslay's
 * errors the same way. */
#ifndef RM_WS_IO_H
#define RM_WS_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wslay/wslay.h>

#define WS_IO_BLOCK 16384 /* bytes per socket write */

struct ws_io {
    int fd;
    char *extra;       /* bytes read past the handshake (owned), handed to wslay first */
    size_t extra_len, extra_off;
    int eof;           /* the peer closed or the socket failed */
};

/* True while 'io' holds handshake bytes wslay has not read yet. */
int ws_io_pending(const struct ws_io *io);

/* wslay's recv callback body: the extra bytes first, then the socket.
 * Returns bytes read, or -1 with WSLAY_ERR_WOULDBLOCK (nothing now) or
 * WSLAY_ERR_CALLBACK_FAILURE (closed or failed; io->eof set) on 'ctx'. */
ssize_t ws_io_recv(wslay_event_context_ptr ctx, struct ws_io *io, uint8_t *buf, size_t len);

/* wslay's send callback body: at most WS_IO_BLOCK bytes, MSG_MORE while
 * wslay says more of the frame follows (WSLAY_MSG_MORE in 'flags'), never
 * SIGPIPE. Returns bytes written or -1 as above. */
ssize_t ws_io_send(wslay_event_context_ptr ctx, struct ws_io *io, const uint8_t *data,
                   size_t len, int flags);

#endif
