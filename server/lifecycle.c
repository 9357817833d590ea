/* lifecycle: stored responses, chains, conversations on create, the
 * background schedule, and the stored-response routes (see lifecycle.h). */
#include "lifecycle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
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

static void out_of_memory(struct rm_reply *out)
{
    struct api_error err;

    api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory or over a limit");
    reply_error(out, &err);
}

/* ---- The background schedule ------------------------------------------ */

unsigned lifecycle_background_ms(const struct fixture *fx)
{
    return fx && fx->background_ms ? fx->background_ms : RM_DEFAULT_BACKGROUND_MS;
}

/* Schedule time (ms before --speed) of event 'k' of the 'n' events of a
 * background stream (response.created, response.queued, response.in_progress,
 * ..., terminal): the first two at 0, in_progress at D/2, the rest evenly
 * up to D, where the terminal event lands. */
static unsigned bg_event_ms(size_t k, size_t n, unsigned d)
{
    unsigned half = d / 2;

    if (k < 2)
        return 0;
    if (k == 2 || n <= 3)
        return half;
    if (k >= n - 1)
        return d;
    return half + (unsigned)((uint64_t)(d - half) * (k - 2) / (n - 3));
}

/* Schedule time that has passed for 'st': INT64_MAX when its status no
 * longer follows the clock (not background, settled, or --speed 0). */
static int64_t bg_elapsed(const struct rm_server *srv, const struct stored *st)
{
    double e;

    if (!st->live || srv->cfg.speed <= 0)
        return INT64_MAX;
    e = (double)(server_now_ms() - st->start_ms) / srv->cfg.speed;
    /* A tiny --speed (e.g. 1e-300) overflows int64: converting that is
     * undefined (INT64_MIN on x86, i.e. "queued" for ever). */
    return e >= 9e18 ? INT64_MAX : (int64_t)e;
}

/* REQ: background-stream-queued (the events come from render_response_stream
 * with 'queued'; this only re-times them). */
void lifecycle_pace_stream(struct stream *s, unsigned duration_ms)
{
    unsigned prev = 0;
    size_t k;

    for (k = 0; s && k < s->n; k++) {
        unsigned t = bg_event_ms(k, s->n, duration_ms);
        s->frames[k].delay_ms = t > prev ? t - prev : 0;
        if (t > prev)
            prev = t;
    }
}

/* ---- Stored event streams --------------------------------------------- */

struct ev {
    char *type;    /* event name, NULL when the frame had none */
    char *data;    /* the data text */
    long seq;      /* sequence_number, -1 when absent */
    json_t *item;  /* response.output_item.done: its item (new reference) */
};

struct ev_list {
    struct ev *v;
    size_t n, cap;
    int failed;
};

static int ev_collect(const struct sse_event *e, void *user)
{
    struct ev_list *l = user;
    json_t *d = json_loadb(e->data, e->data_len, 0, NULL), *seq;
    struct ev *x;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct ev *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = 1;
            json_decref(d);
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    x = &l->v[l->n];
    memset(x, 0, sizeof(*x));
    x->type = e->event ? strdup(e->event) : NULL;
    x->data = strndup(e->data, e->data_len);
    seq = json_object_get(d, "sequence_number");
    x->seq = json_is_integer(seq) ? (long)json_integer_value(seq) : -1;
    if (x->type && strcmp(x->type, "response.output_item.done") == 0)
        x->item = json_incref(json_object_get(d, "item"));
    json_decref(d);
    l->n++;
    if (!x->data || (e->event && !x->type))
        l->failed = 1;
    return l->failed;
}

static void ev_list_release(struct ev_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].type);
        free(l->v[i].data);
        json_decref(l->v[i].item);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* The SSE bytes of 'st' as a JSON string (new reference): the stored ones,
 * or rendered again from its fixture (the same fixture and final Response
 * give the same events). NULL when neither is possible. */
static json_t *stored_events(struct rm_server *srv, const struct stored *st)
{
    const struct fixture *fx;
    struct fixture clean;
    struct render_ctx rc;
    struct stream *s;
    json_t *ev = NULL;
    char *bytes;
    size_t len;

    if (st->events)
        return json_incref(st->events);
    fx = st->fixture[0] ? fixture_find(&srv->fixtures, st->fixture) : NULL;
    if (!fx || fx->kind != FX_RESPONSE)
        return NULL;
    /* The response was answered without a stream, so no stream fault ever
     * happened to it: replay the clean stream of what it returned. */
    clean = *fx;
    clean.stream.fault.kind = FX_FAULT_NONE;
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = &clean;
    s = render_response_stream(&rc, st->response, NULL, st->background);
    bytes = s ? stream_concat(s, &len) : NULL;
    if (bytes)
        ev = json_stringn_nocheck(bytes, len);
    free(bytes);
    stream_free(s);
    return ev;
}

/* Parse the events of 'st' into 'l'. Returns 0, or -1 when there are none
 * or on OOM. */
static int load_events(struct rm_server *srv, const struct stored *st, struct ev_list *l)
{
    json_t *bytes = stored_events(srv, st);
    struct sse_parser p;

    memset(l, 0, sizeof(*l));
    if (!bytes)
        return -1;
    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    if (sse_parser_feed(&p, json_string_value(bytes), json_string_length(bytes), ev_collect, l) <
        0)
        l->failed = 1;
    sse_parser_release(&p);
    json_decref(bytes);
    if (l->failed) {
        ev_list_release(l);
        return -1;
    }
    return 0;
}

/* ---- Views ------------------------------------------------------------ */

/* 'final' as it looks before it is done: 'status', no usage, no completion,
 * and 'output' (stolen). New reference. */
static json_t *snapshot(const json_t *final, const char *status, json_t *output)
{
    json_t *v = json_copy((json_t *)final); /* shallow: members are shared, never changed */

    json_object_set_new(v, "status", json_string(status));
    json_object_set_new(v, "completed_at", json_null());
    json_object_set_new(v, "error", json_null());
    json_object_set_new(v, "incomplete_details", json_null());
    json_object_set_new(v, "output", output ? output : json_array());
    json_object_set_new(v, "usage", json_null());
    return v;
}

/* The output items whose output_item.done event is due at schedule time
 * 'e' (new array). */
static json_t *output_so_far(const struct ev_list *l, int64_t e, unsigned d)
{
    json_t *out = json_array();
    size_t k;

    for (k = 0; k < l->n; k++)
        if (l->v[k].item && (int64_t)bg_event_ms(k, l->n, d) <= e)
            json_array_append(out, l->v[k].item);
    return out;
}

/* The Response of 'st' as it stands at schedule time 'e' (new reference).
 * REQ: background-progression */
static json_t *view_at(struct rm_server *srv, const struct stored *st, int64_t e)
{
    unsigned d = st->duration_ms;
    struct ev_list l;
    json_t *output = NULL;

    if (!st->live || e >= (int64_t)d)
        return json_incref(st->response);
    if (e < (int64_t)(d / 2))
        return snapshot(st->response, "queued", NULL);
    if (load_events(srv, st, &l) == 0) {
        output = output_so_far(&l, e, d);
        ev_list_release(&l);
    }
    return snapshot(st->response, "in_progress", output);
}

static json_t *view_now(struct rm_server *srv, const struct stored *st)
{
    return view_at(srv, st, bg_elapsed(srv, st));
}

/* ---- GET /v1/responses/{id} ------------------------------------------- */

/* Replay the events of 'st' after sequence number 'after' (-1: all). A
 * background response still running is replayed on its schedule: events
 * already due at once, later ones when they fall due. */
static void reply_replay(struct rm_server *srv, const struct stored *st, long after,
                         struct rm_reply *out)
{
    int64_t e = bg_elapsed(srv, st), prev;
    struct stream *s;
    struct ev_list l;
    size_t k;

    if (load_events(srv, st, &l) != 0) {
        struct api_error err;
        api_error_invalid(&err, NULL, "stream",
                          "Response '%.200s' has no stored events to replay.",
                          json_util_str(st->response, "id"));
        reply_error(out, &err);
        return;
    }
    s = stream_new(RM_MAX_STREAM_BYTES, srv->cfg.speed);
    prev = e;
    for (k = 0; s && k < l.n; k++) {
        unsigned delay = 0;

        if (l.v[k].seq <= after && (l.v[k].seq >= 0 || after >= 0))
            continue;
        if (e < (int64_t)st->duration_ms) {
            int64_t t = bg_event_ms(k, l.n, st->duration_ms);
            if (t > prev) {
                delay = (unsigned)(t - prev);
                prev = t;
            }
        }
        if (stream_push_event(s, l.v[k].type, l.v[k].data, delay) != 0) {
            stream_free(s);
            s = NULL;
        }
    }
    ev_list_release(&l);
    if (!s) {
        out_of_memory(out);
        return;
    }
    out->status = 200;
    out->content_type = "text/event-stream; charset=utf-8";
    out->stream = s;
    reply_header(out, "cache-control", "no-cache");
}

/* Parse a query integer >= 'min'. Returns 0, or -1 when malformed. */
static int query_long(const char *s, long min, long max, long *out)
{
    char *end;

    if (!s || !*s)
        return -1;
    *out = strtol(s, &end, 10);
    return *end || *out < min || *out > max ? -1 : 0;
}

void lifecycle_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                   struct rm_reply *out)
{
    const char *stream = request_query(req, "stream");
    const char *after_s = request_query(req, "starting_after");
    struct api_error err;
    struct stored st;
    long after = -1;

    /* include[] / include and include_obfuscation are accepted and ignored:
     * stored responses carry everything the fixtures produce. */
    if (after_s && query_long(after_s, -1, INT32_MAX, &after) != 0) {
        api_error_invalid(&err, "invalid_value", "starting_after",
                          "Invalid 'starting_after': expected a non-negative integer.");
        reply_error(out, &err);
        return;
    }
    if (store_get(srv->store, id, &st) != 0) {
        not_found(out, id);
        return;
    }
    if (stream && (strcmp(stream, "true") == 0 || strcmp(stream, "1") == 0))
        reply_replay(srv, &st, after, out);
    else
        reply_json(out, 200, view_now(srv, &st));
    stored_release(&st);
}

/* ---- DELETE and cancel ------------------------------------------------ */

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

/* The events of 'l' due by schedule time 'e', as SSE bytes in a JSON string
 * (new reference), or NULL on OOM. */
static json_t *events_until(const struct ev_list *l, int64_t e, unsigned d, double speed)
{
    struct stream *s = stream_new(RM_MAX_STREAM_BYTES, speed);
    json_t *out = NULL;
    char *bytes = NULL;
    size_t k, len;

    for (k = 0; s && k < l->n; k++)
        if ((int64_t)bg_event_ms(k, l->n, d) <= e &&
            stream_push_event(s, l->v[k].type, l->v[k].data, 0) != 0)
            break;
    if (s && k == l->n)
        bytes = stream_concat(s, &len);
    if (bytes)
        out = json_stringn_nocheck(bytes, len);
    free(bytes);
    stream_free(s);
    return out;
}

/* REQ: cancel-background-only, cancel-terminal-unchanged */
void lifecycle_cancel(struct rm_server *srv, const struct rm_request *req, const char *id,
                      struct rm_reply *out)
{
    struct api_error err;
    int attempt;

    (void)req;
    /* Compare-and-swap: if another cancel settles it first, answer with
     * what that one stored. */
    for (attempt = 0; attempt < 8; attempt++) {
        struct stored st;
        struct ev_list l;
        json_t *cancelled, *events = NULL, *output = NULL;
        int64_t e;
        int rc;

        if (store_get(srv->store, id, &st) != 0) {
            not_found(out, id);
            return;
        }
        if (!st.background) {
            stored_release(&st);
            api_error_invalid(&err, NULL, NULL,
                              "Only responses created with background=true can be cancelled.");
            reply_error(out, &err);
            return;
        }
        e = bg_elapsed(srv, &st);
        if (!st.live || e >= (int64_t)st.duration_ms) {
            /* Already terminal (done, failed, or cancelled): unchanged. */
            reply_json(out, 200, view_now(srv, &st));
            stored_release(&st);
            return;
        }
        if (load_events(srv, &st, &l) == 0) {
            if (e >= (int64_t)(st.duration_ms / 2))
                output = output_so_far(&l, e, st.duration_ms);
            events = events_until(&l, e, st.duration_ms, srv->cfg.speed);
            ev_list_release(&l);
        }
        cancelled = snapshot(st.response, "cancelled", output);
        rc = store_settle(srv->store, id, st.response, json_incref(cancelled), events);
        stored_release(&st);
        if (rc == 0) {
            reply_json(out, 200, cancelled);
            return;
        }
        json_decref(cancelled);
        if (rc == -1) {
            not_found(out, id);
            return;
        }
    }
    api_error_set(&err, 409, "invalid_request_error", NULL, NULL,
                  "respmock: response '%.200s' kept changing while being cancelled.", id);
    reply_error(out, &err);
}

/* ---- Lists ------------------------------------------------------------ */

int lifecycle_check_list_query(const struct rm_request *req, struct rm_reply *out)
{
    const char *limit = request_query(req, "limit"), *order = request_query(req, "order");
    struct api_error err;
    long v;

    if (limit && query_long(limit, 1, RM_LIST_MAX_LIMIT, &v) != 0) {
        api_error_invalid(&err, "invalid_value", "limit",
                          "Invalid 'limit': expected an integer from 1 to %d.", RM_LIST_MAX_LIMIT);
        reply_error(out, &err);
        return -1;
    }
    if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        api_error_invalid(&err, "invalid_value", "order",
                          "Invalid value: '%.50s'. Supported values are: 'asc' and 'desc'.",
                          order);
        reply_error(out, &err);
        return -1;
    }
    return 0;
}

void lifecycle_reply_list(const struct rm_request *req, const json_t *items,
                          struct rm_reply *out)
{
    const char *limit_s = request_query(req, "limit"), *order = request_query(req, "order");
    const char *after = request_query(req, "after");
    long limit = RM_LIST_DEFAULT_LIMIT;
    int desc = !(order && strcmp(order, "asc") == 0);
    size_t i, n = json_array_size(items), start = 0;
    json_t *data = json_array();

    if (limit_s)
        query_long(limit_s, 1, RM_LIST_MAX_LIMIT, &limit);
    if (after && *after) {
        for (i = 0; i < n; i++) {
            const char *iid = json_util_str(json_array_get(items, desc ? n - 1 - i : i), "id");
            if (iid && strcmp(iid, after) == 0)
                break;
        }
        start = i < n ? i + 1 : n;
    }
    for (i = start; i < n && json_array_size(data) < (size_t)limit; i++)
        json_array_append(data, json_array_get(items, desc ? n - 1 - i : i));
    reply_json(out, 200,
               json_pack("{s:s, s:O, s:O, s:O, s:b}", "object", "list", "data", data, "first_id",
                         json_array_size(data)
                             ? json_object_get(json_array_get(data, 0), "id")
                             : json_null(),
                         "last_id",
                         json_array_size(data)
                             ? json_object_get(json_array_get(data, json_array_size(data) - 1),
                                               "id")
                             : json_null(),
                         "has_more", i < n));
    json_decref(data);
}

void lifecycle_input_items(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out)
{
    struct stored st;

    if (lifecycle_check_list_query(req, out) != 0)
        return;
    if (store_get(srv->store, id, &st) != 0) {
        not_found(out, id);
        return;
    }
    lifecycle_reply_list(req, st.input_items, out);
    stored_release(&st);
}

/* ---- POST /v1/responses/input_tokens ---------------------------------- */

/* REQ: input-tokens-rule: the text of instructions, of the context from
 * previous_response_id or conversation, and of input (joined by "\n"),
 * counted as ceil(UTF-8 bytes / 4); the same count is usage.input_tokens of
 * a create with the same body when its fixture does not set it. */
void lifecycle_input_tokens(struct rm_server *srv, const struct rm_request *req,
                            const char *id, struct rm_reply *out)
{
    struct lifecycle_create lc;
    struct api_error err;
    json_t *body = request_json(req, &err);

    (void)id;
    memset(&lc, 0, sizeof(lc));
    if (!body || validate_input_tokens(body, &err) != 0 ||
        lifecycle_create_begin(srv, body, NULL, &lc, &err) != 0) {
        reply_error(out, &err);
    } else {
        long n = request_count_tokens(json_object_get(body, "instructions"), lc.prefix,
                                      json_object_get(body, "input"));
        reply_json(out, 200, json_pack("{s:s, s:I}", "object", "response.input_tokens",
                                       "input_tokens", (json_int_t)n));
    }
    lifecycle_create_release(&lc);
    json_decref(body);
}

/* ---- POST /__admin/reset ---------------------------------------------- */

void lifecycle_admin_reset(struct rm_server *srv, const struct rm_request *req, const char *id,
                           struct rm_reply *out)
{
    (void)req;
    (void)id;
    store_clear(srv->store);
    conversation_store_clear(srv->conversations);
    reply_json(out, 200, json_pack("{s:b}", "reset", 1));
}

/* ---- POST /v1/responses ----------------------------------------------- */

/* 400 when a function call in 'prev' (a Response) has no output among the
 * call_ids in 'answered'. REQ: chain-pending-call */
static int check_pending_calls(const json_t *prev, const json_t *answered,
                               struct api_error *err)
{
    json_t *it, *o;
    size_t i, j;

    json_array_foreach(json_object_get(prev, "output"), i, it) {
        const char *type = json_util_str(it, "type"), *call = json_util_str(it, "call_id");
        int ok = 0;

        if (!type || strcmp(type, "function_call") != 0 || !call)
            continue;
        json_array_foreach(answered, j, o) if (json_is_string(o) &&
                                               strcmp(json_string_value(o), call) == 0) ok = 1;
        if (!ok)
            return api_error_invalid(err, NULL, "input",
                                     "No tool output found for function call %s.", call);
    }
    return 0;
}

static int gather_context(struct rm_server *srv, const json_t *body, const json_t *answered,
                          struct lifecycle_create *lc, struct api_error *err)
{
    const json_t *conv = json_object_get(body, "conversation");
    const char *cid = json_is_string(conv) ? json_string_value(conv) : json_util_str(conv, "id");

    memset(lc, 0, sizeof(*lc));
    lc->store = !json_is_false(json_object_get(body, "store"));
    lc->background = json_util_true(body, "background");
    lc->prev_id = json_util_str(body, "previous_response_id");
    lc->turn = 1;
    lc->start_ms = server_now_ms();
    if (answered && lc->background && !lc->store)
        return api_error_invalid(err, "invalid_value", "background",
                                 "Background responses must be stored: 'background' true "
                                 "cannot be combined with 'store' false.");
    if (lc->prev_id && cid)
        return api_error_invalid(err, "invalid_value", "previous_response_id",
                                 "Cannot use both 'previous_response_id' and 'conversation'.");
    if (lc->prev_id) {
        /* REQ: chain-context: the chain's inputs and outputs, then the new
         * input; instructions are not part of it. */
        struct stored prev;
        json_t *view;
        int rc = 0;

        if (store_get(srv->store, lc->prev_id, &prev) != 0)
            return api_error_invalid(err, "previous_response_not_found", "previous_response_id",
                                     "Previous response with id '%.200s' not found.",
                                     lc->prev_id);
        view = view_now(srv, &prev);
        if (answered)
            rc = check_pending_calls(view, answered, err);
        if (rc == 0) {
            lc->prefix = json_copy(prev.context);
            if (!lc->prefix)
                lc->prefix = json_array();
            json_array_extend(lc->prefix, json_object_get(view, "output"));
            lc->turn = prev.turn + 1;
        }
        json_decref(view);
        stored_release(&prev);
        return rc;
    }
    if (cid) {
        int turns = 0;

        if (strlen(cid) >= sizeof(lc->conversation) ||
            conversation_snapshot(srv->conversations, cid, &lc->prefix, &turns) != 0)
            return api_error_set(err, 404, "invalid_request_error", NULL, "conversation",
                                 "Conversation with id '%.200s' not found.", cid);
        snprintf(lc->conversation, sizeof(lc->conversation), "%s", cid);
        lc->turn = turns + 1;
        return 0;
    }
    lc->prefix = json_array();
    return 0;
}

/* The context may not grow without bound along a chain: like a model's
 * context window with truncation disabled, too many items is a 400. */
static int check_context_size(const struct lifecycle_create *lc, const json_t *body,
                              struct api_error *err)
{
    const json_t *input = json_object_get(body, "input");
    size_t n = json_array_size(lc->prefix) + (json_is_array(input) ? json_array_size(input) : 1);

    if (n <= RM_MAX_CONTEXT_ITEMS)
        return 0;
    return api_error_invalid(err, "context_length_exceeded", "input",
                             "Your input exceeds the context window of this model: %zu items "
                             "(respmock's limit is %d).",
                             n, RM_MAX_CONTEXT_ITEMS);
}

int lifecycle_create_begin(struct rm_server *srv, const json_t *body, const json_t *answered,
                           struct lifecycle_create *lc, struct api_error *err)
{
    if (gather_context(srv, body, answered, lc, err) != 0)
        return -1;
    return check_context_size(lc, body, err);
}

json_t *lifecycle_create_reply(const struct lifecycle_create *lc, const json_t *final)
{
    return lc->background ? snapshot(final, "queued", NULL) : json_incref((json_t *)final);
}

/* What a stream's client saw at its end: the last event, and the last
 * response object carried by a terminal event. */
struct stream_end {
    json_t *last;      /* last event's JSON (new) */
    json_t *response;  /* response of the last terminal event (new), or NULL */
};

static int note_stream_event(const struct sse_event *ev, void *user)
{
    struct stream_end *se = user;
    json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);

    if (!json_is_object(d)) {
        json_decref(d);
        return 0;
    }
    json_decref(se->last);
    se->last = d;
    if (json_is_object(json_object_get(d, "response"))) {
        json_decref(se->response);
        se->response = json_incref(json_object_get(d, "response"));
    }
    return 0;
}

/* The Response to store for a streamed create: when a stream fault made the
 * stream end in response.failed or an error event, the stored response is
 * the failed one the client saw, not the rendered 'final'. New reference. */
static json_t *stored_final(const json_t *final, const char *bytes, size_t len)
{
    struct stream_end se = {NULL, NULL};
    struct sse_parser p;
    const char *last_type;
    json_t *out;

    sse_parser_init(&p, RM_MAX_SSE_EVENT);
    sse_parser_feed(&p, bytes, len, note_stream_event, &se);
    sse_parser_release(&p);
    last_type = json_util_str(se.last, "type");
    if (last_type && strcmp(last_type, "response.failed") == 0 && se.response) {
        out = json_incref(se.response);
    } else if (last_type && strcmp(last_type, "error") == 0) {
        json_t *e = json_object_get(se.last, "error");
        const char *code = json_util_str(e ? e : se.last, "code");
        const char *msg = json_util_str(e ? e : se.last, "message");

        out = json_deep_copy(final);
        json_object_set_new(out, "status", json_string("failed"));
        json_object_set_new(out, "completed_at", json_null());
        json_object_set_new(out, "usage", json_null());
        json_object_set_new(out, "error",
                            json_pack("{s:s, s:s}", "code", code ? code : "server_error",
                                      "message", msg ? msg : "The stream failed."));
    } else {
        out = json_incref((json_t *)final);
    }
    json_decref(se.last);
    json_decref(se.response);
    return out;
}

int lifecycle_create_end(struct rm_server *srv, const struct lifecycle_create *lc,
                         const struct fixture *fx, const json_t *final, const json_t *items,
                         const json_t *context, const struct stream *stream,
                         struct api_error *err)
{
    struct stored entry;

    if (lc->conversation[0]) {
        json_t *add = json_copy((json_t *)items);
        int rc = add ? json_array_extend(add, json_object_get(final, "output")) : -3;

        if (rc == 0)
            rc = conversation_append(srv->conversations, lc->conversation, add, 1);
        json_decref(add);
        if (rc == -1)
            return api_error_set(err, 404, "invalid_request_error", NULL, "conversation",
                                 "Conversation with id '%.200s' not found.", lc->conversation);
        if (rc == -2)
            return api_error_invalid(err, "conversation_too_large", "conversation",
                                     "Conversation '%.200s' would have more than %u items.",
                                     lc->conversation, (unsigned)RM_MAX_CONVERSATION_ITEMS);
        if (rc != 0)
            return api_error_set(err, 500, "server_error", NULL, NULL, "respmock: out of memory");
    }
    if (!lc->store)
        return 0; /* REQ: store-false-not-kept */
    memset(&entry, 0, sizeof(entry));
    entry.input_items = json_incref((json_t *)items);
    entry.context = json_incref((json_t *)context);
    if (stream) {
        size_t len;
        char *bytes = stream_concat(stream, &len);
        if (bytes) {
            entry.events = json_stringn_nocheck(bytes, len);
            if (!lc->background) /* REQ: stored-matches-stream */
                entry.response = stored_final(final, bytes, len);
        }
        free(bytes);
    }
    if (!entry.response)
        entry.response = json_incref((json_t *)final);
    /* What this entry adds to memory: the context it shares with the chain
     * is counted where it was first stored. */
    entry.bytes = json_dumpb(entry.response, NULL, 0, JSON_COMPACT) +
                  json_dumpb(entry.input_items, NULL, 0, JSON_COMPACT) +
                  (entry.events ? json_string_length(entry.events) : 0);
    snprintf(entry.fixture, sizeof(entry.fixture), "%s", fx->name);
    entry.turn = lc->turn;
    entry.background = lc->background;
    entry.live = lc->background;
    entry.start_ms = lc->start_ms;
    entry.duration_ms = lifecycle_background_ms(fx);
    if (store_put(srv->store, &entry) != 0)
        return api_error_set(err, 500, "server_error", NULL, NULL, "respmock: out of memory");
    return 0;
}

void lifecycle_create_release(struct lifecycle_create *lc)
{
    json_decref(lc->prefix);
    memset(lc, 0, sizeof(*lc));
}
