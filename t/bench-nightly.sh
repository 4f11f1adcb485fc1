#!/bin/sh
# make bench, the night: a generated business day of BENCH_CLAIMS claims
# (default 1 000 000) for BENCH_BENEF beneficiaries (default 200 000)
# through tiers-nightly, from empty state, beside zcat of the day's
# inputs gzipped (the floor of any reading of them).  The day runs twice
# and the second run counts (the first pays the VM's first touch of
# memory); its stage lines, with their seconds, are printed as the
# nightly gives them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
n=${BENCH_CLAIMS:-1000000}
nb=${BENCH_BENEF:-200000}
work=${TMPDIR:-/tmp}/tiers-bench-night.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

tiers-gen -n "$n" -b "$nb" -p 5000 -d 1 -D 2026-11-18 -o "$work/g" >/dev/null
mkdir -p "$work/data/inbox" "$work/gz"
cp -R "$work"/g/2026-11-18 "$work/data/inbox/"
for f in "$work"/g/2026-11-18/*; do
	gzip -1 -c "$f" >"$work/gz/${f##*/}.gz"
done
bytes=$(cat "$work"/g/2026-11-18/* | wc -c)

# row LABEL SECONDS PEAK-KiB: one table row.
row () {
	awk -v l="$1" -v s="$2" -v k="$3" -v n="$n" -v b="$bytes" -v z="${4:-}" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %14.0f %10.1f %10.1f  %s\n", l, n, n / s, b / s / 1e6, k / 1024,
		    z == "" ? "" : sprintf("%.1fx zcat", s / z)
	}'
}
/usr/bin/time -f '%e %M' -o "$work/time" sh -c 'zcat "$@" >/dev/null' sh "$work"/gz/*.gz
read -r zs zk <"$work/time"
row "zcat of the day's inputs (baseline)" "$zs" "$zk"
tiers-nightly -I 2026-11-18 "$work/data" >/dev/null 2>&1 || test $? = 1
/usr/bin/time -f '%e %M' -o "$work/time" tiers-nightly -I 2026-11-18 "$work/data" \
    >/dev/null 2>"$work/err" || test $? = 1
read -r secs kb <"$work/time"
row "tiers-nightly (whole day)" "$secs" "$kb" "$zs"
sed -n 's/^tiers-nightly: 2026-11-18: \([a-z]*\): .*(\([0-9.]*\) s)$/	\1	\2 s/p' "$work/err"
