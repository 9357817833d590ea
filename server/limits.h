/* limits: every size, count and time bound of respmock, named once.
 * Going over a limit is an error the caller reports (413, 500, a fixture
 * error); nothing is truncated silently. */
#ifndef RM_LIMITS_H
#define RM_LIMITS_H

#define RM_DEFAULT_PORT 4010
#define RM_DEFAULT_HOST "127.0.0.1"
#define RM_DEFAULT_MAX_BODY (16u * 1024 * 1024) /* request body, --max-body */
#define RM_MAX_BODY_CEILING (256u * 1024 * 1024) /* largest --max-body accepted */
#define RM_DEFAULT_MAX_STORED 1000              /* stored responses, --max-stored */
#define RM_DEFAULT_MAX_STORED_BYTES (256u * 1024 * 1024) /* their size, --max-stored-bytes */
#define RM_MAX_STORED_CEILING 10000000          /* largest --max-stored accepted */
#define RM_STORE_SHARDS 16                      /* store shards, one lock each */
#define RM_MAX_STORED_EVENT_BYTES (512u * 1024 * 1024) /* one stored stream, packed */
#define RM_TEMPLATE_MODELS 32                   /* pre-serialised replies per fixture: one per
                                                 * (model, store, stream) used (template.c) */
#define RM_TEMPLATE_PIECES 65536                /* literal pieces, slots and frames of one */
#define RM_TEMPLATE_IDS 64                      /* distinct ids in one */
#define RM_STORE_TRIM_BYTES (16u * 1024 * 1024) /* evicted between two malloc_trim, at least */
#define RM_STORE_NODE_OVERHEAD 24               /* per entry beyond its allocation: the
                                                 * allocator's chunk header, a bucket slot */
#define RM_MAX_STATE_URL 255                    /* bytes of a --state URL */
#define RM_REDIS_CONNECTIONS 8                  /* Redis connections of one process (a pool) */
#define RM_REDIS_CONNECT_MS 500                 /* connecting to Redis, at most */
#define RM_REDIS_TIMEOUT_MS 1000                /* one Redis command, at most */
#define RM_REDIS_RETRY_MS 200                   /* a lost connection is retried this often */
#define RM_REDIS_TTL_S (24 * 3600)              /* every key respmock writes expires after */
#define RM_REDIS_PREFIX "respmock:"             /* every key respmock writes starts with */
#define RM_DEFAULT_BACKGROUND_MS 2000u          /* background schedule when a fixture sets none */
#define RM_DEFAULT_JOURNAL 1000                 /* requests kept by the journal, --journal */
#define RM_DEFAULT_JOURNAL_BYTES (64u * 1024 * 1024) /* their size, --journal-bytes */
#define RM_MAX_JOURNAL_BODY (64u * 1024)        /* bytes of one request body it keeps */
#define RM_WATCH_INTERVAL_MS 250u              /* --watch: how often the directory is looked at */
#define RM_MAX_JOURNAL_HEADERS 64              /* request headers one journal entry keeps */
#define RM_MAX_JOURNAL_HEADER_VALUE 1024       /* bytes of a header value the journal keeps */
#define RM_LOG_LINE 1024                       /* bytes of one log message, past its prefix */
#define RM_LOG_BUFFER (64u * 1024)             /* log lines waiting to be written, at most */
#define RM_LOG_FLUSH_MS 20                     /* an info line is written this late, at most */
#define RM_MAX_JOURNAL_CEILING 1000000          /* largest --journal accepted */
#define RM_DEFAULT_MAX_CONVERSATIONS 1000       /* conversations kept, --max-conversations */
#define RM_MAX_CONVERSATIONS_CEILING 1000000    /* largest --max-conversations accepted */
#define RM_DEFAULT_MAX_CONVERSATION_BYTES (64u * 1024 * 1024) /* their size in all,
                                                 * --max-conversation-bytes */
#define RM_MAX_CONVERSATION_ITEMS 5000          /* items of one conversation (400 above) */
#define RM_MAX_CONTEXT_ITEMS 20000              /* context + input items of one turn (400 above) */
#define RM_LIST_DEFAULT_LIMIT 20                /* list routes: 'limit' default */
#define RM_LIST_MAX_LIMIT 100                   /* list routes: largest 'limit' */
#define RM_MAX_API_KEYS 32                      /* --api-key repeats */
#define RM_MAX_API_KEY_LEN 8192                 /* bytes of one API key (JWTs are long) */
#define RM_MAX_API_KEY_FILE (64u * 1024)        /* bytes of an --api-key-file */
#define RM_MAX_THREADS 64                       /* --threads */
#define RM_MAX_SPEED 1000                       /* --speed */
#define RM_MAX_URL 128                          /* a server URL, http://[HOST]:PORT/v1 */
#define RM_MAX_PATH 4096                        /* a file or directory path */
#define RM_DAEMON_FD_BATCH 256                  /* descriptors a detaching daemon closes per pass */
#define RM_MAX_FIXTURE_NAME 127                /* bytes of a fixture name */
#define RM_MAX_FIXTURES 16384                   /* fixtures in one directory */
#define RM_MAX_FIXTURE_FILE (8u * 1024 * 1024)  /* bytes of one fixture file */
#define RM_MAX_SCENARIO_KEY 127                /* bytes of a scenario key or state name */
#define RM_MAX_SCENARIOS 1000                  /* scenario keys kept, oldest forgotten */
#define RM_SCENARIO_START "started"             /* a scenario's state before it moves */
#define RM_MAX_SEQUENCE_STEPS 64               /* answers of one fixture's sequence */
#define RM_MAX_FIXTURE_ITEMS 64                 /* output items in one fixture */
#define RM_MAX_FIXTURE_HEADERS 32               /* extra headers of one fixture */
#define RM_MAX_TRANSCRIPT_EVENTS 100000         /* events of one raw transcript */
#define RM_MAX_FRAME_EVENT_NAME 128             /* an event: name in a recorded frame */
#define RM_MAX_STREAM_EVENTS 1000000          /* events of one stream */
#define RM_MAX_STREAM_BYTES (64u * 1024 * 1024) /* one rendered event stream */
#define RM_MAX_RESPONSE_BYTES (64u * 1024 * 1024) /* one rendered JSON body */
#define RM_MAX_DELAY_MS 600000u                 /* any one scripted delay */
#define RM_DEFAULT_MAX_CONNECTIONS 1024         /* concurrent connections, --max-connections */
#define RM_MAX_CONNECTIONS_CEILING 65536        /* largest --max-connections accepted */
#define RM_SHED_HEADROOM_DIV 16                 /* above max - max/16 connections the oldest
                                                 * idle one is shed for each new one */
#define RM_SHED_FRESH_MS 1000                   /* a new connection is not idle before
                                                 * this long without a request */
#define RM_FD_RESERVE 64                        /* descriptors kept for files, the timer... */
#define RM_DEFAULT_IDLE_TIMEOUT_S 30u           /* idle connection closed, --idle-timeout */
#define RM_MAX_IDLE_TIMEOUT_S 3600u             /* largest --idle-timeout accepted */
#define RM_SUSPEND_PROBE_MS 1000                /* a suspended reply looks whether its
                                                 * client is still there this often */
#ifndef RM_CONNECTION_MEMORY /* scripts/bench also builds 64 KiB, to measure this choice */
#define RM_CONNECTION_MEMORY (32u * 1024)       /* libmicrohttpd's memory per connection
                                                 * (request line, headers, reply head):
                                                 * it zeroes it one and a half times per
                                                 * request, and maps it per connection
                                                 * above 32 KiB (scripts/bench). The four
                                                 * limits below keep what they let
                                                 * through within it (each header line
                                                 * or argument costs ~64 bytes of it) */
#endif
#define RM_MAX_URI_BYTES 8192                   /* request target, query included (414) */
#define RM_MAX_URI_ARGS 64                      /* query arguments of one request (414) */
#define RM_MAX_HEADERS 128                      /* request header lines (431 above) */
#define RM_MAX_HEADER_BYTES (16u * 1024)        /* request line + header bytes (431 above) */
#define RM_MAX_SUSPENDED 8192                   /* timer entries (delayed replies) */
#define RM_MAX_QUERY_ARGS 32                    /* query arguments looked at */
#define RM_MAX_REPLY_HEADERS 48                 /* headers on one reply */
#define RM_MAX_ID_HEX 64                        /* hex digits of a generated id */
#define RM_MAX_REQUEST_ID 63                    /* bytes of a reply's x-request-id */
#define RM_MAX_QUOTED_MODEL 200                 /* bytes of a model name an error quotes */
#define RM_OBFUSCATION_HEX 12                   /* hex digits of a chat chunk's obfuscation pad */
#define RM_OBFUSCATION_MAX 16                   /* characters of a delta's obfuscation padding */
#define RM_MAX_PARTIAL_IMAGES 3                 /* image_generation_call partial_image events (the API allows 0-3) */
#define RM_MAX_COMPACTION_TEXT (64u * 1024u)     /* bytes of conversation text a compaction item carries */
#define RM_MAX_MATCH_TEXT (1u * 1024 * 1024)    /* request text kept for matching */
#define RM_MAX_SSE_EVENT (16u * 1024 * 1024)    /* one parsed SSE event */
#define RM_STREAM_BLOCK 16384                   /* bytes per content-reader call */
#define RM_MAX_WS_CONNECTIONS 256               /* open WebSocket connections (503 above) */
#define RM_WS_MAX_QUEUED 16                     /* responses one connection has waiting */
#define RM_WS_SESSION_RESPONSES 64              /* store:false responses a connection keeps */
#define RM_WS_SESSION_BYTES (64u * 1024 * 1024) /* their size in all, oldest dropped first */
#define RM_WS_OUTBOX_MSGS 64                    /* messages queued in wslay before pausing */
#define RM_WS_HANDSHAKE_KEY 64                  /* bytes of a Sec-WebSocket-Key accepted */
/* Record mode (--record-from): */
#define RM_RECORD_MAX_EXCHANGES 1024            /* forwarded requests in flight */
#define RM_RECORD_PENDING (1u * 1024 * 1024)    /* upstream bytes not yet read by the client */
#define RM_RECORD_MAX_BYTES RM_MAX_FIXTURE_FILE /* one answer kept for its fixture */
#define RM_RECORD_CONNECT_MS 10000L             /* connecting to the upstream (TLS included) */
#define RM_RECORD_IDLE_S 600L                   /* upstream silent this long: failed */
#define RM_RECORD_TOTAL_MS (30L * 60 * 1000)    /* one whole exchange */
#define RM_RECORD_MAX_IDS 4096                  /* recorded response ids -> fixture names kept */
#define RM_RECORD_POLL_MS 1000                  /* the recorder thread's longest sleep */
#define RM_MAX_UPSTREAM_URL 2048                /* --record-from URL, and one forwarded URL */

#endif
