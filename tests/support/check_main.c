/* check_main: the main() of every Check test program and the suite-building
 * helper. main() runs the suite the test file builds with make_suite(),
 * honouring CK_RUN_CASE (set per ctest), and fails when nothing ran so a
 * misspelled case name cannot pass. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_support.h"

TCase *suite_add_tests(Suite *s, TCase *tc, double timeout_s, void (*setup)(void),
                       void (*teardown)(void), const TTest *const *tests)
{
    if (setup || teardown)
        tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout_s);
    for (; tests && *tests; tests++)
        tcase_add_test(tc, *tests);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    SRunner *sr = srunner_create(make_suite());
    int failed, run;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    run = srunner_ntests_run(sr);
    srunner_free(sr);
    if (run == 0) {
        fprintf(stderr, "no test ran (check CK_RUN_CASE)\n");
        return EXIT_FAILURE;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
