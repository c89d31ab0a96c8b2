package identity_test

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

var (
	summaryRE   = regexp.MustCompile(`(?s)<div class="error-summary"[^>]*>.*?</div>`)
	summaryLink = regexp.MustCompile(`<a href="#([^"]+)">`)
	titleRE     = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// esc is a message as html/template writes it in a page.
func esc(s string) string { return template.HTMLEscapeString(s) }

// A failed sign-up says everything that is wrong at once, in the
// visitor's language: an error summary at the top whose links lead to the
// fields at fault (same ids), each field with its own message, the page
// title starting with "Error:", and what the person typed kept.
func TestSignUpShowsEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		for _, lang := range i18n.Langs {
			t.Run(string(lang), func(t *testing.T) {
				b := apptest.NewBrowser(t, srv.URL)
				b.SetLang(lang)
				bad := apptest.CloneForm(apptest.CitizenForm)
				bad.Set("given_name_ar", "")
				bad.Set("cin", "123")
				bad.Set("email", "youssef@")
				bad.Set("phone", "0522")
				bad.Set("password", "short")
				bad.Set("password_confirm", "other")
				bad.Del("accept")
				code, body, _ := b.Post("/signup", "/signup", bad)
				if code != http.StatusBadRequest {
					t.Fatalf("status %d", code)
				}
				summary := summaryRE.FindString(body)
				if summary == "" {
					t.Fatalf("no error summary:\n%s", body)
				}
				if strings.Index(body, summary) > strings.Index(body, "<h1") {
					t.Error("the error summary is not above the heading")
				}
				var got []string
				for _, m := range summaryLink.FindAllStringSubmatch(summary, -1) {
					got = append(got, m[1])
				}
				want := []string{"given_name_ar", "cin", "email", "phone", "password", "password_confirm", "accept"}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("summary links %v, want %v (the form's order)", got, want)
				}
				for _, id := range got {
					if !strings.Contains(body, `id="`+id+`"`) {
						t.Errorf("summary links to #%s, which no field has", id)
					}
					if !strings.Contains(body, `id="`+id+`-error"`) {
						t.Errorf("field %s does not show its own error", id)
					}
				}
				for _, key := range []string{"identity.error.required.given_name_ar", "identity.error.cin", "identity.error.email", "identity.error.phone",
					"identity.error.password_mismatch", "identity.error.accept"} {
					if msg := esc(a.Cat.T(lang, key)); !strings.Contains(summary, msg) {
						t.Errorf("summary lacks %s (%q)", key, msg)
					}
				}
				title := titleRE.FindStringSubmatch(body)
				wantTitle := esc(a.Cat.T(lang, "component.error.page_title", "title", a.Cat.T(lang, "identity.signup.title")))
				if title == nil || !strings.HasPrefix(title[1], wantTitle) {
					t.Errorf("title %q, want it to start with %q", title, wantTitle)
				}
				if !strings.Contains(body, `value="youssef@"`) || !strings.Contains(body, `value="123"`) || !strings.Contains(body, `value="Bennani"`) {
					t.Error("the form lost what the person typed")
				}
				// Nothing was created.
				if n := apptest.IDOf(t, a.DB, `SELECT count(*) FROM persons`); n != 0 {
					t.Fatalf("%d persons after a failed sign-up", n)
				}
			})
		}
	})
}

// confirmPage checks a confirmation page: the question as the heading, a
// red button posting to action, the warning, and a way back.
func confirmPage(t *testing.T, a *app.App, lang i18n.Lang, body, titleKey, action, back string) {
	t.Helper()
	for _, want := range []string{
		"<h1>" + esc(a.Cat.T(lang, titleKey)) + "</h1>",
		`<form method="post" action="` + action + `"`,
		`class="button warning"`,
		`class="warning-text"`,
		`<a href="` + back + `">` + esc(a.Cat.T(lang, "component.confirm.cancel")) + `</a>`,
		`name="csrf_token"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q", want)
		}
	}
}

// successBanner reports whether a page shows the green confirmation with
// the message of key.
func successBanner(a *app.App, lang i18n.Lang, body, key string) bool {
	return strings.Contains(body, `class="banner banner-success" role="status"`) && strings.Contains(body, esc(a.Cat.T(lang, key)))
}

// Revoking a mandate, deleting a token and turning off two-step
// verification each ask first, on a page that says what will happen;
// the list links to that page, and what was done is then confirmed in
// green.
func TestIrreversibleActionsAskFirst(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	youssef := apptest.Join(t, a, srv.URL, "youssef@example.ma", "BK7101", i18n.FR)
	archi := apptest.Join(t, a, srv.URL, "archi@example.ma", "BK7103", i18n.AR)
	other := apptest.Join(t, a, srv.URL, "other@example.ma", "BK7104", i18n.EN)

	// A mandate.
	if code, _, _ := archi.Post("/me/profession", "/me/profession", url.Values{"profession": {"architect"}, "registration_number": {"a-78"}}); code != http.StatusSeeOther {
		t.Fatalf("declare: %d", code)
	}
	grant := url.Values{"professional": {"A-78"}, "scope": {"kind"}, "permit_kind": {"building"}, "until": {""}}
	if code, body, _ := youssef.Post("/me/mandates/new", "/me/mandates", grant); code != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", code, body)
	}
	mandate := apptest.IDOf(t, a.DB, `SELECT id FROM mandates`)
	revoke := fmt.Sprintf("/me/mandates/%d/revoke", mandate)
	if _, body, _ := youssef.Get("/me/mandates"); !strings.Contains(body, `<a href="`+revoke+`">`) || strings.Contains(body, `action="`+revoke+`"`) {
		t.Fatal("the list revokes without asking")
	}
	for _, lang := range i18n.Langs {
		youssef.SetLang(lang)
		code, body, _ := youssef.Get(revoke)
		if code != 200 {
			t.Fatalf("%s confirmation: %d", lang, code)
		}
		confirmPage(t, a, lang, body, "identity.mandate.revoke_confirm.title", revoke, "/me/mandates")
		if !strings.Contains(body, `class="summary-list"`) || !strings.Contains(body, esc(a.Cat.T(lang, "identity.mandate.professional"))) || !strings.Contains(body, esc(a.Cat.T(lang, "identity.mandate.revoke_confirm.button"))) {
			t.Errorf("%s: the page does not say what it revokes", lang)
		}
	}
	youssef.SetLang(i18n.FR)
	if code, _, _ := other.Get(revoke); code != http.StatusNotFound {
		t.Fatalf("another person's confirmation page: %d", code)
	}
	if code, _, h := youssef.Post(revoke, revoke, url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/me/mandates?done=revoked" {
		t.Fatalf("revoke: %d %s", code, h.Get("Location"))
	}
	if _, body, _ := youssef.Get("/me/mandates?done=revoked"); !successBanner(a, i18n.FR, body, "identity.mandate.done_revoked") {
		t.Fatal("no green confirmation after revoking")
	}
	if code, _, _ := youssef.Get(revoke); code != http.StatusNotFound {
		t.Fatalf("confirmation of a revoked mandate: %d", code)
	}

	// A token.
	if code, _, _ := other.Post("/me/tokens", "/me/tokens", url.Values{"name": {"CI"}, "scopes": {"files:read"}, "days": {"30"}}); code != 200 {
		t.Fatalf("create token: %d", code)
	}
	token := apptest.IDOf(t, a.DB, `SELECT id FROM api_tokens`)
	confirm := fmt.Sprintf("/me/tokens/revoke?id=%d", token)
	if _, body, _ := other.Get("/me/tokens"); !strings.Contains(body, `<a href="`+confirm+`">`) {
		t.Fatal("the token list does not lead to a confirmation")
	}
	code, body, _ := other.Get(confirm)
	if code != 200 {
		t.Fatalf("token confirmation: %d", code)
	}
	confirmPage(t, a, i18n.EN, body, "identity.tokens.revoke_confirm.title", "/me/tokens/revoke", "/me/tokens")
	if !strings.Contains(body, fmt.Sprintf(`name="id" value="%d"`, token)) || !strings.Contains(body, "CI") {
		t.Fatal("the confirmation does not name the token")
	}
	if code, _, _ := youssef.Get(confirm); code != http.StatusNotFound {
		t.Fatalf("another person's token: %d", code)
	}
	if code, _, h := other.Post(confirm, "/me/tokens/revoke", url.Values{"id": {fmt.Sprint(token)}}); code != http.StatusSeeOther || h.Get("Location") != "/me/tokens?done=revoked" {
		t.Fatalf("delete token: %d %s", code, h.Get("Location"))
	}
	if _, body, _ := other.Get("/me/tokens?done=revoked"); !successBanner(a, i18n.EN, body, "identity.tokens.done_revoked") {
		t.Fatal("no green confirmation after deleting the token")
	}

	// Two-step verification, turned on then off.
	code, body, _ = archi.Post("/me/security", "/me/security/second-factor", url.Values{})
	secret := regexp.MustCompile(`<code dir="ltr">([A-Z2-7]+)</code>`).FindStringSubmatch(body)
	if code != 200 || secret == nil {
		t.Fatalf("begin TOTP: %d", code)
	}
	// The QR code to scan is an image the browser shows, not a link the
	// template refused (html/template turns an untrusted data: URL into
	// "#ZgotmplZ", which shows a broken image).
	if qr := regexp.MustCompile(`<main[\s\S]*<img src="([^"]*)"`).FindStringSubmatch(body); qr == nil || !strings.HasPrefix(qr[1], "data:image/png;base64,iVBOR") {
		t.Fatalf("the QR code's image is %q, want a PNG data: URL", qr)
	}
	now, _ := otptotp.GenerateCode(secret[1], time.Now())
	code, body, _ = archi.Post("/me/security", "/me/security/second-factor/confirm", url.Values{"code": {now}})
	if code != 200 {
		t.Fatalf("confirm TOTP: %d", code)
	}
	// The recovery codes' page says first that it is now on (a green
	// banner), not only "recovery codes".
	if !successBanner(a, i18n.AR, body, "identity.recovery.mfa_on") {
		t.Fatal("the recovery codes do not say two-step verification is now on")
	}
	disable := "/me/security/second-factor/disable"
	if _, body, _ := archi.Get("/me/security"); !strings.Contains(body, `href="`+disable+`"`) || strings.Contains(body, `action="`+disable+`"`) {
		t.Fatal("the security page turns it off without asking")
	}
	code, body, _ = archi.Get(disable)
	if code != 200 {
		t.Fatalf("disable confirmation: %d", code)
	}
	confirmPage(t, a, i18n.AR, body, "identity.totp.disable_confirm.title", disable, "/me/security")
	if !strings.Contains(body, `id="password"`) || !strings.Contains(body, `id="code"`) {
		t.Fatal("the confirmation does not ask for the password and a code")
	}
	if strings.Contains(body, esc(a.Cat.T(i18n.AR, "identity.field.password.hint"))) {
		t.Fatal("the confirmation asks for the current password with the rules of a new one")
	}
	// A wrong code: the same page again, red, with its error summary and
	// the "Error:" title.
	code, body, _ = archi.Post(disable, disable, url.Values{"password": {"Derb-Sultan-1956"}, "code": {"000000"}})
	if code < 400 || summaryRE.FindString(body) == "" ||
		!strings.Contains(body, "<title>"+esc(a.Cat.T(i18n.AR, "component.error.page_title", "title", a.Cat.T(i18n.AR, "identity.totp.disable_confirm.title")))) {
		t.Fatalf("wrong code: %d\n%s", code, body)
	}
	confirmPage(t, a, i18n.AR, body, "identity.totp.disable_confirm.title", disable, "/me/security")
	next, _ := otptotp.GenerateCode(secret[1], time.Now().Add(30*time.Second))
	if code, _, h := archi.Post(disable, disable, url.Values{"password": {"Derb-Sultan-1956"}, "code": {next}}); code != http.StatusSeeOther || h.Get("Location") != "/me/security?done=mfa_off" {
		t.Fatalf("disable: %d %s", code, h.Get("Location"))
	}
	if _, body, _ := archi.Get("/me/security?done=mfa_off"); !successBanner(a, i18n.AR, body, "identity.security.done_mfa_off") {
		t.Fatal("no green confirmation after turning it off")
	}
	if code, _, h := archi.Get(disable); code != http.StatusSeeOther || h.Get("Location") != "/me/security" {
		t.Fatalf("confirmation with nothing to turn off: %d %s", code, h.Get("Location"))
	}
}

// Success is green with role=status, information neutral: a finished
// password reset greets the person on the sign-in page with the success
// banner, not an alert.
func TestSignInAfterResetIsGreen(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	for _, lang := range i18n.Langs {
		b := apptest.NewBrowser(t, srv.URL)
		b.SetLang(lang)
		_, body, _ := b.Get("/signin?done=reset")
		if !successBanner(a, lang, body, "identity.recovery.done_reset") {
			t.Fatalf("%s: no success banner", lang)
		}
		if strings.Contains(body, `role="alert"`) {
			t.Fatalf("%s: a success shown as an alert", lang)
		}
	}
}

// A mandate's form says at once what the store finds wrong (nobody with
// that address is a professional) and what the input has wrong (a last
// day in the past, a legal person's missing name), on both engines.
func TestMandateAndLegalFormsShowEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := apptest.Join(t, a, srv.URL, "grantor@example.ma", "BK7201", i18n.FR)
		grant := url.Values{"professional": {"nobody@example.ma"}, "scope": {"kind"}, "permit_kind": {"building"}, "until": {"2020-01-01"}}
		code, body, _ := b.Post("/me/mandates/new", "/me/mandates", grant)
		summary := summaryRE.FindString(body)
		if code != http.StatusBadRequest || summary == "" {
			t.Fatalf("grant: %d\n%s", code, body)
		}
		var got []string
		for _, m := range summaryLink.FindAllStringSubmatch(summary, -1) {
			got = append(got, m[1])
			if !strings.Contains(body, `id="`+m[1]+`"`) {
				t.Errorf("summary links to #%s, which no field has", m[1])
			}
		}
		if strings.Join(got, ",") != "professional,until" {
			t.Fatalf("summary links %v, want professional and until", got)
		}
		for _, key := range []string{"identity.error.mandate_not_professional", "identity.error.mandate_until_past"} {
			if !strings.Contains(summary, esc(a.Cat.T(i18n.FR, key))) {
				t.Errorf("summary lacks %s", key)
			}
		}
		code, body, _ = b.Post("/me/legal/new/company", "/me/legal/new/company", url.Values{"name": {""}, "ice": {"12"}, "rc": {""}, "role": {"nobody"}})
		got = nil
		for _, m := range summaryLink.FindAllStringSubmatch(summaryRE.FindString(body), -1) {
			got = append(got, m[1])
			if !strings.Contains(body, `id="`+m[1]+`"`) {
				t.Errorf("summary links to #%s, which no field has", m[1])
			}
		}
		if code != http.StatusBadRequest || strings.Join(got, ",") != "name,ice,rc,role" {
			t.Fatalf("company: %d, summary links %v", code, got)
		}
	})
}

// An upload form carries its anti-forgery token as its first field, not
// in its address (which a failed post would leave in the address bar):
// the token there is accepted, a wrong or missing one refused.
func TestMultipartTokenAsFirstField(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.Join(t, a, srv.URL, "claimant@example.ma", "BK7301", i18n.FR)
	_, page, _ := b.Get("/me/legal/claim/association")
	if strings.Contains(page, "csrf_token=") {
		t.Fatal("the claim form still puts the token in its address")
	}
	m := apptest.CSRFRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no token on the claim form")
	}
	post := func(token string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if token != "" {
			_ = mw.WriteField("csrf_token", token)
		}
		_ = mw.WriteField("number", "77/2020")
		_ = mw.WriteField("role", "president")
		fw, _ := mw.CreateFormFile("evidence", "pv.pdf")
		_, _ = fw.Write(apptest.OnePagePDF())
		_ = mw.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/me/legal/claim/association", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	for _, bad := range []string{"", "forged"} {
		if code, _ := post(bad); code != http.StatusForbidden {
			t.Fatalf("token %q: %d, want 403", bad, code)
		}
	}
	code, body := post(html.UnescapeString(m[1]))
	if code == http.StatusForbidden || !strings.Contains(body, `action="/me/legal/claim/association"`) && code != http.StatusSeeOther {
		t.Fatalf("token as first field: %d\n%s", code, body)
	}
}

// Saving one's preferences and asking for a new SMS code end on a green
// confirmation.
func TestSavedIsGreen(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.Join(t, a, srv.URL, "saver@example.ma", "BK7401", i18n.EN)
	prefs := url.Values{"lang": {"en"}, "notify_email": {"yes"}, "phone": {apptest.CitizenForm.Get("phone")}}
	if code, _, h := b.Post("/me/preferences", "/me/preferences", prefs); code != http.StatusSeeOther || h.Get("Location") != "/me?done=saved" {
		t.Fatalf("save: %d %s", code, h.Get("Location"))
	}
	if _, body, _ := b.Get("/me?done=saved"); !successBanner(a, i18n.EN, body, "identity.me.done_saved") {
		t.Fatal("no green confirmation after saving")
	}
	if _, body, _ := b.Get("/me?done=anything"); strings.Contains(body, "banner-success") {
		t.Fatal("the address puts words in the page")
	}
}

// TestCurrentPasswordHasNoNewPasswordRules: where a person types the
// password they have (signing in), the form does not show the rules for
// choosing a new one (10 characters, not common…), which would make them
// wonder whether their password is still good; where they choose one
// (sign-up, reset), it does.
func TestCurrentPasswordHasNoNewPasswordRules(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	b := apptest.NewBrowser(t, srv.URL)
	for _, lang := range i18n.Langs {
		b.SetLang(lang)
		rules := esc(a.Cat.T(lang, "identity.field.password.hint"))
		if _, body, _ := b.Get("/signin"); !strings.Contains(body, `autocomplete="current-password"`) || strings.Contains(body, rules) {
			t.Errorf("%s: the sign-in form shows the rules of a new password", lang)
		}
		if _, body, _ := b.Get("/signup"); !strings.Contains(body, rules) {
			t.Errorf("%s: the sign-up form does not show the rules of a new password", lang)
		}
	}
}

// TestMandateFormHintsBeforeInputs: the mandate form's reference and end
// date, written by hand, are laid out as the "field" component lays every
// other field (label, hint, error, input), so that on a phone the hint is
// read before typing, not found under the keyboard.
func TestMandateFormHintsBeforeInputs(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, db.SQLite)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	c := apptest.Join(t, a, srv.URL, "hints@example.ma", "BK7190", i18n.AR)
	_, body, _ := c.Get("/me/mandates/new")
	for _, name := range []string{"file_ref", "until"} {
		hint, input := strings.Index(body, `id="`+name+`-hint"`), strings.Index(body, `<input id="`+name+`"`)
		if hint < 0 || input < 0 || hint > input {
			t.Errorf("%s: hint at %d, input at %d: want the hint first", name, hint, input)
		}
	}
}
