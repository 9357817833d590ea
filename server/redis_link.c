/* redis_link: a pool of hiredis connections with bounded timeouts and
 * reconnection (see redis_link.h). */
#include "redis_link.h"

#include <errno.h>
#include <hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"

/* Arguments of one EVAL: "EVAL", the script, "0", the prefix, then the caller's. */
#define LINK_MAX_ARGS 16

struct link_slot {
    pthread_mutex_t lock;
    redisContext *c;       /* NULL: not connected */
};

struct redis_link {
    char host[RM_MAX_STATE_URL + 1];
    int port;
    int db;
    redis_link_log_fn log;
    void *user;
    atomic_uint next;      /* where the search for a free slot starts */
    atomic_int up;         /* as last logged */
    atomic_llong retry_at_ms; /* no new connection before this (0: any time); one for
                               * the pool, so that once one connects the others may too */
    struct link_slot slots[RM_REDIS_CONNECTIONS];
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval tv_ms(long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

/* "redis://HOST:PORT[/DB]" into 'l'. Returns 0 or -1. */
static int parse_url(struct redis_link *l, const char *url)
{
    const char *p, *colon, *slash;
    char *end;
    long v;

    if (strncmp(url, "redis://", 8) != 0 || strlen(url) > RM_MAX_STATE_URL)
        return -1;
    p = url + 8;
    slash = strchr(p, '/');
    colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
    if (!colon || colon == p)
        return -1;
    memcpy(l->host, p, (size_t)(colon - p));
    l->host[colon - p] = '\0';
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || v < 1 || v > 65535 || (*end && *end != '/'))
        return -1;
    l->port = (int)v;
    l->db = 0;
    if (*end == '/' && end[1]) {
        const char *d = end + 1;
        v = strtol(d, &end, 10);
        if (end == d || *end || v < 0 || v > 65535)
            return -1;
        l->db = (int)v;
    }
    return 0;
}

static void note(struct redis_link *l, int up, const char *what)
{
    if (atomic_exchange(&l->up, up) != up && l->log)
        l->log(l->user, up, what);
}

/* Connect the slot (caller holds its lock). Returns 0, or -1 with the
 * reason in 'why'. */
static int slot_connect(struct redis_link *l, struct link_slot *s, char *why, size_t n)
{
    redisContext *c = redisConnectWithTimeout(l->host, l->port, tv_ms(RM_REDIS_CONNECT_MS));

    if (!c || c->err) {
        snprintf(why, n, "%s", c ? c->errstr : "out of memory");
        redisFree(c);
        return -1;
    }
    if (redisSetTimeout(c, tv_ms(RM_REDIS_TIMEOUT_MS)) != REDIS_OK) {
        snprintf(why, n, "cannot set a timeout");
        redisFree(c);
        return -1;
    }
    if (l->db) {
        redisReply *r = redisCommand(c, "SELECT %d", l->db);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        snprintf(why, n, "SELECT %d: %s", l->db, r && r->str ? r->str : c->errstr);
        freeReplyObject(r);
        if (bad) {
            redisFree(c);
            return -1;
        }
    }
    s->c = c;
    return 0;
}

/* A slot with a connection, locked; NULL (nothing locked) when Redis
 * cannot be reached now. */
static struct link_slot *slot_take(struct redis_link *l)
{
    unsigned start = atomic_fetch_add(&l->next, 1), i;
    struct link_slot *s = NULL;
    char why[256];

    for (i = 0; i < RM_REDIS_CONNECTIONS && !s; i++)
        if (pthread_mutex_trylock(&l->slots[(start + i) % RM_REDIS_CONNECTIONS].lock) == 0)
            s = &l->slots[(start + i) % RM_REDIS_CONNECTIONS];
    if (!s) {
        s = &l->slots[start % RM_REDIS_CONNECTIONS];
        pthread_mutex_lock(&s->lock);
    }
    if (!s->c && now_ms() >= atomic_load(&l->retry_at_ms)) {
        if (slot_connect(l, s, why, sizeof(why)) == 0) {
            atomic_store(&l->retry_at_ms, 0);
            note(l, 1, "connected again");
        } else {
            atomic_store(&l->retry_at_ms, now_ms() + RM_REDIS_RETRY_MS);
            note(l, 0, why);
        }
    }
    if (!s->c) {
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    return s;
}

/* Drop the slot's connection after a failure (caller holds its lock). */
static void slot_drop(struct redis_link *l, struct link_slot *s)
{
    note(l, 0, s->c && s->c->errstr[0] ? s->c->errstr : "connection lost");
    redisFree(s->c);
    s->c = NULL;
    atomic_store(&l->retry_at_ms, now_ms() + RM_REDIS_RETRY_MS);
}

/* Whether the failed command of 'c' never reached a live server: the
 * connection was closed under it (a Redis that restarted), not a timeout,
 * so sending it again on a new connection cannot run it twice. */
static int went_nowhere(const redisContext *c, int err_no)
{
    return c->err == REDIS_ERR_EOF ||
           (c->err == REDIS_ERR_IO && (err_no == EPIPE || err_no == ECONNRESET));
}

/* Run one command on a pooled connection. NULL when unreachable or failed. */
static redisReply *link_command(struct redis_link *l, int argc, const char **argv,
                                const size_t *lens)
{
    struct link_slot *s = slot_take(l);
    redisReply *r;

    if (!s)
        return NULL;
    r = redisCommandArgv(s->c, argc, argv, lens);
    if ((!r || s->c->err) && went_nowhere(s->c, errno)) {
        /* Once, at once, on a new connection: the stale one goes. */
        char why[256];
        freeReplyObject(r);
        redisFree(s->c);
        s->c = NULL;
        r = slot_connect(l, s, why, sizeof(why)) == 0
                ? redisCommandArgv(s->c, argc, argv, lens)
                : NULL;
    }
    if (!r || !s->c || s->c->err) {
        freeReplyObject(r);
        slot_drop(l, s);
        r = NULL;
    } else if (r->type == REDIS_REPLY_ERROR) {
        if (l->log)
            l->log(l->user, -1, r->str);
        freeReplyObject(r);
        r = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

struct redis_link *redis_link_new(const char *url, redis_link_log_fn log, void *user, char *err,
                                  size_t n)
{
    struct redis_link *l = calloc(1, sizeof(*l));
    char why[256];
    unsigned i;

    if (!l) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    if (parse_url(l, url) != 0) {
        snprintf(err, n, "bad state URL '%.*s': expected redis://HOST:PORT[/DB]",
                 RM_MAX_STATE_URL, url);
        free(l);
        return NULL;
    }
    for (i = 0; i < RM_REDIS_CONNECTIONS; i++)
        pthread_mutex_init(&l->slots[i].lock, NULL);
    atomic_init(&l->next, 0);
    atomic_init(&l->up, 1);
    atomic_init(&l->retry_at_ms, 0);
    if (slot_connect(l, &l->slots[0], why, sizeof(why)) != 0) {
        snprintf(err, n, "cannot reach the shared state at %.*s: %s", RM_MAX_STATE_URL, url, why);
        redis_link_free(l);
        return NULL;
    }
    l->log = log;
    l->user = user;
    return l;
}

void redis_link_free(struct redis_link *l)
{
    unsigned i;

    if (!l)
        return;
    for (i = 0; i < RM_REDIS_CONNECTIONS; i++) {
        redisFree(l->slots[i].c);
        pthread_mutex_destroy(&l->slots[i].lock);
    }
    free(l);
}

struct redisReply *redis_link_eval(struct redis_link *l, const char *script, int argc,
                                   const char *const *argv, const size_t *lens)
{
    const char *av[LINK_MAX_ARGS];
    size_t al[LINK_MAX_ARGS];
    int i;

    if (argc < 0 || argc > LINK_MAX_ARGS - 4)
        return NULL;
    av[0] = "EVAL";
    av[1] = script;
    av[2] = "0";
    av[3] = RM_REDIS_PREFIX;
    for (i = 0; i < 4; i++)
        al[i] = strlen(av[i]);
    for (i = 0; i < argc; i++) {
        av[4 + i] = argv[i];
        al[4 + i] = lens ? lens[i] : strlen(argv[i]);
    }
    return link_command(l, argc + 4, av, al);
}

int redis_link_eval_pair(struct redis_link *l, const char *script, size_t *a, size_t *b)
{
    redisReply *r = redis_link_eval(l, script, 0, NULL, NULL);

    *a = (size_t)redis_reply_int(redis_reply_elem(r, 0));
    *b = (size_t)redis_reply_int(redis_reply_elem(r, 1));
    freeReplyObject(r);
    return r ? 0 : -1;
}

/* Deletes in batches with SCAN, so a large state never blocks Redis long. */
static const char DELETE_PREFIX[] =
    "local cur, n = '0', 0\n"
    "repeat\n"
    "  local r = redis.call('SCAN', cur, 'MATCH', ARGV[1] .. ARGV[2] .. '*', 'COUNT', 1000)\n"
    "  cur = r[1]\n"
    "  for _, k in ipairs(r[2]) do n = n + redis.call('UNLINK', k) end\n"
    "until cur == '0'\n"
    "return n\n";

int redis_link_delete_prefix(struct redis_link *l, const char *sub)
{
    redisReply *r = redis_link_eval(l, DELETE_PREFIX, 1, &sub, NULL);

    freeReplyObject(r);
    return r ? 0 : -1;
}

long long redis_reply_int(const struct redisReply *r)
{
    if (r && r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r && r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return 0;
}

const char *redis_reply_str(const struct redisReply *r, size_t *len)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
        return NULL;
    if (len)
        *len = r->len;
    return r->str;
}

const struct redisReply *redis_reply_elem(const struct redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

size_t redis_reply_count(const struct redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

void redis_reply_free(struct redisReply *r)
{
    freeReplyObject(r);
}
