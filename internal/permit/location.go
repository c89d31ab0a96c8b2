package permit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

// Territory gives the city's boundary and name, as currently loaded.
type Territory func(ctx context.Context) (boundary geo.Geometry, city i18n.Text, err error)

// Locator returns the check of parcel locations against a city's
// territory: a GeoJSON Point or Polygon, or else a latitude and longitude as
// typed, which must lie inside the boundary (the city is named in the
// refusal). The territory is asked each time, so that a newly imported
// boundary applies at once.
func Locator(territory Territory) func(ctx context.Context, geojson, lat, lon string) (Location, error) {
	return func(ctx context.Context, gj, lat, lon string) (Location, error) {
		boundary, city, err := territory(ctx)
		if err != nil {
			return Location{}, fmt.Errorf("permit: the city's territory: %w", err)
		}
		var g geo.Geometry
		if strings.TrimSpace(gj) != "" {
			var err error
			if g, err = geo.ParseGeoJSON([]byte(gj)); err != nil {
				return Location{}, onField(err, "location")
			}
		} else {
			p, err := geo.ParsePoint(lat, lon)
			if err != nil {
				return Location{}, err
			}
			g = geo.NewPoint(p)
		}
		if !g.Within(boundary) {
			return Location{}, geo.ErrOutside(city).OnField("location")
		}
		b, err := json.Marshal(g)
		if err != nil {
			return Location{}, err
		}
		c := g.Centroid()
		return Location{GeoJSON: string(b), Lon: c.Lon, Lat: c.Lat}, nil
	}
}

// onField points an errs error at a form field.
func onField(err error, field string) error {
	if e := errs.As(err); e != nil && e.Field == "" {
		return e.OnField(field)
	}
	return err
}
