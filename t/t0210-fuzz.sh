#!/bin/sh
test_description='the fuzz harnesses replayed; the inputs that crashed, refused'
. "$(dirname "$0")/test-lib.sh"

# The harnesses of t/fuzz, built with gcc and a main that reads files
# (driver.c): each on its seeds and on its regression inputs (the
# crashers found, kept).  Under make san they run with ASan and UBSan.
FUZZDIR=$TEST_DIRECTORY/fuzz

test_expect_success 'setup: the seeds, made from the sample' '
	sh "$FUZZDIR/seeds.sh" "$PWD" "$TIERS_BIN" &&
	test -s seeds/stream/pec &&
	test -s seeds/bindex/two
'

for h in "$FUZZDIR"/*.c; do
	name=$(basename "$h" .c)
	case $name in driver|fuzzlib) continue ;; esac
	test_expect_success "harness $name: seeds and regression inputs" "
		set -- seeds/$name &&
		if test -d '$FUZZDIR/regress/$name'; then set -- \"\$@\" '$FUZZDIR/regress/$name'; fi &&
		'$TIERS_TESTBIN/fuzz-$name' \"\$@\" >out &&
		grep -q '^fuzz-$name: [1-9][0-9]* inputs' out
	"
done

# Malformed inputs met by fuzzing, each given to the program that meets
# such a file in the nightly: its exit status and file:line message,
# nothing published under the final name (out), nothing left in TMPDIR.
# (The Latin-1 CSV is refused at its line now, before the writer would
# refuse it.  A history segment whose records are out of key order, its
# CRC right, was accepted by dedup -V: the harness segment's property.)
# A table: name, exit status, how the input "in" is made (sh, from the
# sample), the command, the message.
S=$TIERS_TOP/testdata/sample/2026-11-18
cat >cases <<EOF
hdronly-nonl	65	printf '#tiers\tbenef-master\t1\tamc\tnir\tnir_key\tbenef_nir\tbirth_date\trang\tadherent' >in	benef-index -o out in	in:1: trailer: no trailer: stream truncated or its writer failed
huge-version	65	sed '1s/\t1\t/\t99999999999999999999\t/' $S/pec.tsv >in	tiers-seal -r -o out in	in:1: header: bad stream version
latin1-csv	65	head -n 2 $S/benef-502010002-000001.csv | sed 's/NOM13/N\xc9M13/' >in.csv	benef-integrate -d 2026-11-18 -o out.m -M out.mv -R out.rej in.csv	in.csv:2: address_1: invalid UTF-8 (file refused)
gzip-magic-alone	65	cp $FUZZDIR/regress/normev3/gzip-magic-alone in.xml	benef-integrate -d 2026-11-18 -o out.m -M out.mv -R out.rej in.xml	in.xml:1: ENTETE: truncated gzip file (file refused)
nul-client	65	cp $FUZZDIR/regress/benefcsv/nul-client in.csv	benef-integrate -d 2026-11-18 -o out.m -M out.mv -R out.rej in.csv	in.csv:2: client: missing or not a number (file refused)
segment-out-of-order	65	rm -rf h && mkdir h && tail -c +2 $FUZZDIR/regress/segment/out-of-order >h/s.his && printf '#tiers\thistory\t1\tsegment\trecords\tcrc\tfirst_day\tlast_day\ns.his\t3\tc7d678e5\t2026-11-19\t2026-11-19\n' | tiers-seal -r >h/manifest.tsv && noemie-decode -o c $S/*.580 $S/*.b2 2>/dev/null	dedup -V -d 2026-11-20 -h h -H out.h -o out c	h/s.his: order: record 2 out of key order: corrupt
EOF

while IFS="	" read -r name st make cmd msg; do
	test_expect_success "refused: $name (exit $st)" "
		rm -rf tmp in in.csv in.xml out* && mkdir tmp &&
		$make &&
		TMPDIR=\$PWD/tmp test_expect_code $st $cmd 2>err &&
		grep -F '$msg' err &&
		! ls out* 2>/dev/null &&
		test -z \"\$(ls -A tmp)\"
	"
done <cases

test_done
