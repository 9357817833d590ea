/* Unit tests for server/stream.c: the SSE writer (every event kind framed
 * once, delays and end-of-stream behaviour kept), and stream_read() pacing
 * with a fake clock (no socket, no sleeping): WAIT and wake times, several
 * frames per call, frames split across calls, abort_after, end_with_error,
 * the speed factor, zero-length frames and the size limit. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "test_support.h"

/* Read once at 'now' into a buffer of 'max' bytes. */
static enum stream_status rd(struct stream *s, int64_t now, size_t max, char *out,
                             size_t *written, int64_t *wake)
{
    *written = 0;
    *wake = -12345;
    return stream_read(s, now, out, max, written, wake);
}

START_TEST(pacing_wait_and_wake)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[256];
    size_t w;
    int64_t wake;

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(stream_push(s, "A", 1, 0), 0);
    ck_assert_int_eq(stream_push(s, "BB", 2, 100), 0);
    ck_assert_int_eq(stream_push(s, "CCC", 3, 50), 0);

    /* Frame A is due at once; B then waits 100 ms from when it is first looked at. */
    ck_assert_int_eq(rd(s, 1000, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 1);
    ck_assert_int_eq(memcmp(out, "A", 1), 0);
    ck_assert_int_eq(rd(s, 1000, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_uint_eq(w, 0);
    ck_assert_int_eq(wake, 1100);
    /* Woken early: still waiting for the same time, not rescheduled. */
    ck_assert_int_eq(rd(s, 1099, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 1100);
    ck_assert_int_eq(rd(s, 1100, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 2);
    ck_assert_int_eq(memcmp(out, "BB", 2), 0);
    /* C's delay counts from when B was handed out (1100), however late
     * the reader comes back. */
    ck_assert_int_eq(rd(s, 1107, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 1150);
    ck_assert_int_eq(rd(s, 1160, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 3);
    ck_assert_int_eq(rd(s, 1160, sizeof(out), out, &w, &wake), STREAM_END);
    ck_assert_int_eq(rd(s, 1161, sizeof(out), out, &w, &wake), STREAM_END);
    stream_free(s);
}
END_TEST

START_TEST(several_frames_per_call)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[256];
    size_t w;
    int64_t wake;

    stream_push(s, "one\n", 4, 0);
    stream_push(s, "two\n", 4, 0);
    stream_push(s, "three\n", 6, 0);
    stream_push(s, "later\n", 6, 30);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 14);
    ck_assert_int_eq(memcmp(out, "one\ntwo\nthree\n", 14), 0);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 30);
    ck_assert_int_eq(rd(s, 30, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 6);
    ck_assert_int_eq(rd(s, 30, sizeof(out), out, &w, &wake), STREAM_END);
    stream_free(s);
}
END_TEST

START_TEST(frame_split_across_calls)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[8], all[64];
    size_t w, got = 0;
    int64_t wake;
    enum stream_status st;

    stream_push(s, "0123456789", 10, 0);
    stream_push(s, "abcdef", 6, 20);
    /* max 4: the first frame comes in 4+4+2 bytes; the rest of a started
     * frame is never delayed again. */
    ck_assert_int_eq(rd(s, 0, 4, out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 4);
    memcpy(all + got, out, w);
    got += w;
    ck_assert_int_eq(rd(s, 5, 4, out, &w, &wake), STREAM_DATA);
    memcpy(all + got, out, w);
    got += w;
    ck_assert_int_eq(rd(s, 5, 4, out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 2);
    memcpy(all + got, out, w);
    got += w;
    ck_assert_int_eq(rd(s, 5, 4, out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 25);
    while ((st = rd(s, 25, 4, out, &w, &wake)) == STREAM_DATA) {
        memcpy(all + got, out, w);
        got += w;
    }
    ck_assert_int_eq(st, STREAM_END);
    ck_assert_uint_eq(got, 16);
    ck_assert_int_eq(memcmp(all, "0123456789abcdef", 16), 0);
    stream_free(s);
}
END_TEST

START_TEST(abort_after_bytes)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[256];
    size_t w;
    int64_t wake;

    stream_push(s, "hello ", 6, 0);
    stream_push(s, "world", 5, 0);
    stream_set_abort_after(s, 8); /* mid second frame */
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 8);
    ck_assert_int_eq(memcmp(out, "hello wo", 8), 0);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_ABORT);
    ck_assert_int_eq(rd(s, 1, sizeof(out), out, &w, &wake), STREAM_ABORT);
    stream_free(s);

    /* At a frame boundary, with the next frame still delayed: abort, no wait. */
    s = stream_new(1024, 1.0);
    stream_push(s, "abc", 3, 0);
    stream_push(s, "def", 3, 500);
    stream_set_abort_after(s, 3);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 3);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_ABORT);
    stream_free(s);

    /* Past the end: the stream ends normally unless end_with_error. */
    s = stream_new(1024, 1.0);
    stream_push(s, "abc", 3, 0);
    stream_set_abort_after(s, 100);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_END);
    stream_free(s);
}
END_TEST

START_TEST(end_with_error)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[256];
    size_t w;
    int64_t wake;

    stream_push(s, "x", 1, 0);
    stream_set_end_with_error(s);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_ABORT);
    stream_free(s);

    s = stream_new(1024, 1.0); /* an empty stream that is cut */
    stream_set_end_with_error(s);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_ABORT);
    stream_free(s);
}
END_TEST

START_TEST(speed_factor)
{
    char out[256];
    size_t w;
    int64_t wake;
    struct stream *s = stream_new(1024, 0); /* speed 0: never waits */

    stream_push(s, "a", 1, 5000);
    stream_push(s, "b", 1, 5000);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 2);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_END);
    stream_free(s);

    s = stream_new(1024, 0.5);
    stream_push(s, "a", 1, 100);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 50);
    stream_free(s);

    s = stream_new(1024, 2.0);
    stream_push(s, "a", 1, 100);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 200);
    stream_free(s);

    s = stream_new(1024, -3.0); /* negative means 0 */
    stream_push(s, "a", 1, 100);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    stream_free(s);
}
END_TEST

START_TEST(zero_length_frame_holds_the_end)
{
    struct stream *s = stream_new(1024, 1.0);
    char out[256];
    size_t w;
    int64_t wake;

    stream_push(s, "last", 4, 0);
    stream_push(s, "", 0, 300); /* a stall before closing */
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 4);
    ck_assert_int_eq(rd(s, 0, sizeof(out), out, &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 300);
    ck_assert_int_eq(rd(s, 300, sizeof(out), out, &w, &wake), STREAM_END);
    stream_free(s);
}
END_TEST

START_TEST(limit_and_concat)
{
    struct event_list *l = event_list_new();
    struct stream *s = stream_new(10, 1.0);
    char *all;
    size_t len;

    ck_assert_int_eq(stream_push(s, "12345", 5, 0), 0);
    ck_assert_int_eq(stream_push(s, "67890", 5, 0), 0);
    ck_assert_int_eq(stream_push(s, "x", 1, 0), -1);
    ck_assert_uint_eq(stream_total(s), 10);
    all = stream_concat(s, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(all, "1234567890");
    free(all);
    stream_free(s);

    /* The SSE writer: a frame that does not fit fails the whole stream. */
    ck_assert_int_eq(event_list_push_json(l, "t", json_object(), 0), 0);
    ck_assert_ptr_null(stream_new_sse(l, 1.0, 10)); /* 17 bytes > 10 */
    event_list_unref(l);
    stream_free(NULL);
}
END_TEST

/* Frames that are views into a block the stream adopted: read like copied
 * ones (same bytes, same delays, same limit), the block freed with the
 * stream (valgrind / LeakSanitizer would see a leak or a double free). */
START_TEST(view_frames_of_an_adopted_block)
{
    struct stream *s = stream_new(10, 1.0);
    char *block = strdup("abcdefghij!"), out[16], *all;
    size_t n = 0, len;
    int64_t wake = 0;

    ck_assert_int_eq(stream_push_view(s, block, 4, 0), 0);
    ck_assert_int_eq(stream_push(s, "ef", 2, 0), 0);
    ck_assert_int_eq(stream_push_view(s, block + 6, 4, 0), 0);
    ck_assert_int_eq(stream_push_view(s, block + 10, 1, 0), -1); /* over the limit */
    stream_adopt(s, block);
    ck_assert_uint_eq(stream_frames(s), 3);
    all = stream_concat(s, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(all, "abcdefghij");
    free(all);
    ck_assert_int_eq(stream_read(s, 0, out, sizeof(out), &n, &wake), STREAM_DATA);
    ck_assert_uint_eq(n, 10);
    ck_assert(memcmp(out, "abcdefghij", 10) == 0);
    stream_free(s);
}
END_TEST

/* One writer frames every kind of event, keeping delays and the list's
 * end-of-stream behaviour. */
START_TEST(sse_writer_frames_events)
{
    struct event_list *l = event_list_new();
    struct stream *s;
    char *all, out[256];
    size_t w;
    int64_t wake;

    ck_assert_int_eq(event_list_push_json(l, "response.created", json_pack("{s:i}", "a", 1), 0),
                     0);
    ck_assert_int_eq(event_list_push_json(l, NULL, json_pack("{s:i}", "b", 2), 5), 0);
    ck_assert_int_eq(event_list_push_raw(l, "x", "raw\r\n\r\n", 7, NULL, 0), 0);
    ck_assert_int_eq(event_list_push_done(l, 0), 0);
    ck_assert_int_eq(event_list_push_pause(l, 40), 0);
    l->end_with_error = 1;
    s = stream_new_sse(l, 1.0, 1024);
    ck_assert_ptr_nonnull(s);
    all = stream_concat(s, NULL);
    ck_assert_str_eq(all, "event: response.created\ndata: {\"a\":1}\n\n"
                          "data: {\"b\":2}\n\nraw\r\n\r\ndata: [DONE]\n\n");
    free(all);
    /* The first frame is due at once, the second 5 ms later. */
    ck_assert_int_eq(stream_read(s, 100, out, 39, &w, &wake), STREAM_DATA);
    ck_assert_uint_eq(w, 39);
    ck_assert_int_eq(stream_read(s, 100, out, sizeof(out), &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 105);
    ck_assert_int_eq(stream_read(s, 105, out, sizeof(out), &w, &wake), STREAM_DATA);
    /* The pause holds the end for 40 ms; then the list's end_with_error. */
    ck_assert_int_eq(stream_read(s, 105, out, sizeof(out), &w, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 145);
    ck_assert_int_eq(stream_read(s, 145, out, sizeof(out), &w, &wake), STREAM_ABORT);
    stream_free(s);
    event_list_unref(l);
}
END_TEST

/* The WebSocket writer: one message per event (the JSON the SSE data line
 * carries), the data of each SSE event in verbatim bytes, no [DONE],
 * delays (plus the first-frame latency), stream_id on JSON events, and
 * abort_after at a message boundary. */
START_TEST(ws_writer_one_message_per_event)
{
    struct event_list *l = event_list_new();
    struct stream *s;
    const char *b;
    size_t len;
    int64_t wake;

    ck_assert_int_eq(event_list_push_json(l, "response.created", json_pack("{s:i}", "a", 1), 0),
                     0);
    ck_assert_int_eq(event_list_push_raw(l, "x", "event: x\ndata: {broken\n\ndata: 2\n\n", 33,
                                         NULL, 5),
                     0);
    ck_assert_int_eq(event_list_push_done(l, 0), 0);
    ck_assert_int_eq(event_list_push_pause(l, 40), 0);
    s = stream_new_ws(l, 1.0, 1024, 10, "lane");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(stream_next(s, 100, &b, &len, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 110); /* the latency before the first */
    ck_assert_int_eq(stream_next(s, 110, &b, &len, &wake), STREAM_DATA);
    ck_assert_str_eq(b, "{\"a\":1,\"stream_id\":\"lane\"}");
    ck_assert_int_eq(stream_next(s, 110, &b, &len, &wake), STREAM_WAIT);
    ck_assert_int_eq(wake, 115);
    ck_assert_int_eq(stream_next(s, 115, &b, &len, &wake), STREAM_DATA);
    ck_assert_str_eq(b, "{broken");
    ck_assert_int_eq(stream_next(s, 115, &b, &len, &wake), STREAM_DATA);
    ck_assert_str_eq(b, "2");
    ck_assert_int_eq(stream_next(s, 115, &b, &len, &wake), STREAM_WAIT); /* the pause */
    ck_assert_int_eq(wake, 155);
    ck_assert_int_eq(stream_next(s, 155, &b, &len, &wake), STREAM_END);
    stream_free(s);
    /* a drop after N bytes cuts before the message that would pass them */
    l->abort_after = 12;
    s = stream_new_ws(l, 0, 1024, 0, NULL);
    ck_assert_int_eq(stream_next(s, 0, &b, &len, &wake), STREAM_DATA);
    ck_assert_str_eq(b, "{\"a\":1}");
    ck_assert_int_eq(stream_next(s, 0, &b, &len, &wake), STREAM_ABORT);
    stream_free(s);
    event_list_unref(l);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("stream");

    add_tcase(s, tcase_create("pacing"), 60, NULL, NULL, pacing_wait_and_wake,
              several_frames_per_call, frame_split_across_calls, zero_length_frame_holds_the_end);
    add_tcase(s, tcase_create("abort"), 60, NULL, NULL, abort_after_bytes, end_with_error);
    add_tcase(s, tcase_create("speed"), 60, NULL, NULL, speed_factor);
    add_tcase(s, tcase_create("limits"), 60, NULL, NULL, limit_and_concat,
              view_frames_of_an_adopted_block);

    add_tcase(s, tcase_create("sse_writer"), 60, NULL, NULL, sse_writer_frames_events);
    add_tcase(s, tcase_create("ws_writer"), 60, NULL, NULL, ws_writer_one_message_per_event);
    return s;
}
