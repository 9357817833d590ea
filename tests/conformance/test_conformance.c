/* The conformance tier: respmock against real recorded Responses API traffic.
 *
 * tests/conformance/recordings/ holds exchanges recorded from the real API
 * (SOURCES there names each file's repository, path, commit and licence).
 * For each recording with a recorded request, the request is sent to
 * respmock (shipped fixtures, --speed 0) and the answer is compared with the
 * recording by shape (conform.h): keys and their JSON types per event type
 * and for JSON bodies, key order, event order, id shapes. Every difference
 * fails the test unless tests/conformance/allowlist names it with a reason;
 * an allow-list entry that no difference uses fails it too, so the list
 * stays what it says.
 *
 * The same recordings are then replayed to respsmoke (test "respsmoke"): a
 * respmock whose transcript fixtures send the recorded stream (and, for
 * non-streaming requests, the recorded response) answers respsmoke's
 * requests, and no respsmoke check may fail except the ones named in
 * 'replay_expect' below, where the recording itself breaks the contract.
 *
 * "comparator" shows the comparator sees what it must: a recording compared
 * with itself has no difference, and each kind of change is reported. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"
#include "stream_assert.h"
#include "test_support.h"

#define CONF_DIR RM_SOURCE_DIR "/tests/conformance"
#define REC_DIR CONF_DIR "/recordings"
#define MAX_RECORDINGS 64
#define SMOKE_DEADLINE_S 150

/* The recordings, sorted by file name; names[i] without ".json". */
static size_t list_recordings(char names[][64])
{
    DIR *d = opendir(REC_DIR);
    struct dirent *e;
    size_t n = 0, i, j;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL && n < MAX_RECORDINGS) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len >= 64 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(names[n], 64, "%.*s", (int)(len - 5), e->d_name);
        n++;
    }
    closedir(d);
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[64];
            memcpy(t, names[j], 64);
            memcpy(names[j], names[j - 1], 64);
            memcpy(names[j - 1], t, 64);
        }
    return n;
}

static json_t *load_recording(const char *name)
{
    char path[512];
    json_error_t err;
    json_t *doc;

    snprintf(path, sizeof(path), REC_DIR "/%s.json", name);
    doc = json_load_file(path, 0, &err);
    ck_assert_msg(doc != NULL, "%s: %s", path, err.text);
    return doc;
}

/* The recorded events of an interaction (SSE or chunks), NULL for JSON. */
static json_t *recorded_events(const json_t *it)
{
    const char *sse = json_string_value(json_object_get(it, "sse"));
    const char *chunks = json_string_value(json_object_get(it, "chunks"));

    if (sse)
        return conf_parse_sse(sse, strlen(sse));
    if (chunks)
        return conf_parse_chunks(chunks);
    return NULL;
}

/* ---- Ids of the recording mapped to respmock's ---------------------------- */

/* 'v' with every string value that 'ids' maps replaced. New reference. */
static json_t *map_ids(const json_t *v, const json_t *ids)
{
    const char *k;
    json_t *c, *out;
    size_t i;

    if (json_is_string(v)) {
        json_t *to = json_object_get(ids, json_string_value(v));
        return json_incref(to ? to : (json_t *)v);
    }
    if (json_is_object(v)) {
        out = json_object();
        json_object_foreach((json_t *)v, k, c) json_object_set_new(out, k, map_ids(c, ids));
        return out;
    }
    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach((json_t *)v, i, c) json_array_append_new(out, map_ids(c, ids));
        return out;
    }
    return json_incref((json_t *)v);
}

static void map_path(const char *path, const json_t *ids, char *out, size_t n)
{
    const char *k;
    json_t *v;

    snprintf(out, n, "%s", path);
    json_object_foreach((json_t *)ids, k, v) {
        char *at = strstr(out, k);
        if (at) {
            char rest[1024];
            snprintf(rest, sizeof(rest), "%s", at + strlen(k));
            snprintf(at, n - (size_t)(at - out), "%s%s", json_string_value(v), rest);
        }
    }
}

static void learn_id(json_t *ids, const json_t *rec, const json_t *got)
{
    const char *r = json_string_value(json_object_get(rec, "id"));
    const char *g = json_string_value(json_object_get(got, "id"));

    if (r && g)
        json_object_set_new(ids, r, json_string(g));
}

/* ---- The tier against respmock ------------------------------------------ */

/* Send every recorded request of recording 'name' to test_srv and append the
 * differences to 'diffs'. Returns the number of interactions compared. */
static int compare_recording(const char *name, json_t *diffs)
{
    json_t *rec = load_recording(name), *it, *ids = json_object();
    size_t i;
    int compared = 0;

    json_array_foreach(json_object_get(rec, "interactions"), i, it) {
        const char *method = json_string_value(json_object_get(it, "method"));
        json_t *req = json_object_get(it, "request");
        long want = (long)json_integer_value(json_object_get(it, "status"));
        char label[128], path[1024];
        char *body = NULL, *ctype;
        struct http_result r;
        json_t *rev, *gev = NULL;

        if (json_object_get(it, "chunks"))
            continue; /* no request recorded: replayed to respsmoke only */
        snprintf(label, sizeof(label), "%s#%zu", name, i);
        map_path(json_string_value(json_object_get(it, "path")), ids, path, sizeof(path));
        if (json_is_object(req)) {
            json_t *m = map_ids(req, ids);
            body = json_dumps(m, JSON_COMPACT);
            json_decref(m);
        }
        ck_assert_int_eq(http_request(method, srv_url(path), body, NULL, &r), 0);
        free(body);
        compared++;
        if (r.status != want) {
            json_array_append_new(diffs, json_sprintf("%s status http recorded %ld respmock %ld: %.300s",
                                                      label, want, r.status, r.body));
            http_result_free(&r);
            continue;
        }
        ctype = http_header(&r, "content-type");
        rev = recorded_events(it);
        if (rev) {
            json_t *rs, *gs;
            if (!ctype || strncmp(ctype, "text/event-stream", 17) != 0) {
                json_array_append_new(diffs, json_sprintf("%s content-type http recorded "
                                                          "text/event-stream respmock %s",
                                                          label, ctype ? ctype : "none"));
            } else {
                gev = conf_parse_sse(r.body, r.body_len);
                ck_assert_ptr_nonnull(gev);
                rs = conf_shape_events(rev);
                gs = conf_shape_events(gev);
                conf_compare_shapes(label, rs, gs, 1, diffs);
                conf_compare_order(label, rev, gev, diffs);
                if (conf_final(rev) && conf_final(gev)) {
                    conf_compare_id_segments(label, conf_final(rev), conf_final(gev), diffs);
                    learn_id(ids, conf_final(rev), conf_final(gev));
                }
                json_decref(rs);
                json_decref(gs);
            }
            json_decref(rev);
            json_decref(gev);
        } else {
            /* a JSON body: the cassette keeps it parsed, key order not recorded */
            json_t *got = http_json(&r), *rj = json_object_get(it, "json");
            json_t *rs = conf_shape_doc(rj, "body"), *gs;
            ck_assert_msg(got != NULL, "%s: respmock's body is not JSON: %.300s", label, r.body);
            gs = conf_shape_doc(got, "body");
            conf_compare_shapes(label, rs, gs, 0, diffs);
            conf_compare_id_segments(label, rj, got, diffs);
            learn_id(ids, rj, got);
            json_decref(rs);
            json_decref(gs);
            json_decref(got);
        }
        free(ctype);
        http_result_free(&r);
    }
    json_decref(ids);
    json_decref(rec);
    return compared;
}

START_TEST(respmock_matches_the_recordings)
{
    char names[MAX_RECORDINGS][64], err[512];
    size_t n = list_recordings(names), i;
    struct conf_allow *allow = conf_allow_load(CONF_DIR "/allowlist", err, sizeof(err));
    json_t *diffs = json_array(), *d;
    int compared = 0, failed = 0;
    char *unused;

    ck_assert_msg(allow != NULL, "%s", err);
    ck_assert_uint_gt(n, 0);
    for (i = 0; i < n; i++)
        compared += compare_recording(names[i], diffs);
    ck_assert_int_gt(compared, 0);
    json_array_foreach(diffs, i, d) {
        int ok = conf_allowed(allow, json_string_value(d));
        fprintf(stderr, "%s %s\n", ok ? "allowed  " : "DIFFERENT", json_string_value(d));
        failed += !ok;
    }
    unused = conf_allow_unused(allow);
    fprintf(stderr, "conformance: %d interactions of %zu recordings compared, %zu differences, "
                    "%d not in the allow-list\n",
            compared, n, json_array_size(diffs), failed);
    if (unused[0])
        fprintf(stderr, "allow-list entries no difference used:\n%s", unused);
    ck_assert_msg(failed == 0, "%d difference(s) from the real API are not in the allow-list "
                               "(see DIFFERENT above)", failed);
    ck_assert_msg(unused[0] == '\0', "allow-list entries that allow nothing:\n%s", unused);
    free(unused);
    json_decref(diffs);
    conf_allow_free(allow);
}
END_TEST

static void tier_setup(void)
{
    srv_start(&(struct test_server_opts){.speed = "0"});
}

/* ---- respsmoke against a replay of each recording -------------------------- */

/* The respsmoke checks a replayed recording fails because the recording
 * itself breaks the contract respsmoke checks, each with the reason. Every
 * other check must pass (or be skipped). An entry no run needs fails the
 * test, like an allow-list entry. None today: every recorded stream keeps
 * the contract (two respsmoke checks were wrong about real streams and were
 * fixed instead: an empty message without deltas, and a reasoning item's
 * encrypted_content that the final response carries encrypted again). */
static const struct {
    const char *unit;   /* RECORDING#N */
    const char *check;  /* area/check */
    const char *why;
} replay_expect[] = {
    {NULL, NULL, NULL},
};

/* The frames of a recorded SSE body (each with its blank line), or, for a
 * chunks recording, its lines framed as "event: TYPE\ndata: LINE\n\n".
 * New array of {"raw": ...} objects. */
static json_t *frames_of(const json_t *it)
{
    const char *sse = json_string_value(json_object_get(it, "sse"));
    const char *chunks = json_string_value(json_object_get(it, "chunks"));
    json_t *out = json_array();

    if (sse) {
        const char *p = sse;
        while (*p) {
            const char *end = strstr(p, "\n\n");
            size_t n = end ? (size_t)(end - p) + 2 : strlen(p);
            if (strspn(p, "\n") < n)
                json_array_append_new(out, json_pack("{s:s%}", "raw", p, n));
            p += n;
        }
    } else if (chunks) {
        json_t *events = conf_parse_chunks(chunks), *ev;
        size_t i;
        json_array_foreach(events, i, ev) {
            char *data = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
            json_array_append_new(out, json_pack("{s:o}", "raw",
                                                 json_sprintf("event: %s\ndata: %s\n\n",
                                                              jstr(ev, "type"), data)));
            free(data);
        }
        json_decref(events);
    } else {
        /* a JSON body: one frame that carries it (served to non-streaming requests only) */
        json_t *ev = json_pack("{s:s, s:i, s:O}", "type", "response.completed", "sequence_number",
                               0, "response", json_object_get(it, "json"));
        json_array_append_new(out, json_pack("{s:s, s:o}", "event", "response.completed", "data",
                                             ev));
    }
    return out;
}

/* True when the final Response of a replay unit has a non-empty message text. */
static int has_text_answer(const json_t *final)
{
    json_t *item;
    size_t i;

    json_array_foreach(json_object_get(final, "output"), i, item) {
        const char *t = jstr(json_array_get(json_object_get(item, "content"), 0), "text");
        if (strcmp(jstr(item, "type") ? jstr(item, "type") : "", "message") == 0 && t && t[0])
            return 1;
    }
    return 0;
}

/* Write the replay fixtures of interaction 'it' into 'dir' (the shipped
 * fixtures answer every request the recording does not). */
static void write_replay_fixtures(const char *dir, const json_t *it)
{
    json_t *frames = frames_of(it), *fixtures = json_array(), *events = recorded_events(it);
    const json_t *final = events ? conf_final(events) : json_object_get(it, "json");
    char path[512];
    DIR *d;
    struct dirent *e;

    if (json_object_get(it, "sse") || json_object_get(it, "chunks"))
        json_array_append_new(fixtures,
                              json_pack("{s:s, s:{s:s, s:s, s:b}, s:{s:b, s:O}}", "name",
                                        "replay-stream", "match", "path", "/v1/responses",
                                        "input_contains", "[respsmoke:streaming]", "stream", 1,
                                        "transcript", "fresh_ids", 0, "events", frames));
    if (has_text_answer(final))
        json_array_append_new(fixtures,
                              json_pack("{s:s, s:{s:s, s:s, s:b}, s:{s:b, s:O}}", "name",
                                        "replay-basic", "match", "path", "/v1/responses",
                                        "input_contains", "[respsmoke:basic]", "stream", 0,
                                        "transcript", "fresh_ids", 0, "events", frames));
    snprintf(path, sizeof(path), "%s/00-replay.json", dir);
    ck_assert_int_eq(json_dump_file(fixtures, path, JSON_INDENT(1)), 0);
    d = opendir(RM_SOURCE_DIR "/fixtures");
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char src[512], dst[512];
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(src, sizeof(src), RM_SOURCE_DIR "/fixtures/%s", e->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", dir, e->d_name);
        ck_assert_int_eq(symlink(src, dst), 0);
    }
    closedir(d);
    json_decref(events);
    json_decref(frames);
    json_decref(fixtures);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Run respsmoke (all areas, Responses) against a respmock that replays
 * interaction 'it'; append "UNIT area/check reason" for every failed check
 * to 'failures'. Returns the number of checks that ran. */
static int smoke_replay(const char *unit, const json_t *it, json_t *failures)
{
    char dir[] = "/tmp/rm-replay-XXXXXX", fixtures[600], base[128], json_path[600],
         out_path[600];
    const char *envp[] = {"PATH=/usr/bin:/bin", "RESPSMOKE_API_KEY=sk-replay-test", NULL};
    json_t *doc, *c;
    size_t i;
    int code, ran = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(fixtures, sizeof(fixtures), "%s/fixtures", dir);
    ck_assert_int_eq(mkdir(fixtures, 0700), 0);
    write_replay_fixtures(fixtures, it);
    srv_start(&(struct test_server_opts){.fixtures = fixtures, .speed = "0", .log_level = "warn"});
    snprintf(base, sizeof(base), "%s/v1", test_srv.base);
    snprintf(json_path, sizeof(json_path), "%s/run.json", dir);
    snprintf(out_path, sizeof(out_path), "%s/out.txt", dir);
    code = test_run((const char *const[]){RM_RESPSMOKE_BIN, "--base-url", base, "--model",
                                          "gpt-4.1-mini", "--timeout", "20", "--retries", "0",
                                          "--json", json_path, NULL},
                    envp, out_path, out_path, SMOKE_DEADLINE_S);
    srv_stop();
    doc = json_load_file(json_path, 0, NULL);
    ck_assert_msg(doc != NULL, "%s: respsmoke wrote no --json (exit %d)", unit, code);
    json_array_foreach(json_object_get(doc, "checks"), i, c) {
        ran++;
        if (strcmp(jstr(c, "result") ? jstr(c, "result") : "", "FAIL") == 0)
            json_array_append_new(failures,
                                  json_sprintf("%s %s/%s %s", unit, jstr(c, "area"),
                                               jstr(c, "name"), jstr(c, "reason")));
    }
    json_decref(doc);
    {
        char *out = read_text_file(out_path, NULL);
        fprintf(stderr, "---- respsmoke against the replay of %s (exit %d)\n%s", unit, code,
                out ? out : "");
        free(out);
    }
    unlink(json_path);
    unlink(out_path);
    remove_dir(fixtures);
    rmdir(dir);
    return ran;
}

START_TEST(respsmoke_passes_against_every_replay)
{
    char names[MAX_RECORDINGS][64];
    size_t n = list_recordings(names), i, j, k;
    json_t *failures = json_array(), *f;
    int units = 0, unexpected = 0;
    int used[sizeof(replay_expect) / sizeof(replay_expect[0])] = {0};

    for (i = 0; i < n; i++) {
        json_t *rec = load_recording(names[i]), *it;
        json_array_foreach(json_object_get(rec, "interactions"), j, it) {
            char unit[128];
            const char *path = jstr(it, "path");
            if (strcmp(jstr(it, "method"), "POST") != 0 || strcmp(path, "/v1/responses") != 0 ||
                json_integer_value(json_object_get(it, "status")) != 200)
                continue;
            snprintf(unit, sizeof(unit), "%s#%zu", names[i], j);
            ck_assert_int_gt(smoke_replay(unit, it, failures), 20);
            units++;
        }
        json_decref(rec);
    }
    ck_assert_int_gt(units, 0);
    json_array_foreach(failures, i, f) {
        const char *line = json_string_value(f);
        int ok = 0;
        for (k = 0; replay_expect[k].unit; k++) {
            size_t ul = strlen(replay_expect[k].unit), cl = strlen(replay_expect[k].check);
            if (strncmp(line, replay_expect[k].unit, ul) == 0 && line[ul] == ' ' &&
                strncmp(line + ul + 1, replay_expect[k].check, cl) == 0 &&
                line[ul + 1 + cl] == ' ') {
                ok = 1;
                used[k]++;
            }
        }
        fprintf(stderr, "%s %s\n", ok ? "expected  " : "UNEXPECTED", line);
        unexpected += !ok;
    }
    for (k = 0; replay_expect[k].unit; k++)
        ck_assert_msg(used[k], "replay_expect names %s %s, which no longer fails",
                      replay_expect[k].unit, replay_expect[k].check);
    fprintf(stderr, "respsmoke: %d recorded interactions replayed, %zu failed checks, %d unexpected\n",
            units, json_array_size(failures), unexpected);
    ck_assert_msg(unexpected == 0, "%d respsmoke check(s) failed against real recordings "
                                   "(UNEXPECTED above)", unexpected);
    json_decref(failures);
}
END_TEST

/* ---- respsmoke against real recordings made wrong ---------------------- */

/* Interaction 'n' of recording 'name' as a chunks interaction whose events
 * 'mutate' changed. New reference. */
static json_t *mutated(const char *name, size_t n, void (*mutate)(json_t *events))
{
    json_t *rec = load_recording(name);
    json_t *events = recorded_events(json_array_get(json_object_get(rec, "interactions"), n));
    json_t *ev, *out;
    char *text = NULL;
    size_t i, len = 0;
    FILE *f = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(events);
    mutate(events);
    json_array_foreach(events, i, ev) {
        char *line = json_dumps(ev, JSON_COMPACT);
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    out = json_pack("{s:s, s:s, s:n, s:i, s:s}", "method", "POST", "path", "/v1/responses",
                    "request", "status", 200, "chunks", text);
    free(text);
    json_decref(events);
    json_decref(rec);
    return out;
}

static void change_a_summary_delta(json_t *events)
{
    json_t *ev;
    size_t i;

    json_array_foreach(events, i, ev) if (strcmp(jstr(ev, "type"),
                                                 "response.reasoning_summary_text.delta") == 0) {
        json_object_set_new(ev, "delta", json_string("[not what .done says]"));
        return;
    }
    ck_abort_msg("no summary delta");
}

static void give_the_empty_message_text(json_t *events)
{
    json_t *ev, *item;
    size_t i, k;

    /* the final response (and the item's done event) say "A cat." that no delta streamed */
    json_array_foreach(events, i, ev) {
        json_t *output = json_object_get(json_object_get(ev, "response"), "output");
        if (strcmp(jstr(ev, "type"), "response.output_item.done") == 0 &&
            strcmp(jstr(json_object_get(ev, "item"), "type"), "message") == 0)
            json_object_set_new(json_array_get(json_object_get(json_object_get(ev, "item"),
                                                               "content"), 0),
                                "text", json_string("A cat."));
        json_array_foreach(output, k, item) if (strcmp(jstr(item, "type"), "message") == 0)
            json_object_set_new(json_array_get(json_object_get(item, "content"), 0), "text",
                                json_string("A cat."));
    }
}

static void drop_the_final_token(json_t *events)
{
    json_t *ev;
    size_t i;

    json_array_foreach(events, i, ev) if (strcmp(jstr(ev, "type"), "response.completed") == 0) {
        json_t *item = json_array_get(json_object_get(json_object_get(ev, "response"), "output"), 0);
        ck_assert_str_eq(jstr(item, "type"), "reasoning");
        json_object_del(item, "encrypted_content");
    }
}

static const struct {
    const char *recording;
    size_t interaction;
    void (*mutate)(json_t *events);
    const char *reason; /* what deltas_concatenate must say */
} made_wrong[] = {
    /* summary deltas are compared with their .done text */
    {"reasoning-summary-chunks", 0, change_a_summary_delta, "differs from the concatenated deltas"},
    /* an empty message without deltas passes; text without a delta does not */
    {"image-generation-chunks", 0, give_the_empty_message_text, "no delta streamed"},
    /* a re-encrypted token passes; a reasoning item that lost its token does not */
    {"moderation-stream", 0, drop_the_final_token, "differs from its output_item.done"},
};

START_TEST(respsmoke_fails_on_a_recording_made_wrong)
{
    json_t *it = mutated(made_wrong[_i].recording, made_wrong[_i].interaction,
                         made_wrong[_i].mutate);
    json_t *failures = json_array(), *f;
    size_t i;
    int found = 0;

    smoke_replay(made_wrong[_i].recording, it, failures);
    json_array_foreach(failures, i, f) {
        const char *line = json_string_value(f);
        ck_assert_msg(strstr(line, " streaming/deltas_concatenate ") != NULL,
                      "another check failed: %s", line);
        found |= strstr(line, made_wrong[_i].reason) != NULL;
    }
    ck_assert_msg(found, "%s made wrong: deltas_concatenate did not fail with \"%s\"",
                  made_wrong[_i].recording, made_wrong[_i].reason);
    json_decref(failures);
    json_decref(it);
}
END_TEST

/* ---- The comparator itself ---------------------------------------------- */

/* The differences between the events of 'a' and 'b' (order compared). */
static json_t *differences(const json_t *a, const json_t *b)
{
    json_t *diffs = json_array(), *sa = conf_shape_events(a), *sb = conf_shape_events(b);

    conf_compare_shapes("t#0", sa, sb, 1, diffs);
    conf_compare_order("t#0", a, b, diffs);
    if (conf_final(a) && conf_final(b))
        conf_compare_id_segments("t#0", conf_final(a), conf_final(b), diffs);
    json_decref(sa);
    json_decref(sb);
    return diffs;
}

static int has_diff(const json_t *diffs, const char *needle)
{
    json_t *d;
    size_t i;

    json_array_foreach((json_t *)diffs, i, d) if (strstr(json_string_value(d), needle)) return 1;
    return 0;
}

/* The first event of type 'type' in 'events' (borrowed). */
static json_t *event_of(json_t *events, const char *type)
{
    json_t *ev;
    size_t i;

    json_array_foreach(events, i, ev) if (strcmp(jstr(ev, "type"), type) == 0) return ev;
    ck_abort_msg("no %s event", type);
    return NULL;
}

START_TEST(comparator_sees_each_kind_of_difference)
{
    json_t *rec = load_recording("phase-stream");
    json_t *it = json_array_get(json_object_get(rec, "interactions"), 0);
    json_t *a = recorded_events(it), *b, *d, *ev, *item;
    size_t i;

    /* itself: nothing */
    b = recorded_events(it);
    d = differences(a, b);
    ck_assert_msg(json_array_size(d) == 0, "%s", json_string_value(json_array_get(d, 0)));
    json_decref(d);

    /* a key dropped from every delta, a type changed, keys reordered, an
     * id of another length, a value changed, an event removed */
    json_array_foreach(b, i, ev) {
        if (strcmp(jstr(ev, "type"), "response.output_text.delta") == 0)
            json_object_del(ev, "obfuscation");
    }
    ev = event_of(b, "response.completed");
    json_object_set_new(json_object_get(ev, "response"), "prompt_cache_retention", json_null());
    json_object_set_new(json_object_get(ev, "response"), "service_tier", json_string("auto"));
    ev = event_of(b, "response.function_call_arguments.done");
    json_incref(json_object_get(ev, "arguments"));
    {
        json_t *args = json_object_get(ev, "arguments");
        json_object_del(ev, "arguments");
        json_object_set_new(ev, "arguments", args); /* now last, after sequence_number */
    }
    ev = event_of(b, "response.created");
    json_object_set_new(json_object_get(ev, "response"), "id", json_string("resp_short"));
    json_array_foreach(b, i, ev) {
        if (strcmp(jstr(ev, "type"), "response.output_item.added") == 0 &&
            strcmp(jstr(json_object_get(ev, "item"), "type"), "function_call") == 0)
            json_object_set_new(json_object_get(ev, "item"), "name_extra", json_string("x"));
    }
    for (i = 0; i < json_array_size(b); i++)
        if (strcmp(jstr(json_array_get(b, i), "type"), "response.content_part.done") == 0) {
            json_array_remove(b, i);
            break;
        }
    item = json_array_get(json_object_get(json_object_get(event_of(b, "response.completed"),
                                                          "response"), "output"), 1);
    json_object_set_new(item, "id", json_string("msg_ffffffffffffffffffffffffffffffffffffffffffffffffff"));
    d = differences(a, b);
    for (i = 0; i < json_array_size(d); i++)
        fprintf(stderr, "  %s\n", json_string_value(json_array_get(d, i)));
    ck_assert(has_diff(d, "missing response.output_text.delta.obfuscation"));
    ck_assert(has_diff(d, "type response.completed.response.prompt_cache_retention recorded {string} respmock {null,string}") ||
              has_diff(d, "type response.completed.response.prompt_cache_retention recorded {string} respmock {null}"));
    ck_assert(has_diff(d, "value response.completed.response.service_tier recorded {default} respmock {auto}"));
    ck_assert(has_diff(d, "order response.function_call_arguments.done"));
    ck_assert(has_diff(d, "value response.created.response.id recorded {resp_/55} respmock {resp_/10}"));
    ck_assert(has_diff(d, "extra response.output_item.added.item<function_call>.name_extra"));
    ck_assert(has_diff(d, "event response.content_part.done only in the recording"));
    ck_assert(has_diff(d, "item_events message"));
    ck_assert(has_diff(d, "id_segment"));
    json_decref(d);
    json_decref(a);
    json_decref(b);
    json_decref(rec);
}
END_TEST

/* The allow-list file parses, every entry has a reason, and a pattern
 * allows what it names and nothing else. */
START_TEST(allow_list_matches_what_it_names)
{
    char path[] = "/tmp/rm-allow-XXXXXX", err[256];
    int fd = mkstemp(path);
    FILE *f;
    struct conf_allow *a;
    char *unused;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs("# comment\n\nrec-a#* missing response.*.obfuscation  # a reason\n"
          "rec-b#1 order *  # another\n",
          f);
    fclose(f);
    a = conf_allow_load(path, err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    ck_assert(conf_allowed(a, "rec-a#0 missing response.output_text.delta.obfuscation"));
    ck_assert(!conf_allowed(a, "rec-a#0 extra response.output_text.delta.obfuscation"));
    ck_assert(!conf_allowed(a, "rec-b#0 order response.created recorded a respmock b"));
    unused = conf_allow_unused(a);
    ck_assert_ptr_nonnull(strstr(unused, "rec-b#1"));
    free(unused);
    conf_allow_free(a);
    f = fopen(path, "w");
    fputs("rec-a#* missing x\n", f); /* no reason */
    fclose(f);
    ck_assert_ptr_null(conf_allow_load(path, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "without a reason"));
    unlink(path);
    a = conf_allow_load(CONF_DIR "/allowlist", err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    conf_allow_free(a);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("conformance");

    add_tcase(s, tcase_create("comparator"), 60, NULL, NULL,
              comparator_sees_each_kind_of_difference, allow_list_matches_what_it_names);
    add_tcase(s, tcase_create("respmock"), 120, tier_setup, srv_stop,
              respmock_matches_the_recordings);
    add_tcase(s, tcase_create("respsmoke"), 170, NULL, srv_stop,
              respsmoke_passes_against_every_replay);
    tcase_add_loop_test(suite_add_tests(s, tcase_create("wrong_servers"), 120, NULL, srv_stop,
                                        NULL),
                        respsmoke_fails_on_a_recording_made_wrong, 0,
                        (int)(sizeof(made_wrong) / sizeof(made_wrong[0])));
    return s;
}
