package apptest

import (
	"bytes"
	"html"
	"io"
	"madina/internal/identity/identitydemo"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/app"
	"madina/internal/platform/i18n"
)

// Browser is a client with its own cookies against a test server; it
// does not follow redirects, so tests see each answer.
type Browser struct {
	T   testing.TB
	C   *http.Client
	URL string // the server's address, without a trailing slash
}

// NewBrowser returns a browser with no cookies against the server at base.
func NewBrowser(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, URL: base, C: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Get fetches path.
func (b *Browser) Get(path string) (int, string, http.Header) {
	b.T.Helper()
	res, err := b.C.Get(b.URL + path)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

// CSRFRE finds a form's CSRF token in a page.
var CSRFRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Post submits a form the way the page at from would: with its CSRF token.
func (b *Browser) Post(from, path string, form url.Values) (int, string, http.Header) {
	b.T.Helper()
	_, page, _ := b.Get(from)
	m := CSRFRE.FindStringSubmatch(page)
	if m == nil {
		b.T.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf_token", m[1])
	return b.PostRaw(path, form)
}

// PostRaw submits form as it is.
func (b *Browser) PostRaw(path string, form url.Values) (int, string, http.Header) {
	b.T.Helper()
	res, err := b.C.PostForm(b.URL+path, form)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

// Cookie is the value of the browser's cookie name, or "".
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.URL)
	for _, c := range b.C.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// SetLang sets the language cookie, as the language switch does, without
// a request.
func (b *Browser) SetLang(l i18n.Lang) {
	u, _ := url.Parse(b.URL)
	b.C.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: string(l), Path: "/"}})
}

// SignIn signs b in with the demo password and, for staff, the demo code.
func (b *Browser) SignIn(email string, staff bool) {
	b.T.Helper()
	b.SignInAs(email, identitydemo.Password, staff)
}

// SignInAs signs b in with a password and, for staff, the demo TOTP code.
func (b *Browser) SignInAs(email, pw string, staff bool) {
	b.T.Helper()
	code, _, h := b.Post("/signin", "/signin", url.Values{"email": {email}, "password": {pw}})
	if code != http.StatusSeeOther {
		b.T.Fatalf("sign-in of %s: %d", email, code)
	}
	if !staff {
		return
	}
	if !strings.HasPrefix(h.Get("Location"), "/signin/second-factor") {
		b.T.Fatalf("%s: no second factor asked (%s)", email, h.Get("Location"))
	}
	totp, _ := otptotp.GenerateCode(identitydemo.TOTPSecret, time.Now())
	if code, _, _ := b.Post("/signin/second-factor", "/signin/second-factor", url.Values{"code": {totp}}); code != http.StatusSeeOther {
		b.T.Fatalf("second factor of %s: %d", email, code)
	}
}

// PostMultipart sends fields, then one file under fileField, to target.
// A csrf_token among fields goes first, as the upload forms carry it (the
// only place identity's middleware reads it in a multipart body); a token
// in target's address is accepted too.
func (b *Browser) PostMultipart(target string, fields url.Values, fileField, name string, content []byte) (int, string, http.Header) {
	b.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if tok := fields.Get("csrf_token"); tok != "" {
		_ = mw.WriteField("csrf_token", tok)
	}
	for k, vs := range fields {
		if k == "csrf_token" {
			continue
		}
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(fileField, name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.URL+target, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.C.Do(req)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

var (
	// uploadFormRE finds an upload form with the anti-forgery token as its
	// first field (not in its address).
	uploadFormRE = regexp.MustCompile(`enctype="multipart/form-data" action="(/files/\d+/documents)" class="form">\s*<input type="hidden" name="csrf_token" value="([^"]+)">`)
	versionRE    = regexp.MustCompile(`name="version" value="(\d+)"`)
)

// Upload posts a document the way the item's form on page does: the CSRF
// token first, the item field, then the file.
func (b *Browser) Upload(page, item, name string, content []byte) (int, string, http.Header) {
	b.T.Helper()
	_, body, _ := b.Get(page)
	m := uploadFormRE.FindStringSubmatch(body)
	if m == nil {
		b.T.Fatalf("no upload form on %s", page)
	}
	return b.PostMultipart(m[1], url.Values{"csrf_token": {html.UnescapeString(m[2])}, "item": {item}}, "file", name, content)
}

// Version reads the file version the page's forms carry.
func (b *Browser) Version(page string) string {
	b.T.Helper()
	_, body, _ := b.Get(page)
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		b.T.Fatalf("no version on %s", page)
	}
	return m[1]
}

// Act posts an action form of page with the file's current version.
func (b *Browser) Act(page, path string, form url.Values) (int, string, http.Header) {
	b.T.Helper()
	form.Set("version", b.Version(page))
	return b.Post(page, path, form)
}

// CitizenForm is a complete sign-up form; CloneForm it before changing it.
var CitizenForm = url.Values{
	"given_name_ar": {"يوسف"}, "family_name_ar": {"بناني"}, "given_name_latin": {"Youssef"}, "family_name_latin": {"Bennani"},
	"cin": {"BK654321"}, "email": {"youssef.bennani@example.ma"}, "phone": {"0661234567"}, "lang": {"fr"},
	"password": {"Derb-Sultan-1956"}, "password_confirm": {"Derb-Sultan-1956"}, "accept": {"yes"},
}

// CloneForm copies v.
func CloneForm(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Join signs a person up through the pages of a served at base, opens the
// e-mail link (which signs them in) and sets the browser's language.
func Join(t testing.TB, a *app.App, base, email, cin string, lang i18n.Lang) *Browser {
	t.Helper()
	b := NewBrowser(t, base)
	f := CloneForm(CitizenForm)
	f.Set("email", email)
	f.Set("cin", cin)
	if code, _, _ := b.Post("/signup", "/signup", f); code != http.StatusSeeOther {
		t.Fatalf("sign-up of %s: %d", email, code)
	}
	if code, _, _ := b.Get(VerifyLink(t, a)); code != http.StatusSeeOther {
		t.Fatalf("e-mail link of %s: %d", email, code)
	}
	b.SetLang(lang)
	return b
}

// VerifyLink is the path of the last e-mail confirmation link sent.
func VerifyLink(t testing.TB, a *app.App) string {
	t.Helper()
	return strings.Replace(LastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1)
}

// Lang switches b's language the way the language switch does (a request
// with ?lang=, which sets a cookie and redirects).
func (b *Browser) Lang(l i18n.Lang) {
	b.T.Helper()
	if code, _, _ := b.Get("/?lang=" + string(l)); code != http.StatusSeeOther && code != http.StatusOK {
		b.T.Fatalf("switch to %s: %d", l, code)
	}
}
