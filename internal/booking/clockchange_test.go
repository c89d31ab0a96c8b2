package booking

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"madina/internal/district"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
)

// Morocco's clocks go back an hour on the night of 7 February 2027 (03:00
// → 02:00, UTC+1 → UTC+0, for Ramadan) and forward on the night of 14
// March 2027 (02:00 → 03:00). Field 1 opens 08:00–23:00 every day; its
// slots are those hours on Casablanca's wall clock on the change days and
// around them, and each one listed is one slotAt accepts.
func TestSlotsKeepTheWallClockAcrossClockChanges(t *testing.T) {
	f, ok := DefaultCatalogue().Facility(field1)
	if !ok {
		t.Fatal("no field 1 in the catalogue")
	}
	for _, day := range []calendar.Date{
		calendar.MakeDate(2027, 2, 6), calendar.MakeDate(2027, 2, 7), calendar.MakeDate(2027, 2, 8),
		calendar.MakeDate(2027, 3, 13), calendar.MakeDate(2027, 3, 14), calendar.MakeDate(2027, 3, 15),
	} {
		slots := f.Slots(day)
		if len(slots) != 15 {
			t.Errorf("%s: %d slots, want 15 (08:00–23:00)", day, len(slots))
		}
		for i, sl := range slots {
			s, e := sl.Start.In(i18n.Casablanca), sl.End.In(i18n.Casablanca)
			want := time.Date(day.Year, day.Month, day.Day, 8+i, 0, 0, 0, i18n.Casablanca)
			if calendar.DateOf(sl.Start) != day || s.Hour() != 8+i || s.Minute() != 0 || !sl.Start.Equal(want) {
				t.Errorf("%s: slot %d starts %s, want %s", day, i, s, want)
			}
			if e.Hour() != 9+i || e.Minute() != 0 || sl.End.Sub(sl.Start) != time.Hour {
				t.Errorf("%s: slot %d ends %s", day, i, e)
			}
			if sl.Peak != (s.Hour() >= 18 && s.Hour() < 22) {
				t.Errorf("%s: slot %s peak %v", day, s.Format("15:04"), sl.Peak)
			}
			got, ok := f.slotAt(sl.Start)
			if !ok || got != sl {
				t.Errorf("%s: slotAt refuses the listed slot %s (%v, %v)", day, s.Format("15:04"), got, ok)
			}
		}
	}
	// The hour one clock showed and the other did not is no slot: 07:00
	// on the wall clock of 7 February is before opening, whatever the
	// offset of the day's midnight.
	if _, ok := f.slotAt(time.Date(2027, 2, 7, 7, 0, 0, 0, i18n.Casablanca)); ok {
		t.Error("07:00 on 7 February 2027 is a slot")
	}
	if _, ok := f.slotAt(time.Date(2027, 3, 14, 23, 0, 0, 0, i18n.Casablanca)); ok {
		t.Error("23:00 on 14 March 2027 is a slot")
	}
}

// A slot opens at the release time on the wall clock of its release day,
// a change day included.
func TestReleaseKeepsTheWallClockOnAChangeDay(t *testing.T) {
	f, _ := DefaultCatalogue().Facility(field1)
	for _, c := range []struct{ slot, release time.Time }{
		{at(2027, 2, 14, 10, 0), at(2027, 2, 7, 8, 0)},
		{at(2027, 3, 21, 10, 0), at(2027, 3, 14, 8, 0)},
	} {
		if got := f.Release(c.slot); !got.Equal(c.release) {
			t.Errorf("slot %s released at %s, want %s", c.slot.In(i18n.Casablanca), got.In(i18n.Casablanca), c.release.In(i18n.Casablanca))
		}
	}
}

// A citizen books the first slot listed on each change day, through the
// service; a week ahead, booking waits for 08:00 on the change day's
// wall clock.
func TestBookingTheFirstSlotOnAClockChangeDay(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f, _, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		for i, day := range []calendar.Date{calendar.MakeDate(2027, 2, 7), calendar.MakeDate(2027, 3, 14)} {
			e.clock.set(day.At(5, 0).UTC())
			first := f.Slots(day)[0]
			b, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: field1, Start: first.Start})
			if err != nil {
				t.Fatalf("%s: booking the first slot listed, %s: %v", day, first.Start.In(i18n.Casablanca), err)
			}
			if lt := b.Start.In(i18n.Casablanca); lt.Hour() != 8 || calendar.DateOf(b.Start) != day || !b.End.Equal(first.End) {
				t.Errorf("%s: booked %s–%s", day, lt, b.End.In(i18n.Casablanca))
			}
			// 07:30 on the wall clock: the slot a week ahead is not yet
			// released (it is at 08:00, not 08:00 less the hour moved).
			e.clock.set(day.At(7, 30).UTC())
			next := f.Slots(day.AddDays(7))[2]
			_, err = e.s.Book(ctx, e.citizen(i+2), BookInput{Facility: field1, Start: next.Start})
			wantKey(t, err, "booking.error.not_yet")
			e.clock.set(day.At(8, 0).UTC())
			if _, err := e.s.Book(ctx, e.citizen(i+2), BookInput{Facility: field1, Start: next.Start}); err != nil {
				t.Errorf("%s 08:00: booking a week ahead: %v", day, err)
			}
		}
	})
}

// A roster's weekly slot is on the wall clock every week of the season:
// Sunday 10:00 is booked at 10:00 on 23 January 2028 (clocks back that
// night) and 5 March 2028 (clocks forward), not recorded closed or
// booked an hour off.
func TestRosterWeeksKeepTheWallClock(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f, _, err := e.s.Facility(ctx, field2)
		if err != nil {
			t.Fatal(err)
		}
		season := Season{From: "2027-09-01", To: "2028-06-30"}
		const seed = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
		opens, closes, _ := f.RosterWindow(season)
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at, closes_at,
			seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)`, field2, season.From, season.To,
			opens, closes, SeedHash(seed), e.s.box.Seal([]byte(seed), rosterAAD(field2, season.From)), monday); err != nil {
			t.Fatal(err)
		}
		e.clock.set(rosterOpen)
		club := e.association(t, "Club du dimanche", "dim@example.ma")
		if _, err := e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(7, "10:00")}}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(rosterClosed)
		if _, err := e.s.AllocateRoster(ctx, e.manager(e.mrManager, "moulay-rachid"), mustRoster(t, e, field2)); err != nil {
			t.Fatal(err)
		}
		rows, err := d.QueryContext(ctx, `SELECT w.slot_start, w.outcome FROM booking_roster_weeks w
			JOIN booking_roster_applications a ON a.id = w.application_id ORDER BY w.slot_start`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		weeks := map[calendar.Date]string{}
		for rows.Next() {
			var start time.Time
			var outcome string
			if err := rows.Scan(&start, &outcome); err != nil {
				t.Fatal(err)
			}
			if lt := start.In(i18n.Casablanca); lt.Hour() != 10 || lt.Minute() != 0 || lt.Weekday() != time.Sunday {
				t.Errorf("a week at %s, want Sunday 10:00", lt)
			}
			weeks[calendar.DateOf(start)] = outcome
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, day := range []calendar.Date{calendar.MakeDate(2028, 1, 16), calendar.MakeDate(2028, 1, 23), calendar.MakeDate(2028, 3, 5)} {
			if weeks[day] != "booked" {
				t.Errorf("%s: week %q, want booked", day, weeks[day])
			}
			if n := e.active(t, field2, day.At(10, 0)); n != 1 {
				t.Errorf("%s: %d bookings at 10:00, want 1", day, n)
			}
		}
	})
}

// At 00:30 on 6 February 2027 (UTC+1, still 5 February in UTC), the
// next three days are 6, 7 and 8 February in Casablanca: the public
// list's live count does not count 7 February twice and miss the 8th,
// and the day strip of a field's page lists each date once.
func TestNextDaysAreCasablancaDaysAcrossAClockChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock.set(at(2027, 2, 6, 0, 30))
		f, _, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		// One slot of the 8th taken: that day counts one fewer than the 7th.
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2027, 2, 8, 10, 0)}); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, day := range []calendar.Date{calendar.MakeDate(2027, 2, 6), calendar.MakeDate(2027, 2, 7), calendar.MakeDate(2027, 2, 8)} {
			_, views, err := e.s.Day(ctx, field1, day)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range views {
				if v.Availability == SlotFree || v.Availability == SlotDraw {
					want++
				}
			}
		}
		if got, err := e.s.Free(ctx, f, 3); err != nil || got != want {
			t.Errorf("free over the next 3 days: %d (%v), want %d", got, err, want)
		}

		cat, err := i18n.Load(Messages)
		if err != nil {
			t.Fatal(err)
		}
		h := &Handlers{Service: e.s, Cat: cat, Places: district.NewStore(d)}
		data, _, err := h.facilityData(httptest.NewRequest(http.MethodGet, "/bookings/places/"+field1, nil), field1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, day := range data["Days"].([]map[string]any) {
			got = append(got, day["Value"].(string))
		}
		if len(got) < 3 || got[0] != "2027-02-06" || got[1] != "2027-02-07" || got[2] != "2027-02-08" || got[len(got)-1] != "2027-02-13" {
			t.Errorf("the day strip: %v", got)
		}
	})
}

// The booking clock opens the draws of the slots released within a day:
// at 23:30 on 6 March 2027 (UTC+0), 14 March (UTC+1 from its 02:00) is
// eight Casablanca days ahead, and its peak slots, released at 08:00 on
// the 7th, get their draw.
func TestDrawsOpenForTheDayAfterAClockChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock.set(at(2027, 3, 6, 23, 30))
		if _, err := e.s.PrepareDraws(ctx); err != nil {
			t.Fatal(err)
		}
		draws, err := e.s.Draws(ctx, field1, 100)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, dr := range draws {
			found = found || dr.Start.Equal(at(2027, 3, 14, 18, 0))
		}
		if !found {
			t.Errorf("no draw for 14 March 2027 at 18:00 among %d", len(draws))
		}
	})
}
