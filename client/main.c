/* respsmoke: the smoke-test client of respmock. Turns flags and environment
 * into a configuration, runs the suite, prints the summary, writes the
 * requested records and maps the outcome to the exit code (0 pass, 1 a check
 * failed, 2 usage or transport error). The only place that ends the process. */
#include <stdio.h>
#include <stdlib.h>

#include "checks.h"
#include "cli.h"
#include "report.h"
#include "transport.h"

#define EXIT_CHECK_FAILED 1
#define EXIT_USAGE_OR_TRANSPORT 2

/* Render with 'fn' and write to 'path'. Returns 0 or -1 (message printed). */
static int write_output(int (*fn)(const struct smoke_run *, const struct smoke_config *,
                                  struct buf *),
                        const struct smoke_run *run, const struct smoke_config *cfg,
                        const char *path, int append)
{
    struct buf out;
    char err[512];
    int rc = -1;

    buf_init(&out, SMOKE_MAX_REPORT);
    if (fn(run, cfg, &out) != 0)
        snprintf(err, sizeof(err), "report for %s exceeds %u bytes", path, SMOKE_MAX_REPORT);
    else
        rc = report_write_file(path, out.data ? out.data : "", cfg->api_key, append, err,
                               sizeof(err));
    if (rc)
        fprintf(stderr, "respsmoke: %s\n", err);
    buf_release(&out);
    return rc;
}

int main(int argc, char **argv)
{
    struct smoke_config cfg;
    struct transport_config tc;
    struct transport t = {0};
    struct smoke_run *run;
    struct buf text;
    char err[512];
    int code, ran;

    switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
    case CLI_HELP:
        cli_usage(stdout);
        return EXIT_SUCCESS;
    case CLI_VERSION:
        printf("respsmoke %s\nResponses API snapshot: %s\n", RM_VERSION, RM_API_SNAPSHOT);
        return EXIT_SUCCESS;
    case CLI_USAGE_ERROR: {
        /* the message may quote an argument, e.g. a key pasted as --api_key=sk-...: scrub it */
        char msg[600];
        snprintf(msg, sizeof(msg), "respsmoke: %s\ntry 'respsmoke --help'\n", err);
        report_emit(stderr, msg, cfg.api_key);
        return EXIT_USAGE_OR_TRANSPORT;
    }
    case CLI_RUN:
        break;
    }
    run = malloc(sizeof(*run));
    if (!run || transport_global_init() != 0) {
        fprintf(stderr, "respsmoke: out of memory\n");
        free(run);
        return EXIT_USAGE_OR_TRANSPORT;
    }
    tc.base_url = cfg.base_url;
    tc.api_key = cfg.api_key;
    tc.timeout_s = cfg.timeout_s;
    tc.retries = cfg.retries;
    smoke_run_init(run);
    if (transport_init(&t, &tc) != 0) {
        run->aborted = 1;
        snprintf(run->abort_reason, sizeof(run->abort_reason), "cannot initialise libcurl");
        ran = -1;
    } else {
        ran = checks_run(&cfg, &t, run);
    }

    buf_init(&text, SMOKE_MAX_REPORT);
    if (report_text(run, &cfg, &text) != 0)
        fprintf(stderr, "respsmoke: summary truncated\n");
    report_emit(stdout, text.data ? text.data : "", cfg.api_key);
    fflush(stdout);
    buf_release(&text);

    code = ran != 0 ? EXIT_USAGE_OR_TRANSPORT
                    : checks_failed(run) ? EXIT_CHECK_FAILED : EXIT_SUCCESS;
    if (ran != 0) {
        char msg[SMOKE_REASON_MAX + 16];
        snprintf(msg, sizeof(msg), "respsmoke: %s\n", run->abort_reason);
        report_emit(stderr, msg, cfg.api_key);
    }
    if (cfg.record_path && write_output(report_record, run, &cfg, cfg.record_path, 1))
        code = EXIT_USAGE_OR_TRANSPORT;
    if (cfg.json_path && write_output(report_json, run, &cfg, cfg.json_path, 0))
        code = EXIT_USAGE_OR_TRANSPORT;
    if (cfg.junit_path && write_output(report_junit, run, &cfg, cfg.junit_path, 0))
        code = EXIT_USAGE_OR_TRANSPORT;

    smoke_run_release(run);
    free(run);
    transport_release(&t);
    transport_global_cleanup();
    return code;
}
