/* notes: deduplicated, bounded remarks of a run (see notes.h).
 * Entries live in one bounded buffer joined by "; "; nothing is allocated per entry. */
#include "notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client_limits.h"

void notes_init(struct notes *n)
{
    buf_init(&n->text, SMOKE_MAX_NOTES);
    n->count = 0;
    n->dropped = 0;
}

/* True when 'entry' is already one of the "; "-separated entries. */
static int notes_has(const struct notes *n, const char *entry)
{
    size_t len = strlen(entry);
    const char *p = n->text.data;

    while (p && (p = strstr(p, entry)) != NULL) {
        int starts = (p == n->text.data) || (p >= n->text.data + 2 && p[-2] == ';');
        int ends = p[len] == '\0' || p[len] == ';';
        if (starts && ends)
            return 1;
        p += len;
    }
    return 0;
}

void notes_add(struct notes *n, const char *fmt, ...)
{
    char entry[512];
    va_list ap;
    size_t mark = n->text.len;

    va_start(ap, fmt);
    vsnprintf(entry, sizeof(entry), fmt, ap);
    va_end(ap);
    if (!entry[0] || notes_has(n, entry))
        return;
    if ((n->count && buf_append_str(&n->text, "; ")) || buf_append_str(&n->text, entry)) {
        n->text.len = mark;
        if (n->text.data)
            n->text.data[mark] = '\0';
        n->dropped++;
        return;
    }
    n->count++;
}

const char *notes_text(const struct notes *n)
{
    return (n->count && n->text.data) ? n->text.data : "none";
}

void notes_release(struct notes *n)
{
    buf_release(&n->text);
    n->count = 0;
    n->dropped = 0;
}
