#!/bin/sh
test_description='tiers-gen: deterministic days of claims with known anomalies'
. "$(dirname "$0")/test-lib.sh"

# The checks below read columns by the names of the stream header.
COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'
CENTS='function cents(s) { sub(/\./, "", s); return s + 0 }
function eur(v,   s) { s = v < 0 ? "-" : ""; if (v < 0) v = -v
	return sprintf("%s%d.%02d", s, int(v / 100), v % 100) }'

# truth_of OUTDIR DAY: the truth records a day's acts.tsv and files imply.
truth_of () {
	trunc=0
	test -f "$1/$2/acts.trunc.tsv.gz" && trunc=1
	awk -F'\t' -v trunc=$trunc "$CENTS $COLS"'
	{
		a = $c["anomaly"]
		n[a]++
		fr[a] += cents($c["fr_eur"])
		nl++
		frt += cents($c["fr_eur"])
		amo += cents($c["amo_eur"])
	}
	END {
		printf "claims\t%d\t%s\n", nl, eur(frt)
		k = split("none badnir unknown closed dupintra dupinter cancel near nopec", kind, " ")
		for (i = 1; i <= k; i++)
			printf "%s\t%d\t%s\n", kind[i], n[kind[i]], eur(fr[kind[i]])
		printf "fr_total\t%d\t%s\n", nl, eur(frt)
		printf "amo_total\t%d\t%s\n", nl, eur(amo)
		printf "truncated_files\t%d\t0.00\n", trunc
	}' "$1/truth/$2/acts.tsv"
}

# Duplicates repeat every field of a clean original but the line id, the
# anomaly and orig: dupintra one before it the same day, dupinter one of
# an earlier day.  Files are given in day order.
check_dups () {
	awk -F'\t' "$COLS"'
	{
		id = $c["line_id"]
		a = $c["anomaly"]
		o = $c["orig"]
		key = ""
		for (i = 1; i <= NF; i++)
			if (i != c["line_id"] && i != c["anomaly"] && i != c["orig"])
				key = key "\t" $i
		if (a == "dupintra" || a == "dupinter") {
			nd[a]++
			day = substr(id, 1, 8)
			if (!(o in rec))
				err(id ": no original " o)
			else if (rec[o] != key)
				err(id ": differs from " o)
			else if (an[o] != "none")
				err(id ": original " o " is " an[o])
			else if (a == "dupintra" && substr(o, 1, 8) != day)
				err(id ": original " o " of another day")
			else if (a == "dupinter" && substr(o, 1, 8) >= day)
				err(id ": original " o " not of an earlier day")
		} else if (a == "near") {
			nd[a]++
			if (!(o in rec))
				err(id ": near no line " o)
			else if (rec[o] == key)
				err(id ": the same as " o)
		} else if (a == "cancel") {
			nd[a]++
			if (!(o in rec))
				err(id ": cancels no line " o)
			else if (an[o] != "none")
				err(id ": cancels " o ", which is " an[o])
		} else if (o != "")
			err(id ": orig set")
		rec[id] = key
		an[id] = a
	}
	function err(s) { if (bad++ < 10) print s }
	END {
		if (nd["dupintra"] == 0 || nd["dupinter"] == 0)
			err("no duplicates to check")
		exit bad != 0
	}' "$@"
}

# NIR keys are right except on badnir lines.
check_keys () {
	awk -F'\t' "$COLS"'
	function nirkey(s,   r, i) {
		r = 0
		for (i = 1; i <= 13; i++)
			if (i == 6 && substr(s, 6, 2) ~ /^2[AB]$/) {
				r = (r * 100 + (substr(s, 7, 1) == "A" ? 19 : 18)) % 97
				i++
			} else
				r = (r * 10 + substr(s, i, 1)) % 97
		return 97 - r
	}
	{
		ok = nirkey($c["nir"]) == $c["nir_key"] + 0
		bn = ("anomaly" in c) && $c["anomaly"] == "badnir"
		nbad += bn
		if (ok == bn) {
			print $1 ": key " (ok ? "right" : "wrong")
			bad++
		}
	}
	END { exit bad != 0 || (("anomaly" in c) && nbad == 0) }' "$@"
}

# Who the lines are for: unknown NIRs are nobody, closed beneficiaries
# were radiated before the act, everybody else had rights at the act date.
check_rights () {
	awk -F'\t' "$COLS"'
	FILENAME == ARGV[1] {
		nir = $c["nir"]
		if (nir in end)
			err("NIR twice in the world")
		start[nir] = $c["rights_start"]
		end[nir] = $c["rights_end"]
		id[nir] = $c["birth_date"] "/" $c["rang"]
		next
	}
	{
		nir = $c["nir"]
		a = $c["anomaly"]
		d = $c["act_date"]
		n[a]++
		if (a == "unknown") {
			if (nir in end)
				err($1 ": unknown NIR is known")
		} else if (!(nir in end))
			err($1 ": NIR of nobody")
		else if (id[nir] != $c["birth_date"] "/" $c["rang"])
			err($1 ": birth date or rang differ")
		else if (a == "closed" && !(d > end[nir]))
			err($1 ": act before rights end")
		else if (a != "closed" && (d < start[nir] || d > end[nir]))
			err($1 ": act out of rights")
	}
	function err(s) { if (bad++ < 10) print s }
	END { exit bad != 0 || n["unknown"] == 0 || n["closed"] == 0 }' "$@"
}

# FR >= BR >= 0, AMO = BR x rate - PF, PF on visits only, invoice numbers
# never zero, and an invoice total the sum of its lines (duplicates aside).
check_amounts () {
	awk -F'\t' "$CENTS $COLS"'
	{
		sg = $c["anomaly"] == "cancel" ? -1 : 1
		fr = sg * cents($c["fr_eur"])
		br = sg * cents($c["br_eur"])
		pf = sg * cents($c["pf_eur"])
		th = int((br * $c["amo_rate_bp"] + 5000) / 10000)
		if (!(fr >= br && br >= 0))
			err($1 ": FR < BR or BR < 0")
		if (sg * cents($c["amo_eur"]) != th - pf || th - pf < 0)
			err($1 ": AMO is not BR x rate - PF")
		if (pf != ($c["act_code"] ~ /^(G|VG|CS|APC)$/ ? 200 : 0))
			err($1 ": PF")
		inv = $c["invoice"]
		if (length(inv) != 9 || inv ~ /[^0-9]/ || inv == "000000000")
			err($1 ": invoice number")
		if ($c["anomaly"] ~ /^(dup|cancel|near)/)
			next
		inv = $c["ps_number"] "/" inv
		sum[inv] += fr
		total[inv] = cents($c["invoice_total_eur"])
	}
	END {
		for (inv in sum)
			if (sum[inv] != total[inv])
				err(inv ": invoice total")
		exit bad != 0
	}
	function err(s) { if (bad++ < 10) print s }' "$@"
}

days='2026-11-18 2026-11-19 2026-11-20'
rates='-A badnir=200 -A unknown=200 -A closed=200 -A dupintra=200 -A dupinter=200 -A cancel=200 -A near=200'

test_expect_success 'setup: the same days twice, another seed, gzip' '
	tiers-gen -s 3 -d 3 -n 2000 -b 600 -p 60 $rates -A truncated=10000 \
	    -D 2026-11-18 -o a &&
	tiers-gen -s 3 -d 3 -n 2000 -b 600 -p 60 $rates -A truncated=10000 \
	    -D 2026-11-18 -o b &&
	tiers-gen -s 4 -d 3 -n 2000 -b 600 -p 60 $rates -D 2026-11-18 -o c &&
	tiers-gen -z -s 3 -d 3 -n 2000 -b 600 -p 60 $rates -A truncated=10000 \
	    -D 2026-11-18 -o z
'

test_expect_success 'one directory per business day, its inputs and flows' '
	ls a >actual &&
	printf "%s\n" $days truth >expect &&
	test_cmp expect actual &&
	ls a/2026-11-18 >actual &&
	printf "%s\n" acts.trunc.tsv.gz benef-167370000-000001.xml \
	    benef-229010001-000001.xml benef-828400002-000001.csv \
	    garanties-167370000.xml garanties-229010001.xml \
	    garanties-828400002.xml invoices.b2 \
	    noemie-01751.580 noemie-01751.trunc.580.gz noemie-01931.580 \
	    pec.tsv ps.tsv >expect &&
	test_cmp expect actual &&
	ls a/2026-11-19 >actual &&
	printf "%s\n" acts.trunc.tsv.gz benef-167370000-000002.xml \
	    benef-229010001-000002.xml benef-828400002-000002.csv \
	    invoices.b2 \
	    noemie-01751.580 noemie-01751.trunc.580.gz noemie-01931.580 \
	    pec.tsv ps.tsv >expect &&
	test_cmp expect actual
'

test_expect_success 'the generator files are in truth/DAY, none in a day directory' '
	ls a/truth >actual &&
	printf "%s\n" $days >expect &&
	test_cmp expect actual &&
	printf "%s\n" acts.tsv benef-truth.tsv benef.tsv truth.tsv >expect &&
	for d in $days; do
		ls a/truth/$d >actual &&
		test_cmp expect actual &&
		for f in acts.tsv benef-truth.tsv benef.tsv truth.tsv; do
			! test -e a/$d/$f && ! test -e a/$d/$f.gz &&
			! test -e z/$d/$f && ! test -e z/$d/$f.gz &&
			test -f z/truth/$d/$f.gz || exit 1
		done
	done &&
	for f in "$TIERS_TOP"/testdata/sample/????-??-??/*; do
		case ${f##*/} in
		acts.tsv*|benef.tsv*|truth.tsv*|benef-truth.tsv*)
			echo "$f: a generator file in a day"; exit 1 ;;
		esac
	done &&
	ls "$TIERS_TOP"/testdata/sample/truth/????-??-??/truth.tsv
'

test_expect_success 'days skip holidays and weekends; -D moves to a business day' '
	tiers-gen -d 2 -n 1 -D 2026-11-10 -o hol &&
	tiers-gen -d 1 -n 1 -D 2026-11-21 -o sat &&
	ls hol sat >actual &&
	printf "%s\n" hol: 2026-11-10 2026-11-12 truth "" sat: 2026-11-23 truth >expect &&
	test_cmp expect actual
'

test_expect_success 'same options, same bytes' '
	diff -r a b
'

test_expect_success 'another seed, other claims and another world' '
	for d in $days; do
		! cmp -s a/truth/$d/acts.tsv c/truth/$d/acts.tsv &&
		! cmp -s a/truth/$d/benef.tsv c/truth/$d/benef.tsv || exit 1
	done
'

test_expect_success 'every stream verifies' '
	tiers-seal -q a/????-??-??/*.tsv a/truth/*/*.tsv c/????-??-??/*.tsv c/truth/*/*.tsv &&
	ls z/????-??-??/*.tsv.gz z/truth/*/*.tsv.gz | grep -v trunc | xargs tiers-seal -q
'

test_expect_success 'the world is the same every day' '
	for d in 2026-11-19 2026-11-20; do
		cmp a/truth/2026-11-18/benef.tsv a/truth/$d/benef.tsv &&
		cmp a/2026-11-18/ps.tsv a/$d/ps.tsv || exit 1
	done
'

test_expect_success 'line ids number the day lines in order' '
	for d in $days; do
		grep -v "^#" a/truth/$d/acts.tsv |
		awk -F"\t" -v day=$(echo $d | tr -d -) \
		    "\$1 != sprintf(\"%s-%07d\", day, NR) { exit 1 } END { exit NR != 2000 }" ||
		exit 1
	done
'

test_expect_success 'the truth is what the acts hold' '
	for g in a c; do
		for d in $days; do
			truth_of $g $d >expect &&
			grep -v "^#" $g/truth/$d/truth.tsv | grep -v "^liq_\|^out_" >actual &&
			test_cmp expect actual || exit 1
		done
	done
'

test_expect_success 'truncated files come at their rate: every day, or none' '
	test $(ls a/*/acts.trunc.tsv.gz | wc -l) = 3 &&
	! ls c/*/acts.trunc.tsv.gz 2>/dev/null
'

test_expect_success 'duplicates repeat an original line in every field' '
	check_dups a/truth/2026-11-18/acts.tsv a/truth/2026-11-19/acts.tsv a/truth/2026-11-20/acts.tsv &&
	check_dups c/truth/2026-11-18/acts.tsv c/truth/2026-11-19/acts.tsv c/truth/2026-11-20/acts.tsv
'

test_expect_success 'badnir lines have a wrong NIR key, all others a right one' '
	check_keys a/truth/*/acts.tsv c/truth/*/acts.tsv &&
	check_keys a/truth/2026-11-18/benef.tsv
'

test_expect_success 'unknown, closed and other lines against the world' '
	for dir in a/truth/* c/truth/*; do
		check_rights $dir/benef.tsv $dir/acts.tsv || exit 1
	done
'

test_expect_success 'amounts are coherent' '
	check_amounts a/truth/*/acts.tsv c/truth/*/acts.tsv
'

test_expect_success 'identifiers are unique in the world' '
	cut -f4 a/truth/2026-11-18/benef.tsv | sort | uniq -d >dups &&
	cut -f3 a/2026-11-18/ps.tsv | sort | uniq -d >>dups &&
	test_must_be_empty dups
'

test_expect_success '-z writes gzip files that decompress to the plain ones' '
	for f in z/????-??-??/*.tsv.gz z/truth/*/*.tsv.gz; do
		test "$(od -An -tx1 -N10 $f | tr -d " ")" = 1f8b0800000000000003 &&
		case $f in
		*trunc*) cmp $f a/${f#z/} ;;
		*) p=${f#z/} && gzip -dc $f | cmp - a/${p%.gz} ;;
		esac || exit 1
	done &&
	! ls z/*/*.tsv 2>/dev/null &&
	! ls z/truth/*/*.tsv 2>/dev/null
'

test_expect_success 'a day holds what the last run made, nothing older' '
	cp -R a again &&
	cp a/truth/2026-11-18/acts.tsv a/truth/2026-11-18/benef-truth.tsv \
	    a/truth/2026-11-18/benef.tsv a/truth/2026-11-18/truth.tsv again/2026-11-18/ &&
	tiers-gen -z -s 3 -d 1 -n 10 -D 2026-11-18 -o again &&
	ls again/2026-11-18 >actual &&
	printf "%s\n" benef-167370000-000001.xml.gz \
	    benef-229010001-000001.xml.gz benef-828400002-000001.csv.gz \
	    garanties-167370000.xml.gz \
	    garanties-229010001.xml.gz garanties-828400002.xml.gz invoices.b2.gz \
	    noemie-01751.580.gz noemie-01931.580.gz pec.tsv.gz ps.tsv.gz >expect &&
	test_cmp expect actual &&
	ls again/truth/2026-11-18 >actual &&
	printf "%s\n" acts.tsv.gz benef-truth.tsv.gz benef.tsv.gz truth.tsv.gz >expect &&
	test_cmp expect actual &&
	tiers-gen -s 3 -d 1 -n 10 -D 2026-11-18 -o again &&
	ls again/2026-11-18 >actual &&
	printf "%s\n" benef-167370000-000001.xml \
	    benef-229010001-000001.xml benef-828400002-000001.csv \
	    garanties-167370000.xml garanties-229010001.xml \
	    garanties-828400002.xml invoices.b2 noemie-01751.580 \
	    noemie-01931.580 pec.tsv ps.tsv >expect &&
	test_cmp expect actual &&
	ls again/truth/2026-11-18 >actual &&
	printf "%s\n" acts.tsv benef-truth.tsv benef.tsv truth.tsv >expect &&
	test_cmp expect actual &&
	tiers-gen -s 3 -d 2 -n 10 -D 2026-11-17 -o again &&
	! ls again/2026-11-18/garanties-* 2>/dev/null
'

test_expect_success 'a truncated file fails verification' '
	for d in $days; do
		test_expect_code 65 tiers-seal -q a/$d/acts.trunc.tsv.gz 2>err &&
		grep -q "truncated gzip" err || exit 1
	done
'

test_expect_success 'files are mode 0600 whatever the umask' '
	(umask 000 && tiers-gen -d 1 -n 10 -z -A truncated=10000 -D 2026-11-18 -o m) &&
	for f in a/????-??-??/* a/truth/*/* m/????-??-??/* m/truth/*/*; do
		test "$(test_mode $f)" = "-rw-------" || exit 1
	done &&
	for d in m m/2026-11-18 m/truth m/truth/2026-11-18; do
		test "$(test_mode $d)" = "drwx------" || exit 1
	done
'

test_expect_success 'no claims: empty acts, still sealed' '
	tiers-gen -d 2 -n 0 -D 2026-11-18 -o empty &&
	tiers-seal -q empty/????-??-??/*.tsv empty/truth/*/*.tsv &&
	grep "^claims" empty/truth/2026-11-19/truth.tsv >actual &&
	printf "claims\t0\t0.00\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'bad usage exits 64' '
	test_expect_code 64 tiers-gen -o u 2>err &&
	grep "^usage: tiers-gen \[-z\] \[-A anomaly=rate\]" err &&
	test_expect_code 64 tiers-gen -D 2026-11-18 &&
	test_expect_code 64 tiers-gen -x -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -D 2026-11-18 -o u extra &&
	test_expect_code 64 tiers-gen -D 2026-13-01 -o u &&
	test_expect_code 64 tiers-gen -n 12x -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -n -1 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -b 0 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -d 1001 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -A nosuch=1 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -A none=1 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -A badnir -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -A badnir=10001 -D 2026-11-18 -o u &&
	test_expect_code 64 tiers-gen -A badnir=6000 -A closed=6000 -D 2026-11-18 -o u &&
	! test -e u
'

test_expect_success 'an output that cannot be created exits 73' '
	: >plain &&
	test_expect_code 73 tiers-gen -d 1 -D 2026-11-18 -o plain &&
	test_expect_code 73 tiers-gen -d 1 -D 2026-11-18 -o plain/sub &&
	test_expect_code 73 tiers-gen -d 1 -D 2026-11-18 -o nodir/sub
'

test_expect_success 'a write error exits 74 and publishes nothing half-written' '
	(trap "" XFSZ && ulimit -f 200 &&
	    test_expect_code 74 tiers-gen -n 100000 -d 1 -D 2026-11-18 -o full) &&
	ls -A full/2026-11-18 full/truth/2026-11-18 >actual &&
	! grep "^\\." actual &&
	! grep "^acts" actual
'

test_expect_success 'guarantee files are valid against the schema' '
	for f in a/2026-11-18/garanties-*.xml "$TIERS_TOP"/testdata/sample/????-??-??/garanties-*.xml; do
		xmllint --noout --schema "$TIERS_TOP/formats/xsd/guarantee.xsd" $f 2>err ||
		{ cat err; exit 1; }
		c=${f##*/garanties-} &&
		grep -q "<garanties xmlns=\"urn:tiers:garanties:1\" amc=\"${c%.xml}\">" $f ||
		exit 1
	done
'

# Every PEC names a beneficiary of its client with its true NIR key, a PS
# of the domain, acts of the domain, a window, a positive amount, and a
# number never given before.
check_pecs () {
	awk -F'\t' "$CENTS"' FNR == 1 { f++ } '"$COLS"'
	f == 1 && !/^#/ { who[$c["client"] "/" $c["nir"] "/" $c["nir_key"] "/" $c["birth_date"] "/" $c["rang"]] = 1; next }
	f == 2 && !/^#/ { ps[$c["ps_kind"] "/" $c["ps_number"]] = $c["domain"]; next }
	f >= 3 && !/^#/ {
		if (!(($c["amc"] "/" $c["nir"] "/" $c["nir_key"] "/" $c["birth_date"] "/" $c["rang"]) in who))
			err($c["pec_number"] ": nobody")
		if (ps[$c["ps_kind"] "/" $c["ps_number"]] != $c["domain"])
			err($c["pec_number"] ": PS not of the domain")
		if (!($c["domain"] "/" $c["act_codes"] in acts))
			err($c["pec_number"] ": acts " $c["act_codes"])
		if (!($c["valid_from"] < $c["valid_to"]) || cents($c["amount_eur"]) <= 0)
			err($c["pec_number"] ": window or amount")
		if (seen[$c["pec_number"]]++)
			err($c["pec_number"] ": twice")
		n++
	}
	function err(s) { if (bad++ < 10) print s }
	BEGIN { acts["DENT/SPR"] = acts["OPTI/OPT"] = 1 }
	END { exit bad != 0 || n == 0 }' "$@"
}

test_expect_success 'PEC streams: sealed, of kind pec, for people and PS of the world' '
	tiers-seal -q a/????-??-??/pec.tsv "$TIERS_TOP"/testdata/sample/????-??-??/pec.tsv &&
	head -1 a/2026-11-18/pec.tsv | cut -f2-3 >actual &&
	printf "pec\t1\n" >expect &&
	test_cmp expect actual &&
	check_pecs a/truth/2026-11-18/benef.tsv a/2026-11-18/ps.tsv a/????-??-??/pec.tsv &&
	check_pecs c/truth/2026-11-18/benef.tsv c/2026-11-18/ps.tsv c/????-??-??/pec.tsv
'

# The liquidation truth of a day: every code once, in order; each line in
# one code; rejects pay nothing, cancellations recover, liq_total the sum;
# the unknown NIRs, and they only, are LQ01; codes tiers-gen never makes
# are 0.
check_liq () {
	awk -F'\t' "$CENTS"'
	/^#/ { next }
	$1 == "claims" { claims = $2 }
	$1 == "cr_frame" { optics = 1 }
	$1 == "unknown" { unknown = $2 }
	$1 ~ /^liq_LQ/ {
		code = substr($1, 7) + 0
		if ($1 != sprintf("liq_LQ%02d", nc++))
			err($1 ": out of order")
		n += $2
		s += cents($3)
		if (code == 0 && cents($3) < 0 || code == 16 && cents($3) > 0 ||
		    code != 0 && code != 16 && cents($3) != 0)
			err($1 ": amount " $3)
		if ((code ~ /^(3|4|5|6|12|13|19)$/ || code == 15 && !optics) && $2 != 0)
			err($1 ": made")
		if (code == 1 && $2 != unknown)
			err($1 ": not the unknown lines")
	}
	$1 == "liq_total" && ($2 != claims || cents($3) != s) { err("liq_total") }
	$1 == "liq_total" { tot = 1 }
	$1 == "liq_identity" && $2 > claims { err("liq_identity") }
	function err(x) { if (bad++ < 10) print FILENAME ": " x }
	END { exit bad != 0 || nc != 20 || n != claims || !tot }' "$1"
}

test_expect_success 'the liquidation truth adds up' '
	for f in a/truth/*/truth.tsv c/truth/*/truth.tsv "$TIERS_TOP"/testdata/sample/truth/*/truth.tsv; do
		check_liq $f || exit 1
	done
'

# One world per row: options, then what the liquidation truth of its
# days must hold, as key=count (or key>count).
test_expect_success 'the liquidation truth follows the anomalies' '
	cat >liq.cases <<-\EOF &&
	-A unknown=10000	liq_LQ01=claims liq_total=claims
	-A badnir=10000	liq_identity=claims liq_LQ01=0
	-A nopec=0	liq_LQ08=0 liq_LQ09=0
	-A nopec=10000	liq_LQ08>0
	-A dupintra=10000	liq_LQ11>0 liq_LQ16=0
	-A cancel=3000	liq_LQ16>0 liq_LQ18>0 liq_LQ11=0
	-A closed=10000	liq_LQ02>0 liq_LQ01=0
	EOF
	none="-A badnir=0 -A unknown=0 -A closed=0 -A dupintra=0 -A dupinter=0 -A cancel=0 -A near=0"
	i=0 &&
	while IFS="	" read -r opts want; do
		i=$((i + 1)) &&
		tiers-gen -s 5 -d 2 -n 1500 -b 300 -p 40 $none $opts -D 2026-11-18 -o case$i &&
		for t in case$i/truth/*/truth.tsv; do
			check_liq $t &&
			for w in $want; do
				k=${w%%[=>]*} v=${w#*[=>]} &&
				case $v in claims) v=$(awk -F"\t" "\$1 == \"claims\" { print \$2 }" $t) ;; esac &&
				got=$(awk -F"\t" -v k=$k "\$1 == k { print \$2 }" $t) &&
				case $w in
				*=*) test "$got" = "$v" ;;
				*) test "$got" -gt "$v" ;;
				esac ||
				{ echo "case $i ($opts): $t: $k is $got, not $w"; exit 1; }
			done || exit 1
		done || exit 1
	done <liq.cases
'

# The options of the world's rules.  Off, they change nothing; on: the
# PS register of the first day, every PS of ps.tsv with identifiers and
# IBAN whose keys check and, for doctors only, whether they adhere to
# OPTAM (1, 0, or not said); guarantees valid against the schema, with
# their plafonds counted over the anniversary year by the clients of odd
# rank; lines whose AMO is BR x rate - PF - franchise, the rate 40 points
# lower outside the care pathway, the franchise on drugs only, 0.50 a box
# at most; equipments of a frame and lenses; flows that say as much; and
# a truth that adds up, with a row for each option.
test_expect_success 'world options: off nothing, on the register, guarantees, lines, truth' '
	tiers-gen -s 3 -d 2 -n 300 -A optam=0 -A parcours=0 -A franchise=0 -A optics=0 \
	    -A anniv=0 -D 2026-11-18 -o off0 &&
	tiers-gen -s 3 -d 2 -n 300 -D 2026-11-18 -o off1 &&
	diff -r off0 off1 &&
	tiers-gen -s 5 -d 2 -n 1500 -b 300 -p 60 -c 4 -A optam=5000 -A parcours=3000 \
	    -A franchise=3000 -A optics=6000 -A anniv=6000 -D 2026-11-18 -o opt &&
	tiers-seal -q opt/????-??-??/*.tsv opt/truth/*/*.tsv &&
	! ls opt/2026-11-19/ps-register* 2>/dev/null &&
	awk -F"\t" "$COLS"'"'"'
	function luhn(s,   i, d, t) {
		t = 0
		for (i = length(s); i >= 1; i--) {
			d = substr(s, i, 1) + 0
			if ((length(s) - i) % 2 == 1 && (d *= 2) > 9)
				d -= 9
			t += d
		}
		return t % 10 == 0
	}
	function iban(s,   t, i, ch, r) {
		t = substr(s, 5) substr(s, 1, 4)
		r = 0
		for (i = 1; i <= length(t); i++) {
			ch = substr(t, i, 1)
			if (ch ~ /[A-Z]/)
				r = (r * 100 + index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", ch) + 9) % 97
			else
				r = (r * 10 + ch) % 97
		}
		return r == 1
	}
	FILENAME ~ /ps.tsv$/ { dom[$c["ps_kind"] "/" $c["ps_number"]] = $c["domain"]; next }
	{
		k = $c["ps_kind"] "/" $c["ps_number"]
		if (!(k in dom)) err(k ": not a PS of the world")
		seen[k]++
		if ($c["ps_kind"] == "RPPS" && !luhn($c["ps_number"])) err(k ": RPPS key")
		if (!luhn(substr($c["siret"], 1, 9)) || !luhn($c["siret"])) err(k ": SIRET keys")
		if (length($c["am_number"]) != 9 || $c["am_number"] ~ /[^0-9]/) err(k ": AM number")
		if (!iban($c["iban"])) err(k ": IBAN key")
		if (dom[k] ~ /^MED[GS]$/) n[$c["optam"] == "" ? "none" : $c["optam"]]++
		else if ($c["optam"] != "") err(k ": optam said of a " dom[k])
	}
	function err(x) { if (bad++ < 10) print x }
	END {
		for (k in dom)
			if (seen[k] != 1) err(k ": in the register " seen[k] + 0 " times")
		exit bad || !n[0] || !n[1] || !n["none"]
	}'"'"' opt/2026-11-18/ps.tsv opt/2026-11-18/ps-register.tsv &&
	for f in opt/2026-11-18/garanties-*.xml; do
		xmllint --noout --schema "$TIERS_TOP/formats/xsd/guarantee.xsd" $f 2>err ||
		{ cat err; exit 1; }
	done &&
	grep -l "periode=\"anniversaire\"" opt/2026-11-18/garanties-*.xml >anniv &&
	grep -l "<plafond id=\"EQUIP\" portee=\"beneficiaire\" nombre=\"1\" periode=\"annee\"/>" \
	    opt/2026-11-18/garanties-*.xml >annee &&
	test $(wc -l <anniv) = 2 && test $(wc -l <annee) = 2 &&
	awk -F"\t" "$CENTS $COLS"'"'"'
	{
		sg = $c["anomaly"] == "cancel" ? -1 : 1
		br = sg * cents($c["br_eur"])
		fran = sg * cents($c["franchise_eur"])
		th = int((br * $c["amo_rate_bp"] + 5000) / 10000)
		if (sg * cents($c["amo_eur"]) != th - sg * cents($c["pf_eur"]) - fran)
			err($1 ": AMO is not BR x rate - PF - franchise")
		if (fran != 0 && ($c["act_code"] !~ /^PH/ || fran > 50 * $c["qty"]))
			err($1 ": franchise")
		nf += fran > 0
		if ($c["act_code"] ~ /^(G|VG|CS|APC)$/) {
			if ($c["amo_rate_bp"] != ($c["parcours"] == "out" ? 3000 : 7000) ||
			    $c["parcours"] !~ /^(in|out)$/)
				err($1 ": rate and care pathway")
			nout += $c["parcours"] == "out"
		} else if ($c["parcours"] != "")
			err($1 ": care pathway of a " $c["act_code"])
		if ($c["act_code"] ~ /^(OME|OV1)$/) {
			if ($c["qty"] != 1) err($1 ": parts a line each")
			np[$c["act_code"]]++
		}
	}
	function err(x) { if (bad++ < 10) print x }
	END { exit bad || !nf || !nout || !np["OME"] || np["OV1"] < np["OME"] }'"'"' \
	    opt/truth/*/acts.tsv &&
	for d in 2026-11-18 2026-11-19; do
		noemie-decode opt/$d/*.580 opt/$d/*.b2 >claims &&
		awk -F"\t" "$CENTS $COLS"'"'"' { n[$c["parcours"]]++; f += cents($c["franchise_eur"]) }
		    END { printf "%d %d\n", n["out"], f }'"'"' claims >actual &&
		awk -F"\t" "$CENTS $COLS"'"'"' { n[$c["parcours"]]++; f += cents($c["franchise_eur"]) }
		    END { printf "%d %d\n", n["out"], f }'"'"' opt/truth/$d/acts.tsv >expect &&
		test_cmp expect actual &&
		check_liq opt/truth/$d/truth.tsv &&
		grep "^cr_\|^plafond_" opt/truth/$d/truth.tsv | cut -f1 >actual &&
		printf "%s\n" cr_franchise cr_parcours cr_optam cr_frame plafond_anniv >expect &&
		test_cmp expect actual || exit 1
	done
'

test_expect_success 'testdata/sample is what its README command makes' '
	cmd=$(sed -n 1p "$TIERS_TOP/testdata/sample/README") &&
	args=${cmd#bin/tiers-gen } &&
	test "$args" != "$cmd" &&
	args=${args% -o testdata/sample} &&
	test "${cmd%-o testdata/sample}" != "$cmd" &&
	tiers-gen $args -o sample &&
	ls sample/*/acts.trunc.tsv.gz sample/truth/*/truth.tsv &&
	# The sample keeps the format 1 seals it was made with (archives, read
	# as they are by every test that uses it); tiers-gen now writes format
	# 2.  Up to the seal, the bytes are the same: re-sealed, they are equal.
	cp -R "$TIERS_TOP/testdata/sample" kept &&
	tail -q -n 1 kept/*/*.tsv kept/truth/*/*.tsv | cut -f 1 | sort -u >tags &&
	echo "#end" | test_cmp - tags &&
	tail -q -n 1 sample/*/*.tsv sample/truth/*/*.tsv | cut -f 1 | sort -u >tags &&
	echo "#end2" | test_cmp - tags &&
	for f in kept/*/*.tsv kept/truth/*/*.tsv; do
		tiers-seal -r -o "$f" "$f" || exit 1
	done &&
	# A truncated gzip copy has no trailer, but its compressed bytes
	# depend on the trailer it was cut from: its inflated bytes are equal.
	for f in sample/*/*.trunc.*.gz; do
		{ zcat "$f" 2>/dev/null; true; } >trunc.new &&
		{ zcat "kept/${f#sample/}" 2>/dev/null; true; } >trunc.kept &&
		test -s trunc.new && test_cmp trunc.new trunc.kept || exit 1
	done &&
	diff -r -x README -x "*.trunc.*.gz" sample kept
'

# The counters of consumption the generator keeps by beneficiary grow
# their table past 1 024 beneficiaries (it once crashed moving them).
test_expect_success 'many beneficiaries with plafonds consumed: the counters table grows' '
	tiers-gen -s 7 -n 6000 -b 2000 -p 300 -d 3 -D 2026-01-05 -A optics=3000 -A anniv=5000 \
	    -A cancel=400 -o grow >/dev/null &&
	test -d grow/2026-01-07
'

test_done
