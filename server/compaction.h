/* compaction: the opaque encrypted_content of a compaction item.
 *
 * POST /v1/responses/compact (and a compaction_trigger input item) answers
 * with one compaction item standing for the conversation so far. Its
 * encrypted_content looks like the real API's (a "gAAAAAB" token of
 * base64) and carries the compacted text, so that a later request that
 * sends the item back is matched (input_contains, ...) and counted as if
 * the conversation were still there. Content respmock did not make is
 * accepted and stands for nothing. */
#ifndef RM_COMPACTION_H
#define RM_COMPACTION_H

#include <stddef.h>

#include "buf.h"

/* The encrypted_content standing for 'text' ('len' bytes; at most
 * RM_MAX_COMPACTION_TEXT of it are kept), appended to 'out'. Returns 0 or
 * -1 (out of memory / over the buffer's limit). */
int compaction_encode(const char *text, size_t len, struct buf *out);

/* The text that encrypted_content 'blob' stands for, appended to 'out'.
 * Returns 1 when 'blob' was made by compaction_encode, 0 when it is
 * someone else's (nothing appended), -1 on out of memory. */
int compaction_decode(const char *blob, size_t len, struct buf *out);

#endif
