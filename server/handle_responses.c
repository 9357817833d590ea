/* handle_responses: the create and input_tokens routes (see handle_responses.h). */
#include "handle_responses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract.h"
#include "generate.h"
#include "json_util.h"
#include "lifecycle.h"
#include "template.h"
#include "validate.h"

/* Validate a Responses body (of input_tokens when 'input_tokens'). With
 * --accept-unknown-params the fields no rule knows are left out of the
 * checks, logged and named in an x-respmock-warning header instead of
 * answered with a 400. Returns 0, or -1 with 'err'. */
static int validate_body(struct rm_server *srv, const json_t *body, int input_tokens,
                         struct rm_reply *out, struct api_error *err)
{
    struct buf names;
    json_t *known;
    int rc;

    if (!srv->cfg.accept_unknown_params || !json_is_object(body))
        return input_tokens ? validate_input_tokens(body, err)
                            : validate_responses_create(body, err);
    buf_init(&names, 4096);
    known = validate_split_unknown(body, input_tokens, &names);
    rc = input_tokens ? validate_input_tokens(known, err) : validate_responses_create(known, err);
    if (rc == 0 && names.len) {
        char header[512];

        snprintf(header, sizeof(header), "unknown parameters accepted: %.400s", names.data);
        reply_header(out, "x-respmock-warning", header);
        server_log(srv, LOG_WARN, "unknown parameters accepted: %.400s", names.data);
    }
    json_decref(known);
    buf_release(&names);
    return rc;
}

/* A plain create (template.h) answered from the fixture's template: the
 * reply's bytes are the stored bytes too (no JSON tree anywhere). Returns
 * 1 when the fixture has no template (the full render answers), 0 when
 * answered, -1 with 'err' (nothing answered: out->status stays 0). */
static int reply_from_template(struct rm_server *srv, const struct lifecycle_create *lc,
                               const struct fixture *fx, const json_t *body, const json_t *items,
                               const struct text_tally *context, struct rm_reply *out,
                               struct api_error *err)
{
    const struct template *t = template_for(srv, fx, json_util_str(body, "model"), lc->store);
    char id[96];
    json_t *final;
    size_t len;
    char *bytes;

    if (!t)
        return 1;
    bytes = template_render(t, srv, request_tally_tokens(NULL, context, NULL), &len, id,
                            sizeof(id));
    /* lifecycle_create_end reads only the id of 'final' when given its bytes. */
    final = bytes ? json_pack("{s:s}", "id", id) : NULL;
    if (!final) {
        free(bytes);
        return api_error_oom(err);
    }
    if (lifecycle_create_end(srv, lc, fx, final, bytes, len, items, context, NULL, err) != 0) {
        json_decref(final);
        free(bytes);
        return -1;
    }
    json_decref(final);
    free(out->body);
    out->status = 200;
    out->content_type = RM_CT_JSON;
    out->body = bytes;
    out->body_len = len;
    return 0;
}

void responses_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                      struct rm_reply *out)
{
    struct generation gen = {NULL, NULL};
    struct lifecycle_create lc;
    struct ask ask;
    struct match_facts facts;
    struct fx_fault fault;
    struct render_ctx rc;
    struct api_error err;
    const struct fixture *fx;
    json_t *body, *input, *items = NULL;
    struct text_tally context;
    struct match_texts texts;
    size_t body_len = 0;
    int stream, plain;

    (void)arg;
    memset(&lc, 0, sizeof(lc));
    memset(&ask, 0, sizeof(ask));
    memset(&texts, 0, sizeof(texts));
    body = request_json(req, &err);
    if (!body || validate_body(srv, body, 0, out, &err) != 0 ||
        request_check_model(req, out, json_util_str(body, "model"), &err) != 0 ||
        generate_parse_fault(req->fault, &fault, &err) != 0)
        goto out_error;
    input = json_object_get(body, "input");
    stream = json_util_true(body, "stream");
    ask_read(&ask, ASK_RESPONSES, body);
    /* previous_response_id, conversation, store and background rules. */
    if (lifecycle_create_begin(srv, body, ask.tool_outputs, &lc, &err) != 0)
        goto out_error;
    items = request_normalise_input(srv, input);
    context = lc.prefix;
    request_tally(items, &context);

    generate_facts(&facts, &texts, "/v1/responses", body, &ask,
                   json_object_get(body, "instructions"), input, stream, lc.turn);
    facts.prev_fixture = lc.prev_fixture[0] ? lc.prev_fixture : NULL;
    fx = generate_pick(srv, req, &facts, out, &err);
    if (!fx)
        goto out_error;
    if (generate_reply_start(fx, &fault, out))
        goto out;
    plain = !stream && !lc.background && !lc.prev_id && !lc.conversation[0] &&
            fault.kind == FX_FAULT_NONE && fx->stream.fault.kind == FX_FAULT_NONE &&
            template_plain(body)
                ? reply_from_template(srv, &lc, fx, body, items, &context, out, &err)
                : 1;
    if (plain < 0)
        goto out_error;
    if (plain == 0)
        goto out;

    /* The final object first; the stream derives from it. */
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.previous_response_id = lc.prev_id;
    rc.conversation_id = lc.conversation[0] ? lc.conversation : NULL;
    rc.input_tokens = request_tally_tokens(json_object_get(body, "instructions"), &context, NULL);
    rc.background = lc.background;
    if (generate_response(&rc, &ask, stream, &fault, lc.background, &gen, &err) != 0)
        goto out_error;
    if (fx->kind == FX_TRANSCRIPT) {
        if (stream)
            reply_events(out, event_list_ref(gen.events));
        else
            reply_json(out, 200, json_incref(gen.final));
        /* The recorded response is stored (and chainable) like a rendered one. */
        if (json_util_str(gen.final, "id") && !lc.background &&
            lifecycle_create_end(srv, &lc, fx, gen.final, NULL, 0, items, &context, gen.events,
                                 &err) != 0)
            goto out_error;
        goto out;
    }
    if (stream) {
        if (lc.background)
            lifecycle_pace_events(gen.events, lifecycle_background_ms(fx));
        /* Rendered for this request alone: serialised once here, for the
         * SSE writer and the store both. */
        event_list_serialise(gen.events);
        reply_events(out, event_list_ref(gen.events));
    } else {
        reply_json(out, 200, lifecycle_create_reply(&lc, gen.final));
        body_len = out->body_len;
        fault_body_apply(&fault, &fx->stream, out->body, &out->body_len);
    }
    /* Conversation items, then the store: the reply body, when it is the
     * final Response as sent (not a background snapshot, not cut), is
     * stored as it is. */
    if (lifecycle_create_end(srv, &lc, fx, gen.final,
                             !stream && !lc.background && out->status == 200 &&
                                     out->body_len == body_len
                                 ? out->body
                                 : NULL,
                             out->body_len, items, &context, gen.events, &err) != 0)
        goto out_error;
    goto out;

out_error:
    reply_fail(out, &err);
out:
    generation_release(&gen);
    json_decref(items);
    ask_release(&ask);
    json_decref(body);
    lifecycle_create_release(&lc);
    generate_texts_release(&texts);
}

void responses_input_tokens(struct rm_server *srv, const struct rm_request *req,
                            const char *arg, struct rm_reply *out)
{
    struct lifecycle_create lc;
    struct api_error err;
    json_t *body = request_json(req, &err);

    (void)arg;
    memset(&lc, 0, sizeof(lc));
    if (!body || validate_body(srv, body, 1, out, &err) != 0 ||
        lifecycle_create_begin(srv, body, NULL, &lc, &err) != 0) {
        reply_error(out, &err);
    } else {
        long n = request_tally_tokens(json_object_get(body, "instructions"), &lc.prefix,
                                      json_object_get(body, "input"));
        reply_json(out, 200, json_pack("{s:s, s:I}", "object", RM_OBJ_INPUT_TOKENS,
                                       "input_tokens", (json_int_t)n));
    }
    lifecycle_create_release(&lc);
    json_decref(body);
}

void responses_websocket(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out)
{
    const char *upgrade = req->header ? req->header(req->header_ctx, "upgrade") : NULL;
    struct api_error err;

    (void)srv;
    (void)arg;
    if (upgrade && strcasecmp(upgrade, "websocket") == 0) {
        api_error_set(&err, 426, RM_ERRTYPE_INVALID_REQUEST, "websocket_not_supported", NULL,
                      "respmock: WebSocket mode is not available; use HTTP (POST /v1/responses).");
        reply_error(out, &err);
        reply_header(out, "x-should-retry", "false");
        return;
    }
    api_error_not_found(&err, NULL, "Invalid URL (GET %.300s)", req->path);
    reply_error(out, &err);
}
