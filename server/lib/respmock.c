/* librespmock: the public API of respmock.h on top of the server context,
 * the HTTP glue and the router. The respmock command (main.c) uses nothing
 * else; only the respmock_* symbols are exported. */
#define _GNU_SOURCE /* dladdr */
#include "respmock.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "contract.h"
#include "envelope.h"
#include "fixture.h"
#include "http.h"
#include "limits.h"
#include "request.h"
#include "router.h"
#include "scrub.h"
#include "server.h"

/* The journal route of the admin API. */
#define RM_JOURNAL_PATH "/__admin/requests"

#ifndef RM_FIXTURES_FROM_LIBDIR
#define RM_FIXTURES_FROM_LIBDIR "../share/respmock/fixtures"
#endif

struct respmock {
    struct rm_server *srv;
    char *host;                           /* owned copies of what cfg points to */
    char *fixtures_dir;
    char *keys[RM_MAX_API_KEYS];
    char *admin_token;
    char *record_from;
    char *redact[RM_MAX_REDACT_PATTERNS + 1]; /* NULL-terminated */
    char *state;
    char url[RM_MAX_URL];                 /* http://HOST:PORT */
    char base_url[RM_MAX_URL];            /* url + /v1 */
};

/* Write "message" into err (err_len bytes, may be 0). */
static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err && err_len)
        snprintf(err, err_len, "%s", msg);
}

void respmock_options_init(struct respmock_options *opts)
{
    struct rm_config cfg;

    server_config_defaults(&cfg);
    memset(opts, 0, sizeof(*opts));
    opts->host = cfg.host;
    opts->port = 0;
    opts->threads = cfg.threads;
    opts->log_level = (enum respmock_log_level)cfg.log_level;
    opts->max_body = cfg.max_body;
    opts->max_stored = cfg.max_stored;
    opts->max_stored_bytes = cfg.max_stored_bytes;
    opts->speed = cfg.speed;
    opts->accept_unknown_params = cfg.accept_unknown_params;
    opts->journal = cfg.journal;
    opts->journal_bytes = cfg.journal_bytes;
    opts->max_conversations = cfg.max_conversations;
    opts->max_conversation_bytes = cfg.max_conversation_bytes;
    opts->max_connections = cfg.max_connections;
    opts->idle_timeout_s = cfg.idle_timeout_s;
}

const char *respmock_version(void)
{
    return RM_VERSION;
}

const char *respmock_api_snapshot(void)
{
    return RM_API_SNAPSHOT;
}

/* The canonical form of 'path' into 'out' ('n' bytes). Returns 0 or -1. */
static int canonical(const char *path, char *out, size_t n)
{
    char *r = realpath(path, NULL);
    size_t len;

    if (!r)
        return -1;
    len = strlen(r);
    if (len >= n) {
        free(r);
        return -1;
    }
    memcpy(out, r, len + 1);
    free(r);
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int respmock_default_fixtures(char *out, size_t out_len)
{
    Dl_info info;
    char lib[RM_MAX_PATH], where[RM_MAX_PATH + 64], real[RM_MAX_PATH], *slash;

    if (!out || !out_len)
        return -1;
    out[0] = '\0';
    if (!dladdr((void *)respmock_default_fixtures, &info) || !info.dli_fname ||
        canonical(info.dli_fname, lib, sizeof(lib)) != 0) {
        snprintf(out, out_len, "(the place of librespmock is unknown)");
        return -1;
    }
    slash = strrchr(lib, '/');
    if (slash)
        *slash = '\0';
#if defined(RM_BUILD_TREE_DIR) && defined(RM_SOURCE_FIXTURES)
    {
        char build[RM_MAX_PATH];

        /* A library in the build tree it was built in serves the source
         * fixtures/; an installed copy never looks there. */
        if (canonical(RM_BUILD_TREE_DIR, build, sizeof(build)) == 0 && strcmp(build, lib) == 0 &&
            is_dir(RM_SOURCE_FIXTURES)) {
            snprintf(out, out_len, "%s", RM_SOURCE_FIXTURES);
            return 0;
        }
    }
#endif
    snprintf(where, sizeof(where), "%s/%s", lib, RM_FIXTURES_FROM_LIBDIR);
    if (canonical(where, real, sizeof(real)) != 0 || !is_dir(real)) {
        snprintf(out, out_len, "%s", where);
        return -1;
    }
    snprintf(out, out_len, "%s", real);
    return 0;
}

long respmock_check(const char *fixtures_dir, FILE *out)
{
    struct fixture_set set;
    struct mock_error err;
    char dir[RM_MAX_PATH];
    long n;

    if (!fixtures_dir) {
        if (respmock_default_fixtures(dir, sizeof(dir)) != 0) {
            if (out)
                fprintf(out, "%s: no shipped fixtures there\n", dir);
            return -1;
        }
        fixtures_dir = dir;
    }
    mock_error_clear(&err);
    if (fixture_set_load(&set, fixtures_dir, &err, out) != 0) {
        fixture_set_release(&set); /* a missing directory leaves the model list */
        return -1;
    }
    n = (long)set.n;
    fixture_set_release(&set);
    return n;
}

/* Fixtures from JSON texts: each text is one "file" named fixtures_json[I]
 * (problems are reported when they are built). */
static int load_json_fixtures(struct fixture_docs *docs, const char *const *texts,
                              struct mock_error *err)
{
    size_t i;

    memset(docs, 0, sizeof(*docs));
    for (i = 0; texts[i]; i++) {
        char source[32];

        if (i >= RM_MAX_FIXTURES) {
            mock_error_set(err, NULL, 0, 0, "more than %d fixtures_json texts", RM_MAX_FIXTURES);
            goto fail;
        }
        if (strlen(texts[i]) > RM_MAX_FIXTURE_FILE) {
            mock_error_set(err, NULL, 0, 0, "fixtures_json[%zu] is larger than %u bytes", i,
                           RM_MAX_FIXTURE_FILE);
            goto fail;
        }
        snprintf(source, sizeof(source), "fixtures_json[%zu]", i);
        if (fixture_docs_add(docs, source, texts[i], strlen(texts[i])) != 0) {
            mock_error_set(err, NULL, 0, 0, "out of memory");
            goto fail;
        }
    }
    if (docs->n == 0) {
        mock_error_set(err, NULL, 0, 0, "fixtures_json holds no fixture");
        goto fail;
    }
    return 0;
fail:
    fixture_docs_release(docs);
    return -1;
}

static void free_handle(struct respmock *m)
{
    unsigned i;

    free(m->host);
    free(m->fixtures_dir);
    free(m->admin_token);
    free(m->record_from);
    for (i = 0; m->redact[i]; i++)
        free(m->redact[i]);
    free(m->state);
    for (i = 0; i < RM_MAX_API_KEYS; i++)
        free(m->keys[i]);
    free(m);
}

/* Copy what 'opts' points to into 'm' and fill 'cfg'. Returns 0, or -1 with
 * the reason in 'err' (never quoting a key). */
static int make_config(struct respmock *m, const struct respmock_options *opts,
                       struct rm_config *cfg, struct mock_error *err)
{
    unsigned i;

    server_config_defaults(cfg);
    m->host = strdup(opts->host ? opts->host : RM_DEFAULT_HOST);
    if (!m->host)
        goto oom;
    cfg->host = m->host;
    if (opts->port < 0 || opts->port > 65535) {
        mock_error_set(err, NULL, 0, 0, "port %d is not 0-65535", opts->port);
        return -1;
    }
    cfg->port = opts->port;
    if (opts->threads < 1 || opts->threads > RM_MAX_THREADS) {
        mock_error_set(err, NULL, 0, 0, "threads must be 1-%d", RM_MAX_THREADS);
        return -1;
    }
    cfg->threads = opts->threads;
    if ((int)opts->log_level < RESPMOCK_LOG_ERROR || (int)opts->log_level > RESPMOCK_LOG_DEBUG) {
        mock_error_set(err, NULL, 0, 0, "unknown log level %d", (int)opts->log_level);
        return -1;
    }
    cfg->log_level = (enum log_level)opts->log_level;
    for (i = 0; opts->api_keys && opts->api_keys[i]; i++) {
        const char *k = opts->api_keys[i];

        if (i >= RM_MAX_API_KEYS) {
            mock_error_set(err, NULL, 0, 0, "more than %d API keys", RM_MAX_API_KEYS);
            return -1;
        }
        if (!*k || strlen(k) > RM_MAX_API_KEY_LEN ||
            !strncmp(k, RM_REJECTED_KEY_PREFIX, strlen(RM_REJECTED_KEY_PREFIX))) {
            /* never quote a key */
            mock_error_set(err, NULL, 0, 0,
                           "API key %u is empty, longer than %d bytes or of the always "
                           "refused shape " RM_REJECTED_KEY_PREFIX "...",
                           i + 1, RM_MAX_API_KEY_LEN);
            return -1;
        }
        if (!(m->keys[i] = strdup(k)))
            goto oom;
        cfg->api_keys[i] = m->keys[i];
    }
    cfg->n_api_keys = i;
    if (opts->max_body < 1 || opts->max_body > RM_MAX_BODY_CEILING) {
        mock_error_set(err, NULL, 0, 0, "max_body must be 1-%u", RM_MAX_BODY_CEILING);
        return -1;
    }
    cfg->max_body = opts->max_body;
    if (opts->max_stored < 1 || opts->max_stored > RM_MAX_STORED_CEILING) {
        mock_error_set(err, NULL, 0, 0, "max_stored must be 1-%d", RM_MAX_STORED_CEILING);
        return -1;
    }
    cfg->max_stored = opts->max_stored;
    cfg->max_stored_bytes = opts->max_stored_bytes;
    /* Written so that NaN fails too. */
    if (!(opts->speed >= 0 && opts->speed <= RM_MAX_SPEED)) {
        mock_error_set(err, NULL, 0, 0, "speed must be 0-%d", RM_MAX_SPEED);
        return -1;
    }
    cfg->speed = opts->speed;
    cfg->accept_unknown_params = opts->accept_unknown_params != 0;
    if (opts->journal > RM_MAX_JOURNAL_CEILING) {
        mock_error_set(err, NULL, 0, 0, "journal must be 0-%d", RM_MAX_JOURNAL_CEILING);
        return -1;
    }
    cfg->journal = opts->journal;
    cfg->journal_bytes = opts->journal_bytes;
    if (opts->max_conversations < 1 || opts->max_conversations > RM_MAX_CONVERSATIONS_CEILING) {
        mock_error_set(err, NULL, 0, 0, "max_conversations must be 1-%d",
                       RM_MAX_CONVERSATIONS_CEILING);
        return -1;
    }
    cfg->max_conversations = opts->max_conversations;
    cfg->max_conversation_bytes = opts->max_conversation_bytes;
    if (opts->max_connections < 2 || opts->max_connections > RM_MAX_CONNECTIONS_CEILING) {
        mock_error_set(err, NULL, 0, 0, "max_connections must be 2-%d",
                       RM_MAX_CONNECTIONS_CEILING);
        return -1;
    }
    cfg->max_connections = opts->max_connections;
    if (opts->idle_timeout_s < 1 || opts->idle_timeout_s > RM_MAX_IDLE_TIMEOUT_S) {
        mock_error_set(err, NULL, 0, 0, "idle_timeout_s must be 1-%u", RM_MAX_IDLE_TIMEOUT_S);
        return -1;
    }
    cfg->idle_timeout_s = opts->idle_timeout_s;
    cfg->strict = opts->strict != 0;
    cfg->watch = opts->watch != 0;
    cfg->no_websocket = opts->no_websocket != 0;
    if (opts->admin_token) {
        if (!*opts->admin_token) {
            mock_error_set(err, NULL, 0, 0, "the admin token is empty"); /* never quoted */
            return -1;
        }
        if (!(m->admin_token = strdup(opts->admin_token)))
            goto oom;
        cfg->admin_token = m->admin_token;
    }
    if (opts->record_from) {
        if (!opts->fixtures_dir) {
            mock_error_set(err, NULL, 0, 0, "record mode needs a fixtures directory to write to");
            return -1;
        }
        if (!(m->record_from = strdup(opts->record_from)))
            goto oom;
        cfg->record_from = m->record_from;
    }
    if (opts->record_mode && strcmp(opts->record_mode, "all") != 0 &&
        strcmp(opts->record_mode, "missing") != 0) {
        mock_error_set(err, NULL, 0, 0, "unknown record mode '%.40s' (all or missing)",
                       opts->record_mode);
        return -1;
    }
    cfg->record_missing = opts->record_mode && strcmp(opts->record_mode, "missing") == 0;
    if (opts->redact) {
        size_t r;

        for (r = 0; opts->redact[r]; r++) {
            if (r >= RM_MAX_REDACT_PATTERNS) {
                mock_error_set(err, NULL, 0, 0, "more than %d redaction patterns",
                               RM_MAX_REDACT_PATTERNS);
                return -1;
            }
            if (!(m->redact[r] = strdup(opts->redact[r])))
                goto oom;
        }
        cfg->redact = (const char *const *)m->redact;
    }
    if (opts->state) {
        if (!(m->state = strdup(opts->state)))
            goto oom;
        cfg->state_url = m->state;
    }
    if (opts->flavor) {
        cfg->flavor = envelope_flavor_parse(opts->flavor);
        if (cfg->flavor == RM_FLAVOR_UNSET) {
            mock_error_set(err, NULL, 0, 0, "unknown flavor '%.40s' (openai or cometapi)",
                           opts->flavor);
            return -1;
        }
    }
    return 0;
oom:
    mock_error_set(err, NULL, 0, 0, "out of memory");
    return -1;
}

/* --watch reports through the server's log. */
static void watch_log(void *user, const char *line)
{
    server_log(user, LOG_WARN, "%s", line);
}

respmock *respmock_start(const struct respmock_options *opts, char *err, size_t err_len)
{
    struct respmock *m;
    struct rm_config cfg;
    struct mock_error e;
    sigset_t all, old;
    char msg[1024];
    int rc;

    mock_error_clear(&e);
    if (!opts) {
        set_err(err, err_len, "no options (call respmock_options_init)");
        return NULL;
    }
    if (opts->fixtures_dir && opts->fixtures_json) {
        set_err(err, err_len, "give fixtures_dir or fixtures_json, not both");
        return NULL;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    if (make_config(m, opts, &cfg, &e) != 0)
        goto fail;
    if (opts->fixtures_json) {
        struct fixture_docs docs;

        if (load_json_fixtures(&docs, opts->fixtures_json, &e) != 0)
            goto fail;
        cfg.fixtures_dir = NULL;
        cfg.watch = 0; /* nothing on disk to watch */
        m->srv = server_new_with_docs(&cfg, &docs, &e);
    } else {
        char dir[RM_MAX_PATH];

        if (opts->fixtures_dir) {
            if (canonical(opts->fixtures_dir, dir, sizeof(dir)) != 0)
                snprintf(dir, sizeof(dir), "%s", opts->fixtures_dir); /* reported at load */
        } else if (respmock_default_fixtures(dir, sizeof(dir)) != 0) {
            mock_error_set(&e, NULL, 0, 0,
                           "no fixtures: the shipped ones are not at %.400s; name a fixture "
                           "directory",
                           dir);
            goto fail;
        }
        if (!(m->fixtures_dir = strdup(dir))) {
            mock_error_set(&e, NULL, 0, 0, "out of memory");
            goto fail;
        }
        cfg.fixtures_dir = m->fixtures_dir;
        m->srv = server_new(&cfg, &e);
    }
    if (!m->srv)
        goto fail;
    /* The server's threads start with every signal blocked: signals stay
     * the embedding program's business. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = http_start(m->srv, &e);
    if (rc == 0 && cfg.watch &&
        catalog_watch(m->srv->catalog, RM_WATCH_INTERVAL_MS, watch_log, m->srv) != 0) {
        mock_error_set(&e, NULL, 0, 0, "cannot start watching %.400s", cfg.fixtures_dir);
        rc = -1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        goto fail;
    snprintf(m->url, sizeof(m->url), "http://%s%s%s:%d", strchr(cfg.host, ':') ? "[" : "",
             cfg.host, strchr(cfg.host, ':') ? "]" : "", m->srv->bound_port);
    snprintf(m->base_url, sizeof(m->base_url), "%s/v1", m->url);
    return m;
fail:
    set_err(err, err_len, mock_error_format(&e, msg, sizeof(msg)));
    if (m->srv) {
        server_free(m->srv);
        m->srv = NULL;
    }
    free_handle(m);
    return NULL;
}

const char *respmock_url(const respmock *m)
{
    return m->url;
}

const char *respmock_base_url(const respmock *m)
{
    return m->base_url;
}

int respmock_port(const respmock *m)
{
    return m->srv->bound_port;
}

size_t respmock_fixture_count(const respmock *m)
{
    struct fixture_set *set = server_fixtures(m->srv);
    size_t n = set->n;

    fixture_set_unref(set);
    return n;
}

const char *respmock_fixtures_dir(const respmock *m)
{
    return m->fixtures_dir;
}

/* Route one body-less admin request inside the process, as http.c would. */
static int route(respmock *m, const char *method, const char *path, char **body, size_t *len)
{
    struct rm_request req;
    struct rm_reply reply;
    char auth[RM_MAX_API_KEY_LEN + 16];
    int status;

    memset(&req, 0, sizeof(req));
    memset(&reply, 0, sizeof(reply));
    /* The admin routes take no key; should one want it, it is the first one
     * accepted (never logged). */
    snprintf(auth, sizeof(auth), "Bearer %s",
             m->srv->cfg.n_api_keys ? m->srv->cfg.api_keys[0] : "respmock-library");
    req.method = method;
    req.path = path;
    req.authorization = auth;
    req.from_loopback = 1; /* in-process: the admin API answers */
    req.admin_token = m->srv->cfg.admin_token;
    router_handle(m->srv, &req, &reply);
    status = reply.status;
    if (body) {
        *body = malloc(reply.body_len + 1);
        if (!*body) {
            reply_release(&reply);
            return -1;
        }
        if (reply.body_len)
            memcpy(*body, reply.body, reply.body_len);
        (*body)[reply.body_len] = '\0';
    }
    if (len)
        *len = reply.body_len;
    reply_release(&reply);
    return status;
}

int respmock_journal(respmock *m, char **json, size_t *len)
{
    char *body = NULL;
    int status = route(m, "GET", RM_JOURNAL_PATH, &body, len);

    if (json)
        *json = body;
    else
        free(body);
    return status;
}

int respmock_reset(respmock *m)
{
    return route(m, "POST", "/__admin/reset", NULL, NULL) == 200 ? 0 : -1;
}

void respmock_stop(respmock *m)
{
    if (!m)
        return;
    http_stop(m->srv);
    server_free(m->srv);
    free_handle(m);
}
