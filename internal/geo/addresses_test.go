package geo

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/textin"
)

var system = authz.Actor{System: true}

func newAddresses(t *testing.T, d *db.DB) *Addresses {
	t.Helper()
	ds := district.NewStore(d)
	if _, err := ds.Load(context.Background(), district.Casablanca(), "test"); err != nil {
		t.Fatal(err)
	}
	return NewAddresses(d, ds)
}

// labels are the labels of as, in order.
func labels(as []Address) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Label)
	}
	return out
}

// The GIS department's file: points in Sidi Othmane, with the labels as
// written, in French and in Arabic (Arabic-Indic digits, hamzas, teh
// marbuta).
const gisCSV = "address,lat,lon\r\n" +
	`"12, rue Ibn Batouta",33.5688,-7.5525` + "\r\n" +
	`"120, rue Ibn Batouta",33.5690,-7.5520` + "\r\n" +
	"١٢ زنقة ابن بطوطة,33.5686,-7.5527\r\n" +
	"\r\n" + // a blank line is nothing
	"٣ زنقة إدريس الأول,33.5680,-7.5530\r\n" +
	`"5, boulevard de la Résistance",33.5684,-7.5522` + "\n"

const gisGeoJSON = `{"type":"FeatureCollection","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5525,33.5688]},"properties":{"address":"7, place des Nations-Unies","id":"n-7"}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5530,33.5682]},"properties":{"address":"9 rue Ibn Batouta"}}]}`

// TestImportAddresses: a gazetteer imported from CSV and another from
// GeoJSON, each address in its arrondissement; found by its words however
// spelt, the shortest first; a source imported again replaces its
// addresses and leaves the other's; on both engines.
func TestImportAddresses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newAddresses(t, d)
		rep, err := s.Import(ctx, system, "SIG Casablanca 2026", "adresses.csv", []byte("\uFEFF"+gisCSV))
		if err != nil {
			t.Fatal(err)
		}
		if want := (AddressReport{Source: "SIG Casablanca 2026", Imported: 5}); rep != want {
			t.Errorf("report %+v, want %+v", rep, want)
		}
		rep, err = s.Import(ctx, system, "Cadastre", "points", []byte(gisGeoJSON)) // no extension: the content says GeoJSON
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 2 || rep.Replaced != 0 {
			t.Errorf("GeoJSON report %+v", rep)
		}
		all, err := s.Search(ctx, "ibn batouta", 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"9 rue Ibn Batouta", "12, rue Ibn Batouta", "120, rue Ibn Batouta"}, labels(all)); diff != "" {
			t.Errorf("ibn batouta, shortest first (-want +got):\n%s", diff)
		}
		for _, a := range all {
			if a.Arrondissement != "sidi-othmane" {
				t.Errorf("%s in %q", a.Label, a.Arrondissement)
			}
		}
		if all[0].Source != "Cadastre" || all[1].Source != "SIG Casablanca 2026" || all[1].Point.Lat != 33.5688 || all[1].Point.Lon != -7.5525 {
			t.Errorf("addresses read back: %+v", all)
		}
		for q, want := range map[string][]string{
			"12 زنقه ابن بطوطه":  {"١٢ زنقة ابن بطوطة"},  // Western digits, ة typed ه
			"١٢ بطوطة":           {"١٢ زنقة ابن بطوطة"},  // the label's own digits
			"ادريس الاول":        {"٣ زنقة إدريس الأول"}, // alef without hamza
			"RESISTANCE":         {"5, boulevard de la Résistance"},
			"boulevard  résist.": {"5, boulevard de la Résistance"},
			"nations unies":      {"7, place des Nations-Unies"},
			"12 rue":             {"12, rue Ibn Batouta", "120, rue Ibn Batouta"},
			"rue 12 batouta":     {"12, rue Ibn Batouta", "120, rue Ibn Batouta"}, // words in any order
			"derb sultan":        {},
			"100%":               {},
			"_":                  {},
		} {
			got, err := s.Search(ctx, q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, labels(got)); diff != "" {
				t.Errorf("%q (-want +got):\n%s", q, diff)
			}
		}
		if got, _ := s.Search(ctx, "batouta", 1); len(got) != 1 {
			t.Errorf("limit 1: %v", labels(got))
		}

		// Next year's file of the same gazetteer replaces it whole; the
		// cadastre's points stay.
		rep, err = s.Import(ctx, system, "SIG Casablanca 2026", "adresses-2027.csv", []byte("address,lon,lat\n14 rue Ibn Batouta,-7.5524,33.5689\n"))
		if err != nil {
			t.Fatal(err)
		}
		if want := (AddressReport{Source: "SIG Casablanca 2026", Imported: 1, Replaced: 5}); rep != want {
			t.Errorf("re-import: %+v, want %+v", rep, want)
		}
		got, err := s.Search(ctx, "batouta", 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"9 rue Ibn Batouta", "14 rue Ibn Batouta"}, labels(got)); diff != "" {
			t.Errorf("after the re-import (-want +got):\n%s", diff)
		}
		for src, want := range map[string]int{"": 3, "Cadastre": 2, "SIG Casablanca 2026": 1} {
			if n, err := s.Count(ctx, src); err != nil || n != want {
				t.Errorf("count %q: %d, %v; want %d", src, n, err, want)
			}
		}
	})
}

// TestAddressMistakes: every kind of mistake of a file is reported with
// its line or feature, all at once, and a file with any changes nothing;
// on both engines.
func TestAddressMistakes(t *testing.T) {
	type problem struct {
		Line, Feature int
		Key           string
	}
	const in, out = "33.5688,-7.5525", "33.0,-7.0"
	cases := []struct {
		name, file, data string
		want             []problem
	}{
		{"unknown column", "a.csv", "address,lat,lon,postcode\n1 rue A," + in + ",20000\n", []problem{{1, 0, "geo.import.error.column"}}},
		{"missing column", "a.csv", "address,lat\n1 rue A,33.5\n", []problem{{1, 0, "geo.import.error.column_missing"}}},
		{"column twice", "a.csv", "address,lat,lon,lat\n", []problem{{1, 0, "geo.import.error.column_twice"}}},
		{"every mistake of the lines", "a.csv", "address,lat,lon\n" +
			"1 rue A," + in + "\n" +
			"2 rue A,33.5688\n" +
			"," + in + "\n" +
			"4 rue A,nord,ouest\n" +
			"5 rue A," + out + "\n" +
			"6 rue\x01A," + in + "\n" +
			strings.Repeat("7", 201) + "," + in + "\n" +
			"8 rue A,91,-7.5\n",
			[]problem{{3, 0, "geo.import.error.cells"}, {4, 0, "geo.addresses.error.label"}, {5, 0, "geo.place.error.point"},
				{6, 0, "geo.place.error.outside"}, {7, 0, textin.KeyControl}, {8, 0, "geo.addresses.error.label_long"}, {9, 0, "geo.place.error.point"}}},
		{"bad CSV", "a.csv", "address,lat,lon\n\"1 rue A," + in + "\n", []problem{{2, 0, "geo.import.error.csv"}}},
		{"no address", "a.csv", "address,lat,lon\n", []problem{{0, 0, "geo.addresses.error.empty"}}},
		{"not a collection", "a.geojson", `{"type":"Feature"}`, []problem{{0, 0, "geo.import.error.geojson"}}},
		{"features", "a.geojson", `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[-7.55,33.56],[-7.56,33.57],[-7.55,33.57],[-7.55,33.56]]]},"properties":{"address":"1 rue A"}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.0,33.0]},"properties":{"address":"2 rue A"}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5525,33.5688]},"properties":{"address":3}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5525]},"properties":{"address":"4 rue A"}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[-7.5525,33.5688]},"properties":{}},
			{"type":"Thing"}]}`,
			[]problem{{0, 1, "geo.addresses.error.not_point"}, {0, 2, "geo.place.error.outside"}, {0, 3, "geo.import.error.property"},
				{0, 4, "geo.import.error.geometry"}, {0, 5, "geo.addresses.error.label"}, {0, 6, "geo.import.error.feature"}}},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newAddresses(t, d)
		if _, err := s.Import(ctx, system, "SIG", "a.csv", []byte(gisCSV)); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Import(ctx, system, "SIG", c.file, []byte(c.data))
				var ie *ImportError
				if !errors.As(err, &ie) {
					t.Fatalf("err %v, want an *ImportError", err)
				}
				got := []problem{}
				for _, p := range ie.Problems {
					got = append(got, problem{p.Line, p.Feature, p.Key})
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				if n, err := s.Count(ctx, ""); err != nil || n != 5 {
					t.Errorf("after a refused file the gazetteer holds %d addresses (%v), want the 5 it had", n, err)
				}
			})
		}
		// Not the file's mistakes: no source, a source too long, a file
		// too large, and someone other than the operator.
		for name, c := range map[string]struct {
			actor  authz.Actor
			source string
			data   []byte
			kind   errs.Kind
			field  string
		}{
			"no source":     {system, "  ", []byte(gisCSV), errs.Invalid, "source"},
			"long source":   {system, strings.Repeat("s", 101), []byte(gisCSV), errs.Invalid, "source"},
			"too large":     {system, "SIG", make([]byte, MaxImportBytes+1), errs.Invalid, "file"},
			"an editor":     {editor(t, d, 8, ""), "SIG", []byte(gisCSV), errs.Forbidden, ""},
			"no one at all": {authz.Actor{}, "SIG", []byte(gisCSV), errs.Unauthenticated, ""},
		} {
			_, err := s.Import(ctx, c.actor, c.source, "a.csv", c.data)
			e := errs.As(err)
			if e == nil || e.Kind != c.kind || e.Field != c.field {
				t.Errorf("%s: %v, want %v on %q", name, err, c.kind, c.field)
			}
		}
		if n, _ := s.Count(ctx, ""); n != 5 {
			t.Errorf("the gazetteer holds %d addresses, want 5", n)
		}
	})
}

// TestImportsOfOneSourceRace: two imports of one source at once leave one
// file's addresses, never both; on both engines.
func TestImportsOfOneSourceRace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newAddresses(t, d)
		files := []string{gisCSV, "address,lat,lon\n1 rue B,33.5688,-7.5525\n2 rue B,33.5689,-7.5525\n"}
		for range 3 {
			var wg sync.WaitGroup
			errc := make(chan error, len(files))
			for _, f := range files {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.Import(ctx, system, "SIG", "a.csv", []byte(f))
					errc <- err
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n, err := s.Count(ctx, "SIG"); err != nil || (n != 5 && n != 2) {
				t.Fatalf("after two imports at once the source holds %d addresses (%v), want one file's, 5 or 2", n, err)
			}
		}
	})
}
