package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// The HTTP vocabulary of the tests that stay in package app (the whole
// application: main, crash, recovery, storage, caches, races, demo). The
// capabilities' own HTTP tests use the same vocabulary, exported, from
// internal/apptest, which package app's tests cannot import (apptest
// imports app).

// browser is a client with its own cookies against a test server.
type browser struct {
	t   testing.TB
	c   *http.Client
	url string
}

func newBrowser(t testing.TB, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, url: srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// post submits a form the way the page at from would: with its CSRF token.
func (b *browser) post(from, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	_, page, _ := b.get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf_token", m[1])
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.PostForm(b.url+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setLang(l i18n.Lang) {
	u, _ := url.Parse(b.url)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: string(l), Path: "/"}})
}

// lastNotice reads the data of the last notification of a template, as the
// notification job will send it (a link's token is sealed in the database).
func lastNotice(t *testing.T, a *App, template, field string) string {
	t.Helper()
	var id int64
	err := a.DB.QueryRowContext(context.Background(), `SELECT id FROM notify_deliveries WHERE template = $1 ORDER BY id DESC LIMIT 1`, template).Scan(&id)
	if err != nil {
		t.Fatalf("no %s notification: %v", template, err)
	}
	m, err := a.Notify.QueuedData(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m[field].(string)
}

var citizenForm = url.Values{
	"given_name_ar": {"يوسف"}, "family_name_ar": {"بناني"}, "given_name_latin": {"Youssef"}, "family_name_latin": {"Bennani"},
	"cin": {"BK654321"}, "email": {"youssef.bennani@example.ma"}, "phone": {"0661234567"}, "lang": {"fr"},
	"password": {"Derb-Sultan-1956"}, "password_confirm": {"Derb-Sultan-1956"}, "accept": {"yes"},
}

func cloneForm(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// joinOverHTTP signs a person up through the pages, opens the e-mail link
// (which signs them in) and sets the browser's language.
func joinOverHTTP(t *testing.T, a *App, srv *httptest.Server, email, cin string, lang i18n.Lang) *browser {
	t.Helper()
	b := newBrowser(t, srv)
	f := cloneForm(citizenForm)
	f.Set("email", email)
	f.Set("cin", cin)
	if code, _, _ := b.post("/signup", "/signup", f); code != http.StatusSeeOther {
		t.Fatalf("sign-up of %s: %d", email, code)
	}
	if code, _, _ := b.get(strings.Replace(lastNotice(t, a, "identity.verify_email", "URL"), a.Cfg.BaseURL, "", 1)); code != http.StatusSeeOther {
		t.Fatalf("e-mail link of %s: %d", email, code)
	}
	b.setLang(lang)
	return b
}

// idOf reads one number from the database.
func idOf(t *testing.T, d *db.DB, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}
