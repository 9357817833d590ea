/* Review tests for server/common/sse.c and buf.c: a framed value with line
 * breaks must read back whole (one data: line per line), and a buffer
 * whose limit is SIZE_MAX ("no limit") must still grow. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sse.h"
#include "test_support.h"

struct got {
    int n;
    char event[64];
    char data[256];
};

static int on_event(const struct sse_event *ev, void *user)
{
    struct got *g = user;

    g->n++;
    snprintf(g->event, sizeof(g->event), "%s", ev->event ? ev->event : "");
    snprintf(g->data, sizeof(g->data), "%.*s", (int)ev->data_len, ev->data);
    return 0;
}

static void roundtrip(const char *type, const char *data, const char *expect_data)
{
    struct buf b;
    struct sse_parser p;
    struct got g;

    memset(&g, 0, sizeof(g));
    buf_init(&b, 4096);
    ck_assert_int_eq(sse_frame_append(&b, type, data), 0);
    sse_parser_init(&p, 4096);
    ck_assert_int_eq(sse_parser_feed(&p, b.data, b.len, on_event, &g), 0);
    ck_assert_int_eq(sse_parser_finish(&p), 0);
    sse_parser_release(&p);
    ck_assert_int_eq(g.n, 1);
    ck_assert_str_eq(g.event, type ? type : "");
    ck_assert_str_eq(g.data, expect_data);
    buf_release(&b);
}

START_TEST(frame_multiline_data)
{
    struct buf b;

    roundtrip("x", "{\"a\":1}", "{\"a\":1}");
    roundtrip("response.created", "{\n  \"type\": \"response.created\"\n}",
              "{\n  \"type\": \"response.created\"\n}");
    roundtrip(NULL, "a\r\nb\rc\nd", "a\nb\nc\nd");
    roundtrip("x", "trailing\n", "trailing\n");
    roundtrip("x", "", "");
    /* The exact bytes: one data: line per line. */
    buf_init(&b, 4096);
    ck_assert_int_eq(sse_frame_append(&b, "e", "1\n2"), 0);
    ck_assert_str_eq(b.data, "event: e\ndata: 1\ndata: 2\n\n");
    buf_release(&b);
    /* Still all or nothing when full. */
    buf_init(&b, 20);
    ck_assert_int_eq(sse_frame_append(&b, "e", "1\n2"), -1);
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

START_TEST(buf_unlimited)
{
    struct buf b;
    char big[1000];

    buf_init(&b, SIZE_MAX);
    ck_assert_int_eq(buf_append_str(&b, "hello"), 0);
    ck_assert_uint_ge(b.cap, 6);
    ck_assert_str_eq(b.data, "hello");
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(buf_append(&b, big, sizeof(big)), 0);
    ck_assert_uint_eq(b.len, 1005);
    ck_assert_uint_ge(b.cap, 1006);
    ck_assert_int_eq(buf_appendf(&b, "%d", 42), 0);
    ck_assert_uint_eq(b.len, 1007);
    /* A size that cannot be represented with its NUL is refused, not wrapped. */
    ck_assert_int_eq(buf_append(&b, big, SIZE_MAX - b.len), -1);
    ck_assert_uint_eq(b.len, 1007);
    buf_release(&b);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("review_sse");
    TCase *tc = tcase_create("frame_multiline");
    TCase *tb = tcase_create("buf_no_limit");

    tcase_add_test(tc, frame_multiline_data);
    tcase_add_test(tb, buf_unlimited);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tb);
    return s;
}
