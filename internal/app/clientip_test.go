package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// Behind a trusted proxy, a client that writes a fresh X-Forwarded-For on
// every attempt (the proxy appends the real address after it) still meets
// the per-address limits of sign-in and public tracking; another client
// behind the same proxy does not.
func TestForwardedAddressCannotDodgeRateLimits(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) {
			c.DatabaseURL = dbtest.URL(t, e)
			if e == db.SQLite {
				c.DatabaseURL = "sqlite:" + c.DatabaseURL
			}
			c.TrustProxy = true
		}))
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		_, page, _ := b.Get("/signin")
		token := apptest.CSRFRE.FindStringSubmatch(page)[1]
		signIn := func(real string, i int) int {
			t.Helper()
			form := url.Values{"email": {"x@example.ma"}, "password": {"nope-nope-nope"}, "csrf_token": {token}}
			req, _ := http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("1.2.%d.%d, %s", i/250, i%250+1, real))
			res, err := b.C.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		last := 0
		for i := 0; i < 12; i++ {
			last = signIn("203.0.113.7", i)
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("12 sign-ins with chosen X-Forwarded-For: last %d, want 429", last)
		}
		if code := signIn("203.0.113.8", 99); code == http.StatusTooManyRequests {
			t.Fatal("another client behind the proxy is limited too")
		}

		track := func(real string, i int) int {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/track?number=X-1&code=ABCDEFGH", nil)
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("9.9.%d.%d,%s", i/250, i%250+1, real))
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		for i := 0; i < 31; i++ {
			last = track("203.0.113.7", i)
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("31 look-ups with chosen X-Forwarded-For: last %d, want 429", last)
		}
		if code := track("203.0.113.8", 0); code == http.StatusTooManyRequests {
			t.Fatal("another client's look-up is limited too")
		}
	})
}
