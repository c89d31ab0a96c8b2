package complaint

import (
	"context"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// noticed sets up e with notices and alerts delivered, and returns a
// counter of the inbox notices a person got from a template.
func noticed(t *testing.T, e *env) (*Service, func(template string, person int64) int) {
	t.Helper()
	d := e.d
	ctx := context.Background()
	q := jobs.New(d, nil, jobs.Options{})
	n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Calendar: calendar.Default(), Blobs: e.blobs, Places: e.s.places,
		Events: q, People: identity.NewStore(d), Notify: n, BaseURL: "https://madina.test", Now: e.clock.now})
	q.Subscribe(TopicRequestAlert, "complaint.alerts", s.SendAlerts)
	q.Subscribe(TopicRequestChanged, "complaint.notices", s.SendNotices)
	return s, func(template string, person int64) int {
		t.Helper()
		for {
			k, err := q.DispatchNow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				break
			}
		}
		var c int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries WHERE template = $1 AND user_id = $2 AND channel = 'inbox'`,
			template, "person:"+strconv.FormatInt(person, 10)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// TestReassignAndMerge: Lydec's officer sends a request to the commune
// with a reason (audited, the reporter told, refused without a reason or
// to the same team, and by an officer of another team); merges another
// citizen's duplicate into a request: the duplicate is closed naming the
// request kept, its reporter becomes a co-reporter who hears of the kept
// request's resolution, and may no longer be its officer (conflict of
// interest). Merging a request into itself, or a closed one, is refused;
// a merge is never undone in the database.
func TestReassignAndMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		s, told := noticed(t, e)
		lydec := e.officer(e.lydec, "lydec", "")
		kept, err := s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		dup, err := s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}
		wrong, err := s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}

		// Reassign.
		if _, err := s.Reassign(ctx, lydec, wrong.ID, 0, "commune", "", ""); errs.As(err) == nil || errs.As(err).Field != "note" {
			t.Fatalf("reassigned without a reason: %v", err)
		}
		if _, err := s.Reassign(ctx, lydec, wrong.ID, 0, "lydec", "sidi-moumen", "Même équipe"); errs.As(err) == nil || errs.As(err).Key != "complaint.error.same_team" {
			t.Fatalf("reassigned to the same team: %v", err)
		}
		if _, err := s.Reassign(ctx, lydec, wrong.ID, 0, "atlantis", "", "Ailleurs"); errs.As(err) == nil || errs.As(err).Key != "complaint.error.organisation" {
			t.Fatalf("reassigned to nowhere: %v", err)
		}
		if _, err := s.Reassign(ctx, e.officer(e.sidiMoumen, "commune", ""), wrong.ID, 0, "commune", "", "À nous"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another team's officer reassigned: %v", err)
		}
		r, err := s.Reassign(ctx, lydec, wrong.ID, 0, "commune", "", "Le poteau est celui d'un jardin public: service des espaces verts.")
		if err != nil || r.Organisation != "commune" || r.Arrondissement != "sidi-moumen" {
			t.Fatalf("reassign: %v %+v", err, r)
		}
		if _, _, err := s.Get(ctx, lydec, wrong.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("Lydec still reads the request it gave away: %v", err)
		}
		if q, err := s.Queue(ctx, e.officer(e.sidiMoumen, "commune", ""), "commune"); err != nil || len(q) != 1 || q[0].ID != wrong.ID {
			t.Errorf("the commune's queue: %v %d", err, len(q))
		}
		if told("complaint.reassign", e.other) != 1 {
			t.Error("the reporter was not told of the reassignment")
		}
		var audited int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'complaint.reassign' AND object_id = $1`,
			strconv.FormatInt(wrong.ID, 10)).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("reassignment audited %d times (%v)", audited, err)
		}

		// Merge.
		if _, err := s.Merge(ctx, lydec, kept.ID, kept.ID, ""); errs.As(err) == nil || errs.As(err).Field != "duplicate" {
			t.Fatalf("merged into itself: %v", err)
		}
		if _, err := s.Merge(ctx, lydec, kept.ID, wrong.ID, ""); errs.As(err) == nil || errs.As(err).Field != "duplicate" {
			t.Fatalf("merged another team's request: %v", err)
		}
		k, err := s.Merge(ctx, lydec, kept.ID, dup.ID, "Même lampadaire.")
		if err != nil || !slices.Equal(k.CoReporters, []int64{e.other}) {
			t.Fatalf("merge: %v %+v", err, k)
		}
		dd, _, err := s.Get(ctx, e.actor(e.other), dup.ID)
		if err != nil || dd.State != Closed || dd.MergedInto != kept.ID || !strings.HasPrefix(dd.PublicAnswer, kept.Number) {
			t.Fatalf("the duplicate: %v %+v", err, dd)
		}
		if told("complaint.merge", e.other) != 1 {
			t.Error("the duplicate's reporter was not told of the merge")
		}
		if _, err := s.Merge(ctx, lydec, kept.ID, dup.ID, ""); errs.As(err) == nil || errs.As(err).Key != "complaint.error.duplicate_state" {
			t.Fatalf("merged twice: %v", err)
		}
		if fl, err := s.Following(ctx, e.actor(e.other)); err != nil || len(fl) != 1 || fl[0].ID != kept.ID {
			t.Errorf("the co-reporter follows: %v %v", err, fl)
		}
		// The co-reporter hears of the kept request's resolution.
		if _, err := s.Move(ctx, lydec, kept.ID, 0, CResolve, "Lampe remplacée."); err != nil {
			t.Fatal(err)
		}
		if told("complaint.resolve", e.other) != 1 || told("complaint.resolve", e.citizen) != 1 {
			t.Error("the reporter and the co-reporter were not both told of the resolution")
		}
		var url string
		if err := d.QueryRowContext(ctx, `SELECT data FROM notify_deliveries WHERE template = 'complaint.resolve' AND user_id = $1`,
			"person:"+strconv.FormatInt(e.other, 10)).Scan(&url); err == nil && !strings.Contains(url, "/requests/track?") {
			t.Errorf("the co-reporter's link is not the tracking page: %s", url)
		}
		// A co-reporter who is an officer may not handle it.
		e2 := e.officer(e.other, "lydec", "")
		if _, err := s.Move(ctx, e2, kept.ID, 0, CClose, "Fermé."); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a co-reporter acted officially: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE complaint_requests SET merged_into = NULL WHERE id = $1`, dup.ID); err == nil {
			t.Error("a merge was undone")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM complaint_coreporters`); err == nil {
			t.Error("a co-reporter was removed")
		}
		if _, err := d.ExecContext(ctx, `UPDATE complaint_requests SET merged_into = $1 WHERE id = $2`, kept.ID, wrong.ID); err == nil {
			t.Error("an open request was marked merged")
		}
	})
}

// TestWarnBeforeTheDeadline: on the morning of a request's deadline day
// the team and the escalation organisation's officers (its supervisors)
// are told once; acknowledging starts the resolve deadline's warning over.
func TestWarnBeforeTheDeadline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		s, told := noticed(t, e)
		for _, g := range []struct {
			p   int64
			org string
		}{{e.lydec, "lydec"}, {e.sidiMoumen, "commune"}} {
			if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, granted_at)
				VALUES ($1, $2, 'complaint_officer', $3)`, g.p, g.org, monday); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.File(ctx, e.actor(e.citizen), lighting()) // Monday: to acknowledge by Tuesday
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.Warn(ctx); err != nil || n != 0 {
			t.Fatalf("Monday: %d warned (%v)", n, err)
		}
		e.clock.add(24 * time.Hour) // Tuesday morning
		if n, err := s.Warn(ctx); err != nil || n != 1 {
			t.Fatalf("Tuesday: %d warned (%v), want 1", n, err)
		}
		if n, _ := s.Warn(ctx); n != 0 {
			t.Fatalf("warned twice: %d", n)
		}
		if told("complaint.warning", e.lydec) != 1 || told("complaint.warning", e.sidiMoumen) != 1 {
			t.Error("the team and its supervisors were not both warned")
		}
		if _, err := s.Move(ctx, e.officer(e.lydec, "lydec", ""), r.ID, 0, CAcknowledge, ""); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Warn(ctx); n != 0 {
			t.Fatalf("warned of a resolve deadline days away: %d", n)
		}
		e.clock.add(r.ResolveDue.Add(-12 * time.Hour).Sub(e.clock.now()))
		if n, err := s.Warn(ctx); err != nil || n != 1 {
			t.Fatalf("the resolve deadline's day: %d warned (%v), want 1", n, err)
		}
		if told("complaint.warning", e.lydec) != 2 {
			t.Error("the resolve deadline's warning did not reach the team")
		}
	})
}
