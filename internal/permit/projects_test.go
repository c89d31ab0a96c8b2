package permit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

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
		if f.Properties["kind"] != "building" || f.Properties["arrondissement"] != "sidi-othmane" || f.Properties["tacit"] != false ||
			f.Geometry.Type != geo.TypePoint || f.Geometry.Point != (geo.Point{Lon: -7.564, Lat: 33.556}) {
			t.Errorf("the project: %s", b)
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
		same("one by its number", page(geo.FeatureQuery{ID: second.Number}), second.Number)
		same("a number that is not", page(geo.FeatureQuery{ID: "SIDI-OTHMANE-1999-00001"}))
	})
}
