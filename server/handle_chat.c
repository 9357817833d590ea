/* handle_chat: the Chat Completions route (see handle_chat.h). */
#include "handle_chat.h"

#include <string.h>

#include "generate.h"
#include "json_util.h"
#include "validate.h"

void chat_create(struct rm_server *srv, const struct rm_request *req, const char *arg,
                 struct rm_reply *out)
{
    struct generation gen = {NULL, NULL};
    struct ask ask;
    struct match_facts facts;
    struct fx_fault fault;
    struct render_ctx rc;
    struct api_error err;
    const struct fixture *fx;
    json_t *body;
    struct match_texts texts;
    int stream;

    (void)arg;
    memset(&ask, 0, sizeof(ask));
    memset(&texts, 0, sizeof(texts));
    body = request_json(req, &err);
    if (body && validate_chat_create(body, &err) != 0) {
        api_error_chat_validation(&err, out->flavor); /* CometAPI: 500 for a missing field */
        goto out_error;
    }
    if (!body || request_check_model(req, out, json_util_str(body, "model"), &err) != 0 ||
        generate_parse_fault(req->fault, &fault, &err) != 0)
        goto out_error;
    stream = json_util_true(body, "stream");
    ask_read(&ask, ASK_CHAT, body);
    generate_facts(&facts, &texts, "/v1/chat/completions", body, &ask, NULL,
                   json_object_get(body, "messages"), stream, 1);
    fx = generate_pick(srv, req, &facts, out, &err);
    if (!fx)
        goto out_error;
    if (generate_reply_start(fx, &fault, out))
        goto out;
    if (fx->kind == FX_TRANSCRIPT && fx->body && (!stream || !fx->nframes)) {
        reply_raw(out, fx->body_status, fx->body, fx->body_len); /* recorded, verbatim */
        goto out;
    }
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.input_tokens = request_count_tokens(NULL, json_object_get(body, "messages"), NULL);
    if (generate_chat(&rc, &ask, stream, &fault, &gen, &err) != 0)
        goto out_error;
    if (stream) {
        reply_events(out, event_list_ref(gen.events));
    } else {
        reply_json(out, 200, json_incref(gen.final));
        fault_body_apply(&fault, &fx->stream, out->body, &out->body_len);
    }
    goto out;
out_error:
    reply_fail(out, &err);
out:
    generation_release(&gen);
    ask_release(&ask);
    json_decref(body);
    generate_texts_release(&texts);
}
