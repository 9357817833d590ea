/* scrub: secret headers and pattern scrubbing (see scrub.h). Pure
 * functions over strings; the compiled patterns are read-only once built,
 * so one redactor serves every thread (regexec is thread-safe). */
#include "scrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* Headers whose values are never kept. */
static const char *const secret_headers[] = {
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    "openai-organization", "openai-project", "x-respmock-admin-token", NULL};

/* API-key shapes (sk-..., sk-proj-..., sess-...), bearer tokens, e-mail addresses. */
static const char *const builtin_patterns[] = {
    "(sk|sess|rk)-[A-Za-z0-9_-]{12,}",
    "[Bb]earer [A-Za-z0-9._~+/=-]{8,}",
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", NULL};

int redact_header_is_secret(const char *name)
{
    const char *const *s;

    for (s = secret_headers; *s; s++)
        if (strcasecmp(*s, name) == 0)
            return 1;
    return 0;
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
    for (p = builtin_patterns; *p; p++)
        if (add_pattern(r, *p, err, err_len) != 0)
            goto fail;
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
    char *cur = strndup(text ? text : "", len);
    size_t i, n = cur ? strlen(cur) : 0;

    for (i = 0; cur && i < r->n; i++) {
        char *next = scrub_one(&r->re[i], cur, &n);

        free(cur);
        cur = next;
    }
    if (cur && out_len)
        *out_len = n;
    return cur;
}
