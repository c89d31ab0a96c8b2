package identity

import (
	"context"

	"madina/internal/module"
	"madina/internal/oidclogin"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
)

// Module is the identity capability as the application lists it.
var Module = module.Module{
	Name:     "identity",
	Messages: Messages,
	Pages:    &Pages,
	Notices:  Notices(),
	OpenAPI:  OpenAPI,
	BlobRefs: BlobRefsSQL,
	Start:    start,
}

// PermitCatalogue names the kinds of permit a mandate may cover: the
// permit capability's catalogue, which starts after identity.
type PermitCatalogue interface {
	KindCodes() []string
	KindName(code string) i18n.Text
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	cfg := env.Cfg
	s, err := NewService(Deps{DB: env.DB, Notify: env.Notify, Hasher: env.Hasher, Box: env.Box, Log: env.Log,
		Catalogue:  lateCatalogue(module.Late[PermitCatalogue](env)),
		Files:      lateFiles(module.Late[FileOwners](env)),
		Blobs:      env.Blobs,
		InspectPDF: pdf.InspectPages,
		Events:     env.Jobs,
	}, Config{BaseURL: cfg.BaseURL})
	if err != nil {
		return module.Parts{}, err
	}
	if err := s.FillAssociationKeys(ctx); err != nil {
		return module.Parts{}, err
	}
	env.Provide("identity", s)
	// The notices subscribe to identity's events (docs/ARCHITECTURE.md, "Events").
	for _, t := range Topics {
		env.Jobs.Subscribe(t, "identity.notices", s.SendNotices)
	}
	env.Provide("identity", s.Store())
	mw := &Middleware{Service: s, Resp: env.Resp, TrustProxy: cfg.TrustProxy, Unread: env.Notify.Unread}
	h := NewHandlers(Handlers{Service: s, Notify: env.Notify, MW: mw, Web: env.Web, Resp: env.Resp})
	oidc := NewOIDC(oidclogin.Config{Issuer: cfg.OIDC.Issuer, ClientID: cfg.OIDC.ClientID,
		ClientSecret: cfg.OIDC.ClientSecret, CINClaim: cfg.OIDC.CINClaim,
		RedirectURL: cfg.BaseURL + "/signin/oidc/callback"}, env.Box, env.Log)
	return module.Parts{
		Routes: func(rt *httpx.Router) {
			h.Routes(rt)
			h.TokenRoutes(rt)
			h.PreferenceRoutes(rt)
			h.OIDCRoutes(rt, oidc)
		},
		Wrap: mw.Wrap,
	}, nil
}

// lateCatalogue is the permit catalogue, looked up when first asked.
type lateCatalogue func() PermitCatalogue

func (l lateCatalogue) KindCodes() []string            { return l().KindCodes() }
func (l lateCatalogue) KindName(code string) i18n.Text { return l().KindName(code) }

// lateFiles is the permit capability's answer to who owns a file, looked
// up when first asked.
type lateFiles func() FileOwners

func (l lateFiles) FileOwner(ctx context.Context, ref string) (int64, int64, error) {
	return l().FileOwner(ctx, ref)
}
