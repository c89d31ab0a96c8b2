package geo

import (
	"context"

	"madina/internal/district"
	geom "madina/internal/platform/geo"
)

// Collection is a layer the portal serves: its identifier, its texts
// (message keys), the properties its items may be filtered by, whether
// its items have a time (the datetime parameter), and its source.
type Collection struct {
	ID         string
	Title      string // message key
	About      string // message key
	Properties []string
	Temporal   bool
	// Schema is each property's JSON Schema, for the API definition; nil
	// leaves the properties undescribed.
	Schema map[string]any
	Items  func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error)
	// Extent is the box its items lie in: the city's.
	Extent func(ctx context.Context) (geom.Bounds, error)
}

// collections are the portal's layers, in the order they are listed.
func collections(projects Projects, places *district.Store, directory *Places, requests func() Requests) []Collection {
	extent := func(ctx context.Context) (geom.Bounds, error) {
		c, err := places.City(ctx)
		if err != nil {
			return geom.Bounds{}, err
		}
		return c.Boundary.Bounds(), nil
	}
	text := map[string]any{"type": "string"}
	names := map[string]any{"type": "object", "required": []string{"ar", "fr", "en"},
		"properties": map[string]any{"ar": text, "fr": text, "en": text}}
	return []Collection{
		{ID: "projects", Title: "geo.projects.title", About: "geo.projects.about", Properties: []string{"kind", "arrondissement"},
			Temporal: true, Items: projects.AuthorisedProjects, Extent: extent, Schema: map[string]any{
				"number": text, "kind": text, "kind_name": names, "arrondissement": text,
				"granted": map[string]any{"type": "string", "format": "date-time"}, "tacit": map[string]any{"type": "boolean"}}},
		{ID: "city", Title: "geo.city.title", About: "geo.city.about", Extent: extent,
			Schema: map[string]any{"code": text, "name_ar": text, "name_fr": text, "name_en": text, "source": text},
			Items: func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
				c, err := places.City(ctx)
				if err != nil {
					return geom.FeaturePage{}, err
				}
				f := geom.Feature{ID: c.Code, Geometry: c.Boundary, Properties: geom.Props{
					"code": c.Code, "name_ar": c.Name.AR, "name_fr": c.Name.FR, "name_en": c.Name.EN, "source": c.BoundarySource}}
				return pageOf(q, []geom.Feature{f}), nil
			}},
		{ID: "places", Title: "geo.places.title.collection", About: "geo.places.about", Extent: extent,
			Properties: []string{"category", "arrondissement"}, Items: directory.Features, Schema: map[string]any{
				"code": text, "category": text, "name_ar": text, "name_fr": text, "name_en": text,
				"address_ar": text, "address_fr": text, "address_en": text, "arrondissement": text,
				"hours": text, "phone": text, "email": text, "website": text, "updated": map[string]any{"type": "string", "format": "date-time"}}},
		{ID: "arrondissements", Title: "geo.arrondissements.title", About: "geo.arrondissements.about", Extent: extent,
			Properties: []string{"prefecture"},
			Schema:     map[string]any{"code": text, "name_ar": text, "name_fr": text, "name_en": text, "prefecture": text, "window": text, "source": text},
			Items: func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
				areas, err := places.Areas(ctx)
				if err != nil {
					return geom.FeaturePage{}, err
				}
				c, err := places.City(ctx)
				if err != nil {
					return geom.FeaturePage{}, err
				}
				arrs, err := places.Arrondissements(ctx)
				if err != nil {
					return geom.FeaturePage{}, err
				}
				fs := make([]geom.Feature, 0, len(areas))
				for _, ar := range areas {
					for _, a := range arrs {
						if a.Code != ar.Arrondissement {
							continue
						}
						fs = append(fs, geom.Feature{ID: a.Code, Geometry: ar.Boundary, Properties: geom.Props{
							"code": a.Code, "name_ar": a.Name.AR, "name_fr": a.Name.FR, "name_en": a.Name.EN,
							"prefecture": a.Prefecture, "window": a.Window, "source": c.ArrondissementBoundarySource}})
					}
				}
				return pageOf(q, fs), nil
			}},
		{ID: "requests", Title: "geo.requests.title", About: "geo.requests.about", Extent: extent, Temporal: true,
			Properties: []string{"category", "arrondissement", "status"},
			Items: func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
				return requests().RequestFeatures(ctx, q)
			},
			Schema: map[string]any{"number": text, "category": text, "category_name": names, "arrondissement": text,
				"state":  map[string]any{"type": "string", "enum": []string{"received", "acknowledged", "in_progress", "waiting", "resolved", "closed", "reopened"}},
				"status": map[string]any{"type": "string", "enum": []string{"open", "closed"}},
				"filed":  map[string]any{"type": "string", "format": "date-time"}, "resolved": map[string]any{"type": "string", "format": "date-time"}}},
	}
}

// pageOf answers q from a layer held in memory (a handful of features):
// those of its identifier, meeting its box and with its properties, then
// its page. Such layers have no time.
func pageOf(q geom.FeatureQuery, all []geom.Feature) geom.FeaturePage {
	var page geom.FeaturePage
	for _, f := range all {
		if (q.ID != "" && q.ID != f.ID) || (q.BBox != nil && !f.Geometry.Intersects(*q.BBox)) {
			continue
		}
		match := true
		for k, v := range q.Properties {
			if s, _ := f.Properties.Property(k).(string); s != v {
				match = false
			}
		}
		if !match {
			continue
		}
		if page.Matched >= q.Offset && len(page.Features) < q.Limit {
			page.Features = append(page.Features, f)
		}
		page.Matched++
	}
	return page
}
