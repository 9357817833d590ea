/* checks: the smoke suite itself, a table of contract areas, each a named
 * group of checks run against one API (Responses, and optionally Chat
 * Completions for the migration view), producing one result per check.
 *
 * Every check sends its own request whose text carries a marker
 * "[respsmoke:<check>]", so a mock fixture can target exactly one check.
 * Checks assert status codes, JSON structure and types only (see shape.h and
 * stream_check.h); tolerated deviations become notes. Nothing here prints:
 * report.h renders a finished struct smoke_run. */
#ifndef RS_CHECKS_H
#define RS_CHECKS_H

#include <stddef.h>

#include "client_limits.h"
#include "notes.h"
#include "transport.h"

enum smoke_api {
    SMOKE_API_RESPONSES, /* POST /responses and companions */
    SMOKE_API_CHAT,      /* POST /chat/completions */
    SMOKE_API_COUNT
};

enum smoke_area {
    SMOKE_AREA_ENDPOINT,   /* endpoint path */
    SMOKE_AREA_AUTH,       /* authorization header */
    SMOKE_AREA_REQUIRED,   /* required request fields */
    SMOKE_AREA_OPTIONAL,   /* optional request fields */
    SMOKE_AREA_SHAPE,      /* response shape */
    SMOKE_AREA_ERRORS,     /* error response shape */
    SMOKE_AREA_STREAMING,  /* streaming */
    SMOKE_AREA_TOOLS,      /* tool calling */
    SMOKE_AREA_MULTIMODAL, /* multimodal input */
    SMOKE_AREA_STATEFUL,   /* stateful chat: store, retrieve, chain, delete */
    SMOKE_AREA_COUNT
};

enum check_status { CHECK_PASS, CHECK_FAIL, CHECK_SKIP };

/* What to run and where; strings are borrowed from argv/environ. */
struct smoke_config {
    char base_url[1024];         /* e.g. "https://api.openai.com/v1", no trailing '/' */
    const char *base_url_source; /* "--base-url", an environment variable or "default" */
    const char *api_key;         /* never NULL when running (may be a placeholder) */
    const char *api_key_source;  /* environment variable name, or "placeholder" */
    const char *model;           /* NULL: the first model GET /models lists */
    const char *model_source;    /* "--model", "RESPSMOKE_MODEL" or NULL */
    const char *env;             /* staging, sandbox, production, local or unspecified */
    unsigned areas;              /* bit (1u << enum smoke_area) per selected area */
    unsigned apis;               /* bit (1u << enum smoke_api) per selected API */
    long timeout_s;              /* per request */
    int retries;                 /* per request, for 429/5xx */
    const char *record_path;     /* --record FILE or NULL */
    const char *json_path;       /* --json FILE or NULL */
    const char *junit_path;      /* --junit FILE or NULL */
    const char *reviewed_by;     /* --reviewed-by NAME or NULL */
};

struct check_result {
    enum smoke_area area;
    enum smoke_api api;
    char name[SMOKE_NAME_MAX];      /* e.g. "missing_model" */
    enum check_status status;
    char reason[SMOKE_REASON_MAX];  /* why it passed, failed or was skipped */
    long http_status;               /* status of the check's request, 0 when none */
    double seconds;                 /* wall time of that request */
    int error_path;                 /* the check expects an error response */
    int error_parseable;            /* error_path only: envelope parsed, message/type strings */
};

/* One run: the results and the facts the record reports. */
struct smoke_run {
    char date[32];                  /* ISO 8601 UTC start time */
    char run_id[48];                /* "rs-<time>-<random hex>" */
    char model[SMOKE_TOKEN_MAX + 8];/* model used (sanitized for printing) */
    struct check_result checks[SMOKE_MAX_CHECKS];
    size_t n;                       /* results used */
    size_t dropped;                 /* results that did not fit */
    struct check_result overflow;   /* write-only sink used once 'checks' is full */
    struct notes notes;
    long basic_status[SMOKE_API_COUNT]; /* status of the basic create, 0 when not sent */
    int basic_json[SMOKE_API_COUNT];    /* its body parsed as a JSON object (-1 unknown) */
    int basic_fields[SMOKE_API_COUNT];  /* its required fields were present (-1 unknown) */
    int retried;                    /* requests that were retried after 429/5xx */
    int aborted;                    /* a transport or setup error stopped the run */
    char abort_reason[SMOKE_REASON_MAX];
};

/* Prepare 'run': date, run id, empty results. */
void smoke_run_init(struct smoke_run *run);

/* Free what 'run' holds. */
void smoke_run_release(struct smoke_run *run);

/* Run every selected area for every selected API through 't'. Returns 0 when
 * the suite ran (checks may have failed), -1 when it was aborted because the
 * endpoint could not be reached or no model could be chosen
 * ('run->abort_reason' says why; the exit code is then 2). */
int checks_run(const struct smoke_config *cfg, struct transport *t, struct smoke_run *run);

/* Number of failed checks in 'run'. */
size_t checks_failed(const struct smoke_run *run);

/* Short name ("response_shape"), used by --only/--skip and in reports. */
const char *checks_area_name(enum smoke_area area);

/* Human title ("response shape"). */
const char *checks_area_title(enum smoke_area area);

/* The area named 'name', or -1. */
int checks_area_parse(const char *name);

/* True when 'area' has checks for 'api' (stateful chat is Responses only). */
int checks_area_applies(enum smoke_area area, enum smoke_api api);

/* "responses" or "chat". */
const char *checks_api_name(enum smoke_api api);

/* The path a reader knows the API by: "/responses" or "/chat/completions". */
const char *checks_api_path(enum smoke_api api);

/* Result of 'area' for 'api': FAIL when any check failed, PASS when some
 * passed and none failed, SKIP otherwise. 'evidence' ('n' bytes, may be NULL)
 * receives e.g. "5/5 passed; HTTP 200 400 401". */
enum check_status checks_area_status(const struct smoke_run *run, const struct smoke_config *cfg,
                                     enum smoke_area area, enum smoke_api api, char *evidence,
                                     size_t n);

#endif
