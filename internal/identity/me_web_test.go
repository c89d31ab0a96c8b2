package identity_test

import (
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// /me shows each person the sections they can use: a staff account sees
// neither the citizen's own business (companies and associations,
// mandates, profession), which the policy hides from it, nor a banner
// asking to confirm a mobile number; a new citizen sees all of it, with
// the banner; an architect sees mandates and profession. A window agent
// is led to their window's queue, an administrator to the back office,
// each only where the policy lets them in.
func TestMeShowsWhatThePersonCanUse(t *testing.T) {
	a := apptest.Demo(t, db.SQLite)
	srv := apptest.Server(t, a)
	citizen := apptest.Join(t, a, srv.URL, "new.citizen@example.ma", "BK9001", i18n.FR)
	agent := apptest.NewBrowser(t, srv.URL)
	agent.SignIn("amina.idrissi@example.ma", true)
	admin := apptest.NewBrowser(t, srv.URL)
	admin.SignIn("nadia.bensouda@example.ma", true)
	architect := apptest.NewBrowser(t, srv.URL)
	architect.SignIn("omar.berrada@example.ma", false)
	citizenOnly := []string{`href="/me/legal"`, `href="/me/mandates"`, `href="/me/profession"`}
	phone := `href="/me/phone"`
	for _, c := range []struct {
		who        string
		b          *apptest.Browser
		want, none []string
	}{
		{"new citizen", citizen, append(citizenOnly, phone, `href="/me/security"`), []string{`href="/admin"`, `href="/window"`}},
		{"window agent", agent, []string{`href="/window"`, `href="/me/security"`, `href="/me/inbox"`, `href="/me/tokens"`}, append(citizenOnly, phone, `href="/admin"`)},
		{"administrator", admin, []string{`href="/admin"`, `href="/me/security"`}, append(citizenOnly, phone, `href="/window"`)},
		{"architect", architect, []string{`href="/me/mandates"`, `href="/me/profession"`, `href="/me/legal"`}, []string{phone, `href="/admin"`, `href="/window"`}},
	} {
		code, body, _ := c.b.Get("/me")
		if code != 200 {
			t.Fatalf("%s: /me answered %d", c.who, code)
		}
		main := body[strings.Index(body, "<main"):]
		for _, w := range c.want {
			if !strings.Contains(main, w) {
				t.Errorf("%s: /me has no %s", c.who, w)
			}
		}
		for _, n := range c.none {
			if strings.Contains(main, n) {
				t.Errorf("%s: /me shows %s", c.who, n)
			}
		}
	}
	// A new citizen has read everything: /me says so in words, not "0".
	if _, body, _ := citizen.Get("/me"); !strings.Contains(body, "Aucune notification non lue") {
		t.Errorf("/me of a person with nothing unread:\n%s", apptest.Grep(body, "inbox"))
	}
	// The token page names each permission in words, the code beside it.
	if _, body, _ := citizen.Get("/me/tokens"); !strings.Contains(body, "Lire mon profil") || !strings.Contains(body, "profile:read") {
		t.Errorf("/me/tokens does not name the permissions in words:\n%s", apptest.Grep(body, "scope-"))
	}
	if u := apptest.Untranslated(a); len(u) > 0 {
		t.Errorf("untranslated: %v", u)
	}
}
