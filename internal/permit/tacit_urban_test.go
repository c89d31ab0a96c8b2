package permit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/pades/padestest"
)

// overallDue is the due time of file id's overall deadline.
func (e *env) overallDue(t *testing.T, id int64) time.Time {
	t.Helper()
	var due time.Time
	if err := e.d.QueryRowContext(context.Background(), `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND step = $2`,
		id, Overall).Scan(&due); err != nil {
		t.Fatal(err)
	}
	return due
}

// sweepAll runs the legal clock until it has nothing left to handle.
func (e *env) sweepAll(t *testing.T) {
	t.Helper()
	for {
		n, err := e.s.Sweep(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestUrbanOverallFollowsTheCatalogue: Casablanca's catalogue counts the
// members' silence as agreement on the study, but says nothing of the
// kind on the urban schedules' overall deadline; so an urban file whose
// overall deadline passes undecided is not approved by silence: the
// window is alerted, and the file stays with the administration.
func TestUrbanOverallFollowsTheCatalogue(t *testing.T) {
	for _, sc := range catalogue.CasablancaSpec().Schedules {
		if (sc.Code == "large_project" || sc.Code == "small_project") && sc.Overall.Silence != "" {
			t.Fatalf("Casablanca's %s now says %q on its overall deadline: the tacit certificate applies to it", sc.Code, sc.Overall.Silence)
		}
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		f := e.dispatchedFile(t)
		e.clock.t = e.overallDue(t, f.ID).Add(time.Hour)
		e.sweepAll(t)
		g, err := e.s.Get(ctx, e.ownerActor(), f.ID)
		if err != nil || g.State != Accepted || g.Tacit {
			t.Fatalf("after the overall deadline: %s, tacit %v (%v)", g.State, g.Tacit, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'overdue'`, f.ID); n == 0 {
			t.Fatal("no overdue event on the file")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'tacit'`, f.ID); n != 0 {
			t.Fatal("an urban file approved by silence where the catalogue says nothing of it")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = $2 AND alerted_at IS NOT NULL
			AND COALESCE(outcome, '') <> 'tacit_approval'`, f.ID, Overall); n != 1 {
			t.Fatal("the overall deadline passing did not alert the window")
		}
	})
}

// TestTacitApprovalCertificate: under a catalogue whose urban schedules
// count the administration's silence on the overall deadline as approval,
// a dispatched file nobody decides is approved by silence when that
// deadline passes (not a minute before): closed, approved, tacit, the
// deadline's outcome recorded, a public event and an audit record by the
// system; the applicant is told, in their language (Arabic); the
// commune's seal signs the certificate (pdfsig: one valid signature,
// trusted through Madina's root), which says it is a certificate of tacit
// approval, gives the deadline, the legal ground with its source, and
// lists the plans; nobody gives an opinion on it any more.
func TestTacitApprovalCertificate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		ca := e.withSignatures(t)
		spec := catalogue.CasablancaSpec()
		for i := range spec.Schedules {
			sc := &spec.Schedules[i]
			if sc.Code != "large_project" && sc.Code != "small_project" {
				continue
			}
			sc.Overall.Silence = SilenceApproval
			for j := range sc.Steps {
				if sc.Steps[j].Deadline != nil {
					sc.Steps[j].Deadline.Silence = ""
				}
			}
		}
		cat, err := catalogue.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		e.s.cat = cat
		m, _ := e.committee(t)
		f := e.dispatchedFile(t)
		due := e.overallDue(t, f.ID)

		e.clock.t = due.Add(-time.Minute)
		e.sweepAll(t)
		if g, _ := e.s.Get(ctx, e.ownerActor(), f.ID); g.State != Accepted {
			t.Fatalf("approved by silence before the deadline: %s", g.State)
		}
		e.clock.t = due.Add(time.Hour)
		e.sweepAll(t)
		g, err := e.s.Get(ctx, e.ownerActor(), f.ID)
		if err != nil || g.State != Approved || !g.Tacit || g.Holder != HolderNone || g.ClosedAt == nil {
			t.Fatalf("after the overall deadline: %+v (%v)", g, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND step = $2 AND outcome = 'tacit_approval'`,
			f.ID, Overall); n != 1 {
			t.Fatal("the overall deadline's outcome is not tacit approval")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL`, f.ID); n != 0 {
			t.Fatalf("%d deadlines still run on the approved file", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.tacit' AND actor = 'system' AND object_id = $1`,
			strconv.FormatInt(f.ID, 10)); n != 1 {
			t.Fatalf("%d audit records of the tacit approval", n)
		}
		v, err := e.s.View(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev := v.Events[len(v.Events)-1]; ev.Kind != TTacit || !ev.Public || ev.To != Approved || ev.Data["source"] != "order_1839_23" {
			t.Fatalf("last event %+v", ev)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.tacit' AND channel = 'inbox' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n != 1 {
			t.Fatalf("the owner was told %d times", n)
		}
		if _, err := e.s.GiveOpinion(ctx, m["urban_agency"], f.ID, 0, Favourable, ""); err == nil {
			t.Fatal("an opinion on a file approved by silence")
		}

		// The certificate, sealed by the commune.
		if err := e.s.SealDecision(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		b, name, err := e.s.Decision(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name != "autorisation-"+strings.ToLower(f.Number)+".pdf" {
			t.Errorf("downloaded as %s", name)
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, ca.Root()), b)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the certificate:\n%s", out)
		}
		checkDecisionPDF(t, b, "Certificat d’autorisation tacite", "شهادة الترخيص الضمني", "Certificat n° "+f.Number, "Date du certificat",
			"par le silence de l’administration", "Fondement légal", "Autorisation acquise tacitement",
			"Arrêté conjoint n° 1839.23", "scellé électroniquement par la Commune", "SHA-256")
	})
}
