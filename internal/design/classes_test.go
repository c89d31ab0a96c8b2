package design_test

import (
	"context"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// pageOnly are styled classes templates use that the style page does not
// show, each with the reason: a page's own layout, not a pattern to
// reuse. A class leaving the templates must leave this list too. (A class
// app.css gives no rule to names a block for readers and tests: there is
// nothing to show.)
var pageOnly = map[string]string{
	"acting":       "the space under the acting-for form of /me/legal, one page",
	"codes":        "the grid of recovery codes, shown once on their own page",
	"error-page":   "the error page itself (404, 403…), every error answers with it",
	"error-status": "the status number of the error page",
	"hero":         "the heads of the home page and of the arrondissements list",
	"hours":        "a window's opening hours on its arrondissement's page",
	"times":        "the hours of one day inside .hours",
	"or":           "the separator between the ways to sign in, one page",
	"token":        "a new API token, shown once on /me/tokens",
	// The plan-review workspace's viewer (internal/planreview, review.html).
	"plan-tools":        "the viewer's tool bar, one page",
	"plan-tool-group":   "a group of the viewer's tools",
	"plan-tool-legend":  "the name of a group of tools",
	"plan-measured":     "the value a measuring tool shows as it is drawn",
	"plan-form":         "the form that saves a drawn annotation",
	"plan-compare-form": "the choice of a version to compare with",
	"plan-edit":         "the form that changes an annotation's status and comment, under its entry",
	"plan-edit-open":    "the button that opens that form, shown by the script",
	"back-link":         "the review page's link back to the file: an arrow that turns with the page's direction",
}

var (
	templateComment = regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}`)
	templateControl = regexp.MustCompile(`(?s)\{\{-?\s*(if|else|end|with|range)\b.*?\}\}`)
	templateValue   = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	classAttr       = regexp.MustCompile(`\bclass="([^"]*)"`)
)

// classes are the class names written out in an HTML template: a class
// glued to a template value ("tag-{{.Kind}}") is not one (it varies).
func classes(src string) []string {
	src = templateComment.ReplaceAllString(src, "")
	src = templateControl.ReplaceAllString(src, " ")
	src = templateValue.ReplaceAllString(src, "\x00")
	var out []string
	for _, m := range classAttr.FindAllStringSubmatch(src, -1) {
		for _, c := range strings.Fields(m[1]) {
			if !strings.Contains(c, "\x00") {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestStylePageShowsEveryClass: every class a template of the application
// writes out appears on /design as rendered (its partials, its samples,
// the layout around it), or is a page's own, listed in pageOnly with the
// reason — so a new pattern cannot reach pages without reaching the style
// page. The layout's classes count: /design is drawn inside it.
func TestStylePageShowsEveryClass(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	if err := a.LoadDemo(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	staff := apptest.NewBrowser(t, srv.URL)
	staff.SignIn("nadia.bensouda@example.ma", true)
	staff.Lang(i18n.FR)
	code, body, _ := staff.Get("/design")
	if code != 200 {
		t.Fatalf("/design: %d", code)
	}
	css, err := os.ReadFile(filepath.Join("..", "platform", "web", "static", "app.css"))
	if err != nil {
		t.Fatal(err)
	}
	styled := func(c string) bool {
		return regexp.MustCompile(`\.` + regexp.QuoteMeta(c) + `([^-\w]|$)`).Match(css)
	}
	shown := map[string]bool{}
	for _, c := range classes(body) {
		shown[c] = true
	}
	used := map[string][]string{}
	root := filepath.Join("..", "..", "internal")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".html" || strings.Contains(p, string(filepath.Separator)+"static"+string(filepath.Separator)) {
			return err
		}
		if filepath.Base(p) == "design.html" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, c := range classes(string(b)) {
			used[c] = append(used[c], filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 50 {
		t.Fatalf("only %d classes found in the templates: the walk missed them", len(used))
	}
	var missing []string
	for c, files := range used {
		if !shown[c] && pageOnly[c] == "" && styled(c) {
			sort.Strings(files)
			missing = append(missing, c+" ("+strings.Join(slicesCompact(files), ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("classes the templates use that /design does not show: show each on design.html, or list it in pageOnly with the reason:\n  %s",
			strings.Join(missing, "\n  "))
	}
	for c := range pageOnly {
		if len(used[c]) == 0 {
			t.Errorf("pageOnly lists %s, which no template uses any more", c)
		}
		if shown[c] || !styled(c) {
			t.Errorf("pageOnly lists %s, which /design shows or app.css does not style", c)
		}
	}
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
