package complaintdemo_test

import (
	"context"
	"io"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/complaint"
	"madina/internal/complaint/complaintdemo"
	"madina/internal/module"
	"madina/internal/notify"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
)

func TestDemo(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		// As App.LoadDemo loads it: quiet, and on PostgreSQL not waiting
		// for each of the year's thousands of commits to reach the disk.
		ctx := complaintdemo.WithYear(db.WithAsyncCommit(notify.Quiet(context.Background())))
		start := time.Now()
		s := complaint.NewService(complaint.Deps{DB: a.DB, Catalogue: complaint.DefaultCatalogue(), Calendar: calendar.Default(),
			Blobs: a.Blobs, Places: a.Districts, Events: a.Jobs})
		env := &module.Env{}
		env.Provide("identity", a.Identity)
		env.Provide("staff", a.Staff)
		env.Provide("complaint", s)
		env.Provide("district", a.Districts)
		for range 2 { // idempotent
			if err := complaintdemo.Load(ctx, env, io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("the requests' demonstration, twice, on %s: %s", e, time.Since(start).Round(time.Millisecond))
		var n int
		want := 5 + complaintdemo.YearRequests
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM complaint_requests`).Scan(&n); err != nil || n != want {
			t.Fatalf("%d requests (%v), want %d", n, err, want)
		}
		// The year: a year of dates, every state, duplicates merged,
		// requests reopened, most posted through the Open311 client.
		var days float64
		var states, merged, reopened, viaClient int
		q := `SELECT (SELECT count(DISTINCT state) FROM complaint_requests), (SELECT count(*) FROM complaint_requests WHERE merged_into IS NOT NULL),
			(SELECT count(DISTINCT request_id) FROM complaint_events WHERE kind = 'reopen'), (SELECT count(*) FROM complaint_requests WHERE client_id IS NOT NULL)`
		if err := a.DB.QueryRowContext(ctx, q).Scan(&states, &merged, &reopened, &viaClient); err != nil {
			t.Fatal(err)
		}
		st, err := s.Statistics(ctx, time.Now().AddDate(-1, 0, -1), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(st.ByArrondissement) != 16 || len(st.ByCategory) != 12 || st.All.ReopenRate == nil || *st.All.ReopenRate == 0 ||
			st.All.WithinLevel == nil || st.All.MedianResolveDays == nil {
			t.Errorf("the year's statistics: %d arrondissements, %d categories, %+v", len(st.ByArrondissement), len(st.ByCategory), st.All)
		}
		var first, last time.Time
		if err := a.DB.QueryRowContext(ctx, `SELECT filed_at FROM complaint_requests ORDER BY filed_at LIMIT 1`).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRowContext(ctx, `SELECT filed_at FROM complaint_requests ORDER BY filed_at DESC LIMIT 1`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		days = last.Sub(first).Hours() / 24
		if states < 6 || merged < 10 || reopened < 50 || viaClient < complaintdemo.YearRequests*9/10 || days < 300 {
			t.Errorf("the year: %d states, %d merged, %d reopened, %d through Open311, over %.0f days", states, merged, reopened, viaClient, days)
		}
		// The demonstration's first citizen's own requests stay few.
		fatima := authz.Actor{Person: apptest.PersonID(t, a, "fatima.benali@example.ma"), EmailVerified: true}
		if mine, err := s.Mine(ctx, fatima); err != nil || len(mine) != 2 {
			t.Errorf("Fatima's requests: %d %v", len(mine), err)
		}
		lydec := authz.Actor{Person: apptest.PersonID(t, a, "laila.kettani@example.ma"), MFA: true, EmailVerified: true,
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "lydec"}}}
		if q, err := s.Queue(ctx, lydec, "lydec"); err != nil || len(q) < 10 {
			t.Fatalf("Lydec's queue: %d %v", len(q), err)
		}
		// Nobody was told (the demonstration is quiet).
		apptest.Settle(t, a)
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries WHERE template LIKE 'complaint.%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d notices sent loading the demonstration (%v)", n, err)
		}
	})
}
