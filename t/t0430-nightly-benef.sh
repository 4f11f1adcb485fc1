#!/bin/sh
test_description='tiers-nightly: the benef stage over the sample days'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample

test_expect_success 'setup: the sample days as inboxes' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-1[89] "$sample"/2026-11-20 data/inbox/
'

test_expect_success 'day 1: one master per client and its index, all the population' '
	tiers-nightly -I 2026-11-18 data >out &&
	ls data/days/2026-11-18/state/benef >actual &&
	for c in $(ls data/inbox/2026-11-18 | sed -n "s/^benef-\([0-9]*\)-.*/\1/p" | sort -u); do
		echo $c.files.tsv; echo $c.master.idx; echo $c.master.tsv
	done >expect &&
	test_cmp expect actual &&
	cat data/days/2026-11-18/state/benef/*.master.tsv | grep -vc "^#" >n &&
	grep -vc "^#" "$sample"/truth/2026-11-18/benef.tsv >expect &&
	test_cmp expect n &&
	grep "^benef .* benef-master .* ok" out
'

test_expect_success 'days 2 and 3 chain on the previous masters; the re-sent file is skipped' '
	{ tiers-nightly 2026-11-19 data >out2 || test $? = 1; } &&
	tiers-nightly 2026-11-20 data >out3 &&
	grep "resent.xml: sender .* already integrated: skipped" data/days/2026-11-20/log/benef.err &&
	for d in 2026-11-19 2026-11-20; do
		cat data/days/$d/out/benef/*.rejects.tsv | grep -v "^#" | wc -l >n &&
		awk -F"\t" "\$1 ~ /^reject_/ { s += \$2 } END { print s }" \
		    "$sample"/truth/$d/benef-truth.tsv >expect &&
		test_cmp expect n || exit 1
	done
'

test_expect_success 'a refused beneficiary file: exit 65, nothing published' '
	mkdir -p data/inbox/2026-11-23 &&
	c=$(ls data/days/2026-11-20/state/benef | sed -n "s/\.master\.tsv$//p" | head -1) &&
	printf "client,file_number\n$c,9\n" >data/inbox/2026-11-23/benef-$c-000009.csv &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp test_expect_code 65 tiers-nightly 2026-11-23 data >out 2>err &&
	test -z "$(ls -A tmp)" &&
	! test -e data/days/2026-11-23 &&
	grep "^tiers-nightly: 2026-11-23: benef: refused benef-$c-000009.csv: benef-integrate: benef-$c-000009.csv:" err &&
	grep "^tiers-nightly: 2026-11-23: the day is not published; send a corrected file, or run the day without it: tiers-nightly -w benef-$c-000009.csv 2026-11-23 data\$" err &&
	grep "kept in data/days/.2026-11-23.failed.1/log/" err &&
	test -s data/days/.2026-11-23.failed.1/log/benef.err
'

test_expect_success 'run without it (-w): the client keeps its master, the summary says why' '
	c=$(ls data/days/2026-11-20/state/benef | sed -n "s/\.master\.tsv$//p" | head -1) &&
	test_expect_code 1 tiers-nightly -w benef-$c-000009.csv 2026-11-23 data >out &&
	grep "^receive    benef-$c-000009.csv .* without: left out by the operator (-w)\$" out &&
	grep -v "^#" data/days/2026-11-20/state/benef/$c.master.tsv >a &&
	grep -v "^#" data/days/2026-11-23/state/benef/$c.master.tsv >b &&
	test_cmp a b &&
	cmp data/days/2026-11-20/state/benef/$c.files.tsv data/days/2026-11-23/state/benef/$c.files.tsv
'

# The public sample testPassant.xml: a member with no NIR at all.  It is
# rejected (BI11), not integrated: the day is published, the benef stage
# ok, its reject listed.
test_expect_success SHARED 'a member without any NIR: rejected BI11, the day published' '
	mkdir -p np/inbox/2025-05-15 &&
	cp "$SHARED/ref/almerys-normev3/testPassant.xml" np/inbox/2025-05-15/benef-98532001-000001.xml &&
	tiers-nightly -I 2025-05-15 np >out 2>err; st=$? &&
	test $st -le 1 &&
	test -d np/days/2025-05-15 &&
	grep -v "^#" np/days/2025-05-15/out/benef/98532001.rejects.tsv | cut -f6 >actual &&
	echo BI11 >expect && test_cmp expect actual &&
	test -f np/days/2025-05-15/state/benef/98532001.master.idx
'

test_done
