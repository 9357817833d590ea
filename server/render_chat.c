/* render_chat: Chat Completions answers from a fixture (see render_chat.h). */
#include "render_chat.h"

#include <string.h>

#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "render_events.h"

/* The gateway flavour of 'rc': the fixture's, else the server's. */
static enum rm_flavor chat_flavor(const struct render_ctx *rc)
{
    return rc->fx->flavor != RM_FLAVOR_UNSET ? rc->fx->flavor : rc->srv->cfg.flavor;
}

json_t *render_chat(const struct render_ctx *rc)
{
    const struct fixture *fx = rc->fx;
    json_t *msg = json_object(), *calls = json_array(), *c, *model;
    struct buf content;
    const char *refusal = NULL, *finish;
    long out_tokens = 0, in_tokens;
    char id[64];
    size_t i, nitems;
    const struct fx_item *items = render_items(rc, &nitems);

    buf_init(&content, RM_MAX_RESPONSE_BYTES);
    for (i = 0; i < nitems; i++) {
        const struct fx_item *it = &items[i];
        char cid[64];

        out_tokens += render_count_tokens(it->type == FX_ITEM_RAW ? "" : it->text);
        if (it->type == FX_ITEM_MESSAGE)
            buf_append_str(&content, it->text);
        else if (it->type == FX_ITEM_REFUSAL)
            refusal = it->text;
        else if (it->type == FX_ITEM_FUNCTION_CALL) {
            server_new_id(rc->srv, RM_ID_CALL, 24, cid, sizeof(cid));
            json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", cid, "type",
                                                   "function", "function", "name", it->name,
                                                   "arguments", it->text));
        }
    }
    if (fx->usage_out >= 0)
        out_tokens = fx->usage_out;
    in_tokens = fx->usage_in >= 0 ? fx->usage_in : rc->input_tokens;
    json_object_set_new(msg, "role", json_string("assistant"));
    json_object_set_new(msg, "content", content.len || (!refusal && !json_array_size(calls))
                                            ? json_string(content.data ? content.data : "")
                                            : json_null());
    json_object_set_new(msg, "refusal", refusal ? json_string(refusal) : json_null());
    json_object_set_new(msg, "annotations", json_array());
    if (json_array_size(calls))
        json_object_set(msg, "tool_calls", calls);
    buf_release(&content);
    finish = json_array_size(calls)                          ? "tool_calls"
             : fx->status && !strcmp(fx->status, RM_STATUS_INCOMPLETE) ? "length"
                                                              : "stop";
    server_new_id(rc->srv, RM_ID_CHAT, 32, id, sizeof(id));
    model = fx->model ? json_string(fx->model)
            : json_is_string(json_object_get(rc->req, "model"))
                ? json_incref(json_object_get(rc->req, "model"))
                : json_string("respmock");
    c = json_pack("{s:s, s:s, s:I, s:o, s:[{s:i, s:o, s:n, s:s}], s:{s:I, s:I, s:I, s:{s:i, s:i}, "
                  "s:{s:I, s:i, s:i, s:i}}, s:s, s:s}",
                  "id", id, "object", RM_OBJ_CHAT_COMPLETION, "created",
                  (json_int_t)server_unix_time(), "model", model,
                  "choices", "index", 0, "message", msg, "logprobs", "finish_reason", finish,
                  "usage", "prompt_tokens", (json_int_t)in_tokens, "completion_tokens",
                  (json_int_t)out_tokens, "total_tokens", (json_int_t)(in_tokens + out_tokens),
                  "prompt_tokens_details", "cached_tokens", 0, "audio_tokens", 0,
                  "completion_tokens_details", "reasoning_tokens", (json_int_t)0, "audio_tokens",
                  0, "accepted_prediction_tokens", 0, "rejected_prediction_tokens", 0,
                  "service_tier", "default", "system_fingerprint", "fp_respmock");
    json_decref(calls);
    /* CometAPI's usage carries keys of its own; their members are not
     * documented: respmock's are millisecond counts. */
    if (c && chat_flavor(rc) == RM_FLAVOR_COMETAPI)
        json_object_set_new(json_object_get(c, "usage"), "latency_checkpoint",
                            json_pack("{s:i, s:i}", "first_token_ms", 0, "total_ms", 0));
    return c;
}


/* What every chunk of one stream carries besides its delta. */
struct chunk_opts {
    struct rm_server *srv;
    int include_usage;      /* "usage": null on every chunk with choices */
    int obfuscation;        /* CometAPI: an "obfuscation" pad on every chunk */
};

static void chunk_extras(const struct chunk_opts *o, json_t *ch)
{
    char pad[RM_OBFUSCATION_HEX + 1];

    if (!o->obfuscation || !ch)
        return;
    server_new_id(o->srv, "", RM_OBFUSCATION_HEX, pad, sizeof(pad));
    json_object_set_new(ch, "obfuscation", json_string(pad));
}

/* One chunk with the completion's id/created/model around 'delta' (stolen). */
static void emit_chunk(struct emitter *e, const json_t *base, json_t *delta, const char *finish,
                       const struct chunk_opts *o)
{
    json_t *ch = json_pack("{s:O, s:s, s:O, s:O, s:s, s:[{s:i, s:o, s:n, s:o}]}", "id",
                           json_object_get(base, "id"), "object", RM_OBJ_CHAT_CHUNK,
                           "created", json_object_get(base, "created"), "model",
                           json_object_get(base, "model"), "system_fingerprint", "fp_respmock",
                           "choices", "index", 0, "delta", delta, "logprobs", "finish_reason",
                           finish ? json_string(finish) : json_null());

    if (o->include_usage && ch)
        json_object_set_new(ch, "usage", json_null());
    chunk_extras(o, ch);
    emitter_data(e, ch, finish != NULL);
}

/* REQ: chat-stream-done REQ: chat-stream-include-usage */
struct event_list *render_chat_events(const struct render_ctx *rc, const json_t *completion,
                                      const struct fx_fault *fault)
{
    const struct fixture *fx = rc->fx;
    struct event_list *l = event_list_new();
    json_t *choice = json_array_get(json_object_get(completion, "choices"), 0);
    json_t *msg = json_object_get(choice, "message");
    json_t *calls = json_object_get(msg, "tool_calls");
    int usage = json_util_true(json_object_get(rc->req, "stream_options"), "include_usage");
    struct emitter e;
    size_t i, call_index = 0, nitems;
    const struct fx_item *items = render_items(rc, &nitems);
    const struct chunk_opts opts = {rc->srv, usage, chat_flavor(rc) == RM_FLAVOR_COMETAPI};

    if (!l)
        return NULL;
    emitter_init(&e, l, &fx->stream, fault, 1);
    emit_chunk(&e, completion,
               json_pack("{s:s, s:s, s:n}", "role", "assistant", "content", "", "refusal"), NULL,
               &opts);
    for (i = 0; i < nitems; i++) {
        const struct fx_item *it = &items[i];
        size_t c, from = 0;

        if (it->type == FX_ITEM_FUNCTION_CALL) {
            json_t *call = json_array_get(calls, call_index);
            emit_chunk(&e, completion,
                       json_pack("{s:[{s:I, s:O, s:s, s:{s:s, s:s}}]}", "tool_calls", "index",
                                 (json_int_t)call_index, "id", json_object_get(call, "id"),
                                 "type", "function", "function", "name", it->name, "arguments",
                                 ""),
                       NULL, &opts);
            for (c = 0; c < it->chunks.n; c++) {
                emit_chunk(&e, completion,
                           json_pack("{s:[{s:I, s:{s:o}}]}", "tool_calls", "index",
                                     (json_int_t)call_index, "function", "arguments",
                                     render_slice(it->text, from, it->chunks.ends[c])),
                           NULL, &opts);
                from = it->chunks.ends[c];
            }
            call_index++;
        } else if (it->type == FX_ITEM_MESSAGE || it->type == FX_ITEM_REFUSAL) {
            for (c = 0; c < it->chunks.n; c++) {
                emit_chunk(&e, completion,
                           json_pack("{s:o}", it->type == FX_ITEM_MESSAGE ? "content" : "refusal",
                                     render_slice(it->text, from, it->chunks.ends[c])),
                           NULL, &opts);
                from = it->chunks.ends[c];
            }
        }
    }
    if (!emitter_skips_terminal(&e)) {
        const char *finish = json_util_str(choice, "finish_reason");

        emit_chunk(&e, completion, json_object(), finish ? finish : "stop", &opts);
        if (usage) {
            json_t *ch = json_pack("{s:O, s:s, s:O, s:O, s:s, s:[], s:O}", "id",
                                   json_object_get(completion, "id"), "object",
                                   RM_OBJ_CHAT_CHUNK, "created",
                                   json_object_get(completion, "created"), "model",
                                   json_object_get(completion, "model"), "system_fingerprint",
                                   "fp_respmock", "choices", "usage",
                                   json_object_get(completion, "usage"));

            chunk_extras(&opts, ch);
            emitter_data(&e, ch, 0);
        }
        emitter_data(&e, NULL, 0);
    }
    if (emitter_finish(&e, NULL) != 0) {
        event_list_unref(l);
        return NULL;
    }
    return l;
}
