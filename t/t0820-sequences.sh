#!/bin/sh
test_description='sequences of days: dedup -l, liquidate, dedup -B, as the nightly runs them'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0820-sequences.tsv
. "$TEST_DIRECTORY/seq-lib.sh"

for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "sequence $cs" "
		prevcons= && prevled= &&
		for day in \$(awk -F'\t' -v cs=$cs '\$1 == cs { print \$2 }' '$cases' | uniq); do
			date=2026-11-2\$((day + 2)) &&
			claims $cs \$day >c.$cs.\$day &&
			dedup -l -V -d \$date \${prevled:+-h \$prevled} -o l.$cs.\$day c.$cs.\$day 2>err &&
			liquidate -d \$date -g g.xml -m master.\$day.tsv -p pec.tsv \${prevcons:+-c \$prevcons} \
			    -C cons.$cs.\$day -o d.$cs.\$day l.$cs.\$day 2>err &&
			dedup -B -V -d \$date \${prevled:+-h \$prevled} -D d.$cs.\$day -H led.$cs.\$day \
			    l.$cs.\$day 2>err &&
			tiers-seal -q l.$cs.\$day d.$cs.\$day cons.$cs.\$day led.$cs.\$day/manifest.tsv &&
			col l.$cs.\$day dup >verdicts &&
			col d.$cs.\$day dest code amc_eur >decisions &&
			awk -F'\t' 'NR == FNR { v[FNR] = \$0; next } { print v[FNR] \"\t\" \$0 }' \
			    verdicts decisions >actual.$cs.\$day &&
			awk -F'\t' -v OFS='\t' -v cs=$cs -v day=\$day '\$1 == cs && \$2 == day { print \$5, \$6, \$7, \$8 }' '$cases' >expect.$cs.\$day &&
			test_cmp expect.$cs.\$day actual.$cs.\$day &&
			for want in \$(awk -F'\t' -v cs=$cs -v day=\$day '\$1 == cs && \$2 == day && \$9 != \"\" { print \$9 }' '$cases'); do
				left cons.$cs.\$day \$want >left.actual &&
				echo \$want >left.expect &&
				test_cmp left.expect left.actual || exit 1
			done &&
			prevcons=cons.$cs.\$day && prevled=led.$cs.\$day || exit 1
		done
	"
done

# Merged by size (dedup(1)): the first day's 2 records are more than 1.5
# times the second's 1, and stay apart; the third day's 2 take both in.
test_expect_success 'the ledger holds what was paid: cancelled, then paid again' '
	awk -F"\t" "!/^#/ { print \$1, \$2 }" led.paid-cancel.2/manifest.tsv \
	    led.paid-cancel.3/manifest.tsv >n &&
	printf "%s\n" "day-20261123.led 2" "day-20261124.led 1" "base-20261125.led 5" >expect &&
	test_cmp expect n
'

test_done
