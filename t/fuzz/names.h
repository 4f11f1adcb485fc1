/*
 * The field names noemie-decode gives lay_load (filters/noemie-decode.c
 * keeps them static): a layout may use these, no other.
 */
static const char *const names[] = {
	"sender", "file_number", "file_date", "regime", "caisse", "ps_kind",
	"ps_number", "invoice", "invoice_date", "invoice_total_eur", "nir",
	"nir_key", "benef_nir", "benef_nir_key", "birth_date", "rang", "amc",
	"adherent", "line_no", "act_date", "act_code", "coef", "qty", "fr_eur",
	"br_eur", "amo_rate_bp", "amo_eur", "pf_eur", "franchise_eur",
	"depassement_eur", "tp", "nature", "ref_invoice", "ref_line",
	"level", "count", "total_eur", "fr_total_eur", "br_total_eur",
	"amo_total_eur", "date_total"
};
#define NNAMES ((int)(sizeof names / sizeof names[0]))
