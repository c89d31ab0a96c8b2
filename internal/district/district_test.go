package district

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
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
		"two city windows":           func(r *Reference) { r.Windows[1].Kind, r.Windows[1].Arrondissement = CityWindow, "" },
		"window of unknown place":    func(r *Reference) { r.Windows[2].Arrondissement = "atlantis" },
		"arrondissement sans window": func(r *Reference) { r.Windows = r.Windows[:len(r.Windows)-1] },
		"bad code":                   func(r *Reference) { r.Prefectures[0].Code = "Anfa Prefecture" },
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
}
