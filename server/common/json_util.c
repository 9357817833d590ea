/* json_util: jansson helpers (see json_util.h). */
#include "json_util.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

char *json_util_dumps(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

static int append_piece(const char *p, size_t n, void *user)
{
    return buf_append(user, p, n);
}

int json_util_dump_append(const json_t *v, struct buf *out)
{
    return json_dump_callback(v, append_piece, out,
                              JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) == 0
               ? 0
               : -1;
}

json_t *json_util_loadb(const char *text, size_t len, const char *source,
                        struct mock_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!v)
        mock_error_set(err, source, jerr.line, jerr.column, "%s", jerr.text);
    return v;
}

const char *json_util_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

int json_util_true(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* A tiny scanner over JSON text that only tracks positions: enough to walk
 * to a path in a document jansson has already accepted. */
struct jl_scan {
    const char *p, *end;
    int line, col;
};

static void jl_adv(struct jl_scan *s)
{
    if (s->p >= s->end)
        return;
    if (*s->p == '\n') {
        s->line++;
        s->col = 1;
    } else if (((unsigned char)*s->p & 0xC0) != 0x80) {
        s->col++;
    }
    s->p++;
}

static void jl_ws(struct jl_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        jl_adv(s);
}

/* Skip a string; when 'key'/'klen' are given, report whether it equals them. */
static int jl_string(struct jl_scan *s, const char *key, size_t klen)
{
    const char *start;
    int eq;

    jl_adv(s); /* opening quote */
    start = s->p;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\')
            jl_adv(s);
        jl_adv(s);
    }
    eq = key && (size_t)(s->p - start) == klen && memcmp(start, key, klen) == 0;
    jl_adv(s); /* closing quote */
    return eq;
}

static void jl_skip_value(struct jl_scan *s)
{
    int depth = 0;

    jl_ws(s);
    while (s->p < s->end) {
        char c = *s->p;

        if (c == '"') {
            jl_string(s, NULL, 0);
            if (depth == 0)
                return;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return;
            jl_adv(s);
            if (--depth == 0)
                return;
            continue;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            return;
        }
        jl_adv(s);
    }
}

int json_util_locate(const char *text, size_t len, const char *path, int *line, int *column)
{
    struct jl_scan s = {text, text + len, 1, 1};
    const char *seg = path;
    int found = 0;

    jl_ws(&s);
    while (*seg) {
        if (*seg == '.') {
            const char *k = seg + 1;
            size_t klen = strcspn(k, ".[");

            if (s.p >= s.end || *s.p != '{')
                goto out;
            jl_adv(&s);
            for (;;) {
                int eq;

                jl_ws(&s);
                if (s.p >= s.end || *s.p != '"')
                    goto out;
                eq = jl_string(&s, k, klen);
                jl_ws(&s);
                jl_adv(&s); /* ':' */
                jl_ws(&s);
                if (eq)
                    break;
                jl_skip_value(&s);
                jl_ws(&s);
                if (s.p >= s.end || *s.p != ',')
                    goto out;
                jl_adv(&s);
            }
            seg = k + klen;
        } else if (*seg == '[') {
            long idx = strtol(seg + 1, NULL, 10), i;
            const char *close = strchr(seg, ']');

            if (!close || s.p >= s.end || *s.p != '[')
                goto out;
            jl_adv(&s);
            for (i = 0; i < idx; i++) {
                jl_skip_value(&s);
                jl_ws(&s);
                if (s.p >= s.end || *s.p != ',')
                    goto out;
                jl_adv(&s);
            }
            jl_ws(&s);
            seg = close + 1;
        } else {
            goto out;
        }
    }
    found = 1;
out:
    *line = s.line;
    *column = s.col;
    return found ? 0 : -1;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *json_util_type_first(const json_t *obj)
{
    size_t n = 0, i, size = json_object_size(obj);
    const char **keys = malloc((size ? size : 1) * sizeof(*keys)), *k;
    json_t *out = json_object(), *v, *type = json_object_get(obj, "type");

    if (!keys || !out) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    json_object_foreach((json_t *)obj, k, v) {
        (void)v;
        if (strcmp(k, "type") != 0)
            keys[n++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_keys);
    if (type)
        json_object_set(out, "type", type);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    return out;
}

int json_util_has_string(const json_t *array, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach(array, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    return 0;
}

/* One malloc(n) as glibc's allocator sizes it. */
static size_t heap_chunk(size_t n)
{
    size_t c = (n + 8 + 15) & ~(size_t)15;

    return c < 32 ? 32 : c;
}

/* jansson 2.14's structures: json_t is {type, refcount} (16 bytes); a
 * string adds {value, length}; an array {size, entries, table}; an object
 * a hashtable {size, buckets, order, list, ordered_list} with 8 buckets of
 * two pointers at least and one pair {hash, list, ordered_list, value,
 * key_len, key[]} per member. */
#define JH_HEADER 16
#define JH_STRING (JH_HEADER + 16)
#define JH_NUMBER (JH_HEADER + 8)
#define JH_ARRAY (JH_HEADER + 24)
#define JH_OBJECT (JH_HEADER + 56)
#define JH_PAIR 56
#define JH_BUCKET 16
#define JH_MIN_BUCKETS 8
#define JH_MIN_ARRAY 8

size_t json_util_heap_bytes(const json_t *v)
{
    size_t n = 0, i, buckets;
    const char *key;
    json_t *m;

    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return heap_chunk(JH_STRING) + heap_chunk(json_string_length(v) + 1);
    case JSON_INTEGER:
    case JSON_REAL:
        return heap_chunk(JH_NUMBER);
    case JSON_ARRAY:
        i = json_array_size(v);
        n = heap_chunk(JH_ARRAY) +
            heap_chunk(sizeof(json_t *) * (i > JH_MIN_ARRAY ? i : JH_MIN_ARRAY));
        json_array_foreach((json_t *)v, i, m) n += json_util_heap_bytes(m);
        return n;
    case JSON_OBJECT:
        for (buckets = JH_MIN_BUCKETS; buckets < json_object_size(v); buckets *= 2)
            ;
        n = heap_chunk(JH_OBJECT) + heap_chunk(buckets * JH_BUCKET);
        json_object_foreach((json_t *)v, key, m)
            n += heap_chunk(JH_PAIR + strlen(key) + 1) + json_util_heap_bytes(m);
        return n;
    default:
        return 0; /* true, false, null: shared singletons */
    }
}
