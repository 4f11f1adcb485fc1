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
			printf "123456789,2,%s,OU,%s,%s,AS,1600175000000,45,,,1970-01-01,1,01,751,0001,1,%d,%s,2026-01-01,2026-12-31,2026-01-01,2026-12-31,AC,,,,MC,,ADDRESS,,,,,,\n",
			    c, c, m, p, p == 1 ? "BASE" : "EXTRA"
	}
}' >"$work/moves.csv"

mb=$(wc -c <"$work/master.tsv")
printf "%-34s %12s %10s %10s %10s\n" run records seconds MB/s peakMiB
# run LABEL RECORDS BYTES BASE-SECONDS command...: one row, and the
# ratio to BASE-SECONDS if given; its seconds in $secs.
run () {
	label=$1 recs=$2 bytes=$3 base=$4
	shift 4
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
	    { cat "$work/err" >&2; exit 1; }
	read -r secs kb <"$work/time"
	awk -v l="$label" -v r="$recs" -v s="$secs" -v k="$kb" -v b="$bytes" -v base="$base" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %10.2f %10.1f %10.1f  %s\n", l, r, s, b / s / 1e6, k / 1024,
		    base == "" ? "" : sprintf("%.2fx xmllint", s / base) }'
}
run "cat master (baseline)" "$nm" "$mb" "" cat "$work/master.tsv"
run "tiers-seal master (verify)" "$nm" "$mb" "" tiers-seal -q "$work/master.tsv"
run "benef-integrate ($nv moves)" "$nm" "$mb" "" benef-integrate -d 2026-11-18 \
    -m "$work/master.tsv" -o "$work/new.tsv" -M "$work/mv.tsv" -R "$work/rej.tsv" \
    "$work/moves.csv"
grep -c '	modify	' "$work/mv.tsv" | sed 's/^/modified: /'

# Norme V3: one file of BENCH_XML_BENEF beneficiaries (default 300 000,
# t/normev3-gen.awk), validated by xmllint --stream against the same
# schema beside benef-integrate integrating it into an empty master; the
# target is 1.2x.  With the reference schema at hand (../shared), both
# again against it.
nx=${BENCH_XML_BENEF:-300000}
awk -v n="$nx" -v amc=123456789 -v fileno=1 -v first=0 -f "$top/t/normev3-gen.awk" >"$work/benef.xml"
xb=$(wc -c <"$work/benef.xml")
echo "Norme V3: $nx beneficiaries, $xb bytes"
printf "%-34s %12s %10s %10s %10s  %s\n" run records seconds MB/s peakMiB ratio
xsd=$top/formats/xsd/benef-normev3.xsd
ref=$top/../shared/ref/almerys-normev3/NormeIntegrationMedline.xsd
run "xmllint --stream --schema (project)" "$nx" "$xb" "" \
    xmllint --stream --noout --schema "$xsd" "$work/benef.xml"
run "benef-integrate (project schema)" "$nx" "$xb" "$secs" benef-integrate -d 2026-11-18 \
    -o "$work/x.m" -M "$work/x.mv" -R "$work/x.rej" "$work/benef.xml"
if test -r "$ref"; then
	run "xmllint --stream --schema (reference)" "$nx" "$xb" "" \
	    xmllint --stream --noout --schema "$ref" "$work/benef.xml"
	run "benef-integrate -X reference" "$nx" "$xb" "$secs" benef-integrate -X "$ref" -d 2026-11-18 \
	    -o "$work/x.m" -M "$work/x.mv" -R "$work/x.rej" "$work/benef.xml"
fi
rm -f "$work/benef.xml" "$work/x.m" "$work/x.mv" "$work/x.rej"

# The nightly's benef stage (pipelines/stages/20-benef, run as the
# nightly runs it, with its helpers stubbed) for a population of
# BENCH_MASTER beneficiaries in BENCH_CLIENTS clients' masters (default
# 4), each client sending a Norme V3 file of BENCH_MOVES / BENCH_CLIENTS
# changed beneficiaries: integrate and index, the clients in parallel.
nc=${BENCH_CLIENTS:-4}
sd=$work/stage
mkdir -p "$sd/prev/benef" "$sd/day/in" "$sd/day/tmp" "$sd/day/log"
: >"$sd/day/tmp/inputs"
for k in $(seq 1 "$nc"); do
	amc=$((100000000 + k))
	awk -v n=$((nm / nc)) -v amc="$amc" 'BEGIN {
		OFS = "\t"
		printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tcard_number\tcard_start\tcard_end\tcard_background\tcard_annex\trib_holder\trib_iban\trib_bic\tcompensation\tupdated\n"
		for (i = 0; i < n; i++) {
			c = int(i / 4); m = sprintf("P%d-%d", c, i % 4)
			print amc, sprintf("K%09d", c), m, "OU", "A" c, i % 4 ? "EN" : "AS",
			    "1600175000000", "45", "", "", "1970-05-10", 1, "01", "751", "0001", 1,
			    "1:BASE:2026-01-01:2026-12-31", "2026-01-01", "2026-12-31", "AC", "", "", "",
			    "", "", "ADDRESS", "", "", "", "", "", "", "2026-01-01", "2026-12-31",
			    "16001750000001", "1970-05-10/1/A" c, "C" c, "2026-01-01", "2026-12-31",
			    "FOND1", "ANX1", "", "", "", "", "2026-11-17"
		}
	}' | sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3 | tiers-seal -r -o "$sd/prev/benef/$amc.master.tsv"
	f=benef-$amc-000001.xml
	awk -v n=$((nv / nc)) -v amc="$amc" -v fileno=1 -v first=$((nm / nc / 8)) \
	    -f "$top/t/normev3-gen.awk" >"$sd/day/in/$f"
	echo "$f" >>"$sd/day/tmp/inputs"
done
cat >"$sd/run" <<'EOS'
abs=$1 absprev=$2 date=2026-11-18 work=$1 lasterr=$1/tmp/last.err summary=$1/summary
benefre='^benef-[0-9A-Za-z]+-.*\.(xml|csv)(\.gz)?$'
die () { echo "$2" >&2; exit "$1"; }
fail () { echo "$2" >&2; cat "$lasterr" >&2; exit "$1"; }
logto () { cat "$lasterr" >>"$abs/log/$1.err"; }
row () { printf '%s\t' "$@" >>"$summary"; echo >>"$summary"; }
refuse () { die 65 "refused $2"; }
records () { tail -n 1 "$1" | cut -f2; }
staged () { echo "benef: $*" >&2; }
localjobs () { nproc; }
. "$3"
EOS
echo "the benef stage: $nm beneficiaries in $nc clients, $nv changed (Norme V3), $(nproc) cores"
printf "%-34s %12s %10s %10s %10s\n" run records seconds MB/s peakMiB
mb=$(cat "$sd"/prev/benef/*.master.tsv | wc -c)
for i in 1 2; do
	rm -rf "$sd/day/state" "$sd/day/out" "$sd/day/tmp/benef" "$sd/day/log"/*
	run "benef stage, run $i" "$nm" "$mb" "" sh "$sd/run" "$sd/day" "$sd/prev" "$top/pipelines/stages/20-benef"
done
grep -c '	modify	' "$sd"/day/out/benef/*.movements.tsv | sed 's/^/modified: /'
