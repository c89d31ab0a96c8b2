package complaint

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	geom "madina/internal/platform/geo"
)

// RequestProperties are the properties the requests' layer may be
// filtered by (OGC API – Features: property=value).
var RequestProperties = []string{"category", "arrondissement", "status"}

// RequestFeatures answers the portal's layer of requests (issue #16, the
// public map): the requests filed with a point, as the public list shows
// them — their number, category, arrondissement, state and dates, never a
// name, a contact or a description. A private-life request (a neighbour's
// noise) is not on the map at all: its point may be someone's home. Its
// time is when the request was filed; newest first.
func (s *Service) RequestFeatures(ctx context.Context, q geom.FeatureQuery) (geom.FeaturePage, error) {
	where := []string{"held_at IS NULL", "NOT private", "lat IS NOT NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if b := q.BBox; b != nil {
		where = append(where, "lon BETWEEN "+arg(b.Min.Lon)+" AND "+arg(b.Max.Lon), "lat BETWEEN "+arg(b.Min.Lat)+" AND "+arg(b.Max.Lat))
	}
	where = append(where, q.Conditions("number", "filed_at", arg)...)
	if v, ok := q.Properties["category"]; ok {
		where = append(where, "category = "+arg(v))
	}
	if v, ok := q.Properties["arrondissement"]; ok {
		where = append(where, "arrondissement_code = "+arg(v))
	}
	switch v, ok := q.Properties["status"]; {
	case !ok:
	case v == "open":
		where = append(where, "state NOT IN ('resolved', 'closed')")
	case v == "closed":
		where = append(where, "state IN ('resolved', 'closed')")
	default:
		where = append(where, "1 = 0") // an unknown status matches nothing, as an unknown category does
	}
	cond := strings.Join(where, " AND ")
	var page geom.FeaturePage
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM complaint_requests WHERE `+cond, args...).Scan(&page.Matched); err != nil {
		return page, fmt.Errorf("complaint: requests layer: %w", err)
	}
	if page.Matched <= q.Offset {
		return page, nil
	}
	rs, err := listRequestsFrom(ctx, s.db, cond, "filed_at DESC, id DESC", max(q.Limit, 1), q.Offset, args...)
	if err != nil {
		return page, err
	}
	for _, r := range rs {
		props := geom.Props{"number": r.Number, "category": r.Category, "arrondissement": r.Arrondissement, "state": string(r.State),
			"status": "open", "filed": r.FiledAt.UTC().Format(time.RFC3339)}
		if !r.State.Open() {
			props["status"] = "closed"
		}
		if r.ResolvedAt != nil {
			props["resolved"] = r.ResolvedAt.UTC().Format(time.RFC3339)
		}
		if k, ok := s.cat.Category(r.Category); ok {
			props["category_name"] = map[string]string{"ar": k.Name.AR, "fr": k.Name.FR, "en": k.Name.EN}
		}
		page.Features = append(page.Features, geom.Feature{ID: r.Number, Geometry: geom.NewPoint(geom.Point{Lon: *r.Lon, Lat: *r.Lat}), Properties: props})
	}
	return page, nil
}
