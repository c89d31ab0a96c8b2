package booking

import (
	"context"
	"testing"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// The desk's statistics count a roster's bookings under the allocation
// method "draw" (they are draw bookings; booking_roster_weeks tells
// them apart), and a week given back no longer counts as booked.
func TestStatisticsCountRosterBookingsAsDrawn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		commitRoster(t, e, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
		e.clock.set(rosterOpen)
		club := e.association(t, "Club des Stats", "stats@example.ma")
		app, err := e.s.ApplyRoster(ctx, club, RosterInput{Facility: field2, Choices: []WeeklySlot{weekly(3, "19:00")}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(rosterClosed)
		if _, err := e.s.AllocateRoster(ctx, authz.Actor{System: true}, mustRoster(t, e, field2)); err != nil {
			t.Fatal(err)
		}
		mgr := e.manager(e.mrManager, "moulay-rachid")
		// September 2027: five Wednesdays (1, 8, 15, 22, 29).
		sept := Period{From: calendar.MakeDate(2027, 9, 1), To: calendar.MakeDate(2027, 9, 30)}
		figures := func() Counts {
			t.Helper()
			st, err := e.s.Stats(ctx, mgr, "moulay-rachid", sept)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range st.Facilities {
				if f.Facility.Code == field2 {
					return f.Counts
				}
			}
			t.Fatal("no figures for field 2")
			return Counts{}
		}
		if c := figures(); c.Booked != 5 || c.Drawn != 5 || c.FirstCome != 0 || c.FromWaitlist != 0 {
			t.Fatalf("September's figures: %+v, want 5 booked, all by draw", c)
		}
		// Given back on 10 September: the 15th, 22nd and 29th are cancelled.
		e.clock.set(at(2027, 9, 10, 10, 0))
		if _, err := e.s.WithdrawRoster(ctx, club, app.ID); err != nil {
			t.Fatal(err)
		}
		if c := figures(); c.Booked != 2 || c.Drawn != 2 {
			t.Fatalf("September's figures after the give-back: %+v, want 2 booked by draw", c)
		}
	})
}
