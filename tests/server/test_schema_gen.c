/* Unit tests for server/schema_gen.c: generated values meet the keywords
 * of their schema (types, enum/const, required, bounds, formats, patterns,
 * arrays, $ref, anyOf/oneOf/allOf) and generation is deterministic. The
 * Node SDK test validates the same answers with a real validator (ajv). */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "schema_gen.h"
#include "test_support.h"

/* Generate for schema text 's' (' for "). New reference. */
static json_t *gen_for(const char *s)
{
    char *copy = strdup(s), *p;
    json_t *schema, *v;

    for (p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    schema = json_loads(copy, 0, NULL);
    ck_assert_msg(schema != NULL, "bad schema text: %s", s);
    v = schema_gen(schema, "field");
    ck_assert_ptr_nonnull(v);
    json_decref(schema);
    free(copy);
    return v;
}

START_TEST(scalars_and_types)
{
    json_t *v;

    v = gen_for("{'type':'string'}");
    ck_assert(json_is_string(v));
    json_decref(v);
    v = gen_for("{'type':'integer'}");
    ck_assert(json_is_integer(v));
    json_decref(v);
    v = gen_for("{'type':'number'}");
    ck_assert(json_is_number(v));
    json_decref(v);
    v = gen_for("{'type':'boolean'}");
    ck_assert(json_is_boolean(v));
    json_decref(v);
    v = gen_for("{'type':'null'}");
    ck_assert(json_is_null(v));
    json_decref(v);
    v = gen_for("{'type':['null','integer']}"); /* a nullable integer is not null */
    ck_assert(json_is_integer(v));
    json_decref(v);
    v = gen_for("{'enum':[null,'b','c']}");
    ck_assert_str_eq(json_string_value(v), "b");
    json_decref(v);
    v = gen_for("{'const':{'k':[1,2]}}");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(v, "k"), 1)), 2);
    json_decref(v);
    v = schema_gen(NULL, "x"); /* no parameters: an empty object of arguments */
    ck_assert(json_is_object(v) && json_object_size(v) == 0);
    json_decref(v);
}
END_TEST

START_TEST(number_bounds)
{
    json_t *v;

    v = gen_for("{'type':'integer','minimum':7,'maximum':9}");
    ck_assert_int_eq(json_integer_value(v), 7);
    json_decref(v);
    v = gen_for("{'type':'integer','exclusiveMinimum':7}");
    ck_assert_int_eq(json_integer_value(v), 8);
    json_decref(v);
    v = gen_for("{'type':'integer','maximum':-3}");
    ck_assert_int_le(json_integer_value(v), -3);
    json_decref(v);
    v = gen_for("{'type':'integer','minimum':10,'multipleOf':4}");
    ck_assert_int_eq(json_integer_value(v), 12);
    json_decref(v);
    v = gen_for("{'type':'number','exclusiveMinimum':0,'exclusiveMaximum':1}");
    ck_assert(json_number_value(v) > 0 && json_number_value(v) < 1);
    json_decref(v);
    v = gen_for("{'type':'number','minimum':0,'maximum':0.5}");
    ck_assert(json_number_value(v) >= 0 && json_number_value(v) <= 0.5);
    json_decref(v);
}
END_TEST

START_TEST(strings_formats_patterns)
{
    static const struct {
        const char *schema;
        const char *want;
    } cases[] = {
        {"{'type':'string','format':'date-time'}", "2026-01-01T12:00:00Z"},
        {"{'type':'string','format':'email'}", "user@example.com"},
        {"{'type':'string','format':'uuid'}", "00000000-0000-4000-8000-000000000000"},
        {"{'type':'string','pattern':'^ORD-[0-9]{4}$'}", "ORD-0000"},
        {"{'type':'string','pattern':'^\\\\d{3}-[A-Z]+$'}", "000-A"},
        {"{'type':'string','pattern':'^(red|green)$'}", "red"},
        {"{'type':'string','pattern':'^[^0-9]+$'}", "a"},
        {"{'type':'string','maxLength':4}", "exam"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = gen_for(cases[i].schema);
        ck_assert_msg(json_is_string(v) && strcmp(json_string_value(v), cases[i].want) == 0,
                      "%s gave %s", cases[i].schema, json_string_value(v));
        json_decref(v);
    }
    {
        json_t *v = gen_for("{'type':'string','minLength':40}");
        ck_assert_uint_ge(strlen(json_string_value(v)), 40);
        json_decref(v);
    }
}
END_TEST

START_TEST(objects_arrays_and_refs)
{
    json_t *v = gen_for("{'type':'object','properties':{'a':{'type':'string'},"
                        "'b':{'$ref':'#/$defs/pt'},'c':{'type':'array','items':{'type':'integer'},"
                        "'minItems':3,'uniqueItems':true},'d':{'anyOf':[{'type':'null'},"
                        "{'type':'number'}]},'e':{'allOf':[{'properties':{'x':{'type':'boolean'}},"
                        "'required':['x']},{'properties':{'y':{'type':'string'}}}]}},"
                        "'required':['a','b','c','d','e','z'],'additionalProperties':false,"
                        "'$defs':{'pt':{'type':'object','properties':{'lat':{'type':'number'}},"
                        "'required':['lat']}}}");
    json_t *c;

    ck_assert(json_is_string(json_object_get(v, "a")));
    ck_assert(json_is_number(json_object_get(json_object_get(v, "b"), "lat")));
    c = json_object_get(v, "c");
    ck_assert_uint_eq(json_array_size(c), 3);
    ck_assert_int_ne(json_integer_value(json_array_get(c, 0)),
                     json_integer_value(json_array_get(c, 1))); /* uniqueItems */
    ck_assert(json_is_number(json_object_get(v, "d")));
    ck_assert(json_is_boolean(json_object_get(json_object_get(v, "e"), "x")));
    /* allOf merges required: 'y' is optional, and optional members are left out. */
    ck_assert_ptr_null(json_object_get(json_object_get(v, "e"), "y"));
    ck_assert_ptr_nonnull(json_object_get(v, "z")); /* required without a schema */
    json_decref(v);

    /* Without a "required" list every member is given, as an example. */
    v = gen_for("{'type':'object','properties':{'p':{'type':'integer','minimum':-5}}}");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "p")), 1); /* 1 when allowed */
    json_decref(v);
    /* A recursive schema ends: the optional recursion stops at the depth limit. */
    v = gen_for("{'type':'object','properties':{'name':{'type':'string'},"
                "'children':{'type':'array','items':{'$ref':'#'}}},'required':['name']}");
    ck_assert(json_is_string(json_object_get(v, "name")));
    json_decref(v);
}
END_TEST

START_TEST(deterministic)
{
    json_t *a = gen_for("{'type':'object','properties':{'q':{'type':'string'},"
                        "'n':{'type':'integer'}}}");
    json_t *b = gen_for("{'type':'object','properties':{'q':{'type':'string'},"
                        "'n':{'type':'integer'}}}");

    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("schema_gen");
    add_tcase(s, tcase_create("keywords"), 60, NULL, NULL, scalars_and_types, number_bounds,
              strings_formats_patterns, objects_arrays_and_refs, deterministic);
    return s;
}
