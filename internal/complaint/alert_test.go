package complaint

import (
	"context"
	"io/fs"
	"strconv"
	"testing"
	"time"

	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/jobs"
)

// TestDeadlinesAlertTheTeamAndEscalate: a lighting request nobody
// acknowledged alerts Lydec's officers of its arrondissement once; past
// escalate_at it is raised to the commune's officers; a request waiting
// on the citizen alerts nobody.
func TestDeadlinesAlertTheTeamAndEscalate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		q := jobs.New(d, nil, jobs.Options{})
		n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()}})
		if err != nil {
			t.Fatal(err)
		}
		s := NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Calendar: calendar.Default(), Blobs: e.blobs, Places: e.s.places,
			Events: q, People: identity.NewStore(d), Notify: n, BaseURL: "https://madina.test", Now: e.clock.now})
		q.Subscribe(TopicRequestAlert, "complaint.alerts", s.SendAlerts)
		for _, g := range []struct {
			p        int64
			org, arr string
		}{{e.lydec, "lydec", ""}, {e.lydecCitizen, "lydec", "anfa"}, {e.sidiMoumen, "commune", ""}} {
			var arr any
			if g.arr != "" {
				arr = g.arr
			}
			if _, err := d.ExecContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, arrondissement_code, granted_at)
				VALUES ($1, $2, 'complaint_officer', $3, $4)`, g.p, g.org, arr, monday); err != nil {
				t.Fatal(err)
			}
		}
		told := func(template string, person int64) int {
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
		r, err := s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		waiting, err := s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Move(ctx, e.officer(e.lydec, "lydec", ""), waiting.ID, 0, CAsk, "Quel poteau ?"); err != nil {
			t.Fatal(err)
		}
		if o, x, err := s.Alert(ctx); err != nil || o+x != 0 {
			t.Fatalf("alerts before any deadline: %d %d %v", o, x, err)
		}
		e.clock.add(2 * 24 * time.Hour) // Wednesday: to acknowledge by Tuesday
		if o, x, err := s.Alert(ctx); err != nil || o != 1 || x != 0 {
			t.Fatalf("Wednesday: %d overdue, %d escalated (%v), want 1 and 0", o, x, err)
		}
		if o, x, err := s.Alert(ctx); err != nil || o+x != 0 {
			t.Fatalf("alerted twice: %d %d %v", o, x, err)
		}
		if told("complaint.overdue", e.lydec) != 1 || told("complaint.overdue", e.lydecCitizen) != 0 || told("complaint.overdue", e.sidiMoumen) != 0 {
			t.Error("the overdue alert went to the wrong officers")
		}
		e.clock.add(9 * 24 * time.Hour) // Friday 4 December: raised after Thursday 3
		if o, x, err := s.Alert(ctx); err != nil || x != 1 {
			t.Fatalf("Friday week: %d overdue, %d escalated (%v), want 1 escalated", o, x, err)
		}
		if told("complaint.escalated", e.sidiMoumen) != 1 || told("complaint.escalated", e.lydec) != 0 {
			t.Error("the escalation went to the wrong officers")
		}
		var alerted, raised int
		_ = d.QueryRowContext(ctx, `SELECT count(alerted_at), count(escalated_at) FROM complaint_requests WHERE id = $1`, waiting.ID).Scan(&alerted, &raised)
		if alerted+raised != 0 {
			t.Error("a request waiting on the citizen was alerted")
		}
		_ = r
	})
}
