package staff_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestBackOfficeSaysWhatWasDoneInGreen: after an action the back office's
// lists say what was done in a green success banner (role status), above
// the page's heading, in French and Arabic; an unknown ?done= shows none.
func TestBackOfficeSaysWhatWasDoneInGreen(t *testing.T) {
	t.Parallel()
	a := apptest.Demo(t, db.SQLite)
	srv := apptest.Server(t, a)
	admin := apptest.NewBrowser(t, srv.URL)
	admin.SignIn("nadia.bensouda@example.ma", true)
	const banner = `<div class="banner banner-success" role="status" aria-labelledby="done-title">`
	for _, l := range []i18n.Lang{i18n.FR, i18n.AR} {
		admin.SetLang(l)
		for _, c := range []struct{ path, done string }{{"/admin/staff", "granted"}, {"/admin/staff", "revoked"},
			{"/admin/organisations", "created"}, {"/admin/organisations", "renamed"},
			{"/admin/professionals", "verified"}, {"/admin/professionals", "rejected"}} {
			code, body, _ := admin.Get(c.path + "?done=" + c.done)
			at := strings.Index(body, banner)
			words := a.Cat.T(l, "admin.done."+c.done)
			if code != http.StatusOK || at < 0 || at > strings.Index(body, "<h1") ||
				!strings.Contains(html.UnescapeString(body[at:]), words) {
				t.Errorf("%s %s?done=%s: %d, want a green banner saying %q above the heading", l, c.path, c.done, code, words)
			}
			if strings.Contains(body, `<p role="status">`) {
				t.Errorf("%s %s: the old status paragraph is still there", l, c.path)
			}
		}
		if _, body, _ := admin.Get("/admin/staff?done=created"); strings.Contains(body, "banner-success") {
			t.Errorf("%s: a banner for a done that is not the page's", l)
		}
	}
}
