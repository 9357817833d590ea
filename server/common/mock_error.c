/* mock_error: located error messages (see mock_error.h). */
#include "mock_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mock_error_clear(struct mock_error *err)
{
    memset(err, 0, sizeof(*err));
}

void mock_error_set(struct mock_error *err, const char *file, int line, int column,
                    const char *fmt, ...)
{
    va_list ap;

    if (!err || err->set)
        return;
    err->set = 1;
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    err->column = column;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
}

const char *mock_error_format(const struct mock_error *err, char *out, unsigned n)
{
    if (!err->file[0])
        snprintf(out, n, "%s", err->text);
    else if (err->line > 0)
        snprintf(out, n, "%s:%d:%d: %s", err->file, err->line, err->column, err->text);
    else
        snprintf(out, n, "%s: %s", err->file, err->text);
    return out;
}
