package identity_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestIdentityMessagesMeanWhatTheyLookLike: a confirmation link that does
// not work says so in the red error summary above the heading (no link:
// it is about no field), in French and Arabic; a declared profession
// waiting for the city's check shows a blue tag in words, not a badge.
func TestIdentityMessagesMeanWhatTheyLookLike(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := apptest.Server(t, a)
	for _, c := range []struct {
		lang  i18n.Lang
		title string
	}{{i18n.FR, "<title>Erreur : "}, {i18n.AR, "<title>خطأ: "}} {
		b := apptest.NewBrowser(t, srv.URL)
		b.SetLang(c.lang)
		code, body, _ := b.Get("/verify-email?token=nothing-of-the-kind")
		summary := regexp.MustCompile(`(?s)<div class="error-summary" role="alert".*?</div>`).FindString(body)
		if code < 400 || summary == "" || strings.Index(body, summary) > strings.Index(body, "<h1") ||
			strings.Contains(summary, `<a href="#`) || !strings.Contains(body, c.title) ||
			!strings.Contains(body, a.Cat.T(c.lang, "identity.verify_failed.title")) || strings.Count(body, `role="alert"`) != 1 {
			t.Errorf("%s: a dead confirmation link: %d\n%s", c.lang, code, apptest.Grep(body, "error-summary"))
		}
	}
	b := apptest.Join(t, a, srv.URL, "ingenieur@example.ma", "BK7502", i18n.FR)
	if code, _, h := b.Post("/me/profession", "/me/profession", url.Values{"profession": {"engineer"}, "registration_number": {"ING-2021-0042"}}); code != http.StatusSeeOther {
		t.Fatalf("declare: %d %s", code, h.Get("Location"))
	}
	for _, l := range []i18n.Lang{i18n.FR, i18n.AR} {
		b.SetLang(l)
		_, body, _ := b.Get("/me/profession")
		if !strings.Contains(body, `<strong class="tag tag-blue">`+a.Cat.T(l, "identity.profession.pending")+`</strong>`) {
			t.Errorf("%s: the pending check is not a blue tag:\n%s", l, apptest.Grep(body, "tag"))
		}
	}
}
