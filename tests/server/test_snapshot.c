/* Unit tests for server/snapshot.c: the before-the-end snapshot of a final
 * Response (status, the fields nulled, output given or empty, the final
 * object left unchanged) and the failed form (error object, output kept or
 * replaced, a bare base). */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "server_harness.h"
#include "test_support.h"
#include "snapshot.h"

/* A final Response as render_response makes it (the keys that matter). */
static json_t *final_response(void)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:I, s:n, s:n, s:s, s:[{s:s, s:s}], s:{s:i, s:i, "
                     "s:i}, s:{s:s}}",
                     "id", "resp_abc", "object", "response", "created_at", (json_int_t)1700000000,
                     "status", "completed", "completed_at", (json_int_t)1700000001, "error",
                     "incomplete_details", "model", "gpt-4.1-mini", "output", "id", "msg_1",
                     "type", "message", "usage", "input_tokens", 3, "output_tokens", 4,
                     "total_tokens", 7, "metadata", "k", "v");
}

START_TEST(snapshot_nulls_and_status)
{
    json_t *final = final_response(), *before = json_deep_copy(final), *v;

    v = response_snapshot(final, "in_progress", NULL);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_ne(v, final);
    ck_assert_str_eq(json_util_str(v, "status"), "in_progress");
    ck_assert(json_is_null(json_object_get(v, "completed_at")));
    ck_assert(json_is_null(json_object_get(v, "error")));
    ck_assert(json_is_null(json_object_get(v, "incomplete_details")));
    ck_assert(json_is_null(json_object_get(v, "usage")));
    /* NULL output: an empty array. */
    ck_assert(json_is_array(json_object_get(v, "output")));
    ck_assert_uint_eq(json_array_size(json_object_get(v, "output")), 0);
    /* Everything else is the final object's. */
    ck_assert_str_eq(json_util_str(v, "id"), "resp_abc");
    ck_assert_str_eq(json_util_str(v, "object"), "response");
    ck_assert_str_eq(json_util_str(v, "model"), "gpt-4.1-mini");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "created_at")), 1700000000);
    ck_assert(json_equal(json_object_get(v, "metadata"), json_object_get(final, "metadata")));
    ck_assert_uint_eq(json_object_size(v), json_object_size(final));
    /* The final object is unchanged. */
    ck_assert(json_equal(final, before));
    json_decref(v);

    /* The other statuses the views use. */
    v = response_snapshot(final, "queued", NULL);
    ck_assert_str_eq(json_util_str(v, "status"), "queued");
    json_decref(v);
    v = response_snapshot(final, "cancelled", NULL);
    ck_assert_str_eq(json_util_str(v, "status"), "cancelled");
    json_decref(v);
    ck_assert(json_equal(final, before));
    json_decref(before);
    json_decref(final);
}
END_TEST

START_TEST(snapshot_with_output)
{
    json_t *final = final_response(), *before = json_deep_copy(final), *v;
    json_t *so_far = json_pack("[{s:s}, {s:s}]", "id", "rs_1", "id", "msg_2");

    v = response_snapshot(final, "in_progress", so_far); /* stolen */
    ck_assert_ptr_eq(json_object_get(v, "output"), so_far);
    ck_assert_uint_eq(json_array_size(json_object_get(v, "output")), 2);
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(v, "output"), 1), "id"),
                     "msg_2");
    /* The final object keeps its own output. */
    ck_assert(json_equal(final, before));
    ck_assert_uint_eq(json_array_size(json_object_get(final, "output")), 1);
    json_decref(v);

    /* An explicit empty output is kept as given. */
    so_far = json_array();
    v = response_snapshot(final, "in_progress", so_far);
    ck_assert_ptr_eq(json_object_get(v, "output"), so_far);
    json_decref(v);
    json_decref(before);
    json_decref(final);
}
END_TEST

START_TEST(failed_keeps_or_replaces_output)
{
    json_t *final = final_response(), *before = json_deep_copy(final), *f, *e, *out;

    f = response_failed(final, "boom", "It broke.", NULL);
    ck_assert_str_eq(json_util_str(f, "status"), "failed");
    e = json_object_get(f, "error");
    ck_assert(json_is_object(e));
    ck_assert_str_eq(json_util_str(e, "code"), "boom");
    ck_assert_str_eq(json_util_str(e, "message"), "It broke.");
    ck_assert_uint_eq(json_object_size(e), 2);
    ck_assert(json_is_null(json_object_get(f, "completed_at")));
    ck_assert(json_is_null(json_object_get(f, "incomplete_details")));
    ck_assert(json_is_null(json_object_get(f, "usage")));
    ck_assert_str_eq(json_util_str(f, "id"), "resp_abc");
    /* NULL output: the base's output. */
    ck_assert(json_equal(json_object_get(f, "output"), json_object_get(final, "output")));
    ck_assert(json_equal(final, before));
    json_decref(f);

    /* An output given is copied: changing the caller's array later does
     * not change the failed Response. */
    out = json_pack("[{s:s}]", "id", "rs_9");
    f = response_failed(final, "c", "m", out);
    ck_assert_uint_eq(json_array_size(json_object_get(f, "output")), 1);
    ck_assert_str_eq(json_util_str(json_array_get(json_object_get(f, "output"), 0), "id"),
                     "rs_9");
    ck_assert_ptr_ne(json_object_get(f, "output"), out);
    json_array_append_new(out, json_pack("{s:s}", "id", "late"));
    ck_assert_uint_eq(json_array_size(json_object_get(f, "output")), 1);
    ck_assert_int_eq(out->refcount, 1); /* borrowed: no reference kept */
    json_decref(out);
    ck_assert(json_equal(final, before));
    json_decref(f);

    /* An empty output replaces the base's. */
    out = json_array();
    f = response_failed(final, "c", "m", out);
    ck_assert_uint_eq(json_array_size(json_object_get(f, "output")), 0);
    json_decref(out);
    json_decref(f);
    json_decref(before);
    json_decref(final);
}
END_TEST

START_TEST(failed_without_base)
{
    json_t *f = response_failed(NULL, "server_error", "No base.", NULL), *out;

    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(json_util_str(f, "object"), "response");
    ck_assert_str_eq(json_util_str(f, "status"), "failed");
    ck_assert_str_eq(json_util_str(json_object_get(f, "error"), "code"), "server_error");
    ck_assert_str_eq(json_util_str(json_object_get(f, "error"), "message"), "No base.");
    ck_assert(json_is_null(json_object_get(f, "usage")));
    ck_assert(json_is_null(json_object_get(f, "completed_at")));
    ck_assert_ptr_null(json_object_get(f, "id"));
    json_decref(f);

    out = json_pack("[{s:s}]", "id", "msg_x");
    f = response_failed(NULL, "c", "m", out);
    ck_assert(json_equal(json_object_get(f, "output"), out));
    json_decref(out);
    json_decref(f);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("snapshot");

    add_tcase(s, tcase_create("snapshot"), 30, NULL, NULL, snapshot_nulls_and_status,
              snapshot_with_output);
    add_tcase(s, tcase_create("failed"), 30, NULL, NULL, failed_keeps_or_replaces_output,
              failed_without_base);
    return s;
}
