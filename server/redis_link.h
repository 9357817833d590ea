/* redis_link: the connection to the Redis that replicas share state
 * through (--state redis://HOST:PORT[/DB]).
 *
 * A small pool of RM_REDIS_CONNECTIONS connections, each under its own
 * mutex; a caller takes a free one (trylock round the pool, then waits on
 * one), so requests of different threads rarely wait for each other, and
 * a process without --state never touches any of this. Every command is
 * bounded by RM_REDIS_TIMEOUT_MS. A connection that fails is dropped and
 * made again on a later call (at most every RM_REDIS_RETRY_MS), so the
 * service resumes by itself when Redis is back; meanwhile calls fail at
 * once and the callers answer 503. Losing and regaining Redis is logged
 * once each.
 *
 * The only module that includes hiredis.h: replies are handed out as
 * 'struct redisReply' with the accessors below. Every key respmock writes
 * starts with RM_REDIS_PREFIX; scripts name their keys from the prefix
 * given as their first argument. */
#ifndef RM_REDIS_LINK_H
#define RM_REDIS_LINK_H

#include <stddef.h>

struct redis_link;
struct redisReply;

/* Called when Redis is lost (up 0) or back (up 1), or when it refused a
 * command (up -1), 'what' saying why. */
typedef void (*redis_link_log_fn)(void *user, int up, const char *what);

/* Parse 'url' ("redis://HOST:PORT[/DB]") and connect once, so that a
 * Redis that is not there is a start-up error: NULL with the reason in
 * 'err' ('n' bytes). */
struct redis_link *redis_link_new(const char *url, redis_link_log_fn log, void *user, char *err,
                                  size_t n);

/* Close every connection and free. Accepts NULL. */
void redis_link_free(struct redis_link *l);

/* Run the Lua 'script' with no KEYS and the 'argc' arguments 'argv' (of
 * 'lens' bytes each; NULL: strlen), RM_REDIS_PREFIX going first as
 * ARGV[1]. Returns the reply (free with redis_reply_free), or NULL when
 * Redis cannot be reached or the script failed (logged). */
struct redisReply *redis_link_eval(struct redis_link *l, const char *script, int argc,
                                   const char *const *argv, const size_t *lens);

/* Run 'script' (no arguments but the prefix), whose reply is two
 * integers, into '*a' and '*b' (both 0 when unreachable). Returns 0, or -1
 * when Redis cannot be reached. */
int redis_link_eval_pair(struct redis_link *l, const char *script, size_t *a, size_t *b);

/* Delete every key starting with RM_REDIS_PREFIX then 'sub'. Returns 0, or
 * -1 when Redis cannot be reached. */
int redis_link_delete_prefix(struct redis_link *l, const char *sub);

/* Reply accessors. redis_reply_int: an integer reply's value (0 for
 * others); redis_reply_str: a string reply's bytes (NULL for nil and
 * others), its length in '*len'; redis_reply_elem: element 'i' of an
 * array reply (NULL past its end or for others). */
long long redis_reply_int(const struct redisReply *r);
const char *redis_reply_str(const struct redisReply *r, size_t *len);
const struct redisReply *redis_reply_elem(const struct redisReply *r, size_t i);
size_t redis_reply_count(const struct redisReply *r);
void redis_reply_free(struct redisReply *r);

#endif
