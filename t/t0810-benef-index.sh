#!/bin/sh
test_description='benef-index: the index of a master generation'
. "$(dirname "$0")/test-lib.sh"

# mkmaster N: a master of N beneficiaries, families of 3, sorted.
mkmaster () {
	awk -v n="$1" 'BEGIN {
		OFS = "\t"
		printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcontract_state\tadherent\tbenef_type\tnir\tnir_key\tbenef_nir\tbenef_nir_key\tbirth_date\trang\tregime\tcaisse\tcentre\tresponsable\tproducts\ttp_start\ttp_end\tactivation\tsuspension_start\tsuspension_end\tsuspension_reason\tcard_movement\tdomains\taddress_1\taddress_2\taddress_3\taddress_4\taddress_5\taddress_6\taddress_7\trights_start\trights_end\tkey_nir_rang\tkey_birth_rang_adherent\tupdated\n"
		for (i = 0; i < n; i++) {
			c = sprintf("C%06d", int(i / 3)); nir = sprintf("1%012d", i)
			print "123456789", c, "M" i % 3, "OU", c, "AS", nir, "00", "", "",
			    sprintf("19%02d-01-01", 50 + i % 40), i % 3 + 1, "01", "751", "0001", 1,
			    "1:BASE:2026-01-01:2026-12-31", "2026-01-01", "2026-12-31", "AC", "", "", "",
			    "", "", "NOM", "1 RUE", "", "", "", "75001 PARIS", "", "2026-01-01",
			    "2026-12-31", nir (i % 3 + 1), "x", "2026-01-01"
		}
	}' | tiers-seal -r
}

# entries INDEX: "hash offset kind" a line, hashes as 20 digits.
entries () {
	bits=$(od -An -tu4 -j12 -N4 "$1" | tr -d " ") &&
	n=$(od -An -tu8 -j16 -N8 "$1" | tr -d " ") &&
	od -An -v -tu8 -w16 -j $((64 + 8 * ((1 << bits) + 1))) -N $((16 * n)) "$1" |
	    awk '{ printf "%020s %d %d\n", $1, int($2 / 4), $2 % 4 }'
}

test_expect_success 'setup' '
	mkmaster 2000 >m.tsv && tiers-seal -q m.tsv
'

test_expect_success 'the index: three keys a record, sorted, each at a line start; mode 0600' '
	benef-index -o m.idx m.tsv 2>err &&
	test_cmp - err <<-\EOF &&
	benef-index: 2000 beneficiaries, 6000 keys in 1024 buckets
	EOF
	test "$(test_mode m.idx)" = "-rw-------" &&
	test "$(head -c 8 m.idx)" = TIERSIDX &&
	test $(wc -c <m.idx) = $((64 + 8 * 1025 + 16 * 6000 + 4)) &&
	entries m.idx >e &&
	test $(wc -l <e) = 6000 &&
	sort -c e &&
	awk "NR > 1 && !/^#/ { print off } { off += length(\$0) + 1 }" m.tsv | sort -n >starts &&
	for k in 0 1 2; do
		awk -v k=$k "\$3 == k { print \$2 }" e | sort -n >offs.$k &&
		test_cmp starts offs.$k || return 1
	done
'

test_expect_success 'the same master, the same bytes, in one part or two' '
	benef-index -o again.idx m.tsv 2>/dev/null &&
	TIERS_SCAN_MIN=1 benef-index -o parts.idx m.tsv 2>/dev/null &&
	cmp m.idx again.idx && cmp m.idx parts.idx
'

test_expect_success 'a malformed or truncated master: exit 65, at its line, nothing written' '
	awk -F"\t" -v OFS="\t" "NR == 500 { \$11 = \"1950-02-30\" } !/^#end/ { print }" m.tsv |
	    tiers-seal -r >bad.tsv &&
	for min in 1 ""; do
		TIERS_SCAN_MIN=$min test_expect_code 65 benef-index -o bad.idx bad.tsv 2>err &&
		test_cmp - err <<-\EOF || return 1
		benef-index: bad.tsv:500: birth_date: not a date
		EOF
	done &&
	head -100 m.tsv >trunc.tsv &&
	test_expect_code 65 benef-index -o bad.idx trunc.tsv 2>err &&
	grep "trunc.tsv:100: trailer: no trailer" err &&
	! ls -a | grep -q "bad\.idx"
'

test_expect_success 'a master of its header alone, without its newline: exit 65, no temporary' '
	head -n 1 m.tsv | tr -d "\n" >hdronly.tsv &&
	for min in 1 ""; do
		TIERS_SCAN_MIN=$min test_expect_code 65 benef-index -o h.idx hdronly.tsv 2>err &&
		test_cmp - err <<-\EOF || return 1
		benef-index: hdronly.tsv:1: trailer: no trailer: stream truncated or its writer failed
		EOF
	done &&
	! ls -a | grep -q "h\.idx" &&
	head -n 1 m.tsv >hdrnl.tsv &&
	test_expect_code 65 benef-index -o h.idx hdrnl.tsv 2>err &&
	grep "hdrnl.tsv:1: trailer: no trailer" err &&
	! ls -a | grep -q "h\.idx"
'

test_expect_success 'a gzip master or a pipe cannot be indexed: exit 66' '
	gzip -c m.tsv >m.gz &&
	test_expect_code 66 benef-index -o g.idx m.gz 2>err &&
	grep "^benef-index: m.gz: not a plain file" err &&
	test_expect_code 66 benef-index -o g.idx - <m.tsv 2>err &&
	grep "not a plain file" err &&
	test_expect_code 66 benef-index -o g.idx nothere.tsv &&
	! test -e g.idx
'

test_expect_success 'usage errors are exit 64; a directory that cannot be written is 73' '
	test_expect_code 64 benef-index m.tsv &&
	test_expect_code 64 benef-index -o x.idx &&
	test_expect_code 64 benef-index -o x.idx m.tsv m.tsv &&
	test_expect_code 73 benef-index -o nodir/x.idx m.tsv 2>/dev/null
'

test_done
