package permit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

// TestDispatchToTheCommittee: the window dispatches an accepted urban
// file in one action. Madina selects its committee from the catalogue —
// the permanent members, and the distributor because the house is a new
// construction — with the organisation holding each seat (the
// arrondissement's own, its prefecture's, the urban agency and its member
// by name; none yet for the distributor), records the selection, meets the dispatch step and
// starts the members' study; the file leaves the window's queue. Once
// only; only the window's agents; a member added needs a reason; the
// database keeps the selection as it was made.
func TestDispatchToTheCommittee(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
			VALUES ('aucasa', 'urban_agency', 'الوكالة الحضرية', 'Agence urbaine de Casablanca', 'Casablanca urban agency', $1)`, monday); err != nil {
			t.Fatal(err)
		}
		// Two prefectures: the file's arrondissement's holds the seat.
		var pc string
		if err := d.QueryRowContext(ctx, `SELECT prefecture_code FROM arrondissements WHERE code = 'sidi-othmane'`).Scan(&pc); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"prefecture-aaa", "prefecture-" + pc} {
			if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
				VALUES ($1, 'prefecture', 'عمالة', 'Préfecture', 'Prefecture', $2)`, code, monday); err != nil {
				t.Fatal(err)
			}
		}
		member := e.person(t, "member@example.ma", "fr")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, 'aucasa', 'committee_member', $2)`, member, monday); err != nil {
			t.Fatal(err)
		}
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		agent := e.agentActor(e.agent, "sidi-othmane")
		f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
		if err != nil || f.Step != "dispatch" {
			t.Fatalf("accept: %+v %v", f, err)
		}
		v, _ := e.s.View(ctx, agent, f.ID)
		if !v.Can[TDispatch] {
			t.Fatal("the window's agent is not offered to dispatch the accepted file")
		}
		if v, _ := e.s.View(ctx, arch, f.ID); v.Can[TDispatch] {
			t.Fatal("the architect is offered to dispatch")
		}

		_, preview, err := e.s.DispatchPreview(ctx, agent, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"arrondissement", "prefecture", "urban_agency", "distributor"}
		if got := bodiesOf(preview); !slices.Equal(got, want) {
			t.Fatalf("selected %v, want %v", got, want)
		}
		for _, st := range preview {
			switch st.Body.Code {
			case "arrondissement":
				if st.Basis != SeatPermanent || st.Organisation.Code != "sidi-othmane" {
					t.Errorf("arrondissement: %+v", st)
				}
			case "urban_agency":
				if st.Organisation.Code != "aucasa" || len(st.Organisation.Members) != 1 || st.Organisation.Members[0].ID != member {
					t.Errorf("urban agency: %+v", st.Organisation)
				}
			case "prefecture":
				if st.Organisation.Code != "prefecture-"+pc {
					t.Errorf("prefecture held by %q, want the arrondissement's, prefecture-%s", st.Organisation.Code, pc)
				}
			case "distributor":
				if st.Basis != SeatOccasional || !strings.Contains(st.Reason.FR, "raccordement") || st.Organisation.Code != "" {
					t.Errorf("distributor: %+v", st)
				}
			}
		}

		// Nobody but the window's agents.
		// (the policy hides the window's work from whoever is not its agent)
		_, err = e.s.Dispatch(ctx, arch, f.ID, 0)
		wantErr(t, err, errs.NotFound, "permit.error.file_not_found")
		_, err = e.s.Dispatch(ctx, e.agentActor(e.otherAgent, "anfa"), f.ID, 0)
		wantErr(t, err, errs.NotFound, "")
		_, err = e.s.AddSeat(ctx, agent, f.ID, "civil_protection", "Salle de sport au rez-de-chaussée.")
		wantErr(t, err, errs.Conflict, "permit.dispatch.error.not_dispatched")

		e.clock.add(time.Hour)
		f, err = e.s.Dispatch(ctx, agent, f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Accepted || f.Holder != HolderCommittee || f.Step != "study" || f.DueAt == nil {
			t.Fatalf("dispatched file: %s, held by %s, step %s, due %v", f.State, f.Holder, f.Step, f.DueAt)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = 'dispatch' AND outcome = 'met'`, f.ID); n != 1 {
			t.Fatalf("the dispatch step is not met (%d)", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = 'study' AND actor = 'members' AND met_at IS NULL`, f.ID); n != 1 {
			t.Fatalf("the members' study has %d running deadlines", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_files WHERE id = $1 AND holder = 'window'`, f.ID); n != 0 {
			t.Fatal("the dispatched file is still in the window's queue")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.dispatch' AND object_id = $1`, strconv.FormatInt(f.ID, 10)); n != 1 {
			t.Fatalf("%d audit records of the dispatch", n)
		}
		v, _ = e.s.View(ctx, agent, f.ID)
		if v.Can[TDispatch] {
			t.Fatal("a dispatched file is offered to dispatch again")
		}
		if ev := v.Events[len(v.Events)-1]; ev.Kind != TDispatch || ev.Data["committee"] != "urban_small" {
			t.Fatalf("last event %+v", ev)
		}
		_, err = e.s.Dispatch(ctx, agent, f.ID, 0)
		wantErr(t, err, errs.Conflict, "permit.dispatch.error.done")

		// Another urban agency registered afterwards (first by code) changes
		// nothing on this file: its seat stays the one recorded.
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
			VALUES ('aaa-agence', 'urban_agency', 'وكالة', 'Autre agence', 'Other agency', $1)`, monday); err != nil {
			t.Fatal(err)
		}
		if seats, err := e.s.Seats(ctx, agent, f.ID); err != nil || seats[2].Organisation.Code != "aucasa" ||
			len(seats[2].Organisation.Members) != 1 || seats[2].Organisation.Members[0].ID != member {
			t.Fatalf("the urban agency's seat after another registered: %+v, %v", seats[2].Organisation, err)
		}

		// The applicants are told; when the members' study runs late, the
		// committee's members are alerted, not the window.
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.dispatch' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n == 0 {
			t.Fatal("the owner was not told of the dispatch")
		}
		var studyDue, overallDue time.Time
		if err := d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND step = 'study'`, f.ID).Scan(&studyDue); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND step = $2`, f.ID, Overall).Scan(&overallDue); err != nil {
			t.Fatal(err)
		}
		if !studyDue.Before(overallDue) {
			t.Fatalf("the study is due %v, after the overall deadline %v", studyDue, overallDue)
		}

		// The owner reads who studies their file, and why.
		seats, err := e.s.Seats(ctx, e.ownerActor(), f.ID)
		if err != nil || !slices.Equal(bodiesOf(seats), want) {
			t.Fatalf("the owner reads %v, %v", bodiesOf(seats), err)
		}

		// Adding a member: a reason, a known body not seated yet.
		_, err = e.s.AddSeat(ctx, agent, f.ID, "civil_protection", "salle")
		wantErr(t, err, errs.Invalid, "permit.dispatch.error.note")
		_, err = e.s.AddSeat(ctx, agent, f.ID, "fire_brigade", "Salle de sport au rez-de-chaussée.")
		wantErr(t, err, errs.Invalid, "permit.dispatch.error.body")
		_, err = e.s.AddSeat(ctx, agent, f.ID, "urban_agency", "Avis conforme une seconde fois.")
		wantErr(t, err, errs.Conflict, "permit.dispatch.error.seated")
		_, err = e.s.AddSeat(ctx, arch, f.ID, "civil_protection", "Salle de sport au rez-de-chaussée.")
		wantErr(t, err, errs.NotFound, "permit.error.file_not_found")
		added, err := e.s.AddSeat(ctx, agent, f.ID, "civil_protection", "Salle de sport au rez-de-chaussée.")
		if err != nil || added.Basis != SeatAdded {
			t.Fatalf("add: %+v %v", added, err)
		}
		seats, _ = e.s.Seats(ctx, agent, f.ID)
		if got := bodiesOf(seats); !slices.Equal(got, append(want, "civil_protection")) || seats[4].Note != "Salle de sport au rez-de-chaussée." {
			t.Fatalf("after adding: %v", got)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.member_added'`); n != 1 {
			t.Fatalf("%d audit records of the addition", n)
		}

		// The urban agency's member gives its opinion, once, with reasons
		// unless favourable; the window does not give opinions; the
		// window sees it, the owner reads the committee's remarks instead.
		m := authz.Actor{Person: member, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "aucasa"}}}
		if _, body, _, err := e.s.MayGiveOpinion(ctx, m, f.ID); err != nil || body.Code != "urban_agency" {
			t.Fatalf("the member may give the urban agency's opinion: %v %v", body, err)
		}
		_, err = e.s.GiveOpinion(ctx, m, f.ID, 0, "maybe", "")
		wantErr(t, err, errs.Invalid, "permit.opinion.error.verdict")
		_, err = e.s.GiveOpinion(ctx, m, f.ID, 0, Unfavourable, "non")
		wantErr(t, err, errs.Invalid, "permit.opinion.error.reasons")
		_, err = e.s.GiveOpinion(ctx, agent, f.ID, 0, Favourable, "")
		wantErr(t, err, errs.NotFound, "")
		op, err := e.s.GiveOpinion(ctx, m, f.ID, 0, Reservations, "Recul de 3 m sur la voie à respecter.")
		if err != nil || op.Body.Code != "urban_agency" || op.Organisation != "aucasa" {
			t.Fatalf("opinion: %+v %v", op, err)
		}
		_, err = e.s.GiveOpinion(ctx, m, f.ID, 0, Favourable, "")
		wantErr(t, err, errs.Conflict, "permit.opinion.error.given")
		if ops, err := e.s.Opinions(ctx, agent, f.ID); err != nil || len(ops) != 1 || ops[0].Verdict != Reservations || ops[0].Member.ID != member {
			t.Fatalf("the window reads %+v, %v", ops, err)
		}
		if ops, err := e.s.Opinions(ctx, e.ownerActor(), f.ID); err != nil || len(ops) != 0 {
			t.Fatalf("the owner reads the members' opinions: %+v, %v", ops, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.opinion'`); n != 1 {
			t.Fatalf("%d audit records of the opinion", n)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_opinions (file_id, body, organisation_code, given_by, verdict, given_at)
			VALUES ($1, 'telecom', 'aucasa', $2, 'favourable', $3)`, f.ID, member, monday); err == nil {
			t.Fatal("an opinion recorded for a body that does not sit on the file")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_opinions SET verdict = 'favourable'`); err == nil {
			t.Fatal("an opinion was changed")
		}

		// The study's deadline passes: the catalogue counts the silence of
		// the bodies that said nothing as agreement, records it, and the
		// round concludes by the committee's rule — the urban agency's
		// reservations become a condition; the window's secretariat has
		// the file back for the minutes.
		e.clock.add(studyDue.Sub(e.clock.now()) + time.Hour)
		if n, err := e.s.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d deadlines passed, %v", n, err)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM permit_silences WHERE file_id = $1 AND round = 1`, f.ID); n != 4 {
			t.Fatalf("%d silences recorded, want the 4 bodies that said nothing", n)
		}
		c, err := e.s.Conclusion(ctx, agent, f.ID)
		if err != nil || c == nil || c.Outcome != "grant" || len(c.Grounds) != 1 || c.Grounds[0].Body.Code != "urban_agency" ||
			c.Grounds[0].Rule != "reservations" || len(c.Silences) != 4 {
			t.Fatalf("conclusion %+v, %v", c, err)
		}
		if g, _ := e.s.Get(ctx, agent, f.ID); g.Holder != HolderWindow || g.Step != StepMinutes {
			t.Fatalf("after the round: held by %s at step %s", g.Holder, g.Step)
		}
		_, err = e.s.GiveOpinion(ctx, m, f.ID, 0, Favourable, "")
		wantErr(t, err, errs.Conflict, "permit.opinion.error.not_open")

		// The database: a selection only for an accepted file, kept as made.
		g, err := e.s.Create(ctx, arch, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		seat := `INSERT INTO permit_committee_seats (file_id, committee, body, basis, selected_by, selected_at)
			VALUES ($1, 'urban_small', 'telecom', 'permanent', $2, $3)`
		if _, err := d.ExecContext(ctx, seat, g.ID, e.agent, monday); err == nil {
			t.Fatal("a draft was given a committee")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_committee_seats (file_id, committee, body, basis, selected_by, selected_at)
			VALUES ($1, 'urban_small', 'telecom', 'added', $2, $3)`, f.ID, e.agent, monday); err == nil {
			t.Fatal("a member was added without a reason")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_committee_seats SET basis = 'permanent' WHERE file_id = $1`, f.ID); err == nil {
			t.Fatal("a selection was changed")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_committee_seats WHERE file_id = $1`, f.ID); err == nil {
			t.Fatal("a selection was deleted")
		}
	})
}

func bodiesOf(seats []FileSeat) []string {
	var out []string
	for _, st := range seats {
		out = append(out, st.Body.Code)
	}
	return out
}
