package permit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
	"madina/internal/signature"
)

// committee registers, for e's Sidi Othmane files, an organisation and a
// committee member for every body that sits on them (the arrondissement,
// its prefecture, the urban agency, the distributor) and the president of
// the Sidi Othmane window: the actors by body, and the president.
func (e *env) committee(t *testing.T) (map[string]authz.Actor, authz.Actor) {
	t.Helper()
	ctx := context.Background()
	d := e.d
	var pc string
	if err := d.QueryRowContext(ctx, `SELECT prefecture_code FROM arrondissements WHERE code = 'sidi-othmane'`).Scan(&pc); err != nil {
		t.Fatal(err)
	}
	orgs := map[string][2]string{"arrondissement": {"sidi-othmane", "arrondissement"}, "prefecture": {"prefecture-" + pc, "prefecture"},
		"urban_agency": {"aucasa", "urban_agency"}, "distributor": {"lydec", "utility"}}
	members := map[string]authz.Actor{}
	for body, o := range orgs {
		if body == "arrondissement" {
			// newEnv registered the arrondissement's organisation.
		} else if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
			VALUES ($1, $2, 'هيئة', 'Organisme', 'Body', $3) ON CONFLICT (code) DO NOTHING`, o[0], o[1], monday); err != nil {
			t.Fatal(err)
		}
		p := e.person(t, body+"@example.ma", "fr")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
			VALUES ($1, $2, 'committee_member', $3)`, p, o[0], monday); err != nil {
			t.Fatal(err)
		}
		members[body] = authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: o[0]}}}
	}
	pres := e.person(t, "president@example.ma", "ar")
	if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, window_code, granted_at)
		VALUES ($1, 'sidi-othmane', 'president', 'sidi-othmane', $2)`, pres, monday); err != nil {
		t.Fatal(err)
	}
	return members, authz.Actor{Person: pres, EmailVerified: true, MFA: true, Now: e.clock.now(),
		Grants: []authz.Grant{{Role: authz.President, Org: "sidi-othmane", Window: "sidi-othmane"}}}
}

// dispatched is a Sidi Othmane house accepted and dispatched to its
// committee.
func (e *env) dispatched(t *testing.T) *File {
	t.Helper()
	ctx := context.Background()
	agent := e.agentActor(e.agent, "sidi-othmane")
	f := e.submitted(t, e.architectActor(), sidiOthmane(e.owner))
	f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
	if err != nil {
		t.Fatal(err)
	}
	if f, err = e.s.Dispatch(ctx, agent, f.ID, f.Version); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCommitteeRounds: the journey of an urban file through its
// committee. Round 1: the distributor is against, so the rule asks for
// remarks; the secretariat consolidates them, the clock stops while the
// architect answers and uploads a revised plan; an opinion prepared on
// the old round is refused; round 2 concludes in favour, the prefecture's
// reservations becoming the permit's condition; the secretariat forwards,
// the president — only them, only as concluded — grants the permit, whose
// PDF lists the condition, the approved plans by fingerprint, and the
// committee's conclusion. Nothing of a closed round can be rewritten.
func TestCommitteeRounds(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.committee(t)
		agent := e.agentActor(e.agent, "sidi-othmane")
		arch := e.architectActor()
		f := e.dispatched(t)
		give := func(body string, round int, verdict, reasons string) error {
			_, err := e.s.GiveOpinion(ctx, m[body], f.ID, round, verdict, reasons)
			return err
		}
		for _, o := range [][3]string{{"arrondissement", Favourable, ""}, {"prefecture", Reservations, "Clôture sur rue limitée à 2 m de hauteur."},
			{"urban_agency", Favourable, ""}} {
			if err := give(o[0], 0, o[1], o[2]); err != nil {
				t.Fatalf("%s: %v", o[0], err)
			}
		}
		if c, _ := e.s.Conclusion(ctx, agent, f.ID); c != nil {
			t.Fatalf("concluded before every body spoke: %+v", c)
		}
		if err := give("distributor", 0, Unfavourable, "Le branchement d’assainissement doit passer par la rue, pas par la servitude."); err != nil {
			t.Fatal(err)
		}
		c, err := e.s.Conclusion(ctx, agent, f.ID)
		if err != nil || c == nil || c.Outcome != "remarks" || len(c.Grounds) != 1 || c.Grounds[0].Body.Code != "distributor" {
			t.Fatalf("round 1 concludes %+v, %v", c, err)
		}
		f, _ = e.s.Get(ctx, agent, f.ID)
		if f.Holder != HolderWindow || f.Step != StepMinutes {
			t.Fatalf("after round 1: %s at %s", f.Holder, f.Step)
		}
		// Neither the president nor a forward while the rule asks for remarks.
		_, _, err = e.s.MayDecidePermit(ctx, pres, f.ID)
		wantErr(t, err, errs.Conflict, "permit.rounds.error.outcome")
		_, err = e.s.Forward(ctx, agent, f.ID, 0)
		wantErr(t, err, errs.Conflict, "permit.rounds.error.outcome")

		// The secretariat starts from the opinion's words.
		_, drafts, err := e.s.RemarkDrafts(ctx, agent, f.ID)
		if err != nil || len(drafts) != 1 || drafts[0].Body != "distributor" || !strings.Contains(drafts[0].Text, "servitude") {
			t.Fatalf("drafts %+v, %v", drafts, err)
		}
		_, err = e.s.SendRemarks(ctx, agent, f.ID, 0, []RemarkDraft{{Body: "distributor", Text: "  "}})
		wantErr(t, err, errs.Invalid, "permit.rounds.error.no_remark")
		_, err = e.s.SendRemarks(ctx, agent, f.ID, 0, []RemarkDraft{{Body: "telecom", Text: "Réseau."}})
		wantErr(t, err, errs.Invalid, "permit.dispatch.error.body")
		_, err = e.s.SendRemarks(ctx, m["distributor"], f.ID, 0, drafts)
		wantErr(t, err, errs.NotFound, "")
		drafts[0].Text = "Raccordez l’assainissement par la rue Oued Sebou et non par la servitude de passage."
		if f, err = e.s.SendRemarks(ctx, agent, f.ID, 0, drafts); err != nil {
			t.Fatal(err)
		}
		if f.Holder != HolderApplicant || f.Step != StepRemarks || f.DueAt != nil {
			t.Fatalf("remarks sent: %s at %s, due %v", f.Holder, f.Step, f.DueAt)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL AND paused_at IS NULL`, f.ID); n != 0 {
			t.Fatalf("%d deadlines still run while the applicant answers", n)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.remarks' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n == 0 {
			t.Fatal("the owner was not told of the remarks")
		}
		err = give("urban_agency", 1, Favourable, "")
		wantErr(t, err, errs.Conflict, "permit.opinion.error.not_open")

		// The architect answers and revises the plan; not before answering.
		_, err = e.s.Revise(ctx, arch, f.ID, 0)
		wantErr(t, err, errs.Invalid, "permit.rounds.error.unanswered")
		rs, err := e.s.Remarks(ctx, arch, f.ID)
		if err != nil || len(rs) != 1 || rs[0].Round != 1 {
			t.Fatalf("remarks %+v, %v", rs, err)
		}
		err = e.s.AnswerRemarks(ctx, arch, f.ID, map[int64]string{rs[0].ID + 99: "?"})
		wantErr(t, err, errs.Invalid, "permit.rounds.error.remark")
		err = e.s.AnswerRemarks(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, map[int64]string{rs[0].ID: "Non."})
		if err == nil {
			t.Fatal("the window answered the applicant's remarks")
		}
		if err := e.s.AnswerRemarks(ctx, arch, f.ID, map[int64]string{rs[0].ID: "Le plan de masse v2 raccorde par la rue Oued Sebou."}); err != nil {
			t.Fatal(err)
		}
		plan := "architectural_plans"
		if _, err := e.s.AddDocument(ctx, arch, f.ID, plan, "plans-v2.pdf", bytes.NewReader(testPDF("plans v2"))); err != nil {
			t.Fatalf("revised plan: %v", err)
		}
		e.clock.add(72 * time.Hour)
		if f, err = e.s.Revise(ctx, arch, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		if f.Holder != HolderCommittee || f.Step != StepStudy || f.DueAt == nil {
			t.Fatalf("round 2: %s at %s, due %v", f.Holder, f.Step, f.DueAt)
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_remarks SET answer = 'autre' WHERE file_id = $1`, f.ID); err == nil {
			t.Fatal("an answer was rewritten once the next round opened")
		}
		err = give("urban_agency", 1, Favourable, "")
		wantErr(t, err, errs.Conflict, "permit.opinion.error.old_round")

		// Round 2: in favour, with the prefecture's reservations.
		for _, o := range [][3]string{{"arrondissement", Favourable, ""}, {"prefecture", Reservations, "Clôture sur rue limitée à 2 m de hauteur."},
			{"urban_agency", Favourable, ""}, {"distributor", Favourable, ""}} {
			if err := give(o[0], 2, o[1], o[2]); err != nil {
				t.Fatalf("%s: %v", o[0], err)
			}
		}
		c, err = e.s.Conclusion(ctx, agent, f.ID)
		if err != nil || c.Outcome != "grant" || c.Round.N != 2 || len(c.Grounds) != 1 || c.Grounds[0].Rule != "reservations" {
			t.Fatalf("round 2 concludes %+v, %v", c, err)
		}
		_, err = e.s.SendRemarks(ctx, agent, f.ID, 0, drafts)
		wantErr(t, err, errs.Conflict, "permit.rounds.error.outcome")
		if f, err = e.s.Forward(ctx, agent, f.ID, 0); err != nil || f.Holder != HolderCommittee || f.Step != StepDecision {
			t.Fatalf("forward: %+v, %v", f, err)
		}

		// Only the president decides, and only as concluded.
		_, err = e.s.DecidePermit(ctx, agent, f.ID, 0, "")
		wantErr(t, err, errs.NotFound, "")
		v, err := e.s.View(ctx, pres, f.ID)
		if err != nil || !v.Can[TGrant] || v.Can[TReject] {
			t.Fatalf("the president may grant %v, reject %v (%v)", v.Can[TGrant], v.Can[TReject], err)
		}
		if f, err = e.s.DecidePermit(ctx, pres, f.ID, 0, ""); err != nil || f.State != Approved {
			t.Fatalf("grant: %+v, %v", f, err)
		}
		if !strings.Contains(f.DecisionReason, "Clôture") {
			t.Fatalf("the condition recorded: %q", f.DecisionReason)
		}
		b, _, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, e.ownerActor(), f.ID)
		var planSHA string
		for _, it := range v.Checklist {
			if it.Code == plan && len(it.Current) > 0 {
				planSHA = it.Current[len(it.Current)-1].SHA256
			}
		}
		concluded := c.Round.ClosedAt.In(i18n.Casablanca)
		checkDecisionPDF(t, b, "Autorisation", f.Number, "Conditions", "Clôture sur rue limitée à 2 m de hauteur.",
			"Réserves", "Plans approuvés", planSHA, "tour d’étude 2, le "+i18n.FormatDate(i18n.FR, concluded),
			"Commission des petits projets", "Règlement général de construction")
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.grant' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n == 0 {
			t.Fatal("the owner was not told of the permit")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action IN ('permit.concluded', 'permit.remarks',
			'permit.answered', 'permit.revise', 'permit.forward', 'permit.grant')`); n != 7 {
			t.Fatalf("%d audit records of the rounds, want 7", n)
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_rounds SET outcome = 'refuse' WHERE file_id = $1`, f.ID); err == nil {
			t.Fatal("a closed round's outcome was changed")
		}
	})
}

// TestBindingOpinionRefuses: the urban agency's unfavourable opinion is
// binding: the round concludes to a refusal whatever the others say, the
// president signs it with their key (pdfsig checks it), and the refusal
// gives its reason tied to the opinion and the rule.
func TestBindingOpinionRefuses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		ca := e.withSignatures(t)
		m, pres := e.committee(t)
		agent := e.agentActor(e.agent, "sidi-othmane")
		if _, err := e.s.signatures.(*signature.Service).Enrol(ctx, pres, "135790", "135790"); err != nil {
			t.Fatal(err)
		}
		f := e.dispatched(t)
		for _, o := range [][3]string{{"arrondissement", Favourable, ""}, {"prefecture", Favourable, ""},
			{"urban_agency", Unfavourable, "Hauteur de 18 m au-delà des 15,5 m du plan d’aménagement."}, {"distributor", Favourable, ""}} {
			if _, err := e.s.GiveOpinion(ctx, m[o[0]], f.ID, 0, o[1], o[2]); err != nil {
				t.Fatal(err)
			}
		}
		c, err := e.s.Conclusion(ctx, agent, f.ID)
		if err != nil || c.Outcome != "refuse" || c.Grounds[0].Rule != "binding" {
			t.Fatalf("conclusion %+v, %v", c, err)
		}
		if _, err := e.s.Forward(ctx, agent, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		for _, pin := range []string{"", "000000"} {
			_, err = e.s.DecidePermit(ctx, pres, f.ID, 0, pin)
			if e := errs.As(err); e == nil || e.Field != "pin" {
				t.Fatalf("PIN %q: %v", pin, err)
			}
		}
		if g, _ := e.s.Get(ctx, pres, f.ID); g.State != Accepted {
			t.Fatal("a wrong PIN decided")
		}
		f, err = e.s.DecidePermit(ctx, pres, f.ID, 0, "135790")
		if err != nil || f.State != Refused || !strings.Contains(f.DecisionReason, "15,5 m") {
			t.Fatalf("reject: %+v, %v", f, err)
		}
		b, _, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, ca.Root()), b)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the signed refusal:\n%s", out)
		}
		checkDecisionPDF(t, b, "Refus", f.Number, "Avis défavorable conforme", "cet avis lie la décision",
			"signé électroniquement par le président qui a pris la décision",
			"Hauteur de 18 m au-delà des 15,5 m du plan d’aménagement.", "Règlement général de construction")
		if sig := e.s.DecisionSignature(ctx, f.ID); sig != DecisionByOfficer {
			t.Fatalf("the refusal's signature: %q", sig)
		}
	})
}

// TestLateMembersAreAlerted: where the catalogue has no silence rule for
// the members' study, its deadline passing alerts the members of the
// bodies that have not given their opinion — not those who did — the
// window's secretariat and the president.
func TestLateMembersAreAlerted(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.withoutStudySilence(t)
		m, pres := e.committee(t)
		f := e.dispatched(t)
		for _, body := range []string{"arrondissement", "prefecture"} {
			if _, err := e.s.GiveOpinion(ctx, m[body], f.ID, 0, Favourable, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.studyOverdue(t, f)
		alerts := func(who int64) int { return e.overdueAlerts(t, who) }
		for body, want := range map[string]int{"urban_agency": 1, "distributor": 1, "arrondissement": 0, "prefecture": 0} {
			if got := alerts(m[body].Person); got != want {
				t.Errorf("the %s member got %d alerts, want %d", body, got, want)
			}
		}
		if alerts(e.agent) != 1 || alerts(pres.Person) != 1 {
			t.Errorf("the secretariat got %d alerts, the president %d; want 1 each", alerts(e.agent), alerts(pres.Person))
		}
		if g, _ := e.s.Get(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID); g.Holder != HolderCommittee || g.Step != StepStudy {
			t.Fatalf("without a silence rule the round stays open: %s at %s", g.Holder, g.Step)
		}
	})
}

// withoutStudySilence gives e's service Casablanca's catalogue without
// the silence rule of the members' study: its deadline passing alerts.
func (e *env) withoutStudySilence(t *testing.T) {
	t.Helper()
	spec := catalogue.CasablancaSpec()
	for i := range spec.Schedules {
		for j := range spec.Schedules[i].Steps {
			if st := &spec.Schedules[i].Steps[j]; st.Step == StepStudy && st.Deadline != nil {
				st.Deadline.Silence = ""
			}
		}
	}
	cat, err := catalogue.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.s.cat = cat
}

// studyOverdue lets the study deadline of file f pass and sweeps: one
// deadline handled, its events dispatched.
func (e *env) studyOverdue(t *testing.T, f *File) {
	t.Helper()
	ctx := context.Background()
	var due time.Time
	if err := e.d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND step = 'study'`, f.ID).Scan(&due); err != nil {
		t.Fatal(err)
	}
	e.clock.add(due.Sub(e.clock.now()) + time.Hour)
	if n, err := e.s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	e.dispatch(t)
}

// overdueAlerts counts the overdue alerts who received in their inbox.
func (e *env) overdueAlerts(t *testing.T, who int64) int {
	t.Helper()
	return count(t, e.d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.overdue' AND user_id = $1
		AND channel = 'inbox'`, fmt.Sprintf("person:%d", who))
}
