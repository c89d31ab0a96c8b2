package district

import (
	"context"

	"madina/internal/module"
	"madina/internal/platform/errs"
)

// Module is the territorial reference and the arrondissements' pages, as
// the application lists them. Its Store is the reference every capability
// routes by: the one package capabilities import from another (see
// docs/ARCHITECTURE.md, "One shape for every capability").
var Module = module.Module{
	Name:     "district",
	Messages: Messages,
	Pages:    &Pages,
	OpenAPI:  OpenAPI,
	// The arrondissements and their windows are reached from the map, the
	// procedures and the footer (the header's line is full).
	Start: start,
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	s := NewStore(env.DB)
	if err := seed(ctx, s); err != nil {
		return module.Parts{}, err
	}
	env.Provide("district", s)
	h := &Handlers{Store: s, Web: env.Web, Resp: env.Resp, Hours: env.Calendar.AdministrationHours()}
	return module.Parts{Routes: h.Routes}, nil
}

// seed loads Casablanca's reference on a new database, and on one loaded
// before the city's boundary was kept (migration 0010).
func seed(ctx context.Context, s *Store) error {
	empty, err := s.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		if _, err := s.City(ctx); !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	_, err = s.Load(ctx, Casablanca(), "system")
	return err
}
