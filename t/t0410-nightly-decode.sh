#!/bin/sh
test_description='tiers-nightly: the decode stage over the sample days'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample

test_expect_success 'setup: the sample days as inboxes' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-1[89] "$sample"/2026-11-20 data/inbox/
'

test_expect_success 'day 1: every flow decoded, one claim stream per file' '
	tiers-nightly -I 2026-11-18 data >out &&
	d=data/days/2026-11-18 &&
	grep "^decode     invoices.b2  *claim  *[0-9]* .* ok" out &&
	grep "^decode     noemie-01751.580  *claim .* ok" out &&
	grep "^decode     noemie-01931.580  *claim .* ok" out &&
	ls $d/out/claims >actual &&
	printf "%s.claims.tsv\n" invoices.b2 noemie-01751.580 noemie-01931.580 >expect &&
	test_cmp expect actual &&
	tiers-seal -q $d/out/claims/*.tsv $d/state/decoded-files.tsv
'

# claims DAYDIR: the records of all the day's claim streams.
claims () {
	cat "$1"/out/claims/*.tsv | grep -vc "^#"
}

test_expect_success 'day 1: as many claims as the generator made' '
	n=$(awk -F"\t" "\$1 == \"claims\" { print \$2 }" "$sample"/truth/2026-11-18/truth.tsv) &&
	test "$(claims data/days/2026-11-18)" = "$n"
'

test_expect_success 'day 2: the truncated copy is refused, the rest decoded; exit 1' '
	test_expect_code 1 tiers-nightly 2026-11-19 data >out 2>err &&
	grep "^tiers-nightly: 2026-11-19: decode: refused noemie-01751.trunc.580.gz: noemie-decode: noemie-01751.trunc.580.gz:38: truncated gzip file" err &&
	grep "^decode     noemie-01751.trunc.580.gz .* refused" out &&
	grep "truncated gzip file" data/days/2026-11-19/log/decode.err &&
	! test -e data/days/2026-11-19/out/claims/noemie-01751.trunc.580.gz.claims.tsv &&
	n=$(awk -F"\t" "\$1 == \"claims\" { print \$2 }" "$sample"/truth/2026-11-19/truth.tsv) &&
	test "$(claims data/days/2026-11-19)" = "$n"
'

test_expect_success 'the state lists every file decoded so far' '
	grep -v "^#" data/days/2026-11-19/state/decoded-files.tsv | cut -f5 >actual &&
	printf "2026-11-18/%s\n" invoices.b2 noemie-01751.580 noemie-01931.580 >expect &&
	printf "2026-11-19/%s\n" invoices.b2 noemie-01751.580 noemie-01931.580 >>expect &&
	test_cmp expect actual
'

test_expect_success 'a file sent again, on a later day or the same day, is refused' '
	cp data/inbox/2026-11-18/noemie-01931.580 data/inbox/2026-11-20/again-old.580 &&
	cp data/inbox/2026-11-20/invoices.b2 data/inbox/2026-11-20/zz-again.b2 &&
	test_expect_code 1 tiers-nightly 2026-11-20 data >out &&
	grep "^decode     again-old.580 .* duplicate" out &&
	grep "^decode     zz-again.b2 .* duplicate" out &&
	grep "^decode     invoices.b2 .* ok" out &&
	grep "zz-again.b2: duplicate transmission: already in invoices.b2" \
	    data/days/2026-11-20/log/decode.err &&
	ls data/days/2026-11-20/out/claims >actual &&
	printf "%s.claims.tsv\n" invoices.b2 noemie-01751.580 noemie-01931.580 >expect &&
	test_cmp expect actual &&
	test $(grep -vc "^#" data/days/2026-11-20/state/decoded-files.tsv) = 9
'

test_expect_success 'a rerun of a day gives the same bytes, one job or several' '
	cp -R data/days/2026-11-20 first &&
	TIERS_JOBS=1 tiers-nightly 2026-11-20 data >/dev/null 2>&1;
	diff -r first data/days/2026-11-20 &&
	TIERS_JOBS=300% tiers-nightly 2026-11-20 data >/dev/null 2>&1;
	diff -r first data/days/2026-11-20
'

test_expect_success 'TIERS_JOBS neither a number nor a percentage is exit 64, before any stage' '
	for j in x 2x %5 5%5 -1; do
		test_expect_code 64 env TIERS_JOBS=$j tiers-nightly 2026-11-20 data >/dev/null 2>err &&
		grep "^tiers-nightly: TIERS_JOBS=$j: not a number of jobs nor a percentage of the cores" err &&
		! grep "receive \.\.\." err || return 1
	done &&
	diff -r first data/days/2026-11-20
'

test_done
