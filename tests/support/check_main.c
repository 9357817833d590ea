/* check_main: the main() of every Check test program and the suite-building
 * helper. main() runs the suite the test file builds with make_suite(),
 * honouring CK_RUN_CASE (set per ctest), and fails when nothing ran so a
 * misspelled case name cannot pass. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

extern char **environ;

/* respmock reads RESPMOCK_* variables (RESPMOCK_API_KEY, RESPMOCK_PORT, ...):
 * the servers the tests start must not take them from the developer's
 * shell. Tests that mean to set one pass it explicitly. */
static void unset_respmock_variables(void)
{
    char name[128];
    int again = 1;

    while (again) {
        char **e;

        again = 0;
        for (e = environ; e && *e; e++) {
            size_t len = strcspn(*e, "=");
            if (!strncmp(*e, "RESPMOCK_", 9) && len < sizeof(name)) {
                memcpy(name, *e, len);
                name[len] = '\0';
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

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
    SRunner *sr;
    int failed, run;

    unset_respmock_variables();
    sr = srunner_create(make_suite());
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
