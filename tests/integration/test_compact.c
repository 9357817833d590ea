/* Integration tests for compaction and built-in tools over HTTP, against a
 * spawned respmock (shipped fixtures, --speed 0): POST /v1/responses/compact
 * on a chain built with previous_response_id, its compaction item sent back
 * as input standing for the compacted conversation (a run-time fixture that
 * matches only text of that conversation answers), a compaction_trigger
 * stream, and a web_search request whose stream holds every invariant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_assert.h"
#include "test_support.h"

static void start_default(void)
{
    srv_start(&(struct test_server_opts){.speed = "0"});
}

START_TEST(compact_a_chain_and_continue)
{
    long status;
    json_t *first, *c, *out, *next, *again;
    char body[4096], *items;

    /* a run-time fixture that only text of the compacted turn can trigger */
    json_decref(srv_call("POST", "/__admin/fixtures",
                         "{\"name\":\"remembers\",\"match\":{\"input_contains\":\"aubergine\","
                         "\"prompt_contains\":\"which vegetable\"},"
                         "\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"Aubergine.\"}]}}",
                         &status));
    ck_assert_int_eq(status, 201);
    first = srv_call("POST", "/v1/responses",
                     "{\"model\":\"gpt-4.1\",\"input\":\"My favourite vegetable is aubergine.\"}",
                     &status);
    ck_assert_int_eq(status, 200);
    snprintf(body, sizeof(body),
             "{\"model\":\"gpt-4.1\",\"previous_response_id\":\"%s\",\"input\":\"ok?\"}",
             jstr(first, "id"));
    c = srv_call("POST", "/v1/responses/compact", body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(jstr(c, "object"), "response.compaction");
    out = json_object_get(c, "output");
    /* the chain's two user messages, then the compaction */
    ck_assert_uint_eq(json_array_size(out), 3);
    ck_assert_str_eq(jstr(json_array_get(out, 2), "type"), "compaction");
    ck_assert_ptr_null(strstr(jstr(json_array_get(out, 2), "encrypted_content"), "aubergine"));

    /* the compacted window without its user messages: only the compaction
     * item can carry "aubergine" now */
    next = json_pack("{s:s, s:[O, {s:s, s:s}]}", "model", "gpt-4.1", "input",
                     json_array_get(out, 2), "role", "user", "content", "which vegetable?");
    items = json_dumps(next, JSON_COMPACT);
    again = srv_call("POST", "/v1/responses", items, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(response_text(again), "Aubergine.");
    free(items);
    json_decref(again);
    json_decref(next);
    /* a blob respmock did not make: accepted, stands for nothing */
    again = srv_call("POST", "/v1/responses",
                     "{\"model\":\"gpt-4.1\",\"input\":[{\"type\":\"compaction\",\"encrypted_content\":"
                     "\"gAAAAABzzzz\"},{\"role\":\"user\",\"content\":\"which vegetable?\"}]}",
                     &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_ne(response_text(again), "Aubergine.");
    json_decref(again);
    srv_expect_error("POST", "/v1/responses/compact", "{\"input\":\"x\"}", 400,
                     "missing_required_parameter", "model");
    srv_expect_error("GET", "/v1/responses/compact", NULL, 404, NULL, NULL);
    json_decref(c);
    json_decref(first);
}
END_TEST

START_TEST(trigger_and_web_search_streams)
{
    static const char *const bodies[] = {
        "{\"model\":\"gpt-4.1\",\"stream\":true,\"input\":[{\"role\":\"user\",\"content\":\"hi\"},"
        "{\"type\":\"compaction_trigger\"}]}",
        "{\"model\":\"gpt-4.1\",\"stream\":true,\"input\":\"news?\",\"tools\":[{\"type\":"
        "\"web_search\"}],\"include\":[\"message.output_text.logprobs\"],\"top_logprobs\":1}",
    };
    static const char *const want[] = {"response.compaction.compacting",
                                       "response.output_text.annotation.added"};
    size_t i;

    for (i = 0; i < 2; i++) {
        struct sse_http r;
        json_t *terminal;

        ck_assert_int_eq(sse_http_post(srv_url("/v1/responses"), bodies[i], NULL, 60, &r), 0);
        ck_assert_int_eq(r.status, 200);
        terminal = assert_responses_stream(&r.cap, want[i]);
        ck_assert_ptr_nonnull(strstr(r.body, want[i]));
        ck_assert_str_eq(jstr(terminal, "status"), "completed");
        sse_http_release(&r);
    }
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("compact");

    add_tcase(s, tcase_create("compact"), 60, start_default, srv_stop, compact_a_chain_and_continue,
              trigger_and_web_search_streams);
    return s;
}
