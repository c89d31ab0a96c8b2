package permit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/pades/padestest"
	"madina/internal/signature"
)

// inspectors adds to e.committee's members one for the commune, which
// sits on the works inspection committee.
func (e *env) inspectors(t *testing.T) (map[string]authz.Actor, authz.Actor) {
	t.Helper()
	m, pres := e.committee(t)
	ctx := context.Background()
	if _, err := e.d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
		VALUES ('casablanca', 'commune', 'جماعة الدار البيضاء', 'Commune de Casablanca', 'Commune of Casablanca', $1)`, monday); err != nil {
		t.Fatal(err)
	}
	p := e.person(t, "commune@example.ma", "fr")
	if _, err := e.d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
		VALUES ($1, 'casablanca', 'committee_member', $2)`, p, monday); err != nil {
		t.Fatal(err)
	}
	m["commune"] = authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: e.clock.now(),
		Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "casablanca"}}}
	return m, pres
}

// granted is a Sidi Othmane building permit filed from in, studied by its
// committee (every body favourable), forwarded and granted by the
// president.
func (e *env) granted(t *testing.T, m map[string]authz.Actor, pres authz.Actor, in Input) *File {
	t.Helper()
	ctx := context.Background()
	agent := e.agentActor(e.agent, "sidi-othmane")
	f := e.submitted(t, e.architectActor(), in)
	f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
	if err != nil {
		t.Fatal(err)
	}
	if f, err = e.s.Dispatch(ctx, agent, f.ID, f.Version); err != nil {
		t.Fatal(err)
	}
	seats, err := e.s.Seats(ctx, agent, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range seats {
		if _, err := e.s.GiveOpinion(ctx, m[st.Body.Code], f.ID, 0, Favourable, ""); err != nil {
			t.Fatalf("%s: %v", st.Body.Code, err)
		}
	}
	if _, err := e.s.Forward(ctx, agent, f.ID, 0); err != nil {
		t.Fatal(err)
	}
	if f, err = e.s.DecidePermit(ctx, pres, f.ID, 0, ""); err != nil || f.State != Approved {
		t.Fatalf("grant: %+v, %v", f, err)
	}
	return f
}

// TestAfterTheWorks: the holder of a delivered building permit declares
// the completion of the works in one action; the habitation permit file
// starts prefilled from the permit and linked to it, once. Filed with the
// architect's certificate and accepted, it goes to the works inspection
// committee, whose agenda puts it on a visit day; the inspecting members
// add photos of the visit (JPEG or PNG only, by their content) and record
// their findings; the president signs the habitation permit, whose PDF
// names it in both languages and cites the permit and the day of the
// visit. Nobody acts officially on their own case; what was recorded
// cannot be rewritten.
func TestAfterTheWorks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.q.Subscribe(TopicFileChanged, "permit.agenda", e.s.ReplanOnChange)
		ca := e.withSignatures(t)
		m, pres := e.inspectors(t)
		if _, err := e.s.signatures.(*signature.Service).Enrol(ctx, pres, "135790", "135790"); err != nil {
			t.Fatal(err)
		}
		agent := e.agentActor(e.agent, "sidi-othmane")
		owner := e.ownerActor()
		if _, err := e.s.GenerateSessions(ctx, SessionWeeks); err != nil {
			t.Fatal(err)
		}

		// Not before the permit is delivered.
		pending := e.submitted(t, e.architectActor(), sidiOthmane(e.owner))
		_, err := e.s.DeclareCompletion(ctx, owner, pending.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.not_delivered")

		// The permit, signed by the president.
		in := sidiOthmane(e.owner)
		f := e.submitted(t, e.architectActor(), in)
		f, err = e.s.Accept(ctx, agent, f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		if f, err = e.s.Dispatch(ctx, agent, f.ID, f.Version); err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"arrondissement", "prefecture", "urban_agency", "distributor"} {
			if _, err := e.s.GiveOpinion(ctx, m[b], f.ID, 0, Favourable, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.Forward(ctx, agent, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		permit, err := e.s.DecidePermit(ctx, pres, f.ID, 0, "135790")
		if err != nil || permit.State != Approved {
			t.Fatalf("the building permit: %+v, %v", permit, err)
		}

		// Who may declare: the holder (and the professionals they
		// mandated), not a stranger nor the window.
		_, err = e.s.DeclareCompletion(ctx, authz.Actor{Person: e.stranger, EmailVerified: true}, permit.ID)
		wantErr(t, err, errs.NotFound, "")
		_, err = e.s.DeclareCompletion(ctx, agent, permit.ID)
		if err == nil {
			t.Fatal("the window's agent declared the completion")
		}
		if _, k, err := e.s.MayDeclareCompletion(ctx, owner, permit.ID); err != nil || k.Code != KindHabitation {
			t.Fatalf("may declare: %v, %v", k, err)
		}
		h, err := e.s.DeclareCompletion(ctx, owner, permit.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.Kind != KindHabitation || h.State != Draft || h.OwnerPerson != e.owner || h.Fields["permit_number"] != permit.Number ||
			h.Fields["completion_date"] != "2026-11-23" || h.Fields["upper_floors"] != "1" || h.Address != permit.Address ||
			h.Arrondissement != "sidi-othmane" || h.Location == "" {
			t.Fatalf("the habitation file is not prefilled from the permit: %+v", h)
		}
		if len(h.Parties) != 1 || h.Parties[0].Role != PartyArchitect || h.Parties[0].PersonID != e.architect {
			t.Fatalf("the permit's architect is not named: %+v", h.Parties)
		}
		aw, err := e.s.AfterWorksOf(ctx, owner, permit.ID)
		if err != nil || len(aw.Children) != 1 || aw.Children[0].FileID != h.ID {
			t.Fatalf("the permit's declarations: %+v, %v", aw, err)
		}
		if aw, err = e.s.AfterWorksOf(ctx, owner, h.ID); err != nil || aw.Parent == nil || aw.Parent.ParentNumber != permit.Number {
			t.Fatalf("the permit the habitation file follows: %+v, %v", aw, err)
		}
		// Once.
		_, err = e.s.DeclareCompletion(ctx, owner, permit.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.declared")
		if errs.As(err).Params["number"] != h.Ref {
			t.Fatalf("the refusal names %v, want %s", errs.As(err).Params, h.Ref)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'completion_declared'`, permit.ID); n != 1 {
			t.Fatalf("%d completion events on the permit", n)
		}

		// The architect's certificate of completion is required.
		v, err := e.s.View(ctx, owner, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(v.Missing, ","), "architect_certificate") {
			t.Fatalf("the architect's certificate is not asked for: %v", v.Missing)
		}
		_, err = e.s.Submit(ctx, owner, h.ID, 0)
		wantErr(t, err, errs.Invalid, "permit.error.incomplete")
		e.uploadAll(t, owner, h.ID)
		if h, err = e.s.Submit(ctx, owner, h.ID, 0); err != nil {
			t.Fatal(err)
		}
		if h.Window != "sidi-othmane" || h.Schedule != "after_works" || h.Committee != "works_inspection" {
			t.Fatalf("routed to %s, %s, %s", h.Window, h.Schedule, h.Committee)
		}
		if h, err = e.s.Accept(ctx, agent, h.ID, 0); err != nil {
			t.Fatal(err)
		}
		if h.Step != StepInspection || h.Holder != HolderWindow || h.DueAt == nil {
			t.Fatalf("accepted: %s with %s, due %v", h.Step, h.Holder, h.DueAt)
		}
		// One month from the acceptance, the overall deadline.
		if got := calendar.DateOf(*h.DueAt); got != calendar.MakeDate(2026, time.December, 22) {
			t.Fatalf("the legal month ends on %v", got)
		}
		// Photos and findings wait for the dispatch.
		_, err = e.s.StartPhotos(ctx, m["commune"], h.ID)
		wantErr(t, err, errs.NotFound, "")
		if h, err = e.s.Dispatch(ctx, agent, h.ID, 0); err != nil {
			t.Fatal(err)
		}
		e.dispatch(t)
		if h.Step != StepInspection || h.Holder != HolderCommittee {
			t.Fatalf("dispatched: %s with %s", h.Step, h.Holder)
		}
		seats, err := e.s.Seats(ctx, agent, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, st := range seats {
			bodies = append(bodies, st.Body.Code)
		}
		if strings.Join(bodies, ",") != "commune,arrondissement,prefecture,urban_agency" {
			t.Fatalf("the works inspection committee: %v", bodies)
		}
		// The visit: the first works inspection sitting, Thursday 26
		// November 9:00 (the committee sits on Mondays and Thursdays).
		visit, err := e.s.VisitOf(ctx, owner, h.ID)
		if err != nil || visit == nil {
			t.Fatalf("no visit planned: %v", err)
		}
		if got := visit.Start.In(time.FixedZone("", 3600)); got.Format("2006-01-02 15:04") != "2026-11-26 09:00" {
			t.Fatalf("the visit is planned on %v", got)
		}
		s, err := e.s.GetSession(ctx, m["commune"], visit.Session)
		if err != nil || s.Code != "works_inspection@sidi-othmane" {
			t.Fatalf("the members' session: %+v, %v", s, err)
		}
		// The agenda freezes two working days before; the visit happens.
		e.clock.add(48 * time.Hour)
		if _, err := e.s.FreezeDue(ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.add(27 * time.Hour) // Thursday 26, 10:00

		// Photos: JPEG or PNG by their content, for the member's body.
		b, err := e.s.StartPhotos(ctx, m["prefecture"], h.ID)
		if err != nil {
			t.Fatal(err)
		}
		err = b.Add(ctx, "facade.png", bytes.NewReader(testPDF("pas une photo")))
		wantErr(t, err, errs.Unsupported, "permit.afterworks.error.photo_type")
		err = b.Add(ctx, "facade.png", bytes.NewReader(append(append([]byte{}, pngBytes...), make([]byte, MaxPhoto)...)))
		wantErr(t, err, errs.TooLarge, "permit.afterworks.error.photo_size")
		if err := b.Add(ctx, "façade.jpg", bytes.NewReader(pngBytes)); err != nil {
			t.Fatal(err)
		}
		phs, err := b.Commit(ctx)
		if err != nil || len(phs) != 1 || phs[0].Name != "façade.png" || phs[0].ContentType != "image/png" {
			t.Fatalf("photos: %+v, %v", phs, err)
		}
		_, err = (&PhotoBatch{s: e.s, a: m["prefecture"], file: h.ID, round: 1}).Commit(ctx)
		wantErr(t, err, errs.Invalid, "permit.afterworks.error.no_photo")
		// Nobody else adds them: the window, a body not sitting on the
		// works inspection (the distributor), the owner.
		for _, a := range []authz.Actor{agent, m["distributor"], owner} {
			if _, err := e.s.StartPhotos(ctx, a, h.ID); err == nil {
				t.Fatalf("%d added photos", a.Person)
			}
		}
		// A member who is the owner does not inspect their own building.
		self := authz.Actor{Person: e.owner, EmailVerified: true, MFA: true, Now: e.clock.now(),
			Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "casablanca"}}}
		_, err = e.s.StartPhotos(ctx, self, h.ID)
		wantErr(t, err, errs.Forbidden, "")
		_, err = e.s.GiveOpinion(ctx, self, h.ID, 0, Favourable, "")
		wantErr(t, err, errs.Forbidden, "")
		got, err := e.s.InspectionPhotos(ctx, owner, h.ID)
		if err != nil || len(got) != 1 || got[0].Body.Code != "prefecture" {
			t.Fatalf("the photos as the owner reads them: %+v, %v", got, err)
		}
		if _, rc, err := e.s.InspectionPhotoContent(ctx, agent, h.ID, got[0].ID); err != nil {
			t.Fatal(err)
		} else {
			rc.Close()
		}
		// The file store's sweeper keeps the photo's bytes.
		if n := count(t, d, `SELECT COUNT(*) FROM (`+BlobRefsSQL+`) r WHERE r.sha256 = $1`, got[0].SHA256); n != 1 {
			t.Fatalf("the blobs named for the sweeper lack the photo (%d)", n)
		}

		// Before the month passes, no recourse.
		_, err = e.s.FileRecourse(ctx, owner, h.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.recourse_early")

		// The findings; the prefecture's reservation becomes the
		// condition; the president signs within the month.
		for _, o := range [][3]string{{"commune", Favourable, ""}, {"arrondissement", Favourable, ""},
			{"prefecture", Reservations, "Garde-corps de la terrasse à poser avant l’occupation."}, {"urban_agency", Favourable, ""}} {
			if _, err := e.s.GiveOpinion(ctx, m[o[0]], h.ID, 0, o[1], o[2]); err != nil {
				t.Fatalf("%s: %v", o[0], err)
			}
		}
		_, err = e.s.StartPhotos(ctx, m["commune"], h.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.not_inspection")
		if _, err := e.s.Forward(ctx, agent, h.ID, 0); err != nil {
			t.Fatal(err)
		}
		if h, err = e.s.DecidePermit(ctx, pres, h.ID, 0, "135790"); err != nil || h.State != Approved {
			t.Fatalf("the habitation permit: %+v, %v", h, err)
		}
		pdf, _, err := e.s.Decision(ctx, owner, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := padestest.Pdfsig(t, padestest.NSSDB(t, ca.Root()), pdf)
		if valid, trusted, total := padestest.Count(out); valid != 1 || trusted != 1 || total != 1 {
			t.Fatalf("pdfsig on the habitation permit:\n%s", out)
		}
		text := checkDecisionPDF(t, pdf, "Permis d’habiter", "رخصة السكن", h.Number, permit.Number, "26 novembre 2026",
			"visite de récolement", "Garde-corps de la terrasse", "Commission de récolement", "Conforme avec réserves",
			"signé électroniquement par le président")
		if strings.Contains(text, "SHA-256") || strings.Contains(text, "panneau") {
			t.Errorf("the habitation permit lists the building permit's plans or site panel:\n%s", text)
		}

		// What was recorded stays.
		if _, err := d.ExecContext(ctx, `UPDATE permit_inspection_photos SET name = 'x.png'`); err == nil {
			t.Fatal("the database changed a photo")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_after_works`); err == nil {
			t.Fatal("the database deleted a completion declaration")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_inspection_photos (file_id, round, body, organisation_code, sha256, size,
			content_type, name, uploaded_by, uploaded_at) VALUES ($1, 1, 'prefecture', $2, $3, 10, 'image/png', 'p.png', $4, $5)`,
			h.ID, got[0].Body.Code, strings.Repeat("a", 64), e.owner, monday); err == nil {
			t.Fatal("the database took a photo of a decided file")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_after_works (file_id, parent_id, declared_by, declared_at)
			VALUES ($1, $2, $3, $4)`, permit.ID, pending.ID, e.owner, monday); err == nil {
			t.Fatal("the database linked a file to a permit not delivered")
		}
	})
}

// TestRecourseAfterTheLegalMonth: a conformity certificate file nobody
// decides within the month: the clock records the referral and the
// applicant is told, in their language, of the recourse; they file it in
// one action, once; the window and the president see it on the file; the
// database refuses a recourse before the referral.
func TestRecourseAfterTheLegalMonth(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.inspectors(t)
		agent := e.agentActor(e.agent, "sidi-othmane")
		owner := e.ownerActor()
		in := sidiOthmane(e.owner)
		in.Fields["use"] = "commercial"
		permit := e.granted(t, m, pres, in)
		c, err := e.s.DeclareCompletion(ctx, owner, permit.ID)
		if err != nil || c.Kind != KindConformity || c.Fields["use"] != "commercial" {
			t.Fatalf("the conformity file: %+v, %v", c, err)
		}
		e.uploadAll(t, owner, c.ID)
		if c, err = e.s.Submit(ctx, owner, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		lodged := *c.SubmittedAt
		// The window takes two days to accept it: the legal month still
		// runs from the declaration lodged.
		e.clock.add(48 * time.Hour)
		if c, err = e.s.Accept(ctx, agent, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		var overall time.Time
		if err := d.QueryRowContext(ctx, `SELECT starts_at FROM permit_deadlines WHERE file_id = $1 AND step = 'overall'`, c.ID).Scan(&overall); err != nil ||
			!overall.Equal(lodged) {
			t.Fatalf("the legal month starts at %s, not at the declaration lodged %s (%v)", overall, lodged, err)
		}
		if c, err = e.s.Dispatch(ctx, agent, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO permit_recourses (file_id, filed_by, filed_at) VALUES ($1, $2, $3)`,
			c.ID, e.owner, monday); err == nil {
			t.Fatal("the database took a recourse before the deadline passed")
		}
		_, err = e.s.FileRecourse(ctx, owner, c.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.recourse_early")
		if p := errs.As(err).Params; p["number"] != c.Number || p["due"] == "" {
			t.Fatalf("the refusal says %v", p)
		}

		// The month passes: the clock records the referral, the owner is
		// told in Arabic.
		e.clock.add(31 * 24 * time.Hour)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.referral' AND user_id = $1 AND lang = 'ar'`,
			fmt.Sprintf("person:%d", e.owner)); n == 0 {
			t.Fatal("the owner was not told of the recourse")
		}
		r, err := e.s.RecourseOf(ctx, owner, c.ID)
		if err != nil || r == nil || r.FiledAt != nil {
			t.Fatalf("after the month: %+v, %v", r, err)
		}
		// Only the applicant files it.
		for _, a := range []authz.Actor{agent, pres, m["commune"]} {
			if _, err := e.s.FileRecourse(ctx, a, c.ID); err == nil {
				t.Fatalf("%d filed the applicant's recourse", a.Person)
			}
		}
		if _, err := e.s.MayFileRecourse(ctx, owner, c.ID); err != nil {
			t.Fatal(err)
		}
		r, err = e.s.FileRecourse(ctx, owner, c.ID)
		if err != nil || r.FiledAt == nil || !r.FiledAt.Equal(e.clock.now()) || r.FiledBy != e.owner {
			t.Fatalf("recourse: %+v, %v", r, err)
		}
		_, err = e.s.FileRecourse(ctx, owner, c.ID)
		wantErr(t, err, errs.Conflict, "permit.afterworks.error.recourse_filed")
		e.dispatch(t)
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.recourse' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.owner)); n == 0 {
			t.Fatal("the owner was not told the recourse is recorded")
		}
		for _, a := range []authz.Actor{agent, pres} {
			if r, err := e.s.RecourseOf(ctx, a, c.ID); err != nil || r == nil || r.FiledAt == nil {
				t.Fatalf("%d does not see the recourse: %+v, %v", a.Person, r, err)
			}
			// …and is told, in their inbox (the agent in Arabic, the
			// president in Arabic too: their accounts' language).
			if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.recourse_staff' AND user_id = $1
				AND channel = 'inbox' AND lang = 'ar'`, fmt.Sprintf("person:%d", a.Person)); n != 1 {
				t.Fatalf("%d was told of the recourse %d times", a.Person, n)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notify_deliveries WHERE template = 'permit.recourse_staff' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.otherAgent)); n != 0 {
			t.Fatal("another window's agent was told of the recourse")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_events WHERE file_id = $1 AND kind = 'recourse' AND public`, c.ID); n != 1 {
			t.Fatalf("%d recourse events", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'permit.recourse'`); n != 1 {
			t.Fatalf("%d recourses audited", n)
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM permit_recourses`); err == nil {
			t.Fatal("the database deleted a recourse")
		}
	})
}

// TestNotConformRefuses: the urban agency finds the building does not
// conform to the permit: its finding binds, the president refuses the
// habitation permit, and the refusal gives the finding, in the members'
// words, as its reason. The holder may then declare again, once the works
// are put right.
func TestNotConformRefuses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.inspectors(t)
		agent := e.agentActor(e.agent, "sidi-othmane")
		owner := e.ownerActor()
		permit := e.granted(t, m, pres, sidiOthmane(e.owner))
		h, err := e.s.DeclareCompletion(ctx, owner, permit.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.uploadAll(t, owner, h.ID)
		for _, step := range []func() (*File, error){
			func() (*File, error) { return e.s.Submit(ctx, owner, h.ID, 0) },
			func() (*File, error) { return e.s.Accept(ctx, agent, h.ID, 0) },
			func() (*File, error) { return e.s.Dispatch(ctx, agent, h.ID, 0) },
		} {
			if h, err = step(); err != nil {
				t.Fatal(err)
			}
		}
		const finding = "Un étage de plus que le permis : R+2 construit au lieu de R+1 autorisé."
		for _, o := range [][3]string{{"commune", Favourable, ""}, {"arrondissement", Favourable, ""}, {"prefecture", Favourable, ""},
			{"urban_agency", Unfavourable, finding}} {
			if _, err := e.s.GiveOpinion(ctx, m[o[0]], h.ID, 0, o[1], o[2]); err != nil {
				t.Fatalf("%s: %v", o[0], err)
			}
		}
		c, err := e.s.Conclusion(ctx, agent, h.ID)
		if err != nil || c == nil || c.Outcome != "refuse" || c.Grounds[0].Rule != "binding" {
			t.Fatalf("the conclusion: %+v, %v", c, err)
		}
		if _, err := e.s.Forward(ctx, agent, h.ID, 0); err != nil {
			t.Fatal(err)
		}
		if h, err = e.s.DecidePermit(ctx, pres, h.ID, 0, ""); err != nil || h.State != Refused {
			t.Fatalf("the refusal: %+v, %v", h, err)
		}
		pdf, _, err := e.s.Decision(ctx, owner, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkDecisionPDF(t, pdf, "Refus d’autorisation", "Permis d’habiter", "رخصة السكن", "refuse le Permis d’habiter", permit.Number,
			"Constat de non-conformité", "ce constat lie la décision", finding)
		// Refused, the works may be put right and declared again.
		if _, k, err := e.s.MayDeclareCompletion(ctx, owner, permit.ID); err != nil || k.Code != KindHabitation {
			t.Fatalf("declaring again after the refusal: %v", err)
		}
	})
}

// TestDeclaringTwiceAtOnce: the holder's two tabs declare the completion
// at the same moment: one file starts, the other is told it is declared.
func TestDeclaringTwiceAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		m, pres := e.inspectors(t)
		permit := e.granted(t, m, pres, sidiOthmane(e.owner))
		errs2 := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := e.s.DeclareCompletion(ctx, e.ownerActor(), permit.ID)
				errs2 <- err
			}()
		}
		var ok, refused int
		for range 2 {
			switch err := <-errs2; {
			case err == nil:
				ok++
			case errs.As(err) != nil && errs.As(err).Key == "permit.afterworks.error.declared":
				refused++
			default:
				t.Fatalf("a declaration at once: %v", err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("%d declared, %d refused", ok, refused)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM permit_after_works WHERE parent_id = $1`, permit.ID); n != 1 {
			t.Fatalf("%d files after the works", n)
		}
	})
}
