/*
 * What a decoded field must be, whatever the record: text of its length,
 * NUL-ended; money and dates that read back as the value decoded.
 */
static void
checkval(const struct layout *l, const struct lay_record *r, const struct lay_val *v)
{
	const struct lay_field *f;
	int64_t c;
	int32_t d;
	int i, j;

	for (i = 0; i < r->nfield; i++) {
		f = &r->f[i];
		if (f->col < 0 || f->fmt == LF_X || f->fmt == LF_CONST || !v[f->col].set)
			continue;
		/* lay_load refuses two fields of one record naming one column. */
		for (j = i + 1; j < r->nfield; j++)
			if (r->f[j].col == f->col)
				fz_fail("%s record %s: fields %d and %d name one column",
				    l->name, r->type, i, j);
		if (v[f->col].n >= LAY_VALSZ || strlen(v[f->col].text) != v[f->col].n)
			fz_fail("%s record %s field %d: text of %d bytes", l->name, r->type, i,
			    v[f->col].n);
		if (f->mapped)
			continue;
		switch (f->fmt) {
		case LF_M:
		case LF_S:
		case LF_F2:
			if (money_parse(v[f->col].text, v[f->col].n, &c) != M_OK ||
			    c != v[f->col].num)
				fz_fail("%s record %s field %d: amount %s is not %lld",
				    l->name, r->type, i, v[f->col].text, (long long)v[f->col].num);
			break;
		case LF_D6:
		case LF_Y6:
		case LF_D8:
		case LF_Y8:
			if (date_parse(v[f->col].text, v[f->col].n, &d) != 0 ||
			    d != v[f->col].date)
				fz_fail("%s record %s field %d: date %s is not day %ld",
				    l->name, r->type, i, v[f->col].text, (long)v[f->col].date);
			break;
		}
	}
}
