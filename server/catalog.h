/* catalog: the fixtures in force and what they are built from.
 *
 * The set is built from documents: the *.json files of the fixtures
 * directory (as last read successfully) and the fixtures added at run time
 * through the admin API, which come first (they replace a file's fixture
 * of the same name) and stay until removed. Every change builds a whole new
 * set and swaps it in; a bad document changes nothing and reports
 * file:line:column. Requests take a reference to the set in force when they
 * start and keep it to their end, so a swap never races a request in
 * flight: the read side is two atomic operations, no lock. Changes (reload,
 * add, remove, --watch) are serialised by one mutex of their own. */
#ifndef RM_CATALOG_H
#define RM_CATALOG_H

#include <jansson.h>

#include "fixture.h"
#include "mock_error.h"

struct catalog;

/* Read 'dir' and build the first set ('allow_empty': a directory without
 * fixture files gives an empty set). NULL with 'err' filled on failure. */
struct catalog *catalog_new(const char *dir, int allow_empty, struct mock_error *err);

/* A catalog of documents already read ('docs', taken, released on failure
 * too) instead of a directory: a reload has nothing to read again (it
 * answers an error), --watch nothing to watch. NULL with 'err'. */
struct catalog *catalog_new_docs(struct fixture_docs *docs, struct mock_error *err);

/* Free the catalog (stops --watch). Sets still held by readers stay valid
 * until they are released. Accepts NULL. */
void catalog_free(struct catalog *c);

/* The set in force, with a reference for the caller: release it with
 * fixture_set_unref. */
struct fixture_set *catalog_acquire(struct catalog *c);

/* Read the directory again and swap in the new set. Returns 0, or -1 with
 * 'err' (the set in force is kept). */
int catalog_reload(struct catalog *c, struct mock_error *err);

/* Add fixtures at run time: 'text' is one fixture object or an array, in
 * the fixture format; a fixture whose name is in force already replaces it.
 * Validated exactly as files are ('err' gets line:column in 'text'). The
 * names added go to 'names' (an array, may be NULL). Returns 0 or -1. */
int catalog_put(struct catalog *c, const char *text, size_t len, json_t *names,
                struct mock_error *err);

/* Remove the fixture named 'name' (one added at run time, or a file's, which
 * stays out until the next reload). Returns 0, -1 when no such fixture is in
 * force, or -2 when the set would be left empty. */
int catalog_remove(struct catalog *c, const char *name, struct mock_error *err);

/* Poll the directory every 'interval_ms' on a thread of its own and reload
 * when a file's name, size or modification time changed; a bad file is
 * logged through 'log' (may be NULL) and the set in force kept. Returns 0
 * or -1. */
int catalog_watch(struct catalog *c, unsigned interval_ms,
                  void (*log)(void *user, const char *line), void *user);

#endif
