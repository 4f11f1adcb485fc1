#!/bin/sh
test_description='dedup: a merge of a million records or more, in two halves'
. "$(dirname "$0")/test-lib.sh"

# dedup(1): a merge of PARMERGE = 2^20 records or more, none older than
# the window, is made in two halves at once (hashes below 2^63, and from
# it, written at its offset by another thread, the CRCs joined).  Two
# days of N claims each, N above 2^19, make it: the second day's keys
# and the first's segment, as many, are merged.  The same days after a
# day whose one key leaves the window on the second day make the same
# merge in one piece (a record to drop): the two must be the same bytes.
# About 13 seconds on two cores, and about 1.3 GB of scratch files at most.
N=530000
A=2026-02-02 B=2026-02-03 C=2026-02-04 O=2026-01-02

sample=$TIERS_TOP/testdata/sample

# claims FROM COUNT: the claim of one with invoices FROM to FROM+COUNT-1,
# one a record, sealed, on stdout.
claims () {
	awk -F'\t' -v OFS='\t' -v from="$1" -v n="$2" '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; print; next }
	/^#/ { next }
	{ for (i = from; i < from + n; i++) { $c["invoice"] = i; print } }' one | tiers-seal -r
}

# row DIR: the manifest rows of a history, unsealed.
rows () {
	grep -v "^#" "$1/manifest.tsv"
}

test_expect_success 'setup: a paid claim of the sample, days of N claims made of it' '
	noemie-decode -o c.sample $sample/2026-11-18/*.580 $sample/2026-11-18/*.b2 2>/dev/null &&
	awk -F"\t" "/^#tiers/ { print } $COLS"" \$c[\"nature\"] == \"paid\" && !done++ { print }" \
	    c.sample | tiers-seal -r >one &&
	test $(grep -vc "^#" one) = 1 &&
	claims 1 $N >a.in &&
	claims $((N + 1)) $N >b.in &&
	claims 99000000 1 >o.in &&
	test $(grep -vc "^#" a.in) = $N &&
	test $(grep -vc "^#" b.in) = $N &&
	test $((2 * N)) -ge 1048576
'

# Nothing dedup writes tells which way it merged: what decides it is seen
# instead, in the manifests (the records merged, the oldest day's against
# the window), and the merge is checked by what it wrote.
test_expect_success 'two days of N claims: the second merges 2N records, none to drop' '
	dedup -W 1 -d $A -H h.A -o a.out a.in 2>/dev/null &&
	rm a.out &&
	printf "day-%s.his\t%d\t%s\t%s\n" $(echo $A | tr -d -) $N $A $A >expect &&
	rows h.A | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	dedup -W 1 -d $B -h h.A -H h.B -o b.out b.in 2>err &&
	grep "^dedup: $B: $N claims: $N first, 0 intra-day, 0 earlier days, 0 adjustments; history 1 segments\$" err &&
	printf "base-%s.his\t%d\t%s\t%s\n" $(echo $B | tr -d -) $((2 * N)) $A $B >expect &&
	rows h.B | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	ls h.B >actual &&
	printf "base-%s.his\nmanifest.tsv\n" $(echo $B | tr -d -) >expect &&
	test_cmp expect actual &&
	f=h.B/base-$(echo $B | tr -d -).his &&
	test $(wc -c <$f) = $((16 + 24 * 2 * N + 24))
'

# Both halves hold records: the segment is in key order (-V, below), so
# the high byte of the hashes crosses 0x80 once, somewhere in the middle.
test_expect_success 'the merged segment: records of both halves, the trailer the manifest says' '
	f=h.B/base-$(echo $B | tr -d -).his &&
	lo=$(od -An -tx1 -w24 -j16 -N $((2 * N * 24)) $f | awk "\$8 < \"80\" { k++ } END { print k + 0 }") &&
	test $lo -gt $((N / 2)) && test $lo -lt $((3 * N / 2)) &&
	tail -c 24 $f | head -c 8 >magic && printf TIERSEND >expect && cmp expect magic &&
	crc=$(tail -c 8 $f | od -An -tx4 -N4 | tr -d " ") &&
	test "$crc" = "$(rows h.B | cut -f3)"
'

test_expect_success 'the next day, with -V: the merged segment accepted, every key found where it was first' '
	{ head -1 a.in; grep -v "^#" a.in; grep -v "^#" b.in; claims 98000000 3 | grep -v "^#"; } |
	    grep -v "^#end" | tiers-seal -r >c.in &&
	dedup -V -W 1 -d $C -h h.B -H h.C -o c.out c.in 2>err &&
	grep "^dedup: $C: $((2 * N + 3)) claims: 3 first, 0 intra-day, $((2 * N)) earlier days, 0 adjustments; history 1 segments\$" err &&
	col c.out dup dup_ref | awk -F"\t" -v n=$N -v a=$A -v b=$B "
	    NR <= n && (\$1 != \"inter\" || \$2 != a \"#\" NR) ||
	    NR > n && NR <= 2 * n && (\$1 != \"inter\" || \$2 != b \"#\" NR - n) ||
	    NR > 2 * n && (\$1 != \"first\" || \$2 != \"\") { bad++; if (bad < 5) print NR, \$0 }
	    END { if (NR != 2 * n + 3) print \"records: \" NR; exit bad > 0 || NR != 2 * n + 3 }"
'

# A key of day O, a month before: in the window on day A, merged into
# its segment, out of it on day B (-W 1), so that day B's merge, of as
# many records, has one to drop and is made in one piece.
test_expect_success 'the same merge in one piece (a key to drop): the same bytes' '
	dedup -W 1 -d $O -H p.O -o o.out o.in 2>/dev/null &&
	dedup -W 1 -d $A -h p.O -H p.A -o pa.out a.in 2>/dev/null &&
	printf "base-%s.his\t%d\t%s\t%s\n" $(echo $A | tr -d -) $((N + 1)) $O $A >expect &&
	rows p.A | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	dedup -W 1 -d $B -h p.A -H p.B -o pb.out b.in 2>/dev/null &&
	cmp pb.out b.out && rm pa.out pb.out b.out &&
	diff -r p.B h.B &&
	dedup -V -W 1 -d $C -h p.B -H p.C -o pc.out c.in 2>/dev/null &&
	cmp pc.out c.out && rm pc.out c.out &&
	diff -r p.C h.C
'

# The ledger (-B): the same merge, of 40-byte records, as the nightly's
# ledger stage runs it every day.  A day's N claims judged first (-l)
# and paid 1.00 to the PS by a decision stream made by awk, as
# t/bench-dedup.sh makes it (liquidate's masters are not needed), write
# N lines paid, two records each (K and L): the second day's 2N and the
# first's segment, as many, are merged, 4N records.  About 6 seconds
# more, and about 0.8 GB of scratch files at most (the history's files
# gone first), less than the history's tests above.

# decide OUT: the decisions for a dedup -l output: a claim judged first
# paid 1.00 to the PS, any other rejected.
decide () {
	awk -F'\t' -v OFS='\t' '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3
		print "#tiers", "decision", 1, "claim", "dest", "amc_eur"; next }
	/^#/ { next }
	{ print $c["dup_id"], $c["dup"] == "first" ? "ps" : "reject", $c["dup"] == "first" ? "1.00" : "0.00" }
	' "$1" | tiers-seal -r
}

test_expect_success 'ledger (-B): two days of N lines paid, the second merges 4N records, none to drop' '
	rm -rf c.in h.A h.B h.C p.O p.A p.B p.C &&
	dedup -l -W 1 -d $A -o a.l a.in 2>/dev/null &&
	decide a.l >a.dec &&
	test $(grep -c "	ps	1.00\$" a.dec) = $N &&
	dedup -B -W 1 -d $A -D a.dec -H l.A a.l 2>err &&
	grep "^dedup: $A: $N claims: $N lines paid, 0 movements; ledger 0 segments\$" err &&
	printf "day-%s.led\t%d\t%s\t%s\n" $(echo $A | tr -d -) $((2 * N)) $A $A >expect &&
	rows l.A | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	dedup -l -W 1 -d $B -h l.A -o b.l b.in 2>err &&
	grep "^dedup: $B: $N claims: $N first, 0 intra-day, 0 earlier days, 0 adjustments; ledger 1 segments\$" err &&
	decide b.l >b.dec &&
	dedup -B -W 1 -d $B -h l.A -D b.dec -H l.B b.l 2>err &&
	grep "^dedup: $B: $N claims: $N lines paid, 0 movements; ledger 1 segments\$" err &&
	printf "base-%s.led\t%d\t%s\t%s\n" $(echo $B | tr -d -) $((4 * N)) $A $B >expect &&
	rows l.B | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	ls l.B >actual &&
	printf "base-%s.flt\nbase-%s.led\nmanifest.tsv\n" $(echo $B | tr -d -) $(echo $B | tr -d -) >expect &&
	test_cmp expect actual &&
	f=l.B/base-$(echo $B | tr -d -).led &&
	test $(wc -c <$f) = $((16 + 40 * 4 * N + 24))
'

# In key order (-V, below): where the high byte of the hashes crosses
# 0x80 is found by halving, a byte read a step, and must be somewhere
# in the middle.
test_expect_success 'ledger: the merged segment, records of both halves, the trailer the manifest says' '
	f=l.B/base-$(echo $B | tr -d -).led &&
	lo=0 hi=$((4 * N)) &&
	while test $lo -lt $hi; do
		mid=$(((lo + hi) / 2)) &&
		case $(od -An -tx1 -j $((16 + 40 * mid + 7)) -N1 $f | tr -d " ") in
		[0-7]?) lo=$((mid + 1)) ;;
		*) hi=$mid ;;
		esac || exit 1
	done &&
	test $lo -gt $N && test $lo -lt $((3 * N)) &&
	tail -c 24 $f | head -c 8 >magic && printf TIERSEND >expect && cmp expect magic &&
	test "$(tail -c 16 $f | od -An -tu8 -N8 | tr -d " ")" = $((4 * N)) &&
	crc=$(tail -c 8 $f | od -An -tx4 -N4 | tr -d " ") &&
	test "$crc" = "$(rows l.B | cut -f3)"
'

# A claim of each thousand of each day, and three new: a claim whose
# line is still paid is found wherever it is in the segment (every
# claim repeated would cost a seek each for what is left paid on it).
test_expect_success 'ledger: the next day, -l -V and -B -V, the merged segment accepted, lines found where they were paid' '
	{ head -1 a.in; grep -v "^#" a.in | awk "NR % 1000 == 1";
	  grep -v "^#" b.in | awk "NR % 1000 == 1"; claims 98000000 3 | grep -v "^#"; } |
	    grep -v "^#end" | tiers-seal -r >lc.in &&
	k=$(((N + 999) / 1000)) &&
	dedup -l -V -W 1 -d $C -h l.B -o c.l lc.in 2>err &&
	grep "^dedup: $C: $((2 * k + 3)) claims: 3 first, 0 intra-day, $((2 * k)) earlier days, 0 adjustments; ledger 1 segments\$" err &&
	col c.l dup dup_ref dup_paid_eur | awk -F"\t" -v k=$k -v a=$A -v b=$B "
	    NR <= k && (\$1 != \"inter\" || \$2 != a \"#\" 1000 * (NR - 1) + 1) ||
	    NR > k && NR <= 2 * k && (\$1 != \"inter\" || \$2 != b \"#\" 1000 * (NR - k - 1) + 1) ||
	    NR > 2 * k && (\$1 != \"first\" || \$2 != \"\") ||
	    \$3 != \"\" { bad++; if (bad < 5) print NR, \$0 }
	    END { if (NR != 2 * k + 3) print \"records: \" NR; exit bad > 0 || NR != 2 * k + 3 }" &&
	decide c.l >c.dec &&
	dedup -B -V -W 1 -d $C -h l.B -D c.dec -H l.C c.l 2>err &&
	grep "^dedup: $C: $((2 * k + 3)) claims: 3 lines paid, 0 movements; ledger 1 segments\$" err &&
	printf "base-%s.led\t%d\t%s\t%s\nday-%s.led\t6\t%s\t%s\n" $(echo $B | tr -d -) $((4 * N)) \
	    $A $B $(echo $C | tr -d -) $C $C >expect &&
	rows l.C | cut -f1,2,4,5 >actual &&
	test_cmp expect actual
'

# Day O's line, in the window on day A (its segment merged with the
# day's, 2N + 2 records, in two halves), out of it on day B: B's merge,
# of 4N records, has two to drop and is made in one piece.
test_expect_success 'ledger: the same merge in one piece (a line to drop): the same bytes' '
	dedup -l -W 1 -d $O -o po.l o.in 2>/dev/null &&
	decide po.l >po.dec &&
	dedup -B -W 1 -d $O -D po.dec -H q.O po.l 2>/dev/null &&
	dedup -l -W 1 -d $A -h q.O -o pa.l a.in 2>/dev/null &&
	cmp pa.l a.l && rm a.l &&
	dedup -B -W 1 -d $A -h q.O -D a.dec -H q.A pa.l 2>/dev/null &&
	rm pa.l &&
	printf "base-%s.led\t%d\t%s\t%s\n" $(echo $A | tr -d -) $((2 * N + 2)) $O $A >expect &&
	rows q.A | cut -f1,2,4,5 >actual &&
	test_cmp expect actual &&
	dedup -l -W 1 -d $B -h q.A -o pb.l b.in 2>/dev/null &&
	cmp pb.l b.l && rm b.l &&
	dedup -B -W 1 -d $B -h q.A -D b.dec -H q.B pb.l 2>/dev/null &&
	rm pb.l &&
	diff -r q.B l.B &&
	dedup -l -V -W 1 -d $C -h q.B -o pc.l lc.in 2>/dev/null &&
	cmp pc.l c.l &&
	dedup -B -V -W 1 -d $C -h q.B -D c.dec -H q.C pc.l 2>/dev/null &&
	diff -r q.C l.C
'

test_done
