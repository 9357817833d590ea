/* record_fixture: the fixture of one recorded exchange (record mode), a
 * pure function of what was sent and what came back, tested without a
 * socket: match rules derived from the request (path, model, stream,
 * tools, chain turn, the fixture of the previous response, the request's
 * digest), a deterministic name, the answer as a transcript (SSE frames
 * byte for byte with their measured delays, or a JSON body with its
 * status), the headers worth keeping; every text scrubbed (scrub.h)
 * before it is put in. */
#ifndef RM_RECORD_FIXTURE_H
#define RM_RECORD_FIXTURE_H

#include <jansson.h>
#include <stddef.h>

struct redactor;

/* What an exchange was: the request and what came back. */
struct rec_recording {
    const char *path;
    const json_t *request;   /* the request body (NULL when not JSON) */
    const char *upstream;    /* the base URL, credentials and query removed */
    int status;
    int sse;                 /* the answer was an event stream */
    const char *bytes;       /* the answer's bytes, exactly */
    size_t len;
    const size_t *frame_ends;  /* SSE: end offset of each frame in 'bytes' */
    const unsigned *delays_ms; /* SSE: the wait before each frame */
    size_t nframes;
    const char *const *header_names;  /* the upstream's headers worth keeping */
    const char *const *header_values;
    size_t nheaders;
    int turn;                /* 1 + chain depth, 0 = unknown */
    const char *prev_fixture;/* the fixture of the previous response, or NULL */
    const char *prev_id;     /* previous_response_id when its fixture is unknown, or NULL */
    const char *failure;     /* non-NULL: the upstream failed mid-answer (a partial recording) */
    const char *when;        /* ISO 8601 time, for the description */
};

/* The fixture 'r' makes, scrubbed by 'redactor' (its name in 'name', at
 * least RM_MAX_FIXTURE_NAME + 1 bytes). New reference, or NULL when the
 * answer cannot be kept as a fixture (not UTF-8 text, over a limit). */
json_t *record_fixture(const struct rec_recording *r, const struct redactor *redactor,
                       char *name, size_t name_len);

/* Whether response header 'name' is worth keeping in a fixture. */
int record_keeps_header(const char *name);

#endif
