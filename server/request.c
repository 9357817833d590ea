/* request: reply builders and request readers shared by the handlers (see
 * request.h). */
#include "request.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compaction.h"
#include "contract.h"
#include "json_read.h"
#include "json_util.h"

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
    r->content_type = RM_CT_JSON;
    free(r->body);
    r->body = body ? json_util_dumps(body) : NULL;
    r->body_len = r->body ? strlen(r->body) : 0;
    json_decref(body);
    if (!r->body) {
        r->status = 500;
        r->body = strdup("{\"error\":{\"message\":\"respmock: out of memory\","
                         "\"type\":\"" RM_ERRTYPE_SERVER "\",\"param\":null,\"code\":null}}");
        r->body_len = r->body ? strlen(r->body) : 0;
        /* Our own 500: the SDKs must not retry it (see reply_error). */
        reply_header(r, "x-should-retry", "false");
    }
}

void reply_json_text(struct rm_reply *r, int status, const char *text, size_t len)
{
    char *body = malloc(len + 1);

    if (!body) {
        reply_json(r, status, NULL);
        return;
    }
    memcpy(body, text, len);
    body[len] = '\0';
    r->status = status;
    r->content_type = RM_CT_JSON;
    free(r->body);
    r->body = body;
    r->body_len = len;
}

void reply_error(struct rm_reply *r, const struct api_error *err)
{
    unsigned before = r->nheaders;

    /* Names only (the code and the param path), never the message: it may
     * quote what the client sent. */
    snprintf(r->note, sizeof(r->note), "%s code=%s param=%.80s", err->type ? err->type : "",
             err->code ? err->code : "null", err->param[0] ? err->param : "null");
    reply_json(r, err->status, envelope_build_flavor(err, r->flavor, r->request_id));
    /* The SDKs retry 408/409/429/5xx: tell them not to for our own errors
     * (reply_json already did when it had to answer 500 itself). */
    if (r->nheaders == before &&
        (err->status == 408 || err->status == 409 || err->status == 429 || err->status >= 500))
        reply_header(r, "x-should-retry", "false");
}

void reply_release(struct rm_reply *r)
{
    char request_id[sizeof(r->request_id)];
    enum rm_flavor flavor = r->flavor;
    int unmatched = r->unmatched;
    unsigned i;

    memcpy(request_id, r->request_id, sizeof(request_id));
    free(r->body);
    event_list_unref(r->events);
    stream_free(r->stream);
    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    memset(r, 0, sizeof(*r));
    memcpy(r->request_id, request_id, sizeof(request_id));
    r->flavor = flavor;
    r->unmatched = unmatched;
}

void reply_fail(struct rm_reply *r, const struct api_error *err)
{
    reply_release(r);
    reply_error(r, err);
}

void reply_raw(struct rm_reply *r, int status, const char *body, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy) {
        reply_json(r, 500, NULL);
        return;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    free(r->body);
    r->status = status;
    r->content_type = RM_CT_JSON;
    r->body = copy;
    r->body_len = len;
}

/* A 200 SSE reply (its body set by the caller). */
static void reply_sse(struct rm_reply *r)
{
    r->status = 200;
    r->content_type = RM_CT_SSE;
    reply_header(r, "cache-control", "no-cache");
}

void reply_events(struct rm_reply *r, struct event_list *events)
{
    event_list_unref(r->events);
    r->events = events;
    reply_sse(r);
}

void reply_stream(struct rm_reply *r, struct stream *st)
{
    stream_free(r->stream);
    r->stream = st;
    reply_sse(r);
}

void reply_fixture_flavor(struct rm_reply *r, const struct fixture *fx)
{
    char *body;
    json_t *e;

    if (fx->flavor != RM_FLAVOR_UNSET)
        r->flavor = fx->flavor;
    if (fx->kind != FX_ERROR || !fx->err_fields || r->flavor == RM_FLAVOR_OPENAI)
        return;
    e = envelope_build_flavor(fx->err_fields, r->flavor, r->request_id);
    body = e ? json_util_dumps(e) : NULL;
    json_decref(e);
    if (!body)
        return; /* out of memory: the pre-rendered body stays */
    free(r->body);
    r->body = body;
    r->body_len = strlen(body);
}

/* ---- Request helpers -------------------------------------------------- */

int request_check_model(const struct rm_request *req, const struct rm_reply *out,
                        const char *model, struct api_error *err)
{
    const struct fixture_set *set = req->fixtures;
    json_t *m;
    size_t i;

    if (out->flavor != RM_FLAVOR_COMETAPI || !model || req->fixture || !set)
        return 0;
    json_array_foreach(set->models, i, m) if (strcmp(json_string_value(m), model) == 0)
        return 0;
    if (json_array_size(set->models) == 0 && strcmp(model, "respmock") == 0)
        return 0; /* what GET /v1/models lists then */
    for (i = 0; i < set->n; i++)
        if (set->v[i].m_model && fnmatch(set->v[i].m_model, model, 0) == 0)
            return 0;
    return api_error_model_unavailable(err, model);
}

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
        doc = json_read(req->body, req->body_len); /* 42 -> invalid_type */
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
        const json_t *enc = json_object_get(v, "encrypted_content");

        for (k = keys; *k; k++)
            walk_text(json_object_get(v, *k), fn, user);
        /* a compaction item respmock made stands for the text it compacted */
        if (json_is_string(enc) && json_util_str(v, "type") &&
            strcmp(json_util_str(v, "type"), RM_ITEM_COMPACTION) == 0) {
            struct buf b;

            buf_init(&b, RM_MAX_COMPACTION_TEXT);
            if (compaction_decode(json_string_value(enc), json_string_length(enc), &b) == 1 &&
                b.len)
                fn(b.data, b.len, user);
            buf_release(&b);
        }
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

void request_compaction_text(const json_t *instructions, const json_t *context, struct buf *out)
{
    buf_init(out, RM_MAX_COMPACTION_TEXT);
    request_collect_text(instructions, out);
    request_collect_text(context, out);
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
    struct text_tally t = {0, 0, 0};

    request_tally(context, &t);
    return request_tally_tokens(instructions, &t, input);
}

void request_tally(const json_t *items, struct text_tally *t)
{
    struct text_count c = {0, 0};

    walk_text(items, count_piece, &c);
    t->items += json_array_size(items);
    t->bytes += c.bytes;
    t->pieces += c.pieces;
}

long request_tally_tokens(const json_t *instructions, const struct text_tally *context,
                          const json_t *input)
{
    struct text_count c = {context->bytes, context->pieces};

    walk_text(instructions, count_piece, &c);
    walk_text(input, count_piece, &c);
    /* The pieces joined with "\n", counted without building the text. */
    return (long)((c.bytes + (c.pieces ? c.pieces - 1 : 0) + 3) / 4);
}

static json_t *text_parts(const char *role, const json_t *content)
{
    if (json_is_string(content)) {
        int assistant = role && strcmp(role, "assistant") == 0;
        json_t *part = json_pack("{s:s, s:O}", "type", assistant ? RM_PART_OUTPUT_TEXT : RM_PART_INPUT_TEXT,
                                 "text", content);
        if (assistant) {
            json_object_set_new(part, "annotations", json_array());
        }
        return json_pack("[o]", part);
    }
    return json_is_array(content) ? json_deep_copy(content) : json_array();
}

void request_tally_input(const json_t *input, struct text_tally *t)
{
    struct text_count c = {0, 0};

    walk_text(input, count_piece, &c);
    t->items++;
    t->bytes += c.bytes;
    t->pieces += c.pieces;
}

int request_input_json(struct rm_server *srv, const json_t *input, struct buf *out)
{
    char id[64];

    if (!json_is_string(input))
        return -1;
    server_new_id(srv, RM_ID_MESSAGE, 32, id, sizeof(id));
    /* The keys in request_normalise_input's order, the text as jansson
     * dumps a string (test_request: input_json_is_the_items_dumped). */
    if (buf_append_str(out, "[{\"id\":\"") != 0 || buf_append_str(out, id) != 0 ||
        buf_append_str(out, "\",\"type\":\"" RM_ITEM_MESSAGE "\",\"role\":\"user\",\"status\":\""
                            RM_STATUS_COMPLETED "\",\"content\":[{\"type\":\"" RM_PART_INPUT_TEXT
                            "\",\"text\":") != 0 ||
        json_util_dump_append(input, out) != 0 ||
        buf_append_str(out, "}]}]") != 0)
        return -1;
    return 0;
}

json_t *request_normalise_input(struct rm_server *srv, const json_t *input)
{
    json_t *out = json_array(), *it;
    char id[64];
    size_t i;

    if (json_is_string(input)) {
        server_new_id(srv, RM_ID_MESSAGE, 32, id, sizeof(id));
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "type",
                                             RM_ITEM_MESSAGE, "role", "user", "status",
                                             RM_STATUS_COMPLETED,
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
            json_object_set_new(c, "type", json_string(RM_ITEM_MESSAGE));
            type = RM_ITEM_MESSAGE;
        }
        if (type && strcmp(type, RM_ITEM_MESSAGE) == 0) {
            json_object_set_new(c, "content", text_parts(role, json_object_get(c, "content")));
            if (!json_object_get(c, "status"))
                json_object_set_new(c, "status", json_string(RM_STATUS_COMPLETED));
        }
        if (!json_util_str(c, "id")) {
            server_new_id(srv, contract_item_id_prefix(type), 32, id, sizeof(id));
            json_object_set_new(c, "id", json_string(id));
        }
        json_array_append_new(out, c);
    }
    return out;
}

int request_query_long(const char *s, long min, long max, long *out)
{
    char *end;

    if (!s || !*s)
        return -1;
    *out = strtol(s, &end, 10);
    return *end || *out < min || *out > max ? -1 : 0;
}

/* ---- Lists ------------------------------------------------------------ */

int request_check_list_query(const struct rm_request *req, struct rm_reply *out)
{
    const char *limit = request_query(req, "limit"), *order = request_query(req, "order");
    struct api_error err;
    long v;

    if (limit && request_query_long(limit, 1, RM_LIST_MAX_LIMIT, &v) != 0) {
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

void reply_list(struct rm_reply *out, const struct rm_request *req, const json_t *items)
{
    const char *limit_s = request_query(req, "limit"), *order = request_query(req, "order");
    const char *after = request_query(req, "after");
    long limit = RM_LIST_DEFAULT_LIMIT;
    int desc = !(order && strcmp(order, "asc") == 0);
    size_t i, n = json_array_size(items), start = 0;
    json_t *data = json_array();

    if (limit_s)
        request_query_long(limit_s, 1, RM_LIST_MAX_LIMIT, &limit);
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

