/* test_variants: respsmoke's gateway variants (client/shape.c, checks.c,
 * stream_check.c): CometAPI's 500 invalid_request for a validation error,
 * error messages ending in "(request id: ...)", extra usage keys and
 * obfuscation pads are noted, not failed; and, against canned servers
 * (child processes on free loopback ports, stopped by PID), the error
 * checks still fail when the answer is a success, another 5xx, not an
 * envelope, or a 500 invalid_request where a 401 is due: no vacuous pass. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"
#include "checks_runner.h"
#include "notes.h"
#include "shape.h"
#include "stream_check.h"
#include "test_support.h"

#define COMET_500 "{\"error\":{\"message\":\"Missing required parameter: 'messages'. (request " \
                  "id: req_1)\",\"type\":\"comet_api_error\",\"param\":\"\",\"code\":\"invalid_request\"}}"

static json_t *load(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);

    ck_assert_msg(v != NULL, "bad test JSON: %s", text);
    return v;
}

/* ---- Pure rules ----------------------------------------------------------- */

START_TEST(validation_variant_rule)
{
    struct shape_error_info info;

    snprintf(info.type, sizeof(info.type), "comet_api_error");
    snprintf(info.code, sizeof(info.code), "invalid_request");
    ck_assert(shape_validation_variant(500, 400, 499, &info));
    /* not for another status, an auth check or a range that is not 4xx */
    ck_assert(!shape_validation_variant(503, 400, 499, &info));
    ck_assert(!shape_validation_variant(200, 400, 499, &info));
    ck_assert(!shape_validation_variant(500, 401, 401, &info));
    ck_assert(!shape_validation_variant(500, 400, 599, &info));
    ck_assert(!shape_validation_variant(500, 400, 499, NULL));
    /* not for another code */
    snprintf(info.code, sizeof(info.code), "server_error");
    ck_assert(!shape_validation_variant(500, 400, 499, &info));
    snprintf(info.code, sizeof(info.code), "\"\"");
    ck_assert(!shape_validation_variant(500, 400, 499, &info));
}
END_TEST

START_TEST(comet_error_bodies_are_noted)
{
    json_t *e = load(COMET_500);
    struct shape_error_info info;
    struct notes notes;

    notes_init(&notes);
    ck_assert_int_eq(shape_error(e, NULL, 0, &notes, &info), 0);
    ck_assert_str_eq(info.code, "invalid_request");
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "error type comet_api_error"));
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "end with (request id: ...)"));
    notes_release(&notes);
    json_decref(e);
    /* an OpenAI message quoting parentheses is not a request id */
    e = load("{\"error\":{\"message\":\"Bad (see docs).\",\"type\":\"invalid_request_error\","
             "\"param\":null,\"code\":null}}");
    notes_init(&notes);
    ck_assert_int_eq(shape_error(e, NULL, 0, &notes, &info), 0);
    ck_assert_uint_eq(notes.count, 0);
    notes_release(&notes);
    json_decref(e);
}
END_TEST

START_TEST(extra_usage_keys_are_noted)
{
    json_t *c = load("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
                     "\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                     "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"}}],"
                     "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2,"
                     "\"prompt_tokens_details\":{},\"completion_tokens_details\":{},"
                     "\"latency_checkpoint\":{\"total_ms\":3}}}");
    json_t *openai_usage = load("{\"input_tokens\":1,\"input_tokens_details\":{},"
                                "\"output_tokens\":1,\"output_tokens_details\":{},"
                                "\"total_tokens\":2}");
    struct notes notes;
    char why[160];

    notes_init(&notes);
    ck_assert_int_eq(shape_chat_completion(c, why, sizeof(why), &notes), 0);
    ck_assert_msg(strstr(notes_text(&notes), "chat usage carries extra key latency_checkpoint") !=
                      NULL,
                  "%s", notes_text(&notes));
    notes_release(&notes);
    /* OpenAI's own keys note nothing, for either API */
    notes_init(&notes);
    shape_note_usage_extras(openai_usage, 0, &notes);
    shape_note_usage_extras(json_object_get(c, "choices"), 1, &notes); /* not an object */
    ck_assert_uint_eq(notes.count, 0);
    json_object_set_new(openai_usage, "latency_checkpoint", json_integer(1));
    shape_note_usage_extras(openai_usage, 0, &notes);
    ck_assert_ptr_nonnull(strstr(notes_text(&notes), "responses usage carries extra key"));
    notes_release(&notes);
    json_decref(openai_usage);
    json_decref(c);
}
END_TEST

#define CHUNK(delta, finish)                                                                     \
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"          \
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish    \
    "}],\"obfuscation\":\"a1b2c3\"}\n\n"

START_TEST(obfuscated_chat_chunks_pass_and_are_counted)
{
    static const char stream[] = CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")
        CHUNK("{\"content\":\"Hi\"}", "null") CHUNK("{}", "\"stop\"") "data: [DONE]\n\n";
    struct stream_report r;
    int i;

    stream_check_bytes(STREAM_CHAT, stream, strlen(stream), &r);
    for (i = 0; i < STREAM_INV_COUNT; i++)
        ck_assert_msg(r.inv[i].state != 0, "%s: %s", stream_check_inv_name(i), r.inv[i].reason);
    ck_assert_uint_eq(r.obfuscated, 3);
    ck_assert_uint_eq(r.done_sentinels, 1);
}
END_TEST

/* ---- Canned servers: the error checks cannot pass vacuously --------------- */

/* A child process that answers every request with 'status' and 'body'. */
struct canned {
    pid_t pid;
    char base[64];
};

/* Read one request from 'c' (headers, then Content-Length bytes). */
static void read_request(int c)
{
    char buf[65536];
    size_t used = 0;
    long want = -1;
    ssize_t n;
    char *end = NULL;

    while (used < sizeof(buf) - 1) {
        n = read(c, buf + used, sizeof(buf) - 1 - used);
        if (n <= 0)
            return;
        used += (size_t)n;
        buf[used] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char head[sizeof(buf)], *cl;
            size_t i, hl = (size_t)(end - buf);

            for (i = 0; i < hl; i++) /* header names in any case */
                head[i] = (char)tolower((unsigned char)buf[i]);
            head[hl] = '\0';
            cl = strstr(head, "\r\ncontent-length:");
            want = cl ? strtol(cl + 17, NULL, 10) : 0;
            if (strstr(head, "\r\nexpect: 100-continue") &&
                write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
                return;
        }
        if (end && (long)(used - (size_t)(end + 4 - buf)) >= want)
            return;
    }
}

static void canned_serve(int fd, int status, const char *body)
{
    char head[256];

    for (;;) {
        int c = accept(fd, NULL, NULL);

        if (c < 0)
            continue;
        read_request(c);
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nx-should-retry: false\r\nConnection: close\r\n\r\n",
                 status, strlen(body));
        if (write(c, head, strlen(head)) >= 0 && write(c, body, strlen(body)) >= 0)
            shutdown(c, SHUT_WR);
        close(c);
    }
}

static void canned_start(struct canned *cs, int status, const char *body)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0; /* a free port */
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(cs->base, sizeof(cs->base), "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    cs->pid = fork();
    ck_assert_int_ge(cs->pid, 0);
    if (cs->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test */
        canned_serve(fd, status, body);
        _exit(0);
    }
    close(fd);
}

static void canned_stop(struct canned *cs)
{
    int st;

    kill(cs->pid, SIGKILL);
    ck_assert_int_eq(waitpid(cs->pid, &st, 0), cs->pid);
}

/* The error-check results of one run of the auth, required-fields and
 * error-shape areas, both APIs, against a server answering 'status' and
 * 'body' to everything. */
static struct smoke_run *run_against(int status, const char *body)
{
    struct canned cs;
    struct smoke_run *run;

    canned_start(&cs, status, body);
    run = checks_runner_run(cs.base, "sk-review-placeholder-0000000000",
                            (1u << SMOKE_AREA_AUTH) | (1u << SMOKE_AREA_REQUIRED) |
                                (1u << SMOKE_AREA_ERRORS),
                            (1u << SMOKE_API_RESPONSES) | (1u << SMOKE_API_CHAT));
    canned_stop(&cs);
    return run;
}

/* The result of check 'name' for 'api' (asserts there is one). */
static const struct check_result *result_of(const struct smoke_run *run, enum smoke_api api,
                                            const char *name)
{
    size_t i;

    for (i = 0; i < run->n; i++)
        if (run->checks[i].api == api && strcmp(run->checks[i].name, name) == 0)
            return &run->checks[i];
    ck_abort_msg("no result for %s %s", checks_api_name(api), name);
    return NULL;
}

static const char *const validation_checks[] = {"missing_model", "invalid_value",
                                                "malformed_body", NULL};
static const char *const auth_checks[] = {"missing_header", "bad_key", NULL};

/* Every check of 'names' for both APIs has status 'want'. */
static void expect_all(const struct smoke_run *run, const char *const *names,
                       enum check_status want)
{
    const char *const *k;
    int api;

    for (api = 0; api < SMOKE_API_COUNT; api++)
        for (k = names; *k; k++) {
            const struct check_result *r = result_of(run, api, *k);
            ck_assert_msg(r->status == want, "%s %s: status %d, want %d (HTTP %ld: %s)",
                          checks_api_name(api), *k, r->status, want, r->http_status, r->reason);
        }
}

START_TEST(comet_500_passes_validation_checks_only)
{
    struct smoke_run *run = run_against(500, COMET_500);

    expect_all(run, validation_checks, CHECK_PASS); /* the variant, noted */
    expect_all(run, auth_checks, CHECK_FAIL);       /* a 401 is due */
    ck_assert_ptr_nonnull(strstr(notes_text(&run->notes),
                                 "chat missing_model: HTTP 500 invalid_request where OpenAI "
                                 "sends 400"));
    ck_assert(result_of(run, SMOKE_API_RESPONSES, "invalid_value")->error_parseable);
    checks_runner_free(run);
}
END_TEST

START_TEST(other_answers_fail_the_error_checks)
{
    static const struct {
        int status;
        const char *body;
    } wrong[] = {
        {200, "{\"object\":\"response\",\"id\":\"resp_1\"}"},
        {500, "{\"error\":{\"message\":\"Boom (request id: r)\",\"type\":\"comet_api_error\","
              "\"param\":\"\",\"code\":\"server_error\"}}"},
        {503, "{\"error\":{\"message\":\"no channel (request id: r)\",\"type\":\"comet_api_error\","
              "\"param\":\"\",\"code\":\"model_not_found\"}}"},
        {500, "{\"error\":\"invalid_request\"}"},
        {500, "{\"error\":{\"type\":\"comet_api_error\",\"code\":\"invalid_request\"}}"},
    };
    size_t i;

    for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        struct smoke_run *run = run_against(wrong[i].status, wrong[i].body);

        expect_all(run, validation_checks, CHECK_FAIL);
        expect_all(run, auth_checks, CHECK_FAIL);
        ck_assert_ptr_null(strstr(notes_text(&run->notes), "invalid_request where OpenAI"));
        checks_runner_free(run);
    }
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("variants");

    add_tcase(s, tcase_create("rules"), 10, NULL, NULL, validation_variant_rule,
              comet_error_bodies_are_noted, extra_usage_keys_are_noted,
              obfuscated_chat_chunks_pass_and_are_counted);
    add_tcase(s, tcase_create("no_vacuous_pass"), 60, NULL, NULL,
              comet_500_passes_validation_checks_only, other_answers_fail_the_error_checks);
    return s;
}
