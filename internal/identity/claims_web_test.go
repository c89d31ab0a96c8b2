package identity_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// postClaim sends the claim form of page as a browser would: the fields,
// then the evidence file, the CSRF token in the address.
func postClaim(b *apptest.Browser, page string, fields url.Values, name string, evidence []byte) (int, string, http.Header) {
	b.T.Helper()
	_, html, _ := b.Get(page)
	m := apptest.CSRFRE.FindStringSubmatch(html)
	if m == nil {
		b.T.Fatalf("no CSRF token on %s", page)
	}
	return b.PostMultipart(page+"?csrf_token="+url.QueryEscape(m[1]), fields, "evidence", name, evidence)
}

// A second registration of an association already registered leads to a
// claim with evidence; its representative approves it in their space.
func TestLegalClaimOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		youssef := apptest.Join(t, a, srv.URL, "youssef@example.ma", "BK7001", i18n.FR)
		amina := apptest.Join(t, a, srv.URL, "amina@example.ma", "BK7002", i18n.FR)
		sidi := url.Values{"name": {"Association Sidi Othmane Sport et Culture"}, "association_number": {"23/2019"}, "role": {"president"}}
		if code, _, _ := youssef.Post("/me/legal/new/association", "/me/legal/new/association", apptest.CloneForm(sidi)); code != http.StatusSeeOther {
			t.Fatalf("first registration: %d", code)
		}
		// The same association again, its number in Arabic-Indic digits: the claim form.
		again := apptest.CloneForm(sidi)
		again.Set("association_number", "٢٣ / ٢٠١٩")
		code, body, _ := amina.Post("/me/legal/new/association", "/me/legal/new/association", again)
		if code != http.StatusConflict || !strings.Contains(body, "déjà enregistrée") || !strings.Contains(body, `enctype="multipart/form-data"`) ||
			!strings.Contains(body, `value="23 / 2019"`) {
			t.Fatalf("second registration: %d\n%s", code, body)
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM legal_persons`); n != 1 {
			t.Fatalf("%d legal persons", n)
		}
		claim := url.Values{"number": {"23/2019"}, "role": {"president"}}
		if code, body, _ := postClaim(amina, "/me/legal/claim/association", claim, "statuts.html", []byte("<html><script>x</script></html>")); code != http.StatusUnsupportedMediaType ||
			!strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("HTML as evidence: %d", code)
		}
		if code, _, h := postClaim(amina, "/me/legal/claim/association", claim, "statuts.pdf", apptest.OnePagePDF()); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=claimed" {
			t.Fatalf("claim: %d %s", code, h.Get("Location"))
		}
		id := apptest.IDOf(t, a.DB, `SELECT id FROM legal_claims`)
		if _, body, _ := amina.Get("/me/legal"); !strings.Contains(body, "En attente de décision") {
			t.Fatal("the claimant does not see the claim pending")
		}
		// The representative sees it, reads the evidence, approves.
		_, body, _ = youssef.Get("/me/legal")
		if !strings.Contains(body, "Demandes de représentation à examiner") || !strings.Contains(body, "amina@example.ma") {
			t.Fatal("the representative does not see the claim")
		}
		if code, pdf, h := youssef.Get(fmt.Sprintf("/me/legal/claims/%d/evidence", id)); code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("evidence: %d %s", code, h.Get("Content-Type"))
		}
		if code, _, _ := amina.Post("/me/legal", fmt.Sprintf("/me/legal/claims/%d/decide", id), url.Values{"decision": {"approve"}}); code != http.StatusForbidden {
			t.Fatalf("the claimant approving: %d", code)
		}
		if code, _, h := youssef.Post("/me/legal", fmt.Sprintf("/me/legal/claims/%d/decide", id), url.Values{"decision": {"approve"}}); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=claim_approved" {
			t.Fatalf("approve: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := amina.Get("/me/legal"); !strings.Contains(body, "Association Sidi Othmane Sport et Culture") || !strings.Contains(body, "Agir en son nom") {
			t.Fatal("the approved claimant does not represent the association")
		}
	})
}

// With the demonstration's real association: a citizen who registers it
// again is led to a claim; an administrator decides it in the back office
// (in every language); approved, the claimant represents it; refused,
// nothing changes. Its president is told at each step.
func TestLegalClaimInTheBackOffice(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		claimant := func(email string) (*apptest.Browser, int64) {
			b := apptest.NewBrowser(t, srv.URL)
			b.SignIn(email, false)
			b.SetLang(i18n.FR)
			sidi := url.Values{"name": {"Association Sidi Othmane Sport et Culture"}, "association_number": {"2019 / 0456"}, "role": {"president"}}
			if code, body, _ := b.Post("/me/legal/new/association", "/me/legal/new/association", sidi); code != http.StatusConflict || !strings.Contains(body, "déjà enregistrée") {
				t.Fatalf("%s registering the association again: %d", email, code)
			}
			if code, _, _ := postClaim(b, "/me/legal/claim/association", url.Values{"number": {"2019/0456"}, "role": {"president"}}, "pv.pdf", apptest.OnePagePDF()); code != http.StatusSeeOther {
				t.Fatalf("%s claiming: %d", email, code)
			}
			return b, apptest.IDOf(t, a.DB, `SELECT max(c.id) FROM legal_claims c JOIN persons p ON p.id = c.claimant_id WHERE p.email_key = $1`, email)
		}
		fatima, first := claimant("fatima.benali@example.ma")
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM legal_persons WHERE association_number IS NOT NULL`); n != 1 {
			t.Fatalf("%d associations", n)
		}

		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
		for _, l := range i18n.Langs {
			admin.Lang(l)
			code, body, _ := admin.Get("/admin/legal-claims")
			if code != 200 || !strings.Contains(body, a.Cat.T(l, "identity.claims.admin_title")) || !strings.Contains(body, "fatima.benali@example.ma") {
				t.Errorf("back office claims in %s: %d", l, code)
			}
			if ks := apptest.Untranslated(a); len(ks) > 0 {
				t.Errorf("back office claims in %s: keys without a text %q", l, ks)
			}
		}
		if code, pdf, _ := admin.Get(fmt.Sprintf("/me/legal/claims/%d/evidence", first)); code != 200 || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("the administrator reading the evidence: %d", code)
		}
		if code, _, h := admin.Post("/admin/legal-claims", fmt.Sprintf("/admin/legal-claims/%d/decide", first), url.Values{"decision": {"approve"}}); code != http.StatusSeeOther || h.Get("Location") != "/admin/legal-claims?done=claim_approved" {
			t.Fatalf("approve: %d %s", code, h.Get("Location"))
		}
		if _, body, _ := fatima.Get("/me/legal"); !strings.Contains(body, "Agir en son nom") {
			t.Fatal("the approved claimant does not represent the association")
		}

		// Refused: nothing but the record.
		reps := apptest.IDOf(t, a.DB, `SELECT count(*) FROM representatives`)
		_, second := claimant("khadija.ouazzani@example.ma")
		if code, _, _ := admin.Post("/admin/legal-claims", fmt.Sprintf("/admin/legal-claims/%d/decide", second), url.Values{"decision": {"refuse"}, "reason": {"Le procès-verbal ne vous nomme pas.\r\nMerci de joindre les statuts à jour."}}); code != http.StatusSeeOther {
			t.Fatalf("refuse with a reason on two lines: %d", code)
		}
		var reason string
		if err := a.DB.QueryRowContext(ctx, `SELECT reason FROM legal_claims WHERE id = $1`, second).Scan(&reason); err != nil ||
			reason != "Le procès-verbal ne vous nomme pas.\nMerci de joindre les statuts à jour." {
			t.Errorf("refusal reason stored as %q (%v), want its two lines", reason, err)
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM representatives`); n != reps {
			t.Fatalf("a refused claim changed the representatives: %d, were %d", n, reps)
		}
		// The president heard of both claims and both decisions.
		apptest.Settle(t, a)
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM notify_deliveries WHERE address = 'naima.bennis@example.ma' AND template IN ('identity.legal_claim_filed', 'identity.legal_claim_decided')`); n != 4 {
			t.Fatalf("the president got %d e-mails about the claims, want 4", n)
		}
	})
}

// Every spelling of the demonstration's association number (and of its
// company's ICE) that a broker might type to register a lookalike leads to
// the claim instead: the form answers that it is already registered, and
// nothing new is recorded.
func TestLegalLookalikeNumbersLeadToTheClaim(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		b.SignIn("fatima.benali@example.ma", false)
		b.SetLang(i18n.FR)
		before := apptest.IDOf(t, a.DB, `SELECT count(*) FROM legal_persons`)
		for _, number := range []string{"2019/0456", " 2019 / 0456 ", "٢٠١٩/٠٤٥٦", "2019-456", "2019-0456", "2019/456", "0456/2019", "２０１９／０４５６"} {
			form := url.Values{"name": {"Association Sidi Othmane Sport et Culture"}, "association_number": {number}, "role": {"president"}}
			if code, body, _ := b.Post("/me/legal/new/association", "/me/legal/new/association", form); code != http.StatusConflict || !strings.Contains(body, "déjà enregistrée") {
				t.Errorf("registering the association as %q: %d", number, code)
			}
		}
		for _, ice := range []string{"002 345 678 000 091", "002.345.678.000.091", "٠٠٢٣٤٥٦٧٨٠٠٠٠٩١", "００２３４５６７８０００ ０９１", "002\u2009345\u2009678\u2009000\u2009091"} {
			form := url.Values{"name": {"Copie"}, "ice": {ice}, "rc": {"458921"}, "role": {"manager"}}
			if code, _, _ := b.Post("/me/legal/new/company", "/me/legal/new/company", form); code != http.StatusConflict {
				t.Errorf("registering the company as %q: %d", ice, code)
			}
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM legal_persons`); n != before {
			t.Fatalf("%d legal persons after the lookalikes, were %d", n, before)
		}
		if code, _, _ := postClaim(b, "/me/legal/claim/association", url.Values{"number": {"0456-2019"}, "role": {"president"}}, "pv.pdf", apptest.OnePagePDF()); code != http.StatusSeeOther {
			t.Fatalf("claiming by another spelling: %d", code)
		}
	})
}
