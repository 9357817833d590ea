/* handle_admin: the admin API under /__admin/ (loopback only, or with
 * --admin-token): the request journal (list with filters, verify a count,
 * clear), the fixtures (list, add or replace, remove, reload from disk),
 * the scenario states, and reset. Each is a handler_fn of the route table. */
#ifndef RM_HANDLE_ADMIN_H
#define RM_HANDLE_ADMIN_H

#include "request.h"

/* POST /__admin/reset: journal, scenario counts and states, stored
 * responses and conversations are forgotten (the fixtures stay). */
void admin_reset(struct rm_server *srv, const struct rm_request *req, const char *arg,
                 struct rm_reply *out);
/* GET /__admin/requests?path&method&model&fixture&status&contains&tool&scenario&since&limit */
void admin_requests_list(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out);
/* DELETE /__admin/requests */
void admin_requests_clear(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out);
/* POST /__admin/requests/verify {"match":{filters},"count":N}: 200 when
 * exactly N requests match, else 422 verification_failed; both say the count. */
void admin_requests_verify(struct rm_server *srv, const struct rm_request *req, const char *arg,
                           struct rm_reply *out);
/* GET /__admin/fixtures */
void admin_fixtures_list(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out);
/* POST /__admin/fixtures (a fixture object or an array, each with a name) */
void admin_fixtures_put(struct rm_server *srv, const struct rm_request *req, const char *arg,
                        struct rm_reply *out);
/* POST /__admin/fixtures/reload */
void admin_fixtures_reload(struct rm_server *srv, const struct rm_request *req, const char *arg,
                           struct rm_reply *out);
/* DELETE /__admin/fixtures/{name} */
void admin_fixtures_delete(struct rm_server *srv, const struct rm_request *req, const char *name,
                           struct rm_reply *out);
/* GET /__admin/scenarios */
void admin_scenarios(struct rm_server *srv, const struct rm_request *req, const char *arg,
                     struct rm_reply *out);

#endif
