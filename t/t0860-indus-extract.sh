#!/bin/sh
test_description='indus-extract: the indus ledger day after day, offsets, recoveries, transfers, conservation'
. "$(dirname "$0")/test-lib.sh"

cases=$TIERS_TOP/t/t0860-indus.tsv
T='	'
Q="'"

# cols FILE NAME...: columns of a stream, by name, TAB-separated.
cols () {
	f=$1
	shift
	awk -F'\t' -v names="$*" '/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next }
	    /^#/ { next } { n = split(names, a, " "); s = $c[a[1]]
	    for (i = 2; i <= n; i++) s = s "\t" $c[a[i]]; print s }' "$f"
}

# rows CASE DATE KIND: the table's fields of a kind of rows of a day.
rows () {
	awk -F'\t' -v OFS='\t' -v cs="$1" -v d="$2" -v k="$3" \
	    '$1 == cs && $2 == d && $3 == k { $1 = $2 = $3 = ""; sub(/^\t\t\t/, ""); print }' "$cases"
}

# day CASE DATE PREV: the case's day through indus-extract, from the
# ledger PREV (empty: none) and its store of lines paid; its outputs are
# NAME.CASE.DATE, the store p.CASE.DATE, the clients' files in the
# directory t.CASE.DATE: a file for each client the table has cli rows
# for, of its rows, none other.
day () {
	cs=$1 d=$2 prev=$3
	set -- -d "$d" -C params ${prev:+-l "$prev" -P "p.${prev#l.}"} -o l.$cs.$d -r q.$cs.$d \
	    -c r.$cs.$d -x x.$cs.$d -f f.$cs.$d -s s.$cs.$d -p p.$cs.$d -T t.$cs.$d
	rows "$cs" "$d" off | awk -F'\t' -v OFS='\t' '
		BEGIN { print "#tiers", "indus-offset", 1, "amc", "item", "ps_kind", "ps_number", "offset_eur", "payment_ref" }
		{ print $1, $2, "RPPS", $3, $4, "TP-" NR }' | tiers-seal -r -o o.$cs.$d &&
	rows "$cs" "$d" rec | awk -F'\t' -v OFS='\t' -v d="$d" '
		BEGIN { print "#tiers", "indus-recovery", 1, "amc", "item", "recovered_eur", "received", "reference" }
		{ print $1, $2, $3, d, "VIR-" NR }' | tiers-seal -r -o v.$cs.$d || return 1
	rows "$cs" "$d" mv | awk -F'\t' -v OFS='\t' -v d="$d" '
		BEGIN { print "#tiers", "benef-movement", 1, "business_date", "amc", "contract",
		    "member_ref", "movement", "retroactive", "old_rights_end", "new_rights_end",
		    "card_movement", "file", "line" }
		{ print d, $1, $2, $3, $4, $5, $6, $7, "", "benef.csv", NR + 1 }' |
	    tiers-seal -r -o m.$cs.$d || return 1
	test "$(tail -n 1 o.$cs.$d | cut -f2)" = 0 || set -- "$@" -O o.$cs.$d
	test "$(tail -n 1 v.$cs.$d | cut -f2)" = 0 || set -- "$@" -R v.$cs.$d
	test "$(tail -n 1 m.$cs.$d | cut -f2)" = 0 || set -- "$@" -m m.$cs.$d
	rows "$cs" "$d" dec >dec
	if test -s dec; then
		awk -F'\t' -v OFS='\t' -v d="$d" '
			BEGIN { print "#tiers", "claim", 1, "dup", "dup_id", "dup_ref", "dup_paid_eur" }
			{ print ($9 == "" ? "first" : "adjust"), d "#" NR, $9, $10 }' dec |
		    tiers-seal -r -o c.$cs.$d &&
		awk -F'\t' -v OFS='\t' -v d="$d" '
			BEGIN { print "#tiers", "decision", 1, "claim", "amc", "contract", "member_ref",
			    "ps_kind", "ps_number", "invoice", "line_no", "act_date", "act_code", "amc_eur",
			    "recover_eur", "dest", "code" }
			{ print d "#" NR, $1, $5, $6, "RPPS", $4, 100000000 + NR, 1,
			    $11 == "" ? "2026-11-10" : $11, "C", $7, $8, $2, $3 }' dec |
		    tiers-seal -r -o d.$cs.$d || return 1
		set -- "$@" c.$cs.$d d.$cs.$d
	fi
	indus-extract "$@" 2>err.$cs.$d || { cat err.$cs.$d; return 1; }
	tiers-seal -q l.$cs.$d q.$cs.$d r.$cs.$d x.$cs.$d s.$cs.$d &&
	rows "$cs" "$d" want >expect &&
	cols l.$cs.$d amc item status left_eur offset_eur recovered_eur transferred_eur >actual &&
	test_cmp expect actual &&
	rows "$cs" "$d" wd >expect &&
	cols l.$cs.$d amc item withdrawn_eur | awk -F"\t" "\$3 != \"0.00\"" >actual &&
	test_cmp expect actual &&
	rows "$cs" "$d" req >expect &&
	cols q.$cs.$d ps_number amc item amount_eur >actual &&
	test_cmp expect actual &&
	rows "$cs" "$d" paid >expect &&
	if test -s expect; then
		for f in p.$cs.$d/${d%-*}-??.tsv; do
			cols $f amc contract member_ref line day kind act_date amount_eur
		done | LC_ALL=C sort -s -t "$T" -k1,4 >actual &&
		test_cmp expect actual || return 1
	fi &&
	rows "$cs" "$d" cli >expect &&
	cut -f1 expect | uniq | sed "s/\$/.tsv/" >expect.files &&
	ls t.$cs.$d >actual.files &&
	test_cmp expect.files actual.files &&
	for f in $(cat actual.files); do
		tiers-seal -q t.$cs.$d/$f &&
		test "$(cols t.$cs.$d/$f amc | sort -u)" = "${f%.tsv}" &&
		cols t.$cs.$d/$f amc event debtor item amount_eur offset_eur recovered_eur \
		    withdrawn_eur transferred_eur left_eur || return 1
	done >actual &&
	test_cmp expect actual &&
	rows "$cs" "$d" rep >expect &&
	if test -s expect; then
		cols r.$cs.$d amc debtor new_eur offset_eur recovered_eur transferred_eur open_eur \
		    age_0_30_eur age_31_60_eur age_61_90_eur age_91_eur >actual &&
		test_cmp expect actual
	fi
}

test_expect_success 'setup: the clients parameters' '
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n%s\n" \
	    "900000001${T}1${T}60${T}30" "900000002${T}0${T}30${T}30" | tiers-seal -r -o params
'

for cs in $(grep -v "^#" "$cases" | cut -f1 | uniq); do
	test_expect_success "case $cs, day after day" '
		prev= &&
		for d in $(awk -F"\t" -v cs='"$cs"' "\$1 == cs { print \$2 }" "$cases" | uniq); do
			day '"$cs"' $d "$prev" || exit 1
			prev=l.'"$cs"'.$d
		done
	'
done

test_expect_success 'the beneficiary contract refuses compensation (-b, COMPENSATION_AUTORISEE 0): not offset, asked' '
	printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcompensation\n%s\n%s\n%s\n" \
	    "900000001${T}C1${T}M1${T}0" "900000001${T}C1${T}M2${T}1" "900000001${T}C2${T}M1${T}" |
	    tiers-seal -r -o comp.master &&
	printf "#tiers\tclaim\t1\tdup\tdup_id\tdup_ref\tdup_paid_eur\n%s\n%s\n%s\n" \
	    "adjust${T}2026-12-01#1${T}2026-11-20#1${T}10.00" "adjust${T}2026-12-01#2${T}2026-11-20#2${T}20.00" \
	    "adjust${T}2026-12-01#3${T}2026-11-20#3${T}30.00" | tiers-seal -r -o comp.c &&
	printf "#tiers\tdecision\t1\tclaim\tamc\tcontract\tmember_ref\tps_kind\tps_number\tinvoice\tline_no\tact_date\tact_code\tamc_eur\trecover_eur\tdest\tcode\n%s\n%s\n%s\n" \
	    "2026-12-01#1${T}900000001${T}C1${T}M1${T}RPPS${T}10000000001${T}100000001${T}1${T}2026-11-10${T}C${T}-10.00${T}10.00${T}recover-ps${T}LQ16" \
	    "2026-12-01#2${T}900000001${T}C1${T}M2${T}RPPS${T}10000000001${T}100000002${T}1${T}2026-11-10${T}C${T}-20.00${T}20.00${T}recover-ps${T}LQ16" \
	    "2026-12-01#3${T}900000001${T}C2${T}M1${T}RPPS${T}10000000001${T}100000003${T}1${T}2026-11-10${T}C${T}-30.00${T}30.00${T}recover-ps${T}LQ16" |
	    tiers-seal -r -o comp.d &&
	indus-extract -d 2026-12-01 -C params -b comp.master -o comp.l -x comp.x -r comp.q comp.c comp.d 2>err &&
	cols comp.l item compensation >actual &&
	printf "2026-12-01#1\t0\n2026-12-01#2\t1\n2026-12-01#3\t\n" >expect &&
	test_cmp expect actual &&
	cols comp.x item >actual &&
	printf "2026-12-01#2\n2026-12-01#3\n" >expect &&
	test_cmp expect actual &&
	cols comp.q item >actual &&
	echo 2026-12-01#1 >expect &&
	test_cmp expect actual &&
	indus-extract -d 2026-12-01 -C params -o comp.l0 -x comp.x0 comp.c comp.d 2>err &&
	test "$(cols comp.x0 item | wc -l)" = 3
'

test_expect_success 'the masters searched by bisection: several, the key columns anywhere, their first and last records, a beneficiary in none' '
	{
		printf "#tiers\tbenef-master\t1\tupdated\tamc\tcontract\tmember_ref\tcompensation\n" &&
		awk "BEGIN { for (i = 0; i < 200; i++) printf \"2026-11-01\t900000001\tC%03d\tM1\t%d\n\", i, i % 2 }"
	} | tiers-seal -r -o bis1.master &&
	{
		printf "#tiers\tbenef-master\t1\tamc\tcontract\tmember_ref\tcompensation\n" &&
		awk "BEGIN { for (i = 0; i < 50; i++) printf \"900000002\tC%03d\tM1\t1\n\", i }"
	} | tiers-seal -r -o bis2.master &&
	{
		printf "#tiers\tclaim\t1\tdup\tdup_id\tdup_ref\tdup_paid_eur\n" &&
		for i in 1 2 3 4 5; do
			printf "adjust\t2026-12-01#$i\t2026-11-20#$i\t10.00\n"
		done
	} | tiers-seal -r -o bis.c &&
	{
		printf "#tiers\tdecision\t1\tclaim\tamc\tcontract\tmember_ref\tps_kind\tps_number\tinvoice\tline_no\tact_date\tact_code\tamc_eur\trecover_eur\tdest\tcode\n" &&
		i=0 &&
		for b in 900000001:C000:M1 900000001:C199:M1 900000001:C100:M1 900000001:C100:M2 900000002:C010:M1; do
			i=$((i + 1)) &&
			echo "$b" | awk -F: -v i=$i "{ printf \"2026-12-01#%d\t%s\t%s\t%s\tRPPS\t10000000001\t10000000%d\t1\t2026-11-10\tC\t-10.00\t10.00\trecover-ps\tLQ16\n\", i, \$1, \$2, \$3, i }"
		done
	} | tiers-seal -r -o bis.d &&
	indus-extract -d 2026-12-01 -C params -b bis1.master -b bis2.master -o bis.l bis.c bis.d 2>err &&
	cols bis.l item compensation >actual &&
	printf "%s\n" "2026-12-01#1${T}0" "2026-12-01#2${T}1" "2026-12-01#3${T}0" "2026-12-01#4${T}" \
	    "2026-12-01#5${T}1" >expect &&
	test_cmp expect actual &&
	indus-extract -d 2026-12-01 -C params -b bis2.master -b bis1.master -o bis.l2 bis.c bis.d 2>err &&
	cols bis.l2 item compensation >actual &&
	test_cmp expect actual
'

test_expect_success 'outputs are mode 0600; the same inputs give the same bytes' '
	for f in l q r x f s; do
		test "$(test_mode $f.no-compensation.2026-12-01)" = -rw------- || exit 1
	done &&
	test "$(test_mode t.client-files.2026-12-31)" = drwx------ &&
	test "$(test_mode t.client-files.2026-12-31/900000001.tsv)" = -rw------- &&
	test "$(test_mode t.client-files.2026-12-31/900000002.tsv)" = -rw------- &&
	mkdir again && cd again &&
	indus-extract -d 2026-12-01 -C ../params -o l -r q -c r -x x -f f -s s \
	    ../c.same-line.2026-12-01 ../d.same-line.2026-12-01 2>/dev/null &&
	for f in l q r x f s; do cmp $f ../$f.same-line.2026-12-01 || exit 1; done &&
	(umask 0 && TZ=Asia/Tokyo indus-extract -d 2026-12-31 -C ../params \
	    -l ../l.client-files.2026-12-02 -o l2 -T t 2>/dev/null) &&
	cmp t/900000001.tsv ../t.client-files.2026-12-31/900000001.tsv &&
	cmp t/900000002.tsv ../t.client-files.2026-12-31/900000002.tsv &&
	test "$(test_mode t/900000001.tsv)" = -rw-------
'

test_expect_success 'the clients'"'"' files: the columns, the history, the beneficiary by reference' '
	cols t.client-files.2026-12-31/900000001.tsv event debtor debtor_ref origin line contract \
	    member_ref opened paid_eur status age >actual &&
	echo "transferred${T}benef${T}C5:M5${T}LQ03${T}2026-12-01#1${T}C5${T}M5${T}2026-12-01${T}20.00${T}transferred${T}30" >expect &&
	test_cmp expect actual &&
	sed -n 2p t.client-files.2026-12-31/900000001.tsv >actual &&
	echo "#business_date${T}2026-12-31" >expect &&
	test_cmp expect actual &&
	cols t.retro.2026-11-04/900000002.tsv event origin reason debtor_ref >actual &&
	printf "%s\n" "new${T}retro${T}retroactive radiation${T}C9:M9" \
	    "new${T}retro${T}retroactive radiation${T}C9:M9" >expect &&
	test_cmp expect actual &&
	test_expect_code 73 indus-extract -d 2026-12-02 -o lt -T t.client-files.2026-12-31 2>err &&
	echo "indus-extract: t.client-files.2026-12-31: exists" >expect &&
	test_cmp expect err &&
	! test -e lt && ! test -e t.client-files.2026-12-31.tmp
'

test_expect_success 'the ledger: sorted on amc, debtor, debtor_ref, item; the line and what was paid' '
	cols l.same-line.2026-12-01 debtor debtor_ref item origin line paid_eur amount_eur opened age >actual &&
	printf "%s\n" "ps${T}RPPS:10000000001${T}2026-12-01#1${T}LQ16${T}2026-11-20#4${T}50.00${T}20.00${T}2026-12-01${T}0" \
	    "ps${T}RPPS:10000000001${T}2026-12-01#2${T}LQ19${T}2026-11-20#4${T}50.00${T}30.00${T}2026-12-01${T}0" \
	    "ps${T}RPPS:10000000004${T}2026-12-01#4${T}LQ19${T}2026-12-01#3${T}45.00${T}45.00${T}2026-12-01${T}0" >expect &&
	test_cmp expect actual &&
	cols l.card-kept.2026-12-01 debtor debtor_ref line paid_eur >actual &&
	echo "benef${T}C3:M3${T}2026-12-01#1${T}40.00" >expect &&
	test_cmp expect actual &&
	cols l.card-kept.2026-12-31 moved age >actual &&
	echo "2026-12-31${T}30" >expect &&
	test_cmp expect actual
'

test_expect_success 'retroactive radiation: the items, origin retro, the beneficiary by reference' '
	cols l.retro.2026-11-04 debtor debtor_ref item origin reason line ps_number contract member_ref \
	    act_date opened paid_eur amount_eur | grep "${T}retro${T}" >actual &&
	printf "%s\n" "benef${T}C9:M9${T}2026-10-30#2${T}retro${T}retroactive radiation${T}2026-10-30#2${T}10000000005${T}C9${T}M9${T}2026-10-20${T}2026-11-04${T}40.00${T}40.00" \
	    "benef${T}C9:M9${T}2026-10-30#5${T}retro${T}retroactive radiation${T}2026-10-30#5${T}10000000006${T}C9${T}M9${T}2026-10-28${T}2026-11-04${T}30.00${T}30.00" >expect &&
	test_cmp expect actual &&
	grep -v "^#" s.retro.2026-11-04 >actual &&
	grep "^retro${T}benef${T}2${T}70.00\$" actual &&
	grep "^new${T}benef${T}2${T}70.00\$" actual &&
	grep "^indus-extract: 2026-11-04: 2 movements, 1 retroactive, 1 beneficiaries cut off; 5 lines paid in the store: 2 items, 1 acts before the cut, 0 after, 1 on a card kept, 1 with nothing left\$" err.retro.2026-11-04 &&
	grep "^indus-extract: 2026-11-05: 1 movements, 1 retroactive, 1 beneficiaries cut off; 5 lines paid in the store: 1 items, 0 acts before the cut, 4 after, 0 on a card kept, 0 with nothing left\$" err.retro.2026-11-05 &&
	test "$(tail -n 1 err.retro.2026-11-04)" = "indus-extract: 2026-11-04: 5 items, 2 new (70.00), offset 0.00, recovered 0.00, transferred 0.00, open 160.00"
'

test_expect_success 'rights given back: the retro items withdrawn, the lines given back, the log' '
	grep "^indus-extract: 2026-11-05: rights given back to 1 beneficiaries: 3 retro items withdrawn (115.00), 0.00 recovered on them before\$" err.restore.2026-11-05 &&
	grep "^withdrawn${T}benef${T}3${T}115.00\$" s.restore.2026-11-05 &&
	grep "^indus-extract: 2026-11-06: rights given back to 1 beneficiaries: 3 retro items withdrawn (85.00), 10.00 recovered on them before\$" err.restore-recovered.2026-11-06 &&
	grep "^withdrawn${T}benef${T}3${T}85.00\$" s.restore-recovered.2026-11-06 &&
	! grep "rights given back" err.restore.2026-11-04 err.restore.2026-11-06 &&
	cols l.restore.2026-11-06 item origin line act_date opened paid_eur | grep "/" >actual &&
	printf "%s\n" "2026-10-30#1/2026-11-06${T}retro${T}2026-10-30#1${T}2026-10-20${T}2026-11-06${T}40.00" \
	    "2026-10-30#2/2026-11-06${T}retro${T}2026-10-30#2${T}2026-10-25${T}2026-11-06${T}25.00" \
	    "2026-10-30#3/2026-11-06${T}retro${T}2026-10-30#3${T}2026-10-28${T}2026-11-06${T}50.00" >expect &&
	test_cmp expect actual &&
	tiers-seal -q p.restore.2026-11-05/2026-11-05.tsv
'

# The store: a segment a business day, the days before hard-linked, not
# written again (without it, the month's file was rewritten every day).
test_expect_success 'the store: a segment a day, the days before linked, mode 0600, its log line' '
	test "$(ls p.retro.2026-10-30 | tr "\n" " ")" = "2026-10-30.idx 2026-10-30.tsv " &&
	test "$(ls p.retro.2026-11-05/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-10-30.tsv 2026-11-03.tsv 2026-11-04.tsv 2026-11-05.tsv " &&
	test "$(stat -c %i p.retro.2026-10-30/2026-10-30.tsv)" = "$(stat -c %i p.retro.2026-11-05/2026-10-30.tsv)" &&
	test "$(stat -c %i p.retro.2026-11-03/2026-11-03.tsv)" = "$(stat -c %i p.retro.2026-11-04/2026-11-03.tsv)" &&
	test "$(stat -c %i p.retro.2026-11-04/2026-11-04.tsv)" = "$(stat -c %i p.retro.2026-11-05/2026-11-04.tsv)" &&
	test "$(stat -c %h p.retro.2026-11-05/2026-11-03.tsv)" -ge 3 &&
	test "$(test_mode p.retro.2026-11-05/2026-11-05.tsv)" = -rw------- &&
	test "$(test_mode p.retro.2026-11-05)" = drwx------ &&
	tiers-seal -q p.retro.2026-10-30/2026-10-30.tsv p.retro.2026-11-05/2026-11-05.tsv &&
	test "$(sed -n 2p p.retro.2026-11-05/2026-11-05.tsv)" = "#business_date${T}2026-11-05" &&
	cols p.retro.2026-10-30/2026-10-30.tsv contract member_ref line kind amount_eur >actual &&
	printf "%s\n" "C8${T}M8${T}2026-10-30#6${T}ps${T}60.00" "C9${T}M9${T}2026-10-30#1${T}ps${T}30.00" \
	    "C9${T}M9${T}2026-10-30#2${T}ps${T}40.00" "C9${T}M9${T}2026-10-30#3${T}ps${T}25.00" \
	    "C9${T}M9${T}2026-10-30#4${T}ps-recover${T}45.00" "C9${T}M9${T}2026-10-30#5${T}ps${T}50.00" >expect &&
	test_cmp expect actual &&
	grep "^indus-extract: 2026-11-04: store of lines paid: 2 rows today, 2 segments linked, 0 dropped\$" err.retro.2026-11-04 &&
	grep "^indus-extract: 2026-11-03: store of lines paid: 2 rows today, 1 segments linked, 0 dropped\$" err.retro.2026-11-03 &&
	cols p.same-line.2026-12-01/2026-12-01.tsv contract line day kind amount_eur >actual &&
	printf "%s\n" "C1${T}2026-11-20#4${T}2026-12-01${T}recover-ps${T}-20.00" \
	    "C1${T}2026-11-20#4${T}2026-12-01${T}recover-ps${T}-30.00" \
	    "C4${T}2026-12-01#3${T}2026-12-01${T}ps${T}45.00" \
	    "C4${T}2026-12-01#3${T}2026-12-01${T}recover-ps${T}-45.00" >expect &&
	test_cmp expect actual
'

test_expect_success 'the store: a day without rows writes no segment, links the days; months past -W dropped' '
	indus-extract -d 2026-11-06 -P p.retro.2026-11-05 -p pa -o la 2>err &&
	test "$(ls pa/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-10-30.tsv 2026-11-03.tsv 2026-11-04.tsv 2026-11-05.tsv " &&
	test "$(stat -c %i pa/2026-11-05.tsv)" = "$(stat -c %i p.retro.2026-11-05/2026-11-05.tsv)" &&
	grep "^indus-extract: 2026-11-06: store of lines paid: 0 rows today, 4 segments linked, 0 dropped\$" err &&
	indus-extract -d 2027-11-01 -W 12 -P p.retro.2026-11-05 -p pb -o lb 2>err &&
	test "$(ls pb/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-11-03.tsv 2026-11-04.tsv 2026-11-05.tsv " &&
	grep "store of lines paid: 0 rows today, 3 segments linked, 1 dropped\$" err &&
	indus-extract -d 2028-12-01 -P p.retro.2026-11-05 -p pc -o lc 2>err &&
	test -z "$(ls pc)" &&
	test "$(stat -c %i pa/2026-11-05.idx)" = "$(stat -c %i p.retro.2026-11-05/2026-11-05.idx)" &&
	grep "store of lines paid: 0 rows today, 0 segments linked, 4 dropped\$" err
'

# mkold DIR STORE: STORE, of a segment a day, as the previous version
# wrote it, one file a month: the month's rows sorted on amc, contract,
# member_ref, line, then day, #business_date the month's last day written.
mkold () {
	mkdir -m 700 "$1" &&
	for m in $(ls "$2" | cut -c1-7 | sort -u); do
		last=$(ls "$2"/$m-??.tsv | tail -n 1) &&
		{ sed -n 1p "$last" && printf "#business_date\t%s\n" "$(basename "$last" .tsv)" &&
		  cat "$2"/$m-??.tsv | grep -v "^#" | LC_ALL=C sort -s -t "$T" -k1,4; } |
		    tiers-seal -r -o "$1/$m.tsv" || return 1
	done
}

# A data directory of the previous version goes on: its month files are
# read as segments closed, linked forward, dropped past the window.
test_expect_success 'the store of the first form (a file a month): read, linked on, the same findings' '
	mkold po p.retro.2026-11-04 &&
	test "$(ls po/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-10.tsv 2026-11.tsv " &&
	indus-extract -d 2026-11-05 -C params -l l.retro.2026-11-04 -P po -m m.retro.2026-11-05 \
	    -o lo5 -r qo5 -c ro5 -x xo5 -f fo5 -s so5 -p po5 -T to5 2>err &&
	cmp lo5 l.retro.2026-11-05 && cmp qo5 q.retro.2026-11-05 && cmp ro5 r.retro.2026-11-05 &&
	cmp xo5 x.retro.2026-11-05 && cmp fo5 f.retro.2026-11-05 && cmp so5 s.retro.2026-11-05 &&
	cmp to5/900000002.tsv t.retro.2026-11-05/900000002.tsv &&
	grep "beneficiaries cut off" err.retro.2026-11-05 >expect &&
	grep "beneficiaries cut off" err >actual &&
	test_cmp expect actual &&
	grep "^indus-extract: 2026-11-05: store of lines paid: 1 rows today, 2 segments linked, 0 dropped\$" err &&
	test "$(ls po5/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-10.tsv 2026-11-05.tsv 2026-11.tsv " &&
	test "$(stat -c %i po5/2026-11.tsv)" = "$(stat -c %i po/2026-11.tsv)" &&
	test "$(stat -c %i po5/2026-10.tsv)" = "$(stat -c %i po/2026-10.tsv)" &&
	cmp po5/2026-11-05.tsv p.retro.2026-11-05/2026-11-05.tsv &&
	indus-extract -d 2026-11-06 -C params -l lo5 -P po5 -o lo6 -p po6 2>err &&
	test "$(stat -c %i po6/2026-11-05.tsv)" = "$(stat -c %i po5/2026-11-05.tsv)" &&
	indus-extract -d 2027-11-01 -W 12 -P po5 -p po7 -o lo7 2>err &&
	test "$(ls po7/*.tsv | sed "s,.*/,," | tr "\n" " ")" = "2026-11-05.tsv 2026-11.tsv " &&
	grep "store of lines paid: 0 rows today, 2 segments linked, 1 dropped\$" err &&
	printf "#tiers\tbenef-movement\t1\tbusiness_date\tamc\tcontract\tmember_ref\tmovement\tretroactive\told_rights_end\tnew_rights_end\n%s\n" \
	    "2027-11-01${T}900000002${T}C9${T}M9${T}radiate${T}1${T}${T}2026-01-01" | tiers-seal -r -o mwo &&
	indus-extract -d 2027-11-01 -W 13 -P po5 -m mwo -o lo8 2>err &&
	grep "1 beneficiaries cut off; 5 lines paid in the store: 0 items, 0 acts before the cut, 0 after, 1 on a card kept, 4 with nothing left\$" err
'

test_expect_success 'the store: a radiation back before the months kept finds nothing there' '
	printf "#tiers\tbenef-movement\t1\tbusiness_date\tamc\tcontract\tmember_ref\tmovement\tretroactive\told_rights_end\tnew_rights_end\n%s\n" \
	    "2027-11-01${T}900000002${T}C9${T}M9${T}radiate${T}1${T}${T}2026-01-01" | tiers-seal -r -o mw &&
	indus-extract -d 2027-11-01 -W 13 -P p.retro.2026-11-05 -m mw -o ld 2>err &&
	grep "1 beneficiaries cut off; 5 lines paid in the store: 0 items, 0 acts before the cut, 0 after, 1 on a card kept, 4 with nothing left\$" err &&
	indus-extract -d 2027-11-01 -W 12 -P p.retro.2026-11-05 -m mw -o le 2>err &&
	grep "1 beneficiaries cut off; 0 lines paid in the store: 0 items" err
'

test_expect_success 'what may be offset: PS items of clients allowing compensation, by PS' '
	cols x.same-line.2026-12-01 amc ps_number item left_eur >actual &&
	printf "%s\n" "900000001${T}10000000001${T}2026-12-01#1${T}20.00" \
	    "900000001${T}10000000001${T}2026-12-01#2${T}30.00" \
	    "900000001${T}10000000004${T}2026-12-01#4${T}45.00" >expect &&
	test_cmp expect actual &&
	test "$(tail -n 1 x.no-compensation.2026-12-01 | cut -f2)" = 0 &&
	test "$(tail -n 1 x.card-kept.2026-12-01 | cut -f2)" = 0
'

test_expect_success 'the letter to the PS: its lines, their reasons, the total' '
	grep "^Professionnel de santé : RPPS 10000000002\$" f.partial.2026-12-01 &&
	grep "^2026-12-01#1  *900000002  *100000001  *1 2026-11-10 C  *50.00  LQ16\$" f.partial.2026-12-01 &&
	grep "^Total à rembourser  *50.00 EUR\$" f.partial.2026-12-01 &&
	test_must_be_empty f.same-line.2026-12-01
'

test_expect_success 'the summary rows and the line on stderr' '
	grep -v "^#" s.card-kept.2026-12-31 >actual &&
	printf "transferred\tbenef\t1\t25.00\n" >expect &&
	test_cmp expect actual &&
	grep "^indus-extract: 2026-12-01: 3 items, 3 new (95.00), offset 0.00, recovered 0.00, transferred 0.00, open 95.00\$" err.same-line.2026-12-01
'

test_expect_success 'outcomes instead of decisions: the labels are the reasons' '
	awk -F"\t" -v OFS="\t" "NR == 1 { sub(/^#tiers\tdecision/, \"#tiers\toutcome\"); print \$0, \"ps_label\", \"client_label\"; next }
	    /^#/ { next } { print \$0, \"Rejet AMO\", \"Indu du PS\" }" d.partial.2026-12-01 |
	    tiers-seal -r -o out.tsv &&
	indus-extract -d 2026-12-01 -C params -o lo -r qo c.partial.2026-12-01 out.tsv 2>err &&
	test "$(cols qo reason)" = "Rejet AMO" &&
	test "$(cols lo reason)" = "Rejet AMO"
'

# An error leaves nothing published, whatever was asked.
nothing () {
	for f in l q r x f s t t.tmp; do
		! test -e $f || { echo "$f published"; return 1; }
	done
}
bad () {
	st=$1
	shift
	test_expect_code $st indus-extract -d 2026-12-02 -o l -r q -c r -x x -f f -s s -T t "$@" 2>err &&
	nothing
}

test_expect_success 'an offset on a client without compensation, by another PS, or above what is left: 65' '
	printf "#tiers\tindus-offset\t1\tamc\titem\tps_kind\tps_number\toffset_eur\tpayment_ref\n%s\n" \
	    "900000002${T}2026-12-01#1${T}RPPS${T}10000000002${T}10.00${T}P" | tiers-seal -r -o off1 &&
	bad 65 -C params -l l.no-compensation.2026-12-01 -O off1 &&
	echo "indus-extract: off1:2: item: the client does not allow compensation" >expect &&
	test_cmp expect err &&
	printf "#tiers\tindus-offset\t1\tamc\titem\tps_kind\tps_number\toffset_eur\tpayment_ref\n%s\n" \
	    "900000001${T}2026-12-01#1${T}RPPS${T}10000000002${T}10.00${T}P" | tiers-seal -r -o off2 &&
	bad 65 -C params -l l.amo-offset.2026-12-01 -O off2 &&
	echo "indus-extract: off2:2: ps_number: not the PS that owes the item" >expect &&
	test_cmp expect err &&
	printf "#tiers\tindus-offset\t1\tamc\titem\tps_kind\tps_number\toffset_eur\tpayment_ref\n%s\n" \
	    "900000001${T}2026-12-01#1${T}RPPS${T}10000000001${T}25.01${T}P" | tiers-seal -r -o off3 &&
	bad 65 -C params -l l.amo-offset.2026-12-01 -O off3 &&
	echo "indus-extract: off3:2: offset_eur: more than is left on the item" >expect &&
	test_cmp expect err &&
	bad 65 -C params -l l.card-kept.2026-12-01 -O off3 &&
	echo "indus-extract: off3:2: item: not an item of the ledger" >expect &&
	test_cmp expect err
'

test_expect_success 'a recovery on an item closed, unknown, or not above 0: 65' '
	bad 65 -C params -l l.amo-offset.2026-12-02 -R v.no-compensation.2026-12-02 &&
	echo "indus-extract: v.no-compensation.2026-12-02:2: item: not an item of the ledger" >expect &&
	test_cmp expect err &&
	bad 65 -C params -l l.partial.2026-12-03 -R v.partial.2026-12-03 &&
	echo "indus-extract: v.partial.2026-12-03:2: recovered_eur: more than is left on the item" >expect &&
	test_cmp expect err &&
	printf "#tiers\tindus-recovery\t1\tamc\titem\trecovered_eur\treceived\treference\n%s\n" \
	    "900000002${T}2026-12-01#1${T}0.00${T}2026-12-02${T}V" | tiers-seal -r -o rec0 &&
	bad 65 -l l.partial.2026-12-01 -R rec0 &&
	echo "indus-extract: rec0:2: recovered_eur: not above 0.00" >expect &&
	test_cmp expect err
'

test_expect_success 'recovering more than was left paid on a line: 70, nothing published' '
	sed "s/^\(adjust\t2026-12-01#2\t2026-11-20#4\t\)50.00/\125.00/" c.same-line.2026-12-01 |
	    tiers-seal -r -o c.over &&
	bad 70 c.over d.same-line.2026-12-01 &&
	echo "indus-extract: d.same-line.2026-12-01:3: recover_eur: more than was left paid on line 2026-11-20#4" >expect &&
	test_cmp expect err
'

test_expect_success 'a client number no file may be named by, for its rows (-T): 65, nothing published' '
	sed "/^#/!s/^900000002\t/90000\/0002\t/" l.card-kept.2026-12-30 | tiers-seal -r -o l.slash &&
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n" \
	    "90000/0002${T}0${T}30${T}30" | tiers-seal -r -o params.slash &&
	indus-extract -d 2026-12-31 -C params.slash -l l.slash -o l.slash2 2>err &&
	test_expect_code 65 indus-extract -d 2026-12-31 -C params.slash -o l -r q -c r -x x -f f -s s \
	    -T t -l l.slash 2>err &&
	nothing &&
	echo "indus-extract: l.slash:3: amc: not letters, digits, _ and -: no name for the client${Q}s file" >expect &&
	test_cmp expect err
'

test_expect_success 'claims and decisions not one for one: 65' '
	grep -v "2026-12-01#4" c.same-line.2026-12-01 | tiers-seal -r -o c.short &&
	bad 65 c.short d.same-line.2026-12-01 &&
	echo "indus-extract: c.short:5: claim: fewer records than the decisions" >expect &&
	test_cmp expect err &&
	bad 65 c.same-line.2026-12-01 c.same-line.2026-12-01 &&
	echo "indus-extract: c.same-line.2026-12-01:1: header: not decisions nor outcomes, version 1" >expect &&
	test_cmp expect err
'

test_expect_success 'a ledger out of order, its left not its amount less what came back, or truncated: 65' '
	{ sed -n 1,2p l.same-line.2026-12-01; grep -v "^#" l.same-line.2026-12-01 | sort -r; } |
	    tiers-seal -r -o l.rev &&
	bad 65 -l l.rev &&
	echo "indus-extract: l.rev:4: item: out of order (amc, debtor, debtor_ref, item)" >expect &&
	test_cmp expect err &&
	sed "/^#/!s/\t20.00\topen\t/\t19.00\topen\t/" l.same-line.2026-12-01 | tiers-seal -r -o l.left &&
	bad 65 -l l.left &&
	echo "indus-extract: l.left:3: left_eur: not amount_eur less offset_eur, recovered_eur, transferred_eur and withdrawn_eur, at least 0.00" >expect &&
	test_cmp expect err &&
	head -n 3 l.same-line.2026-12-01 >l.cut &&
	bad 65 -l l.cut &&
	grep "^indus-extract: l.cut:" err
'

test_expect_success 'a ledger from before withdrawals (no withdrawn_eur): read as none withdrawn' '
	awk -F"\t" -v OFS="\t" "/^#tiers\t/ { for (i = 4; i <= NF; i++) if (\$i == \"withdrawn_eur\") w = i; k = w }
	    /^#end/ { next } /^#/ && !/^#tiers\t/ { print; next } !/^#/ { k = w - 3 }
	    { for (i = k; i < NF; i++) \$i = \$(i + 1); NF--; print }" \
	    l.card-kept.2026-12-02 | tiers-seal -r -o l.old &&
	! grep -q withdrawn_eur l.old &&
	indus-extract -d 2026-12-30 -C params -l l.old -o l.fromold 2>/dev/null &&
	indus-extract -d 2026-12-30 -C params -l l.card-kept.2026-12-02 -o l.fromnew 2>/dev/null &&
	cmp l.fromold l.fromnew
'

# badd DATE STATUS ARGS...: indus-extract of DATE exits STATUS, its
# ledger lz and its store pz not published.
badd () {
	d=$1 st=$2
	shift 2
	test_expect_code $st indus-extract -d $d -o lz -p pz "$@" 2>err &&
	! test -e lz && ! test -e pz && ! test -e pz.tmp
}

# mvs FILE ROW...: a movement stream of rows business_date TAB amc TAB
# contract TAB member_ref TAB movement TAB retroactive TAB old TAB new.
mvs () {
	f=$1
	shift
	{ printf "#tiers\tbenef-movement\t1\tbusiness_date\tamc\tcontract\tmember_ref\tmovement\tretroactive\told_rights_end\tnew_rights_end\n"
	  printf "%s\n" "$@"; } | tiers-seal -r -o "$f"
}

test_expect_success 'movements malformed: 65 at their line, nothing published' '
	r="2026-11-05${T}900000002${T}C9${T}M9${T}radiate" &&
	for c in "business_date: not the business date|2026-11-04${T}900000002${T}C9${T}M9${T}radiate${T}1${T}2026-12-31${T}2026-10-01" \
	    "retroactive: not 0 or 1|$r${T}2${T}2026-12-31${T}2026-10-01" \
	    "old_rights_end: not empty nor a date|$r${T}1${T}2026-12-32${T}2026-10-01" \
	    "new_rights_end: not empty nor a date|$r${T}0${T}2026-12-31${T}x" \
	    "retroactive: 1, and not a radiation ending the rights earlier, before the business date|$r${T}1${T}2026-10-01${T}2026-10-15" \
	    "retroactive: 1, and not a radiation ending the rights earlier, before the business date|$r${T}1${T}2026-12-31${T}2026-11-05" \
	    "retroactive: 1, and not a radiation ending the rights earlier, before the business date|2026-11-05${T}900000002${T}C9${T}M9${T}modify${T}1${T}2026-12-31${T}2026-10-01" \
	    "member_ref: empty|2026-11-05${T}900000002${T}C9${T}${T}radiate${T}0${T}2026-12-31${T}2026-12-01"; do
		mvs mbad "${c#*|}" &&
		badd 2026-11-05 65 -P p.retro.2026-11-04 -m mbad &&
		echo "indus-extract: mbad:2: ${c%%|*}" >expect &&
		test_cmp expect err || return 1
	done &&
	mvs mbad "$r${T}0${T}2026-12-31${T}2026-12-01" "2026-11-05${T}900000002${T}C8${T}M8${T}radiate${T}0${T}2026-12-31${T}2026-12-01" &&
	badd 2026-11-05 65 -m mbad &&
	echo "indus-extract: mbad:3: member_ref: out of order (amc, contract, member_ref)" >expect &&
	test_cmp expect err &&
	mvs mbad "$r${T}1${T}2026-12-31${T}2026-10-01" &&
	badd 2026-11-05 65 -m mbad -m mbad &&
	echo "indus-extract: mbad:2: member_ref: the beneficiary${Q}s movements are in two places" >expect &&
	test_cmp expect err &&
	mvs mbad "2026-11-05${T}900000002${T}C9${T}M9${T}modify${T}0${T}2026-10-01${T}2026-12-31" &&
	badd 2026-11-05 65 -m mbad -m mbad &&
	test_cmp expect err
'

# The index beside a segment: checked when a radiation reads it, refused 65.
test_expect_success 'a store whose index is damaged, of another segment or alone: 65' '
	cp -R p.retro.2026-11-04 px &&
	printf x | dd of=px/2026-11-03.idx bs=1 seek=41 conv=notrunc 2>/dev/null &&
	badd 2026-11-05 65 -P px -m m.retro.2026-11-05 &&
	echo "indus-extract: px/2026-11-03.idx: index: index CRC-32 does not match: damaged" >expect &&
	test_cmp expect err &&
	cp p.retro.2026-11-04/2026-11-04.idx px/2026-11-03.idx &&
	badd 2026-11-05 65 -P px -m m.retro.2026-11-05 &&
	echo "indus-extract: px/2026-11-03.idx: index: not the index of 2026-11-03.tsv: damaged, or the segment rewritten" >expect &&
	test_cmp expect err &&
	head -c 50 p.retro.2026-11-04/2026-11-03.idx >px/2026-11-03.idx &&
	badd 2026-11-05 65 -P px -m m.retro.2026-11-05 &&
	echo "indus-extract: px/2026-11-03.idx: index: truncated, or its size not its header${Q}s" >expect &&
	test_cmp expect err &&
	cp p.retro.2026-11-04/2026-11-03.idx px/ && mv px/2026-11-03.tsv px/2026-11-02.tsv &&
	badd 2026-11-05 65 -P px -m m.retro.2026-11-05 &&
	echo "indus-extract: px/2026-11-03.idx: an index without its segment" >expect &&
	test_cmp expect err
'

test_expect_success 'a store malformed or not of the day before: 65, nothing published' '
	cp -R p.retro.2026-11-04 pq && rm pq/*.idx && echo x >pq/notes &&
	badd 2026-11-05 65 -P pq &&
	echo "indus-extract: pq/notes: not a file of the store (YYYY-MM-DD.tsv, or a month YYYY-MM.tsv)" >expect &&
	test_cmp expect err &&
	rm pq/notes && cp pq/2026-11-04.tsv pq/2026-11-31.tsv &&
	badd 2026-11-05 65 -P pq &&
	echo "indus-extract: pq/2026-11-31.tsv: not a file of the store (YYYY-MM-DD.tsv, or a month YYYY-MM.tsv)" >expect &&
	test_cmp expect err &&
	rm pq/2026-11-31.tsv && cp pq/2026-11-04.tsv pq/2026-12.tsv &&
	badd 2026-11-05 65 -P pq &&
	echo "indus-extract: pq/2026-12.tsv: a month after the business date" >expect &&
	test_cmp expect err &&
	rm pq/2026-12.tsv && cp pq/2026-11-04.tsv pq/2026-11-05.tsv &&
	badd 2026-11-05 65 -P pq &&
	echo "indus-extract: pq/2026-11-05.tsv: a day not before the business date" >expect &&
	test_cmp expect err &&
	rm pq/2026-11-05.tsv && head -n 3 p.retro.2026-11-04/2026-10-30.tsv >pq/2026-10-30.tsv &&
	badd 2026-11-05 65 -P pq -m m.retro.2026-11-05 &&
	echo "indus-extract: pq/2026-10-30.tsv: trailer: no trailer: stream truncated or its writer failed" >expect &&
	test_cmp expect err &&
	cp p.retro.2026-11-04/2026-10-30.tsv pq/ &&
	{ sed -n 1,2p p.retro.2026-11-04/2026-11-04.tsv; grep -v "^#" p.retro.2026-11-04/2026-11-04.tsv | sort -r; } |
	    tiers-seal -r -o pq/2026-11-04.tsv &&
	badd 2026-11-05 65 -P pq -m m.retro.2026-11-05 &&
	echo "indus-extract: pq/2026-11-04.tsv:4: line: out of order (amc, contract, member_ref, line, day)" >expect &&
	test_cmp expect err &&
	cp p.retro.2026-11-04/2026-11-04.tsv pq/ && mv pq/2026-11-03.tsv pq/2026-11-02.tsv &&
	badd 2026-11-05 65 -P pq -m m.retro.2026-11-05 &&
	echo "indus-extract: pq/2026-11-02.tsv:3: day: not the file${Q}s day, before the business date" >expect &&
	test_cmp expect err &&
	mv pq/2026-11-02.tsv pq/2026-11-03.tsv && mkold pqo pq && mv pqo/2026-11.tsv pqo/2026-10.tsv &&
	badd 2026-11-05 65 -P pqo -m m.retro.2026-11-05 &&
	echo "indus-extract: pqo/2026-10.tsv:3: day: not a date of the file${Q}s month before the business date" >expect &&
	test_cmp expect err &&
	sed "/^#/!s/\tretro\t/\tps\t/" p.retro.2026-11-04/2026-11-04.tsv | tiers-seal -r -o pq/2026-11-04.tsv &&
	badd 2026-11-05 65 -P pq -m m.retro.2026-11-05 &&
	echo "indus-extract: pq/2026-11-04.tsv:3: amount_eur: not above 0.00 for a payment or a restore, below 0.00 for a recovery or a radiation" >expect &&
	test_cmp expect err
'

test_expect_success 'the store: -p existing 73, -P missing 66, -W not a number of months 64' '
	test_expect_code 73 indus-extract -d 2026-11-05 -o lz -p p.retro.2026-11-04 2>err &&
	echo "indus-extract: p.retro.2026-11-04: exists" >expect &&
	test_cmp expect err &&
	! test -e lz && ! test -e p.retro.2026-11-04.tmp &&
	badd 2026-11-05 66 -P nosuch &&
	badd 2026-11-05 64 -W 0 &&
	echo "indus-extract: -W: must be a number from 1 to 120" >expect &&
	test_cmp expect err
'

test_expect_success 'the store and the items: the same inputs give the same bytes' '
	(umask 0 && TZ=Asia/Tokyo LC_ALL=fr_FR.UTF-8 indus-extract -d 2026-11-04 -C params -l l.retro.2026-11-03 \
	    -P p.retro.2026-11-03 -m m.retro.2026-11-04 -o lr -p pr 2>/dev/null) &&
	cmp lr l.retro.2026-11-04 &&
	cmp pr/2026-11-04.tsv p.retro.2026-11-04/2026-11-04.tsv &&
	test "$(test_mode pr/2026-11-04.tsv)" = -rw-------
'

test_expect_success 'parameters: a client twice, compensation not 0 or 1, a bad delay: 65' '
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n%s\n" \
	    "900000001${T}1${T}60${T}30" "900000001${T}0${T}30${T}30" | tiers-seal -r -o p2 &&
	bad 65 -C p2 &&
	echo "indus-extract: p2:3: amc: a client given twice" >expect &&
	test_cmp expect err &&
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n" \
	    "900000001${T}2${T}60${T}30" | tiers-seal -r -o p3 &&
	bad 65 -C p3 &&
	echo "indus-extract: p3:2: compensation: not 0 or 1" >expect &&
	test_cmp expect err &&
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n" \
	    "900000001${T}1${T}x${T}30" | tiers-seal -r -o p4 &&
	bad 65 -C p4 &&
	echo "indus-extract: p4:2: ps_days: not empty nor a number of days from 0 to 3650" >expect &&
	test_cmp expect err
'

# synopsis PAGE: the words of the page's SYNOPSIS, one a line.
synopsis () {
	mandoc -Tascii "$1" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	    sed '1d;$d' | tr -s ' \t' '\n\n' | grep .
}

test_expect_success 'usage: 64; an input missing: 66; an output that cannot be made: 73' '
	test_expect_code 64 indus-extract -o l 2>err &&
	grep "^usage: indus-extract -d date -o ledger" err &&
	sed "s/^usage: //" err | tr -s " " "\n" | grep . >actual &&
	synopsis "$TIERS_TOP/man/man1/indus-extract.1" >expect &&
	test_cmp expect actual &&
	test_expect_code 64 indus-extract -d 2026-12-02 2>err &&
	test_expect_code 64 indus-extract -d 2026-12-02 -o l a 2>err &&
	test_expect_code 64 indus-extract -y -d 2026-12-02 -o l 2>err &&
	test_expect_code 64 indus-extract -d 2026-02-30 -o l 2>err &&
	echo "indus-extract: -d 2026-02-30: not a date YYYY-MM-DD" >expect &&
	test_cmp expect err &&
	bad 66 -l nosuch &&
	test_expect_code 73 indus-extract -d 2026-12-02 -o /dev/full 2>err &&
	test_expect_code 73 indus-extract -d 2026-12-02 -o nodir/l 2>err &&
	nothing
'

test_expect_success 'no input at all: an empty ledger' '
	indus-extract -d 2026-12-02 -o l 2>err &&
	test "$(tail -n 1 l | cut -f2)" = 0 &&
	rm l
'

# The stage in the nightly: the parameters received are kept from one day
# to the next; a recoveries file indus-extract refuses stops the day.
test_expect_success 'nightly: the stage indus keeps its parameters, refuses a bad recoveries file' '
	mkdir -p data/inbox &&
	cp -R "$TIERS_TOP/testdata/sample/2026-11-18" "$TIERS_TOP/testdata/sample/2026-11-19" data/inbox/ &&
	printf "#tiers\tindus-params\t1\tamc\tcompensation\tps_days\tbenef_days\n%s\n" \
	    "877370001${T}1${T}60${T}30" | tiers-seal -r -o data/inbox/2026-11-18/indus-params.tsv &&
	tiers-nightly -I 2026-11-18 data >out 2>err &&
	grep "^indus${T}indus-params.tsv${T}indus-params${T}1${T}${T}ok" data/days/2026-11-18/summary.tsv &&
	tiers-seal -q data/days/2026-11-18/state/indus/ledger.tsv &&
	printf "#tiers\tindus-recovery\t1\tamc\titem\trecovered_eur\treceived\treference\n%s\n" \
	    "877370001${T}2026-11-02#1${T}5.00${T}2026-11-19${T}V1" |
	    tiers-seal -r -o data/inbox/2026-11-19/indus-recoveries-1.tsv &&
	test_expect_code 65 tiers-nightly 2026-11-19 data >out 2>err &&
	grep "^tiers-nightly: 2026-11-19: indus: refused indus-recoveries-1.tsv: indus-extract: indus-recoveries-1.tsv:2: item: not an item of the ledger\$" err &&
	! test -d data/days/2026-11-19 &&
	{ tiers-nightly -w indus-recoveries-1.tsv 2026-11-19 data >out 2>err || test $? = 1; } &&
	d=data/days/2026-11-19 &&
	cmp data/days/2026-11-18/state/indus/params.tsv $d/state/indus/params.tsv &&
	cols $d/state/indus/ledger.tsv amc debtor item left_eur status >actual &&
	printf "%s\n" "502010002${T}ps${T}2026-11-19#105${T}570.82${T}open" \
	    "502010002${T}ps${T}2026-11-19#203${T}428.00${T}open" \
	    "877370001${T}ps${T}2026-11-19#174${T}16.64${T}open" \
	    "877370001${T}ps${T}2026-11-19#143${T}9.00${T}open" >expect &&
	test_cmp expect actual &&
	cols $d/out/indus/offsetable.tsv item >actual &&
	printf "%s\n" "2026-11-19#174" "2026-11-19#143" >expect &&
	test_cmp expect actual &&
	cols $d/out/indus/requests.tsv item >actual &&
	printf "%s\n" "2026-11-19#105" "2026-11-19#203" >expect &&
	test_cmp expect actual &&
	grep "^indus${T}open${T}ps${T}4${T}1024.46${T}ok" $d/summary.tsv &&
	test "$(test_mode $d/out/indus/letters.txt)" = -rw-------
'

# The store of lines paid in the nightly, a segment a day linked on: a
# generated world of three days, 2026-11-27, 11-30 and 12-01; on the
# third, a file of the client that sends CSV radiates back the one of its
# beneficiaries paid the most lines on the first day, to the date of the
# first act paid to him: the lines paid since to the PS, on both days
# before, are his to pay back.
test_expect_success 'nightly: the store carries from day to day and over the month; a retroactive radiation' '
	tiers-gen -s 5 -d 3 -n 300 -b 100 -p 10 -D 2026-11-27 -o gw &&
	mkdir -p w/inbox && cp -R gw/2026-11-27 gw/2026-11-30 gw/2026-12-01 w/inbox/ &&
	tiers-nightly -I 2026-11-27 w >out 2>err && tiers-nightly 2026-11-30 w >out 2>err &&
	csv=$(cd gw/2026-11-27 && ls benef-*.csv) && amc=${csv#benef-} && amc=${amc%%-*} &&
	set -- $(cols w/days/2026-11-27/out/outcomes.tsv amc contract member_ref dest act_date |
	    awk -F"\t" -v a=$amc "\$1 == a && \$4 == \"ps\" { n[\$2 \" \" \$3]++
	        if (!(\$2 \" \" \$3 in f) || \$5 < f[\$2 \" \" \$3]) f[\$2 \" \" \$3] = \$5 }
	        END { for (k in n) print n[k], k, f[k] }" | sort -k1,1nr -k2,3 | head -n 1) &&
	contract=$2 member=$3 end=$4 &&
	test $1 -ge 3 &&
	grep "^$amc,1,$contract,[^,]*,[^,]*,$member," gw/2026-11-27/$csv |
	    awk -F, -v OFS=, -v e=$end "{ \$2 = 9; \$21 = e; \$23 = e; print }" >row &&
	{ head -n 1 gw/2026-11-27/$csv; cat row; } >w/inbox/2026-12-01/benef-$amc-000009.csv &&
	tiers-nightly 2026-12-01 w >out 2>err &&
	cols w/days/2026-12-01/out/benef/$amc.movements.tsv amc contract member_ref movement retroactive |
	    grep "^$amc${T}$contract${T}$member${T}radiate${T}1\$" &&
	for d in 2026-11-27 2026-11-30; do
		cols w/days/$d/out/outcomes.tsv claim amc contract member_ref dest act_date amc_eur |
		    awk -F"\t" -v OFS="\t" -v a=$amc -v c=$contract -v m=$member -v e=$end \
		    "\$2 == a && \$3 == c && \$4 == m && \$5 == \"ps\" && \$6 > e { print a, \$1, \$7 }"
	done | sort >expect &&
	test $(wc -l <expect) -ge 2 &&
	cols w/days/2026-12-01/state/indus/ledger.tsv amc item amount_eur origin debtor_ref |
	    awk -F"\t" -v OFS="\t" "\$4 == \"retro\" { print \$1, \$2, \$3; if (\$5 != \"$contract:$member\") exit 1 }" |
	    sort >actual &&
	test_cmp expect actual &&
	test "$(ls w/days/2026-12-01/state/indus/paid | tr "\n" " ")" = "2026-11-27.idx 2026-11-27.tsv 2026-11-30.idx 2026-11-30.tsv 2026-12-01.idx 2026-12-01.tsv " &&
	for f in 2026-11-27.tsv 2026-11-30.tsv 2026-11-27.idx 2026-11-30.idx; do
		test "$(stat -c %i w/days/2026-11-30/state/indus/paid/$f)" = \
		    "$(stat -c %i w/days/2026-12-01/state/indus/paid/$f)" || return 1
	done &&
	test "$(cols w/days/2026-12-01/state/indus/paid/2026-12-01.tsv kind member_ref | grep -c "^retro${T}$member\$")" = $(wc -l <expect) &&
	n=$(wc -l <expect) &&
	grep "^indus${T}retro${T}benef${T}$n${T}" w/days/2026-12-01/summary.tsv &&
	grep "beneficiaries cut off; .* $n items," w/days/2026-12-01/log/indus.err &&
	tiers-verify w 2026-12-01 >/dev/null 2>&1
'

test_done
