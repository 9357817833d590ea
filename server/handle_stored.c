/* handle_stored: the stored-response routes (see handle_stored.h). */
#include "handle_stored.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"
#include "lifecycle.h"
#include "store.h"

/* A lookup of 'id' that failed with 'rc' (store.h). */
static void not_found(struct rm_reply *out, const char *id, int rc)
{
    struct api_error err;

    if (rc == STORE_UNAVAILABLE)
        api_error_state_unavailable(&err);
    else
        api_error_not_found(&err, NULL, "No response found with id '%.200s'.", id);
    reply_error(out, &err);
}

void stored_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                struct rm_reply *out)
{
    const char *stream = request_query(req, "stream");
    const char *after_s = request_query(req, "starting_after");
    struct api_error err;
    struct stored st;
    long after = -1;
    int rc;
    int streamed = stream && (strcmp(stream, "true") == 0 || strcmp(stream, "1") == 0);

    /* include[] / include and include_obfuscation are accepted and ignored:
     * stored responses carry everything the fixtures produce. */
    if (after_s && request_query_long(after_s, -1, INT32_MAX, &after) != 0) {
        api_error_invalid(&err, "invalid_value", "starting_after",
                          "Invalid 'starting_after': expected a non-negative integer.");
        reply_error(out, &err);
        return;
    }
    if ((rc = store_get(srv->store, id, streamed ? STORED_RESPONSE | STORED_EVENTS : 0, &st))) {
        not_found(out, id, rc);
        return;
    }
    if (streamed) {
        struct event_list *l = lifecycle_replay(srv, &st, after, &err);
        if (l)
            reply_events(out, l);
        else
            reply_error(out, &err);
    } else if (!st.live) {
        /* Settled: the stored bytes are the answer, as they are. */
        reply_json_text(out, 200, st.response_json, st.response_len);
    } else if (stored_parse_response(&st) == 0) {
        reply_json(out, 200, lifecycle_view(srv, &st));
    } else {
        api_error_oom(&err);
        reply_error(out, &err);
    }
    stored_release(&st);
}

void stored_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out)
{
    int rc;

    (void)req;
    if ((rc = store_delete(srv->store, id)) != 0) {
        not_found(out, id, rc);
        return;
    }
    reply_json(out, 200, json_pack("{s:s, s:s, s:b}", "id", id, "object", RM_OBJ_RESPONSE_DELETED,
                                   "deleted", 1));
}

void stored_cancel(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out)
{
    struct api_error err;
    json_t *r = lifecycle_cancel(srv, id, &err);

    (void)req;
    if (r)
        reply_json(out, 200, r);
    else
        reply_error(out, &err);
}

void stored_input_items(struct rm_server *srv, const struct rm_request *req, const char *id,
                        struct rm_reply *out)
{
    struct stored st;
    int rc;

    if (request_check_list_query(req, out) != 0)
        return;
    if ((rc = store_get(srv->store, id, STORED_INPUT, &st)) != 0) {
        not_found(out, id, rc);
        return;
    }
    reply_list(out, req, st.input_items);
    stored_release(&st);
}
