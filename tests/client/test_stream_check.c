/* test_stream_check: the streaming invariants of client/stream_check.c, the
 * one stream checker (respsmoke's, and the tests' through stream_assert), over
 * hand-written byte streams: a correct Responses stream passes, each
 * deliberate break fails exactly its invariant, chat streams likewise, and
 * what real endpoints vary in (reasoning_text content, unnumbered keepalive
 * events, Azure filter chunks) is tolerated. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
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

/* One Responses event: "event: T" and its data {"type":"T", ...}. */
#define EV(type, rest) "event: " type "\ndata: {\"type\":\"" type "\"," rest "}\n\n"

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

/* Replace occurrence 'nth' (0: the first) of 'from' in 'text' (which must
 * have it) by 'to'. New allocation. */
static char *replace_at(const char *text, const char *from, const char *to, int nth)
{
    const char *p = strstr(text, from);
    char *out;

    while (p && nth-- > 0)
        p = strstr(p + 1, from);
    ck_assert_msg(p != NULL, "fixture text lacks '%s'", from);
    out = calloc(1, strlen(text) - strlen(from) + strlen(to) + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, text, (size_t)(p - text));
    strcat(out, to);
    strcat(out, p + strlen(from));
    return out;
}

static char *replace(const char *text, const char *from, const char *to)
{
    return replace_at(text, from, to, 0);
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

/* Check 'text' as a stream of 'kind' whose request asked for 'expect'. */
static void run_expecting(enum stream_kind kind, unsigned expect, const char *text,
                          struct stream_report *r)
{
    struct stream_check sc;

    stream_check_init(&sc, kind);
    stream_check_expect(&sc, expect);
    ck_assert_int_eq(stream_check_feed(&sc, text, strlen(text)), 0);
    stream_check_finish(&sc, r);
    stream_check_release(&sc);
}

/* The good stream with event 'at' replaced by 'with' (a whole event). */
static char *good_with(int at, const char *with)
{
    const char *ev[N_GOOD + 1];
    int i;

    for (i = 0; i <= N_GOOD; i++)
        ev[i] = good_events[i];
    ev[at] = with;
    return join(ev, -1, NULL);
}

/* Check Responses stream 'text': exactly 'failing' fail, and the reason of
 * invariant 'inv' mentions 'needle'. */
static void expect_reason(const char *text, unsigned failing, enum stream_inv inv,
                          const char *needle)
{
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, failing);
    ck_assert_msg(strstr(r.inv[inv].reason, needle), "%s: '%s' lacks '%s'",
                  stream_check_inv_name(inv), r.inv[inv].reason, needle);
}

/* The good stream with events 'i' and 'j' swapped, each renumbered with the
 * sequence_number of its new place. New allocation. */
static char *good_swapped(int i, int j)
{
    const char *ev[N_GOOD + 1];
    char seq_i[32], seq_j[32], *a, *b, *text;
    int k;

    for (k = 0; k <= N_GOOD; k++)
        ev[k] = good_events[k];
    snprintf(seq_i, sizeof(seq_i), "\"sequence_number\":%d", i);
    snprintf(seq_j, sizeof(seq_j), "\"sequence_number\":%d", j);
    a = replace(good_events[j], seq_j, seq_i);
    b = replace(good_events[i], seq_i, seq_j);
    ev[i] = a;
    ev[j] = b;
    text = join(ev, -1, NULL);
    free(a);
    free(b);
    return text;
}

/* Run the good stream with 'from' replaced by 'to' (occurrence 'nth') and
 * expect exactly the invariants 'failing' to fail. */
static void expect_break(const char *from, const char *to, int nth, unsigned failing)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace_at(text, from, to, nth);
    struct stream_report r;

    run_responses(broken, &r);
    expect_only(&r, failing);
    free(broken);
    free(text);
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

    expect_reason(broken, BIT(STREAM_INV_SEQUENCE), STREAM_INV_SEQUENCE,
                  "no integer sequence_number");
    free(broken);
    free(text);
}
END_TEST

START_TEST(decreasing_sequence_number_fails)
{
    expect_break("\"sequence_number\":6", "\"sequence_number\":4", 0, BIT(STREAM_INV_SEQUENCE));
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
    char *text = good_swapped(3, 4); /* content_part.added and the first delta */
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_ORDER));
    free(text);
}
END_TEST

START_TEST(created_not_first_fails_order)
{
    char *text = good_swapped(0, 1);
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, BIT(STREAM_INV_ORDER));
    free(text);
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
    expect_break("\"delta\":\"lo!\"", "\"delta\":\"lo?\"", 0, BIT(STREAM_INV_DELTAS));
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
    expect_break("event: response.completed\ndata: {\"type\":\"response.completed\"",
                 "event: response.failed\ndata: {\"type\":\"response.failed\"", 0,
                 BIT(STREAM_INV_FINAL));
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

/* Replace every 'from' in 'text' by 'to' (which must not contain 'from').
 * New allocation. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    char *out = strdup(text), *next;

    ck_assert_ptr_nonnull(out);
    while (strstr(out, from)) {
        next = replace(out, from, to);
        free(out);
        out = next;
    }
    return out;
}

/* ---- Items, parts and their identity ----------------------------------- */

START_TEST(item_scope_breaks_fail_order)
{
    static const char late_delta[] =
        EV("response.output_text.delta", "\"sequence_number\":9,\"item_id\":\"msg_1\","
           "\"output_index\":0,\"content_index\":0,\"delta\":\"!\"");
    char *completed = replace(good_events[N_GOOD - 1], "\"sequence_number\":9",
                              "\"sequence_number\":10");
    char *tail = malloc(sizeof(late_delta) + strlen(completed));
    char *text;

    /* a delta naming another item than the one at its output_index */
    expect_break("\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"lo!\"",
                 "\"item_id\":\"msg_2\",\"output_index\":0,\"content_index\":0,\"delta\":\"lo!\"",
                 0, BIT(STREAM_INV_ORDER));
    /* output_item.done naming another id (the final output then differs too) */
    expect_break("\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\"",
                 "\"item\":{\"id\":\"msg_9\",\"type\":\"message\",\"status\":\"completed\"", 0,
                 BIT(STREAM_INV_ORDER) | BIT(STREAM_INV_DELTAS));
    /* an item-scoped event after its output_item.done */
    ck_assert_ptr_nonnull(tail);
    strcpy(tail, late_delta);
    strcat(tail, completed);
    text = join(good_events, N_GOOD - 1, tail);
    expect_reason(text, BIT(STREAM_INV_ORDER), STREAM_INV_ORDER, "after output_item.done");
    free(text);
    free(tail);
    free(completed);
}
END_TEST

START_TEST(part_order_breaks_fail_order)
{
    char *refusal = replace(good_events[5], "event: response.output_text.delta",
                            "event: response.refusal.delta");
    char *refusal2 = replace(refusal, "{\"type\":\"response.output_text.delta\"",
                             "{\"type\":\"response.refusal.delta\"");
    char *text;

    /* content parts must be added at content_index == count */
    expect_break("\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,"
                 "\"content_index\":0",
                 "\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,"
                 "\"content_index\":1",
                 0, BIT(STREAM_INV_ORDER));
    /* content_part.done before output_text.done */
    text = good_swapped(6, 7);
    expect_reason(text, BIT(STREAM_INV_ORDER), STREAM_INV_ORDER, "before the output_text.done");
    free(text);
    /* a refusal delta into an output_text part */
    text = good_with(5, refusal2);
    expect_reason(text, BIT(STREAM_INV_ORDER), STREAM_INV_ORDER, "into a output_text part");
    free(text);
    free(refusal2);
    free(refusal);
}
END_TEST

START_TEST(snapshot_status_is_checked)
{
    /* response.created must not be finished; queued is fine for it */
    expect_break("\"status\":\"in_progress\",\"error\"", "\"status\":\"completed\",\"error\"", 0,
                 BIT(STREAM_INV_ORDER));
    expect_break("\"status\":\"in_progress\",\"error\"", "\"status\":\"queued\",\"error\"", 0, 0);
    /* response.in_progress must say in_progress */
    expect_break("\"status\":\"in_progress\",\"error\"", "\"status\":\"queued\",\"error\"", 1,
                 BIT(STREAM_INV_ORDER));
}
END_TEST

START_TEST(done_copies_of_the_text_must_match)
{
    /* content_part.done */
    expect_break("\"part\":{\"type\":\"output_text\",\"text\":\"Hello!\"",
                 "\"part\":{\"type\":\"output_text\",\"text\":\"Hello?\"", 0,
                 BIT(STREAM_INV_DELTAS));
    /* output_item.done (the first copy of the finished message) */
    expect_break("\"text\":\"Hello!\",\"annotations\":[]}]", "\"text\":\"Hello?\","
                 "\"annotations\":[]}]", 0, BIT(STREAM_INV_DELTAS));
    /* the final output repeats the output_item.done items, not only their text */
    expect_break("\"role\":\"assistant\",\"content\":[{", "\"role\":\"user\",\"content\":[{", 1,
                 BIT(STREAM_INV_DELTAS));
}
END_TEST

START_TEST(terminal_status_and_id_fail_final)
{
    char *text = join(good_events, -1, NULL);
    char *a = replace(text, "event: response.completed\ndata: {\"type\":\"response.completed\"",
                      "event: response.incomplete\ndata: {\"type\":\"response.incomplete\"");
    char *incomplete = replace(a, "\"status\":\"completed\",\"error\"",
                               "\"status\":\"incomplete\",\"error\"");
    struct stream_report r;

    expect_break("\"status\":\"completed\",\"error\"", "\"status\":\"in_progress\",\"error\"", 0,
                 BIT(STREAM_INV_FINAL));
    expect_break("\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1741290958,"
                 "\"status\":\"completed\"",
                 "\"id\":\"resp_2\",\"object\":\"response\",\"created_at\":1741290958,"
                 "\"status\":\"completed\"",
                 0, BIT(STREAM_INV_FINAL));
    /* a consistent response.incomplete: a failure for respsmoke, which asked for
     * an answer, but a valid end for a caller that expects any end */
    expect_reason(incomplete, BIT(STREAM_INV_FINAL), STREAM_INV_FINAL, "ended with");
    run_expecting(STREAM_RESPONSES, STREAM_EXPECT_ANY_END, incomplete, &r);
    expect_only(&r, 0);
    free(incomplete);
    free(a);
    free(text);
}
END_TEST

#define FC_ITEM(id, call, status, args)                                                        \
    "{\"id\":\"" id "\",\"type\":\"function_call\",\"status\":\"" status "\",\"arguments\":\""  \
    args "\",\"call_id\":\"" call "\",\"name\":\"get_weather\"}"

/* Two function calls, one after the other. */
static const char two_calls[] =
    EV("response.created", "\"sequence_number\":0,\"response\":" RESP_OBJ("in_progress", "[]"))
    EV("response.output_item.added", "\"sequence_number\":1,\"output_index\":0,\"item\":"
       FC_ITEM("fc_1", "call_1", "in_progress", ""))
    EV("response.function_call_arguments.delta", "\"sequence_number\":2,\"item_id\":\"fc_1\","
       "\"output_index\":0,\"delta\":\"{}\"")
    EV("response.function_call_arguments.done", "\"sequence_number\":3,\"item_id\":\"fc_1\","
       "\"output_index\":0,\"name\":\"get_weather\",\"arguments\":\"{}\"")
    EV("response.output_item.done", "\"sequence_number\":4,\"output_index\":0,\"item\":"
       FC_ITEM("fc_1", "call_1", "completed", "{}"))
    EV("response.output_item.added", "\"sequence_number\":5,\"output_index\":1,\"item\":"
       FC_ITEM("fc_2", "call_2", "in_progress", ""))
    EV("response.function_call_arguments.delta", "\"sequence_number\":6,\"item_id\":\"fc_2\","
       "\"output_index\":1,\"delta\":\"{}\"")
    EV("response.function_call_arguments.done", "\"sequence_number\":7,\"item_id\":\"fc_2\","
       "\"output_index\":1,\"name\":\"get_weather\",\"arguments\":\"{}\"")
    EV("response.output_item.done", "\"sequence_number\":8,\"output_index\":1,\"item\":"
       FC_ITEM("fc_2", "call_2", "completed", "{}"))
    EV("response.completed", "\"sequence_number\":9,\"response\":" RESP_OBJ(
       "completed", "[" FC_ITEM("fc_1", "call_1", "completed", "{}") ","
                    FC_ITEM("fc_2", "call_2", "completed", "{}") "]"));

START_TEST(function_call_identity_fails_order)
{
    static const struct {
        const char *from, *to;
        int all;
    } breaks[] = {
        {"fc_2", "fc_1", 1},          /* two items with one id */
        {"call_2", "call_1", 1},      /* two function calls with one call_id */
        {"\"arguments\":\"\",\"call_id\":\"call_1\"", "\"arguments\":\"\",\"call_id\":\"\"", 0},
        {"\"output_index\":0,\"name\":\"get_weather\"", "\"output_index\":0,\"name\":\"other\"",
         0},                          /* arguments.done names another function */
    };
    struct stream_report r;
    size_t i;

    run_responses(two_calls, &r);
    expect_only(&r, 0);
    for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
        char *text = breaks[i].all ? replace_all(two_calls, breaks[i].from, breaks[i].to)
                                   : replace(two_calls, breaks[i].from, breaks[i].to);
        run_responses(text, &r);
        expect_only(&r, BIT(STREAM_INV_ORDER));
        free(text);
    }
}
END_TEST

#define RS_SUMMARY "\"summary\":[{\"type\":\"summary_text\",\"text\":\"Think\"}]"
#define MSG_HI_DONE                                                                            \
    "{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\","  \
    "\"content\":[{\"type\":\"output_text\",\"text\":\"Hi\",\"annotations\":[]}]}"
#define RS_SUMMARY_DONE "{\"id\":\"rs_1\",\"type\":\"reasoning\"," RS_SUMMARY "}"

/* A reasoning item with a streamed summary, then a message (sequence 0..14). */
static const char *const summary_events[] = {
    EV("response.created", "\"sequence_number\":0,\"response\":" RESP_OBJ("in_progress", "[]")),
    EV("response.output_item.added", "\"sequence_number\":1,\"output_index\":0,\"item\":"
       "{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}"),
    EV("response.reasoning_summary_part.added", "\"sequence_number\":2,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"summary_index\":0,\"part\":{\"type\":\"summary_text\","
       "\"text\":\"\"}"),
    EV("response.reasoning_summary_text.delta", "\"sequence_number\":3,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"summary_index\":0,\"delta\":\"Th\""),
    EV("response.reasoning_summary_text.delta", "\"sequence_number\":4,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"summary_index\":0,\"delta\":\"ink\""),
    EV("response.reasoning_summary_text.done", "\"sequence_number\":5,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"summary_index\":0,\"text\":\"Think\""),
    EV("response.reasoning_summary_part.done", "\"sequence_number\":6,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"summary_index\":0,\"part\":{\"type\":\"summary_text\","
       "\"text\":\"Think\"}"),
    EV("response.output_item.done", "\"sequence_number\":7,\"output_index\":0,\"item\":"
       RS_SUMMARY_DONE),
    EV("response.output_item.added", "\"sequence_number\":8,\"output_index\":1,\"item\":"
       "{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":"
       "\"assistant\",\"content\":[]}"),
    EV("response.content_part.added", "\"sequence_number\":9,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\"}"),
    EV("response.output_text.delta", "\"sequence_number\":10,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"delta\":\"Hi\""),
    EV("response.output_text.done", "\"sequence_number\":11,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"text\":\"Hi\""),
    EV("response.content_part.done", "\"sequence_number\":12,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\","
       "\"text\":\"Hi\"}"),
    EV("response.output_item.done", "\"sequence_number\":13,\"output_index\":1,\"item\":"
       MSG_HI_DONE),
    EV("response.completed", "\"sequence_number\":14,\"response\":"
       RESP_OBJ("completed", "[" RS_SUMMARY_DONE "," MSG_HI_DONE "]")),
    NULL};

START_TEST(reasoning_summary_is_followed)
{
    char *text = join(summary_events, -1, NULL);
    char *bad_done = replace(text, "\"text\":\"Think\"", "\"text\":\"Thunk\"");
    char *bad_item = replace_all(text, RS_SUMMARY,
                                 "\"summary\":[{\"type\":\"summary_text\",\"text\":\"Thought\"}]");
    char *part_never_done = join(summary_events, 6, NULL); /* a gap, tolerated */
    struct stream_report r;

    run_responses(text, &r);
    expect_only(&r, 0);
    run_responses(bad_done, &r);
    expect_only(&r, BIT(STREAM_INV_DELTAS));
    run_responses(bad_item, &r);
    expect_only(&r, BIT(STREAM_INV_DELTAS));
    run_responses(part_never_done, &r);
    expect_only(&r, BIT(STREAM_INV_ORDER));
    ck_assert_int_eq(r.gaps, 1);
    free(part_never_done);
    free(bad_item);
    free(bad_done);
    free(text);
}
END_TEST

/* ---- Feeding ---------------------------------------------------------- */

static int feed_event(const struct sse_event *ev, void *user)
{
    stream_check_event(user, ev);
    return 0;
}

/* Events split by another parser (as the tests' captures do) are judged as
 * the bytes are. */
START_TEST(events_fed_one_by_one_match_bytes)
{
    char *text = join(good_events, -1, NULL);
    char *broken = replace(text, "\"delta\":\"lo!\"", "\"delta\":\"lo?\"");
    const char *const inputs[] = {text, broken};
    size_t i;

    for (i = 0; i < 2; i++) {
        struct sse_parser p;
        struct stream_check sc;
        struct stream_report by_event, by_bytes;
        int k;

        stream_check_init(&sc, STREAM_RESPONSES);
        sse_parser_init(&p, 1 << 20);
        ck_assert_int_eq(sse_parser_feed(&p, inputs[i], strlen(inputs[i]), feed_event, &sc), 0);
        sse_parser_release(&p);
        stream_check_finish(&sc, &by_event);
        ck_assert_uint_eq(sc.n_items, 1);
        ck_assert_str_eq(sc.items[0].parts[0].text.data, i ? "Hello?" : "Hello!");
        stream_check_release(&sc);
        run_responses(inputs[i], &by_bytes);
        for (k = 0; k < STREAM_INV_COUNT; k++)
            ck_assert_int_eq(by_event.inv[k].state, by_bytes.inv[k].state);
        ck_assert_uint_eq(by_event.events, N_GOOD);
    }
    free(broken);
    free(text);
}
END_TEST

/* ---- Real-endpoint variations that must not fail ---------------------- */

#define RS_CONTENT_DONE                                                                        \
    "{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[],\"content\":[{\"type\":"           \
    "\"reasoning_text\",\"text\":\"think\"}]}"

/* A reasoning item with raw reasoning_text content first (as gpt-oss style
 * models stream it), then the message; sequence numbers 0..13. */
static const char reasoning_stream[] =
    EV("response.created", "\"sequence_number\":0,\"response\":" RESP_OBJ("in_progress", "[]"))
    EV("response.output_item.added", "\"sequence_number\":1,\"output_index\":0,\"item\":"
       "{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}")
    EV("response.content_part.added", "\"sequence_number\":2,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"reasoning_text\","
       "\"text\":\"\"}")
    EV("response.reasoning_text.delta", "\"sequence_number\":3,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"content_index\":0,\"delta\":\"think\"")
    EV("response.reasoning_text.done", "\"sequence_number\":4,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"content_index\":0,\"text\":\"think\"")
    EV("response.content_part.done", "\"sequence_number\":5,\"item_id\":\"rs_1\","
       "\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"reasoning_text\","
       "\"text\":\"think\"}")
    EV("response.output_item.done", "\"sequence_number\":6,\"output_index\":0,\"item\":"
       RS_CONTENT_DONE)
    EV("response.output_item.added", "\"sequence_number\":7,\"output_index\":1,\"item\":"
       "{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":"
       "\"assistant\",\"content\":[]}")
    EV("response.content_part.added", "\"sequence_number\":8,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\"}")
    EV("response.output_text.delta", "\"sequence_number\":9,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"delta\":\"Hi\"")
    EV("response.output_text.done", "\"sequence_number\":10,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"text\":\"Hi\"")
    EV("response.content_part.done", "\"sequence_number\":11,\"item_id\":\"msg_1\","
       "\"output_index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\","
       "\"text\":\"Hi\"}")
    EV("response.output_item.done", "\"sequence_number\":12,\"output_index\":1,\"item\":"
       MSG_HI_DONE)
    EV("response.completed", "\"sequence_number\":13,\"response\":"
       RESP_OBJ("completed", "[" RS_CONTENT_DONE "," MSG_HI_DONE "]"));

START_TEST(reasoning_text_content_is_not_a_delta_mismatch)
{
    struct stream_report r;

    run_responses(reasoning_stream, &r);
    expect_only(&r, 0);
}
END_TEST

START_TEST(unknown_events_without_sequence_number_are_tolerated)
{
    char *text = malloc(sizeof(reasoning_stream) + 256);
    struct stream_report r;

    ck_assert_ptr_nonnull(text);
    /* a keepalive mid-stream and a rate-limit update after completion, neither numbered */
    snprintf(text, sizeof(reasoning_stream) + 256, "%s%s", reasoning_stream,
             "event: keepalive\ndata: {\"type\":\"keepalive\"}\n\n"
             "event: response.rate_limits.updated\ndata: {\"type\":\"response.rate_limits."
             "updated\",\"rate_limits\":[]}\n\n");
    run_responses(text, &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(r.unknown_events, 2);
    free(text);
}
END_TEST

/* ---- Chat chunks ------------------------------------------------------ */

/* Chat stream 'text' with the request's 'expect' must fail exactly 'failing'. */
static void expect_chat(const char *text, unsigned expect, unsigned failing)
{
    struct stream_report r;

    run_expecting(STREAM_CHAT, expect, text, &r);
    expect_only(&r, failing);
}

START_TEST(chat_identity_and_order_are_checked)
{
    char *created = replace_at(good_chat, "\"created\":1", "\"created\":2", 1);
    char *model = replace_at(good_chat, "\"model\":\"m\"", "\"model\":\"n\"", 2);
    char *no_role = replace(good_chat, "{\"role\":\"assistant\",\"content\":\"\"}",
                            "{\"content\":\"\"}");
    char *two_finishes = replace(good_chat, "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null",
                                 "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"");
    const char *usage = strstr(good_chat, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat."
                                          "completion.chunk\",\"created\":1,\"model\":\"m\","
                                          "\"choices\":[],");
    const char *finish = strstr(good_chat, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat."
                                           "completion.chunk\",\"created\":1,\"model\":\"m\","
                                           "\"choices\":[{\"index\":0,\"delta\":{},");
    char *usage_early = calloc(1, strlen(good_chat) + 1);

    /* the usage chunk moved before the finishing chunk */
    ck_assert_ptr_nonnull(usage);
    ck_assert_ptr_nonnull(finish);
    ck_assert_ptr_nonnull(usage_early);
    snprintf(usage_early, strlen(good_chat) + 1, "%.*s%.*s%.*s%s", (int)(finish - good_chat),
             good_chat, (int)(strlen(usage) - strlen("data: [DONE]\n\n")), usage,
             (int)(usage - finish), finish, "data: [DONE]\n\n");
    expect_chat(created, 0, BIT(STREAM_INV_ORDER));
    expect_chat(model, 0, BIT(STREAM_INV_ORDER));
    expect_chat(no_role, 0, BIT(STREAM_INV_ORDER));
    expect_chat(two_finishes, 0, BIT(STREAM_INV_ORDER));
    expect_chat(usage_early, 0, BIT(STREAM_INV_ORDER));
    free(usage_early);
    free(two_finishes);
    free(no_role);
    free(model);
    free(created);
}
END_TEST

START_TEST(chat_usage_rules)
{
    char *with_nulls = replace_all(good_chat, "\"finish_reason\":null}]}",
                                   "\"finish_reason\":null}],\"usage\":null}");
    char *with_nulls2 = replace(with_nulls, "\"finish_reason\":\"stop\"}]}",
                                "\"finish_reason\":\"stop\"}],\"usage\":null}");
    char *usage_early = replace(with_nulls2,
                                "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],"
                                "\"usage\":null}",
                                "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],"
                                "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
                                "\"total_tokens\":2}}");
    const char *usage_chunk = strstr(good_chat, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat."
                                                "completion.chunk\",\"created\":1,\"model\":\"m\","
                                                "\"choices\":[],");
    char *no_usage = replace(good_chat, usage_chunk, "data: [DONE]\n\n");
    char *empty = replace(good_chat, "\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
                                     "\"completion_tokens\":1,\"total_tokens\":2}}",
                          "\"choices\":[]}");

    expect_chat(good_chat, 0, 0); /* nothing known about the request */
    expect_chat(good_chat, STREAM_EXPECT_NO_USAGE, BIT(STREAM_INV_FINAL));
    expect_chat(good_chat, STREAM_EXPECT_USAGE, BIT(STREAM_INV_FINAL)); /* no usage: null */
    expect_chat(with_nulls2, STREAM_EXPECT_USAGE, 0);
    /* usage on a chunk with choices: against include_usage, tolerated unasked */
    expect_chat(usage_early, STREAM_EXPECT_USAGE, BIT(STREAM_INV_FINAL));
    expect_chat(usage_early, STREAM_EXPECT_NO_USAGE, BIT(STREAM_INV_FINAL));
    expect_chat(usage_early, 0, 0);
    expect_chat(no_usage, STREAM_EXPECT_NO_USAGE, 0);
    expect_chat(no_usage, STREAM_EXPECT_USAGE, BIT(STREAM_INV_FINAL));
    /* a chunk with neither choices nor usage */
    expect_chat(empty, STREAM_EXPECT_USAGE, BIT(STREAM_INV_FINAL));
    expect_chat(empty, 0, 0);
    free(empty);
    free(no_usage);
    free(usage_early);
    free(with_nulls2);
    free(with_nulls);
}
END_TEST

#define CHUNK(delta, finish)                                                                   \
    "data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1,"        \
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish  \
    "}]}\n\n"

static const char tool_chat[] =
    CHUNK("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":"
          "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
          "\"arguments\":\"\"}}]}", "null")
    CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}",
          "null")
    CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}", "null")
    CHUNK("{}", "\"tool_calls\"")
    "data: [DONE]\n\n";

START_TEST(chat_tool_call_deltas)
{
    char *no_index = replace(tool_chat, "{\"index\":0,\"function\":{\"arguments\":\"1}\"",
                             "{\"function\":{\"arguments\":\"1}\"");
    char *no_id = replace(tool_chat, "\"id\":\"call_1\",", "");
    char *skips = replace(tool_chat, "\"tool_calls\":[{\"index\":0,\"id\"",
                          "\"tool_calls\":[{\"index\":1,\"id\"");
    struct stream_check sc;
    struct stream_report r;

    /* no content at all is fine when a tool call streamed; the checker built it */
    stream_check_init(&sc, STREAM_CHAT);
    ck_assert_int_eq(stream_check_feed(&sc, tool_chat, strlen(tool_chat)), 0);
    stream_check_finish(&sc, &r);
    expect_only(&r, 0);
    ck_assert_uint_eq(sc.choices[0].n_tools, 1);
    ck_assert_str_eq(sc.choices[0].tools[0].id, "call_1");
    ck_assert_str_eq(sc.choices[0].tools[0].name, "get_weather");
    ck_assert_str_eq(sc.choices[0].tools[0].args.data, "{\"a\":1}");
    ck_assert_str_eq(sc.choices[0].finish_reason, "tool_calls");
    stream_check_release(&sc);
    expect_chat(no_index, 0, BIT(STREAM_INV_ORDER));
    expect_chat(no_id, 0, BIT(STREAM_INV_ORDER));
    expect_chat(skips, 0, BIT(STREAM_INV_ORDER));
    free(skips);
    free(no_id);
    free(no_index);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("stream_check");
    add_tcase(s, tcase_create("responses"), 20, NULL, NULL, good_stream_passes,
              good_stream_byte_by_byte, crlf_stream_passes,
              extra_done_and_unknown_events_are_tolerated,
              missing_sequence_number_fails_sequence_only, decreasing_sequence_number_fails,
              gaps_are_noted_not_failed, done_only_fails_structure, empty_body_fails_framing,
              delta_before_part_added_fails_order, created_not_first_fails_order,
              no_terminal_fails_terminal_and_final, two_terminals_fail_terminal,
              known_event_after_terminal_fails_terminal, delta_mismatch_fails_deltas,
              final_text_differs_fails_deltas, failed_terminal_fails_final, error_event_fails_final,
              malformed_json_and_event_mismatch_fail_framing, unterminated_last_event_fails_framing,
              function_call_stream_passes, events_fed_one_by_one_match_bytes);
    add_tcase(s, tcase_create("items"), 20, NULL, NULL, item_scope_breaks_fail_order,
              part_order_breaks_fail_order, snapshot_status_is_checked,
              done_copies_of_the_text_must_match, terminal_status_and_id_fail_final,
              function_call_identity_fails_order, reasoning_summary_is_followed);
    add_tcase(s, tcase_create("tolerance"), 10, NULL, NULL,
              reasoning_text_content_is_not_a_delta_mismatch,
              unknown_events_without_sequence_number_are_tolerated);
    add_tcase(s, tcase_create("chat"), 10, NULL, NULL, chat_stream_passes,
              chat_stream_without_done_fails_terminal, chat_stream_wrong_object_fails_framing,
              chat_prompt_filter_chunk_is_tolerated, chat_identity_and_order_are_checked,
              chat_usage_rules, chat_tool_call_deltas);
    return s;
}
