package app

import (
	"context"
	"testing"
	"time"
)

// settle hands every published event to its subscribers, as the running
// node's dispatcher does once a change commits, and waits until none is
// left: the notices that subscribe to events are recorded then. A
// dispatcher running meanwhile (a started queue) may hold some events for
// a moment, hence the wait rather than one DispatchNow.
func settle(t testing.TB, a *App) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := a.Jobs.DispatchNow(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := a.Jobs.Undispatched(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still undispatched", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
