/* buf: a growable byte buffer with a hard maximum.
 *
 * Every buffer in respmock is created with a limit (see server/limits.h);
 * appending past it fails with -1 and leaves the buffer as it was, so nothing
 * is ever truncated silently. The contents are always NUL-terminated. */
#ifndef RM_BUF_H
#define RM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;  /* NUL-terminated contents, NULL until the first append */
    size_t len;  /* bytes used, not counting the NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* most bytes 'len' may reach */
};

/* Prepare an empty buffer that may grow to 'max' bytes. */
void buf_init(struct buf *b, size_t max);

/* Append 'n' bytes of 'p'. Returns 0, or -1 when over the limit or out of memory. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. Returns 0 or -1 as buf_append. */
int buf_append_str(struct buf *b, const char *s);

/* Append printf-style text. Returns 0 or -1 as buf_append. */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy at most 'size' - 1 bytes of the 'len' bytes at 'src' into 'dst' and
 * NUL-terminate it ('size' > 0): snprintf(dst, size, "%.*s", len, src)
 * without the format parsing, for copies on every request's path. Returns
 * the bytes copied. */
size_t str_copy(char *dst, size_t size, const char *src, size_t len);

/* The decimal digits of 'v' at 'dst' (room for 21 bytes), NUL-terminated.
 * Returns their count. */
size_t str_of_u64(char *dst, unsigned long long v);

/* The same for a signed 'v' ('-' first when negative; room for 21 bytes). */
size_t str_of_i64(char *dst, long long v);

/* The value of the hex digit 'c' (either case), or -1. */
int hex_digit(unsigned char c);

/* The length of the well-formed UTF-8 sequence (RFC 3629, the rules jansson
 * applies: no overlong forms, no surrogates, nothing above U+10FFFF) that
 * starts at 's' within its 'avail' bytes: 1 for ASCII, 0 when there is none. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* The length of the longest prefix of the 'len' bytes at 's' of at most
 * 'max' bytes that does not cut a UTF-8 sequence ('len' when it fits). */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Hand the contents to the caller (free() them); the buffer is left empty.
 * Returns an empty allocated string when nothing was appended, NULL on OOM.
 * When 'len' is non-NULL it receives the length. */
char *buf_take(struct buf *b, size_t *len);

/* Forget the contents but keep the limit. */
void buf_reset(struct buf *b);

/* Free the contents; accepts a buffer that was never appended to. */
void buf_release(struct buf *b);

#endif
