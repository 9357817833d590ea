/* envelope: the OpenAI error envelope and the HTTP status it goes with.
 *
 * Every error respmock itself detects (validation, auth, routing, limits)
 * is described by a struct api_error and rendered as
 *   {"error":{"message":..., "type":..., "param":..., "code":...}}
 * with all four keys present ('param' and 'code' null when empty). */
#ifndef RM_ENVELOPE_H
#define RM_ENVELOPE_H

#include <jansson.h>

#define API_ERROR_PARAM_MAX 160
#define API_ERROR_MESSAGE_MAX 640

struct api_error {
    int status;                          /* HTTP status, e.g. 400 */
    const char *type;                    /* static string, e.g. "invalid_request_error" */
    const char *code;                    /* static string or NULL for JSON null */
    char param[API_ERROR_PARAM_MAX];     /* "" for JSON null, else a path like "input[0].content" */
    char message[API_ERROR_MESSAGE_MAX]; /* human text, wording not part of the contract */
};

/* Fill 'err' (status, type, code, param, printf-style message). 'param' and
 * 'code' may be NULL. Returns -1 so callers can 'return api_error_set(...)'. */
int api_error_set(struct api_error *err, int status, const char *type, const char *code,
                  const char *param, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Shorthand for a 400 invalid_request_error. Returns -1. */
int api_error_invalid(struct api_error *err, const char *code, const char *param,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A 404 invalid_request_error with a null code. Returns -1. */
int api_error_not_found(struct api_error *err, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A 500 server_error ('code' may be NULL). Returns -1. */
int api_error_server(struct api_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* respmock's own 500 for running out of memory or over a limit. Returns -1. */
int api_error_oom(struct api_error *err);

/* The envelope as a new JSON object. */
json_t *envelope_build(const struct api_error *err);

/* The envelope as compact JSON text (new allocation, free() it). */
char *envelope_dumps(const struct api_error *err);

#endif
