/* scrub: what never reaches a disk or a log, for server and client alike.
 *
 * Secret headers (Authorization, cookies, API keys, the organization and
 * project headers, respmock's admin token) are named once here. Text is
 * scrubbed of the built-in shapes (sk-/sess-/rk- API keys of 12+ key
 * characters, "Bearer <token>", e-mail addresses), then of every POSIX
 * extended regular expression a user adds (--redact); every match becomes
 * "[redacted]". */
#ifndef RM_SCRUB_H
#define RM_SCRUB_H

#include <regex.h>
#include <stddef.h>

#define RM_REDACTED "[redacted]"
#define RM_MAX_REDACT_PATTERNS 32 /* user patterns (--redact repeats) */
#define RM_MAX_REDACT_TEXT (128u * 1024 * 1024) /* one scrubbed text (a recorded stream) */

/* Whether header 'name' is one of 'names' (NULL-terminated), in any case. */
int header_name_in(const char *name, const char *const *names);

/* Whether request or reply header 'name' (any case) carries a secret. */
int redact_header_is_secret(const char *name);

/* Copy 'url' into 'out' without user:password@ credentials, query string or
 * fragment, and without a trailing '/'. Returns 'out'. */
const char *scrub_url(const char *url, char *out, size_t n);

/* The user's compiled patterns; the built-in shapes are scanned without
 * regular expressions (in linear time). */
struct redactor {
    regex_t re[RM_MAX_REDACT_PATTERNS];
    size_t n;
};

/* Compile the user's patterns 'extra' (NULL-terminated, may be NULL).
 * Returns 0, or -1 with a message naming the bad pattern in 'err'. */
int redactor_init(struct redactor *r, const char *const *extra, char *err, size_t err_len);

void redactor_release(struct redactor *r);

/* A copy of 'len' bytes of 'text' with every match of every pattern
 * replaced by RM_REDACTED (free() it; '*out_len' gets its length, may be
 * NULL). Embedded NUL bytes end the text. NULL on OOM. */
char *redactor_scrub(const struct redactor *r, const char *text, size_t len, size_t *out_len);

#endif
