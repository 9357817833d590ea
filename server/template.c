/* template: pre-serialised replies per fixture (see template.h). */
#include "template.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "contract.h"
#include "generate.h"
#include "json_util.h"
#include "limits.h"

/* The input token count a template is rendered with, found again in its
 * bytes (input_tokens, and total_tokens a little above it). */
#define TMPL_SENTINEL 900000001LL
#define TMPL_SENTINEL_SPAN 10000000LL

enum piece_kind { P_LIT, P_ID, P_TIME, P_TOKENS };

struct piece {
    enum piece_kind kind;
    size_t off, len;   /* P_LIT: the bytes in 'bytes' */
    long long arg;     /* P_ID: which id (0: the Response's); P_TOKENS: added to the count */
};

struct template {
    char *model;
    int store;
    int usable;        /* 0: this fixture answers plain requests by the full render */
    char *bytes;       /* the reply rendered for the first input */
    size_t len;
    struct piece *v;
    size_t n, nids;
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
        if (strcmp(key, "store") == 0 && json_is_boolean(v))
            continue;
        return 0;
    }
    return 1;
}

/* ---- Building ----------------------------------------------------------- */

static void template_free(struct template *t)
{
    if (!t)
        return;
    free(t->model);
    free(t->bytes);
    free(t->v);
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

static int push(struct template *t, enum piece_kind kind, size_t off, size_t len, long long arg)
{
    if (kind == P_LIT && len == 0)
        return 0;
    if (t->n == RM_TEMPLATE_PIECES)
        return -1;
    if (!t->v && !(t->v = calloc(RM_TEMPLATE_PIECES, sizeof(*t->v))))
        return -1;
    t->v[t->n].kind = kind;
    t->v[t->n].off = off;
    t->v[t->n].len = len;
    t->v[t->n].arg = arg;
    t->n++;
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

/* Which id the 50 hex digits at 'p' are (a new index when unseen). */
static long long id_index(struct template *t, const char **seen, const char *p)
{
    size_t i;

    for (i = 0; i < t->nids; i++)
        if (memcmp(seen[i], p, RM_ID_HEX_LEN) == 0)
            return (long long)i;
    if (t->nids == RM_TEMPLATE_IDS)
        return -1;
    seen[t->nids] = p;
    return (long long)t->nids++;
}

/* Cut t->bytes into pieces: ids under the Response's segment ('resp_hex'
 * its own 50 digits), numbers equal to 'now', numbers near the sentinel. */
static int cut(struct template *t, const char *resp_hex, long long now)
{
    const char *s = t->bytes, *seen[RM_TEMPLATE_IDS];
    size_t i = 0, lit = 0;

    seen[0] = resp_hex;
    t->nids = 1;
    while (i < t->len) {
        if (t->len - i >= RM_ID_HEX_LEN && memcmp(s + i, resp_hex, RM_ID_SEGMENT_LEN) == 0 &&
            is_hex_run(s + i, RM_ID_HEX_LEN)) {
            long long k = id_index(t, seen, s + i);
            if (k < 0 || push(t, P_LIT, lit, i - lit, 0) || push(t, P_ID, 0, 0, k))
                return -1;
            i += RM_ID_HEX_LEN;
            lit = i;
            continue;
        }
        if (s[i] == ':' && i + 1 < t->len && isdigit((unsigned char)s[i + 1])) {
            char *end;
            long long v = strtoll(s + i + 1, &end, 10);
            int time = v == now, tokens = v >= TMPL_SENTINEL && v < TMPL_SENTINEL + TMPL_SENTINEL_SPAN;

            if ((time || tokens) && (*end == ',' || *end == '}' || *end == ']')) {
                if (push(t, P_LIT, lit, i + 1 - lit, 0) ||
                    push(t, time ? P_TIME : P_TOKENS, 0, 0, time ? 0 : v - TMPL_SENTINEL))
                    return -1;
                i = (size_t)(end - s);
                lit = i;
                continue;
            }
        }
        i++;
    }
    return push(t, P_LIT, lit, t->len - lit, 0);
}

/* The full render of a plain request for 'input', cut into 't'. */
static int render_cut(struct rm_server *srv, const struct fixture *fx, struct template *t,
                      const char *input)
{
    json_t *body = json_pack("{s:s, s:s, s:b}", "model", t->model, "input", input, "store",
                             t->store);
    struct generation gen = {NULL, NULL};
    struct render_ctx rc;
    struct fx_fault none;
    struct api_error err;
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
    if (generate_response(&rc, &ask, 0, &none, 0, &gen, &err) == 0 &&
        (id = json_util_str(gen.final, "id")) && strlen(id) == strlen(RM_ID_RESPONSE) + RM_ID_HEX_LEN &&
        (t->bytes = json_util_dumps(gen.final))) {
        const char *hex = strstr(t->bytes, id + strlen(RM_ID_RESPONSE));

        t->len = strlen(t->bytes);
        rc_ = hex ? cut(t, hex, (long long)json_integer_value(
                                    json_object_get(gen.final, "created_at")))
                  : -1;
    }
    generation_release(&gen);
    ask_release(&ask);
    json_decref(body);
    return rc_;
}

/* The same pieces, the same literal bytes? */
static int same_cut(const struct template *a, const struct template *b)
{
    size_t i;

    if (a->n != b->n || a->nids != b->nids)
        return 0;
    for (i = 0; i < a->n; i++) {
        const struct piece *p = &a->v[i], *q = &b->v[i];
        if (p->kind != q->kind || p->arg != q->arg || p->len != q->len ||
            memcmp(a->bytes + p->off, b->bytes + q->off, p->len) != 0)
            return 0;
    }
    return 1;
}

/* A template for (fx, model, store): usable only when two plain requests
 * with different inputs (and token counts) cut into the same pieces. */
static struct template *build(struct rm_server *srv, const struct fixture *fx, const char *model,
                              int store)
{
    struct template *t = calloc(1, sizeof(*t)), *other = calloc(1, sizeof(*other));

    if (!t || !other || !(t->model = strdup(model)) || !(other->model = strdup(model))) {
        template_free(t);
        template_free(other);
        return NULL;
    }
    t->store = other->store = store;
    t->usable = fx->kind == FX_RESPONSE && render_cut(srv, fx, t, "Hello") == 0 &&
                render_cut(srv, fx, other, "Something else entirely, with more words in it.") == 0 &&
                same_cut(t, other);
    template_free(other);
    return t;
}

const struct template *template_for(struct rm_server *srv, const struct fixture *fx,
                                    const char *model, int store)
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
            if (!(mine = build(srv, fx, model, store)))
                return NULL;
            t = NULL;
            if (atomic_compare_exchange_strong(&c->t[i], &t, mine)) {
                t = mine;
            } else {
                template_free(mine); /* another thread filled the slot: look at it */
            }
        }
        if (t->store == store && strcmp(t->model, model) == 0)
            return t->usable ? t : NULL;
    }
    return NULL;
}

/* ---- Rendering ---------------------------------------------------------- */

char *template_render(const struct template *t, struct rm_server *srv, long input_tokens,
                      size_t *len, char *id, size_t id_len)
{
    char ids[RM_TEMPLATE_IDS][RM_ID_HEX_LEN + 8], seg[RM_ID_SEGMENT_LEN + 1];
    long long now = (long long)server_unix_time();
    char *out = malloc(t->len + t->n * 24 + 1), *w = out;
    size_t i;

    if (!out)
        return NULL;
    /* Drawn as the full render draws them: the Response's id, then each
     * item's under its segment. */
    server_new_scoped_id(srv, "", NULL, ids[0], sizeof(ids[0]));
    memcpy(seg, ids[0], RM_ID_SEGMENT_LEN);
    seg[RM_ID_SEGMENT_LEN] = '\0';
    for (i = 1; i < t->nids; i++)
        server_new_scoped_id(srv, "", seg, ids[i], sizeof(ids[i]));
    for (i = 0; i < t->n; i++) {
        const struct piece *p = &t->v[i];

        switch (p->kind) {
        case P_LIT:
            memcpy(w, t->bytes + p->off, p->len);
            w += p->len;
            break;
        case P_ID:
            memcpy(w, ids[p->arg], RM_ID_HEX_LEN);
            w += RM_ID_HEX_LEN;
            break;
        case P_TIME:
            w += sprintf(w, "%lld", now);
            break;
        case P_TOKENS:
            w += sprintf(w, "%lld", (long long)input_tokens + p->arg);
            break;
        }
    }
    *w = '\0';
    *len = (size_t)(w - out);
    snprintf(id, id_len, "%s%s", RM_ID_RESPONSE, ids[0]);
    return out;
}
