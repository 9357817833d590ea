/* conversation: conversation store and routes (see conversation.h).
 *
 * Conversations sit in a list in creation order (for eviction) and in a
 * jansson object used as the id index, whose values are integers holding
 * the struct pointer. Everything is under one mutex; it is held only to
 * find, link and take references, never to render JSON. The public object
 * of a conversation is replaced, never changed, when its metadata is
 * updated, so a reference handed out stays valid and constant. */
#include "conversation.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "lifecycle.h"
#include "validate.h"

struct conversation {
    char id[64];
    json_t *object;               /* {"id","object","created_at","metadata"}, immutable */
    json_t *items;                /* oldest first; changed only under the lock */
    int turns;                    /* responses added through POST /v1/responses */
    struct conversation *older, *newer;
};

struct conversation_store {
    pthread_mutex_t lock;
    json_t *index;                /* id -> integer: (intptr_t) struct conversation * */
    struct conversation *oldest, *newest;
    unsigned count, max, max_items;
};

struct conversation_store *conversation_store_new(unsigned max_conversations, unsigned max_items)
{
    struct conversation_store *cs = calloc(1, sizeof(*cs));

    if (!cs)
        return NULL;
    cs->index = json_object();
    if (!cs->index) {
        free(cs);
        return NULL;
    }
    cs->max = max_conversations ? max_conversations : 1;
    cs->max_items = max_items;
    pthread_mutex_init(&cs->lock, NULL);
    return cs;
}

static void conv_free(struct conversation *c)
{
    while (c) {
        struct conversation *next = c->newer;
        json_decref(c->object);
        json_decref(c->items);
        free(c);
        c = next;
    }
}

/* Caller holds the lock. */
static struct conversation *conv_find(struct conversation_store *cs, const char *id)
{
    json_t *v = json_object_get(cs->index, id);

    return v ? (struct conversation *)(intptr_t)json_integer_value(v) : NULL;
}

/* Take 'c' out of the list and the index. Caller holds the lock. */
static void conv_unlink(struct conversation_store *cs, struct conversation *c)
{
    json_object_del(cs->index, c->id);
    if (c->older)
        c->older->newer = c->newer;
    else
        cs->oldest = c->newer;
    if (c->newer)
        c->newer->older = c->older;
    else
        cs->newest = c->older;
    c->older = c->newer = NULL;
    cs->count--;
}

void conversation_store_clear(struct conversation_store *cs)
{
    struct conversation *all;

    pthread_mutex_lock(&cs->lock);
    all = cs->oldest;
    cs->oldest = cs->newest = NULL;
    cs->count = 0;
    json_object_clear(cs->index);
    pthread_mutex_unlock(&cs->lock);
    conv_free(all);
}

void conversation_store_free(struct conversation_store *cs)
{
    if (!cs)
        return;
    conversation_store_clear(cs);
    json_decref(cs->index);
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

size_t conversation_store_count(struct conversation_store *cs)
{
    size_t n;

    pthread_mutex_lock(&cs->lock);
    n = cs->count;
    pthread_mutex_unlock(&cs->lock);
    return n;
}

/* Keep 'c' (owned by the store from now on); evicts the oldest when full. */
static int conv_add(struct conversation_store *cs, struct conversation *c)
{
    struct conversation *evicted = NULL;

    pthread_mutex_lock(&cs->lock);
    if (json_object_set_new(cs->index, c->id, json_integer((json_int_t)(intptr_t)c)) != 0) {
        pthread_mutex_unlock(&cs->lock);
        return -1;
    }
    c->older = cs->newest;
    if (cs->newest)
        cs->newest->newer = c;
    else
        cs->oldest = c;
    cs->newest = c;
    cs->count++;
    if (cs->count > cs->max) {
        evicted = cs->oldest;
        conv_unlink(cs, evicted);
    }
    pthread_mutex_unlock(&cs->lock);
    conv_free(evicted);
    return 0;
}

int conversation_snapshot(struct conversation_store *cs, const char *id, json_t **items,
                          int *turns)
{
    struct conversation *c;

    *items = NULL;
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c) {
        *items = json_copy(c->items); /* shallow: the items are shared, immutable */
        *turns = c->turns;
    }
    pthread_mutex_unlock(&cs->lock);
    if (c && !*items)
        *items = json_array();
    return c ? 0 : -1;
}

int conversation_append(struct conversation_store *cs, const char *id, const json_t *items,
                        int turn)
{
    struct conversation *c;
    int rc = 0;

    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (!c)
        rc = -1;
    else if (json_array_size(c->items) + json_array_size(items) > cs->max_items)
        rc = -2;
    else {
        json_array_extend(c->items, (json_t *)items);
        if (turn)
            c->turns++;
    }
    pthread_mutex_unlock(&cs->lock);
    return rc;
}

/* ---- Routes ----------------------------------------------------------- */

static void conv_not_found(struct rm_reply *out, const char *id)
{
    struct api_error err;

    api_error_set(&err, 404, "invalid_request_error", NULL, NULL,
                  "Conversation with id '%.200s' not found.", id);
    reply_error(out, &err);
}

static void item_not_found(struct rm_reply *out, const char *id)
{
    struct api_error err;

    api_error_set(&err, 404, "invalid_request_error", NULL, NULL,
                  "Item with id '%.200s' not found.", id);
    reply_error(out, &err);
}

static void too_many_items(struct rm_reply *out, const char *id, unsigned max)
{
    struct api_error err;

    api_error_invalid(&err, "conversation_too_large", "items",
                      "Conversation '%.200s' would have more than %u items.", id, max);
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

void conversation_route_create(struct rm_server *srv, const struct rm_request *req,
                               const char *arg, struct rm_reply *out)
{
    struct api_error err;
    json_t *body = body_object(req, &err), *metadata, *items;
    struct conversation *c;

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
    if (json_array_size(items) > srv->conversations->max_items) {
        api_error_invalid(&err, "array_above_max_length", "items",
                          "Invalid 'items': at most %u items.", srv->conversations->max_items);
        goto out_error;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
        goto out_error;
    }
    server_new_id(srv, "conv_", 48, c->id, sizeof(c->id));
    c->items = items ? request_normalise_input(srv, items) : json_array();
    c->object = json_pack("{s:s, s:s, s:I, s:o}", "id", c->id, "object", "conversation",
                          "created_at", (json_int_t)server_unix_time(), "metadata",
                          metadata ? json_deep_copy(metadata) : json_object());
    if (!c->items || !c->object) {
        conv_free(c);
        api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
        goto out_error;
    }
    reply_json(out, 200, json_incref(c->object));
    if (conv_add(srv->conversations, c) != 0) {
        conv_free(c);
        reply_release(out);
        api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
        goto out_error;
    }
    json_decref(body);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

/* The public object of 'id' (new reference) or NULL. */
static json_t *conv_get_object(struct conversation_store *cs, const char *id)
{
    struct conversation *c;
    json_t *o = NULL;

    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c)
        o = json_incref(c->object);
    pthread_mutex_unlock(&cs->lock);
    return o;
}

void conversation_route_get(struct rm_server *srv, const struct rm_request *req, const char *id,
                            struct rm_reply *out)
{
    json_t *o = conv_get_object(srv->conversations, id);

    (void)req;
    if (!o)
        conv_not_found(out, id);
    else
        reply_json(out, 200, o);
}

void conversation_route_update(struct rm_server *srv, const struct rm_request *req,
                               const char *id, struct rm_reply *out)
{
    struct conversation_store *cs = srv->conversations;
    struct api_error err;
    json_t *body = body_object(req, &err), *metadata, *fresh = NULL, *old = NULL;
    struct conversation *c;

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
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c) {
        old = c->object;
        fresh = json_pack("{s:O, s:s, s:O, s:o}", "id", json_object_get(old, "id"), "object",
                          "conversation", "created_at", json_object_get(old, "created_at"),
                          "metadata", json_is_object(metadata) ? json_deep_copy(metadata)
                                                               : json_object());
        if (fresh)
            c->object = fresh;
        else
            old = NULL;
        json_incref(fresh);
    }
    pthread_mutex_unlock(&cs->lock);
    json_decref(old);
    json_decref(body);
    if (!c)
        conv_not_found(out, id);
    else if (!fresh) {
        api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
        reply_error(out, &err);
    } else
        reply_json(out, 200, fresh);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

void conversation_route_delete(struct rm_server *srv, const struct rm_request *req,
                               const char *id, struct rm_reply *out)
{
    struct conversation_store *cs = srv->conversations;
    struct conversation *c;

    (void)req;
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, id);
    if (c)
        conv_unlink(cs, c);
    pthread_mutex_unlock(&cs->lock);
    if (!c) {
        conv_not_found(out, id);
        return;
    }
    conv_free(c);
    reply_json(out, 200, json_pack("{s:s, s:s, s:b}", "id", id, "object",
                                   "conversation.deleted", "deleted", 1));
}

void conversation_route_items_list(struct rm_server *srv, const struct rm_request *req,
                                   const char *id, struct rm_reply *out)
{
    json_t *items;
    int turns;

    if (lifecycle_check_list_query(req, out) != 0)
        return;
    if (conversation_snapshot(srv->conversations, id, &items, &turns) != 0) {
        conv_not_found(out, id);
        return;
    }
    lifecycle_reply_list(req, items, out);
    json_decref(items);
}

void conversation_route_items_add(struct rm_server *srv, const struct rm_request *req,
                                  const char *id, struct rm_reply *out)
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
    if (rc == -1)
        conv_not_found(out, id);
    else if (rc == -2)
        too_many_items(out, id, srv->conversations->max_items);
    else if (rc != 0) {
        api_error_set(&err, 500, "server_error", NULL, NULL, "respmock: out of memory");
        reply_error(out, &err);
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

/* Index of the item 'item_id' in 'items', or -1. */
static long item_index(const json_t *items, const char *item_id)
{
    size_t i;
    json_t *it;

    json_array_foreach(items, i, it) {
        const char *iid = json_util_str(it, "id");
        if (iid && strcmp(iid, item_id) == 0)
            return (long)i;
    }
    return -1;
}

void conversation_route_item_get(struct rm_server *srv, const struct rm_request *req,
                                 const char *ids, struct rm_reply *out)
{
    struct conversation_store *cs = srv->conversations;
    struct conversation *c;
    const char *item_id = NULL;
    char conv[128];
    json_t *item = NULL;

    (void)req;
    if (split_ids(ids, conv, sizeof(conv), &item_id) != 0) {
        conv_not_found(out, ids);
        return;
    }
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, conv);
    if (c) {
        long i = item_index(c->items, item_id);
        if (i >= 0)
            item = json_incref(json_array_get(c->items, (size_t)i));
    }
    pthread_mutex_unlock(&cs->lock);
    if (!c)
        conv_not_found(out, conv);
    else if (!item)
        item_not_found(out, item_id);
    else
        reply_json(out, 200, item);
}

void conversation_route_item_delete(struct rm_server *srv, const struct rm_request *req,
                                    const char *ids, struct rm_reply *out)
{
    struct conversation_store *cs = srv->conversations;
    struct conversation *c;
    const char *item_id = NULL;
    char conv[128];
    json_t *object = NULL, *gone = NULL;
    int found = 0;

    (void)req;
    if (split_ids(ids, conv, sizeof(conv), &item_id) != 0) {
        conv_not_found(out, ids);
        return;
    }
    pthread_mutex_lock(&cs->lock);
    c = conv_find(cs, conv);
    if (c) {
        long i = item_index(c->items, item_id);
        if (i >= 0) {
            /* Keep the item alive past the lock so it is freed outside it. */
            gone = json_incref(json_array_get(c->items, (size_t)i));
            json_array_remove(c->items, (size_t)i);
            found = 1;
        }
        object = json_incref(c->object);
    }
    pthread_mutex_unlock(&cs->lock);
    json_decref(gone);
    if (!c)
        conv_not_found(out, conv);
    else if (!found) {
        json_decref(object);
        item_not_found(out, item_id);
    } else
        reply_json(out, 200, object);
}
