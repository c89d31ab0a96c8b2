// Package signature is the signers' capability (issue #11): the built-in
// certificate authority and time-stamping authority published at /pki/,
// signing certificates for verified staff and architects (a key Madina
// generates and its CA certifies, or a provider's PKCS#12), each key
// sealed under its holder's PIN and the server key, unlocked for one act
// at a time (Service.Unlock), PIN attempts counted and locked after
// MaxAttempts, revocation with a new CRL, and every step an audit record.
// The PDF side (PAdES) takes a *Signer from Unlock.
package signature

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/pki"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/tsa"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are the capability's page templates.
var Pages = web.Pages{Prefix: "signature", FS: templates}

// Messages are its texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Module is the signature capability as the application lists it (after
// identity and staff: it reads identity's people).
var Module = module.Module{
	Name:     "signature",
	Messages: Messages,
	Pages:    &Pages,
	Nav: []web.NavItem{{Key: "signature.nav.mine", Href: "/me/signature", Rank: 60, Show: mayEnrol},
		{Key: "signature.nav.admin", Href: "/admin/signature", Rank: 92, Show: mayManage}},
	OpenAPI:  OpenAPI,
	BlobRefs: BlobRefsSQL,
	Start:    start,
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	register, err := module.Need[People](env)
	if err != nil {
		return module.Parts{}, err
	}
	ca, err := pki.Open(ctx, pki.SQLStore{DB: env.DB}, env.Box, pki.Config{BaseURL: env.Cfg.BaseURL})
	if err != nil {
		return module.Parts{}, err
	}
	tsaCert, tsaKey, err := ca.TimeStamping(ctx)
	if err != nil {
		return module.Parts{}, err
	}
	stamps, err := tsa.New(tsaCert, tsaKey, ca.Chain(), tsa.Config{})
	if err != nil {
		return module.Parts{}, err
	}
	d := Deps{DB: env.DB, CA: ca, Box: env.Box, People: register, Log: env.Log, Blobs: env.Blobs, TSA: stamps}
	if u := env.Cfg.TSAURL; u != "" {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return module.Parts{}, fmt.Errorf("signature: --tsa-url %q is not an HTTP address", u)
		}
		d.Stamper = &tsa.Client{URL: u}
	}
	s := NewService(d)
	env.Provide("signature", s)
	verifier, err := newVerifier(ca, env.Cfg.TrustedRootsFile)
	if err != nil {
		return module.Parts{}, err
	}
	wireRegistry(verifier, s)
	h := &Handlers{Service: s, Web: env.Web, Resp: env.Resp, TSALimit: ratelimit.New(2, 120, time.Hour),
		Verifier: verifier, VerifyLimit: ratelimit.New(VerifyRate, VerifyBurst, time.Hour)}
	return module.Parts{Routes: func(rt *httpx.Router) {
		h.PKIRoutes(rt)
		h.WebRoutes(rt)
		h.APIRoutes(rt)
		h.VerifyRoutes(rt)
	}}, nil
}

// TSA is the built-in time-stamping authority (a tsa.Stamper for the
// PDF side's B-T signatures).
func (s *Service) TSA() *tsa.Authority { return s.tsa }

// mayEnrol shows "My signature" to whoever the policy lets hold a key.
func mayEnrol(ctx context.Context) bool {
	c := authz.FromContext(ctx)
	return c.SignedIn && !c.Pending && authz.Decide(c.Actor, authz.EnrolSigner, authz.Resource{OwnerPerson: c.Actor.Person}).Allow
}

// mayManage shows the signers' list to administrators.
func mayManage(ctx context.Context) bool {
	c := authz.FromContext(ctx)
	return c.SignedIn && !c.Pending && authz.Decide(c.Actor, authz.ManageSigners, authz.Resource{}).Allow
}
