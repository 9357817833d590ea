/* Unit tests for server/template.c: which bodies are plain, and that a
 * reply from a template is byte-identical to the full render apart from
 * ids and times, for every shipped fixture, every model family and both
 * store values, streamed or not (the same frames with the same delays),
 * through responses_create (no socket); the stored bytes are the reply's,
 * a stored templated stream replays as it was sent; a request-aware
 * fixture gets no template. */
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "json_util.h"
#include "limits.h"
#include "server_harness.h"
#include "stream.h"
#include "template.h"
#include "test_support.h"

START_TEST(plain_bodies)
{
    const char *plain[] = {"{'model':'m','input':'x'}", "{'model':'m','input':'x','store':false}",
                           "{'input':'x','store':true,'model':'m'}",
                           "{'model':'m','input':'x','stream':true}",
                           "{'model':'m','input':'x','stream':false,'store':false}", NULL};
    const char *not_plain[] = {"{'model':'m','input':[]}", "{'model':'m'}",
                               "{'model':'m','input':'x','store':null}",
                               "{'model':'m','input':'x','metadata':{}}",
                               "{'model':'m','input':'x','instructions':'be brief'}",
                               "{'model':'m','input':'x','stream':null}",
                               "{'model':'m','input':'x','stream':true,'stream_options':{}}", NULL};
    int i;

    for (i = 0; plain[i]; i++) {
        json_t *b = jload(plain[i]);
        ck_assert_msg(template_plain(b), "%s", plain[i]);
        json_decref(b);
    }
    for (i = 0; not_plain[i]; i++) {
        json_t *b = jload(not_plain[i]);
        ck_assert_msg(!template_plain(b), "%s", not_plain[i]);
        json_decref(b);
    }
}
END_TEST

/* 'text' with every id's hex run (16+ lowercase hex digits) as "H" and
 * every 10-digit number (a unix time) as "T". New string. */
static char *normalise(const char *text)
{
    char *out = malloc(strlen(text) + 1), *w = out;
    const char *p = text;

    ck_assert_ptr_nonnull(out);
    while (*p) {
        size_t n = 0;

        while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
            n++;
        if (n >= 16) {
            *w++ = 'H';
            p += n;
            continue;
        }
        n = 0;
        while (isdigit((unsigned char)p[n]))
            n++;
        if (n == 10 && p > text && p[-1] == ':') {
            *w++ = 'T';
            p += n;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    return out;
}

/* The JSON body of 'r' (new string), its length in '*len'. */
static char *body_of(const struct rm_reply *r, size_t *len)
{
    char *b = malloc(r->body_len + 1);

    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(r->events);
    memcpy(b, r->body ? r->body : "", r->body_len);
    b[r->body_len] = '\0';
    *len = r->body_len;
    return b;
}

/* POST 'body' to a fresh server, answered by fixture 'fx'; the reply
 * normalised (new string), its status in '*status'. */
static char *answer(const char *fx, const char *body, int *status)
{
    struct rm_reply r;
    char *bytes, *norm;
    json_t *doc;
    size_t len;

    harness_restart(1.0, NULL); /* fresh scenario state for every answer */
    doc = harness_call(bench_srv, "POST", "/v1/responses", body, "Bearer k", fx, NULL, &r);
    json_decref(doc);
    *status = r.status;
    bytes = body_of(&r, &len);
    norm = normalise(bytes);
    free(bytes);
    reply_release(&r);
    return norm;
}

/* The SSE bytes of the streamed reply 'r' normalised, then each frame's
 * delay as "|<ms>" (new string). A template's reply holds its frames
 * (r->stream), the full render's its events. */
static char *sse_of(const struct rm_reply *r)
{
    struct stream *own = NULL;
    const struct stream *st = r->stream;
    char *bytes, *norm, *out;
    size_t len, i, n;

    if (!st) {
        ck_assert_ptr_nonnull(r->events);
        st = own = stream_new_sse(r->events, 1.0, RM_MAX_STREAM_BYTES);
    }
    ck_assert_ptr_nonnull(st);
    bytes = stream_concat(st, &len);
    ck_assert_ptr_nonnull(bytes);
    norm = normalise(bytes);
    n = stream_frames(st);
    out = malloc(strlen(norm) + n * 16 + 1);
    ck_assert_ptr_nonnull(out);
    strcpy(out, norm);
    for (i = 0; i < n; i++) {
        size_t flen;
        unsigned delay;

        stream_frame(st, i, &flen, &delay);
        sprintf(out + strlen(out), "|%u", delay);
    }
    free(bytes);
    free(norm);
    stream_free(own);
    return out;
}

/* POST the streamed 'body' to a fresh server, answered by fixture 'fx':
 * sse_of() its reply; whether a template answered in '*templated'. */
static char *answer_stream(const char *fx, const char *body, int *status, int *templated)
{
    struct rm_reply r;
    char *out;

    harness_restart(1.0, NULL);
    json_decref(harness_call(bench_srv, "POST", "/v1/responses", body, "Bearer k", fx, NULL, &r));
    *status = r.status;
    *templated = r.stream != NULL;
    out = r.status == 200 && (r.stream || r.events) ? sse_of(&r) : strdup(r.body ? r.body : "");
    reply_release(&r);
    return out;
}

/* For every shipped fixture, model family and store value: a plain
 * request (streamed or not) and the same request with "metadata":{} (which
 * the Response echoes as it is, but which makes the request not plain: the
 * full render) answer the same (apart from ids and times). Returns how
 * many answers came from a template. */
static size_t compare_every_fixture(int stream)
{
    static const char *const models[] = {"gpt-4.1-mini", "gpt-5-mini", "o3", NULL};
    struct fixture_set *set;
    size_t i, n, templated = 0, compared = 0;
    char **names;

    harness_restart(1.0, NULL);
    set = harness_fixtures(bench_srv);
    n = set->n;
    names = calloc(n, sizeof(*names));
    for (i = 0; i < n; i++)
        names[i] = strdup(set->v[i].name);
    for (i = 0; i < n; i++) {
        const char *const *m;
        int store;

        for (m = models; *m; m++)
            for (store = 0; store < 2; store++) {
                const char *more = stream ? (store ? ",\"stream\":true" : ",\"stream\":true,\"store\":false")
                                          : (store ? "" : ",\"store\":false");
                char plain[256], full[256];
                char *a, *b;
                int sa, sb, ta, tb;

                snprintf(plain, sizeof(plain),
                         "{\"model\":\"%s\",\"input\":\"What is the weather in Paris?\"%s}", *m,
                         more);
                snprintf(full, sizeof(full),
                         "{\"model\":\"%s\",\"input\":\"What is the weather in Paris?\"%s,"
                         "\"metadata\":{}}",
                         *m, more);
                if (stream) {
                    a = answer_stream(names[i], plain, &sa, &ta);
                    b = answer_stream(names[i], full, &sb, &tb);
                    ck_assert_msg(!tb, "fixture %s: a request with metadata is not plain",
                                  names[i]);
                } else {
                    a = answer(names[i], plain, &sa);
                    ta = template_for(bench_srv, named(harness_fixtures(bench_srv), names[i]), *m,
                                      store, 0) != NULL;
                    b = answer(names[i], full, &sb);
                }
                templated += (size_t)ta;
                ck_assert_int_eq(sa, sb);
                ck_assert_msg(strcmp(a, b) == 0, "fixture %s, model %s, store %d, stream %d:\n%s\n%s",
                              names[i], *m, store, stream, a, b);
                compared++;
                free(a);
                free(b);
            }
    }
    ck_assert_uint_eq(compared, n * 6);
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return templated;
}

/* REQ: template-identical. The reply bytes. */
START_TEST(template_equals_full_render_for_every_fixture)
{
    ck_assert_uint_gt(compare_every_fixture(0), 0);
}
END_TEST

/* REQ: template-identical, streamed. The template's frames (bytes and
 * delays) are the full render's; stream templates are used (every plain
 * text fixture has one). */
START_TEST(stream_template_equals_full_render_for_every_fixture)
{
    ck_assert_uint_gt(compare_every_fixture(1), 0);
}
END_TEST

/* A templated stream of the default fixture stores the Response it ends
 * with (retrieve answers it), and replaying the stored stream
 * (?stream=true) sends the very bytes the create sent, ids and times
 * included. */
START_TEST(stored_template_stream_replays_as_sent)
{
    struct rm_reply r, g, p;
    json_t *got, *last;
    char *sent, *replayed, *bytes;
    const char *id;
    size_t len;

    json_decref(harness_call(bench_srv, "POST", "/v1/responses",
                             "{\"model\":\"gpt-4.1-mini\",\"input\":\"one two\",\"stream\":true}",
                             "Bearer k", NULL, NULL, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(r.stream);
    bytes = stream_concat(r.stream, &len);
    /* the id of the response.created event's Response */
    ck_assert_ptr_nonnull(strstr(bytes, "\"id\":\"resp_"));
    {
        char *q = strstr(bytes, "\"id\":\"resp_") + 6, *e = strchr(q, '"');
        *e = '\0';
        id = q;
        got = harness_call(bench_srv, "GET", pathf("/v1/responses/%s", id), NULL, "Bearer k",
                           NULL, NULL, &g);
        ck_assert_int_eq(g.status, 200);
        ck_assert_str_eq(json_util_str(got, "status"), RM_STATUS_COMPLETED);
        last = json_array_get(json_object_get(got, "output"), 0);
        ck_assert_ptr_nonnull(last);
        json_decref(harness_call(bench_srv, "GET", pathf("/v1/responses/%s?stream=true", id),
                                 NULL, "Bearer k", NULL, NULL, &p));
        *e = '"';
    }
    ck_assert_int_eq(p.status, 200);
    ck_assert_ptr_nonnull(p.events);
    {
        struct stream *again = stream_new_sse(p.events, 1.0, RM_MAX_STREAM_BYTES);
        size_t rlen;

        ck_assert_ptr_nonnull(again);
        replayed = stream_concat(again, &rlen);
        stream_free(again);
    }
    sent = bytes;
    ck_assert_str_eq(sent, replayed); /* byte for byte, ids and times included */
    ck_assert_uint_eq(strlen(replayed), len);
    free(replayed);
    free(bytes);
    json_decref(got);
    reply_release(&r);
    reply_release(&g);
    reply_release(&p);
}
END_TEST

/* The default fixture has a template (for a plain request it answers its
 * text); the stored Response is the reply's bytes; usage counts the input
 * as the full render does. */
START_TEST(default_fixture_is_templated_and_stored)
{
    const struct fixture *fx = named(harness_fixtures(bench_srv), "default");
    struct rm_reply r, g;
    json_t *doc, *got;
    char *bytes, *stored;
    size_t len, glen;

    ck_assert_ptr_nonnull(template_for(bench_srv, fx, "gpt-4.1-mini", 1, 0));
    doc = harness_call(bench_srv, "POST", "/v1/responses",
                       "{\"model\":\"gpt-4.1-mini\",\"input\":\"one two three four\"}", "Bearer k",
                       NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(harness_is_id(json_util_str(doc, "id"), RM_ID_RESPONSE, RM_ID_HEX_LEN));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                        "input_tokens")),
                     5);
    bytes = body_of(&r, &len);
    got = harness_call(bench_srv, "GET", pathf("/v1/responses/%s", json_util_str(doc, "id")),
                       NULL, "Bearer k", NULL, NULL, &g);
    ck_assert_int_eq(g.status, 200);
    stored = body_of(&g, &glen);
    ck_assert_uint_eq(len, glen);
    ck_assert(memcmp(bytes, stored, len) == 0);
    free(bytes);
    free(stored);
    json_decref(got);
    json_decref(doc);
    reply_release(&r);
    reply_release(&g);
}
END_TEST

/* A fixture whose answer depends on the input has no template. */
START_TEST(input_dependent_fixture_has_none)
{
    char *dir = harness_fixture_dir("[{\"name\": \"calls\", \"response\": {\"output\": "
                                    "[{\"type\": \"function_call\", \"name\": \"f\", "
                                    "\"arguments\": \"{}\"}]}}]");
    const struct fixture *fx;
    int same;

    harness_restart(1.0, dir);
    fx = named(harness_fixtures(bench_srv), "calls");
    /* a function call's call_id is fresh per answer and not under the
     * Response's segment: no template, the full render answers */
    same = template_for(bench_srv, fx, "gpt-4.1-mini", 1, 0) != NULL ||
           template_for(bench_srv, fx, "gpt-4.1-mini", 1, 1) != NULL;
    if (same) {
        /* if it is under the segment, the template must still give a new one */
        struct rm_reply r1, r2;
        json_t *d1 = call("POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"a\"}", &r1);
        json_t *d2 = call("POST", "/v1/responses", "{\"model\":\"gpt-4.1-mini\",\"input\":\"a\"}", &r2);
        const char *c1 = json_util_str(json_array_get(json_object_get(d1, "output"), 0), "call_id");
        const char *c2 = json_util_str(json_array_get(json_object_get(d2, "output"), 0), "call_id");
        ck_assert(c1 && c2 && strcmp(c1, c2) != 0);
        json_decref(d1);
        json_decref(d2);
        reply_release(&r1);
        reply_release(&r2);
    }
    harness_teardown();
    harness_remove_fixture_dir(dir);
    harness_setup();
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("template");

    add_tcase(s, tcase_create("plain"), 30, NULL, NULL, plain_bodies);
    add_tcase(s, tcase_create("identical"), 120, harness_setup, harness_teardown,
              template_equals_full_render_for_every_fixture,
              stream_template_equals_full_render_for_every_fixture,
              stored_template_stream_replays_as_sent, default_fixture_is_templated_and_stored,
              input_dependent_fixture_has_none);
    return s;
}
