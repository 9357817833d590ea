/* soak: the load behind scripts/soak (issue 14). Threads send a mixed load
 * to one respmock for SECONDS: JSON and streamed creates, chains
 * (previous_response_id), conversations, Chat Completions streams, error
 * fixtures, stream faults, and clients that hang up mid-stream; every
 * answer but a hang-up's is checked (status, the error envelope, JSON, and
 * every stream through respsmoke's stream checker). The main thread
 * samples the server's RSS and open descriptors (/proc/PID) each second.
 * At the end: every answer well-formed, RSS flat after the warm-up (the
 * first quarter): the mean of the last quarter within 10 % of the mean of
 * the second (RSS swings by a few MB from second to second with the
 * requests in flight and the reloads; a leak shows as a trend), and
 * descriptors back to where they were before the load. Prints the figures as key=value lines; exit 0 when
 * all hold. Loopback only: the URL must be http://127.0.0.1:PORT.
 *
 *   soak URL PID SECONDS [THREADS] */
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "stream_check.h"

#define SOAK_MAX_THREADS 32
#define SOAK_MAX_BODY (8u * 1024 * 1024)
#define SOAK_HANGUP_BYTES 200 /* a hang-up reads this much, then goes */

static const char *base;
static atomic_int stop;
static atomic_long sent, good, bad, hangups;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

enum kind { K_JSON, K_STREAM, K_CHAIN, K_CONVERSATION, K_CHAT, K_ERROR, K_FAULT, K_HANGUP, K_COUNT };
static const char *const kind_names[K_COUNT] = {"json", "stream", "chain", "conversation",
                                               "chat", "error", "fault", "hangup"};
static atomic_long per_kind[K_COUNT];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct exchange {
    struct buf body;
    long status;
    int hang_up; /* stop after SOAK_HANGUP_BYTES */
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    struct exchange *x = user;

    if (buf_append(&x->body, p, size * n) != 0)
        return 0;
    if (x->hang_up && x->body.len >= SOAK_HANGUP_BYTES)
        return 0; /* the client vanishes mid-stream */
    return size * n;
}

/* POST (or GET with body NULL) 'path'; the answer in 'x'. Returns curl's code. */
static CURLcode request(CURL *c, const char *path, const char *body, const char *extra,
                        struct exchange *x)
{
    char url[512];
    struct curl_slist *h = NULL;
    CURLcode rc;

    snprintf(url, sizeof(url), "%s%s", base, path);
    buf_init(&x->body, SOAK_MAX_BODY);
    h = curl_slist_append(h, "Authorization: Bearer sk-soak");
    h = curl_slist_append(h, "Content-Type: application/json");
    if (extra)
        h = curl_slist_append(h, extra);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    rc = curl_easy_perform(c);
    x->status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
    curl_slist_free_all(h);
    return rc;
}

static void fail(enum kind k, const char *why, const struct exchange *x)
{
    atomic_fetch_add(&bad, 1);
    pthread_mutex_lock(&report_lock);
    fprintf(stderr, "soak: %s: %s (HTTP %ld): %.200s\n", kind_names[k], why, x->status,
            x->body.data ? x->body.data : "");
    pthread_mutex_unlock(&report_lock);
}

/* A JSON object answer with 'status'; its "id" into 'id' when wanted. */
static int json_ok(enum kind k, const struct exchange *x, long status, char *id, size_t id_len)
{
    json_t *doc = x->body.data ? json_loadb(x->body.data, x->body.len, 0, NULL) : NULL;
    int ok = x->status == status && json_is_object(doc);

    if (ok && status >= 400) {
        json_t *e = json_object_get(doc, "error");
        ok = json_is_object(e) && json_is_string(json_object_get(e, "message")) &&
             json_object_get(e, "type") && json_object_get(e, "code") &&
             json_object_get(e, "param");
    }
    if (ok && id)
        snprintf(id, id_len, "%s", json_string_value(json_object_get(doc, "id"))
                                       ? json_string_value(json_object_get(doc, "id"))
                                       : "");
    json_decref(doc);
    if (!ok)
        fail(k, "not the expected JSON", x);
    return ok;
}

/* A stream every invariant of respsmoke's checker passes. */
static int stream_ok(enum kind k, enum stream_kind sk, const struct exchange *x)
{
    struct stream_report rep;
    int i;

    if (x->status != 200) {
        fail(k, "stream status", x);
        return 0;
    }
    stream_check_bytes(sk, x->body.data ? x->body.data : "", x->body.len, &rep);
    for (i = 0; i < STREAM_INV_COUNT; i++)
        if (rep.inv[i].state == 0) {
            char why[300];
            snprintf(why, sizeof(why), "stream check %s: %s",
                     stream_check_inv_name((enum stream_inv)i), rep.inv[i].reason);
            fail(k, why, x);
            return 0;
        }
    return 1;
}

static const char *const create_body = "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}";

/* One request of kind 'k'; 'last' is this thread's last response id. */
static void one(CURL *c, enum kind k, char *last, size_t last_len)
{
    struct exchange x;
    char body[512], id[128];
    CURLcode rc;
    int ok = 0;

    memset(&x, 0, sizeof(x));
    atomic_fetch_add(&sent, 1);
    atomic_fetch_add(&per_kind[k], 1);
    switch (k) {
    case K_JSON:
        rc = request(c, "/v1/responses", create_body, NULL, &x);
        ok = rc == CURLE_OK && json_ok(k, &x, 200, last, last_len);
        break;
    case K_STREAM:
        rc = request(c, "/v1/responses",
                     "{\"model\":\"gpt-4.1-mini\",\"input\":\"Please refuse this.\",\"stream\":true}",
                     NULL, &x);
        ok = rc == CURLE_OK && stream_ok(k, STREAM_RESPONSES, &x);
        break;
    case K_CHAIN:
        snprintf(body, sizeof(body),
                 "{\"model\":\"gpt-4.1-mini\",\"input\":\"and then?\"%s%s%s}",
                 last[0] ? ",\"previous_response_id\":\"" : "", last, last[0] ? "\"" : "");
        rc = request(c, "/v1/responses", body, NULL, &x);
        /* the previous one may have been evicted (the store is bounded) */
        ok = rc == CURLE_OK && (x.status == 400 ? json_ok(k, &x, 400, NULL, 0)
                                                : json_ok(k, &x, 200, last, last_len));
        break;
    case K_CONVERSATION:
        rc = request(c, "/v1/conversations",
                     "{\"items\":[{\"role\":\"user\",\"content\":\"hello\"}]}", NULL, &x);
        ok = rc == CURLE_OK && json_ok(k, &x, 200, id, sizeof(id));
        if (ok) {
            buf_release(&x.body);
            snprintf(body, sizeof(body),
                     "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"conversation\":\"%s\"}", id);
            rc = request(c, "/v1/responses", body, NULL, &x);
            ok = rc == CURLE_OK && json_ok(k, &x, 200, NULL, 0);
        }
        break;
    case K_CHAT:
        rc = request(c, "/v1/chat/completions",
                     "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                     "\"hi\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                     NULL, &x);
        ok = rc == CURLE_OK && stream_ok(k, STREAM_CHAT, &x);
        break;
    case K_ERROR:
        rc = request(c, "/v1/responses", create_body, "x-respmock-fixture: error-429", &x);
        ok = rc == CURLE_OK && json_ok(k, &x, 429, NULL, 0);
        break;
    case K_FAULT:
        /* an error event mid-stream: a well-formed stream that ends in error */
        rc = request(c, "/v1/responses",
                     "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}",
                     "x-respmock-fault: error;after_events=3", &x);
        ok = rc == CURLE_OK && x.status == 200 && x.body.len > 0 &&
             strstr(x.body.data, "event: error") != NULL;
        if (!ok)
            fail(k, "no error event", &x);
        break;
    case K_HANGUP:
    default:
        x.hang_up = 1;
        rc = request(c, "/v1/responses",
                     "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"stream\":true}",
                     "x-respmock-fault: stall;after_events=2;stall_ms=5000", &x);
        ok = rc == CURLE_WRITE_ERROR;
        if (ok)
            atomic_fetch_add(&hangups, 1);
        else
            fail(k, "did not hang up", &x);
        break;
    }
    if (ok && k != K_HANGUP)
        atomic_fetch_add(&good, 1);
    buf_release(&x.body);
}

static void *worker(void *arg)
{
    CURL *c = curl_easy_init();
    unsigned n = (unsigned)(uintptr_t)arg;
    char last[128] = "";

    while (c && !atomic_load(&stop))
        one(c, (enum kind)(n++ % K_COUNT), last, sizeof(last));
    curl_easy_cleanup(c);
    return NULL;
}

static long rss_kb(int pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static int fd_count(int pid)
{
    char path[64];
    DIR *d;
    struct dirent *de;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", pid);
    if (!(d = opendir(path)))
        return -1;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    pthread_t th[SOAK_MAX_THREADS];
    int pid, secs, nth, i, fd0, fd_end = -1;
    long rss0, rss_warm = -1, rss_max = 0, rss_end = 0, samples[4096];
    static char series[16384];
    size_t sn = 0, ns = 0, k;
    double early = 0, late = 0, growth;
    int n_early = 0, n_late = 0;
    double t0;
    int ok;

    if (argc < 4 || strncmp(argv[1], "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr, "usage: soak http://127.0.0.1:PORT PID SECONDS [THREADS]\n");
        return 2;
    }
    base = argv[1];
    pid = atoi(argv[2]);
    secs = atoi(argv[3]);
    nth = argc > 4 ? atoi(argv[4]) : 8;
    if (secs < 4 || nth < 1 || nth > SOAK_MAX_THREADS) {
        fprintf(stderr, "soak: SECONDS at least 4, THREADS 1-%d\n", SOAK_MAX_THREADS);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fd0 = fd_count(pid);
    rss0 = rss_kb(pid);
    t0 = now_s();
    for (i = 0; i < nth; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i * 3));
    while (now_s() - t0 < secs) {
        long r;

        sleep(1);
        r = rss_kb(pid);
        if (r < 0) {
            fprintf(stderr, "soak: the server is gone\n");
            atomic_store(&stop, 1);
            break;
        }
        if (rss_warm < 0 && now_s() - t0 >= secs / 4.0)
            rss_warm = r;
        if (rss_warm >= 0 && r > rss_max)
            rss_max = r;
        rss_end = r;
        if (ns < sizeof(samples) / sizeof(samples[0]))
            samples[ns++] = r;
        if (sn + 16 < sizeof(series))
            sn += (size_t)snprintf(series + sn, sizeof(series) - sn, "%s%ld", sn ? "," : "",
                                   r / 1024);
    }
    atomic_store(&stop, 1);
    for (i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    /* the hung-up streams' stalls end, the connections close */
    for (i = 0; i < 100 && (fd_end = fd_count(pid)) > fd0; i++)
        usleep(100 * 1000);
    for (k = 0; k < ns; k++) {
        if (k >= ns / 4 && k < ns / 2) {
            early += (double)samples[k];
            n_early++;
        } else if (k >= ns - ns / 4) {
            late += (double)samples[k];
            n_late++;
        }
    }
    early = n_early ? early / n_early : 0;
    late = n_late ? late / n_late : 0;
    growth = early > 0 ? 100.0 * (late - early) / early : 0;
    printf("seconds=%d\nthreads=%d\nrequests=%ld\nrequests_per_s=%.0f\nwell_formed=%ld\n"
           "bad=%ld\nhangups=%ld\n",
           secs, nth, atomic_load(&sent), (double)atomic_load(&sent) / secs, atomic_load(&good),
           atomic_load(&bad), atomic_load(&hangups));
    for (i = 0; i < K_COUNT; i++)
        printf("requests_%s=%ld\n", kind_names[i], atomic_load(&per_kind[i]));
    printf("rss_start_kb=%ld\nrss_after_warmup_kb=%ld\nrss_max_after_warmup_kb=%ld\n"
           "rss_end_kb=%ld\nrss_mean_second_quarter_kb=%.0f\nrss_mean_last_quarter_kb=%.0f\n"
           "rss_growth_after_warmup_pct=%.1f\nfds_before=%d\nfds_after=%d\n",
           rss0, rss_warm, rss_max, rss_end, early, late, growth, fd0, fd_end);
    ok = atomic_load(&bad) == 0 && atomic_load(&good) > 0 &&
         n_early > 0 && n_late > 0 && growth <= 10.0 && fd_end <= fd0;
    printf("rss_mb_each_second=%s\n", series);
    printf("result=%s\n", ok ? "pass" : "FAIL");
    curl_global_cleanup();
    return ok ? 0 : 1;
}
