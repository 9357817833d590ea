/* contract: the names the Responses and Chat Completions contract fixes,
 * written once for the server, the respsmoke client and the tests: stream
 * event types and which of them end a stream, object names and the chat
 * [DONE] sentinel, message roles, response statuses, output item and
 * content part types, generated-id prefixes, content types and error types.
 *
 * Only names and the relations between them live here (a terminal event and
 * the status it carries, an item type and its id prefix); what a document
 * must contain is checked in client/shape.c and client/stream_check.c, and
 * built in the server's render modules. */
#ifndef RM_CONTRACT_H
#define RM_CONTRACT_H

#include <stddef.h>

/* ---- Responses stream event types ------------------------------------- */

#define RM_EV_CREATED "response.created"
#define RM_EV_QUEUED "response.queued"
#define RM_EV_IN_PROGRESS "response.in_progress"
#define RM_EV_COMPLETED "response.completed"
#define RM_EV_INCOMPLETE "response.incomplete"
#define RM_EV_FAILED "response.failed"
#define RM_EV_ERROR "error"
#define RM_EV_ITEM_ADDED "response.output_item.added"
#define RM_EV_ITEM_DONE "response.output_item.done"
#define RM_EV_PART_ADDED "response.content_part.added"
#define RM_EV_PART_DONE "response.content_part.done"
#define RM_EV_TEXT_DELTA "response.output_text.delta"
#define RM_EV_TEXT_DONE "response.output_text.done"
#define RM_EV_ANNOTATION_ADDED "response.output_text.annotation.added"
#define RM_EV_REFUSAL_DELTA "response.refusal.delta"
#define RM_EV_REFUSAL_DONE "response.refusal.done"
#define RM_EV_ARGS_DELTA "response.function_call_arguments.delta"
#define RM_EV_ARGS_DONE "response.function_call_arguments.done"
#define RM_EV_SUMMARY_PART_ADDED "response.reasoning_summary_part.added"
#define RM_EV_SUMMARY_PART_DONE "response.reasoning_summary_part.done"
#define RM_EV_SUMMARY_DELTA "response.reasoning_summary_text.delta"
#define RM_EV_SUMMARY_DONE "response.reasoning_summary_text.done"
#define RM_EV_REASONING_TEXT_DELTA "response.reasoning_text.delta"
#define RM_EV_REASONING_TEXT_DONE "response.reasoning_text.done"

/* Built-in tool items: their item-scoped events (spec and openai-node 7.59
 * ResponseStreamEvent), each between the item's output_item.added and
 * output_item.done. */
#define RM_EV_WEB_SEARCH_IN_PROGRESS "response.web_search_call.in_progress"
#define RM_EV_WEB_SEARCH_SEARCHING "response.web_search_call.searching"
#define RM_EV_WEB_SEARCH_COMPLETED "response.web_search_call.completed"
#define RM_EV_FILE_SEARCH_IN_PROGRESS "response.file_search_call.in_progress"
#define RM_EV_FILE_SEARCH_SEARCHING "response.file_search_call.searching"
#define RM_EV_FILE_SEARCH_COMPLETED "response.file_search_call.completed"
#define RM_EV_CODE_IN_PROGRESS "response.code_interpreter_call.in_progress"
#define RM_EV_CODE_DELTA "response.code_interpreter_call_code.delta"
#define RM_EV_CODE_DONE "response.code_interpreter_call_code.done"
#define RM_EV_CODE_INTERPRETING "response.code_interpreter_call.interpreting"
#define RM_EV_CODE_COMPLETED "response.code_interpreter_call.completed"
#define RM_EV_IMAGE_IN_PROGRESS "response.image_generation_call.in_progress"
#define RM_EV_IMAGE_GENERATING "response.image_generation_call.generating"
#define RM_EV_IMAGE_PARTIAL "response.image_generation_call.partial_image"
#define RM_EV_IMAGE_COMPLETED "response.image_generation_call.completed"
#define RM_EV_MCP_LIST_IN_PROGRESS "response.mcp_list_tools.in_progress"
#define RM_EV_MCP_LIST_COMPLETED "response.mcp_list_tools.completed"
#define RM_EV_MCP_CALL_IN_PROGRESS "response.mcp_call.in_progress"
#define RM_EV_MCP_ARGS_DELTA "response.mcp_call_arguments.delta"
#define RM_EV_MCP_ARGS_DONE "response.mcp_call_arguments.done"
#define RM_EV_MCP_CALL_COMPLETED "response.mcp_call.completed"
#define RM_EV_MCP_CALL_FAILED "response.mcp_call.failed"
#define RM_EV_CUSTOM_INPUT_DELTA "response.custom_tool_call_input.delta"
#define RM_EV_CUSTOM_INPUT_DONE "response.custom_tool_call_input.done"
#define RM_EV_SHELL_COMMAND_ADDED "response.shell_call_command.added"
#define RM_EV_SHELL_COMMAND_DELTA "response.shell_call_command.delta"
#define RM_EV_SHELL_COMMAND_DONE "response.shell_call_command.done"
/* Newer than ../shared/spec (openai-node 7.59 ResponseCompactionCompactingEvent). */
#define RM_EV_COMPACTION_COMPACTING "response.compaction.compacting"

/* ---- WebSocket mode (GET /v1/responses with Upgrade: websocket) ---------
 * Client events (openai-node 7.59 ResponsesClientEvent) and the server events
 * only WebSocket mode sends; every other server event is a stream event above. */

#define RM_WS_EV_CREATE "response.create"          /* the create body, stream implied */
#define RM_WS_EV_STEER "response.steer"            /* queue input for a running response */
#define RM_WS_EV_STEER_FAILED "response.steer.failed"
#define RM_WS_STEER_NOT_SUPPORTED "steering_not_supported" /* response.steer.failed code */
#define RM_WS_GENERATE "generate"                  /* response.create: false = warm-up only */
#define RM_WS_BETA_HEADER "openai-beta"            /* Codex: responses_websockets=DATE */
#define RM_WS_JOURNAL_METHOD "WEBSOCKET"           /* journal method of a create over WS */
#define RM_WS_CLOSE_NORMAL 1000
#define RM_WS_CLOSE_GOING_AWAY 1001
#define RM_WS_CLOSE_TOO_BIG 1009                   /* a message over the limit */
#define RM_WS_CLOSE_OVERLOADED 1013                /* too many responses queued */

/* True for the events that end a Responses stream: response.completed,
 * response.incomplete and response.failed. ("error" ends a stream too but
 * carries no Response: see contract_event_ends_stream.) */
int contract_event_is_terminal(const char *type);

/* True for a terminal event or "error". */
int contract_event_ends_stream(const char *type);

/* The terminal event that carries a Response of 'status' ("completed" when
 * 'status' is NULL or unknown): response.incomplete for "incomplete",
 * response.failed for "failed", else response.completed. */
const char *contract_terminal_event(const char *status);

/* The status a terminal event's Response must have, or NULL when 'type' is
 * not a terminal event. */
const char *contract_terminal_status(const char *type);

/* True when 'type' is an event type of the contract, or of a known family
 * of item-scoped events (reasoning, hosted tools, audio) that clients may
 * receive; false for anything else. */
int contract_event_known(const char *type);

/* ---- Chat streams ----------------------------------------------------- */

/* The data-only sentinel that ends a Chat Completions stream. */
#define RM_CHAT_DONE "[DONE]"

/* True when the data of an SSE event, 'len' bytes, is RM_CHAT_DONE (trailing
 * blanks and tabs allowed, as the SDKs accept them). */
int contract_is_chat_done(const char *data, size_t len);

/* ---- Message roles ---------------------------------------------------- */

#define RM_ROLE_USER "user"
#define RM_ROLE_ASSISTANT "assistant"
#define RM_ROLE_SYSTEM "system"
#define RM_ROLE_TOOL "tool"

/* ---- Response statuses ----------------------------------------------- */

#define RM_STATUS_QUEUED "queued"
#define RM_STATUS_IN_PROGRESS "in_progress"
#define RM_STATUS_COMPLETED "completed"
#define RM_STATUS_INCOMPLETE "incomplete"
#define RM_STATUS_FAILED "failed"
#define RM_STATUS_CANCELLED "cancelled"

/* True for a status a Response ends in (completed, incomplete, failed,
 * cancelled). */
int contract_status_is_final(const char *status);

/* True for any of the statuses above. */
int contract_status_known(const char *status);

/* ---- Output and input item types ------------------------------------- */

#define RM_ITEM_MESSAGE "message"
#define RM_ITEM_FUNCTION_CALL "function_call"
#define RM_ITEM_FUNCTION_CALL_OUTPUT "function_call_output"
#define RM_ITEM_REASONING "reasoning"
#define RM_PART_OUTPUT_TEXT "output_text"
#define RM_PART_INPUT_TEXT "input_text"
#define RM_PART_INPUT_IMAGE "input_image"
#define RM_PART_REFUSAL "refusal"
#define RM_PART_SUMMARY_TEXT "summary_text"
#define RM_PART_REASONING_TEXT "reasoning_text"
#define RM_ANNOTATION_URL_CITATION "url_citation"

/* Built-in tool items (output items the API's own tools produce). */
#define RM_ITEM_WEB_SEARCH_CALL "web_search_call"
#define RM_ITEM_FILE_SEARCH_CALL "file_search_call"
#define RM_ITEM_CODE_INTERPRETER_CALL "code_interpreter_call"
#define RM_ITEM_IMAGE_GENERATION_CALL "image_generation_call"
#define RM_ITEM_MCP_LIST_TOOLS "mcp_list_tools"
#define RM_ITEM_MCP_CALL "mcp_call"
#define RM_ITEM_MCP_APPROVAL_REQUEST "mcp_approval_request"
#define RM_ITEM_CUSTOM_TOOL_CALL "custom_tool_call"
#define RM_ITEM_LOCAL_SHELL_CALL "local_shell_call"
#define RM_ITEM_SHELL_CALL "shell_call"
/* Compaction: the item POST /v1/responses/compact (or a compaction_trigger
 * input item) answers with, and the trigger itself. */
#define RM_ITEM_COMPACTION "compaction"
#define RM_ITEM_COMPACTION_TRIGGER "compaction_trigger"

/* include[] values that add content to built-in items and text parts. */
#define RM_INCLUDE_FILE_SEARCH_RESULTS "file_search_call.results"
#define RM_INCLUDE_WEB_SEARCH_SOURCES "web_search_call.action.sources"
#define RM_INCLUDE_CODE_OUTPUTS "code_interpreter_call.outputs"
#define RM_INCLUDE_LOGPROBS "message.output_text.logprobs"

/* ---- Generated id prefixes -------------------------------------------- */

#define RM_ID_RESPONSE "resp_"
#define RM_ID_MESSAGE "msg_"
#define RM_ID_FUNCTION_CALL "fc_"
#define RM_ID_CALL "call_"
#define RM_ID_REASONING "rs_"
#define RM_ID_FUNCTION_OUTPUT "fco_"
#define RM_ID_ITEM "item_"
#define RM_ID_WEB_SEARCH "ws_"
#define RM_ID_FILE_SEARCH "fs_"
#define RM_ID_CODE_INTERPRETER "ci_"
#define RM_ID_IMAGE_GENERATION "ig_"
#define RM_ID_MCP_LIST_TOOLS "mcpl_"
#define RM_ID_MCP_CALL "mcp_"
#define RM_ID_MCP_APPROVAL "mcpr_"
#define RM_ID_CUSTOM_TOOL_CALL "ctc_"
#define RM_ID_LOCAL_SHELL "lsh_"
#define RM_ID_SHELL "sh_"
#define RM_ID_COMPACTION "cmp_"
#define RM_ID_CONTAINER "cntr_"
#define RM_ID_CONVERSATION "conv_"
#define RM_ID_CHAT "chatcmpl-"
#define RM_ID_REQUEST "req_"

/* The prefixes of the ids a response or chat completion carries (resp_,
 * msg_, fc_, call_, rs_, chatcmpl-, and the built-in tool items' ws_, fs_,
 * ci_, ig_, mcpl_, mcp_, mcpr_, ctc_, lsh_, sh_, cmp_, cntr_), NULL-terminated. */
extern const char *const contract_response_id_prefixes[];

/* The prefix of the id an item of 'type' gets (msg_ for "message", fc_ for
 * "function_call", fco_ for "function_call_output", rs_ for "reasoning",
 * the built-in tool items' own (ws_, fs_, ci_, ig_, mcpl_, mcp_, mcpr_, ctc_,
 * lsh_, sh_), cmp_ for "compaction", item_ for anything else, NULL included). */
const char *contract_item_id_prefix(const char *type);

/* Length of the prefix of 'id' that is one of contract_response_id_prefixes
 * or req_, conv_, fco_, item_; 0 when none. */
size_t contract_id_prefix_len(const char *id);

/* The shape of the resp_, msg_, fc_ and rs_ ids the real API sends (since
 * 2025; tests/conformance/recordings): the prefix, then 50 hex digits: a
 * 16-digit segment that a response and all its output items share, "00",
 * the creation time as 8 hex digits, and 24 random digits. call_ ids have
 * 24 characters after the prefix. */
#define RM_ID_HEX_LEN 50
#define RM_ID_SEGMENT_LEN 16
#define RM_CALL_ID_LEN 24

/* ---- Models: what the real API fills in per model family --------------
 * As the recordings of tests/conformance show (SOURCES there). 'model' may
 * be NULL (then: no reasoning, no phase, "in_memory"). */

/* True for the families that reason by default (o1, o3, o4, gpt-5 except
 * its -chat snapshots, codex): the real API adds a reasoning item for them
 * unless their effort is "none". */
int contract_model_reasons(const char *model);

/* The reasoning effort a model reports when none is asked for: NULL for a
 * model that does not reason, "none" for gpt-5.1 and gpt-5.2, else
 * "medium". */
const char *contract_model_default_effort(const char *model);

/* True for models whose assistant messages carry "phase" ("commentary"
 * before a tool call, "final_answer" otherwise): gpt-5.3 and later. */
int contract_model_has_phase(const char *model);

/* prompt_cache_retention when none is asked for: "24h" for gpt-5.5 and
 * later, else "in_memory". */
const char *contract_model_cache_retention(const char *model);

/* ---- Object names ----------------------------------------------------- */

#define RM_OBJ_RESPONSE "response"
#define RM_OBJ_RESPONSE_DELETED "response.deleted"
#define RM_OBJ_INPUT_TOKENS "response.input_tokens"
#define RM_OBJ_RESPONSE_COMPACTION "response.compaction"
#define RM_OBJ_CONVERSATION "conversation"
#define RM_OBJ_CONVERSATION_DELETED "conversation.deleted"
#define RM_OBJ_LIST "list"
#define RM_OBJ_CHAT_COMPLETION "chat.completion"
#define RM_OBJ_CHAT_CHUNK "chat.completion.chunk"

/* ---- Content types ---------------------------------------------------- */

#define RM_CT_JSON "application/json"
#define RM_CT_SSE "text/event-stream; charset=utf-8"
#define RM_MEDIA_SSE "text/event-stream" /* the media type without parameters */

/* ---- Auth ---------------------------------------------------------------- */

/* Bearer keys of this shape are never valid: respmock always answers them
 * with 401 invalid_api_key (whatever --api-key says), and respsmoke sends one
 * as its bad key, so the bad-key check is a real 401 check against the mock
 * with its defaults and against a real endpoint alike. */
#define RM_REJECTED_KEY_PREFIX "sk-invalid-"

/* ---- Error envelope types and codes ---------------------------------- */

#define RM_ERRTYPE_INVALID_REQUEST "invalid_request_error"
#define RM_ERRTYPE_AUTHENTICATION "authentication_error"
#define RM_ERRTYPE_PERMISSION "permission_error"
#define RM_ERRTYPE_NOT_FOUND "not_found_error"
#define RM_ERRTYPE_RATE_LIMIT "rate_limit_error"
#define RM_ERRTYPE_SERVER "server_error"
#define RM_ERRTYPE_SERVICE_UNAVAILABLE "service_unavailable_error"
#define RM_ERRTYPE_INSUFFICIENT_QUOTA "insufficient_quota"
#define RM_ERRTYPE_API "api_error"
#define RM_ERRTYPE_REQUESTS "requests" /* rate limit on requests per minute */
#define RM_ERRTYPE_TOKENS "tokens"     /* rate limit on tokens per minute */
#define RM_ERRCODE_SERVER "server_error"
#define RM_ERRCODE_PREVIOUS_NOT_FOUND "previous_response_not_found"
#define RM_ERRCODE_UPSTREAM "upstream_unavailable" /* record mode: the upstream did not answer */
/* respmock's own: --state's Redis cannot be reached (a 503). */
#define RM_ERRCODE_STATE_UNAVAILABLE "state_unavailable"

/* True for an error.type the OpenAI API sends (the types above); a gateway
 * may send others. */
int contract_error_type_known(const char *type);

#endif
