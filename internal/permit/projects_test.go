package permit

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/geo"
)

// TestAuthorisedProjects: the geoportal's layer holds the urban permits
// granted, each at its place, with its number, kind, arrondissement and
// day — never the owner, the address or the title typed — and nothing of
// a file not granted; a box, a time interval, a property and a page
// select among them, on both engines.
func TestAuthorisedProjects(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.committee(t)
		west := sidiOthmane(e.owner)
		west.Title, west.Address = "Villa de Mme Benali", "12 rue 7, Sidi Othmane"
		first := e.granted(t, m, pres, west)
		e.clock.add(48 * time.Hour)
		east := sidiOthmane(e.owner)
		east.Lat, east.Lon = "33.560", "-7.540"
		second := e.granted(t, m, pres, east)
		e.submitted(t, e.architectActor(), sidiOthmane(e.owner)) // not granted: not on the layer

		all, err := e.s.AuthorisedProjects(ctx, geo.FeatureQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if all.Matched != 2 || len(all.Features) != 2 || all.Features[0].ID != first.Number || all.Features[1].ID != second.Number {
			t.Fatalf("the layer: %d matched, %+v; want %s then %s", all.Matched, all.Features, first.Number, second.Number)
		}
		f := all.Features[0]
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, private := range []string{"Benali", "12 rue 7", "Villa"} {
			if strings.Contains(string(b), private) {
				t.Errorf("the published project shows %q: %s", private, b)
			}
		}
		if p := f.Properties; p.Property("kind") != "building" || p.Property("arrondissement") != "sidi-othmane" || p.Property("tacit") != false ||
			f.Geometry.Type != geo.TypePoint || f.Geometry.Point != (geo.Point{Lon: -7.564, Lat: 33.556}) {
			t.Errorf("the project: %s", b)
		}
		// What the record writes is what it says it holds, as
		// encoding/json would write it.
		held := map[string]any{}
		for _, k := range f.Properties.Keys() {
			held[k] = f.Properties.Property(k)
		}
		if _, ok := held["kind_name"].(map[string]string); !ok || held["granted"] == "" {
			t.Errorf("the project's kind name or day missing: %v", held)
		}
		want, _ := json.Marshal(held)
		got, err := f.Properties.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("the project's properties are written\n %s (%v)\nwhere they hold\n %s", got, err, want)
		}

		page := func(q geo.FeatureQuery) []string {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 10
			}
			p, err := e.s.AuthorisedProjects(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range p.Features {
				ids = append(ids, f.ID)
			}
			return ids
		}
		same := func(what string, got []string, want ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		same("a box around the eastern one", page(geo.FeatureQuery{BBox: &geo.Bounds{Min: geo.Point{Lon: -7.55, Lat: 33.55}, Max: geo.Point{Lon: -7.53, Lat: 33.57}}}), second.Number)
		same("granted from the day after the first", page(geo.FeatureQuery{From: first.ClosedAt.Add(time.Hour)}), second.Number)
		same("granted until the first", page(geo.FeatureQuery{To: first.ClosedAt.Add(time.Hour)}), first.Number)
		same("an arrondissement", page(geo.FeatureQuery{Properties: map[string]string{"arrondissement": "sidi-othmane"}}), first.Number, second.Number)
		same("another arrondissement", page(geo.FeatureQuery{Properties: map[string]string{"arrondissement": "anfa"}}))
		same("another kind", page(geo.FeatureQuery{Properties: map[string]string{"kind": "demolition"}}))
		same("the second page of one", page(geo.FeatureQuery{Limit: 1, Offset: 1}), second.Number)
		if past, err := e.s.AuthorisedProjects(ctx, geo.FeatureQuery{Limit: 10, Offset: 5}); err != nil || past.Matched != 2 || len(past.Features) != 0 {
			t.Errorf("a page past the end: %d matched, %d features, %v", past.Matched, len(past.Features), err)
		}
		same("one by its number", page(geo.FeatureQuery{ID: second.Number}), second.Number)
		same("a number that is not", page(geo.FeatureQuery{ID: "SIDI-OTHMANE-1999-00001"}))
	})
}

// TestProjectsBoxAgreesOnBothEngines is the spatial contract: whatever the
// engine (PostGIS on PostgreSQL, an R*Tree on SQLite), a box selects
// exactly the projects whose point or parcel meets it, the parcel's edges
// and the box's edges included — the answer geo.Geometry.Intersects gives.
// Projects move (their location is rewritten), so the index is kept by the
// database on every change.
func TestProjectsBoxAgreesOnBothEngines(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.committee(t)
		var numbers []string
		for range 4 {
			numbers = append(numbers, e.granted(t, m, pres, sidiOthmane(e.owner)).Number)
			e.clock.add(time.Hour)
		}
		rng := rand.New(rand.NewPCG(14, 7))
		boxOnly := 0 // boxes that meet a parcel's box but not the parcel
		coord := func(lo, hi float64) float64 { return math.Round((lo+rng.Float64()*(hi-lo))*1e4) / 1e4 }
		for round := range 25 {
			at := map[string]geo.Geometry{}
			for _, n := range numbers {
				lon, lat := coord(-7.60, -7.50), coord(33.52, 33.60)
				g := geo.NewPoint(geo.Point{Lon: lon, Lat: lat})
				if rng.IntN(2) == 0 { // a triangular parcel: its box holds more than it does
					// (Coordinates of four decimals, sums included: the grid of
					// the exact predicates is 1e-7 degree, stored GeoJSON too.)
					e, n := coord(lon+0.0005, lon+0.02), coord(lat+0.0005, lat+0.02)
					g = geo.NewPolygon(geo.Polygon{{{Lon: lon, Lat: lat}, {Lon: e, Lat: lat}, {Lon: lon, Lat: n}, {Lon: lon, Lat: lat}}})
				}
				b, _ := json.Marshal(g)
				c := g.Centroid()
				if _, err := d.ExecContext(ctx, `UPDATE permit_files SET location = $1, lon = $2, lat = $3 WHERE number = $4`, string(b), c.Lon, c.Lat, n); err != nil {
					t.Fatal(err)
				}
				at[n] = g
			}
			for range 8 {
				// A small box about one project, to meet its parcel's box often.
				nb := at[numbers[rng.IntN(len(numbers))]].Bounds()
				lon, lat := coord(nb.Min.Lon-0.004, nb.Max.Lon), coord(nb.Min.Lat-0.004, nb.Max.Lat)
				box := geo.Bounds{Min: geo.Point{Lon: lon, Lat: lat}, Max: geo.Point{Lon: coord(lon, lon+0.006), Lat: coord(lat, lat+0.006)}}
				if round == 0 { // a box that only touches the first parcel's corner or the point
					g := at[numbers[0]]
					p := g.Point
					if g.Type == geo.TypePolygon {
						p = g.Polygon[0][2]
					}
					box = geo.Bounds{Min: p, Max: geo.Point{Lon: coord(p.Lon+0.01, p.Lon+0.01), Lat: coord(p.Lat+0.01, p.Lat+0.01)}}
				}
				var want []string
				for _, n := range numbers {
					if at[n].Intersects(box) {
						want = append(want, n)
					} else if b := at[n].Bounds(); b.Max.Lon >= box.Min.Lon && b.Min.Lon <= box.Max.Lon && b.Max.Lat >= box.Min.Lat && b.Min.Lat <= box.Max.Lat {
						boxOnly++
					}
				}
				got, err := e.s.AuthorisedProjects(ctx, geo.FeatureQuery{BBox: &box, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, f := range got.Features {
					ids = append(ids, f.ID)
				}
				if strings.Join(ids, ",") != strings.Join(want, ",") || got.Matched != len(want) {
					t.Fatalf("round %d, box %+v: %v (%d matched), want %v", round, box, ids, got.Matched, want)
				}
			}
		}
		if boxOnly < 5 {
			t.Errorf("only %d boxes met a parcel's box without meeting the parcel: the exact predicate was hardly tested", boxOnly)
		}
	})
}

// TestParcelsFiled: the parcel step's search finds the parcels of the
// visitor's own earlier files — by land title (whatever its digits), by
// address, by number — once per title and place, with the earlier
// outline; never another applicant's file, on both engines.
func TestParcelsFiled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		arch := e.architectActor()
		create := func(in Input) *File {
			t.Helper()
			f, err := e.s.Create(ctx, arch, in)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.add(time.Minute)
			return f
		}
		first := create(sidiOthmane(e.owner))
		create(sidiOthmane(e.owner)) // the same parcel again: one answer
		other := sidiOthmane(e.owner)
		other.Address, other.Lat, other.Lon = "5 boulevard Zerktouni", "", ""
		other.GeoJSON = `{"type":"Polygon","coordinates":[[[-7.5645,33.5555],[-7.5635,33.5555],[-7.5635,33.5565],[-7.5645,33.5565],[-7.5645,33.5555]]]}`
		other.Fields = Values{"owner_kind": "person", "land_title": "98765/D", "use": "housing", "upper_floors": "1", "built_area": "160", "land_area": "120"}
		outline := create(other)

		find := func(a authz.Actor, q string) []geo.Feature {
			t.Helper()
			fs, err := e.s.ParcelsFiled(ctx, a, q, 10)
			if err != nil {
				t.Fatal(err)
			}
			return fs
		}
		if fs := find(arch, "12345/c"); len(fs) != 1 || fs[0].Properties.Property("land_title") != "12345/C" ||
			fs[0].Geometry.Type != geo.TypePoint || fs[0].Properties.Property("arrondissement") != "sidi-othmane" {
			t.Fatalf("by land title: %+v", fs)
		}
		if fs := find(arch, "١٢٣٤٥"); len(fs) != 1 {
			t.Errorf("by land title in Arabic-Indic digits: %d parcels", len(fs))
		}
		if fs := find(arch, "ZERKTOUNI"); len(fs) != 1 || fs[0].Geometry.Type != geo.TypePolygon || fs[0].ID != outline.Ref {
			t.Errorf("by address: %+v", fs)
		}
		if fs := find(arch, first.Ref); len(fs) != 1 || fs[0].ID != first.Ref {
			t.Errorf("by the file's reference: %+v", fs)
		}
		if fs := find(e.ownerActor(), "98765"); len(fs) != 1 {
			t.Errorf("the owner the files were filed for finds %d", len(fs))
		}
		stranger := authz.Actor{Person: e.person(t, "stranger@example.ma", "fr"), EmailVerified: true, Now: e.clock.now()}
		if fs := find(stranger, "12345"); len(fs) != 0 {
			t.Errorf("a stranger finds another applicant's parcels: %+v", fs)
		}
		if fs := find(authz.Actor{}, "12345"); len(fs) != 0 {
			t.Errorf("an anonymous visitor finds %+v", fs)
		}
		if fs := find(arch, "  "); len(fs) != 0 {
			t.Errorf("an empty search finds %+v", fs)
		}
	})
}
