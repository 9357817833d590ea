/* report: text, record, JSON and JUnit renderers (see report.h).
 * Renderers only format; report_emit / report_write_file scrub and write. */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "client_limits.h"
#include "json_util.h"
#include "redact.h"

static const char *status_word(enum check_status s)
{
    return s == CHECK_PASS ? "PASS" : s == CHECK_FAIL ? "FAIL" : "SKIP";
}

static int selected(const struct smoke_config *cfg, enum smoke_api api)
{
    return (cfg->apis & (1u << api)) != 0;
}

static int both_apis(const struct smoke_config *cfg)
{
    return selected(cfg, SMOKE_API_RESPONSES) && selected(cfg, SMOKE_API_CHAT);
}

/* The record's aggregate fields, as printable strings. */
struct fields {
    char endpoint[600];
    char http_status[80];
    int valid_json;        /* 1, 0 or -1 (not known) */
    int required_fields;   /* 1, 0 or -1 */
    char error_path_status[1200];
    int error_parseable;   /* 1, 0 or -1 */
};

static void fields_fill(const struct smoke_run *run, const struct smoke_config *cfg,
                        struct fields *f)
{
    char base[512];
    size_t w = 0, i;
    int api, n_err = 0, all_parse = 1;

    memset(f, 0, sizeof(*f));
    redact_url(cfg->base_url, base, sizeof(base));
    f->valid_json = f->required_fields = -1;
    for (api = 0; api < SMOKE_API_COUNT; api++) {
        size_t hw = strlen(f->http_status), ew = strlen(f->endpoint);
        if (!selected(cfg, api))
            continue;
        snprintf(f->endpoint + ew, sizeof(f->endpoint) - ew, "%s%s%s", ew ? ", " : "", base,
                 checks_api_path(api));
        if (both_apis(cfg))
            snprintf(f->http_status + hw, sizeof(f->http_status) - hw, "%s%s %ld",
                     hw ? ", " : "", checks_api_name(api), run->basic_status[api]);
        else
            snprintf(f->http_status, sizeof(f->http_status), "%ld", run->basic_status[api]);
        if (run->basic_json[api] >= 0)
            f->valid_json = (f->valid_json != 0) && run->basic_json[api];
        if (run->basic_fields[api] >= 0)
            f->required_fields = (f->required_fields != 0) && run->basic_fields[api];
    }
    for (api = 0; api < SMOKE_API_COUNT; api++) {
        int first = 1;
        for (i = 0; i < run->n; i++) {
            const struct check_result *r = &run->checks[i];
            if (!r->error_path || r->api != (enum smoke_api)api)
                continue;
            if (w < sizeof(f->error_path_status)) {
                int k = snprintf(f->error_path_status + w, sizeof(f->error_path_status) - w,
                                 "%s%s%s=%ld", w ? (first ? "; " : " ") : "",
                                 first && both_apis(cfg) ? (api ? "chat: " : "responses: ") : "",
                                 r->name, r->http_status);
                if (k > 0)
                    w += (size_t)k;
            }
            first = 0;
            n_err++;
            all_parse &= r->error_parseable;
        }
    }
    if (!n_err)
        snprintf(f->error_path_status, sizeof(f->error_path_status), "none");
    f->error_parseable = n_err ? all_parse : -1;
    if (!f->endpoint[0])
        snprintf(f->endpoint, sizeof(f->endpoint), "%s", base);
    if (!f->http_status[0])
        snprintf(f->http_status, sizeof(f->http_status), "0");
}

/* Copy 'in' for a "key: value" line of the record: a control character (a
 * newline in --reviewed-by, say) would start a forged line, so it becomes '?'. */
static const char *line_value(const char *in, char *out, size_t n)
{
    size_t i;

    for (i = 0; in[i] && i + 1 < n; i++)
        out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? '?' : in[i];
    out[i] = '\0';
    return out;
}

static const char *tri(int v)
{
    return v < 0 ? "unknown" : v ? "true" : "false";
}

static json_t *tri_json(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

/* The row of area 'a' in the area table: its title, one cell per selected
 * API with its result ("n/a" where the area does not apply), and the
 * evidence of those APIs; padded columns for the text report ('text'), where
 * evidence is joined by " | " and given only where the area applies, or a
 * Markdown row for the record, evidence joined by "; ". Returns 0 or -1 as
 * buf_appendf. */
static int area_row(const struct smoke_run *run, const struct smoke_config *cfg, int a,
                    int text, struct buf *out)
{
    char ev[SMOKE_REASON_MAX], evidence[2 * SMOKE_REASON_MAX + 16] = "";
    int api, rc = 0;

    if (text)
        rc |= buf_appendf(out, "%-26s", checks_area_title(a));
    else
        rc |= buf_appendf(out, "| %s |", checks_area_title(a));
    for (api = 0; api < SMOKE_API_COUNT; api++) {
        enum check_status st;
        const char *word;
        size_t el = strlen(evidence);

        if (!selected(cfg, api))
            continue;
        st = checks_area_status(run, cfg, a, api, ev, sizeof(ev));
        word = checks_area_applies(a, api) ? status_word(st) : "n/a";
        if (text)
            rc |= buf_appendf(out, " %-10s", word);
        else
            rc |= buf_appendf(out, " %s |", word);
        if (text && !checks_area_applies(a, api))
            continue;
        snprintf(evidence + el, sizeof(evidence) - el, "%s%s%s", el ? (text ? " | " : "; ") : "",
                 both_apis(cfg) ? (api ? "chat: " : "responses: ") : "", ev);
    }
    if (text)
        rc |= buf_appendf(out, " %s\n", evidence);
    else
        rc |= buf_appendf(out, " %s |\n", evidence);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------- */

int report_text(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out)
{
    char base[512], name[96];
    size_t i, pass = 0, fail = 0, skip = 0;
    int a, api, rc = 0;

    redact_url(cfg->base_url, base, sizeof(base));
    rc |= buf_appendf(out, "respsmoke %s: %s (env %s, model %s, run %s)\n", RM_VERSION, base,
                      cfg->env, run->model[0] ? run->model : "-", run->run_id);
    for (i = 0; i < run->n; i++) {
        const struct check_result *r = &run->checks[i];
        snprintf(name, sizeof(name), "%s/%s", checks_area_name(r->area), r->name);
        rc |= buf_appendf(out, "%s  %-9s  %-44s %s\n", status_word(r->status),
                          checks_api_name(r->api), name, r->reason);
        pass += r->status == CHECK_PASS;
        fail += r->status == CHECK_FAIL;
        skip += r->status == CHECK_SKIP;
    }
    rc |= buf_appendf(out, "\n%-26s", "AREA");
    for (api = 0; api < SMOKE_API_COUNT; api++)
        if (selected(cfg, api))
            rc |= buf_appendf(out, " %-10s", checks_api_name(api));
    rc |= buf_appendf(out, " EVIDENCE\n");
    for (a = 0; a < SMOKE_AREA_COUNT; a++)
        rc |= area_row(run, cfg, a, 1, out);
    rc |= buf_appendf(out, "\nnotes: %s\n", notes_text(&run->notes));
    if (run->aborted)
        rc |= buf_appendf(out, "aborted: %s\n", run->abort_reason);
    rc |= buf_appendf(out, "summary: %zu passed, %zu failed, %zu skipped\n", pass, fail, skip);
    return rc ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * Record
 * ------------------------------------------------------------------------- */

int report_record(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out)
{
    struct fields f;
    char notes[SMOKE_MAX_NOTES + SMOKE_REASON_MAX + 32];
    char tmp[SMOKE_MAX_NOTES + SMOKE_REASON_MAX + 32], reviewer[256];
    int a, rc = 0;

    fields_fill(run, cfg, &f);
    snprintf(tmp, sizeof(tmp), "%s%s%s", notes_text(&run->notes),
             run->aborted ? "; aborted: " : "", run->aborted ? run->abort_reason : "");
    line_value(tmp, notes, sizeof(notes));
    snprintf(tmp, sizeof(tmp), "%s", f.endpoint);
    line_value(tmp, f.endpoint, sizeof(f.endpoint));
    line_value(cfg->reviewed_by && cfg->reviewed_by[0] ? cfg->reviewed_by : "unreviewed",
               reviewer, sizeof(reviewer));
    rc |= buf_appendf(out, "---\n");
    rc |= buf_appendf(out, "date: %s\n", run->date);
    rc |= buf_appendf(out, "run_id: %s\n", run->run_id);
    rc |= buf_appendf(out, "endpoint: %s\n", f.endpoint);
    rc |= buf_appendf(out, "env: %s\n", cfg->env);
    rc |= buf_appendf(out, "http_status: %s\n", f.http_status);
    rc |= buf_appendf(out, "response_valid_json: %s\n", tri(f.valid_json));
    rc |= buf_appendf(out, "required_fields_present: %s\n", tri(f.required_fields));
    rc |= buf_appendf(out, "error_path_status: %s\n", f.error_path_status);
    rc |= buf_appendf(out, "error_response_parseable: %s\n", tri(f.error_parseable));
    rc |= buf_appendf(out, "notes: %s\n", notes);
    rc |= buf_appendf(out, "reviewed_by: %s\n\n", reviewer);
    if (both_apis(cfg))
        rc |= buf_appendf(out, "| area | responses | chat | evidence |\n|---|---|---|---|\n");
    else
        rc |= buf_appendf(out, "| area | result | evidence |\n|---|---|---|\n");
    for (a = 0; a < SMOKE_AREA_COUNT; a++)
        rc |= area_row(run, cfg, a, 0, out);
    rc |= buf_appendf(out, "\n");
    return rc ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------- */

int report_json(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out)
{
    struct fields f;
    char ev[SMOKE_REASON_MAX];
    json_t *doc = json_object(), *areas = json_array(), *checks = json_array(), *http;
    char *text;
    size_t i;
    int a, api, rc;

    fields_fill(run, cfg, &f);
    if (both_apis(cfg))
        http = json_pack("{s:I, s:I}", "responses", (json_int_t)run->basic_status[0], "chat",
                         (json_int_t)run->basic_status[1]);
    else
        http = json_integer(run->basic_status[selected(cfg, SMOKE_API_CHAT) ? 1 : 0]);
    json_object_set_new(doc, "date", json_string(run->date));
    json_object_set_new(doc, "run_id", json_string(run->run_id));
    json_object_set_new(doc, "endpoint", json_string(f.endpoint));
    json_object_set_new(doc, "env", json_string(cfg->env));
    json_object_set_new(doc, "http_status", http);
    json_object_set_new(doc, "response_valid_json", tri_json(f.valid_json));
    json_object_set_new(doc, "required_fields_present", tri_json(f.required_fields));
    json_object_set_new(doc, "error_path_status", json_string(f.error_path_status));
    json_object_set_new(doc, "error_response_parseable", tri_json(f.error_parseable));
    json_object_set_new(doc, "notes", json_string(notes_text(&run->notes)));
    json_object_set_new(doc, "reviewed_by",
                        cfg->reviewed_by && cfg->reviewed_by[0] ? json_string(cfg->reviewed_by)
                                                                : json_null());
    json_object_set_new(doc, "aborted",
                        run->aborted ? json_string(run->abort_reason) : json_null());
    for (api = 0; api < SMOKE_API_COUNT; api++) {
        if (!selected(cfg, api))
            continue;
        for (a = 0; a < SMOKE_AREA_COUNT; a++) {
            enum check_status st = checks_area_status(run, cfg, a, api, ev, sizeof(ev));
            json_array_append_new(
                areas, json_pack("{s:s, s:s, s:s, s:s, s:s}", "area", checks_area_name(a),
                                 "title", checks_area_title(a), "api", checks_api_name(api),
                                 "result",
                                 checks_area_applies(a, api) ? status_word(st) : "n/a",
                                 "evidence", ev));
        }
    }
    for (i = 0; i < run->n; i++) {
        const struct check_result *r = &run->checks[i];
        json_array_append_new(
            checks, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "area", checks_area_name(r->area),
                              "api", checks_api_name(r->api), "name", r->name, "result",
                              status_word(r->status), "reason", r->reason, "http_status",
                              (json_int_t)r->http_status));
    }
    json_object_set_new(doc, "areas", areas);
    json_object_set_new(doc, "checks", checks);
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return -1;
    rc = buf_append_str(out, text) || buf_append_str(out, "\n");
    free(text);
    return rc ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * JUnit
 * ------------------------------------------------------------------------- */

/* Append 's' escaped for an XML attribute; control characters are dropped. */
static int xml_attr(struct buf *out, const char *s)
{
    int rc = 0;

    for (; *s && !rc; s++) {
        switch (*s) {
        case '&': rc = buf_append_str(out, "&amp;"); break;
        case '<': rc = buf_append_str(out, "&lt;"); break;
        case '>': rc = buf_append_str(out, "&gt;"); break;
        case '"': rc = buf_append_str(out, "&quot;"); break;
        case '\'': rc = buf_append_str(out, "&apos;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                rc = buf_append(out, s, 1);
        }
    }
    return rc;
}

int report_junit(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out)
{
    size_t i, tests = 0, failures = 0, skipped = 0;
    int a, api, rc = 0;
    char base[512];

    redact_url(cfg->base_url, base, sizeof(base));
    for (i = 0; i < run->n; i++) {
        tests++;
        failures += run->checks[i].status == CHECK_FAIL;
        skipped += run->checks[i].status == CHECK_SKIP;
    }
    rc |= buf_appendf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    rc |= buf_appendf(out,
                      "<testsuites name=\"respsmoke\" tests=\"%zu\" failures=\"%zu\" "
                      "errors=\"%d\" skipped=\"%zu\">\n",
                      tests + (run->aborted ? 1 : 0), failures, run->aborted ? 1 : 0, skipped);
    for (api = 0; api < SMOKE_API_COUNT; api++) {
        for (a = 0; a < SMOKE_AREA_COUNT; a++) {
            size_t t = 0, f = 0, s = 0;
            double secs = 0;
            for (i = 0; i < run->n; i++) {
                const struct check_result *r = &run->checks[i];
                if (r->api != (enum smoke_api)api || r->area != (enum smoke_area)a)
                    continue;
                t++;
                f += r->status == CHECK_FAIL;
                s += r->status == CHECK_SKIP;
                secs += r->seconds;
            }
            if (!t)
                continue;
            rc |= buf_appendf(out,
                              "  <testsuite name=\"respsmoke.%s.%s\" tests=\"%zu\" "
                              "failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" "
                              "timestamp=\"%s\">\n",
                              checks_api_name(api), checks_area_name(a), t, f, s, secs,
                              run->date);
            rc |= buf_appendf(out, "    <properties><property name=\"run_id\" value=\"%s\"/>"
                                   "<property name=\"env\" value=\"",
                              run->run_id);
            rc |= xml_attr(out, cfg->env);
            rc |= buf_appendf(out, "\"/><property name=\"endpoint\" value=\"");
            rc |= xml_attr(out, base);
            rc |= buf_appendf(out, "\"/></properties>\n");
            for (i = 0; i < run->n; i++) {
                const struct check_result *r = &run->checks[i];
                if (r->api != (enum smoke_api)api || r->area != (enum smoke_area)a)
                    continue;
                rc |= buf_appendf(out,
                                  "    <testcase classname=\"respsmoke.%s.%s\" name=\"%s\" "
                                  "time=\"%.3f\"",
                                  checks_api_name(api), checks_area_name(a), r->name, r->seconds);
                if (r->status == CHECK_PASS) {
                    rc |= buf_appendf(out, "/>\n");
                    continue;
                }
                rc |= buf_appendf(out, ">\n      <%s message=\"",
                                  r->status == CHECK_FAIL ? "failure" : "skipped");
                rc |= xml_attr(out, r->reason);
                rc |= buf_appendf(out, "\"%s/>\n    </testcase>\n",
                                  r->status == CHECK_FAIL ? " type=\"FAIL\"" : "");
            }
            rc |= buf_appendf(out, "  </testsuite>\n");
        }
    }
    if (run->aborted) {
        rc |= buf_appendf(out, "  <testsuite name=\"respsmoke.run\" tests=\"1\" failures=\"0\" "
                               "errors=\"1\" skipped=\"0\">\n    <testcase classname=\"respsmoke."
                               "run\" name=\"setup\">\n      <error message=\"");
        rc |= xml_attr(out, run->abort_reason);
        rc |= buf_appendf(out, "\"/>\n    </testcase>\n  </testsuite>\n");
    }
    rc |= buf_appendf(out, "</testsuites>\n");
    return rc ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------- */

int report_emit(FILE *fp, const char *text, const char *secret)
{
    char *clean = redact_scrub(text, secret);
    int rc;

    if (!clean)
        return -1;
    rc = fputs(clean, fp) < 0 ? -1 : 0;
    free(clean);
    return rc;
}

int report_write_file(const char *path, const char *text, const char *secret, int append,
                      char *err, size_t n)
{
    FILE *fp = fopen(path, append ? "a" : "w");
    int rc;

    if (!fp) {
        snprintf(err, n, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    rc = report_emit(fp, text, secret);
    if (fclose(fp) != 0)
        rc = -1;
    if (rc)
        snprintf(err, n, "cannot write %s", path);
    return rc;
}
