// Package geo is the geographic portal (issue #14): the city's layers
// served as OGC API – Features, Part 1 Core at /ogc, in GeoJSON for GIS
// software and in HTML for people — the authorised projects, live from
// the permits, the city's territory, its arrondissements — and the
// directory of places, with its pages.
package geo

import (
	"context"
	"embed"
	"strings"
	"time"

	"madina/internal/district"
	"madina/internal/module"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "geo", FS: templates}

// Messages are this capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Module is the geographic portal, as the application lists it.
var Module = module.Module{
	Name:     "geo",
	Messages: Messages,
	Pages:    &Pages,
	OpenAPI:  OpenAPI,
	Nav:      []web.NavItem{{Key: "nav.map", Href: "/map", Rank: 35}},
	Start:    start,
}

// Projects are the authorised projects: the permit capability's.
type Projects interface {
	AuthorisedProjects(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error)
}

// Requests are the citizens' requests on the public map: the complaint
// capability's (it starts after this one).
type Requests interface {
	RequestFeatures(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error)
}

func start(ctx context.Context, env *module.Env) (module.Parts, error) {
	projects, err := module.Need[Projects](env)
	if err != nil {
		return module.Parts{}, err
	}
	places, err := module.Need[*district.Store](env)
	if err != nil {
		return module.Parts{}, err
	}
	directory := NewPlaces(env.DB, places)
	env.Provide("geo", directory)
	gazetteer := NewAddresses(env.DB, places)
	env.Provide("geo", gazetteer)
	h := &Handlers{Web: env.Web, Resp: env.Resp, Base: strings.TrimSuffix(env.Cfg.BaseURL, "/"),
		Collections: collections(projects, places, directory, module.Late[Requests](env)), live: &live{projects: projects, log: env.Log, now: time.Now}}
	ph := &PlaceHandlers{Places: directory, Cat: env.Cat, Web: env.Web, Resp: env.Resp}
	tiles, err := ParseTiles(env.Cfg.MapTiles, env.Cfg.MapTilesAttribution)
	if err != nil {
		return module.Parts{}, err
	}
	parcels, err := module.Need[Parcels](env)
	if err != nil {
		return module.Parts{}, err
	}
	m := &MapHandlers{Web: env.Web, Resp: env.Resp, Places: places, Tiles: tiles, Directory: directory, Gazetteer: gazetteer, Parcels: parcels}
	for _, c := range h.Collections {
		m.Layers = append(m.Layers, c.ID)
	}
	return module.Parts{Routes: func(rt *httpx.Router) {
		h.Routes(rt)
		ph.Routes(rt)
		m.Routes(rt)
	}, Wrap: tiles.allowTiles}, nil
}
