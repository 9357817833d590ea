/* journal: what clients sent, for tests to look at and verify.
 *
 * A bounded ring of the requests received (most recent --journal entries,
 * at most --journal-bytes in all; the oldest go first), each a JSON object:
 *   {"id","time" (unix ms),"method","path","query":{},"headers":{} (secrets
 *    redacted),"body" (at most RM_MAX_JOURNAL_BODY bytes),"body_bytes",
 *   "body_truncated","fixture","scenario","state","status","duration_ms",
 *   "stream","stream_completed"}
 * An HTTP request is kept as a flat record (one allocation, which is what
 * it counts against --journal-bytes) and turned into that object only when
 * a query reads it; nothing is built per request. Entries are immutable
 * once added, except that a stream's end is written into its entry; a
 * query gets its own objects. One mutex guards the ring (held to add or
 * drop an entry, never while JSON is built).
 *
 * Shared (journal_share, --state): the cluster's journal, in Redis:
 * RM_REDIS_PREFIX "j:ids" (a list, oldest first) and "j:e" (id -> the
 * entry's compact JSON), bounded by the same --journal and --journal-bytes
 * for the cluster (each entry counting what journal_add was told), trimmed
 * in the same script that adds. Every replica's requests are seen by a query on any
 * one. Adding is best effort (a request is not refused because its journal
 * entry could not be kept); a query fails (NULL) when Redis cannot be
 * reached. */
#ifndef RM_JOURNAL_H
#define RM_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct journal;
struct journal_entry;
struct redis_link;

/* One HTTP request as the journal keeps it (everything borrowed, copied by
 * journal_add_request). Header names are lowercased, secret ones redacted
 * and values cut at 1024 bytes there; at most RM_MAX_JOURNAL_HEADERS
 * headers and RM_MAX_QUERY_ARGS query arguments are kept. */
struct journal_request {
    const char *id;
    int64_t time_ms;              /* unix ms */
    const char *method, *path;
    const char *const *query_keys, *const *query_values; /* a value may be NULL */
    size_t nquery;
    const char *const *header_names, *const *header_values;
    size_t nheaders;
    const char *body;             /* NULL: none; the bytes kept (cut whole UTF-8) */
    size_t body_len;
    size_t body_bytes;            /* how many were sent */
    int body_truncated;
    const char *fixture, *scenario, *state; /* NULL: none */
    int status;
    int64_t duration_ms;
    int stream;
};

/* What a query keeps (NULL/negative members: any). */
struct journal_filter {
    const char *path;      /* exact path */
    const char *method;
    const char *model;     /* the body's "model" */
    const char *fixture;   /* the fixture that answered */
    int status;            /* HTTP status (0: any) */
    const char *contains;  /* a substring of the body */
    const char *tool;      /* a function tool of this name was sent */
    const char *scenario;  /* x-respmock-scenario */
    int64_t since_ms;      /* received at or after (unix ms; 0: any) */
};

/* A journal of at most 'max_entries' (0: nothing is kept) and 'max_bytes'.
 * NULL on OOM. */
struct journal *journal_new(unsigned max_entries, size_t max_bytes);

/* Keep the entries in the Redis of 'link' (borrowed) from now on. Returns
 * 0, or -1 on OOM. */
int journal_share(struct journal *j, struct redis_link *link);

void journal_free(struct journal *j);

/* Keep 'entry' (stolen; a JSON object in the shape above), which counts
 * 'bytes' against the byte limit. Returns its handle, a reference the
 * caller gives back with journal_finish (a stream, when it ends) or
 * journal_drop; NULL when nothing is kept. */
const struct journal_entry *journal_add(struct journal *j, json_t *entry, size_t bytes);

/* Keep the request 'r' (copied into one record). Returns its handle (as
 * journal_add's), or NULL when nothing is kept. */
const struct journal_entry *journal_add_request(struct journal *j,
                                                const struct journal_request *r);

/* A streamed request that 'entry' (a handle from journal_add*; NULL:
 * none) describes has ended: from now on its entry reads with
 * "stream_completed" and "duration_ms" set. Gives the handle back. */
void journal_finish(struct journal *j, const struct journal_entry *entry, int completed,
                    int64_t duration_ms);

/* How the journal keeps a request header's value: RM_REDACTED for a secret
 * header (by its name, any case), else 'value' (NULL: "") cut at
 * RM_MAX_JOURNAL_HEADER_VALUE bytes; '*len' gets the length kept. */
const char *journal_header_value(const char *name, const char *value, size_t *len);

/* Give a handle back without finishing (not a stream). Accepts NULL. */
void journal_drop(struct journal *j, const struct journal_entry *entry);

/* Forget every entry (the cluster's when shared). Returns 0, or -1 when
 * Redis cannot be reached. */
int journal_clear(struct journal *j);

/* The entries 'f' keeps (NULL: all), oldest first, at most 'limit' (0: all)
 * of the newest; '*count' (may be NULL) gets how many matched in all. New
 * array; NULL when shared and Redis cannot be reached. */
json_t *journal_query(struct journal *j, const struct journal_filter *f, size_t limit,
                      size_t *count);

/* Read a filter from query-style key/value pairs; unknown keys are an
 * error. 'get' returns the value of a key or NULL. Returns 0, or -1 with
 * the bad key in 'bad' ('n' bytes). */
int journal_filter_parse(struct journal_filter *f, const char *(*get)(const void *ctx,
                                                                     const char *key),
                         const void *ctx, char *bad, size_t n);

/* Number of entries kept and their bytes. */
size_t journal_count(struct journal *j);
size_t journal_bytes(struct journal *j);

#endif
