#!/bin/sh
# make fuzz: run each harness SECONDS on its corpus.  Usage:
#	run.sh BUILDROOT SECONDS NAME...
# Before fuzzing, each harness reads its regression inputs
# (t/fuzz/regress/NAME/*: crashers found before, kept fixed) once.  Then
# it runs SECONDS with libFuzzer on BUILDROOT/corpus/NAME (kept between
# runs: what it learns stays), the seeds (seeds.sh) and the regression
# inputs, one process, one job.  A crash leaves its input in
# BUILDROOT/crash/ and fails the run; each harness's log is
# BUILDROOT/log/NAME.log.  FUZZ_FLAGS adds libFuzzer options.
root=$(cd "$1" && pwd) || exit 1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/t/fuzz
sh "$here/seeds.sh" "$root" || exit 1
mkdir -p "$root/crash" "$root/log"
cd "$root" || exit 1
fail=
for name in "$@"; do
	bin=$root/obj/fuzz/$name
	reg=$here/regress/$name
	mkdir -p "$root/corpus/$name"
	log=$root/log/$name.log
	dict=
	test -f "$here/$name.dict" && dict=-dict=$here/$name.dict
	set --
	test -d "$reg" && set -- "$reg"
	if test $# -gt 0 && ! "$bin" -runs=0 "$reg" >"$log" 2>&1; then
		echo "fuzz $name: a regression input crashes (see $log)"
		fail="$fail $name"
		continue
	fi
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$root/crash/$name-" $dict $FUZZ_FLAGS \
	    "$root/corpus/$name" "$root/seeds/$name" "$@" >>"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		echo "fuzz $name: ${runs:-?} runs in $secs s, no crash"
	else
		echo "fuzz $name: CRASH (see $log; input in $root/crash/)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: property)|runtime error' "$log" | head -n 5
		fail="$fail $name"
	fi
done
if test -n "$fail"; then
	echo "make fuzz: failed:$fail"
	exit 1
fi
