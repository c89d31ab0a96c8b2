package app_test

import (
	"context"
	"testing"

	"madina/internal/app"
)

// demoQueuesNoNotice checks, right after the demonstration loaded (in
// TestDemoFiles, which loads it), that it sends nobody anything, now or at
// the first serve: it queues no notice, and the events it publishes (its
// files' steps, its mandates, its claims) are flagged silent, so that
// dispatching them, as the first serve does, queues none either.
func demoQueuesNoNotice(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	q := func(query string) int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := q(`SELECT count(*) FROM notify_deliveries`); n != 0 {
		t.Fatalf("the demonstration queued %d notices", n)
	}
	if n := q(`SELECT count(*) FROM events WHERE topic = 'identity.mandate_changed'`); n < 50 {
		t.Fatalf("%d mandate events: the demonstration's mandates publish as any other", n)
	}
	if n := q(`SELECT count(*) FROM events WHERE topic = 'permit.file_changed'`); n < 300 {
		t.Fatalf("%d file events: the demonstration's files publish as any other", n)
	}
	for {
		n, err := a.Jobs.DispatchNow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if n := q(`SELECT count(*) FROM events WHERE dispatched_at IS NULL`); n != 0 {
		t.Fatalf("%d events left undispatched", n)
	}
	if n := q(`SELECT count(*) FROM notify_deliveries`); n != 0 {
		t.Fatalf("dispatching the demonstration's events queued %d notices", n)
	}
}
