package devmail_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"log/slog"
	"madina/internal/apptest"
	"madina/internal/devmail"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/testenv"
)

// outboxLink waits for the development outbox, read as the developer
// reads it (the page, from this machine), to show a link to path sent to
// addr, and returns it.
func outboxLink(t *testing.T, b *apptest.Browser, addr, path string) string {
	t.Helper()
	re := regexp.MustCompile(`<a href="([^"]*` + regexp.QuoteMeta(path) + `\?[^"]*)"`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body, _ := b.Get("/dev/outbox?to=" + url.QueryEscape(addr))
		if code != http.StatusOK {
			t.Fatalf("outbox: %d", code)
		}
		if m := re.FindStringSubmatch(body); m != nil {
			return html.UnescapeString(m[1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link to %s for %s in the outbox:\n%s", path, addr, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A developer running Madina with no SMTP server signs up, reads the
// verification e-mail in the development outbox, follows its link and is
// in; then forgets the password, reads the reset e-mail there and chooses
// a new one. The log, meanwhile, carries no link.
func TestOutboxShowsTheLinksThatVerifyAndReset(t *testing.T) {
	logs := &testenv.Buffer{}
	a := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.DevOutbox = true }),
		apptest.Log(slog.New(slog.NewJSONHandler(logs, nil))))
	base := apptest.Serve(t, a)
	local := func(link string) string { // the link as the page shows it, on the test's server
		if !strings.HasPrefix(link, a.Cfg.BaseURL+"/") {
			t.Fatalf("link %q is not on %s", link, a.Cfg.BaseURL)
		}
		return strings.TrimPrefix(link, a.Cfg.BaseURL)
	}

	email := "salma.idrissi@example.ma"
	b := apptest.NewBrowser(t, base)
	f := apptest.CloneForm(apptest.CitizenForm)
	f.Set("email", email)
	if code, _, _ := b.Post("/signup", "/signup", f); code != http.StatusSeeOther {
		t.Fatalf("sign-up: %d", code)
	}
	if _, body, _ := b.Get("/signup/sent"); !strings.Contains(body, `href="/dev/outbox"`) {
		t.Errorf("the page saying a message was sent does not say where to read it:\n%s", body)
	}
	verify := outboxLink(t, b, email, "/verify-email")
	if code, _, _ := b.Get(local(verify)); code != http.StatusSeeOther {
		t.Fatalf("following the verification link: %d", code)
	}
	if code, body, _ := b.Get("/me"); code != http.StatusOK || !strings.Contains(body, email) {
		t.Fatalf("after verification, /me: %d", code)
	}

	// The phone code goes by SMS: the outbox shows it too.
	if code, body, _ := b.Get("/dev/outbox?to=%2B212661234567"); code != http.StatusOK || !strings.Contains(body, "identity.phone_code") ||
		!regexp.MustCompile(`[^0-9][0-9]{6}[^0-9]`).MatchString(apptest.Grep(body, "valable")) {
		t.Errorf("no SMS with a code in the outbox: %d\n%s", code, body)
	}

	other := apptest.NewBrowser(t, base)
	if code, body, _ := other.Post("/reset", "/reset", url.Values{"email": {email}}); code != http.StatusOK || !strings.Contains(body, `href="/dev/outbox"`) {
		t.Fatalf("asking for a reset: %d, or no word of the outbox:\n%s", code, body)
	}
	reset := outboxLink(t, other, email, "/reset/new")
	if code, _, _ := other.Post(local(reset), "/reset/new", url.Values{"token": {tokenOf(t, reset)},
		"password": {"Sidi-Maarouf-2031"}, "password_confirm": {"Sidi-Maarouf-2031"}}); code != http.StatusSeeOther {
		t.Fatalf("choosing the new password: %d", code)
	}
	other.SignInAs(email, "Sidi-Maarouf-2031", false)

	// Production's record of the same messages: metadata, never a link.
	for _, secret := range []string{tokenOf(t, verify), tokenOf(t, reset)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log carries a link's token")
		}
	}
	if !strings.Contains(logs.String(), `"outbox":true`) {
		t.Errorf("the log does not say the messages went to the outbox")
	}
	if u := apptest.Untranslated(a); len(u) > 0 {
		t.Errorf("untranslated: %v", u)
	}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

// The outbox holds other people's links: only this machine's browser
// sees it, and only when the developer asked for it.
func TestOutboxOnlyForThisMachineAndOnlyWhenAsked(t *testing.T) {
	on := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) { c.DevOutbox = true }))
	if r := apptest.Do(t, on.Handler, "GET", devmail.Path, nil); r.Code != http.StatusNotFound {
		t.Errorf("from another machine: %d", r.Code) // httptest's client is 192.0.2.1
	}
	srv := apptest.Server(t, on)
	if r, err := http.Get(srv.URL + devmail.Path); err != nil || r.StatusCode != http.StatusOK {
		t.Errorf("from this machine: %v %v", r, err)
	}
	req, _ := http.NewRequest("GET", srv.URL+devmail.Path, nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9") // through a proxy on this machine
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("through a proxy: %v %v", r, err)
	}

	off := apptest.New(t, db.SQLite)
	if off.Notify.Outbox() != nil {
		t.Error("an outbox without --dev-outbox")
	}
	if r := apptest.Do(t, off.Handler, "GET", "/signup/sent", nil); r.Code != http.StatusOK || strings.Contains(r.Body, "/dev/outbox") {
		t.Errorf("without --dev-outbox, /signup/sent: %d, speaks of the outbox: %v", r.Code, strings.Contains(r.Body, "/dev/outbox"))
	}
	if r, err := http.Get(apptest.Server(t, off).URL + devmail.Path); err != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("without --dev-outbox: %v %v", r, err)
	}
}

func TestLinkify(t *testing.T) {
	got := devmail.Linkify("Ouvrez https://madina.ma/verify?token=a_b-c. Puis « http://x.ma/y »")
	want := []devmail.Part{{Text: "Ouvrez "}, {Text: "https://madina.ma/verify?token=a_b-c", URL: "https://madina.ma/verify?token=a_b-c"},
		{Text: ". Puis « "}, {Text: "http://x.ma/y", URL: "http://x.ma/y"}, {Text: " »"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := devmail.Linkify("javascript:alert(1) ftp://x"); len(p) != 1 || p[0].URL != "" {
		t.Errorf("non-http text made a link: %+v", p)
	}
}

// A token has no space to break at: the page may break it every 20
// characters, so that a phone shows it whole without scrolling sideways.
func TestLinkChunks(t *testing.T) {
	p := devmail.Part{Text: "http://localhost:8080/reset/new?token=abcdefghijklmnopqrstuvwxyz", URL: "x"}
	c := p.Chunks()
	if strings.Join(c, "") != p.Text || len(c) != 4 {
		t.Errorf("chunks = %q", c)
	}
	for _, s := range c {
		if len(s) > 20 {
			t.Errorf("chunk %q longer than 20", s)
		}
	}
}
