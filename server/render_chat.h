/* render_chat: Chat Completions answers from the same fixtures.
 *
 * A fixture's output items become one chat.completion (message content,
 * refusal, tool_calls, finish_reason, usage) and its data-only chunk
 * stream ending in [DONE], with the same chunk boundaries as the Responses
 * stream of that fixture. Every chunk goes through the emitter (fault.h). */
#ifndef RM_RENDER_CHAT_H
#define RM_RENDER_CHAT_H

#include <jansson.h>

#include "events.h"
#include "fault.h"
#include "render_response.h"

/* The chat.completion object. New reference. */
json_t *render_chat(const struct render_ctx *rc);

/* Its chunk stream (usage chunk before [DONE] with include_usage). Faults
 * as in render_response_events(), counted in data frames; error kinds
 * become one {"error":{...}} data frame and the stream ends without
 * [DONE]. New list, or NULL on OOM / over a limit. */
struct event_list *render_chat_events(const struct render_ctx *rc, const json_t *completion,
                                      const struct fx_fault *fault);

#endif
