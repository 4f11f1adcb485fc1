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

test_done
