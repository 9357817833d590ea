/* mock_error: an error message with the place it refers to.
 *
 * Fixture problems are reported as "file:line:column: message" (jansson
 * gives the position); other errors leave 'file' empty. The first error set
 * is kept, later ones are ignored, so the root cause is what gets printed. */
#ifndef RM_MOCK_ERROR_H
#define RM_MOCK_ERROR_H

#define MOCK_ERROR_FILE_MAX 512
#define MOCK_ERROR_TEXT_MAX 320

struct mock_error {
    int set;                          /* 0 until the first mock_error_set */
    char file[MOCK_ERROR_FILE_MAX];   /* path, "" when not about a file */
    int line;                         /* 1-based, 0 when unknown */
    int column;                       /* 1-based, 0 when unknown */
    char text[MOCK_ERROR_TEXT_MAX];   /* lower-case, no final full stop */
};

void mock_error_clear(struct mock_error *err);

/* Record an error unless one is already recorded. 'err' may be NULL. */
void mock_error_set(struct mock_error *err, const char *file, int line, int column,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Format as "file:line:column: text" (parts that are unknown are left out)
 * into 'out' of 'n' bytes; returns 'out'. */
const char *mock_error_format(const struct mock_error *err, char *out, unsigned n);

#endif
