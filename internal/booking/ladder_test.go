package booking

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// A club's no-shows climb the club's penalty ladder, whichever of its
// representatives booked, and suspend the club's bookings — a third
// representative acting for it is refused booking, the draw and the
// waitlist, told whose suspension it is and until when, and its place
// on a waitlist is passed over — while each representative still books
// in their own name. A person's own no-shows suspend them, not their
// club. Lifted on review, the club books again.
func TestAClubsNoShowsClimbTheClubsLadder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := notifyingEnv(t, e)
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `UPDATE legal_persons SET name_ar = 'شباب المعاريف' WHERE id = $1`, e.assoc); err != nil {
			t.Fatal(err)
		}
		for _, p := range e.people[:3] {
			if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at)
				VALUES ($1, $2, 'manager', $3)`, e.assoc, p, monday); err != nil {
				t.Fatal(err)
			}
		}
		self := func(p int64) authz.Actor {
			return authz.Actor{Person: p, EmailVerified: true, Now: e.clock.now(), Represents: []int64{e.assoc}}
		}
		acting := func(p int64) authz.Actor {
			a := self(p)
			a.ActingFor = e.assoc
			return a
		}
		book := func(a authz.Actor, code string, start time.Time) *Booking {
			t.Helper()
			b, err := e.s.Book(ctx, a, BookInput{Facility: code, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		const field2 = "moulay-rachid-field-2"

		// Monday morning: the president misses two evenings in their own
		// name; two representatives each book an evening for the club,
		// and miss it; a citizen holds Thursday morning, with the club
		// (a third representative) and another citizen waiting for it.
		book(self(e.maarifRep), field2, at(2026, 12, 7, 16, 0))
		book(self(e.maarifRep), field2, at(2026, 12, 7, 17, 0))
		first := book(acting(e.people[0]), field2, at(2026, 12, 7, 19, 0))
		second := book(acting(e.people[1]), field2, at(2026, 12, 7, 20, 0))
		thursday := at(2026, 12, 10, 10, 0)
		held := book(e.citizen(4), field1, thursday)
		if _, err := e.s.JoinWaitlist(ctx, acting(e.people[2]), BookInput{Facility: field1, Start: thursday}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(5), BookInput{Facility: field1, Start: thursday}); err != nil {
			t.Fatal(err)
		}

		// The president's own no-shows suspend them, not the club.
		e.clock.set(at(2026, 12, 7, 17, 0).Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if ps, err := e.s.Penalties(ctx, self(e.maarifRep)); err != nil || len(ps) != 2 || ps[0].Step != 2 || ps[0].SuspendedUntil == nil {
			t.Fatalf("the president's own penalties: %+v, %v", ps, err)
		}
		if ps, err := e.s.Penalties(ctx, acting(e.people[2])); err != nil || len(ps) != 0 {
			t.Fatalf("the club's penalties after the president's own no-shows: %+v, %v", ps, err)
		}
		book(acting(e.people[2]), field1, at(2026, 12, 9, 10, 0))
		// The president, suspended, does not book for the club either
		// (whoever holds a booking comes to it): their own suspension.
		_, err := e.s.Book(ctx, acting(e.maarifRep), BookInput{Facility: field1, Start: at(2026, 12, 9, 11, 0)})
		wantKey(t, err, "booking.error.suspended")

		// The club's two no-shows: steps 1 and 2 of the club's ladder.
		e.clock.set(at(2026, 12, 7, 20, 0).Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		until := e.clock.now().AddDate(0, 0, 14)
		ps, err := e.s.Penalties(ctx, acting(e.people[2]))
		if err != nil || len(ps) != 2 || ps[0].Booking != second.ID || ps[0].Step != 2 || ps[0].SuspendedUntil == nil ||
			!ps[0].SuspendedUntil.Equal(until) || ps[1].Booking != first.ID || ps[1].Step != 1 || ps[1].SuspendedUntil != nil {
			t.Fatalf("the club's ladder: %+v, %v; want steps 2 (suspended until %s) and 1", ps, err, until)
		}
		for _, p := range e.people[:2] {
			if ps, err := e.s.Penalties(ctx, self(p)); err != nil || len(ps) != 0 {
				t.Fatalf("a representative's own ladder holds the club's penalties: %+v, %v", ps, err)
			}
			if n, err := e.s.AssociationPenalties(ctx, self(p)); err != nil || n != 1 {
				t.Fatalf("the club's penalties a representative brought: %d, %v", n, err)
			}
		}
		var onRep int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalties WHERE legal_id = $1`, e.assoc).Scan(&onRep); err != nil || onRep != 2 {
			t.Fatalf("%d penalties on the club's ladder (%v)", onRep, err)
		}

		// A third representative, acting for the club, is refused — told
		// it is the club's suspension, and until when.
		friday := at(2026, 12, 11, 10, 0)
		_, err = e.s.Book(ctx, acting(e.people[2]), BookInput{Facility: field1, Start: friday})
		wantKey(t, err, "booking.error.suspended_legal")
		p := errs.As(err).Params
		if n, _ := p["name"].(i18n.Text); n.AR != "شباب المعاريف" || n.FR != "Jeunes du Maârif" {
			t.Errorf("the suspension names %+v, want the club", p["name"])
		}
		if dt, _ := p["date"].(i18n.Text); dt.AR != i18n.FormatDate(i18n.AR, until) || dt.FR != i18n.FormatDate(i18n.FR, until) ||
			dt.EN != i18n.FormatDate(i18n.EN, until) {
			t.Errorf("the suspension's date: %+v, want %s", p["date"], i18n.FormatDate(i18n.FR, until))
		}
		_, err = e.s.JoinWaitlist(ctx, acting(e.people[2]), BookInput{Facility: field1, Start: thursday})
		wantKey(t, err, "booking.error.suspended_legal")
		_, err = e.s.Enter(ctx, acting(e.people[2]), BookInput{Facility: field1, Start: at(2026, 12, 14, 19, 0)})
		wantKey(t, err, "booking.error.suspended_legal")
		// Each representative still books in their own name.
		for i, p := range e.people[:3] {
			book(self(p), field2, at(2026, 12, 8, 16+i, 0))
		}

		// Thursday's slot is freed: the club's place is passed over.
		if _, err := e.s.Cancel(ctx, e.citizen(4), held.ID); err != nil {
			t.Fatal(err)
		}
		var offered int64
		if err := d.QueryRowContext(ctx, `SELECT holder_id FROM bookings WHERE facility_code = $1 AND slot_start = $2 AND state = 'offered'`,
			field1, thursday).Scan(&offered); err != nil || offered != e.people[5] {
			t.Fatalf("Thursday offered to %d (%v), want the citizen after the suspended club", offered, err)
		}
		var state string
		if err := d.QueryRowContext(ctx, `SELECT state FROM booking_waitlist WHERE legal_id = $1`, e.assoc).Scan(&state); err != nil || state != "left" {
			t.Fatalf("the club's waitlist place: %q (%v), want left", state, err)
		}

		// The representatives are told the penalty is the club's.
		dispatchAll(t, q)
		for _, c := range []struct {
			person int64
			until  string
		}{{e.people[0], ""}, {e.people[1], i18n.FormatDate(i18n.AR, until)}} {
			var raw string
			if err := d.QueryRowContext(ctx, `SELECT data FROM notify_deliveries WHERE template = 'booking.no_show' AND channel = 'inbox'
				AND user_id = $1`, "person:"+strconv.FormatInt(c.person, 10)).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			if m["For"] != "شباب المعاريف" || m["Until"] != c.until {
				t.Errorf("the no-show's notice to %d: %v; want the club's ladder, suspended until %q", c.person, m, c.until)
			}
		}

		// Lifted on review (contested by the third representative, for
		// the club): the club books again.
		if err := e.s.Contest(ctx, acting(e.people[2]), second.ID, "Le terrain était fermé ce soir-là."); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DecideReview(ctx, e.manager(e.mrManager, "moulay-rachid"), second.ID, Lifted, "Fermeture confirmée."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Book(ctx, acting(e.people[2]), BookInput{Facility: field1, Start: friday}); err != nil {
			t.Fatalf("the club after the lift: %v", err)
		}
		if n, err := e.s.AssociationPenalties(ctx, self(e.people[1])); err != nil || n != 0 {
			t.Fatalf("a lifted penalty still counted: %d, %v", n, err)
		}
	})
}

// The database keeps a penalty on the ladder of its booking's holder: a
// club's booking's penalty names the club, a person's own booking's none.
func TestAPenaltyIsOnItsBookingsLadder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rep := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: monday, Represents: []int64{e.assoc}, ActingFor: e.assoc}
		club, err := e.s.Book(ctx, rep, BookInput{Facility: field1, Start: at(2026, 12, 9, 10, 0)})
		if err != nil {
			t.Fatal(err)
		}
		own, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 9, 11, 0)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			booking, person int64
			legal           any
		}{{club.ID, e.maarifRep, nil}, {own.ID, e.people[0], e.assoc}, {club.ID, e.people[0], e.assoc}} {
			if _, err := d.ExecContext(ctx, `INSERT INTO booking_penalties (person_id, legal_id, booking_id, reason, step, at)
				VALUES ($1, $2, $3, 'no_show', 1, $4)`, c.person, c.legal, c.booking, monday); err == nil {
				t.Fatalf("the database took a penalty of booking %d on the ladder of %d/%v", c.booking, c.person, c.legal)
			}
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_penalties (person_id, legal_id, booking_id, reason, step, at)
			VALUES ($1, $2, $3, 'no_show', 1, $4)`, e.maarifRep, e.assoc, club.ID, monday); err != nil {
			t.Fatalf("the club's own penalty: %v", err)
		}
	})
}
