#!/bin/sh
test_description='tiers-nightly: a bad night keeps its evidence and never leaves a wrong or half day'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample

# A fake program first in PATH, made of the script given.  A fake that
# kills the nightly first closes its lock (fd 9), as the kernel would
# close it for a nightly killed with its children.
fake () {
	mkdir -p fake &&
	printf '#!/bin/sh\n%s\n' "$2" >fake/$1 &&
	chmod +x fake/$1
}

test_expect_success 'tiers-publish: a first name, then an exchange; refusals change nothing' '
	mkdir v1 v2 &&
	echo one >v1/f && echo two >v2/f &&
	tiers-publish v1 final &&
	! test -e v1 && test "$(cat final/f)" = one &&
	tiers-publish v2 final &&
	test "$(cat final/f)" = two && test "$(cat v2/f)" = one &&
	test_expect_code 66 tiers-publish v1 final 2>err &&
	grep "^tiers-publish: v1: No such file or directory\$" err &&
	touch plain && mkdir v3 &&
	test_expect_code 66 tiers-publish plain final 2>err &&
	grep "^tiers-publish: plain: not a directory\$" err &&
	test_expect_code 73 tiers-publish v3 plain 2>err &&
	grep "^tiers-publish: plain: exists and is not a directory\$" err &&
	test_expect_code 64 tiers-publish v3 2>err &&
	grep "^usage: tiers-publish new final\$" err &&
	test "$(cat final/f)" = two && test -d v3 && test -f plain
'

test_expect_success 'setup: the first sample day published' '
	mkdir -p data/inbox &&
	cp -R "$sample"/2026-11-18 "$sample"/2026-11-19 data/inbox/ &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	cp -R data/days/2026-11-18 day1
'

test_expect_success 'a refused PEC file changes what is paid: exit 65, nothing published' '
	cp -R data/inbox/2026-11-18 alt &&
	chmod u+w alt/pec.tsv &&
	sed "\$d" alt/pec.tsv >pec && cp pec alt/pec.tsv &&
	test_expect_code 65 tiers-nightly -I -i alt 2026-11-18 data >out 2>err &&
	grep "^tiers-nightly: 2026-11-18: receive: refused pec.tsv: tiers-seal: pec.tsv:[0-9]*: trailer: " err &&
	grep "^tiers-nightly: 2026-11-18: the day is not published; send a corrected file, or run the day without it: tiers-nightly -w pec.tsv 2026-11-18 data\$" err &&
	test_must_be_empty out &&
	diff -r day1 data/days/2026-11-18 &&
	grep "pec.tsv changes what is paid" data/days/.2026-11-18.failed.1/log/nightly.err &&
	grep "^tiers-seal: pec.tsv:" data/days/.2026-11-18.failed.1/log/receive.err
'

test_expect_success 'with -w pec.tsv the day runs without it, and says so' '
	test_expect_code 1 tiers-nightly -I -i alt -w pec.tsv 2026-11-18 data >out 2>err &&
	grep "^receive    pec.tsv .* without: left out by the operator (-w)\$" out &&
	grep "^11 inputs, 0 refused, 1 left out; published data/days/2026-11-18\$" out &&
	test "$(tail -n 1 data/days/2026-11-18/state/pec/2026-11-18.tsv | cut -f2)" = 0 &&
	! cmp -s day1/out/decisions.tsv data/days/2026-11-18/out/decisions.tsv &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>&1 &&
	diff -r day1 data/days/2026-11-18
'

test_expect_success 'the night goes by on stderr: a line per stage, then the totals' '
	tiers-nightly -I 2026-11-18 data >out 2>err &&
	for s in receive benef decode dedup liquidate; do
		grep "^tiers-nightly: 2026-11-18: $s \.\.\.\$" err &&
		grep "^tiers-nightly: 2026-11-18: $s: .* ([0-9]*\.[0-9][0-9][0-9] s)\$" err || exit 1
	done &&
	grep "^tiers-nightly: 2026-11-18: decode: 3 files, 0 refused (" err &&
	grep "^tiers-nightly: 2026-11-18: liquidate: 300 claims: [0-9]* paid, [0-9]* rejected, [0-9]* to recover; AMC [0-9]*\.[0-9][0-9]" err &&
	grep "^tiers-nightly: 2026-11-18: published data/days/2026-11-18 in [0-9]*\.[0-9][0-9][0-9] s: 300 claims: " err &&
	grep "^300 claims: [0-9]* paid, [0-9]* rejected, [0-9]* to recover; AMC " out &&
	! grep " s)" data/days/2026-11-18/log/*.err
'

test_expect_success 'publication fails: the day before stays whole, the logs are kept' '
	rm -rf data/days/.2026-11-18.failed.* &&
	fake tiers-publish "echo \"tiers-publish: \$2: cannot publish: on purpose\" >&2; exit 74" &&
	test_expect_code 74 env PATH="$PWD/fake:$PATH" tiers-nightly -I 2026-11-18 data >out 2>err &&
	grep "^tiers-nightly: data/days/2026-11-18: cannot publish; data/days/2026-11-18 is as it was\$" err &&
	diff -r day1 data/days/2026-11-18 &&
	ls -A data/days | grep "^\." >dots &&
	echo .2026-11-18.failed.1 >expect &&
	test_cmp expect dots
'

test_expect_success 'killed just before publication: the day before stays; the next run cleans up' '
	fake tiers-publish "exec 9<&-; kill -9 \$PPID; exit 1" &&
	{ env PATH="$PWD/fake:$PATH" tiers-nightly -I 2026-11-18 data >/dev/null 2>&1; true; } &&
	diff -r day1 data/days/2026-11-18 &&
	ls -d data/days/.2026-11-18.work.* &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>err &&
	grep "^tiers-nightly: removed .2026-11-18.work.[0-9]*, left by an interrupted run\$" err &&
	! ls -d data/days/.2026-11-18.work.* 2>/dev/null &&
	diff -r day1 data/days/2026-11-18
'

test_expect_success 'killed just after publication: the new day is there whole; the old one goes next run' '
	cp -R data/inbox/2026-11-18 alt2 &&
	rm alt2/invoices.b2 &&
	fake tiers-publish "exec 9<&-; \"$TIERS_BIN/tiers-publish\" \"\$@\" && kill -9 \$PPID; exit 1" &&
	{ env PATH="$PWD/fake:$PATH" tiers-nightly -I -i alt2 2026-11-18 data >/dev/null 2>&1; true; } &&
	! grep -q invoices.b2 data/days/2026-11-18/summary.tsv &&
	tiers-seal -q data/days/2026-11-18/summary.tsv data/days/2026-11-18/out/decisions.tsv &&
	w=$(ls -d data/days/.2026-11-18.work.*) &&
	diff -r day1 $w &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>err &&
	grep "^tiers-nightly: removed .2026-11-18.work.[0-9]*, left by an interrupted run\$" err &&
	diff -r day1 data/days/2026-11-18
'

test_expect_success 'an orphaned work directory of another day goes too; failed logs stay' '
	mkdir -p data/days/.2026-11-17.work.99999/in data/days/.2026-11-18.old.42 &&
	echo x >data/days/.2026-11-17.work.99999/in/benef.xml &&
	tiers-nightly -I 2026-11-18 data >/dev/null 2>err &&
	grep "^tiers-nightly: removed .2026-11-17.work.99999, left by an interrupted run\$" err &&
	grep "^tiers-nightly: removed .2026-11-18.old.42, left by an interrupted run\$" err &&
	ls -A data/days | grep "^\." >dots &&
	echo .2026-11-18.failed.1 >expect &&
	test_cmp expect dots
'

test_expect_success 'one nightly at a time on a data directory: exit 75' '
	(
		exec 8<data/days &&
		flock -n 8 &&
		test_expect_code 75 tiers-nightly -I 2026-11-18 data 2>err
	) &&
	grep "^tiers-nightly: data: another tiers-nightly is running on it\$" err &&
	diff -r day1 data/days/2026-11-18
'

test_expect_success 'a ledger segment damaged inside a record stops the next day (dedup -V)' '
	cp -R data hd &&
	seg=$(ls hd/days/2026-11-18/state/ledger/*.led | head -n 1) &&
	chmod u+w "$seg" &&
	printf "\377" | dd of="$seg" bs=1 seek=21 conv=notrunc 2>/dev/null &&
	test_expect_code 70 tiers-nightly 2026-11-19 hd >/dev/null 2>err &&
	grep "^tiers-nightly: dedup exited 65\$" err &&
	grep "^    dedup: .*\.led.*CRC" err &&
	! test -e hd/days/2026-11-19
'

test_expect_success 'a write error on standard output is exit 74; the day is published' '
	test_expect_code 74 tiers-nightly -I 2026-11-18 data >/dev/full 2>err &&
	grep "^tiers-nightly: standard output: write error (the day is published: data/days/2026-11-18/summary.tsv)\$" err &&
	diff -r day1 data/days/2026-11-18
'

test_expect_success 'a closed stderr does not stop the night' '
	rm -rf data/days/2026-11-18 &&
	{ tiers-nightly -I 2026-11-18 data 2>&1 >/dev/null | head -n 1 >first; } &&
	grep "^tiers-nightly: 2026-11-18: receive \.\.\.\$" first &&
	n=0 && while ! test -d data/days/2026-11-18 && test $n -lt 100; do sleep 0.1; n=$((n + 1)); done &&
	diff -r day1 data/days/2026-11-18
'

# alive PID: whether process PID is there and not a zombie.
alive () {
	test -r "/proc/$1/stat" && ! sed "s/.*) //" "/proc/$1/stat" | grep -q "^Z"
}

# Two stages at a time: a TERM sent to the driver alone (a scheduler's
# kill) stops the stages running too, their programs with them; nothing
# of the night stays running or under a work name.
test_expect_success 'TERM to the driver alone: the stages running stop with it, exit 130' '
	rm -rf fake &&
	fake benef-integrate "echo \$\$ >\"$PWD/benef.pid\"; exec sleep 60" &&
	fake noemie-decode "echo \$\$ >\"$PWD/decode.pid\"; exec sleep 60" &&
	rm -f benef.pid decode.pid &&
	cp -R data term &&
	(PATH=$PWD/fake:$PATH exec tiers-nightly -I 2026-11-18 term >/dev/null 2>err) &
	pid=$! &&
	n=0 &&
	while ! test -s benef.pid || ! test -s decode.pid; do
		n=$((n + 1)) && test $n -lt 300 || exit 1
		sleep 0.1
	done &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test "$rc" = 130 &&
	! alive "$(cat benef.pid)" &&
	! alive "$(cat decode.pid)" &&
	diff -r data/days/2026-11-18 term/days/2026-11-18 &&
	test -z "$(ls -A term/days | grep "\.work\.")" &&
	rm -rf fake
'

test_done
