#!/bin/sh
test_description='the record-stream contract: tiers-seal verifies and re-seals'
. "$(dirname "$0")/test-lib.sh"

T=$(printf '\t')

test_expect_success 'setup: a stream sealed from hand-written records' '
	printf "#tiers\tdemo\t1\tid\tfr_eur\tbr_eur\tnote\n" >raw &&
	printf "a1\t30.00\t25.00\tfirst\n" >>raw &&
	printf "a2\t-4.50\t\tsecond\n" >>raw &&
	printf "a3\t0.01\t100.00\tété\n" >>raw &&
	tiers-seal -r <raw >good &&
	tail -n 1 good >trailer &&
	printf "#end2\t3\t150.51\t%s\n" "$(cut -f4 trailer)" >expect &&
	test_cmp expect trailer &&
	head -n 4 good >body &&
	test_cmp raw body
'

test_expect_success 'the CRC-32 covers exactly the header and record lines' '
	sed -n "1,4p" good | gzip -c >recs.gz &&
	want=$(cut -f4 trailer) &&
	got=$(tail -c 8 recs.gz | od -An -tx4 -N4 | tr -d " ") &&
	test "$want" = "$got"
'

test_expect_success 'a good stream verifies' '
	tiers-seal good >out &&
	printf "good\tdemo\t1\t3\t150.51\t%s\n" "$(cut -f4 trailer)" >expect &&
	test_cmp expect out &&
	tiers-seal -q good >out &&
	test_must_be_empty out &&
	tiers-seal <good >out && grep -q "^-	demo	1	3	" out
'

# A table of broken streams: name, how to break the good one, message.
cat >cases <<\EOC
notrailer	sed '$d'	:4: trailer: no trailer: stream truncated or its writer failed
count	sed '$s/^#end2\t3/#end2\t4/'	:5: trailer: record count 4 but 3 records read
sum	sed '$s/150.51/150.52/'	:5: trailer: control sum 150.52 but records sum to 150.51
crc	sed '$s/\t[0-9a-f]*$/\t00000000/'	:5: trailer: CRC-32 00000000 but header and lines give
swapcols	sed '1s/fr_eur\tbr_eur/br_eur\tfr_eur/'	:5: trailer: CRC-32
renamecol	sed '1s/note/nota/'	:5: trailer: CRC-32
hdrversion	sed '1s/\t1\t/\t2\t/'	:5: trailer: CRC-32
hdrkind	sed '1s/demo/dema/'	:5: trailer: CRC-32
addmeta	sed '1a#business_date\t2026-11-18'	:6: trailer: CRC-32
oldtrailer	sed '$s/^#end2/#end/'	:5: trailer: CRC-32
oldtag	sed '$s/^#end2/#end3/'	:5: trailer: no trailer: stream truncated or its writer failed
editedrec	sed '2s/30.00/31.00/'	:5: trailer: control sum 150.51 but records sum to 151.51
editednote	sed '2s/first/frist/'	:5: trailer: CRC-32
crlf	sed 's/$/\r/'	:1: header: carriage return (CRLF line end?)
crlfrec	sed '3s/$/\r/'	:3: note: carriage return (CRLF line end?)
nul	sed '3s/second/sec\x00nd/'	:3: note: NUL byte
ctl	sed '3s/second/sec\x01nd/'	:3: note: control character
latin1	sed '3s/second/s\xe9cond/'	:3: note: invalid UTF-8
overlong	awk 'NR==3{printf "%s", $1 "\t" $2 "\t" $3 "\t"; for(i=0;i<70000;i++) printf "x"; print ""; next} {print}'	:3: line too long
fields	sed '3s/\tsecond//'	:3: 3 fields, the header names 4
manyfields	awk 'NR==3{s=$0; for(i=0;i<40;i++) s=s "\tx"; print s; next} 1'	:3: 44 fields, the header names 4
toomanyfields	awk 'NR==3{s=$0; for(i=0;i<100;i++) s=s "\tx"; print s; next} 1'	:3: 104 fields, the header names 4
manyctl	awk 'NR==3{s=$0; for(i=0;i<40;i++) s=s "\tx"; print s "\tx\001y"; next} 1'	:3: control character
money	sed '3s/-4.50/-4,50/'	:3: fr_eur: comma as decimal mark
money3	sed '3s/-4.50/-4.500/'	:3: fr_eur: not exactly two decimals
money0	sed '3s/-4.50/-04.50/'	:3: fr_eur: not canonical (a leading zero, or -0.00)
moneyneg0	sed '3s/-4.50/-0.00/'	:3: fr_eur: not canonical (a leading zero, or -0.00)
after	sed '$aextra'	:6: data after the trailer
nonl	head -c -1	:5: trailer: no final newline
noheader	sed 1d	:1: header: not a tiers stream (no #tiers header)
badcol	sed '1s/note/No-te/'	:1: header: bad column name
dupcol	sed '1s/note/id/'	:1: header: duplicate column name
version	sed '1s/\t1\t/\tx\t/'	:1: header: bad stream version
empty	true	:1: header: empty stream: no header
hdronly	head -n 1	:1: trailer: no trailer: stream truncated or its writer failed
hdronlynonl	{ head -n 1 | tr -d '\n'; }	:1: trailer: no trailer: stream truncated or its writer failed
hugeversion	sed '1s/\t1\t/\t99999999999999999999\t/'	:1: header: bad stream version
longversion	sed '1s/\t1\t/\t1x999999999999999999\t/'	:1: header: bad stream version
zeroversion	sed '1s/\t1\t/\t0\t/'	:1: header: bad stream version
negversion	sed '1s/\t1\t/\t-1\t/'	:1: header: bad stream version
EOC

while IFS="$T" read -r name how msg; do
	test_expect_success "refused: $name" "
		$how <good >$name &&
		test_expect_code 65 tiers-seal $name 2>err &&
		grep -F 'tiers-seal: $name$msg' err
	"
done <cases

# Bytes are checked eight at a time: a bad byte at every place in a word,
# and a good multi-byte character at every place, around a tab.
for pos in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	test_expect_success "a bad byte found at offset $pos of a field" "
		awk -F'$T' -v p=$pos 'NR==3 { s = \"abcdefghijklmnopqrstuvw\"; \$4 = substr(s, 1, p) \"\\177\" substr(s, p + 1) } 1' OFS='$T' good >del$pos &&
		test_expect_code 65 tiers-seal del$pos 2>err &&
		grep -F 'del$pos:3: note: DEL character' err &&
		awk -F'$T' -v p=$pos 'NR==3 { s = \"abcdefghijklmnopqrstuvw\"; \$4 = substr(s, 1, p) \"\\201\" substr(s, p + 1) } 1' OFS='$T' good >hi$pos &&
		test_expect_code 65 tiers-seal hi$pos 2>err &&
		grep -F 'hi$pos:3: note: invalid UTF-8' err &&
		awk -F'$T' -v p=$pos 'NR==3 { s = \"abcdefghijklmnopqrstuvw\"; \$4 = substr(s, 1, p) \"\\037\" substr(s, p + 1) } 1' OFS='$T' good >us$pos &&
		test_expect_code 65 tiers-seal us$pos 2>err &&
		grep -F 'us$pos:3: note: control character' err &&
		awk -F'$T' -v p=$pos 'NR==3 { s = \"abcdefghijklmnopqrstuvw\"; \$4 = substr(s, 1, p) \"\\303\\251\" substr(s, p + 1) } 1' OFS='$T' good | sed '\$d' | tiers-seal -r >ok$pos &&
		tiers-seal -q ok$pos
	"
done

test_expect_success 'tabs after a multi-byte character in the same word' '
	printf "#tiers\tdemo\t1\tid\tfr_eur\tbr_eur\tnote\n" >mb &&
	printf "\303\251\t1.00\t\t\303\251\n" >>mb &&
	printf "x\303\251\t2.00\t3.00\tz\n" >>mb &&
	tiers-seal -r <mb >mbs &&
	tiers-seal mbs >out &&
	grep -q "	demo	1	2	6.00	" out
'

# The reader's split looks at 32 bytes at a time (SSE2), or at 64 where
# the processor has AVX2; TIERS_SPLIT=sse2 asks for the first (avx2, as
# any other value, for the processor's).  Both give the same message for
# a bad byte at every offset of a line of 200 bytes (each 64-byte step
# and the part of one at its end), in plain text and among accents, and
# take accents at every offset.
test_expect_success 'setup: long lines, a bad byte at every offset of one' '
	awk -v T="$T" "BEGIN {
		a = \"abcdefghijklmnopqrstuvwxyz0123456789\"; a = a a a a a a;
		u = \"\"; while (length(u) < 800) u = u \"ab\303\251cd\342\202\254e\360\237\230\200f\";
		n = split(\"\177,\201,\037,\015,\011,\303,\300\", c, \",\");
		h = \"#tiers\" T \"demo\" T 1 T \"id\" T \"fr_eur\" T \"br_eur\" T \"note\";
		for (p = 0; p < 196; p++) {
			for (k = 1; k <= n; k++) {
				f = \"a\" k \"-\" p;
				print h > f;
				print \"a1\" T \"1.00\" T \"\" T substr(a, 1, 190) > f;
				print \"a2\" T \"-4.50\" T \"\" T substr(a, 1, p) c[k] substr(a, p + 1, 190 - p) > f;
				print \"#end2\" T 2 T \"-3.50\" T \"00000000\" > f;
				close(f);
				f = \"u\" k \"-\" p;
				print h > f;
				print \"a2\" T \"-4.50\" T \"\" T substr(u, 1, p) c[k] substr(u, p + 1, 190 - p) > f;
				print \"#end2\" T 1 T \"-4.50\" T \"00000000\" > f;
				close(f);
			}
			f = \"r\" p;
			print h > f;
			print \"a2\" T \"-4.50\" T \"\" T substr(a, 1, p) \"\303\251\" substr(a, p + 1, 190 - p) substr(u, 1, 15 * (p % 5)) > f;
			close(f);
		}
	}" &&
	for p in $(seq 0 195); do
		tr "\\177" "\\000" <a1-$p >a8-$p &&
		tr "\\177" "\\000" <u1-$p >u8-$p || return 1
	done &&
	for p in 0 1 63 64 65 127 128 129 195; do
		printf "a1-%s:3: note: DEL character\n" $p &&
		printf "a2-%s:3: note: invalid UTF-8\n" $p &&
		printf "a3-%s:3: note: control character\n" $p &&
		printf "a4-%s:3: note: carriage return (CRLF line end?)\n" $p &&
		printf "a5-%s:3: 5 fields, the header names 4\n" $p &&
		printf "a8-%s:3: note: NUL byte\n" $p || return 1
	done | sed "s/^/tiers-seal: /" | sort >lexpect &&
	for p in 0 1 63 64 65 127 128 129 195; do
		tiers-seal -r <r$p >lok$p || return 1
	done
'

for w in sse2 avx2; do
	test_expect_success "TIERS_SPLIT=$w: the same messages at every offset" "
		ls a*-* u*-* | sort >files &&
		test_expect_code 65 env TIERS_SPLIT=$w tiers-seal \$(cat files) >out 2>err.$w &&
		test \$(wc -l <err.$w) = \$(wc -l <files) &&
		grep -F -f lexpect err.$w | sort >got &&
		test_cmp lexpect got &&
		if test $w != sse2; then test_cmp err.sse2 err.$w; fi &&
		env TIERS_SPLIT=$w tiers-seal -q lok*
	"
done

# Verification in parallel parts (ts_scan) says what the sequential
# reader says: each broken stream, plain (parts; TIERS_SCAN_MIN=1 cuts even
# a small file in two) against the same bytes gzipped (read in sequence).
test_expect_success 'setup: a stream of 3000 records with metadata' '
	awk "BEGIN { printf \"#tiers\\tdemo\\t1\\tid\\tfr_eur\\tnote\\n\";
		for (i = 1; i <= 3000; i++) {
			if (i == 1700) print \"#meta\\tmiddle\";
			printf \"r%d\\t%d.%02d\\tn%d\\n\", i, i, i % 100, i }
	}" | tiers-seal -r >big &&
	tiers-seal big >out &&
	grep -q "	demo	1	3000	45" out
'
cat >pcases <<\EOC
good	cat
early	sed '10s/n/\x01/'
late	sed '2500s/n/\x01/'
both	sed -e '2500s/n/\x7f/' -e '900s/n/\x80/'
fields	sed '2999s/\tn/ n/'
money	sed '2200s/\.\([0-9]\)/,\1/'
truncated	sed '$d'
midtrailer	sed '2000{p;s/.*/#end\t1\t0.00\t00000000/;}'
goodtrailer	sed '$aextra'
nonl	head -c -1
lastnonl	{ sed '$d' | head -c -1; }
crc	sed '$s/\t[0-9a-f]*$/\t0000000f/'
metabad	sed '1701s/middle/mi\x02ddle/'
hdronly	head -n 1
hdronlynonl	{ head -n 1 | tr -d '\n'; }
long	awk 'NR==2600{printf "%s\t1.00\t", "x"; for(i=0;i<70000;i++) printf "x"; print ""; next} {print}'
swapcols	sed '1s/\tid\tfr_eur\tnote/\tnote\tfr_eur\tid/'
metaval	sed '1701s/middle/muddle/'
metadel	sed 1701d
metaadd	sed '2a#business_date\t2026-11-18'
metaaddlate	sed '2900a#stage\tliquidate'
midtrailer2	sed '2000{p;s/.*/#end2\t1\t0.00\t00000000/;}'
EOC
while IFS="$T" read -r name how; do
	test_expect_success "parts and sequence agree: $name" "
		$how <big >$name.p &&
		gzip -c $name.p >$name.g &&
		TIERS_SCAN_MIN=1 tiers-seal $name.p >out.p 2>err.p; echo \$? >rc.p &&
		tiers-seal $name.g >out.g 2>err.g; echo \$? >rc.g &&
		test_cmp rc.g rc.p &&
		sed 's/\\.g:/.p:/; s/^$name\\.g/$name.p/' out.g >out.want &&
		test_cmp out.want out.p &&
		sed 's/\\.g:/.p:/' err.g >err.want &&
		test_cmp err.want err.p
	"
done <pcases

test_expect_success 'parts: the header and metadata lines are sealed' '
	for name in swapcols metaval metadel metaadd metaaddlate; do
		TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal $name.p 2>err &&
		grep "^tiers-seal: $name.p:300[0-9]: trailer: CRC-32 [0-9a-f]* but header and lines give" err ||
		return 1
	done &&
	TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal midtrailer2.p 2>err &&
	grep -F "midtrailer2.p:2001: trailer: record count 1 but 1998 records read" err
'

test_expect_success 'parts: errors name the right line' '
	TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal late.p 2>err &&
	grep -F "late.p:2500: note: control character" err &&
	TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal both.p 2>err &&
	grep -F "both.p:900: note: invalid UTF-8" err &&
	TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal goodtrailer.p 2>err &&
	grep -F "goodtrailer.p:3004: data after the trailer" err &&
	TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal midtrailer.p 2>err &&
	grep -F "midtrailer.p:2001: trailer: record count 1 but 1998 records read" err
'

test_expect_success 'an unreadable file is exit 66, and others are still checked' '
	test_expect_code 66 tiers-seal nosuchfile good >out 2>err &&
	grep "^tiers-seal: nosuchfile: No such file" err &&
	grep "^good	demo	1	3	" out
'

test_expect_success 'the worst status wins over several files' '
	test_expect_code 65 tiers-seal good notrailer crc >out 2>err &&
	test $(wc -l <err) = 2
'

test_expect_success 'gzip input is read transparently' '
	gzip -c good >good.gz &&
	tiers-seal good.gz >out &&
	grep "^good.gz	demo	1	3	150.51	" out &&
	tiers-seal <good.gz >out && grep "^-	demo	1	3	" out
'

test_expect_success 'concatenated gzip members are one stream' '
	head -n 2 good | gzip -c >cat.gz &&
	sed 1,2d good | gzip -c >>cat.gz &&
	tiers-seal -q cat.gz
'

test_expect_success 'bytes after the gzip data are an error, not ignored' '
	{ cat good.gz && echo junk; } >junk.gz &&
	test_expect_code 65 tiers-seal junk.gz 2>err &&
	grep "^tiers-seal: junk.gz:6: trailing garbage after gzip data" err &&
	test_expect_code 65 tiers-seal <junk.gz 2>err &&
	grep "^tiers-seal: -:6: trailing garbage after gzip data" err &&
	{ cat good.gz && printf "\0\0\0\0\0\0\0\0"; } >zeros.gz &&
	test_expect_code 65 tiers-seal zeros.gz 2>err &&
	grep "^tiers-seal: zeros.gz:6: trailing garbage after gzip data" err &&
	{ cat good.gz && printf "\037"; } >half.gz &&
	test_expect_code 65 tiers-seal half.gz 2>err &&
	grep "^tiers-seal: half.gz:6: trailing garbage after gzip data" err &&
	{ cat good.gz && printf "\037\213"; } >magic.gz &&
	test_expect_code 65 tiers-seal magic.gz 2>err &&
	grep "^tiers-seal: magic.gz:6: truncated gzip file" err
'

test_expect_success 'a gzip member whose CRC-32 is wrong is an error' '
	size=$(wc -c <good.gz) &&
	{ head -c $((size - 8)) good.gz && printf "\0\0\0\0" && tail -c 4 good.gz; } >badcrc.gz &&
	test_expect_code 65 tiers-seal badcrc.gz 2>err &&
	grep "^tiers-seal: badcrc.gz:[0-9]*: incorrect data check" err
'

test_expect_success 'a truncated gzip file is an error, not an end of file' '
	size=$(wc -c <good.gz) &&
	head -c $((size - 6)) good.gz >trunc.gz &&
	test_expect_code 65 tiers-seal trunc.gz 2>err &&
	grep "^tiers-seal: trunc.gz:[0-9]*: truncated gzip file" err
'

test_expect_success 'a gzip file cut inside its data is an error' '
	seq 1 20000 | awk "BEGIN{print \"#tiers\tn\t1\tk\"} {print}" | mkstream big &&
	gzip -c big >big.gz &&
	head -c 20000 big.gz >bigtrunc.gz &&
	test_expect_code 65 tiers-seal bigtrunc.gz 2>err &&
	grep "truncated gzip file" err
'

test_expect_success 're-seal a hand-edited stream' '
	sed "2s/30.00/31.00/" good >edited &&
	test_expect_code 65 tiers-seal -q edited 2>/dev/null &&
	tiers-seal -r -o edited edited &&
	tiers-seal edited >out &&
	grep "	3	151.51	" out &&
	test "$(test_mode edited)" = "-rw-------"
'

test_expect_success 're-seal keeps metadata lines, and the CRC covers them' '
	sed "2i\\
#business_date	2026-11-20" good >meta0 &&
	tiers-seal -r -o meta meta0 &&
	grep "^#business_date	2026-11-20\$" meta &&
	tiers-seal -q meta &&
	sed "s/2026-11-20/2026-11-21/" meta >meta2 &&
	test_expect_code 65 tiers-seal meta2 2>err &&
	grep "CRC-32" err
'

test_expect_success 're-seal refuses what is malformed beyond the trailer' '
	test_expect_code 65 tiers-seal -r -o resealed money 2>err &&
	grep ":3: fr_eur: comma as decimal mark" err &&
	! test -e resealed &&
	test -z "$(ls -a | grep "^\.resealed\.")"
'

test_expect_success 're-seal into a directory that does not exist is exit 73' '
	test_expect_code 73 tiers-seal -r -o nodir/out good 2>err &&
	grep "^tiers-seal: nodir/out: No such file or directory" err
'

test_expect_success 're-seal never replaces what is not a regular file: exit 73' '
	mkfifo fifo && mkdir dir && ln -s /dev/null null && ln -s good link &&
	cp good before &&
	for o in fifo:a\ FIFO dir:a\ directory null:a\ symbolic\ link link:a\ symbolic\ link; do
		test_expect_code 73 tiers-seal -r -o "${o%%:*}" edited 2>err &&
		echo "tiers-seal: ${o%%:*}: exists and is ${o#*:}: not replaced" >expect &&
		test_cmp expect err || return 1
	done &&
	test -p fifo && test -d dir && test -L null && test -L link &&
	test "$(readlink null)" = /dev/null && test -c null &&
	cmp good before &&
	test -z "$(ls -a | grep "^\.\(fifo\|dir\|null\|link\)\.")"
'

# The input a FIFO held open: the program waits in the middle of its
# output (past its first read, of 1 MiB), whose temporary a signal must
# remove.  sh(1) starts it with
# SIGINT ignored (and ignored it stays): env(1) gives back the default.
if env --default-signal=INT true 2>/dev/null; then
	test_set_prereq DEFSIG
fi
for sig in TERM INT HUP; do
	test $sig = INT && pre=DEFSIG || pre=
	test_expect_success $pre "SIG$sig while writing: its temporary goes, it dies of it" '
		rm -f sigin && mkfifo sigin || exit 1
		env ${pre:+--default-signal=INT} tiers-seal -r -o sigout - <sigin 2>err &
		pid=$!
		exec 3>sigin
		awk "BEGIN { print \"#tiers\tdemo\t1\tid\";
		    for (i = 0; i < 300000; i++) print \"r\" i }" >&3
		i=0
		while ! ls -A | grep -q "^\.sigout\." && test $i -lt 600; do
			sleep 0.1
			i=$((i + 1))
		done
		ls -A | grep "^\.sigout\." >tmps
		kill -'$sig' $pid
		exec 3>&-
		wait $pid
		echo $? >st
		test $(wc -l <tmps) = 1 &&
		test $(cat st) -gt 128 &&
		! ls -A | grep "^\.sigout\." &&
		! test -e sigout
	'
done

test_expect_success 'a write error is exit 74' '
	test_expect_code 74 tiers-seal -r good >/dev/full 2>err &&
	grep "write error" err &&
	test_expect_code 74 tiers-seal good >/dev/full 2>err
'

test_expect_success 'usage errors are exit 64 and print the synopsis' '
	test_expect_code 64 tiers-seal -x 2>err &&
	grep "^usage: tiers-seal \[-q\] \[file ...\]" err &&
	test_expect_code 64 tiers-seal -r a b 2>err &&
	test_expect_code 64 tiers-seal -o x good 2>err
'

test_expect_success 'messages never quote field contents' '
	sed "3s/second/NIR269054958815780\r/" good >pii &&
	test_expect_code 65 tiers-seal pii 2>err &&
	! grep 2690549 err
'

# Format 1, as written before format 2 (tiers-stream(5)): the trailer
# "#end" and a CRC-32 of the lines after the header only.  Archives stay
# readable: these bytes were sealed by the software of main before the
# change, and are kept here as they are.
test_expect_success 'setup: a stream sealed in format 1 (an archive)' '
	cat >old <<-\EOF &&
	#tiers	demo	1	id	fr_eur	br_eur	note
	#business_date	2026-11-18
	#previous	2026-11-17
	a1	30.00	25.00	first
	a2	-4.50		second
	#stage	decode
	a3	0.01	100.00	été
	#end	3	150.51	3e678c24
	EOF
	sed -n "2,7p" old | gzip -c | tail -c 8 | od -An -tx4 -N4 | tr -d " " >crc &&
	echo 3e678c24 | test_cmp - crc
'

test_expect_success 'format 1 still verifies: file, parts, sequence, gzip' '
	printf "old\tdemo\t1\t3\t150.51\t3e678c24\n" >expect &&
	tiers-seal old >out && test_cmp expect out &&
	TIERS_SCAN_MIN=1 tiers-seal old >out && test_cmp expect out &&
	tiers-seal <old >out && sed "s/^-/old/" out | test_cmp expect - &&
	gzip -c old >old.gz && tiers-seal -q old.gz
'

# A table of format 1 streams broken: the seal still covers what it did.
cat >ocases <<\EOC
orec	sed '4s/first/frist/'	:8: trailer: CRC-32 3e678c24 but records give
ometa	sed '2s/18/19/'	:8: trailer: CRC-32 3e678c24 but records give
ometadel	sed 6d	:7: trailer: CRC-32 3e678c24 but records give
ometaadd	sed '5a#stage\tliquidate'	:9: trailer: CRC-32 3e678c24 but records give
onew	sed '$s/^#end\t/#end2\t/'	:8: trailer: CRC-32 3e678c24 but header and lines give
EOC
while IFS="$T" read -r name how msg; do
	test_expect_success "format 1 refused: $name, in parts and in sequence" "
		$how <old >$name &&
		test_expect_code 65 tiers-seal $name 2>err &&
		grep -F 'tiers-seal: $name$msg' err &&
		TIERS_SCAN_MIN=1 test_expect_code 65 tiers-seal $name 2>err &&
		grep -F 'tiers-seal: $name$msg' err &&
		test_expect_code 65 tiers-seal <$name 2>err &&
		grep -F 'tiers-seal: -$msg' err
	"
done <ocases

test_expect_success 'format 1 does not seal its header; re-sealing writes format 2, which does' '
	sed "1s/fr_eur\tbr_eur/br_eur\tfr_eur/" old >oswap &&
	tiers-seal -q oswap &&
	tiers-seal -r -o new old &&
	sed "\$d" old >body.old && sed "\$d" new >body.new && test_cmp body.old body.new &&
	tail -n 1 new | grep "^#end2	3	150.51	" &&
	sed "1s/fr_eur\tbr_eur/br_eur\tfr_eur/" new >nswap &&
	test_expect_code 65 tiers-seal nswap 2>err &&
	grep -F "tiers-seal: nswap:8: trailer: CRC-32" err
'

test_expect_success 'a metadata line is never taken for a trailer of either format' '
	printf "#tiers\tdemo\t1\tid\n#endx\tnot a trailer\nz\n" | tiers-seal -r >endx &&
	tiers-seal endx >out && grep "	demo	1	1	0.00	" out
'

# tiers-sum: the digests sha256sum gives, in the order of the names,
# whatever the number of threads; what it cannot read is said, not dropped.
test_expect_success 'tiers-sum: the digests of sha256sum, in order, at any -j' '
	i=0 &&
	: >names &&
	while test $i -lt 40; do
		seq $((i * 997)) >sum$i && echo sum$i >>names && i=$((i + 1)) || exit 1
	done &&
	: >empty && echo empty >>names &&
	sha256sum $(cat names) >want &&
	for j in 1 2 3 16; do
		tiers-sum -j $j -f names >got &&
		test_cmp want got || exit 1
	done &&
	tiers-sum $(cat names) >got && test_cmp want got &&
	tiers-sum -f - <names >got && test_cmp want got &&
	tiers-sum -f /dev/null >got && test_must_be_empty got
'

test_expect_success 'tiers-sum: a missing file is named, the others hashed' '
	test_expect_code 66 tiers-sum -j 2 sum1 nosuch sum2 >got 2>err &&
	grep -F "tiers-sum: nosuch: " err &&
	sha256sum sum1 sum2 >want && test_cmp want got
'

test_expect_success 'tiers-sum: names sha256sum would escape are refused' '
	test_expect_code 65 tiers-sum "a\\b" 2>err &&
	grep -F "backslash" err &&
	test_expect_code 64 tiers-sum -j 0 sum1 &&
	test_expect_code 64 tiers-sum -x
'

test_done
