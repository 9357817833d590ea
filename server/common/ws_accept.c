/* ws_accept: the WebSocket handshake's accept value (see ws_accept.h). */
#include "ws_accept.h"

#include <stdlib.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t rol(uint32_t v, unsigned n)
{
    return (v << n) | (v >> (32 - n));
}

/* One 64-byte block into the state 'h'. */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    unsigned i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (i = 0; i < 80; i++) {
        uint32_t f, k, t;

        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ws_sha1(const void *data, size_t len, uint8_t digest[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const uint8_t *p = data;
    uint8_t tail[128];
    size_t rest = len % 64, full = len - rest, tlen, i;
    uint64_t bits = (uint64_t)len * 8;

    for (i = 0; i < full; i += 64)
        sha1_block(h, p + i);
    memset(tail, 0, sizeof(tail));
    memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (i = 0; i < tlen; i += 64)
        sha1_block(h, tail + i);
    for (i = 0; i < 20; i++)
        digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

int ws_accept_key(const char *key, size_t max_key, char *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t klen = key ? strlen(key) : 0, glen = strlen(WS_GUID), i, o = 0;
    uint8_t d[21];
    char *joined;

    if (klen == 0 || klen > max_key)
        return -1;
    joined = malloc(klen + glen);
    if (!joined)
        return -1;
    memcpy(joined, key, klen);
    memcpy(joined + klen, WS_GUID, glen);
    ws_sha1(joined, klen + glen, d);
    free(joined);
    d[20] = 0;
    for (i = 0; i < 21; i += 3) { /* 20 bytes: six whole groups, then two bytes and '=' */
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)(i + 1 < 20 ? d[i + 1] : 0) << 8 |
                     (uint32_t)(i + 2 < 20 ? d[i + 2] : 0);
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < 20 ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < 20 ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return 0;
}
