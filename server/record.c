/* record: the forwarding recorder (see record.h). The recorder thread owns
 * the curl multi handle; other threads hand it exchanges through a queue
 * and poke it with curl_multi_wakeup. Each exchange has its own lock: the
 * thread appends what arrives, the reply's content reader takes it. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "contract.h"
#include "curl_dyn.h"
#include "fixture.h"
#include "json_util.h"
#include "record_fixture.h"
#include "scrub.h"

/* libcurl, loaded when the recorder starts (curl_dyn.h); recorder_new
 * fails first when it cannot be. */
#define CU (curl_dyn(NULL, 0))

struct rec_header {
    char *name;
    char *value;
};

struct rec_exchange {
    struct recorder *rec;
    pthread_mutex_t mu;
    int refs;                 /* the caller's and the recorder thread's */
    struct rec_exchange *next;/* the recorder's queue, then its list in flight */
    CURL *h;
    struct curl_slist *req_headers; /* the client's headers, Authorization among them */
    char *url;
    char *body;
    size_t body_len;
    char method[16];
    char path[256];
    int recordable;           /* a create request: its fixture is written */
    json_t *request;          /* its body parsed, for the fixture */
    int64_t start_ms, last_ms;

    /* the answer (under mu) */
    int head_done, done, failed, cancelled;
    int status;
    char why[CURL_ERROR_SIZE + 64];
    struct rec_header headers[RM_MAX_REPLY_HEADERS];
    unsigned nheaders;
    int sse;
    char content_type[128];
    struct buf pending;       /* not yet read by the client, from 'rpos' */
    size_t rpos;
    int paused, want_resume;
    void (*parked)(void *conn); /* non-NULL while the reader's connection is parked */
    void *parked_conn;

    /* what the fixture keeps (recorder thread only) */
    struct buf all;
    int too_big;
    size_t *frame_ends;
    unsigned *delays;
    size_t nframes, cap_frames, scan;
};

struct rec_id {
    char id[RM_MAX_ID_HEX + 16];
    char fixture[RM_MAX_FIXTURE_NAME + 1];
    int turn;
};

struct recorder {
    struct rm_server *srv;
    void (*wake)(void *conn);
    char base[RM_MAX_UPSTREAM_URL];   /* without a trailing '/' */
    char shown[RM_MAX_UPSTREAM_URL];  /* for fixtures and logs: no credentials, no query */
    struct redactor redactor;
    CURLM *multi;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;       /* queue, in-flight count, ids, stopping */
    pthread_cond_t idle;      /* signalled when the last exchange in flight is retired */
    struct rec_exchange *queue;
    unsigned in_flight;       /* exchanges started and not yet retired */
    struct rec_exchange *flight; /* in the multi handle (recorder thread only) */
    atomic_int stopping, aborting;
    struct rec_id ids[RM_RECORD_MAX_IDS]; /* a ring: recorded responses and their fixtures */
    size_t nids, next_id;
};

/* ---- exchanges ------------------------------------------------------------ */

static void exchange_free(struct rec_exchange *ex)
{
    unsigned i;

    CU->slist_free_all(ex->req_headers);
    free(ex->url);
    free(ex->body);
    json_decref(ex->request);
    for (i = 0; i < ex->nheaders; i++) {
        free(ex->headers[i].name);
        free(ex->headers[i].value);
    }
    buf_release(&ex->pending);
    buf_release(&ex->all);
    free(ex->frame_ends);
    free(ex->delays);
    pthread_mutex_destroy(&ex->mu);
    free(ex);
}

static void exchange_unref(struct rec_exchange *ex)
{
    int last;

    pthread_mutex_lock(&ex->mu);
    last = --ex->refs == 0;
    pthread_mutex_unlock(&ex->mu);
    if (last)
        exchange_free(ex);
}

/* The recorder thread is done with 'ex'. */
static void drop(struct recorder *rec, struct rec_exchange *ex)
{
    if (ex->h)
        CU->easy_cleanup(ex->h);
    ex->h = NULL;
    pthread_mutex_lock(&rec->mu);
    if (--rec->in_flight == 0)
        pthread_cond_broadcast(&rec->idle);
    pthread_mutex_unlock(&rec->mu);
    exchange_unref(ex);
}

/* Wake the parked reader, if any (ex->mu held). */
static void wake_reader(struct rec_exchange *ex)
{
    if (ex->parked) {
        void *conn = ex->parked_conn;

        ex->parked = NULL;
        ex->parked_conn = NULL;
        ex->rec->wake(conn);
    }
}

/* Park the reader's connection (ex->mu held). Returns 0, or -1 when the
 * server is stopping (then the reader must not wait). */
static int park_reader(struct rec_exchange *ex, void (*park)(void *conn), void *conn)
{
    if (atomic_load(&ex->rec->aborting))
        return -1;
    park(conn);
    ex->parked = ex->rec->wake;
    ex->parked_conn = conn;
    return 0;
}

/* ---- curl callbacks (recorder thread) ------------------------------------- */

static int hop_by_hop(const char *name)
{
    static const char *const skip[] = {"connection", "keep-alive", "transfer-encoding",
                                       "content-length", "te", "trailer", "upgrade",
                                       "proxy-authenticate", "date", "content-type", NULL};

    return header_name_in(name, skip);
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    struct rec_exchange *ex = user;
    size_t len = size * n, nl, vs;
    char *colon;

    pthread_mutex_lock(&ex->mu);
    if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        long code = 0;

        CU->easy_getinfo(ex->h, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200) { /* not a 1xx interim answer */
            char *ct = NULL;

            ex->status = (int)code;
            CU->easy_getinfo(ex->h, CURLINFO_CONTENT_TYPE, &ct);
            ex->sse = ct && strncasecmp(ct, "text/event-stream", 17) == 0;
            snprintf(ex->content_type, sizeof(ex->content_type), "%s", ct ? ct : "");
            ex->head_done = 1;
            wake_reader(ex);
        }
    } else if (!strncmp(data, "HTTP/", 5)) {
        unsigned i; /* a new status line (after a 1xx): forget the headers so far */

        for (i = 0; i < ex->nheaders; i++) {
            free(ex->headers[i].name);
            free(ex->headers[i].value);
        }
        ex->nheaders = 0;
    } else if ((colon = memchr(data, ':', len)) && ex->nheaders < RM_MAX_REPLY_HEADERS - 8) {
        nl = (size_t)(colon - data);
        vs = nl + 1;
        while (vs < len && (data[vs] == ' ' || data[vs] == '\t'))
            vs++;
        while (len > vs && (data[len - 1] == '\r' || data[len - 1] == '\n'))
            len--;
        ex->headers[ex->nheaders].name = strndup(data, nl);
        ex->headers[ex->nheaders].value = strndup(data + vs, len - vs);
        if (ex->headers[ex->nheaders].name && ex->headers[ex->nheaders].value &&
            !hop_by_hop(ex->headers[ex->nheaders].name))
            ex->nheaders++;
        else {
            free(ex->headers[ex->nheaders].name);
            free(ex->headers[ex->nheaders].value);
        }
    }
    pthread_mutex_unlock(&ex->mu);
    return size * n;
}

/* Note the SSE frames completed by the bytes just kept (a frame ends at a
 * blank line: "\n\n" or "\n\r\n"), with the time since the previous one. */
static void note_frames(struct rec_exchange *ex, int64_t now)
{
    const char *d = ex->all.data;
    size_t i;

    for (i = ex->scan > 1 ? ex->scan : 1; i < ex->all.len; i++) {
        if (d[i] != '\n' || !(d[i - 1] == '\n' || (i >= 2 && d[i - 1] == '\r' && d[i - 2] == '\n')))
            continue;
        if (ex->nframes == ex->cap_frames) {
            size_t cap = ex->cap_frames ? ex->cap_frames * 2 : 64;
            size_t *e = cap <= RM_MAX_TRANSCRIPT_EVENTS
                            ? realloc(ex->frame_ends, cap * sizeof(*e)) : NULL;
            unsigned *w = e ? realloc(ex->delays, cap * sizeof(*w)) : NULL;

            if (e)
                ex->frame_ends = e;
            if (!w) {
                ex->too_big = 1;
                return;
            }
            ex->delays = w;
            ex->cap_frames = cap;
        }
        ex->frame_ends[ex->nframes] = i + 1;
        ex->delays[ex->nframes++] = (unsigned)(now - ex->last_ms);
        ex->last_ms = now;
    }
    ex->scan = ex->all.len;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    struct rec_exchange *ex = user;
    size_t len = size * n;

    pthread_mutex_lock(&ex->mu);
    if (ex->cancelled) {
        pthread_mutex_unlock(&ex->mu);
        return 0; /* the client went away: end the transfer */
    }
    if (ex->pending.len - ex->rpos + len > RM_RECORD_PENDING) {
        ex->paused = 1;
        pthread_mutex_unlock(&ex->mu);
        return CURL_WRITEFUNC_PAUSE; /* the client reads slower than the upstream sends */
    }
    if (ex->rpos && ex->rpos == ex->pending.len) {
        buf_reset(&ex->pending);
        ex->rpos = 0;
    } else if (ex->rpos && ex->pending.len + len > RM_RECORD_PENDING) {
        /* move the unread bytes to the front: they fit with 'len' (checked above) */
        memmove(ex->pending.data, ex->pending.data + ex->rpos, ex->pending.len - ex->rpos);
        ex->pending.len -= ex->rpos;
        ex->pending.data[ex->pending.len] = '\0';
        ex->rpos = 0;
    }
    if (buf_append(&ex->pending, data, len) != 0) {
        pthread_mutex_unlock(&ex->mu);
        return 0;
    }
    wake_reader(ex);
    pthread_mutex_unlock(&ex->mu);
    if (ex->recordable && !ex->too_big) {
        if (buf_append(&ex->all, data, len) != 0)
            ex->too_big = 1;
        else if (ex->sse)
            note_frames(ex, server_now_ms());
    }
    return len;
}

/* ---- ids of recorded responses -------------------------------------------- */

static void ids_note(struct recorder *rec, const char *id, const char *fixture, int turn)
{
    struct rec_id *e;

    if (!id || strlen(id) >= sizeof(e->id))
        return;
    pthread_mutex_lock(&rec->mu);
    e = &rec->ids[rec->next_id];
    snprintf(e->id, sizeof(e->id), "%s", id);
    snprintf(e->fixture, sizeof(e->fixture), "%s", fixture);
    e->turn = turn;
    rec->next_id = (rec->next_id + 1) % RM_RECORD_MAX_IDS;
    if (rec->nids < RM_RECORD_MAX_IDS)
        rec->nids++;
    pthread_mutex_unlock(&rec->mu);
}

/* The fixture and turn recorded for response 'id'; 0 when unknown. */
static int ids_find(struct recorder *rec, const char *id, char *fixture, size_t n)
{
    size_t i;
    int turn = 0;

    pthread_mutex_lock(&rec->mu);
    for (i = 0; i < rec->nids && !turn; i++)
        if (strcmp(rec->ids[i].id, id) == 0) {
            snprintf(fixture, n, "%s", rec->ids[i].fixture);
            turn = rec->ids[i].turn;
        }
    pthread_mutex_unlock(&rec->mu);
    return turn;
}

/* The id of the response an answer carries: a JSON body's "id", or the
 * "response" of the last SSE frame that has one. Borrowed from 'keep'. */
static const char *answer_id(const struct rec_exchange *ex, json_t **keep)
{
    size_t i, start;

    *keep = NULL;
    if (!ex->sse) {
        *keep = json_loadb(ex->all.data ? ex->all.data : "", ex->all.len, 0, NULL);
        return json_util_str(*keep, "id");
    }
    for (i = ex->nframes; i-- > 0;) {
        const char *data;
        size_t end = ex->frame_ends[i];

        start = i ? ex->frame_ends[i - 1] : 0;
        for (data = ex->all.data + start; data + 5 <= ex->all.data + end; data++)
            if (!strncmp(data, "data:", 5) && (data == ex->all.data + start || data[-1] == '\n'))
                break;
        if (data + 5 > ex->all.data + end)
            continue;
        data += 5;
        *keep = json_loadb(data, (size_t)(ex->all.data + end - data), JSON_DISABLE_EOF_CHECK,
                           NULL);
        if (json_util_str(json_object_get(*keep, "response"), "id"))
            return json_util_str(json_object_get(*keep, "response"), "id");
        json_decref(*keep);
        *keep = NULL;
    }
    return NULL;
}

/* ---- writing the fixture (recorder thread) -------------------------------- */

static int write_file(const char *path, const char *text)
{
    char tmp[RM_MAX_PATH + 32];
    size_t len = strlen(text);
    int fd, ok;

    /* a temporary file renamed over the fixture: --watch never reads half a file */

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp))
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void iso_now(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_recording(struct recorder *rec, struct rec_exchange *ex, const char *failure)
{
    struct rec_recording r;
    const char *names[RM_MAX_REPLY_HEADERS], *values[RM_MAX_REPLY_HEADERS];
    char name[RM_MAX_FIXTURE_NAME + 1], prev[RM_MAX_FIXTURE_NAME + 1], when[32];
    char path[RM_MAX_PATH + 64], route[sizeof(ex->path)];
    const char *prev_id = json_util_str(ex->request, "previous_response_id");
    json_t *fx, *keep = NULL;
    char *text;
    unsigned i;

    memset(&r, 0, sizeof(r));
    snprintf(route, sizeof(route), "%s", ex->path);
    if (strlen(route) > 1 && route[strlen(route) - 1] == '/')
        route[strlen(route) - 1] = '\0'; /* the route as the loader matches it */
    r.path = route;
    r.request = ex->request;
    r.upstream = rec->shown;
    r.status = ex->status;
    r.sse = ex->sse;
    r.bytes = ex->all.data ? ex->all.data : "";
    r.len = ex->all.len;
    r.frame_ends = ex->frame_ends;
    r.delays_ms = ex->delays;
    r.nframes = ex->nframes;
    for (i = 0; i < ex->nheaders; i++)
        if (record_keeps_header(ex->headers[i].name)) {
            names[r.nheaders] = ex->headers[i].name;
            values[r.nheaders++] = ex->headers[i].value;
        }
    r.header_names = names;
    r.header_values = values;
    r.turn = 1;
    prev[0] = '\0';
    if (prev_id) {
        r.turn = ids_find(rec, prev_id, prev, sizeof(prev));
        if (r.turn) {
            r.turn++;
            r.prev_fixture = prev;
        } else {
            r.prev_id = prev_id;
        }
    }
    r.failure = failure;
    iso_now(when, sizeof(when));
    r.when = when;
    fx = record_fixture(&r, &rec->redactor, name, sizeof(name));
    text = fx ? json_dumps(fx, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(fx);
    if (!text) {
        server_log(rec->srv, LOG_WARN, "record: %s %s %d: not written (not UTF-8 text, or "
                   "larger than %u bytes)", ex->method, ex->path, ex->status,
                   RM_RECORD_MAX_BYTES);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s.json%s", rec->srv->cfg.fixtures_dir, name,
             failure ? ".partial" : "");
    if (write_file(path, text) != 0)
        server_log(rec->srv, LOG_ERROR, "record: cannot write %s: %s", path, strerror(errno));
    else
        server_log(rec->srv, LOG_INFO, "record: %s %s %d -> %s%s", ex->method, ex->path,
                   ex->status, path, failure ? " (partial: the upstream failed)" : "");
    free(text);
    if (!failure && ex->status == 200) {
        const char *id = answer_id(ex, &keep);

        if (id) /* a later turn chained on it names this fixture */
            ids_note(rec, id, name, r.turn ? r.turn : 1);
    }
    json_decref(keep);
}

/* A transfer ended with 'code'. */
static void finish(struct recorder *rec, struct rec_exchange *ex, CURLcode code)
{
    const char *failure = NULL;

    pthread_mutex_lock(&ex->mu);
    if (code != CURLE_OK && !ex->cancelled) {
        ex->failed = 1;
        snprintf(ex->why, sizeof(ex->why), "%s", CU->easy_strerror(code));
        failure = ex->why;
    }
    if (ex->recordable && ex->sse && ex->all.len > (ex->nframes ? ex->frame_ends[ex->nframes - 1]
                                                                : 0))
        note_frames(ex, server_now_ms()); /* nothing more: a last frame without its blank line */
    ex->done = 1;
    ex->head_done = 1;
    wake_reader(ex);
    pthread_mutex_unlock(&ex->mu);
    if (ex->recordable && !ex->cancelled && ex->status && !ex->too_big)
        write_recording(rec, ex, failure);
    else if (ex->recordable && ex->too_big)
        server_log(rec->srv, LOG_WARN, "record: %s %s %d: answer larger than %u bytes or %d "
                   "frames; passed through, not written", ex->method, ex->path, ex->status,
                   RM_RECORD_MAX_BYTES, RM_MAX_TRANSCRIPT_EVENTS);
    else if (failure)
        server_log(rec->srv, LOG_WARN, "record: %s %s: upstream failed (%s); nothing written",
                   ex->method, ex->path, failure);
}

/* ---- the recorder thread --------------------------------------------------- */

/* Move the queued exchanges into the multi handle and the list in flight. */
static void take_queue(struct recorder *rec)
{
    struct rec_exchange *q;

    pthread_mutex_lock(&rec->mu);
    q = rec->queue;
    rec->queue = NULL;
    pthread_mutex_unlock(&rec->mu);
    while (q) {
        struct rec_exchange *next = q->next;

        if (CU->multi_add_handle(rec->multi, q->h) != CURLM_OK) {
            q->next = NULL;
            finish(rec, q, CURLE_OUT_OF_MEMORY);
            drop(rec, q);
        } else {
            q->next = rec->flight;
            rec->flight = q;
        }
        q = next;
    }
}

/* Take 'ex' out of the multi handle and the list in flight; drop the thread's reference. */
static void retire(struct recorder *rec, struct rec_exchange *ex)
{
    struct rec_exchange **pp;

    for (pp = &rec->flight; *pp && *pp != ex; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = ex->next;
    ex->next = NULL;
    CU->multi_remove_handle(rec->multi, ex->h);
    drop(rec, ex);
}

/* Resume the transfers whose client has read enough; end those the client
 * left (or all, when aborting). */
static void tend_flight(struct recorder *rec)
{
    struct rec_exchange *ex = rec->flight, *next;

    for (; ex; ex = next) {
        int resume, cancel;

        next = ex->next;
        pthread_mutex_lock(&ex->mu);
        cancel = ex->cancelled || atomic_load(&rec->aborting);
        ex->cancelled = cancel; /* the client left, or the server stops: nothing is written */
        resume = ex->paused && ex->want_resume;
        if (resume)
            ex->paused = ex->want_resume = 0;
        pthread_mutex_unlock(&ex->mu);
        if (cancel) {
            finish(rec, ex, CURLE_ABORTED_BY_CALLBACK);
            retire(rec, ex);
        } else if (resume) {
            CU->easy_pause(ex->h, CURLPAUSE_CONT);
        }
    }
}

static void *recorder_main(void *arg)
{
    struct recorder *rec = arg;

    while (!atomic_load(&rec->stopping)) {
        CURLMsg *msg;
        int running = 0, left;

        take_queue(rec);
        tend_flight(rec);
        CU->multi_perform(rec->multi, &running);
        while ((msg = CU->multi_info_read(rec->multi, &left))) {
            struct rec_exchange *ex = NULL;

            if (msg->msg != CURLMSG_DONE)
                continue;
            CU->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&ex);
            finish(rec, ex, msg->data.result);
            retire(rec, ex);
        }
        CU->multi_poll(rec->multi, NULL, 0, RM_RECORD_POLL_MS, NULL);
    }
    /* stopping: whatever is left ends now */
    atomic_store(&rec->aborting, 1);
    take_queue(rec);
    tend_flight(rec);
    return NULL;
}

/* ---- the public side (MHD worker threads) -------------------------------- */

int recorder_forwards(const char *path)
{
    return path && strncmp(path, "/v1", 3) == 0 && (path[3] == '/' || path[3] == '\0');
}

/* Request headers not passed on: hop-by-hop ones, those curl sets itself,
 * and respmock's own. */
static int not_forwarded(const char *name)
{
    static const char *const skip[] = {"host", "content-length", "connection", "keep-alive",
                                       "transfer-encoding", "expect", "te", "upgrade",
                                       "accept-encoding", "proxy-authorization", NULL};

    return strncasecmp(name, "x-respmock-", 11) == 0 || header_name_in(name, skip);
}

static int setup_easy(struct rec_exchange *ex, const struct rec_request *req)
{
    char line[RM_MAX_API_KEY_LEN + 256];
    unsigned i;
    CURL *h = ex->h = CU->easy_init();

    if (!h)
        return -1;
    for (i = 0; i < req->nheaders; i++) {
        if (not_forwarded(req->names[i]) ||
            (size_t)snprintf(line, sizeof(line), "%s: %s", req->names[i], req->values[i]) >=
                sizeof(line))
            continue;
        ex->req_headers = CU->slist_append(ex->req_headers, line);
    }
    explicit_bzero(line, sizeof(line)); /* it held the Authorization header */
    ex->req_headers = CU->slist_append(ex->req_headers, "Expect:"); /* no 100-continue wait */
    if (!ex->req_headers)
        return -1;
    CU->easy_setopt(h, CURLOPT_URL, ex->url);
    CU->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CU->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CU->easy_setopt(h, CURLOPT_HTTPHEADER, ex->req_headers);
    CU->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, RM_RECORD_CONNECT_MS);
    CU->easy_setopt(h, CURLOPT_TIMEOUT_MS, RM_RECORD_TOTAL_MS);
    CU->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    CU->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, RM_RECORD_IDLE_S);
    CU->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L); /* TLS verified, always */
    CU->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    CU->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    CU->easy_setopt(h, CURLOPT_HEADERDATA, ex);
    CU->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    CU->easy_setopt(h, CURLOPT_WRITEDATA, ex);
    CU->easy_setopt(h, CURLOPT_PRIVATE, ex);
    if (strcmp(req->method, "GET") != 0) {
        if (strcmp(req->method, "POST") != 0)
            CU->easy_setopt(h, CURLOPT_CUSTOMREQUEST, ex->method);
        if (req->body_len || strcmp(req->method, "POST") == 0) {
            CU->easy_setopt(h, CURLOPT_POSTFIELDS, ex->body ? ex->body : "");
            CU->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->body_len);
        }
    }
    return 0;
}

struct rec_exchange *recorder_start(struct recorder *rec, const struct rec_request *req)
{
    struct rec_exchange *ex;
    char url[RM_MAX_UPSTREAM_URL];
    int full;

    pthread_mutex_lock(&rec->mu);
    full = rec->in_flight >= RM_RECORD_MAX_EXCHANGES || atomic_load(&rec->aborting);
    if (!full)
        rec->in_flight++;
    pthread_mutex_unlock(&rec->mu);
    if (full)
        return NULL;
    ex = calloc(1, sizeof(*ex));
    if (!ex)
        goto fail_count;
    pthread_mutex_init(&ex->mu, NULL);
    ex->rec = rec;
    ex->refs = 2;
    buf_init(&ex->pending, RM_RECORD_PENDING + RM_STREAM_BLOCK * 4);
    buf_init(&ex->all, RM_RECORD_MAX_BYTES);
    snprintf(ex->method, sizeof(ex->method), "%s", req->method);
    snprintf(ex->path, sizeof(ex->path), "%s", req->path);
    ex->start_ms = ex->last_ms = server_now_ms();
    ex->recordable = strcmp(req->method, "POST") == 0 &&
                     (strcmp(req->path, "/v1/responses") == 0 ||
                      strcmp(req->path, "/v1/responses/") == 0 ||
                      strcmp(req->path, "/v1/chat/completions") == 0 ||
                      strcmp(req->path, "/v1/chat/completions/") == 0);
    if (ex->recordable)
        ex->request = json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
    if (ex->recordable && !json_is_object(ex->request))
        ex->recordable = 0; /* not a request the loader could match: forwarded only */
    full = snprintf(url, sizeof(url), "%s%s%s%s", rec->base, req->path + 3,
                    req->query && *req->query ? "?" : "", req->query ? req->query : "") >=
           (int)sizeof(url);
    ex->url = full ? NULL : strdup(url);
    if (req->body_len) {
        ex->body = malloc(req->body_len);
        if (ex->body)
            memcpy(ex->body, req->body, req->body_len);
        ex->body_len = req->body_len;
    }
    if (!ex->url || (req->body_len && !ex->body) || setup_easy(ex, req) != 0) {
        if (ex->h)
            CU->easy_cleanup(ex->h);
        exchange_free(ex);
        goto fail_count;
    }
    pthread_mutex_lock(&rec->mu);
    ex->next = rec->queue;
    rec->queue = ex;
    pthread_mutex_unlock(&rec->mu);
    CU->multi_wakeup(rec->multi);
    return ex;
fail_count:
    pthread_mutex_lock(&rec->mu);
    if (--rec->in_flight == 0)
        pthread_cond_broadcast(&rec->idle);
    pthread_mutex_unlock(&rec->mu);
    return NULL;
}

int recorder_head_ready(struct rec_exchange *ex, void (*park)(void *conn), void *conn)
{
    int ready;

    pthread_mutex_lock(&ex->mu);
    ready = ex->head_done || park_reader(ex, park, conn) != 0;
    pthread_mutex_unlock(&ex->mu);
    return ready;
}

int recorder_status(struct rec_exchange *ex, char *why, size_t why_len)
{
    int status;

    pthread_mutex_lock(&ex->mu);
    status = ex->status;
    snprintf(why, why_len, "%s", ex->failed ? ex->why
                                 : ex->done || ex->cancelled ? "the server is stopping"
                                                             : "no answer");
    pthread_mutex_unlock(&ex->mu);
    return status;
}

const char *recorder_content_type(struct rec_exchange *ex)
{
    return ex->content_type[0] ? ex->content_type : NULL; /* set before head_done */
}

int recorder_header(struct rec_exchange *ex, unsigned i, const char **name, const char **value)
{
    int rc = -1;

    pthread_mutex_lock(&ex->mu);
    if (i < ex->nheaders) { /* set before head_done, never changed after */
        *name = ex->headers[i].name;
        *value = ex->headers[i].value;
        rc = 0;
    }
    pthread_mutex_unlock(&ex->mu);
    return rc;
}

enum rec_read recorder_read(struct rec_exchange *ex, char *out, size_t max, size_t *n,
                            void (*park)(void *conn), void *conn)
{
    enum rec_read r;
    int poke = 0;

    *n = 0;
    pthread_mutex_lock(&ex->mu);
    if (ex->rpos < ex->pending.len) {
        *n = ex->pending.len - ex->rpos < max ? ex->pending.len - ex->rpos : max;
        memcpy(out, ex->pending.data + ex->rpos, *n);
        ex->rpos += *n;
        r = REC_DATA;
    } else if (ex->done) {
        r = ex->failed || ex->cancelled ? REC_FAILED : REC_END;
    } else {
        r = park_reader(ex, park, conn) == 0 ? REC_WAIT : REC_FAILED;
    }
    /* a paused upstream goes on once half the buffer is free */
    if (ex->paused && !ex->want_resume && ex->pending.len - ex->rpos < RM_RECORD_PENDING / 2)
        poke = ex->want_resume = 1;
    pthread_mutex_unlock(&ex->mu);
    if (poke)
        CU->multi_wakeup(ex->rec->multi);
    return r;
}

void recorder_release(struct rec_exchange *ex)
{
    struct recorder *rec;
    int poke;

    if (!ex)
        return;
    rec = ex->rec;
    pthread_mutex_lock(&ex->mu);
    poke = !ex->done;
    if (poke)
        ex->cancelled = 1;
    ex->parked = NULL;
    pthread_mutex_unlock(&ex->mu);
    if (poke)
        CU->multi_wakeup(rec->multi);
    exchange_unref(ex);
}

void recorder_abort_all(struct recorder *rec)
{
    if (!rec)
        return;
    atomic_store(&rec->aborting, 1);
    /* the thread ends every transfer at its next turn, waking their readers */
    pthread_mutex_lock(&rec->mu);
    while (rec->in_flight) {
        struct timespec until;

        CU->multi_wakeup(rec->multi);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rec->idle, &rec->mu, &until);
    }
    pthread_mutex_unlock(&rec->mu);
}

struct recorder *recorder_new(struct rm_server *srv, void (*wake)(void *conn),
                              struct mock_error *err)
{
    struct recorder *rec;
    const char *url = srv->cfg.record_from;
    char msg[256];
    size_t len;

    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) >= RM_MAX_UPSTREAM_URL / 2 || strpbrk(url, "?# \t\r\n")) {
        mock_error_set(err, NULL, 0, 0, "--record-from: expected an http:// or https:// base URL "
                                        "without query (shorter than %d bytes)",
                       RM_MAX_UPSTREAM_URL / 2);
        return NULL;
    }
    if (!srv->cfg.fixtures_dir) {
        mock_error_set(err, NULL, 0, 0, "--record-from needs --fixtures DIR to write to");
        return NULL;
    }
    if (!curl_dyn(msg, sizeof(msg))) {
        mock_error_set(err, NULL, 0, 0, "--record-from: %s", msg);
        return NULL;
    }
    rec = calloc(1, sizeof(*rec));
    if (!rec) {
        mock_error_set(err, NULL, 0, 0, "out of memory");
        return NULL;
    }
    CU->global_init(CURL_GLOBAL_DEFAULT); /* reference-counted by libcurl */
    rec->srv = srv;
    rec->wake = wake;
    len = strlen(url);
    while (len && url[len - 1] == '/')
        len--;
    snprintf(rec->base, sizeof(rec->base), "%.*s", (int)len, url);
    scrub_url(rec->base, rec->shown, sizeof(rec->shown));
    pthread_mutex_init(&rec->mu, NULL);
    pthread_cond_init(&rec->idle, NULL);
    if (redactor_init(&rec->redactor, srv->cfg.redact, msg, sizeof(msg)) != 0) {
        mock_error_set(err, NULL, 0, 0, "--redact: %s", msg);
        pthread_cond_destroy(&rec->idle);
        pthread_mutex_destroy(&rec->mu);
        free(rec);
        CU->global_cleanup();
        return NULL;
    }
    rec->multi = CU->multi_init();
    if (!rec->multi || pthread_create(&rec->thread, NULL, recorder_main, rec) != 0) {
        mock_error_set(err, NULL, 0, 0, "cannot start the recorder thread");
        recorder_free(rec);
        return NULL;
    }
    rec->thread_started = 1;
    return rec;
}

void recorder_free(struct recorder *rec)
{
    if (!rec)
        return;
    atomic_store(&rec->stopping, 1);
    if (rec->thread_started) {
        CU->multi_wakeup(rec->multi);
        pthread_join(rec->thread, NULL);
    }
    if (rec->multi)
        CU->multi_cleanup(rec->multi);
    redactor_release(&rec->redactor);
    pthread_cond_destroy(&rec->idle);
    pthread_mutex_destroy(&rec->mu);
    free(rec);
    CU->global_cleanup();
}
