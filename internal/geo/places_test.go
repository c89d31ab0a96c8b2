package geo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	geom "madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

func newPlaces(t *testing.T, d *db.DB) *Places {
	t.Helper()
	ds := district.NewStore(d)
	if _, err := ds.Load(context.Background(), district.Casablanca(), "test"); err != nil {
		t.Fatal(err)
	}
	return NewPlaces(d, ds)
}

// editor returns an editor of arr ("" for the whole commune), a person of
// the database.
func editor(t *testing.T, d *db.DB, id int64, arr string) authz.Actor {
	t.Helper()
	now := time.Now()
	if _, err := d.ExecContext(context.Background(), `INSERT INTO persons (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $2, $3, $3)`,
		id, fmt.Sprintf("editor%d@example.ma", id), now); err != nil {
		t.Fatal(err)
	}
	return authz.Actor{Person: id, EmailVerified: true, MFA: true, Now: now, Grants: []authz.Grant{{Role: authz.Editor, Org: "commune", Arrondissement: arr}}}
}

var sidiOthmaneHall = Place{Code: "salle-omnisports-sidi-othmane", Category: "sports-hall",
	Name:    textOf("القاعة المغطاة سيدي عثمان", "Salle omnisports de Sidi Othmane", "Sidi Othmane sports hall"),
	Address: textOf("شارع محمد بوزيان", "Boulevard Mohamed Bouziane", "Mohamed Bouziane Boulevard"),
	Point:   geom.Point{Lon: -7.5525, Lat: 33.5688}, Hours: "Mo-Fr 08:00-22:00; Sa,Su 09:00-18:00", Phone: "+212 522 00 00 00"}

// TestPlacesAreKeptAndFound: an editor adds a place, which is assigned to
// its arrondissement by its point, found by a word of any of its names
// however it is spelt, by category, arrondissement and box; a change is
// made on the version read, and a stale one is refused; on both engines.
func TestPlacesAreKeptAndFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newPlaces(t, d)
		ed := editor(t, d, 7, "")
		p, err := s.Save(ctx, ed, sidiOthmaneHall, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Arrondissement != "sidi-othmane" || p.Version != 1 || p.Name.FR != sidiOthmaneHall.Name.FR {
			t.Fatalf("the saved place: %+v", p)
		}
		found := func(q PlaceQuery) []string {
			t.Helper()
			q.Limit = 10
			page, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, p := range page.Places {
				codes = append(codes, p.Code)
			}
			return codes
		}
		for _, q := range []PlaceQuery{{Q: "المغطاه"}, {Q: "OMNISPORTS othmane"}, {Q: "hall"}, {Category: "sports-hall"},
			{Arrondissement: "sidi-othmane"}, {BBox: &geom.Bounds{Min: geom.Point{Lon: -7.56, Lat: 33.56}, Max: geom.Point{Lon: -7.55, Lat: 33.57}}}} {
			if got := found(q); len(got) != 1 || got[0] != p.Code {
				t.Errorf("%+v finds %v", q, got)
			}
		}
		for _, q := range []PlaceQuery{{Q: "piscine"}, {Category: "school"}, {Arrondissement: "anfa"}, {Q: "50%"},
			{BBox: &geom.Bounds{Min: geom.Point{Lon: -7.60, Lat: 33.56}, Max: geom.Point{Lon: -7.59, Lat: 33.57}}}} {
			if got := found(q); len(got) != 0 {
				t.Errorf("%+v finds %v", q, got)
			}
		}

		changed := p
		changed.Hours = "Mo-Su 08:00-23:00"
		if _, err := s.Save(ctx, ed, changed, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Save(ctx, ed, changed, 1); !errs.Is(err, errs.Conflict) {
			t.Errorf("a change on a stale version: %v", err)
		}
		if _, err := s.Save(ctx, ed, sidiOthmaneHall, 0); !errs.Is(err, errs.Conflict) {
			t.Errorf("a second place of the same code: %v", err)
		}
		if got, _ := s.Place(ctx, p.Code); got.Version != 2 || got.Hours != "Mo-Su 08:00-23:00" {
			t.Errorf("after the change: %+v", got)
		}

		// Anfa's editor keeps Anfa's places, not Sidi Othmane's.
		anfa := editor(t, d, 8, "anfa")
		other := changed
		other.Phone = "+212 522 11 11 11"
		if _, err := s.Save(ctx, anfa, other, 2); !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Forbidden) {
			t.Errorf("Anfa's editor changed a place of Sidi Othmane: %v", err)
		}
		moved := other
		moved.Point = geom.Point{Lon: -7.633, Lat: 33.5897} // to Anfa
		if _, err := s.Save(ctx, anfa, moved, 2); err == nil {
			t.Errorf("Anfa's editor moved a place of Sidi Othmane into Anfa")
		}
		if got, _ := s.Place(ctx, p.Code); got.Version != 2 || got.Arrondissement != "sidi-othmane" {
			t.Errorf("after the refused changes: %+v", got)
		}
	})
}

// TestPlaceMistakes: a place says everything wrong with it at once, in
// keys the pages translate; a point out of the city is refused with the
// city's name; nothing is saved.
func TestPlaceMistakes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newPlaces(t, d)
		ed := editor(t, d, 7, "")
		bad := Place{Code: "Salle Omnisports", Category: "stadium", Name: textOf("", "Salle", "Hall"), Hours: "Mo-Fr 18:00-08:00",
			Phone: "call us", Email: "not an address", Website: "javascript:alert(1)", Point: geom.Point{Lon: -7.55, Lat: 33.57}}
		_, err := s.Save(ctx, ed, bad, 0)
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid {
			t.Fatalf("a bad place: %v", err)
		}
		fields := map[string]bool{e.Field: true}
		for _, f := range e.Faults {
			fields[f.Field] = true
		}
		for _, f := range []string{"code", "category", "name_ar", "hours", "phone", "email", "website"} {
			if !fields[f] {
				t.Errorf("no mistake on %s: %v", f, err)
			}
		}
		out := sidiOthmaneHall
		out.Point = geom.Point{Lon: -7.3, Lat: 33.6}
		if _, err := s.Save(ctx, ed, out, 0); errs.As(err) == nil || errs.As(err).Key != "geo.place.error.outside" {
			t.Errorf("a place out of the city: %v", err)
		}
		if page, _ := s.Search(ctx, PlaceQuery{}); page.Matched != 0 {
			t.Errorf("%d places saved", page.Matched)
		}
	})
}

const placesCSV = `code,category,name_ar,name_fr,name_en,address_fr,lat,lon,hours,phone
salle-omnisports-sidi-othmane,sports-hall,القاعة المغطاة سيدي عثمان,Salle omnisports de Sidi Othmane,Sidi Othmane sports hall,Bd Mohamed Bouziane,33.5688,-7.5525,Mo-Fr 08:00-22:00,+212 522 00 00 00
marche-anfa,market,سوق أنفا,Marché d'Anfa,Anfa market,,33.5897,-7.6330,,
`

// TestImportPlaces: a CSV file and a GeoJSON file add places, the same
// file again changes nothing, a changed line updates its place; a file
// with mistakes says each with its line or feature and changes nothing —
// on both engines.
func TestImportPlaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newPlaces(t, d)
		ed := editor(t, d, 7, "")
		rep, err := s.Import(ctx, ed, "places.csv", []byte(placesCSV))
		if err != nil || rep != (ImportReport{Added: 2}) {
			t.Fatalf("the CSV file: %+v, %v", rep, err)
		}
		if rep, err := s.Import(ctx, ed, "places.csv", []byte(placesCSV)); err != nil || rep != (ImportReport{Unchanged: 2}) {
			t.Errorf("the same file again: %+v, %v", rep, err)
		}
		changed := strings.Replace(placesCSV, "Mo-Fr 08:00-22:00", "Mo-Sa 08:00-22:00", 1)
		if rep, err := s.Import(ctx, ed, "places.csv", []byte(changed)); err != nil || rep != (ImportReport{Changed: 1, Unchanged: 1}) {
			t.Errorf("a changed line: %+v, %v", rep, err)
		}
		if p, _ := s.Place(ctx, "marche-anfa"); p.Arrondissement != "anfa" || p.Source != "places.csv" {
			t.Errorf("the imported market: %+v", p)
		}

		geojson := `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5290,33.5790]},
			 "properties":{"code":"ecole-sidi-moumen-1","category":"school","name_ar":"مدرسة سيدي مومن 1","name_fr":"École Sidi Moumen 1","name_en":"Sidi Moumen School 1","osm_id":"n123"}}]}`
		if rep, err := s.Import(ctx, ed, "schools.geojson", []byte(geojson)); err != nil || rep != (ImportReport{Added: 1}) {
			t.Fatalf("the GeoJSON file: %+v, %v", rep, err)
		}

		before, _ := s.Search(ctx, PlaceQuery{})
		for _, c := range []struct {
			name, file, data string
			want             []ImportProblem // Line, Feature, Key (Field when given)
		}{
			{"mistakes on two lines", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\n" +
				"parc-1,park,حديقة,Parc,Park,33.57,-7.60\n" +
				"parc-2,park,حديقة 2,Parc 2,,33.57,-7.60\n" +
				"parc-3,zoo,حديقة 3,Parc 3,Park 3,95,-7.60\n",
				[]ImportProblem{{Line: 3, Key: "geo.place.error.name_missing"}, {Line: 4, Key: "geo.place.error.category"}, {Line: 4, Field: "lat"}}},
			{"a code twice", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\n" +
				"parc-1,park,حديقة,Parc,Park,33.57,-7.60\nparc-1,park,حديقة ب,Parc B,Park B,33.58,-7.61\n",
				[]ImportProblem{{Line: 3, Key: "geo.import.error.code_twice"}}},
			{"one place under two codes", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\n" +
				"parc-1,park,حديقة,Parc Murdoch,Park,33.57,-7.60\nparc-2,park,حديقة ب,Parc  MURDOCH,Park B,33.5701,-7.6001\n",
				[]ImportProblem{{Line: 3, Key: "geo.import.error.duplicate"}}},
			{"a place already in the directory", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\n" +
				"salle-so,sports-hall,قاعة,Salle omnisports de Sidi Othmane,Hall,33.56885,-7.55252\n",
				[]ImportProblem{{Line: 2, Key: "geo.import.error.duplicate_existing"}}},
			{"a column unknown and one missing", "p.csv", "code,category,name_ar,name_fr,name_en,lat,longitude\n",
				[]ImportProblem{{Line: 1, Key: "geo.import.error.column"}, {Line: 1, Key: "geo.import.error.column_missing"}}},
			{"a line of too few cells", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\nparc-1,park\n",
				[]ImportProblem{{Line: 2, Key: "geo.import.error.cells"}}},
			{"a hidden control character", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\nparc-1,park,حديقة\u202e,Parc,Park,33.57,-7.60\n",
				[]ImportProblem{{Line: 2, Field: "name_ar"}}},
			{"out of the city", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\nparc-1,park,حديقة,Parc,Park,34.02,-6.83\n",
				[]ImportProblem{{Line: 2, Key: "geo.place.error.outside"}}},
			{"mixed types and an unclosed ring", "p.geojson", `{"type":"FeatureCollection","features":[
				{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.60,33.57]},"properties":{"code":"parc-1","category":"park","name_ar":"حديقة","name_fr":"Parc","name_en":"Park"}},
				{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[-7.6,33.5],[-7.5,33.5],[-7.5,33.6],[-7.6,33.6],[-7.6,33.5]]]},"properties":{"code":"parc-2"}},
				{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[-7.6,33.5],[-7.5,33.5],[-7.5,33.6]]]},"properties":{"code":"parc-3"}}]}`,
				[]ImportProblem{{Feature: 2, Key: "geo.import.error.not_point"}, {Feature: 3, Key: "geo.import.error.geometry"}}},
			{"not GeoJSON", "p.geojson", `{"type":"Feature"`, []ImportProblem{{Key: "geo.import.error.geojson"}}},
			{"an empty file", "p.csv", "code,category,name_ar,name_fr,name_en,lat,lon\n", []ImportProblem{{Key: "geo.import.error.empty"}}},
		} {
			_, err := s.Import(ctx, ed, c.file, []byte(c.data))
			ie, ok := err.(*ImportError)
			if !ok {
				t.Errorf("%s: %v, want the file's mistakes", c.name, err)
				continue
			}
			for _, w := range c.want {
				hit := false
				for _, p := range ie.Problems {
					if p.Line == w.Line && p.Feature == w.Feature && (w.Key == "" || p.Key == w.Key) && (w.Field == "" || p.Field == w.Field) {
						hit = true
					}
				}
				if !hit {
					t.Errorf("%s: no %+v among %+v", c.name, w, ie.Problems)
				}
			}
			if len(ie.Problems) != len(c.want) && c.name != "mistakes on two lines" {
				t.Errorf("%s: %d mistakes, want %d: %+v", c.name, len(ie.Problems), len(c.want), ie.Problems)
			}
		}
		if after, _ := s.Search(ctx, PlaceQuery{}); after.Matched != before.Matched {
			t.Errorf("files with mistakes changed the directory: %d places, were %d", after.Matched, before.Matched)
		}

		// An editor of Anfa imports Anfa's places, not Sidi Othmane's.
		anfa := editor(t, d, 8, "anfa")
		if _, err := s.Import(ctx, anfa, "places.csv", []byte(placesCSV)); err == nil {
			t.Error("Anfa's editor imported a place of Sidi Othmane")
		}
	})
}

// TestImportsRaceToOneDirectory: two editors importing the same file at
// once leave each place once, whoever wins; on both engines.
func TestImportsRaceToOneDirectory(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newPlaces(t, d)
		eds := []authz.Actor{editor(t, d, 7, ""), editor(t, d, 8, "")}
		var wg sync.WaitGroup
		errsSeen := make([]error, len(eds))
		for i, ed := range eds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errsSeen[i] = s.Import(ctx, ed, "places.csv", []byte(placesCSV))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errsSeen {
			if err == nil {
				ok++
			} else if !errs.Is(err, errs.Conflict) {
				t.Errorf("a racing import: %v", err)
			}
		}
		if page, _ := s.Search(ctx, PlaceQuery{}); ok == 0 || page.Matched != 2 {
			t.Errorf("%d imports went through, %d places", ok, page.Matched)
		}
	})
}

func textOf(ar, fr, en string) i18n.Text { return i18n.Text{AR: ar, FR: fr, EN: en} }
