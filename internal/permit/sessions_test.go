package permit

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/agenda"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestSessionsGeneratedFromTheCalendar: the sessions of each committee
// instance are generated from the catalogue's calendar for the weeks to
// come, on its weekdays and hours, never on a public holiday; twice, or
// by two nodes at once, creates each once; a holiday calendar with a gap
// in the weeks asked creates nothing.
func TestSessionsGeneratedFromTheCalendar(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		var wg sync.WaitGroup
		got := make([]int, 2)
		errs2 := make([]error, 2)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs2[i] = e.s.GenerateSessions(ctx, SessionWeeks)
			}()
		}
		wg.Wait()
		for _, err := range errs2 {
			if err != nil {
				t.Fatal(err)
			}
		}
		total := count(t, d, `SELECT COUNT(*) FROM permit_sessions`)
		if total == 0 || got[0]+got[1] != total {
			t.Fatalf("two nodes created %d and %d sessions, %d stored", got[0], got[1], total)
		}
		if n, err := e.s.GenerateSessions(ctx, SessionWeeks); err != nil || n != 0 {
			t.Fatalf("generating again created %d (%v)", n, err)
		}
		small := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE committee_code = 'urban_small@sidi-othmane'`)
		// Mondays and Wednesdays over eight weeks, less Monday 11 January
		// 2027 (Manifesto of Independence).
		if small != 15 {
			t.Fatalf("the small projects committee of Sidi Othmane sits %d times in 8 weeks, want 15", small)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE committee_code = 'urban_large@city'`); n == 0 {
			t.Fatal("the city window sits no large projects committee")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE committee_code = 'urban_large@sidi-othmane'`); n != 0 {
			t.Fatal("an arrondissement window sits the large projects committee")
		}
		list, err := sessionsWhere(ctx, d, `1 = 1`)
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range list {
			day := calendar.DateOf(ss.Start)
			if e.s.cal.IsHoliday(day) {
				t.Errorf("session %d of %s on a holiday, %s", ss.ID, ss.Code, day)
			}
			if ss.Code == "urban_small@sidi-othmane" {
				if h := ss.Start.In(calendar.Zone).Format("15:04"); h != "09:30" || ss.End.Sub(ss.Start) != 3*time.Hour || ss.Capacity != 150 {
					t.Errorf("session %d: at %s for %s, capacity %d", ss.ID, h, ss.End.Sub(ss.Start), ss.Capacity)
				}
				if !ss.FreezesAt.Before(ss.Start) || e.s.cal.WorkingDaysBetween(ss.FreezesAt, ss.Start) != 2 {
					t.Errorf("session %d of %s freezes %s", ss.ID, ss.Start, ss.FreezesAt)
				}
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE starts_at >= $1 AND starts_at < $2`,
			calendar.MakeDate(2027, time.January, 11).Start(), calendar.MakeDate(2027, time.January, 12).Start()); n != 0 {
			t.Fatalf("%d sessions on 11 January 2027, a holiday", n)
		}

		// The holiday file covers 2025 to 2031: weeks reaching into 2032
		// are a gap, and nothing is written.
		e.clock.t = time.Date(2031, 12, 20, 8, 0, 0, 0, time.UTC)
		_, err = e.s.GenerateSessions(ctx, SessionWeeks)
		wantErr(t, err, errs.Invalid, "permit.sessions.error.calendar_gap")
		if n := count(t, d, `SELECT COUNT(*) FROM permit_sessions`); n != total {
			t.Fatalf("a calendar with a gap wrote %d sessions", n-total)
		}
		// The database: one session per committee instance and start.
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_sessions (committee_code, starts_at, ends_at, capacity, freezes_at, created_at)
			SELECT committee_code, starts_at, ends_at, capacity, freezes_at, created_at FROM permit_sessions WHERE id = $1`, list[0].ID); err == nil {
			t.Fatal("the database took a second session at the same start")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_sessions SET capacity = -1 WHERE id = $1`, list[0].ID); err == nil {
			t.Fatal("the database took a negative capacity")
		}
	})
}

// sessionsEnv is a test city with an urban agency holding a seat, its
// member, and a second agent at Sidi Othmane's window.
func sessionsEnv(t *testing.T, d *db.DB) (*env, int64, authz.Actor, authz.Actor) {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t, d)
	e.q.Subscribe(TopicFileChanged, "permit.agenda", e.s.ReplanOnChange)
	if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
		VALUES ('aucasa', 'urban_agency', 'الوكالة الحضرية', 'Agence urbaine de Casablanca', 'Casablanca urban agency', $1)`, monday); err != nil {
		t.Fatal(err)
	}
	member := e.person(t, "member@example.ma", "fr")
	second := e.person(t, "agent3@example.ma", "fr")
	for _, g := range []struct {
		p       int64
		org, rl string
		window  any
	}{{member, "aucasa", "committee_member", nil}, {second, "sidi-othmane", "window_agent", "sidi-othmane"}} {
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, window_code, granted_at)
			VALUES ($1, $2, $3, $4, $5)`, g.p, g.org, g.rl, g.window, monday); err != nil {
			t.Fatal(err)
		}
	}
	m := authz.Actor{Person: member, EmailVerified: true, MFA: true, Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "aucasa"}}}
	return e, member, m, e.agentActor(second, "sidi-othmane")
}

// dispatchedFile is a building file of Sidi Othmane, accepted and
// dispatched to its committee, its events handed to the subscribers.
func (e *env) dispatchedFile(t *testing.T) *File {
	t.Helper()
	ctx := context.Background()
	f := e.submitted(t, e.architectActor(), sidiOthmane(e.owner))
	agent := e.agentActor(e.agent, "sidi-othmane")
	f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
	if err != nil {
		t.Fatal(err)
	}
	if f, err = e.s.Dispatch(ctx, agent, f.ID, f.Version); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	return f
}

// TestAgendaPlannedFrozenAndReplanned: a dispatched file goes on the first
// session of its committee with the planner's reason, and its applicant
// and the member sitting on it are told; the secretariat freezes the
// session (once: two agents at once, one wins), members and applicants get
// the agenda, the freeze is audited; a new file and a re-plan leave the
// frozen agenda as it is; a file leaving the committee leaves the open
// agendas. Over capacity, past sessions and a member of another
// committee are refused with clear errors.
func TestAgendaPlannedFrozenAndReplanned(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e, member, m, second := sessionsEnv(t, d)
		agent := e.agentActor(e.agent, "sidi-othmane")
		if _, err := e.s.GenerateSessions(ctx, SessionWeeks); err != nil {
			t.Fatal(err)
		}
		f := e.dispatchedFile(t)
		ps, err := placements(ctx, d, `a.file_id = $1`, f.ID)
		if err != nil || len(ps) != 1 || ps[0].Session == 0 {
			t.Fatalf("the dispatched file's placement: %+v %v", ps, err)
		}
		first, err := e.s.GetSession(ctx, m, ps[0].Session)
		if err != nil {
			t.Fatal(err)
		}
		// Monday 23 November, 08:00: the first session is Wednesday's.
		if first.Code != "urban_small@sidi-othmane" || calendar.DateOf(first.Start) != calendar.MakeDate(2026, time.November, 25) {
			t.Fatalf("placed on %s of %s", first.Start, first.Code)
		}
		if len(first.Items) != 1 || first.Items[0].Reason.Code != agenda.CodeEarliestDeadline || first.Items[0].Minutes != 20 ||
			!first.Items[0].At.Equal(first.Start) || first.Used != 20 {
			t.Fatalf("the agenda: %+v", first.Items)
		}
		for _, who := range []int64{e.owner, member} {
			if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.agenda' AND user_id = $1`,
				"person:"+strconv.FormatInt(who, 10)); n == 0 {
				t.Errorf("person %d is not told the file's session", who)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'agenda'`, f.ID); n != 1 {
			t.Fatalf("%d agenda events on the file", n)
		}

		// Nobody but the window's agents freezes; a member of another
		// committee does not read it.
		_, err = e.s.FreezeSession(ctx, m, first.ID)
		wantErr(t, err, errs.NotFound, "")
		other := authz.Actor{Person: member, MFA: true, Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "lydec"}}}
		_, err = e.s.GetSession(ctx, other, first.ID)
		wantErr(t, err, errs.Forbidden, "error.authz.not_seated")

		// Over capacity: refused, nothing written.
		if _, err := d.ExecContext(ctx, `UPDATE permit_sessions SET capacity = 10 WHERE id = $1`, first.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.FreezeSession(ctx, agent, first.ID)
		wantErr(t, err, errs.Conflict, "permit.sessions.error.over_capacity")
		if n := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE id = $1 AND frozen_at IS NULL`, first.ID); n != 1 {
			t.Fatal("a session over capacity froze")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.session_frozen'`); n != 0 {
			t.Fatal("a refused freeze was audited as done")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_sessions SET capacity = 150 WHERE id = $1`, first.ID); err != nil {
			t.Fatal(err)
		}

		// Two agents at once: one wins, the other is told.
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i, a := range []authz.Actor{agent, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = e.s.FreezeSession(ctx, a, first.ID)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			if err == nil {
				won++
			} else {
				wantErr(t, err, errs.Conflict, "permit.sessions.error.frozen")
			}
		}
		if won != 1 {
			t.Fatalf("%d agents froze the session: %v", won, results)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.session_frozen' AND object_id = $1`, strconv.FormatInt(first.ID, 10)); n != 1 {
			t.Fatalf("%d freezes audited", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.session_frozen' AND channel = 'inbox' AND user_id = $1`,
			"person:"+strconv.FormatInt(member, 10)); n != 1 {
			t.Fatalf("the member got the agenda %d times", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.agenda_frozen' AND channel = 'inbox' AND user_id = $1`,
			"person:"+strconv.FormatInt(e.owner, 10)); n != 1 {
			t.Fatalf("the applicant got their file's time %d times", n)
		}

		// A new file: the frozen agenda keeps its file and takes no other.
		g := e.dispatchedFile(t)
		ps, _ = placements(ctx, d, `a.file_id = $1`, g.ID)
		if len(ps) != 1 || ps[0].Session == 0 || ps[0].Session == first.ID {
			t.Fatalf("the second file: %+v", ps)
		}
		again, _ := e.s.GetSession(ctx, agent, first.ID)
		if len(again.Items) != 1 || again.Items[0].FileID != f.ID || !again.Frozen() {
			t.Fatalf("the frozen agenda changed: %+v", again.Items)
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_agenda WHERE file_id = $1`, f.ID); err == nil {
			t.Fatal("the database let a file leave a frozen agenda")
		}

		// A file leaving the committee leaves the open agendas.
		if _, err := d.ExecContext(ctx, `UPDATE permit_files SET step = 'minutes' WHERE id = $1`, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.PlanAgendas(ctx, agent, "sidi-othmane"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_agenda WHERE file_id = $1`, g.ID); n != 0 {
			t.Fatal("a file no longer waiting stays on an agenda")
		}
		_, err = e.s.PlanAgendas(ctx, m, "sidi-othmane")
		wantErr(t, err, errs.NotFound, "")

		// A session that has started no longer freezes.
		next, err := sessionsWhere(ctx, d, `s.committee_code = 'urban_small@sidi-othmane' AND s.starts_at > $1 AND s.frozen_at IS NULL`, first.Start)
		if err != nil || len(next) == 0 {
			t.Fatalf("no open session after the first: %v", err)
		}
		e.clock.t = next[0].Start.Add(time.Minute)
		_, err = e.s.FreezeSession(ctx, agent, next[0].ID)
		wantErr(t, err, errs.Invalid, "permit.sessions.error.past")
	})
}

// TestFreezeSweep: the sweep freezes each agenda N working days before
// its session, after a last plan, once.
func TestFreezeSweep(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e, _, _, _ := sessionsEnv(t, d)
		if _, err := e.s.GenerateSessions(ctx, 2); err != nil {
			t.Fatal(err)
		}
		f := e.dispatchedFile(t)
		ps, _ := placements(ctx, d, `a.file_id = $1`, f.ID)
		ss, _ := sessionsWhere(ctx, d, `s.id = $1`, ps[0].Session)
		e.clock.t = ss[0].FreezesAt.Add(time.Minute)
		n, err := e.s.FreezeDue(ctx)
		if err != nil || n == 0 {
			t.Fatalf("the sweep froze %d (%v)", n, err)
		}
		if n, err := e.s.FreezeDue(ctx); err != nil || n != 0 {
			t.Fatalf("the sweep froze %d again (%v)", n, err)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM permit_sessions WHERE id = $1 AND frozen_at IS NOT NULL AND frozen_by IS NULL`, ss[0].ID); c != 1 {
			t.Fatal("the file's session is not frozen by the sweep")
		}
		if c := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.session_frozen' AND actor = 'system'`); c != n {
			t.Fatalf("%d sweep freezes audited", c)
		}
	})
}
