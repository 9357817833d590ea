/* Unit tests for server/common/ws_accept.c: SHA-1 against the FIPS 180
 * vectors and the accept value of RFC 6455's example handshake. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "test_support.h"
#include "ws_accept.h"

static void hex(const uint8_t d[20], char out[41])
{
    int i;

    for (i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

START_TEST(sha1_vectors)
{
    static const char *const in[] = {
        "", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    static const char *const want[] = {"da39a3ee5e6b4b0d3255bfef95601890afd80709",
                                       "a9993e364706816aba3e25717850c26c9cd0d89d",
                                       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"};
    uint8_t d[20];
    char h[41];
    int i;

    for (i = 0; i < 3; i++) {
        ws_sha1(in[i], strlen(in[i]), d);
        hex(d, h);
        ck_assert_str_eq(h, want[i]);
    }
}
END_TEST

START_TEST(accept_of_the_rfc_example)
{
    char out[WS_ACCEPT_LEN + 1];

    ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 64, out), 0);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ck_assert_int_eq(ws_accept_key("", 64, out), -1);
    ck_assert_int_eq(ws_accept_key(NULL, 64, out), -1);
    ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 8, out), -1);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_accept");

    add_tcase(s, tcase_create("accept"), 30, NULL, NULL, sha1_vectors,
              accept_of_the_rfc_example);
    return s;
}
