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
#include "render_builtin.h"
#include "render_events.h"
#include "template.h"
#include "validate.h"
#include "ws_accept.h"

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
 * reply's bytes are the stored bytes too (no JSON tree anywhere); a
 * streamed one is its template's frames, and stores the Response they end
 * with. Returns 1 when the fixture has no template (the full render
 * answers), 0 when answered, -1 with 'err' (nothing answered: out->status
 * stays 0). */
static int reply_from_template(struct rm_server *srv, const struct lifecycle_create *lc,
                               const struct fixture *fx, const json_t *body, int stream,
                               const struct text_tally *context, struct rm_reply *out,
                               struct api_error *err)
{
    const struct template *t =
        template_for(srv, fx, json_util_str(body, "model"), lc->store, stream);
    long tokens = request_tally_tokens(NULL, context, NULL);
    struct turn_items in = {NULL, NULL, 0};
    struct stream *st = NULL;
    struct buf items;
    char id[96];
    json_t *final;
    size_t len;
    char *bytes;
    int rc;

    if (!t)
        return 1;
    /* The input items as text: a plain create's input is a string. */
    buf_init(&items, RM_MAX_BODY_CEILING);
    if ((lc->store || lc->session) &&
        request_input_json(srv, json_object_get(body, "input"), &items) != 0) {
        buf_release(&items);
        return api_error_oom(err);
    }
    in.json = items.data;
    in.json_len = items.len;
    if (stream)
        st = template_render_stream(t, srv, tokens, srv->cfg.speed, &bytes, &len, id,
                                    sizeof(id));
    else
        bytes = template_render(t, srv, tokens, &len, id, sizeof(id));
    /* lifecycle_create_end reads only the id of 'final' when given its bytes
     * (built without json_pack's format: one per request). */
    final = bytes ? json_object() : NULL;
    if (final && json_object_set_new_nocheck(final, "id", json_string_nocheck(id)) != 0) {
        json_decref(final);
        final = NULL;
    }
    /* A stream without a fault is rendered again from its Response when
     * replayed, so only the Response is stored. */
    rc = final ? lifecycle_create_end(srv, lc, fx, final, bytes, len, &in, context, NULL, err)
               : api_error_oom(err);
    json_decref(final);
    buf_release(&items);
    if (rc != 0) {
        stream_free(st);
        free(bytes);
        return -1;
    }
    if (stream) {
        free(bytes);
        reply_stream(out, st);
        return 0;
    }
    free(out->body);
    out->status = 200;
    out->content_type = RM_CT_JSON;
    out->body = bytes;
    out->body_len = len;
    return 0;
}

/* generate:false (WebSocket warm-up): the rendered response without output
 * and without output tokens, its id usable as previous_response_id.
 * Replaces gen->final and gen->events. Returns 0 or -1 (OOM). */
static int without_output(const struct render_ctx *rc, const struct fx_fault *fault,
                          struct generation *gen)
{
    json_t *final = json_copy(gen->final), *usage;
    struct event_list *l;

    if (!final)
        return -1;
    json_object_set_new(final, "output", json_array());
    usage = json_deep_copy(json_object_get(final, "usage"));
    if (json_is_object(usage)) {
        json_int_t in = json_integer_value(json_object_get(usage, "input_tokens"));

        json_object_set_new(usage, "output_tokens", json_integer(0));
        json_object_set_new(json_object_get(usage, "output_tokens_details"), "reasoning_tokens",
                            json_integer(0));
        json_object_set_new(usage, "total_tokens", json_integer(in));
        json_object_set(final, "usage", usage);
    }
    json_decref(usage);
    l = render_response_events(rc, final, fault, 0);
    if (!l) {
        json_decref(final);
        return -1;
    }
    json_decref(gen->final);
    event_list_unref(gen->events);
    gen->final = final;
    gen->events = l;
    return 0;
}

int responses_create_with(struct rm_server *srv, const struct rm_request *req,
                          const struct create_opts *o, struct rm_reply *out,
                          struct api_error *err)
{
    struct generation gen = {NULL, NULL};
    struct lifecycle_create lc;
    struct ask ask;
    struct match_facts facts;
    struct fx_fault fault;
    struct render_ctx rc;
    const struct fixture *fx;
    json_t *body, *input, *items = NULL, *rc_context = NULL;
    struct turn_items in = {NULL, NULL, 0};
    struct text_tally context;
    struct match_texts texts;
    size_t body_len = 0;
    int stream, plain, ret = -1;

    memset(&lc, 0, sizeof(lc));
    memset(&ask, 0, sizeof(ask));
    memset(&texts, 0, sizeof(texts));
    body = o && o->body ? json_incref(o->body) : request_json(req, err);
    if (!body || validate_body(srv, body, 0, out, err) != 0 ||
        request_check_model(req, out, json_util_str(body, "model"), err) != 0 ||
        generate_parse_fault(req->fault, &fault, err) != 0)
        goto out;
    input = json_object_get(body, "input");
    stream = json_util_true(body, "stream");
    ask_read(&ask, ASK_RESPONSES, body);
    /* previous_response_id, conversation, store and background rules. */
    if (lifecycle_create_begin_in(srv, o ? o->session : NULL, body, ask.tool_outputs, &lc,
                                  err) != 0)
        goto out;
    /* A plain create may be answered from its fixture's template (a
     * streamed one only over HTTP: a WebSocket sends the events); its items
     * are built only if it is not. */
    plain = (!stream || !o) && !lc.background && !lc.prev_id && !lc.conversation[0] &&
            fault.kind == FX_FAULT_NONE && template_plain(body);
    context = lc.prefix;
    if (plain) {
        request_tally_input(input, &context);
    } else {
        items = request_normalise_input(srv, input);
        request_tally(items, &context);
    }

    generate_facts(&facts, &texts, "/v1/responses", body, &ask,
                   json_object_get(body, "instructions"), input, stream, lc.turn);
    facts.prev_fixture = lc.prev_fixture[0] ? lc.prev_fixture : NULL;
    fx = generate_pick(srv, req, &facts, out, err);
    if (!fx)
        goto out;
    if (generate_reply_start(fx, &fault, out)) {
        ret = 1;
        goto out;
    }
    if (plain && fx->stream.fault.kind == FX_FAULT_NONE) {
        int tpl = reply_from_template(srv, &lc, fx, body, stream, &context, out, err);

        if (tpl <= 0) {
            ret = tpl;
            goto out;
        }
    }
    if (!items)
        items = request_normalise_input(srv, input);
    in.items = items;

    /* The final object first; the stream derives from it. */
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.previous_response_id = lc.prev_id;
    rc.conversation_id = lc.conversation[0] ? lc.conversation : NULL;
    rc.input_tokens = request_tally_tokens(json_object_get(body, "instructions"), &context, NULL);
    /* the chain's items, only when server-side compaction may need its text */
    rc.context = rc_context = lifecycle_context_items(srv, &lc, body, items);
    rc.background = lc.background;
    if (generate_response(&rc, &ask, stream, &fault, lc.background, &gen, err) != 0)
        goto out;
    if (o && o->no_generate && stream && without_output(&rc, &fault, &gen) != 0) {
        api_error_oom(err);
        goto out;
    }
    if (fx->kind == FX_TRANSCRIPT) {
        if (gen.events)
            reply_events(out, event_list_ref(gen.events));
        else if (fx->body)
            reply_raw(out, fx->body_status, fx->body, fx->body_len);
        else
            reply_json(out, 200, json_incref(gen.final));
        if (fx->body && !gen.events && fx->body_status != 200) {
            ret = 0; /* a recorded error: answered, nothing to store */
            goto out;
        }
        /* The recorded response is stored (and chainable) like a rendered one. */
        if (json_util_str(gen.final, "id") && !lc.background &&
            lifecycle_create_end(srv, &lc, fx, gen.final, NULL, 0, &in, &context, gen.events,
                                 err) != 0)
            goto out;
        ret = 0;
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
                             out->body_len, &in, &context, gen.events, err) != 0)
        goto out;
    ret = 0;

out:
    generation_release(&gen);
    json_decref(rc_context);
    json_decref(items);
    ask_release(&ask);
    json_decref(body);
    lifecycle_create_release(&lc);
    generate_texts_release(&texts);
    return ret;
}

void responses_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                      struct rm_reply *out)
{
    struct api_error err;

    (void)arg;
    if (responses_create_with(srv, req, NULL, out, &err) < 0) {
        reply_fail(out, &err);
        if (err.code && !strcmp(err.code, RM_ERRCODE_PREVIOUS_NOT_FOUND))
            out->unmatched = 1; /* a response respmock never had: record mode asks the upstream */
    }
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

void responses_compact(struct rm_server *srv, const struct rm_request *req, const char *arg,
                       struct rm_reply *out)
{
    struct lifecycle_create lc;
    struct api_error err;
    json_t *body = request_json(req, &err), *items = NULL, *context = NULL;

    (void)arg;
    memset(&lc, 0, sizeof(lc));
    if (!body || validate_responses_compact(body, &err) != 0 ||
        request_check_model(req, out, json_util_str(body, "model"), &err) != 0 ||
        lifecycle_create_begin(srv, body, NULL, &lc, &err) != 0) {
        reply_fail(out, &err);
    } else {
        const json_t *instructions = json_object_get(body, "instructions");
        struct buf text;

        /* the previous response's context, then the input */
        items = request_normalise_input(srv, json_object_get(body, "input"));
        context = lifecycle_context_items(srv, &lc, NULL, items);
        request_compaction_text(instructions, context, &text);
        reply_json(out, 200,
                   render_compacted(srv, text.data ? text.data : "", context,
                                    request_count_tokens(instructions, context, NULL)));
        buf_release(&text);
    }
    json_decref(context);
    json_decref(items);
    lifecycle_create_release(&lc);
    json_decref(body);
}

/* A header of the request, or NULL. */
static const char *header_of(const struct rm_request *req, const char *name)
{
    return req->header ? req->header(req->header_ctx, name) : NULL;
}

void responses_websocket(struct rm_server *srv, const struct rm_request *req, const char *arg,
                         struct rm_reply *out)
{
    const char *upgrade = header_of(req, "upgrade");
    const char *version = header_of(req, "sec-websocket-version");
    char accept[WS_ACCEPT_LEN + 1];
    struct api_error err;

    (void)arg;
    if (!upgrade || strcasecmp(upgrade, "websocket") != 0) {
        api_error_not_found(&err, NULL, "Invalid URL (GET %.300s)", req->path);
        reply_error(out, &err);
        return;
    }
    if (srv->cfg.no_websocket) {
        api_error_set(&err, 426, RM_ERRTYPE_INVALID_REQUEST, "websocket_not_supported", NULL,
                      "respmock: WebSocket mode is off (--no-websocket); use HTTP "
                      "(POST /v1/responses).");
        reply_error(out, &err);
        reply_header(out, "x-should-retry", "false");
        return;
    }
    if (!version || strcmp(version, "13") != 0) {
        api_error_set(&err, 426, RM_ERRTYPE_INVALID_REQUEST, "unsupported_websocket_version",
                      NULL, "WebSocket version 13 is required (Sec-WebSocket-Version: 13).");
        reply_error(out, &err);
        reply_header(out, "Sec-WebSocket-Version", "13");
        return;
    }
    if (ws_accept_key(header_of(req, "sec-websocket-key"), RM_WS_HANDSHAKE_KEY, accept) != 0) {
        api_error_invalid(&err, NULL, NULL, "Missing or bad Sec-WebSocket-Key header.");
        reply_error(out, &err);
        return;
    }
    if (atomic_load(&srv->ws_open) >= RM_MAX_WS_CONNECTIONS) {
        api_error_set(&err, 503, RM_ERRTYPE_SERVICE_UNAVAILABLE, NULL, NULL,
                      "Too many WebSocket connections (the limit is %d).",
                      RM_MAX_WS_CONNECTIONS);
        reply_error(out, &err);
        return;
    }
    out->status = 101;
    out->upgrade = 1;
    reply_header(out, "Upgrade", "websocket");
    reply_header(out, "Sec-WebSocket-Accept", accept);
}
