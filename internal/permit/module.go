package permit

import (
	"context"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/module"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/web"
)

// Module is the permit capability as the application lists it.
var Module = module.Module{
	Name:     "permit",
	Messages: Messages,
	Pages:    &Pages,
	Nav: []web.NavItem{{Key: "nav.procedures", Href: "/procedures", Rank: 20},
		{Key: "nav.files", Href: "/files", Rank: 40},
		{Key: "nav.window", Href: "/window", Rank: 45, Show: isAgent},
		{Key: "nav.studies", Href: "/committee", Rank: 46, Show: isCommitteeMember}},
	Notices:  Notices(),
	OpenAPI:  OpenAPI,
	BlobRefs: BlobRefsSQL,
	Start:    start,
}

// sweepInterval is how often the legal clock looks for passed deadlines.
const sweepInterval = time.Minute

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	cat, err := Load(env.Cfg.PermitCatalogueFile)
	if err != nil {
		return module.Parts{}, err
	}
	// A catalogue imported with "madina admin import-catalogue" replaces
	// the embedded one; a file given on the command line wins over both.
	if env.Cfg.PermitCatalogueFile == "" {
		switch active, err := ActiveCatalogue(ctx, env.DB); {
		case err == nil:
			cat = active
		case !errs.Is(err, errs.NotFound): // none imported: the embedded one
			return module.Parts{}, err
		}
	}
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return module.Parts{}, err
	}
	register, err := module.Need[People](env)
	if err != nil {
		return module.Parts{}, err
	}
	staff, err := module.Need[Staff](env)
	if err != nil {
		return module.Parts{}, err
	}
	// The signature capability signs what permit issues; without it the
	// documents stay unsigned.
	signatures, err := module.Need[Signatures](env)
	if err != nil {
		signatures = nil
	}
	territory := func(ctx context.Context) (geo.Geometry, i18n.Text, error) {
		c, err := places.City(ctx)
		return c.Boundary, c.Name, err
	}
	s := NewService(Deps{DB: env.DB, Catalogue: cat, Calendar: env.Calendar, Blobs: env.Blobs, Notify: env.Notify,
		People: register, Staff: staff, Places: places, Events: env.Jobs, Log: env.Log,
		Locate: Locator(territory), InspectPDF: pdf.InspectPages, Signatures: signatures},
		Config{BaseURL: env.Cfg.BaseURL,
			Quota: Quota{ItemVersions: env.Cfg.UploadMaxVersions, FileBytes: env.Cfg.UploadMaxFileMB << 20}})
	env.Provide("permit", s)
	// The notices subscribe to permit's events (docs/ARCHITECTURE.md, "Events").
	for _, t := range Topics {
		env.Jobs.Subscribe(t, "permit.notices", s.SendNotices)
	}
	// A file dispatched, or leaving its committee, re-plans its
	// committee's open agendas (docs/arch/sessions.md).
	env.Jobs.Subscribe(TopicFileChanged, "permit.agenda", s.ReplanOnChange)
	if signatures != nil {
		// A file accepted: its receipt is sealed by a job, after the
		// acceptance committed (docs/arch/signdocs.md).
		env.Jobs.Subscribe(TopicFileChanged, "permit.receipts", queueSeal(env.Jobs, JobSealReceipt, TAccept))
		env.Jobs.Handle(JobSealReceipt, runSeal(s.SealReceipt))
		// A decision no officer signed is sealed by the commune likewise.
		env.Jobs.Subscribe(TopicFileChanged, "permit.decisions", queueSeal(env.Jobs, JobSealDecision, TApprove, TRefuse, TTacit, TGrant, TReject))
		env.Jobs.Handle(JobSealDecision, runSeal(s.SealDecision))
	}
	env.Provide("permit", cat)
	ph := &Handlers{Catalogue: cat, Cat: env.Cat, Web: env.Web, Resp: env.Resp}
	fh := &FileHandlers{Service: s, Cat: env.Cat, Web: env.Web, Resp: env.Resp,
		Track: ratelimit.New(30.0/60, 30, time.Hour)}
	return module.Parts{
		Routes: func(rt *httpx.Router) {
			ph.Routes(rt)
			fh.APIRoutes(rt)
			fh.WebRoutes(rt)
		},
		Workers: []module.Worker{{Name: "permit deadlines", Jobs: true, Run: func(ctx context.Context) { sweepDeadlines(ctx, s) }},
			{Name: "permit sessions", Jobs: true, Run: func(ctx context.Context) { sweepSessions(ctx, s) }},
			{Name: "permit dispatch", Jobs: true, Run: func(ctx context.Context) { sweepDispatch(ctx, s) }}},
	}, nil
}

// sweepDeadlines runs the legal clock until ctx ends: passed deadlines
// raise alerts or apply the catalogue's silence rule. Every node may run
// it; each deadline is claimed once.
func sweepDeadlines(ctx context.Context, s *Service) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("permit deadlines", "err", err.Error())
		} else if n > 0 {
			s.log.Info("permit deadlines handled", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sessionsInterval is how often committee sessions are generated and
// due agendas frozen.
const sessionsInterval = 15 * time.Minute

// sweepSessions generates the committees' sessions and freezes the
// agendas due until ctx ends; every node may run it (generation is
// idempotent, each agenda is frozen once).
func sweepSessions(ctx context.Context, s *Service) {
	t := time.NewTicker(sessionsInterval)
	defer t.Stop()
	for {
		if err := s.SweepSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("permit sessions", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// KindCodes are the codes of the catalogue's permit kinds, in order: the
// kinds a mandate may cover.
func (s *Service) KindCodes() []string {
	out := make([]string, len(s.cat.Kinds))
	for i, k := range s.cat.Kinds {
		out[i] = k.Code
	}
	return out
}

// KindName is the name of a permit kind of the catalogue.
func (s *Service) KindName(code string) i18n.Text {
	for _, k := range s.cat.Kinds {
		if k.Code == code {
			return k.Name
		}
	}
	return i18n.Text{}
}

// isAgent tells whether the request's visitor works at a window: the
// queue's entry in the main navigation is for them.
// isCommitteeMember shows "Files to study" to committee members.
func isCommitteeMember(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && authz.Decide(v.Actor, authz.ReadStudies, authz.Resource{}).Allow
}

func isAgent(ctx context.Context) bool {
	v := authz.FromContext(ctx)
	return v.SignedIn && !v.Pending && len(AgentWindows(v.Actor)) > 0
}
