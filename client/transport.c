/* transport: libcurl requests with retries and bounded bodies (see transport.h).
 * One easy handle per transport, reset before each attempt so connections are reused. */
#include "transport.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client_limits.h"
#include "contract.h"

/* Per-attempt state shared with the libcurl callbacks. */
struct attempt {
    CURL *curl;
    const struct transport_request *req;
    struct transport_reply *rep;
    char retry_after[64];     /* "retry-after" header value */
    char retry_after_ms[64];  /* "retry-after-ms" header value */
    char should_retry[16];    /* "x-should-retry" header value */
    int too_large;            /* a body went over its limit */
    int stream_stopped;       /* the stream callback asked to stop */
};

int transport_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void transport_global_cleanup(void)
{
    curl_global_cleanup();
}

int transport_init(struct transport *t, const struct transport_config *cfg)
{
    t->cfg = *cfg;
    t->curl = curl_easy_init();
    return t->curl ? 0 : -1;
}

void transport_release(struct transport *t)
{
    if (t && t->curl) {
        curl_easy_cleanup(t->curl);
        t->curl = NULL;
    }
}

void transport_reply_release(struct transport_reply *rep)
{
    buf_release(&rep->body);
}

int transport_should_retry(long status)
{
    return status == 429 || status >= 500;
}

long transport_retry_delay_ms(const char *retry_after_ms, const char *retry_after, int attempt,
                              long now)
{
    long delay = 0;
    char *end;

    if (retry_after_ms && *retry_after_ms) {
        double v = strtod(retry_after_ms, &end);
        /* a positive value below 1 ms still means "wait", not "no header" */
        if (end != retry_after_ms && v > 0)
            delay = v > (double)SMOKE_MAX_RETRY_DELAY_MS ? SMOKE_MAX_RETRY_DELAY_MS
                    : v < 1                              ? 1
                                                         : (long)v;
    }
    if (delay <= 0 && retry_after && *retry_after) {
        /* seconds as a number (the SDKs accept fractions such as "1.5"), else an HTTP date */
        double secs = strtod(retry_after, &end);
        while (*end == ' ')
            end++;
        if (end != retry_after && *end == '\0' && (isdigit((unsigned char)*retry_after) ||
                                                   *retry_after == '.' || *retry_after == '-' ||
                                                   *retry_after == '+')) {
            if (secs > 0)
                delay = secs * 1000 > (double)SMOKE_MAX_RETRY_DELAY_MS ? SMOKE_MAX_RETRY_DELAY_MS
                        : secs * 1000 < 1                               ? 1
                                                                        : (long)(secs * 1000);
        } else {
            time_t when = curl_getdate(retry_after, NULL);
            if (when > (time_t)now)
                delay = (long)(when - (time_t)now) > SMOKE_MAX_RETRY_DELAY_MS / 1000
                            ? SMOKE_MAX_RETRY_DELAY_MS
                            : (long)(when - (time_t)now) * 1000;
        }
    }
    if (delay <= 0) {
        delay = 500;
        while (attempt-- > 0 && delay < 8000)
            delay *= 2;
        if (delay > 8000)
            delay = 8000;
    }
    return delay;
}

/* Copy a header value (trimmed) into 'out' when 'line' is "name: value". */
static int header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name), vlen;
    const char *v, *end = line + len;

    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    v = line + nl + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    vlen = (size_t)(end - v);
    if (vlen >= n)
        vlen = n - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *user)
{
    struct attempt *a = user;
    size_t len = size * nmemb;
    char ct[96];

    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (e.g. after 100 Continue): forget earlier headers */
        a->rep->content_type[0] = '\0';
        a->retry_after[0] = a->retry_after_ms[0] = a->should_retry[0] = '\0';
        return len;
    }
    if (header_value(p, len, "content-type", ct, sizeof(ct))) {
        size_t i;
        for (i = 0; ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < sizeof(ct); i++)
            a->rep->content_type[i] = (char)tolower((unsigned char)ct[i]);
        a->rep->content_type[i] = '\0';
    }
    header_value(p, len, "retry-after", a->retry_after, sizeof(a->retry_after));
    header_value(p, len, "retry-after-ms", a->retry_after_ms, sizeof(a->retry_after_ms));
    header_value(p, len, "x-should-retry", a->should_retry, sizeof(a->should_retry));
    return len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *user)
{
    struct attempt *a = user;
    size_t len = size * nmemb;
    long status = 0;

    curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
    if (a->req->on_stream && status >= 200 && status < 300) {
        if (a->rep->stream_bytes + len > SMOKE_MAX_STREAM) {
            a->too_large = 1;
            return 0;
        }
        a->rep->stream_bytes += len;
        if (a->req->on_stream(p, len, a->req->user) != 0) {
            a->stream_stopped = 1;
            return 0;
        }
        return len;
    }
    if (buf_append(&a->rep->body, p, len)) {
        a->too_large = 1;
        return 0;
    }
    return len;
}

static enum transport_fail classify(CURLcode rc, const struct attempt *a)
{
    double connect_s = 0;

    switch (rc) {
    case CURLE_OK:
        return TRANSPORT_OK;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
        return TRANSPORT_UNREACHABLE;
    case CURLE_OPERATION_TIMEDOUT:
        curl_easy_getinfo(a->curl, CURLINFO_CONNECT_TIME, &connect_s);
        return (a->rep->status == 0 && connect_s <= 0) ? TRANSPORT_UNREACHABLE
                                                       : TRANSPORT_TIMEOUT;
    case CURLE_WRITE_ERROR:
        if (a->too_large)
            return TRANSPORT_TOO_LARGE;
        return TRANSPORT_BROKEN;
    default:
        return TRANSPORT_BROKEN;
    }
}

/* One attempt. Returns the CURLcode. */
static CURLcode perform(struct transport *t, const struct transport_request *req,
                        struct attempt *a)
{
    CURL *c = t->curl;
    struct curl_slist *hl = NULL;
    char url[2048], errbuf[CURL_ERROR_SIZE];
    CURLcode rc;

    errbuf[0] = '\0';
    snprintf(url, sizeof(url), "%s%s", t->cfg.base_url, req->path);
    curl_easy_reset(c);
    if (req->auth == TRANSPORT_AUTH_KEY || req->auth == TRANSPORT_AUTH_OTHER) {
        /* sized to the key: a long bearer token (a gateway JWT) is never cut short */
        const char *key = req->auth == TRANSPORT_AUTH_KEY ? t->cfg.api_key : req->auth_other;
        size_t alen = sizeof("Authorization: Bearer ") + (key ? strlen(key) : 0);
        char *auth = malloc(alen);
        if (!auth)
            return CURLE_OUT_OF_MEMORY;
        snprintf(auth, alen, "Authorization: Bearer %s", key ? key : "");
        hl = curl_slist_append(hl, auth);
        memset(auth, 0, alen); /* the list holds its own copy */
        free(auth);
    }
    if (req->body)
        hl = curl_slist_append(hl, "Content-Type: " RM_CT_JSON);
    hl = curl_slist_append(hl, "Accept: " RM_CT_JSON);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "respsmoke/" RM_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, t->cfg.timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, t->cfg.timeout_s < 30 ? t->cfg.timeout_s : 30L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
        }
    }
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->rep->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &a->rep->seconds);
    if (rc != CURLE_OK)
        snprintf(a->rep->error, sizeof(a->rep->error), "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int transport_send(struct transport *t, const struct transport_request *req,
                   struct transport_reply *rep)
{
    int attempt;

    memset(rep, 0, sizeof(*rep));
    buf_init(&rep->body, SMOKE_MAX_BODY);
    for (attempt = 0;; attempt++) {
        struct attempt a;
        CURLcode rc;

        memset(&a, 0, sizeof(a));
        a.curl = t->curl;
        a.req = req;
        a.rep = rep;
        buf_reset(&rep->body);
        rep->status = 0;
        rep->content_type[0] = '\0';
        rep->error[0] = '\0';
        rep->attempts = attempt + 1;
        rc = perform(t, req, &a);
        rep->fail = classify(rc, &a);
        if (rep->fail == TRANSPORT_OK && transport_should_retry(rep->status) &&
            strcasecmp(a.should_retry, "false") != 0 && attempt < t->cfg.retries &&
            rep->stream_bytes == 0) {
            sleep_ms(transport_retry_delay_ms(a.retry_after_ms, a.retry_after, attempt,
                                              (long)time(NULL)));
            continue;
        }
        break;
    }
    return rep->fail == TRANSPORT_OK ? 0 : -1;
}
