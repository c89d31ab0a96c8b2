package oidclogin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/oidclogin/oidctest"
	"madina/internal/platform/errs"
)

// The provider, its client and users come from oidctest.
const (
	opInstall      = oidctest.Install
	opClientID     = oidctest.ClientID
	opClientSecret = oidctest.ClientSecret
)

type testUser = oidctest.User

var (
	amina = testUser{ID: "u-amina", Username: "BK123456", Password: "Derb-Ghallef-2026",
		FirstName: "Amina", LastName: "El Alaoui", Email: "amina@example.ma", EmailVerified: true}
	youssef = testUser{ID: "u-youssef", Username: "j987654", Password: "Ain-Diab-2026",
		FirstName: "Youssef", LastName: "Bennani", Email: "youssef@example.ma", EmailVerified: false}
	// A provider's claims are text from outside too: a direction override,
	// a control character and direction marks at the ends.
	said = testUser{ID: "u-said", Username: "ab998877", Password: "Hay-Hassani-2026",
		FirstName: "\u200FSaïd\u202E", LastName: "Tazi\u0007", Email: "said@example.ma\u200B", EmailVerified: true}
)

func startProvider(t *testing.T, redirectURI string, users ...testUser) string {
	return oidctest.Start(t, redirectURI, users...)
}

// gcmBox is the test's Sealer: AES-256-GCM, random nonce, base64url.
type gcmBox struct{ aead cipher.AEAD }

var _ Sealer = (*gcmBox)(nil)

func newGCMBox(t testing.TB) *gcmBox {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmBox{aead: aead}
}

func (b *gcmBox) Seal(plain []byte, aad string) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, []byte(aad)))
}

func (b *gcmBox) Open(sealed, aad string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, err
	}
	n := b.aead.NonceSize()
	if len(raw) < n {
		return nil, errors.New("sealed value too short")
	}
	return b.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
}

// rig is Madina's side of a sign-in: a loopback web server whose /login
// calls Begin and /callback calls Finish, a Client configured against the
// real provider, and a browser (an http.Client with a cookie jar).
type rig struct {
	issuer      string
	rp          *httptest.Server
	callbackURL *url.URL
	client      *Client
	box         *gcmBox
	jar         *cookiejar.Jar
	browser     *http.Client

	mu   sync.Mutex
	last *outcome
}

type outcome struct {
	id       Identity
	returnTo string
	err      error
}

func newRig(t *testing.T, cinClaim string) *rig {
	t.Helper()
	g := &rig{box: newGCMBox(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		g.client.Begin(w, r, r.URL.Query().Get("return"))
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		id, ret, err := g.client.Finish(w, r)
		g.mu.Lock()
		g.last = &outcome{id, ret, err}
		g.mu.Unlock()
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, ret, http.StatusSeeOther)
	})
	g.rp = httptest.NewServer(mux)
	t.Cleanup(g.rp.Close)
	g.callbackURL, _ = url.Parse(g.rp.URL + "/callback")

	g.issuer = startProvider(t, g.callbackURL.String(), amina, youssef, said)
	c, err := New(context.Background(), Config{
		Issuer:       g.issuer,
		ClientID:     opClientID,
		ClientSecret: opClientSecret,
		RedirectURL:  g.callbackURL.String(),
		CINClaim:     cinClaim,
	}, g.box)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	g.client = c

	g.jar, _ = cookiejar.New(nil)
	g.browser = &http.Client{
		Jar:     g.jar,
		Timeout: 10 * time.Second,
		// Stop before the callback so that tests can look at it or alter it.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host == g.callbackURL.Host && req.URL.Path == g.callbackURL.Path {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	return g
}

// start opens Madina's /login and follows the browser to the provider's
// sign-in page, which it returns.
func (g *rig) start(t *testing.T, returnTo string) *http.Response {
	t.Helper()
	resp, err := g.browser.Get(g.rp.URL + "/login?return=" + url.QueryEscape(returnTo))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), g.issuer) {
		t.Fatalf("after /login: %s at %s, want the provider's sign-in page", resp.Status, resp.Request.URL)
	}
	return resp
}

// signIn fills in and submits the provider's form on page, and returns the
// callback URL the provider then sends the browser to.
func (g *rig) signIn(t *testing.T, page *http.Response, u testUser) *url.URL {
	t.Helper()
	action, fields, err := parseForm(page.Body)
	if err != nil {
		t.Fatalf("provider's sign-in page: %v", err)
	}
	if !fields.Has("username") || !fields.Has("password") {
		t.Fatalf("provider's form has fields %v, want username and password", fields)
	}
	fields.Set("username", u.Username)
	fields.Set("password", u.Password)
	target, err := page.Request.URL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.browser.PostForm(target.String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || loc.Path != g.callbackURL.Path {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("after signing in: %s at %s, want a redirect to the callback\n%s", resp.Status, resp.Request.URL, body)
	}
	return loc
}

// callback sends the browser to u and returns what Finish made of it.
func (g *rig) callback(t *testing.T, u *url.URL) outcome {
	t.Helper()
	g.mu.Lock()
	g.last = nil
	g.mu.Unlock()
	resp, err := g.browser.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		t.Fatalf("GET %s did not reach Finish (%s)", u, resp.Status)
	}
	return *g.last
}

// login runs a whole sign-in as u.
func (g *rig) login(t *testing.T, returnTo string, u testUser) outcome {
	t.Helper()
	return g.callback(t, g.signIn(t, g.start(t, returnTo), u))
}

// flowCookie is the sealed flow cookie the browser holds for the callback.
func (g *rig) flowCookie() string {
	for _, c := range g.jar.Cookies(g.callbackURL) {
		if c.Name == cookieName {
			return c.Value
		}
	}
	return ""
}

func (g *rig) setFlowCookie(value string) {
	c := &http.Cookie{Name: cookieName, Value: value, Path: g.callbackURL.Path}
	if value == "" {
		c.MaxAge = -1
	}
	g.jar.SetCookies(g.callbackURL, []*http.Cookie{c})
}

// flow opens the browser's flow cookie, as only the server can.
func (g *rig) flow(t *testing.T) flow {
	t.Helper()
	plain, err := g.box.Open(g.flowCookie(), cookieAAD)
	if err != nil {
		t.Fatalf("open flow cookie: %v", err)
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// forge replaces the browser's flow cookie by a validly sealed one with
// the changes an attacker holding the key could make.
func (g *rig) forge(t *testing.T, change func(*flow)) {
	t.Helper()
	f := g.flow(t)
	change(&f)
	plain, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	g.setFlowCookie(g.box.Seal(plain, cookieAAD))
}

func parseForm(r io.Reader) (string, url.Values, error) { return oidctest.ParseForm(r) }

// wantErr fails t unless err is of kind with the message key.
func wantErr(t *testing.T, err error, kind errs.Kind, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != kind || e.Key != key {
		t.Fatalf("error = %v, want %s %s", err, kind, key)
	}
	if e.Err == nil {
		t.Errorf("error %v carries no cause for the logs", err)
	}
}
