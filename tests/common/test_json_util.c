/* test_json_util: the jansson helpers (server/common/json_util.c): loading
 * with a located error and duplicate keys refused, typed member access,
 * compact dumps that keep key order and UTF-8, and locating a path in the
 * text (line and column in characters) for fixture messages; the heap
 * estimate against what glibc's allocator measures. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_util.h"
#include "mock_error.h"
#include "test_support.h"

START_TEST(json_load_reports_position)
{
    struct mock_error e;
    json_t *v;

    mock_error_clear(&e);
    v = json_util_loadb("{\n  \"a\": [1,\n  }", 15, "x.json", &e);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(e.file, "x.json");
    ck_assert_int_eq(e.line, 3);
    mock_error_clear(&e);
    v = json_util_loadb("{\"a\":1,\"a\":2}", 13, "d.json", &e); /* duplicates rejected */
    ck_assert_ptr_null(v);
    ck_assert(e.set);
    v = json_util_loadb("{\"s\":\"x\",\"t\":true}", 18, "ok.json", &e);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_util_str(v, "s"), "x");
    ck_assert_ptr_null(json_util_str(v, "t"));
    ck_assert(json_util_true(v, "t"));
    ck_assert(!json_util_true(v, "s"));
    json_decref(v);
}
END_TEST

START_TEST(dumps_is_compact_ordered_and_utf8)
{
    json_t *v = json_pack("{s:i, s:[i, s], s:n}", "b", 1, "a", 2, "\xc3\xa9", "z");
    json_t *scalar = json_string("caf\xc3\xa9");
    char *text = json_util_dumps(v), *one = json_util_dumps(scalar);

    ck_assert_str_eq(text, "{\"b\":1,\"a\":[2,\"\xc3\xa9\"],\"z\":null}");
    ck_assert_str_eq(one, "\"caf\xc3\xa9\"");
    /* the same text appended to a buffer, after what it held; none past its limit */
    {
        struct buf b, small;

        buf_init(&b, 1024);
        buf_init(&small, 8);
        ck_assert_int_eq(buf_append_str(&b, "x="), 0);
        ck_assert_int_eq(json_util_dump_append(v, &b), 0);
        ck_assert_str_eq(b.data + 2, text);
        ck_assert_int_eq(json_util_dump_append(v, &small), -1);
        buf_release(&small);
        buf_release(&b);
    }
    free(one);
    free(text);
    json_decref(scalar);
    json_decref(v);
}
END_TEST

/* Locate 'path' in 'text' and expect 'line':'col' (or -1 when 'found' is 0). */
static void expect_at(const char *text, const char *path, int found, int line, int col)
{
    int l = 0, c = 0;

    ck_assert_int_eq(json_util_locate(text, strlen(text), path, &l, &c), found ? 0 : -1);
    if (found) {
        ck_assert_msg(l == line && c == col, "%s at %d:%d, want %d:%d", path, l, c, line, col);
    }
}

START_TEST(locate_finds_paths)
{
    static const char text[] = "{\n  \"a\": [1,\n    {\"b\": \"x]y\"}],\n  \"c\": 2\n}";
    static const char utf8[] = "{\"\xc3\xa9\": 1, \"k\": \"\xc3\xa9\xc3\xa9\", \"n\": true}";

    expect_at(text, "", 1, 1, 1);
    expect_at(text, ".a", 1, 2, 8);
    expect_at(text, ".a[0]", 1, 2, 9);
    expect_at(text, ".a[1].b", 1, 3, 11);
    expect_at(text, ".c", 1, 4, 8); /* past a string holding ']' */
    expect_at(text, ".zz", 0, 0, 0);
    expect_at(text, ".a[2]", 0, 0, 0);
    expect_at(text, "[0]", 0, 0, 0);
    expect_at(text, ".c.d", 0, 0, 0);
    /* columns count characters, not bytes */
    expect_at(utf8, ".\xc3\xa9", 1, 1, 7);
    expect_at(utf8, ".n", 1, 1, 26);
}
END_TEST

START_TEST(type_first_then_byte_order)
{
    json_t *in = json_pack("{s:i, s:s, s:s, s:i, s:s}", "sequence_number", 3, "text", "t",
                           "item_id", "i", "output_index", 0, "type", "response.output_text.done");
    json_t *out = json_util_type_first(in), *plain, *none;
    char *text = json_dumps(out, JSON_PRESERVE_ORDER | JSON_COMPACT);

    /* "type" first, the rest sorted: sequence_number sorts before text */
    ck_assert_str_eq(text, "{\"type\":\"response.output_text.done\",\"item_id\":\"i\","
                           "\"output_index\":0,\"sequence_number\":3,\"text\":\"t\"}");
    ck_assert_ptr_eq(json_object_get(out, "text"), json_object_get(in, "text")); /* shared */
    free(text);
    plain = json_pack("{s:i, s:i}", "b", 1, "a", 2);
    none = json_util_type_first(plain);
    text = json_dumps(none, JSON_PRESERVE_ORDER | JSON_COMPACT);
    ck_assert_str_eq(text, "{\"a\":2,\"b\":1}"); /* no "type": byte order only */
    free(text);
    json_decref(none);
    json_decref(plain);
    json_decref(out);
    json_decref(in);
}
END_TEST

/* What a conversation or a stored response holds: many objects of short
 * strings, numbers and nested arrays. */
static json_t *sample(int n)
{
    json_t *a = json_array();
    int i;

    for (i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:[]}], s:i, s:f}", "id", "msg_0123456789",
                         "type", "message", "role", i % 2 ? "user" : "assistant", "content",
                         "type", "input_text", "text", "Hello, how are you today? Fine.",
                         "annotations", "index", i, "score", 0.5));
    return a;
}

START_TEST(heap_bytes_follow_the_allocator)
{
    struct mallinfo2 before, after;
    size_t measured, estimated;
    json_t *v;

    ck_assert_uint_eq(json_util_heap_bytes(NULL), 0);
    ck_assert_uint_eq(json_util_heap_bytes(json_null()), 0);
    v = json_string("x");
    ck_assert_uint_gt(json_util_heap_bytes(v), 0);
    json_decref(v);
    before = mallinfo2();
    v = sample(2000);
    after = mallinfo2();
    measured = after.uordblks - before.uordblks;
    estimated = json_util_heap_bytes(v);
    if (before.uordblks == 0 && after.uordblks == 0) { /* a sanitizer's allocator */
        fprintf(stderr, "heap_bytes: mallinfo2 measures nothing here; estimate %zu\n",
                estimated);
    } else {
        /* within 15 % of what the allocator handed out */
        ck_assert_msg(estimated * 100 >= measured * 85 && estimated * 100 <= measured * 115,
                      "estimated %zu bytes, the allocator measured %zu", estimated, measured);
    }
    /* far above the JSON text's size, which an estimate by text would give */
    {
        char *text = json_dumps(v, JSON_COMPACT);
        ck_assert_uint_gt(estimated, 2 * strlen(text));
        free(text);
    }
    json_decref(v);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("json_util");
    add_tcase(s, tcase_create("json_util"), 60, NULL, NULL, json_load_reports_position,
              dumps_is_compact_ordered_and_utf8);
    add_tcase(s, tcase_create("locate"), 60, NULL, NULL, locate_finds_paths);
    add_tcase(s, tcase_create("order"), 60, NULL, NULL, type_first_then_byte_order);
    add_tcase(s, tcase_create("heap"), 60, NULL, NULL, heap_bytes_follow_the_allocator);
    return s;
}
