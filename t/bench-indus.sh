#!/bin/sh
# make bench, indus-extract's store of lines paid: BENCH_INDUS_DAYS days
# (default 3) of BENCH_INDUS_LINES lines paid (default 700 000, a day at
# 90 million lines a year is about 360 000) for 200 000 beneficiaries,
# one day after the other in one month, each a segment of its own, the
# days before linked; beside the same days without the store (the
# baseline).  Then 1 000 beneficiaries radiated back over the month: the
# lookups alone, merged across the segments.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
n=${BENCH_INDUS_LINES:-700000}
days=${BENCH_INDUS_DAYS:-3}
work=${TMPDIR:-/tmp}/tiers-bench-indus.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cd "$work"

# gen DATE: claims c.DATE and decisions d.DATE, n lines paid to the PS.
gen () {
	awk -v d="$1" -v n="$n" -v OFS='\t' 'BEGIN {
		srand(substr(d, 9, 2) + 0)
		print "#tiers", "claim", 1, "dup", "dup_id", "dup_ref", "dup_paid_eur" >"c"
		print "#tiers", "decision", 1, "claim", "amc", "contract", "member_ref", "ps_kind",
		    "ps_number", "invoice", "line_no", "act_date", "act_code", "amc_eur",
		    "recover_eur", "dest", "code" >"d"
		for (i = 1; i <= n; i++) {
			m = int(rand() * 200000)
			print "first", d "#" i, "", "" >"c"
			printf "%s#%d\t%d\t%d\tB%d\tRPPS\t%d\t%d\t1\t2026-10-%02d\tC\t%d.%02d\t0.00\tps\tLQ00\n",
			    d, i, 100000001 + m % 3, 1000000000 + int(m / 3), m % 5,
			    10000000000 + int(rand() * 5000), 100000000 + i, 1 + int(rand() * 28),
			    1 + int(rand() * 60), int(rand() * 100) >"d"
		}
	}'
	tiers-seal -r -o "c.$1" <c
	tiers-seal -r -o "d.$1" <d
	rm -f c d
}

# row LABEL ROWS: one table row, from the CPU seconds and peak of ./time.
row () {
	read -r u s k <time
	awk -v l="$1" -v r="$2" -v s="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')" -v k="$k" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %14.0f %10.1f\n", l, r, r / s, k / 1024
	}'
}

printf "%-34s %12s %14s %10s\n" "indus-extract (CPU seconds)" rows rows/s peakMiB
prev=
i=0
for d in $(awk -v k="$days" 'BEGIN { for (i = 2; i < 2 + k; i++) printf "2026-11-%02d\n", i }'); do
	gen "$d"
	i=$((i + 1))
	/usr/bin/time -f '%U %S %M' -o time indus-extract -d "$d" -o l0 "c.$d" "d.$d" 2>/dev/null
	row "day $i, no store (baseline)" "$n"
	/usr/bin/time -f '%U %S %M' -o time indus-extract -d "$d" -o "l.$d" ${prev:+-P "p.$prev"} \
	    -p "p.$d" "c.$d" "d.$d" 2>/dev/null
	row "day $i, store: $((i - 1)) days linked" "$n"
	test -n "$prev" && rm -rf "p.$prev"
	rm -f "c.$d" "d.$d" l0 "l.$d"
	prev=$d
done
echo "store: $(ls "p.$prev" | wc -l) segments, $(cat "p.$prev"/*.tsv | grep -vc '^#') rows, $(cat "p.$prev"/*.tsv | wc -c) bytes"
awk -v OFS='\t' 'BEGIN {
	srand(7)
	for (i = 0; i < 1000; i++) {
		m = int(rand() * 200000)
		print "2026-11-30", 100000001 + m % 3, 1000000000 + int(m / 3), "B" m % 5, "radiate", 1,
		    "2026-12-31", "2026-10-10"
	}
}' | sort -u -t '	' -k2,2 -k3,3 -k4,4 | {
	printf '#tiers\tbenef-movement\t1\tbusiness_date\tamc\tcontract\tmember_ref\tmovement\tretroactive\told_rights_end\tnew_rights_end\n'
	cat
} | tiers-seal -r -o mv
/usr/bin/time -f '%U %S %M' -o time indus-extract -d 2026-11-30 -o l -P "p.$prev" -m mv 2>err
row "1000 radiated back: lookups" "$(grep -vc '^#' mv)"
sed -n 's/^indus-extract: 2026-11-30: \(.*movements.*\)/  \1/p' err
