/* journal: what clients sent, for tests to look at and verify.
 *
 * A bounded ring of the requests received (most recent --journal entries,
 * at most --journal-bytes in all; the oldest go first), each a JSON object:
 *   {"id","time" (unix ms),"method","path","query":{},"headers":{} (secrets
 *    redacted),"body" (at most RM_MAX_JOURNAL_BODY bytes),"body_bytes",
 *   "body_truncated","fixture","scenario","state","status","duration_ms",
 *   "stream","stream_completed"}
 * Entries are immutable once added; a query gets its own array of
 * references. One mutex guards the ring.
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
struct redis_link;

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

/* Keep 'entry' (stolen), which counts 'bytes' against the byte limit.
 * Returns 'entry' (borrowed, for journal_finish), or NULL when nothing is
 * kept. */
json_t *journal_add(struct journal *j, json_t *entry, size_t bytes);

/* A streamed request that 'entry' (from journal_add) describes has ended:
 * its entry is replaced by a copy with "stream_completed" and
 * "duration_ms" set (readers that hold the old one keep it). Nothing
 * happens when the entry is gone already. */
void journal_finish(struct journal *j, const json_t *entry, int completed, int64_t duration_ms);

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
