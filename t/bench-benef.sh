#!/bin/sh
# make bench, beneficiaries: a master of BENCH_MASTER records (default
# 5 000 000) updated with BENCH_MOVES CSV entries (default 100 000), beside
# sort(1) of the same entries and cat of the master.  Prints one table row
# per run; sourced pieces of t/bench.sh are not needed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
nm=${BENCH_MASTER:-5000000}
nv=${BENCH_MOVES:-100000}
work=${TMPDIR:-/tmp}/tiers-bench-benef.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

# A sealed master: families of 4 under contracts C0000000..., sorted.
awk -v n="$nm" 'BEGIN {
	OFS = "\t"
	printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tupdated\n"
	for (i = 0; i < n; i++) {
		c = sprintf("C%09d", int(i / 4)); m = sprintf("M%d", i % 4)
		print "123456789", c, m, "OU", c, "AS", "", "", "", "", "1970-01-01", 1,
		    "01", "751", "0001", 1, "1:BASE:2026-01-01:2026-12-31", "2026-01-01",
		    "2026-12-31", "AC", "", "", "", "", "", "ADDRESS", "", "", "", "", "",
		    "", "2026-01-01", "2026-12-31", "", "1970-01-01/1/" c, "2026-01-01"
	}
}' | tiers-seal -r -o "$work/master.tsv"

# Changes: every (n/nv)th beneficiary gets a second product.
awk -v n="$nm" -v k="$nv" 'BEGIN {
	print "client,file_number,contract,contract_state,adherent,member_ref,benef_type,nir,nir_key,benef_nir,benef_nir_key,birth_date,rang,regime,caisse,centre,responsable,product_order,product_ref,product_start,product_end,tp_start,tp_end,activation,suspension_start,suspension_end,suspension_reason,card_movement,domains,address_1,address_2,address_3,address_4,address_5,address_6,address_7"
	step = int(n / k); if (step < 1) step = 1
	for (j = 0; j < k; j++) {
		i = (j * step * 7919) % n
		c = sprintf("C%09d", int(i / 4)); m = sprintf("M%d", i % 4)
		for (p = 1; p <= 2; p++)
			printf "123456789,2,%s,OU,%s,%s,AS,,,,,1970-01-01,1,01,751,0001,1,%d,%s,2026-01-01,2026-12-31,2026-01-01,2026-12-31,AC,,,,MC,,ADDRESS,,,,,,\n",
			    c, c, m, p, p == 1 ? "BASE" : "EXTRA"
	}
}' >"$work/moves.csv"

mb=$(wc -c <"$work/master.tsv")
printf "%-34s %12s %10s %10s %10s\n" run records seconds MB/s peakMiB
run () {
	label=$1 recs=$2
	shift 2
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
	    { cat "$work/err" >&2; exit 1; }
	read -r secs kb <"$work/time"
	awk -v l="$label" -v r="$recs" -v s="$secs" -v k="$kb" -v b="$mb" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %10.2f %10.1f %10.1f\n", l, r, s, b / s / 1e6, k / 1024 }'
}
run "cat master (baseline)" "$nm" cat "$work/master.tsv"
run "tiers-seal master (verify)" "$nm" tiers-seal -q "$work/master.tsv"
run "benef-integrate ($nv moves)" "$nm" benef-integrate -d 2026-11-18 \
    -m "$work/master.tsv" -o "$work/new.tsv" -M "$work/mv.tsv" -R "$work/rej.tsv" \
    "$work/moves.csv"
grep -c '	modify	' "$work/mv.tsv" | sed 's/^/modified: /'
