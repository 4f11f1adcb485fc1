#!/bin/sh
test_description='tiers-nightly: the cards stage over a world with -A cards, against the truth'
. "$(dirname "$0")/test-lib.sh"

# A world of four business days (Wednesday to Monday): every client's
# card parameters come the first day but one client's, which come the
# third; some families are sent without an address (CE01), some
# families are declared on a later day, radiated beneficiaries are
# refused their card (CE04).
test_expect_success 'setup: a world with -A cards, four days through the nightly' '
	tiers-gen -s 7 -d 4 -D 2026-11-18 -n 100 -b 400 \
	    -A cards=800 -A late=500 -o gen >/dev/null &&
	test $(ls gen/2026-11-18/cartes-*.xml | wc -l) -eq 2 &&
	ls gen/2026-11-20/cartes-*.xml >late &&
	test $(wc -l <late) -eq 1 &&
	! ls gen/2026-11-19/cartes-* gen/2026-11-23/cartes-* 2>/dev/null &&
	for f in gen/*/cartes-*.xml; do
		xmllint --noout --schema "$TIERS_TOP/formats/xsd/card-params.xsd" "$f" 2>/dev/null ||
		    return 1
	done &&
	nightly_world gen cw &&
	test $(ls cw/days | wc -l) -eq 4
'

# card_rows NIGHTLY GEN: what the nightly did of cards each day, per
# client, in the shape of the truth's rows: the summary's rows (a row
# left out counting nothing), the cards issued that day in the
# generation, the rejects by code; and the card movements card-edit
# read, from its messages, which come in the order of the clients.
card_rows () {
	for d in $(ls $1/days); do
		dd=$1/days/$d
		grep -v "^#" $2/truth/$d/cards-truth.tsv | cut -f1 | sort -u >clients
		sed -n "s/^card-edit: $d: \([0-9]*\) card movements: .*/\1/p" $dd/log/cards.err >nmv
		i=0
		while read -r c; do
			printf "%s\t%s\tcard_waiting\t%s\n" $d $c $(sumrow $dd $c card-waiting)
			n=0
			test -f $dd/state/cardparams/$c.xml && i=$((i + 1)) && n=$(sed -n ${i}p nmv)
			printf "%s\t%s\tcard_movements\t%s\n" $d $c $n
			printf "%s\t%s\tcard_print\t%s\n" $d $c $(sumrow $dd $c card-print)
			printf "%s\t%s\tcard_holders\t%s\n" $d $c $(cat $dd/state/cards/$c.cards.tsv 2>/dev/null |
			    awk -F"\t" -v d=$d "!/^#/ && \$5 == d" | wc -l)
			for k in CE01 CE04; do
				printf "%s\t%s\tcard_%s\t%s\n" $d $c $k $(cat $dd/out/cards/$c.rejects.tsv 2>/dev/null |
				    awk -F"\t" -v k=$k "!/^#/ && \$5 == k" | wc -l)
			done
		done <clients
	done
}
# sumrow DAY CLIENT KIND: the records of the cards stage's row, 0 without.
sumrow () {
	awk -F"\t" -v c=$2 -v k=$3 "\$1 == \"cards\" && \$2 == c && \$3 == k { n = \$4 }
	    END { print n + 0 }" $1/summary.tsv
}
truth_rows () {
	for t in $1/truth/*/cards-truth.tsv; do
		d=${t%/cards-truth.tsv}
		grep -v "^#" $t | sed "s|^|${d##*/}	|"
	done | sort
}

test_expect_success 'every truth row of the cards: waiting, movements, cards, holders, rejects' '
	truth_rows gen >expect &&
	grep -q "card_waiting	[1-9]" expect &&
	grep -q "card_CE01	[1-9]" expect &&
	grep -q "card_CE04	[1-9]" expect &&
	card_rows cw gen | sort >actual &&
	test_cmp expect actual
'

test_expect_success 'the late client: its movements wait two days, then are edited, the file gone' '
	c=$(sed "s|.*/cartes-\(.*\)\.xml|\1|" late) &&
	test -f cw/days/2026-11-19/state/cards/$c.waiting.tsv &&
	tiers-seal -q cw/days/2026-11-19/state/cards/$c.waiting.tsv &&
	test ! -f cw/days/2026-11-20/state/cards/$c.waiting.tsv &&
	test ! -f cw/days/2026-11-19/out/cards/$c.print.xml &&
	grep -q "<fin envois=\"[0-9]*\" cartes=\"[1-9]" cw/days/2026-11-20/out/cards/$c.print.xml
'

# mvstream FILE LETTER ROWS: a benef-movement stream of client 111 on
# 2026-11-18, of the rows of t0475-waiting.tsv (ROWS), each numbered by
# LETTER and its place in file and line.
mvstream () {
	printf "#tiers\tbenef-movement\t1\tbusiness_date\tamc\tcontract\tmember_ref\tmovement\tretroactive\told_rights_end\tnew_rights_end\tcard_movement\tfile\tline\n" >"$1.raw" &&
	printf "#business_date\t2026-11-18\n" >>"$1.raw" &&
	i=0 &&
	for r in $3; do
		test "$r" = . && continue
		i=$((i + 1))
		echo "$r" | awk -F/ -v OFS="\t" -v l=$2 -v i=$i \
		    "{ print \"2026-11-18\", 111, \$1, \$2, \$3, 0, \"2027-12-31\", \"2027-12-31\", \$4, l, i }" \
		    >>"$1.raw" || return 1
	done &&
	tiers-seal -r -o "$1" "$1.raw"
}

# The stage merges the waiting file, in the order of the master, with
# the day's rows sorted: every case of t0475-waiting.tsv through the
# stage run again (-s) on a day of one client without parameters.
test_expect_success 'waiting movements: replaced by the day'"'"'s card movements, in the order of the master' '
	fail=0 &&
	while IFS="	" read -r name waiting day after; do
		case $name in "#"*) continue ;; esac
		d=wd.$name &&
		mkdir -p $d/days/2026-11-17/state/cards $d/days/2026-11-18/state/benef \
		    $d/days/2026-11-18/out/benef $d/days/2026-11-18/log &&
		printf "#previous\t2026-11-17\n" >$d/days/2026-11-18/summary.tsv &&
		: >$d/days/2026-11-18/state/benef/111.master.tsv &&
		mvstream $d/days/2026-11-18/out/benef/111.movements.tsv d "$day" &&
		if test "$waiting" != .; then
			mvstream $d/days/2026-11-17/state/cards/111.waiting.tsv w "$waiting" || return 1
		fi &&
		w=$d/scratch/2026-11-18.cards/state/cards/111.waiting.tsv &&
		if test "$after" = fail; then
			test_expect_code 70 tiers-nightly -s cards 2026-11-18 $d 2>err &&
			grep -q "^    card-edit: .*/111.waiting.tsv:4: member_ref: not in the order of the master" err ||
			    { echo "case $name: not refused"; fail=1; }
			continue
		fi &&
		tiers-nightly -s cards 2026-11-18 $d 2>err &&
		echo "$after" | tr " " "\n" >expect &&
		if test -f $w; then
			tiers-seal -q $w && grep -v "^#" $w | cut -f10,11 | tr -d "\t"
		else
			echo .
		fi >actual &&
		test_cmp expect actual || { echo "case $name"; fail=1; }
	done <"$TIERS_TOP/t/t0475-waiting.tsv" &&
	test $fail = 0
'

test_expect_success 'same seed, same world: the parameters and the truth again' '
	tiers-gen -s 7 -d 4 -D 2026-11-18 -n 100 -b 400 \
	    -A cards=800 -A late=500 -o gen2 >/dev/null &&
	for f in gen/*/cartes-*.xml gen/truth/*/cards-truth.tsv; do
		cmp "$f" "gen2/${f#gen/}" || return 1
	done
'

test_done
