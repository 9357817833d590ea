/* auto_answer: the request-aware answer of a fixture with "auto": true (the
 * shipped default), so that the clients people run work unmodified:
 * - a reasoning item first when the request reasons (the reasoning
 *   parameter, or a reasoning model family): with a summary only when one
 *   is asked for, with encrypted_content when include asks for it;
 * - function tools sent and a call allowed by tool_choice, and the input
 *   not ending with tool results: a call to the first callable tool (one to
 *   each with "parallel_calls" when parallel_tool_calls allows), its
 *   arguments generated from the tool's own JSON Schema (schema_gen.h);
 * - a built-in tool sent (web_search, file_search, code_interpreter,
 *   image_generation, mcp, shell, local_shell; builtin.h) and no function
 *   call to make: that tool's item, then the fixture's text (after a web
 *   search, with a url_citation to the source it found); shell calls end
 *   the answer, as the client runs them;
 * - otherwise a message: JSON valid against the requested schema
 *   (json_schema) or a JSON object (json_object); after tool results, an
 *   answer quoting the last one; else the fixture's own output.
 * It also rebuilds the items of a stored Response from its output, so its
 * events can be rendered again when it is replayed. */
#ifndef RM_AUTO_ANSWER_H
#define RM_AUTO_ANSWER_H

#include <jansson.h>

#include "ask.h"
#include "fixture.h"

/* Items answering 'a' with fixture 'fx'. Returns 0 with 'out' filled (an
 * empty 'out' means: the fixture's own items, unchanged), or -1 on OOM. */
int auto_answer(const struct fixture *fx, const struct ask *a, struct fx_items *out);

/* The items of a rendered Response output (messages with their
 * annotations, refusals, function calls, reasoning with its reasoning
 * text, built-in tool items with their streamed text; anything else
 * verbatim), chunked as 'script' says.
 * Returns 0 or -1 on OOM. */
int auto_answer_items_of(const json_t *output, const struct fx_stream *script,
                         struct fx_items *out);

#endif
