/* ws_accept: the Sec-WebSocket-Accept value of a WebSocket handshake
 * (RFC 6455 section 4.2.2): base64(SHA-1(key + the RFC's GUID)). Shared by
 * the server, which answers the upgrade, and the tests' client, which
 * checks the answer. The SHA-1 here serves only this handshake value: it
 * is no general-purpose or security hash. Framing is wslay's. */
#ifndef RM_WS_ACCEPT_H
#define RM_WS_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#define WS_ACCEPT_LEN 28 /* base64 of a 20-byte digest, without the NUL */

/* SHA-1 of 'len' bytes of 'data' into 'digest'. */
void ws_sha1(const void *data, size_t len, uint8_t digest[20]);

/* Write the accept value for the client's 'key' into 'out' (at least
 * WS_ACCEPT_LEN + 1 bytes, NUL-terminated). Returns 0, or -1 when 'key' is
 * empty or longer than 'max_key' bytes. */
int ws_accept_key(const char *key, size_t max_key, char *out);

#endif
