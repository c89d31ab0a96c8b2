package geo

import "math"

// WGS 84 ellipsoid.
const (
	wgsA  = 6378137.0
	wgsF  = 1 / 298.257223563
	wgsE2 = wgsF * (2 - wgsF)
)

// proj is a local equirectangular projection about a reference point,
// scaled by the ellipsoid's radii of curvature there: metres east and north
// of the reference. Over a city (a fraction of a degree) its areas are
// within about 0.1% of the ellipsoid's.
type proj struct {
	lon0, lat0 float64
	kx, ky     float64 // metres per degree of longitude, of latitude
}

func newProj(b Bounds) proj {
	lat0 := (b.Min.Lat + b.Max.Lat) / 2
	phi := lat0 * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - wgsE2*s*s
	n := wgsA / math.Sqrt(w)                     // prime vertical
	m := wgsA * (1 - wgsE2) / (w * math.Sqrt(w)) // meridian
	return proj{
		lon0: (b.Min.Lon + b.Max.Lon) / 2, lat0: lat0,
		kx: n * math.Cos(phi) * math.Pi / 180, ky: m * math.Pi / 180,
	}
}

func (p proj) xy(q Point) (float64, float64) {
	return (q.Lon - p.lon0) * p.kx, (q.Lat - p.lat0) * p.ky
}

func (p proj) point(x, y float64) Point {
	return Point{Lon: p.lon0 + x/p.kx, Lat: p.lat0 + y/p.ky}
}

// ringMoments returns a ring's signed area (positive counter-clockwise) and
// its first moments (area times centroid) in the projection.
func (p proj) ringMoments(r []Point) (a, mx, my float64) {
	for i := 0; i+1 < len(r); i++ {
		x0, y0 := p.xy(r[i])
		x1, y1 := p.xy(r[i+1])
		c := x0*y1 - x1*y0
		a += c
		mx += (x0 + x1) * c
		my += (y0 + y1) * c
	}
	return a / 2, mx / 6, my / 6
}

// Area returns g's area in square metres (0 for a point), holes taken out.
func (g Geometry) Area() float64 {
	a, _, _, _ := g.moments()
	return a
}

func (g Geometry) moments() (area, mx, my float64, pr proj) {
	pr = newProj(g.Bounds())
	for _, poly := range g.parts() {
		for i, r := range poly {
			a, x, y := pr.ringMoments(r)
			// The exterior adds, holes take away, whichever way they run.
			s := 1.0
			if (a < 0) != (i > 0) {
				s = -1
			}
			area += s * a
			mx += s * x
			my += s * y
		}
	}
	return area, mx, my, pr
}

// Centroid returns g's centre: the point itself, or a polygon's centre of
// area (holes taken out), which may lie outside a concave polygon. For a
// degenerate polygon it is the mean of the vertices.
func (g Geometry) Centroid() Point {
	if g.Type == TypePoint {
		return g.Point
	}
	area, mx, my, pr := g.moments()
	if area > 0 {
		c := pr.point(mx/area, my/area)
		return Point{Lon: round7(c.Lon), Lat: round7(c.Lat)}
	}
	var sx, sy float64
	n := 0
	for _, poly := range g.parts() {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				sx += r[i].Lon
				sy += r[i].Lat
				n++
			}
		}
	}
	if n == 0 {
		return Point{}
	}
	return Point{Lon: round7(sx / float64(n)), Lat: round7(sy / float64(n))}
}

// DistanceTo returns the distance in metres from p to g: to the point, or
// to the nearest edge of a polygon's rings (0 when p lies inside it). It
// uses the local projection about p, so it suits the distances of a city.
func (g Geometry) DistanceTo(p Point) float64 {
	pr := newProj(Bounds{Min: p, Max: p})
	if g.Type == TypePoint {
		x, y := pr.xy(g.Point)
		return math.Hypot(x, y)
	}
	if locatePointParts(p, g.parts()) != outside {
		return 0
	}
	best := math.Inf(1)
	for _, poly := range g.parts() {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				x0, y0 := pr.xy(r[i])
				x1, y1 := pr.xy(r[i+1])
				dx, dy := x1-x0, y1-y0
				t := 0.0
				if l := dx*dx + dy*dy; l > 0 {
					t = math.Max(0, math.Min(1, -(x0*dx+y0*dy)/l))
				}
				best = math.Min(best, math.Hypot(x0+t*dx, y0+t*dy))
			}
		}
	}
	return best
}
