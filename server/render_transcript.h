/* render_transcript: recorded streams replayed verbatim.
 *
 * A transcript fixture holds recorded SSE frames; each becomes one raw
 * event of the list, byte for byte (REQ: transcript-byte-exact), with the
 * data its last event carries (parsed once, at load) so that faults, the
 * store and replays can read it without parsing our own output. With
 * "fresh_ids" every recorded id (resp_, msg_, fc_, call_, rs_, chatcmpl-)
 * is replaced, consistently across the frames of one replay, in the bytes
 * and in the data alike. */
#ifndef RM_RENDER_TRANSCRIPT_H
#define RM_RENDER_TRANSCRIPT_H

#include <jansson.h>

#include "events.h"
#include "fault.h"
#include "fixture.h"
#include "server.h"

/* The event list of transcript 'fx'. 'fault' overrides the fixture's
 * stream fault as in render_response_events(); faults count frames instead
 * of events: injected error events continue the recorded sequence_number,
 * response.failed carries the last recorded response, and no_terminal
 * leaves out terminal frames. New list, or NULL on OOM / over a limit. */
struct event_list *render_transcript_events(struct rm_server *srv, const struct fixture *fx,
                                            const struct fx_fault *fault);

/* Transcript answered without stream: the last "response" object its
 * frames carry, or NULL when none. New reference. */
json_t *render_transcript_final(const struct fixture *fx);

#endif
