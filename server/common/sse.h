/* sse: Server-Sent Events framing and incremental parsing, shared by the
 * server (which frames events), the respsmoke client and the tests (which
 * parse them). One implementation, so writer and readers cannot drift.
 *
 * The parser follows the rules the official OpenAI SDKs use: lines end in
 * CR, LF or CRLF; "event:" names the event; "data:" lines are joined with
 * "\n"; lines starting with ':' are comments; one optional space after the
 * colon is dropped; an event is dispatched on a blank line, so a final event
 * without its trailing blank line is never dispatched (sse_parser_finish
 * reports it). */
#ifndef RM_SSE_H
#define RM_SSE_H

#include <stddef.h>

#include "buf.h"

/* Bytes of an "event:" name the parser takes (a longer one fails the parse). */
#define SSE_MAX_EVENT_NAME 1024

/* Append one "event: <type>\ndata: <data>\n\n" frame to 'out'. When 'type'
 * is NULL only the data line is written (Chat Completions style). 'data'
 * with line breaks (CR, LF or CRLF) is written as one "data:" line per line,
 * which a parser joins back with "\n". Returns 0, or -1 when 'out' is full
 * (then nothing of the frame is left in 'out'). */
int sse_frame_append(struct buf *out, const char *type, const char *data);

/* One dispatched event. Pointers are valid only during the callback. */
struct sse_event {
    const char *event; /* value of the last "event:" line, NULL when none */
    const char *data;  /* "data:" lines joined by "\n" ("" when none) */
    size_t data_len;
    size_t raw_bytes;  /* bytes of the stream this event took, framing included */
};

/* Called once per dispatched event; return non-zero to stop parsing. */
typedef int (*sse_event_cb)(const struct sse_event *ev, void *user);

struct sse_parser {
    struct buf line;   /* the line being read */
    struct buf data;   /* data lines of the event being read */
    struct buf event;  /* its event name */
    int has_event;     /* an "event:" line was seen */
    int has_data;      /* a "data:" line was seen */
    int last_cr;       /* previous byte was CR (so a following LF is swallowed) */
    int held;          /* an event ended by a CR that was the last byte fed: it is
                        * dispatched by the next feed or sse_parser_finish */
    size_t raw;        /* bytes consumed for the event being read */
    size_t events;     /* events dispatched so far */
    int failed;        /* an event was larger than the limit */
};

/* Prepare a parser whose events may be at most 'max_event' bytes. */
void sse_parser_init(struct sse_parser *p, size_t max_event);

/* Feed 'len' bytes. Calls 'cb' for every completed event.
 * Returns 0; 1 when 'cb' asked to stop; -1 when an event exceeded the limit. */
int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb,
                    void *user);

/* At end of input: dispatches an event held back (one whose blank line
 * ended in a CR as the last byte fed, which waits to see whether an LF
 * follows, so an event's raw_bytes never depend on how the input was
 * split). Returns 1 when a started event was never terminated by a blank
 * line (it is not dispatched), else 0. */
int sse_parser_finish(struct sse_parser *p, sse_event_cb cb, void *user);

void sse_parser_release(struct sse_parser *p);

#endif
