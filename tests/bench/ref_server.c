/* ref_server: the bare libmicrohttpd reference of scripts/bench (not a test).
 *
 *   rm_bench_ref PORT THREADS BODY_FILE SSE_FILE
 *
 * The ceiling for this stack: a libmicrohttpd daemon configured as
 * respmock's http.c configures its own (internal polling thread, epoll, a
 * pool of THREADS), answering every POST with respmock's own reply bytes
 * captured by scripts/bench: BODY_FILE as application/json, or SSE_FILE as
 * text/event-stream when the request body asks for "stream":true. The
 * hex of every resp_/msg_/rs_/fc_ id in them is replaced per request (as
 * respmock makes fresh ids), and the same headers respmock sends are set.
 * Nothing else: no parsing, no validation, no store, no logging. Prints
 * "listening on http://127.0.0.1:PORT" when ready; SIGTERM/SIGINT stop it.
 * Loopback only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <microhttpd.h>
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

struct tmpl {
    char *bytes;
    size_t len;
    size_t at[REF_MAX_IDS]; /* offsets of id hex runs */
    size_t run[REF_MAX_IDS];
    size_t n;
};

struct conn {
    int stream;
    size_t seen;
};

static struct tmpl body_t, sse_t;
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
        cn->seen += *size;
        *size = 0;
        return MHD_YES;
    }
    t = cn->stream ? &sse_t : &body_t;
    bytes = splice(t);
    if (!bytes)
        return MHD_NO;
    r = MHD_create_response_from_buffer(t->len, bytes, MHD_RESPMEM_MUST_FREE);
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

    if (argc != 5) {
        fprintf(stderr, "usage: rm_bench_ref PORT THREADS BODY_FILE SSE_FILE\n");
        return 2;
    }
    threads = (unsigned)atoi(argv[2]);
    if (load(argv[3], &body_t) != 0 || load(argv[4], &sse_t) != 0) {
        fprintf(stderr, "rm_bench_ref: cannot read %s or %s\n", argv[3], argv[4]);
        return 1;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(0x7f000001); /* 127.0.0.1 */
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
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
    free(body_t.bytes);
    free(sse_t.bytes);
    return 0;
}
