package permit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
)

// TestPartiesNameOnlyMandatedProfessionals: a file's party may link only
// an account that accepted the role for this file — a verified
// professional of the party's profession under a mandate from the owner
// covering it. An unknown id, the administrator, a citizen, an unverified
// architect, an engineer named as the architect or an architect without a
// mandate are refused with a message on the field, never a 500.
func TestPartiesNameOnlyMandatedProfessionals(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		person := func(email string) int64 {
			return apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = $1`, email)
		}
		fatima := authz.Actor{Person: person("fatima.benali@example.ma"), EmailVerified: true, Now: time.Now()}
		token, err := a.Identity.CreateToken(ctx, fatima.Person, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apptest.CheckedAPI(t, a, srv.URL, token)
		var f apptest.APIFile
		if code, body := c.JSON("POST", "/api/v1/files", map[string]any{"kind": "repair", "title": "Façade"}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		for _, pro := range []string{"salma.alaoui@example.ma", "hicham.naciri@example.ma"} {
			if _, err := a.Identity.GrantMandate(ctx, fatima, identity.MandateInput{Professional: pro, Scope: identity.ScopeKind, PermitKind: "repair"}); err != nil {
				t.Fatal(err)
			}
		}
		// The same architect, mandated by someone else: not for this file.
		youssef := authz.Actor{Person: person("youssef.elamrani@example.ma"), EmailVerified: true, Now: time.Now()}
		if _, err := a.Identity.GrantMandate(ctx, youssef, identity.MandateInput{Professional: "omar.berrada@example.ma", Scope: identity.ScopeKind, PermitKind: "repair"}); err != nil {
			t.Fatal(err)
		}
		put := func(role string, id int64) (int, string) {
			t.Helper()
			var out apptest.APIFile
			return c.JSON("PUT", fmt.Sprintf("/api/v1/files/%d?lang=fr", f.ID), map[string]any{"title": "Façade",
				"parties": []map[string]any{{"role": role, "person_id": id, "name": "Quelqu’un"}}}, &out)
		}
		for _, bad := range []struct {
			what string
			role string
			id   int64
		}{
			{"an unknown id", "architect", 987654321},
			{"the administrator", "architect", person("nadia.bensouda@example.ma")},
			{"a citizen", "architect", person("khadija.ouazzani@example.ma")},
			{"an unverified architect under mandate", "architect", person("salma.alaoui@example.ma")},
			{"an engineer as the architect", "architect", person("hicham.naciri@example.ma")},
			{"an architect mandated by another owner", "architect", person("omar.berrada@example.ma")},
		} {
			code, body := put(bad.role, bad.id)
			if code != 400 || !strings.Contains(body, "permit.error.party_person") || !strings.Contains(body, `"field":"party_`+bad.role+`"`) ||
				!strings.Contains(body, "titulaire d’un mandat du propriétaire") {
				t.Errorf("%s: %d %s", bad.what, code, body)
			}
		}
		var parties int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM permit_parties WHERE file_id = $1`, f.ID).Scan(&parties); err != nil || parties != 0 {
			t.Fatalf("refused parties stored: %d (%v)", parties, err)
		}

		// Once the owner gives the architect a mandate, naming them works;
		// the engineer under mandate may be the engineer.
		if _, err := a.Identity.GrantMandate(ctx, fatima, identity.MandateInput{Professional: "omar.berrada@example.ma", Scope: identity.ScopeFile, FileRef: fileRef(t, a, f.ID)}); err != nil {
			t.Fatal(err)
		}
		if code, body := put("architect", person("omar.berrada@example.ma")); code != 200 {
			t.Fatalf("mandated architect: %d %s", code, body)
		}
		if code, body := put("engineer", person("hicham.naciri@example.ma")); code != 200 {
			t.Fatalf("mandated engineer: %d %s", code, body)
		}
	})
}

func fileRef(t *testing.T, a *app.App, id int64) string {
	t.Helper()
	var ref string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT ref FROM permit_files WHERE id = $1`, id).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestClientIDsAreCheckedNotTrusted sends ids and codes that name nothing,
// or someone else's object, to every form and API that takes one: each is
// a 4xx, never a 500 and never a write.
func TestClientIDsAreCheckedNotTrusted(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		fatima := apptest.IDOf(t, a.DB, `SELECT id FROM persons WHERE email = 'fatima.benali@example.ma'`)
		company := apptest.IDOf(t, a.DB, `SELECT id FROM legal_persons ORDER BY id LIMIT 1`) // someone else's company
		token, err := a.Identity.CreateToken(ctx, fatima, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := apptest.CheckedAPI(t, a, srv.URL, token)
		var f apptest.APIFile
		if code, body := c.JSON("POST", "/api/v1/files", map[string]any{"kind": "repair"}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		file := fmt.Sprintf("/api/v1/files/%d", f.ID)
		count := func() int64 {
			return apptest.IDOf(t, a.DB, `SELECT (SELECT count(*) FROM permit_files) + (SELECT count(*) FROM permit_parties) +
				(SELECT count(*) FROM mandates) + (SELECT count(*) FROM staff_grants) + (SELECT count(*) FROM permit_documents)`)
		}
		before := count()
		want4xx := func(what string, code int, body string) {
			t.Helper()
			if code < 400 || code >= 500 {
				t.Errorf("%s: %d, want 4xx\n%.300s", what, code, body)
			}
		}
		for _, p := range []struct {
			what, method, path string
			body               any
		}{
			{"unknown owner person", "POST", "/api/v1/files", map[string]any{"kind": "repair", "owner_person": 987654321}},
			{"unknown owner legal person", "POST", "/api/v1/files", map[string]any{"kind": "repair", "owner_legal": 987654321}},
			{"someone else's company as owner", "POST", "/api/v1/files", map[string]any{"kind": "repair", "owner_legal": company}},
			{"unknown kind", "POST", "/api/v1/files", map[string]any{"kind": "castle"}},
			{"unknown arrondissement", "POST", "/api/v1/files", map[string]any{"kind": "repair", "arrondissement": "atlantis"}},
			{"unknown arrondissement on update", "PUT", file, map[string]any{"arrondissement": "atlantis"}},
			{"unknown party role", "PUT", file, map[string]any{"parties": []map[string]any{{"role": "king", "name": "X"}}}},
			{"unknown party person", "PUT", file, map[string]any{"parties": []map[string]any{{"role": "surveyor", "person_id": 987654321, "name": "X"}}}},
			{"negative party person", "PUT", file, map[string]any{"parties": []map[string]any{{"role": "surveyor", "person_id": -1, "name": "X"}}}},
			{"unknown file", "GET", "/api/v1/files/987654321", nil},
			{"unknown document", "GET", file + "/documents/987654321", nil},
			{"unknown checklist item", "POST", file + "/documents/throne?name=a.pdf", nil},
		} {
			code, body := c.JSON(p.method, p.path, p.body, nil)
			want4xx(p.what, code, body)
		}

		citizen := apptest.NewBrowser(t, srv.URL)
		citizen.SignIn("fatima.benali@example.ma", false)
		for _, p := range []struct {
			what, path string
			form       url.Values
		}{
			{"act for an unknown legal person", "/me/acting/987654321", url.Values{}},
			{"act for someone else's company", fmt.Sprintf("/me/acting/%d", company), url.Values{}},
			{"revoke an unknown mandate", "/me/mandates/987654321/revoke", url.Values{}},
			{"mandate to no professional", "/me/mandates", url.Values{"professional": {"nadia.bensouda@example.ma"}, "scope": {"kind"}, "permit_kind": {"repair"}}},
			{"mandate for an unknown kind", "/me/mandates", url.Values{"professional": {"omar.berrada@example.ma"}, "scope": {"kind"}, "permit_kind": {"castle"}}},
			{"revoke an unknown token", "/me/tokens/revoke", url.Values{"id": {"987654321"}}},
			{"create a file of an unknown kind", "/files", url.Values{"kind": {"castle"}, "owner": {"self"}}},
			{"create a file for an unknown owner", "/files", url.Values{"kind": {"repair"}, "owner": {"person:987654321"}}},
		} {
			code, body, _ := citizen.Post("/me", p.path, p.form)
			want4xx(p.what, code, body)
		}

		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
		for _, p := range []struct {
			what, path string
			form       url.Values
		}{
			{"grant in an unknown organisation", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"editor"}, "org": {"atlantis"}}},
			{"grant at an unknown window", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"window_agent"}, "org": {"commune"}, "window": {"atlantis"}}},
			{"grant in an unknown arrondissement", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"editor"}, "org": {"commune"}, "arrondissement": {"atlantis"}}},
			{"grant an unknown role", "/admin/staff/grants", url.Values{"email": {"fatima.benali@example.ma"}, "role": {"king"}, "org": {"commune"}}},
			{"revoke an unknown grant", "/admin/staff/grants/987654321/revoke", url.Values{}},
			{"verify an unknown person", "/admin/professionals/987654321/verify", url.Values{}},
			{"reject an unknown person", "/admin/professionals/987654321/reject", url.Values{"reason": {"Numéro introuvable à l’Ordre."}}},
			{"rename an unknown organisation", "/admin/organisations/atlantis", url.Values{"name_ar": {"أ"}, "name_fr": {"A"}, "name_en": {"A"}}},
		} {
			code, body, _ := admin.Post("/admin", p.path, p.form)
			want4xx(p.what, code, body)
		}
		if after := count(); after != before {
			t.Errorf("refused requests wrote %d rows", after-before)
		}
	})
}
