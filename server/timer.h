/* timer: one thread that wakes things up at given times (a min-heap under
 * a mutex). http.c uses it to resume suspended connections, so a delayed
 * reply or a paced stream never parks a worker thread. Generic: it knows
 * nothing of libmicrohttpd, only a wake callback. */
#ifndef RM_TIMER_H
#define RM_TIMER_H

#include <stdint.h>

typedef void (*timer_wake_fn)(void *item);

struct rm_timer;

/* A timer holding at most 'max' pending entries; 'wake' is called (from
 * the timer thread, or from timer_add after timer_drain) for each entry. */
struct rm_timer *timer_new(unsigned max, timer_wake_fn wake);

/* Wake 'item' at monotonic time 'due_ms'. Returns 0, or -1 when full.
 * After timer_drain the item is woken at once, in the caller's thread. */
int timer_add(struct rm_timer *t, int64_t due_ms, void *item);

/* Wake everything pending now, and every later entry as soon as it is
 * added: used at shutdown so nothing stays suspended. */
void timer_drain(struct rm_timer *t);

/* Number of pending entries. */
unsigned timer_pending(struct rm_timer *t);

/* Stop the thread and free. Accepts NULL. */
void timer_free(struct rm_timer *t);

#endif
