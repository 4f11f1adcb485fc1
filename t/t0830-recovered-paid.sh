#!/bin/sh
test_description='generated days through the nightly: never more recovered on a line than paid'
. "$(dirname "$0")/test-lib.sh"

# Sigma recovered <= Sigma paid for every line identity, worked out here
# from the day's streams, not by liquidate: each claim's line is its own
# dup_id for a payment, its dup_ref (dedup's link) for an adjustment; a
# decision ps or ps-recover pays its amc_eur on that line, recover-ps
# recovers its opposite.  Every other decision has an amount of 0.
cat >prop.awk <<'EOA'
/^#tiers\t/ { delete c; for (i = 4; i <= NF; i++) c[$i] = i - 3; f++; next }
/^#/ { next }
f % 2 == 1 { line[$c["dup_id"]] = $c["nature"] == "paid" ? $c["dup_id"] : $c["dup_ref"]; next }
{
	v = $c["amc_eur"]; neg = v ~ /^-/; sub(/^-/, "", v); sub(/\./, "", v); v += 0
	if (neg) v = -v
	l = line[$c["claim"]]
	if ($c["dest"] == "ps" || $c["dest"] == "ps-recover") { paid[l] += v; np++ }
	else if ($c["dest"] == "recover-ps") {
		if (l == "") { print "recovered on no line:", $c["claim"]; bad++ }
		rec[l] -= v; nr++
	} else if (v != 0) { print "neither paid nor recovered, an amount:", $c["claim"]; bad++ }
}
END {
	for (l in rec)
		if (rec[l] > paid[l]) { print l ": recovered", rec[l], "paid", paid[l]; bad++ }
	print np, nr
	exit bad > 0
}
EOA

test_expect_success 'setup: four generated days with cancellations, through the nightly' '
	tiers-gen -s 11 -d 4 -n 1500 -b 600 -p 60 -A cancel=800 -A dupinter=200 \
	    -D 2026-11-18 -o g >/dev/null &&
	mkdir -p data/inbox &&
	cp -R g/2026-* data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	for d in 2026-11-19 2026-11-20 2026-11-23; do
		tiers-nightly $d data >/dev/null 2>&1 || exit 1
	done
'

test_expect_success 'every line: recovered <= paid, over the four days' '
	args= &&
	for d in 2026-11-18 2026-11-19 2026-11-20 2026-11-23; do
		args="$args data/days/$d/out/claims.tsv data/days/$d/out/decisions.tsv"
	done &&
	awk -F"\t" -f prop.awk $args >counts &&
	read np nr <counts &&
	test "$np" -gt 1000 && test "$nr" -gt 100
'

test_expect_success 'the check finds a line recovered twice' '
	d=data/days/2026-11-23 &&
	awk "/^#/ { print; next } /recover-ps/ && !done { print; done = 1 } { print }" \
	    $d/out/decisions.tsv >dec.twice &&
	test $(grep -c recover-ps dec.twice) -gt $(grep -c recover-ps $d/out/decisions.tsv) &&
	args= &&
	for p in 2026-11-18 2026-11-19 2026-11-20; do
		args="$args data/days/$p/out/claims.tsv data/days/$p/out/decisions.tsv"
	done &&
	! awk -F"\t" -f prop.awk $args $d/out/claims.tsv dec.twice >out &&
	grep "recovered" out
'

test_done
