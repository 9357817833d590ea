/* record: record mode, forwarding requests to a real endpoint and writing
 * each create exchange as a fixture (--record-from URL).
 *
 * One recorder thread runs a libcurl multi handle for every exchange in
 * flight; no MHD worker ever waits for the upstream. The upstream's answer
 * goes into a bounded buffer per exchange that the reply's content reader
 * drains as it arrives (SSE passed through frame by frame, never buffered
 * whole); when it is empty the reader parks its connection (the caller's
 * 'park' callback, which suspends it) and the recorder wakes it (the
 * 'wake' callback) when bytes, the end or a failure arrive. A full buffer
 * pauses the upstream transfer until the client has read some.
 *
 * When a create exchange (POST /v1/responses, POST /v1/chat/completions)
 * ends, its fixture is built (record_fixture.h)
 * (match rules from the request, the answer as a transcript: byte-exact
 * body or SSE frames with their measured delays, the headers worth
 * keeping), scrubbed by the redactor (scrub.h) and only then written to
 * the fixture directory, atomically, under a name derived from the request
 * (the same request gives the same name; later turns of a chain carry the
 * name of the fixture of their previous response). An upstream that fails
 * mid-answer leaves at most NAME.json.partial, which no loader reads.
 * Requests are never logged with their headers or bodies. */
#ifndef RM_RECORD_H
#define RM_RECORD_H

#include <stddef.h>
#include <sys/types.h>

#include "limits.h"
#include "server.h"

struct recorder;
struct rec_exchange;

/* A request to forward (everything copied by recorder_start). */
struct rec_request {
    const char *method;
    const char *path;       /* starts with "/v1" */
    const char *query;      /* "a=b&c=d" without '?', or NULL */
    const char *body;
    size_t body_len;
    const char *names[RM_MAX_JOURNAL_HEADERS];  /* client headers to pass on */
    const char *values[RM_MAX_JOURNAL_HEADERS];
    unsigned nheaders;
};

/* What the reply's content reader gets from recorder_read. */
enum rec_read {
    REC_DATA,   /* '*n' bytes were copied */
    REC_WAIT,   /* nothing yet: the connection was parked, the recorder wakes it */
    REC_END,    /* the answer is complete */
    REC_FAILED, /* the upstream failed mid-answer: cut the connection */
};

/* Start the recorder for srv->cfg (record_from, record_mode, redact,
 * fixtures_dir). 'wake' resumes a parked connection (called from the
 * recorder thread). NULL with 'err' filled on a bad URL or pattern. */
struct recorder *recorder_new(struct rm_server *srv, void (*wake)(void *conn),
                              struct mock_error *err);

/* End every exchange in flight (their readers fail, parked connections are
 * woken) and refuse new parks; for a server that is stopping. */
void recorder_abort_all(struct recorder *rec);

/* Stop the thread and free. Accepts NULL. */
void recorder_free(struct recorder *rec);

/* Whether 'path' is one the recorder forwards (the /v1 routes). */
int recorder_forwards(const char *path);

/* Forward 'req'. Returns the exchange (one reference for the caller,
 * released with recorder_release), or NULL when out of memory or over
 * RM_RECORD_MAX_EXCHANGES. */
struct rec_exchange *recorder_start(struct recorder *rec, const struct rec_request *req);

/* Whether the upstream's status and headers are known (or it failed
 * before them); when not, 'park'(conn) is called under the exchange's
 * lock and the recorder wakes 'conn' once they are. Returns 1 when known. */
int recorder_head_ready(struct rec_exchange *ex, void (*park)(void *conn), void *conn);

/* The upstream's status, or 0 when it failed before answering ('why' gets
 * the reason, never a secret). */
int recorder_status(struct rec_exchange *ex, char *why, size_t why_len);

/* The upstream's Content-Type, or NULL. Borrowed, fixed once the head is in. */
const char *recorder_content_type(struct rec_exchange *ex);

/* Room for the reason recorder_status gives. */
#define CURL_ERROR_TEXT_MAX 320

/* Header 'i' of the upstream's answer that the client gets (hop-by-hop
 * headers left out). Returns 0 and borrowed strings, -1 past the last. */
int recorder_header(struct rec_exchange *ex, unsigned i, const char **name, const char **value);

/* Copy at most 'max' answer bytes into 'out'; see enum rec_read. On
 * REC_WAIT 'park'(conn) has been called. */
enum rec_read recorder_read(struct rec_exchange *ex, char *out, size_t max, size_t *n,
                            void (*park)(void *conn), void *conn);

/* Drop the caller's reference (ends the transfer if it still runs: the
 * client went away). Accepts NULL. */
void recorder_release(struct rec_exchange *ex);

#endif
