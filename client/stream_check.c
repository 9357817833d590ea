/* stream_check: streaming invariants over SSE bytes (see stream_check.h).
 * The shared SSE parser dispatches events; per-event handlers update the item
 * and part state; stream_check_finish judges what only the end can show. */
#include "stream_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "redact.h"
#include "shape.h"

const char *stream_check_inv_name(enum stream_inv inv)
{
    static const char *const names[STREAM_INV_COUNT] = {
        "framing", "event_order", "single_terminal", "sequence_number", "deltas_concatenate",
        "final_response"};
    return inv < STREAM_INV_COUNT ? names[inv] : "unknown";
}

/* Record the first failure of invariant 'i'. */
__attribute__((format(printf, 3, 4))) static void inv_fail(struct stream_check *s,
                                                           enum stream_inv i, const char *fmt,
                                                           ...)
{
    struct stream_verdict *v = &s->rep.inv[i];
    va_list ap;

    if (v->state == 0)
        return;
    v->state = 0;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

/* Set the summary of a verdict that is still passing. */
__attribute__((format(printf, 3, 4))) static void inv_pass(struct stream_check *s,
                                                           enum stream_inv i, const char *fmt,
                                                           ...)
{
    struct stream_verdict *v = &s->rep.inv[i];
    va_list ap;

    if (v->state != 1)
        return;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

/* Copy 'src' (NULL: "") into 'dst' of 'n' bytes. */
static void keep(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* True when 'id' equals 'kept', a copy of at most 'n' - 1 bytes. */
static int same_id(const char *kept, size_t n, const char *id)
{
    return id && strncmp(kept, id, n - 1) == 0;
}

/* json_equal that also holds for two missing values. */
static int same_value(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal((json_t *)a, (json_t *)b));
}

/* True for the part types whose text streams as output_text / refusal deltas. */
static int part_streams_text(const char *type)
{
    return strcmp(type, RM_PART_OUTPUT_TEXT) == 0 || strcmp(type, RM_PART_REFUSAL) == 0 ||
           strcmp(type, RM_PART_REASONING_TEXT) == 0;
}

/* The key that holds the text of a part of 'type'. */
static const char *part_text_key(const char *type)
{
    return strcmp(type, RM_PART_REFUSAL) == 0 ? "refusal" : "text";
}

static void part_init(struct stream_part *p)
{
    buf_init(&p->text, SMOKE_MAX_TEXT);
}

void stream_check_init(struct stream_check *s, enum stream_kind kind)
{
    size_t i, j;

    memset(s, 0, sizeof(*s));
    s->kind = kind;
    sse_parser_init(&s->parser, SMOKE_MAX_EVENT);
    for (i = 0; i < STREAM_INV_COUNT; i++)
        s->rep.inv[i].state = 1;
    for (i = 0; i < SMOKE_STREAM_ITEMS; i++) {
        buf_init(&s->items[i].args, SMOKE_MAX_TEXT);
        for (j = 0; j < SMOKE_STREAM_PARTS; j++) {
            part_init(&s->items[i].parts[j]);
            part_init(&s->items[i].summary[j]);
        }
    }
    for (i = 0; i < SMOKE_STREAM_CHOICES; i++) {
        buf_init(&s->choices[i].text, SMOKE_MAX_TEXT);
        buf_init(&s->choices[i].refusal, SMOKE_MAX_TEXT);
        for (j = 0; j < SMOKE_STREAM_TOOL_CALLS; j++)
            buf_init(&s->choices[i].tools[j].args, SMOKE_MAX_TEXT);
    }
}

void stream_check_expect(struct stream_check *s, unsigned flags)
{
    s->expect = flags;
}

/* ---- Responses events ------------------------------------------------- */

/* The tracked item an item-scoped event refers to, or NULL: with an order
 * failure when it names an index that was never added, another item id, or
 * an item that is already done. */
static struct stream_item *event_item(struct stream_check *s, const json_t *doc, const char *tok)
{
    json_t *idx = json_object_get(doc, "output_index");
    json_t *item_id = json_object_get(doc, "item_id");
    struct stream_item *it;
    json_int_t i;

    if (!json_is_integer(idx)) {
        inv_fail(s, STREAM_INV_ORDER, "%s has no integer output_index", tok);
        return NULL;
    }
    i = json_integer_value(idx);
    if (i < 0 || (size_t)i >= s->n_items) {
        inv_fail(s, STREAM_INV_ORDER, "%s for output_index %lld before its output_item.added",
                 tok, (long long)i);
        return NULL;
    }
    if ((size_t)i >= SMOKE_STREAM_ITEMS)
        return NULL;
    it = &s->items[i];
    if (item_id && !same_id(it->id, sizeof(it->id), json_string_value(item_id)))
        inv_fail(s, STREAM_INV_ORDER, "%s item_id differs from its output_item.added", tok);
    if (it->done) {
        inv_fail(s, STREAM_INV_ORDER, "%s after output_item.done of output_index %lld", tok,
                 (long long)i);
        return NULL;
    }
    return it;
}

/* The part an item-scoped event names: its item by output_index (see
 * event_item), then its content part (or, with 'summary', its summary part)
 * by index; NULL when either is not tracked, with an order failure when the
 * event is wrong. */
static struct stream_part *event_part(struct stream_check *s, const json_t *doc, int summary,
                                      const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    const char *key = summary ? "summary_index" : "content_index";
    json_t *idx = json_object_get(doc, key);
    json_int_t j;

    if (!it)
        return NULL;
    if (!json_is_integer(idx)) {
        inv_fail(s, STREAM_INV_ORDER, "%s has no integer %s", tok, key);
        return NULL;
    }
    j = json_integer_value(idx);
    if (j < 0 || j >= SMOKE_STREAM_PARTS)
        return NULL;
    return summary ? &it->summary[j] : &it->parts[j];
}

/* The part a text delta or text .done names, after the order checks: added,
 * of type 'want', its text not done yet. */
static struct stream_part *text_part(struct stream_check *s, const json_t *doc, int summary,
                                     const char *want, const char *tok)
{
    struct stream_part *p = event_part(s, doc, summary, tok);

    if (!p)
        return NULL;
    if (!p->added)
        inv_fail(s, STREAM_INV_ORDER, "%s before its part was added", tok);
    else if (strcmp(p->type, want) != 0)
        inv_fail(s, STREAM_INV_ORDER, "%s into a %s part", tok, p->type);
    if (p->done || p->text_done)
        inv_fail(s, STREAM_INV_ORDER, "%s after its text was done", tok);
    return p;
}

/* Compare a ".done" text with the deltas streamed for it. */
static void compare_text(struct stream_check *s, const char *what, const char *text,
                         const struct buf *acc, size_t deltas)
{
    const char *have = acc->data ? acc->data : "";

    if (!text)
        return;
    if (deltas == 0) {
        if (text[0])
            inv_fail(s, STREAM_INV_DELTAS, "%s carries text that no delta streamed", what);
        return;
    }
    if (strcmp(text, have) != 0)
        inv_fail(s, STREAM_INV_DELTAS, "%s differs from the concatenated deltas", what);
}

/* Append the string 'v' to 'b' (a deltas failure when it does not fit) and
 * count it in the report. Returns 0, or -1 when 'v' is not a string. */
static int append_text(struct stream_check *s, struct buf *b, const json_t *v)
{
    if (!json_is_string(v))
        return -1;
    if (buf_append(b, json_string_value(v), json_string_length(v)))
        inv_fail(s, STREAM_INV_DELTAS, "streamed text exceeds %u bytes", SMOKE_MAX_TEXT);
    s->rep.text_len += json_string_length(v);
    return 0;
}

/* response.created / .queued / .in_progress: a snapshot of a Response that
 * has not finished. */
static void on_snapshot(struct stream_check *s, const json_t *doc, const char *type,
                        const char *tok)
{
    json_t *r = json_object_get(doc, "response");
    const char *status = json_util_str(r, "status");
    int may_queue = strcmp(type, RM_EV_IN_PROGRESS) != 0;
    char st[SMOKE_TOKEN_MAX + 8];

    if (!json_is_object(r)) {
        inv_fail(s, STREAM_INV_ORDER, "%s carries no response object", tok);
        return;
    }
    if (!status || (strcmp(status, RM_STATUS_IN_PROGRESS) != 0 &&
                    !(may_queue && strcmp(status, RM_STATUS_QUEUED) == 0)))
        inv_fail(s, STREAM_INV_ORDER, "%s has status %s, expected " RM_STATUS_IN_PROGRESS "%s",
                 tok, redact_token(status, st, sizeof(st)),
                 may_queue ? " or " RM_STATUS_QUEUED : "");
    if (strcmp(type, RM_EV_CREATED) == 0)
        keep(s->response_id, sizeof(s->response_id), json_util_str(r, "id"));
    else if (s->n_items)
        inv_fail(s, STREAM_INV_ORDER, "%s after output items", tok);
}

static void on_item_added(struct stream_check *s, const json_t *doc)
{
    json_t *idx = json_object_get(doc, "output_index");
    json_t *item = json_object_get(doc, "item");
    const char *id, *type, *call_id;
    struct stream_item *it;
    json_int_t i;
    size_t k;

    if (!json_is_integer(idx) || !json_is_object(item)) {
        inv_fail(s, STREAM_INV_ORDER, "output_item.added lacks output_index or item");
        return;
    }
    i = json_integer_value(idx);
    if (i != (json_int_t)s->n_items) {
        inv_fail(s, STREAM_INV_ORDER, "output_item.added at output_index %lld, expected %zu",
                 (long long)i, s->n_items);
        return;
    }
    id = json_util_str(item, "id");
    type = json_util_str(item, "type");
    call_id = json_util_str(item, "call_id");
    if (!id || !id[0])
        inv_fail(s, STREAM_INV_ORDER, "output_item.added at output_index %zu has no id",
                 s->n_items);
    if (!type)
        inv_fail(s, STREAM_INV_ORDER, "output_item.added at output_index %zu has no type",
                 s->n_items);
    else if (strcmp(type, RM_ITEM_FUNCTION_CALL) == 0 && (!call_id || !call_id[0]))
        inv_fail(s, STREAM_INV_ORDER, "function_call at output_index %zu has no call_id",
                 s->n_items);
    if (s->n_items < SMOKE_STREAM_ITEMS) {
        for (k = 0; k < s->n_items; k++) {
            const struct stream_item *o = &s->items[k];
            if (id && id[0] && same_id(o->id, sizeof(o->id), id))
                inv_fail(s, STREAM_INV_ORDER, "output_index %zu repeats the id of output_index "
                                              "%zu", s->n_items, k);
            if (type && strcmp(type, RM_ITEM_FUNCTION_CALL) == 0 && call_id && call_id[0] &&
                o->call_id[0] && same_id(o->call_id, sizeof(o->call_id), call_id))
                inv_fail(s, STREAM_INV_ORDER, "output_index %zu repeats the call_id of "
                                              "output_index %zu", s->n_items, k);
        }
        it = &s->items[s->n_items];
        it->added = 1;
        keep(it->id, sizeof(it->id), id);
        redact_token(type ? type : "", it->type, sizeof(it->type));
        keep(it->call_id, sizeof(it->call_id), call_id);
        keep(it->name, sizeof(it->name), json_util_str(item, "name"));
    }
    s->n_items++;
}

/* The content of a message's output_item.done against its streamed parts. */
static void compare_done_content(struct stream_check *s, struct stream_item *it,
                                 const json_t *content)
{
    size_t j;

    for (j = 0; j < SMOKE_STREAM_PARTS; j++) {
        struct stream_part *p = &it->parts[j];
        json_t *cp = json_array_get(content, j);
        const char *ptype = p->added ? p->type : json_util_str(cp, "type");
        const char *text;

        if (!cp) {
            if (p->added && part_streams_text(p->type))
                inv_fail(s, STREAM_INV_DELTAS, "output_item.done lacks the streamed "
                                               "content[%zu]", j);
            continue;
        }
        if (!ptype || !part_streams_text(ptype))
            continue;
        text = json_util_str(cp, part_text_key(ptype));
        if (!text && p->added)
            inv_fail(s, STREAM_INV_DELTAS, "output_item.done content[%zu] has no %s", j,
                     part_text_key(ptype));
        compare_text(s, "output_item.done text", text, &p->text, p->deltas);
    }
}

static void on_item_done(struct stream_check *s, const json_t *doc)
{
    struct stream_item *it = event_item(s, doc, "output_item.done");
    json_t *item = json_object_get(doc, "item");
    const char *id, *type;
    char tok[sizeof(it->type)];
    size_t j;

    if (!it)
        return;
    it->done = 1;
    if (!json_is_object(item)) {
        inv_fail(s, STREAM_INV_ORDER, "output_item.done has no item object");
        return;
    }
    id = json_util_str(item, "id");
    type = json_util_str(item, "type");
    if (!same_id(it->id, sizeof(it->id), id))
        inv_fail(s, STREAM_INV_ORDER, "output_item.done names another id than its "
                                      "output_item.added");
    if (!type || strcmp(redact_token(type, tok, sizeof(tok)), it->type) != 0)
        inv_fail(s, STREAM_INV_ORDER, "output_item.done has another type than its "
                                      "output_item.added");
    for (j = 0; j < SMOKE_STREAM_PARTS; j++) {
        if (it->parts[j].added && !it->parts[j].done)
            inv_fail(s, STREAM_INV_ORDER, "output_item.done before content_part.done of "
                                          "content[%zu]", j);
        if (it->summary[j].added && !it->summary[j].done)
            inv_fail(s, STREAM_INV_ORDER, "output_item.done before the summary part %zu was "
                                          "done", j);
    }
    it->done_item = json_incref(item);
    if (!type)
        return;
    if (strcmp(type, RM_ITEM_FUNCTION_CALL) == 0) {
        const char *args = json_util_str(item, "arguments");
        if (!args)
            inv_fail(s, STREAM_INV_DELTAS, "output_item.done arguments is not a string");
        compare_text(s, "output_item.done arguments", args, &it->args, it->arg_deltas);
        return;
    }
    /* A reasoning item's summary is compared part by part as announced; its
     * content (reasoning_text) streams through events this checker does not
     * follow, and only message text streams as output_text/refusal deltas. */
    if (strcmp(type, RM_ITEM_REASONING) == 0) {
        json_t *summary = json_object_get(item, "summary");
        for (j = 0; j < SMOKE_STREAM_PARTS; j++) {
            const char *text;
            if (!it->summary[j].added)
                continue;
            text = json_util_str(json_array_get(summary, j), "text");
            if (!text)
                inv_fail(s, STREAM_INV_DELTAS, "output_item.done summary[%zu] has no text", j);
            compare_text(s, "output_item.done summary text", text, &it->summary[j].text,
                         it->summary[j].deltas);
        }
        return;
    }
    if (strcmp(type, RM_ITEM_MESSAGE) == 0)
        compare_done_content(s, it, json_object_get(item, "content"));
}

/* content_part.added / reasoning_summary_part.added ('summary'). */
static void on_part_added(struct stream_check *s, const json_t *doc, int summary,
                          const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    const char *key = summary ? "summary_index" : "content_index";
    const char *ptype = json_util_str(json_object_get(doc, "part"), "type");
    json_t *idx = json_object_get(doc, key);
    struct stream_part *p;
    size_t *count;

    if (!it)
        return;
    if (!json_is_integer(idx)) {
        inv_fail(s, STREAM_INV_ORDER, "%s has no integer %s", tok, key);
        return;
    }
    count = summary ? &it->n_summary : &it->n_parts;
    if (json_integer_value(idx) != (json_int_t)*count) {
        inv_fail(s, STREAM_INV_ORDER, "%s at %s %lld, expected %zu", tok, key,
                 (long long)json_integer_value(idx), *count);
        return;
    }
    if (!summary && !ptype)
        inv_fail(s, STREAM_INV_ORDER, "%s has no part.type", tok);
    p = *count < SMOKE_STREAM_PARTS ? (summary ? &it->summary[*count] : &it->parts[*count])
                                    : NULL;
    (*count)++;
    if (!p)
        return;
    p->added = 1;
    redact_token(summary ? RM_PART_SUMMARY_TEXT : ptype ? ptype : "", p->type, sizeof(p->type));
}

/* content_part.done / reasoning_summary_part.done ('summary'). */
static void on_part_done(struct stream_check *s, const json_t *doc, int summary,
                         const char *tok)
{
    struct stream_part *p = event_part(s, doc, summary, tok);
    const char *key, *text;

    if (!p)
        return;
    if (!p->added) {
        inv_fail(s, STREAM_INV_ORDER, "%s before its part was added", tok);
        return;
    }
    if (p->done)
        inv_fail(s, STREAM_INV_ORDER, "%s twice for one part", tok);
    p->done = 1;
    if (!summary && !part_streams_text(p->type))
        return;
    if (!summary && !p->text_done)
        inv_fail(s, STREAM_INV_ORDER, "%s before the %s of its text", tok,
                 strcmp(p->type, RM_PART_REFUSAL) == 0          ? "refusal.done"
                 : strcmp(p->type, RM_PART_REASONING_TEXT) == 0 ? "reasoning_text.done"
                                                                : "output_text.done");
    key = part_text_key(p->type);
    text = json_util_str(json_object_get(doc, "part"), key);
    if (!text)
        inv_fail(s, STREAM_INV_DELTAS, "%s part has no string %s", tok, key);
    compare_text(s, tok, text, &p->text, p->deltas);
}

/* output_text.delta / refusal.delta / reasoning_summary_text.delta ('summary')
 * into a part of type 'want'. */
static void on_text_delta(struct stream_check *s, const json_t *doc, int summary,
                          const char *want, const char *tok)
{
    struct stream_part *p = text_part(s, doc, summary, want, tok);
    json_t *delta = json_object_get(doc, "delta");

    if (!p)
        return;
    if (append_text(s, &p->text, delta))
        inv_fail(s, STREAM_INV_DELTAS, "%s delta is not a string", tok);
    else
        p->deltas++;
}

/* output_text.done / refusal.done / reasoning_summary_text.done ('summary');
 * 'field' is the key of the text. */
static void on_text_done(struct stream_check *s, const json_t *doc, int summary,
                         const char *want, const char *field, const char *tok)
{
    struct stream_part *p = text_part(s, doc, summary, want, tok);
    const char *text = json_util_str(doc, field);

    if (!p)
        return;
    p->text_done = 1;
    if (!text) {
        inv_fail(s, STREAM_INV_DELTAS, "%s has no string %s", tok, field);
        return;
    }
    compare_text(s, tok, text, &p->text, p->deltas);
}

static void on_args(struct stream_check *s, const json_t *doc, int done, const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    const char *text, *name;

    if (!it)
        return;
    if (strcmp(it->type, RM_ITEM_FUNCTION_CALL) != 0)
        inv_fail(s, STREAM_INV_ORDER, "%s for an item that is not a function_call", tok);
    if (it->args_done)
        inv_fail(s, STREAM_INV_ORDER, "%s after function_call_arguments.done", tok);
    if (!done) {
        if (append_text(s, &it->args, json_object_get(doc, "delta")))
            inv_fail(s, STREAM_INV_DELTAS, "%s delta is not a string", tok);
        else
            it->arg_deltas++;
        return;
    }
    it->args_done = 1;
    name = json_util_str(doc, "name");
    if (json_object_get(doc, "name") && it->name[0] && !same_id(it->name, sizeof(it->name), name))
        inv_fail(s, STREAM_INV_ORDER, "%s names another function than its item", tok);
    text = json_util_str(doc, "arguments");
    if (!text)
        inv_fail(s, STREAM_INV_DELTAS, "%s has no string arguments", tok);
    else
        compare_text(s, tok, text, &it->args, it->arg_deltas);
}

static void on_terminal(struct stream_check *s, const json_t *doc, const char *type,
                        const char *tok)
{
    s->terminal_count++;
    s->after_terminal = 1;
    if (s->terminal_count > 1) {
        inv_fail(s, STREAM_INV_TERMINAL, "second terminal event %s", tok);
        return;
    }
    keep(s->terminal_type, sizeof(s->terminal_type), type);
    s->final = json_incref(json_object_get(doc, "response"));
}

/* Sequence numbers: present, integer, strictly increasing. */
static void check_sequence(struct stream_check *s, const json_t *doc, const char *tok)
{
    json_t *seq = json_object_get(doc, "sequence_number");
    long long v;

    if (!json_is_integer(seq)) {
        inv_fail(s, STREAM_INV_SEQUENCE, "event %zu (%s) has no integer sequence_number",
                 s->rep.events, tok);
        return;
    }
    v = (long long)json_integer_value(seq);
    if (s->have_seq && v <= s->last_seq) {
        inv_fail(s, STREAM_INV_SEQUENCE, "sequence_number %lld follows %lld (event %zu, %s)", v,
                 s->last_seq, s->rep.events, tok);
    } else if ((!s->have_seq && v != 0) || (s->have_seq && v != s->last_seq + 1)) {
        s->rep.gaps = 1;
    }
    s->last_seq = v;
    s->have_seq = 1;
}

/* A known event after response.created, by type. */
static void dispatch_responses(struct stream_check *s, const json_t *doc, const char *type,
                               const char *tok)
{
    if (strcmp(type, RM_EV_QUEUED) == 0 || strcmp(type, RM_EV_IN_PROGRESS) == 0)
        on_snapshot(s, doc, type, tok);
    else if (strcmp(type, RM_EV_ITEM_ADDED) == 0)
        on_item_added(s, doc);
    else if (strcmp(type, RM_EV_ITEM_DONE) == 0)
        on_item_done(s, doc);
    else if (strcmp(type, RM_EV_PART_ADDED) == 0)
        on_part_added(s, doc, 0, tok);
    else if (strcmp(type, RM_EV_PART_DONE) == 0)
        on_part_done(s, doc, 0, tok);
    else if (strcmp(type, RM_EV_TEXT_DELTA) == 0)
        on_text_delta(s, doc, 0, RM_PART_OUTPUT_TEXT, tok);
    else if (strcmp(type, RM_EV_REFUSAL_DELTA) == 0)
        on_text_delta(s, doc, 0, RM_PART_REFUSAL, tok);
    else if (strcmp(type, RM_EV_TEXT_DONE) == 0)
        on_text_done(s, doc, 0, RM_PART_OUTPUT_TEXT, "text", tok);
    else if (strcmp(type, RM_EV_REFUSAL_DONE) == 0)
        on_text_done(s, doc, 0, RM_PART_REFUSAL, "refusal", tok);
    else if (strcmp(type, RM_EV_ARGS_DELTA) == 0)
        on_args(s, doc, 0, tok);
    else if (strcmp(type, RM_EV_ARGS_DONE) == 0)
        on_args(s, doc, 1, tok);
    else if (strcmp(type, RM_EV_REASONING_TEXT_DELTA) == 0)
        on_text_delta(s, doc, 0, RM_PART_REASONING_TEXT, tok);
    else if (strcmp(type, RM_EV_REASONING_TEXT_DONE) == 0)
        on_text_done(s, doc, 0, RM_PART_REASONING_TEXT, "text", tok);
    else if (strcmp(type, RM_EV_SUMMARY_PART_ADDED) == 0)
        on_part_added(s, doc, 1, tok);
    else if (strcmp(type, RM_EV_SUMMARY_PART_DONE) == 0)
        on_part_done(s, doc, 1, tok);
    else if (strcmp(type, RM_EV_SUMMARY_DELTA) == 0)
        on_text_delta(s, doc, 1, RM_PART_SUMMARY_TEXT, tok);
    else if (strcmp(type, RM_EV_SUMMARY_DONE) == 0)
        on_text_done(s, doc, 1, RM_PART_SUMMARY_TEXT, "text", tok);
    else if (contract_event_is_terminal(type))
        on_terminal(s, doc, type, tok);
    else if (strcmp(type, RM_EV_ERROR) == 0)
        inv_fail(s, STREAM_INV_FINAL, "the stream carried an error event");
    else if (json_object_get(doc, "output_index"))
        event_item(s, doc, tok); /* a known family (annotations, tools): only its scope */
}

static void on_responses_event(struct stream_check *s, const struct sse_event *ev)
{
    json_t *doc = json_loadb(ev->data, ev->data_len, 0, NULL);
    const char *type;
    char tok[SMOKE_TOKEN_MAX + 8];
    int known;

    if (!json_is_object(doc)) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: data is not a JSON object", s->rep.events);
        goto out_decref;
    }
    if (json_object_get(doc, "obfuscation"))
        s->rep.obfuscated++;
    type = json_util_str(doc, "type");
    if (!type) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: data has no string type", s->rep.events);
        goto out_decref;
    }
    redact_token(type, tok, sizeof(tok));
    if (ev->event && strcmp(ev->event, type) != 0)
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: event line differs from data.type %s",
                 s->rep.events, tok);
    if (s->after_done)
        inv_fail(s, STREAM_INV_TERMINAL, "%s after data: " RM_CHAT_DONE, tok);
    known = contract_event_known(type);
    /* an unknown type (keepalive, rate-limit updates) need not carry a sequence_number */
    if (known || json_object_get(doc, "sequence_number"))
        check_sequence(s, doc, tok);
    if (!known) {
        if (s->rep.unknown_events++ == 0)
            keep(s->rep.first_unknown, sizeof(s->rep.first_unknown), tok);
        goto out_decref;
    }
    if (s->after_terminal) {
        if (!contract_event_is_terminal(type))
            inv_fail(s, STREAM_INV_TERMINAL, "%s after the terminal event", tok);
        else
            on_terminal(s, doc, type, tok);
        goto out_decref;
    }
    s->known_events++;
    if (strcmp(type, RM_EV_CREATED) == 0) {
        if (s->created)
            inv_fail(s, STREAM_INV_ORDER, "second " RM_EV_CREATED);
        else if (s->known_events != 1)
            inv_fail(s, STREAM_INV_ORDER, RM_EV_CREATED " is not the first event");
        s->created = 1;
        on_snapshot(s, doc, type, tok);
        goto out_decref;
    }
    if (!s->created)
        inv_fail(s, STREAM_INV_ORDER, "%s before " RM_EV_CREATED, tok);
    dispatch_responses(s, doc, type, tok);
out_decref:
    json_decref(doc);
}

/* ---- Chat chunks ------------------------------------------------------ */

/* One id, created and model across the chunks. */
static void check_chat_identity(struct stream_check *s, json_t *doc)
{
    const char *id = json_util_str(doc, "id");

    if (!s->chat_first) {
        s->chat_first = json_incref(doc);
        keep(s->chat_id, sizeof(s->chat_id), id);
        return;
    }
    if (!same_id(s->chat_id, sizeof(s->chat_id), id))
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu has a different id", s->chunks);
    if (!same_value(json_object_get(doc, "created"), json_object_get(s->chat_first, "created")) ||
        !same_value(json_object_get(doc, "model"), json_object_get(s->chat_first, "model")))
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu has another created or model than the first",
                 s->chunks);
}

/* A chunk with no choices: the usage chunk. Without one, it is not part of
 * the completion: tolerated (and counted) unless the caller said whether it
 * asked for usage. */
static void on_usage_chunk(struct stream_check *s, const json_t *doc)
{
    json_t *usage = json_object_get(doc, "usage");

    if (!json_is_object(usage)) {
        if (s->expect & (STREAM_EXPECT_USAGE | STREAM_EXPECT_NO_USAGE))
            inv_fail(s, STREAM_INV_FINAL, "chunk %zu has no choices and no usage object",
                     s->chunks);
        else if (!s->rep.unknown_events++)
            keep(s->rep.first_unknown, sizeof(s->rep.first_unknown), "chunk without choices");
        return;
    }
    if (s->usage_chunks++)
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu is a second usage chunk", s->chunks);
    else
        s->usage = json_incref(usage);
}

/* One tool_calls[] entry of a delta of choice 'c'. */
static void on_tool_call_delta(struct stream_check *s, struct stream_choice *c, const json_t *tc)
{
    json_t *idx = json_object_get(tc, "index");
    json_t *fn = json_object_get(tc, "function");
    json_int_t n;

    if (!json_is_integer(idx)) {
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu: a tool-call delta has no integer index",
                 s->chunks);
        return;
    }
    n = json_integer_value(idx);
    if (n < 0 || (size_t)n > c->n_tools) {
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu: tool-call index %lld skips one", s->chunks,
                 (long long)n);
        return;
    }
    if ((size_t)n == c->n_tools) {
        const char *id = json_util_str(tc, "id"), *name = json_util_str(fn, "name");
        if (!id || !id[0] || !name || !name[0])
            inv_fail(s, STREAM_INV_ORDER, "chunk %zu: the first delta of tool call %lld lacks "
                                          "id or function.name", s->chunks, (long long)n);
        if (n < SMOKE_STREAM_TOOL_CALLS) {
            keep(c->tools[n].id, sizeof(c->tools[n].id), id);
            keep(c->tools[n].name, sizeof(c->tools[n].name), name);
        }
        c->n_tools++;
    }
    if (n < SMOKE_STREAM_TOOL_CALLS)
        append_text(s, &c->tools[n].args, json_object_get(fn, "arguments"));
}

/* One entry of a chunk's choices (shape_chat_chunk checked its types). */
static void on_chat_choice(struct stream_check *s, const json_t *ch)
{
    json_int_t idx = json_integer_value(json_object_get(ch, "index"));
    json_t *delta = json_object_get(ch, "delta");
    json_t *content = json_object_get(delta, "content");
    json_t *refusal = json_object_get(delta, "refusal");
    json_t *calls = json_object_get(delta, "tool_calls");
    const char *finish = json_util_str(ch, "finish_reason");
    struct stream_choice *c;
    size_t k;

    if (idx < 0 || idx >= SMOKE_STREAM_CHOICES)
        return;
    c = &s->choices[idx];
    if (c->chunks++ == 0) {
        const char *role = json_util_str(delta, "role");
        if (!role || strcmp(role, RM_ROLE_ASSISTANT) != 0)
            inv_fail(s, STREAM_INV_ORDER, "the first delta of choice %lld has no role "
                                          RM_ROLE_ASSISTANT, (long long)idx);
    }
    if (c->finished && (json_string_length(content) || json_string_length(refusal) ||
                        json_array_size(calls)))
        inv_fail(s, STREAM_INV_ORDER, "content after finish_reason");
    append_text(s, &c->text, content);
    if (append_text(s, &c->refusal, refusal) == 0)
        c->refusal_deltas++;
    for (k = 0; k < json_array_size(calls); k++)
        on_tool_call_delta(s, c, json_array_get(calls, k));
    if (finish) {
        if (c->finished)
            inv_fail(s, STREAM_INV_ORDER, "second finish_reason for one choice");
        c->finished = 1;
        redact_token(finish, c->finish_reason, sizeof(c->finish_reason));
    }
}

static void on_chat_event(struct stream_check *s, const struct sse_event *ev)
{
    json_t *doc = json_loadb(ev->data, ev->data_len, 0, NULL);
    json_t *choices, *usage;
    char why[SMOKE_REASON_MAX - 32];
    size_t i;

    if (s->after_done)
        inv_fail(s, STREAM_INV_TERMINAL, "data after data: " RM_CHAT_DONE);
    if (!json_is_object(doc)) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: data is not a JSON object", s->rep.events);
        goto out_decref;
    }
    if (json_object_get(doc, "error")) {
        inv_fail(s, STREAM_INV_FINAL, "the stream carried an error object");
        goto out_decref;
    }
    if (json_object_get(doc, "obfuscation"))
        s->rep.obfuscated++;
    choices = json_object_get(doc, "choices");
    if (json_object_get(doc, "prompt_filter_results") && json_array_size(choices) == 0) {
        /* Azure-style content-filter chunk (empty id/object, no choices):
         * not part of the completion; tolerated like an unknown event. */
        if (!s->rep.unknown_events++)
            keep(s->rep.first_unknown, sizeof(s->rep.first_unknown), "prompt_filter_results");
        goto out_decref;
    }
    if (shape_chat_chunk(doc, why, sizeof(why))) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: %s", s->rep.events, why);
        goto out_decref;
    }
    check_chat_identity(s, doc);
    if (json_array_size(choices) == 0) {
        on_usage_chunk(s, doc);
        goto out_count;
    }
    if (s->usage_chunks)
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu follows the usage chunk", s->chunks);
    /* OpenAI's usage rules hold when the caller says what it asked for; some
     * gateways put usage on the finishing chunk unasked, which is tolerated */
    usage = json_object_get(doc, "usage");
    if ((s->expect & STREAM_EXPECT_USAGE) && !json_is_null(usage))
        inv_fail(s, STREAM_INV_FINAL, "chunk %zu has %s", s->chunks,
                 usage ? "usage before the usage chunk"
                       : "no \"usage\": null although include_usage was asked");
    else if ((s->expect & STREAM_EXPECT_NO_USAGE) && usage && !json_is_null(usage))
        inv_fail(s, STREAM_INV_FINAL, "chunk %zu has usage although include_usage was not asked",
                 s->chunks);
    for (i = 0; i < json_array_size(choices); i++)
        on_chat_choice(s, json_array_get(choices, i));
out_count:
    s->chunks++;
out_decref:
    json_decref(doc);
}

/* ---- Feeding ---------------------------------------------------------- */

void stream_check_event(struct stream_check *s, const struct sse_event *ev)
{
    s->rep.events++;
    if (contract_is_chat_done(ev->data, ev->data_len)) {
        s->rep.done_sentinels++;
        if (s->kind == STREAM_CHAT && s->rep.done_sentinels > 1)
            inv_fail(s, STREAM_INV_TERMINAL, "more than one data: " RM_CHAT_DONE);
        s->after_done = 1;
        return;
    }
    if (s->kind == STREAM_CHAT)
        on_chat_event(s, ev);
    else
        on_responses_event(s, ev);
}

static int on_event(const struct sse_event *ev, void *user)
{
    stream_check_event(user, ev);
    return 0;
}

int stream_check_feed(struct stream_check *s, const char *bytes, size_t len)
{
    if (s->parse_failed)
        return -1;
    if (sse_parser_feed(&s->parser, bytes, len, on_event, s) < 0) {
        s->parse_failed = 1;
        return -1;
    }
    return 0;
}

/* ---- The end ---------------------------------------------------------- */

/* True when item 'a' equals 'b' but for the value of "encrypted_content":
 * the real API encrypts a reasoning item again for the final response, so
 * the token of its output_item.done differs from the final one (recorded in
 * every stream with reasoning.encrypted_content, tests/conformance). Both
 * must have it, as a string, or neither. */
static int same_item(const json_t *a, const json_t *b)
{
    json_t *ea = json_object_get(a, "encrypted_content");
    json_t *eb = json_object_get(b, "encrypted_content");
    json_t *ca, *cb;
    int eq;

    if (!ea && !eb)
        return json_equal((json_t *)a, (json_t *)b);
    if (!json_is_string(ea) || !json_is_string(eb))
        return 0;
    ca = json_copy((json_t *)a);
    cb = json_copy((json_t *)b);
    json_object_del(ca, "encrypted_content");
    json_object_del(cb, "encrypted_content");
    eq = json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

/* Compare the final response's output with what the stream built: texts and
 * arguments with the deltas, then each item with its output_item.done. */
static void check_final_output(struct stream_check *s, const json_t *output, int completed)
{
    size_t i, j, streamed = 0, streamable = 0;

    for (i = 0; i < json_array_size(output) && i < SMOKE_STREAM_ITEMS; i++) {
        json_t *item = json_array_get(output, i);
        const char *type = json_util_str(item, "type");
        json_t *content = json_object_get(item, "content");
        struct stream_item *it = &s->items[i];
        char what[64];

        if (!type)
            continue;
        if (strcmp(type, RM_ITEM_FUNCTION_CALL) == 0) {
            snprintf(what, sizeof(what), "final arguments of output[%zu]", i);
            compare_text(s, what, json_util_str(item, "arguments"), &it->args, it->arg_deltas);
            streamed += it->arg_deltas;
            streamable += json_util_str(item, "arguments") && json_util_str(item, "arguments")[0];
            continue;
        }
        if (strcmp(type, RM_ITEM_MESSAGE) != 0)
            continue;
        for (j = 0; j < json_array_size(content) && j < SMOKE_STREAM_PARTS; j++) {
            json_t *part = json_array_get(content, j);
            const char *text = json_util_str(part, "text");
            if (!text)
                text = json_util_str(part, "refusal");
            if (!text)
                continue;
            snprintf(what, sizeof(what), "final text of output[%zu].content[%zu]", i, j);
            compare_text(s, what, text, &it->parts[j].text, it->parts[j].deltas);
            streamed += it->parts[j].deltas;
            streamable += text[0] != '\0';
        }
    }
    for (i = 0; i < json_array_size(output) && i < s->n_items && i < SMOKE_STREAM_ITEMS; i++)
        if (s->items[i].done_item && !same_item(s->items[i].done_item, json_array_get(output, i)))
            inv_fail(s, STREAM_INV_DELTAS, "final output[%zu] differs from its output_item.done",
                     i);
    /* Text or arguments in the final response that came without a single
     * delta. An empty message (an image generation answers with one, no
     * deltas: recorded) has nothing to stream. */
    if (completed && streamable > 0 && streamed == 0)
        inv_fail(s, STREAM_INV_DELTAS, "the final response has no text or arguments "
                                       "streamed as deltas");
}

static void finish_responses(struct stream_check *s)
{
    char why[SMOKE_REASON_MAX - 32], st[SMOKE_TOKEN_MAX + 8];
    const char *status, *want;
    json_t *output;
    int completed;
    size_t i;

    if (!s->created)
        inv_fail(s, STREAM_INV_ORDER, "no " RM_EV_CREATED " event");
    for (i = 0; i < s->n_items && i < SMOKE_STREAM_ITEMS; i++)
        if (!s->items[i].done)
            inv_fail(s, STREAM_INV_ORDER, "output[%zu] was added but never done", i);
    if (s->terminal_count == 0)
        inv_fail(s, STREAM_INV_TERMINAL,
                 "no terminal event (" RM_EV_COMPLETED ", .incomplete or .failed)");
    if (!s->have_seq)
        inv_fail(s, STREAM_INV_SEQUENCE, "no event carried a sequence_number");
    if (!json_is_object(s->final)) {
        inv_fail(s, STREAM_INV_FINAL, "%s",
                 s->terminal_count ? "the terminal event carries no response"
                                   : "no final response (no terminal event)");
        inv_fail(s, STREAM_INV_DELTAS, "no final response to compare the deltas with");
        return;
    }
    want = contract_terminal_status(s->terminal_type);
    status = json_util_str(s->final, "status");
    if (!status || strcmp(status, want) != 0)
        inv_fail(s, STREAM_INV_FINAL, "%s carries a response with status %s, expected %s",
                 s->terminal_type, redact_token(status, st, sizeof(st)), want);
    if (shape_response(s->final, why, sizeof(why), NULL)) {
        inv_fail(s, STREAM_INV_FINAL, "final response: %s", why);
        return;
    }
    if (s->response_id[0] &&
        !same_id(s->response_id, sizeof(s->response_id), json_util_str(s->final, "id")))
        inv_fail(s, STREAM_INV_FINAL, "the final response has another id than " RM_EV_CREATED
                                      "'s");
    completed = strcmp(s->terminal_type, RM_EV_COMPLETED) == 0;
    if (!completed && !(s->expect & STREAM_EXPECT_ANY_END))
        inv_fail(s, STREAM_INV_FINAL, "the stream ended with %s", s->terminal_type);
    output = json_object_get(s->final, "output");
    if (completed && json_array_size(output) == 0)
        inv_fail(s, STREAM_INV_FINAL, "final response has no output items");
    else if (json_array_size(output) != s->n_items)
        inv_fail(s, STREAM_INV_FINAL, "final response has %zu output items, the stream added %zu",
                 json_array_size(output), s->n_items);
    check_final_output(s, output, completed);
}

static void finish_chat(struct stream_check *s)
{
    const struct stream_choice *c0 = &s->choices[0];
    size_t i;

    s->rep.inv[STREAM_INV_SEQUENCE].state = -1;
    snprintf(s->rep.inv[STREAM_INV_SEQUENCE].reason, sizeof(s->rep.inv[0].reason),
             "not applicable to chat streams");
    if (s->chunks == 0)
        inv_fail(s, STREAM_INV_ORDER, "no " RM_OBJ_CHAT_CHUNK " events");
    if (s->rep.done_sentinels == 0)
        inv_fail(s, STREAM_INV_TERMINAL, "the stream did not end with data: " RM_CHAT_DONE);
    if (s->chunks && !c0->finished)
        inv_fail(s, STREAM_INV_FINAL, "no chunk carried a finish_reason");
    else if (!s->chunks)
        inv_fail(s, STREAM_INV_FINAL, "no chunks");
    for (i = 1; i < SMOKE_STREAM_CHOICES; i++)
        if (s->choices[i].chunks && !s->choices[i].finished)
            inv_fail(s, STREAM_INV_FINAL, "choice %zu has no finish_reason", i);
    if ((s->expect & STREAM_EXPECT_USAGE) && !s->usage_chunks)
        inv_fail(s, STREAM_INV_FINAL, "no usage chunk although include_usage was asked");
    if ((s->expect & STREAM_EXPECT_NO_USAGE) && s->usage_chunks)
        inv_fail(s, STREAM_INV_FINAL, "a usage chunk although include_usage was not asked");
    if (c0->text.len == 0 && c0->refusal.len == 0 && c0->n_tools == 0)
        inv_fail(s, STREAM_INV_DELTAS, "no content, refusal or tool-call deltas");
}

void stream_check_finish(struct stream_check *s, struct stream_report *out)
{
    if (s->parse_failed)
        inv_fail(s, STREAM_INV_FRAMING, "an event exceeded %u bytes", SMOKE_MAX_EVENT);
    else if (sse_parser_finish(&s->parser, on_event, s))
        inv_fail(s, STREAM_INV_FRAMING, "the body ended inside an event (no blank line after it)");
    if (s->rep.events == 0)
        inv_fail(s, STREAM_INV_FRAMING, "no SSE events in the body");
    if (s->kind == STREAM_CHAT)
        finish_chat(s);
    else
        finish_responses(s);
    inv_pass(s, STREAM_INV_FRAMING, "%zu events framed consistently", s->rep.events);
    if (s->kind == STREAM_CHAT) {
        inv_pass(s, STREAM_INV_ORDER, "%zu chunks with one id, role first", s->chunks);
        inv_pass(s, STREAM_INV_TERMINAL, "ends with one data: " RM_CHAT_DONE);
        inv_pass(s, STREAM_INV_FINAL, "finish_reason present%s",
                 s->usage_chunks ? ", usage chunk last" : "");
        inv_pass(s, STREAM_INV_DELTAS, "%zu bytes of content, refusal and tool-call deltas",
                 s->rep.text_len);
    } else {
        inv_pass(s, STREAM_INV_ORDER, RM_EV_CREATED " first, %zu output item(s) in order",
                 s->n_items);
        inv_pass(s, STREAM_INV_TERMINAL, "one terminal event");
        inv_pass(s, STREAM_INV_SEQUENCE, "strictly increasing%s",
                 s->rep.gaps ? " (with gaps or not starting at 0)" : ", from 0 by 1");
        inv_pass(s, STREAM_INV_FINAL, "%s with a complete response",
                 s->terminal_type[0] ? s->terminal_type : RM_EV_COMPLETED);
        inv_pass(s, STREAM_INV_DELTAS, "%zu delta bytes match the done and final texts",
                 s->rep.text_len);
    }
    *out = s->rep;
}

void stream_check_release(struct stream_check *s)
{
    size_t i, j;

    sse_parser_release(&s->parser);
    for (i = 0; i < SMOKE_STREAM_ITEMS; i++) {
        buf_release(&s->items[i].args);
        for (j = 0; j < SMOKE_STREAM_PARTS; j++) {
            buf_release(&s->items[i].parts[j].text);
            buf_release(&s->items[i].summary[j].text);
        }
        json_decref(s->items[i].done_item);
        s->items[i].done_item = NULL;
    }
    for (i = 0; i < SMOKE_STREAM_CHOICES; i++) {
        buf_release(&s->choices[i].text);
        buf_release(&s->choices[i].refusal);
        for (j = 0; j < SMOKE_STREAM_TOOL_CALLS; j++)
            buf_release(&s->choices[i].tools[j].args);
    }
    json_decref(s->final);
    json_decref(s->chat_first);
    json_decref(s->usage);
    s->final = s->chat_first = s->usage = NULL;
}

void stream_check_bytes(enum stream_kind kind, const char *bytes, size_t len,
                        struct stream_report *out)
{
    struct stream_check s;

    stream_check_init(&s, kind);
    stream_check_feed(&s, bytes, len);
    stream_check_finish(&s, out);
    stream_check_release(&s);
}
