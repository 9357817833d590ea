/* logbuf: the log's buffer (see logbuf.h).
 *
 * One mutex guards the bytes; adding a line is a copy under it. The thread
 * sleeps on a condition variable while the buffer is empty, is woken by
 * the line that makes it non-empty, lets lines gather for
 * RM_LOG_FLUSH_MS, then writes them all. The write is made under the mutex,
 * so lines reach the file in the order they were added; under load that
 * is one write(2) per RM_LOG_FLUSH_MS instead of one per request (each of
 * which was a syscall on every request's path). */
#include "logbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"

struct logbuf {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int fd;
    int stop;
    int sleeping; /* the thread waits for a first line */
    size_t len;
    char data[RM_LOG_BUFFER];
};

void logbuf_write_all(int fd, const char *p, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        done += (size_t)w;
    }
}

/* Caller holds the lock. */
static void write_waiting(struct logbuf *b)
{
    logbuf_write_all(b->fd, b->data, b->len);
    b->len = 0;
}

static void *flusher(void *arg)
{
    struct logbuf *b = arg;

    pthread_mutex_lock(&b->lock);
    while (!b->stop) {
        struct timespec due;

        if (!b->len) {
            b->sleeping = 1;
            pthread_cond_wait(&b->wake, &b->lock);
            b->sleeping = 0;
            continue;
        }
        /* Lines wait: let more gather (only a stop wakes this early). */
        clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_nsec += (long)RM_LOG_FLUSH_MS * 1000000L;
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000L;
        }
        while (!b->stop && pthread_cond_timedwait(&b->wake, &b->lock, &due) != ETIMEDOUT)
            ;
        write_waiting(b);
    }
    write_waiting(b);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

struct logbuf *logbuf_new(int fd)
{
    struct logbuf *b = malloc(sizeof(*b));
    pthread_condattr_t ca;

    if (!b)
        return NULL;
    memset(b, 0, offsetof(struct logbuf, data));
    b->fd = fd;
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&b->thread, NULL, flusher, b) != 0) {
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    return b;
}

void logbuf_add(struct logbuf *b, const char *line, size_t len, int at_once)
{
    pthread_mutex_lock(&b->lock);
    if (at_once || b->len + len > sizeof(b->data))
        write_waiting(b);
    if (at_once || len > sizeof(b->data)) {
        logbuf_write_all(b->fd, line, len);
    } else {
        memcpy(b->data + b->len, line, len);
        b->len += len;
        if (b->sleeping) {
            b->sleeping = 0;
            pthread_cond_signal(&b->wake);
        }
    }
    pthread_mutex_unlock(&b->lock);
}

void logbuf_flush(struct logbuf *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    write_waiting(b);
    pthread_mutex_unlock(&b->lock);
}

void logbuf_free(struct logbuf *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = 1;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
