package geo

// Within reports whether g lies entirely within boundary, a Polygon or
// MultiPolygon (a point or an empty geometry contains nothing). Both are
// closed sets: a point on the boundary's edge or at one of its vertices is
// within it, a point in a hole is not. A polygon is within when every
// vertex is, no edge crosses the boundary, no piece of an edge between the
// boundary's vertices runs outside it (an edge that leaves through two
// vertices of a concave boundary), and no part of the boundary's outline —
// a hole, say — lies inside the polygon.
//
// Both geometries should be valid (see Validate); the answer for invalid
// ones is unspecified, but Within does not panic.
func (g Geometry) Within(boundary Geometry) bool {
	if !boundary.Areal() {
		return false
	}
	if g.Type == TypePoint {
		return locatePointParts(g.Point, boundary.parts()) != outside
	}
	bp := gridParts(boundary.parts())
	gp := gridParts(g.parts())
	if len(gp) == 0 {
		return false
	}
	bb := boxOf(bp)
	for _, a := range gp {
		if len(a) == 0 || len(a[0]) == 0 || !boxOf([]gpoly{a}).within(bb) {
			return false
		}
		if !polygonWithin(a, bp) {
			return false
		}
	}
	return true
}

func polygonWithin(a gpoly, b []gpoly) bool {
	// Every vertex of a in b.
	for _, r := range a {
		for _, p := range r {
			if locateParts(p, b) == outside {
				return false
			}
		}
	}
	// No edge of a crosses an edge of b, and each piece of an edge of a
	// between the vertices of b it touches is in b: since nothing crosses,
	// a piece is all inside, all outside or all on b's outline, and its
	// midpoint tells which.
	var touch []ipt
	for _, r := range a {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			touch = touch[:0]
			for _, poly := range b {
				for _, s := range poly {
					for j := 0; j+1 < len(s); j++ {
						c, d := s[j], s[j+1]
						if max(c.x, d.x) < min(p.x, q.x) || min(c.x, d.x) > max(p.x, q.x) ||
							max(c.y, d.y) < min(p.y, q.y) || min(c.y, d.y) > max(p.y, q.y) {
							continue
						}
						if crosses(p, q, c, d) {
							return false
						}
						if c != p && c != q && onSegment(c, p, q) {
							touch = append(touch, c)
						}
					}
				}
			}
			if len(touch) == 0 {
				continue // the vertices are in b and nothing meets the open edge
			}
			pts := splitPoints(p, q, touch)
			for k := 0; k+1 < len(pts); k++ {
				if locateParts(mid(pts[k], pts[k+1]), b) == outside {
					return false
				}
			}
		}
	}
	// No piece of b's outline inside a: a hole of b (or the gap between
	// two polygons of b) would be. A piece lying on a's outline is inside a
	// on the side where a's interior is; it must be the side of b's
	// interior too, that is the two edges run the same way once the
	// exteriors are counter-clockwise and holes clockwise.
	ab := boxOf([]gpoly{a})
	dirA := ringDirections(a)
	for _, poly := range b {
		dirB := ringDirections(poly)
		for ri, s := range poly {
			for j := 0; j+1 < len(s); j++ {
				c, d := s[j], s[j+1]
				if !ab.meetsSegment(c, d) {
					continue
				}
				touch = touch[:0]
				for _, r := range a {
					if len(r) == 0 {
						continue
					}
					for _, p := range r[:len(r)-1] {
						if p != c && p != d && onSegment(p, c, d) {
							touch = append(touch, p)
						}
					}
				}
				pts := splitPoints(c, d, touch)
				for k := 0; k+1 < len(pts); k++ {
					m := mid(pts[k], pts[k+1])
					switch locatePolygon(m, a) {
					case inside:
						return false
					case onBoundary:
						u := ipt{(d.x - c.x) * dirB[ri], (d.y - c.y) * dirB[ri]}
						if v, ok := edgeAt(m, a, dirA); ok && !sameWay(u, v) {
							return false
						}
					}
				}
			}
		}
	}
	return true
}

// ringDirections returns, for each ring of p, 1 when it runs the standard
// way (exterior counter-clockwise, holes clockwise) and -1 otherwise.
func ringDirections(p gpoly) []int64 {
	out := make([]int64, len(p))
	for i, r := range p {
		want := 1
		if i > 0 {
			want = -1
		}
		out[i] = 1
		if o := ringOrientation(r); o != 0 && o != want {
			out[i] = -1
		}
	}
	return out
}

// edgeAt returns the direction, run the standard way, of the edge of p
// on which m lies.
func edgeAt(m ipt, p gpoly, dir []int64) (ipt, bool) {
	for ri, r := range p {
		for i := 0; i+1 < len(r); i++ {
			if onSegment(m, r[i], r[i+1]) {
				return ipt{(r[i+1].x - r[i].x) * dir[ri], (r[i+1].y - r[i].y) * dir[ri]}, true
			}
		}
	}
	return ipt{}, false
}
