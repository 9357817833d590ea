/* fuzz_render: see fuzz_render.h. */
#include "fuzz_render.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "sse.h"
#include "stream.h"

#define FUZZ_BLOCK 4096

static int count_event(const struct sse_event *ev, void *user)
{
    (void)ev;
    ++*(size_t *)user;
    return 0;
}

/* A stream's bytes: every event the server wrote reads back. */
static void render_stream(const struct rm_server *srv, const struct event_list *events)
{
    struct stream *st = stream_new_sse(events, srv->cfg.speed, RM_MAX_STREAM_BYTES);
    struct sse_parser p;
    char out[FUZZ_BLOCK];
    int64_t now = 0;
    size_t seen = 0;

    if (!st)
        return; /* over the stream limit: the server answers 500 */
    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    for (;;) {
        size_t written = 0;
        int64_t wake = 0;
        enum stream_status rc = stream_read(st, now, out, sizeof(out), &written, &wake);

        if (rc == STREAM_DATA) {
            if (sse_parser_feed(&p, out, written, count_event, &seen) < 0)
                abort(); /* the server wrote an event its own parser refuses */
        } else if (rc == STREAM_WAIT) {
            now = wake > now ? wake : now + 1;
        } else {
            break;
        }
    }
    sse_parser_finish(&p, count_event, &seen);
    sse_parser_release(&p);
    stream_free(st);
}

void fuzz_request_init(struct rm_request *req, const char *method, const char *path,
                       const char *body)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = path;
    req->authorization = "Bearer k";
    req->from_loopback = 1;
    req->body = body;
    req->body_len = body ? strlen(body) : 0;
}

void fuzz_route_and_render(struct rm_server *srv, const struct rm_request *req)
{
    struct rm_reply rep;

    router_handle(srv, req, &rep);
    if (rep.status < 100 || rep.status > 599)
        abort();
    if (rep.events) {
        render_stream(srv, rep.events);
    } else if (rep.status >= 400 && rep.body && !req->fault && !req->fixture) {
        /* every error respmock raises itself is JSON (a fixture's verbatim
         * body and the malformed_body fault are the fixture's choice) */
        json_t *doc = json_loadb(rep.body, rep.body_len, 0, NULL);

        if (!doc)
            abort();
        json_decref(doc);
    }
    reply_release(&rep);
}

struct rm_server *fuzz_server(struct fixture_docs *docs)
{
    struct rm_config cfg;
    struct mock_error err;

    server_config_defaults(&cfg);
    cfg.speed = 0;
    cfg.journal = 0;
    mock_error_clear(&err);
    return server_new_with_docs(&cfg, docs, &err);
}

const uint8_t *fuzz_take_line(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;

    while (p < end && *p != '\n') {
        if (n + 1 < cap)
            out[n++] = (char)*p;
        p++;
    }
    out[n] = '\0';
    return p < end ? p + 1 : p;
}
