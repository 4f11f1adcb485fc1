#!/bin/sh
test_description='payment-edit: SEPA transfers net of offsets, held lines released, the ledger, statements'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0870-payment.tsv
iso=$SHARED/ref/iso20022/pain.001.001.03.xsd
xsd=$TIERS_TOP/formats/xsd/pain001.xsd
okiban=FR7630066478639606056956472
badiban=FR7630066478639606056956473

# records FILE: the records of a sealed stream, from its trailer.
records () {
	tail -n 1 "$1" | cut -f2
}

# ps ALIAS: the client, the PS's kind and number, TAB-separated.
ps () {
	amc=502010002
	case $1 in
	x*) amc=877370001 ;;
	esac
	case ${1#x} in
	R1) printf '%s\tRPPS\t10195058416\n' $amc ;;
	R2) printf '%s\tRPPS\t10283773637\n' $amc ;;
	R3) printf '%s\tRPPS\t10425005203\n' $amc ;;
	F1) printf '%s\tFINESS\t139416028\n' $amc ;;
	esac
}

# rows CASE DAY ROW: the table's rows of a case's day of a kind: ps a b.
rows () {
	awk -F'\t' -v OFS='\t' -v c="$1" -v d="$2" -v r="$3" \
	    '$1 == c && $2 == d && $3 == r { print $4, $5, $6 }' "$cases"
}

outhdr='#tiers	outcome	1	claim	file	line	amc	contract	member_ref	ps_kind	ps_number	invoice	line_no	act_date	act_code	fr_eur	br_eur	amo_eur	amc_eur	rac_eur	recover_eur	dest	code	flag	outcome	first_claim	first_date	decide_by	presented	ground	payment_ref	ps_label	client_label'

# outcome DATE CLAIM AMC KIND NUM EUR [OUTCOME DEST]: a line of outcomes.
outcome () {
	o=${7:-paid} d=${8:-ps} ref=
	test "$o" = paid && ref=TP$(echo "$1" | tr -d -)-$3-$(printf %.1s "$4")$5
	printf '%s#%s\tb2\t%s\t%s\t\t\t%s\t%s\t1000%s\t1\t%s\tG\t%s\t%s\t0.00\t%s\t0.00\t0.00\t%s\tLQ00\t\t%s\t%s#%s\t%s\t\t1\t\t%s\tPaid\tPaid\n' \
	    "$1" "$2" "$2" "$3" "$4" "$5" "$2" "$1" "$6" "$6" "$6" "$d" "$o" "$1" "$2" "$1" "$ref"
}

# day CASE N: the inputs of a case's day N from the table, payment-edit
# run on them and the ledger of the day before; the transfers as the
# remittance says them, in want.CASE.N and got.CASE.N.
day () {
	cs=$1 n=$2 date=2026-11-2$(($2 + 2))
	{
		echo "$outhdr"
		rows "$cs" "$n" line | while IFS='	' read -r p c e; do
			outcome "$date" "$c" $(ps "$p") "$e"
		done
		outcome "$date" 99 502010002 RPPS 10195058416 0.00 rejected reject
	} | mkstream o.$cs.$n &&
	{
		printf '#tiers\tps-register\t1\tps_kind\tps_number\tam_number\tsiret\tname\tiban\tbic\tvalid_from\tvalid_to\n'
		rows "$cs" "$n" reg | while IFS='	' read -r p i b; do
			case $i in
			ok) i=$okiban ;;
			bad) i=$badiban ;;
			none) i= ;;
			esac
			test "$b" = - && b=
			printf '%s\t%s\t\t\tCabinet Éloïse Müller & Fils\t%s\t%s\t2020-01-01\t\n' \
			    "$(ps "$p" | cut -f2)" "$(ps "$p" | cut -f3)" "$i" "$b"
		done
	} | mkstream r.$cs.$n &&
	{
		printf '#tiers\tindus-offsetable\t1\tamc\tps_kind\tps_number\titem\tline\tinvoice\tline_no\tact_date\topened\tleft_eur\n'
		rows "$cs" "$n" item | while IFS='	' read -r p i l; do
			printf '%s\t%s\t2026-11-20#%s\t900%s\t1\t2026-11-19\t2026-11-20\t%s\n' \
			    "$(ps "$p")" "$i" "$i" "$i" "$l"
		done
	} | mkstream x.$cs.$n &&
	prev= &&
	if test "$n" -gt 1; then prev=l.$cs.$(($n - 1)); fi &&
	mkdir t.$cs.$n f.$cs.$n &&
	payment-edit -d $date -o l.$cs.$n ${prev:+-l $prev} -P params.tsv -r r.$cs.$n \
	    -x x.$cs.$n -O off.$cs.$n -t t.$cs.$n -F f.$cs.$n -m m.$cs.$n -M txt.$cs.$n \
	    -s s.$cs.$n o.$cs.$n 2>err.$cs.$n &&
	rows "$cs" "$n" want | while IFS='	' read -r p st net; do
		r=${st#*:}
		test "$r" = "$st" && r=
		printf '%s\t%s\t%s\t%s\n' "$(ps "$p")" "${st%%:*}" "$r" "$net"
	done | sort >want.$cs.$n &&
	awk -F'\t' -v OFS='\t' '!/^#/ && $4 == "transfer" { print $1, $2, $3, $12, $13, $11 }' \
	    m.$cs.$n | sort >got.$cs.$n
}

# xmlsum FILE: the count and sum of the transfers of a pain.001 file,
# by awk over the XML text (the amounts in cents, no floating point).
xmlsum () {
	awk '
		/<InstdAmt / { sub(/.*<InstdAmt Ccy="EUR">/, ""); sub(/<.*/, ""); n++
			split($0, a, "."); s += a[1] * 100 + a[2] }
		END { printf "%d %d\n", n, s }' "$1"
}

test_expect_success 'setup: the client paid out of an account, the other without one' '
	{
		printf "#tiers\tpayment-params\t1\tamc\tdebtor_name\tiban\tbic\n" &&
		printf "502010002\tMutuelle Générale de l’Œuvre\tFR7630006000011234567890189\tAGRIFRPPXXX\n"
	} | mkstream params.tsv
'

for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "case $cs" "
		for n in \$(awk -F'\t' -v c=$cs '\$1 == c { print \$2 }' '$cases' | uniq); do
			day $cs \$n || { cat err.$cs.\$n; exit 1; }
			test_cmp want.$cs.\$n got.$cs.\$n || exit 1
		done
	"
done

test_expect_success 'every file written is valid against the project schema' '
	ls t.*/*.xml >files &&
	test -s files &&
	xmllint --noout --schema "$xsd" $(cat files) 2>err &&
	test "$(grep -c " validates\$" err)" = "$(grep -c . files)"
'

test_expect_success SHARED 'every file written is valid against the ISO 20022 schema' '
	xmllint --noout --schema "$iso" $(cat files) 2>err &&
	test "$(grep -c " validates\$" err)" = "$(grep -c . files)"
'

test_expect_success 'the project schema is not the ISO one, and payment-edit checks against it' '
	! cmp -s "$xsd" "$iso" &&
	grep -q "^<xs:schema" "$xsd" &&
	grep -q "targetNamespace=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"" "$xsd"
'

# The schema's edges (t0870-xsd.tsv): a value put into a file written,
# the schema's verdict; the files it accepts, the ISO schema's too.
while IFS='	' read -r name el val times verdict; do
	case $name in '#'* | '') continue ;; esac
	test_expect_success "the project schema: $name $verdict" '
		awk -v el="$el" -v v="$val" -v n="$times" "
			!done && ((i = index(\$0, \"<\" el \">\")) || (i = index(\$0, \"<\" el \" \"))) {
				k = i + index(substr(\$0, i), \">\") - 1
				j = k + index(substr(\$0, k), \"</\" el \">\") - 1
				t = \"\"
				for (m = 0; m < n; m++)
					t = t v
				\$0 = substr(\$0, 1, k) t substr(\$0, j)
				done = 1
			}
			{ print }
			END { exit !done }" $(sed -n 1p files) >xsd.$name.xml &&
		if test $verdict = valid; then
			xmllint --noout --schema "$xsd" xsd.$name.xml 2>err &&
			{ ! test_have_prereq SHARED || xmllint --noout --schema "$iso" xsd.$name.xml 2>err; }
		else
			test_expect_code 3 xmllint --noout --schema "$xsd" xsd.$name.xml 2>err
		fi
	'
done <"$TIERS_TOP/t/t0870-xsd.tsv"

test_expect_success 'control totals, recomputed from the XML: NbOfTxs, CtrlSum, the lines less the offsets' '
	for f in $(cat files); do
		set -- $(xmlsum $f) &&
		test "$(xmllint --xpath "string(//*[local-name()=\"GrpHdr\"]/*[local-name()=\"NbOfTxs\"])" $f)" = $1 &&
		test "$(xmllint --xpath "string(//*[local-name()=\"PmtInf\"]/*[local-name()=\"NbOfTxs\"])" $f)" = $1 &&
		c=$(xmllint --xpath "string(//*[local-name()=\"GrpHdr\"]/*[local-name()=\"CtrlSum\"])" $f | tr -d .) &&
		test "$((1$c - 1${c%??}00 + ${c%??} * 100))" = $2 || { echo "$f: $* $c"; exit 1; }
		d=${f%/*} && n=${d##*.} && cs=${d#t.} && cs=${cs%.*} && amc=${f##*/} && amc=${amc%.xml} &&
		paid=$(awk -F"\t" -v a=$amc "!/^#/ && \$1 == a && \$10 != \"held\" && \$11 == \"2026-11-2$((n + 2))\" { split(\$9, x, \".\"); s += x[1] * 100 + x[2] } END { print s + 0 }" l.$cs.$n/*) &&
		off=$(awk -F"\t" -v a=$amc "!/^#/ && \$1 == a { split(\$3, x, \".\"); s += x[1] * 100 + x[2] } END { print s + 0 }" off.$cs.$n) &&
		test $((paid - off)) = $2 || { echo "$f: paid $paid less $off is not $2"; exit 1; }
	done
'

test_expect_success 'identifiers: deterministic, unique, at most 35 characters, the dates of the calendar' '
	f=t.paid.1/502010002.xml &&
	grep -q "<MsgId>TP20261123-502010002</MsgId>" $f &&
	grep -q "<PmtInfId>TP20261123-502010002-PMT</PmtInfId>" $f &&
	grep -q "<EndToEndId>TP20261123-502010002-R10195058416</EndToEndId>" $f &&
	grep -q "<CreDtTm>2026-11-23T00:00:00</CreDtTm>" $f &&
	grep -q "<ReqdExctnDt>2026-11-24</ReqdExctnDt>" $f &&
	for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
		sed -n "s/.*<\(MsgId\|PmtInfId\|EndToEndId\)>\(.*\)<.*/\2/p" t.$cs.*/*.xml 2>/dev/null |
		    sort >ids.$cs &&
		sort -u ids.$cs | cmp - ids.$cs || exit 1
	done &&
	! cat ids.* | awk "length > 35" | grep .
'

test_expect_success 'names in the SEPA character set, accents transliterated' '
	grep -q "<Nm>Mutuelle Generale de l'"'"'OEuvre</Nm>" t.paid.1/502010002.xml &&
	grep -q "<Nm>Cabinet Eloise Muller + Fils</Nm>" t.paid.1/502010002.xml &&
	! LC_ALL=C grep -n "[^][A-Za-z0-9/?:().,'"'"'+ <>=\"_-]" t.paid.1/502010002.xml | grep -v "^1:"
'

test_expect_success 'a held line stays in the ledger, then paid once with the day it is released' '
	awk -F"\t" "!/^#/ { print \$2, \$8, \$10, \$11, \$12, \$13 }" l.badiban.3/* >actual &&
	cat >expect <<-\EOT &&
	2026-11-23#1 2026-11-23 paid 2026-11-25 TP20261125-502010002-R10195058416 
	2026-11-24#2 2026-11-24 paid 2026-11-25 TP20261125-502010002-R10195058416 
	EOT
	test_cmp expect actual &&
	grep -c "2026-11-23#1" l.badiban.1/held.tsv l.badiban.2/held.tsv >actual &&
	printf "l.badiban.1/held.tsv:1\nl.badiban.2/held.tsv:1\n" >expect &&
	test_cmp expect actual &&
	ls l.badiban.1 l.badiban.2 >actual &&
	printf "l.badiban.1:\nheld.tsv\n\nl.badiban.2:\nheld.tsv\n" >expect &&
	test_cmp expect actual &&
	test "$(records l.badiban.2/held.tsv)" = 2 &&
	test "$(records l.badiban.3/held.tsv)" = 0 &&
	test "$(records l.badiban.3/paid-2026-11-25.tsv)" = 2 &&
	grep "^502010002	released	2	13.00\$" f.badiban.3/502010002.tsv &&
	! test -e t.badiban.1/502010002.xml
'

# A row of held.tsv still held for the same reason is copied into the
# day's as it was read (ledger.c, keeprow); one whose reason changed, or
# of a file not mapped or not in the ledger's column order, is written
# again.  again CASE N HOW: day N of a case again (after day), the
# ledger of the day before given with its held.tsv gzipped (gz: not
# mapped) or with invoice and line_no swapped (cols: columns the copy
# does not look at, so a row copied would show); every file written the
# same bytes as from the plain ledger.
again () {
	cs=$1 n=$2 date=2026-11-2$(($2 + 2)) p=l.$1.$(($2 - 1)) v=$3.$1.$2
	mkdir lp.$v t.$v f.$v &&
	for f in $p/*; do
		test "$f" = $p/held.tsv || ln "$f" lp.$v/ || return 1
	done &&
	case $3 in
	gz) gzip -c $p/held.tsv >lp.$v/held.tsv ;;
	cols) awk -F'\t' -v OFS='\t' '
		/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; a = c["invoice"]; b = c["line_no"]
			t = $(a + 3); $(a + 3) = $(b + 3); $(b + 3) = t }
		/^#end/ { next }
		!/^#/ { t = $a; $a = $b; $b = t }
		{ print }' $p/held.tsv |
	    tiers-seal -r >lp.$v/held.tsv ;;
	esac &&
	payment-edit -d $date -o l.$v -l lp.$v -P params.tsv -r r.$cs.$n -x x.$cs.$n -O off.$v \
	    -t t.$v -F f.$v -m m.$v -M txt.$v -s s.$v o.$cs.$n 2>err.$v &&
	for f in l t f; do
		diff -r $f.$cs.$n $f.$v || return 1
	done &&
	for f in m txt s off; do
		cmp $f.$cs.$n $f.$v || return 1
	done
}

# t0870-held.tsv: the reasons of R1, R2 and F1 change from day to day,
# R3's does not; each day the held rows carry the reason of their PS.
test_expect_success 'lines held day after day: each row with the day'"'"'s reason, the same bytes from held.tsv gzipped or reordered' '
	cases=$TIERS_TOP/t/t0870-held.tsv &&
	for n in 1 2 3 4 5; do
		day held $n || { cat err.held.$n; return 1; }
		test_cmp want.held.$n got.held.$n &&
		awk -F"\t" -v OFS="\t" "\$4 == \"held\" { print \$3, \$5 }" got.held.$n | sort >expect &&
		col l.held.$n/held.tsv ps_number reason | sort -u >actual &&
		test_cmp expect actual &&
		if test $n -gt 1; then
			again held $n gz && again held $n cols
		fi || return 1
	done &&
	tiers-seal -q l.held.5/held.tsv &&
	col l.held.5/held.tsv line status reason >actual &&
	cat >expect <<-\EOF &&
	2026-11-23#2	held	no-iban
	2026-11-23#3	held	bad-iban
	2026-11-23#4	held	no-iban
	2026-11-23#5	held	no-iban
	2026-11-24#7	held	no-iban
	EOF
	test_cmp expect actual &&
	col l.held.5/paid-2026-11-27.tsv line status amc_eur >actual &&
	printf "2026-11-23#1\tpaid\t1.00\n2026-11-23#6\tpaid\t6.00\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'offsets larger than the payment: nothing transferred, the rest left to the indus ledger' '
	grep -v "^#" off.offset-larger.1 >actual &&
	printf "502010002\tX1\t30.00\tRPPS\t10195058416\n" >expect &&
	test_cmp expect actual &&
	! test -e t.offset-larger.1/502010002.xml &&
	awk -F"\t" "!/^#/ { print \$10, \$12 }" l.offset-larger.1/* >actual &&
	echo "offset " >expect &&
	test_cmp expect actual &&
	grep "^502010002	indus-offset	1	30.00\$" f.offset-larger.1/502010002.tsv &&
	grep "^502010002	transfers	0	0.00\$" f.offset-larger.1/502010002.tsv &&
	grep -v "^#" off.offset-larger.2 >actual &&
	printf "502010002\tX1\t20.00\tRPPS\t10195058416\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'offsets: oldest item first, never more than left, never on a PS held or not paid' '
	grep -v "^#" off.offset-two.1 | cut -f2,3 >actual &&
	printf "X1\t4.00\nX2\t3.00\n" >expect &&
	test_cmp expect actual &&
	test "$(records off.offset-held.1)" = 0 &&
	grep -q "Indus retenu X1" txt.offset-two.1
'

test_expect_success 'the offsets are a stream indus-extract reads (indus-offset, version 1)' '
	head -n 1 off.offset.1 >actual &&
	printf "#tiers\tindus-offset\t1\tamc\titem\toffset_eur\tps_kind\tps_number\n" >expect &&
	test_cmp expect actual &&
	tiers-seal -q off.*
'

test_expect_success 'the funding statement: paid, released, offsets, transfers, held' '
	grep -v "^#" f.offset.1/502010002.tsv >actual &&
	cat >expect <<-\EOT &&
	502010002	paid	1	30.00
	502010002	released	0	0.00
	502010002	indus-offset	1	10.00
	502010002	transfers	1	20.00
	502010002	held	0	0.00
	EOT
	test_cmp expect actual &&
	grep "^#debtor	Mutuelle Generale de l'"'"'OEuvre\$" f.offset.1/502010002.tsv &&
	grep "^877370001	held	1	9.00\$" f.noaccount.1/877370001.tsv
'

test_expect_success 'the remittance statement: lines, offsets and the transfer, stream and text' '
	awk -F"\t" "!/^#/ { print \$4, \$11, \$12, \$14 }" m.offset.1 >actual &&
	cat >expect <<-\EOT &&
	line 30.00 paid TP20261123-502010002-R10195058416
	offset -10.00 paid TP20261123-502010002-R10195058416
	transfer 20.00 paid TP20261123-502010002-R10195058416
	EOT
	test_cmp expect actual &&
	grep -q "^Montant vire  *20.00\$" txt.offset.1 &&
	grep -q "^Virement SEPA reference TP20261123-502010002-R10195058416\$" txt.offset.1 &&
	grep -q "^Paiement en attente (bad-iban)" txt.badiban.1
'

test_expect_success 'files of payments and bank details are mode 0600' '
	test "$(test_mode l.paid.1)" = drwx------ &&
	for f in l.paid.1/held.tsv l.paid.1/paid-2026-11-23.tsv off.paid.1 m.paid.1 txt.paid.1 t.paid.1/502010002.xml f.paid.1/502010002.tsv \
	    f.paid.1/502010002.txt; do
		test "$(test_mode $f)" = -rw------- || { echo "$f"; exit 1; }
	done
'

test_expect_success 'the funding statement in print: its amounts, the amount to fund the transfers' '
	for f in f.*.*/*.tsv; do
		t=${f%.tsv}.txt &&
		head -n 1 $t | grep -q "^APPEL DE FONDS TIERS PAYANT du 2026-11-2[0-9]\$" &&
		x=$(awk -F"\t" "\$2 == \"transfers\" { print \$4 }" $f) &&
		grep -q "^Montant a financer : $x\$" $t &&
		p=$(awk -F"\t" "\$2 == \"paid\" { print \$3, \$4 }" $f) &&
		grep -q "^Lignes payees ce jour  *${p% *}  *${p#* }\$" $t || { echo "$t"; return 1; }
	done
'

test_expect_success 'a rerun gives the same bytes' '
	mkdir re && cd re &&
	mkdir t f &&
	payment-edit -d 2026-11-24 -o l -l ../l.offset-larger.1 -P ../params.tsv -r ../r.offset-larger.2 \
	    -x ../x.offset-larger.2 -O off -t t -F f -m m -M txt -s s ../o.offset-larger.2 2>err &&
	diff -r l ../l.offset-larger.2 && cmp off ../off.offset-larger.2 && cmp m ../m.offset-larger.2 &&
	cmp txt ../txt.offset-larger.2 && cmp s ../s.offset-larger.2 &&
	cmp t/502010002.xml ../t.offset-larger.2/502010002.xml &&
	cmp f/502010002.tsv ../f.offset-larger.2/502010002.tsv
'

test_expect_success 'a statement a PS and client (-R): the pages of -M, one file each, 0600' '
	mkdir per && cd per &&
	mkdir t f R &&
	payment-edit -d 2026-11-24 -o l -l ../l.offset-larger.1 -P ../params.tsv -r ../r.offset-larger.2 \
	    -x ../x.offset-larger.2 -O off -t t -F f -m m -M txt -R R -s s ../o.offset-larger.2 2>err &&
	diff -r l ../l.offset-larger.2 && cmp txt ../txt.offset-larger.2 &&
	ls R >names &&
	test -s names &&
	! grep -v "^[0-9]*-[A-Z]*-[0-9A-Z]*\.txt\$" names &&
	for f in $(cat names); do
		test "$(test_mode R/$f)" = -rw------- &&
		head -n 1 R/$f | grep -q "^RELEVE DE PAIEMENT TIERS PAYANT du 2026-11-24\$" || return 1
	done &&
	for f in $(cat names); do cat R/$f; done | tr -d "\f" >joined &&
	tr -d "\f" <txt >all &&
	test_cmp all joined
'

# A statement a PS is a file published with the others: a day pays
# thousands of PS.  Found by make bench-year: more than 256 temporaries
# stopped payment-edit (exit 70), and each kept its descriptor open.
test_expect_success 'a statement a PS for 600 PS, with 64 descriptors at most' '
	{
		echo "$outhdr"
		i=0
		while test $i -lt 600; do
			outcome 2026-11-23 $i 502010002 FINESS $((100000000 + i)) 1.00
			i=$((i + 1))
		done
	} | mkstream many.o &&
	mkdir many && (cd many && mkdir t f R &&
	    ulimit -n 64 &&
	    payment-edit -d 2026-11-23 -o l -t t -F f -m m -M txt -R R -s s ../many.o 2>err) &&
	test $(ls many/R | wc -l) = 600 &&
	test -z "$(ls -A many/R | grep "^\.")" &&
	grep -q "^Professionnel de sante : FINESS 100000599\$" many/R/502010002-FINESS-100000599.txt &&
	test $(cat many/R/*.txt | grep -c "^Total des lignes  *1\.00\$") = 600
'

# The orders are strcmp's, whatever sorts: the ledger by (amc, line),
# the statements by (amc, kind, number, line).  The ranks of the lines
# share long prefixes (past the 64 bytes sorted by radix), some are
# prefixes of others, one client's number is a prefix of another's; all
# are held (no register), and on the second day those held the day
# before are merged with the day's.
test_expect_success 'the orders: (amc, line) in the ledger, (amc, kind, number, line) in the statements' '
	z=0000000000000000000000000000000000000000000000000000000000000000000000 &&
	for day in 23 24; do
		{
			echo "$outhdr"
			i=0
			while test $i -lt 300; do
				case $((i % 5)) in
				0) r=$i ;;
				1) r=$z$i ;;
				2) r=${z}1$i ;;
				3) r=$((i % 7))$z$i ;;
				4) r=1$i ;;
				esac
				case $((i % 3)) in
				0) a=502010002 ;;
				1) a=50201000 ;;
				2) a=877370001 ;;
				esac
				k=RPPS
				test $((i % 4)) = 0 && k=FINESS
				outcome 2026-11-$day $r $a $k $((100000000 + i % 11)) 1.00
				i=$((i + 1))
			done
		} | mkstream ord.$day || exit 1
	done &&
	mkdir ord && (cd ord && mkdir t1 t2 &&
	    payment-edit -d 2026-11-23 -o l1 -t t1 -P ../params.tsv -m m1 ../ord.23 2>err &&
	    payment-edit -d 2026-11-24 -o l2 -l l1 -t t2 -P ../params.tsv -m m2 ../ord.24 2>err &&
	    grep " 300 outcomes, 0 lines paid (0 released), 600 held" err &&
	    for f in l1/held.tsv l2/held.tsv; do
		grep -v "^#" $f | cut -f1,2 >keys &&
		test -s keys &&
		LC_ALL=C sort -c -u -t "	" -k1,1 -k2,2 keys || exit 1
	    done &&
	    test $(grep -vc "^#" l2/held.tsv) = 600 &&
	    for f in m1 m2; do
		awk -F"\t" -v OFS="\t" "\$4 == \"line\" { print \$1, \$2, \$3, \$5 }" $f >keys &&
		LC_ALL=C sort -c -u -t "	" -k1,1 -k2,2 -k3,3 -k4,4 keys || exit 1
	    done)
'

# A key whose (amc, NUL, key) ends just where 8 bytes of it end
# ("502010002", NUL, "2026-11-23#102": 24 bytes), first of the keys
# that share those bytes and go on: the longer ones still in strcmp's
# order (10202 before 1027), among enough lines to be sorted by radix.
test_expect_success 'the orders: a key ending on the 8 bytes a pass sorts, before longer ones' '
	{
		echo "$outhdr"
		for r in 102 1027 10202 1023 $(seq 2000 2016); do
			outcome 2026-11-23 $r 502010002 RPPS 100000001 1.00
		done
	} | mkstream edge.23 &&
	mkdir edge && (cd edge && mkdir t &&
	    payment-edit -d 2026-11-23 -o l -t t -P ../params.tsv -m m ../edge.23 2>err &&
	    grep -v "^#" l/held.tsv | cut -f2 >keys &&
	    test $(wc -l <keys) = 21 &&
	    LC_ALL=C sort -c -u keys &&
	    sed -n 1,4p keys >first &&
	    printf "%s\n" 2026-11-23#102 2026-11-23#10202 2026-11-23#1023 2026-11-23#1027 >want &&
	    test_cmp want first)
'

# The statements go into R.tmp under their names, and R.tmp takes R's
# place: R an empty directory or none, never one holding files; a run
# that fails leaves neither statements nor R.tmp.
test_expect_success 'the statements: a directory renamed whole, or nothing' '
	mkdir st && (cd st && mkdir t f &&
	    payment-edit -d 2026-11-23 -o l -t t -F f -R R -s s ../many.o 2>err &&
	    test $(ls R | wc -l) = 600 && ! test -e R.tmp &&
	    test "$(stat -c %a R R/502010002-FINESS-100000000.txt)" = "700
600" &&
	    mkdir R2 t2 && : >R2/other &&
	    test_expect_code 73 payment-edit -d 2026-11-23 -o l2 -t t2 -R R2 ../many.o 2>err &&
	    grep "^payment-edit: R2: " err &&
	    test "$(ls R2)" = other && ! test -e R2.tmp && ! test -e l2 &&
	    test -z "$(ls t2)" &&
	    grep -v "^#end" ../many.o >cut.o &&
	    ! payment-edit -d 2026-11-23 -o l3 -R R3 cut.o 2>err &&
	    ! test -e R3 && ! test -e R3.tmp && ! test -e l3)
'

test_expect_success 'a line already in the ledger is never paid again' '
	mkdir again &&
	grep -v "^#end" o.paid.1 | sed "s/TP20261123/TP20261124/" | mkstream o.again &&
	payment-edit -d 2026-11-24 -o l.again -l l.paid.1 -P params.tsv -r r.paid.1 -t again \
	    -s s.again o.again 2>err &&
	grep "^payment-edit: 2026-11-24: 3 outcomes, 0 lines paid (0 released), 0 held, 2 already paid; 0 transfers 0.00" err &&
	grep "^lines	already-paid	2	30.00\$" s.again &&
	! test -e again/502010002.xml &&
	cat l.paid.1/* | grep -v "^#" >expect && cat l.again/* | grep -v "^#" >actual &&
	test_cmp expect actual &&
	test "$(ls -i l.paid.1/paid-2026-11-23.tsv | cut -d" " -f1)" = \
	    "$(ls -i l.again/paid-2026-11-23.tsv | cut -d" " -f1)"
'

test_expect_success 'the window: a segment paid earlier than -W months is not carried' '
	payment-edit -d 2027-11-23 -W 12 -o l.win -l l.paid.1 2>err &&
	test "$(cat l.win/* | grep -vc "^#")" = 2 &&
	payment-edit -d 2027-11-24 -W 12 -o l.win2 -l l.win 2>err &&
	ls l.win2 >actual &&
	echo held.tsv >expect &&
	test_cmp expect actual &&
	grep "; ledger: 0 lines looked up in 0 of 0 segments, 0 carried, 1 dropped\$" err &&
	test_expect_code 73 payment-edit -d 2027-11-24 -W 12 -o l.win2 -l l.win 2>err &&
	grep "^payment-edit: l.win2: exists\$" err
'

# A line is looked up only in the segments of the days since it was
# first received (its identity, first_claim, is that day's dup_id).
test_expect_success 'a line paid on day 1 presented again on day 3: found in day 1 segment, not paid again' '
	{
		echo "$outhdr" &&
		outcome 2026-11-24 3 $(ps R1) 5.00
	} | mkstream o.seq.2 &&
	payment-edit -d 2026-11-24 -o l.seq.2 -l l.paid.1 -P params.tsv -r r.paid.1 o.seq.2 2>err &&
	ls l.seq.2 >actual &&
	printf "held.tsv\npaid-2026-11-23.tsv\npaid-2026-11-24.tsv\n" >expect &&
	test_cmp expect actual &&
	{
		grep -v "^#end" o.paid.1 | sed "s/TP20261123/TP20261125/" &&
		outcome 2026-11-25 7 $(ps R1) 2.00
	} | mkstream o.seq.3 &&
	payment-edit -d 2026-11-25 -o l.seq.3 -l l.seq.2 -P params.tsv -r r.paid.1 -s s.seq.3 \
	    o.seq.3 2>err &&
	grep "^payment-edit: 2026-11-25: 4 outcomes, 1 lines paid (0 released), 0 held, 2 already paid; .*; ledger: 2 lines looked up in 2 of 2 segments, 2 carried, 0 dropped\$" err &&
	grep "^lines	already-paid	2	30.00\$" s.seq.3 &&
	grep -v "^#" l.seq.3/paid-2026-11-25.tsv | cut -f2 >actual &&
	echo "2026-11-25#7" >expect &&
	test_cmp expect actual
'

test_expect_success 'a segment of a day before the line was first received is not read' '
	cp -R l.seq.2 l.bad1 &&
	echo garbage >l.bad1/paid-2026-11-23.tsv &&
	{
		grep -v "^#end" o.seq.2 | sed "s/TP20261124/TP20261125/" &&
		outcome 2026-11-25 7 $(ps R1) 2.00
	} | mkstream o.bad1 &&
	payment-edit -d 2026-11-25 -o l.bad1.out -l l.bad1 -P params.tsv -r r.paid.1 o.bad1 2>err &&
	grep "^payment-edit: 2026-11-25: 2 outcomes, 1 lines paid (0 released), 0 held, 1 already paid; .*; ledger: 1 lines looked up in 1 of 2 segments, 2 carried, 0 dropped\$" err
'

test_expect_success 'a segment a line is looked up in, corrupt: refused, nothing published' '
	cp -R l.seq.2 l.bad2 &&
	sed "s/	paid	2026-11-23	/	sent	2026-11-23	/" l.seq.2/paid-2026-11-23.tsv \
	    >l.bad2/paid-2026-11-23.tsv &&
	mkdir bad2t &&
	test_expect_code 65 payment-edit -d 2026-11-25 -o l.bad2.out -l l.bad2 -P params.tsv \
	    -r r.paid.1 -t bad2t -s s.bad2 o.seq.3 2>err &&
	echo "payment-edit: l.bad2/paid-2026-11-23.tsv:3: status: not paid or offset in a segment of lines paid" >expect &&
	test_cmp expect err &&
	! test -e l.bad2.out && ! test -e l.bad2.out.tmp && ! test -e s.bad2 &&
	! ls bad2t | grep . &&
	head -n 3 l.seq.2/paid-2026-11-23.tsv >l.bad2/paid-2026-11-23.tsv &&
	test_expect_code 65 payment-edit -d 2026-11-25 -o l.bad2.out -l l.bad2 -P params.tsv \
	    -r r.paid.1 o.seq.3 2>err &&
	echo "payment-edit: l.bad2/paid-2026-11-23.tsv: trailer: no trailer: stream truncated or its writer failed" >expect &&
	test_cmp expect err &&
	! test -e l.bad2.out && ! test -e l.bad2.out.tmp &&
	echo garbage >l.bad2/notes &&
	test_expect_code 65 payment-edit -d 2026-11-25 -o l.bad2.out -l l.bad2 o.seq.3 2>err &&
	grep "^payment-edit: l.bad2/notes: not a file of a payment ledger (held.tsv, paid-YYYY-MM-DD.tsv)\$" err &&
	rm l.bad2/notes &&
	test_expect_code 65 payment-edit -d 2026-11-24 -o l.bad2.out -l l.bad2 o.seq.2 2>err &&
	grep "^payment-edit: l.bad2/paid-2026-11-24.tsv: a segment of the business date or after\$" err
'

# Refusals (t0870-refuse.tsv): the status, the first message, nothing
# published, no IBAN in a message.
hdr_params='#tiers	payment-params	1	amc	debtor_name	iban	bic'
hdr_register='#tiers	ps-register	1	ps_kind	ps_number	am_number	siret	name	iban	bic	valid_from	valid_to'
hdr_offsetable='#tiers	indus-offsetable	1	amc	ps_kind	ps_number	item	line	invoice	line_no	act_date	opened	left_eur'
hdr_outcomes=$outhdr
hdr_ledger='#tiers	payment-ledger	1	amc	line	ps_kind	ps_number	invoice	line_no	act_date	decided	amc_eur	status	paid	payment_ref	reason'
while IFS='	' read -r name input status msg rec; do
	case $name in '#'* | '') continue ;; esac
	eval "hdr=\$hdr_$input"
	test_expect_success "refused: $name" "
		rm -rf ref && mkdir ref ref/t ref/f &&
		cp params.tsv ref/params && cp r.paid.1 ref/register && cp x.paid.1 ref/offsetable &&
		cp o.paid.1 ref/outcomes && cp -R l.paid.1 ref/ledger && rm ref/ledger/paid-* &&
		{ printf '%s\\n' '$hdr'; printf '%s\\n' '$rec' | tr '|' '\\t';
		  if test $name = ledger-order; then printf '%s\\n' '$rec' | tr '|' '\\t' | sed 's/#2/#1/'; fi; } |
		    mkstream ref/in && mv ref/in ref/\$(test $input = ledger && echo ledger/held.tsv || echo $input) &&
		cd ref &&
		test_expect_code $status payment-edit -d 2026-11-23 -o l -l ledger -P params -r register \
		    -x offsetable -O off -t t -F f -m m -M txt -s s outcomes 2>err;
		test \$? = 0 || exit 1
		sed -n 1p err >actual &&
		printf '%s\\n' \"$msg\" >expect &&
		test_cmp expect actual &&
		! find t f -type f | grep . && ! test -e l && ! test -e l.tmp && ! test -e off && ! test -e m &&
		! grep -e $okiban -e $badiban -e FR7630006000011234567890189 err
	"
done <"$TIERS_TOP/t/t0870-refuse.tsv"

test_expect_success 'the nightly: paid the day the register and the accounts come, held before' '
	mkdir -p data/inbox &&
	cp -R "$TIERS_TOP/testdata/sample/2026-11-18" "$TIERS_TOP/testdata/sample/2026-11-19" data/inbox/ &&
	{
		printf "#tiers\tps-register\t1\tps_kind\tps_number\tam_number\tsiret\tname\tiban\tbic\tvalid_from\tvalid_to\n" &&
		grep -v "^#" data/inbox/2026-11-18/ps.tsv |
		    awk -F"\t" -v OFS="\t" "{ print \$2, \$3, \"\", \"\", \"PS \" \$1, \$4, \"\", \"2020-01-01\", \"\" }"
	} | mkstream data/inbox/2026-11-19/ps-register.tsv &&
	gzip data/inbox/2026-11-19/ps-register.tsv &&
	{
		printf "#tiers\tpayment-params\t1\tamc\tdebtor_name\tiban\tbic\n" &&
		for a in 502010002 649010000 877370001; do
			printf "%s\tClient %s\tFR7630006000011234567890189\tAGRIFRPPXXX\n" $a $a
		done
	} | mkstream data/inbox/2026-11-19/payment-params.tsv &&
	tiers-nightly -I 2026-11-18 data >out 2>err &&
	d=data/days/2026-11-18 &&
	grep "^tiers-nightly: 2026-11-18: payment: 300 outcomes, 0 lines paid (0 released), 240 held" err &&
	! ls $d/out/payments/sepa | grep . &&
	{ tiers-nightly 2026-11-19 data >out 2>err || test $? = 1; } &&
	d=data/days/2026-11-19 &&
	grep "^tiers-nightly: 2026-11-19: payment: [0-9]* outcomes, [0-9]* lines paid (240 released), 0 held" err &&
	xmllint --noout --schema "$xsd" $d/out/payments/sepa/*.xml &&
	grep "^payment	ps-register.tsv.gz	register	40		ok	\$" $d/summary.tsv &&
	test -f $d/state/payments/register.tsv && test -f $d/state/payments/params.tsv &&
	awk -F"\t" "!/^#/ && \$10 == \"held\"" $d/state/payments/ledger/* >held &&
	test_must_be_empty held
'

test_expect_success 'the nightly with the stage indus: an item offset over two days, the rest carried' '
	mkdir -p ind/inbox &&
	cp -R "$TIERS_TOP/testdata/sample/2026-11-18" "$TIERS_TOP/testdata/sample/2026-11-19" \
	    "$TIERS_TOP/testdata/sample/2026-11-20" ind/inbox/ &&
	cp data/inbox/2026-11-19/ps-register.tsv.gz data/inbox/2026-11-19/payment-params.tsv \
	    ind/inbox/2026-11-18/ &&
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n%s\n%s\n" \
	    "502010002	1	60	30" "649010000	1	60	30" "877370001	1	60	30" |
	    mkstream ind/inbox/2026-11-18/indus-params.tsv &&
	tiers-nightly -I 2026-11-18 ind >out 2>err &&
	{ tiers-nightly 2026-11-19 ind >out 2>err || test $? = 1; } &&
	tiers-nightly 2026-11-20 ind >out 2>err &&
	d=ind/days &&
	test "$(awk -F"\t" "\$4 == \"2026-11-19#105\" { print \$10 }" $d/2026-11-19/out/indus/offsetable.tsv)" = 570.82 &&
	grep "^502010002	2026-11-19#105	120.00	FINESS	246568224\$" $d/2026-11-19/state/payments/offsets.tsv &&
	test "$(awk -F"\t" "\$4 == \"2026-11-19#105\" { print \$10 }" $d/2026-11-20/out/indus/offsetable.tsv)" = 450.82 &&
	grep "^502010002	2026-11-19#105	450.82	FINESS	246568224\$" $d/2026-11-20/state/payments/offsets.tsv &&
	xmllint --noout --schema "$xsd" $d/*/out/payments/sepa/*.xml &&
	for f in $d/*/out/payments/funding/*.tsv; do
		awk -F"\t" "!/^#/ { split(\$4, x, \".\"); c[\$2] = x[1] * 100 + x[2] }
		    END { exit !(c[\"paid\"] - c[\"indus-offset\"] == c[\"transfers\"]) }" $f ||
		    { echo "$f"; exit 1; }
	done
'

test_expect_success SHARED 'the nightly with the stage indus: the files valid against the ISO schema' '
	xmllint --noout --schema "$iso" ind/days/*/out/payments/sepa/*.xml
'

test_expect_success 'the nightly: a register refused stops the day' '
	mkdir -p bad/inbox/2026-11-18 &&
	printf "#tiers\tps-register\t1\tps_kind\tps_number\tam_number\tsiret\tname\tiban\tbic\tvalid_from\tvalid_to\nRPPS\t10195058416\t\t\tX\t$okiban\t\tsoon\t\n" |
	    mkstream bad/inbox/2026-11-18/ps-register.tsv &&
	test_expect_code 65 tiers-nightly -I 2026-11-18 bad >out 2>err &&
	grep "ps-register.tsv changes what is paid and was refused: payment-edit: ps-register.tsv:2: valid_from: not a date" err &&
	! test -d bad/days/2026-11-18
'

test_expect_success 'usage' '
	test_expect_code 64 payment-edit 2>err &&
	grep "^usage: payment-edit -d date -o ledger" err &&
	test_expect_code 64 payment-edit -d 2026-11-23 -o l -x x.paid.1 o.paid.1 2>err &&
	test_expect_code 64 payment-edit -q 2>err &&
	test_expect_code 64 payment-edit -d 2026-13-01 -o l o.paid.1 2>err &&
	grep "^payment-edit: -d 2026-13-01: not a date YYYY-MM-DD\$" err &&
	test_expect_code 64 payment-edit -d 2026-11-23 -W 0 -o l o.paid.1 2>err
'

test_expect_success 'write error: a ledger that cannot be written' '
	test_expect_code 73 payment-edit -d 2026-11-23 -o /dev/full o.paid.1 2>err
'

test_done
