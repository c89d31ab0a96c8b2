package geo

import (
	"math"
	"math/bits"
	"sort"
)

// The predicates work on an integer grid: a coordinate in units of 1e-7
// degree, doubled so that the midpoint of two grid points is a grid point.
// Differences fit in 34 bits and their products in 128, so orientation is
// exact.

type ipt struct{ x, y int64 }

func toGrid(p Point) ipt {
	return ipt{2 * int64(math.Round(p.Lon*1e7)), 2 * int64(math.Round(p.Lat*1e7))}
}

func mid(a, b ipt) ipt { return ipt{(a.x + b.x) / 2, (a.y + b.y) / 2} }

type i128 struct {
	hi int64
	lo uint64
}

func mul128(a, b int64) i128 {
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	if neg {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	return i128{int64(hi), lo}
}

func uabs(a int64) uint64 {
	if a < 0 {
		return uint64(-a)
	}
	return uint64(a)
}

func cmp128(p, q i128) int {
	switch {
	case p.hi < q.hi:
		return -1
	case p.hi > q.hi:
		return 1
	case p.lo < q.lo:
		return -1
	case p.lo > q.lo:
		return 1
	}
	return 0
}

// orient returns 1 when c lies left of the line a→b, -1 when right, 0 when
// the three points are collinear.
func orient(a, b, c ipt) int {
	dx1, dy1 := b.x-a.x, b.y-a.y
	dx2, dy2 := c.x-a.x, c.y-a.y
	const lim = 1 << 31
	if -lim < dx1 && dx1 < lim && -lim < dy1 && dy1 < lim && -lim < dx2 && dx2 < lim && -lim < dy2 && dy2 < lim {
		d := dx1*dy2 - dy1*dx2
		switch {
		case d > 0:
			return 1
		case d < 0:
			return -1
		}
		return 0
	}
	return cmp128(mul128(dx1, dy2), mul128(dy1, dx2))
}

// inBox reports whether p lies in the box spanned by a and b.
func inBox(p, a, b ipt) bool {
	return min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
}

// onSegment reports whether p lies on the closed segment ab.
func onSegment(p, a, b ipt) bool { return inBox(p, a, b) && orient(a, b, p) == 0 }

// crosses reports whether ab and cd cross at a single point interior to
// both.
func crosses(a, b, c, d ipt) bool {
	return orient(a, b, c)*orient(a, b, d) < 0 && orient(c, d, a)*orient(c, d, b) < 0
}

// meets reports whether the closed segments ab and cd share a point.
func meets(a, b, c, d ipt) bool {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return (o1 == 0 && inBox(c, a, b)) || (o2 == 0 && inBox(d, a, b)) ||
		(o3 == 0 && inBox(a, c, d)) || (o4 == 0 && inBox(b, c, d))
}

// sameWay reports whether the collinear vectors u and v point the same way.
func sameWay(u, v ipt) bool {
	if u.x != 0 || v.x != 0 {
		return (u.x > 0) == (v.x > 0) && u.x != 0 && v.x != 0
	}
	return (u.y > 0) == (v.y > 0)
}

// A ring on the grid is closed (first point repeated last) and has no two
// consecutive equal points.
type gring []ipt

type gpoly []gring

// gridPolygon puts p on the grid, dropping repeated consecutive points.
func gridPolygon(p Polygon) gpoly {
	out := make(gpoly, 0, len(p))
	for _, r := range p {
		g := make(gring, 0, len(r))
		for _, q := range r {
			v := toGrid(q)
			if n := len(g); n > 0 && g[n-1] == v {
				continue
			}
			g = append(g, v)
		}
		out = append(out, g)
	}
	return out
}

func gridParts(ps []Polygon) []gpoly {
	out := make([]gpoly, 0, len(ps))
	for _, p := range ps {
		out = append(out, gridPolygon(p))
	}
	return out
}

// location of a point relative to a closed region.
type location int8

const (
	outside location = iota
	onBoundary
	inside
)

// locateRing places p relative to the region a simple closed ring encloses
// (winding number, exact).
func locateRing(p ipt, r gring) location {
	wn := 0
	for i := 0; i+1 < len(r); i++ {
		if windEdge(p, r[i], r[i+1], &wn) {
			return onBoundary
		}
	}
	return windLocation(wn)
}

// locateRingPoints is locateRing on a ring not yet on the grid. It puts on
// the grid only the edges that reach p's latitude (the others add nothing
// to the winding number), and allocates nothing. A zero-length edge adds
// nothing either.
func locateRingPoints(p ipt, lat float64, r []Point) location {
	const margin = 1e-6 // degrees: ten grid steps
	wn := 0
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a.Lat > lat+margin && b.Lat > lat+margin) || (a.Lat < lat-margin && b.Lat < lat-margin) {
			continue
		}
		if windEdge(p, toGrid(a), toGrid(b), &wn) {
			return onBoundary
		}
	}
	return windLocation(wn)
}

func windLocation(wn int) location {
	if wn != 0 {
		return inside
	}
	return outside
}

// windEdge adds edge ab's contribution to p's winding number, or reports
// that p lies on it.
func windEdge(p, a, b ipt, wn *int) bool {
	if a.y <= p.y {
		if b.y > p.y {
			switch o := orient(a, b, p); {
			case o > 0:
				*wn++
			case o == 0:
				return true
			}
			return false
		}
	} else if b.y <= p.y {
		switch o := orient(a, b, p); {
		case o < 0:
			*wn--
		case o == 0:
			return true
		}
		return false
	}
	// The edge does not straddle p's horizontal line: p is on it only if
	// it is horizontal at p's latitude, or p is its lower end.
	return (a.y == p.y || b.y == p.y) && onSegment(p, a, b)
}

// locatePointParts is locateParts on polygons not yet on the grid.
func locatePointParts(pt Point, parts []Polygon) location {
	p := toGrid(pt)
	best := outside
	for _, poly := range parts {
		if len(poly) == 0 {
			continue
		}
		l := locateRingPoints(p, pt.Lat, poly[0])
		if l == inside {
			for _, h := range poly[1:] {
				switch locateRingPoints(p, pt.Lat, h) {
				case inside:
					l = outside
				case onBoundary:
					l = onBoundary
				}
				if l != inside {
					break
				}
			}
		}
		if l > best {
			best = l
			if l == inside {
				break
			}
		}
	}
	return best
}

// locatePolygon places p relative to a polygon with holes.
func locatePolygon(p ipt, poly gpoly) location {
	if len(poly) == 0 {
		return outside
	}
	l := locateRing(p, poly[0])
	if l != inside {
		return l
	}
	for _, h := range poly[1:] {
		switch locateRing(p, h) {
		case inside:
			return outside
		case onBoundary:
			return onBoundary
		}
	}
	return inside
}

// locateParts places p relative to the union of polygons whose interiors
// do not meet.
func locateParts(p ipt, parts []gpoly) location {
	best := outside
	for _, poly := range parts {
		if l := locatePolygon(p, poly); l > best {
			best = l
			if l == inside {
				break
			}
		}
	}
	return best
}

// ringOrientation returns 1 for a counter-clockwise simple ring, -1 for a
// clockwise one, 0 for a degenerate one. It looks at the lowest (then
// leftmost) vertex, where the turn has the ring's orientation.
func ringOrientation(r gring) int {
	n := len(r) - 1 // distinct vertices; r[n] == r[0]
	if n < 3 {
		return 0
	}
	k := 0
	for i := 1; i < n; i++ {
		if r[i].y < r[k].y || (r[i].y == r[k].y && r[i].x < r[k].x) {
			k = i
		}
	}
	return orient(r[(k+n-1)%n], r[k], r[(k+1)%n])
}

// splitPoints returns a, the points of pts lying strictly inside segment
// ab, and b, in order from a to b and without repeats.
func splitPoints(a, b ipt, pts []ipt) []ipt {
	out := []ipt{a}
	for _, p := range pts {
		if p != a && p != b && onSegment(p, a, b) {
			out = append(out, p)
		}
	}
	if len(out) > 2 {
		key := func(p ipt) int64 {
			if a.x != b.x {
				return (p.x - a.x) * sign(b.x-a.x)
			}
			return (p.y - a.y) * sign(b.y-a.y)
		}
		inner := out[1:]
		sort.Slice(inner, func(i, j int) bool { return key(inner[i]) < key(inner[j]) })
		w := 1
		for i := 1; i < len(out); i++ {
			if out[i] != out[w-1] {
				out[w] = out[i]
				w++
			}
		}
		out = out[:w]
	}
	return append(out, b)
}

func sign(v int64) int64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// gbox is a box on the grid.
type gbox struct{ minx, miny, maxx, maxy int64 }

func boxOf(parts []gpoly) gbox {
	b := gbox{math.MaxInt64, math.MaxInt64, math.MinInt64, math.MinInt64}
	for _, p := range parts {
		for _, r := range p {
			for _, q := range r {
				b.minx, b.maxx = min(b.minx, q.x), max(b.maxx, q.x)
				b.miny, b.maxy = min(b.miny, q.y), max(b.maxy, q.y)
			}
		}
	}
	return b
}

func (b gbox) within(o gbox) bool {
	return b.minx >= o.minx && b.maxx <= o.maxx && b.miny >= o.miny && b.maxy <= o.maxy
}

func (b gbox) meetsSegment(p, q ipt) bool {
	return max(p.x, q.x) >= b.minx && min(p.x, q.x) <= b.maxx && max(p.y, q.y) >= b.miny && min(p.y, q.y) <= b.maxy
}
