package complaintdemo_test

import (
	"context"
	"io"
	"testing"

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
		ctx := notify.Quiet(context.Background())
		s := complaint.NewService(complaint.Deps{DB: a.DB, Catalogue: complaint.DefaultCatalogue(), Calendar: calendar.Default(),
			Blobs: a.Blobs, Places: a.Districts, Events: a.Jobs})
		env := &module.Env{}
		env.Provide("identity", a.Identity)
		env.Provide("staff", a.Staff)
		env.Provide("complaint", s)
		for range 2 { // idempotent
			if err := complaintdemo.Load(ctx, env, io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM complaint_requests`).Scan(&n); err != nil || n != 5 {
			t.Fatalf("%d requests (%v)", n, err)
		}
		// Lydec's officer has her queue (the resolved request left it); the
		// commune's, the rubbish first and the question waiting on the
		// citizen last; Sidi Othmane's, its garden.
		lydec := authz.Actor{Person: apptest.PersonID(t, a, "laila.kettani@example.ma"), MFA: true, EmailVerified: true,
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "lydec"}}}
		q, err := s.Queue(ctx, lydec, "lydec")
		if err != nil || len(q) != 1 || q[0].State != complaint.InProgress {
			t.Fatalf("Lydec's queue: %v %v", q, err)
		}
		commune := authz.Actor{Person: apptest.PersonID(t, a, "driss.sqalli@example.ma"), MFA: true, EmailVerified: true,
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "commune"}}}
		if q, err := s.Queue(ctx, commune, "commune"); err != nil || len(q) != 2 || q[0].Category != "waste" || q[1].State != complaint.Waiting {
			t.Fatalf("the commune's queue: %v %v", q, err)
		}
		so := authz.Actor{Person: apptest.PersonID(t, a, "abdelkader.fassi@example.ma"), MFA: true, EmailVerified: true,
			Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: "sidi-othmane"}}}
		if q, err := s.Queue(ctx, so, "sidi-othmane"); err != nil || len(q) != 1 || q[0].Category != "green-spaces" {
			t.Fatalf("Sidi Othmane's queue: %v %v", q, err)
		}
		// Nobody was told (the demonstration is quiet).
		apptest.Settle(t, a)
		if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries WHERE template LIKE 'complaint.%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d notices sent loading the demonstration (%v)", n, err)
		}
	})
}
