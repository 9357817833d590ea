/* json_util: small jansson helpers used by server, client and tests. */
#ifndef RM_JSON_UTIL_H
#define RM_JSON_UTIL_H

#include <jansson.h>
#include <stddef.h>

#include "mock_error.h"

/* Compact one-line JSON text of 'v' (new allocation, free() it), keys in
 * insertion order, non-ASCII kept as UTF-8. NULL on OOM. */
char *json_util_dumps(const json_t *v);

struct buf;

/* Append to 'out' the text json_util_dumps makes of 'v', without an
 * allocation of its own. Returns 0, or -1 when 'out' is full. */
int json_util_dump_append(const json_t *v, struct buf *out);

/* Parse 'len' bytes; on failure fills 'err' with the position and returns NULL.
 * 'source' names the text in the error (a path, or NULL). New reference. */
json_t *json_util_loadb(const char *text, size_t len, const char *source,
                        struct mock_error *err);

/* Borrowed string member or NULL when absent or not a string. */
const char *json_util_str(const json_t *obj, const char *key);

/* True when 'array' (any value; not an array: false) has the string 's'. */
int json_util_has_string(const json_t *array, const char *s);

/* True when 'obj' has 'key' and it is JSON true. */
int json_util_true(const json_t *obj, const char *key);

/* A copy of object 'obj' with "type" first (when it has one) and its other
 * keys in byte order, as the real API writes events, tools and parts. New
 * reference, members shared; NULL when out of memory. */
json_t *json_util_type_first(const json_t *obj);

/* The heap bytes 'v' takes (jansson's structures as glibc malloc rounds
 * them: a 16-byte header, 32 bytes at least, 16-byte steps), counted once
 * per reference: a value shared twice counts twice. For byte limits that
 * must follow real memory, not the size of the JSON text. 0 for NULL and
 * the true/false/null singletons. */
size_t json_util_heap_bytes(const json_t *v);


/* Find where the value at 'path' starts in the JSON 'text'. 'path' is a
 * sequence of ".key" and "[index]" segments ("" is the whole document), e.g.
 * "[1].match.model". Sets 1-based 'line' and 'column' and returns 0, or -1
 * when the path is not in the text (then line/column point at the deepest
 * part found). Used to give fixture problems a file:line:column. */
int json_util_locate(const char *text, size_t len, const char *path, int *line, int *column);

#endif
