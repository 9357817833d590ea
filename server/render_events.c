/* render_events: the Responses event list of a rendered Response (see
 * render_events.h). */
#include "render_events.h"

#include <stdint.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "limits.h"

/* Text between two chunk boundaries as a new JSON string. */
json_t *render_slice(const char *text, size_t from, size_t to)
{
    return json_stringn(text + from, to - from);
}

/* The "obfuscation" of a delta: random-looking characters that pad the
 * event, as the real API adds to every text, argument and summary delta
 * (unless stream_options.include_obfuscation is false). Derived from the
 * item id and the delta's place, so it needs no state. */
static json_t *obfuscation(const char *id, size_t index, size_t delta_len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char out[RM_OBFUSCATION_MAX + 1];
    uint64_t h = 1469598103934665603ull;
    size_t n = delta_len < RM_OBFUSCATION_MAX - 1 ? RM_OBFUSCATION_MAX - delta_len : 1, i;
    const char *p;

    for (p = id; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h ^= index * 0x9e3779b97f4a7c15ull;
    for (i = 0; i < n; i++) {
        h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
        out[i] = alphabet[(h >> 32) % (sizeof(alphabet) - 1)];
    }
    out[n] = '\0';
    return json_string(out);
}

/* Add the obfuscation of delta number 'index' of item 'id' to 'ev'. */
static json_t *obfuscated(json_t *ev, int on, const char *id, size_t index)
{
    const char *delta = json_util_str(ev, "delta");

    if (on)
        json_object_set_new(ev, "obfuscation", obfuscation(id, index, delta ? strlen(delta) : 0));
    return ev;
}

/* REQ: stream-content-part-before-delta REQ: stream-done-full-text */
static void emit_message(struct emitter *e, const struct fx_item *it, json_t *item, size_t oi,
                         const json_t *snap, int obf)
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
                 obfuscated(json_pack("{s:s, s:I, s:i, s:o, s:[]}", "item_id", id, "output_index",
                                      (json_int_t)oi, "content_index", 0, "delta",
                                      render_slice(it->text, from, to), "logprobs"),
                            obf, id, c),
                 snap, 0);
        from = to;
    }
    if (refusal)
        emitter_event(e, RM_EV_REFUSAL_DONE,
             json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                       "content_index", 0, "refusal", it->text),
             snap, 0);
    else
        emitter_event(e, RM_EV_TEXT_DONE,
             json_pack("{s:s, s:I, s:i, s:s, s:[]}", "item_id", id, "output_index",
                       (json_int_t)oi, "content_index", 0, "text", it->text, "logprobs"),
             snap, 0);
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
                        obf, id, c),
             snap, 0);
        from = it->chunks.ends[c];
    }
    /* no "name": the real event carries the arguments only */
    emitter_event(e, RM_EV_ARGS_DONE,
         json_pack("{s:s, s:I, s:s}", "item_id", id, "output_index", (json_int_t)oi, "arguments",
                   it->text),
         snap, 0);
}

static void emit_reasoning(struct emitter *e, const char *summary, const struct fx_item *it,
                           json_t *item, size_t oi, const json_t *snap, int obf)
{
    const char *id = json_util_str(item, "id");
    json_t *added = json_deep_copy(item);
    size_t c, from = 0;

    json_object_set_new(added, "summary", json_array());
    emitter_event(e, RM_EV_ITEM_ADDED,
         json_pack("{s:I, s:o}", "output_index", (json_int_t)oi, "item", added), snap, 0);
    if (!summary)
        return; /* no summary asked for: no summary events */
    emitter_event(e, RM_EV_SUMMARY_PART_ADDED,
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", RM_PART_SUMMARY_TEXT, "text",
                   ""),
         snap, 0);
    for (c = 0; c < it->chunks.n; c++) {
        emitter_event(e, RM_EV_SUMMARY_DELTA,
             obfuscated(json_pack("{s:s, s:I, s:i, s:o}", "item_id", id, "output_index",
                                  (json_int_t)oi, "summary_index", 0, "delta",
                                  render_slice(it->text, from, it->chunks.ends[c])),
                        obf, id, c),
             snap, 0);
        from = it->chunks.ends[c];
    }
    emitter_event(e, RM_EV_SUMMARY_DONE,
         json_pack("{s:s, s:I, s:i, s:s}", "item_id", id, "output_index", (json_int_t)oi,
                   "summary_index", 0, "text", it->text),
         snap, 0);
    emitter_event(e, RM_EV_SUMMARY_PART_DONE,
         json_pack("{s:s, s:I, s:i, s:{s:s, s:s}}", "item_id", id, "output_index",
                   (json_int_t)oi, "summary_index", 0, "part", "type", RM_PART_SUMMARY_TEXT, "text",
                   it->text),
         snap, 0);
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
            emit_message(&e, it, item, i, snap, obf);
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
