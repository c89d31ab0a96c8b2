package booking

import (
	"context"

	"madina/internal/district"
	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// Module is Casa In as the application lists it.
var Module = module.Module{
	Name:     "booking",
	Messages: Messages,
	Pages:    &Pages,
	Nav: []web.NavItem{{Key: "nav.booking_places", Href: "/bookings/places", Rank: 43, Show: notStaff},
		{Key: "nav.bookings_desk", Href: "/bookings/desk", Rank: 48, Show: isManager}},
	Notices: Notices(),
	OpenAPI: OpenAPI,
	// The facilities' photos name their blobs (photos.go).
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
	src, err := catalogueSource(env.Cfg.BookingCatalogueFile)
	if err != nil {
		return module.Parts{}, err
	}
	cat, err := Load(src, env.Cat)
	if err != nil {
		return module.Parts{}, err
	}
	s := NewService(Deps{DB: env.DB, Catalogue: cat, Events: env.Jobs, Box: env.Box, People: register, Notify: env.Notify,
		BaseURL: env.Cfg.BaseURL, Blobs: env.Blobs, City: places.City})
	// The facilities' organisations are the arrondissements' (staff,
	// listed before, seeds them at its start).
	if err := s.Seed(ctx); err != nil {
		return module.Parts{}, err
	}
	env.Jobs.Subscribe(TopicBookingChanged, "booking.notices", s.SendNotices)
	env.Jobs.Subscribe(TopicTeamChanged, "booking.team_notices", s.SendTeamNotices)
	env.Jobs.Subscribe(TopicAmbulanceChanged, "booking.ambulance_notices", s.SendAmbulanceNotices)
	env.Provide("booking", s)
	h := &Handlers{Service: s, Places: places, Cat: env.Cat, Web: env.Web, Resp: env.Resp,
		TrustProxy: env.Cfg.TrustProxy}
	return module.Parts{Routes: func(rt *httpx.Router) {
		h.Routes(rt)
		h.APIRoutes(rt)
	}, Workers: []module.Worker{{Name: "booking clock", Jobs: true, Run: func(ctx context.Context) { sweep(ctx, s, env.Log, env.Cfg.BookingClock) }}}}, nil
}
