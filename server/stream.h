/* stream: a scripted byte stream (SSE frames with delays and faults) and the
 * pull-reader that paces it. No libmicrohttpd here: http.c adapts
 * stream_read() to a content reader and turns STREAM_WAIT into a
 * suspend/resume, so a delayed stream never parks a thread. */
#ifndef RM_STREAM_H
#define RM_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct stream_frame {
    char *bytes;        /* owned */
    size_t len;
    unsigned delay_ms;  /* wait before the first byte of this frame */
};

struct stream {
    struct stream_frame *frames;
    size_t n, cap;
    size_t total;            /* bytes in all frames */
    size_t max_total;        /* limit on 'total' */
    int end_with_error;      /* after the last frame, cut the connection */
    size_t abort_after;      /* cut after this many bytes (0 = never) */
    double speed;            /* delay factor */
    /* reader state */
    size_t idx, off;         /* next frame and offset in it */
    size_t sent;             /* bytes handed out */
    int64_t due_ms;          /* when frame 'idx' may start; -1 = not scheduled yet */
};

enum stream_status {
    STREAM_DATA = 1,   /* bytes were written */
    STREAM_WAIT = 0,   /* nothing due yet: wait until *wake_ms */
    STREAM_END = -1,   /* finished cleanly */
    STREAM_ABORT = -2, /* finish by cutting the connection */
};

/* An empty stream whose frames may total 'max_total' bytes, delays scaled
 * by 'speed'. Returns NULL on OOM. */
struct stream *stream_new(size_t max_total, double speed);

/* Append a frame (the bytes are copied). Returns 0 or -1 (limit / OOM). */
int stream_push(struct stream *s, const char *bytes, size_t len, unsigned delay_ms);

/* Append "event: type\ndata: json\n\n" (type NULL: data line only). */
int stream_push_event(struct stream *s, const char *type, const char *json, unsigned delay_ms);

/* Copy the bytes that are due at 'now_ms' (several frames per call when
 * they fit) into 'out'. A frame's delay counts from the first call that
 * reaches it, i.e. from when the previous frame was handed out, so gaps are
 * never shorter than scripted. A zero-length frame is a pure wait. Returns
 * STREAM_DATA with *written set, STREAM_WAIT with *wake_ms set, STREAM_END,
 * or STREAM_ABORT (abort_after reached, or end_with_error at the end). */
enum stream_status stream_read(struct stream *s, int64_t now_ms, char *out, size_t max,
                               size_t *written, int64_t *wake_ms);

/* All frame bytes concatenated (new allocation), e.g. to store a replay. */
char *stream_concat(const struct stream *s, size_t *len);

void stream_free(struct stream *s);

#endif
