package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// A no-show releases its slot to the waitlist: the holder does not come,
// the clock records the no-show NoShowGrace after the start and offers
// the rest of the slot to the first one waiting, to confirm within
// NoShowGrace; they confirm, come and check in — the clock does not take
// them for a no-show of a slot begun before they had it. Someone offered
// the rest of a slot who confirms and does not come is a no-show
// NoShowGrace after confirming. Too little left of a slot: nobody is
// offered it.
func TestANoShowReleasesTheSlotToTheWaitlist(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		start := at(2026, 12, 10, 10, 0)
		in := BookInput{Facility: field1, Start: start}
		held, err := e.s.Book(ctx, e.citizen(0), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{1, 2} {
			if _, err := e.s.JoinWaitlist(ctx, e.citizen(i), in); err != nil {
				t.Fatal(err)
			}
		}
		offered := func(i int) *Booking {
			t.Helper()
			mine, err := e.s.Mine(ctx, e.citizen(i))
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range mine {
				if b.Start.Equal(start) && (b.State == Offered || b.State == Held || b.State == CheckedIn || b.State == NoShow) {
					return b
				}
			}
			return nil
		}

		// Citizen 0 does not come.
		e.clock.set(start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if b, _, _ := e.s.Get(ctx, e.citizen(0), held.ID); b.State != NoShow {
			t.Fatalf("the holder who did not come: %s", b.State)
		}
		o := offered(1)
		if o == nil || o.State != Offered || o.ConfirmBy == nil || !o.ConfirmBy.Equal(e.clock.now().Add(NoShowGrace)) {
			t.Fatalf("the first waiting was not offered the rest of the slot: %+v", o)
		}
		if offered(2) != nil {
			t.Fatal("the second waiting was offered the slot too")
		}
		// Citizen 1 confirms at 10:20, and checks in at 10:33 (after the
		// slot's own grace, within theirs).
		e.clock.set(start.Add(20 * time.Minute))
		if _, err := e.s.Confirm(ctx, e.citizen(1), o.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.set(start.Add(33 * time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if b := offered(1); b.State != Held {
			t.Fatalf("the clock took the late holder for a no-show: %s", b.State)
		}
		code, _, err := e.s.Code(ctx, e.citizen(1), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := e.s.CheckIn(ctx, mgr, code); err != nil || c.State != CheckedIn {
			t.Fatalf("the late holder's check-in: %+v, %v", c, err)
		}
		var holders int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE facility_code = $1 AND slot_start = $2 AND `+holdingSQL,
			field1, start).Scan(&holders); err != nil || holders != 1 {
			t.Fatalf("%d holders of the slot (%v)", holders, err)
		}

		// Friday: citizen 3 holds 10:00, citizen 2 waits, neither
		// comes: citizen 2, offered the rest and confirming, is a no-show
		// NoShowGrace after confirming.
		e.clock.set(at(2026, 12, 10, 12, 0))
		fri := BookInput{Facility: field1, Start: at(2026, 12, 11, 10, 0)}
		if _, err := e.s.Book(ctx, e.citizen(3), fri); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(2), fri); err != nil {
			t.Fatal(err)
		}
		e.clock.set(fri.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(2))
		var late *Booking
		for _, b := range mine {
			if b.Start.Equal(fri.Start) {
				late = b
			}
		}
		if late == nil || late.State != Offered {
			t.Fatalf("Friday's rest not offered: %+v", late)
		}
		e.clock.add(5 * time.Minute)
		if _, err := e.s.Confirm(ctx, e.citizen(2), late.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.add(NoShowGrace + time.Minute)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if b, _, _ := e.s.Get(ctx, e.citizen(2), late.ID); b.State != NoShow {
			t.Fatalf("the late holder who did not come: %s", b.State)
		}
		// Saturday 10:00: held, nobody comes, someone waits; the clock
		// first runs at 10:46, a quarter of an hour before the end: the
		// no-show is recorded, nobody is offered what little is left.
		sat := BookInput{Facility: field1, Start: at(2026, 12, 12, 10, 0)}
		e.clock.set(at(2026, 12, 11, 12, 0))
		if _, err := e.s.Book(ctx, e.citizen(4), sat); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(5), sat); err != nil {
			t.Fatal(err)
		}
		e.clock.set(sat.Start.Add(46 * time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		mine, _ = e.s.Mine(ctx, e.citizen(5))
		for _, b := range mine {
			if b.Start.Equal(sat.Start) {
				t.Fatalf("a quarter of an hour was offered: %+v", b)
			}
		}
	})
}
