package app_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Reloading the address of a failed post, or following a bookmark to it,
// never shows "Method not allowed": for every address the application
// registers for posting (walked from its routes), a browser's plain GET —
// signed out or signed in, with the anti-forgery token still in the query
// as an upload form leaves it — ends on a page, and the token leaves the
// address bar.
func TestNoMethodNotAllowedForABrowser(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	signedIn := apptest.Join(t, a, srv.URL, "no405@example.ma", "BK4050", i18n.FR)
	browsers := map[string]*apptest.Browser{"signed out": apptest.NewBrowser(t, srv.URL), "signed in": signedIn}
	notAllowed := []string{}
	for _, l := range i18n.Langs {
		notAllowed = append(notAllowed, a.Cat.T(l, "error.method-not-allowed.title"))
	}
	checked := 0
	for _, route := range a.Router.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if method == "GET" || method == "HEAD" || strings.HasPrefix(path, "/api/") {
			continue
		}
		path = strings.ReplaceAll(path, "{$}", "")
		path = wildcard.ReplaceAllString(path, "1")
		for who, b := range browsers {
			target := path + "?csrf_token=planted"
			for hop := 0; ; hop++ {
				if hop == 6 {
					t.Fatalf("%s (%s): too many redirects", route, who)
				}
				req, _ := http.NewRequest("GET", srv.URL+target, nil)
				req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
				res, err := b.C.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := make([]byte, 64<<10)
				n, _ := res.Body.Read(body)
				res.Body.Close()
				if res.StatusCode == http.StatusMethodNotAllowed {
					t.Errorf("GET %s (%s, from %s): 405", target, who, route)
					break
				}
				for _, text := range notAllowed {
					if strings.Contains(string(body[:n]), text) {
						t.Errorf("GET %s (%s, from %s): the page says %q", target, who, route, text)
					}
				}
				loc := res.Header.Get("Location")
				if res.StatusCode < 300 || res.StatusCode >= 400 || loc == "" {
					break
				}
				if hop == 0 && strings.Contains(loc, "csrf_token") {
					t.Errorf("GET %s (%s): the token stays in the address bar: %s", target, who, loc)
				}
				target = strings.TrimPrefix(loc, srv.URL)
			}
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d posting routes checked: the walk missed the application's routes", checked)
	}
}
