/* handle_service: models, health and admin routes (see handle_service.h). */
#include "handle_service.h"

#include <string.h>

#include "contract.h"
#include "store.h"

/* ---- Models and health ------------------------------------------------ */

static json_t *model_object(const char *id)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "id", id, "object", "model", "created",
                     (json_int_t)1700000000, "owned_by", "respmock");
}

void service_models(struct rm_server *srv, const struct rm_request *req, const char *arg,
                    struct rm_reply *out)
{
    json_t *data = json_array(), *m;
    size_t i;

    (void)srv;
    (void)arg;
    json_array_foreach(req->fixtures->models, i, m)
        json_array_append_new(data, model_object(json_string_value(m)));
    if (json_array_size(data) == 0)
        json_array_append_new(data, model_object("respmock"));
    reply_json(out, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

void service_model(struct rm_server *srv, const struct rm_request *req, const char *arg,
                   struct rm_reply *out)
{
    struct api_error err;
    json_t *m;
    size_t i;

    (void)srv;
    json_array_foreach(req->fixtures->models, i, m) if (strcmp(json_string_value(m), arg) == 0)
    {
        reply_json(out, 200, model_object(arg));
        return;
    }
    if (json_array_size(req->fixtures->models) == 0 && strcmp(arg, "respmock") == 0) {
        reply_json(out, 200, model_object(arg));
        return;
    }
    api_error_set(&err, 404, RM_ERRTYPE_INVALID_REQUEST, "model_not_found", "model",
                  "The model '%.200s' does not exist or you do not have access to it.", arg);
    reply_error(out, &err);
}

void service_health(struct rm_server *srv, const struct rm_request *req, const char *arg,
                    struct rm_reply *out)
{
    (void)req;
    (void)arg;
    reply_json(out, 200, json_pack("{s:s, s:I, s:I}", "status", "ok", "fixtures",
                                   (json_int_t)req->fixtures->n, "stored",
                                   (json_int_t)store_count(srv->store)));
}
