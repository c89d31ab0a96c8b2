package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/platform/testenv/smtptest"
)

// smsRecorder stands in for the SMS operator, which cannot run here: it
// accepts what Madina's gateway client posts and records it.
type smsRecorder struct {
	mu   sync.Mutex
	msgs []struct{ To, Text string }
}

func (s *smsRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Text string }
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// code waits for the latest SMS to phone and returns its six-digit code.
func (s *smsRecorder) code(t *testing.T, phone string) string {
	t.Helper()
	var code string
	within(t, 20*time.Second, "an SMS to "+phone, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := len(s.msgs) - 1; i >= 0; i-- {
			if s.msgs[i].To == phone {
				if c := sixDigits.FindString(s.msgs[i].Text); c != "" {
					code = c
					return nil
				}
			}
		}
		return errNotYet
	})
	return code
}

type notYet struct{}

func (notYet) Error() string { return "not yet" }

var errNotYet error = notYet{}

// mailLink waits for a message to addr in the Maildir and returns the first
// link in it that starts with prefix.
func mailLink(t *testing.T, maildir, addr, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[A-Za-z0-9_=?&./-]+`)
	var link string
	within(t, 20*time.Second, "an e-mail to "+addr, func() error {
		for _, m := range smtptest.Read(t, maildir) {
			if !strings.Contains(m.Header.Get("To"), addr) {
				continue
			}
			if l := re.FindString(smtptest.Body(t, m)); l != "" {
				link = l
			}
		}
		if link == "" {
			return errNotYet
		}
		return nil
	})
	return link
}

// TestCitizenAccount drives a citizen's account from sign-up to "sign out
// everywhere" in Chromium, in Arabic, reading the e-mail from a real SMTP
// server and the SMS from the gateway's stand-in.
func TestCitizenAccount(t *testing.T) {
	needAxe(t)
	port, maildir := smtptest.Start(t)
	sms := &smsRecorder{}
	gw := httptest.NewServer(sms)
	defer gw.Close()
	// The demonstration data gives a verified architect to mandate.
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir, "--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(port), "--smtp-tls", "none",
		"--smtp-from", "Madina <no-reply@casablanca.example.ma>", "--sms-url", gw.URL, "--workers", "2")
	b := startBrowser(t)
	tb := b.newTab(t, srv, viewport{width: 1280, height: 900})

	const email, phone, pw = "salma.idrissi@example.ma", "0677889900", "Bab-Marrakech-1920"
	tb.open("/signup", 200)
	checkLanguage(tb, "ar")
	tb.checkAxe()
	fields := map[string]string{"given_name_ar": "سلمى", "family_name_ar": "الإدريسي", "given_name_latin": "Salma",
		"family_name_latin": "Idrissi", "cin": "BE778899", "email": email, "phone": phone, "password": pw, "password_confirm": pw}
	for id, v := range fields {
		tb.do(chromedp.SendKeys(chromedp.CSS("#"+id), v))
	}
	// What the person typed is what the form holds (a dropped key under
	// load would otherwise show up as a puzzling refusal).
	for id, v := range fields {
		if got := eval[string](tb, `document.getElementById("`+id+`").value`); got != v {
			t.Fatalf("field %s holds %q after typing %q", id, got, v)
		}
	}
	tb.do(chromedp.Click(chromedp.CSS("#accept")))
	if !eval[bool](tb, `document.getElementById("accept").checked`) {
		t.Fatal("the consent box is not ticked after clicking it")
	}
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)))
	cancel()
	if err != nil || resp == nil || resp.Status != 200 {
		t.Fatalf("submit the sign-up form: %v %v; the page says: %s", err, resp != nil && resp.Status != 0,
			eval[string](tb, `[...document.querySelectorAll(".error, .error-summary")].map(e => e.textContent).join(" | ")`))
	}
	if p := tb.path(); p != "/signup/sent" {
		t.Fatalf("after sign-up at %s", p)
	}

	link := mailLink(t, maildir, email, srv.URL+"/verify-email?token=")
	tb.follow("open the e-mail link", 200, chromedp.Navigate(link))
	if p := tb.path(); p != "/me/phone" {
		t.Fatalf("after the e-mail link at %s", p)
	}
	tb.checkAxe()
	tb.do(chromedp.SendKeys(chromedp.CSS("#code"), sms.code(t, "+212677889900")))
	tb.follow("confirm the phone", 200, chromedp.Click(chromedp.CSS(`form[action="/me/phone"] button[type=submit]`)))
	if p := tb.path(); !strings.HasPrefix(p, "/me") {
		t.Fatalf("after the phone code at %s", p)
	}
	tb.checkAxe()

	// Turn on the second factor with an authenticator app's code.
	tb.open("/me/security", 200)
	tb.checkAxe()
	tb.follow("start two-step verification", 200, chromedp.Click(chromedp.CSS(`form[action="/me/security/second-factor"] button`)))
	tb.checkAxe()
	secret := get(tb, chromedp.Text(chromedp.CSS(`code[dir=ltr]`)))
	code, err := otptotp.GenerateCode(strings.TrimSpace(secret), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
	tb.follow("confirm two-step verification", 200, chromedp.Click(chromedp.CSS(`form[action="/me/security/second-factor/confirm"] button`)))
	if n := eval[int](tb, `document.querySelectorAll("ul.codes li").length`); n != 10 {
		t.Fatalf("%d recovery codes shown", n)
	}
	recovery := eval[string](tb, `document.querySelector("ul.codes li code").textContent`)

	// Sign out, and in again: the password, then the next code.
	tb.follow("sign out", 200, chromedp.Click(chromedp.CSS(`.account form[action="/signout"] button`)))
	tb.open("/signin", 200)
	tb.do(chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), pw))
	tb.follow("sign in", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
	if p := tb.path(); !strings.HasPrefix(p, "/signin/second-factor") {
		t.Fatalf("signed in without the second factor: %s", p)
	}
	tb.checkAxe()
	next, _ := otptotp.GenerateCode(strings.TrimSpace(secret), time.Now().Add(30*time.Second))
	tb.do(chromedp.SendKeys(chromedp.CSS("#code"), next))
	tb.follow("enter the code", 200, chromedp.Click(chromedp.CSS(`form[action="/signin/second-factor"] button[type=submit]`)))
	if p := tb.path(); p != "/me" {
		t.Fatalf("after the second factor at %s", p)
	}

	// Give the architect a mandate for building permits; he sees it.
	tb.open("/me/mandates/new", 200)
	tb.checkAxe()
	tb.do(chromedp.SendKeys(chromedp.CSS("#professional"), "omar.berrada@example.ma"), chromedp.Click(chromedp.CSS("#scope-kind")),
		chromedp.SetValue(chromedp.CSS("#permit_kind"), "building"))
	tb.follow("grant the mandate", 200, chromedp.Click(chromedp.CSS(`form[action="/me/mandates"] button[type=submit]`)))
	if p := tb.path(); !strings.HasPrefix(p, "/me/mandates") {
		t.Fatalf("after granting at %s", p)
	}
	if body := eval[string](tb, `document.querySelector("main").innerText`); !strings.Contains(body, "Omar") && !strings.Contains(body, "عمر") {
		t.Fatalf("the mandate is not listed:\n%s", body)
	}
	tb.checkAxe()
	arch := b.newTab(t, srv, viewport{width: 1280, height: 900})
	arch.open("/signin", 200)
	arch.do(chromedp.SendKeys(chromedp.CSS("#email"), "omar.berrada@example.ma"), chromedp.SendKeys(chromedp.CSS("#password"), "Madina-Casa-2026"))
	arch.follow("the architect signs in", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
	arch.open("/me/mandates", 200)
	if body := eval[string](arch, `document.querySelector("main").innerText`); !strings.Contains(body, "Salma") && !strings.Contains(body, "سلمى") {
		t.Fatalf("the architect does not see the mandate:\n%s", body)
	}
	arch.checkAxe()

	// A second browser signs in too; "sign out everywhere" ends both.
	other := b.newTab(t, srv, viewport{width: 375, height: 740, mobile: true})
	other.open("/signin", 200)
	other.do(chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), pw))
	other.follow("sign in on the phone", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
	// The authenticator's next code is spent: the phone uses a recovery code.
	other.do(chromedp.SendKeys(chromedp.CSS("#code"), recovery))
	other.follow("enter the code on the phone", 200, chromedp.Click(chromedp.CSS(`form[action="/signin/second-factor"] button[type=submit]`)))
	tb.open("/me/security", 200)
	if n := eval[int](tb, `document.querySelectorAll("main table tbody tr").length`); n != 2 {
		t.Fatalf("%d sessions listed, want 2", n)
	}
	tb.follow("sign out everywhere", 200, chromedp.Click(chromedp.CSS(`form[action="/me/security/signout-everywhere"] button`)))
	other.follow("reload on the phone", 200, chromedp.Navigate(srv.URL+"/me"))
	if p := other.path(); !strings.HasPrefix(p, "/signin") {
		t.Fatalf("the phone is still signed in: %s", p)
	}
}
