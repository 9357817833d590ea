/* respmock.h: librespmock, the embeddable respmock. This is the library's one
 * public header; `pkg-config --cflags --libs respmock` gives what to compile
 * and link with.
 *
 * A C test starts an offline mock of the OpenAI Responses API in its own
 * process, on a free loopback port, from a fixtures directory or from fixture
 * JSON strings; points the code under test at respmock_base_url(); reads the
 * request journal, resets stored state between tests; and stops it:
 *
 *     struct respmock_options o;
 *     char err[512];
 *     respmock *m;
 *
 *     respmock_options_init(&o);
 *     o.fixtures_json = (const char *const[]){
 *         "{\"name\":\"hi\",\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"Hi\"}]}}",
 *         NULL};
 *     m = respmock_start(&o, err, sizeof(err));
 *     if (!m) { fprintf(stderr, "%s\n", err); return 1; }
 *     setenv("OPENAI_BASE_URL", respmock_base_url(m), 1);  // http://127.0.0.1:PORT/v1
 *     ...
 *     respmock_stop(m);
 *
 * The respmock command is built on this library. The functions may be called
 * from any thread while the server serves, but respmock_stop() must not race
 * with other calls on the same handle. The library keeps no global state:
 * several servers can run in one process. It never changes the process's
 * signal dispositions (its threads block every signal) and never prints an
 * API key. */
#ifndef RESPMOCK_H
#define RESPMOCK_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define RESPMOCK_API __attribute__((visibility("default")))
#else
#define RESPMOCK_API
#endif

/* One running mock server. */
typedef struct respmock respmock;

enum respmock_log_level {
    RESPMOCK_LOG_ERROR,
    RESPMOCK_LOG_WARN,
    RESPMOCK_LOG_INFO,  /* one access-log line per request */
    RESPMOCK_LOG_DEBUG  /* and why each fixture matched or not */
};

/* What respmock_start() starts. Fill it with respmock_options_init() first,
 * then change what you need; strings are copied by respmock_start(). */
struct respmock_options {
    const char *host;          /* address to bind; default "127.0.0.1" */
    int port;                  /* default 0: a free port (respmock_port() tells which) */
    const char *fixtures_dir;  /* a directory of *.json fixtures; NULL (default) with no
                                * fixtures_json: the shipped fixtures (respmock_default_fixtures) */
    const char *const *fixtures_json; /* instead of a directory: NULL-terminated JSON texts,
                                * each a fixture object or an array of them, read in this
                                * order as the files of a directory would be; problems are
                                * reported as "fixtures_json[I]:LINE:COLUMN: message" */
    unsigned threads;          /* worker threads; default 2 */
    enum respmock_log_level log_level; /* to stderr; default RESPMOCK_LOG_INFO */
    const char *const *api_keys; /* NULL-terminated bearer keys to accept; NULL (default):
                                * any bearer token except the reserved sk-invalid-... shape */
    size_t max_body;           /* request body limit in bytes (413 above) */
    unsigned max_stored;       /* stored responses kept, oldest evicted first */
    size_t max_stored_bytes;   /* their estimated size in all; 0 = no byte limit */
    double speed;              /* factor on every scripted delay; default 1, 0 = none */
    int accept_unknown_params; /* unknown Responses fields: a warning instead of a 400 */
    unsigned journal;          /* requests the journal keeps; default 1000, 0 = none */
    size_t journal_bytes;      /* their size in all; the oldest go first */
    int strict;                /* no catch-all fixture: an unmatched request gets 404 */
    int watch;                 /* reload fixtures_dir when its files change */
    const char *admin_token;   /* /__admin/ needs x-respmock-admin-token with this value;
                                * NULL (default): the admin API answers loopback only */
    const char *flavor;        /* "openai" (default, NULL) or "cometapi": error shapes */
    int no_websocket;          /* WebSocket mode off: an upgrade gets 426 at once */
    const char *record_from;   /* record mode: forward /v1 requests to this base URL
                                * (http:// or https://, e.g. "https://api.openai.com/v1") and
                                * write each create exchange as a fixture to fixtures_dir;
                                * NULL (default): no recording */
    const char *record_mode;   /* "all" (default, NULL): forward every /v1 request;
                                * "missing": answer from the fixtures what they match */
    const char *const *redact; /* NULL-terminated extra POSIX extended regular expressions
                                * scrubbed from recordings (API keys, e-mail addresses and
                                * secret headers always are); NULL: none */
    unsigned max_conversations; /* conversations kept, oldest evicted first; default 1000 */
    size_t max_conversation_bytes; /* their heap bytes in all; 0 = no byte limit */
    unsigned max_connections;  /* open connections at most (2-65536); near it the oldest
                                * idle one is shut down for each new one; default 1024 */
    unsigned idle_timeout_s;   /* an idle connection is closed after it (1-3600); default 30 */
    const char *state;         /* "redis://HOST:PORT[/DB]": stored responses, scenarios and
                                * the journal shared with other replicas in that Redis;
                                * NULL (default): this process's memory */
};

/* The defaults, as the respmock command has them except for the port, which
 * is 0 (a free one). */
RESPMOCK_API void respmock_options_init(struct respmock_options *opts);

/* Load the fixtures and listen. Returns the server, or NULL with the reason
 * in 'err' ('err_len' bytes, may be 0): a fixture problem as
 * "file:line:column: message", a port in use, a bad option. */
RESPMOCK_API respmock *respmock_start(const struct respmock_options *opts, char *err,
                                      size_t err_len);

/* "http://127.0.0.1:PORT", the server's root (/healthz, /__admin/...). */
RESPMOCK_API const char *respmock_url(const respmock *m);

/* "http://127.0.0.1:PORT/v1": what OPENAI_BASE_URL and the SDKs' baseURL take. */
RESPMOCK_API const char *respmock_base_url(const respmock *m);

/* The port it listens on. */
RESPMOCK_API int respmock_port(const respmock *m);

/* How many fixtures it answers from. */
RESPMOCK_API size_t respmock_fixture_count(const respmock *m);

/* The fixture directory it loaded (a canonical path), or NULL for fixtures_json. */
RESPMOCK_API const char *respmock_fixtures_dir(const respmock *m);

/* The request journal: the answer to GET /__admin/requests, routed inside the
 * process (no socket). Returns its HTTP status (200 with the journal as JSON;
 * a build without the journal route answers 404 with the error envelope), and
 * the body in '*json' (NUL-terminated, free() it; may be NULL when 'len' is
 * not wanted: pass NULL for 'len'). Returns -1 when out of memory. */
RESPMOCK_API int respmock_journal(respmock *m, char **json, size_t *len);

/* Forget every stored response and conversation (POST /__admin/reset, routed
 * inside the process). Returns 0, or -1. */
RESPMOCK_API int respmock_reset(respmock *m);

/* Stop listening (open streams are ended) and free everything. Accepts NULL. */
RESPMOCK_API void respmock_stop(respmock *m);

/* Load and lint 'fixtures_dir' (NULL: the shipped fixtures) without serving:
 * every problem is written to 'out' (may be NULL) as "file:line:column:
 * message". Returns the number of fixtures, or -1 when there are problems. */
RESPMOCK_API long respmock_check(const char *fixtures_dir, FILE *out);

/* The shipped fixtures: share/respmock/fixtures of the prefix librespmock is
 * installed in, found relative to the library file itself (so a moved prefix
 * still finds them); a library in its build tree uses the source fixtures/.
 * Writes the path to 'out' and returns 0, or returns -1 with the place
 * looked at in 'out' when there is no such directory. */
RESPMOCK_API int respmock_default_fixtures(char *out, size_t out_len);

/* The version of the library and of the respmock command, e.g. "0.1.0". */
RESPMOCK_API const char *respmock_version(void);

/* The Responses API snapshot the fixtures follow, e.g.
 * "2026-08 spec, openai-node 7.59, recordings to 2026-08-03". */
RESPMOCK_API const char *respmock_api_snapshot(void);

#ifdef __cplusplus
}
#endif

#endif
