#!/bin/sh
test_description='man pages: lint clean, and every EXAMPLES command runs'
. "$(dirname "$0")/test-lib.sh"

# An example is a line starting with "$ " inside EXAMPLES; it must exit 0.
# Each page's examples run in order, as a reader types them, in an empty
# directory of their own, with the programs in PATH and TIERS_TOP naming
# the checkout (test-lib.sh exports both): what the page's EXAMPLES say,
# in a sentence beginning "The examples run in".  A page that needs the
# sample days copies them itself, with its first example:
#   $ cp -R "$TIERS_TOP/testdata/sample" sample

pages=$(cd "$TIERS_TOP" && ls man/man[0-9]/*.[0-9])

test_expect_success 'there are man pages for every program' '
	for p in $(ls "$TIERS_BIN"); do
		test -f "$TIERS_TOP/man/man1/$p.1" || { echo "no page for $p"; exit 1; }
	done
'

for page in $pages; do
	test_expect_success "lint: $page" "
		mandoc -Tlint -W warning '$TIERS_TOP/$page' >lint 2>&1;
		test_must_be_empty lint
	"
	case $page in
	*/man[18]/*)
		test_expect_success "$page has EXIT STATUS and EXAMPLES" "
			grep -q '^\.Sh EXIT STATUS' '$TIERS_TOP/$page' &&
			grep -q '^\.Sh EXAMPLES' '$TIERS_TOP/$page'
		"
		;;
	esac
	dir=$(basename "$page")
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$TIERS_TOP/$page" >"$TRASH/$dir.section"
	sed -n 's/^\$ //p' "$TRASH/$dir.section" |
	    sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g' >"$TRASH/$dir.examples"
	test -s "$TRASH/$dir.examples" || continue
	test_expect_success "$page: EXAMPLES say where they run" "
		grep '^The examples run in' '$TRASH/$dir.section'
	"
	test_expect_success "examples of $page run" "
		mkdir '$dir' &&
		cd '$dir' &&
		while IFS= read -r cmd; do
			echo \"\\\$ \$cmd\" &&
			sh -c \"\$cmd\" </dev/null ||
			{ echo \"example failed: \$cmd\"; exit 1; }
		done <'$TRASH/$dir.examples'
	"
done

test_done
