/* Unit tests for server/json_read.c: it must accept exactly what jansson's
 * json_loadb(JSON_DECODE_ANY) accepts and give the same value, with the same
 * key order. Hand-written cases (each also with its expected verdict), every
 * JSON file shipped or used by the tests, and deterministic mutations of
 * them. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_read.h"
#include "stream_assert.h"
#include "test_support.h"

/* NULL when both refuse 'buf', else what differs ("" when they agree and
 * accept it). The one difference allowed: json_read refuses every input
 * with a NUL byte, where jansson skips one right after a number or a
 * literal ("[1\0]" is [1] to it). */
static const char *differ(const char *buf, size_t len)
{
    static char why[160];
    json_t *a = json_read(buf, len), *b;
    char *da, *db;
    const char *r = NULL;

    if (memchr(buf, '\0', len)) {
        json_decref(a);
        return a ? "json_read accepts a NUL byte" : NULL;
    }
    b = json_loadb(buf, len, JSON_DECODE_ANY, NULL);
    da = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    db = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!a != !b)
        snprintf(why, sizeof(why), "json_read %s, json_loadb %s", a ? "accepts" : "refuses",
                 b ? "accepts" : "refuses");
    else if (a && (!json_equal(a, b) || !da || !db || strcmp(da, db) != 0))
        snprintf(why, sizeof(why), "values differ: %.60s vs %.60s", da ? da : "?",
                 db ? db : "?");
    else
        why[0] = '\0';
    if (why[0] || a)
        r = why;
    free(da);
    free(db);
    json_decref(a);
    json_decref(b);
    return r;
}

/* Assert they agree on 'buf', and that it is accepted when 'ok'. */
static void check_case(const char *buf, size_t len, int ok)
{
    const char *d = differ(buf, len);

    ck_assert_msg(!d || !d[0], "%.*s: %s", (int)(len < 80 ? len : 80), buf, d ? d : "");
    ck_assert_msg((d != NULL) == ok, "%.*s: expected %s", (int)(len < 80 ? len : 80), buf,
                  ok ? "accepted" : "refused");
}

#define OK(s) check_case((s), sizeof(s) - 1, 1)
#define BAD(s) check_case((s), sizeof(s) - 1, 0)

START_TEST(values_and_syntax)
{
    OK("{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\",\"store\":false}");
    OK(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } , \"c\" : [ ] } \n");
    OK("42");
    OK("\"x\"");
    OK("true");
    OK("null");
    OK("{\"a\":1,\"b\":2,\"a\":3}"); /* the later value, in the first one's place */
    OK("{\"\":0}");
    BAD("");
    BAD("   ");
    BAD("{");
    BAD("{\"a\"}");
    BAD("{\"a\":}");
    BAD("{\"a\":1,}");
    BAD("{,}");
    BAD("{a:1}");
    BAD("{'a':1}");
    BAD("[1,]");
    BAD("[,1]");
    BAD("[1 2]");
    BAD("{\"a\":1}x");
    BAD("{\"a\":1}{}");
    BAD("tru");
    BAD("truex");
    BAD("True");
    BAD("nul");
    BAD("[true1]");
    BAD("\x7f");
    BAD("{\"a\":1}\0");
    BAD("[1,\0 2]");
    BAD("[1\0]"); /* jansson: [1] */
    BAD("42\0");  /* jansson: 42 */
    BAD("{\"a\":true\0}");
}
END_TEST

START_TEST(numbers)
{
    OK("0");
    OK("-0");
    OK("-0.0");
    OK("1.5e10");
    OK("1E-5");
    OK("2e+3");
    OK("9223372036854775807");
    OK("-9223372036854775808");
    OK("1e-400"); /* underflow is not an error */
    OK("123456789012345678901234567890.123456789012345678901234567890123456789012345678901");
    OK("[1.0,1,0.1,-7]");
    BAD("9223372036854775808");
    BAD("-9223372036854775809");
    BAD("123456789012345678901234567890");
    BAD("1e400");
    BAD("-1e400");
    BAD("01");
    BAD("-01");
    BAD("-");
    BAD("1.");
    BAD(".5");
    BAD("1e");
    BAD("1e+");
    BAD("+1");
    BAD("0x10");
    BAD("1.5.5");
    BAD("Infinity");
    BAD("NaN");
}
END_TEST

START_TEST(strings)
{
    OK("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"");
    OK("\"\\u00e9\\u20AC\\uD83D\\uDE00\"");
    OK("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
    OK("\"\x7f\"");
    OK("{\"\\u00e9\":\"k\"}");
    BAD("\"abc");
    BAD("\"\\\"");
    BAD("\"\\x\"");
    BAD("\"\\u12\"");
    BAD("\"\\u12g4\"");
    BAD("\"\\u0000\"");
    BAD("{\"\\u0000\":1}");
    BAD("\"\\uD83D\"");
    BAD("\"\\uD83Dx\"");
    BAD("\"\\uD83D\\u0041\"");
    BAD("\"\\uDE00\"");
    BAD("\"\\uD83D\\n\"");
    BAD("\"a\nb\"");
    BAD("\"a\tb\"");
    BAD("\"\x01\"");
    BAD("\"\0\"");
    BAD("\"\x80\"");
    BAD("\"\xc0\x80\"");
    BAD("\"\xc1\xbf\"");
    BAD("\"\xe0\x80\x80\"");
    BAD("\"\xed\xa0\x80\"");
    BAD("\"\xf0\x80\x80\x80\"");
    BAD("\"\xf4\x90\x80\x80\"");
    BAD("\"\xf5\x80\x80\x80\"");
    BAD("\"\xff\"");
    BAD("\"\xc3\"");
    BAD("\"\xe2\x82\"");
    BAD("\"\xe2\x82");
    BAD("\xc3\xa9");
}
END_TEST

/* 'n' arrays around 'inner'. */
static void nested(struct buf *b, unsigned n, const char *inner)
{
    unsigned i;

    buf_init(b, (size_t)-1 / 2);
    for (i = 0; i < n; i++)
        buf_append(b, "[", 1);
    buf_append_str(b, inner);
    for (i = 0; i < n; i++)
        buf_append(b, "]", 1);
}

START_TEST(depth)
{
    static const struct {
        unsigned arrays;
        const char *inner;
        int ok;
    } cases[] = {
        {RM_JSON_MAX_DEPTH, "", 1},           /* the innermost [] is the deepest value */
        {RM_JSON_MAX_DEPTH - 1, "1", 1},
        {RM_JSON_MAX_DEPTH, "1", 0},
        {RM_JSON_MAX_DEPTH - 1, "{\"a\":1}", 0}, /* the 1 is one deeper than the object */
        {RM_JSON_MAX_DEPTH + 1, "", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b;

        nested(&b, cases[i].arrays, cases[i].inner);
        check_case(b.data, b.len, cases[i].ok);
        buf_release(&b);
    }
}
END_TEST

/* ---- Files and mutations ---------------------------------------------------- */

/* Compare the two on every *.json under 'dir' ('levels' of subdirectories
 * too), counting the files read and those accepted. */
static void check_dir(const char *dir, int levels, unsigned *files, unsigned *accepted)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[1024], *text;
        size_t n = strlen(e->d_name), len;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".json") && (text = read_text_file(path, &len))) {
            const char *diff = differ(text, len);

            ck_assert_msg(!diff || !diff[0], "%s: %s", path, diff ? diff : "");
            ++*files;
            *accepted += diff != NULL;
            free(text);
        } else if (levels > 0) {
            check_dir(path, levels - 1, files, accepted);
        }
    }
    closedir(d);
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(files_agree)
{
    unsigned files = 0, accepted = 0;

    check_dir(RM_SOURCE_DIR "/fixtures", 0, &files, &accepted);
    check_dir(RM_SOURCE_DIR "/tests/data", 2, &files, &accepted);
    check_dir(RM_SOURCE_DIR "/tests/conformance", 2, &files, &accepted);
    ck_assert_uint_gt(files, 50);
    ck_assert_uint_gt(accepted, files / 2); /* most of them are JSON */
}
END_TEST

/* Small seeds, edited at random (a fixed seed: the same inputs each run). */
START_TEST(mutations_agree)
{
    static const char *const seeds[] = {
        "{\"model\":\"gpt-4.1-mini\",\"input\":\"hello\",\"stream\":true,\"store\":false}",
        "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
        "\"text\":\"caf\xc3\xa9 \\u00e9 \\uD83D\\uDE00\"}]}],\"temperature\":0.5,\"top_p\":1,"
        "\"max_output_tokens\":100,\"metadata\":{\"k\":\"v\"},\"tools\":[],\"x\":null}",
        "[1,-0,1.5e-3,2E+10,9223372036854775807,true,false,null,\"\\n\\t\\\"\\\\\\/\"]",
        "{\"a\":{\"b\":{\"c\":[[[]]]}},\"a\":\"\\u20ac\xe2\x82\xac\xf0\x9f\x98\x80\"}",
    };
    static const unsigned char special[] = {'"', '\\', 'u', '{', '}', '[', ']', ',', ':', '0',
                                            '9', '-', '+', 'e', '.', ' ', '\n', 't', 'D', 'd',
                                            0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe0,
                                            0xed, 0xf0, 0xf4, 0xf5, 0xff};
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    unsigned long tried = 0, accepted = 0;
    unsigned i;

    for (i = 0; i < 30000; i++) {
        const char *seed = seeds[next_rand(&s) % (sizeof(seeds) / sizeof(seeds[0]))];
        char text[512];
        size_t len = strlen(seed), edits = 1 + next_rand(&s) % 4, k;
        const char *d;

        memcpy(text, seed, len);
        for (k = 0; k < edits && len > 0; k++) {
            size_t at = next_rand(&s) % len;
            unsigned char c = next_rand(&s) % 4 ? special[next_rand(&s) % sizeof(special)]
                                                : (unsigned char)next_rand(&s);

            switch (next_rand(&s) % 4) {
            case 0: /* replace */
                text[at] = (char)c;
                break;
            case 1: /* insert */
                if (len + 1 < sizeof(text)) {
                    memmove(text + at + 1, text + at, len - at);
                    text[at] = (char)c;
                    len++;
                }
                break;
            case 2: /* delete */
                memmove(text + at, text + at + 1, len - at - 1);
                len--;
                break;
            default: /* cut */
                len = at;
            }
        }
        d = differ(text, len);
        ck_assert_msg(!d || !d[0], "mutation %u (%.*s): %s", i, (int)(len < 100 ? len : 100),
                      text, d ? d : "");
        tried++;
        accepted += d != NULL;
    }
    /* Both verdicts are exercised. */
    ck_assert_uint_gt(accepted, tried / 20);
    ck_assert_uint_lt(accepted, tried - tried / 20);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("json_read");

    add_tcase(s, tcase_create("cases"), 60, NULL, NULL, values_and_syntax, numbers, strings,
              depth);
    add_tcase(s, tcase_create("differential"), 120, NULL, NULL, files_agree, mutations_agree);
    return s;
}
