/* ws_client: a WebSocket client for the tests (libcurl 7.88 has no
 * WebSocket API): wslay's client side over a plain loopback socket, the
 * same library the server frames with, used one blocking call at a time. */
#ifndef RM_WS_CLIENT_H
#define RM_WS_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ws_client;

enum ws_msg_kind {
    WS_MSG_TEXT = 1,     /* a text message (in *data) */
    WS_MSG_BINARY,       /* a binary message (in *data) */
    WS_MSG_PONG,         /* a pong (its payload in *data) */
    WS_MSG_CLOSE,        /* the server's close frame (*close_code) */
    WS_MSG_EOF = -1,     /* the connection ended without a close frame */
    WS_MSG_TIMEOUT = -2, /* nothing within the time */
};

/* Open "GET /v1/responses" on 127.0.0.1:'port' with Upgrade: websocket and
 * the extra header lines 'headers' ("Name: value", NULL-terminated, may be
 * NULL); "Authorization: Bearer test-key" unless 'headers' has an
 * Authorization line. '*status' (may be NULL) gets the HTTP status; the
 * reply's head and body are in '*head' (may be NULL; a new string). Returns
 * the client after a 101 with the right Sec-WebSocket-Accept, else NULL. */
struct ws_client *ws_client_connect(int port, const char *const *headers, int *status,
                                    char **head);

/* Queue and send one message ('opcode' 1 text, 2 binary, 9 ping). 0 or -1. */
int ws_client_send(struct ws_client *c, int opcode, const void *data, size_t len);

/* Write 'len' raw bytes to the socket, past wslay (a frame it would never
 * send, such as an unmasked one). 0 or -1. */
int ws_client_send_bytes(struct ws_client *c, const void *bytes, size_t len);

/* ws_client_send of a text message. */
int ws_client_send_text(struct ws_client *c, const char *text);

/* The next message within 'timeout_ms': its kind, with '*data'/'*len' (a
 * new NUL-terminated buffer, may be NULL) or '*close_code' (may be NULL). */
int ws_client_recv(struct ws_client *c, int timeout_ms, char **data, size_t *len,
                   int *close_code);

/* Text messages parsed as JSON until one whose type ends a stream
 * (contract_event_ends_stream), within 'timeout_ms' in all: a new array of
 * the events, or NULL (timeout, close, cut; '*last' (may be NULL) gets the
 * last ws_client_recv kind then). */
json_t *ws_client_read_until_end(struct ws_client *c, int timeout_ms, int *last);

/* Send a close frame with 'code' and wait (up to 'timeout_ms') for the
 * server's. Returns the code the server sent, or -1. */
int ws_client_close(struct ws_client *c, int code, int timeout_ms);

/* Close the socket (without a close frame when none was sent) and free.
 * Accepts NULL. */
void ws_client_free(struct ws_client *c);

#endif
