/* respmock's RESPMOCK_* variables and key options (issue 15): every flag a
 * CI file sets has a variable, flags win over them, bad values are exit 2
 * naming the variable; keys from RESPMOCK_API_KEY, --api-key-file and
 * --api-key never show in the output, the log, an error or
 * /proc/PID/cmdline; "--flag=value"; --version of both binaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "stream_assert.h" /* read_text_file */
#include "ws_client.h"

#define FIXTURES RM_SOURCE_DIR "/fixtures"
#define LIFECYCLE TEST_DATA_DIR "/lifecycle-fixtures"

static struct test_server ts;
static char lines[4096];

static void stop_ts(void)
{
    if (ts.pid > 0)
        ck_assert_int_eq(test_server_stop(&ts), 0);
}

/* Start respmock with 'args' and the variables 'vars' added; asserts it
 * started. stderr goes to scratch file 'log'. */
static void start_env(const char *const *args, const char *const *vars, const char *log)
{
    char **env = env_with(vars);
    int rc = spawn_respmock(&ts, args, env, log, lines, sizeof(lines), NULL);

    env_free(env);
    ck_assert_msg(rc == 0, "respmock did not start: %s", lines);
}

/* Run respmock with 'args' and 'vars' to its exit; its stdout and stderr
 * in '*output' (new). */
static int run_env(const char *const *args, const char *const *vars, char **output)
{
    const char *argv[32], *path = scratch_path(7, "run.out");
    char **env = env_with(vars);
    int n = 0, rc;

    argv[n++] = RM_RESPMOCK_BIN;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    rc = test_run(argv, (const char *const *)env, path, path, 20);
    env_free(env);
    *output = slurp(path);
    ck_assert_ptr_nonnull(*output);
    return rc;
}

/* The status of GET /v1/models on 'ts' with bearer 'key'. */
static long models_with(const char *key)
{
    char auth[256];
    const char *const headers[] = {auth, NULL};
    struct http_result r;
    long status;

    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    ck_assert_int_eq(http_request("GET", srv_url("/v1/models"), NULL, headers, &r), 0);
    status = r.status;
    http_result_free(&r);
    return status;
}

/* srv_url and friends talk to test_srv: point it at 'ts'. */
static void use_ts(void)
{
    test_srv = ts;
    test_srv.pid = 0; /* stopped through ts */
}

START_TEST(variables_configure_the_server)
{
    static const char *const vars[] = {
        "RESPMOCK_PORT=0", "RESPMOCK_FIXTURES=" LIFECYCLE, "RESPMOCK_API_KEY=sk-env-key",
        "RESPMOCK_LOG_LEVEL=warn", "RESPMOCK_MAX_BODY=1024", "RESPMOCK_ACCEPT_UNKNOWN_PARAMS=yes",
        "RESPMOCK_THREADS=1", "RESPMOCK_SPEED=0", "RESPMOCK_NO_WEBSOCKET=on", NULL};
    static const char *const key[] = {"Authorization: Bearer sk-env-key", NULL};
    struct http_result r;
    char big[2048], *log, *warning;
    long status;
    json_t *doc;
    int ws_status = 0;

    start_env(NULL, vars, scratch_path(0, "v.log"));
    use_ts();
    ck_assert_msg(strstr(lines, "fixtures from " LIFECYCLE "\n") != NULL, "got: %s", lines);
    ck_assert_int_eq(models_with("sk-env-key"), 200);
    ck_assert_int_eq(models_with("sk-other"), 401);
    doc = srv_request("POST", "/v1/responses",
                      "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\",\"frobnicate\":1}", key, &r);
    ck_assert_int_eq(r.status, 200);
    warning = http_header(&r, "x-respmock-warning");
    ck_assert_ptr_nonnull(warning);
    free(warning);
    json_decref(doc);
    http_result_free(&r);
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}", 37);
    doc = srv_request("POST", "/v1/responses", big, key, &r);
    ck_assert_int_eq(r.status, 413);
    json_decref(doc);
    http_result_free(&r);
    doc = http_call(ts.base, "GET", "/healthz", NULL, &status);
    ck_assert_int_eq(status, 200);
    json_decref(doc);
    /* RESPMOCK_NO_WEBSOCKET: the upgrade is refused with 426 */
    ck_assert_ptr_null(ws_client_connect(ts.port, key, &ws_status, NULL));
    ck_assert_int_eq(ws_status, 426);
    stop_ts();
    log = slurp(scratch_path(0, "v.log"));
    ck_assert_msg(strstr(log, "info:") == NULL, "warn level logged: %s", log);
    ck_assert_ptr_nonnull(strstr(log, "warn:")); /* the unknown parameter */
    free(log);
}
END_TEST

START_TEST(flags_win_over_variables)
{
    static const char *const vars[] = {"RESPMOCK_PORT=not-a-port", "RESPMOCK_FIXTURES=/nonexistent",
                                       "RESPMOCK_API_KEY=sk-env-key", "RESPMOCK_LOG_LEVEL=bogus",
                                       NULL};
    static const char *const args[] = {"--port", "0", "--fixtures", FIXTURES, "--api-key",
                                       "sk-flag-key", "--log-level", "warn", NULL};
    const char *keyfile = scratch_path(0, "keys");
    const char *args2[] = {"--port=0", "--fixtures=" FIXTURES, "--api-key-file", keyfile, NULL};

    start_env(args, vars, NULL);
    use_ts();
    ck_assert_int_eq(models_with("sk-flag-key"), 200);
    ck_assert_int_eq(models_with("sk-env-key"), 401);
    stop_ts();
    /* a key file on the command line also replaces RESPMOCK_API_KEY */
    write_file(keyfile, "sk-file-key\n");
    start_env(args2, (const char *const[]){"RESPMOCK_API_KEY=sk-env-key", NULL}, NULL);
    use_ts();
    ck_assert_int_eq(models_with("sk-file-key"), 200);
    ck_assert_int_eq(models_with("sk-env-key"), 401);
    stop_ts();
}
END_TEST

START_TEST(bad_variables_exit_2)
{
    static const char *const check[] = {"--check", "--fixtures", FIXTURES, NULL};
    char *o;

    ck_assert_int_eq(run_env(check, (const char *const[]){"RESPMOCK_PORT=abc", NULL}, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "bad value 'abc' for RESPMOCK_PORT"));
    free(o);
    ck_assert_int_eq(run_env(check, (const char *const[]){"RESPMOCK_THREADS=0", NULL}, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "RESPMOCK_THREADS"));
    free(o);
    ck_assert_int_eq(run_env(check, (const char *const[]){"RESPMOCK_DAEMON=maybe", NULL}, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "RESPMOCK_DAEMON"));
    free(o);
    ck_assert_int_eq(
        run_env(check, (const char *const[]){"RESPMOCK_API_KEY=sk-invalid-CANARY", NULL}, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "bad value for RESPMOCK_API_KEY"));
    ck_assert_ptr_null(strstr(o, "CANARY"));
    free(o);
    /* an empty variable counts as unset */
    ck_assert_int_eq(run_env(check, (const char *const[]){"RESPMOCK_PORT=", NULL}, &o), 0);
    free(o);
    /* the variable is read for --check too */
    ck_assert_int_eq(run_env((const char *const[]){"--check", NULL},
                             (const char *const[]){"RESPMOCK_FIXTURES=" LIFECYCLE, NULL}, &o),
                     0);
    ck_assert_ptr_nonnull(strstr(o, "fixtures in " LIFECYCLE " are valid"));
    free(o);
}
END_TEST

/* The NUL-separated command line of 'pid' (new, NULs made spaces). */
static char *cmdline_of(pid_t pid)
{
    char path[64], *text;
    size_t len = 0, i;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    text = read_text_file(path, &len);
    ck_assert_ptr_nonnull(text);
    for (i = 0; i < len; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    return text;
}

/* Start with 'args'/'vars' at --log-level debug, check 'key' is accepted,
 * a wrong key refused, and that 'canary' shows nowhere. */
static void assert_key_hidden(const char *const *args, const char *const *vars, const char *key,
                              const char *canary)
{
    const char *logf = scratch_path(1, "k.log");
    char *cmd, *log;

    start_env(args, vars, logf);
    use_ts();
    cmd = cmdline_of(ts.pid);
    ck_assert_msg(strstr(cmd, canary) == NULL, "key in /proc/PID/cmdline: %s", cmd);
    free(cmd);
    ck_assert_int_eq(models_with(key), 200);
    ck_assert_int_eq(models_with("sk-wrong-key"), 401);
    stop_ts();
    ck_assert_msg(strstr(lines, canary) == NULL, "key printed: %s", lines);
    log = slurp(logf);
    ck_assert_ptr_nonnull(strstr(log, "GET /v1/models 401")); /* the log was written */
    ck_assert_msg(strstr(log, canary) == NULL, "key in the log: %s", log);
    free(log);
}

START_TEST(keys_never_show)
{
    const char *keyfile = scratch_path(0, "keys");
    const char *file_args[] = {"--port", "0", "--fixtures", FIXTURES, "--log-level", "debug",
                               "--api-key-file", keyfile, NULL};
    static const char *const flag_args[] = {"--port", "0", "--fixtures", FIXTURES, "--log-level",
                                            "debug", "--api-key", "sk-CANARY-flag", NULL};
    static const char *const env_args[] = {"--port", "0", "--fixtures", FIXTURES, "--log-level",
                                           "debug", NULL};

    assert_key_hidden(env_args, (const char *const[]){"RESPMOCK_API_KEY=sk-CANARY-env", NULL},
                      "sk-CANARY-env", "CANARY");
    write_file(keyfile, "sk-CANARY-file\n");
    assert_key_hidden(file_args, NULL, "sk-CANARY-file", "CANARY");
    /* --api-key is blanked in the process list once respmock runs */
    assert_key_hidden(flag_args, NULL, "sk-CANARY-flag", "CANARY");
}
END_TEST

START_TEST(key_file_format_and_errors)
{
    const char *keyfile = scratch_path(0, "keys");
    const char *args[] = {"--port", "0", "--fixtures", FIXTURES, "--log-level", "error",
                          "--api-key-file", keyfile, NULL};
    const char *check[] = {"--check", "--fixtures", FIXTURES, "--api-key-file", keyfile, NULL};
    char *o;

    write_file(keyfile, "# CI keys\n\n  sk-one  \r\nsk-two\n");
    start_env(args, NULL, NULL);
    use_ts();
    ck_assert_int_eq(models_with("sk-one"), 200);
    ck_assert_int_eq(models_with("sk-two"), 200);
    ck_assert_int_eq(models_with("# CI keys"), 401);
    stop_ts();
    /* variables name a key file too */
    start_env(args, (const char *const[]){"RESPMOCK_API_KEY_FILE=/nonexistent", NULL}, NULL);
    stop_ts();
    ck_assert_int_eq(run_env((const char *const[]){"--check", "--fixtures", FIXTURES, NULL},
                             (const char *const[]){"RESPMOCK_API_KEY_FILE=/nonexistent", NULL},
                             &o),
                     2);
    ck_assert_ptr_nonnull(strstr(o, "cannot read RESPMOCK_API_KEY_FILE /nonexistent"));
    free(o);
    write_file(keyfile, "# nothing\n\n");
    ck_assert_int_eq(run_env(check, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "holds no key"));
    free(o);
    write_file(keyfile, "sk-fine\nsk-invalid-CANARY\n");
    ck_assert_int_eq(run_env(check, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "line 2"));
    ck_assert_ptr_null(strstr(o, "CANARY"));
    free(o);
    unlink(keyfile);
    ck_assert_int_eq(run_env(check, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "cannot read --api-key-file"));
    free(o);
}
END_TEST

START_TEST(option_forms)
{
    char *o;

    ck_assert_int_eq(run_env((const char *const[]){"--check=1", NULL}, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "--check takes no value"));
    free(o);
    ck_assert_int_eq(run_env((const char *const[]){"--fixtures", NULL}, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "--fixtures needs a value"));
    free(o);
    ck_assert_int_eq(run_env((const char *const[]){"--port=x", "--check", NULL}, NULL, &o), 2);
    ck_assert_ptr_nonnull(strstr(o, "bad value 'x' for --port"));
    free(o);
    ck_assert_int_eq(run_env((const char *const[]){"--pid-file=", "--check", NULL}, NULL, &o), 2);
    free(o);
}
END_TEST

START_TEST(version_of_both_binaries)
{
    static const char *const smoke[] = {RM_RESPSMOKE_BIN, "--version", NULL};
    const char *path = scratch_path(7, "v.out");
    char *o;

    ck_assert_int_eq(run_env((const char *const[]){"--version", NULL}, NULL, &o), 0);
    ck_assert_str_eq(o, "respmock " RM_VERSION "\nResponses API snapshot: " RM_API_SNAPSHOT "\n");
    free(o);
    ck_assert_int_eq(test_run(smoke, NULL, path, path, 20), 0);
    o = slurp(path);
    ck_assert_str_eq(o, "respsmoke " RM_VERSION "\nResponses API snapshot: " RM_API_SNAPSHOT "\n");
    free(o);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("env");
    TCase *tc;

    tc = add_tcase(s, tcase_create("variables"), 60, NULL, stop_ts,
                   variables_configure_the_server, flags_win_over_variables,
                   bad_variables_exit_2, option_forms, version_of_both_binaries);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tc = add_tcase(s, tcase_create("keys"), 60, NULL, stop_ts, keys_never_show,
                   key_file_format_and_errors);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    return s;
}
