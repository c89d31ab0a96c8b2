package geo

import (
	"fmt"
	"math"
	"sort"

	"madina/internal/platform/errs"
)

func invalid(key string, format string, a ...any) *errs.Error {
	return errs.E(errs.Invalid, key).Cause(fmt.Errorf(format, a...))
}

func checkPoint(p Point) error {
	if math.IsNaN(p.Lon) || math.IsNaN(p.Lat) || math.IsInf(p.Lon, 0) || math.IsInf(p.Lat, 0) {
		return invalid(KeyNumber, "coordinate not finite: %v", p)
	}
	if p.Lon < -180 || p.Lon > 180 || p.Lat < -90 || p.Lat > 90 {
		return invalid(KeyRange, "position out of range: lon %v, lat %v", p.Lon, p.Lat)
	}
	return nil
}

// Validate checks g: coordinates finite and in range; every ring closed,
// with at least 3 distinct points, and simple (it neither crosses nor
// touches itself); holes strictly inside their exterior and apart from
// each other; the polygons of a MultiPolygon apart. It does not bound the
// number of vertices (the parse functions do). Errors are errs.Invalid with
// one of the Key… message keys.
func (g Geometry) Validate() error {
	switch g.Type {
	case TypePoint:
		return checkPoint(g.Point)
	case TypePolygon, TypeMultiPolygon:
	default:
		return errs.E(errs.Invalid, KeyType).With("type", typeLabel(string(g.Type)))
	}
	parts := g.parts()
	if len(parts) == 0 {
		return invalid(KeyInvalid, "empty %s", g.Type)
	}
	for i, p := range parts {
		if len(p) == 0 {
			return invalid(KeyInvalid, "polygon %d has no ring", i)
		}
		for j, r := range p {
			for _, q := range r {
				if err := checkPoint(q); err != nil {
					return err
				}
			}
			if len(r) == 0 || toGrid(r[0]) != toGrid(r[len(r)-1]) {
				if len(r) < 2 {
					return invalid(KeyRingShort, "polygon %d ring %d: %d positions", i, j, len(r))
				}
				return invalid(KeyRingOpen, "polygon %d ring %d is not closed", i, j)
			}
		}
	}
	gp := gridParts(parts)
	for i, p := range gp {
		for j, r := range p {
			if len(r) < 4 {
				return invalid(KeyRingShort, "polygon %d ring %d: %d distinct points", i, j, len(r)-1)
			}
		}
	}
	if err := checkSegments(gp); err != nil {
		return err
	}
	// No two rings meet, so one vertex tells on which side of another ring
	// a whole ring lies.
	for i, p := range gp {
		for j, h := range p[1:] {
			if locateRing(h[0], p[0]) != inside {
				return invalid(KeyHole, "polygon %d: hole %d outside the exterior", i, j+1)
			}
			for k, o := range p[1:] {
				if k != j && locateRing(h[0], o) == inside {
					return invalid(KeyHole, "polygon %d: hole %d inside hole %d", i, j+1, k+1)
				}
			}
		}
		for k, o := range gp {
			if k != i && locatePolygon(p[0][0], o) == inside {
				return invalid(KeySelfIntersection, "polygon %d lies inside polygon %d", i, k)
			}
		}
	}
	return nil
}

type seg struct {
	a, b             ipt
	part, ring, i, n int // n: edges of the ring
	minx, maxx       int64
}

// checkSegments finds any two edges that meet where they should not: a
// ring's edges meet only their neighbours, at the shared vertex; edges of
// different rings never meet. A sweep along x keeps it near n log n for
// real outlines.
func checkSegments(parts []gpoly) error {
	var segs []seg
	for pi, p := range parts {
		for ri, r := range p {
			n := len(r) - 1
			for i := 0; i < n; i++ {
				a, b := r[i], r[i+1]
				segs = append(segs, seg{a: a, b: b, part: pi, ring: ri, i: i, n: n, minx: min(a.x, b.x), maxx: max(a.x, b.x)})
			}
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].minx < segs[j].minx })
	for i := range segs {
		s := &segs[i]
		for j := i + 1; j < len(segs) && segs[j].minx <= s.maxx; j++ {
			t := &segs[j]
			if max(s.a.y, s.b.y) < min(t.a.y, t.b.y) || max(t.a.y, t.b.y) < min(s.a.y, s.b.y) {
				continue
			}
			if err := checkPair(s, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkPair(s, t *seg) error {
	switch {
	case s.part != t.part:
		if meets(s.a, s.b, t.a, t.b) {
			return invalid(KeySelfIntersection, "polygons %d and %d meet", s.part, t.part)
		}
		return nil
	case s.ring != t.ring:
		if meets(s.a, s.b, t.a, t.b) {
			return invalid(KeyHole, "polygon %d: rings %d and %d meet", s.part, s.ring, t.ring)
		}
		return nil
	}
	d := s.i - t.i
	if d < 0 {
		d = -d
	}
	if d == 1 || d == s.n-1 {
		// Neighbours share a vertex v; they must not fold back on each
		// other along one line.
		var a, v, c ipt
		switch {
		case s.b == t.a:
			a, v, c = s.a, s.b, t.b
		case t.b == s.a:
			a, v, c = t.a, t.b, s.b
		default: // cannot happen for a closed ring
			return invalid(KeySelfIntersection, "ring %d: edges %d and %d", s.ring, s.i, t.i)
		}
		if orient(a, v, c) == 0 && sameWay(ipt{a.x - v.x, a.y - v.y}, ipt{c.x - v.x, c.y - v.y}) {
			return invalid(KeySelfIntersection, "polygon %d ring %d folds back at a vertex", s.part, s.ring)
		}
		return nil
	}
	if meets(s.a, s.b, t.a, t.b) {
		return invalid(KeySelfIntersection, "polygon %d ring %d: edges %d and %d meet", s.part, s.ring, s.i, t.i)
	}
	return nil
}
