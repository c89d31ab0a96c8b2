package complaint

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	geom "madina/internal/platform/geo"
)

// TestRequestsLayer: the public map's layer holds the requests filed with
// a point, newest first, with their category, arrondissement, state and
// dates only; a private-life request and one held for review are not on
// it; box, time, properties and pages select among them, on both engines.
func TestRequestsLayer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		file := func(in Input) *Request {
			t.Helper()
			r, err := e.s.File(ctx, e.actor(e.citizen), in)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.add(time.Hour)
			return r
		}
		first := file(lighting())
		anfa := lighting()
		anfa.Lat, anfa.Lon, anfa.Arrondissement = "33.5930", "-7.6460", "anfa"
		second := file(anfa)
		file(Input{Category: "noise", Lat: sidiMoumenLat, Lon: sidiMoumenLon, Address: "12 rue des Lilas", Arrondissement: "sidi-moumen",
			Description: "Le voisin du 3e fait la fête", Answers: map[string]string{"when": "night"}})
		held := file(lighting())
		// Held for staff review (a flood): set as the flood rule sets it.
		if _, err := d.ExecContext(ctx, `UPDATE complaint_requests SET held_at = $1 WHERE id = $2`, e.clock.now(), held.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Move(ctx, e.officer(e.lydec, "lydec", ""), first.ID, 0, CAcknowledge, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Move(ctx, e.officer(e.lydec, "lydec", ""), first.ID, 0, CResolve, "Lampe remplacée."); err != nil {
			t.Fatal(err)
		}

		page := func(q geom.FeatureQuery) []string {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 10
			}
			p, err := e.s.RequestFeatures(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range p.Features {
				ids = append(ids, f.ID)
			}
			if q.Offset == 0 && p.Matched != len(ids) {
				t.Errorf("%+v: %d matched, %d on the page", q, p.Matched, len(ids))
			}
			return ids
		}
		if got := page(geom.FeatureQuery{}); !slices.Equal(got, []string{second.Number, first.Number}) {
			t.Fatalf("the layer holds %v, want %s then %s (newest first; no private-life or held request)", got, second.Number, first.Number)
		}
		all, _ := e.s.RequestFeatures(ctx, geom.FeatureQuery{Limit: 10})
		f := all.Features[1]
		if f.Geometry.Point != (geom.Point{Lon: -7.529, Lat: 33.579}) {
			t.Errorf("the point: %+v", f.Geometry)
		}
		p := f.Properties
		name, _ := p.Property("category_name").(map[string]string)
		if p.Property("status") != "closed" || p.Property("state") != "resolved" || p.Property("resolved") == nil ||
			p.Property("arrondissement") != "sidi-moumen" || name["fr"] == "" {
			t.Errorf("the resolved request's properties: %v", p)
		}
		b, _ := f.MarshalJSON()
		for _, private := range []string{"0612345678", "fatima", "L-2231", "Lampe", "Alaoui"} {
			if strings.Contains(string(b), private) {
				t.Errorf("the layer shows %q: %s", private, b)
			}
		}
		one := func(want string, q geom.FeatureQuery) {
			t.Helper()
			if got := page(q); len(got) != 1 || got[0] != want {
				t.Errorf("%+v: %v, want %s", q, got, want)
			}
		}
		one(second.Number, geom.FeatureQuery{BBox: &geom.Bounds{Min: geom.Point{Lon: -7.70, Lat: 33.55}, Max: geom.Point{Lon: -7.60, Lat: 33.62}}})
		one(second.Number, geom.FeatureQuery{Properties: map[string]string{"arrondissement": "anfa"}})
		one(second.Number, geom.FeatureQuery{Properties: map[string]string{"status": "open"}})
		one(first.Number, geom.FeatureQuery{Properties: map[string]string{"status": "closed", "category": "lighting"}})
		one(first.Number, geom.FeatureQuery{ID: first.Number})
		one(second.Number, geom.FeatureQuery{From: second.FiledAt})
		one(first.Number, geom.FeatureQuery{To: first.FiledAt})
		one(first.Number, geom.FeatureQuery{Offset: 1})
		if got := page(geom.FeatureQuery{Properties: map[string]string{"status": "pending"}}); len(got) != 0 {
			t.Errorf("an unknown status matches %v", got)
		}
		if got := page(geom.FeatureQuery{ID: held.Number}); len(got) != 0 {
			t.Errorf("the held request by its number: %v", got)
		}
		if p, err := e.s.RequestFeatures(ctx, geom.FeatureQuery{Limit: 1, Offset: 5}); err != nil || p.Matched != 2 || len(p.Features) != 0 {
			t.Errorf("a page past the end: %d matched, %d features, %v", p.Matched, len(p.Features), err)
		}
	})
}
