package district

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
)

func TestCasablancaReference(t *testing.T) {
	ref := Casablanca()
	n := 0
	for _, p := range ref.Prefectures {
		n += len(p.Arrondissements)
	}
	if len(ref.Prefectures) != 8 || n != 16 || len(ref.Windows) != 17 {
		t.Fatalf("%d prefectures, %d arrondissements, %d windows", len(ref.Prefectures), n, len(ref.Windows))
	}
}

func TestValidateRefusesBrokenReferences(t *testing.T) {
	breakers := map[string]func(*Reference){
		"missing French name": func(r *Reference) { r.Prefectures[0].Arrondissements[0].Name.FR = " " },
		"duplicate arrondissement": func(r *Reference) {
			r.Prefectures[1].Arrondissements[0].Code = r.Prefectures[0].Arrondissements[0].Code
		},
		"two city windows":                        func(r *Reference) { r.Windows[1].Kind, r.Windows[1].Arrondissement = CityWindow, "" },
		"window of unknown place":                 func(r *Reference) { r.Windows[2].Arrondissement = "atlantis" },
		"arrondissement sans window":              func(r *Reference) { r.Windows = r.Windows[:len(r.Windows)-1] },
		"bad code":                                func(r *Reference) { r.Prefectures[0].Code = "Anfa Prefecture" },
		"no boundary":                             func(r *Reference) { r.Boundary = geo.Geometry{} },
		"a point for a boundary":                  func(r *Reference) { r.Boundary = geo.NewPoint(geo.Point{Lon: -7.6, Lat: 33.57}) },
		"one arrondissement without its boundary": func(r *Reference) { r.Prefectures[2].Arrondissements[1].Boundary = nil },
		"an arrondissement's boundary crossing itself": func(r *Reference) {
			g := geo.NewPolygon(geo.Polygon{{{Lon: -7.6, Lat: 33.55}, {Lon: -7.55, Lat: 33.58}, {Lon: -7.55, Lat: 33.55}, {Lon: -7.6, Lat: 33.58}, {Lon: -7.6, Lat: 33.55}}})
			r.Prefectures[0].Arrondissements[0].Boundary = &g
		},
		"an arrondissement with latitude and longitude swapped": func(r *Reference) {
			g := *r.Prefectures[0].Arrondissements[0].Boundary
			var ring []geo.Point
			for _, p := range g.Polygon[0] {
				ring = append([]geo.Point{{Lon: p.Lat, Lat: p.Lon}}, ring...)
			}
			sw := geo.NewPolygon(geo.Polygon{ring})
			r.Prefectures[0].Arrondissements[0].Boundary = &sw
		},
		"a boundary crossing itself": func(r *Reference) {
			r.Boundary = geo.NewPolygon(geo.Polygon{{{Lon: -7.7, Lat: 33.5}, {Lon: -7.5, Lat: 33.6}, {Lon: -7.5, Lat: 33.5}, {Lon: -7.7, Lat: 33.6}, {Lon: -7.7, Lat: 33.5}}})
		},
	}
	for name, breakIt := range breakers {
		ref := Casablanca()
		breakIt(&ref)
		if err := ref.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := ParseReference([]byte(`{"prefectures": [`)); !errs.Is(err, errs.Invalid) {
		t.Errorf("malformed file: %v", err)
	}
}

func TestLoadIsIdempotentAuditedAndUpdates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		if empty, err := s.Empty(ctx); err != nil || !empty {
			t.Fatalf("Empty = %v, %v", empty, err)
		}
		ref := Casablanca()
		for i, want := range []bool{true, false} {
			changed, err := s.Load(ctx, ref, "test")
			if err != nil || changed != want {
				t.Fatalf("load #%d: changed %v, %v", i+1, changed, err)
			}
		}
		// A renamed arrondissement is updated, not duplicated, and audited.
		ref.Prefectures[0].Arrondissements[1].Name.EN = "Maarif (renamed)"
		if changed, err := s.Load(ctx, ref, "test"); err != nil || !changed {
			t.Fatalf("rename: %v %v", changed, err)
		}
		a, p, w, err := s.Arrondissement(ctx, "maarif")
		if err != nil || a.Name.EN != "Maarif (renamed)" || p.Code != "casablanca-anfa" || w.Code != "maarif" {
			t.Fatalf("%+v %+v %+v %v", a, p, w, err)
		}
		as, _ := s.Arrondissements(ctx)
		if len(as) != 16 {
			t.Fatalf("%d arrondissements", len(as))
		}
		recs, err := audit.New(d).List(ctx, audit.Filter{ObjectType: "city", ObjectID: "casablanca"})
		if err != nil || len(recs) != 2 {
			t.Fatalf("audit records %d, %v; want 2 (first load and rename)", len(recs), err)
		}
		if _, _, _, err := s.Arrondissement(ctx, "atlantis"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown: %v", err)
		}
		// An invalid reference changes nothing.
		bad := Casablanca()
		bad.Windows = bad.Windows[:3]
		if _, err := s.Load(ctx, bad, "test"); err == nil {
			t.Fatal("invalid reference loaded")
		}
		ws, _ := s.Windows(ctx)
		if len(ws) != 17 || ws[0].Kind != CityWindow {
			t.Fatalf("windows %d", len(ws))
		}
	})
}

// The database itself refuses a second city window and an arrondissement
// window without an arrondissement, whatever the Go code does.
func TestSchemaHoldsWindowInvariants(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := NewStore(d).Load(ctx, Casablanca(), "test"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO windows (code, kind, name_ar, name_fr, name_en) VALUES ('city2', 'city', 'a', 'b', 'c')`,
			`INSERT INTO windows (code, kind, name_ar, name_fr, name_en) VALUES ('w', 'arrondissement', 'a', 'b', 'c')`,
			`INSERT INTO windows (code, kind, arrondissement_code, name_ar, name_fr, name_en) VALUES ('w2', 'arrondissement', 'anfa', 'a', 'b', 'c')`,
			`INSERT INTO arrondissements (code, prefecture_code, name_ar, name_fr, name_en, position) VALUES ('x', 'nowhere', 'a', 'b', 'c', 1)`,
		} {
			if _, err := d.ExecContext(ctx, q); !db.IsConstraintViolation(err) {
				t.Errorf("%s\n→ %v, want a constraint violation", q, err)
			}
		}
	})
}

func TestReferenceJSONRoundTrips(t *testing.T) {
	b, _ := json.Marshal(Casablanca())
	ref, err := ParseReference(b)
	if err != nil || !strings.Contains(string(b), "سيدي عثمان") || len(ref.Windows) != 17 {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ref.Boundary, Casablanca().Boundary) || ref.BoundarySource == "" {
		t.Fatalf("boundary %+v", ref.Boundary)
	}
}

// The commune's boundary holds its arrondissements and leaves out its
// neighbours and the ocean.
func TestCasablancaBoundary(t *testing.T) {
	ref := Casablanca()
	if ref.Boundary.Type != geo.TypePolygon || !strings.Contains(ref.BoundarySource, "import-districts") {
		t.Fatalf("boundary %s, source %q", ref.Boundary.Type, ref.BoundarySource)
	}
	for _, c := range []struct {
		name     string
		lat, lon float64
		in       bool
	}{
		{"city centre", 33.5731, -7.5898, true},
		{"Sidi Othmane", 33.5560, -7.5640, true},
		{"Hay Hassani", 33.5630, -7.6700, true},
		{"Sidi Bernoussi", 33.6070, -7.5000, true},
		{"Ain Diab", 33.5900, -7.6900, true},
		{"Moulay Rachid", 33.5650, -7.5300, true},
		{"Hassan II mosque", 33.6083, -7.6328, true},
		{"Ain Chock", 33.5440, -7.6060, true},
		{"Sidi Moumen", 33.5850, -7.5100, true},
		{"Mohammedia", 33.6860, -7.3830, false},
		{"Rabat", 34.0209, -6.8416, false},
		{"Bouskoura", 33.4490, -7.6480, false},
		{"Dar Bouazza", 33.5200, -7.8200, false},
		{"Mediouna", 33.4530, -7.5160, false},
		{"the Atlantic", 33.6500, -7.6500, false},
		{"off El Hank", 33.6200, -7.6600, false},
	} {
		g := geo.NewPoint(geo.Point{Lon: c.lon, Lat: c.lat})
		if got := ref.Contains(g); got != c.in {
			t.Errorf("%s (%v, %v): inside = %v", c.name, c.lat, c.lon, got)
		}
		err := ref.CheckLocation(g)
		if c.in && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.in {
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Key != geo.KeyOutside || e.Params["place"] != ref.City.Name {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
	// A parcel of about 90 m by 110 m in Sidi Othmane, as an applicant
	// draws it.
	parcel, err := geo.ParseGeoJSON([]byte(`{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":
		[[[-7.5645,33.5555],[-7.5635,33.5555],[-7.5635,33.5565],[-7.5645,33.5565],[-7.5645,33.5555]]]}}`))
	if err != nil || !ref.Contains(parcel) || ref.CheckLocation(parcel) != nil {
		t.Fatalf("Sidi Othmane parcel: %v", err)
	}
	// One running from the Corniche into the ocean is refused, though
	// most of its corners are on land.
	pier := geo.NewPolygon(geo.Polygon{{{Lon: -7.675, Lat: 33.590}, {Lon: -7.670, Lat: 33.590}, {Lon: -7.670, Lat: 33.620},
		{Lon: -7.672, Lat: 33.595}, {Lon: -7.675, Lat: 33.590}}})
	if err := pier.Validate(); err != nil || ref.Contains(pier) {
		t.Fatalf("pier: %v", err)
	}
	// About the commune's size (some 220 km² officially; the sketch is
	// rougher than that).
	if a := ref.Boundary.Area() / 1e6; a < 150 || a > 350 {
		t.Errorf("area %.0f km²", a)
	}
	b := ref.Boundary.Bounds()
	if b.Min.Lon < -7.75 || b.Max.Lon > -7.45 || b.Min.Lat < 33.48 || b.Max.Lat > 33.66 {
		t.Errorf("bounds %+v", b)
	}
	if c := ref.Boundary.Centroid(); !ref.Contains(geo.NewPoint(c)) {
		t.Errorf("centre %v outside", c)
	}
}

func TestReferenceBoundaryFromFile(t *testing.T) {
	withBoundary := func(boundary string) []byte {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(casablancaJSON, &m); err != nil {
			t.Fatal(err)
		}
		if boundary == "" {
			delete(m, "boundary")
		} else {
			m["boundary"] = json.RawMessage(boundary)
		}
		// The arrondissements' outlines would lie outside another city.
		var ps []map[string]any
		if err := json.Unmarshal(m["prefectures"], &ps); err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			for _, a := range p["arrondissements"].([]any) {
				delete(a.(map[string]any), "boundary")
			}
		}
		m["prefectures"], _ = json.Marshal(ps)
		b, _ := json.Marshal(m)
		return b
	}
	multi := `{"type":"MultiPolygon","coordinates":[[[[-7.7,33.5],[-7.6,33.5],[-7.6,33.6],[-7.7,33.5]]],[[[-7.55,33.5],[-7.5,33.5],[-7.5,33.55],[-7.55,33.5]]]]}`
	ref, err := ParseReference(withBoundary(multi))
	if err != nil || ref.Boundary.Type != geo.TypeMultiPolygon || !ref.Contains(geo.NewPoint(geo.Point{Lon: -7.52, Lat: 33.51})) {
		t.Fatalf("a multipolygon boundary: %v", err)
	}
	for name, boundary := range map[string]string{
		"no boundary":       "",
		"null boundary":     "null",
		"a point":           `{"type":"Point","coordinates":[-7.6,33.57]}`,
		"a crossing ring":   `{"type":"Polygon","coordinates":[[[-7.7,33.5],[-7.5,33.6],[-7.5,33.5],[-7.7,33.6],[-7.7,33.5]]]}`,
		"an open ring":      `{"type":"Polygon","coordinates":[[[-7.7,33.5],[-7.5,33.5],[-7.5,33.6]]]}`,
		"out of range":      `{"type":"Polygon","coordinates":[[[-7.7,33.5],[-7.5,33.5],[-7.5,93.6],[-7.7,33.5]]]}`,
		"not a geometry":    `"Casablanca"`,
		"overlapping parts": `{"type":"MultiPolygon","coordinates":[[[[-7.7,33.5],[-7.6,33.5],[-7.6,33.6],[-7.7,33.5]]],[[[-7.65,33.5],[-7.5,33.5],[-7.5,33.55],[-7.65,33.5]]]]}`,
	} {
		if _, err := ParseReference(withBoundary(boundary)); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// TestTheBoundaryIsStored: the city and its territory live in the database
// with the rest of the reference, so that another city's import replaces
// them.
func TestTheBoundaryIsStored(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		if _, err := s.City(ctx); !errs.Is(err, errs.NotFound) {
			t.Fatalf("city before any load: %v", err)
		}
		ref := Casablanca()
		if _, err := s.Load(ctx, ref, "test"); err != nil {
			t.Fatal(err)
		}
		c, err := s.City(ctx)
		if err != nil || c.Code != ref.City.Code || c.Name != ref.City.Name || c.Boundary.Vertices() != ref.Boundary.Vertices() {
			t.Fatalf("stored city: %+v %v", c.Name, err)
		}
		sidiOthmane := geo.NewPoint(geo.Point{Lon: -7.564, Lat: 33.556})
		if !sidiOthmane.Within(c.Boundary) {
			t.Fatal("Sidi Othmane is outside the stored boundary")
		}
		// A new boundary (here a square around the city centre only) is a
		// change, stored and audited.
		ref.Boundary = geo.NewPolygon(geo.Polygon{{{Lon: -7.62, Lat: 33.56}, {Lon: -7.57, Lat: 33.56}, {Lon: -7.57, Lat: 33.6},
			{Lon: -7.62, Lat: 33.6}, {Lon: -7.62, Lat: 33.56}}})
		ref.BoundarySource = "test square"
		for i := range ref.Prefectures { // the arrondissements' outlines do not fit the square
			for j := range ref.Prefectures[i].Arrondissements {
				ref.Prefectures[i].Arrondissements[j].Boundary = nil
			}
		}
		changed, err := s.Load(ctx, ref, "test")
		if err != nil || !changed {
			t.Fatalf("new boundary: changed %v, %v", changed, err)
		}
		if c, _ = s.City(ctx); sidiOthmane.Within(c.Boundary) || c.BoundarySource != "test square" {
			t.Fatal("the new boundary was not stored")
		}
		if changed, _ := s.Load(ctx, ref, "test"); changed {
			t.Fatal("the same boundary again counts as a change")
		}
	})
}

// A window's contact is stored with the reference: a changed number is a
// change, read back as loaded, and the same reference again is none.
func TestWindowContactIsStored(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		ref := Casablanca()
		if _, err := s.Load(ctx, ref, "test"); err != nil {
			t.Fatal(err)
		}
		c := *ref.Windows[1].Contact
		c.Phone, c.PhonePlaceholder = "+212 522 12 34 56", false
		ref.Windows[1].Contact = &c
		if changed, err := s.Load(ctx, ref, "test"); err != nil || !changed {
			t.Fatalf("a new phone: changed %v, %v", changed, err)
		}
		_, _, w, err := s.Arrondissement(ctx, ref.Windows[1].Arrondissement)
		if err != nil || w.Contact == nil || *w.Contact != c || w.Contact.Dial() != "+212522123456" {
			t.Fatalf("read back %+v, %v", w.Contact, err)
		}
		if changed, _ := s.Load(ctx, ref, "test"); changed {
			t.Fatal("the same contacts again count as a change")
		}
	})
}

// A reference's contacts are checked: an address in the three languages,
// a number with unknown digits marked as a placeholder.
func TestValidateRefusesBrokenContacts(t *testing.T) {
	for name, breakIt := range map[string]func(*Contact){
		"no French address":    func(c *Contact) { c.Address.FR = "" },
		"unmarked placeholder": func(c *Contact) { c.PhonePlaceholder = false },
		"letters for a phone":  func(c *Contact) { c.Phone = "call the city" },
		"off the Earth":        func(c *Contact) { c.Lat = 123 },
	} {
		ref := Casablanca()
		c := *ref.Windows[2].Contact
		breakIt(&c)
		ref.Windows[2].Contact = &c
		if err := ref.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	for _, w := range Casablanca().Windows {
		if w.Contact == nil || !w.Contact.PhonePlaceholder || w.Contact.Dial() != "" {
			t.Errorf("window %s: its unconfirmed number must be marked a placeholder", w.Code)
		}
		if !Casablanca().Contains(geo.NewPoint(geo.Point{Lon: w.Contact.Lon, Lat: w.Contact.Lat})) {
			t.Errorf("window %s lies outside the city", w.Code)
		}
	}
}

// Every location of the city is assigned to one arrondissement by
// point-in-polygon, on both engines: each arrondissement's office (the
// window's address, placed independently of the outlines) lies in its own
// arrondissement, every point of a 250-metre grid over the city gets one,
// and a point outside the city or in the sea gets none.
func TestArrondissementAt(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		if _, ok, err := s.ArrondissementAt(ctx, geo.Point{Lon: -7.6, Lat: 33.57}); ok || err != nil {
			t.Fatalf("before any reference: ok %v, %v", ok, err)
		}
		ref := Casablanca()
		if _, err := s.Load(ctx, ref, "test"); err != nil {
			t.Fatal(err)
		}
		for _, w := range ref.Windows {
			if w.Kind != ArrondissementWindow {
				continue
			}
			a, ok, err := s.ArrondissementAt(ctx, geo.Point{Lon: w.Contact.Lon, Lat: w.Contact.Lat})
			if err != nil || !ok || a.Code != w.Arrondissement || a.Name.AR == "" || a.Window != w.Code {
				t.Errorf("the office of %s is assigned to %+v (ok %v, %v)", w.Arrondissement, a, ok, err)
			}
		}
		areas, err := s.Areas(ctx)
		if err != nil || len(areas) != 16 {
			t.Fatalf("%d areas, %v", len(areas), err)
		}
		c, _ := s.City(ctx)
		if !strings.Contains(c.ArrondissementBoundarySource, "approximation") {
			t.Errorf("the outlines are not labelled as approximations: %q", c.ArrondissementBoundarySource)
		}
		b := c.Boundary.Bounds()
		seen := map[string]int{}
		inside, gaps := 0, 0
		for lat := b.Min.Lat; lat <= b.Max.Lat; lat += 0.00225 {
			for lon := b.Min.Lon; lon <= b.Max.Lon; lon += 0.0027 {
				p := geo.Point{Lon: lon, Lat: lat}
				in := geo.NewPoint(p).Within(c.Boundary)
				a, ok, err := s.ArrondissementAt(ctx, p)
				if err != nil || ok != in {
					t.Fatalf("%v: ok %v, inside the city %v, %v", p, ok, in, err)
				}
				if !ok {
					continue
				}
				inside++
				seen[a.Code]++
				n := 0
				for _, ar := range areas {
					if geo.NewPoint(p).Within(ar.Boundary) {
						n++
					}
				}
				if n == 0 {
					gaps++
				}
				if n > 1 {
					t.Errorf("%v lies in %d arrondissements' outlines", p, n)
				}
			}
		}
		if len(seen) != 16 || inside < 1000 || gaps > inside/200 {
			t.Errorf("%d grid points in the city, %d in no outline, arrondissements reached: %v", inside, gaps, seen)
		}
		for _, p := range []geo.Point{{Lon: -7.65, Lat: 33.65}, {Lon: -7.3, Lat: 33.57}, {Lon: 0, Lat: 0}} {
			if a, ok, _ := s.ArrondissementAt(ctx, p); ok {
				t.Errorf("%v (outside the city) assigned to %s", p, a.Code)
			}
		}
		// The arrondissements' lists do not carry the outlines.
		as, _ := s.Arrondissements(ctx)
		if len(as) != 16 || as[0].Boundary != nil {
			t.Errorf("listed arrondissements carry their outline")
		}
	})
}
