/* ws_io: wslay's socket callbacks on a plain TCP socket (see ws_io.h). */
#include "ws_io.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int ws_io_pending(const struct ws_io *io)
{
    return io->extra_off < io->extra_len;
}

/* -1 with the wslay error that 'errno' after a failed call means. */
static ssize_t io_error(wslay_event_context_ptr ctx, struct ws_io *io, ssize_t n)
{
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    } else {
        io->eof = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }
    return -1;
}

ssize_t ws_io_recv(wslay_event_context_ptr ctx, struct ws_io *io, uint8_t *buf, size_t len)
{
    ssize_t n;

    if (ws_io_pending(io)) {
        size_t take = io->extra_len - io->extra_off;

        if (take > len)
            take = len;
        memcpy(buf, io->extra + io->extra_off, take);
        io->extra_off += take;
        return (ssize_t)take;
    }
    n = recv(io->fd, buf, len, MSG_DONTWAIT);
    return n > 0 ? n : io_error(ctx, io, n); /* 0: the peer went away */
}

ssize_t ws_io_send(wslay_event_context_ptr ctx, struct ws_io *io, const uint8_t *data,
                   size_t len, int flags)
{
    ssize_t n;

    if (len > WS_IO_BLOCK)
        len = WS_IO_BLOCK;
    n = send(io->fd, data, len,
             MSG_NOSIGNAL | MSG_DONTWAIT | (flags & WSLAY_MSG_MORE ? MSG_MORE : 0));
    return n >= 0 ? n : io_error(ctx, io, n);
}
