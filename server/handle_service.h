/* handle_service: the routes about the service itself rather than a
 * resource of the API: GET /v1/models and /v1/models/{id} (the model ids
 * the fixtures name) and GET /healthz. Each is a handler_fn of the route
 * table (the admin API is handle_admin.h). */
#ifndef RM_HANDLE_SERVICE_H
#define RM_HANDLE_SERVICE_H

#include "request.h"

void service_models(struct rm_server *srv, const struct rm_request *req, const char *arg,
                    struct rm_reply *out);
void service_model(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out);
void service_health(struct rm_server *srv, const struct rm_request *req, const char *arg,
                    struct rm_reply *out);

#endif
