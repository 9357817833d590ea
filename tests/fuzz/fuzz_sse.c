/* fuzz_sse: libFuzzer target for the shared SSE parser and respsmoke's
 * stream checker (issue 14): the input is a stream's bytes; fed whole, byte
 * by byte, and in pieces whose sizes come from the input, the parser must
 * dispatch the same events (type, data, raw_bytes) and give the same
 * finish(), and the checker (Responses and Chat) the same verdicts. Any
 * difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "stream_check.h"

#define FUZZ_MAX_EVENT (64u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of the events dispatched, so two feedings can be compared. */
struct digest {
    size_t events, raw, data_bytes;
    uint64_t hash;
};

static uint64_t mix(uint64_t h, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h * 31 + n;
}

static int on_event(const struct sse_event *ev, void *user)
{
    struct digest *d = user;

    d->events++;
    d->raw += ev->raw_bytes;
    d->data_bytes += ev->data_len;
    d->hash = mix(d->hash, ev->event ? ev->event : "\1", ev->event ? strlen(ev->event) : 1);
    d->hash = mix(d->hash, ev->data, ev->data_len);
    d->hash = d->hash * 7 + ev->raw_bytes;
    return 0;
}

/* Parse 'data' in pieces: 'step' bytes each (0: whole), or, with 'sizes',
 * pieces of 1 + sizes[i] % 17 bytes. */
static void parse(const uint8_t *data, size_t size, size_t step, const uint8_t *sizes,
                  struct digest *d, int *fin, int *rc)
{
    struct sse_parser p;
    size_t off = 0, k = 0;

    memset(d, 0, sizeof(*d));
    d->hash = 1469598103934665603ull;
    *rc = 0;
    sse_parser_init(&p, FUZZ_MAX_EVENT);
    while (off < size && *rc == 0) {
        size_t n = sizes ? 1 + sizes[k++ % size] % 17u : step ? step : size;

        if (n > size - off)
            n = size - off;
        *rc = sse_parser_feed(&p, (const char *)data + off, n, on_event, d);
        off += n;
    }
    *fin = *rc < 0 ? -1 : sse_parser_finish(&p, on_event, d);
    sse_parser_release(&p);
}

static void same_digest(const struct digest *a, int fa, int ra, const struct digest *b, int fb,
                        int rb, const char *how)
{
    if (ra != rb || fa != fb || a->events != b->events || a->raw != b->raw ||
        a->data_bytes != b->data_bytes || a->hash != b->hash) {
        fprintf(stderr,
                "fuzz_sse: %s differs from whole: rc %d/%d finish %d/%d events %zu/%zu "
                "raw %zu/%zu\n",
                how, rb, ra, fb, fa, b->events, a->events, b->raw, a->raw);
        abort();
    }
}

/* The checker's verdicts, fed whole or byte by byte. */
static void check_stream(enum stream_kind kind, const uint8_t *data, size_t size)
{
    struct stream_report whole, bytes;
    struct stream_check sc;
    size_t i, k;

    stream_check_bytes(kind, (const char *)data, size, &whole);
    stream_check_init(&sc, kind);
    for (i = 0; i < size; i++)
        stream_check_feed(&sc, (const char *)data + i, 1);
    stream_check_finish(&sc, &bytes);
    stream_check_release(&sc);
    if (whole.events != bytes.events || whole.text_len != bytes.text_len)
        abort();
    for (k = 0; k < STREAM_INV_COUNT; k++)
        if (whole.inv[k].state != bytes.inv[k].state) {
            fprintf(stderr, "fuzz_sse: %s verdict differs when split\n",
                    stream_check_inv_name((enum stream_inv)k));
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct digest whole, piece;
    int fw, rw, fp, rp;

    parse(data, size, 0, NULL, &whole, &fw, &rw);
    parse(data, size, 1, NULL, &piece, &fp, &rp);
    same_digest(&whole, fw, rw, &piece, fp, rp, "byte by byte");
    parse(data, size, 0, data, &piece, &fp, &rp);
    same_digest(&whole, fw, rw, &piece, fp, rp, "in pieces");
    if (whole.raw > size)
        abort(); /* more bytes counted than fed */
    check_stream(STREAM_RESPONSES, data, size);
    check_stream(STREAM_CHAT, data, size);
    return 0;
}
