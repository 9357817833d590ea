/* shape: structural checks of the JSON documents the contract defines.
 *
 * Each check looks only at keys and types a client reads, never at model
 * names, wording, token counts or prices, and ignores keys it does not know,
 * so a real endpoint with extra fields passes. Tolerated deviations (gateway
 * variants, missing optional keys) are added to 'notes' instead of failing.
 * All functions are pure: they read the document and write 'why'. */
#ifndef RS_SHAPE_H
#define RS_SHAPE_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "notes.h"

/* What an error envelope said, as printable tokens (see redact_token). */
struct shape_error_info {
    char type[72];  /* error.type, "" when not a string */
    char code[72];  /* error.code, "null", "\"\"" or a token */
};

/* Check a Response object (contract §3): object "response", id, created_at,
 * status, output items with their typed fields, usage types. Returns 0, or -1
 * with the first problem in 'why' ('n' bytes). 'notes' may be NULL. */
int shape_response(const json_t *r, char *why, size_t n, struct notes *notes);

/* Check an OpenAI error envelope (contract §5): {"error":{message, type,
 * param, code}} where message and type must be strings; CometAPI-style
 * variants (other type, "" code, missing param) are noted, not failed.
 * 'info' (may be NULL) receives type and code. Returns 0 or -1 with 'why'. */
int shape_error(const json_t *doc, char *why, size_t n, struct notes *notes,
                struct shape_error_info *info);

/* True when an error check that expects a 4xx ('lo'..'hi' inside 400-499)
 * got a known gateway variant of it instead: CometAPI answers some
 * validation errors (a missing required Chat field) with HTTP 500 and code
 * "invalid_request". 'info' is what shape_error read from the body. Any
 * other 5xx, a 2xx, or an auth check (a single expected status) is not. */
int shape_validation_variant(long status, long lo, long hi, const struct shape_error_info *info);

/* Note the keys of usage object 'usage' that the OpenAI API does not send
 * (CometAPI adds e.g. latency_checkpoint); 'chat' picks the Chat
 * Completions key set. Nothing is noted for a non-object. */
void shape_note_usage_extras(const json_t *usage, int chat, struct notes *notes);

/* Check a chat.completion object (contract §1 parity). Returns 0 or -1. */
int shape_chat_completion(const json_t *c, char *why, size_t n, struct notes *notes);

/* Check one chat.completion.chunk of a chat stream. Returns 0 or -1. */
int shape_chat_chunk(const json_t *c, char *why, size_t n);

/* Check a model list {"object":"list","data":[{"id":...}]}. Returns 0 or -1;
 * 'first_id' (may be NULL) receives the first model id (borrowed). */
int shape_models(const json_t *doc, char *why, size_t n, const char **first_id);

/* Append the text of every output_text part of every message item of
 * Response 'r' to 'out'. Returns the number of parts, or -1 when 'out' is full. */
int shape_output_text(const json_t *r, struct buf *out);

/* The first output item of Response 'r' whose type is 'type' (borrowed), or NULL. */
json_t *shape_find_item(const json_t *r, const char *type);

/* True when 'v' is a JSON string whose text parses as a JSON object. */
int shape_is_json_object_text(const json_t *v);

#endif
