package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"
)

// signedInPages are the pages behind sign-in, by who can see them. Each
// capability adds its own.
var signedInPages = map[string][]string{
	"citizen": {"/me", "/me/security", "/me/inbox", "/me/preferences", "/me/tokens", "/me/legal",
		"/me/legal/new/company", "/me/legal/new/association", "/me/profession", "/me/mandates", "/me/mandates/new",
		"/files", "/files/new", "/me/legal/claim/association", "/me/legal/claim/company", "/me/legal/new/school", "/me/legal/claim/school"},
	"admin": {"/admin", "/admin/staff", "/admin/organisations", "/admin/organisations/commune", "/admin/professionals", "/admin/audit", "/admin/legal-claims"},
}

// demoTOTP is the demonstration staff accounts' second-factor key (docs/DEMO.md).
const demoTOTP = "MADINACASABLANCADEMOSTAFFTOTPKEY"

// TestSignedInPagesAreAccessible signs in as a demonstration citizen and
// the demonstration administrator and runs axe on every page they reach,
// in the three languages.
func TestSignedInPagesAreAccessible(t *testing.T) {
	needAxe(t)
	dir := t.TempDir()
	demo(t, dir)
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	for who, email := range map[string]string{"citizen": "fatima.benali@example.ma", "admin": "nadia.bensouda@example.ma"} {
		t.Run(who, func(t *testing.T) {
			tb := b.newTab(t, srv, viewport{width: 1280, height: 900})
			tb.open("/signin", 200)
			tb.do(chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), "Madina-Casa-2026"))
			tb.follow("sign in", 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)))
			if strings.HasPrefix(tb.path(), "/signin/second-factor") {
				code, err := otptotp.GenerateCode(demoTOTP, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				tb.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
				tb.follow("second factor", 200, chromedp.Click(chromedp.CSS(`form[action="/signin/second-factor"] button[type=submit]`)))
			}
			if p := tb.path(); p != "/me" {
				t.Fatalf("signed in as %s at %s", who, p)
			}
			for _, lang := range []string{"ar", "fr", "en"} {
				tb.setLanguage(lang)
				for _, p := range signedInPages[who] {
					tb.open(p, 200)
					checkLanguage(tb, lang)
					tb.checkAxe()
					tb.checkConsole(srv.URL + p)
				}
			}
		})
	}
}
