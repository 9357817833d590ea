/* test_contract: the relations between the contract's names
 * (server/common/contract.c): which events end a stream and the status each
 * terminal event carries, which event types are known (one by one or as a
 * family), final and known statuses, item id prefixes and generated-id
 * prefix lengths, the chat [DONE] sentinel, and the OpenAI error types. */
#include <string.h>

#include "contract.h"
#include "test_support.h"

START_TEST(terminal_events_and_their_statuses)
{
    static const char *const terminals[] = {RM_EV_COMPLETED, RM_EV_INCOMPLETE, RM_EV_FAILED,
                                            NULL};
    const char *const *t;

    for (t = terminals; *t; t++) {
        ck_assert(contract_event_is_terminal(*t));
        ck_assert(contract_event_ends_stream(*t));
        ck_assert_str_eq(contract_terminal_event(contract_terminal_status(*t)), *t);
    }
    ck_assert_str_eq(contract_terminal_status(RM_EV_INCOMPLETE), RM_STATUS_INCOMPLETE);
    ck_assert_str_eq(contract_terminal_status(RM_EV_FAILED), RM_STATUS_FAILED);
    ck_assert(!contract_event_is_terminal(RM_EV_ERROR));
    ck_assert(contract_event_ends_stream(RM_EV_ERROR));
    ck_assert(!contract_event_is_terminal(RM_EV_CREATED));
    ck_assert(!contract_event_ends_stream(RM_EV_ITEM_DONE));
    ck_assert(!contract_event_ends_stream(NULL));
    ck_assert_ptr_null(contract_terminal_status(RM_EV_IN_PROGRESS));
    ck_assert_ptr_null(contract_terminal_status(NULL));
    /* an unknown or missing status ends as completed */
    ck_assert_str_eq(contract_terminal_event(NULL), RM_EV_COMPLETED);
    ck_assert_str_eq(contract_terminal_event(RM_STATUS_CANCELLED), RM_EV_COMPLETED);
}
END_TEST

START_TEST(known_events_one_by_one_and_by_family)
{
    static const char *const known[] = {
        RM_EV_CREATED,       RM_EV_QUEUED,         RM_EV_IN_PROGRESS,     RM_EV_COMPLETED,
        RM_EV_INCOMPLETE,    RM_EV_FAILED,         RM_EV_ERROR,           RM_EV_ITEM_ADDED,
        RM_EV_ITEM_DONE,     RM_EV_PART_ADDED,     RM_EV_PART_DONE,       RM_EV_TEXT_DELTA,
        RM_EV_TEXT_DONE,     RM_EV_ANNOTATION_ADDED, RM_EV_REFUSAL_DELTA, RM_EV_REFUSAL_DONE,
        RM_EV_ARGS_DELTA,    RM_EV_ARGS_DONE,      RM_EV_SUMMARY_PART_ADDED,
        RM_EV_SUMMARY_PART_DONE, RM_EV_SUMMARY_DELTA, RM_EV_SUMMARY_DONE,
        "response.reasoning_text.delta", "response.web_search_call.searching",
        "response.mcp_call.in_progress", "response.audio.delta", NULL};
    static const char *const unknown[] = {
        "keepalive", "response.rate_limits.updated", "response.web_search_call", "response.",
        "response.created.extra", "", NULL};
    const char *const *t;

    for (t = known; *t; t++)
        ck_assert_msg(contract_event_known(*t), "%s should be known", *t);
    for (t = unknown; *t; t++)
        ck_assert_msg(!contract_event_known(*t), "%s should not be known", *t);
    ck_assert(!contract_event_known(NULL));
}
END_TEST

START_TEST(statuses)
{
    static const char *const final[] = {RM_STATUS_COMPLETED, RM_STATUS_INCOMPLETE,
                                        RM_STATUS_FAILED, RM_STATUS_CANCELLED, NULL};
    const char *const *s;

    for (s = final; *s; s++) {
        ck_assert(contract_status_is_final(*s));
        ck_assert(contract_status_known(*s));
    }
    ck_assert(!contract_status_is_final(RM_STATUS_QUEUED));
    ck_assert(!contract_status_is_final(RM_STATUS_IN_PROGRESS));
    ck_assert(contract_status_known(RM_STATUS_QUEUED));
    ck_assert(contract_status_known(RM_STATUS_IN_PROGRESS));
    ck_assert(!contract_status_known("requires_action"));
    ck_assert(!contract_status_known("Completed"));
    ck_assert(!contract_status_known(NULL));
    ck_assert(!contract_status_is_final(NULL));
}
END_TEST

START_TEST(id_prefixes)
{
    const char *const *p;
    int resp = 0, chat = 0, n = 0;

    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_MESSAGE), RM_ID_MESSAGE);
    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_FUNCTION_CALL), RM_ID_FUNCTION_CALL);
    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_FUNCTION_CALL_OUTPUT), RM_ID_FUNCTION_OUTPUT);
    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_REASONING), RM_ID_REASONING);
    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_WEB_SEARCH_CALL), RM_ID_WEB_SEARCH);
    ck_assert_str_eq(contract_item_id_prefix(RM_ITEM_COMPACTION), RM_ID_COMPACTION);
    ck_assert_str_eq(contract_item_id_prefix("computer_call"), RM_ID_ITEM);
    ck_assert_str_eq(contract_item_id_prefix(NULL), RM_ID_ITEM);
    for (p = contract_response_id_prefixes; *p; p++, n++) {
        resp |= strcmp(*p, RM_ID_RESPONSE) == 0;
        chat |= strcmp(*p, RM_ID_CHAT) == 0;
        ck_assert_str_ne(*p, RM_ID_REQUEST);
        ck_assert_uint_eq(contract_id_prefix_len(*p), strlen(*p));
    }
    ck_assert(resp && chat && n == 18);
    ck_assert_uint_eq(contract_id_prefix_len("mcpl_1"), 5); /* not mcp_ */
    ck_assert_uint_eq(contract_id_prefix_len("resp_abc"), 5);
    ck_assert_uint_eq(contract_id_prefix_len("chatcmpl-abc"), 9);
    ck_assert_uint_eq(contract_id_prefix_len("fc_1"), 3);
    ck_assert_uint_eq(contract_id_prefix_len("fco_1"), 4); /* not fc_ */
    ck_assert_uint_eq(contract_id_prefix_len("req_1"), 4);
    ck_assert_uint_eq(contract_id_prefix_len("conv_1"), 5);
    ck_assert_uint_eq(contract_id_prefix_len("item_1"), 5);
    ck_assert_uint_eq(contract_id_prefix_len("response_1"), 0);
    ck_assert_uint_eq(contract_id_prefix_len(""), 0);
    ck_assert_uint_eq(contract_id_prefix_len(NULL), 0);
}
END_TEST

START_TEST(chat_done_sentinel)
{
    ck_assert(contract_is_chat_done(RM_CHAT_DONE, strlen(RM_CHAT_DONE)));
    ck_assert(contract_is_chat_done("[DONE] \t", 8));
    ck_assert(contract_is_chat_done("[DONE]more", 6)); /* only 'len' bytes count */
    ck_assert(!contract_is_chat_done(" [DONE]", 7));
    ck_assert(!contract_is_chat_done("[DONE]x", 7));
    ck_assert(!contract_is_chat_done("[DONE", 5));
    ck_assert(!contract_is_chat_done("", 0));
    ck_assert(!contract_is_chat_done(NULL, 0));
}
END_TEST

START_TEST(error_types)
{
    static const char *const openai[] = {
        RM_ERRTYPE_INVALID_REQUEST, RM_ERRTYPE_AUTHENTICATION, RM_ERRTYPE_PERMISSION,
        RM_ERRTYPE_NOT_FOUND,       RM_ERRTYPE_RATE_LIMIT,     RM_ERRTYPE_SERVER,
        RM_ERRTYPE_SERVICE_UNAVAILABLE, RM_ERRTYPE_INSUFFICIENT_QUOTA, RM_ERRTYPE_API,
        RM_ERRTYPE_REQUESTS,        RM_ERRTYPE_TOKENS,         NULL};
    const char *const *t;

    for (t = openai; *t; t++)
        ck_assert_msg(contract_error_type_known(*t), "%s should be known", *t);
    ck_assert(!contract_error_type_known("comet_api_error"));
    ck_assert(!contract_error_type_known("invalid_request"));
    ck_assert(!contract_error_type_known(NULL));
}
END_TEST

/* The model-family table reads the generation out of the name; a name with
 * a long run of digits saturates instead of overflowing (fuzz_request found
 * "gpt-4.444…1-mini": signed overflow under UBSan). */
START_TEST(model_families)
{
    ck_assert(contract_model_has_phase("gpt-5.4"));
    ck_assert(!contract_model_has_phase("gpt-5.2"));
    ck_assert(!contract_model_has_phase("gpt-4.1-mini"));
    ck_assert_str_eq(contract_model_cache_retention("gpt-5.5"), "24h");
    ck_assert_str_eq(contract_model_cache_retention("gpt-4o"), "in_memory");
    ck_assert(contract_model_has_phase("gpt-4.4444444444444444444444444444444441-mini"));
    ck_assert(contract_model_has_phase("gpt-99999999999999999999999"));
    ck_assert_str_eq(contract_model_cache_retention("gpt-99999999999999999999.1"), "24h");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("contract");
    add_tcase(s, tcase_create("events"), 60, NULL, NULL, terminal_events_and_their_statuses,
              known_events_one_by_one_and_by_family, chat_done_sentinel);
    add_tcase(s, tcase_create("names"), 60, NULL, NULL, statuses, id_prefixes, error_types);
    add_tcase(s, tcase_create("models"), 60, NULL, NULL, model_families);
    return s;
}
