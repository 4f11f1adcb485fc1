#!/bin/sh
# make bench: throughput and peak memory of each stage beside a baseline
# run on the same input in the same run.  A benchmark, not a test: it
# prints numbers, it does not judge them.  Sizes: BENCH_CLAIMS (default
# 1000000 claim lines).  Results: bench-results/<commit>.txt.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
n=${BENCH_CLAIMS:-1000000}
work=${TMPDIR:-/tmp}/tiers-bench.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" "$top/bench-results"
rev=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo tree)
out=$top/bench-results/$rev.txt

# measure LABEL RECORDS BYTES BASELINE-OF command...: one table row.
measure () {
	label=$1 recs=$2 bytes=$3 base=$4
	shift 4
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
	read -r secs kb <"$work/time"
	awk -v l="$label" -v r="$recs" -v b="$bytes" -v s="$secs" -v k="$kb" -v base="$base" '
	    BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %14.0f %10.1f %10.1f  %s\n", l, r, r / s, b / s / 1e6, k / 1024, base
	    }'
}

{
echo "tiers bench $rev: $n claim lines, $(nproc) cores"
printf "%-34s %12s %14s %10s %10s  %s\n" stage records records/s MB/s peakMiB baseline-of
measure "tiers-gen (whole day, 200k benef)" "$n" 0 "" \
    tiers-gen -n "$n" -b 200000 -p 5000 -d 1 -D 2026-11-18 -o "$work/g"
acts=$(ls "$work"/g/truth/*/acts.tsv)
bytes=$(wc -c <"$acts")
gzip -1 -c "$acts" >"$work/acts.tsv.gz"
gzbytes=$(wc -c <"$work/acts.tsv.gz")
measure "cat (baseline)" "$n" "$bytes" "read" cat "$acts"
measure "tiers-seal (verify)" "$n" "$bytes" "cat" tiers-seal -q "$acts"
measure "tiers-seal -r (pass-through)" "$n" "$bytes" "cat" tiers-seal -r "$acts"
measure "awk -F'\\t' (baseline)" "$n" "$bytes" "verify" awk -F'\t' '{ n += NF } END { print n }' "$acts"
measure "zcat (baseline)" "$n" "$bytes" "read gz" zcat "$work/acts.tsv.gz"
measure "tiers-seal (verify gz)" "$n" "$bytes" "zcat" tiers-seal -q "$work/acts.tsv.gz"
# noemie-decode: the day's NOEMIE and B2 files, plain and gzip, beside
# cat and zcat of the same files.  "-o file" publishes with fsync; "> file"
# does not; "pipe" holds each file's records in a spool (64 MiB in
# memory, then on disk) until the file is known good.
day=$(ls -d "$work"/g/????-??-??)
flows=$(ls "$day"/*.580 "$day"/*.b2)
fbytes=$(cat $flows | wc -c)
mkdir -p "$work/gzf"
for f in $flows; do
	gzip -1 -c "$f" >"$work/gzf/${f##*/}.gz"
done
gzflows=$(ls "$work"/gzf/*.gz)
measure "cat flows (baseline)" "$n" "$fbytes" "read" cat $flows
measure "noemie-decode (plain, -o file)" "$n" "$fbytes" "cat flows" \
    noemie-decode -o "$work/claims.tsv" $flows
measure "noemie-decode (plain, > file)" "$n" "$fbytes" "cat flows" \
    sh -c 'noemie-decode "$@" >"$0"' "$work/claims.tsv" $flows
measure "noemie-decode (plain, pipe)" "$n" "$fbytes" "cat flows" \
    noemie-decode $flows
measure "zcat flows (baseline)" "$n" "$fbytes" "read gz" zcat $gzflows
measure "noemie-decode (gzip, -o file)" "$n" "$fbytes" "zcat flows" \
    noemie-decode -o "$work/claims.tsv" $gzflows
echo "input: $bytes bytes plain, $gzbytes gzip; flows $fbytes bytes"
} | tee "$out"
# part NAME: t/bench-NAME.sh, its rows printed and kept once it is done;
# a part that fails stops the bench (a pipe into tee hid it: the night
# once printed its baseline row and nothing else, on a full disk).
part () {
	rc=0
	sh "$top/t/bench-$1.sh" >"$work/part" || rc=$?
	tee -a "$out" <"$work/part"
	if test $rc != 0; then
		echo "bench: t/bench-$1.sh exited $rc" | tee -a "$out" >&2
		exit 1
	fi
}
echo "benef-integrate: a master of ${BENCH_MASTER:-5000000} updated with ${BENCH_MOVES:-100000} entries" | tee -a "$out"
part benef
echo "dedup: the last of ${BENCH_DEDUP_DAYS:-5} days of $n claims against the history of the others" | tee -a "$out"
part dedup
echo "liquidate: $n claims against a master of ${BENCH_MASTER:-5000000} beneficiaries (target 300 000 claims/s)" | tee -a "$out"
part liquidate
echo "indus-extract: the store of lines paid, ${BENCH_INDUS_DAYS:-3} days of ${BENCH_INDUS_LINES:-700000} lines paid, a segment a day" | tee -a "$out"
part indus
echo "the night: a generated day of $n claims through tiers-nightly, its stages' seconds" | tee -a "$out"
part nightly
echo "saved in $out"
