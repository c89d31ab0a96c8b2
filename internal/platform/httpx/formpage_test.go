package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A browser's GET for an address that only takes posts (a failed post's
// address reloaded, with its anti-forgery token in the query) is sent to
// the nearest page above it, without the query; programs keep their 405.
func TestGetOnPostOnlyAddressGoesToItsForm(t *testing.T) {
	rs := testResponder(t)
	rt := NewRouter(rs)
	ok := func(w http.ResponseWriter, r *http.Request) {}
	rt.HandleFunc("GET /{$}", ok)
	rt.HandleFunc("GET /me/mandates", ok)
	rt.HandleFunc("POST /me/mandates/{id}/revoke", ok)
	rt.HandleFunc("GET /files/{id}", ok)
	rt.HandleFunc("POST /files/{id}/documents", ok)
	rt.HandleFunc("POST /signout", ok)
	rt.HandleFunc("POST /api/v1/things", ok)
	h := Chain(rt, Options{Responder: rs})
	cases := []struct {
		method, target, accept string
		status                 int
		location               string
	}{
		{"GET", "/me/mandates/7/revoke", "text/html", 303, "/me/mandates"},
		{"HEAD", "/me/mandates/7/revoke", "text/html", 303, "/me/mandates"},
		{"GET", "/files/12/documents?csrf_token=secret", "text/html,application/xhtml+xml", 303, "/files/12/documents"},
		{"GET", "/files/12/documents", "text/html,application/xhtml+xml", 303, "/files/12"},
		{"GET", "/me/mandates?tab=given&csrf_token=secret", "text/html", 303, "/me/mandates?tab=given"},
		{"GET", "/signout", "", 303, "/"},
		{"GET", "/api/v1/things", "text/html", 405, ""},
		{"GET", "/me/mandates/7/revoke", "application/json", 405, ""},
		{"PUT", "/signout", "text/html", 405, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.status || w.Header().Get("Location") != c.location {
			t.Errorf("%s %s (%s): %d %q, want %d %q", c.method, c.target, c.accept, w.Code, w.Header().Get("Location"), c.status, c.location)
		}
		if c.status == 405 && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.target)
		}
	}
}
