#!/bin/sh
test_description='tiers-nightly: the indus stage over a world with -A indus, against the truth'
. "$(dirname "$0")/test-lib.sh"

COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'

# A world of four business days (Wednesday to Monday) whose parameters
# of the first day give the first client a PS delay of one day, the
# second of three, and the third, the last, no row; half the clients
# allow compensation.  Cancellations of lines paid are frequent, claims
# of radiated beneficiaries too: those of a radiation sent late are paid
# until it is corrected.  A quarter of the cancellations of a line of an
# earlier day are AMO rejects (LQ19); from the second day the PS pay
# back some items, whole or half, in a recoveries file of their client.
# Half the beneficiaries radiated in time keep their card past the run:
# their acts after the end are paid to the PS and owed by them (LQ03);
# the beneficiaries pay back some of their items as the PS do, through
# the same files.
test_expect_success 'setup: a world with -A indus, four days through the nightly' '
	tiers-gen -s 13 -d 4 -D 2026-11-18 -n 1500 -b 400 -p 60 \
	    -A cancel=400 -A closed=1000 -A indus=5000 -o gen >/dev/null &&
	ls gen/2026-11-18/indus-params.tsv &&
	! ls gen/2026-11-19/indus-params* gen/2026-11-23/indus-params* 2>/dev/null &&
	nightly_world gen ind &&
	ls ind/days >days &&
	test $(wc -l <days) -eq 4
'

test_expect_success 'the parameters: two clients of three, PS delays 1 and 3 days, beneficiary 30 and 2' '
	grep -v "^#" gen/2026-11-18/indus-params.tsv | cut -f3,4 >actual &&
	printf "1\t30\n3\t2\n" >expect &&
	test_cmp expect actual &&
	cmp gen/2026-11-18/indus-params.tsv ind/days/2026-11-23/state/indus/params.tsv
'

# indus_rows NIGHTLY GEN: the truth's indus_ rows against the stage's
# rows of each day's summary, a row the summary leaves out counting
# nothing.
indus_rows () {
	for d in $(ls $1/days); do
		awk -F"\t" '
			$1 == "indus" { n[$2 "_" $3] = $4; a[$2 "_" $3] = $5 }
			END {
				split("new_ps new_benef retro_benef offset_ps recovered_ps recovered_benef " \
				    "transferred_ps transferred_benef open_ps open_benef", k, " ")
				for (i = 1; i <= 10; i++)
					printf "indus_%s\t%d\t%s\n", k[i], n[k[i]],
					    k[i] in a ? a[k[i]] : "0.00"
			}' $1/days/$d/summary.tsv >actual.$d &&
		grep "^indus_" $2/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || return 1
	done
}

test_expect_success 'new, transferred and open, per debtor: the summary is the truth' '
	indus_rows ind gen &&
	awk -F"\t" "\$1 == \"indus_transferred_ps\" && \$2 > 0 { ok = 1 } END { exit !ok }" \
	    gen/truth/2026-11-23/truth.tsv
'

# client_rows NIGHTLY GEN: each day, what the clients' files
# (out/indus/clients/CLIENT.tsv) list, the beneficiaries' new items and
# the items transferred per debtor, in count and amount, over the
# clients, against the truth; per client, against the day's report; and
# a file only for a client with rows.
client_rows () {
	for d in $(ls $1/days); do
		o=$1/days/$d/out/indus &&
		test -d $o/clients &&
		ls $o/clients >files.$d &&
		for f in $(cat files.$d); do
			tiers-seal -q $o/clients/$f &&
			test "$(test_mode $o/clients/$f)" = -rw------- || return 1
		done &&
		cat /dev/null $(sed "s|^|$o/clients/|" files.$d) | awk -F"\t" "$COLS"'
			{
				if ($c["event"] == "new" && $c["debtor"] == "benef") {
					k = "new_benef"; v = $c["amount_eur"]
				} else if ($c["event"] == "transferred") {
					k = "transferred_" $c["debtor"]; v = $c["transferred_eur"]
				} else {
					print "a row neither new of a beneficiary nor transferred"; next
				}
				sub(/\./, "", v); n[k]++; a[k] += v
			}
			END {
				split("new_benef transferred_ps transferred_benef", w, " ")
				for (i = 1; i <= 3; i++)
					printf "indus_%s\t%d\t%.2f\n", w[i], n[w[i]], a[w[i]] / 100
			}' >actual.$d &&
		grep "^indus_new_benef	\|^indus_transferred_" $2/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d &&
		awk -F"\t" "$COLS"'
			FILENAME ~ /report.tsv$/ {
				a = $c["amc"]
				if ($c["debtor"] == "benef" && $c["new"] > 0)
					r[a] = r[a] " new " $c["new"] " " $c["new_eur"]
				if ($c["transferred_eur"] != "0.00")
					r[a] = r[a] " transferred_" $c["debtor"] " " $c["transferred_eur"]
				next
			}
			{
				a = $c["amc"]
				if ($c["event"] == "new") {
					k = a " new"; v = $c["amount_eur"]; n[k]++
				} else {
					k = a " transferred_" $c["debtor"]; v = $c["transferred_eur"]
				}
				sub(/\./, "", v); s[k] += v; seen[a] = 1
			}
			END {
				for (a in r) print a r[a]
				for (a in seen) {
					t = a
					if ((a " new") in s)
						t = t sprintf(" new %d %.2f", n[a " new"], s[a " new"] / 100)
					if ((a " transferred_benef") in s)
						t = t sprintf(" transferred_benef %.2f", s[a " transferred_benef"] / 100)
					if ((a " transferred_ps") in s)
						t = t sprintf(" transferred_ps %.2f", s[a " transferred_ps"] / 100)
					print t
				}
			}' $o/report.tsv $(sed "s|^|$o/clients/|" files.$d) | sort >both.$d &&
		awk "{ n[\$0]++ } END { for (l in n) if (n[l] != 2) { print \"not twice: \" l; bad = 1 }; exit bad }" \
		    both.$d &&
		cut -d" " -f1 both.$d | uniq | sed "s/\$/.tsv/" >expect.$d &&
		test_cmp expect.$d files.$d || return 1
	done
}

test_expect_success 'the clients'"'"' files: the beneficiaries'"'"' new items and the transfers are the truth, per client the report' '
	client_rows ind gen &&
	cat ind/days/*/out/indus/clients/*.tsv >all &&
	grep -q "	new	benef	" all &&
	grep -q "	transferred	ps	" all &&
	grep -q "	transferred	benef	" all &&
	grep -q "	retro	" all &&
	grep -q "	LQ03	" all
'

test_expect_success 'the clients'"'"' files: a row dropped from one, the check above fails' '
	for d in $(cat days); do
		mkdir -p mut/days/$d/out && cp -R ind/days/$d/out/indus mut/days/$d/out/ || exit 1
	done &&
	client_rows mut gen &&
	f=$(ls mut/days/*/out/indus/clients/*.tsv | tail -n 1) &&
	awk "/^#/ { print; next } !dropped { dropped = 1; next } { print }" $f |
	    tiers-seal -r -o $f.new && mv $f.new $f &&
	! client_rows mut gen
'

# The new items are the day'"'"'s cancellations and AMO rejects that
# recover; what the ledger holds open, the truth'"'"'s open balance.
test_expect_success 'the new items are the cancellations and rejects (LQ16, LQ19); the ledger holds the open balance' '
	for d in $(cat days); do
		awk -F"\t" "\$1 ~ /^liq_LQ1[69]\$/ { v = \$3; sub(/^-/, \"\", v); sub(/\\./, \"\", v); n += \$2; a += v }
			\$1 == \"indus_new_ps\" { print \$2, \$3 }
			END { printf \"%d %.2f\\n\", n, a / 100 }" \
		    gen/truth/$d/truth.tsv >lq16 &&
		test $(uniq lq16 | wc -l) -eq 1 &&
		awk -F"\t" "$COLS"" \$c[\"status\"] ~ /^(open|partly-)/ {
			v = \$c[\"left_eur\"]; sub(/\\./, \"\", v); n[\$c[\"debtor\"]]++; a[\$c[\"debtor\"]] += v
		}
		END {
			printf \"indus_open_ps\t%d\t%.2f\nindus_open_benef\t%d\t%.2f\n\",
			    n[\"ps\"], a[\"ps\"] / 100, n[\"benef\"], a[\"benef\"] / 100
		}" ind/days/$d/state/indus/ledger.tsv >actual.$d &&
		grep "^indus_open" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# The AMO rejects of a line paid on an earlier day (NOEMIE nature J):
# liquidate recovers them from the PS (LQ19), each a PS item; those of a
# line paid no more are LQ13.
test_expect_success 'the AMO rejects: LQ13 and LQ19 are the truth, each LQ19 a PS item' '
	for d in $(cat days); do
		awk -F"\t" "$COLS"" \$c[\"code\"] ~ /^LQ1[39]\$/ {
			v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); n[\$c[\"code\"]]++; a[\$c[\"code\"]] += v
		}
		END {
			printf \"liq_LQ13\t%d\t%.2f\nliq_LQ19\t%d\t%.2f\n\",
			    n[\"LQ13\"], a[\"LQ13\"] / 100, n[\"LQ19\"], a[\"LQ19\"] / 100
		}" ind/days/$d/out/outcomes.tsv | sed "s/\t-0.00\$/\t0.00/" >actual.$d &&
		grep "^liq_LQ1[39]	" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d &&
		awk -F"\t" "$COLS"" \$c[\"origin\"] == \"LQ19\" && \$c[\"opened\"] == \"$d\" { n++ }
		END { print n + 0 }" ind/days/$d/state/indus/ledger.tsv >actual.$d &&
		grep "^liq_LQ19	" gen/truth/$d/truth.tsv | cut -f2 >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done &&
	grep -h "^liq_LQ19	[1-9]" gen/truth/*/truth.tsv >lq19 &&
	test $(wc -l <lq19) -ge 2
'

# The recoveries the PS and the beneficiaries send, from the second day:
# the files of the inbox are the truth'"'"'s, per debtor (the item'"'"'s in
# the day'"'"'s ledger), the ledger has items of both paid back in part and
# whole, and none of the first day.
test_expect_success 'the recoveries: the files are the truth, per debtor, items recovered whole and in part' '
	! ls gen/2026-11-18/indus-recoveries* 2>/dev/null &&
	for d in $(cat days | sed 1d); do
		cat gen/$d/indus-recoveries-*.tsv >rec.$d &&
		awk -F"\t" "
			/^#tiers\tindus\t/ { for (i = 4; i <= NF; i++) lc[\$i] = i - 3; next }
			/^#tiers\tindus-recovery\t/ { for (i = 4; i <= NF; i++) rc[\$i] = i - 3; next }
			/^#/ { next }
			FILENAME == ARGV[1] { db[\$lc[\"amc\"] \" \" \$lc[\"item\"]] = \$lc[\"debtor\"]; next }
			{
				k = db[\$rc[\"amc\"] \" \" \$rc[\"item\"]]
				if (k == \"\") k = \"none\"
				v = \$rc[\"recovered_eur\"]; sub(/\\./, \"\", v); n[k]++; a[k] += v
			}
			END {
				printf \"indus_recovered_ps\t%d\t%.2f\n\", n[\"ps\"], a[\"ps\"] / 100
				printf \"indus_recovered_benef\t%d\t%.2f\n\", n[\"benef\"], a[\"benef\"] / 100
				if (n[\"none\"]) print \"not in the ledger: \" n[\"none\"]
			}" ind/days/$d/state/indus/ledger.tsv rec.$d >actual.$d &&
		grep "^indus_recovered_" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done &&
	awk -F"\t" "$COLS"" { print \$c[\"debtor\"], \$c[\"status\"] }" ind/days/*/state/indus/ledger.tsv |
	    sort -u >statuses &&
	grep -x "ps recovered" statuses &&
	grep -x "ps partly-recovered" statuses &&
	grep -x "benef recovered" statuses &&
	grep -x "benef partly-recovered" statuses &&
	grep -h "^indus_recovered_benef	[1-9]" gen/truth/*/truth.tsv >recb &&
	test $(wc -l <recb) -ge 2
'

# Each client'"'"'s items go when its delay says, in calendar days: the
# first client'"'"'s the next business day, the second'"'"'s three days on
# or after, the last'"'"'s, without parameters, never.  The beneficiaries'"'"'
# items: the second client'"'"'s two days on or after, none of the
# others'"'"' within the run.
test_expect_success 'transferred after each client'"'"'s delay, the last client never' '
	amcs=$(grep -v "^#" gen/2026-11-18/indus-params.tsv | cut -f1) &&
	set -- $amcs &&
	for d in $(cat days); do
		awk -F"\t" -v a2=$2 "$COLS"" \$c[\"debtor\"] == \"benef\" {
			a = \$c[\"amc\"]
			if (\$c[\"status\"] == \"transferred\") {
				if (a != a2 || \$c[\"age\"] < 2) { print; bad = 1 }
			} else if (\$c[\"status\"] ~ /^(open|partly-)/ && a == a2 && \$c[\"age\"] >= 2) {
				print; bad = 1
			}
		}
		END { exit bad }" ind/days/$d/state/indus/ledger.tsv &&
		awk -F"\t" -v a1=$1 -v a2=$2 "$COLS"" \$c[\"debtor\"] == \"ps\" {
			a = \$c[\"amc\"]
			if (\$c[\"status\"] == \"transferred\") {
				if (a == a1 && \$c[\"age\"] < 1 || a == a2 && \$c[\"age\"] < 3 ||
				    a != a1 && a != a2) { print; bad = 1 }
			} else if (\$c[\"status\"] ~ /^(open|partly-)/ &&
			    (a == a1 && \$c[\"age\"] >= 1 || a == a2 && \$c[\"age\"] >= 3)) {
				print; bad = 1
			}
		}
		END { exit bad }" ind/days/$d/state/indus/ledger.tsv || exit 1
	done &&
	grep -h "^indus_transferred_benef	[1-9]" gen/truth/*/truth.tsv >trb &&
	test $(wc -l <trb) -ge 1
'

# Without -A pay no PS is paid (no paying account): nothing is offset,
# even for the clients that allow it, and nothing withdrawn (no
# cancellation nor AMO reject comes on a line paid to a beneficiary's
# account).  The radiations sent late are corrected on the second day
# and after: the lines paid in between for the acts they take away are
# the beneficiaries' to pay back (retro); the other beneficiary items
# are the cards kept (LQ03).
test_expect_success 'no offset; the items of the beneficiaries are the retroactive radiations and the cards kept' '
	! grep "^indus	\(offset\|withdrawn\)	" ind/days/*/summary.tsv &&
	grep "^indus	retro	benef	" ind/days/*/summary.tsv >retro &&
	test $(wc -l <retro) -ge 2 &&
	grep -h "movements.*retroactive" ind/days/*/log/indus.err >retro &&
	awk "\$7 > 0 && \$11 > 0 && \$11 == \$17 { n++ } END { exit n < 2 }" retro &&
	awk -F"\t" "$COLS"" \$c[\"debtor\"] == \"benef\" && \$c[\"origin\"] != \"retro\" &&
	    \$c[\"origin\"] != \"LQ03\"" ind/days/*/state/indus/ledger.tsv >notretro &&
	test_must_be_empty notretro
'

# The cards kept: liquidate pays the PS for the acts after the rights'
# end (LQ03, outcome paid), the others after it are not covered (LQ02),
# as the truth says of the day's own lines; each LQ03 opens an item of
# its beneficiary the day it is paid, named by its claim, of its AMC.
test_expect_success 'the cards kept: LQ02 and LQ03 are the truth, LQ03 paid, each a beneficiary item' '
	for d in $(cat days); do
		awk -F"\t" "$COLS"" \$c[\"code\"] ~ /^LQ0[23]\$/ && \$c[\"presented\"] == 1 {
			v = \$c[\"amc_eur\"]; sub(/\\./, \"\", v); n[\$c[\"code\"]]++; a[\$c[\"code\"]] += v
			if (\$c[\"code\"] == \"LQ03\" && \$c[\"outcome\"] != \"paid\" &&
			    \$c[\"outcome\"] != \"paid-report\") bad++
		}
		END {
			printf \"liq_LQ02\t%d\t%.2f\nliq_LQ03\t%d\t%.2f\n\",
			    n[\"LQ02\"], a[\"LQ02\"] / 100, n[\"LQ03\"], a[\"LQ03\"] / 100
			if (bad) print \"LQ03 not paid: \" bad
		}" ind/days/$d/out/outcomes.tsv >actual.$d &&
		grep "^liq_LQ0[23]	" gen/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d &&
		awk -F"\t" "$COLS"" \$c[\"code\"] == \"LQ03\" {
			print \$c[\"amc\"], \$c[\"claim\"], \$c[\"amc_eur\"]
		}" ind/days/$d/out/outcomes.tsv | sort >lq03.$d &&
		awk -F"\t" "$COLS"" \$c[\"debtor\"] == \"benef\" && \$c[\"origin\"] == \"LQ03\" &&
		    \$c[\"opened\"] == \"$d\" && \$c[\"line\"] == \$c[\"item\"] {
			print \$c[\"amc\"], \$c[\"item\"], \$c[\"amount_eur\"]
		}" ind/days/$d/state/indus/ledger.tsv | sort >items.$d &&
		test_cmp lq03.$d items.$d || exit 1
	done &&
	grep -h "^liq_LQ03	[1-9]" gen/truth/*/truth.tsv >lq03 &&
	test $(wc -l <lq03) -ge 2
'

# With -A pay the PS are paid: the items of the clients that allow
# compensation are offset against their payments, what payment-edit
# offsets one day coming off the items the next.
test_expect_success 'setup: the same world with -A pay, through the nightly' '
	tiers-gen -s 13 -d 4 -D 2026-11-18 -n 1500 -b 400 -p 60 \
	    -A cancel=400 -A closed=1000 -A indus=5000 -A pay=2000 -o genp >/dev/null &&
	nightly_world genp indp
'

test_expect_success 'with payments: new, offset, transferred and open, the summary is the truth' '
	indus_rows indp genp &&
	client_rows indp genp &&
	awk -F"\t" "\$1 == \"indus_offset_ps\" && \$2 > 0 { n++ } END { exit n < 3 }" \
	    genp/truth/*/truth.tsv
'

# What the payments offset, and the transfers net of it.
test_expect_success 'with payments: the offsets and the transfers, the summary is the truth' '
	for d in $(ls indp/days); do
		awk -F"\t" "
			\$1 == \"payment\" && \$3 ~ /^(transfers|indus-offset)\$/ {
				v = \$5; sub(/\\./, \"\", v); n[\$3] += \$4; a[\$3] += v
			}
			END {
				printf \"pay_transfers\t%d\t%.2f\n\", n[\"transfers\"], a[\"transfers\"] / 100
				printf \"pay_offset\t%d\t%.2f\n\", n[\"indus-offset\"], a[\"indus-offset\"] / 100
			}" indp/days/$d/summary.tsv >actual.$d &&
		grep "^pay_transfers\|^pay_offset" genp/truth/$d/truth.tsv >expect.$d &&
		test_cmp expect.$d actual.$d || exit 1
	done
'

# The example of tiers-gen(1).
test_expect_success 'the example of tiers-gen(1): ten indus_ rows a day' '
	tiers-gen -s 13 -d 4 -n 1500 -b 400 -p 60 -A cancel=400 -A indus=5000 -D 2026-11-18 -o ex >/dev/null &&
	grep "^indus_" ex/truth/*/truth.tsv >rows &&
	test $(wc -l <rows) -eq 40
'

test_done
