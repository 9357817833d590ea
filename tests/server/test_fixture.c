/* Unit tests for server/fixture.c: loading, golden bad-fixture errors,
 * matching order, chunking, fault specs. No socket. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = calloc(1, (size_t)n + 1);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Each tests/data/bad-fixtures/<case>/ holds input.json and the expected
 * "line:column: message" in error (jansson's test-suite layout). */
START_TEST(golden_bad_fixtures)
{
    const char *root = RM_SOURCE_DIR "/tests/data/bad-fixtures";
    DIR *d = opendir(root);
    struct dirent *de;
    int cases = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        char path[1024], want[1024], got[1024], *text, *expect, *nl;
        struct fixture_set set;
        struct mock_error err;
        size_t len, elen;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/input.json", root, de->d_name);
        text = slurp(path, &len);
        snprintf(path, sizeof(path), "%s/%s/error", root, de->d_name);
        expect = slurp(path, &elen);
        if ((nl = strchr(expect, '\n')))
            *nl = '\0';
        snprintf(want, sizeof(want), "input.json:%s", expect);
        memset(&set, 0, sizeof(set));
        mock_error_clear(&err);
        ck_assert_msg(fixture_set_load_text(&set, text, len, "input.json", &err) != 0,
                      "%s: bad fixture was accepted", de->d_name);
        mock_error_format(&err, got, sizeof(got));
        ck_assert_msg(strcmp(got, want) == 0, "%s:\n  want %s\n  got  %s", de->d_name, want, got);
        ck_assert_uint_eq(set.n, 0); /* nothing half-loaded from the bad document */
        fixture_set_release(&set);
        free(text);
        free(expect);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 10);
}
END_TEST

START_TEST(shipped_fixtures_load)
{
    struct fixture_set set;
    struct mock_error err;
    size_t i;

    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load(&set, RM_SOURCE_DIR "/fixtures", &err, NULL), 0);
    ck_assert_uint_ge(set.n, 10);
    for (i = 0; i < set.n; i++)
        ck_assert_ptr_nonnull(set.v[i].name);
    ck_assert_ptr_nonnull(fixture_find(&set, "default"));
    ck_assert_ptr_nonnull(fixture_find(&set, "error-429"));
    ck_assert_ptr_nonnull(fixture_find(&set, "weather-call"));
    ck_assert_int_eq(fixture_find(&set, "default")->auto_answer, 1);
    ck_assert_str_eq(json_string_value(json_array_get(set.models, 0)), "gpt-4.1-mini");
    /* The default fixture matches anything, and comes last. */
    ck_assert_str_eq(set.v[set.n - 1].name, "default");
    fixture_set_release(&set);
}
END_TEST

static const char *match_doc =
    "[\n"
    " {\"name\":\"cold\",\"match\":{\"has_param\":\"temperature\"},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"tools\",\"match\":{\"tools\":true},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"second-turn\",\"match\":{\"turn\":2},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"answered\",\"match\":{\"tool_output\":\"call_1\"},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"chat\",\"match\":{\"path\":\"/v1/chat/completions\"},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"mini-stream\",\"match\":{\"model\":\"gpt-*-mini\",\"stream\":true},"
    "\"response\":{\"output\":[]}},\n"
    " {\"name\":\"hello\",\"match\":{\"input_contains\":\"hello\"},\"response\":{\"output\":[]}},\n"
    " {\"name\":\"default\",\"response\":{\"output\":[]}}\n"
    "]\n";

static const char *match_name(const struct fixture_set *set, struct match_facts *f)
{
    const struct fixture *fx = fixture_match(set, f);
    return fx ? fx->name : "(none)";
}

/* The tool-loop matchers: a tool of a given name, the input ending with
 * tool results, and the fixture that answered the previous response. */
START_TEST(matching_tool_loops)
{
    static const char *doc =
        "[{\"name\":\"chained\",\"match\":{\"previous_fixture\":\"call\",\"after_tools\":true},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"result\",\"match\":{\"tool\":\"lookup\",\"after_tools\":true},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"call\",\"match\":{\"tool\":\"lookup\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"default\",\"response\":{\"auto\":true,\"output\":[]}}]";
    struct fixture_set set;
    struct mock_error err;
    struct match_facts f;
    json_t *names = json_pack("[s, s]", "other", "lookup"), *none = json_pack("[s]", "other");

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, doc, strlen(doc), "t.json", &err), 0);
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.text = "";
    f.turn = 1;
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.tool_names = none;
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.tool_names = names;
    ck_assert_str_eq(match_name(&set, &f), "call");
    f.after_tools = 1;
    ck_assert_str_eq(match_name(&set, &f), "result");
    f.tool_names = NULL; /* chained turns need not send the tools again */
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.prev_fixture = "call";
    ck_assert_str_eq(match_name(&set, &f), "chained");
    f.after_tools = 0;
    ck_assert_str_eq(match_name(&set, &f), "default");
    ck_assert_int_eq(set.v[3].auto_answer, 1);
    ck_assert_int_eq(set.v[0].auto_answer, 0);
    json_decref(names);
    json_decref(none);
    fixture_set_release(&set);
}
END_TEST

START_TEST(matching_first_match_wins)
{
    struct fixture_set set;
    struct mock_error err;
    struct match_facts f;
    json_t *outs = json_pack("[s]", "call_1"), *other = json_pack("[s]", "call_2"), *body;

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, match_doc, strlen(match_doc), "m.json", &err),
                     0);
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.model = "gpt-4.1";
    f.text = "nothing special";
    f.turn = 1;
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.text = "well hello there";
    ck_assert_str_eq(match_name(&set, &f), "hello");
    f.model = "gpt-4.1-mini";
    ck_assert_str_eq(match_name(&set, &f), "hello"); /* stream not set */
    f.stream = 1;
    ck_assert_str_eq(match_name(&set, &f), "mini-stream");
    f.tool_outputs = other;
    ck_assert_str_eq(match_name(&set, &f), "mini-stream");
    f.tool_outputs = outs;
    ck_assert_str_eq(match_name(&set, &f), "answered");
    f.turn = 2;
    ck_assert_str_eq(match_name(&set, &f), "second-turn");
    f.tools = 1;
    ck_assert_str_eq(match_name(&set, &f), "tools"); /* earlier in the file wins */
    f.tools = 0;
    f.turn = 1;
    f.tool_outputs = NULL;
    f.path = "/v1/chat/completions";
    ck_assert_str_eq(match_name(&set, &f), "chat");
    body = json_pack("{s:n}", "temperature"); /* null counts as absent */
    f.body = body;
    ck_assert_str_eq(match_name(&set, &f), "chat");
    json_decref(body);
    body = json_pack("{s:f}", "temperature", 0.2);
    f.body = body;
    ck_assert_str_eq(match_name(&set, &f), "cold");
    json_decref(body);
    json_decref(outs);
    json_decref(other);
    fixture_set_release(&set);
}
END_TEST

/* A skip callback: asking why fixtures were passed over makes matching
 * scan every fixture in order (no index). */
static void count_skip(void *user, const struct fixture *fx, const char *why)
{
    (void)fx;
    (void)why;
    ++*(unsigned *)user;
}

/* Facts of a first-turn request for 'path' and 'model' with no text. */
static void facts_of(struct match_facts *f, const char *path, const char *model)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->model = model;
    f->text = "";
    f->turn = 1;
}

/* The match index (fixture.c) answers what the full scan answers: globs,
 * literal models and paths, fixtures with neither, requests
 * without a model; and among 5,000 fixtures told apart by model the one of
 * the request's model (the last one too). */
START_TEST(matching_index_agrees_with_the_scan)
{
    static const char *doc =
        "[{\"name\":\"glob\",\"match\":{\"model\":\"gpt-4*\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"m1-responses\",\"match\":{\"model\":\"m1\",\"path\":\"/v1/responses\"},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"m1\",\"match\":{\"model\":\"m1\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"chat\",\"match\":{\"path\":\"/v1/chat/completions\"},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"m2-x\",\"match\":{\"model\":\"m2\",\"input_contains\":\"x\"},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"hi\",\"match\":{\"input_contains\":\"hi\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"esc\",\"match\":{\"model\":\"m\\\\3\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"urgent\",\"priority\":5,\"match\":{\"model\":\"m2\",\"input_contains\":\"!\"},"
        "\"response\":{\"output\":[]}},"
        " {\"name\":\"default\",\"response\":{\"output\":[]}}]";
    static const char *const paths[] = {"/v1/responses", "/v1/chat/completions", NULL};
    static const char *const models[] = {"gpt-4.1", "m1", "m2", "m3", "m\\3", "other", NULL};
    static const char *const texts[] = {"", "x", "hi x", "hi!", "x!"};
    struct fixture_set set;
    struct mock_error err;
    struct match_facts f;
    size_t p, m, t, compared = 0;
    struct buf many;
    int i;

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, doc, strlen(doc), "t.json", &err), 0);
    ck_assert_ptr_nonnull(set.index);
    for (p = 0; p < 3; p++)
        for (m = 0; m < 7; m++)
            for (t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
                const struct fixture *a, *b;
                unsigned skipped = 0;

                facts_of(&f, paths[p], models[m]);
                f.text = texts[t];
                a = fixture_match(&set, &f);
                b = fixture_match_explain(&set, &f, 0, count_skip, NULL, &skipped, NULL, NULL, 0);
                ck_assert_msg(a == b, "path %s, model %s, text '%s': index %s, scan %s",
                              f.path ? f.path : "-", f.model ? f.model : "-", f.text,
                              a ? a->name : "-", b ? b->name : "-");
                compared++;
            }
    ck_assert_uint_eq(compared, 3 * 7 * 5);
    facts_of(&f, "/v1/responses", "m1");
    ck_assert_str_eq(match_name(&set, &f), "m1-responses");
    f.path = "/v1/chat/completions";
    ck_assert_str_eq(match_name(&set, &f), "m1"); /* earlier in the file than chat */
    f.model = "other";
    ck_assert_str_eq(match_name(&set, &f), "chat");
    f.model = "m1";
    f.path = "/v1/other";
    ck_assert_str_eq(match_name(&set, &f), "m1");
    f.model = "m\\3"; /* a backslash is an escape to fnmatch: not a literal */
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.model = "m3";
    ck_assert_str_eq(match_name(&set, &f), "esc");
    f.model = "m2";
    f.text = "x!";
    ck_assert_str_eq(match_name(&set, &f), "m2-x"); /* the set's order (unsorted here) */
    f.text = "!";
    ck_assert_str_eq(match_name(&set, &f), "urgent");
    fixture_set_release(&set);

    /* 5,000 fixtures by model, then a default */
    buf_init(&many, 4u << 20);
    buf_append(&many, "[", 1);
    for (i = 0; i < 5000; i++) {
        char one[200];
        int n = snprintf(one, sizeof(one),
                         "%s{\"name\":\"many-%d\",\"match\":{\"model\":\"bench-m-%d\"},"
                         "\"response\":{\"output\":[]}}",
                         i ? "," : "", i, i);
        buf_append(&many, one, (size_t)n);
    }
    {
        static const char tail[] = ",{\"name\":\"default\",\"response\":{\"output\":[]}}]";
        buf_append(&many, tail, sizeof(tail) - 1);
    }
    memset(&set, 0, sizeof(set));
    ck_assert_msg(fixture_set_load_text(&set, many.data, many.len, "many.json", &err) == 0, "%s",
                  err.text);
    ck_assert_uint_eq(set.n, 5001);
    facts_of(&f, "/v1/responses", "bench-m-0");
    ck_assert_str_eq(match_name(&set, &f), "many-0");
    f.model = "bench-m-4999";
    ck_assert_str_eq(match_name(&set, &f), "many-4999");
    f.model = "bench-m-5000";
    ck_assert_str_eq(match_name(&set, &f), "default");
    buf_release(&many);
    fixture_set_release(&set);
}
END_TEST

static void chunks_of(const char *doc, const char **want, size_t nwant)
{
    struct fixture_set set;
    struct mock_error err;
    const struct fx_item *it;
    size_t i, from = 0;

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, doc, strlen(doc), "c.json", &err), 0);
    it = &set.v[0].items[0];
    ck_assert_uint_eq(it->chunks.n, nwant);
    for (i = 0; i < nwant; i++) {
        size_t to = it->chunks.ends[i];
        ck_assert_uint_eq(to - from, strlen(want[i]));
        ck_assert_msg(strncmp(it->text + from, want[i], to - from) == 0, "chunk %zu", i);
        from = to;
    }
    ck_assert_uint_eq(from, strlen(it->text));
    fixture_set_release(&set);
}

START_TEST(chunking_words_and_chars)
{
    static const char *words[] = {"Hello", " big", " world!"};
    static const char *pairs[] = {"Hello big", " world!"};
    static const char *chars[] = {"h\xc3\xa9", "ll", "o"}; /* UTF-8 stays whole */

    chunks_of("{\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"Hello big world!\"}]}}",
              words, 3);
    chunks_of("{\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"Hello big world!\"}]},"
              "\"stream\":{\"chunk_size\":2}}",
              pairs, 2);
    chunks_of("{\"response\":{\"output\":[{\"type\":\"message\",\"text\":\"h\xc3\xa9llo\"}]},"
              "\"stream\":{\"chunk\":\"chars\",\"chunk_size\":2}}",
              chars, 3);
}
END_TEST

START_TEST(function_arguments_become_a_string)
{
    const char *doc = "{\"response\":{\"output\":[{\"type\":\"function_call\",\"name\":\"f\","
                      "\"arguments\":{\"a\":1,\"b\":\"x\"}}]}}";
    struct fixture_set set;
    struct mock_error err;

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, doc, strlen(doc), "f.json", &err), 0);
    ck_assert_str_eq(set.v[0].items[0].text, "{\"a\":1,\"b\":\"x\"}");
    fixture_set_release(&set);
}
END_TEST


/* --check reports every bad file, and a bad directory loads nothing. */
START_TEST(check_reports_every_file)
{
    char dir[] = "/tmp/rm-fixtures-XXXXXX", path[256], *out = NULL;
    struct fixture_set set;
    struct mock_error err;
    size_t outlen = 0;
    FILE *f, *mem;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.json", dir);
    f = fopen(path, "w");
    fputs("{\"response\":{\"output\":[]}, \"colour\": 1}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/b.json", dir);
    f = fopen(path, "w");
    fputs("{\"response\":{\"output\":[]}}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/c.json", dir);
    f = fopen(path, "w");
    fputs("[1,", f);
    fclose(f);
    mem = open_memstream(&out, &outlen);
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load(&set, dir, &err, mem), -1);
    fclose(mem);
    ck_assert_ptr_nonnull(strstr(out, "a.json:1:38: colour: unknown key 'colour'"));
    ck_assert_ptr_nonnull(strstr(out, "c.json:1:"));
    ck_assert_ptr_null(strstr(out, "b.json"));
    ck_assert_uint_eq(set.n, 0);
    /* The first problem is the one reported on start-up. */
    ck_assert_ptr_nonnull(strstr(err.file, "a.json"));
    ck_assert_int_eq(err.line, 1);
    free(out);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(locate_paths)
{
    const char *doc = "[\n  {\"a\": 1,\n   \"b\": {\"c\": [10, 20,\n  30]}}\n]";
    int line, col;

    ck_assert_int_eq(json_util_locate(doc, strlen(doc), "[0].b.c[2]", &line, &col), 0);
    ck_assert_int_eq(line, 4);
    ck_assert_int_eq(col, 3);
    ck_assert_int_eq(json_util_locate(doc, strlen(doc), "[0].a", &line, &col), 0);
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(col, 9);
    ck_assert_int_eq(json_util_locate(doc, strlen(doc), "[0].zz", &line, &col), -1);
}
END_TEST

START_TEST(fixture_name_too_long_is_a_lint_error)
{
    struct fixture_set set;
    struct mock_error err;
    char *doc = harness_long_name_fixture(200);
    char got[1024];

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_msg(fixture_set_load_text(&set, doc, strlen(doc), "long.json", &err) != 0,
                  "a 200-byte fixture name was accepted");
    mock_error_format(&err, got, sizeof(got));
    ck_assert_msg(strstr(got, "name") && strstr(got, "127"), "%s", got);
    fixture_set_release(&set);
    free(doc);
}
END_TEST

/* Every newer matcher, each on its own: the fact that meets it and one that
 * does not. */
static const char *header_fn(const void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "x-test-case") == 0 ? "refund" : NULL;
}

START_TEST(matching_newer_conditions)
{
    static const char *doc =
        "[{\"name\":\"instr\",\"match\":{\"instructions_contains\":\"pirate\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"re\",\"match\":{\"input_matches\":\"order [0-9]+\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"choice\",\"match\":{\"tool_choice\":\"lookup\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"bg\",\"match\":{\"background\":true},\"response\":{\"output\":[]}},"
        " {\"name\":\"meta\",\"match\":{\"metadata\":{\"suite\":\"billing\"}},\"response\":{\"output\":[]}},"
        " {\"name\":\"hdr\",\"match\":{\"header\":{\"X-Test-Case\":\"refund\"}},\"response\":{\"output\":[]}},"
        " {\"name\":\"img\",\"match\":{\"has_image\":true},\"response\":{\"output\":[]}},"
        " {\"name\":\"file\",\"match\":{\"has_file\":true},\"response\":{\"output\":[]}},"
        " {\"name\":\"fmt\",\"match\":{\"text_format\":\"json_schema\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"st\",\"match\":{\"state\":\"paid\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"default\",\"response\":{\"output\":[]}}]";
    struct fixture_set set;
    struct mock_error err;
    struct match_facts f;
    json_t *bg = json_pack("{s:b}", "background", 1);
    json_t *meta = json_pack("{s:{s:s}}", "metadata", "suite", "billing");
    json_t *meta2 = json_pack("{s:{s:s}}", "metadata", "suite", "other");

    memset(&set, 0, sizeof(set));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&set, doc, strlen(doc), "n.json", &err), 0);
    ck_assert_int_eq(set.has_states, 0); /* only fixture_set_build computes it */
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.text = "nothing";
    f.turn = 1;
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.instructions = "talk like a pirate";
    ck_assert_str_eq(match_name(&set, &f), "instr");
    f.instructions = NULL;
    f.text = "where is order 42?";
    ck_assert_str_eq(match_name(&set, &f), "re");
    f.text = "where is order x?";
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.forced_tool = "lookup";
    ck_assert_str_eq(match_name(&set, &f), "choice");
    f.forced_tool = NULL;
    f.tool_choice = "auto"; /* the mode, with no function named */
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.body = bg;
    ck_assert_str_eq(match_name(&set, &f), "bg");
    f.body = meta2;
    ck_assert_str_eq(match_name(&set, &f), "default");
    f.body = meta;
    ck_assert_str_eq(match_name(&set, &f), "meta");
    f.body = NULL;
    f.header = header_fn;
    ck_assert_str_eq(match_name(&set, &f), "hdr");
    f.header = NULL;
    f.has_image = 1;
    ck_assert_str_eq(match_name(&set, &f), "img");
    f.has_image = 0;
    f.has_file = 1;
    ck_assert_str_eq(match_name(&set, &f), "file");
    f.has_file = 0;
    f.text_format = "json_schema";
    ck_assert_str_eq(match_name(&set, &f), "fmt");
    f.text_format = NULL;
    f.state = "paid";
    ck_assert_str_eq(match_name(&set, &f), "st");
    json_decref(bg);
    json_decref(meta);
    json_decref(meta2);
    fixture_set_release(&set);
}
END_TEST

/* Sequences parse into named steps; priority reorders; a bad regex and a
 * sequence beside a response are load errors; --strict skips catch-alls
 * and names the closest fixture. */
START_TEST(sequences_priority_and_strict)
{
    static const char *doc =
        "[{\"name\":\"low\",\"match\":{\"model\":\"m\"},\"response\":{\"output\":[]}},"
        " {\"name\":\"seq\",\"priority\":5,\"match\":{\"model\":\"m\"},\"sequence_end\":\"cycle\","
        "  \"sequence\":[{\"error\":{\"status\":429}},{\"response\":{\"output\":[]}}]},"
        " {\"name\":\"catch\",\"response\":{\"output\":[]}}]";
    static const char *bad_re = "{\"match\":{\"input_matches\":\"(\"},\"response\":{\"output\":[]}}";
    static const char *both = "{\"sequence\":[{\"response\":{\"output\":[]}}],"
                              "\"response\":{\"output\":[]}}";
    struct fixture_docs docs = {NULL, 0, 0};
    struct fixture_set set, bad;
    struct mock_error err;
    struct match_facts f;
    const struct fixture *seq, *closest;
    char why[256];

    ck_assert_int_eq(fixture_docs_add(&docs, "p.json", doc, strlen(doc)), 0);
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_build(&set, &docs, docs.n, NULL, &err, NULL), 0);
    ck_assert_str_eq(set.v[0].name, "seq"); /* priority 5 first */
    ck_assert_str_eq(set.v[1].name, "low");
    seq = &set.v[0];
    ck_assert_uint_eq(seq->nsteps, 2);
    ck_assert_str_eq(seq->steps[1].name, "seq#2");
    ck_assert_ptr_eq(fixture_step(seq, 0), &seq->steps[0]);
    ck_assert_ptr_eq(fixture_step(seq, 3), &seq->steps[1]); /* cycle: 3 mod 2 */
    ck_assert_ptr_eq(fixture_find(&set, "seq#1"), &seq->steps[0]);
    ck_assert_int_eq(seq->steps[0].kind, FX_ERROR);
    memset(&f, 0, sizeof(f));
    f.path = "/v1/responses";
    f.model = "other";
    f.text = "";
    f.turn = 1;
    ck_assert_ptr_eq(fixture_match_explain(&set, &f, 0, NULL, NULL, NULL, NULL, NULL, 0),
                     fixture_find(&set, "catch"));
    ck_assert_ptr_null(
        fixture_match_explain(&set, &f, 1, NULL, NULL, NULL, &closest, why, sizeof(why)));
    ck_assert_ptr_nonnull(closest);
    ck_assert_ptr_nonnull(strstr(why, "model does not match 'm'"));
    fixture_set_release(&set);
    fixture_docs_release(&docs);
    memset(&bad, 0, sizeof(bad));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&bad, bad_re, strlen(bad_re), "r.json", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.text, "input_matches"));
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load_text(&bad, both, strlen(both), "b.json", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.text, "sequence"));
    fixture_set_release(&bad);
}
END_TEST

/* Issue 14: a fixture file over RM_MAX_FIXTURE_FILE is refused at the
 * line and column of its first byte over the limit; a FIFO named *.json is
 * refused at once (it blocked the load before); a link to a regular file
 * is followed. */
START_TEST(file_limits_and_kinds)
{
    char dir[] = "/tmp/rm-fixtures-XXXXXX", path[256], target[256], *line;
    struct fixture_set set;
    struct mock_error err;
    FILE *f;
    size_t i;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/big.json", dir);
    f = fopen(path, "w");
    line = malloc(1001);
    memset(line, ' ', 999);
    line[999] = '\n';
    line[1000] = '\0';
    for (i = 0; i < RM_MAX_FIXTURE_FILE / 1000 + 1; i++)
        fputs(line, f);
    fclose(f);
    free(line);
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load(&set, dir, &err, NULL), -1);
    ck_assert_ptr_nonnull(strstr(err.text, "larger than"));
    ck_assert_int_eq(err.line, (int)(RM_MAX_FIXTURE_FILE / 1000) + 1);
    ck_assert_int_eq(err.column, (int)(RM_MAX_FIXTURE_FILE % 1000) + 1);
    fixture_set_release(&set);
    unlink(path);

    snprintf(path, sizeof(path), "%s/fifo.json", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load(&set, dir, &err, NULL), -1);
    ck_assert_str_eq(err.text, "not a regular file");
    ck_assert_int_eq(err.line, 1);
    fixture_set_release(&set);
    unlink(path);

    snprintf(target, sizeof(target), "%s/../%s-target.json", dir, dir + 5);
    f = fopen(target, "w");
    fputs("{\"response\":{\"output\":[]}}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/link.json", dir);
    ck_assert_int_eq(symlink(target, path), 0);
    mock_error_clear(&err);
    ck_assert_int_eq(fixture_set_load(&set, dir, &err, NULL), 0);
    ck_assert_uint_eq(set.n, 1);
    fixture_set_release(&set);
    unlink(path);
    unlink(target);
    rmdir(dir);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("fixture");
    add_tcase(s, tcase_create("golden_bad_fixtures"), 60, NULL, NULL, golden_bad_fixtures);
    add_tcase(s, tcase_create("shipped_fixtures_load"), 60, NULL, NULL, shipped_fixtures_load);
    add_tcase(s, tcase_create("matching_first_match_wins"), 60, NULL, NULL,
              matching_first_match_wins, matching_tool_loops, matching_newer_conditions,
              sequences_priority_and_strict, matching_index_agrees_with_the_scan);
    add_tcase(s, tcase_create("chunking_words_and_chars"), 60, NULL, NULL,
              chunking_words_and_chars, function_arguments_become_a_string);
    add_tcase(s, tcase_create("check_reports_every_file"), 60, NULL, NULL,
              check_reports_every_file);
    add_tcase(s, tcase_create("fixture_names"), 60, NULL, NULL,
              fixture_name_too_long_is_a_lint_error);
    add_tcase(s, tcase_create("locate_paths"), 60, NULL, NULL, locate_paths);
    add_tcase(s, tcase_create("file_limits"), 60, NULL, NULL, file_limits_and_kinds);
    return s;
}
