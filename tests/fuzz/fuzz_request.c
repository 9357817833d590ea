/* fuzz_request: libFuzzer target for the request path (issue 14): any body
 * and any x-respmock-fault / x-respmock-fixture header, on every route of
 * the route table, through the router and the handlers in-process (no
 * socket), then rendered (streams through the SSE writer). The server is
 * made once, on the shipped fixtures; state (stored responses,
 * conversations) carries over between inputs, as it would between
 * requests.
 *
 * Input: byte 0 picks the route, byte 1 its flags (bit 0: the '*' segments
 * and a query come from the input, else a response id made at start-up;
 * bit 1: no Authorization), then lines: the segment (and "?query"), the
 * fault header, the fixture header, then the body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fuzz_render.h"
#include "router.h"

#define FUZZ_PATH 512

static struct rm_server *srv;
static char known_id[128]; /* a stored response */

/* 'pattern' with its '*' segments replaced by 'seg'. */
static void fill_path(const char *pattern, const char *seg, char *out, size_t cap)
{
    size_t n = 0;

    for (; *pattern && n + 1 < cap; pattern++) {
        if (*pattern == '*') {
            n += (size_t)snprintf(out + n, cap - n, "%s", seg);
            if (n >= cap)
                n = cap - 1;
        } else {
            out[n++] = *pattern;
        }
    }
    out[n] = '\0';
}

/* "k=v&k2" of 'query' (cut in place) into the request, as http.c gives it. */
static void split_query(char *query, struct rm_request *req)
{
    while (*query && req->nquery < RM_MAX_QUERY_ARGS) {
        char *next = query + strcspn(query, "&"), *eq;

        if (*next)
            *next++ = '\0';
        eq = strchr(query, '=');
        if (eq)
            *eq = '\0';
        req->query[req->nquery].key = query;
        req->query[req->nquery].value = eq ? eq + 1 : NULL;
        req->nquery++;
        query = next;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct rm_config cfg;
    struct mock_error err;
    struct rm_request req;
    struct rm_reply rep;
    json_t *doc;

    (void)argc;
    (void)argv;
    server_config_defaults(&cfg);
    cfg.fixtures_dir = RM_SOURCE_DIR "/fixtures";
    cfg.speed = 0;
    cfg.journal = 0;
    cfg.max_stored = 200; /* state stays small over millions of inputs */
    cfg.max_conversations = 50;
    mock_error_clear(&err);
    srv = server_new(&cfg, &err);
    if (!srv) {
        fprintf(stderr, "fuzz_request: %s\n", err.text);
        abort();
    }
    fuzz_request_init(&req, "POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"hi\"}");
    router_handle(srv, &req, &rep);
    doc = rep.body ? json_loadb(rep.body, rep.body_len, 0, NULL) : NULL;
    snprintf(known_id, sizeof(known_id), "%s",
             json_is_string(json_object_get(doc, "id")) ? json_string_value(json_object_get(doc, "id"))
                                                        : "resp_x");
    json_decref(doc);
    reply_release(&rep);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static size_t nroutes;
    const uint8_t *p = data + 2, *end = data + size;
    char seg[FUZZ_PATH], fault[FUZZ_PATH], fixture[FUZZ_PATH], path[2 * FUZZ_PATH], *q;
    const struct route *r;
    struct rm_request req;
    char *body;

    if (size < 2)
        return 0;
    if (!nroutes)
        while (router_routes[nroutes].method)
            nroutes++;
    r = &router_routes[data[0] % nroutes];
    p = fuzz_take_line(p, end, seg, sizeof(seg));
    p = fuzz_take_line(p, end, fault, sizeof(fault));
    p = fuzz_take_line(p, end, fixture, sizeof(fixture));
    fuzz_request_init(&req, r->method, path, NULL);
    fill_path(r->pattern, (data[1] & 1) ? seg : known_id, path, sizeof(path));
    if ((data[1] & 1) && (q = strchr(path, '?'))) {
        *q = '\0';
        split_query(q + 1, &req);
    }
    if (data[1] & 2)
        req.authorization = NULL;
    req.fault = fault[0] ? fault : NULL;
    req.fixture = fixture[0] ? fixture : NULL;
    /* the body NUL-terminated, as http.c's buffer is */
    body = malloc((size_t)(end - p) + 1);
    if (!body)
        return 0;
    memcpy(body, p, (size_t)(end - p));
    body[end - p] = '\0';
    req.body = body;
    req.body_len = (size_t)(end - p);
    fuzz_route_and_render(srv, &req);
    free(body);
    return 0;
}
