/* render_transcript: recorded frames as raw events (see render_transcript.h). */
#include "render_transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "contract.h"
#include "json_util.h"
#include "limits.h"


static int id_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_' || c == '-';
}

/* Length of the recorded id at in[i], or 0. An id is a whole JSON string
 * value "<prefix><id chars>": never a key such as "call_id", never part of
 * a longer text. '*plen' gets the prefix length. */
static size_t id_at(const char *in, size_t len, size_t i, size_t *plen)
{
    const char *const *p;

    if (i == 0 || in[i - 1] != '"')
        return 0;
    for (p = contract_response_id_prefixes; *p; p++) {
        size_t n = strlen(*p), j = i + n, k;

        if (len - i <= n || strncmp(in + i, *p, n) != 0)
            continue;
        while (j < len && id_char(in[j]))
            j++;
        if (j == i + n || j >= len || in[j] != '"')
            return 0;
        for (k = j + 1; k < len && (in[k] == ' ' || in[k] == '\t'); k++)
            ;
        if (k < len && in[k] == ':')
            return 0; /* a key */
        *plen = n;
        return j - i;
    }
    return 0;
}

/* Replace every recorded id with one fresh id per distinct value ('map'
 * keeps old -> new across the frames of one replay). New allocation. */
static char *refresh_ids(struct rm_server *srv, const char *in, size_t len, json_t *map,
                         size_t *out_len)
{
    struct buf b;
    size_t i = 0, from = 0;

    buf_init(&b, RM_MAX_STREAM_BYTES);
    while (i < len) {
        size_t plen = 0, n = id_at(in, len, i, &plen);
        char old[256], fresh[RM_MAX_ID_HEX + 32], pre[16];
        const char *known;

        if (n == 0 || n >= sizeof(old) || plen >= sizeof(pre)) {
            i++;
            continue;
        }
        memcpy(old, in + i, n);
        old[n] = '\0';
        known = json_util_str(map, old);
        if (!known) {
            /* the recorded shape: as long as the recorded id, and ids that
             * shared a segment (a response and its items) still share one */
            size_t hex = n - plen < RM_MAX_ID_HEX ? n - plen : RM_MAX_ID_HEX;
            if (hex < RM_ID_SEGMENT_LEN + 8)
                hex = 32; /* a made-up short id ("resp_R1"): a fresh id long enough to be unique */
            memcpy(pre, in + i, plen);
            pre[plen] = '\0';
            server_new_id(srv, pre, (unsigned)hex, fresh, sizeof(fresh));
            if (hex >= RM_ID_SEGMENT_LEN + 8) {
                char seg_key[RM_ID_SEGMENT_LEN + 8];
                const char *seg;
                snprintf(seg_key, sizeof(seg_key), "seg:%.*s", RM_ID_SEGMENT_LEN, in + i + plen);
                seg = json_util_str(map, seg_key);
                if (seg)
                    memcpy(fresh + plen, seg, RM_ID_SEGMENT_LEN);
                else
                    json_object_set_new(map, seg_key,
                                        json_stringn(fresh + plen, RM_ID_SEGMENT_LEN));
            }
            json_object_set_new(map, old, json_string(fresh));
            known = json_util_str(map, old);
        }
        if (buf_append(&b, in + from, i - from) || !known || buf_append_str(&b, known)) {
            buf_release(&b);
            return NULL;
        }
        i += n;
        from = i;
    }
    if (buf_append(&b, in + from, len - from)) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b, out_len);
}

/* A copy of 'v' whose string values that 'map' knows are replaced by
 * their fresh ids (the ids refresh_ids() put in the bytes). New reference. */
static json_t *refresh_json(const json_t *v, const json_t *map)
{
    if (json_is_string(v)) {
        json_t *fresh = json_object_get(map, json_string_value(v));
        return json_incref(fresh ? fresh : (json_t *)v);
    }
    if (json_is_array(v)) {
        json_t *out = json_array(), *it;
        size_t i;
        json_array_foreach(v, i, it) json_array_append_new(out, refresh_json(it, map));
        return out;
    }
    if (json_is_object(v)) {
        json_t *out = json_object(), *it;
        const char *k;
        json_object_foreach((json_t *)v, k, it) json_object_set_new(out, k, refresh_json(it, map));
        return out;
    }
    return json_incref((json_t *)v);
}

struct event_list *render_transcript_events(struct rm_server *srv, const struct fixture *fx,
                                            const struct fx_fault *fault)
{
    struct event_list *l = event_list_new();
    json_t *map = fx->fresh_ids ? json_object() : NULL, *snap = NULL;
    struct emitter e;
    size_t i;

    if (!l) {
        json_decref(map);
        return NULL;
    }
    emitter_init(&e, l, &fx->stream, fault, 0);
    for (i = 0; i < fx->nframes && !e.stopped && !e.failed; i++) {
        const struct fx_frame *f = &fx->frames[i];
        json_t *data = json_incref(f->data), *r;
        const char *bytes = f->bytes;
        size_t len = f->len;
        char *fresh = NULL;

        if (map) {
            fresh = refresh_ids(srv, f->bytes, f->len, map, &len);
            if (!fresh) {
                json_decref(data);
                e.failed = 1;
                break;
            }
            bytes = fresh;
            json_decref(data);
            data = f->data ? refresh_json(f->data, map) : NULL;
        }
        emitter_frame(&e, bytes, len, data, f->delay_ms, snap);
        if (json_is_object(r = json_object_get(data, "response"))) {
            json_decref(snap);
            snap = json_incref(r);
        }
        json_decref(data);
        free(fresh);
    }
    if (emitter_finish(&e, snap) != 0) {
        event_list_unref(l);
        l = NULL;
    }
    json_decref(snap);
    json_decref(map);
    return l;
}

json_t *render_transcript_final(const struct fixture *fx)
{
    json_t *last = NULL;
    size_t i;

    for (i = 0; i < fx->nframes; i++) {
        json_t *r = json_object_get(fx->frames[i].data, "response");
        if (json_is_object(r))
            last = r;
    }
    return json_incref(last);
}
