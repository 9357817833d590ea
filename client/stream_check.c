/* stream_check: streaming invariants over SSE bytes (see stream_check.h).
 * The shared SSE parser dispatches events; per-event handlers update the item
 * and part state; stream_check_finish judges what only the end can show. */
#include "stream_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "redact.h"
#include "shape.h"

/* Event types of contract §4 this checker knows; others are tolerated. */
static const char *const known_types[] = {
    "response.created", "response.in_progress", "response.queued", "response.completed",
    "response.incomplete", "response.failed", "error", "response.output_item.added",
    "response.output_item.done", "response.content_part.added", "response.content_part.done",
    "response.output_text.delta", "response.output_text.done", "response.refusal.delta",
    "response.refusal.done", "response.function_call_arguments.delta",
    "response.function_call_arguments.done", "response.output_text.annotation.added", NULL};

/* Families of item-scoped events that are known but not checked further. */
static const char *const known_prefixes[] = {
    "response.reasoning_",          "response.web_search_call.",
    "response.file_search_call.",   "response.code_interpreter_call",
    "response.image_generation_call.", "response.mcp_",
    "response.custom_tool_call_input.", "response.audio.", NULL};

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

static int is_known(const char *type)
{
    const char *const *k;

    for (k = known_types; *k; k++)
        if (strcmp(type, *k) == 0)
            return 1;
    for (k = known_prefixes; *k; k++)
        if (strncmp(type, *k, strlen(*k)) == 0)
            return 1;
    return 0;
}

static int is_done_sentinel(const char *data, size_t len)
{
    while (len && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    return len == 6 && memcmp(data, "[DONE]", 6) == 0;
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
        for (j = 0; j < SMOKE_STREAM_PARTS; j++)
            buf_init(&s->items[i].parts[j].text, SMOKE_MAX_TEXT);
    }
    for (i = 0; i < SMOKE_STREAM_CHOICES; i++)
        buf_init(&s->choices[i].text, SMOKE_MAX_TEXT);
}

/* The tracked item an item-scoped event refers to, or NULL (and an order
 * failure) when it names an index that was never added. */
static struct stream_item *event_item(struct stream_check *s, const json_t *doc, const char *tok)
{
    json_t *idx = json_object_get(doc, "output_index");
    const char *item_id = json_util_str(doc, "item_id");
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
    if (item_id && it->id[0] && strcmp(item_id, it->id) != 0)
        inv_fail(s, STREAM_INV_ORDER, "%s item_id differs from its output_item.added", tok);
    return it;
}

/* The tracked content part of 'it' an event refers to, or NULL. */
static struct stream_part *event_part(struct stream_check *s, struct stream_item *it,
                                      const json_t *doc, const char *tok)
{
    json_t *idx = json_object_get(doc, "content_index");
    json_int_t j;

    if (!it)
        return NULL;
    if (!json_is_integer(idx)) {
        inv_fail(s, STREAM_INV_ORDER, "%s has no integer content_index", tok);
        return NULL;
    }
    j = json_integer_value(idx);
    if (j < 0 || j >= SMOKE_STREAM_PARTS)
        return NULL;
    return &it->parts[j];
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

static void on_item_added(struct stream_check *s, const json_t *doc)
{
    json_t *idx = json_object_get(doc, "output_index");
    json_t *item = json_object_get(doc, "item");
    json_int_t i;

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
    if (s->n_items < SMOKE_STREAM_ITEMS) {
        struct stream_item *it = &s->items[s->n_items];
        const char *id = json_util_str(item, "id");
        const char *type = json_util_str(item, "type");
        it->added = 1;
        snprintf(it->id, sizeof(it->id), "%s", id ? id : "");
        snprintf(it->type, sizeof(it->type), "%s", type ? type : "");
    }
    s->n_items++;
}

static void on_item_done(struct stream_check *s, const json_t *doc)
{
    struct stream_item *it = event_item(s, doc, "output_item.done");
    json_t *item = json_object_get(doc, "item");
    json_t *content;
    const char *type;
    size_t j;

    if (!it)
        return;
    if (it->done)
        inv_fail(s, STREAM_INV_ORDER, "output_item.done twice for one item");
    it->done = 1;
    type = json_util_str(item, "type");
    if (!type)
        return;
    if (strcmp(type, "function_call") == 0 && json_util_str(item, "arguments")) {
        compare_text(s, "output_item.done arguments", json_util_str(item, "arguments"),
                     &it->args, it->arg_deltas);
        return;
    }
    /* only message text streams as output_text/refusal deltas; a reasoning item's
     * content (reasoning_text) streams through events this checker does not track */
    if (strcmp(type, "message") != 0)
        return;
    content = json_object_get(item, "content");
    for (j = 0; j < json_array_size(content) && j < SMOKE_STREAM_PARTS; j++) {
        const char *text = json_util_str(json_array_get(content, j), "text");
        if (text)
            compare_text(s, "output_item.done text", text, &it->parts[j].text,
                         it->parts[j].deltas);
    }
}

/* content_part.added / content_part.done */
static void on_part(struct stream_check *s, const json_t *doc, int done, const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    struct stream_part *p = event_part(s, it, doc, tok);
    const char *text;

    if (!p)
        return;
    if (!done) {
        if (it->done)
            inv_fail(s, STREAM_INV_ORDER, "%s after output_item.done", tok);
        if (p->added)
            inv_fail(s, STREAM_INV_ORDER, "%s twice for one part", tok);
        p->added = 1;
        return;
    }
    if (!p->added)
        inv_fail(s, STREAM_INV_ORDER, "%s before content_part.added", tok);
    p->done = 1;
    text = json_util_str(json_object_get(doc, "part"), "text");
    if (text && strcmp(it->type, "message") == 0)
        compare_text(s, "content_part.done text", text, &p->text, p->deltas);
}

/* output_text.delta / refusal.delta; 'field' is the done event's text key. */
static void on_text_delta(struct stream_check *s, const json_t *doc, const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    struct stream_part *p = event_part(s, it, doc, tok);
    json_t *delta = json_object_get(doc, "delta");

    if (!p)
        return;
    if (!p->added)
        inv_fail(s, STREAM_INV_ORDER, "%s before content_part.added", tok);
    if (p->done || p->text_done)
        inv_fail(s, STREAM_INV_ORDER, "%s after its part was done", tok);
    if (!json_is_string(delta)) {
        inv_fail(s, STREAM_INV_DELTAS, "%s delta is not a string", tok);
        return;
    }
    if (buf_append(&p->text, json_string_value(delta), json_string_length(delta)))
        inv_fail(s, STREAM_INV_DELTAS, "streamed text exceeds %u bytes", SMOKE_MAX_TEXT);
    p->deltas++;
    s->rep.text_len += json_string_length(delta);
}

static void on_text_done(struct stream_check *s, const json_t *doc, const char *tok,
                         const char *field)
{
    struct stream_item *it = event_item(s, doc, tok);
    struct stream_part *p = event_part(s, it, doc, tok);
    const char *text = json_util_str(doc, field);

    if (!p)
        return;
    if (!text) {
        inv_fail(s, STREAM_INV_DELTAS, "%s has no string %s", tok, field);
        return;
    }
    compare_text(s, tok, text, &p->text, p->deltas);
    p->text_done = 1;
}

static void on_args(struct stream_check *s, const json_t *doc, int done, const char *tok)
{
    struct stream_item *it = event_item(s, doc, tok);
    const char *text;

    if (!it)
        return;
    if (strcmp(it->type, "function_call") != 0)
        inv_fail(s, STREAM_INV_ORDER, "%s for an item that is not a function_call", tok);
    if (!done) {
        json_t *delta = json_object_get(doc, "delta");
        if (!json_is_string(delta)) {
            inv_fail(s, STREAM_INV_DELTAS, "%s delta is not a string", tok);
            return;
        }
        if (buf_append(&it->args, json_string_value(delta), json_string_length(delta)))
            inv_fail(s, STREAM_INV_DELTAS, "streamed arguments exceed %u bytes", SMOKE_MAX_TEXT);
        it->arg_deltas++;
        s->rep.text_len += json_string_length(delta);
        return;
    }
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
    snprintf(s->terminal_type, sizeof(s->terminal_type), "%s", type);
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

static void on_responses_event(struct stream_check *s, const struct sse_event *ev)
{
    json_t *doc = json_loadb(ev->data, ev->data_len, 0, NULL);
    const char *type;
    char tok[SMOKE_TOKEN_MAX + 8];

    if (!json_is_object(doc)) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: data is not a JSON object", s->rep.events);
        goto out_decref;
    }
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
        inv_fail(s, STREAM_INV_TERMINAL, "%s after data: [DONE]", tok);
    /* an unknown type (keepalive, rate-limit updates) need not carry a sequence_number */
    if (is_known(type) || json_object_get(doc, "sequence_number"))
        check_sequence(s, doc, tok);
    if (!is_known(type)) {
        if (s->rep.unknown_events++ == 0)
            snprintf(s->rep.first_unknown, sizeof(s->rep.first_unknown), "%s", tok);
        goto out_decref;
    }
    if (s->after_terminal) {
        if (strcmp(type, "response.completed") && strcmp(type, "response.failed") &&
            strcmp(type, "response.incomplete"))
            inv_fail(s, STREAM_INV_TERMINAL, "%s after the terminal event", tok);
        else
            on_terminal(s, doc, type, tok);
        goto out_decref;
    }
    s->known_events++;
    if (strcmp(type, "response.created") == 0) {
        if (s->created)
            inv_fail(s, STREAM_INV_ORDER, "second response.created");
        else if (s->known_events != 1)
            inv_fail(s, STREAM_INV_ORDER, "response.created is not the first event");
        s->created = 1;
        goto out_decref;
    }
    if (!s->created)
        inv_fail(s, STREAM_INV_ORDER, "%s before response.created", tok);
    if (strcmp(type, "response.output_item.added") == 0)
        on_item_added(s, doc);
    else if (strcmp(type, "response.output_item.done") == 0)
        on_item_done(s, doc);
    else if (strcmp(type, "response.content_part.added") == 0)
        on_part(s, doc, 0, tok);
    else if (strcmp(type, "response.content_part.done") == 0)
        on_part(s, doc, 1, tok);
    else if (strcmp(type, "response.output_text.delta") == 0 ||
             strcmp(type, "response.refusal.delta") == 0)
        on_text_delta(s, doc, tok);
    else if (strcmp(type, "response.output_text.done") == 0)
        on_text_done(s, doc, tok, "text");
    else if (strcmp(type, "response.refusal.done") == 0)
        on_text_done(s, doc, tok, "refusal");
    else if (strcmp(type, "response.function_call_arguments.delta") == 0)
        on_args(s, doc, 0, tok);
    else if (strcmp(type, "response.function_call_arguments.done") == 0)
        on_args(s, doc, 1, tok);
    else if (strcmp(type, "response.completed") == 0 || strcmp(type, "response.failed") == 0 ||
             strcmp(type, "response.incomplete") == 0)
        on_terminal(s, doc, type, tok);
    else if (strcmp(type, "error") == 0)
        inv_fail(s, STREAM_INV_FINAL, "the stream carried an error event");
out_decref:
    json_decref(doc);
}

static void on_chat_event(struct stream_check *s, const struct sse_event *ev)
{
    json_t *doc = json_loadb(ev->data, ev->data_len, 0, NULL);
    json_t *choices;
    const char *id;
    char why[SMOKE_REASON_MAX - 32];
    size_t i;

    if (s->after_done)
        inv_fail(s, STREAM_INV_TERMINAL, "data after data: [DONE]");
    if (!json_is_object(doc)) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: data is not a JSON object", s->rep.events);
        goto out_decref;
    }
    if (json_object_get(doc, "error")) {
        inv_fail(s, STREAM_INV_FINAL, "the stream carried an error object");
        goto out_decref;
    }
    if (json_object_get(doc, "prompt_filter_results") &&
        json_array_size(json_object_get(doc, "choices")) == 0) {
        /* Azure-style content-filter chunk (empty id/object, no choices):
         * not part of the completion; tolerated like an unknown event. */
        if (!s->rep.unknown_events++)
            snprintf(s->rep.first_unknown, sizeof(s->rep.first_unknown), "prompt_filter_results");
        goto out_decref;
    }
    if (shape_chat_chunk(doc, why, sizeof(why))) {
        inv_fail(s, STREAM_INV_FRAMING, "event %zu: %s", s->rep.events, why);
        goto out_decref;
    }
    id = json_util_str(doc, "id");
    if (!s->chat_id[0])
        snprintf(s->chat_id, sizeof(s->chat_id), "%s", id);
    else if (strncmp(s->chat_id, id, sizeof(s->chat_id) - 1) != 0)
        inv_fail(s, STREAM_INV_ORDER, "chunk %zu has a different id", s->chunks);
    s->chunks++;
    choices = json_object_get(doc, "choices");
    for (i = 0; i < json_array_size(choices); i++) {
        json_t *ch = json_array_get(choices, i);
        json_int_t idx = json_integer_value(json_object_get(ch, "index"));
        json_t *content = json_object_get(json_object_get(ch, "delta"), "content");
        struct stream_choice *c;

        if (idx < 0 || idx >= SMOKE_STREAM_CHOICES)
            continue;
        c = &s->choices[idx];
        if (json_is_string(content) && json_string_length(content)) {
            if (c->finished)
                inv_fail(s, STREAM_INV_ORDER, "content after finish_reason");
            if (buf_append(&c->text, json_string_value(content), json_string_length(content)))
                inv_fail(s, STREAM_INV_DELTAS, "streamed text exceeds %u bytes", SMOKE_MAX_TEXT);
            s->rep.text_len += json_string_length(content);
        }
        if (json_is_string(json_object_get(ch, "finish_reason"))) {
            if (c->finished)
                inv_fail(s, STREAM_INV_ORDER, "second finish_reason for one choice");
            c->finished = 1;
        }
    }
out_decref:
    json_decref(doc);
}

static int on_event(const struct sse_event *ev, void *user)
{
    struct stream_check *s = user;

    s->rep.events++;
    if (is_done_sentinel(ev->data, ev->data_len)) {
        s->rep.done_sentinels++;
        if (s->kind == STREAM_CHAT && s->rep.done_sentinels > 1)
            inv_fail(s, STREAM_INV_TERMINAL, "more than one data: [DONE]");
        s->after_done = 1;
        return 0;
    }
    if (s->kind == STREAM_CHAT)
        on_chat_event(s, ev);
    else
        on_responses_event(s, ev);
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

/* Compare the final response's output with what the stream built. */
static void check_final_output(struct stream_check *s, const json_t *output)
{
    size_t i, j, streamed = 0;

    for (i = 0; i < json_array_size(output) && i < SMOKE_STREAM_ITEMS; i++) {
        json_t *item = json_array_get(output, i);
        const char *type = json_util_str(item, "type");
        json_t *content = json_object_get(item, "content");
        struct stream_item *it = &s->items[i];
        char what[64];

        if (!type)
            continue;
        if (strcmp(type, "function_call") == 0) {
            snprintf(what, sizeof(what), "final arguments of output[%zu]", i);
            compare_text(s, what, json_util_str(item, "arguments"), &it->args, it->arg_deltas);
            streamed += it->arg_deltas;
            continue;
        }
        if (strcmp(type, "message") != 0)
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
        }
    }
    if (streamed == 0)
        inv_fail(s, STREAM_INV_DELTAS, "the final response has no text or arguments "
                                       "streamed as deltas");
}

static void finish_responses(struct stream_check *s)
{
    char why[SMOKE_REASON_MAX - 32];
    json_t *output;
    const char *status;
    size_t i;

    if (!s->created)
        inv_fail(s, STREAM_INV_ORDER, "no response.created event");
    for (i = 0; i < s->n_items && i < SMOKE_STREAM_ITEMS; i++)
        if (!s->items[i].done)
            inv_fail(s, STREAM_INV_ORDER, "output[%zu] was added but never done", i);
    if (s->terminal_count == 0)
        inv_fail(s, STREAM_INV_TERMINAL,
                 "no terminal event (response.completed, .incomplete or .failed)");
    if (!s->have_seq)
        inv_fail(s, STREAM_INV_SEQUENCE, "no event carried a sequence_number");
    if (!s->final) {
        inv_fail(s, STREAM_INV_FINAL, "no final response (no terminal event)");
        inv_fail(s, STREAM_INV_DELTAS, "no final response to compare the deltas with");
        return;
    }
    if (strcmp(s->terminal_type, "response.completed") != 0) {
        inv_fail(s, STREAM_INV_FINAL, "the stream ended with %s", s->terminal_type);
        return;
    }
    if (shape_response(s->final, why, sizeof(why), NULL)) {
        inv_fail(s, STREAM_INV_FINAL, "final response: %s", why);
        return;
    }
    status = json_util_str(s->final, "status");
    if (strcmp(status, "completed") != 0)
        inv_fail(s, STREAM_INV_FINAL, "final response status is not completed");
    output = json_object_get(s->final, "output");
    if (json_array_size(output) == 0)
        inv_fail(s, STREAM_INV_FINAL, "final response has no output items");
    else if (json_array_size(output) != s->n_items)
        inv_fail(s, STREAM_INV_FINAL, "final response has %zu output items, the stream added %zu",
                 json_array_size(output), s->n_items);
    check_final_output(s, output);
}

static void finish_chat(struct stream_check *s)
{
    s->rep.inv[STREAM_INV_SEQUENCE].state = -1;
    snprintf(s->rep.inv[STREAM_INV_SEQUENCE].reason, sizeof(s->rep.inv[0].reason),
             "not applicable to chat streams");
    if (s->chunks == 0)
        inv_fail(s, STREAM_INV_ORDER, "no chat.completion.chunk events");
    if (s->rep.done_sentinels == 0)
        inv_fail(s, STREAM_INV_TERMINAL, "the stream did not end with data: [DONE]");
    if (s->chunks && !s->choices[0].finished)
        inv_fail(s, STREAM_INV_FINAL, "no chunk carried a finish_reason");
    else if (!s->chunks)
        inv_fail(s, STREAM_INV_FINAL, "no chunks");
    if (s->choices[0].text.len == 0)
        inv_fail(s, STREAM_INV_DELTAS, "no content deltas");
}

void stream_check_finish(struct stream_check *s, struct stream_report *out)
{
    if (s->parse_failed)
        inv_fail(s, STREAM_INV_FRAMING, "an event exceeded %u bytes", SMOKE_MAX_EVENT);
    else if (sse_parser_finish(&s->parser))
        inv_fail(s, STREAM_INV_FRAMING, "the body ended inside an event (no blank line after it)");
    if (s->rep.events == 0)
        inv_fail(s, STREAM_INV_FRAMING, "no SSE events in the body");
    if (s->kind == STREAM_CHAT)
        finish_chat(s);
    else
        finish_responses(s);
    inv_pass(s, STREAM_INV_FRAMING, "%zu events framed consistently", s->rep.events);
    if (s->kind == STREAM_CHAT) {
        inv_pass(s, STREAM_INV_ORDER, "%zu chunks with one id", s->chunks);
        inv_pass(s, STREAM_INV_TERMINAL, "ends with one data: [DONE]");
        inv_pass(s, STREAM_INV_FINAL, "finish_reason present");
    } else {
        inv_pass(s, STREAM_INV_ORDER, "response.created first, %zu output item(s) in order",
                 s->n_items);
        inv_pass(s, STREAM_INV_TERMINAL, "one terminal event");
        inv_pass(s, STREAM_INV_SEQUENCE, "strictly increasing%s",
                 s->rep.gaps ? " (with gaps or not starting at 0)" : ", from 0 by 1");
        inv_pass(s, STREAM_INV_FINAL, "response.completed with a complete response");
    }
    if (s->kind == STREAM_CHAT)
        inv_pass(s, STREAM_INV_DELTAS, "%zu content bytes streamed", s->rep.text_len);
    else
        inv_pass(s, STREAM_INV_DELTAS, "%zu delta bytes match the done and final texts",
                 s->rep.text_len);
    *out = s->rep;
}

void stream_check_release(struct stream_check *s)
{
    size_t i, j;

    sse_parser_release(&s->parser);
    for (i = 0; i < SMOKE_STREAM_ITEMS; i++) {
        buf_release(&s->items[i].args);
        for (j = 0; j < SMOKE_STREAM_PARTS; j++)
            buf_release(&s->items[i].parts[j].text);
    }
    for (i = 0; i < SMOKE_STREAM_CHOICES; i++)
        buf_release(&s->choices[i].text);
    json_decref(s->final);
    s->final = NULL;
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
