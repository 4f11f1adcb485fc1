#!/bin/sh
# Seeds of dedup's harness (segment), made from testdata/sample; run by
# seeds.sh.  Usage: seeds-dedup.sh SEEDDIR BINDIR.  A seed is a byte
# (bit 0: a ledger; bit 1: a window, see t/fuzz/segment.c) and a
# segment file.
set -e
out=$1
bin=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
S=$top/testdata/sample
tmp=$out/tmp-dedup
rm -rf "$tmp"
mkdir -p "$out/segment" "$tmp"

# The sample's three days: a history, and a ledger whose lines are paid
# 1.00 each (a decision stream made by awk, as t/bench-dedup.sh does),
# 0.40 recovered on each line a cancellation adjusts (a movement).
prev=
for d in 2026-11-18 2026-11-19 2026-11-20; do
	"$bin/noemie-decode" -o "$tmp/c.$d" "$S/$d"/*.580 "$S/$d"/*.b2 2>/dev/null
	"$bin/dedup" -d $d ${prev:+-h "$tmp/h.$prev"} -H "$tmp/h.$d" -o "$tmp/o.$d" \
	    "$tmp/c.$d" 2>/dev/null
	"$bin/dedup" -l -d $d ${prev:+-h "$tmp/l.$prev"} -o "$tmp/lo.$d" "$tmp/c.$d" 2>/dev/null
	awk -F'\t' -v OFS='\t' '
	/^#tiers\t/ { for (i = 4; i <= NF; i++) c[$i] = i - 3
		print "#tiers", "decision", 1, "claim", "dest", "amc_eur"; next }
	/^#/ { next }
	$c["dup"] == "first" { print $c["dup_id"], "ps", "1.00"; next }
	$c["dup"] == "adjust" && $c["dup_ref"] != "" { print $c["dup_id"], "recover-ps", "-0.40"; next }
	{ print $c["dup_id"], "reject", "0.00" }' "$tmp/lo.$d" | "$bin/tiers-seal" -r >"$tmp/dec.$d"
	"$bin/dedup" -B -d $d ${prev:+-h "$tmp/l.$prev"} -D "$tmp/dec.$d" -H "$tmp/l.$d" \
	    "$tmp/lo.$d" 2>/dev/null
	prev=$d
done

# A history's segment whole (the merge of the first two days); its
# header and first 8 records, a trailer of none (the harness makes it
# right); the first 8 of the first day and of that merge, with a window
# from the second; a ledger's first 64 and 8.
h18=$tmp/h.2026-11-18/day-20261118.his
h=$tmp/h.2026-11-20/base-20261119.his
l=$tmp/l.2026-11-20/base-20261119.led
end () {
	printf 'TIERSEND\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
}
{ printf '\000'; cat "$h"; } >"$out/segment/history"
{ printf '\000'; head -c $((16 + 8 * 24)) "$h"; end; } >"$out/segment/history-8"
{ printf '\002'; head -c $((16 + 8 * 24)) "$h18"; tail -c +17 "$h" | head -c $((8 * 24)); end; } \
    >"$out/segment/history-2days-window"
{ printf '\004'; head -c $((16 + 8 * 24)) "$h"; end; } >"$out/segment/history-8-count"
{ printf '\010'; head -c $((16 + 8 * 24)) "$h"; end; } >"$out/segment/history-8-crc"
{ printf '\001'; head -c $((16 + 64 * 40)) "$l"; end; } >"$out/segment/ledger-64"
{ printf '\001'; head -c $((16 + 8 * 40)) "$l"; end; } >"$out/segment/ledger-8"
# The lines of the first day that the second day's cancellations adjust
# (their K and L records) and the movements under their identity (M),
# in one segment, as a merge holds them (sorted by the harness).
recs () {
	f=$1
	head -c $(($(wc -c <"$f") - 24)) "$f" | tail -c +17 | od -An -v -tx1 -w40
}
one () {
	tail -c +$((17 + $2 * 40)) "$1" | head -c 40
}
l18=$tmp/l.2026-11-18/day-20261118.led
recs "$l" | awk '$37 == "4d" { print $17 $18 $19 $20 $21 $22 $23 $24 }' >"$tmp/ids"
{
	printf '\001'
	head -c 16 "$l"
	for i in $(recs "$l18" | awk -v ids="$tmp/ids" '
	    BEGIN { while ((getline id <ids) > 0) want[id] = 1 }
	    ($37 == "4b" || $37 == "4c") && want[$17 $18 $19 $20 $21 $22 $23 $24] { print NR - 1 }'); do
		one "$l18" "$i"
	done
	for i in $(recs "$l" | awk '$37 == "4d" { print NR - 1 }'); do
		one "$l" "$i"
	done
	end
} >"$out/segment/ledger-moves"
# One of those lines and a movement of the most an amount holds: its
# net out of range.
{
	printf '\001'
	head -c 16 "$l"
	one "$l18" "$(recs "$l18" | awk -v ids="$tmp/ids" '
	    BEGIN { getline id <ids }
	    $37 == "4b" && $17 $18 $19 $20 $21 $22 $23 $24 == id { print NR - 1; exit }')"
	m=$(recs "$l" | awk '$37 == "4d" { print NR - 1; exit }')
	one "$l" "$m" | head -c 24
	printf '\377\377\377\377\377\377\377\177'
	one "$l" "$m" | tail -c 8
	end
} >"$out/segment/ledger-overflow"
# Nothing but the header and the trailer: no records.
{ printf '\000'; head -c 16 "$h"; end; } >"$out/segment/empty"
rm -rf "$tmp"
