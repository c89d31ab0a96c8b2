package permit

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/agenda"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/i18n"
)

// TestPlannerReadsAbsences: the agenda planner does not put a file on a
// session where an organisation sitting on it has nobody available. The
// urban agency's member away on Wednesday with a colleague standing in:
// the file stays on Wednesday's session. The colleague away too: the file
// goes at once to the next Monday, and its owner is told. Both away
// until after its deadline: it goes to the first session after they are
// back, late, and its page says why, naming the urban agency. The
// absences cancelled, it is back on Wednesday.
func TestPlannerReadsAbsences(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e, _, m, _ := sessionsEnv(t, d)
		agent := e.agentActor(e.agent, "sidi-othmane")
		colleague := e.person(t, "colleague@example.ma", "ar")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'aucasa', 'committee_member', $2)`, colleague, monday); err != nil {
			t.Fatal(err)
		}
		c := authz.Actor{Person: colleague, EmailVerified: true, MFA: true, Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "aucasa"}}}
		if _, err := e.s.GenerateSessions(ctx, SessionWeeks); err != nil {
			t.Fatal(err)
		}
		wednesday := calendar.MakeDate(2026, time.November, 25)
		nextMonday := calendar.MakeDate(2026, time.November, 30)
		sessionDay := func(id int64) calendar.Date {
			t.Helper()
			ps, err := placements(ctx, d, `a.file_id = $1`, id)
			if err != nil || len(ps) != 1 {
				t.Fatalf("placement of file %d: %+v %v", id, ps, err)
			}
			if ps[0].Session == 0 {
				return calendar.Date{}
			}
			var start time.Time
			if err := d.QueryRowContext(ctx, `SELECT starts_at FROM permit_sessions WHERE id = $1`, ps[0].Session).Scan(&start); err != nil {
				t.Fatal(err)
			}
			return calendar.DateOf(start)
		}
		told := func() int {
			t.Helper()
			return count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.agenda' AND channel = 'inbox'
				AND user_id = $1`, "person:"+strconv.FormatInt(e.owner, 10))
		}

		// Away with a substitute present: still on Wednesday.
		away, err := e.s.DeclareAbsence(ctx, m, AbsenceInput{Organisation: "aucasa", From: wednesday.String(), To: wednesday.String(),
			Substitute: colleague})
		if err != nil {
			t.Fatal(err)
		}
		f := e.dispatchedFile(t)
		if got := sessionDay(f.ID); got != wednesday {
			t.Fatalf("with a substitute present, on %v, want Wednesday %v", got, wednesday)
		}

		// The substitute away too: nobody from the urban agency on
		// Wednesday; the file moves at once to the next Monday, before
		// the deadline, and its owner is told.
		before := told()
		alsoAway, err := e.s.DeclareAbsence(ctx, c, AbsenceInput{Organisation: "aucasa", From: wednesday.String(), To: wednesday.String()})
		if err != nil {
			t.Fatal(err)
		}
		if got := sessionDay(f.ID); got != nextMonday {
			t.Fatalf("nobody from the urban agency on Wednesday: on %v, want Monday %v", got, nextMonday)
		}
		if told() != before+1 {
			t.Fatal("the owner is not told that the file moved")
		}
		text, ok, err := e.s.FileAgenda(ctx, e.ownerActor(), f.ID, i18n.FR, func(k string, a ...any) string { return k })
		if err != nil || !ok || text != "permit.planner.file.placed" {
			t.Fatalf("the owner reads %q (%v, %v)", text, ok, err)
		}

		// Both away until after the deadline: late, on their return, and why.
		for _, who := range []authz.Actor{m, c} {
			if _, err := e.s.DeclareAbsence(ctx, who, AbsenceInput{Organisation: "aucasa", From: wednesday.AddDays(1).String(),
				To: wednesday.AddDays(30).String()}); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := placements(ctx, d, `a.file_id = $1`, f.ID)
		if err != nil || len(ps) != 1 || !ps[0].Late || ps[0].Reason.Code != agenda.CodeMemberAbsent || ps[0].Reason.Body != "aucasa" {
			t.Fatalf("with the urban agency away: %+v %v", ps, err)
		}
		if got := sessionDay(f.ID); !got.After(wednesday.AddDays(30)) {
			t.Fatalf("placed on %v, while nobody from the urban agency is there", got)
		}
		msgs, err := decisionTexts()
		if err != nil {
			t.Fatal(err)
		}
		for l, want := range map[i18n.Lang]string{
			i18n.FR: "après son échéance. Personne de l’organisme Agence urbaine de Casablanca n’est disponible",
			i18n.EN: "after its deadline. Nobody from Casablanca urban agency is available",
			i18n.AR: "لا أحد من الوكالة الحضرية متاح",
		} {
			text, ok, err := e.s.FileAgenda(ctx, agent, f.ID, l, func(k string, a ...any) string { return msgs.T(l, k, a...) })
			if err != nil || !ok || !strings.Contains(text, want) {
				t.Errorf("%s: the page says %q, want %q (%v)", l, text, want, err)
			}
		}

		// Back: the absences cancelled, the file returns to Wednesday.
		// (The secretariat's re-plan changes nothing more.)
		for _, ab := range []struct {
			a  authz.Actor
			id int64
		}{{m, away.ID}, {c, alsoAway.ID}} {
			if err := e.s.CancelAbsence(ctx, ab.a, ab.id); err != nil {
				t.Fatal(err)
			}
		}
		if got := sessionDay(f.ID); got != wednesday {
			t.Fatalf("the urban agency present again (both still away from Thursday): on %v, want Wednesday", got)
		}
		if _, err := e.s.PlanAgendas(ctx, agent, "sidi-othmane"); err != nil || sessionDay(f.ID) != wednesday {
			t.Fatalf("a re-plan moved the file: %v", err)
		}
	})
}
