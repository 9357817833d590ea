/* Tests for server/logbuf.c: lines keep their order, a line written at once
 * comes after the ones that wait, a full buffer is written before it would
 * overflow, waiting lines reach the file on their own (the thread), and
 * freeing writes what is left. The file is read back; nothing is timed (a
 * line written on time is waited for, up to 10 s). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "logbuf.h"
#include "test_support.h"

/* A temporary file, open for writing and reading. */
static int temp_fd(char *path)
{
    int fd;

    strcpy(path, "/tmp/rm-logbuf-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    return fd;
}

/* What 'fd' holds so far (NUL-terminated, to be freed). */
static char *contents(int fd)
{
    off_t end = lseek(fd, 0, SEEK_END);
    char *p = malloc((size_t)end + 1);
    ssize_t n;

    ck_assert_ptr_nonnull(p);
    n = pread(fd, p, (size_t)end, 0);
    ck_assert_int_eq(n, end);
    p[n] = '\0';
    return p;
}

static void add(struct logbuf *b, const char *line, int at_once)
{
    logbuf_add(b, line, strlen(line), at_once);
}

/* 'fd' holds exactly 'want'. */
static void expect(int fd, const char *want)
{
    char *text = contents(fd);

    ck_assert_str_eq(text, want);
    free(text);
}

/* Wait (up to 10 s) until 'fd' holds 'needle', then check it holds 'want'. */
static void expect_soon(int fd, const char *needle, const char *want)
{
    char *text = NULL;
    int i;

    for (i = 0; i < 10000; i++) {
        free(text);
        text = contents(fd);
        if (strstr(text, needle))
            break;
        usleep(1000);
    }
    ck_assert_str_eq(text, want);
    free(text);
}

/* A buffer writing into a fresh temporary file 'fd'. */
static struct logbuf *new_logbuf(int *fd)
{
    char path[32];
    struct logbuf *b;

    *fd = temp_fd(path);
    b = logbuf_new(*fd);
    ck_assert_ptr_nonnull(b);
    return b;
}

START_TEST(order_kept_and_errors_at_once)
{
    int fd;
    struct logbuf *b = new_logbuf(&fd);

    add(b, "info one\n", 0);
    add(b, "info two\n", 0);
    add(b, "error three\n", 1);
    /* written when logbuf_add returned, after the lines that waited */
    expect(fd, "info one\ninfo two\nerror three\n");
    add(b, "info four\n", 0);
    logbuf_free(b);
    expect(fd, "info one\ninfo two\nerror three\ninfo four\n");
    close(fd);
}
END_TEST

START_TEST(waiting_lines_are_written_by_the_thread)
{
    int fd;
    struct logbuf *b = new_logbuf(&fd);

    add(b, "info alone\n", 0);
    expect_soon(fd, "alone", "info alone\n");
    /* and again after the thread went back to sleep */
    add(b, "info later\n", 0);
    expect_soon(fd, "later", "info alone\ninfo later\n");
    logbuf_free(b);
    close(fd);
}
END_TEST

START_TEST(full_buffer_written_before_it_overflows)
{
    char line[101], *text, *big;
    int fd;
    size_t i, n = RM_LOG_BUFFER / 100 + 1, count = 0;
    struct logbuf *b = new_logbuf(&fd);
    const char *p;

    memset(line, 'x', 99);
    line[99] = '\n';
    line[100] = '\0';
    for (i = 0; i < n; i++)
        add(b, line, 0);
    /* the last line did not fit: the ones before it are in the file */
    text = contents(fd);
    ck_assert_uint_eq(strlen(text), (n - 1) * 100);
    free(text);
    /* a line longer than the buffer goes straight through, after them */
    big = malloc(RM_LOG_BUFFER + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, 'y', RM_LOG_BUFFER);
    big[RM_LOG_BUFFER] = '\n';
    big[RM_LOG_BUFFER + 1] = '\0';
    add(b, big, 0);
    text = contents(fd);
    ck_assert_uint_eq(strlen(text), n * 100 + RM_LOG_BUFFER + 1);
    ck_assert_int_eq(text[n * 100], 'y');
    free(text);
    logbuf_free(b);
    text = contents(fd);
    for (p = text; (p = strchr(p, '\n')); p++)
        count++;
    ck_assert_uint_eq(count, n + 1);
    free(text);
    free(big);
    close(fd);
}
END_TEST

START_TEST(flush_writes_what_waits)
{
    int fd;
    struct logbuf *b = new_logbuf(&fd);

    add(b, "info one\n", 0);
    logbuf_flush(b);
    expect(fd, "info one\n");
    logbuf_flush(NULL);
    logbuf_free(b);
    logbuf_free(NULL);
    close(fd);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("logbuf");

    add_tcase(s, tcase_create("lines"), 60, NULL, NULL, order_kept_and_errors_at_once,
              waiting_lines_are_written_by_the_thread, full_buffer_written_before_it_overflows,
              flush_writes_what_waits);
    return s;
}
