/* conform: the comparator of the conformance tier.
 *
 * A recording (tests/conformance/recordings/<name>.json, see SOURCES there)
 * holds real Responses API exchanges: the recorded request, status and body
 * (an event stream byte for byte, or a JSON body). The tier sends each
 * recorded request to respmock and compares what comes back with what was
 * recorded, by shape:
 *
 *   - per event type (and for a JSON body), every JSON path with the set of
 *     JSON types seen there; for every object its keys, in order; for typed
 *     objects and arrays the variants ("type" values) seen; for a few enum
 *     keys (object, status, role, phase, service_tier, truncation,
 *     prompt_cache_retention) their values; for ids (id, item_id, call_id,
 *     response_id) their prefix and length;
 *   - the event order: the envelope (events without output_index, the items
 *     as one step) and, per item type, the events of that item with runs of
 *     one delta type collapsed ("delta+");
 *   - that item ids share the 16 characters after their prefix with the
 *     response id, when the recording's do.
 *
 * Values that vary by nature (ids, times, text, deltas, obfuscation,
 * encrypted content, token counts) are compared by type only. Every
 * difference is a line "RECORDING#N KIND PATH DETAIL"; the allow-list
 * (tests/conformance/allowlist) names the accepted ones, each with its
 * reason. */
#ifndef RM_CONFORM_H
#define RM_CONFORM_H

#include <jansson.h>
#include <stddef.h>

/* The events of an SSE body, in order: each "data:" payload parsed (keys in
 * recorded order), as a JSON array. NULL when a data payload is not JSON. */
json_t *conf_parse_sse(const char *bytes, size_t len);

/* The events of a chunks recording (one JSON event per line). */
json_t *conf_parse_chunks(const char *text);

/* The shape of a stream (array of events, keyed by event type) or, with
 * 'root' set, of one JSON document under the path 'root'. New reference:
 * an object path -> node. */
json_t *conf_shape_events(const json_t *events);
json_t *conf_shape_doc(const json_t *doc, const char *root);

/* Append to 'diffs' (array of strings) every difference between the shapes
 * 'rec' and 'got', each prefixed "LABEL ". Key order is compared only when
 * 'order' is set. */
void conf_compare_shapes(const char *label, const json_t *rec, const json_t *got, int order,
                         json_t *diffs);

/* The event order differences of two streams (arrays of events). */
void conf_compare_order(const char *label, const json_t *rec, const json_t *got, json_t *diffs);

/* The id-segment rule: when every item id of 'rec' shares the 16 characters
 * after its prefix with its response id, 'got' must too. */
void conf_compare_id_segments(const char *label, const json_t *rec, const json_t *got,
                              json_t *diffs);

/* The final Response of a stream (the terminal event's "response"),
 * borrowed; NULL when there is none. */
const json_t *conf_final(const json_t *events);

/* ---- The allow-list ------------------------------------------------------ */

struct conf_allow;

/* Load the allow-list file: lines "RECORDING#N KIND PATH  # reason" (fnmatch
 * patterns on the first three fields; every entry needs a reason; blank
 * lines and lines starting with '#' are comments). NULL and 'err' filled
 * when a line is malformed. */
struct conf_allow *conf_allow_load(const char *path, char *err, size_t errlen);

/* True when the difference line 'diff' is allowed; counts the use. */
int conf_allowed(struct conf_allow *a, const char *diff);

/* Entries no difference used, one per line, new string ("" when none). */
char *conf_allow_unused(const struct conf_allow *a);

void conf_allow_free(struct conf_allow *a);

#endif
