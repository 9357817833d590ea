/* checks: the areas and checks of the smoke suite (see checks.h).
 *
 * Each area function sends its requests for the API in 'ctx->api' and adds
 * one result per check. The basic create request (and GET /models) is sent
 * once per API and shared by the areas that judge it. */
#include "checks.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "json_util.h"
#include "redact.h"
#include "shape.h"
#include "stream_check.h"

/* Marker in each request's text, so a fixture can target one check. */
#define MARK(name) " [respsmoke:" name "]"

/* A key of the shape respmock always refuses (contract.h) and no real
 * endpoint has issued: a real 401 check against either. */
#define BAD_KEY RM_REJECTED_KEY_PREFIX "respsmoke-0000000000000000"
#define UNKNOWN_PREVIOUS_ID RM_ID_RESPONSE "respsmoke_unknown_0000000000"
#define TOOL_NAME "get_weather"
#define TOOL_OUTPUT "{\"location\":\"Boston\",\"temperature_c\":21,\"note\":\"respsmoke:tool_output\"}"
#define TINY_PNG                                                                               \
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAJ0lEQVR42u3NMQkAAAw" \
    "DsEqv9KnoMQjkT9JuCQQCgUAgEAgEgi/BAXfRAD3rvyC4AAAAAElFTkSuQmCC"

/* One request and what came back. */
struct exchange {
    struct transport_reply rep;
    json_t *doc;        /* body parsed as JSON (new reference) or NULL */
    int ok;             /* a complete HTTP response was received */
    char fail[200];     /* why not, when !ok */
};

/* The basic create request of one API, shared by several areas. */
struct basic {
    int done;
    struct exchange x;
};

struct ctx {
    const struct smoke_config *cfg;
    struct transport *t;
    struct smoke_run *run;
    enum smoke_api api;       /* API the current area runs against */
    const char *model;        /* model sent in requests */
    struct basic basic[SMOKE_API_COUNT];
    int models_done;
    struct exchange models;   /* GET /models */
    double last_seconds;      /* wall time of the latest request, for results */
};

typedef void (*area_fn)(struct ctx *c);

static void area_endpoint(struct ctx *c);
static void area_auth(struct ctx *c);
static void area_required(struct ctx *c);
/* A 400 whose error names 'temperature' or 'top_p' as the parameter. */
static int rejects_sampling(const struct exchange *x)
{
    const char *param = json_util_str(json_object_get(x->doc, "error"), "param");

    return x->ok && x->rep.status == 400 && param &&
           (strcmp(param, "temperature") == 0 || strcmp(param, "top_p") == 0);
}

static void area_optional(struct ctx *c);
static void area_shape(struct ctx *c);
static void area_errors(struct ctx *c);
static void area_streaming(struct ctx *c);
static void area_tools(struct ctx *c);
static void area_multimodal(struct ctx *c);
static void area_stateful(struct ctx *c);

static const struct area_def {
    const char *name;   /* --only/--skip name */
    const char *title;  /* checklist wording */
    int chat;           /* has checks for Chat Completions */
    area_fn run;
} areas[SMOKE_AREA_COUNT] = {
    [SMOKE_AREA_ENDPOINT] = {"endpoint", "endpoint path", 1, area_endpoint},
    [SMOKE_AREA_AUTH] = {"auth", "authorization header", 1, area_auth},
    [SMOKE_AREA_REQUIRED] = {"required_fields", "required request fields", 1, area_required},
    [SMOKE_AREA_OPTIONAL] = {"optional_fields", "optional request fields", 1, area_optional},
    [SMOKE_AREA_SHAPE] = {"response_shape", "response shape", 1, area_shape},
    [SMOKE_AREA_ERRORS] = {"error_shape", "error response shape", 1, area_errors},
    [SMOKE_AREA_STREAMING] = {"streaming", "streaming", 1, area_streaming},
    [SMOKE_AREA_TOOLS] = {"tool_calling", "tool calling", 1, area_tools},
    [SMOKE_AREA_MULTIMODAL] = {"multimodal", "multimodal input", 1, area_multimodal},
    [SMOKE_AREA_STATEFUL] = {"stateful", "stateful chat", 0, area_stateful},
};

/* ---------------------------------------------------------------------------
 * Names and lookups
 * ------------------------------------------------------------------------- */

const char *checks_area_name(enum smoke_area area)
{
    return area < SMOKE_AREA_COUNT ? areas[area].name : "unknown";
}

const char *checks_area_title(enum smoke_area area)
{
    return area < SMOKE_AREA_COUNT ? areas[area].title : "unknown";
}

int checks_area_parse(const char *name)
{
    int i;

    for (i = 0; i < SMOKE_AREA_COUNT; i++)
        if (strcmp(name, areas[i].name) == 0)
            return i;
    return -1;
}

int checks_area_applies(enum smoke_area area, enum smoke_api api)
{
    return area < SMOKE_AREA_COUNT && (api == SMOKE_API_RESPONSES || areas[area].chat);
}

const char *checks_api_name(enum smoke_api api)
{
    return api == SMOKE_API_CHAT ? "chat" : "responses";
}

const char *checks_api_path(enum smoke_api api)
{
    return api == SMOKE_API_CHAT ? "/chat/completions" : "/responses";
}

/* ---------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------- */

__attribute__((format(printf, 6, 7))) static struct check_result *
add(struct ctx *c, enum smoke_area area, const char *name, enum check_status st, long http,
    const char *fmt, ...)
{
    struct smoke_run *run = c->run;
    struct check_result *r;
    va_list ap;

    if (run->n >= SMOKE_MAX_CHECKS) {
        run->dropped++;
        memset(&run->overflow, 0, sizeof(run->overflow));
        return &run->overflow;
    }
    r = &run->checks[run->n++];
    memset(r, 0, sizeof(*r));
    r->area = area;
    r->api = c->api;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->status = st;
    r->http_status = http;
    r->seconds = c->last_seconds;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
    return r;
}

size_t checks_failed(const struct smoke_run *run)
{
    size_t i, n = 0;

    for (i = 0; i < run->n; i++)
        n += run->checks[i].status == CHECK_FAIL;
    return n;
}

enum check_status checks_area_status(const struct smoke_run *run, const struct smoke_config *cfg,
                                     enum smoke_area area, enum smoke_api api, char *evidence,
                                     size_t n)
{
    size_t i, total = 0, passed = 0, failed = 0, nst = 0;
    long statuses[8];
    char tmp[SMOKE_REASON_MAX];
    int w;

    if (evidence && n)
        evidence[0] = '\0';
    if (!checks_area_applies(area, api)) {
        if (evidence)
            snprintf(evidence, n, "not applicable to %s", checks_api_path(api));
        return CHECK_SKIP;
    }
    if (!(cfg->areas & (1u << area)) || !(cfg->apis & (1u << api))) {
        if (evidence)
            snprintf(evidence, n, "not selected");
        return CHECK_SKIP;
    }
    for (i = 0; i < run->n; i++) {
        const struct check_result *r = &run->checks[i];
        size_t k;
        if (r->area != area || r->api != api)
            continue;
        total++;
        passed += r->status == CHECK_PASS;
        failed += r->status == CHECK_FAIL;
        for (k = 0; k < nst && statuses[k] != r->http_status; k++)
            ;
        if (k == nst && nst < 8 && r->http_status)
            statuses[nst++] = r->http_status;
    }
    if (evidence) {
        if (total == 0) {
            snprintf(evidence, n, "%s", run->aborted ? "run aborted" : "no checks ran");
        } else {
            w = snprintf(tmp, sizeof(tmp), "%zu/%zu passed", passed, total);
            if (total > passed + failed)
                w += snprintf(tmp + w, sizeof(tmp) - (size_t)w, ", %zu skipped",
                              total - passed - failed);
            for (i = 0; i < nst && w > 0 && (size_t)w < sizeof(tmp); i++)
                w += snprintf(tmp + w, sizeof(tmp) - (size_t)w, "%s%ld", i ? " " : "; HTTP ",
                              statuses[i]);
            snprintf(evidence, n, "%s", tmp);
        }
    }
    if (failed)
        return CHECK_FAIL;
    return passed ? CHECK_PASS : CHECK_SKIP;
}

/* ---------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------- */

/* Copy curl's error text without control characters. */
static void clean_text(const char *in, char *out, size_t n)
{
    size_t i;

    for (i = 0; in[i] && i + 1 < n; i++)
        out[i] = isprint((unsigned char)in[i]) ? in[i] : '?';
    out[i] = '\0';
}

static void describe_fail(const struct ctx *c, const struct transport_reply *rep, char *out,
                          size_t n)
{
    char err[120];

    clean_text(rep->error, err, sizeof(err));
    switch (rep->fail) {
    case TRANSPORT_TIMEOUT:
        snprintf(out, n, "no complete answer within %lds (HTTP %ld)", c->cfg->timeout_s,
                 rep->status);
        break;
    case TRANSPORT_BROKEN:
        snprintf(out, n, "transfer failed (HTTP %ld): %s", rep->status, err);
        break;
    case TRANSPORT_TOO_LARGE:
        snprintf(out, n, "body over the size limit (HTTP %ld)", rep->status);
        break;
    case TRANSPORT_UNREACHABLE:
        snprintf(out, n, "cannot reach the endpoint: %s", err);
        break;
    default:
        snprintf(out, n, "ok");
    }
}

/* Send one request. 'body' (stolen, may be NULL) is rendered as JSON; 'raw'
 * replaces it when non-NULL. Returns 0 when a complete response came back,
 * -1 otherwise; an unreachable endpoint aborts the run. */
static int exchange(struct ctx *c, const char *method, const char *path, json_t *body,
                    const char *raw, enum transport_auth auth, struct exchange *x)
{
    char *text = body ? json_util_dumps(body) : NULL;
    struct transport_request req;

    memset(x, 0, sizeof(*x));
    json_decref(body);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.body = raw ? raw : text;
    req.auth = auth;
    req.auth_other = BAD_KEY;
    transport_send(c->t, &req, &x->rep);
    free(text);
    c->last_seconds = x->rep.seconds;
    if (x->rep.attempts > 1)
        c->run->retried++;
    x->ok = x->rep.fail == TRANSPORT_OK;
    if (!x->ok) {
        describe_fail(c, &x->rep, x->fail, sizeof(x->fail));
        if (x->rep.fail == TRANSPORT_UNREACHABLE && !c->run->aborted) {
            c->run->aborted = 1;
            snprintf(c->run->abort_reason, sizeof(c->run->abort_reason), "%s", x->fail);
        }
        return -1;
    }
    if (x->rep.body.len)
        x->doc = json_loadb(x->rep.body.data, x->rep.body.len, 0, NULL);
    return 0;
}

static void exchange_release(struct exchange *x)
{
    transport_reply_release(&x->rep);
    json_decref(x->doc);
    x->doc = NULL;
}

/* Explain an unexpected status, with the error type/code when there is one. */
static void status_why(const struct exchange *x, char *out, size_t n)
{
    struct shape_error_info info;
    const char *hint = "";
    long s = x->rep.status;

    if (s >= 300 && s < 400)
        hint = " (redirect: check that the base URL ends in /v1)";
    else if (s == 401)
        hint = " (the key was rejected)";
    else if (s == 404)
        hint = " (not found: check the base URL)";
    else if (s == 429)
        hint = " (rate limited, retries exhausted)";
    if (x->doc && shape_error(x->doc, NULL, 0, NULL, &info) == 0) {
        if (s == 503 && strcmp(info.code, "model_not_found") == 0)
            hint = " (the gateway serves no such model: pass --model)";
        snprintf(out, n, "HTTP %ld%s; error.type %s, error.code %s", s, hint, info.type,
                 info.code);
    }
    else
        snprintf(out, n, "HTTP %ld%s", s, hint);
}

/* True when 'x' is a complete 200 with a JSON object body; else 'why'. */
static int expect_ok(const struct exchange *x, char *why, size_t n)
{
    if (!x->ok) {
        snprintf(why, n, "%s", x->fail);
        return 0;
    }
    if (x->rep.status != 200) {
        status_why(x, why, n);
        return 0;
    }
    if (!json_is_object(x->doc)) {
        snprintf(why, n, "HTTP 200 but the body is not a JSON object");
        return 0;
    }
    return 1;
}

/* Structural check of a success body for the current API. */
static int valid_shape(struct ctx *c, const json_t *doc, char *why, size_t n)
{
    if (c->api == SMOKE_API_CHAT)
        return shape_chat_completion(doc, why, n, &c->run->notes);
    return shape_response(doc, why, n, &c->run->notes);
}

/* A user message for either API: Responses "input" string or Chat "messages". */
static json_t *body_text(struct ctx *c, const char *text)
{
    if (c->api == SMOKE_API_CHAT)
        return json_pack("{s:s, s:[{s:s, s:s}]}", "model", c->model, "messages", "role",
                         RM_ROLE_USER, "content", text);
    return json_pack("{s:s, s:s}", "model", c->model, "input", text);
}

/* The basic create request of the current API, sent once. */
static struct exchange *basic(struct ctx *c)
{
    struct basic *b = &c->basic[c->api];
    char why[SMOKE_REASON_MAX];

    if (b->done)
        return &b->x;
    b->done = 1;
    exchange(c, "POST", checks_api_path(c->api),
             body_text(c, "Say hello in one short sentence." MARK("basic")), NULL,
             TRANSPORT_AUTH_KEY, &b->x);
    c->run->basic_status[c->api] = b->x.rep.status;
    c->run->basic_json[c->api] = b->x.ok ? json_is_object(b->x.doc) : 0;
    c->run->basic_fields[c->api] =
        (b->x.ok && b->x.rep.status == 200 && valid_shape(c, b->x.doc, why, sizeof(why)) == 0);
    return &b->x;
}

/* GET /models, sent once. */
static struct exchange *models(struct ctx *c)
{
    if (!c->models_done) {
        c->models_done = 1;
        exchange(c, "GET", "/models", NULL, NULL, TRANSPORT_AUTH_KEY, &c->models);
    }
    return &c->models;
}

/* True when the error of 'x' says its field is not supported at all (a
 * reasoning model's "Unsupported parameter" or "Unsupported value: ...
 * only the default (1) value is supported"), which proves nothing about
 * range checks. */
static int unsupported_field(const struct exchange *x)
{
    const json_t *e = json_object_get(x->doc, "error");
    const char *code = json_util_str(e, "code"), *msg = json_util_str(e, "message");

    return (code && (strcmp(code, "unsupported_parameter") == 0 ||
                     strcmp(code, "unsupported_value") == 0 ||
                     strcmp(code, "unknown_parameter") == 0)) ||
           (msg && (strncmp(msg, "Unsupported parameter", 21) == 0 ||
                    strncmp(msg, "Unsupported value", 17) == 0 ||
                    strncmp(msg, "Unknown parameter", 17) == 0));
}

/* Judge 'x', an answer that must be an error with a status in [lo, hi]
 * (OpenAI sends 'usual') and an error envelope; with 'field', the error must
 * also be about that field's value: its param (or, without one, its message
 * naming it), and not "unsupported". Adds the check result. */
static void judge_error(struct ctx *c, enum smoke_area area, const char *name,
                        const struct exchange *x, long lo, long hi, long usual, const char *field)
{
    struct shape_error_info info;
    struct check_result *r;
    char why[SMOKE_REASON_MAX - 40];
    long s = x->rep.status;
    json_t *error = json_object_get(x->doc, "error");
    const char *param = json_util_str(error, "param");
    const char *message = json_util_str(error, "message");

    /* a gateway that always sends "param": "" (CometAPI) names no param */
    if (param && !param[0])
        param = NULL;
    if (!x->ok) {
        r = add(c, area, name, CHECK_FAIL, s, "%s", x->fail);
    } else if ((s < lo || s > hi) && shape_error(x->doc, NULL, 0, NULL, &info) == 0 &&
               shape_validation_variant(s, lo, hi, &info)) {
        /* CometAPI's 500 invalid_request for a request it judged invalid:
         * a noted variant, the envelope checked like any other */
        if (shape_error(x->doc, why, sizeof(why), &c->run->notes, &info)) {
            r = add(c, area, name, CHECK_FAIL, s, "HTTP %ld but %s", s, why);
        } else {
            r = add(c, area, name, CHECK_PASS, s,
                    "HTTP %ld invalid_request (gateway variant of a %ld); error.type %s", s,
                    usual, info.type);
            r->error_parseable = 1;
            notes_add(&c->run->notes,
                      "gateway variant: %s %s: HTTP %ld invalid_request where OpenAI sends %ld "
                      "(as CometAPI does)",
                      checks_api_name(c->api), name, s, usual);
        }
    } else if (s < lo || s > hi || (lo != hi && (s == 401 || s == 429))) {
        /* a 401 or a 429 says the request was never judged: not the error asked for */
        status_why(x, why, sizeof(why));
        if (lo == hi)
            r = add(c, area, name, CHECK_FAIL, s, "expected HTTP %ld, got %s", lo, why);
        else
            r = add(c, area, name, CHECK_FAIL, s, "expected HTTP 4xx (usually %ld), got %s",
                    usual, why);
    } else if (shape_error(x->doc, why, sizeof(why), &c->run->notes, &info)) {
        r = add(c, area, name, CHECK_FAIL, s, "HTTP %ld but %s", s, why);
    } else if (field && unsupported_field(x)) {
        r = add(c, area, name, CHECK_FAIL, s,
                "HTTP %ld about '%s' being unsupported (code %s), not about its out-of-range "
                "value", s, field, info.code);
        r->error_parseable = 1;
    } else if (field && param && strcmp(param, field) != 0) {
        r = add(c, area, name, CHECK_FAIL, s,
                "HTTP %ld names param '%.60s', not the out-of-range '%s'", s, param, field);
        r->error_parseable = 1;
    } else if (field && !param && !strstr(message ? message : "", field)) {
        r = add(c, area, name, CHECK_FAIL, s,
                "HTTP %ld but neither error.param nor error.message names the out-of-range "
                "'%s'", s, field);
        r->error_parseable = 1;
    } else {
        if (field)
            r = add(c, area, name, CHECK_PASS, s,
                    "HTTP %ld for out-of-range %s; error.type %s, error.code %s", s, field,
                    info.type, info.code);
        else
            r = add(c, area, name, CHECK_PASS, s, "HTTP %ld; error.type %s, error.code %s", s,
                    info.type, info.code);
        r->error_parseable = 1;
        if (s != usual)
            notes_add(&c->run->notes, "%s %s: HTTP %ld where OpenAI sends %ld",
                      checks_api_name(c->api), name, s, usual);
        if (field && !param)
            notes_add(&c->run->notes, "%s %s: error.param missing; the message names %s",
                      checks_api_name(c->api), name, field);
    }
    r->error_path = 1;
    r->seconds = x->rep.seconds;
}

/* Send a request that must fail with a status in [lo, hi] (OpenAI sends
 * 'usual') and an error envelope; adds the check result. */
static void expect_error(struct ctx *c, enum smoke_area area, const char *name,
                         const char *method, const char *path, json_t *body, const char *raw,
                         enum transport_auth auth, long lo, long hi, long usual)
{
    struct exchange x;

    exchange(c, method, path, body, raw, auth, &x);
    if (!c->run->aborted)
        judge_error(c, area, name, &x, lo, hi, usual, NULL);
    exchange_release(&x);
}

/* The body of a 200 create for the current API when it has the right shape
 * (and, with 'need_text', a non-empty text answer); else NULL and 'why'. */
static json_t *created_doc(struct ctx *c, const struct exchange *x, int need_text, char *why,
                           size_t n)
{
    char tmp[SMOKE_REASON_MAX - 48];
    int has_text;

    if (!expect_ok(x, why, n))
        return NULL;
    if (valid_shape(c, x->doc, tmp, sizeof(tmp))) {
        snprintf(why, n, "HTTP 200 but %s", tmp);
        return NULL;
    }
    if (!need_text)
        return x->doc;
    if (c->api == SMOKE_API_CHAT) {
        json_t *msg =
            json_object_get(json_array_get(json_object_get(x->doc, "choices"), 0), "message");
        const char *content = json_util_str(msg, "content");
        has_text = content && content[0];
    } else {
        struct buf text;
        buf_init(&text, SMOKE_MAX_BODY);
        has_text = shape_output_text(x->doc, &text) > 0 && text.len > 0;
        buf_release(&text);
    }
    if (!has_text) {
        snprintf(why, n, "HTTP 200 but no text answer in the output");
        return NULL;
    }
    return x->doc;
}

/* created_doc plus its check result: PASS with 'pass_what', or FAIL. Returns
 * the body (borrowed from 'x') on PASS, NULL otherwise (and when aborted). */
static json_t *expect_created(struct ctx *c, enum smoke_area area, const char *name,
                              struct exchange *x, int need_text, const char *pass_what)
{
    char why[SMOKE_REASON_MAX - 8];
    json_t *doc;

    if (c->run->aborted)
        return NULL;
    doc = created_doc(c, x, need_text, why, sizeof(why));
    if (!doc)
        add(c, area, name, CHECK_FAIL, x->rep.status, "%s", why)->seconds = x->rep.seconds;
    else
        add(c, area, name, CHECK_PASS, 200, "HTTP 200; %s", pass_what)->seconds = x->rep.seconds;
    return doc;
}

/* True when 'id' can be put into a URL path as is. */
static int url_safe(const char *id)
{
    if (!id || !id[0] || strlen(id) > 200)
        return 0;
    for (; *id; id++)
        if (!isalnum((unsigned char)*id) && *id != '_' && *id != '-')
            return 0;
    return 1;
}

/* ---------------------------------------------------------------------------
 * Areas
 * ------------------------------------------------------------------------- */

static void area_endpoint(struct ctx *c)
{
    struct exchange *b = basic(c), *m, x;
    const char *path = checks_api_path(c->api);
    const char *first;
    char why[SMOKE_REASON_MAX - 40];
    size_t blen = strlen(c->cfg->base_url);

    if (c->run->aborted)
        return;
    if (blen < 3 || strcmp(c->cfg->base_url + blen - 3, "/v1") != 0)
        notes_add(&c->run->notes, "base URL does not end in /v1 (the OpenAI SDKs need it)");
    if (!b->ok)
        add(c, SMOKE_AREA_ENDPOINT, "create_path", CHECK_FAIL, b->rep.status, "POST %s: %s", path,
            b->fail);
    else if (b->rep.status != 200) {
        status_why(b, why, sizeof(why));
        add(c, SMOKE_AREA_ENDPOINT, "create_path", CHECK_FAIL, b->rep.status, "POST %s: %s",
            path, why);
    } else if (strcmp(b->rep.content_type, RM_CT_JSON) != 0)
        add(c, SMOKE_AREA_ENDPOINT, "create_path", CHECK_FAIL, 200,
            "POST %s: HTTP 200 but content-type is %s, expected " RM_CT_JSON, path,
            b->rep.content_type[0] ? b->rep.content_type : "missing");
    else
        add(c, SMOKE_AREA_ENDPOINT, "create_path", CHECK_PASS, 200,
            "POST %s: HTTP 200 " RM_CT_JSON, path);

    m = models(c);
    if (c->run->aborted)
        return;
    if (!expect_ok(m, why, sizeof(why)))
        add(c, SMOKE_AREA_ENDPOINT, "models_list", CHECK_FAIL, m->rep.status, "GET /models: %s",
            why);
    else if (shape_models(m->doc, why, sizeof(why), &first))
        add(c, SMOKE_AREA_ENDPOINT, "models_list", CHECK_FAIL, 200, "GET /models: %s", why);
    else
        add(c, SMOKE_AREA_ENDPOINT, "models_list", CHECK_PASS, 200,
            "GET /models: HTTP 200, %zu model(s)",
            json_array_size(json_object_get(m->doc, "data")));

    exchange(c, "POST",
             c->api == SMOKE_API_CHAT ? "/chat/respsmoke-no-such-endpoint"
                                      : "/respsmoke-no-such-endpoint",
             json_pack("{s:s}", "model", c->model), NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    if (!x.ok)
        add(c, SMOKE_AREA_ENDPOINT, "unknown_path", CHECK_FAIL, x.rep.status, "%s", x.fail);
    else if (x.rep.status < 400 || x.rep.status > 499) {
        status_why(&x, why, sizeof(why));
        add(c, SMOKE_AREA_ENDPOINT, "unknown_path", CHECK_FAIL, x.rep.status,
            "expected HTTP 404 for an unknown path, got %s", why);
    } else {
        if (shape_error(x.doc, NULL, 0, NULL, NULL))
            notes_add(&c->run->notes, "unknown paths answer without a JSON error envelope");
        add(c, SMOKE_AREA_ENDPOINT, "unknown_path", CHECK_PASS, x.rep.status,
            "HTTP %ld for an unknown path", x.rep.status);
    }
out_release:
    exchange_release(&x);
}

static void area_auth(struct ctx *c)
{
    struct exchange *b = basic(c);
    const char *path = checks_api_path(c->api);
    char why[SMOKE_REASON_MAX - 40];

    if (c->run->aborted)
        return;
    if (!expect_ok(b, why, sizeof(why)))
        add(c, SMOKE_AREA_AUTH, "bearer_accepted", CHECK_FAIL, b->rep.status,
            "Authorization: Bearer <key>: %s", why);
    else
        add(c, SMOKE_AREA_AUTH, "bearer_accepted", CHECK_PASS, 200,
            "HTTP 200 with Authorization: Bearer <key>");
    expect_error(c, SMOKE_AREA_AUTH, "missing_header", "POST", path,
                 body_text(c, "Say hello." MARK("auth")), NULL, TRANSPORT_AUTH_NONE, 401, 401,
                 401);
    if (c->run->aborted)
        return;
    expect_error(c, SMOKE_AREA_AUTH, "bad_key", "POST", path,
                 body_text(c, "Say hello." MARK("auth")), NULL, TRANSPORT_AUTH_OTHER, 401, 401,
                 401);
}

static void area_required(struct ctx *c)
{
    struct exchange *b = basic(c), x;
    const char *path = checks_api_path(c->api);
    const char *text = "Say hello." MARK("required_fields");
    char why[SMOKE_REASON_MAX - 40];
    json_t *body;

    if (c->run->aborted)
        return;
    if (!expect_ok(b, why, sizeof(why)))
        add(c, SMOKE_AREA_REQUIRED, "minimal_request", CHECK_FAIL, b->rep.status, "%s", why);
    else
        add(c, SMOKE_AREA_REQUIRED, "minimal_request", CHECK_PASS, 200,
            c->api == SMOKE_API_CHAT ? "model + messages: HTTP 200" : "model + input: HTTP 200");

    if (c->api == SMOKE_API_CHAT)
        body = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "model", c->model, "messages",
                         "role", RM_ROLE_SYSTEM, "content", "You are terse.", "role", RM_ROLE_USER,
                         "content", text);
    else /* message item without "type", as real clients send it */
        body = json_pack("{s:s, s:[{s:s, s:s}]}", "model", c->model, "input", "role", RM_ROLE_USER,
                         "content", text);
    exchange(c, "POST", path, body, NULL, TRANSPORT_AUTH_KEY, &x);
    expect_created(c, SMOKE_AREA_REQUIRED, "message_array_input", &x, 0,
                   c->api == SMOKE_API_CHAT ? "system + user messages accepted"
                                            : "input as an array of role/content messages "
                                              "accepted");
    exchange_release(&x);
    if (c->run->aborted)
        return;

    if (c->api == SMOKE_API_CHAT)
        body = json_pack("{s:[{s:s, s:s}]}", "messages", "role", RM_ROLE_USER, "content", text);
    else
        body = json_pack("{s:s}", "input", text);
    expect_error(c, SMOKE_AREA_REQUIRED, "missing_model", "POST", path, body, NULL,
                 TRANSPORT_AUTH_KEY, 400, 499, 400);
}

static void area_optional(struct ctx *c)
{
    struct exchange x;
    json_t *body, *doc;
    const char *text = "Say hello." MARK("optional_fields");
    const char *instructions = "Answer in one short sentence.";
    int dropped = 0; /* temperature and top_p were rejected and left out */

    if (c->api == SMOKE_API_CHAT)
        body = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i, s:i, s:i, s:i, s:{s:s}}",
                         "model", c->model, "messages", "role", RM_ROLE_SYSTEM, "content",
                         instructions, "role", RM_ROLE_USER, "content", text, "temperature", 1,
                         "top_p", 1, "max_completion_tokens", 256, "n", 1, "response_format",
                         "type", "text");
    else
        /* no tool_choice / parallel_tool_calls: real APIs reject them without tools */
        body = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:{s:s}, s:{s:{s:s}}, s:s, s:b}",
                         "model", c->model, "input", text, "instructions", instructions,
                         "temperature", 1, "top_p", 1, "max_output_tokens", 256, "metadata",
                         "respsmoke", "optional_fields", "text", "format", "type", "text",
                         "truncation", "disabled", "store", 1);
    json_incref(body); /* kept for a retry without sampling parameters */
    exchange(c, "POST", checks_api_path(c->api), body, NULL, TRANSPORT_AUTH_KEY, &x);
    if (rejects_sampling(&x)) {
        dropped = 1;
        /* Reasoning models (o-series, gpt-5) reject temperature/top_p: a model
         * property, not a contract break. Note it and ask again without them. */
        notes_add(&c->run->notes, "%s: model rejects %s (a reasoning model?); sent again without "
                                  "temperature and top_p",
                  checks_api_path(c->api),
                  json_util_str(json_object_get(x.doc, "error"), "param"));
        exchange_release(&x);
        json_object_del(body, "temperature");
        json_object_del(body, "top_p");
        exchange(c, "POST", checks_api_path(c->api), json_incref(body), NULL,
                 TRANSPORT_AUTH_KEY, &x);
    }
    json_decref(body);
    /* the parameters the accepted request actually carried */
    doc = expect_created(c, SMOKE_AREA_OPTIONAL, "optional_fields_accepted", &x, 0,
                         c->api == SMOKE_API_CHAT
                             ? (dropped ? "max_completion_tokens, n, response_format (temperature "
                                          "and top_p rejected by the model, sent without)"
                                        : "temperature, top_p, max_completion_tokens, n, "
                                          "response_format")
                             : (dropped ? "instructions, max_output_tokens, metadata, text.format, "
                                          "truncation, store (temperature and top_p rejected by "
                                          "the model, sent without)"
                                        : "instructions, temperature, top_p, max_output_tokens, "
                                          "metadata, text.format, truncation, store"));
    if (doc && c->api == SMOKE_API_RESPONSES) {
        const char *meta = json_util_str(json_object_get(doc, "metadata"), "respsmoke");
        const char *inst = json_util_str(doc, "instructions");
        if (!meta || strcmp(meta, "optional_fields") != 0)
            add(c, SMOKE_AREA_OPTIONAL, "optional_fields_echoed", CHECK_FAIL, 200,
                "metadata was not echoed in the response");
        else if (!inst || strcmp(inst, instructions) != 0)
            add(c, SMOKE_AREA_OPTIONAL, "optional_fields_echoed", CHECK_FAIL, 200,
                "instructions were not echoed in the response");
        else
            add(c, SMOKE_AREA_OPTIONAL, "optional_fields_echoed", CHECK_PASS, 200,
                "metadata and instructions echoed");
    } else if (!c->run->aborted && c->api == SMOKE_API_RESPONSES) {
        add(c, SMOKE_AREA_OPTIONAL, "optional_fields_echoed", CHECK_SKIP, 0,
            "no response to inspect");
    }
    exchange_release(&x);
}

static void area_shape(struct ctx *c)
{
    struct exchange *b = basic(c);
    char why[SMOKE_REASON_MAX - 40];
    long s = b->rep.status;

    if (c->run->aborted)
        return;
    if (!b->ok || s != 200) {
        if (!b->ok)
            snprintf(why, sizeof(why), "%s", b->fail);
        else
            status_why(b, why, sizeof(why));
        add(c, SMOKE_AREA_SHAPE, "valid_json", CHECK_FAIL, s, "%s", why);
        add(c, SMOKE_AREA_SHAPE, "required_fields", CHECK_SKIP, s, "no 200 body to inspect");
        add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_SKIP, s, "no 200 body to inspect");
        return;
    }
    if (!json_is_object(b->doc)) {
        add(c, SMOKE_AREA_SHAPE, "valid_json", CHECK_FAIL, s, "body is not a JSON object");
        add(c, SMOKE_AREA_SHAPE, "required_fields", CHECK_SKIP, s, "no JSON body to inspect");
        add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_SKIP, s, "no JSON body to inspect");
        return;
    }
    add(c, SMOKE_AREA_SHAPE, "valid_json", CHECK_PASS, s, "body parses as a JSON object");
    if (valid_shape(c, b->doc, why, sizeof(why))) {
        add(c, SMOKE_AREA_SHAPE, "required_fields", CHECK_FAIL, s, "%s", why);
        add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_SKIP, s, "shape is wrong");
        return;
    }
    add(c, SMOKE_AREA_SHAPE, "required_fields", CHECK_PASS, s,
        c->api == SMOKE_API_CHAT ? "id, object, created, model, choices[].message typed right"
                                 : "id, object, created_at, status, model, error, output[] "
                                   "typed right");
    if (c->api == SMOKE_API_CHAT) {
        json_t *ch = json_array_get(json_object_get(b->doc, "choices"), 0);
        const char *content = json_util_str(json_object_get(ch, "message"), "content");
        if (!content || !content[0])
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_FAIL, s,
                "choices[0].message.content is not a non-empty string");
        else if (!json_is_string(json_object_get(ch, "finish_reason")))
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_FAIL, s,
                "choices[0].finish_reason is not a string");
        else
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_PASS, s,
                "choices[0] has message text and a finish_reason");
    } else {
        struct buf text;
        int parts;
        const char *status = json_util_str(b->doc, "status");
        buf_init(&text, SMOKE_MAX_BODY);
        parts = shape_output_text(b->doc, &text);
        if (strcmp(status, RM_STATUS_COMPLETED) != 0)
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_FAIL, s,
                "status is not \"completed\"");
        else if (parts <= 0 || text.len == 0)
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_FAIL, s,
                "no message item with a non-empty output_text part");
        else
            add(c, SMOKE_AREA_SHAPE, "output_text", CHECK_PASS, s,
                "completed, %d output_text part(s) in message items", parts);
        buf_release(&text);
    }
}

static void area_errors(struct ctx *c)
{
    const char *path = checks_api_path(c->api);
    const char *text = "Say hello." MARK("error_shape");
    char raw[512];
    json_t *body = body_text(c, text), *model = json_string(c->model);
    char *quoted = json_dumps(model, JSON_ENCODE_ANY);

    /* An out-of-range value must be refused as such: temperature 5 (0-2).
     * A model that does not take temperature at all (reasoning models:
     * "Unsupported parameter") proves nothing about range checks, so then a
     * value out of the range of a field every model takes is sent:
     * max_output_tokens 1 (at least 16), chat n 0 (at least 1). */
    {
        struct exchange x;
        const char *field = "temperature";

        json_object_set_new(body, "temperature", json_integer(5));
        exchange(c, "POST", path, body, NULL, TRANSPORT_AUTH_KEY, &x);
        if (c->run->aborted) {
            exchange_release(&x);
            goto out_free;
        }
        if (x.ok && x.rep.status == 400 && unsupported_field(&x)) {
            field = c->api == SMOKE_API_CHAT ? "n" : "max_output_tokens";
            notes_add(&c->run->notes, "%s invalid_value: the model does not take temperature; "
                                      "sent %s out of range instead",
                      checks_api_name(c->api), field);
            exchange_release(&x);
            body = body_text(c, text);
            json_object_set_new(body, field, json_integer(c->api == SMOKE_API_CHAT ? 0 : 1));
            exchange(c, "POST", path, body, NULL, TRANSPORT_AUTH_KEY, &x);
            if (c->run->aborted) {
                exchange_release(&x);
                goto out_free;
            }
        }
        judge_error(c, SMOKE_AREA_ERRORS, "invalid_value", &x, 400, 499, 400, field);
        exchange_release(&x);
    }
    /* a JSON body cut off in the middle */
    snprintf(raw, sizeof(raw), "{\"model\": %s, \"%s\": ", quoted ? quoted : "\"x\"",
             c->api == SMOKE_API_CHAT ? "messages" : "input");
    expect_error(c, SMOKE_AREA_ERRORS, "malformed_body", "POST", path, NULL, raw,
                 TRANSPORT_AUTH_KEY, 400, 499, 400);
out_free:
    free(quoted);
    json_decref(model);
}

static int feed_stream(const char *bytes, size_t len, void *user)
{
    stream_check_feed(user, bytes, len);
    return 0;
}

static void area_streaming(struct ctx *c)
{
    struct stream_check sc;
    struct stream_report rep;
    struct transport_request req;
    struct exchange x;
    json_t *body = body_text(c, "Count from one to five in words." MARK("streaming"));
    char *text;
    char why[SMOKE_REASON_MAX - 40];
    int i;

    json_object_set_new(body, "stream", json_true());
    text = json_util_dumps(body);
    json_decref(body);
    memset(&x, 0, sizeof(x));
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = checks_api_path(c->api);
    req.body = text;
    req.auth = TRANSPORT_AUTH_KEY;
    req.on_stream = feed_stream;
    req.user = &sc;
    stream_check_init(&sc, c->api == SMOKE_API_CHAT ? STREAM_CHAT : STREAM_RESPONSES);
    transport_send(c->t, &req, &x.rep);
    free(text);
    c->last_seconds = x.rep.seconds;
    if (x.rep.attempts > 1)
        c->run->retried++;
    x.ok = x.rep.fail == TRANSPORT_OK;
    if (!x.ok)
        describe_fail(c, &x.rep, x.fail, sizeof(x.fail));
    if (x.rep.fail == TRANSPORT_UNREACHABLE) {
        c->run->aborted = 1;
        snprintf(c->run->abort_reason, sizeof(c->run->abort_reason), "%s", x.fail);
        goto out_release;
    }
    if (x.rep.status != 200) {
        if (x.ok && x.rep.body.len)
            x.doc = json_loadb(x.rep.body.data, x.rep.body.len, 0, NULL);
        if (x.ok)
            status_why(&x, why, sizeof(why));
        else
            snprintf(why, sizeof(why), "%s", x.fail);
        add(c, SMOKE_AREA_STREAMING, "transfer", CHECK_FAIL, x.rep.status, "%s", why);
        for (i = 0; i < STREAM_INV_COUNT; i++)
            add(c, SMOKE_AREA_STREAMING, stream_check_inv_name(i), CHECK_SKIP, x.rep.status,
                "no event stream to check");
        goto out_release;
    }
    if (!x.ok)
        add(c, SMOKE_AREA_STREAMING, "transfer", CHECK_FAIL, 200, "%s after %zu bytes", x.fail,
            x.rep.stream_bytes);
    else if (strcmp(x.rep.content_type, RM_MEDIA_SSE) != 0)
        add(c, SMOKE_AREA_STREAMING, "transfer", CHECK_FAIL, 200,
            "HTTP 200 but content-type is %s, expected " RM_MEDIA_SSE,
            x.rep.content_type[0] ? x.rep.content_type : "missing");
    else
        add(c, SMOKE_AREA_STREAMING, "transfer", CHECK_PASS, 200,
            "HTTP 200 " RM_MEDIA_SSE ", %zu bytes, complete", x.rep.stream_bytes);
    stream_check_finish(&sc, &rep);
    for (i = 0; i < STREAM_INV_COUNT; i++) {
        const struct stream_verdict *v = &rep.inv[i];
        add(c, SMOKE_AREA_STREAMING, stream_check_inv_name(i),
            v->state == 1 ? CHECK_PASS : v->state == 0 ? CHECK_FAIL : CHECK_SKIP, 200, "%s",
            v->reason);
    }
    if (c->api == SMOKE_API_RESPONSES && rep.done_sentinels)
        notes_add(&c->run->notes, "responses stream sent data: [DONE] (tolerated)");
    if (rep.unknown_events)
        notes_add(&c->run->notes, "%s stream: %zu event(s) of unknown type ignored, e.g. %s",
                  checks_api_name(c->api), rep.unknown_events, rep.first_unknown);
    if (rep.gaps)
        notes_add(&c->run->notes, "sequence_number has gaps or does not start at 0");
    if (rep.obfuscated)
        notes_add(&c->run->notes, "%s stream: %zu event(s) carry an obfuscation pad (ignored)",
                  checks_api_name(c->api), rep.obfuscated);
    shape_note_usage_extras(sc.usage, c->api == SMOKE_API_CHAT, &c->run->notes);
out_release:
    stream_check_release(&sc);
    exchange_release(&x);
}

/* The get_weather tool in the shape of the current API. */
static json_t *weather_tools(struct ctx *c)
{
    json_t *params = json_pack("{s:s, s:{s:{s:s}}, s:[s], s:b}", "type", "object", "properties",
                               "location", "type", "string", "required", "location",
                               "additionalProperties", 0);

    if (c->api == SMOKE_API_CHAT)
        return json_pack("[{s:s, s:{s:s, s:s, s:o}}]", "type", "function", "function", "name",
                         TOOL_NAME, "description", "Get the current weather for a city.",
                         "parameters", params);
    return json_pack("[{s:s, s:s, s:s, s:o, s:b}]", "type", "function", "name", TOOL_NAME,
                     "description", "Get the current weather for a city.", "parameters", params,
                     "strict", 1);
}

/* Validate the tool call of a Responses answer; returns the item or NULL. */
static json_t *responses_call(struct ctx *c, const json_t *doc, char *why, size_t n)
{
    json_t *item = shape_find_item(doc, RM_ITEM_FUNCTION_CALL);
    const char *call_id = json_util_str(item, "call_id");
    const char *name = json_util_str(item, "name");
    const char *status = json_util_str(doc, "status");

    (void)c;
    if (!item)
        snprintf(why, n, "no function_call item in output");
    else if (!call_id || !call_id[0])
        snprintf(why, n, "function_call has no call_id");
    else if (!name || strcmp(name, TOOL_NAME) != 0)
        snprintf(why, n, "function_call name is not the requested tool");
    else if (!shape_is_json_object_text(json_object_get(item, "arguments")))
        snprintf(why, n, "function_call arguments is not a string holding a JSON object");
    else if (strcmp(status, RM_STATUS_COMPLETED) != 0)
        snprintf(why, n, "response status is not \"completed\" (Responses has no "
                         "requires_action)");
    else
        return item;
    return NULL;
}

/* Validate the tool call of a chat answer; returns the tool_calls array or NULL. */
static json_t *chat_call(const json_t *doc, char *why, size_t n)
{
    json_t *msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    json_t *calls = json_object_get(msg, "tool_calls");
    json_t *call = json_array_get(calls, 0);
    json_t *fn = json_object_get(call, "function");
    const char *id = json_util_str(call, "id");
    const char *name = json_util_str(fn, "name");

    if (!call)
        snprintf(why, n, "choices[0].message.tool_calls is empty or missing");
    else if (!id || !id[0])
        snprintf(why, n, "tool call has no id");
    else if (!name || strcmp(name, TOOL_NAME) != 0)
        snprintf(why, n, "tool call function.name is not the requested tool");
    else if (!shape_is_json_object_text(json_object_get(fn, "arguments")))
        snprintf(why, n, "tool call arguments is not a string holding a JSON object");
    else
        return calls;
    return NULL;
}

static void area_tools(struct ctx *c)
{
    const char *ask = "What is the weather in Boston?" MARK("tool_calling");
    struct exchange x, y;
    json_t *body = body_text(c, ask), *doc, *follow = NULL;
    char why[SMOKE_REASON_MAX - 40];

    memset(&y, 0, sizeof(y));
    json_object_set_new(body, "tools", weather_tools(c));
    if (c->api == SMOKE_API_CHAT)
        json_object_set_new(body, "tool_choice",
                            json_pack("{s:s, s:{s:s}}", "type", "function", "function", "name",
                                      TOOL_NAME));
    else
        json_object_set_new(body, "tool_choice",
                            json_pack("{s:s, s:s}", "type", "function", "name", TOOL_NAME));
    exchange(c, "POST", checks_api_path(c->api), body, NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    doc = created_doc(c, &x, 0, why, sizeof(why));
    if (!doc) {
        add(c, SMOKE_AREA_TOOLS, "function_call", CHECK_FAIL, x.rep.status, "%s", why);
        add(c, SMOKE_AREA_TOOLS, "tool_output_roundtrip", CHECK_SKIP, 0,
            "no function call to answer");
        goto out_release;
    }
    if (c->api == SMOKE_API_CHAT) {
        json_t *calls = chat_call(doc, why, sizeof(why));
        json_t *call = json_array_get(calls, 0);
        if (calls)
            follow = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:n, s:O}, {s:s, s:s, s:s}]}",
                               "model", c->model, "messages", "role", RM_ROLE_USER, "content", ask,
                               "role", RM_ROLE_ASSISTANT, "content", "tool_calls", calls, "role",
                               RM_ROLE_TOOL, "tool_call_id", json_util_str(call, "id"), "content",
                               TOOL_OUTPUT);
    } else {
        json_t *item = responses_call(c, doc, why, sizeof(why));
        const char *id = json_util_str(doc, "id");
        if (item)
            follow = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "model", c->model,
                               "previous_response_id", id, "input", "type",
                               RM_ITEM_FUNCTION_CALL_OUTPUT, "call_id",
                               json_util_str(item, "call_id"), "output", TOOL_OUTPUT);
    }
    if (!follow) {
        add(c, SMOKE_AREA_TOOLS, "function_call", CHECK_FAIL, 200, "%s", why);
        add(c, SMOKE_AREA_TOOLS, "tool_output_roundtrip", CHECK_SKIP, 0,
            "no function call to answer");
        goto out_release;
    }
    add(c, SMOKE_AREA_TOOLS, "function_call", CHECK_PASS, 200,
        c->api == SMOKE_API_CHAT ? "tool_calls[0] with id, name and JSON-string arguments"
                                 : "function_call item with call_id, name and JSON-string "
                                   "arguments; status completed");
    exchange(c, "POST", checks_api_path(c->api), follow, NULL, TRANSPORT_AUTH_KEY, &y);
    expect_created(c, SMOKE_AREA_TOOLS, "tool_output_roundtrip", &y, 1,
                   c->api == SMOKE_API_CHAT ? "role:tool answer accepted, text reply"
                                            : "function_call_output accepted via "
                                              "previous_response_id, text reply");
out_release:
    exchange_release(&x);
    exchange_release(&y);
}

static void area_multimodal(struct ctx *c)
{
    const char *text = "What colour is this image? Answer in one word." MARK("multimodal");
    struct exchange x;
    json_t *body;

    if (c->api == SMOKE_API_CHAT)
        body = json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}]}]}", "model", c->model, "messages",
                         "role", RM_ROLE_USER, "content", "type", "text", "text",
                         "Say hello." MARK("multimodal_text"));
    else
        body = json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}]}]}", "model", c->model, "input", "role",
                         RM_ROLE_USER, "content", "type", RM_PART_INPUT_TEXT, "text",
                         "Say hello." MARK("multimodal_text"));
    exchange(c, "POST", checks_api_path(c->api), body, NULL, TRANSPORT_AUTH_KEY, &x);
    expect_created(c, SMOKE_AREA_MULTIMODAL, "text_parts", &x, 1,
                   "content as an array of text parts accepted");
    exchange_release(&x);
    if (c->run->aborted)
        return;

    if (c->api == SMOKE_API_CHAT)
        body = json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}, {s:s, s:{s:s, s:s}}]}]}", "model",
                         c->model, "messages", "role", RM_ROLE_USER, "content", "type", "text",
                         "text", text, "type", "image_url", "image_url", "url", TINY_PNG,
                         "detail", "low");
    else
        body = json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}, {s:s, s:s, s:s}]}]}", "model", c->model,
                         "input", "role", RM_ROLE_USER, "content", "type", RM_PART_INPUT_TEXT,
                         "text", text, "type", RM_PART_INPUT_IMAGE, "image_url", TINY_PNG,
                         "detail", "low");
    exchange(c, "POST", checks_api_path(c->api), body, NULL, TRANSPORT_AUTH_KEY, &x);
    expect_created(c, SMOKE_AREA_MULTIMODAL, "image_input", &x, 1,
                   "text + base64 image input accepted, text reply");
    exchange_release(&x);
}

static void area_stateful(struct ctx *c)
{
    struct exchange x, y;
    char path[320], id[256], chained[256], why[SMOKE_REASON_MAX - 40];
    json_t *body, *doc;
    const char *s;

    memset(&y, 0, sizeof(y));
    id[0] = chained[0] = '\0';
    body = body_text(c, "Remember the word teal." MARK("stateful"));
    json_object_set_new(body, "store", json_true());
    exchange(c, "POST", "/responses", body, NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    doc = created_doc(c, &x, 0, why, sizeof(why));
    if (doc && !url_safe(json_util_str(doc, "id"))) {
        snprintf(why, sizeof(why), "response id is not usable in a URL path");
        doc = NULL;
    }
    if (!doc) {
        static const char *const later[] = {"retrieve", "chain", "delete", NULL};
        const char *const *k;
        add(c, SMOKE_AREA_STATEFUL, "create_stored", CHECK_FAIL, x.rep.status, "%s", why);
        for (k = later; *k; k++)
            add(c, SMOKE_AREA_STATEFUL, *k, CHECK_SKIP, 0, "no stored response");
        goto out_unknown;
    }
    add(c, SMOKE_AREA_STATEFUL, "create_stored", CHECK_PASS, 200,
        "HTTP 200; store:true response created")->seconds = x.rep.seconds;
    snprintf(id, sizeof(id), "%s", json_util_str(doc, "id"));
    exchange_release(&x);

    /* retrieve */
    snprintf(path, sizeof(path), "/responses/%s", id);
    exchange(c, "GET", path, NULL, NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    if (!expect_ok(&x, why, sizeof(why)))
        add(c, SMOKE_AREA_STATEFUL, "retrieve", CHECK_FAIL, x.rep.status, "GET: %s", why);
    else if (valid_shape(c, x.doc, why, sizeof(why)))
        add(c, SMOKE_AREA_STATEFUL, "retrieve", CHECK_FAIL, 200, "GET: HTTP 200 but %s", why);
    else if (!(s = json_util_str(x.doc, "id")) || strcmp(s, id) != 0)
        add(c, SMOKE_AREA_STATEFUL, "retrieve", CHECK_FAIL, 200,
            "GET returned a response with another id");
    else
        add(c, SMOKE_AREA_STATEFUL, "retrieve", CHECK_PASS, 200,
            "GET /responses/{id}: HTTP 200, same id");
    exchange_release(&x);

    /* chain */
    body = body_text(c, "Which word did I ask you to remember?" MARK("stateful_chain"));
    json_object_set_new(body, "previous_response_id", json_string(id));
    exchange(c, "POST", "/responses", body, NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    if (!expect_ok(&x, why, sizeof(why)))
        add(c, SMOKE_AREA_STATEFUL, "chain", CHECK_FAIL, x.rep.status, "%s", why);
    else if (valid_shape(c, x.doc, why, sizeof(why)))
        add(c, SMOKE_AREA_STATEFUL, "chain", CHECK_FAIL, 200, "HTTP 200 but %s", why);
    else if (!(s = json_util_str(x.doc, "previous_response_id")) || strcmp(s, id) != 0)
        add(c, SMOKE_AREA_STATEFUL, "chain", CHECK_FAIL, 200,
            "previous_response_id is not echoed");
    else {
        add(c, SMOKE_AREA_STATEFUL, "chain", CHECK_PASS, 200,
            "previous_response_id accepted and echoed");
        if (url_safe(json_util_str(x.doc, "id")))
            snprintf(chained, sizeof(chained), "%s", json_util_str(x.doc, "id"));
    }
    exchange_release(&x);

    /* delete, then the id must be gone */
    exchange(c, "DELETE", path, NULL, NULL, TRANSPORT_AUTH_KEY, &x);
    if (c->run->aborted)
        goto out_release;
    if (!x.ok || x.rep.status != 200) {
        if (x.ok)
            status_why(&x, why, sizeof(why));
        add(c, SMOKE_AREA_STATEFUL, "delete", CHECK_FAIL, x.rep.status, "DELETE: %s",
            x.ok ? why : x.fail);
    } else if (json_is_object(x.doc) && json_object_get(x.doc, "deleted") &&
               !json_is_true(json_object_get(x.doc, "deleted"))) {
        add(c, SMOKE_AREA_STATEFUL, "delete", CHECK_FAIL, 200, "DELETE body has deleted != true");
    } else {
        exchange(c, "GET", path, NULL, NULL, TRANSPORT_AUTH_KEY, &y);
        if (c->run->aborted)
            goto out_release;
        if (!y.ok)
            add(c, SMOKE_AREA_STATEFUL, "delete", CHECK_FAIL, y.rep.status,
                "GET after DELETE: %s", y.fail);
        else if (y.rep.status != 404)
            /* exactly 404: a 401, 429 or 400 says nothing about the deletion */
            add(c, SMOKE_AREA_STATEFUL, "delete", CHECK_FAIL, y.rep.status,
                "DELETE gave 200 but GET afterwards gave HTTP %ld, expected 404", y.rep.status);
        else
            add(c, SMOKE_AREA_STATEFUL, "delete", CHECK_PASS, y.rep.status,
                "DELETE: HTTP 200; GET afterwards: HTTP %ld", y.rep.status);
    }
    exchange_release(&x);
    if (chained[0]) { /* tidy up; not a check */
        snprintf(path, sizeof(path), "/responses/%s", chained);
        exchange(c, "DELETE", path, NULL, NULL, TRANSPORT_AUTH_KEY, &x);
        if (c->run->aborted)
            goto out_release;
    }
out_unknown:
    body = body_text(c, "Continue." MARK("stateful_unknown"));
    json_object_set_new(body, "previous_response_id", json_string(UNKNOWN_PREVIOUS_ID));
    expect_error(c, SMOKE_AREA_STATEFUL, "unknown_previous_response_id", "POST", "/responses",
                 body, NULL, TRANSPORT_AUTH_KEY, 400, 499, 400);
out_release:
    exchange_release(&x);
    exchange_release(&y);
}

/* ---------------------------------------------------------------------------
 * Run
 * ------------------------------------------------------------------------- */

void smoke_run_init(struct smoke_run *run)
{
    time_t now = time(NULL);
    struct tm tm;
    unsigned rnd = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    char stamp[32];
    int i;

    memset(run, 0, sizeof(*run));
    notes_init(&run->notes);
    gmtime_r(&now, &tm);
    strftime(run->date, sizeof(run->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (!f || fread(&rnd, sizeof(rnd), 1, f) != 1)
        rnd = (unsigned)now ^ ((unsigned)getpid() << 16);
    if (f)
        fclose(f);
    snprintf(run->run_id, sizeof(run->run_id), "rs-%s-%08x", stamp, rnd);
    for (i = 0; i < SMOKE_API_COUNT; i++)
        run->basic_json[i] = run->basic_fields[i] = -1;
}

void smoke_run_release(struct smoke_run *run)
{
    notes_release(&run->notes);
}

/* Choose the model: configured, or the first one GET /models lists. */
static int choose_model(struct ctx *c)
{
    struct exchange *m;
    const char *first = NULL;
    char why[SMOKE_REASON_MAX - 60];

    if (c->cfg->model) {
        c->model = c->cfg->model;
        redact_token(c->model, c->run->model, sizeof(c->run->model));
        notes_add(&c->run->notes, "model %s from %s", c->run->model, c->cfg->model_source);
        return 0;
    }
    m = models(c);
    if (c->run->aborted)
        return -1;
    if (!expect_ok(m, why, sizeof(why)) || shape_models(m->doc, why, sizeof(why), &first) ||
        !first) {
        if (m->ok && m->rep.status == 200 && !first && json_is_object(m->doc))
            snprintf(why, sizeof(why), "the list is empty");
        c->run->aborted = 1;
        snprintf(c->run->abort_reason, sizeof(c->run->abort_reason),
                 "no model: GET /models failed (%s); pass --model or set RESPSMOKE_MODEL", why);
        return -1;
    }
    c->model = first;
    redact_token(first, c->run->model, sizeof(c->run->model));
    notes_add(&c->run->notes, "model %s was the first listed by GET /models", c->run->model);
    return 0;
}

int checks_run(const struct smoke_config *cfg, struct transport *t, struct smoke_run *run)
{
    struct ctx c;
    char fp[64];
    int api, area;

    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.t = t;
    c.run = run;
    notes_add(&run->notes, "API key from %s, fingerprint %s", cfg->api_key_source,
              redact_fingerprint(cfg->api_key, fp, sizeof(fp)));
    if (choose_model(&c) == 0) {
        for (api = 0; api < SMOKE_API_COUNT && !run->aborted; api++) {
            if (!(cfg->apis & (1u << api)))
                continue;
            c.api = api;
            for (area = 0; area < SMOKE_AREA_COUNT && !run->aborted; area++)
                if ((cfg->areas & (1u << area)) && checks_area_applies(area, api))
                    areas[area].run(&c);
        }
    }
    if (run->retried)
        notes_add(&run->notes, "%d request(s) retried after 429/5xx", run->retried);
    if (run->dropped)
        notes_add(&run->notes, "%zu check result(s) did not fit the report", run->dropped);
    for (api = 0; api < SMOKE_API_COUNT; api++)
        exchange_release(&c.basic[api].x);
    exchange_release(&c.models);
    return run->aborted ? -1 : 0;
}
