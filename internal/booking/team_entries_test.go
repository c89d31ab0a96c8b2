package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Field 2's peak slot on Saturday 19 December at 17:00 is released on
// Saturday 12 at 08:00; its draw collects requests for 24 hours.
var (
	teamPeak      = at(2026, 12, 19, 17, 0)
	teamPeakOpen  = at(2026, 12, 12, 9, 0)
	teamPeakDrawn = at(2026, 12, 13, 8, 1)
)

// lions is a team of six captained by citizen 0, with citizens 1 to 5.
func (e *env) lions(t *testing.T) int64 {
	t.Helper()
	return e.team(t, "Les Lions", e.citizen(0), e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
}

func (e *env) drawOf(t *testing.T, code string, start time.Time) int64 {
	t.Helper()
	d, err := drawOf(context.Background(), e.d, code, start)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// A captain enters a peak slot's draw for the team; each person has one
// chance per draw: a player may not enter in their own name, nor with
// another team, nor the captain twice — the service names who and why,
// and the database refuses an entry written past it. The team weighs as
// its least weighty player, and both the captain and a player find the
// entry in their space.
func TestATeamEntersADrawOnceForEachPlayer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lions := e.lions(t)
		// Citizen 3 was served at a field yesterday: the team weighs 1.
		e.clock.set(teamPeakOpen)
		if _, err := d.ExecContext(ctx, `INSERT INTO bookings (number, facility_code, slot_start, slot_end, holder_id, method, token,
			state, created_at, updated_at, version) VALUES ('B-SERVED03', $1, $2, $3, $4, 'first_come', 'served0003', 'held', $5, $5, 1)`,
			field1, teamPeakOpen.Add(-24*time.Hour), teamPeakOpen.Add(-23*time.Hour), e.people[3], monday); err != nil {
			t.Fatal(err)
		}
		in := BookInput{Facility: field2, Start: teamPeak, Team: lions}
		if _, err := e.s.Enter(ctx, e.citizen(1), in); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a player entered the team they do not captain: %v", err)
		}
		if _, err := e.s.Enter(ctx, e.citizen(0), in); err != nil {
			t.Fatalf("the captain's entry for the team: %v", err)
		}
		// A player in their own name, the captain in theirs or twice for
		// the team: already in.
		_, err := e.s.Enter(ctx, e.citizen(1), BookInput{Facility: field2, Start: teamPeak})
		wantKey(t, err, "booking.error.entered_team")
		if errs.As(err).Params["team"] != "Les Lions" {
			t.Errorf("the refusal does not name the team: %+v", errs.As(err).Params)
		}
		_, err = e.s.Enter(ctx, e.citizen(0), BookInput{Facility: field2, Start: teamPeak})
		wantKey(t, err, "booking.error.entered_team")
		_, err = e.s.Enter(ctx, e.citizen(0), in)
		wantKey(t, err, "booking.error.entered_team")
		// Another team with citizen 2 among its players: refused, naming
		// citizen 2.
		x := make([]authz.Actor, 6)
		for i := range x {
			x[i] = e.extra(t, "x"+string(rune('0'+i)))
		}
		tigres := e.team(t, "Les Tigres", x[0], e.citizen(2), x[1], x[2], x[3], x[4])
		_, err = e.s.Enter(ctx, x[0], BookInput{Facility: field2, Start: teamPeak, Team: tigres})
		wantKey(t, err, "booking.error.entered_player")
		if n, _ := errs.As(err).Params["name"].(i18n.Text); n.FR != "Said Alaoui" || n.AR != "سعيد العلوي" {
			t.Errorf("the refusal does not name the player: %+v", errs.As(err).Params)
		}
		// Past the service: the database refuses citizen 1 in their own
		// name, and citizen 2 listed in another entry.
		draw := e.drawOf(t, field2, teamPeak)
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_entries (draw_id, person_id, token, weight, entered_at)
			VALUES ($1, $2, 'bypass0001', 30, $3)`, draw, e.people[1], teamPeakOpen); err == nil {
			t.Fatal("the database let a team's player enter the draw in their own name too")
		}
		tok, err := e.s.Enter(ctx, x[5], BookInput{Facility: field2, Start: teamPeak})
		if err != nil {
			t.Fatal(err)
		}
		var xEntry int64
		if err := d.QueryRowContext(ctx, `SELECT id FROM booking_entries WHERE token = $1`, tok).Scan(&xEntry); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_entry_players (entry_id, draw_id, person_id) VALUES ($1, $2, $3)`,
			xEntry, draw, e.people[2]); err == nil {
			t.Fatal("the database listed a player in a personal entry, and twice in the draw")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_entries (draw_id, person_id, token, weight, entered_at, team_id)
			VALUES ($1, $2, 'bypass0002', 30, $3, $4)`, draw, x[1].Person, teamPeakOpen, tigres); err == nil {
			t.Fatal("the database let a member who is not the captain enter for the team")
		}
		// The register: two entries, the team's weighing as citizen 3.
		p, err := e.s.PublishedDraw(ctx, draw)
		if err != nil || len(p.Entries) != 2 {
			t.Fatalf("the register: %+v %v", p, err)
		}
		weights := map[int]int{}
		for _, en := range p.Entries {
			weights[en.Weight]++
		}
		if weights[1] != 1 || weights[MaxWeight] != 1 {
			t.Errorf("weights %v: the team should weigh as its player served yesterday (1), the other %d", weights, MaxWeight)
		}
		for i, want := range map[int]bool{0: true, 1: false} {
			es, err := e.s.Entries(ctx, e.citizen(i))
			if err != nil || len(es) != 1 || es[0].Team != "Les Lions" || es[0].Captain != want || !es[0].Start.Equal(teamPeak) {
				t.Errorf("citizen %d's entries: %+v %v", i, es, err)
			}
		}
	})
}

// The team's entry wins: the slot is a team slot held by the captain,
// with the players listed, and each player gets their own code and is
// told; the draw verifies.
func TestATeamWinsADrawAsATeamSlot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lions := e.lions(t)
		e.clock.set(teamPeakOpen)
		if _, err := e.s.Enter(ctx, e.citizen(0), BookInput{Facility: field2, Start: teamPeak, Team: lions}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(teamPeakDrawn)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.PublishedDraw(ctx, e.drawOf(t, field2, teamPeak))
		if err != nil || p.State != "drawn" || len(p.Result) != 1 {
			t.Fatalf("the draw: %+v %v", p, err)
		}
		if err := p.Verify(); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(0))
		if len(mine) != 1 || !mine[0].Start.Equal(teamPeak) || mine[0].Method != ByDraw || mine[0].State != Held {
			t.Fatalf("the captain's bookings: %+v", mine)
		}
		ts, ok, err := e.s.TeamSlot(ctx, mine[0].ID)
		if err != nil || !ok || ts.Team != lions || len(ts.Players) != 6 || ts.Need != 3 {
			t.Fatalf("the slot won is no team slot: %+v %v %v", ts, ok, err)
		}
		played, _ := e.s.Played(ctx, e.citizen(4))
		if len(played) != 1 || played[0].ID != mine[0].ID {
			t.Fatalf("a player does not find the slot won: %+v", played)
		}
		if code, _, err := e.s.PlayerCode(ctx, e.citizen(4), mine[0].ID); err != nil || code == "" {
			t.Fatalf("a player's code: %q %v", code, err)
		}
		if es, _ := e.s.Entries(ctx, e.citizen(1)); len(es) != 0 {
			t.Errorf("a draw held is still listed among the entries: %+v", es)
		}
	})
}

// A team whose quorum fell under the minimum before the draw (a player
// left, another suspended) is passed over, as a suspended person is:
// no slot, no waitlist place; the draw still verifies.
func TestADrawPassesOverATeamThatLostItsQuorum(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lions := e.lions(t)
		e.clock.set(teamPeakOpen)
		other := e.extra(t, "other")
		if _, err := e.s.Enter(ctx, e.citizen(0), BookInput{Facility: field2, Start: teamPeak, Team: lions}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Enter(ctx, other, BookInput{Facility: field2, Start: teamPeak}); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Leave(ctx, e.citizen(5), lions); err != nil {
			t.Fatal(err)
		}
		e.clock.set(teamPeakDrawn)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.PublishedDraw(ctx, e.drawOf(t, field2, teamPeak))
		if err != nil || len(p.Result) != 2 {
			t.Fatalf("the draw: %+v %v", p, err)
		}
		if err := p.Verify(); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, other)
		if len(mine) != 1 || mine[0].State != Held || !mine[0].Start.Equal(teamPeak) {
			t.Fatalf("the one person left did not win: %+v", mine)
		}
		if m, _ := e.s.Mine(ctx, e.citizen(0)); len(m) != 0 {
			t.Errorf("the team of five was given a slot: %+v", m)
		}
		if ws, _ := e.s.WaitPlaces(ctx, e.citizen(0)); len(ws) != 0 {
			t.Errorf("the team of five waits: %+v", ws)
		}
	})
}

// A team that does not win waits as a team; a freed slot is offered to
// it as a team slot, which the captain confirms; a person waits once per
// slot (in their own name or a team's); a team that lost its quorum is
// passed over.
func TestATeamWaitsAndIsOfferedAFreedSlot(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lions := e.lions(t)
		holder, next := e.extra(t, "holder"), e.extra(t, "next")
		first, second := at(2026, 12, 8, 18, 0), at(2026, 12, 9, 18, 0)
		var held []*Booking
		for _, st := range []time.Time{first, second} {
			b, err := e.s.Book(ctx, holder, BookInput{Facility: field2, Start: st})
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, b)
			if rank, err := e.s.JoinWaitlist(ctx, e.citizen(0), BookInput{Facility: field2, Start: st, Team: lions}); err != nil || rank != 1 {
				t.Fatalf("the team's place: %d %v", rank, err)
			}
			if _, err := e.s.JoinWaitlist(ctx, next, BookInput{Facility: field2, Start: st}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.s.JoinWaitlist(ctx, e.citizen(1), BookInput{Facility: field2, Start: first})
		wantKey(t, err, "booking.error.waiting_team")
		_, err = e.s.JoinWaitlist(ctx, e.citizen(0), BookInput{Facility: field2, Start: first, Team: lions})
		wantKey(t, err, "booking.error.waiting_team")
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_waitlist (facility_code, slot_start, person_id, rank, state, joined_at)
			SELECT facility_code, slot_start, $1, 9, 'waiting', joined_at FROM booking_waitlist WHERE person_id = $2 AND slot_start = $3`,
			e.people[1], e.people[0], first); err == nil {
			t.Fatal("the database let a team's player wait in their own name too")
		}
		ws, err := e.s.WaitPlaces(ctx, e.citizen(3))
		if err != nil || len(ws) != 2 || ws[0].Team != "Les Lions" || ws[0].Place != 1 {
			t.Fatalf("a player's places: %+v %v", ws, err)
		}
		// The desk's calendar names the team waiting first.
		wk, err := e.s.Calendar(ctx, e.manager(e.mrManager, "moulay-rachid"), field2, calendar.DateOf(first))
		if err != nil {
			t.Fatal(err)
		}
		var line []Waiter
		for _, dd := range wk.Days {
			for _, c := range dd.Cells {
				if c.Start.Equal(first) {
					line = c.Waiting
				}
			}
		}
		if len(line) != 2 || line[0].Team != "Les Lions" || line[0].Person != e.people[0] || line[1].Team != "" {
			t.Errorf("the desk's waitlist: %+v", line)
		}
		// The first slot freed: the team is offered it, the captain
		// confirms, and it is a team slot.
		if _, err := e.s.Cancel(ctx, holder, held[0].ID); err != nil {
			t.Fatal(err)
		}
		mine, _ := e.s.Mine(ctx, e.citizen(0))
		if len(mine) != 1 || mine[0].State != Offered || !mine[0].Start.Equal(first) {
			t.Fatalf("the team was not offered the freed slot: %+v", mine)
		}
		if ts, ok, err := e.s.TeamSlot(ctx, mine[0].ID); err != nil || !ok || ts.Team != lions || len(ts.Players) != 6 {
			t.Fatalf("the offer is no team slot: %+v %v %v", ts, ok, err)
		}
		if _, err := e.s.Confirm(ctx, e.citizen(1), mine[0].ID); err == nil {
			t.Fatal("a player confirmed the team's offer")
		}
		if b, err := e.s.Confirm(ctx, e.citizen(0), mine[0].ID); err != nil || b.State != Held {
			t.Fatalf("the captain's confirmation: %+v %v", b, err)
		}
		// A player leaves: five are too few, and the second slot freed
		// goes to the next one waiting.
		if err := e.s.Leave(ctx, e.citizen(5), lions); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Cancel(ctx, holder, held[1].ID); err != nil {
			t.Fatal(err)
		}
		got, _ := e.s.Mine(ctx, next)
		if len(got) != 1 || got[0].State != Offered || !got[0].Start.Equal(second) {
			t.Fatalf("the team of five was not passed over: %+v", got)
		}
		if ws, _ := e.s.WaitPlaces(ctx, e.citizen(3)); len(ws) != 0 {
			t.Errorf("the team passed over still waits: %+v", ws)
		}
	})
}

// Nobody holds a draw they are in: a manager who entered it in their
// own name, or who plays in a team that entered it, is refused by the
// policy's conflict-of-interest rule; the clock (or another manager)
// holds it.
func TestAManagerDoesNotHoldADrawTheyAreIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock.set(teamPeakOpen)
		// The manager, from their personal account, plays in a team.
		mgr := e.manager(e.mrManager, "moulay-rachid")
		self := authz.Actor{Person: e.mrManager, EmailVerified: true, Now: e.clock.now()}
		x := []authz.Actor{self}
		for i := range 5 {
			x = append(x, e.extra(t, "m"+string(rune('0'+i))))
		}
		team := e.team(t, "Les Gestionnaires", x[1], x[0], x[2], x[3], x[4], x[5])
		if _, err := e.s.Enter(ctx, x[1], BookInput{Facility: field2, Start: teamPeak, Team: team}); err != nil {
			t.Fatal(err)
		}
		// On field 1, the manager enters in their own name.
		own := at(2026, 12, 14, 19, 0)
		e.clock.set(at(2026, 12, 7, 9, 0))
		self.Now = e.clock.now()
		if _, err := e.s.Enter(ctx, self, BookInput{Facility: field1, Start: own}); err != nil {
			t.Fatal(err)
		}
		e.clock.set(teamPeakDrawn)
		mgr.Now = e.clock.now()
		for _, dr := range []struct {
			code  string
			start time.Time
		}{{field1, own}, {field2, teamPeak}} {
			id := e.drawOf(t, dr.code, dr.start)
			_, err := e.s.RunDraw(ctx, mgr, id)
			wantKey(t, err, "error.authz.conflict")
			p, err := e.s.RunDraw(ctx, authz.Actor{System: true}, id)
			if err != nil || p.State != "drawn" {
				t.Fatalf("the clock holding %s's draw: %+v, %v", dr.code, p, err)
			}
		}
	})
}

// A team's players are served with it: one listed on a team slot played
// yesterday weighs in a draw of their own as one who held it.
func TestATeamSlotServesItsPlayers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lions := e.lions(t)
		played := at(2026, 12, 8, 17, 0)
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field2, Start: played, Team: lions}); err != nil {
			t.Fatal(err)
		}
		// The day after, citizen 1 (a player) and someone else enter a
		// draw of field 1 in their own names.
		e.clock.set(at(2026, 12, 9, 9, 0))
		if _, err := e.s.PrepareDraws(ctx); err != nil {
			t.Fatal(err)
		}
		peak := at(2026, 12, 16, 19, 0)
		other := e.extra(t, "other")
		for _, a := range []authz.Actor{e.citizen(1), other} {
			a.Now = e.clock.now()
			if _, err := e.s.Enter(ctx, a, BookInput{Facility: field1, Start: peak}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.QueryContext(ctx, `SELECT person_id, weight FROM booking_entries WHERE draw_id = $1`, e.drawOf(t, field1, peak))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int64]int{}
		for rows.Next() {
			var p int64
			var w int
			if err := rows.Scan(&p, &w); err != nil {
				t.Fatal(err)
			}
			got[p] = w
		}
		if got[e.people[1]] != 1 || got[other.Person] != MaxWeight {
			t.Fatalf("weights %v: the player served yesterday weighs 1, the other %d", got, MaxWeight)
		}
	})
}
