/* logbuf: the log's buffer. Lines of the access log (info and debug) are
 * gathered and written in one write(2) at most RM_LOG_FLUSH_MS after the
 * first of them, or as soon as RM_LOG_BUFFER bytes are waiting; a warning
 * or an error is written at once, after what waits, so the order of lines
 * is kept. One thread writes on time; freeing writes what is left. Generic:
 * it knows nothing of the server, only a file descriptor. */
#ifndef RM_LOGBUF_H
#define RM_LOGBUF_H

#include <stddef.h>

struct logbuf;

/* A buffer writing to 'fd', its thread started. NULL when it cannot be
 * (the caller then writes each line itself). */
struct logbuf *logbuf_new(int fd);

/* Add one line (its newline included); 'at_once': write it, and what
 * waits before it, now. */
void logbuf_add(struct logbuf *b, const char *line, size_t len, int at_once);

/* Write what waits now. Accepts NULL. */
void logbuf_flush(struct logbuf *b);

/* Write what waits, stop the thread and free. Accepts NULL. */
void logbuf_free(struct logbuf *b);

/* Write all of 'p' to 'fd' (retrying short writes and EINTR); gives up
 * silently on an error: a log line is never worth more. */
void logbuf_write_all(int fd, const char *p, size_t len);

#endif
