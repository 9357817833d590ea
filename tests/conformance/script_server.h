/* script_server: a tiny scripted HTTP server for the tests, to play a
 * server that gets something wrong where respmock, which always answers
 * right, cannot (a 401 after DELETE, "Unsupported parameter" for every
 * value). It listens on a free loopback port, answers one request per
 * connection from a table of rules (first match wins) and stops when told.
 * Requests are answered one at a time. */
#ifndef RM_SCRIPT_SERVER_H
#define RM_SCRIPT_SERVER_H

#include <stddef.h>

struct script_rule {
    const char *method;       /* NULL: any */
    const char *path;         /* prefix of the request target; NULL: any */
    const char *body_has;     /* substring of the request body; NULL: any */
    int times;                /* answers at most this many requests (0: any number) */
    int status;
    const char *content_type; /* NULL: application/json */
    const char *body;         /* sent as is */
};

struct script_server;

/* Start serving 'rules' (borrowed: they must outlive the server; 'n' of
 * them). An unmatched request gets a 404 error envelope. NULL on failure. */
struct script_server *script_start(const struct script_rule *rules, size_t n);

/* "http://127.0.0.1:PORT" of the server. */
const char *script_base(const struct script_server *s);

/* Requests answered so far by rule 'i'. */
int script_hits(const struct script_server *s, size_t i);

/* Stop it (joins its thread) and free it. */
void script_stop(struct script_server *s);

#endif
