/* ws_client: wslay's client side for the tests (see ws_client.h). */
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "buf.h"
#include "contract.h"
#include "test_support.h"
#include "ws_accept.h"
#include "ws_io.h"

#define WS_CLIENT_QUEUE 1024   /* messages received and not yet read */
#define WS_CLIENT_HEAD 65536   /* bytes of a handshake reply */

struct ws_msg {
    int kind;
    char *data;
    size_t len;
    int code;
};

struct ws_client {
    int fd;
    struct ws_io io;       /* the socket, the bytes read past the handshake, eof */
    wslay_event_context_ptr ctx;
    struct ws_msg q[WS_CLIENT_QUEUE];
    size_t qhead, qlen;
    unsigned rng;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t c_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                      void *user)
{
    (void)flags;
    return ws_io_recv(ctx, &((struct ws_client *)user)->io, buf, len);
}

static ssize_t c_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                      void *user)
{
    return ws_io_send(ctx, &((struct ws_client *)user)->io, data, len, flags);
}

static int c_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    struct ws_client *c = user;
    size_t i;

    (void)ctx;
    for (i = 0; i < len; i++) {
        c->rng = c->rng * 1103515245u + 12345u;
        buf[i] = (uint8_t)(c->rng >> 16);
    }
    return 0;
}

static void c_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                     void *user)
{
    struct ws_client *c = user;
    struct ws_msg *m;

    (void)ctx;
    if (arg->opcode == WSLAY_PING || c->qlen == WS_CLIENT_QUEUE)
        return;
    m = &c->q[(c->qhead + c->qlen++) % WS_CLIENT_QUEUE];
    memset(m, 0, sizeof(*m));
    m->kind = arg->opcode == WSLAY_TEXT_FRAME     ? WS_MSG_TEXT
              : arg->opcode == WSLAY_BINARY_FRAME ? WS_MSG_BINARY
              : arg->opcode == WSLAY_PONG         ? WS_MSG_PONG
                                                  : WS_MSG_CLOSE;
    m->code = arg->status_code;
    m->data = malloc(arg->msg_length + 1);
    if (m->data) {
        memcpy(m->data, arg->msg, arg->msg_length);
        m->data[arg->msg_length] = '\0';
    }
    m->len = arg->msg_length;
}

/* Read the handshake reply's head (and what follows of it in the same
 * reads) into 'b'. Returns the offset past "\r\n\r\n", or 0. */
static size_t read_head(int fd, struct buf *b)
{
    char chunk[4096];
    int64_t end = now_ms() + 10000;

    while (now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        char *hit;
        ssize_t n;

        if (poll(&p, 1, 1000) <= 0)
            continue;
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0 || buf_append(b, chunk, (size_t)n) != 0)
            return 0;
        if ((hit = strstr(b->data, "\r\n\r\n")))
            return (size_t)(hit - b->data) + 4;
    }
    return 0;
}

struct ws_client *ws_client_connect(int port, const char *const *headers, int *status,
                                    char **head)
{
    static const struct wslay_event_callbacks cb = {c_recv, c_send, c_genmask, NULL, NULL, NULL,
                                                    c_on_msg};
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    char expect[WS_ACCEPT_LEN + 1], req[8192], *accept;
    struct ws_client *c;
    struct buf b;
    size_t off = 0, used, i;
    int fd = test_dial(port), has_auth = 0, code = 0;

    if (status)
        *status = 0;
    if (head)
        *head = NULL;
    if (fd < 0)
        return NULL;
    used = (size_t)snprintf(req, sizeof(req),
                            "GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                            port, key);
    for (i = 0; headers && headers[i]; i++) {
        if (strncasecmp(headers[i], "authorization:", 14) == 0)
            has_auth = 1;
        used += (size_t)snprintf(req + used, sizeof(req) - used, "%s\r\n", headers[i]);
    }
    if (!has_auth)
        used += (size_t)snprintf(req + used, sizeof(req) - used,
                                 "Authorization: Bearer test-key\r\n");
    used += (size_t)snprintf(req + used, sizeof(req) - used, "\r\n");
    if (used >= sizeof(req) || send(fd, req, used, MSG_NOSIGNAL) != (ssize_t)used) {
        close(fd);
        return NULL;
    }
    buf_init(&b, WS_CLIENT_HEAD);
    off = read_head(fd, &b);
    if (off)
        sscanf(b.data, "HTTP/1.1 %d", &code);
    if (status)
        *status = code;
    if (code != 101) { /* the rest of an error reply: its body, whatever came */
        struct pollfd p = {fd, POLLIN, 0};
        char chunk[4096];
        ssize_t n;

        while (poll(&p, 1, 500) > 0 && (n = recv(fd, chunk, sizeof(chunk), 0)) > 0 &&
               buf_append(&b, chunk, (size_t)n) == 0)
            ;
    }
    if (head && b.data)
        *head = strdup(b.data);
    ws_accept_key(key, 64, expect);
    accept = NULL;
    if (b.data) { /* the header name in any case; its value is case-sensitive */
        char *lower = strndup(b.data, off), *hit;

        for (i = 0; lower && lower[i]; i++)
            lower[i] = (char)(lower[i] >= 'A' && lower[i] <= 'Z' ? lower[i] - 'A' + 'a'
                                                                 : lower[i]);
        hit = lower ? strstr(lower, "sec-websocket-accept:") : NULL;
        accept = hit ? b.data + (hit - lower) : NULL;
        free(lower);
    }
    if (code != 101 || !accept || strncmp(accept + 21 + strspn(accept + 21, " "), expect,
                                          WS_ACCEPT_LEN) != 0 ||
        !(c = calloc(1, sizeof(*c)))) {
        buf_release(&b);
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->io.fd = fd;
    c->rng = (unsigned)now_ms();
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    if (b.len > off) {
        c->io.extra_len = b.len - off;
        c->io.extra = malloc(c->io.extra_len);
        if (c->io.extra)
            memcpy(c->io.extra, b.data + off, c->io.extra_len);
        else
            c->io.extra_len = 0;
    }
    buf_release(&b);
    if (wslay_event_context_client_init(&c->ctx, &cb, c) != 0) {
        ws_client_free(c);
        return NULL;
    }
    return c;
}

/* Send what wslay has queued, waiting for the socket up to 5 s. */
static int flush(struct ws_client *c)
{
    int64_t end = now_ms() + 5000;

    while (wslay_event_want_write(c->ctx) && now_ms() < end) {
        struct pollfd p = {c->fd, POLLOUT, 0};

        if (poll(&p, 1, 100) < 0 || wslay_event_send(c->ctx) != 0)
            return -1;
    }
    return wslay_event_want_write(c->ctx) ? -1 : 0;
}

int ws_client_send(struct ws_client *c, int opcode, const void *data, size_t len)
{
    struct wslay_event_msg m = {(uint8_t)opcode, data, len};

    if (wslay_event_queue_msg(c->ctx, &m) != 0)
        return -1;
    return flush(c);
}

int ws_client_send_bytes(struct ws_client *c, const void *bytes, size_t len)
{
    return send(c->fd, bytes, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int ws_client_send_text(struct ws_client *c, const char *text)
{
    return ws_client_send(c, WSLAY_TEXT_FRAME, text, strlen(text));
}

int ws_client_recv(struct ws_client *c, int timeout_ms, char **data, size_t *len,
                   int *close_code)
{
    int64_t end = now_ms() + timeout_ms;
    struct ws_msg m;

    if (data)
        *data = NULL;
    while (!c->qlen) {
        struct pollfd p = {c->fd, POLLIN, 0};
        int64_t left = end - now_ms();

        if (c->io.eof)
            return WS_MSG_EOF;
        if (left <= 0)
            return WS_MSG_TIMEOUT;
        if (!ws_io_pending(&c->io) && poll(&p, 1, (int)left) <= 0)
            continue;
        if (wslay_event_recv(c->ctx) != 0) {
            c->io.eof = 1;
            if (!c->qlen)
                return WS_MSG_EOF;
        }
        if (wslay_event_want_write(c->ctx))
            wslay_event_send(c->ctx); /* pongs, the close reply */
    }
    m = c->q[c->qhead];
    c->qhead = (c->qhead + 1) % WS_CLIENT_QUEUE;
    c->qlen--;
    if (close_code)
        *close_code = m.code;
    if (len)
        *len = m.len;
    if (data)
        *data = m.data;
    else
        free(m.data);
    return m.kind;
}

json_t *ws_client_read_until_end(struct ws_client *c, int timeout_ms, int *last)
{
    int64_t end = now_ms() + timeout_ms;
    json_t *all = json_array();

    for (;;) {
        char *data;
        int kind = ws_client_recv(c, (int)(end - now_ms() > 0 ? end - now_ms() : 0), &data,
                                  NULL, NULL);
        json_t *ev;
        const char *type;

        if (last)
            *last = kind;
        if (kind != WS_MSG_TEXT) {
            free(data);
            if (kind == WS_MSG_PONG)
                continue;
            json_decref(all);
            return NULL;
        }
        ev = json_loads(data, 0, NULL);
        free(data);
        if (!ev) {
            json_decref(all);
            return NULL;
        }
        json_array_append_new(all, ev);
        type = json_string_value(json_object_get(ev, "type"));
        if (type && contract_event_ends_stream(type))
            return all;
    }
}

int ws_client_close(struct ws_client *c, int code, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;

    if (wslay_event_queue_close(c->ctx, (uint16_t)code, NULL, 0) != 0 || flush(c) != 0)
        return -1;
    for (;;) {
        int got = 0, kind = ws_client_recv(c, (int)(end - now_ms() > 0 ? end - now_ms() : 0),
                                           NULL, NULL, &got);

        if (kind == WS_MSG_CLOSE)
            return got;
        if (kind < 0)
            return -1;
    }
}

void ws_client_free(struct ws_client *c)
{
    if (!c)
        return;
    while (c->qlen) {
        free(c->q[c->qhead].data);
        c->qhead = (c->qhead + 1) % WS_CLIENT_QUEUE;
        c->qlen--;
    }
    if (c->ctx)
        wslay_event_context_free(c->ctx);
    free(c->io.extra);
    close(c->fd);
    free(c);
}
