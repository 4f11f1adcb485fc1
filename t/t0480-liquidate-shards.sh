#!/bin/sh
test_description='liquidate -z and -J: shards by family, the same bytes as one run'
. "$(dirname "$0")/test-lib.sh"

# The state and outputs of a published day that liquidate makes or that
# depend on its decisions, compared between two runs of the nightly.
same_days () {
	for d in $(ls "$1/days"); do
		for f in out/decisions.tsv \
		    out/outcomes.tsv summary.tsv state/indus/ledger.tsv; do
			test -f "$1/days/$d/$f" || continue
			cmp "$1/days/$d/$f" "$2/days/$d/$f" || return 1
		done &&
		diff -r "$1/days/$d/state/pec" "$2/days/$d/state/pec" &&
		diff -r "$1/days/$d/state/consumption" "$2/days/$d/state/consumption" || return 1
	done
}

# A world whose families share plafonds (optics, anniversaries), with
# cancellations, radiations, unknown beneficiaries and indus: four days
# through the nightly in one run a day, then again in shards of at most
# 150 claims (several a day) under GNU parallel.
test_expect_success 'setup: a world of four days, one run a day and in shards' '
	tiers-gen -s 31 -d 4 -D 2026-11-18 -n 900 -b 300 -p 40 -A optics=3000 \
	    -A anniv=5000 -A cancel=400 -A closed=800 -A indus=5000 -o gen >/dev/null &&
	nightly_world gen one &&
	mkdir -p many/inbox && cp -R gen/2026-* many/inbox/ &&
	opt=-I &&
	for d in $(ls many/inbox); do
		TIERS_SHARD_CLAIMS=150 tiers-nightly $opt $d many >/dev/null 2>>err.many &&
		opt= || exit 1
	done &&
	test $(ls one/days | wc -l) -eq 4
'

test_expect_success 'the nightly ran shards: several a day, joined' '
	for d in $(ls many/days); do
		grep "^tiers-nightly: $d: liquidate: shard [0-9]*/[0-9]*: [0-9]* claims: " err.many >lines &&
		test $(wc -l <lines) -ge 3 || exit 1
	done
'

test_expect_success 'the shards give the bytes of one run: decisions, consumption, PEC, outcomes, summary, the day whole' '
	same_days one many &&
	cat one/days/2026-11-23/state/consumption/*.tsv | grep -c "" >n &&
	test $(cat n) -gt 20 &&
	for d in $(ls one/days); do
		cmp one/days/$d/MANIFEST many/days/$d/MANIFEST || exit 1
	done
'

# The PEC store of the day before read where it lies (mapped, the
# lines a claim needs parsed, its newest segments merged into the
# day's) or its segments read whole and checked too (-V): the same
# decisions and the same store, day by day of the nightly's chain of
# stores; and its single generation (-N), the bytes of a chain of
# single generations, which gives the same decisions.
test_expect_success 'the PEC store read where it lies or whole (-V): the same bytes, day by day' '
	prev= && n=0 &&
	for d in $(ls one/days); do
		set -- && ps= && pc= && pf= &&
		for m in one/days/$d/state/benef/*.master.tsv; do
			set -- "$@" -m "$m" -x "${m%.tsv}.idx"
		done &&
		for g in one/days/$d/state/guarantees/*; do set -- "$@" -g "$g"; done &&
		if test -n "$prev"; then
			set -- "$@" -c one/days/$prev/state/consumption &&
			ps="-p one/days/$prev/state/pec" && pc="-p chain.pec.$prev"
		fi &&
		for f in $(ls one/days/$d/in | grep "^pec"); do pf="$pf -p one/days/$d/in/$f"; done &&
		liquidate -d $d "$@" $ps $pf -Q lazy.pec.$d -S lazy.cons.$d -o lazy.dec.$d \
		    one/days/$d/out/claims.tsv 2>err &&
		liquidate -V -d $d "$@" $ps $pf -Q whole.pec.$d -S whole.cons.$d -o whole.dec.$d \
		    one/days/$d/out/claims.tsv 2>err &&
		liquidate -d $d "$@" $ps $pf -N gen.pec.$d -S gen.cons.$d -o gen.dec.$d \
		    one/days/$d/out/claims.tsv 2>err &&
		liquidate -d $d "$@" $pc $pf -N chain.pec.$d -S chain.cons.$d -o chain.dec.$d \
		    one/days/$d/out/claims.tsv 2>err &&
		cmp lazy.dec.$d whole.dec.$d && diff -r lazy.pec.$d whole.pec.$d &&
		cmp lazy.dec.$d gen.dec.$d && cmp lazy.dec.$d chain.dec.$d &&
		cmp gen.pec.$d chain.pec.$d &&
		diff -r lazy.pec.$d one/days/$d/state/pec &&
		diff -r lazy.cons.$d whole.cons.$d &&
		n=$((n + $(cat lazy.cons.$d/$d.tsv | grep -c "	pec:" || :))) &&
		prev=$d || return 1
	done &&
	test $n -gt 20 &&
	test $(cat one/days/2026-11-23/state/pec/* | grep -vc "^#") -gt 20
'

# Direct runs on the last day's inputs, as the nightly ran them.
d=2026-11-23
test_expect_success 'setup: the last day'"'"'s inputs, one run' '
	p=one/days/2026-11-20 &&
	set -- &&
	for m in one/days/$d/state/benef/*.master.tsv; do
		set -- "$@" -m "$m" -x "${m%.tsv}.idx"
	done &&
	for g in one/days/$d/state/guarantees/*; do set -- "$@" -g "$g"; done &&
	printf "%s\n" "$@" >args &&
	liquidate -d $d "$@" -c $p/state/consumption -S cons -o dec.tsv \
	    -s sum.tsv one/days/$d/out/claims.tsv 2>err &&
	grep "^liquidate: $d: " err
'

# shard N: the shards of N of the last day, in sh.N/.
shards () {
	rm -rf sh.$1 && mkdir sh.$1 &&
	k=0 &&
	while test $k -lt $1; do
		liquidate -z $k/$1 -r sh.$1/$k.lines.tsv -d $d $(cat args) \
		    -c one/days/2026-11-20/state/consumption -E sh.$1/$k.events.tsv \
		    -o sh.$1/$k.decisions.tsv -s sh.$1/$k.summary.tsv \
		    one/days/$d/out/claims.tsv 2>sh.$1/$k.err || return 1
		k=$((k + 1))
	done
}

for n in 1 2 5; do
	test_expect_success "$n shard(s) joined: the bytes of one run" '
		shards '$n' &&
		liquidate -J sh.'$n' -d $d -c one/days/2026-11-20/state/consumption \
		    -S sh.'$n'/cons -o sh.'$n'/dec.tsv \
		    -s sh.'$n'/sum.tsv one/days/$d/out/claims.tsv 2>err.j &&
		cmp dec.tsv sh.'$n'/dec.tsv &&
		diff -r cons sh.'$n'/cons &&
		cmp sum.tsv sh.'$n'/sum.tsv &&
		grep "^liquidate: $d: " err >a &&
		grep "^liquidate: $d: " err.j >b &&
		test_cmp a b
	'
done

test_expect_success 'each shard keeps only its families; the claims of no beneficiary are shard 0'"'"'s' '
	awk -F"\t" "/^#/ { next } \$27 == \"LQ01\" { print FILENAME }" sh.5/*.decisions.tsv |
	    sort -u >lq01 &&
	{ test ! -s lq01 || test "$(cat lq01)" = sh.5/0.decisions.tsv; } &&
	for k in 0 1 2 3 4; do
		grep -v "^#" sh.5/$k.decisions.tsv | cut -f5,6 | sort -u >fam.$k || exit 1
	done &&
	cat fam.[0-4] | grep -v "	$" | sort | uniq -d >twice &&
	test ! -s twice
'

test_expect_success 'a shard missing, or a decision dropped: the join refuses, nothing published' '
	mkdir bad && cp sh.2/[01].* bad/ && rm bad/1.decisions.tsv &&
	test_expect_code 65 liquidate -J bad -d $d -S bad/cons -o bad/dec.tsv \
	    one/days/$d/out/claims.tsv 2>err &&
	grep "no shard of bad has the decision of this claim" err &&
	test ! -f bad/dec.tsv && test ! -e bad/cons &&
	rm -rf bad && mkdir bad && cp sh.2/[01].* bad/ &&
	{ printf "#tiers\tshard-lines\t1\tline\n"; grep -v "^#" sh.2/0.lines.tsv | sed "\$d"; } |
	    tiers-seal -r -o bad/0.lines.tsv &&
	test_expect_code 65 liquidate -J bad -d $d -S bad/cons -o bad/dec.tsv \
	    one/days/$d/out/claims.tsv 2>err &&
	grep "another count of lines" err &&
	test ! -f bad/dec.tsv
'

# A cancellation of a line of the day whose own beneficiary is not found
# (shard 0's): one run decides it after every family, the line paid
# (LQ16); shard 0 does not hold the line, another shard does: it cannot
# know what one run would decide, and says so (75; the nightly then runs
# the day in one piece).
COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3 } '
test_expect_success 'a line of the day adjusted from another shard: exit 75, nothing written' '
	d1=2026-11-18 &&
	set -- &&
	for m in one/days/$d1/state/benef/*.master.tsv; do
		set -- "$@" -m "$m" -x "${m%.tsv}.idx"
	done &&
	for g in one/days/$d1/state/guarantees/*; do set -- "$@" -g "$g"; done &&
	awk -F"\t" "$COLS"" !/^#/ && \$c[\"nature\"] == \"cancel\" &&
	    \$c[\"dup_ref\"] ~ /^$d1#/ { print \$c[\"dup_id\"], \$c[\"dup_ref\"] }" \
	    one/days/$d1/out/claims.tsv >cancels &&
	liquidate -z 0/2 -r l0 -d $d1 "$@" -C c0 -o d0 one/days/$d1/out/claims.tsv 2>err &&
	grep -v "^#" d0 | cut -f1 >in0 &&
	while read -r id ref; do
		grep -qxF "$ref" in0 || { echo "$id"; break; }
	done <cancels >pick &&
	test -s pick &&
	awk -F"\t" -v OFS="\t" -v id="$(cat pick)" "$COLS"" \$c[\"dup_id\"] == id {
		\$c[\"nir\"] = \"1999999999999\"; \$c[\"benef_nir\"] = \"\"; \$c[\"adherent\"] = \"NOBODY\"
	} { print }" one/days/$d1/out/claims.tsv | tiers-seal -r -o claims.x &&
	liquidate -d $d1 "$@" -C cx -o dx claims.x 2>err &&
	grep "^$(cat pick)	" dx | cut -f27 >code &&
	echo LQ16 >expect && test_cmp expect code &&
	test_expect_code 75 liquidate -z 0/2 -r l -d $d1 "$@" -C c -o o claims.x 2>err &&
	grep "claim $(cat pick): adjusts line .*: the day cannot be sharded" err &&
	test ! -f o && test ! -f c && test ! -f l
'

test_expect_success 'a master without its index cannot be sharded; -z without -r, -J with -m: usage' '
	m=$(sed -n 2p args) &&
	test_expect_code 64 liquidate -z 0/2 -r l -d $d -m "$m" -C c -o o \
	    one/days/$d/out/claims.tsv 2>err &&
	grep "needs the index of every master" err &&
	test_expect_code 64 liquidate -z 0/2 -d $d $(cat args) -C c -o o \
	    one/days/$d/out/claims.tsv 2>err &&
	test_expect_code 64 liquidate -z 2/2 -r l -d $d $(cat args) -C c -o o \
	    one/days/$d/out/claims.tsv 2>err &&
	test_expect_code 64 liquidate -J sh.2 -d $d $(cat args) -C c -o o \
	    one/days/$d/out/claims.tsv 2>err &&
	test ! -f c && test ! -f o
'

test_done
