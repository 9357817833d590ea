/* notes: the run's free-text remarks (gateway variants, tolerated quirks,
 * how the model was chosen), joined into the record's single "notes" line.
 *
 * Notes are deduplicated and bounded by SMOKE_MAX_NOTES; callers pass only
 * sanitized tokens (see redact.h), never bodies or keys. */
#ifndef RS_NOTES_H
#define RS_NOTES_H

#include <stddef.h>

#include "buf.h"

struct notes {
    struct buf text;  /* entries joined by "; " */
    size_t count;     /* entries kept */
    size_t dropped;   /* entries that did not fit */
};

/* Prepare an empty list. */
void notes_init(struct notes *n);

/* Add one printf-style entry unless an identical entry is already there.
 * An entry that does not fit is counted in 'dropped'. */
void notes_add(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The joined entries (borrowed), "none" when empty. */
const char *notes_text(const struct notes *n);

/* Free the entries; accepts a list that was never added to. */
void notes_release(struct notes *n);

#endif
