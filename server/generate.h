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

/* The texts a request is matched on: all of it (input_contains), the
 * user's prompt (prompt_contains) and the instructions
 * (instructions_contains). Release with generate_texts_release. */
struct match_texts {
    struct buf all, prompt, instructions;
};

/* The match facts of a request to 'path' with 'body', read through 'a'
 * (tools, tool results, formats, media) with its texts collected into 't'
 * ('all' is the text of 'input', e.g. input or messages, plus 'extra', e.g.
 * instructions, either may be NULL). */
void generate_facts(struct match_facts *f, struct match_texts *t, const char *path,
                    const json_t *body, const struct ask *a, const json_t *extra,
                    const json_t *input, int stream, int turn);

void generate_texts_release(struct match_texts *t);

/* The fixture that answers 'req' (from req->fixtures): the one
 * x-respmock-fixture names, else the first whose "match" accepts 'facts'
 * (its scenario state, answer counts and request headers are filled in
 * here). A fixture with "times" or a "sequence" counts the answer in the
 * request's scenario (x-respmock-scenario, else the default one) and a
 * sequence answers with its step for that count; "next_state" moves the
 * scenario on. 'out' notes the scenario's state for the journal.
 * Borrowed; NULL with 'err' (400 unknown_fixture; 500 no_fixture_matched;
 * 404 with --strict, naming the closest fixture and what it lacked). */
const struct fixture *generate_pick(struct rm_server *srv, const struct rm_request *req,
                                    struct match_facts *facts, struct rm_reply *out,
                                    struct api_error *err);

/* Start answering with 'fx': its headers, latency ('fault' may set the
 * latency instead) and flavour. An error fixture is the whole answer:
 * returns 1 then, 0 when the caller still has to render. */
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
