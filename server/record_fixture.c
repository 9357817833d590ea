/* record_fixture: a recorded exchange as a fixture (see record_fixture.h). */
#include "record_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixture.h"
#include "json_util.h"
#include "limits.h"
#include "scrub.h"

int record_keeps_header(const char *name)
{
    static const char *const keep[] = {"openai-model", "retry-after", "retry-after-ms",
                                       "x-should-retry", NULL};

    return strncasecmp(name, "x-ratelimit-", 12) == 0 || header_name_in(name, keep);
}

/* A scrubbed JSON string of 'len' bytes, or NULL (not UTF-8, OOM). */
static json_t *scrubbed(const struct redactor *rd, const char *text, size_t len)
{
    size_t n = 0;
    char *s = memchr(text, '\0', len) ? NULL : redactor_scrub(rd, text, len, &n);
    json_t *j = s ? json_stringn(s, n) : NULL;

    free(s);
    return j;
}

/* The deterministic name: the model (letters, digits, '.', '-'), the turn
 * and a digest of what the fixture matches on. */
static void fixture_name(const struct rec_recording *r, const char *digest, char *out, size_t n)
{
    const char *model = json_util_str(r->request, "model");
    char slug[48], key[RM_MAX_FIXTURE_NAME * 2 + 128], d[17];
    size_t i, j = 0;

    for (i = 0; model && model[i] && j < sizeof(slug) - 1; i++) {
        char c = model[i];
        slug[j++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '.' || c == '-'
                        ? c : '-';
    }
    slug[j] = '\0';
    snprintf(key, sizeof(key), "%s|%s|%d|%d|%s|%s", digest, model ? model : "",
             json_util_true(r->request, "stream"), r->turn, r->prev_fixture ? r->prev_fixture : "",
             r->prev_id ? r->prev_id : "");
    fixture_digest_text(key, d, sizeof(d));
    snprintf(out, n, "rec-%s%s-t%d-%s", strstr(r->path, "/chat/") ? "chat-" : "",
             j ? slug : "none", r->turn, d);
}

static json_t *match_of(const struct rec_recording *r, const char *digest)
{
    json_t *m = json_object();
    const json_t *tools = json_object_get(r->request, "tools");

    json_object_set_new(m, "path", json_string(r->path));
    if (json_util_str(r->request, "model"))
        json_object_set_new(m, "model", json_string(json_util_str(r->request, "model")));
    json_object_set_new(m, "stream", json_boolean(json_util_true(r->request, "stream")));
    json_object_set_new(m, "tools", json_boolean(json_is_array(tools) && json_array_size(tools)));
    if (r->turn > 0)
        json_object_set_new(m, "turn", json_integer(r->turn));
    if (r->prev_fixture)
        json_object_set_new(m, "previous_fixture", json_string(r->prev_fixture));
    json_object_set_new(m, "input_digest", json_string(digest));
    return m;
}

static json_t *answer_of(const struct rec_recording *r, const struct redactor *rd)
{
    json_t *t = json_object(), *events;
    size_t i, start = 0;

    json_object_set_new(t, "fresh_ids", json_false());
    if (r->status != 200)
        json_object_set_new(t, "status", json_integer(r->status));
    if (!r->sse || !r->nframes) {
        json_t *b = scrubbed(rd, r->bytes, r->len);

        if (!b) {
            json_decref(t);
            return NULL;
        }
        json_object_set_new(t, "body", b);
        return t;
    }
    events = json_array();
    json_object_set_new(t, "events", events);
    for (i = 0; i < r->nframes; i++) {
        json_t *raw = scrubbed(rd, r->bytes + start, r->frame_ends[i] - start);
        json_t *e = raw ? json_object() : NULL;

        if (!e) {
            json_decref(raw);
            json_decref(t);
            return NULL;
        }
        json_object_set_new(e, "raw", raw);
        if (r->delays_ms[i])
            json_object_set_new(e, "delay_ms", json_integer(r->delays_ms[i] < RM_MAX_DELAY_MS
                                                                ? r->delays_ms[i]
                                                                : RM_MAX_DELAY_MS));
        json_array_append_new(events, e);
        start = r->frame_ends[i];
    }
    return t;
}

json_t *record_fixture(const struct rec_recording *r, const struct redactor *rd, char *name,
                       size_t name_len)
{
    char digest[17], desc[512];
    json_t *fx, *answer, *headers;
    size_t i;

    if (r->len > RM_RECORD_MAX_BYTES || !json_is_object(r->request))
        return NULL;
    fixture_request_digest(r->request, digest, sizeof(digest));
    fixture_name(r, digest, name, name_len);
    answer = answer_of(r, rd);
    if (!answer)
        return NULL;
    snprintf(desc, sizeof(desc), "%srecorded from %s at %s: HTTP %d, %s%s%s",
             r->failure ? "PARTIAL " : "", r->upstream, r->when, r->status,
             r->sse ? "an event stream" : "a JSON body", r->failure ? "; the upstream failed: " : "",
             r->failure ? r->failure : "");
    fx = json_object();
    json_object_set_new(fx, "name", json_string(name));
    json_object_set_new(fx, "description", scrubbed(rd, desc, strlen(desc)));
    json_object_set_new(fx, "match", match_of(r, digest));
    headers = json_object();
    for (i = 0; i < r->nheaders; i++) {
        json_t *v = scrubbed(rd, r->header_values[i], strlen(r->header_values[i]));
        char lower[128];
        size_t j;

        for (j = 0; r->header_names[i][j] && j < sizeof(lower) - 1; j++)
            lower[j] = (char)((r->header_names[i][j] >= 'A' && r->header_names[i][j] <= 'Z')
                                  ? r->header_names[i][j] - 'A' + 'a'
                                  : r->header_names[i][j]);
        lower[j] = '\0';
        if (v && i < RM_MAX_FIXTURE_HEADERS)
            json_object_set_new(headers, lower, v);
        else
            json_decref(v);
    }
    if (json_object_size(headers))
        json_object_set_new(fx, "headers", headers);
    else
        json_decref(headers);
    json_object_set_new(fx, "transcript", answer);
    return fx;
}
