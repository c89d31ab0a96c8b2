package permit

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades/padestest"
	"madina/internal/signature"
)

// TestSessionMinutes: two files on a session; every body gives its
// opinion on the first, only one on the second. Before the session sat
// nobody draws its minutes; after, the secretariat records three members
// present (the distributor's is not) — never nobody, never a stranger —
// and draws them: the first file concluded (permit), the second is
// adjourned and goes on a later session. The absent member cannot sign,
// nor the president before the members; a wrong PIN signs nothing; each
// member signs once, then the president, which closes them. pdfsig finds
// four valid signatures from Madina's CA on the one PDF, which names the
// members, the files and their outcomes. The database refuses the
// signature of someone absent, and a second president.
func TestSessionMinutes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.q.Subscribe(TopicFileChanged, "permit.agenda", e.s.ReplanOnChange)
		ca := e.withSignatures(t)
		m, pres := e.committee(t)
		agent := e.agentActor(e.agent, "sidi-othmane")
		sigs := e.s.signatures.(*signature.Service)
		for _, a := range append([]authz.Actor{pres}, m["arrondissement"], m["prefecture"], m["urban_agency"], m["distributor"]) {
			if _, err := sigs.Enrol(ctx, a, "246810", "246810"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.GenerateSessions(ctx, SessionWeeks); err != nil {
			t.Fatal(err)
		}
		f1, f2 := e.dispatched(t), e.dispatched(t)
		e.dispatch(t)
		for _, body := range []string{"arrondissement", "prefecture", "urban_agency", "distributor"} {
			if _, err := e.s.GiveOpinion(ctx, m[body], f1.ID, 0, Favourable, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.GiveOpinion(ctx, m["urban_agency"], f2.ID, 0, Reservations, "Retrait de 3 m sur la rue à respecter."); err != nil {
			t.Fatal(err)
		}
		ps, err := placements(ctx, d, `a.file_id = $1`, f2.ID)
		if err != nil || len(ps) != 1 || ps[0].Session == 0 {
			t.Fatalf("f2's placement: %+v %v", ps, err)
		}
		sid := ps[0].Session
		if p1, _ := placements(ctx, d, `a.file_id = $1`, f1.ID); len(p1) != 1 || p1[0].Session != sid {
			t.Fatalf("f1 is not on f2's session: %+v", p1)
		}
		ss, err := e.s.FreezeSession(ctx, agent, sid)
		if err != nil {
			t.Fatal(err)
		}
		// The president follows their window's sessions.
		if mine, err := e.s.MySessions(ctx, pres); err != nil || !slices.ContainsFunc(mine, func(x *Session) bool { return x.ID == sid }) {
			t.Fatalf("the president's sessions lack the file's: %v", err)
		}
		present := []int64{m["arrondissement"].Person, m["prefecture"].Person, m["urban_agency"].Person}
		_, err = e.s.DraftMinutes(ctx, agent, sid, present)
		wantErr(t, err, errs.Conflict, "permit.minutes.error.not_sat")

		e.clock.add(ss.End.Sub(e.clock.now()) + time.Hour)
		_, err = e.s.DraftMinutes(ctx, m["urban_agency"], sid, present)
		if err == nil {
			t.Fatal("a member drew up the minutes")
		}
		_, err = e.s.DraftMinutes(ctx, agent, sid, nil)
		wantErr(t, err, errs.Invalid, "permit.minutes.error.nobody")
		_, err = e.s.DraftMinutes(ctx, agent, sid, append(present, pres.Person))
		wantErr(t, err, errs.Invalid, "permit.minutes.error.not_member")
		_, err = e.s.SignMinutes(ctx, m["urban_agency"], sid, "246810")
		wantErr(t, err, errs.Conflict, "permit.minutes.error.none")

		min, err := e.s.DraftMinutes(ctx, agent, sid, present)
		if err != nil {
			t.Fatal(err)
		}
		if len(min.Present) != 3 || len(min.Items) != 2 || min.Items[0].FileID != f1.ID || min.Items[0].Outcome != "grant" ||
			min.Items[1].FileID != f2.ID || min.Items[1].Outcome != OutcomeAdjourned {
			t.Fatalf("the minutes: %+v", min)
		}
		_, err = e.s.DraftMinutes(ctx, agent, sid, present)
		wantErr(t, err, errs.Conflict, "permit.minutes.error.drafted")
		// The adjourned file is on a later session; the concluded one stays.
		if p2, _ := placements(ctx, d, `a.file_id = $1`, f2.ID); len(p2) != 1 || p2[0].Session == 0 || p2[0].Session == sid {
			t.Fatalf("the adjourned file's placement: %+v", p2)
		}
		if p1, _ := placements(ctx, d, `a.file_id = $1`, f1.ID); len(p1) != 1 || p1[0].Session != sid {
			t.Fatalf("the concluded file left the session: %+v", p1)
		}
		for _, who := range present {
			if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.minutes_sign' AND user_id = $1`,
				"person:"+strconv.FormatInt(who, 10)); n == 0 {
				t.Errorf("member %d is not asked to sign", who)
			}
		}
		if got, _ := e.s.MinutesToSign(ctx, m["prefecture"]); len(got) != 1 || got[0].ID != sid {
			t.Fatalf("the prefecture's minutes to sign: %+v", got)
		}
		if got, _ := e.s.MinutesToSign(ctx, pres); len(got) != 0 {
			t.Fatalf("the president is asked before the members: %+v", got)
		}

		_, err = e.s.SignMinutes(ctx, m["distributor"], sid, "246810")
		wantErr(t, err, errs.Forbidden, "permit.minutes.error.absent")
		_, err = e.s.SignMinutes(ctx, pres, sid, "246810")
		wantErr(t, err, errs.Conflict, "permit.minutes.error.members_first")
		_, err = e.s.SignMinutes(ctx, m["prefecture"], sid, "000000")
		if e := errs.As(err); e == nil || e.Field != "pin" {
			t.Fatalf("a wrong PIN: %v", err)
		}
		told := func() int {
			return count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.minutes_president' AND user_id = $1`,
				"person:"+strconv.FormatInt(pres.Person, 10))
		}
		for i, body := range []string{"arrondissement", "prefecture", "urban_agency"} {
			if n := told(); n != 0 {
				t.Fatalf("the president is told before member %d signed", i+1)
			}
			if _, err := e.s.SignMinutes(ctx, m[body], sid, "246810"); err != nil {
				t.Fatalf("%s signs: %v", body, err)
			}
		}
		_, err = e.s.SignMinutes(ctx, m["prefecture"], sid, "246810")
		wantErr(t, err, errs.Conflict, "permit.minutes.error.signed")
		if told() == 0 {
			t.Error("the president is not told that the minutes wait for them")
		}
		if got, _ := e.s.MinutesToSign(ctx, pres); len(got) != 1 || got[0].ID != sid {
			t.Fatalf("the president's minutes to sign: %+v", got)
		}
		min, err = e.s.SignMinutes(ctx, pres, sid, "246810")
		if err != nil || min.SignedAt == nil || len(min.Signatures) != 4 || min.Signatures[3].Role != MinutesPresident {
			t.Fatalf("the president signs: %+v, %v", min, err)
		}
		_, err = e.s.SignMinutes(ctx, m["urban_agency"], sid, "246810")
		wantErr(t, err, errs.Conflict, "permit.minutes.error.complete")

		b, name, err := e.s.MinutesPDF(ctx, m["distributor"], sid)
		if err != nil || !strings.HasSuffix(name, ".pdf") {
			t.Fatal(name, err)
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, ca.Root()), b)
		if valid, trusted, total := padestest.Count(out); valid != 4 || trusted != 4 || total != 4 {
			t.Fatalf("pdfsig on the signed minutes:\n%s", out)
		}
		checkDecisionPDF(t, b, "Procès-verbal de la séance", "Membres présents (3)", f1.Display(), f2.Display(),
			"Avis favorable : autorisation", "Ajourné à une séance ultérieure", "Retrait de 3 m sur la rue à respecter.",
			"signé électroniquement par chaque membre présent")

		// The permit granted on the concluded file cites the minutes.
		if _, err := e.s.Forward(ctx, agent, f1.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.DecidePermit(ctx, pres, f1.ID, 0, "246810"); err != nil {
			t.Fatal(err)
		}
		dec, _, err := e.s.Decision(ctx, e.ownerActor(), f1.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkDecisionPDF(t, dec, "Vu le procès-verbal de la séance de la commission du "+i18n.FormatDate(i18n.FR, ss.Start)+".")

		// The database keeps the order too.
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_minutes_signatures (session_id, person_id, role, sha256, signer, serial, signed_at)
			VALUES ($1, $2, 'member', $3, 'X', '01', $4)`, sid, m["distributor"].Person, strings.Repeat("a", 64), e.clock.now()); err == nil {
			t.Fatal("the database took the signature of a member absent")
		}
		if _, err := d.ExecContext(ctx, `UPDATE permit_minutes SET sha256 = $1 WHERE session_id = $2`, strings.Repeat("b", 64), sid); err == nil {
			t.Fatal("the database let closed minutes change")
		}
	})
}
