/* test_sse: the shared SSE parser (server/common/sse.c) that the server's
 * tests and the respsmoke client both use: line endings, split feeds,
 * comments, multi-line data, limits, early stop, and the framing writer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "test_support.h"

#define MAX_SEEN 16

/* What the callback saw. */
struct seen {
    int n;
    char event[MAX_SEEN][64];   /* "" when the event had no event: line */
    int has_event[MAX_SEEN];
    char data[MAX_SEEN][256];
    size_t raw_total;
    size_t raw[MAX_SEEN];       /* raw_bytes of each event */
    int stop_after;             /* ask to stop after this many events (0: never) */
};

static int on_event(const struct sse_event *ev, void *user)
{
    struct seen *s = user;

    if (s->n < MAX_SEEN) {
        snprintf(s->event[s->n], sizeof(s->event[0]), "%s", ev->event ? ev->event : "");
        s->has_event[s->n] = ev->event != NULL;
        snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int)ev->data_len, ev->data);
    }
    if (s->n < MAX_SEEN)
        s->raw[s->n] = ev->raw_bytes;
    s->n++;
    s->raw_total += ev->raw_bytes;
    return s->stop_after && s->n >= s->stop_after;
}

/* Feed 'text' in pieces of 'step' bytes (0: all at once). Returns finish(). */
static int parse(const char *text, size_t step, size_t max_event, struct seen *s)
{
    struct sse_parser p;
    size_t len = strlen(text), off = 0;
    int rc = 0, fin;

    memset(s, 0, sizeof(*s));
    sse_parser_init(&p, max_event);
    if (!step)
        step = len ? len : 1;
    while (off < len && rc == 0) {
        size_t n = len - off < step ? len - off : step;
        rc = sse_parser_feed(&p, text + off, n, on_event, s);
        off += n;
    }
    fin = sse_parser_finish(&p, on_event, s);
    sse_parser_release(&p);
    return rc < 0 ? -1 : fin;
}

static const char *const two_events =
    "event: response.created\ndata: {\"a\":1}\n\nevent: response.completed\ndata: {\"b\":2}\n\n";

START_TEST(lf_events)
{
    struct seen s;

    ck_assert_int_eq(parse(two_events, 0, 1024, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.event[0], "response.created");
    ck_assert_str_eq(s.data[0], "{\"a\":1}");
    ck_assert_str_eq(s.event[1], "response.completed");
    ck_assert_str_eq(s.data[1], "{\"b\":2}");
    ck_assert_uint_eq(s.raw_total, strlen(two_events));
}
END_TEST

START_TEST(crlf_raw_bytes_per_event)
{
    struct seen s;

    /* Each event owns its whole frame, CRLF of the blank line included. */
    ck_assert_int_eq(parse("data: a\r\n\r\ndata: bb\r\n\r\n", 0, 1024, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_uint_eq(s.raw[0], 11);
    ck_assert_uint_eq(s.raw[1], 12);
}
END_TEST

START_TEST(crlf_and_cr_endings)
{
    struct seen s;

    ck_assert_int_eq(parse("event: x\r\ndata: 1\r\n\r\nevent: y\rdata: 2\r\r", 0, 1024, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.event[0], "x");
    ck_assert_str_eq(s.data[0], "1");
    ck_assert_str_eq(s.event[1], "y");
    ck_assert_str_eq(s.data[1], "2");
}
END_TEST

START_TEST(split_feeds_give_the_same_events)
{
    static const char *const texts[] = {
        "event: x\r\ndata: 1\r\n\r\nevent: y\r\ndata: 2\r\n\r\n",
        "data: [DONE]\n\n", NULL};
    size_t step;
    int t;

    /* byte-by-byte feeding splits every CRLF pair across two calls */
    for (t = 0; texts[t]; t++) {
        struct seen whole, piece;
        ck_assert_int_eq(parse(texts[t], 0, 1024, &whole), 0);
        for (step = 1; step <= 7; step++) {
            int i;
            ck_assert_int_eq(parse(texts[t], step, 1024, &piece), 0);
            ck_assert_int_eq(piece.n, whole.n);
            for (i = 0; i < whole.n; i++) {
                ck_assert_str_eq(piece.event[i], whole.event[i]);
                ck_assert_str_eq(piece.data[i], whole.data[i]);
            }
        }
    }
}
END_TEST

/* Regression (issue 14): "data\r\r\n" counted 7 bytes fed whole but 6 fed
 * byte by byte (the LF went to the next event). Every split of every input
 * gives the same events with the same raw_bytes, and the same finish(). */
START_TEST(split_feeds_give_the_same_raw_bytes)
{
    static const char *const texts[] = {
        "data\r\r\n", "data\r\r\ndata: 2\r\r", "data: a\r\n\r\ndata: bb\r\n\r\n",
        "event: x\r\rdata: y\n\r\r\n\ndata: z\r\n\r", "data: 1\r\r\r\n\n\r\ndata: 2\n\n",
        ":c\r\r\ndata\r\n\r", NULL};
    struct seen whole, piece;
    int t;

    for (t = 0; texts[t]; t++) {
        size_t step;
        int fin = parse(texts[t], 0, 1024, &whole);

        for (step = 1; step <= strlen(texts[t]); step++) {
            int i;

            ck_assert_int_eq(parse(texts[t], step, 1024, &piece), fin);
            ck_assert_int_eq(piece.n, whole.n);
            ck_assert_uint_eq(piece.raw_total, whole.raw_total);
            for (i = 0; i < whole.n; i++) {
                ck_assert_uint_eq(piece.raw[i], whole.raw[i]);
                ck_assert_str_eq(piece.data[i], whole.data[i]);
            }
        }
    }
    /* the held event is dispatched at the end, with its own bytes */
    ck_assert_int_eq(parse("data\r\r\n", 1, 1024, &whole), 0);
    ck_assert_int_eq(whole.n, 1);
    ck_assert_uint_eq(whole.raw[0], 7);
    ck_assert_int_eq(parse("data: x\r\r", 0, 1024, &whole), 0);
    ck_assert_int_eq(whole.n, 1);
    ck_assert_uint_eq(whole.raw[0], 9);
}
END_TEST

START_TEST(comments_multiline_data_and_fields)
{
    struct seen s;

    ck_assert_int_eq(parse(": keepalive\n\nid: 7\nretry: 10\ndata:first\ndata: second\n"
                           "unknown: x\n\n",
                           0, 1024, &s),
                     0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.has_event[0], 0);
    ck_assert_str_eq(s.data[0], "first\nsecond");
}
END_TEST

START_TEST(data_only_chat_stream)
{
    struct seen s;

    ck_assert_int_eq(parse("data: {\"object\":\"chat.completion.chunk\"}\n\ndata: [DONE]\n\n", 0,
                           1024, &s),
                     0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.has_event[1], 0);
    ck_assert_str_eq(s.data[1], "[DONE]");
}
END_TEST

START_TEST(unterminated_last_event_is_reported)
{
    struct seen s;

    ck_assert_int_eq(parse("data: 1\n\ndata: 2\n", 0, 1024, &s), 1);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(parse("data: 1\n\ndata: 2", 0, 1024, &s), 1);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(parse("data: 1\n\n", 0, 1024, &s), 0);
}
END_TEST

START_TEST(event_over_limit_fails)
{
    struct seen s;
    char big[200];

    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(parse(big, 0, 64, &s), -1);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(callback_can_stop)
{
    struct seen s;
    struct sse_parser p;

    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    sse_parser_init(&p, 1024);
    ck_assert_int_eq(sse_parser_feed(&p, two_events, strlen(two_events), on_event, &s), 1);
    ck_assert_int_eq(s.n, 1);
    sse_parser_release(&p);
}
END_TEST

START_TEST(frame_writer_round_trips)
{
    struct buf out;
    struct seen s;

    buf_init(&out, 4096);
    ck_assert_int_eq(sse_frame_append(&out, "response.created", "{\"type\":\"response.created\"}"),
                     0);
    ck_assert_int_eq(sse_frame_append(&out, NULL, "[DONE]"), 0);
    ck_assert_int_eq(parse(out.data, 3, 1024, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.event[0], "response.created");
    ck_assert_str_eq(s.data[0], "{\"type\":\"response.created\"}");
    ck_assert_int_eq(s.has_event[1], 0);
    buf_release(&out);
}
END_TEST

/* Frame 'data' as one event of 'type' (NULL: data only), parse it back and
 * expect one event with 'expect_data'. */
static void frame_round_trip(const char *type, const char *data, const char *expect_data)
{
    struct buf b;
    struct seen s;

    buf_init(&b, 4096);
    ck_assert_int_eq(sse_frame_append(&b, type, data), 0);
    ck_assert_int_eq(parse(b.data, 0, 4096, &s), 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.has_event[0], type != NULL);
    ck_assert_str_eq(s.event[0], type ? type : "");
    ck_assert_str_eq(s.data[0], expect_data);
    buf_release(&b);
}

/* A value with line breaks is written one data: line per line and reads
 * back whole (CR and CRLF become LF). */
START_TEST(frame_writer_splits_multiline_data)
{
    struct buf b;

    frame_round_trip("x", "{\"a\":1}", "{\"a\":1}");
    frame_round_trip("response.created", "{\n  \"type\": \"response.created\"\n}",
                     "{\n  \"type\": \"response.created\"\n}");
    frame_round_trip(NULL, "a\r\nb\rc\nd", "a\nb\nc\nd");
    frame_round_trip("x", "trailing\n", "trailing\n");
    frame_round_trip("x", "", "");
    buf_init(&b, 4096);
    ck_assert_int_eq(sse_frame_append(&b, "e", "1\n2"), 0);
    ck_assert_str_eq(b.data, "event: e\ndata: 1\ndata: 2\n\n");
    buf_release(&b);
    /* still all or nothing when full */
    buf_init(&b, 20);
    ck_assert_int_eq(sse_frame_append(&b, "e", "1\n2"), -1);
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

START_TEST(frame_writer_never_leaves_half_a_frame)
{
    struct buf out;

    buf_init(&out, 40);
    ck_assert_int_eq(sse_frame_append(&out, "a", "1"), 0);
    ck_assert_int_eq(sse_frame_append(&out, "response.output_text.delta", "{\"delta\":\"x\"}"), -1);
    ck_assert_str_eq(out.data, "event: a\ndata: 1\n\n");
    buf_release(&out);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("sse");
    add_tcase(s, tcase_create("parser"), 10, NULL, NULL, lf_events, crlf_and_cr_endings,
              crlf_raw_bytes_per_event, split_feeds_give_the_same_events,
              split_feeds_give_the_same_raw_bytes,
              comments_multiline_data_and_fields, data_only_chat_stream,
              unterminated_last_event_is_reported, event_over_limit_fails, callback_can_stop);
    add_tcase(s, tcase_create("writer"), 10, NULL, NULL, frame_writer_round_trips,
              frame_writer_never_leaves_half_a_frame, frame_writer_splits_multiline_data);
    return s;
}
