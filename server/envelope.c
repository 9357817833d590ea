/* envelope: OpenAI-shaped error bodies (see envelope.h). */
#include "envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "limits.h"

static void api_error_fill(struct api_error *err, int status, const char *type,
                           const char *code, const char *param)
{
    err->status = status;
    err->type = type;
    err->code = code;
    snprintf(err->param, sizeof(err->param), "%s", param ? param : "");
}

int api_error_set(struct api_error *err, int status, const char *type, const char *code,
                  const char *param, const char *fmt, ...)
{
    va_list ap;

    api_error_fill(err, status, type, code, param);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int api_error_invalid(struct api_error *err, const char *code, const char *param,
                      const char *fmt, ...)
{
    va_list ap;

    api_error_fill(err, 400, RM_ERRTYPE_INVALID_REQUEST, code, param);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int api_error_not_found(struct api_error *err, const char *param, const char *fmt, ...)
{
    va_list ap;

    api_error_fill(err, 404, RM_ERRTYPE_INVALID_REQUEST, NULL, param);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int api_error_server(struct api_error *err, const char *code, const char *fmt, ...)
{
    va_list ap;

    api_error_fill(err, 500, RM_ERRTYPE_SERVER, code, NULL);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int api_error_oom(struct api_error *err)
{
    return api_error_server(err, NULL, "respmock: out of memory or over a limit");
}

int api_error_state_unavailable(struct api_error *err)
{
    return api_error_set(err, 503, RM_ERRTYPE_SERVICE_UNAVAILABLE, RM_ERRCODE_STATE_UNAVAILABLE,
                         NULL,
                         "respmock: the shared state (--state Redis) cannot be reached; "
                         "this request needs it. Retry once Redis is back.");
}

/* A JSON string of 's'. Messages and params quote request text (ids from the
 * path, header values, JSON keys) and are cut to fixed sizes, so they may
 * hold invalid or truncated UTF-8, which json_string() refuses: such bytes
 * become U+FFFD instead of making the whole envelope fail. */
static json_t *envelope_string(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end;
    char out[3 * (API_ERROR_MESSAGE_MAX + API_ERROR_PARAM_MAX) + 1];
    size_t used = 0;
    json_t *v = json_string(s);

    if (v)
        return v;
    end = p + strlen(s);
    while (p < end && used + 4 < sizeof(out)) {
        size_t n = utf8_seq_len(p, (size_t)(end - p));

        if (n) {
            memcpy(out + used, p, n);
            used += n;
            p += n;
        } else {
            memcpy(out + used, "\xEF\xBF\xBD", 3);
            used += 3;
            p++;
        }
    }
    out[used] = '\0';
    return json_string(out);
}

json_t *envelope_build(const struct api_error *err)
{
    return json_pack("{s:{s:o, s:s, s:o, s:o}}", "error",
                     "message", envelope_string(err->message),
                     "type", err->type ? err->type : RM_ERRTYPE_INVALID_REQUEST,
                     "param", err->param[0] ? envelope_string(err->param) : json_null(),
                     "code", err->code ? json_string(err->code) : json_null());
}

json_t *envelope_build_flavor(const struct api_error *err, enum rm_flavor flavor,
                              const char *request_id)
{
    char message[API_ERROR_MESSAGE_MAX + RM_MAX_REQUEST_ID + 32];
    json_t *e, *inner;

    if (flavor != RM_FLAVOR_COMETAPI)
        return envelope_build(err);
    if (request_id && request_id[0])
        snprintf(message, sizeof(message), "%s (request id: %.*s)", err->message,
                 RM_MAX_REQUEST_ID, request_id);
    else
        snprintf(message, sizeof(message), "%s", err->message);
    /* CometAPI: its own type for every error, an empty param (none at all
     * for its token check, 401) and a code that is never null. */
    e = json_pack("{s:{s:o, s:s}}", "error", "message", envelope_string(message), "type",
                  RM_ERRTYPE_COMETAPI);
    inner = json_object_get(e, "error");
    if (inner && err->status != 401)
        json_object_set_new(inner, "param", json_string(""));
    if (inner)
        json_object_set_new(inner, "code",
                            json_string(err->status != 401 && err->code ? err->code : ""));
    return e;
}

enum rm_flavor envelope_flavor_parse(const char *name)
{
    if (name && strcmp(name, "openai") == 0)
        return RM_FLAVOR_OPENAI;
    if (name && strcmp(name, "cometapi") == 0)
        return RM_FLAVOR_COMETAPI;
    return RM_FLAVOR_UNSET;
}

const char *envelope_flavor_name(enum rm_flavor flavor)
{
    switch (flavor) {
    case RM_FLAVOR_OPENAI: return "openai";
    case RM_FLAVOR_COMETAPI: return "cometapi";
    case RM_FLAVOR_UNSET: break;
    }
    return "unset";
}

int api_error_model_unavailable(struct api_error *err, const char *model)
{
    return api_error_set(err, 503, RM_ERRTYPE_COMETAPI, "model_not_found", NULL,
                         "no available channel for group default and model %.*s "
                         "(distributor)",
                         RM_MAX_QUOTED_MODEL, model ? model : "");
}

void api_error_chat_validation(struct api_error *err, enum rm_flavor flavor)
{
    if (flavor == RM_FLAVOR_COMETAPI && err->code &&
        strcmp(err->code, "missing_required_parameter") == 0) {
        err->status = 500;
        err->code = "invalid_request";
    }
}

char *envelope_dumps(const struct api_error *err)
{
    json_t *e = envelope_build(err);
    char *s = e ? json_util_dumps(e) : NULL;

    json_decref(e);
    return s;
}
