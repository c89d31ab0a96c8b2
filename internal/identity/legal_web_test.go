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
	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

func TestLegalPersonsAndMandatesOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		youssef := apptest.Join(t, a, srv.URL, "youssef@example.ma", "BK7001", i18n.FR)
		amina := apptest.Join(t, a, srv.URL, "amina@example.ma", "BK7002", i18n.FR)
		archi := apptest.Join(t, a, srv.URL, "archi@example.ma", "BK7003", i18n.FR)

		// Signed-out visitors are sent to sign in.
		if code, _, h := apptest.NewBrowser(t, srv.URL).Get("/me/mandates"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
			t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
		}
		if code, _, _ := youssef.Get("/me/legal/new/cooperative"); code != http.StatusNotFound {
			t.Fatalf("unknown kind: %d", code)
		}

		// Registering a company: forgery refused, mistakes explained on their field.
		company := url.Values{"name": {"Atlas Bâtiment"}, "name_ar": {"أطلس للبناء"}, "ice": {"001234567000089"}, "rc": {"123456"}, "role": {"manager"}}
		if code, _, _ := youssef.PostRaw("/me/legal/new/company", apptest.CloneForm(company)); code != http.StatusForbidden {
			t.Fatalf("without CSRF token: %d", code)
		}
		bad := apptest.CloneForm(company)
		bad.Set("ice", "1234")
		code, body, _ := youssef.Post("/me/legal/new/company", "/me/legal/new/company", bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "ICE invalide") || !strings.Contains(body, `value="Atlas Bâtiment"`) {
			t.Fatalf("bad ICE: %d", code)
		}
		if code, _, h := youssef.Post("/me/legal/new/company", "/me/legal/new/company", apptest.CloneForm(company)); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=registered" {
			t.Fatalf("register: %d %s", code, h.Get("Location"))
		}
		atlas := apptest.IDOf(t, a.DB, `SELECT id FROM legal_persons WHERE ice = '001234567000089'`)
		if code, body, _ := youssef.Get("/me/legal?done=registered"); code != 200 || !strings.Contains(body, "Atlas Bâtiment") || !strings.Contains(body, "Gérant") ||
			!strings.Contains(body, "Enregistrée") || !strings.Contains(body, "Vous agissez en votre nom propre") {
			t.Fatalf("my companies: %d", code)
		}
		if code, body, _ := amina.Post("/me/legal/new/company", "/me/legal/new/company", apptest.CloneForm(company)); code != http.StatusConflict || !strings.Contains(body, "déjà enregistrée") {
			t.Fatalf("duplicate ICE: %d", code)
		}
		assoc := url.Values{"name": {"Jeunes de Derb Sultan"}, "association_number": {"12/2019"}, "role": {"president"}}
		if code, _, _ := amina.Post("/me/legal/new/association", "/me/legal/new/association", assoc); code != http.StatusSeeOther {
			t.Fatalf("association: %d", code)
		}

		// Acting for the company: only its representative; others get 404.
		if code, _, _ := amina.Post("/me/legal", fmt.Sprintf("/me/acting/%d", atlas), url.Values{}); code != http.StatusNotFound {
			t.Fatalf("a non-representative acting for it: %d", code)
		}
		if code, _, h := youssef.Post("/me/legal", fmt.Sprintf("/me/acting/%d", atlas), url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/me/legal?done=acting" {
			t.Fatalf("act for: %d", code)
		}
		if _, body, _ := youssef.Get("/me/legal"); !strings.Contains(body, "Vous agissez pour Atlas Bâtiment") {
			t.Fatal("acting for not shown")
		}

		// The architect declares their profession.
		if code, _, _ := archi.Post("/me/profession", "/me/profession", url.Values{"profession": {"architect"}, "registration_number": {"a-77"}}); code != http.StatusSeeOther {
			t.Fatalf("declare: %d", code)
		}
		if _, body, _ := archi.Get("/me/profession"); !strings.Contains(body, "En attente de vérification") || !strings.Contains(body, "A-77") {
			t.Fatal("pending declaration not shown")
		}

		// The company, through Youssef, gives the architect a mandate.
		if _, body, _ := youssef.Get("/me/mandates/new"); !strings.Contains(body, "au nom de Atlas Bâtiment") ||
			!strings.Contains(body, `<div class="banner banner-important" role="region" aria-labelledby="acting-title">`) ||
			strings.Index(body, "acting-title") > strings.Index(body, "<h1") {
			t.Fatal("the grant form does not say in whose name")
		}
		grant := url.Values{"professional": {"amina@example.ma"}, "scope": {"kind"}, "permit_kind": {"building"}, "until": {""}}
		if code, body, _ := youssef.Post("/me/mandates/new", "/me/mandates", grant); code != http.StatusBadRequest || !strings.Contains(body, "Aucun professionnel") {
			t.Fatalf("mandate to a non-professional: %d", code)
		}
		grant.Set("professional", "A-77")
		if code, _, h := youssef.Post("/me/mandates/new", "/me/mandates", grant); code != http.StatusSeeOther || h.Get("Location") != "/me/mandates?done=granted" {
			t.Fatalf("grant: %d %s", code, h.Get("Location"))
		}
		if owner := apptest.LastNotice(t, a, "identity.mandate_granted", "Owner"); owner != "Atlas Bâtiment" {
			t.Fatalf("notice names %q", owner)
		}
		mandate := apptest.IDOf(t, a.DB, `SELECT id FROM mandates WHERE grantor_legal_id = $1`, atlas)
		if _, body, _ := youssef.Get("/me/mandates"); !strings.Contains(body, "Mandats donnés par Atlas Bâtiment") || !strings.Contains(body, "Permis de construire") ||
			!strings.Contains(body, "inscription pas encore vérifiée") {
			t.Fatal("given mandates not listed")
		}
		if _, body, _ := archi.Get("/me/mandates"); !strings.Contains(body, "pour Atlas Bâtiment") || !strings.Contains(body, "En cours") {
			t.Fatal("received mandate not listed")
		}

		// Guessing the mandate's number does not let others revoke it.
		for _, b := range []*apptest.Browser{amina, archi} {
			if code, _, _ := b.Post("/me/mandates", fmt.Sprintf("/me/mandates/%d/revoke", mandate), url.Values{}); code != http.StatusNotFound {
				t.Fatalf("revoked by another: %d", code)
			}
		}
		if code, _, h := youssef.Post("/me/mandates", fmt.Sprintf("/me/mandates/%d/revoke", mandate), url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/me/mandates?done=revoked" {
			t.Fatalf("revoke: %d", code)
		}
		if _, body, _ := archi.Get("/me/mandates"); !strings.Contains(body, "Révoqué") {
			t.Fatal("revocation not shown to the professional")
		}
		if code, _, _ := youssef.Post("/me/legal", "/me/acting/self", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("back to self: %d", code)
		}
		if _, body, _ := youssef.Get("/me/mandates"); strings.Contains(body, "Atlas") {
			t.Fatal("in his own name, Youssef sees the company's mandates")
		}

		// Every change is in the audit log, the mandate's under "person for legal person".
		recs, err := audit.New(a.DB).List(context.Background(), audit.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			if strings.HasPrefix(r.Action, "identity.") && r.Actor != "system" && !strings.Contains(r.Action, "sign") && !strings.Contains(r.Action, "verified") {
				got = append([]string{r.Actor + " " + r.Action}, got...)
			}
		}
		y := fmt.Sprintf("person:%d", apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email_key = 'youssef@example.ma'`))
		yl := fmt.Sprintf("%s for legal:%d", y, atlas)
		want := []string{y + " identity.legal_person_registered", "identity.legal_person_registered", y + " identity.act_for",
			"identity.profession_declared", yl + " identity.mandate_granted", yl + " identity.mandate_revoked", y + " identity.act_as_self"}
		if len(got) != len(want) {
			t.Fatalf("audit %q", got)
		}
		for i := range want {
			if !strings.HasSuffix(got[i], want[i]) || strings.HasPrefix(want[i], "person:") && got[i] != want[i] {
				t.Fatalf("audit %d: %q, want %q (all: %q)", i, got[i], want[i], got)
			}
		}
	})
}

func TestLegalPagesInEveryLanguage(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.Join(t, a, srv.URL, "youssef@example.ma", "BK7001", i18n.AR)
		b.Post("/me/legal/new/company", "/me/legal/new/company", url.Values{"name": {"Atlas Bâtiment"}, "ice": {"001234567000089"}, "rc": {"123456"}, "role": {"manager"}})
		b.Post("/me/profession", "/me/profession", url.Values{"profession": {"surveyor"}, "registration_number": {"G-1"}})
		pages := []struct{ path, title string }{
			{"/me", "identity.legal.card_text"},
			{"/me/legal", "identity.legal.title"},
			{"/me/legal/new/company", "identity.legal.field.ice"},
			{"/me/legal/new/association", "identity.legal.field.association_number"},
			{"/me/legal/claim/association", "identity.claims.intro"},
			{"/me/legal/claim/company", "identity.claims.field.number_company"},
			{"/me/profession", "identity.profession.pending"},
			{"/me/mandates", "identity.mandate.intro"},
			{"/me/mandates/new", "identity.mandate.field.scope_file"},
		}
		for _, p := range pages {
			for _, l := range i18n.Langs {
				b.SetLang(l)
				code, body, _ := b.Get(p.path)
				if code != 200 {
					t.Errorf("%s in %s: %d", p.path, l, code)
					continue
				}
				if !strings.Contains(body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) {
					t.Errorf("%s in %s: wrong lang/dir", p.path, l)
				}
				if want := a.Cat.T(l, p.title); !strings.Contains(body, want) {
					t.Errorf("%s in %s: missing %q", p.path, l, want)
				}
				if ks := apptest.Untranslated(a); len(ks) > 0 {
					t.Errorf("%s in %s: keys without a text %q", p.path, l, ks)
				}
			}
		}
	})
}
