/* render_events: the Responses event list of a rendered Response.
 *
 * The events derive from the final Response object (render_response.h) and
 * the chunk boundaries fixed at load, so the streamed deltas, the .done
 * events and response.completed can never disagree with the JSON body.
 * Every event goes through the emitter (fault.h), which numbers, paces and
 * fires the stream fault. */
#ifndef RM_RENDER_EVENTS_H
#define RM_RENDER_EVENTS_H

#include <jansson.h>

#include "events.h"
#include "fault.h"
#include "render_response.h"
#include "snapshot.h"

/* The event list for 'final' (from render_response). 'fault' (may be NULL)
 * overrides the fixture's stream fault when it is a stream fault (drop,
 * stall, malformed, no_terminal, error, error_flat, failed,
 * error_then_failed); latency and malformed_body act on the whole reply and
 * leave the stream, and the fixture's stream fault, alone. A fault fires
 * once, just before event number after_events; an error/failed fault
 * scheduled past the end replaces the terminal event. With 'queued' the
 * stream starts with status "queued" and a response.queued event
 * (background). Returns a new list, or NULL on OOM or over a limit. */
struct event_list *render_response_events(const struct render_ctx *rc, const json_t *final,
                                          const struct fx_fault *fault, int queued);

/* Text between two chunk boundaries of 'text' as a new JSON string. */
json_t *render_slice(const char *text, size_t from, size_t to);

#endif
