/* snapshot: the forms of a Response derived from its final object: how it
 * looks before the end (queued, in_progress, cancelled: no usage, no
 * completion, the output so far) and its failed form. Built here and only
 * here, for the event list (response.created, response.failed), the store
 * (a stream that failed) and the background views alike. */
#ifndef RM_SNAPSHOT_H
#define RM_SNAPSHOT_H

#include <jansson.h>

/* 'final' as it looks before it is done: 'status', no usage, no
 * completion, no error, and 'output' (stolen; NULL for []). Members are
 * shared with 'final' (never change either). New reference. */
json_t *response_snapshot(const json_t *final, const char *status, json_t *output);

/* The failed form of Response 'base' (NULL: a bare {"object":"response"}):
 * status "failed", error {code, message}, no completion, no usage, and
 * 'output' (borrowed, copied; NULL keeps the output of 'base'). This is
 * what response.failed carries and what the store keeps for a stream that
 * failed. New reference. */
json_t *response_failed(const json_t *base, const char *code, const char *message,
                        const json_t *output);

#endif
