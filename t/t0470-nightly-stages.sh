#!/bin/sh
test_description='tiers-nightly: stage files, one stage again (-s), later days never silently stale (-a, -F), and a killed night'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample
days='2026-11-18 2026-11-19 2026-11-20'

# The file rows and the day rows of a MANIFEST, without its trailer.
rows () {
	grep -v '^#' "$1"
}

test_expect_success 'setup: the three sample days' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-1[89] "$sample"/2026-11-20 data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	{ tiers-nightly 2026-11-19 data >/dev/null 2>&1 || test $? = 1; } &&
	tiers-nightly 2026-11-20 data >/dev/null 2>&1 &&
	cp -R data ref
'

test_expect_success 'the stages are the files of pipelines/stages, run in their order (TIERS_STAGE_JOBS=1)' '
	ls "$TIERS_TOP/pipelines/stages" | grep "^[0-9][0-9]-" >files &&
	printf "%s\n" 10-receive 20-benef 25-cards 30-decode 35-present 40-dedup 45-insums 50-liquidate 60-ledger 70-reject 75-returns 80-indus 90-payment >expect &&
	test_cmp expect files &&
	tiers-nightly -I 2026-11-18 other 2>err >/dev/null || true &&
	mkdir -p other/inbox/2026-11-18 &&
	TIERS_STAGE_JOBS=1 tiers-nightly -I 2026-11-18 other 2>err >/dev/null &&
	sed -n "s/^tiers-nightly: 2026-11-18: \([a-z]*\) \.\.\.\$/\1/p" err >ran &&
	sed "s/^[0-9]*-//" expect >names &&
	test_cmp names ran
'

# startsafter ERR: for each stage started in the log ERR (the driver's
# stderr), that every stage on its "after:" line had ended before it
# started; prints the pairs that break it.
startsafter () {
	for f in "$TIERS_TOP"/pipelines/stages/[0-9][0-9]-*; do
		s=${f##*/} s=${s#[0-9][0-9]-}
		for a in $(sed -n "s/^#   after: *//p" "$f"); do
			awk -v s="$s" -v a="$a" '
				$0 ~ "^tiers-nightly: [0-9-]*: " s " \\.\\.\\.$" && !ended { print s " started before " a " ended" }
				$0 ~ "^tiers-nightly: [0-9-]*: " a ": .*s\\)$" { ended = 1 }
			' "$1"
		done
	done
}

test_expect_success 'two stages at a time: each after the stages it reads from; the same day, byte for byte' '
	for f in "$TIERS_TOP"/pipelines/stages/[0-9][0-9]-*; do
		case $f in */10-receive) continue ;; esac
		grep -q "^#   after:  [a-z]" "$f" || { echo "$f: no after line"; exit 1; }
	done &&
	rm -rf two one && mkdir -p two/inbox one/inbox &&
	cp -R "$sample"/2026-11-18 two/inbox/ && cp -R "$sample"/2026-11-18 one/inbox/ &&
	TIERS_STAGE_JOBS=2 tiers-nightly -I 2026-11-18 two 2>err2 >out2 &&
	TIERS_STAGE_JOBS=1 TIERS_JOBS=1 tiers-nightly -I 2026-11-18 one 2>err1 >out1 &&
	startsafter err2 >bad && test_must_be_empty bad &&
	test "$(grep -c " \.\.\.\$" err2)" = 13 &&
	cmp one/days/2026-11-18/MANIFEST two/days/2026-11-18/MANIFEST &&
	TIERS_STAGE_JOBS=0 test_expect_code 64 tiers-nightly -I 2026-11-18 one 2>err &&
	grep "TIERS_STAGE_JOBS=0: not a number of stages at a time" err
'

test_expect_success 'payment runs beside indus, started after it, its offsets taken once indus ended well' '
	grep -q "^#   awaits: *indus\$" "$TIERS_TOP"/pipelines/stages/90-payment &&
	# indus slowed: payment starts before indus ends, and still pays
	# what one stage at a time pays.
	mkdir -p slowi &&
	real=$(command -v indus-extract) &&
	printf "#!/bin/sh\nsleep 2\nexec \"%s\" \"\$@\"\n" "$real" >slowi/indus-extract &&
	chmod +x slowi/indus-extract &&
	rm -rf five && mkdir -p five/inbox && cp -R "$sample"/2026-11-18 five/inbox/ &&
	PATH=$PWD/slowi:$PATH TIERS_STAGE_JOBS=2 tiers-nightly -I 2026-11-18 five 2>err5 >/dev/null &&
	awk "/: payment \\.\\.\\.\$/ { p = NR } /: indus: .*s\\)\$/ { i = NR } END { exit !(p && i && p < i) }" err5 &&
	# payment holds no place of the two: returns, ready with indus, runs
	# beside them and does not wait for indus to end.
	awk "/: returns \\.\\.\\.\$/ { r = NR } /: indus: .*s\\)\$/ { i = NR } END { exit !(r && i && r < i) }" err5 &&
	cmp one/days/2026-11-18/MANIFEST five/days/2026-11-18/MANIFEST &&
	# indus failing: payment pays nothing, the night ends with indus'"'"'s
	# status, nothing published, no program left running (of this
	# directory: another suite running at once may be at the same test).
	printf "#!/bin/sh\nsleep 1\necho \"indus-extract: on purpose\" >&2\nexit 70\n" >slowi/indus-extract &&
	rm -rf six && mkdir -p six/inbox && cp -R "$sample"/2026-11-18 six/inbox/ &&
	test_expect_code 70 env PATH=$PWD/slowi:$PATH TIERS_STAGE_JOBS=2 \
	    tiers-nightly -I 2026-11-18 six 2>err6 >/dev/null &&
	grep "^tiers-nightly: the indus stage failed: no offsets, nothing paid\$" err6 &&
	! test -e six/days/2026-11-18 &&
	! grep -l "$PWD/six/day[s]" /proc/[0-9]*/cmdline 2>/dev/null | grep -q .
'

test_expect_success 'the returns by one process, two threads with TIERS_JOBS 2, the same bytes; it failing fails the stage' '
	rm -rf rt2 && mkdir -p rt2/inbox && cp -R "$sample"/2026-11-18 rt2/inbox/ &&
	mkdir -p jlog &&
	real=$(command -v reject-code) &&
	printf "#!/bin/sh\ncase \" \$* \" in *\" -O \"*) echo \"\$*\" >>\"%s\" ;; esac\nexec \"%s\" \"\$@\"\n" "$PWD/jlog/args" "$real" >jlog/reject-code &&
	chmod +x jlog/reject-code &&
	env PATH=$PWD/jlog:$PATH TIERS_JOBS=2 tiers-nightly -I 2026-11-18 rt2 2>err >/dev/null &&
	cmp one/days/2026-11-18/MANIFEST rt2/days/2026-11-18/MANIFEST &&
	test "$(wc -l <jlog/args)" = 1 &&
	grep -e " -j 2 -r .* -f .* -c " jlog/args &&
	rm -rf rt2 jlog/args && mkdir -p rt2/inbox && cp -R "$sample"/2026-11-18 rt2/inbox/ &&
	env PATH=$PWD/jlog:$PATH TIERS_JOBS=1 tiers-nightly -I 2026-11-18 rt2 2>err >/dev/null &&
	cmp one/days/2026-11-18/MANIFEST rt2/days/2026-11-18/MANIFEST &&
	test "$(wc -l <jlog/args)" = 1 &&
	grep -e " -j 1 -r .* -f .* -c " jlog/args &&
	# The returns failing: the stage fails, their message said once.
	mkdir -p cfail &&
	printf "#!/bin/sh\ncase \" \$* \" in *\" -O \"*) echo \"reject-code: on purpose\" >&2; exit 65 ;; esac\nexec \"%s\" \"\$@\"\n" "$real" >cfail/reject-code &&
	chmod +x cfail/reject-code &&
	rm -rf rt3 && mkdir -p rt3/inbox && cp -R "$sample"/2026-11-18 rt3/inbox/ &&
	test_expect_code 70 env PATH=$PWD/cfail:$PATH TIERS_JOBS=2 \
	    tiers-nightly -I 2026-11-18 rt3 2>err >/dev/null &&
	grep "reject-code -O exited 65" err &&
	test "$(grep -c "reject-code: on purpose" err)" = 1 &&
	! test -e rt3/days/2026-11-18
'

# Programs slowed (a wrapper in front of PATH sleeps, then runs the
# program), so that the last stage runs alone long enough after the
# others' files were written for the driver to hash them meanwhile.
slowly () {
	real=$(command -v "$1") &&
	printf '#!/bin/sh\nsleep %s\nexec "%s" "$@"\n' "$2" "$real" >slow/"$1" &&
	chmod +x slow/"$1"
}

test_expect_success 'the files of the stages ended hashed while others run, the same manifest' '
	mkdir -p slow &&
	slowly reject-code 3 &&
	# Stage insums (after dedup) well past the margin of the inputs it
	# hashes, so that the manifest takes its sums: on a fast machine
	# the sample day reaches it within 0.1 s of their receipt.
	slowly dedup 0.5 &&
	# payment-edit, the last stage, slowed 6 s: after its sleep, what
	# the hasher had hashed then kept (its work directory from -o).
	real=$(command -v payment-edit) &&
	printf "#!/bin/sh\nsleep 6\nfor a; do test \"\$p\" = -o && d=\${a%%%%/state/payments/ledger}; p=\$a; done\ncp \"\$d/tmp/manifest.sums\" \"%s/early\"\nexec \"%s\" \"\$@\"\n" \
	    "$PWD" "$real" >slow/payment-edit &&
	chmod +x slow/payment-edit &&
	real=$(command -v tiers-sum) &&
	# The names of its lists kept (hashed) and counted (sums), once
	# each call ended (the hasher'"'"'s, -F, grows until then); a list
	# on the standard input kept, not counted.
	{
		echo "#!/bin/sh" &&
		echo "if test \"\$2\" = -; then l=\$(mktemp) && cat >\"\$l\" && set -- -f \"\$l\" && c=; else c=1; fi" &&
		echo "\"$real\" \"\$@\"; r=\$?" &&
		echo "grep . \"\$2\" | cut -f1 >>\"$PWD/hashed\"" &&
		echo "test -z \"\$c\" || grep -c . \"\$2\" >>\"$PWD/sums\"" &&
		echo "exit \$r"
	} >slow/tiers-sum &&
	chmod +x slow/tiers-sum &&
	rm -rf three early && mkdir -p three/inbox && cp -R "$sample"/2026-11-18 three/inbox/ &&
	PATH=$PWD/slow:$PATH TIERS_STAGE_JOBS=2 tiers-nightly -I 2026-11-18 three 2>err3 >out3 &&
	cmp one/days/2026-11-18/MANIFEST three/days/2026-11-18/MANIFEST &&
	tiers-verify three >/dev/null &&
	# The hasher hashed the files the rounds listed, and the manifest
	# only what was new or changed since: fewer than the day holds.
	test $(wc -l <sums) -ge 2 &&
	pre=$(sed "\$d" sums | awk "{ n += \$1 } END { print n }") &&
	last=$(sed -n "\$p" sums) &&
	n=$(grep -c "^file	" three/days/2026-11-18/MANIFEST) &&
	test "$pre" -gt 20 && test "$last" -lt "$n" && test $((pre + last)) -ge "$n" &&
	# The returns, ended while payment-edit (started with them) still
	# slept, hashed then, not left to the end; no file hashed twice;
	# no file under a temporary name (hidden, or in a directory
	# NAME.tmp) hashed.
	grep "^out/returns/ps-return.tsv	[0-9]*:[0-9]*	[0-9 .]*	[0-9a-f]\{64\}\$" early &&
	! grep -x "out/returns/ps-return.tsv" hashed | sed 1d | grep -q . &&
	! grep -v -x "in/.MANIFEST" hashed | grep -E "(^|/)[.]|[.]tmp/" &&
	grep -e "^out/" -e "^state/" hashed | sort | uniq -d >twice &&
	test_must_be_empty twice &&
	# Each input hashed once, by stage insums (names under in/), its sum
	# taken by the manifest as well.
	(cd three/days/2026-11-18/in && ls) >inputs &&
	test $(grep -c "" inputs) -ge 5 &&
	while read -r f; do
		k=$(grep -c -x -F -e "$f" -e "./$f" -e "in/$f" hashed) &&
		{ test "$k" = 1 || { echo "$f: hashed $k times"; exit 1; }; }
	done <inputs &&
	# A file of an earlier stage changed by the last one after it was
	# hashed (its log, here): the manifest has its new sum.
	real=$(command -v payment-edit) &&
	printf "#!/bin/sh\nsleep 6\nfor a; do test \"\$p\" = -o && d=\${a%%%%/state/payments/ledger}; p=\$a; done\necho again >>\"\$d/log/benef.err\"\nexec \"%s\" \"\$@\"\n" \
	    "$real" >slow/payment-edit &&
	rm -rf four sums && mkdir -p four/inbox && cp -R "$sample"/2026-11-18 four/inbox/ &&
	PATH=$PWD/slow:$PATH TIERS_STAGE_JOBS=2 tiers-nightly -I 2026-11-18 four 2>err4 >out4 &&
	tail -n 1 four/days/2026-11-18/log/benef.err | grep "^again\$" &&
	test "$(sed "\$d" sums | awk "{ n += \$1 } END { print n }")" -gt 20 &&
	tiers-verify four >/dev/null &&
	h=$(sha256sum <four/days/2026-11-18/log/benef.err | cut -d" " -f1) &&
	grep "^file	log/benef.err	$h\$" four/days/2026-11-18/MANIFEST
'

test_expect_success 'the hasher still hashing when the last stage ends: the rest listed to it, awaited, none twice, the same manifest' '
	mkdir -p lagging &&
	real=$(command -v tiers-sum) &&
	# The hasher (-F) starts 4 s late: payment-edit, slowed 2 s, ends
	# before it hashed anything.  Each call logs its list name and,
	# once it ended, the files it hashed.
	{
		echo "#!/bin/sh" &&
		echo "test \"\$1\" = -F && sleep 4" &&
		echo "echo \"\${2##*/}\" >>\"$PWD/lists\"" &&
		echo "\"$real\" \"\$@\"; r=\$?" &&
		echo "test \"\$2\" = - || grep . \"\$2\" | cut -f1 >>\"$PWD/hashed6\"" &&
		echo "exit \$r"
	} >lagging/tiers-sum &&
	chmod +x lagging/tiers-sum &&
	real=$(command -v payment-edit) &&
	printf "#!/bin/sh\nsleep 2\nexec \"%s\" \"\$@\"\n" "$real" >lagging/payment-edit &&
	chmod +x lagging/payment-edit &&
	rm -rf six lists hashed6 && mkdir -p six/inbox && cp -R "$sample"/2026-11-18 six/inbox/ &&
	PATH=$PWD/lagging:$PATH TIERS_STAGE_JOBS=2 tiers-nightly -I 2026-11-18 six 2>err6 >out6 &&
	cmp one/days/2026-11-18/MANIFEST six/days/2026-11-18/MANIFEST &&
	tiers-verify six >/dev/null &&
	grep -x manifest.queue lists &&
	# No file the stages wrote (out/, state/) hashed twice, nor left
	# to the manifest.
	grep -e "^out/" -e "^state/" hashed6 | sort | uniq -d >twice &&
	test_must_be_empty twice &&
	test "$(grep -c -e "^out/" -e "^state/" hashed6)" -gt 20 &&
	! pgrep -f "six/days/.*manifest" >/dev/null
'

test_expect_success 'a night that fails while the hasher runs: stopped, the lock free at once' '
	mkdir -p failing &&
	real=$(command -v tiers-sum) &&
	# The hasher (-F) says it started, then waits 6 s before it hashes;
	# payment-edit fails after 2 s, meanwhile.
	{
		echo "#!/bin/sh" &&
		echo "test \"\$1\" = -F && { echo round >>\"$PWD/rounds7\"; sleep 6; }" &&
		echo "exec \"$real\" \"\$@\""
	} >failing/tiers-sum &&
	printf "#!/bin/sh\nsleep 2\necho payment-edit: refused >&2\nexit 70\n" >failing/payment-edit &&
	chmod +x failing/tiers-sum failing/payment-edit &&
	rm -rf seven rounds7 && mkdir -p seven/inbox && cp -R "$sample"/2026-11-18 seven/inbox/ &&
	test_expect_code 70 env PATH=$PWD/failing:$PATH TIERS_STAGE_JOBS=2 \
	    tiers-nightly -I 2026-11-18 seven 2>err7 >out7 &&
	grep -x round rounds7 &&
	! ps -eo args | grep "[f]ailing/tiers-sum" &&
	tiers-nightly -I 2026-11-18 seven >/dev/null 2>err7b &&
	cmp one/days/2026-11-18/MANIFEST seven/days/2026-11-18/MANIFEST
'

test_expect_success 'an input changed while insums takes its sum: taken again; changed again, the night fails (74)' '
	mkdir -p touchy &&
	real=$(command -v tiers-sum) &&
	# In in/ (stage insums), the first N calls touch an input after
	# their sums: its change time moves, as an edit would move it.
	{
		echo "#!/bin/sh" &&
		echo "\"$real\" \"\$@\" || exit" &&
		echo "case \$PWD in */in) ;; *) exit 0 ;; esac" &&
		echo "n=\$(cat \"$PWD/touches\")" &&
		echo "test \"\$n\" -gt 0 || exit 0" &&
		echo "echo \$((n - 1)) >\"$PWD/touches\"" &&
		echo "sleep 0.02 && touch -c -m pec.tsv"
	} >touchy/tiers-sum &&
	chmod +x touchy/tiers-sum &&
	echo 1 >touches &&
	rm -rf five && mkdir -p five/inbox && cp -R "$sample"/2026-11-18 five/inbox/ &&
	PATH=$PWD/touchy:$PATH tiers-nightly -I 2026-11-18 five 2>err5 >out5 &&
	test "$(cat touches)" = 0 &&
	tiers-verify five >/dev/null &&
	h=$(sha256sum <five/days/2026-11-18/in/pec.tsv | cut -d" " -f1) &&
	grep "^$h  pec.tsv\$" five/days/2026-11-18/in/.MANIFEST &&
	echo 2 >touches &&
	rm -rf six && mkdir -p six/inbox && cp -R "$sample"/2026-11-18 six/inbox/ &&
	test_expect_code 74 env PATH=$PWD/touchy:$PATH tiers-nightly -I 2026-11-18 six 2>err6 >out6 &&
	grep "in/: an input changed while its sum was taken" err6 &&
	! test -e six/days/2026-11-18
'

test_expect_success 'adding a stage is adding a file' '
	mkdir extra &&
	printf "%s\n" "# Counts the day'\''s decisions." \
	    "n=\$(records \"\$abs/out/decisions.tsv\")" \
	    "row count decisions decision \"\$n\" \"\" ok" \
	    "staged \"\$n decisions\"" >extra/60-count &&
	sh "$TIERS_TOP/pipelines/stages/embed.sh" test "$TIERS_TOP/pipelines/nightly" \
	    "$TIERS_TOP"/pipelines/stages/[0-9][0-9]-* extra/60-count >tiers-nightly &&
	chmod +x tiers-nightly &&
	cp -R ref plus &&
	./tiers-nightly -F 2026-11-20 plus >out 2>err &&
	n=$(tail -n 1 ref/days/2026-11-20/out/decisions.tsv | cut -f2) &&
	test "$n" -ge 300 &&
	grep "^tiers-nightly: 2026-11-20: count: $n decisions (" err &&
	grep "^count	decisions	decision	$n		ok	\$" plus/days/2026-11-20/summary.tsv &&
	test_expect_code 1 sh "$TIERS_TOP/pipelines/stages/embed.sh" v "$TIERS_TOP/pipelines/nightly" \
	    extra 2>err &&
	grep "not a stage file" err
'

test_expect_success '-s: one stage again into a scratch copy, the same bytes as that night' '
	for s in receive benef decode dedup insums liquidate indus; do
		tiers-nightly -s $s 2026-11-19 data >out 2>err ||
		    { cat err; exit 1; }
		c=data/scratch/2026-11-19.$s &&
		grep "^tiers-nightly: 2026-11-19: $s run again in $c (exit 0); its rows in summary.$s.tsv\$" err &&
		test "$(test_mode $c)" = "drwx------" &&
		! test -e $c/MANIFEST && ! test -e $c/tmp &&
		(cd data/days/2026-11-19 && find . -type f ! -name MANIFEST | sort) >want &&
		for f in $(cat want); do cmp data/days/2026-11-19/$f $c/$f || exit 1; done &&
		awk -F"\t" -v s=$s "\$1 == s" data/days/2026-11-19/summary.tsv >expect &&
		sed "/^#/d" $c/summary.$s.tsv >actual &&
		test_cmp expect actual || exit 1
	done &&
	diff -r ref/days data/days
'

test_expect_success '-s: a stage that does not exist, or a day not published' '
	test_expect_code 64 tiers-nightly -s nosuch 2026-11-19 data 2>err &&
	grep "^tiers-nightly: -s nosuch: no such stage; the stages are: 10-receive 20-benef 25-cards 30-decode 35-present 40-dedup 45-insums 50-liquidate 60-ledger 70-reject 75-returns 80-indus 90-payment\$" err &&
	test_expect_code 66 tiers-nightly -s liquidate 2026-11-23 data 2>err &&
	grep "^tiers-nightly: 2026-11-23: no published day\$" err
'

test_expect_success 'a day with later days published is not re-run silently: exit 64' '
	test_expect_code 64 tiers-nightly 2026-11-19 data 2>err &&
	grep "^tiers-nightly: 2026-11-19: later days are published (2026-11-20): re-run them after it with -a, or mark them stale with -F\$" err &&
	diff -r ref/days data/days
'

test_expect_success '-F with the same inputs: the same bytes, the later days stay good' '
	{ tiers-nightly -F 2026-11-19 data >/dev/null 2>&1 || test $? = 1; } &&
	diff -r ref/days data/days
'

test_expect_success '-F with a changed input: the later days are marked stale' '
	chmod u+w data/inbox/2026-11-19 &&
	rm data/inbox/2026-11-19/invoices.b2 &&
	{ tiers-nightly -F 2026-11-19 data >/dev/null 2>err || test $? = 1; } &&
	grep "^tiers-nightly: 2026-11-19: 2026-11-20 is stale: re-run it in order (tiers-nightly -a 2026-11-19 data)\$" err &&
	grep "^2026-11-19 was re-run after this day was built on it; re-run from it in order: tiers-nightly -a 2026-11-19 data\$" \
	    data/days/2026-11-20/STALE &&
	h=$(sha256sum <data/days/2026-11-19/MANIFEST | cut -d" " -f1) &&
	! grep -q "previous_manifest	$h\$" data/days/2026-11-20/MANIFEST
'

test_expect_success '-a re-runs the later days in order from their archives: the chain holds' '
	{ tiers-nightly -a 2026-11-19 data >out 2>err || test $? = 1; } &&
	grep "^tiers-nightly: 2026-11-19: re-running 2026-11-20 from its archived inputs\$" err &&
	! test -e data/days/2026-11-20/STALE &&
	h=$(sha256sum <data/days/2026-11-19/MANIFEST | cut -d" " -f1) &&
	grep -q "^day	previous_manifest	$h\$" data/days/2026-11-20/MANIFEST &&
	diff -r ref/days/2026-11-20/in data/days/2026-11-20/in &&
	! ls -d data/days/.*inbox* 2>/dev/null &&
	cp -R ref/inbox/2026-11-19/invoices.b2 data/inbox/2026-11-19/ &&
	{ tiers-nightly -a 2026-11-19 data >/dev/null 2>&1 || test $? = 1; } &&
	diff -r ref/days data/days
'

test_expect_success '-W: the window is recorded in the MANIFEST, and a replay uses it' '
	cp -R ref win &&
	tiers-nightly -F -W 12 2026-11-20 win >/dev/null 2>&1 &&
	grep "^day	options	-W 12\$" win/days/2026-11-20/MANIFEST &&
	grep "^dedup: .* -W 12\|" win/days/2026-11-20/log/dedup.err >/dev/null &&
	tiers-replay 2026-11-20 win >out &&
	grep "^2026-11-20 replayed: the same " out &&
	test_expect_code 64 tiers-nightly -W 0 2026-11-20 win 2>err &&
	grep "^tiers-nightly: -W 0: not a number of months\$" err
'

test_expect_success 'a file name with a space is archived and listed; -w refuses one' '
	cp -R ref sp &&
	chmod u+w sp/inbox/2026-11-20 &&
	echo "a note" >"sp/inbox/2026-11-20/a note.txt" &&
	tiers-nightly -F 2026-11-20 sp >out 2>err &&
	grep "^file	in/a note.txt	" sp/days/2026-11-20/MANIFEST &&
	grep "  a note.txt\$" sp/days/2026-11-20/in/.MANIFEST &&
	grep "^receive    a note.txt .* archived\$" out &&
	tiers-verify sp 2026-11-20 >/dev/null &&
	test_expect_code 64 tiers-nightly -F -w "a note.txt" 2026-11-20 sp 2>err &&
	grep "^tiers-nightly: -w a note.txt: a name with a space cannot be recorded; rename the file\$" err &&
	printf "x" >"sp/inbox/2026-11-20/back\\slash" &&
	test_expect_code 65 tiers-nightly -F 2026-11-20 sp 2>err &&
	grep "a file name with a tab, a newline or a backslash: rename it\$" err
'

# A small generated day, killed at several points; each time the day
# published before stays whole or the new one is whole, and a rerun gives
# the MANIFEST of a run never killed.
test_expect_success 'killed at any point (SIGKILL), the rerun gives the same MANIFEST' '
	tiers-gen -s 7 -d 1 -D 2026-11-18 -n 2000 -b 400 -p 40 -o g >/dev/null &&
	mkdir -p k/inbox && cp -R g/2026-11-18 k/inbox/ &&
	tiers-nightly -I 2026-11-18 k >/dev/null 2>&1 &&
	cp k/days/2026-11-18/MANIFEST want &&
	for t in 0.02 0.05 0.1 0.15 0.2 0.3 0.4 0.6 0.8; do
		setsid tiers-nightly -I 2026-11-18 k >/dev/null 2>&1 &
		pid=$! &&
		sleep $t &&
		kill -9 -- -$pid 2>/dev/null
		wait $pid
		# Whatever the moment: a whole day under the final name.
		(cd k/days/2026-11-18 && tiers-seal -q MANIFEST summary.tsv out/decisions.tsv) &&
		cmp want k/days/2026-11-18/MANIFEST &&
		tiers-nightly -I 2026-11-18 k >/dev/null 2>&1 &&
		cmp want k/days/2026-11-18/MANIFEST &&
		test -z "$(ls -A k/days | grep "^\.[0-9].*\.work\.")" || exit 1
	done
'

test_done
