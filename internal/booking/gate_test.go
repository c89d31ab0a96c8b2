package booking

import (
	"context"
	"testing"
	"time"

	"madina/internal/platform/errs"
)

// One request at a time goes on to write a slot; another slot is not
// held up, a request that gives up waiting gets "try again", and a
// gate nobody uses is forgotten.
func TestSlotGateLetsOneThroughAtATime(t *testing.T) {
	var g slotGates
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	release, err := g.enter(ctx, "field-1", at)
	if err != nil {
		t.Fatal(err)
	}
	other, err := g.enter(ctx, "field-1", at.Add(time.Hour))
	if err != nil {
		t.Fatalf("another slot waited for this one: %v", err)
	}
	other()
	waiting, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := g.enter(waiting, "field-1", at); errs.As(err) == nil || errs.As(err).Kind != errs.Conflict {
		t.Fatalf("a second request went through a held gate, or gave up without a conflict: %v", err)
	}
	through := make(chan struct{})
	go func() {
		r, err := g.enter(ctx, "field-1", at)
		if err == nil {
			r()
		}
		close(through)
	}()
	select {
	case <-through:
		t.Fatal("a waiting request went through before the holder released the gate")
	case <-time.After(30 * time.Millisecond):
	}
	release()
	<-through
	if len(g.gates) != 0 {
		t.Fatalf("%d gates kept after everyone left", len(g.gates))
	}
}
