/* scrub: secret headers and pattern scrubbing (see scrub.h). Pure
 * functions over strings; the compiled patterns are read-only once built,
 * so one redactor serves every thread (regexec is thread-safe). */
#include "scrub.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* Headers whose values are never kept. */
static const char *const secret_headers[] = {
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    "openai-organization", "openai-project", "x-respmock-admin-token", NULL};

/* The built-in patterns are scanned by hand, in one linear pass: as POSIX
 * regular expressions the e-mail one (a leading character class that
 * matches almost any text) is quadratic in the length of a run of word
 * characters, and recorded answers can hold megabytes of them. */
#define KEY_MIN 12   /* characters after "sk-" that make an API key */
#define TOKEN_MIN 8  /* characters after "Bearer " that make a token */
#define LOCAL_MAX 64 /* characters of an e-mail address's local part */

static int is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static int is_token_char(char c)
{
    return c && (isalnum((unsigned char)c) || strchr("._~+/=-", c)); /* strchr finds the NUL */
}

static int is_local_char(char c)
{
    return c && (isalnum((unsigned char)c) || strchr("._%+-", c));
}

/* Length of an API key (sk-, sess-, rk- and 12+ key characters) at 'p', or 0. */
static size_t key_at(const char *start, const char *p)
{
    static const char *const prefixes[] = {"sk-", "sess-", "rk-", NULL};
    const char *const *x;
    size_t n = 0;

    if (p > start && is_key_char(p[-1]))
        return 0;
    for (x = prefixes; *x; x++)
        if (!strncmp(p, *x, strlen(*x))) {
            n = strlen(*x);
            break;
        }
    if (!n)
        return 0;
    while (is_key_char(p[n]))
        n++;
    return n - strlen(*x) >= KEY_MIN ? n : 0;
}

/* Length of "Bearer <token>" at 'p', or 0. */
static size_t bearer_at(const char *p)
{
    size_t n = 7;

    if (strncmp(p, "Bearer ", 7) != 0 && strncmp(p, "bearer ", 7) != 0)
        return 0;
    while (is_token_char(p[n]))
        n++;
    return n - 7 >= TOKEN_MIN ? n : 0;
}

/* The domain of an address after '@' at 'p': labels of [A-Za-z0-9-] joined
 * by dots, the last one 2+ letters (a top-level domain). Its longest
 * length, or 0. */
static size_t domain_at(const char *p)
{
    size_t n, end = 0, label = 0;
    int dots = 0, alpha = 1;

    for (n = 0; p[n]; n++) {
        if (p[n] == '.') {
            if (!label)
                break; /* an empty label ends it */
            dots++;
            label = 0;
            alpha = 1;
            continue;
        }
        if (!isalnum((unsigned char)p[n]) && p[n] != '-')
            break;
        label++;
        alpha = alpha && isalpha((unsigned char)p[n]);
        if (dots && alpha && label >= 2)
            end = n + 1;
    }
    return end;
}

/* Scrub the built-in shapes from 'text' into 'out'. Returns 0 or -1 (OOM). */
static int scrub_builtin(const char *text, struct buf *out)
{
    const char *p = text, *kept = text;

    while (*p) {
        size_t n = key_at(text, p);

        if (!n)
            n = bearer_at(p);
        if (n) {
            if (buf_append(out, kept, (size_t)(p - kept)) || buf_append_str(out, RM_REDACTED))
                return -1;
            p += n;
            kept = p;
            continue;
        }
        if (*p == '@' && p > kept && is_local_char(p[-1]) && (n = domain_at(p + 1))) {
            const char *local = p;

            while (local > kept && p - local < LOCAL_MAX && is_local_char(local[-1]))
                local--;
            if (buf_append(out, kept, (size_t)(local - kept)) || buf_append_str(out, RM_REDACTED))
                return -1;
            p += 1 + n;
            kept = p;
            continue;
        }
        p++;
    }
    return buf_append_str(out, kept);
}

int header_name_in(const char *name, const char *const *names)
{
    const char *const *s;

    /* The first letters first: a request's few headers are looked up in
     * these lists for every journal entry. */
    for (s = names; *s; s++)
        if (tolower((unsigned char)**s) == tolower((unsigned char)*name) &&
            strcasecmp(*s, name) == 0)
            return 1;
    return 0;
}

int redact_header_is_secret(const char *name)
{
    return header_name_in(name, secret_headers);
}

const char *scrub_url(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL, *q;
    size_t pathlen;
    int w;

    if (!n)
        return out;
    /* the credentials end at the last '@' of the authority: a password may hold a raw '@' */
    for (q = host; q < end; q++)
        if (*q == '@')
            at = q;
    w = snprintf(out, n, "%.*s", (int)(host - url), url); /* the scheme */
    if (w < 0 || (size_t)w >= n)
        return out;
    if (at)
        host = at + 1;
    pathlen = strcspn(host, "?#");
    while (pathlen > 0 && host[pathlen - 1] == '/')
        pathlen--;
    snprintf(out + w, n - (size_t)w, "%.*s", (int)pathlen, host);
    return out;
}

static int add_pattern(struct redactor *r, const char *pattern, char *err, size_t err_len)
{
    int e;

    if (r->n >= sizeof(r->re) / sizeof(r->re[0])) {
        snprintf(err, err_len, "more than %d redaction patterns", RM_MAX_REDACT_PATTERNS);
        return -1;
    }
    e = regcomp(&r->re[r->n], pattern, REG_EXTENDED);
    if (e != 0) {
        char msg[128];

        regerror(e, &r->re[r->n], msg, sizeof(msg));
        regfree(&r->re[r->n]);
        snprintf(err, err_len, "redaction pattern '%.100s': %s", pattern, msg);
        return -1;
    }
    r->n++;
    return 0;
}

int redactor_init(struct redactor *r, const char *const *extra, char *err, size_t err_len)
{
    const char *const *p;

    memset(r, 0, sizeof(*r));
    for (p = extra; p && *p; p++)
        if (!**p || add_pattern(r, *p, err, err_len) != 0) {
            if (!**p)
                snprintf(err, err_len, "an empty redaction pattern");
            goto fail;
        }
    return 0;
fail:
    redactor_release(r);
    return -1;
}

void redactor_release(struct redactor *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        regfree(&r->re[i]);
    r->n = 0;
}

/* One pass of pattern 're' over 'text' into a new string. */
static char *scrub_one(const regex_t *re, const char *text, size_t *len)
{
    struct buf out;
    const char *p = text;
    regmatch_t m;
    int flags = 0;

    buf_init(&out, RM_MAX_REDACT_TEXT);
    while (*p && regexec(re, p, 1, &m, flags) == 0) {
        if (m.rm_eo == m.rm_so) { /* an empty match: keep one byte, go on */
            if (buf_append(&out, p, 1))
                goto oom;
            p++;
        } else if (buf_append(&out, p, (size_t)m.rm_so) || buf_append_str(&out, RM_REDACTED)) {
            goto oom;
        } else {
            p += m.rm_eo;
        }
        flags = REG_NOTBOL;
    }
    if (buf_append_str(&out, p))
        goto oom;
    return buf_take(&out, len);
oom:
    buf_release(&out);
    return NULL;
}

char *redactor_scrub(const struct redactor *r, const char *text, size_t len, size_t *out_len)
{
    char *copy = strndup(text ? text : "", len), *cur = NULL;
    size_t i, n = 0;
    struct buf b;

    buf_init(&b, RM_MAX_REDACT_TEXT);
    if (copy && scrub_builtin(copy, &b) == 0)
        cur = buf_take(&b, &n);
    buf_release(&b);
    free(copy);
    for (i = 0; cur && i < r->n; i++) {
        char *next = scrub_one(&r->re[i], cur, &n);

        free(cur);
        cur = next;
    }
    if (cur && out_len)
        *out_len = n;
    return cur;
}
