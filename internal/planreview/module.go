package planreview

import (
	"context"
	"embed"

	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are the capability's page templates.
var Pages = web.Pages{Prefix: "planreview", FS: templates}

// Messages are the capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Module is the plan-review capability as the application lists it
// (after permit, whose service provides the sheets).
var Module = module.Module{
	Name:     "planreview",
	Messages: Messages,
	Pages:    &Pages,
	Notices:  Notices(),
	OpenAPI:  OpenAPI,
	Start:    start,
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	sheets, err := module.Need[Sheets](env)
	if err != nil {
		return module.Parts{}, err
	}
	names, err := module.Need[Names](env)
	if err != nil {
		return module.Parts{}, err
	}
	// The signature capability signs exports; without it they stay unsigned.
	signer, err := module.Need[Signer](env)
	if err != nil {
		signer = nil
	}
	// The notices: permit says who the applicants are, identity how to
	// reach them and how the policy sees them (notices.go).
	applicants, err := module.Need[Applicants](env)
	if err != nil {
		return module.Parts{}, err
	}
	register, err := module.Need[People](env)
	if err != nil {
		return module.Parts{}, err
	}
	s := NewService(Deps{DB: env.DB, Blobs: env.Blobs, Sheets: sheets, Names: names, Signer: signer, Log: env.Log,
		Events: env.Jobs, Notify: env.Notify, People: register, Applicants: applicants, BaseURL: env.Cfg.BaseURL})
	env.Provide("planreview", s)
	// The notices subscribe to planreview's events (docs/ARCHITECTURE.md, "Plan review").
	for _, t := range Topics {
		env.Jobs.Subscribe(t, "planreview.notices", s.SendNotices)
	}
	h := &Handlers{Service: s, Resp: env.Resp, Web: env.Web, BaseURL: env.Cfg.BaseURL}
	return module.Parts{Routes: func(rt *httpx.Router) { h.Routes(rt) }}, nil
}
