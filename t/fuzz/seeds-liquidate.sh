#!/bin/sh
# Seeds of liquidate's harnesses (guarantee, pec), made from
# testdata/sample; run by seeds.sh.  Usage: seeds-liquidate.sh SEEDDIR BINDIR.
set -e
out=$1
bin=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
S=$top/testdata/sample
mkdir -p "$out/guarantee" "$out/pec"

# guarantee: the sample's files, and a small one with every attribute.
for f in "$S"/2026-11-18/garanties-*.xml; do
	cp "$f" "$out/guarantee/$(basename "$f" .xml)"
done
cat >"$out/guarantee/every" <<'EOG'
<?xml version="1.0" encoding="UTF-8"?>
<garanties xmlns="urn:tiers:garanties:1" amc="900000001">
  <plafond id="O" portee="beneficiaire" montant="400.00" nombre="1" periode="mois" mois="24">
    <age max="5" mois="6"/>
  </plafond>
  <plafond id="D" portee="famille" montant="100.00" periode="annee"/>
  <produit ref="BASE">
    <regle domaine="MEDG" age-max="15" formule="br" taux="300"/>
    <regle domaine="MEDS" formule="br-sup" taux="50"/>
    <regle domaine="HOSP" actes="FJ" formule="fixe" montant="20.00"/>
    <regle domaine="DENT" actes="SPR" formule="sante100" prix-limite="500.00" pec="1" plafond="D"/>
    <regle domaine="OPTI" formule="fr" taux="100" plafond="O"/>
  </produit>
</garanties>
EOG

# pec: the sample's PEC streams cut to a few agreements, resealed.
for d in 2026-11-18 2026-11-19; do
	head -n 6 "$S/$d/pec.tsv" | "$bin/tiers-seal" -r >"$out/pec/$d"
done
head -n 1 "$S/2026-11-18/pec.tsv" | "$bin/tiers-seal" -r >"$out/pec/none"
