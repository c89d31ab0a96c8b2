package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// An association has one chance per draw and one place per waitlist,
// whichever of its representatives asks: a second representative is
// refused, named, and the database refuses it past the service; in
// their own name a representative who did not ask for it keeps their own
// chance (one who did has had theirs: one chance per person). The
// association's entry weighs as the association was served — the slot a
// representative held for it yesterday — and that slot does not lighten
// the representative's own entries.
func TestAnAssociationHasOneChancePerDraw(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `UPDATE legal_persons SET name = 'Jeunesse du Maarif', name_ar = 'شباب المعاريف' WHERE id = $1`,
			e.assoc); err != nil {
			t.Fatal(err)
		}
		for _, p := range e.people[:2] {
			e.representative(t, e.assoc, p)
		}
		acting := func(p int64) authz.Actor {
			return authz.Actor{Person: p, EmailVerified: true, Now: e.clock.now(), Represents: []int64{e.assoc}, ActingFor: e.assoc}
		}
		self := func(p int64) authz.Actor { return authz.Actor{Person: p, EmailVerified: true, Now: e.clock.now()} }
		// Yesterday (Sunday) representative 1 held field 2 for the club.
		if _, err := d.ExecContext(ctx, `INSERT INTO bookings (number, facility_code, slot_start, slot_end, holder_id, holder_legal_id,
			method, token, state, created_at, updated_at, version) VALUES ('B-CLUBSUN1', 'moulay-rachid-field-2', $1, $2, $3, $4,
			'first_come', 'clubsunday', 'held', $5, $5, 1)`, monday.Add(-24*time.Hour), monday.Add(-23*time.Hour), e.people[1], e.assoc,
			monday.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.PrepareDraws(ctx); err != nil {
			t.Fatal(err)
		}
		peak := at(2026, 12, 14, 19, 0)
		in := BookInput{Facility: field1, Start: peak}
		if _, err := e.s.Enter(ctx, acting(e.people[0]), in); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.Enter(ctx, acting(e.people[1]), in)
		wantKey(t, err, "booking.error.entered_legal")
		if n, _ := errs.As(err).Params["name"].(i18n.Text); n.FR != "Jeunesse du Maarif" || n.AR != "شباب المعاريف" {
			t.Errorf("the refusal does not name the association: %+v", errs.As(err).Params)
		}
		// In their own names: representative 1 has their own chance;
		// representative 0, in the draw for the club, has had theirs.
		if _, err := e.s.Enter(ctx, self(e.people[1]), in); err != nil {
			t.Fatalf("a representative in their own name: %v", err)
		}
		_, err = e.s.Enter(ctx, self(e.people[0]), in)
		wantKey(t, err, "booking.error.entered")
		draw := e.drawOf(t, field1, peak)
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_entries (draw_id, person_id, legal_id, token, weight, entered_at)
			VALUES ($1, $2, $3, 'bypass0003', 30, $4)`, draw, e.people[2], e.assoc, monday); err == nil {
			t.Fatal("the database let an association enter a draw twice")
		}
		weights := map[string]int{}
		rows, err := d.QueryContext(ctx, `SELECT COALESCE(legal_id, 0), person_id, weight FROM booking_entries WHERE draw_id = $1`, draw)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var legal, person int64
			var w int
			if err := rows.Scan(&legal, &person, &w); err != nil {
				t.Fatal(err)
			}
			switch {
			case legal != 0:
				weights["club"] = w
			default:
				weights["rep1"] = w
			}
		}
		rows.Close()
		if weights["club"] != 1 || weights["rep1"] != MaxWeight {
			t.Errorf("weights %v: the club was served yesterday (1); the representative who booked for it, in their own name, was not (%d)",
				weights, MaxWeight)
		}

		// The waitlist: a citizen holds Thursday morning; the club waits
		// once.
		thursday := at(2026, 12, 10, 10, 0)
		if _, err := e.s.Book(ctx, e.citizen(3), BookInput{Facility: field1, Start: thursday}); err != nil {
			t.Fatal(err)
		}
		wait := BookInput{Facility: field1, Start: thursday}
		if _, err := e.s.JoinWaitlist(ctx, acting(e.people[0]), wait); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.JoinWaitlist(ctx, acting(e.people[1]), wait)
		wantKey(t, err, "booking.error.waiting_legal")
		if _, err := e.s.JoinWaitlist(ctx, self(e.people[1]), wait); err != nil {
			t.Fatalf("a representative waiting in their own name: %v", err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_waitlist (facility_code, slot_start, person_id, legal_id, rank, state, joined_at)
			VALUES ($1, $2, $3, $4, 99, 'waiting', $5)`, field1, thursday, e.people[2], e.assoc, monday); err == nil {
			t.Fatal("the database let an association wait twice for a slot")
		}
	})
}
