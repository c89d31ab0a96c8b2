package permit

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"madina/internal/district"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// The compiler spells the window kinds again so as to import no
// capability; a catalogue routing to a kind district does not know would
// send files to no window.
func TestCatalogueWindowKindsAreDistricts(t *testing.T) {
	if catalogue.CityWindow != district.CityWindow || catalogue.ArrondissementWindow != district.ArrondissementWindow {
		t.Fatalf("catalogue windows %q and %q, district windows %q and %q", catalogue.CityWindow, catalogue.ArrondissementWindow,
			district.CityWindow, district.ArrondissementWindow)
	}
	if Overall != catalogue.Overall {
		t.Fatalf("the overall deadline is %q for files and %q for the catalogue", Overall, catalogue.Overall)
	}
}

// Durations and page counts take their language's plural form from the
// catalogue: Arabic's one, two, few (3–10), many (11–99) and other.
func TestDurationsInEveryLanguage(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		l    i18n.Lang
		unit string
		n    int
		want string
	}{
		{i18n.AR, "days", 1, "يوم واحد"}, {i18n.AR, "days", 2, "يومان"}, {i18n.AR, "days", 3, "3 أيام"},
		{i18n.AR, "days", 10, "10 أيام"}, {i18n.AR, "days", 15, "15 يوما"}, {i18n.AR, "days", 100, "100 يوم"},
		{i18n.AR, "days", 103, "103 أيام"}, {i18n.AR, "months", 2, "شهران"},
		{i18n.FR, "days", 1, "1 jour"}, {i18n.FR, "days", 15, "15 jours"}, {i18n.FR, "working_days", 30, "30 jours ouvrables"},
		{i18n.EN, "days", 1, "1 day"}, {i18n.EN, "months", 2, "2 months"},
	}
	for _, c := range cases {
		p := printer{cat: cat, l: c.l}
		if got := p.duration(Deadline{Unit: c.unit, Value: c.n}); got != c.want {
			t.Errorf("duration(%s, %d %s) = %q, want %q", c.l, c.n, c.unit, got, c.want)
		}
	}
}

func TestCatalogueVersionsAreStoredAndOneIsInForce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if c, err := ActiveCatalogue(ctx, d); c != nil || !errs.Is(err, errs.NotFound) {
			t.Fatalf("fresh database: %v %v, want errs.NotFound", c, err)
		}
		spec := CasablancaSpec()
		spec.Version = "2025.1"
		b1, _ := json.Marshal(spec)
		spec.Version = "2026.1"
		spec.Kinds[0].Name.FR = "Permis de bâtir"
		b2, _ := json.Marshal(spec)
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		for _, step := range []struct {
			b       []byte
			changed bool
			active  string
		}{{b1, true, "2025.1"}, {b1, false, "2025.1"}, {b2, true, "2026.1"}, {b1, true, "2025.1"}} {
			_, changed, err := SaveCatalogue(ctx, d, step.b, "test", now)
			if err != nil || changed != step.changed {
				t.Fatalf("save: changed %v, %v; want %v", changed, err, step.changed)
			}
			c, err := ActiveCatalogue(ctx, d)
			if err != nil || c.Version != step.active {
				t.Fatalf("active %v, %v; want %s", c, err, step.active)
			}
		}
		spec.Version = "2025.1"
		b3, _ := json.Marshal(spec)
		if _, _, err := SaveCatalogue(ctx, d, b3, "test", now); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("another text under a stored version: %v", err)
		}
		if _, _, err := SaveCatalogue(ctx, d, []byte(`{"format": 1}`), "test", now); Problems(err) == nil {
			t.Fatalf("an invalid catalogue was stored: %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM permit_catalogues`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d versions stored", n)
		}
	})
}
