package geo

import (
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/errs"
)

// Features of a collection, as OGC API – Features, Part 1 asks for them
// (a bounding box, a time interval, property filters, a page).

// Message keys of a feature query's errors (errs.Invalid, on the query's
// parameter).
const (
	KeyBBox     = "error.geo.bbox"     // not four numbers, out of range, min above max
	KeyDatetime = "error.geo.datetime" // not an RFC 3339 instant or interval, or an interval ending before it starts
	KeyLimit    = "error.geo.limit"    // params "max": not a whole number from 1 to max
	KeyOffset   = "error.geo.offset"   // not a whole number from 0
)

// FeatureQuery selects features: the one of ID (when set), those whose
// position lies in BBox (when set), whose time lies in [From, To] (each
// end open when zero), whose properties equal Properties; Limit of them
// from Offset.
type FeatureQuery struct {
	ID            string
	BBox          *Bounds
	From, To      time.Time
	Properties    map[string]string
	Limit, Offset int
}

// Conditions are q's SQL conditions on a layer's identifier column and
// time column (its box and properties are the layer's own to write),
// each value passed through arg, which returns its placeholder.
func (q FeatureQuery) Conditions(id, at string, arg func(any) string) []string {
	var where []string
	if q.ID != "" {
		where = append(where, id+" = "+arg(q.ID))
	}
	if !q.From.IsZero() {
		where = append(where, at+" >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, at+" <= "+arg(q.To))
	}
	return where
}

// FeaturePage is a page of features and how many match in all.
type FeaturePage struct {
	Features []Feature
	Matched  int
}

// ParseBBox reads an OGC bbox parameter, "minLon,minLat,maxLon,maxLat" in
// WGS 84. A box crossing the antimeridian (minLon above maxLon) is refused
// as inverted: Madina's territories never cross it.
func ParseBBox(s string) (*Bounds, error) {
	bad := errs.E(errs.Invalid, KeyBBox).OnField("bbox")
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, bad
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f || f > 1e308 || f < -1e308 {
			return nil, bad
		}
		v[i] = f
	}
	b := &Bounds{Min: Point{v[0], v[1]}, Max: Point{v[2], v[3]}}
	if b.Min.Lon < -180 || b.Max.Lon > 180 || b.Min.Lat < -90 || b.Max.Lat > 90 || b.Min.Lon > b.Max.Lon || b.Min.Lat > b.Max.Lat {
		return nil, bad
	}
	return b, nil
}

// ParseInterval reads an OGC datetime parameter: an RFC 3339 instant, or
// an interval "start/end" with either end ".." or empty for open. An
// instant's From and To are the same time.
func ParseInterval(s string) (from, to time.Time, err error) {
	bad := errs.E(errs.Invalid, KeyDatetime).OnField("datetime")
	end := func(p string) (time.Time, error) {
		if p == "" || p == ".." {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, p)
		if err != nil {
			return time.Time{}, bad
		}
		return t.UTC(), nil
	}
	a, b, interval := strings.Cut(s, "/")
	if from, err = end(a); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !interval {
		if from.IsZero() {
			return time.Time{}, time.Time{}, bad
		}
		return from, from, nil
	}
	if to, err = end(b); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if from.IsZero() && to.IsZero() && a != ".." && b != ".." && (a != "" || b != "") {
		return time.Time{}, time.Time{}, bad
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return time.Time{}, time.Time{}, bad
	}
	return from, to, nil
}

// ParseLimit reads a page size from 1 to max; "" is def.
func ParseLimit(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, errs.E(errs.Invalid, KeyLimit).With("max", max).OnField("limit")
	}
	return n, nil
}

// ParseOffset reads how many features to skip; "" is 0.
func ParseOffset(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errs.E(errs.Invalid, KeyOffset).OnField("offset")
	}
	return n, nil
}
