#!/bin/sh
# make bench, liquidate: BENCH_CLAIMS claims (default 1 000 000) against a
# master of BENCH_MASTER beneficiaries (default 5 000 000) with guarantees,
# a ceiling and no previous consumption, beside tiers-seal verifying the
# same inputs (what any stage reading them must pay), and benef-index
# making the master's index.  One table row a run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
nm=${BENCH_MASTER:-5000000}
n=${BENCH_CLAIMS:-1000000}
work=${TMPDIR:-/tmp}/tiers-bench-liq.$$
trap 'test -n "${BENCH_KEEP:-}" || rm -rf "$work"' EXIT
mkdir -p "$work"

# The master: families of 4 under contracts C000000000..., each with its
# own NIR 1000000000000 + i (key not checked here), sorted.
awk -v n="$nm" 'BEGIN {
	OFS = "\t"
	printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tupdated\n"
	for (i = 0; i < n; i++) {
		c = sprintf("C%09d", int(i / 4)); m = sprintf("M%d", i % 4)
		nir = sprintf("1%012d", i)
		print "123456789", c, m, "OU", c, "AS", nir, "00", "", "", "1970-01-01", 1,
		    "01", "751", "0001", 1, "1:BASE:2026-01-01:2026-12-31", "2026-01-01",
		    "2026-12-31", "AC", "", "", "", "", "", "NOM PRENOM", "1 RUE", "", "", "", "75001 PARIS",
		    "", "2026-01-01", "2026-12-31", nir "1", "1970-01-01/1/" c, "2026-01-01"
	}
}' | tiers-seal -r -o "$work/master.tsv"

# Claims: visits and drugs of beneficiaries spread over the master.
awk -v n="$n" -v nm="$nm" 'BEGIN {
	OFS = "\t"
	printf "#tiers\tclaim\t1\tflow\tsender\tfile_number\tfile_date\tfile\tline\tpos\tregime\tcaisse\tps_kind\tps_number\tinvoice\tinvoice_date\tinvoice_total_eur\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tamc\tadherent\tline_no\tact_date\tact_code\tcoef\tqty\tfr_eur\tbr_eur\tamo_rate_bp\tamo_eur\tpf_eur\tfranchise_eur\tdepassement_eur\ttp\tnature\tref_invoice\tref_line\tflag\tdup\tdup_id\tdup_ref\tdup_paid_eur\n"
	for (k = 0; k < n; k++) {
		i = (k * 7919) % nm
		c = sprintf("C%09d", int(i / 4))
		if (k % 2)
			print "noemie-580", "017510001", "0000001", "2026-11-18", "f.580", k + 1, 1, "01", "751",
			    "RPPS", "10000000001", sprintf("%09d", k + 1), "2026-11-17", "30.00",
			    sprintf("1%012d", i), "00", "", "", "1970-01-01", 1, "123456789", c, 1,
			    "2026-11-17", "G", "1.00", 1, "30.00", "30.00", 7000, "19.00", "2.00", "0.00",
			    "0.00", 1, "paid", "", "", "", "first", "2026-11-18#" (k + 1), "", ""
		else
			print "noemie-580", "017510001", "0000001", "2026-11-18", "f.580", k + 1, 1, "01", "751",
			    "FINESS", "750000001", sprintf("%09d", k + 1), "2026-11-17", "99.93",
			    sprintf("1%012d", i), "00", "", "", "1970-01-01", 1, "123456789", c, 1,
			    "2026-11-17", "PH7", "1.00", 3, "99.93", "99.93", 6500, "64.95", "0.00", "0.00",
			    "0.00", 1, "paid", "", "", "", "first", "2026-11-18#" (k + 1), "", ""
	}
}' | tiers-seal -r -o "$work/claims.tsv"

cat >"$work/g.xml" <<'EOG'
<?xml version="1.0" encoding="UTF-8"?>
<garanties xmlns="urn:tiers:garanties:1" amc="123456789">
  <plafond id="PHARMA" portee="famille" montant="1000.00" periode="annee"/>
  <produit ref="BASE">
    <regle domaine="MEDG" formule="br" taux="100"/>
    <regle domaine="PHAR" formule="br" taux="100" plafond="PHARMA"/>
  </produit>
</garanties>
EOG

# peakMiB is the peak resident size, the mapped files' pages included;
# anonMiB the peak of the process's own memory (RssAnon), sampled from
# /proc every 20 ms (a peak shorter than that may be missed).
printf "%-34s %12s %12s %10s %10s %10s\n" run records records/s seconds peakMiB anonMiB
run () {
	label=$1 recs=$2
	shift 2
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" &
	tp=$!
	anon=0
	while kill -0 "$tp" 2>/dev/null; do
		c=
		read -r c u <"/proc/$tp/task/$tp/children" 2>/dev/null || :
		test -n "$c" && while read -r k v u; do
			test "$k" = RssAnon: && test "$v" -gt "$anon" && anon=$v
		done <"/proc/$c/status" 2>/dev/null || :
		sleep 0.02
	done
	wait "$tp" || { cat "$work/err" >&2; exit 1; }
	read -r secs kb <"$work/time"
	awk -v l="$label" -v r="$recs" -v s="$secs" -v k="$kb" -v a="$anon" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-34s %12d %12.0f %10.2f %10.1f %10.1f\n", l, r, r / s, s, k / 1024, a / 1024 }'
}
run "tiers-seal master+claims (verify)" "$n" tiers-seal -q "$work/master.tsv" "$work/claims.tsv"
# The master's index, as the nightly makes it after the benef stage; then
# liquidate through it (the nightly's way, the row that counts), then
# reading the whole master (no index), for comparison.
run "benef-index ($nm benef)" "$nm" benef-index -o "$work/master.idx" "$work/master.tsv"
# A first run, not counted: on a fresh virtual machine the first process
# to touch a gigabyte of memory pays the host for it (seconds); the
# nightly's machine has long been warm.
liquidate -d 2026-11-18 -g "$work/g.xml" -m "$work/master.tsv" -x "$work/master.idx" \
    -C "$work/cons.tsv" -o "$work/dec.tsv" "$work/claims.tsv" 2>/dev/null
rm -f "$work/dec.tsv" "$work/cons.tsv"
run "liquidate ($nm benef, index)" "$n" liquidate -d 2026-11-18 -g "$work/g.xml" \
    -m "$work/master.tsv" -x "$work/master.idx" -C "$work/cons.tsv" -o "$work/dec.tsv" \
    "$work/claims.tsv"
sed 's/^/  /' "$work/err"
mv "$work/dec.tsv" "$work/dec.trust"
rm -f "$work/cons.tsv"
# The same with -V: the master and the index checked whole (their CRC-32),
# as liquidate did on every run before it trusted the chain; the same bytes.
run "liquidate ($nm benef, index, -V)" "$n" liquidate -V -d 2026-11-18 -g "$work/g.xml" \
    -m "$work/master.tsv" -x "$work/master.idx" -C "$work/cons.tsv" -o "$work/dec.tsv" \
    "$work/claims.tsv"
cmp "$work/dec.tsv" "$work/dec.trust" || { echo "bench: -V changed the decisions" >&2; exit 1; }
rm -f "$work/dec.tsv" "$work/dec.trust" "$work/cons.tsv"
run "liquidate ($nm benef, no index)" "$n" liquidate -d 2026-11-18 -g "$work/g.xml" \
    -m "$work/master.tsv" -C "$work/cons.tsv" -o "$work/dec.tsv" "$work/claims.tsv"
