package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// cell is the calendar's cell of the slot starting at start.
func cell(t *testing.T, w *Week, start time.Time) CalendarCell {
	t.Helper()
	for _, d := range w.Days {
		for _, c := range d.Cells {
			if c.Start.Equal(start) {
				return c
			}
		}
	}
	t.Fatalf("no cell at %v", start)
	return CalendarCell{}
}

// The desk's calendar shows a week of a facility's slots from its
// Monday, each with the state of the booking holding it (checked in,
// no-show, held, offered, free, drawn peak slots), a closed day as
// closed, and the waitlists with each person in their place; only the
// facility's managers read it.
func TestTheDeskCalendarShowsAWeek(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		book := func(i int, start time.Time) *Booking {
			t.Helper()
			b, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: field1, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		wait := func(i int, start time.Time) {
			t.Helper()
			if _, err := e.s.JoinWaitlist(ctx, e.citizen(i), BookInput{Facility: field1, Start: start}); err != nil {
				t.Fatal(err)
			}
		}
		came, missed := book(0, at(2026, 12, 7, 16, 0)), book(1, at(2026, 12, 7, 17, 0))
		held := book(0, at(2026, 12, 8, 10, 0))
		wait(2, held.Start)
		wait(3, held.Start)
		freed := book(4, at(2026, 12, 8, 12, 0))
		wait(5, freed.Start)
		wait(3, freed.Start)
		// The facility closes on Saturday 12 December.
		if _, _, err := e.s.AddClosure(ctx, mgr, field1, e.version(t, field1),
			Closure{From: "2026-12-12", To: "2026-12-12", Reason: i18n.Text{FR: "Tournoi"}}, false); err != nil {
			t.Fatal(err)
		}
		e.clock.set(came.Start.Add(-5 * time.Minute))
		code, _, err := e.s.Code(ctx, e.citizen(0), came.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CheckIn(ctx, mgr, code); err != nil {
			t.Fatal(err)
		}
		e.clock.set(missed.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.set(monday)
		if _, err := e.s.Cancel(ctx, e.citizen(4), freed.ID); err != nil {
			t.Fatal(err)
		}

		// Asked for Wednesday, the calendar starts on Monday 7 December.
		w, err := e.s.Calendar(ctx, mgr, field1, calendar.MakeDate(2026, 12, 9))
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Days) != 7 || w.From != calendar.MakeDate(2026, 12, 7) || w.Days[6].Date != calendar.MakeDate(2026, 12, 13) {
			t.Fatalf("the week: from %v, %d days", w.From, len(w.Days))
		}
		for _, c := range []struct {
			start  time.Time
			state  string
			number string
		}{
			{came.Start, CalCheckedIn, came.Number},
			{missed.Start, CalNoShow, missed.Number},
			{held.Start, CalHeld, held.Number},
			{at(2026, 12, 8, 11, 0), SlotFree, ""},
			{at(2026, 12, 8, 19, 0), SlotFree, ""}, // a peak slot nobody asked for: first-come once its window closed
			{at(2026, 12, 7, 8, 0), SlotPast, ""},
		} {
			got := cell(t, w, c.start)
			number := ""
			if got.Booking != nil {
				number = got.Booking.Number
			}
			if got.State != c.state || number != c.number {
				t.Errorf("%s: %s %q, want %s %q", local(c.start).Format("Mon 15:04"), got.State, number, c.state, c.number)
			}
		}
		if !cell(t, w, at(2026, 12, 8, 19, 0)).Peak {
			t.Error("the evening slot is not marked peak")
		}
		// The freed slot is offered to the first one waiting; the other
		// still waits, now first.
		off := cell(t, w, at(2026, 12, 8, 12, 0))
		if off.State != CalOffered || off.Booking == nil || off.Booking.Holder != e.people[5] || off.HolderLatin != "Said Alaoui" ||
			len(off.Waiting) != 1 || off.Waiting[0].Person != e.people[3] || off.Waiting[0].Position != 1 {
			t.Fatalf("the offered slot: %+v", off)
		}
		line := cell(t, w, held.Start).Waiting
		if len(line) != 2 || line[0].Person != e.people[2] || line[0].Position != 1 || line[1].Person != e.people[3] ||
			line[1].Position != 2 || line[0].NameLatin != "Said Alaoui" {
			t.Fatalf("the waitlist of %v: %+v", held.Start, line)
		}
		if sat := w.Days[5]; len(sat.Cells) != 0 || sat.Closure == nil || sat.Closure.Reason.FR != "Tournoi" {
			t.Fatalf("Saturday, closed: %+v", sat)
		}

		// Sunday's week is Monday's; next week's peak evening of Monday
		// is in its draw's window.
		if w2, err := e.s.Calendar(ctx, mgr, field1, calendar.MakeDate(2026, 12, 13)); err != nil || w2.From != w.From {
			t.Fatalf("Sunday's week: %v, %v", w2, err)
		}
		next, err := e.s.Calendar(ctx, mgr, field1, w.From.AddDays(7))
		if err != nil {
			t.Fatal(err)
		}
		if c := cell(t, next, at(2026, 12, 14, 19, 0)); c.State != SlotDraw || !c.Peak || c.Booking != nil {
			t.Fatalf("next Monday's peak evening: %+v", c)
		}
		// Only the facility's managers read it.
		if _, err := e.s.Calendar(ctx, e.manager(e.maarifMgr, "maarif"), field1, w.From); !errs.Is(err, errs.NotFound) {
			t.Fatalf("Maarif's manager read Moulay Rachid's calendar: %v", err)
		}
		if _, err := e.s.Calendar(ctx, e.citizen(0), field1, w.From); err == nil {
			t.Fatal("a citizen read the calendar")
		}
	})
}
