package permit

import (
	"context"
	"testing"

	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// The deposit slots offered keep the receipt step's legal deadline (one
// day from submission for a small project): none after it while one
// before it is free; when every slot before it is full, the first free
// ones after it, marked late.
func TestDepositSlotsKeepTheReceiptDeadline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		k, err := e.s.Catalogue().Kind(f.Kind)
		if err != nil {
			t.Fatal(err)
		}
		all, err := e.s.Slots(ctx, f.Window)
		if err != nil {
			t.Fatal(err)
		}
		slots, limit, late, err := e.s.DepositSlots(ctx, f, k)
		if err != nil {
			t.Fatal(err)
		}
		// Submitted on Monday: the window must receive it by Tuesday's end.
		want := calendar.DateOf(monday).AddDays(1).End()
		if !limit.Equal(want) || late || len(slots) == 0 {
			t.Fatalf("limit %v (want %v), late %v, %d slots", limit, want, late, len(slots))
		}
		for _, s := range slots {
			if s.Start.After(limit) || s.Free == 0 {
				t.Fatalf("slot %v offered: after the deadline %v or full", s.Start, limit)
			}
		}
		if len(slots) >= len(all) || !all[len(all)-1].Start.After(limit) {
			t.Fatalf("%d slots offered of %d: the later ones are not left out", len(slots), len(all))
		}

		// Every slot before the deadline full: the first free ones after
		// it, and late says so.
		for _, s := range slots {
			if _, err := d.ExecContext(ctx, `INSERT INTO permit_slots (window_code, starts_at, capacity, booked) VALUES ($1, $2, $3, $3)`,
				f.Window, s.Start, s.Capacity); err != nil {
				t.Fatal(err)
			}
		}
		later, limit2, late, err := e.s.DepositSlots(ctx, f, k)
		if err != nil {
			t.Fatal(err)
		}
		if !late || !limit2.Equal(limit) || len(later) == 0 || !later[0].Start.After(limit) {
			t.Fatalf("full before the deadline: late %v, %d slots, first %v", late, len(later), later)
		}
		for _, s := range later {
			if s.Free == 0 {
				t.Fatalf("a full slot offered: %v", s.Start)
			}
		}

		// A file not yet submitted has no deadline to keep.
		g, err := e.s.Create(ctx, arch, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		g.Window = f.Window
		if _, l, _, err := e.s.DepositSlots(ctx, g, k); err != nil || !l.IsZero() {
			t.Fatalf("draft: limit %v, %v", l, err)
		}
	})
}
