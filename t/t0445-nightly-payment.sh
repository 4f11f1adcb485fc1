#!/bin/sh
test_description='tiers-nightly: the payment stage over a world with -A pay, against the truth'
. "$(dirname "$0")/test-lib.sh"

COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'

# A world of four days whose first register gives a fifth of the PS no
# IBAN or one with a wrong key, fixed for half of them by the register
# of the third day; whose first paying accounts leave out the last
# client, whose account comes the second day.  No client allows
# compensation: the transfers are the sums of the lines paid.
test_expect_success 'setup: a world with -A pay, four days through the nightly' '
	tiers-gen -s 13 -d 4 -D 2026-11-18 -n 1500 -b 400 -p 60 -A pay=2000 -o gen >/dev/null &&
	ls gen/2026-11-18/ps-register.tsv gen/2026-11-18/payment-params.tsv \
	    gen/2026-11-19/payment-params.tsv gen/2026-11-20/ps-register.tsv &&
	! ls gen/2026-11-19/ps-register* gen/2026-11-20/payment-params* 2>/dev/null &&
	! ls gen/2026-11-23/ps-register* gen/2026-11-23/payment-params* 2>/dev/null &&
	nightly_world gen pay &&
	ls pay/days >days &&
	test $(wc -l <days) -eq 4
'

# The register and the accounts taken are the last received, kept.
test_expect_success 'the register and the accounts in effect, day by day' '
	cmp gen/2026-11-18/ps-register.tsv pay/days/2026-11-19/state/payments/register.tsv &&
	cmp gen/2026-11-20/ps-register.tsv pay/days/2026-11-23/state/payments/register.tsv &&
	cmp gen/2026-11-18/payment-params.tsv pay/days/2026-11-18/state/payments/params.tsv &&
	cmp gen/2026-11-19/payment-params.tsv pay/days/2026-11-23/state/payments/params.tsv
'

# The decisions are still the truth'"'"'s: the register says every doctor
# adheres to OPTAM, as the generator, without -A optam, takes it.
test_expect_success 'the outcomes, as the truth says' '
	for d in $(cat days); do
		awk -F"\t" "$COLS"" {
			o[\$c[\"outcome\"]]++
			v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); oa[\$c[\"outcome\"]] += v
		}
		END {
			split(\"paid paid-report rejected hold expired recover client confirmed\", on, \" \")
			for (k = 1; k <= 8; k++)
				printf \"out_%s\t%d\t%.2f\n\", on[k], o[on[k]], oa[on[k]] / 100
		}" pay/days/$d/out/outcomes.tsv >actual.$d &&
		grep "^out_" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# The truth'"'"'s pay_ rows against the stage'"'"'s rows of the day summary,
# summed over the clients.
test_expect_success 'lines paid, released, held and the transfers: the summary is the truth' '
	for d in $(cat days); do
		awk -F"\t" "
			\$1 == \"payment\" && \$3 ~ /^(paid|released|held|transfers)\$/ {
				v = \$5; sub(/\\./, \"\", v); n[\$3] += \$4; a[\$3] += v
			}
			END {
				split(\"paid released held transfers\", k, \" \")
				for (i = 1; i <= 4; i++)
					printf \"pay_%s\t%d\t%.2f\n\", k[i], n[k[i]], a[k[i]] / 100
			}" pay/days/$d/summary.tsv >actual.$d &&
		grep "^pay_" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# The same from what was sent: the files of transfers, valid against the
# schema, their counts and control sums, and the transactions in them;
# the lines paid and held, from the payment ledger.
test_expect_success 'the files of transfers and the ledger: the truth, counted again' '
	for d in $(cat days); do
		xmllint --noout --schema "$TIERS_TOP/formats/xsd/pain001.xsd" \
		    pay/days/$d/out/payments/sepa/*.xml 2>/dev/null &&
		cat pay/days/$d/out/payments/sepa/*.xml | awk "
			/<GrpHdr>/ { g = 1 }
			/<\\/GrpHdr>/ { g = 0 }
			g && /<NbOfTxs>/ { gsub(/.*<NbOfTxs>|<\\/NbOfTxs>.*/, \"\"); n += \$0 }
			g && /<CtrlSum>/ { gsub(/.*<CtrlSum>|<\\/CtrlSum>.*/, \"\"); sub(/\\./, \"\"); s += \$0 }
			/<InstdAmt/ { gsub(/.*\">|<\\/InstdAmt>.*/, \"\"); sub(/\\./, \"\"); t++; ts += \$0 }
			END {
				printf \"pay_transfers\t%d\t%.2f\n\", n, s / 100
				printf \"pay_transfers\t%d\t%.2f\n\", t, ts / 100
			}" >actual.$d &&
		grep "^pay_transfers" gen/truth/$d/truth.tsv >expect.$d &&
		cat expect.$d >>expect.$d.2 && cat expect.$d >>expect.$d.2 &&
		test_cmp expect.$d.2 actual.$d &&
		awk -F"\t" -v d=$d "$COLS"" {
			v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v)
			if (\$c[\"status\"] == \"held\") { h++; ha += v }
			else if (\$c[\"paid\"] == d) { p++; pa += v }
		}
		END {
			printf \"pay_paid\t%d\t%.2f\npay_held\t%d\t%.2f\n\", p, pa / 100, h, ha / 100
		}" pay/days/$d/state/payments/ledger/* >actual.$d &&
		grep "^pay_paid\|^pay_held" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# Held for each reason, and released: the client without an account the
# day its account comes, the PS whose register row is fixed the day of
# the new register.
test_expect_success 'held for no account, no IBAN, a wrong key; released the days they are fixed' '
	awk -F"\t" "$COLS"" \$c[\"status\"] == \"held\" { print \$c[\"reason\"] }" \
	    pay/days/2026-11-18/state/payments/ledger/held.tsv | sort -u >actual &&
	printf "bad-iban\nno-account\nno-iban\n" >expect &&
	test_cmp expect actual &&
	awk -F"\t" "$COLS"" \$c[\"status\"] == \"held\" { print \$c[\"reason\"] }" \
	    pay/days/2026-11-23/state/payments/ledger/held.tsv | sort -u >actual &&
	printf "bad-iban\nno-iban\n" >expect &&
	test_cmp expect actual &&
	for d in 2026-11-19 2026-11-20; do
		awk -F"\t" "\$1 == \"pay_released\" && \$2 > 10 { ok = 1 } END { exit !ok }" \
		    gen/truth/$d/truth.tsv || exit 1
	done &&
	awk -F"\t" "\$1 == \"pay_released\" && \$2 == 0 { ok = 1 } END { exit !ok }" \
	    gen/truth/2026-11-23/truth.tsv
'

# The ledger a directory: the lines held, a segment a day of the lines
# paid that day, written once and hard-linked into the next generations.
test_expect_success 'the ledger: held.tsv, a segment a day, linked from one generation to the next' '
	prev= &&
	for d in $(cat days); do
		l=pay/days/$d/state/payments/ledger &&
		test "$(test_mode $l/held.tsv)" = -rw------- &&
		awk -F"\t" "$COLS"" \$c[\"status\"] != \"held\" { exit 1 }" $l/held.tsv &&
		for f in $l/paid-*.tsv; do
			s=${f##*/paid-} && s=${s%.tsv} &&
			awk -F"\t" -v s=$s "$COLS"" \$c[\"paid\"] != s || \$c[\"status\"] == \"held\" { exit 1 }" $f ||
			    { echo "$f"; exit 1; }
		done &&
		if test -n "$prev"; then
			for f in pay/days/$prev/state/payments/ledger/paid-*.tsv; do
				test "$(ls -i $f | cut -d" " -f1)" = "$(ls -i $l/${f##*/} | cut -d" " -f1)" ||
				    { echo "$f not linked"; exit 1; }
			done
		fi &&
		prev=$d || exit 1
	done
'

# Run again, the last day pays nothing twice: the same bytes.
test_expect_success 'a rerun of the last day: the same payments' '
	cp -R pay/days/2026-11-23/out/payments before &&
	tiers-nightly 2026-11-23 pay >/dev/null 2>&1 &&
	diff -r before pay/days/2026-11-23/out/payments
'

# A data directory whose last day kept the ledger in its first form, one
# file (before it was a directory): the next day reads it as the
# directory it would be, and pays and holds the same lines.
test_expect_success 'the day after a ledger of the first form, one file: the same payments' '
	cp -R pay old &&
	rm -rf old/days/2026-11-23 &&
	l=old/days/2026-11-20/state/payments/ledger &&
	{
		head -n 1 $l/held.tsv &&
		printf "#business_date\t2026-11-20\n" &&
		cat $l/held.tsv $l/paid-*.tsv | grep -v "^#" | LC_ALL=C sort -t "	" -k1,1 -k2,2
	} | tiers-seal -r -o old/days/2026-11-20/state/payments/ledger.tsv &&
	rm -rf $l &&
	tiers-nightly 2026-11-23 old >/dev/null 2>&1 &&
	diff -r pay/days/2026-11-23/out/payments old/days/2026-11-23/out/payments &&
	diff -r pay/days/2026-11-23/state/payments old/days/2026-11-23/state/payments
'

test_done
