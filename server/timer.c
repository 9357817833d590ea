/* timer: min-heap of wake-ups served by one thread (see timer.h). */
#include "timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "server.h"

struct timer_entry {
    int64_t due_ms;
    uint64_t seq;     /* ties keep insertion order */
    void *item;
};

struct rm_timer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_cond_t idle;  /* signalled when an in-flight wake has returned */
    pthread_t thread;
    struct timer_entry *heap;
    unsigned n, max;
    uint64_t seq;
    timer_wake_fn wake;
    int draining;
    int waking;       /* the thread is calling wake() outside the lock */
    int quit;
};

static int before(const struct timer_entry *a, const struct timer_entry *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

/* Returns where the entry ended up: 0 when it is the earliest now. */
static unsigned heap_up(struct timer_entry *h, unsigned i)
{
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        struct timer_entry tmp;

        if (!before(&h[i], &h[p]))
            break;
        tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
    return i;
}

static void heap_down(struct timer_entry *h, unsigned n, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        struct timer_entry tmp;

        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (r < n && before(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

static void *timer_main(void *arg)
{
    struct rm_timer *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->quit) {
        int64_t now = server_now_ms();

        if (t->n && (t->draining || t->heap[0].due_ms <= now)) {
            void *item = t->heap[0].item;

            t->heap[0] = t->heap[--t->n];
            heap_down(t->heap, t->n, 0);
            /* Popped but not woken yet: timer_drain must wait for this wake,
             * or it could return while 'item' is still suspended. */
            t->waking = 1;
            pthread_mutex_unlock(&t->lock);
            t->wake(item);
            pthread_mutex_lock(&t->lock);
            t->waking = 0;
            pthread_cond_broadcast(&t->idle);
            continue;
        }
        if (t->n) {
            struct timespec ts;
            int64_t wait_ms = t->heap[0].due_ms - now;

            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&t->cond, &t->lock, &ts);
        } else {
            pthread_cond_wait(&t->cond, &t->lock);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct rm_timer *timer_new(unsigned max, timer_wake_fn wake)
{
    struct rm_timer *t = calloc(1, sizeof(*t));
    pthread_condattr_t ca;

    if (!t)
        return NULL;
    t->heap = calloc(max ? max : 1, sizeof(*t->heap));
    if (!t->heap) {
        free(t);
        return NULL;
    }
    t->max = max;
    t->wake = wake;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&t->idle, NULL);
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        pthread_cond_destroy(&t->idle);
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
        free(t->heap);
        free(t);
        return NULL;
    }
    return t;
}

int timer_add(struct rm_timer *t, int64_t due_ms, void *item)
{
    pthread_mutex_lock(&t->lock);
    if (t->draining) {
        /* Shutting down: wake at once, under the lock, so timer_drain cannot
         * miss an entry added while it ran. */
        t->wake(item);
        pthread_mutex_unlock(&t->lock);
        return 0;
    }
    if (t->n >= t->max) {
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    t->heap[t->n].due_ms = due_ms;
    t->heap[t->n].seq = t->seq++;
    t->heap[t->n].item = item;
    /* The thread sleeps until the earliest entry is due (or it is waking
     * one outside the lock and looks again): only a new earliest entry
     * needs it awake, as in the bench's reference. */
    if (heap_up(t->heap, t->n++) == 0)
        pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

void timer_drain(struct rm_timer *t)
{
    pthread_mutex_lock(&t->lock);
    t->draining = 1;
    while (t->n) {
        void *item = t->heap[--t->n].item;
        t->wake(item);
    }
    pthread_cond_signal(&t->cond);
    /* An entry the thread popped just before is being woken without the
     * lock: returning before that wake has happened would let the caller
     * (http_stop) stop the daemon with a connection still suspended. */
    while (t->waking)
        pthread_cond_wait(&t->idle, &t->lock);
    pthread_mutex_unlock(&t->lock);
}

unsigned timer_pending(struct rm_timer *t)
{
    unsigned n;

    pthread_mutex_lock(&t->lock);
    n = t->n;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void timer_free(struct rm_timer *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->quit = 1;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->idle);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t->heap);
    free(t);
}
