/* Tests for server/timer.c: timer_drain() must not return while the
 * timer thread is still waking an entry it popped (http_stop relies on it:
 * MHD_stop_daemon aborts on a connection that is suspended without a
 * pending resume, and a late resume would touch a freed connection). */
#include <check.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "test_support.h"
#include "timer.h"

static atomic_int entered, finished;

/* A slow wake, as MHD_resume_connection can be when the daemon is busy. */
static void slow_wake(void *item)
{
    (void)item;
    atomic_store(&entered, 1);
    usleep(300 * 1000);
    atomic_store(&finished, 1);
}

START_TEST(drain_waits_for_inflight_wake)
{
    struct rm_timer *t = timer_new(8, slow_wake);
    int i;

    ck_assert_ptr_nonnull(t);
    atomic_store(&entered, 0);
    atomic_store(&finished, 0);
    ck_assert_int_eq(timer_add(t, server_now_ms(), (void *)1), 0);
    for (i = 0; i < 2000 && !atomic_load(&entered); i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&entered), 1);
    ck_assert_uint_eq(timer_pending(t), 0); /* popped, being woken */
    timer_drain(t);
    /* Everything handed to the timer has been woken when drain returns. */
    ck_assert_int_eq(atomic_load(&finished), 1);
    timer_free(t);
}
END_TEST

static atomic_int woken;

static void count_wake(void *item)
{
    (void)item;
    atomic_fetch_add(&woken, 1);
}

START_TEST(drain_then_add_wakes_inline)
{
    struct rm_timer *t = timer_new(4, count_wake);

    ck_assert_ptr_nonnull(t);
    atomic_store(&woken, 0);
    ck_assert_int_eq(timer_add(t, server_now_ms() + 60000, (void *)1), 0);
    ck_assert_int_eq(timer_add(t, server_now_ms() + 60000, (void *)2), 0);
    timer_drain(t);
    ck_assert_int_eq(atomic_load(&woken), 2);
    ck_assert_int_eq(timer_add(t, server_now_ms() + 60000, (void *)3), 0);
    ck_assert_int_eq(atomic_load(&woken), 3);
    ck_assert_uint_eq(timer_pending(t), 0);
    timer_free(t);
}
END_TEST

/* An entry earlier than the one the timer thread sleeps on must wake it
 * (not wait for the later one); it is woken no earlier than due, alone,
 * and the other two stay pending until the drain. */
static int64_t woke_at[3];
static atomic_int nwoke;

static void record_wake(void *item)
{
    int k = (int)(intptr_t)item;

    woke_at[k] = server_now_ms();
    atomic_fetch_add(&nwoke, 1);
}

START_TEST(earlier_entry_wakes_the_sleeping_thread)
{
    struct rm_timer *t = timer_new(8, record_wake);
    int64_t t0 = server_now_ms();
    int i;

    ck_assert_ptr_nonnull(t);
    atomic_store(&nwoke, 0);
    ck_assert_int_eq(timer_add(t, t0 + 3000, (void *)0), 0);
    usleep(20 * 1000); /* the thread now sleeps until t0 + 3000 */
    ck_assert_int_eq(timer_add(t, t0 + 4000, (void *)2), 0); /* later: no wake needed */
    ck_assert_int_eq(timer_add(t, t0 + 60, (void *)1), 0);   /* earlier: must wake it */
    for (i = 0; i < 2000 && atomic_load(&nwoke) < 1; i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&nwoke), 1);
    ck_assert_int_ge(woke_at[1], t0 + 60);
    ck_assert_msg(woke_at[1] < t0 + 1500, "the earlier entry waited %lld ms for the later one",
                  (long long)(woke_at[1] - t0));
    ck_assert_uint_eq(timer_pending(t), 2);
    timer_drain(t);
    ck_assert_int_eq(atomic_load(&nwoke), 3);
    timer_free(t);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("timer");

    add_tcase(s, tcase_create("drain_inflight"), 60, NULL, NULL, drain_waits_for_inflight_wake,
              drain_then_add_wakes_inline);
    add_tcase(s, tcase_create("order"), 60, NULL, NULL, earlier_entry_wakes_the_sleeping_thread);
    return s;
}
