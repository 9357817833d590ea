/* lifecycle: stored-response routes (see lifecycle.h). */
#include "lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "render.h"
#include "sse.h"
#include "store.h"
#include "validate.h"

static void not_found(struct rm_reply *out, const char *id)
{
    struct api_error err;

    api_error_set(&err, 404, "invalid_request_error", NULL, NULL,
                  "No response found with id '%.200s'.", id);
    reply_error(out, &err);
}

/* Replay stored SSE bytes, dropping events whose sequence_number is not
 * above 'after'. */
struct replay {
    struct stream *s;
    long after;
    int failed;
};

static int replay_event(const struct sse_event *ev, void *user)
{
    struct replay *r = user;
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);
    json_t *seq = json_object_get(d, "sequence_number");

    if (!json_is_integer(seq) || json_integer_value(seq) > r->after)
        if (stream_push_event(r->s, ev->event, ev->data, 0) != 0)
            r->failed = 1;
    json_decref(d);
    return 0;
}

void lifecycle_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out)
{
    struct stored st;
    const char *stream = request_query(req, "stream");

    if (store_get(srv->store, id, &st) != 0) {
        not_found(out, id);
        return;
    }
    if (stream && strcmp(stream, "true") == 0) {
        const char *after = request_query(req, "starting_after");
        struct replay r = {stream_new(RM_MAX_STREAM_BYTES, srv->cfg.speed),
                           after ? strtol(after, NULL, 10) : -1, 0};
        struct sse_parser p;

        if (!st.events) {
            struct api_error err;
            stream_free(r.s);
            stored_release(&st);
            api_error_invalid(&err, NULL, "stream",
                              "Response '%.200s' was not created with stream=true, so it has "
                              "no events to replay.", id);
            reply_error(out, &err);
            return;
        }
        sse_parser_init(&p, RM_MAX_SSE_EVENT);
        if (r.s)
            sse_parser_feed(&p, st.events, st.events_len, replay_event, &r);
        sse_parser_release(&p);
        if (!r.s || r.failed) {
            struct api_error err;
            stream_free(r.s);
            api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
            reply_error(out, &err);
        } else {
            out->status = 200;
            out->content_type = "text/event-stream; charset=utf-8";
            out->stream = r.s;
        }
        stored_release(&st);
        return;
    }
    reply_json(out, 200, json_incref(st.response));
    stored_release(&st);
}

void lifecycle_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                      struct rm_reply *out)
{
    (void)req;
    if (store_delete(srv->store, id) != 0) {
        not_found(out, id);
        return;
    }
    reply_json(out, 200, json_pack("{s:s, s:s, s:b}", "id", id, "object", "response.deleted",
                                   "deleted", 1));
}

void lifecycle_cancel(struct rm_server *srv, const struct rm_request *req, const char *id,
                      struct rm_reply *out)
{
    struct stored st;
    struct api_error err;

    (void)req;
    if (store_get(srv->store, id, &st) != 0) {
        not_found(out, id);
        return;
    }
    if (!json_util_true(st.response, "background")) {
        api_error_invalid(&err, NULL, NULL,
                          "Only responses created with background=true can be cancelled.");
        reply_error(out, &err);
    } else {
        reply_json(out, 200, json_incref(st.response));
    }
    stored_release(&st);
}

void lifecycle_input_items(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out)
{
    struct stored st;
    struct api_error err;
    const char *limit_s = request_query(req, "limit"), *order = request_query(req, "order");
    const char *after = request_query(req, "after");
    long limit = 20;
    json_t *data, *items;
    size_t i, n, start = 0;
    int desc = 1;

    if (limit_s) {
        char *end;
        limit = strtol(limit_s, &end, 10);
        if (*end || limit < 1 || limit > 100) {
            api_error_invalid(&err, "invalid_value", "limit",
                              "Invalid 'limit': expected an integer from 1 to 100.");
            reply_error(out, &err);
            return;
        }
    }
    if (order) {
        if (strcmp(order, "asc") == 0)
            desc = 0;
        else if (strcmp(order, "desc") != 0) {
            api_error_invalid(&err, "invalid_value", "order",
                              "Invalid value: '%.50s'. Supported values are: 'asc' and 'desc'.",
                              order);
            reply_error(out, &err);
            return;
        }
    }
    if (store_get(srv->store, id, &st) != 0) {
        not_found(out, id);
        return;
    }
    items = st.input_items;
    n = json_array_size(items);
    if (after) {
        for (i = 0; i < n; i++) {
            json_t *it = json_array_get(items, desc ? n - 1 - i : i);
            if (strcmp(json_util_str(it, "id") ? json_util_str(it, "id") : "", after) == 0)
                break;
        }
        start = i < n ? i + 1 : n;
    }
    data = json_array();
    for (i = start; i < n && json_array_size(data) < (size_t)limit; i++)
        json_array_append(data, json_array_get(items, desc ? n - 1 - i : i));
    reply_json(out, 200,
               json_pack("{s:s, s:O, s:o, s:o, s:b}", "object", "list", "data", data, "first_id",
                         json_array_size(data) ? json_incref(json_object_get(
                                                     json_array_get(data, 0), "id"))
                                               : json_null(),
                         "last_id",
                         json_array_size(data)
                             ? json_incref(json_object_get(
                                   json_array_get(data, json_array_size(data) - 1), "id"))
                             : json_null(),
                         "has_more", i < n));
    json_decref(data);
    stored_release(&st);
}

void lifecycle_input_tokens(struct rm_server *srv, const struct rm_request *req,
                            const char *id, struct rm_reply *out)
{
    struct api_error err;
    struct stored prev;
    struct buf text;
    json_t *body = request_json(req, &err);
    const char *prev_id;

    (void)id;
    memset(&prev, 0, sizeof(prev));
    if (!body || validate_input_tokens(body, &err) != 0) {
        json_decref(body);
        reply_error(out, &err);
        return;
    }
    buf_init(&text, RM_MAX_MATCH_TEXT * 4);
    prev_id = json_util_str(body, "previous_response_id");
    if (prev_id && store_get(srv->store, prev_id, &prev) != 0) {
        api_error_invalid(&err, "previous_response_not_found", "previous_response_id",
                          "Previous response with id '%.200s' not found.", prev_id);
        reply_error(out, &err);
    } else {
        request_collect_text(json_object_get(body, "instructions"), &text);
        request_collect_text(prev.context, &text);
        request_collect_text(json_object_get(body, "input"), &text);
        reply_json(out, 200, json_pack("{s:s, s:I}", "object", "response.input_tokens",
                                       "input_tokens",
                                       (json_int_t)render_count_tokens(text.data)));
    }
    stored_release(&prev);
    buf_release(&text);
    json_decref(body);
}

void lifecycle_admin_reset(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out)
{
    (void)req;
    (void)id;
    store_clear(srv->store);
    reply_json(out, 200, json_pack("{s:b}", "reset", 1));
}
