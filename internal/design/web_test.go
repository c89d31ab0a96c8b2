package design_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// TestStylePage: staff see every component on /design in the three
// languages, with every text from the catalogue and the real partials;
// a citizen is refused and a visitor sent to sign in. SQLite only: the
// page reads nothing from the database beyond the session.
func TestStylePage(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	if err := a.LoadDemo(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	visitor := apptest.NewBrowser(t, srv.URL)
	if code, _, h := visitor.Get("/design"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin?next=%2Fdesign") {
		t.Errorf("visitor: %d to %q, want 303 to sign in", code, h.Get("Location"))
	}
	citizen := apptest.NewBrowser(t, srv.URL)
	citizen.SignIn("fatima.benali@example.ma", false)
	if code, _, _ := citizen.Get("/design"); code != http.StatusForbidden {
		t.Errorf("citizen: %d, want 403", code)
	}

	staff := apptest.NewBrowser(t, srv.URL)
	staff.SignIn("nadia.bensouda@example.ma", true)
	apptest.Untranslated(a) // what signing in looked up
	for _, l := range i18n.Langs {
		staff.Lang(l)
		code, body, _ := staff.Get("/design")
		if code != 200 {
			t.Fatalf("%s: %d", l, code)
		}
		for _, want := range []string{
			`<html lang="` + string(l) + `" dir="` + l.Dir() + `">`,
			a.Cat.T(l, "design.title"),
			`class="error-summary"`, `<a href="#demo-email">` + a.Cat.T(l, "design.field.email.error") + `</a>`,
			`class="field field-error"`, `aria-invalid="true"`,
			`class="banner banner-success" role="status"`, `class="banner banner-important" role="region"`,
			a.Cat.T(l, "component.error_summary.title"), a.Cat.T(l, "component.banner.success"),
			`class="panel"`, `class="summary-list"`, `class="task-list"`, `aria-describedby="d-task-1-status"`,
			`class="tag tag-red"`, `class="tabs"`, `aria-current="page"`, `class="steps"`,
			`<table class="stack">`, `data-label="` + a.Cat.T(l, "design.table.state") + `"`,
			`class="button warning"`, `class="button start"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", l, want)
			}
		}
		if ks := apptest.Untranslated(a); len(ks) > 0 {
			t.Errorf("%s: keys without a text: %q", l, ks)
		}
	}
}
