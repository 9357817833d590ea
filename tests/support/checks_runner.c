/* checks_runner: respsmoke's checks run in-process (see checks_runner.h). */
#include "checks_runner.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

struct smoke_run *checks_runner_run(const char *base_url, const char *api_key, unsigned areas,
                                    unsigned apis)
{
    struct smoke_config cfg;
    struct transport_config tc;
    struct transport t;
    struct smoke_run *run = malloc(sizeof(*run));

    ck_assert_ptr_nonnull(run);
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.base_url, sizeof(cfg.base_url), "%s", base_url);
    cfg.api_key = api_key;
    cfg.api_key_source = "test";
    cfg.model = "gpt-4.1-mini";
    cfg.model_source = "test";
    cfg.env = "local";
    cfg.areas = areas;
    cfg.apis = apis;
    cfg.timeout_s = 20;
    cfg.retries = 0;
    memset(&tc, 0, sizeof(tc));
    tc.base_url = cfg.base_url;
    tc.api_key = cfg.api_key;
    tc.timeout_s = cfg.timeout_s;
    tc.retries = 0;
    ck_assert_int_eq(transport_global_init(), 0);
    ck_assert_int_eq(transport_init(&t, &tc), 0);
    smoke_run_init(run);
    ck_assert_int_eq(checks_run(&cfg, &t, run), 0);
    transport_release(&t);
    transport_global_cleanup();
    return run;
}

void checks_runner_free(struct smoke_run *run)
{
    smoke_run_release(run);
    free(run);
}
