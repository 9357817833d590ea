/* Unit tests for server/common/ws_io.c on a socketpair: handshake bytes
 * come before the socket's, "nothing now" is a would-block, a closed peer
 * is the end, and sends are capped at WS_IO_BLOCK. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"
#include "ws_io.h"

static wslay_event_context_ptr ctx_new(void)
{
    static const struct wslay_event_callbacks cb; /* never called here */
    wslay_event_context_ptr ctx;

    ck_assert_int_eq(wslay_event_context_server_init(&ctx, &cb, NULL), 0);
    return ctx;
}

START_TEST(extra_first_then_socket_then_end)
{
    wslay_event_context_ptr ctx = ctx_new();
    struct ws_io io;
    uint8_t buf[8];
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&io, 0, sizeof(io));
    io.fd = sv[0];
    io.extra = strdup("abc");
    io.extra_len = 3;
    ck_assert(ws_io_pending(&io));
    ck_assert_int_eq(ws_io_recv(ctx, &io, buf, 2), 2);
    ck_assert_mem_eq(buf, "ab", 2);
    ck_assert_int_eq(ws_io_recv(ctx, &io, buf, sizeof(buf)), 1);
    ck_assert(!ws_io_pending(&io));
    ck_assert_int_eq(ws_io_recv(ctx, &io, buf, sizeof(buf)), -1); /* nothing yet */
    ck_assert_int_eq(io.eof, 0);
    ck_assert_int_eq(write(sv[1], "xyz", 3), 3);
    ck_assert_int_eq(ws_io_recv(ctx, &io, buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "xyz", 3);
    close(sv[1]);
    ck_assert_int_eq(ws_io_recv(ctx, &io, buf, sizeof(buf)), -1);
    ck_assert_int_eq(io.eof, 1);
    close(sv[0]);
    free(io.extra);
    wslay_event_context_free(ctx);
}
END_TEST

START_TEST(send_is_capped_and_never_signals)
{
    wslay_event_context_ptr ctx = ctx_new();
    struct ws_io io;
    uint8_t *big = calloc(1, WS_IO_BLOCK * 2);
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&io, 0, sizeof(io));
    io.fd = sv[0];
    ck_assert_int_le(ws_io_send(ctx, &io, big, WS_IO_BLOCK * 2, 0), WS_IO_BLOCK);
    close(sv[1]);
    ck_assert_int_eq(ws_io_send(ctx, &io, big, 10, 0), -1); /* EPIPE, no SIGPIPE */
    ck_assert_int_eq(io.eof, 1);
    close(sv[0]);
    free(big);
    wslay_event_context_free(ctx);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_io");

    add_tcase(s, tcase_create("io"), 30, NULL, NULL, extra_first_then_socket_then_end,
              send_is_capped_and_never_signals);
    return s;
}
