package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/permit"
	"madina/internal/permit/permitdemo"
	"madina/internal/platform/db"
)

// TestDemoFiles loads the demonstration and checks its permit files: every
// state and kind, most windows, complete deposits, numbers and receipts,
// overdue files in the queues, and the owners and agents who see them.
func TestDemoFiles(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		ctx := context.Background()
		var out strings.Builder
		start := time.Now()
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		t.Logf("LoadDemo on %s: %v\n%s", e, time.Since(start).Round(time.Millisecond), out.String())
		demoQueuesNoNotice(t, a)
		if !strings.Contains(out.String(), "demo: 300 permit files in 17 windows: ") {
			t.Errorf("summary: %q", out.String())
		}
		checkDemoFiles(t, a)
	})
}

func checkDemoFiles(t *testing.T, a *app.App) {
	ctx := context.Background()
	now := time.Now()
	q := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The stories' files, and the files their holders declared after the
	// works (permitdemo/afterworks.go).
	if n, after := q(`SELECT count(*) FROM permit_files`), q(`SELECT count(*) FROM permit_after_works`); n != permitdemo.FileCount+after || after == 0 {
		t.Errorf("%d files, want %d and %d after the works", n, permitdemo.FileCount, after)
	}
	for _, s := range permit.States {
		if n := q(`SELECT count(*) FROM permit_files WHERE state = $1`, string(s)); n == 0 {
			t.Errorf("no file in state %s", s)
		}
	}
	for _, k := range a.Catalogue.Kinds {
		if n := q(`SELECT count(*) FROM permit_files WHERE kind = $1`, k.Code); n == 0 {
			t.Errorf("no file of kind %s", k.Code)
		}
	}
	if n := q(`SELECT count(DISTINCT window_code) FROM permit_files WHERE window_code IS NOT NULL`); n < 12 {
		t.Errorf("files in %d windows, want at least 12", n)
	}
	if n := q(`SELECT count(DISTINCT arrondissement_code) FROM permit_files`); n != 16 {
		t.Errorf("parcels in %d arrondissements, want 16", n)
	}
	if n := q(`SELECT count(*) FROM permit_files WHERE tacit`); n < 1 || n > 2 {
		t.Errorf("%d tacit approvals, want one or two", n)
	}
	if n := q(`SELECT count(*) FROM permit_files WHERE state = 'refused' AND (decision_reason IS NULL OR decision_reason = '')`); n != 0 {
		t.Errorf("%d refusals without a reason", n)
	}
	if n := q(`SELECT count(*) FROM permit_events WHERE kind = 'return' AND data NOT LIKE '%note%'`); n != 0 {
		t.Errorf("%d returns without a note", n)
	}
	if n := q(`SELECT count(*) FROM permit_appointments WHERE status = 'booked'`); n < 20 {
		t.Errorf("%d booked appointments", n)
	}
	// The stories span the last months, and nothing happens in the future.
	var first, last time.Time
	if err := a.DB.QueryRowContext(ctx, `SELECT at FROM permit_events ORDER BY at LIMIT 1`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.QueryRowContext(ctx, `SELECT at FROM permit_events ORDER BY at DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if first.Before(now.AddDate(0, 0, -permitdemo.Days-1)) || first.After(now.AddDate(0, 0, -permitdemo.Days+20)) || last.After(now) {
		t.Errorf("events from %v to %v", first, last)
	}
	if n := q(`SELECT count(*) FROM permit_files WHERE submitted_at < created_at OR accepted_at < submitted_at OR closed_at < created_at`); n != 0 {
		t.Errorf("%d files with dates out of order", n)
	}
	// Only demonstration people; Fatima Zahra Benali starts with none.
	if n := q(`SELECT count(*) FROM permit_files f JOIN persons p ON p.id = f.owner_person_id WHERE p.email_key = $1`, permitdemo.QuietOwner); n != 0 {
		t.Errorf("%s owns %d files", permitdemo.QuietOwner, n)
	}
	if n := q(`SELECT count(*) FROM permit_files WHERE window_code = 'maarif' AND state = 'submitted'`); n != 0 {
		t.Errorf("%d new deposits at the Maârif window", n)
	}

	// Every deposited file is complete; every numbered file has its receipt.
	type row struct {
		id, person, legal int64
		state, window     string
		number            string
	}
	rows, err := a.DB.QueryContext(ctx, `SELECT id, COALESCE(owner_person_id, 0), COALESCE(owner_legal_id, 0), state,
		COALESCE(window_code, ''), COALESCE(number, '') FROM permit_files ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var files []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.person, &r.legal, &r.state, &r.window, &r.number); err != nil {
			t.Fatal(err)
		}
		files = append(files, r)
	}
	rows.Close()
	owner := func(r row) authz.Actor {
		if r.legal == 0 {
			return authz.Actor{Person: r.person, EmailVerified: true, Now: now}
		}
		var rep int64
		if err := a.DB.QueryRowContext(ctx, `SELECT person_id FROM representatives WHERE legal_person_id = $1`, r.legal).Scan(&rep); err != nil {
			t.Fatal(err)
		}
		return authz.Actor{Person: rep, EmailVerified: true, ActingFor: r.legal, Represents: []int64{r.legal}, Now: now}
	}
	receipts := 0
	for _, r := range files {
		if r.state == string(permit.Draft) {
			continue
		}
		v, err := a.Permit.View(ctx, owner(r), r.id)
		if err != nil {
			t.Fatalf("file %d as its owner: %v", r.id, err)
		}
		if len(v.Missing) != 0 {
			t.Errorf("file %d (%s, %s) misses %v", r.id, v.File.Kind, r.state, v.Missing)
		}
		if (r.number != "") != (v.File.AcceptedAt != nil) {
			t.Errorf("file %d (%s): number %q", r.id, r.state, r.number)
		}
		if r.state != string(permit.Accepted) {
			continue
		}
		if !strings.HasPrefix(r.number, strings.ToUpper(r.window)+"-") {
			t.Errorf("file %d at %s numbered %q", r.id, r.window, r.number)
		}
		b, name, err := a.Permit.Receipt(ctx, owner(r), r.id)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || !strings.HasSuffix(name, ".pdf") {
			t.Errorf("receipt of file %d: %s %v", r.id, name, err)
		}
		receipts++
	}
	if receipts < 30 {
		t.Errorf("%d receipts", receipts)
	}

	// The windows' queues hold files, some of them overdue.
	overdue := 0
	for _, w := range []struct{ window, org string }{{"city", "commune"}, {"sidi-othmane", "sidi-othmane"}, {"maarif", "maarif"},
		{"anfa", "anfa"}, {"hay-hassani", "hay-hassani"}, {"sidi-moumen", "sidi-moumen"}, {"ben-msick", "ben-msick"}} {
		agent := authz.Actor{Person: 1, EmailVerified: true, MFA: true, Now: now,
			Grants: []authz.Grant{{Role: authz.WindowAgent, Org: w.org, Window: w.window}}}
		qu, err := a.Permit.Queue(ctx, agent, w.window, permit.TabUrgent, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(qu.Rows) == 0 {
			t.Errorf("the %s window's queue is empty", w.window)
		}
		overdue += qu.Overdue
	}
	if total := q(`SELECT count(*) FROM permit_files WHERE holder = 'window' AND due_at < $1`, now); overdue == 0 || total < 5 {
		t.Errorf("%d overdue files in the sampled queues, %d in all", overdue, total)
	}
	if n := q(`SELECT count(*) FROM permit_events WHERE kind = 'overdue'`); n == 0 {
		t.Error("the legal clock raised no overdue alert")
	}
	// A demonstration agent sees their window's queue.
	souad := apptest.PersonID(t, a, "souad.chraibi@example.ma")
	qu, err := a.Permit.Queue(ctx, authz.Actor{Person: souad, EmailVerified: true, MFA: true, Now: now,
		Grants: []authz.Grant{{Role: authz.WindowAgent, Org: "maarif", Window: "maarif"}}}, "maarif", permit.TabUrgent, 1)
	if err != nil || len(qu.Rows) == 0 {
		t.Errorf("Souad's queue: %v, %d rows", err, len(qu.Rows))
	}

	// Demonstration accounts see their files: owners, and the architect
	// under their mandates.
	youssef := apptest.PersonID(t, a, "youssef.elamrani@example.ma")
	if mine, err := a.Permit.Mine(ctx, authz.Actor{Person: youssef, EmailVerified: true, Now: now}); err != nil || len(mine) < 3 {
		t.Errorf("Youssef's files: %d %v", len(mine), err)
	}
	omar := apptest.PersonID(t, a, "omar.berrada@example.ma")
	self := authz.Actor{Person: omar, EmailVerified: true, Now: now}
	_, received, err := a.Identity.Mandates(ctx, self)
	if err != nil || len(received) < 5 {
		t.Fatalf("Omar's mandates: %d %v", len(received), err)
	}
	self.Profession, self.ProfessionalVerified = authz.Architect, true
	for _, m := range received {
		self.Mandates = append(self.Mandates, authz.Mandate{ID: m.ID, OwnerPerson: m.Owner.Person, OwnerLegal: m.Owner.Legal,
			PermitKind: m.PermitKind, FileRef: m.FileRef, Starts: m.Starts, Ends: m.Ends})
	}
	if mine, err := a.Permit.Mine(ctx, self); err != nil || len(mine) < 10 {
		t.Errorf("Omar's files: %d %v", len(mine), err)
	}

	// The documents: small, valid PDFs (and a PNG), shared between files.
	if n := q(`SELECT count(DISTINCT sha256) FROM permit_documents`); n < 10 || n > 30 {
		t.Errorf("%d distinct documents", n)
	}
}
