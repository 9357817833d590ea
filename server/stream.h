/* stream: the SSE writer and the paced reader behind every streamed reply.
 *
 * stream_new_sse() is the one place an event list becomes SSE bytes: each
 * event is framed once ("event: <type>\ndata: <json>\n\n", data-only without
 * a type, raw bytes verbatim, "data: [DONE]"), keeping its delay. The reader
 * hands the bytes out as they fall due. No libmicrohttpd here: http.c adapts
 * stream_read() to a content reader and turns STREAM_WAIT into a
 * suspend/resume, so a delayed stream never parks a thread. The struct is
 * opaque: build it with these functions, read it with stream_read(). */
#ifndef RM_STREAM_H
#define RM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct stream;

enum stream_status {
    STREAM_DATA = 1,   /* bytes were written */
    STREAM_WAIT = 0,   /* nothing due yet: wait until *wake_ms */
    STREAM_END = -1,   /* finished cleanly */
    STREAM_ABORT = -2, /* finish by cutting the connection */
};

/* The SSE bytes of 'events' (borrowed; nothing of it is kept), delays
 * scaled by 'speed', the list's end_with_error / abort_after carried over.
 * Returns NULL on OOM or when the frames would total more than 'max_bytes'. */
struct stream *stream_new_sse(const struct event_list *events, double speed, size_t max_bytes);

/* The WebSocket messages of 'events' (borrowed): one frame per message, the
 * JSON of each event as its text, the same bytes the SSE writer puts after
 * "data: ". A verbatim (raw) event becomes one message per SSE event in its
 * bytes (the data lines of a recorded frame or a malformed one); [DONE] is
 * not sent. 'first_delay_ms' is added to the first frame's delay (a
 * reply's latency); a 'stream_id' (NULL or "": none) is added to every
 * JSON event (the WebSocket lane the create named). Read it with
 * stream_next(). NULL on OOM or over 'max_bytes'. */
struct stream *stream_new_ws(const struct event_list *events, double speed, size_t max_bytes,
                             unsigned first_delay_ms, const char *stream_id);

/* An empty stream of raw frames that may total 'max_total' bytes, delays
 * scaled by 'speed'. Returns NULL on OOM. */
struct stream *stream_new(size_t max_total, double speed);

/* Append a raw frame (the bytes are copied). A zero-length frame is a pure
 * wait. Returns 0 or -1 (limit / OOM). */
int stream_push(struct stream *s, const char *bytes, size_t len, unsigned delay_ms);

/* Append a frame that is a view of 'len' bytes at 'bytes' (not copied):
 * they must stay valid as long as 's', e.g. inside the block handed over
 * with stream_adopt(). Returns 0 or -1 (limit / OOM). */
int stream_push_view(struct stream *s, const char *bytes, size_t len, unsigned delay_ms);

/* Hand 'block' (malloc'd; stolen) to 's', freed with it: the bytes its
 * view frames point into. */
void stream_adopt(struct stream *s, char *block);

/* After the last frame, cut the connection instead of ending cleanly. */
void stream_set_end_with_error(struct stream *s);

/* Cut the connection once 'bytes' bytes were handed out (0 = never). */
void stream_set_abort_after(struct stream *s, size_t bytes);

/* Copy the bytes that are due at 'now_ms' (several frames per call when
 * they fit) into 'out'. A frame's delay counts from the first call that
 * reaches it, i.e. from when the previous frame was handed out, so gaps are
 * never shorter than scripted. Returns STREAM_DATA with *written set,
 * STREAM_WAIT with *wake_ms set, STREAM_END, or STREAM_ABORT (abort_after
 * reached, or end_with_error at the end). */
enum stream_status stream_read(struct stream *s, int64_t now_ms, char *out, size_t max,
                               size_t *written, int64_t *wake_ms);

/* The next whole frame when it is due at 'now_ms' (for message transports:
 * one frame is one message): STREAM_DATA with '*bytes' (valid until the
 * next call) and '*len', STREAM_WAIT with *wake_ms, STREAM_END, or
 * STREAM_ABORT (the frame would go past abort_after, or end_with_error at
 * the end). Pure waits (zero-length frames) are never returned. */
enum stream_status stream_next(struct stream *s, int64_t now_ms, const char **bytes,
                               size_t *len, int64_t *wake_ms);

/* How many frames 's' has, and frame 'i' of them: its bytes ('*len' of
 * them) and its delay before --speed (for template.c, which keeps a stream
 * as pieces with its frame boundaries). */
size_t stream_frames(const struct stream *s);
const char *stream_frame(const struct stream *s, size_t i, size_t *len, unsigned *delay_ms);

/* Bytes in all frames. */
size_t stream_total(const struct stream *s);

/* All frame bytes concatenated (new allocation; '*len' may be NULL). */
char *stream_concat(const struct stream *s, size_t *len);

/* Free 's'. Accepts NULL. */
void stream_free(struct stream *s);

#endif
