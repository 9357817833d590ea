/* render_builtin: the output items of built-in tools (builtin.h) as the
 * final Response carries them, the in-progress form their
 * response.output_item.added event carries, and the logprobs of text.
 *
 * The item is rendered from the fixture's object: fresh ids sharing the
 * response's segment, defaults for what the fixture leaves out, and the
 * parts only an "include" value adds (file_search_call.results,
 * code_interpreter_call.outputs, web_search_call.action.sources), as the
 * real API does. render_events derives each item's stream events from the
 * item rendered here. */
#ifndef RM_RENDER_BUILTIN_H
#define RM_RENDER_BUILTIN_H

#include <jansson.h>

#include "fixture.h"
#include "server.h"

/* True when the request's "include" array has 'value'. */
int render_includes(const json_t *req, const char *value);

/* The item of FX_ITEM_TOOL 'it' with 'status' (for the items that have
 * one), ids scoped by 'segment'. New reference. */
json_t *render_builtin_item(struct rm_server *srv, const struct fx_item *it, const char *status,
                            const char *segment, const json_t *req);

/* 'item' as its output_item.added event shows it: in progress, the
 * streamed parts empty (code, input, arguments, commands) and the results
 * not there yet. New reference. */
json_t *render_builtin_added(const struct fx_item *it, const json_t *item);

/* The logprobs of chunks 'from'..'to' (exclusive) of 'text' split at
 * 'ch': one entry per delta (its text the token), with 'top'
 * alternatives each (the request's top_logprobs, 0-20). 'bytes' adds the
 * UTF-8 byte values, as the output_text part has them (events leave them
 * out). Deterministic. New reference. */
json_t *render_logprobs(const char *text, const struct fx_chunks *ch, size_t from, size_t to,
                        int top, int bytes);

#endif
