// Package oidclogin signs citizens in with an outside identity provider (the
// national digital identity, or any OpenID Connect provider given by its
// issuer URL): the relying-party side of the authorization-code flow with
// PKCE. It returns who the provider vouches for; linking that identity to a
// Madina account and opening a session are the caller's business.
package oidclogin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"madina/internal/platform/errs"
)

// Messages holds the translations of this package's error keys.
//
//go:embed messages/*.json
var Messages embed.FS

// Errors returned by New and Finish. Users see the translated key; the
// cause, wrapped inside, is for the logs.
var (
	errDenied      = errs.E(errs.Unauthenticated, "error.oidc.denied")
	errState       = errs.E(errs.Invalid, "error.oidc.state")
	errFailed      = errs.E(errs.Unauthenticated, "error.oidc.failed")
	errUnavailable = errs.E(errs.Internal, "error.oidc.unavailable")
)

// Config names the provider and Madina's registration with it.
type Config struct {
	Issuer       string // e.g. https://idp.example.ma/; must match the discovery document exactly
	ClientID     string
	ClientSecret string
	RedirectURL  string   // absolute URL of the handler that calls Finish
	Scopes       []string // default openid, profile, email; openid is always added
	// CINClaim names the claim carrying the national identity card number,
	// if the provider sends one; empty means none is read.
	CINClaim string
	// HTTPClient talks to the provider; nil means one with a 15 s timeout.
	HTTPClient *http.Client
}

// Sealer encrypts and authenticates small values kept by the browser, bound
// to a purpose (aad). Madina passes its AES-GCM box.
type Sealer interface {
	Seal(plain []byte, aad string) string
	Open(sealed, aad string) ([]byte, error)
}

// Identity is what the provider asserts about the person who signed in.
// Subject is stable per issuer: link accounts by (Issuer, Subject), never by
// an e-mail address, and trust Email only when EmailVerified.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	CIN           string // national identity card number, when Config.CINClaim is set and sent
}

// Client runs sign-ins against one provider. It is safe for concurrent use.
type Client struct {
	provider   *oidc.Provider
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	http       *http.Client
	box        Sealer
	cinClaim   string
	cookiePath string
	secure     bool // the callback is served over https, so the cookie is Secure
}

// New discovers the provider and returns a Client. It fails when the
// provider cannot be reached or announces another issuer than cfg.Issuer.
func New(ctx context.Context, cfg Config, box Sealer) (*Client, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("oidclogin: issuer and client id are required")
	}
	if box == nil {
		return nil, errors.New("oidclogin: a sealer is required")
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil || (redirect.Scheme != "https" && redirect.Scheme != "http") || redirect.Host == "" {
		return nil, fmt.Errorf("oidclogin: redirect URL %q is not an absolute http(s) URL", cfg.RedirectURL)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	// The provider keeps hc (not ctx) for fetching its signing keys later.
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), cfg.Issuer)
	if err != nil {
		return nil, errUnavailable.Cause(fmt.Errorf("oidclogin: discover provider %s: %w", cfg.Issuer, err))
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	path := redirect.EscapedPath()
	if path == "" {
		path = "/"
	}
	return &Client{
		provider: provider,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
		},
		verifier:   provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		http:       hc,
		box:        box,
		cinClaim:   cfg.CINClaim,
		cookiePath: path,
		secure:     redirect.Scheme == "https",
	}, nil
}

// SafeReturnTo returns p if it is a path on this site, "/" otherwise, so
// that a link to the sign-in page cannot send people elsewhere afterwards.
// Browsers read "//host", "/\host" and paths with tabs or newlines in them as
// another site, so those are refused too.
func SafeReturnTo(p string) string {
	if len(p) == 0 || len(p) > 2048 || p[0] != '/' {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if len(p) > 1 && p[1] == '/' {
		return "/"
	}
	// A path starting with one "/" has no scheme or host; refuse what the
	// redirect could not carry intact.
	if _, err := url.Parse(p); err != nil {
		return "/"
	}
	return p
}
