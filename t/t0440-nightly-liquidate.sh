#!/bin/sh
test_description='tiers-nightly: the liquidate stage over the sample days, against the truth'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample
COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'
days='2026-11-18 2026-11-19 2026-11-20'

test_expect_success 'setup: the three sample days run in order' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-1[89] "$sample"/2026-11-20 data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >out1 &&
	{ tiers-nightly 2026-11-19 data >out2 || test $? = 1; } &&
	tiers-nightly 2026-11-20 data >out3
'

test_expect_success 'one decision per claim, every day, and the streams whole' '
	for d in $days; do
		tiers-seal -q data/days/$d/out/decisions.tsv data/days/$d/state/consumption/*.tsv &&
		grep -vc "^#" data/days/$d/out/claims.tsv >a &&
		grep -vc "^#" data/days/$d/out/decisions.tsv >b &&
		test_cmp a b || exit 1
	done
'

# The generator knows what each of its lines must be decided: liq_ rows of
# its truth file, a count and a sum of amc_eur per code, of the day's own
# lines (the lines on hold presented again, presented above 1, are not the
# day's); and out_ rows, a count and a sum of amc_eur per outcome of every
# line decided, presented again or not.  decided DIR DAY writes both.
decided () {
	awk -F"\t" -v OFS="\t" "$COLS"" {
		o[\$c[\"outcome\"]]++
		v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); oa[\$c[\"outcome\"]] += v
	}
	\$c[\"presented\"] == 1 {
		n[\$c[\"code\"]]++
		v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); a[\$c[\"code\"]] += v
		if (\$c[\"flag\"] ~ /identity/) { ni++; ai += v }
		if (\$c[\"flag\"] ~ /capped/) { nc++; ac += v }
		t++; ta += v
	}
	END {
		for (k = 0; k <= 19; k++) {
			code = sprintf(\"LQ%02d\", k)
			printf \"liq_%s\t%d\t%.2f\n\", code, n[code], a[code] / 100
		}
		printf \"liq_identity\t%d\t%.2f\nliq_capped\t%d\t%.2f\n\", ni, ai / 100, nc, ac / 100
		printf \"liq_total\t%d\t%.2f\n\", t, ta / 100
		split(\"paid paid-report rejected hold expired recover client confirmed\", on, \" \")
		for (k = 1; k <= 8; k++)
			printf \"out_%s\t%d\t%.2f\n\", on[k], o[on[k]], oa[on[k]] / 100
	}" "$1/days/$2/out/outcomes.tsv"
}

test_expect_success 'codes and amounts: the generator truth, found exactly' '
	for d in $days; do
		decided data $d >actual.$d &&
		grep "^liq_\|^out_" "$sample/truth/$d/truth.tsv" >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# A world heavy with repeats: copies, near-repeats (one cent more, a day
# earlier) and cancellations, some of lines cancelled already or repeated
# the same day, over five days; the truth follows the ledger of paid lines.
test_expect_success 'five days of repeats and cancellations: the truth, found exactly' '
	tiers-gen -s 7 -d 5 -D 2026-11-18 -n 2000 -b 200 -p 10 -A cancel=500 \
	    -A dupinter=500 -A dupintra=300 -A near=300 -A nopec=0 -o gen >/dev/null &&
	mkdir -p rep/inbox &&
	cp -R gen/2026-* rep/inbox/ &&
	opt=-I &&
	for d in $(ls rep/inbox); do
		{ tiers-nightly $opt $d rep >/dev/null || test $? = 1; } &&
		opt= &&
		decided rep $d >actual.$d &&
		grep "^liq_\|^out_" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# Families their client declares late (-A late): their claims come first,
# rejected LQ01 and on hold; presented again each day, they are paid the
# day the beneficiary file declares them, or expire two business days on.
# PECs granted a day late (-A latepec): LQ08 on hold, paid the next day.
# Lines rejected as not covered that their PS contests the next day (-A
# contest, contest.tsv in the inbox): presented again, the reject
# confirmed.
test_expect_success 'late beneficiaries, late PECs, contestations: as the truth says' '
	tiers-gen -s 5 -d 5 -D 2026-11-18 -n 1500 -b 300 -p 10 -A late=3000 -A latepec=3000 \
	    -A contest=5000 -A nopec=500 -o lgen >/dev/null &&
	mkdir -p late/inbox &&
	cp -R lgen/2026-* late/inbox/ &&
	opt=-I &&
	for d in $(ls late/inbox); do
		{ tiers-nightly $opt $d late >/dev/null || test $? = 1; } &&
		opt= &&
		decided late $d >actual.$d &&
		grep "^liq_\|^out_" lgen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done &&
	awk -F"\t" "$COLS"" \$c[\"presented\"] > 1 && \$c[\"outcome\"] == \"paid\" { n++ } END { exit n < 10 }" \
	    late/days/*/out/outcomes.tsv &&
	awk -F"\t" "$COLS"" \$c[\"outcome\"] == \"confirmed\" { n++ } END { exit n < 10 }" \
	    late/days/*/out/outcomes.tsv &&
	! grep -h "	refused	" late/days/*/out/contest-report.tsv
'

# A world where the bounds of the contrat responsable bite (-A optam,
# parcours, franchise, optics, anniv): doctors outside OPTAM, or not said
# to be, in the PS register of the first day's inbox, which the nightly
# keeps for the next days; visits outside the care pathway that the B2
# file says so; franchises on drugs; frames at 100.00; optics bought as
# parts, a frame and two lenses, whole, split across two invoices and
# days, or followed by a second equipment the next day, under a plafond
# of one equipment a year; plafonds counted over the contract's
# anniversary year for half the clients, the calendar year for the
# others; with the default anomalies.  Every bound and plafond changes
# decisions (cr_ and plafond_anniv rows, LQ15), and the nightly decides
# as the truth says.  In the consumption kept, frames and lenses of one
# equipment paid on two invoices.
test_expect_success 'the contrat responsable: OPTAM, care pathway, franchises, optics in parts, anniversaries' '
	tiers-gen -s 11 -d 5 -D 2026-11-18 -n 1500 -b 400 -p 60 -c 4 -A optam=5000 \
	    -A parcours=3000 -A franchise=3000 -A optics=6000 -A anniv=6000 -o rgen >/dev/null &&
	ls rgen/2026-11-18/ps-register.tsv &&
	! ls rgen/2026-11-19/ps-register* 2>/dev/null &&
	mkdir -p rc/inbox &&
	cp -R rgen/2026-* rc/inbox/ &&
	opt=-I &&
	for d in $(ls rc/inbox); do
		{ tiers-nightly $opt $d rc >/dev/null || test $? = 1; } &&
		opt= &&
		cmp rgen/2026-11-18/ps-register.tsv rc/days/$d/state/payments/register.tsv &&
		decided rc $d >actual.$d &&
		grep "^liq_\|^out_" rgen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done &&
	cat rgen/truth/*/truth.tsv | awk -F"\t" "
		\$1 ~ /^(cr_|plafond_anniv|liq_LQ15)/ { n[\$1] += \$2 }
		END {
			split(\"cr_franchise cr_parcours cr_optam cr_frame plafond_anniv liq_LQ15\", k, \" \")
			for (i = 1; i <= 6; i++)
				if (n[k[i]] < 10) { print k[i] \": \" n[k[i]]; bad = 1 }
			exit bad
		}" &&
	{ head -n 1 rc/days/2026-11-18/out/decisions.tsv &&
	  grep -h "	LQ15	" rc/days/*/out/decisions.tsv; } >lq15 &&
	awk -F"\t" "$COLS"" { print \$c[\"act_code\"] }" lq15 | sort -u >actual &&
	printf "OME\nOV1\n" | test_cmp - actual &&
	awk -F"\t" "$COLS"" \$c[\"counter\"] ~ /^EQUIP\\// {
		k = \$c[\"member_ref\"] \"/\" substr(\$c[\"act_date\"], 1, 4)
		if (\$c[\"counter\"] == \"EQUIP/frame\") f[k] = f[k] \" \" \$c[\"invoice\"]
		else l[k] = l[k] \" \" \$c[\"invoice\"]
	}
	END {
		for (k in f)
			if ((k in l) && index(l[k], f[k]) == 0)
				n++
		exit n < 5
	}" rc/days/2026-11-24/state/consumption/*.tsv
'

test_expect_success 'liquidate read the masters through their indexes: without, the same bytes' '
	d=data/days/2026-11-20 && p=data/days/2026-11-19 &&
	ls $d/state/benef/*.master.idx >/dev/null &&
	opts= &&
	for f in $d/state/guarantees/*; do opts="$opts -g $f"; done &&
	for f in $d/state/benef/*.master.tsv; do opts="$opts -m $f"; done &&
	for f in $d/state/pec/*; do opts="$opts -p $f"; done &&
	liquidate -d 2026-11-20 $opts -c $p/state/consumption -S cons.noidx \
	    -o dec.noidx $d/out/claims.tsv 2>/dev/null &&
	cmp dec.noidx $d/out/decisions.tsv && diff -r cons.noidx $d/state/consumption
'

test_expect_success 'the state carries guarantees, PEC and consumption; files are 0600' '
	ls data/days/2026-11-20/state/guarantees >actual &&
	ls "$sample"/2026-11-18 | sed -n "s/^garanties-//p" >expect &&
	test_cmp expect actual &&
	ls data/days/2026-11-20/state/pec | grep -q "^2026-11-20.tsv$" &&
	! ls data/days/2026-11-20/state/pec | grep -v "^2026-11-[12][0-9].tsv$" &&
	tiers-seal -q data/days/2026-11-20/state/pec/* &&
	cat "$sample"/2026-11-1[89]/pec.tsv "$sample"/2026-11-20/pec.tsv | grep -v "^#" | sort -u |
	    cut -f2 | sort >expect &&
	cat data/days/2026-11-20/state/pec/* | grep -v "^#" | cut -f2 | sort -u >actual &&
	test_cmp expect actual &&
	for f in data/days/2026-11-20/state/pec/*; do
		test "$(test_mode $f)" = "-rw-------" || exit 1
	done &&
	test "$(test_mode data/days/2026-11-20/state/pec)" = "drwx------" &&
	test "$(test_mode data/days/2026-11-20/out/decisions.tsv)" = "-rw-------" &&
	for f in data/days/2026-11-20/state/consumption/*; do
		test "$(test_mode $f)" = "-rw-------" || exit 1
	done &&
	test "$(test_mode data/days/2026-11-20/state/consumption)" = "drwx------" &&
	ls data/days/2026-11-20/state/consumption | grep -q "^2026-11-20.tsv$"
'

test_expect_success 'the summary: paid, rejected and to recover per client and domain' '
	grep "^liquidate  [0-9]*/[A-Z]*  *paid  *[0-9]" out1 &&
	grep "^liquidate  [0-9]*/[A-Z]*  *rejected " out1 &&
	awk -F"\t" "\$1 == \"liquidate\" && \$3 == \"paid\" { v = \$5; sub(/\\./, \"\", v); s += v } END { printf \"%.2f\n\", s / 100 }" \
	    data/days/2026-11-18/summary.tsv >actual &&
	awk -F"\t" "$COLS"" \$c[\"dest\"] ~ /^ps/ { v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); s += v } END { printf \"%.2f\n\", s / 100 }" \
	    data/days/2026-11-18/out/decisions.tsv >expect &&
	test_cmp expect actual
'

test_expect_success 'a rerun of day 2 gives the same decisions and consumption' '
	cp data/days/2026-11-19/out/decisions.tsv d.before &&
	cp -R data/days/2026-11-19/state/consumption c.before &&
	{ tiers-nightly -F 2026-11-19 data >/dev/null || test $? = 1; } &&
	! test -e data/days/2026-11-20/STALE &&
	cmp d.before data/days/2026-11-19/out/decisions.tsv &&
	diff -r c.before data/days/2026-11-19/state/consumption
'

# The day before the store, the state held one consumption.tsv: read
# once, as the store's first segment, the same decisions and events.
test_expect_success 'a consumption.tsv of before the store: read once, the same decisions' '
	cp -R data up &&
	s=up/days/2026-11-19/state &&
	{
		head -1 $s/consumption/2026-11-19.tsv &&
		printf "#business_date\t2026-11-19\n" &&
		cat $s/consumption/*.tsv | grep -v "^#" |
		    LC_ALL=C sort -t "	" -k1,1 -k2,2 -k3,3 -k4,4 -k5,5 -k9,9 -k10,10 -k6,6
	} | tiers-seal -r >$s/consumption.tsv &&
	rm -r $s/consumption &&
	{ tiers-nightly -F 2026-11-20 up >/dev/null || test $? = 1; } &&
	cmp data/days/2026-11-20/out/decisions.tsv up/days/2026-11-20/out/decisions.tsv &&
	ls up/days/2026-11-20/state/consumption >actual && echo 2026-11-20.tsv >expect &&
	test_cmp expect actual &&
	cat data/days/2026-11-20/state/consumption/*.tsv | grep -v "^#" | sort >expect &&
	grep -v "^#" up/days/2026-11-20/state/consumption/2026-11-20.tsv | sort >actual &&
	test_cmp expect actual &&
	rm -r up
'

# The day before the PEC store, the state held one pec/pec.tsv: read
# once, as the store's first segment, the same decisions.
test_expect_success 'a pec/pec.tsv of before the store: read once, the same decisions' '
	cp -R data up &&
	s=up/days/2026-11-19/state &&
	head -n 1 data/days/2026-11-20/out/claims.tsv | tiers-seal -r >nocl &&
	liquidate -d 2026-11-19 -p $s/pec -N pec.old -C nocl.cons nocl >/dev/null 2>err &&
	rm -r $s/pec && mkdir $s/pec && cp pec.old $s/pec/pec.tsv &&
	{ tiers-nightly -F 2026-11-20 up >/dev/null || test $? = 1; } &&
	cmp data/days/2026-11-20/out/decisions.tsv up/days/2026-11-20/out/decisions.tsv &&
	ls up/days/2026-11-20/state/pec >actual && echo 2026-11-20.tsv >expect &&
	test_cmp expect actual &&
	cat data/days/2026-11-20/state/pec/*.tsv | grep -v "^#" | sort -u >expect &&
	grep -v "^#" up/days/2026-11-20/state/pec/2026-11-20.tsv | sort >actual &&
	test_cmp expect actual &&
	rm -r up
'

# A day without claims: the store's segments linked, the day's PEC files
# waiting beside it for the next day with claims, which reads them as
# its own.
test_expect_success 'a day without claims keeps its PEC files waiting for the next' '
	mkdir -p nc/inbox/2026-11-17 && cp "$sample"/2026-11-20/pec.tsv nc/inbox/2026-11-17/pec-early.tsv &&
	cp -R "$sample"/2026-11-18 nc/inbox/ &&
	tiers-nightly -I 2026-11-17 nc >/dev/null 2>err &&
	grep "liquidate: no claims" err &&
	ls nc/days/2026-11-17/state/pec-waiting >actual &&
	echo 2026-11-17-pec-early.tsv >expect && test_cmp expect actual &&
	test -z "$(ls nc/days/2026-11-17/state/pec)" &&
	test "$(test_mode nc/days/2026-11-17/state/pec-waiting)" = drwx------ &&
	tiers-nightly 2026-11-18 nc >/dev/null 2>&1 &&
	! test -e nc/days/2026-11-18/state/pec-waiting &&
	ls nc/days/2026-11-18/state/pec >actual && echo 2026-11-18.tsv >expect && test_cmp expect actual &&
	cat "$sample"/2026-11-18/pec.tsv "$sample"/2026-11-20/pec.tsv | grep -v "^#" | cut -f2 |
	    sort -u >expect &&
	grep -v "^#" nc/days/2026-11-18/state/pec/2026-11-18.tsv | cut -f2 | sort >actual &&
	test_cmp expect actual &&
	mkdir -p nc2/inbox && cp -R "$sample"/2026-11-18 nc2/inbox/ &&
	cp "$sample"/2026-11-20/pec.tsv nc2/inbox/2026-11-18/pec-early.tsv &&
	tiers-nightly -I 2026-11-18 nc2 >/dev/null 2>&1 &&
	cmp nc/days/2026-11-18/out/decisions.tsv nc2/days/2026-11-18/out/decisions.tsv &&
	rm -r nc nc2
'

test_expect_success 'a guarantee file liquidate refuses: exit 65, the day published before stays' '
	cp -R data/inbox/2026-11-20 alt &&
	c=$(ls data/days/2026-11-20/state/guarantees | head -1) &&
	printf "<garanties/>\n" >alt/garanties-$c &&
	cp -R data/days/2026-11-20 before &&
	test_expect_code 65 tiers-nightly -i alt 2026-11-20 data >out 2>err &&
	grep "^tiers-nightly: 2026-11-20: liquidate: refused garanties-$c: liquidate: garanties-$c:1: " err &&
	grep "^tiers-nightly: 2026-11-20: the day is not published; send a corrected file, or run the day without it: tiers-nightly -w garanties-$c 2026-11-20 data\$" err &&
	diff -r before data/days/2026-11-20 &&
	grep "garanties-$c changes what is paid and was refused" data/days/.2026-11-20.failed.1/log/nightly.err &&
	grep "^liquidate: .*/state/guarantees/$c:1: " data/days/.2026-11-20.failed.1/log/liquidate.err
'

test_expect_success 'run without it (-w): published, the guarantee of the day before kept, recorded' '
	c=$(ls data/days/2026-11-20/state/guarantees | head -1) &&
	test_expect_code 1 tiers-nightly -i alt -w garanties-$c 2026-11-20 data >out 2>err &&
	grep "^receive    garanties-$c .* without: left out by the operator (-w)\$" out &&
	grep "^receive	garanties-$c				without	left out by the operator (-w)\$" \
	    data/days/2026-11-20/summary.tsv &&
	cmp alt/garanties-$c data/days/2026-11-20/in/garanties-$c &&
	cmp data/days/2026-11-19/state/guarantees/$c data/days/2026-11-20/state/guarantees/$c &&
	cmp before/out/decisions.tsv data/days/2026-11-20/out/decisions.tsv
'

test_expect_success '-w names a file of the inbox, or the day does not start' '
	test_expect_code 64 tiers-nightly -i alt -w nosuch.xml 2026-11-20 data 2>err &&
	grep "^tiers-nightly: -w nosuch.xml: no such file in alt\$" err &&
	test_expect_code 64 tiers-nightly -i alt -w ../x 2026-11-20 data 2>err &&
	grep "^tiers-nightly: -w ../x: not the name of a file of the inbox\$" err
'

# A client's own table of codes (tiers-rejects(5)), received as
# rejets-CLIENT.tsv: kept in the state, used for that client's lines (here
# LQ01 final: nothing of the client's on hold); a table reject-code
# refuses changes how lines are handled: the day stops (65).
test_expect_success 'a client table of codes: kept and used; a bad one stops the day' '
	c=$(awk -F"\t" "$COLS"" \$c[\"code\"] == \"LQ01\" && \$c[\"outcome\"] == \"hold\" { print \$c[\"amc\"]; exit }" \
	    data/days/2026-11-20/out/outcomes.tsv) &&
	test -n "$c" &&
	rm -rf alt2 && cp -R data/inbox/2026-11-20 alt2 &&
	printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n%s\tLQ01\tfinal\t0\tInconnu\tNon déclaré\n" "$c" |
	    mkstream alt2/rejets-$c.tsv &&
	{ tiers-nightly -i alt2 2026-11-20 data >out 2>err || test $? = 1; } &&
	cmp alt2/rejets-$c.tsv data/days/2026-11-20/state/rejects/$c.tsv &&
	awk -F"\t" -v want=$c "$COLS"" \$c[\"amc\"] == want && \$c[\"code\"] == \"LQ01\" { print \$c[\"outcome\"] }" \
	    data/days/2026-11-20/out/outcomes.tsv | sort -u >actual &&
	echo rejected | test_cmp - actual &&
	printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n%s\tLQ01\tlater\t0\tx\ty\n" "$c" |
	    mkstream alt2/rejets-$c.tsv &&
	cp -R data/days/2026-11-20 before2 &&
	test_expect_code 65 tiers-nightly -i alt2 2026-11-20 data >out 2>err &&
	grep "^tiers-nightly: 2026-11-20: reject: refused rejets-$c.tsv: reject-code: rejets-$c.tsv:2: handling: " err &&
	diff -r before2 data/days/2026-11-20
'

test_done
