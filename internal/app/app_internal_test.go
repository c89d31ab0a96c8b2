package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/identity/identitydemo"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/password"
	"madina/internal/platform/password/passwordtest"
)

// The tests that stay in package app: those that read what the package
// keeps to itself (TestProductionHasherParams reads the hasher the
// application was built with), and, until they move beside their
// capability, the permit tests (files_api, races, conflict, references,
// upload_deadline, openapi_validate), with the helpers below. Every other
// test of the whole application is in package app_test, on
// internal/apptest, which this package's own tests cannot import (apptest
// imports app).

// testOptions build the application with a cheap password hasher: the
// production parameters cost about 100 ms of a core per hash and are
// checked by TestProductionHasherParams.
var testOptions = Options{Hasher: passwordtest.Hasher()}

// newTestApp builds the real application on a fresh database of engine e.
func newTestApp(t testing.TB, e db.Engine) *App {
	t.Helper()
	cfg := config.Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t, e), Workers: 1}
	if e == db.SQLite {
		cfg.DatabaseURL = "sqlite:" + cfg.DatabaseURL
	}
	a, err := NewWith(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), testOptions)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.Cat.TrackMisses()
	// Like a serving node, the test application links its audit records
	// into the chain: one left unsealed a minute is a fault.
	sctx, stop := context.WithCancel(context.Background())
	sealed := make(chan struct{})
	go func() { defer close(sealed); a.runAuditSealer(sctx) }()
	t.Cleanup(func() {
		stop()
		<-sealed
		a.Close()
	})
	return a
}

type resp struct {
	code int
	h    http.Header
	body string
}

func do(t *testing.T, h http.Handler, method, target string, body io.Reader, hdr ...string) resp {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return resp{code: w.Code, h: w.Header(), body: w.Body.String()}
}

func newTestAppWith(t testing.TB, mod func(*config.Config)) *App {
	t.Helper()
	cfg := config.Config{DataDir: t.TempDir(), Workers: 1}
	mod(&cfg)
	a, err := NewWith(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	a.Cat.TrackMisses()
	t.Cleanup(func() { a.Close() })
	return a
}

// grep returns the lines of s that contain sub, for short failure messages.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// signIn signs b in with the demo password and, for staff, the demo code.
func (b *browser) signIn(email string, staff bool) {
	b.t.Helper()
	b.signInAs(email, identitydemo.Password, staff)
}

// signInAs signs b in with a password and, for staff, the demo TOTP code.
func (b *browser) signInAs(email, pw string, staff bool) {
	b.t.Helper()
	code, _, h := b.post("/signin", "/signin", url.Values{"email": {email}, "password": {pw}})
	if code != http.StatusSeeOther {
		b.t.Fatalf("sign-in of %s: %d", email, code)
	}
	if !staff {
		return
	}
	if !strings.HasPrefix(h.Get("Location"), "/signin/second-factor") {
		b.t.Fatalf("%s: no second factor asked (%s)", email, h.Get("Location"))
	}
	totp, _ := otptotp.GenerateCode(identitydemo.TOTPSecret, time.Now())
	if code, _, _ := b.post("/signin/second-factor", "/signin/second-factor", url.Values{"code": {totp}}); code != http.StatusSeeOther {
		b.t.Fatalf("second factor of %s: %d", email, code)
	}
}

// TestProductionHasherParams checks that the application built without
// options hashes passwords with the production parameters, the ones
// documented in docs/PERFORMANCE.md ("Sign-in: argon2id") and
// docs/ARCHITECTURE.md: argon2id, m = 64 MiB, t = 2, p = 1, 16-byte salt,
// 32-byte key. Every other test uses passwordtest's cheap ones.
func TestProductionHasherParams(t *testing.T) {
	t.Parallel()
	cfg := config.Config{DataDir: t.TempDir(), Workers: 1}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	documented := password.Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := a.env.Hasher.Params(); got != documented || password.DefaultParams != documented {
		t.Fatalf("production hasher %+v, DefaultParams %+v; documented %+v", got, password.DefaultParams, documented)
	}
	phc, err := a.env.Hasher.Hash(context.Background(), "une phrase assez longue")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=2,p=1$") {
		t.Fatalf("production hash %q", phc)
	}
	if passwordtest.Params == documented {
		t.Fatal("the test parameters are the production ones")
	}
}
