package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/testenv/smtptest"
)

// mailApp is the application with its workers running, sending e-mail to
// a real SMTP server and SMS to a gateway's stand-in that keeps them.
type mailApp struct {
	*app.App
	srv     *httptest.Server
	maildir string
	mu      sync.Mutex
	sms     []smsSent
}

type smsSent struct{ To, Text string }

func newMailApp(t *testing.T, e db.Engine) *mailApp {
	t.Helper()
	port, maildir := smtptest.Start(t)
	m := &mailApp{maildir: maildir}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s smsSent
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.sms = append(m.sms, s)
		m.mu.Unlock()
	}))
	t.Cleanup(gw.Close)
	a := apptest.New(t, e, apptest.Config(func(c *config.Config) {
		c.Workers = 2
		c.SMTP = config.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}
		c.SMS = config.SMS{URL: gw.URL}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m.App = a
	m.srv = httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		m.srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = a.Jobs.Shutdown(sctx)
		cancel() // apptest.New closes a after this
	})
	return m
}

// mails waits until n e-mails went to addr and returns them.
func (m *mailApp) mails(t *testing.T, addr string, n int) []*mail.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out []*mail.Message
		for _, msg := range smtptest.Read(t, m.maildir) {
			if strings.Contains(msg.Header.Get("To"), addr) {
				out = append(out, msg)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d e-mails to %s, want %d", len(out), addr, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailLink waits for an e-mail to addr carrying a link that starts with
// path, and returns the link's path and query.
func (m *mailApp) mailLink(t *testing.T, addr, path string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(m.Cfg.BaseURL+path) + `[A-Za-z0-9_=?&./-]+`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, msg := range m.mails(t, addr, 1) {
			if l := re.FindString(smtptest.Body(t, msg)); l != "" {
				return strings.TrimPrefix(l, m.Cfg.BaseURL)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no e-mail to %s with a link to %s", addr, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smsCode waits for an SMS to a number ending in tail and returns its code.
func (m *mailApp) smsCode(t *testing.T, tail string) string {
	t.Helper()
	re := regexp.MustCompile(`\b[0-9]{6}\b`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		m.mu.Lock()
		for _, s := range m.sms {
			if strings.HasSuffix(s.To, tail) {
				if c := re.FindString(s.Text); c != "" {
					m.mu.Unlock()
					return c
				}
			}
		}
		m.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no SMS code to …%s", tail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled waits until no delivery is queued any more.
func (m *mailApp) settled(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := m.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM notify_deliveries WHERE status = 'queued'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still queued", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tableText is every row of every table of the database, as text.
func tableText(t *testing.T, d *db.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.Engine == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := d.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tb := range tables {
		rows, err := d.QueryContext(ctx, `SELECT * FROM `+tb)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := rows.Columns()
		var b strings.Builder
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", tb, err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
		out[tb] = b.String()
	}
	return out
}

// noRowHolds fails if any row of any table holds one of the secrets.
func noRowHolds(t *testing.T, d *db.DB, secrets ...string) {
	t.Helper()
	for tb, text := range tableText(t, d) {
		for _, s := range secrets {
			re := regexp.MustCompile(`(^|[^0-9A-Za-z_-])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z_-])`)
			if re.MatchString(text) {
				t.Errorf("table %s holds %q in clear", tb, s)
			}
		}
	}
}

func tokenOfLink(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q", link)
	}
	return u.Query().Get("token")
}

// Account recovery closes every door: the links and codes that open an
// account are nowhere in the database in clear (while queued or once sent),
// yet the e-mail and SMS carry working ones; a password reset ends the
// sessions and revokes the personal API tokens.
func TestRecoveryClosesEveryDoor(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		m := newMailApp(t, e)
		b := apptest.NewBrowser(t, m.srv.URL)
		const email = "youssef.bennani@example.ma"
		if code, _, _ := b.Post("/signup", "/signup", apptest.CloneForm(apptest.CitizenForm)); code != http.StatusSeeOther {
			t.Fatalf("sign-up: %d", code)
		}
		verify := m.mailLink(t, email, "/verify-email?token=")
		code := m.smsCode(t, "661234567")
		m.settled(t)
		noRowHolds(t, m.DB, tokenOfLink(t, verify), code)
		if c, _, h := b.Get(verify); c != http.StatusSeeOther || h.Get("Location") != "/me/phone" {
			t.Fatalf("e-mail link: %d %s", c, h.Get("Location"))
		}
		if c, _, _ := b.Post("/me/phone", "/me/phone", url.Values{"code": {code}}); c != http.StatusSeeOther {
			t.Fatalf("SMS code: %d", c)
		}

		_, body, _ := b.Post("/me/tokens", "/me/tokens", url.Values{"name": {"CLI"}, "scopes": {"profile:read"}, "days": {"90"}})
		apiToken := regexp.MustCompile(`mdn_[A-Za-z0-9_-]{43}`).FindString(body)
		api := func() int {
			req, _ := http.NewRequest("GET", m.srv.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+apiToken)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if apiToken == "" || api() != http.StatusOK {
			t.Fatal("no working API token before the reset")
		}

		// Someone asks for a reset (the thief, or the owner who lost the password).
		thief := apptest.NewBrowser(t, m.srv.URL)
		if c, _, _ := thief.Post("/reset", "/reset", url.Values{"email": {email}}); c != http.StatusOK {
			t.Fatalf("reset request: %d", c)
		}
		reset := m.mailLink(t, email, "/reset/new?token=")
		m.settled(t)
		noRowHolds(t, m.DB, tokenOfLink(t, reset), m.Cfg.BaseURL+reset)
		if c, _, _ := thief.Get(reset); c != http.StatusOK {
			t.Fatalf("reset link: %d", c)
		}
		thief.SetLang(i18n.FR)
		c, _, h := thief.Post(reset, "/reset/new", url.Values{"token": {tokenOfLink(t, reset)},
			"password": {"Casa-Anfa-2026!"}, "password_confirm": {"Casa-Anfa-2026!"}})
		if c != http.StatusSeeOther {
			t.Fatalf("new password: %d", c)
		}
		if _, page, _ := thief.Get(h.Get("Location")); !strings.Contains(page, "jetons d’API personnels révoqués") {
			t.Fatal("the confirmation does not say the API tokens were revoked")
		}
		if c := api(); c != http.StatusUnauthorized {
			t.Fatalf("API token after the reset: %d, want 401", c)
		}
		if c, _, _ := b.Get("/me"); c != http.StatusSeeOther {
			t.Fatalf("old session after the reset: %d", c)
		}
	})
}
