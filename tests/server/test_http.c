/* Tests for server/http.c, run in-process (http_start/http_stop): shutdown
 * while connections are suspended (a delayed reply and a stalled stream)
 * must neither hang nor abort, and must release the listening socket. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "server.h"
#include "test_support.h"

static struct rm_server *start(unsigned threads)
{
    struct rm_config cfg;
    struct mock_error err;
    struct rm_server *srv;

    server_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = threads;
    cfg.log_level = LOG_ERROR;
    cfg.fixtures_dir = RM_SOURCE_DIR "/fixtures";
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(http_start(srv, &err), 0);
    ck_assert_int_gt(srv->bound_port, 0);
    return srv;
}


static int send_request(int port, const char *fault, int stream)
{
    char req[1024], body[256];
    int fd = test_dial(port), n;

    ck_assert_int_ge(fd, 0);
    snprintf(body, sizeof(body), "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\",\"stream\":%s}",
             stream ? "true" : "false");
    n = snprintf(req, sizeof(req),
                 "POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Authorization: Bearer test-key\r\nContent-Type: application/json\r\n"
                 "x-respmock-fault: %s\r\nContent-Length: %zu\r\n\r\n%s",
                 fault, strlen(body), body);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    return fd;
}

static void stop_with_suspended(unsigned threads)
{
    struct rm_server *srv = start(threads);
    int port = srv->bound_port, fds[8], i;
    double t0;

    for (i = 0; i < 4; i++)
        fds[i] = send_request(port, "latency;ms=20000", 0);
    for (; i < 8; i++)
        fds[i] = send_request(port, "stall;after_events=2;stall_ms=20000", 1);
    usleep(300 * 1000); /* let every connection get suspended */
    t0 = test_now_s();
    http_stop(srv);
    ck_assert_msg(test_now_s() - t0 < 5.0, "http_stop waited for the suspended connections");
    for (i = 0; i < 8; i++)
        close(fds[i]);
    /* The listening socket is gone: nobody may still accept on the port. */
    ck_assert_int_eq(test_dial(port), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    server_free(srv);
}

START_TEST(stop_with_suspended_pool)
{
    stop_with_suspended(2);
}
END_TEST

START_TEST(stop_with_suspended_single)
{
    stop_with_suspended(1);
}
END_TEST

START_TEST(stop_closes_listen_socket)
{
    struct rm_server *srv = start(2);
    int port = srv->bound_port;

    http_stop(srv);
    ck_assert_int_eq(test_dial(port), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    server_free(srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("http");

    add_tcase(s, tcase_create("shutdown"), 60, NULL, NULL, stop_with_suspended_pool,
              stop_with_suspended_single, stop_closes_listen_socket);
    return s;
}
