# t/test-lib.sh — sourced by every t/tNNNN-*.sh, in the manner of git's.
#
#	test_description='what this script covers'
#	. ./test-lib.sh   (from t/, or by path)
#	test_expect_success [PREREQ] 'title' 'commands chained with &&'
#	test_expect_code CODE command args...   (inside a test body)
#	test_cmp expect actual
#	test_done
#
# Each script runs in its own scratch directory, t/trash.<script>, which is
# removed when every test passed.  Output is TAP, for prove(1).
# TIERS_BIN names the programs under test (default: the checkout's bin/).

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TIERS_TOP=$(cd "$TEST_DIRECTORY/.." && pwd)
TIERS_BIN=${TIERS_BIN:-$TIERS_TOP/bin}
TIERS_TESTBIN=${TIERS_TESTBIN:-$TIERS_TOP/obj/t}
SHARED=$TIERS_TOP/../shared
export TEST_DIRECTORY TIERS_TOP TIERS_BIN TIERS_TESTBIN SHARED

# Determinism: the suite must not depend on the caller's environment...
LC_ALL=C
TZ=UTC
export LC_ALL TZ
umask 022

# ...nor on what else the machine has: the suite sees the programs under
# test and the commands pipelines/install-deps lists, nothing more, so a
# command used but not listed fails here and not on a newcomer's machine.
# Scratch directories go to TEST_OUTPUT_DIRECTORY (default t/): make
# check with another build root (O=...) keeps its own.
TEST_OUTPUT_DIRECTORY=${TEST_OUTPUT_DIRECTORY:-$TEST_DIRECTORY}
mkdir -p "$TEST_OUTPUT_DIRECTORY" || exit 1
test_path=$TEST_OUTPUT_DIRECTORY/trash.$(basename "$0" .sh).path
rm -rf "$test_path"
mkdir -p "$test_path" || exit 1
for c in $(sh "$TIERS_TOP/pipelines/install-deps" -c); do
	for d in $(printf '%s\n' "$PATH" | tr : ' '); do
		test -f "$d/$c" && test -x "$d/$c" || continue
		ln -s "$d/$c" "$test_path/$c" || exit 1
		break
	done
done
PATH=$TIERS_BIN:$test_path
export PATH

test_name=$(basename "$0" .sh)
TRASH=$TEST_OUTPUT_DIRECTORY/trash.$test_name
rm -rf "$TRASH"
mkdir -p "$TRASH" || exit 1
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_prereqs=" "

test_set_prereq () {
	test_prereqs="$test_prereqs$1 "
}

# Prerequisites the suite knows of.
if test -d "$SHARED/ref"; then
	test_set_prereq SHARED
fi

test_have_prereq () {
	case "$test_prereqs" in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

test_expect_success () {
	if test $# = 3; then
		prereq=$1
		shift
	else
		prereq=
	fi
	test_count=$((test_count + 1))
	if test -n "$prereq" && ! test_have_prereq "$prereq"; then
		echo "ok $test_count # skip $1 (missing $prereq)"
		return 0
	fi
	(cd "$TRASH" && eval "$2") >"$TRASH/.out" 2>&1
	if test $? = 0; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#	/' <<-EOF
		$2
		EOF
		sed 's/^/#   > /' "$TRASH/.out"
	fi
}

# Run a command that must exit with the given status.
test_expect_code () {
	want=$1
	shift
	"$@"
	got=$?
	if test "$got" != "$want"; then
		echo "test_expect_code: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

test_cmp () {
	diff -u "$1" "$2"
}

# The file is empty.
test_must_be_empty () {
	if test -s "$1"; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

# Make a sealed stream: stdin holds the header and the records, no trailer.
# nightly_world GEN DATA: the days tiers-gen wrote in GEN copied into
# DATA/inbox and run through the nightly one after the other (the first
# with -I); a day that does not exit 0 fails.
nightly_world () {
	mkdir -p "$2/inbox" &&
	cp -R "$1"/2026-* "$2/inbox/" &&
	nw_opt=-I &&
	for nw_d in $(ls "$2/inbox"); do
		tiers-nightly $nw_opt "$nw_d" "$2" >/dev/null 2>&1 &&
		nw_opt= || return 1
	done
}

mkstream () {
	tiers-seal -r -o "$1"
}

# COLS: an awk prologue that names a stream's columns (c["name"], from
# its header) and passes its comments by.
COLS='/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3; next } /^#/ { next }'
# col FILE NAME...: columns of a stream, by name, TAB-separated.
col () {
	f=$1
	shift
	awk -F'\t' -v names="$*" "$COLS"' { n = split(names, a, " "); s = $c[a[1]]
	    for (i = 2; i <= n; i++) s = s "\t" $c[a[i]]; print s }' "$f"
}

# The permission bits of a file, as ls prints them.
test_mode () {
	ls -ld "$1" | cut -c1-10
}

test_done () {
	echo "1..$test_count"
	if test "$test_failed" = 0; then
		cd "$TEST_OUTPUT_DIRECTORY" && rm -rf "$TRASH" "$test_path"
		exit 0
	fi
	exit 1
}
