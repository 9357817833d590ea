/* events: event lists, the data form of every stream (see events.h). */
#include "events.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "limits.h"

struct event_list *event_list_new(void)
{
    struct event_list *l = calloc(1, sizeof(*l));

    if (l)
        atomic_init(&l->refs, 1);
    return l;
}

struct event_list *event_list_ref(struct event_list *l)
{
    if (l)
        atomic_fetch_add(&l->refs, 1);
    return l;
}

void event_list_unref(struct event_list *l)
{
    size_t i;

    if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    for (i = 0; i < l->n; i++) {
        free(l->v[i].type);
        free(l->v[i].raw);
        free(l->v[i].text);
        json_decref(l->v[i].json);
    }
    free(l->v);
    free(l);
}

/* A new zeroed slot at the end of 'l', or NULL. */
static struct event *slot(struct event_list *l)
{
    struct event *ev;

    if (l->n >= RM_MAX_STREAM_EVENTS)
        return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct event *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    ev = &l->v[l->n];
    memset(ev, 0, sizeof(*ev));
    return ev;
}

/* Fill a slot got from slot(): 'type' copied, 'json' stolen. */
static int fill(struct event_list *l, struct event *ev, enum event_kind kind, const char *type,
                json_t *json, unsigned delay_ms)
{
    if (!ev || (type && !(ev->type = strdup(type)))) {
        json_decref(json);
        return -1;
    }
    ev->kind = kind;
    ev->json = json;
    ev->delay_ms = delay_ms;
    l->n++;
    return 0;
}

int event_list_push_json(struct event_list *l, const char *type, json_t *json,
                         unsigned delay_ms)
{
    if (!json)
        return -1;
    return fill(l, slot(l), EVENT_JSON, type, json, delay_ms);
}

int event_list_push_raw(struct event_list *l, const char *type, const char *bytes, size_t len,
                        json_t *json, unsigned delay_ms)
{
    struct event *ev = slot(l);
    char *copy = malloc(len + 1);

    if (!ev || !copy) {
        free(copy);
        json_decref(json);
        return -1;
    }
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    ev->raw = copy;
    ev->raw_len = len;
    if (fill(l, ev, EVENT_RAW, type, json, delay_ms) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int event_list_push_done(struct event_list *l, unsigned delay_ms)
{
    return fill(l, slot(l), EVENT_DONE, NULL, NULL, delay_ms);
}

int event_list_push_pause(struct event_list *l, unsigned delay_ms)
{
    return fill(l, slot(l), EVENT_PAUSE, NULL, NULL, delay_ms);
}

int event_list_push_copy(struct event_list *l, const struct event *ev, unsigned delay_ms)
{
    if (ev->kind == EVENT_RAW)
        return event_list_push_raw(l, ev->type, ev->raw, ev->raw_len, json_incref(ev->json),
                                   delay_ms);
    if (fill(l, slot(l), ev->kind, ev->type, json_incref(ev->json), delay_ms) != 0)
        return -1;
    if (ev->text && (l->v[l->n - 1].text = malloc(ev->text_len + 1))) {
        memcpy(l->v[l->n - 1].text, ev->text, ev->text_len + 1);
        l->v[l->n - 1].text_len = ev->text_len;
    }
    return 0;
}

int event_list_serialise(struct event_list *l)
{
    size_t i;

    for (i = 0; l && i < l->n; i++) {
        struct event *ev = &l->v[i];

        if (ev->kind != EVENT_JSON || ev->text || !ev->json)
            continue;
        if (!(ev->text = json_util_dumps(ev->json)))
            return -1;
        ev->text_len = strlen(ev->text);
    }
    return 0;
}

const char *event_type(const struct event *ev)
{
    return json_util_str(ev->json, "type");
}

long event_seq(const struct event *ev)
{
    json_t *seq = json_object_get(ev->json, "sequence_number");

    return json_is_integer(seq) ? (long)json_integer_value(seq) : -1;
}

json_t *event_list_last_response(const struct event_list *l)
{
    size_t i;

    for (i = l ? l->n : 0; i > 0; i--) {
        json_t *r = json_object_get(l->v[i - 1].json, "response");
        if (json_is_object(r))
            return r;
    }
    return NULL;
}

json_t *event_list_last_json(const struct event_list *l)
{
    size_t i;

    for (i = l ? l->n : 0; i > 0; i--)
        if (json_is_object(l->v[i - 1].json))
            return l->v[i - 1].json;
    return NULL;
}

size_t event_list_bytes(const struct event_list *l)
{
    size_t i, n = 0;

    for (i = 0; l && i < l->n; i++) {
        const struct event *ev = &l->v[i];
        if (ev->kind == EVENT_RAW)
            n += ev->raw_len;
        else if (ev->kind == EVENT_JSON)
            n += json_dumpb(ev->json, NULL, 0, JSON_COMPACT) + (ev->type ? strlen(ev->type) : 0);
    }
    return n;
}

/* ---- Packing (the store's form of a list) ------------------------------ */

/* One event as packed: this header, then type, JSON text and raw bytes. */
struct packed_event {
    uint32_t kind;
    uint32_t delay_ms;
    uint32_t type_len; /* UINT32_MAX: no type */
    uint32_t json_len; /* 0: no JSON */
    uint64_t raw_len;
};

struct packed_list {
    uint64_t n;
    uint64_t abort_after;
    uint32_t end_with_error;
    uint32_t pad;
};

int event_list_pack(const struct event_list *l, struct buf *out)
{
    struct packed_list pl = {l->n, l->abort_after, (uint32_t)l->end_with_error, 0};
    size_t i;

    if (buf_append(out, &pl, sizeof(pl)) != 0)
        return -1;
    for (i = 0; i < l->n; i++) {
        const struct event *ev = &l->v[i];
        struct packed_event pe = {(uint32_t)ev->kind, ev->delay_ms,
                                  ev->type ? (uint32_t)strlen(ev->type) : UINT32_MAX, 0,
                                  ev->raw_len};
        size_t at = out->len, start;

        if (buf_append(out, &pe, sizeof(pe)) != 0 ||
            (ev->type && buf_append(out, ev->type, pe.type_len) != 0))
            return -1;
        start = out->len;
        if (ev->text ? buf_append(out, ev->text, ev->text_len) != 0
                     : ev->json && json_util_dump_append(ev->json, out) != 0)
            return -1;
        pe.json_len = (uint32_t)(out->len - start);
        memcpy(out->data + at, &pe, sizeof(pe));
        if (ev->raw_len && buf_append(out, ev->raw, ev->raw_len) != 0)
            return -1;
    }
    return 0;
}

/* 'n' bytes at *p (advanced), or NULL when fewer are left. */
static const char *take(const char **p, const char *end, size_t n)
{
    const char *at = *p;

    if ((size_t)(end - at) < n)
        return NULL;
    *p += n;
    return at;
}

static int unpack_event(struct event_list *l, const char **p, const char *end)
{
    const char *h = take(p, end, sizeof(struct packed_event)), *type, *js, *raw;
    struct packed_event pe;
    struct event *ev;

    if (!h)
        return -1;
    memcpy(&pe, h, sizeof(pe));
    type = pe.type_len == UINT32_MAX ? NULL : take(p, end, pe.type_len);
    js = take(p, end, pe.json_len);
    raw = take(p, end, pe.raw_len);
    if ((pe.type_len != UINT32_MAX && !type) || !js || !raw || !(ev = slot(l)))
        return -1;
    ev->kind = (enum event_kind)pe.kind;
    ev->delay_ms = pe.delay_ms;
    ev->type = type ? strndup(type, pe.type_len) : NULL;
    ev->json = pe.json_len ? json_loadb(js, pe.json_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)
                           : NULL;
    if (pe.json_len && ev->kind == EVENT_JSON && (ev->text = malloc(pe.json_len + 1))) {
        memcpy(ev->text, js, pe.json_len);
        ev->text[pe.json_len] = '\0';
        ev->text_len = pe.json_len;
    }
    ev->raw = pe.raw_len ? malloc(pe.raw_len) : NULL;
    if (ev->raw)
        memcpy(ev->raw, raw, pe.raw_len);
    ev->raw_len = pe.raw_len;
    l->n++; /* counted first: a partial event is freed with the list */
    return (type && !ev->type) || (pe.json_len && !ev->json) || (pe.raw_len && !ev->raw) ? -1 : 0;
}

struct event_list *event_list_unpack(const char *p, size_t len)
{
    const char *end = p + len, *h = take(&p, end, sizeof(struct packed_list));
    struct event_list *l = h ? event_list_new() : NULL;
    struct packed_list pl;
    uint64_t i;

    if (!l)
        return NULL;
    memcpy(&pl, h, sizeof(pl));
    l->abort_after = pl.abort_after;
    l->end_with_error = (int)pl.end_with_error;
    for (i = 0; i < pl.n; i++)
        if (unpack_event(l, &p, end) != 0) {
            event_list_unref(l);
            return NULL;
        }
    return l;
}
