/* schema_gen: a deterministic JSON value valid against a JSON Schema.
 *
 * Used for the request-aware answers: the arguments of a call to one of the
 * request's own function tools, and the JSON text of a structured-output
 * answer (text.format / response_format json_schema). It covers what
 * function parameters and Structured Outputs use: type (one or a list,
 * "null" included), enum, const, object properties / required /
 * additionalProperties, arrays (items, prefixItems, minItems / maxItems,
 * uniqueItems), strings (minLength / maxLength, format: date-time, date,
 * time, duration, email, hostname, ipv4, ipv6, uri, uuid), numbers and
 * integers (minimum / maximum, exclusive bounds, multipleOf), $ref to
 * "#", "#/$defs/..." and "#/definitions/...", anyOf / oneOf (the first
 * branch that is not null), allOf (merged), default (for scalars). An object
 * gets its required members (strict schemas require every member), or every
 * member when it has no "required" list. Numbers are 1 when allowed, else
 * the allowed value nearest to it. A pattern is not
 * interpreted: strings under one are the empty string when minLength
 * allows, which most anchored optional patterns accept. Recursion through
 * $ref stops at SCHEMA_GEN_MAX_DEPTH with the smallest valid value. */
#ifndef RM_SCHEMA_GEN_H
#define RM_SCHEMA_GEN_H

#include <jansson.h>

#define SCHEMA_GEN_MAX_DEPTH 12

/* A value for 'schema' (borrowed; NULL or true: any value, given as {}).
 * 'name' (may be NULL) is the property or tool the value is for; strings
 * are built from it so the output reads sensibly. New reference, never
 * NULL except on OOM. */
json_t *schema_gen(const json_t *schema, const char *name);

#endif
