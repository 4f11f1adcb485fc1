# A Norme V3 file of n beneficiaries (families of 4 under one CONTRAT),
# the subscriber (AS, with its RO), a spouse (CJ, her own NNI), two
# children without RO or NNI of their own; a card for the family, the
# subscriber's RIB; valid against the reference schema.  For t0600 and
# make bench (t/bench-benef.sh): awk -v n=N -v
# amc=AMC -v fileno=K -v first=I.
function nir(i,   s) {
	s = sprintf("1%02d%02d75%03d%03d", 60 + i % 40, 1 + i % 12, i % 1000, int(i / 1000) % 1000)
	return s
}
function nirkey(s) {
	return sprintf("%02d", 97 - (s % 97))
}
function member(c, k, subs, birth, rang, nni) {
	printf "    <MEMBRE_CONTRAT>\n      <SOUSCRIPTEUR>%d</SOUSCRIPTEUR>\n      <POSITION>%02d</POSITION>\n      <TYPE_REGIME>RC</TYPE_REGIME>\n      <INDIVIDU>\n        <REF_INTERNE_OS>P%d-%d</REF_INTERNE_OS>\n        <DATE_NAISSANCE>%s</DATE_NAISSANCE>\n        <RANG_NAISSANCE>%d</RANG_NAISSANCE>\n        <NOM_PATRONIMIQUE>NOM%d</NOM_PATRONIMIQUE>\n        <NOM_USAGE>NOM%d</NOM_USAGE>\n        <PRENOM>PRENOM%d</PRENOM>\n        <MEDECIN_TRAITANT>0</MEDECIN_TRAITANT>\n      </INDIVIDU>\n      <ADRESSE_MEMBRE>\n        <ADRESSE_AGREGEE>\n          <LIGNE1>NOM%d PRENOM%d</LIGNE1>\n          <LIGNE2>%d RUE DES TESTS</LIGNE2>\n          <LIGNE6>75001 PARIS</LIGNE6>\n        </ADRESSE_AGREGEE>\n      </ADRESSE_MEMBRE>\n      <JOIGNABILITE>\n        <MEDIA>ME</MEDIA>\n        <ADRESSE_MEDIA>p%d@example.org</ADRESSE_MEDIA>\n        <ACTIF>1</ACTIF>\n      </JOIGNABILITE>\n      <NUM_ADHESION>A%d</NUM_ADHESION>\n      <AUTONOME>0</AUTONOME>\n      <MODE_PAIEMENT>AU</MODE_PAIEMENT>\n%s    </MEMBRE_CONTRAT>\n",
	    subs, k + 1, c, k, birth, rang, c, c, c * 4 + k, c, c * 4 + k, c, c * 4 + k, c,
	    nni == "" ? "" : "      <NNI>" nni "</NNI>\n"
}
function pec(c, k, type, ro,   s) {
	printf "      <SERVICE_TP_PEC>\n        <BENEFICIAIRE>\n          <REF_INTERNE_OS>P%d-%d</REF_INTERNE_OS>\n          <TYPE_BENEF>%s</TYPE_BENEF>\n", c, k, type
	if (ro != "")
		printf "          <RO>\n            <CODE_GRAND_REGIME>01</CODE_GRAND_REGIME>\n            <NNI>%s</NNI>\n            <CODE_CAISSE_RO>751</CODE_CAISSE_RO>\n            <CENTRE_SS>0001</CENTRE_SS>\n          </RO>\n", ro
	printf "          <CONTRAT_RESPONSABLE>1</CONTRAT_RESPONSABLE>\n          <PRODUIT>\n            <ORDRE>1</ORDRE>\n            <REFERENCE_PRODUIT>BASE</REFERENCE_PRODUIT>\n            <DATE_ENTREE_PRODUIT>2026-01-01</DATE_ENTREE_PRODUIT>\n            <DATE_SORTIE_PRODUIT>2026-12-31</DATE_SORTIE_PRODUIT>\n          </PRODUIT>\n          <PRODUIT>\n            <ORDRE>2</ORDRE>\n            <REFERENCE_PRODUIT>RENFORT</REFERENCE_PRODUIT>\n            <DATE_ENTREE_PRODUIT>2026-01-01</DATE_ENTREE_PRODUIT>\n            <DATE_SORTIE_PRODUIT>2026-12-31</DATE_SORTIE_PRODUIT>\n          </PRODUIT>\n          <CODE_MOUVEMENT_CARTE>MC</CODE_MOUVEMENT_CARTE>\n          <NUMERO_CARTE>C%09d</NUMERO_CARTE>\n          <DETAIL_CARTE>\n            <FOND_CARTE>FOND1</FOND_CARTE>\n            <CODE_ANNEXE>ANX1</CODE_ANNEXE>\n          </DETAIL_CARTE>\n        </BENEFICIAIRE>\n        <SERVICE_TP>\n", c
	if (k == 0)
		printf "          <RIB>\n            <PRESTATION>\n              <TITULAIRE>NOM%d PRENOM%d</TITULAIRE>\n              <IBAN_PAYS>FR</IBAN_PAYS>\n              <IBAN_CONTROLE>76</IBAN_CONTROLE>\n              <IBAN_BBAN>30006000011234567890189</IBAN_BBAN>\n              <BIC_BANQUE>AGRI</BIC_BANQUE>\n              <BIC_PAYS>FR</BIC_PAYS>\n              <BIC_EMPLACEMENT>PP</BIC_EMPLACEMENT>\n            </PRESTATION>\n          </RIB>\n          <COMPENSATION_AUTORISEE>true</COMPENSATION_AUTORISEE>\n", c, c * 4
	printf "          <DATE_DEBUT_VALIDITE>2026-01-01</DATE_DEBUT_VALIDITE>\n          <DATE_FIN_VALIDITE>2026-12-31</DATE_FIN_VALIDITE>\n          <ACTIVATION_DESACTIVATION>AC</ACTIVATION_DESACTIVATION>\n          <ENVOI>AD</ENVOI>\n        </SERVICE_TP>\n      </SERVICE_TP_PEC>\n"
}
BEGIN {
	printf "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<FICHIER xmlns=\"http://www.almerys.com/NormeV3\">\n<ENTETE>\n  <NUM_FICHIER>%d</NUM_FICHIER>\n  <DATE_CREATION>2026-11-17T20:00:00.000Z</DATE_CREATION>\n  <VERSION_NORME>V3</VERSION_NORME>\n  <NUM_OS_EMETTEUR>%s</NUM_OS_EMETTEUR>\n</ENTETE>\n<OFFREUR_SERVICE>\n  <LIBELLE_OS>CLIENT</LIBELLE_OS>\n  <NUM_OS>%s</NUM_OS>\n  <PERIMETRE_SERVICE>\n    <CODE_PERIMETRE>PERIM</CODE_PERIMETRE>\n    <LIBELLE_PERIMETRE>CLIENT</LIBELLE_PERIMETRE>\n    <CRITERE_REGROUPEMENT></CRITERE_REGROUPEMENT>\n", fileno, amc, amc
	for (c = first; c < first + int(n / 4); c++) {
		a = nir(2 * c); b = "2" substr(nir(2 * c + 1), 2)
		printf "  <CONTRAT>\n    <NUM_CONTRAT>K%09d</NUM_CONTRAT>\n    <ETAT_CONTRAT>OU</ETAT_CONTRAT>\n", c
		member(c, 0, 1, "1970-05-10", 1, a)
		member(c, 1, 0, "1972-03-01", 1, b)
		member(c, 2, 0, "2012-07-14", 1, "")
		member(c, 3, 0, "2015-09-30", 1, "")
		printf "    <SERVICE>\n"
		pec(c, 0, "AS", a); pec(c, 1, "CJ", ""); pec(c, 2, "EN", ""); pec(c, 3, "EN", "")
		printf "      <CARTE_A_PUCE>\n        <CARTE>\n          <REF_INTERNE_OS_PORTEUR>P%d-0</REF_INTERNE_OS_PORTEUR>\n          <REF_INTERNE_OS_PORTE>P%d-2</REF_INTERNE_OS_PORTE>\n          <REF_INTERNE_OS_PORTE>P%d-3</REF_INTERNE_OS_PORTE>\n          <ACTIVATION_DESACTIVATION>AC</ACTIVATION_DESACTIVATION>\n          <DATE_DEBUT_VALIDITE>2026-01-01</DATE_DEBUT_VALIDITE>\n          <DATE_FIN_VALIDITE>2026-12-31</DATE_FIN_VALIDITE>\n          <ENVOI>AD</ENVOI>\n        </CARTE>\n      </CARTE_A_PUCE>\n", c, c, c
		printf "    </SERVICE>\n  </CONTRAT>\n"
	}
	printf "  </PERIMETRE_SERVICE>\n</OFFREUR_SERVICE>\n</FICHIER>\n"
}
