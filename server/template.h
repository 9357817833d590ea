/* template: pre-serialised replies per fixture, for the plain create.
 *
 * Most creates in CI and load tests are plain: a model, a string input,
 * maybe "store" and "stream", nothing else the Response echoes. For those the reply of
 * a response fixture is the same bytes every time apart from its ids, its
 * times and its input token count (the model and "store" are part of the
 * template's key). A template is that reply, rendered once by the full
 * pipeline (generate_response) and cut into literal pieces and slots: an
 * id (new per reply, as server_new_scoped_id makes them: the Response's
 * own and each item's under its segment), a time (created_at,
 * completed_at) and a token count (input_tokens, total_tokens). Rendering
 * one is copying the pieces and printing the slots: no JSON tree is built,
 * serialised or freed. A streamed template also holds its SSE stream,
 * framed once by the one SSE writer (stream_new_sse) and cut the same way,
 * with the same ids, plus where each frame starts and its delay: a reply
 * is its frames filled in, paced as the fixture says, and the Response it
 * stores is the body filled in with the same ids and times.
 *
 * A fixture gets a template only when it is proven to answer plain
 * requests the same whatever their input: it is rendered for two
 * different inputs and both must cut into the same pieces; otherwise (a
 * request-aware answer, a random call_id, an incomplete or failed status
 * with content from the input...) the full render answers, as it always
 * did. Output is byte-identical to the full render apart from ids and
 * times: tests/server/test_template.c checks it for every shipped fixture.
 * A stream with a fault (cut, error at the end) has no template.
 * Templates are built on first use per (fixture, model, store, stream), at most
 * RM_TEMPLATE_MODELS per fixture, and freed with the fixture. */
#ifndef RM_TEMPLATE_H
#define RM_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "fixture.h"
#include "server.h"
#include "stream.h"

struct template;

/* 1 when 'body' (a validated create body) is plain: only "model", a string
 * "input" and a boolean "store" and "stream". */
int template_plain(const json_t *body);

/* The template of 'fx' for 'model', 'store' and 'stream', built on first
 * use; NULL when 'fx' has none (not a response fixture, answers depend on
 * the input, more (model, store, stream) than RM_TEMPLATE_MODELS, out of
 * memory): then the full render answers. */
const struct template *template_for(struct rm_server *srv, const struct fixture *fx,
                                    const char *model, int store, int stream);

/* A reply from 't' with fresh ids and times and 'input_tokens' (a new
 * NUL-terminated string of '*len' bytes; NULL on OOM). Its Response id is
 * copied to 'id' ('id_len' bytes). */
char *template_render(const struct template *t, struct rm_server *srv, long input_tokens,
                      size_t *len, char *id, size_t id_len);

/* The stream of a streamed 't' with fresh ids and times and
 * 'input_tokens', its delays scaled by 'speed' (NULL on OOM), and in
 * '*body' (new, '*body_len' bytes) the Response it ends with, for the
 * store. Its Response id is copied to 'id' ('id_len' bytes). */
struct stream *template_render_stream(const struct template *t, struct rm_server *srv,
                                      long input_tokens, double speed, char **body,
                                      size_t *body_len, char *id, size_t id_len);

#endif
