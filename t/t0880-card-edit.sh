#!/bin/sh
test_description='card-edit: the cards of the day, their DataMatrix, and liquidate reading the cards issued'
. "$(dirname "$0")/test-lib.sh"

T='	'
# A client's card parameters: a family card for the product BASE, one
# per beneficiary for RENF; columns given as "DOM LABEL VALUE" lines.
params () {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<parametres-cartes xmlns="urn:tiers:cartes:1" amc="900000002">\n'
	for p in BASE:famille RENF:beneficiaire; do
		printf '  <carte produit="%s" par="%s">\n' "${p%:*}" "${p#*:}"
		printf '    <libelles amc="AMC" convention="Conv." csr="CSR" adherent="Adherent" validite="Validite"/>\n'
		printf '    <convention type="TP" csr="12"/>\n'
		printf '    <validite regle="fin-annee"/>\n'
		printf '    <calendrier renouvellement="12-01"/>\n'
		for d in $1; do
			printf '    <colonne domaine="%s" libelle="L%s" valeur="100 %%"/>\n' "$d" "$d"
		done
		printf '  </carte>\n'
	done
	printf '</parametres-cartes>\n'
}

# The beneficiaries (client 900000002), in the project's CSV:
#   C1: R (radiated on day 2, its file giving no end of service) and S,
#       a family card (BASE);  C2: U, no address (CE01);
#   C3: V, RENF, a card of its own;  C4: W, NP (no card asked);
#   C5: Y, rights ended before the day (CE04).
head='client,file_number,contract,contract_state,adherent,member_ref,benef_type,nir,nir_key,benef_nir,benef_nir_key,birth_date,rang,regime,caisse,centre,responsable,product_order,product_ref,product_start,product_end,tp_start,tp_end,activation,suspension_start,suspension_end,suspension_reason,card_movement,domains,address_1,address_2,address_3,address_4,address_5,address_6,address_7'
row () {	# file contract member type nir key birth product end tpend movement address
	f=$1 c=$2
	shift 2
	a=${10}
	printf '900000002,%s,%s,OU,%s,%s,%s,%s,%s,,,%s,1,01,751,0001,1,1,%s,2024-01-01,%s,2024-01-01,%s,AC,,,,%s,,%s,,,,,%s,\n' \
	    "$f" "$c" "$c" "$@" "${a:+75001 PARIS}"
}

test_expect_success 'setup: two days of beneficiary files, their masters, the parameters' '
	{
		echo "$head"
		row 1 C1 R AS 1700175123003 33 1970-01-15 BASE 2027-12-31 2027-12-31 CA "NOM R"
		row 1 C1 S CJ 1720275123011 40 1972-02-01 BASE 2027-12-31 2027-12-31 CA "NOM R"
		row 1 C2 U AS 1700175123004 32 1970-01-16 BASE 2027-12-31 2027-12-31 CC ""
		row 1 C3 V AS 1700175123005 31 1970-01-17 RENF 2027-12-31 2027-12-31 CC "NOM V"
		row 1 C4 W AS 1700175123006 30 1970-01-18 BASE 2027-12-31 2027-12-31 NP "NOM W"
		row 1 C5 Y AS 1700175123007 29 1970-01-19 BASE 2026-10-31 2026-10-31 CC "NOM Y"
	} >benef-900000002-1.csv &&
	{
		echo "$head"
		row 2 C1 R AS 1700175123003 33 1970-01-15 BASE 2026-11-19 "" RS "NOM R"
	} >benef-900000002-2.csv &&
	benef-integrate -d 2026-11-18 -o m1.tsv -M mv1.tsv -R r1.tsv benef-900000002-1.csv 2>/dev/null &&
	benef-integrate -d 2026-11-19 -m m1.tsv -o m2.tsv -M mv2.tsv -R r2.tsv benef-900000002-2.csv 2>/dev/null &&
	params "PHAR MEDG OPTI DENT" >cartes.xml &&
	mkdir pv1 pv2
'

test_expect_success 'day 1: the cards edited, the rest rejected or without card' '
	card-edit -d 2026-11-18 -p cartes.xml -m m1.tsv -M mv1.tsv -o k1.tsv -P p1.xml -R kr1.tsv \
	    -V pv1 2>err &&
	grep "^card-edit: 2026-11-18: 6 card movements: 2 cards edited (3 holders), 0 withdrawn, 1 without card, 2 rejected$" err &&
	tiers-seal -q k1.tsv kr1.tsv &&
	grep -v "^#" k1.tsv | cut -f2-10 >actual &&
	cat >expect <<-EOF &&
	C1${T}R${T}900000002-20261118-000001${T}2026-11-18${T}2026-11-18${T}2026-12-31${T}${T}famille${T}PHAR;MEDG;OPTI;DENT
	C1${T}S${T}900000002-20261118-000001${T}2026-11-18${T}2026-11-18${T}2026-12-31${T}${T}famille${T}PHAR;MEDG;OPTI;DENT
	C3${T}V${T}900000002-20261118-000002${T}2026-11-18${T}2026-11-18${T}2026-12-31${T}${T}beneficiaire${T}PHAR;MEDG;OPTI;DENT
	EOF
	test_cmp expect actual &&
	grep -v "^#" kr1.tsv | cut -f2,3,5 >actual &&
	printf "C2\tU\tCE01\nC5\tY\tCE04\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'the print file is valid against its schema, grouped by mailing, counted' '
	xmllint --noout --schema "$TIERS_TOP/formats/xsd/card-print.xsd" p1.xml 2>err &&
	grep -c "<envoi " p1.xml >n && echo 2 >expect && test_cmp expect n &&
	grep "<fin envois=\"2\" cartes=\"2\"/>" p1.xml &&
	test "$(test_mode p1.xml)" = "-rw-------" &&
	test "$(test_mode k1.tsv)" = "-rw-------"
'

test_expect_success 'every DataMatrix decodes back to its payload, which keeps the convention' '
	sed -n "s|.*<datamatrix>\(.*\)</datamatrix>.*|\1|p" p1.xml >payloads &&
	cat >expect <<-\EOF &&
	AMC#1#900000002#12#C1#TPPGOD/
	AMC#1#900000002#12#C3#TPPGOD/
	EOF
	test_cmp expect payloads &&
	grep -Evx "AMC#1#[0-9]{1,10}#[A-Z0-9]{0,3}#[!-~]{1,15}#([A-Z0-9]{2}[PGSLRF1IKY234COTHEADU*]+)(#[A-Z0-9]{2}[PGSLRF1IKY234COTHEADU*]+)*/" payloads >bad ;
	test_must_be_empty bad &&
	ls pv1 >list &&
	printf "card-000001.png\ncard-000001.svg\ncard-000002.png\ncard-000002.svg\n" >expect &&
	test_cmp expect list &&
	for f in pv1/*.png; do dmtxread -n "$f" || return 1; done >decoded &&
	test_cmp payloads decoded &&
	xmllint --noout pv1/card-000001.svg &&
	grep -c "<rect x=\"[0-9]*\" y=\"[0-9]*\" width=\"76\"" pv1/card-000001.svg >n &&
	echo 4 >expect && test_cmp expect n &&
	test "$(test_mode pv1/card-000001.png)" = "-rw-------"
'

test_expect_success 'same inputs and date, same bytes' '
	mkdir pv1b &&
	card-edit -d 2026-11-18 -p cartes.xml -m m1.tsv -M mv1.tsv -o k1b.tsv -P p1b.xml -R kr1b.tsv \
	    -V pv1b 2>/dev/null &&
	cmp k1.tsv k1b.tsv && cmp p1.xml p1b.xml && cmp kr1.tsv kr1b.tsv &&
	for f in $(ls pv1); do cmp pv1/$f pv1b/$f || return 1; done
'

test_expect_success 'day 2: the card returned is withdrawn, the generation carried' '
	card-edit -d 2026-11-19 -p cartes.xml -m m2.tsv -M mv2.tsv -c k1.tsv -o k2.tsv -P p2.xml \
	    -R kr2.tsv 2>err &&
	grep "1 card movements: 0 cards edited (0 holders), 1 withdrawn" err &&
	grep -v "^#" k2.tsv | cut -f3,8 >actual &&
	printf "R\t2026-11-19\nS\t\nV\t\n" >expect &&
	test_cmp expect actual &&
	grep "<fin envois=\"0\" cartes=\"0\"/>" p2.xml
'

test_expect_success 'a card of eleven columns is refused at its line' '
	params "PHAR MEDG MEDS LABO RADL SAGE LPPS AMI AMM AMY OPTI" >c11.xml &&
	test_expect_code 65 card-edit -d 2026-11-18 -p c11.xml -m m1.tsv -M mv1.tsv -o x.tsv \
	    -P x.xml -R xr.tsv 2>err &&
	grep "^card-edit: c11.xml:18: xsd: Element .{urn:tiers:cartes:1}colonne.: This element is not expected" err &&
	! test -e x.tsv && ! test -e x.xml
'

test_expect_success 'errors: usage, missing parameters, a movement not in the master' '
	test_expect_code 64 card-edit -d 2026-11-18 -m m1.tsv 2>err &&
	grep "^usage: card-edit " err &&
	test_expect_code 66 card-edit -d 2026-11-18 -p none.xml -m m1.tsv -M mv1.tsv -o x.tsv \
	    -P x.xml -R xr.tsv 2>err &&
	grep -v "${T}C5${T}" m1.tsv | tiers-seal -r >m0.tsv &&
	test_expect_code 65 card-edit -d 2026-11-18 -p cartes.xml -m m0.tsv -M mv1.tsv -o x.tsv \
	    -P x.xml -R xr.tsv 2>err &&
	grep "^card-edit: mv1.tsv:[0-9]*: member_ref: a movement of a beneficiary not in the master$" err &&
	params "PHAR" | sed "s/900000002/900000009/" >other.xml &&
	test_expect_code 65 card-edit -d 2026-11-18 -p other.xml -m m1.tsv -M mv1.tsv -o x.tsv \
	    -P x.xml -R xr.tsv 2>err &&
	grep "amc: not the client of the card parameters" err &&
	! test -e x.tsv
'

# A periodic edition on 2026-12-01, the day of the annual edition: on
# day 1's master and cards, with Z of eleven domains added on day 3.
elevendoms='PHAR:1:BR;MEDG:1:BR;MEDS:1:BR;LABO:1:BR;RADL:1:BR;SAGE:1:BR;LPPS:1:BR;AMI:1:BR;AMM:1:BR;AMY:1:BR;OPTI:1:BR'
test_expect_success 'periodic: the summary alone, its counts, refusals and hash' '
	{
		echo "$head"
		row 3 C6 Z AS 1700175123008 28 1970-01-20 BASE 2027-12-31 2027-12-31 "" "NOM Z" |
		    sed "s/,,NOM Z,/,$elevendoms,NOM Z,/"
	} >benef-900000002-3.csv &&
	benef-integrate -d 2026-11-20 -m m1.tsv -o m3.tsv -M mv3.tsv -R r3.tsv benef-900000002-3.csv 2>/dev/null &&
	mkdir spv &&
	card-edit -E -d 2026-12-01 -p cartes.xml -m m3.tsv -c k1.tsv -S s.tsv -V spv >hash 2>err &&
	grep "^card-edit: 2026-12-01: periodic edition: 7 beneficiaries: 3 cards to edit (4 holders), 2 refused, 0 holding a valid card, 1 without rights$" err &&
	tiers-seal -q s.tsv &&
	sha256sum s.tsv >expect && test_cmp expect hash &&
	test "$(test_mode s.tsv)" = "-rw-------" &&
	grep -v "^#" s.tsv | cut -f1-10 >actual &&
	cat >expect <<-EOF &&
	count${T}900000002${T}BASE${T}PHAR;MEDG;OPTI;DENT${T}2${T}3${T}${T}${T}${T}
	count${T}900000002${T}RENF${T}PHAR;MEDG;OPTI;DENT${T}1${T}1${T}${T}${T}${T}
	refused${T}900000002${T}BASE${T}PHAR;MEDG;OPTI;DENT${T}${T}${T}C2${T}U${T}CE01${T}no mailing address
	refused${T}900000002${T}BASE${T}PHAR;MEDG;MEDS;LABO;RADL;SAGE;LPPS;AMI;AMM;AMY;OPTI${T}${T}${T}C6${T}Z${T}CE05${T}more than ten domains
	preview${T}900000002${T}BASE${T}PHAR;MEDG;OPTI;DENT${T}1${T}2${T}C1${T}R${T}900000002-20261201-000001${T}
	preview${T}900000002${T}RENF${T}PHAR;MEDG;OPTI;DENT${T}1${T}1${T}C3${T}V${T}900000002-20261201-000002${T}
	preview${T}900000002${T}BASE${T}PHAR;MEDG;OPTI;DENT${T}1${T}1${T}C4${T}W${T}900000002-20261201-000003${T}
	EOF
	test_cmp expect actual &&
	grep -v "^#" s.tsv | sed -n 5p | cut -f11-13 >actual &&
	printf "2026-12-01\t2027-12-31\tAMC#1#900000002#12#C1#TPPGOD/\n" >expect &&
	test_cmp expect actual &&
	ls spv | wc -l >n && echo 6 >expect && test_cmp expect n &&
	! ls k.tsv p.xml kr.tsv 2>/dev/null
'

test_expect_success 'periodic: same inputs, same summary bytes' '
	card-edit -E -d 2026-12-01 -p cartes.xml -m m3.tsv -c k1.tsv -S s2.tsv >/dev/null 2>&1 &&
	cmp s.tsv s2.tsv
'

test_expect_success 'periodic: a hash not the summary approved is refused, nothing published' '
	bad=$(echo x | sha256sum | cut -c1-64) &&
	test_expect_code 65 card-edit -E -A "$bad" -d 2026-12-01 -p cartes.xml -m m3.tsv -c k1.tsv \
	    -S sa.tsv -o k.tsv -P p.xml -R kr.tsv 2>err &&
	grep "^card-edit: the summary approved is not this run.s: sa.tsv has SHA-256 $(cut -c1-64 hash)$" err &&
	! ls sa.tsv k.tsv p.xml kr.tsv 2>/dev/null &&
	test_expect_code 64 card-edit -E -A 12ab -d 2026-12-01 -p cartes.xml -m m3.tsv \
	    -S sa.tsv -o k.tsv -P p.xml -R kr.tsv 2>err &&
	test_expect_code 64 card-edit -E -d 2026-12-01 -p cartes.xml -m m3.tsv -S sa.tsv -o k.tsv 2>err &&
	grep "^usage: card-edit " err &&
	test_expect_code 64 card-edit -E -d 2026-12-01 -p cartes.xml -m m3.tsv -M mv1.tsv -S sa.tsv 2>err &&
	test_expect_code 64 card-edit -d 2026-11-18 -p cartes.xml -m m1.tsv -M mv1.tsv -S sa.tsv \
	    -o k.tsv -P p.xml -R kr.tsv 2>err &&
	test_expect_code 74 card-edit -E -d 2026-12-01 -p cartes.xml -m m3.tsv -S sa.tsv >/dev/full 2>err &&
	grep "^card-edit: stdout: " err &&
	! ls sa.tsv 2>/dev/null
'

test_expect_success 'periodic: the summary approved, the cards edited' '
	mkdir epv &&
	card-edit -E -A "$(cut -c1-64 hash)" -d 2026-12-01 -p cartes.xml -m m3.tsv -c k1.tsv \
	    -S sa.tsv -o k.tsv -P p.xml -R kr.tsv -V epv >hash2 2>err &&
	cmp s.tsv sa.tsv &&
	grep "3 cards edited (4 holders), 2 refused" err &&
	xmllint --noout --schema "$TIERS_TOP/formats/xsd/card-print.xsd" p.xml 2>/dev/null &&
	grep "<fin envois=\"3\" cartes=\"3\"/>" p.xml &&
	tiers-seal -q k.tsv kr.tsv &&
	grep -v "^#" k.tsv | cut -f3,5,7,8 >actual &&
	cat >expect <<-EOF &&
	R${T}2026-11-18${T}2026-12-31${T}
	R${T}2026-12-01${T}2027-12-31${T}
	S${T}2026-11-18${T}2026-12-31${T}
	S${T}2026-12-01${T}2027-12-31${T}
	V${T}2026-11-18${T}2026-12-31${T}
	V${T}2026-12-01${T}2027-12-31${T}
	W${T}2026-12-01${T}2027-12-31${T}
	EOF
	test_cmp expect actual &&
	grep -v "^#" kr.tsv | cut -f2,3,5 >actual &&
	printf "C2\tU\tCE01\nC6\tZ\tCE05\n" >expect &&
	test_cmp expect actual &&
	for f in epv/*.png; do dmtxread -n "$f" || return 1; done >decoded &&
	sed -n "s|.*<datamatrix>\(.*\)</datamatrix>.*|\1|p" p.xml >expect &&
	test_cmp expect decoded
'

test_expect_success 'periodic: a run on the new generation finds every card valid' '
	card-edit -E -d 2026-12-02 -p cartes.xml -m m3.tsv -c k.tsv -S s3.tsv >/dev/null 2>err &&
	grep "0 cards to edit (0 holders), 2 refused, 4 holding a valid card, 1 without rights" err
'

# codes DECISIONS: claim, destination, code, AMC.
codes () {
	awk -F"\t" "/^#tiers/ { for (i = 1; i <= NF; i++) c[\$i] = i - 3; next } /^#/ { next }
	    { print \$1, \$c[\"dest\"], \$c[\"code\"], \$c[\"amc_eur\"] }" "$1"
}

# liquidate, 3.1.4 second case: R is radiated from 2026-11-19 by a file
# giving no end of service; the card it was issued runs to 2026-12-31
# (day 1's generation); day 2's has it returned on 2026-11-19.
test_expect_success 'liquidate -k: a radiated beneficiary with a valid card is paid ps-recover, one whose card expired is rejected' '
	cat >g.xml <<-\EOG &&
	<?xml version="1.0" encoding="UTF-8"?>
	<garanties xmlns="urn:tiers:garanties:1" amc="900000002">
	  <produit ref="BASE">
	    <regle domaine="MEDG" formule="br" taux="100"/>
	    <regle domaine="OPTI" formule="fixe" montant="150.00"/>
	  </produit>
	</garanties>
	EOG
	printf "%s\n" "#tiers${T}claim${T}1${T}flow${T}sender${T}file_number${T}file_date${T}file${T}line${T}pos${T}regime${T}caisse${T}ps_kind${T}ps_number${T}invoice${T}invoice_date${T}invoice_total_eur${T}nir${T}nir_key${T}benef_nir${T}benef_nir_key${T}birth_date${T}rang${T}amc${T}adherent${T}line_no${T}act_date${T}act_code${T}coef${T}qty${T}fr_eur${T}br_eur${T}amo_rate_bp${T}amo_eur${T}pf_eur${T}franchise_eur${T}depassement_eur${T}tp${T}nature${T}ref_invoice${T}ref_line${T}flag${T}dup${T}dup_id${T}dup_ref${T}dup_paid_eur" >claims.raw &&
	for c in 1:2026-12-10:G 2:2027-01-15:G 3:2026-11-19:G; do
		n=${c%%:*} d=${c#*:} d=${d%:*} a=${c##*:}
		printf "noemie-580\t017510001\t0000001\t2027-01-20\tday.580\t$n\t1\t01\t751\tRPPS\t10000000001\t10000000$n\t$d\t30.00\t1700175123003\t33\t\t\t1970-01-15\t1\t900000002\tC1\t1\t$d\t$a\t1.00\t1\t30.00\t30.00\t7000\t19.00\t2.00\t0.00\t0.00\t1\tpaid\t\t\t\tfirst\tc$n\t\t\n" || return 1
	done >>claims.raw &&
	mkstream claims.tsv <claims.raw &&
	liquidate -d 2027-01-20 -g g.xml -m m2.tsv -k k1.tsv -C kc.cons -o kd.tsv claims.tsv 2>/dev/null &&
	codes kd.tsv >actual &&
	printf "c1 ps-recover LQ03 9.00\nc2 reject LQ02 0.00\nc3 ps LQ00 9.00\n" >expect &&
	test_cmp expect actual &&
	liquidate -d 2027-01-20 -g g.xml -m m2.tsv -k k2.tsv -C wc.cons -o wd.tsv claims.tsv 2>/dev/null &&
	codes wd.tsv >actual &&
	printf "c1 reject LQ02 0.00\nc2 reject LQ02 0.00\nc3 ps LQ00 9.00\n" >expect &&
	test_cmp expect actual &&
	liquidate -d 2027-01-20 -g g.xml -m m2.tsv -C nc.cons -o nd.tsv claims.tsv 2>/dev/null &&
	codes nd.tsv >actual &&
	printf "c1 ps-recover LQ03 9.00\nc2 ps-recover LQ03 9.00\nc3 ps LQ00 9.00\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'liquidate -k: a master without domains checked against the card (LQ06)' '
	awk -F"\t" -v OFS="\t" "NR == 4 { \$25 = \"AMI\" } { print }" claims.raw | mkstream ami.tsv &&
	liquidate -d 2027-01-20 -g g.xml -m m2.tsv -k k1.tsv -C ac.cons -o ad.tsv ami.tsv 2>/dev/null &&
	codes ad.tsv >actual &&
	printf "c1 ps-recover LQ03 9.00\nc2 reject LQ02 0.00\nc3 reject LQ06 0.00\n" >expect &&
	test_cmp expect actual &&
	liquidate -d 2027-01-20 -g g.xml -m m2.tsv -C an.cons -o an.tsv ami.tsv 2>/dev/null &&
	codes an.tsv | sed -n 3p >actual &&
	echo "c3 reject LQ07 0.00" >expect &&
	test_cmp expect actual
'

# The nightly: a client's card parameters received with its files.
sample=$TIERS_TOP/testdata/sample
test_expect_success 'nightly: the cards stage edits, keeps the parameters and the generation, liquidate reads it' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-18 "$sample"/2026-11-19 data/inbox/ &&
	cp "$TIERS_TOP/testdata/cards/cartes-649010000.xml" data/inbox/2026-11-18/ &&
	tiers-nightly -I 2026-11-18 data >out &&
	d=data/days/2026-11-18 &&
	grep "^cards .*cartes-649010000.xml .*received" out &&
	grep "^cards .*649010000 .*cards .*ok" out &&
	test -f $d/state/cardparams/649010000.xml &&
	tiers-seal -q $d/state/cards/649010000.cards.tsv $d/out/cards/649010000.rejects.tsv &&
	xmllint --noout --schema "$TIERS_TOP/formats/xsd/card-print.xsd" \
	    $d/out/cards/649010000.print.xml 2>/dev/null &&
	sed -n "s|.*<datamatrix>\(.*\)</datamatrix>.*|\1|p" $d/out/cards/649010000.print.xml >payloads &&
	test -s payloads &&
	for f in $(ls $d/out/cards/649010000/*.png | sed 3q); do dmtxread -n "$f" || return 1; done >decoded &&
	sed 3q payloads >expect &&
	test_cmp expect decoded &&
	{ tiers-nightly 2026-11-19 data >out2 || test $? = 1; } &&
	test -f data/days/2026-11-19/state/cards/649010000.cards.tsv &&
	test $(grep -vc "^#" data/days/2026-11-19/state/cards/649010000.cards.tsv) -ge \
	    $(grep -vc "^#" $d/state/cards/649010000.cards.tsv) &&
	grep "^liquidate: 2026-11-19: " data/days/2026-11-19/log/liquidate.err
'


# The card movements of a client without parameters wait for them; a
# parameter file refused leaves its client's waiting as well.
# cardrows FILE: contract and member of each movement asking for a card.
cardrows () {
	awk -F"\t" "!/^#/ && \$5 == \"card\" && \$9 ~ /^(CA|CC|EE|MC|RC)\$/ { print \$3, \$4 }" "$1" |
	    sort -u
}
test_expect_success 'nightly: movements wait for the parameters, and are edited the day they come' '
	mkdir -p late/inbox &&
	cp -R "$sample"/2026-11-18 "$sample"/2026-11-19 late/inbox/ &&
	echo "<parametres-cartes" >late/inbox/2026-11-18/cartes-877370001.xml &&
	cp "$TIERS_TOP/testdata/cards/cartes-649010000.xml" late/inbox/2026-11-19/ &&
	{ tiers-nightly -I 2026-11-18 late >out || test $? = 1; } &&
	d1=late/days/2026-11-18 d2=late/days/2026-11-19 &&
	grep "^cards .*cartes-877370001.xml .*refused" out &&
	test ! -f $d1/state/cardparams/877370001.xml &&
	for c in 502010002 649010000 877370001; do
		tiers-seal -q $d1/state/cards/$c.waiting.tsv &&
		cardrows $d1/out/benef/$c.movements.tsv >expect &&
		test -s expect &&
		cardrows $d1/state/cards/$c.waiting.tsv >actual &&
		test_cmp expect actual &&
		grep "^cards	$c	card-waiting	$(wc -l <expect)	" $d1/summary.tsv || return 1
	done &&
	test ! -f $d1/state/cards/649010000.cards.tsv &&
	{ tiers-nightly 2026-11-19 late >out2 || test $? = 1; } &&
	test ! -f $d2/state/cards/649010000.waiting.tsv &&
	tiers-seal -q $d2/state/cards/502010002.waiting.tsv &&
	{ cardrows $d1/out/benef/649010000.movements.tsv &&
	  cardrows $d2/out/benef/649010000.movements.tsv; } | sort -u >expect &&
	{ grep -v "^#" $d2/state/cards/649010000.cards.tsv | cut -f2,3 &&
	  grep -v "^#" $d2/out/cards/649010000.rejects.tsv | cut -f2,3; } | tr "\t" " " | sort -u >actual &&
	test_cmp expect actual &&
	grep "^card-edit: 2026-11-19: $(wc -l <expect) card movements: " $d2/log/cards.err
'

test_expect_success 'nightly: the waiting movements merged give the same bytes again' '
	tiers-nightly -s cards 2026-11-19 late >/dev/null 2>&1 &&
	cmp late/days/2026-11-19/state/cards/649010000.cards.tsv \
	    late/scratch/2026-11-19.cards/state/cards/649010000.cards.tsv &&
	cmp late/days/2026-11-19/out/cards/649010000.print.xml \
	    late/scratch/2026-11-19.cards/out/cards/649010000.print.xml
'

test_expect_success 'nightly: a parameter file refused, the earlier kept, the day'"'"'s movements wait' '
	cp -R "$sample"/2026-11-20 late/inbox/ &&
	echo "<parametres-cartes" >late/inbox/2026-11-20/cartes-649010000.xml &&
	{ tiers-nightly 2026-11-20 late >out3 || test $? = 1; } &&
	d3=late/days/2026-11-20 &&
	grep "^cards .*cartes-649010000.xml .*refused" out3 &&
	cmp "$TIERS_TOP/testdata/cards/cartes-649010000.xml" $d3/state/cardparams/649010000.xml &&
	test ! -f $d3/out/cards/649010000.print.xml &&
	cmp late/days/2026-11-19/state/cards/649010000.cards.tsv $d3/state/cards/649010000.cards.tsv &&
	cardrows $d3/out/benef/649010000.movements.tsv >expect &&
	test -s expect &&
	cardrows $d3/state/cards/649010000.waiting.tsv >actual &&
	test_cmp expect actual
'

# -W, the movements waiting for parameters, from a table: each row a
# movement (source: the waiting stream of the day before "w" or the
# day's "d"), and whether the next waiting stream holds it, with -a or
# without.  Keys of different lengths (m1 before m10), a beneficiary
# whose day movement is not a card's (the waiting one stays), a card
# movement that asks for none (it replaces the waiting one, and waits
# only with -a), two of the day for one beneficiary (in their order).
test_expect_success '-W: the waiting movements merged with the day'"'"'s, in the master'"'"'s order' '
	mvh="#tiers${T}benef-movement${T}1${T}business_date${T}amc${T}contract${T}member_ref${T}movement${T}retroactive${T}old_rights_end${T}new_rights_end${T}card_movement${T}file${T}line" &&
	cat >wtable <<-EOF &&
	# src amc contract member movement card_mv  kept kept-with-a
	w A 1 m1 card CA  0 0
	w A 1 m2 card CC  1 1
	w A 2 m1 card EE  0 0
	w A 2 m10 card MC  1 1
	w B 1 m1 card RC  0 0
	d A 2 m1 card XX  0 1
	d A 1 m2 update -  0 1
	d A 1 m1 card CA  1 1
	d A 0 m9 card CC  1 1
	d A 2 m1 card CC  1 1
	d B 1 m1 card EE  1 1
	EOF
	row () { printf "2026-11-18${T}%s${T}%s${T}%s${T}%s${T}0${T}${T}${T}%s${T}f.xml${T}%s\n" "$@"; } &&
	{ echo "$mvh" && echo "#business_date${T}2026-11-18" &&
	  awk "\$1 == \"w\"" wtable | while read -r s a c m mv cm k ka; do
		row $a $c $m $mv "$(test $cm = - || echo $cm)" $a$c$m; done; } | tiers-seal -r >wold.tsv &&
	{ echo "$mvh" &&
	  awk "\$1 == \"d\"" wtable | while read -r s a c m mv cm k ka; do
		row $a $c $m $mv "$(test $cm = - || echo $cm)" $a$c$m$cm; done; } | tiers-seal -r >wday.tsv &&
	card-edit -W -w wold.tsv -d 2026-11-19 -M wday.tsv -o wnew.tsv 2>werr &&
	card-edit -W -a -w wold.tsv -d 2026-11-19 -M wday.tsv -o wnewa.tsv 2>/dev/null &&
	tiers-seal wnew.tsv >/dev/null && tiers-seal wnewa.tsv >/dev/null &&
	sed -n 1p wnew.tsv >h && sed -n 1p wday.tsv | cmp - h &&
	grep -x "#business_date${T}2026-11-19" wnew.tsv &&
	printf "A0m9CC\nA1m1CA\nA1m2\nA2m1CC\nA2m10\nB1m1EE\n" >expect &&
	grep -v "^#" wnew.tsv | cut -f11 >actual && test_cmp expect actual &&
	printf "A0m9CC\nA1m1CA\nA1m2\nA1m2-\nA2m1XX\nA2m1CC\nA2m10\nB1m1EE\n" >expect &&
	grep -v "^#" wnewa.tsv | cut -f11 >actual && test_cmp expect actual &&
	grep "^card-edit: 2026-11-19: 6 movements of the day, 4 kept; 5 waiting before, 2 still; 6 waiting now" werr &&
	card-edit -W -d 2026-11-19 -M wday.tsv -o wfirst.tsv 2>/dev/null &&
	grep -v "^#" wfirst.tsv | cut -f11 >actual &&
	printf "A0m9CC\nA1m1CA\nA2m1CC\nB1m1EE\n" >expect && test_cmp expect actual
'

test_expect_success '-W: a waiting stream out of the master'"'"'s order is malformed (65), nothing written' '
	{ sed -n 1,2p wold.tsv && grep -v "^#" wold.tsv | sort -r; } | grep -v "^#end" | tiers-seal -r >wbad.tsv &&
	test_expect_code 65 card-edit -W -w wbad.tsv -d 2026-11-19 -M wday.tsv -o wno.tsv 2>err &&
	grep "^card-edit: wbad.tsv:[0-9]*: member_ref: not in the order of the master" err &&
	test ! -e wno.tsv &&
	test_expect_code 64 card-edit -W -d 2026-11-19 -M wday.tsv 2>/dev/null &&
	test_expect_code 64 card-edit -a -d 2026-11-19 -M wday.tsv -o x.tsv 2>/dev/null &&
	test_expect_code 64 card-edit -W -m m.tsv -d 2026-11-19 -M wday.tsv -o x.tsv 2>/dev/null
'

test_done
