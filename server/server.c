/* server: context creation, ids, clocks and logging (see server.h). */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "contract.h"
#include "conversation.h"
#include "journal.h"
#include "logbuf.h"
#include "redis_link.h"
#include "scenario.h"
#include "store.h"

void server_config_defaults(struct rm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = RM_DEFAULT_HOST;
    cfg->port = RM_DEFAULT_PORT;
    cfg->threads = 2;
    cfg->log_level = LOG_INFO;
    cfg->max_body = RM_DEFAULT_MAX_BODY;
    cfg->max_stored = RM_DEFAULT_MAX_STORED;
    cfg->max_stored_bytes = RM_DEFAULT_MAX_STORED_BYTES;
    cfg->speed = 1.0;
    cfg->journal = RM_DEFAULT_JOURNAL;
    cfg->journal_bytes = RM_DEFAULT_JOURNAL_BYTES;
    cfg->max_connections = RM_DEFAULT_MAX_CONNECTIONS;
    cfg->idle_timeout_s = RM_DEFAULT_IDLE_TIMEOUT_S;
    cfg->max_conversations = RM_DEFAULT_MAX_CONVERSATIONS;
    cfg->max_conversation_bytes = RM_DEFAULT_MAX_CONVERSATION_BYTES;
}

/* A context without fixtures yet; NULL when out of memory. */
static struct rm_server *server_alloc(const struct rm_config *cfg, struct mock_error *err)
{
    struct rm_server *srv = calloc(1, sizeof(*srv));

    if (!srv) {
        mock_error_set(err, NULL, 0, 0, "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    if (getrandom(&srv->id_seed, sizeof(srv->id_seed), 0) != sizeof(srv->id_seed))
        srv->id_seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)srv;
    atomic_init(&srv->id_counter, 0);
    atomic_init(&srv->stopping, 0);
    srv->started_ms = server_now_ms();
    /* Info and debug lines are buffered; below info every line is written
     * at once anyway. Without the buffer each line is one write(2). */
    if (cfg->log_level >= LOG_INFO)
        srv->log = logbuf_new(STDERR_FILENO);
    return srv;
}

/* The shared state's Redis lost, back, or refusing a command. */
static void state_log(void *user, int up, const char *what)
{
    const struct rm_server *srv = user;

    if (up > 0)
        server_log(srv, LOG_WARN, "shared state: Redis is back (%s)", what);
    else if (up == 0)
        server_log(srv, LOG_ERROR, "shared state: Redis cannot be reached (%s); requests that "
                                   "need state answer 503 until it is back", what);
    else
        server_log(srv, LOG_ERROR, "shared state: Redis refused a command: %s", what);
}

/* The stores, once the fixtures are in; frees 'srv' and returns NULL on failure. */
static struct rm_server *server_finish(struct rm_server *srv, struct mock_error *err)
{
    const struct rm_config *cfg = &srv->cfg;
    char why[RM_MAX_STATE_URL + 256];

    srv->store = store_new(cfg->max_stored, cfg->max_stored_bytes);
    srv->conversations = conversation_store_new(cfg->max_conversations, RM_MAX_CONVERSATION_ITEMS,
                                                cfg->max_conversation_bytes);
    srv->scenarios = scenarios_new();
    srv->journal = journal_new(cfg->journal, cfg->journal_bytes);
    if (!srv->store || !srv->conversations || !srv->scenarios || !srv->journal) {
        mock_error_set(err, NULL, 0, 0, "out of memory");
        server_free(srv);
        return NULL;
    }
    if (cfg->state_url) {
        if (!(srv->state = redis_link_new(cfg->state_url, state_log, srv, why, sizeof(why)))) {
            mock_error_set(err, NULL, 0, 0, "%s", why);
            server_free(srv);
            return NULL;
        }
        store_share(srv->store, srv->state);
        conversation_share(srv->conversations, srv->state);
        scenarios_share(srv->scenarios, srv->state);
        if (journal_share(srv->journal, srv->state) != 0) {
            mock_error_set(err, NULL, 0, 0, "out of memory");
            server_free(srv);
            return NULL;
        }
    }
    return srv;
}

struct rm_server *server_new(const struct rm_config *cfg, struct mock_error *err)
{
    struct rm_server *srv = server_alloc(cfg, err);

    if (!srv)
        return NULL;
    /* record mode writes into the directory: it may start empty */
    srv->catalog = catalog_new(cfg->fixtures_dir, cfg->record_from != NULL, err);
    if (!srv->catalog) {
        server_free(srv);
        return NULL;
    }
    return server_finish(srv, err);
}

struct rm_server *server_new_with_docs(const struct rm_config *cfg, struct fixture_docs *docs,
                                       struct mock_error *err)
{
    struct rm_server *srv = server_alloc(cfg, err);

    if (!srv) {
        fixture_docs_release(docs);
        return NULL;
    }
    srv->catalog = catalog_new_docs(docs, err);
    if (!srv->catalog) {
        server_free(srv);
        return NULL;
    }
    return server_finish(srv, err);
}

struct fixture_set *server_fixtures(struct rm_server *srv)
{
    return catalog_acquire(srv->catalog);
}

void server_free(struct rm_server *srv)
{
    if (!srv)
        return;
    catalog_free(srv->catalog);
    store_free(srv->store);
    conversation_store_free(srv->conversations);
    scenarios_free(srv->scenarios);
    journal_free(srv->journal);
    redis_link_free(srv->state);
    logbuf_free(srv->log); /* last: everything above may log */
    free(srv);
}

/* splitmix64: a bijection, so distinct counters give distinct ids. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 'n' lowercase hex digits of 'v' (most significant first) at 'out'. */
static void put_hex(char *out, uint64_t v, unsigned n)
{
    static const char digits[] = "0123456789abcdef";

    while (n--) {
        out[n] = digits[v & 15];
        v >>= 4;
    }
}

/* 'prefix' then 'n' bytes of 'body' into 'out' (truncated to out_len, as
 * snprintf would). */
static void put_id(char *out, size_t out_len, const char *prefix, const char *body, size_t n)
{
    size_t p = strlen(prefix);

    if (!out_len)
        return;
    if (p >= out_len)
        p = out_len - 1;
    memcpy(out, prefix, p);
    if (n > out_len - 1 - p)
        n = out_len - 1 - p;
    memcpy(out + p, body, n);
    out[p + n] = '\0';
}

/* Hex digits by hand, not snprintf: ids are made several times a request. */
void server_new_id(struct rm_server *srv, const char *prefix, unsigned hex_len, char *out,
                   size_t out_len)
{
    uint64_t n = atomic_fetch_add(&srv->id_counter, 1);
    uint64_t w = mix64(srv->id_seed ^ n); /* distinct for distinct n */
    char hex[RM_MAX_ID_HEX];
    unsigned i;

    if (hex_len > RM_MAX_ID_HEX)
        hex_len = RM_MAX_ID_HEX;
    for (i = 0; i < (hex_len + 15) / 16; i++) { /* only the words it shows */
        put_hex(hex + 16 * i, w, 16);
        w = mix64(w ^ srv->id_seed);
    }
    put_id(out, out_len, prefix, hex, hex_len);
}

void server_new_scoped_id(struct rm_server *srv, const char *prefix, const char *segment,
                          char *out, size_t out_len)
{
    char rnd[RM_ID_HEX_LEN + 1], body[RM_ID_HEX_LEN];
    size_t n = segment ? strlen(segment) : 0;

    /* the segment, "00", the time (8 hex digits), random digits: 50 in all */
    server_new_id(srv, "", RM_ID_HEX_LEN, rnd, sizeof(rnd));
    if (n >= RM_ID_SEGMENT_LEN)
        memcpy(body, segment, RM_ID_SEGMENT_LEN);
    else
        memcpy(body, rnd + RM_ID_HEX_LEN - RM_ID_SEGMENT_LEN, RM_ID_SEGMENT_LEN);
    body[RM_ID_SEGMENT_LEN] = '0';
    body[RM_ID_SEGMENT_LEN + 1] = '0';
    put_hex(body + RM_ID_SEGMENT_LEN + 2, (uint64_t)server_unix_time() & 0xffffffffu, 8);
    memcpy(body + RM_ID_SEGMENT_LEN + 10, rnd, RM_ID_HEX_LEN - RM_ID_SEGMENT_LEN - 10);
    put_id(out, out_len, prefix, body, RM_ID_HEX_LEN);
}

int64_t server_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t server_unix_time(void)
{
    return (int64_t)time(NULL);
}

static const char *const log_prefixes[] = {"respmock: error: ", "respmock: warn: ",
                                            "respmock: info: ", "respmock: debug: "};

/* Its level's prefix at 'line' (which has room for RM_LOG_LINE + 32). */
static size_t log_prefix(char *line, enum log_level level)
{
    return str_copy(line, RM_LOG_LINE + 32, log_prefixes[level], strlen(log_prefixes[level]));
}

/* One line, one copy into the log's buffer (logbuf.h): workers never wait
 * on each other's writes, and under load the access log costs one write(2)
 * per RM_LOG_FLUSH_MS instead of one per request. A warning or an error is
 * written at once. 'line' has room for its newline. */
static void log_emit(const struct rm_server *srv, enum log_level level, char *line, size_t len)
{
    line[len++] = '\n';
    if (srv && srv->log)
        logbuf_add(srv->log, line, len, level <= LOG_WARN);
    else
        logbuf_write_all(STDERR_FILENO, line, len);
}

/* A line longer than RM_LOG_LINE is cut. */
void server_log(const struct rm_server *srv, enum log_level level, const char *fmt, ...)
{
    char line[RM_LOG_LINE + 32];
    size_t len;
    va_list ap;
    int n;

    if (srv && level > srv->cfg.log_level)
        return;
    len = log_prefix(line, level);
    va_start(ap, fmt);
    n = vsnprintf(line + len, RM_LOG_LINE + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        len += (size_t)n < RM_LOG_LINE ? (size_t)n : RM_LOG_LINE;
    log_emit(srv, level, line, len);
}

void server_log_text(const struct rm_server *srv, enum log_level level, const char *text,
                     size_t len)
{
    char line[RM_LOG_LINE + 32];
    size_t n;

    if (srv && level > srv->cfg.log_level)
        return;
    n = log_prefix(line, level);
    if (len > RM_LOG_LINE)
        len = RM_LOG_LINE;
    memcpy(line + n, text, len);
    log_emit(srv, level, line, n + len);
}

void server_log_flush(const struct rm_server *srv)
{
    logbuf_flush(srv->log);
}
