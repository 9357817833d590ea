/* respmock: the command line, built on librespmock (respmock.h) alone:
 * flags and their RESPMOCK_* variables (flags win), --check, background use
 * (--daemon, --pid-file, --ready-file, --log-file), signals, start and stop.
 * The only file that calls exit(). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contract.h" /* RM_REJECTED_KEY_PREFIX */
#include "limits.h"
#include "respmock.h"

#define EXIT_START_FAILED 1
#define EXIT_USAGE 2
/* The readiness lines (a fixtures path among them) or a start-up error. */
#define READY_TEXT_MAX (RM_MAX_PATH + 2 * RM_MAX_URL + 256)

enum opt_id {
    OPT_HOST, OPT_PORT, OPT_FIXTURES, OPT_THREADS, OPT_LOG_LEVEL, OPT_API_KEY, OPT_API_KEY_FILE,
    OPT_MAX_BODY, OPT_MAX_STORED, OPT_MAX_STORED_BYTES, OPT_MAX_CONVERSATIONS,
    OPT_MAX_CONVERSATION_BYTES, OPT_MAX_CONNECTIONS, OPT_IDLE_TIMEOUT, OPT_SPEED, OPT_JOURNAL,
    OPT_JOURNAL_BYTES, OPT_STATE, OPT_STRICT, OPT_WATCH, OPT_ADMIN_TOKEN, OPT_FLAVOR,
    OPT_ACCEPT_UNKNOWN, OPT_NO_WEBSOCKET, OPT_RECORD_FROM, OPT_RECORD_MODE, OPT_REDACT,
    OPT_DAEMON, OPT_PID_FILE, OPT_READY_FILE, OPT_LOG_FILE, OPT_CHECK, OPT_VERSION, OPT_HELP,
    OPT_COUNT
};

/* Every option, once: the parser, the variables and --help read this. */
static const struct opt_def {
    const char *flag;
    const char *env;  /* its variable, NULL for none */
    const char *arg;  /* its value in --help, NULL for a switch */
    const char *help;
} opts[OPT_COUNT] = {
    [OPT_HOST] = {"--host", "RESPMOCK_HOST", "ADDR", "address to bind (default 127.0.0.1)"},
    [OPT_PORT] = {"--port", "RESPMOCK_PORT", "N", "port (default 4010; 0 = a free port)"},
    [OPT_FIXTURES] = {"--fixtures", "RESPMOCK_FIXTURES", "DIR",
                      "fixture directory (default: the shipped fixtures)"},
    [OPT_THREADS] = {"--threads", "RESPMOCK_THREADS", "N", "worker threads (default 2)"},
    [OPT_LOG_LEVEL] = {"--log-level", "RESPMOCK_LOG_LEVEL", "L",
                       "error, warn, info (default) or debug"},
    [OPT_API_KEY] = {"--api-key", "RESPMOCK_API_KEY", "KEY",
                     "accept only this bearer key (repeatable; default: any)"},
    [OPT_API_KEY_FILE] = {"--api-key-file", "RESPMOCK_API_KEY_FILE", "F",
                          "accept only the keys in F, one a line"},
    [OPT_MAX_BODY] = {"--max-body", "RESPMOCK_MAX_BODY", "BYTES",
                      "request body limit, 413 above"},
    [OPT_MAX_STORED] = {"--max-stored", "RESPMOCK_MAX_STORED", "N",
                        "stored responses kept, oldest evicted"},
    [OPT_MAX_STORED_BYTES] = {"--max-stored-bytes", "RESPMOCK_MAX_STORED_BYTES", "B",
                              "their size in memory in all (0 = no limit)"},
    [OPT_MAX_CONVERSATIONS] = {"--max-conversations", "RESPMOCK_MAX_CONVERSATIONS", "N",
                               "conversations kept, oldest evicted (default 1000)"},
    [OPT_MAX_CONVERSATION_BYTES] = {"--max-conversation-bytes",
                                    "RESPMOCK_MAX_CONVERSATION_BYTES", "B",
                                    "their heap bytes in all (0 = no limit)"},
    [OPT_MAX_CONNECTIONS] = {"--max-connections", "RESPMOCK_MAX_CONNECTIONS", "N",
                             "open connections (default 1024); the oldest idle shed"},
    [OPT_IDLE_TIMEOUT] = {"--idle-timeout", "RESPMOCK_IDLE_TIMEOUT", "S",
                          "close a connection idle for S seconds (default 30)"},
    [OPT_SPEED] = {"--speed", "RESPMOCK_SPEED", "F",
                   "delay factor for latency and streams (default 1; 0 = none)"},
    [OPT_JOURNAL] = {"--journal", "RESPMOCK_JOURNAL", "N",
                     "requests the journal keeps (default 1000; 0 = none)"},
    [OPT_JOURNAL_BYTES] = {"--journal-bytes", "RESPMOCK_JOURNAL_BYTES", "B",
                           "their size in all, oldest dropped first"},
    [OPT_STATE] = {"--state", "RESPMOCK_STATE", "URL",
                   "share state with replicas in Redis: redis://HOST:PORT[/DB]"},
    [OPT_STRICT] = {"--strict", "RESPMOCK_STRICT", NULL,
                    "no catch-all fixture: an unmatched request gets 404"},
    [OPT_WATCH] = {"--watch", "RESPMOCK_WATCH", NULL,
                   "reload the fixtures when their files change"},
    [OPT_ADMIN_TOKEN] = {"--admin-token", "RESPMOCK_ADMIN_TOKEN", "T",
                         "/__admin/ needs x-respmock-admin-token: T (else loopback only)"},
    [OPT_FLAVOR] = {"--flavor", "RESPMOCK_FLAVOR", "F",
                    "answer errors like gateway F: openai (default) or cometapi"},
    [OPT_ACCEPT_UNKNOWN] = {"--accept-unknown-params", "RESPMOCK_ACCEPT_UNKNOWN_PARAMS", NULL,
                            "unknown Responses fields: a warning, not a 400"},
    [OPT_NO_WEBSOCKET] = {"--no-websocket", "RESPMOCK_NO_WEBSOCKET", NULL,
                          "WebSocket mode off: an upgrade gets 426 (clients use HTTP)"},
    [OPT_RECORD_FROM] = {"--record-from", "RESPMOCK_RECORD_FROM", "URL",
                         "record mode: forward /v1 requests to URL, write fixtures to --fixtures"},
    [OPT_RECORD_MODE] = {"--record-mode", "RESPMOCK_RECORD_MODE", "M",
                         "all (default: forward everything) or missing (replay what matches)"},
    [OPT_REDACT] = {"--redact", "RESPMOCK_REDACT", "REGEX",
                    "also scrub REGEX from recordings (repeatable; keys, e-mails always)"},
    [OPT_DAEMON] = {"--daemon", "RESPMOCK_DAEMON", NULL,
                    "run in the background; return once listening"},
    [OPT_PID_FILE] = {"--pid-file", "RESPMOCK_PID_FILE", "F",
                      "write the server's PID to F (removed at stop)"},
    [OPT_READY_FILE] = {"--ready-file", "RESPMOCK_READY_FILE", "F",
                        "write the URL to F once listening (removed at stop)"},
    [OPT_LOG_FILE] = {"--log-file", "RESPMOCK_LOG_FILE", "F",
                      "append the log to F (default: stderr)"},
    [OPT_CHECK] = {"--check", NULL, NULL,
                   "load and lint the fixtures, print problems, exit 0 or 1"},
    [OPT_VERSION] = {"--version", NULL, NULL, "print the version and the API snapshot"},
    [OPT_HELP] = {"--help", NULL, NULL, "print this help"},
};

/* What the command line and the environment ask for. */
struct cli {
    struct respmock_options o;
    const char *keys[RM_MAX_API_KEYS + 1]; /* NULL-terminated, into 'owned' */
    char *owned[RM_MAX_API_KEYS];
    unsigned n_keys;
    int check, daemon, version, help;
    const char *pid_file, *ready_file, *log_file;
    char *admin_token;  /* a copy: the command line's is blanked once read */
    const char **redact; /* --redact patterns, NULL-terminated (argc + 2 slots) */
    unsigned n_redact;
};

static void usage(FILE *f)
{
    struct respmock_options d;
    int i;

    respmock_options_init(&d);
    fprintf(f, "usage: respmock [options]\n"
               "An offline mock of the OpenAI Responses API, answering from fixture files.\n"
               "Each option can also be set by the variable shown; an option given on the\n"
               "command line wins over its variable.\n\n");
    for (i = 0; i < OPT_COUNT; i++) {
        char left[64];

        snprintf(left, sizeof(left), "%s%s%s", opts[i].flag, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-24s %s\n", left, opts[i].help);
        if (opts[i].env)
            fprintf(f, "  %-24s   $%s\n", "", opts[i].env);
    }
    fprintf(f,
            "\ndefaults: --max-body %zu, --max-stored %u, --max-stored-bytes %zu\n"
            "Once listening it prints 'listening on URL' and RESPMOCK_URL=URL and\n"
            "RESPMOCK_PID=PID lines; SIGINT or SIGTERM stop it cleanly.\n"
            "exit codes: 0 clean stop, 1 start-up failure, 2 bad command line\n",
            d.max_body, d.max_stored, d.max_stored_bytes);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || end == s || *end || *out > max || s[0] == '-') ? -1 : 0;
}

/* A variable's switch value: 1, 0, or -1 when it is neither. */
static int parse_switch(const char *s)
{
    static const char *const on[] = {"1", "true", "yes", "on", NULL};
    static const char *const off[] = {"", "0", "false", "no", "off", NULL};
    const char *const *p;

    for (p = on; *p; p++)
        if (!strcasecmp(s, *p))
            return 1;
    for (p = off; *p; p++)
        if (!strcasecmp(s, *p))
            return 0;
    return -1;
}

static void drop_keys(struct cli *c)
{
    unsigned i;

    for (i = 0; i < c->n_keys; i++) {
        free(c->owned[i]);
        c->owned[i] = NULL;
        c->keys[i] = NULL;
    }
    c->n_keys = 0;
}

/* Add one key (copied). Returns 0, or -1 when the key cannot be used (the
 * caller says so without quoting it). */
static int add_key(struct cli *c, const char *key, size_t len)
{
    if (c->n_keys >= RM_MAX_API_KEYS || len == 0 || len > RM_MAX_API_KEY_LEN ||
        memchr(key, '\0', len) ||
        (len >= strlen(RM_REJECTED_KEY_PREFIX) &&
         !strncmp(key, RM_REJECTED_KEY_PREFIX, strlen(RM_REJECTED_KEY_PREFIX))))
        return -1;
    c->owned[c->n_keys] = strndup(key, len);
    if (!c->owned[c->n_keys])
        return -1;
    c->keys[c->n_keys] = c->owned[c->n_keys];
    c->n_keys++;
    c->keys[c->n_keys] = NULL;
    return 0;
}

/* Keys from a file: one a line, blank lines and '#' comments skipped,
 * surrounding blanks trimmed. 'what' names the option or variable. */
static int read_key_file(struct cli *c, const char *path, const char *what)
{
    char *buf, *line, *next;
    size_t n;
    unsigned lineno = 0, before = c->n_keys;
    int rc = -1;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "respmock: cannot read %s %s: %s\n", what, path, strerror(errno));
        return -1;
    }
    buf = malloc(RM_MAX_API_KEY_FILE + 1);
    n = buf ? fread(buf, 1, RM_MAX_API_KEY_FILE + 1, f) : 0;
    fclose(f);
    if (!buf || n > RM_MAX_API_KEY_FILE) {
        fprintf(stderr, "respmock: %s %s is larger than %u bytes\n", what, path,
                RM_MAX_API_KEY_FILE);
        goto out;
    }
    buf[n] = '\0';
    for (line = buf; line && *line; line = next) {
        char *end;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        end = line + strlen(line);
        while (end > line && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*line || *line == '#')
            continue;
        if (add_key(c, line, (size_t)(end - line)) != 0) {
            /* never quote a key */
            fprintf(stderr, "respmock: %s %s: the key on line %u cannot be used (too many, "
                            "longer than %d bytes, or of the always refused shape %s...)\n",
                    what, path, lineno, RM_MAX_API_KEY_LEN, RM_REJECTED_KEY_PREFIX);
            goto out;
        }
    }
    if (c->n_keys == before)
        fprintf(stderr, "respmock: %s %s holds no key\n", what, path);
    else
        rc = 0;
out:
    if (buf) /* the keys are copied: leave no trace of them */
        explicit_bzero(buf, RM_MAX_API_KEY_FILE + 1);
    free(buf);
    return rc;
}

/* Apply option 'id' with 'val' (NULL for a switch given as a flag); 'src' is
 * the flag or the variable it came from. Returns 0 or EXIT_USAGE (reported). */
static int apply(struct cli *c, enum opt_id id, const char *val, const char *src)
{
    struct respmock_options *o = &c->o;
    unsigned long v;

    switch (id) {
    case OPT_HOST:
        o->host = val;
        return 0;
    case OPT_PORT:
        if (parse_ulong(val, 65535, &v))
            break;
        o->port = (int)v;
        return 0;
    case OPT_FIXTURES:
        o->fixtures_dir = val;
        return 0;
    case OPT_THREADS:
        if (parse_ulong(val, RM_MAX_THREADS, &v) || v == 0)
            break;
        o->threads = (unsigned)v;
        return 0;
    case OPT_LOG_LEVEL:
        if (!strcmp(val, "error"))
            o->log_level = RESPMOCK_LOG_ERROR;
        else if (!strcmp(val, "warn"))
            o->log_level = RESPMOCK_LOG_WARN;
        else if (!strcmp(val, "info"))
            o->log_level = RESPMOCK_LOG_INFO;
        else if (!strcmp(val, "debug"))
            o->log_level = RESPMOCK_LOG_DEBUG;
        else
            break;
        return 0;
    case OPT_API_KEY:
    case OPT_API_KEY_FILE:
        if (id == OPT_API_KEY_FILE)
            return read_key_file(c, val, src) ? EXIT_USAGE : 0;
        if (add_key(c, val, strlen(val)) != 0) {
            /* never echo a key */
            fprintf(stderr, "respmock: bad value for %s (see --help)\n", src);
            return EXIT_USAGE;
        }
        return 0;
    case OPT_MAX_BODY:
        if (parse_ulong(val, RM_MAX_BODY_CEILING, &v) || v == 0)
            break;
        o->max_body = v;
        return 0;
    case OPT_MAX_STORED:
        if (parse_ulong(val, RM_MAX_STORED_CEILING, &v) || v == 0)
            break;
        o->max_stored = (unsigned)v;
        return 0;
    case OPT_MAX_STORED_BYTES:
        if (parse_ulong(val, (unsigned long)SIZE_MAX / 2, &v))
            break;
        o->max_stored_bytes = v;
        return 0;
    case OPT_MAX_CONVERSATIONS:
        if (parse_ulong(val, RM_MAX_CONVERSATIONS_CEILING, &v) || v == 0)
            break;
        o->max_conversations = (unsigned)v;
        return 0;
    case OPT_MAX_CONVERSATION_BYTES:
        if (parse_ulong(val, (unsigned long)SIZE_MAX / 2, &v))
            break;
        o->max_conversation_bytes = v;
        return 0;
    case OPT_MAX_CONNECTIONS:
        if (parse_ulong(val, RM_MAX_CONNECTIONS_CEILING, &v) || v < 2)
            break;
        o->max_connections = (unsigned)v;
        return 0;
    case OPT_IDLE_TIMEOUT:
        if (parse_ulong(val, RM_MAX_IDLE_TIMEOUT_S, &v) || v == 0)
            break;
        o->idle_timeout_s = (unsigned)v;
        return 0;
    case OPT_SPEED: {
        char *end;
        double d = strtod(val, &end);
        /* Written so that "nan" fails too (every comparison with NaN is false). */
        if (*end || end == val || !(d >= 0 && d <= RM_MAX_SPEED))
            break;
        o->speed = d;
        return 0;
    }
    case OPT_JOURNAL:
        if (parse_ulong(val, RM_MAX_JOURNAL_CEILING, &v))
            break;
        o->journal = (unsigned)v;
        return 0;
    case OPT_JOURNAL_BYTES:
        if (parse_ulong(val, (unsigned long)SIZE_MAX / 2, &v))
            break;
        o->journal_bytes = v;
        return 0;
    case OPT_STATE:
        if (strncmp(val, "redis://", 8) != 0 || strlen(val) > RM_MAX_STATE_URL)
            break;
        o->state = val;
        return 0;
    case OPT_ADMIN_TOKEN:
        if (!*val) {
            /* never echo a token */
            fprintf(stderr, "respmock: bad value for %s (see --help)\n", src);
            return EXIT_USAGE;
        }
        free(c->admin_token);
        c->admin_token = strdup(val);
        o->admin_token = c->admin_token;
        return o->admin_token ? 0 : EXIT_USAGE;
    case OPT_FLAVOR:
        if (strcmp(val, "openai") != 0 && strcmp(val, "cometapi") != 0)
            break;
        o->flavor = val;
        return 0;
    case OPT_RECORD_FROM:
        if (strncmp(val, "http://", 7) != 0 && strncmp(val, "https://", 8) != 0)
            break;
        o->record_from = val;
        return 0;
    case OPT_RECORD_MODE:
        if (strcmp(val, "all") != 0 && strcmp(val, "missing") != 0)
            break;
        o->record_mode = val;
        return 0;
    case OPT_REDACT:
        if (!*val || !c->redact)
            break;
        c->redact[c->n_redact++] = val;
        c->redact[c->n_redact] = NULL;
        o->redact = c->redact;
        return 0;
    case OPT_ACCEPT_UNKNOWN:
    case OPT_NO_WEBSOCKET:
    case OPT_STRICT:
    case OPT_WATCH:
    case OPT_DAEMON: {
        int on = val ? parse_switch(val) : 1;
        if (on < 0)
            break;
        if (id == OPT_DAEMON)
            c->daemon = on;
        else if (id == OPT_STRICT)
            o->strict = on;
        else if (id == OPT_WATCH)
            o->watch = on;
        else if (id == OPT_NO_WEBSOCKET)
            o->no_websocket = on;
        else
            o->accept_unknown_params = on;
        return 0;
    }
    case OPT_PID_FILE:
    case OPT_READY_FILE:
    case OPT_LOG_FILE:
        if (!*val)
            break;
        if (id == OPT_PID_FILE)
            c->pid_file = val;
        else if (id == OPT_READY_FILE)
            c->ready_file = val;
        else
            c->log_file = val;
        return 0;
    case OPT_CHECK:
        c->check = 1;
        return 0;
    case OPT_VERSION:
        c->version = 1;
        return 0;
    case OPT_HELP:
        c->help = 1;
        return 0;
    case OPT_COUNT:
        break;
    }
    fprintf(stderr, "respmock: bad value '%s' for %s (see --help)\n", val ? val : "", src);
    return EXIT_USAGE;
}

static void cli_release(struct cli *c)
{
    free(c->redact);
    c->redact = NULL;
    drop_keys(c);
    free(c->admin_token);
    c->admin_token = NULL;
}

/* One option of the command line. */
struct given {
    enum opt_id id;
    char *val; /* NULL for a switch */
};

/* Split argv into options (reported and EXIT_USAGE when one is unknown or
 * lacks its value); '*out' is allocated (argc entries at most). */
static int split_args(int argc, char **argv, struct given **out, int *n)
{
    struct given *g = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*g));
    int i;

    *out = g;
    *n = 0;
    if (!g) {
        fprintf(stderr, "respmock: out of memory\n");
        return EXIT_START_FAILED;
    }
    for (i = 1; i < argc; i++) {
        char *a = argv[i], *eq = NULL;
        size_t flen;
        int id;

        if (!strcmp(a, "-h"))
            a = (char *)"--help";
        if (!strncmp(a, "--", 2) && (eq = strchr(a, '=')))
            flen = (size_t)(eq - a);
        else
            flen = strlen(a);
        for (id = 0; id < OPT_COUNT; id++)
            if (strlen(opts[id].flag) == flen && !strncmp(opts[id].flag, a, flen))
                break;
        if (id == OPT_COUNT) {
            fprintf(stderr, "respmock: unknown option '%.*s' (see --help)\n", (int)flen, a);
            return EXIT_USAGE;
        }
        g[*n].id = (enum opt_id)id;
        if (opts[id].arg) {
            if (eq)
                g[*n].val = eq + 1;
            else if (i + 1 < argc)
                g[*n].val = argv[++i];
            else {
                fprintf(stderr, "respmock: %s needs a value (see --help)\n", opts[id].flag);
                return EXIT_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "respmock: %s takes no value (see --help)\n", opts[id].flag);
            return EXIT_USAGE;
        }
        (*n)++;
    }
    return 0;
}

/* The variables of the options the command line does not give (the key
 * variables only when no key option is given), then the command line.
 * Returns 0 or an exit code (reported). */
static int parse(struct cli *c, int argc, char **argv)
{
    struct given *g;
    int given[OPT_COUNT] = {0};
    int i, n, rc;

    memset(c, 0, sizeof(*c));
    respmock_options_init(&c->o);
    c->o.port = RM_DEFAULT_PORT;
    c->redact = calloc((size_t)(argc > 0 ? argc : 0) + 2, sizeof(*c->redact));
    rc = split_args(argc, argv, &g, &n);
    for (i = 0; rc == 0 && i < n; i++)
        given[g[i].id] = 1;
    if (given[OPT_API_KEY] || given[OPT_API_KEY_FILE])
        given[OPT_API_KEY] = given[OPT_API_KEY_FILE] = 1;
    for (i = 0; rc == 0 && i < OPT_COUNT; i++) {
        const char *val = opts[i].env && !given[i] ? getenv(opts[i].env) : NULL;

        if (val && *val) /* an empty variable counts as unset */
            rc = apply(c, (enum opt_id)i, val, opts[i].env);
    }
    for (i = 0; rc == 0 && i < n; i++)
        rc = apply(c, g[i].id, g[i].val, opts[g[i].id].flag);
    for (i = 0; i < n; i++)
        if (g[i].id == OPT_API_KEY || g[i].id == OPT_ADMIN_TOKEN) /* out of the process list */
            memset(g[i].val, 'x', strlen(g[i].val));
    free(g);
    c->o.api_keys = c->n_keys ? c->keys : NULL;
    return rc;
}

/* 'path' made absolute against the working directory (the daemon leaves
 * it), into 'out'. Returns 'out', or NULL when it does not fit. */
static const char *absolute(const char *path, char *out, size_t n)
{
    char cwd[RM_MAX_PATH];

    if (path[0] == '/') {
        if ((size_t)snprintf(out, n, "%s", path) >= n)
            return NULL;
        return out;
    }
    if (!getcwd(cwd, sizeof(cwd)) || (size_t)snprintf(out, n, "%s/%s", cwd, path) >= n)
        return NULL;
    return out;
}

/* Write 'text' to 'path' at once: a temporary file renamed over it, so a
 * reader sees nothing or all of it. Returns 0 or -1 (errno set). */
static int write_atomic(const char *path, const char *text)
{
    char tmp[RM_MAX_PATH + 32];
    size_t len = strlen(text);
    int fd, saved;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len || close(fd) != 0 || rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Whether the PID in pid file 'path' is a running respmock. */
static long running_pid(const char *path)
{
    char buf[64], proc[64], comm[64];
    FILE *f = fopen(path, "r");
    long pid = 0;

    if (!f)
        return 0;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    pid = strtol(buf, NULL, 10);
    if (pid <= 0 || pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
        return 0;
    snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
    f = fopen(proc, "r");
    if (!f)
        return pid; /* cannot tell: assume it is one */
    if (!fgets(comm, sizeof(comm), f))
        comm[0] = '\0';
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return strcmp(comm, "respmock") == 0 ? pid : 0;
}

/* In the daemon: close every descriptor above 2 but 'keep' (listed from
 * /proc, a batch at a time, until none is left). */
static void close_other_fds(int keep)
{
    int fds[RM_DAEMON_FD_BATCH], n, i;

    do {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        if (!d)
            return;
        n = 0;
        while (n < RM_DAEMON_FD_BATCH && (de = readdir(d))) {
            int fd = atoi(de->d_name);
            if (de->d_name[0] != '.' && fd > 2 && fd != keep && fd != dirfd(d))
                fds[n++] = fd;
        }
        closedir(d);
        for (i = 0; i < n; i++)
            close(fds[i]);
    } while (n == RM_DAEMON_FD_BATCH);
}

/* The lines printed once listening (by the daemon's parent with --daemon). */
static void ready_lines(char *out, size_t n, const respmock *m, long pid)
{
    const char *dir = respmock_fixtures_dir(m);

    snprintf(out, n,
             "respmock %s: %zu fixtures from %s\n"
             "listening on %s\n"
             "RESPMOCK_URL=%s\n"
             "RESPMOCK_PID=%ld\n",
             respmock_version(), respmock_fixture_count(m), dir ? dir : "(none)",
             respmock_url(m), respmock_url(m), pid);
}

/* The parent of a daemon: wait for its word, print it, exit. */
static int daemon_parent(int fd, pid_t child)
{
    char buf[READY_TEXT_MAX];
    size_t n = 0;
    ssize_t r;
    int status;

    while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (n > 0 && buf[0] == 'O') {
        fputs(buf + 1, stdout);
        fflush(stdout);
        return 0;
    }
    if (n > 0 && buf[0] == 'E')
        fputs(buf + 1, stderr);
    else
        fprintf(stderr, "respmock: the background server ended before it listened\n");
    waitpid(child, &status, 0);
    return EXIT_START_FAILED;
}

static void say(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;

    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static int serve(struct cli *c)
{
    char pid_path[RM_MAX_PATH], ready_path[RM_MAX_PATH], fixtures[RM_MAX_PATH], err[1024];
    char lines[READY_TEXT_MAX], url_line[RM_MAX_URL + 2];
    const char *pid_file = NULL, *ready_file = NULL, *bad_file = NULL;
    int log_fd = -1, notify = -1, term_fd = STDERR_FILENO, sig = 0;
    struct rlimit rl;
    sigset_t sigs;
    respmock *m;
    long other;

    if ((c->pid_file && !(pid_file = absolute(c->pid_file, pid_path, sizeof(pid_path)))) ||
        (c->ready_file && !(ready_file = absolute(c->ready_file, ready_path,
                                                  sizeof(ready_path)))) ||
        (c->o.fixtures_dir &&
         !(c->o.fixtures_dir = absolute(c->o.fixtures_dir, fixtures, sizeof(fixtures))))) {
        fprintf(stderr, "respmock: a path is too long\n");
        return EXIT_USAGE;
    }
    if (pid_file && (other = running_pid(pid_file)) > 0) {
        fprintf(stderr, "respmock: %s names process %ld, a running respmock; stop it or "
                        "remove the file\n", pid_file, other);
        return EXIT_START_FAILED;
    }
    if (ready_file)
        unlink(ready_file); /* a stale one must not say "ready" */
    if (c->log_file) {
        log_fd = open(c->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            fprintf(stderr, "respmock: cannot open --log-file %s: %s\n", c->log_file,
                    strerror(errno));
            return EXIT_START_FAILED;
        }
    }
    fflush(NULL);
    if (c->daemon) {
        int pipefd[2], devnull;
        pid_t child;

        if (pipe(pipefd) != 0 || (child = fork()) < 0) {
            fprintf(stderr, "respmock: cannot start in the background: %s\n", strerror(errno));
            return EXIT_START_FAILED;
        }
        if (child > 0) {
            close(pipefd[1]);
            if (log_fd >= 0)
                close(log_fd);
            return daemon_parent(pipefd[0], child);
        }
        close(pipefd[0]);
        notify = pipefd[1];
        setsid();
        devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(log_fd >= 0 ? log_fd : devnull, STDERR_FILENO);
            if (devnull > STDERR_FILENO)
                close(devnull);
        }
        close_other_fds(notify);
        log_fd = -1; /* closed above, now stderr */
        if (chdir("/") != 0) {
            /* nothing relies on the directory any more */
        }
    } else if (log_fd >= 0) {
        term_fd = dup(STDERR_FILENO);
        dup2(log_fd, STDERR_FILENO);
        close(log_fd);
        log_fd = -1;
        if (term_fd < 0)
            term_fd = STDERR_FILENO;
    }

    /* Signals are taken synchronously by this thread; the library's threads
     * block them all. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    m = respmock_start(&c->o, err, sizeof(err));
    if (!m) {
        snprintf(lines, sizeof(lines), "Erespmock: %s\n", err);
        if (notify >= 0)
            say(notify, lines);
        else
            say(term_fd, lines + 1);
        if (term_fd != STDERR_FILENO) /* and into the log */
            fprintf(stderr, "%s", lines + 1);
        return EXIT_START_FAILED;
    }
    snprintf(url_line, sizeof(url_line), "%s\n", respmock_url(m));
    snprintf(lines, sizeof(lines), "%ld\n", (long)getpid());
    if ((pid_file && write_atomic(pid_file, lines) != 0 && (bad_file = pid_file)) ||
        (ready_file && write_atomic(ready_file, url_line) != 0 && (bad_file = ready_file))) {
        snprintf(lines, sizeof(lines), "Erespmock: cannot write %s: %s\n", bad_file,
                 strerror(errno));
        say(notify >= 0 ? notify : term_fd, notify >= 0 ? lines : lines + 1);
        respmock_stop(m);
        if (pid_file && bad_file != pid_file)
            unlink(pid_file);
        return EXIT_START_FAILED;
    }
    lines[0] = 'O';
    ready_lines(lines + 1, sizeof(lines) - 1, m, (long)getpid());
    if (notify >= 0) {
        say(notify, lines);
        close(notify);
    } else {
        fputs(lines + 1, stdout);
        fflush(stdout);
    }
    if (term_fd != STDERR_FILENO)
        close(term_fd);

    while (sigwait(&sigs, &sig) != 0)
        ;
    if (c->o.log_level >= RESPMOCK_LOG_INFO)
        fprintf(stderr, "respmock: info: signal %d: shutting down\n", sig);
    if (ready_file)
        unlink(ready_file);
    /* A second SIGINT/SIGTERM during shutdown ends the process at once. */
    pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
    respmock_stop(m);
    if (pid_file)
        unlink(pid_file);
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c;
    int rc = parse(&c, argc, argv);

    if (rc == 0 && c.help) {
        usage(stdout);
    } else if (rc == 0 && c.version) {
        printf("respmock %s\nResponses API snapshot: %s\n", respmock_version(),
               respmock_api_snapshot());
    } else if (rc == 0 && c.check) {
        char dir[RM_MAX_PATH];
        const char *d = c.o.fixtures_dir;
        long n;

        if (!d && respmock_default_fixtures(dir, sizeof(dir)) == 0)
            d = dir;
        n = respmock_check(d, stdout);
        if (n < 0) {
            printf("respmock: fixtures in %s have problems (see above)\n", d ? d : dir);
            rc = 1;
        } else {
            printf("respmock: %ld fixtures in %s are valid\n", n, d);
        }
    } else if (rc == 0) {
        rc = serve(&c);
    }
    cli_release(&c);
    return rc;
}
