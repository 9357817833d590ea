/* redis_harness: a private redis-server for a test (see redis_harness.h). */
#include "redis_harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

#define REDIS_START_MS 5000 /* a redis-server answers within this */

int test_redis_available(void)
{
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* A loopback port free just now. */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Whether something accepts connections on the loopback 'port'. */
static int port_open(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

void test_redis_start(struct test_redis *r, int port)
{
    char ports[16];
    double until;

    r->port = port ? port : free_port();
    snprintf(ports, sizeof(ports), "%d", r->port);
    snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d", r->port);
    r->pid = fork();
    ck_assert_int_ge(r->pid, 0);
    if (r->pid == 0) {
        int devnull = open("/dev/null", 1);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("redis-server", "redis-server", "--port", ports, "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    until = test_now_s() + REDIS_START_MS / 1000.0;
    while (!port_open(r->port)) {
        int status;
        ck_assert_msg(waitpid(r->pid, &status, WNOHANG) == 0, "redis-server exited at start");
        ck_assert_msg(test_now_s() < until, "redis-server did not answer on port %d", r->port);
        test_sleep_ms(20);
    }
}

void test_redis_kill(struct test_redis *r)
{
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}
