/* test_stream_check: the streaming invariants of respsmoke (client/stream_check.c)
 * over hand-written byte streams: a correct Responses stream passes, and each
 * deliberate break fails exactly its invariant; chat streams likewise. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "stream_check.h"
#include "test_support.h"

#define RESP_OBJ(status, output)                                                               \
    "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1741290958,\"status\":\"" status \
    "\",\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"model\":\"m\","      \
    "\"output\":" output ",\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"tools\":[]," \
    "\"temperature\":1.0,\"top_p\":1.0,\"metadata\":{},\"usage\":null}"
#define MSG_DONE                                                                               \
    "{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\","  \
    "\"content\":[{\"type\":\"output_text\",\"text\":\"Hello!\",\"annotations\":[]}]}"

/* A correct text stream (contract §4.4), one event per line pair. */
static const char *const good_events[] = {
    "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
    "\"response\":" RESP_OBJ("in_progress", "[]") "}\n\n",
    "event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"sequence_number\":1,"
    "\"response\":" RESP_OBJ("in_progress", "[]") "}\n\n",
    "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\","
    "\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}}\n\n",
    "event: response.content_part.added\ndata: {\"type\":\"response.content_part.added\","
    "\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
    "\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}}\n\n",
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
    "\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
    "\"delta\":\"Hel\",\"obfuscation\":\"xx\"}\n\n",
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
    "\"sequence_number\":5,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
    "\"delta\":\"lo!\"}\n\n",
    "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\","
    "\"sequence_number\":6,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
    "\"text\":\"Hello!\"}\n\n",
    "event: response.content_part.done\ndata: {\"type\":\"response.content_part.done\","
    "\"sequence_number\":7,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
    "\"part\":{\"type\":\"output_text\",\"text\":\"Hello!\",\"annotations\":[]}}\n\n",
    "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\","
    "\"sequence_number\":8,\"output_index\":0,\"item\":" MSG_DONE "}\n\n",
    "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":9,"
    "\"response\":" RESP_OBJ("completed", "[" MSG_DONE "]") "}\n\n",
    NULL};

#define N_GOOD 10

/* Concatenate events, leaving out index 'skip' (-1: none) and appending
 * 'extra' (may be NULL) at the end. New allocation. */
static char *join(const char *const *ev, int skip, const char *extra)
{
    size_t len = 1, i;
    char *out;

    for (i = 0; ev[i]; i++)
        len += strlen(ev[i]);
    len += extra ? strlen(extra) : 0;
    out = calloc(1, len);
    ck_assert_ptr_nonnull(out);
    for (i = 0; ev[i]; i++)
        if ((int)i != skip)
            strcat(out, ev[i]);
    if (extra)
        strcat(out, extra);
    return out;
}

/* Replace the first 'from' in 'text' (which must contain it) by 'to'. New allocation. */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    char *out;

    ck_assert_msg(p != NULL, "fixture text lacks '%s'", from);
    out = calloc(1, strlen(text) - strlen(from) + strlen(to) + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, text, (size_t)(p - text));
    strcat(out, to);
    strcat(out, p + strlen(from));
    return out;
}

/* Assert exactly the invariants in 'failing' (a bit per enum stream_inv) fail. */
static void expect_only(const struct stream_report *r, unsigned failing)
{
    int i;

    for (i = 0; i < STREAM_INV_COUNT; i++) {
        int should_fail = (failing >> i) & 1;
        if (should_fail)
            ck_assert_msg(r->inv[i].state == 0, "%s should fail but: %s",
                          stream_check_inv_name(i), r->inv[i].reason);
        else
            ck_assert_msg(r->inv[i].state != 0, "%s should pass but: %s",
                          stream_check_inv_name(i), r->inv[i].reason);
    }
}

#define BIT(i) (1u << (i))

static void run_responses(const char *text, struct stream_report *r)
{
    stream_check_bytes(STREAM_RESPONSES, text, strlen(text), r);
}

START_TEST(good_stream_passes)
{
    char *text = join(good_events, -1, NULL);
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(r.events, N_GOOD);
    ck_assert_uint_eq(r.text_len, 6);
    ck_assert_int_eq(r.gaps, 0);
    free(text);
}
END_TEST

START_TEST(good_stream_byte_by_byte)
{
    char *text = join(good_events, -1, NULL);
    struct stream_check sc;
    struct stream_report r;
    size_t i;

    stream_check_init(&sc, STREAM_RESPONSES);
    for (i = 0; text[i]; i++)
        ck_assert_int_eq(stream_check_feed(&sc, text + i, 1), 0);
    stream_check_finish(&sc, &r);
    stream_check_release(&sc);
    expect_only(&r, 0);
    free(text);
}
END_TEST

START_TEST(crlf_stream_passes)
{
    char *text = join(good_events, -1, NULL), *crlf = calloc(1, 2 * strlen(text) + 1);
    struct stream_report r;
    size_t i, w = 0;

    for (i = 0; text[i]; i++) {
        if (text[i] == '\n')
            crlf[w++] = '\r';
        crlf[w++] = text[i];
    }
    run_responses(crlf, &r);
    expect_only(&r, 0);
    free(crlf);
    free(text);
}
END_TEST

START_TEST(extra_done_and_unknown_events_are_tolerated)
{
    char *text = join(good_events, -1,
                      "event: response.rate_limits.updated\ndata: {\"type\":\"response.rate_"
                      "limits.updated\",\"sequence_number\":10}\n\ndata: [DONE]\n\n");
    char *text2 = replace(text, "event: response.output_item.added",
                          "event: keepalive\ndata: {\"type\":\"keepalive\",\"sequence_number\":"
                          "1}\n\n: comment\n\nevent: response.output_item.added");
    struct stream_report r;

    /* keepalive reuses sequence number 1: a real break, so use a fresh copy */
    run_responses(text, &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(r.done_sentinels, 1);
    ck_assert_uint_eq(r.unknown_events, 1);
    ck_assert_str_eq(r.first_unknown, "response.rate_limits.updated");
    run_responses(text2, &r);
    expect_only(&r, BIT(STREAM_INV_SEQUENCE));
    free(text2);
    free(text);
}
END_TEST

START_TEST(missing_sequence_number_fails_sequence_only)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace(text, "\"sequence_number\":5,", "");
    struct stream_report r;

    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_SEQUENCE));
    ck_assert_ptr_nonnull(strstr(r.inv[STREAM_INV_SEQUENCE].reason, "no integer sequence_number"));
    free(broken);
    free(text);
}
END_TEST

START_TEST(decreasing_sequence_number_fails)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace(text, "\"sequence_number\":6", "\"sequence_number\":4");
    struct stream_report r;

    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_SEQUENCE));
    free(broken);
    free(text);
}
END_TEST

START_TEST(gaps_are_noted_not_failed)
{
    char *text = join(good_events, -1, NULL);
    char *gappy = replace(text, "\"sequence_number\":9", "\"sequence_number\":12");
    struct stream_report r;

    run_responses(gappy, &r);
    expect_only(&r, 0);
    ck_assert_int_eq(r.gaps, 1);
    free(gappy);
    free(text);
}
END_TEST

START_TEST(done_only_fails_structure)
{
    struct stream_report r;

    run_responses("data: [DONE]\n\n", &r);
    expect_only(&r, BIT(STREAM_INV_ORDER) | BIT(STREAM_INV_TERMINAL) | BIT(STREAM_INV_SEQUENCE) |
                        BIT(STREAM_INV_DELTAS) | BIT(STREAM_INV_FINAL));
    ck_assert_uint_eq(r.done_sentinels, 1);
}
END_TEST

START_TEST(empty_body_fails_framing)
{
    struct stream_report r;

    run_responses("", &r);
    ck_assert_int_eq(r.inv[STREAM_INV_FRAMING].state, 0);
    ck_assert_int_eq(r.inv[STREAM_INV_TERMINAL].state, 0);
}
END_TEST

START_TEST(delta_before_part_added_fails_order)
{
    /* swap content_part.added (3) and the first delta (4), renumbered */
    const char *ev[N_GOOD + 1];
    char *a, *b, *text;
    struct stream_report r;
    int i;

    for (i = 0; i <= N_GOOD; i++)
        ev[i] = good_events[i];
    a = replace(good_events[4], "\"sequence_number\":4", "\"sequence_number\":3");
    b = replace(good_events[3], "\"sequence_number\":3", "\"sequence_number\":4");
    ev[3] = a;
    ev[4] = b;
    text = join(ev, -1, NULL);
    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_ORDER));
    free(text);
    free(a);
    free(b);
}
END_TEST

START_TEST(created_not_first_fails_order)
{
    const char *ev[N_GOOD + 1];
    char *a, *b, *text;
    struct stream_report r;
    int i;

    for (i = 0; i <= N_GOOD; i++)
        ev[i] = good_events[i];
    a = replace(good_events[1], "\"sequence_number\":1", "\"sequence_number\":0");
    b = replace(good_events[0], "\"sequence_number\":0", "\"sequence_number\":1");
    ev[0] = a;
    ev[1] = b;
    text = join(ev, -1, NULL);
    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_ORDER));
    free(text);
    free(a);
    free(b);
}
END_TEST

START_TEST(no_terminal_fails_terminal_and_final)
{
    char *text = join(good_events, N_GOOD - 1, NULL);
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_TERMINAL) | BIT(STREAM_INV_DELTAS) | BIT(STREAM_INV_FINAL));
    free(text);
}
END_TEST

START_TEST(two_terminals_fail_terminal)
{
    char *text = join(good_events, -1,
                      "event: response.completed\ndata: {\"type\":\"response.completed\","
                      "\"sequence_number\":10,\"response\":" RESP_OBJ("completed", "[]") "}\n\n");
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_TERMINAL));
    free(text);
}
END_TEST

START_TEST(known_event_after_terminal_fails_terminal)
{
    char *text = join(good_events, -1,
                      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text"
                      ".delta\",\"sequence_number\":10,\"item_id\":\"msg_1\",\"output_index\":0,"
                      "\"content_index\":0,\"delta\":\"!\"}\n\n");
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_TERMINAL));
    free(text);
}
END_TEST

START_TEST(delta_mismatch_fails_deltas)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace(text, "\"delta\":\"lo!\"", "\"delta\":\"lo?\"");
    struct stream_report r;

    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_DELTAS));
    free(broken);
    free(text);
}
END_TEST

START_TEST(final_text_differs_fails_deltas)
{
    char *text = join(good_events, -1, NULL);
    /* only the response.completed copy of the message says something else */
    const char *last = strstr(text, "event: response.completed");
    char *head = strndup(text, (size_t)(last - text));
    char *tail = replace(last, "\"text\":\"Hello!\"", "\"text\":\"Goodbye\"");
    char *broken = calloc(1, strlen(head) + strlen(tail) + 1);
    struct stream_report r;

    strcat(strcat(broken, head), tail);
    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_DELTAS));
    free(broken);
    free(tail);
    free(head);
    free(text);
}
END_TEST

START_TEST(failed_terminal_fails_final)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace(text, "event: response.completed\ndata: {\"type\":\"response.completed\"",
                           "event: response.failed\ndata: {\"type\":\"response.failed\"");
    struct stream_report r;

    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_FINAL));
    free(broken);
    free(text);
}
END_TEST

START_TEST(error_event_fails_final)
{
    char *text = join(good_events, N_GOOD - 1,
                      "event: error\ndata: {\"type\":\"error\",\"sequence_number\":9,\"error\":{"
                      "\"type\":\"server_error\",\"code\":\"server_error\",\"message\":\"x\","
                      "\"param\":null}}\n\n");
    struct stream_report r;

    run_responses(text, &r);
    ck_assert_int_eq(r.inv[STREAM_INV_FINAL].state, 0);
    ck_assert_int_eq(r.inv[STREAM_INV_TERMINAL].state, 0);
    ck_assert_int_eq(r.inv[STREAM_INV_SEQUENCE].state, 1);
    free(text);
}
END_TEST

START_TEST(malformed_json_and_event_mismatch_fail_framing)
{
    char *text = join(good_events, -1, NULL);
    char *bad_json = replace(text, "{\"type\":\"response.in_progress\"", "{\"type\":");
    char *bad_name = replace(text, "event: response.in_progress", "event: response.progress");
    struct stream_report r;

    run_responses(bad_json, &r);
    ck_assert_int_eq(r.inv[STREAM_INV_FRAMING].state, 0);
    run_responses(bad_name, &r);
    expect_only(&r, BIT(STREAM_INV_FRAMING));
    free(bad_name);
    free(bad_json);
    free(text);
}
END_TEST

START_TEST(unterminated_last_event_fails_framing)
{
    char *text = join(good_events, -1, NULL);

    text[strlen(text) - 1] = '\0'; /* drop the final blank line */
    {
        struct stream_report r;
        run_responses(text, &r);
        ck_assert_int_eq(r.inv[STREAM_INV_FRAMING].state, 0);
        ck_assert_int_eq(r.inv[STREAM_INV_TERMINAL].state, 0);
    }
    free(text);
}
END_TEST

START_TEST(function_call_stream_passes)
{
    static const char *const fc =
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
        "\"response\":" RESP_OBJ("in_progress", "[]") "}\n\n"
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\","
        "\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"fc_1\",\"type\":"
        "\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_1\","
        "\"name\":\"get_weather\"}}\n\n"
        "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call"
        "_arguments.delta\",\"sequence_number\":2,\"item_id\":\"fc_1\",\"output_index\":0,"
        "\"delta\":\"{\\\"location\\\":\"}\n\n"
        "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call"
        "_arguments.delta\",\"sequence_number\":3,\"item_id\":\"fc_1\",\"output_index\":0,"
        "\"delta\":\"\\\"Boston\\\"}\"}\n\n"
        "event: response.function_call_arguments.done\ndata: {\"type\":\"response.function_call"
        "_arguments.done\",\"sequence_number\":4,\"item_id\":\"fc_1\",\"output_index\":0,"
        "\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\":\\\"Boston\\\"}\"}\n\n"
        "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\","
        "\"sequence_number\":5,\"output_index\":0,\"item\":{\"id\":\"fc_1\",\"type\":"
        "\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"location\\\":"
        "\\\"Boston\\\"}\",\"call_id\":\"call_1\",\"name\":\"get_weather\"}}\n\n"
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":6,"
        "\"response\":" RESP_OBJ("completed",
                                 "[{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":"
                                 "\"completed\",\"arguments\":\"{\\\"location\\\":\\\"Boston"
                                 "\\\"}\",\"call_id\":\"call_1\",\"name\":\"get_weather\"}]") "}"
        "\n\n";
    struct stream_report r;
    char *broken = replace(fc, "\\\"Boston\\\"}\"}\n\n", "\\\"Paris\\\"}\"}\n\n");

    run_responses(fc, &r);
    expect_only(&r, 0);
    run_responses(broken, &r);
    expect_only(&r, BIT(STREAM_INV_DELTAS));
    free(broken);
}
END_TEST

static const char *const good_chat =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
    "\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
    "\"total_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

START_TEST(chat_stream_passes)
{
    struct stream_report r;

    stream_check_bytes(STREAM_CHAT, good_chat, strlen(good_chat), &r);
    expect_only(&r, 0);
    ck_assert_int_eq(r.inv[STREAM_INV_SEQUENCE].state, -1);
    ck_assert_uint_eq(r.text_len, 2);
}
END_TEST

START_TEST(chat_stream_without_done_fails_terminal)
{
    char *broken = replace(good_chat, "data: [DONE]\n\n", "");
    struct stream_report r;

    stream_check_bytes(STREAM_CHAT, broken, strlen(broken), &r);
    expect_only(&r, BIT(STREAM_INV_TERMINAL));
    free(broken);
}
END_TEST

START_TEST(chat_stream_wrong_object_fails_framing)
{
    char *broken = replace(good_chat, "\"chat.completion.chunk\"", "\"chat.completion\"");
    struct stream_report r;

    stream_check_bytes(STREAM_CHAT, broken, strlen(broken), &r);
    ck_assert_int_eq(r.inv[STREAM_INV_FRAMING].state, 0);
    free(broken);
}
END_TEST

/* Azure-style content-filter chunks (empty id and object, no choices) are
 * tolerated like unknown events; a chunk with choices still has to be right. */
START_TEST(chat_prompt_filter_chunk_is_tolerated)
{
    static const char *const filter =
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
        "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n";
    char *with = malloc(strlen(filter) + strlen(good_chat) + 1);
    char *bad = replace(good_chat, "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}",
                        "\"prompt_filter_results\":[],\"choices\":[{\"index\":0,\"delta\":"
                        "{\"content\":\"Hi\"}");
    struct stream_report r;

    strcpy(with, filter);
    strcat(with, good_chat);
    stream_check_bytes(STREAM_CHAT, with, strlen(with), &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(r.unknown_events, 1);
    ck_assert_str_eq(r.first_unknown, "prompt_filter_results");
    ck_assert_uint_eq(r.text_len, 2);
    /* A chunk with choices is still checked, filter results or not. */
    stream_check_bytes(STREAM_CHAT, bad, strlen(bad), &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(r.unknown_events, 0);
    free(with);
    free(bad);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("stream_check");
    TCase *tc = tcase_create("responses");

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, good_stream_passes);
    tcase_add_test(tc, good_stream_byte_by_byte);
    tcase_add_test(tc, crlf_stream_passes);
    tcase_add_test(tc, extra_done_and_unknown_events_are_tolerated);
    tcase_add_test(tc, missing_sequence_number_fails_sequence_only);
    tcase_add_test(tc, decreasing_sequence_number_fails);
    tcase_add_test(tc, gaps_are_noted_not_failed);
    tcase_add_test(tc, done_only_fails_structure);
    tcase_add_test(tc, empty_body_fails_framing);
    tcase_add_test(tc, delta_before_part_added_fails_order);
    tcase_add_test(tc, created_not_first_fails_order);
    tcase_add_test(tc, no_terminal_fails_terminal_and_final);
    tcase_add_test(tc, two_terminals_fail_terminal);
    tcase_add_test(tc, known_event_after_terminal_fails_terminal);
    tcase_add_test(tc, delta_mismatch_fails_deltas);
    tcase_add_test(tc, final_text_differs_fails_deltas);
    tcase_add_test(tc, failed_terminal_fails_final);
    tcase_add_test(tc, error_event_fails_final);
    tcase_add_test(tc, malformed_json_and_event_mismatch_fail_framing);
    tcase_add_test(tc, unterminated_last_event_fails_framing);
    tcase_add_test(tc, function_call_stream_passes);
    suite_add_tcase(s, tc);
    tc = tcase_create("chat");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, chat_stream_passes);
    tcase_add_test(tc, chat_stream_without_done_fails_terminal);
    tcase_add_test(tc, chat_stream_wrong_object_fails_framing);
    tcase_add_test(tc, chat_prompt_filter_chunk_is_tolerated);
    suite_add_tcase(s, tc);
    return s;
}
