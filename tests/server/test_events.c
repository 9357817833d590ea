/* Unit tests for server/events.c: every push kind and what it keeps,
 * reference counting of a list shared by two owners, event_type and
 * event_seq, the last-response / last-JSON lookups that skip events without
 * JSON, the byte estimate, and push_copy sharing the JSON it copies.
 * (The RM_MAX_STREAM_EVENTS limit is left out: a million events is slow.) */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"
#include "test_support.h"
#include "events.h"
#include "json_util.h"
#include "stream.h"

START_TEST(push_each_kind)
{
    struct event_list *l = event_list_new();
    json_t *j = json_pack("{s:s, s:i}", "type", "response.created", "sequence_number", 0);
    json_t *rj = json_pack("{s:s}", "type", "raw.thing");
    static const char raw[] = "event: x\ndata: {\"a\":1}\n\n";

    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->n, 0);
    ck_assert_int_eq(atomic_load(&l->refs), 1);
    ck_assert_int_eq(l->end_with_error, 0);
    ck_assert_uint_eq(l->abort_after, 0);

    ck_assert_int_eq(event_list_push_json(l, "response.created", j, 7), 0);
    ck_assert_int_eq(event_list_push_json(l, NULL, json_pack("{s:i}", "n", 1), 0), 0);
    ck_assert_int_eq(event_list_push_raw(l, "x", raw, sizeof(raw) - 1, rj, 11), 0);
    ck_assert_int_eq(event_list_push_raw(l, NULL, "ab\0cd", 5, NULL, 0), 0);
    ck_assert_int_eq(event_list_push_done(l, 3), 0);
    ck_assert_int_eq(event_list_push_pause(l, 900), 0);
    ck_assert_uint_eq(l->n, 6);

    /* JSON: the type copied, the object stolen (the very pointer kept). */
    ck_assert_int_eq(l->v[0].kind, EVENT_JSON);
    ck_assert_str_eq(l->v[0].type, "response.created");
    ck_assert_ptr_eq(l->v[0].json, j);
    ck_assert_ptr_null(l->v[0].raw);
    ck_assert_uint_eq(l->v[0].delay_ms, 7);
    /* data-only frame: no type */
    ck_assert_int_eq(l->v[1].kind, EVENT_JSON);
    ck_assert_ptr_null(l->v[1].type);
    /* raw: bytes copied (NUL-terminated, length kept), json stolen */
    ck_assert_int_eq(l->v[2].kind, EVENT_RAW);
    ck_assert_str_eq(l->v[2].type, "x");
    ck_assert_ptr_ne(l->v[2].raw, raw);
    ck_assert_uint_eq(l->v[2].raw_len, sizeof(raw) - 1);
    ck_assert_str_eq(l->v[2].raw, raw);
    ck_assert_ptr_eq(l->v[2].json, rj);
    ck_assert_uint_eq(l->v[2].delay_ms, 11);
    /* raw bytes with a NUL inside, no JSON */
    ck_assert_int_eq(l->v[3].kind, EVENT_RAW);
    ck_assert_uint_eq(l->v[3].raw_len, 5);
    ck_assert_int_eq(memcmp(l->v[3].raw, "ab\0cd", 5), 0);
    ck_assert_int_eq(l->v[3].raw[5], '\0');
    ck_assert_ptr_null(l->v[3].json);
    ck_assert_ptr_null(l->v[3].type);
    /* done and pause: no type, no JSON, no bytes, only their delay */
    ck_assert_int_eq(l->v[4].kind, EVENT_DONE);
    ck_assert_uint_eq(l->v[4].delay_ms, 3);
    ck_assert_ptr_null(l->v[4].json);
    ck_assert_ptr_null(l->v[4].raw);
    ck_assert_int_eq(l->v[5].kind, EVENT_PAUSE);
    ck_assert_uint_eq(l->v[5].delay_ms, 900);
    ck_assert_ptr_null(l->v[5].type);

    /* A NULL object is refused and adds nothing. */
    ck_assert_int_eq(event_list_push_json(l, "t", NULL, 0), -1);
    ck_assert_uint_eq(l->n, 6);
    event_list_unref(l);
}
END_TEST

START_TEST(many_events_grow_the_list)
{
    struct event_list *l = event_list_new();
    size_t i;

    for (i = 0; i < 1000; i++)
        ck_assert_int_eq(event_list_push_json(l, "e", json_pack("{s:I}", "sequence_number",
                                                                 (json_int_t)i), (unsigned)i),
                         0);
    ck_assert_uint_eq(l->n, 1000);
    ck_assert_uint_ge(l->cap, 1000);
    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(event_seq(&l->v[i]), (long)i);
        ck_assert_uint_eq(l->v[i].delay_ms, i);
    }
    event_list_unref(l);
}
END_TEST

START_TEST(shared_list_survives_one_unref)
{
    struct event_list *l = event_list_new(), *other;
    json_t *j = json_pack("{s:s}", "type", "a");

    ck_assert_int_eq(event_list_push_json(l, "a", j, 0), 0);
    ck_assert_int_eq(event_list_push_raw(l, "b", "xyz", 3, NULL, 0), 0);
    other = event_list_ref(l);
    ck_assert_ptr_eq(other, l);
    ck_assert_int_eq(atomic_load(&l->refs), 2);
    /* The first owner lets go: the second still reads everything (a
     * use-after-free here is what the sanitizer build catches). */
    event_list_unref(l);
    ck_assert_int_eq(atomic_load(&other->refs), 1);
    ck_assert_uint_eq(other->n, 2);
    ck_assert_str_eq(other->v[0].type, "a");
    ck_assert_ptr_eq(other->v[0].json, j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "a");
    ck_assert_str_eq(other->v[1].raw, "xyz");
    /* The list owned the only reference to 'j' and drops it with the last
     * owner (a leak otherwise: the sanitizer build checks). */
    event_list_unref(other);

    /* NULL is accepted by both. */
    ck_assert_ptr_null(event_list_ref(NULL));
    event_list_unref(NULL);
}
END_TEST

START_TEST(type_and_seq)
{
    struct event_list *l = event_list_new();

    event_list_push_json(l, "frame-name",
                         json_pack("{s:s, s:i}", "type", "response.output_text.delta",
                                   "sequence_number", 42), 0);
    event_list_push_json(l, NULL, json_pack("{s:s}", "object", "chat.completion.chunk"), 0);
    event_list_push_json(l, "t", json_pack("{s:i, s:s}", "type", 5, "sequence_number", "7"), 0);
    event_list_push_raw(l, "t", "data: x\n\n", 9,
                        json_pack("{s:s, s:i}", "type", "response.completed", "sequence_number",
                                  9), 0);
    event_list_push_raw(l, "t", "data: x\n\n", 9, NULL, 0);
    event_list_push_done(l, 0);
    event_list_push_pause(l, 5);
    event_list_push_json(l, "t", json_pack("{s:i}", "sequence_number", 0), 0);

    /* event_type is the JSON "type", not the SSE event name. */
    ck_assert_str_eq(event_type(&l->v[0]), "response.output_text.delta");
    ck_assert_int_eq(event_seq(&l->v[0]), 42);
    /* no type / no sequence_number */
    ck_assert_ptr_null(event_type(&l->v[1]));
    ck_assert_int_eq(event_seq(&l->v[1]), -1);
    /* wrong JSON types count as absent */
    ck_assert_ptr_null(event_type(&l->v[2]));
    ck_assert_int_eq(event_seq(&l->v[2]), -1);
    /* a raw frame reads through its parsed data */
    ck_assert_str_eq(event_type(&l->v[3]), "response.completed");
    ck_assert_int_eq(event_seq(&l->v[3]), 9);
    /* without JSON: nothing */
    ck_assert_ptr_null(event_type(&l->v[4]));
    ck_assert_int_eq(event_seq(&l->v[4]), -1);
    ck_assert_ptr_null(event_type(&l->v[5]));
    ck_assert_int_eq(event_seq(&l->v[5]), -1);
    ck_assert_int_eq(event_seq(&l->v[6]), -1);
    /* 0 is a sequence number, not "none" */
    ck_assert_int_eq(event_seq(&l->v[7]), 0);
    event_list_unref(l);
}
END_TEST

START_TEST(last_response_and_last_json)
{
    struct event_list *l = event_list_new();
    json_t *r1 = json_pack("{s:s}", "id", "resp_1"), *r2 = json_pack("{s:s}", "id", "resp_2");
    json_t *created = json_pack("{s:s, s:o}", "type", "response.created", "response", r1);
    json_t *delta = json_pack("{s:s, s:s}", "type", "response.output_text.delta", "delta", "x");
    json_t *done_raw = json_pack("{s:s, s:o}", "type", "response.completed", "response", r2);

    /* Empty and NULL lists have neither. */
    ck_assert_ptr_null(event_list_last_response(l));
    ck_assert_ptr_null(event_list_last_json(l));
    ck_assert_ptr_null(event_list_last_response(NULL));
    ck_assert_ptr_null(event_list_last_json(NULL));

    event_list_push_json(l, "response.created", created, 0);
    event_list_push_json(l, "response.output_text.delta", delta, 0);
    /* The last event carrying a response is the created one, but the last
     * JSON is the delta. */
    ck_assert_ptr_eq(event_list_last_response(l), r1);
    ck_assert_ptr_eq(event_list_last_json(l), delta);

    /* Events without JSON after it are skipped by both lookups. */
    event_list_push_raw(l, NULL, "data: {broken\n\n", 15, NULL, 0);
    event_list_push_done(l, 0);
    event_list_push_pause(l, 10);
    ck_assert_ptr_eq(event_list_last_response(l), r1);
    ck_assert_ptr_eq(event_list_last_json(l), delta);

    /* A raw frame with parsed data counts: its response wins now. */
    event_list_push_raw(l, "response.completed", "event: response.completed\n\n", 27, done_raw, 0);
    event_list_push_pause(l, 10);
    ck_assert_ptr_eq(event_list_last_response(l), r2);
    ck_assert_ptr_eq(event_list_last_json(l), done_raw);

    /* "response" that is not an object is no response. */
    event_list_push_json(l, "x", json_pack("{s:s}", "response", "not an object"), 0);
    ck_assert_ptr_eq(event_list_last_response(l), r2);
    event_list_unref(l);
}
END_TEST

START_TEST(bytes_count_json_and_raw)
{
    struct event_list *l = event_list_new();
    json_t *j = json_pack("{s:s, s:i}", "type", "a.b", "n", 12);
    size_t jlen = json_dumpb(j, NULL, 0, JSON_COMPACT);

    ck_assert_uint_eq(event_list_bytes(l), 0);
    ck_assert_uint_eq(event_list_bytes(NULL), 0);
    /* Compact text of the JSON plus the event name. */
    ck_assert_uint_eq(jlen, strlen("{\"type\":\"a.b\",\"n\":12}"));
    event_list_push_json(l, "a.b", j, 0);
    ck_assert_uint_eq(event_list_bytes(l), jlen + 3);
    /* Data-only: the JSON alone. */
    event_list_push_json(l, NULL, json_pack("{}"), 0);
    ck_assert_uint_eq(event_list_bytes(l), jlen + 3 + 2);
    /* Raw: its bytes; the JSON it carries is not counted again. */
    event_list_push_raw(l, "e", "0123456789", 10, json_pack("{s:s}", "k", "vvvvvvvv"), 0);
    ck_assert_uint_eq(event_list_bytes(l), jlen + 3 + 2 + 10);
    /* [DONE] and pauses hold no bytes in the estimate. */
    event_list_push_done(l, 0);
    event_list_push_pause(l, 100);
    ck_assert_uint_eq(event_list_bytes(l), jlen + 3 + 2 + 10);
    event_list_unref(l);
}
END_TEST

START_TEST(push_copy_shares_json)
{
    struct event_list *src = event_list_new(), *dst = event_list_new();
    json_t *j = json_pack("{s:s, s:i}", "type", "response.created", "sequence_number", 0);
    json_t *rj = json_pack("{s:s}", "type", "r");
    size_t i;

    event_list_push_json(src, "response.created", j, 5);
    event_list_push_raw(src, "r", "RAW", 3, rj, 6);
    event_list_push_done(src, 7);
    event_list_push_pause(src, 8);
    for (i = 0; i < src->n; i++)
        ck_assert_int_eq(event_list_push_copy(dst, &src->v[i], 100 + (unsigned)i), 0);
    ck_assert_uint_eq(dst->n, 4);

    /* The JSON is shared (one more reference), the strings are copies, the
     * delay is the one given. */
    ck_assert_ptr_eq(dst->v[0].json, j);
    ck_assert_int_eq(j->refcount, 2);
    ck_assert_ptr_ne(dst->v[0].type, src->v[0].type);
    ck_assert_str_eq(dst->v[0].type, "response.created");
    ck_assert_int_eq(dst->v[0].kind, EVENT_JSON);
    ck_assert_uint_eq(dst->v[0].delay_ms, 100);
    ck_assert_int_eq(dst->v[1].kind, EVENT_RAW);
    ck_assert_ptr_eq(dst->v[1].json, rj);
    ck_assert_int_eq(rj->refcount, 2);
    ck_assert_ptr_ne(dst->v[1].raw, src->v[1].raw);
    ck_assert_uint_eq(dst->v[1].raw_len, 3);
    ck_assert_str_eq(dst->v[1].raw, "RAW");
    ck_assert_uint_eq(dst->v[1].delay_ms, 101);
    ck_assert_int_eq(dst->v[2].kind, EVENT_DONE);
    ck_assert_uint_eq(dst->v[2].delay_ms, 102);
    ck_assert_int_eq(dst->v[3].kind, EVENT_PAUSE);
    ck_assert_uint_eq(dst->v[3].delay_ms, 103);

    /* The source goes away: the copy still holds the JSON. */
    event_list_unref(src);
    ck_assert_int_eq(j->refcount, 1);
    ck_assert_str_eq(event_type(&dst->v[0]), "response.created");
    ck_assert_str_eq(event_type(&dst->v[1]), "r");
    event_list_unref(dst);
}
END_TEST

/* The SSE bytes of 'l' as the writer makes them (new string). */
static char *sse_of(const struct event_list *l, size_t *len)
{
    struct stream *st = stream_new_sse(l, 0, 1u << 20);
    char *bytes;

    ck_assert_ptr_nonnull(st);
    bytes = stream_concat(st, len);
    stream_free(st);
    return bytes;
}

/* One serialisation shared by the writer and the store: serialising, and
 * packing then unpacking, change no byte of the stream; the text is the
 * JSON as json_util_dumps makes it; copies keep it. */
START_TEST(serialise_pack_unpack_same_bytes)
{
    struct event_list *l = event_list_new(), *u, *c;
    char *plain, *once, *unpacked, *dumped;
    size_t n1, n2, n3;
    struct buf b;

    ck_assert_int_eq(event_list_push_json(l, "response.created",
                                          jload("{'type':'response.created','sequence_number':0,"
                                                "'response':{'id':'resp_1','temperature':1.0,"
                                                "'top_p':0.1,'text':'caf\\u00e9', 'n':null}}"),
                                          0),
                     0);
    /* A NUL inside a string survives the round trip too. */
    json_object_set_new(json_object_get(l->v[0].json, "response"), "n", json_stringn("a\0b", 3));
    ck_assert_int_eq(event_list_push_raw(l, NULL, ": keep-alive\n\n", 14, NULL, 3), 0);
    ck_assert_int_eq(event_list_push_pause(l, 7), 0);
    ck_assert_int_eq(event_list_push_json(l, NULL, jload("{'type':'x','n':-0.0}"), 2), 0);
    plain = sse_of(l, &n1);
    ck_assert_int_eq(event_list_serialise(l), 0);
    dumped = json_util_dumps(l->v[0].json);
    ck_assert_str_eq(l->v[0].text, dumped);
    ck_assert_uint_eq(l->v[0].text_len, strlen(dumped));
    ck_assert_ptr_null(l->v[1].text); /* raw bytes have none */
    once = sse_of(l, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(plain, once, n1) == 0);

    buf_init(&b, 1u << 20);
    ck_assert_int_eq(event_list_pack(l, &b), 0);
    u = event_list_unpack(b.data, b.len);
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(u->v[0].text, dumped);
    unpacked = sse_of(u, &n3);
    ck_assert_uint_eq(n1, n3);
    ck_assert(memcmp(plain, unpacked, n1) == 0);
    ck_assert_ptr_null(event_list_unpack(b.data, b.len - 1)); /* cut: refused */
    c = event_list_new();
    ck_assert_int_eq(event_list_push_copy(c, &u->v[0], 0), 0);
    ck_assert_str_eq(c->v[0].text, dumped);

    event_list_unref(c);
    event_list_unref(u);
    event_list_unref(l);
    buf_release(&b);
    free(plain);
    free(once);
    free(unpacked);
    free(dumped);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("events");

    add_tcase(s, tcase_create("push"), 30, NULL, NULL, push_each_kind, many_events_grow_the_list,
              push_copy_shares_json);
    add_tcase(s, tcase_create("refcount"), 30, NULL, NULL, shared_list_survives_one_unref);
    add_tcase(s, tcase_create("lookups"), 30, NULL, NULL, type_and_seq,
              last_response_and_last_json, bytes_count_json_and_raw);
    add_tcase(s, tcase_create("serialise"), 30, NULL, NULL, serialise_pack_unpack_same_bytes);
    return s;
}
