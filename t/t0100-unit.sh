#!/bin/sh
# The formats library's C unit tests: money, dates and the business
# calendar, identifier keys, libxml2 messages, from the tables beside
# this script; then loops (dates, money, CRC-32, the byte sort, and the
# multi-buffer SHA-256 of every width the processor has against
# libcrypto's).
# unit-lib prints TAP itself.
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TIERS_TESTBIN=${TIERS_TESTBIN:-$TEST_DIRECTORY/../obj/t}
exec "$TIERS_TESTBIN/unit-lib" "$TEST_DIRECTORY"/t01[0-9][0-9]-*.tsv
