package geo

// Intersects reports whether g and the box b share at least one point,
// their edges included: what OGC API – Features' bbox parameter selects,
// and what PostGIS's ST_Intersects answers against the same envelope
// (the spatial queries on SQLite filter the R*Tree's candidates with it).
// It works on the integer grid of the exact predicates.
func (g Geometry) Intersects(b Bounds) bool {
	lo, hi := toGrid(b.Min), toGrid(b.Max)
	box := gbox{lo.x, lo.y, hi.x, hi.y}
	if g.Type == TypePoint {
		p := toGrid(g.Point)
		return p.x >= box.minx && p.x <= box.maxx && p.y >= box.miny && p.y <= box.maxy
	}
	parts := gridParts(g.parts())
	corners := []ipt{{box.minx, box.miny}, {box.maxx, box.miny}, {box.maxx, box.maxy}, {box.minx, box.maxy}}
	for _, poly := range parts {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				if !box.meetsSegment(r[i], r[i+1]) {
					continue
				}
				for k := range corners {
					if meets(r[i], r[i+1], corners[k], corners[(k+1)%4]) {
						return true
					}
				}
			}
		}
		if len(poly) > 0 {
			for _, q := range poly[0] { // the outline inside the box
				if q.x >= box.minx && q.x <= box.maxx && q.y >= box.miny && q.y <= box.maxy {
					return true
				}
			}
		}
	}
	return locateParts(corners[0], parts) != outside // the box inside the polygon
}
