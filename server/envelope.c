/* envelope: OpenAI-shaped error bodies (see envelope.h). */
#include "envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"

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

    api_error_fill(err, 400, "invalid_request_error", code, param);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

json_t *envelope_build(const struct api_error *err)
{
    return json_pack("{s:{s:s, s:s, s:o, s:o}}", "error",
                     "message", err->message,
                     "type", err->type ? err->type : "invalid_request_error",
                     "param", err->param[0] ? json_string(err->param) : json_null(),
                     "code", err->code ? json_string(err->code) : json_null());
}

char *envelope_dumps(const struct api_error *err)
{
    json_t *e = envelope_build(err);
    char *s = e ? json_util_dumps(e) : NULL;

    json_decref(e);
    return s;
}
