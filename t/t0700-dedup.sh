#!/bin/sh
test_description='dedup: duplicate verdicts within the day and against the history'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample

# edit IN CHANGES: the claim stream IN with name=value changes on every
# record (";"-separated), resealed, on stdout.
edit () {
	awk -F'\t' -v OFS='\t' -v ch="$2" '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; print; next }
	/^#/ { next }
	{
		k = split(ch, a, ";")
		for (i = 1; i <= k; i++) {
			split(a[i], kv, "=")
			if (a[i] != "" && a[i] != "-")
				$c[kv[1]] = kv[2]
		}
		print
	}' "$1" | tiers-seal -r
}

test_expect_success 'setup: the sample days decoded, and one paid claim' '
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		noemie-decode -o c.$d $sample/$d/*.580 $sample/$d/*.b2 2>/dev/null || exit 1
	done &&
	awk -F"\t" "/^#tiers/ { print } $COLS"" \$c[\"nature\"] == \"paid\" && \$c[\"benef_nir\"] == \"\" && !done++ { print }" \
	    c.2026-11-18 | tiers-seal -r >one &&
	test $(grep -vc "^#" one) = 1
'

# Near-repeats (one key field changed) are in the sample too: were any
# taken for duplicates, the counts below would exceed the truth's.
test_expect_success 'the sample days: the duplicates the generator made, found exactly' '
	cat $sample/truth/*/truth.tsv | grep -q "^near	[1-9]" &&
	prev= &&
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		dedup -d $d ${prev:+-h h.$prev} -H h.$d -o o.$d c.$d 2>/dev/null || exit 1
		tiers-seal -q o.$d || exit 1
		for v in intra inter adjust; do
			n=$(col o.$d dup | grep -c "^$v\$")
			case $v in
			intra) k=dupintra ;;
			inter) k=dupinter ;;
			adjust) k=cancel ;;
			esac
			t=$(awk -F"\t" -v k=$k "\$1 == k { print \$2 }" $sample/truth/$d/truth.tsv)
			test "$n" = "$t" || { echo "$d $v: $n, truth $t"; exit 1; }
		done
		prev=$d
	done
'

test_expect_success 'a duplicate refers to its original, by day and record' '
	col o.2026-11-20 dup dup_ref dup_id invoice act_code fr_eur >v &&
	awk -F"\t" "\$1 == \"inter\" || \$1 == \"intra\" { print \$2, \$4, \$5, \$6 }" v | sort >dups &&
	test -s dups &&
	cat o.2026-11-18 o.2026-11-19 o.2026-11-20 | col /dev/stdin dup_id invoice act_code fr_eur |
	    sort >ids &&
	while read ref inv act fr; do
		grep -q "^$ref	$inv	$act	$fr\$" ids || { echo "no original $ref"; exit 1; }
	done <dups
'

test_expect_success 'records in = records out, in the same order' '
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		grep -v "^#" c.$d >a &&
		grep -v "^#" o.$d | cut -f1-$(head -1 c.$d | awk -F"\t" "{ print NF - 3 }") >b &&
		test_cmp a b || exit 1
	done
'

test_expect_success 'a rerun of a day gives the same bytes' '
	dedup -d 2026-11-20 -h h.2026-11-19 -H h2 -o o2 c.2026-11-20 2>/dev/null &&
	cmp o2 o.2026-11-20 &&
	cmp h2/manifest.tsv h.2026-11-20/manifest.tsv &&
	cmp h2/day-20261120.his h.2026-11-20/day-20261120.his
'

# Each key field changed: not a duplicate of the claim any more.
cat >keycases <<'EOF2'
exact	-	inter
ps-number	ps_number=99999999999	first
ps-kind	ps_kind=AM	first
invoice	invoice=000000777	first
nir	nir=1690549588157	first
birth-date	birth_date=1901-01-01	first
rang	rang=2	first
act-code	act_code=ZZZ	first
amount	fr_eur=12345.67	first
act-date	act_date=2026-01-02	first
invoice-total	invoice_total_eur=98765.43	first
invoice-date	invoice_date=2026-01-03	first
leading-zeros	invoice=0000000000	-
regularisation	nature=regul	adjust
cancellation	nature=cancel	adjust
not-a-key-field	amo_eur=0.01	inter
EOF2

test_expect_success 'each key field changed is another claim (table)' '
	dedup -d 2026-11-18 -H kh -o ko one 2>/dev/null &&
	fail=0
	while IFS="	" read name changes want; do
		test "$want" = - && continue
		edit one "$changes" >k.in
		rm -rf kh2
		dedup -d 2026-11-19 -h kh -H kh2 -o k.out k.in 2>/dev/null || { echo "$name: failed"; fail=1; continue; }
		got=$(col k.out dup)
		test "$got" = "$want" || { echo "$name: $got, want $want"; fail=1; }
	done <keycases
	test $fail = 0
'

test_expect_success 'identifiers compare without their leading zeros, codes without case' '
	inv=$(col one invoice) &&
	edit one "invoice=00$inv;act_code=$(col one act_code | tr A-Z a-z)" >z.in &&
	dedup -d 2026-11-19 -h kh -H kh3 -o z.out z.in 2>/dev/null &&
	test "$(col z.out dup dup_ref)" = "inter	2026-11-18#1"
'

test_expect_success 'exact repeats within the day: the first is first, the others refer to it' '
	{ cat one; grep -v "^#" one; grep -v "^#" one; } | grep -v "^#end" | tiers-seal -r >three &&
	dedup -d 2026-11-18 -H th -o t.out three 2>/dev/null &&
	col t.out dup dup_id dup_ref >actual &&
	printf "first\t2026-11-18#1\t\nintra\t2026-11-18#2\t2026-11-18#1\nintra\t2026-11-18#3\t2026-11-18#1\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'keys older than the window are forgotten' '
	dedup -d 2027-01-18 -W 2 -h kh -H w2 -o w2.out one 2>/dev/null &&
	test "$(col w2.out dup)" = inter &&
	dedup -d 2027-01-19 -W 2 -h kh -H w3 -o w3.out one 2>/dev/null &&
	test "$(col w3.out dup)" = first &&
	! grep -q day-20261118 w3/manifest.tsv
'

# day N, ymd N: the Nth business day of the merge tests (0: kh's),
# ISO and compact.
day () {
	sed -n "$(($1 + 1))p" dates
}
ymd () {
	day "$1" | tr -d -
}

# The merge policy (dedup(1)): days of one new key each are a binary
# counter, the 21 days from kh segments of 16, 4 and 1 days.
test_expect_success 'segments merged by size: O(log days) of them, nothing lost' '
	cp -Rl kh g0 && echo 2026-11-18 >dates && d=2026-11-19 && i=0 &&
	while test $i -lt 20; do
		echo $d >>dates &&
		edit one "invoice=$((1000 + i))" >g$i.in &&
		dedup -d $d -h g$i -H g$((i + 1)) -o g.out g$i.in 2>/dev/null || exit 1
		n=$(grep -vc "^#" g$((i + 1))/manifest.tsv) &&
		max=$(awk -v n=$((i + 2)) "BEGIN { b = 0; while (2 ^ b < n) b++; print b + 1 }") &&
		test $n -le $max || { echo "day $((i + 2)): $n segments, more than $max"; exit 1; }
		d=$(tiers-cal -n $d) i=$((i + 1))
	done &&
	printf "base-%s.his\t16\t%s\t%s\nbase-%s.his\t4\t%s\t%s\nday-%s.his\t1\t%s\t%s\n" \
	    $(ymd 15) $(day 0) $(day 15) $(ymd 19) $(day 16) $(day 19) \
	    $(ymd 20) $(day 20) $(day 20) >expect &&
	grep -v "^#" g20/manifest.tsv | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	ls g20 | grep -v manifest >actual &&
	cut -f1 expect >expect.files &&
	test_cmp expect.files actual &&
	edit one "invoice=1003" >g.in &&
	dedup -d $d -h g20 -H g21 -o g.out g.in 2>/dev/null &&
	test "$(col g.out dup dup_ref)" = "inter	$(day 4)#1" &&
	dedup -d $d -h g20 -H g22 -o g.out one 2>/dev/null &&
	test "$(col g.out dup dup_ref)" = "inter	2026-11-18#1"
'

test_expect_success 'the same days again: the same generations, byte for byte' '
	cp -Rl kh r0 && i=0 &&
	while test $i -lt 20; do
		dedup -d $(day $((i + 1))) -h r$i -H r$((i + 1)) -o r.out g$i.in 2>/dev/null || exit 1
		diff -r g$((i + 1)) r$((i + 1)) || exit 1
		i=$((i + 1))
	done
'

# A merge drops the keys that left the window: a large day merges all.
test_expect_success 'keys older than the window leave the segments merged' '
	dedup -d 2027-01-04 -W 1 -h g20 -H w4 -o w4.out c.2026-11-20 2>/dev/null &&
	nf=$(col w4.out dup | grep -c "^first\$") &&
	kept=$(awk "\$1 >= \"2026-12-04\"" dates | wc -l) &&
	printf "base-20270104.his\t%d\t%s\t2027-01-04\n" $((nf + kept)) \
	    $(awk "\$1 >= \"2026-12-04\"" dates | head -1) >expect &&
	grep -v "^#" w4/manifest.tsv | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	dedup -d 2027-01-05 -W 24 -h w4 -H w5 -o w5.out one 2>/dev/null &&
	test "$(col w5.out dup)" = first &&
	edit one "invoice=1019" >g.in &&
	dedup -d 2027-01-05 -W 24 -h w4 -H w6 -o w6.out g.in 2>/dev/null &&
	test "$(col w6.out dup dup_ref)" = "inter	$(day 20)#1"
'

# The form written before the policy: a segment a day, up to 30.
test_expect_success 'a generation of a segment a day is read, and merged by size' '
	mkdir o && head -1 g1/manifest.tsv >o.man && i=1 &&
	while test $i -le 5; do
		dedup -d $(day $i) -H s$i -o s.out g$((i - 1)).in 2>/dev/null &&
		ln s$i/day-$(ymd $i).his o/ &&
		grep -v "^#" s$i/manifest.tsv >>o.man || exit 1
		i=$((i + 1))
	done &&
	tiers-seal -r <o.man >o/manifest.tsv &&
	dedup -d $(day 6) -h o -H o6a -o o.out g1.in 2>/dev/null &&
	test "$(col o.out dup dup_ref)" = "inter	$(day 2)#1" &&
	dedup -d $(day 6) -h o -H o6 -o o.out g5.in 2>/dev/null &&
	test "$(col o.out dup)" = first &&
	grep -v "^#" o6/manifest.tsv | cut -f1,2,4,5 >actual &&
	printf "base-%s.his\t6\t%s\t%s\n" $(ymd 6) $(day 1) $(day 6) >expect &&
	test_cmp expect actual &&
	dedup -d $(day 7) -h o6 -H o7 -o o.out g1.in 2>/dev/null &&
	test "$(col o.out dup dup_ref)" = "inter	$(day 2)#1"
'

# The policy's bound: 30 segments of one key each and a day of none (its
# claim a duplicate) would be 31: the newest segment is taken in, and
# then, the run as large as the one before it, all the others.
test_expect_success 'never more than 30 segments, whatever their sizes' '
	mkdir m && head -1 g1/manifest.tsv >m.man && d=2026-11-19 && i=0 &&
	while test $i -lt 30; do
		edit one "invoice=$((5000 + i))" >m.in &&
		dedup -d $d -H m$i -o m.out m.in 2>/dev/null &&
		ln m$i/day-$(echo $d | tr -d -).his m/ &&
		grep -v "^#" m$i/manifest.tsv >>m.man || exit 1
		last=$d d=$(tiers-cal -n $d) i=$((i + 1))
	done &&
	tiers-seal -r <m.man >m/manifest.tsv &&
	dedup -d $d -h m -H m30 -o m.out m.in 2>/dev/null &&
	test "$(col m.out dup)" = inter &&
	grep -v "^#" m30/manifest.tsv | cut -f1,2,4,5 >actual &&
	printf "base-%s.his\t30\t2026-11-19\t%s\n" $(echo $d | tr -d -) $last >expect &&
	test_cmp expect actual
'

test_expect_success 'a truncated or corrupt history is an error; nothing is written' '
	cp -R h.2026-11-19 bad &&
	f=bad/base-20261119.his &&
	head -c $(($(wc -c <$f) - 30)) $f >t && cat t >$f &&
	test_expect_code 65 dedup -d 2026-11-20 -h bad -H nh -o no c.2026-11-20 2>err &&
	grep "bad/base-20261119.his: .*truncated" err &&
	! test -e no && ! test -e nh && ! test -e nh.tmp &&
	cp -R h.2026-11-19 bad2 &&
	sed -i "s/^base-20261119.his	588/base-20261119.his	587/" bad2/manifest.tsv &&
	test_expect_code 65 dedup -d 2026-11-20 -h bad2 -H nh -o no c.2026-11-20 2>err &&
	! test -e no
'

test_expect_success '-V checks every record against its CRC' '
	cp -R h.2026-11-19 bad3 &&
	f=bad3/base-20261119.his &&
	printf "\377" | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null &&
	dedup -d 2026-11-20 -h bad3 -H v1 -o v1.out c.2026-11-20 2>/dev/null &&
	test_expect_code 65 dedup -V -d 2026-11-20 -h bad3 -H v2 -o v2.out c.2026-11-20 2>err &&
	grep "corrupt" err
'

test_expect_success '-V refuses records out of key order, their CRC made right' '
	cp -R h.2026-11-19 bad4 &&
	f=bad4/base-20261119.his &&
	n=$((($(wc -c <$f) - 40) / 24)) &&
	tail -c +17 $f | head -c $((n * 24)) >recs &&
	{ tail -c +25 recs | head -c 24; head -c 24 recs; tail -c +49 recs; } >swapped &&
	gzip -c <swapped | tail -c 8 | head -c 4 >crc &&
	{ head -c 16 $f; cat swapped; printf TIERSEND; tail -c 16 $f | head -c 8; cat crc;
	  printf "\000\000\000\000"; } >seg && cat seg >$f &&
	hex=$(od -An -tx4 crc | tr -d " ") &&
	sed "s/^\(base-20261119.his	[0-9]*	\)[0-9a-f]*/\1$hex/" h.2026-11-19/manifest.tsv |
	    tiers-seal -r >bad4/manifest.tsv &&
	dedup -d 2026-11-20 -h bad4 -H v3 -o v3.out c.2026-11-20 2>/dev/null &&
	test_expect_code 65 dedup -V -d 2026-11-20 -h bad4 -H v4 -o v4.out c.2026-11-20 2>err &&
	grep "^dedup: bad4/base-20261119.his: order: record 2 out of key order: corrupt\$" err &&
	! test -e v4.out && ! test -e v4
'

test_expect_success '-V checks the segment a generation added, not those it hard-links' '
	cp -R h.2026-11-20 hv &&
	last=$(grep -v "^#" hv/manifest.tsv | tail -n 1 | cut -f1) &&
	edit one "invoice=ZZ99999" >new &&
	dedup -V -d 2026-11-21 -h hv -H hv1 -o hvo1 new 2>/dev/null &&
	grep -v "^#" hv1/manifest.tsv | tail -n 2 | cut -f1 >actual &&
	printf "%s\nday-20261121.his\n" $last >expect &&
	test_cmp expect actual &&
	test $(ls -i hv/$last | cut -d" " -f1) = $(ls -i hv1/$last | cut -d" " -f1) &&
	printf "\377" | dd of=hv/$last bs=1 seek=40 conv=notrunc 2>/dev/null &&
	test_expect_code 65 dedup -V -d 2026-11-21 -h hv -H hv2 -o hvo2 new 2>err &&
	grep "^dedup: hv/$last: crc: records do not match their CRC: corrupt\$" err &&
	! test -e hvo2 && ! test -e hv2 &&
	dedup -V -d 2026-11-22 -h hv1 -H hv3 -o hvo3 c.2026-11-20 2>/dev/null &&
	printf "\377" | dd of=hv1/day-20261121.his bs=1 seek=20 conv=notrunc 2>/dev/null &&
	test_expect_code 65 dedup -V -d 2026-11-22 -h hv1 -H hv4 -o hvo4 c.2026-11-20 2>err &&
	grep "^dedup: hv1/day-20261121.his: crc: records do not match their CRC: corrupt\$" err &&
	! test -e hvo4 && ! test -e hv4
'

test_expect_success 'claims judged in batches of any size: the same bytes' '
	{ cat one; grep -v "^#" one; grep -v "^#" one; } | grep -v "^#end" | tiers-seal -r >three &&
	dedup -d 2026-11-18 -H tb -o tb.out three 2>/dev/null &&
	for b in 1 2 3 7 64; do
		TIERS_DEDUP_BATCH=$b dedup -d 2026-11-20 -h h.2026-11-19 -H hb$b -o ob$b \
		    c.2026-11-20 2>/dev/null &&
		cmp ob$b o.2026-11-20 &&
		cmp hb$b/manifest.tsv h.2026-11-20/manifest.tsv &&
		cmp hb$b/day-20261120.his h.2026-11-20/day-20261120.his &&
		TIERS_DEDUP_BATCH=$b dedup -d 2026-11-18 -H tb$b -o tb$b.out three 2>/dev/null &&
		cmp tb$b.out tb.out || exit 1
	done &&
	dedup -S 1/3 -d 2026-11-18 -H sd -o vd c.2026-11-18 2>/dev/null &&
	TIERS_DEDUP_BATCH=3 dedup -S 1/3 -d 2026-11-18 -H sb -o vb c.2026-11-18 2>/dev/null &&
	cmp vb vd && cmp sb/manifest.tsv sd/manifest.tsv
'

test_expect_success 'a stream found truncated after batches were written: nothing published' '
	head -n 200 c.2026-11-20 >cut &&
	test_expect_code 65 env TIERS_DEDUP_BATCH=2 dedup -d 2026-11-20 -h h.2026-11-19 \
	    -H hc -o oc cut 2>err &&
	grep "^dedup: cut:[0-9]*: trailer: " err &&
	! test -e oc && ! test -e hc && ! test -e hc.tmp &&
	test -z "$(ls -a | grep "^\.oc\.")" &&
	test_expect_code 64 env TIERS_DEDUP_BATCH=0 dedup -d 2026-11-20 -h h.2026-11-19 \
	    -H hc -o oc c.2026-11-20 2>/dev/null
'

test_expect_success 'the output and the history are mode 0600, whatever the umask' '
	(umask 0 && dedup -d 2026-11-20 -h h.2026-11-19 -H hm -o om c.2026-11-20 2>/dev/null) &&
	ls -l om hm/manifest.tsv hm/day-20261120.his | cut -c1-10 | sort -u >actual &&
	echo "-rw-------" >expect &&
	test_cmp expect actual
'

test_expect_success '-o never replaces a device, a FIFO or a directory: exit 73, nothing written' '
	ln -s /dev/null dev && mkfifo fifo && mkdir dir &&
	for o in dev fifo dir; do
		test_expect_code 73 dedup -d 2026-11-20 -h h.2026-11-19 -H hx -o $o \
		    c.2026-11-20 2>err &&
		grep "^dedup: $o: exists and is a .*: not replaced\$" err &&
		! test -e hx && ! test -e hx.tmp || return 1
	done &&
	test -c dev && test -p fifo && test -d dir &&
	test -z "$(ls -a | grep "^\.\(dev\|fifo\|dir\)\.")"
'

test_expect_success 'a new history that cannot be renamed into place: exit 73, no .tmp left' '
	mkdir -p taken/x &&
	test_expect_code 73 dedup -d 2026-11-20 -h h.2026-11-19 -H taken -o tk.out \
	    c.2026-11-20 2>err &&
	grep "^dedup: taken: " err &&
	! test -e taken.tmp && test -d taken/x
'

test_expect_success 'a claim without its key fields is malformed input' '
	edit one "ps_number=" >nokey &&
	test_expect_code 65 dedup -d 2026-11-18 -H nk -o nk.out nokey 2>err &&
	grep "^dedup: nokey:[0-9]*: key: " err &&
	! test -e nk.out
'

test_expect_success 'a claim without its key fields in a file read in two halves: the message of one part' '
	n=$(grep -vc "^#" c.2026-11-18) &&
	awk -F"\t" -v OFS="\t" -v at=$((n * 3 / 4)) "
	    /^#tiers\t/ { for (i = 4; i <= NF; i++) c[\$i] = i - 3; print; next }
	    /^#/ { next }
	    ++k == at { \$c[\"ps_number\"] = \"\" }
	    { print }" c.2026-11-18 | tiers-seal -r >late &&
	test_expect_code 65 dedup -d 2026-11-18 -H l1 -o l1.out late 2>err1 &&
	test_expect_code 65 env TIERS_SCAN_MIN=1 dedup -d 2026-11-18 -H l2 -o l2.out late 2>err2 &&
	test_cmp err1 err2 &&
	grep "^dedup: late:[0-9]*: key: " err2 &&
	! test -e l2.out
'

PH=client_ref,ps_kind,ps_number,invoice,nir,benef_nir,birth_date,rang,act_code,fr_eur,act_date,invoice_total_eur,invoice_date,paid_eur,paid_date

# paid FILE N: the first N paid claims of a dedup output as the client's
# CSV of prestations it paid itself, with its own references R<rank>.
paid () {
	awk -F'\t' -v max="$2" '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next }
	/^#/ { next }
	$c["nature"] == "paid" && $c["dup"] == "first" && n++ < max {
		printf "R%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,2026-11-30\n", $c["dup_id"],
		    $c["ps_kind"], $c["ps_number"], $c["invoice"], $c["nir"], $c["benef_nir"],
		    $c["birth_date"], $c["rang"], $c["act_code"], $c["fr_eur"], $c["act_date"],
		    $c["invoice_total_eur"], $c["invoice_date"], $c["fr_eur"]
	}' "$1"
}

test_expect_success 'a posteriori: what the client paid and we paid too is found' '
	{ echo "$PH"; paid o.2026-11-19 5;
	  echo "X1,RPPS,10000000000,123,1690549588157,,1969-05-15,1,G,30.00,2026-11-01,30.00,2026-11-01,30.00,2026-11-02"; } >paid.csv &&
	dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctl.tsv paid.csv 2>err &&
	tiers-seal -q ctl.tsv &&
	col ctl.tsv client_ref verdict operator_ref >actual &&
	paid o.2026-11-19 5 | awk -F, "{ r = substr(\$1, 2); printf \"%s\tpaid-twice\t%s\n\", \$1, r }" >expect &&
	printf "X1\tnot-paid-by-us\t\n" >>expect &&
	test_cmp expect actual &&
	grep "6 prestations, 5 also paid by us" err
'

test_expect_success 'a posteriori: past the window, not found' '
	{ echo "$PH"; paid o.2026-11-18 1; } >old.csv &&
	dedup -A -d 2027-01-20 -W 2 -h h.2026-11-20 -o ctl2.tsv old.csv 2>/dev/null &&
	test "$(col ctl2.tsv verdict)" = not-paid-by-us
'

test_expect_success 'a posteriori: a malformed file is an error with file:line' '
	{ echo "$PH"; echo "R1,RPPS,1,2,3,,1969-05-15,1,G,30,2026-11-01,30.00,2026-11-01,30.00,x"; } >bad.csv &&
	test_expect_code 65 dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctl3.tsv bad.csv 2>err &&
	grep "^dedup: bad.csv:2: fr_eur: " err &&
	! test -e ctl3.tsv &&
	echo "client_ref,ps_kind" >hdr.csv &&
	test_expect_code 65 dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctl3.tsv hdr.csv 2>err &&
	grep "^dedup: hdr.csv:1: " err
'

test_expect_success 'a posteriori: a gzip file cut short, or with bytes after its data' '
	gzip -c paid.csv >paid.csv.gz &&
	dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctlz.tsv paid.csv.gz 2>/dev/null &&
	grep -v "^#" ctl.tsv | cut -f2- >a &&
	grep -v "^#" ctlz.tsv | cut -f2- >b &&
	test -s a && test_cmp a b &&
	{ cat paid.csv.gz && echo junk; } >junk.csv.gz &&
	test_expect_code 65 dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctl4.tsv junk.csv.gz 2>err &&
	grep "^dedup: junk.csv.gz:[1-9][0-9]*: -: trailing garbage after gzip data" err &&
	head -c -3 paid.csv.gz >cut.csv.gz &&
	test_expect_code 65 dedup -A -d 2026-11-30 -h h.2026-11-20 -o ctl4.tsv cut.csv.gz 2>err &&
	grep "^dedup: cut.csv.gz:[1-9][0-9]*: -: truncated gzip file" err &&
	! test -e ctl4.tsv
'

test_expect_success 'sharded by key hash and joined: the same bytes as one process' '
	prev= &&
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		vs= &&
		for k in 0 1 2; do
			dedup -S $k/3 -d $d ${prev:+-h s$k.$prev} -H s$k.$d -o v$k.$d c.$d 2>/dev/null || exit 1
			vs="$vs -v v$k.$d"
		done &&
		dedup -J -d $d $vs -o j.$d c.$d &&
		cmp j.$d o.$d || exit 1
		prev=$d
	done &&
	test $(grep -vc "^#" v0.2026-11-20) -gt 0 &&
	test $(grep -vc "^#" v2.2026-11-20) -gt 0
'

test_expect_success 'a join without every shard is an error' '
	test_expect_code 65 dedup -J -d 2026-11-20 -v v0.2026-11-20 -v v1.2026-11-20 \
	    -o jj c.2026-11-20 2>err &&
	grep "no shard gave a verdict" err &&
	! test -e jj
'

# The day summary's rows for dedup, as pipelines/nightly computes them
# today from the output (its awk, copied): -s must give the same bytes.
nightly_rows () {
	awk -F'\t' -v OFS='\t' '
		/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next }
		/^#/ { next }
		{ n[$c["dup"]]++ }
		END { for (k in n) print k, n[k] }' "$1" | sort |
	while read -r k n; do
		printf '%s\tclaim\t%s\t\n' "$k" "$n"
	done
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

test_expect_success 'summary (-s): setup, the sample days through tiers-nightly' '
	mkdir -p data/inbox &&
	cp -R $sample/2026-11-1[89] $sample/2026-11-20 data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	{ tiers-nightly 2026-11-19 data >/dev/null 2>&1 || test $? = 1; } &&
	tiers-nightly 2026-11-20 data >/dev/null 2>&1
'

test_expect_success 'summary (-s): each sample day again, the same output and the rows of the day summary' '
	prev= &&
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		day=data/days/$d &&
		set -- $day/out/claims/* &&
		if test -f data/days/$d/out/presented/claims.tsv && test "$(tail -n 1 data/days/$d/out/presented/claims.tsv | cut -f2)" != 0; then
			set -- data/days/$d/out/presented/claims.tsv "$@"
		fi &&
		dedup -l -d $d ${prev:+-h data/days/$prev/state/ledger} -s s.$d \
		    -o no.$d "$@" 2>/dev/null &&
		cmp no.$d $day/out/claims.tsv &&
		tiers-seal -q s.$d &&
		printf "#tiers\tstage-summary\t1\titem\tkind\trecords\tamount_eur\n#stage\tdedup\n#business_date\t%s\n" \
		    $d >expect &&
		head -3 s.$d >actual &&
		test_cmp expect actual &&
		nightly_rows $day/out/claims.tsv >expect &&
		rows s.$d >actual &&
		test_cmp expect actual &&
		awk -F"\t" -v OFS="\t" "\$1 == \"dedup\" { print \$2, \$3, \$4, \$5 }" \
		    $day/summary.tsv >expect &&
		test_cmp expect actual || exit 1
		prev=$d
	done &&
	printf "adjust\nfirst\ninter\nintra\n" >expect &&
	rows s.2026-11-20 | cut -f1 >actual &&
	test_cmp expect actual
'

test_expect_success 'summary (-s): sharded and joined (-J -s), the same summary as one process' '
	prev= &&
	for d in 2026-11-18 2026-11-19 2026-11-20; do
		dedup -d $d ${prev:+-h h.$prev} -H os.h.$d -s os.$d -o oo.$d c.$d 2>/dev/null &&
		cmp oo.$d o.$d &&
		nightly_rows o.$d >expect &&
		rows os.$d >actual &&
		test_cmp expect actual &&
		dedup -J -d $d -v v0.$d -v v1.$d -v v2.$d -s js.$d -o jo.$d c.$d &&
		cmp jo.$d o.$d &&
		cmp js.$d os.$d || exit 1
		prev=$d
	done
'

# Each case: claims made of the one paid claim, judged on 2026-11-19.
test_expect_success 'summary (-s): a row per verdict given, in byte order (table)' '
	fail=0 &&
	while IFS="	" read -r name claims hist want; do
		case $name in "#"*) continue ;; esac
		test "$claims" = . && claims=
		{
			head -1 one &&
			for ch in $claims; do edit one "$ch" | grep -v "^#"; done
		} | tiers-seal -r >s.in &&
		dedup -d 2026-11-19 $(test "$hist" = - || echo "-h $hist") -H sh.$name \
		    -s s.$name -o so.$name s.in 2>/dev/null &&
		tiers-seal -q s.$name &&
		printf "%s\n" "$want" | tr , "\n" |
		    awk -F= -v OFS="\t" "NF { print \$1, \"claim\", \$2, \"\" }" >expect &&
		rows s.$name >actual &&
		test_cmp expect actual &&
		nightly_rows so.$name >expect &&
		test_cmp expect actual || { echo "case $name"; fail=1; }
	done <"$TIERS_TOP/t/t0700-summary.tsv" &&
	test $fail = 0 &&
	test $(grep -vc "^#" s.none) = 0
'

test_expect_success 'summary (-s): mode 0600, published with the output only' '
	(umask 0 && dedup -d 2026-11-20 -h h.2026-11-19 -H sm.h -s sm -o sm.out c.2026-11-20 \
	    2>/dev/null) &&
	test "$(test_mode sm)" = "-rw-------" &&
	test_expect_code 65 env TIERS_DEDUP_BATCH=2 dedup -d 2026-11-20 -h h.2026-11-19 \
	    -H sc.h -s sc -o sc.out cut 2>err &&
	! test -e sc && ! test -e sc.out &&
	test -z "$(ls -a | grep "^\.sc\.")" &&
	test_expect_code 73 dedup -d 2026-11-20 -h h.2026-11-19 -H sd.h -s nodir/s -o sd.out \
	    c.2026-11-20 2>err &&
	grep "^dedup: nodir/s: No such file or directory" err &&
	! test -e sd.out && ! test -e sd.h && ! test -e sd.h.tmp
'

test_expect_success 'a join refuses a verdict no shard gives' '
	awk -F"\t" -v OFS="\t" "!/^#/ && !done++ { \$2 = \"maybe\" } !/^#end/ { print }" \
	    v0.2026-11-20 | tiers-seal -r >vbad &&
	test_expect_code 65 dedup -J -d 2026-11-20 -v vbad -v v1.2026-11-20 -v v2.2026-11-20 \
	    -s jbad.s -o jbad c.2026-11-20 2>err &&
	grep "^dedup: vbad:[0-9]*: dup: not first, intra or inter" err &&
	! test -e jbad && ! test -e jbad.s
'

test_expect_success 'usage: -s where claims are written only; usage() prints the SYNOPSIS' '
	test_expect_code 64 dedup -S 0/2 -s x -d 2026-11-18 -H xh -o y one 2>/dev/null &&
	test_expect_code 64 dedup -A -s x -d 2026-11-30 -h h.2026-11-20 -o y paid.csv 2>/dev/null &&
	! test -e x && ! test -e y &&
	test_expect_code 64 dedup 2>err &&
	sed "s/^usage: //" err | tr -s " " "\n" | grep . >actual &&
	synopsis "$TIERS_TOP/man/man1/dedup.1" >expect &&
	test_cmp expect actual
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 dedup -H x -o y one 2>/dev/null &&
	test_expect_code 64 dedup -d 2026-11-18 -o y one 2>/dev/null &&
	test_expect_code 64 dedup -d 2026-11-18 -W 0 -H x -o y one 2>/dev/null &&
	test_expect_code 64 dedup -S 3/3 -d 2026-11-18 -H x -o y one 2>/dev/null &&
	test_expect_code 64 dedup -J -d 2026-11-18 -o y one 2>/dev/null
'

# A ledger of several segments: eight days of a generated world through
# tiers-nightly, its ledger 1, 2, 1, 2, 2, 3 segments deep as the days
# go, duplicates of earlier days and of the day, and adjustments of lines
# paid before.
test_expect_success 'one pass over the ledger: setup, eight generated days through tiers-nightly' '
	tiers-gen -n 1500 -b 1500 -p 200 -d 8 -D 2026-01-05 -A pay=100 -o gw >/dev/null &&
	mkdir -p w/inbox &&
	opt=-I &&
	for d in $(ls gw | grep "^2026-"); do
		mv gw/$d w/inbox/ &&
		{ tiers-nightly $opt $d w >/dev/null 2>&1 || test $? = 1; } || exit 1
		opt=
	done &&
	test "$(grep -c "^base-\|^day-" w/days/2026-01-13/state/ledger/manifest.tsv)" = 3
'

# wdedup DAY PREV OUT: dedup -l of a generated day against the day before's ledger.
wdedup () {
	set -- "$1" "$2" "$3" w/days/$1/out/claims/*
	if test -f w/days/$1/out/presented/claims.tsv &&
	    test "$(tail -n 1 w/days/$1/out/presented/claims.tsv | cut -f2)" != 0; then
		set -- "$1" "$2" "$3" w/days/$1/out/presented/claims.tsv w/days/$1/out/claims/*
	fi
	d=$1 p=$2 o=$3
	shift 3
	dedup -l -V -d $d -h w/days/$p/state/ledger -o $o "$@" 2>/dev/null
}

# Each setting: batch size, spill memory, and TIERS_SCAN_MIN (1: every
# claim file read in two halves at once, however small; empty: as the
# nightly reads them, these small files in one).
test_expect_success 'one pass over the ledger: the verdicts a seek per claim gives, held or spilled, in batches of any size, a file read in one part or two' '
	prev= &&
	for d in $(ls w/days); do
		if test -n "$prev"; then
			for bms in 1:0: 1:0:1 3:100000: 3:100000:1 64:1099511627776:1 65536:0: 65536::1; do
				bm=${bms%:*} &&
				TIERS_SCAN_MIN=${bms##*:} TIERS_DEDUP_CHECK=1 TIERS_DEDUP_BATCH=${bm%:*} \
				    TIERS_DEDUP_SPILLMEM=${bm#*:} wdedup $d $prev o.$d &&
				cmp o.$d w/days/$d/out/claims.tsv || exit 1
			done
		fi
		prev=$d
	done &&
	cat w/days/*/out/claims.tsv | col /dev/stdin dup dup_paid_eur |
	    awk -F"\t" "{ print \$1, (\$2 != \"\") }" | sort -u >actual &&
	printf "adjust 0\nadjust 1\nfirst 0\ninter 0\nintra 0\n" >expect &&
	test_cmp expect actual
'

# fdedup LEDGER OUT [OPT]: dedup -l of 2026-01-14 against LEDGER, a copy of 2026-01-13's.
fdedup () {
	l=$1 o=$2
	shift 2
	dedup -l "$@" -d 2026-01-14 -h $l -o $o w/days/2026-01-14/out/claims/*
}

test_expect_success 'ledger filters: one beside each segment -B wrote, of its keys; dedup-flt writes the same' '
	led=w/days/2026-01-13/state/ledger &&
	for s in $(rows $led/manifest.tsv | cut -f1); do
		test -f $led/${s%.led}.flt || exit 1
	done &&
	rm -rf fl && mkdir fl && cp $led/*.led $led/manifest.tsv fl/ &&
	"$TIERS_TESTBIN"/dedup-flt fl >/dev/null &&
	for f in $led/*.flt; do cmp $f fl/${f##*/} || exit 1; done &&
	od -A n -t x1 -N 12 $(ls $led/*.flt | head -n 1) >actual &&
	echo " 54 49 45 52 53 46 4c 54 01 00 00 00" >expect &&
	test_cmp expect actual
'

test_expect_success 'ledger filters: none, or a "maybe" for every key (false positives): the same verdicts' '
	fdedup w/days/2026-01-13/state/ledger f.ref -V 2>/dev/null &&
	rm -f fl/*.flt && fdedup fl f.none -V 2>/dev/null &&
	cmp f.ref f.none &&
	"$TIERS_TESTBIN"/dedup-flt -s fl >/dev/null &&
	TIERS_DEDUP_CHECK=1 fdedup fl f.sat -V 2>/dev/null &&
	cmp f.ref f.sat &&
	test "$(col f.ref dup | sort -u | tr "\n" " ")" = "first inter intra "
'

test_expect_success 'ledger filters: corrupt, -V refuses the last segment'"'"'s; truncated or of another segment, refused' '
	rm -f fl/*.flt && "$TIERS_TESTBIN"/dedup-flt fl >/dev/null &&
	last=$(rows fl/manifest.tsv | tail -n 1 | cut -f1) && f=fl/${last%.led}.flt &&
	cp $f f.good &&
	printf "\377" | dd of=$f bs=1 seek=100 conv=notrunc 2>/dev/null &&
	test_expect_code 65 fdedup fl f.out -V 2>err &&
	grep "^dedup: $f: crc: blocks do not match their CRC: corrupt\$" err &&
	test ! -e f.out &&
	cp f.good $f && head -c 1000 f.good >$f &&
	test_expect_code 65 fdedup fl f.out 2>err &&
	grep "^dedup: $f: size: not the size its header says: truncated or corrupt\$" err &&
	first=$(rows fl/manifest.tsv | head -n 1 | cut -f1) &&
	cp fl/${first%.led}.flt $f &&
	test_expect_code 65 fdedup fl f.out 2>err &&
	grep "^dedup: $f: header: not the filter of its segment (count or CRC differ)\$" err &&
	rm $f && fdedup fl f.out -V 2>/dev/null && cmp f.ref f.out
'

# strip IN: the claims of a dedup output, without the verdict columns, resealed.
strip () {
	awk -F"\t" -v OFS="\t" "/^#tiers\t/ { NF -= 4; print; next } /^#/ { next } { NF -= 4; print }" "$1" |
	    tiers-seal -r
}

test_expect_success 'one pass over the ledger: a claim paid on an earlier day, twice in the day, both refer to it' '
	o=w/days/2026-01-13/out/claims.tsv &&
	n=$(col $o dup | grep -n "^inter\$" | head -n 1 | cut -d: -f1) &&
	test -n "$n" &&
	{ strip $o | sed -n "1p" &&
	  strip $o | grep -v "^#" | sed -n "${n}p;1,3p" &&
	  strip $o | grep -v "^#" | sed -n "${n}p;4,5p"; } | tiers-seal -r >twice &&
	ref=$(col $o dup_ref | sed -n "${n}p") &&
	for b in 1 2 65536; do
		TIERS_DEDUP_CHECK=1 TIERS_DEDUP_BATCH=$b TIERS_DEDUP_SPILLMEM=$((b * 200)) \
		    dedup -l -d 2026-01-15 -h w/days/2026-01-14/state/ledger -o tw twice 2>/dev/null &&
		col tw dup dup_ref | grep "^inter" >actual &&
		printf "inter\t%s\ninter\t%s\n" $ref $ref >expect &&
		test_cmp expect actual || exit 1
	done
'

test_done
