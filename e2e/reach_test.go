package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/platform/testenv/smtptest"
)

// A journey reaches pages, and states of pages, that no demonstration
// account shows (a telephone number still to confirm, a second factor
// being set up, an API token to revoke, a form sent back with a mistake)
// by driving the real flow in Chromium, as a person would, and holds each
// to TestEveryPage's checks in ar, fr and en at 390 and 1366 px.
type journey struct {
	name string
	// routes are the GET routes (patterns) whose pages the journey checks;
	// they count as visited for checkEveryRouteCovered, and the journey
	// fails if it did not check each of them.
	routes []string
	drive  func(j *journeyRun)
}

// everyJourney is run by TestEveryPage beside everyActor.
var everyJourney = []journey{
	{name: "newcomer", routes: []string{"/me/phone", "/me/tokens/revoke", "/me/security/second-factor/disable",
		"/verify-email", "/reset/new"}, drive: newcomerJourney},
	{name: "staff-second-factor", routes: []string{"/signin/second-factor"}, drive: staffSecondFactorJourney},
}

// mailbox is where TestEveryPage's server sends its e-mail and SMS.
type mailbox struct {
	maildir string
	sms     *smsRecorder
}

// journeyRun is one journey under way, in one tab that starts at 390 px.
type journeyRun struct {
	t     *testing.T
	b     *browser
	tb    *tab
	srv   *server
	box   *mailbox
	shots string
	rec   *pageRecord
	name  string

	mu      sync.Mutex
	checked map[string]bool // routes checked
}

// runJourney drives j in a tab of its own and fails for a declared route
// it never checked.
func runJourney(t *testing.T, b *browser, srv *server, box *mailbox, j journey, shots string, rec *pageRecord) {
	jr := &journeyRun{t: t, b: b, tb: b.newTab(t, srv, phone390), srv: srv, box: box, shots: shots, rec: rec, name: j.name,
		checked: map[string]bool{}}
	j.drive(jr)
	for _, r := range j.routes {
		if !jr.checked[r] {
			t.Errorf("journey %s never checked %s", j.name, r)
		}
	}
}

// see holds the page the tab shows — route in the given state — to
// TestEveryPage's checks, at 390 px (where the journey's tab is), then at
// 1366 px by resizing that same page: a page that answers a form is not
// sent twice. The tab is back at 390 px afterwards.
func (j *journeyRun) see(route, state, lang string) {
	j.t.Helper()
	j.mu.Lock()
	j.checked[route] = true
	j.mu.Unlock()
	for i, v := range everySize {
		if i > 0 {
			j.tb.do(viewportAction(v))
		}
		ran := false
		j.t.Run(fmt.Sprintf("%d %s %s", v.width, lang, state), func(t *testing.T) {
			ran = true
			tb := j.tb.in(t)
			checkLanguage(tb, lang)
			where := eval[struct{ Path, Href string }](tb, `({path: location.pathname + location.search, href: location.href})`)
			seen := view{actor: j.name, route: route, path: where.Path, width: v.width, lang: lang}
			j.rec.check(tb, seen, pageFindings(tb))
			tb.checkConsole(where.Href)
			if j.shots != "" {
				shot(tb, filepath.Join(j.shots, fmt.Sprintf("%s-%s-%d-%s.png", j.name, slug(strings.ReplaceAll(state, " ", "-")), v.width, lang)))
			}
		})
		if !ran {
			// Left out by go test -run: the page's own status (a form sent
			// back, 400) is not an error for the views checked next.
			j.tb.checkConsole(eval[string](j.tb, `location.href`))
		}
	}
	j.tb.do(viewportAction(everySize[0]))
}

// viewportAction sets the tab's viewport to v.
func viewportAction(v viewport) chromedp.Action[chromedp.Void] {
	var opts []chromedp.EmulateViewportOption
	if v.mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(v.width, v.height, opts...)
}

// load navigates to path and returns the page's status.
func (tb *tab) load(path string) int64 {
	tb.t.Helper()
	resp := get(tb, chromedp.NavigateResponse(tb.base+path))
	if resp == nil {
		tb.t.Fatalf("%s: no page loaded", path)
	}
	return resp.Status
}

// submit clicks the submit button of the form whose action is action and
// fails unless the page that answers has status and path wantPath ("" for
// any).
func (tb *tab) submit(action string, status int64, wantPath string) {
	tb.t.Helper()
	tb.follow("send "+action, status, chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action=%q] button[type=submit]`, action))))
	if wantPath != "" {
		if p := tb.path(); p != wantPath {
			tb.t.Fatalf("after sending %s at %s, want %s; the page says: %s", action, p, wantPath, tb.alerts())
		}
	}
}

// alerts is the text of the page's error summary and alerts, to explain a
// failure.
func (tb *tab) alerts() string {
	return eval[string](tb, `[...document.querySelectorAll(".error-summary, .alert, .error")].map(e => e.textContent.trim()).join(" | ")`)
}

// typeIn replaces the value of the field #id with v, typed.
func (tb *tab) typeIn(id, v string) {
	tb.t.Helper()
	el := fmt.Sprintf("document.getElementById(%q)", id)
	eval[string](tb, el+`.value = ""`)
	tb.do(chromedp.SendKeys(chromedp.CSS("#"+id), v))
	if got := eval[string](tb, el+`.value`); got != v {
		tb.t.Fatalf("field %s holds %q after typing %q", id, got, v)
	}
}

// newMailLink waits for an e-mail to addr holding a link that starts with
// prefix and is not in old, adds it to old and returns it.
func newMailLink(t *testing.T, maildir, addr, prefix string, old map[string]bool) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[A-Za-z0-9_=?&./-]+`)
	var link string
	found := false
	defer func() {
		if !found { // within gave up: say what did come
			for _, m := range smtptest.Read(t, maildir) {
				t.Logf("e-mail to %s: %s", m.Header.Get("To"), m.Header.Get("Subject"))
			}
		}
	}()
	within(t, 40*time.Second, "an e-mail to "+addr, func() error {
		for _, m := range smtptest.Read(t, maildir) {
			if !strings.Contains(m.Header.Get("To"), addr) {
				continue
			}
			if l := re.FindString(smtptest.Body(t, m)); l != "" && !old[l] {
				link = l
				return nil
			}
		}
		return errNotYet
	})
	found = true
	old[link] = true
	return link
}

// newcomerJourney signs a new citizen up and takes her through what the
// demonstration accounts have long done: the sign-up form sent back with
// a mistake, the e-mail link, the telephone number to confirm (a wrong
// code, a new code), API tokens made and revoked, two-step verification
// set up and turned off, a password reset, and links that no longer work.
func newcomerJourney(j *journeyRun) {
	tb, t := j.tb, j.t
	const email, phone, intl, pw = "zineb.chafik@example.ma", "0662917342", "+212662917342", "Derb-Ghallef-1956"
	fields := [][2]string{{"given_name_ar", "زينب"}, {"family_name_ar", "شفيق"}, {"given_name_latin", "Zineb"},
		{"family_name_latin", "Chafik"}, {"cin", "BE917342"}, {"email", email}, {"phone", phone}, {"password", pw}}

	// Sign-up, sent back with the confirmation not matching (the form
	// keeps the rest), then sent right.
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/signup", 200)
		for _, f := range fields {
			tb.typeIn(f[0], f[1])
		}
		tb.typeIn("password_confirm", pw+"x")
		tb.do(chromedp.Click(chromedp.CSS("#accept")))
		tb.submit("/signup", 400, "/signup")
		j.see("/signup", "sign-up with a mistake", lang)
	}
	tb.setLanguage("ar")
	tb.open("/signup", 200)
	for _, f := range fields {
		tb.typeIn(f[0], f[1])
	}
	tb.typeIn("password_confirm", pw)
	tb.do(chromedp.Click(chromedp.CSS("#accept")))
	tb.submit("/signup", 200, "/signup/sent")

	links := map[string]bool{}
	verify := newMailLink(t, j.box.maildir, email, j.srv.URL+"/verify-email?token=", links)
	tb.follow("the e-mail link", 200, chromedp.Navigate(verify))
	if p := tb.path(); p != "/me/phone" {
		t.Fatalf("the e-mail link led to %s, want /me/phone", p)
	}

	// The telephone number to confirm: the code page, a wrong code, a new
	// code sent, then the right one.
	first := j.box.sms.code(t, intl)
	wrong := "000000"
	if first == wrong {
		wrong = "111111"
	}
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me/phone", 200)
		j.see("/me/phone", "phone code", lang)
		tb.typeIn("code", wrong)
		tb.submit("/me/phone", 400, "/me/phone")
		j.see("/me/phone", "phone wrong code", lang)
	}
	tb.submit("/me/phone/resend", 200, "/me/phone?done=sent")
	var code string
	within(t, 20*time.Second, "a new SMS code", func() error {
		if code = j.box.sms.code(t, intl); code == first {
			return errNotYet
		}
		return nil
	})
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me/phone?done=sent", 200)
		j.see("/me/phone", "phone code sent", lang)
	}
	tb.typeIn("code", code)
	tb.submit("/me/phone", 200, "/me?done=phone_verified")
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me?done=phone_verified", 200)
		j.see("/me", "phone confirmed", lang)
		if lang == "ar" {
			// Now confirmed, the page sends the person on.
			tb.open("/me/phone", 200)
			if p := tb.path(); p != "/me" {
				t.Errorf("/me/phone once confirmed stays at %s, want /me", p)
			}
		}
	}

	// API tokens: one made (its secret shown once, then listed), its
	// revocation confirmed, the list after it.
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me/tokens", 200)
		tb.typeIn("name", "Tableur "+lang)
		tb.do(chromedp.Click(chromedp.CSS(`input[name=scopes]`)))
		tb.submit("/me/tokens", 200, "/me/tokens")
		if eval[string](tb, `(document.querySelector("code.token") || {}).textContent || ""`) == "" {
			t.Fatalf("no token shown after making one; the page says: %s", tb.alerts())
		}
		j.see("/me/tokens", "token made", lang)
		tb.follow("revoke the token", 200, chromedp.Click(chromedp.CSS(`main a[href^="/me/tokens/revoke?id="]`)))
		j.see("/me/tokens/revoke", "token revoke confirmation", lang)
		tb.submit("/me/tokens/revoke", 200, "/me/tokens?done=revoked")
		j.see("/me/tokens", "token revoked", lang)
	}

	// Signed in on a second device too: the security page lists it, with
	// the button that ends it.
	other := j.b.newTab(t, j.srv, laptop1366)
	other.open("/signin", 200)
	other.typeIn("email", email)
	other.typeIn("password", pw)
	other.submit("/signin", 200, "/me")
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me/security", 200)
		if n := eval[int](tb, `document.querySelectorAll('main form[action="/me/security/sessions/end"]').length`); n != 1 {
			t.Fatalf("the security page offers to end %d other sessions, want 1", n)
		}
		j.see("/me/security", "two devices", lang)
	}

	// Two-step verification: set up (a wrong code first, sent back to the
	// security page), the recovery codes, the page with it on, the
	// confirmation to turn it off (a wrong password first), and off.
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/me/security", 200)
		tb.submit("/me/security/second-factor", 200, "/me/security/second-factor")
		j.see("/me/security/second-factor", "second factor setup", lang)
		tb.typeIn("code", "000000")
		tb.submit("/me/security/second-factor/confirm", 400, "")
		j.see("/me/security/second-factor/confirm", "second factor wrong code", lang)
		tb.submit("/me/security/second-factor", 200, "/me/security/second-factor")
		secret := eval[string](tb, `document.querySelector("main ol code").textContent`)
		totpCode, err := otptotp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatalf("the secret shown, %q: %v", secret, err)
		}
		tb.typeIn("code", totpCode)
		tb.submit("/me/security/second-factor/confirm", 200, "/me/security/second-factor/confirm")
		recovery := eval[[]string](tb, `[...document.querySelectorAll("main ul.codes code")].map(c => c.textContent)`)
		if len(recovery) == 0 {
			t.Fatalf("no recovery codes shown; the page says: %s", tb.alerts())
		}
		j.see("/me/security/second-factor/confirm", "recovery codes", lang)
		tb.open("/me/security", 200)
		j.see("/me/security", "second factor on", lang)
		tb.follow("turn it off", 200, chromedp.Click(chromedp.CSS(`main a[href="/me/security/second-factor/disable"]`)))
		j.see("/me/security/second-factor/disable", "second factor off confirmation", lang)
		tb.typeIn("password", pw+"x")
		tb.typeIn("code", recovery[0])
		tb.submit("/me/security/second-factor/disable", 400, "/me/security/second-factor/disable")
		j.see("/me/security/second-factor/disable", "second factor off wrong password", lang)
		tb.typeIn("password", pw)
		tb.typeIn("code", recovery[0])
		tb.submit("/me/security/second-factor/disable", 200, "/me/security?done=mfa_off")
		j.see("/me/security", "second factor turned off", lang)
	}

	// A password reset: the "check your e-mail" page, the new-password
	// form from the link, sent back with the confirmation not matching.
	// Links that no longer work (or never did) get their own page.
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/reset", 200)
		tb.typeIn("email", email)
		tb.submit("/reset", 200, "/reset")
		j.see("/reset", "reset e-mail sent", lang)
		reset := strings.TrimPrefix(newMailLink(t, j.box.maildir, email, j.srv.URL+"/reset/new?token=", links), j.srv.URL)
		tb.open(reset, 200)
		j.see("/reset/new", "new password", lang)
		tb.typeIn("password", pw+"-2")
		tb.typeIn("password_confirm", pw+"-3")
		tb.submit("/reset/new", 400, "/reset/new")
		j.see("/reset/new", "new password mismatch", lang)
		for _, bad := range []string{"/verify-email?token=", "/reset/new?token="} {
			if st := tb.load(bad + "no-longer-good"); st < 400 || st >= 500 {
				t.Fatalf("%sno-longer-good answered %d, want a 4xx page", bad, st)
			}
			j.see(strings.TrimSuffix(bad, "?token="), "link not good "+strings.Trim(slug(strings.TrimSuffix(bad, "?token=")), "-"), lang)
		}
	}
}

// staffSecondFactorJourney stops a staff member at the second factor
// (password given, code not yet) and checks that page in every language
// and size, then sent back with a wrong code.
func staffSecondFactorJourney(j *journeyRun) {
	tb, t := j.tb, j.t
	const email = "hassan.filali@example.ma" // the auditor: no actor of TestEveryPage signs in as him
	tb.setLanguage("ar")
	tb.open("/signin", 200)
	tb.typeIn("email", email)
	tb.typeIn("password", "Madina-Casa-2026")
	tb.submit("/signin", 200, "")
	if p := tb.path(); !strings.HasPrefix(p, "/signin/second-factor") {
		t.Fatalf("%s signed in at %s, want the second factor", email, p)
	}
	good, err := otptotp.GenerateCode(demoTOTP, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if good == wrong {
		wrong = "111111"
	}
	for _, lang := range everyLang {
		tb.setLanguage(lang)
		tb.open("/signin/second-factor", 200)
		j.see("/signin/second-factor", "second factor", lang)
		tb.typeIn("code", wrong)
		tb.submit("/signin/second-factor", 401, "/signin/second-factor")
		j.see("/signin/second-factor", "second factor wrong code", lang)
	}
}
