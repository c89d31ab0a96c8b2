package booking

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// field2 is Moulay Rachid's second field: citizens, associations and
// teams of six book it; two a week for a citizen or a team, three
// future bookings at most.
const field2 = "moulay-rachid-field-2"

// team creates a team captained by captain whose invitations the others
// accept; it returns the team's id.
func (e *env) team(t *testing.T, name string, captain authz.Actor, members ...authz.Actor) int64 {
	t.Helper()
	ctx := context.Background()
	tm, err := e.s.CreateTeam(ctx, captain, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := e.s.Invite(ctx, captain, tm.ID, e.email(t, m.Person)); err != nil {
			t.Fatal(err)
		}
		e.accept(t, m, tm.ID)
	}
	return tm.ID
}

func (e *env) email(t *testing.T, person int64) string {
	t.Helper()
	var s string
	if err := e.d.QueryRowContext(context.Background(), `SELECT email FROM persons WHERE id = $1`, person).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// accept accepts a's invitation to team id.
func (e *env) accept(t *testing.T, a authz.Actor, id int64) {
	t.Helper()
	vs, err := e.s.Invitations(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Team == id {
			if err := e.s.Answer(context.Background(), a, v.ID, true); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("person %d has no invitation to team %d: %+v", a.Person, id, vs)
}

func (e *env) extra(t *testing.T, name string) authz.Actor {
	t.Helper()
	return authz.Actor{Person: e.person(t, name+"@example.ma"), EmailVerified: true, Now: e.clock.now()}
}

// A Rules set with teams must make sense: a team of two at least, no
// larger than the place, and a minimum only where teams book.
func TestTeamRulesThatContradictThemselvesAreRefused(t *testing.T) {
	f, _ := DefaultCatalogue().Facility(field2)
	if f.Rules.TeamMin != 6 {
		t.Fatalf("the pilot team field's minimum is %d", f.Rules.TeamMin)
	}
	one := *f
	one.Rules.TeamMin = 1
	wantKey(t, one.Check(), "booking.rules.team_min")
	big := *f
	big.Rules.TeamMin = f.Capacity + 1
	wantKey(t, big.Check(), "booking.rules.team_capacity")
	noTeams := *f
	noTeams.Rules.Who = []string{WhoCitizen}
	noTeams.Rules.Quotas = []Quota{{Per: WhoCitizen, Period: "week", Max: 2}}
	wantKey(t, noTeams.Check(), "booking.rules.team_who")
	teamQuota := *f
	teamQuota.Rules.Who = []string{WhoCitizen}
	teamQuota.Rules.TeamMin = 0
	wantKey(t, teamQuota.Check(), "booking.rules.quota_who")
}

// A team books a team slot with enough accepted, verified members: an
// invitation nobody accepted does not count, nor one to an address with
// no account (which the captain is never told). Members leave, the
// captain removes them and stays; the database keeps the invitations
// answered by their address's owner only.
func TestATeamBooksWithEnoughAcceptedMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4))
		// One invited who has not answered, one address with no account.
		if err := e.s.Invite(ctx, captain, id, " C5@Example.ma "); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Invite(ctx, captain, id, "nobody@example.ma"); err != nil {
			t.Fatalf("an address without an account is refused, which tells the inviter: %v", err)
		}
		wantKey(t, e.s.Invite(ctx, captain, id, "c5@example.ma"), "booking.error.team_invited")
		wantKey(t, e.s.Invite(ctx, captain, id, "not an address"), "booking.error.team_email")
		wantKey(t, e.s.Invite(ctx, e.citizen(1), id, "c9@example.ma"), "booking.error.team_not_found")

		start := at(2026, 12, 8, 17, 0)
		in := BookInput{Facility: field2, Start: start, Team: id}
		_, err := e.s.Book(ctx, captain, in)
		wantKey(t, err, "booking.error.team_small")
		if p := errs.As(err).Params; p["count"] != 5 || p["min"] != 6 {
			t.Errorf("the refusal says %v", p)
		}
		// The captain sees the open invitations by the address typed,
		// the members see names only.
		ts, err := e.s.Teams(ctx, captain)
		if err != nil || len(ts) != 1 {
			t.Fatalf("captain's teams: %v, %v", ts, err)
		}
		emails := map[string]string{}
		for _, m := range ts[0].Members {
			if m.Email != "" {
				emails[m.Email] = m.State
			}
		}
		if len(ts[0].Members) != 7 || emails["c5@example.ma"] != MemberInvited || emails["nobody@example.ma"] != MemberInvited {
			t.Fatalf("the captain's view: %+v", ts[0].Members)
		}
		mts, _ := e.s.Teams(ctx, e.citizen(1))
		if len(mts) != 1 || len(mts[0].Members) != 5 || mts[0].Members[0].Email != "" || mts[0].Members[0].Name != "Said Alaoui" {
			t.Fatalf("a member's view: %+v", mts[0].Members)
		}
		// Only the invited address's owner answers.
		vs, _ := e.s.Invitations(ctx, e.citizen(5))
		if len(vs) != 1 || vs[0].TeamName != "Les Lions" || vs[0].Members != 5 {
			t.Fatalf("c5's invitations: %+v", vs)
		}
		stranger := e.extra(t, "stranger")
		wantKey(t, e.s.Answer(ctx, stranger, vs[0].ID, true), "booking.error.team_not_found")
		if _, err := d.ExecContext(ctx, `UPDATE booking_team_members SET state = 'accepted', person_id = $1 WHERE id = $2`,
			stranger.Person, vs[0].ID); err == nil {
			t.Fatal("the database let someone else accept an invitation")
		}
		if err := e.s.Answer(ctx, e.citizen(5), vs[0].ID, true); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.Answer(ctx, e.citizen(5), vs[0].ID, false), "booking.error.team_answered")
		// Six: the team books; the captain holds the slot.
		b, err := e.s.Book(ctx, captain, in)
		if err != nil {
			t.Fatalf("a full team: %v", err)
		}
		ts2, ok, err := e.s.TeamSlot(ctx, b.ID)
		if err != nil || !ok || b.Holder != captain.Person || len(ts2.Players) != 6 || ts2.Need != 3 {
			t.Fatalf("the team slot: %+v %+v %v", b, ts2, err)
		}
		// A member does not book in the team's name; nor does the team
		// wait for the slot it holds (team_entries_test.go: teams enter
		// draws and wait for others).
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field2, Start: at(2026, 12, 9, 17, 0), Team: id})
		wantKey(t, err, "booking.error.team_not_found")
		_, err = e.s.JoinWaitlist(ctx, captain, in)
		wantKey(t, err, "booking.error.yours")
		// The same slot is the database's one holder's.
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field2, Start: start})
		wantKey(t, err, "booking.error.taken")
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_team_slots (booking_id, team_id, need) VALUES ($1, $2, 3)`,
			e.bookPlain(t, 1, at(2026, 12, 10, 17, 0)), id); err == nil {
			t.Error("the database made a citizen's booking a team's, not held by its captain")
		}
		// A member leaves, the captain removes another and stays: four
		// are too few.
		if err := e.s.Leave(ctx, e.citizen(1), id); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.Leave(ctx, captain, id), "booking.error.team_captain")
		for _, m := range ts[0].Members {
			if m.Person == e.people[2] {
				if err := e.s.Remove(ctx, captain, m.ID); err != nil {
					t.Fatal(err)
				}
			}
			if m.Person == captain.Person {
				wantKey(t, e.s.Remove(ctx, captain, m.ID), "booking.error.team_captain")
			}
		}
		_, err = e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 11, 17, 0), Team: id})
		wantKey(t, err, "booking.error.team_small")
	})
}

// bookPlain books a slot of field 2 for citizen i in their own name.
func (e *env) bookPlain(t *testing.T, i int, start time.Time) int64 {
	t.Helper()
	b, err := e.s.Book(context.Background(), e.citizen(i), BookInput{Facility: field2, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// Quotas count per team and per member: a member of two teams does not
// pass their own quota through them, and what they play in counts when
// they book in their own name.
func TestAMembersQuotaCountsThroughTheirTeams(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var others []authz.Actor
		for i := range 6 {
			others = append(others, e.extra(t, fmt.Sprintf("o%d", i)))
		}
		// Citizen 1 plays in both teams.
		a := e.team(t, "Team A", e.citizen(0), e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		b := e.team(t, "Team B", others[0], e.citizen(1), others[1], others[2], others[3], others[4])
		// Two a week for a citizen: one in their name, one with team A.
		e.bookPlain(t, 1, at(2026, 12, 8, 16, 0))
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field2, Start: at(2026, 12, 8, 17, 0), Team: a}); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.Book(ctx, others[0], BookInput{Facility: field2, Start: at(2026, 12, 8, 18, 0), Team: b})
		wantKey(t, err, "booking.error.team_member_quota.week")
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field2, Start: at(2026, 12, 9, 16, 0)})
		wantKey(t, err, "booking.error.quota.week")
		// Without citizen 1, team B books; and the team's own quota
		// (two a week) holds for team A.
		for _, m := range mustTeams(t, e, others[0])[0].Members {
			if m.Person == e.people[1] {
				if err := e.s.Remove(ctx, others[0], m.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := e.s.Invite(ctx, others[0], b, e.email(t, others[5].Person)); err != nil {
			t.Fatal(err)
		}
		e.accept(t, others[5], b)
		if _, err := e.s.Book(ctx, others[0], BookInput{Facility: field2, Start: at(2026, 12, 8, 18, 0), Team: b}); err != nil {
			t.Fatalf("team B without the member at their quota: %v", err)
		}
		if err := e.s.Leave(ctx, e.citizen(1), a); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Invite(ctx, e.citizen(0), a, e.email(t, others[1].Person)); err != nil {
			t.Fatal(err)
		}
		e.accept(t, others[1], a) // plays in B too: one this week so far
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field2, Start: at(2026, 12, 9, 17, 0), Team: a}); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Book(ctx, e.citizen(0), BookInput{Facility: field2, Start: at(2026, 12, 10, 17, 0), Team: a})
		wantKey(t, err, "booking.error.team_quota.week")
	})
}

func mustTeams(t *testing.T, e *env, a authz.Actor) []*Team {
	t.Helper()
	ts, err := e.s.Teams(context.Background(), a)
	if err != nil || len(ts) == 0 {
		t.Fatalf("teams: %v, %v", ts, err)
	}
	return ts
}

// Each player checks in with their own code; the slot counts as used
// when the holder and half the minimum team are in. A replayed code, a
// forged one, one of another team's member or of a member removed since
// are refused with their reason.
func TestCoPlayersCheckInWithTheirOwnCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		stranger := e.extra(t, "stranger")
		other := e.team(t, "Others", stranger)
		start := at(2026, 12, 8, 17, 0)
		b, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: start, Team: id})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.PlayerCode(ctx, stranger, b.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("someone outside the team got a code: %v", err)
		}
		if _, _, err := e.s.PlayerBooking(ctx, e.citizen(1), b.ID); err != nil {
			t.Fatalf("a player cannot read the booking: %v", err)
		}
		played, err := e.s.Played(ctx, e.citizen(1))
		if err != nil || len(played) != 1 || played[0].ID != b.ID {
			t.Fatalf("the player's team slots: %v %v", played, err)
		}
		e.clock.set(start.Add(-10 * time.Minute))
		code := func(i int) string {
			t.Helper()
			c, _, err := e.s.PlayerCode(ctx, e.citizen(i), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		holder, _, err := e.s.Code(ctx, captain, b.ID)
		if err != nil || !regexp.MustCompile(`^\d+-\S{8}$`).MatchString(holder) {
			t.Fatalf("the holder's code %q: %v", holder, err)
		}
		c1 := code(1)
		if !regexp.MustCompile(`^\d+-\d+-\S{8}$`).MatchString(c1) {
			t.Fatalf("a co-player's code %q", c1)
		}
		// The desk shows whose code it is; a co-player's code reports no
		// transfer.
		if ho, err := e.s.Holder(ctx, mgr, c1); err != nil || !ho.Player || ho.Booking.ID != b.ID || ho.NameLatin != "Said Alaoui" {
			t.Fatalf("the desk reading a co-player's code: %+v %v", ho, err)
		}
		_, err = e.s.ReportTransfer(ctx, mgr, c1)
		wantKey(t, err, "booking.error.transfer_player")
		got, err := e.s.CheckIn(ctx, mgr, c1)
		if err != nil || got.State != Held {
			t.Fatalf("the first co-player: %+v %v", got, err)
		}
		_, err = e.s.CheckIn(ctx, mgr, c1)
		wantKey(t, err, "booking.error.replayed_player")
		forged := c1[:len(c1)-1] + map[bool]string{true: "B", false: "A"}[c1[len(c1)-1] == 'A']
		_, err = e.s.CheckIn(ctx, mgr, forged)
		wantKey(t, err, "booking.error.code")
		// Another team's member, with a code signed for this booking.
		var theirs int64
		if err := d.QueryRowContext(ctx, `SELECT id FROM booking_team_members WHERE team_id = $1`, other).Scan(&theirs); err != nil {
			t.Fatal(err)
		}
		step := e.clock.now().Unix() / int64(CodeStep/time.Second)
		_, err = e.s.CheckIn(ctx, mgr, fmt.Sprintf("%d-%d-%s", b.ID, theirs, e.s.playerTag(b.ID, theirs, step)))
		wantKey(t, err, "booking.error.not_player")
		// A member removed since their code was shown.
		c5 := code(5)
		for _, m := range mustTeams(t, e, captain)[0].Members {
			if m.Person == e.people[5] {
				if err := e.s.Remove(ctx, captain, m.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err = e.s.CheckIn(ctx, mgr, c5)
		wantKey(t, err, "booking.error.not_player")
		// The holder and two co-players: not yet; a third: checked in.
		for _, c := range []string{holder, code(2)} {
			if got, err := e.s.CheckIn(ctx, mgr, c); err != nil || got.State != Held {
				t.Fatalf("before the quorum: %+v %v", got, err)
			}
		}
		if got, err := e.s.CheckIn(ctx, mgr, code(3)); err != nil || got.State != CheckedIn || got.CheckedInAt == nil {
			t.Fatalf("at the quorum: %+v %#v", got, err)
		}
		// A latecomer still checks in; the holder's code is spent.
		e.clock.add(3 * CodeStep)
		_, err = e.s.CheckIn(ctx, mgr, c1)
		wantKey(t, err, "booking.error.code") // expired
		if got, err := e.s.CheckIn(ctx, mgr, code(4)); err != nil || got.State != CheckedIn {
			t.Fatalf("a latecomer: %+v %v", got, err)
		}
		holder, _, _ = e.s.Code(ctx, captain, b.ID)
		if holder != "" {
			t.Fatalf("a checked-in booking still shows the holder a code: %q", holder)
		}
		ts, _, _ := e.s.TeamSlot(ctx, b.ID)
		if len(ts.In) != 5 {
			t.Fatalf("%d check-ins recorded, want 5: %v", len(ts.In), ts.In)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_checkins (booking_id, person_id, at, by_id) VALUES ($1, $2, $3, $4)`,
			b.ID, stranger.Person, e.clock.now(), mgr.Person); err == nil {
			t.Error("the database recorded the check-in of someone outside the slot's players")
		}
		// A manager who plays in the slot does not check it in.
		player := e.manager(e.people[4], "moulay-rachid")
		_, err = e.s.CheckIn(ctx, player, code(1))
		wantKey(t, err, "error.authz.conflict")
	})
}

// The clock: a team slot whose holder and half the minimum team did not
// check in is the holder's no-show; one whose quorum was reached is used.
func TestTheNoShowRuleOfTeamSlots(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		short, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 8, 17, 0), Team: id})
		if err != nil {
			t.Fatal(err)
		}
		used, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 9, 17, 0), Team: id})
		if err != nil {
			t.Fatal(err)
		}
		// Tuesday: the holder and two of the three needed.
		e.clock.set(short.Start.Add(-5 * time.Minute))
		hc, _, _ := e.s.Code(ctx, captain, short.ID)
		for _, a := range []authz.Actor{e.citizen(1), e.citizen(2)} {
			c, _, err := e.s.PlayerCode(ctx, a, short.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.CheckIn(ctx, mgr, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.CheckIn(ctx, mgr, hc); err != nil {
			t.Fatal(err)
		}
		e.clock.set(short.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		got, _, _ := e.s.Get(ctx, captain, short.ID)
		ps, _ := e.s.Penalties(ctx, captain)
		if got.State != NoShow || len(ps) != 1 || ps[0].Booking != short.ID {
			t.Fatalf("too few players: %s, penalties %+v", got.State, ps)
		}
		if mine, _ := e.s.Penalties(ctx, e.citizen(1)); len(mine) != 0 {
			t.Errorf("a co-player who came was penalised: %+v", mine)
		}
		// Wednesday: the holder and three players' check-ins reached the
		// quorum (written as the desk would, before the clock's turn).
		for _, p := range []int64{captain.Person, e.people[1], e.people[2], e.people[3]} {
			if _, err := d.ExecContext(ctx, `INSERT INTO booking_checkins (booking_id, person_id, at, by_id) VALUES ($1, $2, $3, $4)`,
				used.ID, p, used.Start, mgr.Person); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.set(used.Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		got, _, _ = e.s.Get(ctx, captain, used.ID)
		if ps, _ := e.s.Penalties(ctx, captain); got.State != CheckedIn || len(ps) != 1 {
			t.Fatalf("a slot used by its team: %s, penalties %+v", got.State, ps)
		}
	})
}

// Two captains book at the same moment for teams sharing a member with
// one booking left in their week: one passes, the other is refused —
// the member's quota holds under the race (locks on each player's row).
func TestTwoTeamsRacingCannotPassAMembersQuota(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var others []authz.Actor
		for i := range 5 {
			others = append(others, e.extra(t, fmt.Sprintf("r%d", i)))
		}
		a := e.team(t, "Team A", e.citizen(0), e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		b := e.team(t, "Team B", others[0], e.citizen(1), others[1], others[2], others[3], others[4])
		e.bookPlain(t, 1, at(2026, 12, 8, 16, 0))
		results := make(chan error, 2)
		gate := make(chan struct{})
		for _, x := range []struct {
			captain authz.Actor
			team    int64
			hour    int
		}{{e.citizen(0), a, 17}, {others[0], b, 18}} {
			go func() {
				<-gate
				_, err := e.s.Book(ctx, x.captain, BookInput{Facility: field2, Start: at(2026, 12, 9, x.hour, 0), Team: x.team})
				results <- err
			}()
		}
		close(gate)
		won := 0
		for range 2 {
			err := <-results
			if err == nil {
				won++
				continue
			}
			if k := errs.As(err); k == nil || k.Key != "booking.error.team_member_quota.week" {
				t.Errorf("the loser got %v", err)
			}
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE `+personalSQL+` AND slot_start >= $3`,
			field2, e.people[1], at(2026, 12, 7, 0, 0)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if won != 1 || n != 2 {
			t.Fatalf("%d team bookings won, the member counts %d this week (quota 2)", won, n)
		}
	})
}

// A player whose suspension was lifted on review counts again in their
// team: suspended, they made the team one too few; lifted, it books.
func TestALiftedSuspensionCountsThePlayerAgain(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		e.missed(t, 1, field1, monday, at(2026, 12, 9, 10, 0))
		second := e.missed(t, 1, field2, monday.Add(time.Hour), at(2026, 12, 9, 16, 0))
		e.clock.set(at(2026, 12, 10, 9, 0))
		in := BookInput{Facility: field2, Start: at(2026, 12, 11, 17, 0), Team: id}
		_, err := e.s.Book(ctx, captain, in)
		wantKey(t, err, "booking.error.team_small")
		if p := errs.As(err).Params; p["count"] != 5 {
			t.Fatalf("the suspended player was counted: %v", p)
		}
		if err := e.s.Contest(ctx, e.citizen(1), second.ID, "J'étais à l'hôpital."); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DecideReview(ctx, e.manager(e.mrManager, "moulay-rachid"), second.ID, Lifted, "Certificat vérifié."); err != nil {
			t.Fatal(err)
		}
		b, err := e.s.Book(ctx, captain, in)
		if err != nil {
			t.Fatalf("the team with its player's suspension lifted: %v", err)
		}
		if ts, ok, err := e.s.TeamSlot(ctx, b.ID); err != nil || !ok || len(ts.Players) != 6 {
			t.Fatalf("the team slot's players: %+v, %v", ts, err)
		}
	})
}
