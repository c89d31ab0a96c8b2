package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// scrape reads /metrics as this machine's Prometheus would.
func scrape(t *testing.T, h http.Handler) apptest.Resp {
	t.Helper()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:9090"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return apptest.Resp{Code: w.Code, Header: w.Header(), Body: w.Body.String()}
}

// Every answer to a signed-in person (a page through the session, the API
// through a token) leaves with Cache-Control: private, no-store, whatever
// its handler set; public pages keep their caching and carry nobody's data.
func TestPersonalAnswersAreNeverStored(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e, apptest.Config(func(c *config.Config) { c.BaseURL = "http://madina.test" }))
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		ctx := context.Background()
		b := apptest.Join(t, a, srv.URL, "cache@example.ma", "BK220033", i18n.FR)
		owner := apptest.PersonID(t, a, "cache@example.ma")
		token, err := a.Identity.CreateToken(ctx, owner, "app", []authz.Scope{authz.ScopeFilesRead, authz.ScopeFilesWrite}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		api := apptest.APIClient{T: t, Base: srv.URL, Token: token}
		var f apptest.APIFile
		if code, body := api.JSON("POST", "/api/v1/files", map[string]any{"kind": "repair"}, &f); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var up struct{ ID int64 }
		if code, body := api.Call("POST", fmt.Sprintf("/api/v1/files/%d/documents/works_note?name=plan.pdf", f.ID), "application/pdf",
			bytes.NewReader(apptest.TinyPDF("plan")), &up); code != 201 {
			t.Fatalf("upload: %d %s", code, body)
		}

		fill := strings.NewReplacer("{id}", strconv.FormatInt(f.ID, 10), "{doc}", strconv.FormatInt(up.ID, 10),
			"{code}", "maarif", "{kind}", "association", "{$}", "")
		public := map[string]bool{"GET /static/": true, "GET /api/v1/openapi.json": true,
			// The published CA certificates and CRLs: the same for everyone.
			"GET /pki/root.crt": true, "GET /pki/issuing.crt": true, "GET /pki/crl": true, "GET /pki/root.crl": true,
			// The stream of authorised projects as they are granted: public
			// data, and a response that never ends (geo's TestLiveProjects).
			"GET /ogc/collections/projects/live": true,
			// The map's tiles and the city's box: the same for everyone.
			"GET /map/settings": true}
		checked := 0
		for _, route := range a.Router.Routes() {
			path, ok := strings.CutPrefix(route, "GET ")
			// Open311 reads no session (its clients hold an api_key for
			// posting; what they read is public to all).
			if !ok || public[route] || strings.HasPrefix(route, "GET /open311/") {
				continue
			}
			path = fill.Replace(path)
			var code int
			var h http.Header
			var body string
			if strings.HasPrefix(path, "/api/") {
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				bb, _ := io.ReadAll(res.Body)
				res.Body.Close()
				code, h, body = res.StatusCode, res.Header, string(bb)
			} else {
				code, body, h = b.Get(path)
			}
			if cc := h.Get("Cache-Control"); cc != httpx.CachePrivate {
				t.Errorf("%s (%s, signed in): %d Cache-Control %q, want %q", route, path, code, cc, httpx.CachePrivate)
			}
			if code == http.StatusOK {
				checked++
			}
			_ = body
		}
		if checked < 20 {
			t.Fatalf("only %d routes answered 200: the walk proves little", checked)
		}
		// Downloads and receipts too, which set their own caching.
		for _, p := range []string{fmt.Sprintf("/files/%d/documents/%d", f.ID, up.ID), fmt.Sprintf("/files/%d/receipt.pdf", f.ID)} {
			if _, _, h := b.Get(p); h.Get("Cache-Control") != httpx.CachePrivate {
				t.Errorf("%s: Cache-Control %q", p, h.Get("Cache-Control"))
			}
		}

		// The home page signed in is the person's (their sign-out form and
		// its token); anonymous, it is nobody's and is cacheable
		// (revalidated) once the browser has its cookie.
		if _, body, h := b.Get("/"); !strings.Contains(body, `action="/signout"`) || h.Get("Cache-Control") != httpx.CachePrivate {
			t.Errorf("signed-in home: Cache-Control %q", h.Get("Cache-Control"))
		}
		if _, body, _ := b.Get("/me"); !strings.Contains(body, "Youssef") {
			t.Error("/me does not show the person")
		}
		anon := apptest.NewBrowser(t, srv.URL)
		if _, _, h := anon.Get("/"); h.Get("Set-Cookie") == "" || h.Get("Cache-Control") != httpx.CachePrivate {
			t.Errorf("first visit sets a cookie: Cache-Control %q", h.Get("Cache-Control"))
		}
		home := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`)
		for _, p := range []string{"/", "/procedures", "/procedures/building", "/arrondissements", "/signup/sent"} {
			code, body, h := anon.Get(p)
			cc := h.Get("Cache-Control")
			if code != 200 || strings.Contains(cc, "no-store") || strings.Contains(cc, "private") || h.Get("Set-Cookie") != "" {
				t.Errorf("anonymous %s: %d Cache-Control %q Set-Cookie %q", p, code, cc, h.Get("Set-Cookie"))
			}
			if strings.Contains(body, "Youssef") || strings.Contains(body, "Bennani") || strings.Contains(body, "csrf_token") || strings.Contains(body, `action="/signout"`) {
				t.Errorf("anonymous %s carries personal data", p)
			}
			if p == "/" {
				m := home.FindStringSubmatch(body)
				if m == nil {
					t.Fatal("no stylesheet")
				}
				// Static assets keep their year-long cache, signed in or not.
				for _, c := range []*apptest.Browser{anon, b} {
					if _, _, h := c.Get(m[1]); h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
						t.Errorf("asset: Cache-Control %q", h.Get("Cache-Control"))
					}
				}
			}
		}
		// A page carrying the browser's anti-forgery token is that browser's.
		if _, body, h := anon.Get("/signin"); !strings.Contains(body, "csrf_token") || h.Get("Cache-Control") != httpx.CachePrivate {
			t.Errorf("anonymous sign-in form: Cache-Control %q", h.Get("Cache-Control"))
		}
	})
}

// /metrics on the main address answers this machine's scraper only, unless
// the operator makes it public.
func TestMetricsAreNotPublicByDefault(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	if r := scrape(t, a.Handler); r.Code != 200 || !strings.Contains(r.Body, "go_goroutines") {
		t.Fatalf("loopback scrape: %d", r.Code)
	}
	if r := apptest.Do(t, a.Handler, "GET", "/metrics", nil); r.Code != 404 || strings.Contains(r.Body, "go_goroutines") {
		t.Fatalf("remote client: %d", r.Code)
	}
	// A proxy on this machine relays someone else.
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, r)
	if w.Code != 404 {
		t.Fatalf("through a local proxy: %d", w.Code)
	}
	pub := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.MetricsPublic = true }))
	if r := apptest.Do(t, pub.Handler, "GET", "/metrics", nil); r.Code != 200 || !strings.Contains(r.Body, "go_goroutines") {
		t.Fatalf("--metrics-public, remote client: %d", r.Code)
	}
}
