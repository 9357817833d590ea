/* redis_harness: a redis-server of the test's own, on a free loopback port,
 * without persistence (--save '' --appendonly no), stopped by PID. For the
 * tests of --state (the store's Redis backend, the replica tests). */
#ifndef RM_REDIS_HARNESS_H
#define RM_REDIS_HARNESS_H

#include <sys/types.h>

struct test_redis {
    pid_t pid;   /* 0: not running */
    int port;
    char url[64]; /* "redis://127.0.0.1:PORT" */
};

/* 1 when a redis-server can be run (on PATH). When not, the tests that
 * need one print why and pass without testing. */
int test_redis_available(void);

/* Start a redis-server on a free port (port 0: pick one; else that one, to
 * restart it where replicas look for it) and wait until it answers.
 * It dies with the test process. Asserts that it started. */
void test_redis_start(struct test_redis *r, int port);

/* SIGKILL it and reap it (as a crash would end it). Accepts one that is
 * not running. */
void test_redis_kill(struct test_redis *r);

#endif
