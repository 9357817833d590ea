/* Shared main() for every Check test program: runs the suite the test file
 * builds with make_suite(), honouring CK_RUN_CASE (set per ctest), and fails
 * when nothing ran so a misspelled case name cannot pass. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_support.h"

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
