/* client_limits: every size, count and time limit of respsmoke, named once.
 *
 * Bodies, streams and report texts are bounded by these numbers; going over
 * one is reported as a failure (or a dropped note), never truncated silently. */
#ifndef RS_CLIENT_LIMITS_H
#define RS_CLIENT_LIMITS_H

#define SMOKE_MAX_BODY (8u * 1024 * 1024)     /* one non-streaming response body */
#define SMOKE_MAX_STREAM (32u * 1024 * 1024)  /* all bytes of one SSE stream */
#define SMOKE_MAX_EVENT (4u * 1024 * 1024)    /* one SSE event, framing included */
#define SMOKE_MAX_TEXT (4u * 1024 * 1024)     /* accumulated deltas of one part */
#define SMOKE_MAX_CHECKS 192                  /* check results in one run */
#define SMOKE_MAX_NOTES 4096                  /* bytes of the joined notes line */
#define SMOKE_MAX_REPORT (4u * 1024 * 1024)   /* one rendered report */
#define SMOKE_MAX_RETRIES 10                  /* highest --retries accepted */
#define SMOKE_MAX_RETRY_DELAY_MS 60000L       /* longest retry-after honoured */
#define SMOKE_MAX_TIMEOUT_S 3600L             /* highest --timeout accepted */
#define SMOKE_DEFAULT_TIMEOUT_S 60L
#define SMOKE_DEFAULT_RETRIES 2
#define SMOKE_REASON_MAX 240                  /* one check's reason text */
#define SMOKE_NAME_MAX 48                     /* one check's name */
#define SMOKE_TOKEN_MAX 64                    /* a server-chosen token we print (type, code) */
#define SMOKE_STREAM_ITEMS 32                 /* output items tracked per stream */
#define SMOKE_STREAM_PARTS 8                  /* content parts tracked per item */
#define SMOKE_STREAM_CHOICES 8                /* chat choices tracked per stream */
#define SMOKE_STREAM_TOOL_CALLS 16            /* chat tool calls tracked per choice */

#endif
