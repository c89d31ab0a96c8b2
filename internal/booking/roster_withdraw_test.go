package booking

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// commitRoster commits field2's roster of the 2027–2028 season with a
// fixed seed, as the clock would before the window.
func commitRoster(t *testing.T, e *env, seed string) {
	t.Helper()
	f, _, err := e.s.Facility(context.Background(), field2)
	if err != nil {
		t.Fatal(err)
	}
	season := Season{From: "2027-09-01", To: "2028-06-30"}
	opens, closes, _ := f.RosterWindow(season)
	if _, err := e.d.ExecContext(context.Background(), `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at,
		closes_at, seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)`, field2, season.From,
		season.To, opens, closes, SeedHash(seed), e.s.box.Seal([]byte(seed), rosterAAD(field2, season.From)), monday); err != nil {
		t.Fatal(err)
	}
}

// wantRefused wants the policy's refusal: forbidden, or not found for
// what is not one's own (the policy does not say it exists).
func wantRefused(t *testing.T, err error, what string) {
	t.Helper()
	if e := errs.As(err); e == nil || (e.Kind != errs.Forbidden && e.Kind != errs.NotFound) {
		t.Errorf("%s: %v, want the policy's refusal", what, err)
	}
}

// An association's representative, acting for it, withdraws its
// application while the window is open (it takes no part in the draw);
// once allocated, gives back its weekly slot for the rest of the
// season: the weeks ahead are cancelled as any cancellation (the one
// past the deadline kept), the freed week goes to its waitlist, and the
// published roster still verifies, the slot given back listed.
func TestRosterWithdrawalAndGiveBack(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		commitRoster(t, e, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		e.clock.set(rosterOpen)
		sat, wed, sun := weekly(6, "17:00"), weekly(3, "19:00"), weekly(7, "10:00")
		a := e.association(t, "Club A", "cla@example.ma")
		b := e.association(t, "Club B", "clb@example.ma")
		c := e.association(t, "Club C", "clc@example.ma")
		dd := e.association(t, "Club D", "cld@example.ma")
		ee := e.association(t, "Club E", "cle@example.ma")
		apply := func(x authz.Actor, w WeeklySlot) *Application {
			t.Helper()
			app, err := e.s.ApplyRoster(ctx, x, RosterInput{Facility: field2, Choices: []WeeklySlot{w}})
			if err != nil {
				t.Fatal(err)
			}
			return app
		}
		appA, appB, appC, appD, appE := apply(a, sat), apply(b, wed), apply(c, sat), apply(dd, sat), apply(ee, sun)

		// Only a representative acting for the association withdraws.
		_, err := e.s.WithdrawRoster(ctx, a, appC.ID)
		wantRefused(t, err, "another association's representative")
		notActing := c
		notActing.ActingFor = 0
		_, err = e.s.WithdrawRoster(ctx, notActing, appC.ID)
		wantRefused(t, err, "its representative acting for no one")
		_, err = e.s.WithdrawRoster(ctx, e.citizen(0), appC.ID)
		wantRefused(t, err, "a citizen")
		_, err = e.s.WithdrawRoster(ctx, c, 999999)
		wantKey(t, err, "booking.error.roster_application")
		w, err := e.s.WithdrawRoster(ctx, c, appC.ID)
		if err != nil || w.Withdrawal != Withdrawn {
			t.Fatalf("withdraw: %+v, %v", w, err)
		}
		_, err = e.s.WithdrawRoster(ctx, c, appC.ID)
		wantKey(t, err, "booking.error.roster_withdrawn")
		// The association may not apply again: one application per season.
		_, err = e.s.ApplyRoster(ctx, c, RosterInput{Facility: field2, Choices: []WeeklySlot{sat}})
		wantKey(t, err, "booking.error.roster_applied")
		mine, err := e.s.MyRosterApplications(ctx, c)
		if err != nil || len(mine) != 1 || mine[0].Withdrawal != Withdrawn || mine[0].WithdrawnAt == nil {
			t.Fatalf("C's applications: %+v, %v", mine, err)
		}

		// After the window: too late to withdraw before the draw.
		e.clock.set(rosterClosed)
		_, err = e.s.WithdrawRoster(ctx, dd, appD.ID)
		wantKey(t, err, "booking.error.roster_withdraw_closed")
		id := mustRoster(t, e, field2)
		p, err := e.s.AllocateRoster(ctx, authz.Actor{System: true}, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 4 || !slices.Equal(p.Roster.Withdrawn, []string{appC.Token}) || p.Roster.Choices[appC.Token] != nil {
			t.Fatalf("published: entries %v, withdrawn %v", p.Entries, p.Roster.Withdrawn)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_legal_id = $1`, c.ActingFor).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the withdrawn association holds %d bookings (%v)", n, err)
		}
		if p.Roster.Granted[appB.Token] != wed.Key() || p.Roster.Granted[appE.Token] != sun.Key() {
			t.Fatalf("granted %v", p.Roster.Granted)
		}
		satApp, satRep, lost, lostRep := appA, a, appD, dd
		if p.Roster.Granted[appD.Token] == sat.Key() {
			satApp, satRep, lost, lostRep = appD, dd, appA, a
		}
		_, err = e.s.WithdrawRoster(ctx, lostRep, lost.ID)
		wantKey(t, err, "booking.error.roster_not_granted")

		// B's Wednesday: a citizen waits for 20 October; B gives it back on
		// Monday 18: the 20th goes to the citizen, every Wednesday after is
		// free.
		e.clock.set(at(2027, 10, 14, 10, 0))
		wed20 := at(2027, 10, 20, 19, 0)
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(0), BookInput{Facility: field2, Start: wed20}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(at(2027, 10, 18, 10, 0))
		_, err = e.s.WithdrawRoster(ctx, a, appB.ID)
		wantRefused(t, err, "another association giving back B's slot")
		g, err := e.s.WithdrawRoster(ctx, b, appB.ID)
		if err != nil || g.Withdrawal != GivenBack || g.Cancelled < 30 || g.Kept != 0 {
			t.Fatalf("give back: %+v, %v", g, err)
		}
		left, err := listBookings(ctx, d, `holder_legal_id = $1 AND slot_start > $2 AND `+activeSQL, `slot_start`, 500,
			b.ActingFor, at(2027, 10, 18, 10, 0))
		if err != nil || len(left) != 0 {
			t.Fatalf("B still holds %d Wednesdays ahead (%v)", len(left), err)
		}
		offers, err := e.s.Mine(ctx, e.citizen(0))
		if err != nil || len(offers) != 1 || offers[0].State != Offered || !offers[0].Start.Equal(wed20) {
			t.Fatalf("the waiting citizen: %+v, %v", offers, err)
		}
		if n := e.active(t, field2, at(2027, 10, 27, 19, 0)); n != 0 {
			t.Fatalf("the next Wednesday has %d holders: it should be free", n)
		}
		_, err = e.s.WithdrawRoster(ctx, b, appB.ID)
		wantKey(t, err, "booking.error.roster_withdrawn")

		// The Saturday's holder gives it back on Friday 22 at 18:00: the
		// next day is past the 24-hour cancellation deadline and is kept.
		e.clock.set(at(2027, 10, 22, 18, 0))
		g, err = e.s.WithdrawRoster(ctx, satRep, satApp.ID)
		if err != nil || g.Kept != 1 || g.Cancelled < 30 {
			t.Fatalf("give back the Saturday: %+v, %v", g, err)
		}
		if n := e.active(t, field2, at(2027, 10, 23, 17, 0)); n != 1 {
			t.Fatalf("the Saturday within the deadline has %d holders, want the association still", n)
		}

		// The published roster lists both, and still verifies.
		p, err = e.s.PublishedRoster(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Roster.GivenBack) != 2 || !p.Roster.GivenBack[appB.Token].Equal(at(2027, 10, 18, 10, 0)) ||
			p.Roster.Granted[appB.Token] != wed.Key() {
			t.Fatalf("given back: %v, granted %v", p.Roster.GivenBack, p.Roster.Granted)
		}
		raw, _ := json.Marshal(p)
		file := t.TempDir() + "/roster.json"
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		if code := CLI(ctx, []string{"verify-draw", file}, &out, &errOut); code != DrawConfirmed {
			t.Fatalf("verify-draw after give-backs: %d %s %s", code, out.String(), errOut.String())
		}
		if !strings.Contains(string(raw), `"given_back"`) || !strings.Contains(string(raw), `"withdrawn"`) {
			t.Errorf("published JSON: %s", raw)
		}

		// After the season: nothing left to give back.
		e.clock.set(at(2028, 7, 1, 0, 0))
		_, err = e.s.WithdrawRoster(ctx, ee, appE.ID)
		wantKey(t, err, "booking.error.roster_season_over")

		// The database: a withdrawal after the allocation, a change or a
		// deletion are refused.
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_roster_withdrawals (application_id, kind, person_id, at, cancelled)
			VALUES ($1, 'withdrawn', $2, $3, 0)`, appE.ID, ee.Person, rosterClosed); err == nil {
			t.Error("an allocated application was withdrawn")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_roster_withdrawals (application_id, kind, person_id, at, cancelled)
			VALUES ($1, 'given_back', $2, $3, 0)`, lost.ID, lostRep.Person, rosterClosed); err == nil {
			t.Error("a slot never granted was given back")
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_roster_withdrawals SET cancelled = 0`); err == nil {
			t.Error("a withdrawal was changed")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM booking_roster_withdrawals`); err == nil {
			t.Error("a withdrawal was deleted")
		}
	})
}
