package bookingdemo_test

import (
	"context"
	"io"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/booking/bookingdemo"
	"madina/internal/module"
	"madina/internal/notify"
	"madina/internal/platform/db"
)

// The demonstration gives the statistics three weeks to show: bookings
// checked in and missed, two evenings drawn by lot, a waitlist offer
// taken, the young's share — and it stays loadable once only.
func TestTheDemonstrationHasPastWeeks(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		ctx := notify.Quiet(context.Background())
		s := booking.NewService(booking.Deps{DB: a.DB, Catalogue: booking.DefaultCatalogue(), Events: a.Jobs, Box: a.Box})
		env := &module.Env{DB: a.DB, Box: a.Box, Jobs: a.Jobs}
		env.Provide("booking", s)
		env.Provide("identity", a.Identity)
		if err := bookingdemo.Load(ctx, env, io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := bookingdemo.Load(ctx, env, io.Discard); err != nil {
			t.Fatalf("loaded twice: %v", err)
		}
		mgr := authz.Actor{Person: apptest.PersonID(t, a, bookingdemo.Managers[0].Email), EmailVerified: true, MFA: true, Now: time.Now(),
			Grants: []authz.Grant{{Role: authz.FacilityManager, Org: "moulay-rachid"}}}
		st, err := s.Stats(ctx, mgr, "moulay-rachid", booking.LastDays(time.Now(), booking.DefaultPeriodDays))
		if err != nil {
			t.Fatal(err)
		}
		var f1, f2 booking.FacilityStats
		for _, f := range st.Facilities {
			switch f.Facility.Code {
			case "moulay-rachid-field-1":
				f1 = f
			case "moulay-rachid-field-2":
				f2 = f
			}
		}
		// Seven days, two slots each on the first field, two drawn
		// evenings; one slot a day on the second, three missed.
		if f1.Booked != 16 || f1.Drawn != 2 || f1.FromWaitlist != 1 || f1.Cancelled != 1 || f1.PromotionsTaken != 1 ||
			f1.Groups[0].Code != "youth" || f1.Groups[0].Booked != 7 || f2.Booked != 7 {
			t.Errorf("the first field's figures: %+v, cancelled %d, promotions %d, groups %+v", f1.Counts, f1.Cancelled, f1.PromotionsTaken, f1.Groups)
		}
		// Three holders missed their slot, each once (the winners of the
		// draws, drawn at random, change who books what).
		if f1.NoShows+f2.NoShows != 3 || f1.CheckedIn+f2.CheckedIn != 16+7-3 {
			t.Errorf("check-ins and no-shows: %+v, %+v", f1.Counts, f2.Counts)
		}
	})
}
