/* json_read: JSON text to jansson values, scanned in place (json_read.h). */
#include "json_read.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A number token longer than this is copied to the heap to be converted. */
#define NUMBER_STACK 64

struct reader {
    const unsigned char *p;   /* the next byte */
    const unsigned char *end; /* one past the last */
    unsigned depth;           /* values open, the one being read included */
};

static json_t *read_value(struct reader *r);

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The four hex digits at 'p' (known to be there). */
static uint32_t hex4(const unsigned char *p)
{
    return (uint32_t)(hex_digit(p[0]) << 12 | hex_digit(p[1]) << 8 | hex_digit(p[2]) << 4 |
                      hex_digit(p[3]));
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escapes of the raw string body 'raw' (its 'n' bytes checked by
 * read_string) decoded into 'out' (room for 'n' bytes: no escape grows).
 * Returns the length, or (size_t)-1 for \u0000 or an unpaired surrogate. */
static size_t unescape(const unsigned char *raw, size_t n, char *out)
{
    const unsigned char *p = raw, *end = raw + n;
    size_t o = 0;

    while (p < end) {
        uint32_t cp;

        if (*p != '\\') {
            out[o++] = (char)*p++;
            continue;
        }
        if (p[1] != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

            out[o++] = to[strchr(from, p[1]) - from];
            p += 2;
            continue;
        }
        cp = hex4(p + 2);
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;

            if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                return (size_t)-1;
            low = hex4(p + 2);
            if (low < 0xDC00 || low > 0xDFFF)
                return (size_t)-1;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            return (size_t)-1;
        }
        o += put_utf8(out + o, cp);
    }
    return o;
}

/* The string whose opening quote is at r->p: '*s' and '*n' its text, in
 * the input itself or, when it has escapes, in '*owned' (free it). */
static int read_string(struct reader *r, const char **s, size_t *n, char **owned)
{
    const unsigned char *start = r->p + 1, *q = start;
    int escaped = 0;

    *owned = NULL;
    for (;;) {
        if (q >= r->end || *q < 0x20)
            return -1;
        if (*q == '"')
            break;
        if (*q == '\\') {
            if (r->end - q < 2)
                return -1;
            if (q[1] == 'u') {
                int i;

                if (r->end - q < 6)
                    return -1;
                for (i = 2; i < 6; i++)
                    if (hex_digit(q[i]) < 0)
                        return -1;
                q += 6;
            } else if (q[1] && strchr("\"\\/bfnrt", q[1])) {
                q += 2;
            } else {
                return -1;
            }
            escaped = 1;
        } else if (*q >= 0x80) {
            size_t k = utf8_seq_len(q, (size_t)(r->end - q));

            if (!k)
                return -1;
            q += k;
        } else {
            q++;
        }
    }
    r->p = q + 1;
    if (!escaped) {
        *s = (const char *)start;
        *n = (size_t)(q - start);
        return 0;
    }
    if (!(*owned = malloc((size_t)(q - start) + 1)))
        return -1;
    *n = unescape(start, (size_t)(q - start), *owned);
    if (*n == (size_t)-1) {
        free(*owned);
        *owned = NULL;
        return -1;
    }
    *s = *owned;
    return 0;
}

static json_t *read_number(struct reader *r)
{
    const unsigned char *start = r->p, *q = r->p;
    char stack[NUMBER_STACK], *text = stack;
    int integer;
    size_t len;
    json_t *v = NULL;

    if (*q == '-')
        q++;
    if (q < r->end && *q == '0') {
        q++;
        if (q < r->end && is_digit(*q))
            return NULL;
    } else if (q < r->end && is_digit(*q)) {
        while (q < r->end && is_digit(*q))
            q++;
    } else {
        return NULL;
    }
    integer = !(q < r->end && (*q == '.' || *q == 'e' || *q == 'E'));
    if (!integer && *q == '.') {
        if (++q >= r->end || !is_digit(*q))
            return NULL;
        while (q < r->end && is_digit(*q))
            q++;
    }
    if (!integer && q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || !is_digit(*q))
            return NULL;
        while (q < r->end && is_digit(*q))
            q++;
    }
    len = (size_t)(q - start);
    if (len >= sizeof(stack) && !(text = malloc(len + 1)))
        return NULL;
    memcpy(text, start, len);
    text[len] = '\0';
    errno = 0;
    if (integer) {
#if JSON_INTEGER_IS_LONG_LONG
        json_int_t i = strtoll(text, NULL, 10);
#else
        json_int_t i = strtol(text, NULL, 10);
#endif
        if (errno != ERANGE)
            v = json_integer(i);
    } else {
        double d = strtod(text, NULL);

        if (!((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
            v = json_real(d);
    }
    if (text != stack)
        free(text);
    r->p = q;
    return v;
}

static json_t *read_literal(struct reader *r)
{
    const unsigned char *q = r->p;
    size_t n;

    while (q < r->end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
        q++;
    n = (size_t)(q - r->p);
    if (n == 4 && !memcmp(r->p, "true", 4)) {
        r->p = q;
        return json_true();
    }
    if (n == 5 && !memcmp(r->p, "false", 5)) {
        r->p = q;
        return json_false();
    }
    if (n == 4 && !memcmp(r->p, "null", 4)) {
        r->p = q;
        return json_null();
    }
    return NULL;
}

/* At the opening bracket of an object or array: step past it; 1 when
 * 'close' follows at once (an empty one, stepped past too), else 0. */
static int opens_empty(struct reader *r, unsigned char close)
{
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 1;
    }
    return 0;
}

/* After a member of an object or array: 1 at a ',' (another follows), 0 at
 * 'close' (the end), -1 at anything else. */
static int after_member(struct reader *r, unsigned char close)
{
    skip_space(r);
    if (r->p < r->end && (*r->p == ',' || *r->p == close))
        return *r->p++ == ',';
    return -1;
}

static json_t *read_object(struct reader *r)
{
    json_t *obj = json_object();
    int rc = -1;

    if (opens_empty(r, '}'))
        return obj;
    while (obj) {
        const char *key;
        size_t key_len;
        char *owned;
        json_t *v = NULL;

        skip_space(r);
        if (r->p >= r->end || *r->p != '"' || read_string(r, &key, &key_len, &owned) != 0)
            break;
        skip_space(r);
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            skip_space(r);
            v = read_value(r);
        }
        /* A repeated key replaces the value in its place, as json_loadb does. */
        rc = v && json_object_setn_new_nocheck(obj, key, key_len, v) == 0 ? 1 : -1;
        free(owned);
        if (rc < 0 || (rc = after_member(r, '}')) <= 0)
            break;
    }
    if (rc == 0)
        return obj;
    json_decref(obj);
    return NULL;
}

static json_t *read_array(struct reader *r)
{
    json_t *arr = json_array();
    int rc = -1;

    if (opens_empty(r, ']'))
        return arr;
    while (arr) {
        json_t *v;

        skip_space(r);
        if (!(v = read_value(r)) || json_array_append_new(arr, v) != 0) {
            rc = -1;
            break;
        }
        if ((rc = after_member(r, ']')) <= 0)
            break;
    }
    if (rc == 0)
        return arr;
    json_decref(arr);
    return NULL;
}

/* The value at r->p (no space before it). Every value counts towards the
 * depth, as in json_loadb. */
static json_t *read_value(struct reader *r)
{
    json_t *v = NULL;

    if (++r->depth > RM_JSON_MAX_DEPTH || r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        v = read_object(r);
        break;
    case '[':
        v = read_array(r);
        break;
    case '"': {
        const char *s;
        size_t n;
        char *owned;

        if (read_string(r, &s, &n, &owned) == 0)
            v = json_stringn_nocheck(s, n);
        free(owned);
        break;
    }
    default:
        if (*r->p == '-' || is_digit(*r->p))
            v = read_number(r);
        else
            v = read_literal(r);
    }
    if (v)
        r->depth--;
    return v;
}

json_t *json_read(const char *buf, size_t len)
{
    struct reader r = {(const unsigned char *)buf, (const unsigned char *)buf + len, 0};
    json_t *v;

    if (!buf)
        return NULL;
    skip_space(&r);
    v = read_value(&r);
    skip_space(&r);
    if (v && r.p != r.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}
