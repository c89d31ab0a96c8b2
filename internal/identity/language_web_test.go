package identity_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

var htmlLang = regexp.MustCompile(`<html lang="([a-z]+)"`)

// A signed-in person whose browser has chosen no language reads pages in
// their preferred language; a language chosen on the browser wins; the
// header's switch, used signed in, changes the preference (e-mails and SMS
// follow it), while a ?lang= link changes this browser only.
func TestLanguageFollowsThePreference(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := apptest.Server(t, a)
		b := apptest.Join(t, a, srv.URL, "lang@example.ma", "BK7101", i18n.AR) // signs up in French
		id := apptest.PersonID(t, a, "lang@example.ma")
		pref := func() string {
			var l string
			if err := a.DB.QueryRowContext(context.Background(), `SELECT lang FROM persons WHERE id = $1`, id).Scan(&l); err != nil {
				t.Fatal(err)
			}
			return l
		}
		page := func(path string) string {
			t.Helper()
			code, body, hdr := b.Get(path)
			m := htmlLang.FindStringSubmatch(body)
			if code != http.StatusOK || m == nil || hdr.Get("Content-Language") != m[1] {
				t.Fatalf("%s: %d, %v, Content-Language %q", path, code, m, hdr.Get("Content-Language"))
			}
			return m[1]
		}
		noCookie := func() {
			u, _ := url.Parse(srv.URL)
			b.C.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "", Path: "/", MaxAge: -1}})
		}
		if got := page("/"); got != "ar" {
			t.Errorf("with the browser's choice (ar): %s", got)
		}
		noCookie()
		if got := page("/"); got != "fr" {
			t.Errorf("without a choice on this browser: %s, want the preference fr", got)
		}
		if got := page("/arrondissements/anfa"); got != "fr" {
			t.Errorf("another page: %s", got)
		}
		// Anonymous visitors without a cookie keep Arabic.
		if _, body, _ := apptest.NewBrowser(t, srv.URL).Get("/"); !strings.Contains(body, `<html lang="ar"`) {
			t.Errorf("an anonymous visitor does not get Arabic")
		}

		// The switch, signed in, is a form that saves the preference.
		_, home, _ := b.Get("/")
		if !strings.Contains(home, `action="/me/language"`) || !strings.Contains(home, `name="lang" value="en"`) {
			t.Fatalf("the signed-in language switch is not a form:\n%s", apptest.Grep(home, "lang"))
		}
		code, _, hdr := b.Post("/", "/me/language", url.Values{"lang": {"en"}, "back": {"/procedures?family=urban&lang=en"}})
		if code != http.StatusSeeOther || hdr.Get("Location") != "/procedures?family=urban&lang=en" {
			t.Fatalf("switch: %d to %q", code, hdr.Get("Location"))
		}
		if pref() != "en" || b.Cookie("lang") != "en" {
			t.Errorf("after the switch: preference %q, cookie %q", pref(), b.Cookie("lang"))
		}
		noCookie()
		if got := page("/"); got != "en" {
			t.Errorf("a new browser after the switch: %s", got)
		}
		// A link with ?lang= changes the browser, not the preference.
		if code, _, _ := b.Get("/?lang=ar"); code != http.StatusSeeOther {
			t.Fatalf("?lang=ar: %d", code)
		}
		if page("/") != "ar" || pref() != "en" {
			t.Errorf("a ?lang= link changed the preference to %q", pref())
		}
		// Only with the form's token, only for a language Madina speaks,
		// and never to another site.
		if code, _, _ := b.PostRaw("/me/language", url.Values{"lang": {"fr"}}); code != http.StatusForbidden || pref() != "en" {
			t.Errorf("without the anti-forgery token: %d, preference %q", code, pref())
		}
		if code, _, _ := b.Post("/", "/me/language", url.Values{"lang": {"de"}}); code != http.StatusBadRequest || pref() != "en" {
			t.Errorf("an unknown language: %d, preference %q", code, pref())
		}
		if _, _, hdr := b.Post("/", "/me/language", url.Values{"lang": {"fr"}, "back": {"//evil.example/"}}); hdr.Get("Location") != "/" {
			t.Errorf("back to another site: %q", hdr.Get("Location"))
		}
		if code, _, _ := apptest.NewBrowser(t, srv.URL).Post("/signin", "/me/language", url.Values{"lang": {"fr"}}); code != http.StatusSeeOther && code != http.StatusForbidden && code != http.StatusUnauthorized {
			t.Errorf("anonymous switch: %d", code)
		}
		if miss := apptest.Untranslated(a); len(miss) > 0 {
			t.Errorf("untranslated: %v", miss)
		}
	})
}
