#!/bin/sh
# make bench-year (not part of make bench): BENCH_YEAR_DAYS consecutive
# business days (default 60) of BENCH_YEAR_CLAIMS claims each (default
# 370 000, about 90 million a year over 250 days) for BENCH_YEAR_BENEF
# beneficiaries (default 200 000), generated as one world by tiers-gen
# with BENCH_YEAR_WORLD's options (default -A pay=100 -A indus=10000:
# the PS register and paying accounts, so that the PS are paid and not
# held, bad bank details put right as the registers come; the clients'
# indus parameters, so that the PS's debts are offset, paid back or
# transferred as an operator's are, and its ledger of open items does not
# grow for ever; "-A pay=100" alone is the world of the figures before
# 2026-11-28's fifth session) and replayed through tiers-nightly, one day
# after the other.  Prints
# each day's seconds, whole and per stage; then whether the cost per day
# stays flat (the mean of the last tenth of the days against the first
# tenth: target within 10 %) and the time of 250 days projected from the
# least-squares line through the days, or from the last tenth when the
# line falls (target: under 15 minutes on 2 cores).  Each day's peak
# memory is the largest of its stages' processes; its cpu, the user and
# system seconds of all of them, which the machine's other load and
# memory state sway less than the elapsed seconds.  Before each day, the
# host's own speed: ref, the seconds of gzip -6 of the same 16 MB (the
# first day's inputs) on an otherwise idle machine; its first and last
# tenth say whether a cost that moved is the host's (a shared machine's
# speed drifts by a third over minutes), and the days' seconds scaled to
# the median ref give a second projection, at the host's usual speed.
# The nightly runs its
# stages two at a time (TIERS_STAGE_JOBS, from the environment): a day's
# seconds are then less than the sum of its stages'.  Run it on an idle
# machine: other load makes the days' costs its own.  Results in bench-results/<commit>-year.txt.
#
# Disk: the generated inputs of a day are removed once it ran, and the
# published days older than the day before are removed as the replay
# goes (the nightly reads only the day before's state; the bench has no
# contestation, which would look further back): what stays is two days.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
nd=${BENCH_YEAR_DAYS:-60}
n=${BENCH_YEAR_CLAIMS:-370000}
nb=${BENCH_YEAR_BENEF:-200000}
first=${BENCH_YEAR_FIRST:-2026-01-05}
world=${BENCH_YEAR_WORLD:--A pay=100 -A indus=10000}
work=${TMPDIR:-/tmp}/tiers-bench-year.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" "$top/bench-results"
rev=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo tree)
out=$top/bench-results/$rev-year.txt

{
echo "tiers bench-year $rev: $nd days of $n claims, $nb beneficiaries, from $first, $(nproc) cores; world: $world"
# shellcheck disable=SC2086
/usr/bin/time -f '%e' -o "$work/time" \
    tiers-gen -n "$n" -b "$nb" -p 5000 -d "$nd" -D "$first" $world -o "$work/g" >/dev/null
echo "generated in $(cat "$work/time") s"
mkdir -p "$work/data/inbox"
# The host's reference workload: the same bytes whatever the day.
d1=$(cd "$work/g" && ls | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' | head -n 1)
cat "$work/g/$d1"/* | head -c 16000000 >"$work/ref"
printf '%-4s %-10s %8s %9s %8s %6s  %s\n' day date seconds peakMiB cpu ref "stage seconds"
i=0
opt=-I
prev2=
prev1=
for d in $(cd "$work/g" && ls | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'); do
	i=$((i + 1))
	mv "$work/g/$d" "$work/data/inbox/$d"
	/usr/bin/time -f '%e' -o "$work/rtime" gzip -6 -c "$work/ref" >/dev/null
	read -r ref <"$work/rtime"
	# shellcheck disable=SC2086
	/usr/bin/time -f '%e %M %U %S' -o "$work/time" tiers-nightly $opt "$d" "$work/data" \
	    >/dev/null 2>"$work/err" || test $? = 1 || { cat "$work/err" >&2; exit 1; }
	opt=
	read -r secs kb usr sys <"$work/time"
	stages=$(sed -n "s/^tiers-nightly: $d: \([a-z]*\): .*(\([0-9.]*\) s)\$/\1=\2/p" "$work/err" |
	    tr '\n' ' ')
	printf '%-4d %-10s %8.2f %9.1f %8.2f %6.2f  %s\n' "$i" "$d" "$secs" \
	    "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" \
	    "$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')" "$ref" "$stages"
	rm -rf "$work/data/inbox/$d"
	test -n "$prev2" && rm -rf "$work/data/days/$prev2"
	prev2=$prev1 prev1=$d
done
} | tee "$out.days"
# The slope and the projection, from the table's seconds.
awk '$1 ~ /^[0-9]+$/ && NF >= 3 { n++; x[n] = $1; y[n] = $3; cpu[n] = $5; ref[n] = $6 }
# proj(Y, label): the slope of Y over the days and 250 days projected.
function proj(yy, label,    i, a, b, sx, sy, sxx, sxy, sl, c, p) {
	for (i = 1; i <= k; i++) { a += yy[i]; b += yy[n - k + i] }
	a /= k; b /= k
	for (i = 1; i <= n; i++) { sx += x[i]; sy += yy[i]; sxx += x[i] * x[i]; sxy += x[i] * yy[i] }
	sl = (n * sxy - sx * sy) / (n * sxx - sx * sx)
	c = (sy - sl * sx) / n
	p = 250 * c + sl * 250 * 251 / 2
	printf "%s: first tenth %.2f s, last tenth %.2f s: %+.1f %% (target within 10 %%)\n", label, a, b, (b / a - 1) * 100
	# A cost falling with the days is the load of the machine falling, not
	# the nightly getting faster: then the cost of the last days, flat.
	if (sl <= 0)
		printf "  least squares: %.3f s %.4f s a day (no growth); 250 days at the last tenth: %.1f min (target under 15)\n", c, sl, 250 * b / 60
	else
		printf "  least squares: %.3f s + %.4f s a day; 250 days projected: %.1f min (target under 15)\n", c, sl, p / 60
}
END {
	if (n < 2) { print "too few days for a slope"; exit }
	k = int(n / 10); if (k < 1) k = 1
	proj(y, "per day")
	for (i = 1; i <= k; i++) { ca += cpu[i]; cb += cpu[n - k + i]; ra += ref[i]; rb += ref[n - k + i] }
	ca /= k; cb /= k; ra /= k; rb /= k
	# The processor seconds (user and system, every process of the day)
	# vary less with the machine than the elapsed ones: a second view.
	printf "cpu per day: first tenth %.2f s, last tenth %.2f s: %+.1f %%\n", ca, cb, (cb / ca - 1) * 100
	# The host: its reference workload, and the days at its median speed.
	for (i = 1; i <= n; i++) r[i] = ref[i]
	m = n
	for (i = 2; i <= m; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
	med = m % 2 ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
	if (ra > 0 && med > 0) {
		printf "host reference (gzip -6 of 16 MB before each day): first tenth %.2f s, last tenth %.2f s: %+.1f %%; median %.2f s\n", ra, rb, (rb / ra - 1) * 100, med
		for (i = 1; i <= n; i++) yn[i] = ref[i] > 0 ? y[i] * med / ref[i] : y[i]
		proj(yn, "per day at the median host speed")
	}
	for (i = 1; i <= n; i++) sy += y[i]
	printf "%d days replayed in %.1f min\n", n, sy / 60
}' "$out.days" | tee -a "$out.days"
mv "$out.days" "$out"
echo "saved in $out"
