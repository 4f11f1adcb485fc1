#!/bin/sh
# liquidate's business rules called directly (t/unit-rules.c), one case
# a row of t/t0850-rules.tsv, the amounts derived there.  unit-rules
# prints TAP itself.
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TIERS_TESTBIN=${TIERS_TESTBIN:-$TEST_DIRECTORY/../obj/t}
exec "$TIERS_TESTBIN/unit-rules" "$TEST_DIRECTORY/t0850-rules.tsv"
