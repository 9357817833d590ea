/* snapshot: the derived forms of a Response (see snapshot.h). */
#include "snapshot.h"

#include <string.h>

#include "contract.h"

json_t *response_snapshot(const json_t *final, const char *status, json_t *output)
{
    json_t *v = json_copy((json_t *)final); /* shallow: members are shared, never changed */

    json_object_set_new(v, "status", json_string(status));
    json_object_set_new(v, "completed_at", json_null());
    json_object_set_new(v, "error", json_null());
    json_object_set_new(v, "incomplete_details", json_null());
    json_object_set_new(v, "output", output ? output : json_array());
    json_object_set_new(v, "usage", json_null());
    /* while it runs the real API shows the tier asked for ("auto" unless one
     * was named), the served one only at the end; moderation results come
     * with the end too */
    if (json_is_string(json_object_get(v, "service_tier")) &&
        strcmp(json_string_value(json_object_get(v, "service_tier")), "default") == 0)
        json_object_set_new(v, "service_tier", json_string("auto"));
    if (json_object_get(v, "moderation"))
        json_object_set_new(v, "moderation", json_null());
    return v;
}

json_t *response_failed(const json_t *base, const char *code, const char *message,
                        const json_t *output)
{
    json_t *r = base ? json_copy((json_t *)base) : json_pack("{s:s}", "object", RM_OBJ_RESPONSE);

    json_object_set_new(r, "status", json_string(RM_STATUS_FAILED));
    json_object_set_new(r, "completed_at", json_null());
    json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code", code, "message", message));
    json_object_set_new(r, "incomplete_details", json_null());
    if (output)
        json_object_set_new(r, "output", json_copy((json_t *)output));
    json_object_set_new(r, "usage", json_null());
    return r;
}
