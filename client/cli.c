/* cli: flags and environment to configuration (see cli.h).
 * Pure apart from getenv; main.c prints the messages and picks the exit code. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_limits.h"

/* First non-empty environment variable of 'names'; its name goes to 'which'. */
static const char *env_first(const char *const *names, const char **which)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && v[0]) {
            if (which)
                *which = *names;
            return v;
        }
    }
    return NULL;
}

int cli_is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    const char *at;
    size_t len, i, host;

    h = h ? h + 3 : url;
    len = strcspn(h, "/?#");
    at = memchr(h, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    if (len >= 5 && strncmp(h, "[::1]", 5) == 0)
        return len == 5 || h[5] == ':';
    host = strcspn(h, ":/?#");
    if (host > len)
        host = len;
    if (host == 9 && strncasecmp(h, "localhost", 9) == 0)
        return 1;
    if (host < 7 || strncmp(h, "127.", 4) != 0)
        return 0;
    for (i = 0; i < host; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
            return 0;
    return 1;
}

/* Parse a whole decimal number in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    if (!s || !*s)
        return -1;
    v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Set or clear the bits of a comma-separated area list. */
static int area_list(const char *list, unsigned *mask, char *err, size_t n)
{
    char item[64];
    const char *p = list;

    *mask = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        int a;
        if (len == 0 || len >= sizeof(item)) {
            snprintf(err, n, "bad area list '%.40s'", list);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        a = checks_area_parse(item);
        if (a < 0) {
            snprintf(err, n, "unknown area '%s' (see --help for the list)", item);
            return -1;
        }
        *mask |= 1u << a;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void cli_usage(FILE *fp)
{
    int a;

    fprintf(fp,
            "usage: respsmoke [options]\n"
            "\n"
            "Runs the Responses API smoke suite against respmock, staging or production,\n"
            "chosen by the base URL alone.\n"
            "\n"
            "options:\n"
            "  --base-url URL        endpoint base, including /v1 (default: $RESPSMOKE_BASE_URL,\n"
            "                        then $OPENAI_BASE_URL, then " CLI_DEFAULT_BASE_URL ")\n"
            "  --model NAME          model to request (default: $RESPSMOKE_MODEL, then the\n"
            "                        first model GET /models lists; the record says which)\n"
            "  --env NAME            staging, sandbox, production or local (default: local for\n"
            "                        a loopback base URL, else unspecified)\n"
            "  --endpoint API        responses (default), chat, or both (side by side)\n"
            "  --only AREA[,AREA]    run only these areas (repeatable)\n"
            "  --skip AREA[,AREA]    do not run these areas (repeatable)\n"
            "  --timeout SECONDS     per request, 1-%ld (default %ld)\n"
            "  --retries N           retries after 429/5xx, honouring retry-after-ms and\n"
            "                        retry-after, 0-%d (default %d)\n"
            "  --record FILE         append the run record (key: value + area table)\n"
            "  --json FILE           write the run record as JSON\n"
            "  --junit FILE          write JUnit XML\n"
            "  --reviewed-by NAME    reviewer named in the record\n"
            "  --help, --version\n"
            "\n"
            "environment:\n"
            "  RESPSMOKE_API_KEY, then OPENAI_API_KEY, then COMETAPI_KEY: the bearer key (never a\n"
            "  flag, never printed; outputs show at most a fingerprint such as sk-...9f2c).\n"
            "  Without a key a loopback base URL gets a placeholder key; others are refused.\n"
            "\n"
            "areas:",
            SMOKE_MAX_TIMEOUT_S, SMOKE_DEFAULT_TIMEOUT_S, SMOKE_MAX_RETRIES,
            SMOKE_DEFAULT_RETRIES);
    for (a = 0; a < SMOKE_AREA_COUNT; a++)
        fprintf(fp, "%s %s", a ? "," : "", checks_area_name(a));
    fprintf(fp, "\n\n"
                "exit codes:\n"
                "  0  every selected check passed (skips allowed)\n"
                "  1  at least one check failed\n"
                "  2  usage error, or the endpoint could not be used at all (cannot connect,\n"
                "     TLS failure, no model), or an output file could not be written\n");
}

/* The value of option 'name' at argv[*i] ("--name value" or "--name=value"),
 * or NULL when argv[*i] is another option. Sets *missing when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);

    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (arg[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

enum cli_action cli_parse(int argc, char **argv, struct smoke_config *cfg, char *err, size_t n)
{
    static const char *const base_envs[] = {"RESPSMOKE_BASE_URL", "OPENAI_BASE_URL", NULL};
    static const char *const key_envs[] = {"RESPSMOKE_API_KEY", "OPENAI_API_KEY", "COMETAPI_KEY",
                                           NULL};
    static const char *const model_envs[] = {"RESPSMOKE_MODEL", NULL};
    static const char *const envs[] = {"staging", "sandbox", "production", "local", NULL};
    const char *base = NULL, *only = NULL, *v;
    unsigned only_mask = 0, skip_mask = 0, mask;
    size_t len;
    long num;
    int i;

    memset(cfg, 0, sizeof(*cfg));
    cfg->areas = (1u << SMOKE_AREA_COUNT) - 1;
    cfg->apis = 1u << SMOKE_API_RESPONSES;
    cfg->timeout_s = SMOKE_DEFAULT_TIMEOUT_S;
    cfg->retries = SMOKE_DEFAULT_RETRIES;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int missing = 0;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return CLI_HELP;
        if (strcmp(arg, "--version") == 0)
            return CLI_VERSION;
        if (strncmp(arg, "--api-key", 9) == 0 || strncmp(arg, "--key", 5) == 0) {
            snprintf(err, n, "the API key is never a flag: set RESPSMOKE_API_KEY, "
                             "OPENAI_API_KEY or COMETAPI_KEY");
            return CLI_USAGE_ERROR;
        }
        if ((v = opt_value(argc, argv, &i, "--base-url", &missing))) {
            base = v;
            cfg->base_url_source = "--base-url";
        } else if ((v = opt_value(argc, argv, &i, "--model", &missing))) {
            cfg->model = v;
            cfg->model_source = "--model";
        } else if ((v = opt_value(argc, argv, &i, "--env", &missing))) {
            const char *const *e;
            for (e = envs; *e && strcmp(*e, v) != 0; e++)
                ;
            if (!*e) {
                snprintf(err, n, "--env must be staging, sandbox, production or local");
                return CLI_USAGE_ERROR;
            }
            cfg->env = *e;
        } else if ((v = opt_value(argc, argv, &i, "--endpoint", &missing))) {
            if (strcmp(v, "responses") == 0)
                cfg->apis = 1u << SMOKE_API_RESPONSES;
            else if (strcmp(v, "chat") == 0)
                cfg->apis = 1u << SMOKE_API_CHAT;
            else if (strcmp(v, "both") == 0)
                cfg->apis = (1u << SMOKE_API_RESPONSES) | (1u << SMOKE_API_CHAT);
            else {
                snprintf(err, n, "--endpoint must be responses, chat or both");
                return CLI_USAGE_ERROR;
            }
        } else if ((v = opt_value(argc, argv, &i, "--only", &missing))) {
            if (area_list(v, &mask, err, n))
                return CLI_USAGE_ERROR;
            only_mask |= mask;
            only = v;
        } else if ((v = opt_value(argc, argv, &i, "--skip", &missing))) {
            if (area_list(v, &mask, err, n))
                return CLI_USAGE_ERROR;
            skip_mask |= mask;
        } else if ((v = opt_value(argc, argv, &i, "--timeout", &missing))) {
            if (parse_long(v, 1, SMOKE_MAX_TIMEOUT_S, &num)) {
                snprintf(err, n, "--timeout must be a whole number of seconds, 1-%ld",
                         SMOKE_MAX_TIMEOUT_S);
                return CLI_USAGE_ERROR;
            }
            cfg->timeout_s = num;
        } else if ((v = opt_value(argc, argv, &i, "--retries", &missing))) {
            if (parse_long(v, 0, SMOKE_MAX_RETRIES, &num)) {
                snprintf(err, n, "--retries must be 0-%d", SMOKE_MAX_RETRIES);
                return CLI_USAGE_ERROR;
            }
            cfg->retries = (int)num;
        } else if ((v = opt_value(argc, argv, &i, "--record", &missing))) {
            cfg->record_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--json", &missing))) {
            cfg->json_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--junit", &missing))) {
            cfg->junit_path = v;
        } else if ((v = opt_value(argc, argv, &i, "--reviewed-by", &missing))) {
            cfg->reviewed_by = v;
        } else if (missing) {
            snprintf(err, n, "%.60s needs a value", arg);
            return CLI_USAGE_ERROR;
        } else {
            snprintf(err, n, "unknown argument '%.60s'", arg);
            return CLI_USAGE_ERROR;
        }
        if (missing) {
            snprintf(err, n, "%.60s needs a value", arg);
            return CLI_USAGE_ERROR;
        }
    }
    if (only)
        cfg->areas = only_mask;
    cfg->areas &= ~skip_mask;
    if (!cfg->areas) {
        snprintf(err, n, "no area left to run after --only/--skip");
        return CLI_USAGE_ERROR;
    }

    if (!base) {
        base = env_first(base_envs, &cfg->base_url_source);
        if (!base) {
            base = CLI_DEFAULT_BASE_URL;
            cfg->base_url_source = "default";
        }
    }
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        snprintf(err, n, "the base URL must start with http:// or https://");
        return CLI_USAGE_ERROR;
    }
    len = strlen(base);
    if (len >= sizeof(cfg->base_url)) {
        snprintf(err, n, "the base URL is too long");
        return CLI_USAGE_ERROR;
    }
    memcpy(cfg->base_url, base, len + 1);
    while (len > 8 && cfg->base_url[len - 1] == '/')
        cfg->base_url[--len] = '\0';
    if (strpbrk(cfg->base_url, "?#")) {
        snprintf(err, n, "the base URL must not have a query string or fragment");
        return CLI_USAGE_ERROR;
    }

    if (!cfg->model)
        cfg->model = env_first(model_envs, &cfg->model_source);
    cfg->api_key = env_first(key_envs, &cfg->api_key_source);
    if (!cfg->api_key) {
        if (!cli_is_loopback(cfg->base_url)) {
            snprintf(err, n, "no API key: set RESPSMOKE_API_KEY, OPENAI_API_KEY or COMETAPI_KEY");
            return CLI_USAGE_ERROR;
        }
        cfg->api_key = CLI_PLACEHOLDER_KEY;
        cfg->api_key_source = "a placeholder (no key set, loopback endpoint)";
    }
    if (!cfg->env)
        cfg->env = cli_is_loopback(cfg->base_url) ? "local" : "unspecified";
    return CLI_RUN;
}
