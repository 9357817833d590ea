/* schema_gen: JSON values that satisfy a JSON Schema (see schema_gen.h). */
#include "schema_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_util.h"

/* Past this depth even required members are no longer generated. */
#define HARD_DEPTH (SCHEMA_GEN_MAX_DEPTH + 8)
#define MAX_STRING 4096 /* longest generated string */
#define MAX_ITEMS 64    /* most array items generated */

struct gen {
    const json_t *root; /* the whole schema, for $ref */
};

static json_t *gen(const struct gen *g, const json_t *s, const char *name, unsigned variant,
                   int depth);

/* ---- $ref ---------------------------------------------------------------- */

/* The schema a local "$ref" points at, or NULL. Only "#" and JSON pointers
 * into the same document are followed. */
static const json_t *resolve(const struct gen *g, const char *ref)
{
    const json_t *at = g->root;
    char seg[256];

    if (!ref || ref[0] != '#')
        return NULL;
    ref++;
    while (*ref == '/') {
        size_t n = 0;

        ref++;
        while (*ref && *ref != '/' && n < sizeof(seg) - 1) {
            if (ref[0] == '~' && ref[1] == '1') {
                seg[n++] = '/';
                ref += 2;
            } else if (ref[0] == '~' && ref[1] == '0') {
                seg[n++] = '~';
                ref += 2;
            } else {
                seg[n++] = *ref++;
            }
        }
        seg[n] = '\0';
        if (json_is_array(at))
            at = json_array_get(at, (size_t)strtoul(seg, NULL, 10));
        else
            at = json_object_get(at, seg);
        if (!at)
            return NULL;
    }
    return at;
}

/* 's' with a chain of "$ref" followed (at most a few hops). */
static const json_t *deref(const struct gen *g, const json_t *s)
{
    int hops;

    for (hops = 0; hops < 8 && json_is_object(s) && json_util_str(s, "$ref"); hops++) {
        const json_t *t = resolve(g, json_util_str(s, "$ref"));
        if (!t)
            break;
        s = t;
    }
    return s;
}

/* ---- Types ---------------------------------------------------------------- */

/* The type to generate for 's': its "type" (the first that is not "null"
 * of a list), else what its keywords imply. */
static const char *type_of(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    size_t i;

    if (json_is_string(t))
        return json_string_value(t);
    if (json_is_array(t)) {
        for (i = 0; i < json_array_size(t); i++) {
            const char *x = json_string_value(json_array_get(t, i));
            if (x && strcmp(x, "null") != 0)
                return x;
        }
        return json_array_size(t) ? json_string_value(json_array_get(t, 0)) : "string";
    }
    if (json_object_get(s, "properties") || json_object_get(s, "required") ||
        json_object_get(s, "additionalProperties"))
        return "object";
    if (json_object_get(s, "items") || json_object_get(s, "prefixItems"))
        return "array";
    if (json_object_get(s, "minimum") || json_object_get(s, "maximum") ||
        json_object_get(s, "multipleOf"))
        return "number";
    return "string";
}

/* ---- Strings -------------------------------------------------------------- */

static const struct {
    const char *format;
    const char *value;
} formats[] = {
    {"date-time", "2026-01-01T12:00:00Z"},
    {"date", "2026-01-01"},
    {"time", "12:00:00Z"},
    {"duration", "PT1H"},
    {"email", "user@example.com"},
    {"idn-email", "user@example.com"},
    {"hostname", "example.com"},
    {"idn-hostname", "example.com"},
    {"ipv4", "192.0.2.1"},
    {"ipv6", "2001:db8::1"},
    {"uri", "https://example.com/"},
    {"uri-reference", "https://example.com/"},
    {"iri", "https://example.com/"},
    {"iri-reference", "https://example.com/"},
    {"url", "https://example.com/"},
    {"uuid", "00000000-0000-4000-8000-000000000000"},
    {"regex", ".*"},
    {"json-pointer", "/a"},
};

/* Append one character a character class "[...]" at 'p' allows; returns
 * the position after the class. Negated classes get a letter outside it. */
static const char *class_char(const char *p, struct buf *out)
{
    int neg = 0;
    char first = 0;
    const char *q = p;

    if (*q == '^') {
        neg = 1;
        q++;
    }
    if (*q == ']') /* a literal ']' first */
        first = *q++;
    while (*q && *q != ']') {
        if (!first) {
            if (*q == '\\' && q[1]) {
                first = q[1] == 'd' ? '0' : q[1] == 'w' ? 'a' : q[1] == 's' ? ' ' : q[1];
                q++;
            } else {
                first = *q;
            }
        }
        q++;
    }
    if (neg) {
        const char *try = "aZ0_";
        size_t i;
        char c = 'a';
        for (i = 0; try[i]; i++) {
            if (!memchr(p, try[i], (size_t)(q - p))) {
                c = try[i];
                break;
            }
        }
        buf_append(out, &c, 1);
    } else if (first) {
        buf_append(out, &first, 1);
    }
    return *q ? q + 1 : q;
}

/* Parse a quantifier at 'p': sets the count to repeat (its minimum, or 1
 * for '+') and returns the position after it. */
static const char *quantifier(const char *p, unsigned *count)
{
    *count = 1;
    if (*p == '?' || *p == '*') {
        *count = 0;
        p++;
    } else if (*p == '+') {
        p++;
    } else if (*p == '{') {
        char *end;
        unsigned long n = strtoul(p + 1, &end, 10);
        if (end != p + 1) {
            *count = (unsigned)(n > 64 ? 64 : n);
            while (*end && *end != '}')
                end++;
            p = *end ? end + 1 : end;
        }
    }
    if (*p == '?' || *p == '+') /* lazy / possessive */
        p++;
    return p;
}

/* A string matching the (ECMA-262 flavoured) 'pattern', built from the
 * first alternative of every group and the minimum of every quantifier.
 * Good for the patterns schemas use (codes, ids, digits); not a general
 * regex engine. */
static void from_pattern(const char *p, struct buf *out, int depth)
{
    while (*p && *p != ')' && *p != '|') {
        struct buf atom;
        unsigned count, k;
        const char *next;

        buf_init(&atom, 256);
        if (*p == '^' || *p == '$') {
            p++;
            continue;
        }
        if (*p == '(') {
            const char *q = p + 1;
            int level = 1;

            if (q[0] == '?' && (q[1] == ':' || q[1] == '=' || q[1] == '!'))
                q += 2;
            if (depth < 8)
                from_pattern(q, &atom, depth + 1);
            /* skip to the matching ')' */
            for (next = p + 1; *next && level; next++) {
                if (*next == '\\' && next[1])
                    next++;
                else if (*next == '(')
                    level++;
                else if (*next == ')')
                    level--;
            }
        } else if (*p == '[') {
            next = class_char(p + 1, &atom);
        } else if (*p == '\\' && p[1]) {
            char c = p[1] == 'd' ? '0' : p[1] == 'w' ? 'a' : p[1] == 's' ? ' ' : p[1];
            if (strchr("DWS", p[1]))
                c = p[1] == 'D' ? 'a' : p[1] == 'W' ? '-' : 'a';
            buf_append(&atom, &c, 1);
            next = p + 2;
        } else if (*p == '.') {
            buf_append(&atom, "a", 1);
            next = p + 1;
        } else {
            buf_append(&atom, p, 1);
            next = p + 1;
        }
        p = quantifier(next, &count);
        for (k = 0; k < count && atom.data; k++)
            buf_append(out, atom.data, atom.len);
        buf_release(&atom);
    }
}

static json_t *gen_string(const json_t *s, const char *name, unsigned variant)
{
    const char *format = json_util_str(s, "format"), *pattern = json_util_str(s, "pattern");
    json_t *min = json_object_get(s, "minLength"), *max = json_object_get(s, "maxLength");
    size_t lo = json_is_integer(min) ? (size_t)json_integer_value(min) : 0;
    size_t hi = json_is_integer(max) ? (size_t)json_integer_value(max) : MAX_STRING;
    struct buf b;
    json_t *out;
    size_t i;

    buf_init(&b, MAX_STRING + 8);
    if (format) {
        for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
            if (strcmp(formats[i].format, format) == 0) {
                buf_append_str(&b, formats[i].value);
                break;
            }
    }
    if (!b.len && pattern) {
        from_pattern(pattern, &b, 0);
    } else if (!b.len) {
        buf_appendf(&b, "example %s", name && *name ? name : "text");
        if (variant)
            buf_appendf(&b, " %u", variant + 1);
    }
    if (hi > MAX_STRING)
        hi = MAX_STRING;
    if (lo > hi)
        lo = hi;
    while (b.len < lo && buf_append(&b, "x", 1) == 0)
        ;
    out = json_stringn(b.data ? b.data : "", utf8_cut(b.data ? b.data : "", b.len, hi));
    buf_release(&b);
    return out ? out : json_string("");
}

/* ---- Numbers -------------------------------------------------------------- */

/* The bounds of a number schema, draft 4 (boolean exclusive*) and later
 * (numeric exclusive*) alike. */
static void bounds(const json_t *s, double *lo, double *hi, int *lo_ex, int *hi_ex)
{
    json_t *emin = json_object_get(s, "exclusiveMinimum");
    json_t *emax = json_object_get(s, "exclusiveMaximum");

    *lo = json_is_number(json_object_get(s, "minimum"))
              ? json_number_value(json_object_get(s, "minimum"))
              : -INFINITY;
    *hi = json_is_number(json_object_get(s, "maximum"))
              ? json_number_value(json_object_get(s, "maximum"))
              : INFINITY;
    *lo_ex = json_is_true(emin);
    *hi_ex = json_is_true(emax);
    if (json_is_number(emin) && json_number_value(emin) >= *lo) {
        *lo = json_number_value(emin);
        *lo_ex = 1;
    }
    if (json_is_number(emax) && json_number_value(emax) <= *hi) {
        *hi = json_number_value(emax);
        *hi_ex = 1;
    }
}

static json_t *gen_number(const json_t *s, int integer, unsigned variant)
{
    double lo, hi, m = 0, v;
    int lo_ex, hi_ex;
    json_t *mul = json_object_get(s, "multipleOf");

    bounds(s, &lo, &hi, &lo_ex, &hi_ex);
    if (json_is_number(mul) && json_number_value(mul) > 0)
        m = json_number_value(mul);
    if (integer && m == 0)
        m = 1;
    /* 1 when allowed, else the allowed value nearest to it. */
    v = 1;
    if (isfinite(lo) && v < lo)
        v = lo;
    if (isfinite(hi) && v > hi)
        v = hi;
    if (m > 0) {
        double k = ceil(v / m);
        v = k * m;
        if ((lo_ex && v <= lo) || (isfinite(lo) && v < lo))
            v += m;
        if ((hi_ex && v >= hi) || (isfinite(hi) && v > hi))
            v = floor(hi / m) * m - ((hi_ex && floor(hi / m) * m >= hi) ? m : 0);
        v += m * variant;
        if (isfinite(hi) && (v > hi || (hi_ex && v >= hi)))
            v -= m * variant;
    } else {
        if (lo_ex && v <= lo)
            v = isfinite(hi) ? (lo + hi) / 2 : lo + 1;
        if (hi_ex && v >= hi)
            v = isfinite(lo) ? (lo + hi) / 2 : hi - 1;
        if (!isfinite(hi) || v + variant < hi)
            v += variant;
    }
    if (integer)
        return json_integer((json_int_t)llround(v));
    return json_real(v);
}

/* ---- Compound schemas ---------------------------------------------------- */

/* allOf: one schema with the members of every branch (properties and
 * required unioned, other keywords from the first branch that has them).
 * New reference. */
static json_t *merge_all_of(const struct gen *g, const json_t *s)
{
    json_t *out = json_object(), *props = json_object(), *req = json_array(), *b;
    const char *k;
    json_t *v;
    size_t i, j;

    json_object_foreach((json_t *)s, k, v) if (strcmp(k, "allOf") != 0)
        json_object_set(out, k, v);
    json_array_foreach(json_object_get(s, "allOf"), i, b) {
        const json_t *r = deref(g, b);
        json_object_foreach((json_t *)r, k, v) {
            if (strcmp(k, "properties") == 0)
                json_object_update_missing(props, v);
            else if (strcmp(k, "required") == 0)
                json_array_foreach(v, j, b) json_array_append(req, b);
            else if (!json_object_get(out, k))
                json_object_set(out, k, v);
        }
    }
    json_object_update_missing(props, json_object_get(s, "properties"));
    json_array_extend(req, json_object_get(s, "required"));
    json_object_set_new(out, "properties", props);
    json_object_set_new(out, "required", req);
    if (!json_object_get(out, "type"))
        json_object_set_new(out, "type", json_string("object"));
    return out;
}

/* anyOf / oneOf: the first branch that is not just null. Borrowed. */
static const json_t *pick_branch(const struct gen *g, const json_t *list)
{
    size_t i;

    for (i = 0; i < json_array_size(list); i++) {
        const json_t *b = deref(g, json_array_get(list, i));
        const char *t = json_util_str(b, "type");
        if (!t || strcmp(t, "null") != 0)
            return json_array_get(list, i);
    }
    return json_array_get(list, 0);
}

static int in_required(const json_t *req, const char *key)
{
    size_t i;

    for (i = 0; i < json_array_size(req); i++)
        if (json_is_string(json_array_get(req, i)) &&
            strcmp(json_string_value(json_array_get(req, i)), key) == 0)
            return 1;
    return 0;
}

static json_t *gen_object(const struct gen *g, const json_t *s, int depth)
{
    json_t *out = json_object(), *props = json_object_get(s, "properties"), *v;
    json_t *req = json_object_get(s, "required"), *min = json_object_get(s, "minProperties");
    const char *k;
    size_t i, n;

    /* With a "required" list only those members: an optional one may
     * change what the client does (a tool's options), and strict schemas
     * list every member anyway. Without one, every member, as an example. */
    json_object_foreach(props, k, v) {
        if ((json_is_array(req) || depth >= SCHEMA_GEN_MAX_DEPTH) && !in_required(req, k))
            continue;
        json_object_set_new(out, k, gen(g, v, k, 0, depth + 1));
    }
    for (i = 0; i < json_array_size(req); i++) {
        const char *r = json_string_value(json_array_get(req, i));
        if (r && !json_object_get(out, r))
            json_object_set_new(out, r, gen(g, NULL, r, 0, depth + 1));
    }
    n = json_is_integer(min) ? (size_t)json_integer_value(min) : 0;
    for (i = 0; json_object_size(out) < n && i < MAX_ITEMS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "key_%zu", i + 1);
        json_object_set_new(out, key,
                            gen(g, json_object_get(s, "additionalProperties"), key, 0, depth + 1));
    }
    return out;
}

static json_t *gen_array(const struct gen *g, const json_t *s, const char *name, int depth)
{
    json_t *out = json_array(), *prefix = json_object_get(s, "prefixItems");
    json_t *items = json_object_get(s, "items"), *min = json_object_get(s, "minItems");
    json_t *max = json_object_get(s, "maxItems");
    size_t lo = json_is_integer(min) ? (size_t)json_integer_value(min) : 0;
    size_t hi = json_is_integer(max) ? (size_t)json_integer_value(max) : MAX_ITEMS;
    size_t n, i;

    if (hi > MAX_ITEMS)
        hi = MAX_ITEMS;
    /* One item reads like an example; fewer when the depth runs out. */
    n = lo > 1 ? lo : (depth >= SCHEMA_GEN_MAX_DEPTH ? lo : 1);
    if (json_array_size(prefix) > n)
        n = json_array_size(prefix);
    if (n > hi)
        n = hi;
    if (json_is_array(items)) /* draft 4 tuple form */
        prefix = items, items = NULL;
    for (i = 0; i < n; i++) {
        const json_t *is = i < json_array_size(prefix) ? json_array_get(prefix, i) : items;
        /* Distinct variants keep uniqueItems satisfied. */
        json_array_append_new(out, gen(g, is, name, (unsigned)i, depth + 1));
    }
    return out;
}

static json_t *gen(const struct gen *g, const json_t *s, const char *name, unsigned variant,
                   int depth)
{
    const json_t *en, *c;
    const char *type;

    if (depth > HARD_DEPTH)
        return json_null();
    s = deref(g, s);
    if (!json_is_object(s))
        return depth == 0 ? json_object() : gen_string(NULL, name, variant);
    if ((c = json_object_get(s, "const")))
        return json_deep_copy(c);
    en = json_object_get(s, "enum");
    if (json_is_array(en) && json_array_size(en)) {
        size_t i, n = json_array_size(en);
        for (i = 0; i < n; i++) { /* a non-null value, varied for uniqueItems */
            const json_t *e = json_array_get(en, (variant + i) % n);
            if (!json_is_null(e))
                return json_deep_copy(e);
        }
        return json_null();
    }
    if (json_is_array(json_object_get(s, "allOf"))) {
        json_t *m = merge_all_of(g, s), *out = gen(g, m, name, variant, depth + 1);
        json_decref(m);
        return out;
    }
    if (json_is_array(json_object_get(s, "anyOf")))
        return gen(g, pick_branch(g, json_object_get(s, "anyOf")), name, variant, depth + 1);
    if (json_is_array(json_object_get(s, "oneOf")))
        return gen(g, pick_branch(g, json_object_get(s, "oneOf")), name, variant, depth + 1);
    type = type_of(s);
    if (!variant && (c = json_object_get(s, "default")) && !json_is_null(c) &&
        !json_is_object(c) && !json_is_array(c))
        return json_deep_copy(c);
    if (strcmp(type, "object") == 0)
        return gen_object(g, s, depth);
    if (strcmp(type, "array") == 0)
        return gen_array(g, s, name, depth);
    if (strcmp(type, "integer") == 0)
        return gen_number(s, 1, variant);
    if (strcmp(type, "number") == 0)
        return gen_number(s, 0, variant);
    if (strcmp(type, "boolean") == 0)
        return json_boolean(variant % 2 == 0);
    if (strcmp(type, "null") == 0)
        return json_null();
    return gen_string(s, name, variant);
}

json_t *schema_gen(const json_t *schema, const char *name)
{
    struct gen g = {schema};

    return gen(&g, schema, name, 0, 0);
}
