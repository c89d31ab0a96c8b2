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
)

// The second round: committed (its own seed's hash published) when the
// first round is allocated, open to the associations it gave nothing,
// offering the slots left and those given back since; allocated by the
// clock when it closes with the same equal-weight lottery, and the
// published roster verifies, both rounds re-run.
func TestRosterSecondRound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		commitRoster(t, e, "2222222222222222222222222222222222222222222222222222222222222222")
		e.clock.set(rosterOpen)
		sat, wed, sun := weekly(6, "17:00"), weekly(3, "19:00"), weekly(7, "10:00")
		reps := []authz.Actor{e.association(t, "Club A", "cla@example.ma"), e.association(t, "Club B", "clb@example.ma"),
			e.association(t, "Club C", "clc@example.ma"), e.association(t, "Club D", "cld@example.ma")}
		var apps []*Application
		for i, w := range []WeeklySlot{sat, sat, sat, wed} {
			app, err := e.s.ApplyRoster(ctx, reps[i], RosterInput{Facility: field2, Choices: []WeeklySlot{w}})
			if err != nil {
				t.Fatal(err)
			}
			apps = append(apps, app)
		}
		id := mustRoster(t, e, field2)
		e.clock.set(rosterClosed)
		p, err := e.s.AllocateRoster(ctx, authz.Actor{System: true}, id)
		if err != nil {
			t.Fatal(err)
		}
		second := p.Roster.Second
		if second == nil || second.State != "open" || second.Seed != "" || len(second.SeedHash) != 64 ||
			!second.Closes.Equal(at(2027, 8, 17, 0, 0)) {
			t.Fatalf("the second round at the first's allocation: %+v", second)
		}
		var won int
		var lost []int
		for i := 0; i < 3; i++ {
			if p.Roster.Granted[apps[i].Token] == sat.Key() {
				won = i
			} else {
				lost = append(lost, i)
			}
		}
		if len(lost) != 2 {
			t.Fatalf("granted %v", p.Roster.Granted)
		}
		l1, l2 := lost[0], lost[1]
		// Who may apply, and for what.
		e.clock.set(at(2027, 8, 5, 10, 0))
		_, err = e.s.ApplyRound(ctx, reps[won], apps[won].ID, []WeeklySlot{sun})
		wantKey(t, err, "booking.error.roster_round_eligible")
		_, err = e.s.ApplyRound(ctx, reps[won], apps[l1].ID, []WeeklySlot{sun})
		wantRefused(t, err, "another association's representative in the second round")
		_, err = e.s.ApplyRound(ctx, reps[l1], apps[l1].ID, []WeeklySlot{sat})
		wantKey(t, err, "booking.error.roster_round_slot")
		_, err = e.s.ApplyRound(ctx, reps[l2], apps[l2].ID, []WeeklySlot{sun, wed})
		wantKey(t, err, "booking.error.roster_round_slot")
		// D gives back its Wednesday: it is offered in the second round.
		if _, err := e.s.WithdrawRoster(ctx, reps[3], apps[3].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ApplyRound(ctx, reps[l1], apps[l1].ID, []WeeklySlot{sun}); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.ApplyRound(ctx, reps[l1], apps[l1].ID, []WeeklySlot{wed})
		wantKey(t, err, "booking.error.roster_applied")
		if _, err := e.s.ApplyRound(ctx, reps[l2], apps[l2].ID, []WeeklySlot{sun, wed}); err != nil {
			t.Fatal(err)
		}

		// Allocation: not before the close; never by a manager who
		// represents an applicant.
		mgr := e.manager(e.mrManager, "moulay-rachid")
		_, err = e.s.AllocateRound(ctx, mgr, id)
		wantKey(t, err, "booking.error.roster_open")
		e.clock.set(at(2027, 8, 17, 0, 1))
		_, err = e.s.ApplyRound(ctx, reps[won], apps[won].ID, []WeeklySlot{sun})
		wantKey(t, err, "booking.error.roster_round_closed")
		conflicted := e.manager(reps[l2].Person, "moulay-rachid", reps[l2].ActingFor)
		_, err = e.s.AllocateRound(ctx, conflicted, id)
		wantKey(t, err, "error.authz.conflict")
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		p, err = e.s.PublishedRoster(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		second = p.Roster.Second
		if second.State != "allocated" || SeedHash(second.Seed) != second.SeedHash || len(second.Entries) != 2 {
			t.Fatalf("the second round after the clock: %+v", second)
		}
		if slices.Contains(second.Offered, sat.Key()) || !slices.Contains(second.Offered, wed.Key()) || !slices.Contains(second.Offered, sun.Key()) {
			t.Fatalf("offered %v: Saturday is held, Wednesday was given back", second.Offered)
		}
		if err := p.Verify(); err != nil {
			t.Fatalf("the published roster does not verify: %v", err)
		}
		// Whoever comes first gets Sunday; if it is l1, l2 gets Wednesday.
		first := second.Result[0]
		if second.Granted[first] != sun.Key() {
			t.Fatalf("the first in the order got %q", second.Granted[first])
		}
		raw, _ := json.Marshal(p)
		file := t.TempDir() + "/roster.json"
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		if code := CLI(ctx, []string{"verify-draw", file}, &out, &errOut); code != DrawConfirmed || !strings.Contains(out.String(), "second round") {
			t.Fatalf("verify-draw: %d %s %s", code, out.String(), errOut.String())
		}
		bad := *p
		badRoster := *p.Roster
		badSecond := *second
		badSecond.Granted = map[string]string{second.Result[len(second.Result)-1]: sun.Key()}
		badRoster.Second = &badSecond
		bad.Roster = &badRoster
		if bad.Verify() == nil {
			t.Error("a tampered second round verifies")
		}
		// The Sunday's bookings: every Sunday from the season's start.
		var holder authz.Actor
		for _, x := range []int{l1, l2} {
			var tok string
			if err := d.QueryRowContext(ctx, `SELECT token FROM booking_roster_round_applications WHERE application_id = $1`, apps[x].ID).Scan(&tok); err != nil {
				t.Fatal(err)
			}
			if tok == first {
				holder = reps[x]
			}
		}
		bs, err := listBookings(ctx, d, `holder_legal_id = $1 AND `+activeSQL, `slot_start`, 500, holder.ActingFor)
		if err != nil || len(bs) < 40 || bs[0].Method != ByDraw || local(bs[0].Start).Weekday() != 0 {
			t.Fatalf("the Sunday holder's bookings: %d, %v", len(bs), err)
		}
		// The database: the second round is for the first round's
		// applicants given nothing.
		var round int64
		_ = d.QueryRowContext(ctx, `SELECT id FROM booking_roster_rounds WHERE roster_id = $1`, id).Scan(&round)
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_roster_round_applications (round_id, application_id, person_id, token,
			choice1, entered_at) VALUES ($1, $2, $3, 'zzzzzzzzzz', '7@11:00', $4)`, round, apps[won].ID, reps[won].Person, rosterClosed); err == nil {
			t.Error("a second-round application for an association already served")
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_roster_rounds SET offered = '6@17:00' WHERE id = $1`, round); err == nil {
			t.Error("an allocated round was changed")
		}
	})
}
