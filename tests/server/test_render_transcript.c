/* Unit tests for server/render_transcript.c (no socket): recorded frames
 * replayed byte for byte with their delays, fresh ids in bytes and data
 * alike, and faults counted in frames. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"
#include "test_support.h"
#include "render_transcript.h"

#define TRANSCRIPT_FIXTURES                                                                      \
    "[{'name':'rec','transcript':{'events':["                                                     \
    "{'event':'response.created','data':{'type':'response.created','sequence_number':0,"        \
    "  'response':{'id':'resp_R1','object':'response','status':'in_progress','output':[]}}},"  \
    "{'event':'response.output_item.added','data':{'type':'response.output_item.added',"        \
    "  'sequence_number':1,'output_index':0,'item':{'id':'fc_F1','type':'function_call',"       \
    "  'call_id':'call_C1','name':'f','arguments':''}},'delay_ms':15},"                          \
    "{'raw':'event: response.output_item.done\\ndata: {\\'type\\':\\'response.output_item.done\\',"  \
    "\\'sequence_number\\':2,\\'output_index\\':0,\\'item\\':{\\'id\\':\\'fc_F1\\',"             \
    "\\'type\\':\\'function_call\\',\\'call_id\\': \\'call_C1\\',\\'name\\':\\'f\\',"             \
    "\\'arguments\\':\\'{}\\',\\'note\\':\\'see resp_R1\\'}}\\r\\n\\r\\n'},"                      \
    "{'event':'response.completed','data':{'type':'response.completed','sequence_number':3,"    \
    "  'response':{'id':'resp_R1','object':'response','status':'completed','output':[]}}}"      \
    "]}},"                                                                                       \
    "{'name':'rec-fresh','transcript':{'fresh_ids':true,'events':["                               \
    "{'raw':'event: x\\ndata: {\\'id\\':\\'resp_R1\\',\\'call_id\\':\\'call_C1\\',"               \
    "\\'other\\':\\'call_C1\\',\\'msg\\':\\'msg_M1\\',\\'text\\':\\'resp_R1 in text\\',"        \
    "\\'rid\\':\\'resp_0fabc13af1ee0049006a691dfdab8881a1a75f2db7ff78cb83\\',"                  \
    "\\'mid\\':\\'msg_0fabc13af1ee0049006a691dfebdc881a1ae18d027c313d8ce\\'}\\n\\n'}"   \
    "]}}]"

START_TEST(transcript_verbatim)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    const struct fixture *fx;
    size_t i, off = 0;

    load(&set, TRANSCRIPT_FIXTURES);
    fx = named(&set, "rec");
    render_transcript_of(&r, srv, fx, NULL);
    ck_assert_uint_eq(r.ev->n, fx->nframes);
    for (i = 0; i < fx->nframes; i++) {
        ck_assert_uint_eq(r.ev->v[i].raw_len, fx->frames[i].len);
        ck_assert_int_eq(memcmp(r.bytes + off, fx->frames[i].bytes, fx->frames[i].len), 0);
        ck_assert_uint_eq(r.ev->v[i].delay_ms, fx->frames[i].delay_ms);
        off += fx->frames[i].len;
    }
    ck_assert_uint_eq(off, r.len);
    ck_assert(strstr(r.bytes, "\r\n\r\n") != NULL); /* CRLF framing kept as recorded */
    ck_assert(strstr(r.bytes, "\"call_id\": \"call_C1\"") != NULL);
    assert_responses_framing(&r.cap, 0, "transcript");
    rendered_release(&r);
    {
        json_t *final = render_transcript_final(fx);
        ck_assert_str_eq(json_string_value(json_object_get(final, "status")), "completed");
        json_decref(final);
    }
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(transcript_fresh_ids)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r1, r2;
    const json_t *d;

    load(&set, TRANSCRIPT_FIXTURES);
    render_transcript_of(&r1, srv, named(&set, "rec-fresh"), NULL);
    render_transcript_of(&r2, srv, named(&set, "rec-fresh"), NULL);
    ck_assert_uint_eq(r1.cap.n, 1);
    d = r1.cap.ev[0].json;
    ck_assert_msg(d != NULL, "rewritten frame is not JSON: %s", r1.bytes);
    /* Keys are never ids (regression: "call_id" used to be rewritten). */
    ck_assert(json_object_get(d, "call_id") != NULL);
    ck_assert(strncmp(json_string_value(json_object_get(d, "id")), "resp_", 5) == 0);
    ck_assert_str_ne(json_string_value(json_object_get(d, "id")), "resp_R1");
    ck_assert_str_ne(json_string_value(json_object_get(d, "call_id")), "call_C1");
    /* One fresh id per recorded id. */
    ck_assert_str_eq(json_string_value(json_object_get(d, "call_id")),
                     json_string_value(json_object_get(d, "other")));
    ck_assert(strncmp(json_string_value(json_object_get(d, "msg")), "msg_", 4) == 0);
    /* Ids of the real shape keep it: their length, and the segment a response
     * and its items share (tests/conformance/recordings). */
    {
        const char *rid = json_string_value(json_object_get(d, "rid"));
        const char *mid = json_string_value(json_object_get(d, "mid"));
        ck_assert_uint_eq(strlen(rid), 55);
        ck_assert_uint_eq(strlen(mid), 54);
        ck_assert_str_ne(rid, "resp_0fabc13af1ee0049006a691dfdab8881a1a75f2db7ff78cb83");
        ck_assert_int_eq(strncmp(rid + 5, mid + 4, 16), 0);
        ck_assert_int_ne(strncmp(rid + 5, "0fabc13af1ee0049", 16), 0);
    }
    /* Text that merely mentions an id is left alone. */
    ck_assert_str_eq(json_string_value(json_object_get(d, "text")), "resp_R1 in text");
    /* Each replay gets its own ids. */
    ck_assert_str_ne(json_string_value(json_object_get(d, "id")),
                     json_string_value(json_object_get(r2.cap.ev[0].json, "id")));
    rendered_release(&r1);
    rendered_release(&r2);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

START_TEST(transcript_faults)
{
    struct rm_server *srv = fake_server();
    struct fixture_set set;
    struct rendered r;
    struct fx_fault f;
    const struct fixture *fx;
    json_t *resp;

    load(&set, TRANSCRIPT_FIXTURES);
    fx = named(&set, "rec");
    f = fault_of("drop;after_events=2");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 2);
    ck_assert_int_eq(r.ev->end_with_error, 1);
    rendered_release(&r);

    f = fault_of("no_terminal");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 3);
    ck_assert_int_eq(sse_capture_find(&r.cap, "response.completed", 0), -1);
    rendered_release(&r);

    /* Injected events continue the recorded numbering. */
    f = fault_of("error_then_failed;after_events=2");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 4);
    ck_assert_uint_eq(assert_responses_framing(&r.cap, 0, "transcript error"), 4);
    ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[2].json, "type")), "error");
    resp = json_object_get(r.cap.ev[3].json, "response");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "id")), "resp_R1");
    rendered_release(&r);

    /* Past the end it replaces the terminal frame. */
    f = fault_of("error;after_events=99");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.cap.n, 4);
    ck_assert_str_eq(json_string_value(json_object_get(r.cap.ev[3].json, "type")), "error");
    ck_assert_int_eq(json_integer_value(json_object_get(r.cap.ev[3].json, "sequence_number")), 3);
    rendered_release(&r);

    f = fault_of("stall;after_events=1;stall_ms=700");
    render_transcript_of(&r, srv, fx, &f);
    ck_assert_uint_eq(r.ev->v[1].delay_ms, 715);
    rendered_release(&r);
    fixture_set_release(&set);
    free(srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("render_transcript");

    add_tcase(s, tcase_create("transcript"), 60, NULL, NULL, transcript_verbatim,
              transcript_fresh_ids, transcript_faults);
    return s;
}
