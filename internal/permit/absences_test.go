package permit

import (
	"context"
	"testing"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestCommitteeAbsences: a committee member declares an absence with a
// colleague of their organisation as substitute; what they type wrong is
// refused on its field; while they are away, the alert of a late study
// reaches the substitute, not them; they cancel it, nobody else can; the
// database keeps every absence as declared.
func TestCommitteeAbsences(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.withoutStudySilence(t)
		m, _ := e.committee(t)
		karim := m["urban_agency"]
		colleague := e.person(t, "colleague@example.ma", "ar")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'aucasa', 'committee_member', $2)`, colleague, monday); err != nil {
			t.Fatal(err)
		}
		today := calendar.DateOf(e.clock.now())
		in := func(from, to string, sub int64) AbsenceInput {
			return AbsenceInput{From: from, To: to, Substitute: sub, Reason: "Congé annuel"}
		}
		for _, c := range []struct {
			in          AbsenceInput
			field, want string
		}{
			{AbsenceInput{Organisation: "lydec", From: today.String(), To: today.String()}, "organisation", "permit.absence.error.organisation"},
			{in("13/12/2026", today.String(), 0), "from", "permit.absence.error.date"},
			{in(today.AddDays(3).String(), today.String(), 0), "to", "permit.absence.error.order"},
			{in(today.AddDays(-9).String(), today.AddDays(-2).String(), 0), "to", "permit.absence.error.past"},
			{in(today.String(), today.AddDays(400).String(), 0), "to", "permit.absence.error.long"},
			{in(today.String(), today.AddDays(3).String(), karim.Person), "substitute", "permit.absence.error.substitute"},
			{in(today.String(), today.AddDays(3).String(), m["distributor"].Person), "substitute", "permit.absence.error.substitute"},
		} {
			_, err := e.s.DeclareAbsence(ctx, karim, c.in)
			wantErr(t, err, errs.Invalid, c.want)
			if ee := errs.As(err); ee.Field != c.field {
				t.Errorf("%s: on field %q, want %q", c.want, ee.Field, c.field)
			}
		}
		_, err := e.s.DeclareAbsence(ctx, e.agentActor(e.agent, "sidi-othmane"), in(today.String(), today.String(), 0))
		wantErr(t, err, errs.NotFound, "")
		// Arabic-Indic digits are dates too.
		indic := map[rune]rune{'0': '٠', '1': '١', '2': '٢', '3': '٣', '4': '٤', '5': '٥', '6': '٦', '7': '٧', '8': '٨', '9': '٩'}
		toIndic := func(s string) string {
			out := []rune(s)
			for i, r := range out {
				if x, ok := indic[r]; ok {
					out[i] = x
				}
			}
			return string(out)
		}
		ab, err := e.s.DeclareAbsence(ctx, karim, in(toIndic(today.String()), today.AddDays(40).String(), colleague))
		if err != nil || ab.Organisation != "aucasa" || ab.From != today {
			t.Fatalf("declare: %+v, %v", ab, err)
		}
		if list, err := e.s.MyAbsences(ctx, karim); err != nil || len(list) != 1 || list[0].Substitute != colleague {
			t.Fatalf("my absences: %+v, %v", list, err)
		}

		// A late study while he is away: his substitute is alerted.
		f := e.dispatched(t)
		e.studyOverdue(t, f)
		alerts := func(who int64) int { return e.overdueAlerts(t, who) }
		if alerts(karim.Person) != 0 || alerts(colleague) != 1 {
			t.Fatalf("the absent member got %d alerts, his substitute %d", alerts(karim.Person), alerts(colleague))
		}

		// Only he cancels it, once; the database keeps it.
		other := authz.Actor{Person: colleague, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "aucasa"}}}
		wantErr(t, e.s.CancelAbsence(ctx, other, ab.ID), errs.NotFound, "permit.absence.error.not_found")
		if err := e.s.CancelAbsence(ctx, karim, ab.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.s.CancelAbsence(ctx, karim, ab.ID), errs.NotFound, "permit.absence.error.not_found")
		if list, _ := e.s.MyAbsences(ctx, karim); len(list) != 0 {
			t.Fatalf("a cancelled absence is listed: %+v", list)
		}
		if _, err := d.ExecContext(ctx, `UPDATE committee_absences SET ends_on = '2030-01-01' WHERE id = $1`, ab.ID); err == nil {
			t.Fatal("an absence was changed")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM committee_absences WHERE id = $1`, ab.ID); err == nil {
			t.Fatal("an absence was deleted")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action IN ('committee.absence', 'committee.absence_cancelled')`); n != 2 {
			t.Fatalf("%d audit records of the absence", n)
		}
	})
}
