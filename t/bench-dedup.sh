#!/bin/sh
# make bench, duplicates: BENCH_DEDUP_DAYS days (default 5) of
# BENCH_CLAIMS claim lines (default 1 000 000) make the history, and the
# ledger of paid lines; the last day is then checked against each, beside
# awk '!seen[key]++' over the same key fields of every day (the baseline
# that gives the same verdicts).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
n=${BENCH_CLAIMS:-1000000}
days=${BENCH_DEDUP_DAYS:-5}
work=${TMPDIR:-/tmp}/tiers-bench-dedup.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
tiers-gen -n "$n" -b 200000 -p 5000 -d "$days" -D 2026-11-02 -o "$work/g"
prev=
for d in $(cd "$work/g" && ls -d ????-??-??); do
	noemie-decode -o "$work/c.$d" "$work/g/$d"/*.580 "$work/g/$d"/*.b2 2>/dev/null
	last=$d
done
for d in $(cd "$work/g" && ls -d ????-??-??); do
	test "$d" = "$last" && break
	dedup -d "$d" ${prev:+-h "$work/h.$prev"} -H "$work/h.$d" -o "$work/o.$d" "$work/c.$d" 2>/dev/null
	# Only the history is needed from the days before: the outputs go
	# (as a nightly run's would to its archive), their memory with them.
	rm -f "$work/o.$d"
	prev=$d
done
# The ledger of paid lines over the same days, as the nightly builds it
# (dedup -l, then dedup -B after liquidate): here every claim judged
# first is taken as paid 1.00 to the PS (a decision stream made by awk,
# not liquidate, whose masters this bench does not have), so that the
# ledger holds as many lines as the history holds keys.
prevl=
for d in $(cd "$work/g" && ls -d ????-??-??); do
	test "$d" = "$last" && break
	dedup -l -d "$d" ${prevl:+-h "$work/l.$prevl"} -o "$work/o.$d" "$work/c.$d" 2>/dev/null
	awk -F'\t' -v OFS='\t' '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3
		print "#tiers", "decision", 1, "claim", "dest", "amc_eur"; next }
	/^#/ { next }
	{ print $c["dup_id"], $c["dup"] == "first" ? "ps" : "reject", $c["dup"] == "first" ? "1.00" : "0.00" }
	' "$work/o.$d" | tiers-seal -r -o "$work/dec.$d"
	dedup -B -d "$d" ${prevl:+-h "$work/l.$prevl"} -D "$work/dec.$d" -H "$work/l.$d" "$work/o.$d" 2>/dev/null
	rm -f "$work/o.$d" "$work/dec.$d"
	prevl=$d
done
rm -rf "$work/g"
lrecs=$(awk -F'\t' '!/^#/ { s += $2 } END { print s }' "$work/l.$prevl/manifest.tsv")
keys=$(cat "$work/h.$prev/manifest.tsv" | awk -F'\t' '!/^#/ { s += $2 } END { print s }')
# Seconds of wall clock and of processor (user + system, all threads).
printf "%-34s %12s %10s %10s %12s %10s\n" run claims seconds cpu-s claims/s peakMiB
run () {
	label=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
	    { cat "$work/err" >&2; exit 1; }
	read -r secs kb usr sys <"$work/time"
	echo "$secs" >>"$work/secs"
	awk -v l="$label" -v r="$n" -v s="$secs" -v k="$kb" -v u="$usr" -v y="$sys" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %10.2f %10.2f %12.0f %10.1f\n", l, r, s, u + y, r / s, k / 1024 }'
}
run "dedup (history of $keys keys)" dedup -d "$last" -h "$work/h.$prev" -H "$work/h.$last" \
    -o "$work/o.$last" "$work/c.$last"
# The same with every history record's CRC checked (-V), as the nightly
# runs it; then its output and history go, for the baseline.
rm -rf "$work/o.$last" "$work/h.$last"
run "dedup -V (history CRCs checked)" dedup -V -d "$last" -h "$work/h.$prev" -H "$work/h.$last" \
    -o "$work/o.$last" "$work/c.$last"
# Against the ledger of paid lines, as the nightly runs it (-l -V), and
# without the CRCs.
run "dedup -l (ledger, $lrecs records)" dedup -l -d "$last" -h "$work/l.$prevl" \
    -o "$work/o.$last" "$work/c.$last"
rm -f "$work/o.$last"
run "dedup -l -V (ledger CRCs checked)" dedup -l -V -d "$last" -h "$work/l.$prevl" \
    -o "$work/o.$last" "$work/c.$last"
rm -f "$work/o.$last"
# The same verdicts from awk: every day's claims, the key fields joined.
run "awk '!seen[key]++' (baseline)" sh -c '
	for f in "$@"; do grep -v "^#" "$f"; done |
	awk -F"\t" "\$36 == \"paid\" { k = \$10 \"|\" \$11 \"|\" \$12 \"|\" \$15 \"|\" \$17 \"|\" \$19 \"|\" \$20 \"|\" \$25 \"|\" \$28 \"|\" \$24 \"|\" \$14 \"|\" \$13; if (seen[k]++) d++ } END { print d + 0 }"
' sh $(ls "$work"/c.* | sort)
awk '{ s[NR] = $1 < 0.01 ? 0.01 : $1 } END {
	printf "dedup %.1f times as fast as awk (with -V: %.1f)\n", s[5] / s[1], s[5] / s[2]
	printf "dedup -l %.1f times as fast as awk (with -V: %.1f)\n", s[5] / s[3], s[5] / s[4] }' "$work/secs"
