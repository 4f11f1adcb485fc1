#!/bin/sh
test_description='pipelines/demo: the sample days end to end'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the demo runs the three sample days and prints their summaries' '
	sh "$TIERS_TOP/pipelines/demo" var >out 2>err &&
	grep -c "^day 2026-11-" out >n &&
	echo 3 >expect &&
	test_cmp expect n &&
	ls var/days >actual &&
	printf "%s\n" 2026-11-18 2026-11-19 2026-11-20 >expect &&
	test_cmp expect actual &&
	grep "^decode .* refused" out &&
	test $(grep -c "^decode .* ok" out) = 9
'

test_expect_success 'run again, the demo rebuilds the same days' '
	cp -R var/days first &&
	sh "$TIERS_TOP/pipelines/demo" var >/dev/null 2>&1 &&
	diff -r first var/days
'

test_done
