/* transport: the HTTP side of respsmoke, a libcurl easy-handle wrapper.
 *
 * Sends one request to <base URL><path> with the configured bearer key (or a
 * deliberately missing or wrong one), retries 429 and 5xx answers honouring
 * retry-after-ms / retry-after (and never when the server says
 * x-should-retry: false), keeps bodies within SMOKE_MAX_BODY, and for
 * streams hands each chunk of a 2xx body to a callback (the SSE checker) as
 * it arrives. Redirects are not followed, so a key never leaves the base host.
 * It does not interpret bodies and never logs headers or keys. */
#ifndef RS_TRANSPORT_H
#define RS_TRANSPORT_H

#include <stddef.h>

#include "buf.h"

/* Called with each piece of a 2xx streaming body. Return 0 to go on. */
typedef int (*transport_bytes_cb)(const char *bytes, size_t len, void *user);

struct transport_config {
    const char *base_url;  /* e.g. "http://127.0.0.1:4010/v1", no trailing '/' */
    const char *api_key;   /* bearer key (borrowed, never copied into output) */
    long timeout_s;        /* whole-transfer limit per attempt */
    int retries;           /* extra attempts after a 429/5xx */
};

enum transport_auth {
    TRANSPORT_AUTH_KEY,    /* Authorization: Bearer <api_key> */
    TRANSPORT_AUTH_NONE,   /* no Authorization header */
    TRANSPORT_AUTH_OTHER   /* Authorization: Bearer <auth_other> (a wrong key) */
};

struct transport_request {
    const char *method;      /* "GET", "POST", "DELETE" */
    const char *path;        /* appended to the base URL, starts with '/' */
    const char *body;        /* request body or NULL; sent as application/json */
    enum transport_auth auth;
    const char *auth_other;  /* key for TRANSPORT_AUTH_OTHER */
    transport_bytes_cb on_stream; /* non-NULL: 2xx body goes here, not to 'body' */
    void *user;              /* passed to 'on_stream' */
};

/* How a transfer ended, beyond the HTTP status. */
enum transport_fail {
    TRANSPORT_OK = 0,
    TRANSPORT_UNREACHABLE, /* cannot connect, resolve, TLS or bad URL: a run-level error */
    TRANSPORT_TIMEOUT,     /* the transfer took longer than the timeout */
    TRANSPORT_BROKEN,      /* connection closed or failed mid-body */
    TRANSPORT_TOO_LARGE    /* body over its limit */
};

struct transport_reply {
    long status;              /* HTTP status, 0 when none was received */
    enum transport_fail fail;
    char content_type[96];    /* lower-cased media type without parameters */
    struct buf body;          /* non-streamed body, bounded by SMOKE_MAX_BODY */
    size_t stream_bytes;      /* bytes handed to 'on_stream' */
    int attempts;             /* 1 + retries taken */
    double seconds;           /* wall time of the last attempt */
    char error[160];          /* curl's error text for a failed transfer, "" otherwise */
};

struct transport {
    struct transport_config cfg;
    void *curl;               /* CURL *, reused so connections are kept alive */
};

/* Process-wide libcurl setup; call once from main (or a test) before threads. */
int transport_global_init(void);
void transport_global_cleanup(void);

/* Prepare 't' with a copy of 'cfg' (strings stay borrowed). Returns 0 or -1. */
int transport_init(struct transport *t, const struct transport_config *cfg);

/* Free what 't' holds; accepts a transport whose init failed. */
void transport_release(struct transport *t);

/* Perform 'req' and fill 'rep' (call transport_reply_release afterwards, also
 * on failure). Returns 0 when an HTTP response was received completely, -1
 * otherwise ('rep->fail' tells why). */
int transport_send(struct transport *t, const struct transport_request *req,
                   struct transport_reply *rep);

void transport_reply_release(struct transport_reply *rep);

/* Milliseconds to wait before retry number 'attempt' (0-based): the
 * 'retry_after_ms' header value (float ms) if valid, else 'retry_after'
 * (seconds, or an HTTP date relative to 'now'), else exponential backoff
 * min(500 * 2^attempt, 8000). Values above SMOKE_MAX_RETRY_DELAY_MS are capped.
 * Either header may be NULL. Pure, for tests. */
long transport_retry_delay_ms(const char *retry_after_ms, const char *retry_after, int attempt,
                              long now);

/* True for statuses worth retrying (429 and every 5xx). */
int transport_should_retry(long status);

#endif
