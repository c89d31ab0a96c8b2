package permit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/geo"
)

// Authorised projects (issue #14, the geoportal's layer): the urban
// permits delivered, each at the place its file gives (a point or the
// parcel's outline), with what the public may know of it — its number,
// kind, arrondissement, the day it was granted and whether by the
// administration's silence. Never the owner, the professionals, the
// address or the title the applicant typed (it may name them).

// ProjectProperties are the properties a project's feature may be filtered
// by (OGC API – Features: property=value).
var ProjectProperties = []string{"kind", "arrondissement"}

// AuthorisedProjects answers a page of q: the urban permits granted with
// a location, in the order they were granted (then by id), each a GeoJSON
// feature whose id is its number. Its time is when the permit was
// granted; BBox holds a project whose location — its point or its
// parcel's outline — meets the box (PostGIS on PostgreSQL, an R*Tree and
// the exact predicate on SQLite: db.Intersects).
func (s *Service) AuthorisedProjects(ctx context.Context, q geo.FeatureQuery) (geo.FeaturePage, error) {
	where := []string{"family = 'urban'", "state = 'approved'", "lon IS NOT NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if b := q.BBox; b != nil {
		where = append(where, db.Intersects(s.db.Engine, "permit_files", "permit_files", *b, arg))
	}
	if q.ID != "" {
		where = append(where, "number = "+arg(q.ID))
	}
	if !q.From.IsZero() {
		where = append(where, "closed_at >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "closed_at <= "+arg(q.To))
	}
	for _, p := range ProjectProperties {
		v, ok := q.Properties[p]
		if !ok {
			continue
		}
		col := map[string]string{"kind": "kind", "arrondissement": "arrondissement_code"}[p]
		where = append(where, col+" = "+arg(v))
	}
	cond := strings.Join(where, " AND ")
	var page geo.FeaturePage
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_files WHERE `+cond, args...).Scan(&page.Matched); err != nil {
		return page, fmt.Errorf("permit: projects: %w", err)
	}
	limit, offset := arg(q.Limit), arg(q.Offset)
	rows, err := s.db.QueryContext(ctx, `SELECT id, number, kind, COALESCE(arrondissement_code, ''), location, closed_at, tacit
		FROM permit_files WHERE `+cond+` ORDER BY closed_at, id LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return page, fmt.Errorf("permit: projects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var number, kind, arr, location string
		var granted time.Time
		var tacit bool
		if err := rows.Scan(&id, &number, &kind, &arr, &location, &granted, &tacit); err != nil {
			return page, fmt.Errorf("permit: projects: %w", err)
		}
		g, err := geo.ParseGeoJSON([]byte(location))
		if err != nil {
			return page, fmt.Errorf("permit: project of file %d: %w", id, err)
		}
		props := map[string]any{"number": number, "kind": kind, "arrondissement": arr,
			"granted": granted.UTC().Format(time.RFC3339), "tacit": tacit}
		if k, err := s.cat.Kind(kind); err == nil {
			props["kind_name"] = map[string]string{"ar": k.Name.AR, "fr": k.Name.FR, "en": k.Name.EN}
		}
		page.Features = append(page.Features, geo.Feature{ID: number, Geometry: g, Properties: props})
	}
	return page, rows.Err()
}
