package identity

import (
	"context"

	"madina/internal/district"
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
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return module.Parts{}, err
	}
	cfg := env.Cfg
	s, err := NewService(env.DB, env.Notify, env.Hasher, env.Box, env.Log, Config{
		BaseURL:    cfg.BaseURL,
		Catalogue:  lateCatalogue(module.Late[PermitCatalogue](env)),
		Files:      lateFiles(module.Late[FileOwners](env)),
		Places:     districtPlaces{places},
		Blobs:      env.Blobs,
		InspectPDF: pdf.InspectPages,
		Events:     env.Jobs,
	})
	if err != nil {
		return module.Parts{}, err
	}
	if err := s.FillAssociationKeys(ctx); err != nil {
		return module.Parts{}, err
	}
	// The organisations of the city's arrondissements and prefectures
	// (staff belong to them), added when the reference has new ones.
	if _, err := s.LoadOrganisations(ctx, "system"); err != nil {
		return module.Parts{}, err
	}
	env.Provide("identity", s)
	// The notices subscribe to identity's events (docs/arch/events.md).
	for _, t := range Topics {
		env.Jobs.Subscribe(t, "identity.notices", s.SendNotices)
	}
	env.Provide("identity", s.Store())
	mw := &Middleware{Service: s, Resp: env.Resp, TrustProxy: cfg.TrustProxy}
	h := NewHandlers(s, env.Notify, mw, env.Web, env.Resp)
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

// districtPlaces gives the back office the territorial reference.
type districtPlaces struct{ s *district.Store }

var _ Places = districtPlaces{}

func (p districtPlaces) Arrondissements(ctx context.Context) ([]Place, error) {
	as, err := p.s.Arrondissements(ctx)
	out := make([]Place, len(as))
	for i, a := range as {
		out[i] = Place{Code: a.Code, Arrondissement: a.Code, Name: a.Name}
	}
	return out, err
}

func (p districtPlaces) Windows(ctx context.Context) ([]Place, error) {
	ws, err := p.s.Windows(ctx)
	out := make([]Place, len(ws))
	for i, w := range ws {
		out[i] = Place{Code: w.Code, Kind: w.Kind, Arrondissement: w.Arrondissement, Name: w.Name}
	}
	return out, err
}
