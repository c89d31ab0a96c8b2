package permit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
	"madina/internal/signature"
)

// TestReceiptsAreSealed: the demonstration's accepted files have their
// receipts sealed by the commune (madina demo); a file accepted at the
// window on a running server gets its receipt sealed after the acceptance
// (a job), and GET /files/{id}/receipt.pdf then serves that signed PDF:
// pdfsig (with Madina's root in an NSS database) finds one valid, trusted
// signature by "Commune de Casablanca", qpdf finds it well formed, the
// registry knows its hash, and every download is the same bytes.
func TestReceiptsAreSealed(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	ctx := context.Background()
	nss := padestest.NSSDB(t, a.Signature.CA().Root())

	// The demonstration's: one receipt per accepted file.
	var accepted, sealed int
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_files WHERE accepted_at IS NOT NULL`).Scan(&accepted); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM signed_documents d JOIN permit_files f ON f.id = d.file_id
		WHERE d.kind = 'receipt' AND d.reference = f.number`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if accepted == 0 || sealed != accepted {
		t.Fatalf("%d accepted demonstration files, %d sealed receipts", accepted, sealed)
	}

	enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
	souadID := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'souad.chraibi@example.ma'`)
	self := authz.Actor{Person: souadID, EmailVerified: true, Now: time.Now()}
	f, err := a.Permit.Create(ctx, self, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
		Arrondissement: "maarif", Fields: permit.Values{"ae_number": "AE-99311", "activity": "Graphisme"}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := a.Permit.View(ctx, self, f.ID)
	for _, item := range v.Missing {
		if _, err := a.Permit.AddDocument(ctx, self, f.ID, item, item+".pdf", bytes.NewReader(apptest.TinyPDF(item))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err = a.Permit.Submit(ctx, self, f.ID, 0); err != nil {
		t.Fatal(err)
	}
	base := apptest.Serve(t, a) // the job queue runs: the seal follows the acceptance
	page := "/files/" + strconv.FormatInt(f.ID, 10)
	colleague := apptest.NewBrowser(t, base)
	colleague.SignIn("collegue.maarif@example.ma", true)
	colleague.SetLang(i18n.FR)
	version := colleague.Version(page)
	code, _, h := colleague.Post(page+"/accept?version="+version, page+"/accept", url.Values{"version": {version}})
	apptest.WantStatus(t, "accept", code, http.StatusSeeOther, h)

	var number string
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := a.DB.QueryRowContext(ctx, `SELECT reference FROM signed_documents WHERE kind = 'receipt' AND file_id = $1`, f.ID).Scan(&number)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receipt of the accepted file was not sealed within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	get := func() []byte {
		t.Helper()
		code, body, hdr := colleague.Get(page + "/receipt.pdf")
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/pdf" {
			t.Fatalf("receipt: %d %s", code, hdr.Get("Content-Type"))
		}
		return []byte(body)
	}
	b := get()
	out := padestest.Pdfsig(t, nss, b)
	if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 ||
		!strings.Contains(out, "Commune de Casablanca") {
		t.Fatalf("pdfsig on the sealed receipt:\n%s", out)
	}
	padestest.NeedTool(t, "qpdf", "qpdf")
	if out, code := padestest.Run(t, "qpdf", "--check", padestest.Write(t, t.TempDir(), "r.pdf", b)); code != 0 {
		t.Fatalf("qpdf --check: %d\n%s", code, out)
	}
	sum := sha256.Sum256(b)
	rec, err := a.Signature.IssuedDocument(ctx, hex.EncodeToString(sum[:]))
	if err != nil || rec.Kind != signature.KindReceipt || rec.FileID != f.ID || rec.Reference != number || number == "" ||
		len(rec.Signers) != 1 || !strings.HasPrefix(rec.Signers[0], "Commune de Casablanca") {
		t.Fatalf("the registry for the downloaded receipt: %+v, %v", rec, err)
	}
	if !bytes.Equal(get(), b) {
		t.Fatal("a second download is not the same signed receipt")
	}

	// A demonstration file's receipt, through the API as its owner would
	// (here the window's agent of another file reads its own: the page).
	var demoID int64
	if err := a.DB.QueryRowContext(ctx, `SELECT d.file_id FROM signed_documents d JOIN permit_files f ON f.id = d.file_id
		WHERE d.kind = 'receipt' AND f.window_code = 'maarif' AND f.id <> $1 ORDER BY d.file_id LIMIT 1`, f.ID).Scan(&demoID); err != nil {
		t.Fatal(err)
	}
	code, body, _ := colleague.Get("/files/" + strconv.FormatInt(demoID, 10) + "/receipt.pdf")
	if code != http.StatusOK {
		t.Fatalf("demo receipt: %d", code)
	}
	if valid, trusted, _ := padestest.Count(padestest.Pdfsig(t, nss, []byte(body))); valid != 1 || trusted != 1 {
		t.Fatal("the demonstration's receipt is not validly sealed")
	}

	// The colleague holds no signing certificate: the file they approve
	// has its decision sealed by the commune, by the job that follows.
	version = colleague.Version(page)
	code, _, h = colleague.Post(page+"/approve", page+"/approve", url.Values{"version": {version}, "reason": {""}})
	apptest.WantStatus(t, "approve", code, http.StatusSeeOther, h)
	for deadline := time.Now().Add(60 * time.Second); ; {
		if ok, _ := a.Signature.HasIssued(ctx, signature.KindDecision, f.ID); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the decision no officer signed was not sealed within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, body, _ = colleague.Get(page + "/decision.pdf")
	if out := padestest.Pdfsig(t, nss, []byte(body)); !strings.Contains(out, "Commune de Casablanca") {
		t.Fatalf("pdfsig on the sealed decision:\n%s", out)
	}
}

// TestDecisionsSignedByTheOfficer: an officer who holds a signing
// certificate is asked for the PIN on the decision's confirmation; with
// the right one the file is decided and its decision PDF is signed by
// them (pdfsig: valid, trusted, their name; the registry knows it); a
// wrong PIN leaves the file undecided and says so in French and Arabic,
// nothing recorded; an officer without a certificate is asked for no PIN
// and decides, and the commune's seal then seals the decision, once.
func TestDecisionsSignedByTheOfficer(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	ctx := context.Background()
	nss := padestest.NSSDB(t, a.Signature.CA().Root())

	// The demonstration's officers signed the decisions they took (the
	// economic files'; the presidents sign the urban ones).
	var signedDemo, decidedDemo int
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM signed_documents d JOIN permit_files f ON f.id = d.file_id
		WHERE d.kind = 'decision' AND f.family = 'economic' AND f.state IN ('approved', 'refused') AND NOT f.tacit
		AND NOT EXISTS (SELECT 1 FROM signature_seals k WHERE k.serial = d.signer_serials)`).Scan(&signedDemo); err != nil {
		t.Fatal(err)
	}
	// Those whose officer holds a certificate (signaturedemo's window
	// agents; the agents made for the other windows hold none).
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_files f JOIN permit_events e ON e.file_id = f.id
		AND e.kind IN ('approve', 'refuse') WHERE f.family = 'economic'
		AND EXISTS (SELECT 1 FROM signer_keys k WHERE k.person_id = e.actor_person_id)`).Scan(&decidedDemo); err != nil {
		t.Fatal(err)
	}
	if signedDemo == 0 || signedDemo != decidedDemo {
		t.Fatalf("%d of the %d decisions the demonstration's certified officers took are signed", signedDemo, decidedDemo)
	}

	enrolAgent(t, a, "collegue.maarif@example.ma", "maarif", "maarif")
	enrolAgent(t, a, "sanscle.maarif@example.ma", "maarif", "maarif")
	souadID := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'souad.chraibi@example.ma'`)
	self := authz.Actor{Person: souadID, EmailVerified: true, Now: time.Now()}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	officer := apptest.NewBrowser(t, srv.URL)
	officer.SignIn("collegue.maarif@example.ma", true)
	officer.SetLang(i18n.FR)
	keyless := apptest.NewBrowser(t, srv.URL)
	keyless.SignIn("sanscle.maarif@example.ma", true)
	keyless.SetLang(i18n.FR)
	code, _, h := officer.Post("/me/signature", "/me/signature/enrol", url.Values{"pin": {"246813"}, "pin_confirm": {"246813"}})
	apptest.WantStatus(t, "enrol", code, http.StatusSeeOther, h)

	file := func(ae string) string {
		t.Helper()
		f, err := a.Permit.Create(ctx, self, permit.Input{Kind: "auto_entrepreneur", Address: "12 rue Ibnou Mounir",
			Arrondissement: "maarif", Fields: permit.Values{"ae_number": ae, "activity": "Graphisme"}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.Permit.View(ctx, self, f.ID)
		for _, item := range v.Missing {
			if _, err := a.Permit.AddDocument(ctx, self, f.ID, item, item+".pdf", bytes.NewReader(apptest.TinyPDF(item))); err != nil {
				t.Fatal(err)
			}
		}
		if _, err = a.Permit.Submit(ctx, self, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		page := "/files/" + strconv.FormatInt(f.ID, 10)
		version := officer.Version(page)
		code, _, h := officer.Post(page+"/accept?version="+version, page+"/accept", url.Values{"version": {version}})
		apptest.WantStatus(t, "accept", code, http.StatusSeeOther, h)
		return page
	}
	state := func(page string) string {
		t.Helper()
		var s string
		id := strings.TrimPrefix(page, "/files/")
		if err := a.DB.QueryRowContext(ctx, `SELECT state FROM permit_files WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	recorded := func(page string) int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM signed_documents WHERE kind = 'decision' AND file_id = $1`,
			strings.TrimPrefix(page, "/files/")).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Refused with a wrong PIN, in French then Arabic: not decided.
	refused := file("AE-99401")
	version := officer.Version(refused)
	reason := "Activité non conforme au règlement."
	code, body, _ := officer.Get(refused + "/refuse?" + url.Values{"version": {version}, "reason": {reason}}.Encode())
	if code != http.StatusOK || !strings.Contains(body, `name="pin"`) || !strings.Contains(html.UnescapeString(body), "Sans le bon code, elle n’est pas prise") {
		t.Fatalf("the refusal's confirmation asks for no PIN: %d\n%s", code, apptest.Grep(body, "pin"))
	}
	form := url.Values{"version": {version}, "reason": {reason}, "pin": {"135790"}}
	code, body, _ = officer.Post(refused+"/refuse", refused+"/refuse", form)
	if code < 400 || code >= 500 || !strings.Contains(html.UnescapeString(body), "La décision n’a pas été prise") ||
		!strings.Contains(html.UnescapeString(body), "Code PIN erroné") || !strings.Contains(body, reason) {
		t.Fatalf("wrong PIN (fr): %d\n%s", code, apptest.Grep(html.UnescapeString(body), "décision"))
	}
	officer.SetLang(i18n.AR)
	code, body, _ = officer.Post(refused+"/refuse", refused+"/refuse", form)
	if code < 400 || code >= 500 || !strings.Contains(body, "لم يُتخذ القرار") || !strings.Contains(body, "رمز سري خاطئ") {
		t.Fatalf("wrong PIN (ar): %d\n%s", code, apptest.Grep(body, "القرار"))
	}
	officer.SetLang(i18n.FR)
	if s := state(refused); s != string(permit.UnderReview) || recorded(refused) != 0 {
		t.Fatalf("after wrong PINs the file is %s with %d signed decisions", s, recorded(refused))
	}
	if len(apptest.Untranslated(a)) > 0 {
		t.Fatalf("untranslated: %v", apptest.Untranslated(a))
	}

	// Approved with the right PIN: decided, and signed by the officer.
	approved := file("AE-99402")
	version = officer.Version(approved)
	code, _, h = officer.Post(approved+"/approve", approved+"/approve", url.Values{"version": {version}, "reason": {""}, "pin": {"246813"}})
	apptest.WantStatus(t, "approve with the PIN", code, http.StatusSeeOther, h)
	if s := state(approved); s != string(permit.Approved) || recorded(approved) != 1 {
		t.Fatalf("after the right PIN the file is %s with %d signed decisions", s, recorded(approved))
	}
	code, pdfBody, _ := officer.Get(approved + "/decision.pdf")
	if code != http.StatusOK {
		t.Fatalf("decision.pdf: %d", code)
	}
	out := padestest.Pdfsig(t, nss, []byte(pdfBody))
	if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 || !strings.Contains(out, "Collègue Guichet") {
		t.Fatalf("pdfsig on the signed decision:\n%s", out)
	}
	sum := sha256.Sum256([]byte(pdfBody))
	if rec, err := a.Signature.IssuedDocument(ctx, hex.EncodeToString(sum[:])); err != nil || rec.Kind != signature.KindDecision ||
		len(rec.Signers) != 1 || !strings.HasPrefix(rec.Signers[0], "Collègue Guichet") {
		t.Fatalf("registry: %+v, %v", rec, err)
	}

	if _, body, _ := officer.Get(approved); !strings.Contains(html.UnescapeString(body), "signée électroniquement par l’agent qui l’a prise") ||
		strings.Contains(html.UnescapeString(body), "sera signé électroniquement dès que") {
		t.Fatalf("the file's page does not say the decision is signed:\n%s", apptest.Grep(html.UnescapeString(body), "decision.pdf"))
	}

	// Without a certificate: no PIN asked, decided; the commune's seal
	// follows (the job, run here at once).
	plain := file("AE-99403")
	version = keyless.Version(plain)
	code, body, _ = keyless.Get(plain + "/approve?version=" + version)
	if code != http.StatusOK || strings.Contains(body, `name="pin"`) || !strings.Contains(html.UnescapeString(body), "scellée électroniquement par la commune une fois prise") {
		t.Fatalf("the keyless officer's confirmation: %d, asks for a PIN: %v\n%s", code, strings.Contains(body, `name="pin"`), apptest.Grep(html.UnescapeString(body), "signature"))
	}
	code, _, h = keyless.Post(plain+"/approve", plain+"/approve", url.Values{"version": {version}, "reason": {""}})
	apptest.WantStatus(t, "approve unsigned", code, http.StatusSeeOther, h)
	if s := state(plain); s != string(permit.Approved) || recorded(plain) != 0 {
		t.Fatalf("keyless approval: %s, %d signed", s, recorded(plain))
	}
	_, pdfBody, _ = keyless.Get(plain + "/decision.pdf")
	if _, _, total := padestest.Count(padestest.Pdfsig(t, nss, []byte(pdfBody))); total != 0 {
		t.Fatal("the keyless officer's decision carries a signature")
	}
	if _, body, _ := keyless.Get(plain); !strings.Contains(html.UnescapeString(body), "sa copie scellée électroniquement est en préparation") {
		t.Fatalf("the decision's page while its seal is pending:\n%s", apptest.Grep(html.UnescapeString(body), "decision.pdf"))
	}
	// What the job does, or an operator's "madina admin seal": the
	// three receipts of this test (no job ran) and the one decision no
	// officer signed; then nothing more.
	if receipts, decisions, err := a.Permit.SealIssued(ctx); err != nil || receipts != 3 || decisions != 1 || recorded(plain) != 1 {
		t.Fatalf("sealed %d receipts, %d decisions: %v", receipts, decisions, err)
	}
	if receipts, decisions, err := a.Permit.SealIssued(ctx); err != nil || receipts+decisions != 0 {
		t.Fatalf("sealing again: %d receipts, %d decisions: %v", receipts, decisions, err)
	}
	_, pdfBody, _ = keyless.Get(plain + "/decision.pdf")
	out = padestest.Pdfsig(t, nss, []byte(pdfBody))
	if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 || !strings.Contains(out, "Commune de Casablanca") {
		t.Fatalf("pdfsig on the sealed decision:\n%s", out)
	}
	if _, body, _ := keyless.Get(plain); !strings.Contains(html.UnescapeString(body), "scellée électroniquement par la commune") {
		t.Fatal("the sealed decision's page does not say it is sealed")
	}
}

// TestArchitectSignsOverHTTP: in the demonstration, the architect opens a
// draft of theirs, follows a document's Sign button to the page asking
// for the PIN (in Arabic and French), comes back to it on a wrong PIN with
// the attempts left and nothing signed, then signs: the file's page says
// who signed the document, the PDF served carries their valid, trusted
// signature, and the JSON API signs another document of the file (201)
// but refuses a token without the signing scope.
func TestArchitectSignsOverHTTP(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite, withBaseURL)
	ctx := context.Background()
	nss := padestest.NSSDB(t, a.Signature.CA().Root())
	omar := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'omar.berrada@example.ma'`)
	var fileID int64
	if err := a.DB.QueryRowContext(ctx, `SELECT f.id FROM permit_files f WHERE f.state = 'draft' AND f.created_by = $1
		AND (SELECT COUNT(DISTINCT d.item) FROM permit_documents d WHERE d.file_id = f.id
			AND d.item IN ('situation_plan', 'mass_plan')) = 2
		ORDER BY f.id LIMIT 1`, omar).Scan(&fileID); err != nil {
		t.Fatalf("a draft of the architect's with its situation and site plans: %v", err)
	}
	page := "/files/" + strconv.FormatInt(fileID, 10)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	b.SignIn("omar.berrada@example.ma", false)
	b.SetLang(i18n.FR)

	_, body, _ := b.Get(page)
	signs := regexp.MustCompile(`action="(`+regexp.QuoteMeta(page)+`/documents/(\d+)/sign)"`).FindAllStringSubmatch(body, -1)
	if len(signs) < 2 {
		t.Fatalf("the draft's page offers %d documents to sign:\n%s", len(signs), apptest.Grep(body, "/sign"))
	}
	signPage, docID := signs[0][1], signs[0][2]
	code, body, _ := b.Get(signPage)
	if code != http.StatusOK || !strings.Contains(body, `name="pin"`) || !strings.Contains(html.UnescapeString(body), "Signer ce document ?") {
		t.Fatalf("the sign page (fr): %d\n%s", code, apptest.Grep(body, "pin"))
	}
	b.SetLang(i18n.AR)
	if _, body, _ := b.Get(signPage); !strings.Contains(body, "توقيع هذه الوثيقة؟") {
		t.Fatal("the sign page is not in Arabic")
	}
	b.SetLang(i18n.FR)
	signatures := func() int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_document_signatures g JOIN permit_documents d
			ON d.id = g.document_id WHERE d.file_id = $1`, fileID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The demonstration may have signed another document of the draft.
	before := signatures()
	code, body, _ = b.Post(signPage, signPage, url.Values{"pin": {"111111"}})
	if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), "Le document n’a pas été signé") ||
		!strings.Contains(html.UnescapeString(body), "Code PIN erroné") || signatures() != before {
		t.Fatalf("wrong PIN: %d, %d signatures\n%s", code, signatures(), apptest.Grep(html.UnescapeString(body), "PIN"))
	}
	code, _, h := b.Post(signPage, signPage, url.Values{"pin": {"246813"}})
	apptest.WantStatus(t, "sign", code, http.StatusSeeOther, h)
	if loc := h.Get("Location"); !strings.HasPrefix(loc, page+"?done=signed#item-") {
		t.Fatalf("after signing: %s", loc)
	}
	_, body, _ = b.Get(page + "?done=signed")
	body = html.UnescapeString(body)
	if !strings.Contains(body, "Le document a été signé") || !strings.Contains(body, "Signé électroniquement par Omar") {
		t.Fatalf("the file's page after signing:\n%s", apptest.Grep(body, "sign"))
	}
	var signedID int64
	if err := a.DB.QueryRowContext(ctx, `SELECT document_id FROM permit_document_signatures WHERE source_id = $1`, docID).Scan(&signedID); err != nil {
		t.Fatal(err)
	}
	_, pdfBody, _ := b.Get(page + "/documents/" + strconv.FormatInt(signedID, 10))
	out := padestest.Pdfsig(t, nss, []byte(pdfBody))
	if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 || !strings.Contains(out, "Omar") {
		t.Fatalf("pdfsig on the signed document:\n%s", out)
	}

	// The API: a token with files:write and signatures:sign signs; one
	// without the signing scope is refused, nothing signed.
	other := signs[1][2]
	api := func(scopes ...authz.Scope) (int, string) {
		t.Helper()
		tok, err := a.Identity.CreateToken(ctx, omar, "signing", scopes, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apptest.APIClient{T: t, Base: srv.URL, Token: tok}
		return c.JSON(http.MethodPost, page+"/documents/"+other+"/signature", map[string]string{"pin": "246813"}, nil)
	}
	page = "/api/v1" + page
	if code, body := api(authz.ScopeFilesRead, authz.ScopeFilesWrite); code != http.StatusForbidden || signatures() != before+1 {
		t.Fatalf("a token without signatures:sign: %d %s", code, body)
	}
	if code, body := api(authz.ScopeFilesRead, authz.ScopeFilesWrite, authz.ScopeSign); code != http.StatusCreated ||
		!strings.Contains(body, `"signs":`+other) || signatures() != before+2 {
		t.Fatalf("the API's signature: %d %s", code, body)
	}
}
