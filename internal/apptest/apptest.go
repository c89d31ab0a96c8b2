// Package apptest starts the real application for the tests of every
// capability: the same app.NewWith as production, on a fresh database
// (SQLite in a temporary directory; PostgreSQL in a schema of its own when
// MADINA_TEST_DATABASE_URL is set), with a cheap password hasher
// (passwordtest) and the catalogue counting the message keys it could not
// translate. Tests live beside their capability in an external test
// package (package permit_test) and speak HTTP to it, as wtf's main_test
// does; the helpers here are the vocabulary they share: a browser with
// cookies and CSRF tokens, an API client with a bearer token, small
// documents, the notice a person was sent.
package apptest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"madina/internal/platform/openapi/openapitest"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/password/passwordtest"
)

// Option changes the application New builds.
type Option func(*options)

type options struct {
	mods []func(*config.Config)
	log  *slog.Logger
}

// Config applies mod to the configuration before the application starts.
func Config(mod func(*config.Config)) Option {
	return func(o *options) { o.mods = append(o.mods, mod) }
}

// Log sends the application's log to log instead of discarding it.
func Log(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// Hasher is the cheap password hasher every test application uses, shared
// so that its bound on hashes in flight holds across parallel tests.
var Hasher = passwordtest.Hasher()

// New builds the real application on a fresh database of engine e (its
// own data directory, one worker), closed
// when t ends. The catalogue tracks untranslated keys from the start.
func New(t testing.TB, e db.Engine, opts ...Option) *app.App {
	t.Helper()
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	cfg := config.Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t, e), Workers: 1}
	if e == db.SQLite {
		cfg.DatabaseURL = "sqlite:" + cfg.DatabaseURL
	}
	for _, m := range o.mods {
		m(&cfg)
	}
	a, err := app.NewWith(context.Background(), cfg, o.log, app.Options{Hasher: Hasher})
	if err != nil {
		t.Fatalf("app.NewWith: %v", err)
	}
	a.Cat.TrackMisses()
	t.Cleanup(func() { a.Close() })
	return a
}

// Engines runs f once per engine as parallel subtests named "sqlite" and
// "postgres" (skipped, or failed under MADINA_TEST_REQUIRE, when
// MADINA_TEST_DATABASE_URL is not set). Unlike dbtest.Run, it opens no
// database itself: f builds the application with New.
func Engines(t *testing.T, f func(t *testing.T, e db.Engine)) {
	t.Helper()
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

// Serve runs a (HTTP server, background workers and jobs) on a port of
// 127.0.0.1 chosen by the system, as `madina serve` does, and returns its
// address; the server stops, gracefully, when t ends.
func Serve(t testing.TB, a *app.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if a.Cfg.Grace == 0 {
		a.Cfg.Grace = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return app.URLFor(ln)
}

// Server serves a's handler alone (no workers: queued notices stay queued
// for LastNotice to read) on a loopback port, closed when t ends.
func Server(t testing.TB, a *app.App) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return srv
}

// Untranslated returns the message keys a looked up, since the last call
// (or since New), with no text in the language asked for. The catalogue
// itself records them, whatever their prefix: a page naming a key missing
// from the catalogues cannot pass unnoticed.
func Untranslated(a *app.App) []string { return a.Cat.TrackMisses().Take() }

// LastNotice reads the data of the last notification of a template, as
// the notification job will send it (a link's token is sealed in the
// database).
func LastNotice(t testing.TB, a *app.App, template, field string) string {
	t.Helper()
	Settle(t, a) // notices that follow events are recorded once they are dispatched
	var id int64
	err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM notify_deliveries WHERE template = $1 ORDER BY id DESC LIMIT 1`, template).Scan(&id)
	if err != nil {
		t.Fatalf("no %s notification: %v", template, err)
	}
	m, err := a.Notify.QueuedData(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m[field].(string)
}

// IDOf reads one number from the database.
func IDOf(t testing.TB, d *db.DB, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// Resp is what Do got back.
type Resp struct {
	Code   int
	Header http.Header
	Body   string
}

// Do serves one request on h in the test's goroutine.
func Do(t testing.TB, h http.Handler, method, target string, body io.Reader, hdr ...string) Resp {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return Resp{Code: w.Code, Header: w.Header(), Body: w.Body.String()}
}

// Grep returns the lines of s that contain sub, for short failure messages.
func Grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Settle hands every published event to its subscribers, as a running
// node's dispatcher does once a change commits: the notices that follow
// events are recorded then.
func Settle(t testing.TB, a *app.App) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := a.Jobs.DispatchNow(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := a.Jobs.Undispatched(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still undispatched", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Checked returns c (http.DefaultClient when nil) checking every /api/v1
// response against the document a serves: status, content type and JSON
// body, problem details included. A mismatch fails t.
func Checked(t testing.TB, a *app.App, c *http.Client) *http.Client {
	t.Helper()
	v, err := openapitest.New(a.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	return v.Client(t, c, "/api/v1/")
}
