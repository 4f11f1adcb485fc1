#!/bin/sh
test_description='make install puts programs and man pages under DESTDIR/PREFIX'
. "$(dirname "$0")/test-lib.sh"

# The build root of the programs under test, as the GNUmakefile names it
# (relative to the checkout when it is inside, else absolute), so that
# make finds everything up to date and rebuilds nothing.
o=${TIERS_BIN%/bin}
case $o in
"$TIERS_TOP"/*) o=${o#"$TIERS_TOP"/} ;;
"$TIERS_TOP") o=. ;;
esac

test_expect_success 'install into a staging directory' '
	make -s -C "$TIERS_TOP" O="${o:-.}" install \
	    DESTDIR="$TRASH/stage" PREFIX=/usr >out 2>&1 &&
	for p in $(ls "$TIERS_BIN"); do
		test -x stage/usr/bin/$p || { echo "missing $p"; exit 1; }
	done &&
	test -f stage/usr/share/man/man7/tiers.7 &&
	test -f stage/usr/share/man/man5/tiers-stream.5 &&
	test -f stage/usr/share/man/man1/tiers-seal.1
'

test_expect_success 'installed programs run' '
	stage/usr/bin/tiers-cal 2026-11-20 >out &&
	printf "2026-11-20\tFriday\tbusiness\n" >expect &&
	test_cmp expect out
'

test_done
