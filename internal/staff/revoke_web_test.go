package staff_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestRevokingARoleAsksFirst: the staff list leads to a page that says
// whose role ends and when (in French, Arabic and English), whose button
// posts to the unchanged address; who may not manage staff cannot see it,
// and a grant that is gone is not found.
func TestRevokingARoleAsksFirst(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Demo(t, e)
		ctx := context.Background()
		souad := apptest.PersonID(t, a, "souad.chraibi@example.ma")
		var grant int64
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = 'window_agent' AND revoked_at IS NULL`, souad).Scan(&grant); err != nil {
			t.Fatal(err)
		}
		srv := apptest.Server(t, a)
		path := "/admin/staff/grants/" + itoa(grant) + "/revoke"

		admin := apptest.NewBrowser(t, srv.URL)
		admin.SignIn("nadia.bensouda@example.ma", true)
		admin.SetLang(i18n.FR)
		if _, body, _ := admin.Get("/admin/staff"); !strings.Contains(body, `<a href="`+path+`">`) || strings.Contains(body, `method="post" action="`+path+`"`) {
			t.Fatalf("the staff list revokes without asking:\n%s", apptest.Grep(body, path))
		}
		for _, c := range []struct {
			lang  i18n.Lang
			title string
			text  string
		}{
			{i18n.FR, "Retirer le rôle Agent de guichet à Souad Chraibi ?", "ne peut plus agir comme Agent de guichet dès sa prochaine requête"},
			{i18n.AR, "هل تسحب دور عون الشباك من سعاد الشرايبي؟", "ابتداءً من طلبه التالي"},
			{i18n.EN, "Revoke the role Window agent of Souad Chraibi?", "can no longer act as Window agent from their next request"},
		} {
			admin.SetLang(c.lang)
			code, body, _ := admin.Get(path)
			body = html.UnescapeString(body)
			if code != http.StatusOK || !strings.Contains(body, c.title) || !strings.Contains(body, c.text) ||
				!strings.Contains(body, `<form method="post" action="`+path+`"`) || !strings.Contains(body, "souad.chraibi@example.ma") ||
				!strings.Contains(body, `href="/admin/staff"`) {
				t.Fatalf("%s confirmation: %d\n%s", c.lang, code, apptest.Grep(body, "<h1"))
			}
		}
		if n := rowCount(t, a.DB, `SELECT count(*) FROM staff_grants WHERE id = $1 AND revoked_at IS NULL`, grant); n != 1 {
			t.Fatal("showing the confirmation revoked the role")
		}
		for _, who := range []string{"hassan.filali@example.ma", "souad.chraibi@example.ma"} { // the auditor, the agent herself
			b := apptest.NewBrowser(t, srv.URL)
			b.SignIn(who, true)
			if code, body, _ := b.Get(path); code != http.StatusForbidden || strings.Contains(body, `action="`+path+`"`) {
				t.Errorf("%s sees the confirmation: %d", who, code)
			}
		}
		citizen := apptest.NewBrowser(t, srv.URL)
		citizen.SignIn("fatima.benali@example.ma", false)
		if code, _, _ := citizen.Get(path); code != http.StatusForbidden {
			t.Errorf("a citizen sees the confirmation: %d", code)
		}
		if code, _, _ := admin.Get("/admin/staff/grants/999999/revoke"); code != http.StatusNotFound {
			t.Errorf("confirmation of an unknown grant: %d", code)
		}

		admin.SetLang(i18n.FR)
		if code, _, h := admin.Post(path, path, url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/admin/staff?done=revoked" {
			t.Fatalf("revoke from the confirmation: %d %s", code, h.Get("Location"))
		}
		if n := rowCount(t, a.DB, `SELECT count(*) FROM staff_grants WHERE id = $1 AND revoked_at IS NOT NULL`, grant); n != 1 {
			t.Fatal("the role was not revoked")
		}
		if code, _, _ := admin.Get(path); code != http.StatusNotFound {
			t.Errorf("confirmation of a revoked grant: %d", code)
		}
	})
}

func rowCount(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStaffFormsSayWhatIsWrongFirst: a grant that fails, and revoking the
// last administrator, come back with the error summary before the heading
// (linking to the field at fault when there is one), the title starting
// with "Error".
func TestStaffFormsSayWhatIsWrongFirst(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := apptest.Server(t, a)
	admin := apptest.NewBrowser(t, srv.URL)
	admin.SignIn("nadia.bensouda@example.ma", true)
	admin.SetLang(i18n.FR)
	code, body, _ := admin.Post("/admin/staff", "/admin/staff/grants", url.Values{"email": {"youssef.elamrani@example.ma"}, "role": {"window_agent"}, "org": {"maarif"}})
	at := strings.Index(body, `class="error-summary"`)
	if code != http.StatusBadRequest || at < 0 || at > strings.Index(body, "<h1") || !strings.Contains(body, `<li><a href="#window">`) ||
		!strings.Contains(body, "<title>Erreur : ") || !strings.Contains(html.UnescapeString(body), "Un agent de guichet a besoin d’un guichet.") {
		t.Fatalf("failed grant: %d\n%s", code, apptest.Grep(body, "error-summary"))
	}
	var grant int64
	if err := a.DB.QueryRowContext(context.Background(), `SELECT g.id FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE p.email = 'nadia.bensouda@example.ma' AND g.role = 'admin'`).Scan(&grant); err != nil {
		t.Fatal(err)
	}
	path := "/admin/staff/grants/" + itoa(grant) + "/revoke"
	code, body, _ = admin.Post(path, path, url.Values{})
	at = strings.Index(body, `class="error-summary"`)
	if code != http.StatusConflict || at < 0 || at > strings.Index(body, "<h1") || !strings.Contains(body, "dernier administrateur") {
		t.Fatalf("revoking the last administrator: %d\n%s", code, apptest.Grep(body, "error-summary"))
	}
}
