package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/testenv/smtptest"
)

// answer is what a visitor sees of a response, the CSRF token and the
// e-mail address they typed set aside.
func answer(code int, body string, h http.Header, emails ...string) string {
	body = apptest.CSRFRE.ReplaceAllString(body, `name="csrf_token" value=""`)
	for _, e := range emails {
		body = strings.ReplaceAll(body, e, "EMAIL")
	}
	return http.StatusText(code) + " " + h.Get("Location") + "\n" + body
}

func sameAnswer(t *testing.T, what, existing, unknown string) {
	t.Helper()
	if existing != unknown {
		t.Errorf("%s: an existing account and an unknown one answer differently:\n--- existing\n%s\n--- unknown\n%s", what, existing, unknown)
	}
}

// Nobody learns from sign-up, sign-in or password reset whether an account
// (or a CIN) exists: each answers alike for an existing account and an
// unknown one, and the owner of the existing account is told by e-mail.
func TestNoEnumeration(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		m := newMailApp(t, e)
		ctx := context.Background()
		const owner = "youssef.bennani@example.ma"
		if _, err := m.Identity.SignUp(ctx, identity.Profile{GivenNameAR: "يوسف", FamilyNameAR: "بناني", GivenNameLatin: "Youssef",
			FamilyNameLatin: "Bennani", CIN: "BK654321", Email: owner, Phone: "0661234567", Lang: "fr"}, "Derb-Sultan-1956"); err != nil {
			t.Fatal(err)
		}
		b := apptest.NewBrowser(t, m.srv.URL)
		if c, _, _ := b.Get(m.mailLink(t, owner, "/verify-email?token=")); c != http.StatusSeeOther {
			t.Fatalf("verify: %d", c)
		}
		persons := func() int {
			var n int
			if err := m.DB.QueryRowContext(ctx, `SELECT count(*) FROM persons`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		signup := func(email, cin string) string {
			f := apptest.CloneForm(apptest.CitizenForm)
			f.Set("email", email)
			f.Set("cin", cin)
			c, body, h := apptest.NewBrowser(t, m.srv.URL).Post("/signup", "/signup", f)
			return answer(c, body, h, email)
		}
		sameAnswer(t, "sign-up with a CIN", signup("amina@example.ma", "BK654321"), signup("karim@example.ma", "C778899"))
		sameAnswer(t, "sign-up with an e-mail", signup(owner, "D112233"), signup("salma@example.ma", "E445566"))
		if n := persons(); n != 3 {
			t.Fatalf("%d accounts, want 3: the owner and the two new ones", n)
		}

		// Five failures lock the owner's account; an unknown address, after
		// five failures too, gets the same answer as the locked account
		// given its right password.
		for range 5 {
			_, _ = m.Identity.SignIn(ctx, owner, "wrong password", "test")
			_, _ = m.Identity.SignIn(ctx, "nobody@example.ma", "wrong password", "test")
		}
		signin := func(email, pw string) string {
			c, body, h := apptest.NewBrowser(t, m.srv.URL).Post("/signin", "/signin", url.Values{"email": {email}, "password": {pw}})
			return answer(c, body, h, email)
		}
		locked := signin(owner, "Derb-Sultan-1956")
		sameAnswer(t, "sign-in after five failures", locked, signin("nobody@example.ma", "Derb-Sultan-1956"))
		if !strings.HasPrefix(locked, "Unauthorized") {
			t.Errorf("locked sign-in answers %q", locked[:40])
		}

		reset := func(email string) string {
			c, body, h := apptest.NewBrowser(t, m.srv.URL).Post("/reset", "/reset", url.Values{"email": {email}})
			return answer(c, body, h, email)
		}
		sameAnswer(t, "password reset", reset(owner), reset("nobody@example.ma"))

		// The owner hears of each: the CIN, the e-mail, the lock, the reset.
		var bodies []string
		for _, msg := range m.mails(t, owner, 5) {
			bodies = append(bodies, smtptest.Body(t, msg))
		}
		all := strings.Join(bodies, "\n")
		for _, want := range []string{"avec votre numéro de carte nationale (CIN)", "avec cette adresse e-mail",
			"la connexion à votre compte est suspendue", "/reset/new?token="} {
			if !strings.Contains(all, want) {
				t.Errorf("the owner was not told %q", want)
			}
		}
		if !regexp.MustCompile(`Si c’était vous, connectez-vous à votre compte : \S+/signin`).MatchString(all) {
			t.Error("the explanation does not say how to sign in")
		}
	})
}
