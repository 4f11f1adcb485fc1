#!/bin/sh
test_description='liquidate: what the complementary pays, to whom, and why'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0800-liquidate.tsv
T='	'

# The master of client 900000001: one line a beneficiary, its alias first.
#   A, B  one family (contract C1): an adult and a child of 10
#   C     radiated on 2026-10-31, card valid until 2026-12-31
#   D     suspended in November 2026;  E  service deactivated
#   F     not a contrat responsable;  G  a card for PHAR only
#   H     products BASE and RENFORT;  K  a child of 4
benefs='A	C1	A	1800575123001	11	1980-05-10	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC			
B	C1	B	2160375123002	22	2016-03-01	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC			
C	C2	C	1700175123003	33	1970-01-15	1	1:BASE:2024-01-01:2026-10-31	2026-12-31	AC			
D	C3	D	1700175123004	44	1970-01-16	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC	2026-11-01	2026-11-30	
E	C4	E	1700175123005	55	1970-01-17	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	DE			
F	C5	F	1700175123006	66	1970-01-18	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC			
G	C6	G	1700175123007	77	1970-01-19	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC			PHAR:100:PC
H	C7	H	1700175123008	88	1970-01-20	1	1:BASE:2024-01-01:2027-12-31,2:RENFORT:2026-01-01:2027-12-31	2027-12-31	AC			
K	C8	K	2220675123009	99	2022-06-01	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC			'

test_expect_success 'setup: master, guarantees, PEC, the base claim' '
	{
		printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tupdated\n"
		printf "%s\n" "$benefs" | awk -F"\t" -v OFS="\t" "{
			split(\$8, p, \":\"); n = split(\$8, q, \":\"); re = q[n]
			print \"900000001\", \$2, \$3, \"OU\", \$2, \"AS\", \$4, \$5, \"\", \"\", \$6, \$7,
			    \"01\", \"751\", \"0001\", \$7 == 1 ? 1 : 0, \$8, \"2024-01-01\", \$9, \$10,
			    \$11, \$12, \"\", \"CA\", \$13, \"NOM\", \"\", \"\", \"\", \"\", \"75001 PARIS\", \"\",
			    \"2024-01-01\", re, \$4 \$7, \$6 \"/\" \$7 \"/\" \$2, \"2026-11-01\"
		}"
	} >master.raw &&
	awk -F"\t" -v OFS="\t" "NR > 1 { \$16 = (\$3 == \"F\") ? 0 : 1 } { print }" master.raw | mkstream master.tsv &&
	cat >g.xml <<-\EOG &&
	<?xml version="1.0" encoding="UTF-8"?>
	<garanties xmlns="urn:tiers:garanties:1" amc="900000001">
	  <plafond id="OPTIQUE" portee="beneficiaire" montant="400.00" nombre="1" periode="mois" mois="24">
	    <age max="5" mois="6"/>
	    <age max="15" mois="12"/>
	  </plafond>
	  <plafond id="DENTAIRE" portee="famille" montant="100.00" periode="annee"/>
	  <produit ref="BASE">
	    <regle domaine="MEDG" age-max="15" formule="br" taux="300"/>
	    <regle domaine="MEDG" formule="br" taux="100"/>
	    <regle domaine="PHAR" formule="br" taux="100"/>
	    <regle domaine="MEDS" formule="br-sup" taux="50"/>
	    <regle domaine="HOSP" actes="FJ" formule="fixe" montant="20.00"/>
	    <regle domaine="HOSP" actes="GHS" formule="br" taux="100"/>
	    <regle domaine="DENT" actes="SPR" formule="sante100" prix-limite="500.00" pec="1"/>
	    <regle domaine="DENT" actes="SC" formule="br" taux="200" plafond="DENTAIRE"/>
	    <regle domaine="OPTI" formule="fixe" montant="150.00" pec="1" plafond="OPTIQUE"/>
	  </produit>
	  <produit ref="RENFORT">
	    <regle domaine="LABO" formule="fr" taux="20"/>
	  </produit>
	</garanties>
	EOG
	{
		printf "#tiers\tpec\t1\tamc\tpec_number\tnir\tnir_key\tbirth_date\trang\tps_kind\tps_number\tdomain\tact_codes\tvalid_from\tvalid_to\tamount_eur\n"
		printf "900000001\tP1\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000001\tDENT\tSPR\t2026-01-01\t2026-12-31\t1000.00\n"
		printf "900000001\tP2\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000002\tDENT\t\t2026-01-01\t2026-12-31\t300.00\n"
		printf "900000001\tP3\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000001\tOPTI\t\t2026-01-01\t2026-12-31\t1000.00\n"
		printf "900000001\tP4\t2220675123009\t99\t2022-06-01\t1\tRPPS\t10000000001\tOPTI\tOPT\t2026-01-01\t2026-12-31\t1000.00\n"
	} | mkstream pec.tsv &&
	printf "%s\n" "#tiers${T}claim${T}1${T}flow${T}sender${T}file_number${T}file_date${T}file${T}line${T}pos${T}regime${T}caisse${T}ps_kind${T}ps_number${T}invoice${T}invoice_date${T}invoice_total_eur${T}nir${T}nir_key${T}benef_nir${T}benef_nir_key${T}birth_date${T}rang${T}amc${T}adherent${T}line_no${T}act_date${T}act_code${T}coef${T}qty${T}fr_eur${T}br_eur${T}amo_rate_bp${T}amo_eur${T}pf_eur${T}franchise_eur${T}depassement_eur${T}tp${T}nature${T}ref_invoice${T}ref_line${T}flag${T}dup${T}dup_id${T}dup_ref${T}dup_paid_eur${T}parcours${T}renewal" >claim.head &&
	printf "noemie-580\t017510001\t0000001\t2026-11-10\tday.580\t1\t1\t01\t751\tRPPS\t10000000001\t100000001\t2026-11-10\t30.00\t-\t-\t\t\t-\t1\t900000001\t-\t1\t2026-11-10\tG\t1.00\t1\t30.00\t30.00\t7000\t19.00\t2.00\t0.00\t0.00\t1\tpaid\t\t\t\tfirst\t-\t\t\t\t\n" >claim.base &&
	{
		printf "#tiers\tps-register\t1\tps_kind\tps_number\tam_number\tsiret\tname\tiban\tbic\tvalid_from\tvalid_to\toptam\n"
		printf "RPPS\t10000000001\t\t\tA\t\t\t2020-01-01\t\t1\n"
		printf "RPPS\t10000000002\t\t\tB\t\t\t2020-01-01\t\t1\n"
		printf "RPPS\t10000000003\t\t\tC\t\t\t2020-01-01\t\t0\n"
	} | mkstream register.tsv &&
	tiers-seal -q master.tsv pec.tsv register.tsv
'

# claims CASE DAY [TABLE]: the claim stream of one case and day, from the
# table (default the cases').
claims () {
	{
		cat claim.head
		awk -v cs="$1" -v day="$2" -v benefs="$benefs" -f "$TEST_DIRECTORY/claims.awk" "${3:-$cases}"
	} | tiers-seal -r
}

for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "case $cs" "
		prev= &&
		for day in \$(awk -F'\t' -v cs=$cs '\$1 == cs { print \$2 }' '$cases' | uniq); do
			claims $cs \$day >c.$cs.\$day &&
			liquidate -d 2026-11-2\$day -g g.xml -m master.tsv -p pec.tsv -P register.tsv \${prev:+-c \$prev} \
			    -C cons.$cs.\$day -o d.$cs.\$day c.$cs.\$day 2>err &&
			tiers-seal -q d.$cs.\$day cons.$cs.\$day &&
			col d.$cs.\$day dest code amc_eur flag >actual.$cs.\$day &&
			awk -F'\t' -v OFS='\t' -v cs=$cs -v day=\$day '\$1 == cs && \$2 == day { print \$5, \$6, \$7, \$8 }' '$cases' >expect.$cs.\$day &&
			test_cmp expect.$cs.\$day actual.$cs.\$day &&
			prev=cons.$cs.\$day || exit 1
		done
	"
done

test_expect_success 'every code of the table is tested' '
	for k in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19; do
		cut -f6 "$cases" | grep -q "^LQ$k\$" || { echo "LQ$k untested"; exit 1; }
	done
'

test_expect_success 'conservation: FR = AMO + AMC + RAC over every decision, one per claim' '
	cat d.*.* | awk -F"\t" "$COLS"" { fr += \$c[\"fr_eur\"] * 100; r += (\$c[\"amo_eur\"] + \$c[\"amc_eur\"] + \$c[\"rac_eur\"]) * 100; n++ } END { printf \"%d %.0f %.0f\n\", n, fr, r }" >sums &&
	read n fr r <sums &&
	test "$n" = $(grep -vc "^#" "$cases") &&
	test "$fr" = "$r"
'

test_expect_success 'ps-recover and recover-ps carry the amount to recover' '
	col d.radiated-card-valid.1 dest amc_eur recover_eur >actual &&
	printf "ps-recover\t9.00\t9.00\n" >expect &&
	test_cmp expect actual &&
	col d.cancel.1 dest amc_eur recover_eur rac_eur >actual &&
	printf "recover-ps\t-9.00\t9.00\t-2.00\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'consumption: events sorted, carried to the next day, given back by a cancellation' '
	col cons.family-ceiling.2 member_ref counter act_date count amount_eur >actual &&
	printf "A\tDENTAIRE\t2026-11-10\t1\t70.00\nA\tDENTAIRE\t2027-01-05\t1\t70.00\nB\tDENTAIRE\t2026-11-10\t1\t30.00\n" >expect &&
	head -3 actual >a3 && test_cmp expect a3 &&
	col cons.ceiling-given-back.2 member_ref act_date count amount_eur >actual &&
	grep "^A	2026-11-10	-1	-70.00\$" actual &&
	test $(stat -c %a cons.family-ceiling.2) = 600 &&
	test $(stat -c %a d.family-ceiling.2) = 600
'

test_expect_success 'a rerun gives the same bytes; consumption order does not depend on input order' '
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C again.cons -o again.d c.family-ceiling.1 2>/dev/null &&
	cmp again.d d.family-ceiling.1 && cmp again.cons cons.family-ceiling.1 &&
	{ head -1 c.family-ceiling.1; grep -v "^#" c.family-ceiling.1 | sort -r; } | tiers-seal -r >rev &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C rev.cons -o rev.d rev 2>/dev/null &&
	cmp rev.cons cons.family-ceiling.1 &&
	col rev.d claim amc_eur code | sort >a && col d.family-ceiling.1 claim amc_eur code | sort >b &&
	test_cmp b a
'

test_expect_success 'claims and master read in parts (TIERS_SCAN_MIN=1): the same bytes' '
	{ head -1 c.br100.1; for f in c.*.1; do grep -v "^#" $f; done; } | tiers-seal -r >all &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C one.cons -o one.d all 2>one.err &&
	TIERS_SCAN_MIN=1 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C two.cons \
	    -o two.d all 2>two.err &&
	test $(grep -vc "^#" one.d) -gt 40 &&
	cmp one.d two.d && cmp one.cons two.cons && test_cmp one.err two.err
'

test_expect_success 'read in parts, a bad master record is found at its line' '
	n=$(grep -vc "^#" master.tsv) &&
	awk -F"\t" -v OFS="\t" -v n="$n" "NR == 1 { for (i = 4; i <= NF; i++) if (\$i == \"birth_date\") b = i - 3 }
	    NR == n + 1 { \$b = \"1970-13-01\" } !/^#end/ { print }" master.tsv | tiers-seal -r >badm &&
	for min in 1 ""; do
		TIERS_SCAN_MIN=$min test_expect_code 65 liquidate -d 2026-11-21 -m badm -C bad.cons all 2>err &&
		grep "^liquidate: badm:$((n + 1)): birth_date: not a date" err || return 1
	done &&
	! test -e bad.cons
'

test_expect_success 'stdout, and the summary on stderr names no person' '
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -C x.cons <c.br100.1 >x.d 2>err &&
	tiers-seal -q x.d &&
	grep "^liquidate: 2026-11-21: 1 claims: 1 paid, 0 rejected, 0 to recover; AMC 9.00" err &&
	! grep -e 1800575123001 -e NOM err
'

# The day summary's rows for liquidate, as pipelines/nightly computes them
# today from the decisions (its awk, copied): -s must give the same bytes.
nightly_rows () {
	awk -F'\t' -v OFS='\t' '
		/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next }
		/^#/ { next }
		function cents(s) { sub(/\./, "", s); return s + 0 }
		{
			k = $c["amc"] "/" ($c["domain"] == "" ? "-" : $c["domain"])
			d = $c["dest"]
			if (d == "ps" || d == "ps-recover") { n[k, "paid"]++; a[k, "paid"] += cents($c["amc_eur"]) }
			if (d == "reject") { n[k, "rejected"]++; a[k, "rejected"] += cents($c["rac_eur"]) }
			if (d == "client") { n[k, "client"]++; a[k, "client"] += cents($c["rac_eur"]) }
			if (d == "ps-recover" || d == "recover-ps") { n[k, "recover"]++; a[k, "recover"] += cents($c["recover_eur"]) }
			seen[k] = 1
		}
		END {
			for (k in seen)
				for (j = 1; j <= 4; j++) {
					t = j == 1 ? "paid" : j == 2 ? "rejected" : j == 3 ? "recover" : "client"
					if (!((k, t) in n)) continue
					v = a[k, t]; s = v < 0 ? "-" : ""; v = v < 0 ? -v : v
					printf "%s\t%s\t%d\t%s%d.%02d\n", k, t, n[k, t], s, int(v / 100), v % 100
				}
		}' "$1" | sort
}

# rows FILE: the records of a stream.
rows () {
	sed '/^#/d' "$1"
}

# synopsis PAGE: the words of a man page's SYNOPSIS, one a line.
synopsis () {
	mandoc -Tascii "$1" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	    sed '1d;$d' | tr -s ' \t' '\n\n' | grep .
}

test_expect_success 'summary (-s): every case, the same decisions and the rows of the nightly' '
	for c in c.*.[0-9]; do
		cs=${c#c.} && day=${cs##*.} && cs=${cs%.*} &&
		prev= && test $day = 1 || prev=cons.$cs.$((day - 1)) &&
		liquidate -d 2026-11-2$day -g g.xml -m master.tsv -p pec.tsv -P register.tsv ${prev:+-c $prev} \
		    -C s.cons -s s.$cs.$day -o s.d $c 2>/dev/null &&
		cmp s.d d.$cs.$day && cmp s.cons cons.$cs.$day &&
		tiers-seal -q s.$cs.$day &&
		nightly_rows d.$cs.$day >expect &&
		rows s.$cs.$day >actual &&
		test_cmp expect actual || return 1
	done &&
	printf "#tiers\tstage-summary\t1\titem\tkind\trecords\tamount_eur\n#stage\tliquidate\n#business_date\t2026-11-22\n" >expect &&
	head -3 s.family-ceiling.2 >actual &&
	test_cmp expect actual
'

test_expect_success 'summary (-s): every case at once, rows in byte order of item and kind' '
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C s.cons -s s.all -o s.d \
	    all 2>/dev/null &&
	cmp s.d one.d &&
	nightly_rows one.d >expect &&
	rows s.all >actual &&
	test_cmp expect actual &&
	test $(wc -l <actual) -ge 5
'

# The edge cases of t0800-summary.tsv, each case liquidated on its own.
test_expect_success 'summary (-s): negative sums, an empty amc or domain, overflow (table)' '
	table=$TIERS_TOP/t/t0800-summary.tsv &&
	for cs in $(grep -v "^#" "$table" | cut -f1 | uniq); do
		claims $cs 1 "$table" >sc.$cs &&
		want=$(awk -F"\t" -v cs=$cs "\$1 == cs { print \$5; exit }" "$table") &&
		test_expect_code $want liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv \
		    -C sc.$cs.cons -s ss.$cs -o sd.$cs sc.$cs 2>err.$cs || return 1
		if test $want = 0; then
			tiers-seal -q ss.$cs &&
			nightly_rows sd.$cs >expect &&
			rows ss.$cs >actual &&
			test_cmp expect actual || { echo "case $cs"; return 1; }
		else
			! test -e ss.$cs && ! test -e sd.$cs && ! test -e sc.$cs.cons &&
			liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C sc.$cs.cons \
			    -o sd.$cs sc.$cs 2>/dev/null || { echo "case $cs"; return 1; }
		fi
	done &&
	grep "^liquidate: ss.overflow: rejected: amount_eur out of range" err.overflow
'

test_expect_success 'summary (-s): the edge cases, rows written out' '
	cat >expect <<-\EOF &&
	900000001/MEDG	rejected	1	-11.00
	900000001/MEDG	rejected	1	-0.05
	900000001/MEDG	rejected	2	-0.50
	/MEDG	rejected	1	11.00
	900000001/-	rejected	1	11.00
	900000001/-	rejected	1	11.00
	900000001/MEDG	paid	2	18.00
	900000001/MEDG	recover	1	9.00
	900000001/MEDG	rejected	2	0.00
	900000001/PHAR	paid	1	3.50
	EOF
	for cs in negative small-negative mixed-signs no-amc no-domain every-kind; do
		rows ss.$cs || return 1
	done >actual &&
	test_cmp expect actual
'

test_expect_success 'summary (-s): no claims, no rows' '
	claims none 1 >c.none &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -C n.cons -s n.sum -o n.d c.none 2>/dev/null &&
	tiers-seal n.sum >actual &&
	printf "n.sum\tstage-summary\t1\t0\t0.00\t%s\n" $(tail -1 n.sum | cut -f4) >expect &&
	test_cmp expect actual &&
	nightly_rows n.d >expect &&
	test_must_be_empty expect
'

test_expect_success 'summary (-s): mode 0600, published with the other outputs only' '
	(umask 0 && liquidate -d 2026-11-21 -g g.xml -m master.tsv -C m.cons -s m.sum \
	    -o m.d c.br100.1 2>/dev/null) &&
	test "$(test_mode m.sum)" = "-rw-------" &&
	sed "s/formule=\"br-sup\"/formule=\"magic\"/" g.xml >bad.xml &&
	test_expect_code 65 liquidate -d 2026-11-21 -g bad.xml -m master.tsv -C bad.cons \
	    -s bad.sum -o bad.d c.br100.1 2>/dev/null &&
	! test -e bad.sum && ! test -e bad.cons && ! test -e bad.d &&
	test_expect_code 73 liquidate -d 2026-11-21 -g g.xml -m master.tsv -C bad.cons \
	    -s nodir/sum -o bad.d c.br100.1 2>err &&
	grep "^liquidate: nodir/sum: No such file or directory" err &&
	! test -e bad.cons && ! test -e bad.d &&
	test -z "$(ls -a | grep "^\.bad\.")"
'

sample=$TIERS_TOP/testdata/sample

test_expect_success 'summary (-s): setup, the sample days through tiers-nightly' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-1[89] "$sample"/2026-11-20 data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	{ tiers-nightly 2026-11-19 data >/dev/null 2>&1 || test $? = 1; } &&
	tiers-nightly 2026-11-20 data >/dev/null 2>&1
'

test_expect_success 'summary (-s): each sample day again, the same decisions and the rows of the day summary' '
	prev= &&
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		day=data/days/$d && opts= &&
		for f in $day/state/guarantees/*; do opts="$opts -g $f"; done &&
		for f in $day/state/benef/*.master.tsv; do opts="$opts -m $f -x ${f%.tsv}.idx"; done &&
		for f in $day/state/pec/*; do opts="$opts -p $f"; done &&
		rm -rf day.cons &&
		liquidate -d $d $opts ${prev:+-c data/days/$prev/state/consumption} -S day.cons \
		    -s day.$d -o day.d $day/out/claims.tsv 2>/dev/null &&
		cmp day.d $day/out/decisions.tsv && diff -r day.cons $day/state/consumption &&
		tiers-seal -q day.$d &&
		nightly_rows $day/out/decisions.tsv >expect &&
		rows day.$d >actual &&
		test_cmp expect actual &&
		awk -F"\t" -v OFS="\t" "\$1 == \"liquidate\" && \$6 == \"ok\" { print \$2, \$3, \$4, \$5 }" \
		    $day/summary.tsv >expect &&
		test_cmp expect actual || return 1
		prev=$d
	done &&
	test $(rows day.2026-11-20 | wc -l) -gt 20 &&
	rows day.2026-11-20 | cut -f2 | sort -u >actual &&
	printf "client\npaid\nrecover\nrejected\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'usage() prints the SYNOPSIS' '
	test_expect_code 64 liquidate 2>err &&
	sed "s/^usage: //" err | tr -s " " "\n" | grep . >actual &&
	synopsis "$TIERS_TOP/man/man1/liquidate.1" >expect &&
	test_cmp expect actual
'

test_expect_success 'usage errors are exit 64' '
	test_expect_code 64 liquidate -C x 2>err &&
	grep "^usage: liquidate" err &&
	test_expect_code 64 liquidate -d 2026-13-01 -C x c.br100.1 2>err &&
	test_expect_code 64 liquidate -x 2>err
'

# General conditions 3.1.2: a client may refuse to pay on the AMO's
# décompte alone.  The base claim comes from NOEMIE: with
# paiement-noemie="non", the client's (LQ20); a B2 invoice is paid.
test_expect_success 'a client that refuses payment on NOEMIE alone: LQ20, the client'"'"'s' '
	sed "s/amc=\"900000001\">/amc=\"900000001\" paiement-noemie=\"non\">/" g.xml >gn.xml &&
	grep "paiement-noemie=\"non\"" gn.xml &&
	liquidate -d 2026-11-21 -g gn.xml -m master.tsv -C n20.cons -o n20.d c.br100.1 2>err &&
	col n20.d dest code amc_eur >actual &&
	printf "client\tLQ20\t0.00\n" >expect &&
	test_cmp expect actual &&
	sed "s/^noemie-580	/b2	/" c.br100.1 | tiers-seal -r >b2.1 &&
	liquidate -d 2026-11-21 -g gn.xml -m master.tsv -C b20.cons -o b20.d b2.1 2>err &&
	col b20.d dest code amc_eur >actual &&
	printf "ps\tLQ00\t9.00\n" >expect &&
	test_cmp expect actual &&
	sed "s/amc=\"900000001\">/amc=\"900000001\" paiement-noemie=\"peut-etre\">/" g.xml >gm.xml &&
	test_expect_code 65 liquidate -d 2026-11-21 -g gm.xml -m master.tsv -C m20.cons c.br100.1 2>err &&
	grep "^liquidate: gm.xml:2: xsd: " err
'

test_expect_success 'a PS register with an OPTAM status not 0, 1 or empty: exit 65, file:line, nothing written' '
	{
		printf "#tiers\tps-register\t1\tps_kind\tps_number\tam_number\tsiret\tname\tiban\tbic\tvalid_from\tvalid_to\toptam\n"
		printf "RPPS\t10000000001\t\t\tA\t\t\t2020-01-01\t\toui\n"
	} | mkstream badreg.tsv &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -P badreg.tsv \
	    -C breg.cons -o breg.d c.br100.1 2>err &&
	grep "^liquidate: badreg.tsv:2: optam: not 0, 1 or empty\$" err &&
	test ! -e breg.d && test ! -e breg.cons
'

test_expect_success 'the PEC generation (-N): the agreements alive, each once, the same bytes in any order' '
	{
		printf "#tiers\tpec\t1\tamc\tpec_number\tnir\tnir_key\tbirth_date\trang\tps_kind\tps_number\tdomain\tact_codes\tvalid_from\tvalid_to\tamount_eur\n"
		printf "900000001\tOLD\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000001\tDENT\tSPR\t2025-01-01\t2026-05-20\t100.00\n"
		printf "900000001\tEDGE\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000001\tDENT\t\t2025-01-01\t2026-05-21\t100.00\n"
	} | mkstream pec.old &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -p pec.old -p pec.tsv -N gen.1 \
	    -C n1.cons -o n1.d c.br100.1 2>/dev/null &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.old -p pec.tsv -N gen.2 \
	    -C n2.cons -o n2.d c.br100.1 2>/dev/null &&
	cmp gen.1 gen.2 && cmp n1.d n2.d &&
	tiers-seal -q gen.1 && test "$(test_mode gen.1)" = "-rw-------" &&
	grep -v "^#" gen.1 | cut -f2 | sort >actual &&
	printf "%s\n" EDGE P1 P2 P3 P4 >expect &&
	test_cmp expect actual &&
	grep "^900000001	P1	1800575123001	1980-05-10	1	RPPS	10000000001	DENT	SPR	2026-01-01	2026-12-31	1000.00\$" gen.1 &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.1 -N gen.3 -C n3.cons -o n3.d \
	    c.br100.1 2>/dev/null &&
	cmp gen.1 gen.3 && cmp n1.d n3.d
'

test_expect_success 'the PEC generation read back, merged with the day'"'"'s: the same bytes, its lines in another form too' '
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.1 -p pec.tsv -p pec.old -N gen.4 \
	    -C n4.cons -o n4.d c.br100.1 2>/dev/null &&
	cmp gen.1 gen.4 && cmp n1.d n4.d &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -p gen.1 -p pec.old -N gen.6 \
	    -C n6.cons -o n6.d c.br100.1 2>/dev/null &&
	cmp gen.1 gen.6 && cmp n1.d n6.d &&
	awk -F"\t" -v OFS="\t" "!/^#/ { \$5 = \"0\" \$5 } { print }" gen.1 | grep -v "^#end" |
	    tiers-seal -r >gen.zero &&
	grep "	01	RPPS	" gen.zero &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.zero -p pec.tsv -N gen.5 \
	    -C n5.cons -o n5.d c.br100.1 2>/dev/null &&
	cmp gen.1 gen.5 && cmp n1.d n5.d
'

test_expect_success 'a PEC generation out of order is refused: exit 65, its line and field, nothing written' '
	{ head -2 gen.1; grep -v "^#" gen.1 | sort -r; } | tiers-seal -r >gen.bad &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -p gen.bad \
	    -N bad.pec -C bad.cons -o bad.d c.br100.1 2>err &&
	grep "^liquidate: gen.bad:4: nir: not sorted on amc, nir, birth_date, rang, valid_from, pec_number, as a PEC generation is\$" err &&
	! test -e bad.pec && ! test -e bad.cons && ! test -e bad.d
'

# A generation is read where it lies: the lines of a claim's beneficiary
# parsed when the claim needs them, every line read once as it is copied
# into the next generation (or, without -N, read through): its order,
# dates, amounts, count, sum and CRC-32 checked there, before anything
# is published.
test_expect_success 'a PEC generation damaged since it was sealed: refused with or without -N, exit 65, nothing written' '
	sed "3s/RPPS/RPPT/" gen.1 >gen.dam &&
	! cmp -s gen.1 gen.dam &&
	for n in -N ""; do
		test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.dam -p pec.tsv \
		    ${n:+-N dam.pec} -C dam.cons -o dam.d c.br100.1 2>err &&
		grep "^liquidate: gen.dam:[0-9]*: trailer: CRC-32 " err &&
		! test -e dam.pec && ! test -e dam.cons && ! test -e dam.d || return 1
	done &&
	sed "\$d" gen.1 >gen.trunc &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.trunc \
	    -N dam.pec -C dam.cons -o dam.d c.br100.1 2>err &&
	grep "^liquidate: gen.trunc:[0-9]*: trailer: no trailer" err &&
	! test -e dam.pec && ! test -e dam.cons && ! test -e dam.d
'

test_expect_success 'a PEC generation with a bad line: its line and field, whether a claim or the copy finds it' '
	awk -F"\t" -v OFS="\t" "!/^#/ && !done { \$4 = \"1980-13-10\"; done = 1 } { print }" gen.1 |
	    grep -v "^#end" | tiers-seal -r >gen.badd &&
	l=$(grep -n "1980-13-10" gen.badd | cut -d: -f1) &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.badd \
	    -N dam.pec -C dam.cons -o dam.d c.br100.1 2>err &&
	grep "^liquidate: gen.badd:$l: birth_date: not a date\$" err &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.badd \
	    -C dam.cons c.br100.1 2>err &&
	grep "^liquidate: gen.badd:$l: birth_date: not a date\$" err &&
	! test -e dam.pec && ! test -e dam.cons && ! test -e dam.d
'

test_expect_success 'a PEC generation read whole (-V) or where it lies: the same bytes' '
	liquidate -V -d 2026-11-21 -g g.xml -m master.tsv -p gen.1 -p pec.tsv -p pec.old -N gen.v \
	    -C nv.cons -o nv.d c.br100.1 2>/dev/null &&
	cmp gen.1 gen.v && cmp n1.d nv.d && cmp n4.cons nv.cons &&
	# Larger than the writer'"'"'s buffer: runs of lines copied straight to
	# the file; one agreement in three ended, left out; the day'"'"'s merged in.
	awk -v OFS="\t" "BEGIN {
		print \"#tiers\", \"pec\", 1, \"amc\", \"pec_number\", \"nir\", \"nir_key\", \"birth_date\",
		    \"rang\", \"ps_kind\", \"ps_number\", \"domain\", \"act_codes\", \"valid_from\",
		    \"valid_to\", \"amount_eur\"
		for (i = 0; i < 6000; i++)
			print \"900000001\", sprintf(\"B%05d\", i), sprintf(\"1800575%06d\", (i * 37) % 200000), \"11\",
			    \"1980-05-10\", 1 + i % 3, \"RPPS\", \"10000000001\", \"DENT\", \"SPR\",
			    \"2026-01-01\", (i % 3 ? \"2026-12-31\" : \"2026-05-20\"), (i % 97) \".00\"
	}" | mkstream bigp.pec &&
	head -n 1 c.br100.1 | mkstream nocl &&
	liquidate -d 2026-11-20 -p bigp.pec -C bigp.cons -N bigp.1 nocl 2>err &&
	test $(wc -c <bigp.1) -gt 400000 && test $(grep -vc "^#" bigp.1) -eq 6000 &&
	for v in "" -V; do
		liquidate $v -d 2026-11-21 -g g.xml -m master.tsv -p bigp.1 -p pec.tsv \
		    -N bigp.2$v -C bigp.cons$v -o bigp.d$v c.br100.1 2>err || return 1
	done &&
	cmp bigp.2 bigp.2-V && cmp bigp.d bigp.d-V &&
	tiers-seal -q bigp.2 &&
	test $(grep -vc "^#" bigp.2) -eq $((4000 + 4)) &&
	grep -v "^#end" bigp.1 | awk "NR == 3 { print } { print }" | tiers-seal -r >bigp.dup &&
	for v in "" -V; do
		liquidate $v -d 2026-11-21 -g g.xml -m master.tsv -p bigp.dup -p pec.tsv \
		    -N bigp.3$v -C bigp.cons$v c.br100.1 2>err &&
		cmp bigp.2 bigp.3$v || return 1
	done &&
	# Larger than the step at which the pass gives pages back (16 MiB),
	# a day'"'"'s agreement before each of its lines.
	awk -v OFS="\t" "BEGIN {
		h = \"#tiers\tpec\t1\tamc\tpec_number\tnir\tnir_key\tbirth_date\trang\tps_kind\tps_number\tdomain\tact_codes\tvalid_from\tvalid_to\tamount_eur\"
		print h >\"huge.pec\"
		print h >\"huge.day\"
		for (i = 0; i < 180000; i++) {
			l = sprintf(\"%05d\t11\t1980-05-10\t%d\tRPPS\t10000000001\tDENT\tSPR SC\t2026-01-%02d\t%s\t%d.00\",
			    i % 20000, 1 + int(i / 20000) % 7, 1 + i % 28, (i % 5 ? \"2026-12-31\" : \"2026-05-20\"), i % 89)
			print \"900000001\", sprintf(\"B%06d\", i), \"18005751\" l >\"huge.pec\"
			print \"900000001\", sprintf(\"A%06d\", i), \"18005751\" l >\"huge.day\"
		}
	}" &&
	mkstream huge.1.pec <huge.pec && mkstream huge.1.day <huge.day &&
	liquidate -d 2026-11-20 -p huge.1.pec -C bigp.cons -N huge.1 nocl 2>err &&
	test $(wc -c <huge.1) -gt 17000000 &&
	for v in "" -V; do
		liquidate $v -d 2026-11-21 -p huge.1 -p huge.1.day -N huge.2$v -C bigp.cons$v \
		    nocl 2>err || return 1
	done &&
	cmp huge.2 huge.2-V && tiers-seal -q huge.2 &&
	test $(grep -vc "^#" huge.2) -eq $((2 * 144000)) &&
	liquidate -d 2026-11-22 -p huge.2 -C bigp.cons nocl 2>err
'

# The PEC store (-p DIR, -Q DIR): the cases of t0800-pecstore.tsv, day by
# day, the store of each day the next day's -p; beside it a chain of
# single generations (-N) from the same files, whose decisions, and the
# generation a store gives (-N from -p DIR), must be the same bytes.
pcases=$TIERS_TOP/t/t0800-pecstore.tsv
pecbase="act_code=SPR;ps_number=10000000007;fr_eur=600.00;br_eur=120.00;amo_rate_bp=6000;amo_eur=72.00;pf_eur=0.00"
for cs in $(grep -v "^#" "$pcases" | cut -f1 | uniq); do
	test_expect_success "PEC store: $cs" "
		prev= && grep -v '^#' '$pcases' | awk -F'\t' -v cs=$cs '\$1 == cs' >rows.$cs &&
		while IFS='	' read -r c day date pecs claim code amc segs agrs; do
			{
				head -n 1 pec.tsv &&
				if test \"\$pecs\" != -; then
					printf '%s\n' \"\$pecs\" | tr , '\n' | awk -F/ -v OFS='\t' '{
						print \"900000001\", \$1, \"1800575123001\", \"11\", \"1980-05-10\", 1, \"RPPS\",
						    \$3 == \"\" ? \"10000000007\" : \$3, \"DENT\", \"\", \"2026-01-01\", \$2, \"500.00\"
					}'
				fi
			} | mkstream ps.\$cs.\$day &&
			if test \"\$claim\" = -; then
				head -n 1 c.br100.1 | mkstream pc.\$cs.\$day
			else
				printf '%s\t%s\tA\t%s\n' $cs \$day \"$pecbase;\$claim\" >row &&
				claims $cs \$day row >pc.\$cs.\$day
			fi &&
			set -- -d \$date -g g.xml -m master.tsv -p ps.\$cs.\$day &&
			liquidate \"\$@\" \${prev:+-p st.\$cs.\$prev -c sc.\$cs.\$prev} -Q st.\$cs.\$day \
			    -C sc.\$cs.\$day -o sd.\$cs.\$day pc.\$cs.\$day 2>err &&
			liquidate \"\$@\" \${prev:+-p gn.\$cs.\$prev -c gc.\$cs.\$prev} -N gn.\$cs.\$day \
			    -C gc.\$cs.\$day -o gd.\$cs.\$day pc.\$cs.\$day 2>err &&
			cmp sd.\$cs.\$day gd.\$cs.\$day && cmp sc.\$cs.\$day gc.\$cs.\$day &&
			liquidate \"\$@\" \${prev:+-p st.\$cs.\$prev -c sc.\$cs.\$prev} -N sg.\$cs.\$day \
			    -C sgc.\$cs.\$day pc.\$cs.\$day 2>err &&
			cmp sg.\$cs.\$day gn.\$cs.\$day &&
			tiers-seal -q st.\$cs.\$day/* &&
			test \"\$(test_mode st.\$cs.\$day)\" = drwx------ &&
			echo \$(ls st.\$cs.\$day | sed 's/\.tsv\$//') >actual &&
			echo \$segs >expect &&
			test_cmp expect actual &&
			echo \$(cat st.\$cs.\$day/* | grep -v '^#' | cut -f2 | sort) >actual &&
			echo \$agrs >expect &&
			test_cmp expect actual &&
			if test \"\$claim\" != -; then
				col sd.\$cs.\$day code amc_eur >actual &&
				printf '%s\t%s\n' \$code \$amc >expect &&
				test_cmp expect actual
			fi &&
			prev=\$day || exit 1
		done <rows.$cs
	"
done

test_expect_success 'PEC store: the same bytes from a single generation, and refusals' '
	mkdir -p pst.bad &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p gen.1 -Q pst.1 -C pst.c1 -o pst.d1 \
	    c.br100.1 2>err &&
	cmp pst.d1 n1.d && ls pst.1 >actual && echo 2026-11-21.tsv >expect && test_cmp expect actual &&
	grep -v "^#" gen.1 >expect && grep -v "^#" pst.1/2026-11-21.tsv >actual && test_cmp expect actual &&
	grep "^#last_valid_to	2026-12-31\$" pst.1/2026-11-21.tsv &&
	cp gen.1 pst.bad/pec.tsv &&
	test_expect_code 65 liquidate -d 2026-11-22 -p pst.bad -Q pst.2 -C pst.c2 nocl 2>err &&
	grep "^liquidate: pst.bad: pec.tsv: not a segment of a PEC store (YYYY-MM-DD.tsv)\$" err &&
	! test -e pst.2 && ! test -e pst.2.tmp &&
	test_expect_code 65 liquidate -d 2026-11-21 -p pst.1 -Q pst.2 -C pst.c2 nocl 2>err &&
	grep "^liquidate: pst.1/2026-11-21.tsv: a segment of this business day or a later one\$" err &&
	! test -e pst.2 && ! test -e pst.2.tmp &&
	test_expect_code 64 liquidate -d 2026-11-22 -p pst.1 -N x -Q pst.2 -C pst.c2 nocl 2>err &&
	test_expect_code 64 liquidate -d 2026-11-22 -p pst.1 -p pst.1 -Q pst.2 -C pst.c2 nocl 2>err &&
	sed "s/RPPS/RPPT/" pst.1/2026-11-21.tsv >pst.bad/2026-11-21.tsv && rm pst.bad/pec.tsv &&
	liquidate -d 2026-11-22 -p pst.bad -C pst.c2 nocl 2>err &&
	test_expect_code 65 liquidate -V -d 2026-11-22 -p pst.bad -C pst.c2 nocl 2>err &&
	grep "^liquidate: pst.bad/2026-11-21.tsv:[0-9]*: trailer: CRC-32 " err &&
	liquidate -d 2026-11-22 -p pst.1 -Q pst.2 -C pst.c2 nocl 2>err &&
	ls pst.2 >actual && printf "2026-11-21.tsv\n2026-11-22.tsv\n" >expect && test_cmp expect actual &&
	test "$(stat -c %i pst.1/2026-11-21.tsv)" = "$(stat -c %i pst.2/2026-11-21.tsv)"
'

test_expect_success 'a new store (-Q, -S) where a directory already is: exit 73 before any output is published' '
	mkdir -p qx sx && cp pst.1/2026-11-21.tsv qx/ &&
	test_expect_code 73 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pst.1 -Q qx -C qx.c2 \
	    -o qx.d c.br100.1 2>err &&
	grep "^liquidate: qx: already exists: a new store is written where none is\$" err &&
	! test -e qx.d && ! test -e qx.c2 && ! test -e qx.tmp && ls qx >actual &&
	echo 2026-11-21.tsv >expect && test_cmp expect actual &&
	test_expect_code 73 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pst.1 -Q qy -S sx \
	    -o qx.d c.br100.1 2>err &&
	grep "^liquidate: sx: already exists" err &&
	! test -e qx.d && ! test -e qy && ! test -e qy.tmp && test -z "$(ls sx)"
'

# A segment of a store where most lookups find nothing (a late day's,
# small, beside a large old one) makes a filter of its beneficiaries
# once those lookups reach 1/64 of its agreements, and a beneficiary it
# does not hold is then not searched (pecgen.c, genfind).  Claims of A
# (agreements in both segments: P1 to P3 in the old, P5 in the day's)
# and B (none) in turn: the day's segment filtered at B's first lookup,
# the old one of 6 004 lines after about a hundred; each of A's after,
# found through the filters, paid or its cap used (LQ00, LQ14), never
# LQ08.  The same decisions, consumption included, from the same store
# read whole (-V) and from one whose segments, padded with agreements of
# another client (30 004 and 16 001 lines), are never filtered: the 240
# lookups that find nothing stay below 1/64 of their lines.
test_expect_success 'PEC store: segments filtered once lookups find nothing, the same decisions' '
	{ head -n 1 pec.tsv && printf "900000001\tP5\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000002\tDENT\tSPR\t2026-06-01\t2026-12-31\t200.00\n"; } >fs.day.raw &&
	awk -v OFS="\t" "{ print } END { for (i = 0; i < 16000; i++) print \"900000002\", sprintf(\"Z%05d\", i),
	    sprintf(\"1800575%06d\", i), \"11\", \"1980-05-10\", 1, \"RPPS\", \"10000000001\", \"DENT\", \"SPR\",
	    \"2026-01-01\", \"2026-12-31\", \"1.00\" }" fs.day.raw >fp.day.raw &&
	grep -v "^#end" bigp.pec | awk -v OFS="\t" "{ print } END { for (i = 0; i < 24000; i++) print \"900000002\",
	    sprintf(\"Y%05d\", i), sprintf(\"1800575%06d\", i), \"11\", \"1980-05-10\", 1, \"RPPS\", \"10000000001\",
	    \"DENT\", \"SPR\", \"2026-01-01\", \"2026-12-31\", \"1.00\" }" | tiers-seal -r >fp.old &&
	mkstream fs.day <fs.day.raw && mkstream fp.day <fp.day.raw &&
	liquidate -d 2026-11-20 -p bigp.pec -p pec.tsv -Q fs.1 -C fs.c nocl >/dev/null 2>&1 &&
	liquidate -d 2026-11-21 -p fs.1 -p fs.day -Q fs.2 -C fs.c nocl >/dev/null 2>&1 &&
	liquidate -d 2026-11-20 -p fp.old -p pec.tsv -Q fp.1 -C fs.c nocl >/dev/null 2>&1 &&
	liquidate -d 2026-11-21 -p fp.1 -p fp.day -Q fp.2 -C fs.c nocl >/dev/null 2>&1 &&
	ls fs.2 >expect && ls fp.2 >actual && test_cmp expect actual &&
	test $(grep -vc "^#" fs.2/2026-11-20.tsv) = 6004 && test $(grep -vc "^#" fs.2/2026-11-21.tsv) = 1 &&
	awk -v OFS="\t" "BEGIN { for (i = 0; i < 480; i++) print \"filt\", 1, i % 2 ? \"A\" : \"B\",
	    \"act_code=SPR;invoice=\" 400000000 + i \";ps_number=1000000000\" 1 + int(i / 2) % 2 \
	    \";fr_eur=600.00;br_eur=120.00;amo_rate_bp=6000;amo_eur=72.00;pf_eur=0.00\" }" >filt.tsv &&
	claims filt 1 filt.tsv >c.filt &&
	set -- -d 2026-11-22 -g g.xml -m master.tsv &&
	liquidate "$@" -p fs.2 -C fs.cons -o fs.d c.filt 2>err &&
	liquidate -V "$@" -p fs.2 -C fs-V.cons -o fs-V.d c.filt 2>err &&
	liquidate "$@" -p fp.2 -C fp.cons -o fp.d c.filt 2>err &&
	cmp fs.d fs-V.d && cmp fs.cons fs-V.cons && cmp fs.d fp.d && cmp fs.cons fp.cons &&
	col fs.d member_ref code amc_eur | sort | uniq -c | sed "s/^ *//" >actual &&
	cat >expect <<-\EOF &&
	1 A	LQ00	144.00
	1 A	LQ00	200.00
	1 A	LQ00	300.00
	2 A	LQ00	428.00
	235 A	LQ14	0.00
	240 B	LQ08	0.00
	EOF
	test_cmp expect actual
'

# The filter is made only if every line of the segment is cut as a
# lookup first cuts it (amc, pec_number, a nir of 13 bytes); a line that
# is not (here a nir of 12), and none: the lookups read the lines as
# they did, and find it bad if they meet it.  fb.1: the line after all
# the beneficiaries looked up, never met (read whole, -V, it is refused);
# fb.2: before K, whose lookup comes after the 480 others and meets it.
# Store segments are checked where they are written; without -V or -Q
# only the lines a lookup reads are.
test_expect_success 'PEC store: a segment with a line not cut as a lookup cuts it: no filter, its lookups as before' '
	set -- -d 2026-11-22 -g g.xml -m master.tsv &&
	for n in 1 2; do
		mkdir fb.$n && ln fs.2/2026-11-20.tsv fb.$n/ &&
		{
			grep "^#" fs.2/2026-11-21.tsv | grep -v "^#end" &&
			grep -v "^#" fs.2/2026-11-21.tsv &&
			awk -v OFS="\t" -v n=$n "function l(num, nir, birth) {
				print \"900000001\", num, nir, birth, 1, \"RPPS\", \"10000000001\", \"DENT\", \"\",
				    \"2026-01-01\", \"2026-12-31\", \"1.00\"
			} BEGIN {
				for (i = 0; i < 6; i++)
					l(\"Y\" i, sprintf(\"2160375%06d\", 123003 + i), \"2016-03-01\")
				if (n == 2)
					l(\"BAD\", \"22206751230\", \"2022-06-01\")
				for (i = 0; i < 30; i++)
					l(sprintf(\"Z%02d\", i), sprintf(\"2990175%06d\", i), \"1980-05-10\")
				if (n == 1)
					l(\"BAD\", \"299017599999\", \"1980-05-10\")
			}"
		} | tiers-seal -r >fb.$n/2026-11-21.tsv || return 1
	done &&
	liquidate "$@" -p fb.1 -C fb.1.cons -o fb.1.d c.filt 2>err &&
	cmp fs.d fb.1.d && cmp fs.cons fb.1.cons &&
	l=$(grep -n "	BAD	" fb.1/2026-11-21.tsv | cut -d: -f1) &&
	test_expect_code 65 liquidate -V "$@" -p fb.1 -C fb.1v.cons -o fb.1v.d c.filt 2>err &&
	grep "^liquidate: fb.1/2026-11-21.tsv:$l: nir: not 13 characters\$" err &&
	liquidate "$@" -p fb.2 -C fb.2.cons -o fb.2.d c.filt 2>err &&
	cmp fs.d fb.2.d && cmp fs.cons fb.2.cons &&
	{ cat filt.tsv && printf "filt\t1\tK\tact_code=SPR;invoice=500000000;fr_eur=600.00;br_eur=120.00;amo_rate_bp=6000;amo_eur=72.00;pf_eur=0.00\n"; } >filk.tsv &&
	claims filt 1 filk.tsv >c.filk &&
	liquidate "$@" -p fs.2 -C fk.cons -o fk.d c.filk 2>err &&
	col fk.d member_ref code | tail -n 1 >actual && printf "K\tLQ08\n" >expect && test_cmp expect actual &&
	l=$(grep -n "	BAD	" fb.2/2026-11-21.tsv | cut -d: -f1) &&
	test_expect_code 65 liquidate "$@" -p fb.2 -C fb.2k.cons -o fb.2k.d c.filk 2>err &&
	grep "^liquidate: fb.2/2026-11-21.tsv:$l: nir: not 13 characters\$" err &&
	! test -e fb.2k.cons && ! test -e fb.2k.d
'

test_expect_success 'a missing input is exit 66' '
	test_expect_code 66 liquidate -d 2026-11-21 -C miss.cons -g nothere.xml c.br100.1 2>err &&
	grep "^liquidate: nothere.xml: No such file or directory" err &&
	test_expect_code 66 liquidate -d 2026-11-21 -C miss.cons -m master.tsv nothere.tsv 2>err &&
	grep "nothere.tsv" err &&
	! test -e miss.cons
'

test_expect_success 'a guarantee file the schema refuses: exit 65, file and line, nothing written' '
	sed "s/formule=\"br-sup\"/formule=\"magic\"/" g.xml >bad.xml &&
	test_expect_code 65 liquidate -d 2026-11-21 -g bad.xml -m master.tsv -C bad.cons -o bad.d c.br100.1 2>err &&
	grep "^liquidate: bad.xml:12: xsd: .*attribute .formule.: \[facet .enumeration.\] The value is not an element of the set {.*}\.\$" err &&
	! grep magic err &&
	! test -e bad.cons && ! test -e bad.d
'

test_expect_success 'guarantee errors beyond the schema: a second file for a client, an unknown plafond, a missing rate' '
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -g g.xml -C bad.cons c.br100.1 2>err &&
	grep "g.xml:2: garanties.amc: a second guarantee file for this client" err &&
	sed "s/plafond=\"DENTAIRE\"/plafond=\"NONE\"/" g.xml >bad.xml &&
	test_expect_code 65 liquidate -d 2026-11-21 -g bad.xml -C bad.cons c.br100.1 2>err &&
	grep "bad.xml:16: regle.plafond: no such plafond" err &&
	sed "s/formule=\"br-sup\" taux=\"50\"/formule=\"br-sup\"/" g.xml >bad.xml &&
	test_expect_code 65 liquidate -d 2026-11-21 -g bad.xml -C bad.cons c.br100.1 2>err &&
	grep "bad.xml:12: regle.taux: required by formule br-sup" err &&
	! test -e bad.cons
'

# Several PECs for one claim: P2 (every act, 300.00, from January) and P5
# (SPR named, 200.00, from June), both for PS 10000000002.  The one that
# names the act, amount left, first: line 1 is paid 200.00 under P5 (its
# PEC cap), line 2 300.00 under P2; before, P2 was taken (the oldest)
# and line 2, P2 used up, was LQ14 although P5 covered it.
test_expect_success 'the right PEC: amount left, the act named, then the oldest' '
	{ grep -v "^#end" pec.tsv && printf "900000001\tP5\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000002\tDENT\tSPR\t2026-06-01\t2026-12-31\t200.00\n"; } |
	    tiers-seal -r >pec5.tsv &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec5.tsv -C p5.cons -o p5.d c.pec-cap-used.1 2>err &&
	col p5.d dest code amc_eur flag >actual &&
	printf "ps\tLQ00\t200.00\tcapped\nps\tLQ00\t300.00\tcapped\n" >expect &&
	test_cmp expect actual &&
	col p5.cons counter amount_eur >actual &&
	printf "pec:P2\t300.00\npec:P5\t200.00\n" >expect &&
	test_cmp expect actual &&
	# The same agreements among 6 000 others of a generation read where
	# it lies: found through its sparse index, the same decisions.
	liquidate -d 2026-11-20 -p bigp.pec -p pec5.tsv -C p5g.cons -N p5.gen nocl 2>err &&
	test $(wc -c <p5.gen) -gt 100000 &&
	grep -n "	P5	" p5.gen | cut -d: -f1 >at && test $(cat at) -gt 1000 &&
	test $(cat at) -lt 5000 &&
	for v in "" -V; do
		liquidate $v -d 2026-11-21 -g g.xml -m master.tsv -p p5.gen -C p5g.cons$v \
		    -o p5g.d$v c.pec-cap-used.1 2>err &&
		cmp p5.d p5g.d$v && cmp p5.cons p5g.cons$v || return 1
	done
'

# Values the schema accepts (it collapses blanks, takes a sign) but that
# are not written as numbers are: refused, never read as 0 or a limit
# switched off (taux="+100" made every claim LQ17).
while IFS='|' read -r from to line field; do
	test_expect_success "a guarantee value not as written: $to" "
		sed 's#$from#$to#' g.xml >strict.xml &&
		grep -F '$to' strict.xml &&
		test_expect_code 65 liquidate -d 2026-11-21 -g strict.xml -m master.tsv -C strict.cons \\
		    c.br100.1 2>err &&
		grep '^liquidate: strict.xml:$line: $field: not ' err &&
		! test -e strict.cons
	"
done <<'EOS'
taux="100"/|taux="+100"/|10|regle.taux
taux="100"/|taux=" 100"/|10|regle.taux
taux="100"/|taux="0100"/|10|regle.taux
nombre="1"|nombre="+1"|3|plafond.nombre
mois="24"|mois=" 24"|3|plafond.mois
max="5"|max="+5"|4|age.max
age-max="15"|age-max="015"|9|regle.age-max
pec="1" plafond|pec=" true" plafond|17|regle.pec
EOS

test_expect_success 'the act-code table (-a): built in by name, a file, and the same decisions' '
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -C a0.cons -o a0.d c.br100.1 2>/dev/null &&
	liquidate -a acts -d 2026-11-21 -g g.xml -m master.tsv -C a1.cons -o a1.d c.br100.1 2>/dev/null &&
	cmp a0.d a1.d &&
	cp "$TIERS_TOP/formats/acts/acts.tsv" ./acts &&
	liquidate -a ./acts -d 2026-11-21 -g g.xml -m master.tsv -C a2.cons -o a2.d c.br100.1 2>/dev/null &&
	cmp a0.d a2.d &&
	printf "# G is a specialist here\ncode\tdomain\nG\tMEDS\n" >meds.tsv &&
	liquidate -a meds.tsv -d 2026-11-21 -g g.xml -m master.tsv -C a3.cons -o a3.d c.br100.1 2>/dev/null &&
	col a3.d act_code domain >actual &&
	printf "G\tMEDS\n" >expect &&
	test_cmp expect actual
'

# Bad act-code tables: the table's lines (printf), the message.
cat >acts.cases <<\EOF
code\tdomain\nG\tMEDG\nVG\tMEDGX\n	bad.tsv:3: domain: not a care domain
code\tdomain\nG\tMEDG\ng\tMEDG\n	bad.tsv:3: code: not 1 to 15 capital letters or digits
code\tdomain\nG\tMEDG\n\nG\tMEDS\n	bad.tsv:4: code: listed twice
code\tdom\n	bad.tsv:1: domain: no such column in the header line
# only comments\n	bad.tsv: no header line
EOF
test_expect_success 'a bad act-code table: exit 65 (66 missing), file:line: field, nothing written' '
	while IFS="	" read -r text msg; do
		printf "$text" >bad.tsv &&
		test_expect_code 65 liquidate -a bad.tsv -d 2026-11-21 -C bad.cons c.br100.1 2>err &&
		echo "liquidate: $msg" >expect &&
		test_cmp expect err || return 1
	done <acts.cases &&
	test_expect_code 66 liquidate -a nothere.tsv -d 2026-11-21 -C bad.cons c.br100.1 2>err &&
	grep "^liquidate: nothere.tsv: No such file or directory (not a built-in table either)\$" err &&
	! test -e bad.cons
'

test_expect_success 'truncated claims, master or consumption: exit 65, nothing written' '
	head -2 c.br100.1 >trunc &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -C bad.cons -o bad.d trunc 2>err &&
	grep "trunc:2: trailer: no trailer" err &&
	head -3 master.tsv >trunc.m &&
	test_expect_code 65 liquidate -d 2026-11-21 -m trunc.m -C bad.cons -o bad.d c.br100.1 2>err &&
	grep "trunc.m" err &&
	head -3 cons.family-ceiling.1 >trunc.c &&
	test_expect_code 65 liquidate -d 2026-11-21 -c trunc.c -m master.tsv -C bad.cons -o bad.d c.br100.1 2>err &&
	! test -e bad.cons && ! test -e bad.d
'

test_expect_success 'a consumption generation out of order is refused' '
	{ head -2 cons.family-ceiling.2; grep -v "^#" cons.family-ceiling.2 | sort -r; } | tiers-seal -r >unsorted &&
	test_expect_code 65 liquidate -d 2026-11-21 -c unsorted -m master.tsv -C bad.cons c.br100.1 2>err &&
	grep "unsorted:.*: not sorted on amc, contract, member_ref, counter, act_date, claim" err
'

test_expect_success 'a consumption generation whose counts are in another form: the same bytes' '
	liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c cons.family-ceiling.1 \
	    -C k1.cons -o k1.d c.br100.1 2>/dev/null &&
	awk -F"\t" -v OFS="\t" "!/^#/ { sub(/^-?/, \"&0\", \$7) } { print }" cons.family-ceiling.1 |
	    grep -v "^#end" | tiers-seal -r >zero.cons &&
	grep "	01	" zero.cons &&
	liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c zero.cons \
	    -C k2.cons -o k2.d c.br100.1 2>/dev/null &&
	cmp k1.cons k2.cons && cmp k1.d k2.d
'

test_expect_success 'a claim without its amounts, or a stream without verdicts, is malformed' '
	awk -F"\t" -v OFS="\t" "!/^#/ { \$28 = \"\" } { print }" c.br100.1 | grep -v "^#end" | tiers-seal -r >nofr &&
	test_expect_code 65 liquidate -d 2026-11-21 -m master.tsv -C bad.cons nofr 2>err &&
	grep "nofr:2: fr_eur: missing" err &&
	{ sed -n 1p c.br100.1 | cut -f1-42; grep -v "^#" c.br100.1 | cut -f1-39; } |
	    tiers-seal -r >noverdict &&
	test_expect_code 65 liquidate -d 2026-11-21 -m master.tsv -C bad.cons noverdict 2>err &&
	grep "dup_id" err
'

test_expect_success 'a write error is exit 74' '
	test_expect_code 74 liquidate -d 2026-11-21 -g g.xml -m master.tsv -C x.cons c.br100.1 >/dev/full 2>err
'

# The master index (benef-index): the same decisions, the same errors.
test_expect_success 'through the master index, every case gives the same bytes' '
	benef-index -o master.idx master.tsv 2>err &&
	grep "^benef-index: 9 beneficiaries, 27 keys in" err &&
	for c in c.*.[0-9]; do
		cs=${c#c.} && day=${cs##*.} && cs=${cs%.*} &&
		prev= && test $day = 1 || prev=cons.$cs.$((day - 1)) &&
		liquidate -d 2026-11-2$day -g g.xml -m master.tsv -x master.idx -p pec.tsv -P register.tsv \
		    ${prev:+-c $prev} -C x.cons -o x.d $c 2>x.err &&
		cmp x.d d.$cs.$day && cmp x.cons cons.$cs.$day || return 1
	done &&
	TIERS_SCAN_MIN=1 liquidate -d 2026-11-21 -g g.xml -m master.tsv -x master.idx -p pec.tsv \
	    -C x.cons -o x.d all 2>x.err &&
	cmp x.d one.d && cmp x.cons one.cons && test_cmp one.err x.err
'

# A master sealed in format 1 (tiers-stream(5)), as archived before
# format 2: its trailer's CRC-32 is that of the lines after the header,
# worked out here with gzip's (the same CRC-32 as zlib's).
test_expect_success 'a format 1 master: indexed and read as before, the same decisions' '
	sed "1d;\$d" master.tsv | gzip -c | tail -c 8 | od -An -tx4 -N4 | tr -d " " >crc1 &&
	{ sed "\$d" master.tsv && tail -n 1 master.tsv |
	    awk -F"\t" -v OFS="\t" -v c="$(cat crc1)" "{ print \"#end\", \$2, \$3, c }"; } >old.tsv &&
	tail -n 1 old.tsv | grep "^#end	9	0.00	[0-9a-f]\{8\}\$" &&
	tiers-seal -q old.tsv &&
	benef-index -o old.idx old.tsv 2>/dev/null &&
	test "$(od -An -tx4 -j48 -N4 old.idx | tr -d " ")" = "$(cat crc1)" &&
	liquidate -d 2026-11-21 -g g.xml -m old.tsv -x old.idx -p pec.tsv -C x.cons -o x.d all 2>x.err &&
	cmp x.d one.d && cmp x.cons one.cons &&
	liquidate -d 2026-11-21 -g g.xml -m old.tsv -p pec.tsv -C x.cons -o x.d all 2>x.err &&
	cmp x.d one.d && cmp x.cons one.cons &&
	sed "s/NOM/NOX/" old.tsv >old.edited &&
	test_expect_code 65 liquidate -V -d 2026-11-21 -m old.edited -x old.idx -C bad.cons all 2>err &&
	grep "^liquidate: old.edited:11: trailer: CRC-32 [0-9a-f]* but records give" err &&
	! test -e bad.cons
'

test_expect_success 'an index given to another master, or to its master rewritten, is refused' '
	sed "s/NOM/NOX/" master.tsv | grep -v "^#end" | tiers-seal -r >same.size &&
	test $(wc -c <same.size) = $(wc -c <master.tsv) &&
	test_expect_code 65 liquidate -d 2026-11-21 -m same.size -x master.idx -C bad.cons \
	    -o bad.d all 2>err &&
	grep "^liquidate: master.idx: not the index of same.size: run benef-index on it again" err &&
	{ grep -v "^#end" master.tsv; grep -v "^#" master.tsv | tail -1 | sed "s/C8/C9/g"; } |
	    tiers-seal -r >other &&
	test_expect_code 65 liquidate -d 2026-11-21 -m other -x master.idx -C bad.cons all 2>err &&
	grep "^liquidate: master.idx: not the index of other" err &&
	! test -e bad.cons && ! test -e bad.d
'

test_expect_success 'a damaged index, or a master damaged since it was indexed, is refused' '
	n=$(wc -c <master.idx) &&
	for at in 0 12 $((n - 40)) $((n - 1)); do
		cp master.idx dam.idx &&
		printf "\377" | dd of=dam.idx bs=1 seek=$at conv=notrunc 2>/dev/null &&
		test_expect_code 65 liquidate -V -d 2026-11-21 -m master.tsv -x dam.idx -C bad.cons \
		    all 2>err &&
		grep "^liquidate: dam.idx: .*\(bad magic\|does not match\|damaged\)" err || return 1
	done &&
	for at in 0 12; do
		cp master.idx dam.idx &&
		printf "\377" | dd of=dam.idx bs=1 seek=$at conv=notrunc 2>/dev/null &&
		test_expect_code 65 liquidate -d 2026-11-21 -m master.tsv -x dam.idx -C bad.cons \
		    all 2>err &&
		grep "^liquidate: dam.idx: .*\(bad magic\|does not match\|damaged\)" err || return 1
	done &&
	head -c $((n - 4)) master.idx >short.idx &&
	test_expect_code 65 liquidate -d 2026-11-21 -m master.tsv -x short.idx -C bad.cons all 2>err &&
	grep "index size does not match its header" err &&
	sed "s/NOM/NOX/" master.tsv >edited &&
	test_expect_code 65 liquidate -V -d 2026-11-21 -m edited -x master.idx -C bad.cons all 2>err &&
	grep "^liquidate: edited:11: trailer: CRC-32 [0-9a-f]* but header and lines give" err &&
	test_expect_code 66 liquidate -d 2026-11-21 -m master.tsv -x nothere.idx -C bad.cons all 2>err &&
	grep "nothere.idx" err &&
	test_expect_code 64 liquidate -d 2026-11-21 -x master.idx -m master.tsv -C bad.cons all &&
	test_expect_code 64 liquidate -d 2026-11-21 -m master.tsv -x master.idx -x master.idx \
	    -C bad.cons all &&
	! test -e bad.cons
'

test_expect_success 'without -V, the identity and the lines read: a key changed since indexing is refused' '
	sed "s/NOM/NOX/" master.tsv >edited &&
	liquidate -d 2026-11-21 -g g.xml -m edited -x master.idx -p pec.tsv -C e.cons -o e.d all \
	    2>/dev/null &&
	sed "2s/1980-05-10/1980-05-11/" master.tsv >rekeyed &&
	test $(wc -c <rekeyed) = $(wc -c <master.tsv) && ! cmp -s rekeyed master.tsv &&
	test_expect_code 65 liquidate -d 2026-11-21 -m rekeyed -x master.idx -C bad.cons all 2>err &&
	grep "^liquidate: master.idx: offset [0-9]*: its entries do not match the line of rekeyed there" err &&
	test_expect_code 65 liquidate -V -d 2026-11-21 -m edited -x master.idx -C bad.cons all 2>err &&
	grep "^liquidate: edited:11: trailer: CRC-32" err &&
	! test -e bad.cons
'

test_expect_success 'through the index, a bad record a claim names is found at its line' '
	awk -F"\t" -v OFS="\t" "NR == 1 { for (i = 4; i <= NF; i++) if (\$i == \"tp_start\") b = i - 3 }
	    NR == 2 { \$b = \"2026-13-01\" } !/^#end/ { print }" master.tsv | tiers-seal -r >badtp &&
	benef-index -o badtp.idx badtp 2>/dev/null &&
	test_expect_code 65 liquidate -d 2026-11-21 -m badtp -C bad.cons all 2>scan.err &&
	test_expect_code 65 liquidate -d 2026-11-21 -m badtp -x badtp.idx -C bad.cons all 2>idx.err &&
	grep "^liquidate: badtp:2: tp_start: not a date" idx.err &&
	test_cmp scan.err idx.err &&
	gzip -c master.tsv >master.gz &&
	test_expect_code 66 liquidate -d 2026-11-21 -m master.gz -x master.idx -C bad.cons all 2>err &&
	grep "master.gz: not a plain file" err &&
	! test -e bad.cons
'

test_expect_success 'a gzip master larger than the read buffer gives the same bytes' '
	awk -F"\t" -v OFS="\t" "NR == 1 { print; next } /^#/ { next }
	    NR == 2 { for (i = 0; i < 9000; i++) { \$2 = sprintf(\"Z%06d\", i); \$5 = \$2; print } }
	    { print }" master.tsv | tiers-seal -r >big.tsv &&
	test $(wc -c <big.tsv) -gt 2000000 &&
	gzip -c big.tsv >big.gz &&
	liquidate -d 2026-11-21 -g g.xml -m big.tsv -p pec.tsv -C b1.cons -o b1.d all 2>b1.err &&
	liquidate -d 2026-11-21 -g g.xml -m big.gz -p pec.tsv -C b2.cons -o b2.d all 2>b2.err &&
	cmp b1.d b2.d && cmp b1.cons b2.cons &&
	benef-index -o big.idx big.tsv 2>/dev/null &&
	liquidate -d 2026-11-21 -g g.xml -m big.tsv -x big.idx -p pec.tsv -C b3.cons -o b3.d \
	    all 2>b3.err &&
	cmp b1.d b3.d && cmp b1.cons b3.cons
'

test_expect_success 'claims through gzip or a pipe, larger than the read buffer: the same bytes' '
	{ head -1 all; for i in $(seq 200); do grep -v "^#" all; done; } | tiers-seal -r >many &&
	test $(wc -c <many) -gt 2000000 &&
	gzip -c many >many.gz &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C m1.cons -o m1.d many 2>m1.err &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C m2.cons -o m2.d many.gz \
	    2>m2.err &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -C m3.cons -o m3.d <many \
	    2>m3.err &&
	test $(grep -vc "^#" m1.d) -gt 8000 &&
	cmp m1.d m2.d && cmp m1.cons m2.cons && cmp m1.d m3.d && cmp m1.cons m3.cons &&
	test_cmp m1.err m2.err && test_cmp m1.err m3.err
'

# The consumption store (liquidate(1), The consumption store): day by
# day, the decisions the generations give, and the events they hold.
# recs STORE-OR-FILE: the records, sorted.
recs () {
	if test -d "$1"; then cat "$1"/*.tsv; else cat "$1"; fi | grep -v "^#" | sort
}

test_expect_success 'store: every case, day by day, the decisions and events of the generations' '
	for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
		prev= &&
		for day in $(awk -F"\t" -v cs=$cs "\$1 == cs { print \$2 }" "$cases" | uniq); do
			liquidate -d 2026-11-2$day -g g.xml -m master.tsv -p pec.tsv -P register.tsv \
			    ${prev:+-c $prev} -S st.$cs.$day -o sd.$cs.$day c.$cs.$day 2>err &&
			cmp sd.$cs.$day d.$cs.$day &&
			recs st.$cs.$day >st.recs && recs cons.$cs.$day >gen.recs &&
			test_cmp gen.recs st.recs &&
			test $(stat -c %a st.$cs.$day) = 700 &&
			test $(stat -c %a st.$cs.$day/2026-11-2$day.tsv) = 600 &&
			prev=st.$cs.$day || return 1
		done
	done
'

test_expect_success 'store: a generation read as one segment, the first day after it' '
	liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -P register.tsv \
	    -c cons.ceiling-given-back.1 -S up.2 -o up.d2 c.ceiling-given-back.2 2>err &&
	cmp up.d2 d.ceiling-given-back.2 &&
	ls up.2 >actual && echo 2026-11-22.tsv >expect && test_cmp expect actual &&
	recs up.2 >st.recs && recs cons.ceiling-given-back.2 >gen.recs && test_cmp gen.recs st.recs
'

# Days of 2027, acts of early 2024: the 36 months pass over the events
# while the days go.  DENTAIRE is a family ceiling of 100.00 a calendar
# year.  Day 3 cancels day 1's line, day 5 an AMO reject of day 2's
# (given back at an act date already past the cutoff: day 5's second
# claim finds the ceiling used); by day 8 the segments of days 1 to 6
# hold acts past the cutoff only, and are not carried.
test_expect_success 'store: over days, cancellations and events past the cutoff, as the generations' '
	sc="act_code=SC;fr_eur=150.00;br_eur=50.00;amo_rate_bp=6000;amo_eur=30.00;pf_eur=0.00" &&
	cx="act_code=SC;fr_eur=-150.00;br_eur=-50.00;amo_eur=-30.00;pf_eur=0.00;amo_rate_bp=6000" &&
	{
		printf "cut\t1\tA\tact_date=2024-01-06;invoice=410000001;$sc\n"
		printf "cut\t1\tB\tact_date=2024-01-06;invoice=410000009;act_code=G\n"
		printf "cut\t2\tB\tact_date=2024-01-07;invoice=410000002;$sc\n"
		printf "cut\t3\tA\tact_date=2024-01-06;invoice=410000001;nature=cancel;dup=adjust;dup_ref=D1#1;dup_paid_eur=70.00;$cx\n"
		printf "cut\t4\tB\tact_date=2024-01-08;invoice=410000003;$sc\n"
		printf "cut\t5\tB\tact_date=2024-01-07;invoice=410000002;nature=reject;dup=adjust;dup_ref=D2#1;dup_paid_eur=30.00;$cx\n"
		printf "cut\t5\tA\tact_date=2024-01-09;invoice=410000004;$sc\n"
		printf "cut\t6\tB\tact_date=2024-01-12;invoice=410000005;$sc\n"
		printf "cut\t7\tA\tact_date=2024-01-09;invoice=410000004;nature=cancel;dup=adjust;dup_ref=D5#2;dup_paid_eur=70.00;$cx\n"
		printf "cut\t7\tA\tact_date=2024-01-13;invoice=410000006;$sc\n"
		printf "cut\t8\tB\tact_date=2024-01-14;invoice=410000007;$sc\n"
	} >cut.tsv &&
	set -- 2027-01-04 2027-01-05 2027-01-06 2027-01-07 2027-01-08 2027-01-11 2027-01-12 2027-01-13 &&
	gprev= && sprev= && day=0 &&
	for d in "$@"; do
		day=$((day + 1)) &&
		claims cut $day cut.tsv >cut.c.$day &&
		liquidate -d $d -g g.xml -m master.tsv -p pec.tsv ${gprev:+-c $gprev} \
		    -C cut.g.$day -o cut.gd.$day cut.c.$day 2>err &&
		liquidate -d $d -g g.xml -m master.tsv -p pec.tsv ${sprev:+-c $sprev} \
		    -S cut.s.$day -o cut.sd.$day cut.c.$day 2>err &&
		cmp cut.gd.$day cut.sd.$day &&
		gprev=cut.g.$day && sprev=cut.s.$day || return 1
	done &&
	col cut.gd.2 amc_eur flag >actual && printf "30.00\tcapped\n" >expect && test_cmp expect actual &&
	col cut.gd.5 code >actual && printf "LQ19\nLQ14\n" >expect && test_cmp expect actual &&
	col cut.gd.8 code >actual && echo LQ14 >expect && test_cmp expect actual &&
	ls cut.s.8 >actual && printf "2027-01-12.tsv\n2027-01-13.tsv\n" >expect &&
	test_cmp expect actual &&
	recs cut.g.8 >gen.recs &&
	recs cut.s.8 | awk -F"\t" "\$5 >= \"2024-01-13\"" >st.recs &&
	test_cmp gen.recs st.recs &&
	! grep -h "	2024-01-0[0-9]	" cut.s.8/*.tsv
'

test_expect_success 'store: a rerun writes the same bytes' '
	liquidate -d 2027-01-13 -g g.xml -m master.tsv -p pec.tsv -c cut.s.7 \
	    -S cut.again -o cut.again.d cut.c.8 2>err &&
	cmp cut.again.d cut.sd.8 && diff -r cut.again cut.s.8
'

test_expect_success 'store: a segment damaged or out of order is refused when read, exit 65' '
	cp -R st.family-ceiling.1 bad.st &&
	f=bad.st/2026-11-21.tsv && chmod 600 $f &&
	{ sed -n "/^#/p" $f | grep -v "^#end"; grep -v "^#" $f | sort -r; } | tiers-seal -r >x && mv x $f &&
	test_expect_code 65 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c bad.st \
	    -S bad.out -o bad.d c.family-ceiling.2 2>err &&
	grep "^liquidate: bad.st/2026-11-21.tsv:[0-9]*: not sorted on amc, contract, member_ref, counter, act_date, claim" err &&
	! test -e bad.out && ! test -e bad.out.tmp && ! test -e bad.d &&
	grep -v "^#end" st.family-ceiling.1/2026-11-21.tsv >$f &&
	test_expect_code 65 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c bad.st \
	    -S bad.out -o bad.d c.family-ceiling.2 2>err &&
	grep "bad.st/2026-11-21.tsv: trailer: no trailer" err &&
	sed "s/	70.00	/	7x.00	/" st.family-ceiling.1/2026-11-21.tsv >$f &&
	test_expect_code 65 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c bad.st \
	    -S bad.out -o bad.d c.family-ceiling.2 2>err &&
	grep "bad.st/2026-11-21.tsv:[0-9]*: amount_eur" err &&
	cp st.family-ceiling.1/2026-11-21.tsv $f && : >bad.st/notes &&
	test_expect_code 65 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c bad.st \
	    -S bad.out -o bad.d c.family-ceiling.2 2>err &&
	grep "bad.st: notes: not a segment of a consumption store" err &&
	rm bad.st/notes &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -c bad.st \
	    -S bad.out -o bad.d c.family-ceiling.2 2>err &&
	grep "a segment of this business day or a later one" err &&
	! test -e bad.out && ! test -e bad.out.tmp && ! test -e bad.d &&
	test_expect_code 64 liquidate -d 2026-11-22 -m master.tsv -c bad.st -C bad.cons c.br100.1 2>err &&
	test_expect_code 64 liquidate -z 0/2 -r l -d 2026-11-22 -m master.tsv -S bad.out c.br100.1 2>err &&
	test_expect_code 64 liquidate -d 2026-11-22 -m master.tsv -C a -S b c.br100.1 2>err
'

# A segment linked is trusted; one merged (the day's events, many, take
# the small one in) is read whole.
test_expect_success 'store: a CRC that does not match: found by -V, or by the merge that takes the segment in' '
	cp -R st.family-ceiling.1 crc.st && f=crc.st/2026-11-21.tsv && chmod 600 $f &&
	sed "s/	2026-11-21$/	2026-11-20/" st.family-ceiling.1/2026-11-21.tsv >$f &&
	! cmp -s $f st.family-ceiling.1/2026-11-21.tsv &&
	liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c crc.st \
	    -E crc.ev -o crc.d c.br100.1 2>err &&
	test_expect_code 65 liquidate -V -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c crc.st \
	    -E crc.ev2 -o crc.d2 c.br100.1 2>err &&
	grep "crc.st/2026-11-21.tsv" err &&
	! test -e crc.ev2 && ! test -e crc.d2 &&
	test_expect_code 65 liquidate -d 2026-11-22 -g g.xml -m master.tsv -p pec.tsv -c crc.st \
	    -S crc.out -o crc.d3 all 2>err &&
	grep "crc.st/2026-11-21.tsv" err &&
	! test -e crc.out && ! test -e crc.out.tmp && ! test -e crc.d3
'


# Amounts beyond 32 bits (t0800-wide.tsv), kept aside by line: each case
# alone, then every claim at once, base claims between them so that read
# in two parts (TIERS_SCAN_MIN=1) some are found in each, and through
# gzip and a pipe: the same decisions.
wide=$TIERS_TOP/t/t0800-wide.tsv
wcols="fr_eur br_eur amo_th_eur amo_eur amc_eur rac_eur recover_eur dest code flag"
test_expect_success 'amounts beyond 32 bits: every money column of each decision (table)' '
	for cs in $(grep -v "^#" "$wide" | cut -f1 | uniq); do
		claims $cs 1 "$wide" >wc.$cs &&
		liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv \
		    -C wcons.$cs -o wd.$cs wc.$cs 2>err &&
		tiers-seal -q wd.$cs &&
		col wd.$cs $wcols >actual &&
		awk -F"\t" -v OFS="\t" -v cs=$cs "\$1 == cs { \$1 = \$2 = \$3 = \$4 = \"\"; print }" "$wide" |
		    cut -f5- >expect &&
		test_cmp expect actual || { echo "case $cs"; return 1; }
	done
'

test_expect_success 'amounts beyond 32 bits: all at once, in one part or two, gzip, a pipe' '
	{
		head -1 wc.wide-fr-br &&
		for cs in wide-fr-br wide-hosp wide-edge wide-pf; do grep -v "^#" wc.$cs; done &&
		for i in $(seq 60); do grep -v "^#" c.br100.1; done &&
		for cs in wide-cancel wide-cancel-edge wide-regul wide-reject; do grep -v "^#" wc.$cs; done
	} | tiers-seal -r >wall &&
	for cs in wide-fr-br wide-hosp wide-edge wide-pf; do col wd.$cs $wcols; done >expect &&
	for i in $(seq 60); do col d.br100.1 $wcols; done >>expect &&
	for cs in wide-cancel wide-cancel-edge wide-regul wide-reject; do col wd.$cs $wcols; done >>expect &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C w1.cons \
	    -o w1.d wall 2>err &&
	col w1.d $wcols >actual &&
	test_cmp expect actual &&
	TIERS_SCAN_MIN=1 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv \
	    -C w2.cons -o w2.d wall 2>err &&
	gzip -c wall >wall.gz &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C w3.cons \
	    -o w3.d wall.gz 2>err &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C w4.cons \
	    -o w4.d <wall 2>err &&
	cmp w1.d w2.d && cmp w1.d w3.d && cmp w1.d w4.d
'

# Beyond 64 bits nothing wraps: the stream refuses an amount or a
# record sum out of range, liquidate a decision whose amounts or record
# sum are (exit 65), and nothing is written.
test_expect_success 'amounts beyond 64 bits: refused, exit 65, nothing written' '
	printf "%s\n" "x	1	A	fr_eur=92233720368547758.08" >w64 &&
	{ claims x 1 w64 >/dev/null 2>err; test $? = 65; } &&
	grep "fr_eur: amount out of range" err &&
	printf "%s\n" "x	1	A	fr_eur=92233720368547758.07" >w64 &&
	{ claims x 1 w64 >/dev/null 2>err; test $? = 65; } &&
	grep "fr_eur: record sum out of range" err &&
	printf "%s\n" "x	1	A	act_code=GHS;fr_eur=46000000000000000.00;br_eur=46000000000000000.00;amo_rate_bp=0;amo_eur=0.00;pf_eur=0.00" >w64 &&
	claims x 1 w64 >w64.c &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -C w64.cons \
	    -o w64.d w64.c 2>err &&
	grep "^liquidate: w64.d: record sum out of range" err &&
	! test -e w64.d && ! test -e w64.cons &&
	printf "%s\n" "x	1	A	nature=cancel;dup=adjust;dup_ref=D0#1;dup_paid_eur=9.00;fr_eur=-92233720368547758.08;br_eur=30.00;amo_eur=19.00;pf_eur=0.00" >w64 &&
	claims x 1 w64 >w64.c &&
	test_expect_code 65 liquidate -d 2026-11-21 -g g.xml -m master.tsv -C w64.cons \
	    -o w64.d w64.c 2>err &&
	grep "^liquidate: day.580: claim D1#1: amounts out of range" err &&
	! test -e w64.d && ! test -e w64.cons
'

# Fields of 255 bytes or more, their length not kept but measured where
# they lie: read from the file, from gzip, from a pipe (the line copied),
# the decision carries each claim field whole.  The file name at 255
# bytes (a name's most), the invoice and the PS number longer; then a
# claim id and an invoice of 1000 bytes, the decision longer than the
# line formatted at once.
long () {
	awk -v n=$2 -v c=$1 "BEGIN { s = c; while (length(s) < n) s = s (length(s) % 10); print substr(s, 1, n) }"
}
test_expect_success 'fields of 255 bytes or more: the decision carries them whole' '
	f255=$(long F 255) && i300=$(long I 300) && p256=$(long P 256) &&
	d1000=$(long D 1000) && i1000=$(long J 1000) &&
	{
		printf "long\t1\tA\tfile=%s;invoice=%s;ps_number=%s\n" $f255 $i300 $p256
		printf "long\t1\tA\tfile=%s;invoice=%s;dup_id=%s\n" $f255 $i1000 $d1000
	} >long.tsv &&
	claims long 1 long.tsv >long.c &&
	test $(awk "length > 2048" long.c | wc -l) = 1 &&
	gzip -c long.c >long.gz &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C l1.cons \
	    -o l1.d long.c 2>err &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C l2.cons \
	    -o l2.d long.gz 2>err &&
	liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv -C l3.cons \
	    -o l3.d <long.c 2>err &&
	TIERS_SCAN_MIN=1 liquidate -d 2026-11-21 -g g.xml -m master.tsv -p pec.tsv -P register.tsv \
	    -C l4.cons -o l4.d long.c 2>err &&
	col long.c dup_id file line pos amc ps_kind ps_number invoice line_no act_date act_code nature dup >expect &&
	grep "^$d1000	$f255	2	1	900000001	RPPS	10000000001	$i1000	1	" expect &&
	for d in l1.d l2.d l3.d l4.d; do
		tiers-seal -q $d &&
		col $d claim file line pos amc ps_kind ps_number invoice line_no act_date act_code nature dup >actual &&
		test_cmp expect actual &&
		col $d dest code amc_eur rac_eur >actual &&
		printf "ps\tLQ00\t9.00\t2.00\nps\tLQ00\t9.00\t2.00\n" >expect.d &&
		test_cmp expect.d actual || return 1
	done
'

test_done
