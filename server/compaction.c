/* compaction: encrypted_content of compaction items (see compaction.h). */
#include "compaction.h"

#include <string.h>

#include "limits.h"

/* What every token starts with (the real ones do too), then base64 of
 * MAGIC and the text. */
#define TOKEN_PREFIX "gAAAAAB"
#define MAGIC "respmock-compaction:v1\n"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int encode_block(const unsigned char *in, size_t n, struct buf *out)
{
    char q[4];
    unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);

    q[0] = alphabet[(v >> 18) & 63];
    q[1] = alphabet[(v >> 12) & 63];
    q[2] = n > 1 ? alphabet[(v >> 6) & 63] : '=';
    q[3] = n > 2 ? alphabet[v & 63] : '=';
    return buf_append(out, q, 4);
}

int compaction_encode(const char *text, size_t len, struct buf *out)
{
    unsigned char tmp[3];
    size_t magic = strlen(MAGIC), total, i, k;

    if (len > RM_MAX_COMPACTION_TEXT)
        len = RM_MAX_COMPACTION_TEXT;
    total = magic + len;
    if (buf_append_str(out, TOKEN_PREFIX) != 0)
        return -1;
    for (i = 0; i < total; i += 3) {
        for (k = 0; k < 3 && i + k < total; k++)
            tmp[k] = (unsigned char)(i + k < magic ? MAGIC[i + k] : text[i + k - magic]);
        if (encode_block(tmp, k, out) != 0)
            return -1;
    }
    return 0;
}

static int value_of(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;

    return p ? (int)(p - alphabet) : -1;
}

int compaction_decode(const char *blob, size_t len, struct buf *out)
{
    size_t pre = strlen(TOKEN_PREFIX), magic = strlen(MAGIC), i, n = 0;
    char head[sizeof(MAGIC)];
    unsigned v = 0;
    int bits = 0;

    if (len < pre || memcmp(blob, TOKEN_PREFIX, pre) != 0)
        return 0;
    for (i = pre; i < len && blob[i] != '='; i++) {
        int d = value_of(blob[i]);

        if (d < 0)
            return 0;
        v = (v << 6 | (unsigned)d) & 0xFFFFFF;
        bits += 6;
        if (bits < 8)
            continue;
        bits -= 8;
        {
            char c = (char)((v >> bits) & 0xFF);

            if (n < magic) {
                head[n++] = c;
                if (n == magic && memcmp(head, MAGIC, magic) != 0)
                    return 0;
            } else if (buf_append(out, &c, 1) != 0) {
                return -1;
            }
        }
    }
    return n == magic ? 1 : 0;
}
