/* router: the route table (data) and the gate every request passes:
 * method + path pattern -> handler, bearer auth for /v1 routes, the body
 * size limit, and the 404 for anything else. No sockets: http.c calls
 * router_handle() with a parsed request, and so do the tests. */
#ifndef RM_ROUTER_H
#define RM_ROUTER_H

#include "request.h"

/* One route. A pattern segment "*" captures one path segment, passed to the
 * handler as 'arg'; with two of them 'arg' is "first/second". */
enum route_gate {
    ROUTE_OPEN,   /* anyone */
    ROUTE_BEARER, /* a bearer token (one of --api-key when given) */
    ROUTE_ADMIN,  /* the admin API: loopback clients only, or --admin-token when set */
    ROUTE_UPGRADE, /* a WebSocket upgrade: a bearer token, unless --no-websocket (then the
                    * handler's 426 comes before any auth, so clients fall back at once) */
};

struct route {
    const char *method;
    const char *pattern;
    handler_fn fn;
    enum route_gate gate;
};

/* The route table, ending with a {NULL} entry. */
extern const struct route router_routes[];

/* The route for 'method' and 'path' (one trailing slash tolerated), with
 * the captured segments in 'arg' ('arg_len' bytes), or NULL. */
const struct route *router_match(const char *method, const char *path, char *arg,
                                 size_t arg_len);

/* Route 'req' and fill 'out' (always: errors become envelopes): 404 for no
 * route, 401 for a missing or wrong key (or admin token), 403 for the admin
 * API from another host without --admin-token, 413 for a body over
 * --max-body, else the handler's reply. The handler sees the fixture set in
 * force when the request arrived (req->fixtures) until it returns. */
void router_handle(struct rm_server *srv, const struct rm_request *req, struct rm_reply *out);

#endif
