/* conform: the comparator of the conformance tier (see conform.h). */
#include "conform.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

#define CONF_MAX_EVENT (16u * 1024 * 1024) /* one recorded event */
#define CONF_MAX_PATH 512                  /* one JSON path of a shape */
#define CONF_MAX_LINE 1024                 /* one allow-list line */
#define CONF_MAX_ALLOW 256                 /* allow-list entries */
#define CONF_MAX_DETAIL 4096               /* one difference line */

/* ---- Parsing ----------------------------------------------------------- */

static int on_event(const struct sse_event *ev, void *user)
{
    json_t *events = user, *doc;

    doc = json_loadb(ev->data, ev->data_len, 0, NULL);
    if (!doc) {
        json_array_append_new(events, json_pack("{s:s}", "type", "<not JSON>"));
        return 0;
    }
    json_array_append_new(events, doc);
    return 0;
}

json_t *conf_parse_sse(const char *bytes, size_t len)
{
    struct sse_parser p;
    json_t *events = json_array();

    sse_parser_init(&p, CONF_MAX_EVENT);
    if (sse_parser_feed(&p, bytes, len, on_event, events) < 0) {
        json_decref(events);
        events = NULL;
    } else {
        sse_parser_finish(&p, on_event, events);
    }
    sse_parser_release(&p);
    return events;
}

json_t *conf_parse_chunks(const char *text)
{
    json_t *events = json_array();
    const char *p = text;

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0) {
            json_t *doc = json_loadb(p, n, 0, NULL);
            json_array_append_new(events, doc ? doc : json_pack("{s:s}", "type", "<not JSON>"));
        }
        p = nl ? nl + 1 : NULL;
    }
    return events;
}

/* ---- Shapes ------------------------------------------------------------ */

/* Keys whose string values are compared (they name a state, not content). */
static const char *const value_keys[] = {"object", "status", "role", "phase", "service_tier",
                                         "truncation", "prompt_cache_retention", NULL};
/* Keys whose string values are ids: compared by prefix and length. */
static const char *const id_keys[] = {"id", "item_id", "call_id", "response_id", NULL};

static int in_list(const char *const *l, const char *k)
{
    for (; k && *l; l++)
        if (strcmp(*l, k) == 0)
            return 1;
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* The node of 'path' in 'shape': {"t":{}, "k":[], "el":{}, "v":{}}. */
static json_t *node(json_t *shape, const char *path)
{
    json_t *n = json_object_get(shape, path);

    if (!n) {
        n = json_pack("{s:{}, s:[], s:{}, s:{}}", "t", "k", "el", "v");
        json_object_set_new(shape, path, n);
    }
    return n;
}

static void set_add(json_t *n, const char *set, const char *s)
{
    json_object_set_new(json_object_get(n, set), s, json_true());
}

/* Merge the keys of 'obj' into the ordered key list of 'n': unseen keys are
 * inserted after the key that precedes them in 'obj'. */
static void merge_keys(json_t *n, const json_t *obj)
{
    json_t *keys = json_object_get(n, "k");
    const char *k;
    json_t *v;
    size_t at = 0;

    json_object_foreach((json_t *)obj, k, v) {
        size_t i, found = (size_t)-1;
        (void)v;
        for (i = 0; i < json_array_size(keys); i++)
            if (strcmp(json_string_value(json_array_get(keys, i)), k) == 0) {
                found = i;
                break;
            }
        if (found == (size_t)-1) {
            json_array_insert_new(keys, at, json_string(k));
            at++;
        } else {
            at = found + 1;
        }
    }
}

static const char *variant(const json_t *v)
{
    const char *t = json_is_object(v) ? json_string_value(json_object_get(v, "type")) : NULL;
    return t ? t : "";
}

static void id_shape(const char *s, char *out, size_t n)
{
    const char *u = strpbrk(s, "_-");
    int plen = u ? (int)(u - s + 1) : 0;

    snprintf(out, n, "%.*s/%zu", plen, s, strlen(s));
}

static void walk(json_t *shape, const char *path, const char *key, const json_t *v)
{
    json_t *n = node(shape, path);
    char child[CONF_MAX_PATH];
    const char *k;
    json_t *c;
    size_t i;

    set_add(n, "t", type_name(v));
    if (json_is_string(v) && in_list(value_keys, key))
        set_add(n, "v", json_string_value(v));
    if (json_is_string(v) && in_list(id_keys, key)) {
        char s[64];
        id_shape(json_string_value(v), s, sizeof(s));
        set_add(n, "v", s);
    }
    if (json_is_object(v)) {
        merge_keys(n, v);
        json_object_foreach((json_t *)v, k, c) {
            if (json_is_object(c) && variant(c)[0]) {
                json_t *cn;
                snprintf(child, sizeof(child), "%s.%s", path, k);
                cn = node(shape, child);
                set_add(cn, "t", "object");
                set_add(cn, "el", variant(c));
                snprintf(child, sizeof(child), "%s.%s<%s>", path, k, variant(c));
                walk(shape, child, k, c);
            } else {
                snprintf(child, sizeof(child), "%s.%s", path, k);
                walk(shape, child, k, c);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, c) {
            set_add(n, "el", json_is_object(c) ? variant(c) : type_name(c));
            snprintf(child, sizeof(child), "%s[%s]", path, variant(c));
            walk(shape, child, NULL, c);
        }
    }
}

json_t *conf_shape_events(const json_t *events)
{
    json_t *shape = json_object(), *ev;
    size_t i;

    json_array_foreach((json_t *)events, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        walk(shape, t ? t : "<untyped>", NULL, ev);
        json_object_set_new(node(shape, t ? t : "<untyped>"), "root", json_true());
    }
    return shape;
}

json_t *conf_shape_doc(const json_t *doc, const char *root)
{
    json_t *shape = json_object();

    walk(shape, root, NULL, doc);
    json_object_set_new(node(shape, root), "root", json_true());
    return shape;
}

/* ---- Comparing --------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void diff(json_t *diffs, const char *fmt, ...)
{
    char line[CONF_MAX_DETAIL];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    json_array_append_new(diffs, json_string(line));
}

/* The members of a set (or the items of a list) joined by ',' into 'b'. */
static void join(const json_t *set, struct buf *b)
{
    const char *k;
    json_t *v;
    size_t i;

    b->len = 0;
    if (json_is_array(set)) {
        json_array_foreach((json_t *)set, i, v) {
            if (i)
                buf_append(b, ",", 1);
            buf_append(b, json_string_value(v), strlen(json_string_value(v)));
        }
    } else {
        i = 0;
        json_object_foreach((json_t *)set, k, v) {
            (void)v;
            if (i++)
                buf_append(b, ",", 1);
            buf_append(b, k, strlen(k));
        }
    }
    buf_append(b, "", 1);
}

static int sets_equal(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;

    if (json_object_size(a) != json_object_size(b))
        return 0;
    json_object_foreach((json_t *)a, k, v) {
        (void)v;
        if (!json_object_get(b, k))
            return 0;
    }
    return 1;
}

static int in_keys(const json_t *keys, const char *k)
{
    json_t *v;
    size_t i;

    json_array_foreach((json_t *)keys, i, v) if (strcmp(json_string_value(v), k) == 0) return 1;
    return 0;
}

/* Sort the members of 'set' (an object used as a set) into a new one, so
 * the joined form does not depend on the order they were seen in. */
static json_t *sorted(const json_t *set)
{
    const char *names[256];
    size_t n = 0, i, j;
    const char *k;
    json_t *v, *out = json_object();

    json_object_foreach((json_t *)set, k, v) {
        (void)v;
        if (n < sizeof(names) / sizeof(names[0]))
            names[n++] = k;
    }
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (i = 0; i < n; i++)
        json_object_set_new(out, names[i], json_true());
    return out;
}

static void compare_set(const char *label, const char *kind, const char *path, const json_t *a,
                        const json_t *b, json_t *diffs)
{
    struct buf x, y;
    json_t *sa, *sb;

    if (sets_equal(a, b))
        return;
    buf_init(&x, CONF_MAX_DETAIL);
    buf_init(&y, CONF_MAX_DETAIL);
    sa = sorted(a);
    sb = sorted(b);
    join(sa, &x);
    join(sb, &y);
    diff(diffs, "%s %s %s recorded {%s} respmock {%s}", label, kind, path, x.data, y.data);
    json_decref(sa);
    json_decref(sb);
    buf_release(&x);
    buf_release(&y);
}

/* True for a path inside what a response echoes of the request verbatim (a
 * tool's parameters schema, a text.format schema, metadata): the cassettes
 * keep requests parsed, so the order in which the client sent those keys is
 * not recorded, and respmock keeps the order it is sent. */
static int echoed(const char *path)
{
    return strstr(path, ".parameters") || strstr(path, ".schema") || strstr(path, ".metadata");
}

void conf_compare_shapes(const char *label, const json_t *rec, const json_t *got, int order,
                         json_t *diffs)
{
    const char *path;
    json_t *rn, *v;
    size_t i;

    /* event types (and roots) on one side only */
    json_object_foreach((json_t *)rec, path, rn) {
        if (!json_object_get(rn, "root"))
            continue;
        if (!json_object_get(got, path))
            diff(diffs, "%s event %s only in the recording", label, path);
    }
    json_object_foreach((json_t *)got, path, rn) {
        if (!json_object_get(rn, "root"))
            continue;
        if (!json_object_get(rec, path))
            diff(diffs, "%s event %s only from respmock", label, path);
    }
    json_object_foreach((json_t *)rec, path, rn) {
        json_t *gn = json_object_get(got, path);
        json_t *rk = json_object_get(rn, "k"), *gk;

        if (!gn)
            continue; /* reported where the paths part (a key or a variant) */
        gk = json_object_get(gn, "k");
        compare_set(label, "type", path, json_object_get(rn, "t"), json_object_get(gn, "t"),
                    diffs);
        compare_set(label, "variants", path, json_object_get(rn, "el"),
                    json_object_get(gn, "el"), diffs);
        compare_set(label, "value", path, json_object_get(rn, "v"), json_object_get(gn, "v"),
                    diffs);
        json_array_foreach(rk, i, v) if (!in_keys(gk, json_string_value(v)))
            diff(diffs, "%s missing %s.%s", label, path, json_string_value(v));
        json_array_foreach(gk, i, v) if (!in_keys(rk, json_string_value(v)))
            diff(diffs, "%s extra %s.%s", label, path, json_string_value(v));
        if (order && !echoed(path)) {
            /* the order of the keys both sides have */
            struct buf x, y;
            size_t j;
            buf_init(&x, CONF_MAX_DETAIL);
            buf_init(&y, CONF_MAX_DETAIL);
            json_array_foreach(rk, j, v) if (in_keys(gk, json_string_value(v))) {
                buf_append(&x, json_string_value(v), strlen(json_string_value(v)));
                buf_append(&x, ",", 1);
            }
            json_array_foreach(gk, j, v) if (in_keys(rk, json_string_value(v))) {
                buf_append(&y, json_string_value(v), strlen(json_string_value(v)));
                buf_append(&y, ",", 1);
            }
            buf_append(&x, "", 1);
            buf_append(&y, "", 1);
            if (x.len && strcmp(x.data, y.data) != 0)
                diff(diffs, "%s order %s recorded %s respmock %s", label, path, x.data, y.data);
            buf_release(&x);
            buf_release(&y);
        }
    }
}

/* The event order of a stream: the envelope and, per item type, the events
 * of its first item, runs of one event type collapsed into "type+". */
static void skeleton(const json_t *events, struct buf *env, json_t *items)
{
    json_t *ev, *types = json_object(), *seqs = json_object();
    const char *k;
    json_t *v;
    size_t i;
    int in_items = 0;

    json_array_foreach((json_t *)events, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        json_t *oi = json_object_get(ev, "output_index");
        if (!t)
            t = "<untyped>";
        if (json_is_integer(oi)) {
            char key[32];
            json_t *seq;
            const char *last;
            snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(oi));
            if (json_is_object(json_object_get(ev, "item")) && !json_object_get(types, key))
                json_object_set_new(types, key,
                                    json_string(variant(json_object_get(ev, "item"))));
            seq = json_object_get(seqs, key);
            if (!seq) {
                seq = json_array();
                json_object_set_new(seqs, key, seq);
            }
            last = json_string_value(json_array_get(seq, json_array_size(seq) - 1));
            if (!last || strncmp(last, t, strlen(t)) != 0 || strcmp(last + strlen(t), "+") != 0) {
                char plus[CONF_MAX_PATH];
                /* a delta event stands for a run of one or more */
                snprintf(plus, sizeof(plus), "%s%s", t, strstr(t, ".delta") ? "+" : "");
                if (!last || strcmp(last, plus) != 0)
                    json_array_append_new(seq, json_string(plus));
            }
            if (!in_items) {
                buf_append(env, "items ", 6);
                in_items = 1;
            }
            continue;
        }
        in_items = 0;
        buf_append(env, t, strlen(t));
        buf_append(env, " ", 1);
    }
    buf_append(env, "", 1);
    json_object_foreach(seqs, k, v) {
        const char *it = json_string_value(json_object_get(types, k));
        struct buf s;
        if (!it)
            it = "?";
        if (json_object_get(items, it))
            continue;
        buf_init(&s, CONF_MAX_DETAIL);
        join(v, &s);
        json_object_set_new(items, it, json_string(s.data));
        buf_release(&s);
    }
    json_decref(types);
    json_decref(seqs);
}

void conf_compare_order(const char *label, const json_t *rec, const json_t *got, json_t *diffs)
{
    struct buf re, ge;
    json_t *ri = json_object(), *gi = json_object(), *v;
    const char *k;

    buf_init(&re, CONF_MAX_DETAIL);
    buf_init(&ge, CONF_MAX_DETAIL);
    skeleton(rec, &re, ri);
    skeleton(got, &ge, gi);
    if (strcmp(re.data, ge.data) != 0)
        diff(diffs, "%s events envelope recorded %s respmock %s", label, re.data, ge.data);
    json_object_foreach(ri, k, v) {
        json_t *g = json_object_get(gi, k);
        if (g && strcmp(json_string_value(v), json_string_value(g)) != 0)
            diff(diffs, "%s item_events %s recorded %s respmock %s", label, k,
                 json_string_value(v), json_string_value(g));
    }
    json_decref(ri);
    json_decref(gi);
    buf_release(&re);
    buf_release(&ge);
}

const json_t *conf_final(const json_t *events)
{
    json_t *ev;
    size_t i;
    const json_t *last = NULL;

    json_array_foreach((json_t *)events, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        if (t && (strcmp(t, "response.completed") == 0 || strcmp(t, "response.incomplete") == 0 ||
                  strcmp(t, "response.failed") == 0))
            last = json_object_get(ev, "response");
    }
    return last;
}

/* 1 when every output item id of 'resp' shares the 16 characters after its
 * prefix with the response id, 0 when one does not, -1 without items. */
static int shares_segment(const json_t *resp)
{
    const char *rid = json_string_value(json_object_get(resp, "id")), *u;
    json_t *it;
    size_t i;
    int seen = 0;

    if (!rid || !(u = strchr(rid, '_')) || strlen(u + 1) < 16)
        return -1;
    json_array_foreach(json_object_get(resp, "output"), i, it) {
        const char *id = json_string_value(json_object_get(it, "id")), *iu;
        if (!id || !(iu = strchr(id, '_')))
            continue;
        seen = 1;
        if (strlen(iu + 1) < 16 || strncmp(iu + 1, u + 1, 16) != 0)
            return 0;
    }
    return seen ? 1 : -1;
}

void conf_compare_id_segments(const char *label, const json_t *rec, const json_t *got,
                              json_t *diffs)
{
    if (shares_segment(rec) == 1 && shares_segment(got) == 0)
        diff(diffs, "%s id_segment output[].id item ids do not share the response id's segment",
             label);
}

/* ---- The allow-list ---------------------------------------------------- */

struct conf_entry {
    char pattern[3][CONF_MAX_PATH];
    int line;
    int used;
};

struct conf_allow {
    struct conf_entry e[CONF_MAX_ALLOW];
    size_t n;
};

struct conf_allow *conf_allow_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    struct conf_allow *a;
    char line[CONF_MAX_LINE];
    int no = 0;

    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    a = calloc(1, sizeof(*a));
    while (a && fgets(line, sizeof(line), f)) {
        char *hash, *p = line;
        struct conf_entry *e;
        int got;
        no++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        hash = strstr(p, " #");
        if (!hash || !hash[2] || strspn(hash + 2, " \t\n") == strlen(hash + 2)) {
            snprintf(err, errlen, "%s:%d: an entry without a reason (\"  # why\")", path, no);
            free(a);
            a = NULL;
            break;
        }
        *hash = '\0';
        if (a->n == CONF_MAX_ALLOW) {
            snprintf(err, errlen, "%s:%d: more than %d entries", path, no, CONF_MAX_ALLOW);
            free(a);
            a = NULL;
            break;
        }
        e = &a->e[a->n];
        got = sscanf(p, "%511s %511s %511s", e->pattern[0], e->pattern[1], e->pattern[2]);
        if (got != 3) {
            snprintf(err, errlen, "%s:%d: want RECORDING#N KIND PATH  # reason", path, no);
            free(a);
            a = NULL;
            break;
        }
        e->line = no;
        a->n++;
    }
    fclose(f);
    return a;
}

int conf_allowed(struct conf_allow *a, const char *d)
{
    char f[3][CONF_MAX_PATH];
    size_t i;

    if (sscanf(d, "%511s %511s %511s", f[0], f[1], f[2]) != 3)
        return 0;
    for (i = 0; i < a->n; i++) {
        struct conf_entry *e = &a->e[i];
        if (fnmatch(e->pattern[0], f[0], 0) == 0 && fnmatch(e->pattern[1], f[1], 0) == 0 &&
            fnmatch(e->pattern[2], f[2], 0) == 0) {
            e->used++;
            return 1;
        }
    }
    return 0;
}

char *conf_allow_unused(const struct conf_allow *a)
{
    struct buf b;
    char line[3 * CONF_MAX_PATH + 32];
    size_t i;
    char *out;

    buf_init(&b, 1024 * 1024);
    for (i = 0; i < a->n; i++)
        if (!a->e[i].used) {
            snprintf(line, sizeof(line), "line %d: %s %s %s\n", a->e[i].line, a->e[i].pattern[0],
                     a->e[i].pattern[1], a->e[i].pattern[2]);
            buf_append(&b, line, strlen(line));
        }
    buf_append(&b, "", 1);
    out = strdup(b.data);
    buf_release(&b);
    return out;
}

void conf_allow_free(struct conf_allow *a)
{
    free(a);
}
