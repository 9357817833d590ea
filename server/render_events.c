/* render_events: the Responses event list of a rendered Response (see
 * render_events.h). */
#include "render_events.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "render_builtin.h"

/* Text between two chunk boundaries as a new JSON string. */
json_t *render_slice(const char *text, size_t from, size_t to)
{
    return json_stringn(text + from, to - from);
}

/* The "obfuscation" of a delta: random-looking characters that pad the
 * event, as the real API adds to every text, argument and summary delta
 * (unless stream_options.include_obfuscation is false). Derived from the
 * item's output index and the delta's place, so it needs no state and is
 * the same in every reply of a fixture (its pre-serialised stream,
 * template.h, holds it as it is). */
static json_t *obfuscation(size_t oi, size_t index, size_t delta_len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char out[RM_OBFUSCATION_MAX + 1];
    uint64_t h = 1469598103934665603ull ^ ((uint64_t)oi * 0xd6e8feb86659fd93ull);
    size_t n = delta_len < RM_OBFUSCATION_MAX - 1 ? RM_OBFUSCATION_MAX - delta_len : 1, i;

    h ^= index * 0x9e3779b97f4a7c15ull;
    for (i = 0; i < n; i++) {
        h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
        out[i] = alphabet[(h >> 32) % (sizeof(alphabet) - 1)];
    }
    out[n] = '\0';
    return json_string(out);
}

/* Add the obfuscation of delta number 'index' of the item at output index
 * 'oi' to 'ev'. */
static json_t *obfuscated(json_t *ev, int on, size_t oi, size_t index)
{
    const char *delta = json_util_str(ev, "delta");

    if (on)
        json_object_set_new(ev, "obfuscation", obfuscation(oi, index, delta ? strlen(delta) : 0));
    return ev;
}

/* The logprobs of deltas 'from'..'to' of message 'it' for a delta or done
 * event: [] unless the request includes them. */
static json_t *event_logprobs(const struct fx_item *it, size_t from, size_t to, int top)
{
    return top < 0 ? json_array() : render_logprobs(it->text, &it->chunks, from, to, top, 0);
}

/* response.output_text.annotation.added for each annotation of message 'it'
 * (after its deltas, as the real API sends citations). */
static void emit_annotations(struct emitter *e, const struct fx_item *it, const char *id,
                             size_t oi, const json_t *snap)
{
    json_t *a;
    size_t k;

    json_array_foreach(it->annotations, k, a)
        emitter_event(e, RM_EV_ANNOTATION_ADDED,
                      json_pack("{s:s, s:I, s:i, s:I, s:O}", "item_id", id, "output_index",
                                (json_int_t)oi, "content_index", 0, "annotation_index",
                                (json_int_t)k, "annotation", a),
                      snap, 0);
}

/* REQ: stream-content-part-before-delta REQ: stream-done-full-text */
static void emit_message(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                         const json_t *snap, int obf, int top)
{
    const char *id = json_util_str(item, "id");
    int refusal = it->type == FX_ITEM_REFUSAL;
    json_t *added = json_deep_copy(item), *part, *empty;
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string(RM_STATUS_IN_PROGRESS));
    json_object_set_new(added, "content", json_array());
    emitter_event(e, RM_EV_ITEM_ADDED,
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    part = json_array_get(json_object_get(item, "content"), 0);
    empty = refusal ? json_pack("{s:s, s:s}", "type", RM_PART_REFUSAL, "refusal", "")
                    : render_output_text_part("");
    emitter_event(e, RM_EV_PART_ADDED,
         json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", empty),
         snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        size_t to = it->chunks.ends[c];
        if (refusal)
            emitter_event(e, RM_EV_REFUSAL_DELTA,
                 json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index", (json_int_t)oi,
                           "content_index", 0, "delta", render_slice(it->text, from, to)),
                 snap, 0);
        else
            emitter_event(e, RM_EV_TEXT_DELTA,
                 obfuscated(json_pack("{s:s, s:I, s:i, s:o, s:o}", "item_id", id, "output_index",
                                      (json_int_t)oi, "content_index", 0, "delta",
                                      render_slice(it->text, from, to), "logprobs",
                                      event_logprobs(it, c, c + 1, top)),
                            obf, oi, c),
                 snap, 0);
        from = to;
    }
    if (refusal)
        emitter_event(e, RM_EV_REFUSAL_DONE,
             json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                       "content_index", 0, "refusal", it->text),
             snap, 0);
    else {
        emit_annotations(e, it, id, oi, snap);
        emitter_event(e, RM_EV_TEXT_DONE,
             json_pack("{s:s, s:I, s:i, s:s, s:o}", "item_id", id, "output_index",
                       (json_int_t)oi, "content_index", 0, "text", it->text, "logprobs",
                       event_logprobs(it, 0, it->chunks.n, top)),
             snap, 0);
    }
    emitter_event(e, RM_EV_PART_DONE,
         json_pack("{s:s, s:I, s:i, s:O}", "item_id", id, "output_index", (json_int_t)oi,
                   "content_index", 0, "part", part),
         snap, 0);
}

static void emit_function_call(struct emitter *e, const struct fx_item *it, json_t *item,
                               size_t oi, const json_t *snap, int obf)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "status", json_string(RM_STATUS_IN_PROGRESS));
    json_object_set_new(added, "arguments", json_string(""));
    emitter_event(e, RM_EV_ITEM_ADDED,
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        emitter_event(e, RM_EV_ARGS_DELTA,
             obfuscated(json_pack("{s:s, s:I, s:o}", "item_id", id, "output_index",
                                  (json_int_t)oi, "delta",
                                  render_slice(it->text, from, it->chunks.ends[c])),
                        obf, oi, c),
             snap, 0);
        from = it->chunks.ends[c];
    }
    /* no "name": the real event carries the arguments only */
    emitter_event(e, RM_EV_ARGS_DONE,
         json_pack("{s:s, s:I, s:s}", "item_id", id, "output_index", (json_int_t)oi, "arguments",
                   it->text),
         snap, 0);
}

/* The events of one text part of a reasoning item: its reasoning_text
 * content or its summary_text summary. */
struct reasoning_part {
    const char *added, *delta, *done, *part_done; /* event types */
    const char *index_key;                        /* content_index / summary_index */
    const char *part_type;
};

static const struct reasoning_part REASONING_TEXT = {
    RM_EV_PART_ADDED, RM_EV_REASONING_TEXT_DELTA, RM_EV_REASONING_TEXT_DONE, RM_EV_PART_DONE,
    "content_index", RM_PART_REASONING_TEXT};
static const struct reasoning_part SUMMARY_TEXT = {
    RM_EV_SUMMARY_PART_ADDED, RM_EV_SUMMARY_DELTA, RM_EV_SUMMARY_DONE, RM_EV_SUMMARY_PART_DONE,
    "summary_index", RM_PART_SUMMARY_TEXT};

/* Part added, text deltas ('text' split at 'ch'), text done, part done. */
static void emit_reasoning_part(struct emitter *e, const struct reasoning_part *rp,
                                const char *id, size_t oi, const char *text,
                                const struct fx_chunks *ch, const json_t *snap, int obf)
{
    size_t c, from = 0;

    emitter_event(e, rp->added,
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, rp->index_key, 0, "part", "type", rp->part_type, "text", ""),
         snap, 0);
    for (c = 0; c < ch->n; c++) {
        emitter_event(e, rp->delta,
             obfuscated(json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index",
                                  (json_int_t)oi, rp->index_key, 0, "delta",
                                  render_slice(text, from, ch->ends[c])),
                        obf, oi, c),
             snap, 0);
        from = ch->ends[c];
    }
    emitter_event(e, rp->done,
         json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                   rp->index_key, 0, "text", text),
         snap, 0);
    emitter_event(e, rp->part_done,
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, rp->index_key, 0, "part", "type", rp->part_type, "text", text),
         snap, 0);
}

static void emit_reasoning(struct emitter *e, const char *summary, const struct fx_item *it,
                           json_t *item, size_t oi, const json_t *snap, int obf)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);

    json_object_set_new(added, "summary", json_array());
    json_object_set_new(added, "content", json_array());
    emitter_event(e, RM_EV_ITEM_ADDED,
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    /* the reasoning text (some models show it), then the summary when asked for */
    if (it->reasoning)
        emit_reasoning_part(e, &REASONING_TEXT, id, oi, it->reasoning, &it->rchunks, snap, obf);
    if (summary)
        emit_reasoning_part(e, &SUMMARY_TEXT, id, oi, it->text, &it->chunks, snap, obf);
}

/* An event of item 'id' at 'oi' with no other members (the status events
 * of the built-in tools). */
static void emit_status(struct emitter *e, const char *type, const char *id, size_t oi,
                        const json_t *snap)
{
    emitter_event(e, type, json_pack("{s:s, s:I}", "item_id", id, "output_index", (json_int_t)oi),
                  snap, 0);
}

/* The deltas of the streamed text of tool item 'it' as 'delta' events,
 * then one 'done' event carrying the whole text under 'key'. */
static void emit_tool_text(struct emitter *e, const struct fx_item *it, const char *id, size_t oi,
                           const char *delta, const char *done, const char *key,
                           const json_t *snap, int obf)
{
    size_t c, from = 0;

    for (c = 0; c < it->chunks.n; c++) {
        emitter_event(e, delta,
             obfuscated(json_pack("{s:s, s:I, s:o}", "item_id", id, "output_index",
                                  (json_int_t)oi, "delta",
                                  render_slice(it->text, from, it->chunks.ends[c])),
                        obf, oi, c),
             snap, 0);
        from = it->chunks.ends[c];
    }
    emitter_event(e, done,
         json_pack("{s:s, s:I, s:s}", "item_id", id, "output_index", (json_int_t)oi, key,
                   it->text),
         snap, 0);
}

/* shell_call: each command added (empty), its text as one delta, done. */
static void emit_shell_commands(struct emitter *e, const json_t *item, size_t oi,
                                const json_t *snap, int obf)
{
    const json_t *cmds = json_object_get(json_object_get(item, "action"), "commands"), *cmd;
    size_t k;

    json_array_foreach(cmds, k, cmd) {
        emitter_event(e, RM_EV_SHELL_COMMAND_ADDED,
             json_pack("{s:I, s:I, s:s}", "output_index", (json_int_t)oi, "command_index",
                       (json_int_t)k, "command", ""),
             snap, 0);
        emitter_event(e, RM_EV_SHELL_COMMAND_DELTA,
             obfuscated(json_pack("{s:I, s:I, s:O}", "output_index", (json_int_t)oi,
                                  "command_index", (json_int_t)k, "delta", cmd),
                        obf, oi, k),
             snap, 0);
        emitter_event(e, RM_EV_SHELL_COMMAND_DONE,
             json_pack("{s:I, s:I, s:O}", "output_index", (json_int_t)oi, "command_index",
                       (json_int_t)k, "command", cmd),
             snap, 0);
    }
}

/* image_generation_call: 'partial_images' (default 1, at most 3) previews,
 * each the final image here. */
static void emit_partial_images(struct emitter *e, const struct fx_item *it, const json_t *item,
                                size_t oi, const json_t *snap)
{
    const json_t *n = json_object_get(it->raw, "partial_images");
    json_int_t k, count = json_is_integer(n) ? json_integer_value(n) : 1;
    const char *id = json_util_str(item, "id");

    static const char *const shown[] = {"size", "quality", "background", "output_format", NULL};
    const char *const *s;

    for (k = 0; k < count && k < RM_MAX_PARTIAL_IMAGES; k++) {
        /* recorded: the image's size, quality, background and format follow */
        json_t *ev = json_pack("{s:s, s:I, s:I, s:O}", "item_id", id, "output_index",
                               (json_int_t)oi, "partial_image_index", k, "partial_image_b64",
                               json_object_get(item, "result"));
        for (s = shown; *s; s++)
            if (json_object_get(item, *s))
                json_object_set(ev, *s, json_object_get(item, *s));
        emitter_event(e, RM_EV_IMAGE_PARTIAL, ev, snap, 0);
    }
}

/* A built-in tool item: added (in progress), then its own events as its
 * row of builtin.c lists them (spec, openai-node 7.59 ResponseStreamEvent). */
static void emit_tool(struct emitter *e, const struct fx_item *it, const json_t *item, size_t oi,
                      const json_t *snap, int obf)
{
    const struct builtin_events *ev = &it->tool->events;
    const char *id = json_util_str(item, "id");
    size_t k;

    emitter_event(e, RM_EV_ITEM_ADDED,
                  json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item",
                            render_builtin_added(it, item)),
                  snap, 0);
    for (k = 0; k < BUILTIN_MAX_STATUS_EVENTS && ev->before[k]; k++)
        emit_status(e, ev->before[k], id, oi, snap);
    if (ev->delta)
        emit_tool_text(e, it, id, oi, ev->delta, ev->done, it->tool->streamed, snap, obf);
    if (it->tool->kind == BI_IMAGE_GENERATION)
        emit_partial_images(e, it, item, oi, snap);
    if (it->tool->kind == BI_SHELL)
        emit_shell_commands(e, item, oi, snap, obf);
    if (it->tool->kind == BI_MCP_CALL && json_util_str(item, "status") &&
        strcmp(json_util_str(item, "status"), RM_STATUS_FAILED) == 0) {
        emit_status(e, RM_EV_MCP_CALL_FAILED, id, oi, snap); /* instead of .completed */
        return;
    }
    for (k = 0; k < BUILTIN_MAX_STATUS_EVENTS && ev->after[k]; k++)
        emit_status(e, ev->after[k], id, oi, snap);
}

/* REQ: stream-event-order REQ: stream-one-terminal REQ: stream-completed-equals-body */
struct event_list *render_response_events(const struct render_ctx *rc, const json_t *final,
                                          const struct fx_fault *fault, int queued)
{
    const struct fixture *fx = rc->fx;
    struct event_list *l = event_list_new();
    json_t *snap, *streamed, *output = json_object_get(final, "output");
    const char *status = json_util_str(final, "status");
    const json_t *so = json_object_get(rc->req, "stream_options");
    /* background streams of the real API carry no obfuscation (recorded
     * 2026-02) */
    int obf = !json_is_false(json_object_get(so, "include_obfuscation")) && !rc->background;
    int top = render_top_logprobs(rc->req);
    struct emitter e;
    size_t i, nitems;
    const struct fx_item *items = render_items(rc, &nitems);

    if (!l)
        return NULL;
    emitter_init(&e, l, &fx->stream, fault, 0);
    /* Every event keeps its own snapshot: the list is serialised later, so
     * nothing it holds may change once appended. */
    snap = response_snapshot(final, queued ? RM_STATUS_QUEUED : RM_STATUS_IN_PROGRESS, NULL);
    json_object_del(snap, "billing"); /* JSON bodies only */
    emitter_event(&e, RM_EV_CREATED, json_pack("{s:O}", "response", snap), snap, 0);
    if (queued) {
        emitter_event(&e, RM_EV_QUEUED, json_pack("{s:O}", "response", snap), snap, 0);
        json_decref(snap);
        snap = response_snapshot(final, RM_STATUS_IN_PROGRESS, NULL);
        json_object_del(snap, "billing");
    }
    emitter_event(&e, RM_EV_IN_PROGRESS, json_pack("{s:O}", "response", snap), snap, 0);
    for (i = 0; i < nitems && i < json_array_size(output); i++) {
        const struct fx_item *it = &items[i];
        json_t *item = json_array_get(output, i);

        switch (it->type) {
        case FX_ITEM_MESSAGE:
        case FX_ITEM_REFUSAL:
            emit_message(&e, it, item, i, snap, obf, top);
            break;
        case FX_ITEM_TOOL:
            emit_tool(&e, it, item, i, snap, obf);
            break;
        case FX_ITEM_FUNCTION_CALL:
            emit_function_call(&e, it, item, i, snap, obf);
            break;
        case FX_ITEM_REASONING:
            emit_reasoning(&e, render_summary(rc, it), it, item, i, snap, obf);
            break;
        case FX_ITEM_RAW: {
            json_t *added = json_deep_copy(item);
            if (json_object_get(added, "status"))
                json_object_set_new(added, "status", json_string(RM_STATUS_IN_PROGRESS));
            emitter_event(&e, RM_EV_ITEM_ADDED,
                          json_pack("{s:I, s:o}", "output_index", (json_int_t)i, "item", added),
                          snap, 0);
            break;
        }
        }
        emitter_event(&e, RM_EV_ITEM_DONE,
                      json_pack("{s:I, s:O}", "output_index", (json_int_t)i, "item", item), snap,
                      0);
        emitter_item_done(&e, item);
    }
    if (!emitter_skips_terminal(&e)) /* no_terminal: the stream just ends */
    {
        /* the final object as the JSON body has it, less "billing", which
         * the real API sends in JSON bodies only */
        streamed = json_copy((json_t *)final);
        json_object_del(streamed, "billing");
        emitter_event(&e, contract_terminal_event(status), json_pack("{s:o}", "response", streamed),
                      snap, 1);
    }
    if (emitter_finish(&e, snap) != 0) {
        json_decref(snap);
        event_list_unref(l);
        return NULL;
    }
    json_decref(snap);
    return l;
}
