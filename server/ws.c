/* ws: WebSocket connections on one I/O thread, framed by wslay (see ws.h). */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "contract.h"
#include "journal.h"
#include "stream.h"
#include "ws_io.h"

#define WS_EPOLL_BATCH 64   /* epoll events taken per wait */
#define WS_MAX_WAIT_MS 1000 /* longest sleep of the loop (re-checks stopping) */

struct ws_conn {
    struct ws_hub *hub;
    int fd;
    struct ws_io io;        /* the socket and the bytes read past the handshake */
    wslay_event_context_ptr ctx;
    struct ws_session *session;
    struct stream *queue[RM_WS_MAX_QUEUED]; /* answers still to send, oldest first */
    const struct journal_entry *entry[RM_WS_MAX_QUEUED]; /* their journal entries (handles) */
    int64_t queued_ms[RM_WS_MAX_QUEUED];    /* when each answer was queued */
    size_t qhead, qlen;
    ws_release_fn release;
    void *handle;
    int64_t wake_ms;        /* when the head answer's next frame is due; -1 none */
    uint32_t registered;    /* epoll events asked for */
    uint32_t revents;       /* epoll events of this pass */
    int cut;                /* a drop fault: end without a close frame once flushed */
    struct ws_conn *next;
};

struct ws_hub {
    struct rm_server *srv;
    int epfd, evfd;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;   /* guards 'incoming' and 'closed' */
    struct ws_conn *incoming; /* adopted, not yet taken by the I/O thread */
    int closed;             /* the I/O thread has finished: adopt refuses */
    struct ws_conn *conns;  /* the I/O thread's */
    atomic_int stop;
};

/* ---- wslay callbacks ----------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    return ws_io_recv(ctx, &((struct ws_conn *)user)->io, buf, len);
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    /* a frame's header goes out with its payload (TCP_NODELAY is on) */
    return ws_io_send(ctx, &((struct ws_conn *)user)->io, data, len, flags);
}

static void close_with(struct ws_conn *c, uint16_t code, const char *reason)
{
    wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason));
}

/* A whole message from the client: its answer joins the queue. */
static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    struct ws_conn *c = user;
    struct ws_answer a;
    struct stream *st;

    (void)ctx;
    if (wslay_is_ctrl_frame(arg->opcode))
        return; /* ping, pong and close: wslay answers them */
    if (ws_session_message(c->session, (const char *)arg->msg, arg->msg_length,
                           arg->opcode == WSLAY_BINARY_FRAME, &a) != 0 || !a.events) {
        journal_finish(c->hub->srv->journal, a.journal_entry, 0, 0);
        event_list_unref(a.events);
        close_with(c, 1011, "out of memory");
        return;
    }
    st = stream_new_ws(a.events, c->hub->srv->cfg.speed, RM_MAX_STREAM_BYTES, a.delay_ms,
                       a.stream_id);
    event_list_unref(a.events);
    if (!st || c->qlen == RM_WS_MAX_QUEUED) {
        journal_finish(c->hub->srv->journal, a.journal_entry, 0, 0); /* never sent */
        stream_free(st);
        if (!st)
            close_with(c, 1011, "answer over the stream limit");
        else
            close_with(c, RM_WS_CLOSE_OVERLOADED, "too many responses queued on this connection");
        return;
    }
    c->queue[(c->qhead + c->qlen) % RM_WS_MAX_QUEUED] = st;
    c->entry[(c->qhead + c->qlen) % RM_WS_MAX_QUEUED] = a.journal_entry;
    c->queued_ms[(c->qhead + c->qlen) % RM_WS_MAX_QUEUED] = server_now_ms();
    c->qlen++;
}

/* The head answer is done with: its journal entry says how it ended. */
static void pop_answer(struct ws_conn *c, int completed)
{
    const struct journal_entry *e = c->entry[c->qhead];

    if (e)
        journal_finish(c->hub->srv->journal, e, completed,
                       server_now_ms() - c->queued_ms[c->qhead]);
    stream_free(c->queue[c->qhead]);
    c->qhead = (c->qhead + 1) % RM_WS_MAX_QUEUED;
    c->qlen--;
}

/* ---- One connection ------------------------------------------------------ */

static void conn_free(struct ws_conn *c)
{
    while (c->qlen) /* cut, vanished or closed before the end */
        pop_answer(c, 0);
    if (c->ctx)
        wslay_event_context_free(c->ctx);
    ws_session_free(c->session);
    free(c->io.extra);
    if (c->release)
        c->release(c->handle); /* closes the socket */
    atomic_fetch_sub(&c->hub->srv->ws_open, 1);
    free(c);
}

/* Queue the frames that are due; a drop fault marks the connection cut. */
static void pump(struct ws_conn *c, int64_t now)
{
    c->wake_ms = -1;
    while (c->qlen && !c->cut &&
           wslay_event_get_queued_msg_count(c->ctx) < RM_WS_OUTBOX_MSGS) {
        struct stream *st = c->queue[c->qhead];
        const char *bytes;
        size_t len;
        int64_t wake;

        switch (stream_next(st, now, &bytes, &len, &wake)) {
        case STREAM_DATA: {
            struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)bytes, len};

            if (wslay_event_queue_msg(c->ctx, &m) != 0)
                c->cut = 1; /* closing already, or OOM */
            break;
        }
        case STREAM_WAIT:
            c->wake_ms = wake;
            return;
        case STREAM_END:
            pop_answer(c, 1);
            break;
        case STREAM_ABORT:
        default:
            c->cut = 1;
            break;
        }
    }
}

/* Do what 'c' can do now. Returns 1 when the connection is over. */
static int service(struct ws_hub *h, struct ws_conn *c, int64_t now)
{
    uint32_t want;

    if ((c->revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) || ws_io_pending(&c->io))
        if (wslay_event_recv(c->ctx) != 0)
            return 1;
    c->revents = 0;
    pump(c, now);
    if (wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0)
        return 1;
    if (c->cut && !wslay_event_want_write(c->ctx)) {
        while (c->qlen) /* journaled as cut before the client can see it */
            pop_answer(c, 0);
        shutdown(c->fd, SHUT_RDWR); /* no close frame: the client sees the stream cut */
        return 1;
    }
    if (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx))
        return 1; /* the close handshake is over */
    want = (wslay_event_want_read(c->ctx) ? EPOLLIN : 0) |
           (wslay_event_want_write(c->ctx) ? EPOLLOUT : 0);
    if (want != c->registered) {
        struct epoll_event ev = {.events = want, .data.ptr = c};

        if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
            return 1;
        c->registered = want;
    }
    return 0;
}

/* Connections adopted since the last pass join the loop. */
static void take_incoming(struct ws_hub *h)
{
    struct ws_conn *c, *next;
    uint64_t n;

    if (read(h->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        server_log(h->srv, LOG_WARN, "websocket: eventfd read failed");
    pthread_mutex_lock(&h->lock);
    c = h->incoming;
    h->incoming = NULL;
    pthread_mutex_unlock(&h->lock);
    for (; c; c = next) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

        next = c->next;
        if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            conn_free(c);
            continue;
        }
        c->registered = EPOLLIN;
        c->next = h->conns;
        h->conns = c;
    }
}

/* Milliseconds until the earliest frame due, at most WS_MAX_WAIT_MS. */
static int next_timeout(const struct ws_hub *h, int64_t now)
{
    const struct ws_conn *c;
    int64_t t = WS_MAX_WAIT_MS;

    for (c = h->conns; c; c = c->next) {
        if (ws_io_pending(&c->io))
            return 0;
        if (c->wake_ms >= 0 && c->wake_ms - now < t)
            t = c->wake_ms - now;
    }
    return t < 0 ? 0 : (int)t;
}

/* At the end: a 1001 close to every client (best effort), then release. */
static void close_all(struct ws_hub *h)
{
    struct ws_conn *c, *next, *pending;

    pthread_mutex_lock(&h->lock);
    pending = h->incoming;
    h->incoming = NULL;
    h->closed = 1;
    pthread_mutex_unlock(&h->lock);
    for (c = h->conns; c; c = next) {
        next = c->next;
        close_with(c, RM_WS_CLOSE_GOING_AWAY, "server shutting down");
        wslay_event_send(c->ctx);
        conn_free(c);
    }
    h->conns = NULL;
    for (c = pending; c; c = next) {
        next = c->next;
        conn_free(c);
    }
}

static void *io_thread(void *arg)
{
    struct ws_hub *h = arg;
    struct epoll_event evs[WS_EPOLL_BATCH];

    while (!atomic_load(&h->stop)) {
        int n, i;
        int64_t now = server_now_ms();
        struct ws_conn **pp;

        n = epoll_wait(h->epfd, evs, WS_EPOLL_BATCH, next_timeout(h, now));
        for (i = 0; i < n; i++) {
            if (!evs[i].data.ptr)
                take_incoming(h);
            else
                ((struct ws_conn *)evs[i].data.ptr)->revents |= evs[i].events;
        }
        now = server_now_ms();
        for (pp = &h->conns; *pp;) {
            struct ws_conn *c = *pp;

            if (service(h, c, now)) {
                *pp = c->next;
                epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
                conn_free(c);
            } else {
                pp = &c->next;
            }
        }
    }
    close_all(h);
    return NULL;
}

/* ---- The hub ------------------------------------------------------------- */

struct ws_hub *ws_hub_new(struct rm_server *srv)
{
    struct ws_hub *h = calloc(1, sizeof(*h));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

    if (!h)
        return NULL;
    h->srv = srv;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&h->lock, NULL);
    if (h->epfd < 0 || h->evfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->evfd, &ev) != 0 ||
        pthread_create(&h->thread, NULL, io_thread, h) != 0) {
        ws_hub_free(h);
        return NULL;
    }
    h->started = 1;
    return h;
}

int ws_hub_adopt(struct ws_hub *h, int fd, const char *extra, size_t extra_len,
                 struct ws_open *open, ws_release_fn release, void *handle)
{
    static const struct wslay_event_callbacks cb = {on_recv, on_send, NULL, NULL, NULL, NULL,
                                                    on_msg};
    struct ws_conn *c = NULL;
    uint64_t one = 1;
    int flags = fcntl(fd, F_GETFL), one_int = 1;

    if (atomic_fetch_add(&h->srv->ws_open, 1) >= RM_MAX_WS_CONNECTIONS || flags < 0 ||
        fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || !(c = calloc(1, sizeof(*c))))
        goto fail;
    /* each event is its own small message: no Nagle wait behind the last one */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_int, sizeof(one_int));
    c->hub = h;
    c->fd = fd;
    c->io.fd = fd;
    c->wake_ms = -1;
    c->release = release;
    c->handle = handle;
    if (extra_len) {
        c->io.extra = malloc(extra_len);
        if (!c->io.extra)
            goto fail;
        memcpy(c->io.extra, extra, extra_len);
        c->io.extra_len = extra_len;
    }
    if (wslay_event_context_server_init(&c->ctx, &cb, c) != 0)
        goto fail;
    wslay_event_config_set_max_recv_msg_length(c->ctx, h->srv->cfg.max_body);
    c->session = ws_session_new(h->srv, open);
    if (!c->session) {
        c->release = NULL; /* conn_free must not release: done below */
        conn_free(c);
        release(handle);
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    if (h->closed) {
        pthread_mutex_unlock(&h->lock);
        conn_free(c); /* releases and counts down */
        return -1;
    }
    c->next = h->incoming;
    h->incoming = c;
    pthread_mutex_unlock(&h->lock);
    if (write(h->evfd, &one, sizeof(one)) < 0)
        server_log(h->srv, LOG_WARN, "websocket: eventfd write failed");
    return 0;

fail:
    if (c) {
        if (c->ctx)
            wslay_event_context_free(c->ctx);
        free(c->io.extra);
        free(c);
    }
    json_decref(open->headers);
    open->headers = NULL;
    atomic_fetch_sub(&h->srv->ws_open, 1);
    release(handle);
    return -1;
}

void ws_hub_stop(struct ws_hub *h)
{
    uint64_t one = 1;

    if (!h || !h->started)
        return;
    atomic_store(&h->stop, 1);
    if (write(h->evfd, &one, sizeof(one)) < 0)
        server_log(h->srv, LOG_WARN, "websocket: eventfd write failed");
    pthread_join(h->thread, NULL);
    h->started = 0;
}

void ws_hub_free(struct ws_hub *h)
{
    if (!h)
        return;
    ws_hub_stop(h);
    if (h->epfd >= 0)
        close(h->epfd);
    if (h->evfd >= 0)
        close(h->evfd);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
