#!/bin/sh
test_description='tiers-verify and tiers-replay: every edit of the archive is caught, every sample day replays'
. "$(dirname "$0")/test-lib.sh"

sample=$TIERS_TOP/testdata/sample
d1=2026-11-18
d2=2026-11-19
d3=2026-11-20

# copy DIR: a data directory of its own, a copy of the three days
# published (no hard link is shared with data/).
copy () {
	rm -rf "$1" && cp -R data "$1"
}
# seal FILE: seal again a stream edited by hand, as a forger would.
seal () {
	grep -v '^#end' "$1" | tiers-seal -r -o "$1.new" && rm -f "$1" && mv "$1.new" "$1"
}
# The line tiers-verify prints for a day that verifies.
okline () {
	m=$1/days/$2/MANIFEST
	echo "$2 ok $(grep -c '^file	' $m) files, MANIFEST sha256 $(sha256sum <$m | cut -d' ' -f1)"
}

test_expect_success 'setup: the three sample days published' '
	mkdir -p data/inbox &&
	cp -R "$sample"/$d1 "$sample"/$d2 "$sample"/$d3 data/inbox/ &&
	tiers-nightly -I $d1 data >/dev/null 2>&1 &&
	test_expect_code 1 tiers-nightly $d2 data >/dev/null 2>&1 &&
	tiers-nightly $d3 data >/dev/null 2>&1 &&
	for d in $d1 $d2 $d3; do tiers-seal -q data/days/$d/MANIFEST || exit 1; done
'

test_expect_success 'verify: every day verifies, a line each' '
	tiers-verify data >out 2>err &&
	test_must_be_empty err &&
	{ okline data $d1 && okline data $d2 && okline data $d3; } >expect &&
	test_cmp expect out
'

test_expect_success 'verify: a range of days, from one day, one day' '
	tiers-verify data $d2 >out &&
	{ okline data $d2 && okline data $d3; } >expect &&
	test_cmp expect out &&
	tiers-verify data $d2 $d2 >out &&
	okline data $d2 >expect &&
	test_cmp expect out &&
	tiers-verify data 2026-11-01 $d1 >out &&
	okline data $d1 >expect &&
	test_cmp expect out
'

test_expect_success 'verify: usage, dates, no data directory, no day' '
	test_expect_code 64 tiers-verify 2>err &&
	grep "^usage: tiers-verify datadir \[from \[to\]\]\$" err &&
	test_expect_code 64 tiers-verify data $d1 $d2 $d3 2>err &&
	test_expect_code 64 tiers-verify -x data 2>err &&
	test_expect_code 64 tiers-verify data 2026-13-01 2>err &&
	grep "^tiers-verify: 2026-13-01: not an ISO 8601 date (YYYY-MM-DD)\$" err &&
	test_expect_code 64 tiers-verify data $d3 $d1 2>err &&
	grep "^tiers-verify: $d3 is after $d1\$" err &&
	test_expect_code 66 tiers-verify nodata 2>err &&
	grep "^tiers-verify: nodata: no such data directory\$" err &&
	mkdir empty &&
	test_expect_code 66 tiers-verify empty 2>err &&
	grep "^tiers-verify: empty: no published day (no empty/days)\$" err &&
	test_expect_code 66 tiers-verify data 2026-11-21 >out 2>err &&
	grep "^tiers-verify: data: no day published from 2026-11-21\$" err &&
	test_must_be_empty out
'

test_expect_success 'verify: an edited file' '
	copy e &&
	echo edited >>e/days/$d2/out/decisions.tsv &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	cat >expect <<-EOF &&
	tiers-verify: days/$d2/out/decisions.tsv: sha256 differs from the MANIFEST
	tiers-verify: 1 of 3 days do not verify
	EOF
	test_cmp expect err &&
	{ okline e $d1 && echo "$d2 differs" && okline e $d3; } >expect &&
	test_cmp expect out
'

test_expect_success 'verify: a deleted file' '
	copy e &&
	rm e/days/$d3/log/dedup.err &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	grep "^tiers-verify: days/$d3/log/dedup.err: missing (listed in the MANIFEST)\$" err &&
	test $(grep -c "^tiers-verify: days/" err) = 1 &&
	grep "^$d3 differs\$" out
'

test_expect_success 'verify: an added file, and a symbolic link' '
	copy e &&
	echo extra >e/days/$d1/out/extra.tsv &&
	ln -s ../summary.tsv e/days/$d1/state/link &&
	mkdir e/days/$d1/tmp && echo x >e/days/$d1/tmp/x &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	cat >expect <<-EOF &&
	tiers-verify: days/$d1/out/extra.tsv: not in the MANIFEST (an addition)
	tiers-verify: days/$d1/state/link: not a regular file, and not in the MANIFEST (an addition)
	tiers-verify: days/$d1/tmp/x: not in the MANIFEST (an addition)
	tiers-verify: 1 of 3 days do not verify
	EOF
	test_cmp expect err &&
	grep "^$d1 differs\$" out
'

test_expect_success 'verify: an edited MANIFEST fails its seal' '
	copy e &&
	m=e/days/$d2/MANIFEST &&
	chmod u+w $m &&
	sed "s/^\(file	out\/decisions.tsv	\).*/\1$(sha256sum <e/days/$d2/summary.tsv | cut -d" " -f1)/" $m >m &&
	cp m $m &&
	test_expect_code 1 tiers-verify e 2>err &&
	grep "^tiers-verify: days/$d2/MANIFEST: not a whole sealed stream: tiers-seal: .*MANIFEST:[0-9]*: trailer: " err &&
	grep "^tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): days/$d2/MANIFEST is not the one $d3 was built on, and days/$d2 does not verify either\$" err &&
	grep "^tiers-verify: 2 of 3 days do not verify\$" err
'

test_expect_success 'verify: a file and its MANIFEST forged together break the chain' '
	copy e &&
	echo forged >>e/days/$d2/out/decisions.tsv &&
	m=e/days/$d2/MANIFEST &&
	chmod u+w $m &&
	sed "s/^\(file	out\/decisions.tsv	\).*/\1$(sha256sum <e/days/$d2/out/decisions.tsv | cut -d" " -f1)/" $m >m &&
	cp m $m && seal $m &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	cat >expect <<-EOF &&
	tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): $d2 was re-run after $d3 was built: re-run from $d3, then each later day in order
	tiers-verify: 1 of 3 days do not verify
	EOF
	test_cmp expect err &&
	grep "^$d2 ok " out && grep "^$d3 differs\$" out
'

test_expect_success 'verify: the MANIFEST of one day copied over another' '
	copy e &&
	cp -f e/days/$d1/MANIFEST e/days/$d2/MANIFEST &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	grep "^tiers-verify: days/$d2/MANIFEST: business_date is $d1, not $d2 (the MANIFEST of another day, or day directories swapped)\$" err &&
	grep "^tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): " err &&
	test $(grep -c "^tiers-verify: days/" err) = 2 &&
	cat >expect <<-EOF &&
	$(okline e $d1)
	$d2 differs
	$d3 differs
	EOF
	test_cmp expect out
'

test_expect_success 'verify: two day directories swapped' '
	copy e &&
	mv e/days/$d1 e/days/x && mv e/days/$d2 e/days/$d1 && mv e/days/x e/days/$d2 &&
	test_expect_code 1 tiers-verify e 2>err &&
	grep "^tiers-verify: days/$d1/MANIFEST: business_date is $d2, not $d1 " err &&
	grep "^tiers-verify: days/$d2/MANIFEST: business_date is $d1, not $d2 " err &&
	grep "^tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): " err
'

test_expect_success 'verify: MANIFEST lines reordered, then sealed again' '
	copy e &&
	m=e/days/$d1/MANIFEST &&
	chmod u+w $m &&
	{ sed -n 1,7p $m && sed -n 9p $m && sed -n 8p $m && sed -n "10,\$p" $m; } >m &&
	cp m $m &&
	test_expect_code 1 tiers-verify e $d1 $d1 2>err &&
	grep "^tiers-verify: days/$d1/MANIFEST: not a whole sealed stream: " err &&
	seal $m &&
	test_expect_code 1 tiers-verify e $d1 $d1 2>err &&
	grep "^tiers-verify: days/$d1/MANIFEST:9: file .* is not after .* (rows reordered?)\$" err &&
	{ sed -n 1,2p $m && sed -n 4p $m && sed -n 3p $m && sed -n "5,\$p" $m; } >m &&
	cp m $m && seal $m &&
	test_expect_code 1 tiers-verify e $d1 $d1 2>err &&
	grep "^tiers-verify: days/$d1/MANIFEST:3: row 2 is not the day row previous (rows reordered?)\$" err
'

test_expect_success 'verify: a broken chain, an earlier day re-run with a changed input' '
	copy e &&
	mv e/days/$d3 aside &&
	rm e/inbox/$d2/noemie-01931.580 &&
	test_expect_code 1 tiers-nightly $d2 e >/dev/null 2>&1 &&
	mv aside e/days/$d3 &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	cat >expect <<-EOF &&
	tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): $d2 was re-run after $d3 was built: re-run from $d3, then each later day in order
	tiers-verify: 1 of 3 days do not verify
	EOF
	test_cmp expect err &&
	grep "^$d2 ok " out &&
	test_expect_code 1 tiers-verify e $d3 2>err &&
	grep "^tiers-verify: days/$d3: does not match its previous day $d2 (stale or edited): days/$d2/MANIFEST is not the one $d3 was built on; if days/$d2 verifies, re-run from $d3, then each later day in order\$" err
'

test_expect_success 'verify: a day gone from the chain, a day without MANIFEST, a day marked stale' '
	copy e &&
	rm -rf e/days/$d2 &&
	test_expect_code 1 tiers-verify e 2>err &&
	grep "^tiers-verify: days/$d3: built on $d2, and days/$d2 does not exist (the chain is broken)\$" err &&
	copy e &&
	rm -f e/days/$d1/MANIFEST &&
	echo "$d2 was re-run after this day was built on it" >e/days/$d3/STALE &&
	test_expect_code 1 tiers-verify e >out 2>err &&
	grep "^tiers-verify: days/$d1: no MANIFEST (made by software older than MANIFESTs): not verified\$" err &&
	grep "^tiers-verify: days/$d2: does not match its previous day $d1 " err &&
	grep "^tiers-verify: days/$d3: marked stale: $d2 was re-run after this day was built on it\$" err &&
	! grep STALE err &&
	cat >expect <<-EOF &&
	$d1 not verified: no MANIFEST
	$d2 differs
	$d3 differs
	EOF
	test_cmp expect out
'

test_expect_success 'verify: a write error on the standard output' '
	test_expect_code 74 tiers-verify data >/dev/full 2>err &&
	grep "^tiers-verify: standard output: write error\$" err
'

test_expect_success 'replay: every sample day gives its MANIFEST again, the scratch directory removed' '
	mkdir tmp &&
	for d in $d1 $d2 $d3; do
		TMPDIR=$PWD/tmp tiers-replay $d data >out 2>err || exit 1
		test_must_be_empty err &&
		echo "$d replayed: the same $(grep -c "^file	" data/days/$d/MANIFEST) files" >expect &&
		test_cmp expect out || exit 1
	done &&
	test -z "$(ls -A tmp)" &&
	tiers-verify data >/dev/null
'

test_expect_success 'replay: a day forced (-f) and run without a file (-w), with its options' '
	copy e &&
	mkdir e/inbox/2026-11-21 &&
	cp "$sample"/$d3/ps.tsv "$sample"/$d3/pec.tsv e/inbox/2026-11-21/ &&
	test_expect_code 1 tiers-nightly -f -w ps.tsv 2026-11-21 e >/dev/null 2>&1 &&
	grep "^day	options	-f -w ps.tsv\$" e/days/2026-11-21/MANIFEST &&
	tiers-replay 2026-11-21 e >out &&
	grep "^2026-11-21 replayed: the same [0-9]* files\$" out &&
	tiers-verify e >out &&
	grep "^2026-11-21 ok " out
'

test_expect_success 'replay: an archived input changed' '
	copy e &&
	chmod u+w e/days/$d3/in/ps.tsv &&
	echo edited >>e/days/$d3/in/ps.tsv &&
	test_expect_code 1 tiers-replay $d3 e >out 2>err &&
	cat >expect <<-EOF &&
	different in/.MANIFEST
	different in/ps.tsv
	different log/receive.err
	different summary.tsv
	EOF
	test_cmp expect out &&
	grep "^tiers-replay: $d3: the replay differs from the archive: 4 of [0-9]* files\$" err
'

test_expect_success 'replay: the previous day re-run with a changed input' '
	copy e &&
	mv e/days/$d3 aside &&
	rm e/inbox/$d2/noemie-01931.580 &&
	test_expect_code 1 tiers-nightly $d2 e >/dev/null 2>&1 &&
	mv aside e/days/$d3 &&
	test_expect_code 1 tiers-replay $d3 e >out 2>err &&
	grep "^tiers-replay: $d3: previous_manifest differs: days/$d2/MANIFEST is not the one $d3 was built on (stale or edited; see tiers-verify)\$" err &&
	grep "^different state/consumption/$d3.tsv\$" out &&
	grep "^different state/decoded-files.tsv\$" out &&
	grep "^tiers-replay: $d3: the replay differs from the archive: [1-9][0-9]* of [0-9]* files\$" err
'

test_expect_success 'replay: the previous day state edited' '
	copy e &&
	sed "s/$d1\$/2026-11-17/" data/days/$d2/state/generation.tsv >g &&
	cp -f g e/days/$d2/state/generation.tsv && seal e/days/$d2/state/generation.tsv &&
	test_expect_code 1 tiers-replay $d3 e >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-EOF &&
	tiers-replay: days/$d2: its state is not as its MANIFEST says (see tiers-verify): the replay does not start from the previous day as archived
	tiers-replay: $d3: every file is the same, but not all is as archived (see above)
	EOF
	test_cmp expect err
'

test_expect_success 'replay: only the software differs' '
	copy e &&
	m=e/days/$d1/MANIFEST &&
	chmod u+w $m &&
	sed "s/^day	software	.*/day	software	v0.9/" $m >m && cp m $m && seal $m &&
	test_expect_code 1 tiers-replay $d1 e >out 2>err &&
	test_must_be_empty out &&
	grep "^tiers-replay: $d1: built by tiers v0.9, replayed by tiers .*: a replay vouches for a day only with the software that built it\$" err &&
	grep "^tiers-replay: $d1: only the software differs (v0.9, .*): every file is the same, but the replay proves nothing for another version\$" err
'

test_expect_success 'replay: usage, no such day, no MANIFEST, a broken MANIFEST' '
	test_expect_code 64 tiers-replay $d1 2>err &&
	grep "^usage: tiers-replay date datadir\$" err &&
	test_expect_code 64 tiers-replay -x $d1 data 2>err &&
	test_expect_code 64 tiers-replay 2026-11-32 data 2>err &&
	grep "^tiers-replay: 2026-11-32: not an ISO 8601 date (YYYY-MM-DD)\$" err &&
	test_expect_code 66 tiers-replay $d1 nodata 2>err &&
	grep "^tiers-replay: nodata: no such data directory\$" err &&
	test_expect_code 66 tiers-replay 2026-11-23 data 2>err &&
	grep "^tiers-replay: 2026-11-23: no such day (data/days/2026-11-23)\$" err &&
	copy e &&
	rm -f e/days/$d1/MANIFEST &&
	test_expect_code 66 tiers-replay $d1 e 2>err &&
	grep "^tiers-replay: days/$d1: no MANIFEST (made by software older than MANIFESTs): nothing to compare with\$" err &&
	cp -f data/days/$d2/MANIFEST e/days/$d1/MANIFEST &&
	test_expect_code 65 tiers-replay $d1 e 2>err &&
	grep "^tiers-replay: days/$d1/MANIFEST: business_date is $d2, not $d1 (see tiers-verify)\$" err &&
	echo >>e/days/$d1/MANIFEST &&
	test_expect_code 65 tiers-replay $d1 e 2>err &&
	grep "^tiers-replay: days/$d1/MANIFEST: not a whole sealed manifest stream of version 1 (see tiers-verify)\$" err &&
	m=e/days/$d3/MANIFEST &&
	chmod u+w $m &&
	sed "s/^day	options	.*/day	options	-z/" $m >m && cp m $m && seal $m &&
	test_expect_code 65 tiers-replay $d3 e 2>err &&
	grep "^tiers-replay: days/$d3/MANIFEST: options: -z: not an option tiers-replay knows\$" err
'

test_expect_success 'replay: the nightly fails, exit 70 with its messages' '
	copy e &&
	head -n 5 data/days/$d2/state/consumption/$d2.tsv >c &&
	rm -f e/days/$d2/state/consumption/$d2.tsv &&
	cp c e/days/$d2/state/consumption/$d2.tsv &&
	test_expect_code 70 tiers-replay $d3 e >out 2>err &&
	test_must_be_empty out &&
	grep "^ *liquidate: .*/days/$d2/state/consumption/$d2.tsv: trailer: no trailer" err &&
	grep "^tiers-replay: $d3: the replay failed: tiers-nightly $d3 exited 70 (its scratch directory is removed)\$" err
'

test_expect_success 'replay: killed, it stops the nightly and removes its scratch directory' '
	mkdir -p fake tmp2 &&
	printf "#!/bin/sh\ntouch \"\$MARK\"\nexec sleep 30\n" >fake/tiers-nightly &&
	chmod +x fake/tiers-nightly &&
	MARK=$PWD/mark TMPDIR=$PWD/tmp2 PATH=$PWD/fake:$PATH tiers-replay $d3 data 2>err &
	pid=$! &&
	n=0 &&
	while ! test -f mark && test $n -lt 100; do sleep 0.1; n=$((n + 1)); done &&
	test -f mark &&
	test -n "$(ls -A tmp2)" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 143 &&
	test -z "$(ls -A tmp2)"
'

test_expect_success 'replay: a write error on the standard output' '
	test_expect_code 74 tiers-replay $d1 data >/dev/full 2>err &&
	grep "^tiers-replay: standard output: write error\$" err
'

test_done
