/* stream_bench: a small load tool for scripts/bench (not a test).
 *
 *   rm_stream_bench json    BASE_URL REQUESTS CONCURRENCY
 *       POST /v1/responses without stream REQUESTS times over CONCURRENCY
 *       keep-alive connections; prints requests/s.
 *   rm_stream_bench streams BASE_URL N MODEL EVENTS FIRST_MS DELAY_MS
 *       opens N streaming requests for MODEL at once and parses every event
 *       as it arrives (shared SSE parser); checks each stream has EVENTS
 *       events ending in response.completed; prints, against the scripted
 *       time FIRST_MS + (EVENTS-1)*DELAY_MS, the wall time and each
 *       stream's span (its request sent to its last event, p50/p99); the
 *       first event's arrival after its request was sent and after the
 *       phase began (the latter includes making N connections); and the
 *       error of the inter-event gaps (gap - DELAY_MS) at p50/p99/max.
 *
 * Output is "key=value" lines. Loopback only: BASE_URL must be
 * http://127.0.0.1:PORT or http://[::1]:PORT. Everything is bounded: at
 * most 100000 requests, 2000 streams, 60 s per phase. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "sse.h"

#define BENCH_MAX_REQUESTS 100000L
#define BENCH_MAX_STREAMS 2000L
#define BENCH_MAX_EVENTS 10000L
#define BENCH_PHASE_S 60.0

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*end || end == s || v < lo || v > hi) {
        fprintf(stderr, "rm_stream_bench: %s must be %ld..%ld\n", what, lo, hi);
        exit(2);
    }
    return v;
}

static struct curl_slist *auth_headers(void)
{
    struct curl_slist *hl = NULL;

    hl = curl_slist_append(hl, "Authorization: Bearer bench-key");
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    return hl;
}

/* ---- json: non-streaming requests/s ----------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

static int bench_json(const char *base, long requests, long conc)
{
    CURLM *m = curl_multi_init();
    CURL **easy = calloc((size_t)conc, sizeof(*easy));
    struct curl_slist *hl = auth_headers();
    char url[256];
    long started = 0, done = 0, failed = 0;
    double t0, wall;
    int running;
    long i;

    snprintf(url, sizeof(url), "%s/v1/responses", base);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
    for (i = 0; i < conc; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS,
                         "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\",\"store\":false}");
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
    }
    t0 = now_s();
    for (i = 0; i < conc && started < requests; i++, started++)
        curl_multi_add_handle(m, easy[i]);
    do {
        CURLMsg *msg;
        int left;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left))) {
            long status = 0;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200)
                failed++;
            done++;
            curl_multi_remove_handle(m, msg->easy_handle);
            if (started < requests && now_s() - t0 < BENCH_PHASE_S) {
                curl_multi_add_handle(m, msg->easy_handle); /* reuses its connection */
                started++;
                running = 1;
            }
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    } while (running || done < started);
    wall = now_s() - t0;
    printf("json_requests=%ld\njson_failed=%ld\njson_concurrency=%ld\njson_wall_s=%.3f\n"
           "json_rps=%.0f\n",
           done, failed, conc, wall, wall > 0 ? (double)done / wall : 0.0);
    for (i = 0; i < conc; i++)
        curl_easy_cleanup(easy[i]);
    free(easy);
    curl_slist_free_all(hl);
    curl_multi_cleanup(m);
    return failed ? 1 : 0;
}

/* ---- streams: many slow streams at once -------------------------------- */

struct bstream {
    struct sse_parser p;
    double *at;          /* arrival time of each event since t0 */
    long n;              /* events seen */
    int completed;       /* last event was response.completed */
    int bad;             /* non-JSON, wrong sequence, or too many events */
    double t0;
    double sent;         /* when libcurl was about to send the request, since t0 */
};

/* Just before the request goes out on its connected socket. */
static int on_prereq(void *user, char *ip, char *local_ip, int port, int local_port)
{
    struct bstream *b = user;

    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    b->sent = now_s() - b->t0;
    return CURL_PREREQFUNC_OK;
}

static int on_event(const struct sse_event *ev, void *user)
{
    struct bstream *b = user;
    char want[64];

    if (b->n >= BENCH_MAX_EVENTS) {
        b->bad = 1;
        return 1;
    }
    b->at[b->n] = now_s() - b->t0;
    snprintf(want, sizeof(want), "\"sequence_number\":%ld", b->n);
    if (!strstr(ev->data, want))
        b->bad = 1;
    b->completed = ev->event && strcmp(ev->event, "response.completed") == 0;
    b->n++;
    return 0;
}

static size_t on_stream_body(char *p, size_t size, size_t n, void *user)
{
    struct bstream *b = user;

    if (sse_parser_feed(&b->p, p, size * n, on_event, b) < 0)
        b->bad = 1;
    return size * n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    size_t i;

    if (!n)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* The streams phase drives libcurl from epoll (curl_multi_socket_action):
 * each wake costs the sockets that are ready, not all N of them, so with
 * 1000 streams the client does not add its own O(N) walk to every event's
 * arrival time (curl_multi_perform + curl_multi_poll did). */
struct sock_loop {
    int ep;
    CURLM *m;
    double deadline; /* when libcurl wants its timeout action, or < 0 */
};

static int on_socket(CURL *e, curl_socket_t s, int what, void *user, void *sockp)
{
    struct sock_loop *l = user;
    struct epoll_event ev;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(l->ep, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(l->m, s, NULL);
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = s;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (sockp)
        return epoll_ctl(l->ep, EPOLL_CTL_MOD, s, &ev) == 0 ? 0 : -1;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, s, &ev) != 0)
        return -1;
    curl_multi_assign(l->m, s, l); /* any non-NULL mark: "added" */
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *user)
{
    struct sock_loop *l = user;

    (void)m;
    l->deadline = timeout_ms < 0 ? -1.0 : now_s() + (double)timeout_ms / 1000.0;
    return 0;
}

static int loop_init(struct sock_loop *l, CURLM *m)
{
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->m = m;
    l->deadline = -1.0;
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, l);
    return l->ep < 0 ? -1 : 0;
}

/* Until every transfer is done (or the phase's time is up). */
static void loop_run(struct sock_loop *l, double t0)
{
    struct epoll_event evs[256];
    int running = 1;

    curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0, &running);
    while (running && now_s() - t0 < BENCH_PHASE_S + 5) {
        int wait_ms = 100, n, i;

        if (l->deadline >= 0) {
            double left = (l->deadline - now_s()) * 1000.0;

            wait_ms = left <= 0 ? 0 : left < 100 ? (int)left + 1 : 100;
        }
        n = epoll_wait(l->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), wait_ms);
        for (i = 0; i < n; i++) {
            int flags = 0;

            if (evs[i].events & EPOLLIN)
                flags |= CURL_CSELECT_IN;
            if (evs[i].events & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
            if (evs[i].events & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;
            curl_multi_socket_action(l->m, evs[i].data.fd, flags, &running);
        }
        if (l->deadline >= 0 && now_s() >= l->deadline) {
            l->deadline = -1.0;
            curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
    }
}

static int bench_streams(const char *base, long n, const char *model, long events, long first_ms,
                         long delay_ms)
{
    CURLM *m = curl_multi_init();
    CURL **easy = calloc((size_t)n, sizeof(*easy));
    struct bstream *bs = calloc((size_t)n, sizeof(*bs));
    struct curl_slist *hl = auth_headers();
    size_t ngaps = 0, gi = 0;
    double *gaps, *firsts, *sents, *spans, t0, wall, scripted, ends_max = 0;
    char url[256], body[256];
    struct sock_loop loop;
    long i, ok = 0;

    snprintf(url, sizeof(url), "%s/v1/responses", base);
    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"input\":\"hello\",\"stream\":true,"
             "\"store\":false}", model);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
    if (loop_init(&loop, m) != 0) {
        fprintf(stderr, "rm_stream_bench: epoll_create1 failed\n");
        free(easy);
        free(bs);
        curl_slist_free_all(hl);
        curl_multi_cleanup(m);
        return 1;
    }
    t0 = now_s();
    for (i = 0; i < n; i++) {
        sse_parser_init(&bs[i].p, 1024 * 1024);
        bs[i].at = calloc((size_t)BENCH_MAX_EVENTS, sizeof(double));
        bs[i].t0 = t0;
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_stream_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &bs[i]);
        curl_easy_setopt(easy[i], CURLOPT_PREREQFUNCTION, on_prereq);
        curl_easy_setopt(easy[i], CURLOPT_PREREQDATA, &bs[i]);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, (long)BENCH_PHASE_S);
        curl_multi_add_handle(m, easy[i]);
    }
    loop_run(&loop, t0);
    wall = now_s() - t0;
    scripted = (double)(first_ms + (events - 1) * delay_ms) / 1000.0;
    for (i = 0; i < n; i++)
        if (bs[i].n > 1)
            ngaps += (size_t)(bs[i].n - 1);
    gaps = calloc(ngaps ? ngaps : 1, sizeof(double));
    firsts = calloc((size_t)n, sizeof(double));
    sents = calloc((size_t)n, sizeof(double));
    spans = calloc((size_t)n, sizeof(double));
    for (i = 0; i < n; i++) {
        long k;

        if (bs[i].n == events && bs[i].completed && !bs[i].bad)
            ok++;
        for (k = 1; k < bs[i].n; k++)
            gaps[gi++] = (bs[i].at[k] - bs[i].at[k - 1]) * 1000.0 - (double)delay_ms;
        firsts[i] = bs[i].n ? bs[i].at[0] * 1000.0 : 0;
        sents[i] = bs[i].n ? (bs[i].at[0] - bs[i].sent) * 1000.0 : 0;
        spans[i] = bs[i].n ? bs[i].at[bs[i].n - 1] - bs[i].sent : 0;
        if (bs[i].n && bs[i].at[bs[i].n - 1] > ends_max)
            ends_max = bs[i].at[bs[i].n - 1];
    }
    qsort(gaps, gi, sizeof(double), cmp_double);
    qsort(firsts, (size_t)n, sizeof(double), cmp_double);
    qsort(sents, (size_t)n, sizeof(double), cmp_double);
    qsort(spans, (size_t)n, sizeof(double), cmp_double);
    printf("streams=%ld\nstreams_ok=%ld\nstream_events=%ld\nstream_scripted_s=%.3f\n"
           "stream_wall_s=%.3f\nstream_overhead_pct=%.1f\n"
           "stream_span_s_p50=%.3f\nstream_span_s_p99=%.3f\n"
           "first_event_ms_p50=%.1f\nfirst_event_ms_p99=%.1f\n"
           "first_event_after_send_ms_p50=%.1f\nfirst_event_after_send_ms_p99=%.1f\n"
           "gap_error_ms_min=%.2f\ngap_error_ms_p50=%.2f\ngap_error_ms_p99=%.2f\n"
           "gap_error_ms_max=%.2f\n",
           n, ok, events, scripted, wall, scripted > 0 ? (wall / scripted - 1) * 100 : 0,
           pct(spans, (size_t)n, 0.5), pct(spans, (size_t)n, 0.99),
           pct(firsts, (size_t)n, 0.5), pct(firsts, (size_t)n, 0.99), pct(sents, (size_t)n, 0.5),
           pct(sents, (size_t)n, 0.99), gi ? gaps[0] : 0,
           pct(gaps, gi, 0.5), pct(gaps, gi, 0.99), gi ? gaps[gi - 1] : 0);
    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
        sse_parser_release(&bs[i].p);
        free(bs[i].at);
    }
    free(gaps);
    free(firsts);
    free(sents);
    free(spans);
    free(easy);
    free(bs);
    curl_slist_free_all(hl);
    curl_multi_cleanup(m);
    close(loop.ep);
    return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 3 || (strncmp(argv[2], "http://127.0.0.1:", 17) != 0 &&
                     strncmp(argv[2], "http://[::1]:", 13) != 0)) {
        fprintf(stderr, "usage: rm_stream_bench json BASE REQUESTS CONCURRENCY\n"
                        "       rm_stream_bench streams BASE N MODEL EVENTS FIRST_MS DELAY_MS\n"
                        "BASE is http://127.0.0.1:PORT (loopback only)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(argv[1], "json") == 0 && argc == 5)
        rc = bench_json(argv[2], arg_long(argv[3], 1, BENCH_MAX_REQUESTS, "REQUESTS"),
                        arg_long(argv[4], 1, 1000, "CONCURRENCY"));
    else if (strcmp(argv[1], "streams") == 0 && argc == 8)
        rc = bench_streams(argv[2], arg_long(argv[3], 1, BENCH_MAX_STREAMS, "N"), argv[4],
                           arg_long(argv[5], 1, BENCH_MAX_EVENTS, "EVENTS"),
                           arg_long(argv[6], 0, 60000, "FIRST_MS"),
                           arg_long(argv[7], 0, 60000, "DELAY_MS"));
    else {
        fprintf(stderr, "rm_stream_bench: bad arguments (run without any for usage)\n");
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
