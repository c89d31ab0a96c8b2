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
	Items      func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error)
	// Extent is the box its items lie in: the city's.
	Extent func(ctx context.Context) (geom.Bounds, error)
}

// collections are the portal's layers, in the order they are listed.
func collections(projects Projects, places *district.Store) []Collection {
	extent := func(ctx context.Context) (geom.Bounds, error) {
		c, err := places.City(ctx)
		if err != nil {
			return geom.Bounds{}, err
		}
		return c.Boundary.Bounds(), nil
	}
	return []Collection{
		{ID: "projects", Title: "geo.projects.title", About: "geo.projects.about", Properties: []string{"kind", "arrondissement"},
			Temporal: true, Items: projects.AuthorisedProjects, Extent: extent},
		{ID: "city", Title: "geo.city.title", About: "geo.city.about", Extent: extent,
			Items: func(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
				c, err := places.City(ctx)
				if err != nil {
					return geom.FeaturePage{}, err
				}
				f := geom.Feature{ID: c.Code, Geometry: c.Boundary, Properties: map[string]any{
					"code": c.Code, "name_ar": c.Name.AR, "name_fr": c.Name.FR, "name_en": c.Name.EN, "source": c.BoundarySource}}
				b := c.Boundary.Bounds()
				if (q.ID != "" && q.ID != c.Code) || (q.BBox != nil && (b.Max.Lon < q.BBox.Min.Lon || b.Min.Lon > q.BBox.Max.Lon ||
					b.Max.Lat < q.BBox.Min.Lat || b.Min.Lat > q.BBox.Max.Lat)) {
					return geom.FeaturePage{}, nil
				}
				page := geom.FeaturePage{Matched: 1}
				if q.Offset == 0 && q.Limit > 0 {
					page.Features = []geom.Feature{f}
				}
				return page, nil
			}},
	}
}
