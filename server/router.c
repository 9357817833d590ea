/* router: route table, framing gate (URI, headers, unsafe paths), auth and
 * body-size gate (see router.h). */
#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "contract.h"
#include "handle_admin.h"
#include "handle_chat.h"
#include "handle_conversations.h"
#include "handle_responses.h"
#include "handle_service.h"
#include "handle_stored.h"

const struct route router_routes[] = {
    {"GET", "/healthz", service_health, ROUTE_OPEN},
    {"POST", "/v1/responses", responses_create, ROUTE_BEARER},
    {"GET", "/v1/responses", responses_websocket, ROUTE_UPGRADE},
    {"POST", "/v1/responses/input_tokens", responses_input_tokens, ROUTE_BEARER},
    {"POST", "/v1/responses/compact", responses_compact, ROUTE_BEARER},
    {"GET", "/v1/responses/*", stored_get, ROUTE_BEARER},
    {"DELETE", "/v1/responses/*", stored_delete, ROUTE_BEARER},
    {"POST", "/v1/responses/*/cancel", stored_cancel, ROUTE_BEARER},
    {"GET", "/v1/responses/*/input_items", stored_input_items, ROUTE_BEARER},
    {"POST", "/v1/chat/completions", chat_create, ROUTE_BEARER},
    {"GET", "/v1/models", service_models, ROUTE_BEARER},
    {"GET", "/v1/models/*", service_model, ROUTE_BEARER},
    {"POST", "/v1/conversations", conversations_create, ROUTE_BEARER},
    {"GET", "/v1/conversations/*", conversations_get, ROUTE_BEARER},
    {"POST", "/v1/conversations/*", conversations_update, ROUTE_BEARER},
    {"DELETE", "/v1/conversations/*", conversations_delete, ROUTE_BEARER},
    {"GET", "/v1/conversations/*/items", conversations_items_list, ROUTE_BEARER},
    {"POST", "/v1/conversations/*/items", conversations_items_add, ROUTE_BEARER},
    {"GET", "/v1/conversations/*/items/*", conversations_item_get, ROUTE_BEARER},
    {"DELETE", "/v1/conversations/*/items/*", conversations_item_delete, ROUTE_BEARER},
    {"POST", "/__admin/reset", admin_reset, ROUTE_ADMIN},
    {"GET", "/__admin/requests", admin_requests_list, ROUTE_ADMIN},
    {"DELETE", "/__admin/requests", admin_requests_clear, ROUTE_ADMIN},
    {"POST", "/__admin/requests/verify", admin_requests_verify, ROUTE_ADMIN},
    {"GET", "/__admin/fixtures", admin_fixtures_list, ROUTE_ADMIN},
    {"POST", "/__admin/fixtures", admin_fixtures_put, ROUTE_ADMIN},
    {"POST", "/__admin/fixtures/reload", admin_fixtures_reload, ROUTE_ADMIN},
    {"DELETE", "/__admin/fixtures/*", admin_fixtures_delete, ROUTE_ADMIN},
    {"GET", "/__admin/scenarios", admin_scenarios, ROUTE_ADMIN},
    {NULL, NULL, NULL, ROUTE_OPEN},
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
    str_copy(p, sizeof(p), path, len);
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

/* The admin API: with --admin-token only that token, from anywhere;
 * without it, only clients on loopback. */
static int check_admin(struct rm_server *srv, const struct rm_request *req, struct api_error *err)
{
    const char *want = srv->cfg.admin_token, *got = req->admin_token;

    if (want) {
        size_t n = strlen(want), i;
        unsigned char diff = 0;

        if (!got || strlen(got) != n)
            return api_error_set(err, 401, RM_ERRTYPE_INVALID_REQUEST, "invalid_admin_token",
                                 NULL, "respmock: the admin API needs the x-respmock-admin-token "
                                       "header with the --admin-token value.");
        for (i = 0; i < n; i++) /* the same time for every wrong token */
            diff |= (unsigned char)(want[i] ^ got[i]);
        return diff ? api_error_set(err, 401, RM_ERRTYPE_INVALID_REQUEST, "invalid_admin_token",
                                    NULL, "respmock: wrong x-respmock-admin-token.")
                    : 0;
    }
    if (!req->from_loopback)
        return api_error_set(err, 403, RM_ERRTYPE_INVALID_REQUEST, "admin_not_allowed", NULL,
                             "respmock: the admin API answers only on loopback unless "
                             "respmock runs with --admin-token.");
    return 0;
}

/* Whether 'path' (decoded) has a control byte: such a path is never routed
 * (an id is never cut at one). */
static int has_control_byte(const char *path)
{
    const unsigned char *p;

    for (p = (const unsigned char *)path; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* The limits on what came before the body, as the real API's front end
 * answers them, in the error envelope. Returns 0, or -1 with 'err' set. */
static int check_framing(const struct rm_request *req, struct api_error *err)
{
    if (req->uri_bytes > RM_MAX_URI_BYTES || req->uri_args > RM_MAX_URI_ARGS)
        return api_error_set(err, 414, RM_ERRTYPE_INVALID_REQUEST, "uri_too_long", NULL,
                             "Request-URI too long: the limit is %d bytes and %d query "
                             "arguments.",
                             RM_MAX_URI_BYTES, RM_MAX_URI_ARGS);
    if (req->header_count > RM_MAX_HEADERS || req->header_bytes > RM_MAX_HEADER_BYTES)
        return api_error_set(err, 431, RM_ERRTYPE_INVALID_REQUEST,
                             "request_header_fields_too_large", NULL,
                             "Request header fields too large: the limit is %d header lines "
                             "and %u bytes.",
                             RM_MAX_HEADERS, RM_MAX_HEADER_BYTES);
    if (req->path_unsafe || has_control_byte(req->path))
        return api_error_not_found(err, NULL,
                                   "Invalid URL (%.16s %.300s): a path with a control byte "
                                   "or an encoded slash names nothing",
                                   req->method, req->raw_path ? req->raw_path : req->path);
    return 0;
}

void router_handle(struct rm_server *srv, const struct rm_request *req, struct rm_reply *out)
{
    const struct route *r;
    struct api_error err;
    struct rm_request local;
    char arg[256];

    memset(out, 0, sizeof(*out));
    /* Chosen now, so an error can quote it (CometAPI's "(request id: ...)");
     * the admin API is respmock's own and keeps the OpenAI shape. */
    server_new_id(srv, RM_ID_REQUEST, 32, out->request_id, sizeof(out->request_id));
    r = router_match(req->method, req->path, arg, sizeof(arg));
    out->flavor = r && r->gate == ROUTE_ADMIN ? RM_FLAVOR_OPENAI : srv->cfg.flavor;
    if (check_framing(req, &err) != 0) {
        reply_error(out, &err);
        return;
    }
    if (!r) {
        api_error_not_found(&err, NULL, "Invalid URL (%.16s %.300s)", req->method, req->path);
        reply_error(out, &err);
        return;
    }
    if (((r->gate == ROUTE_BEARER || (r->gate == ROUTE_UPGRADE && !srv->cfg.no_websocket)) &&
         check_auth(srv, req, &err) != 0) ||
        (r->gate == ROUTE_ADMIN && check_admin(srv, req, &err) != 0)) {
        reply_error(out, &err);
        return;
    }
    if (req->body_too_large) {
        api_error_set(&err, 413, RM_ERRTYPE_INVALID_REQUEST, "request_too_large", NULL,
                      "Request body too large: the limit is %zu bytes.", srv->cfg.max_body);
        reply_error(out, &err);
        return;
    }
    local = *req;
    local.fixtures = server_fixtures(srv);
    r->fn(srv, &local, arg, out);
    fixture_set_unref(local.fixtures);
}
