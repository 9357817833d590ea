/* fuzz_json: libFuzzer target for the request body reader (json_read.h):
 * the input is a body; json_read must refuse it when jansson's json_loadb
 * (JSON_DECODE_ANY) does, accept it when jansson does, and give a value
 * that is json_equal and dumps to the same text (key order included). The
 * one difference allowed: json_read refuses any input with a NUL byte.
 * Any other difference aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    json_t *a = json_read(buf, size), *b;
    char *da, *db;

    if (memchr(buf, '\0', size)) {
        if (a) {
            fprintf(stderr, "fuzz_json: json_read accepted a NUL byte\n");
            abort();
        }
        return 0;
    }
    b = json_loadb(buf, size, JSON_DECODE_ANY, NULL);
    if (!a != !b) {
        fprintf(stderr, "fuzz_json: json_read %s, json_loadb %s\n", a ? "accepts" : "refuses",
                b ? "accepts" : "refuses");
        abort();
    }
    if (a) {
        da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
        db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!json_equal(a, b) || !da || !db || strcmp(da, db) != 0) {
            fprintf(stderr, "fuzz_json: values differ: %.200s vs %.200s\n", da ? da : "?",
                    db ? db : "?");
            abort();
        }
        free(da);
        free(db);
    }
    json_decref(a);
    json_decref(b);
    return 0;
}
