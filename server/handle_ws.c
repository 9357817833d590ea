/* handle_ws: WebSocket mode's protocol, one session per connection (see
 * handle_ws.h). */
#include "handle_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "contract.h"
#include "envelope.h"
#include "handle_responses.h"
#include "journal.h"
#include "json_util.h"
#include "request.h"
#include "store.h"

struct ws_session {
    struct rm_server *srv;
    struct ws_open open;
    struct store *local; /* store:false responses of this connection */
    unsigned responses;
};

struct ws_session *ws_session_new(struct rm_server *srv, struct ws_open *open)
{
    struct ws_session *s = calloc(1, sizeof(*s));

    if (!s || !(s->local = store_new(RM_WS_SESSION_RESPONSES, RM_WS_SESSION_BYTES))) {
        free(s);
        json_decref(open->headers);
        open->headers = NULL;
        return NULL;
    }
    s->srv = srv;
    s->open = *open;
    open->headers = NULL;
    return s;
}

void ws_session_free(struct ws_session *s)
{
    if (!s)
        return;
    store_free(s->local);
    json_decref(s->open.headers);
    free(s);
}

unsigned ws_session_responses(const struct ws_session *s)
{
    return s->responses;
}

/* Header lookup for fixture matchers: the upgrade request's headers. */
static const char *open_header(const void *ctx, const char *name)
{
    const struct ws_session *s = ctx;
    char lower[128];
    size_t i;

    for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    lower[i] = '\0';
    return json_util_str(s->open.headers, lower);
}

/* An answer of the one event 'ev' (stolen, may be NULL on OOM) of 'type'.
 * Returns 0 or -1. */
static int answer_one(struct ws_answer *a, const char *type, json_t *ev)
{
    a->events = event_list_new();
    if (!ev || !a->events || event_list_push_json(a->events, type, ev, 0) != 0) {
        if (!a->events)
            json_decref(ev);
        event_list_unref(a->events);
        a->events = NULL;
        return -1;
    }
    return 0;
}

/* An "error" event with 'status' and the envelope's inner 'error' object,
 * the shape the real API sends over WebSocket:
 * {"type":"error","status":N,"error":{type,code,message,param}}. */
static int answer_error_object(struct ws_answer *a, int status, json_t *error)
{
    return answer_one(a, RM_EV_ERROR,
                      json_pack("{s:s, s:i, s:O}", "type", RM_EV_ERROR, "status", status,
                                "error", error));
}

static int answer_error(struct ws_answer *a, const struct api_error *err)
{
    json_t *env = envelope_build(err);
    int rc = answer_error_object(a, err->status, json_object_get(env, "error"));

    json_decref(env);
    return rc;
}

/* An error fixture's answer (its status and verbatim error body, which is
 * fixture data, not respmock's output) as an "error" event. */
static int answer_error_reply(struct ws_answer *a, const struct rm_reply *out)
{
    json_t *body = out->body ? json_loadb(out->body, out->body_len, 0, NULL) : NULL;
    json_t *error = json_object_get(body, "error");
    int rc;

    if (!json_is_object(error)) {
        struct api_error err;

        json_decref(body);
        api_error_set(&err, out->status ? out->status : 500, RM_ERRTYPE_SERVER, NULL, NULL,
                      "The fixture's error has no error object.");
        return answer_error(a, &err);
    }
    rc = answer_error_object(a, out->status, error);
    json_decref(body);
    return rc;
}

/* response.steer: no fixture model steers, so the input comes back in
 * response.steer.failed (steering_not_supported), as the real API answers
 * for a model that does not support steering. */
static int answer_steer(struct ws_answer *a, const json_t *ev)
{
    json_t *input = json_object_get(ev, "input");
    const char *prev = json_util_str(ev, "previous_response_id");
    json_t *out = json_pack(
        "{s:s, s:i, s:{s:s, s:s, s:s}, s:{s:O, s:s}}", "type", RM_WS_EV_STEER_FAILED,
        "sequence_number", 0, "error", "code", RM_WS_STEER_NOT_SUPPORTED, "message",
        "Steering is not supported for this model.", "type", RM_ERRTYPE_INVALID_REQUEST, "steer",
        "input", input ? input : json_null(), "previous_response_id", prev ? prev : "");

    return answer_one(a, RM_WS_EV_STEER_FAILED, out);
}

/* Keep a create in the journal as method "WEBSOCKET" (what came in and
 * what answered), so tests can tell a WebSocket turn from an HTTP one.
 * Returns its handle (for journal_finish or journal_drop) or NULL. */
static const struct journal_entry *journal_create(struct ws_session *s, const char *rid,
                                                  const char *data, size_t len,
                                                  const struct rm_reply *out, int status)
{
    size_t kept = utf8_cut(data, len, RM_MAX_JOURNAL_BODY);
    struct timespec ts;
    json_t *e, *body;

    if (!s->srv->cfg.journal)
        return NULL;
    body = json_stringn(data, kept);
    clock_gettime(CLOCK_REALTIME, &ts);
    e = json_pack("{s:s, s:I, s:s, s:s, s:{}, s:O, s:o, s:I, s:b, s:s?, s:s?, s:s?, s:i, s:I, "
                  "s:b, s:n, s:b}",
                  "id", rid, "time", (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                  "method", RM_WS_JOURNAL_METHOD, "path", "/v1/responses", "query", "headers",
                  s->open.headers ? s->open.headers : json_object(), "body",
                  body ? body : json_null(), "body_bytes", (json_int_t)len, "body_truncated",
                  kept < len, "fixture", out->fixture[0] ? out->fixture : NULL, "scenario",
                  s->open.scenario[0] ? s->open.scenario : NULL, "state",
                  out->state[0] ? out->state : NULL, "status", status, "duration_ms",
                  (json_int_t)0, "stream", status == 200, "stream_completed", "websocket", 1);
    return e ? journal_add(s->srv->journal, e, kept + 512) : NULL;
}

/* response.create: the body less the envelope, through the create of
 * POST /v1/responses. */
static int answer_create(struct ws_session *s, json_t *ev, const char *data, size_t len,
                         struct ws_answer *a)
{
    struct create_opts o;
    struct rm_request req;
    struct rm_reply out;
    struct api_error err;
    json_t *gen = json_object_get(ev, RM_WS_GENERATE);
    const char *sid = json_util_str(ev, "stream_id");
    int rc, status;

    memset(&o, 0, sizeof(o));
    memset(&req, 0, sizeof(req));
    memset(&out, 0, sizeof(out));
    out.flavor = s->srv->cfg.flavor;
    server_new_id(s->srv, RM_ID_REQUEST, 32, out.request_id, sizeof(out.request_id));
    if (sid)
        snprintf(a->stream_id, sizeof(a->stream_id), "%s", sid);
    if (gen && !json_is_boolean(gen)) {
        api_error_invalid(&err, "invalid_type", RM_WS_GENERATE,
                          "Invalid type for 'generate': expected a boolean.");
        rc = -1;
    } else if (json_util_true(ev, "background")) {
        api_error_invalid(&err, "invalid_value", "background",
                          "'background' is not supported in WebSocket mode.");
        rc = -1;
    } else {
        json_object_del(ev, "type");
        json_object_del(ev, RM_WS_GENERATE);
        json_object_del(ev, "stream_id");
        json_object_set_new(ev, "stream", json_true());
        o.body = ev;
        o.session = s->local;
        o.no_generate = json_is_false(gen);
        req.method = "POST";
        req.path = "/v1/responses";
        req.fixture = s->open.fixture[0] ? s->open.fixture : NULL;
        req.fault = s->open.fault[0] ? s->open.fault : NULL;
        req.scenario = s->open.scenario[0] ? s->open.scenario : NULL;
        req.header = open_header;
        req.header_ctx = s;
        req.from_loopback = 1;
        req.fixtures = server_fixtures(s->srv);
        rc = responses_create_with(s->srv, &req, &o, &out, &err);
        fixture_set_unref(req.fixtures);
    }
    if (rc == 0 && out.events) {
        a->events = event_list_ref(out.events);
        a->delay_ms = out.delay_ms;
        s->responses++;
        status = 200;
    } else if (rc == 1) {
        status = out.status;
        rc = answer_error_reply(a, &out);
    } else {
        if (rc == 0) /* a create over WebSocket always streams */
            api_error_server(&err, NULL, "The response has no stream.");
        status = err.status;
        rc = answer_error(a, &err);
    }
    server_log(s->srv, LOG_INFO, "WEBSOCKET %s %d%s%s", RM_WS_EV_CREATE, status,
               out.fixture[0] ? " fixture=" : "", out.fixture);
    a->journal_entry = journal_create(s, out.request_id, data, len, &out, status);
    if (status != 200) { /* only a stream is finished later */
        journal_drop(s->srv->journal, a->journal_entry);
        a->journal_entry = NULL;
    }
    reply_release(&out);
    return rc;
}

int ws_session_message(struct ws_session *s, const char *data, size_t len, int binary,
                       struct ws_answer *a)
{
    struct api_error err;
    struct rm_request req;
    json_t *ev;
    const char *type;
    int rc;

    memset(a, 0, sizeof(*a));
    if (binary)
        return answer_error(a, (api_error_invalid(&err, NULL, NULL,
                                                  "Binary messages are not supported: send "
                                                  "each client event as a JSON text message."),
                                &err));
    memset(&req, 0, sizeof(req));
    req.body = data;
    req.body_len = len;
    ev = request_json(&req, &err); /* the same 400s as an HTTP body */
    if (!ev)
        return answer_error(a, &err);
    type = json_util_str(ev, "type");
    if (!type) {
        api_error_invalid(&err, "missing_required_parameter", "type",
                          "Missing required parameter: 'type'.");
        rc = answer_error(a, &err);
    } else if (strcmp(type, RM_WS_EV_CREATE) == 0) {
        rc = answer_create(s, ev, data, len, a);
    } else if (strcmp(type, RM_WS_EV_STEER) == 0) {
        rc = answer_steer(a, ev);
    } else {
        api_error_invalid(&err, "invalid_value", "type",
                          "Invalid value: '%.100s'. Supported values are: '%s' and '%s'.", type,
                          RM_WS_EV_CREATE, RM_WS_EV_STEER);
        rc = answer_error(a, &err);
    }
    json_decref(ev);
    return rc;
}
