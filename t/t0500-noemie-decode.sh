#!/bin/sh
test_description='noemie-decode: NOEMIE and B2 files into the claim stream'
. "$(dirname "$0")/test-lib.sh"

COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'
CENTS='function cents(s) { sub(/\./, "", s); return s + 0 }
function eur(v,   s) { s = v < 0 ? "-" : ""; if (v < 0) v = -v
	return sprintf("%s%d.%02d", s, int(v / 100), v % 100) }'

# mutate FLOW TYPE OCC OFF REPL <file: the file with the OCC-th record
# (B2) or entity (NOEMIE, reframed) of TYPE changed at offset OFF:
# REPL overwrites, "+REPL" inserts, "DEL" deletes the record or entity,
# "INC" adds one to the digit at OFF (9 becomes 0).
mutate () {
	awk -v fl="$1" -v t="$2" -v occ="$3" -v off="$4" -v rep="$5" '
	function change(s) {
		if (rep == "DEL")
			return ""
		if (rep == "INC")
			return substr(s, 1, off - 1) (substr(s, off, 1) + 1) % 10 substr(s, off + 1)
		if (substr(rep, 1, 1) == "+")
			return substr(s, 1, off - 1) substr(rep, 2) substr(s, off)
		return substr(s, 1, off - 1) rep substr(s, off + length(rep))
	}
	fl == "raw" {
		if (NR == t)
			$0 = change($0)
		print
		next
	}
	fl == "noemie" {
		d = substr($0, 5)
		n = split(d, e, "@")
		out = ""
		k = 0
		for (i = 1; i <= n; i++) {
			if (substr(e[i], 1, 3) == t && ++seen == occ)
				e[i] = change(e[i])
			if (e[i] == "" && rep == "DEL")
				continue
			out = out (k++ ? "@" : "") e[i]
		}
		if (out != "")
			printf "%04d%s\n", length(out), out
		next
	}
	{
		if (substr($0, 1, 1) == t && ++seen == occ)
			$0 = change($0)
		if ($0 != "")
			print
	}'
}

# swap FLOW TYPE OFF LEN <file: the file with two act records of TYPE
# swapped, the first two of different invoices that hold the same LEN
# characters at OFF (the amount the old checks summed) and differ.
swap () {
	awk -v fl="$1" -v t="$2" -v off="$3" -v len="$4" '
	{
		line[NR] = $0
		if (fl == "b2") {
			if (substr($0, 1, 1) == "2")
				inv++
			if (substr($0, 1, 1) == t)
				add(NR, 0, $0)
			next
		}
		k = split(substr($0, 5), e, "@")
		for (i = 1; i <= k; i++) {
			if (substr(e[i], 1, 3) == "100")
				inv++
			if (substr(e[i], 1, 3) == t)
				add(NR, i, e[i])
		}
	}
	function add(l, i, s,    j) {
		if (done)
			return
		for (j = 1; j <= n; j++)
			if (einv[j] != inv && substr(txt[j], off, len) == substr(s, off, len) &&
			    txt[j] != s) {
				a = j
				n++
				el[n] = l; ei[n] = i; txt[n] = s; b = n
				done = 1
				return
			}
		n++
		el[n] = l; ei[n] = i; txt[n] = s; einv[n] = inv
	}
	function put(l, i, s,    k, j, out) {
		if (fl == "b2") {
			line[l] = s
			return
		}
		k = split(substr(line[l], 5), e, "@")
		e[i] = s
		out = e[1]
		for (j = 2; j <= k; j++)
			out = out "@" e[j]
		line[l] = sprintf("%04d%s", length(out), out)
	}
	END {
		if (!done)
			exit 1
		put(el[a], ei[a], txt[b])
		put(el[b], ei[b], txt[a])
		for (i = 1; i <= NR; i++)
			print line[i]
	}'
}

# counts FILE...: records, FR, AMO, badnir flags, cancellations.
counts () {
	awk -F'\t' "$CENTS $COLS"'
	{
		n++
		fr += cents($c["fr_eur"])
		amo += cents($c["amo_eur"])
		if ($c["flag"] ~ /badnir/)
			bad++
		if ($c["nature"] == "cancel")
			can++
	}
	END { printf "%d %s %s %d %d\n", n, eur(fr), eur(amo), bad, can }' "$@"
}

# What the truth file says the same figures are.
truth () {
	awk -F'\t' '
	$1 == "claims" { n = $2 }
	$1 == "fr_total" { fr = $3 }
	$1 == "amo_total" { amo = $3 }
	$1 == "badnir" { bad = $2 }
	$1 == "cancel" { can = $2 }
	END { printf "%d %s %s %d %d\n", n, fr, amo, bad, can }' "$1"
}

days='2026-11-18 2026-11-19 2026-11-20'

test_expect_success 'setup: three days with every anomaly, and a small one' '
	tiers-gen -s 5 -d 3 -n 3000 -b 2000 -p 200 -A badnir=200 \
	    -A dupintra=100 -A dupinter=100 -A cancel=200 -A truncated=3400 \
	    -D 2026-11-18 -o g &&
	tiers-gen -s 7 -d 1 -n 40 -b 100 -p 10 -D 2026-11-18 -o s &&
	cp s/2026-11-18/noemie-01751.580 n.580 &&
	cp s/2026-11-18/noemie-01931.580 m.580 &&
	cp s/2026-11-18/invoices.b2 b.b2 &&
	cp g/2026-11-18/noemie-01751.580 big.580 &&
	cp g/2026-11-18/invoices.b2 big.b2 &&
	test $(wc -l <n.580) -gt 3 &&
	test $(wc -l <b.b2) -gt 6
'

test_expect_success 'round trip: the decoded day is the generated day' '
	for d in $days; do
		noemie-decode -r rep.$d g/$d/*.580 g/$d/*.b2 >claims.$d &&
		tiers-seal -q claims.$d rep.$d &&
		counts claims.$d >actual &&
		truth g/truth/$d/truth.tsv >expect &&
		test_cmp expect actual || exit 1
	done
'

test_expect_success 'round trip: cancellations and bad keys were there to find' '
	cat claims.* | counts >all &&
	read n fr amo bad can <all &&
	test $bad -gt 0 && test $can -gt 0
'

test_expect_success 'the report says what each file gave' '
	awk -F"\t" "$CENTS $COLS"" { n += \$c[\"records\"]; if (\$c[\"status\"] != \"ok\") bad++ }
	    END { print n, bad + 0 }" rep.2026-11-18 >actual &&
	echo "3000 0" >expect &&
	test_cmp expect actual
'

test_expect_success 'B2 and NOEMIE are recognised, or named with -L' '
	noemie-decode n.580 b.b2 >auto &&
	noemie-decode -L noemie-580 n.580 >n.claims &&
	noemie-decode -L b2 b.b2 >b.claims &&
	grep -v "^#" auto >auto.rec &&
	cat n.claims b.claims | grep -v "^#" >named.rec &&
	test_cmp auto.rec named.rec &&
	cut -f1 auto.rec | sort -u >actual &&
	printf "b2\nnoemie-580\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a file named with the wrong layout is refused' '
	test_expect_code 65 noemie-decode -L b2 n.580 >out 2>err &&
	grep "n.580:1: " err &&
	test $(grep -vc "^#" out) = 0
'

test_expect_success 'gzip input and stdin give the same records' '
	noemie-decode <n.580 >plain &&
	gzip -c n.580 | noemie-decode >gz &&
	test_cmp plain gz &&
	gzip -c n.580 >n2.580.gz &&
	noemie-decode n2.580.gz | grep -v "^#end" | cut -f1-4,6- >a &&
	noemie-decode n.580 | grep -v "^#end" | cut -f1-4,6- >b &&
	test_cmp a b
'

test_expect_success 'a truncated gzip file is refused' '
	gzip -c n.580 >full.gz &&
	size=$(wc -c <full.gz) &&
	head -c $((size - 10)) full.gz >cut.580.gz &&
	test_expect_code 65 noemie-decode -r rep cut.580.gz >out 2>err &&
	grep "^noemie-decode: cut.580.gz:[0-9]*: truncated gzip file (file refused)" err &&
	test $(grep -vc "^#" out) = 0 &&
	tiers-seal -q out &&
	grep -v "^#" rep | cut -f6 >actual &&
	echo refused >expect &&
	test_cmp expect actual
'

test_expect_success 'the generated truncated copies are refused' '
	for f in g/*/*.trunc.580.gz; do
		test_expect_code 65 noemie-decode "$f" >out 2>err &&
		grep "truncated gzip file" err || exit 1
	done
'

# name	flow	type	occurrence	offset	replacement	message; a swap-
# case swaps two act lines of different invoices (see swap), with
# the same amount at offset and length given: AMO in NOEMIE, FR in B2.
cat >cases <<'EOF'
unknown-entity	noemie	101	1	1	111	n.580:2: 111: unknown entity type
entity-length	noemie	200	1	10	+9	n.580:2: 200: length 100, not 99
line-length	raw	2	-	1	9	n.580:2: -: length
empty-entity	noemie	101	1	1	+@	n.580:2: -: empty entity
not-a-number	noemie	200	1	24	x	n.580:2: 200.qty: not a number
money-last-digit	noemie	200	1	36	x	n.580:2: 200.fr_eur: not a number
money-eighth-digit	noemie	200	1	35	/	n.580:2: 200.fr_eur: not a number
date-last-digit	noemie	200	1	13	:	n.580:2: 200.act_date: not a date
long-number-middle	noemie	200	1	92	A	n.580:2: 200.ref_invoice: not a number
number-at-line-end	noemie	200	1	99	x	n.580:2: 200.ref_line: not a number
no-sign	noemie	200	1	27	x	n.580:2: 200.fr_eur: no sign
impossible-date	noemie	200	1	8	31	n.580:2: 200.act_date: impossible date
impossible-month	noemie	100	1	30	13	n.580:2: 100.invoice_date: impossible date
not-a-nir	noemie	100	1	4	X	n.580:2: 100.nir: not a NIR
zero-invoice	noemie	100	1	19	000000000	n.580:2: 100.invoice: zero
unknown-ps-kind	noemie	010	1	4	9	n.580:2: 010.ps_kind: unknown code
unknown-nature	noemie	200	1	7	Z	n.580:2: 200.nature: unknown code
not-printable	noemie	102	1	14	é	n.580:2: 102.adherent: not printable ASCII
count-mismatch	noemie	990	1	5	9	n.580:2: 990.count: count mismatch
total-mismatch	noemie	999	1	13	-	999.total_eur: total mismatch
wrong-level	noemie	990	1	4	1	n.580:2: 990.level: closes level 1, but the open level is 2
no-ps-level	noemie	010	1	1	DEL	n.580:2: 100: opens level 2 outside the level above it
no-end	noemie	999	1	1	DEL	: no end record: the file is incomplete
no-open	noemie	000	1	1	DEL	n.580:1: -: no layout recognises the first line
second-open	noemie	010	1	1	0005800175100010000001261118990000000	n.580:2: 000: second opening record
b2-unknown-type	b2	3	1	1	7	b.b2:4: 7: unknown record type
b2-length	b2	3	1	129	+x	b.b2:4: 3: length 129, not 128
b2-zero-invoice	b2	2	1	30	000000000	b.b2:3: 2.invoice: zero
b2-rang	b2	2	1	27	x	b.b2:3: 2.rang: not a number
b2-act-date	b2	3	1	5	32	b.b2:4: 3.act_date: impossible date
b2-count	b2	5	1	2	9	5.count: count mismatch
b2-lot-total	b2	8	1	9	-	8.total_eur: total mismatch
b2-after-end	b2	9	1	129	+@	b.b2
fr-digit	noemie	200	1	35	INC	n.580:2: 990.fr_total_eur: total mismatch: 48.79 decoded
br-digit	noemie	200	1	45	INC	n.580:2: 990.br_total_eur: total mismatch: 48.79 decoded
date-digit	noemie	200	1	9	INC	n.580:2: 990.date_total: total mismatch: 20768 decoded
b2-fr-digit	b2	3	1	31	INC	b.b2:5: 5.total_eur: total mismatch: 52.88 decoded
b2-br-digit	b2	3	1	41	INC	b.b2:5: 5.br_total_eur: total mismatch: 52.88 decoded
b2-amo-digit	b2	3	1	56	INC	b.b2:5: 5.amo_total_eur: total mismatch: 32.13 decoded
b2-date-digit	b2	3	1	6	INC	b.b2:5: 5.date_total: total mismatch: 20764 decoded
swap-lines	noemie	200	-	52	10	big.580:8: 990.date_total: total mismatch: 20767 decoded
swap-b2-lines	b2	3	-	24	10	big.b2:10: 5.date_total: total mismatch: 20761 decoded
EOF

test_expect_success 'every error class names file, line, entity and field' '
	fail=0
	while IFS="	" read name flow type occ off rep msg; do
		case $flow in
		b2) src=b.b2 ;;
		*) src=n.580 ;;
		esac
		case $name in
		b2-after-end)
			cp b.b2 bad && tail -1 b.b2 >>bad
			msg="b.b2:$(($(wc -l <b.b2) + 1)): 9: after the end of the file" ;;
		swap-*)
			src=big.${src#*.}
			swap $flow $type $off "$rep" <$src >bad || { echo "$name: no pair"; fail=1; } ;;
		*)
			mutate $flow $type $occ $off "$rep" <$src >bad ;;
		esac
		mkdir -p cases.d && cp bad cases.d/$src &&
		(cd cases.d && noemie-decode $src >out 2>err; echo $? >rc)
		if test "$(cat cases.d/rc)" != 65 ||
		    ! grep -F "noemie-decode: $src:" cases.d/err >/dev/null ||
		    ! grep -F "$msg" cases.d/err >/dev/null ||
		    ! grep -F "(file refused)" cases.d/err >/dev/null ||
		    test $(grep -vc "^#" cases.d/out) != 0; then
			echo "$name: status $(cat cases.d/rc)"
			cat cases.d/err
			fail=1
		fi
	done <cases
	test $fail = 0
'

test_expect_success 'error messages never echo a NIR' '
	noemie-decode n.580 | awk -F"\t" "$COLS { print \$c[\"nir\"] }" | sort -u >nirs &&
	test -s nirs &&
	mutate noemie 100 1 4 X <n.580 >bad.580 &&
	noemie-decode bad.580 >/dev/null 2>err;
	! grep -F -f nirs err
'

test_expect_success 'a file in error is refused whole, the others decoded (pipe)' '
	mutate noemie 999 1 13 - <n.580 >bad.580 &&
	noemie-decode m.580 b.b2 >good &&
	test_expect_code 65 noemie-decode m.580 bad.580 b.b2 >mixed 2>err &&
	test_cmp good mixed &&
	grep "bad.580:.*total mismatch" err
'

test_expect_success 'a file in error is refused whole, the others decoded (-o file)' '
	test_expect_code 65 noemie-decode -o mixed.tsv -r rep m.580 bad.580 b.b2 2>err &&
	test_cmp good mixed.tsv &&
	cut -f1,6 rep | grep -v "^#" >actual &&
	printf "m.580\tok\nbad.580\trefused\nb.b2\tok\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a refused file is dropped from a spool spilled to disk too' '
	tiers-gen -s 9 -d 1 -n 20000 -b 2000 -p 100 -D 2026-11-18 -o big &&
	d=big/2026-11-18 &&
	mutate noemie 999 1 13 - <$d/noemie-01751.580 >bigbad.580 &&
	noemie-decode -o good $d/noemie-01931.580 $d/invoices.b2 &&
	test $(wc -c <good) -gt 2000000 &&
	TIERS_SPOOLMEM=0 noemie-decode $d/noemie-01931.580 bigbad.580 \
	    $d/invoices.b2 2>/dev/null | cat >mixed;
	test_cmp good mixed
'

test_expect_success 'a bad NIR key is a flag, not an error' '
	awk "BEGIN { OFS = FS = \"@\" }
	    NR == 2 { k = substr(\$2, 17, 2); k = k == \"01\" ? \"02\" : \"01\"
	      \$2 = substr(\$2, 1, 16) k substr(\$2, 19) } { print }" n.580 >key.580 &&
	noemie-decode key.580 >out &&
	awk -F"\t" "$COLS"" \$c[\"line\"] == 2 && \$c[\"flag\"] != \"badnir\" { bad++ }
	    \$c[\"line\"] != 2 && \$c[\"flag\"] != \"\" { bad++ } END { exit bad > 0 }" out &&
	test $(grep -vc "^#" out) = $(noemie-decode n.580 | grep -vc "^#")
'

test_expect_success 'a file decoded before is a duplicate transmission' '
	noemie-decode -w st1 n.580 b.b2 >/dev/null &&
	tiers-seal -q st1 &&
	test $(grep -vc "^#" st1) = 2 &&
	test_expect_code 65 noemie-decode -s st1 -r rep n.580 m.580 >out 2>err &&
	grep "n.580:1: 000.file_number: duplicate transmission: sender 017510001 file 0000001 already decoded" err &&
	grep -v "^#" rep | cut -f1,6 >actual &&
	printf "n.580\tduplicate\nm.580\tok\n" >expect &&
	test_cmp expect actual &&
	noemie-decode m.580 >m.claims &&
	test_cmp m.claims out
'

test_expect_success 'the same file twice in one run: the second is refused' '
	test_expect_code 65 noemie-decode -w st2 n.580 n.580 >out 2>err &&
	grep "duplicate transmission" err &&
	test $(grep -vc "^#" st2) = 1 &&
	noemie-decode n.580 >once &&
	test_cmp once out
'

test_expect_success 'the state grows day by day; -s and -w may be one file' '
	noemie-decode -w st g/2026-11-18/*.580 >/dev/null &&
	noemie-decode -s st -w st g/2026-11-19/*.580 >/dev/null &&
	test $(grep -vc "^#" st) = 4 &&
	test_expect_code 65 noemie-decode -s st g/2026-11-18/noemie-01931.580 >/dev/null 2>&1
'

test_expect_success 'a layout is data: a changed table decodes a changed file' '
	sed -e "s/^record	200 /record	207 /" -e "s/^field	200 /field	207 /" \
	    "$TIERS_TOP/formats/layouts/noemie-580.lay" >mine.lay &&
	sed "s/@200/@207/g" n.580 >n207.580 &&
	noemie-decode -L mine.lay n207.580 | grep -v "^#" | cut -f1-4,6- >a &&
	noemie-decode n.580 | grep -v "^#" | cut -f1-4,6- >b &&
	test_cmp b a &&
	test_expect_code 65 noemie-decode -L mine.lay n.580 >/dev/null 2>err &&
	grep "200: unknown entity type" err
'

test_expect_success 'a layout name longer than a file name is refused, not written past its room' '
	long=$(printf "%0300d" 0 | tr 0 x) &&
	sed "s/^layout[ 	].*/layout	$long/" \
	    "$TIERS_TOP/formats/layouts/noemie-580.lay" >long.lay &&
	grep -q "^layout	$long\$" long.lay &&
	test_expect_code 65 noemie-decode -L long.lay n.580 >/dev/null 2>err &&
	grep "a layout name longer than a file" err
'

test_expect_success 'a built-in layout read from its file gives the same bytes' '
	noemie-decode -L "$TIERS_TOP/formats/layouts/noemie-580.lay" n.580 | grep -v "^#" >a &&
	noemie-decode -L noemie-580 n.580 | grep -v "^#" >b &&
	test_cmp a b
'

test_expect_success 'the output names the layouts it used, with their CRC' '
	noemie-decode n.580 | grep "^#layout" | cut -f2 >actual &&
	printf "b2\nnoemie-580\n" >expect &&
	test_cmp expect actual
'

# name	layout text	message
cat >laycases <<'EOF'
unknown-name	layout x|type 1 3|total amo_eur|record 000 10 open|field 000 4 3 N nosuch	x.lay:5: field: unknown name nosuch
unknown-format	layout x|type 1 3|total amo_eur|record 000 10 open|field 000 4 3 Q sender	x.lay:5: field sender: unknown format Q
outside	layout x|type 1 3|total amo_eur|record 000 10 open|field 000 9 3 N sender	x.lay:5: field sender: outside record 000
twice	layout x|type 1 3|total amo_eur|record 000 10 open|field 000 4 3 N sender|field 000 7 3 N sender	x.lay:6: field sender: a second field of record 000 names it
map-twice	layout x|type 1 3|total amo_eur|record 000 10 open|field 000 4 1 N sender|map sender 1 A|map sender 1 B	x.lay:7: map: sender 1: a second value
bad-role	layout x|type 1 3|record 000 10 opens	x.lay:3: record 000: role opens
no-total	layout x|type 1 3|record 000 10 open	a layout needs a total line
bad-directive	layout x|frobnicate	x.lay:2: unknown directive
EOF

test_expect_success 'a broken layout is refused with its line (exit 78)' '
	fail=0
	while IFS="	" read name text msg; do
		echo "$text" | tr "|" "\n" >x.lay
		noemie-decode -L x.lay n.580 >out 2>err
		st=$?
		if test $st != 78 || ! grep -F "$msg" err >/dev/null; then
			echo "$name: status $st"; cat err; fail=1
		fi
	done <laycases
	test $fail = 0
'

test_expect_success 'same input, same bytes, whatever the locale and time zone' '
	noemie-decode g/2026-11-19/*.580 g/2026-11-19/*.b2 >a &&
	LC_ALL=fr_FR.UTF-8 TZ=Pacific/Auckland noemie-decode g/2026-11-19/*.580 \
	    g/2026-11-19/*.b2 >b &&
	test_cmp a b
'

test_expect_success 'output, report and state files are mode 0600' '
	umask 022 &&
	noemie-decode -o o.tsv -r r.tsv -w w.tsv n.580 &&
	test "$(test_mode o.tsv)" = "-rw-------" && test "$(test_mode r.tsv)" = "-rw-------" && test "$(test_mode w.tsv)" = "-rw-------"
'

test_expect_success 'an unreadable file: exit 66, the others decoded' '
	test_expect_code 66 noemie-decode n.580 nosuch.580 >out 2>err &&
	grep "nosuch.580: No such file" err &&
	noemie-decode n.580 >once &&
	test_cmp once out
'

test_expect_success 'a failed run leaves no temporary file behind' '
	mkdir clean && cd clean &&
	test_expect_code 73 noemie-decode -o o.tsv -r nodir/r.tsv ../n.580 2>err &&
	grep "nodir/r.tsv" err &&
	ls -A >../clean.ls &&
	echo err >../clean.expect &&
	test_cmp ../clean.expect ../clean.ls
'

test_expect_success 'a state of other columns is refused, not rewritten' '
	printf "#tiers\tdecoded-files\t1\tsender\tflow\tfile_number\tfile_date\tfile\trecords\tamount_eur\n" |
	    mkstream odd.tsv &&
	test_expect_code 65 noemie-decode -s odd.tsv n.580 >/dev/null 2>err &&
	grep "odd.tsv:1: header: not the decoded-files columns" err
'

test_expect_success 'a layout giving the NIR key another length flags, never overflows' '
	sed -e "s/^field	100 17  2 N	nir_key/field	100 17 12 A	nir_key/" \
	    -e "s/^record	100 46 group 2/record	100 46 group 2/" \
	    "$TIERS_TOP/formats/layouts/noemie-580.lay" >long.lay &&
	sed -i "s/^field	100 19  9 NZ	invoice/field	100 29  9 N	invoice/" long.lay &&
	noemie-decode -L long.lay n.580 >out 2>err;
	awk -F"\t" "$COLS"" \$c[\"flag\"] != \"badnir\" { bad++ } END { exit bad > 0 || NR < 3 }" out
'

test_expect_success 'usage errors exit 64; a missing state 66' '
	test_expect_code 64 noemie-decode -x n.580 2>/dev/null &&
	test_expect_code 66 noemie-decode -s nosuch n.580 >/dev/null 2>&1
'

test_done
