/* stream: scripted, paced byte streams (see stream.h). */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

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

int stream_push(struct stream *s, const char *bytes, size_t len, unsigned delay_ms)
{
    char *copy;

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
    copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    s->frames[s->n].bytes = copy;
    s->frames[s->n].len = len;
    s->frames[s->n].delay_ms = delay_ms;
    s->n++;
    s->total += len;
    return 0;
}

int stream_push_event(struct stream *s, const char *type, const char *json, unsigned delay_ms)
{
    struct buf b;
    int rc;

    buf_init(&b, s->max_total);
    rc = sse_frame_append(&b, type, json);
    if (rc == 0)
        rc = stream_push(s, b.data, b.len, delay_ms);
    buf_release(&b);
    return rc;
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
        free(s->frames[i].bytes);
    free(s->frames);
    free(s);
}
