package booking

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
)

// teamNotices is notifyingEnv with the teams' notices subscribed too.
func teamNotices(t *testing.T, e *env) *jobs.Queue {
	t.Helper()
	q := notifyingEnv(t, e)
	q.Subscribe(TopicTeamChanged, "booking.team_notices", e.s.SendTeamNotices)
	return q
}

// memberID is person's membership of team id (the latest).
func (e *env) memberID(t *testing.T, team, person int64) int64 {
	t.Helper()
	var id int64
	if err := e.d.QueryRowContext(context.Background(), `SELECT max(id) FROM booking_team_members WHERE team_id = $1
		AND person_id = $2`, team, person).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// notice is one queued notice.
type notice struct {
	template, channel, user, address string
	data                             map[string]any
}

// notices lists the queued notices of teams (templates booking.team_*).
func notices(t *testing.T, d *db.DB) []notice {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT template, channel, COALESCE(user_id, ''), address, data
		FROM notify_deliveries WHERE template LIKE 'booking.team_%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []notice
	for rows.Next() {
		var n notice
		var raw string
		if err := rows.Scan(&n.template, &n.channel, &n.user, &n.address, &raw); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(raw), &n.data)
		out = append(out, n)
	}
	return out
}

// inboxOf counts the inbox notices of template to person.
func inboxOf(ns []notice, template string, person int64) int {
	k := 0
	for _, n := range ns {
		if n.template == template && n.channel == "inbox" && n.user == "person:"+strconv.FormatInt(person, 10) {
			k++
		}
	}
	return k
}

// An invitation is told to the invited address — in the inbox of the
// verified account that has it, by e-mail alone to an address no account
// has — and the captain's answer is the same either way. A team slot
// booked is told to each other player, a member removed is told, an
// invitation withdrawn tells nobody.
func TestTeamNoticesReachInviteesPlayersAndRemovedMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := teamNotices(t, e)
		ctx := context.Background()
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		dispatchAll(t, q)
		if ns := notices(t, d); len(ns) != 0 {
			t.Fatalf("invitations answered before their notice went are still told: %+v", ns)
		}
		stranger := e.extra(t, "stranger")
		errA := e.s.Invite(ctx, captain, id, "Stranger@Example.ma")
		errB := e.s.Invite(ctx, captain, id, "nobody@example.ma")
		if errA != nil || errB != nil {
			t.Fatalf("inviting: %v, %v", errA, errB)
		}
		dispatchAll(t, q)
		ns := notices(t, d)
		if inboxOf(ns, "booking.team_invited", stranger.Person) != 1 {
			t.Fatalf("the account that has the address has no invitation in its inbox: %+v", ns)
		}
		var mailed bool
		for _, n := range ns {
			if n.template == "booking.team_invited" && n.address == "nobody@example.ma" {
				mailed = n.channel == "email" && n.user == "" && n.data["Team"] == "Les Lions" && n.data["Captain"] != ""
			}
		}
		if !mailed {
			t.Fatalf("the address no account has got no e-mail: %+v", ns)
		}

		// A team slot booked: the five other players hear of it.
		b, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 8, 17, 0), Team: id})
		if err != nil {
			t.Fatal(err)
		}
		dispatchAll(t, q)
		ns = notices(t, d)
		for i := 1; i <= 5; i++ {
			if inboxOf(ns, "booking.team_booked", e.people[i]) != 1 {
				t.Fatalf("player %d was not told of the team slot: %+v", i, ns)
			}
		}
		if inboxOf(ns, "booking.team_booked", captain.Person) != 0 {
			t.Fatal("the captain is told of their own booking as a player")
		}
		// A member removed is told; the invitation withdrawn tells nobody.
		if err := e.s.Remove(ctx, captain, e.memberID(t, id, e.people[5])); err != nil {
			t.Fatal(err)
		}
		var pending int64
		if err := d.QueryRowContext(ctx, `SELECT id FROM booking_team_members WHERE email_key = 'nobody@example.ma'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Remove(ctx, captain, pending); err != nil {
			t.Fatal(err)
		}
		// The slot cancelled: the players still in the team hear of it,
		// the one removed no more.
		if _, err := e.s.Cancel(ctx, captain, b.ID); err != nil {
			t.Fatal(err)
		}
		before := len(ns)
		dispatchAll(t, q)
		ns = notices(t, d)
		if inboxOf(ns, "booking.team_removed", e.people[5]) != 1 {
			t.Fatalf("the member removed was not told: %+v", ns[before:])
		}
		for i := 1; i <= 4; i++ {
			if inboxOf(ns, "booking.team_cancelled", e.people[i]) != 1 {
				t.Fatalf("player %d was not told of the cancellation: %+v", i, ns[before:])
			}
		}
		if inboxOf(ns, "booking.team_cancelled", e.people[5]) != 0 {
			t.Fatal("a member removed is still told of the team's slots")
		}
		for _, n := range ns[before:] {
			if n.template == "booking.team_removed" && n.user != "person:"+strconv.FormatInt(e.people[5], 10) {
				t.Fatalf("a withdrawn invitation or someone else was told of a removal: %+v", n)
			}
		}
	})
}

// The captain hands the team over to an accepted, verified member only
// — never to an invitee, a member gone, themself, or by another member;
// the database refuses any other captain too. Both are told, the change
// is audited; the slot already booked stays the former captain's (who
// may now leave), the new captain books and invites.
func TestTheCaptainHandsTheTeamOverToAMember(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := teamNotices(t, e)
		ctx := context.Background()
		captain, heir := e.citizen(0), e.citizen(1)
		id := e.team(t, "Les Lions", captain, heir, e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		b, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 8, 17, 0), Team: id})
		if err != nil {
			t.Fatal(err)
		}
		other := e.team(t, "Les Aigles", e.citizen(2))
		if err := e.s.Invite(ctx, captain, id, "stranger@example.ma"); err != nil {
			t.Fatal(err)
		}
		var invited int64
		if err := d.QueryRowContext(ctx, `SELECT id FROM booking_team_members WHERE email_key = 'stranger@example.ma'`).Scan(&invited); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.HandOver(ctx, captain, invited), "booking.error.team_captain_member")
		wantKey(t, e.s.HandOver(ctx, captain, e.memberID(t, id, captain.Person)), "booking.error.team_captain_member")
		wantKey(t, e.s.HandOver(ctx, captain, e.memberID(t, other, e.people[2])), "booking.error.team_not_found")
		wantKey(t, e.s.HandOver(ctx, heir, e.memberID(t, id, e.people[2])), "booking.error.team_not_found")
		if err := e.s.Leave(ctx, e.citizen(5), id); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.HandOver(ctx, captain, e.memberID(t, id, e.people[5])), "booking.error.team_captain_member")
		if _, err := d.ExecContext(ctx, `UPDATE persons SET email_verified_at = NULL WHERE id = $1`, e.people[4]); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.HandOver(ctx, captain, e.memberID(t, id, e.people[4])), "booking.error.team_captain_member")
		outsider := e.extra(t, "outsider")
		for _, p := range []int64{outsider.Person, e.people[5]} {
			if _, err := d.ExecContext(ctx, `UPDATE booking_teams SET captain_id = $1 WHERE id = $2`, p, id); err == nil {
				t.Fatalf("the database made %d, no accepted member, the captain", p)
			}
		}

		// Six again: c4 verified, the stranger joins.
		if _, err := d.ExecContext(ctx, `UPDATE persons SET email_verified_at = created_at WHERE id = $1`, e.people[4]); err != nil {
			t.Fatal(err)
		}
		stranger := e.extra(t, "stranger")
		e.accept(t, stranger, id)
		if err := e.s.HandOver(ctx, captain, e.memberID(t, id, heir.Person)); err != nil {
			t.Fatal(err)
		}
		tm, err := team(ctx, d, id)
		if err != nil || tm.Captain != heir.Person {
			t.Fatalf("the team's captain: %+v, %v", tm, err)
		}
		var audits int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'booking.team_captain' AND object_id = $1`,
			strconv.FormatInt(id, 10)).Scan(&audits); err != nil || audits != 1 {
			t.Fatalf("%d audit records of the handover (%v)", audits, err)
		}
		// The slot booked before stays the former captain's, as its
		// players; they answer for it, and may now leave the team.
		kept, err := booking(ctx, d, b.ID)
		if err != nil || kept.Holder != captain.Person {
			t.Fatalf("the slot booked before: %+v, %v", kept, err)
		}
		wantKey(t, e.s.Invite(ctx, captain, id, "c9@example.ma"), "booking.error.team_not_found")
		if err := e.s.Invite(ctx, heir, id, "c9@example.ma"); err != nil {
			t.Fatal(err)
		}
		if ts, _ := e.s.CaptainOf(ctx, heir); len(ts) != 2 && (len(ts) != 1 || ts[0].ID != id) {
			t.Fatalf("the new captain's teams: %+v", ts)
		}
		nb, err := e.s.Book(ctx, heir, BookInput{Facility: field2, Start: at(2026, 12, 9, 17, 0), Team: id})
		if err != nil || nb.Holder != heir.Person {
			t.Fatalf("the new captain books: %+v, %v", nb, err)
		}
		if err := e.s.Leave(ctx, captain, id); err != nil {
			t.Fatalf("the former captain may not leave: %v", err)
		}
		wantKey(t, e.s.Leave(ctx, heir, id), "booking.error.team_captain")
		dispatchAll(t, q)
		ns := notices(t, d)
		if inboxOf(ns, "booking.team_captain", heir.Person) != 1 || inboxOf(ns, "booking.team_handed", captain.Person) != 1 {
			t.Fatalf("both are not told of the handover: %+v", ns)
		}
	})
}

// A captain dissolves their team once it holds no slot to come (the
// slots are cancelled first, under the usual rules). A dissolved team
// books, invites and takes members no more — in the database too; its
// open invitations are withdrawn, its members told, and it leaves the
// members' lists. Rows stay.
func TestADissolvedTeamBooksAndInvitesNoMore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := teamNotices(t, e)
		ctx := context.Background()
		captain := e.citizen(0)
		id := e.team(t, "Les Lions", captain, e.citizen(1), e.citizen(2), e.citizen(3), e.citizen(4), e.citizen(5))
		b, err := e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 8, 17, 0), Team: id})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.Invite(ctx, captain, id, "stranger@example.ma"); err != nil {
			t.Fatal(err)
		}
		stranger := e.extra(t, "stranger")
		wantKey(t, e.s.Dissolve(ctx, e.citizen(1), id), "booking.error.team_not_found")
		err = e.s.Dissolve(ctx, captain, id)
		wantKey(t, err, "booking.error.team_slots_held")
		if _, err := e.s.Cancel(ctx, captain, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Dissolve(ctx, captain, id); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.Dissolve(ctx, captain, id), "booking.error.team_dissolved")
		_, err = e.s.Book(ctx, captain, BookInput{Facility: field2, Start: at(2026, 12, 9, 17, 0), Team: id})
		wantKey(t, err, "booking.error.team_dissolved")
		wantKey(t, e.s.Invite(ctx, captain, id, "c9@example.ma"), "booking.error.team_dissolved")
		wantKey(t, e.s.HandOver(ctx, captain, e.memberID(t, id, e.people[1])), "booking.error.team_dissolved")
		if vs, err := e.s.Invitations(ctx, stranger); err != nil || len(vs) != 0 {
			t.Fatalf("an invitation to a dissolved team is still open: %+v, %v", vs, err)
		}
		for _, a := range []int{0, 1} {
			if ts, err := e.s.Teams(ctx, e.citizen(a)); err != nil || len(ts) != 0 {
				t.Fatalf("citizen %d still lists the dissolved team: %+v, %v", a, ts, err)
			}
		}
		if ts, _ := e.s.CaptainOf(ctx, captain); len(ts) != 0 {
			t.Fatalf("the facility page still offers the dissolved team: %+v", ts)
		}
		// The database keeps it dissolved, and refuses it members,
		// captains and slots.
		for _, q := range []string{
			`UPDATE booking_teams SET dissolved_at = NULL WHERE id = $1`,
			`UPDATE booking_teams SET captain_id = ` + strconv.FormatInt(e.people[1], 10) + ` WHERE id = $1`,
			`INSERT INTO booking_team_members (team_id, email_key, state, invited_by, invited_at)
				VALUES ($1, 'late@example.ma', 'invited', ` + strconv.FormatInt(captain.Person, 10) + `, '2026-12-07 10:00:00+00')`,
			`INSERT INTO booking_team_slots (booking_id, team_id, need) VALUES (` +
				strconv.FormatInt(e.bookPlain(t, 0, at(2026, 12, 10, 17, 0)), 10) + `, $1, 3)`,
			`DELETE FROM booking_teams WHERE id = $1`,
		} {
			if _, err := d.ExecContext(ctx, q, id); err == nil {
				t.Fatalf("the database let a dissolved team change: %s", q)
			}
		}
		dispatchAll(t, q)
		ns := notices(t, d)
		for i := 1; i <= 5; i++ {
			if inboxOf(ns, "booking.team_dissolved", e.people[i]) != 1 {
				t.Fatalf("member %d was not told of the dissolution: %+v", i, ns)
			}
		}
		if inboxOf(ns, "booking.team_dissolved", captain.Person) != 0 {
			t.Fatal("the captain is told of their own dissolution")
		}
		// A new team by the same captain: the dissolved one no longer
		// counts among the ten they may captain.
		if _, err := e.s.CreateTeam(ctx, captain, "Les Lions II"); err != nil {
			t.Fatal(err)
		}
	})
}

// The desk's rules form sets a minimum team and quotas per team with the
// catalogue's checks (see web_teams_test.go for the form itself): here,
// the service refuses a team quota's season order as any other's.
func TestTeamQuotasFollowTheCataloguesOrder(t *testing.T) {
	f, _ := DefaultCatalogue().Facility(field2)
	g := *f
	g.Seasons = []Season{{From: "2026-09-01", To: "2027-06-30"}}
	g.Rules.Quotas = append(append([]Quota(nil), f.Rules.Quotas...), Quota{Per: WhoTeam, Period: "season", Max: 1})
	wantKeys(t, g.Check(), "booking.rules.quota_season_order")
	h := *f
	h.Seasons = nil
	h.Rules.Quotas = append(append([]Quota(nil), f.Rules.Quotas...), Quota{Per: WhoTeam, Period: "season", Max: 9})
	wantKeys(t, h.Check(), "booking.rules.quota_season")
}
