/* fuzz_render: what the request, fixture and ws fuzz targets share: an
 * in-process reply rendered to its bytes (a stream through the one SSE
 * writer, time skipped to each wake-up), so every route's output is made
 * without a socket; and the line reader of their input layouts. */
#ifndef RM_FUZZ_RENDER_H
#define RM_FUZZ_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "server.h"

/* 'req' as a client with a bearer token on loopback sends it: 'method'
 * 'path' with 'body' (NUL-terminated, or NULL). */
void fuzz_request_init(struct rm_request *req, const char *method, const char *path,
                       const char *body);

/* Route 'req' on 'srv' and render the reply; its bytes are checked for the
 * shape every reply must have (an error envelope for an error status, SSE
 * that the shared parser reads for a stream) and the process aborts when
 * they are not. */
void fuzz_route_and_render(struct rm_server *srv, const struct rm_request *req);

/* A server context on the fixture documents 'docs' (taken), speed 0; NULL
 * when they do not load. */
struct rm_server *fuzz_server(struct fixture_docs *docs);

/* The next line of 'p' .. 'end' (without its '\n'), NUL-terminated in
 * 'out' and cut to 'cap' bytes; returns where the line after it starts. */
const uint8_t *fuzz_take_line(const uint8_t *p, const uint8_t *end, char *out, size_t cap);

#endif
