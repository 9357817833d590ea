/* stream: the SSE writer and the paced reader (see stream.h). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "sse.h"

struct stream_frame {
    char *bytes;        /* owned, or a view into the stream's block */
    size_t len;
    unsigned delay_ms;  /* wait before the first byte of this frame */
    int view;           /* pushed with stream_push_view: not freed on its own */
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
    char *block;             /* owned: the bytes the view frames point into */
};

struct stream *stream_new(size_t max_total, double speed)
{
    struct stream *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->max_total = max_total;
    s->speed = speed < 0 ? 0 : speed;
    s->due_ms = -1;
    return s;
}

/* Append a frame of 'bytes' (owned by the frame when !view). Returns 0 or
 * -1 (limit / OOM). */
static int push_frame(struct stream *s, char *bytes, size_t len, unsigned delay_ms, int view)
{
    if (len > s->max_total - s->total)
        return -1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct stream_frame *f = realloc(s->frames, cap * sizeof(*f));
        if (!f)
            return -1;
        s->frames = f;
        s->cap = cap;
    }
    s->frames[s->n].bytes = bytes;
    s->frames[s->n].len = len;
    s->frames[s->n].delay_ms = delay_ms;
    s->frames[s->n].view = view;
    s->n++;
    s->total += len;
    return 0;
}

int stream_push(struct stream *s, const char *bytes, size_t len, unsigned delay_ms)
{
    char *copy = malloc(len + 1);

    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    if (push_frame(s, copy, len, delay_ms, 0) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int stream_push_view(struct stream *s, const char *bytes, size_t len, unsigned delay_ms)
{
    return push_frame(s, (char *)bytes, len, delay_ms, 1);
}

void stream_adopt(struct stream *s, char *block)
{
    free(s->block);
    s->block = block;
}

size_t stream_frames(const struct stream *s)
{
    return s->n;
}

const char *stream_frame(const struct stream *s, size_t i, size_t *len, unsigned *delay_ms)
{
    *len = s->frames[i].len;
    *delay_ms = s->frames[i].delay_ms;
    return s->frames[i].bytes;
}

void stream_set_end_with_error(struct stream *s)
{
    s->end_with_error = 1;
}

void stream_set_abort_after(struct stream *s, size_t bytes)
{
    s->abort_after = bytes;
}

/* Frame one event into 's'. Returns 0 or -1. */
static int push_event(struct stream *s, struct buf *b, const struct event *ev)
{
    char *json;
    int rc;

    switch (ev->kind) {
    case EVENT_RAW:
        return stream_push(s, ev->raw, ev->raw_len, ev->delay_ms);
    case EVENT_PAUSE:
        return stream_push(s, "", 0, ev->delay_ms);
    case EVENT_DONE:
        buf_reset(b);
        rc = sse_frame_append(b, NULL, RM_CHAT_DONE);
        break;
    case EVENT_JSON:
    default:
        if (ev->text) { /* serialised once, shared with the store */
            buf_reset(b);
            rc = sse_frame_append(b, ev->type, ev->text);
            break;
        }
        json = json_util_dumps(ev->json);
        buf_reset(b);
        rc = json ? sse_frame_append(b, ev->type, json) : -1;
        free(json);
        break;
    }
    return rc == 0 ? stream_push(s, b->data, b->len, ev->delay_ms) : -1;
}

struct stream *stream_new_sse(const struct event_list *events, double speed, size_t max_bytes)
{
    struct stream *s = stream_new(max_bytes, speed);
    struct buf b;
    size_t i;

    if (!s)
        return NULL;
    buf_init(&b, max_bytes);
    for (i = 0; i < events->n; i++)
        if (push_event(s, &b, &events->v[i]) != 0) {
            buf_release(&b);
            stream_free(s);
            return NULL;
        }
    buf_release(&b);
    s->end_with_error = events->end_with_error;
    s->abort_after = events->abort_after;
    return s;
}

/* The data of each SSE event in raw bytes, one message each. */
struct raw_split {
    struct stream *s;
    unsigned delay_ms; /* for the first message only */
    int failed;
};

static int raw_message(const struct sse_event *ev, void *user)
{
    struct raw_split *r = user;

    if (stream_push(r->s, ev->data, ev->data_len, r->delay_ms) != 0) {
        r->failed = 1;
        return 1;
    }
    r->delay_ms = 0;
    return 0;
}

/* One event as WebSocket messages into 's'. Returns 0 or -1. */
static int push_ws_event(struct stream *s, const struct event *ev, unsigned delay_ms,
                         const char *stream_id)
{
    struct raw_split r = {s, delay_ms, 0};
    struct sse_parser p;
    char *json;
    int rc;

    switch (ev->kind) {
    case EVENT_RAW:
        sse_parser_init(&p, RM_MAX_SSE_EVENT);
        rc = sse_parser_feed(&p, ev->raw, ev->raw_len, raw_message, &r);
        sse_parser_release(&p);
        if (rc < 0 || r.failed)
            return -1;
        /* bytes with no whole event in them (a cut frame): only their wait */
        return r.delay_ms == delay_ms && delay_ms ? stream_push(s, "", 0, delay_ms) : 0;
    case EVENT_PAUSE:
        return stream_push(s, "", 0, delay_ms);
    case EVENT_DONE:
        return delay_ms ? stream_push(s, "", 0, delay_ms) : 0;
    case EVENT_JSON:
    default:
        if (stream_id && *stream_id && json_is_object(ev->json)) {
            json_t *copy = json_copy(ev->json); /* shallow: the list's JSON is not changed */

            json_object_set_new(copy, "stream_id", json_string(stream_id));
            json = copy ? json_util_dumps(copy) : NULL;
            json_decref(copy);
        } else {
            json = json_util_dumps(ev->json);
        }
        rc = json ? stream_push(s, json, strlen(json), delay_ms) : -1;
        free(json);
        return rc;
    }
}

struct stream *stream_new_ws(const struct event_list *events, double speed, size_t max_bytes,
                             unsigned first_delay_ms, const char *stream_id)
{
    struct stream *s = stream_new(max_bytes, speed);
    size_t i;

    if (!s)
        return NULL;
    for (i = 0; i < events->n; i++) {
        unsigned d = events->v[i].delay_ms + (i == 0 ? first_delay_ms : 0);

        if (push_ws_event(s, &events->v[i], d, stream_id) != 0) {
            stream_free(s);
            return NULL;
        }
    }
    s->end_with_error = events->end_with_error;
    s->abort_after = events->abort_after;
    return s;
}

static int64_t scaled(const struct stream *s, unsigned ms)
{
    return (int64_t)((double)ms * s->speed + 0.5);
}

enum stream_status stream_read(struct stream *s, int64_t now_ms, char *out, size_t max,
                               size_t *written, int64_t *wake_ms)
{
    size_t w = 0;

    *written = 0;
    while (s->idx < s->n && w < max) {
        struct stream_frame *f = &s->frames[s->idx];
        size_t take;

        if (s->off == 0) {
            if (s->due_ms < 0)
                s->due_ms = now_ms + scaled(s, f->delay_ms);
            if (now_ms < s->due_ms) {
                if (w)
                    break; /* send what we have; come back for the rest */
                *wake_ms = s->due_ms;
                return STREAM_WAIT;
            }
        }
        take = f->len - s->off;
        if (take > max - w)
            take = max - w;
        if (s->abort_after && s->sent + take > s->abort_after)
            take = s->abort_after - s->sent;
        memcpy(out + w, f->bytes + s->off, take);
        w += take;
        s->off += take;
        s->sent += take;
        if (s->abort_after && s->sent >= s->abort_after)
            break;
        if (s->off == f->len) {
            s->idx++;
            s->off = 0;
            s->due_ms = -1;
        }
    }
    if (w) {
        *written = w;
        return STREAM_DATA;
    }
    if (s->abort_after && s->sent >= s->abort_after)
        return STREAM_ABORT;
    return s->end_with_error ? STREAM_ABORT : STREAM_END;
}

enum stream_status stream_next(struct stream *s, int64_t now_ms, const char **bytes,
                               size_t *len, int64_t *wake_ms)
{
    while (s->idx < s->n) {
        struct stream_frame *f = &s->frames[s->idx];

        if (s->due_ms < 0)
            s->due_ms = now_ms + scaled(s, f->delay_ms);
        if (now_ms < s->due_ms) {
            *wake_ms = s->due_ms;
            return STREAM_WAIT;
        }
        if (s->abort_after && s->sent + f->len > s->abort_after)
            return STREAM_ABORT;
        s->idx++;
        s->due_ms = -1;
        if (f->len == 0)
            continue; /* a pure wait */
        s->sent += f->len;
        *bytes = f->bytes;
        *len = f->len;
        return STREAM_DATA;
    }
    return s->end_with_error ? STREAM_ABORT : STREAM_END;
}

size_t stream_total(const struct stream *s)
{
    return s->total;
}

char *stream_concat(const struct stream *s, size_t *len)
{
    char *p = malloc(s->total + 1), *q = p;
    size_t i;

    if (!p)
        return NULL;
    for (i = 0; i < s->n; i++) {
        memcpy(q, s->frames[i].bytes, s->frames[i].len);
        q += s->frames[i].len;
    }
    *q = '\0';
    if (len)
        *len = s->total;
    return p;
}

void stream_free(struct stream *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        if (!s->frames[i].view)
            free(s->frames[i].bytes);
    free(s->frames);
    free(s->block);
    free(s);
}
