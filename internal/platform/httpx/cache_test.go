package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCacheGuard(t *testing.T) {
	cases := []struct {
		name     string
		personal bool
		set      string // the handler's Cache-Control
		cookie   bool
		want     string
	}{
		{"anonymous page keeps its caching", false, "no-cache", false, "no-cache"},
		{"personal page", true, "", false, CachePrivate},
		{"personal download that asked for a browser cache", true, "private, max-age=3600, immutable", false, CachePrivate},
		{"a cookie is one browser's", false, "no-cache", true, CachePrivate},
		{"public content stays public for a signed-in person", true, "public, max-age=31536000, immutable", false, "public, max-age=31536000, immutable"},
		{"and sets nobody's cookie", true, "public, max-age=300", true, "public, max-age=300"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.personal {
					Private(r)
				}
				if c.set != "" {
					w.Header().Set("Cache-Control", c.set)
				}
				if c.cookie {
					http.SetCookie(w, &http.Cookie{Name: "k", Value: "v"})
				}
				_, _ = w.Write([]byte("x"))
			}), Options{Responder: testResponder(t)})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if got := w.Header().Get("Cache-Control"); got != c.want {
				t.Errorf("Cache-Control %q, want %q", got, c.want)
			}
			if c.cookie && strings.Contains(c.want, "public") && w.Header().Get("Set-Cookie") != "" {
				t.Error("a public answer sets a cookie")
			}
		})
	}
}

func TestFromThisMachine(t *testing.T) {
	for _, c := range []struct {
		remote, header string
		want           bool
	}{
		{"127.0.0.1:1", "", true}, {"[::1]:1", "", true}, {"192.0.2.1:1", "", false}, {"10.0.0.1:1", "", false},
		{"127.0.0.1:1", "X-Forwarded-For", false}, {"127.0.0.1:1", "Forwarded", false}, {"127.0.0.1:1", "X-Real-IP", false},
		{"127.0.0.1:1", "Via", false}, {"127.0.0.1:1", "X-Forwarded-Proto", false}, {"127.0.0.1:1", "X-Forwarded-Host", false},
		{"127.0.0.1:1", "True-Client-IP", false}, {"127.0.0.1:1", "X-Client-IP", false},
		{"127.0.0.1:1", "X-Original-Forwarded-For", false}, {"127.0.0.1:1", "CF-Connecting-IP", false},
		{"127.0.0.1:1", "Accept-Language", true},
	} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = c.remote
		if c.header != "" {
			r.Header.Set(c.header, "203.0.113.7")
		}
		if got := FromThisMachine(r); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.remote, c.header, got, c.want)
		}
	}
}
