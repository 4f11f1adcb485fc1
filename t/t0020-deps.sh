#!/bin/sh
test_description='pipelines/install-deps names every package and command the project uses'
. "$(dirname "$0")/test-lib.sh"

# The table of install-deps: "package command..." per line.  test-lib.sh
# has already limited the suite's PATH to its commands; here each command
# must exist and come from the package it is listed under, or from one of
# that package's direct dependencies (gcc's cc is gcc-12's, perl's prove
# is perl's own), as dpkg knows it.

deps=$TIERS_TOP/pipelines/install-deps

test_expect_success 'the table lists packages and commands, each command once' '
	sh "$deps" -t >table &&
	test -s table &&
	sh "$deps" -c >cmds &&
	grep -qx xmllint cmds && grep -qx parallel cmds && grep -qx mandoc cmds &&
	sort cmds | uniq -d >dups &&
	test_must_be_empty dups &&
	test_expect_code 64 sh "$deps" -x 2>err &&
	grep "^usage: install-deps \[-c | -t\]" err
'

# The package that owns a file, as dpkg -S says; Debian 12 merges /usr,
# and dpkg knows many commands under /bin or /sbin.
owner () {
	for f in "$1" "$(readlink -f "$1")" "/bin/${1##*/}" "/sbin/${1##*/}" \
	    "/bin/$(basename "$(readlink -f "$1")")"; do
		o=$(dpkg -S "$f" 2>/dev/null | grep -v '^diversion by' |
		    sed -n 's/^\([^:,]*\)\(:[a-z0-9]*\)\{0,1\}[:,] .*/\1/p' | head -n 1)
		test -n "$o" && { echo "$o"; return 0; }
	done
	return 1
}

test_expect_success 'every listed package is installed' '
	while read -r p _; do
		dpkg-query -W -f="\${Status}\n" "$p" 2>/dev/null |
		    grep -q "install ok installed" || { echo "$p: not installed"; exit 1; }
	done <table
'

test_expect_success 'every command comes from the package it is listed under' '
	while read -r p cmds; do
		dep=$(dpkg-query -W -f="\${Pre-Depends}, \${Depends}" "$p" |
		    tr "," "\n" | sed "s/^ *//; s/[ :].*//")
		for c in $cmds; do
			test "$c" = - && continue
			# test-lib.sh links each command into the suite PATH.
			path=$(readlink "$test_path/$c") || { echo "$c: not found"; exit 1; }
			o=$(owner "$path") || { echo "$c ($path): no package owns it"; exit 1; }
			test "$o" = "$p" && continue
			printf "%s\n" $dep | grep -qx "$o" ||
			    { echo "$c: from $o, listed under $p"; exit 1; }
		done
	done <table
'

test_expect_success 'a command not in the table is not found by the suite' '
	! command -v gdb &&
	! command -v python3 &&
	command -v xmllint
'

test_done
