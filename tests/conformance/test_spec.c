/* The spec tier: respmock's streams and bodies against the required keys
 * the OpenAPI spec gives each Responses stream event and output item
 * (tests/conformance/spec/spec_shapes.json, extracted from ../shared/spec by
 * extract_spec.py beside it; SOURCES names the file). Every shipped
 * response fixture is streamed and fetched as JSON from a spawned respmock
 * (--speed 0), with the includes that add content (results, outputs,
 * sources, logprobs), plus the request-aware built-in tool defaults, a
 * compaction_trigger and POST /v1/responses/compact:
 * - every event type is one of the spec's 58 (or newer, in 'newer' below);
 * - every event has its schema's required keys;
 * - every output item of output_item.done and of the final response has the
 *   required keys of its item type (an output_item.added item is in
 *   progress: the real API sends it bare, recorded); the compacted response
 *   has CompactResource's.
 * A key the recordings show the real API leaving out is excused
 * ('recorded_without'). "shapes" shows the check can fail: an event or item that lacks a required
 * key, and an event type the spec does not know, are reported. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "stream_assert.h"
#include "test_support.h"

#define SHAPES RM_SOURCE_DIR "/tests/conformance/spec/spec_shapes.json"

/* Where the spec lags a documented feature: openai-node 7.59's
 * ResponseCompactionCompactingEvent. */
static const char *const newer[][5] = {
    {"response.compaction.compacting", "item_id", "output_index", "sequence_number", "type"},
};

/* Where the recordings (tests/conformance/recordings) show the real API
 * leaving out a key the spec requires, respmock follows the recordings. */
static const char *const recorded_without[][2] = {
    /* phase-stream, 2026-07: the arguments only, no name */
    {"response.function_call_arguments.done", "name"},
};

static json_t *shapes;

static int excused(const char *what_type, const char *key)
{
    size_t i;

    for (i = 0; i < sizeof(recorded_without) / sizeof(recorded_without[0]); i++)
        if (what_type && strcmp(what_type, recorded_without[i][0]) == 0 &&
            strcmp(key, recorded_without[i][1]) == 0)
            return 1;
    return 0;
}

static void load_shapes(void)
{
    json_error_t e;

    shapes = json_load_file(SHAPES, 0, &e);
    ck_assert_msg(shapes != NULL, "%s: %s", SHAPES, e.text);
}

/* The keys of 'required' (an array) that 'obj' lacks, appended to 'why'. */
static int lacks(const json_t *obj, const json_t *required, const char *what, struct buf *why)
{
    const json_t *k;
    size_t i;
    int n = 0;

    json_array_foreach(required, i, k)
        if (!json_object_get(obj, json_string_value(k)) &&
            !excused(json_string_value(json_object_get(obj, "type")), json_string_value(k))) {
            buf_appendf(why, "%s lacks '%s'; ", what, json_string_value(k));
            n++;
        }
    return n;
}

/* Check one output item against its type's required keys. */
static int check_item(const json_t *item, const char *where, struct buf *why)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const json_t *shape = json_object_get(json_object_get(shapes, "items"), type ? type : "");
    char what[256];

    snprintf(what, sizeof(what), "%s item %s", where, type ? type : "(no type)");
    if (!shape) {
        buf_appendf(why, "%s: not an item type of the spec; ", what);
        return 1;
    }
    return lacks(item, json_object_get(shape, "required"), what, why);
}

/* Check one event: its type known, its required keys, and the items it
 * carries finished (done, terminal). Returns the number of problems. */
static int check_event(const json_t *ev, const char *where, struct buf *why)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const json_t *shape = json_object_get(json_object_get(shapes, "events"), type ? type : "");
    const json_t *resp = json_object_get(ev, "response"), *item;
    char what[256];
    size_t i;
    int n = 0;

    snprintf(what, sizeof(what), "%s event %s", where, type ? type : "(no type)");
    if (shape) {
        n += lacks(ev, json_object_get(shape, "required"), what, why);
    } else {
        for (i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
            if (type && strcmp(type, newer[i][0]) == 0)
                break;
        if (i == sizeof(newer) / sizeof(newer[0])) {
            buf_appendf(why, "%s: not an event type of the spec; ", what);
            return 1;
        }
        for (size_t k = 1; k < 5; k++)
            if (!json_object_get(ev, newer[i][k])) {
                buf_appendf(why, "%s lacks '%s'; ", what, newer[i][k]);
                n++;
            }
    }
    if (type && strcmp(type, "response.output_item.done") == 0)
        n += check_item(json_object_get(ev, "item"), what, why);
    if (type && (strcmp(type, "response.completed") == 0 || strcmp(type, "response.incomplete") == 0))
        json_array_foreach(json_object_get(resp, "output"), i, item)
            n += check_item(item, what, why);
    return n;
}

/* Stream and fetch 'body' (JSON text with a "stream" key left out) and
 * check both; problems go to 'why'. Returns the number of problems. */
static int check_request(const char *body, const char *fixture, struct buf *why)
{
    char stream_body[2048], hdr[256];
    const char *headers[] = {fixture ? hdr : NULL, NULL};
    struct sse_http r;
    struct http_result jr;
    json_t *doc, *item;
    size_t i;
    int n = 0;

    snprintf(hdr, sizeof(hdr), "x-respmock-fixture: %s", fixture ? fixture : "");
    snprintf(stream_body, sizeof(stream_body), "{\"stream\":true,%s", body + 1);
    ck_assert_int_eq(sse_http_post(srv_url("/v1/responses"), stream_body, headers, 60, &r), 0);
    ck_assert_msg(r.status == 200, "%s: status %ld", stream_body, r.status);
    for (i = 0; i < r.cap.n; i++)
        if (r.cap.ev[i].json)
            n += check_event(r.cap.ev[i].json, fixture ? fixture : body, why);
    sse_http_release(&r);
    doc = srv_request("POST", "/v1/responses", body, headers, &jr);
    ck_assert_int_eq(jr.status, 200);
    json_array_foreach(json_object_get(doc, "output"), i, item)
        n += check_item(item, fixture ? fixture : body, why);
    json_decref(doc);
    http_result_free(&jr);
    return n;
}

START_TEST(respmock_has_the_spec_shapes)
{
    static const char *const includes =
        "\"include\":[\"file_search_call.results\",\"code_interpreter_call.outputs\","
        "\"web_search_call.action.sources\",\"message.output_text.logprobs\"],\"top_logprobs\":1";
    static const char *const bodies[] = {
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"file_search\","
        "\"vector_store_ids\":[\"vs_1\"]}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"code_interpreter\","
        "\"container\":{\"type\":\"auto\"}}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"image_generation\"}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"mcp\",\"server_label\":\"d\"}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"shell\"}]}",
        "{\"model\":\"gpt-4.1\",\"input\":\"x\",\"tools\":[{\"type\":\"local_shell\"}]}",
        "{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":\"x\"},"
        "{\"type\":\"compaction_trigger\"}]}",
    };
    long status;
    json_t *list = srv_call("GET", "/__admin/fixtures", NULL, &status), *fx, *c;
    struct buf why;
    size_t i, checked = 0;
    int n = 0;

    load_shapes();
    ck_assert_uint_eq(json_object_size(json_object_get(shapes, "events")), 58);
    buf_init(&why, 1 << 20);
    ck_assert_int_eq(status, 200);
    json_array_foreach(json_object_get(list, "data"), i, fx) {
        char body[1024];
        const char *kind = jstr(fx, "kind"), *name = jstr(fx, "name");

        if (!kind || strcmp(kind, "response") != 0 || strstr(name, "stream-"))
            continue;
        snprintf(body, sizeof(body), "{\"model\":\"gpt-4.1\",\"input\":\"x\",%s}", includes);
        n += check_request(body, name, &why);
        checked++;
    }
    ck_assert_uint_ge(checked, 15);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        n += check_request(bodies[i], NULL, &why);
    c = srv_call("POST", "/v1/responses/compact",
                 "{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":\"x\"}]}", &status);
    ck_assert_int_eq(status, 200);
    n += lacks(c, json_object_get(json_object_get(shapes, "compacted"), "required"),
               "the compacted response", &why);
    json_array_foreach(json_object_get(c, "output"), i, fx)
        n += check_item(fx, "the compacted response", &why);
    ck_assert_msg(n == 0, "%d differences from the spec: %s", n, why.data ? why.data : "");
    buf_release(&why);
    json_decref(c);
    json_decref(list);
    json_decref(shapes);
}
END_TEST

START_TEST(shapes_catch_what_is_missing)
{
    struct buf why;
    json_t *ev, *item;

    load_shapes();
    buf_init(&why, 1 << 16);
    ev = json_pack("{s:s, s:i, s:s}", "type", "response.web_search_call.searching",
                   "sequence_number", 3, "item_id", "ws_1"); /* no output_index */
    ck_assert_int_eq(check_event(ev, "t", &why), 1);
    ck_assert_ptr_nonnull(strstr(why.data, "lacks 'output_index'"));
    json_decref(ev);
    ev = json_pack("{s:s, s:i}", "type", "response.web_search_call.done", "sequence_number", 1);
    ck_assert_int_eq(check_event(ev, "t", &why), 1);
    ck_assert_ptr_nonnull(strstr(why.data, "not an event type of the spec"));
    json_decref(ev);
    item = json_pack("{s:s, s:s, s:s}", "type", "shell_call", "id", "sh_1", "status", "completed");
    ev = json_pack("{s:s, s:i, s:i, s:o}", "type", "response.output_item.done", "sequence_number", 9,
                   "output_index", 0, "item", item);
    ck_assert_int_eq(check_event(ev, "t", &why), 3); /* action, call_id, environment */
    json_decref(ev);
    ev = json_pack("{s:s, s:i, s:s}", "type", "response.compaction.compacting", "sequence_number",
                   2, "item_id", "cmp_1");
    ck_assert_int_eq(check_event(ev, "t", &why), 1); /* output_index */
    json_decref(ev);
    buf_release(&why);
    json_decref(shapes);
}
END_TEST

static void start_default(void)
{
    srv_start(&(struct test_server_opts){.speed = "0"});
}

Suite *make_suite(void)
{
    Suite *s = suite_create("spec");

    add_tcase(s, tcase_create("shapes"), 60, NULL, NULL, shapes_catch_what_is_missing);
    add_tcase(s, tcase_create("respmock"), 120, start_default, srv_stop, respmock_has_the_spec_shapes);
    return s;
}
