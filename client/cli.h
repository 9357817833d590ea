/* cli: command line and environment to a struct smoke_config.
 *
 * Flags choose what to run; the API key comes only from the environment
 * (RESPSMOKE_API_KEY, then OPENAI_API_KEY, then COMETAPI_KEY) and is never
 * accepted as a flag. Nothing here prints or exits: main.c does. */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stdio.h>

#include "checks.h"

#define CLI_DEFAULT_BASE_URL "http://127.0.0.1:4010/v1"
#define CLI_PLACEHOLDER_KEY "respsmoke-placeholder-key"

enum cli_action {
    CLI_RUN,         /* 'cfg' is ready */
    CLI_HELP,        /* --help */
    CLI_VERSION,     /* --version */
    CLI_USAGE_ERROR  /* 'err' says what is wrong; exit code 2 */
};

/* Parse 'argv' and the environment into 'cfg'. Strings in 'cfg' point into
 * 'argv' and the environment. On CLI_USAGE_ERROR 'err' ('n' bytes) holds a
 * lower-case message without a final full stop. */
enum cli_action cli_parse(int argc, char **argv, struct smoke_config *cfg, char *err, size_t n);

/* Print the --help text (flags, environment, areas, exit codes) to 'fp'. */
void cli_usage(FILE *fp);

/* True when 'url' names a loopback host (127.0.0.0/8, localhost, [::1]). */
int cli_is_loopback(const char *url);

#endif
