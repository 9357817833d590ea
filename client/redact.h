/* redact: keep secrets and personal data out of everything respsmoke writes.
 *
 * The API key is shown at most as a fingerprint ("sk-…9f2c"); every rendered
 * output is scrubbed of the key, "Bearer <token>" values and sk-style tokens
 * before it leaves the process; URLs lose credentials and query strings; text
 * chosen by the server (error types, event names) is reduced to a safe token. */
#ifndef RS_REDACT_H
#define RS_REDACT_H

#include <stddef.h>

/* Write a fingerprint of 'key' into 'out' ('n' bytes): the key's prefix up to
 * its first '-' (when that is within the first 8 characters), "…" and its last
 * four characters. Keys shorter than 16 characters get "…" and their length
 * only. NULL or "" gives "(none)". Returns 'out'. */
const char *redact_fingerprint(const char *key, char *out, size_t n);

/* Return a new copy of 'text' (free() it; NULL on OOM) in which every
 * occurrence of 'secret' (ignored when NULL or shorter than 4 bytes), the
 * token after "Bearer " and every "sk-" token of 12+ key characters ([A-Za-z0-9_-]) are replaced by
 * "[redacted]". */
char *redact_scrub(const char *text, const char *secret);

/* Copy 'url' into 'out' without user:password@ credentials, query string or
 * fragment, and without a trailing '/'. Returns 'out'. */
const char *redact_url(const char *url, char *out, size_t n);

/* Copy server-chosen text 'in' as a printable token: letters, digits and
 * ". _ - : /" are kept, anything else becomes '?', and text longer than
 * SMOKE_TOKEN_MAX (or 'n' - 1) ends in "...". NULL gives "null". Returns 'out'. */
const char *redact_token(const char *in, char *out, size_t n);

#endif
