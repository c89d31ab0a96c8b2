package identity_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// On the demonstration, a citizen grants a mandate for one file only on a
// file of theirs: a reference no file has, another citizen's file or a
// company's file answers the form again with one message on the
// reference, in every language, and records and sends nothing; their own
// file is granted.
func TestMandateFileRefIsTheGrantorsFile(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		refOf := func(where string) string {
			t.Helper()
			var ref string
			if err := a.DB.QueryRowContext(ctx, `SELECT f.ref FROM permit_files f LEFT JOIN persons p ON p.id = f.owner_person_id
				WHERE `+where+` ORDER BY f.id LIMIT 1`).Scan(&ref); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			return ref
		}
		own := refOf(`p.email = 'youssef.elamrani@example.ma'`)
		khadija := refOf(`p.email = 'khadija.ouazzani@example.ma'`)
		company := refOf(`f.owner_legal_id IS NOT NULL`)

		b := apptest.NewBrowser(t, srv.URL)
		b.SignIn("youssef.elamrani@example.ma", false)
		mandates := apptest.IDOf(t, a.DB, `SELECT count(*) FROM mandates`)
		apptest.Settle(t, a)
		notices := apptest.IDOf(t, a.DB, `SELECT count(*) FROM notify_deliveries WHERE template = 'identity.mandate_granted'`)
		grant := func(ref string) url.Values {
			return url.Values{"professional": {"omar.berrada@example.ma"}, "scope": {"file"}, "file_ref": {ref}}
		}
		for _, l := range i18n.Langs {
			b.Lang(l)
			want := a.Cat.T(l, "identity.mandate_refs.error.file")
			for _, ref := range []string{"F2026-XXXXXX", khadija, company} {
				code, body, _ := b.Post("/me/mandates/new", "/me/mandates", grant(ref))
				if code < 400 || code >= 500 || !strings.Contains(body, want) {
					t.Errorf("%s: a mandate on %s: %d", l, ref, code)
				}
			}
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM mandates`); n != mandates {
			t.Fatalf("%d mandates after refused grants, were %d", n, mandates)
		}
		apptest.Settle(t, a)
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM notify_deliveries WHERE template = 'identity.mandate_granted'`); n != notices {
			t.Fatalf("%d mandate notices after refused grants, were %d", n, notices)
		}
		if code, _, h := b.Post("/me/mandates/new", "/me/mandates", grant(own)); code != http.StatusSeeOther || h.Get("Location") != "/me/mandates?done=granted" {
			t.Fatalf("a mandate on one's own file %s: %d", own, code)
		}
		if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM mandates WHERE file_ref = $1`, own); n != 1 {
			t.Fatalf("%d mandates on one's own file", n)
		}
	})
}
