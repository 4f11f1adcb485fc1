#!/bin/sh
test_description='reject-code: outcomes, lines on hold presented again, the table of codes'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0840-reject.tsv
. "$TEST_DIRECTORY/seq-lib.sh"

# records FILE: the records of a sealed stream, from its trailer.
records () {
	tail -n 1 "$1" | cut -f2
}

# One case's days as the nightly runs them: the pending claims of the day
# before first, then the day's, through dedup -l, liquidate, dedup -B and
# reject-code.
for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "sequence $cs" "
		prevcons= && prevled= && prevpend= &&
		for day in \$(awk -F'\t' -v cs=$cs '\$1 == cs { print \$2 }' '$cases' | uniq); do
			date=2026-11-2\$((day + 2)) &&
			claims $cs \$day >c.$cs.\$day &&
			set -- c.$cs.\$day &&
			if test -n \"\$prevpend\"; then set -- \$prevpend/claims.tsv \"\$@\"; fi &&
			dedup -l -V -d \$date \${prevled:+-h \$prevled} -o l.$cs.\$day \"\$@\" 2>err &&
			liquidate -d \$date -g g.xml -m master.\$day.tsv -p pec.tsv \${prevcons:+-c \$prevcons} \
			    -C cons.$cs.\$day -o d.$cs.\$day l.$cs.\$day 2>err &&
			dedup -B -V -d \$date \${prevled:+-h \$prevled} -D d.$cs.\$day -H led.$cs.\$day \
			    l.$cs.\$day 2>err &&
			mkdir p.$cs.\$day &&
			reject-code -d \$date \${prevpend:+-p \$prevpend} -n p.$cs.\$day -o o.$cs.\$day \
			    l.$cs.\$day d.$cs.\$day 2>err &&
			tiers-seal -q o.$cs.\$day p.$cs.\$day/claims.tsv p.$cs.\$day/hold.tsv &&
			test \"\$(test_mode o.$cs.\$day)\" = -rw------- &&
			col o.$cs.\$day dest code amc_eur outcome presented >outcomes &&
			col l.$cs.\$day dup >verdicts &&
			awk -F'\t' 'NR == FNR { v[FNR] = \$0; next } { print v[FNR] \"\t\" \$0 }' \
			    verdicts outcomes >actual.$cs.\$day &&
			awk -F'\t' -v OFS='\t' -v cs=$cs -v day=\$day '\$1 == cs && \$2 == day { print \$5, \$6, \$7, \$8, \$9, \$10 }' '$cases' >expect.$cs.\$day &&
			test_cmp expect.$cs.\$day actual.$cs.\$day &&
			prevcons=cons.$cs.\$day && prevled=led.$cs.\$day && prevpend=p.$cs.\$day || exit 1
		done
	"
done

test_expect_success 'a line on hold keeps its first claim and date, and when it is decided' '
	printf "%s\n" "2026-11-23#1	LQ01	2026-11-23	2026-11-25	2" >expect &&
	col p.hold-expire.2/hold.tsv first_claim code first_date decide_by presented >actual &&
	test_cmp expect actual &&
	col o.hold-expire.3 first_claim first_date decide_by >actual &&
	printf "%s\n" "2026-11-23#1	2026-11-23	2026-11-25" >expect &&
	test_cmp expect actual &&
	test "$(records p.hold-expire.3/hold.tsv)" = 0
'

test_expect_success 'the summary: lines and amounts per outcome' '
	mkdir sum &&
	reject-code -d 2026-11-24 -p p.hold-resent.1 -n sum -o o.sum -s s.sum \
	    l.hold-resent.2 d.hold-resent.2 2>err &&
	grep "^reject-code: 2026-11-24: 2 lines: 1 paid, 0 paid-report, 1 rejected, 0 on hold (1 presented again, 0 carried), 0 expired, 0 recover, 0 client, 0 confirmed\$" err &&
	grep -v "^#" s.sum >actual &&
	printf "lines\tpaid\t1\t9.00\nlines\trejected\t1\t11.00\n" >expect &&
	test_cmp expect actual
'

# The returns of hold-resent's day 2: the line presented again, paid; the
# copy the PS sent again, rejected as its duplicate.
test_expect_success 'the PS return: a stream and a fixed-width file, by PS' '
	mkdir ret ret/p ret/c &&
	reject-code -d 2026-11-24 -p p.hold-resent.1 -n ret/p -o ret/o -r ret/ps.tsv -f ret/ps.txt \
	    -c ret/c l.hold-resent.2 d.hold-resent.2 2>err &&
	tiers-seal -q ret/ps.tsv ret/c/900000001.tsv &&
	col ret/ps.tsv ps_kind ps_number invoice line_no amc_eur outcome code payment_ref >actual &&
	printf "%s\n" "RPPS	10000000001	100000001	1	9.00	paid	LQ00	TP20261124-900000001-R10000000001" \
	    "RPPS	10000000001	100000001	1	0.00	rejected	LQ11	" >expect &&
	test_cmp expect actual &&
	cut -c1-3 ret/ps.txt >types &&
	printf "%s\n" 000 100 200 200 900 999 >expect &&
	test_cmp expect types &&
	awk "length(\$0) != 160" ret/ps.txt >long &&
	test_must_be_empty long &&
	grep "^000TIERS-RETOUR-PS20261124 *\$" ret/ps.txt &&
	grep "^200100000001           000120261110G     +00000003000+00000000900+00000000000paid        LQ00        2026-11-24#1            TP20261124-900000001-R10000000001  \$" ret/ps.txt &&
	grep "^900000000002+0000000000900+0000000006000 *\$" ret/ps.txt &&
	grep "^999000000002+0000000000900+0000000006000 *\$" ret/ps.txt
'

test_expect_success 'the client return: a stream and CSV, every line, the client reference' '
	col ret/c/900000001.tsv contract member_ref amc_eur outcome identity_update claim >actual &&
	printf "%s\n" "C9	N	9.00	paid	0	2026-11-24#1" "C9	N	0.00	rejected	0	2026-11-24#2" >expect &&
	test_cmp expect actual &&
	test "$(test_mode ret/c/900000001.csv)" = -rw------- &&
	test "$(wc -l <ret/c/900000001.csv)" = 3 &&
	head -n 1 ret/c/900000001.csv | grep "^\"contract\",\"member_ref\",\"ps_kind\"" &&
	grep "^\"C9\",\"N\",\"RPPS\",\"10000000001\",\"100000001\",\"1\",\"2026-11-10\",\"G\",\"30.00\",\"30.00\",\"19.00\",\"9.00\",\"2.00\",\"0.00\",\"ps\",\"LQ00\",\"paid\",\"0\",\"TP20261124-900000001-R10000000001\",\"2026-11-24#1\"," ret/c/900000001.csv &&
	! grep -q 1700175123010 ret/c/900000001.csv ret/c/900000001.tsv
'

test_expect_success '-O: the returns alone, from the outcomes written before: the same bytes' '
	mkdir reto reto/p reto/c &&
	reject-code -d 2026-11-24 -p p.hold-resent.1 -n reto/p -o reto/o \
	    l.hold-resent.2 d.hold-resent.2 2>err &&
	! test -e reto/ps.tsv && test -z "$(ls reto/c)" &&
	cmp ret/o reto/o &&
	reject-code -O reto/o -d 2026-11-24 -r reto/ps.tsv -f reto/ps.txt -c reto/c 2>err &&
	test_must_be_empty err &&
	cmp ret/ps.tsv reto/ps.tsv && cmp ret/ps.txt reto/ps.txt &&
	(cd ret/c && ls) >want && (cd reto/c && ls) >got && test_cmp want got &&
	for f in $(cat want); do cmp ret/c/$f reto/c/$f || exit 1; done &&
	test "$(test_mode reto/ps.tsv)" = -rw------- &&
	mkdir reto2 &&
	test_expect_code 65 reject-code -O reto/o -d 2026-11-25 -r reto2/ps.tsv 2>err &&
	grep "^reject-code: reto/o:[0-9]*: business_date: not the business date 2026-11-25 (-d)\$" err &&
	! test -e reto2/ps.tsv &&
	sed "\$d" reto/o >reto2/cut &&
	test_expect_code 65 reject-code -O reto2/cut -d 2026-11-24 -r reto2/ps.tsv 2>err &&
	grep "^reject-code: reto2/cut:" err &&
	! test -e reto2/ps.tsv &&
	mkdir reto2/c &&
	grep -v "^#end" reto/o | awk -F"\t" -v OFS="\t" "
		/^#tiers/ { for (i = 4; i <= NF; i++) if (\$i == \"amc_eur\") k = i - 3 }
		!/^#/ && !done { \$k = \"\"; done = 1 }
		{ print }" | tiers-seal -r -o reto2/noamc &&
	test_expect_code 65 reject-code -O reto2/noamc -d 2026-11-24 -c reto2/c 2>err &&
	grep "^reject-code: reto2/noamc:[0-9]*: amc_eur: not an amount\$" err &&
	test -z "$(ls reto2/c)" &&
	test_expect_code 64 reject-code -O reto/o -d 2026-11-24 2>err &&
	test_expect_code 64 reject-code -O reto/o -d 2026-11-24 -o x -r reto2/ps.tsv 2>err &&
	test_expect_code 64 reject-code -O reto/o -d 2026-11-24 -r reto2/ps.tsv l.hold-resent.2 2>err &&
	grep "^usage: reject-code" err
'

# The clients' CSV: lines of one invoice (contract to invoice the same)
# one after the other for two clients, and a prefix longer than the
# memo of the line before (128 bytes): each line's CSV as its own
# fields give it.
test_expect_success '-O: the clients'"'"' CSV of consecutive lines of one invoice, for two clients, and of a long contract' '
	long=$(printf "K%.0s" $(seq 1 140)) &&
	awk -F"\t" -v OFS="\t" -v long="$long" "$COLS"" !n++ {
		split(\"900000001 900000002 900000001 900000002 900000001 900000001\", a, \" \")
		split(\"C7 C7 C7 \" long \" \" long \" C7\", k, \" \")
		for (i = 1; i <= 6; i++) {
			\$c[\"amc\"] = a[i]
			\$c[\"contract\"] = k[i]
			\$c[\"member_ref\"] = i < 3 ? \"M1\" : \"M2\"
			\$c[\"invoice\"] = \"INV1\"
			\$c[\"claim\"] = \"2026-11-24#\" i
			print
		}
	}" reto/o >reto4.lines &&
	{ sed -n "1,/^#business_date/p" reto/o && cat reto4.lines; } | tiers-seal -r >reto4.o &&
	mkdir -p reto4/c &&
	reject-code -O reto4.o -d 2026-11-24 -c reto4/c 2>err &&
	test_must_be_empty err &&
	for a in 900000001 900000002; do
		col reto4.o amc contract member_ref ps_kind ps_number invoice claim |
		    awk -F"\t" -v a=$a "\$1 == a { printf \"\\\"%s\\\",\\\"%s\\\",\\\"%s\\\",\\\"%s\\\",\\\"%s\\\" %s\\n\", \$2, \$3, \$4, \$5, \$6, \$7 }" >expect.$a &&
		test "$(wc -l <expect.$a)" -ge 2 &&
		sed 1d reto4/c/$a.csv | awk -F"," "{ printf \"%s,%s,%s,%s,%s %s\\n\", \$1, \$2, \$3, \$4, \$5, \$20 }" |
		    tr -d "\"" >got0.$a && tr -d "\"" <expect.$a >want.$a &&
		test_cmp want.$a got0.$a || exit 1
	done &&
	grep -c "^\"$long\",\"M2\"," reto4/c/900000001.csv >n && test "$(cat n)" = 1
'

# The clients' CSV of the columns remembered in tables of their own: the
# amounts (thousands of values, slots shared), payment_ref (more values
# than its table first holds, so that it grows; one with a quote, one
# longer than what is remembered, empty ones): each line's CSV as its
# own fields give it.
test_expect_success '-O: the clients'"'"' CSV of many amounts and transfer references' '
	long=$(printf "R%.0s" $(seq 1 70)) &&
	awk -F"\t" -v OFS="\t" -v long="$long" "$COLS"" !n++ {
		for (i = 1; i <= 3000; i++) {
			\$c[\"amc\"] = 900000001
			\$c[\"claim\"] = \"2026-11-24#\" i
			\$c[\"fr_eur\"] = sprintf(\"%d.%02d\", i % 1234, i % 97)
			\$c[\"br_eur\"] = i % 3 ? \$c[\"fr_eur\"] : sprintf(\"%d.00\", i % 40)
			\$c[\"amo_eur\"] = sprintf(\"%d.%02d\", i % 50, i % 13)
			\$c[\"amc_eur\"] = sprintf(\"%d.%02d\", i * 7 % 3000, i % 100)
			\$c[\"rac_eur\"] = sprintf(\"%d.%02d\", i % 5, 0)
			r = \"TP20261124-REF-\" i % 2500
			if (i % 9 == 0)
				r = \"\"
			if (i % 600 == 7)
				r = \"TP\\\"Q\" i % 1100
			if (i % 700 == 3)
				r = long i % 2
			\$c[\"payment_ref\"] = r
			print
		}
	}" reto/o >reto5.lines &&
	{ sed -n "1,/^#business_date/p" reto/o && cat reto5.lines; } | tiers-seal -r >reto5.o &&
	mkdir -p reto5/c &&
	reject-code -O reto5.o -d 2026-11-24 -c reto5/c 2>err &&
	test_must_be_empty err &&
	col reto5.o fr_eur br_eur amo_eur amc_eur rac_eur payment_ref claim |
	    awk -F"\t" -v OFS="," "{ for (i = 1; i <= NF; i++) { gsub(/\"/, \"\\\"\\\"\", \$i); \$i = \"\\\"\" \$i \"\\\"\" } print }" >expect &&
	test "$(wc -l <expect)" = 3000 &&
	grep -c "\"TP\"\"Q" expect >n && test "$(cat n)" = 5 &&
	sed 1d reto5/c/900000001.csv | awk -F"," -v OFS="," "{ print \$9, \$10, \$11, \$12, \$13, \$19, \$20 }" >actual &&
	test_cmp expect actual
'

# Keys that begin others (A and AB, 1 and 12, 1 and 1 2), spaces
# inside: the PS return in sort(1)'s order on ps_kind, ps_number
# and the rank.
test_expect_success '-O: the PS return in byte order of ps_kind, then ps_number, then in the outcomes order' '
	awk -F"\t" -v OFS="\t" "$COLS"" {
		split(\"A AB A A A_B AB A A\", k, \" \")
		split(\"1 1 12 1_2 1 2 10 2\", n, \" \")
		for (i = 1; i <= 8; i++) {
			\$c[\"ps_kind\"] = k[i]
			\$c[\"ps_number\"] = n[i]
			gsub(\"_\", \" \")
			\$c[\"claim\"] = \"2026-11-24#\" ++seq
			print
		}
	}" reto/o >reto3.lines &&
	{ sed -n "1,/^#business_date/p" reto/o && cat reto3.lines; } | tiers-seal -r >reto3.o &&
	mkdir reto3 &&
	reject-code -O reto3.o -d 2026-11-24 -r reto3/ps.tsv -f reto3/ps.txt 2>err &&
	test_must_be_empty err &&
	col reto3.o outcome ps_kind ps_number claim | grep -v "^client	" | cut -f 2- |
	    sed "s/#/	/" | LC_ALL=C sort -t "	" -k 1,1 -k 2,2 -k 4n,4 >expect &&
	test "$(wc -l <expect)" -gt 8 &&
	col reto3/ps.tsv ps_kind ps_number claim | sed "s/#/	/" >actual &&
	test_cmp expect actual
'

# Past TIERS_PSMEM bytes of offsets (0: from the first outcome; 100: five
# outcomes, then the others), the keys go to sort(1): the same bytes.
test_expect_success '-O: the PS return by sort(1) past TIERS_PSMEM, the same bytes' '
	for m in 0 100; do
		rm -rf reto4 && mkdir reto4 &&
		TIERS_PSMEM=$m TMPDIR=$PWD/reto4 reject-code -O reto3.o -d 2026-11-24 \
		    -r reto4/ps.tsv -f reto4/ps.txt 2>err &&
		test_must_be_empty err &&
		cmp reto3/ps.tsv reto4/ps.tsv && cmp reto3/ps.txt reto4/ps.txt &&
		ls reto4 >actual && printf "ps.tsv\nps.txt\n" >expect &&
		test_cmp expect actual || exit 1
	done
'

# -j 2: the clients' returns by a thread of their own, the outcomes
# handed to it in batches (TIERS_RETBATCH outcomes a batch, four batches
# at most: many hand-overs, the reader held back): the same bytes as one
# thread, whatever the batches, also with the PS return by sort(1).
test_expect_success '-O -j 2: the clients'"'"' returns by a second thread, in batches: the same bytes' '
	awk -F"\t" -v OFS="\t" "$COLS"" !/^#/ {
		split(\"900000001 900000002 x 900000003 900000001\", a, \" \")
		for (i = 1; i <= 200; i++) {
			\$c[\"amc\"] = a[i % 5 + 1] == \"x\" ? \"\" : a[i % 5 + 1]
			\$c[\"ps_number\"] = 1000 + i % 7
			\$c[\"invoice\"] = \"INV\" int(i / 3)
			\$c[\"claim\"] = \"2026-11-24#\" ++seq
			print
		}
	}" reto/o >ret7.lines &&
	{ sed -n "1,/^#business_date/p" reto/o && cat ret7.lines; } | tiers-seal -r >ret7.o &&
	test "$(records ret7.o)" = 400 &&
	mkdir -p ret7/1/c &&
	reject-code -O ret7.o -d 2026-11-24 -r ret7/1/ps.tsv -f ret7/1/ps.txt -c ret7/1/c 2>err &&
	test_must_be_empty err &&
	ls ret7/1/c >want && test "$(wc -l <want)" = 8 &&
	for b in 1 2 3 7 400 -; do
		rm -rf ret7/2 && mkdir -p ret7/2/c &&
		if test $b = -; then
			TIERS_PSMEM=0 TIERS_RETBATCH=3 TMPDIR=$PWD/ret7/2 reject-code -O ret7.o \
			    -d 2026-11-24 -j 2 -r ret7/2/ps.tsv -f ret7/2/ps.txt -c ret7/2/c 2>err
		else
			TIERS_RETBATCH=$b reject-code -O ret7.o -d 2026-11-24 -j 2 \
			    -r ret7/2/ps.tsv -f ret7/2/ps.txt -c ret7/2/c 2>err
		fi &&
		test_must_be_empty err &&
		cmp ret7/1/ps.tsv ret7/2/ps.tsv && cmp ret7/1/ps.txt ret7/2/ps.txt &&
		ls -A ret7/2/c >got && test_cmp want got &&
		for f in $(cat want); do cmp ret7/1/c/$f ret7/2/c/$f || exit 1; done || exit 1
	done &&
	rm -rf ret7/2 && mkdir -p ret7/2/c &&
	reject-code -O ret7.o -d 2026-11-24 -j 2 -r ret7/2/ps.tsv -f ret7/2/ps.txt -c ret7/2/c 2>err &&
	test_must_be_empty err &&
	cmp ret7/1/ps.tsv ret7/2/ps.tsv &&
	for f in $(cat want); do cmp ret7/1/c/$f ret7/2/c/$f || exit 1; done
'

# A bad outcome in the middle, one the reader refuses (an amount that is
# not one, the trailer as it was) or the clients' returns do (amc_eur
# empty, sealed again): with -j 2 as with one thread, the message once,
# 65, nothing published.
test_expect_success '-O -j 2: a bad outcome in the middle: the message once, 65, nothing published' '
	for bad in fr_eur amc_eur; do
		awk -F"\t" -v OFS="\t" -v bad=$bad "
			/^#tiers/ { for (i = 4; i <= NF; i++) if (\$i == bad) k = i - 3 }
			!/^#/ && ++n == 201 { \$k = bad == \"fr_eur\" ? \"1.2.3\" : \"\" }
			bad == \"fr_eur\" || !/^#end/ { print }" ret7.o >ret7.bad &&
		if test $bad = amc_eur; then tiers-seal -r <ret7.bad >ret7.sealed &&
			mv ret7.sealed ret7.bad; fi &&
		for j in 1 2; do
			rm -rf ret7/b && mkdir -p ret7/b/c &&
			TIERS_RETBATCH=3 test_expect_code 65 reject-code -O ret7.bad -d 2026-11-24 -j $j \
			    -r ret7/b/ps.tsv -f ret7/b/ps.txt -c ret7/b/c 2>err.$j &&
			test "$(wc -l <err.$j)" = 1 &&
			test -z "$(ls -A ret7/b/c)" && ls -A ret7/b >got && echo c >want &&
			test_cmp want got || exit 1
		done &&
		test_cmp err.1 err.2 &&
		grep "^reject-code: ret7.bad:[0-9]*: $bad: " err.2 || exit 1
	done &&
	test_expect_code 64 reject-code -O ret7.o -d 2026-11-24 -j 3 -c ret7/b/c 2>err &&
	grep "^reject-code: -j: must be a number from 1 to 2\$" err &&
	test_expect_code 64 reject-code -d 2026-11-24 -j 2 -p p.hold-resent.1 -n ret7/b -o ret7/b/o \
	    l.hold-resent.2 d.hold-resent.2 2>err &&
	grep "^usage: reject-code" err
'

test_expect_success 'a line of no client number: in the unattributed return, not refused' '
	sed "s/	900000001	C1	A	/	X1	C1	A	/" d.cancel.1 | tiers-seal -r >d.x1 &&
	mkdir ret4 ret4/p ret4/c &&
	reject-code -d 2026-11-23 -n ret4/p -o ret4/o -c ret4/c l.cancel.1 d.x1 2>err &&
	ls ret4/c >actual &&
	printf "unattributed.csv\nunattributed.tsv\n" >expect &&
	test_cmp expect actual &&
	test "$(records ret4/c/unattributed.tsv)" = 1
'

test_expect_success 'a line paid and reported: the client told to update the identity' '
	mkdir ret2 ret2/p ret2/c &&
	reject-code -d 2026-11-23 -n ret2/p -o ret2/o -c ret2/c l.identity.1 d.identity.1 2>err &&
	col ret2/c/900000001.tsv outcome identity_update client_label >actual &&
	printf "paid-report\t1\tPayé ; identité du bénéficiaire à mettre à jour\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a PS return layout of the operator'"'"'s (-L), and a wrong one refused' '
	sed "s/^field	200  78 12 A	outcome/field	200  78 12 A	outcome # kept/" \
	    "$TIERS_TOP/formats/returns/ps-return.lay" >my.lay &&
	mkdir ret3 ret3/p &&
	reject-code -d 2026-11-24 -p p.hold-resent.1 -n ret3/p -o ret3/o -f ret3/ps.txt -L my.lay \
	    l.hold-resent.2 d.hold-resent.2 2>err &&
	cmp ret/ps.txt ret3/ps.txt &&
	sed "s/^field	200  78 12 A	outcome/field	200  78 12 A	verdict/" my.lay >bad.lay &&
	rm -rf ret3 && mkdir ret3 ret3/p &&
	test_expect_code 65 reject-code -d 2026-11-24 -p p.hold-resent.1 -n ret3/p -o ret3/o \
	    -f ret3/ps.txt -L bad.lay l.hold-resent.2 d.hold-resent.2 2>err &&
	grep "^reject-code: bad.lay:" err &&
	! test -e ret3/ps.txt && ! test -e ret3/o
'

# A table of codes of the client's: LQ01 is final for client 900000001.
test_expect_success 'a client table overrides the built-in row (-t)' '
	printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n900000001\tLQ01\tfinal\t0\tInconnu\tNon déclaré\n" |
	    mkstream codes.tsv &&
	mkdir t1 &&
	reject-code -t codes.tsv -d 2026-11-23 -n t1 -o o.t1 l.hold-pass.1 d.hold-pass.1 2>err &&
	col o.t1 code outcome ps_label client_label >actual &&
	printf "LQ01\trejected\tInconnu\tNon déclaré\n" >expect &&
	test_cmp expect actual &&
	test "$(records t1/hold.tsv)" = 0
'

# Contestations (3.1.6).  Day 1: N rejected for good (a client table that
# makes LQ01 final), A paid.  Day 2: the PS contests N's line (the client
# has declared N since): presented again, paid.  Other contestations are
# refused with their reason, one report row each.
test_expect_success 'contested: presented again, paid; the others refused with their reason' '
	printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n*\tLQ01\tfinal\t0\tInconnu\tNon déclaré\n" |
	    mkstream final.tsv &&
	cat c.hold-pass.1 >c.k1 &&
	{ head -n 1 c.k1 && grep -v "^#" c.cancel.1 | sed "s/	1	2026-11-10	G/	2	2026-11-10	G/" ; } | tiers-seal -r >c.k1b &&
	mkdir -p days/2026-11-23/out k1 &&
	dedup -l -V -d 2026-11-23 -o days/2026-11-23/out/claims.tsv c.k1 c.k1b 2>err &&
	liquidate -d 2026-11-23 -g g.xml -m master.1.tsv -p pec.tsv -C cons.k1 -o d.k1 \
	    days/2026-11-23/out/claims.tsv 2>err &&
	dedup -B -V -d 2026-11-23 -D d.k1 -H led.k1 days/2026-11-23/out/claims.tsv 2>err &&
	reject-code -t final.tsv -d 2026-11-23 -n k1 -o days/2026-11-23/out/outcomes.tsv \
	    days/2026-11-23/out/claims.tsv d.k1 2>err &&
	col days/2026-11-23/out/outcomes.tsv claim outcome code >actual &&
	printf "2026-11-23#1\trejected\tLQ01\n2026-11-23#2\tpaid\tLQ00\n" >expect &&
	test_cmp expect actual &&
	{
		printf "#tiers\tcontestation\t1\tclaim\tps_kind\tps_number\tinvoice\tline_no\tground\tpec_number\n"
		printf "2026-11-23#1\tRPPS\t10000000001\t100000001\t1\tbenef\t\n"
		printf "2026-11-23#2\tRPPS\t10000000001\t100000001\t1\tother\t\n"
		printf "2026-11-23#1\tRPPS\t10000000001\t100000001\t1\tbenef\t\n"
		printf "2026-11-23#9\tRPPS\t10000000001\t100000001\t1\tother\t\n"
		printf "2026-11-22#1\tRPPS\t10000000001\t100000001\t1\tother\t\n"
		printf "2026-11-24#1\tRPPS\t10000000001\t100000001\t1\tother\t\n"
		printf "2026-11-23#01\tRPPS\t10000000001\t100000001\t1\tother\t\n"
		printf "2026-11-23#2\tRPPS\t10000000001\t100000001\t2\tbecause\t\n"
	} | mkstream contest.tsv &&
	sed -n "1p" c.k1 | tiers-seal -r >none.tsv &&
	mkdir k2 &&
	reject-code -K days -d 2026-11-24 -n k2 -R rep.k2 -k contest.tsv none.tsv 2>err &&
	grep "^reject-code: 2026-11-24: 1 lines presented again: 0 on hold, 1 contested (7 contestations refused)" err &&
	col rep.k2 file line claim ground status reason >actual &&
	cat >expect <<-\EOR &&
	contest.tsv	2	2026-11-23#1	benef	presented	
	contest.tsv	3	2026-11-23#2	other	refused	not the PS, invoice and line of that claim
	contest.tsv	4	2026-11-23#1	benef	refused	the line is contested twice this day
	contest.tsv	5	2026-11-23#9	other	refused	no such claim that day
	contest.tsv	6	2026-11-22#1	other	refused	no outcomes published that day
	contest.tsv	7	2026-11-24#1	other	refused	a claim of this day or later
	contest.tsv	8	2026-11-23#01	other	refused	not a claim id (YYYY-MM-DD#rank)
	contest.tsv	9	2026-11-23#2	because	refused	the ground is not benef, pec, amount, duplicate or other
	EOR
	test_cmp expect actual &&
	dedup -l -V -d 2026-11-24 -h led.k1 -o l.k2 k2/claims.tsv 2>err &&
	liquidate -d 2026-11-24 -g g.xml -m master.2.tsv -p pec.tsv -c cons.k1 -C cons.k2 -o d.k2 l.k2 2>err &&
	mkdir k3 &&
	reject-code -t final.tsv -d 2026-11-24 -p k2 -n k3 -o o.k2 l.k2 d.k2 2>err &&
	col o.k2 first_claim outcome code amc_eur presented ground >actual &&
	printf "2026-11-23#1\tpaid\tLQ00\t9.00\t2\tbenef\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'contested and still rejected: the reject confirmed, not held again' '
	mkdir -p days/2026-11-25/out k4 k5 &&
	cp l.hold-expire.3 days/2026-11-25/out/claims.tsv &&
	cp o.hold-expire.3 days/2026-11-25/out/outcomes.tsv &&
	{
		printf "#tiers\tcontestation\t1\tclaim\tps_kind\tps_number\tinvoice\tline_no\tground\tpec_number\n"
		printf "2026-11-25#1\tRPPS\t10000000001\t100000001\t1\tbenef\t\n"
	} | mkstream contest2.tsv &&
	reject-code -K days -d 2026-11-26 -n k4 -R rep.k4 -k contest2.tsv none.tsv 2>err &&
	dedup -l -V -d 2026-11-26 -h led.hold-expire.3 -o l.k4 k4/claims.tsv 2>err &&
	liquidate -d 2026-11-26 -g g.xml -m master.4.tsv -p pec.tsv -C cons.k4 -o d.k4 l.k4 2>err &&
	reject-code -d 2026-11-26 -p k4 -n k5 -o o.k4 l.k4 d.k4 2>err &&
	col o.k4 first_claim outcome code ground ps_label >actual &&
	printf "2026-11-23#1\tconfirmed\tLQ01\tbenef\tBénéficiaire inconnu de l%sorganisme complémentaire\n" "'"'"'" >expect &&
	test_cmp expect actual &&
	test "$(records k5/hold.tsv)" = 0
'

# Malformed inputs: the status, the message, nothing published.
while IFS='@' read -r name status how cmd msg; do
	test_expect_success "refused: $name" "
		rm -rf bad bad.out && mkdir bad &&
		$how
		test_expect_code $status $cmd 2>err &&
		grep -F -e '$msg' err &&
		! test -e bad.out && ! test -e bad/hold.tsv && ! test -e bad/claims.tsv
	"
done <<'EOF2'
pending not first@65@: &&@reject-code -d 2026-11-24 -p p.hold-pass.1 -n bad -o bad.out l.cancel.2 d.cancel.2@reject-code: l.cancel.2:3: claim: not the pending line 2 of p.hold-pass.1/claims.tsv, which must come first
decisions short@65@head -n 2 d.cancel.1 | tiers-seal -r >d.short &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.short@reject-code: d.short:3: claim: fewer records than the claims
another claim@65@sed "s/2026-11-23#1/2026-11-23#9/" d.cancel.1 | tiers-seal -r >d.other &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.other@reject-code: d.other:3: claim: not the claim of line 3 of the claims
unknown code@65@sed "s/LQ00/LQ77/" d.cancel.1 | tiers-seal -r >d.lq77 &&@reject-code -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.lq77@reject-code: d.lq77:3: code: a code no table of codes names
bad handling@65@printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n*\tLQ01\tlater\t0\tx\ty\n" | tiers-seal -r >c.bad &&@reject-code -t c.bad -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.cancel.1@reject-code: c.bad:2: handling: not paid, report, final, hold, recover or client
hold without days@65@printf "#tiers\treject-codes\t1\tclient\tcode\thandling\tdays\tps_label\tclient_label\n*\tLQ02\thold\t0\tx\ty\n" | tiers-seal -r >c.bad &&@reject-code -t c.bad -d 2026-11-23 -n bad -o bad.out l.cancel.1 d.cancel.1@reject-code: c.bad:2: days: a line on hold waits 1 business day at least
not claims with verdicts@65@: &&@reject-code -d 2026-11-23 -n bad -o bad.out c.cancel.1 d.cancel.1@reject-code: c.cancel.1:1: header: not claims with dedup
EOF2

test_done
