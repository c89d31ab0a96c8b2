package db

import (
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"

	"madina/internal/platform/geo"
)

// The spatial side of the two engines. A table with a GeoJSON location
// column is indexed on each engine in its own way, kept by the database
// itself:
//
//   - PostgreSQL: a geometry column (PostGIS) generated from location, with
//     a GiST index;
//   - SQLite: an R*Tree virtual table <table>_rtree(id, min_lon, max_lon,
//     min_lat, max_lat) of each row's bounding box, kept by triggers.
//
// Intersects writes the condition that selects the rows whose location
// meets a box; both engines answer exactly the same rows (the R*Tree's
// candidates, whose boxes are stored in single precision and rounded
// outwards, are filtered by the exact predicate geo.Geometry.Intersects,
// registered as the SQL function geo_intersects_bbox).

func init() {
	sqlite.MustRegisterDeterministicScalarFunction("geo_intersects_bbox", 5, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		loc, ok := args[0].(string)
		if !ok {
			return int64(0), nil // no location meets no box
		}
		var c [4]float64
		for i, a := range args[1:] {
			switch v := a.(type) {
			case float64:
				c[i] = v
			case int64:
				c[i] = float64(v)
			default:
				return nil, fmt.Errorf("geo_intersects_bbox: coordinate %d is %T", i+1, a)
			}
		}
		g, err := geo.ParseGeoJSON([]byte(loc))
		if err != nil {
			return nil, fmt.Errorf("geo_intersects_bbox: stored location: %w", err)
		}
		if g.Intersects(geo.Bounds{Min: geo.Point{Lon: c[0], Lat: c[1]}, Max: geo.Point{Lon: c[2], Lat: c[3]}}) {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

// Intersects returns the SQL condition on table (its rows' id, location
// and, on PostgreSQL, geom columns; alias is how the query names the
// table) that holds for the rows whose location meets b, adding its
// parameters with arg.
func Intersects(e Engine, table, alias string, b geo.Bounds, arg func(any) string) string {
	x0, y0, x1, y1 := arg(b.Min.Lon), arg(b.Min.Lat), arg(b.Max.Lon), arg(b.Max.Lat)
	if e == Postgres {
		return fmt.Sprintf("ST_Intersects(%s.geom, ST_MakeEnvelope(%s::float8, %s::float8, %s::float8, %s::float8, 4326))", alias, x0, y0, x1, y1)
	}
	return fmt.Sprintf("%[1]s.id IN (SELECT id FROM %[2]s_rtree WHERE max_lon >= %[3]s AND min_lon <= %[5]s AND max_lat >= %[4]s AND min_lat <= %[6]s)"+
		" AND geo_intersects_bbox(%[1]s.location, %[3]s, %[4]s, %[5]s, %[6]s)", alias, table, x0, y0, x1, y1)
}
