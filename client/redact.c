/* redact: fingerprints and scrubbing of secrets (see redact.h).
 * Pure string functions; the scrubber is the last step before any byte is written. */
#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "client_limits.h"
#include "scrub.h"

#define REDACTED "[redacted]"

const char *redact_fingerprint(const char *key, char *out, size_t n)
{
    size_t len = key ? strlen(key) : 0;
    const char *dash;
    size_t prefix = 0;

    if (!n)
        return out;
    if (len == 0) {
        snprintf(out, n, "(none)");
        return out;
    }
    if (len < 16) {
        snprintf(out, n, "\xe2\x80\xa6 (%zu chars)", len);
        return out;
    }
    dash = memchr(key, '-', len < 8 ? len : 8);
    if (dash)
        prefix = (size_t)(dash - key) + 1;
    snprintf(out, n, "%.*s\xe2\x80\xa6%s", (int)prefix, key, key + len - 4);
    return out;
}

/* Length of the token starting at 'p' (stops at space, quote and separators). */
static size_t token_len(const char *p)
{
    size_t i = 0;

    while (p[i] && !isspace((unsigned char)p[i]) && !strchr("\"'<>,;&|\\", p[i]))
        i++;
    return i;
}

static int is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Length of the run of key characters [A-Za-z0-9_-] starting at 'p'. */
static size_t word_len(const char *p)
{
    size_t i = 0;

    while (is_word(p[i]))
        i++;
    return i;
}

char *redact_scrub(const char *text, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    struct buf out;
    const char *p = text;

    buf_init(&out, SMOKE_MAX_REPORT * 2);
    if (slen < 4)
        slen = 0;
    while (*p) {
        if (slen && strncmp(p, secret, slen) == 0) {
            if (buf_append_str(&out, REDACTED))
                goto out_oom;
            p += slen;
            continue;
        }
        if (strncasecmp(p, "bearer ", 7) == 0 && (p == text || !is_word(p[-1]))) {
            size_t t = token_len(p + 7);
            if (t > 0) {
                if (buf_append(&out, p, 7) || buf_append_str(&out, REDACTED))
                    goto out_oom;
                p += 7 + t;
                continue;
            }
        }
        if (strncmp(p, "sk-", 3) == 0 && (p == text || !is_word(p[-1])) && word_len(p) >= 12) {
            if (buf_append_str(&out, REDACTED))
                goto out_oom;
            p += word_len(p);
            continue;
        }
        if (buf_append(&out, p, 1))
            goto out_oom;
        p++;
    }
    return buf_take(&out, NULL);

out_oom:
    buf_release(&out);
    return NULL;
}

const char *redact_url(const char *url, char *out, size_t n)
{
    return scrub_url(url, out, n); /* shared with the server's recorder */
}

const char *redact_token(const char *in, char *out, size_t n)
{
    size_t i, max, len;

    if (!n)
        return out;
    if (!in) {
        snprintf(out, n, "null");
        return out;
    }
    if (!in[0]) {
        snprintf(out, n, "\"\"");
        return out;
    }
    max = n - 1 < SMOKE_TOKEN_MAX ? n - 1 : SMOKE_TOKEN_MAX;
    len = strlen(in);
    for (i = 0; i < len && i < max; i++) {
        char c = in[i];
        out[i] = (isalnum((unsigned char)c) || strchr("._-:/", c)) ? c : '?';
    }
    out[i] = '\0';
    if (len > max && max >= 3)
        memcpy(out + max - 3, "...", 4);
    return out;
}
