package complaint

import (
	"context"
	"time"

	"madina/internal/district"
	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/web"
)

// Module is the requests and complaints capability as the application
// lists it.
var Module = module.Module{
	Name:     "complaint",
	Messages: Messages,
	Pages:    &Pages,
	Nav: []web.NavItem{{Key: "nav.requests", Href: "/requests", Rank: 42, Show: isCitizen},
		{Key: "nav.requests_queue", Href: "/requests/queue", Rank: 47, Show: isOfficer}},
	Notices:  Notices(),
	OpenAPI:  OpenAPI,
	BlobRefs: BlobRefsSQL,
	Start:    start,
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return module.Parts{}, err
	}
	register, err := module.Need[People](env)
	if err != nil {
		return module.Parts{}, err
	}
	s := NewService(Deps{DB: env.DB, Catalogue: DefaultCatalogue(), Calendar: env.Calendar, Blobs: env.Blobs,
		Places: places, Events: env.Jobs, People: register, Notify: env.Notify, BaseURL: env.Cfg.BaseURL})
	// The reporter hears of each change (docs/ARCHITECTURE.md, "Events").
	env.Jobs.Subscribe(TopicRequestChanged, "complaint.notices", s.SendNotices)
	env.Jobs.Subscribe(TopicRequestAlert, "complaint.alerts", s.SendAlerts)
	// The catalogue's organisations exist (staff, listed before, seeds
	// them at its start).
	if err := s.CheckOrganisations(ctx); err != nil {
		return module.Parts{}, err
	}
	env.Provide("complaint", s)
	h := &Handlers{Service: s, Cat: env.Cat, Web: env.Web, Resp: env.Resp,
		Track:       ratelimit.New(30.0/60, 30, time.Hour),
		File:        ratelimit.New(20.0/(24*3600), 20, 24*time.Hour),
		FileAddress: ratelimit.New(120.0/3600, 120, time.Hour),
		FileCap:     ratelimit.New(200.0/(24*3600), 200, 24*time.Hour),
		Device:      ratelimit.New(20.0/(24*3600), 20, 24*time.Hour),
		Proof:       ratelimit.New(10.0/3600, 10, time.Hour),
		Media:       NewMediaClient(env.Cfg.Open311MediaPrivate)}
	return module.Parts{Routes: func(rt *httpx.Router) {
		h.Routes(rt)
		h.APIRoutes(rt)
		h.Open311Routes(rt, env.Cfg.BaseURL)
	}, Workers: []module.Worker{{Name: "complaint sweep", Jobs: true, Run: func(ctx context.Context) { sweep(ctx, s, env.Log) }}}}, nil
}
