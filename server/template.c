/* template: pre-serialised replies per fixture (see template.h). */
#include "template.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "buf.h"
#include "contract.h"
#include "generate.h"
#include "json_util.h"
#include "limits.h"

/* The input token count a template is rendered with, found again in its
 * bytes (input_tokens, and total_tokens a little above it). */
#define TMPL_SENTINEL 900000001LL
#define TMPL_SENTINEL_SPAN 10000000LL

enum piece_kind { P_LIT, P_ID, P_TIME, P_TOKENS, P_FRAME };

struct piece {
    enum piece_kind kind;
    size_t off, len;   /* P_LIT: the bytes in the cutout's 'bytes' */
    long long arg;     /* P_ID: which id (0: the Response's); P_TOKENS: added to the
                        * count; P_FRAME: the delay before the frame that starts here */
};

/* Bytes rendered once, cut into pieces. */
struct cutout {
    char *bytes;
    size_t len;
    struct piece *v;
    size_t n, cap;
};

struct template {
    char *model;
    int store;
    int stream;        /* the SSE stream too ('sse'), for "stream": true */
    int usable;        /* 0: this fixture answers plain requests by the full render */
    struct cutout body; /* the Response (the reply, or what a stream stores) */
    struct cutout sse;  /* the stream's bytes, a P_FRAME where each frame starts */
    size_t nids;        /* ids in both (one numbering) */
};

struct template_cache {
    _Atomic(struct template *) t[RM_TEMPLATE_MODELS];
};

int template_plain(const json_t *body)
{
    const char *key;
    json_t *v;

    if (!json_is_string(json_object_get(body, "input")))
        return 0;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "model") == 0 || strcmp(key, "input") == 0)
            continue;
        if ((strcmp(key, "store") == 0 || strcmp(key, "stream") == 0) && json_is_boolean(v))
            continue;
        return 0;
    }
    return 1;
}

/* ---- Building ----------------------------------------------------------- */

static void cutout_free(struct cutout *c)
{
    free(c->bytes);
    free(c->v);
}

static void template_free(struct template *t)
{
    if (!t)
        return;
    free(t->model);
    cutout_free(&t->body);
    cutout_free(&t->sse);
    free(t);
}

static void cache_free(void *p)
{
    struct template_cache *c = p;
    unsigned i;

    for (i = 0; i < RM_TEMPLATE_MODELS; i++)
        template_free(atomic_load(&c->t[i]));
    free(c);
}

static int push(struct cutout *c, enum piece_kind kind, size_t off, size_t len, long long arg)
{
    if (kind == P_LIT && len == 0)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct piece *v;

        if (c->cap >= RM_TEMPLATE_PIECES)
            return -1;
        if (cap > RM_TEMPLATE_PIECES)
            cap = RM_TEMPLATE_PIECES;
        if (!(v = realloc(c->v, cap * sizeof(*v))))
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].kind = kind;
    c->v[c->n].off = off;
    c->v[c->n].len = len;
    c->v[c->n].arg = arg;
    c->n++;
    return 0;
}

static int is_hex_run(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
            return 0;
    return 1;
}

/* The ids a template has seen, numbered in order of first sight. */
struct id_table {
    char hex[RM_TEMPLATE_IDS][RM_ID_HEX_LEN];
    size_t n;
};

/* Which id the 50 hex digits at 'p' are (a new index when unseen). */
static long long id_index(struct id_table *ids, const char *p)
{
    size_t i;

    for (i = 0; i < ids->n; i++)
        if (memcmp(ids->hex[i], p, RM_ID_HEX_LEN) == 0)
            return (long long)i;
    if (ids->n == RM_TEMPLATE_IDS)
        return -1;
    memcpy(ids->hex[ids->n], p, RM_ID_HEX_LEN);
    return (long long)ids->n++;
}

/* Cut bytes 'from'..'to' of c->bytes into pieces: ids under the Response's
 * segment (ids->hex[0] its own digits), numbers equal to 'now', numbers
 * near the sentinel, literal bytes between them. */
static int cut(struct cutout *c, struct id_table *ids, long long now, size_t from, size_t to)
{
    const char *s = c->bytes;
    size_t i = from, lit = from;

    while (i < to) {
        if (to - i >= RM_ID_HEX_LEN && memcmp(s + i, ids->hex[0], RM_ID_SEGMENT_LEN) == 0 &&
            is_hex_run(s + i, RM_ID_HEX_LEN)) {
            long long n = id_index(ids, s + i);
            if (n < 0 || push(c, P_LIT, lit, i - lit, 0) || push(c, P_ID, 0, 0, n))
                return -1;
            i += RM_ID_HEX_LEN;
            lit = i;
            continue;
        }
        if (s[i] == ':' && i + 1 < to && isdigit((unsigned char)s[i + 1])) {
            char *end;
            long long v = strtoll(s + i + 1, &end, 10);
            int time = v == now;
            int tokens = v >= TMPL_SENTINEL && v < TMPL_SENTINEL + TMPL_SENTINEL_SPAN;

            if ((time || tokens) && (size_t)(end - s) < to &&
                (*end == ',' || *end == '}' || *end == ']')) {
                if (push(c, P_LIT, lit, i + 1 - lit, 0) ||
                    push(c, time ? P_TIME : P_TOKENS, 0, 0, time ? 0 : v - TMPL_SENTINEL))
                    return -1;
                i = (size_t)(end - s);
                lit = i;
                continue;
            }
        }
        i++;
    }
    return push(c, P_LIT, lit, to - lit, 0);
}

/* The SSE bytes of 'events' (the one SSE writer frames them) into 't->sse',
 * each frame a P_FRAME with its delay, then its bytes cut with the ids
 * 'ids' has seen in the body. Only a stream that ends cleanly has a
 * template. Returns 0 or -1. */
static int cut_stream(struct template *t, struct event_list *events, struct id_table *ids,
                      long long now)
{
    struct stream *st;
    size_t i, off = 0;
    int rc = -1;

    if (!events || events->end_with_error || events->abort_after)
        return -1;
    event_list_serialise(events);
    if (!(st = stream_new_sse(events, 1.0, RM_MAX_STREAM_BYTES)))
        return -1;
    if ((t->sse.bytes = stream_concat(st, &t->sse.len))) {
        rc = 0;
        for (i = 0; rc == 0 && i < stream_frames(st); i++) {
            unsigned delay;
            size_t len;

            stream_frame(st, i, &len, &delay);
            if (push(&t->sse, P_FRAME, 0, 0, delay) != 0 ||
                cut(&t->sse, ids, now, off, off + len) != 0)
                rc = -1;
            off += len;
        }
    }
    stream_free(st);
    return rc;
}

/* The full render of a plain request for 'input', cut into 't'. */
static int render_cut(struct rm_server *srv, const struct fixture *fx, struct template *t,
                      const char *input)
{
    json_t *body = json_pack("{s:s, s:s, s:b, s:b}", "model", t->model, "input", input, "store",
                             t->store, "stream", t->stream);
    struct generation gen = {NULL, NULL};
    struct render_ctx rc;
    struct fx_fault none;
    struct api_error err;
    struct id_table ids;
    struct ask ask;
    const char *id;
    int rc_ = -1;

    if (!body)
        return -1;
    memset(&ask, 0, sizeof(ask));
    ask_read(&ask, ASK_RESPONSES, body);
    fault_defaults(&none);
    memset(&rc, 0, sizeof(rc));
    rc.srv = srv;
    rc.fx = fx;
    rc.req = body;
    rc.input_tokens = (long)TMPL_SENTINEL;
    if (generate_response(&rc, &ask, t->stream, &none, 0, &gen, &err) == 0 &&
        (id = json_util_str(gen.final, "id")) &&
        strlen(id) == strlen(RM_ID_RESPONSE) + RM_ID_HEX_LEN &&
        (t->body.bytes = json_util_dumps(gen.final))) {
        long long now = (long long)json_integer_value(json_object_get(gen.final, "created_at"));

        t->body.len = strlen(t->body.bytes);
        memcpy(ids.hex[0], id + strlen(RM_ID_RESPONSE), RM_ID_HEX_LEN);
        ids.n = 1;
        rc_ = cut(&t->body, &ids, now, 0, t->body.len);
        if (rc_ == 0 && t->stream)
            rc_ = cut_stream(t, gen.events, &ids, now);
        t->nids = ids.n;
    }
    generation_release(&gen);
    ask_release(&ask);
    json_decref(body);
    return rc_;
}

/* The same pieces, the same literal bytes? */
static int same_cutout(const struct cutout *a, const struct cutout *b)
{
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++) {
        const struct piece *p = &a->v[i], *q = &b->v[i];
        if (p->kind != q->kind || p->arg != q->arg || p->len != q->len ||
            memcmp(a->bytes + p->off, b->bytes + q->off, p->len) != 0)
            return 0;
    }
    return 1;
}

static int same_cut(const struct template *a, const struct template *b)
{
    return a->nids == b->nids && same_cutout(&a->body, &b->body) &&
           same_cutout(&a->sse, &b->sse);
}

/* A template for (fx, model, store, stream): usable only when two plain
 * requests with different inputs (and token counts) cut into the same
 * pieces. */
static struct template *build(struct rm_server *srv, const struct fixture *fx, const char *model,
                              int store, int stream)
{
    struct template *t = calloc(1, sizeof(*t)), *other = calloc(1, sizeof(*other));

    if (!t || !other || !(t->model = strdup(model)) || !(other->model = strdup(model))) {
        template_free(t);
        template_free(other);
        return NULL;
    }
    t->store = other->store = store;
    t->stream = other->stream = stream;
    t->usable = fx->kind == FX_RESPONSE && render_cut(srv, fx, t, "Hello") == 0 &&
                render_cut(srv, fx, other, "Something else entirely, with more words in it.") ==
                    0 &&
                same_cut(t, other);
    template_free(other);
    return t;
}

const struct template *template_for(struct rm_server *srv, const struct fixture *fx,
                                    const char *model, int store, int stream)
{
    struct fixture *f = (struct fixture *)fx; /* only its template cache changes */
    struct template_cache *c = atomic_load(&f->templates);
    unsigned i;

    if (!model || fx->kind != FX_RESPONSE)
        return NULL;
    if (!c) {
        void *none = NULL;

        if (!(c = calloc(1, sizeof(*c))))
            return NULL;
        f->templates_free = cache_free;
        if (!atomic_compare_exchange_strong(&f->templates, &none, c)) {
            free(c);
            c = none;
        }
    }
    for (i = 0; i < RM_TEMPLATE_MODELS; i++) {
        struct template *t = atomic_load(&c->t[i]), *mine;

        if (!t) {
            if (!(mine = build(srv, fx, model, store, stream)))
                return NULL;
            t = NULL;
            if (atomic_compare_exchange_strong(&c->t[i], &t, mine)) {
                t = mine;
            } else {
                template_free(mine); /* another thread filled the slot: look at it */
            }
        }
        if (t->store == store && t->stream == stream && strcmp(t->model, model) == 0)
            return t->usable ? t : NULL;
    }
    return NULL;
}

/* ---- Rendering ---------------------------------------------------------- */

/* "resp_" and the hex 'hex' at 'id' ('len' bytes at most, NUL included). */
static void response_id(char *id, size_t len, const char *hex)
{
    size_t n = str_copy(id, len, RM_ID_RESPONSE, strlen(RM_ID_RESPONSE));

    str_copy(id + n, len - n, hex, strlen(hex));
}

/* Fresh ids for 't', drawn as the full render draws them: the Response's
 * id, then each item's under its segment. */
static void draw_ids(const struct template *t, struct rm_server *srv,
                     char ids[][RM_ID_HEX_LEN + 8])
{
    char seg[RM_ID_SEGMENT_LEN + 1];
    size_t i;

    server_new_scoped_id(srv, "", NULL, ids[0], sizeof(ids[0]));
    memcpy(seg, ids[0], RM_ID_SEGMENT_LEN);
    seg[RM_ID_SEGMENT_LEN] = '\0';
    for (i = 1; i < t->nids; i++)
        server_new_scoped_id(srv, "", seg, ids[i], sizeof(ids[i]));
}

/* The bytes of 'c' with the slots filled (a new NUL-terminated string of
 * '*len' bytes; NULL on OOM). With 'st', each frame is also pushed to it,
 * with its delay, as a view into those bytes (hand them to it with
 * stream_adopt). */
static char *fill(const struct cutout *c, char ids[][RM_ID_HEX_LEN + 8], long long now,
                  long input_tokens, struct stream *st, size_t *len)
{
    char *out = malloc(c->len + c->n * 24 + 1), *w = out, *frame = NULL;
    unsigned delay = 0;
    size_t i;

    if (!out)
        return NULL;
    for (i = 0; i < c->n; i++) {
        const struct piece *p = &c->v[i];

        switch (p->kind) {
        case P_LIT:
            memcpy(w, c->bytes + p->off, p->len);
            w += p->len;
            break;
        case P_ID:
            memcpy(w, ids[p->arg], RM_ID_HEX_LEN);
            w += RM_ID_HEX_LEN;
            break;
        case P_TIME:
            w += str_of_i64(w, now);
            break;
        case P_TOKENS:
            w += str_of_i64(w, (long long)input_tokens + p->arg);
            break;
        case P_FRAME:
            if (frame && stream_push_view(st, frame, (size_t)(w - frame), delay) != 0) {
                free(out);
                return NULL;
            }
            frame = w;
            delay = (unsigned)p->arg;
            break;
        }
    }
    if (frame && stream_push_view(st, frame, (size_t)(w - frame), delay) != 0) {
        free(out);
        return NULL;
    }
    *w = '\0';
    *len = (size_t)(w - out);
    return out;
}

char *template_render(const struct template *t, struct rm_server *srv, long input_tokens,
                      size_t *len, char *id, size_t id_len)
{
    char ids[RM_TEMPLATE_IDS][RM_ID_HEX_LEN + 8];
    char *out;

    draw_ids(t, srv, ids);
    out = fill(&t->body, ids, (long long)server_unix_time(), input_tokens, NULL, len);
    response_id(id, id_len, ids[0]);
    return out;
}

struct stream *template_render_stream(const struct template *t, struct rm_server *srv,
                                      long input_tokens, double speed, char **body,
                                      size_t *body_len, char *id, size_t id_len)
{
    char ids[RM_TEMPLATE_IDS][RM_ID_HEX_LEN + 8];
    long long now = (long long)server_unix_time();
    struct stream *st;
    size_t len;
    char *sse;

    *body = NULL;
    if (!t->stream || !(st = stream_new(RM_MAX_STREAM_BYTES, speed)))
        return NULL;
    draw_ids(t, srv, ids);
    sse = fill(&t->sse, ids, now, input_tokens, st, &len);
    if (sse)
        stream_adopt(st, sse); /* its frames are views into these bytes */
    *body = sse ? fill(&t->body, ids, now, input_tokens, NULL, body_len) : NULL;
    if (!*body) {
        stream_free(st);
        return NULL;
    }
    response_id(id, id_len, ids[0]);
    return st;
}
