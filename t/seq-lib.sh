# The sequences' world, for t0820 and t0840: one client's masters of days 1
# to 5 (2026-11-23 to 2026-11-27), its guarantees and PEC, and the base
# claim the cases' tables change (sourced after test-lib.sh, with $cases
# the table).
T='	'

# The master of client 900000001, one line a beneficiary, its alias first
# and last the first day it is in the master.
#   A, B  one family (contract C1): an adult and a child of 10
#   N     a beneficiary the client declares on day 2
#   Z     a beneficiary the client never declares
benefs='A	C1	A	1800575123001	11	1980-05-10	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC	1
B	C1	B	2160375123002	22	2016-03-01	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC	1
N	C9	N	1700175123010	10	1970-01-21	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC	2
Z	C8	Z	1690275123020	20	1969-02-11	1	1:BASE:2024-01-01:2027-12-31	2027-12-31	AC	9'

test_expect_success 'setup: masters of each day, guarantees, PEC, the base claim' '
	for day in 1 2 3 4 5; do
		{
			printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tupdated\n"
			printf "%s\n" "$benefs" | awk -F"\t" -v OFS="\t" -v day=$day "\$11 <= day {
				n = split(\$8, q, \":\"); re = q[n]
				print \"900000001\", \$2, \$3, \"OU\", \$2, \"AS\", \$4, \$5, \"\", \"\", \$6, \$7,
				    \"01\", \"751\", \"0001\", 1, \$8, \"2024-01-01\", \$9, \$10,
				    \"\", \"\", \"\", \"CA\", \"\", \"NOM\", \"\", \"\", \"\", \"\", \"75001 PARIS\", \"\",
				    \"2024-01-01\", re, \$4 \$7, \$6 \"/\" \$7 \"/\" \$2, \"2026-11-01\"
			}"
		} | mkstream master.$day.tsv || exit 1
	done &&
	cat >g.xml <<-\EOG &&
	<?xml version="1.0" encoding="UTF-8"?>
	<garanties xmlns="urn:tiers:garanties:1" amc="900000001">
	  <plafond id="DENTAIRE" portee="famille" montant="100.00" periode="annee"/>
	  <produit ref="BASE">
	    <regle domaine="MEDG" age-max="15" formule="br" taux="300"/>
	    <regle domaine="MEDG" formule="br" taux="100"/>
	    <regle domaine="DENT" actes="SPR" formule="sante100" prix-limite="500.00" pec="1"/>
	    <regle domaine="DENT" actes="SC" formule="br" taux="200" plafond="DENTAIRE"/>
	  </produit>
	</garanties>
	EOG
	{
		printf "#tiers\tpec\t1\tamc\tpec_number\tnir\tnir_key\tbirth_date\trang\tps_kind\tps_number\tdomain\tact_codes\tvalid_from\tvalid_to\tamount_eur\n"
		printf "900000001\tP1\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000001\tDENT\tSPR\t2026-01-01\t2026-12-31\t1000.00\n"
		printf "900000001\tP2\t1800575123001\t11\t1980-05-10\t1\tRPPS\t10000000002\tDENT\t\t2026-01-01\t2026-12-31\t300.00\n"
	} | mkstream pec.tsv &&
	printf "%s\n" "#tiers${T}claim${T}1${T}flow${T}sender${T}file_number${T}file_date${T}file${T}line${T}pos${T}regime${T}caisse${T}ps_kind${T}ps_number${T}invoice${T}invoice_date${T}invoice_total_eur${T}nir${T}nir_key${T}benef_nir${T}benef_nir_key${T}birth_date${T}rang${T}amc${T}adherent${T}line_no${T}act_date${T}act_code${T}coef${T}qty${T}fr_eur${T}br_eur${T}amo_rate_bp${T}amo_eur${T}pf_eur${T}franchise_eur${T}depassement_eur${T}tp${T}nature${T}ref_invoice${T}ref_line${T}flag" >claim.head &&
	printf "noemie-580\t017510001\t0000001\t2026-11-10\tday.580\t1\t1\t01\t751\tRPPS\t10000000001\t100000001\t2026-11-10\t30.00\t-\t-\t\t\t-\t1\t900000001\t-\t1\t2026-11-10\tG\t1.00\t1\t30.00\t30.00\t7000\t19.00\t2.00\t0.00\t0.00\t1\tpaid\t\t\t\n" >claim.base &&
	tiers-seal -q pec.tsv master.1.tsv master.2.tsv
'

# claims CASE DAY: the claim stream of one case and day, as noemie-decode
# writes it, from the table $cases; a row whose who is = is a line
# presented again, not a claim sent.
claims () {
	{
		cat claim.head
		awk -v cs="$1" -v day="$2" -v benefs="$benefs" -f "$TEST_DIRECTORY/claims.awk" "$cases"
	} | tiers-seal -r
}

# left CONSUMPTION COUNTER=...: what is left of the counter, its amount
# less the amounts of its events.
left () {
	ctr=${2%%=*}
	case $ctr in
	DENTAIRE) lim=10000 ;;
	pec:P1) lim=100000 ;;
	pec:P2) lim=30000 ;;
	*) echo "no such counter: $ctr" >&2; return 1 ;;
	esac
	col "$1" counter amount_eur | awk -F'\t' -v want="$ctr" -v lim=$lim '
	    $1 == want { a = $2; s += (a < 0 ? -1 : 1) * int((a < 0 ? -a : a) * 100 + 0.5) }
	    END { x = lim - s; printf "%s=%s%d.%02d\n", want, x < 0 ? "-" : "", (x < 0 ? -x : x) / 100, (x < 0 ? -x : x) % 100 }'
}

