/* report: renders a finished struct smoke_run for people and machines.
 *
 * Text (stdout: one line per check with PASS/FAIL/SKIP and the reason, then
 * the per-area table, side by side for --endpoint both), the reviewable run
 * record ("key: value" lines date, run_id, endpoint, env, http_status,
 * response_valid_json, required_fields_present, error_path_status,
 * error_response_parseable, notes, reviewed_by, then a per-area table), the
 * same as JSON, and JUnit XML. Renderers fill a bounded buffer; every byte
 * that leaves the process goes through report_emit, which scrubs secrets. */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdio.h>

#include "buf.h"
#include "checks.h"

/* Render the human summary into 'out'. Returns 0, or -1 when 'out' is full. */
int report_text(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out);

/* Render one run record (to be appended to a --record file). Returns 0 or -1. */
int report_record(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out);

/* Render the record as one JSON document, plus areas[] and checks[]. Returns 0 or -1. */
int report_json(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out);

/* Render JUnit XML: one testsuite per (API, area), one testcase per check. */
int report_junit(const struct smoke_run *run, const struct smoke_config *cfg, struct buf *out);

/* Scrub 'text' of 'secret' (see redact_scrub) and write it to 'fp'. Returns 0 or -1. */
int report_emit(FILE *fp, const char *text, const char *secret);

/* Scrub and write 'text' to 'path', appending when 'append' is set, else
 * replacing the file. Returns 0, or -1 with a message in 'err' ('n' bytes). */
int report_write_file(const char *path, const char *text, const char *secret, int append,
                      char *err, size_t n);

#endif
