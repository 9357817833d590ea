/* handlers: routing, auth, and the generation endpoints (POST /v1/responses,
 * POST /v1/chat/completions, models, health). The response lifecycle
 * routes live in lifecycle.c. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "json_util.h"
#include "lifecycle.h"
#include "render.h"
#include "store.h"
#include "validate.h"

/* ---- Replies ---------------------------------------------------------- */

void reply_header(struct rm_reply *r, const char *name, const char *value)
{
    if (r->nheaders >= RM_MAX_REPLY_HEADERS)
        return;
    r->headers[r->nheaders].name = strdup(name);
    r->headers[r->nheaders].value = strdup(value);
    r->nheaders++;
}

void reply_json(struct rm_reply *r, int status, json_t *body)
{
    r->status = status;
    r->content_type = "application/json";
    free(r->body);
    r->body = body ? json_util_dumps(body) : NULL;
    r->body_len = r->body ? strlen(r->body) : 0;
    json_decref(body);
    if (!r->body) {
        r->status = 500;
        r->body = strdup("{\"error\":{\"message\":\"respmock: out of memory\","
                         "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        r->body_len = r->body ? strlen(r->body) : 0;
        /* Our own 500: the SDKs must not retry it (see reply_error). */
        reply_header(r, "x-should-retry", "false");
    }
}

void reply_error(struct rm_reply *r, const struct api_error *err)
{
    unsigned before = r->nheaders;

    reply_json(r, err->status, envelope_build(err));
    /* The SDKs retry 408/409/429/5xx: tell them not to for our own errors
     * (reply_json already did when it had to answer 500 itself). */
    if (r->nheaders == before &&
        (err->status == 408 || err->status == 409 || err->status == 429 || err->status >= 500))
        reply_header(r, "x-should-retry", "false");
}

void reply_release(struct rm_reply *r)
{
    unsigned i;

    free(r->body);
    stream_free(r->stream);
    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    memset(r, 0, sizeof(*r));
}

/* ---- Request helpers -------------------------------------------------- */

const char *request_query(const struct rm_request *req, const char *key)
{
    size_t n = strlen(key);
    unsigned i;

    for (i = 0; i < req->nquery; i++) {
        const char *k = req->query[i].key;
        if (strncmp(k, key, n) == 0 && (k[n] == '\0' || strcmp(k + n, "[]") == 0))
            return req->query[i].value ? req->query[i].value : "";
    }
    return NULL;
}

json_t *request_json(const struct rm_request *req, struct api_error *err)
{
    json_t *doc = NULL;

    if (req->body && req->body_len)
        doc = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, NULL); /* 42 -> invalid_type */
    if (!doc) {
        api_error_invalid(err, NULL, NULL,
                          "We could not parse the JSON body of your request. (HINT: This likely "
                          "means you aren't using your HTTP library correctly. The OpenAI API "
                          "expects a JSON payload, but what was sent was not valid JSON. If you "
                          "have trouble figuring out how to fix this, please contact us through "
                          "our help center at help.openai.com.)");
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        api_error_invalid(err, "invalid_type", NULL,
                          "Invalid type for request body: expected an object.");
        return NULL;
    }
    return doc;
}

/* Call 'fn' for every piece of text in 'v': strings, and the text-bearing
 * members of objects (message content, parts, function outputs, ...). */
static void walk_text(const json_t *v, void (*fn)(const char *, size_t, void *), void *user)
{
    if (json_is_string(v)) {
        fn(json_string_value(v), json_string_length(v), user);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) walk_text(it, fn, user);
    } else if (json_is_object(v)) {
        static const char *const keys[] = {"text", "content", "output", "refusal", "arguments",
                                           NULL};
        const char *const *k;
        for (k = keys; *k; k++)
            walk_text(json_object_get(v, *k), fn, user);
    }
}

static void append_piece(const char *s, size_t n, void *user)
{
    struct buf *out = user;

    if (out->len)
        buf_append_str(out, "\n");
    buf_append(out, s, n);
}

void request_collect_text(const json_t *input, struct buf *out)
{
    walk_text(input, append_piece, out);
}

struct text_count {
    size_t bytes;
    size_t pieces;
};

static void count_piece(const char *s, size_t n, void *user)
{
    struct text_count *c = user;

    (void)s;
    c->bytes += n;
    c->pieces++;
}

long request_count_tokens(const json_t *instructions, const json_t *context, const json_t *input)
{
    struct text_count c = {0, 0};

    walk_text(instructions, count_piece, &c);
    walk_text(context, count_piece, &c);
    walk_text(input, count_piece, &c);
    /* The pieces joined with "\n", counted without building the text. */
    return (long)((c.bytes + (c.pieces ? c.pieces - 1 : 0) + 3) / 4);
}

static json_t *text_parts(const char *role, const json_t *content)
{
    if (json_is_string(content)) {
        int assistant = role && strcmp(role, "assistant") == 0;
        json_t *part = json_pack("{s:s, s:O}", "type", assistant ? "output_text" : "input_text",
                                 "text", content);
        if (assistant) {
            json_object_set_new(part, "annotations", json_array());
        }
        return json_pack("[o]", part);
    }
    return json_is_array(content) ? json_deep_copy(content) : json_array();
}

json_t *request_normalise_input(struct rm_server *srv, const json_t *input)
{
    json_t *out = json_array(), *it;
    char id[64];
    size_t i;

    if (json_is_string(input)) {
        server_new_id(srv, "msg_", 32, id, sizeof(id));
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "type",
                                             "message", "role", "user", "status", "completed",
                                             "content", text_parts("user", input)));
        return out;
    }
    json_array_foreach(input, i, it) {
        json_t *c = json_deep_copy(it);
        const char *type = json_util_str(c, "type");
        const char *role = json_util_str(c, "role");

        if (!json_is_object(c)) {
            json_decref(c);
            continue;
        }
        if (!type && role) {
            json_object_set_new(c, "type", json_string("message"));
            type = "message";
        }
        if (type && strcmp(type, "message") == 0) {
            json_object_set_new(c, "content", text_parts(role, json_object_get(c, "content")));
            if (!json_object_get(c, "status"))
                json_object_set_new(c, "status", json_string("completed"));
        }
        if (!json_util_str(c, "id")) {
            const char *prefix = !type                                    ? "item_"
                                 : strcmp(type, "message") == 0            ? "msg_"
                                 : strcmp(type, "function_call") == 0      ? "fc_"
                                 : strcmp(type, "function_call_output") == 0 ? "fco_"
                                                                           : "item_";
            server_new_id(srv, prefix, 32, id, sizeof(id));
            json_object_set_new(c, "id", json_string(id));
        }
        json_array_append_new(out, c);
    }
    return out;
}

/* ---- Auth ------------------------------------------------------------- */

static int check_auth(struct rm_server *srv, const struct rm_request *req, struct api_error *err)
{
    const char *h = req->authorization, *token;
    unsigned i;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !*(token = h + 7 + strspn(h + 7, " ")))
        return api_error_set(err, 401, "invalid_request_error", NULL, NULL,
                             "You didn't provide an API key. You need to provide your API key "
                             "in an Authorization header using Bearer auth (i.e. Authorization: "
                             "Bearer YOUR_KEY), or as the password field (with blank username) "
                             "if you're accessing the API from your browser and are prompted for "
                             "a username and password. You can obtain an API key from "
                             "https://platform.openai.com/account/api-keys.");
    if (srv->cfg.n_api_keys == 0)
        return 0;
    for (i = 0; i < srv->cfg.n_api_keys; i++)
        if (strcmp(srv->cfg.api_keys[i], token) == 0)
            return 0;
    /* Like the real API, show only the ends of the key. */
    {
        size_t n = strlen(token);
        char shown[32];

        if (n > 8)
            snprintf(shown, sizeof(shown), "%.3s***%s", token, token + n - 4);
        else
            snprintf(shown, sizeof(shown), "***");
        return api_error_set(err, 401, "invalid_request_error", "invalid_api_key", NULL,
                             "Incorrect API key provided: %s. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.",
                             shown);
    }
}

/* ---- Fixture selection ------------------------------------------------ */

/* The fixture for a generation request, or NULL with 'err' filled. */
static const struct fixture *select_fixture(struct rm_server *srv, const struct rm_request *req,
                                            const struct match_facts *facts,
                                            struct api_error *err)
{
    const struct fixture *fx;

    if (req->fixture) {
        fx = fixture_find(&srv->fixtures, req->fixture);
        if (!fx)
            api_error_invalid(err, "unknown_fixture", NULL,
                              "respmock: no fixture is named '%.200s' (x-respmock-fixture).",
                              req->fixture);
        return fx;
    }
    fx = fixture_match(&srv->fixtures, facts);
    if (!fx)
        api_error_set(err, 500, "server_error", "no_fixture_matched", NULL,
                      "respmock: no fixture matched %s (model '%.100s', stream %s); add a "
                      "fixture without \"match\" as the default.",
                      facts->path, facts->model ? facts->model : "", facts->stream ? "on" : "off");
    return fx;
}

static int parse_fault(const struct rm_request *req, struct fx_fault *fault,
                       struct api_error *err)
{
    char why[160];

    memset(fault, 0, sizeof(*fault));
    if (!req->fault)
        return 0;
    if (fixture_parse_fault(req->fault, fault, why, sizeof(why)) != 0)
        return api_error_invalid(err, "invalid_fault", NULL,
                                 "respmock: bad x-respmock-fault header: %s.", why);
    return 0;
}

/* Start answering with 'fx': its headers and latency ('fault' may set the
 * latency instead). An error fixture is the whole answer: returns 1 then,
 * 0 when the caller still has to render the fixture. */
static int begin_fixture_reply(const struct fixture *fx, const struct fx_fault *fault,
                               struct rm_reply *out)
{
    size_t i;

    for (i = 0; i < fx->nheaders; i++)
        reply_header(out, fx->headers[i].name, fx->headers[i].value);
    out->delay_ms = fx->latency_ms;
    if (fault->kind == FX_FAULT_LATENCY)
        out->delay_ms = fault->stall_ms;
    snprintf(out->fixture, sizeof(out->fixture), "%s", fx->name);
    if (fx->kind != FX_ERROR)
        return 0;
    out->status = fx->err_status;
    out->content_type = "application/json";
    out->body = strdup(fx->err_body);
    out->body_len = out->body ? strlen(out->body) : 0;
    return 1;
}

static void reply_stream(struct rm_reply *out, struct stream *s, const char *type)
{
    out->status = 200;
    out->content_type = type;
    out->stream = s;
    reply_header(out, "cache-control", "no-cache");
}

/* The malformed_body fault, asked for by the request or the fixture: cut
 * the JSON body in half. */
static void apply_body_fault(const struct fixture *fx, const struct fx_fault *fault,
                             struct rm_reply *out)
{
    if (fault->kind != FX_FAULT_MALFORMED_BODY &&
        fx->stream.fault.kind != FX_FAULT_MALFORMED_BODY)
        return;
    if (out->body && out->body_len > 2) {
        out->body_len /= 2;
        out->body[out->body_len] = '\0';
    }
}

/* ---- POST /v1/responses ----------------------------------------------- */

/* Function tools present in the request. */
static int has_function_tools(const json_t *body)
{
    json_t *t;
    size_t i;

    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const char *type = json_util_str(t, "type");
        if (type && strcmp(type, "function") == 0)
            return 1;
    }
    return 0;
}

/* call_ids of the function_call_output items in 'input' (new array). */
static json_t *tool_outputs(const json_t *input)
{
    json_t *ids = json_array(), *it;
    size_t i;

    json_array_foreach(input, i, it) {
        const char *type = json_util_str(it, "type");
        if (type && strcmp(type, "function_call_output") == 0 && json_util_str(it, "call_id"))
            json_array_append(ids, json_object_get(it, "call_id"));
    }
    return ids;
}

static void handle_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out)
{
    struct api_error err;
    struct lifecycle_create lc;
    struct match_facts facts;
    struct fx_fault fault;
    struct render_ctx rc;
    const struct fixture *fx;
    json_t *body, *input, *items = NULL, *outputs = NULL, *context = NULL, *final = NULL;
    struct buf text;
    int stream;

    (void)arg;
    memset(&lc, 0, sizeof(lc));
    buf_init(&text, RM_MAX_MATCH_TEXT);
    body = request_json(req, &err);
    if (!body || validate_responses_create(body, &err) != 0 || parse_fault(req, &fault, &err))
        goto out_error;
    input = json_object_get(body, "input");
    stream = json_util_true(body, "stream");
    outputs = tool_outputs(input);
    /* previous_response_id, conversation, store and background rules. */
    if (lifecycle_create_begin(srv, body, outputs, &lc, &err) != 0)
        goto out_error;
    items = request_normalise_input(srv, input);
    context = json_copy(lc.prefix); /* shallow: stored items are never changed */
    json_array_extend(context, items);

    request_collect_text(json_object_get(body, "instructions"), &text);
    request_collect_text(input, &text);
    memset(&facts, 0, sizeof(facts));
    facts.path = "/v1/responses";
    facts.model = json_util_str(body, "model");
    facts.text = text.data ? text.data : "";
    facts.tools = has_function_tools(body);
    facts.stream = stream;
    facts.body = body;
    facts.turn = lc.turn;
    facts.tool_outputs = outputs;
    fx = select_fixture(srv, req, &facts, &err);
    if (!fx)
        goto out_error;
    if (begin_fixture_reply(fx, &fault, out))
        goto out;
    if (fx->kind == FX_TRANSCRIPT) {
        if (stream) {
            struct stream *s = render_transcript_stream(srv, fx, &fault);
            if (!s)
                goto out_oom;
            reply_stream(out, s, "text/event-stream; charset=utf-8");
            final = render_stream_final(s);
        } else {
            final = render_transcript_final(fx);
            if (!final) {
                api_error_set(&err, 500, "server_error", NULL, NULL,
                              "respmock: transcript fixture '%s' has no response object to "
                              "answer a non-streaming request with.",
                              fx->name);
                goto out_error;
            }
            reply_json(out, 200, json_incref(final));
        }
        /* The recorded response is stored (and chainable) like a rendered one. */
        if (json_util_str(final, "id") && !lc.background &&
            lifecycle_create_end(srv, &lc, fx, final, items, context, out->stream, &err) != 0)
            goto out_error;
        goto out;
    }

    /* FX_RESPONSE: the final object first; the stream derives from it. */
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.previous_response_id = lc.prev_id;
    rc.conversation_id = lc.conversation[0] ? lc.conversation : NULL;
    rc.input_tokens = request_count_tokens(json_object_get(body, "instructions"), context, NULL);
    rc.background = lc.background;
    final = render_response(&rc);
    if (!final)
        goto out_oom;
    if (stream) {
        struct stream *s = render_response_stream(&rc, final, &fault, lc.background);
        if (!s)
            goto out_oom;
        if (lc.background)
            lifecycle_pace_stream(s, lifecycle_background_ms(fx));
        reply_stream(out, s, "text/event-stream; charset=utf-8");
    } else {
        reply_json(out, 200, lifecycle_create_reply(&lc, final));
        apply_body_fault(fx, &fault, out);
    }
    /* Conversation items, then the store (lifecycle.c). */
    if (lifecycle_create_end(srv, &lc, fx, final, items, context, out->stream, &err) != 0)
        goto out_error;
    goto out;

out_oom:
    api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory or over a limit");
out_error:
    reply_release(out);
    reply_error(out, &err);
out:
    json_decref(final);
    json_decref(context);
    json_decref(items);
    json_decref(outputs);
    json_decref(body);
    lifecycle_create_release(&lc);
    buf_release(&text);
}

/* ---- POST /v1/chat/completions ---------------------------------------- */

static void handle_chat(struct rm_server *srv, const struct rm_request *req, const char *arg,
                        struct rm_reply *out)
{
    struct api_error err;
    struct match_facts facts;
    struct fx_fault fault;
    struct render_ctx rc;
    const struct fixture *fx;
    json_t *body, *completion = NULL, *t;
    struct buf text;
    size_t i;
    int stream;

    (void)arg;
    buf_init(&text, RM_MAX_MATCH_TEXT);
    body = request_json(req, &err);
    if (!body || validate_chat_create(body, &err) != 0 || parse_fault(req, &fault, &err))
        goto out_error;
    stream = json_util_true(body, "stream");
    request_collect_text(json_object_get(body, "messages"), &text);
    memset(&facts, 0, sizeof(facts));
    facts.path = "/v1/chat/completions";
    facts.model = json_util_str(body, "model");
    facts.text = text.data ? text.data : "";
    json_array_foreach(json_object_get(body, "tools"), i, t) facts.tools = 1;
    facts.stream = stream;
    facts.body = body;
    facts.turn = 1;
    fx = select_fixture(srv, req, &facts, &err);
    if (!fx)
        goto out_error;
    if (begin_fixture_reply(fx, &fault, out))
        goto out;
    if (fx->kind == FX_TRANSCRIPT) {
        struct stream *s;
        if (!stream) {
            api_error_set(&err, 500, "server_error", NULL, NULL,
                          "respmock: transcript fixture '%s' can only answer streaming requests.",
                          fx->name);
            goto out_error;
        }
        s = render_transcript_stream(srv, fx, &fault);
        if (!s)
            goto out_oom;
        reply_stream(out, s, "text/event-stream; charset=utf-8");
        goto out;
    }
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.input_tokens = request_count_tokens(NULL, json_object_get(body, "messages"), NULL);
    completion = render_chat(&rc);
    if (!completion)
        goto out_oom;
    if (stream) {
        struct stream *s = render_chat_stream(&rc, completion, &fault);
        if (!s)
            goto out_oom;
        reply_stream(out, s, "text/event-stream; charset=utf-8");
    } else {
        reply_json(out, 200, json_incref(completion));
        apply_body_fault(fx, &fault, out);
    }
    goto out;
out_oom:
    api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory or over a limit");
out_error:
    reply_release(out);
    reply_error(out, &err);
out:
    json_decref(completion);
    json_decref(body);
    buf_release(&text);
}

/* ---- Models and health ------------------------------------------------ */

static json_t *model_object(struct rm_server *srv, const char *id)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "id", id, "object", "model", "created",
                     (json_int_t)1700000000, "owned_by", srv ? "respmock" : "respmock");
}

static void handle_models(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out)
{
    json_t *data = json_array(), *m;
    size_t i;

    (void)req;
    (void)arg;
    json_array_foreach(srv->fixtures.models, i, m)
        json_array_append_new(data, model_object(srv, json_string_value(m)));
    if (json_array_size(data) == 0)
        json_array_append_new(data, model_object(srv, "respmock"));
    reply_json(out, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

static void handle_model(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out)
{
    struct api_error err;
    json_t *m;
    size_t i;

    (void)req;
    json_array_foreach(srv->fixtures.models, i, m) if (strcmp(json_string_value(m), arg) == 0)
    {
        reply_json(out, 200, model_object(srv, arg));
        return;
    }
    if (json_array_size(srv->fixtures.models) == 0 && strcmp(arg, "respmock") == 0) {
        reply_json(out, 200, model_object(srv, arg));
        return;
    }
    api_error_set(&err, 404, "invalid_request_error", "model_not_found", "model",
                  "The model '%.200s' does not exist or you do not have access to it.", arg);
    reply_error(out, &err);
}

static void handle_health(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out)
{
    (void)req;
    (void)arg;
    reply_json(out, 200, json_pack("{s:s, s:I, s:I}", "status", "ok", "fixtures",
                                   (json_int_t)srv->fixtures.n, "stored",
                                   (json_int_t)store_count(srv->store)));
}

/* ---- Routing ---------------------------------------------------------- */

typedef void (*route_fn)(struct rm_server *, const struct rm_request *, const char *,
                         struct rm_reply *);

/* A pattern segment "*" captures one path segment, passed as 'arg'; with
 * two of them 'arg' is "first/second". */
struct route {
    const char *method;
    const char *pattern;
    route_fn fn;
    int auth;
};

static const struct route routes[] = {
    {"GET", "/healthz", handle_health, 0},
    {"POST", "/v1/responses", handle_create, 1},
    {"POST", "/v1/responses/input_tokens", lifecycle_input_tokens, 1},
    {"GET", "/v1/responses/*", lifecycle_get, 1},
    {"DELETE", "/v1/responses/*", lifecycle_delete, 1},
    {"POST", "/v1/responses/*/cancel", lifecycle_cancel, 1},
    {"GET", "/v1/responses/*/input_items", lifecycle_input_items, 1},
    {"POST", "/v1/chat/completions", handle_chat, 1},
    {"GET", "/v1/models", handle_models, 1},
    {"GET", "/v1/models/*", handle_model, 1},
    {"POST", "/v1/conversations", conversation_route_create, 1},
    {"GET", "/v1/conversations/*", conversation_route_get, 1},
    {"POST", "/v1/conversations/*", conversation_route_update, 1},
    {"DELETE", "/v1/conversations/*", conversation_route_delete, 1},
    {"GET", "/v1/conversations/*/items", conversation_route_items_list, 1},
    {"POST", "/v1/conversations/*/items", conversation_route_items_add, 1},
    {"GET", "/v1/conversations/*/items/*", conversation_route_item_get, 1},
    {"DELETE", "/v1/conversations/*/items/*", conversation_route_item_delete, 1},
    {"POST", "/__admin/reset", lifecycle_admin_reset, 0},
    {NULL, NULL, NULL, 0},
};

/* Match 'path' against 'pattern'; the "*" segments go to 'arg'. */
static int route_match(const char *pattern, const char *path, char *arg, size_t arg_len)
{
    arg[0] = '\0';
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/"), used = strlen(arg);
            if (n == 0 || used + n + 1 >= arg_len)
                return 0;
            if (used)
                arg[used++] = '/';
            memcpy(arg + used, path, n);
            arg[used + n] = '\0';
            path += n;
            pattern++;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

void handle_request(struct rm_server *srv, const struct rm_request *req, struct rm_reply *out)
{
    const struct route *r;
    struct api_error err;
    char arg[256];
    size_t len = strlen(req->path);
    char path[1024];

    memset(out, 0, sizeof(*out));
    /* Tolerate one trailing slash, as the SDKs' base-URL joins may add it. */
    snprintf(path, sizeof(path), "%s", req->path);
    if (len > 1 && len < sizeof(path) && path[len - 1] == '/')
        path[len - 1] = '\0';
    for (r = routes; r->method; r++) {
        if (strcmp(r->method, req->method) != 0 || !route_match(r->pattern, path, arg, sizeof(arg)))
            continue;
        if (r->auth && check_auth(srv, req, &err) != 0) {
            reply_error(out, &err);
            return;
        }
        if (req->body_too_large) {
            api_error_set(&err, 413, "invalid_request_error", "request_too_large", NULL,
                          "Request body too large: the limit is %zu bytes.", srv->cfg.max_body);
            reply_error(out, &err);
            return;
        }
        r->fn(srv, req, arg, out);
        return;
    }
    api_error_set(&err, 404, "invalid_request_error", NULL, NULL, "Invalid URL (%.16s %.300s)",
                  req->method, req->path);
    reply_error(out, &err);
}
