/* server: the one respmock context (configuration, fixtures, state) that
 * every handler receives. There are no mutable globals: two servers can live
 * in one process, which the tests rely on. */
#ifndef RM_SERVER_H
#define RM_SERVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "envelope.h"
#include "fixture.h"
#include "limits.h"
#include "mock_error.h"

struct store;
struct conversation_store;
struct catalog;
struct logbuf;
struct scenarios;
struct journal;
struct rm_timer;
struct ws_hub;
struct recorder;
struct redis_link;
struct MHD_Daemon;
struct http_conns;

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct rm_config {
    const char *host;          /* bind address, default 127.0.0.1 */
    int port;                  /* 0 = pick a free port */
    const char *fixtures_dir;
    unsigned threads;          /* MHD worker threads */
    enum log_level log_level;
    const char *api_keys[RM_MAX_API_KEYS]; /* accepted keys; none = any bearer token */
    unsigned n_api_keys;
    size_t max_body;           /* request body limit (413 above) */
    unsigned max_stored;       /* stored responses kept */
    size_t max_stored_bytes;   /* their estimated size in all (0 = no limit) */
    double speed;              /* delay factor: 1 = as scripted, 0 = no delays */
    int accept_unknown_params; /* unknown Responses fields: a warning, not a 400 */
    unsigned journal;          /* requests the journal keeps (0 = none) */
    size_t journal_bytes;      /* their size in all */
    int strict;                /* no catch-all: an unmatched request is a 404 */
    int watch;                 /* reload the fixtures when their files change */
    const char *admin_token;   /* required by /__admin/ when set; else loopback only */
    enum rm_flavor flavor;     /* --flavor: the gateway shape of error bodies (0 = openai) */
    int no_websocket;          /* --no-websocket: an upgrade gets 426 (clients fall back) */
    const char *record_from;   /* --record-from: the upstream base URL (NULL: not recording) */
    int record_missing;        /* --record-mode missing: replay what matches, forward the rest */
    const char *const *redact; /* --redact: extra patterns, NULL-terminated (may be NULL) */
    unsigned max_connections;  /* --max-connections: open connections at most */
    unsigned idle_timeout_s;   /* --idle-timeout: an idle connection is closed after it */
    unsigned max_conversations; /* --max-conversations: kept, oldest evicted */
    size_t max_conversation_bytes; /* --max-conversation-bytes: their size in all (0 = none) */
    const char *state_url;     /* --state redis://HOST:PORT[/DB]: state shared by replicas
                                * (NULL: this process's memory) */
};

struct rm_server {
    struct rm_config cfg;
    struct catalog *catalog;     /* the fixtures in force (swapped by the admin API) */
    struct scenarios *scenarios; /* sequence counts and scenario states */
    struct journal *journal;     /* the requests received */
    struct store *store;         /* stored responses (internally locked) */
    struct conversation_store *conversations; /* conversations (internally locked) */
    struct rm_timer *timer;      /* wakes suspended connections */
    struct ws_hub *ws;           /* WebSocket connections (their I/O thread) */
    atomic_uint ws_open;         /* WebSocket connections open (RM_MAX_WS_CONNECTIONS) */
    struct recorder *recorder;   /* record mode: forwards to cfg.record_from (http.c starts it) */
    struct redis_link *state;    /* the shared state's Redis (NULL without --state) */
    struct logbuf *log;          /* info and debug lines waiting (NULL: each written at once) */
    struct MHD_Daemon *daemon;
    struct http_conns *conns;    /* the open connections (http.c) */
    int bound_port;
    uint64_t id_seed;            /* random per server, for ids */
    atomic_uint_fast64_t id_counter;
    atomic_int stopping;
    int64_t started_ms;
};

/* Fill 'cfg' with the documented defaults. */
void server_config_defaults(struct rm_config *cfg);

/* Create a server: load the fixtures (on failure 'err' has file:line:column
 * and NULL is returned), the stores and the journal. Does not listen yet. */
struct rm_server *server_new(const struct rm_config *cfg, struct mock_error *err);

/* The fixture set in force, with a reference for the caller: release it
 * with fixture_set_unref (requests keep the set they started with). */
struct fixture_set *server_fixtures(struct rm_server *srv);

/* server_new from fixture documents already read (JSON texts, say): takes
 * 'docs' (released on failure too); cfg->fixtures_dir is not read, and a
 * reload has no directory to read. */
struct rm_server *server_new_with_docs(const struct rm_config *cfg, struct fixture_docs *docs,
                                       struct mock_error *err);

/* Free everything; stops listening first if needed. Accepts NULL. */
void server_free(struct rm_server *srv);

/* Write a fresh id "<prefix><hex>" of 'hex_len' hex digits (at most
 * RM_MAX_ID_HEX) into 'out'. */
void server_new_id(struct rm_server *srv, const char *prefix, unsigned hex_len, char *out,
                   size_t out_len);

/* Write a fresh id of the real API's shape (contract.h, RM_ID_HEX_LEN):
 * 'prefix', the RM_ID_SEGMENT_LEN characters of 'segment' (the digits
 * after the prefix of the response id, so a response's items share them
 * with it; NULL: fresh ones), "00", the unix time in 8 hex digits, then
 * random hex digits. */
void server_new_scoped_id(struct rm_server *srv, const char *prefix, const char *segment,
                          char *out, size_t out_len);

/* Milliseconds of a monotonic clock / seconds of the wall clock. */
int64_t server_now_ms(void);
int64_t server_unix_time(void);

/* Levelled logging to stderr: info and debug lines through srv->log (at
 * most RM_LOG_FLUSH_MS late), warnings and errors at once. Never pass it a
 * secret. */
void server_log(const struct rm_server *srv, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same for a message already made: 'len' bytes of 'text' (cut at
 * RM_LOG_LINE), no format. */
void server_log_text(const struct rm_server *srv, enum log_level level, const char *text,
                     size_t len);

/* Write the log lines that wait now. */
void server_log_flush(const struct rm_server *srv);

#endif
