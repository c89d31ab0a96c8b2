package oidclogin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"madina/internal/platform/textin"
)

const (
	cookieName = "madina_oidc"
	cookieAAD  = "oidclogin/flow/v1" // binds the sealed value to this use
	flowTTL    = 10 * time.Minute
)

// flow is what Begin leaves in the browser, sealed, for Finish to check.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE code verifier
	ReturnTo string `json:"r"`
	Expires  int64  `json:"e"` // Unix seconds; checked here, not only by the browser
}

// Begin starts a sign-in: it remembers a fresh state, nonce and PKCE
// verifier in a sealed cookie scoped to the callback path and redirects the
// browser to the provider. returnTo is where Finish will say to go
// afterwards; anything but a local path becomes "/".
func (c *Client) Begin(w http.ResponseWriter, r *http.Request, returnTo string) {
	f := flow{
		State:    rand.Text(),
		Nonce:    rand.Text(),
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: SafeReturnTo(returnTo),
		Expires:  time.Now().Add(flowTTL).Unix(),
	}
	plain, err := json.Marshal(f)
	if err != nil { // a struct of strings always marshals
		panic(err)
	}
	http.SetCookie(w, c.cookie(r, c.box.Seal(plain, cookieAAD), int(flowTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// Finish completes a sign-in on the provider's redirect back: it checks
// the state against the cookie, exchanges the code with the PKCE verifier,
// verifies the ID token (issuer, audience, expiry, signature, nonce) and
// returns the identity and the local path to go to. The cookie is cleared
// whatever the outcome, so a callback works at most once.
//
// Errors: errs.Invalid "error.oidc.state" when the cookie is missing,
// expired or tampered with or the state differs; errs.Unauthenticated
// "error.oidc.denied" when the person declined at the provider, and
// "error.oidc.failed" for any other failure of the provider or the tokens.
func (c *Client) Finish(w http.ResponseWriter, r *http.Request) (Identity, string, error) {
	http.SetCookie(w, c.cookie(r, "", -1))
	w.Header().Set("Cache-Control", "no-store")
	f, err := c.readFlow(r)
	if err != nil {
		return Identity{}, "", errState.Cause(err)
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return Identity{}, "", errState.Cause(errors.New("oidclogin: state does not match the cookie"))
	}
	if e := q.Get("error"); e != "" {
		cause := fmt.Errorf("oidclogin: provider returned error %.64q: %.200q", e, q.Get("error_description"))
		if e == "access_denied" {
			return Identity{}, "", errDenied.Cause(cause)
		}
		return Identity{}, "", errFailed.Cause(cause)
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, "", errFailed.Cause(errors.New("oidclogin: callback without code"))
	}
	id, err := c.redeem(oidc.ClientContext(r.Context(), c.http), code, f)
	if err != nil {
		return Identity{}, "", errFailed.Cause(err)
	}
	return id, SafeReturnTo(f.ReturnTo), nil
}

func (c *Client) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     c.cookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}

func (c *Client) readFlow(r *http.Request) (flow, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return flow{}, fmt.Errorf("oidclogin: no flow cookie: %w", err)
	}
	plain, err := c.box.Open(ck.Value, cookieAAD)
	if err != nil {
		return flow{}, fmt.Errorf("oidclogin: open flow cookie: %w", err)
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		return flow{}, fmt.Errorf("oidclogin: decode flow cookie: %w", err)
	}
	if f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, errors.New("oidclogin: incomplete flow cookie")
	}
	if time.Now().Unix() > f.Expires {
		return flow{}, fmt.Errorf("oidclogin: flow expired at %s", time.Unix(f.Expires, 0).UTC().Format(time.RFC3339))
	}
	return f, nil
}

// redeem exchanges the code and checks the tokens.
func (c *Client) redeem(ctx context.Context, code string, f flow) (Identity, error) {
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("oidclogin: exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, errors.New("oidclogin: token response has no id_token")
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("oidclogin: verify id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, errors.New("oidclogin: id_token nonce does not match the flow")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, fmt.Errorf("oidclogin: verify at_hash: %w", err)
		}
	}
	var all claims
	if err := idt.Claims(&all); err != nil {
		return Identity{}, fmt.Errorf("oidclogin: read id_token claims: %w", err)
	}
	// Many providers put only "sub" in the ID token and the rest behind
	// the userinfo endpoint; the signed ID token wins where both speak.
	if c.provider.UserInfoEndpoint() != "" {
		ui, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, fmt.Errorf("oidclogin: userinfo: %w", err)
		}
		if ui.Subject != idt.Subject { // OpenID Connect Core §5.3.2
			return Identity{}, fmt.Errorf("oidclogin: userinfo subject %q differs from id_token subject %q", ui.Subject, idt.Subject)
		}
		var more claims
		if err := ui.Claims(&more); err != nil {
			return Identity{}, fmt.Errorf("oidclogin: read userinfo claims: %w", err)
		}
		all.fill(more)
	}
	id := Identity{
		Issuer:        idt.Issuer,
		Subject:       idt.Subject,
		Email:         textin.Sanitize(all.Email),
		EmailVerified: all.Email != "" && bool(all.EmailVerified),
		// The provider's claims are text from outside too: they pass the
		// one text rule, lossily (the person cannot retype them).
		Name:       textin.Sanitize(all.Name),
		GivenName:  textin.Sanitize(all.GivenName),
		FamilyName: textin.Sanitize(all.FamilyName),
	}
	if c.cinClaim != "" {
		id.CIN = strings.ToUpper(strings.TrimSpace(textin.Sanitize(all.string(c.cinClaim))))
	}
	return id, nil
}

// claims are the standard claims Madina reads, plus the raw set for the
// configurable CIN claim.
type claims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	raw           map[string]any
}

func (c *claims) UnmarshalJSON(b []byte) error {
	type plain claims
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	return json.Unmarshal(b, &c.raw)
}

// fill takes from o what c lacks. E-mail and its verification travel
// together, so that one source's flag never vouches for another's address.
func (c *claims) fill(o claims) {
	if c.Email == "" {
		c.Email, c.EmailVerified = o.Email, o.EmailVerified
	}
	for _, p := range []struct{ dst, src *string }{
		{&c.Name, &o.Name}, {&c.GivenName, &o.GivenName}, {&c.FamilyName, &o.FamilyName},
	} {
		if *p.dst == "" {
			*p.dst = *p.src
		}
	}
	for k, v := range o.raw {
		if _, ok := c.raw[k]; !ok {
			if c.raw == nil {
				c.raw = map[string]any{}
			}
			c.raw[k] = v
		}
	}
}

// string returns a claim that is a JSON string, "" otherwise.
func (c *claims) string(name string) string {
	s, _ := c.raw[name].(string)
	return s
}

// flexBool reads a JSON boolean, or the strings "true" and "false" that
// some providers send instead.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return fmt.Errorf("oidclogin: %s is not a boolean", data)
	}
	return nil
}
