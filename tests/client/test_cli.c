/* test_cli: flags and environment of respsmoke (client/cli.c): precedence of
 * base URL, key and model sources, the key is never a flag, area selection,
 * and usage errors (which the real binary prints without echoing a key).
 * Each test runs in its own process (Check fork mode is assumed for the
 * environment changes). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "test_support.h"

static void clean_env(void)
{
    static const char *const vars[] = {"RESPSMOKE_BASE_URL", "OPENAI_BASE_URL", "RESPSMOKE_API_KEY",
                                       "OPENAI_API_KEY", "COMETAPI_KEY", "RESPSMOKE_MODEL", NULL};
    int i;

    for (i = 0; vars[i]; i++)
        unsetenv(vars[i]);
}

/* Parse a NULL-terminated list of arguments (argv[0] added). */
static enum cli_action parse(struct smoke_config *cfg, char *err, const char *const *args)
{
    char *argv[32];
    int argc = 0;

    argv[argc++] = (char *)"respsmoke";
    for (; *args && argc < 31; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    err[0] = '\0';
    return cli_parse(argc, argv, cfg, err, 256);
}

START_TEST(defaults_target_the_local_mock)
{
    static const char *const args[] = {NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    ck_assert_int_eq(parse(&cfg, err, args), CLI_RUN);
    ck_assert_str_eq(cfg.base_url, CLI_DEFAULT_BASE_URL);
    ck_assert_str_eq(cfg.env, "local");
    ck_assert_str_eq(cfg.api_key, CLI_PLACEHOLDER_KEY);
    ck_assert_ptr_null(cfg.model);
    ck_assert_uint_eq(cfg.apis, 1u << SMOKE_API_RESPONSES);
    ck_assert_uint_eq(cfg.areas, (1u << SMOKE_AREA_COUNT) - 1);
    ck_assert_int_eq(cfg.timeout_s, 60);
    ck_assert_int_eq(cfg.retries, 2);
}
END_TEST

START_TEST(base_url_precedence)
{
    static const char *const none[] = {NULL};
    static const char *const flag[] = {"--base-url", "https://flag.example/v1//", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    setenv("RESPSMOKE_API_KEY", "k-0123456789abcdef", 1);
    setenv("OPENAI_BASE_URL", "https://openai.example/v1", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.base_url, "https://openai.example/v1");
    ck_assert_str_eq(cfg.env, "unspecified");
    setenv("RESPSMOKE_BASE_URL", "https://respsmoke.example/v1/", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.base_url, "https://respsmoke.example/v1");
    ck_assert_int_eq(parse(&cfg, err, flag), CLI_RUN);
    ck_assert_str_eq(cfg.base_url, "https://flag.example/v1");
    ck_assert_str_eq(cfg.base_url_source, "--base-url");
}
END_TEST

START_TEST(key_precedence_and_empty_values)
{
    static const char *const none[] = {"--base-url", "https://api.example/v1", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    setenv("COMETAPI_KEY", "comet-key-0123456789", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.api_key_source, "COMETAPI_KEY");
    setenv("OPENAI_API_KEY", "openai-key-0123456789", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.api_key_source, "OPENAI_API_KEY");
    setenv("RESPSMOKE_API_KEY", "", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.api_key_source, "OPENAI_API_KEY");
    setenv("RESPSMOKE_API_KEY", "respsmoke-key-0123456789", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.api_key, "respsmoke-key-0123456789");
}
END_TEST

START_TEST(remote_endpoint_without_key_is_refused)
{
    static const char *const args[] = {"--base-url", "https://api.openai.com/v1", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    ck_assert_int_eq(parse(&cfg, err, args), CLI_USAGE_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "no API key"));
}
END_TEST

START_TEST(key_is_never_a_flag)
{
    static const char *const a1[] = {"--api-key", "sk-canary-flag-000000000000", NULL};
    static const char *const a2[] = {"--api-key=sk-canary-flag-000000000000", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    ck_assert_int_eq(parse(&cfg, err, a1), CLI_USAGE_ERROR);
    ck_assert_ptr_null(strstr(err, "canary"));
    ck_assert_int_eq(parse(&cfg, err, a2), CLI_USAGE_ERROR);
    ck_assert_ptr_null(strstr(err, "canary"));
}
END_TEST

START_TEST(model_sources)
{
    static const char *const none[] = {NULL};
    static const char *const flag[] = {"--model=gpt-flag", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    setenv("RESPSMOKE_MODEL", "gpt-env", 1);
    ck_assert_int_eq(parse(&cfg, err, none), CLI_RUN);
    ck_assert_str_eq(cfg.model, "gpt-env");
    ck_assert_str_eq(cfg.model_source, "RESPSMOKE_MODEL");
    ck_assert_int_eq(parse(&cfg, err, flag), CLI_RUN);
    ck_assert_str_eq(cfg.model, "gpt-flag");
    ck_assert_str_eq(cfg.model_source, "--model");
}
END_TEST

START_TEST(area_and_endpoint_selection)
{
    static const char *const only[] = {"--only", "streaming,auth", "--only", "stateful", NULL};
    static const char *const skip[] = {"--skip", "stateful", "--endpoint", "both", NULL};
    static const char *const both[] = {"--only", "auth", "--skip", "auth", NULL};
    static const char *const bad[] = {"--only", "streamin", NULL};
    static const char *const chat[] = {"--endpoint", "chat", "--env", "production", NULL};
    struct smoke_config cfg;
    char err[256];

    clean_env();
    ck_assert_int_eq(parse(&cfg, err, only), CLI_RUN);
    ck_assert_uint_eq(cfg.areas, (1u << SMOKE_AREA_STREAMING) | (1u << SMOKE_AREA_AUTH) |
                                     (1u << SMOKE_AREA_STATEFUL));
    ck_assert_int_eq(parse(&cfg, err, skip), CLI_RUN);
    ck_assert_uint_eq(cfg.areas, ((1u << SMOKE_AREA_COUNT) - 1) & ~(1u << SMOKE_AREA_STATEFUL));
    ck_assert_uint_eq(cfg.apis, 3u);
    ck_assert_int_eq(parse(&cfg, err, both), CLI_USAGE_ERROR);
    ck_assert_int_eq(parse(&cfg, err, bad), CLI_USAGE_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "unknown area 'streamin'"));
    ck_assert_int_eq(parse(&cfg, err, chat), CLI_RUN);
    ck_assert_uint_eq(cfg.apis, 1u << SMOKE_API_CHAT);
    ck_assert_str_eq(cfg.env, "production");
}
END_TEST

START_TEST(usage_errors)
{
    const char *const *const cases[] = {
        (const char *const[]){"--timeout", "0", NULL},
        (const char *const[]){"--timeout", "5s", NULL},
        (const char *const[]){"--retries", "11", NULL},
        (const char *const[]){"--env", "prod", NULL},
        (const char *const[]){"--endpoint", "completions", NULL},
        (const char *const[]){"--base-url", "ftp://x/v1", NULL},
        (const char *const[]){"--base-url", "http://x/v1?key=1", NULL},
        (const char *const[]){"--record", NULL},
        (const char *const[]){"--frobnicate", NULL},
        NULL};
    static const char *const help[] = {"--help", NULL};
    static const char *const version[] = {"--version", NULL};
    struct smoke_config cfg;
    char err[256];
    int i;

    clean_env();
    for (i = 0; cases[i]; i++) {
        ck_assert_msg(parse(&cfg, err, cases[i]) == CLI_USAGE_ERROR, "case %d accepted", i);
        ck_assert_msg(err[0] != '\0', "case %d: no message", i);
    }
    ck_assert_int_eq(parse(&cfg, err, help), CLI_HELP);
    ck_assert_int_eq(parse(&cfg, err, version), CLI_VERSION);
}
END_TEST

START_TEST(loopback_detection)
{
    ck_assert(cli_is_loopback("http://127.0.0.1:4010/v1"));
    ck_assert(cli_is_loopback("http://localhost/v1"));
    ck_assert(cli_is_loopback("http://[::1]:80/v1"));
    ck_assert(!cli_is_loopback("https://api.openai.com/v1"));
    ck_assert(!cli_is_loopback("http://127.0.0.1.evil.example/v1"));
    ck_assert(!cli_is_loopback("http://localhost.evil.example/v1"));
    ck_assert(!cli_is_loopback("https://127.0.0.1.evil.example@api.example/v1"));
}
END_TEST

START_TEST(usage_error_does_not_echo_a_key)
{
    char out[4096];
    size_t len;
    FILE *fp = popen("env -i " RM_RESPSMOKE_BIN " --api_key=sk-live-abcdef1234567890XYZ 2>&1",
                     "r");
    int rc;

    ck_assert_ptr_nonnull(fp);
    len = fread(out, 1, sizeof(out) - 1, fp);
    out[len] = '\0';
    rc = pclose(fp);
    ck_assert_int_eq(WEXITSTATUS(rc), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown argument"));
    ck_assert_msg(strstr(out, "abcdef1234567890") == NULL, "key echoed: %s", out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("cli");
    add_tcase(s, tcase_create("parse"), 10, NULL, NULL, defaults_target_the_local_mock,
              base_url_precedence, key_precedence_and_empty_values,
              remote_endpoint_without_key_is_refused, key_is_never_a_flag, model_sources,
              area_and_endpoint_selection, usage_errors, loopback_detection,
              usage_error_does_not_echo_a_key);
    return s;
}
