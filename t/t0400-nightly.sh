#!/bin/sh
test_description='tiers-nightly: the business day skeleton'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: an inbox for two business days' '
	mkdir -p data/inbox/2026-11-18 data/inbox/2026-11-19 &&
	printf "#tiers\tdemo\t1\tid\tfr_eur\n1\t2.00\n2\t3.50\n" | mkstream data/inbox/2026-11-18/a.tsv &&
	printf "#tiers\tdemo\t1\tid\tfr_eur\n1\t2.00\n" >data/inbox/2026-11-18/broken.tsv &&
	echo "not a stream" >data/inbox/2026-11-18/notes.txt &&
	gzip -c data/inbox/2026-11-18/a.tsv >data/inbox/2026-11-19/a.tsv.gz
'

test_expect_success 'a date that is not a business day is refused' '
	test_expect_code 64 tiers-nightly -I 2026-11-21 data 2>err &&
	grep "^tiers-nightly: 2026-11-21: not a business day (use -f to force)" err &&
	test_expect_code 64 tiers-nightly -I 2026-05-14 data 2>err &&
	test_expect_code 64 tiers-nightly -I 2026-13-01 data 2>err &&
	grep "not an ISO 8601 date" err &&
	! test -e data/days/2026-11-21
'

test_expect_success 'usage errors are exit 64' '
	test_expect_code 64 tiers-nightly 2>err &&
	grep "^usage: tiers-nightly \[-aFfI\] \[-i inbox\] \[-W months\] \[-w file\]... date datadir" err &&
	grep "^       tiers-nightly -s stage date datadir" err &&
	test_expect_code 64 tiers-nightly -s liquidate -I 2026-11-18 data 2>err &&
	test_expect_code 64 tiers-nightly -x 2026-11-18 data 2>err
'

test_expect_success 'a missing data directory, inbox or previous generation is exit 66' '
	test_expect_code 66 tiers-nightly -I 2026-11-18 nodata 2>err &&
	test_expect_code 66 tiers-nightly -I 2026-11-20 data 2>err &&
	grep "no inbox for 2026-11-20" err &&
	test_expect_code 66 tiers-nightly 2026-11-18 data 2>err &&
	grep "2026-11-17: the previous business day has no state generation" err &&
	! test -e data/days/2026-11-18
'

test_expect_success 'the first day runs from empty state; a refused input is exit 1, the day published' '
	test_expect_code 1 tiers-nightly -I 2026-11-18 data >out 2>err &&
	grep "^receive    a.tsv  *demo  *2  *5.50  ok\$" out &&
	grep "^receive    broken.tsv .* refused: tiers-seal: broken.tsv:2: trailer: no trailer" out &&
	grep "^receive    notes.txt .* archived\$" out &&
	grep "^3 inputs, 1 refused, 0 left out; published data/days/2026-11-18\$" out &&
	grep "^tiers-nightly: 2026-11-18: receive: refused broken.tsv: tiers-seal: broken.tsv:2: trailer: no trailer" err &&
	grep "^receive	broken.tsv				refused	tiers-seal: broken.tsv:2: trailer: no trailer" \
	    data/days/2026-11-18/summary.tsv &&
	grep "^tiers-seal: broken.tsv:2: trailer: no trailer" data/days/2026-11-18/log/receive.err
'

test_expect_success 'the day directory: inputs as received, read-only, with a manifest' '
	d=data/days/2026-11-18 &&
	cmp data/inbox/2026-11-18/a.tsv $d/in/a.tsv &&
	cmp data/inbox/2026-11-18/broken.tsv $d/in/broken.tsv &&
	test "$(test_mode $d/in/a.tsv)" = "-r--------" &&
	test "$(test_mode $d)" = "drwx------" &&
	(cd $d/in && sha256sum -c --quiet .MANIFEST) &&
	test $(wc -l <$d/in/.MANIFEST) = 3 &&
	test -d $d/out && test -d $d/log &&
	test -z "$(ls -A data/days | grep "^\.")"
'

test_expect_success 'an input of the operator'"'"'s own is linked into in/, not copied' '
	d=data/days/2026-11-18 &&
	test "$(stat -c %d:%i data/inbox/2026-11-18/a.tsv)" = "$(stat -c %d:%i $d/in/a.tsv)" &&
	test "$(test_mode data/inbox/2026-11-18/a.tsv)" = "-r--------"
'

test "$(id -u)" = 0 && test_set_prereq ROOT
test_expect_success ROOT 'an input of another owner is copied, the inbox left as it was' '
	mkdir -p other/inbox/2026-11-18 &&
	cp data/inbox/2026-11-18/broken.tsv other/inbox/2026-11-18/ &&
	chmod 0644 other/inbox/2026-11-18/broken.tsv &&
	chown nobody other/inbox/2026-11-18/broken.tsv &&
	test_expect_code 1 tiers-nightly -I 2026-11-18 other >/dev/null 2>&1 &&
	cmp other/inbox/2026-11-18/broken.tsv other/days/2026-11-18/in/broken.tsv &&
	test "$(stat -c %i other/inbox/2026-11-18/broken.tsv)" != \
	    "$(stat -c %i other/days/2026-11-18/in/broken.tsv)" &&
	test "$(test_mode other/inbox/2026-11-18/broken.tsv)" = "-rw-r--r--" &&
	test "$(test_mode other/days/2026-11-18/in/broken.tsv)" = "-r--------"
'

test_expect_success 'the summary and the state generation are sealed streams' '
	d=data/days/2026-11-18 &&
	tiers-seal $d/summary.tsv $d/state/generation.tsv >out &&
	grep "summary.tsv	day-summary	2	3	5.50	" out &&
	grep "generation.tsv	generation	1	1	0.00	" out &&
	grep "^#business_date	2026-11-18\$" $d/summary.tsv &&
	grep -v "^#" $d/state/generation.tsv >gen &&
	printf "2026-11-18\t\n" >expect &&
	test_cmp expect gen
'

test_expect_success 'the next day chains on the previous generation' '
	tiers-nightly 2026-11-19 data >out &&
	grep "^receive    a.tsv.gz  *demo  *2  *5.50  ok" out &&
	grep -v "^#" data/days/2026-11-19/state/generation.tsv >gen &&
	printf "2026-11-19\t2026-11-18\n" >expect &&
	test_cmp expect gen
'

test_expect_success 'a rerun gives the same bytes, whatever the umask, zone and locale' '
	cp -R data/days/2026-11-19 first &&
	(umask 0; TZ=Pacific/Auckland LC_ALL=fr_FR.UTF-8 tiers-nightly 2026-11-19 data >/dev/null 2>&1) &&
	diff -r first data/days/2026-11-19 &&
	test "$(test_mode data/days/2026-11-19/summary.tsv)" = "-rw-------"
'

test_expect_success 'a failed run publishes nothing, keeps the earlier attempt and its own logs' '
	mkdir fake &&
	printf "#!/bin/sh\ncase \"\$1\" in -r) echo \"tiers-seal: x:1: y: broken on purpose\" >&2; exit 70;; esac\nexec \"$TIERS_BIN/tiers-seal\" \"\$@\"\n" >fake/tiers-seal &&
	chmod +x fake/tiers-seal &&
	cp -R data/days/2026-11-19 before &&
	test_expect_code 70 env PATH="$PWD/fake:$PATH" tiers-nightly 2026-11-19 data 2>err &&
	diff -r before data/days/2026-11-19 &&
	ls -A data/days | grep "^\." >dots &&
	echo .2026-11-19.failed.1 >expect &&
	test_cmp expect dots &&
	k=data/days/.2026-11-19.failed.1 &&
	test "$(test_mode $k)" = "drwx------" &&
	ls $k >actual &&
	echo log >expect &&
	test_cmp expect actual &&
	grep "^tiers-nightly: 2026-11-19: not published; the logs of this attempt are kept in $k/log/\$" err &&
	grep "^tiers-nightly: state: cannot seal" $k/log/nightly.err &&
	test -f $k/log/nightly.err
'

test_expect_success 'a second failed attempt keeps its logs apart; the failing program speaks' '
	test_expect_code 70 env PATH="$PWD/fake:$PATH" tiers-nightly 2026-11-19 data 2>err &&
	grep "^    tiers-seal: x:1: y: broken on purpose\$" err &&
	grep "kept in data/days/.2026-11-19.failed.2/log/" err &&
	test -d data/days/.2026-11-19.failed.1/log &&
	diff -r before data/days/2026-11-19
'

test_expect_success '-f forces a day that is not a business day; -i names the inbox' '
	mkdir sat &&
	cp data/inbox/2026-11-18/a.tsv sat/ &&
	tiers-nightly -fI -i sat 2026-11-21 data >out &&
	grep "^1 inputs, 0 refused, 0 left out; published data/days/2026-11-21" out
'

test_done
