#!/bin/sh
test_description='benef-integrate: beneficiary files into the master'
. "$(dirname "$0")/test-lib.sh"

REF=$SHARED/ref/almerys-normev3

# bi DATE [options] files...: integrate into m.DATE, mv.DATE, rej.DATE.
bi () {
	d=$1
	shift
	benef-integrate -d "$d" -o m.$d -M mv.$d -R rej.$d "$@"
}

# records FILE: the records, without metadata.
records () {
	grep -v '^#' "$1"
}

test_expect_success 'setup: three days of files from the generator' '
	tiers-gen -s 5 -d 3 -n 10 -b 800 -p 10 -D 2026-11-18 -o g
'

test_expect_success 'day 1: the whole population is created' '
	bi 2026-11-18 -w st.2026-11-18 g/2026-11-18/benef-[0-9]* 2>err &&
	tiers-seal -q m.2026-11-18 mv.2026-11-18 rej.2026-11-18 st.2026-11-18 &&
	test $(records m.2026-11-18 | wc -l) = 800 &&
	test $(col mv.2026-11-18 movement | grep -c "^create\$") = 800 &&
	test $(records rej.2026-11-18 | wc -l) = 0 &&
	grep "800 entries, 0 rejected; master 0 -> 800; 800 created" err
'

# truth DAY KEY: what the generator says.
truth () {
	awk -F'\t' -v k="$2" '$1 == k { print $2 }' g/truth/$1/benef-truth.tsv
}

test_expect_success 'days 2 and 3: movements and rejects as the generator made them' '
	prev=2026-11-18 &&
	for d in 2026-11-19 2026-11-20; do
		bi $d -m m.$prev -s st.$prev -w st.$d g/$d/benef-[0-9]* 2>err.$d || exit 1
		test $(col rej.$d code | grep -c BI01) = $(truth $d reject_nir) &&
		test $(col rej.$d code | grep -c BI05) = $(truth $d reject_overlap) &&
		test $(records rej.$d | wc -l) = $(($(truth $d reject_nir) + $(truth $d reject_overlap))) &&
		test $(awk -F"\t" "$COLS"" \$c[\"retroactive\"] == 1" mv.$d | wc -l) = $(truth $d retroactive) &&
		test $(col mv.$d movement | grep -c "^modify\$") = $(truth $d modify) &&
		test $(records m.$d | wc -l) = 800 || exit 1
		prev=$d
	done &&
	test $(truth 2026-11-19 retroactive) -gt 0 &&
	test $(truth 2026-11-20 reject_nir) -gt 0
'

test_expect_success 'a file already integrated is skipped, and says so' '
	grep "benef-.*-resent.xml: sender .* file 2 already integrated: skipped" err.2026-11-20
'

test_expect_success 'the master is sorted on its key, one record per key' '
	records m.2026-11-20 | cut -f1-3 >keys &&
	LC_ALL=C sort -t "	" -k1,1 -k2,2 -k3,3 -u keys >sorted &&
	test_cmp sorted keys
'

test_expect_success 'a retroactive radiation gives the old and new ends' '
	awk -F"\t" "$COLS"" \$c[\"retroactive\"] == 1 {
	    if (!(\$c[\"new_rights_end\"] < \$c[\"old_rights_end\"]) || \$c[\"movement\"] != \"radiate\") bad++; n++ }
	    END { exit bad > 0 || n == 0 }" mv.2026-11-19
'

test_expect_success 'the same files again, without the state: nothing changes' '
	benef-integrate -d 2026-11-18 -m m.2026-11-18 -o m.again -M mv.again -R rej.again \
	    g/2026-11-18/benef-[0-9]* 2>/dev/null &&
	records m.again >a && records m.2026-11-18 >b &&
	test_cmp b a &&
	test $(records mv.again | wc -l) = 0
'

test_expect_success 'the same files again, with the state: skipped, nothing changes' '
	benef-integrate -d 2026-11-20 -m m.2026-11-19 -s st.2026-11-19 -o m.again2 \
	    -M mv.again2 -R rej.again2 g/2026-11-19/benef-[0-9]* 2>err &&
	test $(grep -c "already integrated: skipped" err) = 3 &&
	records m.again2 >a && records m.2026-11-19 >b &&
	test_cmp b a
'

test_expect_success 'same input, same bytes, whatever the locale, zone and umask' '
	(umask 0 && LC_ALL=fr_FR.UTF-8 TZ=Asia/Tokyo benef-integrate -d 2026-11-19 \
	    -m m.2026-11-18 -s st.2026-11-18 -o x.m -M x.mv -R x.rej g/2026-11-19/benef-[0-9]* 2>/dev/null) &&
	cmp x.m m.2026-11-19 && cmp x.mv mv.2026-11-19 && cmp x.rej rej.2026-11-19 &&
	test "$(test_mode x.m)" = "-rw-------" && test "$(test_mode x.mv)" = "-rw-------" && test "$(test_mode x.rej)" = "-rw-------"
'

test_expect_success 'messages never show a NIR' '
	col m.2026-11-18 nir | sort -u >nirs &&
	test -s nirs &&
	! cat err* | grep -F -f nirs
'

# The CSV rules, from a table.  A base row, then for each case the columns
# to change (name=value, ...) and the code expected.
HDR=client,file_number,contract,contract_state,adherent,member_ref,benef_type,nir,nir_key,benef_nir,benef_nir_key,birth_date,rang,regime,caisse,centre,responsable,product_order,product_ref,product_start,product_end,tp_start,tp_end,activation,suspension_start,suspension_end,suspension_reason,card_movement,domains,address_1,address_2,address_3,address_4,address_5,address_6,address_7
BASE='123456789,1,C1,OU,,M1,AS,2690549588157,80,,,1969-05-15,1,01,751,0001,1,1,BASE,2026-01-01,2026-12-31,2026-01-01,2026-12-31,AC,,,,CA,PHAR:100:PC,"Mme X",1 rue,,,,,'

# row CHANGES: the base row with name=value changes (";"-separated).
row () {
	echo "$BASE" | awk -F, -v OFS=, -v hdr="$HDR" -v ch="$1" '
	BEGIN { n = split(hdr, h, ","); for (i = 1; i <= n; i++) idx[h[i]] = i }
	{
		k = split(ch, a, ";")
		for (i = 1; i <= k; i++) {
			split(a[i], kv, "=")
			if (a[i] != "" && a[i] != "-")
				$idx[kv[1]] = kv[2]
		}
		print
	}'
}

cat >cases <<'EOF'
valid	-	-
bad-key			nir_key=81	BI01
malformed-nir		nir=26905X9588157	BI01
key-without-nir		nir=	BI01
benef-nir-key		benef_nir=1690549588157;benef_nir_key=99	BI01
tp-reversed		tp_start=2026-12-31;tp_end=2026-01-01	BI02
product-reversed	product_start=2026-12-31;product_end=2026-01-01	BI02
suspension-reversed	suspension_start=2026-06-01;suspension_end=2026-05-01	BI02
products-outside-tp	tp_start=2027-01-01;tp_end=2027-12-31	BI02
birth-future		birth_date=2027-01-01	BI03
birth-malformed		birth_date=1969-13-01	BI03
birth-missing		birth_date=	BI03
rang-zero		rang=0	BI04
rang-ten		rang=10	BI04
unknown-state		contract_state=ZZ	BI06
unknown-type		benef_type=XX	BI06
unknown-card		card_movement=ZZ	BI06
unknown-activation	activation=XX	BI06
unknown-responsable	responsable=2	BI06
unknown-member-closed	contract_state=FE	BI07
no-member-ref		member_ref=	BI09
date-format		tp_start=2026/01/01	BI10
product-date-format	product_end=31-12-2026	BI10
EOF

test_expect_success 'every rule rejects with its code (table)' '
	fail=0
	while IFS="	" read name changes code; do
		test -n "$name" || continue
		{ echo "$HDR"; row "$changes"; } >case.csv
		benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej case.csv 2>c.err
		st=$?
		got=$(records c.rej | cut -f6)
		n=$(records c.m | wc -l)
		if test "$code" = - || test -z "$code"; then
			test $st = 0 && test -z "$got" && test $n = 1 || {
				echo "$name: status $st, code $got, $n records"; fail=1; }
		elif test $st != 0 || test "$got" != "$code" || test $n != 0; then
			echo "$name: status $st, code \"$got\", want $code, $n records"
			cat c.err
			fail=1
		fi
	done <cases
	test $fail = 0
'

# unhex: %NN to the byte of hexadecimal code NN.
unhex () {
	perl -pe 's/%([0-9a-f]{2})/chr hex $1/ge'
}

# The CSV's syntax, from t0600-csv-syntax.tsv: the bad row after a good
# one, so that line 3 is the one named.  The master given out is the
# previous one (none here), the movements and rejects are not.
test_expect_success 'a field outside its syntax refuses the file (table)' '
	fail=0
	rm -rf tmp && mkdir tmp &&
	while IFS="	" read -r name changes msg; do
		case $name in "#"*|"") continue ;; esac
		{ echo "$HDR"; row ""; row "$changes"; } | unhex >syn.csv
		rm -f y.m y.mv y.rej
		TMPDIR=$PWD/tmp benef-integrate -d 2026-11-18 -o y.m -M y.mv -R y.rej \
		    syn.csv 2>y.err
		st=$?
		echo "benef-integrate: syn.csv:3: $msg (file refused)" >expect
		if test $st != 65 || ! test_cmp expect y.err >/dev/null ||
		    test $(records y.m | wc -l) != 0 || test -e y.mv || test -e y.rej ||
		    test -n "$(ls -A tmp)" || ls -A | grep -q "^\.y\." ||
		    grep -q 2690549588157 y.err; then
			echo "$name: status $st"; cat y.err; fail=1
		fi
	done <"$TIERS_TOP/t/t0600-csv-syntax.tsv"
	test $fail = 0
'

# The card and account columns, all nine after address_7 or none.
test_expect_success 'CSV with the card and account columns: kept in the master, checked (BI12, BI02)' '
	H2="$HDR,card_number,card_start,card_end,card_background,card_annex,rib_holder,rib_iban,rib_bic,compensation" &&
	C2=",8012345678,2026-01-01,2026-12-31,F01,A1;A2,Mme X,FR7630006000011234567890189,AGRIFRPPXXX,1" &&
	{ echo "$H2"; echo "$BASE$C2"; } >card.csv &&
	benef-integrate -d 2026-11-18 -o card.m -M card.mv -R card.rej card.csv 2>err &&
	test "$(records card.m | wc -l)" = 1 && test "$(records card.rej | wc -l)" = 0 &&
	awk -F"\t" "/^#tiers/ { for (i = 4; i <= NF; i++) c[\$i] = i - 3; next } /^#/ { next }
	    { print \$c[\"card_number\"], \$c[\"card_start\"], \$c[\"card_end\"], \$c[\"card_background\"],
	      \$c[\"card_annex\"], \$c[\"rib_iban\"], \$c[\"rib_bic\"], \$c[\"compensation\"] }" card.m >actual &&
	echo "8012345678 2026-01-01 2026-12-31 F01 A1;A2 FR7630006000011234567890189 AGRIFRPPXXX 1" >expect &&
	test_cmp expect actual &&
	{ echo "$H2"; echo "$BASE,8012345678,2026-01-01,2026-12-31,F01,A1,Mme X,FR7630006000011234567890188,AGRIFRPPXXX,1"; } >badiban.csv &&
	benef-integrate -d 2026-11-18 -o bi.m -M bi.mv -R bi.rej badiban.csv 2>err &&
	test "$(records bi.m | wc -l)" = 0 && grep -v "^#" bi.rej | cut -f6 | grep -qx BI12 &&
	{ echo "$H2"; echo "$BASE,8012345678,2026-12-31,2026-01-01,F01,A1,,,,"; } >revcard.csv &&
	benef-integrate -d 2026-11-18 -o rc.m -M rc.mv -R rc.rej revcard.csv 2>err &&
	test "$(records rc.m | wc -l)" = 0 && grep -v "^#" rc.rej | cut -f6 | grep -qx BI02 &&
	{ echo "$H2"; echo "$BASE"; } >short.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o s.m -M s.mv -R s.rej short.csv 2>err &&
	grep "^benef-integrate: short.csv:2: -: 36 fields, not 45 (file refused)\$" err &&
	{ echo "$H2"; echo "$BASE,80 12,,,,,,,,"; } >synt.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o s.m -M s.mv -R s.rej synt.csv 2>err &&
	grep "^benef-integrate: synt.csv:2: card_number: not 1 to 30 printable ASCII characters without spaces (file refused)\$" err &&
	echo "$H2" >headonly.csv &&
	benef-integrate -d 2026-11-18 -o h.m -M h.mv -R h.rej headonly.csv 2>err &&
	test "$(records h.m | wc -l)" = 0
'

# Movements, from a table: a beneficiary integrated on 2026-11-17 (the
# base row with the day-1 changes), then on 2026-11-18 one file a
# "|"-separated change list (several: several entries of one day, in
# file order); the movements expected, but the card ones: movement,
# retroactive, old_rights_end, new_rights_end, "|"-separated.  The base
# row's rights end on 2026-12-31 (its product's and its service's end).
cat >mvcases <<'EOF'
retroactive	-	product_end=2026-06-30;tp_end=2026-06-30	radiate 1 2026-12-31 2026-06-30
retro-day-before	-	product_end=2026-11-17;tp_end=2026-11-17	radiate 1 2026-12-31 2026-11-17
end-today	-	product_end=2026-11-18;tp_end=2026-11-18	radiate 0 2026-12-31 2026-11-18
end-future	-	product_end=2026-12-15;tp_end=2026-12-15	radiate 0 2026-12-31 2026-12-15
extended	-	product_end=2027-06-30;tp_end=2027-06-30	modify 0 2026-12-31 2027-06-30
state-closed	-	contract_state=FE	radiate 0 2026-12-31 2026-12-31
other-change	-	address_2=2 rue	modify 0 2026-12-31 2026-12-31
open-then-cut	product_end=;tp_end=	product_end=2026-06-30;tp_end=2026-06-30	radiate 1  2026-06-30
cut-then-open	-	product_end=;tp_end=	modify 0 2026-12-31 
expired-cut-again	product_end=2026-06-30;tp_end=2026-06-30	product_end=2026-03-31;tp_end=2026-03-31	radiate 1 2026-06-30 2026-03-31
cut-then-undone	-	product_end=2026-06-30;tp_end=2026-06-30|product_end=2026-12-31;tp_end=2026-12-31	radiate 1 2026-12-31 2026-06-30|modify 0 2026-06-30 2026-12-31
cut-twice	-	product_end=2026-06-30;tp_end=2026-06-30|product_end=2026-03-31;tp_end=2026-03-31	radiate 1 2026-12-31 2026-06-30|radiate 1 2026-06-30 2026-03-31
unchanged	-	-	
EOF

test_expect_success 'movements: radiations retroactive or not, the ends before and after (table)' '
	fail=0
	while IFS="	" read -r name day1 day2 want; do
		{ echo "$HDR"; row "$day1"; } >mv1.csv
		benef-integrate -d 2026-11-17 -o mv1.m -M mv1.mv -R mv1.rej mv1.csv 2>mv.err || {
			echo "$name: day 1: exit $?"; cat mv.err; fail=1; continue; }
		rm -f mv2-*.csv
		set --
		n=1
		for ch in $(echo "$day2" | tr "| " " ~"); do
			n=$((n + 1))
			{ echo "$HDR"; row "file_number=$n;$(echo "$ch" | tr "~" " ")"; } >mv2-$n.csv
			set -- "$@" mv2-$n.csv
		done
		benef-integrate -d 2026-11-18 -m mv1.m -o mv2.m -M mv2.mv -R mv2.rej "$@" 2>mv.err || {
			echo "$name: day 2: exit $?"; cat mv.err; fail=1; continue; }
		test -z "$(records mv1.rej; records mv2.rej)" || { echo "$name: rejected"; fail=1; }
		got=$(awk -F"\t" "$COLS"" \$c[\"movement\"] != \"card\" {
		    printf \"%s%s %s %s %s\", n++ ? \"|\" : \"\", \$c[\"movement\"], \$c[\"retroactive\"],
		        \$c[\"old_rights_end\"], \$c[\"new_rights_end\"] }" mv2.mv)
		test "$got" = "$want" || { echo "$name: \"$got\", want \"$want\""; fail=1; }
	done <mvcases
	test $fail = 0
'

test_expect_success 'movements: a card movement carries the ends of its change' '
	{ echo "$HDR"; row ""; } >mv1.csv &&
	{ echo "$HDR"; row "file_number=2;product_end=2026-06-30;tp_end=2026-06-30;card_movement=RC"; } >mv2.csv &&
	benef-integrate -d 2026-11-17 -o mv1.m -M mv1.mv -R mv1.rej mv1.csv 2>/dev/null &&
	benef-integrate -d 2026-11-18 -m mv1.m -o mv2.m -M mv2.mv -R mv2.rej mv2.csv 2>/dev/null &&
	records mv2.mv | cut -f1-9 >actual &&
	printf "2026-11-18\t123456789\tC1\tM1\t%s\t%s\t2026-12-31\t2026-06-30\tRC\n" radiate 1 card 0 >expect &&
	test_cmp expect actual
'

test_expect_success 'a master whose rights_end is not a date: 65, nothing published' '
	awk -F"\t" -v OFS="\t" "/^#tiers\t/ { for (i = 4; i <= NF; i++) if (\$i == \"rights_end\") c = i - 3 }
	    /^#/ { print; next } { \$c = \"2026-13-01\"; print }" mv1.m | tiers-seal -r -o mvbad.m &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -m mvbad.m -o mvb.m -M mvb.mv -R mvb.rej mv2.csv 2>err &&
	echo "benef-integrate: mvbad.m:3: rights_end: not a date" >expect &&
	test_cmp expect err &&
	! test -e mvb.m && ! test -e mvb.mv && ! test -e mvb.rej
'

test_expect_success 'a domain unknown to the card is a code unknown (BI06)' '
	{ echo "$HDR"; row "domains=PHAR:100:PC%3bOPTX:100:BR"; } | unhex >dom.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej dom.csv 2>/dev/null &&
	test "$(records c.rej | cut -f6,7)" = "BI06	unknown code: domains OPTX" &&
	{ echo "$HDR"; row "domains=DENT:10%3bOPTI:100:BR"; } | unhex >dom.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o c2.m -M c2.mv -R c2.rej dom.csv 2>err &&
	grep "^benef-integrate: dom.csv:2: domains: not DOMAIN:RATE:BASE items separated by ; (file refused)\$" err &&
	{ echo "$HDR"; row "domains=DENT:10:BR%3bOPTI:100:BR%3bAMI:300:BR"; } | unhex >dom.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej dom.csv 2>/dev/null &&
	test "$(col c.m domains)" = "DENT:10:BR;OPTI:100:BR;AMI:300:BR"
'

test_expect_success 'the reject names the unknown code, the file and the line' '
	{ echo "$HDR"; row "benef_type=XX"; } >named.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej named.csv 2>/dev/null &&
	records c.rej >actual &&
	printf "named.csv\t2\t123456789\tC1\tM1\tBI06\tunknown code: benef_type XX\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'overlapping products of one order reject, different orders do not' '
	{ echo "$HDR"; row ""; row "product_start=2026-06-01;product_ref=OPT"; } >ov.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej ov.csv 2>/dev/null &&
	test "$(records c.rej | cut -f6,7)" = "BI05	product periods of the same order overlap: order 1" &&
	{ echo "$HDR"; row ""; row "product_order=2;product_ref=OPT"; } >ok.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej ok.csv 2>/dev/null &&
	test $(records c.rej | wc -l) = 0 &&
	test "$(col c.m products)" = "1:BASE:2026-01-01:2026-12-31,2:OPT:2026-01-01:2026-12-31"
'

test_expect_success 'rows of one beneficiary that disagree reject it' '
	{ echo "$HDR"; row ""; row "birth_date=1970-01-01;product_order=2"; } >dis.csv &&
	benef-integrate -d 2026-11-18 -o c.m -M c.mv -R c.rej dis.csv 2>/dev/null &&
	test "$(records c.rej | cut -f6)" = BI08 &&
	test $(records c.m | wc -l) = 0
'

test_expect_success 'files are applied in file-number order, whatever the order given' '
	{ echo "$HDR"; row "file_number=1"; } >f1.csv &&
	{ echo "$HDR"; row "file_number=2;tp_end=2026-06-30;product_end=2026-06-30"; } >f2.csv &&
	benef-integrate -d 2026-11-18 -o o1.m -M o1.mv -R o1.rej f2.csv f1.csv 2>/dev/null &&
	test "$(col o1.m rights_end)" = 2026-06-30 &&
	benef-integrate -d 2026-11-18 -o o2.m -M o2.mv -R o2.rej f1.csv 2>/dev/null &&
	benef-integrate -d 2026-11-18 -m o2.m -o o3.m -M o3.mv -R o3.rej f2.csv 2>/dev/null &&
	records o1.m >a && records o3.m >b && test_cmp a b
'

test_expect_success 'a gzip CSV file, and quoted fields, are read as any other' '
	{ echo "$HDR"; row "client=\"123456789\""; } >q.csv &&
	gzip -c q.csv >q.csv.gz &&
	benef-integrate -d 2026-11-18 -o gz.m -M gz.mv -R gz.rej q.csv.gz 2>/dev/null &&
	benef-integrate -d 2026-11-18 -o pl.m -M pl.mv -R pl.rej q.csv 2>/dev/null &&
	test $(records gz.m | wc -l) = 1 &&
	records gz.m >a && records pl.m >b && test_cmp a b
'

test_expect_success 'a CSV of its header alone is a day without changes: zero entries' '
	echo "$HDR" >hdronly.csv &&
	gzip -c hdronly.csv >hdronly.csv.gz &&
	benef-integrate -d 2026-11-21 -m m.2026-11-20 -s st.2026-11-20 -w st.h \
	    -o h.m -M h.mv -R h.rej hdronly.csv hdronly.csv.gz 2>err &&
	grep "0 entries, 0 rejected; master 800 -> 800; 0 created" err &&
	records h.m >a && records m.2026-11-20 >b && test_cmp b a &&
	test $(records h.mv | wc -l) = 0 && test $(records h.rej | wc -l) = 0 &&
	records st.h >a && records st.2026-11-20 >b && test_cmp b a &&
	benef-integrate -d 2026-11-21 -m m.2026-11-20 -o h2.m -M h2.mv -R h2.rej \
	    hdronly.csv g/2026-11-20/benef-[0-9]* 2>/dev/null &&
	records h2.m >a && records m.2026-11-20 >b && test_cmp b a
'

test_expect_success 'an empty CSV, or a header alone that is wrong, is refused' '
	: >empty.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o x.m -M x.mv -R x.rej empty.csv 2>err &&
	grep "^benef-integrate: empty.csv:1: -: no header row (file refused)" err &&
	echo "$HDR" | sed "s/^client,/klient,/" >badhdr.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o x.m -M x.mv -R x.rej badhdr.csv 2>err &&
	grep "^benef-integrate: badhdr.csv:1: column: header: expected client (file refused)" err
'

test_expect_success 'a structurally broken file refuses the run; nothing is published' '
	d=g/2026-11-19 &&
	printf "client,file_number\n1,2\n" >bad.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-19 -m m.2026-11-18 -o r.m -M r.mv -R r.rej \
	    $d/benef-[0-9]* bad.csv 2>err &&
	grep "^benef-integrate: bad.csv:1: .*(file refused)" err &&
	! test -e r.m && ! test -e r.mv && ! test -e r.rej &&
	! ls -A | grep "^\.r\."
'

# XML breakages: name, sed expression on a generated file, message.
cat >xcases <<'EOF'
not-well-formed	s|</CONTRAT>|</CONTRA>|	(file refused)
bad-date	s|<DATE_ENTREE_PRODUIT>[^<]*<|<DATE_ENTREE_PRODUIT>2025-13-01<|	(file refused)
no-num-contrat	s|<NUM_CONTRAT>[^<]*</NUM_CONTRAT>||	(file refused)
no-header	s|<NUM_FICHIER>[0-9]*</NUM_FICHIER>||	ENTETE
EOF

test_expect_success 'XML not well-formed or invalid against the schema is refused' '
	x=$(ls g/2026-11-18/benef-*.xml | head -1) &&
	fail=0
	while IFS="	" read name expr msg; do
		sed "$expr" $x >bad.xml
		cmp -s bad.xml $x && { echo "$name: no change"; fail=1; continue; }
		benef-integrate -d 2026-11-18 -o x.m -M x.mv -R x.rej bad.xml 2>x.err
		st=$?
		if test $st != 65 || ! grep -F "$msg" x.err >/dev/null ||
		    ! grep "^benef-integrate: bad.xml:[0-9]*: " x.err >/dev/null; then
			echo "$name: status $st"; cat x.err; fail=1
		fi
	done <xcases
	test $fail = 0
'

test_expect_success 'a schema error names the element and the reason, never the value' '
	x=$(ls g/2026-11-18/benef-*.xml | head -1) &&
	sed "s|</xs:schema>|<xs:element name=\"NNI\"><xs:simpleType><xs:restriction base=\"xs:string\"><xs:pattern value=\"[0-9AB]{13}\"/></xs:restriction></xs:simpleType></xs:element></xs:schema>|" \
	    "$TIERS_TOP/formats/xsd/benef-normev3.xsd" >nni.xsd &&
	benef-integrate -X nni.xsd -d 2026-11-18 -o v.m -M v.mv -R v.rej $x 2>/dev/null &&
	sed "0,/<NNI>[^<]*</s|<NNI>[^<]*<|<NNI>1161234567890X<|" $x >nni.xml &&
	test_expect_code 65 benef-integrate -X nni.xsd -d 2026-11-18 -o v.m -M v.mv -R v.rej \
	    nni.xml 2>err &&
	grep "^benef-integrate: nni.xml:[1-9][0-9]*: xml: Element .*NNI.: \[facet .pattern.\] The value is not accepted by the pattern .\[0-9AB\]{13}.\. (file refused)\$" err &&
	! grep 1161234567890 err
'

test_expect_success 'a truncated gzip file is refused, at its line' '
	x=$(ls g/2026-11-18/benef-*.xml | head -1) &&
	gzip -c $x >full.xml.gz &&
	head -c $(($(wc -c <full.xml.gz) / 2)) full.xml.gz >cut.xml.gz &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o t.m -M t.mv -R t.rej cut.xml.gz 2>err &&
	grep "^benef-integrate: cut.xml.gz:[1-9][0-9]*: xml: truncated gzip file (file refused)" err &&
	head -c -4 full.xml.gz >end.xml.gz &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o t.m -M t.mv -R t.rej end.xml.gz 2>err &&
	grep "^benef-integrate: end.xml.gz:[1-9][0-9]*: xml: truncated gzip file (file refused)" err &&
	gzip -c $x >whole.xml.gz &&
	benef-integrate -d 2026-11-18 -o w.m -M w.mv -R w.rej whole.xml.gz 2>/dev/null &&
	test $(records w.m | wc -l) -gt 0
'

test_expect_success 'bytes after the gzip data are refused; gzip members one after the other are read' '
	x=$(ls g/2026-11-18/benef-*.xml | head -1) &&
	c=$(ls g/2026-11-18/benef-*.csv | head -1) &&
	{ cat full.xml.gz && echo junk; } >junk.xml.gz &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o t.m -M t.mv -R t.rej junk.xml.gz 2>err &&
	grep "^benef-integrate: junk.xml.gz:[1-9][0-9]*: xml: trailing garbage after gzip data (file refused)" err &&
	{ gzip -c $c && printf "\0\0\0\0"; } >zeros.csv.gz &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o t.m -M t.mv -R t.rej zeros.csv.gz 2>err &&
	grep "^benef-integrate: zeros.csv.gz:[1-9][0-9]*: -: trailing garbage after gzip data (file refused)" err &&
	{ head -n 400 $x | gzip -c && sed 1,400d $x | gzip -c; } >two.xml.gz &&
	{ head -n 7 $c | gzip -c && sed 1,7d $c | gzip -c; } >two.csv.gz &&
	benef-integrate -d 2026-11-18 -o two.m -M two.mv -R two.rej two.xml.gz two.csv.gz 2>/dev/null &&
	benef-integrate -d 2026-11-18 -o one.m -M one.mv -R one.rej $x $c 2>/dev/null &&
	cmp one.m two.m
'

# Temporary files hold names, addresses and NIRs: every exit leaves
# $TMPDIR as it was, and nothing hidden beside the outputs.  A table:
# name, exit status, environment (- for none), arguments, message.
cat >tcases <<'EOF'
ok	0	-	-m m.2026-11-18 g/2026-11-19/benef-[0-9]*	entries
badcount	65	-	-m badcount.m g/2026-11-19/benef-[0-9]*	badcount.m:803: trailer: record count 9999 but 800 records read
brokencsv	65	-	-m m.2026-11-18 g/2026-11-19/benef-[0-9]* bad.csv	bad.csv:1: .*(file refused)
badxml	65	-	bad.xml	bad.xml:[0-9]*: .*(file refused)
truncgz	65	-	cut.xml.gz	cut.xml.gz:[0-9]*: xml: truncated gzip file
nomaster	66	-	-m nosuch.m g/2026-11-19/benef-[0-9]*	nosuch.m: No such file
noout	73	-	-R nodir/rej g/2026-11-19/benef-[0-9]*	nodir/rej: No such file
sortfails	70	TIERS_ESORTMEM=0 PATH=$PWD/failsort:$PATH	g/2026-11-19/benef-[0-9]*	sort failed
EOF

test_expect_success 'setup: a master with a wrong count, a sort that fails' '
	sed "\$s/^#end2	800	/#end2	9999	/" m.2026-11-18 >badcount.m &&
	mkdir failsort &&
	printf "#!/bin/sh\nexit 2\n" >failsort/sort &&
	chmod +x failsort/sort
'

while IFS="	" read -r name st envs args msg; do
	test_expect_success "no temporary left: $name (exit $st)" "
		rm -rf tmp && mkdir tmp &&
		test_expect_code $st env TMPDIR=\$PWD/tmp ${envs#-} benef-integrate \
		    -d 2026-11-20 -o t.m -M t.mv -R t.rej $args 2>err &&
		grep '$msg' err &&
		test -z \"\$(ls -A tmp)\" &&
		! ls -A | grep '^\.t\.'
	"
done <tcases

# Entries that do not come in key order are sorted in memory when they
# are few, by sort(1) when there are more: in the same order.
test_expect_success 'entries sorted in memory (no sort(1) run) and by sort(1): the same bytes' '
	PATH=$PWD/failsort:$PATH benef-integrate -d 2026-11-19 -m m.2026-11-18 \
	    -o mem.m -M mem.mv -R mem.rej g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	TIERS_ESORTMEM=0 benef-integrate -d 2026-11-19 -m m.2026-11-18 \
	    -o srt.m -M srt.mv -R srt.rej g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	test_expect_code 70 env TIERS_ESORTMEM=0 PATH=$PWD/failsort:$PATH benef-integrate \
	    -d 2026-11-19 -m m.2026-11-18 -o f.m -M f.mv -R f.rej g/2026-11-19/benef-[0-9]* 2>err &&
	grep "sort failed" err &&
	cmp mem.m srt.m &&
	cmp mem.mv srt.mv &&
	cmp mem.rej srt.rej
'

# A sort(1) that leaves a file in its -T directory, says it is there,
# and waits to be killed; it removes its file then, as sort(1) does.
test_expect_success 'setup: a slow sort' '
	mkdir slowsort &&
	cat >slowsort/sort <<-\EOF &&
	#!/bin/sh
	while test $# -gt 0; do
		case $1 in -T) t=$2; shift ;; esac
		shift
	done
	trap "kill \$!; rm -f \"$t/sortAAAAAA\"; exit 143" TERM HUP
	: >"$t/sortAAAAAA"
	: >"$READY"
	sleep 60 </dev/null >/dev/null 2>&1 &
	wait
	EOF
	chmod +x slowsort/sort
'

# Started in the background, the run ignores SIGINT, as sh(1) makes it.
# It is killed whatever happens, so that no test leaves it running.
for sig in TERM HUP; do
	test_expect_success "SIG$sig during the sort: nothing left" '
		rm -rf tmp ready && mkdir tmp || exit 1
		READY=$PWD/ready PATH=$PWD/slowsort:$PATH TMPDIR=$PWD/tmp TIERS_ESORTMEM=0 \
		    benef-integrate -d 2026-11-20 -m m.2026-11-18 -o s.m -M s.mv -R s.rej \
		    g/2026-11-19/benef-[0-9]* 2>err &
		pid=$!
		i=0
		while ! test -e ready && test $i -lt 600; do
			sleep 0.1
			i=$((i + 1))
		done
		(cd tmp/benef-integrate.* && ls -A) >inside
		ls -A | grep "^\.s\." >hidden
		kill -'$sig' $pid
		wait $pid
		echo $? >st
		printf "entries\nsortAAAAAA\nsorted\n" >expect &&
		test_cmp expect inside &&
		test $(wc -l <hidden) = 3 &&
		test $(cat st) -gt 128 &&
		test -z "$(ls -A tmp)" &&
		! ls -A | grep "^\.s\." &&
		! test -e s.m
	'
done

# Norme V3 families, from a table: one family of t/normev3-gen.awk (the
# subscriber P0-0 with its RO, a spouse P0-1 with her own NNI, children
# P0-2 and P0-3 with neither, a card held by P0-0 carrying the children,
# P0-0's RIB), changed by a sed(1) script; then, for a member, the
# reject code or the master columns expected (name=value, "|"-separated).
# With the reference schema at hand, each file is also valid against it.
cat >ncases <<'EOF'
subscriber	-	P0-0	nir=1600175000000|nir_key=45|benef_nir=|key_nir_rang=16001750000001|card_number=C000000000|card_start=2026-01-01|card_end=2026-12-31|card_background=FOND1|card_annex=ANX1|card_movement=MC|rib_holder=NOM0 PRENOM0|rib_iban=FR7630006000011234567890189|rib_bic=AGRIFRPP|compensation=1
spouse-own-nni	-	P0-1	nir=2610275001000|nir_key=29|key_nir_rang=26102750010001|card_start=|card_end=|rib_iban=|compensation=
child-without-ro	-	P0-2	nir=1600175000000|nir_key=45|benef_nir=|birth_date=2012-07-14|rang=1|key_nir_rang=16001750000001/2012-07-14|key_birth_rang_adherent=2012-07-14/1/A0|card_start=2026-01-01|card_end=2026-12-31
child-carried	-	P0-3	key_nir_rang=16001750000001/2015-09-30|card_start=2026-01-01
subscriber-nni-alone	s|            <NNI>1600175000000</NNI>||	P0-2	nir=1600175000000|key_nir_rang=16001750000001/2012-07-14
no-nir-anywhere	s|<NNI>1600175000000</NNI>||	P0-2	BI11
no-nir-subscriber	s|<NNI>1600175000000</NNI>||	P0-0	BI11
no-subscriber	s|<SOUSCRIPTEUR>1</SOUSCRIPTEUR>|<SOUSCRIPTEUR>0</SOUSCRIPTEUR>|	P0-3	BI11
two-annexes	s|<CODE_ANNEXE>ANX1</CODE_ANNEXE>|&<CODE_ANNEXE>ANX2</CODE_ANNEXE>|	P0-0	card_annex=ANX1;ANX2
card-reversed	/<CARTE>/,/<\/CARTE>/s|2026-12-31|2025-06-30|	P0-2	BI02
card-open-end	/<CARTE>/,/<\/CARTE>/{/DATE_FIN_VALIDITE/d}	P0-0	card_start=2026-01-01|card_end=
compensation-false	s|<COMPENSATION_AUTORISEE>true<|<COMPENSATION_AUTORISEE>false<|	P0-0	compensation=0
rib-national	s|<IBAN_PAYS>FR</IBAN_PAYS>|<CODE_BANQUE>30006</CODE_BANQUE><AGENCE_BANQUE>00001</AGENCE_BANQUE><NUM_COMPTE>12345678901</NUM_COMPTE><CLE_RIB>89</CLE_RIB>|;/IBAN_CONTROLE\|IBAN_BBAN\|BIC_/d	P0-0	rib_iban=FR7630006000011234567890189|rib_bic=
rib-bad-key	s|<IBAN_CONTROLE>76<|<IBAN_CONTROLE>77<|	P0-0	BI12
rib-bad-bic	s|<BIC_EMPLACEMENT>PP</BIC_EMPLACEMENT>|&<BIC_BRANCHE>X</BIC_BRANCHE>|	P0-0	BI12
rib-latest	s|</PRESTATION>|<DATE_EFFET>2026-01-01T00:00:00</DATE_EFFET>&<PRESTATION><IBAN_PAYS>DE</IBAN_PAYS><IBAN_CONTROLE>89</IBAN_CONTROLE><IBAN_BBAN>370400440532013000</IBAN_BBAN><DATE_EFFET>2026-06-01T00:00:00</DATE_EFFET></PRESTATION>|	P0-0	rib_iban=DE89370400440532013000|rib_bic=
EOF

test_expect_success 'Norme V3 families: keys, card, RIB (table)' '
	awk -v n=4 -v amc=123456789 -v fileno=1 -v first=0 -f "$TIERS_TOP/t/normev3-gen.awk" >fam0.xml &&
	fail=0
	while IFS="	" read -r name expr member want; do
		if test "$expr" = -; then cp fam0.xml fam.xml; else sed "$expr" fam0.xml >fam.xml; fi
		if test "$expr" != - && cmp -s fam.xml fam0.xml; then
			echo "$name: no change"; fail=1; continue
		fi
		if test -r "$REF/NormeIntegrationMedline.xsd" &&
		    ! xmllint --noout --schema "$REF/NormeIntegrationMedline.xsd" fam.xml 2>/dev/null; then
			echo "$name: not valid against the reference schema"; fail=1
		fi
		benef-integrate -d 2026-11-18 -o f.m -M f.mv -R f.rej fam.xml 2>f.err || {
			echo "$name: exit $?"; cat f.err; fail=1; continue; }
		got=$(awk -F"\t" -v m="$member" "$COLS"" \$c[\"member_ref\"] == m { print \$c[\"code\"] }" f.rej)
		case $want in
		BI*)
			test "$got" = "$want" || { echo "$name: $member: code \"$got\", want $want"; fail=1; }
			continue ;;
		esac
		test -z "$got" || { echo "$name: $member: rejected $got"; fail=1; continue; }
		echo "$want" | tr "|" "\n" | while IFS="=" read -r k v; do
			g=$(awk -F"\t" -v m="$member" -v k="$k" "$COLS"" \$c[\"member_ref\"] == m { print \$c[k] }" f.m)
			test "$g" = "$v" || echo "$name: $member: $k \"$g\", want \"$v\""
		done >f.bad
		test -s f.bad && { cat f.bad; fail=1; }
	done <ncases
	test $fail = 0
'

test_expect_success 'the state counts the entries of each file, rejected or not' '
	sed "s|<NNI>1600175000000</NNI>||" fam0.xml >fam1.xml &&
	awk -v n=8 -v amc=123456789 -v fileno=2 -v first=5 -f "$TIERS_TOP/t/normev3-gen.awk" >fam2.xml &&
	benef-integrate -d 2026-11-18 -w f.st -o f.m -M f.mv -R f.rej fam1.xml fam2.xml 2>err &&
	grep "9 entries, 3 rejected" err &&
	col f.st entries >actual &&
	printf "4\n8\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a master of before the card columns is read; written with them' '
	awk -v n=4 -v amc=123456789 -v fileno=1 -v first=0 -f "$TIERS_TOP/t/normev3-gen.awk" >c.xml &&
	benef-integrate -d 2026-11-18 -o new.m -M new.mv -R new.rej c.xml 2>/dev/null &&
	{ head -1 new.m | cut -f1-39,49; records new.m | cut -f1-36,46; } | tiers-seal -r -o old.m &&
	test "$(head -1 old.m | cut -f39)" = key_birth_rang_adherent &&
	benef-integrate -d 2026-11-19 -m old.m -o up.m -M up.mv -R up.rej c.xml 2>/dev/null &&
	head -1 up.m >actual && head -1 new.m >expect && test_cmp expect actual &&
	test $(col up.mv movement | grep -c modify) = 4 &&
	records up.m | cut -f1-45 >actual && records new.m | cut -f1-45 >expect && test_cmp expect actual &&
	awk -v n=2 -v amc=123456789 -v fileno=1 -v first=0 -f "$TIERS_TOP/t/normev3-gen.awk" >c2.xml &&
	benef-integrate -d 2026-11-19 -m old.m -o up2.m -M up2.mv -R up2.rej c2.xml 2>/dev/null &&
	test $(records up2.m | grep -c "	2026-11-18\$") -gt 0 &&
	records old.m | awk -F "	" -v OFS="	" "{ u = \$NF; NF = 36; print \$0, \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", u }" |
	    grep "	2026-11-18\$" >expect &&
	records up2.m | grep "	2026-11-18\$" >actual && test_cmp expect actual &&
	{ head -1 new.m | cut -f1-40,49; records new.m | cut -f1-37,46; } | tiers-seal -r -o half.m &&
	test_expect_code 65 benef-integrate -d 2026-11-19 -m half.m -o x.m -M x.mv -R x.rej c.xml 2>err &&
	grep "^benef-integrate: half.m:1: header: not the benef-master columns\$" err
'

test_expect_success SHARED 'the reference samples integrate, against either schema' '
	for x in "" "-X $REF/NormeIntegrationMedline.xsd"; do
		for f in testEmpty testPassant testPassant6943 testPassantEspece; do
			benef-integrate $x -d 2025-05-15 -o s.$f.m -M s.$f.mv -R s.$f.rej \
			    $REF/$f.xml 2>/dev/null || exit 1
		done
	done &&
	test $(records s.testEmpty.m | wc -l) = 0 &&
	test $(records s.testEmpty.rej | wc -l) = 0
'

# testPassant's member has no NNI, no RO, and is its own subscriber: no
# NIR at all.  Given one (by sed, at test time), it integrates.
nni () {
	sed "s|</MODE_PAIEMENT>|&<NNI>2690549588157</NNI>|" "$REF/$1.xml" >$1.nni.xml
}

test_expect_success SHARED 'testPassant: no NIR anywhere, rejected BI11, the run goes on' '
	test $(records s.testPassant.m | wc -l) = 0 &&
	records s.testPassant.rej | cut -f1-6 >actual &&
	printf "testPassant.xml\t56\t98532001\tNumeroContrat\tRefExternePersonne\tBI11\n" >expect &&
	test_cmp expect actual
'

test_expect_success SHARED 'testPassant with an NNI gives the expected master record' '
	nni testPassant &&
	xmllint --noout --schema "$REF/NormeIntegrationMedline.xsd" testPassant.nni.xml 2>/dev/null &&
	benef-integrate -d 2025-05-15 -o s.testPassant.m -M s.testPassant.mv -R s.testPassant.rej \
	    testPassant.nni.xml 2>/dev/null &&
	records s.testPassant.m | cut -f1-8,11-12,17-21,24,26,33-36 >actual &&
	printf "98532001\tNumeroContrat\tRefExternePersonne\tOU\tNumeroContrat\tAS\t2690549588157\t80\t2000-01-01\t1\t3:PH:2025-01-01:2025-12-31\t2025-01-01\t2025-12-31\tAC\t\tMC\tLigne1\t2025-01-01\t2025-12-31\t26905495881571\t2000-01-01/1/NumeroContrat\n" >expect &&
	test_cmp expect actual &&
	col s.testPassant.mv movement >actual &&
	printf "create\ncard\n" >expect &&
	test_cmp expect actual
'

test_expect_success SHARED 'testPassant6943 after testPassant: a retroactive radiation' '
	nni testPassant6943 &&
	benef-integrate -d 2025-05-15 -m s.testPassant.m -o p.m -M p.mv -R p.rej \
	    testPassant6943.nni.xml 2>/dev/null &&
	records p.mv | cut -f5-8 | head -1 >actual &&
	printf "radiate\t1\t2025-12-31\t2025-03-02\n" >expect &&
	test_cmp expect actual &&
	test "$(col p.m products)" = "2:PH:2025-01-01:2025-03-02"
'

test_expect_success SHARED 'testPassantEspece after testPassant: nothing we keep changed' '
	nni testPassantEspece &&
	benef-integrate -d 2025-05-15 -m s.testPassant.m -o e.m -M e.mv -R e.rej \
	    testPassantEspece.nni.xml 2>/dev/null &&
	test $(records e.mv | wc -l) = 0 &&
	records e.m >a && records s.testPassant.m >b && test_cmp b a
'

# A DTD may declare entities: none is expanded (a billion laughs) nor
# fetched (a file of this host), the file is refused at the reference.
test_expect_success 'declared entities are neither expanded nor fetched: refused' '
	awk -v n=4 -v amc=123456789 -v fileno=1 -v first=0 -f "$TIERS_TOP/t/normev3-gen.awk" >e0.xml &&
	echo "SECRET-OF-THE-HOST" >secret.txt &&
	for kind in laugh system; do
		case $kind in
		laugh) decl="<!DOCTYPE FICHIER [<!ENTITY a \"NOM\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>" ;;
		system) decl="<!DOCTYPE FICHIER [<!ENTITY b SYSTEM \"file://$PWD/secret.txt\">]>" ;;
		esac
		{ sed -n 1p e0.xml && echo "$decl" && sed 1d e0.xml |
		    sed "s|<LIGNE2>\\([0-9]*\\) RUE|<LIGNE2>\\1 \\&b; RUE|"; } >ent.$kind.xml &&
		grep -q "&b;" ent.$kind.xml &&
		test_expect_code 65 benef-integrate -d 2026-11-18 -o ent.m -M ent.mv -R ent.rej \
		    ent.$kind.xml 2>err.$kind &&
		grep "^benef-integrate: ent.$kind.xml:[1-9][0-9]*: xml: .*(file refused)\$" err.$kind &&
		! grep SECRET err.$kind && ! test -e ent.m || return 1
	done
'

# Found by t/fuzz/normev3.c: an encoding libxml2 cannot convert from,
# declared in the XML declaration, made the SAX reader of 40b4e60 crash
# (the parser stopped from its error handler).  Refused, 65, no byte of
# the input quoted.
test_expect_success 'an unconvertible encoding is refused, not a crash' '
	cp "$TIERS_TOP/t/fuzz/regress/normev3/encoding-iso-8859-3-stop" enc.xml &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o enc.m -M enc.mv -R enc.rej enc.xml 2>err &&
	grep "^benef-integrate: enc.xml:1: xml: input conversion failed due to input error (file refused)\$" err &&
	! test -e enc.m
'

# libxml2 keeps an element's line in 16 bits: past line 65535 the
# reader of before gave entries a wrong line.  Each movement's line must
# be its SERVICE_TP_PEC's, however far in the file.
test_expect_success 'an entry past line 65535 names its own line' '
	awk -v n=2400 -v amc=123456789 -v fileno=1 -v first=0 -f "$TIERS_TOP/t/normev3-gen.awk" >long.xml &&
	test $(wc -l <long.xml) -gt 70000 &&
	benef-integrate -d 2026-11-18 -o long.m -M long.mv -R long.rej long.xml 2>/dev/null &&
	grep -n "<SERVICE_TP_PEC>" long.xml | cut -d: -f1 | sort -n >expect &&
	records long.mv | awk -F"\t" "\$5 == \"create\" { print \$11 }" | sort -n >actual &&
	test_cmp expect actual &&
	test $(tail -n 1 actual) -gt 65535
'

# -x: the index benef-index makes of the master written, byte for byte;
# with -i, the index of the master of the day before carried over.
# bix MASTER INDEX: benef-index's index of MASTER is INDEX.
bix () {
	benef-index -o "$1.bi" "$1" 2>/dev/null && cmp "$1.bi" "$2"
}

test_expect_success '-x: the index of the master written, as benef-index makes it' '
	benef-integrate -d 2026-11-18 -o x1.m -M x1.mv -R x1.rej -x x1.idx \
	    g/2026-11-18/benef-[0-9]* 2>err &&
	grep "^benef-integrate: index: 800 beneficiaries, 2400 keys in 512 buckets\$" err &&
	test "$(test_mode x1.idx)" = "-rw-------" &&
	bix x1.m x1.idx &&
	for i in "" "-i x1.idx"; do
		benef-integrate -d 2026-11-19 -m x1.m -o x2.m -M x2.mv -R x2.rej -x x2.idx $i \
		    g/2026-11-19/benef-[0-9]* 2>err &&
		! grep "not carried over" err &&
		bix x2.m x2.idx &&
		benef-integrate -d 2026-11-19 -m x1.m -o y2.m -M y2.mv -R y2.rej \
		    g/2026-11-19/benef-[0-9]* 2>/dev/null &&
		cmp x2.m y2.m && cmp x2.mv y2.mv && cmp x2.rej y2.rej || return 1
	done
'

# Runs of lines no entry touches written as they go, every 1000 bytes
# (TIERS_WALK_RELEASE) rather than whole: the same master and index.
test_expect_success '-x, -i: long runs written in parts, the same bytes' '
	benef-integrate -d 2026-11-19 -m x1.m -o w0.m -M w0.mv -R w0.rej -x w0.idx -i x1.idx \
	    g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	TIERS_WALK_RELEASE=1000 benef-integrate -d 2026-11-19 -m x1.m -o w1.m -M w1.mv \
	    -R w1.rej -x w1.idx -i x1.idx g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	cmp w0.m w1.m && cmp w0.idx w1.idx && cmp w0.mv w1.mv && bix w1.m w1.idx &&
	TIERS_WALK_RELEASE=1 benef-integrate -d 2026-11-19 -m x1.m -o w2.m -M w2.mv \
	    -R w2.rej -x w2.idx -i x1.idx g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	cmp w0.m w2.m && cmp w0.idx w2.idx && cmp w0.mv w2.mv
'

# Half the master: the day-1 files create the other half between the
# records copied, and modify some of those kept.
test_expect_success '-x, -i: records created between the runs copied, a master read through' '
	awk "/^#/ || NR % 2" x1.m | grep -v "^#end" | tiers-seal -r -o half1.m &&
	benef-index -o half1.idx half1.m 2>/dev/null &&
	for i in "" "-i half1.idx"; do
		benef-integrate -d 2026-11-19 -m half1.m -o xh.m -M xh.mv -R xh.rej -x xh.idx $i \
		    g/2026-11-18/benef-[0-9]* g/2026-11-19/benef-[0-9]* 2>err &&
		grep "master 400 -> 800; 400 created" err &&
		bix xh.m xh.idx || return 1
	done &&
	gzip -c half1.m >half1.m.gz &&
	benef-integrate -d 2026-11-19 -m half1.m.gz -o xz.m -M xz.mv -R xz.rej -x xz.idx \
	    -i half1.idx g/2026-11-18/benef-[0-9]* g/2026-11-19/benef-[0-9]* 2>/dev/null &&
	cmp xh.m xz.m && cmp xh.idx xz.idx
'

test_expect_success '-x, -i: a master of no record, and its index' '
	echo "$HDR" >hdr0.csv &&
	benef-integrate -d 2026-11-17 -o x0.m -M x0.mv -R x0.rej -x x0.idx hdr0.csv 2>/dev/null &&
	test $(records x0.m | wc -l) = 0 &&
	bix x0.m x0.idx &&
	benef-integrate -d 2026-11-18 -m x0.m -i x0.idx -o x01.m -M x01.mv -R x01.rej -x x01.idx \
	    g/2026-11-18/benef-[0-9]* 2>err &&
	! grep "not carried over" err &&
	cmp x01.m x1.m && cmp x01.idx x1.idx &&
	benef-integrate -d 2026-11-18 -m x0.m -i x0.idx -o x00.m -M x00.mv -R x00.rej -x x00.idx \
	    hdr0.csv 2>err &&
	! grep "not carried over" err &&
	bix x00.m x00.idx
'

test_expect_success '-i: the index of another master, or damaged: said, the keys hashed again' '
	benef-integrate -d 2026-11-19 -m half1.m -o xo.m -M xo.mv -R xo.rej -x xo.idx -i x1.idx \
	    g/2026-11-18/benef-[0-9]* g/2026-11-19/benef-[0-9]* 2>err &&
	grep "^benef-integrate: x1.idx: not carried over, the keys hashed again: not the index of half1.m: run benef-index on it again\$" err &&
	cmp xh.idx xo.idx &&
	cp half1.idx bad.idx &&
	printf "\377" | dd of=bad.idx bs=1 seek=9000 conv=notrunc 2>/dev/null &&
	benef-integrate -d 2026-11-19 -m half1.m -o xo.m -M xo.mv -R xo.rej -x xo.idx -i bad.idx \
	    g/2026-11-18/benef-[0-9]* g/2026-11-19/benef-[0-9]* 2>err &&
	grep "^benef-integrate: bad.idx: not carried over, the keys hashed again: index CRC-32 does not match: damaged\$" err &&
	cmp xh.idx xo.idx
'

# The lines no entry touches are copied as they are, checked by the
# generation's CRC-32: a byte changed there refuses the master read,
# and nothing is published.
test_expect_success 'a master changed after it was sealed: 65, nothing published' '
	sed "100s/	AC	/	AD	/" x1.m >x1bad.m &&
	! cmp -s x1.m x1bad.m &&
	test_expect_code 65 benef-integrate -d 2026-11-19 -m x1bad.m -o xb.m -M xb.mv -R xb.rej \
	    -x xb.idx g/2026-11-19/benef-[0-9]* 2>err &&
	grep "^benef-integrate: x1bad.m:803: trailer: CRC-32 [0-9a-f]* but [0-9a-f]* was expected: not the stream it was\$" err &&
	! test -e xb.m && ! test -e xb.mv && ! test -e xb.rej && ! test -e xb.idx
'

test_expect_success '-x: a record whose keys the index cannot hold: 65 at its line, nothing published' '
	long=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA &&
	{ echo "$HDR"; row "adherent=$long"; } >longadh.csv &&
	test_expect_code 65 benef-integrate -d 2026-11-18 -o xk.m -M xk.mv -R xk.rej -x xk.idx \
	    longadh.csv 2>err &&
	echo "benef-integrate: xk.m:3: adherent: too long" >expect &&
	test_cmp expect err &&
	! test -e xk.m && ! test -e xk.mv && ! test -e xk.rej && ! test -e xk.idx &&
	benef-integrate -d 2026-11-18 -o xk.m -M xk.mv -R xk.rej longadh.csv 2>/dev/null &&
	test_expect_code 65 benef-index -o xk.idx xk.m 2>err &&
	echo "benef-index: xk.m:3: adherent: too long" >expect &&
	test_cmp expect err
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 benef-integrate -o a -M b -R c 2>/dev/null &&
	test_expect_code 64 benef-integrate -d 2026-02-30 -o a -M b -R c 2>/dev/null &&
	test_expect_code 64 benef-integrate -x 2>/dev/null &&
	test_expect_code 64 benef-integrate -d 2026-11-18 -o a -M b -R c -i x1.idx 2>/dev/null
'

test_done
