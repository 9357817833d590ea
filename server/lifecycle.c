/* lifecycle: stored responses, chains, conversations on create, the
 * background schedule, and the views of a stored response (see lifecycle.h). */
#include "lifecycle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auto_answer.h"
#include "buf.h"
#include "contract.h"
#include "conversation.h"
#include "json_util.h"
#include "render_events.h"
#include "request.h"
#include "snapshot.h"

/* ---- The background schedule ------------------------------------------ */

unsigned lifecycle_background_ms(const struct fixture *fx)
{
    return fx && fx->background_ms ? fx->background_ms : RM_DEFAULT_BACKGROUND_MS;
}

/* Schedule time (ms before --speed) of event 'k' of the 'n' events of a
 * background stream (response.created, response.queued, response.in_progress,
 * ..., terminal): the first two at 0, in_progress at D/2, the rest evenly
 * up to D, where the terminal event lands. */
static unsigned bg_event_ms(size_t k, size_t n, unsigned d)
{
    unsigned half = d / 2;

    if (k < 2)
        return 0;
    if (k == 2 || n <= 3)
        return half;
    if (k >= n - 1)
        return d;
    return half + (unsigned)((uint64_t)(d - half) * (k - 2) / (n - 3));
}

/* Schedule time that has passed for 'st': INT64_MAX when its status no
 * longer follows the clock (not background, settled, or --speed 0). */
static int64_t bg_elapsed(const struct rm_server *srv, const struct stored *st)
{
    double e;

    if (!st->live || srv->cfg.speed <= 0)
        return INT64_MAX;
    e = (double)(server_now_ms() - st->start_ms) / srv->cfg.speed;
    /* A tiny --speed (e.g. 1e-300) overflows int64: converting that is
     * undefined (INT64_MIN on x86, i.e. "queued" for ever). */
    return e >= 9e18 ? INT64_MAX : (int64_t)e;
}

void lifecycle_pace_events(struct event_list *l, unsigned duration_ms)
{
    unsigned prev = 0;
    size_t k;

    for (k = 0; l && k < l->n; k++) {
        unsigned t = bg_event_ms(k, l->n, duration_ms);
        l->v[k].delay_ms = t > prev ? t - prev : 0;
        if (t > prev)
            prev = t;
    }
}

/* ---- Stored events ------------------------------------------------------ */

/* The event list of 'st' (new reference): the stored one, or rendered again
 * from its fixture (the same fixture and final Response give the same
 * events). NULL when neither is possible. */
static struct event_list *stored_events(struct rm_server *srv, const struct stored *st)
{
    const struct fixture *fx;
    struct fixture clean;
    struct render_ctx rc;
    struct fx_items items;
    struct event_list *l = NULL;
    struct fixture_set *set;

    if (st->events)
        return event_list_ref(st->events);
    set = server_fixtures(srv);
    fx = st->fixture[0] ? fixture_find(set, st->fixture) : NULL;
    /* The response was answered without a stream, so no stream fault ever
     * happened to it: replay the clean stream of what it returned, its
     * items read back from its own output (a request-aware answer has
     * items of its own), paced and chunked as its fixture says. A
     * transcript's stored response (or one whose fixture is gone) is
     * replayed the same way with the default stream keys: its recorded
     * frames carry the recorded ids, not the ones the reply had. */
    if (fx && fx->kind == FX_RESPONSE) {
        clean = *fx;
    } else {
        memset(&clean, 0, sizeof(clean));
        clean.name = (char *)(fx ? fx->name : "");
        clean.kind = FX_RESPONSE;
        clean.stream.by_words = 1;
        clean.stream.chunk_size = 1;
        clean.stream.seed = 1;
        fault_defaults(&clean.stream.fault);
        fx = &clean;
    }
    clean.stream.fault.kind = FX_FAULT_NONE;
    if (auto_answer_items_of(json_object_get(st->response, "output"), &fx->stream, &items) != 0)
        goto out;
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = &clean;
    rc.items = items.v;
    rc.nitems = items.n;
    rc.background = st->background; /* a background stream: no obfuscation, as recorded */
    l = render_response_events(&rc, st->response, NULL, st->background);
    fx_items_release(&items);
out:
    fixture_set_unref(set);
    return l;
}

/* The output items whose output_item.done event is due at schedule time
 * 'e' (new array). */
static json_t *output_so_far(const struct event_list *l, int64_t e, unsigned d)
{
    json_t *out = json_array();
    size_t k;

    for (k = 0; k < l->n; k++) {
        const struct event *ev = &l->v[k];
        const char *type = event_type(ev);

        if (type && strcmp(type, RM_EV_ITEM_DONE) == 0 &&
            json_is_object(json_object_get(ev->json, "item")) &&
            (int64_t)bg_event_ms(k, l->n, d) <= e)
            json_array_append(out, json_object_get(ev->json, "item"));
    }
    return out;
}

/* The Response of 'st' as it stands at schedule time 'e' (new reference). */
static json_t *view_at(struct rm_server *srv, const struct stored *st, int64_t e)
{
    unsigned d = st->duration_ms;
    struct event_list *l;
    json_t *output = NULL;

    if (!st->live || e >= (int64_t)d)
        return json_incref(st->response);
    if (e < (int64_t)(d / 2))
        return response_snapshot(st->response, RM_STATUS_QUEUED, NULL);
    if ((l = stored_events(srv, st))) {
        output = output_so_far(l, e, d);
        event_list_unref(l);
    }
    return response_snapshot(st->response, RM_STATUS_IN_PROGRESS, output);
}

json_t *lifecycle_view(struct rm_server *srv, const struct stored *st)
{
    return view_at(srv, st, bg_elapsed(srv, st));
}

struct event_list *lifecycle_replay(struct rm_server *srv, const struct stored *st, long after,
                                    struct api_error *err)
{
    int64_t e = bg_elapsed(srv, st), prev = e;
    struct event_list *l = stored_events(srv, st), *out;
    size_t k;

    if (!l) {
        api_error_invalid(err, NULL, "stream", "Response '%.200s' has no stored events to replay.",
                          json_util_str(st->response, "id"));
        return NULL;
    }
    out = event_list_new();
    for (k = 0; out && k < l->n; k++) {
        const struct event *ev = &l->v[k];
        long seq = event_seq(ev);
        unsigned delay = 0;

        /* A replay is what was sent: no pauses, no cut connection. */
        if (ev->kind == EVENT_PAUSE || (seq <= after && (seq >= 0 || after >= 0)))
            continue;
        if (e < (int64_t)st->duration_ms) {
            int64_t t = bg_event_ms(k, l->n, st->duration_ms);
            if (t > prev) {
                delay = (unsigned)(t - prev);
                prev = t;
            }
        }
        if (event_list_push_copy(out, ev, delay) != 0) {
            event_list_unref(out);
            out = NULL;
        }
    }
    event_list_unref(l);
    if (!out)
        api_error_oom(err);
    return out;
}

/* ---- Cancel ------------------------------------------------------------- */

/* The events of 'l' due by schedule time 'e' (a new list sharing their
 * JSON), or NULL on OOM. */
static struct event_list *events_until(const struct event_list *l, int64_t e, unsigned d)
{
    struct event_list *out = event_list_new();
    size_t k;

    for (k = 0; out && k < l->n; k++)
        if ((int64_t)bg_event_ms(k, l->n, d) <= e &&
            event_list_push_copy(out, &l->v[k], 0) != 0) {
            event_list_unref(out);
            out = NULL;
        }
    return out;
}

json_t *lifecycle_cancel(struct rm_server *srv, const char *id, struct api_error *err)
{
    int attempt;

    /* Compare-and-swap: if another cancel settles it first, answer with
     * what that one stored. */
    for (attempt = 0; attempt < 8; attempt++) {
        struct stored st;
        struct event_list *l, *events = NULL;
        json_t *cancelled, *output = NULL;
        int64_t e;
        int rc;

        if ((rc = store_get(srv->store, id, STORED_RESPONSE, &st)) != 0) {
            if (rc == STORE_UNAVAILABLE)
                return api_error_state_unavailable(err), NULL;
            api_error_not_found(err, NULL, "No response found with id '%.200s'.", id);
            return NULL;
        }
        if (!st.background) {
            stored_release(&st);
            api_error_invalid(err, NULL, NULL,
                              "Only responses created with background=true can be cancelled.");
            return NULL;
        }
        e = bg_elapsed(srv, &st);
        if (!st.live || e >= (int64_t)st.duration_ms) {
            /* Already terminal (done, failed, or cancelled): unchanged. */
            cancelled = lifecycle_view(srv, &st);
            stored_release(&st);
            return cancelled;
        }
        if ((l = stored_events(srv, &st))) {
            if (e >= (int64_t)(st.duration_ms / 2))
                output = output_so_far(l, e, st.duration_ms);
            events = events_until(l, e, st.duration_ms);
            event_list_unref(l);
        }
        cancelled = response_snapshot(st.response, RM_STATUS_CANCELLED, output);
        rc = store_settle(srv->store, id, st.version, json_incref(cancelled), events);
        stored_release(&st);
        if (rc == 0)
            return cancelled;
        json_decref(cancelled);
        if (rc == STORE_UNAVAILABLE) {
            api_error_state_unavailable(err);
            return NULL;
        }
        if (rc == -1) {
            api_error_not_found(err, NULL, "No response found with id '%.200s'.", id);
            return NULL;
        }
    }
    api_error_set(err, 409, RM_ERRTYPE_INVALID_REQUEST, NULL, NULL,
                  "respmock: response '%.200s' kept changing while being cancelled.", id);
    return NULL;
}

/* ---- POST /v1/responses ----------------------------------------------- */

/* 400 when a function call in 'prev' (a Response) has no output among the
 * call_ids in 'answered'. REQ: chain-pending-call */
static int check_pending_calls(const json_t *prev, const json_t *answered,
                               struct api_error *err)
{
    json_t *it, *o;
    size_t i, j;

    json_array_foreach(json_object_get(prev, "output"), i, it) {
        const char *type = json_util_str(it, "type"), *call = json_util_str(it, "call_id");
        int ok = 0;

        if (!type || strcmp(type, RM_ITEM_FUNCTION_CALL) != 0 || !call)
            continue;
        json_array_foreach(answered, j, o) if (json_is_string(o) &&
                                               strcmp(json_string_value(o), call) == 0) ok = 1;
        if (!ok)
            return api_error_invalid(err, NULL, "input",
                                     "No tool output found for function call %s.", call);
    }
    return 0;
}

static int gather_context(struct rm_server *srv, struct store *session, const json_t *body,
                          const json_t *answered, struct lifecycle_create *lc,
                          struct api_error *err)
{
    const json_t *conv = json_object_get(body, "conversation");
    const char *cid = json_is_string(conv) ? json_string_value(conv) : json_util_str(conv, "id");

    memset(lc, 0, sizeof(*lc));
    lc->session = session;
    lc->store = !json_is_false(json_object_get(body, "store"));
    lc->background = json_util_true(body, "background");
    lc->prev_id = json_util_str(body, "previous_response_id");
    lc->turn = 1;
    lc->start_ms = server_now_ms();
    if (answered && lc->background && !lc->store)
        return api_error_invalid(err, "invalid_value", "background",
                                 "Background responses must be stored: 'background' true "
                                 "cannot be combined with 'store' false.");
    if (lc->prev_id && cid)
        return api_error_invalid(err, "invalid_value", "previous_response_id",
                                 "Cannot use both 'previous_response_id' and 'conversation'.");
    if (lc->prev_id) {
        /* REQ: chain-context: the chain's inputs and outputs, then the new
         * input; instructions are not part of it. */
        struct stored prev;
        json_t *view;
        int rc = store_get(srv->store, lc->prev_id, STORED_RESPONSE, &prev);

        if (rc != 0 && rc != STORE_UNAVAILABLE && session &&
            store_get(session, lc->prev_id, STORED_RESPONSE, &prev) == 0)
            rc = 0; /* store:false on this WebSocket connection */
        if (rc == STORE_UNAVAILABLE)
            return api_error_state_unavailable(err);
        if (rc != 0)
            return api_error_invalid(err, RM_ERRCODE_PREVIOUS_NOT_FOUND, "previous_response_id",
                                     "Previous response with id '%.200s' not found.",
                                     lc->prev_id);
        view = lifecycle_view(srv, &prev);
        if (answered)
            rc = check_pending_calls(view, answered, err);
        if (rc == 0) {
            lc->prefix = prev.context;
            request_tally(json_object_get(view, "output"), &lc->prefix);
            lc->turn = prev.turn + 1;
            snprintf(lc->prev_fixture, sizeof(lc->prev_fixture), "%s", prev.fixture);
        }
        json_decref(view);
        stored_release(&prev);
        return rc;
    }
    if (cid) {
        json_t *prefix = NULL;
        int turns = 0;

        int rc = strlen(cid) >= sizeof(lc->conversation)
                     ? -1
                     : conversation_snapshot(srv->conversations, cid, &prefix, &turns);

        if (rc == CONVERSATION_UNAVAILABLE)
            return api_error_state_unavailable(err);
        if (rc != 0)
            return api_error_not_found(err, "conversation",
                                       "Conversation with id '%.200s' not found.", cid);
        request_tally(prefix, &lc->prefix);
        json_decref(prefix);
        snprintf(lc->conversation, sizeof(lc->conversation), "%s", cid);
        lc->turn = turns + 1;
        return 0;
    }
    return 0;
}

/* The context may not grow without bound along a chain: like a model's
 * context window with truncation disabled, too many items is a 400. */
static int check_context_size(const struct lifecycle_create *lc, const json_t *body,
                              struct api_error *err)
{
    const json_t *input = json_object_get(body, "input");
    size_t n = lc->prefix.items + (json_is_array(input) ? json_array_size(input) : 1);

    if (n <= RM_MAX_CONTEXT_ITEMS)
        return 0;
    return api_error_invalid(err, "context_length_exceeded", "input",
                             "Your input exceeds the context window of this model: %zu items "
                             "(respmock's limit is %d).",
                             n, RM_MAX_CONTEXT_ITEMS);
}

int lifecycle_create_begin_in(struct rm_server *srv, struct store *session, const json_t *body,
                              const json_t *answered, struct lifecycle_create *lc,
                              struct api_error *err)
{
    if (gather_context(srv, session, body, answered, lc, err) != 0)
        return -1;
    return check_context_size(lc, body, err);
}

int lifecycle_create_begin(struct rm_server *srv, const json_t *body, const json_t *answered,
                           struct lifecycle_create *lc, struct api_error *err)
{
    return lifecycle_create_begin_in(srv, NULL, body, answered, lc, err);
}

json_t *lifecycle_create_reply(const struct lifecycle_create *lc, const json_t *final)
{
    return lc->background ? response_snapshot(final, RM_STATUS_QUEUED, NULL)
                          : json_incref((json_t *)final);
}

/* The Response to store for a streamed create: when a stream fault made the
 * stream end in response.failed or an error event, the stored response is
 * the failed one the client saw, not the rendered 'final'. New reference.
 * REQ: stored-matches-stream */
static json_t *stored_final(const json_t *final, const struct event_list *l)
{
    json_t *last = event_list_last_json(l), *e;
    const char *type = json_util_str(last, "type");

    if (type && strcmp(type, RM_EV_FAILED) == 0 && event_list_last_response(l))
        return json_incref(event_list_last_response(l));
    if (type && strcmp(type, RM_EV_ERROR) == 0) {
        const char *code, *msg;

        e = json_object_get(last, "error");
        code = json_util_str(e ? e : last, "code");
        msg = json_util_str(e ? e : last, "message");
        return response_failed(final, code ? code : RM_ERRCODE_SERVER,
                               msg ? msg : "The stream failed.", NULL);
    }
    return json_incref((json_t *)final);
}

int lifecycle_create_end(struct rm_server *srv, const struct lifecycle_create *lc,
                         const struct fixture *fx, const json_t *final, const char *final_json,
                         size_t final_len, const struct turn_items *in,
                         const struct text_tally *context, struct event_list *events,
                         struct api_error *err)
{
    struct stored entry;
    int rc;

    if (lc->conversation[0]) {
        json_t *add = in->items ? json_copy((json_t *)in->items) : NULL;
        rc = add ? json_array_extend(add, json_object_get(final, "output")) : -3;

        if (rc == 0)
            rc = conversation_append(srv->conversations, lc->conversation, add, 1);
        json_decref(add);
        if (rc == -1)
            return api_error_not_found(err, "conversation",
                                       "Conversation with id '%.200s' not found.",
                                       lc->conversation);
        if (rc == -2)
            return api_error_invalid(err, "conversation_too_large", "conversation",
                                     "Conversation '%.200s' would have more than %u items.",
                                     lc->conversation, (unsigned)RM_MAX_CONVERSATION_ITEMS);
        if (rc == CONVERSATION_UNAVAILABLE)
            return api_error_state_unavailable(err);
        if (rc != 0)
            return api_error_oom(err);
    }
    if (!lc->store && !lc->session)
        return 0; /* REQ: store-false-not-kept */
    memset(&entry, 0, sizeof(entry));
    entry.input_items = json_incref((json_t *)in->items);
    entry.input_json = in->json;
    entry.input_json_len = in->json_len;
    entry.context = *context;
    entry.events = event_list_ref(events);
    /* Background streams too: the schedule only paces what the stream says. */
    entry.response = events ? stored_final(final, events) : json_incref((json_t *)final);
    if (entry.response != final)
        final_json = NULL; /* the bytes are of 'final', not of what is stored */
    str_copy(entry.fixture, sizeof(entry.fixture), fx->name, strlen(fx->name));
    entry.turn = lc->turn;
    entry.background = lc->background;
    entry.live = lc->background;
    entry.start_ms = lc->start_ms;
    entry.duration_ms = lifecycle_background_ms(fx);
    /* store:false on a WebSocket connection: kept by the connection only */
    rc = store_put(lc->store ? srv->store : lc->session, &entry, final_json, final_len);
    if (rc == STORE_UNAVAILABLE)
        return api_error_state_unavailable(err);
    if (rc != 0)
        return api_error_oom(err);
    return 0;
}

/* Prepend to 'out' the items of the chain ending at 'id' (each turn's input
 * items, then its output), oldest first, walking previous_response_id back
 * through the store (and 'session'); a turn no longer stored ends the walk.
 * Bounded by RM_MAX_CONTEXT_ITEMS. */
static void chain_items(struct rm_server *srv, struct store *session, const char *id,
                        json_t *out)
{
    json_t *turns = json_array();
    char next[RM_MAX_ID_HEX + 64];
    size_t n = 0, i;

    snprintf(next, sizeof(next), "%s", id);
    while (turns && next[0] && n < RM_MAX_CONTEXT_ITEMS) {
        struct stored s;
        const char *prev;

        if (store_get(srv->store, next, STORED_RESPONSE | STORED_INPUT, &s) != 0 &&
            (!session || store_get(session, next, STORED_RESPONSE | STORED_INPUT, &s) != 0))
            break;
        n += json_array_size(s.input_items) +
             json_array_size(json_object_get(s.response, "output"));
        json_array_append_new(turns, json_pack("[OO]", s.input_items ? s.input_items : json_array(),
                                               json_object_get(s.response, "output")));
        prev = json_util_str(s.response, "previous_response_id");
        snprintf(next, sizeof(next), "%s", prev && strlen(prev) < sizeof(next) ? prev : "");
        stored_release(&s);
    }
    for (i = json_array_size(turns); i-- > 0;) {
        json_array_extend(out, json_array_get(json_array_get(turns, i), 0));
        json_array_extend(out, json_array_get(json_array_get(turns, i), 1));
    }
    json_decref(turns);
}

json_t *lifecycle_context_items(struct rm_server *srv, const struct lifecycle_create *lc,
                                const json_t *body, const json_t *items)
{
    json_t *ctx;

    if (body && !json_object_get(body, "context_management"))
        return NULL;
    ctx = json_array();
    if (!ctx)
        return NULL;
    if (lc->prev_id) {
        chain_items(srv, lc->session, lc->prev_id, ctx);
    } else if (lc->conversation[0]) {
        json_t *prefix = NULL;
        int turns = 0;

        if (conversation_snapshot(srv->conversations, lc->conversation, &prefix, &turns) == 0)
            json_array_extend(ctx, prefix);
        json_decref(prefix);
    }
    json_array_extend(ctx, (json_t *)items);
    return ctx;
}

void lifecycle_create_release(struct lifecycle_create *lc)
{
    memset(lc, 0, sizeof(*lc));
}
