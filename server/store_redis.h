/* store_redis: the stored responses in Redis, for replicas that share them
 * (--state). The store's own bytes of an entry (store.c makes and reads
 * them) are kept under RM_REDIS_PREFIX "r:ID" as a hash {v: version,
 * d: bytes}; "rx:idx" (a sorted set, by put order), "rx:size" (id ->
 * bytes), "rx:total", "rx:seq" and "rx:ver" are the bounded index. Every
 * change is one Lua script, so it is atomic across replicas: a put that
 * takes the cluster over --max-stored or --max-stored-bytes evicts the
 * oldest entries in the same script (the newest is always kept), a settle
 * is a compare-and-swap on the version, a delete is seen by all at once.
 * Every key also expires RM_REDIS_TTL_S after its last write.
 *
 * Functions return 0 on success, -1 when the id is unknown, -2 when a
 * settle lost its race, STORE_REDIS_UNAVAILABLE (store.h's
 * STORE_UNAVAILABLE) when Redis cannot be reached. */
#ifndef RM_STORE_REDIS_H
#define RM_STORE_REDIS_H

#include <stddef.h>
#include <stdint.h>

struct redis_link;

#define STORE_REDIS_UNAVAILABLE (-3)

/* Keep 'len' bytes 'blob' as entry 'id' counting 'bytes', then evict the
 * oldest while over 'max' entries or 'max_bytes' (0: no byte limit); its
 * version into '*version'. */
int store_redis_put(struct redis_link *l, const char *id, const char *blob, size_t len,
                    size_t bytes, unsigned max, size_t max_bytes, uint64_t *version);

/* The bytes of 'id' (malloc'd, into '*blob' and '*len') and its version. */
int store_redis_get(struct redis_link *l, const char *id, char **blob, size_t *len,
                    uint64_t *version);

/* Replace the bytes of 'id' if its version is still 'expect'. */
int store_redis_settle(struct redis_link *l, const char *id, uint64_t expect, const char *blob,
                       size_t len, size_t bytes);

int store_redis_delete(struct redis_link *l, const char *id);

/* Forget every stored response of the cluster. */
int store_redis_clear(struct redis_link *l);

/* Entries and their bytes in the cluster (0 when unreachable). */
int store_redis_totals(struct redis_link *l, size_t *count, size_t *bytes);

#endif
