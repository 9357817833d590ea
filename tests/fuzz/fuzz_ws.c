/* fuzz_ws: libFuzzer target for WebSocket mode (issue 14): the client's
 * side of an upgraded connection, in-process, without a socket.
 *
 * Input: byte 0 the mode (bit 0: messages, else frames; bit 1: in message
 * mode, every message binary), byte 1 the length N of the upgrade headers
 * that follow ("fault\nfixture\nscenario", what x-respmock-fault, -fixture
 * and -scenario said), then:
 * - frames: the bytes the client sends (masked or not, fragmented, control
 *   frames, oversize, close codes), read by wslay's server context as ws.c
 *   configures it (the --max-body message limit) in pieces whose size comes
 *   from byte 2; each whole message goes to the session (handle_ws) and its
 *   answer is rendered one message per event (stream_new_ws, time skipped
 *   to each wake-up) and sent by wslay; what the server sends is read back
 *   by a wslay client context.
 * - messages: text messages separated by 0xFF bytes (never in UTF-8),
 *   straight to ws_session_message.
 * Every answer must be an event list of at least one message, each a JSON
 * object with a "type"; a create's stream without a fault ends with a
 * terminal event or "error"; every text message the client reads back is such an object too.
 * Anything else aborts. The server is made once, on the shipped fixtures;
 * each input is one connection (one session). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "contract.h"
#include "fuzz_render.h"
#include "handle_ws.h"
#include "journal.h"
#include "server.h"
#include "stream.h"

#define FUZZ_MAX_BODY (16u * 1024) /* the message limit (--max-body): small inputs reach 1009 */
#define FUZZ_SINK (1u << 20)        /* server bytes buffered before the client reads them */

static struct rm_server *srv;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- Checking what the server answers ------------------------------------ */

/* One message the server sends: a JSON object with a string "type". */
static void check_message(const char *bytes, size_t len, const char **type_out, char *type,
                          size_t cap)
{
    json_t *doc = json_loadb(bytes, len, 0, NULL);
    const char *t = json_string_value(json_object_get(doc, "type"));

    if (!json_is_object(doc) || !t || !*t)
        abort();
    snprintf(type, cap, "%s", t);
    *type_out = type;
    json_decref(doc);
}

/* The messages of one answer, due at skipped time, handed to 'emit'
 * (NULL: only checked). 'faulted': the upgrade asked for a fault or a
 * fixture, which may cut a stream or end it as it likes. Returns the
 * number of messages. */
static size_t render_answer(struct stream *st, int faulted,
                            void (*emit)(void *, const char *, size_t), void *user)
{
    char type[128] = "";
    const char *last = NULL;
    size_t n = 0;
    int created = 0; /* the answer is a create's stream */
    int64_t now = 0;

    for (;;) {
        const char *bytes;
        size_t len;
        int64_t wake = 0;
        enum stream_status rc = stream_next(st, now, &bytes, &len, &wake);

        if (rc == STREAM_DATA) {
            check_message(bytes, len, &last, type, sizeof(type));
            if (n == 0)
                created = strcmp(last, RM_EV_CREATED) == 0;
            if (emit)
                emit(user, bytes, len);
            n++;
        } else if (rc == STREAM_WAIT) {
            now = wake > now ? wake : now + 1;
        } else {
            if (rc == STREAM_ABORT && !faulted)
                abort(); /* only a drop fault cuts a stream */
            if (rc == STREAM_END && !faulted && created && !contract_event_ends_stream(last))
                abort(); /* a create's stream ends: a terminal event or an error */
            if (n == 0)
                abort(); /* every message is answered */
            return n;
        }
    }
}

/* One client message to the session; its answer rendered (see above). */
static size_t answer(struct ws_session *s, const uint8_t *msg, size_t len, int binary,
                     int faulted, void (*emit)(void *, const char *, size_t), void *user)
{
    struct ws_answer a;
    struct stream *st;
    size_t n;

    if (ws_session_message(s, (const char *)msg, len, binary, &a) != 0)
        return 0; /* OOM */
    if (!a.events)
        abort(); /* filled on success, always */
    st = stream_new_ws(a.events, srv->cfg.speed, RM_MAX_STREAM_BYTES, a.delay_ms, a.stream_id);
    event_list_unref(a.events);
    if (!st) { /* over the stream limit: ws.c closes with 1011 */
        journal_finish(srv->journal, a.journal_entry, 0, 0);
        return 0;
    }
    n = render_answer(st, faulted, emit, user);
    stream_free(st);
    journal_finish(srv->journal, a.journal_entry, 1, 0); /* as ws.c does when it ends */
    return n;
}

/* ---- Frames: wslay's server context fed from the input ------------------- */

struct conn {
    wslay_event_context_ptr server, client;
    struct ws_session *session;
    const uint8_t *in, *end; /* the client's bytes still to read */
    size_t piece;            /* at most this many per wslay_event_recv */
    size_t took;             /* taken in this wslay_event_recv */
    uint8_t *sink;           /* what the server sent, not yet read by the client */
    size_t sink_len, sink_off;
    int faulted;
    size_t queued, read_back; /* text messages the server queued, the client read */
};

static ssize_t server_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                           void *user)
{
    struct conn *c = user;
    size_t n = (size_t)(c->end - c->in);

    (void)flags;
    if (n > len)
        n = len;
    if (n > c->piece - c->took)
        n = c->piece - c->took;
    if (n == 0) { /* this piece is over (or the input): the socket would block */
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, c->in, n);
    c->in += n;
    c->took += n;
    return (ssize_t)n;
}

static ssize_t server_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                           int flags, void *user)
{
    struct conn *c = user;

    (void)flags;
    if (c->sink_len == FUZZ_SINK) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > FUZZ_SINK - c->sink_len)
        len = FUZZ_SINK - c->sink_len;
    memcpy(c->sink + c->sink_len, data, len);
    c->sink_len += len;
    return (ssize_t)len;
}

static void queue_text(void *user, const char *bytes, size_t len)
{
    struct conn *c = user;
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)bytes, len};

    /* wslay copies the message; refused once a close is queued */
    if (wslay_event_queue_msg(c->server, &m) == 0)
        c->queued++;
}

static void server_msg(wslay_event_context_ptr ctx,
                       const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    if (wslay_is_ctrl_frame(arg->opcode))
        return; /* ping, pong and close: wslay answers them, as in ws.c */
    answer(((struct conn *)user)->session, arg->msg, arg->msg_length,
           arg->opcode == WSLAY_BINARY_FRAME, ((struct conn *)user)->faulted, queue_text, user);
}

/* The client's side reads what the server sent. */
static ssize_t client_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                           void *user)
{
    struct conn *c = user;
    size_t n = c->sink_len - c->sink_off;

    (void)flags;
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (n > len)
        n = len;
    memcpy(buf, c->sink + c->sink_off, n);
    c->sink_off += n;
    return (ssize_t)n;
}

static ssize_t client_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                           int flags, void *user)
{
    (void)ctx, (void)data, (void)flags, (void)user;
    return (ssize_t)len; /* its pongs and close reply go nowhere */
}

static int client_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx, (void)user;
    memset(buf, 0x5a, len);
    return 0;
}

static void client_msg(wslay_event_context_ptr ctx,
                       const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    char type[128];
    const char *t;

    (void)ctx;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        check_message((const char *)arg->msg, arg->msg_length, &t, type, sizeof(type));
        ((struct conn *)user)->read_back++;
    } else if (!wslay_is_ctrl_frame(arg->opcode)) {
        abort(); /* the server sends text messages only */
    }
}

/* What the server has sent so far, read by the client. */
static void drain(struct conn *c)
{
    if (c->sink_len > c->sink_off && wslay_event_get_read_enabled(c->client))
        wslay_event_recv(c->client); /* a protocol error ends its reading */
    c->sink_len = c->sink_off = 0;
}

static void run_frames(const uint8_t *in, size_t len, struct ws_session *s, int faulted)
{
    static const struct wslay_event_callbacks scb = {server_recv, server_send, NULL, NULL,
                                                     NULL, NULL, server_msg};
    static const struct wslay_event_callbacks ccb = {client_recv, client_send, client_genmask,
                                                     NULL, NULL, NULL, client_msg};
    struct conn c;

    memset(&c, 0, sizeof(c));
    c.session = s;
    c.faulted = faulted;
    c.piece = len ? 1 + (size_t)in[0] * 61 : 1; /* 1 .. 15556 bytes per read */
    c.in = len ? in + 1 : in;
    c.end = in + len;
    c.sink = malloc(FUZZ_SINK);
    if (!c.sink || wslay_event_context_server_init(&c.server, &scb, &c) != 0) {
        free(c.sink);
        return;
    }
    if (wslay_event_context_client_init(&c.client, &ccb, &c) != 0) {
        wslay_event_context_free(c.server);
        free(c.sink);
        return;
    }
    wslay_event_config_set_max_recv_msg_length(c.server, srv->cfg.max_body);
    for (;;) {
        int more = c.in < c.end;

        c.took = 0;
        if (wslay_event_want_read(c.server) && more && wslay_event_recv(c.server) != 0)
            break; /* a protocol error: ws.c ends the connection */
        while (wslay_event_want_write(c.server)) {
            if (wslay_event_send(c.server) != 0)
                break;
            drain(&c);
        }
        drain(&c);
        if (!more || (!wslay_event_want_read(c.server) && !wslay_event_want_write(c.server)))
            break; /* the input is over, or the close handshake */
    }
    if (c.read_back > c.queued)
        abort(); /* the client read a message the server never sent */
    wslay_event_context_free(c.client);
    wslay_event_context_free(c.server);
    free(c.sink);
}

/* ---- Messages straight to the session ------------------------------------ */

static void run_messages(const uint8_t *in, size_t len, struct ws_session *s, int binary,
                         int faulted)
{
    const uint8_t *end = in + len;

    while (in <= end) {
        const uint8_t *sep = memchr(in, 0xFF, (size_t)(end - in));
        size_t n = (size_t)((sep ? sep : end) - in);

        answer(s, in, n, binary, faulted, NULL, NULL);
        if (!sep)
            break;
        in = sep + 1;
    }
}

/* ---- The target ---------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct rm_config cfg;
    struct mock_error err;

    (void)argc;
    (void)argv;
    server_config_defaults(&cfg);
    cfg.fixtures_dir = RM_SOURCE_DIR "/fixtures";
    cfg.speed = 0;
    cfg.max_body = FUZZ_MAX_BODY;
    cfg.max_stored = 200; /* state stays small over millions of inputs */
    cfg.journal = 50;     /* creates are journaled as method WEBSOCKET */
    cfg.log_level = LOG_ERROR;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    if (!srv) {
        fprintf(stderr, "fuzz_ws: %s\n", err.text);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p, *hend, *end = data + size;
    struct ws_open open;
    struct ws_session *s;

    if (size < 2 || (size_t)data[1] > size - 2)
        return 0;
    p = data + 2;
    hend = p + data[1];
    memset(&open, 0, sizeof(open));
    p = fuzz_take_line(p, hend, open.fault, sizeof(open.fault));
    p = fuzz_take_line(p, hend, open.fixture, sizeof(open.fixture));
    fuzz_take_line(p, hend, open.scenario, sizeof(open.scenario));
    open.headers = json_pack("{s:s}", "authorization", "[redacted]");
    s = ws_session_new(srv, &open);
    if (!s)
        return 0;
    if (data[0] & 1)
        run_messages(hend, (size_t)(end - hend), s, data[0] & 2, open.fault[0] || open.fixture[0]);
    else
        run_frames(hend, (size_t)(end - hend), s, open.fault[0] || open.fixture[0]);
    ws_session_free(s);
    return 0;
}
