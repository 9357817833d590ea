/* ref_server: the bare libmicrohttpd reference of scripts/bench (not a test).
 *
 *   rm_bench_ref PORT THREADS BODY_FILE SSE_FILE [SLOW_SSE_FILE FIRST_MS DELAY_MS]
 *
 * The ceiling for this stack: a libmicrohttpd daemon configured as
 * respmock's http.c configures its own (internal polling thread, epoll, a
 * pool of THREADS), answering every POST with respmock's own reply bytes
 * captured by scripts/bench: BODY_FILE as application/json, or SSE_FILE as
 * text/event-stream when the request body asks for "stream":true. The
 * hex of every resp_/msg_/rs_/fc_ id in them is replaced per request (as
 * respmock makes fresh ids), and the same headers respmock sends are set.
 * With SLOW_SSE_FILE, a request whose body names "model":"bench-slow" gets
 * that stream paced the way respmock paces one: its first event after
 * FIRST_MS, each next one DELAY_MS after the previous, the connection
 * suspended in between (MHD_suspend_connection) and resumed by one timer
 * thread (a min-heap): the ceiling for paced streams on this stack.
 * A request whose body also has "x_ref_chunked":true gets SSE_FILE the way
 * a libmicrohttpd SSE server streams one, and respmock does: from a content
 * reader of unknown size (chunked), REF_STREAM_BLOCK bytes per call, instead
 * of as one buffer with a Content-Length.
 * Nothing else: no parsing, no validation, no store, no logging. Prints
 * "listening on http://127.0.0.1:PORT" when ready; SIGTERM/SIGINT stop it.
 * Loopback only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <time.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REF_MAX_FILE (4u * 1024 * 1024) /* a captured reply */
#define REF_MAX_IDS 4096                /* id hex runs spliced per reply */
#define REF_MAX_BODY (64u * 1024)       /* request body read (the rest is ignored) */
#define REF_STREAM_BLOCK 16384          /* bytes per content-reader call (respmock's RM_STREAM_BLOCK) */

struct tmpl {
    char *bytes;
    size_t len;
    size_t at[REF_MAX_IDS]; /* offsets of id hex runs */
    size_t run[REF_MAX_IDS];
    size_t n;
};

#define REF_MAX_FRAMES 4096  /* events of the paced stream */
#define REF_MAX_WAITING 16384 /* paced streams waiting at once */

struct conn {
    int stream, slow, chunked;
    size_t seen;
};

/* A chunked stream: its bytes (ids spliced) and how far they are sent. */
struct chunked {
    char *bytes;
    size_t len;
};

static ssize_t chunked_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct chunked *ch = cls;
    size_t n;

    if (pos >= ch->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = ch->len - (size_t)pos < max ? ch->len - (size_t)pos : max;
    memcpy(buf, ch->bytes + pos, n);
    return (ssize_t)n;
}

static void chunked_free(void *cls)
{
    struct chunked *ch = cls;

    free(ch->bytes);
    free(ch);
}

/* One paced stream: its bytes (ids spliced), where each frame ends, the
 * next frame and when it is due. */
struct paced {
    struct MHD_Connection *conn;
    char *bytes;
    size_t idx, off;
    int64_t due_ms;
};

static struct tmpl body_t, sse_t, slow_t;
static size_t slow_ends[REF_MAX_FRAMES], slow_nframes;
static unsigned first_ms, delay_ms;

/* The timer: a min-heap of (due, connection), one thread resuming them. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t due[REF_MAX_WAITING];
    struct MHD_Connection *conn[REF_MAX_WAITING];
    size_t n;
    int stop;
} tm = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, {0}, 0, 0};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void heap_swap(size_t a, size_t b)
{
    int64_t d = tm.due[a];
    struct MHD_Connection *c = tm.conn[a];

    tm.due[a] = tm.due[b];
    tm.conn[a] = tm.conn[b];
    tm.due[b] = d;
    tm.conn[b] = c;
}

/* Resume 'c' at 'due'. Returns 0, or -1 when full. */
static int timer_add(int64_t due, struct MHD_Connection *c)
{
    size_t i;

    pthread_mutex_lock(&tm.mu);
    if (tm.n == REF_MAX_WAITING) {
        pthread_mutex_unlock(&tm.mu);
        return -1;
    }
    i = tm.n++;
    tm.due[i] = due;
    tm.conn[i] = c;
    while (i && tm.due[(i - 1) / 2] > tm.due[i]) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    if (i == 0)
        pthread_cond_signal(&tm.cv);
    pthread_mutex_unlock(&tm.mu);
    return 0;
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&tm.mu);
    while (!tm.stop) {
        int64_t now = now_ms();

        if (!tm.n) {
            pthread_cond_wait(&tm.cv, &tm.mu);
        } else if (tm.due[0] > now) {
            struct timespec ts;
            int64_t due = tm.due[0] - now;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += due / 1000;
            ts.tv_nsec += (long)(due % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&tm.cv, &tm.mu, &ts);
        } else {
            struct MHD_Connection *c = tm.conn[0];
            size_t i = 0;

            tm.n--;
            tm.due[0] = tm.due[tm.n];
            tm.conn[0] = tm.conn[tm.n];
            for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < tm.n && tm.due[l] < tm.due[m])
                    m = l;
                if (r < tm.n && tm.due[r] < tm.due[m])
                    m = r;
                if (m == i)
                    break;
                heap_swap(i, m);
                i = m;
            }
            pthread_mutex_unlock(&tm.mu);
            MHD_resume_connection(c);
            pthread_mutex_lock(&tm.mu);
        }
    }
    pthread_mutex_unlock(&tm.mu);
    return NULL;
}

/* The paced stream's content reader: what is due, else suspend. */
static ssize_t paced_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct paced *p = cls;
    int64_t now = now_ms();
    size_t n, end;

    (void)pos;
    if (p->idx == slow_nframes)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (p->due_ms < 0)
        p->due_ms = now + (p->idx ? delay_ms : first_ms);
    if (now < p->due_ms) {
        MHD_suspend_connection(p->conn);
        if (timer_add(p->due_ms, p->conn) != 0)
            MHD_resume_connection(p->conn);
        return 0;
    }
    end = slow_ends[p->idx]; /* the due frame, as much of it as fits */
    n = end - p->off < max ? end - p->off : max;
    memcpy(out, p->bytes + p->off, n);
    p->off += n;
    if (p->off == end) {
        p->idx++;
        p->due_ms = -1; /* the next one counts from now */
    }
    return (ssize_t)n;
}

static void paced_free(void *cls)
{
    struct paced *p = cls;

    free(p->bytes);
    free(p);
}
static atomic_ulong counter;
static volatile sig_atomic_t stop;

static int load(const char *path, struct tmpl *t)
{
    FILE *f = fopen(path, "rb");
    static const char *const prefixes[] = {"\"resp_", "\"msg_", "\"rs_", "\"fc_", NULL};
    size_t i;

    if (!f)
        return -1;
    t->bytes = malloc(REF_MAX_FILE);
    t->len = t->bytes ? fread(t->bytes, 1, REF_MAX_FILE, f) : 0;
    fclose(f);
    if (!t->len)
        return -1;
    for (i = 0; i < t->len && t->n < REF_MAX_IDS; i++) {
        const char *const *p;
        for (p = prefixes; *p; p++) {
            size_t pl = strlen(*p), j;
            if (i + pl > t->len || memcmp(t->bytes + i, *p, pl) != 0)
                continue;
            for (j = i + pl; j < t->len && strchr("0123456789abcdef", t->bytes[j]) && t->bytes[j];)
                j++;
            if (j - (i + pl) >= 16) {
                t->at[t->n] = i + pl;
                t->run[t->n] = j - (i + pl);
                t->n++;
            }
            i = j;
            break;
        }
    }
    return 0;
}

/* A copy of 't' with fresh hex in every id run. */
static char *splice(const struct tmpl *t)
{
    static const char hex[] = "0123456789abcdef";
    char *out = malloc(t->len);
    unsigned long seed = atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15UL + 1;
    size_t i, k;

    if (!out)
        return NULL;
    memcpy(out, t->bytes, t->len);
    for (i = 0; i < t->n; i++)
        for (k = 0; k < t->run[i]; k++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            out[t->at[i] + k] = hex[seed & 15];
        }
    return out;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    struct conn *cn = *state;
    struct MHD_Response *r;
    const struct tmpl *t;
    enum MHD_Result ret;
    char rid[40];
    char *bytes;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    if (!cn) {
        cn = calloc(1, sizeof(*cn));
        if (!cn)
            return MHD_NO;
        *state = cn;
        return MHD_YES;
    }
    if (*size) {
        if (cn->seen < REF_MAX_BODY && memmem(data, *size, "\"stream\":true", 13))
            cn->stream = 1;
        if (slow_nframes && cn->seen < REF_MAX_BODY &&
            memmem(data, *size, "\"model\":\"bench-slow\"", 20))
            cn->slow = 1;
        if (cn->seen < REF_MAX_BODY && memmem(data, *size, "\"x_ref_chunked\":true", 20))
            cn->chunked = 1;
        cn->seen += *size;
        *size = 0;
        return MHD_YES;
    }
    t = cn->slow ? &slow_t : cn->stream ? &sse_t : &body_t;
    bytes = splice(t);
    if (!bytes)
        return MHD_NO;
    if (cn->slow) {
        struct paced *p = calloc(1, sizeof(*p));

        if (!p) {
            free(bytes);
            return MHD_NO;
        }
        p->conn = c;
        p->bytes = bytes;
        p->due_ms = -1;
        cn->stream = 1;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, paced_reader, p,
                                              paced_free);
    } else if (cn->stream && cn->chunked) {
        struct chunked *ch = calloc(1, sizeof(*ch));

        if (!ch) {
            free(bytes);
            return MHD_NO;
        }
        ch->bytes = bytes;
        ch->len = t->len;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, REF_STREAM_BLOCK, chunked_reader,
                                              ch, chunked_free);
    } else {
        r = MHD_create_response_from_buffer(t->len, bytes, MHD_RESPMEM_MUST_FREE);
    }
    snprintf(rid, sizeof(rid), "req_%032lx", atomic_load(&counter));
    MHD_add_response_header(r, "Content-Type",
                            cn->stream ? "text/event-stream; charset=utf-8" : "application/json");
    MHD_add_response_header(r, "x-request-id", rid);
    MHD_add_response_header(r, "openai-processing-ms", "0");
    MHD_add_response_header(r, "openai-version", "2020-10-01");
    if (cn->stream)
        MHD_add_response_header(r, "cache-control", "no-cache");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*state);
    *state = NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    unsigned threads;

    pthread_t timer;

    if (argc != 5 && argc != 8) {
        fprintf(stderr, "usage: rm_bench_ref PORT THREADS BODY_FILE SSE_FILE "
                        "[SLOW_SSE_FILE FIRST_MS DELAY_MS]\n");
        return 2;
    }
    threads = (unsigned)atoi(argv[2]);
    if (load(argv[3], &body_t) != 0 || load(argv[4], &sse_t) != 0 ||
        (argc == 8 && load(argv[5], &slow_t) != 0)) {
        fprintf(stderr, "rm_bench_ref: cannot read %s, %s or %s\n", argv[3], argv[4],
                argc == 8 ? argv[5] : "-");
        return 1;
    }
    if (argc == 8) {
        size_t i;

        first_ms = (unsigned)atoi(argv[6]);
        delay_ms = (unsigned)atoi(argv[7]);
        for (i = 0; i + 1 < slow_t.len && slow_nframes < REF_MAX_FRAMES; i++)
            if (slow_t.bytes[i] == '\n' && slow_t.bytes[i + 1] == '\n')
                slow_ends[slow_nframes++] = i + 2;
        if (pthread_create(&timer, NULL, timer_main, NULL) != 0)
            return 1;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(0x7f000001); /* 127.0.0.1 */
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                             MHD_ALLOW_SUSPEND_RESUME,
                         0, NULL, NULL,
                         on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                         MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "rm_bench_ref: cannot listen\n");
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://127.0.0.1:%u\n", info ? info->port : 0);
    fflush(stdout);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    if (argc == 8) {
        pthread_mutex_lock(&tm.mu);
        tm.stop = 1;
        pthread_cond_signal(&tm.cv);
        pthread_mutex_unlock(&tm.mu);
        pthread_join(timer, NULL);
    }
    free(body_t.bytes);
    free(sse_t.bytes);
    free(slow_t.bytes);
    return 0;
}
