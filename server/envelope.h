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

/* The error type CometAPI gives every error it sends. */
#define RM_ERRTYPE_COMETAPI "comet_api_error"

/* Gateway flavours: the shape error bodies (and a few stream extras) take,
 * chosen by --flavor and per fixture by its "flavor" key. */
enum rm_flavor {
    RM_FLAVOR_UNSET = -1,   /* a fixture without "flavor": the server's --flavor */
    RM_FLAVOR_OPENAI = 0,   /* the OpenAI envelope (the default) */
    RM_FLAVOR_COMETAPI = 1, /* CometAPI: type comet_api_error, param "" (absent on 401),
                             * code "" or a word, the message ending in
                             * " (request id: <x-request-id>)" */
};

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

/* respmock's own 503 for a request that needs the shared state (--state)
 * while its Redis cannot be reached. Returns -1. */
int api_error_state_unavailable(struct api_error *err);

/* The envelope as a new JSON object. */
json_t *envelope_build(const struct api_error *err);

/* The envelope of 'err' as the gateway 'flavor' sends it; 'request_id' (may
 * be NULL or "") is the reply's x-request-id, which CometAPI quotes at the
 * end of the message. RM_FLAVOR_OPENAI (and UNSET) give envelope_build(err).
 * New reference. */
json_t *envelope_build_flavor(const struct api_error *err, enum rm_flavor flavor,
                              const char *request_id);

/* The flavour called 'name' ("openai", "cometapi"), or RM_FLAVOR_UNSET. */
enum rm_flavor envelope_flavor_parse(const char *name);

/* "openai" or "cometapi" ("unset" for RM_FLAVOR_UNSET). */
const char *envelope_flavor_name(enum rm_flavor flavor);

/* CometAPI's answer to a model no channel serves: 503 model_not_found.
 * Returns -1. */
int api_error_model_unavailable(struct api_error *err, const char *model);

/* A Chat Completions validation error as 'flavor' reports it: CometAPI
 * answers a missing required field (OpenAI: 400 missing_required_parameter)
 * with 500 invalid_request; every other error is left as it is. */
void api_error_chat_validation(struct api_error *err, enum rm_flavor flavor);

/* The envelope as compact JSON text (new allocation, free() it). */
char *envelope_dumps(const struct api_error *err);

#endif
