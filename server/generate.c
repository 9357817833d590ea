/* generate: fixture selection, then rendering (see generate.h). */
#include "generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auto_answer.h"
#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "render_chat.h"
#include "render_events.h"
#include "render_transcript.h"
#include "scenario.h"

int generate_parse_fault(const char *header, struct fx_fault *out, struct api_error *err)
{
    char why[160];

    fault_defaults(out);
    if (!header)
        return 0;
    if (fault_parse_spec(header, out, why, sizeof(why)) != 0)
        return api_error_invalid(err, "invalid_fault", NULL,
                                 "respmock: bad x-respmock-fault header: %s.", why);
    return 0;
}

void generate_facts(struct match_facts *f, struct match_texts *t, const char *path,
                    const json_t *body, const struct ask *a, const json_t *extra,
                    const json_t *input, int stream, int turn)
{
    buf_init(&t->all, RM_MAX_MATCH_TEXT);
    buf_init(&t->prompt, RM_MAX_MATCH_TEXT);
    buf_init(&t->instructions, RM_MAX_MATCH_TEXT);
    request_collect_text(extra, &t->all);
    request_collect_text(input, &t->all);
    request_collect_text(a->prompt, &t->prompt);
    request_collect_text(a->instructions, &t->instructions);
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->model = json_util_str(body, "model");
    f->text = t->all.data ? t->all.data : "";
    f->prompt = a->prompt ? (t->prompt.data ? t->prompt.data : "") : NULL;
    f->instructions = t->instructions.data;
    f->tool_choice = a->choice;
    f->forced_tool = a->forced;
    f->has_image = a->has_image;
    f->has_file = a->has_file;
    f->text_format = a->text_format;
    f->tools = json_array_size(a->tool_names) > 0;
    f->tool_names = a->tool_names;
    f->stream = stream;
    f->body = body;
    f->turn = turn;
    f->tool_outputs = a->tool_outputs;
    f->after_tools = a->after_tools;
}

void generate_texts_release(struct match_texts *t)
{
    buf_release(&t->all);
    buf_release(&t->prompt);
    buf_release(&t->instructions);
}

/* Append the compaction item standing for the conversation of 'rc' (its
 * instructions and context, compaction.h). Returns 0 or -1 on OOM. */
static int add_compaction(const struct render_ctx *rc, struct fx_items *items)
{
    struct buf text;
    struct fx_item *it;

    request_compaction_text(json_object_get(rc->req, "instructions"),
                            rc->context ? rc->context : json_object_get(rc->req, "input"), &text);
    it = fx_items_add(items, FX_ITEM_TOOL, text.data ? text.data : "", NULL, &rc->fx->stream);
    buf_release(&text);
    if (!it)
        return -1;
    it->tool = builtin_find(RM_ITEM_COMPACTION);
    it->raw = json_pack("{s:s}", "type", RM_ITEM_COMPACTION);
    return it->raw ? 0 : -1;
}

/* The compact_threshold of the request's context_management compaction
 * entry, or -1 when it asks for no server-side compaction. */
static long compact_threshold(const json_t *req)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(req, "context_management"), i, e) {
        const char *type = json_util_str(e, "type");
        const json_t *t = json_object_get(e, "compact_threshold");

        if (type && strcmp(type, RM_ITEM_COMPACTION) == 0 && json_is_integer(t))
            return (long)json_integer_value(t);
    }
    return -1;
}

/* Server-side compaction (context_management): a compaction item for the
 * conversation first, then the answer 'out' has. Returns 0 or -1 on OOM. */
static int compact_first(const struct render_ctx *rc, struct render_ctx *out,
                         struct fx_items *items)
{
    struct fx_items all;
    const struct fx_item *v;
    size_t i, n;

    memset(&all, 0, sizeof(all));
    v = render_items(out, &n);
    if (add_compaction(rc, &all) != 0)
        goto fail;
    for (i = 0; i < n; i++)
        if (!fx_items_copy(&all, &v[i], &rc->fx->stream))
            goto fail;
    fx_items_release(items);
    *items = all;
    out->items = items->v;
    out->nitems = items->n;
    return 0;
fail:
    fx_items_release(&all);
    return -1;
}

/* 'rc' with the items it answers 'a' with, in 'items' (release it after
 * rendering): an input ending with compaction_trigger is answered, as the
 * real API does, with one compaction item standing for the conversation,
 * whatever the fixture says; an "auto" fixture answers what 'a' asks for;
 * a context over the context_management compact_threshold is compacted
 * first. Returns 0 or -1 on OOM. */
static int answer_items(const struct render_ctx *rc, const struct ask *a, struct render_ctx *out,
                        struct fx_items *items)
{
    long threshold = compact_threshold(rc->req);

    *out = *rc;
    memset(items, 0, sizeof(*items));
    if (a && a->compaction_trigger) {
        if (add_compaction(rc, items) != 0)
            return -1;
        out->items = items->v;
        out->nitems = items->n;
        return 0;
    }
    if (rc->fx->auto_answer && a) {
        if (auto_answer(rc->fx, a, items) != 0)
            return -1;
        if (items->n) {
            out->items = items->v;
            out->nitems = items->n;
        }
    }
    if (threshold >= 0 && rc->input_tokens >= threshold)
        return compact_first(rc, out, items);
    return 0;
}

/* One pick: the scenario it runs in, and the debug account of the match
 * (one line for each of the first fixtures passed over). */
struct picking {
    struct rm_server *srv;
    const char *path;
    const char *key;        /* scenario key, "" for the default */
    unsigned skipped;
    long step;              /* the claimed use of the matching fixture, -1 when not counted */
    int debug;
    int unavailable;        /* the shared scenarios (--state) could not be reached */
    int state_read;         /* 'state' holds the scenario's state */
    char state[RM_MAX_SCENARIO_KEY + 1];
};

#define SKIPS_SHOWN 5

static void note_skip(void *user, const struct fixture *fx, const char *why)
{
    struct picking *k = user;

    if (k->debug && k->skipped < SKIPS_SHOWN)
        server_log(k->srv, LOG_DEBUG, "%s: fixture '%s' passed over: %s", k->path, fx->name,
                   why);
    k->skipped++;
}

/* The scenario's state, read once, when the first fixture asks: a request
 * that no state fixture looks at never needs it (nor a shared Redis). */
static const char *state_of(void *user)
{
    struct picking *k = user;

    if (!k->state_read) {
        if (scenarios_state(k->srv->scenarios, k->key, k->state, sizeof(k->state)) != 0) {
            k->unavailable = 1;
            snprintf(k->state, sizeof(k->state), "%s", RM_SCENARIO_START);
        }
        k->state_read = 1;
    }
    return k->state;
}

static unsigned long uses_of(void *user, const struct fixture *fx)
{
    struct picking *k = user;
    long n = scenarios_uses(k->srv->scenarios, k->key, fx->name);

    if (n < 0)
        k->unavailable = 1;
    return n < 0 ? 0 : (unsigned long)n;
}

/* Take a match: a fixture with "times" or a "sequence" counts its use in
 * the scenario, atomically (two racing requests get different steps; one
 * over its times is passed over). */
static int claim(void *user, const struct fixture *fx)
{
    struct picking *k = user;

    k->step = -1;
    if (!fx->times && !fx->nsteps)
        return 0;
    k->step = scenarios_take(k->srv->scenarios, k->key, fx->name, fx->times);
    if (k->step == -2)
        k->unavailable = 1;
    return k->step < 0 ? -1 : 0;
}

static const char *header_of(const void *ctx, const char *name)
{
    const struct rm_request *req = ctx;

    return req->header ? req->header(req->header_ctx, name) : NULL;
}

const struct fixture *generate_pick(struct rm_server *srv, const struct rm_request *req,
                                    struct match_facts *facts, struct rm_reply *out,
                                    struct api_error *err)
{
    const struct fixture_set *set = req->fixtures;
    const struct fixture *fx, *closest = NULL;
    struct picking k;
    char why[256];

    memset(&k, 0, sizeof(k));
    k.srv = srv;
    k.path = facts->path;
    k.key = req->scenario ? req->scenario : "";
    k.step = -1;
    k.debug = srv->cfg.log_level >= LOG_DEBUG;
    facts->uses = uses_of;
    facts->state_of = state_of;
    facts->uses_ctx = &k;
    facts->header = header_of;
    facts->header_ctx = req;
    if (req->fixture) {
        fx = fixture_find(set, req->fixture);
        if (!fx)
            return api_error_invalid(err, "unknown_fixture", NULL,
                                     "respmock: no fixture is named '%.200s' "
                                     "(x-respmock-fixture).",
                                     req->fixture),
                   NULL;
        claim(&k, fx);
    } else {
        why[0] = '\0';
        /* Reasons for passing a fixture over are written only for the debug
         * log: formatting one per fixture dominated matching in large sets. */
        fx = fixture_match_explain(set, facts, srv->cfg.strict, k.debug ? note_skip : NULL,
                                   claim, &k, srv->cfg.strict ? &closest : NULL, why,
                                   sizeof(why));
        if (k.debug)
            server_log(srv, LOG_DEBUG, "%s: fixture '%s' answers (%u passed over before it)",
                       facts->path, fx ? fx->name : "(none)", k.skipped);
    }
    /* A fixture with a count or state cannot be picked without them. */
    if (k.unavailable)
        return api_error_state_unavailable(err), NULL;
    if (!fx)
        out->unmatched = 1;
    if (!fx && srv->cfg.strict)
        return api_error_not_found(err, NULL,
                                   "respmock: no fixture matched %s (--strict)%s%s%s%s.",
                                   facts->path, closest ? "; the closest is '" : "",
                                   closest ? closest->name : "", closest ? "', but " : "",
                                   closest ? why : ""),
               NULL;
    if (!fx)
        return api_error_server(err, "no_fixture_matched",
                                "respmock: no fixture matched %s (model '%.100s', stream %s); "
                                "add a fixture without \"match\" as the default.",
                                facts->path, facts->model ? facts->model : "",
                                facts->stream ? "on" : "off"),
               NULL;
    atomic_fetch_add((atomic_ulong *)&fx->calls, 1);
    if (fx->next_state && scenarios_set_state(srv->scenarios, k.key, fx->next_state) != 0)
        return api_error_state_unavailable(err), NULL;
    /* The state the reply reports; a fixture that uses none answers
     * without it when it cannot be read. */
    if ((fx->times || fx->nsteps || set->has_states) &&
        scenarios_state(srv->scenarios, k.key, out->state, sizeof(out->state)) != 0) {
        out->state[0] = '\0';
        if (fx->times || fx->nsteps || fx->m_state)
            return api_error_state_unavailable(err), NULL;
    }
    return fixture_step(fx, k.step < 0 ? 0 : (unsigned long)k.step);
}

int generate_reply_start(const struct fixture *fx, const struct fx_fault *fault,
                         struct rm_reply *out)
{
    size_t i;

    for (i = 0; i < fx->nheaders; i++)
        reply_header(out, fx->headers[i].name, fx->headers[i].value);
    out->delay_ms = fault_latency_ms(fx->latency_ms, fault);
    str_copy(out->fixture, sizeof(out->fixture), fx->name, strlen(fx->name));
    if (fx->kind != FX_ERROR) {
        reply_fixture_flavor(out, fx);
        return 0;
    }
    out->status = fx->err_status;
    out->content_type = RM_CT_JSON;
    out->body = strdup(fx->err_body);
    out->body_len = out->body ? strlen(out->body) : 0;
    reply_fixture_flavor(out, fx);
    return 1;
}

/* A response fixture's answer for either API ('chat'): the items it
 * answers with, the final object, and its events when streamed. */
static int render_answer(const struct render_ctx *rc0, const struct ask *a, int chat, int stream,
                         const struct fx_fault *fault, int queued, struct generation *out,
                         struct api_error *err)
{
    struct render_ctx rc;
    struct fx_items items;

    if (answer_items(rc0, a, &rc, &items) != 0)
        return api_error_oom(err);
    out->final = chat ? render_chat(&rc) : render_response(&rc);
    if (out->final && stream)
        out->events = chat ? render_chat_events(&rc, out->final, fault)
                           : render_response_events(&rc, out->final, fault, queued);
    fx_items_release(&items);
    if (!out->final || (stream && !out->events)) {
        generation_release(out);
        return api_error_oom(err);
    }
    return 0;
}

int generate_response(const struct render_ctx *rc0, const struct ask *a, int stream,
                      const struct fx_fault *fault, int queued, struct generation *out,
                      struct api_error *err)
{
    const struct fixture *fx = rc0->fx;

    memset(out, 0, sizeof(*out));
    if (fx->kind == FX_TRANSCRIPT && fx->body && (!stream || !fx->nframes)) {
        /* A recorded non-streaming answer: its body, sent verbatim by the handler. */
        out->final = json_incref(fx->body_json);
        return 0;
    }
    if (fx->kind == FX_TRANSCRIPT) {
        if (stream) {
            out->events = render_transcript_events(rc0->srv, fx, fault);
            if (!out->events)
                return api_error_oom(err);
            out->final = json_incref(event_list_last_response(out->events));
        } else {
            out->final = render_transcript_final(fx);
            if (!out->final)
                return api_error_server(err, NULL,
                                        "respmock: transcript fixture '%s' has no response "
                                        "object to answer a non-streaming request with.",
                                        fx->name);
        }
        return 0;
    }
    return render_answer(rc0, a, 0, stream, fault, queued, out, err);
}

int generate_chat(const struct render_ctx *rc0, const struct ask *a, int stream,
                  const struct fx_fault *fault, struct generation *out, struct api_error *err)
{
    const struct fixture *fx = rc0->fx;

    memset(out, 0, sizeof(*out));
    if (fx->kind == FX_TRANSCRIPT) {
        if (!stream)
            return api_error_server(err, NULL,
                                    "respmock: transcript fixture '%s' can only answer "
                                    "streaming requests.",
                                    fx->name);
        out->events = render_transcript_events(rc0->srv, fx, fault);
        return out->events ? 0 : api_error_oom(err);
    }
    return render_answer(rc0, a, 1, stream, fault, 0, out, err);
}

void generation_release(struct generation *g)
{
    json_decref(g->final);
    event_list_unref(g->events);
    memset(g, 0, sizeof(*g));
}
