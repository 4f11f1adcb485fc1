#!/bin/sh
# Build tiers-nightly: the driver with each stage file embedded as a
# function that runs in a subshell, so that a stage shares nothing with
# the driver or the other stages but the files it reads and writes and
# the helpers the driver defines.  The driver's line "# @STAGES@" becomes
# the functions and the list "stages" of their names, in file name order;
# "@VERSION@" becomes the version.  A stage's line "#   after:" names
# the stages it reads from (earlier in file order; without the line,
# every earlier stage): after_NN_name, for the driver's scheduler; its
# line "#   awaits:", the earlier stages it may run beside and waits for
# itself: awaits_NN_name.
#	embed.sh version driver stage...
set -eu
version=$1 driver=$2
shift 2
tmp=${TMPDIR:-/tmp}/embed.$$
trap 'rm -f "$tmp"' EXIT
{
	names=
	for s in "$@"; do
		n=${s##*/}
		case $n in
		[0-9][0-9]-*) ;;
		*) echo "embed.sh: $s: not a stage file (NN-name)" >&2; exit 1 ;;
		esac
		# "#   after:  a b": the stages it reads from, earlier ones;
		# without the line, every earlier stage.
		if grep -q '^#   after:' "$s"; then
			after=$(sed -n 's/^#   after: *//p' "$s")
		else
			after=$(printf '%s' "$names" | sed 's/[0-9][0-9]-//g')
		fi
		for a in $after; do
			case " $names " in
			*" "[0-9][0-9]"-$a "*) ;;
			*) echo "embed.sh: $s: after $a: not an earlier stage" >&2; exit 1 ;;
			esac
		done
		# "#   awaits:  a": earlier stages it may run beside, started
		# before it, whose end its script waits for (awaitstage) where
		# it needs their files.
		awaits=$(sed -n 's/^#   awaits: *//p' "$s")
		for a in $awaits; do
			case " $names " in
			*" "[0-9][0-9]"-$a "*) ;;
			*) echo "embed.sh: $s: awaits $a: not an earlier stage" >&2; exit 1 ;;
			esac
		done
		names="$names${names:+ }$n"
		printf "after_%s='%s'\n" "$(printf '%s' "$n" | tr -- - _)" "$after"
		printf "awaits_%s='%s'\n" "$(printf '%s' "$n" | tr -- - _)" "$awaits"
		printf '# Stage %s, from pipelines/stages/%s.\n' "${n#[0-9][0-9]-}" "$n"
		printf 'stage_%s () (\n' "$(printf '%s' "$n" | tr -- - _)"
		cat "$s"
		printf ')\n\n'
	done
	printf "stages='%s'\n" "$names"
} >"$tmp"
n=$(grep -c '^# @STAGES@$' "$driver") || :
test "$n" = 1 || { echo "embed.sh: $driver: no single '# @STAGES@' line" >&2; exit 1; }
sed -e "s|@VERSION@|$version|" -e "/^# @STAGES@\$/{
r $tmp
d
}" "$driver"
