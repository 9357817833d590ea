/* generate: the generation step of POST /v1/responses and
 * /v1/chat/completions: choose the fixture that answers (match), then
 * render it (render_*.h) into a final object and, for a streamed reply,
 * its event list.
 *
 * Handlers build the match facts and apply the lifecycle; this module knows
 * which render module a fixture kind needs and how a fixture starts its
 * reply (headers, latency, an error fixture's whole answer). */
#ifndef RM_GENERATE_H
#define RM_GENERATE_H

#include <jansson.h>

#include "ask.h"
#include "envelope.h"
#include "events.h"
#include "fault.h"
#include "fixture.h"
#include "render_response.h"
#include "request.h"

/* What a generation produced. */
struct generation {
    json_t *final;              /* Response / chat.completion (new reference) */
    struct event_list *events;  /* its stream when one was asked for, else NULL */
};

/* The request's x-respmock-fault header (NULL: none) as a fault in 'out'.
 * Returns 0, or -1 with a 400 in 'err'. */
int generate_parse_fault(const char *header, struct fx_fault *out, struct api_error *err);

/* The match facts of a request to 'path' with 'body', read through 'a'
 * (tools, tool results), 'text' (what input_contains looks at) and
 * 'prompt' (the last user message's text, for prompt_contains). */
void generate_facts(struct match_facts *f, const char *path, const json_t *body,
                    const struct ask *a, const char *text, const char *prompt, int stream,
                    int turn);

/* The fixture that answers: the one 'forced' names (x-respmock-fixture),
 * else the first whose "match" accepts 'facts'. Borrowed; NULL with 'err'
 * (400 unknown_fixture, or 500 no_fixture_matched). */
const struct fixture *generate_pick(struct rm_server *srv, const char *forced,
                                    const struct match_facts *facts, struct api_error *err);

/* Start answering with 'fx': its headers and latency ('fault' may set the
 * latency instead). An error fixture is the whole answer: returns 1 then,
 * 0 when the caller still has to render. */
int generate_reply_start(const struct fixture *fx, const struct fx_fault *fault,
                         struct rm_reply *out);

/* Render a Responses answer for 'rc' (rc->fx is a response or transcript
 * fixture): the final Response and, with 'stream', its events (background
 * 'queued' streams start with response.queued). A fixture with "auto"
 * answers what 'a' asks for (auto_answer.h). A transcript's final object is
 * the last response its frames carry (as sent, refreshed ids included).
 * Returns 0, or -1 with 'err'. */
int generate_response(const struct render_ctx *rc, const struct ask *a, int stream,
                      const struct fx_fault *fault, int queued, struct generation *out,
                      struct api_error *err);

/* Render a Chat Completions answer: the chat.completion and, with 'stream',
 * its chunk events (a transcript fixture answers streams only); "auto" as
 * above. Returns 0, or -1 with 'err'. */
int generate_chat(const struct render_ctx *rc, const struct ask *a, int stream,
                  const struct fx_fault *fault, struct generation *out, struct api_error *err);

/* Release what 'g' holds and zero it. */
void generation_release(struct generation *g);

#endif
