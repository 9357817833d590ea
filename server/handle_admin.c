/* handle_admin: the admin API (see handle_admin.h). */
#include "handle_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "contract.h"
#include "conversation.h"
#include "journal.h"
#include "json_util.h"
#include "scenario.h"
#include "store.h"

void admin_reset(struct rm_server *srv, const struct rm_request *req, const char *arg,
                 struct rm_reply *out)
{
    struct api_error err;
    int rc;

    (void)req;
    (void)arg;
    /* With --state: the cluster's state (respmock's keys only). */
    rc = store_clear(srv->store);
    if (conversation_store_clear(srv->conversations) != 0)
        rc = -1;
    if (journal_clear(srv->journal) != 0)
        rc = -1;
    if (scenarios_clear(srv->scenarios) != 0)
        rc = -1;
    if (rc != 0) {
        api_error_state_unavailable(&err);
        reply_error(out, &err);
        return;
    }
    reply_json(out, 200, json_pack("{s:b}", "reset", 1));
}

/* ---- The journal ---------------------------------------------------------- */

static const char *query_get(const void *ctx, const char *key)
{
    return request_query(ctx, key);
}

/* The journal could not be read: shared and its Redis cannot be reached,
 * or out of memory. */
static void journal_unavailable(const struct rm_server *srv, struct rm_reply *out)
{
    struct api_error err;

    if (srv->state)
        api_error_state_unavailable(&err);
    else
        api_error_oom(&err);
    reply_error(out, &err);
}

static void bad_filter(struct rm_reply *out, const char *key)
{
    struct api_error err;

    api_error_invalid(&err, "invalid_value", key, "Invalid '%s' filter.", key);
    reply_error(out, &err);
}

void admin_requests_list(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out)
{
    struct journal_filter f;
    const char *limit_s = request_query(req, "limit");
    long limit = 0;
    size_t count;
    char bad[32];
    json_t *data;

    (void)arg;
    if (journal_filter_parse(&f, query_get, req, bad, sizeof(bad)) != 0) {
        bad_filter(out, bad);
        return;
    }
    if (limit_s && request_query_long(limit_s, 1, RM_MAX_JOURNAL_CEILING, &limit) != 0) {
        bad_filter(out, "limit");
        return;
    }
    data = journal_query(srv->journal, &f, (size_t)limit, &count);
    if (!data) {
        journal_unavailable(srv, out);
        return;
    }
    reply_json(out, 200, json_pack("{s:s, s:o, s:I}", "object", RM_OBJ_LIST, "data", data,
                                   "count", (json_int_t)count));
}

void admin_requests_clear(struct rm_server *srv, const struct rm_request *req, const char *arg,
                          struct rm_reply *out)
{
    (void)req;
    (void)arg;
    if (journal_clear(srv->journal) != 0) {
        journal_unavailable(srv, out);
        return;
    }
    reply_json(out, 200, json_pack("{s:b}", "cleared", 1));
}

/* A filter key of the verify body's "match": strings as they are, a number
 * as its text (kept in 'scratch'). */
struct match_ctx {
    const json_t *match;
    char scratch[8][32];
    unsigned used;
};

static const char *match_get(const void *ctx, const char *key)
{
    struct match_ctx *m = (struct match_ctx *)ctx;
    const json_t *v = json_object_get(m->match, key);

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v) && m->used < 8) {
        snprintf(m->scratch[m->used], sizeof(m->scratch[0]), "%lld",
                 (long long)json_integer_value(v));
        return m->scratch[m->used++];
    }
    return NULL;
}

void admin_requests_verify(struct rm_server *srv, const struct rm_request *req, const char *arg,
                           struct rm_reply *out)
{
    static const char *const keys[] = {"path",  "method",   "model",    "fixture", "status",
                                       "contains", "tool",  "scenario", "since",   NULL};
    struct api_error err;
    struct journal_filter f;
    struct match_ctx m;
    json_t *body = request_json(req, &err), *count, *data;
    const char *key;
    json_t *v;
    char bad[32];
    size_t n;

    (void)arg;
    if (!body) {
        reply_error(out, &err);
        return;
    }
    memset(&m, 0, sizeof(m));
    m.match = json_object_get(body, "match");
    count = json_object_get(body, "count");
    if ((m.match && !json_is_object(m.match)) || (count && !json_is_integer(count))) {
        api_error_invalid(&err, "invalid_type", m.match && !json_is_object(m.match) ? "match" : "count",
                          "Expected {\"match\": {filters}, \"count\": integer}.");
        goto out_error;
    }
    json_object_foreach((json_t *)m.match, key, v) {
        const char *const *k;
        for (k = keys; *k && strcmp(*k, key) != 0; k++)
            ;
        if (!*k) {
            api_error_invalid(&err, "unknown_parameter", key, "Unknown filter '%.100s'.", key);
            goto out_error;
        }
    }
    if (journal_filter_parse(&f, match_get, &m, bad, sizeof(bad)) != 0) {
        api_error_invalid(&err, "invalid_value", bad, "Invalid '%s' filter.", bad);
        goto out_error;
    }
    data = journal_query(srv->journal, &f, 0, &n);
    if (!data) {
        api_error_state_unavailable(&err);
        goto out_error;
    }
    json_decref(data);
    if (count && (json_int_t)n != json_integer_value(count)) {
        json_t *env;
        api_error_set(&err, 422, RM_ERRTYPE_INVALID_REQUEST, "verification_failed", NULL,
                      "Expected %lld matching requests, found %zu.",
                      (long long)json_integer_value(count), n);
        env = envelope_build(&err);
        json_object_set_new(env, "count", json_integer((json_int_t)n));
        reply_json(out, 422, env);
        reply_header(out, "x-should-retry", "false");
    } else {
        reply_json(out, 200, json_pack("{s:b, s:I}", "verified", 1, "count", (json_int_t)n));
    }
    json_decref(body);
    return;
out_error:
    json_decref(body);
    reply_error(out, &err);
}

/* ---- Fixtures ------------------------------------------------------------- */

static const char *kind_name(enum fx_kind k)
{
    return k == FX_ERROR ? "error" : k == FX_TRANSCRIPT ? "transcript" : "response";
}

void admin_fixtures_list(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out)
{
    json_t *data = json_array();
    size_t i;

    (void)srv;
    (void)arg;
    for (i = 0; i < req->fixtures->n; i++) {
        const struct fixture *fx = &req->fixtures->v[i];
        json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:O, s:I}", "name", fx->name,
                              "file", fx->file ? fx->file : "", "line", fx->line, "column",
                              fx->column, "kind", fx->nsteps ? "sequence" : kind_name(fx->kind),
                              "priority", fx->priority, "match",
                              fx->match_json ? fx->match_json : json_null(), "calls",
                              (json_int_t)atomic_load(&fx->calls));

        if (fx->times)
            json_object_set_new(o, "times", json_integer(fx->times));
        if (fx->nsteps)
            json_object_set_new(o, "steps", json_integer((json_int_t)fx->nsteps));
        if (fx->next_state)
            json_object_set_new(o, "next_state", json_string(fx->next_state));
        json_array_append_new(data, o);
    }
    reply_json(out, 200, json_pack("{s:s, s:o}", "object", RM_OBJ_LIST, "data", data));
}

/* The JSON pointer of the path a fixture problem starts with
 * ("[0].match.model: ..." -> "/0/match/model"), or "" when it names none. */
static void pointer_of(const char *text, char *out, size_t n)
{
    const char *colon = strstr(text, ": ");
    size_t w = 0;

    out[0] = '\0';
    if (!colon || (text[0] != '.' && text[0] != '[' && !(text[0] >= 'a' && text[0] <= 'z')))
        return;
    if (text[0] != '.' && text[0] != '[' && w + 1 < n)
        out[w++] = '/';
    for (; text < colon && w + 2 < n; text++) {
        if (*text == '.' || *text == '[')
            out[w++] = '/';
        else if (*text != ']')
            out[w++] = *text;
    }
    out[w] = '\0';
}

static void fixture_problem(struct rm_reply *out, int status, const struct mock_error *me)
{
    char text[MOCK_ERROR_TEXT_MAX + MOCK_ERROR_FILE_MAX + 32], ptr[API_ERROR_PARAM_MAX];
    struct api_error err;

    mock_error_format(me, text, sizeof(text));
    pointer_of(me->text, ptr, sizeof(ptr));
    api_error_set(&err, status, RM_ERRTYPE_INVALID_REQUEST, "invalid_fixture",
                  ptr[0] ? ptr : NULL, "%s", text);
    reply_error(out, &err);
}

void admin_fixtures_put(struct rm_server *srv, const struct rm_request *req, const char *arg,
                        struct rm_reply *out)
{
    struct mock_error me;
    json_t *names = json_array();

    (void)arg;
    mock_error_clear(&me);
    if (!req->body || !req->body_len) {
        mock_error_set(&me, NULL, 0, 0, "expected a fixture object or an array of them");
        fixture_problem(out, 400, &me);
    } else if (catalog_put(srv->catalog, req->body, req->body_len, names, &me) != 0) {
        fixture_problem(out, 400, &me);
    } else {
        reply_json(out, 201, json_pack("{s:O}", "added", names));
    }
    json_decref(names);
}

void admin_fixtures_reload(struct rm_server *srv, const struct rm_request *req, const char *arg,
                           struct rm_reply *out)
{
    struct mock_error me;
    struct fixture_set *set;

    (void)req;
    (void)arg;
    mock_error_clear(&me);
    if (catalog_reload(srv->catalog, &me) != 0) {
        fixture_problem(out, 400, &me);
        return;
    }
    set = server_fixtures(srv);
    reply_json(out, 200, json_pack("{s:b, s:I}", "reloaded", 1, "fixtures", (json_int_t)set->n));
    fixture_set_unref(set);
}

void admin_fixtures_delete(struct rm_server *srv, const struct rm_request *req, const char *name,
                           struct rm_reply *out)
{
    struct mock_error me;
    struct api_error err;
    int rc;

    (void)req;
    mock_error_clear(&me);
    rc = catalog_remove(srv->catalog, name, &me);
    if (rc == -1) {
        api_error_not_found(&err, NULL, "respmock: no fixture is named '%.200s'.", name);
        reply_error(out, &err);
    } else if (rc != 0) {
        api_error_invalid(&err, "last_fixture", NULL,
                          "respmock: '%.200s' cannot go: no fixture would be left.", name);
        reply_error(out, &err);
    } else {
        reply_json(out, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    }
}

void admin_scenarios(struct rm_server *srv, const struct rm_request *req, const char *arg,
                     struct rm_reply *out)
{
    json_t *all = scenarios_json(srv->scenarios);
    struct api_error err;

    (void)req;
    (void)arg;
    if (!all) {
        if (srv->state)
            api_error_state_unavailable(&err);
        else
            api_error_oom(&err);
        reply_error(out, &err);
        return;
    }
    reply_json(out, 200, json_pack("{s:o}", "scenarios", all));
}
