/* json_read: request bodies read into jansson values without jansson's
 * lexer.
 *
 * jansson's json_loadb reads its input one byte at a time through a
 * callback and copies every token into a buffer before looking at it; for
 * the small bodies of most requests that is most of what reading one
 * costs. json_read scans the bytes in place and builds the same values
 * with jansson's own constructors.
 *
 * It accepts what json_loadb(buf, len, JSON_DECODE_ANY, NULL) accepts, and
 * gives an equal value with the same key order: RFC 8259 JSON in valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), no \u0000, no unpaired surrogate escape, integers within
 * json_int_t, reals that do not overflow, at most RM_JSON_MAX_DEPTH nested
 * values, a later duplicate key replacing the earlier value in its place.
 * One difference, on purpose: a NUL byte is never JSON, and json_read
 * refuses it everywhere, where jansson 2.14 skips one right after a number
 * or a literal (its lexer puts the byte back, then takes the NUL in its
 * one-character buffer for "no byte"), so "[1\0]" was [1].
 * tests/server/test_json_read.c and the fuzz_json target compare the two on
 * every input they make. */
#ifndef RESPMOCK_JSON_READ_H
#define RESPMOCK_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/* jansson's own limit: a value nested deeper is refused. */
#define RM_JSON_MAX_DEPTH JSON_PARSER_MAX_DEPTH

/* The value of the 'len' bytes at 'buf' (a new reference), or NULL when
 * they are not one JSON value (or memory ran out). */
json_t *json_read(const char *buf, size_t len);

#endif
