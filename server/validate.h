/* validate: request-body checks for POST /v1/responses, /v1/responses/input_tokens
 * and /v1/chat/completions, reported the way OpenAI does (400
 * invalid_request_error, a code, and 'param' as a JSON path). Pure functions:
 * no I/O, no libmicrohttpd, no server state; semantic checks (unknown
 * previous_response_id, pending tool calls, model names) belong to handlers. */
#ifndef RM_VALIDATE_H
#define RM_VALIDATE_H

#include <jansson.h>

#include "buf.h"
#include "envelope.h"

/* Checks a parsed POST /v1/responses body. 'body' is borrowed and may be any
 * JSON value (a non-object is rejected). Rules are applied in this order and
 * the first problem wins: body is an object, 'model' present and a string,
 * one of input/prompt/previous_response_id/conversation present, no unknown
 * top-level key (every CreateResponse property of the spec is known), then
 * per-field types, ranges and enum values (input items, content parts, tools,
 * tool_choice, text.format, reasoning, metadata, include, ...).
 * Returns 0 when the body is acceptable, or -1 with 'err' filled (status 400,
 * type "invalid_request_error", code such as "missing_required_parameter",
 * "unknown_parameter", "invalid_type", "invalid_value",
 * "decimal_above_max_value", and 'param' the JSON path, e.g.
 * "input[2].content[0].image_url" or "metadata.somekey"). */
int validate_responses_create(const json_t *body, struct api_error *err);

/* A copy of the Responses body 'body' (an object; of input_tokens when
 * 'input_tokens') with only the top-level keys the rules know; the others
 * are appended to 'names' as "a, b". New reference. Used by
 * --accept-unknown-params. */
json_t *validate_split_unknown(const json_t *body, int input_tokens, struct buf *names);

/* Checks a parsed POST /v1/chat/completions body: 'model' and a non-empty
 * 'messages' array are required, each message needs a known role and content
 * (null or absent only for an assistant message with tool_calls or
 * function_call; a tool message also needs tool_call_id); temperature, top_p,
 * n, stream, stream_options and tools (Chat's nested
 * {"type":"function","function":{"name":...}} form) are type- and
 * range-checked. Unknown top-level keys are accepted. Same return convention
 * as validate_responses_create(). */
int validate_chat_create(const json_t *body, struct api_error *err);

/* Checks a parsed POST /v1/responses/input_tokens body: the same field rules
 * as validate_responses_create() but nothing is required, and the
 * TokenCountsBody-only key 'personality' is also known. Same return
 * convention. */
int validate_input_tokens(const json_t *body, struct api_error *err);

/* Checks a parsed POST /v1/responses/compact body
 * (CompactResponseMethodPublicBody): 'model' is required; model, input,
 * previous_response_id, instructions, prompt_cache_*, service_tier, image,
 * and the tools, parallel_tool_calls, reasoning and text Codex CLI sends
 * are known, with the create rules for their values (input items included);
 * any other key is unknown_parameter. Same return convention. */
int validate_responses_compact(const json_t *body, struct api_error *err);

#endif
