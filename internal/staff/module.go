// Package staff is the back office: the organisations staff belong to,
// staff accounts and their roles, the verification of professionals, and
// the audit viewer. Every use case asks the policy (authz) first, with the
// person a decision is about as involved, then the rules, then the store,
// in one transaction. It asks identity, through interfaces it declares
// here (Accounts, Sessions), to open accounts and to say who is signed in;
// it never imports identity.
package staff

import (
	"context"

	"madina/internal/district"
	"madina/internal/module"
)

// Module is the staff capability as the application lists it (after
// identity, whose accounts and sessions it uses).
var Module = module.Module{
	Name:     "staff",
	Messages: Messages,
	Pages:    &Pages,
	Notices:  Notices(),
	Start:    start,
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return module.Parts{}, err
	}
	accounts, err := module.Need[Accounts](env)
	if err != nil {
		return module.Parts{}, err
	}
	sessions, err := module.Need[Sessions](env)
	if err != nil {
		return module.Parts{}, err
	}
	s := NewService(Deps{DB: env.DB, Notify: env.Notify, Accounts: accounts, Places: districtPlaces{places},
		Events: env.Jobs, BaseURL: env.Cfg.BaseURL, Log: env.Log})
	for _, t := range Topics {
		env.Jobs.Subscribe(t, "staff.notices", s.SendNotices)
	}
	// The organisations of the city's arrondissements and prefectures
	// (staff belong to them), added when the reference has new ones.
	if _, err := s.LoadOrganisations(ctx, System("system")); err != nil {
		return module.Parts{}, err
	}
	env.Provide("staff", s)
	h := &Handlers{Service: s, Sessions: sessions, Web: env.Web, Resp: env.Resp, Log: env.Log}
	return module.Parts{Routes: h.Routes}, nil
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
