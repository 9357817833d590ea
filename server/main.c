/* respmock: command line, signals, start and stop. The only file that
 * calls exit(). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>

#include "catalog.h"
#include "contract.h"
#include "fixture.h"
#include "http.h"
#include "server.h"

#ifndef RM_DEFAULT_FIXTURES
#define RM_DEFAULT_FIXTURES "fixtures"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: respmock [options]\n"
            "An offline mock of the OpenAI Responses API, answering from fixture files.\n"
            "\n"
            "  --host ADDR        address to bind (default 127.0.0.1)\n"
            "  --port N           port (default 4010; 0 = pick a free port and print it)\n"
            "  --fixtures DIR     fixture directory (default: the shipped fixtures/)\n"
            "  --threads N        worker threads (default 2)\n"
            "  --log-level L      error, warn, info (default) or debug\n"
            "  --api-key KEY      accept only this bearer key (repeatable; default: any)\n"
            "  --max-body BYTES   request body limit, 413 above (default %u)\n"
            "  --max-stored N     stored responses kept, oldest evicted (default %d)\n"
            "  --max-stored-bytes B  their estimated size in all, oldest evicted\n"
            "                     (default %u; 0 = no byte limit)\n"
            "  --speed F          delay factor for latency and streams (default 1; 0 = none)\n"
            "  --journal N        requests the journal keeps (default %d; 0 = none)\n"
            "  --journal-bytes B  their size in all (default %u)\n"
            "  --strict           no catch-all fixture: a request no fixture matches gets 404\n"
            "  --watch            reload the fixtures when their files change\n"
            "  --admin-token T    the admin API (/__admin/) needs this token\n"
            "                     (x-respmock-admin-token); without it, loopback only\n"
            "  --flavor F         answer errors like the gateway F: openai (default) or\n"
            "                     cometapi (see server/README.md, Gateway flavours)\n"
            "  --accept-unknown-params  unknown Responses fields are accepted with a\n"
            "                     warning (log and x-respmock-warning) instead of a 400\n"
            "  --check            load and lint the fixtures, print problems, exit 0 or 1\n"
            "  --version          print the version\n"
            "  --help             print this help\n",
            RM_DEFAULT_MAX_BODY, RM_DEFAULT_MAX_STORED, RM_DEFAULT_MAX_STORED_BYTES,
            RM_DEFAULT_JOURNAL, RM_DEFAULT_JOURNAL_BYTES);
}

/* Options that take a value, as listed by --help. */
static int takes_value(const char *opt)
{
    static const char *const valued[] = {"--host",       "--port",       "--fixtures",
                                         "--threads",    "--log-level",  "--api-key",
                                         "--max-body",   "--max-stored", "--max-stored-bytes",
                                         "--speed",      "--journal",    "--journal-bytes",
                                         "--admin-token", "--flavor", NULL};
    const char *const *v;

    for (v = valued; *v; v++)
        if (!strcmp(*v, opt))
            return 1;
    return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || end == s || *end || *out > max || s[0] == '-') ? -1 : 0;
}

/* --watch reports through the log. */
static void log_line(void *user, const char *line)
{
    server_log(user, LOG_WARN, "%s", line);
}

static int run_check(const char *dir)
{
    struct fixture_set set;
    struct mock_error err;

    mock_error_clear(&err);
    if (fixture_set_load(&set, dir, &err, stdout) != 0) {
        printf("respmock: fixtures in %s have problems (see above)\n", dir);
        return 1;
    }
    printf("respmock: %zu fixtures in %s are valid\n", set.n, dir);
    fixture_set_release(&set);
    return 0;
}

int main(int argc, char **argv)
{
    struct rm_config cfg;
    struct rm_server *srv;
    struct mock_error err;
    struct rlimit rl;
    sigset_t sigs;
    int i, check = 0, sig = 0;
    unsigned long v;

    server_config_defaults(&cfg);
    cfg.fixtures_dir = RM_DEFAULT_FIXTURES;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("respmock %s\n", RM_VERSION);
            return 0;
        } else if (!strcmp(a, "--check")) {
            check = 1;
            takes = 0;
        } else if (!strcmp(a, "--accept-unknown-params")) {
            cfg.accept_unknown_params = 1;
            takes = 0;
        } else if (!strcmp(a, "--strict")) {
            cfg.strict = 1;
            takes = 0;
        } else if (!strcmp(a, "--watch")) {
            cfg.watch = 1;
            takes = 0;
        } else if (!takes_value(a)) {
            fprintf(stderr, "respmock: unknown option '%s' (see --help)\n", a);
            return 2;
        } else if (!val) {
            fprintf(stderr, "respmock: %s needs a value (see --help)\n", a);
            return 2;
        } else if (!strcmp(a, "--host")) {
            cfg.host = val;
        } else if (!strcmp(a, "--port")) {
            if (parse_ulong(val, 65535, &v))
                goto bad_value;
            cfg.port = (int)v;
        } else if (!strcmp(a, "--fixtures")) {
            cfg.fixtures_dir = val;
        } else if (!strcmp(a, "--threads")) {
            if (parse_ulong(val, 64, &v) || v == 0)
                goto bad_value;
            cfg.threads = (unsigned)v;
        } else if (!strcmp(a, "--log-level")) {
            if (!strcmp(val, "error"))
                cfg.log_level = LOG_ERROR;
            else if (!strcmp(val, "warn"))
                cfg.log_level = LOG_WARN;
            else if (!strcmp(val, "info"))
                cfg.log_level = LOG_INFO;
            else if (!strcmp(val, "debug"))
                cfg.log_level = LOG_DEBUG;
            else
                goto bad_value;
        } else if (!strcmp(a, "--api-key")) {
            if (cfg.n_api_keys >= RM_MAX_API_KEYS || !*val ||
                !strncmp(val, RM_REJECTED_KEY_PREFIX, strlen(RM_REJECTED_KEY_PREFIX)))
                goto bad_value; /* that shape is always rejected */
            cfg.api_keys[cfg.n_api_keys++] = val;
        } else if (!strcmp(a, "--max-body")) {
            if (parse_ulong(val, RM_MAX_BODY_CEILING, &v) || v == 0)
                goto bad_value;
            cfg.max_body = v;
        } else if (!strcmp(a, "--max-stored")) {
            if (parse_ulong(val, RM_MAX_STORED_CEILING, &v) || v == 0)
                goto bad_value;
            cfg.max_stored = (unsigned)v;
        } else if (!strcmp(a, "--max-stored-bytes")) {
            if (parse_ulong(val, (unsigned long)SIZE_MAX / 2, &v))
                goto bad_value;
            cfg.max_stored_bytes = v;
        } else if (!strcmp(a, "--journal")) {
            if (parse_ulong(val, RM_MAX_JOURNAL_CEILING, &v))
                goto bad_value;
            cfg.journal = (unsigned)v;
        } else if (!strcmp(a, "--journal-bytes")) {
            if (parse_ulong(val, (unsigned long)SIZE_MAX / 2, &v))
                goto bad_value;
            cfg.journal_bytes = v;
        } else if (!strcmp(a, "--flavor")) {
            cfg.flavor = envelope_flavor_parse(val);
            if (cfg.flavor == RM_FLAVOR_UNSET)
                goto bad_value;
        } else if (!strcmp(a, "--admin-token")) {
            if (!*val)
                goto bad_value;
            cfg.admin_token = val;
        } else if (!strcmp(a, "--speed")) {
            char *end;
            cfg.speed = strtod(val, &end);
            /* Written so that "nan" fails too (every comparison with NaN is false). */
            if (*end || end == val || !(cfg.speed >= 0 && cfg.speed <= 1000))
                goto bad_value;
        } else {
            fprintf(stderr, "respmock: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        i += takes;
        continue;
bad_value:
        if (!strcmp(a, "--api-key") || !strcmp(a, "--admin-token")) /* never echo a key */
            fprintf(stderr, "respmock: bad value for %s (see --help)\n", a);
        else
            fprintf(stderr, "respmock: bad value '%s' for %s (see --help)\n", val, a);
        return 2;
    }
    if (check)
        return run_check(cfg.fixtures_dir);

    /* Signals are taken synchronously by main; every thread inherits the mask. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    if (!srv || http_start(srv, &err) != 0) {
        char line[1024];
        fprintf(stderr, "respmock: %s\n", mock_error_format(&err, line, sizeof(line)));
        server_free(srv);
        return 1;
    }
    if (cfg.watch && catalog_watch(srv->catalog, RM_WATCH_INTERVAL_MS, log_line, srv) != 0) {
        fprintf(stderr, "respmock: cannot start --watch\n");
        http_stop(srv);
        server_free(srv);
        return 1;
    }
    {
        struct fixture_set *set = server_fixtures(srv);
        printf("respmock %s: %zu fixtures from %s\n", RM_VERSION, set->n, cfg.fixtures_dir);
        fixture_set_unref(set);
    }
    printf("listening on http://%s%s%s:%d\n", strchr(cfg.host, ':') ? "[" : "", cfg.host,
           strchr(cfg.host, ':') ? "]" : "", srv->bound_port);
    fflush(stdout);
    while (sigwait(&sigs, &sig) != 0)
        ;
    server_log(srv, LOG_INFO, "signal %d: shutting down", sig);
    /* A second SIGINT/SIGTERM during shutdown ends the process at once. */
    pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
    http_stop(srv);
    server_free(srv);
    return 0;
}
