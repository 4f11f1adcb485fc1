#!/bin/sh
test_description='tiers-sum: its lanes, libcrypto (-r) and sha256sum agree'
. "$(dirname "$0")/test-lib.sh"

# Files of every length around SHA-256's padding (a block is 64 bytes, the
# length takes 8 and the end mark 1), empty ones, and larger ones up to
# 3 MB, more than 16 so that lanes free up and take the next, in an order
# that mixes the lengths so that lanes end at different times.
test_expect_success 'setup: files of varied sizes' '
	seq 400000 >seq &&
	: >names &&
	for n in 0 1 55 56 63 64 65 119 120 127 128 1000 0 3000000 4095 4096 4097; do
		head -c $n seq >f$n.$(wc -l <names | tr -d " ") &&
		ls f$n.* | tail -n 1 >>names || exit 1
	done &&
	i=0 &&
	while test $i -lt 30; do
		head -c $(((i * 7919) % 90000 + (i % 3) * 700000)) seq >r$i &&
		echo r$i >>names && i=$((i + 1)) || exit 1
	done &&
	test $(wc -l <names) = 47 &&
	sha256sum $(cat names) >want
'

test_expect_success 'the lanes at each width, and -r, give sha256sum digests' '
	for w in "" 1 4 8 16; do
		for j in 1 2; do
			TIERS_SHA_WIDTH=$w tiers-sum -j $j -f names >got &&
			test_cmp want got || exit 1
		done
	done &&
	tiers-sum -r -f names >got && test_cmp want got &&
	tiers-sum -r -j 1 $(cat names) >got && test_cmp want got
'

# Files larger than the 4 MiB a lane hashes between two givings back of
# its pages, of lengths that end a step, a page and a block anywhere:
# the same digests at each width.
test_expect_success 'files of several releases of pages, at each width' '
	seq 2100000 >big0 &&
	head -c 9437248 big0 >big1 &&
	head -c 12582911 big0 >big2 &&
	head -c 4194305 big0 >big3 &&
	sha256sum big0 big1 big2 big3 >bigwant &&
	for w in "" 1 4 8 16; do
		TIERS_SHA_WIDTH=$w tiers-sum big0 big1 big2 big3 >got &&
		test_cmp bigwant got || exit 1
	done
'

# Forty files as large: more than one thread's 16 lanes take in the
# largest file's steps, so -j 2 and -j 3 run that many threads, each
# taking the next file as a lane frees.
test_expect_success 'several threads (files of one size), at each width' '
	: >even &&
	i=0 &&
	while test $i -lt 40; do
		head -c $((200000 + i)) seq >e$i &&
		echo e$i >>even && i=$((i + 1)) || exit 1
	done &&
	sha256sum $(cat even) >wante &&
	for w in "" 4 8 16; do
		for j in 2 3; do
			TIERS_SHA_WIDTH=$w tiers-sum -j $j -f even >got &&
			test_cmp wante got || exit 1
		done
	done
'

test_expect_success 'a missing file: the same message and status as -r' '
	test_expect_code 66 tiers-sum f1.1 nosuch f1000.11 >got 2>err &&
	test_expect_code 66 tiers-sum -r f1.1 nosuch f1000.11 >rgot 2>rerr &&
	test_cmp rerr err && test_cmp rgot got &&
	grep -F "tiers-sum: nosuch: No such file or directory" err &&
	sha256sum f1.1 f1000.11 >want2 && test_cmp want2 got
'

test_expect_success 'a directory: read as -r reads it, the same message and status' '
	mkdir dir &&
	test_expect_code 74 tiers-sum f0.0 dir >got 2>err &&
	test_expect_code 74 tiers-sum -r f0.0 dir >rgot 2>rerr &&
	test_cmp rerr err && test_cmp rgot got &&
	grep -F "tiers-sum: dir: Is a directory" err
'

test_expect_success 'a pipe, not mapped but read to its end' '
	mkfifo pipe &&
	{ cat f1000.11 >pipe & } &&
	tiers-sum pipe f55.2 >got &&
	wait &&
	sed "s/f1000.11/pipe/" want >w &&
	grep -F "  pipe" w >want3 && grep -F "  f55.2" want >>want3 &&
	test_cmp want3 got
'

# -F: a list that grows (a regular file, written in parts, a line cut
# in two between them), followed until an empty line; each file's line
# told as its sum comes, the line, a tab and the digest.
# fsum LIST OUT: the sums of -F's output, as sha256sum prints them, in
# the order of names.
fsum () {
	awk -F "	" "{ print \$NF \"  \" \$1 }" "$2" >fsum.tmp &&
	while read -r n; do grep -F "  $n" fsum.tmp | grep -x ".*  $n" || exit 1; done <"$1"
}

test_expect_success '-F: a list followed as it grows, at each width, lanes taking the files as they come' '
	for w in "" 1 4 16; do
		for r in "" -r; do
			: >q &&
			{ TIERS_SHA_WIDTH=$w tiers-sum $r -j 2 -F q >fgot 2>ferr & } &&
			sed -n "1,20p" names | sed "s/\$/	x	y z/" >>q &&
			sleep 0.2 &&
			sed -n "21,40p" names | sed "s/\$/	x	y z/" >part &&
			head -c 37 part >>q && sleep 0.1 && tail -c +38 part >>q &&
			sed -n "41,\$p" names | sed "s/\$/	x	y z/" >>q &&
			echo >>q &&
			wait $! &&
			test_must_be_empty ferr &&
			test "$(grep -c . fgot)" = 47 &&
			grep -c "^[^	]*	x	y z	[0-9a-f]\{64\}\$" fgot >n &&
			echo 47 >n47 && test_cmp n47 n &&
			fsum names fgot >got && test_cmp want got || exit 1
		done
	done
'

test_expect_success '-F: lines after the empty one are not read; a pipe ends the list at its end' '
	{ head -n 3 names && echo && echo r1; } >q2 &&
	tiers-sum -F q2 >fgot &&
	head -n 3 names >n3 && fsum n3 fgot >got && head -n 3 want >w3 && test_cmp w3 got &&
	test "$(grep -c . fgot)" = 3 &&
	head -n 5 names | tiers-sum -F - >fgot &&
	head -n 5 names >n5 && fsum n5 fgot >got && head -n 5 want >w5 && test_cmp w5 got
'

test_expect_success '-F: a file missing told at once, the others hashed, status 66; -F with other names is bad usage' '
	{ echo f1.1 && echo nosuch && echo r2 && echo; } >q3 &&
	test_expect_code 66 tiers-sum -F q3 >fgot 2>err &&
	grep -F "tiers-sum: nosuch: No such file or directory" err &&
	test "$(grep -c . fgot)" = 2 &&
	test_expect_code 64 tiers-sum -F q3 f1.1 2>err &&
	test_expect_code 64 tiers-sum -F q3 -f names 2>err
'

test_expect_success '-F: the writer of the list gone before its end, tiers-sum stops (75)' '
	: >q4 &&
	sh -c "tiers-sum -F q4 >/dev/null 2>err4 & echo \$! >pid4; sleep 1" &&
	n=0 && while kill -0 "$(cat pid4)" 2>/dev/null && test $n -lt 50; do sleep 0.1; n=$((n + 1)); done &&
	! kill -0 "$(cat pid4)" 2>/dev/null &&
	grep -F "tiers-sum: q4: its writer is gone before its end" err4
'

test_expect_success 'the width knob takes 1, 4, 8 or 16 alone' '
	test_expect_code 64 env TIERS_SHA_WIDTH=3 tiers-sum f1.1 2>err &&
	grep -F "TIERS_SHA_WIDTH=3: not 1, 4, 8 or 16" err &&
	test_expect_code 64 tiers-sum -x 2>err &&
	grep -F "usage: tiers-sum [-r] [-j jobs] [-f list] [file ...]" err &&
	grep -F "       tiers-sum [-r] [-j jobs] -F list" err
'

test_done
