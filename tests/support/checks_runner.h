/* checks_runner: respsmoke's checks run in-process against a base URL, for
 * the tests that judge what the checks make of a server. */
#ifndef RM_TEST_CHECKS_RUNNER_H
#define RM_TEST_CHECKS_RUNNER_H

#include "checks.h"

/* One run of the 'areas' (1u << SMOKE_AREA_...) for the 'apis'
 * (1u << SMOKE_API_...) against 'base_url' (with its /v1) with 'api_key',
 * model gpt-4.1-mini, no retries; fails the test if the run cannot start.
 * Free with checks_runner_free(). */
struct smoke_run *checks_runner_run(const char *base_url, const char *api_key, unsigned areas,
                                    unsigned apis);
void checks_runner_free(struct smoke_run *run);

#endif
