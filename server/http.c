/* http: libmicrohttpd glue (see http.h). Follows MHD's multi-call contract:
 * first call allocates the per-request state, middle calls append body
 * bytes to a bounded buffer, the final call routes and queues the reply;
 * NOTIFY_COMPLETED frees the state. A streamed reply's event list goes
 * through the SSE writer (stream.h) here, once, when it is queued.
 *
 * Hardening (issue 14): the per-request state is made by MHD's URI log
 * callback, which sees the request target as sent, so a path is judged
 * before MHD decodes it (an id is never cut at "%00") and an oversized query
 * is refused in the error envelope before MHD spends its connection memory
 * on it; the TCP connections are listed (socket contexts) so that, near
 * --max-connections, the oldest idle one is shut down for each new one;
 * and a suspended reply looks every RM_SUSPEND_PROBE_MS whether its client
 * is still there, so a vanished client never holds a slot. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "contract.h"
#include "envelope.h"
#include "journal.h"
#include "record.h"
#include "router.h"
#include "stream.h"
#include "timer.h"
#include "ws.h"

/* One TCP connection (MHD's socket context), listed while it is open. */
struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    atomic_int busy;                   /* a request is in progress */
    atomic_int served;                 /* a request has ended on it (keep-alive idle) */
    atomic_int_fast64_t idle_since_ms; /* connected, or its last request ended */
    int shed;                          /* shut down to make room */
};

/* The open connections of one server. The lock is taken when a connection
 * opens or closes, never per request. */
struct http_conns {
    pthread_mutex_t lock;
    struct http_conn *head, *tail;
    unsigned count;
    unsigned max;      /* --max-connections, after the descriptor limit */
    unsigned shed_at;  /* above this many, the oldest idle one goes */
};

/* Per-request state, in MHD's *req_cls (made by the URI log callback). */
struct http_req {
    int started;         /* on_request has seen it */
    struct http_conn *tcp; /* its connection, NULL when unknown */
    size_t uri_bytes;    /* the request target as sent */
    unsigned uri_args;   /* its query arguments */
    int path_unsafe;     /* ... its path had %00-%1F, %7F, %2F or %5C */
    char raw_path[256];  /* its path as sent (truncated), for errors */
    int64_t due_ms;      /* a delayed reply: when it is due (0: not delayed) */
    struct buf body;
    int too_large;
    int have_reply;
    struct rm_reply reply;
    int64_t start_ms;
    int64_t start_unix_ms;
    char method[16];
    char path[256];      /* for the access log only (truncated) */
    char rid[64];        /* x-request-id of the reply */
    char scenario[RM_MAX_SCENARIO_KEY + 1]; /* x-respmock-scenario, "" when none */
    int has_scenario;
    int streamed;        /* the reply was a stream */
    int stream_ended;    /* ... and its reader reached the end cleanly */
    const struct journal_entry *journal_entry; /* its journal entry (a handle), to finish a
                                                * stream's or give back */
    struct ws_open *ws;  /* an upgrade: what its WebSocket session keeps, until handed over */
    struct rec_exchange *ex; /* record mode: the forwarded exchange (until its reply owns it) */
    int forwarding;          /* the answer comes from the upstream */
};

/* A forwarded reply, owned by the MHD response (freed by its callback). */
struct http_proxy {
    struct rm_server *srv;
    struct MHD_Connection *conn;
    struct rec_exchange *ex;
    int *ended;
};

/* A streaming reply, owned by the MHD response (freed by its callback). */
struct http_stream {
    struct rm_server *srv;
    struct MHD_Connection *conn;
    struct stream *st;
    int *ended;          /* the request's stream_ended (the reader runs before completion) */
    int64_t waiting_for; /* the due time of the frame it is suspended for (0: none) */
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    json_t *h = cls;
    char name[128];
    const char *kept;
    size_t i, len;

    (void)kind;
    if (json_object_size(h) >= RM_MAX_JOURNAL_HEADERS)
        return MHD_YES;
    snprintf(name, sizeof(name), "%s", key);
    for (i = 0; name[i]; i++)
        if (name[i] >= 'A' && name[i] <= 'Z')
            name[i] = (char)(name[i] - 'A' + 'a');
    kept = journal_header_value(name, value, &len);
    json_object_set_new(h, name, json_stringn(kept, len));
    return MHD_YES;
}

/* Pointers to MHD's header or query pairs of one request (valid while it
 * is being answered), for the journal. */
struct pairs {
    const char *k[RM_MAX_JOURNAL_HEADERS > RM_MAX_QUERY_ARGS ? RM_MAX_JOURNAL_HEADERS
                                                             : RM_MAX_QUERY_ARGS];
    const char *v[RM_MAX_JOURNAL_HEADERS > RM_MAX_QUERY_ARGS ? RM_MAX_JOURNAL_HEADERS
                                                             : RM_MAX_QUERY_ARGS];
    size_t n, max;
};

static enum MHD_Result collect_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct pairs *p = cls;

    (void)kind;
    if (p->n < p->max && key) {
        p->k[p->n] = key;
        p->v[p->n++] = value;
    }
    return MHD_YES;
}

/* Header lookup for the matchers (struct rm_request.header). */
static const char *header_value(const void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

/* Whether the peer of 'conn' is on loopback (127.0.0.0/8, ::1, or a
 * v4-mapped 127.x address). */
static int peer_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* Keep the request in the journal when its answer is queued (so a client
 * that has its answer finds it there): what came in and what answered; a
 * stream's end is noted when it ends. Never the secrets. */
static void journal_note(struct rm_server *srv, struct MHD_Connection *conn, struct http_req *r)
{
    size_t kept = utf8_cut(r->body.data, r->body.len, RM_MAX_JOURNAL_BODY);
    struct pairs headers = {.max = RM_MAX_JOURNAL_HEADERS}, query = {.max = RM_MAX_QUERY_ARGS};
    struct journal_request jr;

    /* One entry per request: libmicrohttpd 0.9.75 can ask for the reply of
     * a resumed request again while the daemon stops, after it was queued
     * (seen under valgrind in server.test_http), and a second entry would
     * overwrite the handle to the first, whose reference then leaked. */
    if (r->journal_entry)
        return;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_pair, &headers);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_pair, &query);
    memset(&jr, 0, sizeof(jr));
    jr.id = r->rid;
    jr.time_ms = r->start_unix_ms;
    jr.method = r->method;
    jr.path = r->path;
    jr.query_keys = query.k;
    jr.query_values = query.v;
    jr.nquery = query.n;
    jr.header_names = headers.k;
    jr.header_values = headers.v;
    jr.nheaders = headers.n;
    jr.body = r->body.data;
    jr.body_len = r->body.data ? kept : 0;
    jr.body_bytes = r->too_large ? 0 : r->body.len;
    jr.body_truncated = r->too_large || kept < r->body.len;
    jr.fixture = r->reply.fixture[0] ? r->reply.fixture : NULL;
    jr.scenario = r->has_scenario ? r->scenario : NULL;
    jr.state = r->reply.state[0] ? r->reply.state : NULL;
    jr.status = r->reply.status;
    jr.duration_ms = server_now_ms() - r->start_ms;
    jr.stream = r->streamed;
    r->journal_entry = journal_add_request(srv->journal, &jr);
}

static void wake_connection(void *item)
{
    MHD_resume_connection(item);
}

/* Whether the client of 'conn' has gone (closed or reset its end). A
 * suspended connection is not polled by MHD, so this is how a vanished
 * client of a stalled stream or a delayed reply is noticed. */
static int peer_gone(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char c;
    ssize_t n;

    if (!ci)
        return 0;
    n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Suspend 'conn' until 'due_ms', or RM_SUSPEND_PROBE_MS at most (then the
 * caller looks at the client and suspends again). Returns 0, or -1 when it
 * cannot wait (shutting down or the timer is full): then carry on at once. */
static int suspend_until(struct rm_server *srv, struct MHD_Connection *conn, int64_t due_ms)
{
    int64_t probe = server_now_ms() + RM_SUSPEND_PROBE_MS;

    if (atomic_load(&srv->stopping))
        return -1;
    MHD_suspend_connection(conn);
    if (timer_add(srv->timer, due_ms < probe ? due_ms : probe, conn) != 0) {
        MHD_resume_connection(conn);
        server_log(srv, LOG_WARN, "more than %d delayed replies; sending at once",
                   RM_MAX_SUSPENDED);
        return -1;
    }
    return 0;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct http_stream *hs = cls;
    size_t written = 0;
    int64_t wake = 0;

    (void)pos;
    if (atomic_load(&hs->srv->stopping))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    switch (stream_read(hs->st, server_now_ms(), out, max, &written, &wake)) {
    case STREAM_DATA:
        hs->waiting_for = 0;
        return (ssize_t)written;
    case STREAM_WAIT:
        /* Woken by the probe before the frame is due: is the client still
         * there? (A first wait is not probed: the next write notices.) */
        if (hs->waiting_for == wake && peer_gone(hs->conn))
            return MHD_CONTENT_READER_END_WITH_ERROR; /* nobody to wait for */
        hs->waiting_for = wake;
        if (suspend_until(hs->srv, hs->conn, wake) != 0 && atomic_load(&hs->srv->stopping))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        return 0;
    case STREAM_END:
        *hs->ended = 1;
        return MHD_CONTENT_READER_END_OF_STREAM;
    case STREAM_ABORT:
    default:
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void stream_done(void *cls)
{
    struct http_stream *hs = cls;

    stream_free(hs->st);
    free(hs);
}

/* The recorder parks a connection whose upstream has nothing yet. */
static void park_connection(void *conn)
{
    MHD_suspend_connection(conn);
}

static ssize_t proxy_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct http_proxy *hp = cls;
    size_t n = 0;

    (void)pos;
    if (atomic_load(&hp->srv->stopping))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    switch (recorder_read(hp->ex, out, max, &n, park_connection, hp->conn)) {
    case REC_DATA:
        return (ssize_t)n;
    case REC_WAIT:
        return 0; /* parked: the recorder resumes it */
    case REC_END:
        *hp->ended = 1;
        return MHD_CONTENT_READER_END_OF_STREAM;
    case REC_FAILED:
    default:
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the truncated answer the upstream gave */
    }
}

static void proxy_done(void *cls)
{
    struct http_proxy *hp = cls;

    recorder_release(hp->ex);
    free(hp);
}

/* Client headers for the upstream (struct rec_request), pointers into MHD's. */
static enum MHD_Result collect_forward(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct rec_request *fr = cls;

    (void)kind;
    if (fr->nheaders < RM_MAX_JOURNAL_HEADERS && key && value) {
        fr->names[fr->nheaders] = key;
        fr->values[fr->nheaders++] = value;
    }
    return MHD_YES;
}

/* Append 's' percent-encoded (all but the unreserved characters). */
static void append_escaped(struct buf *q, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            buf_append(q, s, 1);
        else
            buf_appendf(q, "%%%02X", c);
    }
}

/* The query string again (MHD decoded it), for the upstream URL. */
static enum MHD_Result collect_forward_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                             const char *value)
{
    struct buf *q = cls;

    (void)kind;
    if (q->len)
        buf_append(q, "&", 1);
    append_escaped(q, key);
    if (value) {
        buf_append(q, "=", 1);
        append_escaped(q, value);
    }
    return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct rm_request *req = cls;

    (void)kind;
    if (req->nquery < RM_MAX_QUERY_ARGS) {
        req->query[req->nquery].key = key;
        req->query[req->nquery].value = value;
        req->nquery++;
    }
    return MHD_YES;
}

/* ---- WebSocket upgrades: the socket goes to ws.h ------------------------- */

static void release_upgraded(void *handle)
{
    MHD_upgrade_action(handle, MHD_UPGRADE_ACTION_CLOSE); /* closes the socket */
}

/* After the 101 went out: the socket and what the session keeps go to the hub. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra,
                       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    struct rm_server *srv = cls;
    struct http_req *r = req_cls;
    struct ws_open *open = r ? r->ws : NULL;

    (void)conn;
    if (!open || atomic_load(&srv->stopping)) {
        release_upgraded(urh);
        return;
    }
    r->ws = NULL;
    if (ws_hub_adopt(srv->ws, sock, extra, extra_len, open, release_upgraded, urh) != 0)
        server_log(srv, LOG_WARN, "websocket: connection refused (limit %d, or stopping)",
                   RM_MAX_WS_CONNECTIONS);
    free(open);
}

static void copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t len)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

    snprintf(out, len, "%s", v ? v : "");
}

/* The upgrade's headers a session keeps. NULL on OOM. */
static struct ws_open *ws_open_new(struct MHD_Connection *conn)
{
    struct ws_open *o = calloc(1, sizeof(*o));

    if (!o)
        return NULL;
    copy_header(conn, "x-respmock-fixture", o->fixture, sizeof(o->fixture));
    copy_header(conn, "x-respmock-fault", o->fault, sizeof(o->fault));
    copy_header(conn, "x-respmock-scenario", o->scenario, sizeof(o->scenario));
    o->headers = json_object();
    if (o->headers)
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, o->headers);
    return o;
}

static void ws_open_free(struct ws_open *o)
{
    if (o)
        json_decref(o->headers);
    free(o);
}

static enum MHD_Result queue_reply(struct rm_server *srv, struct MHD_Connection *conn,
                                   struct http_req *r)
{
    struct rm_reply *rep = &r->reply;
    struct MHD_Response *resp;
    char rid[64], ms[32];
    enum MHD_Result ret;
    unsigned i;

    if (rep->upgrade) {
        r->ws = srv->ws ? ws_open_new(conn) : NULL;
        resp = r->ws ? MHD_create_response_for_upgrade(on_upgrade, srv) : NULL;
        if (!resp) {
            struct api_error err;

            ws_open_free(r->ws);
            r->ws = NULL;
            api_error_oom(&err);
            reply_fail(rep, &err);
            return queue_reply(srv, conn, r);
        }
    } else if (rep->events || rep->stream) {
        struct stream *st = rep->stream ? rep->stream
                                        : stream_new_sse(rep->events, srv->cfg.speed,
                                                         RM_MAX_STREAM_BYTES);
        struct http_stream *hs = st ? calloc(1, sizeof(*hs)) : NULL;

        rep->stream = NULL; /* the reader owns it now */

        if (!hs) {
            struct api_error err;

            /* Over the stream limit (or out of memory): our own 500. */
            stream_free(st);
            api_error_oom(&err);
            reply_fail(rep, &err);
            return queue_reply(srv, conn, r);
        }
        hs->srv = srv;
        hs->conn = conn;
        hs->st = st;
        hs->ended = &r->stream_ended;
        r->streamed = 1;
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, RM_STREAM_BLOCK,
                                                 stream_reader, hs, stream_done);
        if (!resp) {
            stream_done(hs);
            return MHD_NO;
        }
    } else {
        resp = MHD_create_response_from_buffer(rep->body_len, rep->body ? rep->body : (void *)"",
                                               rep->body ? MHD_RESPMEM_MUST_FREE
                                                         : MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        rep->body = NULL;
    }
    if (rep->request_id[0]) /* the router chose it, errors may quote it */
        str_copy(rid, sizeof(rid), rep->request_id, strlen(rep->request_id));
    else
        server_new_id(srv, RM_ID_REQUEST, 32, rid, sizeof(rid));
    str_copy(r->rid, sizeof(r->rid), rid, strlen(rid));
    str_of_u64(ms, (unsigned long long)(server_now_ms() - r->start_ms));
    if (!rep->upgrade) /* a 101 has no body to type */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rep->content_type ? rep->content_type : RM_CT_JSON);
    MHD_add_response_header(resp, "x-request-id", rid);
    MHD_add_response_header(resp, "openai-processing-ms", ms);
    MHD_add_response_header(resp, "openai-version", "2020-10-01");
    for (i = 0; i < rep->nheaders; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    if (srv->cfg.journal && strncmp(r->path, "/__admin/", 9) != 0)
        journal_note(srv, conn, r);
    ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Start forwarding the request to the upstream (record mode). Returns 0, or
 * -1 with an error reply in r->reply when it cannot be. */
static int forward_start(struct rm_server *srv, struct MHD_Connection *conn, struct http_req *r,
                         const char *method, const char *url)
{
    struct rec_request fr;
    struct buf query;

    memset(&fr, 0, sizeof(fr));
    buf_init(&query, RM_MAX_UPSTREAM_URL);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_forward, &fr);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_forward_query, &query);
    fr.method = method;
    fr.path = url;
    fr.query = query.data;
    fr.body = r->body.data;
    fr.body_len = r->body.len;
    r->ex = recorder_start(srv->recorder, &fr);
    buf_release(&query);
    if (!r->ex) {
        struct api_error err;

        api_error_set(&err, 503, RM_ERRTYPE_SERVER, NULL, NULL,
                      "respmock: more than %d requests are being forwarded to the upstream.",
                      RM_RECORD_MAX_EXCHANGES);
        reply_error(&r->reply, &err);
        return -1;
    }
    r->forwarding = 1;
    return 0;
}

/* Whether a local answer in --record-mode missing leaves the request to the
 * upstream: no fixture matched, the previous response is not here, or it
 * names a response or conversation only the upstream knows. */
static int local_misses(const char *url, const struct rm_reply *rep)
{
    if (rep->unmatched)
        return 1;
    if (rep->status == 404 && (!strncmp(url, "/v1/responses/", 14) ||
                               !strncmp(url, "/v1/conversations/", 18)))
        return 1;
    return 0;
}

/* The upstream's answer, once its status and headers are in (until then
 * the connection is parked and this runs again when the recorder wakes it). */
static enum MHD_Result queue_forwarded(struct rm_server *srv, struct MHD_Connection *conn,
                                       struct http_req *r)
{
    struct MHD_Response *resp;
    struct http_proxy *hp;
    const char *name, *value;
    char why[CURL_ERROR_TEXT_MAX];
    enum MHD_Result ret;
    unsigned i;
    int status;

    if (!recorder_head_ready(r->ex, park_connection, conn))
        return MHD_YES;
    status = recorder_status(r->ex, why, sizeof(why));
    if (!status) { /* unreachable, TLS, timeout: nothing came back */
        struct api_error err;

        api_error_set(&err, 502, RM_ERRTYPE_SERVER, RM_ERRCODE_UPSTREAM, NULL,
                      "respmock: the upstream of --record-from did not answer: %s.", why);
        reply_error(&r->reply, &err);
        recorder_release(r->ex);
        r->ex = NULL;
        r->forwarding = 0; /* the recorder logged why */
        return queue_reply(srv, conn, r);
    }
    hp = calloc(1, sizeof(*hp));
    if (!hp)
        return MHD_NO;
    hp->srv = srv;
    hp->conn = conn;
    hp->ex = r->ex;
    hp->ended = &r->stream_ended;
    r->ex = NULL; /* the reply owns it now */
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, RM_STREAM_BLOCK, proxy_reader, hp,
                                             proxy_done);
    if (!resp) {
        proxy_done(hp);
        return MHD_NO;
    }
    server_new_id(srv, RM_ID_REQUEST, 32, r->rid, sizeof(r->rid)); /* for the journal ... */
    for (i = 0; recorder_header(hp->ex, i, &name, &value) == 0; i++) {
        MHD_add_response_header(resp, name, value);
        if (!strcasecmp(name, "x-request-id")) /* ... the upstream's when it sent one */
            snprintf(r->rid, sizeof(r->rid), "%s", value);
    }
    if (recorder_content_type(hp->ex))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                recorder_content_type(hp->ex));
    r->reply.status = status;
    r->streamed = 1;
    snprintf(r->reply.fixture, sizeof(r->reply.fixture), "(forwarded)");
    if (srv->cfg.journal)
        journal_note(srv, conn, r);
    ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* What one header adds to the framing measure. */
struct header_measure {
    unsigned count;
    size_t bytes;
};

static enum MHD_Result measure_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct header_measure *m = cls;

    (void)kind;
    m->count++;
    m->bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* The framing the router's gate judges: the target as the URI log callback
 * saw it, and the header lines (the request line counts with them). */
static void measure_framing(struct MHD_Connection *conn, const struct http_req *r,
                            const char *method, struct rm_request *req)
{
    struct header_measure m = {0, 0};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, measure_header, &m);
    req->uri_bytes = r->uri_bytes;
    req->uri_args = r->uri_args;
    req->path_unsafe = r->path_unsafe;
    req->raw_path = r->raw_path;
    req->header_count = m.count;
    req->header_bytes = m.bytes + strlen(method) + r->uri_bytes + sizeof(" HTTP/1.1\r\n");
}

/* Whether the path as sent encodes a byte that decoding would turn into a
 * cut (%00), a control byte or a path separator (%2F, %5C). */
static int path_is_unsafe(const char *path, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        int hi, lo, v;

        if (c < 0x20 || c == 0x7f)
            return 1;
        if (c != '%' || i + 2 >= len)
            continue;
        hi = hex_digit((unsigned char)path[i + 1]);
        lo = hex_digit((unsigned char)path[i + 2]);
        if (hi < 0 || lo < 0)
            continue;
        v = hi * 16 + lo;
        if (v < 0x20 || v == 0x7f || v == '/' || v == '\\')
            return 1;
    }
    return 0;
}

/* MHD's URI log callback: called with the request target exactly as sent,
 * before MHD splits off and decodes the query and decodes the path. The
 * per-request state starts here, judged on what was sent. A query over
 * RM_MAX_URI_BYTES / RM_MAX_URI_ARGS is blanked in MHD's buffer (the
 * target is the connection's own writable read buffer in 0.9.75; MHD has
 * found the '?' already and parses the arguments after this call), so MHD
 * does not spend its connection memory (RM_CONNECTION_MEMORY) on thousands
 * of arguments, fail and close without an answer: the router answers 414
 * in the error envelope instead. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct rm_server *srv = cls;
    struct http_req *r = calloc(1, sizeof(*r));
    char *query = strchr(uri, '?');
    size_t path_len = query ? (size_t)(query - uri) : strlen(uri);

    (void)conn;
    if (!r)
        return NULL;
    buf_init(&r->body, srv->cfg.max_body);
    r->uri_bytes = strlen(uri);
    r->path_unsafe = path_is_unsafe(uri, path_len);
    str_copy(r->raw_path, sizeof(r->raw_path), uri, path_len);
    if (query && query[1]) {
        const char *p;

        r->uri_args = 1;
        for (p = query + 1; *p; p++)
            r->uri_args += *p == '&';
        if (r->uri_bytes > RM_MAX_URI_BYTES || r->uri_args > RM_MAX_URI_ARGS)
            query[1] = '\0';
    }
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct rm_server *srv = cls;
    struct http_req *r = *req_cls;

    (void)version;
    if (!r)
        return MHD_NO; /* the URI log callback ran out of memory */
    if (!r->started) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        r->started = 1;
        r->tcp = ci ? ci->socket_context : NULL;
        if (r->tcp)
            atomic_store(&r->tcp->busy, 1);
        r->start_ms = server_now_ms();
        {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            r->start_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        str_copy(r->method, sizeof(r->method), method, strlen(method));
        str_copy(r->path, sizeof(r->path), url, strlen(url));
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_large && buf_append(&r->body, upload_data, *upload_data_size) != 0) {
            r->too_large = 1; /* keep reading, answer 413 at the end */
            buf_release(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!r->have_reply) {
        struct rm_request req;

        memset(&req, 0, sizeof(req));
        req.method = method;
        req.path = url;
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &req);
        req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        req.fixture = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-respmock-fixture");
        req.fault = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-respmock-fault");
        req.scenario = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-respmock-scenario");
        if (req.scenario) {
            snprintf(r->scenario, sizeof(r->scenario), "%s", req.scenario);
            r->has_scenario = 1;
        }
        req.admin_token =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-respmock-admin-token");
        req.from_loopback = peer_is_loopback(conn);
        req.header = header_value;
        req.header_ctx = conn;
        req.body = r->body.data;
        req.body_len = r->body.len;
        req.body_too_large = r->too_large;
        measure_framing(conn, r, method, &req);
        if (srv->recorder && recorder_forwards(url) && !r->too_large) {
            int forward = !srv->cfg.record_missing;

            if (!forward) {
                router_handle(srv, &req, &r->reply);
                forward = local_misses(url, &r->reply);
                if (forward)
                    reply_release(&r->reply);
            }
            if (forward)
                forward_start(srv, conn, r, method, url);
        } else {
            router_handle(srv, &req, &r->reply);
        }
        r->have_reply = 1;
        if (r->reply.delay_ms && srv->cfg.speed > 0)
            r->due_ms = server_now_ms() + (int64_t)(r->reply.delay_ms * srv->cfg.speed);
    }
    if (r->due_ms && server_now_ms() < r->due_ms) {
        if (peer_gone(conn))
            return MHD_NO; /* the client left while its reply was delayed */
        if (suspend_until(srv, conn, r->due_ms) == 0)
            return MHD_YES; /* called again once resumed */
    }
    if (r->forwarding)
        return queue_forwarded(srv, conn, r);
    return queue_reply(srv, conn, r);
}

/* 'len' bytes of 's' at line[n], within RM_LOG_LINE. Returns the new length. */
static size_t log_put(char *line, size_t n, const char *s, size_t len)
{
    return n + str_copy(line + n, RM_LOG_LINE + 1 - n, s, len);
}

/* The access line, "METHOD PATH STATUS Nms[ fixture=F][ (connection ended
 * early)]": never headers, never bodies. Put together without a format (it
 * is one per request). */
static void log_access(struct rm_server *srv, const struct http_req *r, int completed)
{
    char line[RM_LOG_LINE + 1], num[24];
    size_t n = 0;

    if (srv->cfg.log_level < LOG_INFO)
        return;
    n = log_put(line, n, r->method, strlen(r->method));
    n = log_put(line, n, " ", 1);
    n = log_put(line, n, r->path, strlen(r->path));
    n = log_put(line, n, " ", 1);
    n = log_put(line, n, num, str_of_i64(num, r->reply.status));
    n = log_put(line, n, " ", 1);
    n = log_put(line, n, num, str_of_i64(num, server_now_ms() - r->start_ms));
    n = log_put(line, n, "ms", 2);
    if (r->reply.fixture[0]) {
        n = log_put(line, n, " fixture=", 9);
        n = log_put(line, n, r->reply.fixture, strlen(r->reply.fixture));
    }
    if (!completed)
        n = log_put(line, n, " (connection ended early)", 25);
    server_log_text(srv, LOG_INFO, line, n);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct rm_server *srv = cls;
    struct http_req *r = *req_cls;

    (void)conn;
    if (!r)
        return;
    if (r->tcp) {
        atomic_store(&r->tcp->idle_since_ms, server_now_ms());
        atomic_store(&r->tcp->served, 1);
        atomic_store(&r->tcp->busy, 0);
    }
    if (!r->started) { /* MHD refused the request itself (see server/README.md) */
        server_log(srv, LOG_DEBUG, "a request was refused by libmicrohttpd before routing");
        buf_release(&r->body);
        free(r);
        *req_cls = NULL;
        return;
    }
    log_access(srv, r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (r->reply.note[0])
        server_log(srv, LOG_DEBUG, "%s %s %d: %s", r->method, r->path, r->reply.status,
                   r->reply.note);
    if (r->journal_entry && r->streamed)
        journal_finish(srv->journal, r->journal_entry,
                       r->stream_ended && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK,
                       server_now_ms() - r->start_ms);
    else
        journal_drop(srv->journal, r->journal_entry);
    ws_open_free(r->ws); /* an upgrade that never happened */
    recorder_release(r->ex); /* a request that ended before its reply took the exchange */
    reply_release(&r->reply);
    buf_release(&r->body);
    free(r);
    *req_cls = NULL;
}

/* Shut down the oldest idle connection (no request in progress), so that a
 * new client finds a slot; its worker sees the end and closes it. Idle
 * between two requests (keep-alive) goes first. A connection that has not
 * sent its first request yet is only shed once it had RM_SHED_FRESH_MS to
 * send it, or when the last slot is taken: in a burst of new clients a
 * busy server reads some requests late, and they are not idle. Called with
 * the list locked, so the descriptor is still open. */
static void shed_oldest_idle(struct rm_server *srv, struct http_conns *cs)
{
    struct http_conn *c, *oldest = NULL;
    int64_t now = server_now_ms(), oldest_ms = 0;
    int oldest_served = 0, last_slot = cs->count + 1 >= cs->max;

    for (c = cs->head; c; c = c->next) {
        int64_t since = atomic_load(&c->idle_since_ms);
        int served = atomic_load(&c->served);

        if (c->shed || c->fd < 0 || atomic_load(&c->busy))
            continue;
        if (!served && !last_slot && now - since < RM_SHED_FRESH_MS)
            continue;
        if (!oldest || served > oldest_served ||
            (served == oldest_served && since < oldest_ms)) {
            oldest = c;
            oldest_ms = since;
            oldest_served = served;
        }
    }
    if (!oldest)
        return;
    oldest->shed = 1;
    shutdown(oldest->fd, SHUT_RDWR);
    server_log(srv, LOG_DEBUG, "%u connections (--max-connections %u): shed the oldest idle one",
               cs->count, cs->max);
}

/* MHD's connection notifications: list each TCP connection while it is
 * open; near the maximum, make room. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct rm_server *srv = cls;
    struct http_conns *cs = srv->conns;
    struct http_conn *c = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

        if (!(c = calloc(1, sizeof(*c))))
            return;
        c->fd = ci ? ci->connect_fd : -1;
        atomic_init(&c->busy, 0);
        atomic_init(&c->served, 0);
        atomic_init(&c->idle_since_ms, server_now_ms());
        pthread_mutex_lock(&cs->lock);
        if (cs->count >= cs->shed_at)
            shed_oldest_idle(srv, cs);
        c->prev = cs->tail;
        if (cs->tail)
            cs->tail->next = c;
        else
            cs->head = c;
        cs->tail = c;
        cs->count++;
        pthread_mutex_unlock(&cs->lock);
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    pthread_mutex_lock(&cs->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        cs->tail = c->prev;
    cs->count--;
    pthread_mutex_unlock(&cs->lock);
    free(c);
    *socket_context = NULL;
}

/* The connections respmock can hold: --max-connections, within the
 * descriptor limit (raised to its hard limit when it is lower). */
static unsigned connection_budget(struct rm_server *srv)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)srv->cfg.max_connections + RM_FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return srv->cfg.max_connections;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        unsigned n = rl.rlim_cur > 2 * RM_FD_RESERVE ? (unsigned)(rl.rlim_cur - RM_FD_RESERVE)
                                                     : RM_FD_RESERVE;
        server_log(srv, LOG_WARN,
                   "--max-connections %u is above the descriptor limit (ulimit -n %llu): "
                   "%u connections at most",
                   srv->cfg.max_connections, (unsigned long long)rl.rlim_cur, n);
        return n;
    }
    return srv->cfg.max_connections;
}

/* Whether 'host' is a loopback address (127.0.0.0/8 or ::1). */
static int host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static struct http_conns *conns_new(struct rm_server *srv)
{
    struct http_conns *cs = calloc(1, sizeof(*cs));

    if (!cs)
        return NULL;
    pthread_mutex_init(&cs->lock, NULL);
    cs->max = connection_budget(srv);
    cs->shed_at = cs->max - cs->max / RM_SHED_HEADROOM_DIV;
    if (cs->shed_at == cs->max && cs->max > 1)
        cs->shed_at = cs->max - 1;
    return cs;
}

static void conns_free(struct http_conns *cs)
{
    if (!cs)
        return;
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

/* Undo what http_start set up before it failed (each part may be NULL). */
static void start_undo(struct rm_server *srv)
{
    ws_hub_free(srv->ws);
    srv->ws = NULL;
    recorder_free(srv->recorder);
    srv->recorder = NULL;
    timer_free(srv->timer);
    srv->timer = NULL;
    conns_free(srv->conns);
    srv->conns = NULL;
}

int http_start(struct rm_server *srv, struct mock_error *err)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    const struct sockaddr *addr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE;
    const union MHD_DaemonInfo *info;

    memset(&a4, 0, sizeof(a4));
    memset(&a6, 0, sizeof(a6));
    if (inet_pton(AF_INET, srv->cfg.host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)srv->cfg.port);
        addr = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, srv->cfg.host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)srv->cfg.port);
        addr = (const struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        mock_error_set(err, NULL, 0, 0, "--host '%s' is not an IPv4 or IPv6 address",
                       srv->cfg.host);
        return -1;
    }
    srv->conns = conns_new(srv);
    srv->timer = srv->conns ? timer_new(RM_MAX_SUSPENDED, wake_connection) : NULL;
    if (!srv->timer) {
        mock_error_set(err, NULL, 0, 0, "cannot start the timer thread");
        start_undo(srv);
        return -1;
    }
    srv->ws = srv->cfg.no_websocket ? NULL : ws_hub_new(srv);
    if (!srv->cfg.no_websocket && !srv->ws) {
        mock_error_set(err, NULL, 0, 0, "cannot start the WebSocket thread");
        start_undo(srv);
        return -1;
    }
    if (srv->cfg.record_from) {
        srv->recorder = recorder_new(srv, wake_connection, err);
        if (!srv->recorder) {
            start_undo(srv);
            return -1;
        }
    }
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->cfg.port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(srv->cfg.threads > 1 ? srv->cfg.threads : 0),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_CONNECTION_LIMIT, srv->conns->max, MHD_OPTION_CONNECTION_TIMEOUT,
        srv->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)RM_CONNECTION_MEMORY, MHD_OPTION_END);
    if (!srv->daemon) {
        mock_error_set(err, NULL, 0, 0, "cannot listen on %s:%d (in use, or not allowed)",
                       srv->cfg.host, srv->cfg.port);
        start_undo(srv);
        return -1;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->bound_port = info ? info->port : srv->cfg.port;
    if (!host_is_loopback(srv->cfg.host) && srv->cfg.n_api_keys == 0)
        server_log(srv, LOG_WARN,
                   "listening on %s without an API key: anyone who can reach this address "
                   "can use it (set --api-key-file or RESPMOCK_API_KEY)",
                   srv->cfg.host);
    return 0;
}

void http_stop(struct rm_server *srv)
{
    if (!srv->daemon)
        return;
    atomic_store(&srv->stopping, 1);
    /* No MHD_quiesce_daemon: in 0.9.75 it races the epoll workers, which take
     * the listen socket out of their epoll sets themselves once quiesced, and
     * the loser aborts ("Failed to remove listen FD from epoll set"). A
     * connection accepted while draining is not left suspended (suspend_until
     * refuses once stopping, timer_add wakes at once while draining), so
     * nothing is suspended when MHD_stop_daemon, which closes the listen
     * socket, runs. */
    recorder_abort_all(srv->recorder); /* forwarded answers end, their connections wake */
    timer_drain(srv->timer); /* nothing may stay suspended past this point */
    ws_hub_stop(srv->ws);    /* MHD wants every upgraded socket back before it stops */
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    ws_hub_free(srv->ws);
    srv->ws = NULL;
    recorder_free(srv->recorder); /* after the replies that held its exchanges */
    srv->recorder = NULL;
    timer_free(srv->timer);
    srv->timer = NULL;
    conns_free(srv->conns);
    srv->conns = NULL;
}
