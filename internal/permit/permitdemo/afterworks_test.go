package permitdemo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/permit/permitdemo"
	"madina/internal/platform/db"
)

// TestDemoAfterTheWorks loads the demonstration on each engine and finds
// a habitation permit pending its inspection (declared from a granted
// building permit, accepted, dispatched to the works inspection
// committee, its visit on a sitting of that committee's calendar) and a
// conformity certificate delivered (photos of the visit, every body's
// finding, signed by the president).
func TestDemoAfterTheWorks(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		afterTheWorks(t, context.Background(), apptest.New(t, e))
	})
	// A Monday just after midnight, when the one granted permit a
	// certificate could follow was once decided too late for it.
	t.Run("monday-night", func(t *testing.T) {
		t.Parallel()
		at := time.Date(2026, time.December, 7, 1, 20, 0, 0, time.UTC)
		afterTheWorks(t, permitdemo.At(context.Background(), at), apptest.New(t, db.SQLite))
	})
}

// afterTheWorks loads the demonstration on a and finds its two files
// after the works.
func afterTheWorks(t *testing.T, ctx context.Context, a *app.App) {
	var out strings.Builder
	start := time.Now()
	if err := a.LoadDemo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("LoadDemo: %v\n%s", time.Since(start).Round(time.Millisecond), out.String())
	q := func(what, query string) {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 1 {
			t.Errorf("%d files %s, want 1", n, what)
		}
	}
	q("pending their inspection visit", `SELECT COUNT(*) FROM permit_files f JOIN permit_after_works w ON w.file_id = f.id
		JOIN permit_files p ON p.id = w.parent_id AND p.state = 'approved' AND p.kind = 'building'
		JOIN permit_agenda g ON g.file_id = f.id JOIN permit_sessions s ON s.id = g.session_id
		WHERE f.kind = 'habitation' AND f.state = 'accepted' AND f.holder = 'committee' AND f.step = 'inspection'
		AND f.committee = 'works_inspection' AND s.committee_code LIKE 'works_inspection@%'`)
	q("delivered after their visit", `SELECT COUNT(*) FROM permit_files f JOIN permit_after_works w ON w.file_id = f.id
		WHERE f.kind = 'conformity' AND f.state = 'approved'
		AND EXISTS (SELECT 1 FROM permit_inspection_photos ph WHERE ph.file_id = f.id)
		AND (SELECT COUNT(*) FROM permit_opinions o WHERE o.file_id = f.id) = (SELECT COUNT(*) FROM permit_committee_seats s WHERE s.file_id = f.id)
		AND EXISTS (SELECT 1 FROM signed_documents i WHERE i.kind = 'decision' AND i.file_id = f.id)`)
}
