/* router: route table, auth and size gate (see router.h). */
#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "contract.h"
#include "handle_chat.h"
#include "handle_conversations.h"
#include "handle_responses.h"
#include "handle_service.h"
#include "handle_stored.h"

const struct route router_routes[] = {
    {"GET", "/healthz", service_health, 0},
    {"POST", "/v1/responses", responses_create, 1},
    {"POST", "/v1/responses/input_tokens", responses_input_tokens, 1},
    {"GET", "/v1/responses/*", stored_get, 1},
    {"DELETE", "/v1/responses/*", stored_delete, 1},
    {"POST", "/v1/responses/*/cancel", stored_cancel, 1},
    {"GET", "/v1/responses/*/input_items", stored_input_items, 1},
    {"POST", "/v1/chat/completions", chat_create, 1},
    {"GET", "/v1/models", service_models, 1},
    {"GET", "/v1/models/*", service_model, 1},
    {"POST", "/v1/conversations", conversations_create, 1},
    {"GET", "/v1/conversations/*", conversations_get, 1},
    {"POST", "/v1/conversations/*", conversations_update, 1},
    {"DELETE", "/v1/conversations/*", conversations_delete, 1},
    {"GET", "/v1/conversations/*/items", conversations_items_list, 1},
    {"POST", "/v1/conversations/*/items", conversations_items_add, 1},
    {"GET", "/v1/conversations/*/items/*", conversations_item_get, 1},
    {"DELETE", "/v1/conversations/*/items/*", conversations_item_delete, 1},
    {"POST", "/__admin/reset", service_admin_reset, 0},
    {NULL, NULL, NULL, 0},
};

/* Match 'path' against 'pattern'; the "*" segments go to 'arg'. */
static int pattern_match(const char *pattern, const char *path, char *arg, size_t arg_len)
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

const struct route *router_match(const char *method, const char *path, char *arg,
                                 size_t arg_len)
{
    const struct route *r;
    size_t len = strlen(path);
    char p[1024];

    /* Tolerate one trailing slash, as the SDKs' base-URL joins may add it. */
    snprintf(p, sizeof(p), "%s", path);
    if (len > 1 && len < sizeof(p) && p[len - 1] == '/')
        p[len - 1] = '\0';
    for (r = router_routes; r->method; r++)
        if (strcmp(r->method, method) == 0 && pattern_match(r->pattern, p, arg, arg_len))
            return r;
    return NULL;
}

static int check_auth(struct rm_server *srv, const struct rm_request *req, struct api_error *err)
{
    const char *h = req->authorization, *token;
    unsigned i;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !*(token = h + 7 + strspn(h + 7, " ")))
        return api_error_set(err, 401, RM_ERRTYPE_INVALID_REQUEST, NULL, NULL,
                             "You didn't provide an API key. You need to provide your API key "
                             "in an Authorization header using Bearer auth (i.e. Authorization: "
                             "Bearer YOUR_KEY), or as the password field (with blank username) "
                             "if you're accessing the API from your browser and are prompted for "
                             "a username and password. You can obtain an API key from "
                             "https://platform.openai.com/account/api-keys.");
    if (strncmp(token, RM_REJECTED_KEY_PREFIX, strlen(RM_REJECTED_KEY_PREFIX)) != 0) {
        if (srv->cfg.n_api_keys == 0)
            return 0;
        for (i = 0; i < srv->cfg.n_api_keys; i++)
            if (strcmp(srv->cfg.api_keys[i], token) == 0)
                return 0;
    }
    /* Like the real API, show only the ends of the key. */
    {
        size_t n = strlen(token);
        char shown[32];

        if (n > 8)
            snprintf(shown, sizeof(shown), "%.3s***%s", token, token + n - 4);
        else
            snprintf(shown, sizeof(shown), "***");
        return api_error_set(err, 401, RM_ERRTYPE_INVALID_REQUEST, "invalid_api_key", NULL,
                             "Incorrect API key provided: %s. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.",
                             shown);
    }
}

void router_handle(struct rm_server *srv, const struct rm_request *req, struct rm_reply *out)
{
    const struct route *r;
    struct api_error err;
    char arg[256];

    memset(out, 0, sizeof(*out));
    r = router_match(req->method, req->path, arg, sizeof(arg));
    if (!r) {
        api_error_not_found(&err, NULL, "Invalid URL (%.16s %.300s)", req->method, req->path);
        reply_error(out, &err);
        return;
    }
    if (r->auth && check_auth(srv, req, &err) != 0) {
        reply_error(out, &err);
        return;
    }
    if (req->body_too_large) {
        api_error_set(&err, 413, RM_ERRTYPE_INVALID_REQUEST, "request_too_large", NULL,
                      "Request body too large: the limit is %zu bytes.", srv->cfg.max_body);
        reply_error(out, &err);
        return;
    }
    r->fn(srv, req, arg, out);
}
