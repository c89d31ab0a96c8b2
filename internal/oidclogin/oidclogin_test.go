package oidclogin

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"madina/internal/oidclogin/oidctest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

func TestSignIn(t *testing.T) {
	g := newRig(t, "preferred_username")
	for _, tc := range []struct {
		user testUser
		want Identity
	}{
		{amina, Identity{Subject: "u-amina", Email: "amina@example.ma", EmailVerified: true,
			Name: "Amina El Alaoui", GivenName: "Amina", FamilyName: "El Alaoui", CIN: "BK123456"}},
		{youssef, Identity{Subject: "u-youssef", Email: "youssef@example.ma", EmailVerified: false,
			Name: "Youssef Bennani", GivenName: "Youssef", FamilyName: "Bennani", CIN: "J987654"}},
		{said, Identity{Subject: "u-said", Email: "said@example.ma", EmailVerified: true,
			Name: "Saïd Tazi", GivenName: "Saïd", FamilyName: "Tazi", CIN: "AB998877"}},
	} {
		t.Run(tc.user.ID, func(t *testing.T) {
			got := g.login(t, "/demarches?type=permis#suivi", tc.user)
			if got.err != nil {
				t.Fatalf("Finish: %v", got.err)
			}
			tc.want.Issuer = g.issuer
			if diff := cmp.Diff(tc.want, got.id); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if got.returnTo != "/demarches?type=permis#suivi" {
				t.Errorf("returnTo = %q", got.returnTo)
			}
			if c := g.flowCookie(); c != "" {
				t.Errorf("flow cookie still set after Finish: %q", c)
			}
		})
	}
}

func TestBeginRedirectsWithPKCEAndSealedCookie(t *testing.T) {
	g := newRig(t, "")
	begin := func(tlsConn bool) (*http.Response, flow) {
		r := httptest.NewRequest("GET", g.rp.URL+"/login", nil)
		if tlsConn {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		g.client.Begin(w, r, "/mes-demandes")
		resp := w.Result()
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v, want one", cookies)
		}
		g.jar.SetCookies(g.callbackURL, cookies)
		return resp, g.flow(t)
	}

	resp, f := begin(false)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, g.client.provider.Endpoint().AuthURL; got != want {
		t.Errorf("redirect to %s, want the provider's authorization endpoint %s", got, want)
	}
	q := loc.Query()
	want := map[string]string{
		"response_type":         "code",
		"client_id":             opClientID,
		"redirect_uri":          g.callbackURL.String(),
		"scope":                 "openid profile email",
		"state":                 f.State,
		"nonce":                 f.Nonce,
		"code_challenge_method": "S256",
		"code_challenge":        oauth2.S256ChallengeFromVerifier(f.Verifier),
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(f.State) < 26 || len(f.Nonce) < 26 || len(f.Verifier) < 43 {
		t.Errorf("state %q, nonce %q or verifier %q too short", f.State, f.Nonce, f.Verifier)
	}
	if f.ReturnTo != "/mes-demandes" {
		t.Errorf("sealed returnTo = %q", f.ReturnTo)
	}
	if ttl := time.Until(time.Unix(f.Expires, 0)); ttl < 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("flow lives %v, want 10 min", ttl)
	}

	c := resp.Cookies()[0]
	if c.Name != cookieName || c.Path != "/callback" || c.MaxAge != 600 || !c.HttpOnly ||
		c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie %+v, want %s, Path=/callback, Max-Age=600, HttpOnly, SameSite=Lax, not Secure over http", c, cookieName)
	}
	for _, secret := range []string{f.State, f.Nonce, f.Verifier} {
		if strings.Contains(c.Value, secret) {
			t.Errorf("cookie value shows %q in clear", secret)
		}
	}

	resp2, f2 := begin(true)
	if c := resp2.Cookies()[0]; !c.Secure {
		t.Errorf("cookie over TLS is not Secure: %+v", c)
	}
	if f2.State == f.State || f2.Nonce == f.Nonce || f2.Verifier == f.Verifier {
		t.Errorf("two sign-ins share state, nonce or verifier: %+v %+v", f, f2)
	}
}

func TestReturnToMustBeLocal(t *testing.T) {
	g := newRig(t, "")
	for _, evil := range []string{"https://evil.example/", "//evil", `/\evil`, "javascript:alert(1)"} {
		t.Run(evil, func(t *testing.T) {
			got := g.login(t, evil, amina)
			if got.err != nil {
				t.Fatalf("Finish: %v", got.err)
			}
			if got.returnTo != "/" {
				t.Errorf("returnTo = %q, want /", got.returnTo)
			}
		})
	}
}

func TestSafeReturnTo(t *testing.T) {
	for in, want := range map[string]string{
		"/":                             "/",
		"/demarches/permis?x=1":         "/demarches/permis?x=1",
		"/a#b":                          "/a#b",
		"/%2F%2Fevil":                   "/%2F%2Fevil", // stays on this site: the path is /%2F%2Fevil
		"":                              "/",
		"demarches":                     "/",
		"https://evil.example/":         "/",
		"http:/evil":                    "/",
		"//evil":                        "/",
		"///evil":                       "/",
		`/\evil`:                        "/",
		"/\t/evil":                      "/",
		"/\n/evil":                      "/",
		"javascript:alert(1)":           "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := SafeReturnTo(in); got != want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTamperedStateRefused(t *testing.T) {
	g := newRig(t, "")
	cb := g.signIn(t, g.start(t, "/"), amina)
	q := cb.Query()
	q.Set("state", q.Get("state")+"x")
	cb.RawQuery = q.Encode()
	wantErr(t, g.callback(t, cb).err, errs.Invalid, "error.oidc.state")
}

func TestBadFlowCookieRefused(t *testing.T) {
	g := newRig(t, "")
	for _, tc := range []struct {
		name   string
		spoil  func(t *testing.T)
		reason string
	}{
		{"missing", func(t *testing.T) { g.setFlowCookie("") }, "no flow cookie"},
		{"tampered", func(t *testing.T) {
			v := []byte(g.flowCookie())
			i := len(v) / 2
			if v[i] == 'A' {
				v[i] = 'B'
			} else {
				v[i] = 'A'
			}
			g.setFlowCookie(string(v))
		}, "open flow cookie"},
		{"expired", func(t *testing.T) {
			g.forge(t, func(f *flow) { f.Expires = time.Now().Add(-time.Second).Unix() })
		}, "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := g.start(t, "/")
			tc.spoil(t)
			got := g.callback(t, g.signIn(t, page, amina))
			wantErr(t, got.err, errs.Invalid, "error.oidc.state")
			if !strings.Contains(got.err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", got.err, tc.reason)
			}
		})
	}
}

func TestReplayedCallbackRefused(t *testing.T) {
	g := newRig(t, "")
	cb := g.signIn(t, g.start(t, "/"), amina)
	stolen := g.flowCookie()
	if got := g.callback(t, cb); got.err != nil {
		t.Fatalf("first callback: %v", got.err)
	}
	// The same browser again: Finish cleared the cookie.
	wantErr(t, g.callback(t, cb).err, errs.Invalid, "error.oidc.state")
	// With the cookie copied before: the provider refuses the used code.
	g.setFlowCookie(stolen)
	got := g.callback(t, cb)
	wantErr(t, got.err, errs.Unauthenticated, "error.oidc.failed")
	if !strings.Contains(got.err.Error(), "exchange code") {
		t.Errorf("error %q is not the code exchange's", got.err)
	}
}

func TestWrongNonceRefused(t *testing.T) {
	g := newRig(t, "")
	page := g.start(t, "/")
	g.forge(t, func(f *flow) { f.Nonce = "another-nonce-than-the-one-sent" })
	got := g.callback(t, g.signIn(t, page, amina))
	wantErr(t, got.err, errs.Unauthenticated, "error.oidc.failed")
	if !strings.Contains(got.err.Error(), "nonce") {
		t.Errorf("error %q is not about the nonce", got.err)
	}
}

func TestWrongPKCEVerifierRefused(t *testing.T) {
	g := newRig(t, "")
	page := g.start(t, "/")
	g.forge(t, func(f *flow) { f.Verifier = oauth2.GenerateVerifier() })
	got := g.callback(t, g.signIn(t, page, amina))
	wantErr(t, got.err, errs.Unauthenticated, "error.oidc.failed")
	if !strings.Contains(got.err.Error(), "exchange code") {
		t.Errorf("error %q is not the code exchange's", got.err)
	}
}

func TestProviderErrorReported(t *testing.T) {
	g := newRig(t, "")
	for _, tc := range []struct {
		param, state string
		kind         errs.Kind
		key          string
	}{
		{"access_denied", "", errs.Unauthenticated, "error.oidc.denied"},
		{"temporarily_unavailable", "", errs.Unauthenticated, "error.oidc.failed"},
		// A forged denial, not answering this browser's request.
		{"access_denied", "forged", errs.Invalid, "error.oidc.state"},
	} {
		t.Run(tc.param+tc.state, func(t *testing.T) {
			g.start(t, "/")
			state := g.flow(t).State
			if tc.state != "" {
				state = tc.state
			}
			cb := *g.callbackURL
			cb.RawQuery = url.Values{"error": {tc.param}, "error_description": {"user cancelled"}, "state": {state}}.Encode()
			got := g.callback(t, &cb)
			wantErr(t, got.err, tc.kind, tc.key)
			if g.flowCookie() != "" {
				t.Error("flow cookie still set after a failed Finish")
			}
		})
	}
}

func TestNewUnreachableProvider(t *testing.T) {
	issuer := "http://127.0.0.1:" + oidctest.FreeLoopbackPort(t) + "/"
	start := time.Now()
	_, err := New(context.Background(), Config{Issuer: issuer, ClientID: "madina",
		RedirectURL: "https://madina.example/auth/callback"}, newGCMBox(t))
	wantErr(t, err, errs.Internal, "error.oidc.unavailable")
	if !strings.Contains(err.Error(), issuer) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not name the issuer and the cause", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("New took %v to give up on a closed port", d)
	}
}

func TestNewIssuerMismatch(t *testing.T) {
	issuer := startProvider(t, "http://127.0.0.1:1/callback", amina)
	other := strings.Replace(issuer, "localhost", "127.0.0.1", 1)
	_, err := New(context.Background(), Config{Issuer: other, ClientID: opClientID,
		RedirectURL: "http://127.0.0.1:1/callback"}, newGCMBox(t))
	wantErr(t, err, errs.Internal, "error.oidc.unavailable")
	var mismatch *oidc.IssuerMismatchError
	if !errors.As(err, &mismatch) {
		t.Errorf("error %v is not an issuer mismatch", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	box := newGCMBox(t)
	ok := Config{Issuer: "http://127.0.0.1:1/", ClientID: "madina", RedirectURL: "https://madina.example/cb"}
	for name, tc := range map[string]struct {
		cfg Config
		box Sealer
	}{
		"no issuer":         {Config{ClientID: "madina", RedirectURL: ok.RedirectURL}, box},
		"no client":         {Config{Issuer: ok.Issuer, RedirectURL: ok.RedirectURL}, box},
		"relative redirect": {Config{Issuer: ok.Issuer, ClientID: "madina", RedirectURL: "/cb"}, box},
		"no sealer":         {ok, nil},
	} {
		_, err := New(context.Background(), tc.cfg, tc.box)
		if err == nil || errs.As(err) != nil {
			t.Errorf("%s: error = %v, want a configuration error before any request", name, err)
		}
	}
}

func TestClaimsFill(t *testing.T) {
	var fromToken, fromUserinfo claims
	mustUnmarshal(t, `{"sub":"s","email":"a@x.ma","email_verified":false,"name":"A"}`, &fromToken)
	mustUnmarshal(t, `{"sub":"s","email":"b@x.ma","email_verified":"true","given_name":"G","cin":"AB1"}`, &fromUserinfo)
	fromToken.fill(fromUserinfo)
	if fromToken.Email != "a@x.ma" || fromToken.EmailVerified {
		t.Errorf("e-mail %q verified=%v: the userinfo's flag vouched for the token's address", fromToken.Email, fromToken.EmailVerified)
	}
	if fromToken.Name != "A" || fromToken.GivenName != "G" || fromToken.string("cin") != "AB1" {
		t.Errorf("claims not merged: %+v", fromToken)
	}
	var onlyUserinfo claims
	onlyUserinfo.fill(fromUserinfo)
	if onlyUserinfo.Email != "b@x.ma" || !onlyUserinfo.EmailVerified {
		t.Errorf(`"true" as a string not read as verified: %+v`, onlyUserinfo)
	}
}

func mustUnmarshal(t *testing.T, s string, c *claims) {
	t.Helper()
	if err := c.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestMessages(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	if probs := cat.Check(); len(probs) != 0 {
		t.Errorf("catalogue problems: %v", probs)
	}
	for _, e := range []*errs.Error{errDenied, errState, errFailed, errUnavailable} {
		for _, l := range i18n.Langs {
			if !cat.Has(l, e.Key) {
				t.Errorf("%s missing in %s", e.Key, l)
			}
		}
	}
}
