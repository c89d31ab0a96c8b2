package booking

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

// newField is a proximity field Moulay Rachid adds, named in Arabic and
// French.
func newField() NewFacility {
	return NewFacility{Org: "moulay-rachid", Kind: SportsField,
		Name:    i18n.Text{AR: "ملعب القرب السلام", FR: "Terrain de proximité Essalam"},
		Address: i18n.Text{AR: "حي السلام، مولاي رشيد"}, Lat: 33.5690, Lon: -7.5120, Capacity: 12, SlotMinutes: 60}
}

// A facility manager adds a facility of their own arrondissement without
// code: it takes its kind's rules and no hours (listed, not yet open, no
// slot), opens once the manager sets its hours, and is bookable then; it
// keeps its code, survives a new start (Seed) untouched, and a second
// one of the same name gets a code of its own. Another arrondissement's
// manager, or one without the second factor, creates nothing; each bad
// field is refused on its field.
func TestAManagerCreatesAFacility(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.s.city = district.NewStore(d).City
		mgr := e.manager(e.mrManager, "moulay-rachid")

		// Another organisation's manager: nothing exists for them.
		in := newField()
		if _, err := e.s.CreateFacility(ctx, e.manager(e.maarifMgr, "maarif"), in); !errs.Is(err, errs.NotFound) {
			t.Errorf("Maarif's manager creates Moulay Rachid's facility: %v", err)
		}
		in.Org = "maarif"
		if _, err := e.s.CreateFacility(ctx, mgr, in); !errs.Is(err, errs.NotFound) {
			t.Errorf("Moulay Rachid's manager creates Maarif's facility: %v", err)
		}
		in.Org = "nowhere"
		if _, err := e.s.CreateFacility(ctx, mgr, in); !errs.Is(err, errs.NotFound) {
			t.Errorf("an organisation that does not exist: %v", err)
		}
		noMFA := mgr
		noMFA.MFA = false
		if _, err := e.s.CreateFacility(ctx, noMFA, newField()); !errs.Is(err, errs.Forbidden) {
			t.Errorf("without the second factor: %v", err)
		}
		if _, err := e.s.CreateFacility(ctx, e.citizen(0), newField()); err == nil {
			t.Error("a citizen creates a facility")
		}

		// Each bad field on its field, all at once.
		bad := NewFacility{Org: "moulay-rachid", Kind: Ambulance, Name: i18n.Text{FR: "Sans nom arabe"}, Lat: 34.0209, Lon: -6.8416,
			Capacity: 0, SlotMinutes: 10}
		_, err := e.s.CreateFacility(ctx, mgr, bad)
		want := map[string]string{"kind": "booking.create.kind", "name_ar": "booking.create.name_ar", "address_ar": "booking.create.address",
			"capacity": "booking.create.capacity", "slot_minutes": "booking.rules.slot_minutes", "lat": geo.KeyOutside}
		if got := faultsByField(t, err); !maps.Equal(got, want) {
			t.Errorf("bad fields: %v\nwant %v", got, want)
		}
		long := newField()
		long.Name.EN = strings.Repeat("a", MaxFacilityName+1)
		long.Lat, long.Lon = 0, 0
		if got := faultsByField(t, mustFail(t, e.s, mgr, long)); got["name_en"] != "booking.create.too_long" || got["lat"] != geo.KeyRange {
			t.Errorf("a name too long, no point: %v", got)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_facilities WHERE organisation_code = 'moulay-rachid'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("refusals wrote facilities: %d %v", n, err)
		}

		// Created: the kind's rules, no hours, a derived code.
		f, err := e.s.CreateFacility(ctx, mgr, newField())
		if err != nil {
			t.Fatal(err)
		}
		if f.Code != "moulay-rachid-terrain-de-proximite-essalam" || f.Arrondissement != "moulay-rachid" || f.Organisation != "moulay-rachid" {
			t.Fatalf("created %s in %s/%s", f.Code, f.Arrondissement, f.Organisation)
		}
		if f.Name.EN != "Terrain de proximité Essalam" || f.Address.FR != "حي السلام، مولاي رشيد" {
			t.Errorf("missing languages not filled with the name as given: %+v %+v", f.Name, f.Address)
		}
		if len(f.Hours) != 0 || f.Rules.Peak != nil || len(f.Rules.Groups) != 0 || !slices.Equal(f.Rules.Who, []string{WhoCitizen, WhoAssociation}) ||
			f.Rules.HorizonDays != 7 || f.Rules.MaxFuture != 3 || len(f.Seasons) == 0 {
			t.Errorf("the new field's rules are not its kind's: %+v hours %v seasons %v", f.Rules, f.Hours, f.Seasons)
		}
		list, err := e.s.Facilities(ctx, "moulay-rachid")
		if err != nil || !slices.ContainsFunc(list, func(x *Facility) bool { return x.Code == f.Code }) {
			t.Fatalf("not listed in Moulay Rachid: %v", err)
		}
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: f.Code, Start: at(2026, 12, 8, 10, 0)}); err == nil {
			t.Error("a facility not yet open is booked")
		}
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'booking.facility_created' AND object_id = $1`, f.Code).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit records of the creation: %d %v", n, err)
		}
		// A cultural room, a kind the catalogue has none of: the
		// documented default; named in Arabic only, its code says its kind.
		room, err := e.s.CreateFacility(ctx, mgr, NewFacility{Org: "moulay-rachid", Kind: CulturalRoom, Name: i18n.Text{AR: "قاعة الأنشطة"},
			Address: i18n.Text{AR: "مولاي رشيد"}, Lat: 33.57, Lon: -7.51, Capacity: 80, SlotMinutes: 120})
		if err != nil || room.Code != "moulay-rachid-cultural-room" || !room.Rules.Approval || room.Name.FR != "قاعة الأنشطة" {
			t.Fatalf("a cultural room: %v %+v", err, room)
		}

		// The same name again: a code of its own.
		g, err := e.s.CreateFacility(ctx, mgr, newField())
		if err != nil || g.Code != f.Code+"-2" {
			t.Fatalf("the same name again: %v %v", g, err)
		}

		// Hours open it; it is booked like any other.
		_, v, err := e.s.Facility(ctx, f.Code)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.UpdateHours(ctx, mgr, f.Code, v, nil, 60); err == nil {
			t.Error("hours emptied")
		}
		if _, err := e.s.UpdateHours(ctx, mgr, f.Code, v, []Opening{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: "08:00", Close: "22:00"}}, 60); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: f.Code, Start: at(2026, 12, 8, 10, 0)}); err != nil {
			t.Fatalf("the new field once open: %v", err)
		}

		// A new start seeds the catalogue again: the new facility is
		// neither overwritten nor duplicated.
		if err := e.s.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		h, v2, err := e.s.Facility(ctx, f.Code)
		if err != nil || len(h.Hours) != 1 || v2 != v+1 {
			t.Fatalf("after Seed: %v version %d, hours %v", err, v2, h.Hours)
		}
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_facilities WHERE organisation_code = 'moulay-rachid'`).Scan(&n); err != nil || n != 5 {
			t.Errorf("Moulay Rachid's facilities after Seed: %d %v", n, err)
		}
		// The database keeps a facility's code and place.
		if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET arrondissement_code = 'maarif' WHERE code = $1`, f.Code); err == nil {
			t.Error("a facility moved to another arrondissement")
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET code = 'renamed' WHERE code = $1`, room.Code); err == nil {
			t.Error("a facility's code changed")
		}
	})
}

// faultsByField are a refusal's message keys by field.
func faultsByField(t *testing.T, err error) map[string]string {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("got %v, want a refusal on fields", err)
	}
	out := map[string]string{e.Field: e.Key}
	for _, f := range e.Faults {
		out[f.Field] = f.Key
	}
	return out
}

func mustFail(t *testing.T, s *Service, a authz.Actor, in NewFacility) error {
	t.Helper()
	f, err := s.CreateFacility(context.Background(), a, in)
	if err == nil {
		t.Fatalf("created %s", f.Code)
	}
	return err
}
