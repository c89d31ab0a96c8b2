package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Known open-redirect payloads (as they arrive once the query string is
// decoded), none of which may leave the site.
var openRedirects = []string{
	"", "evil.example", "//evil.example", "///evil.example", "////evil.example",
	"/\\evil.example", "\\/evil.example", "\\\\evil.example", "/\\/evil.example",
	"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
	"/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example", "/%00/evil.example", "/\x00/evil.example",
	"/%5Cevil.example", "/%5cevil.example", "/%2F%2Fevil.example", "/%2f/evil.example", "/%2F/evil.example",
	"/.//evil.example", "/./evil.example", "/../evil.example", "/a/../../evil.example", "/%2e%2e/evil.example",
	"https://evil.example", "http://evil.example/", "HTTPS://evil.example", "https:evil.example", "//evil.example/%2F..",
	"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "/javascript:alert(1)/..",
	"//user@evil.example", "/@evil.example/..", "http:/evil.example", "https:/\\evil.example", "/x\x7f",
	"/\u3002evil.example", "/évil", "//evil%2Eexample", "%2F%2Fevil.example", "/%", "/%zz",
	"/" + strings.Repeat("a", 3000),
}

func TestLocalPathRefusesOpenRedirects(t *testing.T) {
	for _, s := range openRedirects {
		if got, ok := LocalPath(s); ok {
			t.Errorf("LocalPath(%q) = %q, accepted", s, got)
		}
		if got := LocalPathOr(s, "/me"); got != "/me" {
			t.Errorf("LocalPathOr(%q) = %q", s, got)
		}
	}
}

func TestLocalPathKeepsLocalAddresses(t *testing.T) {
	for _, s := range []string{
		"/", "/me", "/files/12", "/files/12/", "/files/12?done=saved#item-plan", "/procedures?q=%D8%A8%D9%86%D8%A7%D8%A1&family=urban",
		"/window/maarif", "/files/12/documents/3", "/a%2Fb", "/signin/second-factor?next=%2Ffiles",
	} {
		if got, ok := LocalPath(s); !ok || got != s {
			t.Errorf("LocalPath(%q) = %q, %v", s, got, ok)
		}
	}
}

// The language switch sends the browser back to the same address on this
// site, whatever the path looks like.
func TestLanguageSwitchStaysOnTheSite(t *testing.T) {
	h := echoServer(t)
	cases := []struct{ target, want string }{
		{"/arrondissements?lang=fr", "/arrondissements"},
		{"/procedures?q=x&lang=en", "/procedures?q=x"},
		{"/files/?lang=fr", "/files/"},
		{"//evil.example/?lang=fr", "/evil.example/"},
		{"//evil.example?lang=fr", "/evil.example"},
		{"///evil.example/?lang=fr", "/evil.example/"},
		{"/%2F%2Fevil.example?lang=fr", "/evil.example"},
		{"/.//evil.example?lang=fr", "/evil.example"},
		{"/%5Cevil.example?lang=fr", "/"},
		{"/%09/evil.example?lang=fr", "/"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL, _ = url.ParseRequestURI(c.target)
		r.RequestURI = c.target
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		loc := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || loc != c.want {
			t.Errorf("GET %s: %d Location %q, want %q", c.target, w.Code, loc, c.want)
		}
		if _, ok := LocalPath(loc); !ok {
			t.Errorf("GET %s: Location %q leaves the site", c.target, loc)
		}
	}
}

// The router's own redirects to a cleaned path stay on the site too.
func TestRouterRedirectsStayOnTheSite(t *testing.T) {
	rs := testResponder(t)
	rt := NewRouter(rs)
	rt.HandleFunc("GET /files/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := Chain(rt, Options{Responder: rs})
	for _, target := range []string{"/\\evil.example/./", "/%5Cevil.example/./", "/%09/evil.example/./", "//evil.example/./", "/files/../\\evil.example", "/a/./b"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL, _ = url.ParseRequestURI(target)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if loc := w.Header().Get("Location"); loc != "" {
			if _, ok := LocalPath(loc); !ok {
				t.Errorf("GET %s: %d Location %q leaves the site", target, w.Code, loc)
			}
		}
	}
	r := httptest.NewRequest("GET", "/files/./12", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code/100 != 3 || w.Header().Get("Location") != "/files/12" {
		t.Errorf("clean-path redirect: %d %q", w.Code, w.Header().Get("Location"))
	}
}
