/* sse: SSE framing and incremental parsing (see sse.h). */
#include "sse.h"

#include <string.h>

/* "data: " lines for 'data': one per line of it, so a value with a line
 * break (CR, LF or CRLF) still reads back, joined with "\n", instead of
 * leaving a stray non-field line in the stream. */
static int sse_data_lines(struct buf *out, const char *data)
{
    for (;;) {
        size_t n = strcspn(data, "\r\n");

        if (buf_append_str(out, "data: ") || buf_append(out, data, n) ||
            buf_append_str(out, "\n"))
            return -1;
        data += n;
        if (!*data)
            return 0;
        data += (data[0] == '\r' && data[1] == '\n') ? 2 : 1;
    }
}

int sse_frame_append(struct buf *out, const char *type, const char *data)
{
    size_t mark = out->len;

    if ((type && (buf_append_str(out, "event: ") || buf_append_str(out, type) ||
                  buf_append_str(out, "\n"))) ||
        sse_data_lines(out, data) || buf_append_str(out, "\n")) {
        out->len = mark; /* never leave half a frame behind */
        if (out->data)
            out->data[mark] = '\0';
        return -1;
    }
    return 0;
}

void sse_parser_init(struct sse_parser *p, size_t max_event)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->line, max_event);
    buf_init(&p->data, max_event);
    buf_init(&p->event, SSE_MAX_EVENT_NAME);
}

static void sse_reset_event(struct sse_parser *p)
{
    buf_reset(&p->data);
    buf_reset(&p->event);
    p->has_event = 0;
    p->has_data = 0;
    p->raw = 0;
}

/* Hand the event read so far to 'cb'. Returns 0, or 1 when 'cb' stops. */
static int sse_dispatch(struct sse_parser *p, sse_event_cb cb, void *user)
{
    struct sse_event ev;
    int rc;

    ev.event = p->has_event ? p->event.data : NULL;
    ev.data = p->data.data ? p->data.data : "";
    ev.data_len = p->data.len;
    ev.raw_bytes = p->raw;
    p->events++;
    p->held = 0;
    rc = cb ? cb(&ev, user) : 0;
    sse_reset_event(p);
    return rc ? 1 : 0;
}

/* Interpret one complete line. 'held': the line ended in a CR that was the
 * last byte fed so far, so an LF may still belong to it; a blank line then
 * holds its event back instead of dispatching it, so the event's raw_bytes
 * (the LF included) do not depend on how the input was split. Returns 0,
 * 1 (callback stop) or -1 (limit). */
static int sse_line(struct sse_parser *p, int held, sse_event_cb cb, void *user)
{
    const char *line = p->line.data ? p->line.data : "";
    size_t n = p->line.len;
    const char *colon, *value;
    size_t field_len, value_len;

    if (n == 0) {
        if (!p->has_data && !p->has_event) {
            p->raw = 0;
            return 0;
        }
        if (held) {
            p->held = 1; /* dispatched once the next byte (or the end) is known */
            return 0;
        }
        return sse_dispatch(p, cb, user);
    }
    if (line[0] == ':')
        return 0; /* comment */
    colon = memchr(line, ':', n);
    field_len = colon ? (size_t)(colon - line) : n;
    value = colon ? colon + 1 : line + n;
    value_len = n - (size_t)(value - line);
    if (value_len && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (field_len == 5 && memcmp(line, "event", 5) == 0) {
        buf_reset(&p->event);
        if (buf_append(&p->event, value, value_len))
            return -1;
        p->has_event = 1;
    } else if (field_len == 4 && memcmp(line, "data", 4) == 0) {
        if (p->has_data && buf_append(&p->data, "\n", 1))
            return -1;
        if (buf_append(&p->data, value, value_len))
            return -1;
        p->has_data = 1;
    }
    /* "id", "retry" and unknown fields are ignored. */
    return 0;
}

int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb,
                    void *user)
{
    size_t i = 0;

    if (p->failed)
        return -1;
    if (p->held && len) {
        /* An event ended by a lone CR at the end of the last feed: an LF
         * now is the rest of that line ending and belongs to it. */
        if (bytes[0] == '\n') {
            p->raw++;
            i = 1;
        }
        p->last_cr = 0;
        if (sse_dispatch(p, cb, user))
            return 1;
    }
    for (; i < len; i++) {
        char c = bytes[i];
        int rc;

        if (c == '\n' && p->last_cr) {
            /* the rest of a CRLF; it belongs to the line it ends, so it
             * counts only when that line is part of the event being read
             * (after a blank line the count started again at 0) */
            if (p->raw)
                p->raw++;
            p->last_cr = 0;
            continue;
        }
        p->raw++;
        p->last_cr = (c == '\r');
        if (c == '\r' && i + 1 < len && bytes[i + 1] == '\n') {
            /* CRLF within this chunk: take the LF now so it counts for the
             * event it ends, not the next one. */
            i++;
            p->raw++;
            p->last_cr = 0;
        }
        if (c == '\r' || c == '\n') {
            rc = sse_line(p, c == '\r' && p->last_cr && i + 1 == len, cb, user);
            buf_reset(&p->line);
            if (rc < 0) {
                p->failed = 1;
                return -1;
            }
            if (rc > 0)
                return 1;
            continue;
        }
        if (buf_append(&p->line, &c, 1)) {
            p->failed = 1;
            return -1;
        }
    }
    return 0;
}

int sse_parser_finish(struct sse_parser *p, sse_event_cb cb, void *user)
{
    if (p->held && !p->failed)
        sse_dispatch(p, cb, user);
    return (p->has_data || p->has_event || p->line.len > 0) ? 1 : 0;
}

void sse_parser_release(struct sse_parser *p)
{
    buf_release(&p->line);
    buf_release(&p->data);
    buf_release(&p->event);
}
