#!/bin/sh
# Seed corpora of the fuzz harnesses, made from testdata/sample: small
# cuts of its files (libFuzzer mutates small inputs fastest), resealed
# where they are record streams.  Usage: seeds.sh BUILDROOT [BINDIR]:
# the seeds go to BUILDROOT/seeds/NAME, made anew; the programs come
# from BINDIR (default BUILDROOT/bin).
set -e
root=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${2:-$root/bin}
S=$top/testdata/sample
out=$root/seeds
rm -rf "$out"
mkdir -p "$out/stream" "$out/roundtrip" "$out/layout" "$out/decode" \
    "$out/zin" "$out/parse" "$out/bindex" "$out/normev3" "$out/benefcsv" "$out/noemie"
T=$(printf '\t')

# stream: every kind of stream of the sample, header and 8 records,
# resealed; gzipped too; a metadata line; the edges.
for f in "$S"/2026-11-18/ps.tsv "$S"/2026-11-18/pec.tsv "$S"/truth/2026-11-18/*.tsv; do
	b=$(basename "$f" .tsv)
	head -n 9 "$f" | "$bin/tiers-seal" -r >"$out/stream/$b"
done
gzip -cn "$out/stream/pec" >"$out/stream/pec.gz"
{ head -n 3 "$S/2026-11-18/pec.tsv"; printf '#business_date\t2026-11-18\n'; sed -n 4,5p "$S/2026-11-18/pec.tsv"; } |
    "$bin/tiers-seal" -r >"$out/stream/meta"
head -n 1 "$S/2026-11-18/pec.tsv" >"$out/stream/hdronly"
printf '#tiers\tbenef-master\t1\tamc\tnir\tnir_key\tbenef_nir\tbirth_date\trang\tadherent\n877370001\t2880955438794\t04\t\t1988-09-11\t1\t5300000001\n649010000\t1090405294255\t63\t2090405294255\t2009-04-09\t2\tA-1\n' |
    "$bin/tiers-seal" -r >"$out/stream/master"
: >"$out/stream/empty"

# roundtrip: columns, records, a metadata line, checkpoints kept and dropped.
printf '\003a1\t30.00\tfirst\nb2\t-4.50\t\001x\n\001business_date\t2026-11-18\n\002\nc3\t1.00\tkept\n\003\n\002\nd4\t2.00\tdropped\n\004\n' \
    >"$out/roundtrip/marks"
printf '\007a\t1.00\tb\t2.00\tc\t3.00\td\t4.00\n\t\t\t\t\t\t\t\n' >"$out/roundtrip/wide"
printf '\000only\n\n\n' >"$out/roundtrip/one"

# layout: each built-in layout, then records of its kind after "%%".
{ cat "$top/formats/layouts/b2.lay"; printf '%%%%\n'; head -n 4 "$S/2026-11-18/invoices.b2"; } >"$out/layout/b2"
{ cat "$top/formats/layouts/noemie-580.lay"; printf '%%%%\n'; head -n 2 "$S/2026-11-18/noemie-01751.580"; } >"$out/layout/noemie"
printf 'layout x\ntype 1 2\nrecord 01 10 open\nfield 01 3 8 Y8 file_date\n%%%%\n0120261118\n' >"$out/layout/small"

# decode: the first records of each decoded file of the sample.
for f in "$S"/2026-11-1[89]/*.b2 "$S"/2026-11-1[89]/*.580; do
	d=$(basename "$(dirname "$f")")
	head -n 12 "$f" >"$out/decode/$d-$(basename "$f")"
done

# zin: plain, gzip, two gzip members, a gzip cut short, trailing bytes.
cp "$out/stream/pec" "$out/zin/plain"
cp "$out/stream/pec.gz" "$out/zin/gz"
{ gzip -cn "$out/stream/ps"; gzip -cn "$out/stream/pec"; } >"$out/zin/members"
head -c 200 "$out/stream/pec.gz" >"$out/zin/cut"
{ cat "$out/stream/pec.gz"; printf 'junk'; } >"$out/zin/trailing"
printf 'a\nb' >"$out/zin/nonl"

# parse: the inputs of the unit tables (money, dates, identifiers,
# libxml2 messages), one a file.
n=0
for t in "$top"/t/t0100-*.tsv "$top"/t/t0110-*.tsv "$top"/t/t0120-*.tsv; do
	grep -v '^#' "$t" | grep . | cut -f2 | while IFS= read -r v; do
		n=$((n + 1))
		printf '%s' "$v" >"$out/parse/$(basename "$t" .tsv)-$n"
	done
done

# bindex: the index of the harness's master (t/fuzz/bindex.c).
tmp=$root/seeds/tmp
mkdir -p "$tmp"
printf '#tiers\tbenef-master\t1\tamc\tnir\tnir_key\tbenef_nir\tbirth_date\trang\tadherent\n877370001\t2880955438794\t04\t\t1988-09-11\t1\t5300000001\n877370001\t1101045072996\t02\t\t2010-10-29\t1\t5300000001\n' |
    "$bin/tiers-seal" -r >"$tmp/master"
"$bin/benef-index" -o "$out/bindex/two" "$tmp/master" >/dev/null
rm -rf "$tmp"

# normev3: each client's XML of the sample cut after its first contract
# (and closed), the smaller files of later days whole, one gzipped, one
# with no ENTETE.
for f in "$S"/2026-11-18/benef-*.xml; do
	awk '{ print } /<\/CONTRAT>/ { exit }' "$f" >"$out/normev3/first-$(basename "$f")"
	printf '  </PERIMETRE_SERVICE>\n</OFFREUR_SERVICE>\n</FICHIER>\n' >>"$out/normev3/first-$(basename "$f")"
done
cp "$S"/2026-11-19/benef-*.xml "$out/normev3/"
gzip -cn "$S/2026-11-19/benef-649010000-000002.xml" >"$out/normev3/gz"
sed '/ENTETE/,/\/ENTETE/d' "$S/2026-11-19/benef-649010000-000002.xml" >"$out/normev3/noentete"

# benefcsv: the header and a few rows of each CSV of the sample, a
# header alone, gzipped.
for f in "$S"/2026-11-*/benef-*.csv; do
	head -n 6 "$f" >"$out/benefcsv/$(basename "$f")"
done
head -n 1 "$S/2026-11-18/benef-502010002-000001.csv" >"$out/benefcsv/hdronly"
gzip -cn "$out/benefcsv/benef-502010002-000002.csv" >"$out/benefcsv/gz"

# noemie: whole files, made small: the sample's opening line and first
# invoice, closed by an end record of their count and totals (NOEMIE:
# from the level 1 close; B2: from the lot's close); a file with no end.
awk 'NR == 1 { print; next }
NR == 2 { print; n = split($0, e, "@"); c = e[n]
	printf "0071999%09d%s%014d%s%014d%s%014d%014d\n", substr(c, 5, 7) + 0,
	    substr(c, 12, 1), substr(c, 13, 12) + 0, substr(c, 25, 1), substr(c, 26, 12) + 0,
	    substr(c, 38, 1), substr(c, 39, 12) + 0, substr(c, 51, 12) + 0; exit }' \
    "$S/2026-11-18/noemie-01931.580" >"$out/noemie/noemie"
awk 'NR <= 6 { print } NR == 6 {
	printf "9%09d%s%014d%s%014d%s%014d%014d%59s\n", substr($0, 2, 7) + 0,
	    substr($0, 9, 1), substr($0, 10, 12) + 0, substr($0, 22, 1), substr($0, 23, 12) + 0,
	    substr($0, 35, 1), substr($0, 36, 12) + 0, substr($0, 48, 12) + 0, ""; exit }' \
    "$S/2026-11-18/invoices.b2" >"$out/noemie/b2"
head -n 2 "$S/2026-11-18/noemie-01751.580" >"$out/noemie/noend"
# --- liquidate's harnesses (guarantee, pec) and dedup's (segment): their
# seeds are made by scripts of their own.
sh "$top/t/fuzz/seeds-liquidate.sh" "$out" "$bin"
sh "$top/t/fuzz/seeds-dedup.sh" "$out" "$bin"
