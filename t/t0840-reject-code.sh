#!/bin/sh
test_description='reject-code: outcomes, lines on hold presented again, the table of codes'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0840-reject.tsv
. "$TEST_DIRECTORY/seq-lib.sh"

# records FILE: the records of a sealed stream, from its trailer.
records () {
	tail -n 1 "$1" | cut -f2
}

# One case's days as the nightly runs them: the pending claims of the day
# before first, then the day's, through dedup -l, liquidate, dedup -B and
# reject-code.
for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "sequence $cs" "
		prevcons= && prevled= && prevpend= &&
		for day in \$(awk -F'\t' -v cs=$cs '\$1 == cs { print \$2 }' '$cases' | uniq); do
			date=2026-11-2\$((day + 2)) &&
			claims $cs \$day >c.$cs.\$day &&
			set -- c.$cs.\$day &&
			if test -n \"\$prevpend\"; then set -- \$prevpend/claims.tsv \"\$@\"; fi &&
			dedup -l -V -d \$date \${prevled:+-h \$prevled} -o l.$cs.\$day \"\$@\" 2>err &&
			liquidate -d \$date -g g.xml -m master.\$day.tsv -p pec.tsv \${prevcons:+-c \$prevcons} \
			    -C cons.$cs.\$day -o d.$cs.\$day l.$cs.\$day 2>err &&
			dedup -B -V -d \$date \${prevled:+-h \$prevled} -D d.$cs.\$day -H led.$cs.\$day \
			    l.$cs.\$day 2>err &&
			mkdir p.$cs.\$day &&
			reject-code -d \$date \${prevpend:+-p \$prevpend} -n p.$cs.\$day -o o.$cs.\$day \
			    l.$cs.\$day d.$cs.\$day 2>err &&
			tiers-seal -q o.$cs.\$day p.$cs.\$day/claims.tsv p.$cs.\$day/hold.tsv &&
			test \"\$(test_mode o.$cs.\$day)\" = -rw------- &&
			col o.$cs.\$day dest code amc_eur outcome presented >outcomes &&
			col l.$cs.\$day dup >verdicts &&
			awk -F'\t' 'NR == FNR { v[FNR] = \$0; next } { print v[FNR] \"\t\" \$0 }' \
			    verdicts outcomes >actual.$cs.\$day &&
			awk -F'\t' -v OFS='\t' -v cs=$cs -v day=\$day '\$1 == cs && \$2 == day { print \$5, \$6, \$7, \$8, \$9, \$10 }' '$cases' >expect.$cs.\$day &&
			test_cmp expect.$cs.\$day actual.$cs.\$day &&
			prevcons=cons.$cs.\$day && prevled=led.$cs.\$day && prevpend=p.$cs.\$day || exit 1
		done
	"
done

test_expect_success 'a line on hold keeps its first claim and date, and when it is decided' '
	printf "%s\n" "2026-11-23#1	LQ01	2026-11-23	2026-11-25	2" >expect &&
	col p.hold-expire.2/hold.tsv first_claim code first_date decide_by presented >actual &&
	test_cmp expect actual &&
	col o.hold-expire.3 first_claim first_date decide_by >actual &&
	printf "%s\n" "2026-11-23#1	2026-11-23	2026-11-25" >expect &&
	test_cmp expect actual &&
	test "$(records p.hold-expire.3/hold.tsv)" = 0
'

test_expect_success 'the summary: lines and amounts per outcome' '
	mkdir sum &&
	reject-code -d 2026-11-24 -p p.hold-resent.1 -n sum -o o.sum -s s.sum \
	    l.hold-resent.2 d.hold-resent.2 2>err &&
	grep "^reject-code: 2026-11-24: 2 lines: 1 paid, 0 paid-report, 1 rejected, 0 on hold (1 presented again, 0 carried)" err &&
	grep -v "^#" s.sum >actual &&
	printf "lines\tpaid\t1\t9.00\nlines\trejected\t1\t11.00\n" >expect &&
	test_cmp expect actual
'

# A table of codes of the client's: LQ01 is final for client 900000001.
test_expect_success 'a client table overrides the built-in row (-t)' '
	printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n900000001\tLQ01\tfinal\t0\tInconnu\tNon déclaré\n" |
	    mkstream codes.tsv &&
	mkdir t1 &&
	reject-code -t codes.tsv -d 2026-11-23 -n t1 -o o.t1 l.hold-pass.1 d.hold-pass.1 2>err &&
	col o.t1 code outcome ps_label client_label >actual &&
	printf "LQ01\trejected\tInconnu\tNon déclaré\n" >expect &&
	test_cmp expect actual &&
	test "$(records t1/hold.tsv)" = 0
'

# Malformed inputs: the status, the message, nothing published.
while IFS='@' read -r name status how cmd msg; do
	test_expect_success "refused: $name" "
		rm -rf bad bad.out && mkdir bad &&
		$how
		test_expect_code $status $cmd 2>err &&
		grep -F -e '$msg' err &&
		! test -e bad.out && ! test -e bad/hold.tsv && ! test -e bad/claims.tsv
	"
done <<'EOF2'
pending not first@65@: &&@reject-code -d 2026-11-24 -p p.hold-pass.1 -n bad -o bad.out l.cancel.2 d.cancel.2@reject-code: l.cancel.2:3: claim: not the pending line 2 of p.hold-pass.1/claims.tsv, which must come first
decisions short@65@head -n 2 d.cancel.1 | tiers-seal -r >d.short &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.short@reject-code: d.short:3: claim: fewer records than the claims
another claim@65@sed "s/2026-11-23#1/2026-11-23#9/" d.cancel.1 | tiers-seal -r >d.other &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.other@reject-code: d.other:3: claim: not the claim of line 3 of the claims
unknown code@65@sed "s/LQ00/LQ77/" d.cancel.1 | tiers-seal -r >d.lq77 &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.lq77@reject-code: d.lq77:3: code: a code no table of codes names
bad handling@65@printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n*\tLQ01\tlater\t0\tx\ty\n" | tiers-seal -r >c.bad &&@reject-code -t c.bad -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.cancel.1@reject-code: c.bad:2: handling: not paid, report, final, hold, recover or client
hold without days@65@printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n*\tLQ02\thold\t0\tx\ty\n" | tiers-seal -r >c.bad &&@reject-code -t c.bad -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.cancel.1@reject-code: c.bad:2: days: a line on hold waits 1 business day at least
not claims with verdicts@65@: &&@reject-code -d 2026-11-23 -n bad -o bad.out c.cancel.1 d.cancel.1@reject-code: c.cancel.1:1: header: not claims with dedup
EOF2

test_done
