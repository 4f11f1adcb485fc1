# claims.awk: the claim records of one case and day of a table of cases
# (t0800, t0820, t0840: case, day, who, changes, then what is expected),
# made from the base claim of the file claim.base with the beneficiary
# "who" and the row's name=value changes.  A row whose who is = is a line
# presented again, not a claim sent.  Variables: cs and day, benefs (the
# test's beneficiaries, a line each: alias, adherent, -, NIR, key, birth
# date...; X is nobody).  The columns are those of claim.head's header;
# with dup_id among them, each claim gets D<day>#<rank>.
BEGIN {
	FS = OFS = "\t"
	n = split(benefs, l, "\n")
	for (i = 1; i <= n; i++) {
		split(l[i], f, "\t")
		nir[f[1]] = f[4]; key[f[1]] = f[5]; birth[f[1]] = f[6]; adh[f[1]] = f[2]
	}
	nir["X"] = "1999999999999"; key["X"] = "12"; birth["X"] = "1999-01-01"; adh["X"] = "C0"
	getline hl <"claim.head"
	nh = split(hl, h, "\t")
	for (i = 4; i <= nh; i++)
		c[h[i]] = i - 3
	getline base <"claim.base"
}
/^#/ || $1 != cs || $2 != day || $3 == "=" { next }
{
	k++
	nf = split(base, v, "\t")
	v[c["nir"]] = nir[$3]; v[c["nir_key"]] = key[$3]
	v[c["birth_date"]] = birth[$3]; v[c["adherent"]] = adh[$3]
	v[c["line"]] = k
	if ("dup_id" in c)
		v[c["dup_id"]] = "D" day "#" k
	m = split($4, a, ";")
	for (i = 1; i <= m; i++)
		if (a[i] != "-") {
			split(a[i], kv, "=")
			v[c[kv[1]]] = kv[2]
		}
	s = v[1]
	for (i = 2; i <= nf; i++)
		s = s "\t" v[i]
	print s
}
