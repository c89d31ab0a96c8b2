package permit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/pdf"
	"madina/internal/platform/textnorm"
)

// testClock is the service's clock, moved by the tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a permit service on a real database, blob store and notification
// outbox, with people to play the parts.
type env struct {
	s     *Service
	d     *db.DB
	q     *jobs.Queue // the outbox: events are published to it, notices subscribe
	clock *testClock
	blobs string
	// people
	owner, architect, unverified, agent, otherAgent, admin, stranger int64
}

// monday 23 November 2026, 08:00 in Casablanca: a working day.
var monday = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

// testBoundary is a square around Casablanca (tests of the real boundary
// live with the district reference).
var testBoundary = geo.NewPolygon(geo.Polygon{{{Lon: -7.75, Lat: 33.48}, {Lon: -7.45, Lat: 33.48},
	{Lon: -7.45, Lat: 33.66}, {Lon: -7.75, Lat: 33.66}, {Lon: -7.75, Lat: 33.48}}})

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	places := district.NewStore(d)
	if _, err := places.Load(ctx, district.Casablanca(), "system"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bs, err := blob.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	q := jobs.New(d, nil, jobs.Options{})
	n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()}})
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: monday}
	e := &env{d: d, q: q, clock: c, blobs: dir}
	register := identity.NewStore(d)
	e.s = NewService(Deps{DB: d, Catalogue: Casablanca(), Calendar: calendar.Default(), Blobs: bs, Notify: n,
		People: register, Staff: register, Places: places, Events: q,
		Locate: Locator(func(context.Context) (geo.Geometry, i18n.Text, error) {
			return testBoundary, i18n.Text{AR: "الدار البيضاء", FR: "Casablanca", EN: "Casablanca"}, nil
		}),
		InspectPDF: func(_ context.Context, r io.ReaderAt, size int64) (int, error) {
			info, err := pdf.Inspect(r, size)
			return info.Pages, err
		}}, Config{BaseURL: "https://madina.test", Now: c.now})
	for _, topic := range Topics {
		q.Subscribe(topic, "permit.notices", e.s.SendNotices)
	}
	e.owner = e.person(t, "owner@example.ma", "ar")
	e.architect = e.person(t, "architect@example.ma", "fr")
	e.unverified = e.person(t, "newarchitect@example.ma", "fr")
	e.agent = e.person(t, "agent@example.ma", "ar")
	e.otherAgent = e.person(t, "agent2@example.ma", "fr")
	e.admin = e.person(t, "chief@example.ma", "fr")
	e.stranger = e.person(t, "someone@example.ma", "en")
	if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, verified_at,
		verified_by, created_at) VALUES ($1, 'architect', 'CNOA-2231', $2, $3, $2)`, e.architect, monday, e.admin); err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		p            int64
		role, org, w string
	}{{e.agent, "window_agent", "sidi-othmane", "sidi-othmane"}, {e.otherAgent, "window_agent", "anfa", "anfa"},
		{e.admin, "admin", "sidi-othmane", ""}} {
		org := g.org
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, arrondissement_code, name_ar, name_fr, name_en, created_at)
			VALUES ($1, 'arrondissement', $1, 'م', 'A', 'A', $2) ON CONFLICT (code) DO NOTHING`, org, monday); err != nil {
			t.Fatal(err)
		}
		var w any
		if g.w != "" {
			w = g.w
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, window_code, granted_at)
			VALUES ($1, $2, $3, $4, $5)`, g.p, org, g.role, w, monday); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// dispatch hands every published event to its subscribers, as the
// queue's dispatcher does in a running node.
func (e *env) dispatch(t *testing.T) {
	t.Helper()
	for {
		n, err := e.q.DispatchNow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// person adds a person with verified e-mail and phone.
func (e *env) person(t *testing.T, email, lang string) int64 {
	t.Helper()
	var id int64
	err := e.d.Transact(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO persons (email, email_key, email_verified_at, phone,
		phone_verified_at, given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, created_at, updated_at)
		VALUES ($1, $1, $2, '+212612345678', $2, 'سعيد', 'العلوي', 'Said', 'Alaoui', $3, $2, $2) RETURNING id`,
			email, monday, lang).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) ownerActor() authz.Actor {
	return authz.Actor{Person: e.owner, EmailVerified: true, Now: e.clock.now()}
}

func (e *env) architectActor() authz.Actor {
	return authz.Actor{Person: e.architect, EmailVerified: true, Profession: authz.Architect, ProfessionalVerified: true,
		Now: e.clock.now(), Mandates: []authz.Mandate{{ID: 1, OwnerPerson: e.owner, PermitKind: "building",
			Starts: monday.Add(-time.Hour), Ends: monday.AddDate(1, 0, 0)}}}
}

func (e *env) agentActor(id int64, window string) authz.Actor {
	return authz.Actor{Person: id, EmailVerified: true, MFA: true, Now: e.clock.now(),
		Grants: []authz.Grant{{Role: authz.WindowAgent, Org: window, Window: window}}}
}

// testPDF is a small valid one-page PDF whose content differs by text.
func testPDF(text string) []byte {
	d := pdf.New(pdf.Options{})
	d.Text(72, 72, 12, false, text)
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pngBytes is a tiny PNG.
var pngBytes = func() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	return b.Bytes()
}()

// uploadAll uploads a document for every required item still missing.
func (e *env) uploadAll(t *testing.T, a authz.Actor, id int64) {
	t.Helper()
	v, err := e.s.View(context.Background(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range v.Missing {
		if _, err := e.s.AddDocument(context.Background(), a, id, item, item+".pdf", bytes.NewReader(testPDF(item))); err != nil {
			t.Fatalf("upload %s: %v", item, err)
		}
	}
}

// submitted files a new file from in as a, with every required document,
// and submits it.
func (e *env) submitted(t *testing.T, a authz.Actor, in Input) *File {
	t.Helper()
	return e.submittedIn(context.Background(), t, a, in)
}

// submittedIn is submitted with ctx (a quiet one, say).
func (e *env) submittedIn(ctx context.Context, t *testing.T, a authz.Actor, in Input) *File {
	t.Helper()
	f, err := e.s.Create(ctx, a, in)
	if err != nil {
		t.Fatal(err)
	}
	e.uploadAll(t, a, f.ID)
	if f, err = e.s.Submit(ctx, a, f.ID, 0); err != nil {
		t.Fatal(err)
	}
	return f
}

// wantErr checks an error's kind and message key.
func wantErr(t *testing.T, err error, kind errs.Kind, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != kind || (key != "" && e.Key != key) {
		t.Fatalf("error = %v, want %s %s", err, kind, key)
	}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sidiOthmane is a building on a small plot of Sidi Othmane, R+1.
func sidiOthmane(owner int64) Input {
	return Input{Kind: "building", OwnerPerson: owner, Title: "Maison individuelle", Address: "12 rue 7, Sidi Othmane",
		Arrondissement: "sidi-othmane", Lat: "33.556", Lon: "-7.564",
		Fields: Values{"owner_kind": "person", "land_title": "12345/C", "use": "housing", "upper_floors": "1",
			"built_area": "160", "land_area": "120"}}
}

func TestUrbanFileFromDraftToAcceptance(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f, err := e.s.Create(ctx, arch, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Draft || f.OwnerPerson != e.owner || f.CreatedBy != e.architect || len(f.TrackingCode) != 8 {
			t.Fatalf("created %+v", f)
		}
		if len(f.Parties) != 1 || f.Parties[0].Role != PartyArchitect || f.Parties[0].PersonID != e.architect ||
			f.Parties[0].Registration != "CNOA-2231" {
			t.Fatalf("the filing architect is not named on the file: %+v", f.Parties)
		}
		// Not complete: submission lists what is missing.
		_, err = e.s.Submit(ctx, arch, f.ID, f.Version)
		wantErr(t, err, errs.Invalid, "permit.error.incomplete")
		var in *Incomplete
		if !errors.As(err, &in) || !slices.Contains(in.Documents, "architectural_plans") || !slices.Contains(in.Documents, "structure_plans") ||
			slices.Contains(in.Documents, "seismic_study") || slices.Contains(in.Documents, "company_statutes") {
			t.Fatalf("missing = %+v: R+1 needs structure plans, not a seismic study", in)
		}
		e.uploadAll(t, arch, f.ID)
		v, _ := e.s.View(ctx, arch, f.ID)
		if len(v.Missing) != 0 || v.Route == nil || v.Route.Window != district.ArrondissementWindow ||
			v.Window == nil || v.Window.Code != "sidi-othmane" {
			t.Fatalf("after uploads: missing %v, route %+v", v.Missing, v.Route)
		}
		f, err = e.s.Submit(ctx, arch, f.ID, v.File.Version)
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Submitted || f.Window != "sidi-othmane" || f.RouteRule != "small_projects" || f.Schedule != "small_project" ||
			f.Committee != "urban_small" || f.Holder != HolderWindow {
			t.Fatalf("submitted %+v", f)
		}
		// Double submission.
		_, err = e.s.Submit(ctx, arch, f.ID, f.Version)
		wantErr(t, err, errs.Conflict, "permit.error.transition")

		// Deposit appointment: the receipt deadline runs from it.
		slots, err := e.s.Slots(ctx, f.Window)
		if err != nil || len(slots) < 10 {
			t.Fatalf("slots: %d, %v", len(slots), err)
		}
		if slots[0].Start.Before(monday.Add(2*time.Hour)) || slots[0].Capacity != 2 {
			t.Fatalf("first slot %+v: 2 hours' notice, 2 places at an arrondissement window", slots[0])
		}
		_, err = e.s.Book(ctx, arch, f.ID, f.Version+1, slots[0].Start)
		wantErr(t, err, errs.Conflict, "permit.error.stale")
		ap, err := e.s.Book(ctx, arch, f.ID, f.Version, slots[0].Start)
		if err != nil {
			t.Fatal(err)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT count(*) FROM notify_attachments a JOIN notify_deliveries d ON d.id = a.delivery_id
			WHERE d.template = 'permit.appointment' AND a.content_type LIKE 'text/calendar%'`); n != 2 {
			t.Fatalf("%d invitations, want one e-mail each to the owner and the architect", n)
		}
		// Moving it keeps one appointment and frees the first slot.
		ap2, err := e.s.Book(ctx, arch, f.ID, 0, slots[1].Start)
		if err != nil || ap2.Sequence != ap.Sequence+1 {
			t.Fatalf("move: %+v %v", ap2, err)
		}
		if n := count(t, d, `SELECT booked FROM permit_slots WHERE starts_at = $1`, slots[0].Start); n != 0 {
			t.Fatalf("the first slot still counts %d bookings", n)
		}
		f, _ = e.s.Get(ctx, arch, f.ID)
		if f.DueAt == nil || !f.DueAt.After(ap2.Start) {
			t.Fatalf("receipt due %v, appointment %v", f.DueAt, ap2.Start)
		}

		// The window returns it: the clock pauses.
		agent := e.agentActor(e.agent, "sidi-othmane")
		q, err := e.s.Queue(ctx, agent, "sidi-othmane", TabNew, 1)
		if err != nil || len(q.Rows) != 1 || q.Rows[0].ID != f.ID || q.Rows[0].Appointment == nil {
			t.Fatalf("queue: %+v %v", q, err)
		}
		e.clock.add(26 * time.Hour)
		f, err = e.s.Return(ctx, agent, f.ID, f.Version, []string{"site_book"}, "Le cahier de chantier n’est pas signé.")
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Returned || f.Holder != HolderApplicant || f.DueAt != nil {
			t.Fatalf("returned %+v", f)
		}
		if n := count(t, d, `SELECT count(*) FROM permit_deadlines WHERE file_id = $1 AND paused_at IS NOT NULL`, f.ID); n != 1 {
			t.Fatalf("%d paused deadlines, want the receipt's", n)
		}
		var dueBefore time.Time
		if err := d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL`, f.ID).Scan(&dueBefore); err != nil {
			t.Fatal(err)
		}
		// Three days later the architect completes and resubmits.
		e.clock.add(72 * time.Hour)
		if _, err := e.s.AddDocument(ctx, arch, f.ID, "site_book", "cahier.pdf", bytes.NewReader(testPDF("signed"))); err != nil {
			t.Fatal(err)
		}
		v, _ = e.s.View(ctx, arch, f.ID)
		f, err = e.s.Submit(ctx, arch, f.ID, v.File.Version)
		if err != nil || f.State != Submitted {
			t.Fatalf("resubmit: %+v %v", f, err)
		}
		var dueAfter time.Time
		if err := d.QueryRowContext(ctx, `SELECT due_at FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL`, f.ID).Scan(&dueAfter); err != nil {
			t.Fatal(err)
		}
		if !dueAfter.After(dueBefore) {
			t.Fatalf("resumed deadline %v not pushed back from %v by the pause", dueAfter, dueBefore)
		}
		// Versions are kept.
		if n := count(t, d, `SELECT count(*) FROM permit_documents WHERE file_id = $1 AND item = 'site_book'`, f.ID); n != 2 {
			t.Fatalf("%d versions of the site book", n)
		}

		// An agent of another window does not see it.
		_, err = e.s.Accept(ctx, e.agentActor(e.otherAgent, "anfa"), f.ID, f.Version)
		wantErr(t, err, errs.NotFound, "")
		f, err = e.s.Accept(ctx, agent, f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		if f.State != Accepted || f.Number != "SIDI-OTHMANE-2026-00001" || f.Step != "dispatch" || f.DueAt == nil {
			t.Fatalf("accepted %+v", f)
		}
		if n := count(t, d, `SELECT count(*) FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL`, f.ID); n != 2 {
			t.Fatalf("%d open deadlines after acceptance, want the overall one and dispatch", n)
		}

		// The agent finds it by a part of its number, typed in Arabic digits.
		if rows, err := e.s.Find(ctx, agent, "sidi-othmane", "٢٠٢٦-٠٠٠٠١"); err != nil || len(rows) != 1 || rows[0].ID != f.ID {
			t.Fatalf("find: %+v %v", rows, err)
		}
		if rows, _ := e.s.Find(ctx, agent, "sidi-othmane", "%"); len(rows) != 0 {
			t.Fatalf("a %% matched %d files", len(rows))
		}
		_, err = e.s.Find(ctx, e.agentActor(e.otherAgent, "anfa"), "sidi-othmane", "00001")
		wantErr(t, err, errs.NotFound, "")
		// Anyone with the number and code follows it; nothing personal shows.
		tr, err := e.s.PublicStatus(ctx, strings.ToLower(f.Number), f.TrackingCode)
		if err != nil || tr.State != Accepted || tr.Window == nil || tr.Window.Code != "sidi-othmane" {
			t.Fatalf("public status: %+v %v", tr, err)
		}
		for _, ev := range tr.Events {
			if ev.ActorLabel != "" || ev.Data["note"] != nil {
				t.Fatalf("public event shows %+v", ev)
			}
		}
		_, err = e.s.PublicStatus(ctx, f.Number, "WRONG123")
		wantErr(t, err, errs.NotFound, "permit.error.track")
		// As typed on an Arabic keyboard: Arabic-Indic digits, lower case.
		indic := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '٠' + (r - '0')
			}
			return r
		}, strings.ToLower(f.Number))
		if tr, err := e.s.PublicStatus(ctx, " "+indic+" ", strings.ToLower(f.TrackingCode)); err != nil || tr.Display != f.Number {
			t.Fatalf("number typed as %q: %v", indic, err)
		}

		e.dispatch(t)
		// Every step was told, every change audited.
		for _, tmpl := range []string{"permit.submit", "permit.return", "permit.resubmit", "permit.accept"} {
			if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = $1 AND channel = 'sms'`, tmpl); n != 2 {
				t.Errorf("%s: %d SMS, want the owner's and the architect's", tmpl, n)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM audit_log WHERE object_type = 'permit_file'`); n < 10 {
			t.Errorf("only %d audit records", n)
		}
	})
}

func TestTwoAgentsCannotBothWin(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		agent := e.agentActor(e.agent, "sidi-othmane")
		// Both read version n; one accepts, the other returns.
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 0 {
					_, results[i] = e.s.Accept(ctx, agent, f.ID, f.Version)
				} else {
					_, results[i] = e.s.Return(ctx, agent, f.ID, f.Version, []string{"cin"}, "")
				}
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			if err == nil {
				wins++
			} else if e := errs.As(err); e == nil || e.Kind != errs.Conflict {
				t.Fatalf("loser got %v, want a conflict", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d agents won: %v", wins, results)
		}
		// The loser is told to reload.
		_, err := e.s.Accept(ctx, agent, f.ID, f.Version)
		wantErr(t, err, errs.Conflict, "")
	})
}

func TestEconomicPermitDecidedByTheOfficer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.ownerActor()
		agent := e.agentActor(e.agent, "sidi-othmane")
		file := func() *File {
			f := e.submitted(t, owner, Input{Kind: "auto_entrepreneur", Address: "Derb 3, Sidi Othmane",
				Arrondissement: "sidi-othmane", Fields: Values{"ae_number": "AE-778812", "activity": "Couture"}})
			f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
			if err != nil {
				t.Fatal(err)
			}
			if f.State != UnderReview || f.Step != "review" {
				t.Fatalf("accepted economic file %+v", f)
			}
			return f
		}
		f := file()
		f, err := e.s.Decide(ctx, agent, f.ID, f.Version, true, "")
		if err != nil || f.State != Approved || f.ClosedAt == nil {
			t.Fatalf("approve: %+v %v", f, err)
		}
		if n := count(t, d, `SELECT count(*) FROM permit_deadlines WHERE file_id = $1 AND met_at IS NULL`, f.ID); n != 0 {
			t.Fatalf("%d deadlines still running on a decided file", n)
		}
		g := file()
		_, err = e.s.Decide(ctx, agent, g.ID, g.Version, false, "non")
		wantErr(t, err, errs.Invalid, "permit.error.reason")
		g, err = e.s.Decide(ctx, agent, g.ID, g.Version, false, "Le local n’est pas affecté à un usage commercial.")
		if err != nil || g.State != Refused || g.DecisionReason == "" {
			t.Fatalf("refuse: %+v %v", g, err)
		}
		// The officer asks for more: the clock pauses, the applicant adds a
		// document (only then may they upload again) and answers.
		q := file()
		due := *q.DueAt
		_, err = e.s.Ask(ctx, owner, q.ID, q.Version, []string{"premises_sketch"}, "Le croquis du local manque.")
		wantErr(t, err, errs.NotFound, "")
		q, err = e.s.Ask(ctx, agent, q.ID, q.Version, []string{"premises_sketch"}, "Le croquis du local manque.")
		if err != nil || q.State != InfoRequested || q.Holder != HolderApplicant || q.DueAt != nil {
			t.Fatalf("ask: %+v %v", q, err)
		}
		_, err = e.s.Decide(ctx, agent, q.ID, q.Version, true, "")
		wantErr(t, err, errs.Conflict, "permit.error.transition")
		e.clock.add(5 * 24 * time.Hour)
		if _, err := e.s.AddDocument(ctx, owner, q.ID, "premises_sketch", "croquis.pdf", bytes.NewReader(testPDF("croquis"))); err != nil {
			t.Fatal(err)
		}
		q, err = e.s.Answer(ctx, owner, q.ID, q.Version)
		if err != nil || q.State != UnderReview || q.DueAt == nil || !q.DueAt.After(due) {
			t.Fatalf("answer: %+v %v (due before %v)", q, err, due)
		}
		if _, err := e.s.AddDocument(ctx, owner, q.ID, "premises_sketch", "croquis.pdf", bytes.NewReader(testPDF("v3"))); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("upload under review: %v", err)
		}
		e.dispatch(t)
		for _, tmpl := range []string{"permit.ask", "permit.answer"} {
			if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = $1 AND channel = 'email'`, tmpl); n != 1 {
				t.Errorf("%s: %d e-mails", tmpl, n)
			}
		}
		// The owner cannot decide.
		h := file()
		_, err = e.s.Decide(ctx, owner, h.ID, h.Version, true, "")
		wantErr(t, err, errs.NotFound, "")
	})
}

func TestTheClockAlertsThenAppliesSilence(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.ownerActor()
		agent := e.agentActor(e.agent, "sidi-othmane")
		f := e.submitted(t, owner, Input{Kind: "auto_entrepreneur", Address: "Derb 3", Arrondissement: "sidi-othmane",
			Fields: Values{"ae_number": "AE-1", "activity": "Menuiserie"}})
		slots, _ := e.s.Slots(ctx, f.Window)
		if _, err := e.s.Book(ctx, owner, f.ID, 0, slots[0].Start); err != nil {
			t.Fatal(err)
		}
		// The receipt deadline (1 day from the appointment) passes.
		e.clock.add(3 * 24 * time.Hour)
		n, err := e.s.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		e.dispatch(t)
		for _, who := range []int64{e.agent, e.admin} {
			if c := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.overdue' AND user_id = $1
				AND channel = 'inbox'`, fmt.Sprintf("person:%d", who)); c != 1 {
				t.Errorf("person %d got %d overdue alerts, want 1 (agent and supervisor)", who, c)
			}
		}
		if c := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.overdue' AND user_id = $1`,
			fmt.Sprintf("person:%d", e.otherAgent)); c != 0 {
			t.Errorf("an agent of another window was alerted")
		}
		if n, _ := e.s.Sweep(ctx); n != 0 {
			t.Fatalf("the same deadline alerted twice")
		}
		f, _ = e.s.Get(ctx, owner, f.ID)
		if f, err = e.s.Accept(ctx, agent, f.ID, f.Version); err != nil {
			t.Fatal(err)
		}
		// 60 days without a decision: silence counts as approval.
		e.clock.add(61 * 24 * time.Hour)
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		f, _ = e.s.Get(ctx, owner, f.ID)
		if f.State != Approved || !f.Tacit || f.ClosedAt == nil {
			t.Fatalf("after the legal deadline: %+v", f)
		}
		if c := count(t, d, `SELECT count(*) FROM permit_events WHERE file_id = $1 AND kind = 'tacit' AND public`, f.ID); c != 1 {
			t.Fatalf("%d tacit approval events", c)
		}
		e.dispatch(t)
		if c := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.tacit'`); c == 0 {
			t.Fatal("the applicant was not told of the tacit approval")
		}
	})
}

func TestExtensionNeedsAReasonAndMovesTheDeadline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		agent := e.agentActor(e.agent, "sidi-othmane")
		f, err := e.s.Accept(ctx, agent, f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		before := *f.DueAt
		_, err = e.s.Extend(ctx, agent, f.ID, 0, "dispatch", 2, "court")
		wantErr(t, err, errs.Invalid, "permit.error.reason")
		_, err = e.s.Extend(ctx, arch, f.ID, 0, "dispatch", 2, "Attente de l’avis de l’Agence urbaine.")
		wantErr(t, err, errs.NotFound, "")
		f, err = e.s.Extend(ctx, agent, f.ID, 0, "dispatch", 2, "Attente de l’avis de l’Agence urbaine.")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.s.Calendar().WorkingDaysBetween(before, *f.DueAt); got != 2 {
			t.Fatalf("extended by %d working days, want 2", got)
		}
	})
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		// Outside the city.
		in := sidiOthmane(e.owner)
		in.Lat, in.Lon = "33.686", "-7.383" // Mohammedia
		_, err := e.s.Create(ctx, arch, in)
		wantErr(t, err, errs.Invalid, geo.KeyOutside)
		if e := errs.As(err); e.Field != "location" {
			t.Errorf("outside: field %q", e.Field)
		}
		// A professional without a mandate for this owner.
		in = sidiOthmane(e.stranger)
		_, err = e.s.Create(ctx, arch, in)
		wantErr(t, err, errs.Forbidden, "permit.error.no_mandate")
		// An unverified architect.
		un := arch
		un.Person, un.ProfessionalVerified = e.unverified, false
		_, err = e.s.Create(ctx, un, sidiOthmane(e.owner))
		wantErr(t, err, errs.Forbidden, "error.authz.unverified_professional")
		// The owner alone where an architect is required.
		_, err = e.s.Create(ctx, e.ownerActor(), Input{Kind: "building"})
		wantErr(t, err, errs.Forbidden, "error.authz.architect")
		// A field out of range; control characters in a text.
		in = sidiOthmane(e.owner)
		in.Fields["upper_floors"] = "-3"
		_, err = e.s.Create(ctx, arch, in)
		wantErr(t, err, errs.Invalid, "permit.error.field")
		in = sidiOthmane(e.owner)
		in.Fields["land_title"] = "12345/C\x00"
		_, err = e.s.Create(ctx, arch, in)
		wantErr(t, err, errs.Invalid, "permit.error.field")

		f, err := e.s.Create(ctx, arch, sidiOthmane(e.owner))
		if err != nil {
			t.Fatal(err)
		}
		// A PNG named .pdf where only PDFs go, a corrupt PDF, a truncated one.
		_, err = e.s.AddDocument(ctx, arch, f.ID, "architectural_plans", "plans.pdf", bytes.NewReader(pngBytes))
		wantErr(t, err, errs.Unsupported, "error.blob.type")
		_, err = e.s.AddDocument(ctx, arch, f.ID, "architectural_plans", "plans.pdf", strings.NewReader("%PDF-1.7\nnot really a pdf"))
		wantErr(t, err, errs.Invalid, "error.pdf.corrupt")
		good := testPDF("plans")
		_, err = e.s.AddDocument(ctx, arch, f.ID, "architectural_plans", "plans.pdf", bytes.NewReader(good[:len(good)/2]))
		wantErr(t, err, errs.Invalid, "error.pdf.corrupt")
		// Over 200 MB: refused without storing anything.
		huge := io.MultiReader(bytes.NewReader(good), io.LimitReader(zeros{}, MaxUpload))
		_, err = e.s.AddDocument(ctx, arch, f.ID, "architectural_plans", "plans.pdf", huge)
		wantErr(t, err, errs.TooLarge, "error.blob.too_large")
		// An upload cut off halfway (the client went away).
		_, err = e.s.AddDocument(ctx, arch, f.ID, "architectural_plans", "plans.pdf", io.MultiReader(bytes.NewReader(good[:100]), failing{}))
		if err == nil {
			t.Fatal("a broken upload was accepted")
		}
		if n := count(t, d, `SELECT count(*) FROM permit_documents WHERE file_id = $1`, f.ID); n != 0 {
			t.Fatalf("%d documents recorded from refused uploads", n)
		}
		if left := blobFiles(t, e.blobs); len(left) != 0 {
			t.Fatalf("refused uploads left blobs or temporary files: %v", left)
		}
		// An item not on the checklist.
		_, err = e.s.AddDocument(ctx, arch, f.ID, "no_such_item", "x.pdf", bytes.NewReader(good))
		wantErr(t, err, errs.Invalid, "permit.error.item")

		// Booking: a full slot, a past slot, a time the window is closed.
		files := make([]*File, 3)
		for i := range files {
			files[i] = e.submitted(t, arch, sidiOthmane(e.owner))
		}
		slots, _ := e.s.Slots(ctx, "sidi-othmane")
		for _, g := range files[:2] {
			if _, err := e.s.Book(ctx, arch, g.ID, 0, slots[0].Start); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.s.Book(ctx, arch, files[2].ID, 0, slots[0].Start)
		wantErr(t, err, errs.Conflict, "permit.error.slot_full")
		_, err = e.s.Book(ctx, arch, files[2].ID, 0, monday.Add(-24*time.Hour))
		wantErr(t, err, errs.Invalid, "permit.error.slot_past")
		_, err = e.s.Book(ctx, arch, files[2].ID, 0, slots[0].Start.Add(7*time.Minute))
		wantErr(t, err, errs.Invalid, "permit.error.slot_unknown")
		if s2, _ := e.s.Slots(ctx, "sidi-othmane"); s2[0].Free != 0 {
			t.Fatalf("a full slot shows %d free places", s2[0].Free)
		}
		// Cancelling too late.
		e.clock.t = slots[0].Start.Add(-time.Hour)
		err = e.s.CancelAppointment(ctx, arch, files[0].ID, 0)
		wantErr(t, err, errs.Conflict, "permit.error.change_notice")
		// Cancelling what was never booked.
		err = e.s.CancelAppointment(ctx, arch, files[2].ID, 0)
		wantErr(t, err, errs.Conflict, "permit.error.no_appointment")
	})
}

// TestInvariantsLiveInTheDatabase checks what the schema refuses whatever
// the code does.
func TestInvariantsLiveInTheDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f, _ := e.s.Create(ctx, arch, sidiOthmane(e.owner))
		if _, err := e.s.AddDocument(ctx, arch, f.ID, "cin", "cin.pdf", bytes.NewReader(testPDF("cin"))); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`UPDATE permit_documents SET sha256 = '0000000000000000000000000000000000000000000000000000000000000000'`,
			`DELETE FROM permit_documents`,
			`UPDATE permit_events SET kind = 'forged'`,
			`DELETE FROM permit_events`,
			`UPDATE permit_files SET state = 'accepted'`, // no number
			`INSERT INTO permit_slots (window_code, starts_at, capacity, booked) VALUES ('anfa', '2026-12-01 09:00:00', 2, 3)`,
		} {
			if _, err := d.ExecContext(ctx, q); err == nil {
				t.Errorf("the database accepted %s", q)
			}
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// blobFiles lists the regular files under the blob store's directory.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() && !strings.HasSuffix(p, "secret.key") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReceiptIsAValidPDF(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		f := e.submitted(t, arch, sidiOthmane(e.owner))
		_, _, err := e.s.Receipt(ctx, arch, f.ID)
		wantErr(t, err, errs.Conflict, "permit.error.no_receipt")
		f, err = e.s.Accept(ctx, e.agentActor(e.agent, "sidi-othmane"), f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		b, name, err := e.s.Receipt(ctx, e.ownerActor(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name != "recu-sidi-othmane-2026-00001.pdf" {
			t.Errorf("name %q", name)
		}
		info, err := pdf.Inspect(bytes.NewReader(b), int64(len(b)))
		if err != nil || info.Pages < 1 {
			t.Fatalf("receipt: %+v %v", info, err)
		}
		again, _, _ := e.s.Receipt(ctx, arch, f.ID)
		if !bytes.Equal(b, again) {
			t.Error("the same file gave two different receipts")
		}
		// An independent reader finds the number and the Arabic title.
		text := pdfText(t, b)
		for _, want := range []string{f.Number, f.TrackingCode, "Récépissé de dépôt"} {
			if !strings.Contains(text, want) {
				t.Errorf("receipt text lacks %q:\n%s", want, text)
			}
		}
		if !strings.Contains(textnormFold(text), textnormFold("وصل إيداع ملف مكتمل")) {
			t.Errorf("receipt text lacks its Arabic title:\n%s", text)
		}
		_, _, err = e.s.Receipt(ctx, authz.Actor{Person: e.stranger, EmailVerified: true, Now: monday}, f.ID)
		wantErr(t, err, errs.NotFound, "")
	})
}

// Numbers typed in Arabic-Indic digits are kept in Western digits, as the
// administration prints them: on the file and on the receipt's French line.
func TestArabicIndicDigitsAreKeptWestern(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		in := sidiOthmane(e.owner)
		in.Fields["land_title"] = "١٢٣٤٥/C"
		in.Fields["built_area"] = "۱۶۰"
		f, err := e.s.Create(ctx, e.architectActor(), in)
		if err != nil {
			t.Fatal(err)
		}
		if f.Fields["land_title"] != "12345/C" || f.Fields["built_area"] != "160" {
			t.Fatalf("stored %q and %q, want 12345/C and 160", f.Fields["land_title"], f.Fields["built_area"])
		}
		v, err := e.s.View(ctx, e.ownerActor(), f.ID)
		if err != nil || v.File.Fields["land_title"] != "12345/C" {
			t.Fatalf("read back %v, %v", v, err)
		}
	})
}

// pdfText extracts a PDF's text with poppler's pdftotext, an independent
// reader (scripts/test-deps installs it).
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is required: install poppler-utils (scripts/test-deps does)")
	}
	p := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func textnormFold(s string) string { return textnorm.Fold(s) }

// TestFilesKeepTheCatalogueTheyWereFiledUnder: a new catalogue version
// changes the checklist of new submissions, not of files already with the
// window; a draft takes the new rules when it is submitted.
func TestFilesKeepTheCatalogueTheyWereFiledUnder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		filed := e.submitted(t, arch, sidiOthmane(e.owner))
		draft, _ := e.s.Create(ctx, arch, sidiOthmane(e.owner))

		// Version 2027.1 drops the energy-efficiency note from building permits.
		spec := CasablancaSpec()
		spec.Version = "2027.1"
		for i, ks := range spec.Kinds {
			if ks.Code == "building" {
				spec.Kinds[i].Documents = slices.DeleteFunc(ks.Documents, func(u DocumentUse) bool { return u.Document == "energy_efficiency" })
			}
		}
		b, _ := json.Marshal(spec)
		next, _, err := SaveCatalogue(ctx, d, b, "test", monday)
		if err != nil {
			t.Fatal(err)
		}
		deps := e.s.Deps()
		deps.Catalogue = next
		s2 := NewService(deps, e.s.cfg)
		needs := func(v *View) bool {
			return slices.ContainsFunc(v.Checklist, func(it ChecklistItem) bool { return it.Code == "energy_efficiency" })
		}
		v, err := s2.View(ctx, arch, filed.ID)
		if err != nil || !needs(v) || v.File.CatalogueVersion != "2023.1" {
			t.Fatalf("the filed file lost its catalogue: %v %v", err, v.File.CatalogueVersion)
		}
		if _, err := s2.Accept(ctx, e.agentActor(e.agent, "sidi-othmane"), filed.ID, 0); err != nil {
			t.Fatalf("accept under the old rules: %v", err)
		}
		// The draft is submitted under 2027.1: no energy note needed.
		in := uploadMissingUnder(t, s2, arch, draft.ID)
		if slices.Contains(in, "energy_efficiency") {
			t.Fatal("the draft was asked for a document the catalogue in force dropped")
		}
		f, err := s2.Submit(ctx, arch, draft.ID, 0)
		if err != nil || f.CatalogueVersion != "2027.1" {
			t.Fatalf("draft submitted: %v %v", err, f)
		}
	})
}

// uploadMissingUnder uploads, through service other, what the file lacks
// under the catalogue in force for other, and returns those items.
func uploadMissingUnder(t *testing.T, other *Service, a authz.Actor, id int64) []string {
	t.Helper()
	f, err := other.Get(context.Background(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := other.Catalogue().Kind(f.Kind)
	ds, _ := documents(context.Background(), other.db, id)
	_, missing := Checklist(k, f.Fields, ds)
	for _, item := range missing {
		if _, err := other.AddDocument(context.Background(), a, id, item, item+".pdf", bytes.NewReader(testPDF(item))); err != nil {
			t.Fatal(err)
		}
	}
	return missing
}

// TestAgentsMandatedOnAFileCannotActOnIt: an agent of the file's window
// who holds (or held) a mandate from its owner covering it is involved in
// it: the queue marks it, the page offers no window action, accepting it is
// refused for a conflict of interest; a colleague of the window accepts it.
func TestAgentsMandatedOnAFileCannotActOnIt(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f := e.submitted(t, e.architectActor(), sidiOthmane(e.owner))
		agent := e.agentActor(e.agent, "sidi-othmane")
		conflicted := func() bool {
			t.Helper()
			q, err := e.s.Queue(ctx, agent, "sidi-othmane", TabNew, 1)
			if err != nil || len(q.Rows) != 1 {
				t.Fatalf("queue: %v %v", q, err)
			}
			return q.Rows[0].Conflict
		}
		if conflicted() {
			t.Fatal("an agent with no stake in the file is marked")
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO mandates (grantor_person_id, professional_id, scope, file_ref, starts_at, ends_at,
			created_by, created_at, revoked_at) VALUES ($1, $2, 'file', $3, $4, $5, $1, $4, $6)`,
			e.owner, e.agent, f.Ref, monday.Add(-time.Hour), monday.AddDate(1, 0, 0), monday.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// The mandate was revoked since: having held it is enough.
		if !conflicted() {
			t.Fatal("the queue does not mark the file of an agent mandated on it")
		}
		v, err := e.s.View(ctx, agent, f.ID)
		if err != nil || !v.Conflict || v.Can[TAccept] || v.Can[TReturn] || v.Can["extend"] {
			t.Fatalf("view: conflict %v, can %v (%v)", v != nil && v.Conflict, v, err)
		}
		_, err = e.s.Accept(ctx, agent, f.ID, 0)
		wantErr(t, err, errs.Forbidden, "error.authz.conflict")
		_, err = e.s.Extend(ctx, agent, f.ID, 0, Overall, 3, "Visite du site nécessaire.")
		wantErr(t, err, errs.Forbidden, "error.authz.conflict")

		colleague := e.person(t, "colleague@example.ma", "fr")
		if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, window_code, granted_at)
			VALUES ($1, 'sidi-othmane', 'window_agent', 'sidi-othmane', $2)`, colleague, monday); err != nil {
			t.Fatal(err)
		}
		if f, err = e.s.Accept(ctx, e.agentActor(colleague, "sidi-othmane"), f.ID, 0); err != nil || f.State != Accepted {
			t.Fatalf("the colleague's acceptance: %v", err)
		}
	})
}
