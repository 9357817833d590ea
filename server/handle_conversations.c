/* handle_conversations: the Conversations API routes (see
 * handle_conversations.h). */
#include "handle_conversations.h"

#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "conversation.h"
#include "json_util.h"
#include "validate.h"

static void conv_not_found(struct rm_reply *out, const char *id)
{
    struct api_error err;

    api_error_not_found(&err, NULL, "Conversation with id '%.200s' not found.", id);
    reply_error(out, &err);
}

static void item_not_found(struct rm_reply *out, const char *id)
{
    struct api_error err;

    api_error_not_found(&err, NULL, "Item with id '%.200s' not found.", id);
    reply_error(out, &err);
}

static void out_of_memory(struct rm_reply *out)
{
    struct api_error err;

    api_error_oom(&err);
    reply_fail(out, &err);
}

/* A failed store call 'rc' other than unknown (-1): Redis lost (503, with
 * --state) or out of memory. */
static void store_failed(struct rm_reply *out, int rc)
{
    struct api_error err;

    if (rc != CONVERSATION_UNAVAILABLE) {
        out_of_memory(out);
        return;
    }
    api_error_state_unavailable(&err);
    reply_error(out, &err);
}

/* The body as an object; an empty body counts as {}. New reference. */
static json_t *body_object(const struct rm_request *req, struct api_error *err)
{
    if (!req->body || req->body_len == 0 || req->body[strspn(req->body, " \t\r\n")] == '\0')
        return json_object();
    return request_json(req, err);
}

/* Check 'metadata' and 'items' with the Responses rules (metadata limits,
 * input item shapes), reporting item problems under "items". */
static int check_fields(const json_t *metadata, const json_t *items, struct api_error *err)
{
    json_t *probe = json_object();
    int rc;

    if (metadata)
        json_object_set(probe, "metadata", (json_t *)metadata);
    if (items) {
        if (!json_is_array(items)) {
            json_decref(probe);
            return api_error_invalid(err, "invalid_type", "items",
                                     "Invalid type for 'items': expected an array.");
        }
        json_object_set(probe, "input", (json_t *)items);
    }
    rc = validate_input_tokens(probe, err);
    json_decref(probe);
    if (rc != 0 && strncmp(err->param, "input", 5) == 0) {
        char param[API_ERROR_PARAM_MAX];
        snprintf(param, sizeof(param), "items%s", err->param + 5);
        snprintf(err->param, sizeof(err->param), "%s", param);
    }
    return rc;
}

/* 400 conversation_too_large: conversation 'id' would go over its item
 * limit, or alone over --max-conversation-bytes. */
static void too_large(struct rm_server *srv, const char *id, struct api_error *err)
{
    api_error_invalid(err, "conversation_too_large", "items",
                      "Conversation '%.200s' would have more than %u items or %zu bytes.", id,
                      conversation_store_max_items(srv->conversations),
                      srv->cfg.max_conversation_bytes);
}

void conversations_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out)
{
    unsigned max_items = conversation_store_max_items(srv->conversations);
    struct api_error err;
    json_t *body = body_object(req, &err), *metadata, *items, *object;
    char id[64];
    int rc;

    (void)arg;
    if (!body)
        goto out_error;
    metadata = json_object_get(body, "metadata");
    items = json_object_get(body, "items");
    if (json_is_null(metadata))
        metadata = NULL;
    if (json_is_null(items))
        items = NULL;
    if (check_fields(metadata, items, &err) != 0)
        goto out_error;
    if (json_array_size(items) > max_items) {
        api_error_invalid(&err, "array_above_max_length", "items",
                          "Invalid 'items': at most %u items.", max_items);
        goto out_error;
    }
    server_new_id(srv, RM_ID_CONVERSATION, 48, id, sizeof(id));
    object = json_pack("{s:s, s:s, s:I, s:o}", "id", id, "object", RM_OBJ_CONVERSATION, "created_at",
                       (json_int_t)server_unix_time(), "metadata",
                       metadata ? json_deep_copy(metadata) : json_object());
    reply_json(out, 200, json_incref(object));
    rc = conversation_add(srv->conversations, id, object,
                          items ? request_normalise_input(srv, items) : json_array());
    if (rc != 0) {
        if (rc == -2)
            too_large(srv, id, &err);
        else if (rc == CONVERSATION_UNAVAILABLE)
            api_error_state_unavailable(&err);
        else
            api_error_oom(&err);
        reply_release(out);
        goto out_error;
    }
    json_decref(body);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

void conversations_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                       struct rm_reply *out)
{
    json_t *o;
    int rc = conversation_get(srv->conversations, id, &o);

    (void)req;
    if (rc == -1)
        conv_not_found(out, id);
    else if (rc != 0)
        store_failed(out, rc);
    else
        reply_json(out, 200, o);
}

void conversations_update(struct rm_server *srv, const struct rm_request *req, const char *id,
                          struct rm_reply *out)
{
    struct api_error err;
    json_t *body = body_object(req, &err), *metadata, *fresh = NULL;
    int rc;

    if (!body)
        goto out_error;
    metadata = json_object_get(body, "metadata");
    if (!metadata) {
        api_error_invalid(&err, "missing_required_parameter", "metadata",
                          "Missing required parameter: 'metadata'.");
        goto out_error;
    }
    if (!json_is_null(metadata) && check_fields(metadata, NULL, &err) != 0)
        goto out_error;
    rc = conversation_set_metadata(srv->conversations, id, metadata, &fresh);
    json_decref(body);
    if (rc == -1)
        conv_not_found(out, id);
    else if (rc != 0)
        store_failed(out, rc);
    else
        reply_json(out, 200, fresh);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

void conversations_delete(struct rm_server *srv, const struct rm_request *req, const char *id,
                          struct rm_reply *out)
{
    int rc = conversation_delete(srv->conversations, id);

    (void)req;
    if (rc != 0) {
        if (rc == -1)
            conv_not_found(out, id);
        else
            store_failed(out, rc);
        return;
    }
    reply_json(out, 200, json_pack("{s:s, s:s, s:b}", "id", id, "object",
                                   RM_OBJ_CONVERSATION_DELETED, "deleted", 1));
}

void conversations_items_list(struct rm_server *srv, const struct rm_request *req,
                              const char *id, struct rm_reply *out)
{
    json_t *items;
    int turns, rc;

    if (request_check_list_query(req, out) != 0)
        return;
    rc = conversation_snapshot(srv->conversations, id, &items, &turns);
    if (rc != 0) {
        if (rc == -1)
            conv_not_found(out, id);
        else
            store_failed(out, rc);
        return;
    }
    reply_list(out, req, items);
    json_decref(items);
}

void conversations_items_add(struct rm_server *srv, const struct rm_request *req, const char *id,
                             struct rm_reply *out)
{
    struct api_error err;
    json_t *body = body_object(req, &err), *items, *added = NULL;
    int rc;

    if (!body)
        goto out_error;
    items = json_object_get(body, "items");
    if (!items) {
        api_error_invalid(&err, "missing_required_parameter", "items",
                          "Missing required parameter: 'items'.");
        goto out_error;
    }
    if (check_fields(NULL, items, &err) != 0)
        goto out_error;
    added = request_normalise_input(srv, items);
    rc = added ? conversation_append(srv->conversations, id, added, 0) : -3;
    if (rc == -1) {
        conv_not_found(out, id);
    } else if (rc == -2) {
        too_large(srv, id, &err);
        reply_error(out, &err);
    } else if (rc != 0) {
        store_failed(out, rc);
    } else {
        size_t n = json_array_size(added);
        reply_json(out, 200,
                   json_pack("{s:s, s:O, s:O, s:O, s:b}", "object", "list", "data", added,
                             "first_id",
                             n ? json_object_get(json_array_get(added, 0), "id") : json_null(),
                             "last_id",
                             n ? json_object_get(json_array_get(added, n - 1), "id")
                               : json_null(),
                             "has_more", 0));
    }
    json_decref(added);
    json_decref(body);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

/* Split "conv_id/item_id" into its two parts. Returns 0 or -1. */
static int split_ids(const char *ids, char *conv, size_t conv_len, const char **item)
{
    const char *slash = strchr(ids, '/');

    if (!slash || (size_t)(slash - ids) >= conv_len || !slash[1])
        return -1;
    memcpy(conv, ids, (size_t)(slash - ids));
    conv[slash - ids] = '\0';
    *item = slash + 1;
    return 0;
}

/* GET or DELETE one item: 'del' selects DELETE. */
static void item_route(struct rm_server *srv, const char *ids, int del, struct rm_reply *out)
{
    const char *item_id = NULL;
    json_t *answer = NULL;
    char conv[128];
    int rc;

    if (split_ids(ids, conv, sizeof(conv), &item_id) != 0) {
        conv_not_found(out, ids);
        return;
    }
    rc = del ? conversation_item_delete(srv->conversations, conv, item_id, &answer)
             : conversation_item_get(srv->conversations, conv, item_id, &answer);
    if (rc == -1)
        conv_not_found(out, conv);
    else if (rc == -2)
        item_not_found(out, item_id);
    else if (rc != 0)
        store_failed(out, rc);
    else
        reply_json(out, 200, answer);
}

void conversations_item_get(struct rm_server *srv, const struct rm_request *req, const char *ids,
                            struct rm_reply *out)
{
    (void)req;
    item_route(srv, ids, 0, out);
}

void conversations_item_delete(struct rm_server *srv, const struct rm_request *req,
                               const char *ids, struct rm_reply *out)
{
    (void)req;
    item_route(srv, ids, 1, out);
}
