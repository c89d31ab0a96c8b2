package identity_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/identity"
	"madina/internal/oidclogin/oidctest"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/testenv"
)

func TestSignUpSignInOverHTTP(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		logs := &testenv.Buffer{}
		a := apptest.New(t, e, apptest.Log(slog.New(slog.NewJSONHandler(logs, nil))))
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)

		// A form posted without its token is refused, and nothing is created.
		if code, body, _ := b.PostRaw("/signup?lang=fr", apptest.CitizenForm); code != http.StatusForbidden || !strings.Contains(body, "formulaire a expiré") {
			t.Fatalf("sign-up without CSRF token: %d", code)
		}
		// Bad input: the form comes back with the error on its field, in the visitor's language.
		bad := apptest.CloneForm(apptest.CitizenForm)
		bad.Set("cin", "123")
		code, body, _ := b.Post("/signup", "/signup", bad)
		if code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "رقم البطاقة الوطنية غير صحيح") {
			t.Fatalf("bad CIN: %d", code)
		}
		if !strings.Contains(body, `value="youssef.bennani@example.ma"`) {
			t.Fatal("the form lost what the person typed")
		}
		if code, _, h := b.Post("/signup", "/signup", apptest.CloneForm(apptest.CitizenForm)); code != http.StatusSeeOther || h.Get("Location") != "/signup/sent" {
			t.Fatalf("sign-up: %d %s", code, h.Get("Location"))
		}
		// Signing in before the e-mail is confirmed says so.
		if _, body, _ := b.Post("/signin", "/signin", url.Values{"email": {"youssef.bennani@example.ma"}, "password": {"Derb-Sultan-1956"}}); !strings.Contains(body, "لم يتم تأكيد بريدك") {
			t.Fatal("unverified sign-in not explained")
		}

		// An attacker plants a session cookie; the link must not promote it.
		u, _ := url.Parse(srv.URL)
		b.C.Jar.SetCookies(u, []*http.Cookie{{Name: "madina_session", Value: "planted-by-attacker", Path: "/"}})
		link := apptest.LastNotice(t, a, "identity.verify_email", "URL")
		verify := strings.Replace(link, a.Cfg.BaseURL, "", 1)
		if !strings.HasPrefix(verify, "/verify-email?token=") {
			t.Fatalf("link %q", link)
		}
		if code, _, h := b.Get(verify); code != http.StatusSeeOther || h.Get("Location") != "/me/phone" {
			t.Fatalf("verify: %d %s", code, h.Get("Location"))
		}
		if s := b.Cookie("madina_session"); s == "" || s == "planted-by-attacker" {
			t.Fatal("session not rotated at sign-in")
		}
		code, body, _ = b.Post("/me/phone", "/me/phone", url.Values{"code": {apptest.LastNotice(t, a, "identity.phone_code", "Code")}})
		if code != http.StatusSeeOther {
			t.Fatalf("phone code: %d %s", code, body)
		}
		if code, body, _ := b.Get("/me"); code != 200 || !strings.Contains(body, "BK654321") || !strings.Contains(body, "212661234567") {
			t.Fatalf("my space: %d", code)
		}

		// Another person cannot end this person's sessions by guessing.
		other := apptest.NewBrowser(t, srv.URL)
		o := apptest.CloneForm(apptest.CitizenForm)
		o.Set("email", "amina@example.ma")
		o.Set("cin", "C778899")
		other.Post("/signup", "/signup", o)
		other.Get(strings.Replace(apptest.LastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1))
		var victim string
		_ = a.DB.QueryRowContext(context.Background(), `SELECT s.token_hash FROM sessions s JOIN persons p ON p.id = s.person_id
			WHERE p.email_key = 'youssef.bennani@example.ma' AND s.revoked_at IS NULL`).Scan(&victim)
		if code, _, _ := other.Post("/me/security", "/me/security/sessions/end", url.Values{"session": {victim}}); code != http.StatusNotFound {
			t.Fatalf("ending someone else's session: %d, want 404", code)
		}
		if code, _, _ := b.Get("/me"); code != 200 {
			t.Fatal("the victim's session was ended")
		}
		if !strings.Contains(logs.String(), "ended no session of theirs") {
			t.Fatal("the probe was not logged")
		}

		// Sign out everywhere ends this browser's session too.
		if code, _, _ := b.Post("/me/security", "/me/security/signout-everywhere", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("sign out everywhere: %d", code)
		}
		if code, _, h := b.Get("/me"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			t.Fatalf("after sign out everywhere /me: %d %s", code, h.Get("Location"))
		}
		// Sign in again with the password.
		code, _, h := b.Post("/signin", "/signin", url.Values{"email": {"Youssef.Bennani@example.ma"}, "password": {"Derb-Sultan-1956"}, "next": {"/me/security"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/me/security" {
			t.Fatalf("sign-in: %d %s", code, h.Get("Location"))
		}
		// An open redirect is refused.
		b2 := apptest.NewBrowser(t, srv.URL)
		_, _, h = b2.Post("/signin", "/signin", url.Values{"email": {"youssef.bennani@example.ma"}, "password": {"Derb-Sultan-1956"}, "next": {"//evil.example/"}})
		if h.Get("Location") != "/me" {
			t.Fatalf("open redirect to %q", h.Get("Location"))
		}

		// Personal data never reaches the logs.
		for _, pii := range []string{"youssef.bennani", "BK654321", "661234567", "Bennani", "بناني", "Derb-Sultan"} {
			if strings.Contains(logs.String(), pii) {
				t.Errorf("log contains %q", pii)
			}
		}
	})
}

func TestSignInIsRateLimited(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	var last int
	var h http.Header
	for i := 0; i < 12; i++ {
		last, _, h = b.Post("/signin", "/signin", url.Values{"email": {"x@example.ma"}, "password": {"nope-nope-nope"}})
	}
	if last != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("12 sign-ins in a row: %d, Retry-After %q", last, h.Get("Retry-After"))
	}
}

// Personal API tokens: created in my space, shown once, scoped, revocable,
// and the only way into the API (a session cookie does not open it).
func TestAPITokens(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		b.Post("/signup", "/signup", apptest.CloneForm(apptest.CitizenForm))
		b.Get(strings.Replace(apptest.LastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1))

		api := func(token string) (int, string, http.Header) {
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me?lang=en", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			// The browser's cookies go along, and must not count.
			res, err := apptest.Checked(t, a, b.C).Do(req) // checked against the OpenAPI document
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body), res.Header
		}
		if code, _, h := api(""); code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("API with a session cookie only: %d", code)
		}
		_, body, _ := b.Post("/me/tokens", "/me/tokens", url.Values{"name": {"تطبيقي"}, "scopes": {"inbox:read"}, "days": {"30"}})
		inboxOnly := regexp.MustCompile(`mdn_[A-Za-z0-9_-]{43}`).FindString(body)
		_, body, _ = b.Post("/me/tokens", "/me/tokens", url.Values{"name": {"CLI"}, "scopes": {"profile:read"}, "days": {"90"}})
		profile := regexp.MustCompile(`mdn_[A-Za-z0-9_-]{43}`).FindString(body)
		if inboxOnly == "" || profile == "" {
			t.Fatal("new token not shown")
		}
		if _, page, _ := b.Get("/me/tokens"); strings.Contains(page, profile) {
			t.Fatal("the token is shown again")
		}
		if code, _, _ := api(inboxOnly); code != http.StatusForbidden {
			t.Fatalf("token without profile:read: %d", code)
		}
		code, body, _ := api(profile)
		if code != 200 || !strings.Contains(body, `"email":"youssef.bennani@example.ma"`) {
			t.Fatalf("/api/v1/me: %d %s", code, body)
		}
		// Revoking someone else's token number is "not found"; revoking one's own works.
		var id int64
		_ = a.DB.QueryRowContext(context.Background(), `SELECT id FROM api_tokens WHERE name = 'CLI'`).Scan(&id)
		other := apptest.NewBrowser(t, srv.URL)
		o := apptest.CloneForm(apptest.CitizenForm)
		o.Set("email", "amina@example.ma")
		o.Set("cin", "C778899")
		other.Post("/signup", "/signup", o)
		other.Get(strings.Replace(apptest.LastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1))
		if code, _, _ := other.Post("/me/tokens", "/me/tokens/revoke", url.Values{"id": {fmt.Sprint(id)}}); code != http.StatusNotFound {
			t.Fatalf("revoking another's token: %d", code)
		}
		if code, _, _ := api(profile); code != 200 {
			t.Fatal("the token died by another's hand")
		}
		b.Post("/me/tokens", "/me/tokens/revoke", url.Values{"id": {fmt.Sprint(id)}})
		if code, body, _ := api(profile); code != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
			t.Fatalf("revoked token: %d %s", code, body)
		}
		if code, _, _ := api("mdn_forged"); code != http.StatusUnauthorized {
			t.Fatalf("forged token: %d", code)
		}
	})
}

// Signing in with the national digital identity, against a real OpenID
// provider on loopback: a new person gets an account; the same identity
// signs in again into the same account.
func TestSignInWithOIDCProvider(t *testing.T) {
	t.Parallel()
	// The provider must know the callback before it starts, and the
	// callback's port before Madina starts: listen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	issuer := oidctest.Start(t, base+"/signin/oidc/callback", oidctest.User{ID: "u-karim", Username: "karim", Password: "Hay-Hassani-2026",
		FirstName: "Karim", LastName: "Tazi", Email: "karim.tazi@example.ma", EmailVerified: true})
	a := apptest.New(t, db.SQLite, apptest.Config(func(c *config.Config) {
		c.BaseURL = base
		c.OIDC = config.OIDC{Issuer: issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret}
	}))
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	srv.Start()
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)

	signIn := func() {
		t.Helper()
		_, page, _ := b.Get("/signin")
		if !strings.Contains(page, `href="/signin/oidc?next=`) {
			t.Fatal("no provider button on the sign-in page")
		}
		code, _, h := b.Get("/signin/oidc?next=/me")
		if code != http.StatusFound {
			t.Fatalf("begin: %d", code)
		}
		res, err := b.C.Get(h.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		// Follow the provider's own redirects to its login form.
		for res.StatusCode == http.StatusFound || res.StatusCode == http.StatusSeeOther {
			loc, _ := res.Location()
			res.Body.Close()
			if res, err = b.C.Get(loc.String()); err != nil {
				t.Fatal(err)
			}
		}
		done := oidctest.Login(t, b.C, res, "karim", "Hay-Hassani-2026")
		res.Body.Close()
		for done.StatusCode == http.StatusFound || done.StatusCode == http.StatusSeeOther {
			loc, _ := done.Location()
			done.Body.Close()
			if strings.HasPrefix(loc.String(), base) && loc.Path == "/me" {
				return
			}
			if done, err = b.C.Get(loc.String()); err != nil {
				t.Fatal(err)
			}
		}
		body, _ := io.ReadAll(done.Body)
		t.Fatalf("provider sign-in ended at %s with %d:\n%s", done.Request.URL, done.StatusCode, body)
	}
	signIn()
	code, body, _ := b.Get("/me")
	if code != 200 || !strings.Contains(body, "karim.tazi@example.ma") {
		t.Fatalf("my space after provider sign-in: %d", code)
	}
	b.Post("/me", "/signout", url.Values{})
	signIn()
	var n int
	_ = a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM persons`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d accounts after signing in twice with one identity", n)
	}
}

func TestPreferences(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.NewBrowser(t, srv.URL)
		b.Post("/signup", "/signup", apptest.CloneForm(apptest.CitizenForm))
		b.Get(strings.Replace(apptest.LastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1))
		b.Post("/me/phone", "/me/phone", url.Values{"code": {apptest.LastNotice(t, a, "identity.phone_code", "Code")}})
		for _, l := range i18n.Langs {
			b.SetLang(l)
			code, body, _ := b.Get("/me/preferences")
			if code != 200 || !strings.Contains(body, `<html lang="`+string(l)+`" dir="`+l.Dir()+`">`) {
				t.Fatalf("preferences page in %s: %d", l, code)
			}
			if want := map[i18n.Lang]string{i18n.AR: "كيف نخبرك", i18n.FR: "Comment vous prévenir", i18n.EN: "How we let you know"}[l]; !strings.Contains(body, want) {
				t.Errorf("preferences page in %s: missing %q", l, want)
			}
			if ks := apptest.Untranslated(a); len(ks) > 0 {
				t.Errorf("preferences page in %s: keys without a text %q", l, ks)
			}
		}
		// A bad number is refused and nothing changes.
		if code, body, _ := b.Post("/me/preferences", "/me/preferences", url.Values{"lang": {"en"}, "phone": {"12"}, "notify_email": {"yes"}}); code != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("bad phone: %d", code)
		}
		// E-mail off, developer on, English: saved; the same phone keeps its confirmation.
		if code, _, h := b.Post("/me/preferences", "/me/preferences", url.Values{"lang": {"en"}, "phone": {"0661234567"}, "notify_sms": {"yes"}, "developer": {"yes"}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/me") || h.Get("Location") == "/me/phone" {
			t.Fatalf("save: %d %s", code, h.Get("Location"))
		}
		var lang string
		var email, sms, dev bool
		var phoneOK sql.NullTime
		_ = a.DB.QueryRowContext(context.Background(), `SELECT lang, notify_email, notify_sms, developer, phone_verified_at FROM persons`).Scan(&lang, &email, &sms, &dev, &phoneOK)
		if lang != "en" || email || !sms || !dev || !phoneOK.Valid {
			t.Fatalf("saved %s email=%v sms=%v developer=%v phone confirmed=%v", lang, email, sms, dev, phoneOK.Valid)
		}
		// A new number must be confirmed again.
		if _, _, h := b.Post("/me/preferences", "/me/preferences", url.Values{"lang": {"en"}, "phone": {"0700112233"}}); h.Get("Location") != "/me/phone" {
			t.Fatalf("new phone went to %s", h.Get("Location"))
		}
		p, _ := a.Identity.Store().Person(context.Background(), a.DB, 1)
		if p.Phone != "+212700112233" || p.PhoneVerifiedAt != nil {
			t.Fatalf("new phone %s confirmed=%v", p.Phone, p.PhoneVerifiedAt != nil)
		}
		if got := identity.Channels(p); len(got) != 1 {
			t.Fatalf("channels with e-mail off and an unconfirmed phone: %v, want inbox only", got)
		}
	})
}
